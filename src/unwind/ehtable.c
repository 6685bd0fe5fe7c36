// SPDX-License-Identifier: BSD-2-Clause
/*
 * ehtable: turns the call frame information of one x86-64 ELF file into the
 * sorted row array of unwind_abi.h. It finds the CFI (.eh_frame through the
 * section headers, or through PT_GNU_EH_FRAME and .eh_frame_hdr when the
 * file has none; .debug_frame, decompressed if need be, when there is no
 * .eh_frame), lets cfi.c run every FDE's program, orders the FDEs by address,
 * fills the gaps between them with "no information" rows, merges neighbours
 * with the same rule, and interns each rule in the shared unwind_rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cfi.h"
#include "ehtable.h"
#include "symutil.h"

#define DEFAULT_MAX_ENTRIES (1u << 20)
#define DEFAULT_MAX_INSNS   (1u << 16)
/* Largest .debug_frame we decompress: far above any real one. */
#define DEBUG_FRAME_MAX (256u << 20)

struct ehtable {
	struct zp_unwind_row *rows;
	size_t nrows;
	struct ehtable_stats stats;
};

struct limits {
	size_t max_rows, max_entries, max_insns;
	bool strict;
};

/* An executable PT_LOAD: FDEs must lie inside one. */
struct seg {
	uint64_t start, end;
};

/* One CFI section to build from. */
struct cfi_src {
	const uint8_t *buf;
	size_t len;
	uint64_t vaddr;
	bool debug_frame;
};

struct builder {
	struct unwind_rules *rules;
	struct ehtable *t;
	size_t cap;
	const struct cfi_cie *cie; /* of the FDE being run */
	const struct limits *lim;
	int fatal; /* an error no FDE-level fallback may hide */
};

static void get_limits(const struct ehtable_opts *opts, struct limits *lim)
{
	lim->max_rows =
	    opts && opts->max_rows ? opts->max_rows : ZP_UNWIND_MAX_ROWS;
	lim->max_entries =
	    opts && opts->max_entries ? opts->max_entries : DEFAULT_MAX_ENTRIES;
	lim->max_insns =
	    opts && opts->max_insns ? opts->max_insns : DEFAULT_MAX_INSNS;
	lim->strict = opts && opts->strict;
}

/* ---- assembling the table ---------------------------------------------- */

static int append(struct builder *b, uint64_t pc, unsigned rule)
{
	struct ehtable *t = b->t;
	struct zp_unwind_row *nr;
	size_t ncap;

	/* a row that changes nothing is the previous row extended */
	if (t->nrows && t->rows[t->nrows - 1].rule == rule)
		return 0;
	if (t->nrows == b->cap) {
		if (b->cap >= b->lim->max_rows)
			return -E2BIG;
		ncap = b->cap ? b->cap * 2 : 1024;
		if (ncap > b->lim->max_rows)
			ncap = b->lim->max_rows;
		nr = realloc(t->rows, ncap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		t->rows = nr;
		b->cap = ncap;
	}
	/* callers checked every pc fits 32 bits */
	t->rows[t->nrows++] = (struct zp_unwind_row){
		.pc = (__u32)pc,
		.rule = (__u16)rule,
	};
	return 0;
}

static int on_row(void *ctx, uint64_t loc, const struct cfi_state *st)
{
	struct builder *b = ctx;
	struct ehtable_stats *s = &b->t->stats;
	struct zp_unwind_rule rule;
	int id = ZP_UNWIND_RULE_NONE, err;

	s->rows_cfi++;
	switch (cfi_state_rule(b->cie, st, &rule)) {
	case CFI_OK:
		id = unwind_rules__intern(b->rules, &rule);
		if (id == -ENOSPC) {
			/* degrade: the row loses its information, not the
			 * whole file */
			s->rows_no_space++;
			id = ZP_UNWIND_RULE_NONE;
		} else if (id < 0) {
			b->fatal = id;
			return id;
		}
		break;
	case CFI_WHY_CFA:
		s->rows_cfa++;
		break;
	case CFI_WHY_RA:
		s->rows_ra++;
		break;
	case CFI_WHY_RBP:
		s->rows_rbp++;
		break;
	case CFI_WHY_RANGE:
		s->rows_range++;
		break;
	}
	err = append(b, loc, (unsigned)id);
	if (err)
		b->fatal = err;
	return err;
}

static int fde_cmp(const void *a, const void *b)
{
	const struct cfi_fde *x = *(const struct cfi_fde *const *)a;
	const struct cfi_fde *y = *(const struct cfi_fde *const *)b;

	if (x->pc != y->pc)
		return x->pc < y->pc ? -1 : 1;
	/* same start: section order, so the result does not depend on qsort */
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Whether [pc, end) lies inside one executable segment. */
static bool in_segments(const struct seg *segs, size_t nsegs, uint64_t pc,
			uint64_t end)
{
	size_t i;

	for (i = 0; i < nsegs; i++)
		if (pc >= segs[i].start && end <= segs[i].end)
			return true;
	return false;
}

/*
 * Order the placed FDEs of C that are worth a row, in *OUT (caller frees).
 * SEGS NULL: no segment filter.
 */
static int order_fdes(const struct cfi *c, const struct seg *segs, size_t nsegs,
		      struct ehtable_stats *s, const struct cfi_fde ***out,
		      size_t *nout)
{
	const struct cfi_fde **v;
	const struct cfi_fde *f;
	size_t i, n = 0;

	v = calloc(c->nfdes ? c->nfdes : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < c->nfdes; i++) {
		f = &c->fdes[i];
		/*
		 * Empty FDEs cover nothing; FDEs at 0 come from code the
		 * linker discarded (.debug_frame keeps them unrelocated).
		 */
		if (f->pc >= f->end || f->pc == 0 ||
		    (segs && !in_segments(segs, nsegs, f->pc, f->end))) {
			s->fdes_skipped++;
			continue;
		}
		if (f->end > UINT32_MAX) {
			free(v);
			return -E2BIG;
		}
		v[n++] = f;
	}
	qsort(v, n, sizeof(*v), fde_cmp);
	*out = v;
	*nout = n;
	return 0;
}

static int assemble(struct builder *b, const struct cfi *c,
		    const struct cfi_fde **v, size_t n)
{
	struct ehtable *t = b->t;
	struct ehtable_stats snap;
	uint64_t prev_end = 0;
	bool have_prev = false;
	size_t i, nrows;
	int err;

	for (i = 0; i < n; i++) {
		const struct cfi_fde *f = v[i];

		if (have_prev && f->pc < prev_end) {
			/* the earlier-starting FDE keeps its range */
			t->stats.fdes_overlap++;
			continue;
		}
		/* the gap between functions: never the previous one's rule */
		if (have_prev && f->pc > prev_end) {
			err = append(b, prev_end, ZP_UNWIND_RULE_NONE);
			if (err)
				return err;
		}
		nrows = t->nrows;
		snap = t->stats;
		b->cie = &c->cies[f->cie];
		err = cfi_run_fde(c, f, b->lim->max_insns, on_row, b);
		if (b->fatal)
			return b->fatal;
		if (err) {
			if (b->lim->strict)
				return err == -E2BIG ? -E2BIG : -EINVAL;
			/* forget its rows: its whole range has no info */
			t->nrows = nrows;
			t->stats = snap;
			t->stats.fdes_bad++;
			err = append(b, f->pc, ZP_UNWIND_RULE_NONE);
			if (err)
				return err;
		} else {
			t->stats.fdes_used++;
		}
		prev_end = f->end;
		have_prev = true;
	}
	/* the terminator: nothing is known past the last function */
	if (have_prev)
		return append(b, prev_end, ZP_UNWIND_RULE_NONE);
	return 0;
}

/*
 * Build the table of one CFI section. SEGS (NULL: none) are the executable
 * segments FDEs must lie in. Returns 0 or -errno; *OUT on success.
 */
static int build(struct unwind_rules *rules, const struct cfi_src *src,
		 const struct seg *segs, size_t nsegs, const struct limits *lim,
		 struct ehtable **out)
{
	struct builder b = { .rules = rules, .lim = lim };
	const struct cfi_fde **v = NULL;
	struct zp_unwind_row *shrunk;
	struct ehtable *t;
	struct cfi c;
	size_t n;
	int err;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	b.t = t;
	err = cfi_scan(&c, src->buf, src->len, src->vaddr, src->debug_frame,
		       lim->max_entries, lim->max_insns);
	if (err)
		goto out_free;
	t->stats.source =
	    src->debug_frame ? EHTABLE_SRC_DEBUG_FRAME : EHTABLE_SRC_EH_FRAME;
	t->stats.cies = c.ncies;
	t->stats.fdes = c.fdes_total;
	t->stats.fdes_bad = c.bad_headers;
	if (lim->strict && (c.bad_headers || c.bad_cies)) {
		err = -EINVAL;
		goto out_release;
	}
	err = order_fdes(&c, segs, nsegs, &t->stats, &v, &n);
	if (err)
		goto out_release;
	err = assemble(&b, &c, v, n);
	if (err)
		goto out_release;
	t->stats.rows = t->nrows;
	if (t->nrows && t->nrows < b.cap) {
		shrunk = realloc(t->rows, t->nrows * sizeof(*t->rows));
		if (shrunk)
			t->rows = shrunk;
	}
	free(v);
	cfi_release(&c);
	*out = t;
	return 0;

out_release:
	free(v);
	cfi_release(&c);
out_free:
	ehtable__free(t);
	return err;
}

/* ---- finding the CFI in an ELF file ------------------------------------ */

static int check_elf(Elf *elf)
{
	GElf_Ehdr eh;

	if (elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) != ELFCLASS64 ||
	    !gelf_getehdr(elf, &eh))
		return -ENOEXEC;
	/* the register numbers and the ucontext layout are x86-64's */
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
		return -ENOEXEC;
	return 0;
}

static int exec_segments(Elf *elf, struct seg **out, size_t *nout)
{
	size_t phnum, i, n = 0;
	struct seg *v;
	GElf_Phdr ph;

	*out = NULL;
	*nout = 0;
	if (elf_getphdrnum(elf, &phnum) || !phnum)
		return 0;
	/* libelf checked the table fits the file, so phnum is bounded */
	v = calloc(phnum, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) || !ph.p_memsz)
			continue;
		/* rows hold 32-bit pcs */
		if (ph.p_vaddr > UINT32_MAX || ph.p_memsz > UINT32_MAX ||
		    ph.p_vaddr + ph.p_memsz > UINT32_MAX) {
			free(v);
			return -E2BIG;
		}
		v[n++] = (struct seg){ ph.p_vaddr, ph.p_vaddr + ph.p_memsz };
	}
	if (!n) {
		free(v);
		return 0;
	}
	*out = v;
	*nout = n;
	return 0;
}

/*
 * Decompress an SHF_COMPRESSED section (zlib only: the format every
 * toolchain here writes) into a malloc'd buffer. Done with zlib rather than
 * elf_compress() so the caller's Elf is left as it was.
 */
static int decompress(Elf_Data *d, uint8_t **out, size_t *outlen)
{
	Elf64_Chdr ch;
	uLongf dlen;
	uint8_t *buf;

	if (!d->d_buf || d->d_size < sizeof(ch))
		return -EINVAL;
	memcpy(&ch, d->d_buf, sizeof(ch));
	if (ch.ch_type != ELFCOMPRESS_ZLIB)
		return -ENOTSUP;
	if (!ch.ch_size || ch.ch_size > DEBUG_FRAME_MAX)
		return -E2BIG;
	buf = malloc(ch.ch_size);
	if (!buf)
		return -ENOMEM;
	dlen = ch.ch_size;
	if (uncompress(buf, &dlen, (const Bytef *)d->d_buf + sizeof(ch),
		       d->d_size - sizeof(ch)) != Z_OK ||
	    dlen != ch.ch_size) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*outlen = dlen;
	return 0;
}

/*
 * The CFI sections named in the section headers. A .debug_frame that had
 * to be decompressed is returned in *OWNED (caller frees).
 */
static int find_sections(Elf *elf, struct cfi_src *eh, struct cfi_src *dbg,
			 uint8_t **owned)
{
	Elf_Scn *scn = NULL;
	const char *name;
	GElf_Shdr sh;
	Elf_Data *d;
	size_t shstrndx;
	int err;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !sh.sh_size)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (!strcmp(name, ".eh_frame") && !eh->buf) {
			d = elf_rawdata(scn, NULL);
			if (!d || !d->d_buf)
				continue;
			*eh = (struct cfi_src){ d->d_buf, d->d_size, sh.sh_addr,
						false };
		} else if (!strcmp(name, ".debug_frame") && !dbg->buf) {
			d = elf_rawdata(scn, NULL);
			if (!d || !d->d_buf)
				continue;
			if (sh.sh_flags & SHF_COMPRESSED) {
				err = decompress(d, owned, &dbg->len);
				if (err == -ENOMEM)
					return err;
				if (err)
					continue;
				dbg->buf = *owned;
			} else {
				dbg->buf = d->d_buf;
				dbg->len = d->d_size;
			}
			dbg->debug_frame = true;
		}
	}
	return 0;
}

/*
 * For images without section headers: PT_GNU_EH_FRAME gives .eh_frame_hdr,
 * whose eh_frame_ptr gives .eh_frame. Its size is unknown; the walk stops at
 * the zero terminator, within the PT_LOAD that holds it.
 */
static int eh_frame_from_hdr(Elf *elf, struct cfi_src *eh)
{
	struct cfi_reader r;
	uint8_t version, enc;
	size_t phnum, i;
	uint64_t ehv, skip;
	GElf_Phdr ph;
	Elf_Data *d;
	bool found = false;

	if (elf_getphdrnum(elf, &phnum))
		return -ENOENT;
	for (i = 0; i < phnum && !found; i++)
		found = gelf_getphdr(elf, (int)i, &ph) &&
			ph.p_type == PT_GNU_EH_FRAME;
	if (!found)
		return -ENOENT;
	d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
				 ELF_T_BYTE);
	if (!d || !d->d_buf)
		return -EINVAL;
	r = (struct cfi_reader){ d->d_buf, d->d_size, 0, ph.p_vaddr };
	/* version, eh_frame_ptr_enc, fde_count_enc, table_enc */
	if (cfi_read_u8(&r, &version) || version != 1 ||
	    cfi_read_u8(&r, &enc) || r.len < 4)
		return -EINVAL;
	r.pos = 4;
	if (cfi_read_pointer(&r, enc, ph.p_vaddr, &ehv))
		return -EINVAL;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    ehv < ph.p_vaddr || ehv - ph.p_vaddr >= ph.p_filesz)
			continue;
		skip = ehv - ph.p_vaddr;
		d = elf_getdata_rawchunk(elf, (int64_t)(ph.p_offset + skip),
					 ph.p_filesz - skip, ELF_T_BYTE);
		if (!d || !d->d_buf)
			return -EINVAL;
		*eh = (struct cfi_src){ d->d_buf, d->d_size, ehv, false };
		return 0;
	}
	return -EINVAL;
}

static int from_elf(struct unwind_rules *rules, Elf *elf,
		    const struct limits *lim, struct ehtable **out)
{
	struct cfi_src eh = { 0 }, dbg = { 0 };
	uint8_t *owned = NULL;
	struct seg *segs;
	size_t nsegs, shnum;
	int err;

	err = check_elf(elf);
	if (err)
		return err;
	err = exec_segments(elf, &segs, &nsegs);
	if (err)
		return err;
	/*
	 * Section headers, when present, are the truth (a PT_GNU_EH_FRAME
	 * left behind by objcopy -R may point at anything); without them, use
	 * what the runtime's unwinder uses.
	 */
	if (!elf_getshdrnum(elf, &shnum) && shnum)
		err = find_sections(elf, &eh, &dbg, &owned);
	else
		err = eh_frame_from_hdr(elf, &eh);
	if (err && err != -ENOENT)
		goto out;
	err = -ENOENT;
	if (eh.buf)
		err = build(rules, &eh, segs, nsegs, lim, out);
	/*
	 * .debug_frame only when .eh_frame is missing or empty: when both
	 * exist, .eh_frame is what the runtime trusts.
	 */
	if (dbg.buf && (err == -ENOENT || (!err && !(*out)->stats.fdes))) {
		if (!err)
			ehtable__free(*out);
		err = build(rules, &dbg, segs, nsegs, lim, out);
	}
out:
	free(owned);
	free(segs);
	return err;
}

/* ---- public ------------------------------------------------------------ */

struct ehtable *ehtable__from_elf(struct unwind_rules *rules, Elf *elf,
				  const struct ehtable_opts *opts)
{
	struct ehtable *t = NULL;
	struct limits lim;
	int err;

	get_limits(opts, &lim);
	err = from_elf(rules, elf, &lim, &t);
	if (err) {
		errno = -err;
		return NULL;
	}
	return t;
}

struct ehtable *ehtable__from_fd(struct unwind_rules *rules, int fd,
				 const struct ehtable_opts *opts)
{
	struct ehtable *t;
	Elf *elf;
	int err;

	elf_version(EV_CURRENT);
	/*
	 * ELF_C_READ, not mmap: the file may belong to another process and be
	 * truncated under us, which would be SIGBUS through a mapping.
	 */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		errno = ENOEXEC;
		return NULL;
	}
	t = ehtable__from_elf(rules, elf, opts);
	err = errno;
	elf_end(elf);
	errno = err;
	return t;
}

struct ehtable *ehtable__from_file(struct unwind_rules *rules, const char *path,
				   const struct ehtable_opts *opts)
{
	struct ehtable *t;
	int fd, err;

	fd = sym_open_regular(AT_FDCWD, path, 0);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	t = ehtable__from_fd(rules, fd, opts);
	err = errno;
	close(fd);
	errno = err;
	return t;
}

struct ehtable *ehtable__from_memory(struct unwind_rules *rules,
				     const void *buf, size_t len,
				     const struct ehtable_opts *opts)
{
	struct ehtable *t = NULL;
	char *copy;
	Elf *elf;
	int err;

	elf_version(EV_CURRENT);
	/* libelf may convert data in place: give it a private copy */
	copy = malloc(len ? len : 1);
	if (!copy)
		return NULL;
	memcpy(copy, buf, len);
	elf = elf_memory(copy, len);
	if (!elf) {
		err = ENOEXEC;
		goto out_free;
	}
	t = ehtable__from_elf(rules, elf, opts);
	err = errno;
	elf_end(elf);
out_free:
	free(copy);
	errno = err;
	return t;
}

struct ehtable *ehtable__from_section(struct unwind_rules *rules,
				      enum ehtable_source source,
				      const void *buf, size_t len,
				      uint64_t vaddr,
				      const struct ehtable_opts *opts)
{
	struct cfi_src src = {
		.buf = buf,
		.len = len,
		.vaddr = vaddr,
		.debug_frame = source == EHTABLE_SRC_DEBUG_FRAME,
	};
	struct ehtable *t = NULL;
	struct limits lim;
	int err;

	get_limits(opts, &lim);
	err = build(rules, &src, NULL, 0, &lim, &t);
	if (err) {
		errno = -err;
		return NULL;
	}
	return t;
}

void ehtable__free(struct ehtable *t)
{
	if (!t)
		return;
	free(t->rows);
	free(t);
}

const struct zp_unwind_row *ehtable__rows(const struct ehtable *t)
{
	return t->rows;
}

size_t ehtable__nrows(const struct ehtable *t)
{
	return t->nrows;
}

unsigned ehtable__lookup(const struct ehtable *t, uint64_t pc)
{
	size_t lo = 0, hi = t->nrows, mid;

	if (!t->nrows || pc < t->rows[0].pc || pc > UINT32_MAX)
		return ZP_UNWIND_RULE_NONE;
	/* the last row with rows[i].pc <= pc */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (t->rows[mid].pc <= pc)
			lo = mid;
		else
			hi = mid;
	}
	return t->rows[lo].rule;
}

const struct ehtable_stats *ehtable__stats(const struct ehtable *t)
{
	return &t->stats;
}

size_t ehtable__mem_bytes(const struct ehtable *t)
{
	return sizeof(*t) + t->nrows * sizeof(*t->rows);
}
