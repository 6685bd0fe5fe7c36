// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the /proc/PID/maps parser: parse arbitrary bytes (the
 * first byte picks the flags), then check the invariants lookups rely on and
 * look up the edges of every entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct procmaps_entry *e, *prev = NULL;
	struct procmaps *m;
	unsigned flags = 0;
	size_t i, n;

	if (size) {
		flags = data[0] & 1 ? PROCMAPS_EXEC_ONLY : 0;
		data++;
		size--;
	}
	m = procmaps__parse((const char *)data, size, flags);
	if (!m)
		return 0;
	n = procmaps__count(m);
	for (i = 0; i < n; i++) {
		e = procmaps__entry(m, i);
		/* sorted, non-empty, non-overlapping, NUL-terminated paths */
		if (e->start >= e->limit || (prev && prev->limit > e->start))
			abort();
		if ((flags & PROCMAPS_EXEC_ONLY) && !(e->prot & PROCMAPS_EXEC))
			abort();
		if (strlen(e->path) > size)
			abort();
		if (procmaps__find(m, e->start) != e ||
		    procmaps__find(m, e->limit - 1) != e)
			abort();
		if (e->start && procmaps__find(m, e->start - 1) == e)
			abort();
		prev = e;
	}
	if (procmaps__entry(m, n))
		abort();
	procmaps__find(m, 0);
	procmaps__find(m, UINT64_MAX);
	procmaps__free(m);
	return 0;
}
