// SPDX-License-Identifier: BSD-2-Clause
/*
 * Test workload with a known shape, profiled by the integration tests:
 *
 *   split SECONDS [HOT_SHARE]  main -> run_workload -> dispatch ->
 *                              leaf_hot (HOT_SHARE%, default 75) and
 *                              leaf_cold (the rest): identical loop bodies,
 *                              so CPU time splits as the iteration counts do
 *   threads SECONDS            two threads named "worker-hot"/"worker-cold",
 *                              spinning in thread_hot / thread_cold
 *   syscalls SECONDS           syscall_loop reads /dev/zero: kernel frames
 *   sleep SECONDS              mostly off CPU
 *   work ITERATIONS [DELAY]    sleeps DELAY s (default 1: time for a
 *                              profiler to attach), then runs a fixed amount
 *                              of work and prints its wall time: the
 *                              benchmark's overhead probe
 *
 * Built with frame pointers, -O1, no inlining and no sibling calls (see the
 * Makefile), so the call chain in the binary is the one written here.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Iterations per unit. One dispatch cycle (100 units) lasts ~0.15 ms, far
 * shorter than a sampling interval or a scheduler slice, so a sample lands
 * in a random phase of the cycle even when the CPU is contended.
 */
#define UNIT 1000

static volatile unsigned long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The same body in both leaves: cost per unit is equal by construction. */
#define SPIN(units)                                                            \
	do {                                                                   \
		unsigned long x = sink;                                        \
		for (long i = 0; i < (long)(units)*UNIT; i++)                  \
			x = x * 2862933555777941757ul + 3037000493ul;          \
		sink = x;                                                      \
	} while (0)

__attribute__((noinline)) void leaf_hot(int units)
{
	SPIN(units);
}

__attribute__((noinline)) void leaf_cold(int units)
{
	SPIN(units);
}

__attribute__((noinline)) void dispatch(int hot, int cold)
{
	leaf_hot(hot);
	leaf_cold(cold);
}

__attribute__((noinline)) void run_workload(double seconds, int hot_share)
{
	double end = now() + seconds;

	while (now() < end)
		dispatch(hot_share, 100 - hot_share);
}

__attribute__((noinline)) void thread_hot(double end)
{
	while (now() < end)
		SPIN(10);
}

__attribute__((noinline)) void thread_cold(double end)
{
	while (now() < end)
		SPIN(10);
}

struct targ {
	double end;
	int which;
};

static void *thread_main(void *p)
{
	struct targ *t = p;

	pthread_setname_np(pthread_self(),
			   t->which ? "worker-cold" : "worker-hot");
	if (t->which)
		thread_cold(t->end);
	else
		thread_hot(t->end);
	return NULL;
}

__attribute__((noinline)) void syscall_loop(double seconds)
{
	static char buf[1 << 16];
	double end = now() + seconds;
	int fd = open("/dev/zero", O_RDONLY);

	if (fd < 0)
		exit(1);
	while (now() < end)
		if (read(fd, buf, sizeof(buf)) < 0)
			exit(1);
	close(fd);
}

int main(int argc, char **argv)
{
	double seconds;

	if (argc < 3) {
		fprintf(stderr,
			"usage: %s split|threads|syscalls|sleep SECONDS "
			"[HOT_SHARE]\n",
			argv[0]);
		return 2;
	}
	seconds = atof(argv[2]);
	if (!strcmp(argv[1], "split")) {
		int hot = argc > 3 ? atoi(argv[3]) : 75;

		if (hot < 1 || hot > 99)
			return 2;
		run_workload(seconds, hot);
	} else if (!strcmp(argv[1], "threads")) {
		struct targ t[2] = { { now() + seconds, 0 },
				     { now() + seconds, 1 } };
		pthread_t th[2];

		for (int i = 0; i < 2; i++)
			if (pthread_create(&th[i], NULL, thread_main, &t[i]))
				return 1;
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
	} else if (!strcmp(argv[1], "syscalls")) {
		syscall_loop(seconds);
	} else if (!strcmp(argv[1], "work")) {
		long iters = atol(argv[2]);
		double t0;

		usleep((useconds_t)((argc > 3 ? atof(argv[3]) : 1.0) * 1e6));
		t0 = now();
		for (long i = 0; i < iters; i++)
			dispatch(75, 25);
		printf("elapsed %.6f\n", now() - t0);
	} else if (!strcmp(argv[1], "sleep")) {
		usleep((useconds_t)(seconds * 1e6));
	} else {
		return 2;
	}
	return 0;
}
