// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: basic, large and align: every size on one CPU, its usable
 * size, zeroing, contents and alignment, gorealloc, LIFO reuse, tiny objects.
 */
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

#define GT_PER_SIZE	64

void gt_basic(void)
{
	static void *objs[GT_PER_SIZE];
	size_t i, j, sz;
	void *p, *q;

	GT_CHECK(gomalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR, "gomalloc(0)");
	gofree(NULL);
	gofree(ZERO_SIZE_PTR);
	GT_CHECK(gomalloc_usable_size(NULL) == 0, "usable(NULL)");

	for (i = 0; i < gt_nr_sizes; i++) {
		sz = gt_sizes[i];
		for (j = 0; j < GT_PER_SIZE; j++) {
			p = gomalloc(sz, GFP_KERNEL | (j & 1 ? __GFP_ZERO : 0));
			objs[j] = p;
			GT_CHECK(p, "gomalloc(%zu) failed", sz);
			if (!p)
				continue;
			GT_CHECK(IS_ALIGNED((unsigned long)p, 8), "%zu: %p unaligned", sz, p);
			if (is_power_of_2(sz))
				GT_CHECK(IS_ALIGNED((unsigned long)p, sz),
					 "%zu: %p not naturally aligned", sz, p);
			GT_CHECK(gomalloc_usable_size(p) >= sz, "usable(%zu) = %zu", sz,
				 gomalloc_usable_size(p));
			if (j & 1)
				GT_CHECK(!memchr_inv(p, 0, sz), "__GFP_ZERO(%zu) not zeroed", sz);
			gt_fill(p, gomalloc_usable_size(p), j);
		}
		for (j = 0; j < GT_PER_SIZE; j++) {
			if (!objs[j])
				continue;
			GT_CHECK(gt_verify(objs[j], gomalloc_usable_size(objs[j]), j),
				 "size %zu object %zu corrupted", sz, j);
			gofree(objs[j]);
		}
		/*
		 * LIFO: an allocation right after a free gets the object back,
		 * on the same CPU: all three calls in one pinned section (a
		 * migration after the first made the free remote).
		 */
		gt_pin(false);
		p = gomalloc(sz, GFP_ATOMIC);
		gofree(p);
		q = gomalloc(sz, GFP_ATOMIC);
		gt_unpin(false);
		GT_CHECK(p == q, "size %zu: freed %p, got %p back", sz, p, q);
		gofree(q);
	}

	/* gorealloc keeps the contents and frees the old object. */
	p = gomalloc(40, GFP_KERNEL);
	GT_CHECK(p, "gomalloc(40)");
	if (p) {
		for (i = 0; i < 40; i++)	/* a pattern that moves with the data */
			((u8 *)p)[i] = i * 7 + 3;
		q = gorealloc(p, 5000, GFP_KERNEL);
		GT_CHECK(q, "gorealloc grow failed");
		for (i = 0; q && i < 40; i++)
			GT_CHECK(((u8 *)q)[i] == (u8)(i * 7 + 3),
				 "gorealloc grow lost byte %zu", i);
		p = gorealloc(q, 10, GFP_KERNEL);
		GT_CHECK(p == q, "gorealloc shrink moved the object");
		q = gorealloc(p, 0, GFP_KERNEL);
		GT_CHECK(q == ZERO_SIZE_PTR, "gorealloc(p, 0)");
	}
	p = gorealloc(NULL, 100, GFP_KERNEL);
	GT_CHECK(p && gomalloc_usable_size(p) >= 100, "gorealloc(NULL)");
	gofree(p);

	/* Tiny: 1..15 bytes, aligned by the size's low bits. */
	for (sz = 1; sz <= GOMALLOC_TINY_MAX; sz++) {
		for (j = 0; j < GT_PER_SIZE; j++) {
			p = gomalloc_tiny(sz, GFP_KERNEL);
			objs[j] = p;
			GT_CHECK(p, "gomalloc_tiny(%zu)", sz);
			if (!p)
				continue;
			if (!(sz & 7))
				GT_CHECK(IS_ALIGNED((unsigned long)p, 8), "tiny %zu align", sz);
			else if (!(sz & 3))
				GT_CHECK(IS_ALIGNED((unsigned long)p, 4), "tiny %zu align", sz);
			else if (!(sz & 1))
				GT_CHECK(IS_ALIGNED((unsigned long)p, 2), "tiny %zu align", sz);
			GT_CHECK(gomalloc_usable_size(p) == sz, "tiny usable %zu != %zu",
				 gomalloc_usable_size(p), sz);
			gt_fill(p, sz, sz);
		}
		for (j = 0; j < GT_PER_SIZE; j++) {
			if (!objs[j])
				continue;
			GT_CHECK(gt_verify(objs[j], sz, sz), "tiny %zu corrupted", sz);
			gofree(objs[j]);
		}
	}
	p = gomalloc(GOMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN);
	GT_CHECK(!p, "impossible size served");
}

void gt_large(void)
{
	static const size_t sizes[] = { 32769, 65536, 100000, 262144, 1048576,
					2 << 20, GOMALLOC_MAX_SIZE };
	void *objs[ARRAY_SIZE(sizes)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		objs[i] = gomalloc(sizes[i], GFP_KERNEL | __GFP_ZERO);
		GT_CHECK(objs[i], "large %zu failed", sizes[i]);
		if (!objs[i])
			continue;
		GT_CHECK(IS_ALIGNED((unsigned long)objs[i], PAGE_SIZE), "large not page-aligned");
		GT_CHECK(!is_power_of_2(sizes[i]) || IS_ALIGNED((unsigned long)objs[i], sizes[i]),
			 "large %zu at %p not naturally aligned", sizes[i], objs[i]);
		GT_CHECK(gomalloc_usable_size(objs[i]) == PAGE_ALIGN(sizes[i]),
			 "large usable %zu", gomalloc_usable_size(objs[i]));
		GT_CHECK(!memchr_inv(objs[i], 0, sizes[i]), "large not zeroed");
		gt_fill(objs[i], sizes[i], 3);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (!objs[i])
			continue;
		GT_CHECK(gt_verify(objs[i], sizes[i], 3), "large %zu corrupted", sizes[i]);
		gofree(objs[i]);
	}
}

/* ---- natural alignment of every power of two, as kmalloc ---- */

#define GT_ALIGN_N	4

/*
 * GT_ALIGN_N objects of every power of two from 8 bytes to
 * GOMALLOC_MAX_SIZE: naturally aligned, usable size, contents kept; then
 * one freed and allocated again (a large one comes from the large cache).
 */
static void gt_align_round(const char *when)
{
	unsigned int i, bad = 0, nobj = 0;
	void *objs[GT_ALIGN_N] = { NULL }, *p;
	unsigned long badsizes = 0;
	size_t sz;

	for (sz = 8; sz <= GOMALLOC_MAX_SIZE; sz <<= 1) {
		for (i = 0; i <= GT_ALIGN_N; i++) {
			p = gomalloc(sz, GFP_KERNEL);
			GT_CHECK(p, "%s: gomalloc(%zu) failed", when, sz);
			if (!p)
				continue;
			nobj++;
			if (!IS_ALIGNED((unsigned long)p, sz)) {
				bad++;
				badsizes |= sz;
			}
			GT_CHECK(IS_ALIGNED((unsigned long)p, sz),
				 "%s: %zu bytes at %p not naturally aligned", when, sz, p);
			GT_CHECK(gomalloc_usable_size(p) >= sz, "%s: usable(%zu) = %zu", when, sz,
				 gomalloc_usable_size(p));
			gt_fill(p, sz, i);
			if (i < GT_ALIGN_N) {
				objs[i] = p;
				continue;
			}
			/* The last one: freed, then its size again (a reused span). */
			gofree(p);
			p = gomalloc(sz, GFP_KERNEL);
			GT_CHECK(p, "%s: gomalloc(%zu) after a free failed", when, sz);
			GT_CHECK(!p || IS_ALIGNED((unsigned long)p, sz),
				 "%s: %zu bytes at %p after a free not aligned", when, sz, p);
			gofree(p);
		}
		for (i = 0; i < GT_ALIGN_N; i++) {
			if (!objs[i])
				continue;
			GT_CHECK(gt_verify(objs[i], sz, i), "%s: %zu bytes corrupted", when, sz);
			gofree(objs[i]);
			objs[i] = NULL;
		}
	}
	pr_info("gomalloc_test: align: %s: %u of %u objects misaligned (sizes %#lx)\n",
		when, bad, nobj, badsizes);
}

void gt_align(void)
{
	static void *frag[24];
	unsigned int i;

	gt_align_round("as found");
	/*
	 * Fragment: 3-page spans (12 KiB objects) and 10-page large objects,
	 * every other pair freed, so free runs start at odd pages.
	 */
	for (i = 0; i < ARRAY_SIZE(frag); i++) {
		frag[i] = gomalloc(i % 2 ? 12288 : 9 * PAGE_SIZE + 8, GFP_KERNEL);
		GT_CHECK(frag[i], "fragmenting allocation %u failed", i);
	}
	for (i = 0; i < ARRAY_SIZE(frag); i += 4) {
		gofree(frag[i]);
		gofree(frag[i + 1]);
		frag[i] = NULL;
		frag[i + 1] = NULL;
	}
	gt_align_round("fragmented");
	for (i = 0; i < ARRAY_SIZE(frag); i++)
		gofree(frag[i]);
	gt_align_round("after the frees");
}
