/* SPDX-License-Identifier: GPL-2.0 */
/* gomalloc internals shared by every file: counters, reports, parameters. */
#ifndef _GM_INTERNAL_H
#define _GM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/printk.h>
#include "gm_compat.h"

#define pr_fmt_gm(fmt) "gomalloc: " fmt

/* Global error counters, shown in /proc/gomalloc. */
struct gm_errors {
	atomic_long_t invalid_frees;	/* not ours, interior, never allocated */
	atomic_long_t double_frees;
	atomic_long_t alloc_failures;	/* NULL returned for a valid size */
	atomic_long_t bad_sizes;	/* larger than GOMALLOC_MAX_SIZE */
};

extern struct gm_errors gm_errors;

void gm_report_free(const void *p, const char *why, bool dbl, unsigned long ip);
void gm_stats_objects(long *objects, long *bytes, long *tiny_objects);
int gm_stats_init(void);
void gm_stats_exit(void);

#endif /* _GM_INTERNAL_H */
