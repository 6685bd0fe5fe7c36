// SPDX-License-Identifier: BSD-2-Clause
/* Self-time summary: leaf frames' samples summed per function label. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"

struct row {
	uint32_t loc; /* a location of the function, for its label */
	uint32_t fn;
	int64_t count;
};

static int by_count(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->fn < y->fn ? -1 : x->fn > y->fn;
}

int top_print(const struct profile *p, unsigned int n, FILE *out)
{
	struct row *rows;
	int64_t total = 0;
	size_t i, nrows = 0;
	char label[512];

	/* one row per function id: index by id directly */
	rows = calloc(p->nfunctions + 1, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (i = 0; i < p->nsamples; i++) {
		const struct pf_sample *s = &p->samples[i];
		uint32_t loc, fn;

		total += s->count;
		if (!s->nlocs)
			continue;
		loc = p->sample_locs[s->first_loc];
		if (!loc || loc > p->nlocations)
			continue;
		fn = p->locations[loc - 1].function_id;
		if (fn > p->nfunctions)
			continue;
		rows[fn].fn = fn;
		rows[fn].loc = loc;
		rows[fn].count += s->count;
	}
	for (i = 0; i <= p->nfunctions; i++)
		if (rows[i].count)
			rows[nrows++] = rows[i];
	qsort(rows, nrows, sizeof(*rows), by_count);
	if (total)
		fprintf(out, "  %8s %6s  %s\n", "samples", "self%", "function");
	for (i = 0; i < nrows && i < n; i++) {
		profile__frame_label(p, rows[i].loc, label, sizeof(label));
		fprintf(out, "  %8" PRId64 " %5.1f%%  %s\n", rows[i].count,
			100.0 * (double)rows[i].count / (double)total, label);
	}
	free(rows);
	return 0;
}
