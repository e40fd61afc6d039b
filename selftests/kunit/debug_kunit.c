// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for debug mode: corrupt on purpose (write past the end, write
 * after free, double free, interior free) and count the errors reported,
 * through a KUnit resource the reporter looks up, as slub_kunit does.
 */
#include <linux/mm.h>
#include <kunit/resource.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "mem.h"
#include "mreport.h"
#include "mstats.h"
#include "gm_kunit.h"
#include "mdebug.h"
#include "mheap.h"

static int gm_errors_seen;
static struct kunit_resource gm_errors_res;

static int gm_debug_test_init(struct kunit *test)
{
	gm_kunit_quiet_init(test);
	gm_kunit_count_reports(test, &gm_errors_res, &gm_errors_seen);
	gm_set_debug_flags(GM_DEBUG_ALL);
	return 0;
}

static void gm_debug_test_exit(struct kunit *test)
{
	gm_set_debug_flags(0);
	gm_kunit_quiet_exit(test);
}

static void gm_test_debug_clean(struct kunit *test)
{
	void *objs[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = i % 4 ? gomalloc(1 + i * 131, GFP_KERNEL) :
				  gomalloc_tiny(1 + i % 15, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		KUNIT_EXPECT_EQ(test, gm_span_of(objs[i])->state, (u8)GM_SPAN_DEBUG);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)objs[i], 8));
		memset(objs[i], 0x5a, gomalloc_usable_size(objs[i]));
	}
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(objs[1]), (size_t)132);
	KUNIT_EXPECT_EQ(test, gm_debug_validate(), 0UL);
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		gofree(objs[i]);
	KUNIT_EXPECT_EQ(test, gm_debug_validate(), 0UL);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 0);
}

/*
 * Natural alignment of power-of-two sizes holds in debug mode too, up to
 * GOMALLOC_MAX_SIZE: debug objects up to 16 KiB, large objects above (32
 * KiB and its red zone and metadata do not fit a small class).
 */
static void gm_test_debug_pow2_aligned(struct kunit *test)
{
	unsigned int i, bad = 0;
	void *objs[3];
	size_t size;

	for (size = 8; size <= GOMALLOC_MAX_SIZE; size <<= 1) {
		bool dbg = size < GM_MAX_SMALL_SIZE;

		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			objs[i] = gomalloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
			KUNIT_EXPECT_EQ(test, gm_span_of(objs[i])->state,
					(u8)(dbg ? GM_SPAN_DEBUG : GM_SPAN_LARGE));
			bad += !IS_ALIGNED((unsigned long)objs[i], size);
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)objs[i], size),
					      "size %zu at %p", size, objs[i]);
			if (dbg)
				KUNIT_EXPECT_EQ(test, gomalloc_usable_size(objs[i]), size);
			else
				KUNIT_EXPECT_GE(test, gomalloc_usable_size(objs[i]), size);
			memset(objs[i], 0x5a, size);
		}
		KUNIT_EXPECT_EQ(test, gm_debug_validate(), 0UL);
		for (i = 0; i < ARRAY_SIZE(objs); i++)
			gofree(objs[i]);
	}
	kunit_info(test, "%u misaligned\n", bad);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 0);
}

static void gm_test_debug_redzone(struct kunit *test)
{
	u8 *p = gomalloc(50, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(p), (size_t)50);
	gm_kunit_poke(p + 50, 0x12);	/* one past the end */
	gm_kunit_poke(p + 53, 0x34);
	KUNIT_EXPECT_EQ(test, gm_debug_validate(), 1UL);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 1);
	gm_kunit_poke(p + 51, 0x56);	/* again, caught by the free */
	gofree(p);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 2);
}

static void gm_test_debug_use_after_free(struct kunit *test)
{
	u8 *p = gomalloc(64, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	gofree(p);
	KUNIT_EXPECT_EQ(test, gm_kunit_peek(p), (u8)0x6b);	/* poisoned */
	KUNIT_EXPECT_EQ(test, gm_kunit_peek(p + 63), (u8)0xa5);
	gm_kunit_poke(p + 3, 0x55);	/* write after free */
	KUNIT_EXPECT_EQ(test, gm_debug_validate(), 1UL);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 1);
	/* The report restored the poison: a second pass finds nothing. */
	KUNIT_EXPECT_EQ(test, gm_debug_validate(), 0UL);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 1);
}

static void gm_test_debug_double_free(struct kunit *test)
{
	long dbl = atomic_long_read(&gm_errors.double_frees);
	long objects, bytes, tiny, before;
	void *p;

	gm_stats_objects(&before, &bytes, &tiny);
	p = gomalloc(200, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gm_stats_objects(&objects, &bytes, &tiny);
	KUNIT_EXPECT_EQ(test, objects, before + 1);
	gofree(p);
	gofree(p);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.double_frees), dbl + 1);
	gm_stats_objects(&objects, &bytes, &tiny);
	KUNIT_EXPECT_EQ(test, objects, before);
	KUNIT_EXPECT_EQ(test, gm_debug_validate(), 0UL);
}

static void gm_test_debug_interior_free(struct kunit *test)
{
	long inv = atomic_long_read(&gm_errors.invalid_frees);
	u8 *p = gomalloc(100, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	gofree(p + 4);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.invalid_frees), inv + 1);
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(p), (size_t)100);	/* still live */
	gofree(p);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 1);
}

static void gm_test_debug_tiny_overflow(struct kunit *test)
{
	u8 *p = gomalloc_tiny(5, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(p), (size_t)5);
	gm_kunit_poke(p + 5, 0);
	gofree(p);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 1);
}

/* A pointer into a debug span's tail, past its last element. */
static void gm_test_debug_tail_free(struct kunit *test)
{
	long inv = atomic_long_read(&gm_errors.invalid_frees);
	long dbl = atomic_long_read(&gm_errors.double_frees);
	struct gm_mspan *s = NULL;
	unsigned long tail;
	size_t size;
	void *p;

	/* A size whose debug element leaves a tail in its span. */
	for (size = 16; size <= 4000; size += 8) {
		p = gomalloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		s = gm_span_of(p);
		KUNIT_ASSERT_NOT_NULL(test, s);
		if ((unsigned long)s->nelems * s->elemsize < s->bytes)
			break;
		gofree(p);
		s = NULL;
	}
	KUNIT_ASSERT_NOT_NULL(test, s);
	tail = s->base + (unsigned long)s->nelems * s->elemsize;
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size((void *)tail), (size_t)0);
	gofree((void *)tail);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.invalid_frees), inv + 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.double_frees), dbl);
	KUNIT_EXPECT_EQ(test, gm_errors_seen, 0);
	gofree(p);
	KUNIT_EXPECT_EQ(test, gm_debug_validate(), 0UL);
}

static struct kunit_case gm_debug_cases[] = {
	KUNIT_CASE(gm_test_debug_clean),
	KUNIT_CASE(gm_test_debug_pow2_aligned),
	KUNIT_CASE(gm_test_debug_redzone),
	KUNIT_CASE(gm_test_debug_use_after_free),
	KUNIT_CASE(gm_test_debug_double_free),
	KUNIT_CASE(gm_test_debug_interior_free),
	KUNIT_CASE(gm_test_debug_tiny_overflow),
	KUNIT_CASE(gm_test_debug_tail_free),
	{}
};

struct kunit_suite gm_debug_suite = {
	.name = "gomalloc_debug",
	.init = gm_debug_test_init,
	.exit = gm_debug_test_exit,
	.test_cases = gm_debug_cases,
};
