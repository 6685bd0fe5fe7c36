// SPDX-License-Identifier: BSD-2-Clause
/*
 * pyproc: one CPython process as userspace sees it. Finds the interpreter in
 * the process's maps (a libpython, or an executable with the interpreter
 * linked in), reads the few symbols it needs from that ELF file (_PyRuntime,
 * Py_Version, four type objects, and the file offsets of the three thread
 * lifecycle functions the uprobes hook), turns them into runtime addresses,
 * selects the version's layout (src/python/pyoffsets.c) and cross-checks it
 * against the target's own type objects and thread list, and then reads
 * thread states and code objects from the target's memory. Every value read
 * from the target or its ELF file is outside input: checked before use, every
 * walk bounded.
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
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "procmaps.h"
#include "pyproc.h"
#include "symutil.h"

/* PyTypeObject (x86-64, the same from 3.8 to 3.14) */
#define TP_BASICSIZE 32
#define TP_MEMBERS   240
/* PyMemberDef: name, type (int), offset (Py_ssize_t), flags, doc */
#define MEMBERDEF_SIZE	 40
#define MEMBERDEF_TYPE	 8
#define MEMBERDEF_OFFSET 16
/* PyCodeObject has ~16 members; more means we are reading garbage */
#define MAX_MEMBERS 64
/* PyObject.ob_type */
#define OB_TYPE 8

#define MAX_INTERPRETERS 256
#define MAX_LOADS	 16
/* bounds for the headers we copy (str, bytes, code) */
#define OBJ_HDR_MAX 256
/* tries of the open-time thread list check, which races with the target */
#define THREAD_CHECK_TRIES 3

enum pysym {
	SYM_RUNTIME = 0,
	SYM_VERSION,
	SYM_CODE_TYPE,
	SYM_FRAME_TYPE,
	SYM_UNICODE_TYPE,
	SYM_BYTES_TYPE,
	/* the functions the thread-state uprobes hook, in
	 * PYPROC_THREAD_PROBES order */
	SYM_ACQUIRE_THREAD,
	SYM_TSTATE_NEW,
	SYM_TSTATE_CLEAR,
	SYM__MAX,
};

static const char *const sym_names[SYM__MAX] = {
	[SYM_RUNTIME] = "_PyRuntime",
	[SYM_VERSION] = "Py_Version",
	[SYM_CODE_TYPE] = "PyCode_Type",
	[SYM_FRAME_TYPE] = "PyFrame_Type",
	[SYM_UNICODE_TYPE] = "PyUnicode_Type",
	[SYM_BYTES_TYPE] = "PyBytes_Type",
	[SYM_ACQUIRE_THREAD] = "PyEval_AcquireThread",
	[SYM_TSTATE_NEW] = "PyThreadState_New",
	[SYM_TSTATE_CLEAR] = "PyThreadState_Clear",
};

/* enum py_type_id -> the symbol of that type object */
static const enum pysym type_syms[PY_TYPE__MAX] = {
	[PY_TYPE_CODE] = SYM_CODE_TYPE,
	[PY_TYPE_FRAME] = SYM_FRAME_TYPE,
	[PY_TYPE_UNICODE] = SYM_UNICODE_TYPE,
	[PY_TYPE_BYTES] = SYM_BYTES_TYPE,
};

struct elf_sym {
	uint64_t value;
	uint64_t size;
	bool found;
};

struct elf_load {
	uint64_t offset;
	uint64_t vaddr;
	uint64_t filesz;
};

/* What pyproc needs from the interpreter's ELF file. */
struct pyelf {
	struct elf_sym sym[SYM__MAX];
	uint64_t rtsec_addr; /* the .PyRuntime section (3.10+) */
	uint64_t rtsec_size;
	bool has_rtsec;
	struct elf_load loads[MAX_LOADS];
	size_t nloads;
};

struct pyproc {
	pid_t pid;
	int memfd; /* /proc/PID/mem, opened on first need */
	bool no_vm_readv;
	char *proc_root;
	char *path;
	uint64_t runtime;
	uint64_t runtime_size; /* 0: unknown */
	uint64_t types[PY_TYPE__MAX];
	uint32_t version_hex;
	size_t code_hdr_len; /* bytes of a code object we copy */
	struct py_layout l;
	struct zp_py_proc bpf;
	uint64_t probe_off[PYPROC_THREAD_PROBES]; /* file offsets */
	bool has_probe_off;
};

/* ---- reading the target ------------------------------------------------ */

static int open_mem(struct pyproc *p)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%d/mem", p->proc_root, (int)p->pid);
	p->memfd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->memfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return 0;
}

int pyproc__read(struct pyproc *p, uint64_t addr, void *buf, size_t len)
{
	struct iovec local, remote;
	ssize_t n;
	int err;

	if (!len)
		return 0;
	if (addr + len < addr || len > SSIZE_MAX || addr > INT64_MAX)
		return -EFAULT;
	if (!p->no_vm_readv) {
		local.iov_base = buf;
		local.iov_len = len;
		remote.iov_base = (void *)(uintptr_t)addr;
		remote.iov_len = len;
		n = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
		if (n == (ssize_t)len)
			return 0;
		/* a short read: the range runs into an unmapped page */
		if (n >= 0 || errno == EFAULT)
			return -EFAULT;
		if (errno == ESRCH)
			return -ESRCH;
		if (errno != EPERM && errno != ENOSYS)
			return -errno;
		/* seccomp or an LSM refuses the syscall: /proc/PID/mem then */
		p->no_vm_readv = true;
	}
	if (p->memfd < 0) {
		err = open_mem(p);
		if (err)
			return err;
	}
	n = pread(p->memfd, buf, len, (off_t)addr);
	if (n == (ssize_t)len)
		return 0;
	if (n > 0)
		return -EFAULT;
	/* 0: the mm is gone (the process exited) */
	if (n == 0)
		return -ESRCH;
	return errno == EIO ? -EFAULT : -errno;
}

static int read_u64(struct pyproc *p, uint64_t addr, uint64_t *v)
{
	return pyproc__read(p, addr, v, sizeof(*v));
}

/*
 * Read a NUL-terminated string of at most SIZE - 1 bytes. Reads page by page
 * so a short string at the end of a mapping does not fail.
 */
static int read_cstr(struct pyproc *p, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0, chunk;
	bool nul;
	int err;

	while (got < size - 1) {
		chunk = 4096 - ((addr + got) & 4095);
		if (chunk > size - 1 - got)
			chunk = size - 1 - got;
		err = pyproc__read(p, addr + got, buf + got, chunk);
		if (err)
			return err;
		nul = memchr(buf + got, '\0', chunk) != NULL;
		got += chunk;
		if (nul)
			return 0;
	}
	buf[size - 1] = '\0';
	return 0;
}

/* ---- the interpreter's ELF file ---------------------------------------- */

static bool want_name(const char *name)
{
	/* every name we look for starts with '_' or 'P': skip the rest fast */
	return name && (name[0] == '_' || name[0] == 'P');
}

/* Record the symbols we want from symbol table section SCN. */
static void scan_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
			 struct pyelf *pe)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	const char *name;
	size_t i, n, k;
	GElf_Sym sym;
	int type;

	if (!data || !sh->sh_entsize || sh->sh_type == SHT_NOBITS)
		return;
	n = sh->sh_size / sh->sh_entsize;
	if (n > INT_MAX)
		n = INT_MAX;
	for (i = 0; i < n; i++) {
		/* gelf_getsym() checks the index against the data */
		if (!gelf_getsym(data, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || !sym.st_name ||
		    (type != STT_OBJECT && type != STT_NOTYPE &&
		     type != STT_FUNC))
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!want_name(name))
			continue;
		for (k = 0; k < SYM__MAX; k++) {
			if (pe->sym[k].found || strcmp(name, sym_names[k]))
				continue;
			pe->sym[k].value = sym.st_value;
			pe->sym[k].size = sym.st_size;
			pe->sym[k].found = true;
		}
	}
}

static bool all_found(const struct pyelf *pe)
{
	size_t k;

	for (k = 0; k < SYM__MAX; k++)
		if (!pe->sym[k].found)
			return false;
	return true;
}

/*
 * Read PT_LOADs, the .PyRuntime section and our symbols from FD: .dynsym
 * first (what a stripped binary keeps), .symtab for what is still missing.
 * With EXE (the main executable, not a libpython), a file whose .dynsym and
 * sections do not mention _PyRuntime is not an interpreter: -ENOENT, before
 * any .symtab of an unrelated program is scanned.
 */
static int read_elf(int fd, bool exe, struct pyelf *pe)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx, phnum, i;
	const char *name;
	GElf_Ehdr ehdr;
	GElf_Shdr sh;
	GElf_Phdr ph;
	Elf *elf;
	int err = 0;

	memset(pe, 0, sizeof(*pe));
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -ENOEXEC;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr) ||
	    ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
	    (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) ||
	    elf_getphdrnum(elf, &phnum) || elf_getshdrstrndx(elf, &shstrndx)) {
		err = -ENOEXEC;
		goto out_end;
	}
	for (i = 0; i < phnum && pe->nloads < MAX_LOADS; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		pe->loads[pe->nloads].offset = ph.p_offset;
		pe->loads[pe->nloads].vaddr = ph.p_vaddr;
		pe->loads[pe->nloads].filesz = ph.p_filesz;
		pe->nloads++;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".PyRuntime")) {
			pe->rtsec_addr = sh.sh_addr;
			pe->rtsec_size = sh.sh_size;
			pe->has_rtsec = true;
		}
		if (sh.sh_type == SHT_DYNSYM)
			scan_symbols(elf, scn, &sh, pe);
	}
	if (exe && !pe->sym[SYM_RUNTIME].found && !pe->has_rtsec) {
		err = -ENOENT;
		goto out_end;
	}
	while (!all_found(pe) && (scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			scan_symbols(elf, scn, &sh, pe);
	}
	if (!pe->nloads)
		err = -ENOEXEC;
out_end:
	elf_end(elf);
	return err;
}

/*
 * The load bias of the file mapped by E: runtime address = ELF vaddr + bias.
 * E's file offset lies in one PT_LOAD, mapped from its page-aligned start.
 */
static int load_bias(const struct pyelf *pe, const struct procmaps_entry *e,
		     uint64_t *bias)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), base;
	size_t i;

	for (i = 0; i < pe->nloads; i++) {
		const struct elf_load *ld = &pe->loads[i];

		base = ld->offset & ~(page - 1);
		if (e->offset < base || e->offset >= ld->offset + ld->filesz)
			continue;
		*bias =
		    e->start - ((ld->vaddr & ~(page - 1)) + (e->offset - base));
		return 0;
	}
	return -ENOENT;
}

/*
 * The file offset of the code at ELF virtual address VADDR, through the
 * PT_LOAD that maps it: what a uprobe is placed by.
 */
static int vaddr_to_offset(const struct pyelf *pe, uint64_t vaddr,
			   uint64_t *off)
{
	size_t i;

	for (i = 0; i < pe->nloads; i++) {
		const struct elf_load *ld = &pe->loads[i];

		if (vaddr >= ld->vaddr && vaddr - ld->vaddr < ld->filesz) {
			*off = vaddr - ld->vaddr + ld->offset;
			return 0;
		}
	}
	return -ENOENT;
}

/* The thread-state uprobes' offsets, when the file has all three. */
static void find_probe_offsets(const struct pyelf *pe, struct pyproc *p)
{
	size_t k;

	for (k = 0; k < PYPROC_THREAD_PROBES; k++)
		if (!pe->sym[SYM_ACQUIRE_THREAD + k].found ||
		    vaddr_to_offset(pe, pe->sym[SYM_ACQUIRE_THREAD + k].value,
				    &p->probe_off[k]))
			return;
	p->has_probe_off = true;
}

/* ---- finding the interpreter in the maps -------------------------------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static const char *parse_small(const char *s, unsigned *v)
{
	unsigned n = 0;
	int digits = 0;

	while (*s >= '0' && *s <= '9' && digits < 3) {
		n = n * 10 + (unsigned)(*s - '0');
		s++;
		digits++;
	}
	if (!digits)
		return NULL;
	*v = n;
	return s;
}

/*
 * "libpython3.11.so.1.0", "libpython3.13t.so", "libpython3.7m.so" (LIB) or
 * "python3.11" (!LIB): the version as (major << 8) | minor, and whether the
 * ABI flags say free-threaded ('t').
 */
static bool parse_py_name(const char *base, bool lib, unsigned *version,
			  bool *ft)
{
	const char *prefix = lib ? "libpython" : "python";
	unsigned major, minor;
	const char *s;

	if (strncmp(base, prefix, strlen(prefix)))
		return false;
	s = parse_small(base + strlen(prefix), &major);
	if (!s || *s != '.')
		return false;
	s = parse_small(s + 1, &minor);
	if (!s || major > 255 || minor > 255)
		return false;
	*ft = false;
	for (; *s && strchr("dmtu", *s); s++)
		if (*s == 't')
			*ft = true;
	if (lib ? strncmp(s, ".so", 3) : *s != '\0')
		return false;
	*version = major << 8 | minor;
	return true;
}

/* The first mapping of the file at PATH (entries are in address order). */
static const struct procmaps_entry *first_mapping(const struct procmaps *m,
						  const char *path)
{
	const struct procmaps_entry *e, *best = NULL;
	size_t i, n = procmaps__count(m);

	for (i = 0; i < n; i++) {
		e = procmaps__entry(m, i);
		if (strcmp(e->path, path))
			continue;
		/* the mapping of the file's start gives the bias directly */
		if (!best || e->offset < best->offset)
			best = e;
	}
	return best;
}

struct candidate {
	const struct procmaps_entry *e;
	unsigned name_version; /* from the file name, 0: none */
	bool name_ft;
	bool exe;
};

static int find_candidate(const struct procmaps *m, const char *proc_root,
			  pid_t pid, struct candidate *c)
{
	const struct procmaps_entry *e;
	size_t i, n = procmaps__count(m);
	char link[PATH_MAX], path[PATH_MAX];
	const char *del = " (deleted)";
	unsigned version;
	ssize_t len;
	bool ft;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < n; i++) {
		e = procmaps__entry(m, i);
		if (e->path[0] != '/' ||
		    !parse_py_name(base_name(e->path), true, &version, &ft))
			continue;
		c->e = first_mapping(m, e->path);
		c->name_version = version;
		c->name_ft = ft;
		return 0;
	}
	/* no libpython: maybe the executable has the interpreter inside */
	snprintf(path, sizeof(path), "%s/%d/exe", proc_root, (int)pid);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	link[len] = '\0';
	if ((size_t)len > strlen(del) && !strcmp(link + len - strlen(del), del))
		link[len - strlen(del)] = '\0';
	c->e = first_mapping(m, link);
	if (!c->e)
		return -ENOENT;
	c->exe = true;
	if (parse_py_name(base_name(link), false, &version, &ft)) {
		c->name_version = version;
		c->name_ft = ft;
	}
	return 0;
}

/* ---- version and layout ------------------------------------------------- */

static int check_supported(unsigned version, bool ft, const char **why)
{
	if (version >> 8 != 3) {
		*why = version >> 8 == 2 ? "Python 2 is not supported"
					 : "not CPython 3";
		return -ENOTSUP;
	}
	if (version < 0x0308) {
		*why = "CPython older than 3.8 is not supported";
		return -ENOTSUP;
	}
	if (version > 0x030e) {
		*why = "CPython newer than 3.14 is not supported";
		return -ENOTSUP;
	}
	if (ft) {
		*why = "free-threaded CPython build (3.13t/3.14t)";
		return -ENOTSUP;
	}
	return 0;
}

static int read_layout(struct pyproc *p, unsigned version, const char **why)
{
	size_t len = py_layout__debug_offsets_size(version);
	uint8_t blob[1024];
	int err;

	if (version <= 0x030c) {
		err = py_layout__builtin(version, &p->l);
		if (err)
			*why = "no layout for this CPython version";
		return err;
	}
	if (!len || len > sizeof(blob)) {
		*why = "no _Py_DebugOffsets layout for this CPython version";
		return -ENOTSUP;
	}
	if (p->runtime_size && p->runtime_size < len) {
		*why = "_PyRuntime smaller than _Py_DebugOffsets";
		return -EPROTO;
	}
	err = pyproc__read(p, p->runtime, blob, len);
	if (err) {
		*why = "cannot read _Py_DebugOffsets";
		return err;
	}
	return py_layout__from_debug_offsets(blob, len, p->version_hex, &p->l,
					     why);
}

/* The runtime offsets we follow must lie inside _PyRuntime. */
static int check_runtime_bounds(struct pyproc *p, const char **why)
{
	uint64_t size = p->runtime_size;

	if (!size)
		return 0;
	if ((uint64_t)p->l.rt_size > size) {
		*why = "_Py_DebugOffsets.runtime_state.size exceeds _PyRuntime";
		return -EPROTO;
	}
	if ((uint64_t)p->l.rt_interp_head + 8 > size) {
		*why = "_PyRuntime.interpreters.head outside _PyRuntime";
		return -EPROTO;
	}
	if (p->l.rt_tss_key >= 0 && (uint64_t)p->l.rt_tss_key + 8 > size)
		p->l.rt_tss_key = -1;
	return 0;
}

/* Read a type object's tp_basicsize and (WANT_MEMBERS) its tp_members. */
static int read_type(struct pyproc *p, uint64_t addr, bool want_members,
		     int64_t *basicsize, struct py_member *m, size_t *n)
{
	uint8_t hdr[TP_MEMBERS + 8], def[MEMBERDEF_SIZE];
	uint64_t members, name;
	int err;

	*n = 0;
	err = pyproc__read(p, addr, hdr, sizeof(hdr));
	if (err)
		return err;
	memcpy(basicsize, hdr + TP_BASICSIZE, 8);
	memcpy(&members, hdr + TP_MEMBERS, 8);
	if (!want_members || !members)
		return 0;
	while (*n < MAX_MEMBERS) {
		err = pyproc__read(p, members + *n * MEMBERDEF_SIZE, def,
				   sizeof(def));
		if (err)
			return err;
		memcpy(&name, def, 8);
		if (!name)
			break;
		err = read_cstr(p, name, m[*n].name, sizeof(m[*n].name));
		if (err)
			return err;
		memcpy(&m[*n].type, def + MEMBERDEF_TYPE, 4);
		memcpy(&m[*n].offset, def + MEMBERDEF_OFFSET, 8);
		(*n)++;
	}
	return 0;
}

static int check_types(struct pyproc *p, const char **why)
{
	static const char *const missing[PY_TYPE__MAX] = {
		[PY_TYPE_CODE] = "PyCode_Type symbol not found",
		[PY_TYPE_FRAME] = "PyFrame_Type symbol not found",
		[PY_TYPE_UNICODE] = "PyUnicode_Type symbol not found",
		[PY_TYPE_BYTES] = "PyBytes_Type symbol not found",
	};
	struct py_member m[MAX_MEMBERS];
	int64_t basicsize;
	bool members;
	size_t n;
	int t, err;

	for (t = 0; t < PY_TYPE__MAX; t++) {
		/* 3.11+ frames are not PyFrameObjects: nothing to check */
		if (t == PY_TYPE_FRAME && !p->l.frame_objects)
			continue;
		if (!p->types[t]) {
			*why = missing[t];
			return -EPROTO;
		}
		members = t == PY_TYPE_CODE || t == PY_TYPE_FRAME;
		err = read_type(p, p->types[t], members, &basicsize, m, &n);
		if (err) {
			*why = "cannot read the type objects";
			return err;
		}
		err = py_layout__check_type(&p->l, (enum py_type_id)t,
					    basicsize, m, n, why);
		if (err)
			return err;
	}
	return 0;
}

/* Whether thread TID of PID exists. */
static bool is_task(const struct pyproc *p, uint32_t tid)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%d/task/%u", p->proc_root, (int)p->pid,
		 tid);
	return !stat(path, &st);
}

/*
 * Whether ID is a thread's pthread_t: on x86-64 glibc and musl, pthread_t is
 * the thread pointer (fsbase), whose first word points to itself (glibc's
 * tcbhead_t.tcb, musl's pthread.self). This is also what makes thread_id
 * usable as the BPF map key.
 */
static bool is_pthread(struct pyproc *p, uint64_t id)
{
	uint64_t self;

	return !(id & 7) && !read_u64(p, id, &self) && self == id;
}

/*
 * Cross-check the thread-state offsets on the live list (once the
 * interpreter is up): each tstate points back at its interpreter (checked by
 * pyproc__threads), every thread_id set is a pthread_t, and from 3.11 every
 * native_thread_id set is a thread of the process; at least one of each is
 * set (the main thread's always is). Threads come and go meanwhile (and new
 * ones have no ids for a moment): retried before giving up.
 */
static int check_threads(struct pyproc *p, const char **why)
{
	struct py_thread t[64];
	bool any_id, any_native;
	size_t n, i;
	int tries, err = 0;

	for (tries = 0; tries < THREAD_CHECK_TRIES; tries++) {
		if (tries)
			usleep(2000);
		err = pyproc__threads(p, t, sizeof(t) / sizeof(t[0]), &n);
		if (err == -ENOSPC)
			err = 0;
		if (err == -EAGAIN || err == -ELOOP) {
			*why = err == -ELOOP ? "PyThreadState.next loops"
					     : "PyThreadState.interp does not "
					       "point back at its interpreter";
			err = -EPROTO;
			continue;
		}
		if (err) {
			*why = "cannot read the thread list";
			return err;
		}
		if (!n)
			return 0;
		any_id = any_native = false;
		for (i = 0; i < n; i++) {
			if (t[i].thread_id) {
				if (!is_pthread(p, t[i].thread_id))
					break;
				any_id = true;
			}
			if (t[i].native_tid) {
				if (!is_task(p, t[i].native_tid))
					break;
				any_native = true;
			}
		}
		err = -EPROTO;
		if (i < n || !any_id) {
			*why = "PyThreadState.thread_id is not a pthread_t";
			continue;
		}
		if (p->l.ts_native_tid >= 0 && !any_native) {
			*why = "PyThreadState.native_thread_id is not a thread";
			continue;
		}
		return 0;
	}
	return err;
}

/* Whether the object at ADDR has type TYPE. */
static bool has_type(struct pyproc *p, uint64_t addr, uint64_t type)
{
	uint64_t t;

	return addr && !(addr & 7) && !read_u64(p, addr + OB_TYPE, &t) &&
	       t == type;
}

/*
 * Check the frame offsets the BPF walker will follow: from each thread's
 * top frame, the first few frames must hold code objects (and be frame
 * objects, up to 3.10). The target runs meanwhile, so a frame may be popped
 * under us: retried, and a thread without frames proves nothing.
 */
static int check_frames(struct pyproc *p, const char **why)
{
	const struct zp_py_proc *c = &p->bpf;
	uint64_t frame, code;
	struct py_thread t[64];
	uint8_t buf[OBJ_HDR_MAX];
	int tries, depth, err;
	size_t n, i;
	bool bad;

	if (c->frame_span > sizeof(buf)) {
		*why = "frame span too large";
		return -EPROTO;
	}
	for (tries = 0; tries < THREAD_CHECK_TRIES; tries++) {
		if (tries)
			usleep(2000);
		err = pyproc__threads(p, t, sizeof(t) / sizeof(t[0]), &n);
		if (err && err != -ENOSPC)
			continue;
		bad = false;
		for (i = 0; i < n && !bad; i++) {
			if (read_u64(p, t[i].tstate + (uint64_t)c->tstate_frame,
				     &frame))
				frame = 0;
			if (frame && c->cframe_frame >= 0 &&
			    read_u64(p, frame + (uint64_t)c->cframe_frame,
				     &frame))
				bad = true;
			for (depth = 0; frame && !bad && depth < 8; depth++) {
				if (pyproc__read(p, frame, buf,
						 c->frame_span) ||
				    (p->l.frame_objects &&
				     !has_type(p, frame,
					       p->types[PY_TYPE_FRAME]))) {
					bad = true;
					break;
				}
				memcpy(&code, buf + c->frame_code, 8);
				code &= ~(uint64_t)c->code_tag_mask;
				/* 3.13+ entry frames hold None, not code */
				if ((c->frame_owner < 0 ||
				     buf[c->frame_owner] < c->owner_stop) &&
				    !has_type(p, code, p->types[PY_TYPE_CODE]))
					bad = true;
				memcpy(&frame, buf + c->frame_back, 8);
			}
		}
		if (!bad)
			return 0;
	}
	*why = p->l.frame_objects
		   ? "PyThreadState.frame or PyFrameObject.f_code/f_back"
		   : "PyThreadState frame, or _PyInterpreterFrame "
		     "code/previous/owner";
	return -EPROTO;
}

static size_t code_header_len(const struct py_layout *l)
{
	int32_t offs[] = { l->co_filename, l->co_name, l->co_qualname,
			   l->co_table, OB_TYPE };
	size_t len = (size_t)l->co_firstlineno + 4, i;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (offs[i] >= 0 && (size_t)offs[i] + 8 > len)
			len = (size_t)offs[i] + 8;
	return len;
}

/* ---- open / free -------------------------------------------------------- */

static int maps_errno(int e)
{
	if (e == ENOENT || e == ESRCH)
		return -ESRCH;
	if (e == EPERM || e == EACCES)
		return -EACCES;
	return -e;
}

int pyproc__open(pid_t pid, const char *proc_root, struct pyproc **out,
		 const char **why)
{
	const char *dummy = NULL;
	struct procmaps *maps;
	struct candidate cand;
	struct pyproc *p;
	char path[PATH_MAX];
	unsigned version;
	uint64_t bias, v;
	struct pyelf pe;
	int fd, rootfd, t, err;

	if (!why)
		why = &dummy;
	*out = NULL;
	*why = NULL;
	if (pid <= 0) {
		*why = "bad pid";
		return -EINVAL;
	}
	if (!proc_root)
		proc_root = "/proc";
	maps = procmaps__load(proc_root, pid, 0);
	if (!maps) {
		err = maps_errno(errno);
		*why = err == -ESRCH	? "no such process"
		       : err == -EACCES ? "cannot read the process's maps"
					: "cannot load the process's maps";
		return err;
	}
	err = find_candidate(maps, proc_root, pid, &cand);
	if (err) {
		if (err == -EACCES || err == -EPERM)
			err = -EACCES;
		else if (err != -ESRCH)
			err = -ENOENT;
		*why = err == -EACCES ? "cannot read the process's exe link"
				      : "no CPython in the process";
		goto out_maps;
	}
	/*
	 * A name that gives the version settles what we refuse at once (a
	 * Python 2 executable would otherwise look like no Python at all).
	 */
	if (!cand.exe || cand.name_version) {
		err = check_supported(cand.name_version, cand.name_ft, why);
		if (err)
			goto out_maps;
	}

	p = calloc(1, sizeof(*p));
	if (!p) {
		err = -ENOMEM;
		goto out_maps;
	}
	p->pid = pid;
	p->memfd = -1;
	p->proc_root = strdup(proc_root);
	p->path = strdup(cand.e->path);
	if (!p->proc_root || !p->path) {
		err = -ENOMEM;
		goto out_free;
	}

	snprintf(path, sizeof(path), "%s/%d/root", proc_root, (int)pid);
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = sym_open_mapped(proc_root, pid, rootfd, cand.e);
	if (rootfd >= 0)
		close(rootfd);
	if (fd < 0) {
		err = fd == -EACCES || fd == -EPERM ? -EACCES : -ENOTSUP;
		*why = "cannot open the interpreter's file";
		goto out_free;
	}
	err = read_elf(fd, cand.exe, &pe);
	close(fd);
	if (err == -ENOENT) {
		*why = "no CPython in the process";
		goto out_free;
	}
	if (err) {
		err = -ENOTSUP;
		*why = "the interpreter's file is not a 64-bit ELF";
		goto out_free;
	}
	if (!pe.sym[SYM_RUNTIME].found && !pe.has_rtsec) {
		err = -ENOTSUP;
		*why = "no _PyRuntime symbol or .PyRuntime section";
		goto out_free;
	}
	if (load_bias(&pe, cand.e, &bias)) {
		err = -EPROTO;
		*why = "mapping not covered by a PT_LOAD";
		goto out_free;
	}
	if (pe.sym[SYM_RUNTIME].found) {
		p->runtime = pe.sym[SYM_RUNTIME].value + bias;
		p->runtime_size = pe.sym[SYM_RUNTIME].size;
	} else {
		p->runtime = pe.rtsec_addr + bias;
		p->runtime_size = pe.rtsec_size;
	}
	for (t = 0; t < PY_TYPE__MAX; t++)
		if (pe.sym[type_syms[t]].found)
			p->types[t] = pe.sym[type_syms[t]].value + bias;
	find_probe_offsets(&pe, p);

	/* Py_Version (3.11+) is PY_VERSION_HEX; before, the file name */
	version = cand.name_version;
	if (pe.sym[SYM_VERSION].found) {
		err = read_u64(p, pe.sym[SYM_VERSION].value + bias, &v);
		if (err) {
			*why = "cannot read Py_Version";
			goto out_free;
		}
		p->version_hex = (uint32_t)v;
		version = (p->version_hex >> 16) & 0xffff;
		if (cand.name_version && cand.name_version != version)
			log_debug("pyproc: pid %d: %s says %x, Py_Version %x",
				  (int)pid, p->path, cand.name_version,
				  version);
	}
	if (!version) {
		err = -ENOTSUP;
		*why = "cannot tell the CPython version";
		goto out_free;
	}
	err = check_supported(version, cand.name_ft, why);
	if (err)
		goto out_free;

	err = read_layout(p, version, why);
	if (err)
		goto out_free;
	err = check_runtime_bounds(p, why);
	if (err)
		goto out_free;
	err = check_types(p, why);
	if (err)
		goto out_free;
	err = check_threads(p, why);
	if (err)
		goto out_free;
	py_layout__bpf_config(&p->l, &p->bpf);
	err = check_frames(p, why);
	if (err)
		goto out_free;
	p->code_hdr_len = code_header_len(&p->l);
	procmaps__free(maps);
	*out = p;
	return 0;

out_free:
	/*
	 * Memory we know is mapped but cannot read yet: the dynamic linker
	 * has not finished (relocating) the interpreter. Worth a retry.
	 */
	if (err == -EFAULT)
		err = -EAGAIN;
	pyproc__free(p);
out_maps:
	procmaps__free(maps);
	return err;
}

void pyproc__free(struct pyproc *p)
{
	if (!p)
		return;
	if (p->memfd >= 0)
		close(p->memfd);
	free(p->proc_root);
	free(p->path);
	free(p);
}

pid_t pyproc__pid(const struct pyproc *p)
{
	return p->pid;
}

unsigned pyproc__version(const struct pyproc *p)
{
	return p->l.version;
}

uint32_t pyproc__version_hex(const struct pyproc *p)
{
	return p->version_hex;
}

uint64_t pyproc__runtime_addr(const struct pyproc *p)
{
	return p->runtime;
}

const char *pyproc__path(const struct pyproc *p)
{
	return p->path;
}

int pyproc__thread_probe_offsets(const struct pyproc *p,
				 uint64_t off[PYPROC_THREAD_PROBES])
{
	if (!p->has_probe_off)
		return -ENOENT;
	memcpy(off, p->probe_off, sizeof(p->probe_off));
	return 0;
}

const struct zp_py_proc *pyproc__bpf_config(const struct pyproc *p)
{
	return &p->bpf;
}

int pyproc__tss_key(struct pyproc *p, uint32_t *key)
{
	uint32_t tss[2]; /* Py_tss_t: int _is_initialized, pthread_key_t */
	int err;

	if (p->l.rt_tss_key < 0)
		return -ENOTSUP;
	err = pyproc__read(p, p->runtime + (uint64_t)p->l.rt_tss_key, tss,
			   sizeof(tss));
	if (err)
		return err;
	if (tss[0] != 1)
		return -EAGAIN;
	/* glibc's PTHREAD_KEYS_MAX */
	if (tss[1] >= 1024)
		return -EPROTO;
	*key = tss[1];
	return 0;
}

/* ---- threads ------------------------------------------------------------ */

/*
 * Brent's cycle detection: constant memory, finds a loop within twice its
 * length, so a corrupted list is caught long before the count limit.
 */
struct loopcheck {
	uint64_t tortoise;
	size_t power, lam;
};

static void loop_init(struct loopcheck *c, uint64_t start)
{
	c->tortoise = start;
	c->power = 1;
	c->lam = 0;
}

static bool loop_step(struct loopcheck *c, uint64_t next)
{
	if (next && next == c->tortoise)
		return true;
	if (++c->lam == c->power) {
		c->tortoise = next;
		c->power *= 2;
		c->lam = 0;
	}
	return false;
}

int pyproc__threads(struct pyproc *p, struct py_thread *out, size_t max,
		    size_t *n)
{
	const struct py_layout *l = &p->l;
	uint64_t interp, ts, next, back, tid, native = 0;
	size_t span, total = 0, ninterp = 0;
	struct loopcheck ic, tc;
	uint8_t buf[OBJ_HDR_MAX];
	bool truncated = false;
	int err;

	*n = 0;
	span = (size_t)l->ts_thread_id + 8;
	if ((size_t)l->ts_next + 8 > span)
		span = (size_t)l->ts_next + 8;
	if ((size_t)l->ts_interp + 8 > span)
		span = (size_t)l->ts_interp + 8;
	if (l->ts_native_tid >= 0 && (size_t)l->ts_native_tid + 8 > span)
		span = (size_t)l->ts_native_tid + 8;
	if (span > sizeof(buf))
		return -EPROTO;

	err = read_u64(p, p->runtime + (uint64_t)l->rt_interp_head, &interp);
	if (err)
		return err;
	loop_init(&ic, interp);
	while (interp) {
		if (interp & 7 || ++ninterp > MAX_INTERPRETERS)
			return interp & 7 ? -EAGAIN : -ELOOP;
		err = read_u64(p, interp + (uint64_t)l->is_threads_head, &ts);
		if (err)
			return err;
		loop_init(&tc, ts);
		while (ts) {
			if (ts & 7)
				return -EAGAIN;
			if (++total > PYPROC_MAX_THREADS)
				return -ELOOP;
			err = pyproc__read(p, ts, buf, span);
			if (err)
				return err;
			memcpy(&back, buf + l->ts_interp, 8);
			if (back != interp)
				return -EAGAIN;
			memcpy(&tid, buf + l->ts_thread_id, 8);
			if (l->ts_native_tid >= 0)
				memcpy(&native, buf + l->ts_native_tid, 8);
			if (*n < max) {
				out[*n].tstate = ts;
				out[*n].thread_id = tid;
				/* an unsigned long holding a pid_t */
				out[*n].native_tid =
				    native <= INT32_MAX ? (uint32_t)native : 0;
				out[*n].pad = 0;
				(*n)++;
			} else {
				truncated = true;
			}
			memcpy(&next, buf + l->ts_next, 8);
			if (loop_step(&tc, next))
				return -ELOOP;
			ts = next;
		}
		err = read_u64(p, interp + (uint64_t)l->is_next, &next);
		if (err)
			return err;
		if (loop_step(&ic, next))
			return -ELOOP;
		interp = next;
	}
	return truncated ? -ENOSPC : 0;
}

/* ---- code objects ------------------------------------------------------- */

/* Copy the str object at ADDR as UTF-8 of at most LIMIT bytes into *OUT. */
static int read_str(struct pyproc *p, uint64_t addr, size_t limit, char **out)
{
	const struct py_layout *l = &p->l;
	uint8_t hdr[OBJ_HDR_MAX], *data = NULL;
	struct py_str_hdr h;
	size_t nchars, nbytes, len;
	uint64_t type;
	char *s, *shrunk;
	int err;

	*out = NULL;
	if (!addr || addr & 7 || (size_t)l->str_ascii_size > sizeof(hdr))
		return -EINVAL;
	err = pyproc__read(p, addr, hdr, (size_t)l->str_ascii_size);
	if (err)
		return err;
	memcpy(&type, hdr + OB_TYPE, 8);
	if (type != p->types[PY_TYPE_UNICODE])
		return -EINVAL;
	err = py_str__parse(l, hdr, (size_t)l->str_ascii_size, &h);
	if (err)
		return err;
	/* each code point is at least one UTF-8 byte: LIMIT is enough */
	nchars = h.length < limit ? (size_t)h.length : limit;
	nbytes = nchars * h.kind;
	data = malloc(nbytes ? nbytes : 1);
	s = malloc(limit + 1);
	if (!data || !s) {
		err = -ENOMEM;
		goto out_free;
	}
	err = pyproc__read(p, addr + h.data_off, data, nbytes);
	if (err)
		goto out_free;
	len = py_str__to_utf8(h.kind, h.ascii, data, nchars, s, limit + 1);
	shrunk = realloc(s, len + 1);
	*out = shrunk ? shrunk : s;
	s = NULL;
out_free:
	free(s);
	free(data);
	return err;
}

static int read_table(struct pyproc *p, uint64_t addr, struct py_code *c)
{
	const struct py_layout *l = &p->l;
	uint8_t hdr[OBJ_HDR_MAX];
	uint64_t type, size;
	size_t n;
	int err;

	if (!addr || addr & 7 || (size_t)l->bytes_sval > sizeof(hdr))
		return -EINVAL;
	err = pyproc__read(p, addr, hdr, (size_t)l->bytes_sval);
	if (err)
		return err;
	memcpy(&type, hdr + OB_TYPE, 8);
	if (type != p->types[PY_TYPE_BYTES])
		return -EINVAL;
	err = py_bytes__parse(l, hdr, (size_t)l->bytes_sval, &size);
	if (err)
		return err;
	n = size < PY_CODE_TABLE_MAX ? (size_t)size : PY_CODE_TABLE_MAX;
	c->table_truncated = size > PY_CODE_TABLE_MAX;
	c->table = malloc(n ? n : 1);
	if (!c->table)
		return -ENOMEM;
	c->table_len = n;
	return pyproc__read(p, addr + (uint64_t)l->bytes_sval, c->table, n);
}

int pyproc__read_code(struct pyproc *p, uint64_t code_addr, struct py_code *out)
{
	const struct py_layout *l = &p->l;
	uint64_t type, name, file, table;
	uint8_t hdr[OBJ_HDR_MAX];
	int32_t firstlineno;
	int err;

	memset(out, 0, sizeof(*out));
	if (!code_addr || code_addr & 7 || p->code_hdr_len > sizeof(hdr))
		return -EINVAL;
	err = pyproc__read(p, code_addr, hdr, p->code_hdr_len);
	if (err)
		return err;
	memcpy(&type, hdr + OB_TYPE, 8);
	if (type != p->types[PY_TYPE_CODE])
		return -EINVAL;
	memcpy(&firstlineno, hdr + l->co_firstlineno, 4);
	memcpy(&name, hdr + (l->co_qualname >= 0 ? l->co_qualname : l->co_name),
	       8);
	memcpy(&file, hdr + l->co_filename, 8);
	memcpy(&table, hdr + l->co_table, 8);

	err = read_str(p, name, PY_CODE_NAME_MAX, &out->qualname);
	if (!err)
		err = read_str(p, file, PY_CODE_FILE_MAX, &out->filename);
	if (!err)
		err = read_table(p, table, out);
	if (err) {
		py_code__release(out);
		return err;
	}
	out->firstlineno = firstlineno;
	out->tag = (uint32_t)firstlineno;
	return 0;
}

void py_code__release(struct py_code *c)
{
	if (!c)
		return;
	free(c->qualname);
	free(c->filename);
	free(c->table);
	memset(c, 0, sizeof(*c));
}
