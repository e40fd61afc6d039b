/* SPDX-License-Identifier: GPL-2.0 */
/* mcentral: the spans of one span class that no CPU is caching. */
#ifndef _GM_MCENTRAL_H
#define _GM_MCENTRAL_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include "mspan.h"

/* How many unswept full spans cacheSpan sweeps before growing (Go: 100). */
#define GM_CACHESPAN_SWEEP_BUDGET	100
/*
 * Spans left without objects that a class keeps for its next cacheSpan
 * instead of a round trip through the heap; the scavenger and the shrinker
 * (gm_mcentral_sweep_all) give them back.
 */
#define GM_MCENTRAL_EMPTY_KEEP		2

struct gm_mcentral {
	spinlock_t lock;
	unsigned int spanclass;
	/* The class's spans, fixed once the class exists. */
	unsigned int npages, align;		/* pages, alignment in pages */
	u32 elemsize, divmul;
	u16 link_off;				/* see struct gm_mspan */
	bool rcu_free;				/* SLAB_TYPESAFE_BY_RCU */
	void (*ctor)(void *obj);		/* per slot, when a span is carved */
	const char *name;			/* typed caches: for reports */
	struct list_head partial_swept;		/* free slots, no pending frees */
	struct list_head partial_unswept;	/* free slots, pending frees */
	struct list_head full_swept;		/* no free slot */
	struct list_head full_unswept;		/* were full, have pending frees */
	struct list_head empty;			/* no object, swept: the reserve */
	unsigned int nempty;
	unsigned long nspans;			/* all spans of the class */
	unsigned long ncached;			/* of those, held by mcaches */
} ____cacheline_aligned_in_smp;

/* Go's sweepgen states; the heap's sweepgen stays at GM_SG. */
#define GM_SG			4U
#define GM_SG_NEEDS_SWEEP	(GM_SG - 2)
#define GM_SG_SWEEPING		(GM_SG - 1)
#define GM_SG_SWEPT		GM_SG
#define GM_SG_CACHED		(GM_SG + 3)

extern struct gm_mcentral gm_central[GM_ALL_SPAN_CLASSES];
/* The typed caches' mcentrals, by GM_CACHE_SPC() index; NULL: free slot. */
extern struct gm_mcentral __rcu *gm_cache_central[GM_MAX_CACHES];

/*
 * The mcentral of span class @spc. A typed cache's exists while any of its
 * spans does (a destroyed cache with live objects stays registered).
 */
static inline struct gm_mcentral *gm_mcentral_of(unsigned int spc)
{
	if (likely(spc < GM_ALL_SPAN_CLASSES))
		return &gm_central[spc];
	return rcu_dereference_check(gm_cache_central[spc - GM_ALL_SPAN_CLASSES], 1);
}

/*
 * Alignment in pages of the spans of size class @sc: the element size when
 * it is a power of two above a page (8, 16 and 32 KiB), so that every
 * element is naturally aligned; else a page.
 */
static inline unsigned int gm_class_span_align(unsigned int sc)
{
	u32 size = gm_class_to_size[sc];

	return is_power_of_2(size) && size > PAGE_SIZE ? size >> PAGE_SHIFT : 1;
}

void gm_mcentral_init(void);
int gm_mcentral_register(struct gm_mcentral *c);
void gm_mcentral_unregister(struct gm_mcentral *c);
unsigned long gm_mcentral_sweep(struct gm_mcentral *c, unsigned long *live);
struct gm_mspan *gm_mcentral_cache_span(unsigned int spc, gfp_t gfp);
void gm_mcentral_uncache_span(struct gm_mspan *s);
bool gm_mcentral_free_remote(struct gm_mspan *s, unsigned int idx, const void *p,
			     unsigned long ip);
unsigned long gm_mcentral_sweep_all(void);
unsigned long gm_mcentral_freeable_pages(void);
unsigned long gm_mcentral_leak_report(void);

#endif /* _GM_MCENTRAL_H */
