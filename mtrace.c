// SPDX-License-Identifier: GPL-2.0
/* The definitions of gomalloc's own trace events (gm_trace.h), made here once. */
#define CREATE_TRACE_POINTS
#include "gm_trace.h"
