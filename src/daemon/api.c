// SPDX-License-Identifier: BSD-2-Clause
/*
 * The daemon's HTTP endpoints. Handlers run on the server's connection
 * threads, concurrently; they read only what daemon_int.h says is shared
 * (metrics, the process table, stored windows, the capture slot), each
 * under its own lock, and never the main thread's sampler or symbolizers.
 *
 *   GET /healthz                    "ok" (no token: liveness probes)
 *   GET /metrics                    Prometheus text format
 *   GET /processes                  JSON array of tracked processes
 *   GET /profiles                   stored windows merged:
 *       ?from=MS&to=MS (Unix epoch milliseconds, default the last 15 min)
 *       [&pid=PID][&container=ID][&pod=UID][&comm=NAME]
 *       [&format=pprof|folded]
 *   GET /debug/pprof/profile        live capture, gzipped pprof:
 *       ?seconds=N (1..60, default 30) [&pid=PID]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon_int.h"
#include "log.h"
#include "merge.h"
#include "output.h"
#include "pprof_read.h"

#define PPROF_CONTENT_TYPE "application/octet-stream"
#define JSON_CONTENT_TYPE  "application/json"
/* Time the main thread gets to build a capture after it ended. */
#define CAPTURE_BUILD_TIMEOUT_S 30
#define PROFILES_DEFAULT_MS	(15 * 60 * 1000ll)
/* Epoch milliseconds up to the year 2286, as the store names windows. */
#define EPOCH_MS_MAX 9999999999999ll

static int h_healthz(struct http_request *req, struct http_response *resp,
		     void *ctx)
{
	(void)ctx;
	if (http_query_allow(req, NULL))
		return -EINVAL;
	return http_response__printf(resp, 200, "ok\n");
}

static int h_metrics(struct http_request *req, struct http_response *resp,
		     void *ctx)
{
	struct daemon *d = ctx;
	char *out = NULL;
	size_t len = 0;
	int err;

	if (http_query_allow(req, NULL))
		return -EINVAL;
	err = metrics__render(d->metrics, METRICS_RENDER_MAX, &out, &len);
	if (err)
		return err;
	return http_response__set_body(resp, 200, METRICS_CONTENT_TYPE, out,
				       len);
}

static int h_processes(struct http_request *req, struct http_response *resp,
		       void *ctx)
{
	struct daemon *d = ctx;
	char *out = NULL;
	size_t len = 0;
	int err;

	if (http_query_allow(req, NULL))
		return -EINVAL;
	err = proctable__json(d->procs, &out, &len);
	if (err)
		return err;
	return http_response__set_body(resp, 200, JSON_CONTENT_TYPE, out, len);
}

struct merge_ctx {
	struct profile *dst;
	const struct merge_filter *filter;
	unsigned windows;
};

static int merge_window(const struct store_window *w, const void *data,
			size_t len, void *ctx)
{
	struct merge_ctx *m = ctx;
	struct profile *src = profile__new();
	int err;

	if (!src)
		return -ENOMEM;
	err = pprof__read(src, data, len);
	if (!err)
		err = profile__merge(m->dst, src, m->filter);
	profile__free(src);
	if (!err)
		m->windows++;
	/* over the reader's bounds is not corrupt: skipped, not
	 * quarantined (-EBADMSG is passed on for the store to do that) */
	if (err == -EFBIG) {
		log_warn("window %lld-%lld skipped: too large to merge",
			 (long long)w->start_ms, (long long)w->end_ms);
		err = 0;
	}
	return err;
}

static int encode_folded(const struct profile *p, char **out, size_t *len)
{
	FILE *f = open_memstream(out, len);
	int err;

	if (!f)
		return -errno;
	err = folded_write(p, f);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

static int h_profiles(struct http_request *req, struct http_response *resp,
		      void *ctx)
{
	static const char *const formats[] = { "pprof", "folded", NULL };
	struct daemon *d = ctx;
	struct merge_filter f = {};
	struct merge_ctx m = { .filter = &f };
	struct timespec now;
	int64_t from, to, pid, now_ms;
	uint8_t *buf = NULL;
	char *text = NULL, count[24];
	size_t len = 0;
	int format, err;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (http_query_allow(req, "from", "to", "pid", "container", "pod",
			     "comm", "format", NULL) ||
	    http_query_int(req, "to", 1, EPOCH_MS_MAX, now_ms, &to) ||
	    http_query_int(req, "from", 0, EPOCH_MS_MAX - 1,
			   to > PROFILES_DEFAULT_MS ? to - PROFILES_DEFAULT_MS
						    : 0,
			   &from) ||
	    http_query_int(req, "pid", 1, 4194304, 0, &pid) ||
	    http_query_str(req, "container", HTTP_CHARSET_HEX,
			   &f.container_id) ||
	    http_query_str(req, "pod", HTTP_CHARSET_UUID, &f.pod_uid) ||
	    http_query_str(req, "comm", HTTP_CHARSET_COMM, &f.comm) ||
	    http_query_enum(req, "format", formats, 0, &format))
		return -EINVAL;
	if (from >= to)
		return http_request__fail(req, 400, "from must be before to");
	f.pid = (uint32_t)pid;

	m.dst = profile__new();
	if (!m.dst)
		return -ENOMEM;
	err = store__query(d->store, from, to, merge_window, &m);
	if (!err)
		err = profile__status(m.dst);
	if (!err && format == 0)
		err = daemon_encode_gz(m.dst, &buf, &len);
	else if (!err)
		err = encode_folded(m.dst, &text, &len);
	profile__free(m.dst);
	if (err)
		return err;
	/* how many windows the answer covers, for clients and tests */
	snprintf(count, sizeof(count), "%u", m.windows);
	err = http_response__add_header(resp, "X-Zprofd-Windows", count);
	if (!err && format == 0)
		err = http_response__add_header(
		    resp, "Content-Disposition",
		    "attachment; filename=\"profile\"");
	if (err) {
		free(buf);
		free(text);
		return err;
	}
	if (format == 0)
		return http_response__set_body(resp, 200, PPROF_CONTENT_TYPE,
					       (char *)buf, len);
	return http_response__set_body(resp, 200, HTTP_CONTENT_TYPE_TEXT, text,
				       len);
}

/* Under cap.lock: wait for DONE until the deadline or shutdown. */
/*
 * The capture's N seconds count from when the main thread starts
 * collecting, which may be a while after the request when it is busy
 * (a window being built, tables for new processes): otherwise the profile
 * would cover less than was asked for.
 */
static void capture_wait_started(struct capture_slot *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += CAPTURE_BUILD_TIMEOUT_S;
	while (c->state == CAPTURE_REQUESTED && !c->shutdown)
		if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) ==
		    ETIMEDOUT)
			break;
}

static void capture_wait(struct capture_slot *c)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += CAPTURE_BUILD_TIMEOUT_S;
	while (c->state != CAPTURE_DONE && !c->shutdown)
		if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) ==
		    ETIMEDOUT)
			break;
}

static int h_profile(struct http_request *req, struct http_response *resp,
		     void *ctx)
{
	struct daemon *d = ctx;
	struct capture_slot *c = &d->cap;
	int64_t seconds, pid;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (http_query_allow(req, "seconds", "pid", NULL) ||
	    http_query_int(req, "seconds", 1, DAEMON_CAPTURE_MAX_S, 30,
			   &seconds) ||
	    http_query_int(req, "pid", 1, 4194304, 0, &pid))
		return -EINVAL;

	pthread_mutex_lock(&c->lock);
	if (c->shutdown) {
		pthread_mutex_unlock(&c->lock);
		return -ECANCELED;
	}
	if (c->state != CAPTURE_IDLE) {
		pthread_mutex_unlock(&c->lock);
		return http_request__fail(req, 429,
					  "another capture is running");
	}
	c->state = CAPTURE_REQUESTED;
	c->pid = (uint32_t)pid;
	capture_wait_started(c);
	pthread_mutex_unlock(&c->lock);

	err = http_request__sleep(req, (unsigned)seconds * 1000);

	pthread_mutex_lock(&c->lock);
	if (!err && !c->shutdown) {
		c->state = CAPTURE_FINISH;
		capture_wait(c);
	}
	if (c->state == CAPTURE_DONE) {
		buf = c->buf;
		len = c->len;
		err = c->err;
		c->buf = NULL;
		c->state = CAPTURE_IDLE;
	} else {
		/* the main thread cleans up when it next looks */
		c->state = CAPTURE_CANCELLED;
		err = -ECANCELED;
	}
	pthread_mutex_unlock(&c->lock);
	if (err) {
		free(buf);
		return err;
	}
	err = http_response__add_header(resp, "Content-Disposition",
					"attachment; filename=\"profile\"");
	if (err) {
		free(buf);
		return err;
	}
	return http_response__set_body(resp, 200, PPROF_CONTENT_TYPE,
				       (char *)buf, len);
}

int daemon_api_routes(struct daemon *d)
{
	int err;

	err = http_server__route(d->http, "/healthz", HTTP_ROUTE_PUBLIC,
				 h_healthz, d);
	if (!err)
		err = http_server__route(d->http, "/metrics", 0, h_metrics, d);
	if (!err)
		err = http_server__route(d->http, "/processes", 0, h_processes,
					 d);
	if (!err)
		err =
		    http_server__route(d->http, "/profiles", 0, h_profiles, d);
	if (!err)
		err = http_server__route(d->http, "/debug/pprof/profile", 0,
					 h_profile, d);
	if (err)
		log_error("registering the HTTP routes failed: %s",
			  strerror(-err));
	return err;
}
