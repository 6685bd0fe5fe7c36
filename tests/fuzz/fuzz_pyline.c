// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the CPython line-table decoder. Input: one byte picks
 * the format, then co_firstlineno and an instruction index (4 bytes each,
 * little-endian), then the table, which ends the input so that ASan sees any
 * read past it. Looks up that instruction, the first 256 and the last
 * possible one, and checks what callers rely on: only 0 (with a line >= 1),
 * -ENOENT or -EINVAL, and once a table is found malformed at an instruction
 * it stays malformed for every later one (the walk only goes further).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pyline.h"

#define HEADER_SIZE 9
#define SWEEP	    256

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int check(enum pyline_format fmt, const uint8_t *t, size_t len,
		 int first, uint32_t instr)
{
	int line = 0, err;

	err = pyline_lookup(fmt, t, len, first, instr, &line);
	if (err == 0 && line < 1)
		abort();
	if (err && err != -ENOENT && err != -EINVAL)
		abort();
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum pyline_format fmt;
	bool malformed = false;
	uint32_t instr, i;
	int first, err;

	if (size < HEADER_SIZE)
		return 0;
	fmt = (enum pyline_format)(data[0] % 3);
	first = (int)le32(data + 1);
	instr = le32(data + 5);
	data += HEADER_SIZE;
	size -= HEADER_SIZE;

	check(fmt, data, size, first, instr);
	for (i = 0; i < SWEEP; i++) {
		err = check(fmt, data, size, first, i);
		if (malformed && err != -EINVAL)
			abort();
		malformed = err == -EINVAL;
	}
	err = check(fmt, data, size, first, UINT32_MAX);
	if (malformed && err != -EINVAL)
		abort();
	/* a NULL table is only valid when empty */
	if (size &&
	    pyline_lookup(fmt, NULL, size, first, 0, &(int){ 0 }) != -EINVAL)
		abort();
	return 0;
}
