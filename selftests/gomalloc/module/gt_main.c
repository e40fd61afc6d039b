// SPDX-License-Identifier: GPL-2.0
/*
 * Client module for gomalloc's kselftests: runs the test named by `test=` at
 * load time through the public API only; load fails if any check fails.
 * This file: the shared parameters and helpers, and the table of the tests.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

char *gt_test = "basic";
module_param_named(test, gt_test, charp, 0444);
MODULE_PARM_DESC(test, "basic, large, align, largecpu, multicpu, stress, irq, badinput, faults, leak, hold, classes, nowait, init, initfree, initreuse, warn, redzone, nofail, rcu, cache, cachehold, kmemleak, prof or latency");
unsigned int gt_seconds = 3;
module_param_named(seconds, gt_seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "How long the multicpu, irq, faults, rcu, cache and latency tests run");
unsigned int gt_failures_seen;
module_param_named(failures_seen, gt_failures_seen, uint, 0444);
MODULE_PARM_DESC(failures_seen, "NULL returns the faults test counted (output)");

/* Input of the hold, classes, nowait, initfree and initreuse tests. */
unsigned long gt_psizes[GT_MAX_SIZES];
unsigned int gt_nsizes;
module_param_array_named(sizes, gt_psizes, ulong, &gt_nsizes, 0444);
MODULE_PARM_DESC(sizes, "hold, classes, nowait, initfree, initreuse: object sizes (classes, initfree, initreuse: the class sizes)");

atomic_t gt_errors = ATOMIC_INIT(0);

static int gt_errors_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&gt_errors));
}

static const struct kernel_param_ops gt_errors_ops = {
	.get = gt_errors_get,
};
module_param_cb(errors, &gt_errors_ops, NULL, 0444);
MODULE_PARM_DESC(errors, "Checks failed so far (output)");

/*
 * An object's pattern: 64-bit words derived from every bit of its address
 * and of a 64-bit cookie, so that an object that moved, another object's
 * data or a stale copy of this one never matches.
 */
static u64 gt_seed(const void *p, u64 cookie)
{
	u64 a = (unsigned long)p;

	return (a * 0xff51afd7ed558ccdULL) ^ (a >> 21) ^ cookie;
}

static u64 gt_word(u64 seed, size_t i)
{
	u64 x = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	x *= 0xd6e8feb86659fd93ULL;
	return x ^ (x >> 32);
}

void gt_fill(void *p, size_t n, u64 cookie)
{
	u64 seed = gt_seed(p, cookie), w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		w = gt_word(seed, i / 8);
		memcpy(p + i, &w, 8);	/* tiny objects need not be aligned */
	}
	for (; i < n; i++)
		((u8 *)p)[i] = gt_word(seed, i / 8) >> (8 * (i % 8));
}

/* True if @p holds its pattern; else reports the first wrong byte. */
bool gt_verify(const void *p, size_t n, u64 cookie)
{
	u64 seed = gt_seed(p, cookie), want = 0, w;
	size_t i, b;

	for (i = 0; i + 8 <= n; i += 8) {
		want = gt_word(seed, i / 8);
		memcpy(&w, p + i, 8);
		if (w != want)
			goto bad;
	}
	for (; i < n; i++) {
		want = gt_word(seed, i / 8);
		if (((const u8 *)p)[i] != (u8)(want >> (8 * (i % 8))))
			goto bad;
	}
	return true;
bad:
	for (b = i; b < n && b < i + 8; b++)
		if (((const u8 *)p)[b] != (u8)(want >> (8 * (b % 8))))
			break;
	if (atomic_read(&gt_errors) < 20)
		pr_err("gomalloc_test: object %p (%zu bytes): byte %zu is %#04x, expected %#04x\n",
		       p, n, b, ((const u8 *)p)[b], (u8)(want >> (8 * (b % 8))));
	return false;
}

struct gt_kthread {
	struct task_struct *task;
	int (*fn)(void *arg);
	void *arg;
	struct completion started;
};

static int gt_kthread_fn(void *arg)
{
	struct gt_kthread *k = arg;

	complete(&k->started);
	return k->fn(k->arg);
}

/*
 * Run @fn in @n kthreads, the i-th on @args + i * @size, bound to the i-th
 * online CPU (modulo their number; if CPUs come and go meanwhile, a thread
 * may run anywhere), and wait until each has returned. Each thread is seen
 * running before kthread_stop(): stopped before its first run, a kthread
 * never calls its function. Returns how many ran.
 */
unsigned int gt_run_kthreads(unsigned int n, int (*fn)(void *arg), void *args, size_t size,
			     const char *name)
{
	struct gt_kthread *k = kcalloc(n, sizeof(*k), GFP_KERNEL);
	unsigned int i, cpu, ran = 0;

	if (!k) {
		GT_CHECK(0, "no memory for %u kthreads", n);
		return 0;
	}
	for (i = 0; i < n; i++) {
		k[i].fn = fn;
		k[i].arg = args + i * size;
		init_completion(&k[i].started);
		k[i].task = kthread_create(gt_kthread_fn, &k[i], "gomalloc_test/%s%u", name, i);
		if (IS_ERR(k[i].task)) {
			k[i].task = NULL;
			GT_CHECK(0, "kthread_create");
			continue;
		}
		get_task_struct(k[i].task);
		cpu = cpumask_nth(i % num_online_cpus(), cpu_online_mask);
		if (cpu < nr_cpu_ids)
			set_cpus_allowed_ptr(k[i].task, cpumask_of(cpu));
		wake_up_process(k[i].task);
	}
	for (i = 0; i < n; i++) {
		if (!k[i].task)
			continue;
		if (wait_for_completion_timeout(&k[i].started, 30 * HZ))
			ran++;
		else
			GT_CHECK(0, "kthread %s%u did not start in 30 s", name, i);
		kthread_stop(k[i].task);
		put_task_struct(k[i].task);
	}
	kfree(k);
	return ran;
}

const size_t gt_sizes[] = {
	1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 64, 65, 96, 100, 128, 129,
	192, 255, 256, 257, 384, 500, 512, 513, 1000, 1024, 1025, 2000, 2048,
	3000, 4096, 4097, 6000, 8192, 8193, 12000, 16384, 20000, 24576, 30000,
	32767, 32768,
};

const unsigned int gt_nr_sizes = ARRAY_SIZE(gt_sizes);

static const struct gt_case {
	const char *name;
	void (*run)(void);
} gt_cases[] = {
	{ "basic", gt_basic },
	{ "large", gt_large },
	{ "align", gt_align },
	{ "multicpu", gt_multicpu },
	{ "stress", gt_multicpu },
	{ "largecpu", gt_largecpu },
	{ "classes", gt_classes },
	{ "irq", gt_irq },
	{ "nowait", gt_nowait },
	{ "badinput", gt_badinput },
	{ "faults", gt_faults },
	{ "warn", gt_warn },
	{ "nofail", gt_nofail },
	{ "leak", gt_leak },
	{ "hold", gt_hold },
	{ "redzone", gt_redzone },
	{ "init", gt_init },
	{ "initfree", gt_initfree },
	{ "initreuse", gt_initreuse },
	{ "rcu", gt_rcu },
	{ "cache", gt_cache },
	{ "cachehold", gt_cache_hold },
	{ "kmemleak", gt_kmemleak },
	{ "prof", gt_prof },
	{ "latency", gt_latency },
};

/* An unknown test= fails the load, saying which names there are. */
static void gt_unknown(void)
{
	char names[256];
	size_t i, len = 0;

	for (i = 0; i < ARRAY_SIZE(gt_cases); i++)
		len += scnprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
				 gt_cases[i].name);
	pr_err("gomalloc_test: unknown test=%s; the tests are %s\n", gt_test, names);
}

static int __init gomalloc_test_init(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(gt_cases); i++)
		if (!strcmp(gt_test, gt_cases[i].name))
			break;
	if (i == ARRAY_SIZE(gt_cases)) {
		gt_unknown();
		return -EINVAL;
	}
	gt_cases[i].run();
	if (atomic_read(&gt_errors)) {
		pr_err("gomalloc_test: %s: %d check(s) failed\n", gt_test, atomic_read(&gt_errors));
		gt_hold_release();
		gt_cache_hold_release();
		gt_kmemleak_release();
		gt_prof_release();
		return -EINVAL;
	}
	pr_info("gomalloc_test: %s: ok\n", gt_test);
	return 0;
}

static void __exit gomalloc_test_exit(void)
{
	gt_hold_release();
	gt_cache_hold_release();
	gt_redzone_release();
	gt_kmemleak_release();
	gt_prof_release();
	if (atomic_read(&gt_errors))
		pr_err("gomalloc_test: %s: %d check(s) failed at unload\n", gt_test,
		       atomic_read(&gt_errors));
}

module_init(gomalloc_test_init);
module_exit(gomalloc_test_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("gomalloc developers");
MODULE_DESCRIPTION("gomalloc kselftest client");
