/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pprof reader: decodes a pprof profile.proto message, gzip-compressed or
 * raw, into a struct profile, so that stored daemon windows (and profiles
 * other tools wrote) can be merged and re-encoded. The input is outside
 * data: every varint, length, string index and id is checked before use,
 * and the decompressed size, the stack depth and the total number of stack
 * entries are bounded, so a hostile file costs at most memory proportional
 * to max_bytes and never crashes the daemon.
 *
 * What it keeps: the string table (only the strings something refers to),
 * mappings, functions, locations (a location with inlined lines becomes one
 * model location per line, innermost first), and per sample the stack, the
 * first value as the count, the numeric pid and tid labels, the comm and
 * thread_name string labels, and every other string label in the sample's
 * label set; plus time, duration and period. What it drops: samples whose
 * count is not positive (the model counts), numeric labels other than
 * pid/tid, sample and period types, comments, drop/keep frames, unknown
 * fields. The frame kind, which profile.proto has no field for, is inferred
 * as pprof.c documents next to put_location().
 */
#ifndef ZPROFD_PPROF_READ_H
#define ZPROFD_PPROF_READ_H

#include <stddef.h>

#include "profile.h"

/* Largest decompressed message pprof__read() accepts. */
#define PPROF_READ_MAX_DEFAULT ((size_t)256 << 20)
/* Deepest sample stack, counted after inlined lines are expanded. */
#define PPROF_READ_MAX_DEPTH 65536

struct pprof_read_opts {
	size_t max_bytes; /* decompressed message limit; 0: the default */
};

/*
 * Decodes buf (borrowed; gzip when it starts with the gzip magic, else a
 * raw message) into p, which must be fresh from profile__new(). Returns 0,
 * -EINVAL for bad arguments, -EBADMSG for a malformed, truncated or corrupt
 * input (including a gzip CRC or length mismatch), -EFBIG when a limit is
 * exceeded, -ENOMEM. On error p holds part of the input: free it.
 */
int pprof__read(struct profile *p, const void *buf, size_t len);
int pprof__read_opts(struct profile *p, const void *buf, size_t len,
		     const struct pprof_read_opts *o);

#endif
