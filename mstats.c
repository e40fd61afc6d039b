// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/gomalloc: heap figures, object counts and the per-class table, summed
 * from the heap, the mcentrals and every CPU's mcaches (exact when quiet).
 */
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include "gm_compat.h"
#include "mem.h"
#include "mreport.h"
#include "mstats.h"
#include "mcache.h"
#include "mcentral.h"
#include "mdebug.h"
#include "mprof.h"
#include "mheap.h"
#include "mpagecache.h"
#include "mrcu.h"
#include "mscavenge.h"
#include "typedcache.h"

#define GM_STATS_VERSION	1

struct gm_class_sum {
	unsigned long nmalloc, nfree, cached;
};

/* The tiny and large objects' counters of every mcache, summed. */
struct gm_obj_sum {
	unsigned long tiny_allocs, tiny_frees, tiny_bytes_alloc, tiny_bytes_free;
	unsigned long large_allocs, large_frees, large_pages_alloc, large_pages_free;
};

static void gm_stats_sum(struct gm_class_sum *sum, struct gm_obj_sum *o)
{
	unsigned int cpu, ctx, spc;

	memset(sum, 0, sizeof(*sum) * GM_NUM_SPAN_CLASSES);
	memset(o, 0, sizeof(*o));
	for_each_possible_cpu(cpu)
		for (ctx = 0; ctx < GM_NR_CTX; ctx++) {
			struct gm_mcache *c = per_cpu(gm_mcaches[ctx], cpu);

			if (!c)
				continue;
			for (spc = 1; spc < GM_NUM_SPAN_CLASSES; spc++) {
				struct gm_mspan *s = READ_ONCE(c->cls[spc].span);

				sum[spc].nmalloc += READ_ONCE(c->cls[spc].nmalloc);
				sum[spc].nfree += READ_ONCE(c->cls[spc].nfree);
				if (s != &gm_empty_span)
					sum[spc].cached += READ_ONCE(s->nelems) -
							   READ_ONCE(s->alloc_count);
			}
			o->tiny_allocs += READ_ONCE(c->tiny_allocs);
			o->tiny_frees += READ_ONCE(c->tiny_frees);
			o->tiny_bytes_alloc += READ_ONCE(c->tiny_bytes_alloc);
			o->tiny_bytes_free += READ_ONCE(c->tiny_bytes_free);
			o->large_allocs += READ_ONCE(c->large_allocs);
			o->large_frees += READ_ONCE(c->large_frees);
			o->large_pages_alloc += READ_ONCE(c->large_pages_alloc);
			o->large_pages_free += READ_ONCE(c->large_pages_free);
		}
}

/* Live objects and their usable bytes: debug, large, tiny, size classes. */
static void gm_stats_live(const struct gm_class_sum *sum, const struct gm_obj_sum *o,
			  long *objects, long *bytes)
{
	long cobjects, cbytes;
	unsigned int spc;

	gm_debug_stats(objects, bytes);
	gm_caches_objects(&cobjects, &cbytes);
	*objects += cobjects;
	*bytes += cbytes;
	*objects += o->large_allocs - o->large_frees + o->tiny_allocs - o->tiny_frees;
	*bytes += ((o->large_pages_alloc - o->large_pages_free) << PAGE_SHIFT) +
		  o->tiny_bytes_alloc - o->tiny_bytes_free;
	for (spc = 1; spc < GM_NUM_SIZE_CLASSES; spc++) {
		*objects += sum[spc].nmalloc - sum[spc].nfree;
		*bytes += (sum[spc].nmalloc - sum[spc].nfree) * gm_class_to_size[spc];
	}
}

/* Live objects and their usable bytes, tiny objects counted one by one. */
void gm_stats_objects(long *objects, long *bytes, long *tiny_objects)
{
	struct gm_class_sum *sum;
	struct gm_obj_sum o;

	sum = kcalloc(GM_NUM_SPAN_CLASSES, sizeof(*sum), GFP_KERNEL);
	if (!sum) {
		*objects = *bytes = *tiny_objects = -1;
		return;
	}
	gm_stats_sum(sum, &o);
	gm_stats_live(sum, &o, objects, bytes);
	*tiny_objects = o.tiny_allocs - o.tiny_frees;
	kfree(sum);
}
GM_EXPORT_INTERNAL(gm_stats_objects);

static int gm_stats_show(struct seq_file *m, void *v)
{
	struct gm_class_sum *sum;
	struct gm_obj_sum o;
	unsigned long flags;
	struct {
		unsigned long pages_held, pages_free, narenas, arenas_released;
		unsigned long grow_failures, injected_failures, meta_pages, unindexed_pages;
	} h;
	long objects = 0, bytes = 0;
	unsigned int spc;

	sum = kcalloc(GM_NUM_SPAN_CLASSES, sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	gm_stats_sum(sum, &o);
	spin_lock_irqsave(&gm_heap.lock, flags);
	h.pages_held = gm_heap.pages_held;
	h.pages_free = gm_heap.pages_free;
	h.narenas = gm_heap.narenas;
	h.arenas_released = gm_heap.arenas_released;
	h.grow_failures = gm_heap.grow_failures;
	h.injected_failures = gm_heap.injected_failures;
	h.meta_pages = gm_heap.meta_pages;
	h.unindexed_pages = gm_heap.unindexed_pages;
	spin_unlock_irqrestore(&gm_heap.lock, flags);

	gm_stats_live(sum, &o, &objects, &bytes);

	seq_printf(m, "gomalloc statistics version %d\n", GM_STATS_VERSION);
	seq_printf(m, "pages_held: %lu\n", h.pages_held);
	seq_printf(m, "pages_free: %lu\n", h.pages_free + gm_pagecache_free_pages());
	seq_printf(m, "pages_pagecache: %lu\n", gm_pagecache_free_pages());
	seq_printf(m, "arenas: %lu\n", h.narenas);
	seq_printf(m, "arenas_released: %lu\n", h.arenas_released);
	seq_printf(m, "pages_scavenged: %lu\n", gm_scavenged());
	seq_printf(m, "retain_pages: %lu\n", READ_ONCE(gm_retain_pages));
	seq_printf(m, "grow_failures: %lu\n", h.grow_failures);
	seq_printf(m, "injected_failures: %lu\n", h.injected_failures);
	seq_printf(m, "large_objects_inuse: %lu\n", o.large_allocs - o.large_frees);
	seq_printf(m, "large_pages_inuse: %lu\n", o.large_pages_alloc - o.large_pages_free);
	seq_printf(m, "fixalloc_bytes: %zu\n",
		   gm_fixalloc_bytes(&gm_heap.spanalloc) +
		   gm_fixalloc_bytes(&gm_heap.arenaalloc) +
		   gm_fixalloc_bytes(&gm_heap.cachealloc) +
		   gm_fixalloc_bytes(&gm_heap.tinyalloc));
	seq_printf(m, "index_pages: %lu\n", h.meta_pages);
	seq_printf(m, "pages_unindexed: %lu\n", h.unindexed_pages);
	seq_printf(m, "buddy_pages: %ld\n", atomic_long_read(&gm_buddy_pages));
	seq_printf(m, "buddy_failures: %ld\n", atomic_long_read(&gm_buddy_failures));
	seq_printf(m, "objects_inuse: %ld\n", objects);
	seq_printf(m, "bytes_inuse: %ld\n", bytes);
	seq_printf(m, "tiny_objects_inuse: %lu\n", o.tiny_allocs - o.tiny_frees);
	seq_printf(m, "tiny_blocks_inuse: %lu\n",
		   sum[GM_TINY_SPC].nmalloc - sum[GM_TINY_SPC].nfree);
	seq_printf(m, "rcu_pending: %ld\n", gm_rcu_pending());
	seq_printf(m, "invalid_frees: %ld\n", atomic_long_read(&gm_errors.invalid_frees));
	seq_printf(m, "double_frees: %ld\n", atomic_long_read(&gm_errors.double_frees));
	seq_printf(m, "alloc_failures: %ld\n", atomic_long_read(&gm_errors.alloc_failures));
	seq_printf(m, "bad_sizes: %ld\n", atomic_long_read(&gm_errors.bad_sizes));
	seq_printf(m, "bad_flags: %ld\n", atomic_long_read(&gm_errors.bad_flags));
	seq_printf(m, "nmi_frees: %ld\n", atomic_long_read(&gm_errors.nmi_frees));
	seq_printf(m, "nmi_frees_lost: %ld\n", atomic_long_read(&gm_errors.nmi_frees_lost));
	seq_printf(m, "rt_atomic_refused: %ld\n",
		   atomic_long_read(&gm_errors.rt_atomic_refused));
	seq_printf(m, "rt_frees_deferred: %ld\n",
		   atomic_long_read(&gm_errors.rt_frees_deferred));
	seq_printf(m, "rt_frees_lost: %ld\n", atomic_long_read(&gm_errors.rt_frees_lost));
	seq_printf(m, "freelist_corrupted: %ld\n",
		   atomic_long_read(&gm_errors.freelist_corrupted));
	seq_printf(m, "wrong_cache_frees: %ld\n",
		   atomic_long_read(&gm_errors.wrong_cache_frees));
	seq_printf(m, "cache_leaks: %ld\n", atomic_long_read(&gm_errors.cache_leaks));
	seq_printf(m, "foreign_frees: %ld\n", atomic_long_read(&gm_errors.foreign_frees));
	seq_printf(m, "debug_flags: %u\n", READ_ONCE(gm_debug_flags));
	seq_printf(m, "debug_errors: %lu\n", gm_debug_errors());
	gm_prof_show(m);
	seq_puts(m, "# class objsize pages_per_span objs_per_span spans inuse cached_percpu allocs frees\n");
	for (spc = 1; spc < GM_NUM_SPAN_CLASSES; spc++) {
		unsigned int sc = gm_spc_sizeclass(spc);

		seq_printf(m, "%s%-3u %6u %2u %4u %6lu %8lu %6lu %10lu %10lu\n",
			   gm_spc_is_tiny(spc) ? "t" : "", spc, gm_class_to_size[sc],
			   gm_class_to_npages[sc], gm_class_to_nobjs[sc],
			   READ_ONCE(gm_central[spc].nspans),
			   sum[spc].nmalloc - sum[spc].nfree, sum[spc].cached,
			   sum[spc].nmalloc, sum[spc].nfree);
	}
	/* Debug classes, when they hold spans or objects: no per-CPU caching. */
	for (spc = GM_DEBUG_SPC(1); spc < GM_DEBUG_SPC(GM_NUM_SIZE_CLASSES); spc++) {
		unsigned int sc = gm_spc_sizeclass(spc);
		unsigned long nmalloc, nfree;

		gm_debug_class_stats(sc, &nmalloc, &nfree);
		if (!READ_ONCE(gm_central[spc].nspans) && !nmalloc)
			continue;
		seq_printf(m, "d%-3u %6u %2u %4u %6lu %8lu %6u %10lu %10lu\n", sc,
			   gm_class_to_size[sc], gm_class_to_npages[sc],
			   gm_class_to_nobjs[sc], READ_ONCE(gm_central[spc].nspans),
			   nmalloc - nfree, 0, nmalloc, nfree);
	}
	gm_caches_show(m);
	kfree(sum);
	return 0;
}

static struct proc_dir_entry *gm_proc;

int gm_stats_init(void)
{
	gm_proc = proc_create_single("gomalloc", 0444, NULL, gm_stats_show);
	return gm_proc ? 0 : -ENOMEM;
}

void gm_stats_exit(void)
{
	proc_remove(gm_proc);
}
