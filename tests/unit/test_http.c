// SPDX-License-Identifier: BSD-2-Clause
/*
 * Tests of the HTTP server over real sockets: a server on an ephemeral
 * loopback port and a raw client, so that requests no library would send
 * (bad request lines, overlong URLs, bodies, NUL bytes, bad escapes) can be
 * sent as bytes. Covers routing, status codes and reasons, auth, limits,
 * that a slow handler does not hold up a fast one, cancellation, and that
 * freeing the server under load is prompt and clean (ASan checks leaks).
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define TOKEN "t0ken-Of-the-test"

static atomic_int slow_entered;
static atomic_int slow_cancelled;

/* ---- a raw client ---- */

struct reply {
	int status; /* -1: no parsable status line (closed, reset) */
	char raw[1 << 21];
	size_t len;
	const char *body;
	size_t body_len;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int dial(int family, uint16_t port)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
				    .sin6_port = htons(port) };
	struct timeval tv = { .tv_sec = 15 };
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (family == AF_INET) {
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&in, sizeof(in)))
			goto fail;
	} else {
		in6.sin6_addr = in6addr_loopback;
		if (connect(fd, (struct sockaddr *)&in6, sizeof(in6)))
			goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Read until EOF; parse the status line and find the body. */
static void read_reply(int fd, struct reply *r)
{
	const char *end;
	ssize_t n;

	r->len = 0;
	r->status = -1;
	r->body = NULL;
	r->body_len = 0;
	while (r->len < sizeof(r->raw) - 1 &&
	       (n = recv(fd, r->raw + r->len, sizeof(r->raw) - 1 - r->len, 0)) >
		   0)
		r->len += (size_t)n;
	r->raw[r->len] = '\0';
	if (r->len > 12 && !strncmp(r->raw, "HTTP/1.", 7))
		r->status = atoi(r->raw + 9);
	end = strstr(r->raw, "\r\n\r\n");
	if (end) {
		r->body = end + 4;
		r->body_len = r->len - (size_t)(r->body - r->raw);
	}
}

/* Send LEN bytes of REQ on a new connection and read the whole reply. */
static int xfer_family(int family, uint16_t port, const char *req, size_t len,
		       struct reply *r)
{
	size_t off = 0;
	ssize_t n;
	int fd = dial(family, port);

	if (fd < 0)
		return -errno;
	/* the server may answer and close before it has read everything */
	while (off < len &&
	       (n = send(fd, req + off, len - off, MSG_NOSIGNAL)) > 0)
		off += (size_t)n;
	read_reply(fd, r);
	close(fd);
	return 0;
}

static int xfer(uint16_t port, const char *req, struct reply *r)
{
	return xfer_family(AF_INET, port, req, strlen(req), r);
}

static int request(uint16_t port, const char *method, const char *target,
		   const char *headers, struct reply *r)
{
	char *req;
	int n, err;

	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
		     "close\r\n%s\r\n",
		     method, target, headers ? headers : "");
	assert_true(n > 0);
	err = xfer_family(AF_INET, port, req, (size_t)n, r);
	free(req);
	return err;
}

static int get(uint16_t port, const char *target, struct reply *r)
{
	return request(port, "GET", target, NULL, r);
}

static bool has_header(const struct reply *r, const char *line)
{
	const char *p = strstr(r->raw, line);

	return p && (!r->body || p < r->body);
}

static void expect(const struct reply *r, int status, const char *body)
{
	if (r->status != status)
		fail_msg("want %d, got %d: %.300s", status, r->status, r->raw);
	if (body && (!r->body || strcmp(r->body, body)))
		fail_msg("want body '%s', got: %.300s", body, r->raw);
}

/* ---- handlers ---- */

static int h_healthz(struct http_request *req, struct http_response *resp,
		     void *ctx)
{
	(void)req;
	(void)ctx;
	return http_response__printf(resp, 200, "ok\n");
}

static int h_echo(struct http_request *req, struct http_response *resp,
		  void *ctx)
{
	static const char *const formats[] = { "pprof", "folded", "svg", NULL };
	const char *container;
	int64_t seconds;
	int format, err;

	(void)ctx;
	if (http_query_allow(req, "seconds", "container", "format", NULL) ||
	    http_query_int(req, "seconds", 1, 300, 30, &seconds) ||
	    http_query_str(req, "container", HTTP_CHARSET_HEX, &container) ||
	    http_query_enum(req, "format", formats, 0, &format))
		return -EINVAL;
	err = http_response__printf(
	    resp, 200,
	    "%s seconds=%lld container=%s "
	    "format=%s\n",
	    req->method == HTTP_HEAD ? "HEAD" : "GET", (long long)seconds,
	    container ? container : "-", formats[format]);
	if (!err)
		err = http_response__add_header(
		    resp, "Content-Disposition",
		    "attachment; filename=\"profile.txt\"");
	return err;
}

static int h_slow(struct http_request *req, struct http_response *resp,
		  void *ctx)
{
	int64_t ms;
	int err;

	(void)ctx;
	if (http_query_int(req, "ms", 0, 60000, 1000, &ms))
		return -EINVAL;
	atomic_fetch_add(&slow_entered, 1);
	err = http_request__sleep(req, (unsigned)ms);
	if (err) {
		assert_true(http_request__cancelled(req));
		atomic_fetch_add(&slow_cancelled, 1);
		return err;
	}
	return http_response__printf(resp, 200, "slept %lld\n", (long long)ms);
}

static int h_fail(struct http_request *req, struct http_response *resp,
		  void *ctx)
{
	(void)ctx;
	/* a half-built response must be discarded, not leaked */
	http_response__printf(resp, 200, "partial");
	if (http_query_get(req, "conflict"))
		return http_request__fail(req, 409, "already running");
	return -EIO;
}

static int h_big(struct http_request *req, struct http_response *resp,
		 void *ctx)
{
	size_t n = 1u << 20;
	char *b = malloc(n);

	(void)req;
	(void)ctx;
	if (!b)
		return -ENOMEM;
	memset(b, 'z', n);
	return http_response__set_body(resp, 200, "application/octet-stream", b,
				       n);
}

static int h_badheader(struct http_request *req, struct http_response *resp,
		       void *ctx)
{
	(void)req;
	(void)ctx;
	assert_int_equal(
	    http_response__add_header(resp, "X-Evil", "a\r\nSet-Cookie: x=1"),
	    -EINVAL);
	assert_int_equal(http_response__add_header(resp, "Bad Name", "v"),
			 -EINVAL);
	assert_int_equal(http_response__add_header(resp, "", "v"), -EINVAL);
	for (int i = 0; i < HTTP_MAX_EXTRA_HEADERS; i++)
		assert_int_equal(http_response__add_header(resp, "X-N", "1"),
				 0);
	assert_int_equal(http_response__add_header(resp, "X-N", "1"), -ENOSPC);
	return http_response__printf(resp, 200, "fine\n");
}

/* ---- fixture ---- */

struct fixture {
	struct http_server *srv;
	uint16_t port;
};

static struct http_server *start(const struct http_opts *o, uint16_t *port)
{
	struct http_server *srv;
	int err = 0;

	srv = http_server__new(o, &err);
	if (!srv)
		fail_msg("http_server__new: %s", strerror(-err));
	assert_int_equal(http_server__route(srv, "/healthz", HTTP_ROUTE_PUBLIC,
					    h_healthz, NULL),
			 0);
	assert_int_equal(http_server__route(srv, "/echo", 0, h_echo, NULL), 0);
	assert_int_equal(http_server__route(srv, "/slow", 0, h_slow, NULL), 0);
	assert_int_equal(http_server__route(srv, "/fail", 0, h_fail, NULL), 0);
	assert_int_equal(http_server__route(srv, "/big", 0, h_big, NULL), 0);
	assert_int_equal(
	    http_server__route(srv, "/badheader", 0, h_badheader, NULL), 0);
	assert_int_equal(http_server__start(srv), 0);
	*port = http_server__port(srv);
	assert_true(*port > 0);
	return srv;
}

static int setup(void **state)
{
	struct http_opts o = { .listen = "127.0.0.1:0" };
	struct fixture *f = calloc(1, sizeof(*f));

	f->srv = start(&o, &f->port);
	atomic_store(&slow_entered, 0);
	atomic_store(&slow_cancelled, 0);
	*state = f;
	return 0;
}

static int setup_auth(void **state)
{
	struct http_opts o = { .listen = "127.0.0.1:0", .auth_token = TOKEN };
	struct fixture *f = calloc(1, sizeof(*f));

	f->srv = start(&o, &f->port);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	http_server__free(f->srv);
	free(f);
	return 0;
}

static struct reply *new_reply(void)
{
	struct reply *r = malloc(sizeof(*r));

	assert_non_null(r);
	return r;
}

/* ---- tests ---- */

static void test_routes_and_methods(void **state)
{
	struct fixture *f = *state;
	struct reply *r = new_reply();

	get(f->port, "/healthz", r);
	expect(r, 200, "ok\n");
	assert_true(has_header(r, "Content-Type: text/plain; charset=utf-8"));
	assert_true(has_header(r, "X-Content-Type-Options: nosniff"));
	assert_true(has_header(r, "Cache-Control: no-store"));

	request(f->port, "HEAD", "/echo?seconds=7", NULL, r);
	expect(r, 200, "");
	assert_true(has_header(r, "Content-Length: 40"));

	get(f->port, "/echo?seconds=7&container=abc123&format=folded", r);
	expect(r, 200, "GET seconds=7 container=abc123 format=folded\n");
	assert_true(has_header(
	    r, "Content-Disposition: attachment; filename=\"profile.txt\""));

	get(f->port, "/nope", r);
	expect(r, 404, "not found\n");
	get(f->port, "/healthz/", r);
	expect(r, 404, NULL);
	get(f->port, "/%68ealthz", r); /* escapes are not decoded */
	expect(r, 404, NULL);
	get(f->port, "/", r);
	expect(r, 404, NULL);

	request(f->port, "POST", "/healthz", NULL, r);
	expect(r, 405, "method not allowed\n");
	assert_true(has_header(r, "Allow: GET, HEAD"));
	request(f->port, "PUT", "/healthz", NULL, r);
	expect(r, 405, NULL);
	request(f->port, "DELETE", "/nope", NULL, r);
	expect(r, 405, NULL);
	request(f->port, "get", "/healthz", NULL, r); /* methods are exact */
	expect(r, 405, NULL);

	get(f->port, "/big", r);
	expect(r, 200, NULL);
	assert_int_equal(r->body_len, 1u << 20);
	assert_true(has_header(r, "Content-Type: application/octet-stream"));

	get(f->port, "/badheader", r);
	expect(r, 200, "fine\n");
	free(r);
}

static void test_query_errors(void **state)
{
	struct fixture *f = *state;
	struct reply *r = new_reply();

	get(f->port, "/echo?seconds=0", r);
	expect(r, 400, "seconds must be an integer in 1..300\n");
	get(f->port, "/echo?seconds=301", r);
	expect(r, 400, "seconds must be an integer in 1..300\n");
	get(f->port, "/echo?seconds=5x", r);
	expect(r, 400, "seconds must be an integer in 1..300\n");
	get(f->port, "/echo?seconds=5&seconds=6", r);
	expect(r, 400, "duplicate parameter 'seconds'\n");
	get(f->port, "/echo?pid=1", r);
	expect(r, 400, "unknown parameter 'pid'\n");
	get(f->port, "/echo?seconds=%zz", r);
	expect(r, 400, "bad percent escape in query\n");
	get(f->port, "/echo?seconds=%", r);
	expect(r, 400, "bad percent escape in query\n");
	get(f->port, "/echo?container=ab%00cd", r);
	expect(r, 400, "NUL byte in query\n");
	get(f->port, "/echo?container=XYZ", r);
	expect(r, 400, "container must be 1 to 64 lowercase hex digits\n");
	get(f->port, "/echo?format=json", r);
	expect(r, 400, "format must be one of pprof, folded, svg\n");
	get(f->port, "/echo?%3Cscript%3E=1", r);
	expect(r, 400, "bad query parameter name\n");
	get(f->port,
	    "/echo?a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&a=1&"
	    "a=1&a=1&a=1",
	    r);
	expect(r, 400, "too many query parameters\n");
	/* query errors are found before the handler runs or after it */
	get(f->port, "/fail", r);
	expect(r, 500, "internal error\n");
	get(f->port, "/fail?conflict=1", r);
	expect(r, 409, "already running\n");
	free(r);
}

static void test_malformed(void **state)
{
	static const char nul_req[] =
	    "GET /echo?seconds=5\0&seconds=9 HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct fixture *f = *state;
	struct reply *r = new_reply();
	char *target, *req;
	size_t n;

	/*
	 * Request lines libmicrohttpd refuses itself, with its own (HTML)
	 * error page or, for a line it cannot parse at all, by closing.
	 */
	xfer(f->port, "GARBAGE\r\n\r\n", r);
	assert_true(r->status == 400 || r->status == -1);
	xfer(f->port, "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", r);
	assert_true(r->status == 400 || r->status == 505);
	xfer(f->port, "GET /healthz HTTP/1.1\r\nHost: x\r\nBad header\r\n\r\n",
	     r);
	expect(r, 400, NULL);
	xfer(f->port, "GET /healthz HTTP/1.1\r\n\r\n", r);
	expect(r, 400, "missing Host header\n");
	xfer(f->port, "GET /healthz HTTP/1.0\r\n\r\n", r);
	expect(r, 200, "ok\n");

	/*
	 * A NUL byte inside the request line. libmicrohttpd 0.9.75 hands us
	 * the target cut at the NUL (newer versions refuse the line): what
	 * follows the NUL must never reach a handler.
	 */
	xfer_family(AF_INET, f->port, nul_req, sizeof(nul_req) - 1, r);
	if (r->status != 400)
		expect(r, 200, "GET seconds=5 container=- format=pprof\n");
	/* and a path character we never route */
	xfer(f->port, "GET /a\"b HTTP/1.1\r\nHost: x\r\n\r\n", r);
	expect(r, 400, "bad request path\n");
	xfer(f->port, "GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n", r);
	expect(r, 400, "bad request path\n");

	/* URL over max_url (2048), and far over the connection's memory */
	n = 3000;
	target = malloc(n + 1);
	memcpy(target, "/healthz?x=", 11);
	memset(target + 11, 'a', n - 11);
	target[n] = '\0';
	get(f->port, target, r);
	expect(r, 414, "URL too long\n");
	free(target);
	n = 200000;
	target = malloc(n + 1);
	target[0] = '/';
	memset(target + 1, 'a', n - 1);
	target[n] = '\0';
	get(f->port, target, r);
	assert_true(r->status == 414 || r->status == 431 || r->status == -1);
	free(target);

	/* headers over max_header_bytes (8192) */
	n = 9000;
	req = malloc(n + 64);
	strcpy(req, "X-Pad: ");
	memset(req + 7, 'p', n);
	strcpy(req + 7 + n, "\r\n");
	request(f->port, "GET", "/healthz", req, r);
	expect(r, 431, "request headers too large\n");
	free(req);

	/* bodies: refused, whatever the method */
	xfer(f->port,
	     "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
	     "hello",
	     r);
	expect(r, 413, "request bodies are not accepted\n");
	xfer(f->port,
	     "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	     "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
	     r);
	expect(r, 413, NULL);
	xfer(f->port,
	     "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
	     "hello",
	     r);
	expect(r, 405, NULL);
	xfer(f->port,
	     "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	     "Connection: close\r\n\r\n",
	     r);
	expect(r, 200, "ok\n");
	free(r);
}

static void test_keepalive(void **state)
{
	struct fixture *f = *state;
	struct reply *r = new_reply();
	const char *p;

	/* two requests on one connection, the second one closing it */
	xfer(f->port,
	     "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	     "GET /echo?seconds=2 HTTP/1.1\r\nHost: x\r\nConnection: "
	     "close\r\n\r\n",
	     r);
	expect(r, 200, NULL);
	p = strstr(r->body, "HTTP/1.1 200");
	assert_non_null(p);
	assert_non_null(strstr(p, "GET seconds=2 container=- format=pprof"));
	free(r);
}

static void test_auth(void **state)
{
	struct fixture *f = *state;
	struct reply *r = new_reply();

	get(f->port, "/echo", r);
	expect(r, 401, "missing or wrong token\n");
	assert_true(has_header(r, "WWW-Authenticate: Bearer realm=\"zprofd\""));
	request(f->port, "GET", "/echo", "Authorization: Bearer wrong\r\n", r);
	expect(r, 401, NULL);
	request(f->port, "GET", "/echo", "Authorization: Basic " TOKEN "\r\n",
		r);
	expect(r, 401, NULL);
	request(f->port, "GET", "/echo", "Authorization: Bearer " TOKEN "x\r\n",
		r);
	expect(r, 401, NULL);
	request(f->port, "GET", "/echo?seconds=3",
		"Authorization: Bearer " TOKEN "\r\n", r);
	expect(r, 200, "GET seconds=3 container=- format=pprof\n");
	request(f->port, "HEAD", "/echo", "Authorization: bearer " TOKEN "\r\n",
		r);
	expect(r, 200, "");
	/* unknown paths are not revealed without the token */
	get(f->port, "/nope", r);
	expect(r, 401, NULL);
	request(f->port, "GET", "/nope", "Authorization: Bearer " TOKEN "\r\n",
		r);
	expect(r, 404, NULL);
	/* liveness probes carry no token */
	get(f->port, "/healthz", r);
	expect(r, 200, "ok\n");
	/* a reload rotates the token: the old one stops working at once */
	assert_int_equal(http_server__set_token(f->srv, "has space"), -EINVAL);
	assert_int_equal(http_server__set_token(f->srv, "rotated"), 0);
	request(f->port, "GET", "/echo", "Authorization: Bearer " TOKEN "\r\n",
		r);
	expect(r, 401, NULL);
	request(f->port, "GET", "/echo", "Authorization: Bearer rotated\r\n",
		r);
	expect(r, 200, NULL);
	/* and can drop it */
	assert_int_equal(http_server__set_token(f->srv, NULL), 0);
	get(f->port, "/echo", r);
	expect(r, 200, NULL);
	free(r);
}

struct slow_arg {
	uint16_t port;
	const char *target;
	struct reply *r;
	double elapsed;
};

static void *slow_client(void *p)
{
	struct slow_arg *a = p;
	double t0 = now_s();

	get(a->port, a->target, a->r);
	a->elapsed = now_s() - t0;
	return NULL;
}

static void wait_for(atomic_int *v, int n)
{
	double t0 = now_s();

	while (atomic_load(v) < n) {
		if (now_s() - t0 > 10)
			fail_msg("timed out waiting for %d handlers", n);
		usleep(5000);
	}
}

static void test_slow_does_not_block(void **state)
{
	struct fixture *f = *state;
	struct slow_arg a = { f->port, "/slow?ms=1500", new_reply(), 0 };
	struct reply *r = new_reply();
	pthread_t t;
	double t0;

	assert_int_equal(pthread_create(&t, NULL, slow_client, &a), 0);
	wait_for(&slow_entered, 1);
	t0 = now_s();
	get(f->port, "/healthz", r);
	expect(r, 200, "ok\n");
	if (now_s() - t0 > 0.5)
		fail_msg("fast request took %.3f s behind a slow one",
			 now_s() - t0);
	pthread_join(t, NULL);
	expect(a.r, 200, "slept 1500\n");
	assert_true(a.elapsed >= 1.4);
	free(a.r);
	free(r);
}

static void test_client_gone_cancels(void **state)
{
	struct fixture *f = *state;
	const char *req = "GET /slow?ms=30000 HTTP/1.1\r\nHost: x\r\n\r\n";
	double t0;
	int fd;

	fd = dial(AF_INET, f->port);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	wait_for(&slow_entered, 1);
	close(fd);
	t0 = now_s();
	while (!atomic_load(&slow_cancelled) && now_s() - t0 < 5)
		usleep(10000);
	assert_int_equal(atomic_load(&slow_cancelled), 1);
}

static void test_timeout_vs_slow_handler(void **state)
{
	struct http_opts o = { .listen = "127.0.0.1:0", .timeout_s = 1 };
	struct reply *r = new_reply();
	struct http_server *srv;
	uint16_t port;
	double t0;
	char buf[16];
	int fd;

	(void)state;
	srv = start(&o, &port);
	/* a handler outliving the idle timeout still gets its answer out */
	get(port, "/slow?ms=2500", r);
	expect(r, 200, "slept 2500\n");
	/* an idle connection (slowloris) is closed after the timeout */
	fd = dial(AF_INET, port);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, "GET /heal", 9, 0), 9);
	t0 = now_s();
	assert_true(recv(fd, buf, sizeof(buf), 0) <= 0);
	assert_true(now_s() - t0 < 5);
	close(fd);
	http_server__free(srv);
	free(r);
}

static void test_connection_limit(void **state)
{
	struct http_opts o = { .listen = "127.0.0.1:0", .max_connections = 2 };
	struct reply *r = new_reply();
	struct http_server *srv;
	uint16_t port;
	int a, b;

	(void)state;
	srv = start(&o, &port);
	a = dial(AF_INET, port);
	b = dial(AF_INET, port);
	assert_true(a >= 0 && b >= 0);
	usleep(100000); /* let the server accept both */
	get(port, "/healthz", r);
	assert_int_equal(r->status, -1); /* accepted and dropped */
	close(a);
	close(b);
	usleep(100000);
	get(port, "/healthz", r);
	expect(r, 200, "ok\n");
	http_server__free(srv);
	free(r);
}

static void test_ipv6(void **state)
{
	struct http_opts o = { .listen = "[::1]:0" };
	struct reply *r = new_reply();
	struct http_server *srv;
	const char *req =
	    "GET /healthz HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n";
	int err = 0;

	(void)state;
	srv = http_server__new(&o, &err);
	if (!srv && (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT)) {
		free(r);
		skip(); /* reported as a skip: no IPv6 loopback here */
	}
	assert_non_null(srv);
	assert_int_equal(
	    http_server__route(srv, "/healthz", 0, h_healthz, NULL), 0);
	assert_int_equal(http_server__start(srv), 0);
	assert_int_equal(
	    xfer_family(AF_INET6, http_server__port(srv), req, strlen(req), r),
	    0);
	expect(r, 200, "ok\n");
	http_server__free(srv);
	free(r);
}

static void test_new_errors(void **state)
{
	struct fixture *f = *state;
	struct http_opts o = { 0 };
	struct http_server *srv;
	char addr[32];
	int err;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)f->port);
	o.listen = addr;
	err = 0;
	assert_null(http_server__new(&o, &err));
	assert_int_equal(err, -EADDRINUSE);
	o.listen = "localhost:7070";
	assert_null(http_server__new(&o, &err));
	assert_int_equal(err, -EINVAL);
	o.listen = "192.0.2.1:0"; /* TEST-NET-1, not ours */
	assert_null(http_server__new(&o, &err));
	assert_int_equal(err, -EADDRNOTAVAIL);
	o.listen = "127.0.0.1:0";
	o.auth_token = "has space";
	assert_null(http_server__new(&o, &err));
	assert_int_equal(err, -EINVAL);
	o.auth_token = NULL;
	o.max_url = 8;
	assert_null(http_server__new(&o, &err));
	assert_int_equal(err, -EINVAL);
	o.max_url = 0;

	/* route registration rules */
	srv = http_server__new(&o, &err);
	assert_non_null(srv);
	assert_int_equal(http_server__route(srv, "/a", 0, h_healthz, NULL), 0);
	assert_int_equal(http_server__route(srv, "/a", 0, h_healthz, NULL),
			 -EEXIST);
	assert_int_equal(http_server__route(srv, "b", 0, h_healthz, NULL),
			 -EINVAL);
	assert_int_equal(http_server__route(srv, "/%62", 0, h_healthz, NULL),
			 -EINVAL);
	assert_int_equal(http_server__route(srv, "/c", 0x80, h_healthz, NULL),
			 -EINVAL);
	assert_int_equal(http_server__route(srv, "/d", 0, NULL, NULL), -EINVAL);
	assert_int_equal(http_server__start(srv), 0);
	assert_int_equal(http_server__start(srv), -EBUSY);
	assert_int_equal(http_server__route(srv, "/e", 0, h_healthz, NULL),
			 -EBUSY);
	http_server__free(srv);
	/* never started: free closes the socket itself */
	srv = http_server__new(&o, &err);
	assert_non_null(srv);
	http_server__free(srv);
	http_server__free(NULL);
}

static void test_token_file(void **state)
{
	char path[] = "/tmp/zprofd-token-XXXXXX";
	char *tok;
	FILE *fp;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs("  s3cret-token\n", fp);
	fclose(fp);
	/* leading blanks are not stripped: they are not token characters */
	assert_int_equal(http_load_token_file(path, &tok), -EINVAL);
	fp = fopen(path, "w");
	fputs("s3cret-token\r\n", fp);
	fclose(fp);
	assert_int_equal(http_load_token_file(path, &tok), 0);
	assert_string_equal(tok, "s3cret-token");
	free(tok);
	fp = fopen(path, "w");
	fputs("\n", fp);
	fclose(fp);
	assert_int_equal(http_load_token_file(path, &tok), -EINVAL);
	assert_null(tok);
	assert_int_equal(http_load_token_file("/nonexistent/token", &tok),
			 -ENOENT);
	assert_int_equal(http_load_token_file("/tmp", &tok), -EINVAL);
	unlink(path);
}

/* Clients that stop at the first failure: the server is going away. */
static atomic_bool load_stop;
static atomic_int load_done;

static void *load_client(void *p)
{
	uint16_t port = *(uint16_t *)p;
	struct reply *r = new_reply();

	while (!atomic_load(&load_stop)) {
		if (get(port, "/echo?seconds=5", r) || r->status != 200)
			break;
		atomic_fetch_add(&load_done, 1);
	}
	free(r);
	return NULL;
}

static void test_free_under_load(void **state)
{
	struct fixture *f = *state;
	struct slow_arg slow[2] = {
		{ f->port, "/slow?ms=30000", new_reply(), 0 },
		{ f->port, "/slow?ms=30000", new_reply(), 0 },
	};
	pthread_t fast[4], st[2];
	double t0;
	int i;

	atomic_store(&load_stop, false);
	atomic_store(&load_done, 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(
		    pthread_create(&st[i], NULL, slow_client, &slow[i]), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(
		    pthread_create(&fast[i], NULL, load_client, &f->port), 0);
	wait_for(&slow_entered, 2);
	wait_for(&load_done, 50);
	t0 = now_s();
	http_server__free(f->srv);
	f->srv = NULL;
	if (now_s() - t0 > 3)
		fail_msg("free took %.3f s", now_s() - t0);
	atomic_store(&load_stop, true);
	for (i = 0; i < 4; i++)
		pthread_join(fast[i], NULL);
	for (i = 0; i < 2; i++) {
		pthread_join(st[i], NULL);
		/* the cancelled captures were answered or cut off */
		assert_true(slow[i].r->status == 503 ||
			    slow[i].r->status == -1);
		free(slow[i].r);
	}
	assert_int_equal(atomic_load(&slow_cancelled), 2);
}

static void test_stats(void **state)
{
	struct fixture *f = *state;
	struct reply *r = new_reply();
	struct http_stats s;

	get(f->port, "/healthz", r);
	get(f->port, "/nope", r);
	get(f->port, "/fail", r);
	http_server__stats(f->srv, &s);
	assert_int_equal(s.requests, 3);
	assert_int_equal(s.rejected, 1);
	assert_int_equal(s.failed, 1);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes_and_methods, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_query_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_keepalive, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_auth, setup_auth,
						teardown),
		cmocka_unit_test_setup_teardown(test_slow_does_not_block, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_client_gone_cancels, setup,
						teardown),
		cmocka_unit_test(test_timeout_vs_slow_handler),
		cmocka_unit_test(test_connection_limit),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test_setup_teardown(test_new_errors, setup,
						teardown),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test_setup_teardown(test_free_under_load, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
