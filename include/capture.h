/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * capture: one bounded profiling session, the heart of `zprofd --pid`. It
 * snapshots the targets' maps, attaches the sampler, consumes the ring
 * buffer until the duration ends, a SIGINT/SIGTERM arrives or every target
 * has exited, drains what is still queued, and builds the symbolized
 * profile. Nothing collected before the stop is lost.
 */
#ifndef ZPROFD_CAPTURE_H
#define ZPROFD_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "sampler.h"

struct capture_opts {
	bool all;
	const uint32_t *pids; /* thread group ids; borrowed */
	size_t npids;
	unsigned int frequency;
	double duration_s; /* 0: until a signal or the targets exit */
	enum sampler_event event;
	bool kernel_stacks;
	size_t ringbuf_bytes;
	size_t max_stacks;
	const char *btf_path;
	bool python;	      /* walk Python frames of CPython targets */
	bool follow_children; /* --subprocesses: children become targets */
	enum sampler_unwind unwind;
	bool hide_interpreter; /* merged Python stacks without eval frames */
};

enum capture_end {
	CAPTURE_END_DURATION = 0,
	CAPTURE_END_SIGNAL,
	CAPTURE_END_TARGETS_EXITED,
};

struct capture_result {
	uint64_t samples;  /* seen by the BPF program for our targets */
	uint64_t received; /* records aggregated */
	uint64_t lost;	   /* ring buffer full + aggregation full */
	uint64_t lost_ringbuf;
	uint64_t lost_agg;
	uint64_t kstack_errors;
	uint64_t ustack_errors;
	uint64_t malformed;
	uint64_t py_samples;	 /* samples of Python processes */
	uint64_t py_miss;	 /* ... whose thread state was not yet known */
	uint64_t py_read_errors; /* ... whose frame walk was cut short */
	uint64_t py_truncated;	 /* ... deeper than the walker's limit */
	uint64_t stacks;
	uint64_t py_ts_bound;	 /* thread states learnt from the uprobes */
	uint64_t py_ts_cleared;	 /* ... and forgotten */
	uint64_t py_probe_procs; /* processes the uprobes attached to */
	uint64_t children;	 /* --subprocesses: descendants followed */
	uint64_t execs;		 /* targets that exec'd a new image */
	uint64_t unw_samples;	 /* user stacks walked with unwind tables */
	uint64_t unw_complete;	 /* ... down to the outermost frame */
	uint64_t unw_noinfo, unw_nomap, unw_read, unw_depth, unw_fp;
	uint64_t unw_tables, unw_rows, unw_build_ns, unw_build_errors;
	int64_t first_unwound_ns; /* from the start to the first complete
				     table-unwound stack, 0: none */
	uint64_t probe_run_ns;	  /* kernel time in the uprobes (bpf_stats) */
	uint64_t probe_run_cnt;
	int64_t duration_ns;
	uint64_t bpf_run_ns;  /* kernel time in the sampler (bpf_stats), or 0 */
	uint64_t bpf_run_cnt; /* program runs, every task's ticks included */
	int ncpus;
	enum capture_end end;
};

/*
 * Runs the capture and fills p (borrowed, empty). 0 or -errno; on error one
 * line has been logged.
 */
int capture_run(const struct capture_opts *o, struct profile *p,
		struct capture_result *res);

#endif
