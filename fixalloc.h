/* SPDX-License-Identifier: GPL-2.0 */
/* fixalloc: a free-list allocator for gomalloc's own fixed-size structures. */
#ifndef _GM_FIXALLOC_H
#define _GM_FIXALLOC_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#define GM_FIXALLOC_CHUNK_ORDER	2	/* 16 KiB chunks, as Go's _FixAllocChunk */
#define GM_FIXALLOC_CHUNK	(PAGE_SIZE << GM_FIXALLOC_CHUNK_ORDER)

struct gm_fixalloc {
	spinlock_t lock;	/* protects everything below */
	const char *name;
	size_t size;		/* object size, a multiple of 8 */
	void *list;		/* LIFO of freed objects */
	void *chunk;		/* rest of the current chunk */
	size_t nchunk;		/* bytes left in it */
	/* every chunk, linked through page->lru, its order in page_private */
	struct list_head chunks;
	size_t bytes;			/* in all chunks */
	unsigned long inuse;	/* objects handed out */
};

void gm_fixalloc_init(struct gm_fixalloc *f, const char *name, size_t size);
void *gm_fixalloc_alloc(struct gm_fixalloc *f, gfp_t gfp);
void gm_fixalloc_free(struct gm_fixalloc *f, void *p);
void gm_fixalloc_destroy(struct gm_fixalloc *f);
size_t gm_fixalloc_bytes(struct gm_fixalloc *f);

#endif /* _GM_FIXALLOC_H */
