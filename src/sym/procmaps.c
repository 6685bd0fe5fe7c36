// SPDX-License-Identifier: BSD-2-Clause
/*
 * procmaps: parses the text of /proc/PID/maps into sorted, non-overlapping
 * entries and finds the entry covering an address. The text is outside input
 * (a test, a fuzzer, or a file another process can influence through the
 * names of the files it maps), so every field is parsed by hand with explicit
 * bounds and overflow checks rather than with sscanf.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procmaps.h"
#include "symutil.h"

/* 64 Ki mappings (vm.max_map_count) of ~4 KiB paths fit comfortably. */
#define MAPS_MAX_BYTES (256u << 20)

struct procmaps {
	struct procmaps_entry *entries;
	size_t count;
	size_t bad_lines;
	char *strings; /* paths, each NUL-terminated */
};

/* The file format, one mapping per line (fs/proc/task_mmu.c show_map_vma):
 *
 *   START-LIMIT PERMS OFFSET MAJOR:MINOR INODE [spaces PATH[ (deleted)]]
 *
 * START, LIMIT, OFFSET, MAJOR and MINOR are hex, INODE decimal, PERMS four
 * characters "rwxp" with '-' for an absent permission and 's' for shared.
 * PATH runs to the end of the line and may contain spaces.
 */
struct cursor {
	const char *p;
	const char *end; /* end of the line, exclusive */
};

static int parse_hex(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0, d;

	while (c->p < c->end && (d = sym_hexval(*c->p)) >= 0) {
		if (v >> 60)
			return -EOVERFLOW;
		v = v << 4 | (uint64_t)d;
		c->p++;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_dec(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0, d;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		d = *c->p - '0';
		if (v > (UINT64_MAX - (uint64_t)d) / 10)
			return -EOVERFLOW;
		v = v * 10 + (uint64_t)d;
		c->p++;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	*out = v;
	return 0;
}

static int expect(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return -EINVAL;
	c->p++;
	return 0;
}

static int parse_perms(struct cursor *c, uint32_t *prot)
{
	static const char want[4][2] = {
		{ 'r', '-' }, { 'w', '-' }, { 'x', '-' }, { 'p', 's' }
	};
	static const uint32_t bit[4] = { PROCMAPS_READ, PROCMAPS_WRITE,
					 PROCMAPS_EXEC, PROCMAPS_PRIVATE };
	uint32_t v = 0;
	int i;

	if (c->end - c->p < 4)
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		if (c->p[i] == want[i][0])
			v |= bit[i];
		else if (c->p[i] != want[i][1])
			return -EINVAL;
	}
	c->p += 4;
	*prot = v;
	return 0;
}

/*
 * Parse one line (without its newline) into *E; the path is copied to *POOL,
 * which the caller sized to hold every line plus a NUL.
 */
static int parse_line(const char *line, const char *end,
		      struct procmaps_entry *e, char **pool)
{
	static const char deleted[] = " (deleted)";
	const size_t dlen = sizeof(deleted) - 1;
	struct cursor c = { line, end };
	uint64_t major, minor;
	size_t plen;

	if (parse_hex(&c, &e->start) || expect(&c, '-') ||
	    parse_hex(&c, &e->limit) || expect(&c, ' ') ||
	    parse_perms(&c, &e->prot) || expect(&c, ' ') ||
	    parse_hex(&c, &e->offset) || expect(&c, ' ') ||
	    parse_hex(&c, &major) || expect(&c, ':') || parse_hex(&c, &minor) ||
	    expect(&c, ' ') || parse_dec(&c, &e->inode))
		return -EINVAL;
	if (e->start >= e->limit || major > UINT32_MAX || minor > UINT32_MAX)
		return -EINVAL;
	e->dev_major = (uint32_t)major;
	e->dev_minor = (uint32_t)minor;
	/* the inode is followed by padding then the path, or by nothing */
	if (c.p < c.end && *c.p != ' ')
		return -EINVAL;
	while (c.p < c.end && *c.p == ' ')
		c.p++;
	plen = (size_t)(c.end - c.p);
	e->deleted = false;
	if (plen > dlen && !memcmp(c.end - dlen, deleted, dlen)) {
		e->deleted = true;
		plen -= dlen;
	}
	memcpy(*pool, c.p, plen);
	(*pool)[plen] = '\0';
	e->path = *pool;
	*pool += plen + 1;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct procmaps_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* equal starts: the longer mapping first, then keep it */
	if (x->limit != y->limit)
		return x->limit > y->limit ? -1 : 1;
	return 0;
}

struct procmaps *procmaps__parse(const char *buf, size_t len, unsigned flags)
{
	const char *p = buf, *end = buf + len, *nl;
	struct procmaps_entry *e;
	struct procmaps *m;
	size_t lines = 1, i, j;
	char *pool;

	m = calloc(1, sizeof(*m));
	if (!m)
		goto err;
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	m->entries = calloc(lines, sizeof(*m->entries));
	/* every path is at most its line's length and gets the '\n' as NUL */
	m->strings = malloc(len + 1);
	if (!m->entries || !m->strings)
		goto err_free;
	pool = m->strings;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl > p) {
			e = &m->entries[m->count];
			if (parse_line(p, nl, e, &pool))
				m->bad_lines++;
			else if (!(flags & PROCMAPS_EXEC_ONLY) ||
				 (e->prot & PROCMAPS_EXEC))
				m->count++;
		}
		p = nl + 1;
	}

	/* the kernel prints in order; other inputs need not be */
	qsort(m->entries, m->count, sizeof(*m->entries), cmp_start);
	for (i = 0, j = 0; i < m->count; i++) {
		if (j && m->entries[i].start < m->entries[j - 1].limit) {
			m->bad_lines++;
			continue;
		}
		m->entries[j++] = m->entries[i];
	}
	m->count = j;
	return m;

err_free:
	procmaps__free(m);
	errno = ENOMEM;
err:
	return NULL;
}

struct procmaps *procmaps__load(const char *proc_root, pid_t pid,
				unsigned flags)
{
	struct procmaps *m = NULL;
	char path[4096];
	size_t len;
	char *buf;
	int err;

	if (snprintf(path, sizeof(path), "%s/%d/maps",
		     proc_root ? proc_root : "/proc",
		     (int)pid) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	err = sym_read_file(path, MAPS_MAX_BYTES, &buf, &len);
	if (err) {
		errno = -err;
		return NULL;
	}
	m = procmaps__parse(buf, len, flags);
	err = errno;
	free(buf);
	errno = err;
	return m;
}

void procmaps__free(struct procmaps *m)
{
	if (!m)
		return;
	free(m->entries);
	free(m->strings);
	free(m);
}

const struct procmaps_entry *procmaps__find(const struct procmaps *m,
					    uint64_t addr)
{
	size_t lo = 0, hi = m->count, mid;
	const struct procmaps_entry *e;

	/* last entry whose start <= addr */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->entries[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	e = &m->entries[lo - 1];
	return addr < e->limit ? e : NULL;
}

size_t procmaps__count(const struct procmaps *m)
{
	return m->count;
}

const struct procmaps_entry *procmaps__entry(const struct procmaps *m, size_t i)
{
	return i < m->count ? &m->entries[i] : NULL;
}

size_t procmaps__bad_lines(const struct procmaps *m)
{
	return m->bad_lines;
}
