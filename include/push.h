/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * push: ships each closed window to a Grafana Pyroscope server through its
 * documented ingest API, from a thread of its own, so that a slow or dead
 * server never holds up sampling.
 *
 * A window becomes one request per service:
 *
 *   POST BASE/ingest?name=SERVICE{node=N,LABEL=V...}&from=S&until=S
 *        &format=pprof&sampleRate=HZ&spyName=zprofd
 *   Content-Type: multipart/form-data, the gzipped pprof in part "profile"
 *
 * The series labels in the name are the node and the static [labels]; the
 * process, container and pod labels travel on the pprof samples, which
 * Pyroscope turns into series labels of their own.
 *
 * Windows wait in a queue bounded by count (push.queue) and by bytes
 * (PUSH_QUEUE_BYTES_MAX); when it is full the oldest waiting window is
 * dropped and counted. A request that fails in a way worth retrying
 * (no connection, timeout, HTTP 408, 429 or 5xx) is retried with
 * exponential backoff and jitter, PUSH_BACKOFF_MIN_MS to PUSH_BACKOFF_MAX_MS,
 * and holds the queue meanwhile; so do 401 and 403, which an operator fixes
 * (a rotated credential comes with the next reload). Any other answer
 * outside 2xx means the server will never take that request: it is dropped
 * and counted. Messages show the URL without its query (it may hold a key).
 *
 * Thread safety: the pusher__*() functions belong to one thread (the
 * daemon's main loop); the sending thread is internal. push_window__*() on
 * a window nobody else holds yet.
 */
#ifndef ZPROFD_PUSH_H
#define ZPROFD_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define PUSH_BACKOFF_MIN_MS  1000u
#define PUSH_BACKOFF_MAX_MS  60000u
#define PUSH_QUEUE_BYTES_MAX ((size_t)64 << 20)
/* Services (requests) one window is split into at most; see the daemon. */
#define PUSH_SERVICES_MAX 64
/* On stop, how long the queue may still be sent before it is dropped. */
#define PUSH_DRAIN_MS 5000u
/* The longest ingest URL built: a 4 KiB name %-encoded, and the base. */
#define PUSH_URL_MAX 16384
/* Largest token or password file read. */
#define PUSH_SECRET_MAX 4096

struct push_counters {
	uint64_t requests;	  /* requests the server accepted (2xx) */
	uint64_t bytes;		  /* their profile bytes */
	uint64_t failures;	  /* attempts that failed and will be retried */
	uint64_t dropped_full;	  /* windows dropped by the queue bounds */
	uint64_t dropped_refused; /* requests the server refused (4xx) */
	uint64_t dropped_stop;	  /* windows still queued when it stopped */
	uint64_t queued;	  /* windows waiting now */
	uint64_t queued_bytes;
};

/* A window's requests, built by the caller and handed to pusher__push(). */
struct push_window;

/* [from_ms, until_ms): Unix epoch milliseconds. NULL on ENOMEM. */
struct push_window *push_window__new(int64_t from_ms, int64_t until_ms);
void push_window__free(struct push_window *w); /* NULL safe */

/*
 * Add the request for one service: SERVICE as the service name (characters
 * outside letters, digits and . _ : / - become _; "" is refused), LABELS
 * the series labels (names as config.h allows them; values are cleaned of
 * the characters the name syntax reserves), BODY a gzipped pprof of LEN
 * bytes, taken over on success (freed by the window). 0, -EINVAL, -ENOMEM
 * (BODY still the caller's on failure).
 */
int push_window__add(struct push_window *w, const char *service,
		     const struct zp_label *labels, size_t nlabels,
		     uint8_t *body, size_t len);

struct pusher;

/*
 * A pusher configured from C's [push] section (push_url must be set),
 * SAMPLE_RATE_HZ the daemon's frequency (the sampleRate parameter), with
 * its sending thread running. Reads the token and password files now.
 * NULL with *ERR: -EINVAL with the reason in MSG (MSGLEN bytes, NUL
 * terminated), -ENOMEM, or another -errno from reading a file.
 */
struct pusher *pusher__new(const struct zp_config *c, uint32_t sample_rate_hz,
			   char *msg, size_t msglen, int *err);

/*
 * Stop: with DRAIN, sends what is queued for at most PUSH_DRAIN_MS (no
 * backoff); without, abandons a request in flight within about a second
 * (libcurl's progress callback period). Drops the rest (counted), joins
 * the thread and frees. The final counters go to LAST unless it is NULL.
 * NULL safe (LAST then untouched).
 */
void pusher__free(struct pusher *p, struct push_counters *last, bool drain);

/*
 * New [push] settings (SIGHUP): URL, credentials, tenant, timeout and queue
 * bound, used from the next request on; queued windows stay and go to the
 * new URL. On failure (-EINVAL with MSG, -ENOMEM, a file's -errno) the old
 * settings stay.
 */
int pusher__configure(struct pusher *p, const struct zp_config *c, char *msg,
		      size_t msglen);

/*
 * Queue W (taken over, even on failure). When the queue is over a bound,
 * the oldest windows not being sent are dropped first. 0 or -EINVAL.
 */
int pusher__push(struct pusher *p, struct push_window *w);

void pusher__counters(struct pusher *p, struct push_counters *out);

/*
 * The request URL for one service, as documented above: BASE (an http(s)
 * URL; "/ingest" is appended unless its path already ends so) plus the
 * query. NAME is the whole application name ("svc{k=v}"), %-encoded here.
 * 0, or -ENAMETOOLONG when it does not fit SIZE bytes, -EINVAL.
 */
int push_ingest_url(char *buf, size_t size, const char *base, const char *name,
		    int64_t from_ms, int64_t until_ms, uint32_t sample_rate_hz);

/*
 * The application name "SERVICE{LABEL=V,...}" (just SERVICE without
 * labels), cleaned as push_window__add() describes. 0, -EINVAL for an
 * empty service, -ENAMETOOLONG.
 */
int push_app_name(char *buf, size_t size, const char *service,
		  const struct zp_label *labels, size_t nlabels);

#endif
