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

#endif /* _GM_MSCAVENGE_H */
