// SPDX-License-Identifier: GPL-2.0
/*
 * fixalloc: gomalloc's own structures (span and arena descriptors, mcaches,
 * tiny side tables) carved from 16 KiB chunks (one page when memory is
 * fragmented) with a LIFO free list, as Go's mfixalloc.go. Chunks are
 * returned only by gm_fixalloc_destroy().
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/string.h>
#include "fixalloc.h"
#include "gm_compat.h"
#include "mem.h"
#include "mreport.h"

void gm_fixalloc_init(struct gm_fixalloc *f, const char *name, size_t size)
{
	memset(f, 0, sizeof(*f));
	spin_lock_init(&f->lock);
	INIT_LIST_HEAD(&f->chunks);
	f->name = name;
	f->size = ALIGN(size, 8);
}
GM_EXPORT_INTERNAL(gm_fixalloc_init);

/* The next object from the free list or the current chunk, or NULL. */
static void *gm_fixalloc_take(struct gm_fixalloc *f)
{
	void *p = f->list;

	lockdep_assert_held(&f->lock);
	if (p) {
		f->list = *(void **)p;
		return p;
	}
	if (f->nchunk < f->size)
		return NULL;
	p = f->chunk;
	f->chunk += f->size;
	f->nchunk -= f->size;
	return p;
}

/*
 * A new chunk: GM_FIXALLOC_CHUNK_ORDER if the buddy allocator has it without
 * trying hard, else one page with the caller's flags (__GFP_NOFAIL is
 * honoured there, never at a higher order). Its order is kept in the page.
 */
static struct page *gm_fixalloc_chunk(struct gm_fixalloc *f, gfp_t gfp)
{
	unsigned int order = GM_FIXALLOC_CHUNK_ORDER;
	struct page *page;

	gfp = gm_arena_gfp(gfp, false) | __GFP_NOWARN;
	page = gm_buddy_alloc(gm_arena_gfp(gfp, true), order);
	if (!page && f->size <= PAGE_SIZE) {
		order = 0;
		page = gm_buddy_alloc(gfp, order);
	}
	if (page)
		set_page_private(page, order);
	return page;
}

/*
 * A zeroed object, or NULL. A new chunk is allocated with the lock dropped,
 * so a sleeping @gfp is fine when the caller holds no spinlock; of two
 * refills racing, the second gives its chunk back.
 */
void *gm_fixalloc_alloc(struct gm_fixalloc *f, gfp_t gfp)
{
	unsigned long flags;
	struct page *page;
	void *p;

	spin_lock_irqsave(&f->lock, flags);
	while (!(p = gm_fixalloc_take(f))) {
		spin_unlock_irqrestore(&f->lock, flags);
		gm_race_window(GM_RACE_FIXALLOC_REFILL, f);
		page = gm_fixalloc_chunk(f, gfp);
		if (!page)
			return NULL;
		spin_lock_irqsave(&f->lock, flags);
		if (f->list || f->nchunk >= f->size) {
			/* Refilled meanwhile: keep that chunk, not ours. */
			spin_unlock_irqrestore(&f->lock, flags);
			gm_buddy_free(page, page_private(page));
			spin_lock_irqsave(&f->lock, flags);
			continue;
		}
		list_add(&page->lru, &f->chunks);
		f->bytes += PAGE_SIZE << page_private(page);
		/* The tail of the previous chunk is lost, as in Go. */
		f->chunk = page_address(page);
		f->nchunk = PAGE_SIZE << page_private(page);
	}
	f->inuse++;
	spin_unlock_irqrestore(&f->lock, flags);
	memset(p, 0, f->size);
	return p;
}
GM_EXPORT_INTERNAL(gm_fixalloc_alloc);

void gm_fixalloc_free(struct gm_fixalloc *f, void *p)
{
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	*(void **)p = f->list;
	f->list = p;
	f->inuse--;
	spin_unlock_irqrestore(&f->lock, flags);
}
GM_EXPORT_INTERNAL(gm_fixalloc_free);

size_t gm_fixalloc_bytes(struct gm_fixalloc *f)
{
	return READ_ONCE(f->bytes);
}
GM_EXPORT_INTERNAL(gm_fixalloc_bytes);

/* Returns every chunk; the caller guarantees no object is in use. */
void gm_fixalloc_destroy(struct gm_fixalloc *f)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &f->chunks, lru) {
		list_del(&page->lru);
		gm_buddy_free(page, page_private(page));
	}
	f->bytes = 0;
	f->list = NULL;
	f->chunk = NULL;
	f->nchunk = 0;
}
GM_EXPORT_INTERNAL(gm_fixalloc_destroy);
