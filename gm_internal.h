/* SPDX-License-Identifier: GPL-2.0 */
/* gomalloc internals shared by every file: counters, reports, parameters. */
#ifndef _GM_INTERNAL_H
#define _GM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/printk.h>
#include "gm_compat.h"

#define pr_fmt_gm(fmt) "gomalloc: " fmt

/* Global error counters, shown in /proc/gomalloc. */
struct gm_errors {
	atomic_long_t invalid_frees;	/* not ours, interior, never allocated */
	atomic_long_t double_frees;
	atomic_long_t alloc_failures;	/* NULL returned for a valid size */
	atomic_long_t bad_sizes;	/* larger than GOMALLOC_MAX_SIZE */
	atomic_long_t bad_flags;	/* __GFP_DMA, __GFP_DMA32: refused */
	atomic_long_t nmi_frees;	/* frees from NMI, deferred (not errors) */
	atomic_long_t nmi_frees_lost;	/* from NMI with no slot left: leaked */
	atomic_long_t freelist_corrupted; /* LIFO links overwritten (mcache.h) */
};

extern struct gm_errors gm_errors;

/*
 * Every page gomalloc holds from the buddy allocator (arenas, index pages,
 * fixalloc chunks), counted where alloc_pages() and free_pages() are
 * called, apart from the heap's own bookkeeping: tests cross-check the two.
 *
 * __GFP_ACCOUNT is dropped here, the only place pages are taken: they are
 * shared by every caller's objects (a large object's span, too, is cut
 * from a shared arena and outlives its object in the heap), so a charge
 * would land on whichever memory cgroup grew the heap. See "Not done".
 */
extern atomic_long_t gm_buddy_pages;
/* Page allocations that failed (fallbacks absorb some of them). */
extern atomic_long_t gm_buddy_failures;

/*
 * The flags gomalloc takes pages with (arenas, fixalloc chunks, index
 * pages), as SLUB's for a slab. Of the caller's flags only how hard to try
 * and where (reclaim, I/O, FS, reserves, cpuset, node) reach the buddy
 * allocator: the pages are shared, so never __GFP_MOVABLE (unmovable
 * objects in movable or CMA pageblocks), __GFP_ACCOUNT, __GFP_ZERO or a
 * zone. An opportunistic order, above what the request needs, adds
 * __GFP_NORETRY | __GFP_NOWARN | __GFP_NOMEMALLOC and drops reclaim,
 * __GFP_NOFAIL and the atomic reserves (__GFP_HIGH, __GFP_MEMALLOC): one
 * GFP_ATOMIC 8-byte request must not take 2 MiB of them. The fallback at
 * the needed order keeps the caller's flags.
 */
#define GM_GFP_ARENA_KEEP	(__GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | \
				 __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | \
				 __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC | \
				 __GFP_HARDWALL | __GFP_THISNODE)

static inline gfp_t gm_arena_gfp(gfp_t gfp, bool opportunistic)
{
	gfp &= GM_GFP_ARENA_KEEP;
	if (opportunistic)
		return (gfp | __GFP_NORETRY | __GFP_NOWARN | __GFP_NOMEMALLOC) &
		       ~(__GFP_RECLAIM | __GFP_NOFAIL | __GFP_HIGH | __GFP_MEMALLOC);
	return gfp;
}

/*
 * __GFP_NOFAIL reaches the page allocator only up to order 1, where it is
 * supported; above, the heap's own loop retries (gm_heap_alloc), quietly.
 */
static inline struct page *gm_buddy_alloc(gfp_t gfp, unsigned int order)
{
	struct page *page;

	if (order > 1 && (gfp & __GFP_NOFAIL))
		gfp = (gfp & ~__GFP_NOFAIL) | __GFP_NOWARN;
	page = alloc_pages(gfp & ~__GFP_ACCOUNT, order);

	if (page)
		atomic_long_add(1L << order, &gm_buddy_pages);
	else
		atomic_long_inc(&gm_buddy_failures);
	return page;
}

static inline void gm_buddy_free(struct page *page, unsigned int order)
{
	atomic_long_sub(1L << order, &gm_buddy_pages);
	__free_pages(page, order);
}

void gm_report_error(atomic_long_t *counter);
void gm_report_free(const void *p, const char *why, bool dbl, unsigned long ip);

/*
 * Race windows the KUnit tests can widen: a test installs gm_race_hook and
 * it is called at each point below with what the point names (preemptible
 * task context only). Compiled out of builds without KUnit.
 */
enum gm_race_point {
	GM_RACE_TINY_FREE,	/* a tiny free, after its atomic update: block meta */
	GM_RACE_PCACHE_REFILL,	/* pageCache refill, a new block in hand */
	GM_RACE_FIXALLOC_REFILL, /* fixalloc, lock dropped to get a chunk */
};

#if IS_ENABLED(CONFIG_KUNIT)
extern void (*gm_race_hook)(enum gm_race_point point, const void *arg);

static inline void gm_race_window(enum gm_race_point point, const void *arg)
{
	void (*hook)(enum gm_race_point point, const void *arg) = READ_ONCE(gm_race_hook);

	if (unlikely(hook) && preemptible())
		hook(point, arg);
}
#else
static inline void gm_race_window(enum gm_race_point point, const void *arg)
{
}
#endif
void gm_stats_objects(long *objects, long *bytes, long *tiny_objects);
int gm_stats_init(void);
void gm_stats_exit(void);

#endif /* _GM_INTERNAL_H */
