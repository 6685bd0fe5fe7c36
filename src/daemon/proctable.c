// SPDX-License-Identifier: BSD-2-Clause
/*
 * The daemon's process table (see proctable.h): a fixed array of entries, an
 * open-addressing index over it with linear probing and backward-shift
 * deletion (no tombstones, so a long-running daemon's probe sequences do not
 * degrade as processes come and go), a free list, and the JSON rendering of
 * /processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "proctable.h"

#define SLOT_EMPTY UINT32_MAX

struct proctable {
	pthread_mutex_t lock;
	struct proc_entry *entries;
	uint32_t *free_list; /* indices of unused entries */
	size_t nfree;
	uint32_t *slots; /* entry index or SLOT_EMPTY */
	size_t mask;
	size_t cap;
	size_t count;
	uint64_t evicted;
	char proc_root[64];
};

static size_t slot_of(const struct proctable *t, uint32_t pid)
{
	/* Fibonacci hashing: pids are dense, consecutive pids spread out */
	return (size_t)(((uint64_t)pid * 0x9E3779B97F4A7C15ull) >> 32) &
	       t->mask;
}

struct proctable *proctable__new(size_t capacity, const char *proc_root)
{
	struct proctable *t;
	size_t nslots = 16, i;

	if (!capacity || capacity > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	while (nslots < 2 * capacity)
		nslots <<= 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->entries = calloc(capacity, sizeof(*t->entries));
	t->free_list = malloc(capacity * sizeof(*t->free_list));
	t->slots = malloc(nslots * sizeof(*t->slots));
	if (!t->entries || !t->free_list || !t->slots) {
		proctable__free(t);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	memset(t->slots, 0xff, nslots * sizeof(*t->slots));
	t->mask = nslots - 1;
	t->cap = capacity;
	/* popped from the end: entry 0 is used first */
	for (i = 0; i < capacity; i++)
		t->free_list[i] = (uint32_t)(capacity - 1 - i);
	t->nfree = capacity;
	snprintf(t->proc_root, sizeof(t->proc_root), "%s",
		 proc_root ? proc_root : "/proc");
	return t;
}

void proctable__free(struct proctable *t)
{
	if (!t)
		return;
	if (t->slots)
		pthread_mutex_destroy(&t->lock);
	free(t->entries);
	free(t->free_list);
	free(t->slots);
	free(t);
}

static size_t find_slot(const struct proctable *t, uint32_t pid)
{
	size_t i = slot_of(t, pid);

	while (t->slots[i] != SLOT_EMPTY && t->entries[t->slots[i]].pid != pid)
		i = (i + 1) & t->mask;
	return i;
}

struct proc_entry *proctable__find(struct proctable *t, uint32_t pid)
{
	size_t i = find_slot(t, pid);

	return t->slots[i] == SLOT_EMPTY ? NULL : &t->entries[t->slots[i]];
}

/* Under the lock. Deletes slot I and shifts later members of its cluster
 * back so every entry stays reachable from its home slot. */
static void slot_delete(struct proctable *t, size_t i)
{
	size_t j = i, home;

	for (;;) {
		j = (j + 1) & t->mask;
		if (t->slots[j] == SLOT_EMPTY)
			break;
		home = slot_of(t, t->entries[t->slots[j]].pid);
		/* j's entry may move to i when i lies cyclically in
		 * [home, j) */
		if ((i <= j) ? (home <= i || home > j)
			     : (home <= i && home > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = SLOT_EMPTY;
}

static void remove_locked(struct proctable *t, uint32_t pid)
{
	size_t i = find_slot(t, pid);
	uint32_t idx = t->slots[i];

	if (idx == SLOT_EMPTY)
		return;
	slot_delete(t, i);
	memset(&t->entries[idx], 0, sizeof(t->entries[idx]));
	t->free_list[t->nfree++] = idx;
	t->count--;
}

void proctable__remove(struct proctable *t, uint32_t pid)
{
	pthread_mutex_lock(&t->lock);
	remove_locked(t, pid);
	pthread_mutex_unlock(&t->lock);
}

/* Under the lock, table full: the entry quiet for longest goes. */
static void evict_one(struct proctable *t)
{
	size_t i, victim = 0;

	for (i = 1; i < t->cap; i++)
		if (t->entries[i].last_window < t->entries[victim].last_window)
			victim = i;
	remove_locked(t, t->entries[victim].pid);
	t->evicted++;
}

static void read_comm(const struct proctable *t, struct proc_entry *e)
{
	char path[96];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/comm", t->proc_root, e->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, e->comm, sizeof(e->comm) - 1);
	close(fd);
	if (n <= 0)
		return;
	e->comm[n] = '\0';
	e->comm[strcspn(e->comm, "\n")] = '\0';
}

static void read_exe(const struct proctable *t, struct proc_entry *e)
{
	char path[96];
	ssize_t n;

	int fd;

	snprintf(path, sizeof(path), "%s/%u/exe", t->proc_root, e->pid);
	n = readlink(path, e->exe, sizeof(e->exe) - 1);
	e->exe[n > 0 ? n : 0] = '\0';
	e->build_id[0] = '\0';
	if (n <= 0)
		return; /* a kernel thread, or gone */
	/* the file itself, as mapped: right even when the path was replaced */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	if (elf_read_build_id_fd(fd, e->build_id, sizeof(e->build_id)))
		e->build_id[0] = '\0';
	close(fd);
}

static void read_cgroup(struct proc_entry *e)
{
	struct cgroup_info ci;

	if (cgroup__read_pid((int)e->pid, &ci))
		return;
	e->cgroup_ok = true;
	e->qos = (uint8_t)ci.qos;
	e->runtime = (uint8_t)ci.runtime;
	memcpy(e->container_id, ci.id, sizeof(e->container_id));
	memcpy(e->pod_uid, ci.pod_uid, sizeof(e->pod_uid));
	memcpy(e->cgroup, ci.path, sizeof(e->cgroup));
}

static bool verdict(const struct proc_entry *e, const struct zp_config *cfg)
{
	return !cfg || config__filter_allows(cfg, e->comm[0] ? e->comm : NULL,
					     e->cgroup_ok ? e->cgroup : NULL);
}

struct proc_entry *proctable__get(struct proctable *t, uint32_t pid,
				  const char *comm, uint64_t window,
				  const struct zp_config *cfg)
{
	struct proc_entry fresh = { .pid = pid,
				    .used = true,
				    .last_window = window };
	struct proc_entry *e = proctable__find(t, pid);
	uint32_t idx;
	size_t slot;

	if (e) {
		e->last_window = window;
		return e;
	}
	/* /proc reads outside the lock: HTTP readers are not held up */
	snprintf(fresh.comm, sizeof(fresh.comm), "%s", comm ? comm : "");
	read_comm(t, &fresh);
	read_exe(t, &fresh);
	read_cgroup(&fresh);
	fresh.allowed = verdict(&fresh, cfg);

	pthread_mutex_lock(&t->lock);
	if (!t->nfree)
		evict_one(t);
	idx = t->free_list[--t->nfree];
	t->entries[idx] = fresh;
	slot = find_slot(t, pid);
	t->slots[slot] = idx;
	t->count++;
	pthread_mutex_unlock(&t->lock);
	return &t->entries[idx];
}

void proctable__refresh(struct proctable *t, uint32_t pid,
			const struct zp_config *cfg)
{
	struct proc_entry *e = proctable__find(t, pid);
	struct proc_entry upd;

	if (!e)
		return;
	upd = *e;
	read_comm(t, &upd);
	read_exe(t, &upd);
	upd.allowed = verdict(&upd, cfg);
	/* a new program is a new label set */
	upd.labelset_gen = 0;
	pthread_mutex_lock(&t->lock);
	*e = upd;
	pthread_mutex_unlock(&t->lock);
}

void proctable__refilter(struct proctable *t, const struct zp_config *cfg)
{
	size_t i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i <= t->mask; i++)
		if (t->slots[i] != SLOT_EMPTY)
			t->entries[t->slots[i]].allowed =
			    verdict(&t->entries[t->slots[i]], cfg);
	pthread_mutex_unlock(&t->lock);
}

void proctable__end_window(struct proctable *t)
{
	struct proc_entry *e;
	size_t i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i <= t->mask; i++) {
		if (t->slots[i] == SLOT_EMPTY)
			continue;
		e = &t->entries[t->slots[i]];
		e->window_samples = e->pending;
		e->total_samples += e->pending;
		e->pending = 0;
	}
	pthread_mutex_unlock(&t->lock);
}

void proctable__stats(struct proctable *t, struct proctable_stats *st)
{
	pthread_mutex_lock(&t->lock);
	st->count = t->count;
	st->evicted = t->evicted;
	pthread_mutex_unlock(&t->lock);
}

static bool jbuf_reserve(struct jbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *nb;

	if (b->failed)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	while (cap < b->len + n + 1)
		cap *= 2;
	nb = realloc(b->buf, cap);
	if (!nb) {
		b->failed = true;
		return false;
	}
	b->buf = nb;
	b->cap = cap;
	return true;
}

static void jbuf_put(struct jbuf *b, const char *s, size_t n)
{
	if (!jbuf_reserve(b, n))
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void jbuf_puts(struct jbuf *b, const char *s)
{
	jbuf_put(b, s, strlen(s));
}

void jbuf_printf(struct jbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* only used for numbers and fixed text: never truncated */
	if (n > 0)
		jbuf_put(b, tmp,
			 (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Length of the valid UTF-8 sequence at S (at most N bytes), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void jbuf_string(struct jbuf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;
	char esc[8];

	jbuf_put(b, "\"", 1);
	while (i < n) {
		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			jbuf_put(b, esc, 2);
			i++;
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
			jbuf_put(b, esc, 6);
			i++;
		} else if ((k = utf8_len(s + i, n - i))) {
			jbuf_put(b, (const char *)s + i, k);
			i += k;
		} else {
			jbuf_put(b, "\\ufffd", 6);
			i++;
		}
	}
	jbuf_put(b, "\"", 1);
}

static void entry_json(struct jbuf *b, const struct proc_entry *e)
{
	jbuf_printf(b, "{\"pid\":%u,\"comm\":", e->pid);
	jbuf_string(b, e->comm, strlen(e->comm));
	jbuf_puts(b, ",\"exe\":");
	jbuf_string(b, e->exe, strlen(e->exe));
	jbuf_puts(b, ",\"build_id\":");
	jbuf_string(b, e->build_id, strlen(e->build_id));
	jbuf_puts(b, ",\"container_id\":");
	jbuf_string(b, e->container_id, strlen(e->container_id));
	jbuf_puts(b, ",\"pod_uid\":");
	jbuf_string(b, e->pod_uid, strlen(e->pod_uid));
	jbuf_puts(b, ",\"cgroup\":");
	jbuf_string(b, e->cgroup, strlen(e->cgroup));
	jbuf_printf(b,
		    ",\"profiled\":%s,\"samples_last_window\":%llu,"
		    "\"samples_total\":%llu}",
		    e->allowed ? "true" : "false",
		    (unsigned long long)e->window_samples,
		    (unsigned long long)e->total_samples);
}

int proctable__json(struct proctable *t, char **out, size_t *len)
{
	struct jbuf b = {};
	bool first = true;
	size_t i;

	jbuf_puts(&b, "[");
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->cap; i++) {
		if (!t->entries[i].used)
			continue;
		if (!first)
			jbuf_puts(&b, ",\n");
		first = false;
		entry_json(&b, &t->entries[i]);
	}
	pthread_mutex_unlock(&t->lock);
	jbuf_puts(&b, "]\n");
	if (b.failed) {
		free(b.buf);
		return -ENOMEM;
	}
	*out = b.buf;
	*len = b.len;
	return 0;
}
