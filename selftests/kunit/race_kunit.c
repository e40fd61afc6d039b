// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for races between CPUs: threads bound to CPUs of their own, with
 * gomalloc's race windows (gm_race_hook) held open until the other side has run.
 */
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "mem.h"
#include "mreport.h"
#include "gm_kunit.h"
#include "fixalloc.h"
#include "mcache.h"
#include "mheap.h"
#include "mpagecache.h"

/* How many race windows a test widened. */
static atomic_t gm_race_delays;

static void gm_race_hook_on(void (*hook)(enum gm_race_point point, const void *arg))
{
	atomic_set(&gm_race_delays, 0);
	WRITE_ONCE(gm_race_hook, hook);
}

static void gm_race_hook_off(void)
{
	WRITE_ONCE(gm_race_hook, NULL);
}

/* ---- tiny blocks: two CPUs free the halves of blocks a third allocates ---- */

#define GM_TR_RING	2048

struct gm_tr_obj {
	u8 *p;
	u8 size;
	u8 seed;
};

struct gm_tr_ring {
	spinlock_t lock;
	unsigned int head, tail;
	struct gm_tr_obj o[GM_TR_RING];
};

struct gm_tr {
	struct gm_tr_ring ring[2];
	atomic_t bad_contents, bad_size, freed, running;
	bool stop;		/* the producer is done */
	unsigned long deadline;
	unsigned int produced;
};

/*
 * One tiny free in four of a block's first sub-object, while another
 * sub-object of the block is live (its free will empty the block): wait (up
 * to half a second) until the block has been handed out again and its first
 * new sub-object claimed. The free then decides what to do about a block
 * that is no longer the one it freed into. One waiter at a time, none once
 * the producer is done.
 */
static unsigned long gm_race_until;	/* no waits after this (jiffies) */
static atomic_t gm_race_waiting;

static void gm_tr_wait_reuse(enum gm_race_point point, const void *arg)
{
	const struct gm_tiny_block *m = arg;
	unsigned long end = jiffies + HZ / 2;
	u16 first;

	if (point != GM_RACE_TINY_FREE || get_random_u32() % 4)
		return;
	first = READ_ONCE(m->alloc_mask);
	if (!(first & 1) || first == 1 || (atomic_read(&m->free_mask) & first) != 1 ||
	    !time_before(jiffies, READ_ONCE(gm_race_until)) ||
	    atomic_cmpxchg(&gm_race_waiting, 0, 1))
		return;
	atomic_inc(&gm_race_delays);
	while (READ_ONCE(m->alloc_mask) != 1 && time_before(jiffies, end))
		usleep_range(200, 400);
	atomic_set(&gm_race_waiting, 0);
}

static void gm_tr_fill(u8 *p, u8 size, u8 seed)
{
	u8 i;

	for (i = 0; i < size; i++)
		p[i] = seed + i * 37;
}

static bool gm_tr_intact(const struct gm_tr_obj *o)
{
	u8 i;

	for (i = 0; i < o->size; i++)
		if (o->p[i] != (u8)(o->seed + i * 37))
			return false;
	return true;
}

static bool gm_tr_push(struct gm_tr_ring *r, struct gm_tr_obj o)
{
	bool ok;

	spin_lock(&r->lock);
	ok = r->head - r->tail < GM_TR_RING;
	if (ok)
		r->o[r->head++ % GM_TR_RING] = o;
	spin_unlock(&r->lock);
	return ok;
}

static bool gm_tr_pop(struct gm_tr_ring *r, struct gm_tr_obj *o)
{
	bool ok;

	spin_lock(&r->lock);
	ok = r->head != r->tail;
	if (ok)
		*o = r->o[r->tail++ % GM_TR_RING];
	spin_unlock(&r->lock);
	return ok;
}

static void gm_tr_check(struct gm_tr *t, const struct gm_tr_obj *o)
{
	if (!gm_tr_intact(o))
		atomic_inc(&t->bad_contents);
	if (gomalloc_usable_size(o->p) != o->size)
		atomic_inc(&t->bad_size);
}

/* A thread's arguments; done completes as it exits. */
struct gm_tr_freer_arg {
	struct gm_tr *t;
	struct gm_tr_ring *r;
	struct completion done;
};

/* Verify each object it is handed, live, then free it. */
static int gm_tr_freer(void *arg)
{
	struct gm_tr_freer_arg *a = arg;
	struct gm_tr *t = a->t;
	struct gm_tr_obj o;

	bool stop;

	for (;;) {
		/*
		 * Read before the pop: the producer's last push comes before
		 * its stop, so once stop is seen an empty ring stays empty.
		 */
		stop = smp_load_acquire(&t->stop);
		if (gm_tr_pop(a->r, &o)) {
			gm_tr_check(t, &o);
			gofree(o.p);
			atomic_inc(&t->freed);
			continue;
		}
		if (stop)
			break;
		cond_resched();
	}
	kthread_complete_and_exit(&a->done, 0);
}

static u8 *gm_tr_alloc(struct gm_tr *t, size_t size, struct gm_tr_obj *o)
{
	o->p = gomalloc_tiny(size, GFP_KERNEL);
	if (!o->p)
		return NULL;
	o->size = size;
	o->seed = t->produced++;
	gm_tr_fill(o->p, o->size, o->seed);
	return o->p;
}

/* Hand @o to ring @i, waiting for room; checks it on the way. */
static void gm_tr_hand(struct gm_tr *t, unsigned int i, struct gm_tr_obj o)
{
	gm_tr_check(t, &o);
	while (!gm_tr_push(&t->ring[i], o))
		cond_resched();
}

/*
 * Pairs of 8-byte objects share a block; a 12-byte object fills one. The
 * halves of each block are freed by different CPUs, while this one
 * allocates: blocks retire, empty and come back into use all the time.
 */
static int gm_tr_producer(void *arg)
{
	struct gm_tr_freer_arg *a = arg;
	struct gm_tr *t = a->t;
	struct gm_tr_obj x, y, z;
	unsigned int n = 0;

	while (time_before(jiffies, t->deadline)) {
		if (!gm_tr_alloc(t, 8, &x))
			break;
		if (!gm_tr_alloc(t, 8, &y)) {
			gofree(x.p);
			break;
		}
		if (!gm_tr_alloc(t, 12, &z)) {
			gofree(x.p);
			gofree(y.p);
			break;
		}
		/* Either half first, on either CPU. */
		gm_tr_hand(t, n & 1, y);
		gm_tr_hand(t, !(n & 1), x);
		gm_tr_hand(t, (n >> 1) & 1, z);
		n++;
	}
	/* After the last push: pairs with the freers' acquire of stop. */
	smp_store_release(&t->stop, true);
	kthread_complete_and_exit(&a->done, 0);
}

static struct task_struct *gm_tr_start(struct kunit *test, int (*fn)(void *),
				       struct gm_tr_freer_arg *a, unsigned int cpu)
{
	struct task_struct *k;

	init_completion(&a->done);
	k = kthread_create(fn, a, "gm_race/%u", cpu);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	kthread_bind(k, cpu);
	wake_up_process(k);
	return k;
}

/* Three online CPUs, or skip. */
static void gm_race_cpus(struct kunit *test, unsigned int *cpus)
{
	unsigned int cpu, n = 0;

	for_each_online_cpu(cpu) {
		if (n < 3)
			cpus[n++] = cpu;
	}
	if (n < 3)
		kunit_skip(test, "needs 3 online CPUs");
}

static void gm_test_race_tiny_reuse(struct kunit *test)
{
	long dbl = atomic_long_read(&gm_errors.double_frees);
	long inv = atomic_long_read(&gm_errors.invalid_frees);
	struct gm_tr_freer_arg a[3];
	unsigned int cpus[3], i;
	struct gm_tr *t;

	gm_race_cpus(test, cpus);
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	spin_lock_init(&t->ring[0].lock);
	spin_lock_init(&t->ring[1].lock);
	t->deadline = jiffies + 4 * HZ;
	gm_race_until = t->deadline;
	gm_race_hook_on(gm_tr_wait_reuse);
	for (i = 0; i < 3; i++)
		a[i].t = t;
	a[1].r = &t->ring[0];
	a[2].r = &t->ring[1];
	gm_tr_start(test, gm_tr_freer, &a[1], cpus[1]);
	gm_tr_start(test, gm_tr_freer, &a[2], cpus[2]);
	gm_tr_start(test, gm_tr_producer, &a[0], cpus[0]);
	for (i = 0; i < 3; i++)
		wait_for_completion(&a[i].done);
	gm_race_hook_off();
	kunit_info(test, "%u objects, %d freed, %d windows widened\n", t->produced,
		   atomic_read(&t->freed), atomic_read(&gm_race_delays));
	KUNIT_EXPECT_GT(test, t->produced, 3000U);
	KUNIT_EXPECT_GT(test, atomic_read(&gm_race_delays), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->freed), (int)t->produced);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->bad_contents), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->bad_size), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.double_frees), dbl);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.invalid_frees), inv);
}

/* ---- fixalloc: two refills at once lose no chunk ---- */

#define GM_FR_OBJS	64	/* 16 chunks of 4 objects */
#define GM_FR_NESTED	16

static void *gm_fr_nested[GM_FR_NESTED];
static unsigned int gm_fr_nnested;
static bool gm_fr_inside;

/*
 * The other refill, run inside this one's window (lock dropped, its chunk
 * not yet installed): a nested allocation from the same fixalloc, which
 * refills and installs a chunk of its own first. The interleaving two CPUs
 * would produce, made certain.
 */
static void gm_fr_nest(enum gm_race_point point, const void *arg)
{
	struct gm_fixalloc *f = (struct gm_fixalloc *)arg;

	if (point != GM_RACE_FIXALLOC_REFILL || gm_fr_inside ||
	    gm_fr_nnested == GM_FR_NESTED)
		return;
	gm_fr_inside = true;
	atomic_inc(&gm_race_delays);
	gm_fr_nested[gm_fr_nnested++] = gm_fixalloc_alloc(f, GFP_KERNEL);
	gm_fr_inside = false;
}

static void gm_test_race_fixalloc_refill(struct kunit *test)
{
	void *objs[GM_FR_OBJS];
	struct gm_fixalloc f;
	unsigned int i;

	/* Four objects fill a 16 KiB chunk exactly: no tail is ever lost. */
	gm_fixalloc_init(&f, "race", PAGE_SIZE);
	gm_fr_nnested = 0;
	gm_race_hook_on(gm_fr_nest);
	for (i = 0; i < GM_FR_OBJS; i++)
		objs[i] = gm_fixalloc_alloc(&f, GFP_KERNEL);
	gm_race_hook_off();
	kunit_info(test, "%d refills raced, %zu KiB of chunks\n",
		   atomic_read(&gm_race_delays), gm_fixalloc_bytes(&f) >> 10);
	KUNIT_EXPECT_EQ(test, gm_fr_nnested, (unsigned int)GM_FR_NESTED);
	for (i = 0; i < GM_FR_OBJS; i++) {
		KUNIT_EXPECT_NOT_NULL(test, objs[i]);
		if (objs[i])
			gm_fixalloc_free(&f, objs[i]);
	}
	for (i = 0; i < gm_fr_nnested; i++) {
		KUNIT_EXPECT_NOT_NULL(test, gm_fr_nested[i]);
		if (gm_fr_nested[i])
			gm_fixalloc_free(&f, gm_fr_nested[i]);
	}
	/* Every chunk used up: nothing lost to a refill that came second. */
	KUNIT_EXPECT_EQ(test, gm_fixalloc_bytes(&f),
			(GM_FR_OBJS + GM_FR_NESTED) * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, f.inuse, 0UL);
	gm_fixalloc_destroy(&f);
}

/* ---- pageCache: a refill that sleeps while its CPU goes offline ---- */

static struct completion gm_pr_parked, gm_pr_go;
static struct task_struct *gm_pr_task;	/* only its refill parks */
static atomic_t gm_pr_once;

/* The first refill window waits until the test has offlined its CPU. */
static void gm_pr_park(enum gm_race_point point, const void *arg)
{
	if (point != GM_RACE_PCACHE_REFILL || current != READ_ONCE(gm_pr_task) ||
	    atomic_xchg(&gm_pr_once, 0) != 1)
		return;
	complete(&gm_pr_parked);
	wait_for_completion(&gm_pr_go);
}

struct gm_pr_arg {
	void *obj;
	struct completion done;
};

static int gm_pr_thread(void *arg)
{
	struct gm_pr_arg *a = arg;

	a->obj = gomalloc(8, GFP_KERNEL);	/* an empty heap: a refill */
	kthread_complete_and_exit(&a->done, 0);
}

static void gm_test_race_pcache_offline(struct kunit *test)
{
	unsigned int cpu, victim = nr_cpu_ids;
	struct task_struct *k;
	struct gm_pr_arg a;
	int ret;

	for_each_online_cpu(cpu)
		if (cpu != raw_smp_processor_id() && cpu != 0)
			victim = cpu;
	if (victim == nr_cpu_ids)
		kunit_skip(test, "needs a second CPU that can go offline");
	KUNIT_ASSERT_EQ(test, gm_pagecache_cpu_pages(victim), 0UL);
	init_completion(&gm_pr_parked);
	init_completion(&gm_pr_go);
	init_completion(&a.done);
	atomic_set(&gm_pr_once, 1);
	gm_race_hook_on(gm_pr_park);
	k = kthread_create(gm_pr_thread, &a, "gm_race/%u", victim);
	KUNIT_ASSERT_FALSE(test, IS_ERR(k));
	WRITE_ONCE(gm_pr_task, k);
	set_cpus_allowed_ptr(k, cpumask_of(victim));
	wake_up_process(k);
	if (!wait_for_completion_timeout(&gm_pr_parked, 30 * HZ)) {
		complete(&gm_pr_go);
		wait_for_completion(&a.done);
		gofree(a.obj);
		KUNIT_FAIL(test, "the allocation never reached a pageCache refill");
		return;
	}
	ret = remove_cpu(victim);
	complete(&gm_pr_go);
	wait_for_completion(&a.done);
	gm_race_hook_off();
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_NOT_NULL(test, a.obj);
	/* The refill finished elsewhere: the dead CPU holds no block. */
	KUNIT_EXPECT_FALSE(test, cpu_online(victim));
	KUNIT_EXPECT_EQ(test, gm_pagecache_cpu_pages(victim), 0UL);
	gofree(a.obj);
	if (!ret)
		KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);
}

static void gm_race_exit(struct kunit *test)
{
	gm_race_hook_off();
	gm_kunit_quiet_exit(test);
}

static struct kunit_case gm_race_cases[] = {
	KUNIT_CASE(gm_test_race_tiny_reuse),
	KUNIT_CASE(gm_test_race_fixalloc_refill),
	KUNIT_CASE(gm_test_race_pcache_offline),
	{}
};

struct kunit_suite gm_race_suite = {
	.name = "gomalloc_races",
	.init = gm_kunit_quiet_init,
	.exit = gm_race_exit,
	.test_cases = gm_race_cases,
};
