/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ehtable: the unwind table of one x86-64 ELF file in the format of
 * unwind_abi.h, built from its call frame information (.eh_frame, or
 * .debug_frame when the file has no .eh_frame), and unwind_rules, the
 * deduplicated rule set every table's rows point into (one per daemon, since
 * the BPF side has one rules array).
 *
 * The CFI is outside input: every length, offset and pointer is checked
 * before it is read, and every loop is bounded (struct ehtable_opts). A
 * framing error (an entry running past its section) fails the whole table;
 * an FDE whose CIE or CFA program cannot be read only loses its own rows
 * (they become "no information"), unless opts.strict asks to fail instead.
 *
 * Not thread-safe: one owner for the rules and the tables built with them.
 */
#ifndef ZPROFD_EHTABLE_H
#define ZPROFD_EHTABLE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unwind_abi.h"

/* ---- rules ------------------------------------------------------------- */

struct unwind_rules;

/*
 * A rule set holding at most MAX rules (1 .. ZP_UNWIND_MAX_RULES), id 0 being
 * ZP_UNWIND_RULE_NONE from the start. Returns NULL and sets errno (EINVAL,
 * ENOMEM).
 */
struct unwind_rules *unwind_rules__new(size_t max);
void unwind_rules__free(struct unwind_rules *r);

/*
 * The id of RULE, added when new. Ids are stable: the BPF array can be
 * updated incrementally from the previous count. Fields the rule's type does
 * not use must be zero (pad always). Returns the id, or -ENOSPC when the set
 * is full, -EINVAL for an out-of-range type.
 */
int unwind_rules__intern(struct unwind_rules *r,
			 const struct zp_unwind_rule *rule);
size_t unwind_rules__count(const struct unwind_rules *r);
/* All rules, indexed by id. Borrowed, valid until the next intern. */
const struct zp_unwind_rule *unwind_rules__array(const struct unwind_rules *r);
/* The rule with id ID, or NULL when ID >= count. */
const struct zp_unwind_rule *unwind_rules__get(const struct unwind_rules *r,
					       unsigned id);

/* ---- tables ------------------------------------------------------------ */

enum ehtable_source {
	EHTABLE_SRC_EH_FRAME = 0,
	EHTABLE_SRC_DEBUG_FRAME = 1,
};

struct ehtable_opts {
	/* rows in the table; 0 means ZP_UNWIND_MAX_ROWS. Beyond: E2BIG */
	size_t max_rows;
	/* CIEs + FDEs in the section; 0 means 1 << 20. Beyond: E2BIG */
	size_t max_entries;
	/* CFA instructions per FDE; 0 means 1 << 16 */
	size_t max_insns;
	/* fail with EINVAL on any malformed CIE or FDE instead of skipping */
	bool strict;
};

/*
 * What a build saw. "rows_*" reasons count CFA-program rows that became
 * ZP_CFA_NONE, before merging.
 */
struct ehtable_stats {
	enum ehtable_source source;
	size_t cies;
	size_t fdes;	      /* FDEs in the section */
	size_t fdes_used;     /* FDEs whose rows are in the table */
	size_t fdes_skipped;  /* empty, at 0 or outside executable segments */
	size_t fdes_overlap;  /* starting inside an earlier FDE: dropped */
	size_t fdes_bad;      /* unreadable, bad CIE or CFA program: no info */
	size_t rows_cfi;      /* rows the CFA programs produced */
	size_t rows;	      /* rows in the table */
	size_t rows_cfa;      /* CFA in another register, unknown expression */
	size_t rows_ra;	      /* return address not at CFA-8 */
	size_t rows_rbp;      /* rbp in a register, by expression or value */
	size_t rows_range;    /* offset beyond 32 bits */
	size_t rows_no_space; /* the rule set was full */
};

struct ehtable;

/*
 * Build the table of ELF (borrowed; only read), interning its rules in RULES
 * (borrowed for the call; the table keeps only ids into it, which stay
 * valid as long as RULES lives). OPTS may be NULL. FDEs outside the file's
 * executable PT_LOAD segments are skipped.
 * Returns NULL and sets errno:
 *   ENOEXEC  not an x86-64 ELF executable or shared object
 *   ENOENT   no .eh_frame and no .debug_frame with content
 *   E2BIG    text above 4 GiB, or a limit of OPTS exceeded
 *   EINVAL   malformed section (any malformed entry when strict)
 *   ENOMEM
 */
struct ehtable *ehtable__from_elf(struct unwind_rules *rules, Elf *elf,
				  const struct ehtable_opts *opts);
/* The same from the file open at FD (borrowed; read, never mapped). */
struct ehtable *ehtable__from_fd(struct unwind_rules *rules, int fd,
				 const struct ehtable_opts *opts);
/* Open PATH (a regular file) and build its table. */
struct ehtable *ehtable__from_file(struct unwind_rules *rules, const char *path,
				   const struct ehtable_opts *opts);
/* The same from an ELF image in memory (copied; BUF stays the caller's). */
struct ehtable *ehtable__from_memory(struct unwind_rules *rules,
				     const void *buf, size_t len,
				     const struct ehtable_opts *opts);
/*
 * Build from the bytes of one CFI section (BUF borrowed, only during the
 * call) loaded at virtual address VADDR (what pc-relative pointers in
 * .eh_frame are relative to; unused for .debug_frame). No segment filter:
 * FDEs at 0 are skipped, FDEs ending beyond 4 GiB give E2BIG.
 */
struct ehtable *ehtable__from_section(struct unwind_rules *rules,
				      enum ehtable_source source,
				      const void *buf, size_t len,
				      uint64_t vaddr,
				      const struct ehtable_opts *opts);

void ehtable__free(struct ehtable *t);

/* The rows (sorted by pc; see unwind_abi.h). Borrowed, valid until free. */
const struct zp_unwind_row *ehtable__rows(const struct ehtable *t);
size_t ehtable__nrows(const struct ehtable *t);
/*
 * The reference lookup, as the BPF walker does it: the id of the rule
 * covering ELF virtual address PC, ZP_UNWIND_RULE_NONE when none does.
 */
unsigned ehtable__lookup(const struct ehtable *t, uint64_t pc);
const struct ehtable_stats *ehtable__stats(const struct ehtable *t);
/* Heap bytes held, for cache accounting. */
size_t ehtable__mem_bytes(const struct ehtable *t);

#endif
