// SPDX-License-Identifier: GPL-2.0
/*
 * Debug mode, in the manner of slub_debug: red zones after objects, poison in
 * freed objects, allocation and free callers, full-heap validation through
 * debugfs, and BUG/INFO/FIX reports. Costs nothing while off: turning it on
 * empties every mcache, and refills then divert here.
 *
 * Each debug object fills one element of a debug span (span class
 * GM_DEBUG_SPC(sc)): the object, a red zone of at least GM_RED_MIN bytes,
 * then struct gm_dmeta; power-of-two sizes get an element size they divide
 * in spans aligned to a multiple of the size.
 * Frees go through the spans' remote-free path, so a freed object stays
 * poisoned until its span is swept (a short quarantine).
 *
 * Under KASAN the red zone and metadata are poisoned as past the object, a
 * freed element as freed: the accesses here run between gm_asan_meta_begin()
 * and gm_asan_meta_end() (masan.h).
 *
 * Locking: gm_dclasses[sc].lock (irqsave) serialises debug allocations, frees
 * and validation of class sc; mcentral.lock nests inside it (lock order:
 * gomalloc_mod.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "gm_compat.h"
#include "masan.h"
#include "mem.h"
#include "mreport.h"
#include "mcentral.h"
#include "mdebug.h"
#include "mheap.h"

#define GM_RED_ACTIVE	0xcc
#define GM_RED_INACTIVE	0xbb
#define GM_POISON_FREE	0x6b
#define GM_POISON_END	0xa5
#define GM_RED_MIN	8
#define GM_MAGIC_LIVE	0x4c697665
#define GM_MAGIC_FREED	0x46726565

struct gm_track {
	unsigned long ip;
	unsigned long when;
	u32 cpu;
	u32 pid;
};

struct gm_dmeta {
	u32 magic;
	u32 size;
	struct gm_track alloc, free;
};

struct gm_dclass {
	spinlock_t lock;
	struct gm_mspan *cur;
	unsigned long nmalloc, nfree;	/* under lock; read racily by stats */
};

unsigned int gm_debug_flags;
GM_EXPORT_INTERNAL(gm_debug_flags);
static struct gm_dclass gm_dclasses[GM_NUM_SIZE_CLASSES];
static atomic_long_t gm_dbg_errors;
static atomic_long_t gm_dbg_bytes_alloc, gm_dbg_bytes_free;
static unsigned long gm_dbg_last_checked, gm_dbg_last_errors;

static struct gm_dmeta *gm_dmeta(struct gm_mspan *s, unsigned long obj)
{
	return (void *)(obj + s->elemsize - sizeof(struct gm_dmeta));
}

static unsigned long gm_red_end(struct gm_mspan *s, unsigned long obj)
{
	return (unsigned long)gm_dmeta(s, obj);
}

/* One more error: counted, and seen by a KUnit test that asked for it. */
static void gm_dbg_count(void)
{
	gm_report_error(&gm_dbg_errors);
}

static void gm_dbg_track(const char *what, struct gm_track *t)
{
	if (!t->ip)
		return;
	pr_err("INFO: %s in %pS age=%lu cpu=%u pid=%u\n", what, (void *)t->ip,
	       jiffies - t->when, t->cpu, t->pid);
}

/* A report in SLUB's shape: BUG, what was found, where, and the repair. */
static void gm_dbg_report(struct gm_mspan *s, unsigned long obj, const char *bug,
			  const char *info, const char *fix)
{
	struct gm_dmeta *m = gm_dmeta(s, obj);
	unsigned int sc = gm_spc_sizeclass(s->spanclass);

	gm_asan_meta_begin();
	pr_err("=============================================================================\n");
	pr_err("BUG gomalloc-%u (class %u, debug): %s\n", gm_class_to_size[sc], sc, bug);
	pr_err("-----------------------------------------------------------------------------\n");
	if (info)
		pr_err("INFO: %s\n", info);
	if (READ_ONCE(gm_debug_flags) & GM_DEBUG_TRACK || m->alloc.ip) {
		gm_dbg_track("Allocated", &m->alloc);
		gm_dbg_track("Freed", &m->free);
	}
	pr_err("INFO: Object 0x%p @offset=%lu size=%u (element %u bytes)\n",
	       (void *)obj, obj - s->base, m->size, s->elemsize);
	pr_err("FIX gomalloc-%u: %s\n", gm_class_to_size[sc], fix);
	gm_asan_meta_end();
	gm_dbg_count();
}

/* Check [from, to) of object @obj holds @val; report and restore if not. */
static bool gm_dbg_check(struct gm_mspan *s, unsigned long obj, unsigned long from,
			 unsigned long to, u8 val, const char *what)
{
	u8 *bad = memchr_inv((void *)from, val, to - from), *end;
	char info[128], fix[96];

	if (!bad)
		return true;
	for (end = (u8 *)to; end > bad && end[-1] == val; end--)
		;
	snprintf(info, sizeof(info), "0x%p-0x%p @offset=%lu. First byte 0x%x instead of 0x%x",
		 bad, end - 1, (unsigned long)bad - obj, *bad, val);
	snprintf(fix, sizeof(fix), "Restoring %s 0x%p-0x%p=0x%x", what, bad, end - 1, val);
	gm_dbg_report(s, obj, what, info, fix);
	memset(bad, val, end - bad);
	return false;
}

static void gm_dbg_set_track(struct gm_track *t, unsigned long ip)
{
	t->ip = ip;
	t->when = jiffies;
	t->cpu = raw_smp_processor_id();
	t->pid = current->pid;
}

/* A slot freed before must still hold its poison and inactive red zone. */
static void gm_dbg_check_free_slot(struct gm_mspan *s, unsigned long obj)
{
	struct gm_dmeta *m = gm_dmeta(s, obj);

	lockdep_assert_held(&gm_dclasses[gm_spc_sizeclass(s->spanclass)].lock);

	if (m->magic != GM_MAGIC_FREED)
		return;
	if (READ_ONCE(gm_debug_flags) & GM_DEBUG_POISON && m->size) {
		gm_dbg_check(s, obj, obj, obj + m->size - 1, GM_POISON_FREE,
			     "Poison overwritten");
		gm_dbg_check(s, obj, obj + m->size - 1, obj + m->size, GM_POISON_END,
			     "Poison overwritten");
	}
	if (READ_ONCE(gm_debug_flags) & GM_DEBUG_REDZONE)
		gm_dbg_check(s, obj, obj + m->size, gm_red_end(s, obj), GM_RED_INACTIVE,
			     "Redzone overwritten");
}

/* Is there room for a debug object of @size (red zone, metadata) in a class? */
bool gm_debug_fits(size_t size)
{
	return size + GM_RED_MIN + sizeof(struct gm_dmeta) <= GM_MAX_SMALL_SIZE;
}

void *gm_debug_alloc(size_t size, gfp_t gfp, unsigned long ip)
{
	size_t need = size + GM_RED_MIN + sizeof(struct gm_dmeta);
	struct gm_mspan *s, *old = NULL, *ns;
	unsigned int sc, flags_dbg;
	struct gm_dclass *dc;
	struct gm_dmeta *m;
	unsigned long flags;
	void *p;

	if (WARN_ON_ONCE(need > GM_MAX_SMALL_SIZE))	/* see gm_debug_fits() */
		return NULL;
	sc = gm_size_to_class(need);
	/*
	 * Power-of-two sizes keep their natural alignment, as outside debug
	 * mode: an element size that the size divides, in spans aligned to a
	 * multiple of the size (page-aligned; 8, 16 and 32 KiB classes to
	 * their element size). The last class, 32 KiB, qualifies for every
	 * power of two that gets here (up to 16 KiB); 32 KiB and more took
	 * the large path above, aligned to their size too.
	 */
	if (is_power_of_2(size))
		while (gm_class_to_size[sc] % size ||
		       ((unsigned long)gm_class_span_align(sc) << PAGE_SHIFT) % size)
			sc++;
	dc = &gm_dclasses[sc];
	spin_lock_irqsave(&dc->lock, flags);
	while (!(p = dc->cur ? gm_span_next_free(dc->cur) : NULL)) {
		s = dc->cur;
		dc->cur = NULL;
		spin_unlock_irqrestore(&dc->lock, flags);
		if (s)
			gm_mcentral_uncache_span(s);
		ns = gm_mcentral_cache_span(GM_DEBUG_SPC(sc), gfp);
		if (!ns)
			return NULL;
		spin_lock_irqsave(&dc->lock, flags);
		old = dc->cur;		/* installed meanwhile: give it back later */
		dc->cur = ns;
		if (old) {
			spin_unlock_irqrestore(&dc->lock, flags);
			gm_mcentral_uncache_span(old);
			spin_lock_irqsave(&dc->lock, flags);
		}
	}
	s = dc->cur;
	gm_asan_meta_begin();
	gm_dbg_check_free_slot(s, (unsigned long)p);
	flags_dbg = READ_ONCE(gm_debug_flags);
	m = gm_dmeta(s, (unsigned long)p);
	m->magic = GM_MAGIC_LIVE;
	m->size = size;
	memset(&m->free, 0, sizeof(m->free));
	memset(&m->alloc, 0, sizeof(m->alloc));
	if (flags_dbg & GM_DEBUG_TRACK)
		gm_dbg_set_track(&m->alloc, ip);
	memset(p + size, GM_RED_ACTIVE, gm_red_end(s, (unsigned long)p) - (unsigned long)p - size);
	gm_asan_meta_end();
	WRITE_ONCE(dc->nmalloc, dc->nmalloc + 1);
	spin_unlock_irqrestore(&dc->lock, flags);
	atomic_long_add(size, &gm_dbg_bytes_alloc);
	if (want_init_on_alloc(gfp))
		gm_memset_nocheck(p, 0, size);	/* unpoisoned only once handed out */
	return p;
}

void gm_debug_free(struct gm_mspan *s, unsigned long p, unsigned long ip)
{
	unsigned int idx = gm_span_objindex(s, p), sc = gm_spc_sizeclass(s->spanclass);
	struct gm_dclass *dc = &gm_dclasses[sc];
	struct gm_dmeta *m;
	unsigned long flags;
	bool ok;

	if (idx >= s->nelems) {	/* in the span's tail: no metadata there */
		gm_report_free((void *)p, "not an object gomalloc handed out", false, ip);
		return;
	}
	if (s->base + idx * s->elemsize != p) {
		unsigned long obj = s->base + idx * s->elemsize;
		char info[64];

		atomic_long_inc(&gm_errors.invalid_frees);
		snprintf(info, sizeof(info), "gofree(0x%p) @offset=%lu inside the object",
			 (void *)p, p - obj);
		gm_dbg_report(s, obj, "Invalid free: pointer inside an object", info,
			      "Object not freed");
		return;
	}
	spin_lock_irqsave(&dc->lock, flags);
	m = gm_dmeta(s, p);
	gm_asan_meta_begin();
	if (!gm_bit(s->alloc_bits, idx) || test_bit(idx, s->free_bits) ||
	    m->magic != GM_MAGIC_LIVE) {
		gm_asan_meta_end();
		atomic_long_inc(&gm_errors.double_frees);
		gm_dbg_report(s, p, "Object already free", NULL, "Free ignored");
		spin_unlock_irqrestore(&dc->lock, flags);
		return;
	}
	if (READ_ONCE(gm_debug_flags) & GM_DEBUG_REDZONE)
		gm_dbg_check(s, p, p + m->size, gm_red_end(s, p), GM_RED_ACTIVE,
			     "Right Redzone overwritten");
	if (READ_ONCE(gm_debug_flags) & GM_DEBUG_TRACK)
		gm_dbg_set_track(&m->free, ip);
	m->magic = GM_MAGIC_FREED;
	if (READ_ONCE(gm_debug_flags) & GM_DEBUG_POISON && m->size) {
		memset((void *)p, GM_POISON_FREE, m->size - 1);
		((u8 *)p)[m->size - 1] = GM_POISON_END;
	} else if (want_init_on_free()) {
		memset((void *)p, 0, m->size);
	}
	memset((void *)p + m->size, GM_RED_INACTIVE, gm_red_end(s, p) - p - m->size);
	atomic_long_add(m->size, &gm_dbg_bytes_free);
	gm_asan_meta_end();
	WRITE_ONCE(dc->nfree, dc->nfree + 1);
	ok = gm_mcentral_free_remote(s, idx, (void *)p, ip);
	spin_unlock_irqrestore(&dc->lock, flags);
	WARN_ON_ONCE(!ok);
}

size_t gm_debug_usable(struct gm_mspan *s, unsigned long p)
{
	unsigned int idx = gm_span_objindex(s, p);
	struct gm_dmeta *m = gm_dmeta(s, p);
	size_t n = 0;

	if (idx >= s->nelems)
		return 0;
	if (s->base + idx * s->elemsize != p || !gm_bit(s->alloc_bits, idx) ||
	    test_bit(idx, s->free_bits))
		return 0;
	gm_asan_meta_begin();
	if (READ_ONCE(m->magic) == GM_MAGIC_LIVE)
		n = READ_ONCE(m->size);
	gm_asan_meta_end();
	return n;
}

/* ---- validation: every debug object of every class ---- */

static unsigned long gm_dbg_validate_span(struct gm_mspan *s)
{
	unsigned long checked = 0, obj;
	unsigned int idx;

	lockdep_assert_held(&gm_dclasses[gm_spc_sizeclass(s->spanclass)].lock);

	gm_asan_meta_begin();
	for (idx = 0; idx < s->nelems; idx++) {
		struct gm_dmeta *m;

		obj = s->base + idx * s->elemsize;
		m = gm_dmeta(s, obj);
		if (m->magic == GM_MAGIC_LIVE && gm_bit(s->alloc_bits, idx)) {
			if (READ_ONCE(gm_debug_flags) & GM_DEBUG_REDZONE)
				gm_dbg_check(s, obj, obj + m->size, gm_red_end(s, obj),
					     GM_RED_ACTIVE, "Right Redzone overwritten");
			checked++;
		} else if (m->magic == GM_MAGIC_FREED) {
			gm_dbg_check_free_slot(s, obj);
			checked++;
		}
	}
	gm_asan_meta_end();
	return checked;
}

/* Returns the number of errors found; reports each. */
unsigned long gm_debug_validate(void)
{
	unsigned long before = atomic_long_read(&gm_dbg_errors), checked = 0, flags;
	unsigned int sc;

	for (sc = 1; sc < GM_NUM_SIZE_CLASSES; sc++) {
		struct gm_mcentral *c = &gm_central[GM_DEBUG_SPC(sc)];
		struct gm_dclass *dc = &gm_dclasses[sc];
		struct list_head *heads[] = { &c->partial_swept, &c->partial_unswept,
					      &c->full_swept, &c->full_unswept };
		struct gm_mspan *s;
		unsigned int h;

		spin_lock_irqsave(&dc->lock, flags);
		if (dc->cur)
			checked += gm_dbg_validate_span(dc->cur);
		spin_lock(&c->lock);
		for (h = 0; h < ARRAY_SIZE(heads); h++)
			list_for_each_entry(s, heads[h], list_node)
				checked += gm_dbg_validate_span(s);
		spin_unlock(&c->lock);
		spin_unlock_irqrestore(&dc->lock, flags);
	}
	gm_dbg_last_checked = checked;
	gm_dbg_last_errors = atomic_long_read(&gm_dbg_errors) - before;
	pr_info("validate: %lu debug object(s) checked, %lu error(s)\n",
		checked, gm_dbg_last_errors);
	return gm_dbg_last_errors;
}
GM_EXPORT_INTERNAL(gm_debug_validate);

unsigned long gm_debug_errors(void)
{
	return atomic_long_read(&gm_dbg_errors);
}
GM_EXPORT_INTERNAL(gm_debug_errors);

/* Allocations and frees of debug objects in size class @sc. */
void gm_debug_class_stats(unsigned int sc, unsigned long *nmalloc,
			  unsigned long *nfree)
{
	*nmalloc = READ_ONCE(gm_dclasses[sc].nmalloc);
	*nfree = READ_ONCE(gm_dclasses[sc].nfree);
}

void gm_debug_stats(long *objects, long *bytes)
{
	unsigned long nmalloc, nfree;
	unsigned int sc;

	*objects = 0;
	for (sc = 1; sc < GM_NUM_SIZE_CLASSES; sc++) {
		gm_debug_class_stats(sc, &nmalloc, &nfree);
		*objects += nmalloc - nfree;
	}
	*bytes = atomic_long_read(&gm_dbg_bytes_alloc) - atomic_long_read(&gm_dbg_bytes_free);
}

/* ---- the `debug` parameter's syntax (set in gomalloc_mod.c) ---- */

/* "1" or "all", "0" or "", else letters of Z, P and U (commas allowed). */
int gm_debug_parse(const char *val, unsigned int *flags)
{
	const char *c;

	*flags = 0;
	if (sysfs_streq(val, "1") || sysfs_streq(val, "all")) {
		*flags = GM_DEBUG_ALL;
		return 0;
	}
	if (sysfs_streq(val, "0") || sysfs_streq(val, ""))
		return 0;
	for (c = val; *c && *c != '\n'; c++) {
		switch (*c) {
		case 'z': case 'Z':
			*flags |= GM_DEBUG_REDZONE;
			break;
		case 'p': case 'P':
			*flags |= GM_DEBUG_POISON;
			break;
		case 'u': case 'U':
			*flags |= GM_DEBUG_TRACK;
			break;
		case ',':
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

int gm_debug_show(char *buf)
{
	unsigned int f = READ_ONCE(gm_debug_flags);

	return sysfs_emit(buf, "%s%s%s%s\n", f & GM_DEBUG_REDZONE ? "Z" : "",
			  f & GM_DEBUG_POISON ? "P" : "", f & GM_DEBUG_TRACK ? "U" : "",
			  f ? "" : "0");
}

static ssize_t gm_validate_write(struct file *f, const char __user *buf, size_t n,
				 loff_t *pos)
{
	gm_debug_validate();
	return n;
}

static ssize_t gm_validate_read(struct file *f, char __user *buf, size_t n, loff_t *pos)
{
	char out[96];
	int len = scnprintf(out, sizeof(out), "checked %lu errors %lu total_errors %lu\n",
			    gm_dbg_last_checked, gm_dbg_last_errors,
			    atomic_long_read(&gm_dbg_errors));

	return simple_read_from_buffer(buf, n, pos, out, len);
}

static const struct file_operations gm_validate_fops = {
	.owner = THIS_MODULE,
	.read = gm_validate_read,
	.write = gm_validate_write,
	.llseek = default_llseek,
};

void gm_debug_init(void)
{
	unsigned int sc;

	for (sc = 0; sc < GM_NUM_SIZE_CLASSES; sc++)
		spin_lock_init(&gm_dclasses[sc].lock);
}

/* debugfs gomalloc/validate: a write checks every debug object. */
void gm_debug_debugfs(struct dentry *dir)
{
	debugfs_create_file("validate", 0600, dir, NULL, &gm_validate_fops);
}

/* Give back the debug classes' current spans (reclaim, unload). */
void gm_debug_drain(void)
{
	unsigned long flags;
	unsigned int sc;

	for (sc = 0; sc < GM_NUM_SIZE_CLASSES; sc++) {
		struct gm_dclass *dc = &gm_dclasses[sc];
		struct gm_mspan *s;

		spin_lock_irqsave(&dc->lock, flags);
		s = dc->cur;
		dc->cur = NULL;
		spin_unlock_irqrestore(&dc->lock, flags);
		if (s)
			gm_mcentral_uncache_span(s);
	}
}
GM_EXPORT_INTERNAL(gm_debug_drain);

/* Unload: the debug classes' spans go back (their objects are leaked). */
void gm_debug_exit(void)
{
	gm_debug_drain();
}
