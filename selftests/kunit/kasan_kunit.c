// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite gomalloc_kasan (module gomalloc_kasan_kunit.ko, generic KASAN
 * only): KASAN reports use-after-free and out-of-bounds accesses to every
 * kind of gomalloc object, and nothing for accesses within them.
 *
 * A report is seen through the error_report_end tracepoint KASAN emits at
 * the end of each (and through the "kasan_status" resource on kernels built
 * with CONFIG_KASAN_KUNIT_TEST). Each report a case asks for is bracketed by
 * console markers, "gomalloc-kasan: expect begin NAME" and "... end NAME":
 * vm/summarize.py excuses one KASAN report between a matching pair and fails
 * on any other. Reports are one-shot unless the kernel is booted with
 * kasan_multi_shot (vm/check.sh does). A KASAN report taints the kernel and
 * turns lockdep off, so this module runs after everything else in a guest.
 *
 * Accesses are READ_ONCE()/WRITE_ONCE() of a byte (KASAN checks them; the
 * compiler keeps them). Writes after free write what the object already
 * holds, never its first word (the LIFO link), so gomalloc's own checks see
 * nothing. Everything runs on gomalloc alone: nothing else allocates from it
 * meanwhile, so a freed object is not handed out again before it is read.
 */
#include <linux/kasan.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sizes.h>
#include <linux/tracepoint.h>
#include <kunit/resource.h>
#include <kunit/test.h>
#include <trace/events/error_report.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "mdebug.h"

MODULE_IMPORT_NS(GM_NS_INTERNAL);

#define GM_KASAN_MARK	"gomalloc-kasan: expect"

/* mm/kasan/kasan.h's struct kunit_kasan_status (CONFIG_KASAN_KUNIT_TEST). */
struct gm_kunit_kasan_status {
	bool report_found;
	bool sync_fault;
};

static struct gm_kunit_kasan_status gm_kasan_status;
static struct kunit_resource gm_kasan_res;
/* Reports seen by the tracepoint probe: all, and the last one's address. */
static atomic_t gm_kasan_reports;
static unsigned long gm_kasan_last;
static bool gm_kasan_probe_on;

/*
 * Failures found with preemption off (the accesses are made so), reported
 * by the case's exit: KUnit's failure reports allocate with GFP_KERNEL.
 */
#define GM_KASAN_NOTES	16
static char gm_kasan_notes[GM_KASAN_NOTES][96];
static unsigned int gm_kasan_nnotes;

static __printf(1, 2) void gm_kasan_fail(const char *fmt, ...)
{
	va_list ap;

	if (gm_kasan_nnotes < GM_KASAN_NOTES) {
		va_start(ap, fmt);
		vsnprintf(gm_kasan_notes[gm_kasan_nnotes], sizeof(gm_kasan_notes[0]), fmt, ap);
		va_end(ap);
	}
	gm_kasan_nnotes++;
}

static void gm_kasan_probe(void *data, enum error_detector det, unsigned long id)
{
	if (det != ERROR_DETECTOR_KASAN)
		return;
	WRITE_ONCE(gm_kasan_last, id);
	atomic_inc(&gm_kasan_reports);
}

static int gm_kasan_init(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_KASAN_GENERIC))
		kunit_skip(test, "needs generic KASAN");
	gm_kasan_status.report_found = false;
	kunit_add_named_resource(test, NULL, NULL, &gm_kasan_res, "kasan_status",
				 &gm_kasan_status);
	atomic_set(&gm_kasan_reports, 0);
	WRITE_ONCE(gm_kasan_last, 0);
	gm_kasan_nnotes = 0;
	gm_kasan_probe_on = !register_trace_error_report_end(gm_kasan_probe, NULL);
	KUNIT_ASSERT_TRUE_MSG(test, gm_kasan_probe_on, "error_report_end probe not registered");
	return 0;
}

/* The failures noted; and no case may leave a report it did not ask for. */
static void gm_kasan_exit(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < min_t(unsigned int, gm_kasan_nnotes, GM_KASAN_NOTES); i++)
		KUNIT_FAIL(test, "%s", gm_kasan_notes[i]);
	if (gm_kasan_nnotes > GM_KASAN_NOTES)
		KUNIT_FAIL(test, "%u more failure(s)", gm_kasan_nnotes - GM_KASAN_NOTES);
	if (!gm_kasan_probe_on)
		return;
	unregister_trace_error_report_end(gm_kasan_probe, NULL);
	tracepoint_synchronize_unregister();
	gm_kasan_probe_on = false;
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&gm_kasan_reports), 0,
			    "KASAN reported an access the case did not expect to be reported");
	KUNIT_EXPECT_FALSE(test, READ_ONCE(gm_kasan_status.report_found));
}

/* Before an access that must be reported: nothing reported since the last. */
static void gm_kasan_begin(const char *what)
{
	if (atomic_read(&gm_kasan_reports))
		gm_kasan_fail("a KASAN report before \"%s\"", what);
	atomic_set(&gm_kasan_reports, 0);
	WRITE_ONCE(gm_kasan_status.report_found, false);
	pr_info(GM_KASAN_MARK " begin %s\n", what);
}

/* After it: exactly one report, at @addr. */
static void gm_kasan_end(const char *what, const void *addr)
{
	int n = atomic_read(&gm_kasan_reports);

	pr_info(GM_KASAN_MARK " end %s\n", what);
	if (!n && !READ_ONCE(gm_kasan_status.report_found))
		gm_kasan_fail("KASAN failure expected in \"%s\", but none occurred", what);
	else if (n && READ_ONCE(gm_kasan_last) != (unsigned long)addr)
		gm_kasan_fail("\"%s\": report for %#lx, not %#lx", what,
			      READ_ONCE(gm_kasan_last), (unsigned long)addr);
	if (n > 1)
		gm_kasan_fail("\"%s\": %d reports", what, n);
	atomic_set(&gm_kasan_reports, 0);
	WRITE_ONCE(gm_kasan_status.report_found, false);
}

/* Reads and writes the compiler keeps, checked by KASAN. */
static noinline u8 gm_rd(const void *p, size_t i)
{
	return READ_ONCE(((const u8 *)p)[i]);
}

static noinline void gm_wr(void *p, size_t i, u8 v)
{
	WRITE_ONCE(((u8 *)p)[i], v);
}

#define GM_EXPECT_KASAN(addr, expr, what) do {			\
	gm_kasan_begin(what);					\
	barrier();						\
	expr;							\
	barrier();						\
	gm_kasan_end(what, addr);				\
} while (0)

/* Read p[i]: one report at p + i. */
#define GM_EXPECT_BAD_READ(p, i, what)				\
	GM_EXPECT_KASAN((u8 *)(p) + (i), gm_rd(p, i), what)
#define GM_EXPECT_BAD_WRITE(p, i, v, what)			\
	GM_EXPECT_KASAN((u8 *)(p) + (i), gm_wr(p, i, v), what)

/*
 * In bounds: no report. Each byte is read and written back; of a large
 * object only the first and last 4 KiB.
 */
static void gm_kasan_expect_clean(void *p, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i == SZ_4K && n > 2 * SZ_4K)
			i = n - SZ_4K;
		gm_wr(p, i, gm_rd(p, i));
	}
	if (atomic_read(&gm_kasan_reports)) {
		gm_kasan_fail("%s: in-bounds access reported (%zu bytes)", what, n);
		atomic_set(&gm_kasan_reports, 0);
	}
}

/*
 * Use-after-free of an object of @n bytes freed by @free_fn: a read of its
 * first byte and a write of its last (never its first word: the link).
 * Preemption stays off from the free to the accesses, so no other task on
 * this CPU takes the object from the LIFO list meanwhile.
 */
static void gm_kasan_uaf(struct kunit *test, void *p, size_t n, void (*free_fn)(void *),
			 const char *kind)
{
	char what[64];
	size_t w = n > 8 ? n - 1 : 0;

	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0, n);
	gm_kasan_expect_clean(p, n, kind);
	preempt_disable();
	free_fn(p);
	snprintf(what, sizeof(what), "%s %zu: read after free", kind, n);
	GM_EXPECT_BAD_READ(p, 0, what);
	snprintf(what, sizeof(what), "%s %zu: write after free", kind, n);
	if (w)
		GM_EXPECT_BAD_WRITE(p, w, 0, what);
	preempt_enable();
}

static void gm_kasan_gofree(void *p)
{
	gofree(p);
}

/* Small objects, several classes; the write lands past the link. */
static void gm_test_kasan_uaf_small(struct kunit *test)
{
	static const size_t sizes[] = { 16, 64, 100, 1000, 4096, 20000 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		gm_kasan_uaf(test, gomalloc(sizes[i], GFP_KERNEL), sizes[i], gm_kasan_gofree,
			     "small");
}

static void gm_test_kasan_uaf_large(struct kunit *test)
{
	gm_kasan_uaf(test, gomalloc(100000, GFP_KERNEL), 100000, gm_kasan_gofree, "large");
	gm_kasan_uaf(test, gomalloc(1 << 20, GFP_KERNEL), 1 << 20, gm_kasan_gofree, "large");
}

/*
 * Tiny: two 8-byte sub-objects of one block, each a granule of its own; the
 * second is freed (the block stays, the first being live) and reported,
 * then the first.
 */
static void gm_test_kasan_uaf_tiny(struct kunit *test)
{
	u8 *a, *b;

	preempt_disable();	/* both from this CPU's current block */
	a = gomalloc_tiny(8, GFP_ATOMIC);
	b = gomalloc_tiny(8, GFP_ATOMIC);
	preempt_enable();
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	if (b != a + 8) {	/* a was the block's last 8 bytes: again */
		gofree(a);
		a = b;
		b = gomalloc_tiny(8, GFP_KERNEL);
		KUNIT_ASSERT_PTR_EQ(test, b, a + 8);
	}
	memset(a, 0, 8);
	memset(b, 0, 8);
	preempt_disable();
	gofree(b);
	GM_EXPECT_BAD_READ(b, 0, "tiny 8: read after free");
	GM_EXPECT_BAD_WRITE(b, 7, 0, "tiny 8: write after free");
	gm_kasan_expect_clean(a, 8, "tiny neighbour");
	preempt_enable();
	gofree(a);
}

static void gm_kasan_ctor(void *p)
{
	memset(p, 0, 48);
}

static struct gomalloc_cache *gm_kasan_cache;

static void gm_kasan_cache_free(void *p)
{
	gomalloc_cache_free(gm_kasan_cache, p);
}

/* Typed caches: plain, and with a constructor (the link past the object). */
static void gm_test_kasan_uaf_cache(struct kunit *test)
{
	gm_kasan_cache = gomalloc_cache_create("gm_kasan_plain", 40, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, gm_kasan_cache);
	gm_kasan_uaf(test, gomalloc_cache_alloc(gm_kasan_cache, GFP_KERNEL), 40,
		     gm_kasan_cache_free, "cache");
	gomalloc_cache_destroy(gm_kasan_cache);

	gm_kasan_cache = gomalloc_cache_create("gm_kasan_ctor", 48, 0, 0, gm_kasan_ctor);
	KUNIT_ASSERT_NOT_NULL(test, gm_kasan_cache);
	gm_kasan_uaf(test, gomalloc_cache_alloc(gm_kasan_cache, GFP_KERNEL), 48,
		     gm_kasan_cache_free, "ctor cache");
	gomalloc_cache_destroy(gm_kasan_cache);
	gm_kasan_cache = NULL;
}

/* Bulk frees, and gofree_rcu() once the grace period has freed the object. */
static void gm_test_kasan_uaf_bulk_rcu(struct kunit *test)
{
	struct gm_kasan_rcu_obj {
		u64 data[8];
		struct rcu_head rh;
	} *o;
	void *objs[8];

	KUNIT_ASSERT_EQ(test, gomalloc_bulk(128, GFP_KERNEL, ARRAY_SIZE(objs), objs),
			(int)ARRAY_SIZE(objs));
	memset(objs[3], 0, 128);
	preempt_disable();
	gofree_bulk(ARRAY_SIZE(objs), objs);
	GM_EXPECT_BAD_READ(objs[3], 8, "bulk 128: read after free");
	preempt_enable();

	o = gomalloc(sizeof(*o), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	memset(o, 0, sizeof(*o));
	rcu_read_lock();	/* a reader from before the free: the object stays */
	gofree_rcu(o, rh);
	gm_kasan_expect_clean(o, sizeof(o->data), "gofree_rcu before the grace period");
	rcu_read_unlock();
	gomalloc_rcu_barrier();
	GM_EXPECT_BAD_READ(o, 8, "gofree_rcu: read after the grace period");
}

/* Debug mode's objects: red zone and records past the object. */
static void gm_test_kasan_debug(struct kunit *test)
{
	u8 *p;

	gm_set_debug_flags(GM_DEBUG_ALL);
	p = gomalloc(100, GFP_KERNEL);
	if (!p)
		gm_set_debug_flags(0);
	KUNIT_ASSERT_NOT_NULL(test, p);
	gm_kasan_expect_clean(p, 100, "debug");
	GM_EXPECT_BAD_READ(p, 100, "debug 100: read past the end");
	preempt_disable();
	gofree(p);
	GM_EXPECT_BAD_READ(p, 0, "debug 100: read after free");
	/* What debug mode's poison holds there: its check sees nothing. */
	GM_EXPECT_BAD_WRITE(p, 50, 0x6b, "debug 100: write after free");
	preempt_enable();
	gm_set_debug_flags(0);
}

/* One byte past the size asked for: reported, whatever the class. */
static void gm_test_kasan_oob(struct kunit *test)
{
	static const size_t sizes[] = { 1, 13, 64, 100, 1000, 4095, 20000, 100000, 300000 };
	char what[64];
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = gomalloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		gm_kasan_expect_clean(p, sizes[i], "gomalloc");
		snprintf(what, sizeof(what), "gomalloc(%zu): read of byte %zu", sizes[i], sizes[i]);
		preempt_disable();	/* the next element stays free */
		GM_EXPECT_BAD_READ(p, sizes[i], what);
		preempt_enable();
		gofree(p);
	}
}

/* A tiny sub-object at the start of a block: past it nothing is live yet. */
static void gm_test_kasan_oob_tiny(struct kunit *test)
{
	unsigned int tries;
	u8 *p = NULL;

	preempt_disable();
	for (tries = 0; tries < 3; tries++) {
		if (p)
			gofree(p);
		p = gomalloc_tiny(15, GFP_ATOMIC);
		if (!p || !((unsigned long)p % 16))
			break;
	}
	if (p && !((unsigned long)p % 16)) {
		gm_kasan_expect_clean(p, 15, "tiny 15");
		GM_EXPECT_BAD_READ(p, 15, "gomalloc_tiny(15): read of byte 15");
	}
	preempt_enable();
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, (unsigned long)p % 16, 0UL);
	gofree(p);
}

/* Typed cache objects: the next element is not this one's. */
static void gm_test_kasan_oob_cache(struct kunit *test)
{
	struct gomalloc_cache *c = gomalloc_cache_create("gm_kasan_oob", 40, 0, 0, NULL);
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, c);
	p = gomalloc_cache_alloc(c, GFP_KERNEL);
	if (p) {
		gm_kasan_expect_clean(p, 40, "cache");
		preempt_disable();
		GM_EXPECT_BAD_READ(p, 40, "cache 40: read of byte 40");
		preempt_enable();
		gomalloc_cache_free(c, p);
	}
	gomalloc_cache_destroy(c);
	KUNIT_EXPECT_NOT_NULL(test, p);
}

/* gomalloc_usable_size() makes the whole usable size accessible, as ksize(). */
static void gm_test_kasan_usable(struct kunit *test)
{
	static const size_t sizes[] = { 13, 100, 1000, 4095, 20000, 100000 };
	unsigned int i;
	size_t n;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = gomalloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		n = gomalloc_usable_size(p);
		KUNIT_EXPECT_GE(test, n, sizes[i]);
		gm_kasan_expect_clean(p, n, "after gomalloc_usable_size()");
		gofree(p);
	}
}

/* gorealloc(): exactly the new size accessible, in place or moved. */
static void gm_test_kasan_realloc(struct kunit *test)
{
	u8 *p = gomalloc(100, GFP_KERNEL), *q;

	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0, 100);
	q = gorealloc(p, 50, GFP_KERNEL);	/* in place: shrunk */
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	gm_kasan_expect_clean(q, 50, "gorealloc(50)");
	preempt_disable();
	GM_EXPECT_BAD_READ(q, 50, "gorealloc(100 -> 50): read of byte 50");
	preempt_enable();
	q = gorealloc(p, 110, GFP_KERNEL);	/* in place: 112 usable */
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	gm_kasan_expect_clean(q, 110, "gorealloc(110)");
	preempt_disable();
	GM_EXPECT_BAD_READ(q, 110, "gorealloc(50 -> 110): read of byte 110");
	preempt_enable();
	q = gorealloc(p, 500, GFP_KERNEL);	/* moved */
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	gm_kasan_expect_clean(q, 500, "gorealloc(500)");
	preempt_disable();
	GM_EXPECT_BAD_READ(q, 500, "gorealloc(110 -> 500): read of byte 500");
	GM_EXPECT_BAD_READ(p, 8, "gorealloc(110 -> 500): read of the old object");
	preempt_enable();
	gofree(q);
}

static struct kunit_case gm_kasan_cases[] = {
	KUNIT_CASE(gm_test_kasan_uaf_small),
	KUNIT_CASE(gm_test_kasan_uaf_large),
	KUNIT_CASE(gm_test_kasan_uaf_tiny),
	KUNIT_CASE(gm_test_kasan_uaf_cache),
	KUNIT_CASE(gm_test_kasan_uaf_bulk_rcu),
	KUNIT_CASE(gm_test_kasan_debug),
	KUNIT_CASE(gm_test_kasan_oob),
	KUNIT_CASE(gm_test_kasan_oob_tiny),
	KUNIT_CASE(gm_test_kasan_oob_cache),
	KUNIT_CASE(gm_test_kasan_usable),
	KUNIT_CASE(gm_test_kasan_realloc),
	{}
};

static struct kunit_suite gm_kasan_suite = {
	.name = "gomalloc_kasan",
	.init = gm_kasan_init,
	.exit = gm_kasan_exit,
	.test_cases = gm_kasan_cases,
};
kunit_test_suite(gm_kasan_suite);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("gomalloc developers");
MODULE_DESCRIPTION("KUnit tests: KASAN's view of gomalloc's objects");
