#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Puts `zprofd daemon` under stress and checks it holds: a storm of 1,000
short-lived processes against a process table capped at 64 (the cap holds,
evictions are counted, the children's samples are kept), a storm of 2,000
short-lived threads in one process, a real Prometheus server scraping
/metrics, and a state directory on a full disk (windows fail to store, the
daemon carries on and leaves no temporary files). Memory stays bounded
throughout: the daemon's RSS is watched while each storm runs."""
import glob
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from ztest import B, WORKLOAD, Daemon, Tap, free_port, go_pprof, stop

t = Tap()
tmp = tempfile.mkdtemp(prefix="zprofd-stress-")
STORM = os.path.join(B, "workloads", "storm")
WINDOW = 2
MAX_PROCS = 64
FORKS, FORK_MS = 1000, 10
THREADS, THREAD_MS = 2000, 2
# The plain build's bound. Under ASan the shadow memory and the allocator's
# quarantine make the absolute figure meaningless: freed memory is held
# back until the quarantine (256 MiB by default) is full, so a storm's
# churn shows as growth up to that size. The growth is bounded instead, by
# the quarantine plus the plain build's bound.
RSS_MAX = 64 << 20
SAN_GROWTH_MAX = (256 << 20) + RSS_MAX


def metric(text, name):
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def sanitized(pid):
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


class Watch:
    """Samples the daemon's RSS and a /metrics gauge every 0.2 s on a
    thread, keeping each one's largest value."""

    def __init__(self, d, gauge):
        self.d, self.gauge = d, gauge
        self.rss = self.value = 0
        self.scrapes = 0
        self.running = True
        self.th = threading.Thread(target=self.run)
        self.th.start()

    def run(self):
        while self.running and self.d.p.poll() is None:
            try:
                self.rss = max(self.rss, self.d.usage()[1])
                status, body, _ = self.d.get("/metrics", timeout=10)
            except OSError:
                return  # the daemon is gone: the checks after the storm say so
            v = metric(body.decode(), self.gauge) if status == 200 else None
            if v is not None:
                self.value = max(self.value, v)
                self.scrapes += 1
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.th.join(30)


def stored_profile(d, since_ms, name, query):
    """The stored windows since SINCE_MS matching QUERY, merged, saved as
    NAME in tmp: (path or None, go tool pprof -raw text)."""
    status, body, _ = d.get("/profiles?from=%d&%s" % (since_ms, query))
    if status != 200:
        return None, "status %d: %s" % (status, body[:200])
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(body)
    raw = go_pprof("-raw", path)
    return path, raw.stdout + raw.stderr


def label_values(raw, label):
    return set(re.findall(r"%s:\[(\d+)\]" % label, raw.replace(" ", "")))


def check_rss(what, d, cpu0, before, peak, san):
    t.diag("%s: daemon RSS %.1f MiB before, %.1f MiB at most during; %.2f CPU s spent"
           % (what, before / 2**20, peak / 2**20, d.usage()[0] - cpu0))
    if san:
        t.ok(peak - before < SAN_GROWTH_MAX, "%s: RSS grows by less than %d MiB (sanitized build: growth only)"
             % (what, SAN_GROWTH_MAX >> 20), "%d -> %d" % (before, peak))
    else:
        t.ok(0 < peak < RSS_MAX, "%s: RSS stays under %d MiB" % (what, RSS_MAX >> 20), peak)


def alive(d, what):
    t.ok(d.p.poll() is None and d.get("/healthz", timeout=10)[0] == 200,
         "%s: the daemon is still running and /healthz answers" % what, d.stderr()[-2000:])


conf = os.path.join(tmp, "zprofd.conf")
with open(conf, "w") as f:
    f.write("[limits]\nmax_processes = %d\n" % MAX_PROCS)
d = Daemon(tmp, "--config", conf, window=WINDOW)
t0 = time.time()
t.ok(d.wait_ready(), "daemon with max_processes = %d is ready" % MAX_PROCS, d.stderr())
SAN = d.p.poll() is None and sanitized(d.p.pid)
if SAN:
    t.diag("sanitized daemon: RSS checked as growth, not against %d MiB" % (RSS_MAX >> 20))

# 1. Fork storm: far more processes sampled per window than the table holds.
time.sleep(1)
cpu0, rss0 = d.usage()
start_ms = int(time.time() * 1000)
pids_file = os.path.join(tmp, "storm-pids")
w = Watch(d, "zprofd_processes_tracked")
with open(pids_file, "w") as out:
    r = subprocess.run([STORM, "forks", str(FORKS), str(FORK_MS)], stdout=out, timeout=120)
fork_s = time.time() - t0
time.sleep(WINDOW + 1)  # the storm's last window is stored
w.stop()
with open(pids_file) as f:
    children = set(f.read().split())
t.ok(r.returncode == 0 and len(children) == FORKS, "storm ran %d short-lived processes" % len(children))
alive(d, "fork storm")
check_rss("fork storm", d, cpu0, rss0, w.rss, SAN)
status, body, _ = d.get("/metrics")
metrics = body.decode()
evicted = metric(metrics, "zprofd_processes_evicted_total")
tracked = metric(metrics, "zprofd_processes_tracked")
t.diag("fork storm: processes tracked at most %d (%d scrapes), %s now; %s evicted"
       % (w.value, w.scrapes, tracked, evicted))
t.ok(w.scrapes >= 5 and 0 < w.value <= MAX_PROCS,
     "zprofd_processes_tracked stays within max_processes (%d)" % w.value, metrics)
t.ok(evicted is not None and evicted > 0, "zprofd_processes_evicted_total counts the evictions (%s)" % evicted,
     metrics)
path, raw = stored_profile(d, start_ms, "forks.pb.gz", "comm=storm")
sampled = label_values(raw, "pid") & children
t.ok(len(sampled) >= FORKS // 10, "/profiles?comm=storm has samples of %d of the short-lived children"
     % len(sampled), raw[:3000])
status, body, _ = d.get("/profiles?from=%d&comm=storm&format=folded" % start_ms)
folded = body.decode(errors="replace")
burn = sum(int(l.rpartition(" ")[2]) for l in folded.splitlines() if "burn_child" in l)
allc = sum(int(l.rpartition(" ")[2]) for l in folded.splitlines() if l.strip())
t.diag("fork storm: %d samples of comm storm, %d of them symbolized to burn_child" % (allc, burn))
t.ok(burn > 0, "the children's samples are symbolized (burn_child)", folded[:2000])

# 2. Thread storm: every short-lived thread's samples go to its process.
cpu0, rss0 = d.usage()
start_ms = int(time.time() * 1000)
w = Watch(d, "zprofd_processes_tracked")
p = subprocess.Popen([STORM, "threads", str(THREADS), str(THREAD_MS)])
rc = p.wait(timeout=120)
time.sleep(WINDOW + 1)
w.stop()
t.ok(rc == 0, "storm ran %d short-lived threads" % THREADS)
alive(d, "thread storm")
check_rss("thread storm", d, cpu0, rss0, w.rss, SAN)
path, raw = stored_profile(d, start_ms, "threads.pb.gz", "pid=%d" % p.pid)
tids = label_values(raw, "tid") - {str(p.pid)}
t.ok(len(tids) >= 20, "/profiles?pid= has samples of %d of its short-lived threads" % len(tids), raw[:3000])
status, body, _ = d.get("/profiles?from=%d&pid=%d&format=folded" % (start_ms, p.pid))
t.ok(status == 200 and "burn_thread" in body.decode(errors="replace"),
     "the threads' samples are symbolized (burn_thread)", body[:2000])

# 3. A real Prometheus server scrapes the daemon.
prom_dir = tempfile.mkdtemp(prefix="prometheus-", dir=tmp)
prom_conf = os.path.join(prom_dir, "prometheus.yml")
with open(prom_conf, "w") as f:
    f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
            "  - job_name: zprofd\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % d.port)
prom_port = free_port()
prom_log = open(os.path.join(prom_dir, "prometheus.log"), "w")
prom = subprocess.Popen(["prometheus", "--config.file=" + prom_conf,
                         "--storage.tsdb.path=" + os.path.join(prom_dir, "data"),
                         "--web.listen-address=127.0.0.1:%d" % prom_port],
                        stdout=prom_log, stderr=prom_log)


def prom_query(q):
    """The first sample's value of instant query Q, or None."""
    url = "http://127.0.0.1:%d/api/v1/query?query=%s" % (prom_port, urllib.parse.quote(q))
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            res = json.loads(resp.read())["data"]["result"]
        return float(res[0]["value"][1]) if res else None
    except (OSError, ValueError, KeyError, IndexError):
        return None


try:
    up = samples = None
    end = time.time() + 60
    while time.time() < end and prom.poll() is None:
        up = prom_query('up{job="zprofd"}')
        samples = prom_query('zprofd_samples_total{job="zprofd"}')
        if up == 1 and samples:
            break
        time.sleep(0.5)
    with open(prom_log.name) as f:
        plog = f.read()
    t.ok(up == 1, "Prometheus scrapes the daemon: up{job=\"zprofd\"} = %s" % up, plog[-2000:])
    t.ok(samples is not None and samples > 0, "Prometheus has zprofd_samples_total = %s" % samples, plog[-2000:])
    ev = prom_query("zprofd_processes_evicted_total")
    t.ok(ev is not None and ev > 0, "Prometheus has zprofd_processes_evicted_total = %s" % ev)
finally:
    stop(prom, signal.SIGTERM)
    prom_log.close()
alive(d, "after the scrapes")
t.ok(d.term() == 0, "SIGTERM after the storms: exit 0", d.stderr()[-2000:])
t.diag("storms and scrapes took %.1f s (fork storm done at %.1f s)" % (time.time() - t0, fork_s))

# 4. A full disk under the state directory: windows fail, the daemon goes on.
full = os.path.join(tmp, "full")
os.mkdir(full)
r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k,mode=0700", "tmpfs", full],
                   capture_output=True, text=True)
t.ok(r.returncode == 0, "a 128 KiB tmpfs for the state directory", r.stderr)
if r.returncode == 0:
    busy = subprocess.Popen([WORKLOAD, "split", "60", "75"])
    thr = subprocess.Popen([STORM, "threads", "100000", "2"])
    try:
        d = Daemon(tmp, state=full, window=1, frequency=499)
        t.ok(d.wait_ready(), "daemon on the small tmpfs is ready", d.stderr())
        errors, end = None, time.time() + 60
        while time.time() < end and d.p.poll() is None:
            status, body, _ = d.get("/metrics", timeout=10)
            errors = metric(body.decode(), "zprofd_window_write_errors_total") if status == 200 else None
            if errors:
                break
            time.sleep(0.5)
        st = os.statvfs(full)
        t.diag("full disk: %d windows stored, %d KiB free, %s write errors"
               % (len(d.windows()), st.f_bavail * st.f_frsize >> 10, errors))
        t.ok(errors is not None and errors > 0, "zprofd_window_write_errors_total = %s" % errors,
             d.stderr()[-2000:])
        time.sleep(2)  # more windows fail
        alive(d, "full disk")
        t.ok(not glob.glob(os.path.join(full, "*.tmp")), "full disk: no temporary files left", os.listdir(full))
        t.ok(d.term() == 0, "full disk: SIGTERM exits 0", d.stderr()[-2000:])
        t.ok(not glob.glob(os.path.join(full, "*.tmp")), "full disk: none after the exit either", os.listdir(full))
    finally:
        stop(thr)
        stop(busy)
        if d.p.poll() is None:
            d.term(signal.SIGKILL)
        subprocess.run(["umount", full])
# 5. Short-lived processes are symbolized: with room in the table, the
# first sample of a new process wakes the daemon at once, which reads its
# memory map while it still runs (without that, about half the samples of
# these 10 ms children stayed FILE+0xOFFSET; with it, over 90%).
d = Daemon(tmp, window=WINDOW)
t.ok(d.wait_ready(), "daemon with the default limits is ready", d.stderr())
start_ms = int(time.time() * 1000)
r = subprocess.run([STORM, "forks", "300", str(FORK_MS)], stdout=subprocess.DEVNULL, timeout=120)
time.sleep(WINDOW + 1.5)
status, body, _ = d.get("/profiles?from=%d&comm=storm&format=folded" % start_ms)
folded = body.decode(errors="replace")
burn = sum(int(l.rpartition(" ")[2]) for l in folded.splitlines() if "burn_child" in l)
allc = sum(int(l.rpartition(" ")[2]) for l in folded.splitlines() if l.strip())
t.diag("300 short-lived children: %d of %d samples symbolized to burn_child" % (burn, allc))
t.ok(r.returncode == 0 and allc >= 100 and burn >= 0.6 * allc,
     "short-lived children: at least 60%% of their samples symbolized (%d of %d)" % (burn, allc),
     folded[:2000])
t.ok(d.term() == 0, "SIGTERM exits 0", d.stderr()[-2000:])
t.diag("total %.1f s" % (time.time() - t0))
t.done()
