/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * secret: a credential read from a file (the API's bearer token, the push
 * client's token and password). One line; the trailing newline and blanks
 * are dropped; printable ASCII only, with spaces inside only where the
 * caller allows them (a password, not a header token). Symlinks are
 * followed, because Kubernetes mounts Secrets as symlinks; a file group or
 * others can read is warned about.
 */
#ifndef ZPROFD_SECRET_H
#define ZPROFD_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Read the secret in PATH, at most MAX bytes, into *OUT (malloc'd; the
 * caller wipes and frees it; NULL on failure). 0, -EINVAL (not a regular
 * file, empty, longer than MAX, a byte outside the allowed set), -ENOMEM,
 * or open(2)/read(2)'s error.
 */
int secret_read_file(const char *path, size_t max, bool spaces, char **out);

#endif
