// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the cgroup labeller: a table of paths in the shapes that
 * docker, containerd, cri-o, podman, the kubelet (both cgroup drivers, kind,
 * k3s) and systemd create, the choice of line in /proc/PID/cgroup on v1,
 * v2 and hybrid hosts, this process's own cgroup, and garbage.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

/* 64-digit container ids */
#define ID1 "3f0c1e5b7d9a2c4e6f8a0b1c3d5e7f9a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e"
#define ID2 "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
/* pod UIDs, with dashes and as systemd writes them */
#define UID1  "0b8e5b8d-4c1e-4b7a-9d2f-6e3a1c5b7d9f"
#define UID1U "0b8e5b8d_4c1e_4b7a_9d2f_6e3a1c5b7d9f"
/* a static pod's UID: the hash of its manifest */
#define UID2 "5d4b6a3c2e1f0a9b8c7d6e5f4a3b2c1d"

struct path_case {
	const char *path;
	enum cgroup_runtime runtime;
	const char *id;
	const char *pod_uid;
	enum cgroup_qos qos;
	const char *unit;
	const char *slice;
	bool conmon;
};

#define NONE CGROUP_RUNTIME_NONE
#define UNKN CGROUP_RUNTIME_UNKNOWN
#define DOCK CGROUP_RUNTIME_DOCKER
#define CTRD CGROUP_RUNTIME_CONTAINERD
#define CRIO CGROUP_RUNTIME_CRIO
#define PODM CGROUP_RUNTIME_PODMAN
#define Q0   CGROUP_QOS_NONE
#define QG   CGROUP_QOS_GUARANTEED
#define QB   CGROUP_QOS_BURSTABLE
#define QE   CGROUP_QOS_BESTEFFORT

static const struct path_case cases[] = {
	/* host processes */
	{ "/", NONE, "", "", Q0, "", "" },
	{ "/init.scope", NONE, "", "", Q0, "init.scope", "" },
	{ "/system.slice/nginx.service", NONE, "", "", Q0, "nginx.service",
	  "system.slice" },
	{ "/system.slice/system-getty.slice/getty@tty1.service", NONE, "", "",
	  Q0, "getty@tty1.service", "system-getty.slice" },
	{ "/user.slice/user-1000.slice/session-2.scope", NONE, "", "", Q0,
	  "session-2.scope", "user-1000.slice" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/"
	  "app-gnome-firefox-4242.scope",
	  NONE, "", "", Q0, "app-gnome-firefox-4242.scope", "app.slice" },
	/* cgroup v1 systemd hierarchy: same names */
	{ "/system.slice/cron.service", NONE, "", "", Q0, "cron.service",
	  "system.slice" },

	/* docker: cgroupfs, systemd, short ids, docker-in-docker */
	{ "/docker/" ID1, DOCK, ID1, "", Q0, "", "" },
	{ "/system.slice/docker-" ID1 ".scope", DOCK, ID1, "", Q0, "",
	  "system.slice" },
	{ "/docker/3f0c1e5b7d9a", DOCK, "3f0c1e5b7d9a", "", Q0, "", "" },
	{ "/system.slice/docker-3f0c1e5b7d9a.scope", DOCK, "3f0c1e5b7d9a", "",
	  Q0, "", "system.slice" },
	{ "/docker/" ID1 "/docker/" ID2, DOCK, ID2, "", Q0, "", "" },
	/* systemd in a container: the unit inside it */
	{ "/system.slice/docker-" ID1 ".scope/system.slice/nginx.service", DOCK,
	  ID1, "", Q0, "nginx.service", "system.slice" },
	{ "/system.slice/docker-" ID1 ".scope/init.scope", DOCK, ID1, "", Q0,
	  "init.scope", "system.slice" },
	/* docker's daemon itself is a host service */
	{ "/system.slice/docker.service", NONE, "", "", Q0, "docker.service",
	  "system.slice" },
	/* "docker-compose" is no container id */
	{ "/user.slice/docker-compose.scope", NONE, "", "", Q0,
	  "docker-compose.scope", "user.slice" },

	/* Kubernetes, cgroupfs driver (v1 or v2) */
	{ "/kubepods/besteffort/pod" UID1 "/" ID1, UNKN, ID1, UID1, QE, "",
	  "" },
	{ "/kubepods/burstable/pod" UID1 "/" ID1, UNKN, ID1, UID1, QB, "", "" },
	{ "/kubepods/pod" UID1 "/" ID1, UNKN, ID1, UID1, QG, "", "" },
	{ "/kubepods/burstable/pod" UID2 "/" ID2, UNKN, ID2, UID2, QB, "", "" },
	/* the pod's own cgroup: no container */
	{ "/kubepods/burstable/pod" UID1, NONE, "", UID1, QB, "", "" },
	/* cri-o with cgroupfs names its directories crio-<id> */
	{ "/kubepods/besteffort/pod" UID1 "/crio-" ID1, CRIO, ID1, UID1, QE, "",
	  "" },

	/* Kubernetes, systemd driver */
	{ "/kubepods.slice/kubepods-burstable.slice/"
	  "kubepods-burstable-pod" UID1U ".slice/cri-containerd-" ID1 ".scope",
	  CTRD, ID1, UID1, QB, "", "kubepods-burstable-pod" UID1U ".slice" },
	{ "/kubepods.slice/kubepods-besteffort.slice/"
	  "kubepods-besteffort-pod" UID1U ".slice/cri-containerd-" ID1 ".scope",
	  CTRD, ID1, UID1, QE, "", "kubepods-besteffort-pod" UID1U ".slice" },
	{ "/kubepods.slice/kubepods-pod" UID1U ".slice/crio-" ID1 ".scope",
	  CRIO, ID1, UID1, QG, "", "kubepods-pod" UID1U ".slice" },
	{ "/kubepods.slice/kubepods-burstable.slice/"
	  "kubepods-burstable-pod" UID1U ".slice/crio-conmon-" ID1 ".scope",
	  CRIO, "", UID1, QB, "", "kubepods-burstable-pod" UID1U ".slice",
	  true },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID2
	  ".slice/docker-" ID2 ".scope",
	  DOCK, ID2, UID2, QB, "", "kubepods-burstable-pod" UID2 ".slice" },
	/* the pod's own slice */
	{ "/kubepods.slice/kubepods-besteffort.slice/"
	  "kubepods-besteffort-pod" UID1U ".slice",
	  NONE, "", UID1, QE, "", "kubepods-besteffort-pod" UID1U ".slice" },
	/* containerd's systemd-style path taken literally (cgroupfs) */
	{ "/system.slice/containerd.service/kubepods-burstable-pod" UID1U
	  ".slice:cri-containerd:" ID1,
	  CTRD, ID1, UID1, QB, "", "kubepods-burstable-pod" UID1U ".slice" },

	/* kind: a node container running kubelet.slice pods */
	{ "/kubelet.slice/kubelet-kubepods.slice/"
	  "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-"
	  "pod" UID1U ".slice/cri-containerd-" ID1 ".scope",
	  CTRD, ID1, UID1, QE, "",
	  "kubelet-kubepods-besteffort-pod" UID1U ".slice" },
	{ "/docker/" ID2 "/kubelet.slice/kubelet-kubepods.slice/"
	  "kubelet-kubepods-pod" UID1U ".slice/cri-containerd-" ID1 ".scope",
	  CTRD, ID1, UID1, QG, "", "kubelet-kubepods-pod" UID1U ".slice" },
	/* kind with cgroupfs inside a node container: the node is outside */
	{ "/docker/" ID2 "/kubepods/burstable/pod" UID1 "/" ID1, UNKN, ID1,
	  UID1, QB, "", "" },
	{ "/docker/" ID2 "/kubepods/burstable/pod" UID1, NONE, "", UID1, QB, "",
	  "" },
	/* k3s */
	{ "/k3s/kubepods/besteffort/pod" UID1 "/" ID1, UNKN, ID1, UID1, QE, "",
	  "" },
	{ "/system.slice/k3s.service", NONE, "", "", Q0, "k3s.service",
	  "system.slice" },
	/* docker-in-docker sidecar inside a pod */
	{ "/kubepods/burstable/pod" UID1 "/" ID1 "/docker/" ID2, DOCK, ID2,
	  UID1, QB, "", "" },

	/* podman: systemd, rootless, cgroupfs, conmon, pods */
	{ "/machine.slice/libpod-" ID1 ".scope", PODM, ID1, "", Q0, "",
	  "machine.slice" },
	{ "/machine.slice/libpod-conmon-" ID1 ".scope", PODM, "", "", Q0, "",
	  "machine.slice", true },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID1
	  ".scope/container",
	  PODM, ID1, "", Q0, "", "user.slice" },
	{ "/libpod_parent/libpod-" ID1, PODM, ID1, "", Q0, "", "" },
	{ "/machine.slice/machine-libpod_pod_" ID2 ".slice/libpod-" ID1
	  ".scope",
	  PODM, ID1, "", Q0, "", "machine-libpod_pod_" ID2 ".slice" },

	/* nerdctl, ECS-like and CI runner layouts */
	{ "/system.slice/nerdctl-" ID1 ".scope", CTRD, ID1, "", Q0, "",
	  "system.slice" },
	{ "/ecs/0123456789abcdef0123456789abcdef/" ID1, UNKN, ID1, "", Q0, "",
	  "" },
	{ "/actions_job/" ID1, UNKN, ID1, "", Q0, "", "" },

	/* near misses */
	{ "/docker/" ID1 "0", NONE, "", "", Q0, "", "" },     /* 65 digits */
	{ "/docker/3F0C1E5B7D9A", NONE, "", "", Q0, "", "" }, /* upper case */
	{ "/docker/3f0c1e5b7d9", NONE, "", "", Q0, "", "" },  /* 11 digits */
	{ "/other/3f0c1e5b7d9a", NONE, "", "", Q0, "", "" },  /* no prefix */
	{ "/pod" UID1 "/" ID1, UNKN, ID1, "", Q0, "", "" },   /* no kubepods */
	{ "/kubepods/x/pod" UID1, NONE, "", "", Q0, "", "" }, /* bad qos dir */
	{ "/kubepods/pod" UID1 "x", NONE, "", "", Q0, "", "" }, /* long uid */
	{ "/kubepods.slice/mypod-pod" UID1U ".slice", NONE, "", "", Q0, "",
	  "mypod-pod" UID1U ".slice" },
	{ "/kubepods.slice/kubepods-burstable-pod" UID1 "Z.slice", NONE, "", "",
	  Q0, "", "kubepods-burstable-pod" UID1 "Z.slice" },
	{ "/system.slice/crio-" ID1 ".scope:", NONE, "", "", Q0, "",
	  "system.slice" },
	{ "/x.slice:cri-containerd:nothex", NONE, "", "", Q0, "", "" },
	{ "/x.slice:unknown:" ID1, NONE, "", "", Q0, "", "" },
	{ "//system.slice//a.service//", NONE, "", "", Q0, "a.service",
	  "system.slice" },
	{ "/../../system.slice/a.service", NONE, "", "", Q0, "a.service",
	  "system.slice" },
	{ "/.scope", NONE, "", "", Q0, ".scope", "" },
	{ "/docker-.scope", NONE, "", "", Q0, "docker-.scope", "" },
};

static void check_case(const struct path_case *c, const struct cgroup_info *i)
{
	if (i->runtime != c->runtime || strcmp(i->id, c->id) ||
	    strcmp(i->pod_uid, c->pod_uid) || i->qos != c->qos ||
	    strcmp(i->unit, c->unit) || strcmp(i->slice, c->slice) ||
	    i->conmon != c->conmon)
		fail_msg("%s:\n got  rt=%d id=%s pod=%s qos=%d unit=%s "
			 "slice=%s conmon=%d\n want rt=%d id=%s pod=%s qos=%d "
			 "unit=%s slice=%s conmon=%d",
			 c->path, i->runtime, i->id, i->pod_uid, i->qos,
			 i->unit, i->slice, i->conmon, c->runtime, c->id,
			 c->pod_uid, c->qos, c->unit, c->slice, c->conmon);
}

static void test_paths(void **state)
{
	struct cgroup_info info;
	size_t i;

	(void)state;
	assert_int_equal(strlen(ID1), 64);
	assert_int_equal(strlen(ID2), 64);
	assert_int_equal(strlen(UID1), 36);
	assert_int_equal(strlen(UID2), 32);
	assert_true(sizeof(cases) / sizeof(cases[0]) >= 25);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&info, 0xa5, sizeof(info));
		assert_int_equal(cgroup__parse_path(cases[i].path, &info), 0);
		check_case(&cases[i], &info);
		assert_string_equal(info.path, cases[i].path);
		assert_false(info.path_truncated);
		assert_false(info.deleted);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(cgroup_runtime_name(CGROUP_RUNTIME_NONE), "");
	assert_string_equal(cgroup_runtime_name(CGROUP_RUNTIME_UNKNOWN),
			    "unknown");
	assert_string_equal(cgroup_runtime_name(CGROUP_RUNTIME_DOCKER),
			    "docker");
	assert_string_equal(cgroup_runtime_name(CGROUP_RUNTIME_CONTAINERD),
			    "containerd");
	assert_string_equal(cgroup_runtime_name(CGROUP_RUNTIME_CRIO), "cri-o");
	assert_string_equal(cgroup_runtime_name(CGROUP_RUNTIME_PODMAN),
			    "podman");
	assert_string_equal(cgroup_runtime_name((enum cgroup_runtime)99), "");
	assert_string_equal(cgroup_qos_name(CGROUP_QOS_NONE), "");
	assert_string_equal(cgroup_qos_name(CGROUP_QOS_GUARANTEED),
			    "guaranteed");
	assert_string_equal(cgroup_qos_name(CGROUP_QOS_BURSTABLE), "burstable");
	assert_string_equal(cgroup_qos_name(CGROUP_QOS_BESTEFFORT),
			    "besteffort");
	assert_string_equal(cgroup_qos_name((enum cgroup_qos)99), "");
}

static void test_garbage_paths(void **state)
{
	static const char *const bad[] = { "", "docker/" ID1, " /docker",
					   "kubepods.slice" };
	struct cgroup_info info;
	char *longp;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&info, 0xa5, sizeof(info));
		assert_int_equal(cgroup__parse_path(bad[i], &info), -EINVAL);
		assert_string_equal(info.path, "");
		assert_string_equal(info.id, "");
		assert_int_equal(info.runtime, CGROUP_RUNTIME_NONE);
	}
	/* control characters, high bytes, colons: no labels, no crash */
	assert_int_equal(cgroup__parse_path("/\x01\xff:/::/\n/a b", &info), 0);
	assert_string_equal(info.id, "");
	assert_string_equal(info.unit, "");

	/* an overlong path is cut in the copy but still parsed whole */
	n = 3 * CGROUP_PATH_LEN;
	longp = malloc(n + 100);
	assert_non_null(longp);
	for (i = 0; i + 2 < n; i += 2)
		memcpy(longp + i, "/a", 2);
	strcpy(longp + i, "/docker-" ID1 ".scope");
	assert_int_equal(cgroup__parse_path(longp, &info), 0);
	assert_true(info.path_truncated);
	assert_int_equal(strlen(info.path), CGROUP_PATH_LEN - 1);
	assert_memory_equal(info.path, longp, CGROUP_PATH_LEN - 1);
	assert_string_equal(info.id, ID1);
	assert_int_equal(info.runtime, CGROUP_RUNTIME_DOCKER);
	/* exactly CGROUP_PATH_LEN - 1 is not cut */
	longp[CGROUP_PATH_LEN - 1] = '\0';
	assert_int_equal(cgroup__parse_path(longp, &info), 0);
	assert_false(info.path_truncated);
	assert_string_equal(info.path, longp);

	/* a unit or slice name too long for systemd is left out */
	memset(longp, 'u', n);
	longp[0] = '/';
	strcpy(longp + 300, ".service");
	assert_int_equal(cgroup__parse_path(longp, &info), 0);
	assert_string_equal(info.unit, "");
	strcpy(longp + CGROUP_UNIT_LEN - 8, ".service");
	assert_int_equal(cgroup__parse_path(longp, &info), 0);
	assert_int_equal(strlen(info.unit), CGROUP_UNIT_LEN - 1);
	free(longp);
}

static int parse_proc(const char *text, struct cgroup_info *info)
{
	return cgroup__parse_proc(text, strlen(text), info);
}

static void test_proc_file(void **state)
{
	struct cgroup_info info;

	(void)state;
	/* pure v2 */
	assert_int_equal(
	    parse_proc("0::/system.slice/docker-" ID1 ".scope\n", &info), 0);
	assert_string_equal(info.id, ID1);
	assert_string_equal(info.path, "/system.slice/docker-" ID1 ".scope");
	/* v2 without the final newline */
	assert_int_equal(parse_proc("0::/system.slice/a.service", &info), 0);
	assert_string_equal(info.unit, "a.service");

	/* pure v1: the cpu controller's line, wherever it is */
	assert_int_equal(
	    parse_proc("12:pids:/kubepods/burstable/pod" UID1 "/" ID2 "\n"
		       "11:memory:/kubepods/burstable/pod" UID1 "/" ID2 "\n"
		       "4:cpu,cpuacct:/kubepods/burstable/pod" UID1 "/" ID1 "\n"
		       "1:name=systemd:/kubepods/burstable/pod" UID1 "/" ID2
		       "\n",
		       &info),
	    0);
	assert_string_equal(info.id, ID1);
	assert_string_equal(info.pod_uid, UID1);
	assert_int_equal(info.qos, CGROUP_QOS_BURSTABLE);
	/* cpuacct alone counts; "cpuset" is not "cpu" */
	assert_int_equal(parse_proc("5:cpuset:/docker/" ID2 "\n"
				    "3:cpuacct:/docker/" ID1 "\n",
				    &info),
			 0);
	assert_string_equal(info.id, ID1);
	/* no cpu line: name=systemd */
	assert_int_equal(parse_proc("5:cpuset:/a\n"
				    "1:name=systemd:/system.slice/b.service\n",
				    &info),
			 0);
	assert_string_equal(info.unit, "b.service");
	/* neither: the first v1 line that is not the root */
	assert_int_equal(
	    parse_proc("5:cpuset:/\n4:memory:/docker/" ID2 "\n", &info), 0);
	assert_string_equal(info.id, ID2);

	/* hybrid: the v2 line wins unless it is "/" */
	assert_int_equal(parse_proc("1:name=systemd:/system.slice/x.service\n"
				    "0::/system.slice/y.service\n",
				    &info),
			 0);
	assert_string_equal(info.unit, "y.service");
	assert_int_equal(parse_proc("9:name=systemd:/\n"
				    "4:memory:/process_api/d1444468e219db64\n"
				    "2:cpuacct:/\n"
				    "0::/\n",
				    &info),
			 0);
	assert_string_equal(info.path, "/process_api/d1444468e219db64");
	/* everything at the root: the v2 line */
	assert_int_equal(parse_proc("2:cpu:/\n0::/\n", &info), 0);
	assert_string_equal(info.path, "/");

	/* a removed v2 cgroup; a path with colons */
	assert_int_equal(
	    parse_proc("0::/system.slice/gone.service (deleted)\n", &info), 0);
	assert_true(info.deleted);
	assert_string_equal(info.path, "/system.slice/gone.service");
	assert_string_equal(info.unit, "gone.service");
	assert_int_equal(parse_proc("0::/a:b:c/x.service\n", &info), 0);
	assert_string_equal(info.path, "/a:b:c/x.service");
	assert_false(info.deleted);

	/* bad lines are skipped */
	assert_int_equal(parse_proc("garbage\n"
				    ":cpu:/docker/" ID2 "\n"
				    "x:cpu:/docker/" ID2 "\n"
				    "99999999999:cpu:/docker/" ID2 "\n"
				    "3:cpu\n"
				    "3:cpu:relative\n"
				    "3:cpu:\n"
				    "\n"
				    "3:cpu:/docker/" ID1 "\n",
				    &info),
			 0);
	assert_string_equal(info.id, ID1);
	/* nothing parses */
	memset(&info, 0xa5, sizeof(info));
	assert_int_equal(parse_proc("", &info), -EINVAL);
	assert_string_equal(info.path, "");
	assert_int_equal(parse_proc("garbage\n1:cpu:x\n", &info), -EINVAL);
	assert_int_equal(parse_proc("0::", &info), -EINVAL);
	/* a NUL inside a line spoils that line only */
	assert_int_equal(
	    cgroup__parse_proc("0::/a\0b\n1:cpu:/c.service\n", 24, &info), 0);
	assert_string_equal(info.unit, "c.service");
	/* LEN bounds the buffer */
	assert_int_equal(cgroup__parse_proc("0::/a.service\n0::/b", 14, &info),
			 0);
	assert_string_equal(info.unit, "a.service");
}

static void test_read_self(void **state)
{
	struct cgroup_info info, want;
	char *buf = NULL;
	size_t cap = 0;
	FILE *f;
	ssize_t n;
	size_t len = 0;

	(void)state;
	/* what we read equals parsing the file ourselves */
	f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	{
		char chunk[4096];
		size_t got;

		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			buf = realloc(buf, cap + got + 1);
			assert_non_null(buf);
			memcpy(buf + cap, chunk, got);
			cap += got;
		}
		len = cap;
	}
	fclose(f);
	assert_true(len > 0);
	assert_int_equal(cgroup__parse_proc(buf, len, &want), 0);
	assert_int_equal(cgroup__read_pid(getpid(), &info), 0);
	assert_string_equal(info.path, want.path);
	assert_string_equal(info.id, want.id);
	assert_int_equal(info.runtime, want.runtime);
	assert_true(info.path[0] == '/');
	n = (ssize_t)strlen(info.path);
	assert_true(n >= 1);
	free(buf);

	assert_int_equal(cgroup__read_pid(1, &info), 0);
	assert_int_equal(cgroup__read_pid(0x7ffffff0, &info), -ENOENT);
	assert_int_equal(cgroup__read_pid(0, &info), -EINVAL);
	assert_int_equal(cgroup__read_pid(-1, &info), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_garbage_paths),
		cmocka_unit_test(test_proc_file),
		cmocka_unit_test(test_read_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
