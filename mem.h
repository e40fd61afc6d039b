/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pages from the buddy allocator, the one source of gomalloc's memory (Go's
 * mem.go: sysAlloc and sysFree), with the flags they are taken with.
 */
#ifndef _GM_MEM_H
#define _GM_MEM_H

#include <linux/atomic.h>
#include <linux/gfp.h>

/*
 * Every page gomalloc holds from the buddy allocator (arenas, index pages,
 * fixalloc chunks), counted where alloc_pages() and free_pages() are
 * called, apart from the heap's own bookkeeping: tests cross-check the two.
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

struct page *gm_buddy_alloc(gfp_t gfp, unsigned int order);
void gm_buddy_free(struct page *page, unsigned int order);

#endif /* _GM_MEM_H */
