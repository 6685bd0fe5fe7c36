// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unwind-table build benchmark: builds the table of each ELF file named on
 * the command line (default: libc, Debian's python3.11 and the newest pyenv
 * libpython3.13) REPEAT times into one shared rule set, as the daemon does,
 * and prints per file the median and best build time, the FDEs, rows,
 * distinct rules and bytes of the table, then the rule count of the set.
 * Files that do not exist are reported and skipped.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ehtable.h"

#define REPEAT	  15
#define MAX_FILES 16

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Distinct rule ids among the rows of T. */
static size_t distinct_rules(const struct ehtable *t, size_t nrules)
{
	const struct zp_unwind_row *rows = ehtable__rows(t);
	unsigned char *seen = calloc(nrules ? nrules : 1, 1);
	size_t i, n = 0;

	if (!seen)
		return 0;
	for (i = 0; i < ehtable__nrows(t); i++) {
		if (rows[i].rule < nrules && !seen[rows[i].rule]) {
			seen[rows[i].rule] = 1;
			n++;
		}
	}
	free(seen);
	return n;
}

static int bench_file(struct unwind_rules *rules, const char *path)
{
	const struct ehtable_stats *s;
	double ms[REPEAT], t0;
	struct ehtable *t = NULL;
	int i;

	for (i = 0; i < REPEAT; i++) {
		ehtable__free(t);
		t0 = now();
		t = ehtable__from_file(rules, path, NULL);
		ms[i] = (now() - t0) * 1e3;
		if (!t) {
			printf("ehtable: %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	qsort(ms, REPEAT, sizeof(ms[0]), dbl_cmp);
	s = ehtable__stats(t);
	printf("ehtable: %s: build %.2f ms (best %.2f), %zu FDEs, %zu rows, "
	       "%zu rules, %zu bytes (none: cfa %zu, ra %zu, rbp %zu, "
	       "bad FDEs %zu)\n",
	       path, ms[REPEAT / 2], ms[0], s->fdes, ehtable__nrows(t),
	       distinct_rules(t, unwind_rules__count(rules)),
	       ehtable__nrows(t) * sizeof(struct zp_unwind_row), s->rows_cfa,
	       s->rows_ra, s->rows_rbp, s->fdes_bad);
	ehtable__free(t);
	return 0;
}

int main(int argc, char **argv)
{
	const char *files[MAX_FILES];
	struct unwind_rules *rules;
	glob_t g = { 0 };
	int i, n = 0, fail = 0;

	if (argc > 1) {
		for (i = 1; i < argc && n < MAX_FILES; i++)
			files[n++] = argv[i];
	} else {
		files[n++] = "/lib/x86_64-linux-gnu/libc.so.6";
		files[n++] = "/usr/bin/python3.11";
		if (!glob(
			"/root/.pyenv/versions/3.13*/lib/libpython3.13.so.1.0",
			0, NULL, &g) &&
		    g.gl_pathc)
			files[n++] = g.gl_pathv[g.gl_pathc - 1];
	}
	rules = unwind_rules__new(ZP_UNWIND_MAX_RULES);
	if (!rules)
		return 1;
	for (i = 0; i < n; i++) {
		if (access(files[i], R_OK)) {
			printf("ehtable: %s: missing, skipped\n", files[i]);
			continue;
		}
		fail |= bench_file(rules, files[i]);
	}
	printf("ehtable: %zu distinct rules across all files, %zu bytes\n",
	       unwind_rules__count(rules),
	       unwind_rules__count(rules) * sizeof(struct zp_unwind_rule));
	unwind_rules__free(rules);
	globfree(&g);
	return fail;
}
