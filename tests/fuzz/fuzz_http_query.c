// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the HTTP module's own parsers (libmicrohttpd parses
 * the request line and headers; these parse what it hands us). The first
 * byte picks the parser: query strings (then every typed helper over the
 * result, and a re-encode/re-parse round trip), request paths, listen
 * addresses, or the bearer check. Each checks the invariants the server
 * relies on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static bool key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* The helper's result must satisfy what it promised, or say why not. */
static void check_reason(const struct http_request *req, int err)
{
	if (err == 0)
		return;
	if (err != -EINVAL || req->error_status != 400 || !req->error[0] ||
	    !memchr(req->error, '\0', sizeof(req->error)))
		abort();
}

/* Percent-encode every byte that is not a key character. */
static size_t encode(char *out, const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (key_char((unsigned char)*s))
			out[n++] = *s;
		else
			n += (size_t)sprintf(out + n, "%%%02X",
					     (unsigned char)*s);
	}
	return n;
}

static void fuzz_query(const char *data, size_t size)
{
	static const char *const choices[] = { "pprof", "folded", "svg", NULL };
	static const char *const keys[] = { "seconds", "pid",  "container",
					    "pod",     "comm", "format",
					    "a" };
	struct http_request req = { .method = HTTP_GET, .path = "/" };
	struct http_query again;
	const char *reason, *s;
	size_t i, j, n = 0;
	char *enc;
	int64_t v;
	int err, e;

	err = http_query__parse(&req.query, data, size, &reason);
	if (err) {
		if (!reason || req.query.count || req.query.storage)
			abort();
		return;
	}
	if (req.query.count > HTTP_QUERY_MAX_PARAMS)
		abort();
	enc = malloc(size * 3 + 4 * HTTP_QUERY_MAX_PARAMS + 1);
	if (!enc)
		abort();
	for (i = 0; i < req.query.count; i++) {
		const struct http_param *p = &req.query.params[i];
		size_t klen = strlen(p->key);

		if (!klen || klen > 32 || strlen(p->value) > size)
			abort();
		for (j = 0; j < klen; j++)
			if (!key_char((unsigned char)p->key[j]))
				abort();
		if (i)
			enc[n++] = '&';
		n += encode(enc + n, p->key);
		enc[n++] = '=';
		n += encode(enc + n, p->value);
	}
	/* what we decoded, encoded canonically, decodes to the same */
	if (http_query__parse(&again, enc, n, &reason) ||
	    again.count != req.query.count)
		abort();
	for (i = 0; i < again.count; i++)
		if (strcmp(again.params[i].key, req.query.params[i].key) ||
		    strcmp(again.params[i].value, req.query.params[i].value))
			abort();
	http_query__release(&again);
	free(enc);

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		req.error_status = 0;
		err = http_query_int(&req, keys[i], 1, 300, 30, &v);
		check_reason(&req, err);
		if (!err && (v < 1 || v > 300))
			abort();
		req.error_status = 0;
		err =
		    http_query_int(&req, keys[i], INT64_MIN, INT64_MAX, 0, &v);
		check_reason(&req, err);
		for (e = HTTP_CHARSET_HEX; e <= HTTP_CHARSET_NAME; e++) {
			req.error_status = 0;
			err = http_query_str(&req, keys[i],
					     (enum http_charset)e, &s);
			check_reason(&req, err);
			if (!err && s && (!*s || strlen(s) > 64))
				abort();
		}
		req.error_status = 0;
		err = http_query_enum(&req, keys[i], choices, 0, &e);
		check_reason(&req, err);
		if (!err && (e < 0 || e > 2))
			abort();
		http_query_get(&req, keys[i]);
	}
	req.error_status = 0;
	check_reason(&req, http_query_allow(&req, "seconds", "pid", NULL));
	http_query__release(&req.query);
}

static void fuzz_listen(const char *data, size_t size)
{
	struct sockaddr_storage sa;
	char *s = strndup(data, size);
	socklen_t len;

	if (!s)
		return;
	if (!http_parse_listen(s, &sa, &len)) {
		if (!((sa.ss_family == AF_INET &&
		       len == sizeof(struct sockaddr_in)) ||
		      (sa.ss_family == AF_INET6 &&
		       len == sizeof(struct sockaddr_in6))))
			abort();
		/* only numeric forms: a ':' before the port, nothing after */
		if (!strchr(s, ':') || strchr(s, ' '))
			abort();
	}
	free(s);
}

static void fuzz_bearer(const char *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	char *header, *token, *good;
	size_t tlen;

	/* HEADER '\0' TOKEN */
	if (!nul)
		return;
	header = strndup(data, (size_t)(nul - data));
	token = strndup(nul + 1, size - (size_t)(nul - data) - 1);
	if (!header || !token)
		abort();
	tlen = strlen(token);
	if (http_bearer_ok(header, token, tlen)) {
		/* accepted: the header names exactly this token */
		if (!strstr(header, token) || strlen(header) < 7 + tlen)
			abort();
	}
	if (tlen && !strchr(token, ' ') &&
	    asprintf(&good, "Bearer %s", token) > 0) {
		if (!http_bearer_ok(good, token, tlen))
			abort();
		free(good);
	}
	free(header);
	free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;

	if (!size)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_query(p, size - 1);
		break;
	case 1:
		if (http_path_valid(p, size - 1) && (size < 2 || p[0] != '/'))
			abort();
		break;
	case 2:
		fuzz_listen(p, size - 1);
		break;
	case 3:
		fuzz_bearer(p, size - 1);
		break;
	}
	return 0;
}
