/* SPDX-License-Identifier: GPL-2.0 */
/* Span classes (Go's spanClass): what a span's objects are, numbered here alone. */
#ifndef _GM_SPANCLASS_H
#define _GM_SPANCLASS_H

#include <linux/types.h>
#include "sizeclasses.h"

/*
 * 0                      no class: large spans, free runs, pageCache blocks
 * 1 .. GM_TINY_SPC - 1   size class sc: objects of gm_class_to_size[sc]
 * GM_TINY_SPC            16-byte blocks of the tiny allocator
 * GM_DEBUG_SPC(sc)       debug-mode objects of size class sc (mdebug.c)
 * GM_CACHE_SPC(i)        typed cache i (typedcache.c), created at run time
 *
 * An mcache caches the first GM_NUM_SPAN_CLASSES; a typed cache caches its
 * own per CPU; mcentral has all of them.
 */
#define GM_TINY_SPC		GM_NUM_SIZE_CLASSES
#define GM_NUM_SPAN_CLASSES	(GM_NUM_SIZE_CLASSES + 1)
#define GM_DEBUG_SPC(sc)	(GM_NUM_SPAN_CLASSES + (sc))
#define GM_ALL_SPAN_CLASSES	(2 * GM_NUM_SPAN_CLASSES)
#define GM_MAX_CACHES		1024
#define GM_CACHE_SPC(i)		(GM_ALL_SPAN_CLASSES + (i))
#define GM_MAX_SPAN_CLASSES	GM_CACHE_SPC(GM_MAX_CACHES)

static inline bool gm_spc_is_tiny(unsigned int spc)
{
	return spc == GM_TINY_SPC;
}

static inline bool gm_spc_is_debug(unsigned int spc)
{
	return spc > GM_TINY_SPC && spc < GM_ALL_SPAN_CLASSES;
}

static inline bool gm_spc_is_cache(unsigned int spc)
{
	return spc >= GM_ALL_SPAN_CLASSES;
}

/*
 * The size class behind a span class (tiny blocks: that of 16 bytes); typed
 * caches have none (0): their geometry is their mcentral's.
 */
static inline unsigned int gm_spc_sizeclass(unsigned int spc)
{
	if (gm_spc_is_cache(spc))
		return 0;
	if (gm_spc_is_debug(spc))
		return spc - GM_DEBUG_SPC(0);
	return gm_spc_is_tiny(spc) ? 2 : spc;
}

#endif /* _GM_SPANCLASS_H */
