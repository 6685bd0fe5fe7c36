// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the /proc/PID/maps parser: the line shapes the kernel prints
 * (file-backed, anonymous, special, deleted, paths with spaces), lines it
 * never prints (truncated, overflowing numbers, garbage, overlaps), and the
 * loader against this process's own maps.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procmaps.h"

static struct procmaps *parse(const char *text, unsigned flags)
{
	struct procmaps *m = procmaps__parse(text, strlen(text), flags);

	assert_non_null(m);
	return m;
}

static void test_normal_lines(void **state)
{
	const char *text =
	    "55d1c6a00000-55d1c6a28000 r--p 00000000 08:01 1835045    "
	    "                /usr/bin/python3.11\n"
	    "55d1c6a28000-55d1c6cdb000 r-xp 00028000 08:01 1835045    "
	    "                /usr/bin/python3.11\n"
	    "55d1c8000000-55d1c8021000 rw-p 00000000 00:00 0          "
	    "                [heap]\n"
	    "7f0000000000-7f0000001000 rwxp 00000000 00:00 0 \n"
	    "7ffd5e3f0000-7ffd5e3f2000 r-xp 00000000 00:00 0          "
	    "                [vdso]\n"
	    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0    "
	    "              [vsyscall]\n";
	const struct procmaps_entry *e;
	struct procmaps *m = parse(text, 0);

	(void)state;
	assert_int_equal(procmaps__count(m), 6);
	assert_int_equal(procmaps__bad_lines(m), 0);
	e = procmaps__entry(m, 1);
	assert_int_equal(e->start, 0x55d1c6a28000ull);
	assert_int_equal(e->limit, 0x55d1c6cdb000ull);
	assert_int_equal(e->offset, 0x28000);
	assert_int_equal(e->dev_major, 8);
	assert_int_equal(e->dev_minor, 1);
	assert_int_equal(e->inode, 1835045);
	assert_int_equal(e->prot,
			 PROCMAPS_READ | PROCMAPS_EXEC | PROCMAPS_PRIVATE);
	assert_false(e->deleted);
	assert_string_equal(e->path, "/usr/bin/python3.11");
	/* anonymous, with the trailing space the kernel leaves */
	e = procmaps__entry(m, 3);
	assert_string_equal(e->path, "");
	assert_int_equal(e->inode, 0);
	assert_int_equal(e->prot, PROCMAPS_READ | PROCMAPS_WRITE |
				      PROCMAPS_EXEC | PROCMAPS_PRIVATE);
	assert_string_equal(procmaps__entry(m, 4)->path, "[vdso]");
	e = procmaps__entry(m, 5);
	assert_int_equal(e->start, 0xffffffffff600000ull);
	assert_string_equal(e->path, "[vsyscall]");
	assert_int_equal(e->prot, PROCMAPS_EXEC | PROCMAPS_PRIVATE);

	/* find: inside, at the first and last byte, and in the gaps */
	assert_ptr_equal(procmaps__find(m, 0x55d1c6a28000ull),
			 procmaps__entry(m, 1));
	assert_ptr_equal(procmaps__find(m, 0x55d1c6cdafffull),
			 procmaps__entry(m, 1));
	assert_ptr_equal(procmaps__find(m, 0x55d1c6a27fffull),
			 procmaps__entry(m, 0));
	assert_null(procmaps__find(m, 0x55d1c6cdb000ull));
	assert_null(procmaps__find(m, 0x1000));
	assert_null(procmaps__find(m, UINT64_MAX));
	procmaps__free(m);
}

static void test_exec_only(void **state)
{
	const char *text = "1000-2000 r--p 00000000 08:01 5 /lib/a.so\n"
			   "2000-3000 r-xp 00001000 08:01 5 /lib/a.so\n"
			   "3000-4000 rw-p 00002000 08:01 5 /lib/a.so\n"
			   "5000-6000 r-xs 00000000 00:05 9 /dev/shm/jit\n";
	struct procmaps *m = parse(text, PROCMAPS_EXEC_ONLY);

	(void)state;
	assert_int_equal(procmaps__count(m), 2);
	assert_int_equal(procmaps__entry(m, 0)->start, 0x2000);
	assert_int_equal(procmaps__entry(m, 0)->offset, 0x1000);
	/* shared: no PROCMAPS_PRIVATE */
	assert_int_equal(procmaps__entry(m, 1)->prot,
			 PROCMAPS_READ | PROCMAPS_EXEC);
	assert_null(procmaps__find(m, 0x1800));
	procmaps__free(m);
}

static void test_deleted_and_spaces(void **state)
{
	const char *text =
	    "1000-2000 r-xp 00000000 08:01 77    /tmp/my lib  v2.so (deleted)\n"
	    "2000-3000 r-xp 00000000 08:01 78    /opt/app dir/bin\n"
	    "3000-4000 r-xp 00000000 00:01 1031  /memfd:jit (deleted)\n"
	    /* a file really named "(deleted)" is not a deleted file */
	    "4000-5000 r-xp 00000000 08:01 79    (deleted)\n"
	    "5000-6000 r-xp 00000000 08:01 80    /tmp/new\\012line\n";
	struct procmaps *m = parse(text, 0);
	const struct procmaps_entry *e;

	(void)state;
	assert_int_equal(procmaps__count(m), 5);
	e = procmaps__find(m, 0x1234);
	assert_non_null(e);
	assert_true(e->deleted);
	assert_string_equal(e->path, "/tmp/my lib  v2.so");
	e = procmaps__find(m, 0x2000);
	assert_false(e->deleted);
	assert_string_equal(e->path, "/opt/app dir/bin");
	e = procmaps__find(m, 0x3fff);
	assert_true(e->deleted);
	assert_string_equal(e->path, "/memfd:jit");
	e = procmaps__find(m, 0x4000);
	assert_false(e->deleted);
	assert_string_equal(e->path, "(deleted)");
	assert_string_equal(procmaps__find(m, 0x5000)->path,
			    "/tmp/new\\012line");
	procmaps__free(m);
}

static void test_bad_lines(void **state)
{
	const char *text =
	    "garbage\n"
	    "\n"
	    "1000-2000 r-xp 00000000 08:01 5 /ok\n"
	    /* truncated in every field */
	    "3000-4000 r-xp 00000000 08:01\n"
	    "3000-4000 r-xp 00000000 08:\n"
	    "3000-4000 r-xp 0000\n"
	    "3000-4000 r-\n"
	    "3000-\n"
	    /* start >= limit */
	    "5000-5000 r-xp 00000000 08:01 5 /empty\n"
	    "7000-6000 r-xp 00000000 08:01 5 /backwards\n"
	    /* 17 hex digits overflow; 20-digit inode overflows */
	    "10000000000000000-10000000000000001 r-xp 0 0:0 0 /big\n"
	    "8000-9000 r-xp 00000000 08:01 99999999999999999999 /bigino\n"
	    /* bad permission characters */
	    "a000-b000 rwzp 00000000 08:01 5 /perm\n"
	    /* the largest representable values are fine */
	    "fffffffffffff000-ffffffffffffffff r-xp ffffffffffffffff "
	    "fff:fffff 18446744073709551615 /max\n"
	    /* an unterminated final line parses */
	    "c000-d000 r-xp 00000000 08:01 6 /last";
	struct procmaps *m = parse(text, 0);
	const struct procmaps_entry *e;

	(void)state;
	assert_int_equal(procmaps__count(m), 3);
	assert_int_equal(procmaps__bad_lines(m), 11);
	assert_string_equal(procmaps__entry(m, 0)->path, "/ok");
	assert_string_equal(procmaps__entry(m, 1)->path, "/last");
	e = procmaps__entry(m, 2);
	assert_string_equal(e->path, "/max");
	assert_int_equal(e->offset, UINT64_MAX);
	assert_int_equal(e->inode, UINT64_MAX);
	assert_int_equal(e->dev_major, 0xfff);
	assert_int_equal(e->dev_minor, 0xfffff);
	assert_ptr_equal(procmaps__find(m, 0xfffffffffffffffeull), e);
	procmaps__free(m);
}

static void test_unsorted_and_overlapping(void **state)
{
	const char *text = "5000-6000 r-xp 0 08:01 1 /c\n"
			   "1000-3000 r-xp 0 08:01 1 /a\n"
			   "2000-4000 r-xp 0 08:01 1 /overlaps-a\n"
			   "3000-5000 r-xp 0 08:01 1 /b\n"
			   "1000-2000 r-xp 0 08:01 1 /same-start-shorter\n";
	struct procmaps *m = parse(text, 0);
	size_t i;

	(void)state;
	assert_int_equal(procmaps__count(m), 3);
	assert_int_equal(procmaps__bad_lines(m), 2);
	assert_string_equal(procmaps__entry(m, 0)->path, "/a");
	assert_string_equal(procmaps__entry(m, 1)->path, "/b");
	assert_string_equal(procmaps__entry(m, 2)->path, "/c");
	for (i = 1; i < procmaps__count(m); i++)
		assert_true(procmaps__entry(m, i - 1)->limit <=
			    procmaps__entry(m, i)->start);
	assert_string_equal(procmaps__find(m, 0x2fff)->path, "/a");
	procmaps__free(m);
}

static void test_empty(void **state)
{
	struct procmaps *m = procmaps__parse("", 0, 0);

	(void)state;
	assert_non_null(m);
	assert_int_equal(procmaps__count(m), 0);
	assert_null(procmaps__find(m, 0));
	assert_null(procmaps__entry(m, 0));
	procmaps__free(m);
	procmaps__free(NULL);
}

/* Not NUL-terminated: the parser must stop at LEN. */
static void test_no_terminator(void **state)
{
	char buf[64];
	struct procmaps *m;
	const char *line = "1000-2000 r-xp 0 08:01 1 /x";

	(void)state;
	memset(buf, 'A', sizeof(buf));
	memcpy(buf, line, strlen(line));
	m = procmaps__parse(buf, strlen(line), 0);
	assert_non_null(m);
	assert_int_equal(procmaps__count(m), 1);
	assert_string_equal(procmaps__entry(m, 0)->path, "/x");
	procmaps__free(m);
}

static void test_function_in_own_text(void)
{
}

static void test_load_self(void **state)
{
	uint64_t fn = (uint64_t)(uintptr_t)test_function_in_own_text;
	char exe[4096];
	const struct procmaps_entry *e;
	struct procmaps *m;
	ssize_t n;

	(void)state;
	m = procmaps__load(NULL, getpid(), PROCMAPS_EXEC_ONLY);
	assert_non_null(m);
	assert_true(procmaps__count(m) >= 2);
	assert_int_equal(procmaps__bad_lines(m), 0);
	e = procmaps__find(m, fn);
	assert_non_null(e);
	assert_true(e->prot & PROCMAPS_EXEC);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_string_equal(e->path, exe);
	procmaps__free(m);

	/* the process is gone: ENOENT */
	errno = 0;
	assert_null(procmaps__load(NULL, 0x7ffffff0, 0));
	assert_int_equal(errno, ENOENT);
	/* another proc root */
	errno = 0;
	assert_null(procmaps__load("/nonexistent", getpid(), 0));
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_lines),
		cmocka_unit_test(test_exec_only),
		cmocka_unit_test(test_deleted_and_spaces),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_unsorted_and_overlapping),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_no_terminator),
		cmocka_unit_test(test_load_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
