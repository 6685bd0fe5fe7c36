/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the daemon's main loop (daemon.c) and its HTTP handlers (api.c)
 * share, and the rules for sharing it.
 *
 * The main thread owns the sampler, tracker, symbolizer, pysym, the
 * aggregators and the profile builds; handlers never touch them. Handlers
 * reach the main thread through:
 *   - the metrics registry (atomics; the main thread publishes its counters
 *     about once a second),
 *   - the process table (its own lock, see proctable.h),
 *   - the window store (its own lock) or, before one exists, the state
 *     directory,
 *   - the live capture slot below, under capture.lock.
 *
 * Live capture (/debug/pprof/profile): one slot. A handler claims it
 * (IDLE -> REQUESTED), sleeps for the capture's seconds, then asks for the
 * result (ACTIVE -> FINISH) and waits on capture.cond. The main thread
 * notices REQUESTED within one loop turn (starts copying matching samples
 * into its capture aggregator: ACTIVE), and on FINISH builds and encodes
 * the profile on its own thread and hands the bytes back (DONE). A handler
 * that gives up (client gone, timeout) sets CANCELLED; the main thread then
 * discards whatever it had and frees the slot. While a capture is active the
 * main thread keeps the symbols of exited processes, which the capture may
 * still need.
 */
#ifndef ZPROFD_DAEMON_INT_H
#define ZPROFD_DAEMON_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "aggregate.h"
#include "config.h"
#include "daemon.h"
#include "http.h"
#include "metrics.h"
#include "profile.h"
#include "proctable.h"
#include "push.h"
#include "pysym.h"
#include "sampler.h"
#include "store.h"
#include "symbolize.h"
#include "tracker.h"

#define DAEMON_CAPTURE_MAX_S 60

enum capture_state {
	CAPTURE_IDLE = 0,
	CAPTURE_REQUESTED, /* claimed by a handler */
	CAPTURE_ACTIVE,	   /* the main thread is collecting */
	CAPTURE_FINISH,	   /* the handler wants the result */
	CAPTURE_DONE,	   /* result in buf/len/err */
	CAPTURE_CANCELLED, /* the handler left; main thread cleans up */
};

struct capture_slot {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum capture_state state;
	bool shutdown; /* the daemon is stopping: waiters give up */
	uint32_t pid;  /* 0: every process */
	uint8_t *buf;  /* gzipped pprof, handed to the handler */
	size_t len;
	int err;
};

struct daemon_metrics {
	struct metric *samples;
	struct metric *lost_ringbuf, *lost_stack_table, *lost_malformed;
	struct metric *lost_proc_events;
	struct metric *processes, *processes_evicted, *python_processes;
	struct metric *windows_written, *window_write_errors;
	struct metric *stacks_in_window;
	struct metric *store_bytes, *store_windows, *store_evicted;
	struct metric *sym_files, *sym_bytes, *sym_procs;
	struct metric *captures;
	struct metric *http_requests, *http_rejected, *http_failed;
	struct metric *push_requests, *push_bytes, *push_failures;
	struct metric *push_queued, *push_build_errors;
	struct metric *push_dropped_full, *push_dropped_refused;
	struct metric *push_dropped_stop;
};

struct daemon {
	struct zp_config *cfg;
	const char *config_path;
	const struct daemon_overrides *ov;
	char node_name[CONFIG_LABEL_VALUE_LEN];

	/* main thread only */
	struct symbolizer *sym;
	struct pysym *py;
	struct tracker *trk;
	struct sampler *smp;
	struct aggregator *agg;
	uint64_t window_no;
	uint64_t build_gen;	 /* profile builds, for label set caching */
	int64_t window_start_ms; /* Unix epoch */
	int64_t window_start_ns; /* CLOCK_MONOTONIC */
	uint64_t samples_total;
	uint64_t lost_stack_table, lost_malformed;
	uint64_t windows_written, window_write_errors;
	uint64_t failed_run; /* windows not stored since the last stored one */
	struct pusher *push; /* NULL: push.url unset */
	uint64_t push_build_errors;
	struct push_counters push_base; /* of pushers stopped by reloads */
	struct aggregator *cap_agg; /* live capture, allocated on first use */
	bool cap_active;
	uint32_t cap_pid;
	int64_t cap_start_ns, cap_start_real_ns;

	/* shared, with their own locking */
	struct proctable *procs;
	struct store *store;
	struct metrics *metrics;
	struct daemon_metrics m;
	struct capture_slot cap;
	struct http_server *http;
	bool api_token; /* main thread: the API asks for a token */
};

/*
 * push_out.c: queue the window [window_start_ms, END_MS) whose profile is P
 * and whose encoding is *BUF (LEN bytes) on D->push, split as push.
 * service_name_from says. May take *BUF over (then sets it to NULL).
 * Failures are counted in push_build_errors.
 */
void daemon_push_window(struct daemon *d, const struct profile *p,
			uint8_t **buf, size_t len, int64_t end_ms);

/* api.c: register the HTTP routes on D->http. 0 or -errno. */
int daemon_api_routes(struct daemon *d);

/*
 * Encode P as a gzipped pprof into a malloc'd buffer. 0 or -errno. Any
 * thread (P is the caller's).
 */
int daemon_encode_gz(const struct profile *p, uint8_t **buf, size_t *len);

#endif
