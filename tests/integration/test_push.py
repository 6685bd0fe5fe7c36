#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""`zprofd daemon --push` against a local receiver that checks every request
against Grafana Pyroscope's documented ingest API (POST /ingest; name, from,
until, format=pprof, sampleRate, spyName; the pprof in the "profile" part of
a multipart/form-data body) and decodes each profile with go tool pprof.
Covers the labels in the name and on the samples, the bearer token and
tenant headers, retries with backoff after 503s, a SIGHUP that switches to
one service per comm and to another server, 4xx answers dropped and
counted, a server that never answers filling the bounded queue without
stopping the windows on disk, and SIGTERM exiting 0 within the push drain
time all the same."""
import atexit
import email.parser
import hashlib
import email.policy
import http.server
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from ztest import WORKLOAD, ZPROFD, Tap, free_port, go_pprof, stop

t = Tap()
tmp = tempfile.mkdtemp(prefix="zprofd-push-")
NAME_RE = re.compile(r"^([A-Za-z0-9._:/-]+)(?:\{([^{}]*)\})?$")


class Receiver:
    """A Pyroscope ingest endpoint. statuses: answers for the first
    requests in order, then `then`. Every request is checked and kept."""

    def __init__(self, statuses=(), then=200):
        self.statuses = list(statuses)
        self.then = then
        self.requests = []  # dicts: problems, name, service, labels, headers, body
        self.lock = threading.Lock()
        self.release = threading.Event()
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                status = recv.record(self.command, self.path, self.headers, body)
                if status == "hang":  # a server that never answers
                    recv.release.wait(60)
                    return
                self.send_response(status)
                msg = b"ok" if status == 200 else b"no thanks"
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)

        self.port = free_port()
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.srv.daemon_threads = True
        self.th = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.th.start()
        self.url = "http://127.0.0.1:%d" % self.port

    def record(self, method, path, headers, body):
        problems = []
        u = urllib.parse.urlsplit(path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        if method != "POST" or u.path != "/ingest":
            problems.append("not POST /ingest: %s %s" % (method, u.path))
        for k in ("name", "from", "until"):
            if len(q.get(k, [])) != 1:
                problems.append("missing or repeated required parameter " + k)
        one = {k: v[0] for k, v in q.items() if v}
        if one.get("format") != "pprof":
            problems.append("format is %r, not pprof" % one.get("format"))
        try:
            if not (0 < int(one["from"]) < int(one["until"])):
                problems.append("from/until not increasing Unix seconds")
            if abs(int(one["until"]) - time.time()) > 120:
                problems.append("until is not now")
        except (KeyError, ValueError):
            problems.append("from/until not integers")
        if not one.get("sampleRate", "").isdigit():
            problems.append("sampleRate not an integer")
        m = NAME_RE.match(one.get("name", ""))
        labels = {}
        service = None
        if not m:
            problems.append("name %r is not app{k=v,...}" % one.get("name"))
        else:
            service = m.group(1)
            for kv in filter(None, (m.group(2) or "").split(",")):
                k, eq, v = kv.partition("=")
                if not eq or not re.match(r"^[A-Za-z0-9_.]+$", k) or not v:
                    problems.append("bad label %r" % kv)
                labels[k] = v
        ctype = headers.get("Content-Type", "")
        profile = None
        if not ctype.startswith("multipart/form-data") or "boundary=" not in ctype:
            problems.append("Content-Type %r is not multipart/form-data" % ctype)
        else:
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            for part in msg.iter_parts() if msg.is_multipart() else []:
                if part.get_param("name", header="content-disposition") == "profile":
                    profile = part.get_payload(decode=True)
            if profile is None:
                problems.append("no \"profile\" part")
            elif profile[:2] != b"\x1f\x8b":
                problems.append("profile is not gzipped pprof")
        with self.lock:
            status = self.statuses.pop(0) if self.statuses else self.then
            self.requests.append(dict(problems=problems, service=service, labels=labels,
                                      name=one.get("name"), status=status,
                                      frm=one.get("from"),
                                      auth=headers.get("Authorization"),
                                      tenant=headers.get("X-Scope-OrgID"),
                                      profile=profile))
        return status

    def accepted(self):
        with self.lock:
            return [r for r in self.requests if r["status"] == 200]

    def wait(self, pred, timeout):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                if pred(self.requests):
                    return True
            time.sleep(0.2)
        return False

    def close(self):
        self.release.set()
        self.srv.shutdown()
        self.srv.server_close()


def metric(base, name):
    with urllib.request.urlopen(base + "/metrics", timeout=30) as r:
        text = r.read().decode()
    m = re.search(r"^%s (\d+)" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def decode(req, name):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(req["profile"])
    return go_pprof("-raw", path)


# 0. Bad push settings are refused before anything starts.
r = subprocess.run([ZPROFD, "daemon", "--push", "ftp://example.com"],
                   capture_output=True, text=True, timeout=30)
t.ok(r.returncode == 2 and "--push" in r.stderr and "http" in r.stderr,
     "--push with a non-HTTP URL: exit 2 naming the flag", r.stderr)
r = subprocess.run([ZPROFD, "daemon", "--push", "http://user:pw@example.com"],
                   capture_output=True, text=True, timeout=30)
t.ok(r.returncode == 2 and "credentials" in r.stderr, "--push with credentials in the URL: refused",
     r.stderr)
conf = os.path.join(tmp, "missing-token.conf")
write(conf, "[push]\nurl = http://127.0.0.1:9\ntoken_file = %s/nope\n" % tmp)
r = subprocess.run([ZPROFD, "daemon", "--config", conf, "--state-dir", os.path.join(tmp, "s0"),
                    "--listen", "127.0.0.1:%d" % free_port()],
                   capture_output=True, text=True, timeout=30)
t.ok(r.returncode != 0 and "token_file" in r.stderr and "No such file" in r.stderr,
     "a missing push token file: clear error, non-zero exit", r.stderr)

# 1. Pushing through two 503s, with labels, token and tenant.
a = Receiver(statuses=[503, 503])
b = Receiver(then=400)
token = os.path.join(tmp, "token")
write(token, "s3cret-token\n")
os.chmod(token, 0o600)
conf = os.path.join(tmp, "push.conf")
write(conf, "[push]\nurl = %s\nservice_name = zprofd-ci\ntoken_file = %s\ntenant_id = team-ci\n"
      "timeout = 2s\nqueue = 10\n[labels]\ncluster = ci-1\n" % (a.url, token))
state = os.path.join(tmp, "state")
port = free_port()
base = "http://127.0.0.1:%d" % port
log = open(os.path.join(tmp, "daemon.log"), "w")
w = subprocess.Popen([WORKLOAD, "split", "300", "75"])
d = subprocess.Popen([ZPROFD, "daemon", "--config", conf, "--state-dir", state, "--listen",
                      "127.0.0.1:%d" % port, "--window", "1", "--frequency", "99"],
                     stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ, NODE_NAME="node-ci"))
# whatever goes wrong below, nothing started here outlives the test
atexit.register(lambda: [stop(p) for p in (d, w)])


def daemon_log():
    with open(log.name) as f:
        return f.read()


ok = a.wait(lambda rs: sum(r["status"] == 200 for r in rs) >= 3, 45)
t.ok(ok, "pushes accepted after two 503s", daemon_log()[-2000:])
reqs = list(a.requests)
t.ok(reqs and all(not r["problems"] for r in reqs), "every request follows the ingest API",
     [r["problems"] for r in reqs if r["problems"]])
t.ok(len(reqs) >= 3 and reqs[0]["status"] == 503 and reqs[1]["status"] == 503
     and reqs[2]["status"] == 200 and reqs[0]["frm"] == reqs[1]["frm"] == reqs[2]["frm"],
     "the window is retried until accepted", [(r["status"], r["frm"]) for r in reqs[:3]])
r0 = a.accepted()[0] if a.accepted() else {}
t.ok(r0.get("service") == "zprofd-ci" and r0.get("labels") == {"node": "node-ci", "cluster": "ci-1"},
     "name carries service_name, node and static labels", r0.get("name"))
t.ok(r0.get("auth") == "Bearer s3cret-token" and r0.get("tenant") == "team-ci",
     "bearer token and X-Scope-OrgID sent", (r0.get("auth"), r0.get("tenant")))
prof = ""
for i, r in enumerate(a.accepted()):
    res = decode(r, "a%d.pb.gz" % i)
    t.ok(res.returncode == 0, "pushed profile %d decodes with go tool pprof" % i, res.stderr)
    prof += res.stdout
t.ok("leaf_hot" in prof and "dispatch" in prof, "pushed profiles hold the workload's functions",
     prof[-1500:])
t.ok("pid:[%d]" % w.pid in prof and "comm:[cpu_split]" in prof,
     "pushed samples carry pid and comm labels", prof[-1500:])
time.sleep(1.5)  # metrics are published about once a second
failures = metric(base, "zprofd_push_failures_total")
sent = metric(base, "zprofd_push_requests_total")
t.ok(failures is not None and failures >= 2 and sent is not None and sent >= 1,
     "metrics count the failed attempts and the accepted requests", (failures, sent))

# 2. SIGHUP: one service per comm, to a server that answers 400.
write(conf, "[push]\nurl = %s\nservice_name = zprofd-ci\nservice_name_from = comm\n"
      "timeout = 2s\nqueue = 3\n" % b.url)
d.send_signal(signal.SIGHUP)
ok = b.wait(lambda rs: len(rs) >= 2, 30)
t.ok(ok, "after SIGHUP windows go to the new server", daemon_log()[-1500:])
names = set(r["service"] for r in b.requests)
t.ok("cpu_split" in names and all(not r["problems"] for r in b.requests),
     "service_name_from = comm: a service named after the workload's comm", names)
cs = [r for r in b.requests if r["service"] == "cpu_split"]
res = decode(cs[0], "b0.pb.gz") if cs else None
t.ok(res is not None and res.returncode == 0 and "leaf_hot" in res.stdout
     and "comm:[cpu_split]" in res.stdout and not re.search(r"comm:\[(?!cpu_split\])", res.stdout),
     "the per-comm profile holds that comm's samples only",
     res.stdout[-1500:] if res else "no cpu_split request")
time.sleep(1.5)
refused = metric(base, 'zprofd_push_dropped_total{reason="refused"}')
t.ok(refused is not None and refused >= 1, "4xx answers are dropped and counted", refused)
# a retry would send the same bytes again
keys = [(r["service"], hashlib.sha1(r["profile"] or b"").hexdigest()) for r in b.requests]
t.ok(len(keys) >= 2 and len(set(keys)) == len(keys), "a refused request is not retried", keys)

# 3. A server that takes requests and never answers (push.timeout 5 min):
# the queue stays bounded and windows keep going to disk.
hang = Receiver(then="hang")
write(conf, "[push]\nurl = %s\ntimeout = 5m\nqueue = 2\n" % hang.url)
stored_before = len(os.listdir(state))
d.send_signal(signal.SIGHUP)
time.sleep(7)
full = metric(base, 'zprofd_push_dropped_total{reason="queue_full"}')
queued = metric(base, "zprofd_push_queue_windows")
t.ok(len(hang.requests) == 1, "a hanging server holds one request", len(hang.requests))
t.ok(full is not None and full >= 2, "oldest windows dropped and counted", full)
t.ok(queued is not None and queued <= 2, "the queue holds at most push.queue windows", queued)
t.ok(len(os.listdir(state)) >= stored_before + 4, "windows keep being stored meanwhile",
     (stored_before, len(os.listdir(state))))
t.ok(d.poll() is None, "daemon still running")

# A reload that turns push off does not wait for the hanging request the
# way an exit does: the main loop samples on.
write(conf, "[daemon]\n")
t0 = time.time()
d.send_signal(signal.SIGHUP)
while time.time() - t0 < 15 and "no push.url any more, stopped" not in daemon_log():
    time.sleep(0.1)
took = time.time() - t0
t.ok(took < 3, "SIGHUP without push.url stops pushing in %.1fs, no drain" % took, daemon_log()[-800:])
write(conf, "[push]\nurl = %s\ntimeout = 5m\nqueue = 2\n" % hang.url)
d.send_signal(signal.SIGHUP)
t.ok(hang.wait(lambda rs: len(rs) >= 2, 15), "pushing again after the next reload")

# 4. SIGTERM with the request still hanging: exit 0 within the drain time.
t0 = time.time()
d.send_signal(signal.SIGTERM)
try:
    rc = d.wait(timeout=30)
except subprocess.TimeoutExpired:
    d.kill()
    rc = d.wait()
took = time.time() - t0
log.close()
t.ok(rc == 0, "SIGTERM: exit 0", daemon_log()[-1500:])
t.ok(took < 12, "SIGTERM with a hanging server returns within the drain time (%.1fs)" % took)
t.ok("not sent before stopping" in daemon_log(), "unsent windows are reported at exit",
     daemon_log()[-800:])
t.diag("push: %d requests to A (%d accepted), %d to B; exit took %.1fs"
       % (len(a.requests), len(a.accepted()), len(b.requests), took))
stop(w)
a.close()
b.close()
hang.close()
t.done()
