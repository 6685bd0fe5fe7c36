#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Runs `zprofd daemon` for real against a native and a Python workload and
checks the service end to end: readiness, /healthz, /metrics (through
promtool), windows on disk readable by go tool pprof, /processes JSON, a
live /debug/pprof/profile capture that does not block /metrics, request
validation, merged and filtered history from /profiles (also after a
restart on the same state directory), the bearer token, SIGHUP reload,
SIGTERM storing the partial window, and a bad config file refused with
FILE:LINE."""
import glob
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time

from ztest import ROOT, WORKLOAD, ZPROFD, Daemon, Tap, free_port, go_pprof, stop

t = Tap()
tmp = tempfile.mkdtemp(prefix="zprofd-daemon-")
PYWORK = os.path.join(ROOT, "tests", "workloads", "py_workload.py")
WINDOW = 2


def pyenv_python():
    found = sorted(glob.glob("/root/.pyenv/versions/3.1[0-3].*/bin/python3.1?"))
    return found[-1] if found else None


def pprof_top(data, name):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return go_pprof("-top", "-nodecount=30", path)


# 1. A bad config file is refused before anything starts.
bad = os.path.join(tmp, "bad.conf")
with open(bad, "w") as f:
    f.write("[daemon]\nfrequency = 19\nwindow = forever\n")
r = subprocess.run([ZPROFD, "daemon", "--config", bad, "--state-dir", os.path.join(tmp, "never")],
                   capture_output=True, text=True, timeout=30)
t.ok(r.returncode == 2, "bad config file: exit 2", r.stderr)
t.ok("%s:3:" % bad in r.stderr, "bad config file: FILE:LINE in the message", r.stderr)
t.ok(not os.path.exists(os.path.join(tmp, "never")), "bad config file: nothing created")
r = subprocess.run([ZPROFD, "daemon", "--window", "0"], capture_output=True, text=True, timeout=30)
t.ok(r.returncode == 2 and "--window" in r.stderr, "bad --window: exit 2 naming the flag", r.stderr)

# 2. The service against running workloads.
w = subprocess.Popen([WORKLOAD, "split", "120", "75"])
py = pyenv_python()
pw = subprocess.Popen([py, PYWORK, "split", "120"]) if py else None
# A workload in a cgroup named as docker's systemd driver names containers
# (cgroup v1 cpu hierarchy on this host, v2 where that is all there is), so
# the container labels and the container filter are checked for real.
CID = "c0ffee" + "0123456789abcdef" * 3 + "0123456789"
cgdir = None
for base in ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
    if os.path.exists(os.path.join(base, "cgroup.procs")):
        cgdir = os.path.join(base, "zprofd-test-%d" % os.getpid(), "docker-%s.scope" % CID)
        break
w2 = subprocess.Popen([WORKLOAD, "split", "120", "50"])
try:
    os.makedirs(cgdir)
    with open(os.path.join(cgdir, "cgroup.procs"), "w") as f:
        f.write(str(w2.pid))
except (OSError, TypeError) as e:
    t.diag("cannot make a container-like cgroup (%s): container checks skipped" % e)
    cgdir = None
conf = os.path.join(tmp, "zprofd.conf")
with open(conf, "w") as f:
    f.write("[daemon]\nkernel_stacks = true\n[retention]\nmax_age = 7d\n")
d = Daemon(tmp, "--config", conf, window=WINDOW)
t0 = time.time()
t.ok(d.wait_ready(), "daemon logs it is ready", d.stderr())
status, body, _ = d.get("/healthz")
t.ok(status == 200 and body == b"ok\n", "/healthz 200 ok", body)

time.sleep(2 * WINDOW + 1.5)
status, body, hdr = d.get("/metrics")
metrics = body.decode()
t.ok(status == 200 and "text/plain" in hdr.get("Content-Type", ""), "/metrics 200 text/plain", status)
pc = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True, text=True)
t.ok(pc.returncode == 0, "/metrics passes promtool check metrics", pc.stdout + pc.stderr)


def metric(name):
    m = re.search(r"^%s (\S+)$" % re.escape(name), metrics, re.M)
    return float(m.group(1)) if m else None


t.ok((metric("zprofd_samples_total") or 0) > 0, "zprofd_samples_total > 0", metrics)
t.ok((metric("zprofd_windows_written_total") or 0) >= 2, "zprofd_windows_written_total >= 2")
for name in ("zprofd_processes_tracked", "zprofd_python_processes", "zprofd_stacks_in_window",
             "zprofd_window_write_errors_total", 'zprofd_samples_lost_total{reason="ringbuf"}',
             "zprofd_store_bytes", "zprofd_store_windows", "zprofd_store_evicted_total",
             "process_cpu_seconds_total", "process_resident_memory_bytes"):
    t.ok(metric(name) is not None, "/metrics has %s" % name)

wins = d.windows()
t.ok(len(wins) >= 2, "at least 2 windows on disk after %.1f s: %d" % (time.time() - t0, len(wins)),
     os.listdir(d.state))
if wins:
    # windows are contiguous: each starts where the previous ended
    ranges = [tuple(int(x) for x in re.findall(r"\d{13}", f)) for f in wins]
    t.ok(all(a[1] == b[0] for a, b in zip(ranges, ranges[1:])), "windows are contiguous", wins)
    t.ok(all(abs((e - s) - WINDOW * 1000) < 500 for s, e in ranges), "windows last ~%d s" % WINDOW, ranges)
    top = go_pprof("-top", "-nodecount=40", os.path.join(d.state, wins[-1]))
    t.ok(top.returncode == 0 and "leaf_hot" in top.stdout, "go tool pprof -top on a window shows leaf_hot",
         top.stdout + top.stderr)
    if pw:
        t.ok("work_a" in top.stdout or "split" in top.stdout,
             "the window shows the Python workload's functions", top.stdout)

status, body, hdr = d.get("/processes")
try:
    procs = json.loads(body)
except ValueError as e:
    procs = []
    t.diag("bad JSON: %s" % e)
t.ok(status == 200 and "json" in hdr.get("Content-Type", ""), "/processes 200 application/json")
mine = [p for p in procs if p.get("pid") == w.pid]
t.ok(len(mine) == 1 and mine[0]["comm"] == "cpu_split" and mine[0]["exe"].endswith("cpu_split"),
     "/processes lists the workload with comm and exe", body[:2000])
t.ok(bool(mine) and mine[0]["samples_total"] > 0, "/processes counts the workload's samples", mine)
t.ok(bool(mine) and re.fullmatch(r"[0-9a-f]{16,128}", mine[0].get("build_id", "")) is not None,
     "/processes gives the executable's build-id", mine)
t.ok(not any(p.get("pid") == d.p.pid for p in procs), "the daemon does not sample itself")
if cgdir:
    c = [p for p in procs if p.get("pid") == w2.pid]
    t.ok(len(c) == 1 and c[0]["container_id"] == CID, "/processes: container id from the cgroup", c)

# A second daemon on the same port or the same state directory is refused
# at once, before it loads anything.
r = subprocess.run([ZPROFD, "daemon", "--state-dir", os.path.join(tmp, "other"), "--listen",
                    "127.0.0.1:%d" % d.port], capture_output=True, text=True, timeout=30)
t.ok(r.returncode == 1 and "127.0.0.1:%d" % d.port in r.stderr, "a taken port: exit 1 naming the address",
     r.stderr)
r = subprocess.run([ZPROFD, "daemon", "--state-dir", d.state, "--listen", "127.0.0.1:%d" % free_port()],
                   capture_output=True, text=True, timeout=30)
t.ok(r.returncode == 1 and "in use by another zprofd" in r.stderr, "a state directory in use: exit 1",
     r.stderr)

# 3. Live capture: concurrent /metrics is not blocked while it runs.
result = {}


def capture():
    result["r"] = d.get("/debug/pprof/profile?seconds=2&pid=%d" % w.pid)


th = threading.Thread(target=capture)
th.start()
time.sleep(0.5)
t1 = time.time()
status, _, _ = d.get("/metrics")
dt = time.time() - t1
t.ok(status == 200 and dt < 1.0, "/metrics answers in %.3f s during a capture" % dt)
status, body, _ = d.get("/debug/pprof/profile?seconds=1")
t.ok(status == 429, "a second concurrent capture is refused with 429", status)
th.join(30)
status, body, hdr = result.get("r", (0, b"", {}))
t.ok(status == 200 and body[:2] == b"\x1f\x8b", "/debug/pprof/profile?seconds=2 returns gzipped pprof", status)
top = pprof_top(body, "capture.pb.gz")
t.ok(top.returncode == 0 and "leaf_hot" in top.stdout and "leaf_cold" in top.stdout,
     "go tool pprof reads the capture and shows the workload", top.stdout + top.stderr)
m = re.search(r"Duration: ([\d.]+)s", top.stdout)
t.ok(m is not None and 1.5 <= float(m.group(1)) <= 3.0, "capture duration ~2 s", top.stdout[:600])
t.ok("work_a" not in top.stdout, "pid= keeps other processes out of the capture", top.stdout)
top = go_pprof("-seconds", "2", "-top", d.base + "/debug/pprof/profile?pid=%d" % w.pid)
t.ok(top.returncode == 0 and "leaf_hot" in top.stdout, "go tool pprof -seconds 2 fetches a live capture itself",
     top.stdout + top.stderr)

# 4. Malformed requests.
for path, want in (("/debug/pprof/profile?seconds=0", 400), ("/debug/pprof/profile?seconds=61", 400),
                   ("/debug/pprof/profile?seconds=abc", 400), ("/debug/pprof/profile?pid=-3", 400),
                   ("/debug/pprof/profile?seconds=1&bogus=1", 400), ("/metrics?x=1", 400),
                   ("/processes?seconds=1", 400), ("/nope", 404), ("/metrics/", 404)):
    status, body, _ = d.get(path)
    t.ok(status == want, "%s -> %d (got %d: %s)" % (path, want, status, body[:80]))

# 5. /profiles: stored windows merged, filtered, in two formats.
status, body, hdr = d.get("/profiles?from=0")
nwin = int(hdr.get("X-Zprofd-Windows", "0")) if status == 200 else 0
t.ok(status == 200 and nwin >= 2, "/profiles?from=0 merges every stored window (%d)" % nwin, body[:200])
top = pprof_top(body, "merged.pb.gz")
t.ok(top.returncode == 0 and "leaf_hot" in top.stdout, "go tool pprof reads the merged profile",
     top.stdout + top.stderr)
m = re.search(r"Duration: ([\d.]+)s", top.stdout)
t.ok(m is not None and float(m.group(1)) >= nwin * WINDOW - 1,
     "merged duration covers the windows (%s s)" % (m.group(1) if m else "?"), top.stdout[:600])
raw = go_pprof("-raw", os.path.join(tmp, "merged.pb.gz"))
t.ok("exe:[%s]" % WORKLOAD in raw.stdout and "cgroup:[" in raw.stdout,
     "samples carry exe and cgroup labels", raw.stdout[:3000])
notes = subprocess.run(["readelf", "-n", WORKLOAD], capture_output=True, text=True).stdout
bid = re.search(r"Build ID: ([0-9a-f]+)", notes)
t.ok(bid is not None and "build_id:[%s]" % bid.group(1) in raw.stdout,
     "samples carry the executable's build-id (%s)" % (bid.group(1) if bid else "none"),
     raw.stdout[:1500])
status, body, _ = d.get("/profiles?from=0&format=folded&pid=%d" % w.pid)
folded = body.decode(errors="replace")
lines = [l for l in folded.splitlines() if l.strip()]
t.ok(status == 200 and lines and all(l.startswith("cpu_split;") for l in lines) and "leaf_hot" in folded,
     "/profiles format=folded pid= has only the workload", folded[:1500])
if cgdir:
    status, body, _ = d.get("/profiles?from=0&container=%s" % CID)
    raw = go_pprof("-raw", os.path.join(tmp, "merged.pb.gz"))
    t.ok("container_id:[%s]" % CID in raw.stdout and "container_runtime:[docker]" in raw.stdout,
         "samples carry container_id and container_runtime labels", raw.stdout[:3000])
    top = pprof_top(body, "container.pb.gz")
    raw = go_pprof("-raw", os.path.join(tmp, "container.pb.gz"))
    pids = set(re.findall(r"pid:\[(\d+)\]", raw.stdout.replace(" ", "")))
    t.ok(status == 200 and pids == {str(w2.pid)},
         "/profiles?container= has only the container's process (%s)" % sorted(pids), raw.stdout[:1500])
status, body, _ = d.get("/profiles?from=0&format=folded&comm=cpu_split&container=abcdef")
t.ok(status == 200 and not body.strip(), "/profiles container filter with no match: empty", body[:300])
for path in ("/profiles?from=10&to=5", "/profiles?format=svg", "/profiles?container=XYZ",
             "/profiles?pod=%20", "/profiles?from=-1", "/profiles?window=1"):
    status, body, _ = d.get(path)
    t.ok(status == 400, "%s -> 400 (got %d: %s)" % (path, status, body[:80]))

# 6. SIGHUP: restart-only changes are reported, live ones applied.
with open(conf, "w") as f:
    f.write("[daemon]\nkernel_stacks = false\n[retention]\nmax_age = 1d\n")
d.p.send_signal(signal.SIGHUP)
time.sleep(1)
log = d.stderr()
t.ok("daemon.kernel_stacks change to false needs a restart" in log, "SIGHUP: restart-only change logged", log[-2000:])
t.ok(re.search(r"retention.max_age = 1d", log) is not None, "SIGHUP: live change logged", log[-2000:])
with open(conf, "w") as f:
    f.write("[daemon]\nbogus = 1\n")
d.p.send_signal(signal.SIGHUP)
time.sleep(1)
t.ok("reload refused" in d.stderr() and d.p.poll() is None, "SIGHUP with a bad file: refused, still running")
status, _, _ = d.get("/healthz")
t.ok(status == 200, "still serving after reloads")

# 7. SIGTERM stores the partial window and exits 0.
before = set(d.windows())
cpu, rss = d.usage()
elapsed = time.time() - t0
t.diag("daemon: %.2f CPU s over %.1f s (%.1f%% of one CPU), RSS %.1f MiB" %
       (cpu, elapsed, 100 * cpu / elapsed, rss / 2**20))
time.sleep(0.5)
rc = d.term()
t.ok(rc == 0, "SIGTERM: exit 0", d.stderr()[-2000:])
new = sorted(set(d.windows()) - before)
t.ok(len(new) >= 1, "SIGTERM: the partial window is on disk", new)
if new:
    s, e = (int(x) for x in re.findall(r"\d{13}", new[-1]))
    top = go_pprof("-top", os.path.join(d.state, new[-1]))
    t.ok(top.returncode == 0, "the partial window is a readable profile", top.stderr)
t.ok(not glob.glob(os.path.join(d.state, "*.tmp")), "no temporary files left")

# 8. A restart with the same state directory still serves the history;
# readiness is also told to systemd's notify socket.
nsock_path = os.path.join(tmp, "notify.sock")
nsock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
nsock.bind(nsock_path)
nsock.settimeout(30)
d3 = Daemon(tmp, state=d.state, env={"NOTIFY_SOCKET": nsock_path}, window=WINDOW)
t.ok(d3.wait_ready(), "restart on the same state directory", d3.stderr())
try:
    note = nsock.recv(4096).decode()
except socket.timeout:
    note = ""
nsock.close()
t.ok("READY=1" in note, "sd_notify READY=1 reaches $NOTIFY_SOCKET", note)
status, body, hdr = d3.get("/profiles?from=0&comm=cpu_split")
n3 = int(hdr.get("X-Zprofd-Windows", "0")) if status == 200 else 0
t.ok(status == 200 and n3 >= nwin + 1, "after a restart /profiles covers the earlier windows (%d)" % n3)
top = pprof_top(body, "restart.pb.gz")
t.ok(top.returncode == 0 and "leaf_hot" in top.stdout, "history from before the restart shows the workload",
     top.stdout + top.stderr)
status, body, _ = d3.get("/metrics")
t.ok(status == 200 and re.search(r"^zprofd_http_requests_total [1-9]", body.decode(), re.M),
     "/metrics counts HTTP requests", body[-1500:])
t.ok(d3.term(signal.SIGINT) == 0, "restarted daemon: SIGINT exit 0", d3.stderr()[-1000:])

# 9. Bearer token; [filters] and [labels] from the config; $NODE_NAME.
tok = os.path.join(tmp, "token")
with open(tok, "w") as f:
    f.write("s3cret-token\n")
os.chmod(tok, 0o600)
conf2 = os.path.join(tmp, "filters.conf")
with open(conf2, "w") as f:
    f.write("[filters]\nexclude_comm = cpu_split\n[labels]\ncluster = test-eu-1\n")
d2 = Daemon(tmp, "--auth-token-file", tok, "--config", conf2, env={"NODE_NAME": "node-7"},
            window=WINDOW)
t.ok(d2.wait_ready(), "daemon with a token starts", d2.stderr())
t.ok(d2.get("/healthz")[0] == 200, "token: /healthz stays public")
t.ok(d2.get("/metrics")[0] == 401, "token: /metrics without it is 401")
t.ok(d2.get("/metrics", token="wrong")[0] == 401, "token: a wrong one is 401")
status, body, _ = d2.get("/processes", token="s3cret-token")
t.ok(status == 200, "token: with it 200")
mine = [p for p in json.loads(body) if p.get("pid") == w.pid] if status == 200 else []
t.ok(not mine or mine[0]["profiled"] is False, "exclude_comm: the workload is listed as not profiled", mine)
time.sleep(WINDOW + 1)
status, body, _ = d2.get("/profiles?from=0", token="s3cret-token")
top = pprof_top(body, "filtered.pb.gz") if status == 200 else None
t.ok(top is not None and top.returncode == 0 and "leaf_hot" not in top.stdout,
     "exclude_comm keeps the workload out of the windows", top.stdout if top else status)
raw = go_pprof("-raw", os.path.join(tmp, "filtered.pb.gz"))
t.ok("node:[node-7]" in raw.stdout and "cluster:[test-eu-1]" in raw.stdout,
     "samples carry $NODE_NAME and the [labels] of the config", raw.stdout[:2000])
# a rotated secret keeps its path: SIGHUP rereads it
with open(tok, "w") as f:
    f.write("rotated-token\n")
d2.p.send_signal(signal.SIGHUP)
end = time.time() + 10
while time.time() < end and d2.get("/metrics", token="rotated-token")[0] != 200:
    time.sleep(0.2)
t.ok(d2.get("/metrics", token="rotated-token")[0] == 200, "SIGHUP: the rotated token is accepted",
     d2.stderr()[-1500:])
t.ok(d2.get("/metrics", token="s3cret-token")[0] == 401, "SIGHUP: the old token is refused")
os.unlink(tok)
d2.p.send_signal(signal.SIGHUP)
time.sleep(1)
t.ok(d2.get("/metrics", token="rotated-token")[0] == 200 and "current token stays" in d2.stderr(),
     "SIGHUP with the token file gone: the current token stays", d2.stderr()[-1500:])
t.ok(d2.term() == 0, "token daemon: SIGTERM exit 0")

stop(w)
stop(w2)
if pw:
    stop(pw)
if cgdir:
    try:
        os.rmdir(cgdir)
        os.rmdir(os.path.dirname(cgdir))
    except OSError as e:
        t.diag("cleanup of %s: %s" % (cgdir, e))
t.done()
