// SPDX-License-Identifier: BSD-2-Clause
/*
 * zprofd command line: parse and validate the arguments, check the machine
 * (BTF, BPF, privileges, targets, output path) before anything is loaded so
 * each problem is one clear line and a non-zero exit, then run a capture and
 * write the profile atomically. `zprofd daemon ...` is handed to the
 * daemon's own parser (src/daemon/cli.c).
 *
 * Exit status: 0 success, 1 runtime failure, 2 usage error.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "capture.h"
#include "daemon.h"
#include "log.h"
#include "outfile.h"
#include "output.h"
#include "privileges.h"
#include "profile.h"
#include "top.h"

#define MAX_PIDS       4096
#define MAX_OUTPUTS    4
#define DEFAULT_OUTPUT "profile.pb.gz"
#define SYSFS_BTF      "/sys/kernel/btf/vmlinux"

struct args {
	uint32_t pids[MAX_PIDS];
	size_t npids;
	bool all;
	double duration;
	unsigned int frequency;
	const char *outputs[MAX_OUTPUTS];
	enum output_format formats[MAX_OUTPUTS];
	size_t noutputs;
	bool format_set;
	enum output_format format;
	bool kernel;
	bool python;
	bool subprocesses;
	enum sampler_unwind unwind;
	bool hide_interpreter;
	enum sampler_event event;
	size_t ringbuf_bytes;
	size_t max_stacks;
	const char *btf_path;
	unsigned int top;
	const char *title;
	int verbose;
	bool quiet;
};

const char *argp_program_version = "zprofd 0.1.0";
const char *argp_program_bug_address =
    "<https://github.com/zprofd/zprofd/issues>";

static const char doc[] =
    "zprofd: sample where CPU time goes in running processes, from outside "
    "and without restarting them, with eBPF.\n"
    "\n"
    "EXAMPLES:\n"
    "  zprofd --pid 1234 --duration 30            # 30 s, writes "
    "profile.pb.gz\n"
    "  zprofd --pid 1234 -o cpu.svg               # until Ctrl-C, flame graph\n"
    "  zprofd --pid 1234,1240 -F 999 -o out.folded\n"
    "  zprofd --all -d 10 -o - | flamegraph.pl > all.svg\n"
    "  go tool pprof -top profile.pb.gz\n"
    "\n"
    "Needs root, or CAP_BPF + CAP_PERFMON (+ CAP_SYS_PTRACE for other "
    "users' processes), and a kernel with BTF (5.10 or newer).";

enum {
	OPT_KERNEL = 0x100,
	OPT_NO_KERNEL,
	OPT_PYTHON,
	OPT_NO_PYTHON,
	OPT_RINGBUF,
	OPT_MAX_STACKS,
	OPT_BTF,
	OPT_TOP,
	OPT_TITLE,
	OPT_SUBPROCESSES,
	OPT_UNWIND,
	OPT_HIDE_INTERP,
};

static const struct argp_option options[] = {
	{ "pid", 'p', "PID[,PID...]", 0,
	  "Profile these processes (all their threads)", 0 },
	{ "all", 'a', NULL, 0, "Profile every process on the machine", 0 },
	{ "subprocesses", OPT_SUBPROCESSES, NULL, 0,
	  "Also profile processes the targets start (and theirs), from their "
	  "first instruction; the capture then ends when all have exited",
	  0 },
	{ "duration", 'd', "SEC", 0,
	  "Stop after SEC seconds (default: Ctrl-C or when the targets exit)",
	  0 },
	{ "frequency", 'F', "HZ", 0, "Samples per second per CPU (default 99)",
	  0 },
	{ "output", 'o', "FILE", 0,
	  "Output file (default " DEFAULT_OUTPUT "); '-' writes folded stacks "
	  "to stdout",
	  0 },
	{ "format", 'f', "FMT", 0,
	  "pprof, folded or svg (default: from the extension: .pb.gz/.pprof, "
	  ".folded/.txt, .svg)",
	  0 },
	{ "kernel", OPT_KERNEL, NULL, 0, "Include kernel frames (default)", 0 },
	{ "no-kernel", OPT_NO_KERNEL, NULL, 0, "Leave out kernel frames", 0 },
	{ "python", OPT_PYTHON, NULL, 0,
	  "Walk Python frames of CPython 3.8-3.14 targets (default)", 0 },
	{ "no-python", OPT_NO_PYTHON, NULL, 0,
	  "Native frames only, also for Python processes", 0 },
	{ "unwind", OPT_UNWIND, "MODE", 0,
	  "Native stacks: auto (default: .eh_frame tables where a file has "
	  "them, frame pointers elsewhere), dwarf (tables only) or fp (frame "
	  "pointers only)",
	  0 },
	{ "hide-interpreter", OPT_HIDE_INTERP, NULL, 0,
	  "Python stacks without the interpreter's own native frames (eval "
	  "loop, call helpers); C extensions and libraries stay",
	  0 },
	{ "event", 'e', "EVENT", 0,
	  "cpu-clock (default, software timer) or cycles (hardware PMU)", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "BYTES", 0,
	  "BPF ring buffer size, K/M suffixes allowed (default 256K per CPU, "
	  "1M to 64M)",
	  0 },
	{ "max-stacks", OPT_MAX_STACKS, "N", 0,
	  "Distinct stacks kept before new ones are counted as lost (default "
	  "65536)",
	  0 },
	{ "btf", OPT_BTF, "FILE", 0,
	  "Kernel BTF to use when the kernel has no /sys/kernel/btf/vmlinux",
	  0 },
	{ "top", OPT_TOP, "N", 0,
	  "Print the N functions with most self samples (default 10, 0: none)",
	  0 },
	{ "title", OPT_TITLE, "TEXT", 0, "Flame graph title", 0 },
	{ "verbose", 'v', NULL, 0, "More log output (repeat for debug)", 0 },
	{ "quiet", 'q', NULL, 0, "Only errors", 0 },
	{},
};

static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_size(const char *s, size_t *out)
{
	unsigned long long v, mult = 1;
	char buf[32], *end;
	size_t len = strlen(s);

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	end = &buf[len - 1];
	if (*end == 'K' || *end == 'k')
		mult = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mult = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mult = 1ull << 30;
	if (mult > 1)
		*end = '\0';
	if (parse_uint(buf, (1ull << 31) / mult, &v) || !v)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int parse_pids(struct args *a, const char *arg)
{
	char *dup = strdup(arg), *tok, *save = NULL;
	unsigned long long v;
	size_t i;
	int err = 0;

	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (parse_uint(tok, INT_MAX, &v) || !v) {
			err = -EINVAL;
			break;
		}
		for (i = 0; i < a->npids && a->pids[i] != v; i++)
			;
		if (i < a->npids)
			continue;
		if (a->npids == MAX_PIDS) {
			err = -E2BIG;
			break;
		}
		a->pids[a->npids++] = (uint32_t)v;
	}
	if (!err && !a->npids)
		err = -EINVAL;
	free(dup);
	return err;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct args *a = state->input;
	unsigned long long v;
	char *end;

	switch (key) {
	case 'p':
		if (parse_pids(a, arg))
			argp_error(state,
				   "invalid --pid '%s': expected PID or "
				   "PID,PID,... (positive numbers)",
				   arg);
		break;
	case 'a':
		a->all = true;
		break;
	case 'd':
		errno = 0;
		a->duration = strtod(arg, &end);
		if (errno || *end || !(a->duration > 0) ||
		    a->duration > 31536000)
			argp_error(state,
				   "invalid --duration '%s': seconds > 0", arg);
		break;
	case 'F':
		if (parse_uint(arg, 100000, &v) || !v)
			argp_error(state,
				   "invalid --frequency '%s': 1 to 100000 Hz",
				   arg);
		a->frequency = (unsigned int)v;
		break;
	case 'o':
		if (!*arg)
			argp_error(state, "empty --output");
		if (a->noutputs == MAX_OUTPUTS)
			argp_error(state, "at most %d --output files",
				   MAX_OUTPUTS);
		a->outputs[a->noutputs++] = arg;
		break;
	case 'f':
		if (output_format_from_name(arg, &a->format))
			argp_error(state,
				   "unknown --format '%s': pprof, folded "
				   "or svg",
				   arg);
		a->format_set = true;
		break;
	case OPT_KERNEL:
		a->kernel = true;
		break;
	case OPT_NO_KERNEL:
		a->kernel = false;
		break;
	case OPT_PYTHON:
		a->python = true;
		break;
	case OPT_SUBPROCESSES:
		a->subprocesses = true;
		break;
	case OPT_HIDE_INTERP:
		a->hide_interpreter = true;
		break;
	case OPT_UNWIND:
		if (!strcmp(arg, "auto"))
			a->unwind = SAMPLER_UNWIND_AUTO;
		else if (!strcmp(arg, "dwarf"))
			a->unwind = SAMPLER_UNWIND_DWARF;
		else if (!strcmp(arg, "fp"))
			a->unwind = SAMPLER_UNWIND_FP;
		else
			argp_error(state,
				   "invalid --unwind '%s': auto, dwarf "
				   "or fp",
				   arg);
		break;
	case OPT_NO_PYTHON:
		a->python = false;
		break;
	case 'e':
		if (!strcmp(arg, "cpu-clock"))
			a->event = SAMPLER_EVENT_CPU_CLOCK;
		else if (!strcmp(arg, "cycles"))
			a->event = SAMPLER_EVENT_CYCLES;
		else
			argp_error(state,
				   "unknown --event '%s': cpu-clock or "
				   "cycles",
				   arg);
		break;
	case OPT_RINGBUF:
		if (parse_size(arg, &a->ringbuf_bytes) ||
		    a->ringbuf_bytes < 4096)
			argp_error(state, "invalid --ringbuf-size '%s'", arg);
		break;
	case OPT_MAX_STACKS:
		if (parse_uint(arg, 1u << 24, &v) || !v)
			argp_error(state, "invalid --max-stacks '%s'", arg);
		a->max_stacks = v;
		break;
	case OPT_BTF:
		a->btf_path = arg;
		break;
	case OPT_TOP:
		if (parse_uint(arg, 100000, &v))
			argp_error(state, "invalid --top '%s'", arg);
		a->top = (unsigned int)v;
		break;
	case OPT_TITLE:
		a->title = arg;
		break;
	case 'v':
		a->verbose++;
		break;
	case 'q':
		a->quiet = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!a->all && !a->npids)
			argp_error(state, "say what to profile: --pid PID or "
					  "--all");
		if (a->all && a->npids)
			argp_error(state, "--pid and --all exclude each other");
		if (a->all && a->subprocesses)
			argp_error(state, "--subprocesses follows --pid "
					  "targets; --all already sees every "
					  "process");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	enum log_level mine = level == LIBBPF_WARN ? LOG_INFO : LOG_DEBUG;
	char line[1024];
	size_t len;

	if (mine > log_threshold)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	while (len && line[len - 1] == '\n')
		line[--len] = '\0';
	log_msg(mine, "libbpf: %s", line);
	return 0;
}

/* A thread id names its process: profile the whole thread group. */
static int resolve_tgid(uint32_t *pid)
{
	char path[64], line[256];
	unsigned long long tgid;
	FILE *f;
	int err = -ESRCH;

	snprintf(path, sizeof(path), "/proc/%u/status", *pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Tgid:", 5)) {
			line[strcspn(line, "\n")] = '\0';
			if (!parse_uint(line + 5 + strspn(line + 5, " \t"),
					INT_MAX, &tgid) &&
			    tgid) {
				*pid = (uint32_t)tgid;
				err = 0;
			}
			break;
		}
	}
	fclose(f);
	return err;
}

static int check_kernel(const struct args *a)
{
	if (a->btf_path) {
		if (access(a->btf_path, R_OK)) {
			log_error("cannot read BTF file %s: %s", a->btf_path,
				  strerror(errno));
			return -ENOENT;
		}
	} else if (access(SYSFS_BTF, R_OK)) {
		log_error("the kernel has no BTF (%s: %s): it needs "
			  "CONFIG_DEBUG_INFO_BTF=y, or pass --btf FILE",
			  SYSFS_BTF, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

static int check_bpf_support(void)
{
	int r = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_PERF_EVENT, NULL);

	if (r == -ENOSYS) {
		log_error("the kernel has no BPF system call "
			  "(CONFIG_BPF_SYSCALL=n)");
		return -ENOSYS;
	}
	if (r == 0) {
		log_error("the kernel cannot run BPF programs on perf events");
		return -EOPNOTSUPP;
	}
	r = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	if (r == 0) {
		log_error("the kernel has no BPF ring buffer: kernel 5.8 or "
			  "newer is required");
		return -EOPNOTSUPP;
	}
	return 0; /* a probe error (< 0) is left to the real load to explain */
}

static int check_targets(struct args *a)
{
	size_t i;
	int err;

	for (i = 0; i < a->npids; i++) {
		uint32_t asked = a->pids[i];

		err = resolve_tgid(&a->pids[i]);
		if (err == -ESRCH || err == -ENOENT) {
			log_error("no process with pid %u", asked);
			return err;
		}
		if (err) {
			log_error("cannot read /proc/%u: %s", asked,
				  strerror(-err));
			return err;
		}
		if (a->pids[i] != asked)
			log_info("pid %u is a thread of process %u: profiling "
				 "the whole process",
				 asked, a->pids[i]);
		if (a->pids[i] == (uint32_t)getpid()) {
			log_error("pid %u is zprofd itself", asked);
			return -EINVAL;
		}
		err = privileges_check_ptrace(a->pids[i]);
		if (err)
			return err;
	}
	return 0;
}

static const char *end_reason(enum capture_end e)
{
	switch (e) {
	case CAPTURE_END_SIGNAL:
		return "interrupted";
	case CAPTURE_END_TARGETS_EXITED:
		return "target exited";
	default:
		return "duration reached";
	}
}

static int write_profile(const struct args *a, enum output_format fmt,
			 struct outfile *of, const struct profile *p)
{
	struct flamegraph_opts fo = { .title = a->title };
	FILE *out = outfile__stream(of);

	switch (fmt) {
	case OUTPUT_PPROF:
		return pprof_write(p, out);
	case OUTPUT_FOLDED:
		return folded_write(p, out);
	case OUTPUT_SVG:
		return flamegraph_write(p, &fo, out);
	}
	return -EINVAL;
}

static const char *format_name(enum output_format f)
{
	return f == OUTPUT_PPROF ? "pprof" : f == OUTPUT_SVG ? "svg" : "folded";
}

int main(int argc, char **argv)
{
	static struct args a = {
		.frequency = 99,
		.kernel = true,
		.python = true,
		.max_stacks = 65536,
		.top = 10,
	};
	static const struct argp argp = { options, parse_opt, NULL, doc,
					  NULL,	   NULL,      NULL };
	struct capture_opts co;
	struct capture_result res;
	struct outfile *of[MAX_OUTPUTS] = {};
	struct profile *p = NULL;
	sigset_t mask;
	size_t i;
	int err;

	libbpf_set_print(libbpf_print);
	/* a subcommand with its own options; the one-shot CLI is the rest */
	if (argc > 1 && !strcmp(argv[1], "daemon"))
		return daemon_main(argc - 1, argv + 1);

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	log_set_level(a.quiet	       ? LOG_ERROR
		      : a.verbose >= 2 ? LOG_DEBUG
		      : a.verbose == 1 ? LOG_INFO
				       : LOG_WARN);

	if (!a.noutputs)
		a.outputs[a.noutputs++] = DEFAULT_OUTPUT;
	for (i = 0; i < a.noutputs; i++) {
		if (a.format_set)
			a.formats[i] = a.format;
		else if (!strcmp(a.outputs[i], "-"))
			a.formats[i] = OUTPUT_FOLDED;
		else if (output_format_from_path(a.outputs[i], &a.formats[i])) {
			log_error("cannot tell the format of '%s' from its "
				  "extension: use --format pprof|folded|svg",
				  a.outputs[i]);
			return 2;
		}
	}

	/*
	 * From here SIGINT/SIGTERM are taken through the capture's signalfd;
	 * blocked early so an interrupt during setup cannot leave a
	 * temporary output file behind.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	err = check_targets(&a);
	if (!err)
		err = check_kernel(&a);
	if (!err)
		err = privileges_check_bpf();
	if (!err)
		err = check_bpf_support();
	if (err)
		return 1;

	for (i = 0; i < a.noutputs; i++) {
		of[i] = outfile__open(a.outputs[i]);
		if (!of[i])
			goto fail;
	}
	p = profile__new();
	if (!p) {
		log_error("out of memory");
		goto fail;
	}

	co = (struct capture_opts){
		.all = a.all,
		.pids = a.pids,
		.npids = a.npids,
		.frequency = a.frequency,
		.duration_s = a.duration,
		.event = a.event,
		.kernel_stacks = a.kernel,
		.ringbuf_bytes = a.ringbuf_bytes,
		.max_stacks = a.max_stacks,
		.btf_path = a.btf_path,
		.python = a.python,
		.follow_children = a.subprocesses,
		.unwind = a.unwind,
		.hide_interpreter = a.hide_interpreter,
	};
	if (!a.quiet) {
		if (a.all)
			fprintf(stderr,
				"zprofd: profiling all processes at %u "
				"Hz",
				a.frequency);
		else
			fprintf(stderr, "zprofd: profiling pid %u%s at %u Hz",
				a.pids[0], a.npids > 1 ? " and others" : "",
				a.frequency);
		if (a.duration > 0)
			fprintf(stderr, " for %.1f s (Ctrl-C stops early)\n",
				a.duration);
		else
			fprintf(stderr, " until Ctrl-C\n");
	}
	err = capture_run(&co, p, &res);
	log_memory("capture");
	if (err)
		goto fail;

	for (i = 0; i < a.noutputs; i++) {
		err = write_profile(&a, a.formats[i], of[i], p);
		if (err) {
			log_error("encoding the %s profile for %s failed: %s",
				  format_name(a.formats[i]), a.outputs[i],
				  strerror(-err));
			goto fail;
		}
		err = outfile__commit(of[i]);
		log_memory("writing the output");
		of[i] = NULL;
		if (err)
			goto fail;
	}

	if (!a.quiet) {
		fprintf(stderr,
			"zprofd: %llu samples, %llu lost (ring buffer %llu, "
			"stack table %llu); %llu stacks; %.1f s on %d CPUs, "
			"%s\n",
			(unsigned long long)res.received,
			(unsigned long long)res.lost,
			(unsigned long long)res.lost_ringbuf,
			(unsigned long long)res.lost_agg,
			(unsigned long long)res.stacks,
			(double)res.duration_ns / 1e9, res.ncpus,
			end_reason(res.end));
		if (res.bpf_run_cnt && res.samples)
			log_info("in-kernel cost: %.0f ns per sample of the "
				 "targets (%llu runs, %llu ns in total, "
				 "kernel.bpf_stats_enabled)",
				 (double)res.bpf_run_ns / (double)res.samples,
				 (unsigned long long)res.bpf_run_cnt,
				 (unsigned long long)res.bpf_run_ns);
		if (res.py_samples)
			log_info("Python: %llu samples, %llu before their "
				 "thread was known, %llu walks cut short, %llu "
				 "deeper than the walker's limit",
				 (unsigned long long)res.py_samples,
				 (unsigned long long)res.py_miss,
				 (unsigned long long)res.py_read_errors,
				 (unsigned long long)res.py_truncated);
		if (res.py_probe_procs)
			log_info("Python threads: %llu started and %llu ended "
				 "seen by uprobes in %llu processes (%.0f ns "
				 "per hit in the kernel)",
				 (unsigned long long)res.py_ts_bound,
				 (unsigned long long)res.py_ts_cleared,
				 (unsigned long long)res.py_probe_procs,
				 res.probe_run_cnt
				     ? (double)res.probe_run_ns /
					   (double)res.probe_run_cnt
				     : 0.0);
		if (res.unw_samples || res.unw_tables)
			log_info(
			    "native stacks: %llu unwound with tables from "
			    "%llu files (%llu rows, built in %.1f ms, %llu "
			    "without tables); %llu complete, cut: %llu no "
			    "unwind info, %llu unknown pc, %llu read "
			    "errors, %llu too deep; %llu frame-pointer "
			    "steps; first complete stack %.0f ms after "
			    "start",
			    (unsigned long long)res.unw_samples,
			    (unsigned long long)res.unw_tables,
			    (unsigned long long)res.unw_rows,
			    (double)res.unw_build_ns / 1e6,
			    (unsigned long long)res.unw_build_errors,
			    (unsigned long long)res.unw_complete,
			    (unsigned long long)res.unw_noinfo,
			    (unsigned long long)res.unw_nomap,
			    (unsigned long long)res.unw_read,
			    (unsigned long long)res.unw_depth,
			    (unsigned long long)res.unw_fp,
			    (double)res.first_unwound_ns / 1e6);
		if (res.children || res.execs)
			log_info("followed %llu child processes, %llu execs",
				 (unsigned long long)res.children,
				 (unsigned long long)res.execs);
		if (res.kstack_errors || res.ustack_errors)
			fprintf(stderr,
				"zprofd: stack read errors: kernel %llu, user "
				"%llu\n",
				(unsigned long long)res.kstack_errors,
				(unsigned long long)res.ustack_errors);
		for (i = 0; i < a.noutputs; i++)
			if (strcmp(a.outputs[i], "-"))
				fprintf(
				    stderr, "zprofd: wrote %s profile to %s\n",
				    format_name(a.formats[i]), a.outputs[i]);
		if (a.top)
			top_print(p, a.top, stderr);
	}
	profile__free(p);
	return 0;

fail:
	for (i = 0; i < a.noutputs; i++)
		outfile__abort(of[i]);
	profile__free(p);
	return 1;
}
