/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Output encoders. Each reads a finished struct profile (borrowed) and writes
 * one file format to a stdio stream; they return 0 or -errno (-EIO when the
 * stream reported a write error). None of them closes the stream.
 */
#ifndef ZPROFD_OUTPUT_H
#define ZPROFD_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "profile.h"

enum output_format {
	OUTPUT_PPROF = 0,
	OUTPUT_FOLDED,
	OUTPUT_SVG,
};

/* Format from a file name's extension; -EINVAL when it says nothing. */
int output_format_from_path(const char *path, enum output_format *fmt);
int output_format_from_name(const char *name, enum output_format *fmt);

/*
 * pprof: profile.proto, gzip-compressed. pprof_encode() gives the raw
 * (uncompressed) message in a malloc'ed buffer the caller frees.
 */
int pprof_encode(const struct profile *p, uint8_t **buf, size_t *len);
int pprof_write(const struct profile *p, FILE *out);

/*
 * Folded (collapsed) stacks, Brendan Gregg's format: one line per distinct
 * stack, "comm;root;...;leaf COUNT\n", sorted, identical stacks merged.
 */
int folded_write(const struct profile *p, FILE *out);

struct flamegraph_opts {
	const char *title;    /* NULL: "CPU flame graph" */
	const char *subtitle; /* NULL: none */
	unsigned int width;   /* pixels; 0: 1200 */
};

/* Self-contained interactive SVG flame graph. */
int flamegraph_write(const struct profile *p, const struct flamegraph_opts *o,
		     FILE *out);

#endif
