/* SPDX-License-Identifier: GPL-2.0 */
/* Typed caches (gomalloc_cache_*): kmem_cache's API on span classes of their own. */
#ifndef _GM_TYPEDCACHE_H
#define _GM_TYPEDCACHE_H

#include <linux/list.h>
#include <linux/types.h>
#include "mcache.h"
#include "mcentral.h"

struct gomalloc_cache {
	struct gm_mcentral central;	/* its span class: geometry, spans */
	struct gm_mcache_typed __percpu *pcpu;
	unsigned int spc;
	unsigned int size;		/* object size asked for */
	unsigned int link_off;		/* as the spans' */
	bool init;			/* init_on_alloc/free apply: no ctor, not RCU */
	bool destroyed;			/* destroyed with live objects: kept */
	slab_flags_t flags;
	struct list_head node;		/* gm_caches or gm_caches_kept */
	char *name;
	struct kmem_cache *trace_kc;	/* for the kmem events (gm_cache_trace_init) */
};

unsigned long gm_cache_destroy(struct gomalloc_cache *c);
struct seq_file;
void gm_caches_show(struct seq_file *m);
void gm_caches_objects(long *objects, long *bytes);
void gm_caches_exit(void);

#endif /* _GM_TYPEDCACHE_H */
