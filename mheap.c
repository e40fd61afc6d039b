// SPDX-License-Identifier: GPL-2.0
/*
 * mheap: arenas from alloc_pages(), free page runs in a tree searched in
 * O(log n) and coalesced on free, and the O(1) index from any address to
 * its span.
 *
 * Locking: gm_heap.lock (irqsave: callers may be in hardirq context with
 * GFP_ATOMIC) protects the free tree, the arena list, the index entries of
 * free runs and the counters in struct gm_mheap. alloc_pages() is never
 * called under it; fixalloc's lock nests inside it (lock order:
 * gomalloc_mod.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <linux/fault-inject.h>
#include "gm_compat.h"
#include "masan.h"
#include "mem.h"
#include "mreport.h"
#include "mheap.h"
#include "gm_trace.h"

struct gm_mheap gm_heap;
GM_EXPORT_INTERNAL(gm_heap);
/*
 * The index: L1 -> L2 table -> region -> span per page. A slot with nothing
 * behind it points at an empty L2 table or region, never NULL, so the lookup
 * in gofree() has no NULL tests (64 KiB + 4 KiB of static tables).
 */
struct gm_region **gm_index_l1[GM_L1_ENTRIES];
GM_EXPORT_INTERNAL(gm_index_l1);
struct gm_region *gm_l2_none[GM_L2_ENTRIES];
GM_EXPORT_INTERNAL(gm_l2_none);
struct gm_region gm_region_none;
GM_EXPORT_INTERNAL(gm_region_none);

unsigned long gm_retain_pages = GM_ARENA_PAGES;
module_param_named(retain_pages, gm_retain_pages, ulong, 0644);
GM_EXPORT_INTERNAL(gm_retain_pages);
MODULE_PARM_DESC(retain_pages,
		 "Pages of wholly free arenas kept instead of returned to the system (default 512)");

#ifdef CONFIG_FAULT_INJECTION
/*
 * gomalloc's own injection point (debugfs gomalloc/fail_alloc): a request
 * for pages from the heap (a new span, a page-cache block, a large object)
 * fails as if memory were exhausted.
 */
DECLARE_FAULT_ATTR(gm_fail_alloc);
GM_EXPORT_INTERNAL(gm_fail_alloc);
#endif

bool gm_heap_should_fail(unsigned int npages, gfp_t gfp)
{
#ifdef CONFIG_FAULT_INJECTION
	unsigned long flags;

	/* As fail_page_alloc: a __GFP_NOFAIL request is never failed. */
	if (gfp & __GFP_NOFAIL)
		return false;
	if (!should_fail(&gm_fail_alloc, (size_t)npages << PAGE_SHIFT))
		return false;
	spin_lock_irqsave(&gm_heap.lock, flags);
	gm_heap.injected_failures++;
	spin_unlock_irqrestore(&gm_heap.lock, flags);
	return true;
#else
	return false;
#endif
}

void gm_heap_debugfs(struct dentry *dir)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_alloc", dir, &gm_fail_alloc);
#endif
}

/*
 * The index covers the first 64 TiB of the direct map (tests lower it). A
 * block above it (5-level paging, huge machines) cannot be used; the first
 * GM_UNINDEXED_MAX such blocks are held back, so that the page allocator
 * hands out other memory instead of the same block again, until memory
 * pressure or unload (gm_heap_release_unindexed).
 */
unsigned long gm_index_limit = 1UL << (GM_INDEX_BITS + GM_REGION_SHIFT);
GM_EXPORT_INTERNAL(gm_index_limit);

static bool gm_heap_hold_unindexed(struct page *page, unsigned int order)
{
	unsigned long flags;
	bool held = false;

	spin_lock_irqsave(&gm_heap.lock, flags);
	if (gm_heap.nunindexed < GM_UNINDEXED_MAX) {
		set_page_private(page, order);
		list_add(&page->lru, &gm_heap.unindexed);
		gm_heap.nunindexed++;
		gm_heap.unindexed_pages += 1UL << order;
		held = true;
	}
	spin_unlock_irqrestore(&gm_heap.lock, flags);
	pr_warn_once("memory above the first %lu GiB of the direct map cannot be indexed; up to %u such blocks are held back so that others are used\n",
		     READ_ONCE(gm_index_limit) >> 30, GM_UNINDEXED_MAX);
	return held;
}

/* Orders above this count as failed (tests force the high-order fallback). */
unsigned int gm_grow_max_order = GM_MAX_ORDER;
GM_EXPORT_INTERNAL(gm_grow_max_order);

static void gm_index_init(void);

void gm_heap_init(void)
{
	BUILD_BUG_ON(GM_MAX_ORDER > GM_TOP_ORDER);
	gm_index_init();
	spin_lock_init(&gm_heap.lock);
	gm_heap.free = RB_ROOT;
	INIT_LIST_HEAD(&gm_heap.arenas);
	INIT_LIST_HEAD(&gm_heap.unindexed);
	gm_fixalloc_init(&gm_heap.spanalloc, "span", sizeof(struct gm_mspan));
	gm_fixalloc_init(&gm_heap.arenaalloc, "arena", sizeof(struct gm_arena));
	gm_fixalloc_init(&gm_heap.tinyalloc, "tiny",
			 sizeof(struct gm_tiny_block) * (PAGE_SIZE / GM_TINY_BLOCK));
}

/* ---- the index: direct-map address -> region -> span per page ---- */

static void *gm_index_page_alloc(gfp_t gfp, unsigned int order)
{
	struct page *page;

	page = gm_buddy_alloc(gm_arena_gfp(gfp, false) | __GFP_ZERO | __GFP_NOWARN,
			      order);

	return page ? page_address(page) : NULL;
}

static void gm_index_page_free(void *p, unsigned int order)
{
	gm_buddy_free(virt_to_page(p), order);
}

/* The region slot of @p in an L2 table of ours, or NULL if there is none. */
static struct gm_region **gm_index_region_slot(unsigned long p)
{
	unsigned long ri = (p - PAGE_OFFSET) >> GM_REGION_SHIFT;
	struct gm_region **l2 = READ_ONCE(gm_index_l1[ri >> GM_L2_BITS]);

	return l2 != gm_l2_none ? &l2[ri & (GM_L2_ENTRIES - 1)] : NULL;
}

static void gm_index_init(void)
{
	unsigned long i;

	for (i = 0; i < GM_L2_ENTRIES; i++)
		gm_l2_none[i] = &gm_region_none;
	for (i = 0; i < GM_L1_ENTRIES; i++)
		gm_index_l1[i] = gm_l2_none;
}

struct gm_mspan *gm_span_entry(unsigned long p)
{
	return gm_span_index(p);
}
GM_EXPORT_INTERNAL(gm_span_entry);

bool gm_heap_owns_range(unsigned long p)
{
	unsigned long off = p - PAGE_OFFSET;
	struct gm_region **slot;

	if (off >= (1UL << (GM_INDEX_BITS + GM_REGION_SHIFT)))
		return false;
	slot = gm_index_region_slot(p);
	return slot && READ_ONCE(*slot) != &gm_region_none;
}
GM_EXPORT_INTERNAL(gm_heap_owns_range);

/*
 * Make sure index pages exist for [base, base + npages pages). Allocates
 * with @gfp and no lock held; installs under the heap lock.
 */
static int gm_index_ensure(unsigned long base, unsigned long npages, gfp_t gfp)
{
	unsigned long a, end = base + (npages << PAGE_SHIFT) - 1, flags;

	if (end - PAGE_OFFSET >= READ_ONCE(gm_index_limit))
		return -ERANGE;
	for (a = base & ~((1UL << GM_REGION_SHIFT) - 1); a <= end;
	     a += 1UL << GM_REGION_SHIFT) {
		unsigned long ri = (a - PAGE_OFFSET) >> GM_REGION_SHIFT;
		struct gm_region ***l1 = &gm_index_l1[ri >> GM_L2_BITS];
		struct gm_region **l2 = NULL, **slot;
		struct gm_region *r = NULL;

		if (READ_ONCE(*l1) == gm_l2_none) {
			unsigned long i;

			l2 = gm_index_page_alloc(gfp, GM_L2_ORDER);
			if (!l2)
				return -ENOMEM;
			for (i = 0; i < GM_L2_ENTRIES; i++)
				l2[i] = &gm_region_none;
		}
		spin_lock_irqsave(&gm_heap.lock, flags);
		if (l2 && *l1 == gm_l2_none) {
			/* Filled table visible before the pointer (gm_span_of). */
			smp_store_release(l1, l2);
			gm_heap.meta_pages += 1UL << GM_L2_ORDER;
			l2 = NULL;
		}
		spin_unlock_irqrestore(&gm_heap.lock, flags);
		if (l2)
			gm_index_page_free(l2, GM_L2_ORDER);

		slot = gm_index_region_slot(a);
		if (READ_ONCE(*slot) != &gm_region_none)
			continue;
		r = gm_index_page_alloc(gfp, 0);
		if (!r)
			return -ENOMEM;
		spin_lock_irqsave(&gm_heap.lock, flags);
		if (*slot == &gm_region_none) {
			/* Zeroed region visible before the pointer (gm_span_of). */
			smp_store_release(slot, r);
			gm_heap.meta_pages++;
			r = NULL;
		}
		spin_unlock_irqrestore(&gm_heap.lock, flags);
		if (r)
			gm_index_page_free(r, 0);
	}
	return 0;
}

/*
 * A released arena's regions that no other arena shares leave the index
 * (heap lock held, @a already off the arena list): their slots point at the
 * empty region again and their pages go on @regions. Lock-free readers
 * (gofree() and gomalloc_usable_size() of any pointer) read the index with
 * preemption disabled, so the pages are freed after an RCU grace period.
 */
static void gm_index_unpublish(struct gm_arena *a, struct list_head *regions)
{
	unsigned long r, end = a->base + ((unsigned long)a->npages << PAGE_SHIFT);
	struct gm_region **slot;
	struct gm_arena *o;

	lockdep_assert_held(&gm_heap.lock);
	for (r = a->base & ~((1UL << GM_REGION_SHIFT) - 1); r < end;
	     r += 1UL << GM_REGION_SHIFT) {
		bool shared = false;

		list_for_each_entry(o, &gm_heap.arenas, list)
			if (o->base < r + (1UL << GM_REGION_SHIFT) &&
			    o->base + ((unsigned long)o->npages << PAGE_SHIFT) > r) {
				shared = true;
				break;
			}
		slot = gm_index_region_slot(r);
		if (shared || !slot || *slot == &gm_region_none)
			continue;
		list_add(&virt_to_page(*slot)->lru, regions);
		WRITE_ONCE(*slot, &gm_region_none);
	}
}

/* Has every region of [base, base + npages pages) its index page? */
static bool gm_index_covers(unsigned long base, unsigned long npages)
{
	unsigned long r, end = base + (npages << PAGE_SHIFT);

	lockdep_assert_held(&gm_heap.lock);
	for (r = base & ~((1UL << GM_REGION_SHIFT) - 1); r < end;
	     r += 1UL << GM_REGION_SHIFT) {
		struct gm_region **slot = gm_index_region_slot(r);

		if (!slot || *slot == &gm_region_none)
			return false;
	}
	return true;
}

static void gm_index_region_rcu(struct rcu_head *head)
{
	struct page *page = container_of(head, struct page, rcu_head);
	unsigned long flags;

	gm_buddy_free(page, 0);
	spin_lock_irqsave(&gm_heap.lock, flags);
	gm_heap.meta_pages--;
	spin_unlock_irqrestore(&gm_heap.lock, flags);
}

static void gm_index_release_regions(struct list_head *regions)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, regions, lru) {
		list_del(&page->lru);
		call_rcu(&page->rcu_head, gm_index_region_rcu);
	}
}

/* Point the index entries of pages [base, base + npages) at @s. */
void gm_heap_set_spans(struct gm_mspan *s, unsigned long base, unsigned int npages)
{
	unsigned long a;

	for (a = base; a < base + ((unsigned long)npages << PAGE_SHIFT); a += PAGE_SIZE) {
		struct gm_region *r = READ_ONCE(*gm_index_region_slot(a));

		WRITE_ONCE(r->spans[((a - PAGE_OFFSET) >> PAGE_SHIFT) &
				    (GM_REGION_PAGES - 1)], s);
	}
}
GM_EXPORT_INTERNAL(gm_heap_set_spans);

/* ---- the free tree, ordered by (npages, base): best fit, lowest address ---- */

static bool gm_free_less(struct gm_mspan *a, struct gm_mspan *b)
{
	return a->npages < b->npages || (a->npages == b->npages && a->base < b->base);
}

static void gm_free_insert(struct gm_mspan *s)
{
	struct rb_node **link = &gm_heap.free.rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		if (gm_free_less(s, rb_entry(parent, struct gm_mspan, rb)))
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&s->rb, parent, link);
	rb_insert_color(&s->rb, &gm_heap.free);
}

/* The smallest free run of at least @npages pages. */
static struct gm_mspan *gm_free_find(unsigned int npages)
{
	struct rb_node *n = gm_heap.free.rb_node;
	struct gm_mspan *best = NULL;

	while (n) {
		struct gm_mspan *s = rb_entry(n, struct gm_mspan, rb);

		if (s->npages >= npages) {
			best = s;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	return best;
}

/* Does free run @s hold @npages pages starting on an @align-page boundary? */
static bool gm_free_fits_aligned(struct gm_mspan *s, unsigned int npages,
				 unsigned int align)
{
	unsigned long start = ALIGN(s->base, (unsigned long)align << PAGE_SHIFT);

	return start + ((unsigned long)npages << PAGE_SHIFT) <= gm_span_end(s);
}

/*
 * A free run that holds an @align-aligned run of @npages pages. Runs of
 * npages + align - 1 pages or more always do, smaller ones only when their
 * base falls right: the candidates are looked at in tree order (smallest
 * first), and after GM_ALIGN_SCAN misses the search jumps to the smallest
 * run that surely fits. Only when there is none does it go on through the
 * rest, which are then all shorter than npages + align - 1 pages (from 512
 * pages on, runs are whole free arenas, aligned, or parts of 4 MiB ones).
 */
#define GM_ALIGN_SCAN	8
static struct gm_mspan *gm_free_find_aligned(unsigned int npages, unsigned int align)
{
	struct gm_mspan *s = gm_free_find(npages), *sure;
	unsigned int misses = 0;
	struct rb_node *n;

	while (s) {
		if (gm_free_fits_aligned(s, npages, align))
			return s;
		if (++misses == GM_ALIGN_SCAN) {
			sure = gm_free_find(npages + align - 1);
			if (sure)
				return sure;
		}
		n = rb_next(&s->rb);
		s = n ? rb_entry(n, struct gm_mspan, rb) : NULL;
	}
	return NULL;
}

/* Record @s as a free run: boundary index entries, tree, counters. */
static void gm_free_add(struct gm_mspan *s)
{
	WRITE_ONCE(s->state, GM_SPAN_FREE);
	gm_heap_set_spans(s, s->base, 1);
	gm_heap_set_spans(s, gm_span_end(s) - PAGE_SIZE, 1);
	gm_free_insert(s);
	gm_heap.pages_free += s->npages;
}

static void gm_free_remove(struct gm_mspan *s)
{
	rb_erase(&s->rb, &gm_heap.free);
	gm_heap.pages_free -= s->npages;
}

/* The first @npages pages of free run @f; the rest stays in the tree. */
static struct gm_mspan *gm_free_take(struct gm_mspan *f, unsigned int npages,
				     struct gm_mspan *spare)
{
	gm_free_remove(f);
	WRITE_ONCE(f->state, GM_SPAN_DEAD);
	if (f->npages == npages)
		return f;
	spare->base = f->base;
	spare->npages = npages;
	spare->arena = f->arena;
	f->base += (unsigned long)npages << PAGE_SHIFT;
	f->npages -= npages;
	gm_free_add(f);
	return spare;
}

/*
 * Take @npages pages from the best-fitting free run. @spare is a blank
 * descriptor used if the run must be split. Returns the span (state DEAD,
 * index not yet pointing at it), or NULL if no run is big enough.
 */
struct gm_mspan *gm_heap_alloc_run_locked(unsigned int npages, struct gm_mspan *spare)
{
	struct gm_mspan *f = gm_free_find(npages);

	lockdep_assert_held(&gm_heap.lock);
	if (!f)
		return NULL;
	return gm_free_take(f, npages, spare);
}
GM_EXPORT_INTERNAL(gm_heap_alloc_run_locked);

/*
 * gm_heap_alloc_run_locked() for a run that starts on an @align-page
 * boundary (@align a power of two). The pages before it (head) and after
 * it (tail) go back to the tree: @spare becomes the run, the free run found
 * keeps the head (or the tail if there is no head), and *@spare2 takes the
 * tail when there are both (then *@spare2 is set to NULL: it is used).
 */
struct gm_mspan *gm_heap_alloc_aligned_run_locked(unsigned int npages, unsigned int align,
						  struct gm_mspan *spare,
						  struct gm_mspan **spare2)
{
	struct gm_mspan *f = gm_free_find_aligned(npages, align);
	unsigned long start, end;

	lockdep_assert_held(&gm_heap.lock);
	if (!f)
		return NULL;
	start = ALIGN(f->base, (unsigned long)align << PAGE_SHIFT);
	if (start == f->base)	/* no head: as unaligned */
		return gm_free_take(f, npages, spare);
	end = start + ((unsigned long)npages << PAGE_SHIFT);
	gm_free_remove(f);
	WRITE_ONCE(f->state, GM_SPAN_DEAD);
	spare->base = start;
	spare->npages = npages;
	spare->arena = f->arena;
	if (end < gm_span_end(f)) {
		struct gm_mspan *t = *spare2;

		*spare2 = NULL;
		t->base = end;
		t->npages = (gm_span_end(f) - end) >> PAGE_SHIFT;
		t->arena = f->arena;
		gm_free_add(t);
	}
	f->npages = (start - f->base) >> PAGE_SHIFT;
	gm_free_add(f);
	return spare;
}
GM_EXPORT_INTERNAL(gm_heap_alloc_aligned_run_locked);

/*
 * Give a run back, merging it with free neighbours in the same arena.
 *
 * A neighbour's state is read while its owner may be changing it without
 * the heap lock: gm_heap_free() marks a span DEAD before it takes the lock,
 * gm_heap_publish() and the large cache move in-use states. Benign: only
 * the heap lock's holders make a span FREE or take it out of FREE, so the
 * test for FREE is stable under the lock and a racing store only changes
 * one state that is not FREE into another (a race KCSAN reported, strict
 * mode). READ_ONCE pairs with those WRITE_ONCE()s.
 */
void gm_heap_free_run_locked(struct gm_mspan *s)
{
	struct gm_arena *a = s->arena;
	struct gm_mspan *n;

	lockdep_assert_held(&gm_heap.lock);
	if (s->base > a->base) {
		n = gm_span_entry(s->base - PAGE_SIZE);
		if (n && READ_ONCE(n->state) == GM_SPAN_FREE && gm_span_end(n) == s->base &&
		    n->arena == a) {
			gm_free_remove(n);
			s->base = n->base;
			s->npages += n->npages;
			WRITE_ONCE(n->state, GM_SPAN_DEAD);
			gm_fixalloc_free(&gm_heap.spanalloc, n);
		}
	}
	if (gm_span_end(s) < a->base + ((unsigned long)a->npages << PAGE_SHIFT)) {
		n = gm_span_entry(gm_span_end(s));
		if (n && READ_ONCE(n->state) == GM_SPAN_FREE && n->base == gm_span_end(s) &&
		    n->arena == a) {
			gm_free_remove(n);
			s->npages += n->npages;
			WRITE_ONCE(n->state, GM_SPAN_DEAD);
			gm_fixalloc_free(&gm_heap.spanalloc, n);
		}
	}
	gm_free_add(s);
}
GM_EXPORT_INTERNAL(gm_heap_free_run_locked);

/*
 * Grow the heap by one arena big enough for @npages: GM_ARENA_ORDER when the
 * buddy allocator has it, else smaller orders down to what @npages needs.
 */
static int gm_heap_grow(unsigned int npages, gfp_t gfp)
{
	unsigned int need = get_order((unsigned long)npages << PAGE_SHIFT);
	unsigned int order = max_t(unsigned int, need, GM_ARENA_ORDER);
	struct gm_arena *a;
	struct gm_mspan *s;
	struct page *page = NULL;
	unsigned long flags;
	int ret = -ENOMEM;

	if (need > GM_MAX_ORDER)
		return -E2BIG;
	a = gm_fixalloc_alloc(&gm_heap.arenaalloc, gfp);
	s = gm_fixalloc_alloc(&gm_heap.spanalloc, gfp);
	if (!a || !s)
		goto nomem;
	for (; !page; order--) {
		/* A test may cap the order; never for __GFP_NOFAIL. */
		if (order <= READ_ONCE(gm_grow_max_order) || (gfp & __GFP_NOFAIL))
			page = gm_buddy_alloc(gm_arena_gfp(gfp, order > need), order);
		if (page || order == need)
			break;
	}
	if (!page)
		goto nomem;
	a->page = page;
	a->order = order;
	a->npages = 1U << order;
	a->base = (unsigned long)page_address(page);
	gm_asan_heap_free(a->base, (size_t)a->npages << PAGE_SHIFT);
	/*
	 * Index pages for the arena, then the arena on the list under the
	 * heap lock, with its index still there: a release of another arena
	 * in the same region may have unpublished it meanwhile.
	 */
	for (;;) {
		ret = gm_index_ensure(a->base, a->npages, gfp);
		if (ret) {
			if (ret != -ERANGE || !gm_heap_hold_unindexed(page, order))
				gm_buddy_free(page, order);
			goto nomem;
		}
		spin_lock_irqsave(&gm_heap.lock, flags);
		if (gm_index_covers(a->base, a->npages))
			break;
		spin_unlock_irqrestore(&gm_heap.lock, flags);
	}
	s->base = a->base;
	s->npages = a->npages;
	s->arena = a;
	list_add_tail(&a->list, &gm_heap.arenas);
	gm_heap.narenas++;
	gm_heap.pages_held += a->npages;
	gm_free_add(s);
	spin_unlock_irqrestore(&gm_heap.lock, flags);
	trace_gomalloc_heap_grow(npages, order, READ_ONCE(gm_heap.pages_held), 0);
	return 0;
nomem:
	if (a)
		gm_fixalloc_free(&gm_heap.arenaalloc, a);
	if (s)
		gm_fixalloc_free(&gm_heap.spanalloc, s);
	spin_lock_irqsave(&gm_heap.lock, flags);
	gm_heap.grow_failures++;
	spin_unlock_irqrestore(&gm_heap.lock, flags);
	trace_gomalloc_heap_grow(npages, order, READ_ONCE(gm_heap.pages_held), ret);
	return ret;
}

/* __GFP_NOFAIL, honoured where it can be: a caller that may sleep. */
static bool gm_heap_nofail(gfp_t gfp)
{
	return (gfp & __GFP_NOFAIL) && gfpflags_allow_blocking(gfp);
}

/*
 * gm_heap_alloc_aligned() without the injected failure, in @spare (a span
 * descriptor, or NULL for a new one) if it comes from the free tree: the
 * pageCache's fallback, which has made its own check and taken @spare.
 */
struct gm_mspan *gm_heap_alloc_span(unsigned int npages, unsigned int align, gfp_t gfp,
				    struct gm_mspan *spare)
{
	struct gm_mspan *spare2 = NULL, *s;
	unsigned long flags;
	int tries, ret;

	if (!spare) {
		spare = gm_fixalloc_alloc(&gm_heap.spanalloc, gfp);
		if (!spare)
			return NULL;
	}
	/* An aligned cut may leave a head and a tail: one more descriptor. */
	if (align > 1) {
		spare2 = gm_fixalloc_alloc(&gm_heap.spanalloc, gfp);
		if (!spare2) {
			gm_fixalloc_free(&gm_heap.spanalloc, spare);
			return NULL;
		}
	}
	/*
	 * Others may take the new arena's pages first: try a few times, and
	 * for __GFP_NOFAIL (which may sleep) until it works.
	 */
	for (tries = 0; ; tries++) {
		spin_lock_irqsave(&gm_heap.lock, flags);
		s = align > 1 ? gm_heap_alloc_aligned_run_locked(npages, align, spare, &spare2) :
				gm_heap_alloc_run_locked(npages, spare);
		spin_unlock_irqrestore(&gm_heap.lock, flags);
		if (s) {
			if (s != spare)
				gm_fixalloc_free(&gm_heap.spanalloc, spare);
			if (spare2)
				gm_fixalloc_free(&gm_heap.spanalloc, spare2);
			return s;
		}
		if (gm_heap_nofail(gfp)) {
			if (gm_heap_grow(npages, gfp))
				memalloc_retry_wait(gfp);
			continue;
		}
		if (tries == 3)
			break;
		ret = gm_heap_grow(npages, gfp);
		if (ret && ret != -ERANGE)	/* unindexed: held back, try again */
			break;
	}
	gm_fixalloc_free(&gm_heap.spanalloc, spare);
	if (spare2)
		gm_fixalloc_free(&gm_heap.spanalloc, spare2);
	return NULL;
}

/*
 * A span of @npages pages starting on an @align-page boundary (a power of
 * two, at most the order of an arena that fits @npages: a new arena always
 * serves it), state DEAD: the caller initialises it, then
 * gm_heap_publish()es it. From the free tree, growing the heap if needed.
 */
struct gm_mspan *gm_heap_alloc_aligned(unsigned int npages, unsigned int align, gfp_t gfp)
{
	if (gm_heap_should_fail(npages, gfp))
		return NULL;
	return gm_heap_alloc_span(npages, align, gfp, NULL);
}
GM_EXPORT_INTERNAL(gm_heap_alloc_aligned);

/* Point the index at a span the caller has initialised, then make it live. */
void gm_heap_publish(struct gm_mspan *s, enum gm_span_state state)
{
	s->bytes = (unsigned long)s->npages << PAGE_SHIFT;
	gm_heap_set_spans(s, s->base, s->npages);
	smp_wmb();	/* fields before state, for lock-free gm_span_of() */
	WRITE_ONCE(s->state, state);
}
GM_EXPORT_INTERNAL(gm_heap_publish);

/* Return a span's pages to the free tree. */
void gm_heap_free(struct gm_mspan *s)
{
	unsigned long flags;

	WRITE_ONCE(s->state, GM_SPAN_DEAD);
	s->spanclass = 0;
	gm_asan_heap_free(s->base, (size_t)s->npages << PAGE_SHIFT);
	spin_lock_irqsave(&gm_heap.lock, flags);
	gm_heap_free_run_locked(s);
	spin_unlock_irqrestore(&gm_heap.lock, flags);
}
GM_EXPORT_INTERNAL(gm_heap_free);

/*
 * Is @a wholly free (one free run covering it)? Heap lock held. The state
 * may be changing between two states that are not FREE meanwhile, as in
 * gm_heap_free_run_locked().
 */
static bool gm_arena_free(struct gm_arena *a)
{
	struct gm_mspan *s = gm_span_entry(a->base);

	lockdep_assert_held(&gm_heap.lock);
	return s && READ_ONCE(s->state) == GM_SPAN_FREE && s->base == a->base &&
	       s->npages == a->npages;
}

/* Pages gm_heap_release(@keep_pages) would return now. */
unsigned long gm_heap_releasable(unsigned long keep_pages)
{
	unsigned long flags, n = 0, kept = 0;
	struct gm_arena *a;

	spin_lock_irqsave(&gm_heap.lock, flags);
	list_for_each_entry(a, &gm_heap.arenas, list) {
		if (!gm_arena_free(a))
			continue;
		if (kept + a->npages <= keep_pages)
			kept += a->npages;
		else
			n += a->npages;
	}
	spin_unlock_irqrestore(&gm_heap.lock, flags);
	return n;
}

/*
 * Return wholly free arenas to the buddy allocator, keeping free arenas of
 * at most @keep_pages pages in all (oldest first). Returns pages released.
 */
unsigned long gm_heap_release(unsigned long keep_pages)
{
	unsigned long flags, released = 0, kept = 0;
	struct gm_arena *a, *n;
	LIST_HEAD(regions);
	LIST_HEAD(gone);

	spin_lock_irqsave(&gm_heap.lock, flags);
	list_for_each_entry_safe(a, n, &gm_heap.arenas, list) {
		struct gm_mspan *s = gm_span_entry(a->base);

		if (!gm_arena_free(a))
			continue;
		if (kept + a->npages <= keep_pages) {
			kept += a->npages;
			continue;
		}
		gm_free_remove(s);
		WRITE_ONCE(s->state, GM_SPAN_DEAD);
		gm_heap_set_spans(NULL, a->base, a->npages);
		gm_fixalloc_free(&gm_heap.spanalloc, s);
		list_move(&a->list, &gone);
		gm_index_unpublish(a, &regions);
		gm_heap.pages_held -= a->npages;
		gm_heap.narenas--;
		gm_heap.arenas_released++;
		released += a->npages;
	}
	spin_unlock_irqrestore(&gm_heap.lock, flags);
	list_for_each_entry_safe(a, n, &gone, list) {
		gm_buddy_free(a->page, a->order);
		gm_fixalloc_free(&gm_heap.arenaalloc, a);
	}
	gm_index_release_regions(&regions);
	return released;
}
GM_EXPORT_INTERNAL(gm_heap_release);

/*
 * Give back the blocks held back above the index (memory pressure, unload;
 * not the scavenger, or they would cycle every period). Returns pages.
 */
unsigned long gm_heap_release_unindexed(void)
{
	unsigned long flags, pages;
	struct page *page, *next;
	LIST_HEAD(held);

	spin_lock_irqsave(&gm_heap.lock, flags);
	list_splice_init(&gm_heap.unindexed, &held);
	pages = gm_heap.unindexed_pages;
	gm_heap.nunindexed = 0;
	gm_heap.unindexed_pages = 0;
	spin_unlock_irqrestore(&gm_heap.lock, flags);
	list_for_each_entry_safe(page, next, &held, lru) {
		list_del(&page->lru);
		gm_buddy_free(page, page_private(page));
	}
	return pages;
}
GM_EXPORT_INTERNAL(gm_heap_release_unindexed);

/*
 * Unload: every wholly free arena goes back; arenas that still hold live
 * objects are left allocated (never given back under a user's object).
 */
void gm_heap_exit(void)
{
	unsigned long i, j, left;

	gm_heap_release(0);
	gm_heap_release_unindexed();
	rcu_barrier();	/* index pages on their way out are gone */
	left = gm_heap.pages_held;
	if (left)
		pr_err("%lu page(s) in %lu arena(s) still hold live objects; leaking them\n",
		       left, gm_heap.narenas);
	for (i = 0; i < GM_L1_ENTRIES; i++) {
		struct gm_region **l2 = gm_index_l1[i];

		if (l2 == gm_l2_none)
			continue;
		for (j = 0; j < GM_L2_ENTRIES; j++)
			if (l2[j] != &gm_region_none)
				gm_index_page_free(l2[j], 0);
		gm_index_page_free(l2, GM_L2_ORDER);
		gm_index_l1[i] = gm_l2_none;
	}
	gm_heap.meta_pages = 0;
	gm_fixalloc_destroy(&gm_heap.spanalloc);
	gm_fixalloc_destroy(&gm_heap.arenaalloc);
	gm_fixalloc_destroy(&gm_heap.tinyalloc);
}
