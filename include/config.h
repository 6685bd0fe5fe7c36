/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * config: the daemon's settings, their defaults, the INI file that overrides
 * them (packaging/zprofd.conf documents every key), and what a reload may
 * change. The file is outside input: every value is checked against its
 * type and range, and the first problem is reported as "FILE:LINE: reason".
 * The value parsers (durations, sizes, host:port) are exposed so command
 * line flags accept exactly what the file accepts.
 *
 * A struct zp_config owns its strings: initialise it with config__defaults()
 * or a config__load_*() call, release it with config__free(). Not
 * thread-safe; the daemon loads and reloads from its main thread.
 */
#ifndef ZPROFD_CONFIG_H
#define ZPROFD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line of a config file, in characters, without its newline. */
#define CONFIG_LINE_MAX 1000
/* Largest config file accepted. */
#define CONFIG_FILE_MAX (1u << 20)

/* A [filters] list: at most CONFIG_GLOBS_MAX fnmatch(3) patterns. */
#define CONFIG_GLOBS_MAX 32
#define CONFIG_GLOB_LEN	 64 /* with the NUL */

/* [labels]: static labels added to every profile. */
#define CONFIG_LABELS_MAX      16
#define CONFIG_LABEL_NAME_LEN  64  /* with the NUL */
#define CONFIG_LABEL_VALUE_LEN 128 /* with the NUL */

#define CONFIG_HOST_LEN 256 /* with the NUL; a DNS name is at most 253 */

enum config_log_level {
	CONFIG_LOG_ERROR = 0, /* same order as enum log_level */
	CONFIG_LOG_WARNING,
	CONFIG_LOG_INFO,
	CONFIG_LOG_DEBUG,
};

/* What the push client names the Pyroscope service of a profile. */
enum config_service_name_from {
	CONFIG_SERVICE_FIXED = 0, /* push.service_name for every profile */
	CONFIG_SERVICE_COMM,	  /* the process's comm (push.service_name
				     when it is unknown) */
};

struct zp_hostport {
	/* numeric IPv4, numeric IPv6 (without brackets) or a DNS name */
	char host[CONFIG_HOST_LEN];
	uint16_t port; /* 1..65535 */
	int family;    /* AF_INET, AF_INET6, or AF_UNSPEC for a name */
};

struct zp_globlist {
	unsigned int count;
	char glob[CONFIG_GLOBS_MAX][CONFIG_GLOB_LEN];
};

struct zp_label {
	char name[CONFIG_LABEL_NAME_LEN];
	char value[CONFIG_LABEL_VALUE_LEN];
};

/*
 * Every daemon setting. Strings are owned (config__free); NULL means "not
 * set" where the comment says so. Units are in the field names.
 */
struct zp_config {
	/* [daemon] */
	struct zp_hostport listen;	 /* 127.0.0.1:7070 */
	char *auth_token_file;		 /* NULL: the API needs no token */
	char *state_dir;		 /* /var/lib/zprofd */
	uint32_t frequency_hz;		 /* 19, 1..1000 */
	uint32_t window_s;		 /* 10, 1..3600 */
	bool kernel_stacks;		 /* true */
	bool python;			 /* true */
	enum config_log_level log_level; /* info */

	/* [retention] */
	uint64_t max_age_s; /* 7d, 1m..365d */
	uint64_t max_bytes; /* 1G, 1M..1T */

	/* [push] */
	char *push_url;		 /* NULL: no push */
	char *push_service_name; /* "zprofd" */
	enum config_service_name_from push_service_name_from; /* fixed */
	char *push_token_file;		     /* NULL: no bearer token */
	char *push_basic_auth_user;	     /* NULL: no basic auth */
	char *push_basic_auth_password_file; /* set with the user */
	char *push_tenant_id;		     /* NULL: no X-Scope-OrgID header */
	uint32_t push_timeout_ms;	     /* 10s, 100ms..5m */
	uint32_t push_queue;		     /* 60 windows, 1..10000 */

	/* [limits] */
	uint32_t max_processes;	    /* 4096, 16..1048576 */
	uint32_t max_stacks;	    /* 65536, 1024..16777216 */
	uint64_t ring_buffer_bytes; /* 0 = auto, else 1M..64M */

	/* [filters]: a process is profiled when it matches an include
	 * pattern of every non-empty include list and no exclude pattern */
	struct zp_globlist include_comm;
	struct zp_globlist exclude_comm;
	struct zp_globlist include_cgroup;
	struct zp_globlist exclude_cgroup;

	/* [labels] */
	unsigned int nlabels;
	struct zp_label labels[CONFIG_LABELS_MAX];
};

/*
 * Reset C to the defaults (whatever it held is overwritten, not freed).
 * Returns 0 or -ENOMEM; C can be config__free()d either way.
 */
int config__defaults(struct zp_config *c);

/* Release C's strings and reset it to all zeros. Accepts NULL. */
void config__free(struct zp_config *c);

/*
 * Reset C to the defaults (as config__defaults(): free a loaded C first),
 * then apply the INI text TEXT[0..LEN) (need not be NUL-terminated). ORIGIN
 * names the text in messages ("FILE:LINE: reason"). Returns 0 or -errno:
 * -EINVAL with the first problem described in ERR (ERRLEN bytes, always
 * NUL-terminated when ERRLEN > 0; "" on success), -ENOMEM. On failure C holds
 * the defaults (or zeros after -ENOMEM) and still needs config__free().
 */
int config__load_string(struct zp_config *c, const char *text, size_t len,
			const char *origin, char *err, size_t errlen);

/*
 * config__load_string() on the contents of PATH. When the file cannot be
 * read: -ENOENT, -EACCES, -EISDIR, -EINVAL (not a regular file), -EFBIG
 * (over CONFIG_FILE_MAX), ... with "PATH: reason" in ERR and the defaults
 * in C.
 */
int config__load_file(struct zp_config *c, const char *path, char *err,
		      size_t errlen);

/* One setting that differs between two configurations. */
struct config_change {
	const char *key; /* "daemon.frequency"; static */
	/* true: applied on reload; false: kept until the daemon restarts */
	bool live;
	char old_value[128]; /* formatted as in the file, truncated */
	char new_value[128];
};

/*
 * Compare OLD (running) and NEW (just loaded) key by key. Writes the first
 * MAX differences to OUT (NULL when MAX is 0), in file order, and returns
 * how many keys differ in total (may exceed MAX). The daemon logs the
 * restart-only ones ("daemon.frequency change needs a restart; kept 19") and
 * then calls config__apply_live().
 */
int config__reload_diff(const struct zp_config *old,
			const struct zp_config *new, struct config_change *out,
			size_t max);

/*
 * Copy the live settings of NEXT ([push], [retention], [filters], [labels],
 * daemon.log_level and daemon.auth_token_file) into RUN; RUN keeps its
 * restart-only settings. Strings are copied: NEXT is borrowed. Returns 0 or
 * -ENOMEM, in which case RUN is unchanged.
 */
int config__apply_live(struct zp_config *run, const struct zp_config *next);

/*
 * The [filters] decision for a process: COMM its comm, CGROUP its cgroup
 * path (either may be NULL when unknown; an unknown value matches no
 * include list and no exclude list).
 */
bool config__filter_allows(const struct zp_config *c, const char *comm,
			   const char *cgroup);

/*
 * Value parsers shared with the command line. Each parses the whole of S
 * (no surrounding spaces) and returns 0, -EINVAL (syntax, unknown unit,
 * negative) or -ERANGE (overflow), leaving *OUT untouched on failure.
 */

/* Decimal digits only; at most MAX. */
int config_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* true/false, yes/no, on/off, 1/0 (lower case). */
int config_parse_bool(const char *s, bool *out);

/*
 * Whole number with a unit: ms, s, m, h, d (24 h), w (7 d); a bare number is
 * seconds. "30s", "15m", "24h", "7d", "500ms". Result in milliseconds.
 */
int config_parse_duration(const char *s, uint64_t *ms);

/*
 * Whole number of bytes with an optional binary unit, case-insensitive:
 * K, M, G, T (powers of 1024), optionally followed by "B" or "iB"; "512K",
 * "100M", "2GiB", "4096".
 */
int config_parse_size(const char *s, uint64_t *bytes);

/*
 * HOST:PORT where HOST is a numeric IPv4 address, a bracketed numeric IPv6
 * address ("[::1]:7070") or a DNS name ("localhost:7070"); PORT 1..65535.
 */
int config_parse_hostport(const char *s, struct zp_hostport *out);

/*
 * NULL when S is an acceptable push URL (http:// or https://, a host, no
 * credentials, no spaces), else the reason (static text).
 */
const char *config_url_problem(const char *s);

/*
 * Canonical text of a value, as config__reload_diff() shows it: the largest
 * unit that divides exactly ("7d", "1500ms", "1G", "[::1]:7070"). Truncated
 * to LEN (always NUL-terminated when LEN > 0).
 */
void config_format_duration(uint64_t ms, char *buf, size_t len);
void config_format_size(uint64_t bytes, char *buf, size_t len);
void config_format_hostport(const struct zp_hostport *hp, char *buf,
			    size_t len);
/* URL for the log: its query and fragment (which may hold a key) as "?...". */
void config_format_url(const char *url, char *buf, size_t len);

#endif
