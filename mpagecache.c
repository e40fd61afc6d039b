// SPDX-License-Identifier: GPL-2.0
/*
 * pageCache (Go's mpagecache.go): per CPU, a 64-page aligned block taken from
 * the heap and a 64-bit bitmap of its free pages, so spans under 16 pages are
 * cut without the heap lock. Flushed on CPU offline, reclaim and unload.
 *
 * Locking: each pagecache's lock (irqsave) is almost always taken by its own
 * CPU; a flush from elsewhere takes it too. A flush calls the heap and
 * fixalloc under it (lock order: gomalloc_mod.c).
 */
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include "gm_compat.h"
#include "mem.h"
#include "mreport.h"
#include "mheap.h"
#include "mleak.h"
#include "mpagecache.h"

static DEFINE_PER_CPU(struct gm_pagecache, gm_pcache);

void gm_pagecache_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		spin_lock_init(&per_cpu_ptr(&gm_pcache, cpu)->lock);
}

/*
 * allocN's search: first index of @npages consecutive set bits that is a
 * multiple of @align (a power of two up to 64), or -1. The block is
 * 64-page aligned, so that index is an @align-page aligned address.
 */
int gm_pagecache_find_run(u64 cache, unsigned int npages, unsigned int align)
{
	u64 x = cache;
	unsigned int i;

	if (!npages || npages > GM_PCACHE_PAGES || !is_power_of_2(align) ||
	    align > GM_PCACHE_PAGES)
		return -1;
	for (i = 1; i < npages && x; i++)
		x &= cache >> i;
	/* Bits 0, align, 2 * align, ...: ~0 / (2^align - 1) for align < 64. */
	if (align > 1)
		x &= align == 64 ? 1 : ~0ULL / ((1ULL << align) - 1);
	return x ? __ffs64(x) : -1;
}
GM_EXPORT_INTERNAL(gm_pagecache_find_run);

static unsigned long gm_pagecache_cut(struct gm_pagecache *pc, unsigned int npages,
				      unsigned int align, struct gm_arena **arena)
{
	int i;
	u64 mask;

	lockdep_assert_held(&pc->lock);
	if (!pc->cache)
		return 0;
	i = gm_pagecache_find_run(pc->cache, npages, align);
	if (i < 0)
		return 0;
	mask = (npages == 64 ? ~0ULL : (1ULL << npages) - 1) << i;
	pc->cache &= ~mask;
	pc->hits++;
	/* Read under the lock: a flush may free the block's descriptor after. */
	*arena = pc->block->arena;
	return gm_leak_hide(pc->base) + ((unsigned long)i << PAGE_SHIFT);
}

/*
 * allocToCache: a fresh 64-page block from the heap, 64-page aligned as Go's
 * (an aligned cut is then an aligned bit index), marked GM_SPAN_PCACHE in
 * the index so the heap never merges its pages while the cache holds them.
 */
static struct gm_mspan *gm_pagecache_new_block(gfp_t gfp)
{
	struct gm_mspan *b = gm_heap_alloc_aligned(GM_PCACHE_PAGES, GM_PCACHE_PAGES, gfp);

	if (b)
		gm_heap_publish(b, GM_SPAN_PCACHE);
	return b;
}

/*
 * Lock the cache of the CPU we run on. Holding the lock keeps us there
 * (interrupts off; on PREEMPT_RT, migration off), so that CPU is online.
 */
static struct gm_pagecache *gm_pagecache_lock_this(unsigned long *flags)
	__acquires(pagecache_lock)
{
	struct gm_pagecache *pc;

	for (;;) {
		pc = raw_cpu_ptr(&gm_pcache);
		spin_lock_irqsave(&pc->lock, *flags);
		if (likely(pc == raw_cpu_ptr(&gm_pcache)))
			return pc;
		spin_unlock_irqrestore(&pc->lock, *flags);
	}
}

/*
 * Pages for a span of @npages (< GM_PCACHE_MAX_RUN) on an @align-page
 * boundary from this CPU's cache, or 0: the caller then goes to the heap.
 * Refills only an empty cache, as Go does, so a refill never has free pages
 * to flush. The refill may sleep
 * and move us to another CPU, or see the CPU die (its dead-CPU flush then
 * already ran): the new block goes to the cache of the CPU we are on once
 * it is in hand, which is online.
 */
static unsigned long gm_pagecache_alloc(unsigned int npages, unsigned int align, gfp_t gfp,
					struct gm_arena **arena)
{
	struct gm_mspan *b, *old = NULL;
	struct gm_pagecache *pc;
	unsigned long flags, base;

	pc = gm_pagecache_lock_this(&flags);
	base = gm_pagecache_cut(pc, npages, align, arena);
	if (base || pc->cache) {
		spin_unlock_irqrestore(&pc->lock, flags);
		return base;
	}
	spin_unlock_irqrestore(&pc->lock, flags);

	/* A block is a bonus, never worth __GFP_NOFAIL: the heap can serve. */
	b = gm_pagecache_new_block((gfp & ~__GFP_NOFAIL) | __GFP_NOWARN);
	if (!b)
		return 0;
	gm_race_window(GM_RACE_PCACHE_REFILL, NULL);
	pc = gm_pagecache_lock_this(&flags);
	if (!pc->cache) {
		/* Every page of the old block now belongs to a span. */
		old = pc->block;
		pc->block = b;
		pc->base = gm_leak_hide(b->base);
		pc->cache = ~0ULL;
		pc->refills++;
		b = NULL;
	}
	base = gm_pagecache_cut(pc, npages, align, arena);
	spin_unlock_irqrestore(&pc->lock, flags);
	if (old)
		gm_fixalloc_free(&gm_heap.spanalloc, old);
	if (b)
		gm_heap_free(b);	/* lost a race with another refill */
	return base;
}

/*
 * A span of @npages pages on an @align-page boundary, state DEAD, for the
 * caller to initialise and gm_heap_publish(): what mcentral and the large
 * objects ask for. Spans under GM_PCACHE_MAX_RUN pages come from this CPU's
 * pageCache when it can serve them (Go's mheap.allocSpan: pcache first),
 * the others and the misses from the heap.
 */
struct gm_mspan *gm_pagecache_alloc_span(unsigned int npages, unsigned int align,
					 gfp_t gfp)
{
	struct gm_mspan *s;
	unsigned long base;

	if (npages >= GM_PCACHE_MAX_RUN)
		return gm_heap_alloc_aligned(npages, align, gfp);
	if (gm_heap_should_fail(npages, gfp))
		return NULL;
	s = gm_fixalloc_alloc(&gm_heap.spanalloc, gfp);
	if (!s)
		return NULL;
	base = gm_pagecache_alloc(npages, align, gfp, &s->arena);
	if (!base)	/* the heap takes @s */
		return gm_heap_alloc_span(npages, align, gfp, s);
	s->base = base;
	s->npages = npages;
	return s;
}
GM_EXPORT_INTERNAL(gm_pagecache_alloc_span);

/* flush: give the free pages of @cpu's block back to the heap. */
void gm_pagecache_flush(unsigned int cpu)
{
	struct gm_pagecache *pc = per_cpu_ptr(&gm_pcache, cpu);
	struct gm_mspan *s;
	unsigned long flags;

	spin_lock_irqsave(&pc->lock, flags);
	if (pc->cache == ~0ULL) {
		/* Untouched block: back whole, with its own descriptor. */
		gm_heap_free(pc->block);
		pc->block = NULL;
		pc->cache = 0;
	}
	while (pc->cache) {
		unsigned int start = __ffs64(pc->cache), len;
		u64 rest = ~(pc->cache >> start);

		len = rest ? __ffs64(rest) : 64 - start;
		s = gm_fixalloc_alloc(&gm_heap.spanalloc, GFP_ATOMIC | __GFP_NOWARN);
		if (!s)
			break;	/* kept for a later flush; nothing is lost */
		s->base = gm_leak_hide(pc->base) + ((unsigned long)start << PAGE_SHIFT);
		s->npages = len;
		s->arena = pc->block->arena;
		pc->cache &= ~((len == 64 ? ~0ULL : (1ULL << len) - 1) << start);
		gm_heap_free(s);
	}
	if (!pc->cache && pc->block) {
		/* Index entries inside freed runs may still name it: keep it valid. */
		WRITE_ONCE(pc->block->state, GM_SPAN_DEAD);
		gm_fixalloc_free(&gm_heap.spanalloc, pc->block);
		pc->block = NULL;
	}
	if (!pc->cache)
		pc->base = 0;
	pc->flushes++;
	spin_unlock_irqrestore(&pc->lock, flags);
}
GM_EXPORT_INTERNAL(gm_pagecache_flush);

void gm_pagecache_flush_all(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		gm_pagecache_flush(cpu);
}
GM_EXPORT_INTERNAL(gm_pagecache_flush_all);

/* Free pages in @cpu's cache (debugfs gomalloc/pagecache, tests). */
unsigned long gm_pagecache_cpu_pages(unsigned int cpu)
{
	return hweight64(READ_ONCE(per_cpu_ptr(&gm_pcache, cpu)->cache));
}
GM_EXPORT_INTERNAL(gm_pagecache_cpu_pages);

static int gm_pagecache_show(struct seq_file *m, void *v)
{
	unsigned int cpu;

	seq_puts(m, "# cpu online free_pages refills flushes\n");
	for_each_possible_cpu(cpu) {
		struct gm_pagecache *pc = per_cpu_ptr(&gm_pcache, cpu);

		seq_printf(m, "%u %d %lu %lu %lu\n", cpu, cpu_online(cpu),
			   gm_pagecache_cpu_pages(cpu), READ_ONCE(pc->refills),
			   READ_ONCE(pc->flushes));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gm_pagecache);

void gm_pagecache_debugfs(struct dentry *dir)
{
	debugfs_create_file("pagecache", 0400, dir, NULL, &gm_pagecache_fops);
}

unsigned long gm_pagecache_free_pages(void)
{
	unsigned long n = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		n += gm_pagecache_cpu_pages(cpu);
	return n;
}
GM_EXPORT_INTERNAL(gm_pagecache_free_pages);

void gm_pagecache_exit(void)
{
	gm_pagecache_flush_all();
}
