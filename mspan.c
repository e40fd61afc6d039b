// SPDX-License-Identifier: GPL-2.0
/*
 * mspan: object bookkeeping inside one span: allocBits and the allocCache
 * window, frees recorded by non-owners, and sweeping, which applies them.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/string.h>
#include "gm_compat.h"
#include "masan.h"
#include "mem.h"
#include "mreport.h"
#include "mcentral.h"
#include "mspan.h"

/*
 * Turn a span fresh from the heap into an empty span of class @spc, of
 * @elemsize-byte elements (@divmul: its division-free index multiplier),
 * LIFO links at @link_off.
 */
void gm_span_init_small(struct gm_mspan *s, unsigned int spc, u32 elemsize, u32 divmul,
			unsigned int link_off)
{
	s->spanclass = spc;
	s->elemsize = elemsize;
	s->divmul = divmul;
	s->link_off = link_off;
	s->nelems = (s->npages << PAGE_SHIFT) / s->elemsize;
	s->freeindex = 0;
	s->alloc_count = 0;
	s->alloc_cache = 0;
	s->sweepgen = GM_SG_SWEPT;
	s->list = GM_LIST_NONE;
	bitmap_zero(s->alloc_bits, GM_MAX_OBJS_PER_SPAN);
	bitmap_zero(s->cached_bits, GM_MAX_OBJS_PER_SPAN);
	bitmap_zero(s->free_bits, GM_MAX_OBJS_PER_SPAN);
	atomic_set(&s->npending, 0);
}
GM_EXPORT_INTERNAL(gm_span_init_small);

/* Load the allocCache window that starts at freeindex. */
static void gm_span_load_cache(struct gm_mspan *s)
{
	unsigned int fi = s->freeindex, end = min_t(unsigned int, s->nelems,
						     (fi & ~63U) + 64);
	u64 word = ~(u64)s->alloc_bits[fi / BITS_PER_LONG];

	word >>= fi & 63;
	if (end - fi < 64)
		word &= (1ULL << (end - fi)) - 1;
	s->alloc_cache = word;
}

/* Start allocating from slot 0 again: a span being (re)cached. */
void gm_span_reset_cache(struct gm_mspan *s)
{
	s->freeindex = 0;
	s->alloc_cache = 0;
	if (s->nelems)
		gm_span_load_cache(s);
}
GM_EXPORT_INTERNAL(gm_span_reset_cache);

/*
 * The owner gives the span up: the objects on its LIFO list (allocated in
 * alloc_bits, marked in cached_bits) become free slots. Under init_on_free
 * their link goes too: the window hands them out as they are.
 */
void gm_span_uncache_objects(struct gm_mspan *s)
{
	bool zero = want_init_on_free();
	unsigned long c;
	unsigned int w;

	for (w = 0; w < BITS_TO_LONGS(s->nelems); w++) {
		c = s->cached_bits[w];
		s->alloc_bits[w] &= ~c;
		s->cached_bits[w] = 0;
		while (zero && c) {
			unsigned int idx = w * BITS_PER_LONG + __ffs(c);

			gm_link_write((void *)(s->base + (unsigned long)idx * s->elemsize +
					       s->link_off), 0);
			c &= c - 1;
		}
	}
}
GM_EXPORT_INTERNAL(gm_span_uncache_objects);

/*
 * nextFreeIndex: when the window is used up, find the next free slot at or
 * after freeindex and load the window there. NULL if the span is full.
 */
void *gm_span_next_free(struct gm_mspan *s)
{
	void *p = gm_span_next_free_fast(s);
	unsigned int idx;

	if (p)
		return p;
	if (s->freeindex >= s->nelems)
		return NULL;
	idx = find_next_zero_bit(s->alloc_bits, s->nelems, s->freeindex);
	if (idx >= s->nelems) {
		s->freeindex = s->nelems;
		return NULL;
	}
	s->freeindex = idx;
	gm_span_load_cache(s);
	return gm_span_next_free_fast(s);
}
GM_EXPORT_INTERNAL(gm_span_next_free);

/*
 * Sweep: apply the frees other CPUs recorded in free_bits. Only the span's
 * owner (its mcache, or whoever holds its mcentral's lock while it is on a
 * list) may sweep; sweepgen says which state it is in. Returns the number of
 * objects freed.
 */
unsigned int gm_span_sweep(struct gm_mspan *s)
{
	unsigned int w, n = 0, taken = 0;
	unsigned long f, stray;

	/*
	 * Who may sweep, as sweepgen says: the mcache that caches the span
	 * (sg+3), or whoever took it off a list and marked it sg-1 under its
	 * mcentral's lock. Anyone else would race with the owner.
	 */
	if (WARN_ON_ONCE(s->sweepgen != GM_SG_CACHED && s->sweepgen != GM_SG_SWEEPING))
		return 0;

	for (w = 0; w < BITS_TO_LONGS(s->nelems); w++) {
		if (!READ_ONCE(s->free_bits[w]))
			continue;
		f = xchg(&s->free_bits[w], 0);
		taken += hweight_long(f);
		/* Only a racing double free leaves a bit on a free slot. */
		stray = f & ~s->alloc_bits[w];
		if (unlikely(stray)) {
			atomic_long_add(hweight_long(stray), &gm_errors.double_frees);
			f &= ~stray;
		}
		s->alloc_bits[w] &= ~f;
		n += hweight_long(f);
	}
	if (taken) {
		s->alloc_count -= n;
		atomic_sub(taken, &s->npending);
	}
	return n;
}
GM_EXPORT_INTERNAL(gm_span_sweep);

unsigned int gm_span_pending(struct gm_mspan *s)
{
	return max(atomic_read(&s->npending), 0);
}
