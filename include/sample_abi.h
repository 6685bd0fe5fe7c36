/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The wire format between bpf/sampler.bpf.c and the user side: one ring
 * buffer record per CPU sample, the per-CPU counter indexes and the limits
 * both sides agree on. Fixed-width types only, no pointers, explicit padding,
 * so the same bytes mean the same thing to clang -target bpf and to gcc.
 *
 * Record layout (little endian, as the kernel writes it):
 *
 *   struct zp_sample                      56 bytes
 *   __u64 kernel_ips[kstack_n]            leaf first
 *   __u64 user_ips[ustack_n]              leaf first
 *   struct zp_pyframe py[pystack_n]       innermost first (Python issue)
 *
 * Only kstack_n + ustack_n + 2 * pystack_n u64 words follow the header; the
 * record length the ring buffer reports must be at least that, and userspace
 * checks it before reading any frame.
 */
#ifndef ZPROFD_SAMPLE_ABI_H
#define ZPROFD_SAMPLE_ABI_H

#ifdef __bpf__
/* vmlinux.h already gives __u8 .. __u64 */
#else
#include <linux/types.h>
#endif

/* Deepest kernel stack we keep; deeper kernel stacks are rare outside bugs. */
#define ZP_MAX_KSTACK 64
/* Deepest native user stack; perf_event_max_stack defaults to 127. */
#define ZP_MAX_USTACK 127
/* Python frames per sample (room reserved for the Python walker). */
#define ZP_MAX_PYSTACK 128
#define ZP_COMM_LEN    16

/* zp_sample.flags */
#define ZP_F_KSTACK_ERR	   (1u << 0) /* kernel stack read failed */
#define ZP_F_USTACK_ERR	   (1u << 1) /* user stack read failed */
#define ZP_F_USTACK_TRUNC  (1u << 2) /* user stack hit ZP_MAX_USTACK */
#define ZP_F_PYSTACK_TRUNC (1u << 3)
#define ZP_F_IN_KERNEL	   (1u << 4) /* sample landed in kernel mode */
#define ZP_F_PY_MISS	   (1u << 5) /* Python process, thread state unknown */
#define ZP_F_PY_ERR	   (1u << 6) /* Python frame read failed mid-walk */
#define ZP_F_UNWIND	   (1u << 7) /* user stack unwound with tables */
#define ZP_F_UNW_NOMAP	   (1u << 8) /* ... met a pc outside known mappings */

struct zp_sample {
	__u64 ktime_ns;	 /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cgroup_id; /* cgroup v2 id of the task, 0 on v1-only hosts */
	__u32 pid;	 /* thread group id, in the initial pid namespace */
	__u32 tid;
	__u32 cpu;
	__u16 kstack_n;
	__u16 ustack_n;
	__u16 pystack_n;
	__u16 flags;
	__u32 reserved;
	char comm[ZP_COMM_LEN]; /* thread name */
	/* frame words follow the header: see the layout above */
};

/* One Python frame: code object address and instruction index + tag. */
struct zp_pyframe {
	__u64 code_addr;
	__u32 instr_idx;
	__u32 code_tag;
};

#define ZP_SAMPLE_MAX_WORDS (ZP_MAX_KSTACK + ZP_MAX_USTACK + 2 * ZP_MAX_PYSTACK)
#define ZP_SAMPLE_MAX_BYTES (sizeof(struct zp_sample) + 8 * ZP_SAMPLE_MAX_WORDS)

/*
 * How the BPF walker reads one CPython process: the offsets of the few
 * fields it follows, per interpreter version, filled by userspace
 * (src/python/) into the py_procs map keyed by pid. An offset of -1 means
 * "this version has no such field".
 */
struct zp_py_proc {
	__u32 version;	       /* (major << 8) | minor, e.g. 0x030b */
	__u32 flags;	       /* ZP_PY_F_* */
	__s32 tstate_frame;    /* tstate -> frame (<=3.10), cframe (3.11/3.12)
				  or current_frame (3.13+) */
	__s32 cframe_frame;    /* 3.11/3.12: cframe -> current_frame */
	__s32 frame_code;      /* f_code / f_executable */
	__s32 frame_back;      /* f_back / previous */
	__s32 frame_lasti;     /* <=3.10: f_lasti (int) */
	__s32 frame_instr_ptr; /* 3.11+: prev_instr / instr_ptr */
	__s32 frame_owner;     /* 3.12+: owner (char) */
	__s32 code_adaptive;   /* 3.11+: offset of co_code_adaptive */
	__s32 code_firstlineno;
	__u32 frame_span;   /* bytes to copy per frame: covers every field */
	__u8 owner_stop;    /* owner >= this: interpreter-owned, not shown */
	__u8 code_tag_mask; /* low bits tagging f_executable (3.14: 3) */
	__u8 pad[2];
	__s32 tstate_thread_id; /* tstate -> thread_id (pthread_t), read by
				   the thread-state lifecycle uprobes */
	__s32 frame_entry;	/* 3.11: is_entry (bool), the first frame of
				   an eval activation; sent as bit 63 */
	__u32 pad2;
};

/* zp_pyframe second word: bit 63 marks an activation's entry frame (3.11) */
#define ZP_PYWORD_ENTRY (1ull << 63)

#define ZP_PY_F_FRAME_OBJECTS (1u << 0) /* <=3.10: PyFrameObject chain */

/* Key of the py_threads map: which thread state a thread runs. */
struct zp_py_thread_key {
	__u32 pid;
	__u32 pad;
	__u64 thread_id; /* pthread_self() == the thread's fsbase on x86-64 */
};

/*
 * Process lifecycle, from the sched tracepoints, on a ring buffer of its own
 * (proc_events) so a burst of samples never crowds one out. FORK is sent
 * for children of followed targets (--subprocesses), EXEC and EXIT (the
 * last thread of the group) for every sampled process.
 */
enum zp_proc_event_type {
	ZP_EV_FORK = 1,
	ZP_EV_EXEC = 2,
	ZP_EV_EXIT = 3,
};

struct zp_proc_event {
	__u64 ktime_ns;
	__u32 type; /* enum zp_proc_event_type */
	__u32 pid;  /* thread group id */
	__u32 ppid; /* FORK: the parent's thread group id */
	__u32 pad;
};

/* Per-CPU counters, summed by userspace. */
enum zp_stat {
	ZP_STAT_SAMPLES = 0, /* samples of wanted tasks seen by the program */
	ZP_STAT_SUBMITTED,   /* records written to the ring buffer */
	ZP_STAT_RB_DROPS,    /* ring buffer full: sample lost */
	ZP_STAT_KSTACK_ERR,  /* bpf_get_stack(kernel) failed */
	ZP_STAT_USTACK_ERR,  /* bpf_get_stack(user) failed */
	ZP_STAT_SCRATCH_ERR, /* per-CPU scratch missing (cannot happen) */
	ZP_STAT_PY_SAMPLES,  /* samples of known Python processes */
	ZP_STAT_PY_MISS,     /* ... whose thread state was not known */
	ZP_STAT_PY_READ_ERR, /* ... whose frame walk hit an unreadable frame */
	ZP_STAT_PY_TRUNC,    /* ... deeper than ZP_MAX_PYSTACK */
	ZP_STAT_PY_TS_BIND,  /* uprobe: a thread state bound to its thread */
	ZP_STAT_PY_TS_CLEAR, /* uprobe: a thread state cleared */
	ZP_STAT_PY_TS_ERR,   /* ... whose thread_id could not be read */
	ZP_STAT_UNW_SAMPLES, /* user stacks unwound with tables */
	ZP_STAT_UNW_END,     /* ... that reached the outermost frame */
	ZP_STAT_UNW_NOINFO,  /* ... cut: pc without unwind information */
	ZP_STAT_UNW_NOMAP,   /* ... cut: pc outside every known mapping */
	ZP_STAT_UNW_READ,    /* ... cut: a stack read failed */
	ZP_STAT_UNW_DEPTH,   /* ... cut: deeper than the walker's limit */
	ZP_STAT_UNW_FP,	     /* frame-pointer steps (no table for the pc) */
	ZP_STAT_PROC_EVENTS, /* fork/exec/exit events sent to userspace */
	ZP_STAT_PROC_EV_DROPS, /* ... lost: event ring buffer full */
	ZP_STAT__MAX,
};

_Static_assert(sizeof(struct zp_sample) == 56, "zp_sample ABI size");
_Static_assert(sizeof(struct zp_pyframe) == 16, "zp_pyframe ABI size");
_Static_assert(sizeof(struct zp_py_proc) == 64, "zp_py_proc ABI size");
_Static_assert(sizeof(struct zp_py_thread_key) == 16, "py thread key size");
_Static_assert(sizeof(struct zp_proc_event) == 24, "proc event size");
_Static_assert(sizeof(struct zp_sample) % 8 == 0,
	       "frame words must be 8-aligned");

#endif
