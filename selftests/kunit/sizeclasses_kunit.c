// SPDX-License-Identifier: GPL-2.0
// KUnit checks of the generated size-class tables against the rules they were built by.

#include <kunit/test.h>
#include <linux/log2.h>
#include <asm/page.h>
#include "gm_kunit.h"
#include "sizeclasses.h"

/* Report at most this many bad entries per case, so a broken table stays readable. */
#define GM_SC_MAX_REPORTS 8

static unsigned long gm_sc_span_bytes(unsigned int c)
{
	return (unsigned long)gm_class_to_npages[c] * PAGE_SIZE;
}

/* The reference the tables are checked against: the first class that fits. */
static unsigned int gm_sc_linear_search(size_t size)
{
	unsigned int c;

	for (c = 1; c < GM_NUM_SIZE_CLASSES; c++)
		if (gm_class_to_size[c] >= size)
			return c;
	return 0;
}

static void gm_sizeclass_test_sizes_grow(struct kunit *test)
{
	unsigned int c;

	KUNIT_EXPECT_EQ(test, gm_class_to_size[0], 0U);
	KUNIT_EXPECT_EQ(test, gm_class_to_size[GM_NUM_SIZE_CLASSES - 1],
			(u32)GM_MAX_SMALL_SIZE);
	for (c = 1; c < GM_NUM_SIZE_CLASSES; c++) {
		u32 size = gm_class_to_size[c];

		KUNIT_EXPECT_GT_MSG(test, size, gm_class_to_size[c - 1],
				    "class %u does not grow", c);
		KUNIT_EXPECT_EQ_MSG(test, size % 8, 0U,
				    "class %u (%u bytes) is not a multiple of 8", c, size);
	}
}

static void gm_sizeclass_test_lookup(struct kunit *test)
{
	unsigned int bad = 0;
	size_t size;

	/* Every size must have a class, or the search below would return 0. */
	KUNIT_ASSERT_EQ(test, gm_class_to_size[GM_NUM_SIZE_CLASSES - 1],
			(u32)GM_MAX_SMALL_SIZE);
	/* Callers handle 0 themselves; the tables just must not fault. */
	KUNIT_EXPECT_EQ(test, gm_size_to_class(0), 1U);

	for (size = 1; size <= GM_MAX_SMALL_SIZE; size++) {
		unsigned int want = gm_sc_linear_search(size);
		unsigned int got = gm_size_to_class(size);

		if (got == want)
			continue;
		KUNIT_FAIL(test, "size %zu: class %u, smallest fit is class %u",
			   size, got, want);
		if (++bad == GM_SC_MAX_REPORTS)
			break;
	}
}

static void gm_sizeclass_test_tail_waste(struct kunit *test)
{
	unsigned int c, max_pages = 0;

	for (c = 1; c < GM_NUM_SIZE_CLASSES; c++) {
		unsigned long span = gm_sc_span_bytes(c);
		u32 size = gm_class_to_size[c];

		KUNIT_EXPECT_GE_MSG(test, gm_class_to_npages[c], 1,
				    "class %u has no pages", c);
		KUNIT_EXPECT_LE_MSG(test, gm_class_to_npages[c], GM_MAX_SPAN_PAGES,
				    "class %u has too many pages", c);
		if (gm_class_to_npages[c] > max_pages)
			max_pages = gm_class_to_npages[c];
		if (!size)
			continue;
		KUNIT_EXPECT_LE_MSG(test, span % size, span / 8,
				    "class %u (%u bytes): tail of its %lu-byte span over 1/8",
				    c, size, span);
	}
	KUNIT_EXPECT_EQ(test, max_pages, (unsigned int)GM_MAX_SPAN_PAGES);
}

static void gm_sizeclass_test_pow2_aligned(struct kunit *test)
{
	unsigned int c;
	u32 p;

	for (c = 1; c < GM_NUM_SIZE_CLASSES; c++) {
		u32 size = gm_class_to_size[c];

		if (!is_power_of_2(size))
			continue;
		KUNIT_EXPECT_TRUE_MSG(test, PAGE_SIZE % size == 0 || size % PAGE_SIZE == 0,
				      "class %u (%u bytes) is not naturally aligned", c, size);
	}
	/* A power-of-two request must get a class of exactly its size. */
	for (p = 8; p <= GM_MAX_SMALL_SIZE; p <<= 1)
		KUNIT_EXPECT_EQ_MSG(test, gm_class_to_size[gm_size_to_class(p)], p,
				    "power of two %u has no class of its own", p);
}

static void gm_sizeclass_test_nobjs(struct kunit *test)
{
	unsigned int c;

	KUNIT_EXPECT_EQ(test, gm_class_to_npages[0], 0);
	KUNIT_EXPECT_EQ(test, gm_class_to_nobjs[0], 0);
	for (c = 1; c < GM_NUM_SIZE_CLASSES; c++) {
		u32 size = gm_class_to_size[c];
		unsigned int nobjs = gm_class_to_nobjs[c];

		if (!size)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, (unsigned long)nobjs, gm_sc_span_bytes(c) / size,
				    "class %u (%u bytes)", c, size);
		KUNIT_EXPECT_GE_MSG(test, nobjs, 1U, "class %u (%u bytes)", c, size);
		KUNIT_EXPECT_LE_MSG(test, nobjs, (unsigned int)GM_MAX_OBJS_PER_SPAN,
				    "class %u (%u bytes)", c, size);
	}
}

/*
 * The merge rule: a size that would give the same pages and objects per span
 * as the class before it replaces that class, so no two neighbours share
 * both figures (the larger size wastes nothing more).
 */
static void gm_sizeclass_test_merged(struct kunit *test)
{
	unsigned int c;

	for (c = 2; c < GM_NUM_SIZE_CLASSES; c++)
		KUNIT_EXPECT_FALSE_MSG(test,
				       gm_class_to_npages[c] == gm_class_to_npages[c - 1] &&
				       gm_class_to_nobjs[c] == gm_class_to_nobjs[c - 1],
				       "classes %u and %u (%u and %u bytes) should have been merged",
				       c - 1, c, gm_class_to_size[c - 1], gm_class_to_size[c]);
}

static void gm_sizeclass_test_divmul(struct kunit *test)
{
	unsigned int c;

	for (c = 1; c < GM_NUM_SIZE_CLASSES; c++) {
		u32 size = gm_class_to_size[c];
		u64 divmul = gm_class_to_divmul[c];
		u32 span = gm_sc_span_bytes(c);
		u32 off;

		if (!size)
			continue;
		for (off = 0; off < span; off++) {
			u32 got = (off * divmul) >> 32;

			if (got == off / size)
				continue;
			KUNIT_FAIL(test, "class %u (%u bytes): offset %u gives index %u, not %u",
				   c, size, off, got, off / size);
			break;
		}
	}
}

static struct kunit_case gm_sizeclass_cases[] = {
	KUNIT_CASE(gm_sizeclass_test_sizes_grow),
	KUNIT_CASE(gm_sizeclass_test_lookup),
	KUNIT_CASE(gm_sizeclass_test_tail_waste),
	KUNIT_CASE(gm_sizeclass_test_pow2_aligned),
	KUNIT_CASE(gm_sizeclass_test_nobjs),
	KUNIT_CASE(gm_sizeclass_test_merged),
	KUNIT_CASE(gm_sizeclass_test_divmul),
	{}
};

/* Registered, with the other suites, by gomalloc_kunit.c. */
struct kunit_suite gm_sizeclass_suite = {
	.name = "gomalloc_sizeclasses",
	.test_cases = gm_sizeclass_cases,
};
