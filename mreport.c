// SPDX-License-Identifier: GPL-2.0
/*
 * Reports of bad input and corruption: counters, ratelimited messages, and
 * the KUnit resource a test expecting a report reads. Calls nothing of ours.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hardirq.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <kunit/test.h>
#include <kunit/resource.h>
#include "gm_compat.h"
#include "mreport.h"

struct gm_errors gm_errors;
GM_EXPORT_INTERNAL(gm_errors);

#if IS_ENABLED(CONFIG_KUNIT)
void (*gm_race_hook)(enum gm_race_point point, const void *arg);
GM_EXPORT_INTERNAL(gm_race_hook);
#endif

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * A KUnit test that expects reports has those of its task counted. No
 * lock: a report may come where nothing may sleep, and KUnit's resource
 * lookup takes a spinlock_t (a sleeping lock on PREEMPT_RT).
 */
static struct task_struct *gm_report_task;
static int *gm_report_count;

void gm_report_count_for(struct task_struct *task, int *count)
{
	WRITE_ONCE(gm_report_task, NULL);
	WRITE_ONCE(gm_report_count, count);
	WRITE_ONCE(gm_report_task, task);
}
GM_EXPORT_INTERNAL(gm_report_count_for);
#endif

void gm_report_error(atomic_long_t *counter)
{
	atomic_long_inc(counter);
#if IS_ENABLED(CONFIG_KUNIT)
	if (current == READ_ONCE(gm_report_task)) {
		int *count = READ_ONCE(gm_report_count);

		if (count)
			WRITE_ONCE(*count, *count + 1);
	}
#endif
}

void gm_report_free(const void *p, const char *why, bool dbl, unsigned long ip)
{
	atomic_long_inc(dbl ? &gm_errors.double_frees : &gm_errors.invalid_frees);
	pr_err_ratelimited("gofree(%p) from %pS: %s; ignored\n", p, (void *)ip, why);
}
GM_EXPORT_INTERNAL(gm_report_free);

void *gm_report_refused(size_t size, gfp_t gfp)
{
	atomic_long_inc(&gm_errors.bad_flags);
	if (gfp & __GFP_DMA)
		pr_warn_once("__GFP_DMA is not supported (objects are not in ZONE_DMA); allocation of %zu bytes refused\n",
			     size);
	else
		pr_warn_once("__GFP_DMA32 is not supported (objects are not below 4 GiB); allocation of %zu bytes refused\n",
			     size);
	return NULL;
}

void *gm_report_rt_atomic(size_t size, gfp_t gfp, unsigned long ip)
{
	atomic_long_inc(&gm_errors.rt_atomic_refused);
	if (!(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("allocation of %zu bytes from %pS refused: PREEMPT_RT, and the caller cannot sleep (hard interrupt, raw spinlock, preemption or interrupts disabled) where gomalloc would take a sleeping lock\n",
				    size, (void *)ip);
	return NULL;
}
GM_EXPORT_INTERNAL(gm_report_rt_atomic);

void *gm_report_alloc_failed(size_t size, gfp_t gfp)
{
	/* Not failures: NMI is refused silently, RT atomic context apart. */
	if (in_nmi() || gm_rt_atomic())
		return NULL;
	atomic_long_inc(&gm_errors.alloc_failures);
	if (!(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("allocation of %zu bytes failed (gfp %pGg)\n",
				    size, &gfp);
	return NULL;
}
