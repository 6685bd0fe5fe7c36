// SPDX-License-Identifier: BSD-2-Clause
/* Unit tests for the fixed-size stack aggregator. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "aggregate.h"

struct rec {
	struct zp_sample hdr;
	uint64_t words[ZP_SAMPLE_MAX_WORDS];
};

static size_t make(struct rec *r, uint32_t pid, uint32_t tid, uint16_t kn,
		   uint16_t un, uint64_t base)
{
	memset(r, 0, sizeof(*r));
	r->hdr.pid = pid;
	r->hdr.tid = tid;
	r->hdr.kstack_n = kn;
	r->hdr.ustack_n = un;
	strcpy(r->hdr.comm, "worker");
	for (int i = 0; i < kn + un; i++)
		r->words[i] = base + i;
	return sizeof(r->hdr) + 8 * (size_t)(kn + un);
}

static void counts_identical_stacks_once(void **state)
{
	struct aggregator *a = aggregator__new(16, 1024);
	struct rec r;
	size_t len;
	struct agg_stats st;

	(void)state;
	assert_non_null(a);
	len = make(&r, 10, 11, 2, 3, 100);
	assert_int_equal(aggregator__add(a, &r.hdr, len), 1); /* new */
	for (int i = 0; i < 4; i++)
		assert_true(aggregator__add(a, &r.hdr, len) >= 0);
	len = make(&r, 10, 11, 2, 3, 200); /* other frames */
	assert_true(aggregator__add(a, &r.hdr, len) >= 0);
	len = make(&r, 10, 12, 2, 3, 100); /* other thread */
	assert_true(aggregator__add(a, &r.hdr, len) >= 0);

	assert_int_equal(aggregator__count(a), 3);
	assert_int_equal(aggregator__entry(a, 0)->count, 5);
	assert_int_equal(aggregator__entry(a, 1)->count, 1);
	assert_int_equal(aggregator__entry(a, 2)->tid, 12);
	assert_string_equal(aggregator__entry(a, 0)->comm, "worker");
	const uint64_t *w = aggregator__frames(a, aggregator__entry(a, 1));
	for (int i = 0; i < 5; i++)
		assert_int_equal(w[i], 200 + i);
	aggregator__stats(a, &st);
	assert_int_equal(st.samples, 7);
	assert_int_equal(st.stacks, 3);
	assert_null(aggregator__entry(a, 3));
	aggregator__free(a);
}

static void split_between_kernel_and_user_matters(void **state)
{
	struct aggregator *a = aggregator__new(16, 1024);
	struct rec r;
	size_t len;

	(void)state;
	/* same 4 words, different kernel/user split: different stacks */
	len = make(&r, 1, 1, 1, 3, 7);
	aggregator__add(a, &r.hdr, len);
	len = make(&r, 1, 1, 2, 2, 7);
	aggregator__add(a, &r.hdr, len);
	assert_int_equal(aggregator__count(a), 2);
	aggregator__free(a);
}

static void rejects_malformed_lengths(void **state)
{
	struct aggregator *a = aggregator__new(16, 1024);
	struct rec r;
	struct agg_stats st;
	size_t len;

	(void)state;
	len = make(&r, 1, 1, 2, 3, 7);
	assert_int_equal(aggregator__add(a, &r.hdr, len - 8), -EINVAL);
	assert_int_equal(aggregator__add(a, &r.hdr, 12), -EINVAL);
	r.hdr.ustack_n = ZP_MAX_USTACK + 1;
	assert_int_equal(aggregator__add(a, &r.hdr, sizeof(r)), -EINVAL);
	aggregator__stats(a, &st);
	assert_int_equal(st.malformed, 3);
	assert_int_equal(aggregator__count(a), 0);
	aggregator__free(a);
}

static void full_tables_count_drops_and_keep_counting_known(void **state)
{
	struct aggregator *a = aggregator__new(4, 1 << 16);
	struct rec r;
	struct agg_stats st;
	size_t len;

	(void)state;
	for (uint64_t i = 0; i < 10; i++) {
		len = make(&r, 1, 1, 0, 4, i * 100);
		aggregator__add(a, &r.hdr, len);
	}
	len = make(&r, 1, 1, 0, 4, 0); /* first one: still counted */
	assert_true(aggregator__add(a, &r.hdr, len) >= 0);
	aggregator__stats(a, &st);
	assert_int_equal(aggregator__count(a), 4);
	assert_int_equal(st.dropped, 6);
	assert_int_equal(aggregator__entry(a, 0)->count, 2);
	aggregator__free(a);

	/* word arena full before the entry table */
	a = aggregator__new(100, 10);
	len = make(&r, 1, 1, 0, 8, 0);
	assert_true(aggregator__add(a, &r.hdr, len) >= 0);
	len = make(&r, 1, 1, 0, 8, 50);
	assert_int_equal(aggregator__add(a, &r.hdr, len), -ENOSPC);
	aggregator__free(a);
}

static void reset_forgets_everything(void **state)
{
	struct aggregator *a = aggregator__new(8, 256);
	struct rec r;
	size_t len = make(&r, 3, 3, 1, 1, 1);

	(void)state;
	aggregator__add(a, &r.hdr, len);
	aggregator__reset(a);
	assert_int_equal(aggregator__count(a), 0);
	assert_true(aggregator__add(a, &r.hdr, len) >= 0);
	assert_int_equal(aggregator__count(a), 1);
	assert_int_equal(aggregator__entry(a, 0)->count, 1);
	aggregator__free(a);
	aggregator__free(NULL);
}

static void rejects_bad_sizes(void **state)
{
	(void)state;
	assert_null(aggregator__new(0, 10));
	assert_null(aggregator__new(10, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_identical_stacks_once),
		cmocka_unit_test(split_between_kernel_and_user_matters),
		cmocka_unit_test(rejects_malformed_lengths),
		cmocka_unit_test(
		    full_tables_count_drops_and_keep_counting_known),
		cmocka_unit_test(reset_forgets_everything),
		cmocka_unit_test(rejects_bad_sizes),
	};
	return cmocka_run_group_tests_name("aggregate", tests, NULL, NULL);
}
