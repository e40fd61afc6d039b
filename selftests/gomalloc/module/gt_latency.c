// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: latency: how late a SCHED_FIFO kthread per CPU wakes from a
 * hard hrtimer, with the machine idle or while the multicpu stress runs.
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "gomalloc_test.h"

static bool gt_lat_stress;
module_param_named(stress, gt_lat_stress, bool, 0444);
MODULE_PARM_DESC(stress, "latency: run the multicpu stress meanwhile");
static unsigned long latency_max_ns, latency_samples;
module_param(latency_max_ns, ulong, 0444);
MODULE_PARM_DESC(latency_max_ns, "latency: the latest wakeup seen, in ns (output)");
module_param(latency_samples, ulong, 0444);
MODULE_PARM_DESC(latency_samples, "latency: wakeups measured (output)");

#define GT_LAT_PERIOD_NS	(200 * NSEC_PER_USEC)

static DEFINE_SPINLOCK(gt_lat_lock);	/* the two outputs */

static int gt_lat_thread(void *unused)
{
	unsigned long worst = 0, n = 0;
	ktime_t next;
	s64 late;

	while (!kthread_should_stop()) {
		next = ktime_add_ns(ktime_get(), GT_LAT_PERIOD_NS);
		set_current_state(TASK_UNINTERRUPTIBLE);
		schedule_hrtimeout(&next, HRTIMER_MODE_ABS_HARD);
		late = ktime_to_ns(ktime_sub(ktime_get(), next));
		if (late > 0 && late > worst)
			worst = late;
		n++;
	}
	spin_lock(&gt_lat_lock);
	latency_max_ns = max(latency_max_ns, worst);
	latency_samples += n;
	spin_unlock(&gt_lat_lock);
	return 0;
}

void gt_latency(void)
{
	struct task_struct **t = kcalloc(nr_cpu_ids, sizeof(*t), GFP_KERNEL);
	unsigned int cpu, i, n = 0;

	if (!t) {
		GT_CHECK(0, "no memory");
		return;
	}
	for_each_online_cpu(cpu) {
		t[n] = kthread_create(gt_lat_thread, NULL, "gomalloc_test/lat%u", cpu);
		if (IS_ERR(t[n])) {
			GT_CHECK(0, "no latency thread for CPU %u", cpu);
			continue;
		}
		kthread_bind(t[n], cpu);
		sched_set_fifo(t[n]);
		get_task_struct(t[n]);
		wake_up_process(t[n++]);
	}
	if (gt_lat_stress)
		gt_multicpu();
	else
		msleep(gt_seconds * MSEC_PER_SEC);
	for (i = 0; i < n; i++) {
		kthread_stop(t[i]);
		put_task_struct(t[i]);
	}
	kfree(t);
	GT_CHECK(latency_samples >= n, "%lu wakeup(s) on %u CPU(s)", latency_samples, n);
	pr_info("gomalloc_test: latency: %s: %u CPU(s), %lu wakeup(s), the latest %lu us late\n",
		gt_lat_stress ? "multicpu stress" : "idle", n, latency_samples,
		latency_max_ns / NSEC_PER_USEC);
}
