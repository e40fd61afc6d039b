/* SPDX-License-Identifier: GPL-2.0 */
/* Debug mode: red zones, poisoning, caller tracking, SLUB-style reports. */
#ifndef _GM_MDEBUG_H
#define _GM_MDEBUG_H

#include <linux/types.h>
#include "mspan.h"

/* Flags of the `debug` module parameter. */
#define GM_DEBUG_REDZONE	BIT(0)	/* Z: red zone after each object */
#define GM_DEBUG_POISON		BIT(1)	/* P: poison freed objects */
#define GM_DEBUG_TRACK		BIT(2)	/* U: record alloc and free callers */
#define GM_DEBUG_ALL		(GM_DEBUG_REDZONE | GM_DEBUG_POISON | GM_DEBUG_TRACK)

extern unsigned int gm_debug_flags;

static inline bool gm_debug_enabled(void)
{
	return READ_ONCE(gm_debug_flags) != 0;
}

bool gm_debug_fits(size_t size);
void *gm_debug_alloc(size_t size, gfp_t gfp, unsigned long ip);
void gm_debug_free(struct gm_mspan *s, unsigned long p, unsigned long ip);
size_t gm_debug_usable(struct gm_mspan *s, unsigned long p);
/*
 * Switch debug mode (gomalloc_mod.c, above the mcaches it drains when
 * turning it on): the `debug` parameter and the KUnit tests.
 */
int gm_set_debug_flags(unsigned int flags);
int gm_debug_parse(const char *val, unsigned int *flags);
int gm_debug_show(char *buf);
unsigned long gm_debug_validate(void);
unsigned long gm_debug_errors(void);
void gm_debug_stats(long *objects, long *bytes);
void gm_debug_class_stats(unsigned int sc, unsigned long *nmalloc,
			  unsigned long *nfree);
void gm_debug_init(void);
struct dentry;
void gm_debug_debugfs(struct dentry *dir);
void gm_debug_exit(void);
void gm_debug_drain(void);

#endif /* _GM_MDEBUG_H */
