/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reports of bad input and corruption, at the bottom layer: every layer
 * counts and reports its own findings here, calling downward.
 */
#ifndef _GM_MREPORT_H
#define _GM_MREPORT_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/gfp.h>
#include <linux/preempt.h>
#include <linux/types.h>

/* Global error counters, shown in /proc/gomalloc. */
struct gm_errors {
	atomic_long_t invalid_frees;	/* not ours, interior, never allocated */
	atomic_long_t double_frees;
	atomic_long_t alloc_failures;	/* NULL returned for a valid size */
	atomic_long_t bad_sizes;	/* larger than GOMALLOC_MAX_SIZE */
	atomic_long_t bad_flags;	/* __GFP_DMA, __GFP_DMA32: refused */
	atomic_long_t nmi_frees;	/* frees from NMI, deferred (not errors) */
	atomic_long_t nmi_frees_lost;	/* from NMI with no slot left: leaked */
	atomic_long_t freelist_corrupted; /* LIFO links overwritten (mcache.h) */
	atomic_long_t wrong_cache_frees; /* gomalloc_cache_free(c, object of another) */
	atomic_long_t cache_leaks;	/* caches destroyed with live objects */
	atomic_long_t foreign_frees;	/* kernel memory seen by gomalloc_foreign() */
	atomic_long_t rt_atomic_refused; /* PREEMPT_RT: slow path where it cannot sleep */
	atomic_long_t rt_frees_deferred; /* PREEMPT_RT: such frees, deferred (not errors) */
	atomic_long_t rt_frees_lost;	/* the same with no slot left: leaked */
};

extern struct gm_errors gm_errors;

/*
 * Zones gomalloc cannot serve: its arenas come from ZONE_NORMAL (or below),
 * never from a zone a caller asks for, so such requests are refused.
 */
#define GM_GFP_REFUSED	(__GFP_DMA | __GFP_DMA32)

/*
 * PREEMPT_RT: spinlock_t is a sleeping lock, so no slow path (they all take
 * one) may run where the caller cannot sleep: a hard interrupt handler that
 * is not threaded, a raw spinlock held, preemption or interrupts disabled.
 * True there, tested in the caller's own context (once the fast path's
 * preempt_disable() is undone). Always false on other kernels: compiled out.
 */
static __always_inline bool gm_rt_atomic(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible();
}

/* An allocation slow path refused for gm_rt_atomic(): counted, warned; NULL. */
void *gm_report_rt_atomic(size_t size, gfp_t gfp, unsigned long ip);

/* An allocation refused for GM_GFP_REFUSED in @gfp: counted, warned once; NULL. */
void *gm_report_refused(size_t size, gfp_t gfp);
/* An allocation that failed: counted, warned unless __GFP_NOWARN; NULL. */
void *gm_report_alloc_failed(size_t size, gfp_t gfp);

/* Count a finding in @counter, and in the KUnit test expecting reports. */
void gm_report_error(atomic_long_t *counter);
#if IS_ENABLED(CONFIG_KUNIT)
struct task_struct;
/* KUnit: from now on count @task's reports in *@count (NULL: nobody's). */
void gm_report_count_for(struct task_struct *task, int *count);
#endif
/* A bad gofree(@p) from @ip: counted (@dbl: as a double free), logged. */
void gm_report_free(const void *p, const char *why, bool dbl, unsigned long ip);

/*
 * Race windows the KUnit tests can widen: a test installs gm_race_hook and
 * it is called at each point below with what the point names (preemptible
 * task context only). Compiled out of builds without KUnit.
 */
enum gm_race_point {
	GM_RACE_TINY_FREE,	/* a tiny free, after its atomic update: block meta */
	GM_RACE_PCACHE_REFILL,	/* pageCache refill, a new block in hand */
	GM_RACE_FIXALLOC_REFILL, /* fixalloc, lock dropped to get a chunk */
};

#if IS_ENABLED(CONFIG_KUNIT)
extern void (*gm_race_hook)(enum gm_race_point point, const void *arg);

static inline void gm_race_window(enum gm_race_point point, const void *arg)
{
	void (*hook)(enum gm_race_point point, const void *arg) = READ_ONCE(gm_race_hook);

	if (unlikely(hook) && preemptible())
		hook(point, arg);
}
#else
static inline void gm_race_window(enum gm_race_point point, const void *arg)
{
}
#endif

#endif /* _GM_MREPORT_H */
