// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_kunit.ko: KUnit suites for gomalloc's internals (exported to this
 * module only, in the GOMALLOC_INTERNAL namespace, in KUnit builds). This
 * file registers the suites and holds the page-level ones: fixalloc, mheap,
 * the arena index, pageCache, large objects.
 */
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "mem.h"
#include "mreport.h"
#include "gm_kunit.h"
#include "mcache.h"
#include "mcentral.h"
#include "mheap.h"
#include "mpagecache.h"
#include "mscavenge.h"

MODULE_IMPORT_NS(GM_NS_INTERNAL);

static unsigned long gm_kunit_saved_retain;

static unsigned long gm_held(void)
{
	return READ_ONCE(gm_heap.pages_held);
}

/*
 * Fixture: no scavenger, nothing retained, every cache drained and every
 * free arena returned: the heap holds only what live objects need (none,
 * between tests), so layouts below are deterministic.
 */
int gm_kunit_quiet_init(struct kunit *test)
{
	gm_scavenge_pause();
	gm_kunit_saved_retain = gm_retain_pages;
	WRITE_ONCE(gm_retain_pages, 0);
	gm_reclaim(true);
	gm_pagecache_flush_all();
	gm_heap_release(0);
	rcu_barrier();	/* index pages freed by the release are gone */
	KUNIT_ASSERT_EQ_MSG(test, gm_held(), 0UL, "heap not empty: live objects left");
	return 0;
}

void gm_kunit_quiet_exit(struct kunit *test)
{
	WRITE_ONCE(gm_grow_max_order, GM_MAX_ORDER);
	gm_reclaim(true);
	gm_pagecache_flush_all();
	gm_heap_release(0);
	rcu_barrier();
	KUNIT_EXPECT_EQ_MSG(test, gm_held(), 0UL, "test left pages in the heap");
	WRITE_ONCE(gm_retain_pages, gm_kunit_saved_retain);
	gm_scavenge_resume();
}

/* ---- fixalloc ---- */

static void gm_test_fixalloc_reuse(struct kunit *test)
{
	void **objs = kunit_kcalloc(test, 200, sizeof(void *), GFP_KERNEL);
	unsigned int i, per_chunk = GM_FIXALLOC_CHUNK / 200;
	struct gm_fixalloc f;
	void *again;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	gm_fixalloc_init(&f, "test", 197);	/* rounded up to 200 */
	KUNIT_EXPECT_EQ(test, f.size, (size_t)200);
	for (i = 0; i < 200; i++) {
		objs[i] = gm_fixalloc_alloc(&f, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		KUNIT_EXPECT_TRUE(test, !memchr_inv(objs[i], 0, 200));
		memset(objs[i], 0xa5, 200);
	}
	KUNIT_EXPECT_EQ(test, gm_fixalloc_bytes(&f),
			DIV_ROUND_UP(200UL, per_chunk) * GM_FIXALLOC_CHUNK);
	KUNIT_EXPECT_EQ(test, f.inuse, 200UL);
	gm_fixalloc_free(&f, objs[17]);
	gm_fixalloc_free(&f, objs[42]);
	again = gm_fixalloc_alloc(&f, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, again, objs[42]);	/* LIFO */
	KUNIT_EXPECT_TRUE(test, !memchr_inv(again, 0, 200));	/* zeroed */
	again = gm_fixalloc_alloc(&f, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, again, objs[17]);
	KUNIT_EXPECT_EQ(test, gm_fixalloc_bytes(&f),
			DIV_ROUND_UP(200UL, per_chunk) * GM_FIXALLOC_CHUNK);
	gm_fixalloc_destroy(&f);
	KUNIT_EXPECT_EQ(test, gm_fixalloc_bytes(&f), 0UL);
}

/* ---- mheap ---- */

/* A span of @npages from the heap (or @pcache: the pageCache), published. */
static struct gm_mspan *gm_test_span_from(struct kunit *test, unsigned int npages,
					  bool pcache)
{
	struct gm_mspan *s = pcache ? gm_pagecache_alloc_span(npages, 1, GFP_KERNEL) :
				      gm_heap_alloc(npages, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, s->npages, npages);
	s->nelems = 1;
	gm_heap_publish(s, GM_SPAN_LARGE);
	return s;
}

static struct gm_mspan *gm_test_span(struct kunit *test, unsigned int npages)
{
	return gm_test_span_from(test, npages, false);
}

static struct gm_mspan *gm_test_free_run(unsigned long p)
{
	struct gm_mspan *s = gm_span_entry(p);

	return s && s->state == GM_SPAN_FREE ? s : NULL;
}

static void gm_test_heap_coalesce(struct kunit *test)
{
	struct gm_mspan *a, *b, *c, *f;
	unsigned long base;

	a = gm_test_span(test, 16);
	base = a->base;
	KUNIT_EXPECT_EQ(test, gm_held(), GM_ARENA_PAGES);
	KUNIT_EXPECT_EQ(test, gm_heap.narenas, 1UL);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(base, GM_ARENA_PAGES << PAGE_SHIFT));
	b = gm_test_span(test, 16);
	c = gm_test_span(test, 16);
	/* Best fit, lowest address: consecutive runs. */
	KUNIT_EXPECT_EQ(test, b->base, base + 16 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, c->base, base + 32 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, gm_heap.pages_free, GM_ARENA_PAGES - 48);

	gm_heap_free(b);
	f = gm_test_free_run(base + 16 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->npages, 16U);
	gm_heap_free(a);		/* merges with b's run */
	f = gm_test_free_run(base);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->npages, 32U);
	KUNIT_EXPECT_PTR_EQ(test, gm_span_entry(base + 31 * PAGE_SIZE), f);
	gm_heap_free(c);		/* merges both sides: the whole arena */
	f = gm_test_free_run(base);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->npages, (unsigned int)GM_ARENA_PAGES);
	KUNIT_EXPECT_EQ(test, gm_heap.pages_free, GM_ARENA_PAGES);
	/* A wholly free arena goes back; then the index forgets it. */
	KUNIT_EXPECT_EQ(test, gm_heap_release(0), GM_ARENA_PAGES);
	KUNIT_EXPECT_EQ(test, gm_held(), 0UL);
	KUNIT_EXPECT_NULL(test, gm_span_entry(base));
}

static void gm_test_heap_fragmentation(struct kunit *test)
{
	struct gm_mspan *runs[30], *big, *big2;
	unsigned long base;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(runs); i++)
		runs[i] = gm_test_span(test, 16);
	base = runs[0]->base;
	for (i = 0; i < ARRAY_SIZE(runs); i += 2) {
		gm_heap_free(runs[i]);
		runs[i] = NULL;
	}
	/* 15 holes of 16 pages: a 32-page run must come from the tail. */
	big = gm_test_span(test, 32);
	KUNIT_EXPECT_EQ(test, big->base, base + 480 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, gm_heap.narenas, 1UL);
	/* No 32-page hole left: a second arena, holes still unused. */
	big2 = gm_test_span(test, 32);
	KUNIT_EXPECT_EQ(test, gm_heap.narenas, 2UL);
	KUNIT_EXPECT_EQ(test, gm_heap.pages_free, 15 * 16 + GM_ARENA_PAGES - 32);
	/* A 16-page request fills the lowest hole. */
	runs[0] = gm_test_span(test, 16);
	KUNIT_EXPECT_EQ(test, runs[0]->base, base);
	for (i = 0; i < ARRAY_SIZE(runs); i++)
		if (runs[i])
			gm_heap_free(runs[i]);
	gm_heap_free(big);
	gm_heap_free(big2);
	KUNIT_EXPECT_EQ(test, gm_heap.pages_free, gm_held());
	KUNIT_EXPECT_EQ(test, gm_heap_release(0), 2 * GM_ARENA_PAGES);
}

static void gm_test_heap_fallback(struct kunit *test)
{
	struct gm_mspan *s;

	/* Orders above 5 fail: the heap falls back to a 32-page arena. */
	WRITE_ONCE(gm_grow_max_order, 5);
	s = gm_test_span(test, 20);
	KUNIT_EXPECT_EQ(test, gm_held(), 32UL);
	KUNIT_EXPECT_EQ(test, gm_heap.narenas, 1UL);
	/* Orders above 3 fail: a 20-page span cannot be served. */
	WRITE_ONCE(gm_grow_max_order, 3);
	KUNIT_EXPECT_NULL(test, gm_heap_alloc(20, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_EQ(test, gm_held(), 32UL);
	WRITE_ONCE(gm_grow_max_order, GM_MAX_ORDER);
	gm_heap_free(s);
	/* The heap works again afterwards. */
	s = gm_test_span(test, 64);
	gm_heap_free(s);
}

/* An aligned run: head and tail back in the tree, merged again on free. */
static void gm_test_heap_aligned(struct kunit *test)
{
	struct gm_mspan *a, *b, *c, *f;
	unsigned long base;

	a = gm_test_span(test, 40);
	base = a->base;
	b = gm_heap_alloc_aligned(64, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	b->nelems = 1;
	gm_heap_publish(b, GM_SPAN_LARGE);
	KUNIT_EXPECT_EQ(test, b->base, base + 64 * PAGE_SIZE);
	f = gm_test_free_run(base + 40 * PAGE_SIZE);		/* head */
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->npages, 24U);
	f = gm_test_free_run(base + 128 * PAGE_SIZE);		/* tail */
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->npages, (unsigned int)GM_ARENA_PAGES - 128);
	KUNIT_EXPECT_EQ(test, gm_heap.pages_free, GM_ARENA_PAGES - 104);
	/* The 24-page head at 40 holds 16 pages aligned to 16: at 48. */
	c = gm_heap_alloc_aligned(16, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->nelems = 1;
	gm_heap_publish(c, GM_SPAN_LARGE);
	KUNIT_EXPECT_EQ(test, c->base, base + 48 * PAGE_SIZE);
	f = gm_test_free_run(base + 40 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->npages, 8U);
	KUNIT_EXPECT_EQ(test, gm_heap.narenas, 1UL);
	gm_heap_free(b);
	gm_heap_free(c);
	f = gm_test_free_run(base + 40 * PAGE_SIZE);		/* all merged */
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->npages, (unsigned int)GM_ARENA_PAGES - 40);
	gm_heap_free(a);
	KUNIT_EXPECT_EQ(test, gm_heap.pages_free, GM_ARENA_PAGES);
	/* A whole free arena is an aligned run of its own size. */
	b = gm_heap_alloc_aligned(GM_ARENA_PAGES, GM_ARENA_PAGES, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, b->base, base);
	KUNIT_EXPECT_EQ(test, gm_heap.narenas, 1UL);
	gm_heap_free(b);
}

/* pages_held equals the pages the arenas really took from the buddy allocator. */
static void gm_test_heap_pages_held_exact(struct kunit *test)
{
	struct gm_mspan *s[5];
	struct gm_arena *a;
	unsigned long sum = 0, flags;
	unsigned int i;
	size_t fix;

	for (i = 0; i < ARRAY_SIZE(s); i++)
		s[i] = gm_test_span(test, 100 + 150 * i);
	spin_lock_irqsave(&gm_heap.lock, flags);
	list_for_each_entry(a, &gm_heap.arenas, list) {
		sum += a->npages;
		KUNIT_EXPECT_EQ(test, a->npages, 1U << a->order);
		KUNIT_EXPECT_FALSE(test, PageBuddy(a->page));
		KUNIT_EXPECT_EQ(test, a->base, (unsigned long)page_address(a->page));
	}
	spin_unlock_irqrestore(&gm_heap.lock, flags);
	KUNIT_EXPECT_EQ(test, sum, gm_held());
	KUNIT_EXPECT_EQ(test, gm_heap.pages_free + 100 + 250 + 400 + 550 + 700, gm_held());
	/* Against the pages counted at the alloc_pages()/free calls. */
	fix = gm_fixalloc_bytes(&gm_heap.spanalloc) + gm_fixalloc_bytes(&gm_heap.arenaalloc) +
	      gm_fixalloc_bytes(&gm_heap.cachealloc) + gm_fixalloc_bytes(&gm_heap.tinyalloc);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_buddy_pages),
			(long)(gm_held() + gm_heap.meta_pages + (fix >> PAGE_SHIFT)));
	for (i = 0; i < ARRAY_SIZE(s); i++)
		gm_heap_free(s[i]);
}

/* ---- the arena index ---- */

static void gm_test_span_of(struct kunit *test)
{
	char on_stack[32];
	void *k = kmalloc(64, GFP_KERNEL), *v = vmalloc(PAGE_SIZE);
	struct gm_mspan *s;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, v);
	p = gm_mcache_large_alloc(100000, GFP_KERNEL, _THIS_IP_);
	KUNIT_ASSERT_NOT_NULL(test, p);
	s = gm_span_of(p);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, s->state, (u8)GM_SPAN_LARGE);
	KUNIT_EXPECT_PTR_EQ(test, gm_span_of(p + 5000), s);	/* interior */
	KUNIT_EXPECT_PTR_EQ(test, gm_span_of(p + 100000 - 1), s);
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(p), 25 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(p + 8), (size_t)0);
	/* Past the end: free pages of the same arena are nobody's. */
	KUNIT_EXPECT_NULL(test, gm_span_of(p + 25 * PAGE_SIZE));
	KUNIT_EXPECT_NULL(test, gm_span_of(NULL));
	KUNIT_EXPECT_NULL(test, gm_span_of(ZERO_SIZE_PTR));
	KUNIT_EXPECT_NULL(test, gm_span_of((void *)0x10000));	/* user */
	KUNIT_EXPECT_NULL(test, gm_span_of(on_stack));
	KUNIT_EXPECT_NULL(test, gm_span_of(k));
	KUNIT_EXPECT_NULL(test, gm_span_of(v));
	KUNIT_EXPECT_NULL(test, gm_span_of(gm_test_span_of));	/* module text */
	KUNIT_EXPECT_NULL(test, gm_span_of(ERR_PTR(-EINVAL)));
	KUNIT_EXPECT_NULL(test, gm_span_of((void *)~0UL));
	gm_mcache_large_free(s, 0);
	KUNIT_EXPECT_NULL(test, gm_span_of(p));
	kfree(k);
	vfree(v);
}

/* ---- pageCache ---- */

static void gm_test_pagecache_find_run(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0x7, 3, 1), 0);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0x7, 4, 1), -1);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0xf0, 4, 1), 4);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0xf0f3, 3, 1), 4);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(~0ULL, 64, 1), 0);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0x5555555555555555ULL, 2, 1), -1);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(1ULL << 63, 1, 1), 63);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0, 1, 1), -1);
	/* Aligned: the index a multiple of the alignment. */
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(~0ULL, 2, 2), 0);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(~1ULL, 2, 2), 2);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0x3c, 2, 4), 4);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0x1e, 2, 4), -1);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0xff0, 8, 8), -1);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0xff0ff0ULL, 8, 8), 16);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(0xff00, 8, 8), 8);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(~0ULL << 32, 4, 32), 32);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(~0ULL, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(~1ULL, 1, 64), -1);
	KUNIT_EXPECT_EQ(test, gm_pagecache_find_run(~0ULL, 1, 3), -1);
}

static void gm_test_pagecache_alloc_flush(struct kunit *test)
{
	struct gm_mspan *a, *b, *blk;
	unsigned int cpu;

	migrate_disable();
	cpu = smp_processor_id();
	a = gm_test_span_from(test, 4, true);	/* cut from this CPU's pageCache */
	b = gm_test_span_from(test, 8, true);
	KUNIT_EXPECT_EQ(test, b->base, a->base + 4 * PAGE_SIZE);
	blk = gm_span_entry(a->base + 12 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, blk);
	KUNIT_EXPECT_EQ(test, blk->state, (u8)GM_SPAN_PCACHE);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(blk->base, GM_PCACHE_PAGES * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, gm_pagecache_free_pages(), 52UL);
	/* The heap itself gave the cache 64 pages. */
	KUNIT_EXPECT_EQ(test, gm_heap.pages_free, GM_ARENA_PAGES - 64);
	gm_pagecache_flush(cpu);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, gm_pagecache_free_pages(), 0UL);
	KUNIT_EXPECT_EQ(test, gm_heap.pages_free, GM_ARENA_PAGES - 12);
	gm_heap_free(a);
	gm_heap_free(b);
	KUNIT_EXPECT_EQ(test, gm_heap.pages_free, GM_ARENA_PAGES);
}

/*
 * Memory the index cannot cover (above 64 TiB of direct map; here: all of
 * it): growth fails, at most GM_UNINDEXED_MAX blocks are held back instead
 * of taken and freed again on every request, and pressure gives them back.
 */
static void gm_test_heap_unindexed(struct kunit *test)
{
	unsigned long limit = gm_index_limit;
	long buddy = atomic_long_read(&gm_buddy_pages);
	unsigned int i;

	WRITE_ONCE(gm_index_limit, 0);
	for (i = 0; i < 3 * GM_UNINDEXED_MAX; i++)
		KUNIT_EXPECT_NULL(test, gomalloc(64, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_EQ(test, gm_heap.nunindexed, (unsigned int)GM_UNINDEXED_MAX);
	KUNIT_EXPECT_EQ(test, gm_heap.pages_held, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_buddy_pages) - buddy,
			(long)gm_heap.unindexed_pages);
	WRITE_ONCE(gm_index_limit, limit);
	gm_heap_release(0);	/* the scavenger's release keeps them */
	KUNIT_EXPECT_EQ(test, gm_heap.nunindexed, (unsigned int)GM_UNINDEXED_MAX);
	gm_heap_release_unindexed();	/* pressure or unload */
	KUNIT_EXPECT_EQ(test, gm_heap.nunindexed, 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_buddy_pages), buddy);
	gofree(gomalloc(64, GFP_KERNEL));	/* the heap grows again */
}

/* What reaches the buddy allocator of a caller's gfp (gm_arena_gfp). */
static void gm_test_arena_gfp(struct kunit *test)
{
	gfp_t g;

	/* GFP_ATOMIC's 2 MiB attempt: no reserves, no reclaim, no warning. */
	g = gm_arena_gfp(GFP_ATOMIC, true);
	KUNIT_EXPECT_FALSE(test, g & (__GFP_HIGH | __GFP_MEMALLOC | __GFP_RECLAIM));
	KUNIT_EXPECT_TRUE(test, (g & (__GFP_NOMEMALLOC | __GFP_NOWARN | __GFP_NORETRY)) ==
				(__GFP_NOMEMALLOC | __GFP_NOWARN | __GFP_NORETRY));
	/* Its fallback at the needed order keeps them. */
	KUNIT_EXPECT_TRUE(test, gm_arena_gfp(GFP_ATOMIC, false) & __GFP_HIGH);
	/* __GFP_NOFAIL: never on the opportunistic attempt, nor direct reclaim. */
	g = gm_arena_gfp(GFP_KERNEL | __GFP_NOFAIL, true);
	KUNIT_EXPECT_FALSE(test, g & (__GFP_NOFAIL | __GFP_DIRECT_RECLAIM));
	KUNIT_EXPECT_TRUE(test, gm_arena_gfp(GFP_KERNEL | __GFP_NOFAIL, false) & __GFP_NOFAIL);
	/* Shared pages: never movable, accounted, zeroed or from a zone. */
	g = gm_arena_gfp(GFP_HIGHUSER_MOVABLE | __GFP_ACCOUNT | __GFP_ZERO | __GFP_DMA32, false);
	KUNIT_EXPECT_FALSE(test, g & (__GFP_MOVABLE | __GFP_HIGHMEM | __GFP_ACCOUNT |
				       __GFP_ZERO | __GFP_DMA32 | __GFP_DMA));
	KUNIT_EXPECT_TRUE(test, g & __GFP_DIRECT_RECLAIM);
}

/*
 * A __GFP_MOVABLE request grows the heap outside ZONE_MOVABLE (the debug
 * guest boots with movablecore=, which the page allocator would otherwise
 * fill first with such a request).
 */
static void gm_test_arena_not_movable(struct kunit *test)
{
	struct page *probe = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
	bool movable = probe && page_zonenum(probe) == ZONE_MOVABLE;
	void *p;

	if (probe)
		__free_page(probe);
	if (!movable)
		kunit_skip(test, "no ZONE_MOVABLE (boot with movablecore=)");
	p = gomalloc(64, GFP_HIGHUSER_MOVABLE);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NE(test, page_zonenum(virt_to_page(p)), ZONE_MOVABLE);
	gofree(p);
	p = gomalloc(100000, GFP_KERNEL | __GFP_MOVABLE);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NE(test, page_zonenum(virt_to_page(p)), ZONE_MOVABLE);
	gofree(p);
}

/* Pages of the index's first level (L2 tables), which stay while loaded. */
static unsigned long gm_l2_pages(void)
{
	unsigned long i, n = 0;

	for (i = 0; i < GM_L1_ENTRIES; i++)
		if (READ_ONCE(gm_index_l1[i]) != gm_l2_none)
			n += 1UL << GM_L2_ORDER;
	return n;
}

/*
 * A region's index page goes with the last arena in it, after a grace
 * period; a stray pointer into the region meanwhile and after is only
 * "not ours".
 */
static void gm_test_heap_index_freed(struct kunit *test)
{
	long inv = atomic_long_read(&gm_errors.invalid_frees);
	void *p;

	/* The fixture emptied the heap: no region page is left. */
	KUNIT_EXPECT_EQ(test, gm_heap.meta_pages, gm_l2_pages());
	p = gomalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_GT(test, gm_heap.meta_pages, gm_l2_pages());
	KUNIT_EXPECT_TRUE(test, gm_heap_owns_range((unsigned long)p));
	gofree(p);
	gm_reclaim(true);
	gm_pagecache_flush_all();
	gm_heap_release(0);
	KUNIT_EXPECT_EQ(test, gm_held(), 0UL);
	KUNIT_EXPECT_FALSE(test, gm_heap_owns_range((unsigned long)p));
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(p), (size_t)0);
	gofree(p);	/* reported: not gomalloc memory */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.invalid_frees), inv + 1);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, gm_heap.meta_pages, gm_l2_pages());
}

static struct kunit_case gm_heap_cases[] = {
	KUNIT_CASE(gm_test_fixalloc_reuse),
	KUNIT_CASE(gm_test_heap_coalesce),
	KUNIT_CASE(gm_test_heap_fragmentation),
	KUNIT_CASE(gm_test_heap_fallback),
	KUNIT_CASE(gm_test_heap_aligned),
	KUNIT_CASE(gm_test_heap_pages_held_exact),
	KUNIT_CASE(gm_test_span_of),
	KUNIT_CASE(gm_test_pagecache_find_run),
	KUNIT_CASE(gm_test_pagecache_alloc_flush),
	KUNIT_CASE(gm_test_heap_unindexed),
	KUNIT_CASE(gm_test_arena_gfp),
	KUNIT_CASE(gm_test_heap_index_freed),
	KUNIT_CASE(gm_test_arena_not_movable),
	{}
};

struct kunit_suite gm_heap_suite = {
	.name = "gomalloc_heap",
	.init = gm_kunit_quiet_init,
	.exit = gm_kunit_quiet_exit,
	.test_cases = gm_heap_cases,
};

kunit_test_suites(&gm_sizeclass_suite, &gm_heap_suite, &gm_object_suite, &gm_debug_suite,
		  &gm_race_suite, &gm_cache_suite, &gm_rcu_suite, &gm_prof_suite);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("gomalloc developers");
MODULE_DESCRIPTION("KUnit tests for gomalloc's internals");
