// SPDX-License-Identifier: BSD-2-Clause
/*
 * http query: the socket-free half of the HTTP module. Splits and
 * percent-decodes query strings, validates request paths, parses listen
 * addresses, checks the Authorization header, and gives handlers typed,
 * strictly validated access to parameters. Everything here is a function of
 * its arguments, which is what lets the fuzzer drive it directly. Every
 * input is a client's bytes: lengths are checked before indexing and the
 * reasons put in responses only echo bytes from a fixed safe alphabet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* Long enough for any key we define, short enough to echo in a reason. */
#define QUERY_MAX_KEY 32

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Keys are names we define; anything else cannot match and is not echoed. */
static bool key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/*
 * Decode SRC[0..LEN) into DST (room for LEN + 1 bytes: decoding never
 * grows). Query strings are form-encoded by the clients that matter (Go's
 * url.Values, curl --data-urlencode), so '+' is a space.
 */
static int decode(const char *src, size_t len, char *dst, const char **reason)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '%') {
			if (len - i < 3 ||
			    (hi = hexval((unsigned char)src[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)src[i + 2])) < 0) {
				*reason = "bad percent escape in query";
				return -EINVAL;
			}
			if (!hi && !lo) {
				*reason = "NUL byte in query";
				return -EINVAL;
			}
			*dst++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			*dst++ = ' ';
		} else {
			*dst++ = (char)c;
		}
	}
	*dst = '\0';
	return 0;
}

void http_query__release(struct http_query *q)
{
	if (!q)
		return;
	free(q->storage);
	memset(q, 0, sizeof(*q));
}

int http_query__parse(struct http_query *q, const char *raw, size_t len,
		      const char **reason)
{
	const char *seg, *end = raw + len, *amp, *eq;
	char *out;
	size_t i;
	int err;

	memset(q, 0, sizeof(*q));
	*reason = NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c <= 0x20 || c >= 0x7f) {
			*reason = "bad character in query";
			return -EINVAL;
		}
	}
	if (!len)
		return 0;
	/* every decoded string is no longer than its source, plus its NUL */
	q->storage = malloc(len + HTTP_QUERY_MAX_PARAMS * 2 + 1);
	if (!q->storage) {
		*reason = "out of memory";
		return -ENOMEM;
	}
	out = q->storage;
	for (seg = raw; seg < end; seg = amp + 1) {
		struct http_param *p;
		size_t klen;

		amp = memchr(seg, '&', (size_t)(end - seg));
		if (!amp)
			amp = end;
		if (amp == seg)
			continue; /* "a=1&&b=2", a trailing '&' */
		if (q->count == HTTP_QUERY_MAX_PARAMS) {
			*reason = "too many query parameters";
			err = -E2BIG;
			goto fail;
		}
		eq = memchr(seg, '=', (size_t)(amp - seg));
		if (!eq)
			eq = amp;
		p = &q->params[q->count];
		p->key = out;
		err = decode(seg, (size_t)(eq - seg), out, reason);
		if (err)
			goto fail;
		klen = strlen(out);
		if (!klen || klen > QUERY_MAX_KEY) {
			*reason = klen ? "query parameter name too long"
				       : "empty query parameter name";
			err = -EINVAL;
			goto fail;
		}
		for (i = 0; i < klen; i++)
			if (!key_char((unsigned char)out[i])) {
				*reason = "bad query parameter name";
				err = -EINVAL;
				goto fail;
			}
		out += klen + 1;
		p->value = out;
		if (eq < amp) {
			err =
			    decode(eq + 1, (size_t)(amp - eq - 1), out, reason);
			if (err)
				goto fail;
		} else {
			*out = '\0';
		}
		out += strlen(out) + 1;
		q->count++;
		if (amp == end)
			break;
	}
	return 0;
fail:
	http_query__release(q);
	return err;
}

/*
 * RFC 3986 pchar and '/', plus '%' (escapes are kept, see http.h). Anything
 * else (spaces, quotes, controls, bytes >= 0x80) is no route of ours.
 */
bool http_path_valid(const char *path, size_t len)
{
	static const char extra[] = "/-._~!$&'()*+,;=:@%";
	size_t i;

	if (!len || path[0] != '/')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || (c && strchr(extra, c))))
			return false;
	}
	return true;
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned v = 0;
	size_t n;

	for (n = 0; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n == 5)
			return -EINVAL;
		v = v * 10 + (unsigned)(s[n] - '0');
	}
	if (!n || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int http_parse_listen(const char *s, struct sockaddr_storage *sa,
		      socklen_t *salen)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *close;
	uint16_t port;
	size_t hlen;

	if (!s)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	if (s[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

		close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - s - 1);
		if (!hlen || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (parse_port(close + 2, &port))
			return -EINVAL;
		/* inet_pton refuses zone ids ("%eth0"): link-local is out */
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*salen = sizeof(*in6);
		return 0;
	}
	colon = strchr(s, ':');
	/* a second ':' is an IPv6 address without its brackets */
	if (!colon || strchr(colon + 1, ':'))
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (!hlen || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (parse_port(colon + 1, &port))
		return -EINVAL;
	{
		struct sockaddr_in *in = (struct sockaddr_in *)sa;

		/* AF_INET inet_pton takes exactly four decimal parts */
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -EINVAL;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*salen = sizeof(*in);
	}
	return 0;
}

bool http_bearer_ok(const char *header, const char *token, size_t token_len)
{
	volatile unsigned char diff;
	const char *p;
	size_t plen, i;

	if (!header || !token || !token_len)
		return false;
	/* RFC 7235: the scheme is case-insensitive, then 1*SP */
	if (strncasecmp(header, "Bearer", 6) || header[6] != ' ')
		return false;
	for (p = header + 6; *p == ' ';)
		p++;
	plen = strlen(p);
	while (plen && p[plen - 1] == ' ')
		plen--;
	/*
	 * Walk the whole secret whatever the client sent, accumulating
	 * differences, so the time taken says nothing about how many leading
	 * bytes were right. Only the presented length (the client's own
	 * knowledge) steers a branch.
	 */
	diff = plen != token_len;
	for (i = 0; i < token_len; i++)
		diff |= (unsigned char)token[i] ^
			(unsigned char)(i < plen ? p[i] : 0);
	return diff == 0;
}

/* ---- helpers for handlers ---- */

int http_request__fail(struct http_request *req, unsigned status,
		       const char *fmt, ...)
{
	va_list ap;

	/* the first reason wins: it is the one that explains the others */
	if (req->error_status)
		return -EINVAL;
	req->error_status = status;
	va_start(ap, fmt);
	vsnprintf(req->error, sizeof(req->error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * The value of KEY in *VALUE (NULL when absent). 0, or -EINVAL with a
 * reason when KEY is given more than once: "?seconds=5&seconds=300" has no
 * meaning we should guess.
 */
static int find_unique(struct http_request *req, const char *key,
		       const char **value)
{
	size_t i;

	*value = NULL;
	for (i = 0; i < req->query.count; i++) {
		if (strcmp(req->query.params[i].key, key))
			continue;
		if (*value)
			return http_request__fail(
			    req, 400, "duplicate parameter '%s'", key);
		*value = req->query.params[i].value;
	}
	return 0;
}

const char *http_query_get(const struct http_request *req, const char *key)
{
	size_t i;

	for (i = 0; i < req->query.count; i++)
		if (!strcmp(req->query.params[i].key, key))
			return req->query.params[i].value;
	return NULL;
}

int http_query_allow(struct http_request *req, ...)
{
	const char *name;
	va_list ap;
	size_t i;
	bool ok;

	for (i = 0; i < req->query.count; i++) {
		const char *key = req->query.params[i].key;

		ok = false;
		va_start(ap, req);
		while (!ok && (name = va_arg(ap, const char *)))
			ok = !strcmp(name, key);
		va_end(ap);
		/* keys passed the parser's alphabet: safe to echo */
		if (!ok)
			return http_request__fail(
			    req, 400, "unknown parameter '%s'", key);
	}
	return 0;
}

int http_query_int(struct http_request *req, const char *key, int64_t min,
		   int64_t max, int64_t def, int64_t *out)
{
	const char *v, *p;
	uint64_t mag = 0, limit;
	bool neg;
	int err;

	err = find_unique(req, key, &v);
	if (err)
		return err;
	if (!v) {
		*out = def;
		return 0;
	}
	p = v;
	neg = *p == '-';
	if (neg)
		p++;
	/* magnitude of INT64_MIN is INT64_MAX + 1 */
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		if (mag > (limit - (uint64_t)(*p - '0')) / 10)
			goto bad;
		mag = mag * 10 + (uint64_t)(*p - '0');
	}
	if (neg)
		*out =
		    mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		*out = (int64_t)mag;
	if (*out < min || *out > max)
		goto bad;
	return 0;
bad:
	return http_request__fail(
	    req, 400, "%s must be an integer in %" PRId64 "..%" PRId64, key,
	    min, max);
}

static const struct {
	size_t max;
	const char *what;
} charsets[] = {
	[HTTP_CHARSET_HEX] = { 64, "1 to 64 lowercase hex digits" },
	[HTTP_CHARSET_UUID] = { 36, "1 to 36 lowercase hex digits and '-'" },
	[HTTP_CHARSET_COMM] = { 15, "1 to 15 printable ASCII characters" },
	[HTTP_CHARSET_NAME] = { 64,
				"1 to 64 letters, digits, '.', '_' or '-'" },
};

static bool charset_has(enum http_charset cs, unsigned char c)
{
	bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');

	switch (cs) {
	case HTTP_CHARSET_HEX:
		return hex;
	case HTTP_CHARSET_UUID:
		return hex || c == '-';
	case HTTP_CHARSET_COMM:
		return c >= 0x20 && c < 0x7f;
	case HTTP_CHARSET_NAME:
		return key_char(c);
	}
	return false;
}

int http_query_str(struct http_request *req, const char *key,
		   enum http_charset cs, const char **out)
{
	const char *v;
	size_t i, n;
	int err;

	*out = NULL;
	if ((unsigned)cs >= sizeof(charsets) / sizeof(charsets[0]))
		return -EINVAL;
	err = find_unique(req, key, &v);
	if (err || !v)
		return err;
	n = strlen(v);
	if (!n || n > charsets[cs].max)
		goto bad;
	for (i = 0; i < n; i++)
		if (!charset_has(cs, (unsigned char)v[i]))
			goto bad;
	*out = v;
	return 0;
bad:
	return http_request__fail(req, 400, "%s must be %s", key,
				  charsets[cs].what);
}

int http_query_enum(struct http_request *req, const char *key,
		    const char *const *choices, int def, int *out)
{
	char list[HTTP_REASON_MAX / 2];
	const char *v;
	size_t used = 0;
	int err, i;

	err = find_unique(req, key, &v);
	if (err)
		return err;
	if (!v) {
		*out = def;
		return 0;
	}
	for (i = 0; choices[i]; i++)
		if (!strcmp(choices[i], v)) {
			*out = i;
			return 0;
		}
	list[0] = '\0';
	for (i = 0; choices[i] && used < sizeof(list); i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s",
				 i ? ", " : "", choices[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return http_request__fail(req, 400, "%s must be one of %s", key, list);
}
