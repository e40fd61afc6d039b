// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: badinput, faults, warn and nofail: bad frees, and
 * allocation failures (injected by the script) seen through the API.
 */
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

/* ---- bad input: each is reported, counted and ignored ---- */

static unsigned int expect_invalid, expect_double;
module_param(expect_invalid, uint, 0444);
MODULE_PARM_DESC(expect_invalid, "Invalid frees the badinput test made (output)");
module_param(expect_double, uint, 0444);
MODULE_PARM_DESC(expect_double, "Double frees the badinput test made (output)");

noinline void gt_badinput(void)
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

void gt_faults(void)
{
	static void *objs[256];
	unsigned long end = jiffies + gt_seconds * HZ;
	unsigned int i, ok = 0;

	while (time_before(jiffies, end)) {
		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			size_t n = i % 4 ? 16 << (i % 11) : 40000 + i * 4096;

			objs[i] = gomalloc(n, GFP_KERNEL | __GFP_NOWARN);
			if (!objs[i]) {
				gt_failures_seen++;
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
	pr_info("gomalloc_test: faults: %u allocations, %u NULL returns\n", ok, gt_failures_seen);
}

/* ---- warn: failures print gomalloc's warning unless __GFP_NOWARN ---- */

static bool nowarn;
module_param(nowarn, bool, 0444);
MODULE_PARM_DESC(nowarn, "warn: allocate with __GFP_NOWARN");

void gt_warn(void)
{
	gfp_t gfp = GFP_KERNEL | (nowarn ? __GFP_NOWARN : 0);
	void *p[8];
	unsigned int i;

	/* Large objects of their own arena, then 32 KiB ones (one per span). */
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = gomalloc(i < 2 ? (3 << 20) + i * PAGE_SIZE : 32768, gfp);
		if (!p[i])
			gt_failures_seen++;
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		gofree(p[i]);
	pr_info("gomalloc_test: warn: %u NULL return(s) with%s __GFP_NOWARN\n",
		gt_failures_seen, nowarn ? "" : "out");
}

/*
 * __GFP_NOFAIL never returns NULL: run while gomalloc/fail_alloc and
 * fail_page_alloc fail everything they may (they never fail NOFAIL).
 */
void gt_nofail(void)
{
	static const unsigned int sizes[] = { 8, 24, 64, 100, 512, 1000, 2048,
					      4096, 8192, 16384, 32768 };
	const gfp_t gfp = GFP_KERNEL | __GFP_NOFAIL;
	void *p[ARRAY_SIZE(sizes) * 4 + 8];
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(sizes) * 4; i++) {
		p[n] = gomalloc(sizes[i % ARRAY_SIZE(sizes)], gfp);
		if (!p[n])
			gt_failures_seen++;
		else
			memset(p[n++], 0x5a, sizes[i % ARRAY_SIZE(sizes)]);
	}
	for (i = 0; i < 8; i++) {
		p[n] = gomalloc_tiny(1 + i, gfp);
		if (!p[n])
			gt_failures_seen++;
		else
			n++;
	}
	for (i = 0; i < n; i++)
		gofree(p[i]);
	GT_CHECK(!gt_failures_seen, "__GFP_NOFAIL returned NULL");
	pr_info("gomalloc_test: nofail: %u object(s), %u NULL return(s)\n", n,
		gt_failures_seen);
}
