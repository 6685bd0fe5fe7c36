// SPDX-License-Identifier: BSD-2-Clause
/*
 * The one-shot capture loop. One epoll set multiplexes the ring buffer, a
 * signalfd for SIGINT/SIGTERM, a timerfd for the duration and a pidfd per
 * target (exit detection without polling /proc). The ring buffer is also
 * drained on every wakeup because the BPF side only signals once a quarter
 * of it is full; the 100 ms epoll timeout bounds how stale a record gets.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "aggregate.h"
#include "capture.h"
#include "log.h"
#include "profile_build.h"
#include "pysym.h"
#include "symbolize.h"
#include "tracker.h"
#include "unwinder.h"

#define POLL_MS 100

enum { TAG_RINGBUF = -1, TAG_SIGNAL = -2, TAG_TIMER = -3 };

struct capture {
	struct aggregator *agg;
	struct tracker *trk;
	int64_t first_unwound_ns; /* CLOCK_MONOTONIC, 0 until one arrives */
};

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int on_sample(void *ctx, const struct zp_sample *s, size_t len)
{
	struct capture *c = ctx;

	if (!c->first_unwound_ns && (s->flags & ZP_F_UNWIND) &&
	    !(s->flags & ZP_F_USTACK_TRUNC))
		c->first_unwound_ns = now_ns(CLOCK_MONOTONIC);
	tracker__before(c->trk, s);
	tracker__after(c->trk, s, aggregator__add(c->agg, s, len));
	return 0;
}

static void on_event(void *ctx, const struct zp_proc_event *ev)
{
	struct capture *c = ctx;

	tracker__event(c->trk, ev);
}

static int epoll_add(int ep, int fd, int64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int arm_timer(double seconds)
{
	struct itimerspec its = {};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	its.it_value.tv_sec = (time_t)seconds;
	its.it_value.tv_nsec =
	    (long)((seconds - (double)its.it_value.tv_sec) * 1e9);
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -errno;
	}
	return fd;
}

int capture_run(const struct capture_opts *o, struct profile *p,
		struct capture_result *res)
{
	struct symbolizer_opts so = { .kernel = o->kernel_stacks,
				      .kernel_lazy = true };
	struct sampler_opts sopts = {
		.all = o->all,
		.pids = o->pids,
		.npids = o->npids,
		.max_targets = o->npids > 1024 ? o->npids : 1024,
		.frequency = o->frequency,
		.event = o->event,
		.kernel_stacks = o->kernel_stacks,
		.user_stacks = true,
		.ringbuf_bytes = o->ringbuf_bytes,
		.btf_path = o->btf_path,
		.follow_children = o->follow_children,
		.unwind = o->unwind,
		/* tables and Python offsets in place before the first tick */
		.defer_attach = true,
		.cb = on_sample,
		.event_cb = on_event,
	};
	struct profile_build_opts bo = {};
	struct capture c = {};
	struct symbolizer *sym = NULL;
	struct pysym *py = NULL;
	struct tracker_stats ts;
	struct unwinder_stats us;
	struct sampler *smp = NULL;
	struct epoll_event evs[16];
	uint64_t st[ZP_STAT__MAX];
	struct agg_stats as;
	int *pidfds = NULL;
	int ep = -1, sfd = -1, tfd = -1, err = 0, n, i;
	size_t alive = o->npids, k;
	int64_t t0, t0_real, t_entry;
	sigset_t mask;
	bool stop = false;

	memset(res, 0, sizeof(*res));
	t_entry = now_ns(CLOCK_MONOTONIC);
	c.agg = aggregator__new(o->max_stacks, o->max_stacks * 32);
	sym = symbolizer__new(&so);
	py = o->python ? pysym__new(NULL) : NULL;
	c.trk = sym ? tracker__new(sym, py) : NULL;
	pidfds = malloc((o->npids + 1) * sizeof(*pidfds));
	if (!c.agg || !sym || !c.trk || !pidfds || (o->python && !py)) {
		err = -ENOMEM;
		log_error("out of memory setting up the capture");
		goto out;
	}
	for (k = 0; k < o->npids; k++)
		pidfds[k] = -1;

	/* maps first: a target that exits mid-capture still resolves */
	for (k = 0; k < o->npids; k++) {
		err = symbolizer__add_pid(sym, o->pids[k]);
		if (err == -ESRCH || err == -ENOENT) {
			log_error("no process with pid %u", o->pids[k]);
			goto out;
		}
		if (err) {
			log_error("cannot read the memory maps of pid %u: %s",
				  o->pids[k], strerror(-err));
			goto out;
		}
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (ep < 0 || sfd < 0) {
		err = -errno;
		log_error("setting up the event loop failed: %s",
			  strerror(-err));
		goto out;
	}
	err = epoll_add(ep, sfd, TAG_SIGNAL);
	for (k = 0; !err && k < o->npids; k++) {
		pidfds[k] = syscall(SYS_pidfd_open, o->pids[k], 0);
		if (pidfds[k] < 0) {
			err = -errno;
			if (err == -ESRCH) {
				log_error("no process with pid %u", o->pids[k]);
				goto out;
			}
			break;
		}
		err = epoll_add(ep, pidfds[k], (int64_t)k);
	}
	if (err) {
		log_error("watching the targets failed: %s", strerror(-err));
		goto out;
	}

	log_memory("reading the targets' maps and symbols");
	sopts.cb_ctx = &c;
	sopts.python = o->python;
	smp = sampler__new(&sopts);
	if (!smp) {
		err = errno ? -errno : -EINVAL;
		goto out;
	}
	tracker__set_sampler(c.trk, smp);
	if (o->unwind != SAMPLER_UNWIND_FP) {
		err = tracker__start_unwinder(c.trk);
		if (err) {
			log_error("setting up the unwind tables failed: %s",
				  strerror(-err));
			goto out;
		}
	}
	for (k = 0; k < o->npids; k++)
		tracker__attach(c.trk, o->pids[k]);
	err = sampler__attach(smp);
	if (err)
		goto out;
	log_memory("loading and attaching BPF");
	t0 = now_ns(CLOCK_MONOTONIC);
	t0_real = now_ns(CLOCK_REALTIME);
	if (o->duration_s > 0) {
		tfd = arm_timer(o->duration_s);
		if (tfd < 0 || (err = epoll_add(ep, tfd, TAG_TIMER))) {
			err = tfd < 0 ? tfd : err;
			log_error("arming the duration timer failed: %s",
				  strerror(-err));
			goto out;
		}
	}
	err = epoll_add(ep, sampler__epoll_fd(smp), TAG_RINGBUF);
	if (err) {
		log_error("watching the ring buffer failed: %s",
			  strerror(-err));
		goto out;
	}

	res->end = CAPTURE_END_DURATION;
	while (!stop) {
		n = epoll_wait(ep, evs, 16, POLL_MS);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			log_error("epoll_wait failed: %s", strerror(-err));
			goto out;
		}
		for (i = 0; i < n; i++) {
			int64_t tag = (int64_t)evs[i].data.u64;

			if (tag == TAG_SIGNAL) {
				res->end = CAPTURE_END_SIGNAL;
				stop = true;
			} else if (tag == TAG_TIMER) {
				res->end = CAPTURE_END_DURATION;
				stop = true;
			} else if (tag >= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, pidfds[tag], NULL);
				alive--;
			}
		}
		sampler__drain(smp);
		/* after the drain: a child forked before its parent exited
		 * is known by now */
		if (!stop && !o->all && alive == 0 &&
		    !tracker__children(c.trk)) {
			res->end = CAPTURE_END_TARGETS_EXITED;
			stop = true;
		}
	}
	res->duration_ns = now_ns(CLOCK_MONOTONIC) - t0;
	res->ncpus = sampler__ncpus(smp);
	if (sampler__prog_runtime(smp, &res->bpf_run_ns, &res->bpf_run_cnt))
		res->bpf_run_ns = res->bpf_run_cnt = 0;
	if (sampler__probe_runtime(smp, &res->probe_run_ns,
				   &res->probe_run_cnt))
		res->probe_run_ns = res->probe_run_cnt = 0;
	sampler__detach(smp);
	sampler__drain(smp);

	log_memory("sampling");
	sampler__stats(smp, st);
	aggregator__stats(c.agg, &as);
	res->samples = st[ZP_STAT_SAMPLES];
	res->py_samples = st[ZP_STAT_PY_SAMPLES];
	res->py_miss = st[ZP_STAT_PY_MISS];
	res->py_read_errors = st[ZP_STAT_PY_READ_ERR];
	res->py_truncated = st[ZP_STAT_PY_TRUNC];
	res->py_ts_bound = st[ZP_STAT_PY_TS_BIND];
	res->unw_samples = st[ZP_STAT_UNW_SAMPLES];
	res->first_unwound_ns =
	    c.first_unwound_ns ? c.first_unwound_ns - t_entry : 0;
	res->unw_complete = st[ZP_STAT_UNW_END];
	res->unw_noinfo = st[ZP_STAT_UNW_NOINFO];
	res->unw_nomap = st[ZP_STAT_UNW_NOMAP];
	res->unw_read = st[ZP_STAT_UNW_READ];
	res->unw_depth = st[ZP_STAT_UNW_DEPTH];
	res->unw_fp = st[ZP_STAT_UNW_FP];
	tracker__unwind_stats(c.trk, &us);
	res->unw_tables = us.tables;
	res->unw_rows = us.rows_used;
	res->unw_build_ns = us.build_ns;
	res->unw_build_errors = us.build_errors;
	res->py_ts_cleared = st[ZP_STAT_PY_TS_CLEAR];
	tracker__stats(c.trk, &ts);
	res->py_probe_procs = ts.probe_procs;
	res->children = ts.children;
	res->execs = ts.execs;
	res->lost_ringbuf = st[ZP_STAT_RB_DROPS];
	res->kstack_errors = st[ZP_STAT_KSTACK_ERR];
	res->ustack_errors = st[ZP_STAT_USTACK_ERR];
	res->received = as.samples;
	res->lost_agg = as.dropped;
	res->malformed = as.malformed;
	res->stacks = as.stacks;
	res->lost = res->lost_ringbuf + res->lost_agg + res->malformed;

	bo.period_ns = 1000000000ll / o->frequency;
	bo.duration_ns = res->duration_ns;
	bo.time_ns = t0_real;
	bo.kernel_subset = true;
	bo.py = py;
	bo.hide_interpreter = o->hide_interpreter;
	err = profile_build(p, c.agg, sym, &bo);
	if (err)
		log_error("building the profile failed: %s", strerror(-err));
	log_memory("symbolizing");
out:
	sampler__free(smp);
	if (tfd >= 0)
		close(tfd);
	for (k = 0; pidfds && k < o->npids; k++)
		if (pidfds[k] >= 0)
			close(pidfds[k]);
	free(pidfds);
	if (sfd >= 0)
		close(sfd);
	if (ep >= 0)
		close(ep);
	tracker__free(c.trk);
	symbolizer__free(sym);
	pysym__free(py);
	aggregator__free(c.agg);
	return err;
}
