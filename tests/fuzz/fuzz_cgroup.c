// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the cgroup labeller: the input as the text of
 * /proc/PID/cgroup, and as one cgroup path. Either way the labels must be
 * well-formed: terminated within their fields, an id of 12..64 lower-case
 * hex digits only with a runtime, a pod UID only with a QoS class.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

static void check(const struct cgroup_info *i)
{
	size_t n;

	if (!memchr(i->path, '\0', sizeof(i->path)) ||
	    !memchr(i->id, '\0', sizeof(i->id)) ||
	    !memchr(i->pod_uid, '\0', sizeof(i->pod_uid)) ||
	    !memchr(i->unit, '\0', sizeof(i->unit)) ||
	    !memchr(i->slice, '\0', sizeof(i->slice)))
		abort();
	n = strlen(i->id);
	if (n && (n < 12 || strspn(i->id, "0123456789abcdef") != n))
		abort();
	if (n && i->runtime == CGROUP_RUNTIME_NONE)
		abort();
	if (i->conmon && n)
		abort();
	if (!n && !i->conmon && i->runtime != CGROUP_RUNTIME_NONE)
		abort();
	n = strlen(i->pod_uid);
	if (n != 0 && n != 32 && n != 36)
		abort();
	if (!n != (i->qos == CGROUP_QOS_NONE))
		abort();
	if (i->path_truncated && strlen(i->path) != CGROUP_PATH_LEN - 1)
		abort();
	if (i->path[0] && i->path[0] != '/')
		abort();
	cgroup_runtime_name(i->runtime);
	cgroup_qos_name(i->qos);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgroup_info info;
	char *s;

	if (cgroup__parse_proc((const char *)data, size, &info) == 0)
		check(&info);
	else if (info.path[0] || info.id[0])
		abort();

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cgroup__parse_path(s, &info) == 0) {
		check(&info);
		if (strncmp(info.path, s, strlen(info.path)))
			abort();
	}
	free(s);
	return 0;
}
