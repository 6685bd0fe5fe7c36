// SPDX-License-Identifier: BSD-2-Clause
/*
 * Keeps zprofd's view of the sampled processes in step with them: see
 * include/tracker.h. Every table here is fixed-size; what does not fit is
 * dropped (a retry, a child to wait for), never grown.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "tracker.h"
#include "unwind_abi.h"

_Static_assert(PYPROC_THREAD_PROBES == SAMPLER_PY_PROBES,
	       "pyproc resolves the functions the sampler hooks");

/* pids whose maps could not be read, remembered so --all does not retry on
 * every sample of a process that exited or that we may not read */
#define FAILED_PIDS 1024

/* A thread the walker did not know triggers at most this many refreshes
 * of its process's thread list per second. */
#define PY_REFRESH_NS  (200 * 1000000ull)
#define PY_MAX_THREADS 256

/*
 * A target that is not (yet) a CPython we walk is looked at again, from its
 * samples, for this long: attaching while an interpreter starts up is
 * common, and its runtime is not readable until it has. The wait between
 * probes doubles from PY_RETRY_NS up to PY_RETRY_MAX_NS: an interpreter
 * that is starting is found within a few tenths of a second, and one that
 * takes long costs ten probes or so rather than a hundred.
 */
#define PY_RETRY_NS	(100 * 1000000ull)
#define PY_RETRY_MAX_NS (1600 * 1000000ull)
#define PY_RETRY_FOR_NS (10 * 1000000000ull)
#define PY_PENDING	64

/* --subprocesses: descendants alive at once that end-of-capture waits for */
#define MAX_CHILDREN 4096
/* A new stack whose leaf is outside every mapping we know (exec, dlopen,
 * mmap since the snapshot) re-reads the maps, this often per process. */
#define MAPS_REFRESH_NS (200 * 1000000ull)
#define MAPS_SLOTS	256

/* exited pids waiting for tracker__take_exited */
#define MAX_EXITED 4096

struct py_pending {
	uint32_t pid;
	uint64_t first_ns; /* first probe */
	uint64_t next_ns;  /* the next one is due */
	uint64_t wait_ns;  /* from the last probe to the next */
};

struct tracker {
	struct symbolizer *sym;
	struct pysym *py;
	struct sampler *smp;
	struct unwinder *unw;
	uint32_t failed[FAILED_PIDS];
	struct py_pending pending[PY_PENDING];
	size_t npending;
	uint32_t children[MAX_CHILDREN]; /* followed descendants alive */
	size_t nchildren;
	uint32_t exited[MAX_EXITED];
	size_t nexited;
	struct {
		uint32_t pid;
		uint64_t last_ns;
	} maps_refresh[MAPS_SLOTS];
	uint64_t last_reap_ns;
	struct tracker_stats st;
};

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct tracker *tracker__new(struct symbolizer *sym, struct pysym *py)
{
	struct tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->sym = sym;
	t->py = py;
	return t;
}

void tracker__free(struct tracker *t)
{
	if (!t)
		return;
	unwinder__free(t->unw);
	free(t);
}

void tracker__set_sampler(struct tracker *t, struct sampler *smp)
{
	t->smp = smp;
}

/* Pushes PID's current thread states to the walker's map. */
static void py_refresh(struct tracker *c, uint32_t pid, uint64_t min_ns)
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
static void py_start(struct tracker *c, uint32_t pid,
		     const struct zp_py_proc *cfg)
{
	uint64_t offsets[PYPROC_THREAD_PROBES];
	const char *path;
	char buf[4096];
	int err;

	if (sampler__set_py_proc(c->smp, pid, cfg))
		return;
	path = pysym__interp_path(c->py, pid);
	err = path ? pysym__thread_probe_offsets(c->py, pid, offsets) : -ENOENT;
	if (!err && (size_t)snprintf(buf, sizeof(buf), "/proc/%u/root%s", pid,
				     path) >= sizeof(buf))
		err = -ENAMETOOLONG;
	if (!err)
		err = sampler__attach_py_probes(c->smp, pid, buf, offsets);
	if (!err)
		c->st.probe_procs++;
	else
		log_debug("pid %u: no thread-state uprobes (%s); new "
			  "threads are found from their samples",
			  pid, strerror(-err));
	py_refresh(c, pid, 0);
}

static void pending_remove(struct tracker *c, uint32_t pid)
{
	size_t i;

	for (i = 0; i < c->npending; i++)
		if (c->pending[i].pid == pid)
			c->pending[i--] = c->pending[--c->npending];
}

/*
 * Starts walking PID's Python frames if it is a CPython we support. A
 * process that may still become one (interpreter starting, or its loader
 * not done mapping a libpython) is remembered and retried from its
 * samples; one that execs later starts over from its exec event.
 */
static void py_attach(struct tracker *c, uint32_t pid)
{
	const struct zp_py_proc *cfg;
	uint64_t now = (uint64_t)now_ns(CLOCK_MONOTONIC);
	int err;

	if (!c->py)
		return;
	err = pysym__add_pid(c->py, pid, &cfg);
	if ((err == -EAGAIN || err == -ENOENT) && c->npending < PY_PENDING)
		c->pending[c->npending++] = (struct py_pending){
			.pid = pid,
			.first_ns = now,
			.next_ns = now + PY_RETRY_NS,
			.wait_ns = PY_RETRY_NS,
		};
	if (!err)
		py_start(c, pid, cfg);
}

int tracker__start_unwinder(struct tracker *t)
{
	struct unwinder_opts uo = { .pool_rows = ZP_UNWIND_POOL_ROWS,
				    .max_rules = ZP_UNWIND_RULES };
	int rows, rules, procs, err;

	if (!t->smp || t->unw)
		return -EINVAL;
	err = sampler__unwind_fds(t->smp, &rows, &rules, &procs);
	if (err)
		return err;
	t->unw = unwinder__new(&uo, rows, rules, procs);
	if (!t->unw)
		return errno ? -errno : -ENOMEM;
	return 0;
}

void tracker__unwind_stats(const struct tracker *t, struct unwinder_stats *st)
{
	if (t->unw)
		unwinder__stats(t->unw, st);
	else
		memset(st, 0, sizeof(*st));
}

void tracker__attach(struct tracker *t, uint32_t pid)
{
	/* Python first: its offsets are quick to read, and tables for a
	 * big interpreter's libraries take a while */
	py_attach(t, pid);
	if (t->unw)
		unwinder__add_pid(t->unw, (pid_t)pid);
}

/*
 * Whether the process S sampled runs code other than its dynamic loader's.
 * The loader maps every library the executable needs before any other code
 * runs, so from then on a process with neither a Python executable nor a
 * libpython mapped (pysym says -ENOENT) will not become Python short of an
 * exec, whose event starts over, or a dlopen(), which is not waited for.
 * Only the sampled leaf is looked at, in the maps known for the process.
 */
static bool past_loader(struct tracker *c, const struct zp_sample *s)
{
	const uint64_t *words = (const uint64_t *)(s + 1);
	const char *base;
	struct sym_frame f;

	if (!s->ustack_n)
		return false;
	symbolizer__lookup_user(c->sym, s->pid, words[s->kstack_n], &f);
	if (!f.module || f.module->path[0] != '/')
		return false;
	/* glibc's ld-linux-x86-64.so.2 or ld-2.31.so, musl's ld-musl-*.so.1 */
	base = strrchr(f.module->path, '/') + 1;
	return strncmp(base, "ld-", 3) && strncmp(base, "ld.so", 5);
}

static void py_retry(struct tracker *c, const struct zp_sample *s)
{
	const struct zp_py_proc *cfg;
	struct py_pending *p;
	uint64_t now, end;
	size_t i;
	int err;

	for (i = 0; i < c->npending && c->pending[i].pid != s->pid; i++)
		;
	if (i == c->npending)
		return;
	p = &c->pending[i];
	now = (uint64_t)now_ns(CLOCK_MONOTONIC);
	if (now < p->next_ns)
		return;
	err = pysym__add_pid(c->py, s->pid, &cfg);
	if (!err)
		py_start(c, s->pid, cfg);
	end = p->first_ns + PY_RETRY_FOR_NS;
	if ((err != -EAGAIN && err != -ENOENT) ||
	    (err == -ENOENT && past_loader(c, s)) || now >= end) {
		*p = c->pending[--c->npending];
		return;
	}
	p->wait_ns *= 2;
	if (p->wait_ns > PY_RETRY_MAX_NS)
		p->wait_ns = PY_RETRY_MAX_NS;
	/* the last probe falls on the deadline */
	p->next_ns = now + p->wait_ns < end ? now + p->wait_ns : end;
}

static void child_remove(struct tracker *c, uint32_t pid)
{
	size_t i;

	for (i = 0; i < c->nchildren; i++)
		if (c->children[i] == pid) {
			c->children[i] = c->children[--c->nchildren];
			return;
		}
}

/* Children whose exit notice was lost (event ring full) still end. */
static void children_reap(struct tracker *c)
{
	size_t i;

	for (i = 0; i < c->nchildren; i++)
		if (kill((pid_t)c->children[i], 0) && errno == ESRCH)
			c->children[i--] = c->children[--c->nchildren];
}

void tracker__event(struct tracker *c, const struct zp_proc_event *ev)
{
	switch (ev->type) {
	case ZP_EV_FORK:
		c->st.children++;
		if (c->nchildren < MAX_CHILDREN)
			c->children[c->nchildren++] = ev->pid;
		/* maps now: a short-lived child may be gone at the end */
		symbolizer__add_pid(c->sym, ev->pid);
		if (c->unw)
			unwinder__add_pid(c->unw, (pid_t)ev->pid);
		if (c->py && pysym__has_pid(c->py, (pid_t)ev->ppid))
			py_attach(c, ev->pid);
		break;
	case ZP_EV_EXEC:
		/* a new image: re-read at its next sample */
		c->st.execs++;
		pending_remove(c, ev->pid);
		if (c->py) {
			sampler__remove_py_proc(c->smp, ev->pid);
			pysym__drop_pid(c->py, (pid_t)ev->pid);
		}
		symbolizer__drop_pid(c->sym, (pid_t)ev->pid);
		if (c->unw)
			unwinder__remove_pid(c->unw, (pid_t)ev->pid);
		if (c->failed[ev->pid % FAILED_PIDS] == ev->pid)
			c->failed[ev->pid % FAILED_PIDS] = 0;
		break;
	case ZP_EV_EXIT:
		/* symbols stay: the profile is built from them at the end */
		pending_remove(c, ev->pid);
		if (c->py)
			sampler__remove_py_proc(c->smp, ev->pid);
		if (c->unw)
			unwinder__remove_pid(c->unw, (pid_t)ev->pid);
		child_remove(c, ev->pid);
		c->st.exits++;
		if (c->nexited < MAX_EXITED)
			c->exited[c->nexited++] = ev->pid;
		break;
	}
}

/* The leaf of a new stack lies outside every mapping we know of PID. */
static void maps_check(struct tracker *c, const struct zp_sample *s)
{
	const uint64_t *words = (const uint64_t *)(s + 1);
	uint64_t now;
	uint32_t slot = s->pid % MAPS_SLOTS;

	/* the walker met a pc outside the mappings it was given, or the
	 * leaf is outside the symbolizer's snapshot */
	if (!(s->flags & ZP_F_UNW_NOMAP) &&
	    (!s->ustack_n ||
	     symbolizer__maps_cover(c->sym, s->pid, words[s->kstack_n])))
		return;
	now = (uint64_t)now_ns(CLOCK_MONOTONIC);
	if (c->maps_refresh[slot].pid == s->pid &&
	    now - c->maps_refresh[slot].last_ns < MAPS_REFRESH_NS)
		return;
	c->maps_refresh[slot].pid = s->pid;
	c->maps_refresh[slot].last_ns = now;
	c->st.maps_refreshes++;
	log_debug("pid %u: re-reading maps (%s 0x%llx)", s->pid,
		  s->flags & ZP_F_UNW_NOMAP ? "unknown pc below"
					    : "leaf outside them at",
		  s->ustack_n ? (unsigned long long)words[s->kstack_n] : 0ull);
	symbolizer__refresh_pid(c->sym, s->pid);
	if (c->unw)
		unwinder__add_pid(c->unw, (pid_t)s->pid);
}

void tracker__before(struct tracker *c, const struct zp_sample *s)
{
	uint32_t slot = s->pid % FAILED_PIDS;

	if (!symbolizer__has_pid(c->sym, s->pid) && c->failed[slot] != s->pid) {
		if (symbolizer__add_pid(c->sym, s->pid))
			c->failed[slot] = s->pid;
		else
			tracker__attach(c, s->pid);
	}
	/* with the uprobes, a miss is a thread outside Python (starting or
	 * ending): reading the thread list again would find nothing new */
	if (c->py && (s->flags & ZP_F_PY_MISS) &&
	    !sampler__has_py_probes(c->smp, s->pid))
		py_refresh(c, s->pid, PY_REFRESH_NS);
	if (c->npending && !s->pystack_n)
		py_retry(c, s);
}

void tracker__after(struct tracker *c, const struct zp_sample *s, int added)
{
	if (added != 1) {
		if (s->flags & ZP_F_UNW_NOMAP)
			maps_check(c, s);
		return;
	}
	/* a new stack: read its code objects while the process lives */
	if (s->pystack_n && c->py)
		pysym__prefetch(c->py, s->pid,
				(const uint64_t *)(s + 1) + s->kstack_n +
				    s->ustack_n,
				s->pystack_n);
	maps_check(c, s);
}

size_t tracker__children(struct tracker *c)
{
	int64_t now = now_ns(CLOCK_MONOTONIC);

	if (c->nchildren && now - (int64_t)c->last_reap_ns > 1000000000) {
		c->last_reap_ns = (uint64_t)now;
		children_reap(c);
	}
	return c->nchildren;
}

size_t tracker__take_exited(struct tracker *c, uint32_t *pids, size_t max)
{
	size_t n = c->nexited < max ? c->nexited : max;

	memcpy(pids, c->exited, n * sizeof(*pids));
	memmove(c->exited, c->exited + n, (c->nexited - n) * sizeof(*pids));
	c->nexited -= n;
	return n;
}

void tracker__stats(const struct tracker *c, struct tracker_stats *st)
{
	*st = c->st;
}
