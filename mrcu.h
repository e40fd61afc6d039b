/* SPDX-License-Identifier: GPL-2.0 */
/* gofree_rcu(): frees after an RCU grace period, gathered per CPU in batches. */
#ifndef _GM_MRCU_H
#define _GM_MRCU_H

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>

/* A page of object pointers, handed to call_rcu() whole. */
struct gm_rcu_batch {
	struct rcu_head rcu;
	unsigned int cpu;	/* whose spares it joins when done */
	unsigned int nr;
	const void *objs[];
};

#define GM_RCU_BATCH	((PAGE_SIZE - sizeof(struct gm_rcu_batch)) / sizeof(void *))
/* Empty batches a CPU keeps at hand, so gofree_rcu() never allocates. */
#define GM_RCU_SPARES	2

/* Counters, summed over CPUs: exact when quiet. */
struct gm_rcu_counts {
	long pending;		/* queued by gofree_rcu(), not freed yet */
	unsigned long callbacks;	/* call_rcu() made: batches and single objects */
	unsigned long singles;	/* of those, for one object (no batch at hand) */
};

long gm_rcu_pending(void);
void gm_rcu_counts(struct gm_rcu_counts *c);
void gm_rcu_flush_all(void);
unsigned int gm_rcu_refill_cpu(unsigned int cpu, gfp_t gfp);
void gm_rcu_drop_cpu(unsigned int cpu);
unsigned int gm_rcu_take_cpu(unsigned int cpu, void **spare);
void gm_rcu_free_spares(void **spare, unsigned int n);
unsigned int gm_rcu_set_flush_ms(unsigned int ms);
void gm_rcu_init(void);
void gm_rcu_exit(void);

#endif /* _GM_MRCU_H */
