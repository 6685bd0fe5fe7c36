/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * daemon: `zprofd daemon`, the continuous profiling service. It samples
 * every process at a low frequency, cuts the samples into fixed windows,
 * symbolizes each window into a gzipped pprof profile kept under the state
 * directory, and serves them, a live capture, the tracked processes and its
 * own metrics over HTTP.
 *
 * The command line (src/daemon/cli.c) turns flags and the config file into
 * one struct zp_config; daemon_run() (src/daemon/daemon.c) owns everything
 * from there: the sampler and the symbolizers live on the thread that calls
 * it, which runs the event loop; the HTTP handlers (src/daemon/api.c) run
 * on the server's threads and reach the main thread's state only through
 * the locks described in src/daemon/daemon_int.h.
 */
#ifndef ZPROFD_DAEMON_H
#define ZPROFD_DAEMON_H

#include <stdint.h>

#include "config.h"

/* Command line values that win over the config file (NULL/0: not given). */
struct daemon_overrides {
	const char *listen;
	const char *state_dir;
	const char *auth_token_file;
	const char *push_url;
	uint32_t frequency_hz;
	uint32_t window_s;
	int verbose; /* -v count; 0: the config's log_level */
};

/*
 * The `daemon` subcommand: ARGV[0] is "daemon". Returns the process exit
 * status: 0 after SIGTERM/SIGINT, 1 on a runtime failure, 2 for a usage or
 * config file error.
 */
int daemon_main(int argc, char **argv);

/* Copy the overrides into CFG. 0 or -errno (-EINVAL: a bad --listen). */
int daemon_apply_overrides(struct zp_config *cfg,
			   const struct daemon_overrides *ov);

/*
 * Run the daemon with CFG (borrowed; reloads replace its live settings).
 * CONFIG_PATH (NULL: none) is reread on SIGHUP. Returns the exit status.
 */
int daemon_run(struct zp_config *cfg, const char *config_path,
	       const struct daemon_overrides *ov);

#endif
