// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the unwind-table builder. An input starting with
 * "\x7fELF" is an ELF image (ehtable__from_memory); anything else is one raw
 * CFI section behind a 5-byte header: a mode byte (bit 0: .debug_frame
 * rather than .eh_frame, bit 1: strict with tiny limits) and the section's
 * 32-bit load address. Every table built must keep the format's promises
 * (see unwind_abi.h), checked here row by row against the lookup.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ehtable.h"

/* Few rules, so a table regularly finds the set full. */
#define FUZZ_MAX_RULES 48

static void check_rule(const struct zp_unwind_rule *r)
{
	if (r->cfa_type > ZP_CFA_END || r->rbp_type > ZP_RBP_UNDEF || r->pad)
		abort();
	/* types that use no offsets carry none: dedup depends on it */
	if ((r->cfa_type == ZP_CFA_NONE || r->cfa_type == ZP_CFA_SIGNAL ||
	     r->cfa_type == ZP_CFA_END) &&
	    (r->cfa_off || r->rbp_off || r->rbp_type))
		abort();
	if (r->rbp_type != ZP_RBP_AT_CFA && r->rbp_off)
		abort();
}

static void check_table(const struct unwind_rules *rules,
			const struct ehtable *t)
{
	const struct zp_unwind_row *rows = ehtable__rows(t);
	const struct ehtable_stats *s = ehtable__stats(t);
	size_t i, n = ehtable__nrows(t), nrules = unwind_rules__count(rules);

	if (s->rows != n || s->fdes_used + s->fdes_bad > s->fdes ||
	    nrules > FUZZ_MAX_RULES)
		abort();
	if (n && rows[n - 1].rule != ZP_UNWIND_RULE_NONE)
		abort();
	for (i = 0; i < n; i++) {
		if (rows[i].rule >= nrules || rows[i].pad)
			abort();
		check_rule(unwind_rules__get(rules, rows[i].rule));
		if (ehtable__lookup(t, rows[i].pc) != rows[i].rule)
			abort();
		if (i && (rows[i].pc <= rows[i - 1].pc ||
			  rows[i].rule == rows[i - 1].rule))
			abort();
		if (i && ehtable__lookup(t, rows[i].pc - 1) != rows[i - 1].rule)
			abort();
	}
	if (n && rows[0].pc &&
	    ehtable__lookup(t, rows[0].pc - 1) != ZP_UNWIND_RULE_NONE)
		abort();
	if (ehtable__lookup(t, UINT64_MAX) != ZP_UNWIND_RULE_NONE)
		abort();
	ehtable__mem_bytes(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ehtable_opts opts = { 0 };
	struct unwind_rules *rules;
	struct ehtable *t;
	uint32_t vaddr;
	uint8_t mode;

	rules = unwind_rules__new(FUZZ_MAX_RULES);
	if (!rules)
		abort();
	if (size >= 4 && !memcmp(data,
				 "\x7f"
				 "ELF",
				 4)) {
		t = ehtable__from_memory(rules, data, size, NULL);
	} else if (size >= 5) {
		mode = data[0];
		memcpy(&vaddr, data + 1, 4);
		if (mode & 2) {
			opts.strict = true;
			opts.max_rows = 64;
			opts.max_entries = 32;
			opts.max_insns = 64;
		}
		t = ehtable__from_section(rules,
					  mode & 1 ? EHTABLE_SRC_DEBUG_FRAME
						   : EHTABLE_SRC_EH_FRAME,
					  data + 5, size - 5, vaddr, &opts);
		if (t && (mode & 2) && ehtable__nrows(t) > 64)
			abort();
	} else {
		t = NULL;
	}
	if (t) {
		check_table(rules, t);
		ehtable__free(t);
	}
	unwind_rules__free(rules);
	return 0;
}
