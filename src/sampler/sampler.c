// SPDX-License-Identifier: BSD-2-Clause
/*
 * The BPF lifecycle of a capture in the libbpf shape: open -> set rodata and
 * map sizes -> load -> open a perf event per CPU and attach -> ring buffer.
 * Errors are translated here into one line that tells an operator what to
 * change, because libbpf's own messages rarely do.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "sampler.h"
#include "sampler.skel.h"
#include "unwind_abi.h"

/* The uprobes on one process's interpreter, see sampler__attach_py_probes */
#define PY_PROBES SAMPLER_PY_PROBES
struct py_probes {
	uint32_t pid;			   /* 0: free slot */
	struct bpf_link *links[PY_PROBES]; /* perf-event uprobes, or */
	int multi_fds[PY_PROBES];	   /* uprobe_multi links; -1: none */
};

/*
 * BPF_LINK_CREATE's attr for BPF_TRACE_UPROBE_MULTI (Linux 6.6+, union
 * bpf_attr's link_create.uprobe_multi). Debian 12's uapi headers and libbpf
 * 1.1 predate it, so the layout is spelled out here; the kernel zero-fills
 * the rest of a shorter attr.
 */
#define ZP_TRACE_UPROBE_MULTI	 48 /* enum bpf_attach_type */
#define ZP_F_UPROBE_MULTI_RETURN 1u
struct uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
};

struct sampler {
	struct sampler_bpf *skel;
	struct bpf_link *tp_links[3]; /* fork, exec, exit */
	struct py_probes *probes;
	size_t nprobes;
	struct ring_buffer *rb;
	struct bpf_link **links;
	int *pmu_fds;
	int ncpus;     /* possible CPUs */
	int nattached; /* CPUs with a live perf event */
	int ncpus_stat;
	sampler_cb cb;
	sampler_event_cb event_cb;
	void *cb_ctx;
	struct sampler_opts opts; /* for a deferred attach; pids not kept */
	bool py_probes_multi;	  /* uprobe_multi links, not perf events */
};

static int perf_event_open(struct perf_event_attr *attr, int cpu)
{
	return syscall(__NR_perf_event_open, attr, -1, cpu, -1,
		       PERF_FLAG_FD_CLOEXEC);
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct sampler *s = ctx;

	if (len < sizeof(struct zp_sample))
		return 0; /* malformed; the consumer counts via its own checks
			   */
	return s->cb(s->cb_ctx, data, len);
}

static int on_proc_event(void *ctx, void *data, size_t len)
{
	struct sampler *s = ctx;

	if (len >= sizeof(struct zp_proc_event) && s->event_cb)
		s->event_cb(s->cb_ctx, data);
	return 0;
}

/*
 * Default ring buffer: 256 KiB per CPU, 1 to 64 MiB. At 999 Hz a CPU writes
 * at most ~1 MiB/s of records even with deep stacks, and the reader drains
 * at least every 100 ms, so this leaves more than twice the headroom while
 * keeping the buffer (mapped twice into our address space) small.
 */
static size_t default_ringbuf(int ncpus)
{
	size_t bytes = (size_t)ncpus << 18;

	if (bytes < (1u << 20))
		bytes = 1u << 20;
	if (bytes > (64u << 20))
		bytes = 64u << 20;
	return bytes;
}

static size_t round_ringbuf(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = page;

	if (bytes < page)
		bytes = page;
	while (n < bytes && n < ((size_t)1 << 30))
		n <<= 1;
	return n;
}

static void explain_load_error(int err, const char *btf_path)
{
	char msg[128];

	libbpf_strerror(err, msg, sizeof(msg));
	if (btf_path && err <= -__LIBBPF_ERRNO__START)
		log_error("cannot use BTF file %s: %s", btf_path, msg);
	else if (err == -EPERM || err == -EACCES)
		log_error(
		    "loading the BPF program was refused (%s): run as root "
		    "or grant CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN on "
		    "kernels before 5.8)",
		    strerror(-err));
	else if (err == -ENOENT || err == -ESRCH)
		log_error(
		    "BPF CO-RE relocation failed (%s): the kernel BTF does "
		    "not describe this kernel; pass --btf with a matching "
		    "file",
		    strerror(-err));
	else if (err == -E2BIG || err == -EINVAL)
		log_error(
		    "the kernel rejected the BPF program (%s): kernel 5.10 "
		    "or newer with BPF ring buffer support is required",
		    strerror(-err));
	else
		log_error("loading the BPF program failed: %s", msg);
}

/*
 * Whether the kernel has uprobe_multi links: with the attach type known
 * (6.6+), a link to a directory fails with EBADF; before, with EINVAL.
 */
static bool uprobe_multi_supported(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po,
		    .expected_attach_type = ZP_TRACE_UPROBE_MULTI);
	__u64 offset = 0;
	struct uprobe_multi_attr attr = {
		.attach_type = ZP_TRACE_UPROBE_MULTI,
		.path = (uintptr_t) "/",
		.offsets = (uintptr_t)&offset,
		.cnt = 1,
	};
	int prog_fd, fd, err;

	prog_fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns,
				sizeof(insns) / sizeof(insns[0]), &po);
	if (prog_fd < 0)
		return false;
	attr.prog_fd = (__u32)prog_fd;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	err = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	close(prog_fd);
	return err == EBADF;
}

/* uprobe PMU's type, from sysfs; -errno when the kernel has none. */
static int uprobe_pmu_type(void)
{
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "re");
	int type, n;

	if (!f)
		return -errno;
	n = fscanf(f, "%d", &type);
	fclose(f);
	return n == 1 && type >= 0 ? type : -EINVAL;
}

/*
 * Whether perf_event_open(2) refuses uprobes to us. Since Linux 6.16
 * perf_uprobe_event_init() checks capable(CAP_SYS_ADMIN) first and answers
 * EACCES; past that check, the probe below fails with EINVAL for want of
 * a path. Nothing is created either way.
 */
static bool perf_uprobes_refused(void)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.exclude_kernel = 1,
	};
	int type = uprobe_pmu_type(), fd;

	if (type < 0)
		return false; /* libbpf goes through tracefs then */
	attr.type = (__u32)type;
	fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1,
		     PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EACCES;
}

/*
 * The thread-state programs are loaded as uprobe_multi programs where
 * perf-event uprobes are refused and the kernel has the links (6.6+), which
 * need no capability beyond what loading took (CAP_BPF, CAP_PERFMON).
 */
static int setup_py_probe_progs(struct sampler *s)
{
	struct bpf_program *progs[PY_PROBES] = {
		s->skel->progs.on_py_thread_bind,
		s->skel->progs.on_py_thread_new,
		s->skel->progs.on_py_thread_clear,
	};
	int i, err = 0;

	s->py_probes_multi = perf_uprobes_refused() && uprobe_multi_supported();
	if (!s->py_probes_multi)
		return 0;
	log_debug("perf-event uprobes need CAP_SYS_ADMIN here: Python thread "
		  "uprobes through uprobe_multi links");
	for (i = 0; i < PY_PROBES && !err; i++)
		err = bpf_program__set_expected_attach_type(
		    progs[i], (enum bpf_attach_type)ZP_TRACE_UPROBE_MULTI);
	return err;
}

static int attach_cpus(struct sampler *s, const struct sampler_opts *o)
{
	struct perf_event_attr attr;
	int cpu, fd, err;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	if (o->event == SAMPLER_EVENT_CYCLES) {
		attr.type = PERF_TYPE_HARDWARE;
		attr.config = PERF_COUNT_HW_CPU_CYCLES;
	} else {
		attr.type = PERF_TYPE_SOFTWARE;
		attr.config = PERF_COUNT_SW_CPU_CLOCK;
	}
	attr.freq = 1;
	attr.sample_freq = o->frequency;

	for (cpu = 0; cpu < s->ncpus; cpu++) {
		fd = perf_event_open(&attr, cpu);
		if (fd < 0) {
			err = -errno;
			if (err == -ENODEV) /* possible but offline CPU */
				continue;
			if (err == -ENOENT || err == -EOPNOTSUPP) {
				log_error("event '%s' is not supported on this "
					  "machine (no hardware PMU counters); "
					  "use --event cpu-clock",
					  o->event == SAMPLER_EVENT_CYCLES
					      ? "cycles"
					      : "cpu-clock");
			} else if (err == -EACCES || err == -EPERM) {
				log_error(
				    "perf_event_open refused (%s): run as "
				    "root or grant CAP_PERFMON",
				    strerror(-err));
			} else if (err == -EINVAL && o->frequency > 1) {
				log_error(
				    "perf_event_open rejected %u Hz: above "
				    "kernel.perf_event_max_sample_rate?",
				    o->frequency);
			} else {
				log_error(
				    "perf_event_open on CPU %d failed: %s", cpu,
				    strerror(-err));
			}
			return err;
		}
		s->pmu_fds[cpu] = fd;
		s->links[cpu] = bpf_program__attach_perf_event(
		    s->skel->progs.on_cpu_sample, fd);
		if (!s->links[cpu]) {
			err = -errno;
			log_error("attaching the sampler to CPU %d failed: %s",
				  cpu, strerror(-err));
			return err;
		}
		s->nattached++;
	}
	if (!s->nattached) {
		log_error("no online CPU accepted a perf event");
		return -ENODEV;
	}
	return 0;
}

/* walkers[0] walks Python frames, walkers[1] native frames with tables */
static int install_walkers(struct sampler *s, const struct sampler_opts *o)
{
	struct bpf_program *progs[2] = { s->skel->progs.walk_python,
					 s->skel->progs.walk_native };
	bool want[2] = { o->python, o->unwind != SAMPLER_UNWIND_FP };
	__u32 key;
	int fd, err;

	for (key = 0; key < 2; key++) {
		if (!want[key])
			continue;
		fd = bpf_program__fd(progs[key]);
		if (bpf_map__update_elem(s->skel->maps.walkers, &key,
					 sizeof(key), &fd, sizeof(fd),
					 BPF_ANY)) {
			err = -errno;
			log_error("installing the %s walker failed: %s",
				  key ? "native" : "Python", strerror(-err));
			return err;
		}
	}
	return 0;
}

static int attach_lifecycle(struct sampler *s)
{
	struct bpf_program *progs[3] = { s->skel->progs.on_fork,
					 s->skel->progs.on_exec,
					 s->skel->progs.on_exit };
	int i, err;

	for (i = 0; i < 3; i++) {
		s->tp_links[i] = bpf_program__attach(progs[i]);
		if (!s->tp_links[i]) {
			err = -errno;
			log_error(
			    "attaching %s to its sched tracepoint failed: "
			    "%s",
			    bpf_program__name(progs[i]), strerror(-err));
			return err;
		}
	}
	return 0;
}

int sampler__attach(struct sampler *s)
{
	/* lifecycle first: a child forked between the two is not missed */
	int err = attach_lifecycle(s);

	return err ? err : attach_cpus(s, &s->opts);
}

struct sampler *sampler__new(const struct sampler_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .btf_custom_path = o->btf_path);
	struct sampler *s;
	size_t i, j, rb_bytes;
	int err;

	if (!o->cb || !o->frequency) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cb = o->cb;
	s->event_cb = o->event_cb;
	s->cb_ctx = o->cb_ctx;
	s->nprobes = o->max_py_procs ? o->max_py_procs : 1024;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		err = s->ncpus ? s->ncpus : -ENODEV;
		log_error("cannot count CPUs: %s", strerror(-err));
		goto err_free;
	}
	s->links = calloc(s->ncpus, sizeof(*s->links));
	s->pmu_fds = malloc(s->ncpus * sizeof(*s->pmu_fds));
	s->probes = calloc(s->nprobes, sizeof(*s->probes));
	if (!s->links || !s->pmu_fds || !s->probes) {
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < (size_t)s->ncpus; i++)
		s->pmu_fds[i] = -1;
	for (i = 0; i < s->nprobes; i++)
		for (j = 0; j < PY_PROBES; j++)
			s->probes[i].multi_fds[j] = -1;

	s->skel = sampler_bpf__open_opts(&open_opts);
	if (!s->skel) {
		err = -errno;
		log_error("opening the BPF object failed: %s", strerror(-err));
		goto err_free;
	}
	s->skel->rodata->filter_all = o->all;
	s->skel->rodata->want_kernel = o->kernel_stacks;
	s->skel->rodata->want_user = o->user_stacks;
	s->skel->rodata->self_tgid = getpid();
	s->skel->rodata->want_python = o->python;
	s->skel->rodata->follow_children = o->follow_children;
	s->skel->rodata->want_unwind = o->unwind != SAMPLER_UNWIND_FP;
	s->skel->rodata->unwind_fp_fallback = o->unwind != SAMPLER_UNWIND_DWARF;
	rb_bytes = round_ringbuf(o->ringbuf_bytes ? o->ringbuf_bytes
						  : default_ringbuf(s->ncpus));
	err = bpf_map__set_max_entries(s->skel->maps.samples, rb_bytes);
	if (!err)
		err = bpf_map__set_max_entries(s->skel->maps.targets,
					       o->max_targets ? o->max_targets
							      : 1024);
	if (!err)
		err = bpf_map__set_max_entries(s->skel->maps.py_procs,
					       o->max_py_procs ? o->max_py_procs
							       : 1024);
	if (!err)
		err = bpf_map__set_max_entries(
		    s->skel->maps.py_threads,
		    o->max_py_threads ? o->max_py_threads : 16384);
	/* without tables the unwind maps stay at one entry each */
	if (!err)
		err = bpf_map__set_max_entries(
		    s->skel->maps.unwind_rows,
		    o->unwind == SAMPLER_UNWIND_FP
			? 1
			: (o->unwind_rows ? o->unwind_rows
					  : ZP_UNWIND_POOL_ROWS));
	if (!err)
		err = bpf_map__set_max_entries(
		    s->skel->maps.unwind_rules,
		    o->unwind == SAMPLER_UNWIND_FP ? 1 : ZP_UNWIND_RULES);
	if (!err)
		err = bpf_map__set_max_entries(
		    s->skel->maps.unwind_procs,
		    o->unwind == SAMPLER_UNWIND_FP
			? 1
			: (o->max_unwind_procs ? o->max_unwind_procs : 1024));
	/* the walker runs only through its tail call; uprobes per process */
	bpf_program__set_autoattach(s->skel->progs.walk_python, false);
	bpf_program__set_autoattach(s->skel->progs.walk_native, false);
	bpf_program__set_autoattach(s->skel->progs.on_py_thread_bind, false);
	bpf_program__set_autoattach(s->skel->progs.on_py_thread_new, false);
	bpf_program__set_autoattach(s->skel->progs.on_py_thread_clear, false);
	if (err) {
		log_error("sizing BPF maps failed: %s", strerror(-err));
		goto err_free;
	}
	err = setup_py_probe_progs(s);
	if (err) {
		log_error("preparing the uprobe_multi programs failed: %s",
			  strerror(-err));
		goto err_free;
	}
	/* wake the reader when a quarter of the buffer is used */
	s->skel->rodata->wakeup_bytes = rb_bytes / 4;

	err = sampler_bpf__load(s->skel);
	if (err) {
		explain_load_error(err, o->btf_path);
		goto err_free;
	}
	err = install_walkers(s, o);
	if (err)
		goto err_free;
	for (i = 0; !o->all && i < o->npids; i++) {
		err = sampler__add_target(s, o->pids[i]);
		if (err) {
			log_error("adding pid %u to the filter failed: %s",
				  o->pids[i], strerror(-err));
			goto err_free;
		}
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.samples), on_record,
				 s, NULL);
	if (!s->rb) {
		err = -errno;
		log_error("creating the ring buffer reader failed: %s",
			  strerror(-err));
		goto err_free;
	}
	if (ring_buffer__add(s->rb, bpf_map__fd(s->skel->maps.proc_events),
			     on_proc_event, s)) {
		err = -errno;
		log_error("creating the process event reader failed: %s",
			  strerror(-err));
		goto err_free;
	}
	s->opts = *o;
	if (!o->defer_attach) {
		err = sampler__attach(s);
		if (err)
			goto err_free;
	}
	return s;

err_free:
	sampler__free(s);
	errno = -err;
	return NULL;
}

void sampler__detach(struct sampler *s)
{
	int cpu;

	if (!s)
		return;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		if (s->links && s->links[cpu]) {
			bpf_link__destroy(s->links[cpu]);
			s->links[cpu] = NULL;
		}
		if (s->pmu_fds && s->pmu_fds[cpu] >= 0) {
			close(s->pmu_fds[cpu]);
			s->pmu_fds[cpu] = -1;
		}
	}
	s->nattached = 0;
	for (cpu = 0; cpu < 3; cpu++) {
		bpf_link__destroy(s->tp_links[cpu]);
		s->tp_links[cpu] = NULL;
	}
}

static void probes_release(struct py_probes *pp)
{
	int i;

	for (i = 0; i < PY_PROBES; i++) {
		bpf_link__destroy(pp->links[i]);
		pp->links[i] = NULL;
		if (pp->multi_fds[i] >= 0)
			close(pp->multi_fds[i]);
		pp->multi_fds[i] = -1;
	}
	pp->pid = 0;
}

void sampler__free(struct sampler *s)
{
	size_t i;

	if (!s)
		return;
	sampler__detach(s);
	for (i = 0; s->probes && i < s->nprobes; i++)
		if (s->probes[i].pid)
			probes_release(&s->probes[i]);
	free(s->probes);
	ring_buffer__free(s->rb);
	sampler_bpf__destroy(s->skel);
	free(s->links);
	free(s->pmu_fds);
	free(s);
}

int sampler__epoll_fd(const struct sampler *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

int sampler__poll(struct sampler *s, int timeout_ms)
{
	int n = ring_buffer__poll(s->rb, timeout_ms);

	return n == -EINTR ? 0 : n;
}

int sampler__drain(struct sampler *s)
{
	return ring_buffer__consume(s->rb);
}

int sampler__add_target(struct sampler *s, uint32_t pid)
{
	__u8 one = 1;

	if (bpf_map__update_elem(s->skel->maps.targets, &pid, sizeof(pid), &one,
				 sizeof(one), BPF_ANY))
		return -errno;
	return 0;
}

int sampler__remove_target(struct sampler *s, uint32_t pid)
{
	if (bpf_map__delete_elem(s->skel->maps.targets, &pid, sizeof(pid), 0))
		return -errno;
	return 0;
}

int sampler__set_py_proc(struct sampler *s, uint32_t pid,
			 const struct zp_py_proc *cfg)
{
	if (bpf_map__update_elem(s->skel->maps.py_procs, &pid, sizeof(pid), cfg,
				 sizeof(*cfg), BPF_ANY))
		return -errno;
	return 0;
}

/* Deletes PID's entries from py_threads; keys are walked, not guessed. */
static void clear_py_threads(struct sampler *s, uint32_t pid)
{
	struct bpf_map *m = s->skel->maps.py_threads;
	struct zp_py_thread_key key, next, *prev = NULL;

	while (!bpf_map__get_next_key(m, prev, &next, sizeof(next))) {
		if (next.pid == pid &&
		    !bpf_map__delete_elem(m, &next, sizeof(next), 0))
			continue; /* deleted: restart after the same prev */
		key = next;
		prev = &key;
	}
}

int sampler__set_py_threads(struct sampler *s, uint32_t pid,
			    const uint64_t *thread_ids, const uint64_t *tstates,
			    size_t n)
{
	struct zp_py_thread_key key = { .pid = pid };
	size_t i;

	clear_py_threads(s, pid);
	for (i = 0; i < n; i++) {
		key.thread_id = thread_ids[i];
		if (bpf_map__update_elem(s->skel->maps.py_threads, &key,
					 sizeof(key), &tstates[i],
					 sizeof(tstates[i]), BPF_ANY))
			return -errno;
	}
	return 0;
}

static struct py_probes *probes_find(struct sampler *s, uint32_t pid)
{
	size_t i;

	for (i = 0; i < s->nprobes; i++)
		if (s->probes[i].pid == pid)
			return &s->probes[i];
	return NULL;
}

bool sampler__has_py_probes(struct sampler *s, uint32_t pid)
{
	return pid && probes_find(s, pid);
}

void sampler__remove_py_proc(struct sampler *s, uint32_t pid)
{
	struct py_probes *pp = pid ? probes_find(s, pid) : NULL;

	if (pp)
		probes_release(pp);
	bpf_map__delete_elem(s->skel->maps.py_procs, &pid, sizeof(pid), 0);
	clear_py_threads(s, pid);
}

/*
 * Lifecycle functions only: each runs once per thread, never on the eval
 * loop, the GIL hand-off or allocation paths.
 */
static const char *const py_probe_funcs[PY_PROBES] = {
	"PyEval_AcquireThread",
	"PyThreadState_New", /* a return probe */
	"PyThreadState_Clear",
};

static int attach_perf_uprobe(struct bpf_program *prog, struct py_probes *pp,
			      int i, const char *path, uint64_t offset)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = i == 1);

	pp->links[i] = bpf_program__attach_uprobe_opts(
	    prog, (pid_t)pp->pid, path, (size_t)offset, &uo);
	return pp->links[i] ? 0 : -errno;
}

static int attach_multi_uprobe(struct bpf_program *prog, struct py_probes *pp,
			       int i, const char *path, uint64_t offset)
{
	struct uprobe_multi_attr attr = {
		.prog_fd = (__u32)bpf_program__fd(prog),
		.attach_type = ZP_TRACE_UPROBE_MULTI,
		.path = (uintptr_t)path,
		.offsets = (uintptr_t)&offset,
		.cnt = 1,
		.multi_flags = i == 1 ? ZP_F_UPROBE_MULTI_RETURN : 0,
		.pid = pp->pid,
	};

	pp->multi_fds[i] =
	    syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return pp->multi_fds[i] >= 0 ? 0 : -errno;
}

int sampler__attach_py_probes(struct sampler *s, uint32_t pid, const char *path,
			      const uint64_t offsets[SAMPLER_PY_PROBES])
{
	struct bpf_program *progs[PY_PROBES] = {
		s->skel->progs.on_py_thread_bind,
		s->skel->progs.on_py_thread_new,
		s->skel->progs.on_py_thread_clear,
	};
	struct py_probes *pp;
	int i, err;

	if (!pid)
		return -EINVAL;
	pp = probes_find(s, pid);
	if (pp)
		probes_release(pp); /* re-attach: exec'd into a new image */
	else
		pp = probes_find(s, 0);
	if (!pp)
		return -ENOSPC;
	pp->pid = pid;
	for (i = 0; i < PY_PROBES; i++) {
		err =
		    s->py_probes_multi
			? attach_multi_uprobe(progs[i], pp, i, path, offsets[i])
			: attach_perf_uprobe(progs[i], pp, i, path, offsets[i]);
		if (err) {
			log_debug("uprobe %s in %s (pid %u) failed: %s",
				  py_probe_funcs[i], path, pid, strerror(-err));
			probes_release(pp);
			return err;
		}
	}
	return 0;
}

int sampler__stats(const struct sampler *s, uint64_t out[ZP_STAT__MAX])
{
	uint64_t *vals;
	__u32 key;
	int cpu, err = 0;

	memset(out, 0, sizeof(uint64_t) * ZP_STAT__MAX);
	vals = calloc(s->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (key = 0; key < ZP_STAT__MAX; key++) {
		if (bpf_map__lookup_elem(s->skel->maps.stats, &key, sizeof(key),
					 vals, s->ncpus * sizeof(*vals), 0)) {
			err = -errno;
			break;
		}
		for (cpu = 0; cpu < s->ncpus; cpu++)
			out[key] += vals[cpu];
	}
	free(vals);
	return err;
}

int sampler__unwind_fds(const struct sampler *s, int *rows, int *rules,
			int *procs)
{
	*rows = bpf_map__fd(s->skel->maps.unwind_rows);
	*rules = bpf_map__fd(s->skel->maps.unwind_rules);
	*procs = bpf_map__fd(s->skel->maps.unwind_procs);
	return *rows < 0 || *rules < 0 || *procs < 0 ? -EBADF : 0;
}

int sampler__ncpus(const struct sampler *s)
{
	return s->nattached;
}

static int prog_runtime(const struct bpf_program *prog, uint64_t *run_ns,
			uint64_t *run_cnt)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return -errno;
	*run_ns += info.run_time_ns;
	*run_cnt += info.run_cnt;
	return 0;
}

int sampler__prog_runtime(const struct sampler *s, uint64_t *run_ns,
			  uint64_t *run_cnt)
{
	int err;

	*run_ns = *run_cnt = 0;
	err = prog_runtime(s->skel->progs.on_cpu_sample, run_ns, run_cnt);
	if (err)
		return err;
	return *run_cnt ? 0 : -ENODATA;
}

int sampler__probe_runtime(const struct sampler *s, uint64_t *run_ns,
			   uint64_t *run_cnt)
{
	int err;

	*run_ns = *run_cnt = 0;
	err = prog_runtime(s->skel->progs.on_py_thread_bind, run_ns, run_cnt);
	if (!err)
		err = prog_runtime(s->skel->progs.on_py_thread_new, run_ns,
				   run_cnt);
	if (!err)
		err = prog_runtime(s->skel->progs.on_py_thread_clear, run_ns,
				   run_cnt);
	return err;
}
