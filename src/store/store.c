// SPDX-License-Identifier: BSD-2-Clause
/*
 * The window store (store.h documents the directory format and the API).
 * The index is an array of windows sorted by (start, end): windows arrive
 * in time order, so a put appends and eviction takes from the front; both
 * are a memmove at worst over a bounded array (max_windows entries). Every
 * file operation goes through the directory's descriptor (openat, renameat,
 * unlinkat), so a rename of the directory's path or a changed working
 * directory cannot make the store write elsewhere, and O_NOFOLLOW keeps a
 * symlink planted in the directory from redirecting a read or write.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pprof_read.h"
#include "profile.h"
#include "store.h"

#define NAME_PREFIX "w-"
#define NAME_SUFFIX ".pb.gz"
#define TMP_SUFFIX  ".tmp"
#define BAD_SUFFIX  ".bad"
#define LOCK_NAME   ".lock"

/* The smallest gzip member: 10-byte header, empty deflate, 8-byte trailer. */
#define GZIP_MIN 20

struct store {
	pthread_mutex_t lock;
	char *dir;		 /* for messages */
	int dfd;		 /* the directory */
	int lockfd;		 /* .lock, flock()ed */
	struct store_limits lim; /* defaults resolved */
	struct store_window *w;	 /* sorted by (start_ms, end_ms) */
	size_t n, cap;
	struct store_counters c;
};

/* ---- names ---- */

int store__format_name(int64_t start_ms, int64_t end_ms, char *buf, size_t size)
{
	int n;

	if (start_ms < 0 || start_ms >= end_ms || !buf)
		return -EINVAL;
	n = snprintf(buf, size,
		     NAME_PREFIX "%013" PRId64 "-%013" PRId64 NAME_SUFFIX,
		     start_ms, end_ms);
	return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

/* Decimal digits up to a non-digit, within int64_t. */
static const char *parse_ms(const char *s, int64_t *v)
{
	int64_t x = 0;
	int n = 0, d;

	while (*s >= '0' && *s <= '9') {
		d = *s++ - '0';
		if (++n > 19 || x > (INT64_MAX - d) / 10)
			return NULL;
		x = x * 10 + d;
	}
	if (!n)
		return NULL;
	*v = x;
	return s;
}

int store__parse_name(const char *name, int64_t *start_ms, int64_t *end_ms)
{
	char canon[STORE_NAME_MAX];
	int64_t a, b;
	const char *p;

	if (!name || strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)))
		return -EINVAL;
	p = parse_ms(name + strlen(NAME_PREFIX), &a);
	if (!p || *p++ != '-')
		return -EINVAL;
	p = parse_ms(p, &b);
	if (!p || strcmp(p, NAME_SUFFIX))
		return -EINVAL;
	/* One spelling per window: "w-1-2.pb.gz" is not ours. */
	if (store__format_name(a, b, canon, sizeof(canon)) ||
	    strcmp(canon, name))
		return -EINVAL;
	if (start_ms)
		*start_ms = a;
	if (end_ms)
		*end_ms = b;
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* ---- the index (lock held) ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmp_window(const struct store_window *a,
		      const struct store_window *b)
{
	if (a->start_ms != b->start_ms)
		return a->start_ms < b->start_ms ? -1 : 1;
	if (a->end_ms != b->end_ms)
		return a->end_ms < b->end_ms ? -1 : 1;
	return 0;
}

static int cmp_window_q(const void *a, const void *b)
{
	return cmp_window(a, b);
}

/* First position whose window is not before w. */
static size_t lower_bound(const struct store *s, const struct store_window *w)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp_window(&s->w[mid], w) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void unlink_window(struct store *s, const struct store_window *w,
			  const char *why)
{
	char name[STORE_NAME_MAX];

	if (store__format_name(w->start_ms, w->end_ms, name, sizeof(name)))
		return;
	if (unlinkat(s->dfd, name, 0) && errno != ENOENT)
		log_warn("store: cannot remove %s/%s (%s): %s", s->dir, name,
			 why, strerror(errno));
}

/* Removes the windows marked by keep[i] == false, in one pass. */
static void compact(struct store *s, const bool *keep)
{
	size_t i, j = 0;

	for (i = 0; i < s->n; i++) {
		if (keep[i])
			s->w[j++] = s->w[i];
	}
	s->n = j;
}

/*
 * Oldest first: every window past the age limit, then from the front
 * while over the count or byte limit. A file that cannot be removed still
 * leaves the index, or the store would retry it forever; it is logged.
 */
static void evict_locked(struct store *s, int64_t now)
{
	const struct store_limits *l = &s->lim;
	bool *keep = NULL;
	size_t i, front = 0;
	uint64_t bytes = s->c.bytes;
	bool aged = false;

	if (l->max_age_ms > 0) {
		for (i = 0; i < s->n; i++) {
			if (s->w[i].end_ms <= now - l->max_age_ms) {
				aged = true;
				break;
			}
		}
	}
	if (aged) {
		keep = malloc(s->n * sizeof(*keep));
		if (keep) {
			for (i = 0; i < s->n; i++) {
				keep[i] = s->w[i].end_ms > now - l->max_age_ms;
				if (keep[i])
					continue;
				unlink_window(s, &s->w[i], "too old");
				s->c.bytes -= s->w[i].bytes;
				s->c.evicted++;
			}
			compact(s, keep);
			free(keep);
		}
	}
	bytes = s->c.bytes;
	while (front < s->n && (s->n - front > l->max_windows ||
				(l->max_bytes && bytes > l->max_bytes))) {
		unlink_window(s, &s->w[front], "over the limits");
		bytes -= s->w[front].bytes;
		s->c.evicted++;
		front++;
	}
	if (front) {
		memmove(s->w, s->w + front, (s->n - front) * sizeof(*s->w));
		s->n -= front;
	}
	s->c.bytes = bytes;
	s->c.windows = s->n;
}

/* Room for one more than max_windows: a put inserts, then evicts. */
static int reserve_locked(struct store *s, size_t need)
{
	struct store_window *tmp;
	size_t cap = s->cap ? s->cap : 64;

	if (need <= s->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	tmp = realloc(s->w, cap * sizeof(*s->w));
	if (!tmp)
		return -ENOMEM;
	s->w = tmp;
	s->cap = cap;
	return 0;
}

static int insert_locked(struct store *s, const struct store_window *w)
{
	size_t i = lower_bound(s, w);

	if (i < s->n && !cmp_window(&s->w[i], w)) {
		/* the same range again: the rename replaced the file */
		s->c.bytes -= s->w[i].bytes;
		s->w[i] = *w;
		s->c.bytes += w->bytes;
		return 0;
	}
	if (reserve_locked(s, s->n + 1))
		return -ENOMEM;
	memmove(s->w + i + 1, s->w + i, (s->n - i) * sizeof(*s->w));
	s->w[i] = *w;
	s->n++;
	s->c.bytes += w->bytes;
	s->c.windows = s->n;
	return 0;
}

/* ---- files ---- */

/*
 * Reads a window file whole into *buf (grown as needed, up to limit). st
 * receives the file's identity so a later quarantine renames the same file.
 */
static int read_file(int dfd, const char *name, size_t limit, uint8_t **buf,
		     size_t *cap, size_t *len, struct stat *st)
{
	uint8_t *tmp;
	size_t have = 0;
	ssize_t r;
	int fd, err = 0;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		err = -EINVAL;
		goto out;
	}
	if ((uint64_t)st->st_size > limit) {
		err = -EFBIG;
		goto out;
	}
	if (*cap < (size_t)st->st_size + 1) {
		tmp = realloc(*buf, (size_t)st->st_size + 1);
		if (!tmp) {
			err = -ENOMEM;
			goto out;
		}
		*buf = tmp;
		*cap = (size_t)st->st_size + 1;
	}
	/* One byte more than fstat said: a file still growing is caught. */
	while (have < *cap) {
		r = read(fd, *buf + have, *cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto out;
		}
		if (!r)
			break;
		have += (size_t)r;
	}
	if (have != (size_t)st->st_size)
		err = -EBADMSG;
	*len = have;
out:
	close(fd);
	return err;
}

/* The file is complete and decodes: the gzip CRC and length check too. */
static int verify_data(const uint8_t *buf, size_t len)
{
	struct profile *p;
	int err;

	if (len < GZIP_MIN || buf[0] != 0x1f || buf[1] != 0x8b)
		return -EBADMSG;
	p = profile__new();
	if (!p)
		return -ENOMEM;
	err = pprof__read(p, buf, len);
	profile__free(p);
	return err == -ENOMEM ? err : err ? -EBADMSG : 0;
}

/*
 * Renames a bad window out of the way (kept for inspection as .bad). With
 * st, only if the name still refers to the file that was read: a window
 * rewritten since is left alone.
 */
static void quarantine(struct store *s, const char *name, const struct stat *st,
		       const char *why)
{
	char bad[STORE_NAME_MAX + sizeof(BAD_SUFFIX)];
	struct stat now;

	if (st && (fstatat(s->dfd, name, &now, AT_SYMLINK_NOFOLLOW) ||
		   now.st_ino != st->st_ino || now.st_dev != st->st_dev))
		return;
	snprintf(bad, sizeof(bad), "%s" BAD_SUFFIX, name);
	log_warn("store: %s/%s is %s; moved to %s", s->dir, name, why, bad);
	if (renameat(s->dfd, name, s->dfd, bad) && errno != ENOENT) {
		log_warn("store: cannot rename %s/%s: %s", s->dir, name,
			 strerror(errno));
		unlinkat(s->dfd, name, 0);
	}
	s->c.torn_skipped++;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t r;

	while (len) {
		r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -EIO;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* ---- open ---- */

static void resolve_limits(struct store_limits *out,
			   const struct store_limits *in)
{
	static const struct store_limits none;

	*out = in ? *in : none;
	if (!out->max_windows)
		out->max_windows = STORE_DEFAULT_MAX_WINDOWS;
	if (!out->max_file_bytes)
		out->max_file_bytes = STORE_DEFAULT_MAX_FILE;
	if (out->max_age_ms < 0)
		out->max_age_ms = 0;
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int make_dirs(const char *dir)
{
	char *tmp = strdup(dir), *p;
	int err = 0;

	if (!tmp)
		return -ENOMEM;
	for (p = tmp + 1; *p && !err; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			err = -errno;
		*p = '/';
	}
	if (!err && mkdir(tmp, 0700) && errno != EEXIST)
		err = -errno;
	free(tmp);
	return err;
}

/* Leftovers of a crash, and .bad files past the age limit. */
static void sweep_entry(struct store *s, const char *name, int64_t now)
{
	char base[STORE_NAME_MAX];
	size_t n = strlen(name);
	int64_t end;

	if (strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)))
		return;
	if (has_suffix(name, TMP_SUFFIX)) {
		log_warn("store: removing %s/%s, a write a crash cut short",
			 s->dir, name);
		if (unlinkat(s->dfd, name, 0) && errno != ENOENT)
			log_warn("store: cannot remove %s/%s: %s", s->dir, name,
				 strerror(errno));
		s->c.torn_skipped++;
		return;
	}
	if (has_suffix(name, BAD_SUFFIX) && s->lim.max_age_ms > 0 &&
	    n - strlen(BAD_SUFFIX) < sizeof(base)) {
		memcpy(base, name, n - strlen(BAD_SUFFIX));
		base[n - strlen(BAD_SUFFIX)] = '\0';
		if (!store__parse_name(base, NULL, &end) &&
		    end <= now - s->lim.max_age_ms)
			unlinkat(s->dfd, name, 0);
	}
}

static int scan(struct store *s)
{
	struct store_window w;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, err = 0;
	int64_t now = now_ms();

	fd = openat(s->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((errno = 0, de = readdir(d))) {
		if (store__parse_name(de->d_name, &w.start_ms, &w.end_ms)) {
			sweep_entry(s, de->d_name, now);
			continue;
		}
		if (fstatat(s->dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue; /* vanished, or not a file we wrote */
		w.bytes = (uint64_t)st.st_size;
		/* The whole listing first; limits apply once it is sorted. */
		if (reserve_locked(s, s->n + 1)) {
			err = -ENOMEM;
			break;
		}
		s->w[s->n++] = w;
	}
	if (!err && errno)
		err = -errno;
	closedir(d);
	if (err)
		return err;
	if (s->n > 1)
		qsort(s->w, s->n, sizeof(*s->w), cmp_window_q);
	return 0;
}

/*
 * The newest verify_newest windows (all when 0) are read and decoded; any
 * that fails is quarantined. Older ones only get a size check: a write is
 * fsync'ed before its rename, so only the last few windows before a crash
 * or power loss can be torn, and decoding days of history would hold up
 * the daemon's start.
 */
static int verify(struct store *s)
{
	char name[STORE_NAME_MAX];
	uint8_t *buf = NULL;
	size_t cap = 0, len, i, first = 0;
	struct stat st;
	bool *keep;
	int err = 0, rc;

	if (!s->n)
		return 0;
	keep = malloc(s->n * sizeof(*keep));
	if (!keep)
		return -ENOMEM;
	if (s->lim.verify_newest && s->lim.verify_newest < s->n)
		first = s->n - s->lim.verify_newest;
	for (i = 0; i < s->n; i++) {
		keep[i] = true;
		store__format_name(s->w[i].start_ms, s->w[i].end_ms, name,
				   sizeof(name));
		if (s->w[i].bytes < GZIP_MIN ||
		    s->w[i].bytes > s->lim.max_file_bytes) {
			quarantine(s, name, NULL, "too small or too large");
			keep[i] = false;
			continue;
		}
		if (i < first)
			continue;
		rc = read_file(s->dfd, name, s->lim.max_file_bytes, &buf, &cap,
			       &len, &st);
		if (!rc)
			rc = verify_data(buf, len);
		if (rc == -ENOMEM) {
			err = rc;
			break;
		}
		if (rc == -ENOENT) {
			keep[i] = false;
		} else if (rc) {
			quarantine(s, name, NULL, "corrupt");
			keep[i] = false;
		} else {
			s->w[i].bytes = len;
		}
	}
	if (!err) {
		compact(s, keep);
		s->c.bytes = 0;
		for (i = 0; i < s->n; i++)
			s->c.bytes += s->w[i].bytes;
		s->c.windows = s->n;
	}
	free(keep);
	free(buf);
	return err;
}

struct store *store__open(const char *dir, const struct store_limits *lim,
			  int *err)
{
	struct store *s;
	int rc;

	if (!dir || !*dir) {
		rc = -EINVAL;
		goto fail;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		rc = -ENOMEM;
		goto fail;
	}
	s->dfd = -1;
	s->lockfd = -1;
	resolve_limits(&s->lim, lim);
	rc = pthread_mutex_init(&s->lock, NULL);
	if (rc) {
		free(s);
		rc = -rc;
		goto fail;
	}
	s->dir = strdup(dir);
	if (!s->dir) {
		rc = -ENOMEM;
		goto fail_free;
	}
	rc = make_dirs(dir);
	if (rc)
		goto fail_free;
	s->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0) {
		rc = -errno;
		goto fail_free;
	}
	/* Two daemons on one directory would delete each other's writes. */
	s->lockfd = openat(s->dfd, LOCK_NAME,
			   O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lockfd < 0) {
		rc = -errno;
		goto fail_free;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail_free;
	}
	rc = scan(s);
	if (!rc)
		rc = verify(s);
	if (rc)
		goto fail_free;
	evict_locked(s, now_ms());
	log_info("store: %s: %zu windows, %" PRIu64 " bytes", dir, s->n,
		 s->c.bytes);
	return s;

fail_free:
	if (rc != -EBUSY)
		log_error("store: cannot open %s: %s", dir, strerror(-rc));
	store__free(s);
fail:
	if (err)
		*err = rc;
	errno = -rc;
	return NULL;
}

void store__free(struct store *s)
{
	if (!s)
		return;
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the flock */
	if (s->dfd >= 0)
		close(s->dfd);
	pthread_mutex_destroy(&s->lock);
	free(s->w);
	free(s->dir);
	free(s);
}

/* ---- put, query, limits ---- */

static int write_window(struct store *s, const char *name, const char *tmp,
			const void *data, size_t len)
{
	int fd, err;

	fd =
	    openat(s->dfd, tmp,
		   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, data, len);
	/* Data on disk before the name: a crash never exposes a torn file. */
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(s->dfd, tmp, s->dfd, name))
		err = -errno;
	if (err) {
		unlinkat(s->dfd, tmp, 0);
		return err;
	}
	/* And the rename on disk before we report the window stored. */
	if (fsync(s->dfd)) {
		err = -errno;
		unlinkat(s->dfd, name, 0);
		return err;
	}
	return 0;
}

int store__put(struct store *s, int64_t start_ms, int64_t end_ms,
	       const void *pprof_gz, size_t len)
{
	char name[STORE_NAME_MAX], tmp[STORE_NAME_MAX + sizeof(TMP_SUFFIX)];
	const uint8_t *b = pprof_gz;
	struct store_window w = {
		.start_ms = start_ms,
		.end_ms = end_ms,
		.bytes = len,
	};
	int err;

	if (!s || !b || len < GZIP_MIN || b[0] != 0x1f || b[1] != 0x8b ||
	    store__format_name(start_ms, end_ms, name, sizeof(name)))
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), "%s" TMP_SUFFIX, name);
	pthread_mutex_lock(&s->lock);
	if (len > s->lim.max_file_bytes ||
	    (s->lim.max_bytes && len > s->lim.max_bytes)) {
		err = -EFBIG;
		goto fail;
	}
	/* Room in the index first: after the rename, failing is too late. */
	err = reserve_locked(s, s->n + 1);
	if (err)
		goto fail;
	err = write_window(s, name, tmp, pprof_gz, len);
	if (err)
		goto fail;
	insert_locked(s, &w); /* cannot fail: reserved */
	s->c.stored++;
	evict_locked(s, now_ms());
	pthread_mutex_unlock(&s->lock);
	return 0;

fail:
	s->c.write_errors++;
	pthread_mutex_unlock(&s->lock);
	/* the caller reports it, once per run of failures */
	log_debug("store: cannot store %s/%s: %s", s->dir, name,
		  strerror(-err));
	return err;
}

/* Drops a window from the index after its file was quarantined. */
static void forget_window(struct store *s, const struct store_window *w,
			  const struct stat *st)
{
	char name[STORE_NAME_MAX];
	size_t i;
	uint64_t before = s->c.torn_skipped;

	store__format_name(w->start_ms, w->end_ms, name, sizeof(name));
	quarantine(s, name, st, "corrupt");
	if (s->c.torn_skipped == before)
		return; /* rewritten meanwhile: the index entry is the new file
			 */
	i = lower_bound(s, w);
	if (i < s->n && !cmp_window(&s->w[i], w)) {
		s->c.bytes -= s->w[i].bytes;
		memmove(s->w + i, s->w + i + 1, (s->n - i - 1) * sizeof(*s->w));
		s->n--;
		s->c.windows = s->n;
	}
}

int store__query(struct store *s, int64_t from_ms, int64_t to_ms,
		 store_query_fn fn, void *ctx)
{
	char name[STORE_NAME_MAX];
	struct store_window *hits = NULL;
	uint8_t *buf = NULL;
	size_t nhits = 0, i, cap = 0, len;
	struct stat st;
	int rc = 0;

	if (!s || !fn || from_ms > to_ms)
		return -EINVAL;
	if (from_ms == to_ms)
		return 0; /* an empty range overlaps nothing */
	pthread_mutex_lock(&s->lock);
	/* Sorted by start: the candidates are a prefix. */
	for (i = 0; i < s->n && s->w[i].start_ms < to_ms; i++)
		nhits += s->w[i].end_ms > from_ms;
	if (nhits) {
		hits = malloc(nhits * sizeof(*hits));
		if (!hits) {
			pthread_mutex_unlock(&s->lock);
			return -ENOMEM;
		}
		nhits = 0;
		for (i = 0; i < s->n && s->w[i].start_ms < to_ms; i++) {
			if (s->w[i].end_ms > from_ms)
				hits[nhits++] = s->w[i];
		}
	}
	pthread_mutex_unlock(&s->lock);

	for (i = 0; i < nhits && !rc; i++) {
		store__format_name(hits[i].start_ms, hits[i].end_ms, name,
				   sizeof(name));
		memset(&st, 0, sizeof(st));
		rc = read_file(s->dfd, name, s->lim.max_file_bytes, &buf, &cap,
			       &len, &st);
		if (rc == -ENOENT) {
			rc = 0; /* evicted since we looked */
			continue;
		}
		if (rc == -EBADMSG || rc == -EFBIG) {
			/* changed under us, or over max_file_bytes */
			pthread_mutex_lock(&s->lock);
			forget_window(s, &hits[i], &st);
			pthread_mutex_unlock(&s->lock);
			rc = 0;
			continue;
		}
		if (rc && rc != -ENOMEM) {
			/* one unreadable window must not fail the range */
			log_warn("store: cannot read %s/%s: %s", s->dir, name,
				 strerror(-rc));
			rc = 0;
			continue;
		}
		if (rc)
			break;
		hits[i].bytes = len;
		rc = fn(&hits[i], buf, len, ctx);
		if (rc == -EBADMSG) {
			pthread_mutex_lock(&s->lock);
			forget_window(s, &hits[i], &st);
			pthread_mutex_unlock(&s->lock);
			rc = 0;
		}
	}
	free(buf);
	free(hits);
	return rc;
}

int store__set_limits(struct store *s, const struct store_limits *lim)
{
	if (!s || !lim)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	resolve_limits(&s->lim, lim);
	evict_locked(s, now_ms());
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int store__expire(struct store *s)
{
	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	evict_locked(s, now_ms());
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void store__counters(struct store *s, struct store_counters *out)
{
	if (!s || !out)
		return;
	pthread_mutex_lock(&s->lock);
	*out = s->c;
	out->windows = s->n;
	pthread_mutex_unlock(&s->lock);
}
