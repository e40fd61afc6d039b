// SPDX-License-Identifier: GPL-2.0
/*
 * Giving memory back (Go's mgcscavenge.go): a background scavenger and a
 * shrinker that sweep, drain per-CPU caches and return free arenas.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/shrinker.h>
#include <linux/workqueue.h>
#include "gm_compat.h"
#include "mem.h"
#include "mreport.h"
#include "mcache.h"
#include "mcentral.h"
#include "mdebug.h"
#include "mheap.h"
#include "mpagecache.h"
#include "mscavenge.h"
#include "gm_trace.h"

static unsigned int gm_scavenge_ms = 1000;
static struct shrinker *gm_shrinker;
static void gm_scavenge_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(gm_scavenge_work, gm_scavenge_fn);
static atomic_long_t gm_scavenged_pages = ATOMIC_LONG_INIT(0);
/* Whether the scavenger may be (re)scheduled: from init to exit. */
static DEFINE_MUTEX(gm_scavenge_lock);
static bool gm_scavenge_live;

/*
 * A new period takes effect now: the next run is rescheduled to it, 0 stops
 * the scavenger, and a period after 0 starts it again. A run in progress
 * reschedules itself under the same lock, with the period it finds then.
 */
static int gm_scavenge_ms_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret = kstrtouint(val, 0, &ms);

	if (ret)
		return ret;
	mutex_lock(&gm_scavenge_lock);
	WRITE_ONCE(gm_scavenge_ms, ms);
	if (gm_scavenge_live) {
		if (ms)
			mod_delayed_work(system_wq, &gm_scavenge_work, msecs_to_jiffies(ms));
		else
			cancel_delayed_work(&gm_scavenge_work);
	}
	mutex_unlock(&gm_scavenge_lock);
	return 0;
}

static const struct kernel_param_ops gm_scavenge_ms_ops = {
	.set = gm_scavenge_ms_set,
	.get = param_get_uint,
};
module_param_cb(scavenge_ms, &gm_scavenge_ms_ops, &gm_scavenge_ms, 0644);
MODULE_PARM_DESC(scavenge_ms,
		 "Scavenger period in ms: sweep and return free arenas beyond retain_pages (0: off)");

unsigned long gm_scavenged(void)
{
	return atomic_long_read(&gm_scavenged_pages);
}

/*
 * Return what can be returned: with @drain, also every CPU's cached spans
 * and page caches first (may sleep). Returns pages given to the buddy
 * allocator.
 */
static unsigned long gm_reclaim_pass(bool shrinker, bool drain)
{
	unsigned long n, spans;

	if (drain) {
		gm_mcache_drain_all();
		gm_debug_drain();
	}
	spans = gm_mcentral_sweep_all();
	n = gm_heap_release(READ_ONCE(gm_retain_pages));
	atomic_long_add(n, &gm_scavenged_pages);
	trace_gomalloc_reclaim(shrinker, drain, spans, n, READ_ONCE(gm_heap.pages_held));
	return n;
}

unsigned long gm_reclaim(bool drain)
{
	return gm_reclaim_pass(drain, drain);
}
GM_EXPORT_INTERNAL(gm_reclaim);

static void gm_scavenge_fn(struct work_struct *w)
{
	gm_reclaim_pass(false, false);
	gm_scavenge_resume();
}

/*
 * What a scan can give back, in pages, at most what the heap holds beyond
 * retain_pages (none while within it): wholly free arenas beyond it; the pageCaches' free pages, the classes' reserves of
 * empty spans, unswept spans their pending frees empty, and the CPU caches'
 * empty spans and parked large spans (these only if their arenas then
 * become wholly free, which a scan tries). Spans
 * a CPU's cache still allocates from are not counted: no scan drains for
 * them.
 */
unsigned long gm_shrink_count(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long held = READ_ONCE(gm_heap.pages_held), n;
	unsigned long keep = READ_ONCE(gm_retain_pages);

	/* Nothing goes back while the heap is within retain_pages. */
	if (held <= keep)
		return SHRINK_EMPTY;
	n = gm_heap_releasable(keep) + gm_pagecache_free_pages() +
	    gm_mcentral_freeable_pages() + gm_mcache_freeable_pages();
	n = min(n, held - keep);
	return n ? n : SHRINK_EMPTY;
}
GM_EXPORT_INTERNAL(gm_shrink_count);

/*
 * Drain the CPU caches only if they hold something a drain frees (and the
 * caller may sleep); flush the pageCaches, sweep, give back free arenas.
 * SHRINK_STOP when that freed nothing: the next count then says so too, so
 * sustained pressure costs no repeated work.
 */
unsigned long gm_shrink_scan(struct shrinker *sh, struct shrink_control *sc)
{
	bool drain = gfpflags_allow_blocking(sc->gfp_mask) &&
		     gm_mcache_freeable_pages();
	unsigned long n;

	/* Also when the drain is skipped (CPU hotplug in progress). */
	gm_pagecache_flush_all();
	n = gm_reclaim_pass(true, drain);
	n += gm_heap_release_unindexed();
	return n ? n : SHRINK_STOP;
}
GM_EXPORT_INTERNAL(gm_shrink_scan);

/* Stop the background scavenger (for tests that need a quiet heap). */
void gm_scavenge_pause(void)
{
	cancel_delayed_work_sync(&gm_scavenge_work);
}
GM_EXPORT_INTERNAL(gm_scavenge_pause);

void gm_scavenge_resume(void)
{
	unsigned int ms;

	mutex_lock(&gm_scavenge_lock);
	ms = READ_ONCE(gm_scavenge_ms);
	if (ms && gm_scavenge_live)
		schedule_delayed_work(&gm_scavenge_work, msecs_to_jiffies(ms));
	mutex_unlock(&gm_scavenge_lock);
}
GM_EXPORT_INTERNAL(gm_scavenge_resume);

int gm_scavenge_init(void)
{
	gm_shrinker = gm_shrinker_register("gomalloc", gm_shrink_count, gm_shrink_scan);
	if (!gm_shrinker)
		return -ENOMEM;
	mutex_lock(&gm_scavenge_lock);
	WRITE_ONCE(gm_scavenge_live, true);
	mutex_unlock(&gm_scavenge_lock);
	gm_scavenge_resume();
	return 0;
}

/* Parameter writes may still come (sysfs outlives exit): they see !live. */
void gm_scavenge_exit(void)
{
	mutex_lock(&gm_scavenge_lock);
	WRITE_ONCE(gm_scavenge_live, false);
	mutex_unlock(&gm_scavenge_lock);
	cancel_delayed_work_sync(&gm_scavenge_work);
	if (gm_shrinker)
		gm_shrinker_unregister(gm_shrinker);
	gm_shrinker = NULL;
}
