// SPDX-License-Identifier: BSD-2-Clause
/*
 * Test workload for the daemon's stress tests: many short-lived processes
 * or threads, each busy for a few milliseconds, PAR (default 2) at a time.
 *
 *   forks N MS [PAR]    N children, each forked and exec'ing this program
 *                       as "burn MS": spins for MS ms of CPU time in
 *                       burn_child, then exits.
 *                       Prints every child's pid, one a line, on stdout.
 *   threads N MS [PAR]  N threads in this process, each spinning for MS ms
 *                       of CPU time in burn_thread, then joined.
 *   burn MS             what a forks child runs.
 *
 * Exits 0 when every child exited 0 and every thread was created.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAR_MAX	     64
#define NSEC_PER_SEC 1000000000ll

static volatile unsigned long sink;

/* Spins until the calling thread has used MS more ms of CPU time. */
static void spin_ms(long ms)
{
	struct timespec ts;
	unsigned long x = sink;
	long long end;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	end = ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec + ms * 1000000ll;
	do {
		for (int i = 0; i < 1000; i++)
			x = x * 2862933555777941757ul + 3037000493ul;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	} while (ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec < end);
	sink = x;
}

__attribute__((noinline)) void burn_child(long ms)
{
	spin_ms(ms);
}

__attribute__((noinline)) void *burn_thread(void *arg)
{
	spin_ms((long)arg);
	return NULL;
}

static int reap_one(void)
{
	int status;

	if (wait(&status) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int forks(const char *self, long n, long ms, long par)
{
	char arg[32];
	long i, running = 0;
	int failed = 0;
	pid_t pid;

	snprintf(arg, sizeof(arg), "%ld", ms);
	for (i = 0; i < n; i++) {
		if (running == par) {
			failed |= reap_one();
			running--;
		}
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			execl(self, self, "burn", arg, (char *)NULL);
			_exit(127);
		}
		printf("%d\n", (int)pid);
		running++;
	}
	while (running--)
		failed |= reap_one();
	fflush(stdout);
	return failed ? 1 : 0;
}

static int threads(long n, long ms, long par)
{
	pthread_t t[PAR_MAX];
	long i, j, batch;
	int err;

	for (i = 0; i < n; i += batch) {
		batch = n - i < par ? n - i : par;
		for (j = 0; j < batch; j++) {
			err = pthread_create(&t[j], NULL, burn_thread,
					     (void *)ms);
			if (err) {
				fprintf(stderr, "pthread_create: %s\n",
					strerror(err));
				return 1;
			}
		}
		for (j = 0; j < batch; j++)
			pthread_join(t[j], NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;
	long ms = argc > 3 ? atol(argv[3]) : 0;
	long par = argc > 4 ? atol(argv[4]) : 2;
	char self[4096];
	ssize_t len;

	if (argc == 3 && !strcmp(argv[1], "burn")) {
		burn_child(atol(argv[2]));
		return 0;
	}
	if (argc < 4 || n < 1 || ms < 1 || par < 1 || par > PAR_MAX) {
		fprintf(stderr, "usage: storm forks|threads N MS [PAR] | "
				"storm burn MS\n");
		return 2;
	}
	if (!strcmp(argv[1], "forks")) {
		/* its own path: exec'ing /proc/self/exe names children "exe" */
		len = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (len <= 0) {
			perror("readlink /proc/self/exe");
			return 1;
		}
		self[len] = '\0';
		return forks(self, n, ms, par);
	}
	if (!strcmp(argv[1], "threads"))
		return threads(n, ms, par);
	fprintf(stderr, "storm: unknown mode %s\n", argv[1]);
	return 2;
}
