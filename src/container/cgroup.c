// SPDX-License-Identifier: BSD-2-Clause
/*
 * cgroup: labels a process with its container, Kubernetes pod and systemd
 * unit by reading the names in its cgroup path. Every component is matched
 * on its own, outermost first, and the innermost match wins, so nested
 * setups (docker-in-docker, kind nodes that are themselves containers) give
 * the labels of the process's own container. Both cgroup drivers are
 * understood: cgroupfs ("/kubepods/burstable/pod<uid>/<id>",
 * "/docker/<id>") and systemd ("kubepods-burstable-pod<uid>.slice",
 * "docker-<id>.scope"), under cgroup v1 or v2.
 *
 * Paths and /proc/PID/cgroup are outside input (anyone may create cgroups
 * in a delegated subtree): everything is bounded by lengths, never by a NUL
 * it might lack, and nothing is allocated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "symutil.h"

/* /proc/PID/cgroup: a dozen v1 hierarchies and paths up to PATH_MAX. */
#define PROC_CGROUP_MAX (256u << 10)

/* Shortest container id accepted after an explicit runtime prefix:
 * the 12 digits docker prints. */
#define SHORT_ID_MIN 12
#define FULL_ID_LEN  64

struct seg {
	const char *s;
	size_t n;
};

static bool seg_is(struct seg g, const char *lit)
{
	size_t n = strlen(lit);

	return g.n == n && !memcmp(g.s, lit, n);
}

static bool has_prefix(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && !memcmp(s, lit, l);
}

static bool has_suffix(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && !memcmp(s + n - l, lit, l);
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

/* A container id: MIN..64 lower-case hex digits. */
static bool valid_id(const char *s, size_t n, size_t min)
{
	return n >= min && n <= FULL_ID_LEN && all_hex(s, n);
}

/*
 * A pod UID as the kubelet writes it into a cgroup name: a UUID whose
 * dashes may be underscores (systemd reserves '-' in slice names), or the
 * 32 hex digits of a static pod's UID (a hash of its manifest). Copied to
 * OUT with dashes.
 */
static bool parse_pod_uid(const char *s, size_t n, char *out)
{
	size_t i;

	if (n == 32 && all_hex(s, n)) {
		memcpy(out, s, n);
		out[n] = '\0';
		return true;
	}
	if (n != 36)
		return false;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-' && s[i] != '_')
				return false;
			out[i] = '-';
		} else if (is_lower_hex(s[i])) {
			out[i] = s[i];
		} else {
			return false;
		}
	}
	out[n] = '\0';
	return true;
}

/* Scope and directory name prefixes that runtimes give their containers. */
static const struct {
	const char *prefix;
	enum cgroup_runtime runtime;
	bool conmon;
} runtimes[] = {
	/* "crio-conmon-" before "crio-", which it starts with */
	{ "cri-containerd-", CGROUP_RUNTIME_CONTAINERD, false },
	{ "crio-conmon-", CGROUP_RUNTIME_CRIO, true },
	{ "crio-", CGROUP_RUNTIME_CRIO, false },
	{ "libpod-conmon-", CGROUP_RUNTIME_PODMAN, true },
	{ "libpod-", CGROUP_RUNTIME_PODMAN, false },
	{ "docker-", CGROUP_RUNTIME_DOCKER, false },
	{ "nerdctl-", CGROUP_RUNTIME_CONTAINERD, false },
};

#define NRUNTIMES (sizeof(runtimes) / sizeof(runtimes[0]))

static void set_name(char *dst, const char *s, size_t n)
{
	/* a longer name is no valid unit; keep none rather than a stump */
	if (n >= CGROUP_UNIT_LEN)
		return;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

struct walk {
	struct cgroup_info *info;
	struct seg parent, grandparent;
};

static void set_container(struct walk *w, enum cgroup_runtime rt, bool conmon,
			  const char *id, size_t n)
{
	struct cgroup_info *info = w->info;

	info->runtime = rt;
	info->conmon = conmon;
	/* the monitor is not inside the container it watches */
	n = conmon ? 0 : n;
	memcpy(info->id, id, n);
	info->id[n] = '\0';
	/* units outside the container (containerd.service) are the host's */
	info->unit[0] = '\0';
}

/* "<runtime prefix><id>": a container; returns whether it was one. */
static bool match_prefixed(struct walk *w, const char *s, size_t n)
{
	size_t i, l;

	for (i = 0; i < NRUNTIMES; i++) {
		l = strlen(runtimes[i].prefix);
		if (!has_prefix(s, n, runtimes[i].prefix))
			continue;
		if (!valid_id(s + l, n - l, SHORT_ID_MIN))
			return false;
		set_container(w, runtimes[i].runtime, runtimes[i].conmon, s + l,
			      n - l);
		return true;
	}
	return false;
}

static void set_pod(struct walk *w, const char *uid, enum cgroup_qos qos)
{
	struct cgroup_info *info = w->info;

	memcpy(info->pod_uid, uid, CGROUP_POD_UID_LEN);
	info->qos = qos;
	/* containers outside the pod (a kind node) are not the process's */
	info->runtime = CGROUP_RUNTIME_NONE;
	info->id[0] = '\0';
	info->conmon = false;
	info->unit[0] = '\0';
}

/*
 * systemd driver: "[<anything>-]kubepods[-burstable|-besteffort]-pod<uid>"
 * (the ".slice" already cut), e.g. "kubelet-kubepods-besteffort-pod<uid>"
 * under kind's kubelet.slice.
 */
static bool match_pod_slice(struct walk *w, const char *s, size_t n)
{
	static const struct {
		const char *tail;
		enum cgroup_qos qos;
	} kinds[] = {
		{ "kubepods-burstable-pod", CGROUP_QOS_BURSTABLE },
		{ "kubepods-besteffort-pod", CGROUP_QOS_BESTEFFORT },
		{ "kubepods-pod", CGROUP_QOS_GUARANTEED },
	};
	char uid[CGROUP_POD_UID_LEN];
	const char *p;
	size_t i, l, before, un;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		l = strlen(kinds[i].tail);
		/* the uid is 32 or 36 characters after the tail */
		for (un = 32; un <= 36; un += 4) {
			if (n < l + un)
				continue;
			before = n - l - un;
			p = s + before;
			if (memcmp(p, kinds[i].tail, l))
				continue;
			if (before && s[before - 1] != '-')
				continue;
			if (!parse_pod_uid(p + l, un, uid))
				continue;
			set_pod(w, uid, kinds[i].qos);
			return true;
		}
	}
	return false;
}

/*
 * cgroupfs driver: "pod<uid>" directly under "kubepods" (guaranteed) or
 * under "kubepods/burstable" or "kubepods/besteffort".
 */
static bool match_pod_dir(struct walk *w, struct seg g)
{
	char uid[CGROUP_POD_UID_LEN];
	enum cgroup_qos qos;

	if (!has_prefix(g.s, g.n, "pod") ||
	    !parse_pod_uid(g.s + 3, g.n - 3, uid))
		return false;
	if (seg_is(w->parent, "kubepods"))
		qos = CGROUP_QOS_GUARANTEED;
	else if (seg_is(w->grandparent, "kubepods") &&
		 seg_is(w->parent, "burstable"))
		qos = CGROUP_QOS_BURSTABLE;
	else if (seg_is(w->grandparent, "kubepods") &&
		 seg_is(w->parent, "besteffort"))
		qos = CGROUP_QOS_BESTEFFORT;
	else
		return false;
	set_pod(w, uid, qos);
	return true;
}

/*
 * "<slice>:<prefix>:<id>": the systemd-style cgroupsPath that containerd
 * hands to runc, taken literally when the runtime uses the cgroupfs driver:
 * "kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>".
 */
static bool match_colon_triple(struct walk *w, struct seg g)
{
	const char *c1 = memchr(g.s, ':', g.n), *c2, *id;
	size_t i, plen, sn, idn;

	if (!c1)
		return false;
	c2 = memchr(c1 + 1, ':', g.n - (size_t)(c1 + 1 - g.s));
	if (!c2)
		return false;
	sn = (size_t)(c1 - g.s);
	plen = (size_t)(c2 - c1 - 1);
	id = c2 + 1;
	idn = g.n - (size_t)(id - g.s);
	/* the middle part is a runtime prefix without its dash */
	for (i = 0; i < NRUNTIMES; i++)
		if (strlen(runtimes[i].prefix) == plen + 1 &&
		    !memcmp(runtimes[i].prefix, c1 + 1, plen))
			break;
	if (i == NRUNTIMES || !valid_id(id, idn, SHORT_ID_MIN))
		return false;
	/* the pod first: finding a pod forgets containers outside it */
	if (has_suffix(g.s, sn, ".slice")) {
		match_pod_slice(w, g.s, sn - 6);
		set_name(w->info->slice, g.s, sn);
	}
	set_container(w, runtimes[i].runtime, runtimes[i].conmon, id, idn);
	return true;
}

static void walk_segment(struct walk *w, struct seg g)
{
	if (match_colon_triple(w, g))
		return;
	if (has_suffix(g.s, g.n, ".slice")) {
		match_pod_slice(w, g.s, g.n - 6);
		set_name(w->info->slice, g.s, g.n);
		return;
	}
	if (has_suffix(g.s, g.n, ".scope")) {
		/* a scope is a container's, or an ordinary unit */
		if (!match_prefixed(w, g.s, g.n - 6))
			set_name(w->info->unit, g.s, g.n);
		return;
	}
	if (has_suffix(g.s, g.n, ".service")) {
		set_name(w->info->unit, g.s, g.n);
		return;
	}
	/* cgroupfs names */
	if (match_prefixed(w, g.s, g.n) || match_pod_dir(w, g))
		return;
	if (seg_is(w->parent, "docker") && valid_id(g.s, g.n, SHORT_ID_MIN)) {
		set_container(w, CGROUP_RUNTIME_DOCKER, false, g.s, g.n);
		return;
	}
	/* a bare full id: under a cgroupfs pod, ECS, CI runners, ... */
	if (valid_id(g.s, g.n, FULL_ID_LEN))
		set_container(w, CGROUP_RUNTIME_UNKNOWN, false, g.s, g.n);
}

static void reset(struct cgroup_info *info)
{
	memset(info, 0, sizeof(*info));
}

static int parse_path_n(const char *path, size_t len, struct cgroup_info *info)
{
	struct walk w = { .info = info };
	const char *p = path, *end = path + len, *slash;
	struct seg g;
	size_t n;

	reset(info);
	if (!len || path[0] != '/')
		return -EINVAL;
	n = len < CGROUP_PATH_LEN - 1 ? len : CGROUP_PATH_LEN - 1;
	memcpy(info->path, path, n);
	info->path[n] = '\0';
	info->path_truncated = n < len;

	while (p < end) {
		slash = memchr(p, '/', (size_t)(end - p));
		g.s = p;
		g.n = (size_t)((slash ? slash : end) - p);
		p = slash ? slash + 1 : end;
		if (!g.n)
			continue;
		walk_segment(&w, g);
		w.grandparent = w.parent;
		w.parent = g;
	}
	return 0;
}

int cgroup__parse_path(const char *path, struct cgroup_info *info)
{
	return parse_path_n(path, strlen(path), info);
}

/* Is NAME one of the comma-separated controllers in LIST[0..N)? */
static bool has_controller(const char *list, size_t n, const char *name)
{
	const char *p = list, *end = list + n, *comma;
	size_t l = strlen(name);

	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (!comma)
			comma = end;
		if ((size_t)(comma - p) == l && !memcmp(p, name, l))
			return true;
		p = comma + 1;
	}
	return false;
}

/*
 * The file, one line per hierarchy (kernel/cgroup/cgroup.c
 * proc_cgroup_show):
 *
 *   HIERARCHY-ID:CONTROLLER[,CONTROLLER...]:PATH[ (deleted)]
 *
 * v1 hierarchies have an id > 0 and their controllers ("cpu,cpuacct",
 * "name=systemd" for a named hierarchy); the v2 line is "0::PATH". PATH may
 * itself contain ':' (only the first two separate fields) and the kernel
 * does not escape it. " (deleted)" follows a removed v2 cgroup.
 */
enum pick { PICK_V2, PICK_CPU, PICK_SYSTEMD, PICK_V1, PICK_ANY, NPICKS };

struct line {
	const char *path;
	size_t n;
	bool deleted;
};

static bool parse_line(const char *s, size_t n, struct line *out, bool *v2,
		       const char **ctl, size_t *ctl_n)
{
	static const char deleted[] = " (deleted)";
	const size_t dlen = sizeof(deleted) - 1;
	const char *c1, *c2;
	size_t i;

	/* the kernel never prints a NUL; a path cut at one would mislead */
	if (memchr(s, '\0', n))
		return false;
	c1 = memchr(s, ':', n);
	if (!c1 || c1 == s || c1 - s > 10)
		return false;
	for (i = 0; s + i < c1; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - s));
	if (!c2)
		return false;
	out->path = c2 + 1;
	out->n = n - (size_t)(c2 + 1 - s);
	out->deleted = false;
	if (out->n > dlen &&
	    !memcmp(out->path + out->n - dlen, deleted, dlen)) {
		out->n -= dlen;
		out->deleted = true;
	}
	if (!out->n || out->path[0] != '/')
		return false;
	*ctl = c1 + 1;
	*ctl_n = (size_t)(c2 - c1 - 1);
	*v2 = c1 - s == 1 && s[0] == '0' && !*ctl_n;
	return true;
}

int cgroup__parse_proc(const char *buf, size_t len, struct cgroup_info *info)
{
	struct line picks[NPICKS] = { 0 }, l;
	const char *p = buf, *end = buf + len, *nl, *ctl;
	size_t ctl_n;
	bool v2, root;
	int i, err;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (parse_line(p, (size_t)(nl - p), &l, &v2, &ctl, &ctl_n)) {
			root = l.n == 1;
			if (!picks[PICK_ANY].path)
				picks[PICK_ANY] = l;
			if (v2) {
				if (!picks[PICK_V2].path)
					picks[PICK_V2] = l;
			} else if (!root) {
				if (!picks[PICK_CPU].path &&
				    (has_controller(ctl, ctl_n, "cpu") ||
				     has_controller(ctl, ctl_n, "cpuacct")))
					picks[PICK_CPU] = l;
				if (!picks[PICK_SYSTEMD].path &&
				    has_controller(ctl, ctl_n, "name=systemd"))
					picks[PICK_SYSTEMD] = l;
				if (!picks[PICK_V1].path)
					picks[PICK_V1] = l;
			}
		}
		p = nl + 1;
	}
	/* the v2 path, unless it is the root and a v1 path says more */
	if (picks[PICK_V2].path && picks[PICK_V2].n > 1)
		i = PICK_V2;
	else if (picks[PICK_CPU].path)
		i = PICK_CPU;
	else if (picks[PICK_SYSTEMD].path)
		i = PICK_SYSTEMD;
	else if (picks[PICK_V1].path)
		i = PICK_V1;
	else if (picks[PICK_V2].path)
		i = PICK_V2;
	else
		i = PICK_ANY;
	if (!picks[i].path) {
		reset(info);
		return -EINVAL;
	}
	err = parse_path_n(picks[i].path, picks[i].n, info);
	info->deleted = picks[i].deleted;
	return err;
}

int cgroup__read_pid(int pid, struct cgroup_info *info)
{
	char path[32], *buf;
	size_t len;
	int err;

	reset(info);
	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	err = sym_read_file(path, PROC_CGROUP_MAX, &buf, &len);
	if (err)
		/* ESRCH: the process exited while we read */
		return err == -ESRCH ? -ENOENT : err;
	err = cgroup__parse_proc(buf, len, info);
	free(buf);
	return err;
}

const char *cgroup_runtime_name(enum cgroup_runtime rt)
{
	switch (rt) {
	case CGROUP_RUNTIME_UNKNOWN:
		return "unknown";
	case CGROUP_RUNTIME_DOCKER:
		return "docker";
	case CGROUP_RUNTIME_CONTAINERD:
		return "containerd";
	case CGROUP_RUNTIME_CRIO:
		return "cri-o";
	case CGROUP_RUNTIME_PODMAN:
		return "podman";
	case CGROUP_RUNTIME_NONE:
		break;
	}
	return "";
}

const char *cgroup_qos_name(enum cgroup_qos qos)
{
	switch (qos) {
	case CGROUP_QOS_GUARANTEED:
		return "guaranteed";
	case CGROUP_QOS_BURSTABLE:
		return "burstable";
	case CGROUP_QOS_BESTEFFORT:
		return "besteffort";
	case CGROUP_QOS_NONE:
		break;
	}
	return "";
}
