/* SPDX-License-Identifier: GPL-2.0 */
/* The scavenger and shrinker: memory given back to the buddy allocator. */
#ifndef _GM_MSCAVENGE_H
#define _GM_MSCAVENGE_H

#include <linux/types.h>

int gm_scavenge_init(void);
void gm_scavenge_exit(void);
unsigned long gm_reclaim(bool drain);
unsigned long gm_scavenged(void);
void gm_scavenge_pause(void);
void gm_scavenge_resume(void);
struct shrinker;
struct shrink_control;
unsigned long gm_shrink_count(struct shrinker *sh, struct shrink_control *sc);
unsigned long gm_shrink_scan(struct shrinker *sh, struct shrink_control *sc);

#endif /* _GM_MSCAVENGE_H */
