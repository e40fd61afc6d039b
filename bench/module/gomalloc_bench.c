// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc_bench: gomalloc against SLUB (kmalloc and kmem_cache) in the same
 * boot, counted in guest instructions by the gmcount QEMU plugin.
 *
 * Every measured loop runs on one CPU with preemption and interrupts off
 * (so no tick or IPI lands in it) and is framed by marker NOPs the plugin
 * recognises. After each window the module prints one line:
 *
 *   GMB P cpu=C seq=S wl=W size=Z alloc=A n=N rep=R ns=T fail=F
 *
 * The S-th window closed on CPU C in this load pairs with the plugin's
 * matching END line on vCPU C. Each point is also run with the "empty"
 * allocator (same loop, no allocator calls): the host subtracts it as the
 * loop overhead. Memory results are printed as
 *
 *   GMB M wl=W size=Z alloc=A rep=R n=N req=BYTES pages=P
 *
 * Windows use GFP_NOWAIT: the same allocation paths as GFP_KERNEL minus the
 * might-sleep checks, and never sleeping with interrupts off. The bulk
 * workloads are the exception to "interrupts off": SLUB's
 * kmem_cache_alloc_bulk() enables them on return, so those windows start
 * just after an interrupt and report the interrupts that landed in them
 * (intr=K on the P line); the host drops such windows and the module
 * repeats them.
 */
#define pr_fmt(fmt) "GMB " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/vmstat.h>
#include <linux/vmalloc.h>
#include <linux/fs.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/cpumask.h>
#include <linux/nodemask.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/irqflags.h>
#include <linux/atomic.h>
#include <linux/hardirq.h>
#include <linux/kernel_stat.h>

#ifndef GMB_HAVE_GOMALLOC
#define GMB_HAVE_GOMALLOC 1
#endif
#if GMB_HAVE_GOMALLOC
#include <gomalloc.h>
#endif

/* Marker NOPs: "nopl MAGIC(%rax)", 0f 1f 80 <disp32>; see gmcount.c. */
static __always_inline void gmb_mark_start(void)
{
	asm volatile("nopl 0x474d5301(%%rax)" ::: "memory");
}

static __always_inline void gmb_mark_end(void)
{
	asm volatile("nopl 0x474d5302(%%rax)" ::: "memory");
}

static __always_inline void gmb_mark_pause(void)
{
	asm volatile("nopl 0x474d5303(%%rax)" ::: "memory");
}

static __always_inline void gmb_mark_resume(void)
{
	asm volatile("nopl 0x474d5304(%%rax)" ::: "memory");
}

/* ---- parameters ---- */

static char *workloads = "hot,batch,cache,bulk,cross,parallel,mem,tiny";
module_param(workloads, charp, 0444);
MODULE_PARM_DESC(workloads, "comma list: hot,batch,cache,bulk,cross,parallel,mem,tiny");

static char *allocs = "gomalloc,kmalloc,kmem_cache";
module_param(allocs, charp, 0444);
MODULE_PARM_DESC(allocs, "comma list: gomalloc,kmalloc,kmem_cache");

static int sizes[32] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048,
			 4096, 8192, 16384, 32768, 65536, 262144, 1048576 };
static int nr_sizes = 18;
module_param_array(sizes, int, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "hot pair sizes in bytes");

static int iters = 2000;
module_param(iters, int, 0444);
MODULE_PARM_DESC(iters, "hot pair iterations per window at <= 1 KiB (scaled down above)");

static int batch_sizes[8] = { 64, 1024 };
static int nr_batch_sizes = 2;
module_param_array(batch_sizes, int, &nr_batch_sizes, 0444);
MODULE_PARM_DESC(batch_sizes, "batch object sizes");

static int batch_ns[8] = { 10, 100, 1000, 10000 };
static int nr_batch_ns = 4;
module_param_array(batch_ns, int, &nr_batch_ns, 0444);
MODULE_PARM_DESC(batch_ns, "batch lengths N");

static int batch_total = 4000;
module_param(batch_total, int, 0444);
MODULE_PARM_DESC(batch_total, "allocations per batch window (at least one round of N)");

static int cache_sizes[8] = { 64, 256, 1024 };
static int nr_cache_sizes = 3;
module_param_array(cache_sizes, int, &nr_cache_sizes, 0444);
MODULE_PARM_DESC(cache_sizes, "object sizes of the typed-cache and bulk workloads");

static int bulk_ns[8] = { 16, 128 };
static int nr_bulk_ns = 2;
module_param_array(bulk_ns, int, &nr_bulk_ns, 0444);
MODULE_PARM_DESC(bulk_ns, "objects per bulk call");

static int bulk_objs = 1024;
module_param(bulk_objs, int, 0444);
MODULE_PARM_DESC(bulk_objs, "objects per bulk window at <= 256 B (scaled down above)");

static int reps = 3;
module_param(reps, int, 0444);
MODULE_PARM_DESC(reps, "repetitions of every point");

static int cpu = 1;
module_param(cpu, int, 0444);
MODULE_PARM_DESC(cpu, "CPU for the single-CPU workloads");

static int cross_cpu = 2;
module_param(cross_cpu, int, 0444);
MODULE_PARM_DESC(cross_cpu, "consumer CPU of the cross-CPU workload (producer: cpu)");

static int cross_sizes[8] = { 64, 1024 };
static int nr_cross_sizes = 2;
module_param_array(cross_sizes, int, &nr_cross_sizes, 0444);
MODULE_PARM_DESC(cross_sizes, "cross-CPU object sizes");

static int cross_n = 2000;
module_param(cross_n, int, 0444);
MODULE_PARM_DESC(cross_n, "objects passed producer -> consumer per window");

static int par_sizes[8] = { 64, 1024 };
static int nr_par_sizes = 2;
module_param_array(par_sizes, int, &nr_par_sizes, 0444);
MODULE_PARM_DESC(par_sizes, "parallel workload sizes (hot pair and batch)");

static int par_batch = 1000;
module_param(par_batch, int, 0444);
MODULE_PARM_DESC(par_batch, "parallel batch N (shuffled free order)");

static int mem_n = 20000;
module_param(mem_n, int, 0444);
MODULE_PARM_DESC(mem_n, "objects held live in the mixed memory workload");

static int tiny_sizes[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static int nr_tiny_sizes = 15;
module_param_array(tiny_sizes, int, &nr_tiny_sizes, 0444);
MODULE_PARM_DESC(tiny_sizes, "tiny workload sizes (1..15)");

static int tiny_n = 32768;
module_param(tiny_n, int, 0444);
MODULE_PARM_DESC(tiny_n, "objects held live per tiny size");

/* ---- allocators ---- */

enum gmb_alloc {
	GA_EMPTY, GA_KMALLOC, GA_CACHE, GA_GOMALLOC, GA_TINY, GA_GCACHE, GA_NR
};

static const char * const gmb_alloc_name[GA_NR] = {
	[GA_EMPTY] = "empty",
	[GA_KMALLOC] = "kmalloc",
	[GA_CACHE] = "kmem_cache",
	[GA_GOMALLOC] = "gomalloc",
	[GA_TINY] = "gomalloc_tiny",
	[GA_GCACHE] = "gomalloc_cache",
};

static unsigned long gmb_dummy;

/* @kc: a struct kmem_cache, or for GA_GCACHE a struct gomalloc_cache. */
static __always_inline void *gmb_get(enum gmb_alloc a, void *kc, size_t size,
				     gfp_t gfp)
{
	void *p;

	switch (a) {
	case GA_KMALLOC:
		return kmalloc(size, gfp);
	case GA_CACHE:
		return kmem_cache_alloc(kc, gfp);
#if GMB_HAVE_GOMALLOC
	case GA_GOMALLOC:
		return gomalloc(size, gfp);
	case GA_TINY:
		return gomalloc_tiny(size, gfp);
	case GA_GCACHE:
		return gomalloc_cache_alloc(kc, gfp);
#endif
	default:
		/* One instruction the compiler may neither drop nor hoist. */
		asm volatile("" : "=r" (p) : "0" (&gmb_dummy));
		return p;
	}
}

static __always_inline void gmb_put(enum gmb_alloc a, void *kc, void *p)
{
	switch (a) {
	case GA_KMALLOC:
		kfree(p);
		break;
	case GA_CACHE:
		kmem_cache_free(kc, p);
		break;
#if GMB_HAVE_GOMALLOC
	case GA_GOMALLOC:
	case GA_TINY:
		gofree(p);
		break;
	case GA_GCACHE:
		gomalloc_cache_free(kc, p);
		break;
#endif
	default:
		asm volatile("" : : "r" (p));
		break;
	}
}

/*
 * Instantiate a loop body once per allocator so that the calls are direct
 * and the empty variant has exactly the loop's own instructions.
 */
#define GMB_DISPATCH(ret, a, fn, ...)					\
	do {								\
		switch (a) {						\
		case GA_KMALLOC:					\
			ret = fn(GA_KMALLOC, __VA_ARGS__);		\
			break;						\
		case GA_CACHE:						\
			ret = fn(GA_CACHE, __VA_ARGS__);		\
			break;						\
		case GA_GOMALLOC:					\
			ret = fn(GA_GOMALLOC, __VA_ARGS__);		\
			break;						\
		case GA_TINY:						\
			ret = fn(GA_TINY, __VA_ARGS__);			\
			break;						\
		case GA_GCACHE:						\
			ret = fn(GA_GCACHE, __VA_ARGS__);		\
			break;						\
		default:						\
			ret = fn(GA_EMPTY, __VA_ARGS__);		\
			break;						\
		}							\
	} while (0)

/* ---- the measured loops (interrupts and preemption are off) ---- */

static __always_inline unsigned long
gmb_hot_loop(enum gmb_alloc a, void *kc, size_t size,
	     unsigned long n, bool mark)
{
	unsigned long i, fail = 0;
	void *p;

	if (mark)
		gmb_mark_start();
	for (i = 0; i < n; i++) {
		p = gmb_get(a, kc, size, GFP_NOWAIT | __GFP_NOWARN);
		if (unlikely(!p)) {
			fail++;
			continue;
		}
		gmb_put(a, kc, p);
	}
	if (mark)
		gmb_mark_end();
	return fail;
}

static noinline unsigned long gmb_hot(enum gmb_alloc a, void *kc, size_t size,
				      unsigned long n, bool mark)
{
	unsigned long ret;

	GMB_DISPATCH(ret, a, gmb_hot_loop, kc, size, n, mark);
	return ret;
}

/*
 * Allocate objs[0..n) (sizes from @szs when given), then free them in the
 * order @order gives; @rounds times.
 */
static __always_inline unsigned long
gmb_batch_loop(enum gmb_alloc a, struct kmem_cache *kc, size_t size,
	       const u32 *szs, void **objs, const u32 *order, unsigned long n,
	       unsigned long rounds, int phases)
{
	unsigned long i, r, fail = 0;
	void *p;

	for (r = 0; r < rounds; r++) {
		if (phases & 1) {
			for (i = 0; i < n; i++) {
				p = gmb_get(a, kc, szs ? szs[i] : size,
					    GFP_NOWAIT | __GFP_NOWARN);
				fail += !p;
				objs[i] = p;
			}
		}
		if (phases & 2) {
			for (i = 0; i < n; i++) {
				p = objs[order[i]];
				if (likely(p))
					gmb_put(a, kc, p);
			}
		}
	}
	return fail;
}

static noinline unsigned long gmb_batch(enum gmb_alloc a, struct kmem_cache *kc,
					size_t size, const u32 *szs, void **objs,
					const u32 *order, unsigned long n,
					unsigned long rounds, int phases,
					bool mark)
{
	unsigned long ret;

	if (mark)
		gmb_mark_start();
	GMB_DISPATCH(ret, a, gmb_batch_loop, kc, size, szs, objs, order, n,
		     rounds, phases);
	if (mark)
		gmb_mark_end();
	return ret;
}

/*
 * Bulk: @rounds times, @n objects in one call, then freed in one call.
 * GA_KMALLOC is SLUB's bulk on the kmalloc cache of @size (@kc): SLUB has
 * no kmalloc bulk, kfree_bulk() is kmem_cache_free_bulk() finding each
 * object's cache.
 */
static __always_inline size_t gmb_get_bulk(enum gmb_alloc a, void *kc,
					   size_t size, gfp_t gfp, size_t n,
					   void **p)
{
	switch (a) {
	case GA_KMALLOC:
	case GA_CACHE:
		return kmem_cache_alloc_bulk(kc, gfp, n, p);
#if GMB_HAVE_GOMALLOC
	case GA_GOMALLOC:
		return gomalloc_bulk(size, gfp, n, p);
	case GA_GCACHE:
		return gomalloc_cache_alloc_bulk(kc, gfp, n, p);
#endif
	default:
		asm volatile("" : "+r" (n) : "r" (p) : "memory");
		return n;
	}
}

static __always_inline void gmb_put_bulk(enum gmb_alloc a, void *kc, size_t n,
					 void **p)
{
	switch (a) {
	case GA_KMALLOC:
		kfree_bulk(n, p);
		break;
	case GA_CACHE:
		kmem_cache_free_bulk(kc, n, p);
		break;
#if GMB_HAVE_GOMALLOC
	case GA_GOMALLOC:
		gofree_bulk(n, p);
		break;
	case GA_GCACHE:
		gomalloc_cache_free_bulk(kc, n, p);
		break;
#endif
	default:
		asm volatile("" : : "r" (n), "r" (p) : "memory");
		break;
	}
}

static __always_inline unsigned long
gmb_bulk_loop(enum gmb_alloc a, void *kc, size_t size, void **objs,
	      unsigned long n, unsigned long rounds)
{
	unsigned long r, fail = 0;

	for (r = 0; r < rounds; r++) {
		if (unlikely(gmb_get_bulk(a, kc, size, GFP_NOWAIT | __GFP_NOWARN,
					  n, objs) != n)) {
			fail += n;	/* all or nothing: none to free */
			continue;
		}
		gmb_put_bulk(a, kc, n, objs);
	}
	return fail;
}

static noinline unsigned long gmb_bulk(enum gmb_alloc a, void *kc, size_t size,
				       void **objs, unsigned long n,
				       unsigned long rounds, bool mark)
{
	unsigned long ret;

	if (mark)
		gmb_mark_start();
	GMB_DISPATCH(ret, a, gmb_bulk_loop, kc, size, objs, n, rounds);
	if (mark)
		gmb_mark_end();
	return ret;
}

/* Single-producer single-consumer ring between two CPUs. */
struct gmb_ring {
	void **slot;
	unsigned long mask;
	unsigned long n;
	unsigned long head ____cacheline_aligned;
	unsigned long tail ____cacheline_aligned;
	atomic_t start;		/* both sides enter their window together */
};

static __always_inline unsigned long
gmb_produce_loop(enum gmb_alloc a, struct kmem_cache *kc, size_t size,
		 struct gmb_ring *r)
{
	unsigned long i, head = 0, fail = 0;
	void *p;

	gmb_mark_start();
	for (i = 0; i < r->n; i++) {
		gmb_mark_pause();
		/* acquire: the consumer is done with the slot it released */
		while (head - smp_load_acquire(&r->tail) > r->mask)
			cpu_relax();
		gmb_mark_resume();
		p = gmb_get(a, kc, size, GFP_NOWAIT | __GFP_NOWARN);
		fail += !p;
		r->slot[head & r->mask] = p;
		/* release: publish the slot before the new head */
		smp_store_release(&r->head, ++head);
	}
	gmb_mark_end();
	return fail;
}

static noinline unsigned long gmb_produce(enum gmb_alloc a,
					  struct kmem_cache *kc, size_t size,
					  struct gmb_ring *r)
{
	unsigned long ret;

	GMB_DISPATCH(ret, a, gmb_produce_loop, kc, size, r);
	return ret;
}

static __always_inline unsigned long
gmb_consume_loop(enum gmb_alloc a, struct kmem_cache *kc, size_t size,
		 struct gmb_ring *r)
{
	unsigned long i, tail = 0;
	void *p;

	gmb_mark_start();
	for (i = 0; i < r->n; i++) {
		gmb_mark_pause();
		/* acquire: pairs with the producer's release of head */
		while (smp_load_acquire(&r->head) == tail)
			cpu_relax();
		gmb_mark_resume();
		p = r->slot[tail & r->mask];
		/* release: the slot was read before it is handed back */
		smp_store_release(&r->tail, ++tail);
		if (likely(p))
			gmb_put(a, kc, p);
	}
	gmb_mark_end();
	return 0;
}

static noinline unsigned long gmb_consume(enum gmb_alloc a,
					  struct kmem_cache *kc, size_t size,
					  struct gmb_ring *r)
{
	unsigned long ret;

	GMB_DISPATCH(ret, a, gmb_consume_loop, kc, size, r);
	return ret;
}

/* ---- helpers ---- */

static DEFINE_PER_CPU(unsigned int, gmb_seq);
static atomic_t gmb_errors = ATOMIC_INIT(0);

/* @irqs: interrupts that landed in the window (bulk windows only). */
static void gmb_report_irqs(const char *wl, size_t size, enum gmb_alloc a,
			    unsigned long n, int rep, u64 ns, unsigned long fail,
			    unsigned long irqs)
{
	unsigned int seq = this_cpu_inc_return(gmb_seq);

	pr_info("P cpu=%d seq=%u wl=%s size=%zu alloc=%s n=%lu rep=%d ns=%llu fail=%lu intr=%lu\n",
		raw_smp_processor_id(), seq, wl, size, gmb_alloc_name[a], n,
		rep, ns, fail, irqs);
	if (fail)
		atomic_inc(&gmb_errors);
}

static void gmb_report(const char *wl, size_t size, enum gmb_alloc a,
		       unsigned long n, int rep, u64 ns, unsigned long fail)
{
	gmb_report_irqs(wl, size, a, n, rep, ns, fail, 0);
}

static bool gmb_listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *s = list;

	while (s && *s) {
		if (!strncmp(s, name, len) && (s[len] == ',' || !s[len]))
			return true;
		s = strchr(s, ',');
		if (s)
			s++;
	}
	return false;
}

static bool gmb_alloc_on(enum gmb_alloc a)
{
	if (a == GA_EMPTY)
		return true;
	if ((a == GA_GOMALLOC || a == GA_TINY || a == GA_GCACHE) &&
	    !GMB_HAVE_GOMALLOC)
		return false;
	if (a == GA_TINY || a == GA_GCACHE)
		return gmb_listed(allocs, "gomalloc");
	return gmb_listed(allocs, gmb_alloc_name[a]);
}

/* Deterministic PRNG (xorshift64*), fixed seeds. */
static u64 gmb_rand(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

enum gmb_order { GO_FIFO, GO_LIFO, GO_SHUFFLED, GO_NR };

static void gmb_fill_order(u32 *order, unsigned long n, enum gmb_order o)
{
	u64 seed = 0x676f6d616c6c6f63ULL;
	unsigned long i, j;
	u32 t;

	for (i = 0; i < n; i++)
		order[i] = o == GO_LIFO ? n - 1 - i : i;
	if (o != GO_SHUFFLED)
		return;
	for (i = n - 1; i > 0; i--) {
		j = gmb_rand(&seed) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

/* Run fn(arg[i]) on cpus[i] for i < nr, in bound kthreads; wait for all. */
struct gmb_thread {
	int (*fn)(void *arg);
	void *arg;
	int cpu;
	struct completion done;
};

static int gmb_thread_main(void *data)
{
	struct gmb_thread *t = data;

	t->fn(t->arg);
	complete(&t->done);
	return 0;
}

static int gmb_run_threads(int (*fn)(void *), void **args, const int *cpus,
			   int nr)
{
	struct gmb_thread *t;
	struct task_struct *task;
	int i, started = 0;

	t = kcalloc(nr, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		t[i].fn = fn;
		t[i].arg = args[i];
		t[i].cpu = cpus[i];
		init_completion(&t[i].done);
		task = kthread_create(gmb_thread_main, &t[i], "gmb/%d", cpus[i]);
		if (IS_ERR(task))
			break;
		kthread_bind(task, cpus[i]);
		wake_up_process(task);
		started++;
	}
	for (i = 0; i < started; i++)
		wait_for_completion(&t[i].done);
	kfree(t);
	return started == nr ? 0 : -ENOMEM;
}

static int gmb_run_on(int c, int (*fn)(void *), void *arg)
{
	return gmb_run_threads(fn, &arg, &c, 1);
}

static struct kmem_cache *gmb_cache(enum gmb_alloc a, size_t size)
{
	if (a != GA_CACHE)
		return NULL;
	return kmem_cache_create("gmb_bench", size, 0, 0, NULL);
}

/* Iterations for a hot-pair window: fewer for big objects (zeroing). */
static unsigned long gmb_hot_iters(size_t size)
{
	unsigned long n = (unsigned long)iters * 1024 / max_t(size_t, size, 1024);

	return max(n, 2UL);
}

/* ---- workload: hot pair ---- */

struct gmb_hot_arg {
	const char *wl;
	enum gmb_alloc a;
	void *kc;		/* kmem_cache, or gomalloc_cache for GA_GCACHE */
	size_t size;
	unsigned long n;
	int rep;
	atomic_t *barrier;	/* parallel: all threads start together */
	int nr_threads;
};

static void gmb_barrier(atomic_t *b, int nr)
{
	if (!b)
		return;
	atomic_inc(b);
	while (atomic_read(b) < nr)
		cpu_relax();
}

static int gmb_hot_thread(void *data)
{
	struct gmb_hot_arg *h = data;
	unsigned long flags, fail;
	u64 t0, t1;

	/* Warm up: reach the steady state outside the window. */
	local_irq_save(flags);
	gmb_hot(h->a, h->kc, h->size, min(h->n, 64UL), false);
	local_irq_restore(flags);

	preempt_disable();
	gmb_barrier(h->barrier, h->nr_threads);
	local_irq_save(flags);
	t0 = ktime_get_ns();
	fail = gmb_hot(h->a, h->kc, h->size, h->n, true);
	t1 = ktime_get_ns();
	local_irq_restore(flags);
	preempt_enable();
	gmb_report(h->wl, h->size, h->a, h->n, h->rep, t1 - t0, fail);
	return 0;
}

static void gmb_run_hot(void)
{
	struct gmb_hot_arg h = { .wl = "hot" };
	int s, r, a;

	for (s = 0; s < nr_sizes; s++) {
		h.size = sizes[s];
		h.n = gmb_hot_iters(h.size);
		for (r = 0; r < reps; r++) {
			for (a = 0; a < GA_TINY; a++) {
				if (!gmb_alloc_on(a))
					continue;
				/* SLUB caches stop at KMALLOC_MAX_CACHE_SIZE. */
				if (a == GA_CACHE && h.size > 32768)
					continue;
				h.a = a;
				h.rep = r;
				h.kc = gmb_cache(a, h.size);
				if (a == GA_CACHE && !h.kc)
					continue;
				gmb_run_on(cpu, gmb_hot_thread, &h);
				kmem_cache_destroy(h.kc);
			}
		}
	}
}

/* ---- workload: batch ---- */

struct gmb_batch_arg {
	const char *wl;
	enum gmb_alloc a;
	struct kmem_cache *kc;
	size_t size;
	void **objs;
	u32 *order;
	unsigned long n, rounds;
	int rep;
	atomic_t *barrier;
	int nr_threads;
};

static int gmb_batch_thread(void *data)
{
	struct gmb_batch_arg *b = data;
	unsigned long flags, fail;
	u64 t0, t1;

	local_irq_save(flags);
	gmb_batch(b->a, b->kc, b->size, NULL, b->objs, b->order, b->n, 1, 3,
		  false);
	local_irq_restore(flags);

	preempt_disable();
	gmb_barrier(b->barrier, b->nr_threads);
	local_irq_save(flags);
	t0 = ktime_get_ns();
	fail = gmb_batch(b->a, b->kc, b->size, NULL, b->objs, b->order, b->n,
			 b->rounds, 3, true);
	t1 = ktime_get_ns();
	local_irq_restore(flags);
	preempt_enable();
	gmb_report(b->wl, b->size, b->a, b->n * b->rounds, b->rep, t1 - t0,
		   fail);
	return 0;
}

/* One batch point: every repetition of every allocator. */
static void gmb_batch_point(struct gmb_batch_arg *b)
{
	int r, a;

	for (r = 0; r < reps; r++) {
		for (a = 0; a < GA_TINY; a++) {
			if (!gmb_alloc_on(a))
				continue;
			b->a = a;
			b->rep = r;
			b->kc = gmb_cache(a, b->size);
			if (a == GA_CACHE && !b->kc)
				continue;
			gmb_run_on(cpu, gmb_batch_thread, b);
			kmem_cache_destroy(b->kc);
		}
	}
}

static void gmb_run_batch(void)
{
	static const char * const names[GO_NR] = {
		"batch-fifo", "batch-lifo", "batch-shuffled"
	};
	struct gmb_batch_arg b = { };
	int ni, si, o;
	char *wl;

	for (ni = 0; ni < nr_batch_ns; ni++) {
		b.n = batch_ns[ni];
		b.rounds = max(1, batch_total / batch_ns[ni]);
		b.objs = kvcalloc(b.n, sizeof(void *), GFP_KERNEL);
		b.order = kvcalloc(b.n, sizeof(u32), GFP_KERNEL);
		if (!b.objs || !b.order)
			goto next;
		for (o = 0; o < GO_NR; o++) {
			gmb_fill_order(b.order, b.n, o);
			wl = kasprintf(GFP_KERNEL, "%s-%lu", names[o], b.n);
			if (!wl)
				break;
			b.wl = wl;
			for (si = 0; si < nr_batch_sizes; si++) {
				b.size = batch_sizes[si];
				gmb_batch_point(&b);
			}
			kfree(wl);
		}
next:
		kvfree(b.objs);
		kvfree(b.order);
	}
}

/* ---- workloads: typed caches and bulk ---- */

/*
 * Interrupts this CPU has taken so far: device interrupts, the local timer
 * and the IPIs (x86's irq_stat). Preemption disabled.
 */
static unsigned long gmb_irq_count(void)
{
	unsigned long n = this_cpu_read(kstat.irqs_sum);

	n += this_cpu_read(irq_stat.__nmi_count);
#ifdef CONFIG_X86_LOCAL_APIC
	n += this_cpu_read(irq_stat.apic_timer_irqs);
	n += this_cpu_read(irq_stat.irq_spurious_count);
#endif
	n += this_cpu_read(irq_stat.x86_platform_ipis);
	n += this_cpu_read(irq_stat.apic_perf_irqs);
	n += this_cpu_read(irq_stat.apic_irq_work_irqs);
#ifdef CONFIG_SMP
	n += this_cpu_read(irq_stat.irq_resched_count);
	n += this_cpu_read(irq_stat.irq_call_count);
#endif
	n += this_cpu_read(irq_stat.irq_tlb_count);
	return n;
}

/*
 * Wait (interrupts on, at most 20 ms) until an interrupt has been taken:
 * a window started right after a tick has the whole tick period (4 ms at
 * HZ=250) before the next one.
 */
static void gmb_wait_irq(void)
{
	unsigned long n = gmb_irq_count();
	u64 t0 = ktime_get_ns();

	while (gmb_irq_count() == n && ktime_get_ns() - t0 < 20 * NSEC_PER_MSEC)
		cpu_relax();
}

/* Tries per bulk window before its repetition is left out. */
#define GMB_BULK_TRIES	8

struct gmb_bulk_arg {
	const char *wl;
	enum gmb_alloc a;
	void *kc;
	size_t size;
	void **objs;
	unsigned long n, rounds;
	int rep;
};

static int gmb_bulk_thread(void *data)
{
	struct gmb_bulk_arg *b = data;
	unsigned long flags, fail, irqs;
	int try;
	u64 t0, t1;

	/* kmem_cache_alloc_bulk() may enable interrupts: no irqsave here */
	gmb_bulk(b->a, b->kc, b->size, b->objs, b->n, 2, false);

	preempt_disable();
	for (try = 0; try < GMB_BULK_TRIES; try++) {
		gmb_wait_irq();
		local_irq_save(flags);
		irqs = gmb_irq_count();
		t0 = ktime_get_ns();
		fail = gmb_bulk(b->a, b->kc, b->size, b->objs, b->n, b->rounds,
				true);
		t1 = ktime_get_ns();
		irqs = gmb_irq_count() - irqs;
		local_irq_restore(flags);
		gmb_report_irqs(b->wl, b->size, b->a, b->n * b->rounds, b->rep,
				t1 - t0, fail, irqs);
		if (!irqs)
			break;
	}
	preempt_enable();
	return 0;
}

/* Objects per bulk window: bulk_objs up to 256 B, fewer above (zeroing). */
static unsigned long gmb_bulk_rounds(size_t size, unsigned long n)
{
	unsigned long objs = (unsigned long)bulk_objs * 256 / max_t(size_t, size, 256);

	return max(objs / n, 1UL);
}

/*
 * The bulk points "@prefix-N" of @size, N from bulk_ns: every repetition
 * for each allocator of @as (caches in @kcs).
 */
static void gmb_bulk_points(const char *prefix, size_t size,
			    const enum gmb_alloc *as, void * const *kcs, int nr)
{
	struct gmb_bulk_arg b = { .size = size };
	int ni, r, k;

	for (ni = 0; ni < nr_bulk_ns; ni++) {
		b.n = max(bulk_ns[ni], 1);
		b.rounds = gmb_bulk_rounds(size, b.n);
		b.wl = kasprintf(GFP_KERNEL, "%s-%lu", prefix, b.n);
		b.objs = kvcalloc(b.n, sizeof(void *), GFP_KERNEL);
		for (r = 0; b.wl && b.objs && r < reps; r++) {
			for (k = 0; k < nr; k++) {
				if (!gmb_alloc_on(as[k]) ||
				    (as[k] != GA_EMPTY && as[k] != GA_GOMALLOC && !kcs[k]))
					continue;
				b.a = as[k];
				b.kc = kcs[k];
				b.rep = r;
				gmb_run_on(cpu, gmb_bulk_thread, &b);
			}
		}
		kvfree(b.objs);
		kfree(b.wl);
	}
}

/*
 * cache-hot: gomalloc_cache_alloc/free against kmem_cache_alloc/free;
 * cache-bulk-N: their bulk calls. One cache of each per size for the run.
 */
static void gmb_run_cache(void)
{
	static const enum gmb_alloc as[] = { GA_EMPTY, GA_GCACHE, GA_CACHE };
	struct gmb_hot_arg h = { .wl = "cache-hot" };
	void *kcs[ARRAY_SIZE(as)] = { };
	int si, r, k;
	char name[32];

	for (si = 0; si < nr_cache_sizes; si++) {
		h.size = cache_sizes[si];
		snprintf(name, sizeof(name), "gmb_kc%d", cache_sizes[si]);
		kcs[2] = kmem_cache_create(name, h.size, 0, 0, NULL);
#if GMB_HAVE_GOMALLOC
		snprintf(name, sizeof(name), "gmb_gc%d", cache_sizes[si]);
		if (gmb_alloc_on(GA_GCACHE))
			kcs[1] = gomalloc_cache_create(name, h.size, 0, 0, NULL);
#endif
		h.n = gmb_hot_iters(h.size);
		for (r = 0; r < reps; r++) {
			for (k = 0; k < ARRAY_SIZE(as); k++) {
				if (!gmb_alloc_on(as[k]) || (k && !kcs[k]))
					continue;
				h.a = as[k];
				h.kc = kcs[k];
				h.rep = r;
				gmb_run_on(cpu, gmb_hot_thread, &h);
			}
		}
		gmb_bulk_points("cache-bulk", h.size, as, kcs, ARRAY_SIZE(as));
#if GMB_HAVE_GOMALLOC
		gomalloc_cache_destroy(kcs[1]);
		kcs[1] = NULL;
#endif
		kmem_cache_destroy(kcs[2]);
		kcs[2] = NULL;
	}
}

/*
 * bulk-N: gomalloc_bulk/gofree_bulk against SLUB's bulk calls on the
 * kmalloc cache of the size (kmem_cache_alloc_bulk, kfree_bulk).
 */
static void gmb_run_bulk(void)
{
	static const enum gmb_alloc as[] = { GA_EMPTY, GA_GOMALLOC, GA_KMALLOC };
	void *kcs[ARRAY_SIZE(as)] = { };
	size_t size;
	int si;

	for (si = 0; si < nr_cache_sizes; si++) {
		size = max(cache_sizes[si], 1);
		/* what kmalloc(size, GFP_NOWAIT) takes from */
		kcs[2] = size <= KMALLOC_MAX_CACHE_SIZE ?
			 kmalloc_caches[KMALLOC_NORMAL][__kmalloc_index(size, false)] :
			 NULL;
		gmb_bulk_points("bulk", size, as, kcs, ARRAY_SIZE(as));
	}
}

/* ---- workload: cross-CPU producer/consumer ---- */

struct gmb_cross_arg {
	enum gmb_alloc a;
	struct kmem_cache *kc;
	size_t size;
	struct gmb_ring *ring;
	int rep;
	bool consumer;
};

static int gmb_cross_thread(void *data)
{
	struct gmb_cross_arg *c = data;
	unsigned long flags, fail;
	u64 t0, t1;

	preempt_disable();
	gmb_barrier(&c->ring->start, 2);
	local_irq_save(flags);
	t0 = ktime_get_ns();
	if (c->consumer)
		fail = gmb_consume(c->a, c->kc, c->size, c->ring);
	else
		fail = gmb_produce(c->a, c->kc, c->size, c->ring);
	t1 = ktime_get_ns();
	local_irq_restore(flags);
	preempt_enable();
	gmb_report(c->consumer ? "cross-free" : "cross-alloc", c->size, c->a,
		   c->ring->n, c->rep, t1 - t0, fail);
	return 0;
}

static void gmb_run_cross(void)
{
	struct gmb_cross_arg *args;
	struct gmb_ring *ring;
	int cpus[2] = { cpu, cross_cpu };
	void *argv[2];
	int si, r, a;

	if (!cpu_online(cross_cpu) || cross_cpu == cpu) {
		pr_info("cross: needs two online CPUs (cpu=%d cross_cpu=%d)\n",
			cpu, cross_cpu);
		return;
	}
	args = kcalloc(2, sizeof(*args), GFP_KERNEL);
	ring = kzalloc(sizeof(*ring), GFP_KERNEL);
	if (!args || !ring)
		goto out;
	ring->mask = 63;
	ring->slot = kcalloc(ring->mask + 1, sizeof(void *), GFP_KERNEL);
	if (!ring->slot)
		goto out;
	ring->n = cross_n;
	argv[0] = &args[0];
	argv[1] = &args[1];
	for (si = 0; si < nr_cross_sizes; si++) {
		for (r = 0; r < reps + 1; r++) {
			for (a = 0; a < GA_TINY; a++) {
				struct kmem_cache *kc;

				if (!gmb_alloc_on(a))
					continue;
				kc = gmb_cache(a, cross_sizes[si]);
				if (a == GA_CACHE && !kc)
					continue;
				memset(args, 0, 2 * sizeof(*args));
				args[0].a = a;
				args[0].kc = kc;
				args[0].size = cross_sizes[si];
				args[0].ring = ring;
				/* rep -1 is a warm-up; the host drops it */
				args[0].rep = r - 1;
				args[1] = args[0];
				args[1].consumer = true;
				ring->head = 0;
				ring->tail = 0;
				atomic_set(&ring->start, 0);
				gmb_run_threads(gmb_cross_thread, argv, cpus, 2);
				kmem_cache_destroy(kc);
			}
		}
	}
out:
	if (ring)
		kfree(ring->slot);
	kfree(ring);
	kfree(args);
}

/* ---- workload: parallel (every online CPU at once) ---- */

static void gmb_run_parallel(void)
{
	int nr = num_online_cpus(), i, c, si, r, a;
	struct gmb_batch_arg *ba = NULL;
	struct gmb_hot_arg *ha = NULL;
	void **argv = NULL;
	int *cpus = NULL;
	atomic_t barrier;
	u32 *order = NULL;

	ha = kcalloc(nr, sizeof(*ha), GFP_KERNEL);
	ba = kcalloc(nr, sizeof(*ba), GFP_KERNEL);
	argv = kcalloc(nr, sizeof(void *), GFP_KERNEL);
	cpus = kcalloc(nr, sizeof(int), GFP_KERNEL);
	order = kvcalloc(par_batch, sizeof(u32), GFP_KERNEL);
	if (!ha || !ba || !argv || !cpus || !order)
		goto out;
	i = 0;
	for_each_online_cpu(c) {
		if (i < nr)
			cpus[i++] = c;
	}
	nr = i;
	gmb_fill_order(order, par_batch, GO_SHUFFLED);
	for (i = 0; i < nr; i++) {
		ba[i].objs = kvcalloc(par_batch, sizeof(void *), GFP_KERNEL);
		if (!ba[i].objs)
			goto out;
	}
	for (si = 0; si < nr_par_sizes; si++) {
		for (r = 0; r < reps; r++) {
			for (a = 0; a < GA_TINY; a++) {
				struct kmem_cache *kc;

				if (!gmb_alloc_on(a))
					continue;
				kc = gmb_cache(a, par_sizes[si]);
				if (a == GA_CACHE && !kc)
					continue;
				atomic_set(&barrier, 0);
				for (i = 0; i < nr; i++) {
					ha[i] = (struct gmb_hot_arg) {
						.wl = "par-hot", .a = a, .kc = kc,
						.size = par_sizes[si],
						.n = gmb_hot_iters(par_sizes[si]),
						.rep = r, .barrier = &barrier,
						.nr_threads = nr,
					};
					argv[i] = &ha[i];
				}
				gmb_run_threads(gmb_hot_thread, argv, cpus, nr);
				atomic_set(&barrier, 0);
				for (i = 0; i < nr; i++) {
					void **objs = ba[i].objs;

					ba[i] = (struct gmb_batch_arg) {
						.wl = "par-batch-shuffled", .a = a,
						.kc = kc, .size = par_sizes[si],
						.objs = objs, .order = order,
						.n = par_batch,
						.rounds = max(1, batch_total / par_batch),
						.rep = r, .barrier = &barrier,
						.nr_threads = nr,
					};
					argv[i] = &ba[i];
				}
				gmb_run_threads(gmb_batch_thread, argv, cpus, nr);
				kmem_cache_destroy(kc);
			}
		}
	}
out:
	if (ba) {
		for (i = 0; i < nr; i++)
			kvfree(ba[i].objs);
	}
	kvfree(order);
	kfree(cpus);
	kfree(argv);
	kfree(ba);
	kfree(ha);
}

/* ---- workloads: memory (mixed sizes) and tiny ---- */

/*
 * The mixed workload's size distribution: sizes uniform in [lo, hi], picked
 * with the given weight (percent). 82% of objects are 16..256 bytes; the
 * tail reaches 32 KiB. Mean about 500 bytes.
 */
static const struct { u32 lo, hi, weight; } gmb_mix[] = {
	{ 16, 16, 14 }, { 17, 32, 16 }, { 33, 64, 20 }, { 65, 128, 18 },
	{ 129, 256, 14 }, { 257, 512, 7 }, { 513, 1024, 4 },
	{ 1025, 2048, 3 }, { 2049, 4096, 2 }, { 4097, 8192, 1 },
	{ 8193, 32768, 1 },
};

static void gmb_fill_mix(u32 *szs, unsigned long n)
{
	u64 seed = 0x6d69786564ULL, x;
	unsigned long i;
	u32 w, k;

	for (i = 0; i < n; i++) {
		x = gmb_rand(&seed);
		w = x % 100;
		for (k = 0; k < ARRAY_SIZE(gmb_mix) - 1; k++) {
			if (w < gmb_mix[k].weight)
				break;
			w -= gmb_mix[k].weight;
		}
		szs[i] = gmb_mix[k].lo +
			 (x >> 32) % (gmb_mix[k].hi - gmb_mix[k].lo + 1);
	}
}

/* Slab pages (SLUB's and kmalloc's large pages), per-CPU deltas folded. */
static long gmb_slab_pages(void)
{
	long v = global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B) +
		 global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B);
	struct per_cpu_nodestat *pcp;
	int nid, c;

	for_each_online_node(nid) {
		for_each_online_cpu(c) {
			pcp = per_cpu_ptr(NODE_DATA(nid)->per_cpu_nodestats, c);
			v += pcp->vm_node_stat_diff[NR_SLAB_UNRECLAIMABLE_B];
			v += pcp->vm_node_stat_diff[NR_SLAB_RECLAIMABLE_B];
		}
	}
	return v;
}

/*
 * gomalloc's page counts from /proc/gomalloc: pages_held (whole arenas the
 * heap took) and pages_held - pages_free (pages in spans, the counterpart
 * of SLUB's slab pages). -1 when unreadable.
 */
static char gmb_procbuf[16384];

static void gmb_gomalloc_pages(long *held, long *inuse)
{
	unsigned long h, fr;
	struct file *f;
	loff_t pos = 0;
	ssize_t got, len = 0;
	char *s, *t;

	*held = -1;
	*inuse = -1;
	f = filp_open("/proc/gomalloc", O_RDONLY, 0);
	if (IS_ERR(f))
		return;
	while (len < (ssize_t)sizeof(gmb_procbuf) - 1) {
		got = kernel_read(f, gmb_procbuf + len,
				  sizeof(gmb_procbuf) - 1 - len, &pos);
		if (got <= 0)
			break;
		len += got;
	}
	filp_close(f, NULL);
	gmb_procbuf[len] = 0;
	s = strstr(gmb_procbuf, "pages_held:");
	t = strstr(gmb_procbuf, "pages_free:");
	if (!s || sscanf(s, "pages_held: %lu", &h) != 1)
		return;
	*held = h;
	if (t && sscanf(t, "pages_free: %lu", &fr) == 1)
		*inuse = h - fr;
}

struct gmb_pages {
	long pages;	/* pages holding objects: slab pages / gomalloc span pages */
	long held;	/* gomalloc: pages_held; SLUB: same as pages */
};

static struct gmb_pages gmb_pages_now(enum gmb_alloc a)
{
	struct gmb_pages p;

	if (a == GA_GOMALLOC || a == GA_TINY) {
		gmb_gomalloc_pages(&p.held, &p.pages);
	} else {
		p.pages = gmb_slab_pages();
		p.held = p.pages;
	}
	return p;
}

struct gmb_hold_arg {
	const char *wl;
	enum gmb_alloc a;
	size_t size;		/* 0: sizes from szs */
	const u32 *szs;
	void **objs;
	const u32 *order;
	unsigned long n;
	int rep;
	bool free;		/* false: allocate and measure; true: free */
	u64 req;
};

static int gmb_hold_thread(void *data)
{
	struct gmb_hold_arg *h = data;
	struct gmb_pages before = { }, after = { };
	unsigned long flags, fail;
	bool measure = !h->free && h->a != GA_EMPTY;
	u64 t0, t1;
	char wl[32];

	if (measure)
		before = gmb_pages_now(h->a);
	preempt_disable();
	local_irq_save(flags);
	t0 = ktime_get_ns();
	fail = gmb_batch(h->a, NULL, h->size, h->szs, h->objs, h->order, h->n,
			 1, h->free ? 2 : 1, true);
	t1 = ktime_get_ns();
	local_irq_restore(flags);
	preempt_enable();
	snprintf(wl, sizeof(wl), "%s-%s", h->wl, h->free ? "free" : "alloc");
	gmb_report(wl, h->size, h->a, h->n, h->rep, t1 - t0, fail);
	if (!measure)
		return 0;
	after = gmb_pages_now(h->a);
	pr_info("M wl=%s size=%zu alloc=%s rep=%d n=%lu req=%llu pages=%ld held=%ld\n",
		h->wl, h->size, gmb_alloc_name[h->a], h->rep, h->n, h->req,
		before.pages < 0 || after.pages < 0 ? -1 : after.pages - before.pages,
		before.held < 0 || after.held < 0 ? -1 : after.held - before.held);
	return 0;
}

/*
 * Hold all repetitions live at once: repetition r allocates on top of the
 * earlier ones, so its page delta is not helped by space an earlier
 * repetition freed. Then free them all.
 */
static void gmb_hold_reps(struct gmb_hold_arg *h, void **objs)
{
	int r;

	for (r = 0; r < reps; r++) {
		h->rep = r;
		h->objs = objs + r * h->n;
		h->free = false;
		gmb_run_on(cpu, gmb_hold_thread, h);
	}
	for (r = 0; r < reps; r++) {
		h->rep = r;
		h->objs = objs + r * h->n;
		h->free = true;
		gmb_run_on(cpu, gmb_hold_thread, h);
	}
}

static void gmb_run_mem(bool mixed, bool tiny)
{
	static const enum gmb_alloc mem_allocs[] = {
		GA_EMPTY, GA_KMALLOC, GA_GOMALLOC
	};
	static const enum gmb_alloc tiny_allocs[] = {
		GA_EMPTY, GA_KMALLOC, GA_TINY
	};
	unsigned long n = max(mem_n, tiny_n), i;
	struct gmb_hold_arg h = { };
	u32 *szs, *order;
	void **objs;
	int k, t;

	szs = kvcalloc(n, sizeof(u32), GFP_KERNEL);
	order = kvcalloc(n, sizeof(u32), GFP_KERNEL);
	objs = kvcalloc(n * reps, sizeof(void *), GFP_KERNEL);
	if (!szs || !order || !objs)
		goto out;
	h.order = order;

	if (mixed) {
		h.wl = "mem";
		h.n = mem_n;
		h.szs = szs;
		gmb_fill_mix(szs, h.n);
		gmb_fill_order(order, h.n, GO_FIFO);
		for (i = 0; i < h.n; i++)
			h.req += szs[i];
		for (k = 0; k < ARRAY_SIZE(mem_allocs); k++) {
			if (!gmb_alloc_on(mem_allocs[k]))
				continue;
			h.a = mem_allocs[k];
			gmb_hold_reps(&h, objs);
		}
	}
	if (tiny) {
		h.wl = "tiny";
		h.n = tiny_n;
		h.szs = NULL;
		gmb_fill_order(order, h.n, GO_FIFO);
		for (t = 0; t < nr_tiny_sizes; t++) {
			h.size = clamp(tiny_sizes[t], 1, 15);
			h.req = (u64)h.size * h.n;
			for (k = 0; k < ARRAY_SIZE(tiny_allocs); k++) {
				if (!gmb_alloc_on(tiny_allocs[k]))
					continue;
				h.a = tiny_allocs[k];
				gmb_hold_reps(&h, objs);
			}
		}
	}
out:
	kvfree(objs);
	kvfree(order);
	kvfree(szs);
}

static int __init gmb_init(void)
{
	if (!cpu_online(cpu)) {
		pr_err("cpu %d is not online\n", cpu);
		return -EINVAL;
	}
	pr_info("start workloads=%s allocs=%s gomalloc=%d reps=%d cpu=%d\n",
		workloads, allocs, GMB_HAVE_GOMALLOC, reps, cpu);
	if (gmb_listed(workloads, "hot"))
		gmb_run_hot();
	if (gmb_listed(workloads, "batch"))
		gmb_run_batch();
	if (gmb_listed(workloads, "cache"))
		gmb_run_cache();
	if (gmb_listed(workloads, "bulk"))
		gmb_run_bulk();
	if (gmb_listed(workloads, "cross"))
		gmb_run_cross();
	if (gmb_listed(workloads, "parallel"))
		gmb_run_parallel();
	if (gmb_listed(workloads, "mem") || gmb_listed(workloads, "tiny"))
		gmb_run_mem(gmb_listed(workloads, "mem"),
			    gmb_listed(workloads, "tiny"));
	pr_info("done errors=%d\n", atomic_read(&gmb_errors));
	return 0;
}

static void __exit gmb_exit(void)
{
}

module_init(gmb_init);
module_exit(gmb_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("gomalloc developers");
MODULE_DESCRIPTION("gomalloc vs SLUB benchmark, counted by a QEMU TCG plugin");
