// SPDX-License-Identifier: BSD-2-Clause
/*
 * pyline: maps a CPython instruction to its source line by walking the line
 * table of its code object, for the three formats CPython 3.8-3.14 use. The
 * tables come from another process's memory, so every read is bounds-checked
 * and every accumulator range-checked: a hostile or torn table yields -EINVAL
 * or -ENOENT, never a read past its end or an overflow. Tested against the
 * interpreters' own answers by tests/unit/test_pyline.c.
 *
 * The formats, as decoded here (every line number accumulates from
 * co_firstlineno):
 *
 * 3.8/3.9 co_lnotab: pairs (addr delta u8 in bytes, line delta s8). An
 *   instruction's line is the sum of the line deltas of every pair whose
 *   accumulated address is <= its offset. Large jumps are split into several
 *   pairs, (255, 0) for addresses and (0, 127) or (0, -128) for lines; the
 *   sum is unaffected. -128 is an ordinary delta here (unlike 3.10). The
 *   table does not record where the code ends: the last line holds for every
 *   offset past the last pair, as in CPython's PyCode_Addr2Line.
 *
 * 3.10 co_linetable: pairs (range length u8 in bytes, line delta s8). Each
 *   pair covers [end of the previous range, + length); a line delta of -128
 *   marks a range without a line and leaves the running line unchanged, so
 *   the compiler splits line jumps into steps of at most 127 and ranges into
 *   pieces of at most 254 bytes (the first piece carries the delta).
 *   Zero-length ranges only carry a line delta and never match. The ranges
 *   end exactly at the end of co_code.
 *
 * 3.11+ location table (CPython Objects/locations.md): a sequence of
 *   entries, each a first byte 1CCCCLLL covering LLL+1 code units, followed by
 *   bytes with bit 7 clear whose meaning depends on the code C:
 *     0-9    short form, same line, 1 column byte;
 *     10-12  one-line form, line delta C-10, 2 column bytes;
 *     13     no columns, svarint line delta;
 *     14     long form, svarint line delta, varint end-line delta, varint
 *            column+1, varint end-column+1;
 *     15     no location: no line, running line unchanged.
 *   varint: 6-bit groups, least significant first, bit 6 set on all but the
 *   last; svarint: a varint holding magnitude << 1 | sign. Because no byte
 *   after the first has bit 7 set, CPython itself finds entry boundaries by
 *   that bit alone; a table where the decoded length and that bit disagree
 *   is rejected here.
 *   3.11+ gives a module's RESUME line co_firstlineno - 1 = 0; that and any
 *   other line below 1 is reported as "no line".
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>

#include "pyline.h"

#define LOC_ENTRY_START 0x80u
#define LOC_CODE(b)	(((b) >> 3) & 15u)
#define LOC_UNITS(b)	(((b)&7u) + 1u)
#define LOC_ONE_LINE0	10u
#define LOC_NO_COLUMNS	13u
#define LOC_LONG	14u
#define LOC_NONE	15u

#define VARINT_CONT 0x40u
#define VARINT_BITS 0x3fu

#define LINETABLE310_NO_LINE (-128)

int pyline_format_for(unsigned minor, enum pyline_format *fmt)
{
	if (!fmt)
		return -EINVAL;
	if (minor < 8 || minor > 14)
		return -ENOTSUP;
	if (minor <= 9)
		*fmt = PYLINE_LNOTAB;
	else if (minor == 10)
		*fmt = PYLINE_LINETABLE310;
	else
		*fmt = PYLINE_LOCATIONS;
	return 0;
}

/*
 * Lines are carried in 64 bits and must stay within int after every step:
 * real tables never leave it, and the bound keeps a crafted table of any
 * length from overflowing the accumulator.
 */
static bool line_add(int64_t *line, int64_t delta)
{
	*line += delta;
	return *line >= INT_MIN && *line <= INT_MAX;
}

static int line_result(int64_t line, int *out)
{
	if (line < 1)
		return -ENOENT;
	*out = (int)line;
	return 0;
}

static int lookup_lnotab(const uint8_t *t, size_t len, int64_t line,
			 uint32_t offset, int *out)
{
	uint64_t addr = 0;
	size_t i;

	/* always written in pairs: an odd length is a torn copy */
	if (len % 2)
		return -EINVAL;
	for (i = 0; i < len; i += 2) {
		addr += t[i];
		if (addr > offset)
			break;
		if (!line_add(&line, (int8_t)t[i + 1]))
			return -EINVAL;
	}
	return line_result(line, out);
}

static int lookup_linetable310(const uint8_t *t, size_t len, int64_t line,
			       uint32_t instr, int *out)
{
	/* f_lasti counts code units, the table bytes */
	uint64_t offset = (uint64_t)instr * 2, end = 0;
	int delta;
	size_t i;

	if (len % 2)
		return -EINVAL;
	for (i = 0; i < len; i += 2) {
		end += t[i];
		delta = (int8_t)t[i + 1];
		if (delta != LINETABLE310_NO_LINE && !line_add(&line, delta))
			return -EINVAL;
		if (offset < end) {
			if (delta == LINETABLE310_NO_LINE)
				return -ENOENT;
			return line_result(line, out);
		}
	}
	return -ENOENT;
}

/* Reads one varint at *POS, which is left after it. */
static int read_varint(const uint8_t *t, size_t len, size_t *pos, uint32_t *val)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		/* past the end, or into the next entry: cut short */
		if (*pos >= len || (t[*pos] & LOC_ENTRY_START))
			return -EINVAL;
		/* six groups hold 32 bits; more is not a line table */
		if (shift > 30)
			return -EINVAL;
		b = t[(*pos)++];
		v |= (uint64_t)(b & VARINT_BITS) << shift;
		shift += 6;
	} while (b & VARINT_CONT);
	if (v > UINT32_MAX)
		return -EINVAL;
	*val = (uint32_t)v;
	return 0;
}

static int read_svarint(const uint8_t *t, size_t len, size_t *pos, int64_t *val)
{
	uint32_t u;
	int err;

	err = read_varint(t, len, pos, &u);
	if (err)
		return err;
	*val = u & 1 ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
	return 0;
}

/* Skips N column bytes, which like all non-first bytes have bit 7 clear. */
static int skip_bytes(const uint8_t *t, size_t len, size_t *pos, size_t n)
{
	size_t end;

	if (n > len - *pos)
		return -EINVAL;
	for (end = *pos + n; *pos < end; (*pos)++)
		if (t[*pos] & LOC_ENTRY_START)
			return -EINVAL;
	return 0;
}

static int lookup_locations(const uint8_t *t, size_t len, int64_t line,
			    uint32_t instr, int *out)
{
	uint64_t unit = 0;
	uint32_t skip;
	int64_t delta;
	unsigned code;
	size_t pos = 0;
	uint8_t first;
	int err, k;

	while (pos < len) {
		first = t[pos++];
		if (!(first & LOC_ENTRY_START))
			return -EINVAL;
		code = LOC_CODE(first);
		delta = 0;
		if (code < LOC_ONE_LINE0) {
			err = skip_bytes(t, len, &pos, 1);
		} else if (code < LOC_NO_COLUMNS) {
			delta = code - LOC_ONE_LINE0;
			err = skip_bytes(t, len, &pos, 2);
		} else if (code == LOC_NO_COLUMNS) {
			err = read_svarint(t, len, &pos, &delta);
		} else if (code == LOC_LONG) {
			err = read_svarint(t, len, &pos, &delta);
			/* end-line delta, column+1, end column+1: not needed */
			for (k = 0; !err && k < 3; k++)
				err = read_varint(t, len, &pos, &skip);
		} else {
			err = 0; /* LOC_NONE: no bytes follow */
		}
		if (err)
			return err;
		if (!line_add(&line, delta))
			return -EINVAL;
		unit += LOC_UNITS(first);
		if (instr < unit) {
			if (code == LOC_NONE)
				return -ENOENT;
			return line_result(line, out);
		}
	}
	return -ENOENT;
}

int pyline_lookup(enum pyline_format fmt, const uint8_t *table, size_t len,
		  int firstlineno, uint32_t instr, int *line)
{
	if ((!table && len) || !line)
		return -EINVAL;
	switch (fmt) {
	case PYLINE_LNOTAB:
		return lookup_lnotab(table, len, firstlineno, instr, line);
	case PYLINE_LINETABLE310:
		return lookup_linetable310(table, len, firstlineno, instr,
					   line);
	case PYLINE_LOCATIONS:
		return lookup_locations(table, len, firstlineno, instr, line);
	}
	return -EINVAL;
}
