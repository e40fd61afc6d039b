/* SPDX-License-Identifier: GPL-2.0 */
/* mcache: per-CPU, per-context caches; the allocation and free fast paths. */
#ifndef _GM_MCACHE_H
#define _GM_MCACHE_H

#include <linux/percpu.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include "masan.h"
#include "mheap.h"
#include "mleak.h"
#include "mspan.h"

/*
 * Each CPU has one mcache per context it can be entered from: task,
 * serving softirq, hardirq. Within a context the cache is used with only
 * preemption disabled: softirqs do not nest, hardirq handlers run with
 * interrupts off, so nothing on the CPU can interrupt a cache's user and
 * enter the same cache. See the design comment in gomalloc_mod.c.
 */
enum { GM_CTX_TASK, GM_CTX_SOFTIRQ, GM_CTX_HARDIRQ, GM_NR_CTX };
/*
 * NMI gets a cache that holds nothing and is never written: it fails over
 * to the slow paths, which refuse NMI context.
 */
#define GM_CTX_NMI	GM_NR_CTX

/* Freed large spans an mcache keeps for reuse: entries and pages. */
#define GM_LARGE_CACHE		4
#define GM_LARGE_CACHE_PAGES	256

/*
 * One span class of an mcache: all that its fast paths touch, in 32 bytes
 * reached through one pointer (two classes share a cache line).
 */
struct gm_mcache_class {
	struct gm_mspan *span;		/* current span (Go's alloc[spc]) */
	unsigned long freelist;		/* LIFO: first object's index, or GM_FL_END */
	unsigned long nmalloc;
	unsigned long nfree;
};

/*
 * The hardened LIFO list.
 *
 * Threat: a use-after-free write into a freed object. Its first word is the
 * list's link; trusted as a raw pointer, one such write makes the next
 * allocation but one return any address the attacker chose (SLUB's
 * SLAB_FREELIST_HARDENED obfuscates that pointer, but follows a corrupted
 * one and crashes).
 *
 * Defence: the list holds object indexes of the current span, never
 * pointers. cc->freelist is the first one (or GM_FL_END); each listed object
 * holds the next, stored as next ^ gm_fl_secret ^ the object's own address
 * (the secret random per boot), so a blind write decodes to a random value
 * and a copied link is wrong elsewhere. (The link is not cleared on pop
 * unless the object is zeroed: its holder can read the secret from an
 * uninitialised object; what stops a forged link is the checks below.) Nothing decoded is trusted: a pop
 * takes an index only if it is below GM_MAX_OBJS_PER_SPAN and marked in
 * cached_bits (which it clears anyway), and the address is formed from the
 * span's base and element size. So a pop can only hand out an object that
 * is on the list: never an address outside the span, inside an object, of a
 * live object, or one object twice. Anything else is reported and the list
 * dropped, its objects kept allocated as lost (gm_mcache_fl_corrupt(), in
 * mcache.c); allocation goes on from the span's bitmap. A link that decodes
 * to another listed object is accepted: the objects it skips stay marked and
 * become free slots when the span is given up.
 *
 * Cost on the hot pair (alloc+free, bench/README.md): 2 instructions, 137-138
 * where the raw list took 135-136. Two xor on each side for the encoding and
 * the cached-bit test on the pop are mostly paid for by forming the address
 * from the index (no divmul on the pop) and by testing bits in registers
 * (bt, btr, bts: one instruction each, where a mask takes two or three).
 */
#define GM_FL_END	(~0UL)

extern unsigned long gm_fl_secret;

/* A link as stored in (and read back from) the object at @slot. */
static __always_inline unsigned long gm_fl_link(const void *slot, unsigned long v)
{
	return v ^ gm_fl_secret ^ (unsigned long)slot;
}

struct gm_mcache {
	struct gm_mcache_class cls[GM_NUM_SPAN_CLASSES];
	/*
	 * Heap profile: bytes asked for until the next sampled allocation
	 * (Go's nextSample); below 0, the allocation that took it there is
	 * sampled (gm_mcache_countdown). LONG_MAX when profiling is off.
	 * sample_rng: the draws' random state (get_random_u32() may sleep
	 * on PREEMPT_RT, and the draw runs with preemption disabled).
	 */
	long next_sample;
	u64 sample_rng;
	/* tiny allocator: current 16-byte block */
	unsigned long tiny;
	struct gm_tiny_block *tiny_meta;
	unsigned int tinyoffset;
	unsigned long tiny_allocs, tiny_frees;
	unsigned long tiny_bytes_alloc, tiny_bytes_free;
	/* large objects: parked spans and counters */
	struct gm_mspan *large[GM_LARGE_CACHE];
	unsigned int nlarge, large_cached_pages;
	unsigned long large_allocs, large_frees;
	unsigned long large_pages_alloc, large_pages_free;
	unsigned int cpu, ctx;
};

DECLARE_PER_CPU(struct gm_mcache *, gm_mcaches[GM_NR_CTX + 1]);
extern struct gm_mspan gm_empty_span;

/* The context of an interrupt: out of the task path's way. */
static __always_inline unsigned int gm_ctx_irq(unsigned long pc)
{
	if (unlikely(pc & NMI_MASK))
		return GM_CTX_NMI;
	if (pc & HARDIRQ_MASK)
		return GM_CTX_HARDIRQ;
	if (pc & SOFTIRQ_OFFSET)
		return GM_CTX_SOFTIRQ;
	return GM_CTX_TASK;
}

/* The current context (GM_CTX_*): one test of preempt_count for a task. */
static __always_inline unsigned int gm_mcache_ctx(void)
{
	unsigned long pc = preempt_count();

	if (likely(!(pc & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET))))
		return GM_CTX_TASK;
	return gm_ctx_irq(pc);
}

/*
 * Call with preemption disabled. Task context reads a fixed slot: one test
 * of preempt_count and one per-CPU load.
 */
static __always_inline struct gm_mcache *gm_this_mcache(void)
{
	unsigned long pc = preempt_count();

	if (likely(!(pc & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET))))
		return __this_cpu_read(gm_mcaches[GM_CTX_TASK]);
	return __this_cpu_read(gm_mcaches[gm_ctx_irq(pc)]);
}

/*
 * The slow paths are entered with preemption disabled, as the fast paths
 * leave it, and enable it first: nothing the fast path computed has to
 * survive a preempt_enable() there.
 */
void *gm_mcache_refill_alloc(unsigned int spc, size_t size, gfp_t gfp,
			     unsigned long ip, bool init);
void *gm_mcache_alloc_sampled(unsigned int spc, size_t size, gfp_t gfp,
			      unsigned long ip);
bool gm_mcache_resample(struct gm_mcache *c);

/*
 * Count @size bytes down on @c's profile countdown (preemption disabled):
 * true if it ran out, and then an out-of-line path calls
 * gm_mcache_resample(). One subtraction from memory and a branch.
 */
static __always_inline bool gm_mcache_countdown(struct gm_mcache *c, size_t size)
{
	return unlikely((c->next_sample -= (long)size) < 0);
}

/*
 * Pop the LIFO list, else take the next slot of the allocCache window, and
 * count the allocation. NULL also when the list holds an entry that is not
 * a listed object of the span: the refill path, out of line, tells that
 * (cc->freelist is not GM_FL_END) from an empty window and reports it.
 * Links are at @off in each element (0 but for typed caches that keep
 * their objects' contents: see struct gm_mspan).
 */
static __always_inline void *gm_mcache_take_at(struct gm_mcache_class *cc,
					       unsigned int off)
{
	struct gm_mspan *s = cc->span;
	unsigned long idx = cc->freelist, *wp, w;
	void *p;

	if (likely(idx < GM_MAX_OBJS_PER_SPAN)) {
		wp = &s->cached_bits[idx / BITS_PER_LONG];
		w = *wp;
		if (unlikely(!gm_word_test_clear(&w, idx)))
			return NULL;
		*wp = w;
		p = (void *)(s->base + idx * s->elemsize);
		if (!p)		/* never: spans do not start at 0 */
			__builtin_unreachable();
		cc->nmalloc++;
		cc->freelist = gm_fl_link(p + off, gm_link_read(p + off));
		if (want_init_on_free())
			gm_link_write(p + off, 0);
		s->alloc_count++;
		return p;
	}
	if (unlikely(idx != GM_FL_END))
		return NULL;
	p = gm_span_next_free_fast(s);
	if (likely(p))
		cc->nmalloc++;
	return p;
}

static __always_inline void *gm_mcache_take(struct gm_mcache_class *cc)
{
	return gm_mcache_take_at(cc, 0);
}

/*
 * init_on_alloc and __GFP_ZERO: the whole element, as SLUB zeroes the whole
 * kmalloc object. Size classes only: the tiny allocator zeroes sub-objects.
 */
static __always_inline void gm_mcache_init_obj(unsigned int spc, void *p,
					       gfp_t gfp)
{
	if (want_init_on_alloc(gfp))
		gm_zero(p, gm_class_to_size[spc]);
}

/*
 * The allocation fast path. No lock, no atomic instruction: preemption off
 * keeps us on this CPU's cache for the current context. With @init (a
 * constant at each caller: true for size classes, false for tiny blocks)
 * the object is zeroed as gm_mcache_init_obj() says and counted for the
 * heap profile (tiny blocks are not objects: gm_tiny_alloc counts its own).
 */
static __always_inline void *gm_mcache_alloc(unsigned int spc, size_t size,
					     gfp_t gfp, unsigned long ip,
					     bool init)
{
	struct gm_mcache_class *cc;
	struct gm_mcache *c;
	void *p;

	preempt_disable();
	c = gm_this_mcache();
	if (init && gm_mcache_countdown(c, size))
		return gm_mcache_alloc_sampled(spc, size, gfp, ip);	/* enables preemption */
	cc = &c->cls[spc];
	p = gm_mcache_take(cc);
	if (unlikely(!p))	/* enables preemption, initializes */
		return gm_mcache_refill_alloc(spc, size, gfp, ip, init);
	preempt_enable();
	if (init)
		gm_mcache_init_obj(spc, p, gfp);
	return p;
}

void gm_mcache_free_slow(struct gm_mspan *s, unsigned int idx, void *p,
			 unsigned long ip);
void gm_mcache_free_ptr(struct gm_mspan *e, const void *ptr, unsigned long ip);
void gm_mcache_free_other(unsigned int spc, struct gm_mspan *e, const void *p,
			  unsigned long ip);
void gm_mcache_free_bulk(unsigned int spc, size_t n, void **p, unsigned long ip);
size_t gm_mcache_alloc_bulk(unsigned int spc, size_t size, gfp_t gfp, size_t n,
			    void **p, unsigned long ip, bool init);

/*
 * Free into @cc, whose span @s is (preemption disabled): push the object's
 * index on the LIFO list, marked in cached_bits (it stays allocated in
 * alloc_bits, so the allocCache window never hands it out twice). False if
 * the object is not allocated, already on the list, or already freed
 * remotely. The link goes at @off; @zero: init_on_free zeroes the element.
 */
static __always_inline bool gm_mcache_free_owned_at(struct gm_mcache_class *cc,
						    struct gm_mspan *s, unsigned int idx,
						    void *p, unsigned int off, bool zero)
{
	unsigned int w = idx / BITS_PER_LONG;
	unsigned long cached = s->cached_bits[w];

	if (unlikely(!gm_word_test(s->alloc_bits[w], idx) ||
		     gm_word_test(cached | READ_ONCE(s->free_bits[w]), idx)))
		return false;
	gm_leak_free(p);
	cc->nfree++;
	gm_asan_free(s, p);	/* freed from here on: poisoned before it is listed */
	if (zero && want_init_on_free())
		gm_zero(p, s->elemsize);
	gm_word_set(&cached, idx);
	s->cached_bits[w] = cached;
	s->alloc_count--;
	gm_link_write(p + off, gm_fl_link(p + off, cc->freelist));
	cc->freelist = idx;
	return true;
}

static __always_inline bool gm_mcache_free_owned(struct gm_mcache_class *cc,
						 struct gm_mspan *s,
						 unsigned int idx, void *p)
{
	return gm_mcache_free_owned_at(cc, s, idx, p, 0, true);
}

/*
 * The free fast path, for an object of a span this context's cache owns,
 * entered with preemption disabled (gofree() disables it before it reads
 * the index). Others take the slow path (in NMI context: deferred).
 */
static __always_inline void gm_mcache_free_preempt_off(struct gm_mspan *s,
						       unsigned int idx, void *p,
						       unsigned long ip)
{
	struct gm_mcache_class *cc;

	cc = &gm_this_mcache()->cls[s->spanclass];
	OPTIMIZER_HIDE_VAR(cc);	/* one pointer, not recomputed per field */
	if (likely(cc->span == s && gm_mcache_free_owned(cc, s, idx, p))) {
		preempt_enable();
		return;
	}
	gm_mcache_free_slow(s, idx, p, ip);	/* enables preemption */
}

static __always_inline void gm_mcache_free(struct gm_mspan *s, unsigned int idx,
					   void *p, unsigned long ip)
{
	preempt_disable();
	gm_mcache_free_preempt_off(s, idx, p, ip);
}

/*
 * ---- typed caches' per-CPU part (typedcache.c uses it) ----
 *
 * Each typed cache has, per CPU, one class slot per context, as an mcache
 * has per span class; the fast paths below are those of the size classes
 * with the cache's link offset.
 */
struct gm_mcache_typed {
	struct gm_mcache_class cls[GM_NR_CTX + 1];	/* + NMI: always empty */
};

/* This CPU's slot of @t for the current context; preemption disabled. */
static __always_inline struct gm_mcache_class *
gm_mcache_typed_here(struct gm_mcache_typed __percpu *t)
{
	unsigned long pc = preempt_count();
	unsigned int ctx = GM_CTX_TASK;

	if (unlikely(pc & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET)))
		ctx = gm_ctx_irq(pc);
	return &this_cpu_ptr(t)->cls[ctx];
}

struct gm_mcache_typed __percpu *gm_mcache_typed_add(unsigned int spc);
struct gm_mcache_typed __percpu *gm_mcache_typed_unpublish(unsigned int spc);
void gm_mcache_typed_free(struct gm_mcache_typed __percpu *t);
void gm_mcache_typed_counts(unsigned int spc, unsigned long *nmalloc,
			    unsigned long *nfree);
void gm_mcache_free_typed(struct gm_mspan *s, unsigned int idx, void *p,
			  unsigned long ip);

/*
 * Free any pointer, as gofree() does (untraced): the small-object case of
 * gm_span_of(), open-coded: one state test, the range test, then the
 * object's start. Anything else, including NULL, ZERO_SIZE_PTR (never in
 * the index) and a stale index entry, is sorted out by the slow path
 * (gm_mcache_free_ptr). Preemption is disabled first: the fast path needs
 * it, and it makes this an RCU reader of the index.
 */
static __always_inline void gm_mcache_free_any(const void *ptr, unsigned long ip)
{
	unsigned long p = (unsigned long)ptr, off;
	struct gm_mspan *s;
	unsigned int idx;

	preempt_disable();
	s = gm_span_index(p);
	/* Also a span with sampled objects (mprof.c) takes the slow path. */
	if (unlikely(!s || READ_ONCE(s->state_word) != GM_SPAN_WORD(GM_SPAN_SMALL)))
		goto slow;
	off = p - READ_ONCE(s->base);
	if (unlikely(off >= READ_ONCE(s->bytes)))
		goto slow;
	idx = (u32)(((u64)off * s->divmul) >> 32);
	if (unlikely((unsigned long)idx * s->elemsize != off))
		goto slow;
	gm_mcache_free_preempt_off(s, idx, (void *)p, ip);
	return;
slow:
	gm_mcache_free_ptr(s, ptr, ip);	/* enables preemption */
}

int gm_mcache_init(void);
void gm_mcache_exit(void);
void gm_mcache_drain_cpu(unsigned int cpu);
void gm_mcache_drain_local(void);
void gm_mcache_drain_all(void);
void gm_mcache_drain_all_wait(void);
void gm_mcache_resample_all(void);
/* Frees NMI (and PREEMPT_RT's atomic context) may have pending per CPU. */
#define GM_NMI_SLOTS	(IS_ENABLED(CONFIG_PREEMPT_RT) ? 256 : 32)
void gm_mcache_free_nmi(const void *ptr, unsigned long ip);
/* A slow-path free where gm_rt_atomic(): deferred as from NMI. */
void gm_mcache_free_rt_atomic(const void *ptr, unsigned long ip);
void gm_mcache_nmi_init(void (*free_fn)(const void *ptr, unsigned long ip));
void gm_mcache_nmi_flush(void);
unsigned long gm_mcache_freeable_pages(void);
void *gm_tiny_alloc(size_t size, gfp_t gfp, unsigned long ip);
void gm_tiny_free(struct gm_mspan *s, unsigned long p, unsigned long ip);
size_t gm_tiny_usable(struct gm_mspan *s, unsigned long p);
size_t gm_mcache_usable_size(const void *ptr);
void *gm_mcache_large_alloc(size_t size, gfp_t gfp, unsigned long ip);
void gm_mcache_large_free(struct gm_mspan *s, unsigned long ip);

#endif /* _GM_MCACHE_H */
