// SPDX-License-Identifier: GPL-2.0
/*
 * gmcount: a QEMU TCG plugin (x86_64 system emulation) that counts, per vCPU,
 * the guest instructions, memory accesses and "expensive" instructions
 * executed between two marker instructions placed by gomalloc's benchmark
 * module.
 *
 * Markers are 7-byte NOPs, "nopl MAGIC(%rax)" = 0f 1f 80 <disp32>, with:
 *   0x474d5301 START   zero this vCPU's window
 *   0x474d5302 END     print the window's counts (one line) and close it
 *   0x474d5303 PAUSE   stop counting (e.g. while waiting on another CPU)
 *   0x474d5304 RESUME  count again
 * The window is exact: it holds every instruction executed after START up to
 * and excluding END, minus everything from PAUSE to RESUME inclusive.
 *
 * Counted per vCPU:
 *   insns   instructions as TCG executes them (each iteration of a REP
 *           string instruction counts as one, as TCG restarts it)
 *   mem     guest memory accesses (loads and stores, as TCG performs them)
 *   atomic  locked instructions: LOCK-prefixed ones (LOCK CMPXCHG16B among
 *           them) and XCHG with a memory operand (implicitly locked)
 *   ucx     CMPXCHG8B/16B without LOCK: atomic only against this CPU's
 *           interrupts (SLUB's per-CPU this_cpu_cmpxchg_double), far
 *           cheaper than a locked instruction
 *   irq     CLI, STI, POPF (interrupt flag changes)
 *   rep     executions of REP-prefixed string instructions (TCG runs one
 *           iteration per execution)
 *   repst   REP string instructions started (a run of iterations of one
 *           instruction counts once, as hardware retires it)
 *   repmem  the memory accesses made by REP string instructions (included
 *           in mem)
 * So "insns - rep + repst" counts instructions the way hardware retires
 * them, and "mem - repmem" the accesses of ordinary instructions.
 *
 * Output, one line per END, to the file given as out=PATH (default stderr):
 *   GMC vcpu=V seq=N insns=I mem=M atomic=A ucx=U irq=Q rep=R repst=S repmem=X
 * seq counts the windows closed on that vCPU, from 1.
 *
 * Usage: -plugin /path/libgmcount.so,out=/path/counts.log
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define GMC_MAGIC_START		0x474d5301u
#define GMC_MAGIC_END		0x474d5302u
#define GMC_MAGIC_PAUSE		0x474d5303u
#define GMC_MAGIC_RESUME	0x474d5304u

enum { C_INSNS, C_MEM, C_ATOMIC, C_UCX, C_IRQ, C_REP, C_REPST, C_REPMEM, C_NR };

struct vcpu_state {
	uint64_t c[C_NR];	/* running totals since boot */
	uint64_t start[C_NR];	/* totals at START */
	uint64_t paused_at[C_NR];
	uint64_t excluded[C_NR];
	uint64_t seq;
	uint64_t tbs;		/* blocks entered */
	uint64_t last_rep_pc;	/* REP instruction last executed ... */
	uint64_t last_rep_tbs;	/* ... and the block count then */
	int active;
	int paused;
} __attribute__((aligned(128)));

static struct vcpu_state *vcpus;
static unsigned int nr_vcpus;
static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t unmatched;	/* END/PAUSE/RESUME without a START */

/* What the translator learnt about one instruction. */
struct insn_info {
	unsigned int atomic : 1;
	unsigned int ucx : 1;
	unsigned int irq : 1;
	unsigned int rep : 1;
	unsigned int marker : 3;	/* 0 none, else 1 + (magic - START) */
};

/*
 * Decode just enough of an x86-64 instruction: legacy prefixes, REX, then the
 * opcode and, where it matters, the ModRM byte.
 */
static struct insn_info decode(const uint8_t *b, size_t len)
{
	struct insn_info in = { 0 };
	int lock = 0, rep = 0;
	size_t i = 0;

	for (; i < len; i++) {
		uint8_t p = b[i];

		if (p == 0xf0)
			lock = 1;
		else if (p == 0xf2 || p == 0xf3)
			rep = 1;
		else if (p == 0x66 || p == 0x67 || p == 0x2e || p == 0x36 ||
			 p == 0x3e || p == 0x26 || p == 0x64 || p == 0x65)
			continue;
		else
			break;
	}
	if (i < len && (b[i] & 0xf0) == 0x40)	/* REX */
		i++;
	if (i >= len)
		return in;
	in.atomic = lock;

	switch (b[i]) {
	case 0x86:			/* xchg r/m8, r8 */
	case 0x87:			/* xchg r/m, r */
		if (i + 1 < len && (b[i + 1] >> 6) != 3)
			in.atomic = 1;
		break;
	case 0xfa:			/* cli */
	case 0xfb:			/* sti */
	case 0x9d:			/* popf */
		in.irq = 1;
		break;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f:	/* ins, outs */
	case 0xa4: case 0xa5: case 0xa6: case 0xa7:	/* movs, cmps */
	case 0xaa: case 0xab: case 0xac: case 0xad:	/* stos, lods */
	case 0xae: case 0xaf:				/* scas */
		in.rep = rep;
		break;
	case 0x0f:
		if (i + 2 >= len)
			break;
		if (b[i + 1] == 0xc7 && ((b[i + 2] >> 3) & 7) == 1 &&
		    (b[i + 2] >> 6) != 3) {
			/* cmpxchg8b / cmpxchg16b: locked only with LOCK */
			in.ucx = !lock;
		} else if (b[i + 1] == 0x1f && b[i + 2] == 0x80 && i == 0 &&
			   len == 7) {
			uint32_t d = (uint32_t)b[3] | (uint32_t)b[4] << 8 |
				     (uint32_t)b[5] << 16 | (uint32_t)b[6] << 24;

			if (d >= GMC_MAGIC_START && d <= GMC_MAGIC_RESUME)
				in.marker = 1 + (d - GMC_MAGIC_START);
		}
		break;
	}
	return in;
}

/*
 * Per-TB and per-insn counts travel in the callback's userdata pointer, 12
 * bits each (a TCG block holds at most 512 instructions).
 */
static void *pack(uint64_t insns, uint64_t atomic, uint64_t ucx, uint64_t irq,
		  uint64_t rep, uint64_t first)
{
	return (void *)(uintptr_t)(insns | atomic << 12 | ucx << 24 | irq << 36 |
				   rep << 48 | first << 63);
}

static void add_packed(unsigned int vcpu, void *udata)
{
	uint64_t v = (uint64_t)(uintptr_t)udata;
	struct vcpu_state *s;

	if (vcpu >= nr_vcpus)
		return;
	s = &vcpus[vcpu];
	s->c[C_INSNS] += v & 0xfff;
	s->c[C_ATOMIC] += (v >> 12) & 0xfff;
	s->c[C_UCX] += (v >> 24) & 0xfff;
	s->c[C_IRQ] += (v >> 36) & 0xfff;
	s->c[C_REP] += (v >> 48) & 0xfff;
	s->tbs += v >> 63;
}

static void on_exec(unsigned int vcpu, void *udata)
{
	add_packed(vcpu, udata);
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info,
		   uint64_t vaddr, void *udata)
{
	(void)info;
	(void)vaddr;
	if (vcpu >= nr_vcpus)
		return;
	vcpus[vcpu].c[C_MEM]++;
	if (udata)
		vcpus[vcpu].c[C_REPMEM]++;
}

/*
 * TCG ends the block after a REP string instruction and re-enters it at the
 * same address for the next iteration, so an iteration that follows the
 * previous one of the same instruction, with no other block in between, is
 * a continuation; anything else is a start.
 */
static void on_rep(unsigned int vcpu, void *udata)
{
	uint64_t pc = (uint64_t)(uintptr_t)udata;
	struct vcpu_state *s;

	if (vcpu >= nr_vcpus)
		return;
	s = &vcpus[vcpu];
	if (s->last_rep_pc != pc || s->last_rep_tbs + 1 != s->tbs)
		s->c[C_REPST]++;
	s->last_rep_pc = pc;
	s->last_rep_tbs = s->tbs;
}

/*
 * Marker callbacks run after the marker instruction itself was counted
 * (its counting callback is registered first).
 */
static void on_marker(unsigned int vcpu, void *udata)
{
	unsigned int kind = (unsigned int)(uintptr_t)udata;
	struct vcpu_state *s;
	uint64_t d[C_NR];
	int k;

	if (vcpu >= nr_vcpus)
		return;
	s = &vcpus[vcpu];
	switch (kind) {
	case 1:		/* START: the window begins after this instruction */
		memcpy(s->start, s->c, sizeof(s->c));
		memset(s->excluded, 0, sizeof(s->excluded));
		s->active = 1;
		s->paused = 0;
		break;
	case 3:		/* PAUSE: exclude from this instruction on */
		if (!s->active || s->paused) {
			__atomic_fetch_add(&unmatched, 1, __ATOMIC_RELAXED);
			break;
		}
		memcpy(s->paused_at, s->c, sizeof(s->c));
		s->paused_at[C_INSNS]--;
		s->paused = 1;
		break;
	case 4:		/* RESUME: exclude up to this instruction, inclusive */
		if (!s->active || !s->paused) {
			__atomic_fetch_add(&unmatched, 1, __ATOMIC_RELAXED);
			break;
		}
		for (k = 0; k < C_NR; k++)
			s->excluded[k] += s->c[k] - s->paused_at[k];
		s->paused = 0;
		break;
	case 2:		/* END: the window ends before this instruction */
		if (!s->active || s->paused) {
			__atomic_fetch_add(&unmatched, 1, __ATOMIC_RELAXED);
			s->active = 0;
			break;
		}
		for (k = 0; k < C_NR; k++)
			d[k] = s->c[k] - s->start[k] - s->excluded[k];
		d[C_INSNS]--;
		s->active = 0;
		s->seq++;
		pthread_mutex_lock(&out_lock);
		fprintf(out, "GMC vcpu=%u seq=%" PRIu64 " insns=%" PRIu64
			" mem=%" PRIu64 " atomic=%" PRIu64 " ucx=%" PRIu64
			" irq=%" PRIu64 " rep=%" PRIu64 " repst=%" PRIu64
			" repmem=%" PRIu64 "\n", vcpu, s->seq, d[C_INSNS], d[C_MEM],
			d[C_ATOMIC], d[C_UCX], d[C_IRQ], d[C_REP], d[C_REPST],
			d[C_REPMEM]);
		fflush(out);
		pthread_mutex_unlock(&out_lock);
		break;
	}
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct insn_info info[n ? n : 1];
	uint64_t atomic = 0, ucx = 0, irq = 0, rep = 0;
	int has_marker = 0;
	size_t i;

	(void)id;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		info[i] = decode(qemu_plugin_insn_data(insn),
				 qemu_plugin_insn_size(insn));
		atomic += info[i].atomic;
		ucx += info[i].ucx;
		irq += info[i].irq;
		rep += info[i].rep;
		has_marker |= info[i].marker != 0;
	}
	if (!has_marker)	/* the common case: one callback per block */
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_exec,
						     QEMU_PLUGIN_CB_NO_REGS,
						     pack(n, atomic, ucx, irq, rep, 1));
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		/* Non-NULL userdata marks a REP string instruction's access. */
		qemu_plugin_register_vcpu_mem_cb(insn, on_mem,
						 QEMU_PLUGIN_CB_NO_REGS,
						 QEMU_PLUGIN_MEM_RW,
						 info[i].rep ? (void *)1 : NULL);
		if (info[i].rep && has_marker)
			continue;	/* registered below, after counting */
		if (info[i].rep)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_rep,
				QEMU_PLUGIN_CB_NO_REGS,
				(void *)(uintptr_t)qemu_plugin_insn_vaddr(insn));
	}
	if (!has_marker)
		return;
	/* A block with a marker: count instruction by instruction. */
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		qemu_plugin_register_vcpu_insn_exec_cb(insn, on_exec,
						       QEMU_PLUGIN_CB_NO_REGS,
						       pack(1, info[i].atomic,
							    info[i].ucx, info[i].irq,
							    info[i].rep,
							    i == 0));
		if (info[i].rep)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_rep,
				QEMU_PLUGIN_CB_NO_REGS,
				(void *)(uintptr_t)qemu_plugin_insn_vaddr(insn));
		if (info[i].marker)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker,
					QEMU_PLUGIN_CB_NO_REGS,
					(void *)(uintptr_t)info[i].marker);
	}
}

static void on_plugin_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	pthread_mutex_lock(&out_lock);
	if (unmatched)
		fprintf(out, "GMC-WARN unmatched markers: %" PRIu64 "\n",
			unmatched);
	fprintf(out, "GMC-EXIT\n");
	fflush(out);
	pthread_mutex_unlock(&out_lock);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *path = NULL;
	int i;

	if (!info->system_emulation || strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "gmcount: x86_64 system emulation only\n");
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			path = argv[i] + 4;
		} else {
			fprintf(stderr, "gmcount: unknown argument %s\n",
				argv[i]);
			return -1;
		}
	}
	out = stderr;
	if (path) {
		out = fopen(path, "w");
		if (!out) {
			fprintf(stderr, "gmcount: %s: %s\n", path,
				strerror(errno));
			return -1;
		}
	}
	nr_vcpus = info->system.max_vcpus > 0 ? info->system.max_vcpus : 1;
	vcpus = aligned_alloc(128, sizeof(*vcpus) * nr_vcpus);
	if (!vcpus)
		return -1;
	memset(vcpus, 0, sizeof(*vcpus) * nr_vcpus);

	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
	qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
	return 0;
}
