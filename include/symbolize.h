/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symbolizer: turns sampled addresses into names. It owns a snapshot of each
 * known process's executable mappings (taken when the process is first seen,
 * so a process that exits before the capture ends still resolves), a bounded
 * cache of ELF symbol tables shared by every process that maps the same file
 * (keyed by build-id, else device+inode), and the kernel symbol table.
 *
 * All strings returned are borrowed from the symbolizer and stay valid until
 * symbolizer__free().
 */
#ifndef ZPROFD_SYMBOLIZE_H
#define ZPROFD_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct symbolizer;

struct symbolizer_opts {
	const char *proc_root;	   /* NULL: "/proc" (tests point elsewhere) */
	const char *kallsyms_path; /* NULL: "/proc/kallsyms" */
	const char *debug_root;	   /* NULL: "/usr/lib/debug" */
	size_t max_files;	   /* symbol tables cached; 0: 256 */
	size_t max_procs;	   /* process snapshots kept; 0: 4096 */
	bool kernel;		   /* load kernel symbols */
};

/* One mapping of a process, as /proc/PID/maps described it. */
struct sym_module {
	uint64_t start;
	uint64_t limit;
	uint64_t file_offset;
	const char
	    *path; /* as in maps, e.g. "/usr/lib/x86_64-linux-gnu/libc.so.6" */
	const char *build_id; /* lowercase hex, "" when unknown */
};

struct sym_frame {
	const char *name;		 /* NULL when unresolved */
	const struct sym_module *module; /* NULL when no mapping covers addr */
	uint64_t module_offset; /* file offset of addr within module->path */
	uint64_t sym_offset;	/* addr - symbol start, when name != NULL */
};

struct symbolizer *symbolizer__new(const struct symbolizer_opts *opts);
void symbolizer__free(struct symbolizer *s);

/*
 * Snapshot PID's maps and comm and load (or share) the symbol tables of its
 * executable mappings. Idempotent; -ENOENT/-ESRCH when the process is gone,
 * -EACCES when we may not read it.
 */
int symbolizer__add_pid(struct symbolizer *s, pid_t pid);
bool symbolizer__has_pid(const struct symbolizer *s, pid_t pid);
/* Process name from the snapshot ("" when unknown). */
const char *symbolizer__comm(const struct symbolizer *s, pid_t pid);
/* Forget a process (daemon mode, after exit). */
void symbolizer__drop_pid(struct symbolizer *s, pid_t pid);

/*
 * Resolve one user address of PID. For return addresses of non-leaf frames
 * the caller passes addr - 1 so call sites at a function's end resolve to the
 * caller. Always fills *out (name may be NULL).
 */
void symbolizer__lookup_user(struct symbolizer *s, pid_t pid, uint64_t addr,
			     struct sym_frame *out);
void symbolizer__lookup_kernel(struct symbolizer *s, uint64_t addr,
			       struct sym_frame *out);

struct symbolizer_stats {
	uint64_t files_loaded;
	uint64_t files_evicted;
	uint64_t file_cache_hits;
	uint64_t procs_evicted;
	uint64_t lookups;
	uint64_t unresolved;
};
void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *st);

#endif
