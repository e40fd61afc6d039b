/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mprof: the heap profile, by sampling as Go's mprof.go does: about one
 * allocation every profile_rate bytes is recorded with its stack.
 */
#ifndef _GM_MPROF_H
#define _GM_MPROF_H

#include <linux/types.h>

struct dentry;
struct gm_mspan;
struct seq_file;

/* The most frames a sampled stack keeps, below gomalloc's own. */
#define GM_PROF_DEPTH		32
/* Fixed caps: distinct stacks, and sampled objects live at once. */
#define GM_PROF_MAX_STACKS	2048
#define GM_PROF_MAX_OBJECTS	16384

extern unsigned long gm_prof_rate;

/*
 * The next countdown: exponential with mean profile_rate, as Go's
 * fastexprand; 0 at rate 1 (every allocation is sampled); LONG_MAX when
 * profiling is off. @rng: the caller's random state (gm_prof_rand).
 */
long gm_prof_next_sample(u64 *rng);

/* xorshift64*: 32 random bits from the non-zero state @rng (not for secrets). */
static inline u32 gm_prof_rand(u64 *rng)
{
	u64 x = *rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*rng = x;
	return (x * 0x2545f4914f6cdd1dULL) >> 32;
}

/* One draw of that distribution for @mean from the random 32 bits @rnd. */
long gm_prof_exp(unsigned long mean, u32 rnd);

/* Record the sampled object @p of @size bytes asked for (any context but NMI). */
void gm_prof_alloc(const void *p, size_t size);
/*
 * The free of @p, in span @s that holds sampled objects (s->sampled), before
 * the object can be reused: its bytes move from in use to freed.
 */
void gm_prof_free(struct gm_mspan *s, unsigned long p);

/* The counts of one stack, for the KUnit tests. */
struct gm_prof_record {
	u32 bucket;			/* stack id */
	unsigned long size;		/* the object's bytes asked for */
	long alloc_objects, alloc_bytes, free_objects, free_bytes;
};

/* @p's record if it is a live sampled object. */
bool gm_prof_lookup(const void *p, struct gm_prof_record *r);
/* Stack @bucket's counts (r->size is 0). */
bool gm_prof_bucket(u32 bucket, struct gm_prof_record *r);
/* Stacks, sampled objects live, samples dropped (a cap, no memory). */
void gm_prof_counts(unsigned long *stacks, unsigned long *objects,
		    unsigned long *dropped);

/* Process context: a new rate (the tables are allocated for a non-zero one). */
int gm_prof_set_rate(unsigned long rate);
/* The profile_rate parameter's write (gomalloc_mod.c): also restarts the countdowns. */
int gm_set_profile_rate(unsigned long rate);
void gm_prof_init(void);
void gm_prof_exit(void);
void gm_prof_debugfs(struct dentry *dir);
void gm_prof_show(struct seq_file *m);

#endif /* _GM_MPROF_H */
