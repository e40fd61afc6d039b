// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: cache and cachehold: typed caches (a ctor, SLAB_TYPESAFE_BY_RCU,
 * odd size aligned to 64, SLAB_HWCACHE_ALIGN) and bulk, from every CPU, softirq
 * and hardirq, objects freed on other CPUs; cachehold leaves a cache's row live.
 */
#include <linux/cache.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

/*
 * The kinds of object the test allocates. A ctor object's constructed state
 * is a generation word, its hash and a fixed pattern: every allocation checks
 * all of it, the user scribbles over the whole object while it is live and
 * puts the constructed state back, with a generation of its own, before the
 * free. An RCU object's first word stays GT_RCU_MAGIC for as long as the
 * memory belongs to the cache, which readers check under rcu_read_lock()
 * while other CPUs free and reuse the objects. Plain objects are checked for
 * their alignment (and zeroing, with __GFP_ZERO) and carry a pattern.
 */
enum { GT_CK_CTOR, GT_CK_RCU, GT_CK_ODD, GT_CK_HW, GT_CK_MALLOC, GT_CK_N };
enum { GT_CX_TASK, GT_CX_SOFTIRQ, GT_CX_HARDIRQ, GT_CX_N };
static const char * const gt_cx_name[GT_CX_N] = { "task", "softirq", "hardirq" };

#define GT_CTOR_SIZE	200
#define GT_CTOR_COOKIE	0x63746f72ULL
#define GT_RCU_SIZE	120
#define GT_RCU_MAGIC	0x5243555f4f424a31ULL
#define GT_ODD_SIZE	77
#define GT_HW_SIZE	24
#define GT_MALLOC_SIZE	192

struct gt_ckind {
	const char *name;
	unsigned int size, align;
	slab_flags_t flags;
	void (*ctor)(void *p);
	unsigned int want_align;	/* every object's */
	struct gomalloc_cache *c;	/* NULL: gomalloc() */
};

struct gt_rcu_obj {
	u64 magic;
	u64 cookie;	/* of the pattern in data[] */
	u8 ctx;		/* where it was allocated */
	u16 cpu;
	u8 data[GT_RCU_SIZE - 24];
};

static atomic_long_t gt_ctor_calls;

/* The word that vouches for a ctor object's generation word. */
static u64 gt_gen_hash(const void *p, u64 gen)
{
	u64 x = (unsigned long)p ^ (gen * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 32);
}

static void gt_construct(void *p, u64 gen)
{
	u64 *w = p;

	w[0] = gen;
	w[1] = gt_gen_hash(p, gen);
	gt_fill(p + 16, GT_CTOR_SIZE - 16, GT_CTOR_COOKIE);
}

static void gt_ctor(void *p)
{
	atomic_long_inc(&gt_ctor_calls);
	gt_construct(p, 0);
}

static struct gt_ckind gt_kinds[GT_CK_N] = {
	[GT_CK_CTOR] = { "gt_c_ctor", GT_CTOR_SIZE, 0, 0, gt_ctor },
	[GT_CK_RCU] = { "gt_c_rcu", GT_RCU_SIZE, 0, SLAB_TYPESAFE_BY_RCU },
	[GT_CK_ODD] = { "gt_c_odd64", GT_ODD_SIZE, 64, 0 },
	[GT_CK_HW] = { "gt_c_hwalign", GT_HW_SIZE, 0, SLAB_HWCACHE_ALIGN },
	[GT_CK_MALLOC] = { "gomalloc", GT_MALLOC_SIZE },
};

/* A live object, whose allocation context and CPU the free compares. */
struct gt_crec {
	void *p;
	u64 cookie;
	u8 kind, ctx;
	u16 cpu;
};

/* Counters, any context. */
static struct {
	atomic_long_t allocs[GT_CX_N];
	atomic_long_t xfree[GT_CX_N][GT_CX_N];	/* [allocating][freeing] context */
	atomic_long_t remote_frees;		/* on another CPU than allocated */
	atomic_long_t gofrees;			/* typed objects freed by gofree() */
	atomic_long_t bulk[3];			/* cache bulk of 16, of 128, gomalloc_bulk */
	atomic_long_t rcu_reads, rcu_replaced;	/* reads; of objects swapped out meanwhile */
	atomic_long_t ctor_reused;		/* ctor objects handed out again */
	atomic_long_t atomic_nulls;		/* GFP_ATOMIC allocations that failed */
} gt_cs;

static unsigned int gt_cx_now(void)
{
	if (in_hardirq())
		return GT_CX_HARDIRQ;
	return in_serving_softirq() ? GT_CX_SOFTIRQ : GT_CX_TASK;
}

/*
 * Check a newly allocated object of kind @k and take it over: its
 * constructed state, alignment, zeroing; then the user's pattern.
 */
static void gt_ck_got(unsigned int k, struct gt_crec *r, void *p, u64 cookie, gfp_t gfp)
{
	struct gt_ckind *kd = &gt_kinds[k];
	struct gt_rcu_obj *o = p;
	unsigned int i;
	u64 *w = p;

	r->p = p;
	r->cookie = cookie;
	r->kind = k;
	r->ctx = gt_cx_now();
	r->cpu = raw_smp_processor_id();
	atomic_long_inc(&gt_cs.allocs[r->ctx]);
	GT_CHECK(IS_ALIGNED((unsigned long)p, kd->want_align), "%s: object %p not aligned to %u",
		 kd->name, p, kd->want_align);
	switch (k) {
	case GT_CK_CTOR:
		/* Constructed, as the ctor or the last user left it. */
		GT_CHECK(w[1] == gt_gen_hash(p, w[0]),
			 "%s: object %p handed out with generation %#llx, check word %#llx",
			 kd->name, p, w[0], w[1]);
		GT_CHECK(gt_verify(p + 16, GT_CTOR_SIZE - 16, GT_CTOR_COOKIE),
			 "%s: object %p handed out not in its constructed state", kd->name, p);
		if (w[0])
			atomic_long_inc(&gt_cs.ctor_reused);
		gt_fill(p, GT_CTOR_SIZE, cookie);
		break;
	case GT_CK_RCU:
		o->magic = GT_RCU_MAGIC;
		o->cookie = cookie;
		o->ctx = r->ctx;
		o->cpu = r->cpu;
		gt_fill(o->data, sizeof(o->data), cookie);
		break;
	default:
		if (gfp & __GFP_ZERO)
			for (i = 0; i < kd->size; i++)
				if (((u8 *)p)[i]) {
					GT_CHECK(0, "%s: __GFP_ZERO object %p has byte %u = %#x",
						 kd->name, p, i, ((u8 *)p)[i]);
					break;
				}
		if (k == GT_CK_MALLOC)
			GT_CHECK(gomalloc_usable_size(p) >= kd->size, "usable size %zu of %p",
				 gomalloc_usable_size(p), p);
		gt_fill(p, kd->size, cookie);
		break;
	}
}

/* Verify what the user left in @r before its free; a ctor object is reconstructed. */
static void gt_ck_put(struct gt_crec *r)
{
	struct gt_ckind *kd = &gt_kinds[r->kind];
	struct gt_rcu_obj *o = r->p;
	unsigned int cx = gt_cx_now();

	switch (r->kind) {
	case GT_CK_CTOR:
		GT_CHECK(gt_verify(r->p, GT_CTOR_SIZE, r->cookie), "%s: live object %p corrupted",
			 kd->name, r->p);
		gt_construct(r->p, r->cookie | 1);
		break;
	case GT_CK_RCU:
		GT_CHECK(o->magic == GT_RCU_MAGIC && o->cookie == r->cookie &&
			 gt_verify(o->data, sizeof(o->data), r->cookie),
			 "%s: live object %p corrupted", kd->name, r->p);
		break;
	default:
		GT_CHECK(gt_verify(r->p, kd->size, r->cookie), "%s: live object %p corrupted",
			 kd->name, r->p);
		break;
	}
	atomic_long_inc(&gt_cs.xfree[r->ctx][cx]);
	if (r->cpu != raw_smp_processor_id())
		atomic_long_inc(&gt_cs.remote_frees);
}

static void *gt_ck_alloc1(unsigned int k, gfp_t gfp)
{
	if (gt_kinds[k].c)
		return gomalloc_cache_alloc(gt_kinds[k].c, gfp);
	return gomalloc(gt_kinds[k].size, gfp);
}

/* Free one checked object: its cache's free, or (@any) gofree(). */
static void gt_ck_free1(struct gt_crec *r, bool any)
{
	gt_ck_put(r);
	if (!gt_kinds[r->kind].c) {
		gofree(r->p);
	} else if (any) {
		atomic_long_inc(&gt_cs.gofrees);
		gofree(r->p);
	} else {
		gomalloc_cache_free(gt_kinds[r->kind].c, r->p);
	}
	r->p = NULL;
}

/* @n objects of kind @k, all or nothing; 0 or @n. */
static int gt_ck_alloc_bulk(unsigned int k, gfp_t gfp, size_t n, void **p)
{
	int got;

	if (gt_kinds[k].c)
		got = gomalloc_cache_alloc_bulk(gt_kinds[k].c, gfp, n, p);
	else
		got = gomalloc_bulk(gt_kinds[k].size, gfp, n, p);
	if (got)
		atomic_long_inc(&gt_cs.bulk[!gt_kinds[k].c ? 2 : n > 16]);
	return got;
}

/* Free @n checked objects of kind @k in one call (gofree_bulk() if @any). */
static void gt_ck_free_bulk(unsigned int k, size_t n, void **p, bool any)
{
	if (gt_kinds[k].c && !any)
		gomalloc_cache_free_bulk(gt_kinds[k].c, n, p);
	else
		gofree_bulk(n, p);
	if (gt_kinds[k].c && any)
		atomic_long_add(n, &gt_cs.gofrees);
}

/* ---- hand-off rings: objects another CPU (or context) frees ---- */

#define GT_CRING	512
#define GT_CBATCH	128

struct gt_cring {
	raw_spinlock_t lock;	/* head, tail, e[]; every context, also on RT */
	unsigned int head, tail;
	struct gt_crec e[GT_CRING];
};

static bool gt_cring_put(struct gt_cring *q, const struct gt_crec *r)
{
	unsigned long flags;
	bool ok;

	raw_spin_lock_irqsave(&q->lock, flags);
	ok = q->head - q->tail < GT_CRING;
	if (ok)
		q->e[q->head++ % GT_CRING] = *r;
	raw_spin_unlock_irqrestore(&q->lock, flags);
	return ok;
}

/*
 * Free what @q holds, up to GT_CRING objects (producers may not stop), runs
 * of one kind in one bulk free; how many it freed.
 */
static unsigned int gt_cring_drain(struct gt_cring *q, void **batch)
{
	unsigned int n = 0, k = 0, done;
	unsigned long flags;
	struct gt_crec r;

	for (done = 0; done < GT_CRING; done++) {
		raw_spin_lock_irqsave(&q->lock, flags);
		if (q->head == q->tail) {
			raw_spin_unlock_irqrestore(&q->lock, flags);
			break;
		}
		r = q->e[q->tail++ % GT_CRING];
		raw_spin_unlock_irqrestore(&q->lock, flags);
		if (n && (r.kind != k || n == GT_CBATCH)) {
			gt_ck_free_bulk(k, n, batch, n & 1);
			n = 0;
		}
		k = r.kind;
		gt_ck_put(&r);
		batch[n++] = r.p;
	}
	if (n)
		gt_ck_free_bulk(k, n, batch, n & 1);
	return done;
}

/* ---- RCU readers: the objects in gt_rcu_slots[] may be freed under them ---- */

#define GT_RCU_SLOTS	16
#define GT_RCU_READS	8
static struct gt_rcu_obj *gt_rcu_slots[GT_RCU_SLOTS];

static void gt_rcu_check(const struct gt_rcu_obj *o, const char *when)
{
	u64 m = READ_ONCE(o->magic);

	GT_CHECK(m == GT_RCU_MAGIC,
		 "SLAB_TYPESAFE_BY_RCU object %p read in an RCU section (%s) holds %#llx",
		 o, when, m);
}

/*
 * Up to GT_RCU_READS objects read from their slots in one RCU section and,
 * after @hold_us, read again: meanwhile other CPUs may have freed them, and
 * reused them, but their memory is still the cache's.
 */
static void gt_rcu_read(u32 rnd, unsigned int n, unsigned int hold_us)
{
	struct gt_rcu_obj *o[GT_RCU_READS];
	u64 cookie[GT_RCU_READS];
	unsigned int j;

	n = min_t(unsigned int, n, GT_RCU_READS);
	rcu_read_lock();
	for (j = 0; j < n; j++) {
		o[j] = READ_ONCE(gt_rcu_slots[(rnd + j * 5) % GT_RCU_SLOTS]);
		if (!o[j])
			continue;
		cookie[j] = READ_ONCE(o[j]->cookie);
		gt_rcu_check(o[j], "first read");
		atomic_long_inc(&gt_cs.rcu_reads);
	}
	if (hold_us)
		udelay(hold_us);
	for (j = 0; j < n; j++) {
		if (!o[j])
			continue;
		gt_rcu_check(o[j], "read again");
		if (READ_ONCE(o[j]->cookie) != cookie[j])
			atomic_long_inc(&gt_cs.rcu_replaced);
	}
	rcu_read_unlock();
}

/* The record of an RCU object taken out of its slot. */
static void gt_rcu_rec(struct gt_crec *r, struct gt_rcu_obj *o)
{
	r->p = o;
	r->cookie = o->cookie;
	r->kind = GT_CK_RCU;
	r->ctx = o->ctx;
	r->cpu = o->cpu;
}

/* Publish a new RCU object in slot @i; the one it replaces is freed at once. */
static void gt_rcu_swap(unsigned int i, gfp_t gfp, u64 cookie, struct gt_cring *peer)
{
	struct gt_crec r;
	struct gt_rcu_obj *o = gomalloc_cache_alloc(gt_kinds[GT_CK_RCU].c, gfp);

	if (!o) {
		GT_CHECK(!gfpflags_allow_blocking(gfp), "gt_c_rcu: allocation failed");
		atomic_long_inc(&gt_cs.atomic_nulls);
		return;
	}
	gt_ck_got(GT_CK_RCU, &r, o, cookie, gfp);
	o = xchg(&gt_rcu_slots[i % GT_RCU_SLOTS], o);
	if (!o)
		return;
	gt_rcu_rec(&r, o);
	if (!(cookie & 3) && gt_cring_put(peer, &r))
		return;
	gt_ck_free1(&r, cookie & 4);
}

/* ---- the workers: one kthread per CPU, with a timer and an hrtimer ---- */

#define GT_CLIVE	256
#define GT_CKEPT	16
#define GT_CIRQ_SLOTS	16

struct gt_cworker {
	unsigned int id;
	struct gt_cring ring;		/* objects others hand us */
	struct gt_cring *peer;		/* the next worker's */
	struct timer_list timer;
	struct hrtimer hrtimer;
	bool stop;
	raw_spinlock_t slot_lock;	/* slots[], any context, also on RT */
	struct gt_crec slots[GT_CIRQ_SLOTS];
	u64 cookie[GT_CX_N];		/* each context's own */
	unsigned long ops;
};

static struct gt_cworker *gt_cw;
static unsigned int gt_ncw;
static unsigned long gt_cdeadline;

static u64 gt_next(struct gt_cworker *w, unsigned int cx)
{
	w->cookie[cx] = w->cookie[cx] * 6364136223846793005ULL + 1442695040888963407ULL;
	return w->cookie[cx];
}

/* Allocate into *@r an object of a kind the cookie picks; false if none. */
static bool gt_ck_new(struct gt_crec *r, u64 cookie, gfp_t gfp)
{
	unsigned int k = (cookie >> 40) % GT_CK_N;
	void *p;

	if ((k == GT_CK_ODD || k == GT_CK_HW || k == GT_CK_MALLOC) && (cookie & (1 << 20)))
		gfp |= __GFP_ZERO;
	p = gt_ck_alloc1(k, gfp);
	if (!p) {
		GT_CHECK(!gfpflags_allow_blocking(gfp), "%s: allocation failed", gt_kinds[k].name);
		atomic_long_inc(&gt_cs.atomic_nulls);
		return false;
	}
	gt_ck_got(k, r, p, cookie, gfp);
	return true;
}

/*
 * Swap one of the slots @w's task, softirq and hardirq share (the cookie
 * picks it): the object it held is freed here (or handed to the peer), a
 * new one takes its place.
 */
static void gt_slot_swap(struct gt_cworker *w, unsigned int cx, gfp_t gfp)
{
	u64 cookie = gt_next(w, cx);
	unsigned int i = (cookie >> 33) % GT_CIRQ_SLOTS;
	struct gt_crec old, new;
	unsigned long flags;

	raw_spin_lock_irqsave(&w->slot_lock, flags);
	old = w->slots[i];
	w->slots[i].p = NULL;
	raw_spin_unlock_irqrestore(&w->slot_lock, flags);
	if (old.p && !((cookie >> 8) % 5 == 0 && gt_cring_put(w->peer, &old)))
		gt_ck_free1(&old, (cookie >> 12) % 3 == 0);
	if (!gt_ck_new(&new, cookie, gfp))
		return;
	raw_spin_lock_irqsave(&w->slot_lock, flags);
	if (!w->slots[i].p) {
		w->slots[i] = new;
		new.p = NULL;
	}
	raw_spin_unlock_irqrestore(&w->slot_lock, flags);
	if (new.p)
		gt_ck_free1(&new, false);
}

/* A bulk batch of @n, checked, then freed in one call or handed over in part. */
static void gt_bulk_round(struct gt_cworker *w, unsigned int cx, gfp_t gfp, size_t n,
			  void **batch)
{
	u64 cookie = gt_next(w, cx);
	unsigned int k = (cookie >> 40) % GT_CK_N, i, keep = 0;
	struct gt_crec r;

	if (!gt_ck_alloc_bulk(k, gfp, n, batch)) {
		GT_CHECK(!gfpflags_allow_blocking(gfp), "%s: bulk of %zu failed",
			 gt_kinds[k].name, n);
		atomic_long_inc(&gt_cs.atomic_nulls);
		return;
	}
	for (i = 0; i < n; i++) {
		gt_ck_got(k, &r, batch[i], cookie + i, gfp);
		/* Every other object of one batch in four goes to the peer. */
		if (!(cookie & (3 << 16)) && (i & 1) && gt_cring_put(w->peer, &r))
			continue;
		gt_ck_put(&r);
		batch[keep++] = batch[i];
	}
	gt_ck_free_bulk(k, keep, batch, (cookie >> 24) % 4 == 0);
}

static void gt_cw_timer_fn(struct timer_list *t)
{
	struct gt_cworker *w = from_timer(w, t, timer);

	GT_CHECK(in_serving_softirq(), "timer callback not in softirq context");
	gt_slot_swap(w, GT_CX_SOFTIRQ, GFP_ATOMIC);
	gt_slot_swap(w, GT_CX_SOFTIRQ, GFP_ATOMIC);
	if (!(gt_next(w, GT_CX_SOFTIRQ) & 0x700)) {
		void *batch[16];

		gt_bulk_round(w, GT_CX_SOFTIRQ, GFP_ATOMIC, 16, batch);
	}
	gt_rcu_read(w->cookie[GT_CX_SOFTIRQ] >> 32, 4, 0);
	if (!READ_ONCE(w->stop))
		mod_timer(&w->timer, jiffies + 1);
}

static enum hrtimer_restart gt_cw_hrtimer_fn(struct hrtimer *t)
{
	struct gt_cworker *w = container_of(t, struct gt_cworker, hrtimer);
	u64 c;

	GT_CHECK(in_hardirq(), "hrtimer callback not in hardirq context");
	gt_slot_swap(w, GT_CX_HARDIRQ, GT_HARDIRQ_GFP);
	c = gt_next(w, GT_CX_HARDIRQ);
	if (!(c & 0xf00)) {
		void *batch[16];

		gt_bulk_round(w, GT_CX_HARDIRQ, GT_HARDIRQ_GFP, 16, batch);
	}
	if (!(c & 0x3000))
		gt_rcu_swap(c >> 33, GT_HARDIRQ_GFP, c, w->peer);
	gt_rcu_read(c >> 32, 2, 0);
	if (READ_ONCE(w->stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(NSEC_PER_MSEC));
	return HRTIMER_RESTART;
}

/* Free the batch kept live (checked first), in one bulk call. */
static void gt_kept_free(struct gt_crec *kept, unsigned int n, void **batch, bool any)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		gt_ck_put(&kept[i]);
		batch[i] = kept[i].p;
	}
	if (n)
		gt_ck_free_bulk(kept[0].kind, n, batch, any);
}

static int gt_cw_fn(void *arg)
{
	struct gt_cworker *w = arg;
	struct gt_crec *live, kept[GT_CKEPT];
	unsigned int nkept = 0, k, i;
	void **batch;
	u64 c;

	live = kcalloc(GT_CLIVE, sizeof(*live), GFP_KERNEL);
	batch = kcalloc(GT_CBATCH, sizeof(*batch), GFP_KERNEL);
	if (!live || !batch) {
		GT_CHECK(0, "no memory");
		goto out;
	}
	/* Armed here: on this CPU, pinned (they move if it goes offline). */
	mod_timer(&w->timer, jiffies + 1);
	hrtimer_start(&w->hrtimer, ns_to_ktime(NSEC_PER_MSEC), HRTIMER_MODE_REL_PINNED_HARD);
	while (time_before(jiffies, gt_cdeadline)) {
		c = gt_next(w, GT_CX_TASK);
		i = (c >> 33) % GT_CLIVE;
		if (live[i].p) {
			if ((c >> 8) % 10 < 3 && gt_cring_put(w->peer, &live[i]))
				live[i].p = NULL;
			else
				gt_ck_free1(&live[i], (c >> 12) % 8 == 0);
		}
		gt_ck_new(&live[i], c, GFP_KERNEL);
		w->ops++;
		if (!(w->ops % 8))
			gt_slot_swap(w, GT_CX_TASK, GFP_KERNEL);
		if (!(w->ops % 4))
			gt_rcu_swap(c >> 20, GFP_KERNEL, c, w->peer);
		if (!(w->ops % 16))
			gt_rcu_read(c >> 40, GT_RCU_READS, 20);
		if (!(w->ops % 32)) {
			gt_bulk_round(w, GT_CX_TASK, GFP_KERNEL, w->ops % 64 ? 16 : GT_CBATCH,
				      batch);
			/* A batch that stays live until the next round. */
			gt_kept_free(kept, nkept, batch, c & 1);
			k = (c >> 44) % GT_CK_N;
			nkept = gt_ck_alloc_bulk(k, GFP_KERNEL, GT_CKEPT, batch);
			GT_CHECK(nkept, "%s: bulk of %u failed", gt_kinds[k].name, GT_CKEPT);
			for (i = 0; i < nkept; i++)
				gt_ck_got(k, &kept[i], batch[i], c + i, GFP_KERNEL);
		}
		gt_cring_drain(&w->ring, batch);
		if (!(w->ops % 64))
			cond_resched();
	}
	WRITE_ONCE(w->stop, true);
	del_timer_sync(&w->timer);
	hrtimer_cancel(&w->hrtimer);
	gt_kept_free(kept, nkept, batch, false);
	for (i = 0; i < GT_CLIVE; i++)
		if (live[i].p)
			gt_ck_free1(&live[i], false);
	for (i = 0; i < GT_CIRQ_SLOTS; i++)
		if (w->slots[i].p)
			gt_ck_free1(&w->slots[i], false);
out:
	kfree(batch);
	kfree(live);
	return 0;
}

static bool gt_caches_create(void)
{
	struct gt_ckind *kd;
	unsigned int k, ra;

	for (k = 0; k < GT_CK_N; k++) {
		kd = &gt_kinds[k];
		kd->want_align = max_t(unsigned int, kd->align, 8);
		if (kd->flags & SLAB_HWCACHE_ALIGN) {
			/* SLUB's rule: a cache line, halved while the object fits twice. */
			for (ra = cache_line_size(); kd->size <= ra / 2; ra /= 2)
				;
			kd->want_align = max(kd->want_align, ra);
		}
		if (k == GT_CK_MALLOC)
			continue;
		kd->c = gomalloc_cache_create(kd->name, kd->size, kd->align, kd->flags, kd->ctor);
		GT_CHECK(kd->c, "gomalloc_cache_create(%s) failed", kd->name);
		if (!kd->c)
			return false;
	}
	return true;
}

static void gt_caches_destroy(void)
{
	unsigned int k;

	for (k = 0; k < GT_CK_N; k++) {
		gomalloc_cache_destroy(gt_kinds[k].c);
		gt_kinds[k].c = NULL;
	}
}

static void gt_cache_report(unsigned long ops)
{
	unsigned int a, f;
	long n;

	pr_info("gomalloc_test: cache: %u workers, %lu task operations; allocations: %ld task, %ld softirq, %ld hardirq; %ld GFP_ATOMIC NULL(s)\n",
		gt_ncw, ops, atomic_long_read(&gt_cs.allocs[GT_CX_TASK]),
		atomic_long_read(&gt_cs.allocs[GT_CX_SOFTIRQ]),
		atomic_long_read(&gt_cs.allocs[GT_CX_HARDIRQ]),
		atomic_long_read(&gt_cs.atomic_nulls));
	pr_info("gomalloc_test: cache: bulk: %ld x 16, %ld x 128 from caches, %ld gomalloc_bulk; %ld freed on another CPU, %ld typed freed by gofree()\n",
		atomic_long_read(&gt_cs.bulk[0]), atomic_long_read(&gt_cs.bulk[1]),
		atomic_long_read(&gt_cs.bulk[2]), atomic_long_read(&gt_cs.remote_frees),
		atomic_long_read(&gt_cs.gofrees));
	pr_info("gomalloc_test: cache: ctor: %ld call(s), %ld object(s) handed out again; RCU: %ld read(s), %ld of an object freed and reused during the read\n",
		atomic_long_read(&gt_ctor_calls), atomic_long_read(&gt_cs.ctor_reused),
		atomic_long_read(&gt_cs.rcu_reads), atomic_long_read(&gt_cs.rcu_replaced));
	for (a = 0; a < GT_CX_N; a++)
		pr_info("gomalloc_test: cache: allocated in %-7s freed in task %ld, softirq %ld, hardirq %ld\n",
			gt_cx_name[a], atomic_long_read(&gt_cs.xfree[a][GT_CX_TASK]),
			atomic_long_read(&gt_cs.xfree[a][GT_CX_SOFTIRQ]),
			atomic_long_read(&gt_cs.xfree[a][GT_CX_HARDIRQ]));
	/* Every path ran: each context freed what each other one allocated. */
	for (a = 0; a < GT_CX_N; a++)
		for (f = 0; f < GT_CX_N; f++) {
			n = atomic_long_read(&gt_cs.xfree[a][f]);
			/* On RT a hard interrupt allocates nothing (gomalloc.h). */
			GT_CHECK(a == f || n > 0 ||
				 (IS_ENABLED(CONFIG_PREEMPT_RT) && a == GT_CX_HARDIRQ),
				 "no object allocated in %s was freed in %s",
				 gt_cx_name[a], gt_cx_name[f]);
		}
	for (a = 0; a < ARRAY_SIZE(gt_cs.bulk); a++)
		GT_CHECK(atomic_long_read(&gt_cs.bulk[a]) > 0, "bulk path %u never ran", a);
	GT_CHECK(atomic_long_read(&gt_cs.gofrees) > 0, "gofree() freed no typed object");
	GT_CHECK(atomic_long_read(&gt_cs.ctor_reused) > 0, "no ctor object was reused");
	GT_CHECK(atomic_long_read(&gt_cs.rcu_reads) > 0, "no RCU read");
	GT_CHECK(num_online_cpus() < 2 || atomic_long_read(&gt_cs.remote_frees) > 0,
		 "no object freed on another CPU");
}

void gt_cache(void)
{
	unsigned long ops = 0;
	unsigned int i, cpu, ran;
	u64 seed = get_random_u64();
	void **batch;
	struct gomalloc_cache *again;
	void *p;

	batch = kcalloc(GT_CBATCH, sizeof(*batch), GFP_KERNEL);
	gt_ncw = max(2U, num_online_cpus());
	gt_cw = kcalloc(gt_ncw, sizeof(*gt_cw), GFP_KERNEL);
	if (!batch || !gt_cw) {
		GT_CHECK(0, "no memory for the workers");
		goto out;
	}
	if (!gt_caches_create())
		goto destroy;
	for (i = 0; i < gt_ncw; i++) {
		struct gt_cworker *w = &gt_cw[i];

		w->id = i;
		w->peer = &gt_cw[(i + 1) % gt_ncw].ring;
		raw_spin_lock_init(&w->ring.lock);
		raw_spin_lock_init(&w->slot_lock);
		for (cpu = 0; cpu < GT_CX_N; cpu++)
			w->cookie[cpu] = seed + i * 1000003 + cpu;
		timer_setup(&w->timer, gt_cw_timer_fn, TIMER_PINNED);
		hrtimer_init(&w->hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
		w->hrtimer.function = gt_cw_hrtimer_fn;
	}
	gt_cdeadline = jiffies + gt_seconds * HZ;
	ran = gt_run_kthreads(gt_ncw, gt_cw_fn, gt_cw, sizeof(*gt_cw), "c");
	GT_CHECK(ran == gt_ncw, "%u of %u workers ran", ran, gt_ncw);
	for (i = 0; i < gt_ncw; i++)
		ops += gt_cw[i].ops;
	/* Every timer is stopped: what the rings and slots still hold goes. */
	for (i = 0; i < gt_ncw; i++)
		while (gt_cring_drain(&gt_cw[i].ring, batch))
			;
	for (i = 0; i < GT_RCU_SLOTS; i++) {
		struct gt_crec r;

		if (!gt_rcu_slots[i])
			continue;
		gt_rcu_rec(&r, gt_rcu_slots[i]);
		gt_rcu_slots[i] = NULL;
		gt_ck_free1(&r, false);
	}
	gt_cache_report(ops);
destroy:
	gt_caches_destroy();
	/* A destroyed cache's name is free again at once. */
	again = gomalloc_cache_create(gt_kinds[GT_CK_ODD].name, GT_ODD_SIZE, 64, 0, NULL);
	GT_CHECK(again, "%s: could not be created again after destroy", gt_kinds[GT_CK_ODD].name);
	if (again) {
		p = gomalloc_cache_alloc(again, GFP_KERNEL);
		GT_CHECK(p && IS_ALIGNED((unsigned long)p, 64), "%s again: object %p",
			 gt_kinds[GT_CK_ODD].name, p);
		gomalloc_cache_free(again, p);
		gomalloc_cache_destroy(again);
	}
out:
	kfree(gt_cw);
	gt_cw = NULL;
	kfree(batch);
}

/*
 * ---- cachehold: a ctor cache's objects left live for the script to see in
 * /proc/gomalloc, until release= (gt_hold.c) or unload ----
 *
 * Each online CPU allocates cache_count objects of cache gt_c_hold (100
 * bytes), half one by one, half in bulk of 16; the release verifies each,
 * frees those of one CPU on the next (alternately one by one and in bulk),
 * and destroys the cache.
 */
#define GT_HOLD_SIZE	100

static unsigned int cache_count = 100;
module_param(cache_count, uint, 0444);
MODULE_PARM_DESC(cache_count, "cachehold: objects each online CPU allocates");
static unsigned long cache_held;
module_param(cache_held, ulong, 0444);
MODULE_PARM_DESC(cache_held, "cachehold: objects live in cache gt_c_hold (output)");

struct gt_hold_cpu {
	unsigned int cpu, n;
	void **p;
};

static struct gomalloc_cache *gt_hold_cache;
static struct gt_hold_cpu *gt_hold_set;
static unsigned int gt_hold_ncpus;

static void gt_hold_ctor(void *p)
{
	gt_fill(p, GT_HOLD_SIZE, GT_CTOR_COOKIE);
}

static u64 gt_hold_cookie(unsigned int cpu, unsigned int j)
{
	return ((u64)cpu << 32) + j + 0x686f6c64;
}

/* Chunks of 16: even ones one by one, odd ones in bulk. */
static long gt_hold_alloc_fn(void *arg)
{
	struct gt_hold_cpu *h = arg;
	unsigned int j, i, b;

	for (j = 0; j < cache_count; j += b) {
		b = min(16U, cache_count - j);
		if ((j / 16) & 1) {
			if (!gomalloc_cache_alloc_bulk(gt_hold_cache, GFP_KERNEL, b, h->p + j))
				break;
			continue;
		}
		for (i = 0; i < b; i++) {
			h->p[j + i] = gomalloc_cache_alloc(gt_hold_cache, GFP_KERNEL);
			if (!h->p[j + i])
				break;
		}
		if (i < b) {
			j += i;
			break;
		}
	}
	h->n = j;
	GT_CHECK(h->n == cache_count, "gt_c_hold: CPU %u allocated %u of %u", h->cpu, h->n,
		 cache_count);
	for (j = 0; j < h->n; j++) {
		GT_CHECK(gt_verify(h->p[j], GT_HOLD_SIZE, GT_CTOR_COOKIE),
			 "gt_c_hold: object %p not in its constructed state", h->p[j]);
		gt_fill(h->p[j], GT_HOLD_SIZE, gt_hold_cookie(h->cpu, j));
	}
	return 0;
}

/* On the CPU after @arg's: verify and free its objects, as they came. */
static long gt_hold_free_fn(void *arg)
{
	struct gt_hold_cpu *h = arg;
	unsigned int j, i, b;

	for (j = 0; j < h->n; j++) {
		GT_CHECK(gt_verify(h->p[j], GT_HOLD_SIZE, gt_hold_cookie(h->cpu, j)),
			 "gt_c_hold: held object %p corrupted", h->p[j]);
		gt_fill(h->p[j], GT_HOLD_SIZE, GT_CTOR_COOKIE);
	}
	for (j = 0; j < h->n; j += b) {
		b = min(16U, h->n - j);
		if ((j / 16) & 1)
			gomalloc_cache_free_bulk(gt_hold_cache, b, h->p + j);
		else
			for (i = 0; i < b; i++)
				gomalloc_cache_free(gt_hold_cache, h->p[j + i]);
	}
	h->n = 0;
	return 0;
}

void gt_cache_hold_release(void)
{
	unsigned int i;

	if (!gt_hold_cache)
		return;
	cpus_read_lock();
	for (i = 0; i < gt_hold_ncpus; i++) {
		struct gt_hold_cpu *h = &gt_hold_set[i];
		unsigned int to = gt_hold_set[(i + 1) % gt_hold_ncpus].cpu;

		if (!cpu_online(to))
			to = raw_smp_processor_id();
		if (h->n)
			work_on_cpu(to, gt_hold_free_fn, h);
		kfree(h->p);
	}
	cpus_read_unlock();
	kfree(gt_hold_set);
	gt_hold_set = NULL;
	cache_held = 0;
	gomalloc_cache_destroy(gt_hold_cache);
	gt_hold_cache = NULL;
}

void gt_cache_hold(void)
{
	unsigned int cpu;

	gt_hold_cache = gomalloc_cache_create("gt_c_hold", GT_HOLD_SIZE, 0, 0, gt_hold_ctor);
	gt_hold_set = kcalloc(nr_cpu_ids, sizeof(*gt_hold_set), GFP_KERNEL);
	if (!gt_hold_cache || !gt_hold_set) {
		GT_CHECK(0, "cannot create cache gt_c_hold");
		kfree(gt_hold_set);
		gt_hold_set = NULL;
		gomalloc_cache_destroy(gt_hold_cache);
		gt_hold_cache = NULL;
		return;
	}
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct gt_hold_cpu *h = &gt_hold_set[gt_hold_ncpus];

		h->cpu = cpu;
		h->p = kcalloc(max(cache_count, 1U), sizeof(*h->p), GFP_KERNEL);
		if (!h->p) {
			GT_CHECK(0, "no memory");
			break;
		}
		gt_hold_ncpus++;
		work_on_cpu(cpu, gt_hold_alloc_fn, h);
		cache_held += h->n;
	}
	cpus_read_unlock();
	pr_info("gomalloc_test: cachehold: %lu object(s) of gt_c_hold on %u CPU(s)\n",
		cache_held, gt_hold_ncpus);
}
