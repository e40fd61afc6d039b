/* SPDX-License-Identifier: GPL-2.0 */
/* /proc/gomalloc: statistics gathered from every layer, read-only. */
#ifndef _GM_MSTATS_H
#define _GM_MSTATS_H

void gm_stats_objects(long *objects, long *bytes, long *tiny_objects);
int gm_stats_init(void);
void gm_stats_exit(void);

#endif /* _GM_MSTATS_H */
