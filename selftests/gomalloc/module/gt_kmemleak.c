// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: kmemleak: objects of every kind lost on purpose (kmemleak
 * must report them) and objects holding the only pointer to a kmalloc or
 * gomalloc object (those must not be reported), for gomalloc_kmemleak.sh.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

#define GT_KL_MAX	16
#define GT_KL_FILL	0x5a	/* lost objects' bytes: no pointer in them */

/*
 * A lost object's address is kept complemented (a user-space value, never
 * taken for a pointer by kmemleak's scan), only to print it and free it
 * once the test is done. A held object is an ordinary pointer in this
 * module's data (scanned), the only pointer to its target is at @off.
 */
struct gt_kl_lost {
	const char *kind;
	unsigned long inv;
};

struct gt_kl_held {
	const char *kind;
	void *obj;
	size_t off;
	bool gomalloc_target;	/* the target is a gomalloc object, else kmalloc */
};

static struct gt_kl_lost gt_kl_lost[GT_KL_MAX];
static struct gt_kl_held gt_kl_held[GT_KL_MAX];
static unsigned int gt_kl_nlost, gt_kl_nheld;
static struct gomalloc_cache *gt_kl_cache;
static bool gt_kl_debug;	/* the second round: gomalloc's debug mode is on */

/* Objects of gt_kl_cache: 40 bytes, a pointer in their last word. */
#define GT_KL_CACHE_SIZE	40

static void gt_kl_lose(const char *kind, void *p, size_t n)
{
	GT_CHECK(p, "kmemleak: %s: allocation failed", kind);
	if (!p || gt_kl_nlost == GT_KL_MAX)
		return;
	memset(p, GT_KL_FILL, n);
	gt_kl_lost[gt_kl_nlost].kind = kind;
	gt_kl_lost[gt_kl_nlost++].inv = ~(unsigned long)p;
}

/* @obj keeps the only pointer to a new kmalloc object (or @target) at @off. */
static void gt_kl_hold(const char *kind, void *obj, size_t off, void *target)
{
	void *k = target ? target : kmalloc(72, GFP_KERNEL);

	GT_CHECK(obj && k, "kmemleak: %s: allocation failed", kind);
	if (!obj || !k || gt_kl_nheld == GT_KL_MAX) {
		if (!target)
			kfree(k);
		gofree(obj);
		return;
	}
	if (!target)
		memset(k, GT_KL_FILL, 72);
	memcpy(obj + off, &k, sizeof(k));
	gt_kl_held[gt_kl_nheld].kind = kind;
	gt_kl_held[gt_kl_nheld].obj = obj;
	gt_kl_held[gt_kl_nheld].off = off;
	gt_kl_held[gt_kl_nheld++].gomalloc_target = target;
}

/*
 * The allocations kmemleak must report, each object's bytes its pattern.
 * Run in a kthread of its own, whose stack is gone once the test looks:
 * kmemleak scans every live task's whole stack, stale words included.
 */
static noinline int gt_kmemleak_lose(void *unused)
{
	void *b[3], *p;

	if (gt_kl_debug) {	/* debug objects: the size classes and tiny */
		gt_kl_lose("debug-small", gomalloc(40, GFP_KERNEL), 40);
		gt_kl_lose("debug-tiny", gomalloc_tiny(6, GFP_KERNEL), 6);
		return 0;
	}
	gt_kl_lose("small", gomalloc(40, GFP_KERNEL), 40);
	gt_kl_lose("tiny", gomalloc_tiny(6, GFP_KERNEL), 6);
	gt_kl_lose("large", gomalloc(100000, GFP_KERNEL), 100000);
	gt_kl_lose("cache", gomalloc_cache_alloc(gt_kl_cache, GFP_KERNEL), GT_KL_CACHE_SIZE);
	p = gomalloc(24, GFP_KERNEL);
	p = p ? gorealloc(p, 300, GFP_KERNEL) : NULL;	/* the first one is freed */
	gt_kl_lose("realloc", p, 300);
	if (gomalloc_bulk(96, GFP_KERNEL, 3, b) == 3) {
		gt_kl_lose("bulk", b[1], 96);
		b[1] = NULL;
		gofree_bulk(3, b);
	} else {
		GT_CHECK(0, "kmemleak: gomalloc_bulk failed");
	}
	if (gomalloc_cache_alloc_bulk(gt_kl_cache, GFP_KERNEL, 3, b) == 3) {
		gt_kl_lose("cache-bulk", b[2], GT_KL_CACHE_SIZE);
		gomalloc_cache_free_bulk(gt_kl_cache, 2, b);
	} else {
		GT_CHECK(0, "kmemleak: gomalloc_cache_alloc_bulk failed");
	}
	return 0;
}

/* The objects whose targets kmemleak must not report (their own stay live). */
static noinline int gt_kmemleak_hold(void *unused)
{
	void *b[2], *p, *q;
	size_t n;

	if (gt_kl_debug) {
		gt_kl_hold("debug-small", gomalloc(40, GFP_KERNEL), 32, NULL);
		gt_kl_hold("debug-tiny", gomalloc_tiny(8, GFP_KERNEL), 0, NULL);
		return 0;
	}
	/* Past the 40 bytes asked for, within the 48 usable: scanned too. */
	p = gomalloc(40, GFP_KERNEL);
	n = gomalloc_usable_size(p);
	GT_CHECK(!p || n == 48, "kmemleak: gomalloc(40) has %zu usable bytes, not 48", n);
	gt_kl_hold("small", p, 40, NULL);
	gt_kl_hold("tiny", gomalloc_tiny(8, GFP_KERNEL), 0, NULL);
	p = gomalloc(100000, GFP_KERNEL);
	gt_kl_hold("large", p, gomalloc_usable_size(p) - sizeof(void *), NULL);
	gt_kl_hold("cache", gomalloc_cache_alloc(gt_kl_cache, GFP_KERNEL),
		   GT_KL_CACHE_SIZE - sizeof(void *), NULL);
	p = gomalloc(16, GFP_KERNEL);
	gt_kl_hold("realloc", p ? gorealloc(p, 200, GFP_KERNEL) : NULL, 192, NULL);
	if (gomalloc_bulk(64, GFP_KERNEL, 2, b) == 2) {
		gt_kl_hold("bulk", b[0], 8, NULL);
		gt_kl_hold("bulk", b[1], 56, NULL);
	}
	if (gomalloc_cache_alloc_bulk(gt_kl_cache, GFP_KERNEL, 2, b) == 2) {
		gt_kl_hold("cache-bulk", b[0], 0, NULL);
		gt_kl_hold("cache-bulk", b[1], 16, NULL);
	}
	/*
	 * A gomalloc object known only to another, holding a kmalloc one: the
	 * inner entry forgets its object, the outer entry (the next) has it.
	 */
	p = gomalloc(128, GFP_KERNEL);
	q = gomalloc(256, GFP_KERNEL);
	GT_CHECK(p && q, "kmemleak: inner/outer: allocation failed");
	if (p && q && gt_kl_nheld + 2 <= GT_KL_MAX) {
		gt_kl_hold("inner", p, 64, NULL);
		gt_kl_hold("outer", q, 200, p);
		gt_kl_held[gt_kl_nheld - 2].obj = NULL;
	} else {
		gofree(p);
		gofree(q);
	}
	return 0;
}

static void gt_kl_run(void)
{
	gt_run_kthreads(1, gt_kmemleak_lose, NULL, 0, "kl_lose");
	gt_run_kthreads(1, gt_kmemleak_hold, NULL, 0, "kl_hold");
	pr_info("gomalloc_test: kmemleak: %u object(s) lost, %u holding others%s\n",
		gt_kl_nlost, gt_kl_nheld, gt_kl_debug ? " (debug mode)" : "");
}

void gt_kmemleak(void)
{
	gt_kl_cache = gomalloc_cache_create("gt_kmemleak", GT_KL_CACHE_SIZE, 0, 0, NULL);
	GT_CHECK(gt_kl_cache, "kmemleak: cache create failed");
	if (gt_kl_cache)
		gt_kl_run();
}

/* The target of held object @i (an inner one's from its outer object). */
static void *gt_kl_target(unsigned int i)
{
	void *t, *obj = gt_kl_held[i].obj;

	if (!obj && i + 1 < gt_kl_nheld && gt_kl_held[i + 1].gomalloc_target)
		memcpy(&obj, gt_kl_held[i + 1].obj + gt_kl_held[i + 1].off, sizeof(obj));
	if (!obj)
		return NULL;
	memcpy(&t, obj + gt_kl_held[i].off, sizeof(t));
	return t;
}

/* Free everything: the lost objects, the held ones and their targets. */
void gt_kmemleak_release(void)
{
	unsigned int i;
	void *t;

	for (i = 0; i < gt_kl_nlost; i++)
		gofree((void *)~gt_kl_lost[i].inv);
	gt_kl_nlost = 0;
	/* In order: an inner object's target is found through its outer one. */
	for (i = 0; i < gt_kl_nheld; i++) {
		t = gt_kl_target(i);
		if (!gt_kl_held[i].gomalloc_target)
			kfree(t);	/* an outer object's target is the inner one */
		gofree(gt_kl_held[i].gomalloc_target ? t : NULL);
		gofree(gt_kl_held[i].obj);
	}
	gt_kl_nheld = 0;
	gomalloc_cache_destroy(gt_kl_cache);
	gt_kl_cache = NULL;
}

/* lost: "kind address" per line. */
static int gt_kl_lost_get(char *buf, const struct kernel_param *kp)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < gt_kl_nlost; i++)
		n += sysfs_emit_at(buf, n, "%s %#lx\n", gt_kl_lost[i].kind, ~gt_kl_lost[i].inv);
	return n;
}

static const struct kernel_param_ops gt_kl_lost_ops = {
	.get = gt_kl_lost_get,
};
module_param_cb(kmemleak_lost, &gt_kl_lost_ops, NULL, 0444);
MODULE_PARM_DESC(kmemleak_lost, "kmemleak: the lost objects, \"kind address\" per line (output)");

/* held: "kind target-address" per line. */
static int gt_kl_held_get(char *buf, const struct kernel_param *kp)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < gt_kl_nheld; i++)
		n += sysfs_emit_at(buf, n, "%s %#lx\n", gt_kl_held[i].kind,
				   (unsigned long)gt_kl_target(i));
	return n;
}

static const struct kernel_param_ops gt_kl_held_ops = {
	.get = gt_kl_held_get,
};
module_param_cb(kmemleak_held, &gt_kl_held_ops, NULL, 0444);
MODULE_PARM_DESC(kmemleak_held, "kmemleak: the objects only gomalloc objects point to, \"kind address\" per line (output)");

/* A write: lose and hold the debug-mode objects too (debug mode turned on). */
static int gt_kl_debug_set(const char *val, const struct kernel_param *kp)
{
	if (!gt_kl_cache)
		return -EINVAL;
	gt_kl_debug = true;
	gt_kl_run();
	gt_kl_debug = false;
	return 0;
}

static const struct kernel_param_ops gt_kl_debug_ops = {
	.set = gt_kl_debug_set,
};
module_param_cb(kmemleak_debug, &gt_kl_debug_ops, NULL, 0200);
MODULE_PARM_DESC(kmemleak_debug, "kmemleak: write with gomalloc's debug mode on to add debug objects");
