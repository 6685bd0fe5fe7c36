/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symutil: small helpers shared by the symbolization modules of src/sym/:
 * reading a /proc file whole, and opening a file that is outside input (not
 * a FIFO that would block us, not a device).
 */
#ifndef ZPROFD_SYMUTIL_H
#define ZPROFD_SYMUTIL_H

#include <stddef.h>
#include <sys/types.h>

struct procmaps_entry;

/*
 * Read all of PATH (a /proc file: its stat size is meaningless) into a
 * NUL-terminated malloc'd buffer (*OUT, caller frees) of at most MAX bytes.
 * Returns 0 or -errno (-EFBIG beyond MAX).
 */
/* Value of a hex digit, -1 for anything else (kallsyms and maps parsers). */
static inline int sym_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sym_read_file(const char *path, size_t max, char **out, size_t *out_len);

/*
 * open(PATH, O_RDONLY) relative to DIRFD (AT_FDCWD for none), refusing
 * anything but a regular file (-EINVAL). With IN_ROOT, PATH is resolved as
 * if DIRFD were the root directory (openat2 RESOLVE_IN_ROOT), so a symlink
 * planted in another mount namespace cannot point us at our own files.
 * Returns an fd or -errno.
 */
int sym_open_regular(int dirfd, const char *path, int in_root);

/*
 * Open the file behind mapping E of PID (proc_root: where /proc is), trying
 * in turn:
 *   1. the path inside the process's root (ROOTFD: /proc/PID/root opened, or
 *      -1), when the file was not deleted; used at once if its inode is the
 *      mapped one;
 *   2. /proc/PID/map_files/START-LIMIT, the mapped file itself (works for
 *      deleted files and memfds; needs CAP_SYS_ADMIN);
 *   3. the path from step 1 even though its inode differs (overlayfs shows
 *      the upper file's inode in maps but the overlay's to fstat);
 *   4. the path in our own mount namespace, only if its inode matches.
 * Returns an fd or -errno (-ESTALE: only a different file was found).
 */
int sym_open_mapped(const char *proc_root, pid_t pid, int rootfd,
		    const struct procmaps_entry *e);

#endif
