// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: typed caches (typedcache.c) and bulk allocation: constructors,
 * alignment, SLAB_TYPESAFE_BY_RCU, destroy's leak count, /proc counts.
 */
#include <kunit/test.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "gm_kunit.h"
#include "mcache.h"
#include "mcentral.h"
#include "mdebug.h"
#include "mheap.h"
#include "mpagecache.h"
#include "mreport.h"
#include "mstats.h"
#include "typedcache.h"


#define GM_T_MAGIC	0x5a5a5a5a5a5a5a5aUL

struct gm_t_obj {
	unsigned long magic;
	unsigned long gen;
	char pad[48];
};

static atomic_t gm_t_ctor_calls;

static void gm_t_ctor(void *p)
{
	struct gm_t_obj *o = p;

	atomic_inc(&gm_t_ctor_calls);
	o->magic = GM_T_MAGIC;
	o->gen = 0;
	memset(o->pad, 0x33, sizeof(o->pad));
}

static long gm_t_objects(void)
{
	long objects, bytes, tiny;

	gm_stats_objects(&objects, &bytes, &tiny);
	return objects;
}

/* The ctor runs once per slot as a span is carved; state survives free. */
static void gm_test_cache_ctor(struct kunit *test)
{
	struct gomalloc_cache *c;
	struct gm_t_obj *o, *again;
	unsigned int per_span, i;
	void **objs;

	atomic_set(&gm_t_ctor_calls, 0);
	c = gomalloc_cache_create("gm_t_ctor", sizeof(*o), 0, 0, gm_t_ctor);
	KUNIT_ASSERT_NOT_NULL(test, c);
	per_span = (c->central.npages << PAGE_SHIFT) / c->central.elemsize;
	objs = kunit_kcalloc(test, per_span, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	migrate_disable();	/* one CPU's slot: one span */
	for (i = 0; i < per_span; i++) {
		objs[i] = gomalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		o = objs[i];
		KUNIT_EXPECT_EQ(test, o->magic, GM_T_MAGIC);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&gm_t_ctor_calls), (int)per_span);
	/* A freed object keeps what it held (also under init_on_alloc/free). */
	o = objs[0];
	o->gen = 42;
	gomalloc_cache_free(c, o);
	again = gomalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, again, o);
	KUNIT_EXPECT_EQ(test, again->magic, GM_T_MAGIC);
	KUNIT_EXPECT_EQ(test, again->gen, 42UL);
	KUNIT_EXPECT_EQ(test, (int)again->pad[sizeof(again->pad) - 1], 0x33);
	migrate_enable();
	for (i = 0; i < per_span; i++)
		gomalloc_cache_free(c, objs[i]);
	KUNIT_EXPECT_EQ(test, atomic_read(&gm_t_ctor_calls), (int)per_span);
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), 0UL);
}

/* Every align up to PAGE_SIZE, at sizes below, at and above it. */
static void gm_test_cache_align(struct kunit *test)
{
	static const unsigned int sizes[] = { 1, 24, 100, 1000, 5000 };
	unsigned int align, i, k;
	struct gomalloc_cache *c;
	void *p[8];

	for (align = 8; align <= PAGE_SIZE; align <<= 1)
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			c = gomalloc_cache_create("gm_t_align", sizes[i], align, 0, NULL);
			KUNIT_ASSERT_NOT_NULL(test, c);
			for (k = 0; k < ARRAY_SIZE(p); k++) {
				p[k] = gomalloc_cache_alloc(c, GFP_KERNEL);
				KUNIT_ASSERT_NOT_NULL(test, p[k]);
				KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p[k], align),
						      "size %u align %u: %p", sizes[i], align, p[k]);
				KUNIT_EXPECT_GE(test, gomalloc_usable_size(p[k]), (size_t)sizes[i]);
				memset(p[k], 0xee, sizes[i]);
			}
			for (k = 0; k < ARRAY_SIZE(p); k++)
				gofree(p[k]);	/* gofree() takes typed objects too */
			KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), 0UL);
		}
	/* SLAB_HWCACHE_ALIGN: a cache line for objects above half of one. */
	c = gomalloc_cache_create("gm_t_hw", 40, 0, SLAB_HWCACHE_ALIGN, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, c->central.elemsize % cache_line_size(), 0U);
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), 0UL);
}

/* Flags gomalloc cannot honour fail create, naming the flag. */
static void gm_test_cache_flags(struct kunit *test)
{
	struct gomalloc_cache *c;

	if (SLAB_ACCOUNT)	/* 0 without CONFIG_MEMCG_KMEM */
		KUNIT_EXPECT_NULL(test, gomalloc_cache_create("gm_t_acct", 64, 0, SLAB_ACCOUNT,
							      NULL));
	if (SLAB_RECLAIM_ACCOUNT)	/* 0 with CONFIG_SLUB_TINY (6.12) */
		KUNIT_EXPECT_NULL(test, gomalloc_cache_create("gm_t_recl", 64, 0,
							      SLAB_RECLAIM_ACCOUNT, NULL));
	KUNIT_EXPECT_NULL(test, gomalloc_cache_create("gm_t_big", 40000, 0, 0, NULL));
	KUNIT_EXPECT_NULL(test, gomalloc_cache_create("gm_t_al", 64, 24, 0, NULL));
	/* A name in use is refused; once destroyed it can be used again. */
	c = gomalloc_cache_create("gm_t_name", 64, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_NULL(test, gomalloc_cache_create("gm_t_name", 64, 0, 0, NULL));
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), 0UL);
	c = gomalloc_cache_create("gm_t_name", 64, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), 0UL);
}

/*
 * SLAB_TYPESAFE_BY_RCU: a freed object may be reused at once, but its span's
 * pages go back to the heap only after a grace period; meanwhile a reader
 * that found the object still sees an object of the type.
 */
static void gm_test_cache_typesafe_rcu(struct kunit *test)
{
	unsigned long free_before, free_during, pages, released, nspans, magic, gen;
	struct gomalloc_cache *c;
	struct gm_t_obj *o;

	c = gomalloc_cache_create("gm_t_rcu", sizeof(*o), 0, SLAB_TYPESAFE_BY_RCU, gm_t_ctor);
	KUNIT_ASSERT_NOT_NULL(test, c);
	migrate_disable();	/* alloc, free and drain on one CPU's slot */
	o = gomalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	pages = c->central.npages;
	o->gen = 7;
	gm_pagecache_flush_all();
	free_before = READ_ONCE(gm_heap.pages_free);
	rcu_read_lock();
	gomalloc_cache_free(c, o);
	/* Its span leaves this CPU's slot and, empty, the class: released. */
	gm_mcache_drain_local();
	released = gm_mcentral_sweep(&c->central, NULL);
	nspans = READ_ONCE(c->central.nspans);
	/* Not yet freed: a reader still sees an object of the type. */
	free_during = READ_ONCE(gm_heap.pages_free);
	magic = READ_ONCE(o->magic);
	gen = READ_ONCE(o->gen);
	rcu_read_unlock();	/* KUnit's reports may sleep: checked after */
	migrate_enable();
	KUNIT_EXPECT_EQ(test, released, 1UL);
	KUNIT_EXPECT_EQ(test, nspans, 0UL);
	KUNIT_EXPECT_EQ(test, free_during, free_before);
	KUNIT_EXPECT_EQ(test, magic, GM_T_MAGIC);
	KUNIT_EXPECT_EQ(test, gen, 7UL);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, READ_ONCE(gm_heap.pages_free), free_before + pages);
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), 0UL);
}

/* Destroy with live objects: their exact number, the memory kept. */
static void gm_test_cache_destroy_leak(struct kunit *test)
{
	long leaks = atomic_long_read(&gm_errors.cache_leaks);
	struct gomalloc_cache *c;
	void *p[5];
	unsigned int i;

	c = gomalloc_cache_create("gm_t_leak", 200, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = gomalloc_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		memset(p[i], i, 200);
	}
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), (unsigned long)ARRAY_SIZE(p));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.cache_leaks), leaks + 1);
	/* Kept: the objects are intact, and still free as objects of it. */
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		KUNIT_EXPECT_EQ(test, ((u8 *)p[i])[199], (u8)i);
		gofree(p[i]);
	}
	/* The name is free again. */
	c = gomalloc_cache_create("gm_t_leak", 200, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), 0UL);
}

/* Per-cache counts exact; a free through the wrong cache still frees. */
static void gm_test_cache_counts(struct kunit *test)
{
	long wrong = atomic_long_read(&gm_errors.wrong_cache_frees);
	long base = gm_t_objects();
	struct gomalloc_cache *a, *b;
	unsigned long nmalloc, nfree;
	void *p[37], *q;
	unsigned int i;

	a = gomalloc_cache_create("gm_t_cnt_a", 72, 0, 0, NULL);
	b = gomalloc_cache_create("gm_t_cnt_b", 72, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = gomalloc_cache_alloc(a, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	gomalloc_cache_free(a, p[0]);
	gm_mcache_typed_counts(a->spc, &nmalloc, &nfree);
	KUNIT_EXPECT_EQ(test, nmalloc, (unsigned long)ARRAY_SIZE(p));
	KUNIT_EXPECT_EQ(test, nfree, 1UL);
	KUNIT_EXPECT_EQ(test, gm_t_objects(), base + (long)ARRAY_SIZE(p) - 1);
	/* Same size, other cache: never the same span. */
	q = gomalloc_cache_alloc(b, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	for (i = 1; i < ARRAY_SIZE(p); i++)
		KUNIT_EXPECT_PTR_NE(test, gm_span_of(q), gm_span_of(p[i]));
	gomalloc_cache_free(b, p[1]);	/* wrong cache: reported, freed in a */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.wrong_cache_frees), wrong + 1);
	gm_mcache_typed_counts(a->spc, &nmalloc, &nfree);
	KUNIT_EXPECT_EQ(test, nfree, 2UL);
	for (i = 2; i < ARRAY_SIZE(p); i++)
		gomalloc_cache_free(a, p[i]);
	gomalloc_cache_free(b, q);
	KUNIT_EXPECT_EQ(test, gm_t_objects(), base);
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(a), 0UL);
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(b), 0UL);
}

/* Bulk: distinct objects across span boundaries, zeroed when asked. */
static void gm_test_bulk(struct kunit *test)
{
	long base = gm_t_objects();
	struct gomalloc_cache *c;
	unsigned int i, j, n = 700;
	void **p;

	p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	c = gomalloc_cache_create("gm_t_bulk", 96, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, gomalloc_cache_alloc_bulk(c, GFP_KERNEL | __GFP_ZERO, n, p), (int)n);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_TRUE(test, !memchr_inv(p[i], 0, 96));
		memset(p[i], 0xab, 96);
		for (j = i + 1; j < n && j < i + 64; j++)
			KUNIT_EXPECT_PTR_NE(test, p[i], p[j]);
	}
	KUNIT_EXPECT_EQ(test, gm_t_objects(), base + (long)n);
	gomalloc_cache_free_bulk(c, n, p);
	KUNIT_EXPECT_EQ(test, gomalloc_bulk(200, GFP_KERNEL, n, p), (int)n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_GE(test, gomalloc_usable_size(p[i]), (size_t)200);
	KUNIT_EXPECT_EQ(test, gm_t_objects(), base + (long)n);
	gofree_bulk(n, p);
	KUNIT_EXPECT_EQ(test, gm_t_objects(), base);
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), 0UL);
}

/*
 * All or nothing under gomalloc's fault injection: a bulk that empties the
 * current span and then cannot get another takes nothing.
 */
static void gm_test_bulk_fault(struct kunit *test)
{
#ifdef CONFIG_FAULT_INJECTION
	unsigned long probability = gm_fail_alloc.probability;
	unsigned long interval = gm_fail_alloc.interval;
	int times = atomic_read(&gm_fail_alloc.times);
	int verbose = gm_fail_alloc.verbose;
	long base = gm_t_objects();
	struct gomalloc_cache *c;
	void *held[100], **p;

	p = kunit_kcalloc(test, 2000, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	c = gomalloc_cache_create("gm_t_bulkf", 96, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	migrate_disable();	/* 100 objects: the current span is partly used */
	KUNIT_ASSERT_EQ(test, gomalloc_cache_alloc_bulk(c, GFP_KERNEL, 100, held), 100);
	gm_fail_alloc.verbose = 0;
	gm_fail_alloc.interval = 1;
	atomic_set(&gm_fail_alloc.times, -1);
	atomic_set(&gm_fail_alloc.space, 0);
	gm_fail_alloc.probability = 100;
	KUNIT_EXPECT_EQ(test, gomalloc_cache_alloc_bulk(c, GFP_KERNEL | __GFP_NOWARN, 64, p), 0);
	KUNIT_EXPECT_EQ(test, gomalloc_bulk(96, GFP_KERNEL | __GFP_NOWARN, 2000, p), 0);
	gm_fail_alloc.probability = probability;
	gm_fail_alloc.interval = interval;
	atomic_set(&gm_fail_alloc.times, times);
	gm_fail_alloc.verbose = verbose;
	migrate_enable();
	KUNIT_EXPECT_EQ(test, gm_t_objects(), base + 100);
	gomalloc_cache_free_bulk(c, 100, held);
	KUNIT_EXPECT_EQ(test, gm_t_objects(), base);
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), 0UL);
#else
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
#endif
}

/*
 * Bad frees through a cache: a double free, an interior pointer, an object
 * of gomalloc(), NULL as the cache; gorealloc() of a typed object.
 */
static void gm_test_cache_bad_frees(struct kunit *test)
{
	long dbl = atomic_long_read(&gm_errors.double_frees);
	long inval = atomic_long_read(&gm_errors.invalid_frees);
	long wrong = atomic_long_read(&gm_errors.wrong_cache_frees);
	long base = gm_t_objects();
	struct gomalloc_cache *c;
	void *p, *q, *r;

	c = gomalloc_cache_create("gm_t_bad", 100, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	p = gomalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomalloc_cache_free(c, p);
	gomalloc_cache_free(c, p);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.double_frees), dbl + 1);
	p = gomalloc_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gomalloc_cache_free(c, p + 8);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.invalid_frees), inval + 1);
	q = gomalloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	gomalloc_cache_free(c, q);	/* reported, freed as gofree() would */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gm_errors.wrong_cache_frees), wrong + 1);
	memset(p, 0x5c, 100);
	r = gorealloc(p, 3000, GFP_KERNEL);	/* moves to a size class */
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(r, 0x5c, 100));
	KUNIT_EXPECT_EQ(test, gomalloc_usable_size(p), (size_t)0);
	gomalloc_cache_free(NULL, r);	/* NULL cache: any object */
	KUNIT_EXPECT_EQ(test, gm_t_objects(), base);
	KUNIT_EXPECT_EQ(test, gm_cache_destroy(c), 0UL);
}

/* Bulk in debug mode: red zones intact whatever init_on_alloc says. */
static void gm_test_bulk_debug(struct kunit *test)
{
	unsigned long errors = gm_debug_errors();
	unsigned int n = 40, i;
	void **p;

	p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gm_set_debug_flags(GM_DEBUG_ALL);
	KUNIT_EXPECT_EQ(test, gomalloc_bulk(20, GFP_KERNEL | __GFP_ZERO, n, p), (int)n);
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_TRUE(test, !memchr_inv(p[i], 0, 20));
	gofree_bulk(n, p);
	KUNIT_EXPECT_EQ(test, gm_debug_validate(), 0UL);
	gm_set_debug_flags(0);
	KUNIT_EXPECT_EQ(test, gm_debug_errors(), errors);
}

static struct kunit_case gm_cache_cases[] = {
	KUNIT_CASE(gm_test_cache_ctor),
	KUNIT_CASE(gm_test_cache_align),
	KUNIT_CASE(gm_test_cache_flags),
	KUNIT_CASE(gm_test_cache_typesafe_rcu),
	KUNIT_CASE(gm_test_cache_destroy_leak),
	KUNIT_CASE(gm_test_cache_counts),
	KUNIT_CASE(gm_test_bulk),
	KUNIT_CASE(gm_test_bulk_fault),
	KUNIT_CASE(gm_test_cache_bad_frees),
	KUNIT_CASE(gm_test_bulk_debug),
	{}
};

struct kunit_suite gm_cache_suite = {
	.name = "gomalloc_caches",
	.init = gm_kunit_quiet_init,
	.exit = gm_kunit_quiet_exit,
	.test_cases = gm_cache_cases,
};
