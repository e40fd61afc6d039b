// SPDX-License-Identifier: GPL-2.0
/*
 * gomalloc: Go's runtime memory allocator, rebuilt as a Linux kernel slab
 * allocator that other modules call instead of kmalloc().
 *
 * The design follows Go's malloc.go: small objects (up to 32 KiB) are
 * rounded up to one of about 60 size classes and carved from spans, runs of
 * pages that hold objects of one class; each CPU caches one span per class
 * and allocates from it without locks; spans come from per-class central
 * lists, which take pages from the heap, which takes them from the buddy
 * allocator. Large objects get a span of their own.
 *
 * Glossary
 *
 *	fixalloc	free-list allocator for our own fixed-size structures
 *			(span and arena descriptors, mcaches, tiny tables),
 *			carved from 16 KiB chunks (fixalloc.c).
 *	mheap		the page heap: arenas of 2 MiB (smaller when the buddy
 *			allocator is fragmented) from alloc_pages(); free runs
 *			of pages kept in a tree ordered by (pages, address),
 *			coalesced on free; runs cut aligned on request, the
 *			pages before and after going back; one lock (mheap.c).
 *	arena index	two tables and one page per 2 MiB region of the direct
 *			map give the span of any address in O(1) (gm_span_of);
 *			addresses that are not ours map to NULL, never fault.
 *			Lookups run with preemption disabled, so a region's
 *			page, unpublished when its last arena goes, is freed
 *			after an RCU grace period.
 *	pageCache	per CPU, a 64-page aligned block and a bitmap of its
 *			free pages, so spans under 16 pages are cut without
 *			the heap lock, aligned ones at a masked bit index
 *			(mpagecache.c).
 *	mspan		a run of pages: one large object, or nelems objects of
 *			one span class with allocBits (1 = allocated), the
 *			allocCache window (inverted allocBits from freeindex,
 *			ctz finds the next free slot), divmul for division-free
 *			object indexes, cached_bits (objects on the owner's
 *			LIFO list) and free_bits: frees recorded by CPUs that
 *			do not own the span (mspan.c).
 *	mcentral	per span class: the spans no CPU caches, on partial and
 *			full lists each split into swept and unswept, and up
 *			to two emptied spans kept for reuse; its own lock, on
 *			its own cache line (mcentral.c).
 *	mcache		per CPU and per context (task, softirq, hardirq): the
 *			current span and a LIFO free list per class (object
 *			indexes, links stored obfuscated, every pop checked
 *			against cached_bits: see mcache.h), the tiny block,
 *			counters (mcache.c).
 *	sweeping	applying a span's recorded remote frees to its
 *			allocBits. Only the span's owner sweeps: its mcache, or
 *			whoever holds its mcentral's lock while it is listed;
 *			Go's sweepgen values name the states, and the sweep
 *			refuses a span not marked cached or being swept.
 *	typed cache	gomalloc_cache_create(): a span class of its own
 *			(GM_CACHE_SPC(i), spanclass.h) with its mcentral and
 *			per-CPU slots, the geometry (element size, span pages,
 *			link offset, ctor, RCU) chosen at create (typedcache.c).
 *	heap profile	about one allocation in every profile_rate bytes asked
 *			for (Go's MemProfileRate, 512 KiB by default) is
 *			sampled: its stack counted in a bucket per distinct
 *			stack, the object kept in a table until its free moves
 *			its bytes from in use to freed; debugfs
 *			gomalloc/heap_profile prints Go's text heap profile
 *			for pprof (mprof.c, tools/gomalloc-pprof).
 *	scavenger	background work returning free arenas beyond a retained
 *			amount; the shrinker does the same under memory
 *			pressure after draining the per-CPU caches
 *			(mscavenge.c).
 *
 * Allocating a small object (gomalloc, size <= 32 KiB)
 *
 *	1. Round the size to a class with two table lookups.
 *	2. With preemption disabled, take this CPU's mcache for the current
 *	   context and subtract the size from its profile countdown
 *	   (next_sample); below zero, the allocation takes an out-of-line
 *	   copy of this step that draws the next countdown and records the
 *	   object in the heap profile. Pop its LIFO free list for the class if there is one
 *	   (the object freed last, still cache-hot), else take the next free
 *	   slot from the current span's allocCache window. No lock, no
 *	   atomic instruction. This is the fast path. A list entry that is
 *	   not an object on the list (a link overwritten after free) is
 *	   never followed: reported, the list dropped, its objects kept
 *	   allocated as lost, and the window used.
 *	3. Window empty: scan allocBits for the next free slot and reload
 *	   the window (gm_span_next_free).
 *	4. Span full: hand it back to its mcentral (uncacheSpan) and ask the
 *	   mcentral for one with free slots (cacheSpan): a swept partial span,
 *	   else an unswept one swept now, else an emptied span it kept, else
 *	   an unswept full span, else grow a new span from the heap
 *	   (pageCache first, then the heap's free tree, then a new arena from
 *	   alloc_pages). Only this step can sleep, and only if gfp allows.
 *	5. Zero the whole element if __GFP_ZERO or init_on_alloc says so.
 *
 *	Spans of the 8, 16 and 32 KiB classes (one object each) are aligned
 *	to their size, so every power of two is naturally aligned: 8 to 4096
 *	bytes by an element size the size divides in a page-aligned span.
 *
 *	Arenas take only the caller's reclaim, reserve and placement flags
 *	(gm_arena_gfp, as SLUB's slabs): the opportunistic 2 MiB attempt never
 *	with __GFP_NOFAIL, direct reclaim or atomic reserves. __GFP_NOFAIL is
 *	never failed: fault injection skips it and the heap retries.
 *
 * Allocating a large object (gomalloc, size > 32 KiB)
 *
 *	1. Round up to whole pages; take a parked span of that size from
 *	   this CPU's large cache (mcache.c, as Go's allocLarge), else a run
 *	   from the pageCache (under 16 pages) or the heap's free tree, else
 *	   a new arena (of the object's own order above 2 MiB). A power-of-two
 *	   page count gets a run aligned to its size (natural alignment up to
 *	   GOMALLOC_MAX_SIZE); a parked span of the same size is as aligned.
 *	2. Publish it as a large span in the span index; zero if asked.
 *
 * Typed caches (gomalloc_cache_alloc, gomalloc_cache_free)
 *
 *	As for a size class, with the cache's own per-CPU slot (no size
 *	lookup) and mcentral; the refill and the remote free are the size
 *	classes'. When a free must keep the object's contents (a ctor, or
 *	SLAB_TYPESAFE_BY_RCU) the LIFO link lives in a word past the object
 *	and init_on_alloc/free leave the object alone. A ctor runs on every
 *	slot when mcentral carves a span. A SLAB_TYPESAFE_BY_RCU span that
 *	leaves its class (after the class's reserve of empty spans) is
 *	marked dead and its pages go to the heap from an RCU callback. Bulk calls take the current span's free slots in one
 *	preemption-disabled pass.
 *
 * Allocating a tiny object (gomalloc_tiny, 1..15 bytes)
 *
 *	1. Align the current 16-byte block's offset by the size's low bits;
 *	   if the object fits, mark its start and end in the block's masks.
 *	2. Else take a new block (a small object of the tiny span class),
 *	   make it current, and retire the old one: a retired block is freed
 *	   when its last sub-object is.
 *
 * Freeing (gofree)
 *
 *	1. The span index gives the span; the fast path accepts only the
 *	   start of an object in a small span (state, range, then the index
 *	   from divmul). A span holding sampled objects has its sampled byte
 *	   set beside its state, and the state test reads both as one word,
 *	   so its frees take the slow path, which takes a sampled object out
 *	   of the heap profile before freeing it. Everything else goes to gm_mcache_free_ptr(), which
 *	   runs the full gm_span_of(): large, tiny, debug and typed-cache
 *	   objects are freed there, pointers that are not ours or inside an
 *	   object reported.
 *	2. If this context's mcache owns the span, allocBits says the object
 *	   is allocated and cached_bits that it is not on the LIFO list yet,
 *	   set its cached bit and push it on the LIFO list, where the next
 *	   allocation of the class finds it. It stays set in allocBits, so
 *	   the allocCache window never hands it out a second time; when the
 *	   mcache gives the span up, allocBits &= ~cached_bits turns every
 *	   listed object into a free slot at once (under init_on_free their
 *	   links are zeroed then). No lock, no atomic instruction.
 *	3. Otherwise the free is remote: set the object's bit in the span's
 *	   free_bits atomically and count it in npending. The free that makes
 *	   npending 1 does this under the mcentral lock and moves a listed
 *	   swept span to the unswept list of its kind, so a full span with a
 *	   free slot is found without a scan. The owner sweeps when it gives
 *	   the span back, mcentral when it hands the span out again. A span
 *	   with no object left goes back to the heap.
 *	4. Large objects go straight back to the heap's free tree; tiny
 *	   objects clear their bit in their block, and the block is freed
 *	   when its last sub-object is and no CPU allocates from it.
 *	5. A pointer that is not ours, an interior pointer or an object
 *	   that is not allocated is reported (ratelimited), counted in
 *	   /proc/gomalloc and otherwise ignored; so is a corrupted LIFO
 *	   link, found when the list is popped (freelist_corrupted). Callers
 *	   that also hold the kernel's memory (the drop-in,
 *	   gomalloc_kmalloc.h) ask gomalloc_foreign() first: a page of no
 *	   span and no arena goes to the kernel's kfree (foreign_frees).
 *	6. In NMI context nothing is freed: the pointer is parked in one of
 *	   32 per-CPU slots (cmpxchg) and an irq_work frees it on the same
 *	   CPU once interrupts are on; with every slot taken it is counted
 *	   as lost and reported.
 *
 * Freeing after a grace period (gofree_rcu, mrcu.c)
 *
 *	gofree_rcu(ptr, rhf) frees as gofree() does once an RCU grace period
 *	has passed. Each CPU fills a page of object pointers under its own raw
 *	spinlock, interrupts off (any context but NMI); a full page goes to
 *	call_rcu() at once, a partial one when the CPU's timer fires
 *	(rcu_flush_ms, 20 ms) or on gomalloc_rcu_barrier(), which then waits
 *	in rcu_barrier(). The callback gofree()s the objects and keeps the page
 *	as one of its CPU's two spares. Pages come from init and the timer,
 *	never from gofree_rcu(): with none at hand the object goes to
 *	call_rcu() by its own rcu_head, and the callback finds the object from
 *	the head's address through the span index (small, debug and large
 *	objects: a type holding an rcu_head is too big for a tiny sub-object).
 *	Unload flushes and waits for them before anything drains.
 *
 * init_on_free
 *
 *	A freed object is zeroed when freed but for its LIFO link, which
 *	goes when the span is given up; debug spans (poison, red zones,
 *	caller records) are zeroed when their pages go back to the heap. So
 *	with init_on_alloc off nothing of a freed object reaches the next
 *	user.
 *
 * The kernel's kmem events (kmem:kmalloc, kfree, kmem_cache_alloc/free)
 *
 *	Every public entry first tests the static key of its
 *	kmem event (kmalloc, kfree, kmem_cache_alloc, kmem_cache_free), one
 *	5-byte nop while the event is off, and while it is on takes an
 *	out-of-line copy of itself that emits the event around the same
 *	path: the fast path keeps nothing alive for the event. Bytes given
 *	are the usable size; typed caches emit theirs on a shadow kmem_cache
 *	named gomalloc:NAME that is never allocated from. gofree_rcu()'s
 *	objects are traced as kfree when the grace period has freed them.
 *
 * The heap profile (mprof.c)
 *
 *	As Go's mprof.go: each mcache counts the bytes asked for down from a
 *	countdown drawn from an exponential distribution of mean
 *	profile_rate (Go's fastexprand, in integers); the allocation that
 *	takes it below zero is sampled, so an object of s bytes is sampled
 *	with probability 1 - exp(-s / rate) and pprof scales counts by its
 *	inverse. Size classes and typed caches count down on the fast path
 *	(one subtraction from memory and a branch), tiny, large and bulk
 *	allocations in their slower paths; tiny blocks are not counted. A
 *	sample saves its stack (stack_trace_save, gomalloc's frames skipped,
 *	32 kept), finds or adds its bucket, and enters the object in a hash
 *	table of live samples, under one raw spinlock (any context but
 *	NMI, which never allocates); the span counts its samples
 *	(nsampled) and sets its sampled byte while it has any. Both tables
 *	have fixed caps, allocated whole when profiling is first on; a
 *	sample beyond them is dropped and counted. A new rate restarts every
 *	countdown from a work item on each CPU, interrupts off. Costs: a
 *	sample (its stack walk mostly) is some 5000 instructions, so about
 *	size / rate of that per allocation on average; and while a span holds
 *	a live sample all its frees take the slow path (at the default rate
 *	about one small span in 60 of a long-lived heap).
 *
 * kmemleak (mleak.h, kernels with CONFIG_DEBUG_KMEMLEAK)
 *
 *	Arenas come from alloc_pages(), which kmemleak neither tracks nor
 *	scans, so each object is registered (kmemleak_alloc, at its usable
 *	size) where it is handed to a user: gm_alloc, gm_alloc_slow,
 *	gomalloc_tiny, the typed cache and bulk calls. It is unregistered
 *	where gomalloc takes it back, after the checks of a bad free and
 *	before the slot can be handed out again (kmemleak refuses an object
 *	overlapping one it knows): the LIFO push, the remote free, the large
 *	and tiny frees, which every free path reaches. gofree_rcu()'s batch
 *	pages are registered as scanned, never reported, so an object waiting
 *	for its grace period stays referenced. The pageCache's block address,
 *	kept in per-CPU data that kmemleak scans, is stored scrambled. Without
 *	kmemleak all of it compiles to nothing.
 *
 * KASAN (generic mode only: masan.c, empty inlines without it)
 *
 *	A free is poisoned (KASAN_SLAB_FREE) where it is accepted and before
 *	the object can be handed out again: in gm_mcache_free_owned_at()
 *	before the LIFO push, in gm_mcentral_free_remote() before the free
 *	bit is set, in the large free after its claim (gm_asan_free()); a
 *	tiny sub-object's free recomputes its block's two granules from the
 *	masks. Hand-outs unpoison exactly the bytes asked for where the API
 *	returns them (gm_asan_alloc(): gomalloc, gomalloc_tiny, gorealloc,
 *	the typed-cache and bulk calls), the rest of the element (of a large
 *	object, its pages) poisoned as a red zone; gomalloc_usable_size()
 *	unpoisons the usable size. Carved spans start poisoned, so do heap
 *	free runs and new arenas. gomalloc's own accesses into objects go
 *	around it: the LIFO link through gm_link_read/write(), zeroing by
 *	gm_zero() (asm) or gm_memset_nocheck(), debug mode's red zones and
 *	records with reports off (as SLUB's metadata_access_enable()),
 *	constructors on their slot alone unpoisoned.
 *
 * Why per-context caches and preempt_disable
 *
 *	The fast paths must be safe from task, softirq and hardirq context.
 *	local_irq_save/restore around them would cost a pushf/cli/popf pair
 *	per call (in QEMU's guest measured at 60 ns against 16 ns for
 *	preempt_disable/enable, and 37 cycles on Haswell-class hardware),
 *	about as much as SLUB's whole alloc+free; a cmpxchg16b scheme as SLUB's
 *	costs one cmpxchg16b per call (not LOCK-prefixed, atomic against this
 *	CPU's interrupts only, but a 16-byte read-modify-write). Instead each CPU keeps
 *	three mcaches, chosen by preempt_count() (task context is one test
 *	of it, like in_task(); the others are out of the way): task code
 *	disables preemption, softirqs never nest, hardirq handlers run with
 *	interrupts off, so nothing can enter a cache while its user is
 *	inside it. The
 *	cost is up to three cached spans per class per CPU; interrupt-context
 *	caches stay empty until interrupt code allocates. The slow paths are
 *	entered with preemption still disabled and enable it themselves, so
 *	the fast paths keep nothing alive across a preempt_enable().
 *
 * PREEMPT_RT
 *
 *	On RT spinlock_t is a sleeping lock (an rtmutex), softirqs run in
 *	preemptible threads with their count kept in the task (preempt_count()
 *	has no softirq bits), most interrupt handlers are threads, and only
 *	handlers that are not (IRQF_NO_THREAD, hrtimers marked _HARD, IPIs)
 *	run in hard interrupt context. What gomalloc does there, and why:
 *
 *	- The fast paths stay preempt_disable() sections: a few dozen
 *	  instructions, no lock, bounded, which RT allows. local_lock_t (SLUB's
 *	  choice) would add a lock acquisition to every call on RT and nothing
 *	  on !RT; gomalloc needs no lock there because each context has its
 *	  own cache. Softirq code and threaded handlers are task context on
 *	  RT and use the task cache: inside its preempt-disabled section no
 *	  other task, hence no softirq thread, can run on that CPU. A hard
 *	  interrupt has its own cache, as on !RT.
 *	- No spinlock_t is taken with preemption or interrupts disabled by
 *	  gomalloc: a refill detaches the exhausted span under the fast path's
 *	  preempt_disable() and gives it back to mcentral once preemptible
 *	  (gm_mcache_detach_class, gm_mcache_return_span); a large free parks
 *	  under it and evicts to the heap after; the drain work takes one item
 *	  at a time off a cache with interrupts off and gives it back with
 *	  interrupts on. These are the same code on !RT, where they shorten
 *	  the irqs-off and preempt-off sections too. The pageCache's per-CPU
 *	  lock already pins the task (migrate_disable() under an RT spinlock).
 *	- Where the caller cannot sleep (gm_rt_atomic(): a hard interrupt, a
 *	  raw spinlock held, preemption or interrupts disabled by the caller)
 *	  every slow path would sleep. An allocation is served if its fast
 *	  path hits, else refused: NULL, counted (rt_atomic_refused) and
 *	  warned unless __GFP_NOWARN. A hard interrupt's cache is never
 *	  filled, so there every allocation is refused, as SLUB refuses them
 *	  (it would sleep). A free past the fast path is checked without a
 *	  lock (a double free is reported there and then) and deferred
 *	  through the NMI free slots (256 per CPU on RT) to a work item, which
 *	  is preemptible (rt_frees_deferred; with no slot left, rt_frees_lost).
 *	  gomalloc's kmemleak hook skips such objects (kmemleak allocates
 *	  from SLUB, which would sleep). Raw locks
 *	  (the heap profile's, gofree_rcu()'s batches, KASAN's tiny lock)
 *	  protect constant work and nest nothing that sleeps, so gofree_rcu()
 *	  and the profile's sampling work in any context but NMI.
 *	- Latency: nothing of gomalloc's runs with preemption or interrupts
 *	  off for work proportional to a span, a cache or the heap: the
 *	  longest such sections are a span's window load (at most 8 bitmap
 *	  words: 512 slots) and one drain item. Sweeps, drains' give-backs and the
 *	  scavenger run under spinlock_t, which on RT leaves them preemptible.
 *
 * Races meant to happen
 *
 *	Some reads race with their owner on purpose: other CPUs' counters
 *	and current spans (/proc/gomalloc, the shrinker's count), a remote
 *	free's look at the owner's alloc_bits and cached_bits (test_bit),
 *	the free fast path's look at free_bits and at the state and range
 *	of a maybe stale index entry. Those loads are marked (READ_ONCE,
 *	test_bit, atomics); the owners' stores stay plain, aligned words
 *	that KCSAN's default rules (and x86) take as single copies. make
 *	check runs KUnit and the concurrency kselftests in a KCSAN kernel
 *	(vm/kcsan-kernel.config); a report there about gomalloc fails it.
 *
 * Lock order
 *
 *   1. gm_mode_lock (mutex, in this file)
 *   2. cpu_hotplug_lock (cpus_read_lock() in mcache.c's drains)
 *   3. dclass.lock (per debug class, mdebug.c: debug mode only)
 *   4. mcentral.lock (per span class, mcentral.c)
 *   5. pagecache.lock (per CPU, mpagecache.c)
 *   6. mheap.lock (gm_heap.lock, mheap.c)
 *   7. fixalloc.lock (per fixalloc, fixalloc.c)
 *
 *   A lock is taken holding only locks above it. The nestings that happen:
 *   1 -> 2 (a debug-mode switch drains every CPU), 3 -> 4 (debug frees and
 *   validation), 5 -> 6 -> 7 and 5 -> 7 (pageCache flushes), 6 -> 7
 *   (descriptors freed under the heap lock). mcentral.lock nests nothing:
 *   the heap and the pageCache are called with none held. Each function
 *   that expects a lock held says so with lockdep_assert_held().
 *
 *   gm_mode_lock orders debug-mode switches (which drain every CPU's
 *   caches, sleeping under cpus_read_lock) against load and unload.
 *   gm_prof_lock (raw, mprof.c) nests nothing and is taken in any context
 *   but NMI, under any of the above or none; gm_prof_mutex (allocating the
 *   profile's tables) is taken under gm_mode_lock or none.
 *   cpu_hotplug_lock is also held, for write, around the CPU-dead callback,
 *   which drains the dead CPU's caches taking 4 to 7. The scavenger's
 *   gm_scavenge_lock (mutex, mscavenge.c) nests nothing of ours and is
 *   taken under none: it orders (re)scheduling the scavenger against
 *   unload. gm_caches_lock (mutex, typedcache.c: the list of caches)
 *   nests none of ours either (create's alloc_percpu runs under it): a
 *   destroy drains the CPUs after dropping it. The per-CPU gofree_rcu()
 *   batch locks (raw, mrcu.c) nest nothing of ours, only call_rcu(); a
 *   caller may hold any lock of its own around them. Every spinlock is
 *   taken with interrupts saved (callers may be in hardirq context; on
 *   PREEMPT_RT never where the caller cannot sleep, see above); no
 *   lock is held across alloc_pages() with a gfp that may sleep. Under
 *   KASAN, gm_asan_tiny_lock (raw, masan.c) nests nothing either. mcaches
 *   take no lock: draining another CPU's caches is done on that CPU by a
 *   work item, after the CPU is dead, or at unload. The index is read
 *   locklessly with preemption disabled (an RCU reader).
 *
 *   The slow paths (gm_mcache_refill_alloc, gm_mcache_free_slow,
 *   gm_mcache_free_ptr, gm_mcache_free_typed) are entered with preemption
 *   disabled, as the fast paths leave it, and assert it
 *   (lockdep_assert_preemption_disabled()).
 *
 * Not done
 *
 *	No NUMA awareness (one heap, pages from any node); no allocation
 *	from NMI context (returns NULL, before any lock), and frees from NMI
 *	are deferred (a gofree_rcu() from NMI is refused: the object leaks,
 *	reported and counted in nmi_frees_lost); no zones: __GFP_DMA and __GFP_DMA32 are refused (NULL,
 *	a warning, bad_flags in /proc/gomalloc); no memcg accounting:
 *	__GFP_ACCOUNT is stripped where pages are taken (gm_buddy_alloc),
 *	because arenas, descriptors and index pages serve every cgroup's
 *	objects (a large object's pages too come from a shared arena and go
 *	back to it), and per-object charging (obj_cgroup_charge) is not
 *	exported to modules, so typed caches refuse SLAB_ACCOUNT and
 *	SLAB_RECLAIM_ACCOUNT (create fails naming the flag); debug mode does
 *	not check typed caches' objects; KASAN only in its generic mode
 *	(the tag-based modes leave our objects untracked, masan.h); no
 *	global sweep cycles (Go's sweepgen advances every GC; ours stays
 *	put and only names span states); spans are not returned to the heap
 *	from a CPU's cache until it is given back. Memory above
 *	the first 64 TiB of the direct map is not used: the first 8 blocks
 *	found there are held back (pages_unindexed) until memory pressure or
 *	unload, so growth goes on with other memory. The heap profile is of
 *	now (Go's is of the last completed GC cycle), keeps at most 2048
 *	stacks and 16384 live sampled objects (samples beyond are dropped,
 *	profile_dropped), does not reset, prints no sample times, and names
 *	frames by symbol and offset only (no inlined frames, no lines).
 *	On PREEMPT_RT no allocation is served where the caller cannot sleep
 *	(hard interrupt, raw spinlock, preemption or interrupts disabled)
 *	unless its fast path hits, and such frees past the fast path are
 *	deferred through 256 slots per CPU (see "PREEMPT_RT"); kmemleak does
 *	not track objects allocated there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/test.h>
#include <trace/events/kmem.h>
#include <kunit/resource.h>
#include <gomalloc.h>
#include "gm_compat.h"
#include "masan.h"
#include "mem.h"
#include "mreport.h"
#include "mstats.h"
#include "mcache.h"
#include "mcentral.h"
#include "mdebug.h"
#include "mheap.h"
#include "mleak.h"
#include "mpagecache.h"
#include "mprof.h"
#include "mrcu.h"
#include "mscavenge.h"
#include "typedcache.h"

/* Everything but the small fast path: size 0, large, impossible, NMI. */
static noinline void *gm_alloc_slow(size_t size, gfp_t gfp, unsigned long ip)
{
	void *p;

	if (!size)
		return ZERO_SIZE_PTR;
	if (in_nmi())
		return NULL;
	if (size > GOMALLOC_MAX_SIZE) {
		atomic_long_inc(&gm_errors.bad_sizes);
		if (!(gfp & __GFP_NOWARN))
			pr_warn_ratelimited("%zu bytes is more than gomalloc can ever serve (%lu)\n",
					    size, GOMALLOC_MAX_SIZE);
		return NULL;
	}
	p = gm_mcache_large_alloc(size, gfp, ip);
	if (unlikely(!p))
		return gm_report_alloc_failed(size, gfp);
	gm_asan_alloc(p, size);
	gm_leak_alloc(p, gfp);
	return p;
}

/* gomalloc() for a caller at @ip (debug mode records it). */
static __always_inline void *gm_alloc(size_t size, gfp_t gfp, unsigned long ip)
{
	unsigned int spc;
	void *p;

	might_alloc(gfp);
	if (unlikely(gfp & GM_GFP_REFUSED))
		return gm_report_refused(size, gfp);
	if (unlikely(size - 1 >= GM_MAX_SMALL_SIZE))
		return gm_alloc_slow(size, gfp, ip);
	spc = gm_size_to_class(size);
	p = gm_mcache_alloc(spc, size, gfp, ip, true);
	if (unlikely(!p))
		return gm_report_alloc_failed(size, gfp);
	gm_asan_alloc(p, size);	/* handed out (masan.h, mleak.h) */
	gm_leak_alloc(p, gfp);
	return p;
}

/* gomalloc_tiny() for a caller at @ip. */
static __always_inline void *gm_tiny_entry(size_t size, gfp_t gfp, unsigned long ip)
{
	void *p;

	might_alloc(gfp);
	if (unlikely(gfp & GM_GFP_REFUSED))
		return gm_report_refused(size, gfp);
	if (unlikely(size - 1 >= GOMALLOC_TINY_MAX))
		return size > GOMALLOC_TINY_MAX ? gm_alloc(size, gfp, ip) :
						  gm_alloc_slow(size, gfp, ip);
	p = gm_tiny_alloc(size, gfp, ip);
	if (unlikely(!p))
		return gm_report_alloc_failed(size, gfp);
	gm_asan_alloc(p, size);
	if (want_init_on_alloc(gfp))
		memset(p, 0, size);
	gm_leak_alloc(p, gfp);
	return p;
}

/* gofree() for a caller at @ip. */
static __always_inline void gm_free(const void *ptr, unsigned long ip)
{
	gm_mcache_free_any(ptr, ip);
}

/*
 * The kernel's kmem events (kmem:kmalloc, kmem:kfree), so perf kmem,
 * bpftrace and tracefs see gomalloc's objects beside SLUB's. Each public
 * entry tests the event's static key first, a nop while the event is off,
 * and while it is on takes one of these out-of-line copies of itself:
 * nothing the fast path holds is kept alive for the event.
 */
static noinline void *gm_alloc_traced(size_t size, gfp_t gfp, unsigned long ip,
				      bool tiny)
{
	void *p = tiny ? gm_tiny_entry(size, gfp, ip) : gm_alloc(size, gfp, ip);

	trace_kmalloc(ip, p, size, gm_mcache_usable_size(p), gfp, NUMA_NO_NODE);
	return p;
}

static noinline void gm_free_traced(const void *ptr, unsigned long ip)
{
	trace_kfree(ip, ptr);
	gm_free(ptr, ip);
}

/* Public entries: the event's key, then the untraced path. */
static __always_inline void *gm_alloc_tr(size_t size, gfp_t gfp, unsigned long ip)
{
	if (trace_kmalloc_enabled())
		return gm_alloc_traced(size, gfp, ip, false);
	return gm_alloc(size, gfp, ip);
}

static __always_inline void gm_free_tr(const void *ptr, unsigned long ip)
{
	if (trace_kfree_enabled())
		gm_free_traced(ptr, ip);
	else
		gm_free(ptr, ip);
}

void *gomalloc(size_t size, gfp_t gfp)
{
	return gm_alloc_tr(size, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomalloc);

void *gomalloc_tiny(size_t size, gfp_t gfp)
{
	if (trace_kmalloc_enabled())
		return gm_alloc_traced(size, gfp, _RET_IP_, true);
	return gm_tiny_entry(size, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gomalloc_tiny);

void gofree(const void *ptr)
{
	gm_free_tr(ptr, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gofree);

/* As ksize(): under KASAN the whole usable size becomes accessible. */
size_t gomalloc_usable_size(const void *ptr)
{
	size_t n = gm_mcache_usable_size(ptr);

	gm_asan_usable(ptr, n);
	return n;
}
EXPORT_SYMBOL_GPL(gomalloc_usable_size);

/*
 * Gomalloc's memory: a page with an index entry (every page of a span, in
 * use or since freed, until its arena goes back), or a page in a region of
 * the heap that is no kernel slab or large kmalloc (compound) page: arenas
 * are neither, and a region may hold the kernel's pages beside an arena.
 */
bool gomalloc_foreign(const void *ptr)
{
	unsigned long p = (unsigned long)ptr;
	struct page *page;
	bool ours, region;

	if (ZERO_OR_NULL_PTR(ptr))
		return false;
	preempt_disable();	/* an RCU reader of the index */
	ours = gm_span_index(p);
	region = !ours && gm_heap_owns_range(p);
	preempt_enable();
	if (region && virt_addr_valid(ptr)) {
		page = virt_to_page(ptr);
		ours = !PageSlab(compound_head(page)) && !PageCompound(page);
	}
	if (ours)
		return false;
	atomic_long_inc(&gm_errors.foreign_frees);
	return true;
}
EXPORT_SYMBOL_GPL(gomalloc_foreign);

void *gorealloc(const void *ptr, size_t new_size, gfp_t gfp)
{
	size_t old;
	void *n;

	if (ZERO_OR_NULL_PTR(ptr))
		return gm_alloc_tr(new_size, gfp, _RET_IP_);
	if (!new_size) {
		gm_free_tr(ptr, _RET_IP_);
		return ZERO_SIZE_PTR;
	}
	old = gomalloc_usable_size(ptr);	/* under KASAN: all accessible, for the copy */
	if (!old) {
		atomic_long_inc(&gm_errors.invalid_frees);
		pr_err_ratelimited("%s(%p) from %pS: not a live gomalloc object\n",
				   __func__, ptr, (void *)_RET_IP_);
		return NULL;
	}
	if (new_size <= old) {
		gm_asan_alloc(ptr, new_size);	/* exactly @new_size accessible */
		return (void *)ptr;
	}
	n = gm_alloc_tr(new_size, gfp, _RET_IP_);
	if (!n)
		return NULL;
	memcpy(n, ptr, old);
	gm_free_tr(ptr, _RET_IP_);
	return n;
}
EXPORT_SYMBOL_GPL(gorealloc);

/*
 * Bulk gomalloc(): all or nothing. Size classes take a span's free slots
 * in one pass (gm_mcache_alloc_bulk); other sizes one by one.
 */
int gomalloc_bulk(size_t size, gfp_t gfp, size_t n, void **p)
{
	unsigned int spc;
	size_t i = 0;

	might_alloc(gfp);
	if (unlikely(gfp & GM_GFP_REFUSED)) {
		gm_report_refused(size, gfp);
		return 0;
	}
	if (likely(size - 1 < GM_MAX_SMALL_SIZE)) {
		spc = gm_size_to_class(size);
		i = gm_mcache_alloc_bulk(spc, size, gfp, n, p, _RET_IP_, true);
		gm_leak_alloc_bulk(p, i, gfp);	/* all or none: these may be freed below */
		if (i == n) {
			for (i = 0; i < n; i++)
				gm_asan_alloc(p[i], size);
			if (trace_kmalloc_enabled())
				for (i = 0; i < n; i++)
					trace_kmalloc(_RET_IP_, p[i], size, gm_mcache_usable_size(p[i]),
						      gfp, NUMA_NO_NODE);
			return n;
		}
		gm_report_alloc_failed(size, gfp);
		gm_mcache_free_bulk(0, i, p, _RET_IP_);	/* untraced, as they were */
		return 0;
	}
	for (; i < n; i++) {
		p[i] = gm_alloc_tr(size, gfp, _RET_IP_);
		if (ZERO_OR_NULL_PTR(p[i]))
			break;
	}
	if (i == n)
		return n;
	gofree_bulk(i, p);
	return 0;
}
EXPORT_SYMBOL_GPL(gomalloc_bulk);

void gofree_bulk(size_t n, void **p)
{
	size_t i;

	if (trace_kfree_enabled())
		for (i = 0; i < n; i++)
			trace_kfree(_RET_IP_, p[i]);
	gm_mcache_free_bulk(0, n, p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(gofree_bulk);

/*
 * ---- debug mode switched on and off: the `debug` parameter, KUnit ----
 *
 * gm_ready: whether turning debug mode on may drain the mcaches, from the
 * end of init to the start of unload. sysfs keeps the parameter writable
 * before init and after exit has run: a write then only sets the flags.
 * The mutex makes unload wait for a drain in progress, which uses the
 * workqueue gm_mcache_exit() destroys.
 */
static DEFINE_MUTEX(gm_mode_lock);
static bool gm_ready;

int gm_set_debug_flags(unsigned int flags)
{
	mutex_lock(&gm_mode_lock);
	WRITE_ONCE(gm_debug_flags, flags);
	/* On: no mcache may keep serving normal objects from its spans. */
	if (flags && gm_ready)
		gm_mcache_drain_all_wait();
	mutex_unlock(&gm_mode_lock);
	return 0;
}
GM_EXPORT_INTERNAL(gm_set_debug_flags);

static void gm_set_ready(bool ready)
{
	mutex_lock(&gm_mode_lock);
	gm_ready = ready;
	mutex_unlock(&gm_mode_lock);
}

static int gm_debug_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned int flags;
	int ret = gm_debug_parse(val, &flags);

	return ret ? ret : gm_set_debug_flags(flags);
}

static int gm_debug_param_get(char *buf, const struct kernel_param *kp)
{
	return gm_debug_show(buf);
}

static const struct kernel_param_ops gm_debug_param_ops = {
	.set = gm_debug_param_set,
	.get = gm_debug_param_get,
};
module_param_cb(debug, &gm_debug_param_ops, NULL, 0644);
MODULE_PARM_DESC(debug,
		 "Debug mode like slub_debug: Z red zones, P poisoning, U caller tracking, 1 all, 0 off");

/*
 * ---- profile_rate: the heap profile's sampling rate (mprof.c) ----
 *
 * A write sets the rate, then (between init and unload) restarts every
 * CPU's countdown, so the new rate holds from each cache's next allocation.
 */
int gm_set_profile_rate(unsigned long rate)
{
	int ret;

	mutex_lock(&gm_mode_lock);
	ret = gm_prof_set_rate(rate);
	if (!ret && gm_ready)
		gm_mcache_resample_all();
	mutex_unlock(&gm_mode_lock);
	return ret;
}
GM_EXPORT_INTERNAL(gm_set_profile_rate);

static int gm_profile_rate_set(const char *val, const struct kernel_param *kp)
{
	unsigned long rate;
	int ret = kstrtoul(val, 0, &rate);

	return ret ? ret : gm_set_profile_rate(rate);
}

static int gm_profile_rate_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(gm_prof_rate));
}

static const struct kernel_param_ops gm_profile_rate_ops = {
	.set = gm_profile_rate_set,
	.get = gm_profile_rate_get,
};
module_param_cb(profile_rate, &gm_profile_rate_ops, NULL, 0644);
MODULE_PARM_DESC(profile_rate,
		 "Heap profile: mean bytes allocated between samples (0 off, 1 every allocation)");

/* debugfs gomalloc/: each layer's files. */
static struct dentry *gm_debugfs_dir;

static void gm_debugfs_init(void)
{
	gm_debugfs_dir = debugfs_create_dir("gomalloc", NULL);
	gm_heap_debugfs(gm_debugfs_dir);
	gm_pagecache_debugfs(gm_debugfs_dir);
	gm_debug_debugfs(gm_debugfs_dir);
	gm_prof_debugfs(gm_debugfs_dir);
}

/* A free deferred (NMI, PREEMPT_RT's atomic context), done for its caller. */
static void gm_free_deferred(const void *ptr, unsigned long ip)
{
	gm_free(ptr, ip);
}

/* The heap below the caches: the last to go, also after a failed init. */
static void gm_heap_teardown(void)
{
	gm_pagecache_exit();
	gm_heap_exit();
	gm_fixalloc_destroy(&gm_heap.cachealloc);
}

/* Unload: every part was set up, some objects may still be live. */
static void gm_teardown(void)
{
	long objects, bytes, tiny;

	gm_rcu_exit();	/* gofree_rcu()'s objects freed, before anything drains */
	gm_mcache_nmi_flush();
	gm_scavenge_exit();
	gm_stats_exit();
	gm_stats_objects(&objects, &bytes, &tiny);
	gm_set_ready(false);
	debugfs_remove_recursive(gm_debugfs_dir);
	gm_debug_exit();
	gm_mcache_exit();
	gm_mcentral_sweep_all();
	rcu_barrier();	/* SLAB_TYPESAFE_BY_RCU spans reach the heap first */
	if (gm_mcentral_leak_report() || objects > 0)
		pr_err("unloading with %ld live object(s) (%ld bytes, %ld tiny); their memory is not returned\n",
		       objects, bytes, tiny);
	gm_caches_exit();
	gm_prof_exit();
	gm_heap_teardown();
}

/*
 * Each part either sets itself up whole or undoes what it did and fails;
 * a failure unwinds the parts set up before it, in reverse. Nothing has
 * allocated an object yet.
 */
static int __init gomalloc_init(void)
{
	int ret;

	gm_mcache_nmi_init(gm_free_deferred);
	gm_heap_init();
	gm_pagecache_init();
	gm_mcentral_init();
	gm_prof_init();
	ret = gm_mcache_init();
	if (ret)
		goto fail_heap;
	gm_debug_init();
	gm_debugfs_init();
	ret = gm_stats_init();
	if (ret)
		goto fail_debug;
	ret = gm_scavenge_init();
	if (ret)
		goto fail_stats;
	gm_rcu_init();
	gm_set_ready(true);
	pr_info("loaded: %u size classes up to %u bytes, %lu KiB arenas\n",
		GM_NUM_SIZE_CLASSES - 1, GM_MAX_SMALL_SIZE, (GM_ARENA_PAGES << PAGE_SHIFT) >> 10);
	return 0;

fail_stats:
	gm_stats_exit();
fail_debug:
	debugfs_remove_recursive(gm_debugfs_dir);
	gm_debug_exit();
	gm_mcache_exit();
fail_heap:
	gm_prof_exit();
	gm_heap_teardown();
	pr_err("loading failed (%d)\n", ret);
	return ret;
}

static void __exit gomalloc_exit(void)
{
	gm_teardown();
	pr_info("unloaded\n");
}

module_init(gomalloc_init);
module_exit(gomalloc_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("gomalloc developers");
MODULE_DESCRIPTION("Go's runtime allocator as a kernel slab allocator");
MODULE_VERSION("0.1.0");
