// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the kallsyms parser: text-symbol filtering, module names,
 * aliases, zeroed addresses (kptr_restrict), malformed lines, and the real
 * /proc/kallsyms of this machine cross-checked line by line.
 */
#include "testutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksyms.h"

static const char sample[] =
    "ffffffff81000000 T _stext\n"
    "ffffffff81000000 T _text\n"
    "ffffffff81000000 T srso_alias_untrain_ret\n"
    "ffffffff81001000 t do_one_initcall\n"
    "ffffffff81002000 D some_data\n"
    "ffffffff81002100 b some_bss\n"
    "ffffffff81003000 W weak_fn\n"
    "ffffffff81004000 r rodata\n"
    "ffffffff81005000 T schedule\n"
    "ffffffff81006000 t aaa_local_alias\n"
    "ffffffff81006000 T zzz_global\n"
    "ffffffffc0a00000 t ext4_fill_super\t[ext4]\n"
    "ffffffffc0a00100 T ext4_read_inode\t[ext4]\n"
    "ffffffffc0a00200 d ext4_data\t[ext4]\n"
    "ffffffffc0b00000 t xfs_trans_commit\t[xfs]\n"
    "ffffffffc0c00000 t bpf_prog_6deef7357e7b4530_sd_fw_ingress\t[bpf]\n"
    "ffffffffc0c01000 t after_bpf\t[ext4]\n";

static void test_sample(void **state)
{
	struct ksyms *k = ksyms__parse(sample, sizeof(sample) - 1);
	const struct ksym *s;

	(void)state;
	assert_non_null(k);
	assert_true(ksyms__usable(k));
	/* 3 aliases become 1; data, bss, rodata dropped */
	assert_int_equal(ksyms__count(k), 10);

	/* aliases: global, then fewer underscores, then first listed */
	s = ksyms__find(k, 0xffffffff81000000ull);
	assert_non_null(s);
	assert_string_equal(s->name, "srso_alias_untrain_ret");
	assert_null(s->module);

	s = ksyms__find(k, 0xffffffff81001234ull);
	assert_string_equal(s->name, "do_one_initcall");
	/* a data symbol is not a boundary: still do_one_initcall */
	s = ksyms__find(k, 0xffffffff81002050ull);
	assert_string_equal(s->name, "do_one_initcall");
	assert_string_equal(ksyms__find(k, 0xffffffff81003001ull)->name,
			    "weak_fn");
	s = ksyms__find(k, 0xffffffff81005010ull);
	assert_string_equal(s->name, "schedule");
	assert_int_equal(s->addr, 0xffffffff81005000ull);
	/* a global alias wins over a local one listed first */
	s = ksyms__find(k, 0xffffffff81006000ull);
	assert_string_equal(s->name, "zzz_global");

	s = ksyms__find(k, 0xffffffffc0a00010ull);
	assert_string_equal(s->name, "ext4_fill_super");
	assert_string_equal(s->module, "ext4");
	s = ksyms__find(k, 0xffffffffc0a00300ull);
	assert_string_equal(s->name, "ext4_read_inode");
	assert_string_equal(s->module, "ext4");
	s = ksyms__find(k, 0xffffffffc0b00001ull);
	assert_string_equal(s->module, "xfs");
	s = ksyms__find(k, 0xffffffffc0c00020ull);
	assert_string_equal(s->name, "bpf_prog_6deef7357e7b4530_sd_fw_ingress");
	assert_string_equal(s->module, "bpf");
	/* the module name after another module's symbol is right */
	s = ksyms__find(k, 0xffffffffc0c01000ull);
	assert_string_equal(s->name, "after_bpf");
	assert_string_equal(s->module, "ext4");

	/* below the first symbol */
	assert_null(ksyms__find(k, 0xffffffff80ffffffull));
	assert_null(ksyms__find(k, 0));
	ksyms__free(k);
	ksyms__free(NULL);
}

static void test_restricted(void **state)
{
	static const char text[] = "0000000000000000 T _stext\n"
				   "0000000000000000 t foo\n"
				   "0000000000000000 t bar\t[ext4]\n";
	struct ksyms *k = ksyms__parse(text, sizeof(text) - 1);

	(void)state;
	assert_non_null(k);
	assert_false(ksyms__usable(k));
	assert_null(ksyms__find(k, 0xffffffff81000000ull));
	assert_null(ksyms__find(k, 0));
	ksyms__free(k);

	k = ksyms__parse("", 0);
	assert_non_null(k);
	assert_false(ksyms__usable(k));
	assert_int_equal(ksyms__count(k), 0);
	ksyms__free(k);
}

static void test_malformed(void **state)
{
	static const char text[] = "zzzz T notahex\n"
				   "ffffffff81000000T nospace\n"
				   "ffffffff81000000 T\n"
				   "ffffffff81000000 T \n"
				   "1ffffffff81000000 T seventeen_digits\n"
				   "ffffffff81000100 t badmod\t[ext4\n"
				   "ffffffff81000200 t emptymod\t[]\n"
				   "ffffffff81000300 t tabnomod\t\n"
				   "\n"
				   "ffffffff81000400 t good\n"
				   "ffffffff81000500 t good_mod\t[m]\n"
				   "ffffffff81000600 t"; /* truncated */
	struct ksyms *k = ksyms__parse(text, sizeof(text) - 1);

	(void)state;
	assert_non_null(k);
	assert_int_equal(ksyms__count(k), 2);
	assert_string_equal(ksyms__sym(k, 0)->name, "good");
	assert_string_equal(ksyms__sym(k, 1)->name, "good_mod");
	assert_string_equal(ksyms__sym(k, 1)->module, "m");
	assert_null(ksyms__sym(k, 2));
	ksyms__free(k);
}

/* Not NUL-terminated, ending in underscores: must not read past LEN. */
static void test_no_terminator(void **state)
{
	static const char line[] = "ffffffff81000000 t ____";
	char *buf = malloc(sizeof(line) - 1);
	struct ksyms *k;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, line, sizeof(line) - 1);
	k = ksyms__parse(buf, sizeof(line) - 1);
	assert_non_null(k);
	assert_int_equal(ksyms__count(k), 1);
	assert_string_equal(ksyms__sym(k, 0)->name, "____");
	ksyms__free(k);
	free(buf);
}

/*
 * Every text symbol of the running kernel resolves to a symbol at exactly
 * its address (one of its aliases), and in the right module.
 */
static void test_real_kallsyms(void **state)
{
	struct ksyms *k = ksyms__load(NULL);
	char line[512], name[256], mod[128], type;
	const struct ksym *s;
	unsigned long long addr;
	size_t checked = 0;
	FILE *f;
	int n;

	(void)state;
	assert_non_null(k);
	if (!ksyms__usable(k)) {
		ksyms__free(k);
		skip();
	}
	assert_true(ksyms__count(k) > 1000);
	f = fopen("/proc/kallsyms", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		mod[0] = '\0';
		n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name,
			   mod);
		if (n < 3 || !strchr("tTwW", type))
			continue;
		s = ksyms__find(k, addr);
		assert_non_null(s);
		assert_int_equal(s->addr, addr);
		if (mod[0]) {
			assert_non_null(s->module);
			assert_string_equal(s->module, mod);
		} else {
			assert_null(s->module);
		}
		/* a few bytes in, still the same symbol or a later alias */
		s = ksyms__find(k, addr + 1);
		assert_true(s->addr <= addr + 1 && s->addr >= addr);
		checked++;
	}
	fclose(f);
	assert_true(checked > 1000);
	errno = 0;
	assert_null(ksyms__load("/nonexistent/kallsyms"));
	assert_int_equal(errno, ENOENT);
	ksyms__free(k);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The subset loader answers exactly like the full table for its addresses. */
static void check_subset(const char *path, const struct ksyms *full,
			 uint64_t *addrs, size_t n)
{
	struct ksyms *sub;
	size_t i;

	qsort(addrs, n, sizeof(*addrs), cmp_u64);
	sub = ksyms__load_subset(path, addrs, n);
	assert_non_null(sub);
	assert_int_equal(ksyms__usable(sub), ksyms__usable(full));
	assert_true(ksyms__count(sub) <= n);
	for (i = 0; i < n; i++) {
		const struct ksym *a = ksyms__find(full, addrs[i]);
		const struct ksym *b = ksyms__find(sub, addrs[i]);

		if (!a) {
			assert_null(b);
			continue;
		}
		assert_non_null(b);
		assert_int_equal(a->addr, b->addr);
		assert_string_equal(a->name, b->name);
		if (a->module)
			assert_string_equal(a->module, b->module);
		else
			assert_null(b->module);
	}
	ksyms__free(sub);
}

static void test_subset_sample(void **state)
{
	const char *path = "/tmp/zprofd-test-kallsyms";
	uint64_t addrs[] = { 0xffffffff81000010, 0xffffffff81006000,
			     0xffffffff81005fff, 0xffffffff81003000,
			     0xffffffffc0a00150, 0xffffffffc0b00001,
			     0xffffffffc0c00500, 0x1000,
			     0xffffffffc0a00150 };
	struct ksyms *full;
	FILE *f = fopen(path, "w");

	(void)state;
	assert_non_null(f);
	fputs(sample, f);
	fclose(f);
	full = ksyms__load(path);
	assert_non_null(full);
	check_subset(path, full, addrs, sizeof(addrs) / sizeof(addrs[0]));
	ksyms__free(full);
	unlink(path);
}

static void test_subset_real(void **state)
{
	struct ksyms *full = ksyms__load(NULL);
	uint64_t *addrs, x = 0x9e3779b97f4a7c15ull;
	size_t n = 4000, i, count;

	(void)state;
	assert_non_null(full);
	count = ksyms__count(full);
	if (!ksyms__usable(full) || count < 2) {
		ksyms__free(full);
		skip();
	}
	addrs = calloc(n, sizeof(*addrs));
	assert_non_null(addrs);
	/* symbol starts, and points inside symbols, spread over the table */
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		addrs[i] =
		    ksyms__sym(full, x % count)->addr + (i % 2 ? x % 64 : 0);
	}
	check_subset(NULL, full, addrs, n);
	free(addrs);
	ksyms__free(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_restricted),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_no_terminator),
		cmocka_unit_test(test_real_kallsyms),
		cmocka_unit_test(test_subset_sample),
		cmocka_unit_test(test_subset_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
