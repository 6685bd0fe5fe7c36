/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symbolizer: turns sampled addresses into names. It owns a snapshot of each
 * known process's executable mappings (taken when the process is first seen,
 * so a process that exits before the capture ends still resolves), a bounded
 * cache of ELF symbol tables shared by every process that maps the same file
 * (keyed by build-id, else device+inode), and the kernel symbol table.
 *
 * All strings returned are borrowed from the symbolizer and stay valid until
 * symbolizer__free(), with one exception that bounded memory forces: what a
 * lookup returned for PID (its sym_module, module path, build-id, symbol
 * name) is released when PID's snapshot is, i.e. by symbolizer__drop_pid(PID)
 * or when symbolizer__add_pid() evicts PID as the least recently used of more
 * than max_procs snapshots. Lookups themselves never release anything, so
 * frames can be held from the lookups through writing the output as long as
 * no add_pid/drop_pid call happens in between. Kernel frames stay valid until
 * symbolizer__free().
 *
 * Not thread-safe: one thread drives a symbolizer.
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
	/*
	 * With kernel: do not load the whole kallsyms table up front; the
	 * caller names the addresses it will look up with
	 * symbolizer__load_kernel() (a one-shot capture, to stay small).
	 */
	bool kernel_lazy;
};

/* One mapping of a process, as /proc/PID/maps described it. */
struct sym_module {
	uint64_t start;
	uint64_t limit;
	uint64_t file_offset;
	/*
	 * As in maps, e.g. "/usr/lib/x86_64-linux-gnu/libc.so.6", "[vdso]",
	 * or "" for an anonymous mapping (JIT code); a " (deleted)" suffix is
	 * removed and reported in .deleted instead.
	 */
	const char *path;
	const char *build_id; /* lowercase hex, "" when unknown */
	bool deleted;	      /* the file was deleted (or replaced) */
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
/* Whether PID's snapshot has an executable mapping holding ADDR. */
bool symbolizer__maps_cover(const struct symbolizer *s, pid_t pid,
			    uint64_t addr);
/*
 * Take a new snapshot of PID's maps (after exec, mmap or dlopen). What was
 * looked up for PID before is released, as with symbolizer__drop_pid().
 */
int symbolizer__refresh_pid(struct symbolizer *s, pid_t pid);

/*
 * Resolve one user address of PID. For return addresses of non-leaf frames
 * the caller passes addr - 1 so call sites at a function's end resolve to the
 * caller. Always fills *out (name may be NULL).
 */
void symbolizer__lookup_user(struct symbolizer *s, pid_t pid, uint64_t addr,
			     struct sym_frame *out);
/*
 * Load only the kernel symbols needed for ADDRS (sorted ascending), replacing
 * any table loaded before; lookups of other addresses may then name a
 * nearby symbol wrongly, so pass every address that will be looked up.
 * 0 or -errno (the table is then left empty and frames stay unresolved).
 */
int symbolizer__load_kernel(struct symbolizer *s, const uint64_t *addrs,
			    size_t n);
void symbolizer__lookup_kernel(struct symbolizer *s, uint64_t addr,
			       struct sym_frame *out);

struct symbolizer_stats {
	uint64_t files_loaded;
	uint64_t files_evicted;
	uint64_t file_cache_hits;
	uint64_t procs_evicted;
	uint64_t lookups;
	uint64_t unresolved;
	uint64_t files_failed; /* not ELF, unreadable, or cache full */
	uint64_t files_cached; /* symbol tables held now */
	uint64_t files_bytes;  /* heap held by those tables */
	uint64_t procs;	       /* process snapshots held now */
};
void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *st);

/*
 * false when kernel symbols were not requested, could not be read, or
 * kptr_restrict hides their addresses (all 0): kernel frames then stay
 * unresolved, and the caller should say why.
 */
bool symbolizer__kernel_usable(const struct symbolizer *s);

#endif
