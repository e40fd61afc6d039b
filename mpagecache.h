/* SPDX-License-Identifier: GPL-2.0 */
/* pageCache: per-CPU 64-page aligned blocks, so small spans are cut without the heap lock. */
#ifndef _GM_MPAGECACHE_H
#define _GM_MPAGECACHE_H

#include <linux/spinlock.h>
#include <linux/types.h>

#define GM_PCACHE_PAGES		64
#define GM_PCACHE_MAX_RUN	16	/* spans below this are cut from the cache */

struct gm_mspan;

struct gm_pagecache {
	spinlock_t lock;		/* the owner CPU, or a flush from elsewhere */
	unsigned long base;		/* through gm_leak_hide(); 0: empty */
	u64 cache;			/* 1 = page free */
	struct gm_mspan *block;		/* GM_SPAN_PCACHE descriptor of the block */
	unsigned long hits, refills, flushes;
};

void gm_pagecache_init(void);
void gm_pagecache_exit(void);
struct gm_mspan *gm_pagecache_alloc_span(unsigned int npages, unsigned int align,
					 gfp_t gfp);
void gm_pagecache_flush(unsigned int cpu);
void gm_pagecache_flush_all(void);
unsigned long gm_pagecache_free_pages(void);
unsigned long gm_pagecache_cpu_pages(unsigned int cpu);
struct dentry;
void gm_pagecache_debugfs(struct dentry *dir);
/* Exposed for the KUnit tests: find an @align-aligned run of @npages set bits. */
int gm_pagecache_find_run(u64 cache, unsigned int npages, unsigned int align);

#endif /* _GM_MPAGECACHE_H */
