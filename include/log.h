/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one logger: levels, printf-checked formats, filtered by level before
 * any formatting happens, written to stderr as single lines so journald and
 * `kubectl logs` keep one record per event. Hot paths count instead of
 * logging (see the stats in each module).
 */
#ifndef ZPROFD_LOG_H
#define ZPROFD_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* At debug level: log current and peak RSS, naming the phase just done. */
void log_memory(const char *phase);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)                                                          \
	do {                                                                   \
		if (log_threshold >= LOG_WARN)                                 \
			log_msg(LOG_WARN, __VA_ARGS__);                        \
	} while (0)
#define log_info(...)                                                          \
	do {                                                                   \
		if (log_threshold >= LOG_INFO)                                 \
			log_msg(LOG_INFO, __VA_ARGS__);                        \
	} while (0)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_threshold >= LOG_DEBUG)                                \
			log_msg(LOG_DEBUG, __VA_ARGS__);                       \
	} while (0)

#endif
