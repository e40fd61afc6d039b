// SPDX-License-Identifier: GPL-2.0
/*
 * Pages from the buddy allocator, counted: every alloc_pages() and
 * __free_pages() of gomalloc is here. Calls nothing of ours.
 */
#include <linux/mm.h>
#include "gm_compat.h"
#include "mem.h"

atomic_long_t gm_buddy_pages;
GM_EXPORT_INTERNAL(gm_buddy_pages);
atomic_long_t gm_buddy_failures;

/*
 * __GFP_ACCOUNT is dropped here, the only place pages are taken: they are
 * shared by every caller's objects (a large object's span, too, is cut
 * from a shared arena and outlives its object in the heap), so a charge
 * would land on whichever memory cgroup grew the heap. See "Not done".
 *
 * __GFP_NOFAIL reaches the page allocator only up to order 1, where it is
 * supported; above, the heap's own loop retries (gm_heap_alloc_aligned),
 * quietly.
 */
struct page *gm_buddy_alloc(gfp_t gfp, unsigned int order)
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

void gm_buddy_free(struct page *page, unsigned int order)
{
	atomic_long_sub(1L << order, &gm_buddy_pages);
	__free_pages(page, order);
}
