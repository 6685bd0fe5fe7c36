// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the kallsyms parser: parse arbitrary bytes, check the
 * table is sorted with distinct addresses and terminated names, and look up
 * around every symbol.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ksym *s, *prev = NULL;
	struct ksyms *k;
	size_t i, n;

	k = ksyms__parse((const char *)data, size);
	if (!k)
		return 0;
	n = ksyms__count(k);
	for (i = 0; i < n; i++) {
		s = ksyms__sym(k, i);
		if (prev && prev->addr >= s->addr)
			abort();
		if (!s->name[0] || strlen(s->name) > size ||
		    (s->module && (!s->module[0] || strlen(s->module) > size)))
			abort();
		if (ksyms__usable(k) && ksyms__find(k, s->addr) != s)
			abort();
		ksyms__find(k, s->addr - 1);
		ksyms__find(k, s->addr + 1);
		prev = s;
	}
	if (ksyms__sym(k, n))
		abort();
	ksyms__find(k, 0);
	ksyms__find(k, UINT64_MAX);
	ksyms__mem_bytes(k);
	ksyms__free(k);
	return 0;
}
