// SPDX-License-Identifier: BSD-2-Clause
/*
 * symbolizer: owns the process snapshots (executable mappings and comm of
 * each known PID, in a hash table with an LRU bound of max_procs), the shared
 * symcache of ELF symbol tables the snapshots reference, and the kernel
 * symbol table. add_pid does all the I/O and allocation, eagerly, so that a
 * process that exits before the end of a capture still resolves; lookups
 * only search arrays built then.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksyms.h"
#include "log.h"
#include "procmaps.h"
#include "symbolize.h"
#include "symcache.h"
#include "symutil.h"

#define DEFAULT_MAX_PROCS 4096
/* The vDSO is two to four pages; anything much bigger is not the vDSO. */
#define VDSO_MAX_BYTES (1u << 20)

struct proc_module {
	struct sym_module mod;	      /* what lookups hand out */
	struct symcache_entry *entry; /* referenced; NULL: no symbols */
	const struct elfsyms *syms;   /* entry's table */
};

struct sym_proc {
	pid_t pid;
	char comm[64];
	struct procmaps *maps; /* owns the module path strings */
	struct proc_module *mods;
	size_t nmods;
	struct sym_proc *hnext;
	/* LRU list: least recently added or looked up at the head */
	struct sym_proc *lru_prev, *lru_next;
};

struct symbolizer {
	char *proc_root;
	struct symcache *cache;
	struct ksyms *ksyms;
	char *kallsyms_path; /* NULL: no kernel symbols wanted */
	struct sym_proc **buckets;
	size_t nbuckets; /* a power of two */
	size_t nprocs, max_procs;
	struct sym_proc *lru_head, *lru_tail;
	uint64_t procs_evicted, lookups, unresolved;
};

static const struct sym_module kernel_module = {
	.start = 0,
	.limit = UINT64_MAX,
	.file_offset = 0,
	.path = "[kernel.kallsyms]",
	.build_id = "",
};

static size_t pid_bucket(const struct symbolizer *s, pid_t pid)
{
	return ((uint32_t)pid * 2654435761u) & (s->nbuckets - 1);
}

static struct sym_proc *find_proc(const struct symbolizer *s, pid_t pid)
{
	struct sym_proc *p;

	for (p = s->buckets[pid_bucket(s, pid)]; p; p = p->hnext)
		if (p->pid == pid)
			return p;
	return NULL;
}

static void lru_unlink(struct symbolizer *s, struct sym_proc *p)
{
	if (p->lru_prev)
		p->lru_prev->lru_next = p->lru_next;
	else
		s->lru_head = p->lru_next;
	if (p->lru_next)
		p->lru_next->lru_prev = p->lru_prev;
	else
		s->lru_tail = p->lru_prev;
	p->lru_prev = p->lru_next = NULL;
}

static void lru_append(struct symbolizer *s, struct sym_proc *p)
{
	p->lru_prev = s->lru_tail;
	p->lru_next = NULL;
	if (s->lru_tail)
		s->lru_tail->lru_next = p;
	else
		s->lru_head = p;
	s->lru_tail = p;
}

static void lru_touch(struct symbolizer *s, struct sym_proc *p)
{
	if (s->lru_tail == p)
		return;
	lru_unlink(s, p);
	lru_append(s, p);
}

static void proc_free(struct symbolizer *s, struct sym_proc *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; p->mods && i < p->nmods; i++)
		symcache__put(s->cache, p->mods[i].entry);
	free(p->mods);
	procmaps__free(p->maps);
	free(p);
}

/* Unhash, unlink and free P. */
static void proc_remove(struct symbolizer *s, struct sym_proc *p)
{
	struct sym_proc **pp = &s->buckets[pid_bucket(s, p->pid)];

	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	lru_unlink(s, p);
	s->nprocs--;
	proc_free(s, p);
}

/* Takes K (NULL: could not be read); warns once, since a profile without
 * kernel symbols is still worth writing. */
static void kernel_table_check(struct symbolizer *s, struct ksyms *k)
{
	ksyms__free(s->ksyms);
	s->ksyms = k;
	if (!k)
		log_warn("cannot read %s: %s; kernel frames will be unresolved",
			 s->kallsyms_path, strerror(errno));
	else if (!ksyms__usable(k) && ksyms__count(k))
		log_warn("kernel symbol addresses are hidden "
			 "(kernel.kptr_restrict); kernel frames will be "
			 "unresolved");
}

int symbolizer__load_kernel(struct symbolizer *s, const uint64_t *addrs,
			    size_t n)
{
	if (!s->kallsyms_path)
		return -EINVAL;
	kernel_table_check(s, ksyms__load_subset(s->kallsyms_path, addrs, n));
	return s->ksyms ? 0 : -errno;
}

struct symbolizer *symbolizer__new(const struct symbolizer_opts *opts)
{
	struct symbolizer_opts defaults = { 0 };
	struct symbolizer *s;

	if (!opts)
		opts = &defaults;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto err;
	s->proc_root = strdup(opts->proc_root ? opts->proc_root : "/proc");
	if (!s->proc_root)
		goto err_free;
	s->max_procs = opts->max_procs ? opts->max_procs : DEFAULT_MAX_PROCS;
	s->nbuckets = 16;
	while (s->nbuckets < 2 * s->max_procs && s->nbuckets < (1u << 20))
		s->nbuckets <<= 1;
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	if (!s->buckets)
		goto err_free;
	s->cache = symcache__new(opts->max_files, opts->debug_root);
	if (!s->cache)
		goto err_free;
	if (opts->kernel) {
		s->kallsyms_path =
		    strdup(opts->kallsyms_path ? opts->kallsyms_path
					       : "/proc/kallsyms");
		if (!s->kallsyms_path)
			goto err_free;
		if (!opts->kernel_lazy)
			kernel_table_check(s, ksyms__load(opts->kallsyms_path));
	}
	return s;

err_free:
	symbolizer__free(s);
	errno = ENOMEM;
err:
	return NULL;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	while (s->lru_head)
		proc_remove(s, s->lru_head);
	free(s->buckets);
	symcache__free(s->cache);
	ksyms__free(s->ksyms);
	free(s->kallsyms_path);
	free(s->proc_root);
	free(s);
}

/* Read PID's comm, without the newline; leaves "" when it cannot. */
static void read_comm(const struct symbolizer *s, pid_t pid, char *out,
		      size_t size)
{
	char path[4096];
	size_t len;
	char *buf;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/%d/comm", s->proc_root, (int)pid);
	if (sym_read_file(path, 4096, &buf, &len))
		return;
	len = strcspn(buf, "\n");
	if (len >= size)
		len = size - 1;
	memcpy(out, buf, len);
	out[len] = '\0';
	free(buf);
}

/*
 * The vDSO is not a file: read its image from the process's memory. It is the
 * same image in every process of one kernel, so the symcache keeps one table
 * for all (keyed by its build-id).
 */
static struct symcache_entry *load_vdso(struct symbolizer *s, pid_t pid,
					const struct procmaps_entry *e)
{
	struct symcache_entry *entry = NULL;
	size_t len = e->limit - e->start;
	char path[4096];
	ssize_t n;
	void *buf;
	int fd;

	if (len > VDSO_MAX_BYTES)
		return NULL;
	snprintf(path, sizeof(path), "%s/%d/mem", s->proc_root, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(len);
	if (!buf)
		goto out_close;
	n = pread(fd, buf, len, (off_t)e->start);
	if (n == (ssize_t)len)
		entry = symcache__get_mem(s->cache, buf, len);
	free(buf);
out_close:
	close(fd);
	return entry;
}

/* Fill M from maps entry E of PID, loading its symbols when it has any. */
static void load_module(struct symbolizer *s, pid_t pid, int rootfd,
			const struct procmaps_entry *e, struct proc_module *m)
{
	int fd;

	m->mod = (struct sym_module){
		.start = e->start,
		.limit = e->limit,
		.file_offset = e->offset,
		.path = e->path,
		.build_id = "",
		.deleted = e->deleted,
	};
	if (e->path[0] == '/') {
		fd = sym_open_mapped(s->proc_root, pid, rootfd, e);
		if (fd < 0) {
			log_debug("symbolizer: pid %d: cannot open %s: %s",
				  (int)pid, e->path, strerror(-fd));
			return;
		}
		m->entry = symcache__get_fd(s->cache, fd, e->path, rootfd);
		if (!m->entry)
			log_debug("symbolizer: pid %d: no symbols for %s: %s",
				  (int)pid, e->path, strerror(errno));
		close(fd);
	} else if (!strcmp(e->path, "[vdso]")) {
		m->entry = load_vdso(s, pid, e);
	}
	if (m->entry) {
		m->syms = symcache_entry__syms(m->entry);
		m->mod.build_id = elfsyms__build_id(m->syms);
	}
}

int symbolizer__add_pid(struct symbolizer *s, pid_t pid)
{
	struct sym_proc *p;
	char path[4096];
	int rootfd, err;
	size_t i, b;

	p = find_proc(s, pid);
	if (p) {
		lru_touch(s, p);
		return 0;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->maps = procmaps__load(s->proc_root, pid, PROCMAPS_EXEC_ONLY);
	if (!p->maps) {
		err = -errno;
		goto err_free;
	}
	/*
	 * Room before loading: evicting releases file references, which may
	 * be what lets the symcache take this process's files.
	 */
	if (s->nprocs >= s->max_procs && s->lru_head) {
		proc_remove(s, s->lru_head);
		s->procs_evicted++;
	}
	read_comm(s, pid, p->comm, sizeof(p->comm));
	p->nmods = procmaps__count(p->maps);
	p->mods = calloc(p->nmods ? p->nmods : 1, sizeof(*p->mods));
	if (!p->mods) {
		err = -ENOMEM;
		goto err_free;
	}
	snprintf(path, sizeof(path), "%s/%d/root", s->proc_root, (int)pid);
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < p->nmods; i++)
		load_module(s, pid, rootfd, procmaps__entry(p->maps, i),
			    &p->mods[i]);
	if (rootfd >= 0)
		close(rootfd);

	b = pid_bucket(s, pid);
	p->hnext = s->buckets[b];
	s->buckets[b] = p;
	lru_append(s, p);
	s->nprocs++;
	return 0;

err_free:
	proc_free(s, p);
	return err;
}

bool symbolizer__has_pid(const struct symbolizer *s, pid_t pid)
{
	return find_proc(s, pid) != NULL;
}

const char *symbolizer__comm(const struct symbolizer *s, pid_t pid)
{
	const struct sym_proc *p = find_proc(s, pid);

	return p ? p->comm : "";
}

void symbolizer__drop_pid(struct symbolizer *s, pid_t pid)
{
	struct sym_proc *p = find_proc(s, pid);

	if (p)
		proc_remove(s, p);
}

static const struct proc_module *find_module(const struct sym_proc *p,
					     uint64_t addr)
{
	size_t lo = 0, hi = p->nmods, mid;
	const struct proc_module *m;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p->mods[mid].mod.start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	m = &p->mods[lo - 1];
	return addr < m->mod.limit ? m : NULL;
}

bool symbolizer__maps_cover(const struct symbolizer *s, pid_t pid,
			    uint64_t addr)
{
	const struct sym_proc *p = find_proc(s, pid);

	return p && find_module(p, addr);
}

int symbolizer__refresh_pid(struct symbolizer *s, pid_t pid)
{
	symbolizer__drop_pid(s, pid);
	return symbolizer__add_pid(s, pid);
}

void symbolizer__lookup_user(struct symbolizer *s, pid_t pid, uint64_t addr,
			     struct sym_frame *out)
{
	const struct proc_module *m;
	const struct elfsym *sym;
	struct sym_proc *p;
	uint64_t vaddr;

	memset(out, 0, sizeof(*out));
	s->lookups++;
	p = find_proc(s, pid);
	if (!p)
		goto unresolved;
	lru_touch(s, p);
	m = find_module(p, addr);
	if (!m)
		goto unresolved;
	out->module = &m->mod;
	/* the file offset: for the vDSO the image offset (maps says 0) */
	out->module_offset = addr - m->mod.start + m->mod.file_offset;
	if (!m->syms ||
	    elfsyms__file_to_vaddr(m->syms, out->module_offset, &vaddr))
		goto unresolved;
	sym = elfsyms__find(m->syms, vaddr);
	if (!sym)
		goto unresolved;
	out->name = sym->name;
	out->sym_offset = vaddr - sym->start;
	return;

unresolved:
	s->unresolved++;
}

void symbolizer__lookup_kernel(struct symbolizer *s, uint64_t addr,
			       struct sym_frame *out)
{
	const struct ksym *sym;

	memset(out, 0, sizeof(*out));
	s->lookups++;
	out->module = &kernel_module;
	out->module_offset = addr;
	sym = s->ksyms ? ksyms__find(s->ksyms, addr) : NULL;
	if (!sym) {
		s->unresolved++;
		return;
	}
	out->name = sym->name;
	out->sym_offset = addr - sym->addr;
}

void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *st)
{
	struct symcache_stats cs;

	symcache__stats(s->cache, &cs);
	*st = (struct symbolizer_stats){
		.files_loaded = cs.loaded,
		.files_evicted = cs.evicted,
		.file_cache_hits = cs.hits,
		.procs_evicted = s->procs_evicted,
		.lookups = s->lookups,
		.unresolved = s->unresolved,
		.files_failed = cs.failed,
		.files_cached = cs.entries,
		.files_bytes = cs.mem_bytes,
		.procs = s->nprocs,
	};
}

bool symbolizer__kernel_usable(const struct symbolizer *s)
{
	return s->ksyms && ksyms__usable(s->ksyms);
}
