/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store: the daemon's on-disk history. Each aggregation window is one plain
 * gzipped pprof file in one directory, so any window opens directly with
 * `go tool pprof`; the store indexes them by time, writes new ones so that
 * a crash leaves either the whole file or nothing, enforces limits on total
 * size, age and count (oldest evicted first), and hands back the windows
 * overlapping a time range in time order.
 *
 * Directory layout (the format is documented here, where it is written):
 *
 *   w-<start_ms>-<end_ms>.pb.gz   a window covering [start_ms, end_ms),
 *                                 Unix epoch milliseconds, decimal, each
 *                                 zero-padded to 13 digits (so `ls` sorts
 *                                 by time until the year 2286), start < end
 *   w-...pb.gz.tmp                a window being written; a leftover one is
 *                                 a crash's torn write: deleted at open
 *   w-...pb.gz.bad                a window that failed verification (bad
 *                                 gzip, CRC or pprof), kept for inspection,
 *                                 out of the index and the size accounting;
 *                                 deleted at open once the age limit says
 *                                 its window would have been evicted
 *   .lock                         flock()ed while a store has the directory
 *
 * Anything else in the directory is left alone. Names are parsed strictly:
 * only the canonical spelling of a window counts as one.
 *
 * Thread safety: one mutex guards the index, so the HTTP thread may query
 * while the aggregation thread puts; store__query() copies the matching
 * entries and reads the files without holding it (a window evicted
 * meanwhile is skipped).
 */
#ifndef ZPROFD_STORE_H
#define ZPROFD_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_DEFAULT_MAX_WINDOWS 65536 /* 7.5 days of 10 s windows */
#define STORE_DEFAULT_MAX_FILE	  ((size_t)64 << 20)
#define STORE_NAME_MAX		  64 /* fits every window name with NUL */

struct store_limits {
	uint64_t max_bytes;	/* total window file size; 0: no limit */
	int64_t max_age_ms;	/* evict windows ended longer ago; 0: none */
	uint32_t max_windows;	/* index bound; 0: the default */
	size_t max_file_bytes;	/* largest window accepted; 0: the default */
	uint32_t verify_newest; /* at open, decode the newest N windows
				 * fully (gzip CRC + pprof); 0: all */
};

/* Counters for metrics; windows and bytes are current, the rest totals. */
struct store_counters {
	uint64_t windows;      /* windows in the index */
	uint64_t bytes;	       /* their total file size */
	uint64_t stored;       /* successful store__put() */
	uint64_t evicted;      /* windows removed by the limits */
	uint64_t write_errors; /* failed store__put() (ENOSPC, EIO, too big) */
	uint64_t torn_skipped; /* .tmp files and bad windows found */
};

struct store_window {
	int64_t start_ms;
	int64_t end_ms;
	uint64_t bytes;
};

struct store;

/*
 * Opens (creating with mode 0700, parents included) and scans dir, removes
 * torn .tmp files, verifies windows (see verify_newest), quarantines bad
 * ones as .bad, and applies the limits. NULL with *err (if err is non-NULL)
 * and errno set: -EBUSY when another store holds the directory.
 */
struct store *store__open(const char *dir, const struct store_limits *lim,
			  int *err);
void store__free(struct store *s);

/*
 * Stores pprof_gz (borrowed; must start with the gzip magic) as the window
 * [start_ms, end_ms), replacing a window with the same range: written to a
 * .tmp in the directory, fsync'ed, renamed, and the directory fsync'ed.
 * Then evicts oldest first while over a limit. 0 or -errno: -EINVAL for a
 * bad range or payload, -EFBIG for a file over max_file_bytes or max_bytes,
 * the write's error (-ENOSPC, -EIO, ...) with no partial file left.
 */
int store__put(struct store *s, int64_t start_ms, int64_t end_ms,
	       const void *pprof_gz, size_t len);

/*
 * Called for each window overlapping [from_ms, to_ms) in start order, with
 * its content (borrowed for the call). A non-zero return stops the query
 * and is returned, except -EBADMSG, which says the window is corrupt: the
 * store quarantines it (.bad, counted in torn_skipped) and goes on.
 */
typedef int (*store_query_fn)(const struct store_window *w, const void *data,
			      size_t len, void *ctx);
int store__query(struct store *s, int64_t from_ms, int64_t to_ms,
		 store_query_fn fn, void *ctx);

/* New limits (SIGHUP), applied at once. 0 or -errno. */
int store__set_limits(struct store *s, const struct store_limits *lim);
/* Evicts what the age limit says is too old now (also done on put). */
int store__expire(struct store *s);
void store__counters(struct store *s, struct store_counters *out);

/*
 * The file name of a window, and back. format: 0, or -EINVAL for a range
 * that is not 0 <= start < end. parse: 0 for the canonical name of a window
 * (no directory part, no suffix after .pb.gz), else -EINVAL.
 */
int store__format_name(int64_t start_ms, int64_t end_ms, char *buf,
		       size_t size);
int store__parse_name(const char *name, int64_t *start_ms, int64_t *end_ms);

#endif
