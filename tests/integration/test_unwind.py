#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Native stacks without frame pointers, unwound in the kernel with tables
built from .eh_frame: a known call chain and split in a -O2
-fomit-frame-pointer program, a qsort callback through libc, a signal
handler frame, a PLT stub, a library dlopen'ed after the capture started, a stripped
binary, and the same program under --unwind fp (which must lose the chain,
so the first checks cannot pass without the tables)."""
import os
import re
import subprocess
import time

from ztest import B, Tap, parse_folded, share, stop, total, zprofd

t = Tap()
NOFP = os.path.join(B, "workloads", "nofp_chain")
CHAIN = ["main", "run_chain", "level_one", "level_two"]


def run(mode, secs, capture, *extra, binary=NOFP, freq=499):
    w = subprocess.Popen([binary, mode, str(secs)])
    time.sleep(0.3)
    r = zprofd("--pid", w.pid, "-d", capture, "-F", freq, "-o", "-", "-v", *extra)
    stop(w)
    return r, parse_folded(r.stdout)


def chain_at(frames, chain):
    """Index after CHAIN appears contiguous in FRAMES, else -1."""
    for i in range(len(frames) - len(chain) + 1):
        if list(frames[i:i + len(chain)]) == chain:
            return i + len(chain)
    return -1


def full_chain(f):
    i = chain_at(f, CHAIN)
    return i > 0 and f[i:i + 2] in (("leaf_a", "burn"), ("leaf_b", "burn")) and f[1] == "_start"


# 1. the call chain from _start down, in order, and the 2:1 split
r, st = run("chain", 6, 3)
full = share(st, full_chain)
t.ok(r.returncode == 0 and full >= 0.9,
     "-O2 -fomit-frame-pointer: _start -> main -> run_chain -> level_one -> level_two -> leaf -> burn "
     "in %.1f%% of %d samples" % (100 * full, total(st)), r.stderr + "\n" + "\n".join(
         "%s %d" % (";".join(f), c) for f, c in sorted(st.items(), key=lambda x: -x[1])[:6]))
a = share(st, lambda f: "leaf_a" in f)
b = share(st, lambda f: "leaf_b" in f)
t.ok(a + b > 0.9 and abs(a / max(a + b, 1e-9) - 2 / 3) < 0.07,
     "leaf_a : leaf_b is 2 : 1 of the work (%.3f of the two)" % (a / max(a + b, 1e-9)))
m = re.search(r"native stacks: (\d+) unwound with tables .*?; (\d+) complete", r.stderr)
t.ok(m and int(m.group(1)) > 0 and int(m.group(2)) >= 0.95 * int(m.group(1)),
     "the walker reports its stacks complete (%s of %s)" % (m.group(2) if m else "?", m.group(1) if m else "?"),
     r.stderr)

# 2. frame pointers only: the same program loses its callers
r, st = run("chain", 4, 2, "--unwind", "fp")
fp_full = share(st, full_chain)
t.ok(r.returncode == 0 and fp_full < 0.5,
     "--unwind fp cannot recover that chain (%.1f%%): the tables are what does" % (100 * fp_full))

# 3. a callback from libc, which has no frame pointers either
r, st = run("qsort", 5, 3)
cb = {f: c for f, c in st.items() if "cmp_slow" in f}
ok = share(cb, lambda f: chain_at(f, ["main", "run_qsort"]) > 0 and "qsort_r" in f
           and f.index("qsort_r") < f.index("cmp_slow"))
t.ok(total(cb) > 0.5 * total(st) and ok >= 0.9,
     "qsort callback: main -> run_qsort -> qsort_r (libc) -> ... -> cmp_slow in %.1f%%" % (100 * ok))

# 4. through the kernel's signal frame into the interrupted code
r, st = run("signal", 5, 3)
h = {f: c for f, c in st.items() if "in_handler" in f}
ok = share(h, lambda f: chain_at(f, ["main", "run_signal", "spin"]) > 0
           and f.index("spin") < f.index("on_prof") < f.index("in_handler"))
t.ok(total(h) >= 20 and ok >= 0.9,
     "signal handler: main -> run_signal -> spin -> <signal frame> -> on_prof -> in_handler "
     "in %.1f%% of %d samples" % (100 * ok, total(h)))

# 5. a library mapped after the capture started
r, st = run("dlopen", 5, 4)
z = {f: c for f, c in st.items() if any(x.startswith("crc32") for x in f)}
ok = share(z, lambda f: chain_at(f, ["main", "run_dlopen"]) > 0)
t.ok(total(z) > 100 and ok >= 0.9,
     "dlopen'ed after the start: main -> run_dlopen -> crc32 (libz) in %.1f%% of %d samples" % (100 * ok, total(z)),
     r.stderr)

# 6. ticks inside a PLT stub (its CFA depends on where in the stub rip is)
r, st = run("plt", 4, 2, freq=999)
stub = {f: c for f, c in st.items() if f[-1].startswith("nofp_chain+0x")}
ok = share(stub, lambda f: f[-2] == "run_plt" and chain_at(f, ["main", "run_plt"]) > 0 and f[1] == "_start")
t.ok(total(stub) >= 50 and ok >= 0.9,
     "in a PLT stub: _start -> main -> run_plt -> labs@plt in %.1f%% of %d samples" % (100 * ok, total(stub)),
     r.stderr)

# 7. a stripped binary: no names, but the stack is just as deep
r, st = run("chain", 5, 2, binary=NOFP + "_stripped")
deep = share(st, lambda f: "__libc_start_call_main" in f and len(f) >= 10)
t.ok(r.returncode == 0 and deep >= 0.9,
     "stripped binary: stacks still reach __libc_start_call_main, 9+ frames deep (%.1f%%)" % (100 * deep))

t.done()
