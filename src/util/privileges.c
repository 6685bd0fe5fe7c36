// SPDX-License-Identifier: BSD-2-Clause
/*
 * Capability checks with the raw capget(2) syscall: three bits of one call
 * do not justify a libcap dependency.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privileges.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool privileges_have(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[2] = {};

	if (cap < 0 || cap >= 64)
		return false;
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int privileges_check_bpf(void)
{
	bool admin = privileges_have(CAP_SYS_ADMIN);

	if (admin)
		return 0;
	if (!privileges_have(CAP_BPF)) {
		log_error("missing capability CAP_BPF: run as root or grant "
			  "CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE");
		return -EPERM;
	}
	if (!privileges_have(CAP_PERFMON)) {
		log_error(
		    "missing capability CAP_PERFMON: run as root or grant "
		    "CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE");
		return -EPERM;
	}
	return 0;
}

int privileges_check_ptrace(pid_t pid)
{
	char path[64];
	struct stat st;

	if (privileges_have(CAP_SYS_PTRACE))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st))
		return -errno;
	if (st.st_uid == geteuid())
		return 0;
	log_error("missing capability CAP_SYS_PTRACE: pid %d belongs to uid "
		  "%u; reading its memory maps needs CAP_SYS_PTRACE or root",
		  (int)pid, (unsigned)st.st_uid);
	return -EPERM;
}
