// SPDX-License-Identifier: BSD-2-Clause
/*
 * ksyms: parses /proc/kallsyms text into a sorted table of kernel text
 * symbols with their module names, and finds the symbol at or below an
 * address. The names are compacted into one pool (kallsyms also lists
 * hundreds of thousands of data symbols we drop). Input is checked byte by
 * byte: tests and the fuzzer hand us arbitrary text.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"
#include "symutil.h"

#define KALLSYMS_MAX_BYTES (512u << 20)

struct ksyms {
	struct ksym *syms;
	size_t count;
	char *strings;
	size_t strings_len;
	bool usable;
};

/* A parsed line: offsets into the input. */
struct rawksym {
	uint64_t addr;
	size_t name, name_len;
	size_t mod, mod_len; /* mod_len 0: vmlinux */
	size_t line;	     /* input order, the last tie-break */
	uint8_t local;	     /* 't'/'w' rather than 'T'/'W' */
	uint8_t underscores;
};

/*
 * One line, without its newline: "ADDR TYPE NAME" optionally followed by
 * "\t[MODULE]" (kernel/kallsyms.c s_show). Returns 0 when it is a text
 * symbol worth keeping.
 */
static int parse_line(const char *buf, size_t pos, size_t end,
		      struct rawksym *r)
{
	uint64_t addr = 0;
	int digits = 0, d;
	size_t name, us;
	char type;

	while (pos < end && (d = sym_hexval(buf[pos])) >= 0) {
		if (++digits > 16)
			return -EINVAL;
		addr = addr << 4 | (uint64_t)d;
		pos++;
	}
	if (!digits || end - pos < 3 || buf[pos] != ' ' || buf[pos + 2] != ' ')
		return -EINVAL;
	type = buf[pos + 1];
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return -ENOENT;
	pos += 3;
	name = pos;
	while (pos < end && buf[pos] != '\t' && buf[pos] != ' ' &&
	       buf[pos] != '\0')
		pos++;
	if (pos == name)
		return -EINVAL;
	/* BUF need not be NUL-terminated: count within the name */
	for (us = 0; us < pos - name && us < 255 && buf[name + us] == '_'; us++)
		;
	*r = (struct rawksym){
		.addr = addr,
		.name = name,
		.name_len = pos - name,
		.local = type == 't' || type == 'w',
		.underscores = (uint8_t)us,
	};
	if (pos == end)
		return 0;
	/* "\t[module]" and nothing else */
	if (buf[pos] != '\t' || end - pos < 3 || buf[pos + 1] != '[' ||
	    buf[end - 1] != ']')
		return -EINVAL;
	r->mod = pos + 2;
	r->mod_len = end - 1 - r->mod;
	if (!r->mod_len || memchr(buf + r->mod, ']', r->mod_len) ||
	    memchr(buf + r->mod, '\0', r->mod_len))
		return -EINVAL;
	return 0;
}

/* Address order; among aliases, global, then fewer underscores, then first. */
static int cmp_rawksym(const void *a, const void *b)
{
	const struct rawksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->local != y->local)
		return x->local - y->local;
	if (x->underscores != y->underscores)
		return x->underscores - y->underscores;
	return x->line < y->line ? -1 : x->line > y->line;
}

struct ksyms *ksyms__parse(const char *buf, size_t len)
{
	struct rawksym *raw = NULL, *nraw, *r;
	size_t n = 0, cap = 0, pos = 0, end, i, j, pool, lines = 0;
	const char *nl, *last_mod = NULL, *last_copy = NULL;
	size_t last_mod_len = 0;
	struct ksyms *k;
	char *p;

	k = calloc(1, sizeof(*k));
	if (!k)
		goto err;
	while (pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl ? (size_t)(nl - buf) : len;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			nraw = reallocarray(raw, cap, sizeof(*raw));
			if (!nraw)
				goto err_free;
			raw = nraw;
		}
		if (!parse_line(buf, pos, end, &raw[n])) {
			raw[n].line = lines;
			n++;
		}
		lines++;
		pos = end + 1;
	}
	if (n)
		qsort(raw, n, sizeof(*raw), cmp_rawksym);
	for (i = 0, j = 0; i < n; i++) {
		if (j && raw[i].addr == raw[j - 1].addr)
			continue;
		raw[j++] = raw[i];
	}
	n = j;

	/* consecutive symbols mostly share a module: store its name once */
	pool = 0;
	for (i = 0; i < n; i++) {
		pool += raw[i].name_len + 1;
		if (raw[i].mod_len &&
		    (raw[i].mod_len != last_mod_len ||
		     memcmp(buf + raw[i].mod, last_mod, last_mod_len))) {
			pool += raw[i].mod_len + 1;
			last_mod = buf + raw[i].mod;
			last_mod_len = raw[i].mod_len;
		}
	}
	k->syms = calloc(n ? n : 1, sizeof(*k->syms));
	k->strings = malloc(pool ? pool : 1);
	if (!k->syms || !k->strings)
		goto err_free;
	k->strings_len = pool;
	p = k->strings;
	last_mod = NULL;
	last_mod_len = 0;
	for (i = 0; i < n; i++) {
		r = &raw[i];
		k->syms[i].addr = r->addr;
		k->syms[i].name = p;
		memcpy(p, buf + r->name, r->name_len);
		p[r->name_len] = '\0';
		p += r->name_len + 1;
		if (!r->mod_len)
			continue;
		if (r->mod_len != last_mod_len ||
		    memcmp(buf + r->mod, last_mod, last_mod_len)) {
			memcpy(p, buf + r->mod, r->mod_len);
			p[r->mod_len] = '\0';
			last_mod = buf + r->mod;
			last_mod_len = r->mod_len;
			last_copy = p;
			p += r->mod_len + 1;
		}
		k->syms[i].module = last_copy;
	}
	/* sorted: any non-zero address is at the end */
	k->usable = n && raw[n - 1].addr != 0;
	k->count = n;
	free(raw);
	return k;

err_free:
	free(raw);
	ksyms__free(k);
	errno = ENOMEM;
err:
	return NULL;
}

struct ksyms *ksyms__load(const char *path)
{
	struct ksyms *k;
	size_t len;
	char *buf;
	int err;

	err = sym_read_file(path ? path : "/proc/kallsyms", KALLSYMS_MAX_BYTES,
			    &buf, &len);
	if (err) {
		errno = -err;
		return NULL;
	}
	k = ksyms__parse(buf, len);
	err = errno;
	free(buf);
	errno = err;
	return k;
}

/* Longest names kept by the subset loader; longer ones are cut. */
#define SUBSET_NAME_MAX 256
#define SUBSET_MOD_MAX	64

/* The best symbol so far for addresses in (addrs[i-1], addrs[i]]. */
struct subset_slot {
	struct rawksym r; /* offsets are into name/mod below */
	char type;
	char name[SUBSET_NAME_MAX];
	char mod[SUBSET_MOD_MAX];
};

/* First index whose address is >= addr (n when none). */
static size_t lower_bound(const uint64_t *a, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void slot_take(struct subset_slot *sl, const char *line,
		      const struct rawksym *r, size_t lineno)
{
	size_t nl = r->name_len < SUBSET_NAME_MAX - 1 ? r->name_len
						      : SUBSET_NAME_MAX - 1;
	size_t ml =
	    r->mod_len < SUBSET_MOD_MAX - 1 ? r->mod_len : SUBSET_MOD_MAX - 1;

	sl->r = *r;
	sl->r.line = lineno;
	sl->type = line[r->name - 2];
	memcpy(sl->name, line + r->name, nl);
	sl->name[nl] = '\0';
	sl->r.name_len = nl;
	memcpy(sl->mod, line + r->mod, ml);
	sl->mod[ml] = '\0';
	sl->r.mod_len = ml;
}

/*
 * Every symbol falls in the slot of the first wanted address at or above
 * it, and only the highest one there (ties: cmp_rawksym's alias order) can
 * be an answer: the nearest symbol at or below addrs[i] is slot i's if it
 * has one, else the nearest below addrs[i-1]. The survivors are written
 * back out as kallsyms text and go through the normal parser, so both
 * loaders share one set of parsing and alias rules.
 */
struct ksyms *ksyms__load_subset(const char *path, const uint64_t *addrs,
				 size_t n)
{
	struct subset_slot *slots = NULL;
	struct ksyms *k = NULL;
	char *line = NULL, *text = NULL;
	size_t cap = 0, lineno = 0, i, len = 0, tcap;
	struct rawksym r;
	ssize_t got;
	FILE *f;
	int err = 0;

	f = fopen(path ? path : "/proc/kallsyms", "re");
	if (!f)
		return NULL;
	slots = calloc(n ? n : 1, sizeof(*slots));
	if (!slots) {
		err = ENOMEM;
		goto out;
	}
	while ((got = getline(&line, &cap, f)) > 0) {
		size_t end = (size_t)got, at;

		if (line[end - 1] == '\n')
			end--;
		lineno++;
		if (parse_line(line, 0, end, &r))
			continue;
		at = lower_bound(addrs, n, r.addr);
		if (at == n)
			continue;
		if (slots[at].type) {
			struct rawksym cur = slots[at].r;

			/* compare in one buffer space: only addr and the
			 * ranking fields matter to cmp_rawksym */
			r.line = lineno;
			if (cur.addr > r.addr ||
			    (cur.addr == r.addr && cmp_rawksym(&cur, &r) <= 0))
				continue;
		}
		slot_take(&slots[at], line, &r, lineno);
	}
	if (ferror(f)) {
		err = EIO;
		goto out;
	}
	tcap = 1;
	for (i = 0; i < n; i++)
		tcap += 24 + SUBSET_NAME_MAX + SUBSET_MOD_MAX;
	text = malloc(tcap);
	if (!text) {
		err = ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct subset_slot *sl = &slots[i];

		if (!sl->type)
			continue;
		len += (size_t)snprintf(
		    text + len, tcap - len, "%016" PRIx64 " %c %s%s%s%s\n",
		    sl->r.addr, sl->type, sl->name, sl->r.mod_len ? "\t[" : "",
		    sl->mod, sl->r.mod_len ? "]" : "");
	}
	/* kptr_restrict: every symbol reads 0, so slot 0 keeps one symbol
	 * at 0 and the parser marks the table unusable, as for a full load */
	k = ksyms__parse(text, len);
	if (!k)
		err = errno;
out:
	free(text);
	free(line);
	free(slots);
	fclose(f);
	if (err)
		errno = err;
	return k;
}

void ksyms__free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->strings);
	free(k);
}

const struct ksym *ksyms__find(const struct ksyms *k, uint64_t addr)
{
	size_t lo = 0, hi = k->count, mid;

	if (!k->usable)
		return NULL;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &k->syms[lo - 1] : NULL;
}

bool ksyms__usable(const struct ksyms *k)
{
	return k->usable;
}

size_t ksyms__count(const struct ksyms *k)
{
	return k->count;
}

const struct ksym *ksyms__sym(const struct ksyms *k, size_t i)
{
	return i < k->count ? &k->syms[i] : NULL;
}

size_t ksyms__mem_bytes(const struct ksyms *k)
{
	return sizeof(*k) + k->count * sizeof(*k->syms) + k->strings_len;
}
