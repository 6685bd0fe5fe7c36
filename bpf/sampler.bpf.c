// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPU sampler: runs on every cpu-clock (or cycles) perf event tick of every
 * CPU, keeps only the tasks userspace asked for, and writes one struct
 * zp_sample per tick into the ring buffer: ids, cgroup, thread name, kernel
 * stack and user stack. The record is assembled in per-CPU scratch and
 * copied with bpf_ringbuf_output() so its length follows the real stack
 * depth instead of always reserving the worst case.
 *
 * Kept within what kernel 5.10 offers: no bpf_loop, no kfuncs, no
 * bpf_get_current_task_btf().
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "sample_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct zp_sample_buf {
	struct zp_sample hdr;
	__u64 words[ZP_SAMPLE_MAX_WORDS];
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ZP_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

const volatile bool filter_all = false;
const volatile bool want_kernel = true;
const volatile bool want_user = true;
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

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct zp_sample_buf *buf;
	__u32 zero = 0;
	__u64 kn = 0, un = 0, size, avail;
	__u16 flags = 0;
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

	if (want_user) {
		ret = bpf_get_stack(ctx, &buf->words[kn], ZP_MAX_USTACK * 8,
				    BPF_F_USER_STACK);
		if (ret < 0) {
			flags |= ZP_F_USTACK_ERR;
			stat_inc(ZP_STAT_USTACK_ERR);
		} else {
			un = (__u64)ret / 8;
		}
	}
	if (un >= ZP_MAX_USTACK) {
		un = ZP_MAX_USTACK;
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

	size = sizeof(struct zp_sample) + (kn + un) * 8;
	if (size > sizeof(*buf)) /* cannot happen; states the bound */
		return 0;
	avail = bpf_ringbuf_query(&samples, BPF_RB_AVAIL_DATA);
	if (bpf_ringbuf_output(&samples, buf, size,
			       avail + size >= wakeup_bytes
				   ? BPF_RB_FORCE_WAKEUP
				   : BPF_RB_NO_WAKEUP)) {
		stat_inc(ZP_STAT_RB_DROPS);
		return 0;
	}
	stat_inc(ZP_STAT_SUBMITTED);
	return 0;
}
