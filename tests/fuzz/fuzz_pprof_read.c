// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the pprof reader: decode arbitrary bytes (gzip or
 * raw), and when they decode, check that the result is a profile every
 * encoder can walk: each sample valid, the pprof encoder accepts it, its
 * output reads back to the same samples, and merging it (filtered by the
 * first sample's labels) works. The decompressed size is capped low so a
 * gzip bomb costs the fuzzer nothing.
 */
#include <stdint.h>
#include <stdlib.h>

#include "merge.h"
#include "output.h"
#include "pprof_read.h"
#include "profile.h"

static void check(const struct profile *p)
{
	struct merge_filter f = { 0 };
	struct profile *q, *m;
	uint8_t *buf = NULL;
	size_t len = 0, i;

	for (i = 0; i < p->nsamples; i++) {
		if (profile__check_sample(p, &p->samples[i]) ||
		    p->samples[i].count <= 0)
			abort();
	}
	if (pprof_encode(p, &buf, &len))
		abort();
	q = profile__new();
	if (!q || pprof__read(q, buf, len) || q->nsamples != p->nsamples ||
	    q->nlabelsets != p->nlabelsets)
		abort();
	profile__free(q);
	free(buf);

	m = profile__new();
	if (!m)
		abort();
	if (p->nsamples) {
		f.pid = p->samples[0].pid;
		f.comm = profile__str(p, p->samples[0].comm);
		f.container_id = profile__label(p, p->samples[0].labelset,
						PF_LABEL_CONTAINER_ID);
	}
	if (profile__merge(m, p, &f) || (p->nsamples && !m->nsamples))
		abort();
	profile__free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pprof_read_opts o = { .max_bytes = 1 << 20 };
	struct profile *p = profile__new();

	if (!p)
		return 0;
	if (!pprof__read_opts(p, data, size, &o))
		check(p);
	profile__free(p);
	return 0;
}
