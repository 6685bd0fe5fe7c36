// SPDX-License-Identifier: BSD-2-Clause
/*
 * End-to-end tests of the symbolizer and its symbol-table cache: live child
 * processes (this test binary forked, so its own functions and libc's are at
 * known addresses), lookups after the child exits, sharing of one table
 * between processes, the max_procs and max_files bounds, a fake /proc tree
 * that places fixture binaries at chosen addresses, the vDSO, and kernel
 * symbols from a kallsyms file.
 */
#include "testutil.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "symbolize.h"
#include "symcache.h"

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

/* First line of a shell command's output, without the newline. */
static void capture(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void capture(char *out, size_t size, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, (int)size, p))
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
}

static const char fixture_src[] =
    "__attribute__((noinline)) int fx_alpha(int x)\n"
    "{ int s = 0; for (int i = 0; i < x; i++) s += i * x; return s; }\n"
    "__attribute__((noinline)) int fx_beta(int x)\n"
    "{ return x > 3 ? fx_alpha(x - 1) * 2 : x; }\n"
    "int main(int argc, char **argv)\n"
    "{ (void)argv; return fx_alpha(argc) + fx_beta(argc); }\n";

static int setup(void **state)
{
	char src[512];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_symbolizer.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(src, sizeof(src), "%s/fx.c", dir);
	f = fopen(src, "w");
	if (!f)
		return -1;
	fputs(fixture_src, f);
	fclose(f);
	if (run("cd %s && cc -O1 -g -fPIE -pie fx.c -o fx_pie && "
		"cc -O1 -g -fno-pie -no-pie fx.c -o fx_nopie && "
		"cc -O1 -g -Wl,--build-id=none fx.c -o fx_noid && "
		"cp fx_pie fx_pie_copy",
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

/* A function of this binary for the child to be looked up at. */
__attribute__((noinline)) int probe_target(int x)
{
	int i, s = 0;

	for (i = 0; i < x; i++)
		s += i ^ x;
	return s;
}

struct child {
	pid_t pid;
	int fd; /* closing it lets the child exit */
};

static struct child spawn(void)
{
	struct child c;
	int p[2];
	char b;

	assert_int_equal(pipe(p), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		/* keep only our read end: other children's write ends held
		 * here would stop them from ever seeing EOF */
		dup2(p[0], 0);
		close_range(3, ~0u, 0);
		while (read(0, &b, 1) < 0 && errno == EINTR)
			;
		_exit(probe_target(1));
	}
	close(p[0]);
	c.fd = p[1];
	return c;
}

static void reap(struct child *c)
{
	int status;

	close(c->fd);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
}

static uint64_t libc_getpid(void)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *fn;

	assert_non_null(h);
	fn = dlsym(h, "getpid");
	assert_non_null(fn);
	dlclose(h);
	return (uint64_t)(uintptr_t)fn;
}

/*
 * The file offset of ELF address VADDR of PATH, from readelf's program
 * headers: an independent check of module_offset.
 */
static uint64_t readelf_file_offset(const char *path, uint64_t vaddr)
{
	unsigned long long off, va, pa, fsz, msz;
	char cmd[1024], line[512];
	uint64_t res = UINT64_MAX;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -lW %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, " LOAD 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx",
			   &off, &va, &pa, &fsz, &msz) == 5 &&
		    vaddr >= va && vaddr < va + fsz)
			res = vaddr - va + off;
	pclose(p);
	return res;
}

static uint64_t readelf_sym(const char *args, const char *path,
			    const char *name)
{
	char out[256];
	unsigned long long v;

	capture(out, sizeof(out),
		"readelf -W %s %s | awk '$8 == \"%s\" && $4 == \"FUNC\" "
		"{ print $2; exit }'",
		args, path, name);
	assert_int_equal(sscanf(out, "%llx", &v), 1);
	return v;
}

static void self_exe(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);

	assert_true(n > 0);
	out[n] = '\0';
}

/* The assertions on a child of this binary, alive or not. */
static void check_child_lookups(struct symbolizer *s, pid_t pid)
{
	uint64_t probe = (uint64_t)(uintptr_t)probe_target;
	uint64_t gp = libc_getpid();
	char exe[PATH_MAX], id[256];
	struct sym_frame f;

	self_exe(exe, sizeof(exe));
	symbolizer__lookup_user(s, pid, probe + 1, &f);
	assert_non_null(f.name);
	assert_string_equal(f.name, "probe_target");
	assert_int_equal(f.sym_offset, 1);
	assert_non_null(f.module);
	assert_string_equal(f.module->path, exe);
	assert_false(f.module->deleted);
	assert_true(f.module->start <= probe && probe < f.module->limit);
	assert_int_equal(
	    f.module_offset,
	    readelf_file_offset(exe, readelf_sym("-s", exe, "probe_target")) +
		1);
	capture(id, sizeof(id), "readelf -n %s | awk '/Build ID/ {print $3}'",
		exe);
	assert_string_equal(f.module->build_id, id);

	symbolizer__lookup_user(s, pid, gp + 2, &f);
	assert_non_null(f.name);
	assert_string_equal(f.name, "getpid");
	assert_int_equal(f.sym_offset, 2);
	assert_non_null(f.module);
	assert_non_null(strstr(f.module->path, "libc.so.6"));
	capture(id, sizeof(id), "readelf -n %s | awk '/Build ID/ {print $3}'",
		f.module->path);
	assert_string_equal(f.module->build_id, id);
	assert_int_equal(
	    f.module_offset,
	    readelf_file_offset(f.module->path,
				readelf_sym("--dyn-syms", f.module->path,
					    "getpid@@GLIBC_2.2.5")) +
		2);

	/* nothing is mapped at page 0 */
	symbolizer__lookup_user(s, pid, 0x10, &f);
	assert_null(f.name);
	assert_null(f.module);
}

static void test_live_child(void **state)
{
	struct symbolizer_stats st;
	struct symbolizer *s;
	struct child c;
	char comm[64];

	(void)state;
	s = symbolizer__new(NULL);
	assert_non_null(s);
	c = spawn();
	assert_false(symbolizer__has_pid(s, c.pid));
	assert_string_equal(symbolizer__comm(s, c.pid), "");
	assert_int_equal(symbolizer__add_pid(s, c.pid), 0);
	assert_true(symbolizer__has_pid(s, c.pid));
	capture(comm, sizeof(comm), "cat /proc/%d/comm", (int)getpid());
	assert_string_equal(symbolizer__comm(s, c.pid), comm);
	check_child_lookups(s, c.pid);

	/* the child exits: the snapshot still resolves */
	reap(&c);
	assert_int_equal(symbolizer__add_pid(s, c.pid), 0); /* idempotent */
	check_child_lookups(s, c.pid);
	symbolizer__stats(s, &st);
	assert_int_equal(st.lookups, 6);
	assert_int_equal(st.unresolved, 2);
	assert_int_equal(st.procs, 1);

	/* forgotten: unknown pid, unresolved, and gone for good */
	symbolizer__drop_pid(s, c.pid);
	assert_false(symbolizer__has_pid(s, c.pid));
	{
		struct sym_frame f;

		symbolizer__lookup_user(s, c.pid, libc_getpid(), &f);
		assert_null(f.name);
		assert_null(f.module);
	}
	{
		int err = symbolizer__add_pid(s, c.pid);

		assert_true(err == -ENOENT || err == -ESRCH);
	}
	symbolizer__drop_pid(s, c.pid); /* unknown: no-op */
	symbolizer__free(s);
	symbolizer__free(NULL);
}

/* Two processes mapping the same files share every table. */
static void test_sharing(void **state)
{
	struct symbolizer_stats a, b;
	struct sym_frame f1, f2;
	struct symbolizer *s;
	struct child c1, c2;

	(void)state;
	s = symbolizer__new(NULL);
	assert_non_null(s);
	c1 = spawn();
	c2 = spawn();
	assert_int_equal(symbolizer__add_pid(s, c1.pid), 0);
	symbolizer__stats(s, &a);
	/* at least this binary, libc and the dynamic loader */
	assert_true(a.files_loaded >= 3);
	assert_int_equal(symbolizer__add_pid(s, c2.pid), 0);
	symbolizer__stats(s, &b);
	assert_int_equal(b.files_loaded, a.files_loaded);
	/* every table of the second is a hit (more if a file maps twice) */
	assert_true(b.file_cache_hits >= a.file_cache_hits + a.files_loaded);
	assert_int_equal(b.files_cached, a.files_loaded);
	assert_true(b.files_bytes > 100000);

	/* one libc table: the very same name string for both */
	symbolizer__lookup_user(s, c1.pid, libc_getpid(), &f1);
	symbolizer__lookup_user(s, c2.pid, libc_getpid(), &f2);
	assert_non_null(f1.name);
	assert_ptr_equal(f1.name, f2.name);
	assert_ptr_not_equal(f1.module, f2.module);
	assert_string_equal(f1.module->build_id, f2.module->build_id);
	reap(&c1);
	reap(&c2);
	symbolizer__free(s);
}

/*
 * A static libc function exists only in libc6-dbg's debug file: found
 * through the build-id, and not at all when separate debug files are off.
 */
static void test_libc_debug_file(void **state)
{
	struct symbolizer_opts off = { .debug_root = "" };
	char libc[PATH_MAX], id[256], dbg[PATH_MAX];
	uint64_t base, fn;
	struct symbolizer *s;
	struct sym_frame f;
	struct child c;

	(void)state;
	c = spawn();
	s = symbolizer__new(NULL);
	assert_non_null(s);
	assert_int_equal(symbolizer__add_pid(s, c.pid), 0);
	symbolizer__lookup_user(s, c.pid, libc_getpid(), &f);
	assert_non_null(f.module);
	snprintf(libc, sizeof(libc), "%s", f.module->path);
	snprintf(id, sizeof(id), "%s", f.module->build_id);
	snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%.2s/%s.debug", id,
		 id + 2);
	if (strlen(id) < 3 || access(dbg, R_OK)) {
		symbolizer__free(s);
		reap(&c);
		skip();
	}
	/* where libc is loaded: getpid's run-time minus ELF address */
	base = libc_getpid() -
	       readelf_sym("--dyn-syms", libc, "getpid@@GLIBC_2.2.5");
	fn = base + readelf_sym("-s", dbg, "__libc_start_call_main");
	symbolizer__lookup_user(s, c.pid, fn + 1, &f);
	assert_non_null(f.name);
	assert_string_equal(f.name, "__libc_start_call_main");
	assert_int_equal(f.sym_offset, 1);
	symbolizer__free(s);

	s = symbolizer__new(&off);
	assert_non_null(s);
	assert_int_equal(symbolizer__add_pid(s, c.pid), 0);
	symbolizer__lookup_user(s, c.pid, fn + 1, &f);
	assert_non_null(f.module);
	assert_true(!f.name || strcmp(f.name, "__libc_start_call_main"));
	symbolizer__free(s);
	reap(&c);
}

static void test_max_procs(void **state)
{
	struct symbolizer_opts o = { .max_procs = 2 };
	struct symbolizer_stats st;
	struct symbolizer *s;
	struct sym_frame f;
	struct child c[3];
	int i;

	(void)state;
	s = symbolizer__new(&o);
	assert_non_null(s);
	for (i = 0; i < 3; i++)
		c[i] = spawn();
	assert_int_equal(symbolizer__add_pid(s, c[0].pid), 0);
	assert_int_equal(symbolizer__add_pid(s, c[1].pid), 0);
	/* a lookup makes c[0] the most recently used: c[1] goes */
	symbolizer__lookup_user(s, c[0].pid, libc_getpid(), &f);
	assert_string_equal(f.name, "getpid");
	assert_int_equal(symbolizer__add_pid(s, c[2].pid), 0);
	symbolizer__stats(s, &st);
	assert_int_equal(st.procs_evicted, 1);
	assert_int_equal(st.procs, 2);
	assert_true(symbolizer__has_pid(s, c[0].pid));
	assert_false(symbolizer__has_pid(s, c[1].pid));
	assert_true(symbolizer__has_pid(s, c[2].pid));
	for (i = 0; i < 3; i++)
		reap(&c[i]);
	symbolizer__free(s);
}

static void fixture(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static struct symcache_entry *get(struct symcache *c, const char *path)
{
	struct symcache_entry *e;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	e = symcache__get_fd(c, fd, path, -1);
	close(fd);
	return e;
}

static void test_symcache(void **state)
{
	struct symcache_entry *a, *b, *a2, *n1, *n2;
	char pa[512], pb[512], pc[512], pn[512];
	struct symcache_stats st;
	struct symcache *c;

	(void)state;
	fixture(pa, sizeof(pa), "fx_pie");
	fixture(pb, sizeof(pb), "fx_nopie");
	fixture(pc, sizeof(pc), "fx_pie_copy");
	fixture(pn, sizeof(pn), "fx_noid");
	c = symcache__new(2, "");
	assert_non_null(c);

	/* a copy of a file (other inode, same build-id) is a hit */
	a = get(c, pa);
	assert_non_null(a);
	a2 = get(c, pc);
	assert_ptr_equal(a, a2);
	symcache__stats(c, &st);
	assert_int_equal(st.loaded, 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.entries, 1);
	assert_true(st.mem_bytes > 0);

	b = get(c, pb);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	/* full and everything referenced: refused, not grown */
	errno = 0;
	assert_null(get(c, pn));
	assert_int_equal(errno, ENOSPC);
	symcache__stats(c, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.entries, 2);

	/* a is released twice (two refs), then b: a is the LRU victim */
	symcache__put(c, a);
	symcache__put(c, a2);
	symcache__put(c, b);
	n1 = get(c, pn);
	assert_non_null(n1);
	symcache__stats(c, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.loaded, 3);
	/* b survived: a hit; a was evicted: a miss that evicts nothing */
	b = get(c, pb);
	symcache__stats(c, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.loaded, 3);
	errno = 0;
	assert_null(get(c, pa));
	assert_int_equal(errno, ENOSPC);

	/* without a build-id the key is the inode: same file, same entry */
	n2 = get(c, pn);
	assert_ptr_equal(n1, n2);
	assert_string_equal(elfsyms__build_id(symcache_entry__syms(n1)), "");
	symcache__put(c, n1);
	symcache__put(c, n2);
	symcache__put(c, b);
	symcache__put(c, NULL);

	/* not ELF */
	errno = 0;
	{
		char src[512];

		fixture(src, sizeof(src), "fx.c");
		assert_null(get(c, src));
	}
	assert_int_equal(errno, ENOEXEC);
	symcache__free(c);
	symcache__free(NULL);
}

/* max_files through the symbolizer: a second distinct process set fails. */
static void test_max_files(void **state)
{
	struct symbolizer_opts o = { .max_files = 1 };
	struct symbolizer_stats st;
	struct symbolizer *s;
	struct child c;

	(void)state;
	s = symbolizer__new(&o);
	assert_non_null(s);
	c = spawn();
	assert_int_equal(symbolizer__add_pid(s, c.pid), 0);
	symbolizer__stats(s, &st);
	assert_int_equal(st.files_loaded, 1);
	assert_int_equal(st.files_cached, 1);
	assert_true(st.files_failed >= 2);
	/* dropping the process frees the reference: the next can evict */
	symbolizer__drop_pid(s, c.pid);
	reap(&c);
	c = spawn();
	assert_int_equal(symbolizer__add_pid(s, c.pid), 0);
	symbolizer__stats(s, &st);
	/* the same first file (this binary): a hit, and still one table */
	assert_int_equal(st.files_loaded, 1);
	assert_int_equal(st.file_cache_hits, 1);
	assert_int_equal(st.files_cached, 1);
	assert_int_equal(st.files_evicted, 0);
	reap(&c);
	symbolizer__free(s);
}

/*
 * A fake /proc: PID 4242 maps the fixtures at addresses of our choosing. The
 * root is a symlink to "/", so files open through it; map_files and mem are
 * absent, as for a process we may not ptrace.
 */
static void write_fake_proc(const char *root, const char *pie,
			    const char *nopie)
{
	struct stat a, b;
	FILE *f;
	char p[1024];
	unsigned long long off, va, pa, fsz, msz,
	    text_off_pie = 0, text_va_pie = 0, text_off_nopie = 0,
	    text_va_nopie = 0;
	char line[512], flags[8];
	int i;

	assert_int_equal(
	    run("mkdir -p %s/4242 && ln -sfn / %s/4242/root", root, root), 0);
	assert_int_equal(stat(pie, &a), 0);
	assert_int_equal(stat(nopie, &b), 0);
	/* the executable PT_LOAD of each fixture */
	for (i = 0; i < 2; i++) {
		FILE *r;

		snprintf(p, sizeof(p), "readelf -lW %s", i ? nopie : pie);
		r = popen(p, "r");
		assert_non_null(r);
		while (fgets(line, sizeof(line), r))
			if (sscanf(line,
				   " LOAD 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx "
				   "%7[RWE ]",
				   &off, &va, &pa, &fsz, &msz, flags) == 6 &&
			    strchr(flags, 'E')) {
				if (i) {
					text_off_nopie = off;
					text_va_nopie = va;
				} else {
					text_off_pie = off;
					text_va_pie = va;
				}
			}
		pclose(r);
	}
	assert_true(text_va_pie && text_va_nopie);
	snprintf(p, sizeof(p), "%s/4242/maps", root);
	f = fopen(p, "w");
	assert_non_null(f);
	/* PIE loaded at 0x555500000000; non-PIE where it was linked */
	fprintf(f,
		"555500000000-555500001000 r--p 00000000 08:01 %llu %s\n"
		"%llx-%llx r-xp %08llx 08:01 %llu      %s\n"
		"%llx-%llx r-xp %08llx 08:01 %llu %s\n"
		"7f0000000000-7f0000010000 r-xp 00000000 00:00 0 \n"
		"7f0000100000-7f0000110000 r-xp 00000000 08:01 999 "
		"/nonexistent/lib.so (deleted)\n",
		(unsigned long long)a.st_ino, pie,
		0x555500000000ull + (text_va_pie & ~0xfffull),
		0x555500000000ull + (text_va_pie & ~0xfffull) + 0x1000,
		text_off_pie & ~0xfffull, (unsigned long long)a.st_ino, pie,
		text_va_nopie & ~0xfffull, (text_va_nopie & ~0xfffull) + 0x1000,
		text_off_nopie & ~0xfffull, (unsigned long long)b.st_ino,
		nopie);
	fclose(f);
	snprintf(p, sizeof(p), "%s/4242/comm", root);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("fakeproc\n", f);
	fclose(f);
}

static void test_fake_proc_root(void **state)
{
	char root[512], pie[512], nopie[512];
	struct symbolizer_opts o = { 0 };
	struct symbolizer *s;
	struct sym_frame f;
	uint64_t a;

	(void)state;
	fixture(root, sizeof(root), "proc");
	fixture(pie, sizeof(pie), "fx_pie");
	fixture(nopie, sizeof(nopie), "fx_nopie");
	write_fake_proc(root, pie, nopie);
	o.proc_root = root;
	s = symbolizer__new(&o);
	assert_non_null(s);
	assert_int_equal(symbolizer__add_pid(s, 4243), -ENOENT);
	assert_int_equal(symbolizer__add_pid(s, 4242), 0);
	assert_string_equal(symbolizer__comm(s, 4242), "fakeproc");

	/* PIE: run-time address = load base + ELF address */
	a = 0x555500000000ull + readelf_sym("-s", pie, "fx_beta");
	symbolizer__lookup_user(s, 4242, a + 3, &f);
	assert_non_null(f.name);
	assert_string_equal(f.name, "fx_beta");
	assert_int_equal(f.sym_offset, 3);
	assert_string_equal(f.module->path, pie);
	assert_int_equal(f.module_offset,
			 readelf_file_offset(pie, a - 0x555500000000ull) + 3);

	/* non-PIE: run-time address = ELF address */
	a = readelf_sym("-s", nopie, "fx_alpha");
	symbolizer__lookup_user(s, 4242, a, &f);
	assert_non_null(f.name);
	assert_string_equal(f.name, "fx_alpha");
	assert_int_equal(f.sym_offset, 0);
	assert_string_equal(f.module->path, nopie);
	assert_int_equal(f.module_offset, readelf_file_offset(nopie, a));

	/* anonymous executable memory: a module, no name */
	symbolizer__lookup_user(s, 4242, 0x7f0000000100ull, &f);
	assert_null(f.name);
	assert_non_null(f.module);
	assert_string_equal(f.module->path, "");
	assert_int_equal(f.module_offset, 0x100);
	/* a deleted file we cannot open: path without the suffix, flagged */
	symbolizer__lookup_user(s, 4242, 0x7f0000100010ull, &f);
	assert_null(f.name);
	assert_non_null(f.module);
	assert_string_equal(f.module->path, "/nonexistent/lib.so");
	assert_true(f.module->deleted);
	assert_string_equal(f.module->build_id, "");
	assert_int_equal(f.module_offset, 0x10);
	/* the read-only first page is not kept */
	symbolizer__lookup_user(s, 4242, 0x555500000010ull, &f);
	assert_null(f.module);
	symbolizer__free(s);
}

/*
 * A process in another mount namespace: its root is a directory of its own,
 * and the path in its maps exists only there, behind an absolute symlink
 * that must resolve inside that root, not in ours.
 */
static void test_other_root(void **state)
{
	char root[512], pie[512], real[512], maps[1024];
	struct symbolizer_opts o = { 0 };
	unsigned long long text;
	struct symbolizer *s;
	struct sym_frame f;
	struct stat st;
	uint64_t a;
	FILE *fp;

	(void)state;
	fixture(root, sizeof(root), "proc2");
	fixture(pie, sizeof(pie), "fx_pie");
	assert_int_equal(run("cd %s && mkdir -p proc2/4244 ns/opt/fx/real && "
			     "cp fx_pie ns/opt/fx/real/fx_pie && "
			     "ln -sfn /opt/fx/real ns/opt/fx/lib && "
			     "ln -sfn %s/ns proc2/4244/root",
			     dir, dir),
			 0);
	snprintf(real, sizeof(real), "%s/ns/opt/fx/real/fx_pie", dir);
	assert_int_equal(stat(real, &st), 0);
	a = readelf_sym("-s", pie, "fx_beta");
	text = a & ~0xfffull;
	snprintf(maps, sizeof(maps), "%s/4244/maps", root);
	fp = fopen(maps, "w");
	assert_non_null(fp);
	fprintf(fp, "%llx-%llx r-xp %08llx 08:01 %llu /opt/fx/lib/fx_pie\n",
		0x555500000000ull + text, 0x555500000000ull + text + 0x1000,
		(unsigned long long)readelf_file_offset(pie, text),
		(unsigned long long)st.st_ino);
	fclose(fp);
	o.proc_root = root;
	s = symbolizer__new(&o);
	assert_non_null(s);
	assert_int_equal(symbolizer__add_pid(s, 4244), 0);
	symbolizer__lookup_user(s, 4244, 0x555500000000ull + a + 1, &f);
	assert_non_null(f.module);
	assert_string_equal(f.module->path, "/opt/fx/lib/fx_pie");
	assert_non_null(f.name);
	assert_string_equal(f.name, "fx_beta");
	symbolizer__free(s);
}

static void test_vdso(void **state)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR), fn;
	unsigned long long lo, hi;
	char img[512], out[256];
	struct symbolizer *s;
	struct sym_frame f;
	struct child c;

	(void)state;
	if (!base)
		skip();
	/* dump our vDSO (the child's is the same) and ask readelf */
	capture(out, sizeof(out), "grep '\\[vdso\\]' /proc/%d/maps",
		(int)getpid());
	assert_int_equal(sscanf(out, "%llx-%llx", &lo, &hi), 2);
	assert_int_equal(lo, base);
	fixture(img, sizeof(img), "vdso.so");
	{
		FILE *o = fopen(img, "w");

		assert_non_null(o);
		assert_int_equal(fwrite((void *)(uintptr_t)base, 1, hi - lo, o),
				 hi - lo);
		fclose(o);
	}
	capture(out, sizeof(out),
		"readelf -W --dyn-syms %s | awk '$8 ~ /^__vdso_clock_gettime/ "
		"{ print $2; exit }'",
		img);
	assert_int_equal(sscanf(out, "%lx", &fn), 1);

	s = symbolizer__new(NULL);
	assert_non_null(s);
	c = spawn();
	assert_int_equal(symbolizer__add_pid(s, c.pid), 0);
	symbolizer__lookup_user(s, c.pid, base + fn + 1, &f);
	assert_non_null(f.module);
	assert_string_equal(f.module->path, "[vdso]");
	assert_int_equal(f.module_offset, fn + 1);
	assert_non_null(f.name);
	/* __vdso_clock_gettime or its weak alias clock_gettime */
	assert_non_null(strstr(f.name, "clock_gettime"));
	assert_int_equal(f.sym_offset, 1);
	assert_int_equal(strlen(f.module->build_id), 40);
	reap(&c);
	symbolizer__free(s);
}

static void test_kernel(void **state)
{
	static const char sample[] = "ffffffff81000000 T _text\n"
				     "ffffffff81000100 t helper\n"
				     "ffffffff81000200 D data\n"
				     "ffffffffc0000000 t modfn\t[mymod]\n";
	struct symbolizer_opts o = { .kernel = true };
	char path[512], line[256], name[128];
	struct symbolizer_stats st;
	unsigned long long addr;
	struct symbolizer *s;
	struct sym_frame f;
	FILE *fp;

	(void)state;
	fixture(path, sizeof(path), "kallsyms");
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(sample, fp);
	fclose(fp);
	o.kallsyms_path = path;
	s = symbolizer__new(&o);
	assert_non_null(s);
	assert_true(symbolizer__kernel_usable(s));
	symbolizer__lookup_kernel(s, 0xffffffff81000234ull, &f);
	assert_string_equal(f.name, "helper");
	assert_int_equal(f.sym_offset, 0x134);
	assert_non_null(f.module);
	assert_string_equal(f.module->path, "[kernel.kallsyms]");
	assert_int_equal(f.module->start, 0);
	assert_int_equal(f.module->limit, UINT64_MAX);
	assert_int_equal(f.module_offset, 0xffffffff81000234ull);
	symbolizer__lookup_kernel(s, 0xffffffffc0000010ull, &f);
	assert_string_equal(f.name, "modfn");
	symbolizer__lookup_kernel(s, 0x1000, &f);
	assert_null(f.name);
	assert_non_null(f.module);
	symbolizer__stats(s, &st);
	assert_int_equal(st.lookups, 3);
	assert_int_equal(st.unresolved, 1);
	symbolizer__free(s);

	/* kptr_restrict: every address 0 */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("0000000000000000 T _text\n0000000000000000 t helper\n", fp);
	fclose(fp);
	s = symbolizer__new(&o);
	assert_non_null(s);
	assert_false(symbolizer__kernel_usable(s));
	symbolizer__lookup_kernel(s, 0xffffffff81000234ull, &f);
	assert_null(f.name);
	assert_non_null(f.module);
	symbolizer__free(s);

	/* unreadable kallsyms: still a symbolizer, kernel unusable */
	o.kallsyms_path = "/nonexistent";
	s = symbolizer__new(&o);
	assert_non_null(s);
	assert_false(symbolizer__kernel_usable(s));
	symbolizer__free(s);

	/* the running kernel: "schedule" resolves to itself */
	o.kallsyms_path = NULL;
	s = symbolizer__new(&o);
	assert_non_null(s);
	if (!symbolizer__kernel_usable(s)) {
		symbolizer__free(s);
		skip();
	}
	capture(line, sizeof(line),
		"awk '$3 == \"schedule\" && NF == 3 { print; exit }' "
		"/proc/kallsyms");
	assert_int_equal(sscanf(line, "%llx %*c %127s", &addr, name), 2);
	symbolizer__lookup_kernel(s, addr + 4, &f);
	assert_string_equal(f.name, "schedule");
	assert_int_equal(f.sym_offset, 4);
	symbolizer__free(s);

	/* kernel not requested */
	s = symbolizer__new(NULL);
	assert_false(symbolizer__kernel_usable(s));
	symbolizer__lookup_kernel(s, addr, &f);
	assert_null(f.name);
	symbolizer__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_child),
		cmocka_unit_test(test_sharing),
		cmocka_unit_test(test_libc_debug_file),
		cmocka_unit_test(test_max_procs),
		cmocka_unit_test(test_symcache),
		cmocka_unit_test(test_max_files),
		cmocka_unit_test(test_fake_proc_root),
		cmocka_unit_test(test_other_root),
		cmocka_unit_test(test_vdso),
		cmocka_unit_test(test_kernel),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
