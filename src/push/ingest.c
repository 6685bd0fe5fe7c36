// SPDX-License-Identifier: BSD-2-Clause
/*
 * The Pyroscope ingest request line: the application name with its series
 * labels, and the URL with its query. Pure string work, kept apart from the
 * sending thread so it is unit-tested without a server.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "push.h"

/* Pyroscope's name syntax reserves these; a label value must not hold them. */
static bool value_char_ok(unsigned char c)
{
	return c > ' ' && c < 0x7f && !strchr("{}=,\"\\", c);
}

static bool service_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("._:/-", c);
}

/* Appends S to BUF[*POS..SIZE) with characters CLEAN rejects as '_'. */
static int put_clean(char *buf, size_t size, size_t *pos, const char *s,
		     bool (*clean)(unsigned char))
{
	for (; *s; s++) {
		if (*pos + 1 >= size)
			return -ENAMETOOLONG;
		buf[(*pos)++] = clean((unsigned char)*s) ? *s : '_';
	}
	buf[*pos] = '\0';
	return 0;
}

static int put_raw(char *buf, size_t size, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n >= size)
		return -ENAMETOOLONG;
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return 0;
}

int push_app_name(char *buf, size_t size, const char *service,
		  const struct zp_label *labels, size_t nlabels)
{
	size_t pos = 0, i, used = 0;
	int err;

	if (!buf || !size || !service || !*service || (nlabels && !labels))
		return -EINVAL;
	buf[0] = '\0';
	err = put_clean(buf, size, &pos, service, service_char_ok);
	for (i = 0; !err && i < nlabels; i++) {
		/* an empty value says nothing; Pyroscope rejects "k=" */
		if (!labels[i].name[0] || !labels[i].value[0])
			continue;
		err = put_raw(buf, size, &pos, used++ ? "," : "{");
		if (!err)
			err = put_raw(buf, size, &pos, labels[i].name);
		if (!err)
			err = put_raw(buf, size, &pos, "=");
		if (!err)
			err = put_clean(buf, size, &pos, labels[i].value,
					value_char_ok);
	}
	if (!err && used)
		err = put_raw(buf, size, &pos, "}");
	return err;
}

/*
 * %-encoding of a query value, by hand: libcurl's curl_easy_escape() would
 * do, but it allocates and this file stays free of libcurl for its tests.
 */
static int put_escaped(char *buf, size_t size, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c)) {
			if (*pos + 1 >= size)
				return -ENAMETOOLONG;
			buf[(*pos)++] = (char)c;
		} else {
			if (*pos + 3 >= size)
				return -ENAMETOOLONG;
			buf[(*pos)++] = '%';
			buf[(*pos)++] = hex[c >> 4];
			buf[(*pos)++] = hex[c & 15];
		}
	}
	buf[*pos] = '\0';
	return 0;
}

int push_ingest_url(char *buf, size_t size, const char *base, const char *name,
		    int64_t from_ms, int64_t until_ms, uint32_t sample_rate_hz)
{
	size_t pos = 0, blen, qpos;
	int64_t from_s, until_s;
	char tail[128];
	const char *q;
	int err, n;

	if (!buf || !size || !base || !name || !*name || from_ms < 0 ||
	    until_ms <= from_ms)
		return -EINVAL;
	/* Pyroscope takes whole seconds: round outward */
	from_s = from_ms / 1000;
	until_s = (until_ms + 999) / 1000;
	q = strchr(base, '?');
	blen = q ? (size_t)(q - base) : strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	if (blen + 1 >= size)
		return -ENAMETOOLONG;
	memcpy(buf, base, blen);
	pos = blen;
	buf[pos] = '\0';
	if (blen < 7 || strcmp(buf + blen - 7, "/ingest")) {
		err = put_raw(buf, size, &pos, "/ingest");
		if (err)
			return err;
	}
	qpos = pos;
	if (q && q[1]) /* a query the user gave (an API key, ...) is kept */
		err = put_raw(buf, size, &pos, q);
	else
		err = 0;
	if (!err)
		err =
		    put_raw(buf, size, &pos, pos > qpos ? "&name=" : "?name=");
	if (!err)
		err = put_escaped(buf, size, &pos, name);
	if (err)
		return err;
	n = snprintf(tail, sizeof(tail),
		     "&from=%" PRId64 "&until=%" PRId64
		     "&format=pprof&sampleRate=%" PRIu32 "&spyName=zprofd",
		     from_s, until_s, sample_rate_hz);
	if (n < 0 || (size_t)n >= sizeof(tail))
		return -EINVAL;
	return put_raw(buf, size, &pos, tail);
}
