// SPDX-License-Identifier: GPL-2.0
/*
 * Client module for gomalloc's kselftests: runs the test named by `test=` at
 * load time through the public API only; load fails if any check fails.
 */
#include <linux/completion.h>
#include <linux/cpu.h>
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
#include <linux/workqueue.h>
#include <gomalloc.h>

static char *test = "basic";
module_param(test, charp, 0444);
MODULE_PARM_DESC(test, "basic, large, align, largecpu, multicpu, stress, irq, badinput, faults, leak, hold, classes, nowait, init, initfree, initreuse, warn, redzone or nofail");
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

/* Inputs of the hold, classes and nowait tests. */
#define GT_MAX_SIZES	80
static unsigned long gt_psizes[GT_MAX_SIZES];
static unsigned int gt_nsizes;
module_param_array_named(sizes, gt_psizes, ulong, &gt_nsizes, 0444);
MODULE_PARM_DESC(sizes, "hold, classes, nowait, initfree, initreuse: object sizes (classes, initfree, initreuse: the class sizes)");
static unsigned int gt_pcounts[GT_MAX_SIZES];
static unsigned int gt_ncounts;
module_param_array_named(counts, gt_pcounts, uint, &gt_ncounts, 0444);
MODULE_PARM_DESC(counts, "hold: how many objects of each size (default 1)");
static unsigned int tiny_size = 4, tiny_count;
module_param(tiny_size, uint, 0444);
MODULE_PARM_DESC(tiny_size, "hold: size of the tiny objects (1..15)");
module_param(tiny_count, uint, 0444);
MODULE_PARM_DESC(tiny_count, "hold: how many tiny objects");
static int gt_pcpu = -1;
module_param_named(cpu, gt_pcpu, int, 0444);
MODULE_PARM_DESC(cpu, "hold: the CPU that allocates (-1: the loading task)");
static unsigned int per_class = 4;
module_param(per_class, uint, 0444);
MODULE_PARM_DESC(per_class, "classes: objects of each class allocated on each CPU");
static unsigned long gt_pcpus;
module_param_named(cpus, gt_pcpus, ulong, 0444);
MODULE_PARM_DESC(cpus, "classes: mask of the CPUs to use (0: every online CPU)");
static char *gt_pctx = "task";
module_param_named(ctx, gt_pctx, charp, 0444);
MODULE_PARM_DESC(ctx, "nowait: task, softirq or hardirq");
static bool nowarn;
module_param(nowarn, bool, 0444);
MODULE_PARM_DESC(nowarn, "warn: allocate with __GFP_NOWARN");
static bool account;
module_param(account, bool, 0444);
MODULE_PARM_DESC(account, "hold: allocate with GFP_KERNEL_ACCOUNT (memcg accounting asked for)");

/* Outputs. */
static unsigned long held_objects, held_bytes, held_tiny_blocks;
module_param(held_objects, ulong, 0444);
MODULE_PARM_DESC(held_objects, "hold: live objects (output)");
module_param(held_bytes, ulong, 0444);
MODULE_PARM_DESC(held_bytes, "hold: their usable bytes (output)");
module_param(held_tiny_blocks, ulong, 0444);
MODULE_PARM_DESC(held_tiny_blocks, "hold: 16-byte blocks the tiny objects occupy (output)");
static unsigned int cpus_used, allocs_done, init_policy;
module_param(cpus_used, uint, 0444);
MODULE_PARM_DESC(cpus_used, "classes: CPUs that allocated every class (output)");
module_param(allocs_done, uint, 0444);
MODULE_PARM_DESC(allocs_done, "nowait: allocations that succeeded (output)");
module_param(init_policy, uint, 0444);
MODULE_PARM_DESC(init_policy, "init: 1 init_on_alloc, 2 init_on_free was active (output)");

static atomic_t gt_errors = ATOMIC_INIT(0);
static atomic_t gt_alloc_failures = ATOMIC_INIT(0);

static int gt_errors_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&gt_errors));
}

static const struct kernel_param_ops gt_errors_ops = {
	.get = gt_errors_get,
};
module_param_cb(errors, &gt_errors_ops, NULL, 0444);
MODULE_PARM_DESC(errors, "Checks failed so far (output)");

#define GT_CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		if (atomic_inc_return(&gt_errors) < 20)			\
			pr_err("gomalloc_test: %s:%d: " fmt "\n",	\
			       __func__, __LINE__, ##__VA_ARGS__);	\
	}								\
} while (0)

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

static void gt_fill(void *p, size_t n, u64 cookie)
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
static bool gt_verify(const void *p, size_t n, u64 cookie)
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
				GT_CHECK(IS_ALIGNED((unsigned long)p, sz),
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
			GT_CHECK(((u8 *)q)[i] == (u8)(i * 7 + 3),
				 "gorealloc grow lost byte %zu", i);
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
		GT_CHECK(!is_power_of_2(sizes[i]) || IS_ALIGNED((unsigned long)objs[i], sizes[i]),
			 "large %zu at %p not naturally aligned", sizes[i], objs[i]);
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

/* ---- natural alignment of every power of two, as kmalloc ---- */

#define GT_ALIGN_N	4

/*
 * GT_ALIGN_N objects of every power of two from 8 bytes to
 * GOMALLOC_MAX_SIZE: naturally aligned, usable size, contents kept; then
 * one freed and allocated again (a large one comes from the large cache).
 */
static void gt_align_round(const char *when)
{
	unsigned int i, bad = 0, nobj = 0;
	void *objs[GT_ALIGN_N] = { NULL }, *p;
	unsigned long badsizes = 0;
	size_t sz;

	for (sz = 8; sz <= GOMALLOC_MAX_SIZE; sz <<= 1) {
		for (i = 0; i <= GT_ALIGN_N; i++) {
			p = gomalloc(sz, GFP_KERNEL);
			GT_CHECK(p, "%s: gomalloc(%zu) failed", when, sz);
			if (!p)
				continue;
			nobj++;
			if (!IS_ALIGNED((unsigned long)p, sz)) {
				bad++;
				badsizes |= sz;
			}
			GT_CHECK(IS_ALIGNED((unsigned long)p, sz),
				 "%s: %zu bytes at %p not naturally aligned", when, sz, p);
			GT_CHECK(gomalloc_usable_size(p) >= sz, "%s: usable(%zu) = %zu", when, sz,
				 gomalloc_usable_size(p));
			gt_fill(p, sz, i);
			if (i < GT_ALIGN_N) {
				objs[i] = p;
				continue;
			}
			/* The last one: freed, then its size again (a reused span). */
			gofree(p);
			p = gomalloc(sz, GFP_KERNEL);
			GT_CHECK(p, "%s: gomalloc(%zu) after a free failed", when, sz);
			GT_CHECK(!p || IS_ALIGNED((unsigned long)p, sz),
				 "%s: %zu bytes at %p after a free not aligned", when, sz, p);
			gofree(p);
		}
		for (i = 0; i < GT_ALIGN_N; i++) {
			if (!objs[i])
				continue;
			GT_CHECK(gt_verify(objs[i], sz, i), "%s: %zu bytes corrupted", when, sz);
			gofree(objs[i]);
			objs[i] = NULL;
		}
	}
	pr_info("gomalloc_test: align: %s: %u of %u objects misaligned (sizes %#lx)\n",
		when, bad, nobj, badsizes);
}

static void gt_align(void)
{
	static void *frag[24];
	unsigned int i;

	gt_align_round("as found");
	/*
	 * Fragment: 3-page spans (12 KiB objects) and 10-page large objects,
	 * every other pair freed, so free runs start at odd pages.
	 */
	for (i = 0; i < ARRAY_SIZE(frag); i++) {
		frag[i] = gomalloc(i % 2 ? 12288 : 9 * PAGE_SIZE + 8, GFP_KERNEL);
		GT_CHECK(frag[i], "fragmenting allocation %u failed", i);
	}
	for (i = 0; i < ARRAY_SIZE(frag); i += 4) {
		gofree(frag[i]);
		gofree(frag[i + 1]);
		frag[i] = NULL;
		frag[i + 1] = NULL;
	}
	gt_align_round("fragmented");
	for (i = 0; i < ARRAY_SIZE(frag); i++)
		gofree(frag[i]);
	gt_align_round("after the frees");
}

/* ---- every CPU at once, a share of the frees on another CPU ---- */

#define GT_RING	256

struct gt_ring {
	spinlock_t lock;	/* head, tail, e[] */
	unsigned int head, tail;
	struct { void *p; size_t n; u64 cookie; } e[GT_RING];
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

static bool gt_ring_put(struct gt_ring *r, void *p, size_t n, u64 cookie)
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
		u64 cookie;

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
	struct gt_live { void *p; size_t n; u64 cookie; } *live;
	struct gt_ring *peer = &gt_workers[(w->id + 1) % gt_nworkers].ring;
	u32 rnd = w->id * 7919 + 1;
	u64 cookie = get_random_u64();
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
		/* A 64-bit LCG: every object gets a cookie of its own. */
		cookie = cookie * 6364136223846793005ULL + 1442695040888963407ULL;
		live[i].n = n;
		live[i].cookie = cookie;
		if (live[i].p)
			gt_fill(live[i].p, n, cookie);
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

/*
 * ---- one class shared by task, softirq (timer) and hardirq (hrtimer) ----
 *
 * All three contexts run on one CPU and take objects from a shared set of
 * slots: whatever a slot holds is verified whole and freed by whichever
 * context picks it next, so objects allocated in one context are freed in
 * another. Three slots in four hold 193..208-byte objects (class 208), the
 * fourth tiny ones.
 */
#define GT_IRQ_SLOTS	32
#define GT_IRQ_SIZE	208
enum { GT_TASK, GT_SOFTIRQ, GT_HARDIRQ, GT_NCTX };
static const char * const gt_ctx_name[GT_NCTX] = { "task", "softirq", "hardirq" };

static struct timer_list gt_timer;
static struct hrtimer gt_hrtimer;
static bool gt_irq_stop;
static DEFINE_SPINLOCK(gt_slot_lock);
static struct gt_slot {
	void *p;
	size_t n;
	u64 cookie;
	unsigned int ctx;
} gt_slots[GT_IRQ_SLOTS];
/* [allocating context][freeing context], under gt_slot_lock */
static unsigned long gt_xfree[GT_NCTX][GT_NCTX];
static unsigned long gt_irq_runs[GT_NCTX];
static u64 gt_irq_cookie;

static void gt_irq_work(unsigned int ctx, gfp_t gfp)
{
	unsigned int k, i;
	unsigned long flags;
	struct gt_slot old, new;
	size_t sz;

	for (k = 0; k < 4; k++) {
		spin_lock_irqsave(&gt_slot_lock, flags);
		gt_irq_cookie = gt_irq_cookie * 6364136223846793005ULL + 1442695040888963407ULL;
		new.cookie = gt_irq_cookie;
		i = (new.cookie >> 33) % GT_IRQ_SLOTS;
		old = gt_slots[i];
		gt_slots[i].p = NULL;
		gt_irq_runs[ctx] += !k;
		spin_unlock_irqrestore(&gt_slot_lock, flags);

		if (old.p) {
			GT_CHECK(gt_verify(old.p, old.n, old.cookie),
				 "%s: object of %zu bytes from %s corrupted", gt_ctx_name[ctx],
				 old.n, gt_ctx_name[old.ctx]);
			gofree(old.p);
		}
		if (i % 4 == 3) {
			sz = 1 + (new.cookie >> 40) % GOMALLOC_TINY_MAX;
			new.p = gomalloc_tiny(sz, gfp);
			new.n = sz;
		} else {
			sz = GT_IRQ_SIZE - (new.cookie >> 40) % 16;
			new.p = gomalloc(sz, gfp);
			new.n = new.p ? gomalloc_usable_size(new.p) : 0;
			GT_CHECK(!new.p || new.n == GT_IRQ_SIZE, "%s: usable size of %zu is %zu",
				 gt_ctx_name[ctx], sz, new.n);
		}
		GT_CHECK(new.p, "%s: allocation of %zu bytes failed", gt_ctx_name[ctx], sz);
		if (new.p)
			gt_fill(new.p, new.n, new.cookie);
		new.ctx = ctx;

		spin_lock_irqsave(&gt_slot_lock, flags);
		if (old.p)
			gt_xfree[old.ctx][ctx]++;
		if (!gt_slots[i].p) {
			gt_slots[i] = new;
			new.p = NULL;
		}
		spin_unlock_irqrestore(&gt_slot_lock, flags);
		if (new.p) {	/* the slot was refilled meanwhile */
			GT_CHECK(gt_verify(new.p, new.n, new.cookie), "own object corrupted");
			gofree(new.p);
		}
	}
}

static void gt_timer_fn(struct timer_list *t)
{
	GT_CHECK(in_serving_softirq(), "timer callback not in softirq context");
	gt_irq_work(GT_SOFTIRQ, GFP_ATOMIC);
	if (!READ_ONCE(gt_irq_stop))
		mod_timer(&gt_timer, jiffies + 1);
}

static enum hrtimer_restart gt_hrtimer_fn(struct hrtimer *t)
{
	GT_CHECK(in_hardirq(), "hrtimer callback not in hardirq context");
	gt_irq_work(GT_HARDIRQ, GFP_ATOMIC);
	if (READ_ONCE(gt_irq_stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(500 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/* Keep the loading task on one CPU, so that the timers share it. */
static cpumask_var_t gt_saved_mask;

static int gt_pin_self(int target)
{
	if (!alloc_cpumask_var(&gt_saved_mask, GFP_KERNEL))
		return -ENOMEM;
	cpumask_copy(gt_saved_mask, current->cpus_ptr);
	return set_cpus_allowed_ptr(current, cpumask_of(target));
}

static void gt_unpin_self(void)
{
	set_cpus_allowed_ptr(current, gt_saved_mask);
	free_cpumask_var(gt_saved_mask);
}

static void gt_irq(void)
{
	unsigned long end = jiffies + seconds * HZ;
	unsigned int i, a, f;

	if (gt_pin_self(raw_smp_processor_id())) {
		GT_CHECK(0, "cannot pin the task");
		return;
	}
	gt_irq_cookie = get_random_u64();
	timer_setup(&gt_timer, gt_timer_fn, TIMER_PINNED);
	hrtimer_init(&gt_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	gt_hrtimer.function = gt_hrtimer_fn;
	mod_timer(&gt_timer, jiffies + 1);
	hrtimer_start(&gt_hrtimer, ns_to_ktime(500 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
	/* About as often as the hrtimer: each context gets its share of slots. */
	while (time_before(jiffies, end)) {
		gt_irq_work(GT_TASK, GFP_KERNEL);
		usleep_range(300, 600);
	}
	WRITE_ONCE(gt_irq_stop, true);
	del_timer_sync(&gt_timer);
	hrtimer_cancel(&gt_hrtimer);
	gt_unpin_self();
	for (i = 0; i < GT_IRQ_SLOTS; i++) {
		if (!gt_slots[i].p)
			continue;
		GT_CHECK(gt_verify(gt_slots[i].p, gt_slots[i].n, gt_slots[i].cookie),
			 "object left by %s corrupted", gt_ctx_name[gt_slots[i].ctx]);
		gofree(gt_slots[i].p);
		gt_xfree[gt_slots[i].ctx][GT_TASK]++;
	}
	pr_info("gomalloc_test: irq: runs: %lu task, %lu softirq, %lu hardirq\n",
		gt_irq_runs[GT_TASK], gt_irq_runs[GT_SOFTIRQ], gt_irq_runs[GT_HARDIRQ]);
	for (a = 0; a < GT_NCTX; a++)
		pr_info("gomalloc_test: irq: allocated in %-7s freed in task %lu, softirq %lu, hardirq %lu\n",
			gt_ctx_name[a], gt_xfree[a][GT_TASK], gt_xfree[a][GT_SOFTIRQ],
			gt_xfree[a][GT_HARDIRQ]);
	/* Each context freed objects that each other context allocated. */
	for (a = 0; a < GT_NCTX; a++)
		for (f = 0; f < GT_NCTX; f++)
			GT_CHECK(a == f || gt_xfree[a][f] > 0,
				 "no object allocated in %s was freed in %s",
				 gt_ctx_name[a], gt_ctx_name[f]);
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

/* ---- hold: objects that stay live until `release` or unload ---- */

struct gt_obj {
	void *p;
	size_t n;
	u64 cookie;
};

static struct gt_obj *gt_held;
static unsigned int gt_nheld;

static unsigned int gt_count(unsigned int k)
{
	return k < gt_ncounts ? gt_pcounts[k] : 1;
}

static long gt_hold_fn(void *arg)
{
	unsigned long *blocks = arg;
	unsigned int k, j, b;
	u64 cookie = get_random_u64();
	gfp_t gfp = account ? GFP_KERNEL_ACCOUNT : GFP_KERNEL;
	void *p;

	for (k = 0; k < gt_nsizes; k++)
		for (j = 0; j < gt_count(k); j++) {
			p = gomalloc(gt_psizes[k], gfp);
			GT_CHECK(p, "gomalloc(%lu) failed", gt_psizes[k]);
			if (!p)
				continue;
			gt_held[gt_nheld].p = p;
			gt_held[gt_nheld].n = gomalloc_usable_size(p);
			gt_held[gt_nheld].cookie = cookie + gt_nheld;
			gt_fill(p, gt_held[gt_nheld].n, cookie + gt_nheld);
			held_bytes += gt_held[gt_nheld++].n;
		}
	for (j = 0; j < tiny_count; j++) {
		p = gomalloc_tiny(tiny_size, gfp);
		GT_CHECK(p, "gomalloc_tiny(%u) failed", tiny_size);
		if (!p)
			continue;
		gt_held[gt_nheld].p = p;
		gt_held[gt_nheld].n = tiny_size;
		gt_held[gt_nheld].cookie = cookie + gt_nheld;
		gt_fill(p, tiny_size, cookie + gt_nheld);
		held_bytes += gt_held[gt_nheld++].n;
		/* The distinct 16-byte blocks the tiny objects went to. */
		for (b = 0; b < held_tiny_blocks; b++)
			if (blocks[b] == ((unsigned long)p & ~15UL))
				break;
		if (b == held_tiny_blocks)
			blocks[held_tiny_blocks++] = (unsigned long)p & ~15UL;
	}
	held_objects = gt_nheld;
	return 0;
}

static void gt_hold_release(void)
{
	unsigned int i;

	for (i = 0; i < gt_nheld; i++) {
		GT_CHECK(gt_verify(gt_held[i].p, gt_held[i].n, gt_held[i].cookie),
			 "held object %u (%zu bytes) corrupted", i, gt_held[i].n);
		gofree(gt_held[i].p);
	}
	gt_nheld = 0;
	kfree(gt_held);
	gt_held = NULL;
}

static int gt_release_set(const char *val, const struct kernel_param *kp)
{
	gt_hold_release();
	return 0;
}

static const struct kernel_param_ops gt_release_ops = {
	.set = gt_release_set,
};
module_param_cb(release, &gt_release_ops, NULL, 0200);
MODULE_PARM_DESC(release, "hold: write to verify and free the held objects now");

static void gt_hold(void)
{
	unsigned int k, total = tiny_count;
	unsigned long *blocks;

	for (k = 0; k < gt_nsizes; k++)
		total += gt_count(k);
	gt_held = kcalloc(max(total, 1U), sizeof(*gt_held), GFP_KERNEL);
	blocks = kcalloc(max(tiny_count, 1U), sizeof(*blocks), GFP_KERNEL);
	if (!gt_held || !blocks || tiny_size < 1 || tiny_size > GOMALLOC_TINY_MAX) {
		GT_CHECK(0, "no memory for %u objects, or tiny_size %u", total, tiny_size);
		kfree(blocks);
		return;
	}
	if (gt_pcpu < 0) {
		gt_hold_fn(blocks);
	} else {
		cpus_read_lock();
		if (cpu_online(gt_pcpu))
			work_on_cpu(gt_pcpu, gt_hold_fn, blocks);
		else
			GT_CHECK(0, "CPU %d is not online", gt_pcpu);
		cpus_read_unlock();
	}
	kfree(blocks);
	pr_info("gomalloc_test: hold: %lu object(s), %lu bytes, tiny in %lu block(s)\n",
		held_objects, held_bytes, held_tiny_blocks);
}

/* ---- classes: every size class allocated on every CPU, a share freed elsewhere ---- */

struct gt_cpu_objs {
	unsigned int cpu;
	struct gt_obj *o;		/* gt_nsizes * per_class */
	struct gt_cpu_objs *next;	/* the CPU whose objects j % 3 == 0 we free */
};

static long gt_classes_alloc(void *arg)
{
	struct gt_cpu_objs *c = arg;
	unsigned int k, j;
	u64 cookie = get_random_u64();

	GT_CHECK(raw_smp_processor_id() == c->cpu, "on CPU %u instead of %u",
		 raw_smp_processor_id(), c->cpu);
	for (k = 0; k < gt_nsizes; k++)
		for (j = 0; j < per_class; j++) {
			struct gt_obj *o = &c->o[k * per_class + j];
			/* Odd objects: the smallest size of the class. */
			size_t sz = j & 1 ? (k ? gt_psizes[k - 1] + 1 : 1) : gt_psizes[k];

			o->p = gomalloc(sz, GFP_KERNEL);
			GT_CHECK(o->p, "CPU %u: gomalloc(%zu) failed", c->cpu, sz);
			if (!o->p)
				continue;
			o->n = gomalloc_usable_size(o->p);
			GT_CHECK(o->n == gt_psizes[k],
				 "CPU %u: gomalloc(%zu) has usable size %zu, not its class size %lu",
				 c->cpu, sz, o->n, gt_psizes[k]);
			o->cookie = cookie++;
			gt_fill(o->p, o->n, o->cookie);
		}
	return 0;
}

static void gt_obj_free(struct gt_obj *o, unsigned int cpu)
{
	if (!o->p)
		return;
	GT_CHECK(gt_verify(o->p, o->n, o->cookie),
		 "object of %zu bytes corrupted (freeing on CPU %u)", o->n, cpu);
	gofree(o->p);
	o->p = NULL;
}

static long gt_classes_free(void *arg)
{
	struct gt_cpu_objs *c = arg;
	unsigned int i, n = gt_nsizes * per_class;

	for (i = 0; i < n; i++) {
		if (i % per_class % 3)
			gt_obj_free(&c->o[i], c->cpu);
		else
			gt_obj_free(&c->next->o[i], c->cpu);
	}
	return 0;
}

static void gt_classes(void)
{
	struct gt_cpu_objs *set;
	unsigned int c, n = 0, i;

	if (!gt_nsizes || !per_class) {
		GT_CHECK(0, "classes: no sizes= or per_class=0");
		return;
	}
	set = kcalloc(nr_cpu_ids, sizeof(*set), GFP_KERNEL);
	if (!set) {
		GT_CHECK(0, "no memory");
		return;
	}
	cpus_read_lock();
	for_each_online_cpu(c) {
		if (gt_pcpus && (c >= BITS_PER_LONG || !(gt_pcpus & BIT(c))))
			continue;
		set[n].cpu = c;
		set[n].o = kcalloc(gt_nsizes * per_class, sizeof(*set[n].o), GFP_KERNEL);
		if (!set[n].o) {
			GT_CHECK(0, "no memory");
			break;
		}
		n++;
	}
	for (i = 0; i < n; i++)
		set[i].next = &set[(i + 1) % n];
	for (i = 0; i < n; i++)
		work_on_cpu(set[i].cpu, gt_classes_alloc, &set[i]);
	for (i = 0; i < n; i++)
		work_on_cpu(set[i].cpu, gt_classes_free, &set[i]);
	cpus_read_unlock();
	cpus_used = n;
	for (i = 0; i < n; i++)
		kfree(set[i].o);
	kfree(set);
	pr_info("gomalloc_test: classes: %u size(s) x %u object(s) on each of %u CPU(s), a third freed on another CPU\n",
		gt_nsizes, per_class, n);
}

/*
 * ---- nowait: GFP_NOWAIT/GFP_ATOMIC where sleeping is forbidden ----
 *
 * The script empties the heap first, so these allocations have to grow it
 * from interrupt context (or with a spinlock held): each must succeed or
 * return NULL, and never sleep. Odd objects are freed later by the task.
 */
static struct gt_obj gt_nw_keep[GT_MAX_SIZES + GOMALLOC_TINY_MAX];
static struct completion gt_nw_done;
static struct timer_list gt_nw_timer;
static struct hrtimer gt_nw_hrtimer;
static DEFINE_SPINLOCK(gt_nw_lock);

static void gt_nowait_round(bool irq)
{
	unsigned int k, n = gt_nsizes + GOMALLOC_TINY_MAX;
	u64 cookie = 0x6e6f77616974ULL;
	struct gt_obj o;
	gfp_t gfp;

	for (k = 0; k < n; k++) {
		gfp = irq && !(k & 1) ? GFP_ATOMIC : GFP_NOWAIT;
		if (k < gt_nsizes) {
			o.p = gomalloc(gt_psizes[k], gfp);
			o.n = o.p ? gomalloc_usable_size(o.p) : 0;
		} else {
			o.n = k - gt_nsizes + 1;
			o.p = gomalloc_tiny(o.n, gfp);
		}
		if (!o.p) {
			failures_seen++;
			continue;
		}
		allocs_done++;
		o.cookie = cookie + k;
		gt_fill(o.p, o.n, o.cookie);
		if (k & 1) {
			gt_nw_keep[k] = o;
			continue;
		}
		GT_CHECK(gt_verify(o.p, o.n, o.cookie), "nowait object of %zu bytes corrupted",
			 o.n);
		gofree(o.p);
	}
}

static void gt_nw_timer_fn(struct timer_list *t)
{
	GT_CHECK(in_serving_softirq(), "timer callback not in softirq context");
	gt_nowait_round(true);
	complete(&gt_nw_done);
}

static enum hrtimer_restart gt_nw_hrtimer_fn(struct hrtimer *t)
{
	GT_CHECK(in_hardirq(), "hrtimer callback not in hardirq context");
	gt_nowait_round(true);
	complete(&gt_nw_done);
	return HRTIMER_NORESTART;
}

static void gt_nowait(void)
{
	unsigned int k;

	init_completion(&gt_nw_done);
	if (!strcmp(gt_pctx, "hardirq")) {
		hrtimer_init(&gt_nw_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
		gt_nw_hrtimer.function = gt_nw_hrtimer_fn;
		hrtimer_start(&gt_nw_hrtimer, ns_to_ktime(NSEC_PER_MSEC), HRTIMER_MODE_REL_HARD);
		if (!wait_for_completion_timeout(&gt_nw_done, 10 * HZ))
			GT_CHECK(0, "the hrtimer did not run");
		hrtimer_cancel(&gt_nw_hrtimer);
	} else if (!strcmp(gt_pctx, "softirq")) {
		timer_setup(&gt_nw_timer, gt_nw_timer_fn, 0);
		mod_timer(&gt_nw_timer, jiffies + 1);
		if (!wait_for_completion_timeout(&gt_nw_done, 10 * HZ))
			GT_CHECK(0, "the timer did not run");
		del_timer_sync(&gt_nw_timer);
	} else if (!strcmp(gt_pctx, "task")) {
		/* Task context, but atomic: a sleep here is a bug the kernel reports. */
		spin_lock(&gt_nw_lock);
		gt_nowait_round(false);
		spin_unlock(&gt_nw_lock);
	} else {
		GT_CHECK(0, "unknown ctx=%s", gt_pctx);
	}
	for (k = 0; k < ARRAY_SIZE(gt_nw_keep); k++) {
		if (!gt_nw_keep[k].p)
			continue;
		GT_CHECK(gt_verify(gt_nw_keep[k].p, gt_nw_keep[k].n, gt_nw_keep[k].cookie),
			 "nowait object of %zu bytes corrupted", gt_nw_keep[k].n);
		gofree(gt_nw_keep[k].p);
	}
	pr_info("gomalloc_test: nowait: %s: %u allocation(s), %u NULL return(s)\n",
		gt_pctx, allocs_done, failures_seen);
}

/*
 * ---- init: init_on_alloc, init_on_free and __GFP_ZERO on reused objects ----
 *
 * An object is filled, freed and asked for again at once on the same CPU:
 * the LIFO list (or the CPU's parked large spans) hands back the same one.
 * Peeking at the freed object is fine: it is gomalloc's memory, not tracked
 * by KASAN. The free-list link is the object's first word.
 */
static void gt_init_check(void *p, size_t n, bool on_alloc, bool on_free)
{
	size_t skip = n > 32768 ? 0 : sizeof(void *);
	void *q, *r;

	memset(p, 0xa5, n);
	preempt_disable();
	gofree(p);
	if (on_free)
		GT_CHECK(!memchr_inv(p + skip, 0, n - skip),
			 "init_on_free: freed object of %zu bytes not zeroed (byte %td is %#x)",
			 n, (u8 *)memchr_inv(p + skip, 0, n - skip) - (u8 *)p,
			 *(u8 *)memchr_inv(p + skip, 0, n - skip));
	q = gomalloc(n, GFP_ATOMIC);
	preempt_enable();
	GT_CHECK(q == p, "%zu bytes: freed %p, got %p back", n, p, q);
	if (!q)
		return;
	if (on_alloc)
		GT_CHECK(!memchr_inv(q, 0, n),
			 "init_on_alloc: reused object of %zu bytes not zeroed", n);

	memset(q, 0xa5, n);
	preempt_disable();
	gofree(q);
	r = gomalloc(n, GFP_ATOMIC | __GFP_ZERO);
	preempt_enable();
	GT_CHECK(r == q, "%zu bytes: freed %p, got %p back", n, q, r);
	GT_CHECK(!r || !memchr_inv(r, 0, n),
		 "__GFP_ZERO: reused object of %zu bytes not zeroed", n);
	gofree(r);
}

static void gt_init(void)
{
	static const size_t large[] = { 32769, 40000, 100000, 262144 };
	bool on_alloc = want_init_on_alloc(GFP_KERNEL), on_free = want_init_on_free();
	unsigned int i, checked = 0;
	size_t sz;
	void *p;

	init_policy = on_alloc | on_free << 1;
	for (i = 0; i < ARRAY_SIZE(gt_sizes) + ARRAY_SIZE(large); i++) {
		sz = i < ARRAY_SIZE(gt_sizes) ? gt_sizes[i] : large[i - ARRAY_SIZE(gt_sizes)];
		if (sz <= GOMALLOC_TINY_MAX)
			continue;
		p = gomalloc(sz, GFP_KERNEL);
		GT_CHECK(p, "gomalloc(%zu) failed", sz);
		if (!p)
			continue;
		gt_init_check(p, gomalloc_usable_size(p), on_alloc, on_free);
		checked++;
	}
	/* Tiny objects are not reused at once: check the new one and the freed one. */
	for (sz = 1; sz <= GOMALLOC_TINY_MAX; sz++) {
		p = gomalloc_tiny(sz, GFP_KERNEL);
		GT_CHECK(p, "gomalloc_tiny(%zu) failed", sz);
		if (!p)
			continue;
		if (on_alloc)
			GT_CHECK(!memchr_inv(p, 0, sz),
				 "init_on_alloc: tiny object of %zu bytes not zeroed", sz);
		memset(p, 0xa5, sz);
		gofree(p);
		if (on_free)
			GT_CHECK(!memchr_inv(p, 0, sz),
				 "init_on_free: freed tiny object of %zu bytes not zeroed", sz);
		p = gomalloc_tiny(sz, GFP_KERNEL | __GFP_ZERO);
		GT_CHECK(p && !memchr_inv(p, 0, sz),
			 "__GFP_ZERO: tiny object of %zu bytes not zeroed", sz);
		gofree(p);
		checked++;
	}
	pr_info("gomalloc_test: init: init_on_alloc %s, init_on_free %s; %u size(s) checked\n",
		on_alloc ? "on" : "off", on_free ? "on" : "off", checked);
}

/*
 * ---- initfree, initreuse: under init_on_free with init_on_alloc off, memory
 * handed out again is all zero whatever freed it. initfree frees objects of
 * every class (sizes=), tiny and large ones, on one CPU, so that the LIFO
 * list takes them (the script runs it in debug mode too); the script then
 * drains every cache; initreuse allocates more than that of every kind
 * again and checks every byte: no LIFO link, no debug poison or record in
 * spans of the same class, of another class, or of large objects. ----
 */
#define GT_IR_BYTES	(128 << 10)	/* per class, initfree */
#define GT_IR_MAX	64		/* objects per class, initfree */
static const size_t gt_ir_large[] = { 32769, 40000, 65536, 100000, 300000, 1 << 20 };
static unsigned int gt_ir_bad;

static unsigned int gt_ir_count(size_t size)
{
	return clamp_t(size_t, GT_IR_BYTES / size, 2, GT_IR_MAX);
}

/* Allocate @n objects of @size (tiny: gomalloc_tiny), fill or check, free. */
static void gt_ir_round(size_t size, unsigned int n, bool check, const char *what)
{
	void **objs = kcalloc(n, sizeof(void *), GFP_KERNEL);
	unsigned int i;
	u8 *bad;

	GT_CHECK(objs, "kcalloc(%u) failed", n);
	if (!objs)
		return;
	migrate_disable();	/* frees by the owner: onto its LIFO list */
	for (i = 0; i < n; i++) {
		objs[i] = size <= GOMALLOC_TINY_MAX ? gomalloc_tiny(size, GFP_KERNEL) :
						      gomalloc(size, GFP_KERNEL);
		GT_CHECK(objs[i], "%s: allocation of %zu bytes failed", what, size);
		if (!objs[i])
			continue;
		if (check) {
			bad = memchr_inv(objs[i], 0, size);
			gt_ir_bad += !!bad;
			GT_CHECK(!bad, "%s object of %zu B at %p reused unzeroed: byte %td is %#x",
				 what, size, objs[i], bad - (u8 *)objs[i], *bad);
		}
		memset(objs[i], 0xa5, size);
	}
	for (i = n; i-- > 0;)
		gofree(objs[i]);
	migrate_enable();
	kfree(objs);
}

static void gt_initfree_reuse(bool check)
{
	unsigned int i, mult = check ? 3 : 1, classes = 0;
	size_t sz;

	for (i = 0; i < gt_nsizes; i++) {
		if (!gt_psizes[i] || gt_psizes[i] > 32768)
			continue;
		gt_ir_round(gt_psizes[i], mult * gt_ir_count(gt_psizes[i]), check, "class");
		classes++;
	}
	GT_CHECK(classes, "no class sizes given (sizes=)");
	for (sz = 1; sz <= GOMALLOC_TINY_MAX; sz++)
		gt_ir_round(sz, mult * 16, check, "tiny");
	for (i = 0; i < ARRAY_SIZE(gt_ir_large); i++)
		gt_ir_round(gt_ir_large[i], mult * 4, check, "large");
	if (check)
		pr_info("gomalloc_test: initreuse: %u class(es), tiny and large objects: %u not zeroed\n",
			classes, gt_ir_bad);
	else
		pr_info("gomalloc_test: initfree: %u class(es), tiny and large objects freed\n",
			classes);
}

/*
 * ---- redzone: one byte written past a live 50-byte object, for debug
 * mode's validation to find (gomalloc's objects are not KASAN-tracked) ----
 */

static u8 *gt_rz_obj;

static void gt_redzone(void)
{
	gt_rz_obj = gomalloc(50, GFP_KERNEL);
	GT_CHECK(gt_rz_obj, "gomalloc(50) failed");
	if (!gt_rz_obj)
		return;
	memset(gt_rz_obj, 0x5a, 50);
	gt_rz_obj[50] = 0x12;
	pr_info("gomalloc_test: redzone: one byte written past a 50-byte object\n");
}

/* ---- warn: failures print gomalloc's warning unless __GFP_NOWARN ---- */

static void gt_warn(void)
{
	gfp_t gfp = GFP_KERNEL | (nowarn ? __GFP_NOWARN : 0);
	void *p[8];
	unsigned int i;

	/* Large objects of their own arena, then 32 KiB ones (one per span). */
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = gomalloc(i < 2 ? (3 << 20) + i * PAGE_SIZE : 32768, gfp);
		if (!p[i])
			failures_seen++;
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		gofree(p[i]);
	pr_info("gomalloc_test: warn: %u NULL return(s) with%s __GFP_NOWARN\n",
		failures_seen, nowarn ? "" : "out");
}

/*
 * __GFP_NOFAIL never returns NULL: run while gomalloc/fail_alloc and
 * fail_page_alloc fail everything they may (they never fail NOFAIL).
 */
static void gt_nofail(void)
{
	static const unsigned int sizes[] = { 8, 24, 64, 100, 512, 1000, 2048,
					      4096, 8192, 16384, 32768 };
	const gfp_t gfp = GFP_KERNEL | __GFP_NOFAIL;
	void *p[ARRAY_SIZE(sizes) * 4 + 8];
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(sizes) * 4; i++) {
		p[n] = gomalloc(sizes[i % ARRAY_SIZE(sizes)], gfp);
		if (!p[n])
			failures_seen++;
		else
			memset(p[n++], 0x5a, sizes[i % ARRAY_SIZE(sizes)]);
	}
	for (i = 0; i < 8; i++) {
		p[n] = gomalloc_tiny(1 + i, gfp);
		if (!p[n])
			failures_seen++;
		else
			n++;
	}
	for (i = 0; i < n; i++)
		gofree(p[i]);
	GT_CHECK(!failures_seen, "__GFP_NOFAIL returned NULL");
	pr_info("gomalloc_test: nofail: %u object(s), %u NULL return(s)\n", n,
		failures_seen);
}

static int __init gomalloc_test_init(void)
{
	if (!strcmp(test, "basic"))
		gt_basic();
	else if (!strcmp(test, "large"))
		gt_large();
	else if (!strcmp(test, "align"))
		gt_align();
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
	else if (!strcmp(test, "hold"))
		gt_hold();
	else if (!strcmp(test, "classes"))
		gt_classes();
	else if (!strcmp(test, "nowait"))
		gt_nowait();
	else if (!strcmp(test, "init"))
		gt_init();
	else if (!strcmp(test, "initfree"))
		gt_initfree_reuse(false);
	else if (!strcmp(test, "initreuse"))
		gt_initfree_reuse(true);
	else if (!strcmp(test, "warn"))
		gt_warn();
	else if (!strcmp(test, "redzone"))
		gt_redzone();
	else if (!strcmp(test, "nofail"))
		gt_nofail();
	else
		return -EINVAL;
	if (gt_large_only)
		gt_multicpu();
	if (atomic_read(&gt_errors)) {
		pr_err("gomalloc_test: %s: %d check(s) failed\n", test, atomic_read(&gt_errors));
		gt_hold_release();
		return -EINVAL;
	}
	pr_info("gomalloc_test: %s: ok\n", test);
	return 0;
}

static void __exit gomalloc_test_exit(void)
{
	gt_hold_release();
	gofree(gt_rz_obj);
	if (atomic_read(&gt_errors))
		pr_err("gomalloc_test: %s: %d check(s) failed at unload\n", test,
		       atomic_read(&gt_errors));
}

module_init(gomalloc_test_init);
module_exit(gomalloc_test_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("gomalloc developers");
MODULE_DESCRIPTION("gomalloc kselftest client");
