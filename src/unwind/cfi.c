// SPDX-License-Identifier: BSD-2-Clause
/*
 * cfi: reads DWARF call frame information (.eh_frame as the LSB describes
 * it, .debug_frame as DWARF 2-5 do) without libdw: ehtable needs every row of
 * every FDE once, which a linear pass over the section does in a few
 * milliseconds, where per-address queries would redo the CIE and FDE
 * programs for each address. Only CFA, rbp and the return address are
 * tracked; the other registers' instructions are decoded and ignored. The
 * sections are outside input: every read goes through a bounded reader, each
 * loop is bounded by the bytes it consumes or by a limit, and arithmetic on
 * file values is checked for overflow.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cfi.h"

/* DW_EH_PE_* pointer encodings (LSB 4.1, "DWARF Exception Header Encoding") */
#define PE_ABSPTR   0x00
#define PE_ULEB128  0x01
#define PE_UDATA2   0x02
#define PE_UDATA4   0x03
#define PE_UDATA8   0x04
#define PE_SLEB128  0x09
#define PE_SDATA2   0x0a
#define PE_SDATA4   0x0b
#define PE_SDATA8   0x0c
#define PE_PCREL    0x10
#define PE_DATAREL  0x30
#define PE_ALIGNED  0x50
#define PE_INDIRECT 0x80
#define PE_OMIT	    0xff

/* DW_CFA_* opcodes (DWARF 5, 6.4.2, plus the GNU ones gcc emits) */
enum {
	CFA_nop = 0x00,
	CFA_set_loc = 0x01,
	CFA_advance_loc1 = 0x02,
	CFA_advance_loc2 = 0x03,
	CFA_advance_loc4 = 0x04,
	CFA_offset_extended = 0x05,
	CFA_restore_extended = 0x06,
	CFA_undefined = 0x07,
	CFA_same_value = 0x08,
	CFA_register = 0x09,
	CFA_remember_state = 0x0a,
	CFA_restore_state = 0x0b,
	CFA_def_cfa = 0x0c,
	CFA_def_cfa_register = 0x0d,
	CFA_def_cfa_offset = 0x0e,
	CFA_def_cfa_expression = 0x0f,
	CFA_expression = 0x10,
	CFA_offset_extended_sf = 0x11,
	CFA_def_cfa_sf = 0x12,
	CFA_def_cfa_offset_sf = 0x13,
	CFA_val_offset = 0x14,
	CFA_val_offset_sf = 0x15,
	CFA_val_expression = 0x16,
	CFA_GNU_args_size = 0x2e,
	CFA_GNU_negative_offset_extended = 0x2f,
	/* high two bits: operand in the low six */
	CFA_advance_loc = 0x40,
	CFA_offset = 0x80,
	CFA_restore = 0xc0,
};

/* DW_OP_* used by the two expressions recognised */
#define OP_deref 0x06
#define OP_and	 0x1a
#define OP_plus	 0x22
#define OP_shl	 0x24
#define OP_ge	 0x2a
#define OP_lit0	 0x30
#define OP_lit31 0x4f
#define OP_breg0 0x70

/* ---- bounded reads ----------------------------------------------------- */

static int read_le(struct cfi_reader *r, unsigned n, uint64_t *v)
{
	uint64_t x = 0;
	unsigned i;

	if (r->len - r->pos < n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		x |= (uint64_t)r->buf[r->pos + i] << (8 * i);
	r->pos += n;
	*v = x;
	return 0;
}

int cfi_read_u8(struct cfi_reader *r, uint8_t *v)
{
	if (r->pos >= r->len)
		return -EINVAL;
	*v = r->buf[r->pos++];
	return 0;
}

int cfi_read_uleb(struct cfi_reader *r, uint64_t *v)
{
	uint64_t x = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (r->pos >= r->len)
			return -EINVAL;
		b = r->buf[r->pos++];
		/* bits that would fall off a u64: not a value we can use */
		if (shift >= 64 ? (b & 0x7f) != 0
				: shift > 57 && (b & 0x7f) >> (64 - shift))
			return -EINVAL;
		if (shift < 64)
			x |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		/* bounded: at most len bytes, and long runs are padding */
		if (shift > 7 * 16)
			return -EINVAL;
	} while (b & 0x80);
	*v = x;
	return 0;
}

int cfi_read_sleb(struct cfi_reader *r, int64_t *v)
{
	uint64_t x = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		if (r->pos >= r->len)
			return -EINVAL;
		b = r->buf[r->pos++];
		if (shift < 64)
			x |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (shift > 7 * 16)
			return -EINVAL;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		x |= ~0ull << shift;
	*v = (int64_t)x;
	return 0;
}

/* The value of a pointer in format FMT (low four bits of an encoding). */
static int read_format(struct cfi_reader *r, uint8_t fmt, uint64_t *v)
{
	uint64_t x = 0;
	int64_t s = 0;
	int err;

	switch (fmt) {
	case PE_ABSPTR: /* x86-64: 8 bytes */
	case PE_UDATA8:
	case PE_SDATA8:
		return read_le(r, 8, v);
	case PE_ULEB128:
		return cfi_read_uleb(r, v);
	case PE_SLEB128:
		err = cfi_read_sleb(r, &s);
		*v = (uint64_t)s;
		return err;
	case PE_UDATA2:
		return read_le(r, 2, v);
	case PE_UDATA4:
		return read_le(r, 4, v);
	case PE_SDATA2:
		err = read_le(r, 2, &x);
		*v = (uint64_t)(int64_t)(int16_t)x;
		return err;
	case PE_SDATA4:
		err = read_le(r, 4, &x);
		*v = (uint64_t)(int64_t)(int32_t)x;
		return err;
	default:
		return -EINVAL;
	}
}

int cfi_read_pointer(struct cfi_reader *r, uint8_t enc, uint64_t data_base,
		     uint64_t *v)
{
	/* unsigned arithmetic: pc-relative offsets wrap as the linker meant */
	uint64_t field = r->vaddr + r->pos, x;
	int err;

	if (enc == PE_OMIT)
		return -EINVAL;
	/* indirect pointers need the process's memory; none an FDE uses */
	if (enc & PE_INDIRECT)
		return -ENOTSUP;
	err = read_format(r, enc & 0x0f, &x);
	if (err)
		return err;
	switch (enc & 0x70) {
	case 0:
		break;
	case PE_PCREL:
		x += field;
		break;
	case PE_DATAREL:
		x += data_base;
		break;
	default:
		return -ENOTSUP;
	}
	*v = x;
	return 0;
}

/* ---- expressions ------------------------------------------------------- */

/*
 * The CFA of the lazy PLT, as gcc's and binutils' x86-64 back ends write it:
 * DW_OP_breg7 (rsp) 8; DW_OP_breg16 (rip) 0; DW_OP_lit15; DW_OP_and;
 * DW_OP_litN; DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus. That is
 * rsp + 8 + (((rip & 15) >= N) << 3): after the entry's "push" the CFA is 8
 * bytes further. The signal trampoline's is DW_OP_breg7 (rsp) K; DW_OP_deref.
 * Anything else is not classified: the unwinder cannot evaluate it.
 */
static void classify_cfa_expr(const uint8_t *e, size_t n, struct cfi_state *st)
{
	/* breg7 8; breg16 0; lit15; and; litN; ge; lit3; shl; plus */
	static const uint8_t plt[] = { OP_breg0 + CFI_REG_RSP,
				       8,
				       OP_breg0 + CFI_REG_RA,
				       0,
				       OP_lit0 + 15,
				       OP_and,
				       0 /* litN */,
				       OP_ge,
				       OP_lit0 + 3,
				       OP_shl,
				       OP_plus };
	const size_t lit_n = 6;
	struct cfi_reader r = { .buf = e, .len = n };
	int64_t off;

	st->cfa_how = CFI_CFA_EXPR;
	st->cfa_arg = 0;
	if (n == sizeof(plt) && !memcmp(e, plt, lit_n) &&
	    !memcmp(e + lit_n + 1, plt + lit_n + 1, n - lit_n - 1) &&
	    e[lit_n] >= OP_lit0 && e[lit_n] <= OP_lit31) {
		st->cfa_how = CFI_CFA_PLT;
		st->cfa_arg = e[lit_n] - OP_lit0;
		return;
	}
	if (n >= 3 && e[0] == OP_breg0 + CFI_REG_RSP) {
		r.pos = 1;
		if (!cfi_read_sleb(&r, &off) && r.pos == n - 1 &&
		    e[n - 1] == OP_deref) {
			st->cfa_how = CFI_CFA_DEREF_RSP;
			st->cfa_arg = off;
		}
	}
}

/* ---- CFA programs ------------------------------------------------------ */

struct run {
	const struct cfi *c;
	const struct cfi_cie *cie;
	struct cfi_reader r;
	struct cfi_state st;
	struct cfi_state stack[CFI_STACK_MAX];
	size_t depth;
	uint64_t loc, end;
	bool in_cie; /* initial instructions: no rows, no advances */
	bool done;   /* the location passed the end */
	cfi_row_fn fn;
	void *ctx;
};

/* The state holds on [loc, new_loc): report it and move on. */
static int advance_to(struct run *x, uint64_t new_loc)
{
	int err;

	if (x->in_cie)
		return -EINVAL;
	if (new_loc < x->loc)
		return -EINVAL;
	if (new_loc == x->loc)
		return 0;
	if (x->loc < x->end) {
		err = x->fn(x->ctx, x->loc, &x->st);
		if (err)
			return err;
	}
	x->loc = new_loc;
	if (x->loc >= x->end)
		x->done = true;
	return 0;
}

static int advance_by(struct run *x, uint64_t delta)
{
	uint64_t bytes, to;

	/* past the end of the address space is past the FDE's end */
	if (__builtin_mul_overflow(delta, x->cie->caf, &bytes) ||
	    __builtin_add_overflow(x->loc, bytes, &to))
		to = UINT64_MAX;
	return advance_to(x, to);
}

static struct cfi_reg *reg_slot(struct run *x, uint64_t reg)
{
	if (reg == CFI_REG_RBP)
		return &x->st.rbp;
	if (reg == CFI_REG_RA)
		return &x->st.ra;
	return NULL;
}

static void set_reg(struct run *x, uint64_t reg, uint8_t how, int64_t off)
{
	struct cfi_reg *s = reg_slot(x, reg);

	if (s) {
		s->how = how;
		s->off = off;
	}
}

static void restore_reg(struct run *x, uint64_t reg)
{
	struct cfi_reg *s = reg_slot(x, reg);

	if (!s)
		return;
	if (x->in_cie)
		*s = (struct cfi_reg){ 0 };
	else
		*s = reg == CFI_REG_RBP ? x->cie->init.rbp : x->cie->init.ra;
}

/* An unsigned operand times the data alignment factor. */
static int factored_u(struct run *x, uint64_t v, int64_t *out)
{
	if (v > INT64_MAX ||
	    __builtin_mul_overflow((int64_t)v, x->cie->daf, out))
		return -EINVAL;
	return 0;
}

static int factored_s(struct run *x, int64_t v, int64_t *out)
{
	if (__builtin_mul_overflow(v, x->cie->daf, out))
		return -EINVAL;
	return 0;
}

/* A block operand (uleb length, bytes): where it starts and its length. */
static int read_block(struct run *x, const uint8_t **p, size_t *n)
{
	uint64_t len;

	if (cfi_read_uleb(&x->r, &len) || len > x->r.len - x->r.pos)
		return -EINVAL;
	*p = x->r.buf + x->r.pos;
	*n = (size_t)len;
	x->r.pos += (size_t)len;
	return 0;
}

/* One instruction. */
static int step(struct run *x)
{
	uint64_t reg, u, reg2;
	const uint8_t *blk;
	int64_t s, off;
	uint8_t op;
	size_t n;
	int err;

	if (cfi_read_u8(&x->r, &op))
		return -EINVAL;
	switch (op & 0xc0) {
	case CFA_advance_loc:
		return advance_by(x, op & 0x3f);
	case CFA_offset:
		if (cfi_read_uleb(&x->r, &u) || factored_u(x, u, &off))
			return -EINVAL;
		set_reg(x, op & 0x3f, CFI_OFFSET, off);
		return 0;
	case CFA_restore:
		restore_reg(x, op & 0x3f);
		return 0;
	}
	switch (op) {
	case CFA_nop:
		return 0;
	case CFA_set_loc:
		if (cfi_read_pointer(&x->r, x->cie->fde_enc, 0, &u))
			return -EINVAL;
		return advance_to(x, u);
	case CFA_advance_loc1:
	case CFA_advance_loc2:
	case CFA_advance_loc4:
		err = read_le(&x->r,
			      op == CFA_advance_loc1   ? 1
			      : op == CFA_advance_loc2 ? 2
						       : 4,
			      &u);
		return err ? err : advance_by(x, u);
	case CFA_offset_extended:
	case CFA_val_offset:
		if (cfi_read_uleb(&x->r, &reg) || cfi_read_uleb(&x->r, &u) ||
		    factored_u(x, u, &off))
			return -EINVAL;
		set_reg(x, reg,
			op == CFA_offset_extended ? CFI_OFFSET : CFI_VAL_OFFSET,
			off);
		return 0;
	case CFA_offset_extended_sf:
	case CFA_val_offset_sf:
		if (cfi_read_uleb(&x->r, &reg) || cfi_read_sleb(&x->r, &s) ||
		    factored_s(x, s, &off))
			return -EINVAL;
		set_reg(x, reg,
			op == CFA_offset_extended_sf ? CFI_OFFSET
						     : CFI_VAL_OFFSET,
			off);
		return 0;
	case CFA_GNU_negative_offset_extended:
		if (cfi_read_uleb(&x->r, &reg) || cfi_read_uleb(&x->r, &u) ||
		    factored_u(x, u, &off) || off == INT64_MIN)
			return -EINVAL;
		set_reg(x, reg, CFI_OFFSET, -off);
		return 0;
	case CFA_restore_extended:
		if (cfi_read_uleb(&x->r, &reg))
			return -EINVAL;
		restore_reg(x, reg);
		return 0;
	case CFA_undefined:
	case CFA_same_value:
		if (cfi_read_uleb(&x->r, &reg))
			return -EINVAL;
		set_reg(x, reg, op == CFA_undefined ? CFI_UNDEF : CFI_SAME, 0);
		return 0;
	case CFA_register:
		if (cfi_read_uleb(&x->r, &reg) || cfi_read_uleb(&x->r, &reg2) ||
		    reg2 > INT64_MAX)
			return -EINVAL;
		set_reg(x, reg, CFI_REGISTER, (int64_t)reg2);
		return 0;
	case CFA_remember_state:
		if (x->depth == CFI_STACK_MAX)
			return -EINVAL;
		x->stack[x->depth++] = x->st;
		return 0;
	case CFA_restore_state:
		/* the CFA is part of the saved state, as in libgcc */
		if (!x->depth)
			return -EINVAL;
		x->st = x->stack[--x->depth];
		return 0;
	case CFA_def_cfa:
		if (cfi_read_uleb(&x->r, &reg) || cfi_read_uleb(&x->r, &u) ||
		    u > INT64_MAX)
			return -EINVAL;
		x->st.cfa_how = CFI_CFA_REG;
		x->st.cfa_reg = reg;
		x->st.cfa_off = (int64_t)u;
		return 0;
	case CFA_def_cfa_sf:
		if (cfi_read_uleb(&x->r, &reg) || cfi_read_sleb(&x->r, &s) ||
		    factored_s(x, s, &off))
			return -EINVAL;
		x->st.cfa_how = CFI_CFA_REG;
		x->st.cfa_reg = reg;
		x->st.cfa_off = off;
		return 0;
	case CFA_def_cfa_register:
		/* keeps the offset, even after an expression (as libgcc) */
		if (cfi_read_uleb(&x->r, &reg))
			return -EINVAL;
		x->st.cfa_how = CFI_CFA_REG;
		x->st.cfa_reg = reg;
		return 0;
	case CFA_def_cfa_offset:
		/* an offset alone does not turn an expression into reg+off */
		if (cfi_read_uleb(&x->r, &u) || u > INT64_MAX)
			return -EINVAL;
		x->st.cfa_off = (int64_t)u;
		return 0;
	case CFA_def_cfa_offset_sf:
		if (cfi_read_sleb(&x->r, &s) || factored_s(x, s, &off))
			return -EINVAL;
		x->st.cfa_off = off;
		return 0;
	case CFA_def_cfa_expression:
		if (read_block(x, &blk, &n))
			return -EINVAL;
		classify_cfa_expr(blk, n, &x->st);
		return 0;
	case CFA_expression:
	case CFA_val_expression:
		if (cfi_read_uleb(&x->r, &reg) || read_block(x, &blk, &n))
			return -EINVAL;
		set_reg(x, reg, op == CFA_expression ? CFI_EXPR : CFI_VAL_EXPR,
			0);
		return 0;
	case CFA_GNU_args_size:
		return cfi_read_uleb(&x->r, &u);
	default:
		/* unknown, or another architecture's (window save, ...) */
		return -EINVAL;
	}
}

static int run_program(struct run *x, size_t from, size_t to, size_t max_insns)
{
	size_t n = 0;
	int err;

	x->r.buf = x->c->sec.buf;
	x->r.vaddr = x->c->sec.vaddr;
	x->r.pos = from;
	x->r.len = to; /* operands never run past the entry */
	while (x->r.pos < x->r.len && !x->done) {
		if (++n > max_insns)
			return -E2BIG;
		err = step(x);
		if (err)
			return err;
	}
	return 0;
}

/* ---- CIEs and FDEs ----------------------------------------------------- */

/*
 * Parse the CIE whose fields start at body[pos] (after its id) and end at
 * END. Errors only mark the CIE bad.
 */
static void parse_cie(struct cfi *c, struct cfi_cie *cie, size_t pos,
		      size_t end, size_t max_insns)
{
	struct cfi_reader r = c->sec;
	struct cfi_reader aug;
	const char *augstr;
	uint64_t auglen, v;
	uint8_t version, u8, addr_size = 8, seg_size = 0;
	size_t i, slen;
	struct run x;
	int err;

	r.len = end;
	r.pos = pos;
	cie->fde_enc = PE_ABSPTR;
	if (cfi_read_u8(&r, &version))
		goto bad;
	if (c->debug_frame ? version != 1 && version != 3 && version != 4
			   : version != 1 && version != 3)
		goto bad;
	augstr = (const char *)r.buf + r.pos;
	slen = strnlen(augstr, r.len - r.pos);
	if (slen == r.len - r.pos)
		goto bad; /* no NUL inside the entry */
	r.pos += slen + 1;
	if (version == 4) {
		if (cfi_read_u8(&r, &addr_size) || cfi_read_u8(&r, &seg_size))
			goto bad;
		if ((addr_size != 4 && addr_size != 8) || seg_size)
			goto bad;
	}
	if (c->debug_frame)
		cie->fde_enc = addr_size == 4 ? PE_UDATA4 : PE_UDATA8;
	if (cfi_read_uleb(&r, &cie->caf) || cfi_read_sleb(&r, &cie->daf))
		goto bad;
	if (version == 1) {
		if (cfi_read_u8(&r, &u8))
			goto bad;
		cie->ra_reg = u8;
	} else if (cfi_read_uleb(&r, &cie->ra_reg)) {
		goto bad;
	}
	if (augstr[0] == 'z') {
		cie->aug_z = true;
		if (cfi_read_uleb(&r, &auglen) || auglen > r.len - r.pos)
			goto bad;
		aug = r;
		aug.len = r.pos + (size_t)auglen;
		for (i = 1; augstr[i]; i++) {
			switch (augstr[i]) {
			case 'R':
				if (cfi_read_u8(&aug, &cie->fde_enc))
					goto bad;
				break;
			case 'L':
				if (cfi_read_u8(&aug, &u8))
					goto bad;
				break;
			case 'P':
				/* only its size matters: skip the pointer */
				if (cfi_read_u8(&aug, &u8) ||
				    (u8 & 0x70) == PE_ALIGNED ||
				    read_format(&aug, u8 & 0x0f, &v))
					goto bad;
				break;
			case 'S':
				cie->signal = true;
				break;
			case 'B': /* AArch64 B key, MTE tags: no data */
			case 'G':
				break;
			default:
				/* unknown, but 'z' says where the data ends */
				goto aug_done;
			}
		}
	aug_done:
		r.pos += (size_t)auglen;
	} else if (augstr[0]) {
		goto bad; /* unknown and unsized: nothing after it is known */
	}
	/*
	 * FDE addresses need a value, not a pointer to one, and only absolute
	 * or pc-relative ones have a base known here (x86-64 uses those).
	 */
	if (cie->fde_enc == PE_OMIT || (cie->fde_enc & PE_INDIRECT) ||
	    ((cie->fde_enc & 0x70) != 0 && (cie->fde_enc & 0x70) != PE_PCREL))
		goto bad;
	cie->insns = r.pos;
	cie->insns_end = end;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.cie = cie;
	x.in_cie = true;
	x.st.cfa_how = CFI_CFA_REG;
	err = run_program(&x, cie->insns, cie->insns_end, max_insns);
	/* a state left on the stack would leak into every FDE */
	if (err || x.depth) {
		cie->bad_program = true;
		c->bad_cies++;
		return;
	}
	cie->init = x.st;
	return;
bad:
	cie->bad_header = true;
	c->bad_cies++;
}

static int cie_cmp(const void *key, const void *elem)
{
	size_t off = *(const size_t *)key;
	const struct cfi_cie *cie = elem;

	return off < cie->off ? -1 : off > cie->off;
}

/*
 * Place FDE F, whose entry body (after the CIE pointer) is [pos, end):
 * find its CIE, decode its range and skip its augmentation data.
 */
static int place_fde(struct cfi *c, struct cfi_fde *f, size_t cie_off,
		     size_t pos, size_t end)
{
	struct cfi_reader r = c->sec;
	const struct cfi_cie *cie;
	uint64_t pc, range, auglen;

	if (!c->ncies)
		return -EINVAL;
	cie = bsearch(&cie_off, c->cies, c->ncies, sizeof(*c->cies), cie_cmp);
	if (!cie || cie->bad_header)
		return -EINVAL;
	r.len = end;
	r.pos = pos;
	if (cfi_read_pointer(&r, cie->fde_enc, 0, &pc) ||
	    read_format(&r, cie->fde_enc & 0x0f, &range))
		return -EINVAL;
	if (cie->aug_z) {
		if (cfi_read_uleb(&r, &auglen) || auglen > r.len - r.pos)
			return -EINVAL;
		r.pos += (size_t)auglen;
	}
	f->pc = pc;
	/* a range past the address space cannot be a function */
	if (__builtin_add_overflow(pc, range, &f->end))
		return -EINVAL;
	f->insns = r.pos;
	f->insns_end = end;
	f->cie = (size_t)(cie - c->cies);
	return 0;
}

/*
 * Make room for element N of the array at V (capacity *CAP elements of
 * SIZE bytes), doubling up to MAX elements. Returns the array, or NULL with
 * *ERR set (V is then still valid and owned by the caller).
 */
static void *grow(void *v, size_t *cap, size_t n, size_t size, size_t max,
		  int *err)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	if (n >= max) {
		*err = -E2BIG;
		return NULL;
	}
	ncap = *cap ? *cap * 2 : 64;
	if (ncap > max)
		ncap = max;
	nv = realloc(v, ncap * size);
	if (!nv) {
		*err = -ENOMEM;
		return NULL;
	}
	*cap = ncap;
	return nv;
}

/* An FDE seen during the walk, placed once every CIE is known. */
struct pending {
	size_t off, cie_off, body, end;
};

int cfi_scan(struct cfi *c, const uint8_t *buf, size_t len, uint64_t vaddr,
	     bool debug_frame, size_t max_entries, size_t max_insns)
{
	struct cfi_reader r = { .buf = buf, .len = len, .vaddr = vaddr };
	size_t cie_cap = 0, pend_cap = 0, npend = 0, off, body, end, i, n = 0;
	struct pending *pend = NULL, *pnew;
	struct cfi_cie *cies;
	uint64_t length, id;
	unsigned idsize;
	bool is_cie;
	int err = 0;

	memset(c, 0, sizeof(*c));
	c->sec = r;
	c->debug_frame = debug_frame;
	while (r.pos < r.len) {
		off = r.pos;
		if (read_le(&r, 4, &length)) {
			err = -EINVAL;
			goto fail;
		}
		if (length == 0) {
			/* .eh_frame ends at a zero terminator */
			if (!debug_frame)
				break;
			continue;
		}
		idsize = 4;
		if (length == 0xffffffffu) {
			/* 64-bit DWARF: the id is 8 bytes too */
			if (read_le(&r, 8, &length)) {
				err = -EINVAL;
				goto fail;
			}
			idsize = 8;
		} else if (length >= 0xfffffff0u) {
			err = -EINVAL; /* reserved lengths */
			goto fail;
		}
		if (length > r.len - r.pos || length < idsize) {
			err = -EINVAL;
			goto fail;
		}
		body = r.pos;
		end = body + (size_t)length;
		if (++n > max_entries) {
			err = -E2BIG;
			goto fail;
		}
		if (read_le(&r, idsize, &id)) {
			err = -EINVAL;
			goto fail;
		}
		if (debug_frame)
			is_cie = id == (idsize == 4 ? 0xffffffffull : ~0ull);
		else
			is_cie = id == 0;
		if (is_cie) {
			cies = grow(c->cies, &cie_cap, c->ncies,
				    sizeof(*c->cies), max_entries, &err);
			if (!cies)
				goto fail;
			c->cies = cies;
			memset(&c->cies[c->ncies], 0, sizeof(*c->cies));
			c->cies[c->ncies].off = off;
			parse_cie(c, &c->cies[c->ncies], r.pos, end, max_insns);
			c->ncies++;
		} else {
			pnew = grow(pend, &pend_cap, npend, sizeof(*pend),
				    max_entries, &err);
			if (!pnew)
				goto fail;
			pend = pnew;
			pend[npend].off = off;
			/* .eh_frame: back from the pointer field; else from
			 * the section start. SIZE_MAX never names a CIE. */
			if (debug_frame)
				pend[npend].cie_off =
				    id < len ? (size_t)id : SIZE_MAX;
			else
				pend[npend].cie_off =
				    id <= body ? body - (size_t)id : SIZE_MAX;
			pend[npend].body = r.pos;
			pend[npend].end = end;
			npend++;
		}
		r.pos = end;
	}
	c->fdes_total = npend;
	if (npend) {
		c->fdes = calloc(npend, sizeof(*c->fdes));
		if (!c->fdes) {
			err = -ENOMEM;
			goto fail;
		}
	}
	/* CIEs are in offset order: the walk went forward */
	for (i = 0; i < npend; i++) {
		struct cfi_fde *f = &c->fdes[c->nfdes];

		f->off = pend[i].off;
		if (place_fde(c, f, pend[i].cie_off, pend[i].body,
			      pend[i].end)) {
			c->bad_headers++;
			continue;
		}
		c->nfdes++;
	}
	free(pend);
	return 0;
fail:
	free(pend);
	cfi_release(c);
	return err;
}

void cfi_release(struct cfi *c)
{
	free(c->cies);
	free(c->fdes);
	c->cies = NULL;
	c->fdes = NULL;
	c->ncies = c->nfdes = 0;
}

int cfi_run_fde(const struct cfi *c, const struct cfi_fde *fde,
		size_t max_insns, cfi_row_fn fn, void *ctx)
{
	const struct cfi_cie *cie = &c->cies[fde->cie];
	struct run x; /* ~1 KiB: CFI_STACK_MAX bounds the state stack */
	int err;

	if (cie->bad_program || cie->bad_header)
		return -EINVAL;
	x.c = c;
	x.cie = cie;
	x.st = cie->init;
	x.depth = 0;
	x.loc = fde->pc;
	x.end = fde->end;
	x.in_cie = false;
	x.done = false;
	x.fn = fn;
	x.ctx = ctx;
	err = run_program(&x, fde->insns, fde->insns_end, max_insns);
	if (err)
		return err;
	/* the last state holds up to the end */
	if (!x.done && x.loc < x.end)
		return fn(ctx, x.loc, &x.st);
	return 0;
}

/* ---- rules ------------------------------------------------------------- */

enum cfi_reason cfi_state_rule(const struct cfi_cie *cie,
			       const struct cfi_state *st,
			       struct zp_unwind_rule *out)
{
	memset(out, 0, sizeof(*out));
	/*
	 * A signal frame: the kernel's ucontext layout is the ABI, the CFI
	 * only confirms this is one (CFA = the saved rsp in the ucontext).
	 */
	if (cie->signal && st->cfa_how == CFI_CFA_DEREF_RSP &&
	    st->cfa_arg == ZP_UCONTEXT_RSP) {
		out->cfa_type = ZP_CFA_SIGNAL;
		return CFI_OK;
	}
	if (cie->ra_reg != CFI_REG_RA)
		return CFI_WHY_RA;
	if (st->ra.how == CFI_UNDEF) {
		out->cfa_type = ZP_CFA_END;
		return CFI_OK;
	}
	if (st->ra.how != CFI_OFFSET || st->ra.off != -8)
		return CFI_WHY_RA;
	switch (st->cfa_how) {
	case CFI_CFA_REG:
		if (st->cfa_reg != CFI_REG_RSP && st->cfa_reg != CFI_REG_RBP)
			return CFI_WHY_CFA;
		if (st->cfa_off < INT32_MIN || st->cfa_off > INT32_MAX)
			return CFI_WHY_RANGE;
		out->cfa_type =
		    st->cfa_reg == CFI_REG_RSP ? ZP_CFA_RSP : ZP_CFA_RBP;
		out->cfa_off = (__s32)st->cfa_off;
		break;
	case CFI_CFA_PLT:
		out->cfa_type = ZP_CFA_PLT;
		out->cfa_off = (__s32)st->cfa_arg;
		break;
	default:
		return CFI_WHY_CFA;
	}
	switch (st->rbp.how) {
	case CFI_UNSET:
	case CFI_SAME:
		out->rbp_type = ZP_RBP_SAME;
		break;
	case CFI_UNDEF:
		out->rbp_type = ZP_RBP_UNDEF;
		break;
	case CFI_OFFSET:
		if (st->rbp.off < INT32_MIN || st->rbp.off > INT32_MAX) {
			memset(out, 0, sizeof(*out));
			return CFI_WHY_RANGE;
		}
		out->rbp_type = ZP_RBP_AT_CFA;
		out->rbp_off = (__s32)st->rbp.off;
		break;
	default:
		memset(out, 0, sizeof(*out));
		return CFI_WHY_RBP;
	}
	return CFI_OK;
}
