// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the window store's file-name parser: arbitrary bytes
 * as a name must either be refused or be the exact canonical name of the
 * window they parse to; and any (start, end) that formats must parse back
 * to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[128], canon[STORE_NAME_MAX];
	int64_t a, b, x, y;

	if (size >= sizeof(name))
		size = sizeof(name) - 1;
	memcpy(name, data, size);
	name[size] = '\0';
	if (!store__parse_name(name, &a, &b)) {
		if (a < 0 || a >= b ||
		    store__format_name(a, b, canon, sizeof(canon)) ||
		    strcmp(canon, name))
			abort();
	}
	if (size >= 16) {
		memcpy(&a, data, 8);
		memcpy(&b, data + 8, 8);
		if (!store__format_name(a, b, canon, sizeof(canon)) &&
		    (store__parse_name(canon, &x, &y) || x != a || y != b))
			abort();
	}
	return 0;
}
