// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: init, initfree and initreuse: init_on_alloc, init_on_free
 * and __GFP_ZERO on objects handed out again.
 */
#include <linux/kasan.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

/*
 * ---- init: init_on_alloc, init_on_free and __GFP_ZERO on reused objects ----
 *
 * An object is filled, freed and asked for again at once on the same CPU:
 * the LIFO list (or the CPU's parked large spans) hands back the same one.
 * The peek at the freed object is one KASAN (which sees gomalloc's objects)
 * must not report. The free-list link is the object's first word.
 */
static unsigned int init_policy;
module_param(init_policy, uint, 0444);
MODULE_PARM_DESC(init_policy, "init: 1 init_on_alloc, 2 init_on_free was active (output)");

static void gt_init_check(void *p, size_t n, bool on_alloc, bool on_free)
{
	size_t skip = n > 32768 ? 0 : sizeof(void *);
	void *q, *r;

	memset(p, 0xa5, n);
	gt_pin(n > 32768);
	gofree(p);
	if (on_free) {
		kasan_disable_current();
		GT_CHECK(!memchr_inv(p + skip, 0, n - skip),
			 "init_on_free: freed object of %zu bytes not zeroed (byte %td is %#x)",
			 n, (u8 *)memchr_inv(p + skip, 0, n - skip) - (u8 *)p,
			 *(u8 *)memchr_inv(p + skip, 0, n - skip));
		kasan_enable_current();
	}
	q = gomalloc(n, GFP_ATOMIC);
	gt_unpin(n > 32768);
	GT_CHECK(q == p, "%zu bytes: freed %p, got %p back", n, p, q);
	if (!q)
		return;
	if (on_alloc)
		GT_CHECK(!memchr_inv(q, 0, n),
			 "init_on_alloc: reused object of %zu bytes not zeroed", n);

	memset(q, 0xa5, n);
	gt_pin(n > 32768);
	gofree(q);
	r = gomalloc(n, GFP_ATOMIC | __GFP_ZERO);
	gt_unpin(n > 32768);
	GT_CHECK(r == q, "%zu bytes: freed %p, got %p back", n, q, r);
	GT_CHECK(!r || !memchr_inv(r, 0, n),
		 "__GFP_ZERO: reused object of %zu bytes not zeroed", n);
	gofree(r);
}

void gt_init(void)
{
	static const size_t large[] = { 32769, 40000, 100000, 262144 };
	bool on_alloc = want_init_on_alloc(GFP_KERNEL), on_free = want_init_on_free();
	unsigned int i, checked = 0;
	size_t sz;
	void *p;

	init_policy = on_alloc | on_free << 1;
	for (i = 0; i < gt_nr_sizes + ARRAY_SIZE(large); i++) {
		sz = i < gt_nr_sizes ? gt_sizes[i] : large[i - gt_nr_sizes];
		if (sz <= GOMALLOC_TINY_MAX)
			continue;
		p = gomalloc(sz, GFP_KERNEL);
		GT_CHECK(p, "gomalloc(%zu) failed", sz);
		if (!p)
			continue;
		gt_init_check(p, gomalloc_usable_size(p), on_alloc, on_free);
		checked++;
	}
	/* Tiny objects are not reused at once: check the new one and the freed one. */
	for (sz = 1; sz <= GOMALLOC_TINY_MAX; sz++) {
		p = gomalloc_tiny(sz, GFP_KERNEL);
		GT_CHECK(p, "gomalloc_tiny(%zu) failed", sz);
		if (!p)
			continue;
		if (on_alloc)
			GT_CHECK(!memchr_inv(p, 0, sz),
				 "init_on_alloc: tiny object of %zu bytes not zeroed", sz);
		memset(p, 0xa5, sz);
		gofree(p);
		if (on_free) {
			kasan_disable_current();
			GT_CHECK(!memchr_inv(p, 0, sz),
				 "init_on_free: freed tiny object of %zu bytes not zeroed", sz);
			kasan_enable_current();
		}
		p = gomalloc_tiny(sz, GFP_KERNEL | __GFP_ZERO);
		GT_CHECK(p && !memchr_inv(p, 0, sz),
			 "__GFP_ZERO: tiny object of %zu bytes not zeroed", sz);
		gofree(p);
		checked++;
	}
	pr_info("gomalloc_test: init: init_on_alloc %s, init_on_free %s; %u size(s) checked\n",
		on_alloc ? "on" : "off", on_free ? "on" : "off", checked);
}

/*
 * ---- initfree, initreuse: under init_on_free with init_on_alloc off, memory
 * handed out again is all zero whatever freed it. initfree frees objects of
 * every class (sizes=), tiny and large ones, on one CPU, so that the LIFO
 * list takes them (the script runs it in debug mode too); the script then
 * drains every cache; initreuse allocates more than that of every kind
 * again and checks every byte: no LIFO link, no debug poison or record in
 * spans of the same class, of another class, or of large objects. ----
 */
#define GT_IR_BYTES	(128 << 10)	/* per class, initfree */
#define GT_IR_MAX	64		/* objects per class, initfree */
static const size_t gt_ir_large[] = { 32769, 40000, 65536, 100000, 300000, 1 << 20 };
static unsigned int gt_ir_bad;

static unsigned int gt_ir_count(size_t size)
{
	return clamp_t(size_t, GT_IR_BYTES / size, 2, GT_IR_MAX);
}

/* Allocate @n objects of @size (tiny: gomalloc_tiny), fill or check, free. */
static void gt_ir_round(size_t size, unsigned int n, bool check, const char *what)
{
	void **objs = kcalloc(n, sizeof(void *), GFP_KERNEL);
	unsigned int i;
	u8 *bad;

	GT_CHECK(objs, "kcalloc(%u) failed", n);
	if (!objs)
		return;
	migrate_disable();	/* frees by the owner: onto its LIFO list */
	for (i = 0; i < n; i++) {
		objs[i] = size <= GOMALLOC_TINY_MAX ? gomalloc_tiny(size, GFP_KERNEL) :
						      gomalloc(size, GFP_KERNEL);
		GT_CHECK(objs[i], "%s: allocation of %zu bytes failed", what, size);
		if (!objs[i])
			continue;
		if (check) {
			bad = memchr_inv(objs[i], 0, size);
			gt_ir_bad += !!bad;
			GT_CHECK(!bad, "%s object of %zu B at %p reused unzeroed: byte %td is %#x",
				 what, size, objs[i], bad - (u8 *)objs[i], *bad);
		}
		memset(objs[i], 0xa5, size);
	}
	for (i = n; i-- > 0;)
		gofree(objs[i]);
	migrate_enable();
	kfree(objs);
}

static void gt_initfree_reuse(bool check)
{
	unsigned int i, mult = check ? 3 : 1, classes = 0;
	size_t sz;

	for (i = 0; i < gt_nsizes; i++) {
		if (!gt_psizes[i] || gt_psizes[i] > 32768)
			continue;
		gt_ir_round(gt_psizes[i], mult * gt_ir_count(gt_psizes[i]), check, "class");
		classes++;
	}
	GT_CHECK(classes, "no class sizes given (sizes=)");
	for (sz = 1; sz <= GOMALLOC_TINY_MAX; sz++)
		gt_ir_round(sz, mult * 16, check, "tiny");
	for (i = 0; i < ARRAY_SIZE(gt_ir_large); i++)
		gt_ir_round(gt_ir_large[i], mult * 4, check, "large");
	if (check)
		pr_info("gomalloc_test: initreuse: %u class(es), tiny and large objects: %u not zeroed\n",
			classes, gt_ir_bad);
	else
		pr_info("gomalloc_test: initfree: %u class(es), tiny and large objects freed\n",
			classes);
}

void gt_initfree(void)
{
	gt_initfree_reuse(false);
}

void gt_initreuse(void)
{
	gt_initfree_reuse(true);
}
