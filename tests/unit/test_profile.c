// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the profile model (src/output/profile.c): interning and
 * de-duplication of every table, id numbering, hash-table growth past 100k
 * entries, the sticky error, sample copying, label sets, summing samples,
 * and the frame label rules the folded and flame graph encoders depend on.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

static int setup(void **state)
{
	*state = profile__new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	profile__free(*state);
	return 0;
}

static void test_new_and_free(void **state)
{
	struct profile *p = *state;

	assert_int_equal(p->nstrings, 1);
	assert_string_equal(p->strings[0], "");
	assert_int_equal(p->nmappings, 0);
	assert_int_equal(p->nsamples, 0);
	assert_int_equal(profile__status(p), 0);
	profile__free(NULL);
	assert_int_equal(profile__status(NULL), -EINVAL);
}

static void test_string_interning(void **state)
{
	struct profile *p = *state;
	uint32_t a, b, a2;
	char tmp[8];

	assert_int_equal(profile__string(p, ""), 0);
	assert_int_equal(profile__string(p, NULL), 0);
	a = profile__string(p, "alpha");
	b = profile__string(p, "beta");
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	/* Interning compares content, not the pointer. */
	strcpy(tmp, "alpha");
	a2 = profile__string(p, tmp);
	assert_int_equal(a2, a);
	assert_int_equal(p->nstrings, 3);
	assert_string_equal(profile__str(p, a), "alpha");
	assert_string_equal(profile__str(p, 999), "");
	/* The profile keeps its own copy. */
	tmp[0] = 'X';
	assert_string_equal(p->strings[a], "alpha");
}

static void test_many_strings(void **state)
{
	struct profile *p = *state;
	char name[32];
	uint32_t i, id;

	for (i = 0; i < 150000; i++) {
		snprintf(name, sizeof(name), "sym_%u", i);
		id = profile__string(p, name);
		assert_int_equal(id, i + 1);
	}
	for (i = 0; i < 150000; i += 997) {
		snprintf(name, sizeof(name), "sym_%u", i);
		assert_int_equal(profile__string(p, name), i + 1);
		assert_string_equal(p->strings[i + 1], name);
	}
	assert_int_equal(p->nstrings, 150001);
	assert_int_equal(profile__status(p), 0);
}

static void test_mapping_dedup(void **state)
{
	struct profile *p = *state;
	uint32_t m1, m2, m3, m4;

	m1 = profile__mapping(p, 0x400000, 0x500000, 0x1000, "/usr/bin/app",
			      "abcdef01");
	m2 = profile__mapping(p, 0x400000, 0x500000, 0x1000, "/usr/bin/app",
			      "abcdef01");
	m3 = profile__mapping(p, 0x400000, 0x500000, 0x1000, "/usr/bin/app",
			      "abcdef02");
	m4 = profile__mapping(p, 0x400000, 0x500000, 0x2000, "/usr/bin/app",
			      NULL);
	assert_int_equal(m1, 1);
	assert_int_equal(m2, 1);
	assert_int_equal(m3, 2);
	assert_int_equal(m4, 3);
	assert_int_equal(p->nmappings, 3);
	assert_true(p->mappings[0].start == 0x400000);
	assert_true(p->mappings[0].limit == 0x500000);
	assert_true(p->mappings[0].offset == 0x1000);
	assert_string_equal(profile__str(p, p->mappings[0].filename),
			    "/usr/bin/app");
	assert_string_equal(profile__str(p, p->mappings[1].build_id),
			    "abcdef02");
	assert_int_equal(p->mappings[2].build_id, 0);
}

static void test_function_dedup(void **state)
{
	struct profile *p = *state;
	uint32_t f1, f2, f3, f4;

	f1 = profile__function(p, "main", "main", "/src/a.c", 10);
	f2 = profile__function(p, "main", "main", "/src/a.c", 10);
	f3 = profile__function(p, "main", "main", "/src/a.c", 11);
	f4 = profile__function(p, "foo::bar()", "_ZN3foo3barEv", NULL, 0);
	assert_int_equal(f1, 1);
	assert_int_equal(f2, 1);
	assert_int_equal(f3, 2);
	assert_int_equal(f4, 3);
	assert_string_equal(profile__str(p, p->functions[2].name),
			    "foo::bar()");
	assert_string_equal(profile__str(p, p->functions[2].system_name),
			    "_ZN3foo3barEv");
	assert_int_equal(p->functions[2].filename, 0);
	assert_int_equal(p->functions[1].start_line, 11);
	/* "main" was interned once and shared by name and system_name. */
	assert_int_equal(p->functions[0].name, p->functions[0].system_name);
}

static void test_location_dedup(void **state)
{
	struct profile *p = *state;
	uint32_t m, f, l1, l2, l3, l4, l5;

	m = profile__mapping(p, 0x1000, 0x2000, 0, "/bin/x", NULL);
	f = profile__function(p, "fn", NULL, NULL, 0);
	l1 = profile__location(p, m, 0x1100, f, 0, PF_FRAME_NATIVE);
	l2 = profile__location(p, m, 0x1100, f, 0, PF_FRAME_NATIVE);
	l3 = profile__location(p, m, 0x1100, f, 0, PF_FRAME_KERNEL);
	l4 = profile__location(p, m, 0x1100, f, 7, PF_FRAME_NATIVE);
	l5 = profile__location(p, 0, 0x1100, 0, 0, PF_FRAME_NATIVE);
	assert_int_equal(l1, 1);
	assert_int_equal(l2, 1);
	assert_int_equal(l3, 2);
	assert_int_equal(l4, 3);
	assert_int_equal(l5, 4);
	assert_int_equal(p->locations[0].mapping_id, m);
	assert_int_equal(p->locations[0].function_id, f);
	assert_true(p->locations[0].address == 0x1100);
	assert_int_equal(p->locations[1].kind, PF_FRAME_KERNEL);
	assert_int_equal(p->locations[2].line, 7);
	assert_int_equal(profile__status(p), 0);
}

static void test_many_locations(void **state)
{
	struct profile *p = *state;
	uint32_t m, i, id;

	m = profile__mapping(p, 0, UINT64_MAX, 0, "[anon]", NULL);
	for (i = 0; i < 120000; i++) {
		id = profile__location(p, m, 0x400000 + (uint64_t)i * 16, 0, 0,
				       PF_FRAME_NATIVE);
		assert_int_equal(id, i + 1);
	}
	for (i = 0; i < 120000; i += 101)
		assert_int_equal(profile__location(p, m,
						   0x400000 + (uint64_t)i * 16,
						   0, 0, PF_FRAME_NATIVE),
				 i + 1);
	assert_int_equal(p->nlocations, 120000);
}

static void test_invalid_location_is_sticky(void **state)
{
	struct profile *p = *state;

	assert_int_equal(profile__location(p, 5, 0x10, 0, 0, PF_FRAME_NATIVE),
			 0);
	assert_int_equal(profile__status(p), -EINVAL);
	/* Everything fails from now on. */
	assert_int_equal(profile__string(p, "late"), 0);
	assert_int_equal(profile__mapping(p, 1, 2, 0, "f", NULL), 0);
	assert_int_equal(profile__function(p, "g", NULL, NULL, 0), 0);
	assert_int_equal(profile__add_sample(p, NULL, 0, 1, 1, 1, "c", NULL),
			 -EINVAL);
}

static void test_sticky_nomem(void **state)
{
	struct profile *p = *state;
	uint32_t s;

	s = profile__string(p, "before");
	assert_int_equal(s, 1);
	/* Stands in for an allocation failure inside a builder call. */
	p->err = -ENOMEM;
	assert_int_equal(profile__string(p, "before"), 0);
	assert_int_equal(profile__string(p, "after"), 0);
	assert_int_equal(profile__location(p, 0, 1, 0, 0, PF_FRAME_NATIVE), 0);
	assert_int_equal(profile__add_sample(p, NULL, 0, 1, 1, 1, NULL, NULL),
			 -ENOMEM);
	assert_int_equal(profile__status(p), -ENOMEM);
	assert_int_equal(p->nstrings, 2);
	assert_int_equal(p->nsamples, 0);
}

static void test_add_sample(void **state)
{
	struct profile *p = *state;
	uint32_t locs[3], f1, f2, f3;
	const struct pf_sample *s;

	f1 = profile__function(p, "leaf", NULL, NULL, 0);
	f2 = profile__function(p, "mid", NULL, NULL, 0);
	f3 = profile__function(p, "root", NULL, NULL, 0);
	locs[0] = profile__location(p, 0, 0x30, f1, 0, PF_FRAME_NATIVE);
	locs[1] = profile__location(p, 0, 0x20, f2, 0, PF_FRAME_NATIVE);
	locs[2] = profile__location(p, 0, 0x10, f3, 0, PF_FRAME_NATIVE);
	assert_int_equal(
	    profile__add_sample(p, locs, 3, 5, 100, 101, "app", "worker"), 0);
	assert_int_equal(
	    profile__add_sample(p, locs + 1, 2, 2, 100, 100, "app", NULL), 0);
	/* The caller's array is copied. */
	locs[0] = 999;
	assert_int_equal(p->nsamples, 2);
	assert_int_equal(p->nsample_locs, 5);
	s = &p->samples[0];
	assert_int_equal(s->first_loc, 0);
	assert_int_equal(s->nlocs, 3);
	assert_int_equal(p->sample_locs[0], 1);
	assert_int_equal(p->sample_locs[2], 3);
	assert_int_equal(s->count, 5);
	assert_int_equal(s->pid, 100);
	assert_int_equal(s->tid, 101);
	assert_string_equal(profile__str(p, s->comm), "app");
	assert_string_equal(profile__str(p, s->thread_name), "worker");
	s = &p->samples[1];
	assert_int_equal(s->first_loc, 3);
	assert_int_equal(s->nlocs, 2);
	assert_int_equal(p->sample_locs[3], 2);
	assert_int_equal(s->thread_name, 0);
	assert_int_equal(s->comm, p->samples[0].comm);

	/* Rejected, but the profile stays usable. */
	locs[0] = 0;
	assert_int_equal(profile__add_sample(p, locs, 1, 1, 1, 1, NULL, NULL),
			 -EINVAL);
	locs[0] = 4;
	assert_int_equal(profile__add_sample(p, locs, 1, 1, 1, 1, NULL, NULL),
			 -EINVAL);
	assert_int_equal(profile__add_sample(p, NULL, 2, 1, 1, 1, NULL, NULL),
			 -EINVAL);
	assert_int_equal(profile__add_sample(p, NULL, 0, 0, 1, 1, NULL, NULL),
			 -EINVAL);
	assert_int_equal(profile__add_sample(p, NULL, 0, 3, 0, 0, NULL, NULL),
			 0);
	assert_int_equal(p->nsamples, 3);
	assert_int_equal(profile__status(p), 0);
	assert_int_equal(
	    profile__add_sample(NULL, NULL, 0, 1, 0, 0, NULL, NULL), -EINVAL);
}

static void test_string_n(void **state)
{
	struct profile *p = *state;
	uint32_t a;

	/* Up to n bytes, and never past a NUL (a C string cannot hold it). */
	a = profile__string_n(p, "alphabet", 5);
	assert_string_equal(profile__str(p, a), "alpha");
	assert_int_equal(profile__string(p, "alpha"), a);
	assert_int_equal(profile__string_n(p, "alpha\0junk", 10), a);
	assert_int_equal(profile__string_n(p, "x", 0), 0);
	assert_int_equal(profile__string_n(p, NULL, 3), 0);
	assert_int_equal(profile__find_string(p, "alpha"), a);
	assert_int_equal(profile__find_string(p, "alphabet"), 0);
	assert_int_equal(profile__find_string(p, ""), 0);
	assert_int_equal(profile__find_string(NULL, "alpha"), 0);
	assert_int_equal(p->nstrings, 2);
}

static void test_labelset(void **state)
{
	struct profile *p = *state;
	const struct pf_label a[] = {
		{ PF_LABEL_POD_UID, "pod-1" },
		{ PF_LABEL_CONTAINER_ID, "c1" },
		{ PF_LABEL_QOS_CLASS, "" },
		{ PF_LABEL_NODE, NULL },
	};
	const struct pf_label b[] = {
		{ PF_LABEL_CONTAINER_ID, "c1" },
		{ PF_LABEL_POD_UID, "pod-1" },
		{ PF_LABEL_CONTAINER_ID, "c1" },
	};
	const struct pf_label multi[] = {
		{ "k", "2" },
		{ "k", "1" },
	};
	const struct pf_label empty[] = { { "k", "" } };
	struct pf_label many[PF_LABELSET_MAX + 1];
	const struct pf_labelset *ls;
	uint32_t s1, s2, s3, kv[4], i;

	s1 = profile__labelset(p, a, 4);
	s2 = profile__labelset(p, b, 3);
	assert_int_equal(s1, 1);
	/* Order and repeats do not matter; empty values are no labels. */
	assert_int_equal(s2, s1);
	ls = &p->labelsets[s1 - 1];
	assert_int_equal(ls->n, 2);
	/* Pairs sorted by key: container_id before pod_uid. */
	assert_string_equal(profile__str(p, p->label_kv[ls->first]),
			    PF_LABEL_CONTAINER_ID);
	assert_string_equal(profile__str(p, p->label_kv[ls->first + 3]),
			    "pod-1");
	assert_string_equal(profile__label(p, s1, PF_LABEL_POD_UID), "pod-1");
	assert_string_equal(profile__label(p, s1, PF_LABEL_QOS_CLASS), "");
	assert_string_equal(profile__label(p, 0, PF_LABEL_POD_UID), "");
	assert_string_equal(profile__label(p, 99, PF_LABEL_POD_UID), "");
	/* The key of an empty value never enters the string table. */
	assert_int_equal(profile__find_string(p, PF_LABEL_QOS_CLASS), 0);
	assert_int_equal(profile__labelset(p, empty, 1), 0);
	assert_int_equal(profile__labelset(p, NULL, 0), 0);

	/* A key may repeat with different values, sorted by value. */
	s3 = profile__labelset(p, multi, 2);
	assert_int_equal(s3, 2);
	assert_int_equal(p->labelsets[s3 - 1].n, 2);
	assert_string_equal(profile__label(p, s3, "k"), "1");

	/* By ids: the same set is found again. */
	kv[0] = profile__string(p, PF_LABEL_POD_UID);
	kv[1] = profile__string(p, "pod-1");
	kv[2] = profile__string(p, PF_LABEL_CONTAINER_ID);
	kv[3] = profile__string(p, "c1");
	assert_int_equal(profile__labelset_ids(p, kv, 2), s1);
	kv[3] = 0;
	assert_int_equal(profile__labelset_ids(p, kv, 2), 3);
	assert_int_equal(p->nlabelsets, 3);
	assert_int_equal(profile__status(p), 0);

	/* Builder bugs are sticky, as for locations. */
	for (i = 0; i <= PF_LABELSET_MAX; i++) {
		many[i].key = "k";
		many[i].value = "v";
	}
	assert_int_equal(profile__labelset(p, many, PF_LABELSET_MAX), 4);
	assert_int_equal(p->labelsets[3].n, 1);
	assert_int_equal(profile__labelset(p, many, PF_LABELSET_MAX + 1), 0);
	assert_int_equal(profile__status(p), -EINVAL);
}

static void test_labelset_invalid(void **state)
{
	static const struct pf_label reserved[] = { { "comm", "x" } };
	static const struct pf_label nokey[] = { { NULL, "x" } };
	static const struct pf_label emptykey[] = { { "", "x" } };
	struct profile *p;
	uint32_t kv[2];

	(void)state;
	p = profile__new();
	assert_non_null(p);
	assert_int_equal(profile__labelset(p, reserved, 1), 0);
	assert_int_equal(profile__status(p), -EINVAL);
	profile__free(p);
	p = profile__new();
	assert_non_null(p);
	assert_int_equal(profile__labelset(p, nokey, 1), 0);
	assert_int_equal(profile__status(p), -EINVAL);
	profile__free(p);
	p = profile__new();
	assert_non_null(p);
	assert_int_equal(profile__labelset(p, emptykey, 1), 0);
	assert_int_equal(profile__status(p), -EINVAL);
	profile__free(p);
	p = profile__new();
	assert_non_null(p);
	kv[0] = 7; /* never issued */
	kv[1] = 0;
	assert_int_equal(profile__labelset_ids(p, kv, 1), 0);
	assert_int_equal(profile__status(p), -EINVAL);
	profile__free(p);
	p = profile__new();
	assert_non_null(p);
	kv[0] = profile__string(p, "tid");
	kv[1] = profile__string(p, "1");
	assert_int_equal(profile__labelset_ids(p, kv, 1), 0);
	assert_int_equal(profile__status(p), -EINVAL);
	profile__free(p);
}

static void test_sample_labelset(void **state)
{
	static const struct pf_label l[] = { { PF_LABEL_EXE, "/bin/x" } };
	struct profile *p = *state;
	uint32_t set = profile__labelset(p, l, 1);

	assert_int_equal(
	    profile__add_sample_ls(p, NULL, 0, 1, 1, 1, "x", NULL, set), 0);
	assert_int_equal(p->samples[0].labelset, set);
	assert_int_equal(profile__check_sample(p, &p->samples[0]), 0);
	/* An id never issued: rejected, not sticky. */
	assert_int_equal(
	    profile__add_sample_ls(p, NULL, 0, 1, 1, 1, "x", NULL, set + 1),
	    -EINVAL);
	assert_int_equal(profile__status(p), 0);
	p->samples[0].labelset = set + 1;
	assert_int_equal(profile__check_sample(p, &p->samples[0]), -EINVAL);
	p->samples[0].labelset = set;
	/* The legacy call carries no label set. */
	assert_int_equal(profile__add_sample(p, NULL, 0, 1, 1, 1, "x", NULL),
			 0);
	assert_int_equal(p->samples[1].labelset, 0);
}

static void test_sum_sample(void **state)
{
	static const struct pf_label l[] = { { PF_LABEL_EXE, "/bin/x" } };
	struct profile *p = *state;
	struct pf_sample s = { .pid = 5, .tid = 6, .count = 2 };
	uint32_t f, locs[2];

	f = profile__function(p, "f", NULL, NULL, 0);
	locs[0] = profile__location(p, 0, 0x10, f, 0, PF_FRAME_NATIVE);
	locs[1] = profile__location(p, 0, 0x20, f, 0, PF_FRAME_NATIVE);
	s.comm = profile__string(p, "app");
	/* Appended by the plain call first: the index catches up. */
	assert_int_equal(profile__add_sample(p, locs, 2, 1, 5, 6, "app", NULL),
			 0);
	assert_int_equal(profile__sum_sample(p, locs, 2, &s), 0);
	assert_int_equal(p->nsamples, 1);
	assert_int_equal(p->samples[0].count, 3);
	/* Any difference makes another sample. */
	assert_int_equal(profile__sum_sample(p, locs, 1, &s), 0);
	s.tid = 7;
	assert_int_equal(profile__sum_sample(p, locs, 2, &s), 0);
	s.tid = 6;
	s.labelset = profile__labelset(p, l, 1);
	assert_int_equal(profile__sum_sample(p, locs, 2, &s), 0);
	assert_int_equal(profile__sum_sample(p, locs, 2, &s), 0);
	assert_int_equal(p->nsamples, 4);
	assert_int_equal(p->samples[3].count, 4);
	/* Appended after the index exists, then summed into. */
	assert_int_equal(profile__add_sample_ids(p, locs + 1, 1, &s), 0);
	assert_int_equal(profile__sum_sample(p, locs + 1, 1, &s), 0);
	assert_int_equal(p->nsamples, 5);
	assert_int_equal(p->samples[4].count, 4);
	/* Saturates rather than wrapping. */
	s.count = INT64_MAX;
	assert_int_equal(profile__sum_sample(p, locs + 1, 1, &s), 0);
	assert_true(p->samples[4].count == INT64_MAX);
	/* Bad records are refused without harm. */
	s.comm = 999;
	assert_int_equal(profile__sum_sample(p, locs, 2, &s), -EINVAL);
	assert_int_equal(profile__add_sample_ids(p, locs, 2, &s), -EINVAL);
	s.comm = 0;
	s.count = 0;
	assert_int_equal(profile__sum_sample(p, locs, 2, &s), -EINVAL);
	assert_int_equal(profile__sum_sample(p, locs, 2, NULL), -EINVAL);
	assert_int_equal(profile__sum_sample(NULL, locs, 2, &s), -EINVAL);
	assert_int_equal(profile__status(p), 0);
	/* Many distinct samples: the index grows and still finds each. */
	s.count = 1;
	for (s.pid = 0; s.pid < 5000; s.pid++)
		assert_int_equal(profile__sum_sample(p, locs, 2, &s), 0);
	for (s.pid = 0; s.pid < 5000; s.pid++)
		assert_int_equal(profile__sum_sample(p, locs, 2, &s), 0);
	assert_int_equal(p->nsamples, 5 + 5000); /* comm differs now */
}

static void test_intern_records(void **state)
{
	struct profile *p = *state;
	struct pf_mapping m = { .start = 1, .limit = 2 };
	struct pf_function f = { .start_line = 3 };

	m.filename = profile__string(p, "/lib/a.so");
	f.name = profile__string(p, "fn");
	assert_int_equal(profile__intern_mapping(p, &m),
			 profile__mapping(p, 1, 2, 0, "/lib/a.so", NULL));
	assert_int_equal(profile__intern_function(p, &f),
			 profile__function(p, "fn", NULL, NULL, 3));
	assert_int_equal(p->nmappings, 1);
	assert_int_equal(p->nfunctions, 1);
	f.filename = 99;
	assert_int_equal(profile__intern_function(p, &f), 0);
	assert_int_equal(profile__status(p), -EINVAL);
}

static const char *label(struct profile *p, uint32_t loc)
{
	static char buf[256];
	size_t n = profile__frame_label(p, loc, buf, sizeof(buf));

	assert_int_equal(n, strlen(buf));
	return buf;
}

static void test_labels(void **state)
{
	struct profile *p = *state;
	uint32_t km, am, fk, fn, fpy, fpy2, fpy3, fsys;

	km = profile__mapping(p, 0, 0, 0, "[kernel.kallsyms]", NULL);
	am = profile__mapping(p, 0x400000, 0x500000, 0x1000,
			      "/usr/lib/libc.so.6", "aa");
	fk = profile__function(p, "do_syscall_64", NULL, NULL, 0);
	fn = profile__function(p, "std::vector<int>::push_back(int const&)",
			       "_ZNSt6vectorIiSaIiEE9push_backERKi", NULL, 0);
	fpy = profile__function(p, "Worker.run", NULL, "/app/worker.py", 12);
	fpy2 = profile__function(p, "<module>", NULL, NULL, 0);
	fpy3 = profile__function(p, "lambda", NULL, "", 0);
	fsys = profile__function(p, NULL, "_Z3foov", NULL, 0);

	assert_string_equal(
	    label(p, profile__location(p, km, 0xffffffff81000000ULL, fk, 0,
				       PF_FRAME_KERNEL)),
	    "do_syscall_64_[k]");
	assert_string_equal(label(p, profile__location(p, am, 0x400100, fn, 0,
						       PF_FRAME_NATIVE)),
			    "std::vector<int>::push_back(int const&)");
	assert_string_equal(
	    label(p, profile__location(p, 0, 0, fpy, 42, PF_FRAME_PYTHON)),
	    "Worker.run (/app/worker.py:42)");
	assert_string_equal(
	    label(p, profile__location(p, 0, 0, fpy, 0, PF_FRAME_PYTHON)),
	    "Worker.run (/app/worker.py)");
	assert_string_equal(
	    label(p, profile__location(p, 0, 0, fpy2, 0, PF_FRAME_PYTHON)),
	    "<module>");
	assert_string_equal(
	    label(p, profile__location(p, 0, 0, fpy3, 5, PF_FRAME_PYTHON)),
	    "lambda (?:5)");
	/* No display name: fall back to the raw one. */
	assert_string_equal(label(p, profile__location(p, am, 0x400200, fsys, 0,
						       PF_FRAME_NATIVE)),
			    "_Z3foov");
	/* No function: object basename and file-relative offset. */
	assert_string_equal(
	    label(p, profile__location(p, am, 0x400234, 0, 0, PF_FRAME_NATIVE)),
	    "libc.so.6+0x1234");
	/* Outside the mapping's range: the raw address. */
	assert_string_equal(
	    label(p, profile__location(p, am, 0x600000, 0, 0, PF_FRAME_NATIVE)),
	    "libc.so.6+0x600000");
	assert_string_equal(
	    label(p, profile__location(p, km, 0xffffffff81000010ULL, 0, 0,
				       PF_FRAME_KERNEL)),
	    "[kernel.kallsyms]+0xffffffff81000010_[k]");
	assert_string_equal(
	    label(p, profile__location(p, 0, 0xdead, 0, 0, PF_FRAME_NATIVE)),
	    "[unknown]+0xdead");
	assert_string_equal(label(p, 0), "[unknown]");
	assert_string_equal(label(p, 12345), "[unknown]");
	assert_string_equal(label(NULL, 1), "[unknown]");
}

static void test_label_sanitize(void **state)
{
	struct profile *p = *state;
	uint32_t f, l, m;

	f = profile__function(p, "a;b\nc\td\re f\x7f", NULL, NULL, 0);
	l = profile__location(p, 0, 1, f, 0, PF_FRAME_NATIVE);
	assert_string_equal(label(p, l), "a:b?c?d?e f?");

	f = profile__function(p, "py;fn", NULL, "/x;y/z\n.py", 0);
	l = profile__location(p, 0, 1, f, 3, PF_FRAME_PYTHON);
	assert_string_equal(label(p, l), "py:fn (/x:y/z?.py:3)");

	m = profile__mapping(p, 0x1000, 0x2000, 0, "/lib/we;ird\tlib.so", NULL);
	l = profile__location(p, m, 0x1010, 0, 0, PF_FRAME_NATIVE);
	assert_string_equal(label(p, l), "we:ird?lib.so+0x10");
}

static void test_label_truncation(void **state)
{
	struct profile *p = *state;
	char buf[8];
	uint32_t f, l;
	size_t n;

	f = profile__function(p, "abcdefghijkl", NULL, NULL, 0);
	l = profile__location(p, 0, 1, f, 0, PF_FRAME_KERNEL);
	n = profile__frame_label(p, l, buf, sizeof(buf));
	assert_int_equal(n, 7);
	assert_string_equal(buf, "abcdefg");
	n = profile__frame_label(p, l, buf, 1);
	assert_int_equal(n, 0);
	assert_string_equal(buf, "");
	buf[0] = 'Z';
	assert_int_equal(profile__frame_label(p, l, buf, 0), 0);
	assert_int_equal(buf[0], 'Z');

	/* "abcde" + U+00E9 (2 bytes) + U+20AC (3 bytes): cut before the euro.
	 */
	f = profile__function(p, "abcde\xc3\xa9\xe2\x82\xac", NULL, NULL, 0);
	l = profile__location(p, 0, 1, f, 0, PF_FRAME_NATIVE);
	n = profile__frame_label(p, l, buf, sizeof(buf));
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "abcde\xc3\xa9", 8);
	n = profile__frame_label(p, l, buf, 7);
	assert_int_equal(n, 5);
	assert_string_equal(buf, "abcde");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_and_free, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_string_interning, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_strings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mapping_dedup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_function_dedup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_location_dedup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_locations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalid_location_is_sticky,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sticky_nomem, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_add_sample, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_string_n, setup, teardown),
		cmocka_unit_test_setup_teardown(test_labelset, setup, teardown),
		cmocka_unit_test(test_labelset_invalid),
		cmocka_unit_test_setup_teardown(test_sample_labelset, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sum_sample, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_intern_records, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_labels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_sanitize, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_label_truncation, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
