#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Checks packaging/: the Debian package (built, inspected, installed,
removed and purged), the systemd unit (systemd-analyze verify, its security
exposure, and its capability set for real: the daemon run as nobody with
exactly those capabilities profiles a root-owned workload, follows a Python
thread started after it found the process, and stops naming CAP_BPF or
CAP_PERFMON when that one is missing), and the Kubernetes
manifests' invariants (hostPID, not privileged, the unit's capabilities,
NODE_NAME, probes, config path)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from ztest import B, ROOT, Tap, free_port

t = Tap()
tmp = tempfile.mkdtemp(prefix="zprofd-pkg-")
UNIT = os.path.join(ROOT, "packaging", "systemd", "zprofd.service")
K8S = os.path.join(ROOT, "packaging", "kubernetes")
CONFIG = "/etc/zprofd/zprofd.conf"
# Exposure of the unit is 2.7 today. Dropping the capability bounding set
# gives 4.0, the syscall deny list 3.9, DynamicUser with ProtectSystem and
# ProtectHome 3.4: each of those losses fails this check.
MAX_EXPOSURE = 3.0


def run(*cmd, timeout=120):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)


def unit_caps():
    """The unit's AmbientCapabilities, which must equal its bounding set."""
    with open(UNIT) as f:
        text = f.read()
    amb = re.findall(r"^AmbientCapabilities=(.*)$", text, re.M)
    bnd = re.findall(r"^CapabilityBoundingSet=(.*)$", text, re.M)
    t.ok(len(amb) == 1 and len(bnd) == 1 and amb[0].split() == bnd[0].split(),
         "unit: AmbientCapabilities equals CapabilityBoundingSet", (amb, bnd))
    return amb[0].split() if amb else []


# ---- 1. systemd unit: verify and exposure ------------------------------------
caps = unit_caps()
t.ok("CAP_SYS_ADMIN" not in caps and {"CAP_BPF", "CAP_PERFMON"} <= set(caps),
     "unit: CAP_BPF and CAP_PERFMON, not CAP_SYS_ADMIN", caps)
# verify wants the ExecStart binary to exist: a copy runs the built one
unitdir = os.path.join(tmp, "unit")
os.mkdir(unitdir)
test_unit = os.path.join(unitdir, "zprofd.service")
with open(UNIT) as f, open(test_unit, "w") as g:
    text = f.read()
    t.ok("ExecStart=/usr/bin/zprofd daemon --config %s\n" % CONFIG in text,
         "unit: ExecStart runs /usr/bin/zprofd daemon --config " + CONFIG)
    g.write(text.replace("ExecStart=/usr/bin/zprofd", "ExecStart=" + os.path.join(B, "zprofd")))
if shutil.which("systemd-analyze"):
    r = run("systemd-analyze", "verify", test_unit)
    t.ok(r.returncode == 0 and not r.stderr.strip(), "systemd-analyze verify: clean",
         r.stdout + r.stderr)
    r = run("systemd-analyze", "security", "--offline=yes", "--no-pager", test_unit)
    m = re.search(r"Overall exposure level for zprofd\.service: ([0-9.]+)", r.stdout)
    score = float(m.group(1)) if m else 99.0
    t.diag("systemd-analyze security exposure: %s" % (m.group(1) if m else "?"))
    t.ok(score < MAX_EXPOSURE, "systemd-analyze security: exposure %.1f < %.1f" % (score, MAX_EXPOSURE),
         r.stdout + r.stderr)
else:
    t.ok(False, "systemd-analyze is installed (scripts/install-deps.sh: systemd)")


# ---- 2. the unit's capabilities, for real ------------------------------------
def bounding_set():
    with open("/proc/self/status") as f:
        bits = int(re.search(r"^CapBnd:\s*([0-9a-f]+)$", f.read(), re.M).group(1), 16)
    return bits


CAP_BITS = {"CAP_DAC_READ_SEARCH": 2, "CAP_SYS_PTRACE": 19, "CAP_SYS_RESOURCE": 24,
            "CAP_SYSLOG": 34, "CAP_PERFMON": 38, "CAP_BPF": 39}


def nobody(capset, *args):
    """argv running the daemon's binary as nobody:nogroup with exactly capset
    (ambient, inheritable and bounding), as systemd's AmbientCapabilities
    does."""
    names = ",".join("+" + c[4:].lower() for c in capset)
    spec = "-all" + ("," + names if names else "")
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "--inh-caps=" + spec, "--ambient-caps=" + spec, "--bounding-set=" + spec,
            BIN] + list(args)


def as_nobody(capset, state, port, log):
    """Starts the daemon as nobody with capset."""
    cmd = nobody(capset, "daemon", "--state-dir", state, "--listen", "127.0.0.1:%d" % port,
                 "--window", "2", "--frequency", "99")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)


def wait_ready(p, log, timeout=20, text="daemon ready, listening on"):
    end = time.time() + timeout
    while time.time() < end and p.poll() is None:
        with open(log) as f:
            if text in f.read():
                return True
        time.sleep(0.1)
    return False


# Starts a thread once the file argv[1] exists: after the profiler found the
# process, so only the thread-state uprobes can tell the walker about it.
NEW_THREAD_PY = """
import os, sys, threading, time
def spin_new_thread():
    x = 0
    while True:
        x += 1
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
threading.Thread(target=spin_new_thread, daemon=True).start()
time.sleep(60)
"""


def python_new_thread(capset):
    """Profiles, as nobody with capset, a root Python process (script in a
    0700 directory) that starts a thread after the profiler found it.
    Returns (threads the uprobes saw start, folded profile, log)."""
    outdir = os.path.join(capdir, "py-out")
    os.makedirs(outdir, exist_ok=True)
    os.chown(outdir, 65534, 65534)
    script = os.path.join(secret, "new_thread.py")
    with open(script, "w") as f:
        f.write(NEW_THREAD_PY)
    go = os.path.join(secret, "go")
    if os.path.exists(go):
        os.unlink(go)
    out = os.path.join(outdir, "new_thread.folded")
    log = os.path.join(capdir, "python.log")
    py = subprocess.Popen([os.path.realpath(sys.executable), script, go])
    try:
        with open(log, "w") as lf:
            p = subprocess.Popen(nobody(capset, "--pid", str(py.pid), "-d", "8", "-v",
                                        "-f", "folded", "-o", out),
                                 stdout=subprocess.DEVNULL, stderr=lf)
        try:
            wait_ready(p, log, text="walking Python stacks")
            open(go, "w").close()
            p.wait(timeout=60)
        finally:
            finish(p)
    finally:
        py.kill()
        py.wait()
    err = open(log).read()
    m = re.search(r"Python threads: (\d+) started", err)
    folded = open(out).read() if os.path.exists(out) else ""
    return (int(m.group(1)) if m else 0), folded, err


def finish(p):
    if p.poll() is None:
        p.terminate()
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


if os.geteuid() != 0 or not shutil.which("setpriv"):
    t.ok(True, "# SKIP capability run: needs root and setpriv")
else:
    # Binaries where nobody can reach them only with CAP_DAC_READ_SEARCH:
    # the workload in a 0700 root directory, the daemon in a 0755 one.
    capdir = os.path.join(tmp, "caps")
    os.makedirs(os.path.join(capdir, "bin"))
    os.chmod(tmp, 0o755)
    os.chmod(capdir, 0o755)
    secret = os.path.join(capdir, "secret")
    os.mkdir(secret, 0o700)
    BIN = os.path.join(capdir, "bin", "zprofd")
    shutil.copy(os.path.join(B, "zprofd"), BIN)
    work = os.path.join(secret, "cpu_split")
    shutil.copy(os.path.join(B, "workloads", "cpu_split"), work)
    have = bounding_set()
    usable = [c for c in caps if c in CAP_BITS and have & (1 << CAP_BITS[c])]
    if usable != caps:
        t.diag("not in this machine's bounding set, left out: %s" %
               " ".join(c for c in caps if c not in usable))
    w = subprocess.Popen([work, "split", "60", "75"])
    try:
        state = os.path.join(capdir, "state")
        os.mkdir(state)
        os.chown(state, 65534, 65534)
        log = os.path.join(capdir, "full.log")
        port = free_port()
        with open(log, "w") as lf:
            p = as_nobody(usable, state, port, lf)
        try:
            ready = wait_ready(p, log)
            t.ok(ready, "nobody with the unit's capabilities: daemon ready", open(log).read())
            body = ""
            end = time.time() + 15
            while ready and time.time() < end and "leaf_hot" not in body:
                time.sleep(1)
                url = "http://127.0.0.1:%d/profiles?pid=%d&format=folded" % (port, w.pid)
                try:
                    with urllib.request.urlopen(url, timeout=30) as r:
                        body = r.read().decode()
                except OSError as e:
                    body = "error: %s" % e
            t.ok("dispatch;leaf_hot" in body,
                 "nobody with the unit's capabilities: root's workload (in a 0700 directory) "
                 "symbolized", body[:2000] + open(log).read())
            if "CAP_SYSLOG" in usable:
                t.ok("kernel symbol addresses are hidden" not in open(log).read(),
                     "with CAP_SYSLOG: kernel symbols readable", open(log).read())
        finally:
            finish(p)
        # Perf-event uprobes need CAP_SYS_ADMIN from Linux 6.16 on; the
        # daemon then follows new Python threads through uprobe_multi links.
        if not (3, 8) <= sys.version_info[:2] <= (3, 14):
            t.ok(True, "# SKIP Python thread uprobes: this Python is not one zprofd walks")
        else:
            started, folded, err = python_new_thread(usable)
            t.ok(started >= 1 and "spin_new_thread" in folded,
                 "nobody with the unit's capabilities: a Python thread started after the "
                 "process was found is seen by the uprobes and walked",
                 folded[:2000] + err[-4000:])
        for missing in ("CAP_BPF", "CAP_PERFMON"):
            log = os.path.join(capdir, "no-%s.log" % missing)
            with open(log, "w") as lf:
                p = as_nobody([c for c in usable if c != missing], state, free_port(), lf)
            try:
                p.wait(timeout=30)
            finally:
                finish(p)
            err = open(log).read()
            t.ok(p.returncode == 1 and "missing capability %s" % missing in err
                 and "daemon ready" not in err,
                 "without %s: exit 1 naming the capability" % missing, err)
    finally:
        w.kill()
        w.wait()


# ---- 3. the Debian package ---------------------------------------------------
# A package ships the plain build: under `make test` the sanitized pass runs
# after the plain one, whose binary (linked without libasan) is what a .deb
# would carry.
DEB_B = os.path.join(ROOT, "build")
if not os.path.exists(os.path.join(DEB_B, "zprofd")):
    DEB_B = B
r = run(os.path.join(ROOT, "scripts", "make-deb.sh"), DEB_B)
m = re.search(r"make-deb: (\S+\.deb)", r.stdout)
deb = m.group(1) if m else None
t.ok(r.returncode == 0 and deb and os.path.exists(deb), "make-deb.sh builds a .deb",
     r.stdout + r.stderr)
version = run(os.path.join(DEB_B, "zprofd"), "--version").stdout.split()[1]
t.ok(deb and os.path.basename(deb) == "zprofd_%s_amd64.deb" % version,
     "named zprofd_%s_amd64.deb" % version, deb)
if deb:
    info = run("dpkg-deb", "--info", deb).stdout
    depends = run("dpkg-deb", "-f", deb, "Depends").stdout
    dep_names = {d.split()[0] for d in depends.split(",") if d.strip()}
    want = {"libbpf1", "libelf1", "zlib1g", "libmicrohttpd12", "libinih1", "libsystemd0", "libcurl4", "libc6"}
    t.ok(dep_names == want, "Depends: %s" % depends.strip(), dep_names ^ want)
    t.ok(re.search(r"^ Version: %s$" % re.escape(version), info, re.M) is not None,
         "control: Version %s" % version, info)
    r = subprocess.run("dpkg-deb --ctrl-tarfile %s | tar -xO ./conffiles" % deb, shell=True,
                       capture_output=True, text=True)
    t.ok(r.stdout.split() == [CONFIG], "conffiles: " + CONFIG, r.stdout + r.stderr)
    contents = run("dpkg-deb", "--contents", deb).stdout
    files = {line.split()[-1].lstrip(".") for line in contents.splitlines()}
    need = ["/usr/bin/zprofd", "/lib/systemd/system/zprofd.service", CONFIG,
            "/usr/share/doc/zprofd/copyright"]
    t.ok(all(f in files for f in need), "contents: " + ", ".join(need), contents)
    t.ok(all(line.split()[1] == "root/root" for line in contents.splitlines()),
         "contents owned by root/root", contents)
    with open(UNIT) as f:
        unit_text = f.read()
    r = subprocess.run("dpkg-deb --fsys-tarfile %s | tar -xO ./lib/systemd/system/zprofd.service"
                       % deb, shell=True, capture_output=True, text=True)
    t.ok(r.stdout == unit_text, "the packaged unit is packaging/systemd/zprofd.service")

    # Install for real: CI is a disposable root machine. Never over a
    # zprofd that was there before this test.
    pre = run("dpkg-query", "-W", "-f=${Status}", "zprofd").stdout
    if os.geteuid() != 0:
        t.ok(True, "# SKIP dpkg -i: needs root")
    elif "installed" in pre or os.path.exists("/usr/bin/zprofd"):
        t.ok(True, "# SKIP dpkg -i: a zprofd is already installed here")
    else:
        try:
            r = run("dpkg", "-i", deb)
            t.ok(r.returncode == 0, "dpkg -i", r.stdout + r.stderr)
            t.ok(all(os.path.exists(f) for f in need), "installed files in place")
            r = run("/usr/bin/zprofd", "--version")
            t.ok(r.returncode == 0 and r.stdout.startswith("zprofd " + version),
                 "/usr/bin/zprofd --version", r.stdout + r.stderr)
            t.ok(not os.path.exists("/etc/systemd/system/multi-user.target.wants/zprofd.service"),
                 "postinst does not enable the service")
            r = run("dpkg-query", "-W", "-f=${Conffiles}", "zprofd")
            t.ok(CONFIG in r.stdout, "dpkg records %s as a conffile" % CONFIG, r.stdout)
            r = run("dpkg", "-r", "zprofd")
            t.ok(r.returncode == 0 and not os.path.exists("/usr/bin/zprofd")
                 and os.path.exists(CONFIG), "dpkg -r: binary gone, conffile kept",
                 r.stdout + r.stderr)
            r = run("dpkg", "--purge", "zprofd")
            t.ok(r.returncode == 0 and not os.path.exists(CONFIG)
                 and not os.path.exists("/etc/zprofd"), "dpkg --purge: config gone",
                 r.stdout + r.stderr)
        finally:
            # whatever failed above, leave the machine as it was
            if "installed" in run("dpkg-query", "-W", "-f=${Status}", "zprofd").stdout:
                run("dpkg", "--purge", "zprofd")
        t.ok("installed" not in run("dpkg-query", "-W", "-f=${Status}", "zprofd").stdout,
             "zprofd not installed after the test")


# ---- 4. Kubernetes manifests -------------------------------------------------
try:
    import yaml
except ImportError:
    yaml = None
    t.ok(False, "python3-yaml is installed (scripts/install-deps.sh)")

if yaml:
    docs = {}
    for name in ("daemonset.yaml", "configmap.yaml", "service.yaml"):
        try:
            with open(os.path.join(K8S, name)) as f:
                docs[name] = list(yaml.safe_load_all(f))
            ok = len(docs[name]) == 1 and isinstance(docs[name][0], dict)
        except (OSError, yaml.YAMLError) as e:
            ok = False
            docs[name] = [{}]
            t.diag(str(e))
        t.ok(ok, "%s parses as one YAML document" % name)
    ds = docs["daemonset.yaml"][0]
    cm = docs["configmap.yaml"][0]
    svc = docs["service.yaml"][0]
    spec = ds.get("spec", {}).get("template", {}).get("spec", {})
    ctrs = spec.get("containers") or [{}]
    c = ctrs[0]
    sc = c.get("securityContext", {})
    t.ok(ds.get("kind") == "DaemonSet" and len(ctrs) == 1, "DaemonSet with one container")
    t.ok(spec.get("hostPID") is True, "hostPID: true")
    t.ok("privileged: true" not in open(os.path.join(K8S, "daemonset.yaml")).read()
         and sc.get("privileged") is not True and sc.get("allowPrivilegeEscalation") is False,
         "not privileged, no privilege escalation", sc)
    k8s_caps = sorted("CAP_" + x for x in sc.get("capabilities", {}).get("add", []))
    t.ok(k8s_caps == sorted(caps) and sc.get("capabilities", {}).get("drop") == ["ALL"],
         "capabilities: drop ALL, add the unit's set", (k8s_caps, sorted(caps)))
    t.ok(sc.get("runAsUser") == 0, "runAsUser: 0")
    env = {e.get("name"): e for e in c.get("env", [])}
    t.ok(env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
         == "spec.nodeName", "NODE_NAME from fieldRef spec.nodeName")
    probes = [c.get("livenessProbe", {}), c.get("readinessProbe", {})]
    t.ok(all(p.get("httpGet", {}).get("path") == "/healthz" for p in probes),
         "liveness and readiness probes GET /healthz")
    args = c.get("args", [])
    cfg = args[args.index("--config") + 1] if "--config" in args[:-1] else None
    mounts = {m.get("name"): m for m in c.get("volumeMounts", [])}
    vols = {v.get("name"): v for v in spec.get("volumes", [])}
    cfg_mount = [m for m in mounts.values() if cfg and cfg.startswith(m.get("mountPath", "") + "/")]
    t.ok(cfg == CONFIG and len(cfg_mount) == 1
         and vols.get(cfg_mount[0]["name"], {}).get("configMap", {}).get("name")
         == cm.get("metadata", {}).get("name"),
         "--config %s is in the ConfigMap's mount" % CONFIG, (args, mounts))
    t.ok(os.path.basename(CONFIG) in cm.get("data", {}), "the ConfigMap has zprofd.conf")
    conf = cm.get("data", {}).get("zprofd.conf", "")
    lm = re.search(r"^listen = (\S+):(\d+)$", conf, re.M)
    ports = [p.get("containerPort") for p in c.get("ports", [])]
    t.ok(lm is not None and lm.group(1) == "0.0.0.0" and int(lm.group(2)) in ports,
         "ConfigMap listens on 0.0.0.0 at the container's port", (lm and lm.groups(), ports))
    state = re.search(r"^state_dir = (\S+)$", conf, re.M)
    t.ok(state is not None and any(m.get("mountPath") == state.group(1) for m in mounts.values()),
         "state_dir is a mounted volume")
    cg = [m for m in mounts.values() if m.get("mountPath") == "/sys/fs/cgroup"]
    t.ok(len(cg) == 1 and cg[0].get("readOnly") is True, "/sys/fs/cgroup mounted read-only")
    tol = spec.get("tolerations", [])
    t.ok(any(x.get("operator") == "Exists" and "key" not in x for x in tol),
         "tolerates every taint")
    res = c.get("resources", {})
    t.ok("requests" in res and "limits" in res, "resources: requests and limits")
    # The ConfigMap's zprofd.conf must be a config the daemon accepts: run
    # without capabilities, the daemon reads it, then stops at the
    # capability check, before it touches the state directory or the port.
    cm_conf = os.path.join(tmp, "k8s.conf")
    with open(cm_conf, "w") as f:
        f.write(conf)
    os.chmod(cm_conf, 0o644)
    drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all"] if os.geteuid() == 0 else []
    r = run(*(drop + [os.path.join(B, "zprofd"), "daemon", "--config", cm_conf]), timeout=30)
    t.ok(r.returncode == 1 and "missing capability CAP_BPF" in r.stderr,
         "the ConfigMap's zprofd.conf parses (the daemon gets to the capability check)",
         r.stderr)
    ann = svc.get("metadata", {}).get("annotations", {})
    sel = svc.get("spec", {}).get("selector", {})
    labels = ds.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
    t.ok(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/path") == "/metrics"
         and ann.get("prometheus.io/port") == str(ports[0] if ports else None),
         "Service: prometheus.io scrape annotations", ann)
    t.ok(sel and all(labels.get(k) == v for k, v in sel.items()),
         "Service selects the DaemonSet's pods", (sel, labels))

shutil.rmtree(tmp, ignore_errors=True)
t.done()
