// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the folded-stacks encoder (src/output/folded.c): exact
 * output for small profiles (root-to-leaf order, comm first, merging,
 * "[unknown]" comm, sanitized labels), and a randomized comparison against a
 * naive reference that renders every line and sorts the strings, which pins
 * the encoder's label-sequence comparator to plain bytewise order.
 */
#include "testutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "profile.h"

/* Runs folded_write into memory; returns the NUL-terminated text. */
static char *folded(const struct profile *p, int *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	*ret = folded_write(p, f);
	assert_int_equal(fclose(f), 0);
	assert_non_null(text);
	return text;
}

static void assert_folded(const struct profile *p, const char *want)
{
	int ret;
	char *got = folded(p, &ret);

	assert_int_equal(ret, 0);
	assert_string_equal(got, want);
	free(got);
}

static uint32_t native(struct profile *p, uint32_t map, uint64_t addr,
		       const char *name)
{
	uint32_t f = profile__function(p, name, NULL, NULL, 0);

	return profile__location(p, map, addr, f, 0, PF_FRAME_NATIVE);
}

static void test_basic(void **state)
{
	struct profile *p = profile__new();
	uint32_t m, k, s[4], fk, fpy;

	(void)state;
	assert_non_null(p);
	m = profile__mapping(p, 0x1000, 0x9000, 0, "/usr/bin/app", NULL);
	k = profile__mapping(p, 0, 0, 0, "[kernel.kallsyms]", NULL);
	fk = profile__function(p, "do_syscall_64", NULL, NULL, 0);
	fpy = profile__function(p, "handler", NULL, "/srv/h.py", 0);

	/* Leaf first: kernel, work, main. */
	s[0] = profile__location(p, k, 0xffffffff81000000ULL, fk, 0,
				 PF_FRAME_KERNEL);
	s[1] = native(p, m, 0x1200, "work");
	s[2] = native(p, m, 0x1100, "main");
	assert_int_equal(profile__add_sample(p, s, 3, 3, 10, 10, "app", NULL),
			 0);
	s[0] = profile__location(p, 0, 0, fpy, 31, PF_FRAME_PYTHON);
	s[1] = profile__location(p, m, 0x1234, 0, 0, PF_FRAME_NATIVE);
	assert_int_equal(profile__add_sample(p, s, 2, 2, 11, 12, "py", "t"), 0);
	/* No stack at all, and no comm. */
	assert_int_equal(profile__add_sample(p, NULL, 0, 4, 1, 1, NULL, NULL),
			 0);
	assert_int_equal(profile__status(p), 0);

	assert_folded(p, "[unknown] 4\n"
			 "app;main;work;do_syscall_64_[k] 3\n"
			 "py;app+0x234;handler (/srv/h.py:31) 2\n");
	profile__free(p);
}

/*
 * Same text means same line: threads of one comm, and different addresses
 * inside one function, merge; the same stack under another comm does not.
 */
static void test_merge(void **state)
{
	struct profile *p = profile__new();
	uint32_t m, a[2], b[2], c[2];

	(void)state;
	assert_non_null(p);
	m = profile__mapping(p, 0x1000, 0x9000, 0, "/bin/x", NULL);
	a[0] = native(p, m, 0x1010, "leaf");
	a[1] = native(p, m, 0x1000, "root");
	b[0] = native(p, m, 0x1014, "leaf"); /* other address, same name */
	b[1] = a[1];
	c[0] = a[1];
	c[1] = a[0];
	assert_true(a[0] != b[0]);
	assert_int_equal(profile__add_sample(p, a, 2, 5, 1, 1, "x", "t1"), 0);
	assert_int_equal(profile__add_sample(p, b, 2, 7, 1, 2, "x", "t2"), 0);
	assert_int_equal(profile__add_sample(p, a, 2, 1, 2, 3, "x", NULL), 0);
	assert_int_equal(profile__add_sample(p, a, 2, 100, 3, 3, "y", NULL), 0);
	assert_int_equal(profile__add_sample(p, c, 2, 2, 1, 1, "x", NULL), 0);
	/* A prefix of an existing stack is its own line. */
	assert_int_equal(profile__add_sample(p, a + 1, 1, 9, 1, 1, "x", NULL),
			 0);
	/* A comm that sanitizes to an existing one merges with it. */
	assert_int_equal(profile__add_sample(p, a, 2, 1000, 1, 1, "x\n", NULL),
			 0);
	assert_int_equal(profile__add_sample(p, a, 2, 1, 1, 1, "x\t", NULL), 0);

	assert_folded(p, "x;leaf;root 2\n"
			 "x;root 9\n"
			 "x;root;leaf 13\n"
			 "x?;root;leaf 1001\n"
			 "y;root;leaf 100\n");
	profile__free(p);
}

/*
 * Bytewise order of whole stacks, where label-by-label order would differ:
 * ' ' (0x20) and '+' (0x2b) sort before ';' (0x3b), so "a b;z" and "a+;z"
 * come before "a;z" although the label "a" sorts before "a b" and "a+".
 */
static void test_sort_order(void **state)
{
	struct profile *p = profile__new();
	uint32_t m, s[2];
	const char *names[] = { "a", "a+", "a b", "a~", "b", "A" };
	size_t i;

	(void)state;
	assert_non_null(p);
	m = profile__mapping(p, 0x1000, 0x9000, 0, "/bin/x", NULL);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		s[0] = native(p, m, 0x2000 + i, "z");
		s[1] = native(p, m, 0x1000 + i, names[i]);
		assert_int_equal(profile__add_sample(p, s, 2, (int64_t)i + 1, 1,
						     1, "c", NULL),
				 0);
		assert_int_equal(profile__add_sample(p, s + 1, 1,
						     (int64_t)i + 10, 1, 1, "c",
						     NULL),
				 0);
	}
	assert_folded(p, "c;A 15\n"
			 "c;A;z 6\n"
			 "c;a 10\n"
			 "c;a b 12\n"
			 "c;a b;z 3\n"
			 "c;a+ 11\n"
			 "c;a+;z 2\n"
			 "c;a;z 1\n"
			 "c;a~ 13\n"
			 "c;a~;z 4\n"
			 "c;b 14\n"
			 "c;b;z 5\n");
	profile__free(p);
}

/* ---- randomized comparison with a naive reference ---- */

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static void rand_name(char *buf, size_t size)
{
	/* Characters around ';' and ' ' in byte order, and a few specials. */
	static const char alphabet[] = "ab+; !:~\nA";
	size_t n = 1 + rnd(4), i;

	assert_true(n < size);
	for (i = 0; i < n; i++)
		buf[i] = alphabet[rnd(sizeof(alphabet) - 1)];
	buf[n] = '\0';
}

struct ref_line {
	char *stack;
	int64_t count;
};

static int ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ref_line *)a)->stack,
		      ((const struct ref_line *)b)->stack);
}

static void sanitize(char *s)
{
	for (; *s; s++) {
		if (*s == ';')
			*s = ':';
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

/* Renders every sample's line, sorts with strcmp, merges neighbours. */
static char *reference(const struct profile *p)
{
	struct ref_line *lines = calloc(p->nsamples + 1, sizeof(*lines));
	char *text = NULL, *stack, label[512];
	size_t len = 0, i, j, slen;
	const struct pf_sample *s;
	int64_t count;
	uint32_t k;
	FILE *f;

	assert_non_null(lines);
	for (i = 0; i < p->nsamples; i++) {
		s = &p->samples[i];
		stack =
		    strdup(s->comm ? profile__str(p, s->comm) : "[unknown]");
		assert_non_null(stack);
		sanitize(stack);
		for (k = s->nlocs; k > 0; k--) {
			profile__frame_label(
			    p, p->sample_locs[s->first_loc + k - 1], label,
			    sizeof(label));
			slen = strlen(stack);
			stack = realloc(stack, slen + strlen(label) + 2);
			assert_non_null(stack);
			stack[slen] = ';';
			strcpy(stack + slen + 1, label);
		}
		lines[i].stack = stack;
		lines[i].count = s->count;
	}
	qsort(lines, p->nsamples, sizeof(*lines), ref_cmp);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	for (i = 0; i < p->nsamples; i = j) {
		count = 0;
		for (j = i;
		     j < p->nsamples && !strcmp(lines[i].stack, lines[j].stack);
		     j++)
			count += lines[j].count;
		fprintf(f, "%s %" PRId64 "\n", lines[i].stack, count);
	}
	fclose(f);
	for (i = 0; i < p->nsamples; i++)
		free(lines[i].stack);
	free(lines);
	return text;
}

static void test_random_vs_reference(void **state)
{
	int round, ret;

	(void)state;
	for (round = 0; round < 20; round++) {
		struct profile *p = profile__new();
		uint32_t locs[64], nlocs, m, i, j, stack[16], depth;
		char name[16], comm[16];
		char *got, *want;

		assert_non_null(p);
		m = profile__mapping(p, 0x1000, 0x100000, 0, "/lib/r;x.so",
				     NULL);
		nlocs = 5 + rnd(40);
		for (i = 0; i < nlocs; i++) {
			rand_name(name, sizeof(name));
			/* Some frames unsymbolized, some kernel. */
			locs[i] =
			    rnd(8)
				? profile__location(
				      p, m, 0x1000 + i,
				      profile__function(p, name, NULL, NULL, 0),
				      0,
				      rnd(5) ? PF_FRAME_NATIVE
					     : PF_FRAME_KERNEL)
				: profile__location(p, m, 0x1000 + i, 0, 0,
						    PF_FRAME_NATIVE);
		}
		for (i = 0; i < 400; i++) {
			depth = rnd(6);
			for (j = 0; j < depth; j++)
				stack[j] = locs[rnd(nlocs > 12 ? 12 : nlocs)];
			rand_name(comm, sizeof(comm));
			assert_int_equal(
			    profile__add_sample(p, stack, depth, 1 + rnd(9),
						rnd(5), rnd(5),
						rnd(6) ? comm : NULL, NULL),
			    0);
		}
		assert_int_equal(profile__status(p), 0);
		got = folded(p, &ret);
		assert_int_equal(ret, 0);
		want = reference(p);
		assert_string_equal(got, want);
		free(got);
		free(want);
		profile__free(p);
	}
}

static void test_empty(void **state)
{
	struct profile *p = profile__new();

	(void)state;
	assert_non_null(p);
	assert_folded(p, "");
	profile__free(p);
}

static void test_errors(void **state)
{
	struct profile *p = profile__new();
	uint32_t l;
	FILE *f;
	char *text;
	int ret;

	(void)state;
	assert_non_null(p);
	l = native(p, 0, 0x10, "f");
	assert_int_equal(profile__add_sample(p, &l, 1, 1, 1, 1, "c", NULL), 0);

	assert_int_equal(folded_write(NULL, stdout), -EINVAL);
	assert_int_equal(folded_write(p, NULL), -EINVAL);

	f = fopen("/dev/full", "w");
	if (f) {
		assert_int_equal(folded_write(p, f), -EIO);
		fclose(f);
	}

	/* Hand-corrupted profiles are refused, not read out of bounds. */
	p->sample_locs[0] = 2;
	text = folded(p, &ret);
	assert_int_equal(ret, -EINVAL);
	assert_string_equal(text, "");
	free(text);
	p->sample_locs[0] = l;
	p->samples[0].comm = p->nstrings;
	text = folded(p, &ret);
	assert_int_equal(ret, -EINVAL);
	free(text);
	p->samples[0].comm = 0;

	p->err = -ENOMEM;
	text = folded(p, &ret);
	assert_int_equal(ret, -ENOMEM);
	free(text);
	p->err = 0;
	assert_folded(p, "[unknown];f 1\n");
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_sort_order),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
