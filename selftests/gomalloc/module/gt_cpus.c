// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: multicpu, stress, largecpu and classes: every CPU at once,
 * objects handed to another CPU to free.
 */
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

/* ---- every CPU at once, a share of the frees on another CPU ---- */

static bool tolerate_failures;
module_param(tolerate_failures, bool, 0444);
MODULE_PARM_DESC(tolerate_failures, "stress: count NULL returns instead of failing (fault injection)");

#define GT_RING	256

struct gt_ring {
	spinlock_t lock;	/* head, tail, e[] */
	unsigned int head, tail;
	struct { void *p; size_t n; u64 cookie; } e[GT_RING];
};

struct gt_worker {
	struct gt_ring ring;
	unsigned int id;
	unsigned long ops;
};

static struct gt_worker *gt_workers;
static bool gt_large_only;	/* test=largecpu: only large objects */
static unsigned int gt_nworkers;
static unsigned long gt_deadline;
static atomic_t gt_alloc_failures = ATOMIC_INIT(0);

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

void gt_multicpu(void)
{
	unsigned int i, ran;
	unsigned long ops = 0;

	gt_nworkers = max(2U, num_online_cpus());
	gt_workers = kcalloc(gt_nworkers, sizeof(*gt_workers), GFP_KERNEL);
	if (!gt_workers) {
		GT_CHECK(0, "no memory for workers");
		return;
	}
	gt_deadline = jiffies + gt_seconds * HZ;
	for (i = 0; i < gt_nworkers; i++) {
		spin_lock_init(&gt_workers[i].ring.lock);
		gt_workers[i].id = i;
	}
	ran = gt_run_kthreads(gt_nworkers, gt_worker_fn, gt_workers, sizeof(*gt_workers), "");
	/* Rings may still hold objects a stopped worker did not drain. */
	for (i = 0; i < gt_nworkers; i++) {
		gt_ring_drain(&gt_workers[i].ring);
		ops += gt_workers[i].ops;
	}
	gt_failures_seen = atomic_read(&gt_alloc_failures);
	pr_info("gomalloc_test: %s: %u workers (%u ran), %lu operations, %d corruption(s) or check failure(s), %u allocation failure(s)\n",
		gt_test, gt_nworkers, ran, ops, atomic_read(&gt_errors), gt_failures_seen);
	kfree(gt_workers);
}

void gt_largecpu(void)
{
	gt_large_only = true;
	gt_multicpu();
}

/* ---- classes: every size class allocated on every CPU, a share freed elsewhere ---- */

static unsigned int per_class = 4;
module_param(per_class, uint, 0444);
MODULE_PARM_DESC(per_class, "classes: objects of each class allocated on each CPU");
static unsigned long gt_pcpus;
module_param_named(cpus, gt_pcpus, ulong, 0444);
MODULE_PARM_DESC(cpus, "classes: mask of the CPUs to use (0: every online CPU)");
static unsigned int cpus_used;
module_param(cpus_used, uint, 0444);
MODULE_PARM_DESC(cpus_used, "classes: CPUs that allocated every class (output)");

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

void gt_classes(void)
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
