// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the unwind-table loader against real BPF maps (tests run
 * as root): this process's own mappings go into the maps in the shape the
 * BPF walker reads, the rows a pc finds there are the rows of a table built
 * independently, tables are shared between processes mapping the same
 * files, and a pool too small for everything evicts unused tables first
 * and refuses what still does not fit instead of growing.
 */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "ehtable.h"
#include "procmaps.h"
#include "unwind_abi.h"
#include "unwinder.h"

struct maps {
	int rows, rules, procs;
};

static void make_maps(struct maps *m, unsigned pool_rows)
{
	m->rows = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_rows", 4,
				 sizeof(struct zp_unwind_row), pool_rows, NULL);
	m->rules = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_rules", 4,
				  sizeof(struct zp_unwind_rule),
				  ZP_UNWIND_RULES, NULL);
	m->procs = bpf_map_create(BPF_MAP_TYPE_HASH, "t_procs", 4,
				  sizeof(struct zp_unwind_proc), 64, NULL);
	assert_true(m->rows >= 0 && m->rules >= 0 && m->procs >= 0);
}

static void close_maps(struct maps *m)
{
	close(m->rows);
	close(m->rules);
	close(m->procs);
}

/* The rule the kernel's data gives PC, found the way walk_native does. */
static int kernel_rule(const struct maps *mp, pid_t pid, uint64_t pc,
		       struct zp_unwind_rule *out)
{
	static struct zp_unwind_proc p;
	struct zp_unwind_row row;
	__u32 key = (__u32)pid, lo, hi, mid, idx, rid = 0;
	const struct zp_unwind_map *m = NULL;
	uint32_t i;

	if (bpf_map_lookup_elem(mp->procs, &key, &p))
		return -ENOENT;
	for (i = 0; i < p.nmaps; i++) {
		if (i)
			assert_true(p.maps[i].start >= p.maps[i - 1].end);
		if (p.maps[i].start <= pc && pc < p.maps[i].end)
			m = &p.maps[i];
	}
	if (!m || !m->row_n)
		return -ENODATA;
	lo = 0;
	hi = m->row_n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		idx = m->row_off + mid;
		assert_int_equal(bpf_map_lookup_elem(mp->rows, &idx, &row), 0);
		if (row.pc <= pc - m->bias) {
			lo = mid + 1;
			rid = row.rule;
		} else {
			hi = mid;
		}
	}
	return bpf_map_lookup_elem(mp->rules, &rid, out) ? -errno : 0;
}

/* The same pc in a table built from the file itself. */
static void file_rule(const char *path, uint64_t vaddr,
		      struct zp_unwind_rule *out)
{
	struct unwind_rules *r = unwind_rules__new(ZP_UNWIND_RULES);
	struct ehtable *t;

	assert_non_null(r);
	t = ehtable__from_file(r, path, NULL);
	assert_non_null(t);
	*out = *unwind_rules__get(r, ehtable__lookup(t, vaddr));
	ehtable__free(t);
	unwind_rules__free(r);
}

static void check_pc(const struct maps *mp, void *fn)
{
	struct zp_unwind_rule k, f;
	struct procmaps *maps;
	const struct procmaps_entry *e;
	char path[4096];
	uint64_t pc = (uint64_t)(uintptr_t)fn + 4, vaddr;

	maps = procmaps__load(NULL, getpid(), PROCMAPS_EXEC_ONLY);
	assert_non_null(maps);
	e = procmaps__find(maps, pc);
	assert_non_null(e);
	snprintf(path, sizeof(path), "%s", e->path);
	assert_int_equal(kernel_rule(mp, getpid(), pc, &k), 0);
	/* this test binary and libc: one executable segment, vaddr ==
	 * file offset + the first PT_LOAD's delta, which is what the
	 * kernel-side bias must have undone */
	{
		struct zp_unwind_proc p;
		__u32 key = (__u32)getpid();
		uint32_t i;

		assert_int_equal(bpf_map_lookup_elem(mp->procs, &key, &p), 0);
		vaddr = 0;
		for (i = 0; i < p.nmaps; i++)
			if (p.maps[i].start <= pc && pc < p.maps[i].end)
				vaddr = pc - p.maps[i].bias;
	}
	file_rule(path, vaddr, &f);
	assert_memory_equal(&k, &f, sizeof(k));
	assert_int_not_equal(k.cfa_type, ZP_CFA_NONE);
	procmaps__free(maps);
}

static void test_self(void **state)
{
	struct unwinder_opts o = { .pool_rows = 1u << 20,
				   .max_rules = ZP_UNWIND_RULES };
	struct unwinder_stats st;
	struct unwinder *u;
	struct maps mp;
	__u32 key = (__u32)getpid();
	struct zp_unwind_proc p;

	(void)state;
	make_maps(&mp, o.pool_rows);
	u = unwinder__new(&o, mp.rows, mp.rules, mp.procs);
	assert_non_null(u);
	assert_int_equal(unwinder__add_pid(u, getpid()), 0);
	unwinder__stats(u, &st);
	/* this binary, libc, ld.so, the vDSO at least */
	assert_true(st.tables >= 4);
	assert_true(st.rows_used > 10000);
	assert_int_equal(st.procs, 1);
	check_pc(&mp, (void *)test_self); /* this binary */
	check_pc(&mp, (void *)qsort);	  /* libc */

	/* a second process mapping the same files shares their tables */
	{
		pid_t child = fork();
		uint64_t rows = st.rows_used;

		if (!child) {
			pause();
			_exit(0);
		}
		assert_int_equal(unwinder__add_pid(u, child), 0);
		unwinder__stats(u, &st);
		assert_int_equal(st.rows_used, rows);
		assert_int_equal(st.procs, 2);
		unwinder__remove_pid(u, child);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	unwinder__remove_pid(u, getpid());
	unwinder__stats(u, &st);
	assert_int_equal(st.procs, 0);
	assert_int_not_equal(bpf_map_lookup_elem(mp.procs, &key, &p), 0);
	/* unused tables stay loaded for the next process */
	assert_true(st.tables >= 4);
	assert_int_equal(unwinder__add_pid(u, 999999999), -ENOENT);
	unwinder__free(u);
	close_maps(&mp);
}

/* Another inode with the same build-id (a copy of a binary, as in
 * another container image layer) shares its table. */
static void test_build_id(void **state)
{
	struct unwinder_opts o = { .pool_rows = 1u << 20,
				   .max_rules = ZP_UNWIND_RULES };
	const char *copy = "/tmp/zprofd-test-sleep-copy";
	struct unwinder_stats st;
	struct unwinder *u;
	struct maps mp;
	uint64_t rows, tables;
	pid_t a, b;
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "cp /usr/bin/sleep %s", copy);
	assert_int_equal(system(cmd), 0);
	a = fork();
	if (!a) {
		execl("/usr/bin/sleep", "sleep", "30", NULL);
		_exit(127);
	}
	b = fork();
	if (!b) {
		execl(copy, "sleep", "30", NULL);
		_exit(127);
	}
	usleep(200000);
	make_maps(&mp, o.pool_rows);
	u = unwinder__new(&o, mp.rows, mp.rules, mp.procs);
	assert_non_null(u);
	assert_int_equal(unwinder__add_pid(u, a), 0);
	unwinder__stats(u, &st);
	rows = st.rows_used;
	tables = st.tables;
	assert_int_equal(unwinder__add_pid(u, b), 0);
	unwinder__stats(u, &st);
	assert_int_equal(st.rows_used, rows);
	assert_int_equal(st.tables, tables);
	assert_true(st.shared_by_build_id >= 1);
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	unlink(copy);
	unwinder__free(u);
	close_maps(&mp);
}

/* A pool that holds this process's tables or python3.11's, not both. */
static void test_small_pool(void **state)
{
	struct unwinder_opts o = { .pool_rows = 70000,
				   .max_rules = ZP_UNWIND_RULES };
	struct unwinder_stats st;
	struct unwinder *u;
	struct maps mp;

	(void)state;
	make_maps(&mp, o.pool_rows);
	u = unwinder__new(&o, mp.rows, mp.rules, mp.procs);
	assert_non_null(u);
	assert_int_equal(unwinder__add_pid(u, getpid()), 0);
	unwinder__stats(u, &st);
	assert_true(st.rows_used <= o.pool_rows);
	assert_true(st.tables >= 4);
	/* drop us: our tables become evictable */
	unwinder__remove_pid(u, getpid());
	{
		const char *pys[] = { "/usr/bin/python3.11", NULL };
		pid_t child;

		if (access(pys[0], X_OK)) {
			skip();
		}
		child = fork();
		if (!child) {
			execv(pys[0], (char *[]){ (char *)pys[0], "-c",
						  "import time; time.sleep(30)",
						  NULL });
			_exit(127);
		}
		usleep(300000);
		/* python3.11's table (~65k rows) fits only once unused
		 * tables are evicted, least recently used first */
		assert_int_equal(unwinder__add_pid(u, child), 0);
		unwinder__stats(u, &st);
		assert_true(st.evictions >= 1);
		assert_true(st.rows_used <= o.pool_rows);
		assert_true(st.rows_used >= 60000);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	unwinder__free(u);
	close_maps(&mp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_small_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
