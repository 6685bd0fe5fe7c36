// SPDX-License-Identifier: BSD-2-Clause
/*
 * config: loads the daemon's INI file with libinih and checks every value.
 * One table describes each key (section, name, type, range, field, whether a
 * reload applies it); parsing, comparing, formatting and the live copy on
 * reload are all driven by it, so a new key is one table line plus its
 * default and its documentation in packaging/zprofd.conf.
 *
 * libinih splits lines into sections and key = value pairs. We feed it
 * through our own line reader, which counts lines (this build of libinih
 * does not pass line numbers to the handler), rejects what libinih would
 * silently accept (a long line split in two, an indented line taken as the
 * continuation of the previous value, "key: value", text after "[section]",
 * NUL bytes) and cuts "#" comments after a value the way libinih cuts ";".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define MS_PER_S   1000ull
#define MS_PER_MIN (60 * MS_PER_S)
#define MS_PER_H   (60 * MS_PER_MIN)
#define MS_PER_DAY (24 * MS_PER_H)
#define KIB	   (1ull << 10)
#define MIB	   (1ull << 20)
#define GIB	   (1ull << 30)
#define TIB	   (1ull << 40)

/* The longest value echoed back in an error message. */
#define ECHO_MAX 64

/* Longest push.service_name / push.tenant_id / push.basic_auth_user. */
#define NAME_MAX_LEN 127

enum key_type {
	K_UINT,	    /* decimal, min..max */
	K_BOOL,	    /* true/false ... */
	K_DURATION, /* min..max in ms; stored in ms or, with KF_SECONDS, s */
	K_SIZE,	    /* min..max bytes; KF_AUTO also accepts "auto" (0) */
	K_ENUM,	    /* one of names[] */
	K_PATH,	    /* absolute path, owned string */
	K_NAME,	    /* [A-Za-z0-9._:/-]{1,127}, owned string */
	K_URL,	    /* http:// or https://, owned string */
	K_HOSTPORT, /* struct zp_hostport */
	K_GLOBS,    /* struct zp_globlist */
};

#define KF_SECONDS 0x1u /* duration stored in whole seconds */
#define KF_AUTO	   0x2u /* size: "auto" means 0 */

struct key {
	const char *section;
	const char *name;
	const char *full; /* "section.name" for messages and diffs */
	enum key_type type;
	size_t off;  /* of the field in struct zp_config */
	size_t size; /* of the field */
	bool live;   /* a reload applies it */
	unsigned int flags;
	uint64_t min, max;
	const char *const *names; /* K_ENUM, NULL-terminated, index = value */
};

static const char *const log_level_names[] = { "error", "warning", "info",
					       "debug", NULL };
static const char *const service_from_names[] = { "fixed", "comm", NULL };

#define FIELD(m)                                                               \
	offsetof(struct zp_config, m), sizeof(((struct zp_config *)0)->m)
#define KEY(sec, nm) sec, nm, sec "." nm

/* In file order: packaging/zprofd.conf and the diff follow it. */
static const struct key keys[] = {
	{ KEY("daemon", "listen"), K_HOSTPORT, FIELD(listen), false },
	{ KEY("daemon", "auth_token_file"), K_PATH, FIELD(auth_token_file),
	  true },
	{ KEY("daemon", "state_dir"), K_PATH, FIELD(state_dir), false },
	{ KEY("daemon", "frequency"), K_UINT, FIELD(frequency_hz), false, 0, 1,
	  1000 },
	{ KEY("daemon", "window"), K_DURATION, FIELD(window_s), false,
	  KF_SECONDS, 1 * MS_PER_S, 3600 * MS_PER_S },
	{ KEY("daemon", "kernel_stacks"), K_BOOL, FIELD(kernel_stacks), false },
	{ KEY("daemon", "python"), K_BOOL, FIELD(python), false },
	{ KEY("daemon", "log_level"), K_ENUM, FIELD(log_level), true, 0, 0, 0,
	  log_level_names },
	{ KEY("retention", "max_age"), K_DURATION, FIELD(max_age_s), true,
	  KF_SECONDS, MS_PER_MIN, 365 * MS_PER_DAY },
	{ KEY("retention", "max_bytes"), K_SIZE, FIELD(max_bytes), true, 0, MIB,
	  TIB },
	{ KEY("push", "url"), K_URL, FIELD(push_url), true },
	{ KEY("push", "service_name"), K_NAME, FIELD(push_service_name), true },
	{ KEY("push", "service_name_from"), K_ENUM,
	  FIELD(push_service_name_from), true, 0, 0, 0, service_from_names },
	{ KEY("push", "token_file"), K_PATH, FIELD(push_token_file), true },
	{ KEY("push", "basic_auth_user"), K_NAME, FIELD(push_basic_auth_user),
	  true },
	{ KEY("push", "basic_auth_password_file"), K_PATH,
	  FIELD(push_basic_auth_password_file), true },
	{ KEY("push", "tenant_id"), K_NAME, FIELD(push_tenant_id), true },
	{ KEY("push", "timeout"), K_DURATION, FIELD(push_timeout_ms), true, 0,
	  100, 5 * MS_PER_MIN },
	{ KEY("push", "queue"), K_UINT, FIELD(push_queue), true, 0, 1, 10000 },
	{ KEY("limits", "max_processes"), K_UINT, FIELD(max_processes), false,
	  0, 16, 1u << 20 },
	{ KEY("limits", "max_stacks"), K_UINT, FIELD(max_stacks), false, 0,
	  1024, 1u << 24 },
	{ KEY("limits", "ring_buffer"), K_SIZE, FIELD(ring_buffer_bytes), false,
	  KF_AUTO, MIB, 64 * MIB },
	{ KEY("filters", "include_comm"), K_GLOBS, FIELD(include_comm), true },
	{ KEY("filters", "exclude_comm"), K_GLOBS, FIELD(exclude_comm), true },
	{ KEY("filters", "include_cgroup"), K_GLOBS, FIELD(include_cgroup),
	  true },
	{ KEY("filters", "exclude_cgroup"), K_GLOBS, FIELD(exclude_cgroup),
	  true },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* [labels] has free-form keys; every other section is in keys[]. */
static const char *const sections[] = { "daemon", "retention", "push",
					"limits", "filters",   "labels",
					NULL };

/* ------------------------------------------------------------------ */
/* value parsers                                                       */

/* Leading decimal digits of S into *OUT; returns the count, -ERANGE. */
static int parse_digits(const char *s, uint64_t *out)
{
	uint64_t v = 0, d;
	int n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		d = (uint64_t)(s[n] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
		n++;
	}
	*out = v;
	return n;
}

int config_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int n;

	n = parse_digits(s, &v);
	if (n < 0)
		return n;
	if (!n || s[n])
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Multiply with an overflow check. */
static int scale(uint64_t v, uint64_t mult, uint64_t *out)
{
	if (mult && v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int config_parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "", MS_PER_S },	 { "ms", 1 },	    { "s", MS_PER_S },
		{ "m", MS_PER_MIN },	 { "h", MS_PER_H }, { "d", MS_PER_DAY },
		{ "w", 7 * MS_PER_DAY },
	};
	uint64_t v;
	size_t i;
	int n;

	n = parse_digits(s, &v);
	if (n < 0)
		return n;
	if (!n)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(s + n, units[i].unit))
			return scale(v, units[i].ms, ms);
	return -EINVAL;
}

int config_parse_size(const char *s, uint64_t *bytes)
{
	static const char prefixes[] = "KMGT";
	const char *u, *p;
	uint64_t v, mult = 1;
	int n;

	n = parse_digits(s, &v);
	if (n < 0)
		return n;
	if (!n)
		return -EINVAL;
	u = s + n;
	/* "", "B", or a prefix followed by "", "B" or "iB" */
	if (*u && (p = strchr(prefixes, u[0] & ~0x20)) && *p) {
		mult = 1ull << (10 * (p - prefixes + 1));
		u++;
		if ((u[0] | 0x20) == 'i' && (u[1] | 0x20) == 'b')
			u += 2;
		else if ((u[0] | 0x20) == 'b')
			u++;
	} else if ((u[0] | 0x20) == 'b') {
		u++;
	}
	if (*u)
		return -EINVAL;
	return scale(v, mult, bytes);
}

/* RFC 1123 host name: dot-separated labels of letters, digits, hyphens. */
static bool valid_dns_name(const char *s, size_t len)
{
	size_t i, label = 0;

	if (!len || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (!label || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') ||
			   (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || (ch == '-' && label)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label && s[len - 1] != '-';
}

int config_parse_hostport(const char *s, struct zp_hostport *out)
{
	char host[CONFIG_HOST_LEN], buf[16];
	const char *colon, *h = s;
	size_t hlen;
	uint64_t port;
	int family, err;

	if (*s == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(s, ':');
		/* an unbracketed IPv6 address has several colons */
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (!hlen || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (*s == '[') {
		if (inet_pton(AF_INET6, host, buf) != 1)
			return -EINVAL;
		family = AF_INET6;
	} else if (inet_pton(AF_INET, host, buf) == 1) {
		family = AF_INET;
	} else if (valid_dns_name(host, hlen)) {
		/* all digits and dots is a malformed address, not a name */
		if (strspn(host, "0123456789.") == hlen)
			return -EINVAL;
		family = AF_UNSPEC;
	} else {
		return -EINVAL;
	}
	err = config_parse_uint(colon + 1, UINT64_MAX, &port);
	if (err)
		return err;
	if (!port || port > 65535)
		return -ERANGE;
	memcpy(out->host, host, hlen + 1);
	out->port = (uint16_t)port;
	out->family = family;
	return 0;
}

void config_format_duration(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "d", MS_PER_DAY },
		      { "h", MS_PER_H },
		      { "m", MS_PER_MIN },
		      { "s", MS_PER_S } };
	size_t i;

	if (!len)
		return;
	for (i = 0; ms && i < sizeof(units) / sizeof(units[0]); i++)
		if (ms % units[i].ms == 0) {
			snprintf(buf, len, "%llu%s",
				 (unsigned long long)(ms / units[i].ms),
				 units[i].unit);
			return;
		}
	snprintf(buf, len, "%llums", (unsigned long long)ms);
}

void config_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char prefixes[] = "TGMK";
	int i, shift;

	if (!len)
		return;
	for (i = 0; bytes && prefixes[i]; i++) {
		shift = 10 * (4 - i);
		if ((bytes & ((1ull << shift) - 1)) == 0) {
			snprintf(buf, len, "%llu%c",
				 (unsigned long long)(bytes >> shift),
				 prefixes[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)bytes);
}

/* snprintf() for text that may be cut short on purpose. */
static void __attribute__((format(printf, 3, 4)))
trunc_printf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void config_format_hostport(const struct zp_hostport *hp, char *buf, size_t len)
{
	if (!len)
		return;
	if (hp->family == AF_INET6)
		trunc_printf(buf, len, "[%s]:%u", hp->host, (unsigned)hp->port);
	else
		trunc_printf(buf, len, "%s:%u", hp->host, (unsigned)hp->port);
}

/* ------------------------------------------------------------------ */
/* defaults, free                                                      */

static char **str_field(struct zp_config *c, const struct key *k)
{
	return (char **)((char *)c + k->off);
}

static char *const *cstr_field(const struct zp_config *c, const struct key *k)
{
	return (char *const *)((const char *)c + k->off);
}

static bool is_string(const struct key *k)
{
	return k->type == K_PATH || k->type == K_NAME || k->type == K_URL;
}

int config__defaults(struct zp_config *c)
{
	memset(c, 0, sizeof(*c));
	/* loopback only: the API serves profiles, which reveal code paths */
	snprintf(c->listen.host, sizeof(c->listen.host), "127.0.0.1");
	c->listen.port = 7070;
	c->listen.family = AF_INET;
	c->frequency_hz = 19; /* prime: does not beat with periodic work */
	c->window_s = 10;
	c->kernel_stacks = true;
	c->python = true;
	c->log_level = CONFIG_LOG_INFO;
	c->max_age_s = 7 * 86400;
	c->max_bytes = GIB;
	c->push_service_name_from = CONFIG_SERVICE_FIXED;
	c->push_timeout_ms = 10 * MS_PER_S;
	c->push_queue = 60;
	c->max_processes = 4096;
	c->max_stacks = 65536;
	c->ring_buffer_bytes = 0;
	c->state_dir = strdup("/var/lib/zprofd");
	c->push_service_name = strdup("zprofd");
	if (!c->state_dir || !c->push_service_name) {
		config__free(c);
		return -ENOMEM;
	}
	return 0;
}

void config__free(struct zp_config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < NKEYS; i++)
		if (is_string(&keys[i]))
			free(*str_field(c, &keys[i]));
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------ */
/* the INI reader and handler                                          */

struct parse {
	struct zp_config *c;
	const char *origin;
	const char *p, *end; /* input not yet read */
	int lineno;	     /* of the line libinih is working on */
	const char *section; /* static name, validated by the reader */
	int key_line[NKEYS]; /* where each key was set, 0: not set */
	int label_line[CONFIG_LABELS_MAX];
	bool failed;
	int err_line;
	int errnum;
	char *err;
	size_t errlen;
};

static void __attribute__((format(printf, 2, 3)))
fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->failed)
		return;
	ps->failed = true;
	ps->err_line = ps->lineno;
	if (!ps->errnum)
		ps->errnum = -EINVAL;
	if (!ps->err || !ps->errlen)
		return;
	n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->origin, ps->lineno);
	if (n < 0 || (size_t)n >= ps->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

static const char *known_section(const char *name, size_t len)
{
	size_t i;

	for (i = 0; sections[i]; i++)
		if (strlen(sections[i]) == len &&
		    !memcmp(sections[i], name, len))
			return sections[i];
	return NULL;
}

/*
 * Checks a "[section]" line (S..S+N, leading spaces gone). Anything but
 * spaces or a comment after the "]" is an error: libinih would ignore it.
 */
static void read_section(struct parse *ps, const char *s, size_t n)
{
	const char *close = memchr(s, ']', n), *t, *name;
	size_t len;

	if (!close) {
		fail(ps, "expected [section] or key = value");
		return;
	}
	for (t = close + 1; t < s + n && is_space(*t); t++)
		;
	if (t < s + n && *t != '#' && *t != ';') {
		fail(ps, "text after [section]");
		return;
	}
	name = s + 1;
	len = (size_t)(close - name);
	ps->section = known_section(name, len);
	if (!ps->section)
		fail(ps, "unknown section [%.*s]", (int)(len > 32 ? 32 : len),
		     name);
}

/*
 * libinih's line source. Counts lines, strips the CR of CRLF, a UTF-8 BOM on
 * line 1 and leading spaces (so libinih never sees a continuation line),
 * cuts " # comment", and stops the parse (NULL) at the first error.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	const char *line = ps->p, *nl, *eq, *t;
	size_t n, i;

	if (ps->failed || ps->p >= ps->end || num < 2)
		return NULL;
	nl = memchr(line, '\n', (size_t)(ps->end - line));
	n = (size_t)((nl ? nl : ps->end) - line);
	ps->p = nl ? nl + 1 : ps->end;
	ps->lineno++;
	if (n && line[n - 1] == '\r')
		n--;
	if (ps->lineno == 1 && n >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
		line += 3;
		n -= 3;
	}
	if (n > CONFIG_LINE_MAX || n >= (size_t)num) {
		fail(ps, "line too long (more than %d characters)",
		     CONFIG_LINE_MAX < num - 1 ? CONFIG_LINE_MAX : num - 1);
		return NULL;
	}
	if (memchr(line, '\0', n)) {
		fail(ps, "NUL byte in line");
		return NULL;
	}
	while (n && is_space(*line)) {
		line++;
		n--;
	}
	if (n && line[0] == '[') {
		read_section(ps, line, n);
	} else if (n && line[0] != '#' && line[0] != ';') {
		eq = memchr(line, '=', n);
		t = memchr(line, ':', n);
		if (!eq || (t && t < eq)) {
			fail(ps, "expected [section] or key = value");
			return NULL;
		}
		if (!ps->section) {
			fail(ps, "key outside a section");
			return NULL;
		}
		/* a '#' or ';' after a space starts a comment */
		for (i = (size_t)(eq - line) + 1; i < n; i++)
			if ((line[i] == '#' || line[i] == ';') &&
			    is_space(line[i - 1])) {
				n = i;
				break;
			}
	}
	if (ps->failed)
		return NULL;
	memcpy(str, line, n);
	str[n] = '\0';
	return str;
}

static void echo_fail(struct parse *ps, const struct key *k, const char *v,
		      const char *why)
{
	fail(ps, "%s = '%.*s%s': %s", k->full, ECHO_MAX, v,
	     strlen(v) > ECHO_MAX ? "..." : "", why);
}

static uint64_t get_num(const struct zp_config *c, const struct key *k)
{
	uint32_t v32;
	uint64_t v64;

	if (k->size == sizeof(v64)) {
		memcpy(&v64, (const char *)c + k->off, sizeof(v64));
		return v64;
	}
	memcpy(&v32, (const char *)c + k->off, sizeof(v32));
	return v32;
}

static void set_num(struct zp_config *c, const struct key *k, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;

	if (k->size == sizeof(v))
		memcpy((char *)c + k->off, &v, sizeof(v));
	else
		memcpy((char *)c + k->off, &v32, sizeof(v32));
}

static void range_text(const struct key *k, char *buf, size_t len)
{
	char lo[32], hi[32];

	if (k->type == K_DURATION) {
		config_format_duration(k->min, lo, sizeof(lo));
		config_format_duration(k->max, hi, sizeof(hi));
	} else if (k->type == K_SIZE) {
		config_format_size(k->min, lo, sizeof(lo));
		config_format_size(k->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%llu", (unsigned long long)k->min);
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)k->max);
	}
	snprintf(buf, len, "out of range (%s%s..%s)",
		 k->flags & KF_AUTO ? "auto or " : "", lo, hi);
}

static bool valid_path(const char *v)
{
	return v[0] == '/' && strlen(v) < 4096;
}

static bool valid_name(const char *v)
{
	size_t len = strlen(v);

	return len <= NAME_MAX_LEN &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._:/-") == len;
}

void config_format_url(const char *url, char *buf, size_t len)
{
	size_t n = strcspn(url, "?#");

	if (!len)
		return;
	snprintf(buf, len, "%.*s%s", (int)(n < INT32_MAX ? n : INT32_MAX), url,
		 url[n] ? "?..." : "");
}

const char *config_url_problem(const char *v)
{
	const char *auth, *end, *at, *colon;
	struct zp_hostport hp;
	char hostport[CONFIG_HOST_LEN + 8];
	size_t i, len;

	if (!strncasecmp(v, "http://", 7))
		auth = v + 7;
	else if (!strncasecmp(v, "https://", 8))
		auth = v + 8;
	else
		return "not an http:// or https:// URL";
	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f)
			return "spaces and non-ASCII characters must be "
			       "%-encoded";
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	if (at)
		return "credentials in the URL would be logged; use "
		       "push.basic_auth_user";
	len = (size_t)(end - auth);
	if (!len || len + 8 > sizeof(hostport))
		return "no host in the URL";
	/* host[:port]: reuse the host:port parser with a dummy port */
	memcpy(hostport, auth, len);
	hostport[len] = '\0';
	/* no port, or only the colons of an IPv6 address */
	colon = strrchr(hostport, ':');
	if (!colon || (hostport[0] == '[' && colon[-1] != ']'))
		strcat(hostport, ":1");
	if (config_parse_hostport(hostport, &hp))
		return "bad host or port in the URL";
	return NULL;
}

static int set_string(struct parse *ps, const struct key *k, const char *v)
{
	char **f = str_field(ps->c, k), *dup = strdup(v);

	if (!dup) {
		ps->errnum = -ENOMEM;
		fail(ps, "out of memory");
		return -ENOMEM;
	}
	free(*f);
	*f = dup;
	return 0;
}

static void set_globs(struct parse *ps, const struct key *k, const char *v)
{
	struct zp_globlist *g = (struct zp_globlist *)((char *)ps->c + k->off);
	const char *p = v, *comma, *b, *e;
	unsigned int count = 0;

	for (;;) {
		comma = strchr(p, ',');
		e = comma ? comma : p + strlen(p);
		for (b = p; b < e && is_space(*b); b++)
			;
		while (e > b && is_space(e[-1]))
			e--;
		if (b == e) {
			fail(ps, "%s: empty pattern", k->full);
			return;
		}
		if (count == CONFIG_GLOBS_MAX) {
			fail(ps, "%s: more than %d patterns", k->full,
			     CONFIG_GLOBS_MAX);
			return;
		}
		if ((size_t)(e - b) >= CONFIG_GLOB_LEN) {
			fail(ps,
			     "%s: pattern '%.*s...' longer than %d characters",
			     k->full, 16, b, CONFIG_GLOB_LEN - 1);
			return;
		}
		memcpy(g->glob[count], b, (size_t)(e - b));
		g->glob[count][e - b] = '\0';
		count++;
		if (!comma)
			break;
		p = comma + 1;
	}
	g->count = count;
}

static void set_value(struct parse *ps, const struct key *k, const char *v)
{
	char why[96];
	uint64_t n;
	bool b;
	size_t i;
	int err;

	switch (k->type) {
	case K_UINT:
		err = config_parse_uint(v, UINT64_MAX, &n);
		if (err == -EINVAL) {
			echo_fail(ps, k, v, "not a whole number");
			return;
		}
		if (err || n < k->min || n > k->max) {
			range_text(k, why, sizeof(why));
			echo_fail(ps, k, v, why);
			return;
		}
		set_num(ps->c, k, n);
		return;
	case K_BOOL:
		if (config_parse_bool(v, &b)) {
			echo_fail(ps, k, v,
				  "not a boolean (true/false, yes/no, on/off, "
				  "1/0)");
			return;
		}
		memcpy((char *)ps->c + k->off, &b, sizeof(b));
		return;
	case K_DURATION:
		err = config_parse_duration(v, &n);
		if (err == -EINVAL) {
			echo_fail(ps, k, v,
				  "not a duration (a whole number and a unit: "
				  "ms, s, m, h, d, w)");
			return;
		}
		if (err || n < k->min || n > k->max) {
			range_text(k, why, sizeof(why));
			echo_fail(ps, k, v, why);
			return;
		}
		if ((k->flags & KF_SECONDS) && n % MS_PER_S) {
			echo_fail(ps, k, v, "not a whole number of seconds");
			return;
		}
		set_num(ps->c, k, k->flags & KF_SECONDS ? n / MS_PER_S : n);
		return;
	case K_SIZE:
		if ((k->flags & KF_AUTO) && !strcmp(v, "auto")) {
			set_num(ps->c, k, 0);
			return;
		}
		err = config_parse_size(v, &n);
		if (err == -EINVAL) {
			echo_fail(ps, k, v,
				  "not a size (a whole number and an optional "
				  "unit: K, M, G, T)");
			return;
		}
		if (err || n < k->min || n > k->max) {
			range_text(k, why, sizeof(why));
			echo_fail(ps, k, v, why);
			return;
		}
		set_num(ps->c, k, n);
		return;
	case K_ENUM:
		for (i = 0; k->names[i]; i++)
			if (!strcmp(v, k->names[i])) {
				set_num(ps->c, k, i);
				return;
			}
		n = 0;
		for (i = 0; k->names[i] && n < sizeof(why); i++)
			n += (uint64_t)snprintf(
			    why + n, sizeof(why) - n, "%s%s",
			    i ? ", " : "not one of ", k->names[i]);
		echo_fail(ps, k, v, why);
		return;
	case K_PATH:
		if (!valid_path(v)) {
			echo_fail(ps, k, v, "not an absolute path");
			return;
		}
		set_string(ps, k, v);
		return;
	case K_NAME:
		if (!valid_name(v)) {
			snprintf(why, sizeof(why),
				 "only letters, digits and . _ : / - allowed, "
				 "at most %d",
				 NAME_MAX_LEN);
			echo_fail(ps, k, v, why);
			return;
		}
		set_string(ps, k, v);
		return;
	case K_URL: {
		const char *problem = config_url_problem(v);

		if (problem) {
			echo_fail(ps, k, v, problem);
			return;
		}
		set_string(ps, k, v);
		return;
	}
	case K_HOSTPORT: {
		struct zp_hostport hp;

		err = config_parse_hostport(v, &hp);
		if (err == -ERANGE) {
			echo_fail(ps, k, v, "port out of range (1..65535)");
			return;
		}
		if (err) {
			echo_fail(ps, k, v,
				  "not host:port (127.0.0.1:7070, [::1]:7070, "
				  "localhost:7070)");
			return;
		}
		memcpy((char *)ps->c + k->off, &hp, sizeof(hp));
		return;
	}
	case K_GLOBS:
		set_globs(ps, k, v);
		return;
	}
}

static bool valid_label_name(const char *n)
{
	size_t len = strlen(n);

	return len && len < CONFIG_LABEL_NAME_LEN &&
	       !(n[0] >= '0' && n[0] <= '9') && strncmp(n, "__", 2) &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_") == len;
}

static void set_label(struct parse *ps, const char *name, const char *v)
{
	struct zp_config *c = ps->c;
	unsigned int i;

	if (!valid_label_name(name)) {
		fail(ps,
		     "labels.%.*s: not a label name (letters, digits and _, "
		     "not starting with a digit or __, at most %d)",
		     ECHO_MAX, name, CONFIG_LABEL_NAME_LEN - 1);
		return;
	}
	/* the push client sets it from push.service_name */
	if (!strcmp(name, "service_name")) {
		fail(ps,
		     "labels.service_name: reserved; use push.service_name");
		return;
	}
	for (i = 0; i < c->nlabels; i++)
		if (!strcmp(c->labels[i].name, name)) {
			fail(ps,
			     "duplicate key labels.%s (first set on line %d)",
			     name, ps->label_line[i]);
			return;
		}
	if (c->nlabels == CONFIG_LABELS_MAX) {
		fail(ps, "more than %d labels", CONFIG_LABELS_MAX);
		return;
	}
	if (strlen(v) >= CONFIG_LABEL_VALUE_LEN) {
		fail(ps, "labels.%s: value longer than %d characters", name,
		     CONFIG_LABEL_VALUE_LEN - 1);
		return;
	}
	snprintf(c->labels[i].name, sizeof(c->labels[i].name), "%s", name);
	snprintf(c->labels[i].value, sizeof(c->labels[i].value), "%s", v);
	ps->label_line[i] = ps->lineno;
	c->nlabels++;
}

static int handle(void *user, const char *section, const char *name,
		  const char *value)
{
	struct parse *ps = user;
	const struct key *k = NULL;
	size_t i;

	(void)section; /* ps->section: libinih truncates long names */
	if (ps->failed)
		return 0;
	if (!*name) {
		fail(ps, "missing key name before '='");
		return 0;
	}
	for (i = 0; value[i]; i++)
		if ((unsigned char)value[i] < ' ' || value[i] == 0x7f) {
			fail(ps, "%s.%.*s: control character in value",
			     ps->section, ECHO_MAX, name);
			return 0;
		}
	if (!*value) {
		fail(ps, "%s.%.*s: empty value", ps->section, ECHO_MAX, name);
		return 0;
	}
	if (!strcmp(ps->section, "labels")) {
		set_label(ps, name, value);
		return !ps->failed;
	}
	for (i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].section, ps->section) &&
		    !strcmp(keys[i].name, name)) {
			k = &keys[i];
			break;
		}
	if (!k) {
		fail(ps, "unknown key '%.*s' in [%s]", ECHO_MAX, name,
		     ps->section);
		return 0;
	}
	if (ps->key_line[i]) {
		fail(ps, "duplicate key %s (first set on line %d)", k->full,
		     ps->key_line[i]);
		return 0;
	}
	ps->key_line[i] = ps->lineno;
	set_value(ps, k, value);
	return !ps->failed;
}

static int key_index(const char *full)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].full, full))
			return (int)i;
	return -1;
}

/* Rules that involve more than one key, reported at the later line. */
static void check_combinations(struct parse *ps)
{
	const struct zp_config *c = ps->c;
	int user = key_index("push.basic_auth_user");
	int pass = key_index("push.basic_auth_password_file");
	int token = key_index("push.token_file");

	if (!c->push_basic_auth_user != !c->push_basic_auth_password_file) {
		/* the line of whichever is set; the other's is 0 */
		ps->lineno = ps->key_line[user] + ps->key_line[pass];
		fail(ps,
		     "push.basic_auth_user and push.basic_auth_password_file "
		     "go together");
	} else if (c->push_basic_auth_user && c->push_token_file) {
		ps->lineno = ps->key_line[token] > ps->key_line[user]
				 ? ps->key_line[token]
				 : ps->key_line[user];
		fail(ps, "push.token_file and push.basic_auth_user exclude "
			 "each other");
	}
}

int config__load_string(struct zp_config *c, const char *text, size_t len,
			const char *origin, char *err, size_t errlen)
{
	struct parse ps = {
		.c = c,
		.origin = origin ? origin : "(string)",
		.p = text ? text : "",
		.end = text ? text + len : "",
		.err = err,
		.errlen = errlen,
	};
	int ret, line;

	if (err && errlen)
		err[0] = '\0';
	ret = config__defaults(c);
	if (ret) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", ps.origin);
		return ret;
	}
	/*
	 * Debian's libinih makes its compile-time line limit a variable; the
	 * reader still checks the size it is given, so a smaller limit gives
	 * "line too long", never a line split in two.
	 */
	ini_max_line = CONFIG_LINE_MAX + 2;
	line = ini_parse_stream(read_line, &ps, handle, &ps);
	if (line == -2) {
		ps.errnum = -ENOMEM;
		ps.lineno = ps.lineno ? ps.lineno : 1;
		ps.failed = false;
		fail(&ps, "out of memory");
	} else if (line > 0 && (!ps.failed || line < ps.err_line)) {
		/* a line libinih refused before we saw anything wrong */
		ps.failed = false;
		ps.lineno = line;
		fail(&ps, "expected [section] or key = value");
	} else if (!ps.failed) {
		check_combinations(&ps);
	}
	if (!ps.failed)
		return 0;
	ret = ps.errnum;
	config__free(c);
	if (config__defaults(c))
		ret = -ENOMEM;
	return ret;
}

static int read_config_file(const char *path, char **out, size_t *out_len)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	char *buf;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out_close;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		err = -EFBIG;
		goto out_close;
	}
	/* one byte more than the limit tells a file that grew meanwhile */
	buf = malloc(CONFIG_FILE_MAX + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out_close;
	}
	while (len <= CONFIG_FILE_MAX) {
		n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out_free;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (len > CONFIG_FILE_MAX) {
		err = -EFBIG;
		goto out_free;
	}
	close(fd);
	*out = buf;
	*out_len = len;
	return 0;

out_free:
	free(buf);
out_close:
	close(fd);
	return err;
}

int config__load_file(struct zp_config *c, const char *path, char *err,
		      size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = read_config_file(path, &buf, &len);
	if (ret) {
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path,
				 ret == -EINVAL	 ? "not a regular file"
				 : ret == -EFBIG ? "larger than 1 MiB"
						 : strerror(-ret));
		/* the contract: C is initialised whatever happens */
		if (config__defaults(c))
			return -ENOMEM;
		return ret;
	}
	ret = config__load_string(c, buf, len, path, err, errlen);
	free(buf);
	return ret;
}

/* ------------------------------------------------------------------ */
/* reload                                                              */

static void format_globs(const struct zp_globlist *g, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < g->count && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				      g->glob[i]);
}

static void format_value(const struct zp_config *c, const struct key *k,
			 char *buf, size_t len)
{
	const void *f = (const char *)c + k->off;
	const char *s;
	uint64_t v;
	bool b;

	switch (k->type) {
	case K_UINT:
		snprintf(buf, len, "%llu", (unsigned long long)get_num(c, k));
		return;
	case K_BOOL:
		memcpy(&b, f, sizeof(b));
		snprintf(buf, len, "%s", b ? "true" : "false");
		return;
	case K_DURATION:
		v = get_num(c, k);
		config_format_duration(k->flags & KF_SECONDS ? v * MS_PER_S : v,
				       buf, len);
		return;
	case K_SIZE:
		v = get_num(c, k);
		if (!v && (k->flags & KF_AUTO))
			snprintf(buf, len, "auto");
		else
			config_format_size(v, buf, len);
		return;
	case K_ENUM:
		v = get_num(c, k);
		snprintf(buf, len, "%s", k->names[v]);
		return;
	case K_URL:
		s = *cstr_field(c, k);
		if (s)
			config_format_url(s, buf, len);
		else
			snprintf(buf, len, "(none)");
		return;
	case K_PATH:
	case K_NAME:
		s = *cstr_field(c, k);
		snprintf(buf, len, "%s", s ? s : "(none)");
		return;
	case K_HOSTPORT:
		config_format_hostport(f, buf, len);
		return;
	case K_GLOBS:
		format_globs(f, buf, len);
		if (!buf[0])
			snprintf(buf, len, "(none)");
		return;
	}
}

static bool same_value(const struct zp_config *a, const struct zp_config *b,
		       const struct key *k)
{
	const struct zp_hostport *ha, *hb;
	const struct zp_globlist *ga, *gb;
	const char *sa, *sb;
	unsigned int i;

	switch (k->type) {
	case K_PATH:
	case K_NAME:
	case K_URL:
		sa = *cstr_field(a, k);
		sb = *cstr_field(b, k);
		return sa && sb ? !strcmp(sa, sb) : sa == sb;
	case K_HOSTPORT:
		ha = (const void *)((const char *)a + k->off);
		hb = (const void *)((const char *)b + k->off);
		return ha->port == hb->port && ha->family == hb->family &&
		       !strcmp(ha->host, hb->host);
	case K_GLOBS:
		ga = (const void *)((const char *)a + k->off);
		gb = (const void *)((const char *)b + k->off);
		if (ga->count != gb->count)
			return false;
		for (i = 0; i < ga->count; i++)
			if (strcmp(ga->glob[i], gb->glob[i]))
				return false;
		return true;
	case K_BOOL:
		return !memcmp((const char *)a + k->off,
			       (const char *)b + k->off, sizeof(bool));
	default:
		return get_num(a, k) == get_num(b, k);
	}
}

static bool same_labels(const struct zp_config *a, const struct zp_config *b)
{
	unsigned int i;

	if (a->nlabels != b->nlabels)
		return false;
	for (i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i].name, b->labels[i].name) ||
		    strcmp(a->labels[i].value, b->labels[i].value))
			return false;
	return true;
}

static void format_labels(const struct zp_config *c, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int i;

	snprintf(buf, len, "(none)");
	for (i = 0; i < c->nlabels && n < len; i++)
		n +=
		    (size_t)snprintf(buf + n, len - n, "%s%s=%s", i ? ", " : "",
				     c->labels[i].name, c->labels[i].value);
}

int config__reload_diff(const struct zp_config *old,
			const struct zp_config *new, struct config_change *out,
			size_t max)
{
	struct config_change *ch;
	size_t i;
	int n = 0;

	for (i = 0; i < NKEYS; i++) {
		if (same_value(old, new, &keys[i]))
			continue;
		if ((size_t)n < max) {
			ch = &out[n];
			ch->key = keys[i].full;
			ch->live = keys[i].live;
			format_value(old, &keys[i], ch->old_value,
				     sizeof(ch->old_value));
			format_value(new, &keys[i], ch->new_value,
				     sizeof(ch->new_value));
		}
		n++;
	}
	if (!same_labels(old, new)) {
		if ((size_t)n < max) {
			ch = &out[n];
			ch->key = "labels";
			ch->live = true;
			format_labels(old, ch->old_value,
				      sizeof(ch->old_value));
			format_labels(new, ch->new_value,
				      sizeof(ch->new_value));
		}
		n++;
	}
	return n;
}

int config__apply_live(struct zp_config *run, const struct zp_config *next)
{
	char *dup[NKEYS] = { NULL };
	const char *s;
	size_t i;

	/* copy every string first, so a failure changes nothing */
	for (i = 0; i < NKEYS; i++) {
		if (!keys[i].live || !is_string(&keys[i]))
			continue;
		s = *cstr_field(next, &keys[i]);
		if (s && !(dup[i] = strdup(s)))
			goto err_free;
	}
	for (i = 0; i < NKEYS; i++) {
		if (!keys[i].live)
			continue;
		if (is_string(&keys[i])) {
			free(*str_field(run, &keys[i]));
			*str_field(run, &keys[i]) = dup[i];
		} else {
			memcpy((char *)run + keys[i].off,
			       (const char *)next + keys[i].off, keys[i].size);
		}
	}
	run->nlabels = next->nlabels;
	memcpy(run->labels, next->labels, sizeof(run->labels));
	return 0;

err_free:
	for (i = 0; i < NKEYS; i++)
		free(dup[i]);
	return -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* filters                                                             */

static bool globs_match(const struct zp_globlist *g, const char *s)
{
	unsigned int i;

	/* no FNM_PATHNAME: "*" spans "/" so "/kubepods*" covers all pods */
	for (i = 0; i < g->count; i++)
		if (!fnmatch(g->glob[i], s, 0))
			return true;
	return false;
}

bool config__filter_allows(const struct zp_config *c, const char *comm,
			   const char *cgroup)
{
	if (c->include_comm.count &&
	    !(comm && globs_match(&c->include_comm, comm)))
		return false;
	if (c->include_cgroup.count &&
	    !(cgroup && globs_match(&c->include_cgroup, cgroup)))
		return false;
	if (comm && globs_match(&c->exclude_comm, comm))
		return false;
	if (cgroup && globs_match(&c->exclude_cgroup, cgroup))
		return false;
	return true;
}
