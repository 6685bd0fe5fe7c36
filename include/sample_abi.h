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

/* Per-CPU counters, summed by userspace. */
enum zp_stat {
	ZP_STAT_SAMPLES = 0, /* samples of wanted tasks seen by the program */
	ZP_STAT_SUBMITTED,   /* records written to the ring buffer */
	ZP_STAT_RB_DROPS,    /* ring buffer full: sample lost */
	ZP_STAT_KSTACK_ERR,  /* bpf_get_stack(kernel) failed */
	ZP_STAT_USTACK_ERR,  /* bpf_get_stack(user) failed */
	ZP_STAT_SCRATCH_ERR, /* per-CPU scratch missing (cannot happen) */
	ZP_STAT__MAX,
};

_Static_assert(sizeof(struct zp_sample) == 56, "zp_sample ABI size");
_Static_assert(sizeof(struct zp_pyframe) == 16, "zp_pyframe ABI size");
_Static_assert(sizeof(struct zp_sample) % 8 == 0,
	       "frame words must be 8-aligned");

#endif
