/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomalloc's own trace events (TRACE_SYSTEM gomalloc), for what only gomalloc
 * has: span refills from mcentral, heap growth, scavenger and shrinker passes.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gomalloc

#if !defined(_GM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GM_TRACE_H

#include <linux/tracepoint.h>

/* An mcache (or debug class) took a span with free slots from mcentral. */
TRACE_EVENT(gomalloc_span_refill,
	TP_PROTO(unsigned int spanclass, unsigned int elemsize, unsigned long base,
		 unsigned int npages, unsigned int nfree, bool grown),
	TP_ARGS(spanclass, elemsize, base, npages, nfree, grown),
	TP_STRUCT__entry(
		__field(unsigned int, spanclass)
		__field(unsigned int, elemsize)
		__field(unsigned long, base)
		__field(unsigned int, npages)
		__field(unsigned int, nfree)
		__field(bool, grown)
	),
	TP_fast_assign(
		__entry->spanclass = spanclass;
		__entry->elemsize = elemsize;
		__entry->base = base;
		__entry->npages = npages;
		__entry->nfree = nfree;
		__entry->grown = grown;
	),
	TP_printk("spanclass=%u elemsize=%u base=0x%lx npages=%u nfree=%u grown=%d",
		  __entry->spanclass, __entry->elemsize, __entry->base,
		  __entry->npages, __entry->nfree, __entry->grown)
);

/* The heap asked the buddy allocator for an arena (ret 0: got one). */
TRACE_EVENT(gomalloc_heap_grow,
	TP_PROTO(unsigned int npages, unsigned int order, unsigned long pages_held, int ret),
	TP_ARGS(npages, order, pages_held, ret),
	TP_STRUCT__entry(
		__field(unsigned int, npages)
		__field(unsigned int, order)
		__field(unsigned long, pages_held)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->npages = npages;
		__entry->order = order;
		__entry->pages_held = pages_held;
		__entry->ret = ret;
	),
	TP_printk("npages=%u order=%u pages_held=%lu ret=%d",
		  __entry->npages, __entry->order, __entry->pages_held, __entry->ret)
);

/* A scavenger or shrinker pass: what it gave back to the buddy allocator. */
TRACE_EVENT(gomalloc_reclaim,
	TP_PROTO(bool shrinker, bool drain, unsigned long spans_released,
		 unsigned long pages_released, unsigned long pages_held),
	TP_ARGS(shrinker, drain, spans_released, pages_released, pages_held),
	TP_STRUCT__entry(
		__field(bool, shrinker)
		__field(bool, drain)
		__field(unsigned long, spans_released)
		__field(unsigned long, pages_released)
		__field(unsigned long, pages_held)
	),
	TP_fast_assign(
		__entry->shrinker = shrinker;
		__entry->drain = drain;
		__entry->spans_released = spans_released;
		__entry->pages_released = pages_released;
		__entry->pages_held = pages_held;
	),
	TP_printk("%s drain=%d spans_released=%lu pages_released=%lu pages_held=%lu",
		  __entry->shrinker ? "shrinker" : "scavenger", __entry->drain,
		  __entry->spans_released, __entry->pages_released, __entry->pages_held)
);

#endif /* _GM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gm_trace
#include <trace/define_trace.h>
