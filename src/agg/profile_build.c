// SPDX-License-Identifier: BSD-2-Clause
/*
 * Raw stacks -> symbolized profile. Kernel frames come first in a record
 * (leaf first), then user frames (leaf first), so a sample's location list
 * is already pprof's leaf-to-root order. Every frame but the very first of
 * a stack is a return address: it is looked up at addr - 1 so that a call
 * that is the last instruction of a function resolves to that function
 * rather than to the next one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_build.h"

/* One extra slot for the "[truncated]" marker frame. */
#define MAX_LOCS (ZP_MAX_KSTACK + ZP_MAX_USTACK + ZP_MAX_PYSTACK + 1)

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

static uint32_t module_mapping(struct profile *p, const struct sym_module *m)
{
	return profile__mapping(p, m->start, m->limit, m->file_offset, m->path,
				m->build_id);
}

/* Looks up ADDR (a return address unless LEAF) of PID into *F. */
static void lookup_user(struct symbolizer *sym, uint32_t pid, uint64_t addr,
			bool leaf, struct sym_frame *f)
{
	symbolizer__lookup_user(sym, pid, leaf || !addr ? addr : addr - 1, f);
}

/* The location of ADDR, which lookup_user() resolved to *F. */
static uint32_t frame_location(struct profile *p, const struct sym_frame *f,
			       uint64_t addr, bool leaf)
{
	uint32_t map = 0, fn;
	char name[320];

	if (f->module)
		map = module_mapping(p, f->module);
	if (f->name) {
		fn = profile__function(p, f->name, f->name,
				       f->module ? f->module->path : "", 0);
	} else {
		if (f->module)
			snprintf(name, sizeof(name), "%s+0x%" PRIx64,
				 base_name(f->module->path),
				 f->module_offset + (leaf || !addr ? 0 : 1));
		else
			snprintf(name, sizeof(name), "[unknown]+0x%" PRIx64,
				 addr);
		fn = profile__function(p, name, name,
				       f->module ? f->module->path : "", 0);
	}
	return profile__location(p, map, addr, fn, 0, PF_FRAME_NATIVE);
}

static uint32_t user_location(struct profile *p, struct symbolizer *sym,
			      uint32_t pid, uint64_t addr, bool leaf)
{
	struct sym_frame f;

	lookup_user(sym, pid, addr, leaf, &f);
	return frame_location(p, &f, addr, leaf);
}

static uint32_t kernel_location(struct profile *p, struct symbolizer *sym,
				uint64_t addr, bool leaf)
{
	struct sym_frame f;
	uint32_t map = 0, fn;
	char name[64];

	symbolizer__lookup_kernel(sym, leaf ? addr : addr - 1, &f);
	if (f.module)
		map = module_mapping(p, f.module);
	if (f.name) {
		fn = profile__function(p, f.name, f.name, "[kernel.kallsyms]",
				       0);
	} else {
		snprintf(name, sizeof(name), "[kernel]+0x%" PRIx64, addr);
		fn = profile__function(p, name, name, "[kernel.kallsyms]", 0);
	}
	return profile__location(p, map, addr, fn, 0, PF_FRAME_KERNEL);
}

/* Whether ADDR is code at all: below a native leaf the frame pointer walk
 * through an interpreter built without frame pointers yields data. */
static bool in_executable(struct symbolizer *sym, uint32_t pid, uint64_t addr)
{
	struct sym_frame f;

	symbolizer__lookup_user(sym, pid, addr, &f);
	return f.module != NULL;
}

static uint32_t python_location(struct profile *p, struct pysym *py,
				uint32_t pid, uint64_t code, uint64_t word)
{
	struct pysym_frame f;
	uint32_t fn;

	pysym__frame(py, pid, code, word, &f);
	if (!f.qualname) {
		fn = profile__function(p, "[unknown Python code]", NULL, "", 0);
		return profile__location(p, 0, 0, fn, 0, PF_FRAME_PYTHON);
	}
	/* no system name: pprof would run its C++ demangler on it */
	fn = profile__function(p, f.qualname, NULL, f.filename, f.firstlineno);
	return profile__location(p, 0, 0, fn, f.line, PF_FRAME_PYTHON);
}

static uint32_t marker_location(struct profile *p, const char *what)
{
	uint32_t fn = profile__function(p, what, what, "", 0);

	return profile__location(p, 0, 0, fn, 0, PF_FRAME_NATIVE);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Hands the symbolizer every kernel address the build will look up, so it
 * loads just those symbols rather than all of kallsyms.
 */
static int load_kernel_symbols(const struct aggregator *agg,
			       struct symbolizer *sym)
{
	size_t i, k, n = 0, total = 0, count = aggregator__count(agg);
	uint64_t *addrs;
	int err;

	for (i = 0; i < count; i++)
		total += aggregator__entry(agg, i)->kstack_n;
	if (!total)
		return 0;
	addrs = malloc(total * sizeof(*addrs));
	if (!addrs)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		const struct agg_entry *e = aggregator__entry(agg, i);
		const uint64_t *w = aggregator__frames(agg, e);

		for (k = 0; k < e->kstack_n; k++)
			addrs[n++] = k == 0 ? w[k] : w[k] - 1;
	}
	qsort(addrs, n, sizeof(*addrs), cmp_u64);
	err = symbolizer__load_kernel(sym, addrs, n);
	free(addrs);
	return err == -EINVAL ? 0
			      : err; /* -EINVAL: kernel symbols not wanted */
}

/* Whether the frame lookup_user() resolved to *F is in the eval loop. */
static bool is_eval(const struct sym_frame *f)
{
	static const char eval[] = "_PyEval_EvalFrameDefault";

	/* ".cold": the part gcc moves out of line */
	return f->name && !strncmp(f->name, eval, sizeof(eval) - 1) &&
	       (!f->name[sizeof(eval) - 1] || f->name[sizeof(eval) - 1] == '.');
}

/*
 * Kernel, native and Python frames as one stack, leaf first: each eval
 * loop activation on the native stack is preceded (leaf side) by the
 * Python frames it ran, so C called from Python, and Python called back
 * from that C, read in the order they happened. Needs a complete native
 * stack (unwind tables) and an untruncated Python one; 0 when it could
 * not merge and the caller should build the short form instead.
 */
static uint32_t merged(struct profile *p, struct symbolizer *sym,
		       struct pysym *py, const struct agg_entry *e,
		       const uint64_t *w, uint32_t *locs, uint32_t nl,
		       bool hide)
{
	const uint64_t *uw = w + e->kstack_n, *pyw = uw + e->ustack_n;
	enum pysym_activation act = pysym__activation(py, e->pid);
	uint32_t k, j = 0, n = e->pystack_n, used_eval = 0;

	if (!(e->flags & ZP_F_UNWIND) ||
	    (e->flags & (ZP_F_USTACK_TRUNC | ZP_F_PYSTACK_TRUNC)) ||
	    act == PYSYM_ACT_UNKNOWN)
		return 0;
	for (k = 0; k < e->ustack_n && nl < MAX_LOCS - n; k++) {
		bool leaf = k == 0 && !(e->flags & ZP_F_IN_KERNEL);
		bool show = !hide || !pysym__in_interpreter(py, e->pid, uw[k]);
		struct sym_frame f;

		/* one lookup serves both the eval test and the location */
		if (j < n || show)
			lookup_user(sym, e->pid, uw[k], leaf, &f);
		if (j < n && is_eval(&f)) {
			/* this activation's frames, innermost first */
			while (act == PYSYM_ACT_SHIM && j < n && !pyw[2 * j])
				j++;
			while (j < n) {
				uint64_t code = pyw[2 * j],
					 word = pyw[2 * j + 1];

				j++;
				if (!code)
					break; /* a shim closes it */
				locs[nl++] =
				    python_location(p, py, e->pid, code, word);
				if (act == PYSYM_ACT_PER_FRAME ||
				    (act == PYSYM_ACT_ENTRY_BIT &&
				     (word & ZP_PYWORD_ENTRY)))
					break;
			}
			used_eval++;
		}
		if (show)
			locs[nl++] = frame_location(p, &f, uw[k], leaf);
	}
	/* Python frames no eval frame claimed: the stacks disagree */
	for (; j < n; j++)
		if (pyw[2 * j])
			return 0;
	return used_eval ? nl : 0;
}

int profile_build(struct profile *p, const struct aggregator *agg,
		  struct symbolizer *sym, const struct profile_build_opts *o)
{
	uint32_t locs[MAX_LOCS];
	size_t i, n = aggregator__count(agg);
	int err;

	if (o->kernel_subset)
		load_kernel_symbols(agg,
				    sym); /* failures leave frames unresolved */
	p->period_ns = o->period_ns;
	p->duration_ns = o->duration_ns;
	p->time_ns = o->time_ns;

	for (i = 0; i < n; i++) {
		const struct agg_entry *e = aggregator__entry(agg, i);
		const uint64_t *w = aggregator__frames(agg, e);
		const char *comm;
		uint32_t nl = 0, k;

		if (o->only_pid && e->pid != o->only_pid)
			continue;
		const uint64_t *pyw = w + e->kstack_n + e->ustack_n;
		bool python = o->py && e->pystack_n;

		for (k = 0; k < e->kstack_n; k++)
			locs[nl++] = kernel_location(p, sym, w[k], k == 0);
		if (python && (k = merged(p, sym, o->py, e, w, locs, nl,
					  o->hide_interpreter))) {
			nl = k;
			goto add;
		}
		for (k = 0; k < e->ustack_n; k++) {
			/* the user leaf is exact only when the tick hit in
			 * user mode; from a syscall it is a return address */
			bool leaf = k == 0 && !(e->flags & ZP_F_IN_KERNEL);
			uint64_t addr = w[e->kstack_n + k];

			/*
			 * With Python frames, native frames count from the
			 * leaf down to the interpreter; below that the
			 * Python frames tell the story (the interpreter is
			 * built without frame pointers, so what a frame
			 * pointer walk finds there is not a stack).
			 */
			if (python &&
			    (pysym__in_interpreter(o->py, e->pid, addr) ||
			     !in_executable(sym, e->pid, addr)))
				break;
			locs[nl++] = user_location(p, sym, e->pid, addr, leaf);
		}
		for (k = 0; python && k < e->pystack_n; k++)
			if (pyw[2 * k]) /* 0: interpreter-owned frame */
				locs[nl++] =
				    python_location(p, o->py, e->pid,
						    pyw[2 * k], pyw[2 * k + 1]);
		if (e->flags &
		    (python ? ZP_F_PYSTACK_TRUNC : ZP_F_USTACK_TRUNC))
			locs[nl++] = marker_location(p, "[truncated]");
	add:
		comm = symbolizer__comm(sym, e->pid);
		if (!comm || !*comm)
			comm = e->comm;
		err = profile__add_sample(p, locs, nl, (int64_t)e->count,
					  e->pid, e->tid, comm, e->comm);
		if (err)
			return err;
	}
	return profile__status(p);
}
