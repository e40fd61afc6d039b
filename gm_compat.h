/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomalloc's kernel-version differences, all in one place (6.1 .. 6.12+):
 * symbol namespaces, the buddy allocator's top order and the shrinker API.
 */
#ifndef _GM_COMPAT_H
#define _GM_COMPAT_H

#include <linux/version.h>
#include <linux/module.h>
#include <linux/shrinker.h>

/* 6.13 turned symbol namespaces from identifiers into string literals. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define GM_NS_INTERNAL "GOMALLOC_INTERNAL"
#else
#define GM_NS_INTERNAL GOMALLOC_INTERNAL
#endif

/* 6.8 renamed MAX_ORDER (exclusive) to MAX_PAGE_ORDER (inclusive). */
#ifdef MAX_PAGE_ORDER
#define GM_TOP_ORDER	MAX_PAGE_ORDER
#else
#define GM_TOP_ORDER	(MAX_ORDER - 1)
#endif

/*
 * Internals are exported (to gomalloc_kunit.ko only, through a namespace)
 * when the target kernel has KUnit; production builds export nothing extra.
 */
#if IS_ENABLED(CONFIG_KUNIT)
#define GM_EXPORT_INTERNAL(sym)	EXPORT_SYMBOL_NS_GPL(sym, GM_NS_INTERNAL)
#else
#define GM_EXPORT_INTERNAL(sym)
#endif

typedef unsigned long (*gm_shrink_fn)(struct shrinker *, struct shrink_control *);

/* The shrinker API: register_shrinker() up to 6.6, shrinker_alloc() after. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static inline struct shrinker *gm_shrinker_register(const char *name,
						    gm_shrink_fn count,
						    gm_shrink_fn scan)
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	shrinker_register(s);
	return s;
}

static inline void gm_shrinker_unregister(struct shrinker *s)
{
	shrinker_free(s);
}
#else
static inline struct shrinker *gm_shrinker_register(const char *name,
						    gm_shrink_fn count,
						    gm_shrink_fn scan)
{
	static struct shrinker gm_shrinker;

	gm_shrinker.count_objects = count;
	gm_shrinker.scan_objects = scan;
	gm_shrinker.seeks = DEFAULT_SEEKS;
	if (register_shrinker(&gm_shrinker, "%s", name))
		return NULL;
	return &gm_shrinker;
}

static inline void gm_shrinker_unregister(struct shrinker *s)
{
	unregister_shrinker(s);
}
#endif

#endif /* _GM_COMPAT_H */
