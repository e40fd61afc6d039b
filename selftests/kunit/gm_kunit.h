/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by gomalloc's KUnit suites: the suites and a quiet-heap fixture. */
#ifndef _GM_KUNIT_H
#define _GM_KUNIT_H

#include <linux/kasan.h>
#include <linux/types.h>
#include <kunit/resource.h>
#include <kunit/test.h>
#include "mreport.h"

extern struct kunit_suite gm_sizeclass_suite;
extern struct kunit_suite gm_heap_suite;
extern struct kunit_suite gm_object_suite;
extern struct kunit_suite gm_debug_suite;
extern struct kunit_suite gm_race_suite;
extern struct kunit_suite gm_cache_suite;
extern struct kunit_suite gm_rcu_suite;
extern struct kunit_suite gm_prof_suite;

/*
 * Corruption on purpose, for gomalloc's own checks to find (debug mode's red
 * zones and poison, the hardened LIFO list): reads and writes KASAN, which
 * sees gomalloc's objects (masan.h), does not report.
 */
static inline u8 gm_kunit_peek(const void *p)
{
	u8 v;

	kasan_disable_current();
	v = READ_ONCE(*(const u8 *)p);
	kasan_enable_current();
	return v;
}

static inline void gm_kunit_poke(void *p, u8 v)
{
	kasan_disable_current();
	WRITE_ONCE(*(u8 *)p, v);
	kasan_enable_current();
}

static inline void gm_kunit_poke_long(void *p, unsigned long v)
{
	kasan_disable_current();
	WRITE_ONCE(*(unsigned long *)p, v);
	kasan_enable_current();
}

int gm_kunit_quiet_init(struct kunit *test);

static inline void gm_kunit_reports_done(struct kunit_resource *res)
{
	gm_report_count_for(NULL, NULL);
}

/* gomalloc's reports made by this test's task, counted in *@count until it ends. */
static inline int gm_kunit_count_reports(struct kunit *test, struct kunit_resource *res,
					 int *count)
{
	*count = 0;
	gm_report_count_for(current, count);
	return kunit_add_named_resource(test, NULL, gm_kunit_reports_done, res,
					"gomalloc_errors", count);
}
void gm_kunit_quiet_exit(struct kunit *test);

#endif /* _GM_KUNIT_H */
