/* SPDX-License-Identifier: GPL-2.0 */
/* mspan: a run of pages, either one large object or many objects of a class. */
#ifndef _GM_MSPAN_H
#define _GM_MSPAN_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/types.h>
#ifdef CONFIG_X86_64
#include <asm/asm.h>
#endif
#include "spanclass.h"

#define GM_TINY_BLOCK		16
#define GM_SPAN_BITMAP_LONGS	BITS_TO_LONGS(GM_MAX_OBJS_PER_SPAN)

enum gm_span_state {
	GM_SPAN_DEAD = 0,	/* descriptor not describing memory */
	GM_SPAN_FREE,		/* free run in the heap's tree */
	GM_SPAN_SMALL,		/* objects of one size class */
	GM_SPAN_TINY,		/* 16-byte blocks of the tiny allocator */
	GM_SPAN_DEBUG,		/* debug-mode objects (mdebug.c) */
	GM_SPAN_CACHE,		/* objects of a typed cache (typedcache.c) */
	GM_SPAN_LARGE,		/* one large object; SMALL..LARGE: in use */
	GM_SPAN_PCACHE,		/* pages held by a CPU's pageCache */
	GM_SPAN_LCACHE,		/* a freed large span parked in an mcache */
};

/* Where a small span is: an mcache, or one of its mcentral's lists. */
enum gm_span_list {
	GM_LIST_NONE = 0,
	GM_LIST_CACHED,
	GM_LIST_PARTIAL_SWEPT,
	GM_LIST_PARTIAL_UNSWEPT,
	GM_LIST_FULL_SWEPT,
	GM_LIST_FULL_UNSWEPT,
	GM_LIST_EMPTY,
};

/*
 * Per tiny block: which byte offsets start a live sub-object (set by the CPU
 * whose current block it is), where each ends, and which were freed (atomic,
 * any CPU). GM_TINY_RETIRED in free_mask: no CPU allocates from it any more,
 * and its offsets never allocated are set in free_mask; the block is empty
 * when free_mask is GM_TINY_EMPTY.
 */
struct gm_tiny_block {
	u16 alloc_mask;
	u16 end_mask;
	atomic_t free_mask;
};

#define GM_TINY_ALL		0xffffU
#define GM_TINY_RETIRED		BIT(16)
#define GM_TINY_EMPTY		(GM_TINY_RETIRED | GM_TINY_ALL)

struct gm_arena;

struct gm_mspan {
	unsigned long base;		/* first byte */
	unsigned long bytes;		/* npages << PAGE_SHIFT, set when published */
	unsigned int npages;
	u8 state;			/* enum gm_span_state */
	u8 list;			/* enum gm_span_list */
	u16 spanclass;
	u32 elemsize;
	u32 divmul;			/* index = (off * divmul) >> 32 */
	u16 nelems;

	/* Owner's allocation state: the mcache caching it, or mcentral's lock. */
	u16 freeindex;			/* every slot below is allocated or cached */
	u16 alloc_count;
	/*
	 * Where in an element its LIFO link goes: 0, or past the object when
	 * a free must keep the object's contents (typed caches with a ctor or
	 * SLAB_TYPESAFE_BY_RCU): then init_on_alloc/free leave it alone.
	 */
	u16 link_off;
	u64 alloc_cache;		/* inverted alloc_bits from freeindex on */
	u32 sweepgen;
	unsigned long alloc_bits[GM_SPAN_BITMAP_LONGS];	/* 1 = allocated */
	unsigned long cached_bits[GM_SPAN_BITMAP_LONGS]; /* 1 = on the LIFO list */

	union {
		struct list_head list_node;	/* mcentral list */
		struct rb_node rb;	/* heap free tree (GM_SPAN_FREE) */
		struct rcu_head rcu;	/* SLAB_TYPESAFE_BY_RCU span on its way out */
	};
	struct gm_arena *arena;
	struct gm_tiny_block *tiny;	/* GM_TINY_SPC spans only */

	/* Frees from non-owners, applied when the span is swept. */
	atomic_t npending ____cacheline_aligned_in_smp;
	unsigned long free_bits[GM_SPAN_BITMAP_LONGS];
} ____cacheline_aligned_in_smp;

/*
 * Zero an object. On x86 an inline `rep stosb` (what memset() itself does on
 * ERMS CPUs) saves the call and return on the allocation fast path; KASAN
 * does not check it (gomalloc's own zeroing of a whole element).
 */
static __always_inline void gm_zero(void *p, size_t n)
{
#ifdef CONFIG_X86_64
	asm volatile("rep stosb" : "+D" (p), "+c" (n) : "a" (0) : "memory");
#elif defined(CONFIG_KASAN)
	__memset(p, 0, n);	/* past the object the element is poisoned (masan.h) */
#else
	memset(p, 0, n);
#endif
}

/* Non-atomic bit helpers on the owner's bitmaps (plain loads and stores). */
static __always_inline bool gm_bit(const unsigned long *map, unsigned int i)
{
	return (map[i / BITS_PER_LONG] >> (i % BITS_PER_LONG)) & 1;
}

static __always_inline void gm_bit_set(unsigned long *map, unsigned int i)
{
	map[i / BITS_PER_LONG] |= 1UL << (i % BITS_PER_LONG);
}

static __always_inline void gm_bit_clear(unsigned long *map, unsigned int i)
{
	map[i / BITS_PER_LONG] &= ~(1UL << (i % BITS_PER_LONG));
}

/*
 * Bit @nr % BITS_PER_LONG of a word held in a register: test and clear
 * (true if it was set), test, set. On x86 the register forms of btr and bts are
 * single fast instructions (only their memory forms are slow).
 */
static __always_inline bool gm_word_test_clear(unsigned long *w, unsigned long nr)
{
#ifdef CONFIG_X86_64
	bool old;

	asm("btr %[nr], %[w]" CC_SET(c)
	    : [w] "+r" (*w), CC_OUT(c) (old) : [nr] "r" (nr));
	return old;
#else
	unsigned long m = 1UL << (nr % BITS_PER_LONG);
	bool old = *w & m;

	*w &= ~m;
	return old;
#endif
}

static __always_inline bool gm_word_test(unsigned long w, unsigned long nr)
{
#ifdef CONFIG_X86_64
	bool set;

	asm("bt %[nr], %[w]" CC_SET(c) : CC_OUT(c) (set) : [w] "r" (w), [nr] "r" (nr));
	return set;
#else
	return (w >> (nr % BITS_PER_LONG)) & 1;
#endif
}

static __always_inline void gm_word_set(unsigned long *w, unsigned long nr)
{
#ifdef CONFIG_X86_64
	asm("bts %[nr], %[w]" : [w] "+r" (*w) : [nr] "r" (nr) : "cc");
#else
	*w |= 1UL << (nr % BITS_PER_LONG);
#endif
}

static __always_inline unsigned int gm_span_objindex(const struct gm_mspan *s,
						     unsigned long p)
{
	return (u32)(((u64)(p - s->base) * s->divmul) >> 32);
}

/*
 * Is @p the start of an object of @s (an index entry, maybe stale: racy
 * reads of its range)? Its index in *@idx then. The free fast paths' test.
 */
static __always_inline bool gm_span_obj_start(const struct gm_mspan *s, unsigned long p,
					      unsigned int *idx)
{
	unsigned long off = p - READ_ONCE(s->base);

	if (unlikely(off >= READ_ONCE(s->bytes)))
		return false;
	*idx = (u32)(((u64)off * s->divmul) >> 32);
	return likely((unsigned long)*idx * s->elemsize == off);
}

static __always_inline unsigned long gm_span_end(const struct gm_mspan *s)
{
	return s->base + ((unsigned long)s->npages << PAGE_SHIFT);
}

/*
 * nextFreeFast: the next free slot from the 64-bit allocCache window, or
 * NULL when the window is used up (gm_span_next_free() reloads it).
 * Owner only; no atomics.
 */
static __always_inline void *gm_span_next_free_fast(struct gm_mspan *s)
{
	unsigned int bit, idx;
	u64 cache = s->alloc_cache;

	if (unlikely(!cache))
		return NULL;
	bit = __ffs64(cache);
	idx = s->freeindex + bit;
	s->alloc_cache = (cache >> bit) >> 1;
	s->freeindex = idx + 1;
	gm_bit_set(s->alloc_bits, idx);
	s->alloc_count++;
	return (void *)(s->base + (unsigned long)idx * s->elemsize);
}

struct gm_mcentral;

void gm_span_init_small(struct gm_mspan *s, unsigned int spc, u32 elemsize, u32 divmul,
			unsigned int link_off);

/* Does a free keep the object's contents (see link_off)? */
static inline bool gm_span_keeps_contents(const struct gm_mspan *s)
{
	return s->link_off != 0;
}
void *gm_span_next_free(struct gm_mspan *s);
unsigned int gm_span_sweep(struct gm_mspan *s);
void gm_span_reset_cache(struct gm_mspan *s);
void gm_span_uncache_objects(struct gm_mspan *s);
unsigned int gm_span_pending(struct gm_mspan *s);

#endif /* _GM_MSPAN_H */
