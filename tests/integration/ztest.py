# SPDX-License-Identifier: BSD-2-Clause
"""Shared helpers for zprofd integration tests: a tiny TAP emitter, running
zprofd (one-shot, or as a daemon with its HTTP API) and workloads, and
parsing folded output. Standard library only, so the tests run on any
python3 >= 3.8 without installing anything."""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
B = os.path.join(ROOT, os.environ.get("B", "build"))
ZPROFD = os.path.join(B, "zprofd")
WORKLOAD = os.path.join(B, "workloads", "cpu_split")


class Tap:
    """Plan-at-end TAP producer; a failed check never stops the script."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print(("ok" if cond else "not ok") + " %d - %s" % (self.n, name))
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines()[-40:]:
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line)
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


def start_workload(*args):
    p = subprocess.Popen([WORKLOAD] + [str(a) for a in args])
    time.sleep(0.3)  # let it get into its loop
    return p


def zprofd(*args, timeout=120, env=None, preexec=None):
    """Run zprofd to completion; returns CompletedProcess with text output."""
    return subprocess.run([ZPROFD] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=timeout, env=env, preexec_fn=preexec)


def zprofd_bg(*args):
    return subprocess.Popen([ZPROFD] + [str(a) for a in args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def parse_folded(text):
    """{tuple(frames root->leaf): count}; frames split at ';', count after the
    last space."""
    stacks = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        frames = tuple(stack.split(";"))
        stacks[frames] = stacks.get(frames, 0) + int(count)
    return stacks


def total(stacks):
    return sum(stacks.values())


def share(stacks, pred):
    """Fraction of samples whose stack satisfies pred(frames)."""
    t = total(stacks)
    return sum(c for f, c in stacks.items() if pred(f)) / t if t else 0.0


def has_chain(frames, chain):
    """True when chain appears in frames in order, adjacent."""
    n = len(chain)
    return any(tuple(frames[i:i + n]) == tuple(chain) for i in range(len(frames) - n + 1))


def go_pprof(*args):
    env = dict(os.environ)
    env.setdefault("HOME", "/root")
    env.setdefault("GOCACHE", "/tmp/zprofd-gocache")
    env["PPROF_TMPDIR"] = "/tmp"
    return subprocess.run(["go", "tool", "pprof"] + list(args), capture_output=True,
                          text=True, timeout=120, env=env)


def free_port():
    """A TCP port on 127.0.0.1 free right now (racy, good enough for tests)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stop(p, sig=signal.SIGKILL):
    if p.poll() is None:
        p.send_signal(sig)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


class Daemon:
    """`zprofd daemon` on a free loopback port, logging to a file in TMP,
    with a fresh state directory in TMP unless STATE is given."""

    def __init__(self, tmp, *args, state=None, env=None, window=2, frequency=99):
        self.port = free_port()
        self.state = state or tempfile.mkdtemp(prefix="state-", dir=tmp)
        self.log = os.path.join(tmp, "daemon-%d.log" % self.port)
        self.base = "http://127.0.0.1:%d" % self.port
        self.err = open(self.log, "w")
        self.p = subprocess.Popen([ZPROFD, "daemon", "--state-dir", self.state, "--listen",
                                   "127.0.0.1:%d" % self.port, "--window", str(window),
                                   "--frequency", str(frequency)] + [str(a) for a in args],
                                  stdout=subprocess.DEVNULL, stderr=self.err,
                                  env=dict(os.environ, **(env or {})))

    def stderr(self):
        with open(self.log) as f:
            return f.read()

    def wait_ready(self, timeout=30):
        end = time.time() + timeout
        while time.time() < end and self.p.poll() is None:
            if "daemon ready, listening on" in self.stderr():
                return True
            time.sleep(0.1)
        return False

    def get(self, path, token=None, timeout=90):
        """(status, body bytes, headers); HTTP errors are answers too."""
        req = urllib.request.Request(self.base + path)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def windows(self):
        return sorted(f for f in os.listdir(self.state) if re.match(r"w-\d{13}-\d{13}\.pb\.gz$", f))

    def usage(self):
        """(CPU seconds, RSS bytes) of the daemon so far."""
        with open("/proc/%d/stat" % self.p.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        return cpu, rss

    def term(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        try:
            return self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return self.p.wait()
        finally:
            self.err.close()
