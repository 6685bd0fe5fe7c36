/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cgroup: the container, Kubernetes pod and systemd unit a process belongs
 * to, read from the path of its cgroup. Container runtimes and the kubelet
 * name cgroups after what they run (docker-<id>.scope, pod<uid>, ...), so
 * the path alone labels a process without asking any runtime.
 *
 * The parsers are pure functions of the bytes they are given (fuzzed and
 * unit-tested without processes) and fill a fixed-size struct: nothing
 * allocates, so the daemon can label every new process cheaply.
 */
#ifndef ZPROFD_CGROUP_H
#define ZPROFD_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#define CGROUP_PATH_LEN	   512 /* with the NUL; longer paths are cut */
#define CGROUP_ID_LEN	   65  /* 64 hex digits and the NUL */
#define CGROUP_POD_UID_LEN 37  /* a 36-character UUID and the NUL */
#define CGROUP_UNIT_LEN	   256 /* systemd's limit on unit names */

enum cgroup_runtime {
	CGROUP_RUNTIME_NONE = 0,   /* not in a container */
	CGROUP_RUNTIME_UNKNOWN,	   /* a container the path does not name
				      the runtime of (bare id under a pod) */
	CGROUP_RUNTIME_DOCKER,	   /* docker-<id>.scope, /docker/<id> */
	CGROUP_RUNTIME_CONTAINERD, /* cri-containerd-<id>, nerdctl-<id> */
	CGROUP_RUNTIME_CRIO,	   /* crio-<id> */
	CGROUP_RUNTIME_PODMAN,	   /* libpod-<id> */
};

enum cgroup_qos {
	CGROUP_QOS_NONE = 0, /* not in a Kubernetes pod */
	CGROUP_QOS_GUARANTEED,
	CGROUP_QOS_BURSTABLE,
	CGROUP_QOS_BESTEFFORT,
};

struct cgroup_info {
	/* the cgroup path as read, cut to CGROUP_PATH_LEN - 1 bytes */
	char path[CGROUP_PATH_LEN];
	bool path_truncated;
	/* the kernel appended " (deleted)": the cgroup is gone (v2) */
	bool deleted;
	enum cgroup_runtime runtime;
	/*
	 * The innermost container's id, lower-case hex: 64 digits, or 12 to
	 * 63 right after an explicit runtime prefix (docker-, crio-, ...) or
	 * under /docker/. "" when not in a container, and for a runtime's
	 * monitor process (conmon), which is not in the container it watches.
	 */
	char id[CGROUP_ID_LEN];
	/* crio-conmon-<id> or libpod-conmon-<id>: RUNTIME's monitor of <id> */
	bool conmon;
	/* "1234abcd-...": dashes even where systemd wrote underscores; or the
	 * 32 hex digits of a static pod's UID. "" when not in a pod. */
	char pod_uid[CGROUP_POD_UID_LEN];
	enum cgroup_qos qos;
	/*
	 * The innermost systemd unit (.service or .scope) that is not the
	 * scope of a container: "nginx.service", "session-2.scope"; inside a
	 * container only units below it count. "" when none.
	 */
	char unit[CGROUP_UNIT_LEN];
	/* The innermost slice: "system.slice", "user-1000.slice"; "" none. */
	char slice[CGROUP_UNIT_LEN];
};

/*
 * Label INFO from cgroup PATH (NUL-terminated, starting with '/'). Any path
 * is accepted; one that names nothing known gives empty labels. Returns 0,
 * or -EINVAL for an empty path or one not starting with '/'; INFO is fully
 * reset either way.
 */
int cgroup__parse_path(const char *path, struct cgroup_info *info);

/*
 * Pick the cgroup of a process from the text of /proc/PID/cgroup (BUF[0..LEN),
 * need not be NUL-terminated) and parse it. Lines are "ID:CONTROLLERS:PATH".
 * The pick, in order: the cgroup v2 line ("0::PATH") unless PATH is "/";
 * a v1 line with the cpu or cpuacct controller; the name=systemd line; the
 * first v1 line; each of these only when its PATH is not "/" (on a hybrid
 * host the v2 hierarchy is often empty); finally the v2 line, or the first
 * line. Returns 0, or -EINVAL when no line parses.
 */
int cgroup__parse_proc(const char *buf, size_t len, struct cgroup_info *info);

/*
 * Read /proc/PID/cgroup and parse it. Returns 0, -ENOENT (the process is
 * gone), -EINVAL (nothing parses, or PID <= 0), or another -errno.
 */
int cgroup__read_pid(int pid, struct cgroup_info *info);

/* "docker", "containerd", "cri-o", "podman", "unknown", "" (none). */
const char *cgroup_runtime_name(enum cgroup_runtime rt);
/* "guaranteed", "burstable", "besteffort", "" (none). */
const char *cgroup_qos_name(enum cgroup_qos qos);

#endif
