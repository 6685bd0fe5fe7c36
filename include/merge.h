/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * merge: combines profiles, as the daemon's /profiles endpoint does with the
 * stored windows of a time range. profile__merge() copies the samples of
 * src that pass a filter into dst, re-interning every string, mapping,
 * function, location and label set they use (and nothing else), and sums a
 * sample into an identical one (same stack, pid, tid, comm, thread name and
 * label set) already in dst.
 */
#ifndef ZPROFD_MERGE_H
#define ZPROFD_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

/*
 * Every set field must match; unset (0 or NULL/"") matches anything. The
 * strings are compared exactly: container_id and pod_uid with the sample's
 * PF_LABEL_CONTAINER_ID and PF_LABEL_POD_UID labels, comm with its comm.
 */
struct merge_filter {
	uint32_t pid; /* 0: any (pid 0, the idle task, cannot be selected) */
	const char *container_id;
	const char *pod_uid;
	const char *comm;
	/* also, when set: KEEP(SRC, SAMPLE, KEEP_CTX) must say true */
	bool (*keep)(const struct profile *src, const struct pf_sample *s,
		     void *keep_ctx);
	void *keep_ctx;
};

/*
 * Appends src's matching samples to dst (both borrowed; src unchanged). The
 * time span of dst grows to cover src's [time, time + duration), whether or
 * not any sample matched, so a merged range reports the time it spans. When
 * the periods differ, src's counts are rescaled to dst's period (rounded,
 * at least 1) so CPU time adds up; dst takes src's period if it had none.
 * f may be NULL. 0, -EINVAL (bad arguments or a failed src), or dst's
 * sticky error (-ENOMEM).
 */
int profile__merge(struct profile *dst, const struct profile *src,
		   const struct merge_filter *f);

#endif
