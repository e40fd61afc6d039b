// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the object level: mspan's allocCache and sweep, mcentral's
 * lists, the mcache's refill and LIFO reuse and its hardening against
 * overwritten links, init_on_free, tiny blocks, bad frees, stats.
 */
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/resource.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "mem.h"
#include "mreport.h"
#include "mstats.h"
#include "gm_kunit.h"
#include "mcache.h"
#include "mcentral.h"
#include "mdebug.h"
#include "mheap.h"
#include "mscavenge.h"

#define GM_C8	1	/* the 8-byte class: 512 objects in one page */
#define GM_C64	6	/* 64 bytes: 64 objects in one page */

static long gm_objects(void)
{
	long o, b, t;

	gm_stats_objects(&o, &b, &t);
	return o;
}

static struct gm_mspan *gm_test_small_span(struct kunit *test, unsigned int spc)
{
	struct gm_mspan *s = gm_mcentral_cache_span(spc, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, s->list, (u8)GM_LIST_CACHED);
	KUNIT_EXPECT_EQ(test, s->sweepgen, GM_SG_CACHED);
	return s;
}

static void gm_test_span_alloc_cache(struct kunit *test)
{
	struct gm_mspan *s = gm_test_small_span(test, GM_C8);
	unsigned int i;
	void *p;

	KUNIT_EXPECT_EQ(test, s->nelems, 512);
	KUNIT_EXPECT_EQ(test, s->elemsize, 8U);
	/* Slots in order, across every 64-slot window reload. */
	for (i = 0; i < 512; i++) {
		p = gm_span_next_free(s);
		KUNIT_ASSERT_PTR_EQ(test, p, (void *)(s->base + i * 8));
		KUNIT_EXPECT_EQ(test, gm_span_objindex(s, (unsigned long)p), i);
	}
	KUNIT_EXPECT_NULL(test, gm_span_next_free(s));
	KUNIT_EXPECT_EQ(test, s->alloc_count, 512);
	KUNIT_EXPECT_TRUE(test, bitmap_full(s->alloc_bits, 512));
	/* Objects on the owner's LIFO list stay allocated for the window... */
	__set_bit(70, s->cached_bits);
	__set_bit(3, s->cached_bits);
	s->alloc_count -= 2;
	gm_span_reset_cache(s);
	KUNIT_EXPECT_NULL(test, gm_span_next_free(s));
	/* ...and become free slots when the owner gives the span up. */
	gm_span_uncache_objects(s);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(s->cached_bits, 512));
	KUNIT_EXPECT_EQ(test, bitmap_weight(s->alloc_bits, 512), 510U);
	gm_span_reset_cache(s);
	KUNIT_EXPECT_PTR_EQ(test, gm_span_next_free(s), (void *)(s->base + 3 * 8));
	KUNIT_EXPECT_PTR_EQ(test, gm_span_next_free(s), (void *)(s->base + 70 * 8));
	KUNIT_EXPECT_NULL(test, gm_span_next_free(s));
	bitmap_zero(s->alloc_bits, 512);
	s->alloc_count = 0;
	gm_mcentral_uncache_span(s);	/* empty: back to the heap */
}

static void gm_test_span_remote_sweep(struct kunit *test)
{
	struct gm_mspan *s = gm_test_small_span(test, GM_C64);
	long dbl = atomic_long_read(&gm_errors.double_frees);
	unsigned int i, n = s->nelems;
	void *objs[64];

	KUNIT_ASSERT_LE(test, n, 64U);
	for (i = 0; i < n; i++)
		objs[i] = gm_span_next_free(s);
	/* Remote frees: recorded on the side, allocation state untouched. */
	KUNIT_EXPECT_TRUE(test, gm_mcentral_free_remote(s, 5, objs[5], _THIS_IP_));
	KUNIT_EXPECT_TRUE(test, gm_mcentral_free_remote(s, 9, objs[9], _THIS_IP_));
	KUNIT_EXPECT_FALSE(test, gm_mcentral_free_remote(s, 9, objs[9], _THIS_IP_));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.double_frees), dbl + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->npending), 2);
	KUNIT_EXPECT_EQ(test, s->alloc_count, (u16)n);
	KUNIT_EXPECT_TRUE(test, test_bit(5, s->alloc_bits));
	KUNIT_EXPECT_EQ(test, gm_span_sweep(s), 2U);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->npending), 0);
	KUNIT_EXPECT_EQ(test, s->alloc_count, (u16)(n - 2));
	KUNIT_EXPECT_FALSE(test, test_bit(9, s->alloc_bits));
	gm_span_reset_cache(s);
	KUNIT_EXPECT_PTR_EQ(test, gm_span_next_free(s), objs[5]);
	KUNIT_EXPECT_PTR_EQ(test, gm_span_next_free(s), objs[9]);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE(test, gm_mcentral_free_remote(s, i, objs[i], _THIS_IP_));
	gm_mcentral_uncache_span(s);	/* sweeps to empty: kept in reserve */
	KUNIT_EXPECT_EQ(test, s->list, (u8)GM_LIST_EMPTY);
	KUNIT_EXPECT_EQ(test, gm_central[GM_C64].nempty, 1U);
	KUNIT_EXPECT_EQ(test, gm_mcentral_sweep_all(), 1UL);	/* released */
	KUNIT_EXPECT_EQ(test, gm_central[GM_C64].nspans, 0UL);
}

/* A full span that gets a free is found again without scanning full spans. */
static void gm_test_mcentral_full_findable(struct kunit *test)
{
	struct gm_mcentral *c = &gm_central[GM_C64];
	struct gm_mspan *s = gm_test_small_span(test, GM_C64), *t;
	unsigned int i, n = s->nelems;
	void *objs[64];

	for (i = 0; i < n; i++)
		objs[i] = gm_span_next_free(s);
	gm_mcentral_uncache_span(s);
	KUNIT_EXPECT_EQ(test, s->list, (u8)GM_LIST_FULL_SWEPT);
	KUNIT_EXPECT_EQ(test, c->nspans, 1UL);
	KUNIT_EXPECT_TRUE(test, gm_mcentral_free_remote(s, 7, objs[7], _THIS_IP_));
	KUNIT_EXPECT_EQ(test, s->list, (u8)GM_LIST_FULL_UNSWEPT);
	KUNIT_EXPECT_EQ(test, s->sweepgen, GM_SG_NEEDS_SWEEP);
	t = gm_test_small_span(test, GM_C64);
	KUNIT_EXPECT_PTR_EQ(test, t, s);	/* no new span grown */
	KUNIT_EXPECT_EQ(test, c->nspans, 1UL);
	KUNIT_EXPECT_PTR_EQ(test, gm_span_next_free(s), objs[7]);
	for (i = 0; i < n; i++)
		gm_mcentral_free_remote(s, i, objs[i], _THIS_IP_);
	gm_mcentral_uncache_span(s);
	gm_mcentral_sweep_all();
	KUNIT_EXPECT_EQ(test, c->nspans, 0UL);
}

static void gm_test_mcentral_partial_order(struct kunit *test)
{
	struct gm_mspan *a = gm_test_small_span(test, GM_C64), *b;
	void *p = gm_span_next_free(a);

	gm_mcentral_uncache_span(a);
	KUNIT_EXPECT_EQ(test, a->list, (u8)GM_LIST_PARTIAL_SWEPT);
	b = gm_test_small_span(test, GM_C64);
	KUNIT_EXPECT_PTR_EQ(test, b, a);
	KUNIT_EXPECT_EQ(test, a->alloc_count, 1);
	/* Empty only once the last object is freed and swept. */
	gm_mcentral_free_remote(a, 0, p, 0);
	gm_mcentral_uncache_span(a);
	KUNIT_EXPECT_EQ(test, a->list, (u8)GM_LIST_EMPTY);
	gm_mcentral_sweep_all();
	KUNIT_EXPECT_EQ(test, gm_central[GM_C64].nspans, 0UL);
}

/*
 * Emptied spans: up to GM_MCENTRAL_EMPTY_KEEP per class wait for the next
 * cacheSpan, which takes one without the heap; the rest, and the reserve
 * at the next sweep_all (scavenger, shrinker), go back to the heap.
 */
static void gm_test_mcentral_empty_reserve(struct kunit *test)
{
	struct gm_mcentral *c = &gm_central[GM_C64];
	struct gm_mspan *s[GM_MCENTRAL_EMPTY_KEEP + 1], *t;
	unsigned long held;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s); i++)
		s[i] = gm_test_small_span(test, GM_C64);
	for (i = 0; i < ARRAY_SIZE(s); i++)
		gm_mcentral_uncache_span(s[i]);
	KUNIT_EXPECT_EQ(test, c->nempty, (unsigned int)GM_MCENTRAL_EMPTY_KEEP);
	KUNIT_EXPECT_EQ(test, c->nspans, (unsigned long)GM_MCENTRAL_EMPTY_KEEP);
	held = gm_heap.pages_held - gm_heap.pages_free;
	t = gm_test_small_span(test, GM_C64);
	KUNIT_EXPECT_PTR_EQ(test, t, s[GM_MCENTRAL_EMPTY_KEEP - 1]);
	KUNIT_EXPECT_EQ(test, gm_heap.pages_held - gm_heap.pages_free, held);
	KUNIT_EXPECT_EQ(test, c->nempty, (unsigned int)GM_MCENTRAL_EMPTY_KEEP - 1);
	gm_mcentral_uncache_span(t);
	KUNIT_EXPECT_EQ(test, gm_mcentral_sweep_all(), (unsigned long)GM_MCENTRAL_EMPTY_KEEP);
	KUNIT_EXPECT_EQ(test, c->nempty, 0U);
	KUNIT_EXPECT_EQ(test, c->nspans, 0UL);
}

/* ---- mcache ---- */

static void gm_test_mcache_lifo(struct kunit *test)
{
	void *p, *q;

	migrate_disable();
	p = gomalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gofree(p);
	q = gomalloc(64, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	gofree(q);
	migrate_enable();
}

/*
 * LIFO also for a slot ahead of freeindex, in a partial span cached again
 * (allocation restarts at slot 0): the freed object comes back first.
 */
static void gm_test_mcache_lifo_partial(struct kunit *test)
{
	char *objs[30], *q;
	unsigned int i;

	migrate_disable();
	for (i = 0; i < 30; i++) {
		objs[i] = gomalloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		KUNIT_ASSERT_PTR_EQ(test, objs[i], objs[0] + i * 64);
	}
	for (i = 10; i < 20; i++)
		gofree(objs[i]);
	/* LIFO within the list: the last freed comes back first. */
	q = gomalloc(64, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, objs[19]);
	gofree(q);
	/* The span goes back to mcentral as partial: 0-9 and 20-29 live. */
	gm_mcache_drain_all();
	q = gomalloc(64, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, objs[10]);	/* the first free slot */
	gofree(objs[25]);			/* ahead of freeindex */
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(objs[25]), (size_t)0);
	KUNIT_EXPECT_PTR_EQ(test, gomalloc(64, GFP_KERNEL), objs[25]);
	gofree(q);
	for (i = 0; i < 30; i++)
		if (i < 10 || i >= 20)
			gofree(objs[i]);
	migrate_enable();
}

static void gm_test_mcache_refill(struct kunit *test)
{
	unsigned int n = gm_class_to_nobjs[GM_C64] * 3 + 1, i;
	long before = gm_objects();
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = gomalloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		memset(objs[i], i, 64);
	}
	KUNIT_EXPECT_EQ(test, gm_objects(), before + n);
	KUNIT_EXPECT_GE(test, gm_central[GM_C64].nspans, 4UL);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, *(u8 *)objs[i], (u8)i);
		gofree(objs[i]);
	}
	KUNIT_EXPECT_EQ(test, gm_objects(), before);
}

/*
 * The per-CPU cache of a class is bounded by one span: after five spans'
 * worth of objects are allocated and freed on one CPU, the class holds one
 * span (the cached one), the others went back to the heap.
 */
static void gm_test_mcache_bounded(struct kunit *test)
{
	unsigned int n = gm_class_to_nobjs[GM_C64] * 5, i;
	void **objs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	struct gm_mcache_class *cc;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	migrate_disable();
	for (i = 0; i < n; i++) {
		objs[i] = gomalloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	KUNIT_EXPECT_EQ(test, gm_central[GM_C64].nspans, 5UL);
	for (i = 0; i < n; i++)
		gofree(objs[i]);
	gm_mcentral_sweep_all();
	KUNIT_EXPECT_EQ(test, gm_central[GM_C64].nspans, 1UL);
	preempt_disable();
	cc = &gm_this_mcache()->cls[GM_C64];
	KUNIT_EXPECT_EQ(test, cc->span->alloc_count, 0);
	KUNIT_EXPECT_EQ(test, cc->span->nelems, gm_class_to_nobjs[GM_C64]);
	preempt_enable();
	migrate_enable();
}

/* A cross-CPU free through another context's cache, then made reusable. */
static void gm_test_mcache_remote_then_drain(struct kunit *test)
{
	long before = gm_objects();
	unsigned long flags;
	void *p;

	long deferred = atomic_long_read(&gm_errors.rt_frees_deferred);

	p = gomalloc(128, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	/* Hardirq context has its own cache: this free is a remote one. */
	local_irq_save(flags);
	__preempt_count_add(HARDIRQ_OFFSET);
	gofree(p);
	__preempt_count_sub(HARDIRQ_OFFSET);
	local_irq_restore(flags);
	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		/* There it may not lock: deferred to the irq_work thread. */
		KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.rt_frees_deferred),
				deferred + 1);
		gm_mcache_nmi_flush();
		KUNIT_EXPECT_EQ(test, gm_objects(), before);
		KUNIT_EXPECT_EQ(test, gomalloc_usable_size(p), (size_t)0);
		return;
	}
	KUNIT_EXPECT_EQ(test, gm_objects(), before);
	KUNIT_EXPECT_EQ(test, atomic_read(&gm_span_of(p)->npending), 1);
	gm_mcache_drain_all();
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(p), (size_t)0);
}

/*
 * ---- the hardened LIFO list: a use-after-free write over a freed object's
 * link (its first word) ----
 *
 * a, b, c, d: four live 64-byte objects, slots 0-3 of a fresh span. b then
 * a are freed (the list: a, b), a's link is overwritten with @link, a is
 * popped. The next allocation must not be @bad (never dereferenced here),
 * the overwrite must be reported once, b is lost (stays allocated), and
 * allocation goes on. Reports are seen through the KUnit resource the
 * reporter looks up.
 */
static int gm_fl_reports;
static struct kunit_resource gm_fl_res;

struct gm_fl_objs {
	char *a, *b, *c, *d;
};

static void gm_fl_setup(struct kunit *test, struct gm_fl_objs *o)
{
	KUNIT_ASSERT_EQ(test, gm_kunit_count_reports(test, &gm_fl_res, &gm_fl_reports), 0);
	gm_mcache_drain_all();	/* a fresh window: the four are slots 0-3 */
	migrate_disable();
	o->a = gomalloc(64, GFP_KERNEL);
	o->b = gomalloc(64, GFP_KERNEL);
	o->c = gomalloc(64, GFP_KERNEL);
	o->d = gomalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o->a);
	KUNIT_ASSERT_EQ(test, gm_span_of(o->a)->base, (unsigned long)o->a);
	KUNIT_ASSERT_PTR_EQ(test, o->d, o->a + 3 * 64);
	/* Zero: were a link followed into c or d, the list would end there. */
	memset(o->c, 0, 64);
	memset(o->d, 0, 64);
	gofree(o->b);
	gofree(o->a);
}

static void gm_fl_check(struct kunit *test, struct gm_fl_objs *o,
			unsigned long link, const void *bad)
{
	char *p, *q, *r;

	gm_kunit_poke_long(o->a, link);	/* the write after free */
	p = gomalloc(64, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, p, o->a);
	q = gomalloc(64, GFP_KERNEL);
	KUNIT_EXPECT_PTR_NE_MSG(test, q, (char *)bad, "the overwritten link was followed");
	KUNIT_EXPECT_PTR_NE(test, q, o->b);
	KUNIT_EXPECT_EQ(test, gm_fl_reports, 1);
	/* b was on the dropped list: lost, still allocated. */
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(o->b), (size_t)64);
	r = gomalloc(64, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, r);
	KUNIT_EXPECT_PTR_NE(test, r, q);
	KUNIT_EXPECT_PTR_NE(test, r, (char *)bad);
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(r), (size_t)64);
	if (q != bad)
		KUNIT_EXPECT_EQ(test, gomalloc_usable_size(q), (size_t)64);
	migrate_enable();
	/* A lost object can only leak; the test knows it is free and frees it. */
	if (gomalloc_usable_size(o->b))
		gofree(o->b);
	gofree(p);
	if (q != bad)
		gofree(q);
	gofree(r);
	gofree(o->c);
	gofree(o->d);
}

/* (a) A foreign kernel address: a buffer of ours, zeroed. */
static void gm_test_fl_foreign(struct kunit *test)
{
	void *buf = kunit_kzalloc(test, 64, GFP_KERNEL);
	struct gm_fl_objs o;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	gm_fl_setup(test, &o);
	gm_fl_check(test, &o, (unsigned long)buf, buf);
}

/* (b) Inside the span, off an object boundary: inside live object c. */
static void gm_test_fl_interior(struct kunit *test)
{
	struct gm_fl_objs o;

	gm_fl_setup(test, &o);
	gm_fl_check(test, &o, (unsigned long)o.c + 8, o.c + 8);
}

/* (c) A slot of the span not on the list: live object d. */
static void gm_test_fl_live_slot(struct kunit *test)
{
	struct gm_fl_objs o;

	gm_fl_setup(test, &o);
	gm_fl_check(test, &o, (unsigned long)o.d, o.d);
}

/*
 * An attacker who knows the secret can only name indexes: of a live object,
 * of a slot past the span's objects, out of range, or of the popped object
 * itself (a loop). None is handed out; each is reported and counted.
 */
static void gm_test_fl_encoded(struct kunit *test)
{
	long before = atomic_long_read(&gm_errors.freelist_corrupted);
	unsigned int nelems = gm_class_to_nobjs[GM_C64];
	struct gm_fl_objs o;
	unsigned long idx[] = { 3, nelems, GM_MAX_OBJS_PER_SPAN - 1,
				GM_MAX_OBJS_PER_SPAN, 0 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		gm_fl_setup(test, &o);
		kunit_info(test, "link decodes to index %lu\n", idx[i]);
		gm_fl_check(test, &o, gm_fl_link(o.a, idx[i]),
			    idx[i] < GM_MAX_OBJS_PER_SPAN ? o.a + idx[i] * 64 : NULL);
		kunit_remove_resource(test, &gm_fl_res);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.freelist_corrupted),
			before + (long)ARRAY_SIZE(idx));
}

/*
 * ---- init_on_free: nothing of a freed object survives in memory that is
 * handed out again unzeroed (init_on_alloc=0): not the LIFO link, not debug
 * mode's poison and records ----
 */

/* Bytes of [p, p + n) that are not zero. */
static unsigned long gm_nonzero(const void *p, size_t n)
{
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bad += ((const u8 *)p)[i] != 0;
	return bad;
}

struct gm_span_mem {
	unsigned long base;
	size_t bytes;
};

static void gm_span_mem(struct kunit *test, const void *obj, struct gm_span_mem *m)
{
	struct gm_mspan *s = gm_span_of(obj);

	KUNIT_ASSERT_NOT_NULL(test, s);
	m->base = s->base;
	m->bytes = (size_t)s->npages << PAGE_SHIFT;
}

static void gm_test_init_on_free(struct kunit *test)
{
	char *objs[16], *keep, *tiny[48];
	struct gm_span_mem small, tspan, dspan;
	unsigned int i;

	if (!want_init_on_free())
		kunit_skip(test, "needs a kernel booted with init_on_free=1");
	migrate_disable();
	/* Objects freed to the LIFO list, the span given up while one lives. */
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = gomalloc(64, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		memset(objs[i], 0xa5, 64);
	}
	keep = gomalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	gm_span_mem(test, objs[0], &small);
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		gofree(objs[i]);
	gm_mcache_drain_all();
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		KUNIT_EXPECT_EQ_MSG(test, gm_nonzero(objs[i], 64), 0UL,
				    "object %u of a span given up (window slot now)", i);
	gofree(keep);
	/* Tiny objects, their blocks freed through the LIFO list. */
	for (i = 0; i < ARRAY_SIZE(tiny); i++) {
		tiny[i] = gomalloc_tiny(5, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, tiny[i]);
		memset(tiny[i], 0xa5, 5);
	}
	gm_span_mem(test, tiny[0], &tspan);
	for (i = 0; i < ARRAY_SIZE(tiny); i++)
		gofree(tiny[i]);
	migrate_enable();
	/* Debug objects: poison, red zones and records in the span. */
	gm_set_debug_flags(GM_DEBUG_ALL);
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = gomalloc(100, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		memset(objs[i], 0xa5, 100);
	}
	gm_span_mem(test, objs[0], &dspan);
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		gofree(objs[i]);
	gm_set_debug_flags(0);
	/* Every span back to the heap (kept there: nothing releases arenas). */
	gm_mcache_drain_all();
	gm_debug_drain();
	gm_mcentral_sweep_all();
	KUNIT_EXPECT_EQ_MSG(test, gm_nonzero((void *)small.base, small.bytes), 0UL,
			    "bytes left in a small span's pages back in the heap");
	KUNIT_EXPECT_EQ_MSG(test, gm_nonzero((void *)tspan.base, tspan.bytes), 0UL,
			    "bytes left in a tiny span's pages back in the heap");
	KUNIT_EXPECT_EQ_MSG(test, gm_nonzero((void *)dspan.base, dspan.bytes), 0UL,
			    "bytes left in a debug span's pages back in the heap");
}

/* ---- tiny ---- */

static void gm_test_tiny_blocks(struct kunit *test)
{
	long dbl = atomic_long_read(&gm_errors.double_frees);
	char *a, *b, *c, *d, *e;

	migrate_disable();
	a = gomalloc_tiny(5, GFP_KERNEL);
	b = gomalloc_tiny(3, GFP_KERNEL);
	c = gomalloc_tiny(4, GFP_KERNEL);	/* aligned to 4 */
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_PTR_EQ(test, b, a + 5);
	KUNIT_EXPECT_PTR_EQ(test, c, a + 8);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)a, GM_TINY_BLOCK));
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(b), (size_t)3);
	gofree(a);
	gofree(b);
	gofree(c);
	gofree(c);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.double_frees), dbl + 1);
	/* Still the current block: not freed, more fits in it. */
	KUNIT_EXPECT_TRUE(test, test_bit(gm_span_objindex(gm_span_of(a), (unsigned long)a),
					 gm_span_of(a)->alloc_bits));
	d = gomalloc_tiny(2, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, d, a + 12);
	e = gomalloc_tiny(8, GFP_KERNEL);	/* does not fit: new block */
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)e, GM_TINY_BLOCK));
	KUNIT_EXPECT_NE(test, (unsigned long)e & ~15UL, (unsigned long)a);
	gofree(d);	/* last sub-object of a retired block: block freed */
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(a), (size_t)0);
	gofree(e);
	migrate_enable();
}

/* ---- bad frees and counters ---- */

static void gm_test_bad_frees(struct kunit *test)
{
	long inv = atomic_long_read(&gm_errors.invalid_frees);
	long dbl = atomic_long_read(&gm_errors.double_frees);
	long before = gm_objects();
	void *k = kmalloc(32, GFP_KERNEL);
	char *p = gomalloc(256, GFP_KERNEL), *l = gomalloc(40000, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, l);
	gofree(k);
	gofree(p + 16);
	gofree(l + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.invalid_frees), inv + 3);
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(p), (size_t)256);
	gofree(p);
	gofree(p);
	gofree(l);
	gofree(l);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.double_frees), dbl + 2);
	KUNIT_EXPECT_EQ(test, gm_objects(), before);
	KUNIT_EXPECT_PTR_EQ(test, gorealloc(k, 100, GFP_KERNEL), NULL);
	kfree(k);
}

static void gm_test_stats_exact(struct kunit *test)
{
	long before = gm_objects(), o, b, t, b0;
	void *objs[40];
	unsigned int i;

	gm_stats_objects(&o, &b0, &t);
	for (i = 0; i < 30; i++)
		objs[i] = gomalloc(1 + i * 97, GFP_KERNEL);
	for (; i < 35; i++)
		objs[i] = gomalloc_tiny(i - 29, GFP_KERNEL);
	for (; i < 40; i++)
		objs[i] = gomalloc(40000 * (i - 34), GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, gm_objects(), before + 40);
	gm_stats_objects(&o, &b, &t);
	for (i = 0; i < 40; i++)
		b0 += gomalloc_usable_size(objs[i]);
	KUNIT_EXPECT_EQ(test, b, b0);
	KUNIT_EXPECT_EQ(test, t, 5L);
	for (i = 0; i < 40; i++)
		gofree(objs[i]);
	KUNIT_EXPECT_EQ(test, gm_objects(), before);
}

/*
 * PREEMPT_RT, where the caller cannot sleep (here a hard interrupt, faked
 * as above): an allocation missing the (never filled) hardirq cache is
 * refused and counted; a free past the fast path is deferred and done; a
 * double free is reported at once, not deferred.
 */
static void gm_test_rt_atomic(struct kunit *test)
{
	long refused = atomic_long_read(&gm_errors.rt_atomic_refused);
	long deferred = atomic_long_read(&gm_errors.rt_frees_deferred);
	long dbl = atomic_long_read(&gm_errors.double_frees);
	const gfp_t gfp = GFP_ATOMIC | __GFP_NOWARN;
	long before = gm_objects();
	unsigned long flags;
	void *p[4], *q[3];
	unsigned int i;

	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "a PREEMPT_RT kernel only");
	p[0] = gomalloc(64, GFP_KERNEL);
	p[1] = gomalloc_tiny(5, GFP_KERNEL);
	p[2] = gomalloc(100000, GFP_KERNEL);
	p[3] = gomalloc(64, GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	gofree(p[3]);
	local_irq_save(flags);
	__preempt_count_add(HARDIRQ_OFFSET);
	q[0] = gomalloc(64, gfp);
	q[1] = gomalloc_tiny(5, gfp);
	q[2] = gomalloc(100000, gfp);
	for (i = 0; i < 3; i++)
		gofree(p[i]);
	gofree(p[3]);	/* freed already */
	__preempt_count_sub(HARDIRQ_OFFSET);
	local_irq_restore(flags);
	for (i = 0; i < ARRAY_SIZE(q); i++)
		KUNIT_EXPECT_NULL_MSG(test, q[i], "allocation %u in a hard interrupt", i);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.rt_atomic_refused), refused + 3);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.rt_frees_deferred), deferred + 3);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.double_frees), dbl + 1);
	gm_mcache_nmi_flush();
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ_MSG(test, gomalloc_usable_size(p[i]), (size_t)0,
				    "deferred free %u not done", i);
	KUNIT_EXPECT_EQ(test, gm_objects(), before);
}

/* ---- NMI context, refused zones ---- */

/* What an NMI handler sees: in_nmi(), hardirq, interrupts off. */
static void gm_fake_nmi_enter(unsigned long *flags)
{
	local_irq_save(*flags);
	preempt_count_add(NMI_OFFSET + HARDIRQ_OFFSET);
}

static void gm_fake_nmi_exit(unsigned long flags)
{
	preempt_count_sub(NMI_OFFSET + HARDIRQ_OFFSET);
	local_irq_restore(flags);
}

/* Nothing is allocated in NMI, with debug mode on or off, before any lock. */
static void gm_test_nmi_alloc(struct kunit *test)
{
	const gfp_t gfp = GFP_ATOMIC | __GFP_NOWARN;
	void *p[6];
	unsigned long flags;
	unsigned int i;

	gm_fake_nmi_enter(&flags);
	p[0] = gomalloc(64, gfp);
	p[1] = gomalloc_tiny(5, gfp);
	p[2] = gomalloc(100000, gfp);
	gm_fake_nmi_exit(flags);
	gm_set_debug_flags(GM_DEBUG_ALL);
	gm_fake_nmi_enter(&flags);
	p[3] = gomalloc(64, gfp);
	p[4] = gomalloc_tiny(5, gfp);
	p[5] = gorealloc(NULL, 200, gfp);
	gm_fake_nmi_exit(flags);
	gm_set_debug_flags(0);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		KUNIT_EXPECT_NULL_MSG(test, p[i], "allocation %u in NMI", i);
		gofree(p[i]);
	}
}

/* Frees from NMI are deferred, then done; with no slot left, counted lost. */
static void gm_test_nmi_free(struct kunit *test)
{
	long nmi = atomic_long_read(&gm_errors.nmi_frees);
	long lost = atomic_long_read(&gm_errors.nmi_frees_lost);
	long before = gm_objects();
	unsigned long flags, deadline;
	const unsigned int n = GM_NMI_SLOTS + 8;
	unsigned int i, live;
	void **p;

	p = kunit_kcalloc(test, n, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < n; i++) {
		p[i] = i % 3 == 0 ? gomalloc(64, GFP_KERNEL) :
		       i % 3 == 1 ? gomalloc_tiny(5, GFP_KERNEL) :
				    gomalloc(100000, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	gm_fake_nmi_enter(&flags);
	for (i = 0; i < n; i++)
		gofree(p[i]);
	gm_fake_nmi_exit(flags);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.nmi_frees), nmi + GM_NMI_SLOTS);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.nmi_frees_lost), lost + 8);
	/* The irq_work runs once interrupts are on again: wait for it. */
	deadline = jiffies + 2 * HZ;
	do {
		for (i = 0, live = 0; i < GM_NMI_SLOTS; i++)
			live += gomalloc_usable_size(p[i]) != 0;
		if (!live)
			break;
		usleep_range(1000, 2000);
	} while (time_before(jiffies, deadline));
	KUNIT_EXPECT_EQ(test, live, 0U);
	for (i = 0; i < GM_NMI_SLOTS; i++)	/* not done: no leak for the next tests */
		if (gomalloc_usable_size(p[i]))
			gofree(p[i]);
	/* The lost ones are still allocated: free them for real. */
	for (i = GM_NMI_SLOTS; i < n; i++) {
		KUNIT_EXPECT_NE(test, gomalloc_usable_size(p[i]), (size_t)0);
		gofree(p[i]);
	}
	KUNIT_EXPECT_EQ(test, gm_objects(), before);
}

/* __GFP_DMA and __GFP_DMA32 are refused, never served from another zone. */
static void gm_test_gfp_zone_refused(struct kunit *test)
{
	long bad = atomic_long_read(&gm_errors.bad_flags);
	void *p[4];
	unsigned int i;

	p[0] = gomalloc(64, GFP_KERNEL | GFP_DMA);
	p[1] = gomalloc(64, GFP_KERNEL | GFP_DMA32);
	p[2] = gomalloc(100000, GFP_KERNEL | GFP_DMA32);
	p[3] = gomalloc_tiny(3, GFP_ATOMIC | GFP_DMA);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		KUNIT_EXPECT_NULL_MSG(test, p[i], "request %u", i);
		gofree(p[i]);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.bad_flags), bad + 4);
}

/*
 * Under pressure with nothing to give back, the shrinker says so: live
 * objects in every class keep their arena, a scan frees nothing and stops,
 * the next count is empty, and no CPU's cache was drained for it.
 */
static void gm_test_shrinker_nothing_to_free(struct kunit *test)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL, .nr_to_scan = 128 };
	struct gm_mspan *cur[GM_NUM_SIZE_CLASSES], *after[GM_NUM_SIZE_CLASSES];
	void *objs[GM_NUM_SIZE_CLASSES];
	unsigned int sc_i;
	unsigned long n;

	migrate_disable();
	for (sc_i = 1; sc_i < GM_NUM_SIZE_CLASSES; sc_i++) {
		objs[sc_i] = gomalloc(gm_class_to_size[sc_i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[sc_i]);
	}
	preempt_disable();
	for (sc_i = 1; sc_i < GM_NUM_SIZE_CLASSES; sc_i++)
		cur[sc_i] = gm_this_mcache()->cls[sc_i].span;
	preempt_enable();
	/* The first scan may give back what growth left over. */
	gm_shrink_scan(NULL, &sc);
	n = gm_shrink_count(NULL, &sc);
	KUNIT_EXPECT_EQ(test, n, (unsigned long)SHRINK_EMPTY);
	KUNIT_EXPECT_EQ(test, gm_shrink_scan(NULL, &sc), (unsigned long)SHRINK_STOP);
	preempt_disable();
	for (sc_i = 1; sc_i < GM_NUM_SIZE_CLASSES; sc_i++)
		after[sc_i] = gm_this_mcache()->cls[sc_i].span;
	preempt_enable();
	for (sc_i = 1; sc_i < GM_NUM_SIZE_CLASSES; sc_i++)
		KUNIT_EXPECT_PTR_EQ(test, after[sc_i], cur[sc_i]);
	for (sc_i = 1; sc_i < GM_NUM_SIZE_CLASSES; sc_i++)
		gofree(objs[sc_i]);
	migrate_enable();
	/* Now there is: the caches' spans, once drained, empty whole arenas. */
	gm_mcache_drain_all();
	KUNIT_EXPECT_NE(test, gm_shrink_count(NULL, &sc), (unsigned long)SHRINK_EMPTY);
	KUNIT_EXPECT_NE(test, gm_shrink_scan(NULL, &sc), (unsigned long)SHRINK_STOP);
}

/*
 * Natural alignment, as kmalloc: GM_POW2_N objects of every power of two
 * from 8 bytes to GOMALLOC_MAX_SIZE, each checked, written and freed; a
 * large one freed and allocated again on the same CPU comes back from the
 * large cache; the misaligned ones are counted in the test's log.
 */
#define GM_POW2_N	4
static void gm_pow2_round(struct kunit *test, const char *when)
{
	unsigned int i, bad = 0, nobj = 0;
	void *objs[GM_POW2_N], *p, *q;
	unsigned long badsizes = 0;
	bool parked;
	size_t size;

	for (size = 8; size <= GOMALLOC_MAX_SIZE; size <<= 1) {
		for (i = 0; i < GM_POW2_N; i++) {
			p = gomalloc(size, GFP_KERNEL);
			objs[i] = p;
			KUNIT_ASSERT_NOT_NULL(test, p);
			nobj++;
			if (!IS_ALIGNED((unsigned long)p, size)) {
				bad++;
				badsizes |= size;
			}
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p, size),
					      "%s: %zu bytes at %p", when, size, p);
			KUNIT_EXPECT_GE(test, gomalloc_usable_size(p), size);
			memset(p, 0x5a, size);
		}
		for (i = 0; i < GM_POW2_N; i++)
			gofree(objs[i]);
		if (size <= GM_MAX_SMALL_SIZE || size > GM_LARGE_CACHE_PAGES * PAGE_SIZE)
			continue;
		migrate_disable();	/* the free and the allocation on one CPU */
		p = gomalloc(size, GFP_KERNEL);
		gofree(p);
		q = p ? gomalloc(size, GFP_KERNEL) : NULL;
		migrate_enable();
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_ASSERT_NOT_NULL(test, q);
		/* A parked span: the one just freed or one freed before. */
		parked = q == p;
		for (i = 0; i < GM_POW2_N; i++)
			parked |= q == objs[i];
		KUNIT_EXPECT_TRUE_MSG(test, parked, "%s: %zu bytes: %p is not a parked span",
				      when, size, q);
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)q, size),
				      "%s: %zu bytes from the large cache at %p", when, size, q);
		gofree(q);
	}
	kunit_info(test, "%s: %u of %u objects misaligned (sizes 0x%lx)\n", when, bad, nobj,
		   badsizes);
}

static void gm_test_pow2_aligned(struct kunit *test)
{
	long inv = atomic_long_read(&gm_errors.invalid_frees);
	long dbl = atomic_long_read(&gm_errors.double_frees);
	long before = gm_objects();
	void *frag[24];
	unsigned int i;

	gm_pow2_round(test, "fresh heap");
	/*
	 * Fragment the pageCache (3-page spans of 12 KiB objects) and the
	 * free tree (10-page large objects), then free every other one: free
	 * runs of odd lengths at odd offsets.
	 */
	for (i = 0; i < ARRAY_SIZE(frag); i++) {
		frag[i] = gomalloc(i % 2 ? 12288 : 9 * PAGE_SIZE + 8, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, frag[i]);
	}
	for (i = 0; i < ARRAY_SIZE(frag); i += 4) {
		gofree(frag[i]);
		gofree(frag[i + 1]);
		frag[i] = NULL;
		frag[i + 1] = NULL;
	}
	gm_pow2_round(test, "fragmented heap");
	for (i = 0; i < ARRAY_SIZE(frag); i++)
		gofree(frag[i]);
	gm_pow2_round(test, "after the frees");
	KUNIT_EXPECT_EQ(test, gm_objects(), before);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.invalid_frees), inv);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.double_frees), dbl);
}

static struct kunit_case gm_object_cases[] = {
	KUNIT_CASE(gm_test_span_alloc_cache),
	KUNIT_CASE(gm_test_span_remote_sweep),
	KUNIT_CASE(gm_test_mcentral_full_findable),
	KUNIT_CASE(gm_test_mcentral_partial_order),
	KUNIT_CASE(gm_test_mcentral_empty_reserve),
	KUNIT_CASE(gm_test_mcache_lifo),
	KUNIT_CASE(gm_test_mcache_lifo_partial),
	KUNIT_CASE(gm_test_mcache_refill),
	KUNIT_CASE(gm_test_mcache_bounded),
	KUNIT_CASE(gm_test_mcache_remote_then_drain),
	KUNIT_CASE(gm_test_fl_live_slot),
	KUNIT_CASE(gm_test_fl_interior),
	KUNIT_CASE(gm_test_fl_foreign),
	KUNIT_CASE(gm_test_fl_encoded),
	KUNIT_CASE(gm_test_init_on_free),
	KUNIT_CASE(gm_test_tiny_blocks),
	KUNIT_CASE(gm_test_bad_frees),
	KUNIT_CASE(gm_test_stats_exact),
	KUNIT_CASE(gm_test_nmi_alloc),
	KUNIT_CASE(gm_test_nmi_free),
	KUNIT_CASE(gm_test_rt_atomic),
	KUNIT_CASE(gm_test_gfp_zone_refused),
	KUNIT_CASE(gm_test_shrinker_nothing_to_free),
	KUNIT_CASE(gm_test_pow2_aligned),
	{}
};

struct kunit_suite gm_object_suite = {
	.name = "gomalloc_objects",
	.init = gm_kunit_quiet_init,
	.exit = gm_kunit_quiet_exit,
	.test_cases = gm_object_cases,
};
