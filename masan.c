// SPDX-License-Identifier: GPL-2.0
/*
 * masan: generic KASAN's shadow for gomalloc's objects (see masan.h). Built
 * only with CONFIG_KASAN_GENERIC, uninstrumented (it writes the shadow).
 *
 * What the shadow says (an 8-byte granule per shadow byte, 0 accessible,
 * 1..7 that many leading bytes accessible, else a code):
 *
 *	handed out		the bytes asked for; the rest of the element
 *				(large: of its pages) GM_ASAN_SLAB_REDZONE
 *				(GM_ASAN_PAGE_REDZONE)
 *	freed, on a LIFO list,	GM_ASAN_SLAB_FREE (large: GM_ASAN_PAGE_FREE)
 *	swept free		but SLAB_TYPESAFE_BY_RCU caches' objects, which
 *				readers may still read (as SLUB)
 *	carved, never handed	GM_ASAN_SLAB_REDZONE
 *	out, a span's tail
 *	heap free runs		GM_ASAN_PAGE_FREE (arenas back in the buddy
 *				allocator: its own poison)
 *
 * gomalloc's own accesses into objects go around it: the LIFO link through
 * gm_link_read/write() (here, unchecked), its zeroing with
 * gm_memset_nocheck(), debug mode's red zones and records between
 * gm_asan_meta_begin/end(), constructors on their unpoisoned slot.
 *
 * Tiny sub-objects share 16-byte blocks and start anywhere in them, while a
 * granule can only say "the first n bytes": a block's two granules are
 * computed from its masks, each accessible up to the end of its last live
 * sub-object (bytes of a freed neighbour before it stay accessible). The
 * owner claims while others free, so each computation runs under
 * gm_asan_tiny_lock after its own mask update (a claim) or before it, with
 * the freed bit counted (a free: after it the block may be reused). A
 * computation that misses a concurrent free leaves bytes accessible; one
 * that misses a claim is followed by the claim's own.
 */
#include <linux/kasan.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include "gm_compat.h"
#include "masan.h"
#include "mcentral.h"
#include "mheap.h"
#include "mspan.h"

#define GM_GRANULE	8UL	/* KASAN_GRANULE_SIZE of generic KASAN */

static_assert(GM_TINY_BLOCK == 2 * GM_GRANULE);

/* Serialises the shadow computations of tiny blocks; nests nothing. */
static DEFINE_RAW_SPINLOCK(gm_asan_tiny_lock);

/* [p, end) poisoned with @code; @p and @end granule-aligned. */
static void gm_asan_poison(unsigned long p, unsigned long end, u8 code)
{
	if (end > p)
		kasan_poison((void *)p, end - p, code, false);
}

/* Exactly [p, p + n) accessible; @p granule-aligned. */
static void gm_asan_unpoison(unsigned long p, size_t n)
{
	gm_asan_poison(p, p + round_down(n, GM_GRANULE), 0);
	if (n % GM_GRANULE)
		*(u8 *)kasan_mem_to_shadow((void *)(p + n)) = n % GM_GRANULE;
}

/*
 * Shadow of the tiny block at @block from its masks, with the offsets in
 * @freed taken as freed already.
 */
static void gm_asan_tiny_update(struct gm_mspan *s, unsigned long block,
				unsigned int freed)
{
	struct gm_tiny_block *m = &s->tiny[(block - s->base) / GM_TINY_BLOCK];
	unsigned int last[2] = { 0, 0 }, off, end, g;
	unsigned long live, ends, flags;
	u8 *shadow = kasan_mem_to_shadow((void *)block);

	raw_spin_lock_irqsave(&gm_asan_tiny_lock, flags);
	live = READ_ONCE(m->alloc_mask) & ~(atomic_read(&m->free_mask) | freed) & GM_TINY_ALL;
	ends = READ_ONCE(m->end_mask);
	for_each_set_bit(off, &live, GM_TINY_BLOCK) {
		end = ends >> off ? off + __ffs(ends >> off) + 1 : GM_TINY_BLOCK;
		for (g = off / GM_GRANULE; g * GM_GRANULE < end; g++)
			last[g] = max_t(unsigned int, last[g],
					min_t(unsigned int, end - g * GM_GRANULE, GM_GRANULE));
	}
	for (g = 0; g < 2; g++)
		shadow[g] = last[g] == GM_GRANULE ? 0 : last[g] ? last[g] : GM_ASAN_SLAB_FREE;
	raw_spin_unlock_irqrestore(&gm_asan_tiny_lock, flags);
}

void gm_asan_alloc(const void *ptr, size_t size)
{
	unsigned long p = (unsigned long)ptr, end;
	struct gm_mspan *s;
	u8 code = GM_ASAN_SLAB_REDZONE;

	if (ZERO_OR_NULL_PTR(ptr))
		return;
	preempt_disable();	/* an RCU reader of the index; the object is ours */
	s = gm_span_of(ptr);
	preempt_enable();
	if (WARN_ON_ONCE(!s))
		return;
	switch (s->state) {
	case GM_SPAN_TINY:
		gm_asan_tiny_update(s, p & ~(GM_TINY_BLOCK - 1), 0);
		return;
	case GM_SPAN_LARGE:
		end = s->base + ((unsigned long)s->npages << PAGE_SHIFT);
		code = GM_ASAN_PAGE_REDZONE;
		break;
	default:	/* small, typed cache, debug: the element */
		end = s->base + (unsigned long)gm_span_objindex(s, p) * s->elemsize + s->elemsize;
		break;
	}
	gm_asan_unpoison(p, size);
	gm_asan_poison(round_up(p + size, GM_GRANULE), end, code);
}

void gm_asan_free(struct gm_mspan *s, const void *ptr)
{
	unsigned long p = (unsigned long)ptr;

	if (s->state == GM_SPAN_LARGE || s->state == GM_SPAN_LCACHE) {
		gm_asan_poison(p, p + ((unsigned long)s->npages << PAGE_SHIFT), GM_ASAN_PAGE_FREE);
		return;
	}
	/* As SLUB: readers of SLAB_TYPESAFE_BY_RCU objects may read freed ones. */
	if (gm_spc_is_cache(s->spanclass) && gm_mcentral_of(s->spanclass)->rcu_free)
		return;
	gm_asan_poison(p, p + s->elemsize, GM_ASAN_SLAB_FREE);
}

void gm_asan_tiny_free(struct gm_mspan *s, const void *p, unsigned int freed)
{
	gm_asan_tiny_update(s, (unsigned long)p & ~(GM_TINY_BLOCK - 1), freed);
}

void gm_asan_usable(const void *ptr, size_t n)
{
	unsigned long p = (unsigned long)ptr;

	/* A tiny sub-object's usable size is its size: nothing to add. */
	if (n && !(p % GM_GRANULE))
		gm_asan_unpoison(p, n);
}

void gm_asan_span_new(struct gm_mspan *s)
{
	gm_asan_poison(s->base, s->base + ((unsigned long)s->npages << PAGE_SHIFT),
		       GM_ASAN_SLAB_REDZONE);
}

/* As SLUB's setup_object(): the slot accessible for the constructor only. */
void gm_asan_ctor(void (*ctor)(void *), void *slot, size_t size)
{
	unsigned long p = (unsigned long)slot;

	gm_asan_unpoison(p, size);
	ctor(slot);
	gm_asan_poison(p, p + round_up(size, GM_GRANULE), GM_ASAN_SLAB_REDZONE);
}

void gm_asan_heap_free(unsigned long base, size_t bytes)
{
	gm_asan_poison(base, base + bytes, GM_ASAN_PAGE_FREE);
}

unsigned long gm_link_read(const void *slot)
{
	return *(const unsigned long *)slot;
}
GM_EXPORT_INTERNAL(gm_link_read);

void gm_link_write(void *slot, unsigned long v)
{
	*(unsigned long *)slot = v;
}
GM_EXPORT_INTERNAL(gm_link_write);
