// SPDX-License-Identifier: BSD-2-Clause
/*
 * `zprofd daemon` command line: its own argp parser (the one-shot CLI's
 * options mean nothing here), the config file, and the flags that override
 * it. Flags are checked with the config file's own value parsers, so a
 * value means the same in both places. A config file with an error stops
 * the daemon before anything starts, with "FILE:LINE: reason" and exit 2.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

struct daemon_args {
	const char *config;
	struct daemon_overrides ov;
};

static const char doc[] =
    "zprofd daemon: profile every process continuously, keep the profiles "
    "in windows under the state directory and serve them over HTTP.\n"
    "\n"
    "EXAMPLES:\n"
    "  zprofd daemon --config /etc/zprofd/zprofd.conf\n"
    "  zprofd daemon --state-dir /tmp/zp --listen 127.0.0.1:7070 -w 10\n"
    "  zprofd daemon --push http://pyroscope.monitoring:4040\n"
    "  curl -o cpu.pb.gz 'http://127.0.0.1:7070/debug/pprof/profile?"
    "seconds=10'\n"
    "\n"
    "Flags override the config file. SIGHUP rereads the config file; "
    "SIGTERM stores the current window and exits.";

enum {
	OPT_STATE_DIR = 0x100,
	OPT_TOKEN_FILE,
	OPT_PUSH,
};

static const struct argp_option options[] = {
	{ "config", 'c', "FILE", 0, "Config file (see packaging/zprofd.conf)",
	  0 },
	{ "listen", 'l', "ADDR:PORT", 0,
	  "HTTP API address (default 127.0.0.1:7070)", 0 },
	{ "state-dir", OPT_STATE_DIR, "DIR", 0,
	  "Where windows are stored (default /var/lib/zprofd)", 0 },
	{ "frequency", 'F', "HZ", 0,
	  "Samples per second per CPU, 1..1000 (default 19)", 0 },
	{ "window", 'w', "SEC", 0,
	  "Window length, 1..3600 seconds or a duration like 10s, 1m "
	  "(default 10)",
	  0 },
	{ "auth-token-file", OPT_TOKEN_FILE, "FILE", 0,
	  "Require \"Authorization: Bearer TOKEN\" with the token in FILE", 0 },
	{ "push", OPT_PUSH, "URL", 0,
	  "Push every window to this Grafana Pyroscope server (its "
	  "/ingest API), e.g. http://pyroscope:4040",
	  0 },
	{ "verbose", 'v', NULL, 0, "Debug log output", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct daemon_args *a = state->input;
	struct zp_hostport hp;
	uint64_t v;

	switch (key) {
	case 'c':
		a->config = arg;
		break;
	case 'l':
		if (config_parse_hostport(arg, &hp))
			argp_error(state,
				   "invalid --listen '%s': IPV4:PORT or "
				   "[IPV6]:PORT",
				   arg);
		a->ov.listen = arg;
		break;
	case OPT_STATE_DIR:
		if (!*arg)
			argp_error(state, "empty --state-dir");
		a->ov.state_dir = arg;
		break;
	case 'F':
		if (config_parse_uint(arg, 1000, &v) || !v)
			argp_error(state,
				   "invalid --frequency '%s': 1 to 1000 Hz",
				   arg);
		a->ov.frequency_hz = (uint32_t)v;
		break;
	case 'w':
		if (config_parse_duration(arg, &v) || v % 1000 || v < 1000 ||
		    v > 3600 * 1000)
			argp_error(state,
				   "invalid --window '%s': whole seconds, 1 "
				   "to 3600",
				   arg);
		a->ov.window_s = (uint32_t)(v / 1000);
		break;
	case OPT_TOKEN_FILE:
		if (!*arg)
			argp_error(state, "empty --auth-token-file");
		a->ov.auth_token_file = arg;
		break;
	case OPT_PUSH: {
		const char *why = config_url_problem(arg);

		if (why)
			argp_error(state, "invalid --push '%s': %s", arg, why);
		a->ov.push_url = arg;
		break;
	}
	case 'v':
		a->ov.verbose++;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int replace_str(char **dst, const char *src)
{
	char *s = strdup(src);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int daemon_apply_overrides(struct zp_config *cfg,
			   const struct daemon_overrides *ov)
{
	int err = 0;

	if (ov->listen && config_parse_hostport(ov->listen, &cfg->listen))
		return -EINVAL;
	if (ov->state_dir)
		err = replace_str(&cfg->state_dir, ov->state_dir);
	if (!err && ov->auth_token_file)
		err = replace_str(&cfg->auth_token_file, ov->auth_token_file);
	if (!err && ov->push_url)
		err = replace_str(&cfg->push_url, ov->push_url);
	if (ov->frequency_hz)
		cfg->frequency_hz = ov->frequency_hz;
	if (ov->window_s)
		cfg->window_s = ov->window_s;
	return err;
}

int daemon_main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL, doc,
					  NULL,	   NULL,      NULL };
	struct daemon_args a = {};
	struct zp_config cfg = {};
	char err[512];
	int rc, status = 2;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	if (a.config)
		rc = config__load_file(&cfg, a.config, err, sizeof(err));
	else
		rc = config__defaults(&cfg);
	if (rc) {
		if (rc == -ENOMEM)
			fprintf(stderr, "zprofd: out of memory\n");
		else
			fprintf(stderr, "zprofd: %s\n", err);
		goto out;
	}
	rc = daemon_apply_overrides(&cfg, &a.ov);
	if (rc) {
		fprintf(stderr, "zprofd: %s\n", strerror(-rc));
		goto out;
	}
	status = daemon_run(&cfg, a.config, &a.ov);
out:
	config__free(&cfg);
	return status;
}
