// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the CPython line-table decoder: hand-made tables for each
 * format (split entries, negative deltas, no-line entries, every truncation,
 * malformed bytes, accumulator overflow), then every instruction of every
 * code object that each installed interpreter (3.8-3.14) compiles from a few
 * stdlib modules, checked against the interpreter's own answer as dumped by
 * tests/unit/pyline_dump.py. Tables are handed over in exact-size heap copies
 * so that ASan sees any read past their end.
 */
#include "testutil.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pyline.h"

#define MINOR_FIRST 8
#define MINOR_LAST  14

/* pyline_lookup() on an exact-size heap copy of TABLE. */
static int lookup(enum pyline_format fmt, const uint8_t *table, size_t len,
		  int first, uint32_t instr, int *line)
{
	uint8_t *copy = NULL;
	int err;

	if (len) {
		copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, table, len);
	}
	err = pyline_lookup(fmt, copy, len, first, instr, line);
	free(copy);
	return err;
}

static void expect_line(enum pyline_format fmt, const uint8_t *table,
			size_t len, int first, uint32_t instr, int want)
{
	int line = -1;

	assert_int_equal(lookup(fmt, table, len, first, instr, &line), 0);
	assert_int_equal(line, want);
}

static void expect_err(enum pyline_format fmt, const uint8_t *table, size_t len,
		       int first, uint32_t instr, int want)
{
	int line = 12345;

	assert_int_equal(lookup(fmt, table, len, first, instr, &line), want);
	assert_int_equal(line, 12345); /* untouched on error */
}

/*
 * Every prefix of a valid table, looked up at instructions 0..NINSTR: only
 * 0, -ENOENT or -EINVAL, and where 3.10+ tables answer, the answer is the
 * full table's (their entries cover ranges that a cut cannot change).
 */
static void check_truncations(enum pyline_format fmt, const uint8_t *table,
			      size_t len, int first, uint32_t ninstr)
{
	int line, full_line, err, full_err;
	uint32_t instr;
	size_t k;

	for (k = 0; k < len; k++) {
		for (instr = 0; instr <= ninstr; instr++) {
			err = lookup(fmt, table, k, first, instr, &line);
			assert_true(err == 0 || err == -ENOENT ||
				    err == -EINVAL);
			if (err || fmt == PYLINE_LNOTAB)
				continue;
			full_err =
			    lookup(fmt, table, len, first, instr, &full_line);
			assert_int_equal(full_err, 0);
			assert_int_equal(line, full_line);
		}
	}
}

static void test_format_for(void **state)
{
	enum pyline_format fmt = PYLINE_LOCATIONS;

	(void)state;
	assert_int_equal(pyline_format_for(7, &fmt), -ENOTSUP);
	assert_int_equal(pyline_format_for(15, &fmt), -ENOTSUP);
	assert_int_equal(pyline_format_for(0, &fmt), -ENOTSUP);
	assert_int_equal(fmt, PYLINE_LOCATIONS);
	assert_int_equal(pyline_format_for(8, &fmt), 0);
	assert_int_equal(fmt, PYLINE_LNOTAB);
	assert_int_equal(pyline_format_for(9, &fmt), 0);
	assert_int_equal(fmt, PYLINE_LNOTAB);
	assert_int_equal(pyline_format_for(10, &fmt), 0);
	assert_int_equal(fmt, PYLINE_LINETABLE310);
	assert_int_equal(pyline_format_for(11, &fmt), 0);
	assert_int_equal(fmt, PYLINE_LOCATIONS);
	assert_int_equal(pyline_format_for(14, &fmt), 0);
	assert_int_equal(fmt, PYLINE_LOCATIONS);
	assert_int_equal(pyline_format_for(12, NULL), -EINVAL);
}

static void test_bad_arguments(void **state)
{
	static const uint8_t t[] = { 2, 1 };
	int line;

	(void)state;
	assert_int_equal(pyline_lookup(PYLINE_LNOTAB, NULL, 2, 1, 0, &line),
			 -EINVAL);
	assert_int_equal(pyline_lookup(PYLINE_LNOTAB, t, sizeof(t), 1, 0, NULL),
			 -EINVAL);
	assert_int_equal(
	    pyline_lookup((enum pyline_format)7, t, sizeof(t), 1, 0, &line),
	    -EINVAL);
	/* an empty table is valid in every format */
	assert_int_equal(pyline_lookup(PYLINE_LNOTAB, NULL, 0, 5, 0, &line), 0);
	assert_int_equal(line, 5);
	assert_int_equal(
	    pyline_lookup(PYLINE_LINETABLE310, NULL, 0, 5, 0, &line), -ENOENT);
	assert_int_equal(pyline_lookup(PYLINE_LOCATIONS, NULL, 0, 5, 0, &line),
			 -ENOENT);
}

static void test_lnotab(void **state)
{
	/*
	 * Offsets 0, 6, 50, 350, 361 start lines 1, 2, 7, 207, 208: the 300
	 * byte jump splits as (255, 0) (45, ...), the 200 line jump as
	 * (.., 127) (0, 73).
	 */
	static const uint8_t t[] = {
		6, 1, 44, 5, 255, 0, 45, 127, 0, 73, 11, 1
	};
	static const uint8_t neg[] = { 4, 3, 4, 0xfd, 0, 0xfe, 2, 0x80 };
	static const uint8_t big[] = { 0, 1 };
	const enum pyline_format f = PYLINE_LNOTAB;

	(void)state;
	expect_line(f, t, sizeof(t), 1, 0, 1);
	expect_line(f, t, sizeof(t), 1, 4, 1);
	expect_line(f, t, sizeof(t), 1, 6, 2);
	expect_line(f, t, sizeof(t), 1, 48, 2);
	expect_line(f, t, sizeof(t), 1, 50, 7);
	expect_line(f, t, sizeof(t), 1, 304, 7); /* inside the split jump */
	expect_line(f, t, sizeof(t), 1, 306, 7);
	expect_line(f, t, sizeof(t), 1, 348, 7);
	expect_line(f, t, sizeof(t), 1, 350, 207);
	expect_line(f, t, sizeof(t), 1, 360, 207);
	expect_line(f, t, sizeof(t), 1, 361, 208);
	/* no end in co_lnotab: the last line holds, as in PyCode_Addr2Line */
	expect_line(f, t, sizeof(t), 1, 100000, 208);
	expect_line(f, t, sizeof(t), 1, UINT32_MAX, 208);
	check_truncations(f, t, sizeof(t), 1, 400);

	/*
	 * Signed deltas: [0,4) 10, [4,8) 13, [8,10) 13-3-2 = 8 (two pairs at
	 * one address), [10,..) 8-128 = -120, which is not a line.
	 */
	expect_line(f, neg, sizeof(neg), 10, 2, 10);
	expect_line(f, neg, sizeof(neg), 10, 4, 13);
	expect_line(f, neg, sizeof(neg), 10, 8, 8);
	expect_err(f, neg, sizeof(neg), 10, 10, -ENOENT);
	expect_line(f, neg, 6, 10, 10, 8);
	/* -128 is an ordinary delta in co_lnotab, not 3.10's "no line" */
	expect_line(f, neg, sizeof(neg), 200, 10, 70);

	/* torn (odd) tables, even where the answer precedes the tear */
	expect_err(f, t, 3, 1, 0, -EINVAL);
	expect_err(f, t, 1, 1, 0, -EINVAL);

	/* the accumulated line must stay an int */
	expect_err(f, big, sizeof(big), INT_MAX, 0, -EINVAL);
	expect_line(f, big, sizeof(big), INT_MAX - 1, 0, INT_MAX);
	expect_err(f, neg, sizeof(neg), INT_MIN + 1, 8, -EINVAL);
}

static void test_linetable310(void **state)
{
	/*
	 * Byte ranges: [0,4) 10, [4,4) 12 (empty, only moves the line),
	 * [4,10) 13, [10,12) none, [12,266) 10, [266,268) 10.
	 */
	static const uint8_t t[] = {
		4, 0, 0, 2, 6, 1, 2, 0x80, 254, 0xfd, 2, 0
	};
	static const uint8_t over[] = { 2, 1 };
	const enum pyline_format f = PYLINE_LINETABLE310;

	(void)state;
	expect_line(f, t, sizeof(t), 10, 0, 10);
	expect_line(f, t, sizeof(t), 10, 1, 10);
	expect_line(f, t, sizeof(t), 10, 2, 13);
	expect_line(f, t, sizeof(t), 10, 4, 13);
	expect_err(f, t, sizeof(t), 10, 5, -ENOENT);
	/* a no-line range leaves the running line alone */
	expect_line(f, t, sizeof(t), 10, 6, 10);
	expect_line(f, t, sizeof(t), 10, 132, 10);
	expect_line(f, t, sizeof(t), 10, 133, 10);
	expect_err(f, t, sizeof(t), 10, 134, -ENOENT); /* past the end */
	expect_err(f, t, sizeof(t), 10, UINT32_MAX, -ENOENT);
	check_truncations(f, t, sizeof(t), 10, 140);

	expect_err(f, t, 5, 10, 0, -EINVAL);
	expect_err(f, over, sizeof(over), INT_MAX, 0, -EINVAL);
	/* a line below 1 is not a line */
	expect_err(f, over, sizeof(over), -1, 0, -ENOENT);
	expect_line(f, over, sizeof(over), 0, 0, 1);
}

/* 3.11+: first byte 1 CCCC LLL, LLL = code units - 1 */
#define LOC(code, units) (0x80 | (code) << 3 | ((units)-1))

static void test_locations_lines(void **state)
{
	static const uint8_t t[] = {
		LOC(14, 1), 0x03, 0x01, 0x01, 0x01,	  /* unit 0: 9 */
		LOC(0, 2),  0x05,			  /* 1-2: 9 */
		LOC(11, 1), 4,	  9,			  /* 3: 10 */
		LOC(12, 1), 4,	  9,			  /* 4: 12 */
		LOC(13, 8), 0x07,			  /* 5-12: 9 */
		LOC(15, 3),				  /* 13-15: none */
		LOC(14, 2), 0x50, 0x06, 0x00, 0x01, 0x02, /* 16-17: 209 */
		LOC(9, 1),  0x7f,			  /* 18: 209 */
		LOC(13, 1), 0x6c, 0x04,			  /* 19: 359 */
	};
	static const uint8_t module[] = { 0xf0, 0x03, 0x01, 0x01, 0x01 };
	static const int want[] = { 9, 9, 9, 10, 12, 9, 9,   9,	  9,   9,
				    9, 9, 9, 0,	 0,  0, 209, 209, 209, 359 };
	const enum pyline_format f = PYLINE_LOCATIONS;
	uint32_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (want[i])
			expect_line(f, t, sizeof(t), 10, i, want[i]);
		else
			expect_err(f, t, sizeof(t), 10, i, -ENOENT);
	}
	expect_err(f, t, sizeof(t), 10, 20, -ENOENT); /* past the end */
	expect_err(f, t, sizeof(t), 10, UINT32_MAX, -ENOENT);
	check_truncations(f, t, sizeof(t), 10, 21);

	/* the real bytes 3.11+ put at a module's RESUME: line 1 - 1 = 0 */
	expect_err(f, module, sizeof(module), 1, 0, -ENOENT);
	expect_line(f, module, sizeof(module), 2, 0, 1);
}

static void test_locations_malformed(void **state)
{
	/* an entry that does not start with bit 7 */
	static const uint8_t no_start[] = { LOC(0, 1), 0x05, 0x05, LOC(0, 1) };
	/* a column byte with bit 7 set: CPython would take it as an entry */
	static const uint8_t col_bit7[] = { LOC(0, 1), 0x85, LOC(0, 1), 0x01 };
	static const uint8_t one_line_bit7[] = { LOC(10, 1), 0x01, 0x90 };
	/* varints: 7 groups, a 36-bit value, cut by the end, cut by an entry */
	static const uint8_t long_varint[] = { LOC(13, 1), 0x41, 0x41, 0x41,
					       0x41,	   0x41, 0x41, 0x01 };
	static const uint8_t wide_varint[] = { LOC(13, 1), 0x7f, 0x7f, 0x7f,
					       0x7f,	   0x7f, 0x3f };
	/* 6 groups: 2^32 - 1 (-(2^31 - 1)) and 2^32 - 2 (+(2^31 - 1)) */
	static const uint8_t min_delta[] = { LOC(13, 1), 0x7f, 0x7f, 0x7f,
					     0x7f,	 0x7f, 0x03 };
	static const uint8_t max_delta[] = { LOC(13, 1), 0x7e, 0x7f, 0x7f,
					     0x7f,	 0x7f, 0x03 };
	static const uint8_t cut_varint[] = { LOC(13, 1), 0x41 };
	static const uint8_t entry_in_varint[] = { LOC(14, 1), 0x02, 0x00,
						   LOC(0, 1), 0x00 };
	/* good first entry, garbage after: seen only when walked over */
	static const uint8_t lazy[] = { LOC(11, 2), 1, 2, 0x33 };
	/* +1 twice, to INT_MAX and past it, and -1 down to and past INT_MIN */
	static const uint8_t up[] = { LOC(11, 1), 1, 2, LOC(11, 1), 1, 2 };
	static const uint8_t down[] = { LOC(13, 1), 0x03 };
	const enum pyline_format f = PYLINE_LOCATIONS;

	(void)state;
	expect_line(f, no_start, sizeof(no_start), 5, 0, 5);
	expect_err(f, no_start, sizeof(no_start), 5, 1, -EINVAL);
	expect_err(f, col_bit7, sizeof(col_bit7), 5, 0, -EINVAL);
	expect_err(f, one_line_bit7, sizeof(one_line_bit7), 5, 0, -EINVAL);
	expect_err(f, one_line_bit7, 2, 5, 0, -EINVAL);
	expect_err(f, long_varint, sizeof(long_varint), 5, 0, -EINVAL);
	expect_err(f, wide_varint, sizeof(wide_varint), 5, 0, -EINVAL);
	expect_err(f, min_delta, sizeof(min_delta), INT_MAX, 0, -ENOENT);
	expect_err(f, min_delta, sizeof(min_delta), -2, 0, -EINVAL);
	expect_line(f, max_delta, sizeof(max_delta), 0, 0, INT_MAX);
	expect_err(f, max_delta, sizeof(max_delta), 1, 0, -EINVAL);
	expect_err(f, cut_varint, sizeof(cut_varint), 5, 0, -EINVAL);
	expect_err(f, entry_in_varint, sizeof(entry_in_varint), 5, 0, -EINVAL);
	expect_line(f, lazy, sizeof(lazy), 5, 1, 6);
	expect_err(f, lazy, sizeof(lazy), 5, 2, -EINVAL);
	expect_line(f, up, sizeof(up), INT_MAX - 2, 0, INT_MAX - 1);
	expect_line(f, up, sizeof(up), INT_MAX - 2, 1, INT_MAX);
	expect_err(f, up, sizeof(up), INT_MAX - 1, 1, -EINVAL);
	expect_err(f, down, sizeof(down), INT_MIN, 0, -EINVAL);
	expect_err(f, down, sizeof(down), INT_MIN + 1, 0, -ENOENT);
}

/* ---- against the interpreters ---- */

struct run_stats {
	unsigned long code;	/* code objects */
	unsigned long instr;	/* instructions checked */
	unsigned long mismatch; /* pyline_lookup() disagreed */
	unsigned long no_line;	/* the truth has no line (n) */
	unsigned long line0;	/* the truth says line < 1 */
	unsigned long past_end; /* LIMIT checked to be past the table */
	unsigned long disagree; /* the dump's API vs PyCode_Addr2Line */
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes HEX (up to a space or NUL) into a new buffer; "-" is empty. */
static uint8_t *parse_hex(const char *hex, size_t *len)
{
	size_t n = strcspn(hex, " \n"), i;
	uint8_t *out;
	int hi, lo;

	if (n == 1 && hex[0] == '-')
		n = 0;
	assert_true(n % 2 == 0);
	out = malloc(n / 2 + 1);
	assert_non_null(out);
	for (i = 0; i < n / 2; i++) {
		hi = hexval(hex[2 * i]);
		lo = hexval(hex[2 * i + 1]);
		assert_true(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

struct code_record {
	int first;
	unsigned long limit;
	uint8_t *table;
	size_t len;
	char name[128];
};

static void report_mismatch(struct run_stats *st, unsigned minor,
			    const struct code_record *c, unsigned long instr,
			    const char *want, int err, int line)
{
	if (++st->mismatch > 10)
		return;
	printf("# MISMATCH 3.%u %s first=%d instr=%lu: want %s, got %d/%d\n",
	       minor, c->name, c->first, instr, want, err, line);
}

#define NO_LINE LONG_MIN

struct run {
	unsigned long start;
	long line; /* NO_LINE for "n" */
};

/*
 * Parses a T line's " START:LINE" runs into *RUNS (grown as needed): the
 * first starts at 0, starts increase, the last is below LIMIT.
 */
static size_t parse_runs(const char *p, unsigned long limit, struct run **runs,
			 size_t *cap)
{
	size_t n = 0;
	char *end;

	while (*p == ' ')
		p++;
	while (*p && *p != '\n') {
		if (n == *cap) {
			*cap = *cap ? 2 * *cap : 256;
			*runs = realloc(*runs, *cap * sizeof(**runs));
			assert_non_null(*runs);
		}
		(*runs)[n].start = strtoul(p, &end, 10);
		assert_true(end > p && *end == ':');
		p = end + 1;
		if (*p == 'n') {
			(*runs)[n].line = NO_LINE;
			p++;
		} else {
			(*runs)[n].line = strtol(p, &end, 10);
			assert_true(end > p);
			p = end;
		}
		assert_true(*p == ' ' || *p == '\n' || !*p);
		assert_true(n ? (*runs)[n].start > (*runs)[n - 1].start
			      : (*runs)[n].start == 0);
		assert_true((*runs)[n].start < limit);
		n++;
		while (*p == ' ')
			p++;
	}
	assert_true(n > 0);
	return n;
}

static void check_instr(struct run_stats *st, unsigned minor,
			enum pyline_format fmt, const struct code_record *c,
			unsigned long instr, long want)
{
	char want_s[32];
	int err, line = 0;

	err = pyline_lookup(fmt, c->table, c->len, c->first, (uint32_t)instr,
			    &line);
	st->instr++;
	if (want == NO_LINE)
		st->no_line++;
	else if (want < 1)
		st->line0++; /* 3.11+ module RESUME: line 0, "no line" */
	if (want == NO_LINE || want < 1) {
		if (err == -ENOENT)
			return;
	} else if (!err && line == want) {
		return;
	}
	if (want == NO_LINE)
		snprintf(want_s, sizeof(want_s), "no line");
	else
		snprintf(want_s, sizeof(want_s), "%ld", want);
	report_mismatch(st, minor, c, instr, want_s, err, line);
}

/*
 * Checks every instruction of C against the runs of its T line, parsed into
 * *RUNS (a buffer reused across calls, grown as needed).
 */
static void check_code(struct run_stats *st, unsigned minor,
		       enum pyline_format fmt, const struct code_record *c,
		       const char *t_line, struct run **runs, size_t *cap)
{
	/* 3.8/3.9 count bytes, instructions are 2 bytes; 3.10+ count units */
	unsigned long step = fmt == PYLINE_LNOTAB ? 2 : 1, instr, end;
	const struct run *r;
	size_t n, i;
	int err, line = 0;

	n = parse_runs(t_line, c->limit, runs, cap);
	r = *runs;
	for (i = 0; i < n; i++) {
		end = i + 1 < n ? r[i + 1].start : c->limit;
		for (instr = r[i].start; instr < end; instr += step)
			check_instr(st, minor, fmt, c, instr, r[i].line);
	}
	/* 3.10+ tables end exactly where the code does */
	if (fmt != PYLINE_LNOTAB) {
		err = pyline_lookup(fmt, c->table, c->len, c->first,
				    (uint32_t)c->limit, &line);
		st->past_end++;
		if (err != -ENOENT)
			report_mismatch(st, minor, c, c->limit, "past-end", err,
					line);
	}
}

/* Parses the dump written by pyline_dump.py under 3.MINOR. */
static void check_dump(FILE *f, unsigned minor, struct run_stats *st)
{
	unsigned long ncode = 0, ninstr = 0, ndisagree = 0;
	unsigned maj = 0, min = 0, micro = 0;
	struct code_record c = { 0 };
	enum pyline_format fmt;
	bool have_code = false, ended = false;
	struct run *runs = NULL;
	size_t cap = 0, cap_runs = 0;
	char *buf = NULL, *hex;
	int n;

	assert_int_equal(pyline_format_for(minor, &fmt), 0);
	while (getline(&buf, &cap, f) > 0) {
		if (buf[0] == 'V') {
			assert_int_equal(
			    sscanf(buf, "V %u %u %u", &maj, &min, &micro), 3);
			assert_int_equal(maj, 3);
			assert_int_equal(min, minor);
		} else if (buf[0] == 'C') {
			assert_false(have_code);
			assert_int_equal(
			    sscanf(buf, "C %d %lu %n", &c.first, &c.limit, &n),
			    2);
			hex = buf + n;
			free(c.table);
			c.table = parse_hex(hex, &c.len);
			hex += strcspn(hex, " ");
			snprintf(c.name, sizeof(c.name), "%.*s",
				 (int)strcspn(hex + 1, "\n"), hex + 1);
			have_code = true;
		} else if (buf[0] == 'T') {
			assert_true(have_code);
			/* exact-size copy, so ASan sees over-reads */
			if (c.len) {
				uint8_t *exact = malloc(c.len);

				assert_non_null(exact);
				memcpy(exact, c.table, c.len);
				free(c.table);
				c.table = exact;
			}
			check_code(st, minor, fmt, &c, buf + 1, &runs,
				   &cap_runs);
			st->code++;
			have_code = false;
		} else if (buf[0] == 'E') {
			assert_int_equal(sscanf(buf, "E %lu %lu %lu", &ncode,
						&ninstr, &ndisagree),
					 3);
			ended = true;
		}
	}
	free(runs);
	free(buf);
	free(c.table);
	/* a dump that died midway has no trailer */
	assert_true(ended);
	assert_int_equal(ncode, st->code);
	/* the dump counts every code unit; 3.8/3.9 checks every 2 bytes */
	assert_int_equal(ninstr, st->instr);
	st->disagree = ndisagree;
}

static const char *script_path(char *buf, size_t size)
{
	const char *root = getenv("ZPROFD_ROOT");

	snprintf(buf, size, "%s/tests/unit/pyline_dump.py",
		 root && *root ? root : ".");
	return buf;
}

/* Runs the dump under PY (3.MINOR) and checks what it wrote. */
static void run_interpreter(const char *py, unsigned minor,
			    struct run_stats *st)
{
	char tmp[] = "/tmp/pyline_dump.XXXXXX", script[PATH_MAX];
	char cmd[3 * PATH_MAX], out[512];
	FILE *p, *f;
	int fd, status;

	script_path(script, sizeof(script));
	if (access(script, R_OK)) {
		printf("# %s: %s (run from the repository or set "
		       "ZPROFD_ROOT)\n",
		       script, strerror(errno));
		fail();
	}
	/* single-quoted below */
	assert_null(strchr(py, '\''));
	assert_null(strchr(script, '\''));
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' -I '%s' '%s' 2>&1", py, script, tmp);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(out, sizeof(out), p))
		printf("#   %s: %s", py, out);
	status = pclose(p);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		unlink(tmp);
		printf("# %s: pyline_dump.py failed (status %d)\n", py, status);
		fail();
	}
	f = fopen(tmp, "r");
	assert_non_null(f);
	check_dump(f, minor, st);
	fclose(f);
	unlink(tmp);
}

static bool is_executable(const char *path)
{
	struct stat sb;

	return !stat(path, &sb) && S_ISREG(sb.st_mode) && !access(path, X_OK);
}

#define MAX_PYTHONS 32

struct python {
	char path[PATH_MAX];
	char real[PATH_MAX];
	unsigned minor;
};

static void add_python(struct python *py, int *n, const char *path,
		       unsigned minor)
{
	char real[PATH_MAX];
	int i;

	if (*n >= MAX_PYTHONS || !is_executable(path) || !realpath(path, real))
		return;
	for (i = 0; i < *n; i++)
		if (!strcmp(py[i].real, real))
			return;
	snprintf(py[*n].path, sizeof(py[*n].path), "%s", path);
	snprintf(py[*n].real, sizeof(py[*n].real), "%s", real);
	py[*n].minor = minor;
	(*n)++;
}

/*
 * Interpreters of 3.8-3.14: pyenv's versions (PYENV_ROOT or ~/.pyenv), the
 * system's, and python3.X on PATH other than pyenv shims (scripts that would
 * run one of the pyenv versions again). Distinct binaries only.
 */
static int find_pythons(struct python *py)
{
	const char *home = getenv("HOME"), *pyenv = getenv("PYENV_ROOT");
	char pat[PATH_MAX], path[PATH_MAX], name[32];
	char *envpath, *dir, *save = NULL;
	unsigned minor;
	glob_t g;
	size_t i;
	int n = 0;

	for (minor = MINOR_FIRST; minor <= MINOR_LAST; minor++) {
		snprintf(name, sizeof(name), "python3.%u", minor);
		if (pyenv && *pyenv)
			snprintf(pat, sizeof(pat), "%s/versions/3.%u.*/bin/%s",
				 pyenv, minor, name);
		else
			snprintf(pat, sizeof(pat),
				 "%s/.pyenv/versions/3.%u.*/bin/%s",
				 home ? home : "/root", minor, name);
		if (!glob(pat, 0, NULL, &g)) {
			for (i = 0; i < g.gl_pathc; i++)
				add_python(py, &n, g.gl_pathv[i], minor);
			globfree(&g);
		}
		snprintf(path, sizeof(path), "/usr/bin/%s", name);
		add_python(py, &n, path, minor);
		snprintf(path, sizeof(path), "/usr/local/bin/%s", name);
		add_python(py, &n, path, minor);
		envpath = strdup(getenv("PATH") ? getenv("PATH") : "");
		assert_non_null(envpath);
		for (dir = strtok_r(envpath, ":", &save); dir;
		     dir = strtok_r(NULL, ":", &save)) {
			if (strstr(dir, "/shims"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			add_python(py, &n, path, minor);
		}
		free(envpath);
	}
	return n;
}

static void test_interpreters(void **state)
{
	static struct python py[MAX_PYTHONS];
	struct run_stats st, total = { 0 };
	bool seen[MINOR_LAST + 1] = { false };
	unsigned minor;
	int n, i;

	(void)state;
	n = find_pythons(py);
	for (i = 0; i < n; i++) {
		memset(&st, 0, sizeof(st));
		run_interpreter(py[i].path, py[i].minor, &st);
		printf("# 3.%u %s: %lu code objects, %lu instructions checked, "
		       "%lu mismatches (%lu without a line, %lu at line 0, "
		       "%lu past-end checks; dump API vs PyCode_Addr2Line "
		       "disagreements: %lu)\n",
		       py[i].minor, py[i].path, st.code, st.instr, st.mismatch,
		       st.no_line, st.line0, st.past_end, st.disagree);
		if (st.disagree)
			printf(
			    "# WARNING 3.%u: the interpreter's two line APIs "
			    "disagree on %lu instructions\n",
			    py[i].minor, st.disagree);
		seen[py[i].minor] = true;
		total.instr += st.instr;
		total.mismatch += st.mismatch;
	}
	for (minor = MINOR_FIRST; minor <= MINOR_LAST; minor++)
		if (!seen[minor])
			printf("# 3.%u: no interpreter found, NOT checked\n",
			       minor);
	printf("# total: %d interpreters, %lu instructions, %lu mismatches\n",
	       n, total.instr, total.mismatch);
	fflush(stdout);
	/* a machine without pyenv is fine; one without any Python is not */
	if (!n)
		printf("# no CPython 3.%d-3.%d interpreter found: nothing "
		       "to check the decoder against\n",
		       MINOR_FIRST, MINOR_LAST);
	assert_true(n > 0);
	assert_int_equal(total.mismatch, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_for),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_lnotab),
		cmocka_unit_test(test_linetable310),
		cmocka_unit_test(test_locations_lines),
		cmocka_unit_test(test_locations_malformed),
		cmocka_unit_test(test_interpreters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
