/* SPDX-License-Identifier: GPL-2.0 */
/* mheap: arenas from the buddy allocator, free page runs, the span index. */
#ifndef _GM_MHEAP_H
#define _GM_MHEAP_H

#include <linux/debugfs.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <gomalloc.h>
#include "fixalloc.h"
#include "mspan.h"

#define GM_ARENA_ORDER		9		/* 2 MiB arenas */
#define GM_ARENA_PAGES		(1UL << GM_ARENA_ORDER)
/* Index granule: one region of the direct map per gm_region page. */
#define GM_REGION_SHIFT		21
#define GM_REGION_PAGES		(1UL << (GM_REGION_SHIFT - PAGE_SHIFT))
/* The index covers the first 64 TiB of the direct map (4-level paging). */
#define GM_INDEX_BITS		(46 - GM_REGION_SHIFT)
#define GM_L2_BITS		13
#define GM_L1_ENTRIES		(1UL << (GM_INDEX_BITS - GM_L2_BITS))
#define GM_L2_ENTRIES		(1UL << GM_L2_BITS)
#define GM_L2_ORDER		get_order(GM_L2_ENTRIES * sizeof(void *))
/* The order of a GOMALLOC_MAX_SIZE block, within the kernel's top order. */
#define GM_MAX_ORDER		(GOMALLOC_MAX_SHIFT - PAGE_SHIFT)

/* A block obtained from alloc_pages(), naturally aligned. */
struct gm_arena {
	unsigned long base;
	unsigned int order;
	unsigned int npages;
	struct page *page;
	struct list_head list;
};

/* Span pointers for every page of one GM_REGION_SHIFT region. */
struct gm_region {
	struct gm_mspan *spans[GM_REGION_PAGES];
};

struct gm_mheap {
	spinlock_t lock;		/* protects all below but the counters */
	struct rb_root free;		/* GM_SPAN_FREE spans by (npages, base) */
	struct list_head arenas;
	unsigned long pages_held;	/* pages obtained from the buddy allocator */
	unsigned long pages_free;	/* of those, in free runs of the tree */
	unsigned long narenas;
	unsigned long meta_pages;	/* index pages (gm_region, L2 tables) */
	unsigned long grow_failures;
	unsigned long injected_failures;	/* by debugfs gomalloc/fail_alloc */
	unsigned long arenas_released;
	struct list_head unindexed;	/* blocks above gm_index_limit, held back */
	unsigned int nunindexed;
	unsigned long unindexed_pages;
	struct gm_fixalloc spanalloc;	/* span descriptors */
	struct gm_fixalloc arenaalloc;	/* arena descriptors */
	struct gm_fixalloc cachealloc;	/* per-CPU mcaches */
	struct gm_fixalloc tinyalloc;	/* tiny block side tables */
};

extern struct gm_mheap gm_heap;
extern struct gm_region **gm_index_l1[GM_L1_ENTRIES];
extern struct gm_region *gm_l2_none[GM_L2_ENTRIES];
extern struct gm_region gm_region_none;
extern unsigned long gm_retain_pages;
extern unsigned int gm_grow_max_order;
extern unsigned long gm_index_limit;
#define GM_UNINDEXED_MAX	8

void gm_heap_init(void);
void gm_heap_exit(void);
void gm_heap_debugfs(struct dentry *dir);
bool gm_heap_should_fail(unsigned int npages, gfp_t gfp);
#ifdef CONFIG_FAULT_INJECTION
#include <linux/fault-inject.h>
extern struct fault_attr gm_fail_alloc;	/* debugfs gomalloc/fail_alloc */
#endif
struct gm_mspan *gm_heap_alloc_aligned(unsigned int npages, unsigned int align, gfp_t gfp);
struct gm_mspan *gm_heap_alloc_span(unsigned int npages, unsigned int align, gfp_t gfp,
				    struct gm_mspan *spare);
void gm_heap_free(struct gm_mspan *s);
void gm_heap_publish(struct gm_mspan *s, enum gm_span_state state);
unsigned long gm_heap_release(unsigned long keep_pages);
unsigned long gm_heap_releasable(unsigned long keep_pages);
unsigned long gm_heap_release_unindexed(void);
struct gm_mspan *gm_heap_alloc_run_locked(unsigned int npages, struct gm_mspan *spare);
struct gm_mspan *gm_heap_alloc_aligned_run_locked(unsigned int npages, unsigned int align,
						  struct gm_mspan *spare,
						  struct gm_mspan **spare2);
void gm_heap_free_run_locked(struct gm_mspan *s);
void gm_heap_set_spans(struct gm_mspan *s, unsigned long base,
		       unsigned int npages);
bool gm_heap_owns_range(unsigned long p);

/* A span of @npages pages, no alignment beyond the page. */
static inline struct gm_mspan *gm_heap_alloc(unsigned int npages, gfp_t gfp)
{
	return gm_heap_alloc_aligned(npages, 1, gfp);
}

/*
 * The index entry for @p's page, whatever its state, or NULL when @p is not
 * in a region the heap has used. Never dereferences @p. The entry may be
 * stale (a span since freed or reused): callers check state and range.
 */
static __always_inline struct gm_mspan *gm_span_index(unsigned long p)
{
	unsigned long off = p - PAGE_OFFSET, ri;
	struct gm_region **l2, *r;

	if (unlikely(off >= (1UL << (GM_INDEX_BITS + GM_REGION_SHIFT))))
		return NULL;
	ri = off >> GM_REGION_SHIFT;
	/* Empty slots point at gm_l2_none and gm_region_none: no NULL tests. */
	l2 = READ_ONCE(gm_index_l1[ri >> GM_L2_BITS]);
	r = READ_ONCE(l2[ri & (GM_L2_ENTRIES - 1)]);
	return READ_ONCE(r->spans[(off >> PAGE_SHIFT) & (GM_REGION_PAGES - 1)]);
}

/*
 * @s, the index entry for @p, if it is an in-use span holding @p (SMALL,
 * TINY, DEBUG or LARGE, and @p in [base, base + bytes)); else NULL.
 */
static __always_inline struct gm_mspan *gm_span_check(struct gm_mspan *s,
						      unsigned long p)
{
	if (unlikely(!s))
		return NULL;
	if (unlikely((u8)(READ_ONCE(s->state) - GM_SPAN_SMALL) >
		     GM_SPAN_LARGE - GM_SPAN_SMALL ||
		     p - READ_ONCE(s->base) >= READ_ONCE(s->bytes)))
		return NULL;
	return s;
}

/*
 * spanOf: the in-use span holding @p, or NULL for any address that is not
 * inside one (never dereferences @p, never faults). O(1): two table loads,
 * the region's span pointer, then a check of the span's state and range.
 */
static __always_inline struct gm_mspan *gm_span_of(const void *ptr)
{
	unsigned long p = (unsigned long)ptr;

	return gm_span_check(gm_span_index(p), p);
}

/* gm_span_index() out of line (for the heap and the KUnit tests). */
struct gm_mspan *gm_span_entry(unsigned long p);

#endif /* _GM_MHEAP_H */
