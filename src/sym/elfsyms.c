// SPDX-License-Identifier: BSD-2-Clause
/*
 * elfsyms: reads function symbols, PT_LOAD segments, the build-id and the
 * .gnu_debuglink of an ELF file with libelf, finds the separate debug file of
 * a stripped binary, and answers "which function covers this ELF address".
 * The string tables it needs are copied, so a loaded table keeps no file or
 * libelf handle open. ELF files are outside input: every index, size and
 * offset is checked before it is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "elfsyms.h"
#include "log.h"
#include "symutil.h"

#define DEFAULT_DEBUG_ROOT "/usr/lib/debug"
/* A debuglink name is a file name, not a path; longer ones are bogus. */
#define DEBUGLINK_NAME_MAX 255
#define BUILD_ID_MAX_BYTES ((ELFSYMS_BUILD_ID_SIZE - 1) / 2)

struct load_seg {
	uint64_t offset;
	uint64_t filesz;
	uint64_t vaddr;
};

struct elfsyms {
	struct elfsym *syms;
	size_t count;
	struct load_seg *loads;
	size_t nloads;
	char *strings; /* copies of the string tables the names point into */
	size_t strings_len;
	char *debuglink;
	uint32_t debuglink_crc;
	char *debug_file;
	char build_id[ELFSYMS_BUILD_ID_SIZE];
};

/* A symbol while tables are being merged; the name is an offset in pool. */
struct rawsym {
	uint64_t start;
	uint64_t size;
	uint64_t sec_end; /* end of the containing section */
	size_t name;
	/* preference among symbols at one address, lower wins */
	uint8_t zero_size;
	uint8_t underscores;
	uint8_t binding;
	uint8_t source;
};

struct collect {
	struct rawsym *v;
	size_t n, cap;
	char *pool;
	size_t pool_len;
	size_t funcs_from_symtab;
};

enum { SRC_SYMTAB = 0, SRC_DYNSYM = 1 };

static void elf_init(void)
{
	/* idempotent and cheap; libelf wants it before anything else */
	elf_version(EV_CURRENT);
}

/* ---- build-id ---------------------------------------------------------- */

/*
 * Walk one block of notes (the layout of an SHT_NOTE section or PT_NOTE
 * segment: Elf_Nhdr, name, desc, each 4- or 8-aligned) for NT_GNU_BUILD_ID.
 */
static int build_id_from_notes(Elf_Data *data, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t off = 0, next, name_off, desc_off, i;
	const unsigned char *desc;
	GElf_Nhdr nhdr;

	if (!data || !data->d_buf)
		return -ENOENT;
	while (off < data->d_size &&
	       (next = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) >
		   0) {
		off = next;
		if (nhdr.n_type != NT_GNU_BUILD_ID || nhdr.n_namesz != 4 ||
		    memcmp((const char *)data->d_buf + name_off, "GNU", 4))
			continue;
		if (!nhdr.n_descsz || nhdr.n_descsz > BUILD_ID_MAX_BYTES ||
		    nhdr.n_descsz * 2 + 1 > outsz)
			continue;
		/* gelf_getnote() checked desc lies within the data */
		desc = (const unsigned char *)data->d_buf + desc_off;
		for (i = 0; i < nhdr.n_descsz; i++) {
			out[2 * i] = hex[desc[i] >> 4];
			out[2 * i + 1] = hex[desc[i] & 0xf];
		}
		out[2 * i] = '\0';
		return 0;
	}
	return -ENOENT;
}

static int read_build_id(Elf *elf, char *out, size_t outsz)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	GElf_Phdr phdr;
	size_t phnum, i;
	Elf_Data *data;

	out[0] = '\0';
	/*
	 * Sections first: in a separate debug file the program headers still
	 * describe the stripped original's layout, so PT_NOTE points nowhere.
	 */
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		/* libelf types the data ELF_T_NHDR(8); gelf_getnote checks */
		if (!build_id_from_notes(elf_getdata(scn, NULL), out, outsz))
			return 0;
	}
	/* images without section headers (some vDSOs, stripped cores) */
	if (elf_getphdrnum(elf, &phnum))
		return -ENOENT;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &phdr) ||
		    phdr.p_type != PT_NOTE || !phdr.p_filesz)
			continue;
		data = elf_getdata_rawchunk(
		    elf, (int64_t)phdr.p_offset, phdr.p_filesz,
		    phdr.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		if (!build_id_from_notes(data, out, outsz))
			return 0;
	}
	return -ENOENT;
}

static int check_elf_kind(Elf *elf)
{
	GElf_Ehdr ehdr;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr))
		return -ENOEXEC;
	if (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN)
		return -ENOEXEC;
	return 0;
}

int elf_read_build_id_fd(int fd, char *out, size_t outsz)
{
	Elf *elf;
	int err;

	elf_init();
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -ENOEXEC;
	err = check_elf_kind(elf);
	if (!err)
		err = read_build_id(elf, out, outsz);
	elf_end(elf);
	return err;
}

int elf_read_build_id_mem(const void *buf, size_t len, char *out, size_t outsz)
{
	Elf *elf;
	char *copy;
	int err;

	elf_init();
	/* libelf may convert in place: give it a private copy */
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	elf = elf_memory(copy, len);
	if (!elf) {
		err = -ENOEXEC;
		goto out_free;
	}
	err = check_elf_kind(elf);
	if (!err)
		err = read_build_id(elf, out, outsz);
	elf_end(elf);
out_free:
	free(copy);
	return err;
}

/* ---- PT_LOAD table ----------------------------------------------------- */

static int read_loads(Elf *elf, struct elfsyms *s)
{
	size_t phnum, i;
	GElf_Phdr phdr;

	if (elf_getphdrnum(elf, &phnum) || !phnum)
		return 0;
	/* libelf has checked the table fits the file, so phnum is bounded */
	s->loads = calloc(phnum, sizeof(*s->loads));
	if (!s->loads)
		return -ENOMEM;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, (int)i, &phdr) ||
		    phdr.p_type != PT_LOAD || !phdr.p_filesz ||
		    phdr.p_offset + phdr.p_filesz < phdr.p_offset)
			continue;
		s->loads[s->nloads++] = (struct load_seg){
			.offset = phdr.p_offset,
			.filesz = phdr.p_filesz,
			.vaddr = phdr.p_vaddr,
		};
	}
	return 0;
}

int elfsyms__file_to_vaddr(const struct elfsyms *s, uint64_t off,
			   uint64_t *vaddr)
{
	const struct load_seg *l;
	uint64_t lo, hi;
	size_t i;

	for (i = 0; i < s->nloads; i++) {
		l = &s->loads[i];
		if (off >= l->offset && off - l->offset < l->filesz) {
			*vaddr = off - l->offset + l->vaddr;
			return 0;
		}
	}
	/*
	 * mmap works in pages: the bytes before an unaligned p_offset and
	 * after p_filesz in the same pages are mapped too, at the same
	 * distance from the segment, so the same formula holds for them.
	 */
	for (i = 0; i < s->nloads; i++) {
		l = &s->loads[i];
		lo = l->offset & ~(uint64_t)4095;
		hi = l->offset + l->filesz;
		hi = hi > UINT64_MAX - 4095 ? UINT64_MAX
					    : (hi + 4095) & ~4095ull;
		if (off >= lo && off < hi) {
			*vaddr = off - l->offset + l->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- .gnu_debuglink ---------------------------------------------------- */

/*
 * The section holds the debug file's name, NUL-terminated, padded to a
 * multiple of 4, then the CRC-32 of the whole debug file in the ELF file's
 * byte order.
 */
static int read_debuglink(Elf *elf, struct elfsyms *s)
{
	const unsigned char *p, *c;
	size_t shstrndx, nlen, crc_off;
	Elf_Scn *scn = NULL;
	const char *name;
	GElf_Ehdr ehdr;
	GElf_Shdr shdr;
	Elf_Data *data;

	if (!gelf_getehdr(elf, &ehdr) || elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!name || strcmp(name, ".gnu_debuglink"))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			return 0;
		p = data->d_buf;
		nlen = strnlen((const char *)p, data->d_size);
		crc_off = (nlen + 4) & ~(size_t)3;
		if (nlen == 0 || nlen > DEBUGLINK_NAME_MAX ||
		    crc_off + 4 > data->d_size)
			return 0;
		/* a name, never a path: no walking out of the directory */
		if (memchr(p, '/', nlen) || !strcmp((const char *)p, ".") ||
		    !strcmp((const char *)p, ".."))
			return 0;
		s->debuglink = strndup((const char *)p, nlen);
		if (!s->debuglink)
			return -ENOMEM;
		c = p + crc_off;
		if (ehdr.e_ident[EI_DATA] == ELFDATA2MSB)
			s->debuglink_crc = (uint32_t)c[0] << 24 |
					   (uint32_t)c[1] << 16 |
					   (uint32_t)c[2] << 8 | c[3];
		else
			s->debuglink_crc = (uint32_t)c[3] << 24 |
					   (uint32_t)c[2] << 16 |
					   (uint32_t)c[1] << 8 | c[0];
		return 0;
	}
	return 0;
}

/* ---- symbol collection ------------------------------------------------- */

static int pool_append(struct collect *c, const void *buf, size_t len,
		       size_t *base)
{
	char *np;

	if (len > SIZE_MAX - c->pool_len - 1)
		return -ENOMEM;
	np = realloc(c->pool, c->pool_len + len + 1);
	if (!np)
		return -ENOMEM;
	c->pool = np;
	memcpy(c->pool + c->pool_len, buf, len);
	/* a guard NUL; names are checked to end inside the table anyway */
	c->pool[c->pool_len + len] = '\0';
	*base = c->pool_len;
	c->pool_len += len + 1;
	return 0;
}

static int push_sym(struct collect *c, const struct rawsym *r)
{
	struct rawsym *nv;
	size_t ncap;

	if (c->n == c->cap) {
		ncap = c->cap ? c->cap * 2 : 256;
		nv = reallocarray(c->v, ncap, sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n++] = *r;
	return 0;
}

static uint8_t binding_rank(unsigned char bind)
{
	switch (bind) {
	case STB_GLOBAL:
		return 0;
	case STB_WEAK:
		return 1;
	case STB_LOCAL:
		return 2;
	default:
		return 3;
	}
}

/* Find section SHNDX's address range, caching the last one asked for. */
struct sec_cache {
	size_t idx;
	bool ok;
	uint64_t addr, end;
};

static bool section_range(Elf *elf, size_t shndx, struct sec_cache *sc)
{
	GElf_Shdr shdr;
	Elf_Scn *scn;

	if (sc->idx == shndx)
		return sc->ok;
	sc->idx = shndx;
	sc->ok = false;
	scn = elf_getscn(elf, shndx);
	if (!scn || !gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_ALLOC))
		return false;
	sc->addr = shdr.sh_addr;
	sc->end = shdr.sh_addr + shdr.sh_size < shdr.sh_addr
		      ? UINT64_MAX
		      : shdr.sh_addr + shdr.sh_size;
	sc->ok = true;
	return true;
}

/*
 * Append the functions of symbol table section SCN (SHT_SYMTAB or
 * SHT_DYNSYM) of ELF to C, copying its string table into the pool.
 */
static int collect_table(Elf *elf, Elf_Scn *scn, uint8_t source,
			 struct collect *c)
{
	struct sec_cache sc = { .idx = SIZE_MAX };
	Elf_Data *data, *strdata;
	size_t entsize, n, i, base, shnum;
	GElf_Shdr shdr, strshdr;
	Elf_Scn *strscn;
	const char *strs;
	unsigned char type;
	struct rawsym r;
	GElf_Sym sym;
	int err;

	if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
		return 0;
	if (elf_getshdrnum(elf, &shnum) || shdr.sh_link >= shnum)
		return 0;
	strscn = elf_getscn(elf, shdr.sh_link);
	if (!strscn || !gelf_getshdr(strscn, &strshdr) ||
	    strshdr.sh_type != SHT_STRTAB)
		return 0;
	data = elf_getdata(scn, NULL);
	strdata = elf_getdata(strscn, NULL);
	if (!data || !data->d_buf || !strdata || !strdata->d_buf ||
	    !strdata->d_size)
		return 0;
	entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!entsize)
		return 0;
	n = data->d_size / entsize;
	if (n < 2)
		return 0;
	err = pool_append(c, strdata->d_buf, strdata->d_size, &base);
	if (err)
		return err;
	strs = strdata->d_buf;

	/* entry 0 is the reserved null symbol */
	for (i = 1; i < n; i++) {
		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		/*
		 * Undefined imports and special indexes (ABS, COMMON, XINDEX
		 * for files with more than 64 Ki sections) name no code here.
		 */
		if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
			continue;
		if (!section_range(elf, sym.st_shndx, &sc) ||
		    sym.st_value < sc.addr || sym.st_value >= sc.end)
			continue;
		if (sym.st_name >= strdata->d_size || !strs[sym.st_name] ||
		    !memchr(strs + sym.st_name, '\0',
			    strdata->d_size - sym.st_name))
			continue;
		r = (struct rawsym){
			.start = sym.st_value,
			.size = sym.st_size > UINT64_MAX - sym.st_value
				    ? UINT64_MAX - sym.st_value
				    : sym.st_size,
			.sec_end = sc.end,
			.name = base + sym.st_name,
			.zero_size = sym.st_size == 0,
			.underscores = (uint8_t)strspn(strs + sym.st_name, "_"),
			.binding = binding_rank(GELF_ST_BIND(sym.st_info)),
			.source = source,
		};
		err = push_sym(c, &r);
		if (err)
			return err;
		if (source == SRC_SYMTAB)
			c->funcs_from_symtab++;
	}
	return 0;
}

static int collect_type(Elf *elf, Elf64_Word type, uint8_t source,
			struct collect *c)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	int err;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != type)
			continue;
		err = collect_table(elf, scn, source, c);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Order by address, then by preference so the first of a run of aliases is
 * the name to show: a sized symbol over a size-less one, then the fewest
 * leading underscores ("getpid" over "__getpid"), then global over weak over
 * local, then .symtab over .dynsym, then the name itself for determinism.
 */
static int cmp_rawsym(const void *a, const void *b, void *pool)
{
	const struct rawsym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->zero_size != y->zero_size)
		return x->zero_size - y->zero_size;
	if (x->underscores != y->underscores)
		return x->underscores - y->underscores;
	if (x->binding != y->binding)
		return x->binding - y->binding;
	if (x->source != y->source)
		return x->source - y->source;
	return strcmp((const char *)pool + x->name,
		      (const char *)pool + y->name);
}

/* Sort, keep one symbol per address, give size-less ones an extent. */
static int finish_syms(struct collect *c, struct elfsyms *s)
{
	size_t i, j;
	uint64_t end;

	if (c->n)
		qsort_r(c->v, c->n, sizeof(*c->v), cmp_rawsym, c->pool);
	for (i = 0, j = 0; i < c->n; i++) {
		if (j && c->v[i].start == c->v[j - 1].start)
			continue;
		c->v[j++] = c->v[i];
	}
	c->n = j;
	for (i = 0; i < c->n; i++) {
		if (c->v[i].size)
			continue;
		end = c->v[i].sec_end;
		if (i + 1 < c->n && c->v[i + 1].start < end)
			end = c->v[i + 1].start;
		c->v[i].size = end - c->v[i].start;
	}

	s->syms = calloc(c->n ? c->n : 1, sizeof(*s->syms));
	if (!s->syms)
		return -ENOMEM;
	/* the pool moves to S; names become pointers into it */
	s->strings = c->pool;
	s->strings_len = c->pool_len;
	c->pool = NULL;
	for (i = 0; i < c->n; i++)
		s->syms[i] = (struct elfsym){
			.start = c->v[i].start,
			.size = c->v[i].size,
			.name = s->strings + c->v[i].name,
		};
	s->count = c->n;
	return 0;
}

/* ---- separate debug files ---------------------------------------------- */

static int crc32_fd(int fd, uint32_t *out)
{
	unsigned char buf[32768];
	uLong crc = crc32(0L, Z_NULL, 0);
	off_t off = 0;
	ssize_t n;

	for (;;) {
		n = pread(fd, buf, sizeof(buf), off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		crc = crc32(crc, buf, (uInt)n);
		off += n;
	}
	*out = (uint32_t)crc;
	return 0;
}

/*
 * Open candidate debug file PATH (relative to DIRFD, in-root when IN_ROOT),
 * check it is not the binary itself and that it is the right one: found by
 * build-id (CHECK_CRC false), its build-id must equal WANT_ID; found by
 * debuglink, its CRC must match and its build-id must not contradict WANT_ID.
 * Returns a libelf handle with *FD_OUT open, or NULL.
 */
static Elf *open_debug_candidate(int dirfd, const char *path, bool in_root,
				 const struct stat *self, bool check_crc,
				 uint32_t crc, const char *want_id, int *fd_out)
{
	bool have_id;

	char id[ELFSYMS_BUILD_ID_SIZE];
	struct stat st;
	uint32_t got;
	Elf *elf;
	int fd;

	fd = sym_open_regular(dirfd, path, in_root);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		goto out_close;
	if (self && st.st_dev == self->st_dev && st.st_ino == self->st_ino)
		goto out_close;
	if (check_crc && (crc32_fd(fd, &got) || got != crc)) {
		log_debug("elfsyms: %s: debuglink CRC mismatch", path);
		goto out_close;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		goto out_close;
	if (check_elf_kind(elf))
		goto out_elf_end;
	have_id = !read_build_id(elf, id, sizeof(id));
	if (!check_crc && !have_id)
		goto out_elf_end;
	if (want_id[0] && have_id && strcmp(id, want_id)) {
		log_debug("elfsyms: %s: build-id %s, want %s", path, id,
			  want_id);
		goto out_elf_end;
	}
	*fd_out = fd;
	return elf;

out_elf_end:
	elf_end(elf);
out_close:
	close(fd);
	return NULL;
}

/* Find the debug file of S (loaded from FD, named PATH); see elfsyms.h. */
static Elf *find_debug_file(struct elfsyms *s, int fd, const char *path,
			    const struct elfsyms_opts *opts, int *dfd)
{
	const char *droot =
	    opts->debug_root ? opts->debug_root : DEFAULT_DEBUG_ROOT;
	const char *slash = path ? strrchr(path, '/') : NULL;
	int dirlen = slash ? (int)(slash - path) : 0;
	int rootfd = opts->use_root_fd ? opts->root_fd : AT_FDCWD;
	char cand[PATH_MAX];
	struct stat self;
	Elf *elf = NULL;
	int i, n;

	if (fstat(fd, &self) < 0)
		return NULL;
	if (droot[0] && strlen(s->build_id) > 2) {
		n = snprintf(cand, sizeof(cand), "%s/.build-id/%.2s/%s.debug",
			     droot, s->build_id, s->build_id + 2);
		if (n > 0 && n < (int)sizeof(cand))
			elf = open_debug_candidate(AT_FDCWD, cand, false, &self,
						   false, 0, s->build_id, dfd);
		if (elf)
			goto found;
	}
	if (!s->debuglink || !slash)
		return NULL;
	for (i = 0; i < 3 && !elf; i++) {
		if (i == 0)
			n = snprintf(cand, sizeof(cand), "%.*s/%s", dirlen,
				     path, s->debuglink);
		else if (i == 1)
			n = snprintf(cand, sizeof(cand), "%.*s/.debug/%s",
				     dirlen, path, s->debuglink);
		else if (droot[0])
			n = snprintf(cand, sizeof(cand), "%s%.*s/%s", droot,
				     dirlen, path, s->debuglink);
		else
			break;
		if (n <= 0 || n >= (int)sizeof(cand))
			continue;
		elf = open_debug_candidate(
		    i < 2 ? rootfd : AT_FDCWD, cand, i < 2 && opts->use_root_fd,
		    &self, true, s->debuglink_crc, s->build_id, dfd);
	}
	if (!elf)
		return NULL;
found:
	s->debug_file = strdup(cand);
	if (!s->debug_file) {
		elf_end(elf);
		close(*dfd);
		return NULL;
	}
	log_debug("elfsyms: %s: symbols from %s", path ? path : "?", cand);
	return elf;
}

/* ---- construction ------------------------------------------------------ */

/*
 * Build an elfsyms from ELF (FD is its file, or -1 for an image in memory:
 * then no debug file is searched).
 */
static struct elfsyms *build(Elf *elf, int fd, const char *path,
			     const struct elfsyms_opts *opts)
{
	struct elfsyms_opts defaults = { 0 };
	struct collect c = { 0 };
	struct elfsyms *s;
	Elf *delf = NULL;
	int dfd = -1, err;

	if (!opts)
		opts = &defaults;
	err = check_elf_kind(elf);
	if (err)
		goto err;
	s = calloc(1, sizeof(*s));
	if (!s) {
		err = -ENOMEM;
		goto err;
	}
	err = read_loads(elf, s);
	if (err)
		goto err_free;
	read_build_id(elf, s->build_id, sizeof(s->build_id));
	err = read_debuglink(elf, s);
	if (err)
		goto err_free;
	err = collect_type(elf, SHT_SYMTAB, SRC_SYMTAB, &c);
	if (err)
		goto err_free;
	if (!c.funcs_from_symtab && fd >= 0) {
		delf = find_debug_file(s, fd, path, opts, &dfd);
		if (delf) {
			err = collect_type(delf, SHT_SYMTAB, SRC_SYMTAB, &c);
			if (err)
				goto err_debug;
		}
	}
	/* .dynsym last: it only adds functions the tables above lack */
	err = collect_type(elf, SHT_DYNSYM, SRC_DYNSYM, &c);
	if (err)
		goto err_debug;
	err = finish_syms(&c, s);
	if (err)
		goto err_debug;
	if (delf) {
		elf_end(delf);
		close(dfd);
	}
	free(c.v);
	return s;

err_debug:
	if (delf) {
		elf_end(delf);
		close(dfd);
	}
err_free:
	free(c.v);
	free(c.pool);
	elfsyms__free(s);
err:
	errno = -err;
	return NULL;
}

struct elfsyms *elfsyms__from_fd(int fd, const char *path,
				 const struct elfsyms_opts *opts)
{
	struct elfsyms *s;
	Elf *elf;
	int err;

	elf_init();
	/*
	 * ELF_C_READ, not _MMAP: another process may truncate a library it
	 * maps, and a SIGBUS in the daemon would be worse than a read error.
	 */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		errno = ENOEXEC;
		return NULL;
	}
	s = build(elf, fd, path, opts);
	err = errno;
	elf_end(elf);
	errno = err;
	return s;
}

struct elfsyms *elfsyms__open(const char *path, const struct elfsyms_opts *opts)
{
	struct elfsyms *s;
	int fd, err;

	fd = sym_open_regular(AT_FDCWD, path, 0);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	s = elfsyms__from_fd(fd, path, opts);
	err = errno;
	close(fd);
	errno = err;
	return s;
}

struct elfsyms *elfsyms__from_memory(const void *buf, size_t len)
{
	struct elfsyms *s = NULL;
	char *copy;
	Elf *elf;
	int err;

	elf_init();
	/* libelf may convert data in place: give it a private copy */
	copy = malloc(len ? len : 1);
	if (!copy) {
		err = ENOMEM;
		goto out;
	}
	memcpy(copy, buf, len);
	elf = elf_memory(copy, len);
	if (!elf) {
		err = ENOEXEC;
		goto out_free;
	}
	s = build(elf, -1, NULL, NULL);
	err = errno;
	elf_end(elf);
out_free:
	free(copy);
out:
	errno = err;
	return s;
}

void elfsyms__free(struct elfsyms *s)
{
	if (!s)
		return;
	free(s->syms);
	free(s->loads);
	free(s->strings);
	free(s->debuglink);
	free(s->debug_file);
	free(s);
}

const struct elfsym *elfsyms__find(const struct elfsyms *s, uint64_t vaddr)
{
	size_t lo = 0, hi = s->count, mid;
	const struct elfsym *e;

	/* last symbol whose start <= vaddr */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->syms[mid].start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	e = &s->syms[lo - 1];
	return vaddr - e->start < e->size ? e : NULL;
}

const char *elfsyms__build_id(const struct elfsyms *s)
{
	return s->build_id;
}

const char *elfsyms__debuglink(const struct elfsyms *s, uint32_t *crc)
{
	if (crc)
		*crc = s->debuglink_crc;
	return s->debuglink;
}

const char *elfsyms__debug_file(const struct elfsyms *s)
{
	return s->debug_file ? s->debug_file : "";
}

size_t elfsyms__count(const struct elfsyms *s)
{
	return s->count;
}

const struct elfsym *elfsyms__sym(const struct elfsyms *s, size_t i)
{
	return i < s->count ? &s->syms[i] : NULL;
}

size_t elfsyms__mem_bytes(const struct elfsyms *s)
{
	return sizeof(*s) + s->count * sizeof(*s->syms) +
	       s->nloads * sizeof(*s->loads) + s->strings_len;
}
