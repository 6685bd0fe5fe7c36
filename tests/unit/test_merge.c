// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for profile merging (src/output/merge.c): identical samples
 * summed across windows, every filter field alone and combined, only what
 * matching samples use copied into dst, the merged time span, period
 * rescaling, and the merged profile surviving a pprof round trip.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "output.h"
#include "pprof_read.h"
#include "profile.h"

/*
 * One window: pid 10 "api" in container c1 / pod p1 on stack a<-main,
 * pid 20 "db" in container c2 / pod p1 on stack b<-main, pid 30 "cron"
 * with no labels on stack c<-main. Counts are n, 2n and 3n.
 */
static struct profile *window(int64_t n, int64_t time_ns, int64_t period)
{
	static const struct pf_label l1[] = {
		{ PF_LABEL_CONTAINER_ID, "c1" },
		{ PF_LABEL_POD_UID, "p1" },
		{ PF_LABEL_EXE, "/bin/api" },
	};
	static const struct pf_label l2[] = {
		{ PF_LABEL_CONTAINER_ID, "c2" },
		{ PF_LABEL_POD_UID, "p1" },
	};
	struct profile *p = profile__new();
	uint32_t m, fmain, fa, fb, fc, lmain, st[2], s1, s2;

	assert_non_null(p);
	p->time_ns = time_ns;
	p->duration_ns = 10000000000LL;
	p->period_ns = period;
	m = profile__mapping(p, 0x1000, 0x9000, 0, "/bin/app", "b1d");
	fmain = profile__function(p, "main", "main", "/src/m.c", 1);
	fa = profile__function(p, "a", "a", "/src/m.c", 10);
	fb = profile__function(p, "b", "b", "/src/m.c", 20);
	fc = profile__function(p, "c", "c", "/src/m.c", 30);
	lmain = profile__location(p, m, 0x1100, fmain, 2, PF_FRAME_NATIVE);
	s1 = profile__labelset(p, l1, 3);
	s2 = profile__labelset(p, l2, 2);
	st[1] = lmain;
	st[0] = profile__location(p, m, 0x2000, fa, 11, PF_FRAME_NATIVE);
	assert_int_equal(
	    profile__add_sample_ls(p, st, 2, n, 10, 11, "api", NULL, s1), 0);
	st[0] = profile__location(p, m, 0x3000, fb, 21, PF_FRAME_NATIVE);
	assert_int_equal(
	    profile__add_sample_ls(p, st, 2, 2 * n, 20, 20, "db", NULL, s2), 0);
	st[0] = profile__location(p, m, 0x4000, fc, 31, PF_FRAME_NATIVE);
	assert_int_equal(
	    profile__add_sample(p, st, 2, 3 * n, 30, 30, "cron", "cron-worker"),
	    0);
	assert_int_equal(profile__status(p), 0);
	return p;
}

static int64_t total(const struct profile *p)
{
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < p->nsamples; i++)
		sum += p->samples[i].count;
	return sum;
}

/* Count of the sample whose leaf function is `leaf`; -1 when absent. */
static int64_t count_of(const struct profile *p, const char *leaf)
{
	const struct pf_location *l;
	size_t i;

	for (i = 0; i < p->nsamples; i++) {
		l = &p->locations[p->sample_locs[p->samples[i].first_loc] - 1];
		if (!strcmp(
			profile__str(p, p->functions[l->function_id - 1].name),
			leaf))
			return p->samples[i].count;
	}
	return -1;
}

static void test_sum(void **state)
{
	struct profile *w1 = window(1, 1000000000000LL, 1000),
		       *w2 = window(5, 1010000000000LL, 1000),
		       *dst = profile__new();
	const struct pf_sample *s;

	(void)state;
	assert_non_null(dst);
	assert_int_equal(profile__merge(dst, w1, NULL), 0);
	assert_int_equal(profile__merge(dst, w2, NULL), 0);
	/* Same stacks and labels: three samples, counts summed. */
	assert_int_equal(dst->nsamples, 3);
	assert_int_equal(count_of(dst, "a"), 6);
	assert_int_equal(count_of(dst, "b"), 12);
	assert_int_equal(count_of(dst, "c"), 18);
	assert_int_equal(total(dst), 36);
	assert_int_equal(dst->nlocations, 4);
	assert_int_equal(dst->nfunctions, 4);
	assert_int_equal(dst->nmappings, 1);
	assert_int_equal(dst->nlabelsets, 2);
	s = &dst->samples[0];
	assert_string_equal(profile__str(dst, s->comm), "api");
	assert_int_equal(s->pid, 10);
	assert_int_equal(s->tid, 11);
	assert_string_equal(profile__label(dst, s->labelset, PF_LABEL_EXE),
			    "/bin/api");
	assert_string_equal(profile__str(dst, dst->samples[2].thread_name),
			    "cron-worker");
	/* The span covers both windows; the period carries over. */
	assert_int_equal(dst->time_ns, 1000000000000LL);
	assert_int_equal(dst->duration_ns, 20000000000LL);
	assert_int_equal(dst->period_ns, 1000);

	/* Samples dst got some other way are summed into as well. */
	assert_int_equal(profile__merge(dst, dst, NULL), -EINVAL);
	profile__free(w2);
	w2 = window(1, 990000000000LL, 1000);
	assert_int_equal(profile__merge(w2, dst, NULL), 0);
	assert_int_equal(w2->nsamples, 3);
	assert_int_equal(count_of(w2, "a"), 7);
	assert_int_equal(w2->time_ns, 990000000000LL);
	assert_int_equal(w2->duration_ns, 30000000000LL);

	profile__free(dst);
	profile__free(w2);
	profile__free(w1);
}

static int64_t merged_total(const struct merge_filter *f, size_t *nsamples)
{
	struct profile *w1 = window(1, 0, 1000), *w2 = window(10, 0, 1000),
		       *dst = profile__new();
	int64_t sum;

	assert_non_null(dst);
	assert_int_equal(profile__merge(dst, w1, f), 0);
	assert_int_equal(profile__merge(dst, w2, f), 0);
	sum = total(dst);
	*nsamples = dst->nsamples;
	profile__free(dst);
	profile__free(w2);
	profile__free(w1);
	return sum;
}

static void test_filters(void **state)
{
	struct merge_filter f;
	size_t n;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(merged_total(&f, &n), 66);
	assert_int_equal(n, 3);
	f.pid = 20;
	assert_int_equal(merged_total(&f, &n), 22);
	assert_int_equal(n, 1);
	f.pid = 99;
	assert_int_equal(merged_total(&f, &n), 0);
	memset(&f, 0, sizeof(f));
	f.comm = "cron";
	assert_int_equal(merged_total(&f, &n), 33);
	f.comm = "nosuch";
	assert_int_equal(merged_total(&f, &n), 0);
	f.comm = "";
	assert_int_equal(merged_total(&f, &n), 66);
	memset(&f, 0, sizeof(f));
	f.container_id = "c1";
	assert_int_equal(merged_total(&f, &n), 11);
	f.container_id = "c";
	assert_int_equal(merged_total(&f, &n), 0); /* exact, not a prefix */
	memset(&f, 0, sizeof(f));
	f.pod_uid = "p1";
	assert_int_equal(merged_total(&f, &n), 33);
	assert_int_equal(n, 2);
	f.container_id = "c2";
	assert_int_equal(merged_total(&f, &n), 22);
	f.pid = 10;
	assert_int_equal(merged_total(&f, &n), 0);
	f.pid = 20;
	f.comm = "db";
	assert_int_equal(merged_total(&f, &n), 22);
}

/* Only what matching samples use reaches dst. */
static void test_copies_only_used(void **state)
{
	struct profile *w = window(1, 5, 1000), *dst = profile__new();
	struct merge_filter f = { .comm = "db" };

	(void)state;
	assert_non_null(dst);
	assert_int_equal(profile__merge(dst, w, &f), 0);
	assert_int_equal(dst->nsamples, 1);
	assert_int_equal(dst->nlocations, 2);
	assert_int_equal(dst->nfunctions, 2);
	assert_int_equal(dst->nlabelsets, 1);
	assert_int_equal(profile__find_string(dst, "a"), 0);
	assert_int_equal(profile__find_string(dst, "api"), 0);
	assert_int_equal(profile__find_string(dst, "/bin/api"), 0);
	assert_int_equal(profile__find_string(dst, "c1"), 0);
	assert_int_not_equal(profile__find_string(dst, "c2"), 0);
	/* A filter nothing matches still extends the span. */
	profile__free(w);
	w = window(1, 100, 1000);
	f.comm = "nosuch";
	assert_int_equal(profile__merge(dst, w, &f), 0);
	assert_int_equal(dst->nsamples, 1);
	assert_int_equal(dst->time_ns, 5);
	assert_int_equal(dst->duration_ns, 100 + 10000000000LL - 5);
	profile__free(dst);
	profile__free(w);
}

/* Windows sampled at another rate add up in CPU time, not in ticks. */
static void test_period(void **state)
{
	struct profile *w1 = window(4, 1, 1000), *w2 = window(3, 1, 2000),
		       *w3 = window(1, 1, 300), *dst = profile__new();

	(void)state;
	assert_non_null(dst);
	assert_int_equal(profile__merge(dst, w1, NULL), 0);
	assert_int_equal(profile__merge(dst, w2, NULL), 0);
	assert_int_equal(dst->period_ns, 1000);
	assert_int_equal(count_of(dst, "a"), 4 + 6);
	assert_int_equal(count_of(dst, "c"), 12 + 18);
	/* 300 ns ticks: 1 -> 0.3 rounds to 0, kept at 1; 3 -> 0.9 -> 1. */
	assert_int_equal(profile__merge(dst, w3, NULL), 0);
	assert_int_equal(count_of(dst, "a"), 11);
	assert_int_equal(count_of(dst, "b"), 20 + 1);
	assert_int_equal(count_of(dst, "c"), 31);
	profile__free(dst);
	profile__free(w3);
	profile__free(w2);
	profile__free(w1);
}

static void test_roundtrip_and_errors(void **state)
{
	struct profile *w1 = window(2, 7, 1000), *w2 = window(3, 9, 1000),
		       *dst = profile__new(), *q = profile__new();
	uint8_t *raw = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(dst);
	assert_non_null(q);
	assert_int_equal(profile__merge(dst, w1, NULL), 0);
	assert_int_equal(profile__merge(dst, w2, NULL), 0);
	assert_int_equal(pprof_encode(dst, &raw, &len), 0);
	assert_int_equal(pprof__read(q, raw, len), 0);
	assert_int_equal(q->nsamples, 3);
	assert_int_equal(total(q), 30);
	assert_int_equal(q->time_ns, 7);
	assert_string_equal(
	    profile__label(q, q->samples[1].labelset, PF_LABEL_CONTAINER_ID),
	    "c2");
	free(raw);

	assert_int_equal(profile__merge(NULL, w1, NULL), -EINVAL);
	assert_int_equal(profile__merge(dst, NULL, NULL), -EINVAL);
	w1->err = -ENOMEM;
	assert_int_equal(profile__merge(dst, w1, NULL), -EINVAL);
	w1->err = 0;
	/* A hand-broken src is refused, not followed. */
	w1->sample_locs[0] = 999;
	assert_int_equal(profile__merge(q, w1, NULL), -EINVAL);
	profile__free(q);
	profile__free(dst);
	profile__free(w2);
	profile__free(w1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sum),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_copies_only_used),
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_roundtrip_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
