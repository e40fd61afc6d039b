/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomalloc public API: Go's runtime allocator as a kernel slab allocator.
 * Client modules include this header and link against gomalloc's
 * Module.symvers (KBUILD_EXTRA_SYMBOLS).
 */
#ifndef _GOMALLOC_H
#define _GOMALLOC_H

#include <linux/build_bug.h>
#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/slab.h>	/* slab_flags_t, SLAB_* */

/*
 * Largest size gomalloc() can ever serve: 4 MiB, one buddy block of the top
 * order on x86-64 (the build checks the kernel's top order reaches it).
 */
#define GOMALLOC_MAX_SHIFT	22
#define GOMALLOC_MAX_SIZE	(1UL << GOMALLOC_MAX_SHIFT)
/* gomalloc_tiny() takes 1..GOMALLOC_TINY_MAX bytes. */
#define GOMALLOC_TINY_MAX	15

/*
 * gomalloc - allocate @size bytes, like kmalloc().
 * Returns ZERO_SIZE_PTR for size 0 and NULL on failure. Objects are at least
 * 8-byte aligned; power-of-two sizes up to GOMALLOC_MAX_SIZE are naturally
 * aligned (as kmalloc: gomalloc(8192) is 8 KiB aligned, gomalloc(1 << 20)
 * 1 MiB aligned), in debug mode too; other objects above 32 KiB are
 * page-aligned. __GFP_ZERO (and init_on_alloc) zero the object.
 * GFP_ATOMIC / GFP_NOWAIT never sleep; __GFP_NOFAIL (with a gfp that may
 * sleep) never returns NULL. __GFP_DMA and __GFP_DMA32 are not supported:
 * NULL, a one-time warning, and bad_flags in /proc/gomalloc. In NMI context
 * it returns NULL.
 *
 * PREEMPT_RT: where the caller cannot sleep (a hard interrupt handler that
 * is not threaded, a raw spinlock held, preemption or interrupts disabled)
 * an allocation is served only from this CPU's cache, without a lock; if
 * that misses it returns NULL, warns (unless __GFP_NOWARN) and counts
 * rt_atomic_refused in /proc/gomalloc. A hard interrupt has a cache of its
 * own that is never filled, so there every allocation returns NULL: as with
 * kmalloc on RT, allocate before, or from a threaded handler. The same
 * holds for gomalloc_tiny(), gorealloc(), the bulk and typed-cache calls.
 */
void *gomalloc(size_t size, gfp_t gfp);

/*
 * gofree - free an object from gomalloc(), gomalloc_tiny() or gorealloc(),
 * from any CPU and any context. NULL and ZERO_SIZE_PTR are ignored. A pointer
 * gomalloc never returned, an interior pointer or a double free is reported,
 * counted and otherwise ignored. From NMI context the free is deferred to an
 * irq_work on the same CPU (up to 32 pending per CPU; beyond that the object
 * is leaked, reported and counted as nmi_frees_lost). On PREEMPT_RT, where
 * the caller cannot sleep, a free the CPU's cache cannot take at once is
 * checked, then deferred the same way (256 pending per CPU) to a work item
 * (rt_frees_deferred, rt_frees_lost).
 */
void gofree(const void *ptr);

/* Bytes usable at @ptr (at least the size asked for); 0 if not ours. */
size_t gomalloc_usable_size(const void *ptr);

/*
 * gomalloc_foreign - for a caller about to free or resize @ptr that may hold
 * the kernel's memory as well as gomalloc's (<gomalloc_kmalloc.h>): true if
 * @ptr's memory is not gomalloc's, so the kernel's allocator must take it;
 * each true answer counts one foreign_frees in /proc/gomalloc. False for
 * NULL, ZERO_SIZE_PTR and anything in gomalloc's heap, live or not
 * (gofree() frees or reports it).
 */
bool gomalloc_foreign(const void *ptr);

/*
 * gorealloc - resize, keeping the contents up to the smaller size.
 * NULL/ZERO_SIZE_PTR @ptr acts as gomalloc(); @new_size 0 frees and returns
 * ZERO_SIZE_PTR. On failure returns NULL and @ptr stays valid.
 */
void *gorealloc(const void *ptr, size_t new_size, gfp_t gfp);

/*
 * gomalloc_tiny - 1..15 bytes packed into shared 16-byte blocks, aligned to
 * 8, 4 or 2 bytes by the size's low bits (Go's tiny allocator). Freed with
 * gofree(); a block returns to its span when its last sub-object is freed.
 */
void *gomalloc_tiny(size_t size, gfp_t gfp);

/*
 * ---- typed caches, as kmem_cache ----
 *
 * gomalloc_cache_create - a cache of @size-byte objects aligned to @align
 * (0 or a power of two up to PAGE_SIZE), each cache in span classes of its
 * own: its objects never share a span, or memory, with another cache's or
 * gomalloc()'s. @ctor, if set, runs once per slot when a span is carved, not
 * per allocation; a freed object keeps its constructed state. @flags:
 * SLAB_HWCACHE_ALIGN, SLAB_TYPESAFE_BY_RCU (a span's memory leaves the cache
 * only after an RCU grace period), SLAB_PANIC; SLAB_ACCOUNT and
 * SLAB_RECLAIM_ACCOUNT cannot be honoured: create fails naming the flag.
 * Returns NULL on failure (a message says why).
 */
struct gomalloc_cache;
struct gomalloc_cache *gomalloc_cache_create(const char *name, unsigned int size,
					     unsigned int align, slab_flags_t flags,
					     void (*ctor)(void *));
void *gomalloc_cache_alloc(struct gomalloc_cache *c, gfp_t gfp);
/* Free an object of @c (gofree() frees it too; @c is checked here). */
void gomalloc_cache_free(struct gomalloc_cache *c, void *p);
/*
 * Destroy @c. Live objects are reported (their exact number) and their memory
 * kept; the name can be used again at once. Waits for gofree_rcu() frees of
 * the cache's objects still pending.
 */
void gomalloc_cache_destroy(struct gomalloc_cache *c);
/* All or nothing, as kmem_cache_alloc_bulk: @n objects in @p, or 0. */
int gomalloc_cache_alloc_bulk(struct gomalloc_cache *c, gfp_t gfp, size_t n, void **p);
void gomalloc_cache_free_bulk(struct gomalloc_cache *c, size_t n, void **p);

/* ---- bulk gomalloc()/gofree(): @n objects of @size, all or nothing ---- */
int gomalloc_bulk(size_t size, gfp_t gfp, size_t n, void **p);
void gofree_bulk(size_t n, void **p);

/*
 * ---- deferred frees ----
 *
 * gofree_rcu - free @ptr after an RCU grace period, as kfree_rcu(): @ptr's
 * type has a struct rcu_head member @rhf, and readers that found the object
 * before the call may use it until they leave their read-side section. For
 * objects of gomalloc(), gomalloc_tiny(), gorealloc() and typed caches; NULL
 * is ignored. Never sleeps: callable from task, softirq and hardirq context,
 * with interrupts off and under (raw) spinlocks. Frees are gathered per CPU
 * and handed to RCU a batch at a time; @rhf is used only when no batch
 * storage is at hand. A type of GOMALLOC_TINY_MAX bytes or less is refused
 * at build time (its object could be a tiny sub-object, which is not found
 * again from its rcu_head). From NMI context nothing is queued: the object
 * is leaked, reported and counted in nmi_frees_lost.
 */
#define gofree_rcu(ptr, rhf) do {						\
	typeof(ptr) ___gp = (ptr);						\
										\
	BUILD_BUG_ON_MSG(sizeof(*___gp) <= GOMALLOC_TINY_MAX,			\
			 "gofree_rcu: the object may be a tiny sub-object");	\
	if (___gp)								\
		__gofree_rcu(___gp, &___gp->rhf);				\
} while (0)
void __gofree_rcu(const void *ptr, struct rcu_head *head);

/*
 * gomalloc_rcu_barrier - wait until every gofree_rcu() issued before the call
 * has freed its object, as rcu_barrier() does for call_rcu(). Sleeps.
 */
void gomalloc_rcu_barrier(void);

#endif /* _GOMALLOC_H */
