/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * privileges: checks, before anything is loaded, that this process holds
 * the capabilities a capture needs, so the error names the missing
 * capability instead of surfacing as an EPERM deep inside libbpf.
 */
#ifndef ZPROFD_PRIVILEGES_H
#define ZPROFD_PRIVILEGES_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * 0 when BPF and perf events may be used; otherwise -EPERM with one error
 * logged naming the missing capability.
 */
int privileges_check_bpf(void);
/* Whether we may read PID's memory maps (same user, or CAP_SYS_PTRACE). */
int privileges_check_ptrace(pid_t pid);
bool privileges_have(int cap);

#endif
