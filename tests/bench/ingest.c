// SPDX-License-Identifier: BSD-2-Clause
/*
 * Userspace ingest benchmark: replays a recorded-like stream of ring buffer
 * records (2,000 distinct stacks of depth 8-48 with a skewed popularity, as a
 * busy service produces) through the aggregator on one core and reports
 * samples per second and the memory the tables hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aggregate.h"

#define DISTINCT 2000
#define RECORDS	 4000000

struct rec {
	struct zp_sample hdr;
	uint64_t words[ZP_MAX_KSTACK + ZP_MAX_USTACK];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct rec *pool = calloc(DISTINCT, sizeof(*pool));
	size_t *lens = calloc(DISTINCT, sizeof(*lens));
	uint32_t *order = malloc(RECORDS * sizeof(*order));
	struct aggregator *a = aggregator__new(65536, 65536 * 32);
	uint64_t x = 88172645463325252ull;
	struct agg_stats st;
	double t0, el;

	if (!pool || !lens || !order || !a)
		return 1;
	for (int i = 0; i < DISTINCT; i++) {
		int depth = 8 + i % 41, kn = i % 5 == 0 ? 6 : 0;

		pool[i].hdr.pid = 1000 + i % 7;
		pool[i].hdr.tid = pool[i].hdr.pid + i % 3;
		pool[i].hdr.kstack_n = kn;
		pool[i].hdr.ustack_n = depth;
		strcpy(pool[i].hdr.comm, "svc");
		for (int k = 0; k < kn; k++)
			pool[i].words[k] = 0xffffffff81000000ull + k * 64;
		for (int k = 0; k < depth; k++)
			pool[i].words[kn + k] =
			    0x555555554000ull + (uint64_t)(i * 131 + k) * 16;
		lens[i] = sizeof(pool[i].hdr) + 8 * (size_t)(kn + depth);
	}
	/* skewed popularity: a few stacks take most samples */
	for (size_t r = 0; r < RECORDS; r++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		order[r] =
		    (uint32_t)((x % DISTINCT) * (x % DISTINCT) / DISTINCT);
	}
	t0 = now();
	for (size_t r = 0; r < RECORDS; r++)
		aggregator__add(a, &pool[order[r]].hdr, lens[order[r]]);
	el = now() - t0;
	aggregator__stats(a, &st);
	printf("ingest: %d records, %llu stacks, %.3f s, %.0f samples/s, "
	       "%.1f ns/sample\n",
	       RECORDS, (unsigned long long)st.stacks, el, RECORDS / el,
	       el * 1e9 / RECORDS);
	aggregator__free(a);
	free(order);
	free(lens);
	free(pool);
	return st.samples == RECORDS ? 0 : 1;
}
