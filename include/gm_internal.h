/* SPDX-License-Identifier: GPL-2.0 */
/* gomalloc internals shared by every file: counters, reports, parameters. */
#ifndef _GM_INTERNAL_H
#define _GM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/printk.h>
#include "gm_compat.h"

#define pr_fmt_gm(fmt) "gomalloc: " fmt

/* Global error counters, shown in /proc/gomalloc. */
struct gm_errors {
	atomic_long_t invalid_frees;	/* not ours, interior, never allocated */
	atomic_long_t double_frees;
	atomic_long_t alloc_failures;	/* NULL returned for a valid size */
	atomic_long_t bad_sizes;	/* larger than GOMALLOC_MAX_SIZE */
	atomic_long_t freelist_corrupted; /* LIFO links overwritten (mcache.h) */
};

extern struct gm_errors gm_errors;

/*
 * Every page gomalloc holds from the buddy allocator (arenas, index pages,
 * fixalloc chunks), counted where alloc_pages() and free_pages() are
 * called, apart from the heap's own bookkeeping: tests cross-check the two.
 */
extern atomic_long_t gm_buddy_pages;

static inline struct page *gm_buddy_alloc(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);

	if (page)
		atomic_long_add(1L << order, &gm_buddy_pages);
	return page;
}

static inline void gm_buddy_free(struct page *page, unsigned int order)
{
	atomic_long_sub(1L << order, &gm_buddy_pages);
	__free_pages(page, order);
}

void gm_report_error(atomic_long_t *counter);
void gm_report_free(const void *p, const char *why, bool dbl, unsigned long ip);
void gm_stats_objects(long *objects, long *bytes, long *tiny_objects);
int gm_stats_init(void);
void gm_stats_exit(void);

#endif /* _GM_INTERNAL_H */
