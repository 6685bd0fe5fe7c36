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

#define POLL_MS 100
/* pids whose maps could not be read, remembered so --all does not retry on
 * every sample of a process that exited or that we may not read */
#define FAILED_PIDS 1024

enum { TAG_RINGBUF = -1, TAG_SIGNAL = -2, TAG_TIMER = -3 };

/* A thread the walker did not know triggers at most this many refreshes
 * of its process's thread list per second. */
#define PY_REFRESH_NS  (200 * 1000000ull)
#define PY_MAX_THREADS 256

/* A target that is not (yet) a CPython we walk is looked at again, from its
 * samples, this often and for this long: attaching while an interpreter
 * starts up is common, and its runtime is not readable until it has. */
#define PY_RETRY_NS	(100 * 1000000ull)
#define PY_RETRY_FOR_NS (10 * 1000000000ull)
#define PY_PENDING	64

/* --subprocesses: descendants alive at once that end-of-capture waits for */
#define MAX_CHILDREN 4096
/* A new stack whose leaf is outside every mapping we know (exec, dlopen,
 * mmap since the snapshot) re-reads the maps, this often per process. */
#define MAPS_REFRESH_NS (200 * 1000000ull)
#define MAPS_SLOTS	256

struct py_pending {
	uint32_t pid;
	uint64_t first_ns, last_ns;
};

struct capture {
	const struct capture_opts *o;
	struct aggregator *agg;
	struct symbolizer *sym;
	struct pysym *py;
	struct sampler *smp;
	uint32_t failed[FAILED_PIDS];
	struct py_pending pending[PY_PENDING];
	size_t npending;
	uint32_t *children; /* followed descendants still alive */
	size_t nchildren;
	struct {
		uint32_t pid;
		uint64_t last_ns;
	} maps_refresh[MAPS_SLOTS];
	uint64_t children_total, execs, probe_procs;
};

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Pushes PID's current thread states to the walker's map. */
static void py_refresh(struct capture *c, uint32_t pid, uint64_t min_ns)
{
	uint64_t ids[PY_MAX_THREADS], tstates[PY_MAX_THREADS];
	size_t n;

	if (!pysym__threads(c->py, pid, (uint64_t)now_ns(CLOCK_MONOTONIC),
			    min_ns, ids, tstates, PY_MAX_THREADS, &n))
		sampler__set_py_threads(c->smp, pid, ids, tstates, n);
}

/*
 * Hands PID's walker config to BPF, then the lifecycle uprobes, then the
 * current thread list: in that order no thread started meanwhile is missed.
 */
static void py_start(struct capture *c, uint32_t pid,
		     const struct zp_py_proc *cfg)
{
	const char *path;
	char buf[4096];
	int err;

	if (sampler__set_py_proc(c->smp, pid, cfg))
		return;
	path = pysym__interp_path(c->py, pid);
	if (path && (size_t)snprintf(buf, sizeof(buf), "/proc/%u/root%s", pid,
				     path) < sizeof(buf)) {
		err = sampler__attach_py_probes(c->smp, pid, buf);
		if (!err)
			c->probe_procs++;
		else
			log_debug("pid %u: no thread-state uprobes (%s); new "
				  "threads are found from their samples",
				  pid, strerror(-err));
	}
	py_refresh(c, pid, 0);
}

static void pending_remove(struct capture *c, uint32_t pid)
{
	size_t i;

	for (i = 0; i < c->npending; i++)
		if (c->pending[i].pid == pid)
			c->pending[i--] = c->pending[--c->npending];
}

/*
 * Starts walking PID's Python frames if it is a CPython we support. A
 * process that may still become one (interpreter starting, or not exec'd
 * yet) is remembered and retried from its samples.
 */
static void py_attach(struct capture *c, uint32_t pid)
{
	const struct zp_py_proc *cfg;
	uint64_t now = (uint64_t)now_ns(CLOCK_MONOTONIC);
	int err;

	if (!c->py)
		return;
	err = pysym__add_pid(c->py, pid, &cfg);
	if ((err == -EAGAIN || err == -ENOENT) && c->npending < PY_PENDING)
		c->pending[c->npending++] = (struct py_pending){
			.pid = pid, .first_ns = now, .last_ns = now
		};
	if (!err)
		py_start(c, pid, cfg);
}

static void py_retry(struct capture *c, uint32_t pid)
{
	const struct zp_py_proc *cfg;
	uint64_t now;
	size_t i;
	int err;

	for (i = 0; i < c->npending && c->pending[i].pid != pid; i++)
		;
	if (i == c->npending)
		return;
	now = (uint64_t)now_ns(CLOCK_MONOTONIC);
	if (now - c->pending[i].last_ns < PY_RETRY_NS)
		return;
	c->pending[i].last_ns = now;
	err = pysym__add_pid(c->py, pid, &cfg);
	if (!err)
		py_start(c, pid, cfg);
	if ((err != -EAGAIN && err != -ENOENT) ||
	    now - c->pending[i].first_ns > PY_RETRY_FOR_NS)
		c->pending[i] = c->pending[--c->npending];
}

static void child_remove(struct capture *c, uint32_t pid)
{
	size_t i;

	for (i = 0; i < c->nchildren; i++)
		if (c->children[i] == pid) {
			c->children[i] = c->children[--c->nchildren];
			return;
		}
}

/* Children whose exit notice was lost (event ring full) still end. */
static void children_reap(struct capture *c)
{
	size_t i;

	for (i = 0; i < c->nchildren; i++)
		if (kill((pid_t)c->children[i], 0) && errno == ESRCH)
			c->children[i--] = c->children[--c->nchildren];
}

static void on_event(void *ctx, const struct zp_proc_event *ev)
{
	struct capture *c = ctx;

	switch (ev->type) {
	case ZP_EV_FORK:
		c->children_total++;
		if (c->nchildren < MAX_CHILDREN)
			c->children[c->nchildren++] = ev->pid;
		/* maps now: a short-lived child may be gone at the end */
		symbolizer__add_pid(c->sym, ev->pid);
		if (c->py && pysym__has_pid(c->py, (pid_t)ev->ppid))
			py_attach(c, ev->pid);
		break;
	case ZP_EV_EXEC:
		/* a new image: re-read at its next sample */
		c->execs++;
		pending_remove(c, ev->pid);
		if (c->py) {
			sampler__remove_py_proc(c->smp, ev->pid);
			pysym__drop_pid(c->py, (pid_t)ev->pid);
		}
		symbolizer__drop_pid(c->sym, (pid_t)ev->pid);
		if (c->failed[ev->pid % FAILED_PIDS] == ev->pid)
			c->failed[ev->pid % FAILED_PIDS] = 0;
		break;
	case ZP_EV_EXIT:
		/* symbols stay: the profile is built from them at the end */
		pending_remove(c, ev->pid);
		if (c->py)
			sampler__remove_py_proc(c->smp, ev->pid);
		child_remove(c, ev->pid);
		break;
	}
}

/* The leaf of a new stack lies outside every mapping we know of PID. */
static void maps_check(struct capture *c, const struct zp_sample *s)
{
	const uint64_t *words = (const uint64_t *)(s + 1);
	uint64_t now;
	uint32_t slot = s->pid % MAPS_SLOTS;

	if (!s->ustack_n ||
	    symbolizer__maps_cover(c->sym, s->pid, words[s->kstack_n]))
		return;
	now = (uint64_t)now_ns(CLOCK_MONOTONIC);
	if (c->maps_refresh[slot].pid == s->pid &&
	    now - c->maps_refresh[slot].last_ns < MAPS_REFRESH_NS)
		return;
	c->maps_refresh[slot].pid = s->pid;
	c->maps_refresh[slot].last_ns = now;
	symbolizer__refresh_pid(c->sym, s->pid);
}

static int on_sample(void *ctx, const struct zp_sample *s, size_t len)
{
	struct capture *c = ctx;
	uint32_t slot;
	int added;

	if (!symbolizer__has_pid(c->sym, s->pid)) {
		slot = s->pid % FAILED_PIDS;
		if (c->failed[slot] != s->pid &&
		    symbolizer__add_pid(c->sym, s->pid))
			c->failed[slot] = s->pid;
		else
			py_attach(c, s->pid);
	}
	/* with the uprobes, a miss is a thread outside Python (starting or
	 * ending): reading the thread list again would find nothing new */
	if (c->py && (s->flags & ZP_F_PY_MISS) &&
	    !sampler__has_py_probes(c->smp, s->pid))
		py_refresh(c, s->pid, PY_REFRESH_NS);
	if (c->npending && !s->pystack_n)
		py_retry(c, s->pid);
	/* a new stack: read its code objects while the process lives */
	added = aggregator__add(c->agg, s, len);
	if (added == 1 && s->pystack_n && c->py)
		pysym__prefetch(c->py, s->pid,
				(const uint64_t *)(s + 1) + s->kstack_n +
				    s->ustack_n,
				s->pystack_n);
	if (added == 1)
		maps_check(c, s);
	return 0;
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
		.cb = on_sample,
		.event_cb = on_event,
	};
	struct profile_build_opts bo = {};
	struct capture c = { .o = o };
	struct sampler *smp = NULL;
	struct epoll_event evs[16];
	uint64_t st[ZP_STAT__MAX];
	struct agg_stats as;
	int *pidfds = NULL;
	int ep = -1, sfd = -1, tfd = -1, err = 0, n, i;
	size_t alive = o->npids, k;
	int64_t t0, t0_real, last_reap;
	sigset_t mask;
	bool stop = false;

	memset(res, 0, sizeof(*res));
	c.agg = aggregator__new(o->max_stacks, o->max_stacks * 32);
	c.sym = symbolizer__new(&so);
	c.py = o->python ? pysym__new(NULL) : NULL;
	pidfds = malloc((o->npids + 1) * sizeof(*pidfds));
	c.children = malloc(MAX_CHILDREN * sizeof(*c.children));
	if (!c.agg || !c.sym || !pidfds || !c.children ||
	    (o->python && !c.py)) {
		err = -ENOMEM;
		log_error("out of memory setting up the capture");
		goto out;
	}
	for (k = 0; k < o->npids; k++)
		pidfds[k] = -1;

	/* maps first: a target that exits mid-capture still resolves */
	for (k = 0; k < o->npids; k++) {
		err = symbolizer__add_pid(c.sym, o->pids[k]);
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
	c.smp = smp;
	for (k = 0; k < o->npids; k++)
		py_attach(&c, o->pids[k]);
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
	last_reap = t0;
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
		if (c.nchildren &&
		    now_ns(CLOCK_MONOTONIC) - last_reap > 1000000000) {
			last_reap = now_ns(CLOCK_MONOTONIC);
			children_reap(&c);
		}
		/* after the drain: a child forked before its parent exited
		 * is known by now */
		if (!stop && !o->all && alive == 0 && c.nchildren == 0) {
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
	res->py_ts_cleared = st[ZP_STAT_PY_TS_CLEAR];
	res->py_probe_procs = c.probe_procs;
	res->children = c.children_total;
	res->execs = c.execs;
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
	bo.py = c.py;
	err = profile_build(p, c.agg, c.sym, &bo);
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
	free(c.children);
	if (sfd >= 0)
		close(sfd);
	if (ep >= 0)
		close(ep);
	symbolizer__free(c.sym);
	pysym__free(c.py);
	aggregator__free(c.agg);
	return err;
}
