/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics: a small registry of counters and gauges, plain or in labelled
 * families (zprofd_samples_lost_total{reason="ringbuf"}), rendered as the
 * Prometheus text exposition format 0.0.4 for GET /metrics.
 *
 * Concurrency: values are atomics, so the daemon core sets them from any
 * thread without a lock and a scrape never sees a torn value. Registration
 * and rendering take the registry's mutex, so children may be added while
 * an HTTP thread renders. Collectors (metrics__add_collector()) run at the
 * start of every render, on the rendering thread and without the mutex:
 * that is where values that are costly to read (BPF map counters, /proc)
 * are refreshed only when someone asks. Two scrapes may run collectors
 * concurrently; they must be thread-safe (setting values is).
 *
 * Output is deterministic: families sorted by name, children by label
 * values, each family's HELP and TYPE before its samples.
 */
#ifndef ZPROFD_METRICS_H
#define ZPROFD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX_LABELS   4
#define METRICS_MAX_NAME     128
/* A bound for metrics__render(): the daemon's whole exposition is ~10 KiB. */
#define METRICS_RENDER_MAX (1u << 20)

enum metric_type { METRIC_COUNTER, METRIC_GAUGE };

struct metric_desc {
	/*
	 * [a-zA-Z_:][a-zA-Z0-9_:]*; counters must end in "_total" (the
	 * convention promtool enforces).
	 */
	const char *name;
	const char *help; /* UTF-8, any text; escaped when rendered */
	enum metric_type type;
	/*
	 * Values are doubles (seconds, ratios) rather than u64 counts. u64
	 * values render exactly, without a double's 53-bit mantissa.
	 */
	bool fractional;
	/*
	 * Label names, [a-zA-Z_][a-zA-Z0-9_]* not starting with "__", unique;
	 * the first NULL ends the list. None: a plain metric.
	 */
	const char *labels[METRICS_MAX_LABELS];
};

struct metrics;
struct metric_family;
struct metric; /* one time series: a plain metric or a family's child */

/* An empty registry, or NULL with *ERR = -ENOMEM. */
struct metrics *metrics__new(int *err);
/* Frees every family and child. No render may be running. NULL safe. */
void metrics__free(struct metrics *r);

/*
 * Register a family (D and its strings are copied). NULL with *ERR:
 * -EINVAL (bad name, label name or UTF-8), -EEXIST (name taken), -ENOMEM.
 * Borrowed, valid until metrics__free().
 */
struct metric_family *metrics__family(struct metrics *r,
				      const struct metric_desc *d, int *err);

/*
 * The child with label VALUES (one per label name; UTF-8, copied), created
 * on first use, so asking twice gives the same child. NULL with *ERR:
 * -EINVAL (invalid UTF-8), -ENOMEM. For a family without labels VALUES is
 * ignored and the one child is returned. Borrowed until metrics__free().
 */
struct metric *metric_family__child(struct metric_family *f,
				    const char *const *values, int *err);

/* A plain u64 counter or gauge: metrics__family() plus its child. */
struct metric *metrics__counter(struct metrics *r, const char *name,
				const char *help, int *err);
struct metric *metrics__gauge(struct metrics *r, const char *name,
			      const char *help, int *err);

/*
 * Lock-free setters, any thread, NULL safe. A fractional metric converts
 * u64 arguments to double; an integral one rounds doubles, clamping to
 * [0, UINT64_MAX] (NaN gives 0).
 */
void metric_set(struct metric *m, uint64_t v);
void metric_add(struct metric *m, uint64_t delta);
void metric_set_double(struct metric *m, double v);
/* The current value as a double (tests, and the core's own checks). */
double metric_value(const struct metric *m);

typedef void metrics_collect_fn(struct metrics *r, void *ctx);

/* Run FN(R, CTX) before every render. -ENOSPC beyond 8, -EINVAL. */
int metrics__add_collector(struct metrics *r, metrics_collect_fn *fn,
			   void *ctx);

/*
 * Register process_cpu_seconds_total (user + system CPU of the whole
 * process, from getrusage) and process_resident_memory_bytes (from
 * /proc/self/statm), refreshed at each render. 0 or -errno.
 */
int metrics__add_process(struct metrics *r);

/*
 * Run the collectors and render the exposition into *OUT (malloc'd, caller
 * frees; NUL-terminated, *LEN excludes the NUL). -E2BIG when it would
 * exceed MAX bytes, -ENOMEM.
 */
int metrics__render(struct metrics *r, size_t max, char **out, size_t *len);

/*
 * Resident bytes from the text of /proc/PID/statm ("size resident shared
 * ..." in pages). 0 or -EINVAL.
 */
int metrics_parse_statm(const char *buf, size_t len, uint64_t page_size,
			uint64_t *rss);

#endif
