#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Bad input and faults: each gets one clear error line naming the problem,
a non-zero exit, and never a crash or a partial output file."""
import os
import subprocess
import tempfile
import time

from ztest import Tap, start_workload, stop, zprofd

t = Tap()
tmp = tempfile.mkdtemp(prefix="zprofd-err-")
w = start_workload("split", 120, 75)
pid = w.pid


def expect(args, code, needle, name, **kw):
    t0 = time.time()
    r = zprofd(*args, **kw)
    el = time.time() - t0
    err = r.stderr.strip()
    crashed = r.returncode < 0 or "Sanitizer" in r.stderr or "runtime error" in r.stderr
    t.ok(r.returncode == code and needle.lower() in err.lower() and not crashed,
         "%s: exit %d, says '%s'" % (name, code, needle),
         "exit %d (%.1fs)\n%s" % (r.returncode, el, r.stderr))
    return r, el


# pids
expect(["--pid", "999999999", "-d", "1", "-o", "-"], 1, "no process with pid 999999999", "pid that does not exist")
free_pid = 4194000
while os.path.exists("/proc/%d" % free_pid):
    free_pid -= 1
expect(["--pid", str(free_pid), "-d", "1", "-o", "-"], 1, "no process with pid", "unused pid")
expect(["--pid", "abc"], 2, "invalid --pid", "pid not a number")
expect(["--pid", "-5"], 2, "invalid --pid", "negative pid")
expect(["--pid", "0"], 2, "invalid --pid", "pid zero")
expect([], 2, "--pid PID or --all", "nothing to profile")
expect(["--pid", str(pid), "--all"], 2, "exclude each other", "--pid with --all")

# option values
expect(["--bogus"], 2, "unrecognized option", "unknown option")
expect(["--pid", str(pid), "--frequency", "0"], 2, "invalid --frequency", "frequency zero")
expect(["--pid", str(pid), "--frequency", "fast"], 2, "invalid --frequency", "frequency not a number")
expect(["--pid", str(pid), "--frequency", "1000001"], 2, "invalid --frequency", "frequency too high")
expect(["--pid", str(pid), "--duration", "-1"], 2, "invalid --duration", "negative duration")
expect(["--pid", str(pid), "--duration", "abc"], 2, "invalid --duration", "duration not a number")
expect(["--pid", str(pid), "--format", "xml"], 2, "unknown --format", "unknown format")
expect(["--pid", str(pid), "--event", "instructions"], 2, "unknown --event", "unknown event")
expect(["--pid", str(pid), "--ringbuf-size", "12x"], 2, "invalid --ringbuf-size", "bad ring buffer size")
expect(["--pid", str(pid), "-o", os.path.join(tmp, "out.xyz")], 2, "cannot tell the format", "unknown extension")
expect(["--pid", str(pid), "extra"], 2, "unexpected argument", "stray argument")

# output paths, checked before sampling starts (so: quickly)
r, el = expect(["--pid", str(pid), "-d", "30", "-o", "/nonexistent-dir/x.pb.gz"], 1,
               "cannot write output /nonexistent-dir/x.pb.gz", "output directory missing")
t.ok(el < 5, "unwritable output refused before sampling (%.1fs < 5s)" % el)
ro = os.path.join(tmp, "ro")
os.mkdir(ro)
subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", ro], check=False)
expect(["--pid", str(pid), "-d", "30", "-o", os.path.join(ro, "x.svg")], 1, "cannot write output",
       "read-only file system")
subprocess.run(["umount", ro], check=False)
r, _ = expect(["--pid", str(pid), "-d", "1", "-o", "/dev/full", "--format", "pprof"], 1, "failed",
              "disk full while writing (/dev/full)")
t.ok(os.path.exists("/dev/full") and not os.path.isfile("/dev/full"), "/dev/full left a device")
full = os.path.join(tmp, "full")
os.mkdir(full)
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", full], check=False)
with open(os.path.join(full, "filler"), "wb") as f:
    try:
        f.write(b"x" * 15000)
    except OSError:
        pass
expect(["--pid", str(pid), "-d", "1", "-o", os.path.join(full, "x.svg")], 1, "failed", "small tmpfs fills up")
t.ok(not [f for f in os.listdir(full) if f != "filler"], "no partial or temporary file left on the full disk",
     os.listdir(full))
subprocess.run(["umount", full], check=False)

# kernel support
expect(["--pid", str(pid), "-d", "1", "--btf", "/nonexistent.btf", "-o", "-"], 1, "cannot read BTF file",
       "BTF file missing")
garbage = os.path.join(tmp, "garbage.btf")
open(garbage, "wb").write(b"\0" * 64)
expect(["--pid", str(pid), "-d", "1", "--btf", garbage, "-o", "-"], 1, "cannot use BTF file", "BTF file malformed")
has_pmu = os.path.exists("/sys/bus/event_source/devices/cpu/events/cpu-cycles")
if has_pmu:
    r = zprofd("--pid", pid, "-d", "1", "--event", "cycles", "-o", "-")
    t.ok(r.returncode == 0, "--event cycles works on a machine with a PMU", r.stderr)
else:
    expect(["--pid", str(pid), "-d", "1", "--event", "cycles", "-o", "-"], 1, "not supported on this machine",
           "--event cycles without a PMU")

# privileges: root without the capabilities, and an unprivileged user
setpriv = ["setpriv", "--inh-caps=-all"]
cmd = setpriv + ["--bounding-set=-bpf,-sys_admin", os.path.join(os.environ.get("B", "build"), "zprofd")]
r = subprocess.run(cmd + ["--pid", str(pid), "-d", "1", "-o", "-"], capture_output=True, text=True, timeout=60)
t.ok(r.returncode == 1 and "missing capability CAP_BPF" in r.stderr, "root without CAP_BPF: names CAP_BPF", r.stderr)
cmd = setpriv + ["--bounding-set=-perfmon,-sys_admin", os.path.join(os.environ.get("B", "build"), "zprofd")]
r = subprocess.run(cmd + ["--pid", str(pid), "-d", "1", "-o", "-"], capture_output=True, text=True, timeout=60)
t.ok(r.returncode == 1 and "missing capability CAP_PERFMON" in r.stderr, "root without CAP_PERFMON: names CAP_PERFMON",
     r.stderr)
nobody = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           os.path.join(os.environ.get("B", "build"), "workloads", "cpu_split"), "sleep", "60"])
time.sleep(0.3)
cmd = setpriv + ["--bounding-set=-sys_ptrace", os.path.join(os.environ.get("B", "build"), "zprofd")]
r = subprocess.run(cmd + ["--pid", str(nobody.pid), "-d", "1", "-o", "-"], capture_output=True, text=True, timeout=60)
t.ok(r.returncode == 1 and "missing capability CAP_SYS_PTRACE" in r.stderr,
     "other user's process without CAP_SYS_PTRACE: names CAP_SYS_PTRACE", r.stderr)
stop(nobody)
cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
       os.path.join(os.environ.get("B", "build"), "zprofd")]
r = subprocess.run(cmd + ["--pid", str(pid), "-d", "1", "-o", "/tmp/zprofd-nobody.folded"], capture_output=True,
                   text=True, timeout=60)
t.ok(r.returncode == 1 and "missing capability" in r.stderr, "unprivileged user: names the missing capability",
     r.stderr)

# a thread id is accepted and resolves to its process
w2 = start_workload("threads", 10)
time.sleep(0.3)
tids = [int(x) for x in os.listdir("/proc/%d/task" % w2.pid) if int(x) != w2.pid]
r = zprofd("--pid", tids[0] if tids else w2.pid, "-d", 1, "-o", "-", "-v")
stop(w2)
t.ok(r.returncode == 0 and "thread_" in r.stdout, "a thread id profiles its whole process", r.stderr)

t.ok(not [f for f in os.listdir(tmp) if f.startswith(".")], "no temporary output files left anywhere in the test dir",
     os.listdir(tmp))
stop(w)
t.done()
