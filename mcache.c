// SPDX-License-Identifier: GPL-2.0
/*
 * mcache: per CPU and per context (task, softirq, hardirq), the current span
 * and LIFO free list of every span class, and of every typed cache in its own
 * slots; the tiny block, large objects, frees of any pointer, NMI frees.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/lockdep.h>
#include <linux/random.h>
#include <linux/workqueue.h>
#include "gm_compat.h"
#include "masan.h"
#include "mem.h"
#include "mreport.h"
#include "mcache.h"
#include "mcentral.h"
#include "mdebug.h"
#include "mprof.h"
#include "mheap.h"
#include "mleak.h"
#include "mpagecache.h"

DEFINE_PER_CPU(struct gm_mcache *, gm_mcaches[GM_NR_CTX + 1]);

/* Go's emptymspan: what an mcache holds before its first refill. */
struct gm_mspan gm_empty_span;
GM_EXPORT_INTERNAL(gm_empty_span);

/* Mixed into every LIFO link (see mcache.h); random per load. */
unsigned long gm_fl_secret __ro_after_init;
GM_EXPORT_INTERNAL(gm_fl_secret);

/*
 * Every CPU's NMI slot: holds nothing, so NMI always reaches a slow path.
 * Its profile countdown (LONG_MAX, racy between CPUs' NMIs) is the only
 * field written, and never runs out.
 */
static struct gm_mcache gm_nmi_mcache;

static enum cpuhp_state gm_cpuhp_state;
static struct workqueue_struct *gm_drain_wq;
static DEFINE_PER_CPU(struct work_struct, gm_drain_work);
static DEFINE_PER_CPU(struct work_struct, gm_resample_work);

/* Every typed cache's per-CPU part, by GM_CACHE_SPC() index (NULL: none). */
static struct gm_mcache_typed __percpu *gm_typed[GM_MAX_CACHES];
/* What a free finds when its cache is gone: counts go nowhere. */
static DEFINE_PER_CPU(struct gm_mcache_class, gm_dead_class);

/*
 * This CPU's class slot of span class @spc for the current context: an
 * mcache's for the size classes and tiny blocks, a typed cache's own for
 * its class. Preemption disabled (an RCU reader of gm_typed[]).
 */
static noinline struct gm_mcache_class *gm_mcache_typed_class_here(unsigned int spc)
{
	struct gm_mcache_typed __percpu *t = READ_ONCE(gm_typed[spc - GM_CACHE_SPC(0)]);

	/* A cache destroyed under a free of its object (a caller's bug). */
	if (WARN_ON_ONCE(!t))
		return this_cpu_ptr(&gm_dead_class);
	return gm_mcache_typed_here(t);
}

static __always_inline struct gm_mcache_class *gm_mcache_class_here(unsigned int spc)
{
	if (likely(spc < GM_NUM_SPAN_CLASSES))
		return &gm_this_mcache()->cls[spc];
	return gm_mcache_typed_class_here(spc);
}

/*
 * Take the current span off @cc, its LIFO list with it: a few stores, done
 * where @cc is ours (preemption or interrupts disabled). The span is given
 * back by gm_mcache_return_span() once preemptible: nobody else touches a
 * span an mcache held until its mcentral lists it again, and that takes
 * mcentral's lock, which may sleep on PREEMPT_RT.
 */
static struct gm_mspan *gm_mcache_detach_class(struct gm_mcache_class *cc)
{
	struct gm_mspan *s = cc->span;

	cc->freelist = GM_FL_END;
	cc->span = &gm_empty_span;
	return s;
}

/*
 * A span detached from an mcache back to its mcentral: the objects of its
 * LIFO list become free slots of the span. Preemptible (slow path).
 */
static void gm_mcache_return_span(struct gm_mspan *s)
{
	if (s != &gm_empty_span) {
		gm_span_uncache_objects(s);
		gm_mcentral_uncache_span(s);
	}
}

/*
 * gm_mcache_take() failed and the LIFO list of @cc is not empty: its first
 * entry is not an object on the list (see the hardened list in mcache.h), a
 * link was overwritten. Report it and drop the list. Its objects stay
 * allocated, counted as allocations: whoever corrupted the link may still
 * write to them. Then take the next slot of the window, as
 * gm_mcache_take() would have. Preemption disabled.
 */
static noinline __cold void *gm_mcache_fl_corrupt(struct gm_mcache_class *cc)
{
	unsigned long idx = cc->freelist;
	struct gm_mspan *s = cc->span;
	unsigned int w, lost = 0;
	void *p;

	for (w = 0; w < BITS_TO_LONGS(s->nelems); w++) {
		lost += hweight_long(s->cached_bits[w]);
		s->cached_bits[w] = 0;
	}
	s->alloc_count += lost;
	cc->nmalloc += lost;
	cc->freelist = GM_FL_END;
	gm_report_error(&gm_errors.freelist_corrupted);
	pr_err_ratelimited("free list corrupted: span %p (span class %u%s%s, %u bytes): entry %#lx is not an object on the list; list dropped, %u object(s) lost\n",
			   (void *)s->base, s->spanclass, gm_spc_is_cache(s->spanclass) ? ", cache " : "",
			   gm_spc_is_cache(s->spanclass) ? gm_mcentral_of(s->spanclass)->name : "",
			   s->elemsize, idx, lost);
	p = gm_span_next_free_fast(s);
	if (p)
		cc->nmalloc++;
	return p;
}

/*
 * refill: the current span has no free slot left in its window. Try the
 * rest of the span, else swap it for one from mcentral (which may grow the
 * heap and sleep if @gfp allows: done with preemption enabled). Entered with
 * preemption disabled, from the fast path.
 */
void *gm_mcache_refill_alloc(unsigned int spc, size_t size, gfp_t gfp,
			     unsigned long ip, bool init)
{
	struct gm_mspan *s, *old = &gm_empty_span;
	struct gm_mcache_class *cc;
	void *p;

	lockdep_assert_preemption_disabled();
	preempt_enable();	/* the fast path's */
	if (unlikely(in_nmi()))
		return NULL;
	if (unlikely(gm_rt_atomic()))
		return gm_report_rt_atomic(size, gfp, ip);
	/*
	 * Debug mode: caches stay empty, every allocation of a size class
	 * lands here; sizes that leave no room for a red zone and metadata
	 * get a large object, unchecked. Typed caches are not diverted.
	 */
	if (unlikely(gm_debug_enabled()) && spc < GM_TINY_SPC)
		return gm_debug_fits(size) ? gm_debug_alloc(size, gfp, ip) :
					     gm_mcache_large_alloc(size, gfp, ip);
	preempt_disable();
	cc = gm_mcache_class_here(spc);
	p = gm_mcache_take_at(cc, cc->span->link_off);	/* counted if it succeeds */
	if (unlikely(!p && cc->freelist != GM_FL_END))
		p = gm_mcache_fl_corrupt(cc);
	if (!p) {
		p = gm_span_next_free(cc->span);
		if (p)
			cc->nmalloc++;
		else
			old = gm_mcache_detach_class(cc);
	}
	preempt_enable();
	if (!p) {
		gm_mcache_return_span(old);
		s = gm_mcentral_cache_span(spc, gfp);
		if (!s)
			return NULL;
		preempt_disable();
		cc = gm_mcache_class_here(spc);
		/* Someone may have refilled this cache while we were away. */
		old = gm_mcache_detach_class(cc);
		cc->span = s;
		p = gm_span_next_free(s);
		if (!WARN_ON_ONCE(!p))
			cc->nmalloc++;
		preempt_enable();
		gm_mcache_return_span(old);
		if (!p)
			return NULL;
	}
	if (init)
		gm_mcache_init_obj(spc, p, gfp);
	return p;
}
GM_EXPORT_INTERNAL(gm_mcache_refill_alloc);

/*
 * @c's profile countdown ran out (preemption disabled): the next drawn.
 * False (not sampled) in NMI and with profiling off.
 */
bool gm_mcache_resample(struct gm_mcache *c)
{
	if (unlikely(in_nmi())) {
		c->next_sample = LONG_MAX;
		return false;
	}
	c->next_sample = gm_prof_next_sample(&c->sample_rng);
	return c->next_sample != LONG_MAX;
}
GM_EXPORT_INTERNAL(gm_mcache_resample);

/*
 * gm_mcache_alloc() when its countdown ran out: as the fast path, then the
 * object is recorded. Entered with preemption disabled.
 */
void *gm_mcache_alloc_sampled(unsigned int spc, size_t size, gfp_t gfp,
			      unsigned long ip)
{
	struct gm_mcache *c = gm_this_mcache();
	bool sampled = gm_mcache_resample(c);
	void *p = gm_mcache_take(&c->cls[spc]);

	if (unlikely(!p)) {
		p = gm_mcache_refill_alloc(spc, size, gfp, ip, true);	/* enables preemption */
	} else {
		preempt_enable();
		gm_mcache_init_obj(spc, p, gfp);
	}
	if (p && sampled)
		gm_prof_alloc(p, size);
	return p;
}
GM_EXPORT_INTERNAL(gm_mcache_alloc_sampled);

/*
 * A bulk allocation's @n objects of @size bytes, counted as one by one:
 * all at once while the countdown lasts, else object by object.
 */
static void gm_mcache_count_bulk(size_t size, size_t n, void **p)
{
	struct gm_mcache *c;
	size_t i;

	preempt_disable();
	c = gm_this_mcache();
	if (likely(!gm_mcache_countdown(c, size * n))) {
		preempt_enable();
		return;
	}
	c->next_sample += (long)(size * n);
	for (i = 0; i < n; i++)
		if (gm_mcache_countdown(c, size) && gm_mcache_resample(c))
			gm_prof_alloc(p[i], size);
	preempt_enable();
}

/*
 * Bulk allocation of span class @spc: the current span's free slots taken
 * in one pass with preemption disabled, a refill whenever it runs dry.
 * Returns how many of @n objects are in @p (fewer: a refill failed). With
 * @init (size classes), each is initialised as gomalloc() does: those of
 * the pass here, once preemptible; a refill's by the refill, which knows
 * what it handed out (a debug object is initialised to its size only).
 */
size_t gm_mcache_alloc_bulk(unsigned int spc, size_t size, gfp_t gfp, size_t n,
			    void **p, unsigned long ip, bool init)
{
	struct gm_mcache_class *cc;
	size_t i = 0, start, j;
	unsigned int off;

	while (i < n) {
		preempt_disable();
		cc = gm_mcache_class_here(spc);
		off = cc->span->link_off;
		for (start = i; i < n && (p[i] = gm_mcache_take_at(cc, off)); i++)
			;
		if (i < n)	/* enables preemption */
			p[i] = gm_mcache_refill_alloc(spc, size, gfp, ip, init);
		else
			preempt_enable();
		for (j = start; init && j < i; j++)
			gm_mcache_init_obj(spc, p[j], gfp);
		if (i < n && !p[i++])
			return i - 1;
	}
	gm_mcache_count_bulk(size, n, p);
	return n;
}
GM_EXPORT_INTERNAL(gm_mcache_alloc_bulk);

/*
 * Free of an object whose span this context's cache does not own, or that
 * failed the fast path's checks. Entered with preemption disabled. In NMI
 * context the free is deferred.
 */
void gm_mcache_free_slow(struct gm_mspan *s, unsigned int idx, void *p,
			 unsigned long ip)
{
	unsigned int spc = s->spanclass;
	struct gm_mcache_class *cc;

	lockdep_assert_preemption_disabled();
	if (unlikely(in_nmi())) {
		preempt_enable();
		gm_mcache_free_nmi(p, ip);
		return;
	}
	if (unlikely(idx >= s->nelems)) {	/* in the span's tail */
		preempt_enable();
		gm_report_free(p, "not an object gomalloc handed out", false, ip);
		return;
	}
	/* Still preempt-disabled from the fast path: on the same cache. */
	cc = gm_mcache_class_here(spc);
	if (cc->span == s) {
		/* Ours, and the fast path found the object not allocated. */
		preempt_enable();
		gm_report_free(p, "object is not allocated (double free?)", true, ip);
		return;
	}
	preempt_enable();
	if (unlikely(gm_rt_atomic())) {
		/* As gofree(): never a tiny block (gm_mcache_free_ptr defers tiny objects). */
		WARN_ON_ONCE(gm_spc_is_tiny(spc));
		gm_mcache_free_rt_atomic(p, ip);
		return;
	}
	if (!gm_mcentral_free_remote(s, idx, p, ip))
		return;
	preempt_disable();
	gm_mcache_class_here(spc)->nfree++;
	preempt_enable();
}
GM_EXPORT_INTERNAL(gm_mcache_free_slow);

/*
 * Free an object of a typed cache (gofree(), gomalloc_cache_free()):
 * its link at the span's link_off, its contents kept when the span says
 * so. Entered with preemption disabled.
 */
void gm_mcache_free_typed(struct gm_mspan *s, unsigned int idx, void *p,
			  unsigned long ip)
{
	struct gm_mcache_class *cc;

	lockdep_assert_preemption_disabled();
	cc = gm_mcache_class_here(s->spanclass);
	if (likely(cc->span == s &&
		   gm_mcache_free_owned_at(cc, s, idx, p, s->link_off,
					   !gm_span_keeps_contents(s)))) {
		preempt_enable();
		return;
	}
	gm_mcache_free_slow(s, idx, p, ip);	/* enables preemption */
}
GM_EXPORT_INTERNAL(gm_mcache_free_typed);

/*
 * Free any pointer (gofree()'s slow path, and any free that does not know
 * what it holds): large, tiny, debug and typed-cache objects, small ones
 * that failed the fast path's first look, and pointers that are not ours,
 * reported. @e is gm_span_index(@ptr). Entered with preemption disabled, as
 * gofree() read the index: it stays disabled while the index is read (an
 * RCU reader, see gm_heap_release()).
 */
void gm_mcache_free_ptr(struct gm_mspan *e, const void *ptr, unsigned long ip)
{
	unsigned long p = (unsigned long)ptr;
	struct gm_mspan *s;
	unsigned int idx;
	bool ours;

	lockdep_assert_preemption_disabled();
	if (ZERO_OR_NULL_PTR(ptr)) {
		preempt_enable();
		return;
	}
	if (unlikely(in_nmi())) {
		preempt_enable();
		gm_mcache_free_nmi(ptr, ip);
		return;
	}
	s = gm_span_check(e, p);	/* e: gm_span_index(p) */
	ours = !s && gm_heap_owns_range(p);
	if (s && unlikely(READ_ONCE(s->sampled)))
		gm_prof_free(s, p);	/* before the object can be reused */
	if (s && (s->state == GM_SPAN_SMALL || s->state == GM_SPAN_CACHE)) {
		idx = gm_span_objindex(s, p);
		if (idx >= s->nelems || s->base + idx * s->elemsize != p) {
			preempt_enable();
			gm_report_free(ptr, idx >= s->nelems ? "not an object gomalloc handed out" :
				       "pointer inside an object", false, ip);
		} else if (s->state == GM_SPAN_CACHE) {
			gm_mcache_free_typed(s, idx, (void *)p, ip);	/* enables preemption */
		} else {	/* the span changed under gofree()'s first look */
			gm_mcache_free_preempt_off(s, idx, (void *)p, ip);
		}
		return;
	}
	preempt_enable();	/* descriptors are never freed: no reader left */
	if (!s) {
		if (e && (READ_ONCE(e->state) == GM_SPAN_FREE ||
			  READ_ONCE(e->state) == GM_SPAN_LCACHE))
			gm_report_free(ptr, "memory is free (double free?)", true, ip);
		else if (ours)
			gm_report_free(ptr, "not an object gomalloc handed out", false, ip);
		else
			gm_report_free(ptr, "not gomalloc memory", false, ip);
		return;
	}
	if (unlikely(gm_rt_atomic())) {	/* large, debug, tiny: all lock */
		gm_mcache_free_rt_atomic(ptr, ip);
		return;
	}
	if (s->state == GM_SPAN_LARGE) {
		if (p != s->base)
			gm_report_free(ptr, "pointer inside a large object", false, ip);
		else
			gm_mcache_large_free(s, ip);
		return;
	}
	if (s->state == GM_SPAN_DEBUG) {
		gm_debug_free(s, p, ip);
		return;
	}
	gm_tiny_free(s, p, ip);
}
GM_EXPORT_INTERNAL(gm_mcache_free_ptr);

/*
 * A free through typed cache @spc (0: any) of something that is not one
 * of its objects: an object of anything else is reported and freed where
 * it belongs; anything else reported as gofree() does. Entered with
 * preemption disabled; enables it.
 */
void gm_mcache_free_other(unsigned int spc, struct gm_mspan *e, const void *p,
			  unsigned long ip)
{
	struct gm_mspan *s = gm_span_check(e, (unsigned long)p);

	if (spc && s && (s->state != GM_SPAN_CACHE || s->spanclass != spc)) {
		atomic_long_inc(&gm_errors.wrong_cache_frees);
		pr_err_ratelimited("gomalloc_cache_free(%s, %p) from %pS: not an object of the cache (%s); freed there\n",
				   gm_mcentral_of(spc)->name, p, (void *)ip,
				   s->state == GM_SPAN_CACHE ? gm_mcentral_of(s->spanclass)->name :
				   "gomalloc()");
	}
	gm_mcache_free_ptr(e, p, ip);	/* enables preemption */
}
GM_EXPORT_INTERNAL(gm_mcache_free_other);

/*
 * Bulk free (gofree_bulk, gomalloc_cache_free_bulk with typed cache @spc,
 * 0 for any object): preemption disabled once for all; the start of an
 * object in a span this context owns goes on its LIFO list there and then,
 * anything else takes its single-object slow path (which enables
 * preemption; it is disabled again for the rest).
 */
void gm_mcache_free_bulk(unsigned int spc, size_t n, void **p, unsigned long ip)
{
	struct gm_mcache_class *cc = NULL;
	unsigned int idx, cc_spc = 0;
	struct gm_mspan *s;
	unsigned long a;
	size_t i;
	u16 state;

	preempt_disable();
	for (i = 0; i < n; i++) {
		a = (unsigned long)p[i];
		s = gm_span_index(a);
		if (unlikely(!s))
			goto other;
		state = READ_ONCE(s->state_word);	/* sampled objects: other */
		if (unlikely(spc ? state != GM_SPAN_WORD(GM_SPAN_CACHE) ||
				   READ_ONCE(s->spanclass) != spc :
				   state != GM_SPAN_WORD(GM_SPAN_SMALL) &&
				   state != GM_SPAN_WORD(GM_SPAN_CACHE)))
			goto other;
		if (unlikely(!gm_span_obj_start(s, a, &idx)))
			goto other;
		/* The slot is looked up again only for another class. */
		if (unlikely(!cc || s->spanclass != cc_spc)) {
			cc_spc = s->spanclass;
			cc = gm_mcache_class_here(cc_spc);
		}
		if (likely(cc->span == s &&
			   gm_mcache_free_owned_at(cc, s, idx, p[i], s->link_off,
						   !gm_span_keeps_contents(s))))
			continue;
		gm_mcache_free_slow(s, idx, p[i], ip);	/* enables preemption */
		goto again;
other:
		gm_mcache_free_other(spc, s, p[i], ip);	/* enables preemption */
again:		/* maybe on another CPU now */
		preempt_disable();
		cc = NULL;
	}
	preempt_enable();
}
GM_EXPORT_INTERNAL(gm_mcache_free_bulk);

/*
 * ---- frees from NMI context, and from atomic context on PREEMPT_RT ----
 *
 * No free path may run in NMI (they take locks, or a context's cache the
 * NMI may have interrupted), so the pointer goes into one of this CPU's
 * slots with its caller's address: the slot is claimed with cmpxchg (0 to
 * GM_SLOT_FILLING), the address written, then the pointer published. An
 * irq_work on the same CPU hands it to the whole free path (set at init
 * by the top layer) once interrupts are on, taking a slot with cmpxchg
 * from the pointer to 0 (a slot still filling is left to the irq_work its
 * writer queues next). With every slot taken the free is lost: counted
 * (nmi_frees_lost in /proc/gomalloc) and reported, never silent.
 *
 * On PREEMPT_RT a slow-path free where the caller cannot sleep takes the
 * same slots (cmpxchg holds against the hard interrupts and NMIs that nest
 * there), after the lock-free checks of gm_mcache_usable_size(): a bad or
 * double free is reported at once rather than left to free an object that
 * was handed out again meanwhile. There the irq_work is a hard one that
 * only queues a work item, which does the frees preemptible (the free path
 * may sleep on RT): a work item of a CPU going offline runs on another
 * CPU, where an irq_work thread of its own would be parked. More slots on
 * RT, where a hard interrupt's every free past its empty cache lands here.
 * Counted in rt_frees_deferred and rt_frees_lost.
 */
#define GM_SLOT_FILLING	1UL

struct gm_nmi_frees {
	unsigned long slot[GM_NMI_SLOTS];	/* 0, GM_SLOT_FILLING or a pointer */
	unsigned long ip[GM_NMI_SLOTS];		/* its caller: written before it */
	struct irq_work work;
	struct work_struct rt_work;		/* PREEMPT_RT: the frees, preemptible */
};

static DEFINE_PER_CPU(struct gm_nmi_frees, gm_nmi_frees);
static void (*gm_nmi_free_fn)(const void *ptr, unsigned long ip);

/* @ptr (freed at @ip) into a free slot of this CPU's, any context; or false. */
static bool gm_mcache_defer(const void *ptr, unsigned long ip)
{
	struct gm_nmi_frees *q = raw_cpu_ptr(&gm_nmi_frees);
	unsigned int i;

	for (i = 0; i < GM_NMI_SLOTS; i++) {
		if (!READ_ONCE(q->slot[i]) &&
		    !cmpxchg(&q->slot[i], 0, GM_SLOT_FILLING)) {
			q->ip[i] = ip;
			/* The address before the pointer: gm_nmi_drain()'s acquire. */
			smp_store_release(&q->slot[i], (unsigned long)ptr);
			irq_work_queue(&q->work);
			return true;
		}
	}
	return false;
}

void gm_mcache_free_nmi(const void *ptr, unsigned long ip)
{
	if (gm_mcache_defer(ptr, ip)) {
		atomic_long_inc(&gm_errors.nmi_frees);
		return;
	}
	atomic_long_inc(&gm_errors.nmi_frees_lost);
	pr_err_ratelimited("gofree(%p) from %pS in NMI: no slot left to defer it; object leaked\n",
			   ptr, (void *)ip);
}

void gm_mcache_free_rt_atomic(const void *ptr, unsigned long ip)
{
	if (!gm_mcache_usable_size(ptr)) {
		gm_report_free(ptr, "not a live object (double free?)", true, ip);
		return;
	}
	if (gm_mcache_defer(ptr, ip)) {
		atomic_long_inc(&gm_errors.rt_frees_deferred);
		return;
	}
	atomic_long_inc(&gm_errors.rt_frees_lost);
	pr_err_ratelimited("gofree(%p) from %pS: PREEMPT_RT, the caller cannot sleep and no slot is left to defer the free; object leaked\n",
			   ptr, (void *)ip);
}

static void gm_nmi_drain(struct gm_nmi_frees *q)
{
	unsigned long p, ip;
	unsigned int i;

	for (i = 0; i < GM_NMI_SLOTS; i++) {
		/* Pairs with gm_mcache_defer()'s release: its ip is written. */
		p = smp_load_acquire(&q->slot[i]);
		if (p <= GM_SLOT_FILLING)
			continue;
		ip = q->ip[i];
		if (cmpxchg(&q->slot[i], p, 0) == p)
			gm_nmi_free_fn((void *)p, ip);
	}
}

static void gm_nmi_work(struct irq_work *w)
{
	struct gm_nmi_frees *q = container_of(w, struct gm_nmi_frees, work);

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		queue_work(system_wq, &q->rt_work);
	else
		gm_nmi_drain(q);
}

static void gm_nmi_rt_work(struct work_struct *w)
{
	gm_nmi_drain(container_of(w, struct gm_nmi_frees, rt_work));
}

void gm_mcache_nmi_init(void (*free_fn)(const void *ptr, unsigned long ip))
{
	struct gm_nmi_frees *q;
	unsigned int cpu;

	gm_nmi_free_fn = free_fn;
	for_each_possible_cpu(cpu) {
		q = per_cpu_ptr(&gm_nmi_frees, cpu);
		if (IS_ENABLED(CONFIG_PREEMPT_RT))
			q->work = IRQ_WORK_INIT_HARD(gm_nmi_work);
		else
			init_irq_work(&q->work, gm_nmi_work);
		INIT_WORK(&q->rt_work, gm_nmi_rt_work);
	}
}

/*
 * Every free deferred from NMI so far is done: unload (before the caches
 * drain), and a typed cache's destroy (before it counts what is left).
 */
void gm_mcache_nmi_flush(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct gm_nmi_frees *q = per_cpu_ptr(&gm_nmi_frees, cpu);

		irq_work_sync(&q->work);
		if (IS_ENABLED(CONFIG_PREEMPT_RT))
			flush_work(&q->rt_work);
		gm_nmi_drain(q);
	}
}
GM_EXPORT_INTERNAL(gm_mcache_nmi_flush);

/* ---- tiny allocator: 1..15-byte objects packed in 16-byte blocks ---- */

static void gm_tiny_block_free(unsigned long block, unsigned long ip)
{
	struct gm_mspan *s = gm_span_of((void *)block);

	if (WARN_ON_ONCE(!s))
		return;
	gm_mcache_free(s, gm_span_objindex(s, block), (void *)block, ip);
}

/*
 * The block stops being a CPU's current block: its offsets that were never
 * allocated count as freed from now on, so the block is empty when every
 * offset is. Whoever's atomic update completes the mask frees the block,
 * deciding from the value the update returned: after it the block may be
 * freed and reused by others, and nothing else in it may be read.
 */
static void gm_tiny_retire(unsigned long block, struct gm_tiny_block *m)
{
	unsigned int set = GM_TINY_RETIRED | (~m->alloc_mask & GM_TINY_ALL);
	unsigned int old = atomic_fetch_or(set, &m->free_mask);

	if ((old | set) == GM_TINY_EMPTY)
		gm_tiny_block_free(block, _RET_IP_);
}

static unsigned int gm_tiny_align(size_t size)
{
	if (!(size & 7))
		return 8;
	if (!(size & 3))
		return 4;
	if (!(size & 1))
		return 2;
	return 1;
}

static void gm_tiny_claim(struct gm_mcache *c, unsigned int off, size_t size)
{
	c->tiny_meta->alloc_mask |= 1U << off;
	c->tiny_meta->end_mask |= 1U << (off + size - 1);
	c->tinyoffset = off + size;
	c->tiny_allocs++;
	c->tiny_bytes_alloc += size;
}

/* gm_tiny_alloc() on @c, entered with preemption disabled. */
static __always_inline void *gm_tiny_alloc_on(struct gm_mcache *c, size_t size,
					      gfp_t gfp, unsigned long ip)
{
	unsigned long block, old = 0;
	struct gm_tiny_block *m, *old_m = NULL;
	struct gm_mspan *s;
	unsigned int off;

	off = ALIGN(c->tinyoffset, gm_tiny_align(size));
	if (likely(c->tiny && off + size <= GM_TINY_BLOCK)) {
		/*
		 * Form the pointer while the cache is ours: once preemptible,
		 * another task or the CPU-dead drain may replace c->tiny.
		 */
		void *p = (void *)(c->tiny + off);

		gm_tiny_claim(c, off, size);
		preempt_enable();
		return p;
	}
	preempt_enable();

	if (unlikely(in_nmi()))
		return NULL;	/* before any lock: see the design comment */
	if (unlikely(gm_rt_atomic()))
		return gm_report_rt_atomic(size, gfp, ip);
	if (unlikely(gm_debug_enabled()))
		return gm_debug_alloc(size, gfp, ip);
	block = (unsigned long)gm_mcache_alloc(GM_TINY_SPC, GM_TINY_BLOCK, gfp, ip, false);
	if (!block)
		return NULL;
	s = gm_span_of((void *)block);
	m = &s->tiny[gm_span_objindex(s, block)];
	m->alloc_mask = 0;
	m->end_mask = 0;
	atomic_set(&m->free_mask, 0);
	preempt_disable();
	c = gm_this_mcache();
	old = c->tiny;
	old_m = c->tiny_meta;
	c->tiny = block;
	c->tiny_meta = m;
	gm_tiny_claim(c, 0, size);
	preempt_enable();
	if (old)
		gm_tiny_retire(old, old_m);
	return (void *)block;
}

/* The profile countdown ran out: the same, then the object recorded. */
static noinline void *gm_tiny_alloc_sampled(struct gm_mcache *c, size_t size,
					    gfp_t gfp, unsigned long ip)
{
	bool sampled = gm_mcache_resample(c);
	void *p = gm_tiny_alloc_on(c, size, gfp, ip);

	if (p && sampled)
		gm_prof_alloc(p, size);
	return p;
}

void *gm_tiny_alloc(size_t size, gfp_t gfp, unsigned long ip)
{
	struct gm_mcache *c;

	preempt_disable();
	c = gm_this_mcache();
	if (gm_mcache_countdown(c, size))
		return gm_tiny_alloc_sampled(c, size, gfp, ip);
	return gm_tiny_alloc_on(c, size, gfp, ip);
}

/* Validate a tiny pointer: its block meta and bit, or NULL. */
static struct gm_tiny_block *gm_tiny_meta(struct gm_mspan *s, unsigned long p,
					  unsigned int *bit)
{
	unsigned int idx = (p - s->base) / GM_TINY_BLOCK;

	if (idx >= s->nelems || !test_bit(idx, s->alloc_bits) ||
	    test_bit(idx, s->cached_bits))
		return NULL;
	*bit = p & (GM_TINY_BLOCK - 1);
	if (!(READ_ONCE(s->tiny[idx].alloc_mask) & (1U << *bit)))
		return NULL;
	return &s->tiny[idx];
}

static size_t gm_tiny_size(struct gm_tiny_block *m, unsigned int off)
{
	unsigned long ends = READ_ONCE(m->end_mask) >> off;

	return ends ? __ffs(ends) + 1 : 0;
}

size_t gm_tiny_usable(struct gm_mspan *s, unsigned long p)
{
	struct gm_tiny_block *m = gm_tiny_meta(s, p, &(unsigned int){ 0 });
	unsigned int off = p & (GM_TINY_BLOCK - 1);

	if (!m || (atomic_read(&m->free_mask) & (1U << off)))
		return 0;
	return gm_tiny_size(m, off);
}

/*
 * The bytes @ptr may use, 0 if it is no live object: gomalloc_usable_size(),
 * and the kmem events' and kmemleak's sizes.
 */
size_t gm_mcache_usable_size(const void *ptr)
{
	unsigned long p = (unsigned long)ptr;
	struct gm_mspan *s;
	unsigned int idx;

	if (ZERO_OR_NULL_PTR(ptr))
		return 0;
	preempt_disable();	/* an RCU reader of the index */
	s = gm_span_of(ptr);
	preempt_enable();
	if (!s)
		return 0;
	if (s->state == GM_SPAN_LARGE)
		return p == s->base ? (size_t)s->npages << PAGE_SHIFT : 0;
	if (s->state == GM_SPAN_TINY)
		return gm_tiny_usable(s, p);
	if (s->state == GM_SPAN_DEBUG)
		return gm_debug_usable(s, p);
	idx = gm_span_objindex(s, p);	/* small and typed-cache objects */
	if (s->base + idx * s->elemsize != p || idx >= s->nelems ||
	    !test_bit(idx, s->alloc_bits) || test_bit(idx, s->cached_bits) ||
	    test_bit(idx, s->free_bits))
		return 0;
	return gm_span_keeps_contents(s) ? s->link_off : s->elemsize;
}

void gm_tiny_free(struct gm_mspan *s, unsigned long p, unsigned long ip)
{
	struct gm_tiny_block *m;
	unsigned int off, bit, old;
	struct gm_mcache *c;
	size_t size;

	m = gm_tiny_meta(s, p, &off);
	if (!m) {
		gm_report_free((void *)p, "not a live tiny object", false, ip);
		return;
	}
	bit = 1U << off;
	if (atomic_read(&m->free_mask) & bit) {
		gm_report_free((void *)p, "tiny object freed twice", true, ip);
		return;
	}
	/* Before the bit is set: after it the block may be freed and reused. */
	gm_leak_free((void *)p);
	size = gm_tiny_size(m, off);
	if (want_init_on_free())
		memset((void *)p, 0, size);
	gm_asan_tiny_free(s, (void *)p, bit);
	old = atomic_fetch_or(bit, &m->free_mask);
	if (old & bit) {	/* a racing double free */
		gm_report_free((void *)p, "tiny object freed twice", true, ip);
		return;
	}
	/* From here on @m may belong to a reused block: only @old counts. */
	gm_race_window(GM_RACE_TINY_FREE, m);
	preempt_disable();
	c = gm_this_mcache();
	c->tiny_frees++;
	c->tiny_bytes_free += size;
	preempt_enable();
	/* Last sub-object of a retired block: the block goes back. */
	if ((old | bit) == GM_TINY_EMPTY)
		gm_tiny_block_free(p & ~(unsigned long)(GM_TINY_BLOCK - 1), ip);
}

/*
 * ---- large objects (Go's mcache.allocLarge): a span each, page-aligned,
 * of a power-of-two number of pages aligned to their size; a few freed
 * spans parked per cache for reuse ----
 */

/*
 * Alignment in pages of a large object's span: its size when that is a
 * power of two (natural alignment, as kmalloc), else a page. Depends on
 * @npages alone, so a parked span of the same size is aligned enough.
 */
static unsigned int gm_large_align(unsigned int npages)
{
	return is_power_of_2(npages) ? npages : 1;
}

/* A parked span of exactly @npages pages, made live again; or NULL. */
static struct gm_mspan *gm_mcache_large_get(struct gm_mcache *c, unsigned int npages)
{
	struct gm_mspan *s;
	unsigned int i;

	for (i = 0; i < c->nlarge; i++) {
		if (c->large[i]->npages != npages)
			continue;
		s = c->large[i];
		c->large[i] = c->large[--c->nlarge];
		c->large_cached_pages -= npages;
		WRITE_ONCE(s->state, GM_SPAN_LARGE);
		return s;
	}
	return NULL;
}

/* Zero the @npages of the large object at @s's base if asked. */
static void gm_mcache_large_init(struct gm_mspan *s, unsigned int npages, gfp_t gfp)
{
	if (want_init_on_alloc(gfp))
		gm_zero((void *)s->base, (size_t)npages << PAGE_SHIFT);
}

/* The profile countdown of @c ran out on @s (preemption disabled). */
static noinline void *gm_mcache_large_sampled(struct gm_mcache *c, struct gm_mspan *s,
					      size_t size, gfp_t gfp)
{
	bool sampled = gm_mcache_resample(c);

	preempt_enable();
	gm_mcache_large_init(s, DIV_ROUND_UP(size, PAGE_SIZE), gfp);
	if (sampled)
		gm_prof_alloc((void *)s->base, size);
	return (void *)s->base;
}

void *gm_mcache_large_alloc(size_t size, gfp_t gfp, unsigned long ip)
{
	unsigned int npages = DIV_ROUND_UP(size, PAGE_SIZE);
	struct gm_mcache *c;
	struct gm_mspan *s;

	preempt_disable();
	c = gm_this_mcache();
	s = gm_mcache_large_get(c, npages);
	if (!s) {
		preempt_enable();
		if (unlikely(gm_rt_atomic()))
			return gm_report_rt_atomic(size, gfp, ip);
		s = gm_pagecache_alloc_span(npages, gm_large_align(npages), gfp);
		if (!s)
			return NULL;
		s->spanclass = 0;
		s->elemsize = 0;
		s->nelems = 1;
		gm_heap_publish(s, GM_SPAN_LARGE);
		preempt_disable();
		c = gm_this_mcache();
	}
	/* Counted once it has succeeded. */
	c->large_allocs++;
	c->large_pages_alloc += npages;
	if (gm_mcache_countdown(c, size))
		return gm_mcache_large_sampled(c, s, size, gfp);	/* enables preemption */
	preempt_enable();
	gm_mcache_large_init(s, npages, gfp);
	return (void *)s->base;
}
GM_EXPORT_INTERNAL(gm_mcache_large_alloc);

/*
 * Free the large object at the base of @s (the caller checked the pointer):
 * park the span (state GM_SPAN_LCACHE), evicting the oldest parked spans to
 * the heap to make room, or give it to the heap if it is too big to park.
 */
void gm_mcache_large_free(struct gm_mspan *s, unsigned long ip)
{
	struct gm_mspan *old;
	struct gm_mcache *c;

	/* Claim the span: of two racing frees, only one gets LARGE. */
	if (cmpxchg(&s->state, GM_SPAN_LARGE, GM_SPAN_LCACHE) != GM_SPAN_LARGE) {
		gm_report_free((void *)s->base, "large object freed twice", true, ip);
		return;
	}
	/* Also for callers that do not come through gm_mcache_free_ptr. */
	if (unlikely(READ_ONCE(s->sampled)))
		gm_prof_free(s, s->base);
	gm_leak_free((void *)s->base);
	gm_asan_free(s, (void *)s->base);
	if (want_init_on_free())
		gm_zero((void *)s->base, (size_t)s->npages << PAGE_SHIFT);
	/*
	 * Evict the oldest parked spans until @s fits, one at a time: each to
	 * the heap once preemptible (its lock sleeps on PREEMPT_RT).
	 */
	for (;;) {
		preempt_disable();
		c = gm_this_mcache();
		if (!c->nlarge || s->npages > GM_LARGE_CACHE_PAGES ||
		    (c->nlarge < GM_LARGE_CACHE &&
		     c->large_cached_pages + s->npages <= GM_LARGE_CACHE_PAGES))
			break;
		old = c->large[0];
		c->large_cached_pages -= old->npages;
		memmove(&c->large[0], &c->large[1], --c->nlarge * sizeof(old));
		preempt_enable();
		gm_heap_free(old);
	}
	c->large_frees++;
	c->large_pages_free += s->npages;
	if (s->npages > GM_LARGE_CACHE_PAGES) {	/* too big to park */
		preempt_enable();
		gm_heap_free(s);
		return;
	}
	c->large[c->nlarge++] = s;
	c->large_cached_pages += s->npages;
	preempt_enable();
}
GM_EXPORT_INTERNAL(gm_mcache_large_free);

/* ---- typed caches: their per-CPU slots ---- */

/* Per-CPU slots for typed cache class @spc, all empty; NULL on failure. */
struct gm_mcache_typed __percpu *gm_mcache_typed_add(unsigned int spc)
{
	struct gm_mcache_typed __percpu *t = alloc_percpu(struct gm_mcache_typed);
	unsigned int cpu, ctx;

	if (!t)
		return NULL;
	for_each_possible_cpu(cpu)
		for (ctx = 0; ctx <= GM_NR_CTX; ctx++) {
			per_cpu_ptr(t, cpu)->cls[ctx].span = &gm_empty_span;
			per_cpu_ptr(t, cpu)->cls[ctx].freelist = GM_FL_END;
		}
	/* The slots before the pointer, for drains on weakly ordered CPUs. */
	smp_store_release(&gm_typed[spc - GM_CACHE_SPC(0)], t);
	return t;
}
GM_EXPORT_INTERNAL(gm_mcache_typed_add);

/*
 * The slots of @spc, drained already, forgotten: the caller frees them
 * with gm_mcache_typed_free() after an RCU grace period (a fast path or a
 * drain may still be in them until then).
 */
struct gm_mcache_typed __percpu *gm_mcache_typed_unpublish(unsigned int spc)
{
	struct gm_mcache_typed __percpu *t = gm_typed[spc - GM_CACHE_SPC(0)];

	WRITE_ONCE(gm_typed[spc - GM_CACHE_SPC(0)], NULL);
	return t;
}
GM_EXPORT_INTERNAL(gm_mcache_typed_unpublish);

void gm_mcache_typed_free(struct gm_mcache_typed __percpu *t)
{
	free_percpu(t);
}
GM_EXPORT_INTERNAL(gm_mcache_typed_free);

/* Allocations and frees counted in every CPU's slots of @spc (racy sums). */
void gm_mcache_typed_counts(unsigned int spc, unsigned long *nmalloc,
			    unsigned long *nfree)
{
	struct gm_mcache_typed __percpu *t = READ_ONCE(gm_typed[spc - GM_CACHE_SPC(0)]);
	unsigned int cpu, ctx;

	*nmalloc = 0;
	*nfree = 0;
	if (!t)
		return;
	for_each_possible_cpu(cpu)
		for (ctx = 0; ctx < GM_NR_CTX; ctx++) {
			*nmalloc += READ_ONCE(per_cpu_ptr(t, cpu)->cls[ctx].nmalloc);
			*nfree += READ_ONCE(per_cpu_ptr(t, cpu)->cls[ctx].nfree);
		}
}
GM_EXPORT_INTERNAL(gm_mcache_typed_counts);

/* ---- draining: reclaim, CPU offline, unload ---- */

/*
 * A drain takes one thing at a time off a cache and gives it back before
 * the next. On the cache's own CPU (@local) each take is done with
 * interrupts off, which shuts out every context that could be inside the
 * cache (task and softirq, as on PREEMPT_RT, sit in preempt-disabled
 * sections; hard interrupts are off); the give-back runs preemptible,
 * where the locks below may be taken, on RT too. No section is longer than
 * one take. Otherwise the cache's CPU is dead, or nobody calls gomalloc.
 */
#define gm_drain_take(local, flags, take)		\
	({						\
		typeof(take) __t;			\
		if (local)				\
			local_irq_save(flags);		\
		__t = (take);				\
		if (local)				\
			local_irq_restore(flags);	\
		__t;					\
	})

/* The next parked large span of @c, off the cache; or NULL. */
static struct gm_mspan *gm_mcache_large_pop(struct gm_mcache *c)
{
	struct gm_mspan *s;

	if (!c->nlarge)
		return NULL;
	s = c->large[--c->nlarge];
	c->large_cached_pages -= s->npages;
	return s;
}

/* @c's current tiny block, off the cache (its meta in @m); or 0. */
static unsigned long gm_mcache_tiny_take(struct gm_mcache *c, struct gm_tiny_block **m)
{
	unsigned long block = c->tiny;

	*m = c->tiny_meta;
	c->tiny = 0;
	c->tiny_meta = NULL;
	return block;
}

/* Hand back everything @c caches (see gm_drain_take()). */
static void gm_mcache_drain(struct gm_mcache *c, bool local)
{
	struct gm_tiny_block *m;
	unsigned long flags = 0, block;
	struct gm_mspan *s;
	unsigned int spc;

	block = gm_drain_take(local, flags, gm_mcache_tiny_take(c, &m));
	if (block)
		gm_tiny_retire(block, m);
	for (spc = 1; spc < GM_NUM_SPAN_CLASSES; spc++)
		gm_mcache_return_span(gm_drain_take(local, flags,
						    gm_mcache_detach_class(&c->cls[spc])));
	while ((s = gm_drain_take(local, flags, gm_mcache_large_pop(c))))
		gm_heap_free(s);
}

/* The same for @cpu's slots of every typed cache. */
static void gm_mcache_drain_typed(unsigned int cpu, bool local)
{
	struct gm_mcache_typed __percpu *t;
	unsigned long flags = 0;
	unsigned int i, ctx;

	rcu_read_lock();
	for (i = 0; i < GM_MAX_CACHES; i++) {
		t = READ_ONCE(gm_typed[i]);
		if (t)
			for (ctx = 0; ctx < GM_NR_CTX; ctx++)
				gm_mcache_return_span(gm_drain_take(local, flags,
					gm_mcache_detach_class(&per_cpu_ptr(t, cpu)->cls[ctx])));
	}
	rcu_read_unlock();
}

static void gm_mcache_drain_cpu_how(unsigned int cpu, bool local)
{
	unsigned int ctx;

	for (ctx = 0; ctx < GM_NR_CTX; ctx++)
		gm_mcache_drain(per_cpu(gm_mcaches[ctx], cpu), local);
	gm_mcache_drain_typed(cpu, local);
	gm_pagecache_flush(cpu);
}

/* @cpu is dead, or nobody calls gomalloc. */
void gm_mcache_drain_cpu(unsigned int cpu)
{
	gm_mcache_drain_cpu_how(cpu, false);
}
GM_EXPORT_INTERNAL(gm_mcache_drain_cpu);

/*
 * The CPU we run on, preemptible, kept there by the caller (a bound work
 * item, migrate_disable()).
 */
void gm_mcache_drain_local(void)
{
	gm_mcache_drain_cpu_how(smp_processor_id(), true);
}
GM_EXPORT_INTERNAL(gm_mcache_drain_local);

/* Has @c's current tiny block no live sub-object? (Racy read.) */
static bool gm_tiny_current_empty(struct gm_mcache *c)
{
	struct gm_tiny_block *m = READ_ONCE(c->tiny_meta);

	return m && (atomic_read(&m->free_mask) & GM_TINY_ALL) == READ_ONCE(m->alloc_mask);
}

/* Pages of a current span with no live object once swept, else 0. */
static unsigned long gm_mcache_class_freeable(struct gm_mcache_class *cc)
{
	struct gm_mspan *s = READ_ONCE(cc->span);

	if (s == &gm_empty_span ||
	    READ_ONCE(s->alloc_count) - (int)gm_span_pending(s) > 0)
		return 0;
	return READ_ONCE(s->npages);
}

/*
 * Pages a drain of every online CPU would hand back for certain: current
 * spans with no live object (once their pending remote frees are swept),
 * typed caches' too, and parked large spans. Read racily (a span read here
 * may be given up meanwhile; its descriptor stays readable).
 */
unsigned long gm_mcache_freeable_pages(void)
{
	struct gm_mcache_typed __percpu *t;
	unsigned int cpu, ctx, spc, i;
	unsigned long n = 0;

	for_each_online_cpu(cpu) {
		for (ctx = 0; ctx < GM_NR_CTX; ctx++) {
			struct gm_mcache *c = per_cpu(gm_mcaches[ctx], cpu);

			if (!c)
				continue;
			n += READ_ONCE(c->large_cached_pages);
			for (spc = 1; spc < GM_NUM_SPAN_CLASSES; spc++) {
				struct gm_mspan *s = READ_ONCE(c->cls[spc].span);
				int live = READ_ONCE(s->alloc_count) - gm_span_pending(s);

				/* The current tiny block counts while it is empty. */
				if (gm_spc_is_tiny(spc) && live == 1 && gm_tiny_current_empty(c))
					live = 0;
				if (s != &gm_empty_span && live <= 0)
					n += READ_ONCE(s->npages);
			}
		}
	}
	rcu_read_lock();
	for (i = 0; i < GM_MAX_CACHES; i++) {
		t = READ_ONCE(gm_typed[i]);
		if (t)
			for_each_online_cpu(cpu)
				for (ctx = 0; ctx < GM_NR_CTX; ctx++)
					n += gm_mcache_class_freeable(per_cpu_ptr(t, cpu)->cls + ctx);
	}
	rcu_read_unlock();
	return n;
}
GM_EXPORT_INTERNAL(gm_mcache_freeable_pages);

/* Runs on the CPU it drains (a bound work item), one take at a time. */
static void gm_drain_local(struct work_struct *w)
{
	gm_mcache_drain_local();
}

static void gm_mcache_drain_online(void)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		queue_work_on(cpu, gm_drain_wq, per_cpu_ptr(&gm_drain_work, cpu));
	for_each_online_cpu(cpu)
		flush_work(per_cpu_ptr(&gm_drain_work, cpu));
}

/* Drain every online CPU's caches, each on its own CPU. May sleep. */
void gm_mcache_drain_all(void)
{
	if (!cpus_read_trylock())
		return;	/* hotplug in progress (maybe reclaiming for it): skip */
	gm_mcache_drain_online();
	cpus_read_unlock();
}
GM_EXPORT_INTERNAL(gm_mcache_drain_all);

/* The same, waiting for CPU hotplug; not for reclaim context. */
void gm_mcache_drain_all_wait(void)
{
	cpus_read_lock();
	gm_mcache_drain_online();
	cpus_read_unlock();
}

/* A CPU is dead: nothing runs there, drain its caches from here. */
/*
 * The profile's rate changed: every countdown runs out at its cache's next
 * allocation, which draws one of the new rate. Done on each CPU with
 * interrupts off, when none of its contexts can be inside its cache (nor
 * between drawing a countdown and storing it); a CPU that is offline uses
 * no cache.
 */
static void gm_resample_local(struct work_struct *w)
{
	unsigned long flags;
	unsigned int ctx;

	local_irq_save(flags);
	for (ctx = 0; ctx < GM_NR_CTX; ctx++)
		__this_cpu_read(gm_mcaches[ctx])->next_sample = 0;
	local_irq_restore(flags);
}

void gm_mcache_resample_all(void)
{
	unsigned int cpu, ctx;

	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		if (cpu_online(cpu))
			schedule_work_on(cpu, per_cpu_ptr(&gm_resample_work, cpu));
		else
			for (ctx = 0; ctx < GM_NR_CTX; ctx++)
				per_cpu(gm_mcaches[ctx], cpu)->next_sample = 0;
	}
	for_each_online_cpu(cpu)
		flush_work(per_cpu_ptr(&gm_resample_work, cpu));
	cpus_read_unlock();
}

static int gm_cpu_dead(unsigned int cpu)
{
	/* Frees it deferred: its irq_work ran as it died, its work may not. */
	gm_nmi_drain(per_cpu_ptr(&gm_nmi_frees, cpu));
	gm_mcache_drain_cpu(cpu);
	return 0;
}

/*
 * Undo gm_mcache_init() as far as it got: every context cache that was set
 * up is drained, then forgotten (draining frees tiny blocks and large spans
 * through this CPU's caches, so none goes before all are drained). Unload,
 * or a failed init: nobody else calls into gomalloc.
 */
void gm_mcache_exit(void)
{
	unsigned int cpu, ctx;

	if (gm_cpuhp_state > 0)
		cpuhp_remove_state_nocalls(gm_cpuhp_state);
	gm_cpuhp_state = 0;
	if (gm_drain_wq)
		destroy_workqueue(gm_drain_wq);
	gm_drain_wq = NULL;
	for_each_possible_cpu(cpu) {
		for (ctx = 0; ctx < GM_NR_CTX; ctx++)
			if (per_cpu(gm_mcaches[ctx], cpu))
				gm_mcache_drain(per_cpu(gm_mcaches[ctx], cpu), false);
		gm_mcache_drain_typed(cpu, false);
		gm_pagecache_flush(cpu);
	}
	for_each_possible_cpu(cpu) {
		for (ctx = 0; ctx < GM_NR_CTX; ctx++) {
			struct gm_mcache *c = per_cpu(gm_mcaches[ctx], cpu);

			per_cpu(gm_mcaches[ctx], cpu) = NULL;
			if (c)
				gm_fixalloc_free(&gm_heap.cachealloc, c);
		}
		per_cpu(gm_mcaches[GM_CTX_NMI], cpu) = NULL;
	}
}

/* On failure, everything it set up is undone (gm_mcache_exit() not needed). */
int gm_mcache_init(void)
{
	unsigned int cpu, ctx, spc;
	int ret = -ENOMEM;

	gm_fixalloc_init(&gm_heap.cachealloc, "mcache", sizeof(struct gm_mcache));
	gm_fl_secret = get_random_long();
	gm_empty_span.state = GM_SPAN_DEAD;
	for (spc = 0; spc < GM_NUM_SPAN_CLASSES; spc++) {
		gm_nmi_mcache.cls[spc].span = &gm_empty_span;
		gm_nmi_mcache.cls[spc].freelist = GM_FL_END;
	}
	gm_nmi_mcache.ctx = GM_CTX_NMI;
	gm_nmi_mcache.next_sample = LONG_MAX;
	for_each_possible_cpu(cpu) {
		INIT_WORK(per_cpu_ptr(&gm_drain_work, cpu), gm_drain_local);
		INIT_WORK(per_cpu_ptr(&gm_resample_work, cpu), gm_resample_local);
		for (ctx = 0; ctx < GM_NR_CTX; ctx++) {
			struct gm_mcache *c;

			c = gm_fixalloc_alloc(&gm_heap.cachealloc, GFP_KERNEL);
			if (!c)
				goto fail;
			for (spc = 0; spc < GM_NUM_SPAN_CLASSES; spc++) {
				c->cls[spc].span = &gm_empty_span;
				c->cls[spc].freelist = GM_FL_END;
			}
			c->cpu = cpu;
			c->ctx = ctx;
			c->sample_rng = get_random_u64() | 1;
			per_cpu(gm_mcaches[ctx], cpu) = c;
		}
		per_cpu(gm_mcaches[GM_CTX_NMI], cpu) = &gm_nmi_mcache;
	}
	gm_drain_wq = alloc_workqueue("gomalloc_drain", WQ_MEM_RECLAIM, 0);
	if (!gm_drain_wq)
		goto fail;
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "gomalloc:dead",
					NULL, gm_cpu_dead);
	if (ret < 0)
		goto fail;
	gm_cpuhp_state = ret;
	return 0;
fail:
	gm_mcache_exit();
	return ret;
}

/* Last in the file: sparse loses the __percpu marking after the export. */
GM_EXPORT_INTERNAL(gm_mcaches);
