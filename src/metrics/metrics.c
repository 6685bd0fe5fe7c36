// SPDX-License-Identifier: BSD-2-Clause
/*
 * metrics: the registry behind GET /metrics and its renderer. Owns the
 * families, their children and the atomic values, validates names at
 * registration (so a render cannot produce an exposition Prometheus
 * rejects), and writes the text format, documented here where it is
 * encoded (prometheus.io/docs/instrumenting/exposition_formats, 0.0.4):
 *
 *   # HELP NAME HELP-TEXT          HELP-TEXT escapes '\' and newline
 *   # TYPE NAME counter|gauge
 *   NAME{LABEL="VALUE",...} NUMBER  VALUE escapes '\', '"' and newline
 *
 * one line each, '\n'-terminated, UTF-8; all samples of a family follow its
 * TYPE line. NUMBER is a Go ParseFloat string: integers, decimals with
 * exponent, "NaN", "+Inf", "-Inf".
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics.h"

#define MAX_COLLECTORS 8

struct metric {
	struct metric_family *family;
	/* u64, or a double's bits when the family is fractional */
	_Atomic uint64_t value;
	char *labels[METRICS_MAX_LABELS];
};

struct metric_family {
	char *name;
	char *help;
	enum metric_type type;
	bool fractional;
	size_t nlabels;
	char *labels[METRICS_MAX_LABELS];
	struct metric **children; /* sorted by label values */
	size_t nchildren;
	size_t cap;
	struct metrics *registry;
};

struct collector {
	metrics_collect_fn *fn;
	void *ctx;
};

struct metrics {
	pthread_mutex_t lock;
	struct metric_family **families; /* sorted by name */
	size_t nfamilies;
	size_t cap;
	struct collector collectors[MAX_COLLECTORS];
	size_t ncollectors;
	struct metric *proc_cpu;
	struct metric *proc_rss;
};

/* ---- values ---- */

static uint64_t dbits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static double bitsd(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static uint64_t clamp_u64(double v)
{
	if (!(v > 0)) /* also NaN */
		return 0;
	if (v >= 18446744073709551616.0) /* 2^64 */
		return UINT64_MAX;
	/* below 2^64 the largest double is 2^64 - 2048: no overflow */
	return (uint64_t)(v + 0.5);
}

void metric_set(struct metric *m, uint64_t v)
{
	if (!m)
		return;
	atomic_store_explicit(&m->value,
			      m->family->fractional ? dbits((double)v) : v,
			      memory_order_relaxed);
}

void metric_add(struct metric *m, uint64_t delta)
{
	uint64_t old;

	if (!m)
		return;
	if (!m->family->fractional) {
		atomic_fetch_add_explicit(&m->value, delta,
					  memory_order_relaxed);
		return;
	}
	old = atomic_load_explicit(&m->value, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(
	    &m->value, &old, dbits(bitsd(old) + (double)delta),
	    memory_order_relaxed, memory_order_relaxed))
		;
}

void metric_set_double(struct metric *m, double v)
{
	if (!m)
		return;
	atomic_store_explicit(&m->value,
			      m->family->fractional ? dbits(v) : clamp_u64(v),
			      memory_order_relaxed);
}

double metric_value(const struct metric *m)
{
	uint64_t v;

	if (!m)
		return 0;
	v = atomic_load_explicit(&((struct metric *)m)->value,
				 memory_order_relaxed);
	return m->family->fractional ? bitsd(v) : (double)v;
}

/* ---- validation ---- */

static bool metric_name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || c == ':' || (i && c >= '0' && c <= '9')))
			return false;
	}
	return i && i <= METRICS_MAX_NAME;
}

static bool label_name_ok(const char *s)
{
	size_t i;

	/* names starting with "__" are reserved for Prometheus itself */
	if (s[0] == '_' && s[1] == '_')
		return false;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || (i && c >= '0' && c <= '9')))
			return false;
	}
	return i && i <= METRICS_MAX_NAME;
}

/*
 * Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF):
 * Prometheus rejects an exposition that is not valid UTF-8, and label
 * values may come from process names.
 */
static bool utf8_ok(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned cp, n, i;

	while (*s) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf) {
			n = 1;
			cp = *s & 0x1f;
		} else if (*s >= 0xe0 && *s <= 0xef) {
			n = 2;
			cp = *s & 0x0f;
		} else if (*s >= 0xf0 && *s <= 0xf4) {
			n = 3;
			cp = *s & 0x07;
		} else {
			return false;
		}
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false; /* also stops at the NUL */
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* ---- registry ---- */

struct metrics *metrics__new(int *err)
{
	struct metrics *r = calloc(1, sizeof(*r));

	if (!r) {
		*err = -ENOMEM;
		return NULL;
	}
	if (pthread_mutex_init(&r->lock, NULL)) {
		free(r);
		*err = -ENOMEM;
		return NULL;
	}
	return r;
}

static void child_free(struct metric *m, size_t nlabels)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < nlabels; i++)
		free(m->labels[i]);
	free(m);
}

static void family_free(struct metric_family *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nchildren; i++)
		child_free(f->children[i], f->nlabels);
	free(f->children);
	for (i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	free(f);
}

void metrics__free(struct metrics *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nfamilies; i++)
		family_free(r->families[i]);
	free(r->families);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/*
 * ARR (N used of *CAP elements of SIZE bytes) with room for one more: ARR
 * itself, or a larger copy (*CAP updated), or NULL when out of memory.
 */
static void *grow(void *arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(arr, ncap * size);
	if (p)
		*cap = ncap;
	return p;
}

static int family_validate(const struct metric_desc *d)
{
	size_t i, j;

	if (!d->name || !metric_name_ok(d->name) || !d->help ||
	    !utf8_ok(d->help) ||
	    (d->type != METRIC_COUNTER && d->type != METRIC_GAUGE))
		return -EINVAL;
	if (d->type == METRIC_COUNTER && !ends_with(d->name, "_total"))
		return -EINVAL;
	for (i = 0; i < METRICS_MAX_LABELS && d->labels[i]; i++) {
		if (!label_name_ok(d->labels[i]))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(d->labels[i], d->labels[j]))
				return -EINVAL;
	}
	return 0;
}

struct metric_family *metrics__family(struct metrics *r,
				      const struct metric_desc *d, int *err)
{
	struct metric_family *f, **arr;
	size_t i, pos;
	int ret, cmp;

	ret = family_validate(d);
	if (ret)
		goto fail;
	f = calloc(1, sizeof(*f));
	if (!f) {
		ret = -ENOMEM;
		goto fail;
	}
	f->registry = r;
	f->type = d->type;
	f->fractional = d->fractional;
	f->name = strdup(d->name);
	f->help = strdup(d->help);
	ret = f->name && f->help ? 0 : -ENOMEM;
	for (i = 0; !ret && i < METRICS_MAX_LABELS && d->labels[i]; i++) {
		f->labels[i] = strdup(d->labels[i]);
		f->nlabels++;
		if (!f->labels[i])
			ret = -ENOMEM;
	}
	if (ret)
		goto fail_family;

	pthread_mutex_lock(&r->lock);
	for (pos = 0; pos < r->nfamilies; pos++) {
		cmp = strcmp(r->families[pos]->name, d->name);
		if (!cmp) {
			ret = -EEXIST;
			goto fail_unlock;
		}
		if (cmp > 0)
			break;
	}
	arr = grow(r->families, r->nfamilies, &r->cap, sizeof(*r->families));
	if (!arr) {
		ret = -ENOMEM;
		goto fail_unlock;
	}
	r->families = arr;
	memmove(&r->families[pos + 1], &r->families[pos],
		(r->nfamilies - pos) * sizeof(*r->families));
	r->families[pos] = f;
	r->nfamilies++;
	pthread_mutex_unlock(&r->lock);
	return f;

fail_unlock:
	pthread_mutex_unlock(&r->lock);
fail_family:
	family_free(f);
fail:
	*err = ret;
	return NULL;
}

static int labels_cmp(const struct metric *m, const char *const *values,
		      size_t n)
{
	size_t i;
	int c;

	for (i = 0; i < n; i++) {
		c = strcmp(m->labels[i], values[i]);
		if (c)
			return c;
	}
	return 0;
}

struct metric *metric_family__child(struct metric_family *f,
				    const char *const *values, int *err)
{
	struct metrics *r = f->registry;
	struct metric *m = NULL, **arr;
	size_t i, pos;
	int ret = 0, cmp;

	for (i = 0; i < f->nlabels; i++)
		if (!values || !values[i] || !utf8_ok(values[i])) {
			*err = -EINVAL;
			return NULL;
		}
	pthread_mutex_lock(&r->lock);
	for (pos = 0; pos < f->nchildren; pos++) {
		cmp = labels_cmp(f->children[pos], values, f->nlabels);
		if (!cmp) {
			m = f->children[pos];
			goto out;
		}
		if (cmp > 0)
			break;
	}
	arr = grow(f->children, f->nchildren, &f->cap, sizeof(*f->children));
	if (!arr) {
		ret = -ENOMEM;
		goto out;
	}
	f->children = arr;
	m = calloc(1, sizeof(*m));
	if (!m) {
		ret = -ENOMEM;
		goto out;
	}
	m->family = f;
	atomic_init(&m->value, f->fractional ? dbits(0.0) : 0);
	for (i = 0; i < f->nlabels; i++) {
		m->labels[i] = strdup(values[i]);
		if (!m->labels[i]) {
			child_free(m, i);
			m = NULL;
			ret = -ENOMEM;
			goto out;
		}
	}
	memmove(&f->children[pos + 1], &f->children[pos],
		(f->nchildren - pos) * sizeof(*f->children));
	f->children[pos] = m;
	f->nchildren++;
out:
	pthread_mutex_unlock(&r->lock);
	if (ret)
		*err = ret;
	return m;
}

static struct metric *plain(struct metrics *r, const char *name,
			    const char *help, enum metric_type type,
			    bool fractional, int *err)
{
	struct metric_desc d = {
		.name = name,
		.help = help,
		.type = type,
		.fractional = fractional,
	};
	struct metric_family *f = metrics__family(r, &d, err);

	/* a family without labels: its one child cannot collide */
	return f ? metric_family__child(f, NULL, err) : NULL;
}

struct metric *metrics__counter(struct metrics *r, const char *name,
				const char *help, int *err)
{
	return plain(r, name, help, METRIC_COUNTER, false, err);
}

struct metric *metrics__gauge(struct metrics *r, const char *name,
			      const char *help, int *err)
{
	return plain(r, name, help, METRIC_GAUGE, false, err);
}

int metrics__add_collector(struct metrics *r, metrics_collect_fn *fn, void *ctx)
{
	int ret = 0;

	if (!fn)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	if (r->ncollectors == MAX_COLLECTORS)
		ret = -ENOSPC;
	else
		r->collectors[r->ncollectors++] =
		    (struct collector){ .fn = fn, .ctx = ctx };
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* ---- process self-metrics ---- */

int metrics_parse_statm(const char *buf, size_t len, uint64_t page_size,
			uint64_t *rss)
{
	uint64_t v = 0;
	size_t i = 0;

	/* skip "size" and its separating space */
	while (i < len && buf[i] >= '0' && buf[i] <= '9')
		i++;
	if (!i || i >= len || buf[i] != ' ')
		return -EINVAL;
	i++;
	if (i >= len || buf[i] < '0' || buf[i] > '9')
		return -EINVAL;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(buf[i] - '0');
	}
	if (page_size && v > UINT64_MAX / page_size)
		return -EINVAL;
	*rss = v * page_size;
	return 0;
}

static void collect_process(struct metrics *r, void *ctx)
{
	struct rusage ru;
	char buf[128];
	uint64_t rss;
	ssize_t n;
	long page;
	int fd;

	(void)ctx;
	if (!getrusage(RUSAGE_SELF, &ru))
		metric_set_double(
		    r->proc_cpu,
		    (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
			(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	page = sysconf(_SC_PAGESIZE);
	/* on failure keep the previous value: a gap beats a false zero */
	if (n > 0 && page > 0 &&
	    !metrics_parse_statm(buf, (size_t)n, (uint64_t)page, &rss))
		metric_set(r->proc_rss, rss);
}

int metrics__add_process(struct metrics *r)
{
	int err = 0;

	if (r->proc_cpu)
		return -EEXIST;
	r->proc_cpu = plain(r, "process_cpu_seconds_total",
			    "Total user and system CPU time spent in seconds.",
			    METRIC_COUNTER, true, &err);
	if (!r->proc_cpu)
		return err;
	r->proc_rss = metrics__gauge(r, "process_resident_memory_bytes",
				     "Resident memory size in bytes.", &err);
	if (!r->proc_rss)
		return err;
	return metrics__add_collector(r, collect_process, NULL);
}

/* ---- rendering ---- */

/* Growable output with a sticky error: write everything, check once. */
struct sink {
	char *buf;
	size_t len;
	size_t cap;
	size_t max;
	int err;
};

static void put(struct sink *s, const char *p, size_t n)
{
	size_t ncap;
	char *nb;

	if (s->err)
		return;
	if (n > s->max - s->len) {
		s->err = -E2BIG;
		return;
	}
	if (s->len + n + 1 > s->cap) {
		ncap = s->cap ? s->cap : 4096;
		while (ncap < s->len + n + 1)
			ncap *= 2;
		nb = realloc(s->buf, ncap);
		if (!nb) {
			s->err = -ENOMEM;
			return;
		}
		s->buf = nb;
		s->cap = ncap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static void puts_(struct sink *s, const char *str)
{
	put(s, str, strlen(str));
}

/* Copy STR escaping '\' and newline, and '"' too when QUOTE. */
static void put_escaped(struct sink *s, const char *str, bool quote)
{
	const char *run = str;

	for (; *str; str++) {
		const char *esc = NULL;

		if (*str == '\\')
			esc = "\\\\";
		else if (*str == '\n')
			esc = "\\n";
		else if (*str == '"' && quote)
			esc = "\\\"";
		if (!esc)
			continue;
		put(s, run, (size_t)(str - run));
		puts_(s, esc);
		run = str + 1;
	}
	put(s, run, (size_t)(str - run));
}

static void put_value(struct sink *s, const struct metric_family *f,
		      uint64_t raw)
{
	char num[40];
	double d;

	if (!f->fractional) {
		snprintf(num, sizeof(num), "%" PRIu64, raw);
	} else {
		d = bitsd(raw);
		if (isnan(d))
			strcpy(num, "NaN");
		else if (isinf(d))
			strcpy(num, d > 0 ? "+Inf" : "-Inf");
		else {
			/* shortest of the two that reads back exactly */
			snprintf(num, sizeof(num), "%.15g", d);
			if (strtod(num, NULL) != d)
				snprintf(num, sizeof(num), "%.17g", d);
		}
	}
	puts_(s, num);
}

static void render_family(struct sink *s, const struct metric_family *f)
{
	size_t i, j;

	if (!f->nchildren)
		return; /* a family nobody used yet has no samples to show */
	puts_(s, "# HELP ");
	puts_(s, f->name);
	puts_(s, " ");
	put_escaped(s, f->help, false);
	puts_(s, "\n# TYPE ");
	puts_(s, f->name);
	puts_(s, f->type == METRIC_COUNTER ? " counter\n" : " gauge\n");
	for (i = 0; i < f->nchildren; i++) {
		const struct metric *m = f->children[i];

		puts_(s, f->name);
		for (j = 0; j < f->nlabels; j++) {
			puts_(s, j ? "," : "{");
			puts_(s, f->labels[j]);
			puts_(s, "=\"");
			put_escaped(s, m->labels[j], true);
			puts_(s, "\"");
		}
		if (f->nlabels)
			puts_(s, "}");
		puts_(s, " ");
		put_value(s, f,
			  atomic_load_explicit(&((struct metric *)m)->value,
					       memory_order_relaxed));
		puts_(s, "\n");
	}
}

int metrics__render(struct metrics *r, size_t max, char **out, size_t *len)
{
	struct collector cs[MAX_COLLECTORS];
	struct sink s = { .max = max };
	size_t i, n;

	pthread_mutex_lock(&r->lock);
	n = r->ncollectors;
	memcpy(cs, r->collectors, n * sizeof(*cs));
	pthread_mutex_unlock(&r->lock);
	/* unlocked: a collector may create children */
	for (i = 0; i < n; i++)
		cs[i].fn(r, cs[i].ctx);

	put(&s, "", 0); /* an empty registry still gives "" */
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nfamilies && !s.err; i++)
		render_family(&s, r->families[i]);
	pthread_mutex_unlock(&r->lock);
	if (s.err) {
		free(s.buf);
		return s.err;
	}
	*out = s.buf;
	*len = s.len;
	return 0;
}
