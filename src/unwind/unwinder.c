// SPDX-License-Identifier: BSD-2-Clause
/*
 * Loads unwind tables into the kernel for the processes being sampled: see
 * include/unwinder.h. Every array here is sized at creation; tables live
 * in one kernel row pool where each takes a contiguous range found first
 * fit among the loaded ones (a few hundred at most, so a linear scan is
 * cheaper than keeping a free list right).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "ehtable.h"
#include "elfsyms.h"
#include "log.h"
#include "procmaps.h"
#include "symutil.h"
#include "unwind_abi.h"
#include "unwinder.h"

/* executable PT_LOAD segments remembered per file, to compute load biases */
#define SEGS 4
/* the vDSO has no device or inode: this key stands for it */
#define VDSO_DEV 0
#define VDSO_INO 1

struct seg {
	uint64_t offset, vaddr, filesz;
};

struct utable {
	uint64_t dev, ino;	 /* file identity; both 0: free slot */
	uint32_t row_off, row_n; /* row_n 0: the file has no usable CFI */
	uint32_t refs;		 /* processes mapping it now */
	uint64_t last_used;
	struct seg segs[SEGS];
	unsigned nsegs;
	char build_id[ELFSYMS_BUILD_ID_SIZE]; /* "" when the file has none */
};

struct uproc {
	pid_t pid; /* 0: free slot */
	uint32_t ntabs;
	uint32_t tabs[ZP_UNWIND_MAX_MAPS]; /* references held, by index */
};

struct unwinder {
	char proc_root[256];
	int rows_fd, rules_fd, procs_fd;
	struct unwind_rules *rules;
	size_t rules_pushed, max_rules;
	struct utable *tables;
	size_t max_tables;
	struct uproc *procs;
	size_t max_procs;
	size_t pool_rows;
	uint64_t tick;
	struct zp_unwind_proc out; /* 4 KiB: not on the stack */
	struct unwinder_stats st;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct unwinder *unwinder__new(const struct unwinder_opts *o, int rows_fd,
			       int rules_fd, int procs_fd)
{
	struct unwinder *u;

	if (!o->pool_rows || !o->max_rules) {
		errno = EINVAL;
		return NULL;
	}
	elf_version(EV_CURRENT);
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	snprintf(u->proc_root, sizeof(u->proc_root), "%s",
		 o->proc_root ? o->proc_root : "/proc");
	u->rows_fd = rows_fd;
	u->rules_fd = rules_fd;
	u->procs_fd = procs_fd;
	u->pool_rows = o->pool_rows;
	u->max_rules = o->max_rules;
	u->max_tables = o->max_tables ? o->max_tables : 1024;
	u->max_procs = o->max_procs ? o->max_procs : 1024;
	u->rules = unwind_rules__new(o->max_rules);
	u->tables = calloc(u->max_tables, sizeof(*u->tables));
	u->procs = calloc(u->max_procs, sizeof(*u->procs));
	if (!u->rules || !u->tables || !u->procs) {
		unwinder__free(u);
		errno = ENOMEM;
		return NULL;
	}
	u->st.pool_rows = o->pool_rows;
	return u;
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	unwind_rules__free(u->rules);
	free(u->tables);
	free(u->procs);
	free(u);
}

static int cmp_range(const void *a, const void *b)
{
	const struct utable *x = *(struct utable *const *)a;
	const struct utable *y = *(struct utable *const *)b;

	return x->row_off < y->row_off ? -1 : x->row_off > y->row_off;
}

/* First fit for N rows among the loaded tables; -ENOSPC when none. */
static int pool_find(struct unwinder *u, uint32_t n, uint32_t *off)
{
	struct utable **live;
	size_t i, k = 0;
	uint64_t at = 0;
	int err = -ENOSPC;

	live = malloc(u->max_tables * sizeof(*live));
	if (!live)
		return -ENOMEM;
	for (i = 0; i < u->max_tables; i++)
		if ((u->tables[i].dev || u->tables[i].ino) &&
		    u->tables[i].row_n)
			live[k++] = &u->tables[i];
	qsort(live, k, sizeof(*live), cmp_range);
	for (i = 0; i <= k; i++) {
		uint64_t end = i < k ? live[i]->row_off : u->pool_rows;

		if (end >= at && end - at >= n) {
			*off = (uint32_t)at;
			err = 0;
			break;
		}
		if (i < k)
			at = (uint64_t)live[i]->row_off + live[i]->row_n;
	}
	free(live);
	return err;
}

/* Drop the least recently used table no process maps, other than KEEP
 * (the one being built). */
static bool evict_one(struct unwinder *u, const struct utable *keep)
{
	struct utable *victim = NULL;
	size_t i;

	for (i = 0; i < u->max_tables; i++) {
		struct utable *t = &u->tables[i];

		if ((t->dev || t->ino) && !t->refs && t != keep &&
		    (!victim || t->last_used < victim->last_used))
			victim = t;
	}
	if (!victim)
		return false;
	if (victim->row_n)
		u->st.rows_used -= victim->row_n;
	memset(victim, 0, sizeof(*victim));
	u->st.tables--;
	u->st.evictions++;
	return true;
}

/* New rules since the last push go to the kernel; ids never change. */
static int push_rules(struct unwinder *u)
{
	size_t n = unwind_rules__count(u->rules);
	const struct zp_unwind_rule *r = unwind_rules__array(u->rules);
	__u32 id;

	for (; u->rules_pushed < n; u->rules_pushed++) {
		id = (__u32)u->rules_pushed;
		if (bpf_map_update_elem(u->rules_fd, &id, &r[id], BPF_ANY))
			return -errno;
	}
	u->st.rules = n;
	return 0;
}

/* Rows into the pool at OFF: one batch syscall where the kernel has it. */
static int pool_write(struct unwinder *u, uint32_t off,
		      const struct zp_unwind_row *rows, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	__u32 *keys, i, count = n;
	int err = 0;

	keys = malloc((size_t)n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = off + i;
	if (bpf_map_update_batch(u->rows_fd, keys, rows, &count, &bo)) {
		for (i = 0; i < n && !err; i++)
			if (bpf_map_update_elem(u->rows_fd, &keys[i], &rows[i],
						BPF_ANY))
				err = -errno;
	}
	free(keys);
	return err;
}

static void read_segs(Elf *elf, struct utable *t)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return;
	for (i = 0; i < n && t->nsegs < SEGS; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X))
			continue;
		t->segs[t->nsegs++] =
		    (struct seg){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
	}
}

/*
 * Build T's table from ELF and load it. A file without usable CFI keeps
 * row_n 0: its frames are walked with frame pointers.
 */
static void build(struct unwinder *u, struct utable *t, Elf *elf)
{
	struct ehtable *eh;
	uint64_t t0 = mono_ns();
	uint32_t off, n;
	int err;

	read_segs(elf, t);
	eh = ehtable__from_elf(u->rules, elf, NULL);
	if (!eh || !ehtable__nrows(eh)) {
		u->st.build_errors++;
		goto out;
	}
	u->st.builds++;
	if (ehtable__nrows(eh) > u->pool_rows) {
		u->st.no_room++;
		goto out;
	}
	n = (uint32_t)ehtable__nrows(eh);
	while ((err = pool_find(u, n, &off)) == -ENOSPC && evict_one(u, t))
		;
	if (err) {
		u->st.no_room++;
		goto out;
	}
	if (push_rules(u) || pool_write(u, off, ehtable__rows(eh), n)) {
		u->st.build_errors++;
		goto out;
	}
	t->row_off = off;
	t->row_n = n;
	u->st.rows_used += n;
out:
	ehtable__free(eh);
	u->st.build_ns += mono_ns() - t0;
}

static struct utable *find_table(struct unwinder *u, uint64_t dev, uint64_t ino)
{
	size_t i;

	for (i = 0; i < u->max_tables; i++)
		if (u->tables[i].dev == dev && u->tables[i].ino == ino)
			return &u->tables[i];
	return NULL;
}

static struct utable *new_slot(struct unwinder *u, uint64_t dev, uint64_t ino)
{
	struct utable *t = find_table(u, 0, 0);

	if (!t && evict_one(u, NULL))
		t = find_table(u, 0, 0);
	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->dev = dev;
	t->ino = ino;
	u->st.tables++;
	return t;
}

/* Our own vDSO is the target's: same kernel, same image. */
static struct utable *vdso_table(struct unwinder *u)
{
	struct utable *t = find_table(u, VDSO_DEV, VDSO_INO);
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	size_t len;
	Elf *elf;

	if (t || !base)
		return t;
	t = new_slot(u, VDSO_DEV, VDSO_INO);
	if (!t)
		return NULL;
	/* section headers end the image in every vDSO the kernel builds */
	len = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	elf = elf_memory((char *)base, len);
	if (elf) {
		build(u, t, elf);
		elf_end(elf);
	}
	return t;
}

static struct utable *find_build_id(struct unwinder *u, const char *id)
{
	size_t i;

	for (i = 0; i < u->max_tables; i++)
		if ((u->tables[i].dev || u->tables[i].ino) &&
		    !strcmp(u->tables[i].build_id, id))
			return &u->tables[i];
	return NULL;
}

/*
 * A file's table: found by device and inode, else by build-id (the same
 * library in another container image layer is another inode with the
 * same contents), else built.
 */
static struct utable *file_table(struct unwinder *u, pid_t pid, int rootfd,
				 const struct procmaps_entry *e)
{
	uint64_t dev = makedev(e->dev_major, e->dev_minor);
	struct utable *t = find_table(u, dev, e->inode);
	char id[ELFSYMS_BUILD_ID_SIZE] = "";
	Elf *elf;
	int fd;

	if (t)
		return t;
	fd = sym_open_mapped(u->proc_root, pid, rootfd, e);
	if (fd >= 0 && !elf_read_build_id_fd(fd, id, sizeof(id)) && *id &&
	    (t = find_build_id(u, id))) {
		u->st.shared_by_build_id++;
		close(fd);
		return t;
	}
	t = new_slot(u, dev, e->inode);
	if (!t) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	snprintf(t->build_id, sizeof(t->build_id), "%s", id);
	if (fd < 0) {
		u->st.build_errors++;
		return t; /* no table: frame pointers */
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		build(u, t, elf);
	else
		u->st.build_errors++;
	elf_end(elf);
	close(fd);
	return t;
}

/* What to subtract from an address of mapping E to get T's vaddr. */
static bool load_bias(const struct utable *t, const struct procmaps_entry *e,
		      uint64_t *bias)
{
	unsigned i;

	for (i = 0; i < t->nsegs; i++) {
		const struct seg *s = &t->segs[i];

		if ((s->offset & ~0xfffull) <= e->offset &&
		    e->offset < s->offset + s->filesz) {
			*bias = e->start - e->offset + s->offset - s->vaddr;
			return true;
		}
	}
	return false;
}

static struct uproc *find_proc(struct unwinder *u, pid_t pid)
{
	size_t i;

	for (i = 0; i < u->max_procs; i++)
		if (u->procs[i].pid == pid)
			return &u->procs[i];
	return NULL;
}

static void release(struct unwinder *u, struct uproc *p)
{
	uint32_t i;

	for (i = 0; i < p->ntabs; i++)
		if (u->tables[p->tabs[i]].refs)
			u->tables[p->tabs[i]].refs--;
	p->ntabs = 0;
}

int unwinder__add_pid(struct unwinder *u, pid_t pid)
{
	struct zp_unwind_proc *out = &u->out;
	const struct procmaps_entry *e;
	struct procmaps *maps;
	struct utable *t;
	struct uproc *p;
	char path[300];
	__u32 key = (__u32)pid;
	uint64_t bias;
	size_t i, n;
	int rootfd, err = 0;

	maps = procmaps__load(u->proc_root, pid, PROCMAPS_EXEC_ONLY);
	if (!maps)
		return -errno;
	p = find_proc(u, pid);
	if (!p)
		p = find_proc(u, 0);
	if (!p) {
		procmaps__free(maps);
		return -ENOSPC;
	}
	release(u, p); /* a refresh: the new maps take their own refs */
	p->pid = pid;
	snprintf(path, sizeof(path), "%s/%d/root", u->proc_root, (int)pid);
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	memset(out, 0, sizeof(*out));
	n = procmaps__count(maps);
	u->tick++;
	for (i = 0; i < n; i++) {
		struct zp_unwind_map *m;

		e = procmaps__entry(maps, i);
		if (e->start >> 63)
			continue; /* [vsyscall]: kernel addresses */
		if (out->nmaps == ZP_UNWIND_MAX_MAPS) {
			u->st.maps_dropped += n - i;
			break;
		}
		m = &out->maps[out->nmaps];
		m->start = e->start;
		m->end = e->limit;
		t = NULL;
		if (!strcmp(e->path, "[vdso]"))
			t = vdso_table(u);
		else if (e->path[0] == '/' && e->inode)
			t = file_table(u, pid, rootfd, e);
		/* anonymous code (JIT) and files without CFI: row_n 0 */
		if (t) {
			t->refs++;
			t->last_used = u->tick;
			p->tabs[p->ntabs++] = (uint32_t)(t - u->tables);
			if (t->row_n && load_bias(t, e, &bias)) {
				m->bias = bias;
				m->row_off = t->row_off;
				m->row_n = t->row_n;
			}
		}
		out->nmaps++;
	}
	if (rootfd >= 0)
		close(rootfd);
	procmaps__free(maps);
	if (bpf_map_update_elem(u->procs_fd, &key, out, BPF_ANY)) {
		err = -errno;
		release(u, p);
		p->pid = 0;
		return err;
	}
	u->st.procs = 0;
	for (i = 0; i < u->max_procs; i++)
		u->st.procs += u->procs[i].pid != 0;
	return 0;
}

void unwinder__remove_pid(struct unwinder *u, pid_t pid)
{
	struct uproc *p = pid ? find_proc(u, pid) : NULL;
	__u32 key = (__u32)pid;

	if (!p)
		return;
	bpf_map_delete_elem(u->procs_fd, &key);
	release(u, p);
	p->pid = 0;
	u->st.procs--;
}

void unwinder__stats(const struct unwinder *u, struct unwinder_stats *st)
{
	*st = u->st;
}
