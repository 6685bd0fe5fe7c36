/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * proctable: the daemon's bounded table of the processes it has sampled,
 * keyed by pid. An entry is filled once, on the process's first sample
 * (comm, executable, cgroup and the container labels derived from it), and
 * kept for the process's life, so the per-sample path is one hash probe and
 * a counter increment; /proc is read only when a process is new (or execs).
 *
 * Capacity is fixed at creation. When the table is full, the entry that
 * has gone longest without a sample is evicted: exits whose event was lost
 * would otherwise pin entries forever.
 *
 * Threading: the main thread owns the table and is its only writer; HTTP
 * threads read it through proctable__json() and proctable__stats(). The lock
 * guards the structure and the published counters. The per-sample counter is
 * the main thread's alone (no lock on the hot path) and becomes visible to
 * readers when proctable__end_window() publishes it.
 */
#ifndef ZPROFD_PROCTABLE_H
#define ZPROFD_PROCTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "elfsyms.h"
#include "sample_abi.h"

#define PROC_EXE_LEN 256

struct proc_entry {
	uint32_t pid;
	bool used;
	bool allowed; /* the [filters] verdict */
	bool cgroup_ok;
	uint8_t qos;	 /* enum cgroup_qos */
	uint8_t runtime; /* enum cgroup_runtime */
	char comm[ZP_COMM_LEN];
	char exe[PROC_EXE_LEN];
	char build_id[ELFSYMS_BUILD_ID_SIZE]; /* the executable's, hex; "" */
	char container_id[CGROUP_ID_LEN];
	char pod_uid[CGROUP_POD_UID_LEN];
	char cgroup[CGROUP_PATH_LEN];
	uint64_t last_window; /* window number of the last sample */
	/* main thread only */
	uint64_t pending; /* samples in the current window */
	uint32_t labelset;
	uint64_t labelset_gen; /* the profile build labelset belongs to */
	/* published under the lock at the end of each window */
	uint64_t window_samples;
	uint64_t total_samples;
};

struct proctable;
struct zp_config;

/*
 * NULL with errno set. PROC_ROOT: NULL for "/proc" (tests use a fake one).
 * The [filters] verdicts come from the CFG passed to each call below.
 */
struct proctable *proctable__new(size_t capacity, const char *proc_root);
void proctable__free(struct proctable *t);

/* Main thread. The entry for PID, or NULL when unknown. */
struct proc_entry *proctable__find(struct proctable *t, uint32_t pid);
/*
 * Main thread. The entry for PID, created from /proc when new (COMM is the
 * fallback name when /proc no longer has the process). WINDOW is the current
 * window number (for eviction). Never NULL: the table always has room.
 */
struct proc_entry *proctable__get(struct proctable *t, uint32_t pid,
				  const char *comm, uint64_t window,
				  const struct zp_config *cfg);
/* Main thread: reread comm and executable after an exec. */
void proctable__refresh(struct proctable *t, uint32_t pid,
			const struct zp_config *cfg);
void proctable__remove(struct proctable *t, uint32_t pid);
/* Main thread: recompute every [filters] verdict after a reload. */
void proctable__refilter(struct proctable *t, const struct zp_config *cfg);
/* Main thread: publish the window's counts and start a new window. */
void proctable__end_window(struct proctable *t);

struct proctable_stats {
	size_t count;	  /* entries now */
	uint64_t evicted; /* entries evicted to make room, since creation */
};
void proctable__stats(struct proctable *t, struct proctable_stats *st);
/*
 * Any thread: a JSON array of the tracked processes, malloc'd into *OUT.
 * 0 or -ENOMEM.
 */
int proctable__json(struct proctable *t, char **out, size_t *len);

/*
 * JSON string escaping (exported for the unit tests): appends the quoted,
 * escaped form of S[0..N) to a growing buffer. Bytes that are not valid
 * UTF-8 become U+FFFD so the document always parses.
 */
struct jbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};
void jbuf_puts(struct jbuf *b, const char *s);
void jbuf_printf(struct jbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void jbuf_string(struct jbuf *b, const char *s, size_t n);

#endif
