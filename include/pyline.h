/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pyline: the source line of a CPython instruction, decoded from the line
 * table of its code object (co_lnotab on 3.8/3.9, co_linetable on 3.10+) as
 * copied out of the target process. Pure functions over bytes: no allocation,
 * no global state, never a read outside the table given, so they can be
 * fuzzed and called on the per-sample path.
 */
#ifndef ZPROFD_PYLINE_H
#define ZPROFD_PYLINE_H

#include <stddef.h>
#include <stdint.h>

/* Which table format a CPython minor version uses. */
enum pyline_format {
	PYLINE_LNOTAB,	     /* 3.8, 3.9 co_lnotab */
	PYLINE_LINETABLE310, /* 3.10 co_linetable */
	PYLINE_LOCATIONS,    /* 3.11+ co_linetable location table */
};

/* Sets *FMT for CPython 3.MINOR; -ENOTSUP outside 3.8..3.14. */
int pyline_format_for(unsigned minor, enum pyline_format *fmt);

/*
 * Line of the instruction at INSTR (what the in-kernel walker reports):
 *  3.8/3.9: f_lasti, a BYTE offset into co_code (a frame that has not
 *           started has f_lasti -1: the caller maps it to 0, whose line is
 *           co_firstlineno or the first line the table gives);
 *  3.10:    f_lasti, an index in 2-byte code units;
 *  3.11+:   an index in 2-byte code units, (instr_ptr - co_code_adaptive)/2.
 * FIRSTLINENO is co_firstlineno; TABLE is borrowed for the call only.
 *
 * Returns 0 and *LINE (>= 1); -ENOENT when the instruction has no line (a
 * 3.10 "-128" or 3.11+ "no location" entry, or the line 0 that 3.11+ gives
 * a module's RESUME) or lies past the table (3.10+; co_lnotab does not know
 * where the code ends, so its last line extends forever, as in CPython);
 * -EINVAL on a malformed table. The table is checked only as far as the walk
 * goes: a defect after the entry that answers is not seen.
 */
int pyline_lookup(enum pyline_format fmt, const uint8_t *table, size_t len,
		  int firstlineno, uint32_t instr, int *line);

#endif /* ZPROFD_PYLINE_H */
