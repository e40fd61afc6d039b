// SPDX-License-Identifier: GPL-2.0
/*
 * mcentral: per span class, the spans no CPU caches, on partial/full lists
 * split into swept and unswept (Go's mcentral.go); cacheSpan, uncacheSpan,
 * grow, and the sweeping that applies frees made by other CPUs.
 *
 * Locking: each mcentral's lock (irqsave) protects its lists, the list and
 * sweepgen fields of its listed spans, and their allocation state; it
 * nests nothing (lock order: gomalloc_mod.c).
 *
 * Invariant: a span goes on a swept list only when its npending is 0 under
 * the lock; the remote free that takes npending from 0 to 1 moves it to the
 * unswept list of the same kind, so a full span with a free slot is found
 * without scanning every full span.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include "gm_compat.h"
#include "masan.h"
#include "mem.h"
#include "mreport.h"
#include "mcentral.h"
#include "mheap.h"
#include "mleak.h"
#include "mpagecache.h"
#include "gm_trace.h"

struct gm_mcentral gm_central[GM_ALL_SPAN_CLASSES];
GM_EXPORT_INTERNAL(gm_central);
struct gm_mcentral __rcu *gm_cache_central[GM_MAX_CACHES];
GM_EXPORT_INTERNAL(gm_cache_central);

static void gm_mcentral_setup(struct gm_mcentral *c, unsigned int spc)
{
	spin_lock_init(&c->lock);
	c->spanclass = spc;
	INIT_LIST_HEAD(&c->partial_swept);
	INIT_LIST_HEAD(&c->partial_unswept);
	INIT_LIST_HEAD(&c->full_swept);
	INIT_LIST_HEAD(&c->full_unswept);
	INIT_LIST_HEAD(&c->empty);
	c->nempty = 0;
	c->nspans = 0;
	c->ncached = 0;
}

/* The size classes, the tiny blocks and the debug classes. */
void gm_mcentral_init(void)
{
	unsigned int i;

	for (i = 0; i < GM_ALL_SPAN_CLASSES; i++) {
		struct gm_mcentral *c = &gm_central[i];
		unsigned int sc = gm_spc_sizeclass(i);

		gm_mcentral_setup(c, i);
		if (sc >= GM_NUM_SIZE_CLASSES)	/* the last debug number: unused */
			continue;
		c->npages = gm_class_to_npages[sc];
		c->align = gm_class_span_align(sc);
		c->elemsize = gm_class_to_size[sc];
		c->divmul = gm_class_to_divmul[sc];
	}
}

/*
 * A typed cache's class: @c has its geometry, ctor and flags set; it gets a
 * free GM_CACHE_SPC() number. Callers serialise (typedcache.c's mutex).
 * Returns the span class or -ENOSPC.
 */
int gm_mcentral_register(struct gm_mcentral *c)
{
	unsigned int i;

	for (i = 0; i < GM_MAX_CACHES; i++) {
		if (rcu_access_pointer(gm_cache_central[i]))
			continue;
		gm_mcentral_setup(c, GM_CACHE_SPC(i));
		rcu_assign_pointer(gm_cache_central[i], c);
		return c->spanclass;
	}
	return -ENOSPC;
}
GM_EXPORT_INTERNAL(gm_mcentral_register);

/*
 * The class has no span left: forget it. The caller waits for an RCU grace
 * period before freeing @c (sweeps may still be reading it).
 */
void gm_mcentral_unregister(struct gm_mcentral *c)
{
	WARN_ON_ONCE(c->nspans);
	RCU_INIT_POINTER(gm_cache_central[c->spanclass - GM_CACHE_SPC(0)], NULL);
}
GM_EXPORT_INTERNAL(gm_mcentral_unregister);

/* Class @i of every class there is (NULL: a free typed-cache slot). RCU reader. */
static struct gm_mcentral *gm_mcentral_nth(unsigned int i)
{
	if (i < GM_ALL_SPAN_CLASSES)
		return &gm_central[i];
	return rcu_dereference(gm_cache_central[i - GM_ALL_SPAN_CLASSES]);
}

static struct list_head *gm_mcentral_head(struct gm_mcentral *c,
					  enum gm_span_list l)
{
	switch (l) {
	case GM_LIST_PARTIAL_SWEPT:
		return &c->partial_swept;
	case GM_LIST_PARTIAL_UNSWEPT:
		return &c->partial_unswept;
	case GM_LIST_FULL_SWEPT:
		return &c->full_swept;
	default:
		return &c->full_unswept;
	}
}

/* Put a span the caller owns on the list its state calls for. */
static void gm_mcentral_list(struct gm_mcentral *c, struct gm_mspan *s)
{
	bool full = s->alloc_count == s->nelems;
	bool unswept = atomic_read(&s->npending) > 0;
	enum gm_span_list l;

	lockdep_assert_held(&c->lock);
	if (full)
		l = unswept ? GM_LIST_FULL_UNSWEPT : GM_LIST_FULL_SWEPT;
	else
		l = unswept ? GM_LIST_PARTIAL_UNSWEPT : GM_LIST_PARTIAL_SWEPT;
	s->list = l;
	s->sweepgen = unswept ? GM_SG_NEEDS_SWEEP : GM_SG_SWEPT;
	list_add(&s->list_node, gm_mcentral_head(c, l));
}

static void gm_mcentral_unlist(struct gm_mcentral *c, struct gm_mspan *s)
{
	lockdep_assert_held(&c->lock);
	list_del(&s->list_node);
	s->list = GM_LIST_NONE;
}

/* Sweep a span taken off a list (sweepgen: needs sweep -> sweeping -> swept). */
static void gm_mcentral_sweep_span(struct gm_mcentral *c, struct gm_mspan *s)
{
	lockdep_assert_held(&c->lock);
	s->sweepgen = GM_SG_SWEEPING;
	gm_span_sweep(s);
	s->sweepgen = GM_SG_SWEPT;
}

/*
 * A span left without objects (swept, no pending free, on no list): keep it
 * in the class's reserve if there is room (not for debug classes, whose
 * freed objects stay poisoned until reused). True if kept.
 */
static bool gm_mcentral_keep_empty(struct gm_mcentral *c, struct gm_mspan *s)
{
	lockdep_assert_held(&c->lock);
	if (gm_spc_is_debug(c->spanclass) || c->nempty >= GM_MCENTRAL_EMPTY_KEEP)
		return false;
	s->list = GM_LIST_EMPTY;
	s->sweepgen = GM_SG_SWEPT;
	list_add(&s->list_node, &c->empty);
	c->nempty++;
	return true;
}

static void gm_mcentral_rcu_release(struct rcu_head *head)
{
	gm_heap_free(container_of(head, struct gm_mspan, rcu));
}

/*
 * Free a span's memory to the heap; it is on no list and holds no object.
 * A debug span's poison, red zones and caller records would outlive it in
 * pages that normal objects reuse: under init_on_free they are zeroed. A
 * SLAB_TYPESAFE_BY_RCU class's span goes after a grace period: readers that
 * found an object in it before its free may still read it as one of its
 * type. It is no object's span from now on (frees of its pointers are
 * refused).
 */
static void gm_mcentral_release(struct gm_mcentral *c, struct gm_mspan *s)
{
	if (gm_spc_is_debug(s->spanclass) && want_init_on_free())
		gm_zero((void *)s->base, (size_t)s->npages << PAGE_SHIFT);
	if (s->tiny) {
		gm_fixalloc_free(&gm_heap.tinyalloc, s->tiny);
		s->tiny = NULL;
	}
	if (c->rcu_free) {
		WRITE_ONCE(s->state, GM_SPAN_DEAD);
		call_rcu(&s->rcu, gm_mcentral_rcu_release);
		return;
	}
	gm_heap_free(s);
}

/* grow: a new span for class @c from the pageCache or the heap. No lock held. */
static struct gm_mspan *gm_mcentral_grow(struct gm_mcentral *c, gfp_t gfp)
{
	unsigned int spc = c->spanclass, i;
	struct gm_mspan *s;

	s = gm_pagecache_alloc_span(c->npages, c->align, gfp);
	if (!s)
		return NULL;
	gm_span_init_small(s, spc, c->elemsize, c->divmul, c->link_off);
	if (gm_spc_is_tiny(spc)) {
		s->tiny = gm_fixalloc_alloc(&gm_heap.tinyalloc, gfp);
		if (!s->tiny) {
			gm_heap_free(s);
			return NULL;
		}
	}
	/* Debug spans: no stale "freed" metadata from the pages' earlier life. */
	if (gm_spc_is_debug(spc))
		gm_zero((void *)s->base, (size_t)s->npages << PAGE_SHIFT);
	gm_asan_span_new(s);
	/* As SLUB: a constructor runs once per slot, when the slot is made. */
	if (c->ctor)
		for (i = 0; i < s->nelems; i++)
			gm_asan_ctor(c->ctor, (void *)(s->base + (unsigned long)i * s->elemsize),
				     c->link_off);
	gm_heap_publish(s, gm_spc_is_tiny(spc) ? GM_SPAN_TINY :
			gm_spc_is_debug(spc) ? GM_SPAN_DEBUG :
			gm_spc_is_cache(spc) ? GM_SPAN_CACHE : GM_SPAN_SMALL);
	return s;
}

/*
 * cacheSpan: a span with at least one free slot for an mcache to own: a
 * swept partial span, else an unswept partial one swept now, else an empty
 * one from the reserve, else up to GM_CACHESPAN_SWEEP_BUDGET unswept full
 * spans swept, else a new span.
 */
struct gm_mspan *gm_mcentral_cache_span(unsigned int spc, gfp_t gfp)
{
	struct gm_mcentral *c = gm_mcentral_of(spc);
	unsigned int budget = GM_CACHESPAN_SWEEP_BUDGET;
	struct gm_mspan *s;
	unsigned long flags;
	bool grown = false;

	spin_lock_irqsave(&c->lock, flags);
	s = list_first_entry_or_null(&c->partial_swept, struct gm_mspan, list_node);
	if (!s)
		s = list_first_entry_or_null(&c->partial_unswept, struct gm_mspan,
					     list_node);
	if (s) {
		gm_mcentral_unlist(c, s);
		gm_mcentral_sweep_span(c, s);
		goto have;
	}
	s = list_first_entry_or_null(&c->empty, struct gm_mspan, list_node);
	if (s) {
		list_del(&s->list_node);
		c->nempty--;
		goto have;
	}
	while (budget-- &&
	       (s = list_first_entry_or_null(&c->full_unswept, struct gm_mspan,
					     list_node))) {
		gm_mcentral_unlist(c, s);
		gm_mcentral_sweep_span(c, s);
		if (s->alloc_count < s->nelems)
			goto have;
		gm_mcentral_list(c, s);
	}
	spin_unlock_irqrestore(&c->lock, flags);

	s = gm_mcentral_grow(c, gfp);
	if (!s)
		return NULL;
	grown = true;
	spin_lock_irqsave(&c->lock, flags);
	c->nspans++;
have:
	s->list = GM_LIST_CACHED;
	s->sweepgen = GM_SG_CACHED;
	c->ncached++;
	spin_unlock_irqrestore(&c->lock, flags);
	gm_span_reset_cache(s);
	trace_gomalloc_span_refill(spc, s->elemsize, s->base, s->npages,
				   s->nelems - s->alloc_count, grown);
	return s;
}
GM_EXPORT_INTERNAL(gm_mcentral_cache_span);

/*
 * uncacheSpan: an mcache gives a span back (the objects of its LIFO list
 * already made free slots by gm_span_uncache_objects()). Sweep, then list
 * it, or release it to the heap when no object is left.
 */
void gm_mcentral_uncache_span(struct gm_mspan *s)
{
	struct gm_mcentral *c = gm_mcentral_of(s->spanclass);
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	WARN_ON_ONCE(s->list != GM_LIST_CACHED);
	c->ncached--;
	gm_mcentral_sweep_span(c, s);
	if (s->alloc_count == 0 && atomic_read(&s->npending) == 0) {
		if (gm_mcentral_keep_empty(c, s)) {
			spin_unlock_irqrestore(&c->lock, flags);
			return;
		}
		s->list = GM_LIST_NONE;
		c->nspans--;
		spin_unlock_irqrestore(&c->lock, flags);
		gm_mcentral_release(c, s);
		return;
	}
	gm_mcentral_list(c, s);
	spin_unlock_irqrestore(&c->lock, flags);
}
GM_EXPORT_INTERNAL(gm_mcentral_uncache_span);

/*
 * The remote free that made npending 1: set its bit under the lock and, if
 * the span is on a swept list, move it to the unswept one. Returns true if
 * the bit was already set (a double free).
 */
static bool gm_mcentral_pending_free(struct gm_mspan *s, unsigned int idx)
{
	struct gm_mcentral *c = gm_mcentral_of(s->spanclass);
	unsigned long flags;
	bool dbl;

	spin_lock_irqsave(&c->lock, flags);
	dbl = test_and_set_bit(idx, s->free_bits);
	if (!dbl && (s->list == GM_LIST_PARTIAL_SWEPT ||
		     s->list == GM_LIST_FULL_SWEPT)) {
		gm_mcentral_unlist(c, s);
		gm_mcentral_list(c, s);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return dbl;
}

/*
 * A free by a non-owner: record it on the side; the owner's alloc_bits are
 * only read here. The free that makes npending 1 goes through the mcentral
 * (under its lock), which makes a listed span findable again; the others
 * only set their bit. Nothing touches @s after its bit is set, except under
 * the mcentral lock, so the span cannot be released under our feet.
 */
bool gm_mcentral_free_remote(struct gm_mspan *s, unsigned int idx, const void *p,
			     unsigned long ip)
{
	bool dbl;

	/* cached_bits is the owner's: a racy read, enough to catch a bug. */
	if (!test_bit(idx, s->alloc_bits) || test_bit(idx, s->cached_bits)) {
		gm_report_free(p, "object is not allocated (double free?)", true, ip);
		return false;
	}
	/* Before its bit is set: after it the owner may hand it out. */
	gm_leak_free(p);
	gm_asan_free(s, p);
	if (want_init_on_free() && s->state != GM_SPAN_DEBUG && !gm_span_keeps_contents(s))
		gm_zero((void *)p, s->elemsize);
	if (atomic_inc_return(&s->npending) == 1)
		dbl = gm_mcentral_pending_free(s, idx);
	else
		dbl = test_and_set_bit(idx, s->free_bits);
	if (unlikely(dbl)) {
		atomic_dec(&s->npending);
		gm_report_free(p, "object freed twice", true, ip);
		return false;
	}
	return true;
}
GM_EXPORT_INTERNAL(gm_mcentral_free_remote);

/*
 * Sweep every unswept span of class @c; spans left without objects, and the
 * class's reserve of empty spans, go back to the heap. Returns the number
 * of spans released; with @live, the objects left in its listed spans.
 */
unsigned long gm_mcentral_sweep(struct gm_mcentral *c, unsigned long *live)
{
	struct list_head *heads[] = { &c->partial_swept, &c->partial_unswept,
				      &c->full_swept, &c->full_unswept };
	unsigned long released = 0, flags;
	struct gm_mspan *s, *n;
	LIST_HEAD(empty);
	LIST_HEAD(todo);
	unsigned int h;

	spin_lock_irqsave(&c->lock, flags);
	list_for_each_entry(s, &c->empty, list_node)
		s->list = GM_LIST_NONE;
	c->nspans -= c->nempty;
	c->nempty = 0;
	list_splice_init(&c->empty, &empty);
	list_splice_init(&c->partial_unswept, &todo);
	list_splice_init(&c->full_unswept, &todo);
	list_for_each_entry_safe(s, n, &todo, list_node) {
		list_del(&s->list_node);
		gm_mcentral_sweep_span(c, s);
		if (s->alloc_count == 0 && atomic_read(&s->npending) == 0) {
			s->list = GM_LIST_NONE;
			c->nspans--;
			list_add(&s->list_node, &empty);
		} else {
			gm_mcentral_list(c, s);
		}
	}
	if (live) {
		*live = 0;
		for (h = 0; h < ARRAY_SIZE(heads); h++)
			list_for_each_entry(s, heads[h], list_node)
				*live += s->alloc_count;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	list_for_each_entry_safe(s, n, &empty, list_node) {
		list_del(&s->list_node);
		gm_mcentral_release(c, s);
		released++;
	}
	return released;
}
GM_EXPORT_INTERNAL(gm_mcentral_sweep);

/* gm_mcentral_sweep() of every class. */
unsigned long gm_mcentral_sweep_all(void)
{
	unsigned long released = 0;
	struct gm_mcentral *c;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < GM_MAX_SPAN_CLASSES; i++) {
		c = gm_mcentral_nth(i);
		if (c)
			released += gm_mcentral_sweep(c, NULL);
	}
	rcu_read_unlock();
	return released;
}
GM_EXPORT_INTERNAL(gm_mcentral_sweep_all);

/*
 * Pages gm_mcentral_sweep_all() would hand back to the heap: the reserves
 * of empty spans, and unswept spans whose pending frees empty them.
 */
unsigned long gm_mcentral_freeable_pages(void)
{
	unsigned long n = 0, flags;
	struct gm_mspan *s;
	unsigned int i;

	rcu_read_lock();
	for (i = 1; i < GM_MAX_SPAN_CLASSES; i++) {
		struct gm_mcentral *c = gm_mcentral_nth(i);
		struct list_head *heads[2];
		unsigned int h;

		if (!c || (list_empty(&c->partial_unswept) && list_empty(&c->full_unswept) &&
			   !READ_ONCE(c->nempty)))
			continue;
		heads[0] = &c->partial_unswept;
		heads[1] = &c->full_unswept;
		spin_lock_irqsave(&c->lock, flags);
		n += (unsigned long)c->nempty * c->npages;
		for (h = 0; h < ARRAY_SIZE(heads); h++)
			list_for_each_entry(s, heads[h], list_node)
				if (s->alloc_count <= gm_span_pending(s))
					n += s->npages;
		spin_unlock_irqrestore(&c->lock, flags);
	}
	rcu_read_unlock();
	return n;
}

/*
 * At unload (nothing allocates any more): report live objects per class.
 * Returns the number of live objects left in listed spans.
 */
unsigned long gm_mcentral_leak_report(void)
{
	unsigned long total = 0, flags;
	struct gm_mspan *s;
	unsigned int i;

	rcu_read_lock();
	for (i = 1; i < GM_MAX_SPAN_CLASSES; i++) {
		struct gm_mcentral *c = gm_mcentral_nth(i);
		struct list_head *heads[4];
		unsigned long live = 0, spans = 0;
		unsigned int h;

		if (!c)
			continue;
		heads[0] = &c->partial_swept;
		heads[1] = &c->partial_unswept;
		heads[2] = &c->full_swept;
		heads[3] = &c->full_unswept;
		spin_lock_irqsave(&c->lock, flags);
		for (h = 0; h < ARRAY_SIZE(heads); h++)
			list_for_each_entry(s, heads[h], list_node) {
				live += s->alloc_count;
				spans++;
			}
		spin_unlock_irqrestore(&c->lock, flags);
		if (live && gm_spc_is_cache(i))
			pr_err("unload with %lu live object(s) of cache %s (%u-byte elements) in %lu span(s)\n",
			       live, c->name, c->elemsize, spans);
		else if (live)
			pr_err("unload with %lu live object(s) of %u bytes in %lu span(s) (class %u%s)\n",
			       live, c->elemsize, spans, gm_spc_sizeclass(i),
			       gm_spc_is_tiny(i) ? ", tiny blocks" :
			       gm_spc_is_debug(i) ? ", debug" : "");
		total += live;
	}
	rcu_read_unlock();
	return total;
}
