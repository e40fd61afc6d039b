// SPDX-License-Identifier: GPL-2.0
/*
 * mprof: heap profiling by sampling, after Go's mprof.go: the sampled
 * objects and their stacks' counts, and debugfs gomalloc/heap_profile in
 * Go's legacy text format (runtime/pprof, debug=1) for `go tool pprof`.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/kallsyms.h>
#include <linux/kmemleak.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/jiffies.h>
#include "gm_compat.h"
#include "mheap.h"
#include "mprof.h"

#define GM_PROF_STACK_HASH	1024
#define GM_PROF_OBJ_HASH	16384
#define GM_PROF_NONE		U32_MAX
/* Frames saved beyond the kept ones: gomalloc's own, skipped. */
#define GM_PROF_SKIP		8

/* A distinct stack and its counts (Go's bucket and memRecord). */
struct gm_prof_bucket {
	u32 next;			/* hash chain */
	u32 hash;
	u32 nframes;
	long alloc_objects, alloc_bytes, free_objects, free_bytes;
	unsigned long pc[GM_PROF_DEPTH];	/* return addresses, innermost first */
};

/* A live sampled object. */
struct gm_prof_obj {
	unsigned long addr;
	unsigned long size;
	u64 time;			/* get_jiffies_64() when sampled */
	u32 bucket;
	u32 next;			/* hash chain, or the free list */
};

/* Allocated whole, when profiling is first on; buckets are never freed. */
struct gm_prof_tables {
	u32 stack_head[GM_PROF_STACK_HASH];
	u32 obj_head[GM_PROF_OBJ_HASH];
	u32 obj_free;
	u32 nstacks, nobjs;
	struct gm_prof_obj objs[GM_PROF_MAX_OBJECTS];
	struct gm_prof_bucket stacks[GM_PROF_MAX_STACKS];
};

/*
 * profile_rate (gomalloc_mod.c's parameter): mean bytes between samples,
 * 0 off. Go's MemProfileRate default.
 */
unsigned long gm_prof_rate = 512 * 1024;
GM_EXPORT_INTERNAL(gm_prof_rate);

/*
 * gm_prof_lock (raw: taken from any context but NMI, interrupts saved;
 * nests nothing) guards the tables and every span's nsampled and sampled.
 * gm_prof_mutex orders allocating the tables against unload.
 */
static DEFINE_RAW_SPINLOCK(gm_prof_lock);
static DEFINE_MUTEX(gm_prof_mutex);
static struct gm_prof_tables *gm_prof_t;
static bool gm_prof_live;	/* between init and exit: the tables may exist */
static unsigned long gm_prof_dropped, gm_prof_samples;

/* log2(@q) in 16.16 fixed point, @q >= 1: the mantissa squared 16 times. */
static u32 gm_log2_q16(u32 q)
{
	u32 ip = fls(q) - 1, frac = 0, i;
	u64 x = (u64)q << (31 - ip);	/* [1, 2) in Q31 */

	for (i = 0; i < 16; i++) {
		x = (x * x) >> 31;
		frac <<= 1;
		if (x >= (2ULL << 31)) {
			x >>= 1;
			frac |= 1;
		}
	}
	return (ip << 16) | frac;
}

/*
 * Go's fastexprand: q uniform in [1, 2^26], x = -log2(q / 2^26) * ln 2 *
 * mean, the inverse of the exponential CDF, in integers (ln 2 in Q30).
 */
long gm_prof_exp(unsigned long mean, u32 rnd)
{
	u32 q = (rnd & ((1U << 26) - 1)) + 1;
	u64 neg = (26U << 16) - gm_log2_q16(q);

	mean = min(mean, 0x7000000UL);	/* as Go: no overflow */
	return (long)((((neg * mean) >> 16) * 744261118ULL) >> 30) + 1;
}
GM_EXPORT_INTERNAL(gm_prof_exp);

long gm_prof_next_sample(u64 *rng)
{
	unsigned long rate = READ_ONCE(gm_prof_rate);

	if (!rate)
		return LONG_MAX;
	if (rate == 1)
		return 0;
	return gm_prof_exp(rate, gm_prof_rand(rng));
}
GM_EXPORT_INTERNAL(gm_prof_next_sample);

/* The stack bucket of @pc[0..@n), found or added; GM_PROF_NONE at the cap. */
static u32 gm_prof_bucket_get(struct gm_prof_tables *t, const unsigned long *pc,
			      unsigned int n, u32 hash)
{
	u32 *head = &t->stack_head[hash % GM_PROF_STACK_HASH], i;
	struct gm_prof_bucket *b;

	lockdep_assert_held(&gm_prof_lock);
	for (i = *head; i != GM_PROF_NONE; i = b->next) {
		b = &t->stacks[i];
		if (b->hash == hash && b->nframes == n &&
		    !memcmp(b->pc, pc, n * sizeof(*pc)))
			return i;
	}
	if (t->nstacks == GM_PROF_MAX_STACKS)
		return GM_PROF_NONE;
	i = t->nstacks++;
	b = &t->stacks[i];
	/* The tables come from kvmalloc(): a new bucket's counts start at 0. */
	*b = (struct gm_prof_bucket){ .hash = hash, .nframes = n, .next = *head };
	memcpy(b->pc, pc, n * sizeof(*pc));
	*head = i;
	return i;
}

static u32 *gm_prof_obj_slot(struct gm_prof_tables *t, unsigned long addr)
{
	return &t->obj_head[hash_long(addr, ilog2(GM_PROF_OBJ_HASH))];
}

/* The link that leads to @addr's entry (or holds GM_PROF_NONE). */
static u32 *gm_prof_obj_find(struct gm_prof_tables *t, unsigned long addr)
{
	u32 *link = gm_prof_obj_slot(t, addr);

	while (*link != GM_PROF_NONE && t->objs[*link].addr != addr)
		link = &t->objs[*link].next;
	return link;
}

void gm_prof_alloc(const void *p, size_t size)
{
	unsigned long pc[GM_PROF_DEPTH + GM_PROF_SKIP], a = (unsigned long)p, flags;
	unsigned int n, skip = 0;
	struct gm_prof_tables *t;
	struct gm_prof_obj *o;
	struct gm_mspan *s;
	u32 hash, b, i, *link;

	if (unlikely(in_nmi()))
		return;
	n = stack_trace_save(pc, ARRAY_SIZE(pc), 0);
	while (skip < n && within_module(pc[skip], THIS_MODULE))
		skip++;	/* gomalloc's own frames: the caller's stack starts after */
	n = min_t(unsigned int, n - skip, GM_PROF_DEPTH);
	hash = jhash(pc + skip, n * sizeof(*pc), 0);

	raw_spin_lock_irqsave(&gm_prof_lock, flags);
	t = gm_prof_t;
	s = gm_span_of(p);	/* interrupts off: an RCU reader of the index */
	if (!t || !s || t->obj_free == GM_PROF_NONE)
		goto drop;
	link = gm_prof_obj_find(t, a);
	if (*link != GM_PROF_NONE)
		goto drop;	/* sampled twice (a debug large object): once */
	b = gm_prof_bucket_get(t, pc + skip, n, hash);
	if (b == GM_PROF_NONE)
		goto drop;
	i = t->obj_free;
	o = &t->objs[i];
	t->obj_free = o->next;
	o->addr = a;
	o->size = size;
	o->time = get_jiffies_64();	/* ktime_get_mono_fast_ns() races by design (KCSAN) */
	o->bucket = b;
	o->next = GM_PROF_NONE;
	*link = i;
	t->nobjs++;
	t->stacks[b].alloc_objects++;
	t->stacks[b].alloc_bytes += size;
	s->nsampled++;
	WRITE_ONCE(s->sampled, 1);
	gm_prof_samples++;
	raw_spin_unlock_irqrestore(&gm_prof_lock, flags);
	return;
drop:
	gm_prof_dropped++;
	raw_spin_unlock_irqrestore(&gm_prof_lock, flags);
}
GM_EXPORT_INTERNAL(gm_prof_alloc);

void gm_prof_free(struct gm_mspan *s, unsigned long p)
{
	struct gm_prof_tables *t;
	struct gm_prof_obj *o;
	unsigned long flags;
	u32 *link, i;

	raw_spin_lock_irqsave(&gm_prof_lock, flags);
	t = gm_prof_t;
	if (!t)
		goto out;
	link = gm_prof_obj_find(t, p);
	i = *link;
	if (i == GM_PROF_NONE)
		goto out;	/* another object of the span, or a bad free */
	o = &t->objs[i];
	t->stacks[o->bucket].free_objects++;
	t->stacks[o->bucket].free_bytes += o->size;
	*link = o->next;
	o->addr = 0;
	o->next = t->obj_free;
	t->obj_free = i;
	t->nobjs--;
	if (s->nsampled && !--s->nsampled)
		WRITE_ONCE(s->sampled, 0);
out:
	raw_spin_unlock_irqrestore(&gm_prof_lock, flags);
}
GM_EXPORT_INTERNAL(gm_prof_free);

static void gm_prof_fill(const struct gm_prof_bucket *b, struct gm_prof_record *r)
{
	r->alloc_objects = b->alloc_objects;
	r->alloc_bytes = b->alloc_bytes;
	r->free_objects = b->free_objects;
	r->free_bytes = b->free_bytes;
}

bool gm_prof_lookup(const void *p, struct gm_prof_record *r)
{
	struct gm_prof_tables *t;
	unsigned long flags;
	bool found = false;
	u32 i;

	raw_spin_lock_irqsave(&gm_prof_lock, flags);
	t = gm_prof_t;
	if (t) {
		i = *gm_prof_obj_find(t, (unsigned long)p);
		found = i != GM_PROF_NONE;
		if (found) {
			r->bucket = t->objs[i].bucket;
			r->size = t->objs[i].size;
			gm_prof_fill(&t->stacks[r->bucket], r);
		}
	}
	raw_spin_unlock_irqrestore(&gm_prof_lock, flags);
	return found;
}
GM_EXPORT_INTERNAL(gm_prof_lookup);

bool gm_prof_bucket(u32 bucket, struct gm_prof_record *r)
{
	struct gm_prof_tables *t;
	unsigned long flags;
	bool found;

	raw_spin_lock_irqsave(&gm_prof_lock, flags);
	t = gm_prof_t;
	found = t && bucket < t->nstacks;
	if (found) {
		r->bucket = bucket;
		r->size = 0;
		gm_prof_fill(&t->stacks[bucket], r);
	}
	raw_spin_unlock_irqrestore(&gm_prof_lock, flags);
	return found;
}
GM_EXPORT_INTERNAL(gm_prof_bucket);

void gm_prof_counts(unsigned long *stacks, unsigned long *objects,
		    unsigned long *dropped)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&gm_prof_lock, flags);
	*stacks = gm_prof_t ? gm_prof_t->nstacks : 0;
	*objects = gm_prof_t ? gm_prof_t->nobjs : 0;
	*dropped = gm_prof_dropped;
	raw_spin_unlock_irqrestore(&gm_prof_lock, flags);
}
GM_EXPORT_INTERNAL(gm_prof_counts);

/* Allocate the tables (gm_prof_mutex held, process context). */
static int gm_prof_tables_alloc(void)
{
	struct gm_prof_tables *t;
	unsigned long flags;
	u32 i;

	lockdep_assert_held(&gm_prof_mutex);
	if (gm_prof_t)
		return 0;
	t = kvmalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		pr_warn("no memory for the heap profile's tables (%zu bytes): profiling stays off\n",
			sizeof(*t));
		return -ENOMEM;
	}
	/*
	 * Sampled objects' addresses: kmemleak must not take them for
	 * references, or a lost object that was sampled is never reported.
	 */
	kmemleak_no_scan(t);
	memset(t->stack_head, 0xff, sizeof(t->stack_head));
	memset(t->obj_head, 0xff, sizeof(t->obj_head));
	t->nstacks = 0;
	t->nobjs = 0;
	for (i = 0; i < GM_PROF_MAX_OBJECTS; i++) {
		t->objs[i].addr = 0;
		t->objs[i].next = i + 1 < GM_PROF_MAX_OBJECTS ? i + 1 : GM_PROF_NONE;
	}
	t->obj_free = 0;
	raw_spin_lock_irqsave(&gm_prof_lock, flags);
	gm_prof_t = t;
	raw_spin_unlock_irqrestore(&gm_prof_lock, flags);
	return 0;
}

int gm_prof_set_rate(unsigned long rate)
{
	int ret = 0;

	mutex_lock(&gm_prof_mutex);
	if (rate && gm_prof_live)
		ret = gm_prof_tables_alloc();
	if (!ret)
		WRITE_ONCE(gm_prof_rate, rate);
	mutex_unlock(&gm_prof_mutex);
	return ret;
}
GM_EXPORT_INTERNAL(gm_prof_set_rate);

void gm_prof_init(void)
{
	mutex_lock(&gm_prof_mutex);
	gm_prof_live = true;
	if (READ_ONCE(gm_prof_rate) && gm_prof_tables_alloc())
		WRITE_ONCE(gm_prof_rate, 0);	/* the load goes on, unprofiled */
	mutex_unlock(&gm_prof_mutex);
}

/* Unload, after the last free: nothing samples or reads any more. */
void gm_prof_exit(void)
{
	struct gm_prof_tables *t;
	unsigned long flags;

	mutex_lock(&gm_prof_mutex);
	gm_prof_live = false;
	raw_spin_lock_irqsave(&gm_prof_lock, flags);
	t = gm_prof_t;
	gm_prof_t = NULL;
	raw_spin_unlock_irqrestore(&gm_prof_lock, flags);
	mutex_unlock(&gm_prof_mutex);
	kvfree(t);
}

void gm_prof_show(struct seq_file *m)
{
	unsigned long stacks, objects, dropped;

	gm_prof_counts(&stacks, &objects, &dropped);
	seq_printf(m, "profile_rate: %lu\n", READ_ONCE(gm_prof_rate));
	seq_printf(m, "profile_stacks: %lu\n", stacks);
	seq_printf(m, "profile_objects: %lu\n", objects);
	seq_printf(m, "profile_dropped: %lu\n", dropped);
}

/*
 * ---- heap_profile: a snapshot taken at open, in bounded chunks ----
 *
 * The buckets are copied GM_PROF_CHUNK at a time under the lock (so
 * interrupts are off for a short copy only), then sorted by in-use bytes,
 * largest first, as Go sorts its records.
 */
#define GM_PROF_CHUNK	32

struct gm_prof_snap {
	unsigned long rate, samples, dropped, objects;
	u32 n;
	long inuse_objects, inuse_bytes, alloc_objects, alloc_bytes;
	struct gm_prof_bucket b[];
};

static long gm_prof_inuse(const struct gm_prof_bucket *b)
{
	return b->alloc_bytes - b->free_bytes;
}

static int gm_prof_cmp(const void *x, const void *y)
{
	long a = gm_prof_inuse(x), b = gm_prof_inuse(y);

	return a > b ? -1 : a < b;
}

static struct gm_prof_snap *gm_prof_snapshot(void)
{
	struct gm_prof_snap *snap;
	unsigned long flags;
	u32 n, i, j;

	raw_spin_lock_irqsave(&gm_prof_lock, flags);
	n = gm_prof_t ? gm_prof_t->nstacks : 0;
	raw_spin_unlock_irqrestore(&gm_prof_lock, flags);
	snap = kvzalloc(struct_size(snap, b, n), GFP_KERNEL);
	if (!snap)
		return NULL;
	snap->rate = READ_ONCE(gm_prof_rate);
	for (i = 0; i < n; i += GM_PROF_CHUNK) {
		j = min_t(u32, n - i, GM_PROF_CHUNK);
		raw_spin_lock_irqsave(&gm_prof_lock, flags);
		if (gm_prof_t)	/* buckets only ever grow: [0, n) stay */
			memcpy(&snap->b[i], &gm_prof_t->stacks[i], j * sizeof(snap->b[0]));
		snap->samples = gm_prof_samples;
		snap->dropped = gm_prof_dropped;
		snap->objects = gm_prof_t ? gm_prof_t->nobjs : 0;
		raw_spin_unlock_irqrestore(&gm_prof_lock, flags);
		cond_resched();
	}
	snap->n = n;
	sort(snap->b, n, sizeof(snap->b[0]), gm_prof_cmp, NULL);
	for (i = 0; i < n; i++) {
		snap->inuse_objects += snap->b[i].alloc_objects - snap->b[i].free_objects;
		snap->inuse_bytes += gm_prof_inuse(&snap->b[i]);
		snap->alloc_objects += snap->b[i].alloc_objects;
		snap->alloc_bytes += snap->b[i].alloc_bytes;
	}
	return snap;
}

/* "#\t0xADDR\tfunction+0xOFF\t[module]": %pB's symbol without its /0xSIZE. */
static void gm_prof_frame(struct seq_file *m, unsigned long pc)
{
	char sym[KSYM_SYMBOL_LEN];
	char *slash, *mod;

	snprintf(sym, sizeof(sym), "%pB", (void *)pc);
	slash = strchr(sym, '/');
	mod = strchr(sym, '[');
	if (slash)
		*slash = '\0';
	else if (!mod)	/* no symbol: %pB gave the address (freed init code) */
		mod = "[unknown]";
	seq_printf(m, "#\t0x%lx\t%s\t%s\n", pc, sym, mod ? mod : "[vmlinux]");
}

static int gm_prof_show_bucket(struct seq_file *m, const struct gm_prof_bucket *b)
{
	u32 i;

	seq_printf(m, "%ld: %ld [%ld: %ld] @", b->alloc_objects - b->free_objects,
		   gm_prof_inuse(b), b->alloc_objects, b->alloc_bytes);
	for (i = 0; i < b->nframes; i++)
		seq_printf(m, " 0x%lx", b->pc[i]);
	seq_putc(m, '\n');
	for (i = 0; i < b->nframes; i++)
		gm_prof_frame(m, b->pc[i]);
	seq_putc(m, '\n');
	return 0;
}

/* Positions: 0 the header, 1..n the records, n+1 the trailer. */
static void *gm_prof_seq_start(struct seq_file *m, loff_t *pos)
{
	struct gm_prof_snap *snap = m->private;

	return *pos <= snap->n + 1 ? (void *)(uintptr_t)(*pos + 1) : NULL;
}

static void *gm_prof_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return gm_prof_seq_start(m, pos);
}

static void gm_prof_seq_stop(struct seq_file *m, void *v)
{
}

static int gm_prof_seq_show(struct seq_file *m, void *v)
{
	struct gm_prof_snap *snap = m->private;
	u32 pos = (uintptr_t)v - 1;

	if (!pos) {
		/* heap/R: R is twice the rate, as Go writes it (pprof reads R/2). */
		seq_printf(m, "heap profile: %ld: %ld [%ld: %ld] @ heap/%lu\n",
			   snap->inuse_objects, snap->inuse_bytes, snap->alloc_objects,
			   snap->alloc_bytes, 2 * snap->rate);
		return 0;
	}
	if (pos <= snap->n)
		return gm_prof_show_bucket(m, &snap->b[pos - 1]);
	seq_puts(m, "# gomalloc\n");
	seq_printf(m, "# profile_rate = %lu\n", snap->rate);
	seq_printf(m, "# profile_stacks = %u\n", snap->n);
	seq_printf(m, "# profile_objects = %lu\n", snap->objects);
	seq_printf(m, "# profile_samples = %lu\n", snap->samples);
	seq_printf(m, "# profile_dropped = %lu\n", snap->dropped);
	return 0;
}

static const struct seq_operations gm_prof_seq_ops = {
	.start = gm_prof_seq_start,
	.next = gm_prof_seq_next,
	.stop = gm_prof_seq_stop,
	.show = gm_prof_seq_show,
};

static int gm_prof_open(struct inode *inode, struct file *file)
{
	struct gm_prof_snap *snap = gm_prof_snapshot();
	int ret;

	if (!snap)
		return -ENOMEM;
	ret = seq_open(file, &gm_prof_seq_ops);
	if (ret) {
		kvfree(snap);
		return ret;
	}
	((struct seq_file *)file->private_data)->private = snap;
	return 0;
}

static int gm_prof_release(struct inode *inode, struct file *file)
{
	kvfree(((struct seq_file *)file->private_data)->private);
	return seq_release(inode, file);
}

static const struct file_operations gm_prof_fops = {
	.owner = THIS_MODULE,
	.open = gm_prof_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = gm_prof_release,
};

void gm_prof_debugfs(struct dentry *dir)
{
	debugfs_create_file("heap_profile", 0400, dir, NULL, &gm_prof_fops);
}
