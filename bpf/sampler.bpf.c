// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPU sampler: runs on every cpu-clock (or cycles) perf event tick of every
 * CPU, keeps only the tasks userspace asked for, and writes one struct
 * zp_sample per tick into the ring buffer: ids, cgroup, thread name, kernel
 * stack and user stack. The record is assembled in per-CPU scratch and
 * copied with bpf_ringbuf_output() so its length follows the real stack
 * depth instead of always reserving the worst case.
 *
 * For CPython processes it also walks the interpreter's frame chain (see
 * walk_python) and appends one struct zp_pyframe per Python frame.
 *
 * Kept within what kernel 5.10 offers: no bpf_loop, no kfuncs, no
 * bpf_get_current_task_btf(); loops are bounded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "sample_abi.h"
#include "unwind_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct zp_sample_buf {
	struct zp_sample hdr;
	__u64 words[ZP_SAMPLE_MAX_WORDS];
	/* Python walk state carried across tail calls; never sent */
	__u64 py_frame; /* next frame to read, 0 when done */
	__u32 py_calls; /* walker invocations so far */
	__u32 py_pad;
	/* native unwind state, likewise */
	__u64 unw_ip, unw_sp, unw_bp;
	__u32 unw_calls;
	__u32 unw_exact; /* look up unw_ip itself, not the call before it */
	__u32 wake_now;	 /* the first sample of a process: no batching */
	__u32 wake_pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by userspace before load */
} samples SEC(".maps");

/* Thread group ids to sample; unused with filter_all. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* resized by userspace before load */
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct zp_sample_buf);
} scratch SEC(".maps");

/*
 * Processes (images) that have had a sample. The first sample of one wakes
 * userspace at once instead of waiting for the batch: it reads the
 * process's memory map on that sample, and a short-lived process would be
 * gone by the next poll. Forgotten on exec and exit. A plain hash, not an
 * LRU: the perf event program runs in NMI context, where an LRU's list lock
 * could be taken already on the same CPU (a deadlock), while a hash bucket
 * lock answers -EBUSY instead. Full, it only stops the early wakeups.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} sampled SEC(".maps");

/* CPython processes and how to read them; filled by src/python/. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* resized by userspace before load */
	__type(key, __u32);
	__type(value, struct zp_py_proc);
} py_procs SEC(".maps");

/* (pid, pthread_self) -> PyThreadState address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* resized by userspace before load */
	__type(key, struct zp_py_thread_key);
	__type(value, __u64);
} py_threads SEC(".maps");

/* The walkers, tail-called from on_cpu_sample and from themselves. */
#define WALK_PYTHON 0
#define WALK_NATIVE 1
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} walkers SEC(".maps");

/* Unwind tables (include/unwind_abi.h), filled by src/unwind/. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << 20); /* resized by userspace before load */
	__type(key, __u32);
	__type(value, struct zp_unwind_row);
} unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096); /* resized by userspace before load */
	__type(key, __u32);
	__type(value, struct zp_unwind_rule);
} unwind_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* resized by userspace before load */
	__type(key, __u32);
	__type(value, struct zp_unwind_proc);
} unwind_procs SEC(".maps");

/*
 * Native frames per walk_native invocation and invocations per sample.
 * Each frame is two binary searches (mappings, then rows) and up to three
 * stack reads; 8 frames keep one program well inside the verifier's budget.
 */
#define UNW_FRAMES_PER_CALL 16
#define UNW_MAX_CALLS	    8
#define UNW_MAP_STEPS	    8  /* > log2(ZP_UNWIND_MAX_MAPS) */
#define UNW_ROW_STEPS	    21 /* > log2(ZP_UNWIND_MAX_ROWS) */

#define PY_FRAME_BUF 128
/*
 * Frames per walker invocation, and invocations per sample: 8 x 16 = 128.
 * A loop of 128 in one program costs the verifier ~900k of its 1M
 * instruction budget (state pruning fails across iterations). 16 frames
 * verify in about 50k instructions, which keeps the load (and so the time
 * to the first sample) short; the extra tail calls cost nothing measurable
 * (7.9 us per sample at depth 10, 24 us at depth 100, on 3.12).
 */
#define PY_FRAMES_PER_CALL 16
#define PY_MAX_CALLS	   (ZP_MAX_PYSTACK / PY_FRAMES_PER_CALL)
/* Native frames read for a Python process: C extensions and libraries
 * called from Python rarely nest deeper. */
#define PY_NATIVE_FRAMES 32

struct py_frame_buf {
	__u8 data[PY_FRAME_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_frame_buf);
} py_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZP_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* fork/exec/exit notices for userspace: struct zp_proc_event */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} proc_events SEC(".maps");

const volatile bool filter_all = false;
const volatile bool follow_children = false;
const volatile bool want_kernel = true;
const volatile bool want_user = true;
const volatile bool want_python = true;
const volatile bool want_unwind = false;       /* tables for known processes */
const volatile bool unwind_fp_fallback = true; /* FP step where none */
const volatile __u32 self_tgid = 0;
/*
 * Wake the consumer only once this much data waits: at thousands of samples
 * a second a wakeup per record costs more than the sample itself. Userspace
 * also polls with a timeout, which bounds the latency of a quiet buffer.
 */
const volatile __u64 wakeup_bytes = 64 << 10;

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1; /* per-CPU value: no atomics needed */
}

/*
 * Sends the assembled record. Counts come from map memory, so they are
 * clamped here for the verifier as well as for safety.
 */
static __always_inline void submit(struct zp_sample_buf *buf)
{
	__u64 kn = buf->hdr.kstack_n, un = buf->hdr.ustack_n;
	__u64 pn = buf->hdr.pystack_n, size, avail;

	if (kn > ZP_MAX_KSTACK || un > ZP_MAX_USTACK || pn > ZP_MAX_PYSTACK)
		return;
	size = sizeof(struct zp_sample) + (kn + un + 2 * pn) * 8;
	if (size > sizeof(buf->hdr) + sizeof(buf->words))
		return;
	avail = bpf_ringbuf_query(&samples, BPF_RB_AVAIL_DATA);
	if (bpf_ringbuf_output(&samples, buf, size,
			       buf->wake_now || avail + size >= wakeup_bytes
				   ? BPF_RB_FORCE_WAKEUP
				   : BPF_RB_NO_WAKEUP)) {
		stat_inc(ZP_STAT_RB_DROPS);
		return;
	}
	stat_inc(ZP_STAT_SUBMITTED);
}

/*
 * Finds the current thread's top Python frame, or 0. The thread state
 * comes from py_threads, keyed by the thread's fsbase: glibc's
 * pthread_self() is the TCB address, which is what CPython keeps as
 * tstate->thread_id, so no TLS layout needs decoding here.
 */
static __always_inline __u64 py_top_frame(struct zp_sample_buf *buf, __u32 tgid)
{
	struct zp_py_thread_key key = { .pid = tgid };
	const struct zp_py_proc *cfg;
	struct task_struct *task;
	__u64 *tstate, frame = 0;

	cfg = bpf_map_lookup_elem(&py_procs, &tgid);
	if (!cfg)
		return 0;
	stat_inc(ZP_STAT_PY_SAMPLES);
	task = (struct task_struct *)bpf_get_current_task();
	key.thread_id = BPF_CORE_READ(task, thread.fsbase);
	tstate = bpf_map_lookup_elem(&py_threads, &key);
	if (!tstate) {
		buf->hdr.flags |= ZP_F_PY_MISS;
		stat_inc(ZP_STAT_PY_MISS);
		return 0;
	}
	if (bpf_probe_read_user(&frame, sizeof(frame),
				(void *)(*tstate + cfg->tstate_frame)))
		goto read_err;
	if (cfg->cframe_frame >= 0 && frame &&
	    bpf_probe_read_user(&frame, sizeof(frame),
				(void *)(frame + cfg->cframe_frame)))
		goto read_err;
	return frame;

read_err:
	buf->hdr.flags |= ZP_F_PY_ERR;
	stat_inc(ZP_STAT_PY_READ_ERR);
	return 0;
}

/*
 * Appends up to PY_FRAMES_PER_CALL Python frames after the native ones,
 * two words each (code object, instruction index | tag << 32), innermost
 * first, then tail-calls itself for the next batch or sends the record.
 *
 * Interpreter-owned frames (3.12+ shims, C-stack entries) are written with
 * code 0 and dropped by userspace: skipping them here would add a second
 * induction variable, which defeats the verifier's state pruning.
 */
SEC("perf_event")
int walk_python(struct bpf_perf_event_data *ctx)
{
	struct zp_sample_buf *buf;
	const struct zp_py_proc *cfg;
	struct py_frame_buf *fb;
	__u64 frame, code, ip, start, w, base, tagmask, stop, keep;
	__u32 zero = 0, idx, tag, span, i, o_code, o_back, o_lasti, o_ip;
	__u32 o_owner, adaptive, o_first, pid, o_entry;
	__u8 emask;
	bool lasti;

	buf = bpf_map_lookup_elem(&scratch, &zero);
	fb = bpf_map_lookup_elem(&py_scratch, &zero);
	if (!buf || !fb)
		return 0;
	pid = buf->hdr.pid;
	cfg = bpf_map_lookup_elem(&py_procs, &pid);
	if (!cfg)
		goto send;

	/*
	 * Offsets come from userspace: check them once here, then mask them
	 * in the loop so every read of the copied frame is provably in
	 * bounds without a branch per field.
	 */
	lasti = cfg->frame_lasti >= 0;
	if (cfg->frame_code < 0 || cfg->frame_code > PY_FRAME_BUF - 8 ||
	    cfg->frame_back < 0 || cfg->frame_back > PY_FRAME_BUF - 8 ||
	    (lasti && cfg->frame_lasti > PY_FRAME_BUF - 4) ||
	    (!lasti && (cfg->frame_instr_ptr < 0 ||
			cfg->frame_instr_ptr > PY_FRAME_BUF - 8)) ||
	    cfg->frame_owner > PY_FRAME_BUF - 1) {
		buf->hdr.flags |= ZP_F_PY_ERR;
		goto send;
	}
	o_code = cfg->frame_code & (PY_FRAME_BUF - 8);
	o_back = cfg->frame_back & (PY_FRAME_BUF - 8);
	o_lasti = lasti ? cfg->frame_lasti & (PY_FRAME_BUF - 4) : 0;
	o_ip = lasti ? 0 : cfg->frame_instr_ptr & (PY_FRAME_BUF - 8);
	/* no owner field: compare a byte that exists against a bound no
	 * byte reaches */
	o_owner =
	    cfg->frame_owner >= 0 ? cfg->frame_owner & (PY_FRAME_BUF - 1) : 0;
	stop = cfg->frame_owner >= 0 ? cfg->owner_stop : 0x100;
	/* 3.11 marks an activation's first frame: sent as bit 63 */
	emask = cfg->frame_entry >= 0 && cfg->frame_entry < PY_FRAME_BUF;
	o_entry = emask ? cfg->frame_entry & (PY_FRAME_BUF - 1) : 0;
	adaptive = cfg->code_adaptive > 0 ? cfg->code_adaptive : 0;
	o_first = cfg->code_firstlineno > 0 ? cfg->code_firstlineno : 0;
	tagmask = ~(__u64)cfg->code_tag_mask;
	span = cfg->frame_span;
	if (span > PY_FRAME_BUF)
		span = PY_FRAME_BUF;

	base = (__u64)buf->hdr.kstack_n + buf->hdr.ustack_n +
	       2 * (__u64)buf->hdr.pystack_n;
	if (base > ZP_SAMPLE_MAX_WORDS - 2)
		goto send;
	frame = buf->py_frame;
	for (i = 0; i < PY_FRAMES_PER_CALL; i++) {
		if (!frame)
			break;
		w = base + 2 * (__u64)i;
		/* one register for the check and the store, or clang splits
		 * them and the verifier loses the bound */
		asm volatile("" : "+r"(w));
		if (w > ZP_SAMPLE_MAX_WORDS - 2)
			break;
		if (bpf_probe_read_user(fb->data, span, (void *)frame)) {
			buf->hdr.flags |= ZP_F_PY_ERR;
			stat_inc(ZP_STAT_PY_READ_ERR);
			frame = 0;
			break;
		}
		/* BPF has no conditional set: "owner < stop" as arithmetic
		 * keeps the loop body to one path */
		keep = ((stop - 1 - fb->data[o_owner]) >> 63) ^ 1;
		code = *(__u64 *)&fb->data[o_code] & tagmask & -keep;
		if (lasti) {
			idx = *(__u32 *)&fb->data[o_lasti];
		} else {
			ip = *(__u64 *)&fb->data[o_ip];
			start = code + adaptive;
			idx = (__u32)((ip - start) / 2);
		}
		tag = 0;
		bpf_probe_read_user(&tag, sizeof(tag),
				    (void *)(code + o_first));
		buf->words[w] = code;
		buf->words[w + 1] = (__u64)idx | (__u64)tag << 32 |
				    (__u64)(fb->data[o_entry] & emask) << 63;
		frame = *(__u64 *)&fb->data[o_back];
	}
	buf->hdr.pystack_n += i;
	buf->py_frame = frame;
	if (frame) {
		if (buf->py_calls < PY_MAX_CALLS - 1 &&
		    buf->hdr.pystack_n < ZP_MAX_PYSTACK) {
			buf->py_calls++;
			bpf_tail_call(ctx, &walkers, WALK_PYTHON);
		}
		buf->hdr.flags |= ZP_F_PYSTACK_TRUNC;
		stat_inc(ZP_STAT_PY_TRUNC);
	}
send:
	submit(buf);
	return 0;
}

/*
 * The rule id for PC in process PID: >= 0, or UNW_NO_MAP when no known
 * mapping holds PC, or UNW_NO_TABLE when its file has no table. A global
 * function: the verifier checks it once, on its own, instead of once per
 * unrolled frame of the walker, where its two searches multiplied the
 * states past the instruction budget.
 */
#define UNW_NO_MAP   (-1)
#define UNW_NO_TABLE (-2)

__noinline int unw_rule_for(__u32 pid, __u64 pc)
{
	const struct zp_unwind_proc *p;
	const struct zp_unwind_row *row;
	const struct zp_unwind_map *m;
	__u64 base = 0, n, half, mask, rel;
	__u32 idx;
	int i;

	/*
	 * Both searches are branch-free lower bounds: a compare would fork
	 * the verifier's state at every step (2^21 paths for the rows); the
	 * sign of a 64-bit difference of two 32/64-bit values does not.
	 */
	p = bpf_map_lookup_elem(&unwind_procs, &pid);
	if (!p)
		return UNW_NO_MAP;
	n = p->nmaps;
	if (!n || n > ZP_UNWIND_MAX_MAPS)
		return UNW_NO_MAP;
	for (i = 0; i < UNW_MAP_STEPS; i++) {
		if (n <= 1)
			break;
		half = n / 2;
		/* start <= pc: both below 2^63 (user addresses) */
		mask = ((pc - p->maps[(base + half) & (ZP_UNWIND_MAX_MAPS - 1)]
				  .start) >>
			63) -
		       1;
		base += half & mask;
		n -= half;
	}
	m = &p->maps[base & (ZP_UNWIND_MAX_MAPS - 1)];
	if (pc < m->start || pc >= m->end)
		return UNW_NO_MAP;
	if (!m->row_n)
		return UNW_NO_TABLE;
	rel = pc - m->bias;
	if (rel >> 32)
		return ZP_UNWIND_RULE_NONE;
	base = 0;
	n = m->row_n;
	for (i = 0; i < UNW_ROW_STEPS; i++) {
		if (n <= 1)
			break;
		half = n / 2;
		idx = m->row_off + (__u32)(base + half);
		row = bpf_map_lookup_elem(&unwind_rows, &idx);
		if (!row)
			return ZP_UNWIND_RULE_NONE;
		mask = ((rel - (__u64)row->pc) >> 63) - 1;
		base += half & mask;
		n -= half;
	}
	idx = m->row_off + (__u32)base;
	row = bpf_map_lookup_elem(&unwind_rows, &idx);
	if (!row || row->pc > (__u32)rel)
		return ZP_UNWIND_RULE_NONE;
	return row->rule;
}

/* Where the walk stopped, for the counters. */
enum unw_stop {
	UNW_GO = 0,
	UNW_END,
	UNW_NOINFO,
	UNW_NOMAP,
	UNW_READ,
};

/*
 * One frame-pointer step, for code without tables (JIT code, a file we
 * have none for): the frame record at rbp holds the caller's rbp and the
 * return address. Plausibility: the record is above the stack pointer.
 */
static __always_inline int unw_fp_step(__u64 *ip, __u64 *sp, __u64 *bp)
{
	__u64 rec[2];

	if (!unwind_fp_fallback || !*bp || *bp < *sp || (*bp & 7))
		return UNW_NOINFO;
	if (bpf_probe_read_user(rec, sizeof(rec), (void *)*bp))
		return UNW_READ;
	stat_inc(ZP_STAT_UNW_FP);
	*sp = *bp + 16;
	*bp = rec[0];
	*ip = rec[1];
	return rec[1] ? UNW_GO : UNW_END;
}

/*
 * Appends up to UNW_FRAMES_PER_CALL native frames with the unwind tables,
 * then tail-calls itself, or the Python walker, or sends the record. The
 * leaf is the sampled pc; every caller is found from the rule of the frame
 * below it (include/unwind_abi.h says how each rule reads).
 */
SEC("perf_event")
int walk_native(struct bpf_perf_event_data *ctx)
{
	const struct zp_unwind_rule *rule;
	struct zp_sample_buf *buf;
	__u64 ip, sp, bp, cfa, ra, w, kn, un, lookup, limit;
	__u32 zero = 0, pid, rid, i, exact;
	int stop = UNW_GO, ret;

	buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf)
		return 0;
	pid = buf->hdr.pid;
	kn = buf->hdr.kstack_n;
	un = buf->hdr.ustack_n;
	/* the whole native stack, Python processes' too: userspace
	 * interleaves their Python frames at each eval loop activation */
	limit = ZP_MAX_USTACK;
	ip = buf->unw_ip;
	sp = buf->unw_sp;
	bp = buf->unw_bp;
	exact = buf->unw_exact;

	for (i = 0; i < UNW_FRAMES_PER_CALL; i++) {
		w = kn + un;
		asm volatile("" : "+r"(w));
		if (w >= ZP_MAX_KSTACK + ZP_MAX_USTACK || un >= limit) {
			buf->hdr.flags |= ZP_F_USTACK_TRUNC;
			stat_inc(ZP_STAT_UNW_DEPTH);
			stop = UNW_READ;
			break;
		}
		buf->words[w] = ip;
		un++;

		lookup = exact ? ip : ip - 1;
		exact = 0;
		ret = unw_rule_for(pid, lookup);
		if (ret < 0) {
			if (ret == UNW_NO_MAP) {
				buf->hdr.flags |= ZP_F_UNW_NOMAP;
				stat_inc(ZP_STAT_UNW_NOMAP);
			}
			stop = unw_fp_step(&ip, &sp, &bp);
			if (stop != UNW_GO)
				break;
			continue;
		}
		rid = (__u32)ret;
		rule = bpf_map_lookup_elem(&unwind_rules, &rid);
		if (!rule) {
			stop = UNW_NOINFO;
			break;
		}
		if (rule->cfa_type == ZP_CFA_RSP) {
			cfa = sp + rule->cfa_off;
		} else if (rule->cfa_type == ZP_CFA_RBP) {
			if (!bp) {
				stop = UNW_NOINFO;
				break;
			}
			cfa = bp + rule->cfa_off;
		} else if (rule->cfa_type == ZP_CFA_PLT) {
			cfa = sp + 8 +
			      ((ip & 15) >= (__u64)rule->cfa_off ? 8 : 0);
		} else if (rule->cfa_type == ZP_CFA_SIGNAL) {
			/* the interrupted context, saved by the kernel */
			if (bpf_probe_read_user(
				&ip, 8, (void *)(sp + ZP_UCONTEXT_RIP)) ||
			    bpf_probe_read_user(
				&bp, 8, (void *)(sp + ZP_UCONTEXT_RBP)) ||
			    bpf_probe_read_user(
				&sp, 8, (void *)(sp + ZP_UCONTEXT_RSP))) {
				stop = UNW_READ;
				break;
			}
			exact = 1;
			continue;
		} else if (rule->cfa_type == ZP_CFA_END) {
			stop = UNW_END;
			break;
		} else {
			stop = UNW_NOINFO;
			break;
		}
		if (bpf_probe_read_user(&ra, 8, (void *)(cfa - 8))) {
			stop = UNW_READ;
			break;
		}
		if (rule->rbp_type == ZP_RBP_AT_CFA) {
			if (bpf_probe_read_user(
				&bp, 8, (void *)(cfa + rule->rbp_off))) {
				stop = UNW_READ;
				break;
			}
		} else if (rule->rbp_type == ZP_RBP_UNDEF) {
			bp = 0;
		}
		sp = cfa;
		ip = ra;
		if (!ra) {
			stop = UNW_END;
			break;
		}
	}
	buf->hdr.ustack_n = un;
	if (stop == UNW_GO) {
		buf->unw_ip = ip;
		buf->unw_sp = sp;
		buf->unw_bp = bp;
		buf->unw_exact = exact;
		if (buf->unw_calls < UNW_MAX_CALLS - 1) {
			buf->unw_calls++;
			bpf_tail_call(ctx, &walkers, WALK_NATIVE);
		}
		buf->hdr.flags |= ZP_F_USTACK_TRUNC;
		stat_inc(ZP_STAT_UNW_DEPTH);
	} else if (stop == UNW_END) {
		stat_inc(ZP_STAT_UNW_END);
	} else if (stop == UNW_NOINFO) {
		buf->hdr.flags |= ZP_F_USTACK_TRUNC;
		stat_inc(ZP_STAT_UNW_NOINFO);
	} else if (stop == UNW_READ) {
		buf->hdr.flags |= ZP_F_USTACK_TRUNC;
		stat_inc(ZP_STAT_UNW_READ);
	}
	if (want_python) {
		buf->py_frame = py_top_frame(buf, pid);
		buf->py_calls = 0;
		if (buf->py_frame)
			bpf_tail_call(ctx, &walkers, WALK_PYTHON);
	}
	submit(buf);
	return 0;
}

/* x86-64 kernel stacks: pt_regs sit at the top (no padding on 64-bit) */
#define KSTACK_SIZE (16u << 10)

/* The user registers of the current task, wherever the tick landed. */
static __always_inline int user_regs(struct bpf_perf_event_data *ctx,
				     bool in_kernel, __u64 *ip, __u64 *sp,
				     __u64 *bp)
{
	struct task_struct *task;
	struct pt_regs *regs;
	void *stack;

	if (!in_kernel) {
		*ip = PT_REGS_IP(&ctx->regs);
		*sp = PT_REGS_SP(&ctx->regs);
		*bp = PT_REGS_FP(&ctx->regs);
		return 0;
	}
	/* in a syscall or interrupt: the registers saved at kernel entry */
	if (bpf_core_enum_value_exists(enum bpf_func_id,
				       BPF_FUNC_get_current_task_btf) &&
	    bpf_core_enum_value_exists(enum bpf_func_id,
				       BPF_FUNC_task_pt_regs)) {
		task = bpf_get_current_task_btf();
		regs = (struct pt_regs *)bpf_task_pt_regs(task);
	} else {
		/* before 5.15: where task_pt_regs() points */
		task = (struct task_struct *)bpf_get_current_task();
		stack = BPF_CORE_READ(task, stack);
		if (!stack)
			return -1;
		regs = (struct pt_regs *)(stack + KSTACK_SIZE) - 1;
	}
	*ip = BPF_CORE_READ(regs, ip);
	*sp = BPF_CORE_READ(regs, sp);
	*bp = BPF_CORE_READ(regs, bp);
	/* a kernel thread has no user context */
	return *ip && !(*ip >> 63) ? 0 : -1;
}

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct zp_sample_buf *buf;
	__u32 zero = 0;
	__u64 kn = 0, un = 0;
	__u32 ustack_bytes = ZP_MAX_USTACK * 8;
	__u16 flags = 0;
	bool unwind = false;
	long ret;

	if (tgid == 0) /* the idle task */
		return 0;
	if (filter_all) {
		if (tgid == self_tgid)
			return 0;
	} else if (!bpf_map_lookup_elem(&targets, &tgid)) {
		return 0;
	}
	stat_inc(ZP_STAT_SAMPLES);

	buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!buf) {
		stat_inc(ZP_STAT_SCRATCH_ERR);
		return 0;
	}

	/*
	 * Kernel addresses have the top bit set on x86-64. Testing the IP is
	 * sturdier than pt_regs.cs, which newer kernels (FRED) turned into a
	 * 2-byte union member that a perf_event context may not load.
	 */
	if (PT_REGS_IP(&ctx->regs) >> 63)
		flags |= ZP_F_IN_KERNEL;

	if (want_kernel && (flags & ZP_F_IN_KERNEL)) {
		ret = bpf_get_stack(ctx, buf->words, ZP_MAX_KSTACK * 8, 0);
		if (ret < 0) {
			flags |= ZP_F_KSTACK_ERR;
			stat_inc(ZP_STAT_KSTACK_ERR);
		} else {
			kn = (__u64)ret / 8;
		}
	}
	/* keeps the verifier's bound on the user stack's offset */
	if (kn > ZP_MAX_KSTACK)
		kn = ZP_MAX_KSTACK;

	/*
	 * In a CPython process only the native frames above the interpreter
	 * are kept (userspace cuts there), and below them a frame pointer
	 * walk through an interpreter built without frame pointers reads
	 * garbage until it faults: ask for a short stack.
	 */
	if (want_python && bpf_map_lookup_elem(&py_procs, &tgid))
		ustack_bytes = PY_NATIVE_FRAMES * 8;
	if (want_user && want_unwind &&
	    bpf_map_lookup_elem(&unwind_procs, &tgid) &&
	    !user_regs(ctx, flags & ZP_F_IN_KERNEL, &buf->unw_ip, &buf->unw_sp,
		       &buf->unw_bp)) {
		/* tables: walk_native reads the user stack below */
		buf->unw_calls = 0;
		buf->unw_exact = 1;
		unwind = true;
		flags |= ZP_F_UNWIND;
		stat_inc(ZP_STAT_UNW_SAMPLES);
	} else if (want_user) {
		ret = bpf_get_stack(ctx, &buf->words[kn], ustack_bytes,
				    BPF_F_USER_STACK);
		if (ret < 0) {
			flags |= ZP_F_USTACK_ERR;
			stat_inc(ZP_STAT_USTACK_ERR);
		} else {
			un = (__u64)ret / 8;
		}
	}
	if (un >= ustack_bytes / 8) {
		un = ustack_bytes / 8;
		flags |= ZP_F_USTACK_TRUNC;
	}

	buf->hdr.ktime_ns = bpf_ktime_get_ns();
	buf->hdr.cgroup_id = bpf_get_current_cgroup_id();
	buf->hdr.pid = tgid;
	buf->hdr.tid = (__u32)id;
	buf->hdr.cpu = bpf_get_smp_processor_id();
	buf->hdr.kstack_n = kn;
	buf->hdr.ustack_n = un;
	buf->hdr.pystack_n = 0;
	buf->hdr.flags = flags;
	buf->hdr.reserved = 0;
	bpf_get_current_comm(buf->hdr.comm, sizeof(buf->hdr.comm));
	buf->wake_now = 0;
	if (!bpf_map_lookup_elem(&sampled, &tgid)) {
		__u8 one = 1;

		/* only the insert that wins wakes (another CPU may race) */
		buf->wake_now =
		    !bpf_map_update_elem(&sampled, &tgid, &one, BPF_NOEXIST);
	}

	if (unwind)
		bpf_tail_call(ctx, &walkers, WALK_NATIVE);
	if (want_python) {
		buf->py_frame = py_top_frame(buf, tgid);
		buf->py_calls = 0;
		if (buf->py_frame)
			bpf_tail_call(ctx, &walkers, WALK_PYTHON);
		/* not Python, or the walker is missing: send what we have */
	}
	submit(buf);
	return 0;
}

/* ---- process lifecycle --------------------------------------------------- */

static __always_inline bool wanted(__u32 tgid)
{
	if (filter_all)
		return tgid != self_tgid && tgid != 0;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

static __always_inline void send_event(__u32 type, __u32 pid, __u32 ppid)
{
	struct zp_proc_event ev = {
		.ktime_ns = bpf_ktime_get_ns(),
		.type = type,
		.pid = pid,
		.ppid = ppid,
	};

	if (bpf_ringbuf_output(&proc_events, &ev, sizeof(ev), 0))
		stat_inc(ZP_STAT_PROC_EV_DROPS);
	else
		stat_inc(ZP_STAT_PROC_EVENTS);
}

/*
 * A new process. Children of followed targets join the filter here, before
 * their first tick, so nothing they run is missed. A child of a Python
 * process we walk is Python too (fork copies the address space): it gets
 * the parent's offsets and the forking thread's state right away, because
 * multiprocessing workers are often short-lived.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct zp_py_thread_key key = { .pid = ptgid };
	const struct zp_py_proc *cfg;
	__u64 *tstate;
	__u8 one = 1;

	if (BPF_CORE_READ(child, pid) != ctgid)
		return 0; /* a thread, not a process */
	if (filter_all) {
		if (ptgid == self_tgid)
			return 0;
	} else {
		if (!follow_children || !bpf_map_lookup_elem(&targets, &ptgid))
			return 0;
		bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY);
	}
	cfg = want_python ? bpf_map_lookup_elem(&py_procs, &ptgid) : NULL;
	if (cfg) {
		bpf_map_update_elem(&py_procs, &ctgid, cfg, BPF_ANY);
		key.thread_id = BPF_CORE_READ(parent, thread.fsbase);
		tstate = bpf_map_lookup_elem(&py_threads, &key);
		if (tstate) {
			key.pid = ctgid;
			bpf_map_update_elem(&py_threads, &key, tstate, BPF_ANY);
		}
	}
	if (!filter_all)
		send_event(ZP_EV_FORK, ctgid, ptgid);
	return 0;
}

/* A new program image: whatever we knew of the old one is wrong now. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (!wanted(tgid))
		return 0;
	bpf_map_delete_elem(&py_procs, &tgid);
	bpf_map_delete_elem(&sampled, &tgid); /* its map is read anew */
	send_event(ZP_EV_EXEC, tgid, 0);
	return 0;
}

/*
 * The last thread of a process: drop its filter entry (the pid may be
 * reused by an unrelated process before userspace reacts) and tell
 * userspace, which releases what it kept for it.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0; /* other threads of the group still run */
	if (!wanted(tgid))
		return 0;
	bpf_map_delete_elem(&py_procs, &tgid);
	bpf_map_delete_elem(&sampled, &tgid);
	if (!filter_all)
		bpf_map_delete_elem(&targets, &tgid);
	send_event(ZP_EV_EXIT, tgid, 0);
	return 0;
}

/* ---- Python thread-state lifecycle (uprobes, attached per process) ------ */

/* The py_threads key of thread state TSTATE: its own thread_id field. */
static __always_inline int ts_key(__u64 tstate, struct zp_py_thread_key *key)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	const struct zp_py_proc *cfg;

	cfg = bpf_map_lookup_elem(&py_procs, &tgid);
	if (!cfg || !tstate || cfg->tstate_thread_id < 0)
		return -1;
	key->pid = tgid;
	key->pad = 0;
	if (bpf_probe_read_user(&key->thread_id, sizeof(key->thread_id),
				(void *)(tstate + cfg->tstate_thread_id))) {
		stat_inc(ZP_STAT_PY_TS_ERR);
		return -1;
	}
	return key->thread_id ? 0 : -1;
}

static __always_inline int ts_bind(__u64 tstate)
{
	struct zp_py_thread_key key;

	if (ts_key(tstate, &key))
		return 0;
	bpf_map_update_elem(&py_threads, &key, &tstate, BPF_ANY);
	stat_inc(ZP_STAT_PY_TS_BIND);
	return 0;
}

/*
 * PyEval_AcquireThread(tstate): every new Python thread calls it once, in
 * the thread itself, after its thread_id is set (3.8-3.14). Keying by the
 * thread_id field rather than the calling thread keeps an embedder that
 * creates a state for another thread correct.
 */
SEC("uprobe")
int BPF_KPROBE(on_py_thread_bind, __u64 tstate)
{
	return ts_bind(tstate);
}

/* PyThreadState_New returns a state bound to the calling thread: threads
 * created in C that enter Python through PyGILState_Ensure. */
SEC("uretprobe")
int BPF_KRETPROBE(on_py_thread_new, __u64 tstate)
{
	return ts_bind(tstate);
}

/* PyThreadState_Clear(tstate): the state is about to be freed; a thread
 * that reuses the same pthread (glibc caches stacks) must not find it. */
SEC("uprobe")
int BPF_KPROBE(on_py_thread_clear, __u64 tstate)
{
	struct zp_py_thread_key key;
	__u64 *cur;

	if (ts_key(tstate, &key))
		return 0;
	cur = bpf_map_lookup_elem(&py_threads, &key);
	if (cur && *cur == tstate)
		bpf_map_delete_elem(&py_threads, &key);
	stat_inc(ZP_STAT_PY_TS_CLEAR);
	return 0;
}
