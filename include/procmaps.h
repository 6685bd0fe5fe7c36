/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * procmaps: the mappings of one process as /proc/PID/maps describes them.
 * The parser is a pure function of the bytes it is given (so it can be fuzzed
 * and unit-tested without a process); the loader reads the file and feeds it
 * to the parser. Entries are sorted by start address and never overlap, so a
 * lookup is one binary search.
 *
 * Not thread-safe; one owner at a time.
 */
#ifndef ZPROFD_PROCMAPS_H
#define ZPROFD_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* procmaps_entry.prot bits */
#define PROCMAPS_READ	 0x1u
#define PROCMAPS_WRITE	 0x2u
#define PROCMAPS_EXEC	 0x4u
#define PROCMAPS_PRIVATE 0x8u /* 'p' rather than 's' */

/* procmaps__parse()/procmaps__load() flags */
#define PROCMAPS_EXEC_ONLY 0x1u /* keep only mappings with 'x' permission */

struct procmaps_entry {
	uint64_t start;
	uint64_t limit; /* exclusive */
	uint64_t offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t prot;
	/* the kernel appended " (deleted)"; path is given without it */
	bool deleted;
	/*
	 * "" for anonymous mappings; "[vdso]", "[heap]", ... for special ones;
	 * otherwise the file path as the kernel printed it (spaces kept, a
	 * newline in a name appears as the kernel's "\012" escape).
	 * Borrowed, valid until procmaps__free().
	 */
	const char *path;
};

struct procmaps;

/*
 * Parse maps text. Lines that do not parse (truncated, garbage, start >=
 * limit) are skipped and counted; when two entries overlap, the one with the
 * lower start wins. Returns NULL and sets errno (ENOMEM, EOVERFLOW) on failure;
 * an empty input gives an empty, valid object.
 */
struct procmaps *procmaps__parse(const char *buf, size_t len, unsigned flags);

/*
 * Read PROC_ROOT/PID/maps (PROC_ROOT NULL: "/proc") and parse it. On failure
 * returns NULL with errno ENOENT/ESRCH (process gone), EACCES/EPERM (not
 * permitted), EFBIG (absurdly large), ENOMEM.
 */
struct procmaps *procmaps__load(const char *proc_root, pid_t pid,
				unsigned flags);

void procmaps__free(struct procmaps *m);

/* The entry covering ADDR, or NULL. Borrowed from M. */
const struct procmaps_entry *procmaps__find(const struct procmaps *m,
					    uint64_t addr);

size_t procmaps__count(const struct procmaps *m);
/* I < procmaps__count(); entries are in address order. */
const struct procmaps_entry *procmaps__entry(const struct procmaps *m,
					     size_t i);
/* Lines that did not parse or were dropped as overlapping. */
size_t procmaps__bad_lines(const struct procmaps *m);

#endif
