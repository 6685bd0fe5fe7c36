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
 *   GET /debug/pprof/profile        live capture, gzipped pprof:
 *       ?seconds=N (1..60, default 30) [&pid=PID]
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon_int.h"
#include "log.h"

#define PPROF_CONTENT_TYPE "application/octet-stream"
#define JSON_CONTENT_TYPE  "application/json"
/* Time the main thread gets to build a capture after it ended. */
#define CAPTURE_BUILD_TIMEOUT_S 30

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

/* Under cap.lock: wait for DONE until the deadline or shutdown. */
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
		err = http_server__route(d->http, "/debug/pprof/profile", 0,
					 h_profile, d);
	if (err)
		log_error("registering the HTTP routes failed: %s",
			  strerror(-err));
	return err;
}
