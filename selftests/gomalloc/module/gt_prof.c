// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: prof: known amounts from two call sites, held for the
 * heap profile (gomalloc_profile.sh) to attribute; prof_free_a= frees the
 * first site's, unload the rest.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

static unsigned int prof_a_size = 1024, prof_a_count = 4096;
static unsigned int prof_b_size = 4096, prof_b_count = 2048;
module_param(prof_a_size, uint, 0444);
MODULE_PARM_DESC(prof_a_size, "prof: object size of the first site (gt_prof_site_a)");
module_param(prof_a_count, uint, 0444);
MODULE_PARM_DESC(prof_a_count, "prof: objects of the first site");
module_param(prof_b_size, uint, 0444);
MODULE_PARM_DESC(prof_b_size, "prof: object size of the second site (gt_prof_site_b)");
module_param(prof_b_count, uint, 0444);
MODULE_PARM_DESC(prof_b_count, "prof: objects of the second site");

static void **gt_prof_a, **gt_prof_b;

/*
 * Each site allocates all its objects from one call: one stack each. Their
 * flags differ, or the compiler merges the two identical functions.
 */
static noinline void gt_prof_site_a(void **p, unsigned int n, size_t size)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = gomalloc(size, GFP_KERNEL);
}

static noinline void gt_prof_site_b(void **p, unsigned int n, size_t size)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = gomalloc(size, GFP_KERNEL | __GFP_NOWARN);
}

static void gt_prof_free(void ***p, unsigned int n)
{
	unsigned int i;

	if (!*p)
		return;
	for (i = 0; i < n; i++)
		gofree((*p)[i]);
	kvfree(*p);
	*p = NULL;
}

void gt_prof_release(void)
{
	gt_prof_free(&gt_prof_a, prof_a_count);
	gt_prof_free(&gt_prof_b, prof_b_count);
}

static int gt_prof_free_a_set(const char *val, const struct kernel_param *kp)
{
	gt_prof_free(&gt_prof_a, prof_a_count);
	return 0;
}

static const struct kernel_param_ops gt_prof_free_a_ops = {
	.set = gt_prof_free_a_set,
};
module_param_cb(prof_free_a, &gt_prof_free_a_ops, NULL, 0200);
MODULE_PARM_DESC(prof_free_a, "prof: write to free the first site's objects");

void gt_prof(void)
{
	unsigned int i;

	gt_prof_a = kvcalloc(prof_a_count, sizeof(void *), GFP_KERNEL);
	gt_prof_b = kvcalloc(prof_b_count, sizeof(void *), GFP_KERNEL);
	if (!gt_prof_a || !gt_prof_b) {
		GT_CHECK(0, "no memory for the pointer arrays");
		return;
	}
	gt_prof_site_a(gt_prof_a, prof_a_count, prof_a_size);
	gt_prof_site_b(gt_prof_b, prof_b_count, prof_b_size);
	for (i = 0; i < prof_a_count; i++)
		GT_CHECK(gt_prof_a[i], "site a: allocation %u of %u bytes failed", i, prof_a_size);
	for (i = 0; i < prof_b_count; i++)
		GT_CHECK(gt_prof_b[i], "site b: allocation %u of %u bytes failed", i, prof_b_size);
	pr_info("gomalloc_test: prof: %u x %u bytes from gt_prof_site_a, %u x %u from gt_prof_site_b, held\n",
		prof_a_count, prof_a_size, prof_b_count, prof_b_size);
}
