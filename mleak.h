/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmemleak glue: each object is registered with kmemleak when handed to a
 * user and unregistered when gomalloc takes it back. Empty without kmemleak.
 */
#ifndef _GM_MLEAK_H
#define _GM_MLEAK_H

#include <linux/kmemleak.h>
#include <linux/string.h>
#include <linux/types.h>
#include "mreport.h"

/*
 * An address of gomalloc's memory kept in data that kmemleak scans (module
 * data, per-CPU variables: the pageCache's block) would count as a pointer
 * to the object there, hiding its leak. Such a field is stored through
 * gm_leak_hide() (and read back through it): the top bit flipped makes it
 * a user-space value, which kmemleak never takes for a pointer. Without
 * kmemleak the value is stored as it is.
 */
#ifdef CONFIG_DEBUG_KMEMLEAK
#define GM_LEAK_HIDE	(1UL << (BITS_PER_LONG - 1))
#else
#define GM_LEAK_HIDE	0UL
#endif

static inline unsigned long gm_leak_hide(unsigned long addr)
{
	return addr ^ GM_LEAK_HIDE;
}

/*
 * kmemleak tracks SLUB's objects but not pages from alloc_pages(), so it
 * neither scans gomalloc's arenas nor knows their objects. Registered here,
 * an object is scanned while live (a pointer stored in it keeps what it
 * points to referenced) and reported with its allocation backtrace once
 * nothing points into it.
 *
 * Registered at its usable size (gm_mcache_usable_size(), as
 * gomalloc_usable_size() but without KASAN's unpoisoning: the element, the
 * large object's pages, a tiny sub-object's bytes, a debug object's size),
 * not the bytes asked for: callers may use all of it (ksize() does the
 * same, and gorealloc() grows in place within it), and a pointer kept there
 * must be seen. SLUB registers a kmalloc object at its cache's object size
 * too.
 *
 * Unregistered where gomalloc takes the object back, after the checks that
 * tell a real free from a bad one (kmemleak warns about a pointer inside an
 * object it knows; one it does not know at all is ignored, so internal
 * frees of blocks never handed out, tiny blocks for one, cost a lookup)
 * and before the slot can be handed out again: kmemleak refuses, and
 * switches itself off for, a new object overlapping one it still holds.
 */
#ifdef CONFIG_DEBUG_KMEMLEAK
size_t gm_mcache_usable_size(const void *ptr);	/* mcache.c */

/*
 * Not where PREEMPT_RT's caller cannot sleep: kmemleak takes its records
 * from SLUB, which sleeps there. Such an object goes untracked (what only
 * it points to may then be reported).
 */
static inline void gm_leak_alloc(const void *p, gfp_t gfp)
{
	if (gm_rt_atomic())
		return;
	kmemleak_alloc(p, gm_mcache_usable_size(p), 1, gfp);
}

static inline void gm_leak_alloc_bulk(void **p, size_t n, gfp_t gfp)
{
	size_t i;

	for (i = 0; i < n; i++)
		gm_leak_alloc(p[i], gfp);
}

static inline void gm_leak_free(const void *p)
{
	kmemleak_free(p);
}

/*
 * gomalloc's own pages that hold the only pointers to live objects (the
 * gofree_rcu() batches): scanned, never reported (min_count 0). Zeroed
 * when registered and their slots cleared when done with, so that a stale
 * pointer does not hide a later leak of an object at the same address.
 */
static inline void gm_leak_meta_alloc(void *p, size_t size, gfp_t gfp)
{
	memset(p, 0, size);
	kmemleak_alloc(p, size, 0, gfp);
}

static inline void gm_leak_meta_free(const void *p)
{
	kmemleak_free(p);
}

static inline void gm_leak_meta_clear(void *slots, size_t bytes)
{
	memset(slots, 0, bytes);
}
#else
static inline void gm_leak_alloc(const void *p, gfp_t gfp) { }
static inline void gm_leak_alloc_bulk(void **p, size_t n, gfp_t gfp) { }
static inline void gm_leak_free(const void *p) { }
static inline void gm_leak_meta_alloc(void *p, size_t size, gfp_t gfp) { }
static inline void gm_leak_meta_free(const void *p) { }
static inline void gm_leak_meta_clear(void *slots, size_t bytes) { }
#endif

#endif /* _GM_MLEAK_H */
