// SPDX-License-Identifier: GPL-2.0
/*
 * Reports of bad input and corruption: counters, ratelimited messages, and
 * the KUnit resource a test expecting a report reads. Calls nothing of ours.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/printk.h>
#include <linux/sched.h>
#include <kunit/test.h>
#include <kunit/resource.h>
#include "gm_compat.h"
#include "mreport.h"

struct gm_errors gm_errors;
GM_EXPORT_INTERNAL(gm_errors);

#if IS_ENABLED(CONFIG_KUNIT)
void (*gm_race_hook)(enum gm_race_point point, const void *arg);
GM_EXPORT_INTERNAL(gm_race_hook);
#endif

/*
 * A KUnit test that expects reports sees each one through a resource named
 * "gomalloc_errors" (as slub_kunit does).
 */
void gm_report_error(atomic_long_t *counter)
{
	atomic_long_inc(counter);
#if IS_ENABLED(CONFIG_KUNIT)
	if (current->kunit_test) {
		struct kunit_resource *r;

		r = kunit_find_named_resource(current->kunit_test, "gomalloc_errors");
		if (r) {
			(*(int *)r->data)++;
			kunit_put_resource(r);
		}
	}
#endif
}

void gm_report_free(const void *p, const char *why, bool dbl, unsigned long ip)
{
	atomic_long_inc(dbl ? &gm_errors.double_frees : &gm_errors.invalid_frees);
	pr_err_ratelimited("gofree(%p) from %pS: %s; ignored\n", p, (void *)ip, why);
}
GM_EXPORT_INTERNAL(gm_report_free);
