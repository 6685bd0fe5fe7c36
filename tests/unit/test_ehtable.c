// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the unwind-table builder. Real files (libc, Debian's
 * python3.11, pyenv's libpython3.13, and fixtures compiled here with
 * -fomit-frame-pointer, with .eh_frame or only .debug_frame, plain or
 * compressed) are checked against binutils: every row readelf's
 * --debug-dump=frames-interp prints must give the same CFA and rbp rule at
 * its first and last byte, and every address just past an FDE must have no
 * information. Hand-built sections then cover each rule kind exactly, and
 * malformed or oversized input must give a clean error or a counted loss.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include "ehtable.h"
#include "elfsyms.h"

#define LIBC	  "/lib/x86_64-linux-gnu/libc.so.6"
#define PYTHON311 "/usr/bin/python3.11"
#define LIBPY313  "/root/.pyenv/versions/3.13*/lib/libpython3.13.so.1.0"

static char dir[256];

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* A fixture with the shapes compilers produce without frame pointers. */
static const char fixture_src[] =
    "extern void sink(void *p, unsigned long n);\n"
    "extern __attribute__((noreturn)) void die(int);\n"
    "int leaf(int a, int b) { return a * b + 3; }\n"
    /* a 70,000-byte frame: cfa_off beyond 16 bits */
    "int big(int n) { char b[70000]; sink(b, sizeof(b)); return b[n]; }\n"
    /* alloca: CFA in rbp */
    "int dyn(unsigned long n)\n"
    "{ char *p = __builtin_alloca(n); sink(p, n); return p[0]; }\n"
    "int saves(int n)\n"
    "{ int a = leaf(n, 1), b = leaf(n, 2), c = leaf(n, 3), d = leaf(a, b);\n"
    "  sink(0, a + b + c + d); return a + b + c + d + n; }\n"
    "int aligned(int n)\n"
    "{ _Alignas(64) char v[64]; v[0] = n; sink(v, 64); return v[1]; }\n"
    "void fatal(int n) { if (n > 3) die(n); sink(0, n); }\n"
    /* remember/restore_state around an early return */
    "int early(int n)\n"
    "{ if (n < 0) return leaf(n, n) + saves(n); sink(0, 1); return 0; }\n"
    "__attribute__((cold, noinline)) int rare(int n) { sink(0, n); "
    "return n; }\n"
    "int hot(int n) { if (__builtin_expect(n == 7, 0)) return rare(n) + "
    "saves(n); return n; }\n";

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static int setup(void **state)
{
	char src[512];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_ehtable.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path_of(src, sizeof(src), "fx.c");
	f = fopen(src, "w");
	if (!f)
		return -1;
	fputs(fixture_src, f);
	fclose(f);
	if (run("cd %s && cc -O2 -fomit-frame-pointer -shared -fPIC "
		"-nostdlib fx.c -o eh.so",
		dir) ||
	    /* no unwind tables but -g: only .debug_frame */
	    run("cd %s && cc -O2 -fomit-frame-pointer -shared -fPIC "
		"-nostdlib -g -fno-asynchronous-unwind-tables fx.c -o dbg.so "
		"&& objcopy --compress-debug-sections=zlib dbg.so dbgz.so",
		dir) ||
	    /* no CFI at all */
	    run("cd %s && objcopy -R .eh_frame -R .eh_frame_hdr eh.so "
		"nocfi.so 2>/dev/null",
		dir) ||
	    /* text above 4 GiB */
	    run("cd %s && cc -O2 -shared -fPIC -nostdlib "
		"-Wl,-Ttext-segment=0x100000000 fx.c -o high.so",
		dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (dir[0])
		run("rm -rf %s", dir);
	return 0;
}

static bool rule_eq(const struct zp_unwind_rule *a,
		    const struct zp_unwind_rule *b)
{
	return a->cfa_type == b->cfa_type && a->rbp_type == b->rbp_type &&
	       a->cfa_off == b->cfa_off && a->rbp_off == b->rbp_off;
}

static const struct zp_unwind_rule *
rule_at(const struct unwind_rules *r, const struct ehtable *t, uint64_t pc)
{
	return unwind_rules__get(r, ehtable__lookup(t, pc));
}

/* ---- the readelf ground truth ------------------------------------------ */

struct re_row {
	uint64_t loc;
	char cfa[32], rbp[32], ra[32]; /* "" when readelf has no column */
};

struct re_cie {
	unsigned long off;
	bool signal;
	bool has_init;
	struct re_row init;
};

struct re_fde {
	uint64_t pc, end;
	unsigned long cie;
	size_t row0, nrows;
};

struct re_dump {
	struct re_cie *cies;
	size_t ncies;
	struct re_fde *fdes;
	size_t nfdes;
	struct re_row *rows;
	size_t nrows;
};

static void *grow(void *v, size_t n, size_t size)
{
	/* doubling at powers of two */
	if (n && (n & (n - 1)))
		return v;
	v = realloc(v, (n ? 2 * n : 16) * size);
	assert_non_null(v);
	return v;
}

/*
 * Value tokens of a row: readelf prints a register rule as "r9 (r9)", so a
 * token opening with '(' belongs to the one before.
 */
static size_t row_tokens(char *s, char tok[][32], size_t max)
{
	char *save = NULL, *w;
	size_t n = 0;

	for (w = strtok_r(s, " \t\n", &save); w;
	     w = strtok_r(NULL, " \t\n", &save)) {
		if (w[0] == '(' && n)
			continue;
		if (n == max)
			break;
		snprintf(tok[n++], 32, "%s", w);
	}
	return n;
}

/* Parse readelf --debug-dump=frames-interp of PATH, section SECTION. */
static void readelf_frames(const char *path, const char *section,
			   struct re_dump *d)
{
	char cmd[1024], *line = NULL, tok[64][32], want[64], aug[32];
	unsigned long off, len, id, cie;
	unsigned long long pc, end;
	int rbp_col = -1, ra_col = -1, cur = 0; /* 1 CIE, 2 FDE */
	struct re_row row;
	bool in = false;
	size_t cap = 0, n, i;
	const char *q;
	FILE *p;

	memset(d, 0, sizeof(*d));
	snprintf(want, sizeof(want), "%s section", section);
	snprintf(cmd, sizeof(cmd),
		 "readelf --debug-dump=frames-interp '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (getline(&line, &cap, p) > 0) {
		if (!strncmp(line, "Contents of the ", 16)) {
			in = strstr(line, want) != NULL;
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "%lx %lx %lx CIE", &off, &len, &id) == 3 &&
		    (q = strstr(line, "CIE \""))) {
			q += 5;
			snprintf(aug, sizeof(aug), "%.*s",
				 (int)strcspn(q, "\""), q);
			d->cies = grow(d->cies, d->ncies, sizeof(*d->cies));
			d->cies[d->ncies++] = (struct re_cie){
				.off = off,
				.signal = strchr(aug, 'S') != NULL,
			};
			cur = 1;
			continue;
		}
		if (sscanf(line, "%lx %lx %lx FDE cie=%lx pc=%llx..%llx", &off,
			   &len, &id, &cie, &pc, &end) == 6) {
			d->fdes = grow(d->fdes, d->nfdes, sizeof(*d->fdes));
			d->fdes[d->nfdes++] = (struct re_fde){
				.pc = pc,
				.end = end,
				.cie = cie,
				.row0 = d->nrows,
			};
			cur = 2;
			continue;
		}
		if (!strncmp(line, "   LOC", 6)) {
			n = row_tokens(line, tok, 64);
			rbp_col = ra_col = -1;
			/* LOC CFA reg...: value k is column k + 1 */
			for (i = 2; i < n; i++) {
				if (!strcmp(tok[i], "rbp"))
					rbp_col = (int)i - 1;
				if (!strcmp(tok[i], "ra"))
					ra_col = (int)i - 1;
			}
			continue;
		}
		if (strlen(line) > 17 && line[16] == ' ' &&
		    sscanf(line, "%llx", &pc) == 1 && cur) {
			n = row_tokens(line + 17, tok, 64);
			assert_true(n >= 1);
			memset(&row, 0, sizeof(row));
			row.loc = pc;
			snprintf(row.cfa, 32, "%s", tok[0]);
			if (rbp_col >= 0 && (size_t)rbp_col < n)
				snprintf(row.rbp, 32, "%s", tok[rbp_col]);
			if (ra_col >= 0 && (size_t)ra_col < n)
				snprintf(row.ra, 32, "%s", tok[ra_col]);
			if (cur == 1) {
				d->cies[d->ncies - 1].init = row;
				d->cies[d->ncies - 1].has_init = true;
				continue;
			}
			d->rows = grow(d->rows, d->nrows, sizeof(*d->rows));
			d->rows[d->nrows++] = row;
			d->fdes[d->nfdes - 1].nrows++;
		}
	}
	free(line);
	pclose(p);
}

static void re_free(struct re_dump *d)
{
	free(d->cies);
	free(d->fdes);
	free(d->rows);
}

static const struct re_cie *re_cie(const struct re_dump *d, unsigned long off)
{
	size_t i;

	for (i = 0; i < d->ncies; i++)
		if (d->cies[i].off == off)
			return &d->cies[i];
	return NULL;
}

/* [start, end) of section NAME of PATH, false when absent. */
static bool section_range(const char *path, const char *name, uint64_t *start,
			  uint64_t *end)
{
	Elf_Scn *scn = NULL;
	bool found = false;
	size_t shstrndx;
	GElf_Shdr sh;
	const char *n;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while (!found && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			*start = sh.sh_addr;
			*end = sh.sh_addr + sh.sh_size;
			found = true;
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

/*
 * What readelf's row says the rule is, in this format: the same decision
 * list as unwind_abi.h documents, written again from readelf's notation.
 * *RBP_U: rbp shown as "u", which readelf prints both for "never
 * mentioned" (unchanged) and for DW_CFA_undefined.
 */
static void expected_rule(const struct re_row *row, bool signal, bool in_plt,
			  struct zp_unwind_rule *out, bool *rbp_u)
{
	long off;
	char c;

	memset(out, 0, sizeof(*out));
	*rbp_u = false;
	if (signal && !strcmp(row->cfa, "exp")) {
		out->cfa_type = ZP_CFA_SIGNAL;
		return;
	}
	if (!strcmp(row->ra, "u")) {
		out->cfa_type = ZP_CFA_END;
		return;
	}
	if (strcmp(row->ra, "c-8"))
		return;
	if (sscanf(row->cfa, "rsp%ld%c", &off, &c) == 1) {
		out->cfa_type = ZP_CFA_RSP;
		out->cfa_off = (int32_t)off;
	} else if (sscanf(row->cfa, "rbp%ld%c", &off, &c) == 1) {
		out->cfa_type = ZP_CFA_RBP;
		out->cfa_off = (int32_t)off;
	} else if (!strcmp(row->cfa, "exp") && in_plt) {
		/* binutils' lazy .plt: 16-byte entries, pushed from 11 on */
		out->cfa_type = ZP_CFA_PLT;
		out->cfa_off = 11;
	} else {
		return;
	}
	if (!row->rbp[0] || !strcmp(row->rbp, "s")) {
		out->rbp_type = ZP_RBP_SAME;
	} else if (!strcmp(row->rbp, "u")) {
		out->rbp_type = ZP_RBP_SAME;
		*rbp_u = true;
	} else if (sscanf(row->rbp, "c%ld%c", &off, &c) == 1) {
		out->rbp_type = ZP_RBP_AT_CFA;
		out->rbp_off = (int32_t)off;
	} else {
		memset(out, 0, sizeof(*out));
	}
}

struct cmp {
	size_t fdes, rows, checks, ends, bad;
};

static void check_pc(const struct unwind_rules *r, const struct ehtable *t,
		     uint64_t pc, const struct zp_unwind_rule *want, bool rbp_u,
		     struct cmp *c)
{
	const struct zp_unwind_rule *got = rule_at(r, t, pc);
	struct zp_unwind_rule alt = *want;

	alt.rbp_type = ZP_RBP_UNDEF;
	c->checks++;
	if (rule_eq(got, want) || (rbp_u && rule_eq(got, &alt)))
		return;
	if (c->bad++ < 10)
		print_message("# pc %#" PRIx64 ": want %u%+d rbp %u%+d, got "
			      "%u%+d rbp %u%+d\n",
			      pc, want->cfa_type, want->cfa_off, want->rbp_type,
			      want->rbp_off, got->cfa_type, got->cfa_off,
			      got->rbp_type, got->rbp_off);
}

static int fde_pc_cmp(const void *a, const void *b)
{
	const struct re_fde *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/*
 * Compare table T of PATH with readelf's view of SECTION, row by row.
 * Returns the counts; the caller asserts on them.
 */
static struct cmp compare_with_readelf(const char *path, const char *section,
				       const struct unwind_rules *r,
				       const struct ehtable *t)
{
	uint64_t plt0 = 0, plt1 = 0, next, last;
	struct zp_unwind_rule want, none = { 0 };
	const struct re_cie *cie;
	struct re_row *rows, one;
	struct cmp c = { 0 };
	struct re_dump d;
	size_t i, k, n;
	bool rbp_u;

	section_range(path, ".plt", &plt0, &plt1);
	readelf_frames(path, section, &d);
	assert_true(d.nfdes > 0);
	/* sort a copy of the FDE list by address (rows stay where they are) */
	qsort(d.fdes, d.nfdes, sizeof(*d.fdes), fde_pc_cmp);
	for (i = 0; i < d.nfdes; i++) {
		struct re_fde *f = &d.fdes[i];

		if (f->pc >= f->end || f->pc == 0)
			continue;
		cie = re_cie(&d, f->cie);
		assert_non_null(cie);
		c.fdes++;
		rows = &d.rows[f->row0];
		n = f->nrows;
		if (!n) {
			/* no instructions: readelf prints nothing, the
			 * CIE's initial row holds */
			assert_true(cie->has_init);
			one = cie->init;
			one.loc = f->pc;
			rows = &one;
			n = 1;
		}
		for (k = 0; k < n; k++) {
			if (rows[k].loc >= f->end)
				break;
			/* several rows at one address: the last one holds */
			if (k + 1 < n && rows[k + 1].loc == rows[k].loc)
				continue;
			next = k + 1 < n && rows[k + 1].loc < f->end
				   ? rows[k + 1].loc
				   : f->end;
			expected_rule(&rows[k], cie->signal,
				      rows[k].loc >= plt0 && rows[k].loc < plt1,
				      &want, &rbp_u);
			c.rows++;
			check_pc(r, t, rows[k].loc, &want, rbp_u, &c);
			check_pc(r, t, next - 1, &want, rbp_u, &c);
		}
		/* just past the FDE: nothing, unless the next one starts */
		last = f->end;
		if (i + 1 == d.nfdes || d.fdes[i + 1].pc != last) {
			c.ends++;
			check_pc(r, t, last, &none, false, &c);
		}
	}
	print_message("# %s: %zu FDEs, %zu rows, %zu addresses compared with "
		      "readelf, %zu differ\n",
		      path, c.fdes, c.rows, c.checks, c.bad);
	re_free(&d);
	return c;
}

/* Build PATH's table and compare it with readelf's; returns the table. */
static struct ehtable *checked_table(const char *path, const char *section,
				     struct unwind_rules *r)
{
	struct ehtable *t = ehtable__from_file(r, path, NULL);
	const struct ehtable_stats *s;
	struct cmp c;

	assert_non_null(t);
	s = ehtable__stats(t);
	assert_int_equal(s->fdes_bad, 0);
	assert_int_equal(s->fdes_overlap, 0);
	assert_int_equal(s->rows, ehtable__nrows(t));
	c = compare_with_readelf(path, section, r, t);
	assert_true(c.rows > 0);
	assert_int_equal(c.bad, 0);
	/* every FDE readelf shows is in the table */
	assert_int_equal(c.fdes, s->fdes_used);
	return t;
}

static bool first_glob(const char *pattern, char *out, size_t size)
{
	glob_t g;
	bool ok;

	if (glob(pattern, 0, NULL, &g))
		return false;
	ok = g.gl_pathc > 0;
	if (ok)
		snprintf(out, size, "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	return ok;
}

/* Read SIZE bytes at ELF virtual address VADDR of PATH. */
static void read_vaddr(const char *path, uint64_t vaddr, void *out, size_t size)
{
	GElf_Phdr ph;
	size_t i, n;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getphdrnum(elf, &n), 0);
	for (i = 0; i < n; i++) {
		assert_non_null(gelf_getphdr(elf, (int)i, &ph));
		if (ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr + size <= ph.p_vaddr + ph.p_filesz) {
			assert_int_equal(
			    pread(fd, out, size,
				  (off_t)(ph.p_offset + vaddr - ph.p_vaddr)),
			    (ssize_t)size);
			break;
		}
	}
	assert_true(i < n);
	elf_end(elf);
	close(fd);
}

/* ---- format and rules -------------------------------------------------- */

static void test_abi(void **state)
{
	(void)state;
	/* the ucontext offsets the BPF side will read */
	assert_int_equal(ZP_UCONTEXT_MCONTEXT,
			 offsetof(ucontext_t, uc_mcontext));
	assert_int_equal(ZP_UCONTEXT_RBP,
			 offsetof(ucontext_t, uc_mcontext.gregs[REG_RBP]));
	assert_int_equal(ZP_UCONTEXT_RSP,
			 offsetof(ucontext_t, uc_mcontext.gregs[REG_RSP]));
	assert_int_equal(ZP_UCONTEXT_RIP,
			 offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]));
	assert_int_equal(offsetof(struct zp_unwind_rule, cfa_off), 4);
	assert_int_equal(offsetof(struct zp_unwind_rule, rbp_off), 8);
}

static void test_rules(void **state)
{
	struct zp_unwind_rule a = { .cfa_type = ZP_CFA_RSP, .cfa_off = 16 };
	struct zp_unwind_rule b = { .cfa_type = ZP_CFA_RBP,
				    .cfa_off = 16,
				    .rbp_type = ZP_RBP_AT_CFA,
				    .rbp_off = -16 };
	struct zp_unwind_rule bad = { .cfa_type = 99 };
	struct unwind_rules *r;

	(void)state;
	errno = 0;
	assert_null(unwind_rules__new(0));
	assert_int_equal(errno, EINVAL);
	assert_null(unwind_rules__new(ZP_UNWIND_MAX_RULES + 1));
	r = unwind_rules__new(3);
	assert_non_null(r);
	/* id 0 is "no information", all zero */
	assert_int_equal(unwind_rules__count(r), 1);
	assert_int_equal(unwind_rules__get(r, 0)->cfa_type, ZP_CFA_NONE);
	assert_int_equal(unwind_rules__intern(r, &(struct zp_unwind_rule){ 0 }),
			 0);
	assert_int_equal(unwind_rules__intern(r, &a), 1);
	assert_int_equal(unwind_rules__intern(r, &b), 2);
	assert_int_equal(unwind_rules__intern(r, &a), 1);
	assert_int_equal(unwind_rules__intern(r, &b), 2);
	a.cfa_off = 24;
	assert_int_equal(unwind_rules__intern(r, &a), -ENOSPC);
	assert_int_equal(unwind_rules__intern(r, &bad), -EINVAL);
	assert_int_equal(unwind_rules__count(r), 3);
	assert_true(rule_eq(&unwind_rules__array(r)[2], &b));
	assert_null(unwind_rules__get(r, 3));
	unwind_rules__free(r);
	unwind_rules__free(NULL);
	ehtable__free(NULL);

	/* many distinct rules through the hash: all found again */
	r = unwind_rules__new(ZP_UNWIND_MAX_RULES);
	assert_non_null(r);
	for (int i = 1; i < 5000; i++) {
		a.cfa_off = i;
		assert_int_equal(unwind_rules__intern(r, &a), i);
	}
	for (int i = 1; i < 5000; i++) {
		a.cfa_off = i;
		assert_int_equal(unwind_rules__intern(r, &a), i);
	}
	unwind_rules__free(r);
}

/* ---- real files against readelf ---------------------------------------- */

static void test_libc(void **state)
{
	static const uint8_t restore_rt[] = {
		0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, /* mov $15, %rax */
		0x0f, 0x05,				  /* syscall */
	};
	const struct zp_unwind_rule *u;
	const struct elfsym *sym;
	struct unwind_rules *r;
	uint64_t plt0, plt1, pc;
	struct ehtable *t;
	struct elfsyms *syms;
	struct re_dump d;
	uint8_t code[sizeof(restore_rt)];
	size_t i, nsig = 0, nend = 0;

	(void)state;
	if (access(LIBC, R_OK))
		skip();
	r = unwind_rules__new(ZP_UNWIND_MAX_RULES);
	assert_non_null(r);
	t = checked_table(LIBC, ".eh_frame", r);

	/* the lazy PLT: after PLT0's first 16 bytes, one rule to the end */
	assert_true(section_range(LIBC, ".plt", &plt0, &plt1));
	u = rule_at(r, t, plt0 + 16);
	assert_int_equal(u->cfa_type, ZP_CFA_PLT);
	assert_int_equal(u->cfa_off, 11);
	assert_ptr_equal(rule_at(r, t, plt1 - 1), u);

	/* __restore_rt: the signal CIE's FDE, and the code is rt_sigreturn */
	readelf_frames(LIBC, ".eh_frame", &d);
	for (i = 0; i < d.nfdes; i++) {
		if (!re_cie(&d, d.fdes[i].cie)->signal)
			continue;
		nsig++;
		/* the FDE starts one byte early, for pc - 1 lookups */
		pc = d.fdes[i].pc + 1;
		read_vaddr(LIBC, pc, code, sizeof(code));
		assert_memory_equal(code, restore_rt, sizeof(code));
		assert_int_equal(rule_at(r, t, pc)->cfa_type, ZP_CFA_SIGNAL);
		assert_int_equal(rule_at(r, t, d.fdes[i].pc)->cfa_type,
				 ZP_CFA_SIGNAL);
	}
	re_free(&d);
	assert_int_equal(nsig, 1);

	/* clone's child side is the bottom of every thread stack */
	syms = elfsyms__open(LIBC, &(struct elfsyms_opts){ .debug_root = "" });
	assert_non_null(syms);
	for (i = 0; i < elfsyms__count(syms); i++) {
		sym = elfsyms__sym(syms, i);
		if (strcmp(sym->name, "clone") && strcmp(sym->name, "__clone"))
			continue;
		for (pc = sym->start; pc < sym->start + sym->size; pc++)
			if (rule_at(r, t, pc)->cfa_type == ZP_CFA_END)
				nend++;
	}
	elfsyms__free(syms);
	assert_true(nend > 0);
	ehtable__free(t);
	unwind_rules__free(r);
}

static void test_python311(void **state)
{
	struct unwind_rules *r;
	struct ehtable *t;
	GElf_Ehdr eh;
	Elf *elf;
	int fd;

	(void)state;
	if (access(PYTHON311, R_OK))
		skip();
	r = unwind_rules__new(ZP_UNWIND_MAX_RULES);
	assert_non_null(r);
	t = checked_table(PYTHON311, ".eh_frame", r);
	/* _start (the entry point) ends the stack */
	fd = open(PYTHON311, O_RDONLY);
	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(gelf_getehdr(elf, &eh));
	assert_int_equal(rule_at(r, t, eh.e_entry)->cfa_type, ZP_CFA_END);
	elf_end(elf);
	close(fd);
	ehtable__free(t);
	unwind_rules__free(r);
}

static void test_libpython313(void **state)
{
	const struct elfsym *sym;
	struct unwind_rules *r;
	struct elfsyms *syms;
	struct ehtable *t;
	char path[512];
	size_t i, ncold = 0, len;

	(void)state;
	if (!first_glob(LIBPY313, path, sizeof(path)))
		skip();
	r = unwind_rules__new(ZP_UNWIND_MAX_RULES);
	assert_non_null(r);
	t = checked_table(path, ".eh_frame", r);
	/* functions split by gcc: each .cold part is covered too */
	syms = elfsyms__open(path, &(struct elfsyms_opts){ .debug_root = "" });
	assert_non_null(syms);
	for (i = 0; i < elfsyms__count(syms); i++) {
		sym = elfsyms__sym(syms, i);
		len = strlen(sym->name);
		if (len < 5 || strcmp(sym->name + len - 5, ".cold"))
			continue;
		ncold++;
		assert_int_not_equal(ehtable__lookup(t, sym->start),
				     ZP_UNWIND_RULE_NONE);
		assert_int_not_equal(
		    ehtable__lookup(t, sym->start + sym->size - 1),
		    ZP_UNWIND_RULE_NONE);
	}
	elfsyms__free(syms);
	print_message("# %zu .cold parts covered\n", ncold);
	assert_true(ncold > 0);
	ehtable__free(t);
	unwind_rules__free(r);
}

/* Whether a row of T has CFA type TYPE with offset OFF. */
static bool has_rule(const struct unwind_rules *r, const struct ehtable *t,
		     int type, int32_t off)
{
	const struct zp_unwind_row *rows = ehtable__rows(t);
	const struct zp_unwind_rule *u;
	size_t i;

	for (i = 0; i < ehtable__nrows(t); i++) {
		u = unwind_rules__get(r, rows[i].rule);
		if (u->cfa_type == type && u->cfa_off == off)
			return true;
	}
	return false;
}

/* The same rules, row for row (ids of one rule set). */
static void assert_same_table(const struct ehtable *a, const struct ehtable *b)
{
	assert_int_equal(ehtable__nrows(a), ehtable__nrows(b));
	assert_memory_equal(ehtable__rows(a), ehtable__rows(b),
			    ehtable__nrows(a) * sizeof(struct zp_unwind_row));
}

static void test_compiled(void **state)
{
	char eh[512], dbg[512], dbgz[512];
	struct ehtable *te, *td, *tz;
	struct unwind_rules *r;

	(void)state;
	path_of(eh, sizeof(eh), "eh.so");
	path_of(dbg, sizeof(dbg), "dbg.so");
	path_of(dbgz, sizeof(dbgz), "dbgz.so");
	r = unwind_rules__new(ZP_UNWIND_MAX_RULES);
	assert_non_null(r);
	te = checked_table(eh, ".eh_frame", r);
	assert_int_equal(ehtable__stats(te)->source, EHTABLE_SRC_EH_FRAME);
	/* the 70,000-byte frame and the alloca frame are in there */
	assert_true(has_rule(r, te, ZP_CFA_RSP, 70016));
	assert_true(has_rule(r, te, ZP_CFA_RBP, 16));
	td = checked_table(dbg, ".debug_frame", r);
	assert_int_equal(ehtable__stats(td)->source, EHTABLE_SRC_DEBUG_FRAME);
	tz = ehtable__from_file(r, dbgz, NULL);
	assert_non_null(tz);
	assert_int_equal(ehtable__stats(tz)->source, EHTABLE_SRC_DEBUG_FRAME);
	assert_same_table(td, tz);
	ehtable__free(te);
	ehtable__free(td);
	ehtable__free(tz);
	unwind_rules__free(r);
}

static void *slurp(const char *path, size_t *len)
{
	struct stat st;
	void *buf;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Without section headers, PT_GNU_EH_FRAME leads to the same table. */
static void test_no_section_headers(void **state)
{
	struct ehtable *a, *b;
	struct unwind_rules *r;
	uint8_t *img;
	size_t len;

	(void)state;
	if (access(LIBC, R_OK))
		skip();
	r = unwind_rules__new(ZP_UNWIND_MAX_RULES);
	assert_non_null(r);
	a = ehtable__from_file(r, LIBC, NULL);
	assert_non_null(a);
	img = slurp(LIBC, &len);
	b = ehtable__from_memory(r, img, len, NULL);
	assert_non_null(b);
	assert_same_table(a, b);
	ehtable__free(b);
	/* e_shoff, e_shnum, e_shstrndx of the ELF64 header */
	memset(img + 0x28, 0, 8);
	memset(img + 0x3c, 0, 4);
	b = ehtable__from_memory(r, img, len, NULL);
	assert_non_null(b);
	assert_same_table(a, b);
	ehtable__free(b);
	free(img);
	ehtable__free(a);
	unwind_rules__free(r);
}

/* The vDSO: an image in memory, dumped for readelf. */
static void test_vdso(void **state)
{
	unsigned long long lo = 0, hi = 0;
	struct unwind_rules *r;
	struct ehtable *a, *b;
	char path[512], line[512];
	FILE *f;

	(void)state;
	f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]") &&
		    sscanf(line, "%llx-%llx", &lo, &hi) == 2)
			break;
	fclose(f);
	if (!lo)
		skip();
	path_of(path, sizeof(path), "vdso.so");
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite((void *)(uintptr_t)lo, 1, hi - lo, f), hi - lo);
	fclose(f);
	r = unwind_rules__new(ZP_UNWIND_MAX_RULES);
	assert_non_null(r);
	a = checked_table(path, ".eh_frame", r);
	b = ehtable__from_memory(r, (void *)(uintptr_t)lo, hi - lo, NULL);
	assert_non_null(b);
	assert_same_table(a, b);
	ehtable__free(a);
	ehtable__free(b);
	unwind_rules__free(r);
}

static void test_elf_errors(void **state)
{
	char path[512];
	struct unwind_rules *r;
	uint8_t *img;
	size_t len;

	(void)state;
	r = unwind_rules__new(16);
	assert_non_null(r);
	errno = 0;
	assert_null(ehtable__from_memory(r, "not an ELF", 10, NULL));
	assert_int_equal(errno, ENOEXEC);
	path_of(path, sizeof(path), "nocfi.so");
	errno = 0;
	assert_null(ehtable__from_file(r, path, NULL));
	assert_int_equal(errno, ENOENT);
	path_of(path, sizeof(path), "high.so");
	errno = 0;
	assert_null(ehtable__from_file(r, path, NULL));
	assert_int_equal(errno, E2BIG);
	/* another machine's registers: refused */
	path_of(path, sizeof(path), "eh.so");
	img = slurp(path, &len);
	img[0x12] = 183; /* e_machine = EM_AARCH64 */
	errno = 0;
	assert_null(ehtable__from_memory(r, img, len, NULL));
	assert_int_equal(errno, ENOEXEC);
	free(img);
	errno = 0;
	assert_null(ehtable__from_file(r, "/nonexistent", NULL));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(ehtable__from_file(r, dir, NULL));
	assert_int_equal(errno, EINVAL);
	unwind_rules__free(r);
}

/* ---- hand-built sections ----------------------------------------------- */

struct sb {
	uint8_t b[8192];
	size_t n;
};

static void put(struct sb *s, const void *p, size_t n)
{
	assert_true(s->n + n <= sizeof(s->b));
	if (n) /* P may be NULL for an empty program */
		memcpy(s->b + s->n, p, n);
	s->n += n;
}

static void put_u32(struct sb *s, uint32_t v)
{
	put(s, &v, 4);
}

static size_t entry_begin(struct sb *s)
{
	size_t at = s->n;

	put_u32(s, 0); /* length, patched by entry_end */
	return at;
}

static void entry_end(struct sb *s, size_t at)
{
	uint32_t len = (uint32_t)(s->n - at - 4);

	memcpy(s->b + at, &len, 4);
}

/* The CFA and return address rules every x86-64 CIE starts with. */
static const uint8_t std_init[] = { 0x0c, 0x07, 0x08, /* def_cfa rsp+8 */
				    0x90, 0x01 };     /* ra at cfa-8 */

/* A "zR" CIE with 4-byte absolute FDE addresses (AUG "zR" or "zRS"). */
static size_t cie(struct sb *s, const char *aug, const uint8_t *insns, size_t n)
{
	size_t at = entry_begin(s);
	static const uint8_t fields[] = { 0x01, 0x78, 0x10, /* caf 1, daf -8,
							       ra 16 */
					  0x01, 0x03 };	    /* udata4 */

	put_u32(s, 0); /* CIE id */
	put(s, "\x01", 1);
	put(s, aug, strlen(aug) + 1);
	put(s, fields, sizeof(fields));
	put(s, insns, n);
	entry_end(s, at);
	return at;
}

static void fde(struct sb *s, size_t cie_at, uint32_t pc, uint32_t len,
		const uint8_t *insns, size_t n)
{
	size_t at = entry_begin(s);

	/* the CIE pointer counts back from its own field */
	put_u32(s, (uint32_t)(s->n - cie_at));
	put_u32(s, pc);
	put_u32(s, len);
	put(s, "\x00", 1); /* no augmentation data */
	put(s, insns, n);
	entry_end(s, at);
}

static struct ehtable *from_sb(struct unwind_rules *r, const struct sb *s,
			       const struct ehtable_opts *o)
{
	return ehtable__from_section(r, EHTABLE_SRC_EH_FRAME, s->b, s->n,
				     0x400000, o);
}

struct want_row {
	uint32_t pc;
	struct zp_unwind_rule rule;
};

static void assert_rows(const struct unwind_rules *r, const struct ehtable *t,
			const struct want_row *w, size_t n)
{
	const struct zp_unwind_row *rows = ehtable__rows(t);
	size_t i;

	assert_int_equal(ehtable__nrows(t), n);
	for (i = 0; i < n; i++) {
		assert_int_equal(rows[i].pc, w[i].pc);
		if (!rule_eq(unwind_rules__get(r, rows[i].rule), &w[i].rule))
			fail_msg("row %zu (pc %#x): rule differs", i, w[i].pc);
	}
}

#define RSP(o)                                                                 \
	{                                                                      \
		.cfa_type = ZP_CFA_RSP, .cfa_off = (o)                         \
	}
#define RSP_BP(o, b)                                                           \
	{                                                                      \
		ZP_CFA_RSP, ZP_RBP_AT_CFA, 0, (o), (b)                         \
	}
#define RBP_BP(o, b)                                                           \
	{                                                                      \
		ZP_CFA_RBP, ZP_RBP_AT_CFA, 0, (o), (b)                         \
	}
#define NONE                                                                   \
	{                                                                      \
		0                                                              \
	}

/* Three functions: a framed one, a bare one after a gap, a PLT. */
static void basic_section(struct sb *s)
{
	static const uint8_t f1[] = {
		0x41,		  /* advance 1 */
		0x0e, 0x10,	  /* def_cfa_offset 16 */
		0x86, 0x02,	  /* rbp at cfa-16 */
		0x43,		  /* advance 3 */
		0x0d, 0x06,	  /* def_cfa_register rbp */
		0x50,		  /* advance 16 */
		0x0c, 0x07, 0x08, /* def_cfa rsp+8 */
		0xc6,		  /* restore rbp */
	};
	static const uint8_t plt[] = {
		0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f,
		0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22,
	};
	size_t c;

	memset(s, 0, sizeof(*s));
	c = cie(s, "zR", std_init, sizeof(std_init));
	fde(s, c, 0x1000, 0x20, f1, sizeof(f1));
	fde(s, c, 0x1040, 0x10, NULL, 0);
	fde(s, c, 0x1050, 0x10, plt, sizeof(plt));
	put_u32(s, 0); /* terminator */
}

static void test_synthetic(void **state)
{
	static const struct want_row want[] = {
		{ 0x1000, RSP(8) },
		{ 0x1001, RSP_BP(16, -16) },
		{ 0x1004, RBP_BP(16, -16) },
		{ 0x1014, RSP(8) },
		{ 0x1020, NONE },
		{ 0x1040, RSP(8) },
		{ 0x1050, { .cfa_type = ZP_CFA_PLT, .cfa_off = 11 } },
		{ 0x1060, NONE },
	};
	const struct ehtable_stats *st;
	struct unwind_rules *r;
	struct ehtable *t;
	struct sb s;

	(void)state;
	r = unwind_rules__new(64);
	assert_non_null(r);
	basic_section(&s);
	t = from_sb(r, &s, NULL);
	assert_non_null(t);
	assert_rows(r, t, want, sizeof(want) / sizeof(want[0]));
	st = ehtable__stats(t);
	assert_int_equal(st->cies, 1);
	assert_int_equal(st->fdes, 3);
	assert_int_equal(st->fdes_used, 3);
	assert_int_equal(st->rows_cfi, 6);
	assert_int_equal(st->rows, 8);
	/* lookups: before, inside, at the edges, in the gap, after */
	assert_int_equal(ehtable__lookup(t, 0xfff), ZP_UNWIND_RULE_NONE);
	assert_true(rule_eq(rule_at(r, t, 0x1003),
			    &(struct zp_unwind_rule)RSP_BP(16, -16)));
	assert_int_equal(ehtable__lookup(t, 0x101f),
			 ehtable__lookup(t, 0x1000));
	assert_int_equal(ehtable__lookup(t, 0x1020), ZP_UNWIND_RULE_NONE);
	assert_int_equal(ehtable__lookup(t, 0x103f), ZP_UNWIND_RULE_NONE);
	assert_int_equal(ehtable__lookup(t, 0x1060), ZP_UNWIND_RULE_NONE);
	assert_int_equal(ehtable__lookup(t, 1ull << 40), ZP_UNWIND_RULE_NONE);
	ehtable__free(t);
	unwind_rules__free(r);
}

/* One FDE at 0x1000 of LEN bytes with program P under CIE (AUG, INIT). */
static struct ehtable *one_fde(struct unwind_rules *r, const char *aug,
			       const uint8_t *init, size_t ninit,
			       const uint8_t *p, size_t n, uint32_t len,
			       const struct ehtable_opts *o)
{
	struct sb s = { .n = 0 };
	size_t c;

	c = cie(&s, aug, init, ninit);
	fde(&s, c, 0x1000, len, p, n);
	put_u32(&s, 0);
	return from_sb(r, &s, o);
}

static void test_rule_kinds(void **state)
{
	static const uint8_t remember[] = {
		0x41, 0x0e, 0x10, /* @1 rsp+16 */
		0x0a,		  /* remember */
		0x41, 0x0e, 0x08, /* @2 rsp+8 */
		0x41, 0x0b,	  /* @3 restore: rsp+16 again */
	};
	static const uint8_t cfa_r10[] = { 0x41, 0x0c, 0x0a, 0x00 };
	static const uint8_t ra_reg[] = { 0x41, 0x09, 0x10, 0x01 };
	static const uint8_t rbp_expr[] = {
		0x41, 0x10, 0x06, 0x02, 0x76, 0x00
	};
	static const uint8_t rbp_reg[] = { 0x41, 0x09, 0x06, 0x03 };
	static const uint8_t ra_undef[] = { 0x41, 0x07, 0x10 };
	static const uint8_t rbp_undef[] = { 0x41, 0x07, 0x06 };
	static const uint8_t cfa_expr[] = { 0x41, 0x0f, 0x02, 0x76, 0x00 };
	static const uint8_t huge_off[] = { 0x41, 0x0e, 0x80, 0x80,
					    0x80, 0x80, 0x08 };
	static const uint8_t sig_cfa[] = { 0x0f, 0x04, 0x77, 0xa0, 0x01, 0x06 };
	static const uint8_t not_sig_cfa[] = { 0x0f, 0x04, 0x77,
					       0x96, 0x01, 0x06 };
	static const uint8_t sf[] = { 0x41, 0x12, 0x07, 0x7c, /* cfa rsp+32 */
				      0x11, 0x06, 0x03 };     /* rbp -24 */
	static const struct want_row w_rem[] = {
		{ 0x1000, RSP(8) },  { 0x1001, RSP(16) }, { 0x1002, RSP(8) },
		{ 0x1003, RSP(16) }, { 0x1010, NONE },
	};
	static const struct want_row w_none[] = {
		{ 0x1000, RSP(8) },
		{ 0x1001, NONE },
	};
	static const struct want_row w_end[] = {
		{ 0x1000, RSP(8) },
		{ 0x1001, { .cfa_type = ZP_CFA_END } },
		{ 0x1010, NONE },
	};
	static const struct want_row w_rbp_undef[] = {
		{ 0x1000, RSP(8) },
		{ 0x1001, { ZP_CFA_RSP, ZP_RBP_UNDEF, 0, 8, 0 } },
		{ 0x1010, NONE },
	};
	static const struct want_row w_sig[] = {
		{ 0x1000, { .cfa_type = ZP_CFA_SIGNAL } },
		{ 0x1010, NONE },
	};
	static const struct want_row w_sf[] = {
		{ 0x1000, RSP(8) },
		{ 0x1001, RSP_BP(32, -24) },
		{ 0x1010, NONE },
	};
	struct unwind_rules *r;
	struct ehtable *t;

	(void)state;
	r = unwind_rules__new(64);
	assert_non_null(r);
#define ONE(aug, p)                                                            \
	one_fde(r, aug, std_init, sizeof(std_init), p, sizeof(p), 0x10, NULL)
	t = ONE("zR", remember);
	assert_non_null(t);
	assert_rows(r, t, w_rem, 5);
	ehtable__free(t);

	/* each unsupported rule: no information, counted by reason */
	t = ONE("zR", cfa_r10);
	assert_rows(r, t, w_none, 2);
	assert_int_equal(ehtable__stats(t)->rows_cfa, 1);
	ehtable__free(t);
	t = ONE("zR", cfa_expr);
	assert_rows(r, t, w_none, 2);
	assert_int_equal(ehtable__stats(t)->rows_cfa, 1);
	ehtable__free(t);
	t = ONE("zR", ra_reg);
	assert_rows(r, t, w_none, 2);
	assert_int_equal(ehtable__stats(t)->rows_ra, 1);
	ehtable__free(t);
	t = ONE("zR", rbp_expr);
	assert_rows(r, t, w_none, 2);
	assert_int_equal(ehtable__stats(t)->rows_rbp, 1);
	ehtable__free(t);
	t = ONE("zR", rbp_reg);
	assert_rows(r, t, w_none, 2);
	assert_int_equal(ehtable__stats(t)->rows_rbp, 1);
	ehtable__free(t);
	t = ONE("zR", huge_off);
	assert_rows(r, t, w_none, 2);
	assert_int_equal(ehtable__stats(t)->rows_range, 1);
	ehtable__free(t);

	t = ONE("zR", ra_undef);
	assert_rows(r, t, w_end, 3);
	ehtable__free(t);
	t = ONE("zR", rbp_undef);
	assert_rows(r, t, w_rbp_undef, 3);
	ehtable__free(t);
	t = ONE("zR", sf);
	assert_rows(r, t, w_sf, 3);
	ehtable__free(t);

	/* a signal frame needs the 'S' CIE and CFA = *(rsp + 160) */
	t = ONE("zRS", sig_cfa);
	assert_rows(r, t, w_sig, 2);
	ehtable__free(t);
	t = ONE("zR", sig_cfa);
	assert_int_equal(ehtable__nrows(t), 1);
	assert_int_equal(ehtable__rows(t)[0].rule, ZP_UNWIND_RULE_NONE);
	ehtable__free(t);
	t = ONE("zRS", not_sig_cfa);
	assert_int_equal(ehtable__stats(t)->rows_cfa, 1);
	ehtable__free(t);
#undef ONE
	unwind_rules__free(r);
}

/* A malformed program loses its FDE only, or fails everything if strict. */
static void expect_bad_fde(struct unwind_rules *r, const char *aug,
			   const uint8_t *init, size_t ninit, const uint8_t *p,
			   size_t n)
{
	static const struct want_row w[] = { { 0x1000, NONE } };
	struct ehtable_opts strict = { .strict = true };
	struct ehtable *t;

	t = one_fde(r, aug, init, ninit, p, n, 0x10, NULL);
	assert_non_null(t);
	assert_int_equal(ehtable__stats(t)->fdes_bad, 1);
	assert_int_equal(ehtable__stats(t)->fdes_used, 0);
	assert_rows(r, t, w, 1);
	ehtable__free(t);
	errno = 0;
	assert_null(one_fde(r, aug, init, ninit, p, n, 0x10, &strict));
	assert_true(errno == EINVAL || errno == E2BIG);
}

static void test_malformed(void **state)
{
	static const uint8_t unknown_op[] = { 0x41, 0x3f };
	static const uint8_t pop_empty[] = { 0x41, 0x0b };
	static const uint8_t long_uleb[] = { 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0x7f };
	static const uint8_t block_past[] = { 0x0f, 0x20, 0x77 };
	static const uint8_t cut_operand[] = { 0x41, 0x0c, 0x07 };
	static const uint8_t back_loc[] = {
		0x41, 0x01, 0x00, 0x10, 0x00, 0x00
	};
	static const uint8_t advance_in_cie[] = { 0x0c, 0x07, 0x08,
						  0x90, 0x01, 0x41 };
	static const uint8_t huge_advance[] = { 0x41, 0x0e, 0x10, 0x04, 0xff,
						0xff, 0xff, 0xff, 0x0e, 0x18 };
	static const struct want_row w_huge[] = {
		{ 0x1000, RSP(8) },
		{ 0x1001, RSP(16) },
		{ 0x1010, NONE },
	};
	struct ehtable_opts strict = { .strict = true };
	uint8_t deep[64];
	struct unwind_rules *r;
	struct ehtable *t;
	struct sb s, cut;
	uint32_t v;
	size_t i, c, fde_at;

	(void)state;
	r = unwind_rules__new(64);
	assert_non_null(r);
#define BAD(p) expect_bad_fde(r, "zR", std_init, sizeof(std_init), p, sizeof(p))
	BAD(unknown_op);
	BAD(pop_empty);
	BAD(long_uleb);
	BAD(block_past);
	BAD(cut_operand);
	BAD(back_loc);
#undef BAD
	/* remember_state nested deeper than any compiler does */
	memset(deep, 0x0a, sizeof(deep));
	expect_bad_fde(r, "zR", std_init, sizeof(std_init), deep, sizeof(deep));
	/* rows need no advance in the CIE: its FDEs cannot be trusted */
	expect_bad_fde(r, "zR", advance_in_cie, sizeof(advance_in_cie), NULL,
		       0);

	/* an advance past the end only ends the FDE early */
	t = one_fde(r, "zR", std_init, sizeof(std_init), huge_advance,
		    sizeof(huge_advance), 0x10, NULL);
	assert_non_null(t);
	assert_rows(r, t, w_huge, 3);
	assert_int_equal(ehtable__stats(t)->fdes_bad, 0);
	ehtable__free(t);

	/* an augmentation nobody can size: the FDEs cannot be placed */
	t = one_fde(r, "xy", std_init, sizeof(std_init), NULL, 0, 0x10, NULL);
	assert_non_null(t);
	assert_int_equal(ehtable__nrows(t), 0);
	assert_int_equal(ehtable__stats(t)->fdes_bad, 1);
	ehtable__free(t);
	errno = 0;
	assert_null(one_fde(r, "xy", std_init, sizeof(std_init), NULL, 0, 0x10,
			    &strict));
	assert_int_equal(errno, EINVAL);

	/* a CIE pointer to something that is not a CIE */
	basic_section(&s);
	memcpy(&v, s.b, 4);
	fde_at = 4 + v; /* the first FDE follows the CIE */
	v = 0x10;
	memcpy(s.b + fde_at + 4, &v, 4);
	t = from_sb(r, &s, NULL);
	assert_non_null(t);
	assert_int_equal(ehtable__stats(t)->fdes_bad, 1);
	assert_int_equal(ehtable__stats(t)->fdes_used, 2);
	assert_int_equal(ehtable__lookup(t, 0x1000), ZP_UNWIND_RULE_NONE);
	ehtable__free(t);
	errno = 0;
	assert_null(from_sb(r, &s, &strict));
	assert_int_equal(errno, EINVAL);

	/* every truncation: a table or EINVAL, never more than was there */
	basic_section(&s);
	for (i = 0; i < s.n; i++) {
		cut = s;
		cut.n = i;
		errno = 0;
		t = from_sb(r, &cut, NULL);
		if (!t) {
			assert_int_equal(errno, EINVAL);
			continue;
		}
		assert_true(ehtable__nrows(t) <= 8);
		ehtable__free(t);
	}
	/* a length running past the section */
	v = 0x1000;
	memcpy(s.b + fde_at, &v, 4);
	errno = 0;
	assert_null(from_sb(r, &s, NULL));
	assert_int_equal(errno, EINVAL);
	/* reserved lengths */
	v = 0xfffffff0u;
	memcpy(s.b, &v, 4);
	errno = 0;
	assert_null(from_sb(r, &s, NULL));
	assert_int_equal(errno, EINVAL);

	/* an FDE inside another: the earlier one keeps its range */
	memset(&s, 0, sizeof(s));
	c = cie(&s, "zR", std_init, sizeof(std_init));
	fde(&s, c, 0x1000, 0x20, NULL, 0);
	fde(&s, c, 0x1010, 0x08, (const uint8_t *)"\x41\x0e\x10", 3);
	put_u32(&s, 0);
	t = from_sb(r, &s, NULL);
	assert_non_null(t);
	assert_int_equal(ehtable__stats(t)->fdes_overlap, 1);
	assert_int_equal(ehtable__nrows(t), 2);
	ehtable__free(t);
	unwind_rules__free(r);
}

static void test_limits(void **state)
{
	struct ehtable_opts o = { 0 };
	struct unwind_rules *r, *tiny;
	uint8_t nops[100];
	struct ehtable *t;
	struct sb s;
	size_t c;

	(void)state;
	r = unwind_rules__new(64);
	assert_non_null(r);
	basic_section(&s);
	o.max_rows = 7; /* the table needs 8 */
	errno = 0;
	assert_null(from_sb(r, &s, &o));
	assert_int_equal(errno, E2BIG);
	o.max_rows = 8;
	t = from_sb(r, &s, &o);
	assert_non_null(t);
	ehtable__free(t);
	o = (struct ehtable_opts){ .max_entries = 3 }; /* it has 4 */
	errno = 0;
	assert_null(from_sb(r, &s, &o));
	assert_int_equal(errno, E2BIG);

	/* instructions per FDE */
	memset(nops, 0, sizeof(nops));
	o = (struct ehtable_opts){ .max_insns = 50 };
	t = one_fde(r, "zR", std_init, sizeof(std_init), nops, sizeof(nops),
		    0x10, &o);
	assert_non_null(t);
	assert_int_equal(ehtable__stats(t)->fdes_bad, 1);
	ehtable__free(t);
	o.strict = true;
	errno = 0;
	assert_null(one_fde(r, "zR", std_init, sizeof(std_init), nops,
			    sizeof(nops), 0x10, &o));
	assert_int_equal(errno, E2BIG);

	/* rows hold 32-bit addresses */
	memset(&s, 0, sizeof(s));
	c = cie(&s, "zR", std_init, sizeof(std_init));
	fde(&s, c, 0xfffffff0u, 0x20, NULL, 0);
	put_u32(&s, 0);
	errno = 0;
	assert_null(from_sb(r, &s, NULL));
	assert_int_equal(errno, E2BIG);

	/* a full rule set costs rows their information, not the table */
	tiny = unwind_rules__new(2);
	assert_non_null(tiny);
	basic_section(&s);
	t = from_sb(tiny, &s, NULL);
	assert_non_null(t);
	assert_true(ehtable__stats(t)->rows_no_space > 0);
	assert_int_equal(unwind_rules__count(tiny), 2);
	assert_int_equal(ehtable__lookup(t, 0x1000), 1);
	ehtable__free(t);
	unwind_rules__free(tiny);
	unwind_rules__free(r);
}

/* .debug_frame in 64-bit DWARF: 12-byte lengths, 8-byte ids and pointers */
static void test_debug_frame64(void **state)
{
	static const uint8_t cie_body[] = {
		0x01, 0x00,	  /* version 1, augmentation "" */
		0x01, 0x78, 0x10, /* caf 1, daf -8, ra 16 */
		0x0c, 0x07, 0x08, 0x90, 0x01,
	};
	static const uint8_t prog[] = { 0x41, 0x0e, 0x10 };
	static const struct want_row w[] = {
		{ 0x2000, RSP(8) },
		{ 0x2001, RSP(16) },
		{ 0x2008, NONE },
	};
	struct unwind_rules *r;
	struct ehtable *t;
	uint64_t v64;
	struct sb s = { .n = 0 };

	(void)state;
	r = unwind_rules__new(16);
	assert_non_null(r);
	put_u32(&s, 0xffffffffu);
	v64 = 8 + sizeof(cie_body);
	put(&s, &v64, 8);
	v64 = ~0ull; /* CIE id */
	put(&s, &v64, 8);
	put(&s, cie_body, sizeof(cie_body));
	put_u32(&s, 0xffffffffu);
	v64 = 8 + 8 + 8 + sizeof(prog);
	put(&s, &v64, 8);
	v64 = 0; /* the CIE's offset in the section */
	put(&s, &v64, 8);
	v64 = 0x2000;
	put(&s, &v64, 8);
	v64 = 8;
	put(&s, &v64, 8);
	put(&s, prog, sizeof(prog));
	t = ehtable__from_section(r, EHTABLE_SRC_DEBUG_FRAME, s.b, s.n, 0,
				  NULL);
	assert_non_null(t);
	assert_rows(r, t, w, 3);
	ehtable__free(t);
	unwind_rules__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_libc),
		cmocka_unit_test(test_python311),
		cmocka_unit_test(test_libpython313),
		cmocka_unit_test(test_compiled),
		cmocka_unit_test(test_no_section_headers),
		cmocka_unit_test(test_vdso),
		cmocka_unit_test(test_elf_errors),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_rule_kinds),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_debug_frame64),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
