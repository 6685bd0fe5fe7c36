/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfi: the reader of DWARF call frame information for ehtable (private to
 * src/unwind/). It splits a .eh_frame or .debug_frame section into CIEs and
 * FDEs, decodes their pointers, and runs CFA programs, reporting the state of
 * the three things an x86-64 unwinder needs (CFA, rbp, return address) at
 * each row. Pure functions of the bytes given; every read is bounds-checked.
 */
#ifndef ZPROFD_UNWIND_CFI_H
#define ZPROFD_UNWIND_CFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unwind_abi.h"

/* DWARF register numbers of x86-64 the tables care about */
#define CFI_REG_RBP 6
#define CFI_REG_RSP 7
#define CFI_REG_RA  16

/* Depth of DW_CFA_remember_state nesting; compilers use 1 or 2. */
#define CFI_STACK_MAX 16

/* A bounded little-endian reader over [buf, buf + len). */
struct cfi_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	uint64_t vaddr; /* address of buf[0] once loaded (pc-relative base) */
};

int cfi_read_u8(struct cfi_reader *r, uint8_t *v);
int cfi_read_uleb(struct cfi_reader *r, uint64_t *v);
int cfi_read_sleb(struct cfi_reader *r, int64_t *v);
/*
 * Read a pointer in DW_EH_PE encoding ENC. Applications: absolute,
 * pc-relative and data-relative (to DATA_BASE); others give -ENOTSUP.
 * Returns 0, -EINVAL (truncated, bad encoding).
 */
int cfi_read_pointer(struct cfi_reader *r, uint8_t enc, uint64_t data_base,
		     uint64_t *v);

/* How a register is recovered, as the CFA program last said. */
enum cfi_how {
	CFI_UNSET = 0, /* never mentioned: the ABI default */
	CFI_SAME,
	CFI_UNDEF,
	CFI_OFFSET,	/* saved at CFA + off */
	CFI_VAL_OFFSET, /* value is CFA + off */
	CFI_REGISTER,	/* in register off */
	CFI_EXPR,
	CFI_VAL_EXPR,
};

/* How the CFA is computed. Expressions are classified when defined. */
enum cfi_cfa_how {
	CFI_CFA_REG = 0,   /* reg + off */
	CFI_CFA_PLT,	   /* the PLT expression; arg = threshold */
	CFI_CFA_DEREF_RSP, /* *(rsp + arg): a signal frame */
	CFI_CFA_EXPR,	   /* anything else */
};

struct cfi_reg {
	uint8_t how; /* enum cfi_how */
	int64_t off;
};

struct cfi_state {
	uint8_t cfa_how; /* enum cfi_cfa_how */
	uint64_t cfa_reg;
	int64_t cfa_off;
	int64_t cfa_arg;
	struct cfi_reg rbp;
	struct cfi_reg ra;
};

struct cfi_cie {
	size_t off;		 /* of the entry in the section */
	size_t insns, insns_end; /* initial instructions */
	uint64_t caf;		 /* code alignment factor */
	int64_t daf;		 /* data alignment factor */
	uint64_t ra_reg;	 /* return address column */
	uint8_t fde_enc;	 /* encoding of FDE addresses */
	bool aug_z;		 /* FDEs carry augmentation data */
	bool signal;		 /* 'S': frames of signal trampolines */
	bool bad_header;	 /* unreadable: its FDEs cannot be placed */
	bool bad_program;	 /* bad initial instructions */
	struct cfi_state init;	 /* state after the initial instructions */
};

struct cfi_fde {
	uint64_t pc, end; /* [pc, end) */
	size_t off;	  /* of the entry in the section */
	size_t insns, insns_end;
	size_t cie; /* index in cfi.cies */
};

struct cfi {
	struct cfi_reader sec; /* the whole section */
	bool debug_frame;
	struct cfi_cie *cies;
	size_t ncies;
	struct cfi_fde *fdes; /* in section order */
	size_t nfdes;
	size_t fdes_total;  /* including unreadable ones */
	size_t bad_headers; /* FDEs not placed: bad CIE pointer, pointers */
	size_t bad_cies;    /* CIEs with unreadable headers or programs */
};

/*
 * Split the section BUF[0..LEN) (loaded at VADDR) into CIEs and FDEs, with
 * at most MAX_ENTRIES of them, running each CIE's initial instructions (at
 * most MAX_INSNS). Returns 0, -EINVAL when an entry's length runs past the
 * section, -E2BIG, -ENOMEM. Unreadable CIEs and FDEs are counted, not fatal.
 */
int cfi_scan(struct cfi *c, const uint8_t *buf, size_t len, uint64_t vaddr,
	     bool debug_frame, size_t max_entries, size_t max_insns);
void cfi_release(struct cfi *c);

/* Called for each row: state ST holds from LOC on (LOC < fde end). */
typedef int (*cfi_row_fn)(void *ctx, uint64_t loc, const struct cfi_state *st);

/*
 * Run the CFA program of FDE, calling FN for the rows inside [pc, end) in
 * increasing LOC order. Stops early, successfully, when the location passes
 * the end. Returns 0, -EINVAL (malformed program, bad CIE), -E2BIG (more
 * than MAX_INSNS instructions), or what FN returned when not 0.
 */
int cfi_run_fde(const struct cfi *c, const struct cfi_fde *fde,
		size_t max_insns, cfi_row_fn fn, void *ctx);

/* Why a state has no rule in the format of unwind_abi.h. */
enum cfi_reason {
	CFI_OK = 0,
	CFI_WHY_CFA,   /* CFA in another register or unknown expression */
	CFI_WHY_RA,    /* return address not at CFA-8 */
	CFI_WHY_RBP,   /* rbp in a register or by expression */
	CFI_WHY_RANGE, /* offset beyond 32 bits */
};

/*
 * The rule of state ST in an FDE of CIE. Always fills OUT (ZP_CFA_NONE, all
 * zero, when the reason is not CFI_OK).
 */
enum cfi_reason cfi_state_rule(const struct cfi_cie *cie,
			       const struct cfi_state *st,
			       struct zp_unwind_rule *out);

#endif
