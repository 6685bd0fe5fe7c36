// SPDX-License-Identifier: BSD-2-Clause
/*
 * The demo workload `make demo` profiles: a toy request handler that
 * parses, validates, scores, sorts and renders synthetic requests, so the
 * flame graph has a few levels and a recognisable shape. It runs for the
 * number of seconds given (default 10) and then exits.
 *
 *   main -> serve -> handle_request -> parse_request -> tokenize
 *                                   -> score_items   -> hash_item
 *                                   -> sort_items    -> merge_sort
 *                                   -> render_response
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ITEMS 512

struct item {
	uint64_t key;
	uint32_t score;
};

static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) int tokenize(const char *s, size_t len)
{
	int tokens = 0, in = 0;

	for (size_t i = 0; i < len; i++) {
		int sep = s[i] == ' ' || s[i] == '&' || s[i] == '=';

		if (!sep && !in)
			tokens++;
		in = !sep;
	}
	return tokens;
}

__attribute__((noinline)) int parse_request(const char *req, size_t len)
{
	int n = 0;

	for (int pass = 0; pass < 8; pass++)
		n += tokenize(req, len);
	return n;
}

__attribute__((noinline)) uint32_t hash_item(uint64_t key)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < 64; i++) {
		h ^= (key >> (i % 64)) & 0xff;
		h *= 1099511628211ull;
	}
	return (uint32_t)(h >> 32);
}

__attribute__((noinline)) void score_items(struct item *it, int n)
{
	for (int i = 0; i < n; i++)
		it[i].score = hash_item(it[i].key);
}

__attribute__((noinline)) void merge_sort(struct item *a, struct item *tmp,
					  int n)
{
	int i, j, k, mid = n / 2;

	if (n < 2)
		return;
	merge_sort(a, tmp, mid);
	merge_sort(a + mid, tmp, n - mid);
	for (i = 0, j = mid, k = 0; i < mid || j < n;)
		tmp[k++] = j >= n || (i < mid && a[i].score <= a[j].score)
			       ? a[i++]
			       : a[j++];
	memcpy(a, tmp, n * sizeof(*a));
}

__attribute__((noinline)) void sort_items(struct item *it, int n)
{
	static struct item tmp[ITEMS];

	merge_sort(it, tmp, n);
}

__attribute__((noinline)) size_t render_response(const struct item *it, int n,
						 char *out, size_t cap)
{
	size_t len = 0;

	for (int i = 0; i < n && len + 32 < cap; i++) {
		uint32_t v = it[i].score;
		char digits[12];
		int d = 0;

		do
			digits[d++] = '0' + v % 10;
		while ((v /= 10) && d < 11);
		while (d)
			out[len++] = digits[--d];
		out[len++] = ',';
	}
	return len;
}

__attribute__((noinline)) void handle_request(uint64_t seed)
{
	static const char req[] =
	    "GET /search?q=profiler&lang=c&sort=score&page=2 user=alice "
	    "region=eu tier=gold trace=on";
	static struct item items[ITEMS];
	static char out[ITEMS * 12];

	sink += parse_request(req, sizeof(req) - 1);
	for (int i = 0; i < ITEMS; i++)
		items[i].key = seed * 6364136223846793005ull + i;
	score_items(items, ITEMS);
	sort_items(items, ITEMS);
	sink += render_response(items, ITEMS, out, sizeof(out));
}

__attribute__((noinline)) void serve(double seconds)
{
	double end = now() + seconds;
	uint64_t n = 0;

	while (now() < end)
		handle_request(n++);
	printf("demo_app: served %llu requests\n", (unsigned long long)n);
}

int main(int argc, char **argv)
{
	serve(argc > 1 ? atof(argv[1]) : 10);
	return 0;
}
