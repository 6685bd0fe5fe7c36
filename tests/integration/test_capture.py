#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Profiles the cpu_split workload for real through the BPF sampler and
checks the numbers: call chain order, the 75/25 CPU split between two
leaves, sample totals against duration x frequency, thread names, kernel
frames, and that every output format is written and readable."""
import os
import re
import signal
import tempfile
import time
import xml.etree.ElementTree as ET

from ztest import (Tap, go_pprof, has_chain, parse_folded, share, start_workload,
                   stop, total, zprofd, zprofd_bg)

t = Tap()
tmp = tempfile.mkdtemp(prefix="zprofd-it-")
CHAIN = ("main", "run_workload", "dispatch")

# 1. Folded to stdout: chain and split, sample count.
w = start_workload("split", 8, 75)
r = zprofd("--pid", w.pid, "--duration", 4, "--frequency", 199, "--output", "-")
stop(w)
t.ok(r.returncode == 0, "capture --output - exits 0", r.stderr)
stacks = parse_folded(r.stdout)
n = total(stacks)
t.diag("samples: %d, stacks: %d" % (n, len(stacks)))
expected = 4 * 199
t.ok(abs(n - expected) <= 0.1 * expected,
     "sample count %d within 10%% of duration x frequency (%d)" % (n, expected))
hot = share(stacks, lambda f: f[-1] == "leaf_hot")
cold = share(stacks, lambda f: f[-1] == "leaf_cold")
t.diag("leaf_hot %.1f%%, leaf_cold %.1f%%" % (100 * hot, 100 * cold))
t.ok(abs(hot - 0.75) <= 0.08, "leaf_hot share %.3f within 0.75 +- 0.08" % hot)
t.ok(abs(cold - 0.25) <= 0.08, "leaf_cold share %.3f within 0.25 +- 0.08" % cold)
chained = share(stacks, lambda f: has_chain(f, CHAIN + (f[-1],)) and f[-1] in ("leaf_hot", "leaf_cold"))
t.ok(chained >= 0.9, "main;run_workload;dispatch;leaf in order in %.1f%% of samples" % (100 * chained),
     "\n".join("%s %d" % (";".join(f), c) for f, c in sorted(stacks.items(), key=lambda x: -x[1])[:10]))
t.ok(all(f[0] == "cpu_split" for f in stacks), "root frame is the process name")
t.ok("samples" in r.stderr and "lost" in r.stderr, "summary line reports samples and lost", r.stderr)
m = re.search(r"(\d+) samples, (\d+) lost", r.stderr)
t.ok(m is not None and int(m.group(1)) == n and int(m.group(2)) == 0,
     "summary counts match the output and nothing was lost", r.stderr)

# 2. pprof: read back by the real go tool pprof.
w = start_workload("split", 8, 75)
pb = os.path.join(tmp, "cpu.pb.gz")
r = zprofd("-p", w.pid, "-d", 3, "-F", 199, "-o", pb)
stop(w)
t.ok(r.returncode == 0 and os.path.getsize(pb) > 0, "pprof capture written", r.stderr)
top = go_pprof("-top", "-nodecount=20", pb)
t.ok(top.returncode == 0, "go tool pprof -top reads the profile", top.stderr)
flat = {}
for line in top.stdout.splitlines():
    m = re.match(r"\s*([\d.]+)(\w*)\s+([\d.]+)%\s+[\d.]+%\s+[\d.]+\w*\s+[\d.]+%\s+(.+)$", line)
    if m:
        flat[m.group(4).strip()] = float(m.group(3))
t.diag("pprof flat%%: %s" % {k: v for k, v in flat.items() if v > 1})
t.ok(abs(flat.get("leaf_hot", 0) - 75) <= 8 and abs(flat.get("leaf_cold", 0) - 25) <= 8,
     "go tool pprof -top: leaf_hot ~75%, leaf_cold ~25%", top.stdout)
raw = go_pprof("-raw", pb)
t.ok("pid:[%d]" % w.pid in raw.stdout.replace(" ", "") or ("pid" in raw.stdout and str(w.pid) in raw.stdout),
     "pprof samples carry the pid label", raw.stdout[:2000])
t.ok("thread_name" in raw.stdout and "comm" in raw.stdout, "pprof samples carry comm and thread_name labels",
     raw.stdout[:2000])
t.ok("cpu_split" in raw.stdout, "pprof mappings name the executable", raw.stdout[-3000:])
t.ok("samples/count" in raw.stdout and "cpu/nanoseconds" in raw.stdout, "sample types samples/count and cpu/nanoseconds",
     raw.stdout[:800])

# 3. SVG: well-formed XML with the functions in it.
w = start_workload("split", 8, 75)
svg = os.path.join(tmp, "cpu.svg")
r = zprofd("-p", w.pid, "-d", 2, "-o", svg)
stop(w)
t.ok(r.returncode == 0, "svg capture exits 0", r.stderr)
try:
    root = ET.parse(svg).getroot()
    text = open(svg, encoding="utf-8").read()
    t.ok(root.tag.endswith("svg"), "flame graph parses as XML with an <svg> root")
    t.ok("leaf_hot" in text and "dispatch" in text and "<script" in text,
         "flame graph holds the frames and its script")
except Exception as e:  # noqa: BLE001 - any parse failure is the finding
    t.ok(False, "flame graph parses as XML", e)
    t.ok(False, "flame graph holds the frames and its script")

# 4. Threads: both named threads appear with their own functions.
w = start_workload("threads", 6)
r = zprofd("-p", w.pid, "-d", 2, "-o", "-")
stop(w)
stacks = parse_folded(r.stdout)
hot_t = share(stacks, lambda f: "thread_hot" in f)
cold_t = share(stacks, lambda f: "thread_cold" in f)
t.ok(hot_t > 0.3 and cold_t > 0.3, "both threads sampled (%.2f / %.2f)" % (hot_t, cold_t), r.stdout[:2000])
pb = os.path.join(tmp, "threads.pb.gz")
w = start_workload("threads", 6)
r = zprofd("-p", w.pid, "-d", 2, "-o", pb)
stop(w)
raw = go_pprof("-raw", pb).stdout
t.ok("worker-hot" in raw and "worker-cold" in raw, "thread names become pprof labels", raw[:3000])
t.ok(len(set(re.findall(r"tid:\[(\d+)\]", raw.replace(" ", "")))) >= 2 or raw.count("tid") >= 2,
     "samples are labelled with distinct tids")

# 5. Kernel frames on top of user frames; --no-kernel removes them.
w = start_workload("syscalls", 6)
r = zprofd("-p", w.pid, "-d", 2, "-o", "-")
kr = zprofd("-p", w.pid, "-d", 1, "--no-kernel", "-o", "-")
stop(w)
stacks = parse_folded(r.stdout)
kern = share(stacks, lambda f: f[-1].endswith("_[k]"))
t.diag("syscall workload: %.1f%% of samples end in a kernel frame" % (100 * kern))
t.ok(kern > 0.3, "kernel frames (_[k]) at the leaf for a syscall-heavy process")
def kernel_is_leaf_suffix(f):
    ks = [i for i, fr in enumerate(f) if fr.endswith("_[k]")]
    return not ks or (ks == list(range(ks[0], len(f))) and "main" in f[:ks[0]])


# libc's read() has no frame pointer, so the frame-pointer walk skips its
# caller (syscall_loop); main must still be there, below every kernel frame.
t.ok(all(kernel_is_leaf_suffix(f) for f in stacks) and share(stacks, lambda f: "main" in f) > 0.9,
     "kernel frames sit above the user frames (root -> main -> ... -> kernel leaf)",
     "\n".join(";".join(f) for f in stacks))
t.ok(kr.returncode == 0 and not any(fr.endswith("_[k]") for f in parse_folded(kr.stdout) for fr in f),
     "--no-kernel leaves kernel frames out", kr.stdout[:1000])
t.ok(any(fr.startswith("entry_SYSCALL") or fr.startswith("do_syscall") or "sys_read" in fr
         for f in stacks for fr in f), "kernel symbols resolved from kallsyms")

# 6. Target exits mid-capture: output still written, capture ends early.
w = start_workload("split", 1.5, 75)
out = os.path.join(tmp, "exit.folded")
t0 = time.time()
r = zprofd("-p", w.pid, "-d", 20, "-o", out)
el = time.time() - t0
w.wait()
t.ok(r.returncode == 0 and os.path.exists(out), "target exiting mid-capture: exit 0 and output written", r.stderr)
t.ok(el < 8, "capture ends when the target exits (%.1fs)" % el)
st = parse_folded(open(out).read()) if os.path.exists(out) else {}
t.ok(share(st, lambda f: f[-1] == "leaf_hot") > 0.5, "exited target's frames are still symbolized",
     open(out).read()[:1000] if os.path.exists(out) else "")

# 7. SIGINT and SIGTERM end the capture and keep everything.
for sig in (signal.SIGINT, signal.SIGTERM):
    w = start_workload("split", 30, 75)
    out = os.path.join(tmp, "sig%d.folded" % sig)
    p = zprofd_bg("-p", w.pid, "-o", out)
    time.sleep(2.5)
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=20)
    except Exception:  # noqa: BLE001
        p.kill()
        _, err = p.communicate()
    stop(w)
    st = parse_folded(open(out).read()) if os.path.exists(out) else {}
    t.ok(p.returncode == 0 and total(st) >= 150,
         "%s: exit 0 and the %d samples collected are written" % (signal.Signals(sig).name, total(st)), err)
    t.ok(not [f for f in os.listdir(tmp) if f.startswith(".")], "no temporary file left behind")

# 8. --all finds the workload among every process.
w = start_workload("split", 6, 75)
all_pb = os.path.join(tmp, "all.pb.gz")
p = zprofd_bg("--all", "-d", 2, "-o", "-", "-o", all_pb)
out, err = p.communicate(timeout=120)
stop(w)
st = parse_folded(out)
mine = {f: c for f, c in st.items() if f[0] == "cpu_split"}
t.ok(p.returncode == 0 and total(mine) > 100, "--all captures the workload (%d samples)" % total(mine), err)
t.ok(share(mine, lambda f: f[-1] == "leaf_hot") > 0.6, "--all symbolizes the workload")
# by pid: another zprofd on the machine (a daemon) is fair game
raw = go_pprof("-raw", all_pb)
t.ok(raw.returncode == 0 and "pid:[%d]" % p.pid not in raw.stdout and "pid:[" in raw.stdout,
     "--all leaves zprofd itself out", raw.stderr)

# 9. A stripped binary: frames render as module+0xOFFSET, never dropped.
stripped = os.path.join(tmp, "cpu_split_stripped")
os.system("strip -s -o %s %s" % (stripped, os.path.join(os.environ.get("B", "build"), "workloads", "cpu_split")))
import subprocess  # noqa: E402
w = subprocess.Popen([stripped, "split", "6", "75"])
time.sleep(0.3)
r = zprofd("-p", w.pid, "-d", 2, "-o", "-")
stop(w)
st = parse_folded(r.stdout)
t.ok(share(st, lambda f: re.match(r"cpu_split_stripped\+0x[0-9a-f]+$", f[-1]) is not None) > 0.9,
     "stripped binary frames read cpu_split_stripped+0xOFFSET", r.stdout[:1500])
t.ok(share(st, lambda f: len(f) >= 5) > 0.9, "no frame of the stripped binary is dropped")

t.done()
