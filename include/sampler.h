/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sampler: owns the BPF side of a capture. It opens the sampler skeleton,
 * sizes its maps and sets its read-only knobs, loads it, opens one perf
 * event per CPU with the program attached, and hands every ring buffer
 * record to a callback. Records are borrowed: valid only during the call.
 */
#ifndef ZPROFD_SAMPLER_H
#define ZPROFD_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample_abi.h"

/* How user stacks are read. */
enum sampler_unwind {
	SAMPLER_UNWIND_AUTO = 0, /* tables where they exist, else FP */
	SAMPLER_UNWIND_FP,	 /* frame pointers only (bpf_get_stack) */
	SAMPLER_UNWIND_DWARF,	 /* tables only; no frame-pointer steps */
};

enum sampler_event {
	SAMPLER_EVENT_CPU_CLOCK = 0, /* software timer: works everywhere */
	SAMPLER_EVENT_CYCLES,	     /* hardware PMU cycles */
};

/* Return non-zero to stop consuming (the value is passed back from poll). */
typedef int (*sampler_cb)(void *ctx, const struct zp_sample *s, size_t len);
typedef void (*sampler_event_cb)(void *ctx, const struct zp_proc_event *ev);

struct sampler_opts {
	bool all;	      /* every process but ourselves */
	const uint32_t *pids; /* thread group ids, when !all */
	size_t npids;
	size_t max_targets;	/* capacity of the pid filter; 0: 1024 */
	unsigned int frequency; /* Hz per CPU */
	enum sampler_event event;
	bool kernel_stacks;
	bool user_stacks;
	size_t ringbuf_bytes;  /* rounded up to a power of two pages; 0: auto */
	const char *btf_path;  /* NULL: the kernel's own BTF */
	bool python;	       /* walk Python frames of known processes */
	size_t max_py_procs;   /* 0: 1024 */
	size_t max_py_threads; /* 0: 16384 */
	bool follow_children;  /* children of targets become targets */
	bool defer_attach;     /* load only; sampler__attach() starts it */
	enum sampler_unwind unwind;
	size_t unwind_rows;	 /* row pool for every table; 0: 2M */
	size_t max_unwind_procs; /* 0: 1024 */
	sampler_cb cb;
	sampler_event_cb event_cb; /* fork/exec/exit; NULL: ignored */
	void *cb_ctx;
};

struct sampler;

/*
 * Loads and attaches. On failure returns NULL with errno set and has logged
 * one line that names the cause (missing BTF, no permission, event not
 * supported, ...).
 */
struct sampler *sampler__new(const struct sampler_opts *opts);
void sampler__free(struct sampler *s);

/* The ring buffer's epoll fd, for callers that multiplex. */
int sampler__epoll_fd(const struct sampler *s);
/* Consume what is ready, waiting up to timeout_ms. >= 0 records, or -errno. */
int sampler__poll(struct sampler *s, int timeout_ms);
/* Consume everything left without waiting. */
int sampler__drain(struct sampler *s);
/* Start or stop sampling a thread group. */
int sampler__add_target(struct sampler *s, uint32_t pid);
int sampler__remove_target(struct sampler *s, uint32_t pid);
/* Python processes and their thread states, for the in-kernel walker. */
int sampler__set_py_proc(struct sampler *s, uint32_t pid,
			 const struct zp_py_proc *cfg);
/* Replace PID's thread map entries with these (thread_id -> tstate). */
int sampler__set_py_threads(struct sampler *s, uint32_t pid,
			    const uint64_t *thread_ids, const uint64_t *tstates,
			    size_t n);
/* Forget a Python process (exit, exec). */
/*
 * Removes PID's walker config, thread states and thread-state uprobes.
 */
void sampler__remove_py_proc(struct sampler *s, uint32_t pid);
/*
 * Attaches the thread-state lifecycle uprobes (thread bound, created,
 * cleared) to the interpreter binary PATH (as seen from here, e.g.
 * /proc/PID/root/...) for PID only, at the file OFFSETS of
 * PyEval_AcquireThread, PyThreadState_New and PyThreadState_Clear. Through
 * perf events, or uprobe_multi links where those are refused (Linux 6.16+
 * without CAP_SYS_ADMIN). 0, or -errno with nothing attached; the walker
 * still works without them (threads are then found by a refresh on their
 * first unknown sample).
 */
#define SAMPLER_PY_PROBES 3
int sampler__attach_py_probes(struct sampler *s, uint32_t pid, const char *path,
			      const uint64_t offsets[SAMPLER_PY_PROBES]);
bool sampler__has_py_probes(struct sampler *s, uint32_t pid);

/* Stop the perf events (records already queued can still be drained). */
/* Start sampling after a deferred attach (maps filled first). */
int sampler__attach(struct sampler *s);
void sampler__detach(struct sampler *s);
/* Sum of the per-CPU counters, indexed by enum zp_stat. */
int sampler__stats(const struct sampler *s, uint64_t out[ZP_STAT__MAX]);
/*
 * Total time the kernel spent in the sampler program (tail-called walker
 * included) and how often it ran, when kernel.bpf_stats_enabled is 1;
 * -ENODATA otherwise.
 */
int sampler__prog_runtime(const struct sampler *s, uint64_t *run_ns,
			  uint64_t *run_cnt);
/* Number of CPUs a perf event is attached on. */
/* The same for the thread-state uprobes together (0 hits is not an error). */
int sampler__probe_runtime(const struct sampler *s, uint64_t *run_ns,
			   uint64_t *run_cnt);
int sampler__ncpus(const struct sampler *s);
/* The unwind maps (rows, rules, per-process mappings) for src/unwind/. */
int sampler__unwind_fds(const struct sampler *s, int *rows, int *rules,
			int *procs);

#endif
