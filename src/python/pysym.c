// SPDX-License-Identifier: BSD-2-Clause
/*
 * Python symbolization state. Processes live in a small array (linear
 * search: a host runs few Python interpreters compared to the cost of one
 * lookup, and lookups happen per new stack, not per sample). Code objects
 * live in a fixed array with a chained hash over it and are evicted in
 * insertion order (FIFO) once the array is full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "procmaps.h"
#include "pyline.h"
#include "pyproc.h"
#include "pysym.h"

#define MAX_INTERP_RANGES 8
#define NO_ENTRY	  UINT32_MAX

struct py_proc_entry {
	pid_t pid;
	struct pyproc *pp;
	enum pyline_format fmt;
	unsigned minor;
	uint64_t last_refresh_ns;
	size_t nranges;
	uint64_t lo[MAX_INTERP_RANGES], hi[MAX_INTERP_RANGES];
};

struct code_entry {
	pid_t pid; /* 0: free */
	uint64_t addr;
	uint32_t next; /* hash chain */
	struct py_code code;
};

struct pysym {
	char *proc_root;
	struct py_proc_entry *procs;
	size_t nprocs, max_procs;
	struct code_entry *codes;
	uint32_t *buckets;
	size_t max_codes, nbuckets, fifo; /* fifo: next slot to (re)use */
	struct pysym_stats st;
};

struct pysym *pysym__new(const struct pysym_opts *o)
{
	struct pysym_opts def = { 0 };
	struct pysym *ps;
	size_t i;

	if (!o)
		o = &def;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return NULL;
	ps->max_procs = o->max_procs ? o->max_procs : 256;
	ps->max_codes = o->max_codes ? o->max_codes : 65536;
	ps->nbuckets = 1;
	while (ps->nbuckets < ps->max_codes)
		ps->nbuckets <<= 1;
	ps->proc_root = strdup(o->proc_root ? o->proc_root : "/proc");
	ps->procs = calloc(ps->max_procs, sizeof(*ps->procs));
	ps->codes = calloc(ps->max_codes, sizeof(*ps->codes));
	ps->buckets = malloc(ps->nbuckets * sizeof(*ps->buckets));
	if (!ps->proc_root || !ps->procs || !ps->codes || !ps->buckets) {
		pysym__free(ps);
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < ps->nbuckets; i++)
		ps->buckets[i] = NO_ENTRY;
	return ps;
}

static void code_free(struct code_entry *e)
{
	py_code__release(&e->code);
	e->pid = 0;
}

void pysym__free(struct pysym *ps)
{
	size_t i;

	if (!ps)
		return;
	for (i = 0; ps->codes && i < ps->max_codes; i++)
		if (ps->codes[i].pid)
			code_free(&ps->codes[i]);
	for (i = 0; i < ps->nprocs; i++)
		pyproc__free(ps->procs[i].pp);
	free(ps->codes);
	free(ps->buckets);
	free(ps->procs);
	free(ps->proc_root);
	free(ps);
}

static struct py_proc_entry *find_proc(const struct pysym *ps, pid_t pid)
{
	size_t i;

	for (i = 0; i < ps->nprocs; i++)
		if (ps->procs[i].pid == pid)
			return &ps->procs[i];
	return NULL;
}

bool pysym__has_pid(const struct pysym *ps, pid_t pid)
{
	return find_proc(ps, pid) != NULL;
}

/* The interpreter file's executable mappings: where the eval loop runs. */
static void load_ranges(struct pysym *ps, struct py_proc_entry *e)
{
	const char *path = pyproc__path(e->pp);
	struct procmaps *m;
	size_t i;

	m = procmaps__load(ps->proc_root, e->pid, PROCMAPS_EXEC_ONLY);
	if (!m)
		return;
	for (i = 0; i < procmaps__count(m) && e->nranges < MAX_INTERP_RANGES;
	     i++) {
		const struct procmaps_entry *me = procmaps__entry(m, i);

		if (me->path && !strcmp(me->path, path)) {
			e->lo[e->nranges] = me->start;
			e->hi[e->nranges++] = me->limit;
		}
	}
	procmaps__free(m);
}

int pysym__add_pid(struct pysym *ps, pid_t pid, const struct zp_py_proc **cfg)
{
	struct py_proc_entry *e = find_proc(ps, pid);
	const char *why = NULL;
	struct pyproc *pp;
	int err;

	if (e) {
		*cfg = pyproc__bpf_config(e->pp);
		return 0;
	}
	if (ps->nprocs == ps->max_procs)
		return -ENOSPC;
	err = pyproc__open(pid, ps->proc_root, &pp, &why);
	if (err == -ENOENT || err == -ESRCH)
		return err;
	if (err) {
		ps->st.procs_refused++;
		if (err != -EAGAIN)
			log_warn("pid %d: Python stacks off, native only: %s",
				 (int)pid, why ? why : strerror(-err));
		return err;
	}
	e = &ps->procs[ps->nprocs];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->pp = pp;
	e->minor = pyproc__version(pp) & 0xff;
	if (pyline_format_for(e->minor, &e->fmt)) {
		pyproc__free(pp);
		ps->st.procs_refused++;
		return -ENOTSUP;
	}
	load_ranges(ps, e);
	ps->nprocs++;
	ps->st.procs++;
	log_info("pid %d: CPython 3.%u, walking Python stacks", (int)pid,
		 e->minor);
	*cfg = pyproc__bpf_config(pp);
	return 0;
}

static uint32_t bucket_of(const struct pysym *ps, pid_t pid, uint64_t addr)
{
	uint64_t h = (addr >> 4) * 0x9e3779b97f4a7c15ull ^ (uint64_t)pid;

	return (uint32_t)((h ^ (h >> 31)) & (ps->nbuckets - 1));
}

static void unlink_code(struct pysym *ps, uint32_t idx)
{
	struct code_entry *e = &ps->codes[idx];
	uint32_t *link = &ps->buckets[bucket_of(ps, e->pid, e->addr)];

	while (*link != NO_ENTRY && *link != idx)
		link = &ps->codes[*link].next;
	if (*link == idx)
		*link = e->next;
	code_free(e);
}

enum pysym_activation pysym__activation(const struct pysym *ps, pid_t pid)
{
	const struct py_proc_entry *e = find_proc(ps, pid);
	unsigned v = e ? pyproc__version(e->pp) : 0;

	if (!v)
		return PYSYM_ACT_UNKNOWN;
	if (v <= 0x030a)
		return PYSYM_ACT_PER_FRAME;
	return v == 0x030b ? PYSYM_ACT_ENTRY_BIT : PYSYM_ACT_SHIM;
}

const char *pysym__interp_path(const struct pysym *ps, pid_t pid)
{
	const struct py_proc_entry *e = find_proc(ps, pid);

	return e ? pyproc__path(e->pp) : NULL;
}

int pysym__thread_probe_offsets(const struct pysym *ps, pid_t pid,
				uint64_t off[PYPROC_THREAD_PROBES])
{
	const struct py_proc_entry *e = find_proc(ps, pid);

	return e ? pyproc__thread_probe_offsets(e->pp, off) : -ENOENT;
}

void pysym__drop_pid(struct pysym *ps, pid_t pid)
{
	struct py_proc_entry *e = find_proc(ps, pid);
	size_t i;

	if (!e)
		return;
	for (i = 0; i < ps->max_codes; i++)
		if (ps->codes[i].pid == pid)
			unlink_code(ps, (uint32_t)i);
	pyproc__free(e->pp);
	*e = ps->procs[--ps->nprocs];
}

int pysym__threads(struct pysym *ps, pid_t pid, uint64_t now_ns,
		   uint64_t min_interval_ns, uint64_t *thread_ids,
		   uint64_t *tstates, size_t max, size_t *n)
{
	struct py_proc_entry *e = find_proc(ps, pid);
	struct py_thread th[256];
	size_t i, got = 0;
	int err;

	*n = 0;
	if (!e)
		return -ENOENT;
	if (e->last_refresh_ns && now_ns - e->last_refresh_ns < min_interval_ns)
		return -EAGAIN;
	e->last_refresh_ns = now_ns;
	ps->st.thread_refreshes++;
	if (max > sizeof(th) / sizeof(th[0]))
		max = sizeof(th) / sizeof(th[0]);
	err = pyproc__threads(e->pp, th, max, &got);
	if (err && err != -ENOSPC)
		return err;
	for (i = 0; i < got; i++) {
		thread_ids[i] = th[i].thread_id;
		tstates[i] = th[i].tstate;
	}
	*n = got;
	return 0;
}

static struct code_entry *find_code(struct pysym *ps, pid_t pid, uint64_t addr)
{
	uint32_t i = ps->buckets[bucket_of(ps, pid, addr)];

	while (i != NO_ENTRY) {
		if (ps->codes[i].pid == pid && ps->codes[i].addr == addr)
			return &ps->codes[i];
		i = ps->codes[i].next;
	}
	return NULL;
}

static struct code_entry *read_code(struct pysym *ps, struct py_proc_entry *pe,
				    uint64_t addr)
{
	struct py_code c;
	struct code_entry *e;
	uint32_t idx, b;

	ps->st.code_reads++;
	if (pyproc__read_code(pe->pp, addr, &c)) {
		ps->st.code_read_errors++;
		return NULL;
	}
	idx = (uint32_t)ps->fifo;
	ps->fifo = (ps->fifo + 1) % ps->max_codes;
	if (ps->codes[idx].pid) {
		unlink_code(ps, idx);
		ps->st.codes_evicted++;
	} else {
		ps->st.codes++;
	}
	e = &ps->codes[idx];
	e->pid = pe->pid;
	e->addr = addr;
	e->code = c;
	b = bucket_of(ps, pe->pid, addr);
	e->next = ps->buckets[b];
	ps->buckets[b] = idx;
	return e;
}

/* The cached entry for a frame, read again when the tag says the address
 * now holds another code object. */
static struct code_entry *code_for(struct pysym *ps, struct py_proc_entry *pe,
				   uint64_t addr, uint32_t tag)
{
	struct code_entry *e = find_code(ps, pe->pid, addr);

	if (e && e->code.tag == tag)
		return e;
	if (e)
		unlink_code(ps, (uint32_t)(e - ps->codes));
	return read_code(ps, pe, addr);
}

void pysym__prefetch(struct pysym *ps, pid_t pid, const uint64_t *words,
		     size_t n)
{
	struct py_proc_entry *pe = find_proc(ps, pid);
	size_t i;

	if (!pe)
		return;
	for (i = 0; i < n; i++)
		if (words[2 * i])
			code_for(
			    ps, pe, words[2 * i],
			    (uint32_t)((words[2 * i + 1] & ~ZP_PYWORD_ENTRY) >>
				       32));
}

void pysym__frame(struct pysym *ps, pid_t pid, uint64_t code, uint64_t word,
		  struct pysym_frame *out)
{
	struct py_proc_entry *pe = find_proc(ps, pid);
	uint32_t instr = (uint32_t)word,
		 tag = (uint32_t)((word & ~ZP_PYWORD_ENTRY) >> 32);
	struct code_entry *e = NULL;
	int line;

	memset(out, 0, sizeof(*out));
	if (!pe || !code)
		return;
	e = find_code(ps, pid, code);
	if (!e || e->code.tag != tag)
		e = code_for(ps, pe, code, tag); /* process may still be up */
	if (!e)
		return;
	out->qualname = e->code.qualname;
	out->filename = e->code.filename;
	out->firstlineno = e->code.firstlineno;
	/* a frame that has not started yet reports -1 (<=3.10) */
	if (instr == UINT32_MAX)
		instr = 0;
	if (!pyline_lookup(pe->fmt, e->code.table, e->code.table_len,
			   e->code.firstlineno, instr, &line))
		out->line = line;
}

bool pysym__in_interpreter(const struct pysym *ps, pid_t pid, uint64_t addr)
{
	const struct py_proc_entry *e = find_proc(ps, pid);
	size_t i;

	for (i = 0; e && i < e->nranges; i++)
		if (addr >= e->lo[i] && addr < e->hi[i])
			return true;
	return false;
}

void pysym__stats(const struct pysym *ps, struct pysym_stats *st)
{
	*st = ps->st;
	/* held now, not ever added: a daemon drops the ones that exit */
	st->procs = ps->nprocs;
}
