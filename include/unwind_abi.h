/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The unwind tables shared by the user side (src/unwind/, which builds them
 * from .eh_frame or .debug_frame) and the BPF walker of x86-64 user stacks
 * without frame pointers. Fixed-width types only, no pointers, explicit
 * padding, so clang -target bpf and gcc agree on every byte.
 *
 * Two arrays:
 *
 *   struct zp_unwind_row  rows[]   one sorted array per ELF file
 *   struct zp_unwind_rule rules[]  one array for all files (ids are global)
 *
 * Rows. Sorted by pc, strictly increasing. pc is an ELF virtual address of
 * the file (what the symbols use), so a process address is looked up as
 * (addr - load bias). A row applies from its pc up to, not including, the
 * next row's pc; the last row of every table has rule ZP_UNWIND_RULE_NONE, so
 * an address past the end, or before the first row, has no information.
 * Neighbouring rows never carry the same rule (they are merged), and the gap
 * between two functions gets its own NONE row: an address there is never
 * unwound with the rule of the function before it. 32-bit pcs halve the
 * table; files whose text reaches 4 GiB are refused when the table is built.
 *
 * Lookup. The innermost frame looks up its pc. A caller frame looks up
 * (return address - 1): a call can be the last instruction of a function
 * (noreturn callees), and the return address then belongs to the next one.
 * The exception is the frame interrupted by a signal, found through a
 * ZP_CFA_SIGNAL row: its pc is exact and is looked up as is.
 *
 * Rules. Deduplicated across every file (a few hundred exist in practice),
 * so the kernel holds one small array. Rule id 0 is always
 * ZP_UNWIND_RULE_NONE with every field zero, so a zeroed map slot means "no
 * information" too. Per frame, with cfa_off and rbp_off as given:
 *
 *   ZP_CFA_RSP     CFA = rsp + cfa_off
 *   ZP_CFA_RBP     CFA = rbp + cfa_off
 *   ZP_CFA_PLT     CFA = rsp + 8 + ((rip & 15) >= cfa_off ? 8 : 0): the
 *                  lazy-binding PLT stub (push; jmp), whose CFA depends on
 *                  where in the 16-byte entry rip is. cfa_off holds the
 *                  threshold (11 for the classic .plt).
 *   then, for these three:
 *                  return address = *(CFA - 8), caller rsp = CFA, and
 *                  rbp per rbp_type:
 *     ZP_RBP_SAME    rbp unchanged
 *     ZP_RBP_AT_CFA  rbp = *(CFA + rbp_off)   (rbp_off < 0)
 *     ZP_RBP_UNDEF   rbp unknown in the caller (a later rbp-based CFA
 *                    cannot be computed)
 *   ZP_CFA_SIGNAL  a signal frame (glibc __restore_rt, the return address
 *                  of a signal handler): rsp points to the ucontext_t the
 *                  kernel saved; the interrupted context is
 *                  rip = *(rsp + ZP_UCONTEXT_RIP),
 *                  rsp = *(rsp + ZP_UCONTEXT_RSP),
 *                  rbp = *(rsp + ZP_UCONTEXT_RBP).
 *   ZP_CFA_END     the return address is undefined: the outermost frame
 *                  (_start, the child side of clone/clone3). Stop: the
 *                  stack is complete.
 *   ZP_CFA_NONE    no information, or a rule this format cannot express
 *                  (CFA in another register or computed by an unknown
 *                  expression, return address not at CFA-8, rbp kept in
 *                  a register or by an expression). Stop and count the
 *                  stack as truncated.
 *
 * The rule is 12 bytes, not 8, because a 16-bit cfa_off is too small: real
 * libraries have functions with 64 KiB stack frames (rsp+65616 in
 * libpython3.13, rsp+65600 in Debian's python3.11).
 */
#ifndef ZPROFD_UNWIND_ABI_H
#define ZPROFD_UNWIND_ABI_H

#ifdef __bpf__
/* vmlinux.h already gives __u8 .. __u64 */
#else
#include <linux/types.h>
#endif

/* zp_unwind_rule.cfa_type */
enum zp_cfa_type {
	ZP_CFA_NONE = 0,
	ZP_CFA_RSP = 1,
	ZP_CFA_RBP = 2,
	ZP_CFA_PLT = 3,
	ZP_CFA_SIGNAL = 4,
	ZP_CFA_END = 5,
};

/* zp_unwind_rule.rbp_type */
enum zp_rbp_type {
	ZP_RBP_SAME = 0,
	ZP_RBP_AT_CFA = 1,
	ZP_RBP_UNDEF = 2,
};

/* The id of the rule "no information"; its fields are all zero. */
#define ZP_UNWIND_RULE_NONE 0

/*
 * Offsets in the kernel's x86-64 ucontext_t (uc_flags, uc_link, uc_stack,
 * then uc_mcontext whose gregs[] follow the REG_* order of <sys/ucontext.h>:
 * REG_RBP = 10, REG_RSP = 15, REG_RIP = 16), as glibc's __restore_rt CFI
 * also states (DW_OP_breg7 120 / 160 / 168).
 */
#define ZP_UCONTEXT_MCONTEXT 40
#define ZP_UCONTEXT_RBP	     (ZP_UCONTEXT_MCONTEXT + 10 * 8)
#define ZP_UCONTEXT_RSP	     (ZP_UCONTEXT_MCONTEXT + 15 * 8)
#define ZP_UCONTEXT_RIP	     (ZP_UCONTEXT_MCONTEXT + 16 * 8)

struct zp_unwind_row {
	__u32 pc;   /* ELF virtual address where the row starts */
	__u16 rule; /* index in the rules array */
	__u16 pad;
};

struct zp_unwind_rule {
	__u8 cfa_type; /* enum zp_cfa_type */
	__u8 rbp_type; /* enum zp_rbp_type */
	__u16 pad;
	__s32 cfa_off;
	__s32 rbp_off;
};

/*
 * A binary search over 2^20 rows takes 20 steps; builders refuse to make
 * tables larger than this by default (see struct ehtable_opts).
 */
#define ZP_UNWIND_MAX_ROWS (1u << 20)
/* The kernel's row pool (16 MiB) and rule array, unless configured. */
#define ZP_UNWIND_POOL_ROWS (2u << 20)
#define ZP_UNWIND_RULES	    4096u
/* Rule ids are 16 bits. */
#define ZP_UNWIND_MAX_RULES 65536u

/*
 * A process's executable mappings, as the BPF walker sees them: sorted by
 * start, non-overlapping. Each points at its file's rows in the shared row
 * pool (row_n 0: no table for this file, walk it with frame pointers).
 * bias is what to subtract from a process address to get the ELF virtual
 * address the rows use. Processes with more executable mappings keep the
 * ones userspace ranks first (the main binary, libpython, libc, ...).
 */
#define ZP_UNWIND_MAX_MAPS 128

struct zp_unwind_map {
	__u64 start;
	__u64 end;
	__u64 bias;
	__u32 row_off; /* first row in the pool */
	__u32 row_n;
};

struct zp_unwind_proc {
	__u32 nmaps;
	__u32 pad;
	struct zp_unwind_map maps[ZP_UNWIND_MAX_MAPS];
};

_Static_assert(sizeof(struct zp_unwind_row) == 8, "zp_unwind_row ABI size");
_Static_assert(sizeof(struct zp_unwind_map) == 32, "zp_unwind_map ABI size");
_Static_assert(sizeof(struct zp_unwind_rule) == 12, "zp_unwind_rule ABI size");

#endif
