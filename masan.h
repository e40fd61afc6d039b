/* SPDX-License-Identifier: GPL-2.0 */
/*
 * masan: what KASAN sees of gomalloc's objects (Go's asan.go): shadow set at
 * each hand-out and take-back, gomalloc's own accesses into objects unchecked.
 */
#ifndef _GM_MASAN_H
#define _GM_MASAN_H

#include <linux/kasan.h>
#include <linux/string.h>
#include <linux/types.h>

struct gm_mspan;

/*
 * Generic KASAN only. The tag-based modes would need every pointer gomalloc
 * hands out retagged (and its spans' pages tagged to match): not done, so
 * under CONFIG_KASAN_SW_TAGS/HW_TAGS gomalloc's objects stay untracked, as
 * without KASAN.
 *
 * The shadow codes are mm/kasan/kasan.h's (private to mm/, the same in
 * 6.1 and 6.12); kasan_poison() is exported there (6.1 EXPORT_SYMBOL, 6.12
 * EXPORT_SYMBOL_GPL) but declared only in that header.
 */
#ifdef CONFIG_KASAN_GENERIC
#define GM_ASAN_PAGE_FREE	0xFF	/* KASAN_PAGE_FREE: heap memory, a freed large object */
#define GM_ASAN_PAGE_REDZONE	0xFE	/* KASAN_PAGE_REDZONE: a large object's tail */
#define GM_ASAN_SLAB_REDZONE	0xFC	/* KASAN_SLAB_REDZONE: past an object, never handed out */
#define GM_ASAN_SLAB_FREE	0xFB	/* KASAN_SLAB_FREE: a freed object */

void kasan_poison(const void *addr, size_t size, u8 value, bool init);

/* Hand-out: exactly @size bytes at @p accessible, the rest of its element not. */
void gm_asan_alloc(const void *p, size_t size);
/* Take-back of the element (or large object) at @p of @s: poisoned as freed. */
void gm_asan_free(struct gm_mspan *s, const void *p);
/* A tiny sub-object at @p is freed (@freed: its offset's bit), before it is marked. */
void gm_asan_tiny_free(struct gm_mspan *s, const void *p, unsigned int freed);
/* gomalloc_usable_size(): all @n usable bytes accessible, as ksize(). */
void gm_asan_usable(const void *p, size_t n);
/* A span carved for a class: nothing in it handed out yet. */
void gm_asan_span_new(struct gm_mspan *s);
/* A constructor's run on a slot of @size bytes, which it may write. */
void gm_asan_ctor(void (*ctor)(void *), void *slot, size_t size);
/* Pages going into the heap's free runs (a new arena, a freed span). */
void gm_asan_heap_free(unsigned long base, size_t bytes);
/* The LIFO link word in a (poisoned) free object. */
unsigned long gm_link_read(const void *slot);
void gm_link_write(void *slot, unsigned long v);

/* gomalloc's own zeroing of bytes that may be poisoned. */
#define gm_memset_nocheck(p, c, n)	__memset(p, c, n)
/*
 * Debug mode's red zones and records, inside elements: reports are off
 * between these, as SLUB's metadata_access_enable() does.
 */
#define gm_asan_meta_begin()		kasan_disable_current()
#define gm_asan_meta_end()		kasan_enable_current()

#else /* !CONFIG_KASAN_GENERIC */

static inline void gm_asan_alloc(const void *p, size_t size) { }
static inline void gm_asan_free(struct gm_mspan *s, const void *p) { }
static inline void gm_asan_tiny_free(struct gm_mspan *s, const void *p,
				     unsigned int freed) { }
static inline void gm_asan_usable(const void *p, size_t n) { }
static inline void gm_asan_span_new(struct gm_mspan *s) { }
static inline void gm_asan_ctor(void (*ctor)(void *), void *slot, size_t size)
{
	ctor(slot);
}

static inline void gm_asan_heap_free(unsigned long base, size_t bytes) { }

static __always_inline unsigned long gm_link_read(const void *slot)
{
	return *(const unsigned long *)slot;
}

static __always_inline void gm_link_write(void *slot, unsigned long v)
{
	*(unsigned long *)slot = v;
}

#define gm_memset_nocheck(p, c, n)	memset(p, c, n)
#define gm_asan_meta_begin()		do { } while (0)
#define gm_asan_meta_end()		do { } while (0)

#endif /* CONFIG_KASAN_GENERIC */

#endif /* _GM_MASAN_H */
