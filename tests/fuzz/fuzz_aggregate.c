// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target for the aggregator's record validation: the input is a stream
 * of ring buffer records, each prefixed by a 2-byte length, so lengths that
 * disagree with the header's frame counts are explored too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t buf[(ZP_SAMPLE_MAX_BYTES + 7) / 8];
	struct aggregator *a = aggregator__new(64, 4096);
	size_t i;

	if (!a)
		return 0;
	while (size >= 2) {
		size_t len = (size_t)data[0] | (size_t)data[1] << 8;

		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (len > sizeof(buf))
			len = sizeof(buf);
		memset(buf, 0, sizeof(buf));
		memcpy(buf, data, len);
		aggregator__add(a, (const struct zp_sample *)buf, len);
		data += len;
		size -= len;
	}
	for (i = 0; i < aggregator__count(a); i++) {
		const struct agg_entry *e = aggregator__entry(a, i);
		const uint64_t *w = aggregator__frames(a, e);
		volatile uint64_t sum = 0;

		for (size_t k = 0; k < (size_t)e->kstack_n + e->ustack_n; k++)
			sum += w[k];
	}
	aggregator__free(a);
	return 0;
}
