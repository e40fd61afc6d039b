/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by gomalloc's KUnit suites: the suites and a quiet-heap fixture. */
#ifndef _GM_KUNIT_H
#define _GM_KUNIT_H

#include <kunit/test.h>

extern struct kunit_suite gm_sizeclass_suite;
extern struct kunit_suite gm_heap_suite;
extern struct kunit_suite gm_object_suite;
extern struct kunit_suite gm_debug_suite;
extern struct kunit_suite gm_race_suite;
extern struct kunit_suite gm_cache_suite;
extern struct kunit_suite gm_rcu_suite;
extern struct kunit_suite gm_prof_suite;

int gm_kunit_quiet_init(struct kunit *test);
void gm_kunit_quiet_exit(struct kunit *test);

#endif /* _GM_KUNIT_H */
