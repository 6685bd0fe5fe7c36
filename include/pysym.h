/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pysym: the Python side of symbolization. It keeps a struct pyproc for each
 * CPython process seen (bounded), hands the in-kernel walker its offsets and
 * thread states, and turns the walker's (code object, instruction) pairs into
 * qualname, file and line. Code objects are read the first time a stack
 * that holds them is seen, while the process is still alive, and cached per
 * (pid, address), validated by the walker's tag so a code object freed and
 * reused at the same address is read again, not misnamed.
 *
 * Strings returned are borrowed and valid until the entry is evicted or
 * pysym__free(); profile building copies them right away.
 */
#ifndef ZPROFD_PYSYM_H
#define ZPROFD_PYSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pyproc.h"
#include "sample_abi.h"

struct pysym;

struct pysym_opts {
	const char *proc_root; /* NULL: "/proc" */
	size_t max_procs;      /* Python processes tracked; 0: 256 */
	size_t max_codes;      /* code objects cached; 0: 65536 */
};

struct pysym_frame {
	const char *qualname; /* NULL when the code object is unknown */
	const char *filename;
	int firstlineno;
	int line; /* 0 when the instruction has no line */
};

struct pysym_stats {
	uint64_t procs;		/* Python processes tracked now */
	uint64_t procs_refused; /* unsupported or failed cross-checks */
	uint64_t codes;		/* code objects cached */
	uint64_t code_reads;	/* code objects read from targets */
	uint64_t code_read_errors;
	uint64_t codes_evicted;
	uint64_t thread_refreshes;
};

struct pysym *pysym__new(const struct pysym_opts *opts);
void pysym__free(struct pysym *ps);

/*
 * Detect CPython in PID. 0 and *cfg (borrowed) when it is one we walk;
 * -ENOENT when it is not Python; other errors (unsupported version, failed
 * cross-check: logged once with the reason) leave the process native-only.
 */
int pysym__add_pid(struct pysym *ps, pid_t pid, const struct zp_py_proc **cfg);
bool pysym__has_pid(const struct pysym *ps, pid_t pid);
/*
 * How PID's interpreter nests Python frames in C calls of its eval loop,
 * innermost first as the walker sends them: which frames one
 * _PyEval_EvalFrameDefault activation ran.
 */
enum pysym_activation {
	PYSYM_ACT_UNKNOWN = 0,
	PYSYM_ACT_PER_FRAME, /* <= 3.10: one frame object per activation */
	PYSYM_ACT_ENTRY_BIT, /* 3.11: ZP_PYWORD_ENTRY marks the outermost */
	PYSYM_ACT_SHIM,	     /* 3.12+: an interpreter-owned frame (code 0)
				closes each activation */
};
enum pysym_activation pysym__activation(const struct pysym *ps, pid_t pid);

/* Path of PID's mapped interpreter file (as the target sees it), or NULL. */
const char *pysym__interp_path(const struct pysym *ps, pid_t pid);
/*
 * File offsets in that file of the functions the thread-state uprobes hook
 * (see pyproc__thread_probe_offsets()). 0, or -ENOENT.
 */
int pysym__thread_probe_offsets(const struct pysym *ps, pid_t pid,
				uint64_t off[PYPROC_THREAD_PROBES]);
void pysym__drop_pid(struct pysym *ps, pid_t pid);

/*
 * Current thread states of PID: thread ids (the BPF key) and tstates, at
 * most max. -EAGAIN when called again within min_interval_ns of the last
 * refresh (rate limit for refreshes triggered by samples).
 */
int pysym__threads(struct pysym *ps, pid_t pid, uint64_t now_ns,
		   uint64_t min_interval_ns, uint64_t *thread_ids,
		   uint64_t *tstates, size_t max, size_t *n);

/* Read the code objects of N walker frames (2 words each) not yet cached. */
void pysym__prefetch(struct pysym *ps, pid_t pid, const uint64_t *words,
		     size_t n);

/* Resolve one walker frame. Always fills *out (qualname NULL if unknown). */
void pysym__frame(struct pysym *ps, pid_t pid, uint64_t code, uint64_t word,
		  struct pysym_frame *out);

/* Whether ADDR lies in the interpreter's executable mappings of PID. */
bool pysym__in_interpreter(const struct pysym *ps, pid_t pid, uint64_t addr);

void pysym__stats(const struct pysym *ps, struct pysym_stats *st);

#endif
