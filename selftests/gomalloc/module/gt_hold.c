// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_test: hold, leak and redzone: objects left live after the load,
 * until release= or unload, for gomalloc's unload or debug mode to report.
 */
#include <linux/cpu.h>
#include <linux/kasan.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <gomalloc.h>
#include "gomalloc_test.h"

/* ---- hold: objects that stay live until `release` or unload ---- */

static unsigned int gt_pcounts[GT_MAX_SIZES];
static unsigned int gt_ncounts;
module_param_array_named(counts, gt_pcounts, uint, &gt_ncounts, 0444);
MODULE_PARM_DESC(counts, "hold: how many objects of each size (default 1)");
static unsigned int tiny_size = 4, tiny_count;
module_param(tiny_size, uint, 0444);
MODULE_PARM_DESC(tiny_size, "hold: size of the tiny objects (1..15)");
module_param(tiny_count, uint, 0444);
MODULE_PARM_DESC(tiny_count, "hold: how many tiny objects");
static int gt_pcpu = -1;
module_param_named(cpu, gt_pcpu, int, 0444);
MODULE_PARM_DESC(cpu, "hold: the CPU that allocates (-1: the loading task)");
static bool account;
module_param(account, bool, 0444);
MODULE_PARM_DESC(account, "hold: allocate with GFP_KERNEL_ACCOUNT (memcg accounting asked for)");

/* Outputs. */
static unsigned long held_objects, held_bytes, held_tiny_blocks;
module_param(held_objects, ulong, 0444);
MODULE_PARM_DESC(held_objects, "hold: live objects (output)");
module_param(held_bytes, ulong, 0444);
MODULE_PARM_DESC(held_bytes, "hold: their usable bytes (output)");
module_param(held_tiny_blocks, ulong, 0444);
MODULE_PARM_DESC(held_tiny_blocks, "hold: 16-byte blocks the tiny objects occupy (output)");

static struct gt_obj *gt_held;
static unsigned int gt_nheld;

static unsigned int gt_count(unsigned int k)
{
	return k < gt_ncounts ? gt_pcounts[k] : 1;
}

static long gt_hold_fn(void *arg)
{
	unsigned long *blocks = arg;
	unsigned int k, j, b;
	u64 cookie = get_random_u64();
	gfp_t gfp = account ? GFP_KERNEL_ACCOUNT : GFP_KERNEL;
	void *p;

	for (k = 0; k < gt_nsizes; k++)
		for (j = 0; j < gt_count(k); j++) {
			p = gomalloc(gt_psizes[k], gfp);
			GT_CHECK(p, "gomalloc(%lu) failed", gt_psizes[k]);
			if (!p)
				continue;
			gt_held[gt_nheld].p = p;
			gt_held[gt_nheld].n = gomalloc_usable_size(p);
			gt_held[gt_nheld].cookie = cookie + gt_nheld;
			gt_fill(p, gt_held[gt_nheld].n, cookie + gt_nheld);
			held_bytes += gt_held[gt_nheld++].n;
		}
	for (j = 0; j < tiny_count; j++) {
		p = gomalloc_tiny(tiny_size, gfp);
		GT_CHECK(p, "gomalloc_tiny(%u) failed", tiny_size);
		if (!p)
			continue;
		gt_held[gt_nheld].p = p;
		gt_held[gt_nheld].n = tiny_size;
		gt_held[gt_nheld].cookie = cookie + gt_nheld;
		gt_fill(p, tiny_size, cookie + gt_nheld);
		held_bytes += gt_held[gt_nheld++].n;
		/* The distinct 16-byte blocks the tiny objects went to. */
		for (b = 0; b < held_tiny_blocks; b++)
			if (blocks[b] == ((unsigned long)p & ~15UL))
				break;
		if (b == held_tiny_blocks)
			blocks[held_tiny_blocks++] = (unsigned long)p & ~15UL;
	}
	held_objects = gt_nheld;
	return 0;
}

void gt_hold_release(void)
{
	unsigned int i;

	for (i = 0; i < gt_nheld; i++) {
		GT_CHECK(gt_verify(gt_held[i].p, gt_held[i].n, gt_held[i].cookie),
			 "held object %u (%zu bytes) corrupted", i, gt_held[i].n);
		gofree(gt_held[i].p);
	}
	gt_nheld = 0;
	kfree(gt_held);
	gt_held = NULL;
}

static int gt_release_set(const char *val, const struct kernel_param *kp)
{
	gt_hold_release();
	gt_cache_hold_release();
	return 0;
}

static const struct kernel_param_ops gt_release_ops = {
	.set = gt_release_set,
};
module_param_cb(release, &gt_release_ops, NULL, 0200);
MODULE_PARM_DESC(release, "hold, cachehold: write to verify and free the held objects now (cachehold: and destroy the cache)");

void gt_hold(void)
{
	unsigned int k, total = tiny_count;
	unsigned long *blocks;

	for (k = 0; k < gt_nsizes; k++)
		total += gt_count(k);
	gt_held = kcalloc(max(total, 1U), sizeof(*gt_held), GFP_KERNEL);
	blocks = kcalloc(max(tiny_count, 1U), sizeof(*blocks), GFP_KERNEL);
	if (!gt_held || !blocks || tiny_size < 1 || tiny_size > GOMALLOC_TINY_MAX) {
		GT_CHECK(0, "no memory for %u objects, or tiny_size %u", total, tiny_size);
		kfree(blocks);
		return;
	}
	if (gt_pcpu < 0) {
		gt_hold_fn(blocks);
	} else {
		cpus_read_lock();
		if (cpu_online(gt_pcpu))
			work_on_cpu(gt_pcpu, gt_hold_fn, blocks);
		else
			GT_CHECK(0, "CPU %d is not online", gt_pcpu);
		cpus_read_unlock();
	}
	kfree(blocks);
	pr_info("gomalloc_test: hold: %lu object(s), %lu bytes, tiny in %lu block(s)\n",
		held_objects, held_bytes, held_tiny_blocks);
}

/* Leave objects behind, so that unloading gomalloc has something to report. */
void gt_leak(void)
{
	unsigned int i;

	for (i = 0; i < 10; i++)
		GT_CHECK(gomalloc(64, GFP_KERNEL), "gomalloc(64)");
	GT_CHECK(gomalloc(100000, GFP_KERNEL), "large");
	for (i = 0; i < 3; i++)
		GT_CHECK(gomalloc_tiny(4, GFP_KERNEL), "tiny");
}

/*
 * ---- redzone: one byte written past a live 50-byte object, for debug
 * mode's validation to find (a write KASAN, which sees gomalloc's objects,
 * must not report) ----
 */

static u8 *gt_rz_obj;

void gt_redzone(void)
{
	gt_rz_obj = gomalloc(50, GFP_KERNEL);
	GT_CHECK(gt_rz_obj, "gomalloc(50) failed");
	if (!gt_rz_obj)
		return;
	memset(gt_rz_obj, 0x5a, 50);
	kasan_disable_current();
	WRITE_ONCE(gt_rz_obj[50], 0x12);
	kasan_enable_current();
	pr_info("gomalloc_test: redzone: one byte written past a 50-byte object\n");
}

void gt_redzone_release(void)
{
	gofree(gt_rz_obj);
}
