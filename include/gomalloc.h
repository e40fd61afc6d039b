/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomalloc public API: Go's runtime allocator as a kernel slab allocator.
 * Client modules include this header and link against gomalloc's
 * Module.symvers (KBUILD_EXTRA_SYMBOLS).
 */
#ifndef _GOMALLOC_H
#define _GOMALLOC_H

#include <linux/types.h>
#include <linux/gfp.h>

/*
 * Largest size gomalloc() can ever serve: 4 MiB, one buddy block of the top
 * order on x86-64 (the build checks the kernel's top order reaches it).
 */
#define GOMALLOC_MAX_SHIFT	22
#define GOMALLOC_MAX_SIZE	(1UL << GOMALLOC_MAX_SHIFT)
/* gomalloc_tiny() takes 1..GOMALLOC_TINY_MAX bytes. */
#define GOMALLOC_TINY_MAX	15

/*
 * gomalloc - allocate @size bytes, like kmalloc().
 * Returns ZERO_SIZE_PTR for size 0 and NULL on failure. Objects are at least
 * 8-byte aligned; power-of-two sizes up to GOMALLOC_MAX_SIZE are naturally
 * aligned (as kmalloc: gomalloc(8192) is 8 KiB aligned, gomalloc(1 << 20)
 * 1 MiB aligned), in debug mode too; other objects above 32 KiB are
 * page-aligned. __GFP_ZERO (and init_on_alloc) zero the object.
 * GFP_ATOMIC / GFP_NOWAIT never sleep; __GFP_NOFAIL (with a gfp that may
 * sleep) never returns NULL. __GFP_DMA and __GFP_DMA32 are not supported:
 * NULL, a one-time warning, and bad_flags in /proc/gomalloc. In NMI context
 * it returns NULL.
 */
void *gomalloc(size_t size, gfp_t gfp);

/*
 * gofree - free an object from gomalloc(), gomalloc_tiny() or gorealloc(),
 * from any CPU and any context. NULL and ZERO_SIZE_PTR are ignored. A pointer
 * gomalloc never returned, an interior pointer or a double free is reported,
 * counted and otherwise ignored. From NMI context the free is deferred to an
 * irq_work on the same CPU (up to 32 pending per CPU; beyond that the object
 * is leaked, reported and counted as nmi_frees_lost).
 */
void gofree(const void *ptr);

/* Bytes usable at @ptr (at least the size asked for); 0 if not ours. */
size_t gomalloc_usable_size(const void *ptr);

/*
 * gorealloc - resize, keeping the contents up to the smaller size.
 * NULL/ZERO_SIZE_PTR @ptr acts as gomalloc(); @new_size 0 frees and returns
 * ZERO_SIZE_PTR. On failure returns NULL and @ptr stays valid.
 */
void *gorealloc(const void *ptr, size_t new_size, gfp_t gfp);

/*
 * gomalloc_tiny - 1..15 bytes packed into shared 16-byte blocks, aligned to
 * 8, 4 or 2 bytes by the size's low bits (Go's tiny allocator). Freed with
 * gofree(); a block returns to its span when its last sub-object is freed.
 */
void *gomalloc_tiny(size_t size, gfp_t gfp);

#endif /* _GOMALLOC_H */
