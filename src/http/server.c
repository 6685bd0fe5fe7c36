// SPDX-License-Identifier: BSD-2-Clause
/*
 * http server: binds the listening socket, runs libmicrohttpd in
 * thread-per-connection mode (see http.h for why) and turns each request
 * into one handler call after the checks every endpoint shares: method,
 * URL and header sizes, no request body, bearer token, a routed path and a
 * well-formed query. Libmicrohttpd parses the request line and headers; the
 * request-target is taken raw from its URI callback so that our own strict
 * parser (query.c) decides what a query means, not a lenient unescaper.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "secret.h"

#define DEF_MAX_CONNECTIONS  32
#define DEF_TIMEOUT_S	     30
#define DEF_MAX_URL	     2048
#define DEF_MAX_HEADER_BYTES 8192
#define ROUTE_PATH_MAX	     64
/* how often a sleeping handler looks at its client's socket */
#define SLEEP_SLICE_MS 200

struct route {
	char path[ROUTE_PATH_MAX];
	unsigned flags;
	http_handler_fn *fn;
	void *ctx;
};

struct http_server {
	struct MHD_Daemon *mhd;
	int fd; /* listening socket; libmicrohttpd closes it once started */
	uint16_t port;
	char addr[INET6_ADDRSTRLEN + 8]; /* as given, for messages */
	char *token;
	size_t token_len;
	unsigned max_connections;
	unsigned timeout_s;
	size_t max_url;
	size_t max_header_bytes;
	struct route routes[HTTP_MAX_ROUTES];
	size_t nroutes;
	/* stopping, and the condition http_request__sleep() waits on */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	_Atomic uint64_t n_requests;
	_Atomic uint64_t n_rejected;
	_Atomic uint64_t n_failed;
};

/* One per request: created by the URI callback, freed on completion. */
struct request_state {
	struct http_request req; /* first: http_request__sleep() casts */
	struct http_server *srv;
	struct MHD_Connection *conn;
	char *target;		   /* raw request-target; NULL when too long */
	const struct route *route; /* set once the request is admitted */
	const char *method;	   /* for the log: "GET", "HEAD" or "-" */
	bool answered;
};

/* ---- responses ---- */

int http_response__set_body(struct http_response *resp, unsigned status,
			    const char *content_type, char *body, size_t len)
{
	free(resp->body);
	resp->status = status;
	resp->content_type = content_type;
	resp->body = body;
	resp->len = body ? len : 0;
	return 0;
}

int http_response__printf(struct http_response *resp, unsigned status,
			  const char *fmt, ...)
{
	char *body;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return http_response__set_body(resp, status, HTTP_CONTENT_TYPE_TEXT,
				       body, (size_t)n);
}

/* RFC 9110 token characters, for header names. */
static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int http_response__add_header(struct http_response *resp, const char *name,
			      const char *value)
{
	struct http_header *h;
	const char *p;

	if (!*name)
		return -EINVAL;
	for (p = name; *p; p++)
		if (!tchar((unsigned char)*p))
			return -EINVAL;
	/* no CR or LF: a handler's value must not start a header of its own */
	for (p = value; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return -EINVAL;
	if (resp->nheaders == HTTP_MAX_EXTRA_HEADERS)
		return -ENOSPC;
	h = &resp->headers[resp->nheaders];
	h->name = strdup(name);
	h->value = strdup(value);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		h->name = h->value = NULL;
		return -ENOMEM;
	}
	resp->nheaders++;
	return 0;
}

void http_response__release(struct http_response *resp)
{
	size_t i;

	if (!resp)
		return;
	free(resp->body);
	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	memset(resp, 0, sizeof(*resp));
}

/*
 * Hand RESP to libmicrohttpd (it takes the body) and release the rest.
 * CLOSE: the server answered before reading what the client sent (a body,
 * or a request we did not parse), so the connection cannot be reused.
 */
static enum MHD_Result send_response(struct request_state *st,
				     struct http_response *resp, bool close)
{
	static char empty[1];
	struct MHD_Response *r;
	enum MHD_Result ret = MHD_NO;
	unsigned status = resp->status ? resp->status : 200;
	size_t i;
	bool ok;

	if (resp->len) {
		r = MHD_create_response_from_buffer(resp->len, resp->body,
						    MHD_RESPMEM_MUST_FREE);
		if (r)
			resp->body = NULL;
	} else {
		r = MHD_create_response_from_buffer(0, empty,
						    MHD_RESPMEM_PERSISTENT);
	}
	if (!r)
		goto out;
	ok = MHD_add_response_header(r, "Content-Type",
				     resp->content_type
					 ? resp->content_type
					 : HTTP_CONTENT_TYPE_TEXT) == MHD_YES;
	/* profiles and metrics are fresh each time; never sniff an svg */
	ok &=
	    MHD_add_response_header(r, "Cache-Control", "no-store") == MHD_YES;
	ok &= MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") ==
	      MHD_YES;
	for (i = 0; i < resp->nheaders; i++)
		ok &=
		    MHD_add_response_header(r, resp->headers[i].name,
					    resp->headers[i].value) == MHD_YES;
	if (close)
		ok &= MHD_add_response_header(r, "Connection", "close") ==
		      MHD_YES;
	if (ok)
		ret = MHD_queue_response(st->conn, status, r);
	MHD_destroy_response(r);
out:
	/* only names we chose reach the log, never the client's bytes */
	log_debug("http: %s %s -> %u", st->method ? st->method : "-",
		  st->req.path ? st->req.path : "(unrouted)", status);
	http_response__release(resp);
	st->answered = true;
	return ret;
}

/* A plain-text error the server produces itself. */
static enum MHD_Result send_error(struct request_state *st, unsigned status,
				  const char *reason, const char *hname,
				  const char *hvalue)
{
	struct http_response resp = { 0 };

	if (status < 500)
		atomic_fetch_add_explicit(&st->srv->n_rejected, 1,
					  memory_order_relaxed);
	if (http_response__printf(&resp, status, "%s\n", reason) ||
	    (hname && http_response__add_header(&resp, hname, hvalue))) {
		http_response__release(&resp);
		return MHD_NO;
	}
	return send_response(st, &resp, true);
}

/* ---- request processing ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *srv = cls;
	struct request_state *st;
	size_t len;

	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->srv = srv;
	st->conn = conn;
	/* too long: no copy, and admit() answers 414 */
	len = strnlen(uri, srv->max_url + 1);
	if (len <= srv->max_url) {
		st->target = strndup(uri, len);
		if (!st->target) {
			free(st);
			return NULL;
		}
	}
	return st;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request_state *st = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!st)
		return;
	http_query__release(&st->req.query);
	free(st->target);
	free(st);
	*req_cls = NULL;
}

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind,
				  const char *key, const char *value)
{
	size_t *sum = cls;

	(void)kind;
	*sum += strlen(key) + (value ? strlen(value) : 0);
	return MHD_YES;
}

static const struct route *find_route(const struct http_server *srv,
				      const char *path)
{
	size_t i;

	for (i = 0; i < srv->nroutes; i++)
		if (!strcmp(srv->routes[i].path, path))
			return &srv->routes[i];
	return NULL;
}

static enum MHD_Result run_handler(struct request_state *st,
				   const struct route *rt)
{
	struct http_response resp = { 0 };
	struct http_request *req = &st->req;
	int err;

	err = rt->fn(req, &resp, rt->ctx);
	if (!err)
		return send_response(st, &resp, false);
	http_response__release(&resp);
	if (req->error_status)
		return send_error(st, req->error_status, req->error, NULL,
				  NULL);
	atomic_fetch_add_explicit(&st->srv->n_failed, 1, memory_order_relaxed);
	if (err == -ECANCELED)
		return send_error(st, 503, "cancelled", NULL, NULL);
	log_warn("http: handler for %s failed: %s", rt->path, strerror(-err));
	return send_error(st, 500, "internal error", NULL, NULL);
}

/*
 * Whether CONN may reach a private route: no token is set, or its bearer
 * token matches. Under the lock: a reload may replace the token.
 */
static bool token_accepts(struct http_server *srv, struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	bool ok;

	pthread_mutex_lock(&srv->lock);
	ok = !srv->token || http_bearer_ok(auth, srv->token, srv->token_len);
	pthread_mutex_unlock(&srv->lock);
	return ok;
}

/*
 * The checks every request passes before its handler: NULL with ST's
 * request filled, or the reason to refuse it in *STATUS and *REASON (plus
 * the one header some refusals carry).
 */
static const struct route *admit(struct request_state *st, const char *method,
				 const char *version, unsigned *status,
				 const char **reason, const char **hname,
				 const char **hvalue)
{
	struct MHD_Connection *conn = st->conn;
	struct http_server *srv = st->srv;
	const struct route *rt;
	const char *cl, *te;
	size_t header_bytes = 0;
	char *query;
	int err;

	*status = 400;
	*hname = *hvalue = NULL;
	if (!strcmp(method, MHD_HTTP_METHOD_GET)) {
		st->req.method = HTTP_GET;
		st->method = "GET";
	} else if (!strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		st->req.method = HTTP_HEAD;
		st->method = "HEAD";
	} else {
		*status = 405;
		*reason = "method not allowed";
		*hname = "Allow";
		*hvalue = "GET, HEAD";
		return NULL;
	}
	if (!st->target) {
		*status = 414;
		*reason = "URL too long";
		return NULL;
	}
	/* RFC 9112 3.2: a 1.1 request without Host is a 400 */
	if (!strcmp(version, MHD_HTTP_VERSION_1_1) &&
	    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_HOST)) {
		*reason = "missing Host header";
		return NULL;
	}
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if ((cl && strcmp(cl, "0")) || te) {
		*status = 413;
		*reason = "request bodies are not accepted";
		return NULL;
	}
	MHD_get_connection_values(conn, MHD_HEADER_KIND, sum_header,
				  &header_bytes);
	if (header_bytes > srv->max_header_bytes) {
		*status = 431;
		*reason = "request headers too large";
		return NULL;
	}

	query = strchr(st->target, '?');
	if (query)
		*query++ = '\0';
	if (!http_path_valid(st->target, strlen(st->target))) {
		*reason = "bad request path";
		return NULL;
	}
	rt = find_route(srv, st->target);
	/*
	 * Authenticate before saying whether a path exists, so that without
	 * the token only the public routes can be discovered.
	 */
	if (!(rt && (rt->flags & HTTP_ROUTE_PUBLIC)) &&
	    !token_accepts(srv, conn)) {
		*status = 401;
		*reason = "missing or wrong token";
		*hname = "WWW-Authenticate";
		*hvalue = "Bearer realm=\"zprofd\"";
		return NULL;
	}
	if (!rt) {
		*status = 404;
		*reason = "not found";
		return NULL;
	}
	st->req.path = rt->path;
	if (query) {
		err = http_query__parse(&st->req.query, query, strlen(query),
					reason);
		if (err) {
			if (err == -ENOMEM)
				*status = 503;
			return NULL;
		}
	}
	return rt;
}

/*
 * libmicrohttpd calls this at least twice per request: once when the
 * headers are in (we validate, and refuse there: answering before the body
 * is read makes it close the connection, which is what a refusal wants),
 * then once the (empty) body is complete, where the handler runs and the
 * connection can stay open for the next request.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct http_server *srv = cls;
	struct request_state *st = *req_cls;
	const char *reason, *hname, *hvalue;
	unsigned status;

	(void)conn;
	(void)url;
	(void)upload_data;
	if (!st)
		return MHD_NO; /* out of memory in on_uri: drop the client */
	if (st->answered || *upload_data_size) {
		/* body bytes we did not ask for: drop them unread */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!st->route) {
		atomic_fetch_add_explicit(&srv->n_requests, 1,
					  memory_order_relaxed);
		st->route = admit(st, method, version, &status, &reason, &hname,
				  &hvalue);
		if (!st->route)
			return send_error(st, status, reason, hname, hvalue);
		return MHD_YES;
	}
	return run_handler(st, st->route);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	(void)cls;
	if (log_threshold < LOG_DEBUG)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("http: libmicrohttpd: %s", line);
}

/* ---- cancellation ---- */

/*
 * Whether the client has gone: a FIN or an error on its socket. A client
 * that half-closes its side while waiting for the answer would look gone;
 * HTTP clients do not do that (pprof, curl and browsers keep both halves).
 */
static bool peer_gone(struct request_state *st)
{
	const union MHD_ConnectionInfo *ci;
	struct pollfd pfd;

	ci = MHD_get_connection_info(st->conn,
				     MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	pfd.fd = ci->connect_fd;
	pfd.events = POLLRDHUP;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return false;
	return pfd.revents & (POLLRDHUP | POLLHUP | POLLERR);
}

bool http_request__cancelled(struct http_request *req)
{
	struct request_state *st = (struct request_state *)req;
	bool stopping;

	pthread_mutex_lock(&st->srv->lock);
	stopping = st->srv->stopping;
	pthread_mutex_unlock(&st->srv->lock);
	return stopping || peer_gone(st);
}

static void add_ms(struct timespec *t, unsigned ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int http_request__sleep(struct http_request *req, unsigned ms)
{
	struct request_state *st = (struct request_state *)req;
	struct http_server *srv = st->srv;
	struct timespec now, end, slice;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &end);
	add_ms(&end, ms);
	pthread_mutex_lock(&srv->lock);
	for (;;) {
		if (srv->stopping) {
			err = -ECANCELED;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!before(&now, &end))
			break;
		slice = now;
		add_ms(&slice, SLEEP_SLICE_MS);
		if (before(&end, &slice))
			slice = end;
		pthread_cond_timedwait(&srv->wake, &srv->lock, &slice);
		if (srv->stopping)
			continue;
		pthread_mutex_unlock(&srv->lock);
		if (peer_gone(st))
			return -ECANCELED;
		pthread_mutex_lock(&srv->lock);
	}
	pthread_mutex_unlock(&srv->lock);
	return err;
}

/* ---- lifecycle ---- */

static bool token_valid(const char *t, size_t len)
{
	size_t i;

	if (len > HTTP_TOKEN_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return false;
	return true;
}

static int open_listener(struct http_server *srv, const char *addr)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	int fd, one = 1, err;

	if (http_parse_listen(addr, &sa, &salen)) {
		log_error("http: bad listen address '%s': want IPV4:PORT or "
			  "[IPV6]:PORT",
			  addr);
		return -EINVAL;
	}
	fd =
	    socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err = -errno;
		log_error("http: socket for %s: %s", addr, strerror(-err));
		return err;
	}
	/* a restart must not wait out the old sockets' TIME_WAIT */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, salen) || listen(fd, 64)) {
		err = -errno;
		log_error("http: cannot listen on %s: %s", addr,
			  strerror(-err));
		close(fd);
		return err;
	}
	salen = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &salen)) {
		err = -errno;
		close(fd);
		return err;
	}
	srv->port = ntohs(sa.ss_family == AF_INET6
			      ? ((struct sockaddr_in6 *)&sa)->sin6_port
			      : ((struct sockaddr_in *)&sa)->sin_port);
	srv->fd = fd;
	return 0;
}

struct http_server *http_server__new(const struct http_opts *o, int *err)
{
	const char *addr = o->listen ? o->listen : HTTP_DEFAULT_LISTEN;
	struct http_server *srv;
	pthread_condattr_t ca;
	size_t tlen;
	int ret;

	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		*err = -ENOMEM;
		return NULL;
	}
	srv->fd = -1;
	srv->max_connections =
	    o->max_connections ? o->max_connections : DEF_MAX_CONNECTIONS;
	srv->timeout_s = o->timeout_s ? o->timeout_s : DEF_TIMEOUT_S;
	srv->max_url = o->max_url ? o->max_url : DEF_MAX_URL;
	srv->max_header_bytes =
	    o->max_header_bytes ? o->max_header_bytes : DEF_MAX_HEADER_BYTES;
	if (srv->max_connections > 1024 || srv->timeout_s > 3600 ||
	    srv->max_url < 16 || srv->max_url > 65536 ||
	    srv->max_header_bytes < 256 || srv->max_header_bytes > 65536) {
		log_error("http: limits out of range");
		ret = -EINVAL;
		goto err_free;
	}
	snprintf(srv->addr, sizeof(srv->addr), "%s", addr);
	if (o->auth_token && *o->auth_token) {
		tlen = strlen(o->auth_token);
		if (!token_valid(o->auth_token, tlen)) {
			log_error("http: the auth token must be 1 to %d "
				  "visible ASCII characters",
				  HTTP_TOKEN_MAX);
			ret = -EINVAL;
			goto err_free;
		}
		srv->token = strdup(o->auth_token);
		if (!srv->token) {
			ret = -ENOMEM;
			goto err_free;
		}
		srv->token_len = tlen;
	}
	/* the condition uses CLOCK_MONOTONIC: sleeps ignore clock steps */
	if (pthread_condattr_init(&ca)) {
		ret = -ENOMEM;
		goto err_token;
	}
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ret = -pthread_cond_init(&srv->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (ret)
		goto err_token;
	ret = -pthread_mutex_init(&srv->lock, NULL);
	if (ret)
		goto err_cond;
	ret = open_listener(srv, addr);
	if (ret)
		goto err_mutex;
	return srv;

err_mutex:
	pthread_mutex_destroy(&srv->lock);
err_cond:
	pthread_cond_destroy(&srv->wake);
err_token:
	if (srv->token)
		explicit_bzero(srv->token, srv->token_len);
	free(srv->token);
err_free:
	free(srv);
	*err = ret;
	return NULL;
}

int http_server__route(struct http_server *srv, const char *path,
		       unsigned flags, http_handler_fn *fn, void *ctx)
{
	struct route *rt;
	size_t len = strlen(path);

	if (srv->mhd)
		return -EBUSY;
	if (!fn || len >= ROUTE_PATH_MAX || !http_path_valid(path, len) ||
	    strchr(path, '%') || (flags & ~HTTP_ROUTE_PUBLIC))
		return -EINVAL;
	if (find_route(srv, path))
		return -EEXIST;
	if (srv->nroutes == HTTP_MAX_ROUTES)
		return -ENOSPC;
	rt = &srv->routes[srv->nroutes++];
	memcpy(rt->path, path, len + 1);
	rt->flags = flags;
	rt->fn = fn;
	rt->ctx = ctx;
	return 0;
}

int http_server__start(struct http_server *srv)
{
	/*
	 * Memory per connection: the request line and headers must fit, plus
	 * room for libmicrohttpd's own response headers and read buffer.
	 * Bodies are not copied into it.
	 */
	size_t pool = srv->max_url + srv->max_header_bytes + 16384;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_INTERNAL_POLLING_THREAD |
			 /* poll, not select: our fds may exceed FD_SETSIZE */
			 MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;

	if (srv->mhd)
		return -EBUSY;
	srv->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
	    on_mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, srv->fd,
	    MHD_OPTION_CONNECTION_LIMIT, srv->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, srv->timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!srv->mhd) {
		log_error("http: cannot start the server on %s", srv->addr);
		return -EIO;
	}
	/* libmicrohttpd owns the socket now and closes it when stopped */
	srv->fd = -1;
	log_info("http: listening on %s (port %u)", srv->addr,
		 (unsigned)srv->port);
	return 0;
}

uint16_t http_server__port(const struct http_server *srv)
{
	return srv->port;
}

void http_server__stats(const struct http_server *srv, struct http_stats *out)
{
	out->requests =
	    atomic_load_explicit(&srv->n_requests, memory_order_relaxed);
	out->rejected =
	    atomic_load_explicit(&srv->n_rejected, memory_order_relaxed);
	out->failed =
	    atomic_load_explicit(&srv->n_failed, memory_order_relaxed);
}

void http_server__free(struct http_server *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_cond_broadcast(&srv->wake);
	pthread_mutex_unlock(&srv->lock);
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	if (srv->fd >= 0)
		close(srv->fd);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->wake);
	if (srv->token)
		explicit_bzero(srv->token, srv->token_len);
	free(srv->token);
	free(srv);
}

int http_server__set_token(struct http_server *srv, const char *token)
{
	char *copy = NULL, *old;
	size_t len = token ? strlen(token) : 0, old_len;

	if (len && !token_valid(token, len))
		return -EINVAL;
	if (len && !(copy = strdup(token)))
		return -ENOMEM;
	pthread_mutex_lock(&srv->lock);
	old = srv->token;
	old_len = srv->token_len;
	srv->token = copy;
	srv->token_len = len;
	pthread_mutex_unlock(&srv->lock);
	if (old)
		explicit_bzero(old, old_len);
	free(old);
	return 0;
}

int http_load_token_file(const char *path, char **out)
{
	return secret_read_file(path, HTTP_TOKEN_MAX, false, out);
}
