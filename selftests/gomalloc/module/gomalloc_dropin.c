// SPDX-License-Identifier: GPL-2.0
/*
 * Client of the drop-in: plain kmalloc/kmem_cache code, built with
 * -include gomalloc_kmalloc.h; checks at load, its failures and what
 * /proc/gomalloc must show as outputs for gomalloc_dropin.sh.
 */
#include <linux/mempool.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

static unsigned int foreign, fallbacks, errors;
#ifdef GOMALLOC_KMALLOC_NO_CACHES
static bool caches;
#else
static bool caches = true;
#endif
module_param(caches, bool, 0444);
MODULE_PARM_DESC(caches, "Built with kmem_cache through gomalloc (output)");
module_param(foreign, uint, 0444);
MODULE_PARM_DESC(foreign, "Frees of the kernel's memory made (output)");
module_param(fallbacks, uint, 0444);
MODULE_PARM_DESC(fallbacks, "Caches the kernel serves (output)");
module_param(errors, uint, 0444);
MODULE_PARM_DESC(errors, "Failed checks (output)");

#define DI_CHECK(cond) do {						\
	if (!(cond)) {							\
		errors++;						\
		pr_err("gomalloc_dropin: %s:%d: %s\n", __func__, __LINE__, #cond); \
	}								\
} while (0)

static bool di_ours(const void *p)
{
	return gomalloc_usable_size(p) > 0;
}

struct di_obj {
	unsigned long magic;
	struct rcu_head rcu;
	char pad[40];
};

static void di_ctor(void *p)
{
	((struct di_obj *)p)->magic = 0x600d;
}

static void di_kmalloc(void)
{
	char *a, *b, *k, *r;
	struct di_obj *o;
	const char *c;
	void *v;

	a = kmalloc(100, GFP_KERNEL);
	DI_CHECK(a && di_ours(a) && ksize(a) >= 100);
	r = krealloc(a, 5000, GFP_KERNEL);
	DI_CHECK(r && di_ours(r) && ksize(r) >= 5000);
#ifdef kmem_cache_charge	/* 6.12: the kernel's would look for a slab */
	DI_CHECK(!r || kmem_cache_charge(r, GFP_KERNEL));
#endif
	kfree(r ? r : a);
	a = kzalloc(64, GFP_KERNEL);
	DI_CHECK(a && di_ours(a) && !memchr_inv(a, 0, 64));
	kfree_sensitive(a);
	a = kcalloc(SIZE_MAX / 2, 4, GFP_KERNEL);	/* overflows */
	DI_CHECK(!a);
	b = kstrdup("gomalloc", GFP_KERNEL);
	DI_CHECK(b && di_ours(b) && !strcmp(b, "gomalloc"));
	kfree(b);
	b = kmemdup_nul("abcdef", 3, GFP_KERNEL);
	DI_CHECK(b && !strcmp(b, "abc"));
	kfree(b);
	c = kstrdup_const("a module's", GFP_KERNEL);	/* copied: not the kernel's .rodata */
	DI_CHECK(c && di_ours(c));
	kfree_const(c);

	/* The kernel's own memory, freed here: to the kernel, counted. */
	k = kasprintf(GFP_KERNEL, "kernel %d", 1);
	DI_CHECK(k && !di_ours(k));
	r = krealloc(k, 200, GFP_KERNEL);		/* stays the kernel's */
	DI_CHECK(r && !di_ours(r) && !strcmp(r, "kernel 1"));
	foreign++;	/* krealloc asks gomalloc_foreign() */
	kfree(r ? r : k);
	foreign++;
	a = kmalloc(32, GFP_KERNEL | GFP_DMA);		/* a zone gomalloc refuses */
	DI_CHECK(a && !di_ours(a));
	kfree(a);
	foreign++;

	/* Deferred frees: by an rcu_head (ours, the kernel's), headless. */
	o = kmalloc(sizeof(*o), GFP_KERNEL);
	DI_CHECK(o && di_ours(o));
	kfree_rcu(o, rcu);
	o = (struct di_obj *)kasprintf(GFP_KERNEL, "%*s", (int)sizeof(*o), "");
	DI_CHECK(o && !di_ours(o));
	kfree_rcu(o, rcu);
	foreign++;
	gomalloc_rcu_barrier();	/* gomalloc's objects back before the test counts */
	a = kmalloc(100, GFP_KERNEL);
	kfree_rcu_mightsleep(a);

	v = kvmalloc(64 << 10, GFP_KERNEL);
	DI_CHECK(v && di_ours(v) && !is_vmalloc_addr(v));
	kvfree(v);
	v = kvzalloc(GOMALLOC_MAX_SIZE + 1, GFP_KERNEL);	/* beyond gomalloc */
	DI_CHECK(v && is_vmalloc_addr(v) && !*(char *)v);
	kvfree(v);
	v = kvmalloc_array(100, 8, GFP_KERNEL);
	DI_CHECK(v && di_ours(v));
	kvfree(v);
	v = kvmalloc(100, GFP_ATOMIC);			/* no vmalloc for atomic */
	DI_CHECK(v && di_ours(v));
	kvfree(v);
}

/* kmem_cache with @flags: a gomalloc typed cache unless they say otherwise. */
static void di_cache(slab_flags_t flags, bool kernel)
{
	struct kmem_cache *s = kmem_cache_create("gomalloc_dropin", sizeof(struct di_obj), 0,
						 flags, di_ctor);
	void *bulk[16];
	mempool_t *pool;
	struct di_obj *o;

	DI_CHECK(s);
	if (!s)
		return;
	DI_CHECK(((unsigned long)s & 1) == !kernel);
	fallbacks += kernel;
	DI_CHECK(kmem_cache_size(s) >= sizeof(struct di_obj));
	o = kmem_cache_alloc(s, GFP_KERNEL);
	DI_CHECK(o && o->magic == 0x600d && di_ours(o) == !kernel);
	kmem_cache_free(s, o);
	DI_CHECK(kmem_cache_alloc_bulk(s, GFP_KERNEL, 16, bulk) == 16);
	kmem_cache_free_bulk(s, 16, bulk);
	pool = mempool_create_slab_pool(2, s);
	DI_CHECK(pool);
	if (pool) {
		o = mempool_alloc(pool, GFP_KERNEL);
		DI_CHECK(o && o->magic == 0x600d);
		mempool_free(o, pool);
		mempool_destroy(pool);
	}
	/* kfree() of a cache's object, as SLUB allows. */
	o = kmem_cache_alloc(s, GFP_KERNEL);
	DI_CHECK(o);
	kfree(o);
	foreign += kernel;
	if (!kernel) {
		o = kmem_cache_alloc(s, GFP_KERNEL);
		DI_CHECK(o);
		kfree_rcu(o, rcu);
		gomalloc_rcu_barrier();
	}
	kmem_cache_destroy(s);
}

static int __init gomalloc_dropin_init(void)
{
	struct kmem_cache *names = names_cachep;
	char *n = __getname();				/* the kernel's cache: untouched */

	DI_CHECK(n && !di_ours(n));
	__putname(n);
	DI_CHECK(names == names_cachep);
	di_kmalloc();
#ifndef GOMALLOC_KMALLOC_NO_CACHES
	di_cache(SLAB_HWCACHE_ALIGN, false);
#endif
	/* SLAB_ACCOUNT is 0 without CONFIG_MEMCG_KMEM (the debug kernel). */
	di_cache(SLAB_ACCOUNT, (__force unsigned int)SLAB_ACCOUNT != 0);
	di_cache(SLAB_RECLAIM_ACCOUNT | SLAB_RED_ZONE, true);
	pr_info("gomalloc_dropin: %u failed checks, %u foreign frees, %u kernel caches\n",
		errors, foreign, fallbacks);
	return 0;	/* the test reads the outputs, then unloads */
}

static void __exit gomalloc_dropin_exit(void)
{
}

module_init(gomalloc_dropin_init);
module_exit(gomalloc_dropin_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmalloc code through gomalloc_kmalloc.h, for the kselftests");
