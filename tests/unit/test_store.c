// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the window store (src/store/store.c): file names, put and
 * query in time order, eviction by size, age and count, reopening history
 * after a restart, torn .tmp files and corrupt windows found at open or at
 * query time, the directory lock, and a full disk (a 64 KiB tmpfs; tests
 * run as root) returning -ENOSPC with nothing partial left behind.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "pprof_read.h"
#include "profile.h"
#include "store.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *make_tmpdir(void)
{
	char *d = strdup("/tmp/zprofd-store-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A real gzipped pprof window whose one sample has count `marker`. */
static uint8_t *window_data(int64_t marker, size_t *len)
{
	struct profile *p = profile__new();
	uint32_t f, l;
	char *buf = NULL;
	size_t n = 0;
	FILE *m;

	assert_non_null(p);
	f = profile__function(p, "work", "work", "/src/a.c", 1);
	l = profile__location(p, 0, 0x1000, f, 2, PF_FRAME_NATIVE);
	assert_int_equal(profile__add_sample(p, &l, 1, marker, 1, 1, "a", NULL),
			 0);
	p->period_ns = 1000000;
	m = open_memstream(&buf, &n);
	assert_non_null(m);
	assert_int_equal(pprof_write(p, m), 0);
	fclose(m);
	profile__free(p);
	*len = n;
	return (uint8_t *)buf;
}

static void put_marker(struct store *s, int64_t start, int64_t end,
		       int64_t marker)
{
	size_t len;
	uint8_t *d = window_data(marker, &len);

	assert_int_equal(store__put(s, start, end, d, len), 0);
	free(d);
}

static bool file_exists(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !lstat(path, &st);
}

static bool window_exists(const char *dir, int64_t start, int64_t end)
{
	char name[STORE_NAME_MAX];

	assert_int_equal(store__format_name(start, end, name, sizeof(name)), 0);
	return file_exists(dir, name);
}

/* Entries of dir other than "." and "..". */
static int count_entries(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t k = suffix ? strlen(suffix) : 0, n;
	int count = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n = strlen(de->d_name);
		if (suffix && (n < k || strcmp(de->d_name + n - k, suffix)))
			continue;
		count++;
	}
	closedir(d);
	return count;
}

/* What a query saw: windows in order, and each one's sample count. */
struct seen {
	struct store_window w[64];
	int64_t marker[64];
	int n;
	int stop_at; /* return 1 at this index; -1: never */
	int bad_at;  /* return -EBADMSG at this index; -1: never */
};

static int collect(const struct store_window *w, const void *data, size_t len,
		   void *ctx)
{
	struct seen *s = ctx;
	struct profile *p = profile__new();
	int rc;

	assert_non_null(p);
	assert_true(s->n < 64);
	if (s->bad_at == s->n) {
		s->n++;
		profile__free(p);
		return -EBADMSG;
	}
	rc = pprof__read(p, data, len);
	if (rc) {
		profile__free(p);
		s->n++;
		return rc;
	}
	s->w[s->n] = *w;
	s->marker[s->n] = p->nsamples ? p->samples[0].count : -1;
	profile__free(p);
	return s->n++ == s->stop_at ? 1 : 0;
}

static void query(struct store *st, int64_t from, int64_t to, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	s->stop_at = -1;
	s->bad_at = -1;
	assert_int_equal(store__query(st, from, to, collect, s), 0);
}

static void test_names(void **state)
{
	char name[STORE_NAME_MAX];
	int64_t a, b;

	(void)state;
	assert_int_equal(store__format_name(1700000000000LL, 1700000010000LL,
					    name, sizeof(name)),
			 0);
	assert_string_equal(name, "w-1700000000000-1700000010000.pb.gz");
	assert_int_equal(store__parse_name(name, &a, &b), 0);
	assert_int_equal(a, 1700000000000LL);
	assert_int_equal(b, 1700000010000LL);
	assert_int_equal(store__format_name(0, 5, name, sizeof(name)), 0);
	assert_string_equal(name, "w-0000000000000-0000000000005.pb.gz");
	assert_int_equal(store__parse_name(name, &a, &b), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 5);
	/* The largest window still has a name that fits. */
	assert_int_equal(
	    store__format_name(INT64_MAX - 1, INT64_MAX, name, sizeof(name)),
	    0);
	assert_int_equal(store__parse_name(name, &a, &b), 0);
	assert_true(b == INT64_MAX);

	assert_int_equal(store__format_name(5, 5, name, sizeof(name)), -EINVAL);
	assert_int_equal(store__format_name(-1, 5, name, sizeof(name)),
			 -EINVAL);
	assert_int_equal(store__format_name(1, 5, name, 10), -EINVAL);
	assert_int_equal(store__parse_name("w-1-2.pb.gz", &a, &b), -EINVAL);
	assert_int_equal(
	    store__parse_name("w-0000000000005-0000000000005.pb.gz", &a, &b),
	    -EINVAL);
	assert_int_equal(
	    store__parse_name("w-0000000000006-0000000000005.pb.gz", &a, &b),
	    -EINVAL);
	assert_int_equal(store__parse_name(
			     "w-0000000000001-0000000000005.pb.gz.tmp", &a, &b),
			 -EINVAL);
	assert_int_equal(
	    store__parse_name("w-0000000000001-0000000000005.pb", &a, &b),
	    -EINVAL);
	assert_int_equal(
	    store__parse_name("w-+000000000001-0000000000005.pb.gz", &a, &b),
	    -EINVAL);
	assert_int_equal(
	    store__parse_name("x-0000000000001-0000000000005.pb.gz", &a, &b),
	    -EINVAL);
	assert_int_equal(
	    store__parse_name("w-0000000000001-99999999999999999999"
			      ".pb.gz",
			      &a, &b),
	    -EINVAL);
	assert_int_equal(store__parse_name("w-0000000000001-9999999999999999999"
					   ".pb.gz",
					   &a, &b),
			 -EINVAL);
	assert_int_equal(store__parse_name("dir/w-0000000000001-0000000000005"
					   ".pb.gz",
					   &a, &b),
			 -EINVAL);
	assert_int_equal(store__parse_name("", &a, &b), -EINVAL);
	assert_int_equal(store__parse_name(NULL, &a, &b), -EINVAL);
}

static void test_put_query(void **state)
{
	char *tmp = make_tmpdir(), dir[256];
	struct store_limits lim = { 0 };
	struct store_counters c;
	struct store *s;
	struct seen seen;
	struct stat st;
	int64_t t0 = now_ms() - 60000;
	int err = 0;
	size_t len;
	uint8_t *d;

	(void)state;
	/* Created with its parents, private. */
	snprintf(dir, sizeof(dir), "%s/a/b/store", tmp);
	s = store__open(dir, &lim, &err);
	assert_non_null(s);
	assert_int_equal(err, 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	/* Out of order on purpose. */
	put_marker(s, t0 + 20000, t0 + 30000, 3);
	put_marker(s, t0, t0 + 10000, 1);
	put_marker(s, t0 + 10000, t0 + 20000, 2);
	put_marker(s, t0 + 40000, t0 + 50000, 5);
	assert_true(window_exists(dir, t0, t0 + 10000));

	query(s, t0 - 100000, t0 + 100000, &seen);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.marker[0], 1);
	assert_int_equal(seen.marker[1], 2);
	assert_int_equal(seen.marker[2], 3);
	assert_int_equal(seen.marker[3], 5);
	assert_int_equal(seen.w[1].start_ms, t0 + 10000);
	assert_int_equal(seen.w[1].end_ms, t0 + 20000);
	assert_true(seen.w[1].bytes > 0);

	/* Half-open overlap: [t0+10000, t0+20000) touches only window 2. */
	query(s, t0 + 10000, t0 + 20000, &seen);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.marker[0], 2);
	query(s, t0 + 15000, t0 + 45000, &seen);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.marker[2], 5);
	query(s, t0 + 30000, t0 + 40000, &seen); /* the gap */
	assert_int_equal(seen.n, 0);
	query(s, t0 + 12000, t0 + 12000, &seen); /* empty range */
	assert_int_equal(seen.n, 0);

	/* A callback's non-zero return stops the walk and is returned. */
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 1;
	seen.bad_at = -1;
	assert_int_equal(store__query(s, 0, INT64_MAX, collect, &seen), 1);
	assert_int_equal(seen.n, 2);

	/* The same range again replaces the window. */
	put_marker(s, t0, t0 + 10000, 7);
	query(s, t0, t0 + 1, &seen);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.marker[0], 7);

	store__counters(s, &c);
	assert_int_equal(c.windows, 4);
	assert_int_equal(c.stored, 5);
	assert_int_equal(c.evicted, 0);
	assert_int_equal(c.write_errors, 0);
	assert_int_equal(c.torn_skipped, 0);
	assert_true(c.bytes > 4 * 20);
	assert_int_equal(count_entries(dir, ".pb.gz"), 4);

	/* Bad arguments: nothing written, nothing counted. */
	d = window_data(1, &len);
	assert_int_equal(store__put(s, 10, 10, d, len), -EINVAL);
	assert_int_equal(store__put(s, -5, 10, d, len), -EINVAL);
	assert_int_equal(store__put(s, 1, 10, "not gzip at all, 20+ bytes", 26),
			 -EINVAL);
	assert_int_equal(store__put(s, 1, 10, NULL, 0), -EINVAL);
	assert_int_equal(store__put(NULL, 1, 10, d, len), -EINVAL);
	assert_int_equal(store__query(s, 5, 4, collect, &seen), -EINVAL);
	assert_int_equal(store__query(s, 0, 5, NULL, NULL), -EINVAL);
	free(d);
	store__counters(s, &c);
	assert_int_equal(c.write_errors, 0);

	store__free(s);
	store__free(NULL);
	rm_rf(tmp);
	free(tmp);
}

static void test_evict(void **state)
{
	char *dir = make_tmpdir();
	struct store_limits lim = { 0 };
	struct store_counters c;
	struct store *s;
	struct seen seen;
	int64_t t0 = now_ms() - 3600 * 1000LL, i;
	size_t len;
	uint8_t *d = window_data(1, &len);
	int err;

	(void)state;
	/* Size: room for three windows of this size, not four. */
	lim.max_bytes = 3 * len + len / 2;
	s = store__open(dir, &lim, &err);
	assert_non_null(s);
	for (i = 0; i < 5; i++)
		assert_int_equal(
		    store__put(s, t0 + i * 10000, t0 + (i + 1) * 10000, d, len),
		    0);
	store__counters(s, &c);
	assert_int_equal(c.windows, 3);
	assert_int_equal(c.bytes, 3 * len);
	assert_int_equal(c.evicted, 2);
	assert_false(window_exists(dir, t0, t0 + 10000));
	assert_false(window_exists(dir, t0 + 10000, t0 + 20000));
	assert_true(window_exists(dir, t0 + 20000, t0 + 30000));
	query(s, 0, INT64_MAX, &seen);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.w[0].start_ms, t0 + 20000);

	/* A window larger than the whole budget is refused, not stored. */
	lim.max_bytes = len - 1;
	assert_int_equal(store__set_limits(s, &lim), 0);
	store__counters(s, &c);
	assert_int_equal(c.windows, 0);
	assert_int_equal(c.evicted, 5);
	assert_int_equal(store__put(s, t0, t0 + 1, d, len), -EFBIG);
	store__counters(s, &c);
	assert_int_equal(c.write_errors, 1);
	assert_int_equal(count_entries(dir, NULL), 1); /* .lock */

	/* Age: windows that ended over an hour ago go, at put and reload. */
	lim.max_bytes = 0;
	lim.max_age_ms = 3600 * 1000LL;
	assert_int_equal(store__set_limits(s, &lim), 0);
	put_marker(s, t0 - 7200 * 1000LL, t0 - 7190 * 1000LL, 1); /* 3 h */
	store__counters(s, &c);
	assert_int_equal(c.windows, 0);
	put_marker(s, t0 + 1800 * 1000LL, t0 + 1810 * 1000LL, 2); /* 30 min */
	put_marker(s, t0 + 3500 * 1000LL, t0 + 3510 * 1000LL, 3); /* 90 s */
	store__counters(s, &c);
	assert_int_equal(c.windows, 2);
	lim.max_age_ms = 60 * 1000LL; /* SIGHUP: one minute */
	assert_int_equal(store__set_limits(s, &lim), 0);
	store__counters(s, &c);
	assert_int_equal(c.windows, 0);
	assert_int_equal(store__expire(s), 0);

	/* Count: the index never holds more than max_windows. */
	lim.max_age_ms = 0;
	lim.max_windows = 4;
	assert_int_equal(store__set_limits(s, &lim), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(
		    store__put(s, t0 + i * 1000, t0 + (i + 1) * 1000, d, len),
		    0);
	store__counters(s, &c);
	assert_int_equal(c.windows, 4);
	assert_int_equal(count_entries(dir, ".pb.gz"), 4);
	query(s, 0, INT64_MAX, &seen);
	assert_int_equal(seen.w[0].start_ms, t0 + 6000);
	lim.max_windows = 1;
	assert_int_equal(store__set_limits(s, &lim), 0);
	query(s, 0, INT64_MAX, &seen);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.w[0].start_ms, t0 + 9000);

	store__free(s);
	free(d);
	rm_rf(dir);
	free(dir);
}

static void write_file(const char *dir, const char *name, const void *data,
		       size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void test_reopen(void **state)
{
	char *dir = make_tmpdir();
	struct store_limits lim = { 0 };
	struct store_counters c;
	struct store *s, *s2;
	struct seen seen;
	int64_t t0 = now_ms() - 600000;
	int err = 0;

	(void)state;
	s = store__open(dir, &lim, &err);
	assert_non_null(s);
	put_marker(s, t0, t0 + 10000, 11);
	put_marker(s, t0 + 10000, t0 + 20000, 12);
	put_marker(s, t0 + 20000, t0 + 30000, 13);

	/* One directory, one store: the second one is refused. */
	s2 = store__open(dir, &lim, &err);
	assert_null(s2);
	assert_int_equal(err, -EBUSY);
	assert_int_equal(errno, EBUSY);
	store__free(s);

	/* After a restart the history is there, limits applied at once. */
	lim.max_windows = 2;
	s = store__open(dir, &lim, &err);
	assert_non_null(s);
	store__counters(s, &c);
	assert_int_equal(c.windows, 2);
	assert_int_equal(c.evicted, 1);
	assert_int_equal(c.stored, 0);
	query(s, 0, INT64_MAX, &seen);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.marker[0], 12);
	assert_int_equal(seen.marker[1], 13);
	assert_int_equal(seen.w[1].end_ms, t0 + 30000);
	store__free(s);

	/* A path that is a file cannot be a store. */
	write_file(dir, "plain", "x", 1);
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/plain", dir);
		assert_null(store__open(path, &lim, &err));
		assert_true(err == -ENOTDIR || err == -EEXIST);
		unlink(path);
	}
	assert_null(store__open(NULL, &lim, &err));
	assert_int_equal(err, -EINVAL);
	rm_rf(dir);
	free(dir);
}

static void test_torn_and_corrupt(void **state)
{
	char *dir = make_tmpdir(), name[STORE_NAME_MAX], tname[96];
	struct store_limits lim = { 0 };
	struct store_counters c;
	struct store *s;
	struct seen seen;
	int64_t t0 = now_ms() - 600000;
	uint8_t *d, junk[64];
	size_t len;
	int err;

	(void)state;
	d = window_data(21, &len);
	/* A good window, a torn .tmp, garbage, a truncated gzip, a bad CRC. */
	store__format_name(t0, t0 + 10000, name, sizeof(name));
	write_file(dir, name, d, len);
	store__format_name(t0 + 10000, t0 + 20000, name, sizeof(name));
	snprintf(tname, sizeof(tname), "%s.tmp", name);
	write_file(dir, tname, d, len / 2);
	memset(junk, 'x', sizeof(junk));
	junk[0] = 0x1f;
	junk[1] = 0x8b;
	store__format_name(t0 + 20000, t0 + 30000, name, sizeof(name));
	write_file(dir, name, junk, sizeof(junk));
	store__format_name(t0 + 30000, t0 + 40000, name, sizeof(name));
	write_file(dir, name, d, len - 3);
	d[len - 6] ^= 0xff; /* in the CRC-32 */
	store__format_name(t0 + 40000, t0 + 50000, name, sizeof(name));
	write_file(dir, name, d, len);
	d[len - 6] ^= 0xff;
	/* Not ours: left alone. */
	write_file(dir, "notes.txt", "hello", 5);
	write_file(dir, "w-1-2.pb.gz", "odd", 3);
	store__format_name(t0 + 50000, t0 + 60000, name, sizeof(name));
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		assert_int_equal(mkdir(path, 0700), 0);
	}

	s = store__open(dir, &lim, &err);
	assert_non_null(s);
	store__counters(s, &c);
	assert_int_equal(c.windows, 1);
	assert_int_equal(c.torn_skipped, 4);
	assert_false(file_exists(dir, tname));
	assert_int_equal(count_entries(dir, ".tmp"), 0);
	assert_int_equal(count_entries(dir, ".bad"), 3);
	assert_true(file_exists(dir, "notes.txt"));
	assert_true(file_exists(dir, "w-1-2.pb.gz"));
	assert_true(file_exists(dir, name)); /* the directory */
	query(s, 0, INT64_MAX, &seen);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.marker[0], 21);
	store__free(s);

	/*
	 * With verify_newest = 1 an old corrupt window is only found when a
	 * query decodes it: the callback says -EBADMSG, the store moves it
	 * away and carries on.
	 */
	store__format_name(t0 - 20000, t0 - 10000, name, sizeof(name));
	write_file(dir, name, junk, sizeof(junk));
	lim.verify_newest = 1;
	s = store__open(dir, &lim, &err);
	assert_non_null(s);
	store__counters(s, &c);
	assert_int_equal(c.windows, 2);
	assert_int_equal(c.torn_skipped, 0);
	query(s, 0, INT64_MAX, &seen);
	assert_int_equal(seen.n, 2); /* the bad one was called, then moved */
	store__counters(s, &c);
	assert_int_equal(c.windows, 1);
	assert_int_equal(c.torn_skipped, 1);
	assert_false(file_exists(dir, name));
	assert_int_equal(count_entries(dir, ".bad"), 4);
	query(s, 0, INT64_MAX, &seen);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.marker[0], 21);

	/* A callback may reject a good window too; it is quarantined. */
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = -1;
	seen.bad_at = 0;
	assert_int_equal(store__query(s, 0, INT64_MAX, collect, &seen), 0);
	store__counters(s, &c);
	assert_int_equal(c.windows, 0);
	store__free(s);

	/* .bad files past the age limit are cleaned at open. */
	lim.max_age_ms = 1000;
	s = store__open(dir, &lim, &err);
	assert_non_null(s);
	assert_int_equal(count_entries(dir, ".bad"), 0);
	store__free(s);

	free(d);
	rm_rf(dir);
	free(dir);
}

static int count_calls(const struct store_window *w, const void *data,
		       size_t len, void *ctx)
{
	(void)w;
	(void)data;
	(void)len;
	(*(int *)ctx)++;
	return 0;
}

static void test_enospc(void **state)
{
	char *dir = make_tmpdir();
	struct store_limits lim = { 0 };
	struct store_counters c;
	struct store *s;
	uint8_t *big;
	size_t len, i, n, small = 6000;
	int calls;
	int64_t t0 = now_ms() - 600000;
	int err, rc;

	(void)state;
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700")) {
		fprintf(stderr,
			"# SKIP full-disk test: cannot mount a 64 KiB tmpfs on "
			"%s: %s (needs root)\n",
			dir, strerror(errno));
		rmdir(dir);
		free(dir);
		skip();
	}
	/* Incompressible bytes behind a gzip magic: put only checks that. */
	len = 100 * 1024;
	big = malloc(len);
	assert_non_null(big);
	srand(7);
	for (i = 0; i < len; i++)
		big[i] = (uint8_t)rand();
	big[0] = 0x1f;
	big[1] = 0x8b;

	s = store__open(dir, &lim, &err);
	assert_non_null(s);
	assert_int_equal(store__put(s, t0, t0 + 10000, big, len), -ENOSPC);
	store__counters(s, &c);
	assert_int_equal(c.write_errors, 1);
	assert_int_equal(c.windows, 0);
	assert_int_equal(count_entries(dir, NULL), 1); /* .lock only */

	/* Fill it with small windows until it is full. */
	for (n = 0; n < 64; n++) {
		rc = store__put(s, t0 + (int64_t)n * 1000,
				t0 + (int64_t)(n + 1) * 1000, big, small);
		if (rc)
			break;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(n >= 4);
	store__counters(s, &c);
	assert_int_equal(c.write_errors, 2);
	assert_int_equal(c.windows, n);
	assert_int_equal(count_entries(dir, ".tmp"), 0);
	assert_int_equal(count_entries(dir, ".pb.gz"), (int)n);
	calls = 0;
	assert_int_equal(store__query(s, 0, INT64_MAX, count_calls, &calls), 0);
	assert_int_equal(calls, (int)n);

	/* Free space through the limits; the store goes on working. */
	lim.max_bytes = (n / 2) * small;
	assert_int_equal(store__set_limits(s, &lim), 0);
	assert_int_equal(store__put(s, t0 + 100000, t0 + 101000, big, small),
			 0);
	store__counters(s, &c);
	assert_int_equal(c.windows, n / 2);
	assert_true(c.evicted >= n - n / 2);
	assert_int_equal(count_entries(dir, ".pb.gz"), (int)(n / 2));
	store__free(s);

	free(big);
	assert_int_equal(umount(dir), 0);
	rmdir(dir);
	free(dir);
}

/* Windows decoded at open: a figure for the daemon's start-up time. */
static void test_open_speed(void **state)
{
	char *dir = make_tmpdir();
	struct store_limits lim = { 0 };
	struct store *s;
	struct timespec a, b;
	size_t len;
	uint8_t *d = window_data(3, &len);
	int64_t t0 = now_ms() - 3600000, i;
	int err;

	(void)state;
	s = store__open(dir, &lim, &err);
	assert_non_null(s);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < 500; i++)
		assert_int_equal(
		    store__put(s, t0 + i * 10, t0 + i * 10 + 10, d, len), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	store__free(s);
	fprintf(stderr, "# store: 500 puts (fsync'ed) in %.3f s\n",
		(double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	clock_gettime(CLOCK_MONOTONIC, &a);
	s = store__open(dir, &lim, &err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_non_null(s);
	fprintf(stderr, "# store: open verifying 500 windows in %.3f s\n",
		(double)(b.tv_sec - a.tv_sec) +
		    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	store__free(s);
	free(d);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_put_query),
		cmocka_unit_test(test_evict),
		cmocka_unit_test(test_reopen),
		cmocka_unit_test(test_torn_and_corrupt),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_open_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
