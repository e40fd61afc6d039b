// SPDX-License-Identifier: GPL-2.0
/*
 * Typed caches, kmem_cache's API: each cache is a span class of its own
 * (never merged, never sharing memory), cached per CPU as the size classes
 * are, with constructors, SLAB_TYPESAFE_BY_RCU, bulk and /proc rows.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cache.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <trace/events/kmem.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "masan.h"
#include "mreport.h"
#include "mheap.h"
#include "typedcache.h"

/* Most pages a cache's span takes looking for little tail waste. */
#define GM_CACHE_MAX_SPAN_PAGES	16

/*
 * gm_caches_lock (a mutex nesting nothing, see the lock order in
 * gomalloc_mod.c) protects both lists: live caches, and caches destroyed
 * with live objects, kept until unload so that their objects stay valid.
 */
static DEFINE_MUTEX(gm_caches_lock);
static LIST_HEAD(gm_caches);
static LIST_HEAD(gm_caches_kept);

/* The flags a cache honours, and those it refuses with their reason. */
#define GM_CACHE_FLAGS	(SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU | SLAB_PANIC | \
			 GM_CACHE_FLAGS_NOP)
/*
 * Honoured as they are: gomalloc never merges caches, never tracks leaks,
 * has one node (SLAB_MEM_SPREAD, gone in 6.9, is a NUMA spreading hint).
 */
#ifdef SLAB_NO_MERGE
#define GM_CACHE_FLAGS_NOP1	(SLAB_NOLEAKTRACE | SLAB_NO_MERGE)
#else
#define GM_CACHE_FLAGS_NOP1	SLAB_NOLEAKTRACE
#endif
#ifdef SLAB_MEM_SPREAD
#define GM_CACHE_FLAGS_NOP	(GM_CACHE_FLAGS_NOP1 | SLAB_MEM_SPREAD)
#else
#define GM_CACHE_FLAGS_NOP	GM_CACHE_FLAGS_NOP1
#endif

static const struct {
	slab_flags_t flag;
	const char *why;
} gm_cache_refused[] = {
	{ SLAB_ACCOUNT, "SLAB_ACCOUNT: gomalloc does no memory cgroup accounting" },
	{ SLAB_RECLAIM_ACCOUNT, "SLAB_RECLAIM_ACCOUNT: gomalloc's pages are not reclaimable slab" },
	{ SLAB_CACHE_DMA, "SLAB_CACHE_DMA: gomalloc has no ZONE_DMA memory" },
	{ SLAB_CACHE_DMA32, "SLAB_CACHE_DMA32: gomalloc has no ZONE_DMA32 memory" },
	{ SLAB_RED_ZONE, "SLAB_RED_ZONE: use gomalloc's debug mode for red zones" },
	{ SLAB_POISON, "SLAB_POISON: use gomalloc's debug mode for poisoning" },
	{ SLAB_STORE_USER, "SLAB_STORE_USER: use gomalloc's debug mode for caller tracking" },
};

/* Why gomalloc cannot honour @flags, or NULL. */
static const char *gm_cache_flags_refused(slab_flags_t flags)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gm_cache_refused); i++)
		if (flags & gm_cache_refused[i].flag)
			return gm_cache_refused[i].why;
	if (flags & ~GM_CACHE_FLAGS)
		return "a flag gomalloc does not know";
	return NULL;
}

/*
 * The cache's geometry: element size and link offset (the link goes past
 * the object when a free must keep it: ctor, SLAB_TYPESAFE_BY_RCU), span
 * pages (the fewest with at most 1/8 tail waste, else the least waste),
 * division-free index multiplier. NULL, or why not.
 */
static const char *gm_cache_geometry(struct gomalloc_cache *c, unsigned int size,
				     unsigned int align, slab_flags_t flags,
				     void (*ctor)(void *))
{
	bool keep = ctor || (flags & SLAB_TYPESAFE_BY_RCU);
	struct gm_mcentral *mc = &c->central;
	unsigned int elem, n, k, best = 0, nobj;
	unsigned long bytes, waste, best_waste = 0;
	u32 divmul;

	if (!size)
		return "size 0";
	if (align && (!is_power_of_2(align) || align > PAGE_SIZE))
		return "align is not a power of two up to PAGE_SIZE";
	align = max_t(unsigned int, align, sizeof(long));
	if (flags & SLAB_HWCACHE_ALIGN) {
		/* As SLUB: a cache line, halved while the object fits twice. */
		unsigned int ralign = cache_line_size();

		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	if (size > GM_MAX_SMALL_SIZE)
		return "size above 32 KiB";
	c->link_off = keep ? ALIGN(size, sizeof(long)) : 0;
	elem = ALIGN(keep ? c->link_off + sizeof(long) : size, align);
	if (elem > GM_MAX_SMALL_SIZE)
		return "size above 32 KiB with its alignment and link";
	for (n = 1; n <= GM_CACHE_MAX_SPAN_PAGES; n++) {
		bytes = (unsigned long)n << PAGE_SHIFT;
		nobj = bytes / elem;
		if (!nobj)
			continue;
		if (nobj > GM_MAX_OBJS_PER_SPAN)
			break;
		waste = bytes - (unsigned long)nobj * elem;
		if (!best || waste * (best << PAGE_SHIFT) < best_waste * bytes) {
			best = n;
			best_waste = waste;
		}
		if (waste * 8 <= bytes)
			break;
	}
	divmul = (u32)(U32_MAX / elem + 1);
	nobj = (best << PAGE_SHIFT) / elem;
	/* Every object's first and last byte must give its index. */
	for (k = 0; k < nobj; k++)
		if (((u64)k * elem * divmul) >> 32 != k ||
		    ((u64)((k + 1) * elem - 1) * divmul) >> 32 != k)
			return "no exact index multiplier";
	mc->npages = best;
	mc->align = is_power_of_2(elem) && elem > PAGE_SIZE ? elem >> PAGE_SHIFT : 1;
	mc->elemsize = elem;
	mc->divmul = divmul;
	mc->link_off = c->link_off;
	mc->rcu_free = flags & SLAB_TYPESAFE_BY_RCU;
	mc->ctor = ctor;
	c->init = !keep;
	return NULL;
}

static struct gomalloc_cache *gm_cache_find(const char *name)
{
	struct gomalloc_cache *c;

	lockdep_assert_held(&gm_caches_lock);
	list_for_each_entry(c, &gm_caches, node)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/*
 * The kmem_cache the kernel's kmem_cache_alloc/free events read (their
 * prototypes take one): named gomalloc:NAME, of the cache's size and
 * alignment, never allocated from. SLAB_NOLEAKTRACE keeps SLUB from
 * merging it, so the name stays ours, without changing its layout.
 */
static void gm_cache_trace_init(struct gomalloc_cache *c, unsigned int align)
{
#ifdef CONFIG_TRACEPOINTS
	char *tname = kasprintf(GFP_KERNEL, "gomalloc:%s", c->name);

	if (tname)
		c->trace_kc = kmem_cache_create(tname, c->size, align,
						SLAB_NOLEAKTRACE, NULL);
	kfree(tname);	/* SLUB keeps its own copy */
	if (!c->trace_kc)
		pr_warn("cache %s: no kmem_cache_alloc/free events (no shadow kmem_cache)\n",
			c->name);
#endif
}

/* Free what create allocated: the name, the shadow, the cache itself. */
static void gm_cache_free_struct(struct gomalloc_cache *c)
{
	kmem_cache_destroy(c->trace_kc);
	kfree(c->name);
	kfree(c);
}

struct gomalloc_cache *gomalloc_cache_create(const char *name, unsigned int size,
					     unsigned int align, slab_flags_t flags,
					     void (*ctor)(void *))
{
	struct gomalloc_cache *c;
	const char *why;
	int spc;

	might_sleep();
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (c)
		c->name = kstrdup(name ? name : "(null)", GFP_KERNEL);
	if (!c || !c->name) {
		why = "out of memory";
		goto fail;
	}
	c->size = size;
	c->flags = flags;
	c->central.name = c->name;
	why = gm_cache_flags_refused(flags);
	if (!why)
		why = gm_cache_geometry(c, size, align, flags, ctor);
	if (why)
		goto fail;
	mutex_lock(&gm_caches_lock);
	if (gm_cache_find(c->name)) {
		mutex_unlock(&gm_caches_lock);
		why = "a cache of that name exists";
		goto fail;
	}
	spc = gm_mcentral_register(&c->central);
	if (spc < 0) {
		mutex_unlock(&gm_caches_lock);
		why = "too many caches";
		goto fail;
	}
	c->spc = spc;
	c->pcpu = gm_mcache_typed_add(spc);
	if (!c->pcpu) {
		gm_mcentral_unregister(&c->central);
		mutex_unlock(&gm_caches_lock);
		synchronize_rcu();
		why = "out of memory for its per-CPU caches";
		goto fail;
	}
	list_add_tail(&c->node, &gm_caches);
	mutex_unlock(&gm_caches_lock);
	gm_cache_trace_init(c, align);
	return c;

fail:
	if (flags & SLAB_PANIC)
		panic("%s(%s, %u): %s\n", __func__, name, size, why);
	pr_err("%s(%s, size %u, align %u, flags %#lx): %s\n", __func__,
	       name, size, align, (unsigned long)(__force unsigned long)flags, why);
	if (c)
		kfree(c->name);
	kfree(c);
	return NULL;
}
EXPORT_SYMBOL_GPL(gomalloc_cache_create);

/*
 * Allocation fast path: this CPU's slot for the current context, its LIFO
 * list or allocCache window, as gomalloc()'s; the refill (shared with the
 * size classes) out of line.
 */
static __always_inline void *gm_cache_alloc(struct gomalloc_cache *c, gfp_t gfp,
					    unsigned long ip)
{
	struct gm_mcache_class *cc;
	void *p;

	preempt_disable();
	cc = gm_mcache_typed_here(c->pcpu);
	p = gm_mcache_take_at(cc, c->link_off);
	if (unlikely(!p)) {
		p = gm_mcache_refill_alloc(c->spc, c->size, gfp, ip, false);
		if (!p)
			return NULL;
	} else {
		preempt_enable();
	}
	/* __GFP_ZERO always; init_on_alloc never over a ctor's work. */
	if (unlikely(gfp & __GFP_ZERO) || (c->init && want_init_on_alloc(gfp)))
		gm_zero(p, c->size);
	gm_asan_alloc(p, c->size);
	return p;
}

/* gomalloc_cache_alloc() for a caller at @ip, after might_alloc(). */
static __always_inline void *gm_cache_alloc_entry(struct gomalloc_cache *c, gfp_t gfp,
						  unsigned long ip)
{
	void *p;

	if (unlikely(gfp & GM_GFP_REFUSED))
		return gm_report_refused(c->size, gfp);
	p = gm_cache_alloc(c, gfp, ip);
	if (unlikely(!p))
		return gm_report_alloc_failed(c->size, gfp);
	return p;
}

/*
 * The kernel's kmem_cache_alloc/free events, out of line as gomalloc()'s
 * kmalloc/kfree are: the entries test the events' static keys first.
 * gomalloc_cache_free(NULL, p) is traced as kfree.
 */
static noinline void *gm_cache_alloc_traced(struct gomalloc_cache *c, gfp_t gfp,
					    unsigned long ip)
{
	void *p = gm_cache_alloc_entry(c, gfp, ip);

	if (c->trace_kc)
		trace_kmem_cache_alloc(ip, p, c->trace_kc, gfp, NUMA_NO_NODE);
	return p;
}

static void gm_cache_trace_free(struct gomalloc_cache *c, void *p, unsigned long ip)
{
	if (!c)
		trace_kfree(ip, p);
	else if (c->trace_kc)
		trace_kmem_cache_free(ip, p, c->trace_kc);
}

void *gomalloc_cache_alloc(struct gomalloc_cache *c, gfp_t gfp)
{
	might_alloc(gfp);	/* first: keeps the caller's address off the stack */
	if (trace_kmem_cache_alloc_enabled())
		return gm_cache_alloc_traced(c, gfp, _RET_IP_);
	return gm_cache_alloc_entry(c, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomalloc_cache_alloc);

/* Free fast path: the object's span is this CPU's current one for @c. */
static __always_inline void gm_cache_free(struct gomalloc_cache *c, void *ptr,
					  unsigned long ip)
{
	unsigned long p = (unsigned long)ptr;
	struct gm_mcache_class *cc;
	struct gm_mspan *s;
	unsigned int idx;

	preempt_disable();	/* the fast path's, and an RCU reader of the index */
	s = gm_span_index(p);
	if (unlikely(!c || !s || READ_ONCE(s->state) != GM_SPAN_CACHE ||
		     READ_ONCE(s->spanclass) != c->spc))
		goto other;
	if (unlikely(!gm_span_obj_start(s, p, &idx)))
		goto other;
	cc = gm_mcache_typed_here(c->pcpu);
	if (likely(cc->span == s &&
		   gm_mcache_free_owned_at(cc, s, idx, ptr, c->link_off, c->init))) {
		preempt_enable();
		return;
	}
	gm_mcache_free_slow(s, idx, ptr, ip);	/* enables preemption */
	return;
other:
	gm_mcache_free_other(c ? c->spc : 0, s, ptr, ip);	/* enables preemption */
}

/* @c NULL: any gomalloc object (as kmem_cache_free_bulk(NULL, ...)). */
static noinline void gm_cache_free_traced(struct gomalloc_cache *c, void *p,
					  unsigned long ip)
{
	gm_cache_trace_free(c, p, ip);
	gm_cache_free(c, p, ip);
}

void gomalloc_cache_free(struct gomalloc_cache *c, void *p)
{
	if (trace_kmem_cache_free_enabled() || trace_kfree_enabled())
		gm_cache_free_traced(c, p, _RET_IP_);
	else
		gm_cache_free(c, p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomalloc_cache_free);

/* All or nothing: @n objects (gm_mcache_alloc_bulk), or none and 0. */
int gomalloc_cache_alloc_bulk(struct gomalloc_cache *c, gfp_t gfp, size_t n, void **p)
{
	size_t i;

	might_alloc(gfp);
	if (unlikely(gfp & GM_GFP_REFUSED)) {
		gm_report_refused(c->size, gfp);
		return 0;
	}
	i = gm_mcache_alloc_bulk(c->spc, c->size, gfp, n, p, _RET_IP_, false);
	if (unlikely(i < n)) {
		gm_report_alloc_failed(c->size, gfp);
		gm_mcache_free_bulk(c->spc, i, p, _RET_IP_);	/* untraced, as they were */
		return 0;
	}
	if (unlikely(gfp & __GFP_ZERO) || (c->init && want_init_on_alloc(gfp)))
		for (i = 0; i < n; i++)
			gm_zero(p[i], c->size);
	for (i = 0; i < n; i++)
		gm_asan_alloc(p[i], c->size);
	if (trace_kmem_cache_alloc_enabled() && c->trace_kc)
		for (i = 0; i < n; i++)
			trace_kmem_cache_alloc(_RET_IP_, p[i], c->trace_kc, gfp, NUMA_NO_NODE);
	return n;
}
EXPORT_SYMBOL_GPL(gomalloc_cache_alloc_bulk);

void gomalloc_cache_free_bulk(struct gomalloc_cache *c, size_t n, void **p)
{
	size_t i;

	if (trace_kmem_cache_free_enabled() || trace_kfree_enabled())
		for (i = 0; i < n; i++)
			gm_cache_trace_free(c, p[i], _RET_IP_);
	gm_mcache_free_bulk(c ? c->spc : 0, n, p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomalloc_cache_free_bulk);

/*
 * gomalloc_cache_destroy(), returning the live objects found (exact once
 * nothing else runs): every CPU's slots of the cache go back to its class,
 * whose spans are swept and counted.
 */
unsigned long gm_cache_destroy(struct gomalloc_cache *c)
{
	struct gm_mcache_typed __percpu *t;
	unsigned long live;

	might_sleep();
	gomalloc_rcu_barrier();	/* objects given to gofree_rcu() are freed */
	mutex_lock(&gm_caches_lock);
	list_del(&c->node);	/* its name is free from now on */
	mutex_unlock(&gm_caches_lock);
	gm_mcache_nmi_flush();	/* frees deferred from NMI are done */
	gm_mcache_drain_all_wait();
	gm_mcentral_sweep(&c->central, &live);
	if (live) {
		atomic_long_inc(&gm_errors.cache_leaks);
		pr_err("gomalloc_cache_destroy(%s): %lu object(s) still allocated; the cache and their memory are kept\n",
		       c->name, live);
		mutex_lock(&gm_caches_lock);
		c->destroyed = true;
		list_add_tail(&c->node, &gm_caches_kept);
		mutex_unlock(&gm_caches_lock);
		return live;
	}
	mutex_lock(&gm_caches_lock);
	t = gm_mcache_typed_unpublish(c->spc);
	gm_mcentral_unregister(&c->central);
	mutex_unlock(&gm_caches_lock);
	synchronize_rcu();	/* no fast path, drain or sweep still in them */
	gm_mcache_typed_free(t);
	gm_cache_free_struct(c);
	return 0;
}
GM_EXPORT_INTERNAL(gm_cache_destroy);

void gomalloc_cache_destroy(struct gomalloc_cache *c)
{
	if (c)
		gm_cache_destroy(c);
}
EXPORT_SYMBOL_GPL(gomalloc_cache_destroy);

/* /proc/gomalloc: one row per cache, destroyed ones kept marked with '*'. */
void gm_caches_show(struct seq_file *m)
{
	struct list_head *lists[] = { &gm_caches, &gm_caches_kept };
	unsigned long nmalloc, nfree;
	struct gomalloc_cache *c;
	unsigned int l;

	seq_puts(m, "# cache name objsize elemsize objs_per_span spans inuse allocs frees\n");
	mutex_lock(&gm_caches_lock);
	for (l = 0; l < ARRAY_SIZE(lists); l++)
		list_for_each_entry(c, lists[l], node) {
			gm_mcache_typed_counts(c->spc, &nmalloc, &nfree);
			seq_printf(m, "c %s%s %u %u %u %lu %lu %lu %lu\n", c->name,
				   c->destroyed ? "*" : "", c->size, c->central.elemsize,
				   (c->central.npages << PAGE_SHIFT) / c->central.elemsize,
				   READ_ONCE(c->central.nspans), nmalloc - nfree,
				   nmalloc, nfree);
		}
	mutex_unlock(&gm_caches_lock);
}

/* Live objects of every cache and their bytes (object sizes). */
void gm_caches_objects(long *objects, long *bytes)
{
	struct list_head *lists[] = { &gm_caches, &gm_caches_kept };
	unsigned long nmalloc, nfree;
	struct gomalloc_cache *c;
	unsigned int l;

	*objects = 0;
	*bytes = 0;
	mutex_lock(&gm_caches_lock);
	for (l = 0; l < ARRAY_SIZE(lists); l++)
		list_for_each_entry(c, lists[l], node) {
			gm_mcache_typed_counts(c->spc, &nmalloc, &nfree);
			*objects += nmalloc - nfree;
			*bytes += (nmalloc - nfree) * c->size;
		}
	mutex_unlock(&gm_caches_lock);
}

/*
 * Unload (every client is gone, the caches drained and their leaks
 * reported by class): caches never destroyed are named, and every cache's
 * structures freed; their spans' memory stays with the heap's leak.
 */
void gm_caches_exit(void)
{
	struct gomalloc_cache *c, *n;
	LIST_HEAD(all);

	mutex_lock(&gm_caches_lock);
	list_for_each_entry(c, &gm_caches, node)
		pr_err("unloading with cache %s never destroyed\n", c->name);
	list_splice_init(&gm_caches, &all);
	list_splice_init(&gm_caches_kept, &all);
	list_for_each_entry(c, &all, node) {
		c->pcpu = gm_mcache_typed_unpublish(c->spc);
		RCU_INIT_POINTER(gm_cache_central[c->spc - GM_CACHE_SPC(0)], NULL);
	}
	mutex_unlock(&gm_caches_lock);
	synchronize_rcu();
	list_for_each_entry_safe(c, n, &all, node) {
		list_del(&c->node);
		gm_mcache_typed_free(c->pcpu);
		gm_cache_free_struct(c);
	}
}
