/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * profile_build: turns the aggregator's raw stacks into a symbolized
 * struct profile, the one place that decides how a raw frame becomes a
 * pprof location (mapping, function, address) and how unresolved frames
 * are named ("module+0xOFFSET", never dropped).
 */
#ifndef ZPROFD_PROFILE_BUILD_H
#define ZPROFD_PROFILE_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "aggregate.h"
#include "profile.h"
#include "pysym.h"
#include "symbolize.h"

struct profile_build_opts {
	int64_t period_ns;
	int64_t duration_ns;
	int64_t time_ns;
	uint32_t only_pid;  /* 0: every pid; else only this thread group */
	bool kernel_subset; /* load only the kernel symbols this build needs */
	struct pysym *py;   /* Python frames' symbols; NULL: none */
	/* merged stacks: leave out the interpreter's own native frames (eval
	 * loop, call helpers), keeping C extensions and libraries */
	bool hide_interpreter;
};

/* Adds every entry of agg (borrowed) to p (borrowed). 0 or -errno. */
int profile_build(struct profile *p, const struct aggregator *agg,
		  struct symbolizer *sym, const struct profile_build_opts *o);

#endif
