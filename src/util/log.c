// SPDX-License-Identifier: BSD-2-Clause
/* Logger implementation: "zprofd: level: message" lines on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

enum log_level log_threshold = LOG_WARN;

static const char *const level_names[] = {
	[LOG_ERROR] = "error",
	[LOG_WARN] = "warning",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one fprintf so concurrent writers do not interleave within a line */
	fprintf(stderr, "zprofd: %s: %s\n", level_names[level], line);
}

/* Debug aid for the memory budget: current and peak RSS at a phase. */
void log_memory(const char *phase)
{
	char line[128];
	FILE *f;

	if (log_threshold < LOG_DEBUG)
		return;
	f = fopen("/proc/self/status", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6) ||
		    !strncmp(line, "VmHWM:", 6)) {
			line[strcspn(line, "\n")] = '\0';
			log_debug("memory after %s: %s", phase, line);
		}
	fclose(f);
}
