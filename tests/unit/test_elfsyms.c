// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the ELF symbol reader. Fixture binaries are compiled from
 * source at test time (PIE, non-PIE, shared, stripped with a separate debug
 * file), and every expectation comes from binutils (nm, readelf) rather than
 * from the code under test. Real files of this machine (libc with its
 * libc6-dbg debug file, python3) are checked the same way when present.
 */
#include "testutil.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsyms.h"
#include "procmaps.h"

#define LIBC   "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define PYTHON "/usr/bin/python3.11"

static const char fixture_src[] =
    "#include <stdlib.h>\n"
    "__attribute__((noinline)) int fx_alpha(int x)\n"
    "{ int s = 0; for (int i = 0; i < x; i++) s += i * x; return s; }\n"
    "__attribute__((noinline)) int fx_beta(int x)\n"
    "{ return x > 3 ? fx_alpha(x - 1) * 2 : x; }\n"
    "static __attribute__((noinline)) int fx_local(int x)\n"
    "{ return (int)random() + x; }\n"
    "int fx_gamma(int x) { return fx_local(x) + 1; }\n"
    /* hand-written assembly: a function symbol without a size */
    "__asm__(\".text\\n.globl fx_zero\\n.type fx_zero,@function\\n\"\n"
    "        \"fx_zero:\\n nop\\n nop\\n nop\\n nop\\n ret\\n\");\n"
    "#ifndef NO_MAIN\n"
    "int main(int argc, char **argv)\n"
    "{ (void)argv; return fx_alpha(argc) + fx_beta(argc) + "
    "fx_local(argc); }\n"
    "#endif\n";

static char dir[256];

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

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

static int setup(void **state)
{
	char src[512];
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_elfsyms.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path_of(src, sizeof(src), "fx.c");
	f = fopen(src, "w");
	if (!f)
		return -1;
	fputs(fixture_src, f);
	fclose(f);
	/* one shell line per fixture; build-ids on so the tests can use them */
	if (run("cd %s && cc -O1 -g -fPIE -pie -Wl,--build-id fx.c -o fx_pie",
		dir) ||
	    run("cd %s && cc -O1 -g -fno-pie -no-pie -Wl,--build-id fx.c "
		"-o fx_nopie",
		dir) ||
	    run("cd %s && cc -O1 -g -shared -fPIC -DNO_MAIN -Wl,--build-id "
		"fx.c -o fx.so",
		dir) ||
	    run("cd %s && cc -O1 -g -c -DNO_MAIN fx.c -o fx.o", dir) ||
	    run("cd %s && objcopy --only-keep-debug fx_pie fx_pie.debug && "
		"objcopy --strip-all --add-gnu-debuglink=fx_pie.debug fx_pie "
		"fx_stripped && objcopy --only-keep-debug fx_nopie "
		"fx_nopie.debug && cp fx_pie.debug fx_pie.debug.orig",
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

struct nm_sym {
	uint64_t addr, size;
	char name[512];
};

/*
 * Defined FUNC and IFUNC symbols of PATH from readelf: ARGS "-s" for .symtab
 * (and .dynsym), "--dyn-syms" for .dynsym only.
 */
static size_t nm_funcs(const char *args, const char *path, struct nm_sym *out,
		       size_t max)
{
	char cmd[1024], line[1024], type[16], ndx[16], name[512];
	unsigned long long a, s;
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -W %s %s 2>/dev/null", args, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n < max && fgets(line, sizeof(line), p)) {
		/* "NUM: VALUE SIZE TYPE BIND VIS NDX NAME" */
		if (sscanf(line, " %*u: %llx %lli %15s %*s %*s %15s %511s", &a,
			   &s, type, ndx, name) != 5)
			continue;
		if ((strcmp(type, "FUNC") && strcmp(type, "IFUNC")) ||
		    !strcmp(ndx, "UND") || !strcmp(ndx, "ABS"))
			continue;
		/* versioned dynamic names: "getpid@@GLIBC_2.2.5" */
		name[strcspn(name, "@")] = '\0';
		memcpy(out[n].name, name, sizeof(name));
		out[n].addr = a;
		out[n].size = s;
		n++;
	}
	pclose(p);
	return n;
}

static const struct nm_sym *nm_find(const struct nm_sym *v, size_t n,
				    const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

/* The "Build ID:" line of readelf -n, or "". */
static void readelf_build_id(const char *path, char *out, size_t size)
{
	char cmd[1024], line[512];
	FILE *p;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "readelf -n %s 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, " Build ID: %128s", out) == 1)
			break;
	pclose(p);
	(void)size;
}

/*
 * For every PT_LOAD of PATH (from readelf -l), offsets inside the segment
 * map to p_vaddr + (off - p_offset). Returns the number checked.
 */
static int check_loads(const struct elfsyms *s, const char *path)
{
	unsigned long long off, va, pa, fsz, msz;
	char cmd[1024], line[512];
	uint64_t got;
	int checked = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -lW %s 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, " LOAD 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx",
			   &off, &va, &pa, &fsz, &msz) != 5 ||
		    !fsz)
			continue;
		assert_int_equal(elfsyms__file_to_vaddr(s, off, &got), 0);
		assert_int_equal(got, va);
		assert_int_equal(elfsyms__file_to_vaddr(s, off + fsz / 2, &got),
				 0);
		assert_int_equal(got, va + fsz / 2);
		assert_int_equal(elfsyms__file_to_vaddr(s, off + fsz - 1, &got),
				 0);
		assert_int_equal(got, va + fsz - 1);
		checked++;
	}
	pclose(p);
	return checked;
}

/* Every nm function resolves to a symbol at its address, of its size. */
static void check_against_nm(const struct elfsyms *s, const struct nm_sym *v,
			     size_t n)
{
	const struct elfsym *e;
	size_t i;

	for (i = 0; i < n; i++) {
		e = elfsyms__find(s, v[i].addr);
		if (!e)
			fail_msg("%s at %" PRIx64 " not found", v[i].name,
				 v[i].addr);
		assert_int_equal(e->start, v[i].addr);
		if (v[i].size)
			assert_int_equal(e->size, v[i].size);
		if (v[i].size > 1) {
			e = elfsyms__find(s, v[i].addr + v[i].size - 1);
			assert_non_null(e);
			assert_true(e->start <= v[i].addr + v[i].size - 1);
			assert_true(e->start >= v[i].addr);
		}
	}
}

static void check_fixture(const char *name, bool pie)
{
	struct nm_sym nm[64];
	const struct nm_sym *z, *a;
	const struct elfsym *e;
	char path[512], id[160];
	struct elfsyms *s;
	size_t n, i;

	path_of(path, sizeof(path), name);
	s = elfsyms__open(path, NULL);
	assert_non_null(s);
	n = nm_funcs("-s", path, nm, 64);
	assert_true(n >= 5);
	check_against_nm(s, nm, n);
	assert_true(check_loads(s, path) >= 2);

	a = nm_find(nm, n, "fx_alpha");
	assert_non_null(a);
	/* PIE code links near 0; non-PIE at 0x400000 */
	if (pie)
		assert_true(a->addr < 0x100000);
	else
		assert_true(a->addr >= 0x400000);
	e = elfsyms__find(s, a->addr + 1);
	assert_string_equal(e->name, "fx_alpha");
	assert_string_equal(
	    elfsyms__find(s, nm_find(nm, n, "fx_local")->addr)->name,
	    "fx_local");

	/* the size-less symbol reaches up to the next function */
	z = nm_find(nm, n, "fx_zero");
	assert_non_null(z);
	e = elfsyms__find(s, z->addr + 4);
	assert_non_null(e);
	assert_string_equal(e->name, "fx_zero");
	assert_true(e->size >= 5);
	for (i = 0; i < n; i++)
		if (nm[i].addr > z->addr)
			assert_true(z->addr + e->size <= nm[i].addr);

	readelf_build_id(path, id, sizeof(id));
	assert_int_equal(strlen(id), 40);
	assert_string_equal(elfsyms__build_id(s), id);
	assert_string_equal(elfsyms__debug_file(s), "");
	assert_null(elfsyms__debuglink(s, NULL));
	/* sorted, non-empty extents */
	for (i = 1; i < elfsyms__count(s); i++)
		assert_true(elfsyms__sym(s, i - 1)->start <
			    elfsyms__sym(s, i)->start);
	assert_null(elfsyms__sym(s, elfsyms__count(s)));
	elfsyms__free(s);
}

static void test_fixture_pie(void **state)
{
	(void)state;
	check_fixture("fx_pie", true);
}

static void test_fixture_nopie(void **state)
{
	(void)state;
	check_fixture("fx_nopie", false);
}

static void test_fixture_shared(void **state)
{
	(void)state;
	check_fixture("fx.so", true);
}

/*
 * The load-bias formula on a real mapping: dlopen the fixture library, take
 * a function's run-time address, and go back to its name through the
 * mapping's file offset.
 */
static void test_loaded_library(void **state)
{
	const struct procmaps_entry *e;
	const struct elfsym *sym;
	uint64_t addr, vaddr;
	struct procmaps *m;
	struct elfsyms *s;
	char path[512];
	void *h, *fn;

	(void)state;
	path_of(path, sizeof(path), "fx.so");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	fn = dlsym(h, "fx_beta");
	assert_non_null(fn);
	addr = (uint64_t)(uintptr_t)fn;
	m = procmaps__load(NULL, getpid(), PROCMAPS_EXEC_ONLY);
	assert_non_null(m);
	e = procmaps__find(m, addr);
	assert_non_null(e);
	assert_string_equal(e->path, path);
	s = elfsyms__open(path, NULL);
	assert_non_null(s);
	assert_int_equal(
	    elfsyms__file_to_vaddr(s, addr - e->start + e->offset, &vaddr), 0);
	sym = elfsyms__find(s, vaddr + 2);
	assert_non_null(sym);
	assert_string_equal(sym->name, "fx_beta");
	assert_int_equal(vaddr, sym->start);
	elfsyms__free(s);
	procmaps__free(m);
	dlclose(h);
}

static void put_debug(const char *rel)
{
	assert_int_equal(run("cd %s && mkdir -p \"$(dirname %s)\" && "
			     "cp fx_pie.debug.orig %s",
			     dir, rel, rel),
			 0);
}

static void clear_debug(void)
{
	assert_int_equal(run("cd %s && rm -rf fx_pie.debug .debug droot", dir),
			 0);
}

/* Open the stripped fixture and return whether fx_alpha resolved. */
static bool stripped_resolves(const char *debug_root, char *debug_file,
			      size_t size)
{
	struct elfsyms_opts o = { .debug_root = debug_root };
	const struct elfsym *e;
	struct nm_sym nm[64];
	char path[512], full[512];
	struct elfsyms *s;
	size_t n;
	bool ok;

	path_of(full, sizeof(full), "fx_pie");
	n = nm_funcs("-s", full, nm, 64);
	path_of(path, sizeof(path), "fx_stripped");
	s = elfsyms__open(path, &o);
	assert_non_null(s);
	/* the stripped file keeps its build-id and the link */
	assert_non_null(elfsyms__debuglink(s, NULL));
	assert_string_equal(elfsyms__debuglink(s, NULL), "fx_pie.debug");
	e = elfsyms__find(s, nm_find(nm, n, "fx_alpha")->addr);
	ok = e && !strcmp(e->name, "fx_alpha");
	if (ok)
		check_against_nm(s, nm, n);
	snprintf(debug_file, size, "%s", elfsyms__debug_file(s));
	elfsyms__free(s);
	return ok;
}

static void test_debuglink(void **state)
{
	char droot[512], want[1024], got[1024], id[160], path[512];
	uint32_t crc, want_crc;
	struct elfsyms *s;

	(void)state;
	path_of(droot, sizeof(droot), "droot");

	/* nothing next to it: .dynsym of a PIE has no fx_ functions */
	clear_debug();
	assert_false(stripped_resolves("", got, sizeof(got)));
	assert_string_equal(got, "");

	/* DIR/NAME */
	put_debug("fx_pie.debug");
	assert_true(stripped_resolves("", got, sizeof(got)));
	path_of(want, sizeof(want), "fx_pie.debug");
	assert_string_equal(got, want);

	/* DIR/.debug/NAME */
	clear_debug();
	put_debug(".debug/fx_pie.debug");
	assert_true(stripped_resolves("", got, sizeof(got)));
	path_of(want, sizeof(want), ".debug/fx_pie.debug");
	assert_string_equal(got, want);

	/* DEBUG_ROOT/DIR/NAME, only when a debug root is given */
	clear_debug();
	snprintf(want, sizeof(want), "droot%s/fx_pie.debug", dir);
	put_debug(want);
	assert_false(stripped_resolves("", got, sizeof(got)));
	assert_true(stripped_resolves(droot, got, sizeof(got)));
	snprintf(want, sizeof(want), "%s%s/fx_pie.debug", droot, dir);
	assert_string_equal(got, want);

	/* a file whose CRC differs from the link's is not used */
	clear_debug();
	put_debug("fx_pie.debug");
	path_of(path, sizeof(path), "fx_pie.debug");
	assert_int_equal(run("printf 'X' | dd of=%s bs=1 seek=100 conv=notrunc "
			     "status=none",
			     path),
			 0);
	assert_false(stripped_resolves("", got, sizeof(got)));
	assert_string_equal(got, "");

	/* the link's CRC is the one objcopy computed (zlib crc32) */
	path_of(path, sizeof(path), "fx_stripped");
	s = elfsyms__open(path, NULL);
	assert_non_null(s);
	elfsyms__debuglink(s, &crc);
	elfsyms__free(s);
	path_of(path, sizeof(path), "fx_pie.debug.orig");
	{
		char cmd[1024];
		FILE *p;

		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import zlib,sys; "
			 "print(zlib.crc32(open(sys.argv[1],\"rb\").read()))' "
			 "%s",
			 path);
		p = popen(cmd, "r");
		assert_non_null(p);
		assert_int_equal(fscanf(p, "%u", &want_crc), 1);
		pclose(p);
	}
	assert_int_equal(crc, want_crc);

	/* DEBUG_ROOT/.build-id/xx/rest.debug */
	clear_debug();
	path_of(path, sizeof(path), "fx_stripped");
	readelf_build_id(path, id, sizeof(id));
	assert_int_equal(strlen(id), 40);
	snprintf(want, sizeof(want), "droot/.build-id/%.2s/%s.debug", id,
		 id + 2);
	put_debug(want);
	assert_true(stripped_resolves(droot, got, sizeof(got)));
	snprintf(want, sizeof(want), "%s/.build-id/%.2s/%s.debug", droot, id,
		 id + 2);
	assert_string_equal(got, want);

	/* ... but not when that file's build-id is another binary's */
	assert_int_equal(
	    run("cd %s && cp fx_nopie.debug droot/.build-id/%.2s/%s.debug", dir,
		id, id + 2),
	    0);
	assert_false(stripped_resolves(droot, got, sizeof(got)));
	assert_string_equal(got, "");
	clear_debug();
}

static void test_libc(void **state)
{
	struct elfsyms_opts nodebug = { .debug_root = "" };
	struct nm_sym *nm;
	struct elfsyms *full, *dyn;
	const struct elfsym *e;
	char id[160], want[512];
	size_t n;

	(void)state;
	if (access(LIBC, R_OK))
		skip();
	nm = calloc(8192, sizeof(*nm));
	assert_non_null(nm);
	dyn = elfsyms__open(LIBC, &nodebug);
	assert_non_null(dyn);
	assert_string_equal(elfsyms__debug_file(dyn), "");
	n = nm_funcs("--dyn-syms", LIBC, nm, 8192);
	assert_true(n > 1000);
	check_against_nm(dyn, nm, n);
	assert_true(check_loads(dyn, LIBC) >= 2);
	readelf_build_id(LIBC, id, sizeof(id));
	assert_string_equal(elfsyms__build_id(dyn), id);
	/* getpid has aliases __getpid (global) and getpid (weak) */
	e = elfsyms__find(dyn, nm_find(nm, n, "getpid")->addr);
	assert_string_equal(e->name, "getpid");

	/* with libc6-dbg, the full .symtab from the build-id debug file */
	snprintf(want, sizeof(want), "/usr/lib/debug/.build-id/%.2s/%s.debug",
		 id, id + 2);
	if (access(want, R_OK)) {
		free(nm);
		elfsyms__free(dyn);
		skip();
	}
	full = elfsyms__open(LIBC, NULL);
	assert_non_null(full);
	assert_string_equal(elfsyms__debug_file(full), want);
	assert_true(elfsyms__count(full) > elfsyms__count(dyn) + 500);
	check_against_nm(full, nm, n);
	n = nm_funcs("-s", want, nm, 8192);
	assert_true(n > 3000);
	check_against_nm(full, nm, n);
	/* offsets convert with the binary's program headers, not the debug
	 * file's (whose PT_LOAD offsets describe nothing) */
	assert_true(check_loads(full, LIBC) >= 2);
	elfsyms__free(full);
	elfsyms__free(dyn);
	free(nm);
}

static void test_python(void **state)
{
	struct nm_sym *nm;
	struct elfsyms *s;
	char id[160];
	size_t n;

	(void)state;
	if (access(PYTHON, R_OK))
		skip();
	nm = calloc(8192, sizeof(*nm));
	assert_non_null(nm);
	s = elfsyms__open(PYTHON, NULL);
	assert_non_null(s);
	n = nm_funcs("--dyn-syms", PYTHON, nm, 8192);
	assert_true(n > 500);
	check_against_nm(s, nm, n);
	assert_string_equal(
	    elfsyms__find(s, nm_find(nm, n, "PyEval_EvalCode")->addr + 1)->name,
	    "PyEval_EvalCode");
	assert_true(check_loads(s, PYTHON) >= 2);
	readelf_build_id(PYTHON, id, sizeof(id));
	assert_string_equal(elfsyms__build_id(s), id);
	elfsyms__free(s);
	free(nm);
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

static void test_from_memory(void **state)
{
	struct elfsyms *file, *mem;
	char path[512], id[ELFSYMS_BUILD_ID_SIZE];
	size_t len, i, cut;
	unsigned char *buf;

	(void)state;
	path_of(path, sizeof(path), "fx_nopie");
	buf = slurp(path, &len);
	file = elfsyms__open(path, NULL);
	mem = elfsyms__from_memory(buf, len);
	assert_non_null(file);
	assert_non_null(mem);
	assert_int_equal(elfsyms__count(mem), elfsyms__count(file));
	for (i = 0; i < elfsyms__count(mem); i++) {
		assert_int_equal(elfsyms__sym(mem, i)->start,
				 elfsyms__sym(file, i)->start);
		assert_int_equal(elfsyms__sym(mem, i)->size,
				 elfsyms__sym(file, i)->size);
		assert_string_equal(elfsyms__sym(mem, i)->name,
				    elfsyms__sym(file, i)->name);
	}
	assert_string_equal(elfsyms__build_id(mem), elfsyms__build_id(file));
	assert_int_equal(elf_read_build_id_mem(buf, len, id, sizeof(id)), 0);
	assert_string_equal(id, elfsyms__build_id(file));

	/* truncated anywhere: NULL or a smaller table, never a crash */
	for (cut = 0; cut < len; cut += len / 97 + 1) {
		struct elfsyms *t = elfsyms__from_memory(buf, cut);

		if (t)
			assert_true(elfsyms__count(t) <= elfsyms__count(file));
		elfsyms__free(t);
	}
	elfsyms__free(file);
	elfsyms__free(mem);
	free(buf);
}

static void test_not_elf(void **state)
{
	char path[512], id[ELFSYMS_BUILD_ID_SIZE];
	int fd;

	(void)state;
	errno = 0;
	assert_null(elfsyms__from_memory("hello, world", 12));
	assert_int_equal(errno, ENOEXEC);
	errno = 0;
	assert_null(elfsyms__from_memory("", 0));
	assert_int_equal(errno, ENOEXEC);
	/* a relocatable object has no addresses to symbolize */
	path_of(path, sizeof(path), "fx.o");
	errno = 0;
	assert_null(elfsyms__open(path, NULL));
	assert_int_equal(errno, ENOEXEC);
	path_of(path, sizeof(path), "fx.c");
	errno = 0;
	assert_null(elfsyms__open(path, NULL));
	assert_int_equal(errno, ENOEXEC);
	fd = open(path, O_RDONLY);
	assert_int_equal(elf_read_build_id_fd(fd, id, sizeof(id)), -ENOEXEC);
	close(fd);
	errno = 0;
	assert_null(elfsyms__open(dir, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(elfsyms__open("/nonexistent", NULL));
	assert_int_equal(errno, ENOENT);
	elfsyms__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_pie),
		cmocka_unit_test(test_fixture_nopie),
		cmocka_unit_test(test_fixture_shared),
		cmocka_unit_test(test_loaded_library),
		cmocka_unit_test(test_debuglink),
		cmocka_unit_test(test_libc),
		cmocka_unit_test(test_python),
		cmocka_unit_test(test_from_memory),
		cmocka_unit_test(test_not_elf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
