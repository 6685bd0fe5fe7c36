// SPDX-License-Identifier: BSD-2-Clause
/*
 * A workload built without frame pointers (-O2 -fomit-frame-pointer, see
 * the Makefile), so only unwind tables can recover its call chains. Every
 * function on a chain is noinline and calls are not turned into jumps, so
 * the chain in the source is the chain on the stack.
 *
 *   chain SEC      main -> run_chain -> level_one -> level_two -> leaf_{a,b}
 *                  (leaf_a twice the work of leaf_b)
 *   qsort SEC      main -> run_qsort -> qsort (libc) -> ... -> cmp_slow
 *   signal SEC     main -> run_signal -> spin, with a SIGPROF handler that
 *                  burns CPU: the stack crosses the kernel's signal frame
 *   dlopen SEC     after 1 s, dlopen("libz.so.1") and crc32() a buffer
 *                  repeatedly: code mapped after the capture started
 *   depth SEC N    main -> run_depth -> descend x N -> burn: a stack N+6
 *                  frames deep, for the unwinder's cost per frame
 *   plt SEC        main -> run_plt -> labs() through the PLT in a tight
 *                  loop (built with -fno-builtin), so a good share of
 *                  ticks land in the PLT stub itself
 *   work N         after 1 s, N rounds of level_one, then prints
 *                  "elapsed SECONDS" (overhead benchmark)
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

NOINLINE static uint64_t burn(uint64_t n, uint64_t x)
{
	for (uint64_t i = 0; i < n; i++)
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	return x;
}

NOINLINE uint64_t leaf_a(uint64_t x)
{
	x = burn(200000, x);
	sink = x;
	return x + 1;
}

NOINLINE uint64_t leaf_b(uint64_t x)
{
	x = burn(100000, x);
	sink = x;
	return x + 2;
}

NOINLINE uint64_t level_two(uint64_t x)
{
	x = leaf_a(x);
	x = leaf_b(x);
	return x ^ 3;
}

NOINLINE uint64_t level_one(uint64_t x)
{
	x = level_two(x);
	return x + 5;
}

NOINLINE void run_chain(double secs)
{
	double end = now() + secs;
	uint64_t x = 1;

	while (now() < end)
		x = level_one(x);
	sink = x;
}

NOINLINE int cmp_slow(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	sink = burn(2000, x);
	return x < y ? -1 : x > y;
}

NOINLINE void run_qsort(double secs)
{
	double end = now() + secs;
	uint64_t v[256];

	while (now() < end) {
		for (int i = 0; i < 256; i++)
			v[i] = burn(3, (uint64_t)i * 7919u);
		qsort(v, 256, sizeof(v[0]), cmp_slow);
	}
}

NOINLINE void in_handler(void)
{
	sink = burn(3000000, sink);
}

static void on_prof(int sig)
{
	(void)sig;
	in_handler();
}

NOINLINE void spin(double end)
{
	while (now() < end)
		sink = burn(1000, sink);
}

NOINLINE void run_signal(double secs)
{
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } };

	signal(SIGPROF, on_prof);
	setitimer(ITIMER_PROF, &it, NULL);
	spin(now() + secs);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_PROF, &it, NULL);
}

NOINLINE uint64_t descend(int n, double end)
{
	uint64_t x = 0;

	if (n > 0)
		return descend(n - 1, end) + 1;
	while (now() < end)
		x = burn(100000, x);
	return x;
}

NOINLINE void run_depth(double secs, int n)
{
	sink = descend(n, now() + secs);
}

NOINLINE void run_plt(double secs)
{
	double end = now() + secs;
	long x = 0;

	while (now() < end)
		for (long i = 0; i < 1000000; i++)
			x += labs(i - 500000);
	sink = (uint64_t)x;
}

typedef unsigned long (*crc32_fn)(unsigned long, const unsigned char *,
				  unsigned int);

NOINLINE void run_dlopen(double secs)
{
	static unsigned char buf[1 << 16];
	double end = now() + secs;
	crc32_fn crc;
	void *h;

	usleep(1000000);
	h = dlopen("libz.so.1", RTLD_NOW);
	crc = h ? (crc32_fn)dlsym(h, "crc32") : NULL;
	if (!crc) {
		fprintf(stderr, "no libz: %s\n", dlerror());
		exit(1);
	}
	while (now() < end)
		sink = crc(sink, buf, sizeof(buf));
}

int main(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 5;

	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "chain"))
		run_chain(secs);
	else if (!strcmp(argv[1], "qsort"))
		run_qsort(secs);
	else if (!strcmp(argv[1], "signal"))
		run_signal(secs);
	else if (!strcmp(argv[1], "dlopen"))
		run_dlopen(secs);
	else if (!strcmp(argv[1], "plt"))
		run_plt(secs);
	else if (!strcmp(argv[1], "work")) {
		double t0;
		uint64_t x = 1;

		usleep(1000000);
		t0 = now();
		for (long i = 0; i < (long)secs; i++)
			x = level_one(x);
		sink = x;
		printf("elapsed %.6f\n", now() - t0);
	} else if (!strcmp(argv[1], "depth") && argc > 3)
		run_depth(secs, atoi(argv[3]));
	else
		return 2;
	return 0;
}
