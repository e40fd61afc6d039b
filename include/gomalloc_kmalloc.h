/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The drop-in: a module's kmalloc, kvmalloc and kmem_cache calls served by
 * gomalloc, its sources unchanged (-include; README, "The drop-in").
 */
#ifndef _GOMALLOC_KMALLOC_H
#define _GOMALLOC_KMALLOC_H

/*
 * A module's Kbuild adds "ccflags-y += -include <dir>/gomalloc_kmalloc.h" and
 * links against gomalloc's Module.symvers (KBUILD_EXTRA_SYMBOLS).
 *
 * The kernel's headers are included first, so their own inline functions keep
 * the kernel's allocator; every name below is then redefined for the rest of
 * the module's code. Frees of memory gomalloc does not hold go to the kernel
 * (gomalloc_foreign() counts them); a kmem_cache gomalloc cannot serve is the
 * kernel's own: a handle with bit 0 set is a gomalloc cache, any other is the
 * kernel's, so caches of the kernel (names_cachep) pass through unchanged.
 *
 * Options (-D before this header): GOMALLOC_KMALLOC_IGNORE_ACCOUNT gives
 * caches created with SLAB_ACCOUNT or SLAB_RECLAIM_ACCOUNT to gomalloc
 * anyway, without memcg or reclaim accounting; GOMALLOC_KMALLOC_NO_CACHES
 * leaves every kmem_cache to the kernel (kmalloc and kvmalloc only).
 */

#include <linux/bug.h>
#include <linux/fs.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <gomalloc.h>

/*
 * The kernel's API generation, told by its headers: from 6.12
 * kmem_cache_create() is a macro over struct kmem_cache_args, and
 * kvrealloc() lost its oldsize argument.
 */
#ifdef kmem_cache_create
#define GM_KMALLOC_CACHE_ARGS
#endif

/* ---- the kmalloc family ---- */

static __always_inline void *gm_kmalloc(size_t size, gfp_t gfp)
{
	/* Zones gomalloc refuses stay with the kernel (kfree finds them). */
	if (unlikely(gfp & (__GFP_DMA | __GFP_DMA32)))
		return kmalloc(size, gfp);
	return gomalloc(size, gfp);
}

static __always_inline void *gm_kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return gm_kmalloc(bytes, gfp);
}

/* kfree(): gomalloc's objects to gofree(), anything else to the kernel. */
static inline void gm_kfree(const void *p)
{
	if (unlikely(gomalloc_foreign(p)))
		kfree(p);
	else
		gofree(p);
}

static inline void gm_kfree_sensitive(const void *p)
{
	size_t n = gomalloc_usable_size(p);

	if (n) {
		memzero_explicit((void *)p, n);
		gofree(p);
	} else if (gomalloc_foreign(p)) {
		kfree_sensitive(p);
	} else {
		gofree(p);	/* NULL, or a bad pointer: reported */
	}
}

static inline size_t gm_ksize(const void *p)
{
	size_t n = gomalloc_usable_size(p);

	if (n || ZERO_OR_NULL_PTR(p))
		return n;
	return gomalloc_foreign(p) ? ksize(p) : 0;
}

#ifdef GM_KMALLOC_CACHE_ARGS
/* 6.12: charging a slab object to a memcg; gomalloc's are never charged. */
static inline bool gm_kmem_cache_charge(void *p, gfp_t gfp)
{
	return gomalloc_usable_size(p) || kmem_cache_charge(p, gfp);
}
#endif

/* The kernel's memory stays the kernel's: krealloc() it there. */
static inline void *gm_krealloc(const void *p, size_t size, gfp_t gfp)
{
	if (ZERO_OR_NULL_PTR(p) || gomalloc_usable_size(p))
		return gorealloc(p, size, gfp);
	if (gomalloc_foreign(p))
		return krealloc(p, size, gfp);
	return gorealloc(p, size, gfp);	/* reported: not a live object */
}

static inline void *gm_krealloc_array(void *p, size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return gm_krealloc(p, bytes, gfp);
}

static inline void *gm_kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = gm_kmalloc(len, gfp);

	if (p)
		memcpy(p, src, len);
	return p;
}

static inline char *gm_kmemdup_nul(const char *s, size_t len, gfp_t gfp)
{
	char *p;

	if (!s)
		return NULL;
	p = gm_kmalloc(len + 1, gfp);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static inline char *gm_kstrdup(const char *s, gfp_t gfp)
{
	return s ? gm_kmemdup_nul(s, strlen(s), gfp) : NULL;
}

static inline char *gm_kstrndup(const char *s, size_t max, gfp_t gfp)
{
	return s ? gm_kmemdup_nul(s, strnlen(s, max), gfp) : NULL;
}

/* Always a copy: the kernel's .rodata bounds are not exported to modules. */
static inline const char *gm_kstrdup_const(const char *s, gfp_t gfp)
{
	return gm_kstrdup(s, gfp);
}

/* The kernel's kfree_const() skips its .rodata, which it may hand out. */
static inline void gm_kfree_const(const void *p)
{
	if (unlikely(gomalloc_foreign(p)))
		kfree_const(p);
	else
		gofree(p);
}

static inline void gm_kfree_link(void *p)
{
	gm_kfree(p);
}

static inline void gm_kfree_bulk(size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++)
		gm_kfree(p[i]);
}

/* ---- kvmalloc: gomalloc when it can, vmalloc beyond or on failure ---- */

static inline void *gm_kvmalloc(size_t size, gfp_t gfp)
{
	gfp_t kgfp = gfp;
	void *p;

	/* As kvmalloc: vmalloc only for callers that may do GFP_KERNEL. */
	if ((gfp & GFP_KERNEL) != GFP_KERNEL || (gfp & (__GFP_DMA | __GFP_DMA32)))
		return gm_kmalloc(size, gfp);
	if (size <= GOMALLOC_MAX_SIZE) {
		/* A large attempt is opportunistic: vmalloc is the fallback. */
		if (size > PAGE_SIZE) {
			kgfp |= __GFP_NOWARN;
			if (!(kgfp & __GFP_RETRY_MAYFAIL))
				kgfp |= __GFP_NORETRY;
			kgfp &= ~__GFP_NOFAIL;
		}
		p = gomalloc(size, kgfp);
		if (p || size <= PAGE_SIZE)
			return p;
	}
	if (size > INT_MAX)
		return NULL;
	return __vmalloc(size, gfp);
}

static inline void *gm_kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return gm_kvmalloc(bytes, gfp);
}

static inline void gm_kvfree(const void *p)
{
	if (is_vmalloc_addr(p))
		vfree(p);
	else
		gm_kfree(p);
}

static inline void gm_kvfree_sensitive(const void *p, size_t len)
{
	if (!ZERO_OR_NULL_PTR(p)) {
		memzero_explicit((void *)p, len);
		gm_kvfree(p);
	}
}

/* kvrealloc: (p, size, gfp) since 6.12, (p, oldsize, newsize, gfp) before. */
static inline void *gm_kvrealloc_copy(const void *p, size_t oldsize, size_t size, gfp_t gfp)
{
	void *n;

	if (oldsize >= size)
		return (void *)p;
	n = gm_kvmalloc(size, gfp);
	if (!n)
		return NULL;
	if (!ZERO_OR_NULL_PTR(p)) {
		memcpy(n, p, oldsize);
		gm_kvfree(p);
	}
	return n;
}

#ifdef GM_KMALLOC_CACHE_ARGS
static inline void *gm_kvrealloc(const void *p, size_t size, gfp_t gfp)
{
	size_t old;

	/* The kernel's memory stays the kernel's, as for krealloc(). */
	if (is_vmalloc_addr(p))
		return kvrealloc(p, size, gfp);
	old = gomalloc_usable_size(p);
	if (old || ZERO_OR_NULL_PTR(p))
		return gm_kvrealloc_copy(p, old, size, gfp);
	if (gomalloc_foreign(p))
		return kvrealloc(p, size, gfp);
	return gorealloc(p, size, gfp);	/* reported: not a live object */
}
#else
static inline void *gm_kvrealloc(const void *p, size_t oldsize, size_t size, gfp_t gfp)
{
	return gm_kvrealloc_copy(p, ZERO_OR_NULL_PTR(p) ? 0 : oldsize, size, gfp);
}
#endif

#ifndef GOMALLOC_KMALLOC_NO_CACHES
/* ---- kmem_cache: a gomalloc typed cache, or the kernel's ---- */

/* What a gomalloc-served handle points to (bit 0 set in the handle). */
struct gm_kmalloc_cache {
	struct gomalloc_cache *gc;
	unsigned int size;
};

static __always_inline struct gm_kmalloc_cache *gm_kmem_cache_of(struct kmem_cache *s)
{
	unsigned long h = (unsigned long)s;

	return (h & 1) ? (struct gm_kmalloc_cache *)(h - 1) : NULL;
}

/*
 * Flags gomalloc_cache_create() honours, passed on; flags that only hint at
 * what the kernel would do (or that this header handles), dropped; any
 * other flag leaves the cache to the kernel.
 */
#ifdef SLAB_NO_MERGE
#define GM_KMALLOC_CACHE_PASS	(SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU | SLAB_NOLEAKTRACE | \
				 SLAB_NO_MERGE)
#else
#define GM_KMALLOC_CACHE_PASS	(SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU | SLAB_NOLEAKTRACE)
#endif
#ifdef SLAB_MEM_SPREAD
#define GM_KMALLOC_SPREAD	SLAB_MEM_SPREAD		/* a cpuset hint, up to 6.8 */
#else
#define GM_KMALLOC_SPREAD	0
#endif
#ifdef GOMALLOC_KMALLOC_IGNORE_ACCOUNT
#define GM_KMALLOC_ACCOUNT	(SLAB_ACCOUNT | SLAB_RECLAIM_ACCOUNT)
#else
#define GM_KMALLOC_ACCOUNT	0
#endif
#define GM_KMALLOC_CACHE_DROP	(SLAB_PANIC | SLAB_NO_USER_FLAGS | GM_KMALLOC_SPREAD | \
				 GM_KMALLOC_ACCOUNT)

/*
 * A gomalloc typed cache, or NULL (then the caller creates the kernel's):
 * flags gomalloc cannot honour, or gomalloc_cache_create() refused. Either
 * way one message names the cache.
 */
static noinline __maybe_unused struct kmem_cache *
gm_kmem_cache_try(const char *name, unsigned int size, unsigned int align,
		  slab_flags_t flags, void (*ctor)(void *))
{
	slab_flags_t other = flags & ~(GM_KMALLOC_CACHE_PASS | GM_KMALLOC_CACHE_DROP);
	struct gm_kmalloc_cache *w;

	if (other) {
		pr_notice("gomalloc_kmalloc: cache %s: slab flags %#x are not gomalloc's; the kernel's kmem_cache serves it\n",
			  name, (__force unsigned int)other);
		return NULL;
	}
	w = gomalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return NULL;
	w->size = size;
	/* Its SLAB_PANIC is the kernel's, if the kernel's cache fails too. */
	w->gc = gomalloc_cache_create(name, size, align, flags & GM_KMALLOC_CACHE_PASS, ctor);
	if (!w->gc) {
		gofree(w);
		pr_notice("gomalloc_kmalloc: cache %s: gomalloc refused it; the kernel's kmem_cache serves it\n",
			  name);
		return NULL;
	}
	return (struct kmem_cache *)((unsigned long)w | 1);
}

static inline struct kmem_cache *
gm_kmem_cache_create(const char *name, unsigned int size, unsigned int align,
		     slab_flags_t flags, void (*ctor)(void *))
{
	struct kmem_cache *s = gm_kmem_cache_try(name, size, align, flags, ctor);

	return s ? s : kmem_cache_create(name, size, align, flags, ctor);
}

static inline struct kmem_cache *
gm_kmem_cache_create_usercopy(const char *name, unsigned int size, unsigned int align,
			      slab_flags_t flags, unsigned int useroffset,
			      unsigned int usersize, void (*ctor)(void *))
{
	struct kmem_cache *s = gm_kmem_cache_try(name, size, align, flags, ctor);

	return s ? s : kmem_cache_create_usercopy(name, size, align, flags, useroffset,
						  usersize, ctor);
}

#ifdef GM_KMALLOC_CACHE_ARGS
/* 6.12: kmem_cache_create() is a _Generic over these three, KMEM_CACHE the first. */
static inline struct kmem_cache *
gm_kmem_cache_create_args(const char *name, unsigned int size,
			  struct kmem_cache_args *args, slab_flags_t flags)
{
	struct kmem_cache *s = gm_kmem_cache_try(name, size, args ? args->align : 0, flags,
						 args ? args->ctor : NULL);

	return s ? s : __kmem_cache_create_args(name, size, args, flags);
}

static inline struct kmem_cache *
gm_kmem_cache_default_args(const char *name, unsigned int size,
			   struct kmem_cache_args *args, slab_flags_t flags)
{
	struct kmem_cache_args none = {};

	if (WARN_ON_ONCE(args))
		return ERR_PTR(-EINVAL);
	return gm_kmem_cache_create_args(name, size, &none, flags);
}
#endif

static inline void gm_kmem_cache_destroy(struct kmem_cache *s)
{
	struct gm_kmalloc_cache *w = gm_kmem_cache_of(s);

	if (!w) {
		kmem_cache_destroy(s);
		return;
	}
	gomalloc_cache_destroy(w->gc);
	gofree(w);
}

static __always_inline void *gm_kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	struct gm_kmalloc_cache *w = gm_kmem_cache_of(s);

	return w ? gomalloc_cache_alloc(w->gc, gfp) : kmem_cache_alloc(s, gfp);
}

static __always_inline void *gm_kmem_cache_alloc_lru(struct kmem_cache *s,
						     struct list_lru *lru, gfp_t gfp)
{
	struct gm_kmalloc_cache *w = gm_kmem_cache_of(s);

	/* No memcg accounting in gomalloc: no per-memcg lru to prepare. */
	return w ? gomalloc_cache_alloc(w->gc, gfp) : kmem_cache_alloc_lru(s, lru, gfp);
}

static __always_inline void *gm_kmem_cache_alloc_node(struct kmem_cache *s, gfp_t gfp, int node)
{
	struct gm_kmalloc_cache *w = gm_kmem_cache_of(s);

	return w ? gomalloc_cache_alloc(w->gc, gfp) : kmem_cache_alloc_node(s, gfp, node);
}

static __always_inline void gm_kmem_cache_free(struct kmem_cache *s, void *p)
{
	struct gm_kmalloc_cache *w = gm_kmem_cache_of(s);

	if (w)
		gomalloc_cache_free(w->gc, p);
	else
		kmem_cache_free(s, p);
}

static inline int gm_kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t n, void **p)
{
	struct gm_kmalloc_cache *w = gm_kmem_cache_of(s);

	if (w)
		return gomalloc_cache_alloc_bulk(w->gc, gfp, n, p);
	return kmem_cache_alloc_bulk(s, gfp, n, p);
}

static inline void gm_kmem_cache_free_bulk(struct kmem_cache *s, size_t n, void **p)
{
	struct gm_kmalloc_cache *w = gm_kmem_cache_of(s);

	if (w)
		gomalloc_cache_free_bulk(w->gc, n, p);
	else if (!s)	/* objects of any cache or kmalloc: kfree_bulk() */
		gm_kfree_bulk(n, p);
	else
		kmem_cache_free_bulk(s, n, p);
}

static inline unsigned int gm_kmem_cache_size(struct kmem_cache *s)
{
	struct gm_kmalloc_cache *w = gm_kmem_cache_of(s);

	return w ? w->size : kmem_cache_size(s);
}

static inline int gm_kmem_cache_shrink(struct kmem_cache *s)
{
	return gm_kmem_cache_of(s) ? 0 : kmem_cache_shrink(s);
}

static inline void *gm_alloc_inode_sb(struct super_block *sb, struct kmem_cache *s, gfp_t gfp)
{
	struct gm_kmalloc_cache *w = gm_kmem_cache_of(s);

	return w ? gomalloc_cache_alloc(w->gc, gfp) : alloc_inode_sb(sb, s, gfp);
}

/* Mempools of a cache: their element functions must see the handle too. */
static inline void *gm_mempool_alloc_slab(gfp_t gfp, void *pool_data)
{
	return gm_kmem_cache_alloc(pool_data, gfp);
}

static inline void gm_mempool_free_slab(void *element, void *pool_data)
{
	gm_kmem_cache_free(pool_data, element);
}

static inline mempool_t *gm_mempool_create_slab_pool(int min_nr, struct kmem_cache *s)
{
	return mempool_create(min_nr, gm_mempool_alloc_slab, gm_mempool_free_slab, s);
}

static inline int gm_mempool_init_slab_pool(mempool_t *pool, int min_nr, struct kmem_cache *s)
{
	return mempool_init(pool, min_nr, gm_mempool_alloc_slab, gm_mempool_free_slab, s);
}
#endif /* !GOMALLOC_KMALLOC_NO_CACHES */

/* ---- RCU-deferred frees ---- */

#define gm_kfree_rcu_2(ptr, rhf) do {					\
	typeof(ptr) ___gmp = (ptr);					\
									\
	if (is_vmalloc_addr(___gmp) || gomalloc_foreign(___gmp))	\
		kvfree_rcu_arg_2(___gmp, rhf);				\
	else								\
		gofree_rcu(___gmp, rhf);				\
} while (0)

/* Without an rcu_head: may sleep, as the kernel's headless form. */
static inline void gm_kfree_rcu_1(const void *p)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	might_sleep();
	synchronize_rcu();
	gm_kvfree(p);
}

#define GM_KMALLOC_ARGS_1_2(_1, _2, name, ...) name

/* ---- the redirections ---- */

#undef kmalloc
#undef kzalloc
#undef kcalloc
#undef kmalloc_array
#undef kmalloc_node
#undef kzalloc_node
#undef kcalloc_node
#undef kmalloc_array_node
#undef kmalloc_track_caller
#undef kmalloc_node_track_caller
#undef krealloc
#undef krealloc_array
#undef kfree
#undef kfree_sensitive
#undef kfree_bulk
#undef ksize
#undef kmemdup
#undef kmemdup_nul
#undef kstrdup
#undef kstrndup
#undef kstrdup_const
#undef kfree_const
#undef kfree_link
#undef kvmalloc
#undef kvzalloc
#undef kvmalloc_node
#undef kvzalloc_node
#undef kvmalloc_array
#undef kvcalloc
#undef kvrealloc
#undef kvfree
#undef kvfree_sensitive
#undef kfree_rcu
#undef kvfree_rcu
#undef kfree_rcu_mightsleep
#undef kvfree_rcu_mightsleep

#define kmalloc(size, gfp)		gm_kmalloc(size, gfp)
#define kzalloc(size, gfp)		gm_kmalloc(size, (gfp) | __GFP_ZERO)
#define kcalloc(n, size, gfp)		gm_kmalloc_array(n, size, (gfp) | __GFP_ZERO)
#define kmalloc_array(n, size, gfp)	gm_kmalloc_array(n, size, gfp)
#define kmalloc_node(size, gfp, node)	gm_kmalloc(size, gfp)
#define kzalloc_node(size, gfp, node)	gm_kmalloc(size, (gfp) | __GFP_ZERO)
#define kcalloc_node(n, size, gfp, node) gm_kmalloc_array(n, size, (gfp) | __GFP_ZERO)
#define kmalloc_array_node(n, size, gfp, node) gm_kmalloc_array(n, size, gfp)
#define kmalloc_track_caller(size, gfp)	gm_kmalloc(size, gfp)
#define kmalloc_node_track_caller(size, gfp, node) gm_kmalloc(size, gfp)
#define krealloc(p, size, gfp)		gm_krealloc(p, size, gfp)
#define krealloc_array(p, n, size, gfp)	gm_krealloc_array(p, n, size, gfp)
/* Object-like where modules take the function's address (callbacks). */
#define kfree				gm_kfree
#define kfree_sensitive			gm_kfree_sensitive
#define kfree_bulk(n, p)		gm_kfree_bulk(n, p)
#define ksize(p)			gm_ksize(p)
#ifdef GM_KMALLOC_CACHE_ARGS
#undef kmem_cache_charge
#define kmem_cache_charge(p, gfp)	gm_kmem_cache_charge(p, gfp)
#endif
#define kmemdup(src, len, gfp)		gm_kmemdup(src, len, gfp)
#define kmemdup_nul(s, len, gfp)	gm_kmemdup_nul(s, len, gfp)
#define kstrdup(s, gfp)			gm_kstrdup(s, gfp)
#define kstrndup(s, max, gfp)		gm_kstrndup(s, max, gfp)
#define kstrdup_const(s, gfp)		gm_kstrdup_const(s, gfp)
#define kfree_const			gm_kfree_const
#define kfree_link			gm_kfree_link	/* a delayed_call of ours */
#define kvmalloc(size, gfp)		gm_kvmalloc(size, gfp)
#define kvzalloc(size, gfp)		gm_kvmalloc(size, (gfp) | __GFP_ZERO)
#define kvmalloc_node(size, gfp, node)	gm_kvmalloc(size, gfp)
#define kvzalloc_node(size, gfp, node)	gm_kvmalloc(size, (gfp) | __GFP_ZERO)
#define kvmalloc_array(n, size, gfp)	gm_kvmalloc_array(n, size, gfp)
#define kvcalloc(n, size, gfp)		gm_kvmalloc_array(n, size, (gfp) | __GFP_ZERO)
#define kvrealloc			gm_kvrealloc
#define kvfree				gm_kvfree
#define kvfree_sensitive(p, len)	gm_kvfree_sensitive(p, len)
#define kfree_rcu(...)			GM_KMALLOC_ARGS_1_2(__VA_ARGS__, gm_kfree_rcu_2, \
							    gm_kfree_rcu_1)(__VA_ARGS__)
#define kvfree_rcu(...)			kfree_rcu(__VA_ARGS__)
#define kfree_rcu_mightsleep(p)		gm_kfree_rcu_1(p)
#define kvfree_rcu_mightsleep(p)	gm_kfree_rcu_1(p)

#ifndef GOMALLOC_KMALLOC_NO_CACHES
#undef kmem_cache_create_usercopy
#undef kmem_cache_destroy
#undef kmem_cache_alloc
#undef kmem_cache_zalloc
#undef kmem_cache_alloc_lru
#undef kmem_cache_alloc_node
#undef kmem_cache_free
#undef kmem_cache_alloc_bulk
#undef kmem_cache_free_bulk
#undef kmem_cache_size
#undef kmem_cache_shrink
#undef alloc_inode_sb
#undef mempool_alloc_slab
#undef mempool_free_slab
#undef mempool_create_slab_pool
#undef mempool_init_slab_pool

#ifdef GM_KMALLOC_CACHE_ARGS
/* kmem_cache_create() and KMEM_CACHE() expand to these names. */
#undef __kmem_cache_create_args
#undef __kmem_cache_default_args
#undef __kmem_cache_create
#define __kmem_cache_create_args	gm_kmem_cache_create_args
#define __kmem_cache_default_args	gm_kmem_cache_default_args
#define __kmem_cache_create		gm_kmem_cache_create
#else
#undef kmem_cache_create
#define kmem_cache_create		gm_kmem_cache_create
#endif
#define kmem_cache_create_usercopy	gm_kmem_cache_create_usercopy
#define kmem_cache_destroy		gm_kmem_cache_destroy
#define kmem_cache_alloc(s, gfp)	gm_kmem_cache_alloc(s, gfp)
#define kmem_cache_zalloc(s, gfp)	gm_kmem_cache_alloc(s, (gfp) | __GFP_ZERO)
#define kmem_cache_alloc_lru(s, lru, gfp) gm_kmem_cache_alloc_lru(s, lru, gfp)
#define kmem_cache_alloc_node(s, gfp, node) gm_kmem_cache_alloc_node(s, gfp, node)
#define kmem_cache_free			gm_kmem_cache_free
#define kmem_cache_alloc_bulk(s, gfp, n, p) gm_kmem_cache_alloc_bulk(s, gfp, n, p)
#define kmem_cache_free_bulk(s, n, p)	gm_kmem_cache_free_bulk(s, n, p)
#define kmem_cache_size(s)		gm_kmem_cache_size(s)
#define kmem_cache_shrink(s)		gm_kmem_cache_shrink(s)
#define alloc_inode_sb(sb, s, gfp)	gm_alloc_inode_sb(sb, s, gfp)
#define mempool_alloc_slab		gm_mempool_alloc_slab
#define mempool_free_slab		gm_mempool_free_slab
#define mempool_create_slab_pool(min_nr, s) gm_mempool_create_slab_pool(min_nr, s)
#define mempool_init_slab_pool(pool, min_nr, s) gm_mempool_init_slab_pool(pool, min_nr, s)
#endif /* !GOMALLOC_KMALLOC_NO_CACHES */

#endif /* _GOMALLOC_KMALLOC_H */
