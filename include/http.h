/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * http: the daemon's HTTP API server, on libmicrohttpd. This module owns the
 * listening socket, request validation (method, URL and header sizes, no
 * bodies, bearer token, strict query parsing) and routing of exact paths to
 * typed handlers; what the endpoints return is the daemon core's business.
 *
 * Lifecycle: http_server__new() parses the address and binds (so a bad
 * --listen fails before anything else starts, and port 0 can be read back),
 * http_server__route() registers handlers, http_server__start() starts the
 * threads, http_server__free() stops them.
 *
 * Threading: libmicrohttpd's thread-per-connection mode. Handlers run on
 * the connection's own thread and may block (a /debug/pprof/profile capture
 * sleeps for up to its seconds=N) without delaying other requests; a thread
 * pool would park every connection that shares a worker with a blocked one.
 * The connection limit bounds the thread count. Handlers therefore run
 * concurrently with each other: shared data needs the caller's own locking.
 *
 * The pure parsers (query strings, percent escapes, listen addresses, the
 * Authorization header) and the query helpers live in src/http/query.c,
 * which touches no socket, so they are unit-tested and fuzzed on their own.
 */
#ifndef ZPROFD_HTTP_H
#define ZPROFD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HTTP_DEFAULT_LISTEN    "127.0.0.1:7070"
#define HTTP_QUERY_MAX_PARAMS  16
#define HTTP_REASON_MAX	       160
#define HTTP_MAX_EXTRA_HEADERS 4
#define HTTP_MAX_ROUTES	       16
#define HTTP_TOKEN_MAX	       512
#define HTTP_CONTENT_TYPE_TEXT "text/plain; charset=utf-8"

struct http_opts {
	/*
	 * "IPV4:PORT" or "[IPV6]:PORT", numeric only (no DNS: a daemon's
	 * listen address must not depend on a resolver). PORT 0 picks a free
	 * port (see http_server__port()). NULL: HTTP_DEFAULT_LISTEN.
	 */
	const char *listen;
	/* Bearer token, copied. NULL or "": no authentication. */
	const char *auth_token;
	unsigned max_connections; /* 0: 32; also the thread bound */
	unsigned timeout_s;	  /* idle time before a close, 0: 30 */
	size_t max_url;		  /* request-target bytes, 0: 2048 */
	size_t max_header_bytes;  /* sum of names and values, 0: 8192 */
};

enum http_method { HTTP_GET, HTTP_HEAD };

struct http_param {
	const char *key;   /* percent-decoded, non-empty, no NUL */
	const char *value; /* percent-decoded ('+' is a space), no NUL */
};

/* A parsed query string; strings live in STORAGE. */
struct http_query {
	size_t count;
	struct http_param params[HTTP_QUERY_MAX_PARAMS];
	char *storage;
};

/*
 * What a handler sees. Borrowed for the duration of the handler call. The
 * query helpers below record why they refused a value in ERROR, so that a
 * handler can just return their -EINVAL and the server answers
 * ERROR_STATUS with that reason.
 */
struct http_request {
	enum http_method method;
	const char *path; /* exact registered path */
	struct http_query query;
	unsigned error_status; /* 0 until a helper or http_request__fail() */
	char error[HTTP_REASON_MAX];
};

struct http_header {
	char *name;
	char *value;
};

/*
 * What a handler fills. Starts zeroed: status 0 means 200, content_type
 * NULL means HTTP_CONTENT_TYPE_TEXT. The server frees BODY and the header
 * strings after sending (or on error).
 */
struct http_response {
	unsigned status;
	const char *content_type; /* borrowed, must outlive the request */
	char *body;		  /* malloc'd, owned by the response */
	size_t len;
	size_t nheaders;
	struct http_header headers[HTTP_MAX_EXTRA_HEADERS];
};

/*
 * A handler returns 0 with RESP filled, or -errno: then the server answers
 * REQ->error_status with REQ->error when a helper set them (typically 400),
 * 503 "cancelled" for -ECANCELED (the server is stopping or the client left),
 * and 500 "internal error" otherwise (logged); RESP is discarded.
 */
typedef int http_handler_fn(struct http_request *req,
			    struct http_response *resp, void *ctx);

/*
 * http_server__route() flags. HTTP_ROUTE_PUBLIC: served without the bearer
 * token. Meant for /healthz: liveness probes (kubelet) carry no token and
 * "ok" tells nothing; every other route should stay behind the token.
 */
#define HTTP_ROUTE_PUBLIC 0x1u

struct http_server;

/*
 * Validate O, create and bind the listening socket. On failure returns NULL
 * and sets *ERR: -EINVAL (bad address or limits, logged with the reason),
 * -EADDRINUSE, -EADDRNOTAVAIL, -EACCES (bind errors, logged naming the
 * address), -ENOMEM.
 */
struct http_server *http_server__new(const struct http_opts *o, int *err);

/*
 * Serve PATH (exact match, starting with '/') with FN(.., CTX). Only before
 * http_server__start() (-EBUSY after). CTX is borrowed until free. -EEXIST
 * for a path registered twice, -ENOSPC beyond HTTP_MAX_ROUTES, -EINVAL.
 */
int http_server__route(struct http_server *srv, const char *path,
		       unsigned flags, http_handler_fn *fn, void *ctx);

/*
 * Start serving. The server's threads inherit the calling thread's signal
 * mask: block the signals the core handles (signalfd) before this call.
 * 0 or -errno (-EIO when libmicrohttpd refuses).
 */
int http_server__start(struct http_server *srv);

/* The bound port, in host order. */
uint16_t http_server__port(const struct http_server *srv);

/*
 * Stop: wakes handlers sleeping in http_request__sleep(), waits for every
 * connection thread, closes the socket. A handler that blocks elsewhere
 * delays this until it returns. NULL safe.
 */
void http_server__free(struct http_server *srv);

struct http_stats {
	uint64_t requests; /* every request that reached validation */
	uint64_t rejected; /* 4xx answered by the server itself */
	uint64_t failed;   /* handler errors answered 5xx */
};

void http_server__stats(const struct http_server *srv, struct http_stats *out);

/*
 * For handlers that wait (a capture of N seconds): sleep up to MS
 * milliseconds, returning early with -ECANCELED when the server is stopping
 * or the client has closed its connection, else 0. Only for requests the
 * server passed to a handler.
 */
int http_request__sleep(struct http_request *req, unsigned ms);
bool http_request__cancelled(struct http_request *req);

/*
 * Replace the bearer token (copied; NULL or "": no authentication any
 * more), for requests from now on; any thread. 0, -EINVAL for a token
 * http_load_token_file() would refuse, -ENOMEM (the old token stays).
 */
int http_server__set_token(struct http_server *srv, const char *token);

/*
 * The API's bearer token from PATH into *OUT: secret_read_file() (see
 * secret.h) with HTTP_TOKEN_MAX bytes and no spaces.
 */
int http_load_token_file(const char *path, char **out);

/* ---- responses ---- */

/* Take ownership of BODY (malloc'd; freed even on failure). 0 or -errno. */
int http_response__set_body(struct http_response *resp, unsigned status,
			    const char *content_type, char *body, size_t len);
/* A text/plain body. 0 or -ENOMEM. */
int http_response__printf(struct http_response *resp, unsigned status,
			  const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Add "NAME: VALUE" (both copied). -EINVAL for a name that is not an HTTP
 * token or a value with control characters, -ENOSPC beyond
 * HTTP_MAX_EXTRA_HEADERS.
 */
int http_response__add_header(struct http_response *resp, const char *name,
			      const char *value);
/* Free what the response owns and zero it. NULL safe. */
void http_response__release(struct http_response *resp);

/* ---- query helpers (socket-free; src/http/query.c) ---- */

/* Allowed characters (and length) of a string parameter. */
enum http_charset {
	HTTP_CHARSET_HEX,  /* lowercase hex, 1..64: container ids */
	HTTP_CHARSET_UUID, /* lowercase hex and '-', 1..36: pod UIDs */
	HTTP_CHARSET_COMM, /* printable ASCII, 1..15: a task's comm */
	HTTP_CHARSET_NAME, /* [A-Za-z0-9._-], 1..64: generic names */
};

/*
 * The query helpers return 0 or -EINVAL; on -EINVAL they have set
 * REQ->error_status to 400 and REQ->error to a reason naming KEY, such as
 * "seconds must be an integer in 1..300". A key given twice is always
 * refused ("duplicate parameter 'seconds'").
 */

/* Refuse any key not in the NULL-terminated list. */
int http_query_allow(struct http_request *req, ...) __attribute__((sentinel));
/* Integer in [MIN, MAX], decimal, optional '-'. DEF when absent. */
int http_query_int(struct http_request *req, const char *key, int64_t min,
		   int64_t max, int64_t def, int64_t *out);
/* *OUT: the value (borrowed from REQ) or NULL when absent. */
int http_query_str(struct http_request *req, const char *key,
		   enum http_charset cs, const char **out);
/*
 * *OUT: index in the NULL-terminated CHOICES, DEF when absent. The reason
 * lists the choices: "format must be one of pprof, folded, svg".
 */
int http_query_enum(struct http_request *req, const char *key,
		    const char *const *choices, int def, int *out);
/* First value of KEY or NULL. */
const char *http_query_get(const struct http_request *req, const char *key);
/* Record STATUS and a formatted reason for the server; returns -EINVAL. */
int http_request__fail(struct http_request *req, unsigned status,
		       const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- pure parsers (exported for the server, tests and the fuzzer) ---- */

/*
 * Split and percent-decode RAW[0..LEN) ("a=1&b=x%2Fy", without the '?').
 * Empty segments are skipped; a segment without '=' has value "". Refused
 * (-EINVAL with *REASON a static string): bytes outside visible ASCII, '%'
 * not followed by two hex digits, an escaped NUL, an empty key, keys over
 * 32 bytes; -E2BIG beyond HTTP_QUERY_MAX_PARAMS; -ENOMEM. On success Q owns
 * its storage (http_query__release()); on failure Q is empty.
 */
int http_query__parse(struct http_query *q, const char *raw, size_t len,
		      const char **reason);
void http_query__release(struct http_query *q);

/*
 * A request path we route: starts with '/', only RFC 3986 path characters.
 * Escapes are not decoded: no route contains one, so "/%6Detrics" is a 404.
 */
bool http_path_valid(const char *path, size_t len);

/*
 * Parse a listen address as described for http_opts.listen into *SA (an
 * IPv4 or IPv6 socket address) and *SALEN. 0 or -EINVAL.
 */
int http_parse_listen(const char *s, struct sockaddr_storage *sa,
		      socklen_t *salen);

/*
 * Whether the Authorization header value HEADER (NULL: absent) is
 * "Bearer TOKEN" (scheme case-insensitive, one or more spaces). TOKEN is
 * compared in time independent of its contents and of how much of it the
 * client got right.
 */
bool http_bearer_ok(const char *header, const char *token, size_t token_len);

#endif
