/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symcache: ELF symbol tables shared by every process that maps the same
 * file. A table is keyed by the file's GNU build-id (so the same library in
 * two containers' filesystems is loaded once), else by device, inode, size
 * and mtime. At most max_files tables are held; each handed-out entry is
 * referenced until symcache__put(), and only unreferenced entries are
 * evicted, least recently released first. When every entry is referenced a
 * new file is refused (ENOSPC) rather than growing past the bound.
 *
 * Not thread-safe.
 */
#ifndef ZPROFD_SYMCACHE_H
#define ZPROFD_SYMCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "elfsyms.h"

struct symcache;
struct symcache_entry;

struct symcache_stats {
	uint64_t loaded;  /* tables built from a file or image */
	uint64_t hits;	  /* gets answered by an existing entry */
	uint64_t evicted; /* unreferenced entries dropped for room */
	uint64_t failed;  /* not ELF, unreadable, or no room (ENOSPC) */
	size_t entries;	  /* held now */
	size_t mem_bytes; /* heap held by the tables */
};

/*
 * MAX_FILES 0 means 256. DEBUG_ROOT is copied (NULL: "/usr/lib/debug", "":
 * no separate debug files). NULL and errno on failure.
 */
struct symcache *symcache__new(size_t max_files, const char *debug_root);
/* Frees every table; entries still referenced become invalid. */
void symcache__free(struct symcache *c);

/*
 * The table of the ELF file open at FD (borrowed), loading it on a miss.
 * PATH is the file's name in its process (for .gnu_debuglink); ROOT_FD, when
 * >= 0, the root directory PATH is relative to (see elfsyms_opts). The entry
 * is referenced: give it back with symcache__put(). NULL and errno (ENOEXEC,
 * ENOSPC, ENOMEM, or an I/O error) on failure.
 */
struct symcache_entry *symcache__get_fd(struct symcache *c, int fd,
					const char *path, int root_fd);
/* The same for an ELF image in memory (the vDSO); BUF is borrowed. */
struct symcache_entry *symcache__get_mem(struct symcache *c, const void *buf,
					 size_t len);
/* Drop one reference; NULL is ignored. */
void symcache__put(struct symcache *c, struct symcache_entry *e);

/* Borrowed; valid while E is referenced. */
const struct elfsyms *symcache_entry__syms(const struct symcache_entry *e);

void symcache__stats(const struct symcache *c, struct symcache_stats *st);

#endif
