// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the daemon's process table: lookups stay right through
 * random inserts and deletes (backward-shift deletion keeps every entry
 * reachable), a full table evicts the entry quiet for longest and counts
 * the eviction, counts are published per window, entries come from a fake
 * /proc, and the JSON of /processes escapes whatever a comm or path holds.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proctable.h"

static void test_random_ops(void **state)
{
	enum { CAP = 512, SPACE = 2048, OPS = 200000 };
	struct proctable *t = proctable__new(CAP, "/nonexistent");
	static bool present[SPACE];
	struct proctable_stats st;
	struct proc_entry *e;
	size_t n = 0, i;
	uint32_t pid;

	(void)state;
	assert_non_null(t);
	srand(1);
	for (i = 0; i < OPS; i++) {
		pid = 1 + (uint32_t)(rand() % (SPACE - 1));
		if (present[pid] && rand() % 2) {
			proctable__remove(t, pid);
			present[pid] = false;
			n--;
		} else if (!present[pid] && n < CAP) {
			e = proctable__get(t, pid, "x", 1, NULL);
			assert_non_null(e);
			assert_int_equal(e->pid, pid);
			present[pid] = true;
			n++;
		}
		if (i % 1000 == 0) {
			for (pid = 1; pid < SPACE; pid++) {
				e = proctable__find(t, pid);
				assert_true(present[pid] == (e != NULL));
				if (e)
					assert_int_equal(e->pid, pid);
			}
			proctable__stats(t, &st);
			assert_int_equal(st.count, n);
		}
	}
	proctable__free(t);
}

static void test_eviction(void **state)
{
	struct proctable *t = proctable__new(16, "/nonexistent");
	struct proctable_stats st;
	uint32_t pid;

	(void)state;
	assert_non_null(t);
	for (pid = 1; pid <= 16; pid++)
		assert_non_null(proctable__get(t, pid, "p", 10 + pid, NULL));
	proctable__stats(t, &st);
	assert_int_equal(st.evicted, 0);
	/* pid 1 is seen again: pid 2 becomes the quietest */
	proctable__get(t, 1, "p", 100, NULL);
	assert_non_null(proctable__get(t, 17, "p", 101, NULL));
	proctable__stats(t, &st);
	assert_int_equal(st.count, 16);
	assert_int_equal(st.evicted, 1);
	assert_null(proctable__find(t, 2));
	assert_non_null(proctable__find(t, 1));
	assert_non_null(proctable__find(t, 17));
	proctable__free(t);
}

static void test_fake_proc_and_json(void **state)
{
	char root[] = "/tmp/zprofd-proctable-XXXXXX", path[128];
	struct proc_entry *e;
	struct proctable *t;
	char *json = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/42", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/42/comm", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("we\"ird\\\x01\xff\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/42/exe", root);
	assert_int_equal(symlink("/usr/bin/caf\xc3\xa9", path), 0);

	t = proctable__new(16, root);
	assert_non_null(t);
	e = proctable__get(t, 42, "thread", 1, NULL);
	assert_string_equal(e->comm, "we\"ird\\\x01\xff");
	assert_string_equal(e->exe, "/usr/bin/caf\xc3\xa9");
	assert_true(e->allowed);
	/* gone from /proc: the sample's thread name stands in */
	e = proctable__get(t, 43, "thread", 1, NULL);
	assert_string_equal(e->comm, "thread");
	assert_string_equal(e->exe, "");

	proctable__find(t, 42)->pending = 5;
	proctable__end_window(t);
	proctable__find(t, 42)->pending = 2;
	proctable__end_window(t);
	assert_int_equal(proctable__find(t, 42)->window_samples, 2);
	assert_int_equal(proctable__find(t, 42)->total_samples, 7);

	assert_int_equal(proctable__json(t, &json, &len), 0);
	assert_int_equal(strlen(json), len);
	assert_non_null(
	    strstr(json, "\"comm\":\"we\\\"ird\\\\\\u0001\\ufffd\""));
	assert_non_null(strstr(json, "\"exe\":\"/usr/bin/caf\xc3\xa9\""));
	assert_non_null(strstr(json, "\"samples_last_window\":2,"
				     "\"samples_total\":7}"));
	assert_int_equal(json[0], '[');
	assert_int_equal(json[len - 2], ']');
	free(json);
	proctable__free(t);

	snprintf(path, sizeof(path), "%s/42/exe", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/42/comm", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/42", root);
	rmdir(path);
	rmdir(root);
}

static void test_json_strings(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{ "", 0, "\"\"" },
		{ "a\nb\tc", 5, "\"a\\u000ab\\u0009c\"" },
		{ "\x7f", 1, "\"\\u007f\"" },
		{ "\xe2\x82\xac", 3, "\"\xe2\x82\xac\"" }, /* U+20AC */
		{ "\xe2\x82", 2, "\"\\ufffd\\ufffd\"" },   /* cut short */
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },   /* overlong */
		{ "\xed\xa0\x80", 3,
		  "\"\\ufffd\\ufffd\\ufffd\"" }, /* surrogate */
		{ "\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"" },
		{ "a\0b", 3, "\"a\\u0000b\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jbuf b = {};

		jbuf_string(&b, cases[i].in, cases[i].n);
		assert_false(b.failed);
		assert_string_equal(b.buf, cases[i].out);
		free(b.buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_fake_proc_and_json),
		cmocka_unit_test(test_json_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
