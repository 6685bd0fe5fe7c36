/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * unwinder: feeds the BPF walker of native stacks (walk_native in
 * bpf/sampler.bpf.c) the unwind tables of every executable mapping of the
 * processes it is told about.
 *
 * Tables are built from each file's .eh_frame (src/unwind/ehtable.c) once
 * per file identity (device + inode, as /proc/PID/maps gives them; another
 * file with the same build-id, such as a library in another container image
 * layer, shares its table too), shared by every process that maps the file,
 * and copied into one row pool in the
 * kernel, where each table is a contiguous range. The pool and the table
 * count are fixed at startup; a table no process uses any more is kept
 * until its room is needed (least recently used first), so a restarted
 * service finds its tables still loaded. Per process, the walker gets the
 * sorted list of its executable mappings with a pointer into the pool.
 *
 * All calls come from one thread. The map fds are borrowed from the
 * sampler and must outlive the unwinder.
 */
#ifndef ZPROFD_UNWINDER_H
#define ZPROFD_UNWINDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct unwinder_opts {
	const char *proc_root; /* NULL: "/proc" */
	size_t pool_rows;      /* rows the kernel pool holds (its map size) */
	size_t max_rules;      /* the rules map's size */
	size_t max_tables;     /* files with a table at once; 0: 1024 */
	size_t max_procs;      /* processes at once; 0: 1024 */
};

struct unwinder_stats {
	uint64_t procs;	       /* processes with tables in the kernel */
	uint64_t tables;       /* files with a table loaded */
	uint64_t rows_used;    /* pool rows those tables take */
	uint64_t pool_rows;    /* pool size */
	uint64_t rules;	       /* distinct rules */
	uint64_t builds;       /* tables built from files */
	uint64_t build_errors; /* files without usable CFI, or unreadable */
	uint64_t build_ns;     /* time spent building (and loading) them */
	uint64_t evictions;    /* unused tables dropped to make room */
	uint64_t no_room;      /* tables that did not fit even then */
	uint64_t maps_dropped; /* mappings past ZP_UNWIND_MAX_MAPS */
	uint64_t shared_by_build_id; /* another inode, same build-id: reused */
};

struct unwinder;

struct unwinder *unwinder__new(const struct unwinder_opts *o, int rows_fd,
			       int rules_fd, int procs_fd);
void unwinder__free(struct unwinder *u);
/*
 * Read PID's maps and give the walker its mappings, building the tables it
 * lacks. Again for a known PID (exec, dlopen): the mappings are replaced.
 * 0, or -errno (-ESRCH: gone); a file without tables is not an error, its
 * frames are walked with frame pointers.
 */
int unwinder__add_pid(struct unwinder *u, pid_t pid);
/* Forget PID (exit or exec); its tables stay loaded until room is needed. */
void unwinder__remove_pid(struct unwinder *u, pid_t pid);
void unwinder__stats(const struct unwinder *u, struct unwinder_stats *st);

#endif
