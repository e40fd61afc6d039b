// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the heap profile (mprof.c): the countdown's distribution, sampled
 * objects found at their free, stacks deduplicated, the object cap.
 */
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "gm_kunit.h"
#include "mprof.h"

/* The mean of many draws is within 5% of the rate (Go's fastexprand). */
static void gm_prof_test_mean(struct kunit *test)
{
	static const unsigned long rates[] = { 4096, 512 * 1024, 16 };
	const unsigned int n = 200000;
	u64 sum, rng = get_random_u64() | 1;
	unsigned int r, i;
	long d, min;

	for (r = 0; r < ARRAY_SIZE(rates); r++) {
		sum = 0;
		min = LONG_MAX;
		for (i = 0; i < n; i++) {
			d = gm_prof_exp(rates[r], gm_prof_rand(&rng));
			sum += d;
			min = min(min, d);
		}
		kunit_info(test, "rate %lu: mean of %u draws %llu, least %ld\n",
			   rates[r], n, div_u64(sum, n), min);
		KUNIT_EXPECT_GE(test, min, 1L);
		KUNIT_EXPECT_GE(test, sum * 20, (u64)rates[r] * n * 19);
		KUNIT_EXPECT_LE(test, sum * 20, (u64)rates[r] * n * 21);
	}
	/* The extremes of the uniform draw: the largest step is about 18 means. */
	KUNIT_EXPECT_EQ(test, gm_prof_exp(1000, (1U << 26) - 1), 1L);
	d = gm_prof_exp(1000, 0);
	KUNIT_EXPECT_GE(test, d, 18000L);
	KUNIT_EXPECT_LE(test, d, 18100L);
}

static unsigned long gm_prof_saved_rate;

/* Every allocation sampled while a case runs; the rate put back after. */
static int gm_prof_init_case(struct kunit *test)
{
	gm_prof_saved_rate = READ_ONCE(gm_prof_rate);
	return gm_set_profile_rate(1);
}

static void gm_prof_exit_case(struct kunit *test)
{
	gm_set_profile_rate(gm_prof_saved_rate);
}

static noinline void *gm_prof_site_a(size_t size)
{
	return gomalloc(size, GFP_KERNEL);
}

/* Not identical to site a: the compiler would merge them. */
static noinline void *gm_prof_site_b(size_t size)
{
	return gomalloc(size, GFP_KERNEL | __GFP_NOWARN);
}

static noinline void *gm_prof_site_tiny(size_t size)
{
	return gomalloc_tiny(size, GFP_KERNEL);
}

/* Free @p, sampled; its stack's free counts must move by one object of @size. */
static void gm_prof_expect_free(struct kunit *test, void *p, size_t size,
				void (*free_fn)(void *p, void *arg), void *arg)
{
	struct gm_prof_record before, after;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_TRUE_MSG(test, gm_prof_lookup(p, &before),
			      "object of %zu bytes not sampled at rate 1", size);
	KUNIT_EXPECT_EQ(test, before.size, (unsigned long)size);
	free_fn(p, arg);
	KUNIT_EXPECT_FALSE_MSG(test, gm_prof_lookup(p, &after),
			       "freed object of %zu bytes still sampled", size);
	KUNIT_ASSERT_TRUE(test, gm_prof_bucket(before.bucket, &after));
	KUNIT_EXPECT_EQ(test, after.free_objects, before.free_objects + 1);
	KUNIT_EXPECT_EQ(test, after.free_bytes, before.free_bytes + (long)size);
	KUNIT_EXPECT_GE(test, after.alloc_objects, before.alloc_objects);
}

static void gm_prof_gofree(void *p, void *arg)
{
	gofree(p);
}

static void gm_prof_cache_free(void *p, void *arg)
{
	gomalloc_cache_free(arg, p);
}

static void gm_prof_bulk_free(void *p, void *arg)
{
	gofree_bulk(1, &p);
}

/* A sampled object's free is found: small, tiny, large, typed, bulk. */
static void gm_prof_test_free(struct kunit *test)
{
	struct gomalloc_cache *c;
	void *p;

	gm_prof_expect_free(test, gm_prof_site_a(100), 100, gm_prof_gofree, NULL);
	gm_prof_expect_free(test, gm_prof_site_a(4096), 4096, gm_prof_bulk_free, NULL);
	gm_prof_expect_free(test, gm_prof_site_tiny(5), 5, gm_prof_gofree, NULL);
	gm_prof_expect_free(test, gm_prof_site_a(100000), 100000, gm_prof_gofree, NULL);
	c = gomalloc_cache_create("gm_prof_kunit", 72, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	p = gomalloc_cache_alloc(c, GFP_KERNEL);
	gm_prof_expect_free(test, p, 72, gm_prof_cache_free, c);
	gomalloc_cache_destroy(c);
}

/* One bucket per distinct stack: a loop at one call site shares one. */
static void gm_prof_test_dedup(struct kunit *test)
{
	struct gm_prof_record ra, rb, r;
	void *a[8], *b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = gm_prof_site_a(256);
		KUNIT_ASSERT_NOT_NULL(test, a[i]);
	}
	b = gm_prof_site_b(256);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_TRUE(test, gm_prof_lookup(a[0], &ra));
	for (i = 1; i < ARRAY_SIZE(a); i++) {
		KUNIT_ASSERT_TRUE(test, gm_prof_lookup(a[i], &r));
		KUNIT_EXPECT_EQ(test, r.bucket, ra.bucket);
	}
	KUNIT_EXPECT_GE(test, ra.alloc_objects, (long)ARRAY_SIZE(a));
	KUNIT_ASSERT_TRUE(test, gm_prof_lookup(b, &rb));
	KUNIT_EXPECT_NE(test, rb.bucket, ra.bucket);
	for (i = 0; i < ARRAY_SIZE(a); i++)
		gofree(a[i]);
	gofree(b);
	KUNIT_ASSERT_TRUE(test, gm_prof_bucket(ra.bucket, &r));
	KUNIT_EXPECT_EQ(test, r.alloc_objects - r.free_objects,
			ra.alloc_objects - ra.free_objects - (long)ARRAY_SIZE(a));
}

/* More live samples than the cap: the excess dropped and counted, all freed. */
static void gm_prof_test_cap(struct kunit *test)
{
	const unsigned int n = GM_PROF_MAX_OBJECTS + 200;
	unsigned long stacks, objs0, objs, drop0, drop;
	unsigned int i;
	void **p;

	p = kvcalloc(n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gm_prof_counts(&stacks, &objs0, &drop0);
	for (i = 0; i < n; i++) {
		p[i] = gm_prof_site_a(48);
		if (!p[i])
			break;
		if (!(i % 1024))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, i, n);
	gm_prof_counts(&stacks, &objs, &drop);
	kunit_info(test, "%u objects: %lu sampled live (cap %u), %lu dropped\n",
		   n, objs, GM_PROF_MAX_OBJECTS, drop - drop0);
	KUNIT_EXPECT_EQ(test, objs, (unsigned long)GM_PROF_MAX_OBJECTS);
	KUNIT_EXPECT_GE(test, drop - drop0, (unsigned long)(n - (GM_PROF_MAX_OBJECTS - objs0)));
	KUNIT_EXPECT_LE(test, stacks, (unsigned long)GM_PROF_MAX_STACKS);
	while (i--)
		gofree(p[i]);
	gm_prof_counts(&stacks, &objs, &drop);
	KUNIT_EXPECT_LE(test, objs, objs0);
	kvfree(p);
}

static struct kunit_case gm_prof_cases[] = {
	KUNIT_CASE(gm_prof_test_mean),
	KUNIT_CASE(gm_prof_test_free),
	KUNIT_CASE(gm_prof_test_dedup),
	KUNIT_CASE(gm_prof_test_cap),
	{}
};

struct kunit_suite gm_prof_suite = {
	.name = "gomalloc_profile",
	.init = gm_prof_init_case,
	.exit = gm_prof_exit_case,
	.test_cases = gm_prof_cases,
};
