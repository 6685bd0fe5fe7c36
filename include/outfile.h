/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * outfile: an output file that appears whole or not at all. It is created
 * as a hidden temporary next to the destination when the capture starts
 * (so an unwritable path fails before any sampling) and renamed over the
 * destination only after the encoder finished and the data reached disk.
 * "-" means standard output, written directly.
 */
#ifndef ZPROFD_OUTFILE_H
#define ZPROFD_OUTFILE_H

#include <stdio.h>

struct outfile;

/* NULL with errno set and an error logged naming the path. */
struct outfile *outfile__open(const char *path);
/* The stream to encode into; borrowed. */
FILE *outfile__stream(struct outfile *f);
/* Flush, fsync, rename into place, free. 0 or -errno (then nothing is left). */
int outfile__commit(struct outfile *f);
/* Remove the temporary and free. NULL-safe. */
void outfile__abort(struct outfile *f);

#endif
