// SPDX-License-Identifier: BSD-2-Clause
/*
 * Tests of pyproc against every CPython installed here (pyenv 3.8-3.13 and
 * Debian's statically linked /usr/bin/python3.11), each running
 * tests/workloads/py_idle.py: detection, version, the BPF config, the thread
 * list against what the child reports (pthread_self and kernel tids), a
 * userspace frame walk with the BPF config's offsets down to code objects
 * with known (and non-ASCII) names, and the autoTSSkey. Then the refusals:
 * a process without Python, Python 2 and 3.7, free-threaded and broken
 * targets through a fake /proc, layouts that disagree with the target's
 * type objects, synthetic _Py_DebugOffsets blobs, and str/bytes headers.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pyproc.h"

struct interp {
	const char *name;
	const char *path;
	unsigned version;
	bool ran;
};

static struct interp interps[] = {
	{ "3.8.18", "/root/.pyenv/versions/3.8.18/bin/python3.8", 0x0308 },
	{ "3.9.18", "/root/.pyenv/versions/3.9.18/bin/python3.9", 0x0309 },
	{ "3.10.13", "/root/.pyenv/versions/3.10.13/bin/python3.10", 0x030a },
	{ "3.11.7", "/root/.pyenv/versions/3.11.7/bin/python3.11", 0x030b },
	{ "3.12.1", "/root/.pyenv/versions/3.12.1/bin/python3.12", 0x030c },
	{ "3.13.0", "/root/.pyenv/versions/3.13.0/bin/python3.13", 0x030d },
	{ "debian-3.11", "/usr/bin/python3.11", 0x030b },
};
#define NINTERPS (sizeof(interps) / sizeof(interps[0]))

/* The expected BPF config per minor version (python-internals.md table). */
struct bpf_expect {
	unsigned version;
	struct zp_py_proc c;
};

static const struct bpf_expect bpf_expected[] = {
	{ 0x0308,
	  { 0x0308,
	    ZP_PY_F_FRAME_OBJECTS,
	    24,
	    -1,
	    32,
	    24,
	    104,
	    -1,
	    -1,
	    -1,
	    40,
	    112,
	    0,
	    0,
	    { 0 },
	    176,
	    -1 } },
	{ 0x0309,
	  { 0x0309,
	    ZP_PY_F_FRAME_OBJECTS,
	    24,
	    -1,
	    32,
	    24,
	    104,
	    -1,
	    -1,
	    -1,
	    40,
	    112,
	    0,
	    0,
	    { 0 },
	    176,
	    -1 } },
	{ 0x030a,
	  { 0x030a,
	    ZP_PY_F_FRAME_OBJECTS,
	    24,
	    -1,
	    32,
	    24,
	    96,
	    -1,
	    -1,
	    -1,
	    40,
	    104,
	    0,
	    0,
	    { 0 },
	    176,
	    -1 } },
	{ 0x030b,
	  { 0x030b,
	    0,
	    56,
	    8,
	    32,
	    48,
	    -1,
	    56,
	    -1,
	    184,
	    72,
	    72,
	    3,
	    0,
	    { 0 },
	    152,
	    68 } },
	{ 0x030c,
	  { 0x030c,
	    0,
	    56,
	    0,
	    0,
	    8,
	    -1,
	    56,
	    70,
	    192,
	    68,
	    72,
	    3,
	    0,
	    { 0 },
	    136,
	    -1 } },
	{ 0x030d,
	  { 0x030d,
	    0,
	    72,
	    -1,
	    0,
	    8,
	    -1,
	    56,
	    70,
	    200,
	    68,
	    72,
	    3,
	    0,
	    { 0 },
	    152,
	    -1 } },
};

/* The child of the current test, killed by the teardown. */
static struct child {
	pid_t pid;
	char dir[64];
	uint64_t ident[3];
	uint32_t native[3];
} child = { .pid = -1 };

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void stop_child(void)
{
	if (child.pid > 0) {
		kill(child.pid, SIGKILL);
		waitpid(child.pid, NULL, 0);
	}
	child.pid = -1;
	if (child.dir[0])
		nftw(child.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	child.dir[0] = '\0';
}

static int teardown(void **state)
{
	(void)state;
	stop_child();
	return 0;
}

/* Absolute path of tests/workloads/py_idle.py. */
static const char *script_path(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX], buf[PATH_MAX + 64];
	ssize_t n;
	char *slash;

	if (realpath("tests/workloads/py_idle.py", path))
		return path;
	/* from build/tests/test_pyproc up to the source tree */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(buf, sizeof(buf), "%s/../../tests/workloads/py_idle.py", exe);
	assert_non_null(realpath(buf, path));
	return path;
}

/*
 * Start ARGV with stdout on a pipe, dying with us, and wait (20 s at most)
 * for its first line into LINE.
 */
static void spawn(char *const argv[], char *line, size_t size)
{
	struct pollfd pfd;
	size_t len = 0;
	int fds[2];
	ssize_t n;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	child.pid = fork();
	assert_true(child.pid >= 0);
	if (!child.pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (len < size - 1 && !memchr(line, '\n', len)) {
		assert_int_equal(poll(&pfd, 1, 20000), 1);
		n = read(fds[0], line + len, size - 1 - len);
		assert_true(n > 0);
		len += (size_t)n;
		line[len] = '\0';
	}
	close(fds[0]);
	line[strcspn(line, "\n")] = '\0';
}

static void start_idle(const char *python)
{
	char line[512], *tok, *save = NULL;
	char *argv[] = { (char *)python, (char *)script_path(), child.dir, "60",
			 NULL };
	int i;

	strcpy(child.dir, "/tmp/zp_pyproc.XXXXXX");
	assert_non_null(mkdtemp(child.dir));
	spawn(argv, line, sizeof(line));
	tok = strtok_r(line, " ", &save);
	assert_non_null(tok);
	assert_string_equal(tok, "ready");
	for (i = 0; i < 3; i++) {
		tok = strtok_r(NULL, " ", &save);
		assert_non_null(tok);
		assert_int_equal(
		    sscanf(tok, "%lu:%u", &child.ident[i], &child.native[i]),
		    2);
	}
}

/* The line of "def NAME" in FILE. */
static int def_line(const char *file, const char *name)
{
	char buf[512], want[128];
	int line = 0;
	FILE *f = fopen(file, "r");

	assert_non_null(f);
	snprintf(want, sizeof(want), "def %s(", name);
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (strstr(buf, want)) {
			fclose(f);
			return line;
		}
	}
	fclose(f);
	fail_msg("no def %s in %s", name, file);
	return 0;
}

#define MAX_FRAMES 64

/*
 * Walk the frames of TSTATE the way the BPF walker will, with only the BPF
 * config's offsets: tstate -> frame (-> cframe) -> code/back..., skipping
 * interpreter-owned frames. Fills CODES (innermost first), returns the count.
 */
static size_t walk(struct pyproc *p, uint64_t tstate, struct py_code *codes)
{
	const struct zp_py_proc *c = pyproc__bpf_config(p);
	uint64_t frame, code, ip, base;
	uint8_t buf[256];
	size_t n = 0, depth;
	int32_t lasti;

	assert_true(c->frame_span <= sizeof(buf) && c->frame_span % 8 == 0);
	assert_int_equal(
	    pyproc__read(p, tstate + (uint64_t)c->tstate_frame, &frame, 8), 0);
	if (c->cframe_frame >= 0 && frame)
		assert_int_equal(pyproc__read(p,
					      frame + (uint64_t)c->cframe_frame,
					      &frame, 8),
				 0);
	for (depth = 0; frame && depth < 256 && n < MAX_FRAMES; depth++) {
		assert_int_equal(pyproc__read(p, frame, buf, c->frame_span), 0);
		memcpy(&code, buf + c->frame_code, 8);
		code &= ~(uint64_t)c->code_tag_mask;
		if (c->frame_owner < 0 || buf[c->frame_owner] < c->owner_stop) {
			assert_int_equal(pyproc__read_code(p, code, &codes[n]),
					 0);
			if (c->frame_instr_ptr >= 0) {
				/* 3.11 starts at the unit before the code */
				memcpy(&ip, buf + c->frame_instr_ptr, 8);
				base = code + (uint64_t)c->code_adaptive;
				assert_true(ip + 2 >= base);
				assert_true(ip < base + (1u << 20));
			}
			if (c->frame_lasti >= 0) {
				memcpy(&lasti, buf + c->frame_lasti, 4);
				assert_true(lasti >= -1 && lasti < (1 << 20));
			}
			n++;
		}
		memcpy(&frame, buf + c->frame_back, 8);
	}
	return n;
}

static void release_all(struct py_code *codes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		py_code__release(&codes[i]);
}

static const struct py_code *find_code(const struct py_code *codes, size_t n,
				       const char *qualname)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(codes[i].qualname, qualname))
			return &codes[i];
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The kernel tids of PID, sorted; returns the count. */
static size_t task_tids(pid_t pid, uint32_t *tids, size_t max)
{
	char path[64];
	struct dirent *d;
	size_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	assert_non_null(dir);
	while ((d = readdir(dir)) && n < max)
		if (d->d_name[0] != '.')
			tids[n++] = (uint32_t)strtoul(d->d_name, NULL, 10);
	closedir(dir);
	qsort(tids, n, sizeof(*tids), cmp_u32);
	return n;
}

static void check_bpf_config(const struct pyproc *p, unsigned version)
{
	const struct zp_py_proc *c = pyproc__bpf_config(p);
	size_t i;

	for (i = 0; i < sizeof(bpf_expected) / sizeof(bpf_expected[0]); i++) {
		if (bpf_expected[i].version != version)
			continue;
		assert_memory_equal(c, &bpf_expected[i].c, sizeof(*c));
		return;
	}
	fail_msg("no expected BPF config for %x", version);
}

static void check_threads(struct pyproc *p, unsigned version,
			  struct py_thread *t)
{
	uint32_t tids[8], native[3];
	size_t n, i, j;

	assert_int_equal(pyproc__threads(p, t, 8, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_not_equal(t[i].thread_id, 0);
		assert_int_not_equal(t[i].tstate, 0);
		for (j = 0; j < i; j++)
			assert_int_not_equal(t[i].thread_id, t[j].thread_id);
		/* the thread list holds exactly the child's threads */
		for (j = 0; j < 3; j++)
			if (t[i].thread_id == child.ident[j])
				break;
		assert_true(j < 3);
		if (version >= 0x030b)
			assert_int_equal(t[i].native_tid, child.native[j]);
		else
			assert_int_equal(t[i].native_tid, 0);
		native[i] = t[i].native_tid;
	}
	if (version >= 0x030b) {
		assert_int_equal(task_tids(child.pid, tids, 8), 3);
		qsort(native, 3, sizeof(*native), cmp_u32);
		assert_memory_equal(native, tids, sizeof(native));
	}
	/* a short buffer says so */
	assert_int_equal(pyproc__threads(p, t + 4, 1, &n), -ENOSPC);
	assert_int_equal(n, 1);
}

/*
 * autoTSSkey: with glibc 2.36's TSD layout (key < 32 at fsbase + 0x310 +
 * 16 * key + 8), each thread's slot holds its tstate.
 */
static void check_tss_key(struct pyproc *p, const struct py_thread *t)
{
	uint64_t slot;
	uint32_t key;
	int i;

	assert_int_equal(pyproc__tss_key(p, &key), 0);
	if (key >= 32)
		return;
	for (i = 0; i < 3; i++) {
		assert_int_equal(pyproc__read(p,
					      t[i].thread_id + 0x310 +
						  16 * (uint64_t)key + 8,
					      &slot, 8),
				 0);
		assert_int_equal(slot, t[i].tstate);
	}
}

static void check_frames(struct pyproc *p, unsigned version,
			 const struct py_thread *t)
{
	struct py_code codes[MAX_FRAMES];
	const char *script = script_path();
	char modfile[PATH_MAX];
	const struct py_code *c;
	size_t n;
	int i, j;

	snprintf(modfile, sizeof(modfile), "%s/ünïcode_mod.py", child.dir);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++)
			if (t[i].thread_id == child.ident[j])
				break;
		n = walk(p, t[i].tstate, codes);
		assert_true(n >= 1);
		if (j == 0) {
			/* main: zp_marker_func <- Cls.method <- main ... */
			assert_true(n >= 3);
			assert_string_equal(codes[0].qualname,
					    "zp_marker_func");
			assert_string_equal(codes[0].filename, script);
			assert_int_equal(codes[0].firstlineno,
					 def_line(script, "zp_marker_func"));
			assert_int_equal(codes[0].tag,
					 (uint32_t)codes[0].firstlineno);
			assert_true(codes[0].table_len > 0);
			assert_false(codes[0].table_truncated);
			assert_string_equal(codes[1].qualname,
					    version >= 0x030b ? "Cls.method"
							      : "method");
			assert_string_equal(codes[1].filename, script);
			assert_non_null(find_code(codes, n, "main"));
			assert_non_null(find_code(codes, n, "<module>"));
		} else {
			/* UCS2 name, UCS1 file name; UCS4 name */
			c = find_code(codes, n, j == 1 ? "größe_π" : "𠀀_ucs4");
			assert_non_null(c);
			assert_string_equal(c->filename, modfile);
			assert_int_equal(c->firstlineno, j == 1 ? 1 : 6);
		}
		release_all(codes, n);
	}
}

static void check_bad_code_reads(struct pyproc *p)
{
	struct py_code c;

	/* not a code object: the runtime state, an unmapped page, junk */
	assert_int_equal(pyproc__read_code(p, pyproc__runtime_addr(p), &c),
			 -EINVAL);
	assert_null(c.qualname);
	assert_int_equal(pyproc__read_code(p, 4096, &c), -EFAULT);
	assert_int_equal(pyproc__read_code(p, 0, &c), -EINVAL);
	assert_int_equal(pyproc__read_code(p, pyproc__runtime_addr(p) + 3, &c),
			 -EINVAL);
	py_code__release(&c);
	py_code__release(NULL);
}

static void run_interp(struct interp *in)
{
	struct py_thread t[8];
	struct pyproc *p = NULL;
	const char *why = NULL;
	int err;

	if (access(in->path, X_OK))
		skip();
	start_idle(in->path);
	err = pyproc__open(child.pid, NULL, &p, &why);
	if (err)
		fail_msg("%s: pyproc__open: %d (%s)", in->name, err,
			 why ? why : "");
	assert_int_equal(pyproc__version(p), in->version);
	assert_int_equal(pyproc__pid(p), child.pid);
	if (in->version >= 0x030b)
		assert_int_equal(pyproc__version_hex(p) >> 16, in->version);
	assert_non_null(strstr(
	    pyproc__path(p), in->version >= 0x030b && !strstr(in->path, "pyenv")
				 ? "python3.11"
				 : "libpython3."));
	check_bpf_config(p, in->version);
	check_threads(p, in->version, t);
	check_tss_key(p, t);
	check_frames(p, in->version, t);
	check_bad_code_reads(p);
	pyproc__free(p);
	in->ran = true;
	stop_child();
}

static void test_py38(void **state)
{
	(void)state;
	run_interp(&interps[0]);
}

static void test_py39(void **state)
{
	(void)state;
	run_interp(&interps[1]);
}

static void test_py310(void **state)
{
	(void)state;
	run_interp(&interps[2]);
}

static void test_py311(void **state)
{
	(void)state;
	run_interp(&interps[3]);
}

static void test_py312(void **state)
{
	(void)state;
	run_interp(&interps[4]);
}

static void test_py313(void **state)
{
	(void)state;
	run_interp(&interps[5]);
}

static void test_debian_py311(void **state)
{
	(void)state;
	run_interp(&interps[6]);
}

static void test_some_interpreter_ran(void **state)
{
	size_t i, nran = 0, missing = 0;

	(void)state;
	printf("# ran:");
	for (i = 0; i < NINTERPS; i++)
		if (interps[i].ran) {
			printf(" %s", interps[i].name);
			nran++;
		}
	if (!nran)
		printf(" none");
	printf("\n# missing:");
	for (i = 0; i < NINTERPS; i++)
		if (access(interps[i].path, X_OK)) {
			printf(" %s", interps[i].name);
			missing++;
		}
	if (!missing)
		printf(" none");
	printf("\n");
	fflush(stdout);
	assert_true(nran > 0);
}

/*
 * With process_vm_readv refused (a seccomp filter, as some container
 * runtimes install), everything still works through /proc/PID/mem. Run in a
 * forked checker so the filter does not outlive the test.
 */
static int checker_without_vm_readv(pid_t target, const char *script)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_readv, 0,
			 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]),
				   .filter = filter };
	struct iovec l = { 0 }, r = { 0 };
	struct py_thread t[8];
	struct py_code codes[MAX_FRAMES];
	struct pyproc *p;
	uint64_t frame;
	size_t n, i, nf;
	char buf[8];
	int found = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 2;
	l.iov_base = buf;
	l.iov_len = r.iov_len = sizeof(buf);
	r.iov_base = &frame;
	if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) != -1 || errno != EPERM)
		return 3;
	if (pyproc__open(target, NULL, &p, NULL))
		return 4;
	if (pyproc__threads(p, t, 8, &n) || n != 3)
		return 5;
	for (i = 0; i < n; i++) {
		nf = walk(p, t[i].tstate, codes);
		if (nf && !strcmp(codes[0].qualname, "zp_marker_func") &&
		    !strcmp(codes[0].filename, script))
			found = 1;
		release_all(codes, nf);
	}
	pyproc__free(p);
	return found ? 0 : 6;
}

static void test_mem_fallback(void **state)
{
	const char *script = script_path();
	pid_t pid;
	size_t i;
	int status;

	(void)state;
	for (i = 0; i < NINTERPS && access(interps[i].path, X_OK); i++)
		;
	if (i == NINTERPS)
		skip();
	start_idle(interps[i].path);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(checker_without_vm_readv(child.pid, script));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- refusals ------------------------------------------------------------ */

static void test_not_python(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo ready; exec sleep 30", NULL };
	struct pyproc *p = (struct pyproc *)1;
	const char *why = NULL;
	char line[64];
	pid_t gone;

	(void)state;
	/* ourselves: no libpython, and our executable has no _PyRuntime */
	assert_int_equal(pyproc__open(getpid(), NULL, &p, &why), -ENOENT);
	assert_null(p);
	assert_non_null(why);
	spawn(argv, line, sizeof(line));
	/* the shell may still be exec'ing sleep: both are not Python */
	assert_int_equal(pyproc__open(child.pid, NULL, &p, NULL), -ENOENT);
	gone = child.pid;
	stop_child();
	/* a pid that does not exist (reaped) */
	assert_int_equal(pyproc__open(gone, NULL, &p, &why), -ESRCH);
	assert_int_equal(pyproc__open(0, NULL, &p, &why), -EINVAL);
	pyproc__free(NULL);
}

/* A Python we refuse: spawn it and check the error and reason. */
static void refuse(const char *python, const char *want_why)
{
	char *argv[] = { (char *)python, "-c",
			 "import sys, time; sys.stdout.write('ready\\n'); "
			 "sys.stdout.flush(); time.sleep(30)",
			 NULL };
	struct pyproc *p = NULL;
	const char *why = NULL;
	char line[64];

	spawn(argv, line, sizeof(line));
	assert_string_equal(line, "ready");
	assert_int_equal(pyproc__open(child.pid, NULL, &p, &why), -ENOTSUP);
	assert_null(p);
	assert_non_null(why);
	assert_non_null(strstr(why, want_why));
	stop_child();
}

static void test_unsupported_versions(void **state)
{
	const char *py37 = "/root/.pyenv/versions/3.7.16/bin/python3.7";
	const char *py27 = "/root/.pyenv/versions/2.7.18/bin/python2.7";
	bool any = false;

	(void)state;
	if (!access(py37, X_OK)) {
		refuse(py37, "older than 3.8");
		any = true;
	}
	if (!access(py27, X_OK)) {
		refuse(py27, "Python 2");
		any = true;
	}
	if (!any)
		skip();
}

/* A fake /proc: ROOT/PID/maps listing PATH (which need not exist). */
static void fake_proc(const char *root, const char *lib)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/4242", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/4242/maps", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"7f0000000000-7f0000100000 r--p 00000000 08:01 1234 %s\n"
		"7f0000100000-7f0000200000 r-xp 00100000 08:01 1234 %s\n",
		lib, lib);
	fclose(f);
}

static void test_fake_proc(void **state)
{
	static const struct {
		const char *lib;
		int err;
		const char *why;
	} cases[] = {
		{ "/opt/py/lib/libpython3.13t.so.1.0", -ENOTSUP,
		  "free-threaded" },
		{ "/opt/py/lib/libpython3.14t.so", -ENOTSUP, "free-threaded" },
		{ "/usr/lib/libpython2.7.so.1.0", -ENOTSUP, "Python 2" },
		{ "/usr/lib/libpython3.6m.so.1.0", -ENOTSUP, "older than 3.8" },
		{ "/usr/lib/libpython3.15.so.1.0", -ENOTSUP,
		  "newer than 3.14" },
		/* supported by name, but the file is not there */
		{ "/nonexistent/libpython3.12.so.1.0", -ENOTSUP,
		  "cannot open" },
	};
	char path[PATH_MAX];
	struct pyproc *p;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(child.dir, "/tmp/zp_pyproc.XXXXXX");
		assert_non_null(mkdtemp(child.dir));
		fake_proc(child.dir, cases[i].lib);
		why = NULL;
		assert_int_equal(pyproc__open(4242, child.dir, &p, &why),
				 cases[i].err);
		assert_non_null(why);
		if (!strstr(why, cases[i].why))
			fail_msg("%s: why '%s'", cases[i].lib, why);
		stop_child();
	}
	/* no such pid under the fake root */
	strcpy(child.dir, "/tmp/zp_pyproc.XXXXXX");
	assert_non_null(mkdtemp(child.dir));
	snprintf(path, sizeof(path), "%s", child.dir);
	assert_int_equal(pyproc__open(4243, path, &p, &why), -ESRCH);
	stop_child();
}

/* ---- cross-checks -------------------------------------------------------- */

/* PyCode_Type/PyFrame_Type members as measured on pyenv 3.11.7 and 3.8.18 */
static const struct py_member code311[] = {
	{ "co_argcount", 1, 56 },	{ "co_flags", 1, 48 },
	{ "co_consts", 6, 24 },		{ "co_filename", 6, 112 },
	{ "co_name", 6, 120 },		{ "co_qualname", 6, 128 },
	{ "co_firstlineno", 1, 72 },	{ "co_linetable", 6, 136 },
	{ "co_exceptiontable", 6, 40 },
};

static const struct py_member frame38[] = {
	{ "f_back", 6, 24 },	       { "f_code", 6, 32 },
	{ "f_builtins", 6, 40 },       { "f_globals", 6, 48 },
	{ "f_lasti", 1, 104 },	       { "f_trace_lines", 14, 88 },
	{ "f_trace_opcodes", 14, 89 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void expect_proto(const struct py_layout *l, enum py_type_id t,
			 int64_t basicsize, const struct py_member *m, size_t n,
			 const char *field)
{
	const char *why = NULL;

	assert_int_equal(py_layout__check_type(l, t, basicsize, m, n, &why),
			 -EPROTO);
	assert_non_null(why);
	if (!strstr(why, field))
		fail_msg("why '%s' does not name %s", why, field);
}

static void test_check_type(void **state)
{
	struct py_member m[16];
	struct py_layout l;
	const char *why = NULL;

	(void)state;
	assert_int_equal(py_layout__builtin(0x030b, &l), 0);
	assert_int_equal(py_layout__check_type(&l, PY_TYPE_CODE, 184, code311,
					       N(code311), &why),
			 0);
	/* a wrong offset in our table */
	l.co_filename = 104;
	expect_proto(&l, PY_TYPE_CODE, 184, code311, N(code311), "co_filename");
	assert_int_equal(py_layout__builtin(0x030b, &l), 0);
	/* the target lacks a member we rely on */
	memcpy(m, code311, sizeof(code311));
	strcpy(m[5].name, "co_qualnamX");
	expect_proto(&l, PY_TYPE_CODE, 184, m, N(code311), "co_qualname");
	/* the type of a member differs */
	memcpy(m, code311, sizeof(code311));
	m[6].type = 6;
	expect_proto(&l, PY_TYPE_CODE, 184, m, N(code311), "co_firstlineno");
	/* tp_basicsize is not co_code_adaptive */
	expect_proto(&l, PY_TYPE_CODE, 192, code311, N(code311),
		     "co_code_adaptive");
	/* 3.12's table against 3.11's members */
	assert_int_equal(py_layout__builtin(0x030c, &l), 0);
	expect_proto(&l, PY_TYPE_CODE, 192, code311, N(code311),
		     "co_firstlineno");
	/* str and bytes sizes */
	assert_int_equal(
	    py_layout__check_type(&l, PY_TYPE_UNICODE, 64, NULL, 0, &why), 0);
	expect_proto(&l, PY_TYPE_UNICODE, 80, NULL, 0, "PyUnicode_Type");
	assert_int_equal(
	    py_layout__check_type(&l, PY_TYPE_BYTES, 33, NULL, 0, &why), 0);
	expect_proto(&l, PY_TYPE_BYTES, 41, NULL, 0, "ob_sval");
	/* frames: 3.8 members */
	assert_int_equal(py_layout__builtin(0x0308, &l), 0);
	assert_int_equal(py_layout__check_type(&l, PY_TYPE_FRAME, 368, frame38,
					       N(frame38), &why),
			 0);
	expect_proto(&l, PY_TYPE_CODE, 184, code311, N(code311),
		     "PyCodeObject");
	l.frame_lasti = 96;
	expect_proto(&l, PY_TYPE_FRAME, 368, frame38, N(frame38), "f_lasti");
	/* 3.10 has no f_lasti member, but f_trace_lines pins the layout */
	assert_int_equal(py_layout__builtin(0x030a, &l), 0);
	expect_proto(&l, PY_TYPE_FRAME, 360, frame38, N(frame38),
		     "f_trace_lines");
	/* 3.11+: frames are not objects, nothing to check */
	assert_int_equal(py_layout__builtin(0x030b, &l), 0);
	assert_int_equal(
	    py_layout__check_type(&l, PY_TYPE_FRAME, 0, NULL, 0, &why), 0);
	assert_int_equal(py_layout__builtin(0x0307, &l), -ENOTSUP);
	assert_int_equal(py_layout__builtin(0x030d, &l), -ENOTSUP);
}

/* _Py_DebugOffsets of pyenv 3.13.0, as its libpython's .PyRuntime holds. */
static const uint64_t dbg313[] = {
	0,
	0x30d00f0,
	0,
	/* runtime_state */
	283320,
	608,
	632,
	/* interpreter_state */
	194968,
	7272,
	7264,
	7344,
	7400,
	7656,
	7640,
	7648,
	16,
	7752,
	0,
	7768,
	7760,
	/* thread_state */
	304,
	0,
	8,
	16,
	72,
	152,
	160,
	232,
	32,
	/* interpreter_frame */
	80,
	8,
	0,
	56,
	72,
	70,
	/* code_object */
	208,
	112,
	120,
	128,
	136,
	68,
	52,
	96,
	104,
	200,
	/* pyobject, type_object, tuple_object, list_object */
	16,
	8,
	416,
	24,
	88,
	168,
	32,
	24,
	16,
	40,
	24,
	16,
	/* dict, float, long, bytes, unicode */
	48,
	32,
	40,
	24,
	16,
	32,
	16,
	24,
	40,
	16,
	32,
	64,
	32,
	16,
	40,
};

/*
 * A 3.14 blob built from CPython 3.14's header order with plausible values
 * (frame owner at 74, as in the GIL build).
 */
static const uint64_t dbg314[] = {
	0,
	0x30e00f0,
	0,
	/* runtime_state */
	300000,
	608,
	632,
	/* interpreter_state: ..., threads_main, ..., generations */
	200000,
	7272,
	7264,
	7344,
	7352,
	7400,
	7656,
	7640,
	7648,
	16,
	7752,
	0,
	7768,
	7760,
	7800,
	0,
	/* thread_state */
	320,
	0,
	8,
	16,
	72,
	152,
	160,
	232,
	32,
	/* interpreter_frame: ..., stackpointer, tlbc_index */
	88,
	8,
	0,
	56,
	80,
	74,
	64,
	0,
	/* code_object: ..., co_tlbc */
	216,
	112,
	120,
	128,
	136,
	68,
	52,
	96,
	104,
	208,
	0,
	/* pyobject, type_object, tuple_object, list_object */
	16,
	8,
	416,
	24,
	88,
	168,
	32,
	24,
	16,
	40,
	24,
	16,
	/* set_object */
	200,
	24,
	40,
	32,
	/* dict, float, long, bytes, unicode */
	48,
	32,
	40,
	24,
	16,
	32,
	16,
	24,
	40,
	16,
	32,
	64,
	32,
	16,
	40,
};

static void blob_init(uint64_t *b, const uint64_t *src, size_t n)
{
	memcpy(b, src, n * 8);
	memcpy(b, "xdebugpy", 8);
}

static void expect_debug(const uint64_t *b, size_t len, uint64_t ver, int err,
			 const char *field)
{
	struct py_layout l;
	const char *why = NULL;

	assert_int_equal(py_layout__from_debug_offsets(b, len, ver, &l, &why),
			 err);
	assert_non_null(why);
	if (!strstr(why, field))
		fail_msg("why '%s' does not name %s", why, field);
}

static void test_debug_offsets(void **state)
{
	uint64_t b[N(dbg314)];
	struct zp_py_proc c;
	struct py_layout l;
	const char *why = NULL;

	(void)state;
	assert_int_equal(py_layout__debug_offsets_size(0x030d), sizeof(dbg313));
	assert_int_equal(py_layout__debug_offsets_size(0x030e), sizeof(dbg314));
	assert_int_equal(py_layout__debug_offsets_size(0x030c), 0);

	blob_init(b, dbg313, N(dbg313));
	assert_int_equal(py_layout__from_debug_offsets(b, sizeof(dbg313),
						       0x30d00f0, &l, &why),
			 0);
	assert_int_equal(l.version, 0x030d);
	assert_int_equal(l.rt_interp_head, 632);
	assert_int_equal(l.is_threads_head, 7344);
	assert_int_equal(l.ts_frame, 72);
	assert_int_equal(l.ts_native_tid, 160);
	assert_int_equal(l.rt_tss_key, 2160);
	assert_int_equal(l.str_ascii_size, 40);
	assert_int_equal(l.str_compact_size, 56);
	py_layout__bpf_config(&l, &c);
	assert_memory_equal(&c, &bpf_expected[5].c, sizeof(c));
	/* version 0: trust the blob */
	assert_int_equal(
	    py_layout__from_debug_offsets(b, sizeof(dbg313), 0, &l, &why), 0);

	/* free-threaded: refused as unsupported, not as broken */
	b[2] = 1;
	expect_debug(b, sizeof(dbg313), 0x30d00f0, -ENOTSUP, "free-threaded");
	b[2] = 0;
	expect_debug(b, sizeof(dbg313), 0x30d01f0, -EPROTO, "Py_Version");
	expect_debug(b, sizeof(dbg313) - 8, 0x30d00f0, -EPROTO, "short");
	expect_debug(b, 10, 0x30d00f0, -EPROTO, "short");
	b[23] = 400; /* thread_state.current_frame past thread_state.size */
	expect_debug(b, sizeof(dbg313), 0x30d00f0, -EPROTO, "current_frame");
	blob_init(b, dbg313, N(dbg313));
	b[19] = 0; /* thread_state.size */
	expect_debug(b, sizeof(dbg313), 0x30d00f0, -EPROTO,
		     "thread_state.size");
	blob_init(b, dbg313, N(dbg313));
	b[3] = 1ull << 40; /* runtime_state.size */
	expect_debug(b, sizeof(dbg313), 0x30d00f0, -EPROTO, "runtime_state");
	blob_init(b, dbg313, N(dbg313));
	memcpy(b, "xdebugpx", 8);
	expect_debug(b, sizeof(dbg313), 0x30d00f0, -EPROTO, "cookie");
	blob_init(b, dbg313, N(dbg313));
	b[1] = 0x30c00f0;
	expect_debug(b, sizeof(dbg313), 0, -ENOTSUP, "unknown");
	b[1] = 0x20700f0;
	expect_debug(b, sizeof(dbg313), 0, -EPROTO, "Python 3");

	/* 3.14 (untested against a real 3.14: none installed here) */
	blob_init(b, dbg314, N(dbg314));
	assert_int_equal(py_layout__from_debug_offsets(b, sizeof(dbg314),
						       0x30e00f0, &l, &why),
			 0);
	assert_int_equal(l.version, 0x030e);
	assert_int_equal(l.frame_owner, 74);
	assert_int_equal(l.tag_mask, 3);
	assert_int_equal(l.rt_tss_key, -1);
	assert_int_equal(l.co_adaptive, 208);
	assert_int_equal(l.bytes_sval, 32);
	assert_int_equal(l.str_compact_size, 56);
	py_layout__bpf_config(&l, &c);
	assert_int_equal(c.frame_span, 80);
	assert_int_equal(c.code_tag_mask, 3);
	assert_int_equal(c.cframe_frame, -1);
	assert_int_equal(c.owner_stop, 3);
	b[2] = 1;
	expect_debug(b, sizeof(dbg314), 0x30e00f0, -ENOTSUP, "free-threaded");
	/* a 3.13-sized read is short for 3.14 */
	b[2] = 0;
	expect_debug(b, sizeof(dbg313), 0x30e00f0, -EPROTO, "short");
}

/* ---- str and bytes ---------------------------------------------------------
 */

/* A 3.12+ str header: length, state (kind, compact, ascii) */
static void str_hdr(uint8_t *h, int64_t length, uint32_t kind, bool compact,
		    bool ascii)
{
	uint32_t state =
	    kind << 2 | (uint32_t)compact << 5 | (uint32_t)ascii << 6;

	memset(h, 0, 56);
	memcpy(h + 16, &length, 8);
	memcpy(h + 32, &state, 4);
}

static void test_str(void **state)
{
	const uint16_t ucs2[] = { 'g', 0xf6, 0x3c0 };
	const uint32_t ucs4[] = { 0x20000, '_', 0xdc80, 0x110000, 0 };
	const uint8_t ucs1[] = { 0xfc, 'n', 0xef };
	struct py_str_hdr h;
	struct py_layout l;
	uint8_t hdr[56];
	char out[64];

	(void)state;
	assert_int_equal(py_layout__builtin(0x030c, &l), 0);
	str_hdr(hdr, 3, 1, true, true);
	assert_int_equal(py_str__parse(&l, hdr, 40, &h), 0);
	assert_int_equal(h.length, 3);
	assert_true(h.ascii);
	assert_int_equal(h.data_off, 40);
	assert_int_equal(py_str__to_utf8(1, true, "abc", 3, out, sizeof(out)),
			 3);
	assert_string_equal(out, "abc");
	/* non-ASCII in an ASCII string */
	assert_int_equal(py_str__to_utf8(1, true, "a\xff", 2, out, sizeof(out)),
			 4);
	assert_string_equal(out, "a\xef\xbf\xbd");

	str_hdr(hdr, 3, 1, true, false);
	assert_int_equal(py_str__parse(&l, hdr, 40, &h), 0);
	assert_int_equal(h.data_off, 56);
	assert_false(h.ascii);
	py_str__to_utf8(1, false, ucs1, 3, out, sizeof(out));
	assert_string_equal(out, "ünï");
	py_str__to_utf8(2, false, ucs2, 3, out, sizeof(out));
	assert_string_equal(out, "göπ");
	/* a surrogate, past U+10FFFF and NUL become U+FFFD */
	py_str__to_utf8(4, false, ucs4, 5, out, sizeof(out));
	assert_string_equal(out, "𠀀_\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* cut at a character boundary: "gö" is 3 bytes, π would need 2 more */
	assert_int_equal(py_str__to_utf8(2, false, ucs2, 3, out, 5), 3);
	assert_string_equal(out, "gö");
	assert_int_equal(py_str__to_utf8(4, false, ucs4, 1, out, 4), 0);
	assert_string_equal(out, "");
	assert_int_equal(py_str__to_utf8(3, false, ucs4, 1, out, 4), 0);

	/* refused headers */
	str_hdr(hdr, 3, 1, false, false); /* legacy */
	assert_int_equal(py_str__parse(&l, hdr, 40, &h), -EINVAL);
	str_hdr(hdr, 3, 2, true, true); /* ASCII but 2 bytes wide */
	assert_int_equal(py_str__parse(&l, hdr, 40, &h), -EINVAL);
	str_hdr(hdr, 3, 3, true, false); /* no such kind */
	assert_int_equal(py_str__parse(&l, hdr, 40, &h), -EINVAL);
	str_hdr(hdr, -1, 1, true, true);
	assert_int_equal(py_str__parse(&l, hdr, 40, &h), -EINVAL);
	str_hdr(hdr, 3, 1, true, true);
	assert_int_equal(py_str__parse(&l, hdr, 39, &h), -EINVAL);

	/* 3.8-3.11 headers are 8 bytes longer (wstr) */
	assert_int_equal(py_layout__builtin(0x030b, &l), 0);
	str_hdr(hdr, 3, 2, true, false);
	assert_int_equal(py_str__parse(&l, hdr, 48, &h), 0);
	assert_int_equal(h.data_off, 72);
	assert_int_equal(py_str__parse(&l, hdr, 40, &h), -EINVAL);
}

static void test_bytes(void **state)
{
	struct py_layout l;
	uint8_t hdr[32];
	uint64_t size;
	int64_t n = 17;

	(void)state;
	assert_int_equal(py_layout__builtin(0x0308, &l), 0);
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr + 16, &n, 8);
	assert_int_equal(py_bytes__parse(&l, hdr, 32, &size), 0);
	assert_int_equal(size, 17);
	n = -1;
	memcpy(hdr + 16, &n, 8);
	assert_int_equal(py_bytes__parse(&l, hdr, 32, &size), -EINVAL);
	assert_int_equal(py_bytes__parse(&l, hdr, 16, &size), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_py38, teardown),
		cmocka_unit_test_teardown(test_py39, teardown),
		cmocka_unit_test_teardown(test_py310, teardown),
		cmocka_unit_test_teardown(test_py311, teardown),
		cmocka_unit_test_teardown(test_py312, teardown),
		cmocka_unit_test_teardown(test_py313, teardown),
		cmocka_unit_test_teardown(test_debian_py311, teardown),
		cmocka_unit_test(test_some_interpreter_ran),
		cmocka_unit_test_teardown(test_mem_fallback, teardown),
		cmocka_unit_test_teardown(test_not_python, teardown),
		cmocka_unit_test_teardown(test_unsupported_versions, teardown),
		cmocka_unit_test_teardown(test_fake_proc, teardown),
		cmocka_unit_test(test_check_type),
		cmocka_unit_test(test_debug_offsets),
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
