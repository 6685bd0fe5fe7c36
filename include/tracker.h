/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tracker: what zprofd keeps in step with the processes it samples, shared
 * by the one-shot capture and the daemon. On a process's first sample it
 * snapshots the maps and starts the Python walker (offsets, thread-state
 * uprobes, thread list); it retries targets whose interpreter is still
 * starting, re-reads maps when a new stack runs code outside the snapshot,
 * follows fork/exec/exit events, and reads a new stack's Python code
 * objects while the process is still alive.
 *
 * Borrows the symbolizer, pysym and sampler; owns the unwinder it starts
 * over the sampler's unwind maps. All calls come from the one thread that
 * drains the ring buffer.
 */
#ifndef ZPROFD_TRACKER_H
#define ZPROFD_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "pysym.h"
#include "sample_abi.h"
#include "sampler.h"
#include "symbolize.h"
#include "unwinder.h"

struct tracker;

struct tracker_stats {
	uint64_t children;    /* descendants followed (FORK events) */
	uint64_t execs;	      /* sampled processes that exec'd */
	uint64_t exits;	      /* sampled processes that exited */
	uint64_t probe_procs; /* processes with thread-state uprobes */
	uint64_t maps_refreshes;
};

/* PY may be NULL (no Python walking). */
struct tracker *tracker__new(struct symbolizer *sym, struct pysym *py);
void tracker__free(struct tracker *t);
/* The sampler is created after the tracker (its callbacks need one). */
void tracker__set_sampler(struct tracker *t, struct sampler *smp);

/*
 * Unwind tables for every process seen from now on: creates an unwinder
 * over the sampler's unwind maps (after tracker__set_sampler(), before
 * the first tracker__attach()). The tracker owns it and frees it in
 * tracker__free(). Without this call native stacks use frame pointers.
 * 0 or -errno (-EINVAL: no sampler, or started already).
 */
int tracker__start_unwinder(struct tracker *t);
/* The unwinder's counters; all zero when none was started. */
void tracker__unwind_stats(const struct tracker *t, struct unwinder_stats *st);

/* Load PID's unwind tables, and walk its Python frames if it is a CPython
 * we support. */
void tracker__attach(struct tracker *t, uint32_t pid);
/* Before a sample is aggregated: first sight, thread refresh, retries. */
void tracker__before(struct tracker *t, const struct zp_sample *s);
/* After: ADDED is aggregator__add()'s result (1: a new stack). */
void tracker__after(struct tracker *t, const struct zp_sample *s, int added);
void tracker__event(struct tracker *t, const struct zp_proc_event *ev);
/* Followed descendants still alive (reaps those whose exit was missed). */
size_t tracker__children(struct tracker *t);
/*
 * Pids that exited since the last call, at most MAX; the caller releases
 * their symbols once nothing it still has to build refers to them.
 */
size_t tracker__take_exited(struct tracker *t, uint32_t *pids, size_t max);
void tracker__stats(const struct tracker *t, struct tracker_stats *st);

#endif
