/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symutil: small helpers shared by the symbolization modules of src/sym/:
 * reading a /proc file whole, and opening a file that is outside input (not
 * a FIFO that would block us, not a device).
 */
#ifndef ZPROFD_SYMUTIL_H
#define ZPROFD_SYMUTIL_H

#include <stddef.h>

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

#endif
