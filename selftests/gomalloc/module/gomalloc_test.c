// SPDX-License-Identifier: GPL-2.0
/*
 * Client module for gomalloc's kselftests: runs the test named by `test=` at
 * load time through the public API only; load fails if any check fails.
 */
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timer.h>
#include <linux/vmalloc.h>
#include <gomalloc.h>

static char *test = "basic";
module_param(test, charp, 0444);
MODULE_PARM_DESC(test, "basic, large, largecpu, multicpu, stress, irq, badinput, faults or leak");
static unsigned int seconds = 3;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "How long the multicpu, irq and faults tests run");
static unsigned int expect_invalid, expect_double, failures_seen;
static bool tolerate_failures;
module_param(tolerate_failures, bool, 0444);
MODULE_PARM_DESC(tolerate_failures, "stress: count NULL returns instead of failing (fault injection)");
module_param(expect_invalid, uint, 0444);
MODULE_PARM_DESC(expect_invalid, "Invalid frees the badinput test made (output)");
module_param(expect_double, uint, 0444);
MODULE_PARM_DESC(expect_double, "Double frees the badinput test made (output)");
module_param(failures_seen, uint, 0444);
MODULE_PARM_DESC(failures_seen, "NULL returns the faults test counted (output)");

static atomic_t gt_errors = ATOMIC_INIT(0);
static atomic_t gt_alloc_failures = ATOMIC_INIT(0);

#define GT_CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		if (atomic_inc_return(&gt_errors) < 20)			\
			pr_err("gomalloc_test: %s:%d: " fmt "\n",	\
			       __func__, __LINE__, ##__VA_ARGS__);	\
	}								\
} while (0)

/* Fill and check an object with a pattern derived from its address and a cookie. */
static void gt_fill(void *p, size_t n, u32 cookie)
{
	u8 seed = (u8)((unsigned long)p >> 3) ^ (u8)cookie;
	size_t i;

	for (i = 0; i < n; i++)
		((u8 *)p)[i] = seed + i;
}

static bool gt_verify(const void *p, size_t n, u32 cookie)
{
	u8 seed = (u8)((unsigned long)p >> 3) ^ (u8)cookie;
	size_t i;

	for (i = 0; i < n; i++)
		if (((const u8 *)p)[i] != (u8)(seed + i))
			return false;
	return true;
}

static size_t gt_sizes[] = {
	1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 64, 65, 96, 100, 128, 129,
	192, 255, 256, 257, 384, 500, 512, 513, 1000, 1024, 1025, 2000, 2048,
	3000, 4096, 4097, 6000, 8192, 8193, 12000, 16384, 20000, 24576, 30000,
	32767, 32768,
};

#define GT_PER_SIZE	64

static void gt_basic(void)
{
	static void *objs[GT_PER_SIZE];
	size_t i, j, sz;
	void *p, *q;

	GT_CHECK(gomalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR, "gomalloc(0)");
	gofree(NULL);
	gofree(ZERO_SIZE_PTR);
	GT_CHECK(gomalloc_usable_size(NULL) == 0, "usable(NULL)");

	for (i = 0; i < ARRAY_SIZE(gt_sizes); i++) {
		sz = gt_sizes[i];
		for (j = 0; j < GT_PER_SIZE; j++) {
			p = gomalloc(sz, GFP_KERNEL | (j & 1 ? __GFP_ZERO : 0));
			objs[j] = p;
			GT_CHECK(p, "gomalloc(%zu) failed", sz);
			if (!p)
				continue;
			GT_CHECK(IS_ALIGNED((unsigned long)p, 8), "%zu: %p unaligned", sz, p);
			if (is_power_of_2(sz))
				GT_CHECK(IS_ALIGNED((unsigned long)p, min_t(size_t, sz, PAGE_SIZE)),
					 "%zu: %p not naturally aligned", sz, p);
			GT_CHECK(gomalloc_usable_size(p) >= sz, "usable(%zu) = %zu", sz,
				 gomalloc_usable_size(p));
			if (j & 1)
				GT_CHECK(!memchr_inv(p, 0, sz), "__GFP_ZERO(%zu) not zeroed", sz);
			gt_fill(p, gomalloc_usable_size(p), j);
		}
		for (j = 0; j < GT_PER_SIZE; j++) {
			if (!objs[j])
				continue;
			GT_CHECK(gt_verify(objs[j], gomalloc_usable_size(objs[j]), j),
				 "size %zu object %zu corrupted", sz, j);
			gofree(objs[j]);
		}
		/* LIFO: an allocation right after a free gets the object back. */
		p = gomalloc(sz, GFP_KERNEL);
		preempt_disable();
		gofree(p);
		q = gomalloc(sz, GFP_ATOMIC);
		preempt_enable();
		GT_CHECK(p == q, "size %zu: freed %p, got %p back", sz, p, q);
		gofree(q);
	}

	/* gorealloc keeps the contents and frees the old object. */
	p = gomalloc(40, GFP_KERNEL);
	GT_CHECK(p, "gomalloc(40)");
	if (p) {
		for (i = 0; i < 40; i++)	/* a pattern that moves with the data */
			((u8 *)p)[i] = i * 7 + 3;
		q = gorealloc(p, 5000, GFP_KERNEL);
		GT_CHECK(q, "gorealloc grow failed");
		for (i = 0; q && i < 40; i++)
			GT_CHECK(((u8 *)q)[i] == (u8)(i * 7 + 3), "gorealloc grow lost byte %zu", i);
		p = gorealloc(q, 10, GFP_KERNEL);
		GT_CHECK(p == q, "gorealloc shrink moved the object");
		q = gorealloc(p, 0, GFP_KERNEL);
		GT_CHECK(q == ZERO_SIZE_PTR, "gorealloc(p, 0)");
	}
	p = gorealloc(NULL, 100, GFP_KERNEL);
	GT_CHECK(p && gomalloc_usable_size(p) >= 100, "gorealloc(NULL)");
	gofree(p);

	/* Tiny: 1..15 bytes, aligned by the size's low bits. */
	for (sz = 1; sz <= GOMALLOC_TINY_MAX; sz++) {
		for (j = 0; j < GT_PER_SIZE; j++) {
			p = gomalloc_tiny(sz, GFP_KERNEL);
			objs[j] = p;
			GT_CHECK(p, "gomalloc_tiny(%zu)", sz);
			if (!p)
				continue;
			if (!(sz & 7))
				GT_CHECK(IS_ALIGNED((unsigned long)p, 8), "tiny %zu align", sz);
			else if (!(sz & 3))
				GT_CHECK(IS_ALIGNED((unsigned long)p, 4), "tiny %zu align", sz);
			else if (!(sz & 1))
				GT_CHECK(IS_ALIGNED((unsigned long)p, 2), "tiny %zu align", sz);
			GT_CHECK(gomalloc_usable_size(p) == sz, "tiny usable %zu != %zu",
				 gomalloc_usable_size(p), sz);
			gt_fill(p, sz, sz);
		}
		for (j = 0; j < GT_PER_SIZE; j++) {
			if (!objs[j])
				continue;
			GT_CHECK(gt_verify(objs[j], sz, sz), "tiny %zu corrupted", sz);
			gofree(objs[j]);
		}
	}
	p = gomalloc(GOMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN);
	GT_CHECK(!p, "impossible size served");
}

static void gt_large(void)
{
	static const size_t sizes[] = { 32769, 65536, 100000, 262144, 1048576,
					2 << 20, GOMALLOC_MAX_SIZE };
	void *objs[ARRAY_SIZE(sizes)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		objs[i] = gomalloc(sizes[i], GFP_KERNEL | __GFP_ZERO);
		GT_CHECK(objs[i], "large %zu failed", sizes[i]);
		if (!objs[i])
			continue;
		GT_CHECK(IS_ALIGNED((unsigned long)objs[i], PAGE_SIZE), "large not page-aligned");
		GT_CHECK(gomalloc_usable_size(objs[i]) == PAGE_ALIGN(sizes[i]),
			 "large usable %zu", gomalloc_usable_size(objs[i]));
		GT_CHECK(!memchr_inv(objs[i], 0, sizes[i]), "large not zeroed");
		gt_fill(objs[i], sizes[i], 3);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (!objs[i])
			continue;
		GT_CHECK(gt_verify(objs[i], sizes[i], 3), "large %zu corrupted", sizes[i]);
		gofree(objs[i]);
	}
}

/* ---- every CPU at once, a share of the frees on another CPU ---- */

#define GT_RING	256

struct gt_ring {
	spinlock_t lock;
	unsigned int head, tail;
	struct { void *p; size_t n; u32 cookie; } e[GT_RING];
};

struct gt_worker {
	struct task_struct *task;
	struct gt_ring ring;
	unsigned int id;
	unsigned long ops;
};

static struct gt_worker *gt_workers;
static bool gt_large_only;	/* test=largecpu: only large objects */
static unsigned int gt_nworkers;
static unsigned long gt_deadline;

static bool gt_ring_put(struct gt_ring *r, void *p, size_t n, u32 cookie)
{
	bool ok;

	spin_lock(&r->lock);
	ok = r->head - r->tail < GT_RING;
	if (ok) {
		r->e[r->head % GT_RING].p = p;
		r->e[r->head % GT_RING].n = n;
		r->e[r->head % GT_RING].cookie = cookie;
		r->head++;
	}
	spin_unlock(&r->lock);
	return ok;
}

static void gt_ring_drain(struct gt_ring *r)
{
	for (;;) {
		void *p;
		size_t n;
		u32 cookie;

		spin_lock(&r->lock);
		if (r->head == r->tail) {
			spin_unlock(&r->lock);
			return;
		}
		p = r->e[r->tail % GT_RING].p;
		n = r->e[r->tail % GT_RING].n;
		cookie = r->e[r->tail % GT_RING].cookie;
		r->tail++;
		spin_unlock(&r->lock);
		GT_CHECK(gt_verify(p, n, cookie), "cross-CPU object %p (%zu) corrupted", p, n);
		gofree(p);
	}
}

#define GT_LIVE	128

static int gt_worker_fn(void *arg)
{
	struct gt_worker *w = arg;
	struct gt_live { void *p; size_t n; u32 cookie; } *live;
	struct gt_ring *peer = &gt_workers[(w->id + 1) % gt_nworkers].ring;
	u32 rnd = w->id * 7919 + 1;
	unsigned int i;

	live = kcalloc(GT_LIVE, sizeof(*live), GFP_KERNEL);
	if (!live) {
		GT_CHECK(0, "no memory");
		return 0;
	}
	while (time_before(jiffies, gt_deadline)) {
		size_t n;

		rnd = rnd * 1103515245 + 12345;
		i = (rnd >> 8) % GT_LIVE;
		if (live[i].p) {
			if ((rnd >> 20) % 10 < 3 &&
			    gt_ring_put(peer, live[i].p, live[i].n, live[i].cookie)) {
				live[i].p = NULL;
			} else {
				GT_CHECK(gt_verify(live[i].p, live[i].n, live[i].cookie),
					 "object %p (%zu) corrupted", live[i].p, live[i].n);
				gofree(live[i].p);
				live[i].p = NULL;
			}
		}
		switch (gt_large_only ? 1 : (rnd >> 4) % 16) {
		case 0:
			n = 1 + (rnd >> 12) % GOMALLOC_TINY_MAX;
			live[i].p = gomalloc_tiny(n, GFP_KERNEL);
			break;
		case 1:
			n = 32769 + (rnd >> 12) % 200000;
			live[i].p = gomalloc(n, GFP_KERNEL);
			break;
		default:
			n = 1 + ((rnd >> 12) % 4 ? (rnd >> 14) % 512 : (rnd >> 14) % 32768);
			live[i].p = gomalloc(n, GFP_KERNEL);
			break;
		}
		if (!live[i].p && tolerate_failures)
			atomic_inc(&gt_alloc_failures);
		else
			GT_CHECK(live[i].p, "allocation of %zu failed", n);
		live[i].n = n;
		live[i].cookie = rnd;
		if (live[i].p)
			gt_fill(live[i].p, n, rnd);
		w->ops++;
		gt_ring_drain(&w->ring);
		if (!(w->ops % 64))
			cond_resched();
	}
	for (i = 0; i < GT_LIVE; i++)
		if (live[i].p) {
			GT_CHECK(gt_verify(live[i].p, live[i].n, live[i].cookie),
				 "object %p corrupted", live[i].p);
			gofree(live[i].p);
		}
	kfree(live);
	return 0;
}

static void gt_multicpu(void)
{
	unsigned int i, cpu;
	unsigned long ops = 0;

	gt_nworkers = max(2U, num_online_cpus());
	gt_workers = kcalloc(gt_nworkers, sizeof(*gt_workers), GFP_KERNEL);
	if (!gt_workers) {
		GT_CHECK(0, "no memory for workers");
		return;
	}
	gt_deadline = jiffies + seconds * HZ;
	i = 0;
	for (i = 0; i < gt_nworkers; i++) {
		spin_lock_init(&gt_workers[i].ring.lock);
		gt_workers[i].id = i;
	}
	for (i = 0; i < gt_nworkers; i++) {
		gt_workers[i].task = kthread_create(gt_worker_fn, &gt_workers[i],
						    "gomalloc_test/%u", i);
		if (IS_ERR(gt_workers[i].task)) {
			gt_workers[i].task = NULL;
			GT_CHECK(0, "kthread_create");
			continue;
		}
		get_task_struct(gt_workers[i].task);
		cpu = cpumask_nth(i % num_online_cpus(), cpu_online_mask);
		set_cpus_allowed_ptr(gt_workers[i].task, cpumask_of(cpu));
		wake_up_process(gt_workers[i].task);
	}
	for (i = 0; i < gt_nworkers; i++) {
		if (!gt_workers[i].task)
			continue;
		kthread_stop(gt_workers[i].task);
		put_task_struct(gt_workers[i].task);
	}
	/* Rings may still hold objects a stopped worker did not drain. */
	for (i = 0; i < gt_nworkers; i++) {
		gt_ring_drain(&gt_workers[i].ring);
		ops += gt_workers[i].ops;
	}
	failures_seen = atomic_read(&gt_alloc_failures);
	pr_info("gomalloc_test: %s: %u workers, %lu operations, %d corruption(s) or check failure(s), %u allocation failure(s)\n",
		test, gt_nworkers, ops, atomic_read(&gt_errors), failures_seen);
	kfree(gt_workers);
}

/* ---- GFP_ATOMIC from softirq (timer) and hardirq (hrtimer) ---- */

#define GT_IRQ_OBJS 16
static struct timer_list gt_timer;
static struct hrtimer gt_hrtimer;
static atomic_t gt_irq_runs[2];
static bool gt_irq_stop;
static void *gt_irq_objs[2][GT_IRQ_OBJS];
static size_t gt_irq_sizes[2][GT_IRQ_OBJS];

static void gt_irq_work(unsigned int ctx)
{
	unsigned int i, n = atomic_inc_return(&gt_irq_runs[ctx]);
	size_t sz;

	for (i = 0; i < GT_IRQ_OBJS; i++) {
		sz = (i & 3) == 3 ? 1 + (n + i) % GOMALLOC_TINY_MAX : 8 + ((n * 37 + i * 101) % 4000);
		if (gt_irq_objs[ctx][i]) {
			GT_CHECK(gt_verify(gt_irq_objs[ctx][i], gt_irq_sizes[ctx][i], ctx),
				 "irq object corrupted");
			gofree(gt_irq_objs[ctx][i]);
		}
		gt_irq_objs[ctx][i] = (i & 3) == 3 ? gomalloc_tiny(sz, GFP_ATOMIC) :
						      gomalloc(sz, GFP_ATOMIC);
		GT_CHECK(gt_irq_objs[ctx][i], "GFP_ATOMIC allocation failed in %s",
			 ctx ? "hardirq" : "softirq");
		gt_irq_sizes[ctx][i] = min_t(size_t, sz, 8);
		if (gt_irq_objs[ctx][i])
			gt_fill(gt_irq_objs[ctx][i], gt_irq_sizes[ctx][i], ctx);
	}
}

static void gt_timer_fn(struct timer_list *t)
{
	gt_irq_work(0);
	if (!READ_ONCE(gt_irq_stop))
		mod_timer(&gt_timer, jiffies + 1);
}

static enum hrtimer_restart gt_hrtimer_fn(struct hrtimer *t)
{
	gt_irq_work(1);
	if (READ_ONCE(gt_irq_stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(500 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static void gt_irq(void)
{
	unsigned long end = jiffies + seconds * HZ;
	unsigned int i, c;
	void *p;

	timer_setup(&gt_timer, gt_timer_fn, 0);
	hrtimer_init(&gt_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	gt_hrtimer.function = gt_hrtimer_fn;
	mod_timer(&gt_timer, jiffies + 1);
	hrtimer_start(&gt_hrtimer, ns_to_ktime(500 * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
	/* Task context allocates and frees meanwhile, on the same CPUs. */
	while (time_before(jiffies, end)) {
		p = gomalloc(64, GFP_KERNEL);
		GT_CHECK(p, "task allocation failed");
		gofree(p);
		cond_resched();
	}
	WRITE_ONCE(gt_irq_stop, true);
	del_timer_sync(&gt_timer);
	hrtimer_cancel(&gt_hrtimer);
	for (c = 0; c < 2; c++)
		for (i = 0; i < GT_IRQ_OBJS; i++)
			gofree(gt_irq_objs[c][i]);
	pr_info("gomalloc_test: irq: %d softirq runs, %d hardirq runs\n",
		atomic_read(&gt_irq_runs[0]), atomic_read(&gt_irq_runs[1]));
	GT_CHECK(atomic_read(&gt_irq_runs[0]) > 0 && atomic_read(&gt_irq_runs[1]) > 0,
		 "timers did not run");
}

/* ---- bad input: each is reported, counted and ignored ---- */

static noinline void gt_badinput(void)
{
	static const size_t sizes[] = { 8, 64, 1024, 32768, 100000 };
	char stack_obj[16];
	void *k, *v, *p;
	size_t i;

	k = kmalloc(64, GFP_KERNEL);
	v = vmalloc(8192);
	gofree(stack_obj);
	gofree(k);
	gofree(v);
	gofree((void *)gt_badinput);	/* module text */
	gofree((void *)0x1000);		/* user address */
	expect_invalid += 5;
	GT_CHECK(gomalloc_usable_size(k) == 0 && gomalloc_usable_size(v) == 0 &&
		 gomalloc_usable_size(stack_obj) == 0, "usable_size of foreign memory");
	kfree(k);
	vfree(v);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = gomalloc(sizes[i], GFP_KERNEL);
		GT_CHECK(p, "gomalloc(%zu)", sizes[i]);
		if (!p)
			continue;
		gofree(p + 4);		/* interior pointer: nothing freed */
		expect_invalid++;
		GT_CHECK(gomalloc_usable_size(p + 4) == 0, "usable_size(interior)");
		gt_fill(p, sizes[i], 9);
		gofree(p);
		gofree(p);		/* double free */
		expect_double++;
		GT_CHECK(gomalloc_usable_size(p) == 0, "usable_size(freed) %zu",
			 gomalloc_usable_size(p));
	}
	p = gomalloc_tiny(5, GFP_KERNEL);
	if (p) {
		gofree(p + 1);		/* not the start of a tiny object */
		expect_invalid++;
		gofree(p);
		gofree(p);
		expect_double++;
	}
	/* The heap still works. */
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = gomalloc(sizes[i], GFP_KERNEL);
		GT_CHECK(p && gomalloc_usable_size(p) >= sizes[i], "heap broken after bad input");
		gofree(p);
	}
	GT_CHECK(!gomalloc(GOMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN), "huge size");
	GT_CHECK(!gomalloc(SIZE_MAX, GFP_KERNEL | __GFP_NOWARN), "SIZE_MAX");
}

/* ---- allocation failures injected by the script: NULL, nothing else ---- */

static void gt_faults(void)
{
	static void *objs[256];
	unsigned long end = jiffies + seconds * HZ;
	unsigned int i, ok = 0;

	while (time_before(jiffies, end)) {
		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			size_t n = i % 4 ? 16 << (i % 11) : 40000 + i * 4096;

			objs[i] = gomalloc(n, GFP_KERNEL | __GFP_NOWARN);
			if (!objs[i]) {
				failures_seen++;
				continue;
			}
			ok++;
			gt_fill(objs[i], min_t(size_t, n, 64), i);
		}
		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			if (objs[i])
				GT_CHECK(gt_verify(objs[i], min_t(size_t, 16 << (i % 11), 64), i) ||
					 i % 4 == 0, "object corrupted under faults");
			gofree(objs[i]);
		}
		cond_resched();
	}
	pr_info("gomalloc_test: faults: %u allocations, %u NULL returns\n", ok, failures_seen);
}

/* Leave objects behind, so that unloading gomalloc has something to report. */
static void gt_leak(void)
{
	unsigned int i;

	for (i = 0; i < 10; i++)
		GT_CHECK(gomalloc(64, GFP_KERNEL), "gomalloc(64)");
	GT_CHECK(gomalloc(100000, GFP_KERNEL), "large");
	for (i = 0; i < 3; i++)
		GT_CHECK(gomalloc_tiny(4, GFP_KERNEL), "tiny");
}

static int __init gomalloc_test_init(void)
{
	if (!strcmp(test, "basic"))
		gt_basic();
	else if (!strcmp(test, "large"))
		gt_large();
	else if (!strcmp(test, "multicpu") || !strcmp(test, "stress"))
		gt_multicpu();
	else if (!strcmp(test, "largecpu"))
		gt_large_only = true;
	else if (!strcmp(test, "irq"))
		gt_irq();
	else if (!strcmp(test, "badinput"))
		gt_badinput();
	else if (!strcmp(test, "faults"))
		gt_faults();
	else if (!strcmp(test, "leak"))
		gt_leak();
	else
		return -EINVAL;
	if (gt_large_only)
		gt_multicpu();
	if (atomic_read(&gt_errors)) {
		pr_err("gomalloc_test: %s: %d check(s) failed\n", test, atomic_read(&gt_errors));
		return -EINVAL;
	}
	pr_info("gomalloc_test: %s: ok\n", test);
	return 0;
}

static void __exit gomalloc_test_exit(void)
{
}

module_init(gomalloc_test_init);
module_exit(gomalloc_test_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("gomalloc developers");
MODULE_DESCRIPTION("gomalloc kselftest client");
