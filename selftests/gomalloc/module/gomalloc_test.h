/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the files of gomalloc_test.ko: the check macro, the object pattern,
 * the parameters more than one test reads, and the tests gt_main.c dispatches.
 */
#ifndef _GOMALLOC_TEST_H
#define _GOMALLOC_TEST_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/types.h>

/* Checks failed so far: the load fails if any did. */
extern atomic_t gt_errors;

#define GT_CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		if (atomic_inc_return(&gt_errors) < 20)			\
			pr_err("gomalloc_test: %s:%d: " fmt "\n",	\
			       __func__, __LINE__, ##__VA_ARGS__);	\
	}								\
} while (0)

/*
 * PREEMPT_RT, where the caller cannot sleep (a hard interrupt, a raw
 * spinlock held): gomalloc serves an allocation only from its fast path,
 * else returns NULL, and defers frees past the fast path (gomalloc.h).
 */
static inline bool gt_rt_atomic(void)
{
	return IS_ENABLED(CONFIG_PREEMPT_RT) && !preemptible();
}

/* GFP_ATOMIC in a hard interrupt: on RT each is refused, quietly here. */
#define GT_HARDIRQ_GFP	(GFP_ATOMIC | (IS_ENABLED(CONFIG_PREEMPT_RT) ? __GFP_NOWARN : 0))

/*
 * On this CPU's cache from a free to the allocation that should get the
 * object back: preemption off, but on RT for a @large object migration
 * only (with preemption off there its free would be deferred, gomalloc.h).
 */
static inline void gt_pin(bool large)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && large)
		migrate_disable();
	else
		preempt_disable();
}

static inline void gt_unpin(bool large)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT) && large)
		migrate_enable();
	else
		preempt_enable();
}

/* Parameters (gt_main.c): test=, seconds=, sizes= and failures_seen. */
#define GT_MAX_SIZES	80
extern char *gt_test;
extern unsigned int gt_seconds;
extern unsigned long gt_psizes[GT_MAX_SIZES];
extern unsigned int gt_nsizes;
extern unsigned int gt_failures_seen;

/* A spread of small-object sizes, 1 byte to 32 KiB (basic, init). */
extern const size_t gt_sizes[];
extern const unsigned int gt_nr_sizes;

/* A live object and the cookie of its pattern. */
struct gt_obj {
	void *p;
	size_t n;
	u64 cookie;
};

void gt_fill(void *p, size_t n, u64 cookie);
bool gt_verify(const void *p, size_t n, u64 cookie);
unsigned int gt_run_kthreads(unsigned int n, int (*fn)(void *arg), void *args, size_t size,
			     const char *name);

/* gt_basic.c */
void gt_basic(void);
void gt_large(void);
void gt_align(void);

/* gt_cpus.c */
void gt_multicpu(void);
void gt_latency(void);
void gt_largecpu(void);
void gt_classes(void);

/* gt_irq.c */
void gt_irq(void);
void gt_nowait(void);

/* gt_badinput.c */
void gt_badinput(void);
void gt_faults(void);
void gt_warn(void);
void gt_nofail(void);

/* gt_hold.c */
void gt_leak(void);
void gt_hold(void);
void gt_hold_release(void);
void gt_redzone(void);
void gt_redzone_release(void);

/* gt_cache.c */
void gt_cache(void);
void gt_cache_hold(void);
void gt_cache_hold_release(void);

/* gt_init.c */
void gt_init(void);
void gt_initfree(void);
void gt_initreuse(void);

/* gt_rcu.c */
void gt_rcu(void);

/* gt_kmemleak.c */
void gt_kmemleak(void);
void gt_kmemleak_release(void);
/* gt_prof.c */
void gt_prof(void);
void gt_prof_release(void);

#endif /* _GOMALLOC_TEST_H */
