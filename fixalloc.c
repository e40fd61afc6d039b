// SPDX-License-Identifier: GPL-2.0
/*
 * fixalloc: gomalloc's own structures (span and arena descriptors, mcaches,
 * tiny side tables) carved from 16 KiB chunks with a LIFO free list, as
 * Go's mfixalloc.go. Chunks are returned only by gm_fixalloc_destroy().
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/string.h>
#include "fixalloc.h"
#include "gm_compat.h"
#include "gm_internal.h"

void gm_fixalloc_init(struct gm_fixalloc *f, const char *name, size_t size)
{
	memset(f, 0, sizeof(*f));
	spin_lock_init(&f->lock);
	INIT_LIST_HEAD(&f->chunks);
	f->name = name;
	f->size = ALIGN(size, 8);
}
GM_EXPORT_INTERNAL(gm_fixalloc_init);

/*
 * A zeroed object, or NULL. A new chunk is allocated with the lock dropped,
 * so a sleeping @gfp is fine when the caller holds no spinlock.
 */
void *gm_fixalloc_alloc(struct gm_fixalloc *f, gfp_t gfp)
{
	unsigned long flags;
	struct page *page;
	void *p;

	spin_lock_irqsave(&f->lock, flags);
	for (;;) {
		if (f->list) {
			p = f->list;
			f->list = *(void **)p;
			break;
		}
		if (f->nchunk >= f->size) {
			p = f->chunk;
			f->chunk += f->size;
			f->nchunk -= f->size;
			break;
		}
		spin_unlock_irqrestore(&f->lock, flags);
		page = gm_buddy_alloc((gfp & ~__GFP_ZERO) | __GFP_NOWARN,
				      GM_FIXALLOC_CHUNK_ORDER);
		if (!page)
			return NULL;
		spin_lock_irqsave(&f->lock, flags);
		list_add(&page->lru, &f->chunks);
		f->nchunks++;
		/* The tail of the previous chunk is lost, as in Go. */
		f->chunk = page_address(page);
		f->nchunk = GM_FIXALLOC_CHUNK;
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
	return READ_ONCE(f->nchunks) * GM_FIXALLOC_CHUNK;
}
GM_EXPORT_INTERNAL(gm_fixalloc_bytes);

/* Returns every chunk; the caller guarantees no object is in use. */
void gm_fixalloc_destroy(struct gm_fixalloc *f)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &f->chunks, lru) {
		list_del(&page->lru);
		gm_buddy_free(page, GM_FIXALLOC_CHUNK_ORDER);
	}
	f->nchunks = 0;
	f->list = NULL;
	f->chunk = NULL;
	f->nchunk = 0;
}
GM_EXPORT_INTERNAL(gm_fixalloc_destroy);
