/* SPDX-License-Identifier: GPL-2.0 */
/* mcache: per-CPU, per-context caches; the allocation and free fast paths. */
#ifndef _GM_MCACHE_H
#define _GM_MCACHE_H

#include <linux/percpu.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/string.h>
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

struct gm_mcache_stats {
	unsigned long nmalloc;
	unsigned long nfree;
};

struct gm_mcache {
	struct gm_mspan *alloc[GM_NUM_SPAN_CLASSES];	/* current span */
	void *freelist[GM_NUM_SPAN_CLASSES];		/* LIFO, objects of alloc[] */
	struct gm_mcache_stats stats[GM_NUM_SPAN_CLASSES];
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

static __always_inline unsigned int gm_ctx(void)
{
	unsigned long pc = preempt_count();

	if (unlikely(pc & NMI_MASK))
		return GM_CTX_NMI;
	if (pc & HARDIRQ_MASK)
		return GM_CTX_HARDIRQ;
	if (pc & SOFTIRQ_OFFSET)
		return GM_CTX_SOFTIRQ;
	return GM_CTX_TASK;
}

/* Call with preemption disabled. */
static __always_inline struct gm_mcache *gm_this_mcache(void)
{
	return __this_cpu_read(gm_mcaches[gm_ctx()]);
}

void *gm_mcache_refill_alloc(unsigned int spc, size_t size, gfp_t gfp,
			     unsigned long ip);

/* Pop the LIFO list, else take the next slot of the allocCache window. */
static __always_inline void *gm_mcache_take(struct gm_mcache *c, unsigned int spc)
{
	struct gm_mspan *s = c->alloc[spc];
	void *p = c->freelist[spc];

	if (likely(p)) {
		c->freelist[spc] = *(void **)p;
		if (want_init_on_free())
			*(void **)p = NULL;
		gm_bit_set(s->alloc_bits, gm_span_objindex(s, (unsigned long)p));
		s->alloc_count++;
		return p;
	}
	return gm_span_next_free_fast(s);
}

/*
 * The allocation fast path. No lock, no atomic instruction: preemption off
 * keeps us on this CPU's cache for the current context.
 */
static __always_inline void *gm_mcache_alloc(unsigned int spc, size_t size,
					     gfp_t gfp, unsigned long ip)
{
	struct gm_mcache *c;
	void *p;

	preempt_disable();
	c = gm_this_mcache();
	p = gm_mcache_take(c, spc);
	if (unlikely(!p)) {
		preempt_enable();
		return gm_mcache_refill_alloc(spc, size, gfp, ip);
	}
	c->stats[spc].nmalloc++;
	preempt_enable();
	return p;
}

void gm_mcache_free_slow(struct gm_mspan *s, unsigned int idx, void *p,
			 unsigned long ip);

/*
 * The free fast path, for an object of a span this context's cache owns:
 * clear its bit and push it on the LIFO list. Others take the slow path.
 */
/*
 * Free into @c, which owns @s (preemption disabled): clear the bit, keep the
 * object on the LIFO list. False if the object is not allocated.
 */
static __always_inline bool gm_mcache_free_owned(struct gm_mcache *c,
						 struct gm_mspan *s,
						 unsigned int idx, void *p)
{
	unsigned int spc = s->spanclass;

	if (unlikely(!gm_bit(s->alloc_bits, idx) || test_bit(idx, s->free_bits)))
		return false;
	if (want_init_on_free())
		gm_zero(p, s->elemsize);
	if (gm_span_free_owned(s, idx)) {
		*(void **)p = c->freelist[spc];
		c->freelist[spc] = p;
	}
	c->stats[spc].nfree++;
	return true;
}

static __always_inline void gm_mcache_free(struct gm_mspan *s, unsigned int idx,
					   void *p, unsigned long ip)
{
	struct gm_mcache *c;

	preempt_disable();
	c = gm_this_mcache();
	if (likely(c->alloc[s->spanclass] == s && gm_mcache_free_owned(c, s, idx, p))) {
		preempt_enable();
		return;
	}
	preempt_enable();
	gm_mcache_free_slow(s, idx, p, ip);
}

int gm_mcache_init(void);
void gm_mcache_exit(void);
void gm_mcache_drain_cpu(unsigned int cpu);
void gm_mcache_drain_all(void);
void gm_mcache_drain_all_wait(void);
void *gm_tiny_alloc(size_t size, gfp_t gfp);
void gm_tiny_free(struct gm_mspan *s, unsigned long p, unsigned long ip);
size_t gm_tiny_usable(struct gm_mspan *s, unsigned long p);
struct gm_mspan *gm_mcache_large_get(unsigned int npages);
bool gm_mcache_large_put(struct gm_mspan *s);
void gm_mcache_large_uncount(unsigned int npages);

#endif /* _GM_MCACHE_H */
