// SPDX-License-Identifier: GPL-2.0
/*
 * Giving memory back (Go's mgcscavenge.go): a background scavenger and a
 * shrinker that sweep, drain per-CPU caches and return free arenas.
 */
#include <linux/module.h>
#include <linux/shrinker.h>
#include <linux/workqueue.h>
#include "gm_internal.h"
#include "mcache.h"
#include "mcentral.h"
#include "mdebug.h"
#include "mheap.h"
#include "mpagecache.h"
#include "mscavenge.h"

static unsigned int gm_scavenge_ms = 1000;
module_param_named(scavenge_ms, gm_scavenge_ms, uint, 0644);
MODULE_PARM_DESC(scavenge_ms,
		 "Scavenger period in ms: sweep and return free arenas beyond retain_pages (0: off)");

static struct shrinker *gm_shrinker;
static void gm_scavenge_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(gm_scavenge_work, gm_scavenge_fn);
static atomic_long_t gm_scavenged_pages = ATOMIC_LONG_INIT(0);

unsigned long gm_scavenged(void)
{
	return atomic_long_read(&gm_scavenged_pages);
}

/*
 * Return what can be returned: with @drain, also every CPU's cached spans
 * and page caches first (may sleep). Returns pages given to the buddy
 * allocator.
 */
unsigned long gm_reclaim(bool drain)
{
	unsigned long n;

	if (drain) {
		gm_mcache_drain_all();
		gm_debug_drain();
	}
	gm_mcentral_sweep_all();
	n = gm_heap_release(READ_ONCE(gm_retain_pages));
	atomic_long_add(n, &gm_scavenged_pages);
	return n;
}
GM_EXPORT_INTERNAL(gm_reclaim);

static void gm_scavenge_fn(struct work_struct *w)
{
	unsigned int ms = READ_ONCE(gm_scavenge_ms);

	gm_reclaim(false);
	if (ms)
		schedule_delayed_work(&gm_scavenge_work, msecs_to_jiffies(ms));
}

/* Reclaimable: free pages beyond the retained amount, plus cached pages. */
static unsigned long gm_shrink_count(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long flags, free, held, n = 0, spc;

	spin_lock_irqsave(&gm_heap.lock, flags);
	free = gm_heap.pages_free;
	held = gm_heap.pages_held;
	spin_unlock_irqrestore(&gm_heap.lock, flags);
	free += gm_pagecache_free_pages();
	for (spc = 1; spc < GM_NUM_SPAN_CLASSES; spc++)
		n += READ_ONCE(gm_central[spc].ncached);
	if (held > READ_ONCE(gm_retain_pages))
		n += min(free, held - READ_ONCE(gm_retain_pages));
	return n ? n : SHRINK_EMPTY;
}

static unsigned long gm_shrink_scan(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long n = gm_reclaim(gfpflags_allow_blocking(sc->gfp_mask));

	return n ? n : SHRINK_STOP;
}

/* Stop the background scavenger (for tests that need a quiet heap). */
void gm_scavenge_pause(void)
{
	cancel_delayed_work_sync(&gm_scavenge_work);
}
GM_EXPORT_INTERNAL(gm_scavenge_pause);

void gm_scavenge_resume(void)
{
	unsigned int ms = READ_ONCE(gm_scavenge_ms);

	if (ms)
		schedule_delayed_work(&gm_scavenge_work, msecs_to_jiffies(ms));
}
GM_EXPORT_INTERNAL(gm_scavenge_resume);

int gm_scavenge_init(void)
{
	gm_shrinker = gm_shrinker_register("gomalloc", gm_shrink_count, gm_shrink_scan);
	if (!gm_shrinker)
		return -ENOMEM;
	if (gm_scavenge_ms)
		schedule_delayed_work(&gm_scavenge_work, msecs_to_jiffies(gm_scavenge_ms));
	return 0;
}

void gm_scavenge_exit(void)
{
	WRITE_ONCE(gm_scavenge_ms, 0);
	cancel_delayed_work_sync(&gm_scavenge_work);
	if (gm_shrinker)
		gm_shrinker_unregister(gm_shrinker);
	gm_shrinker = NULL;
}
