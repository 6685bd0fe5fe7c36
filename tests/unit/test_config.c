// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the daemon configuration: the defaults, the shipped example
 * file (and every example it leaves commented out), each key, each error
 * with its exact "FILE:LINE: reason", the value parsers and formatters, the
 * reload diff and live copy, and the process filters.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define EXAMPLE "packaging/zprofd.conf"

static int load(struct zp_config *c, const char *text, char *err, size_t errlen)
{
	return config__load_string(c, text, strlen(text), "t.conf", err,
				   errlen);
}

static void assert_defaults(const struct zp_config *c)
{
	assert_string_equal(c->listen.host, "127.0.0.1");
	assert_int_equal(c->listen.port, 7070);
	assert_int_equal(c->listen.family, AF_INET);
	assert_null(c->auth_token_file);
	assert_string_equal(c->state_dir, "/var/lib/zprofd");
	assert_int_equal(c->frequency_hz, 19);
	assert_int_equal(c->window_s, 10);
	assert_true(c->kernel_stacks);
	assert_true(c->python);
	assert_int_equal(c->log_level, CONFIG_LOG_INFO);
	assert_int_equal(c->max_age_s, 7 * 86400);
	assert_int_equal(c->max_bytes, 1ull << 30);
	assert_null(c->push_url);
	assert_string_equal(c->push_service_name, "zprofd");
	assert_int_equal(c->push_service_name_from, CONFIG_SERVICE_FIXED);
	assert_null(c->push_token_file);
	assert_null(c->push_basic_auth_user);
	assert_null(c->push_basic_auth_password_file);
	assert_null(c->push_tenant_id);
	assert_int_equal(c->push_timeout_ms, 10000);
	assert_int_equal(c->push_queue, 60);
	assert_int_equal(c->max_processes, 4096);
	assert_int_equal(c->max_stacks, 65536);
	assert_int_equal(c->ring_buffer_bytes, 0);
	assert_int_equal(c->include_comm.count, 0);
	assert_int_equal(c->exclude_comm.count, 0);
	assert_int_equal(c->include_cgroup.count, 0);
	assert_int_equal(c->exclude_cgroup.count, 0);
	assert_int_equal(c->nlabels, 0);
}

static void test_defaults(void **state)
{
	struct zp_config c, d;
	char err[256] = "x";

	(void)state;
	assert_int_equal(config__defaults(&c), 0);
	assert_defaults(&c);
	config__free(&c);
	assert_null(c.state_dir);
	config__free(&c); /* twice is fine */
	config__free(NULL);

	/* an empty file, comments only, sections only: all defaults */
	assert_int_equal(load(&c, "", err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_defaults(&c);
	config__free(&c);
	assert_int_equal(load(&c, "# c\n; c\n\n[daemon]\n[push]\n   \n\t\n",
			      err, sizeof(err)),
			 0);
	assert_defaults(&c);
	assert_int_equal(config__defaults(&d), 0);
	assert_int_equal(config__reload_diff(&c, &d, NULL, 0), 0);
	config__free(&d);
	config__free(&c);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* "# name = value": a key the example leaves commented out */
static bool is_commented_key(const char *p)
{
	size_t n;

	if (strncmp(p, "# ", 2))
		return false;
	n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz_");
	return n && !strncmp(p + 2 + n, " = ", 3);
}

static void test_example_file(void **state)
{
	static const char *const every_key[] = {
		"listen",
		"auth_token_file",
		"state_dir",
		"frequency",
		"window",
		"kernel_stacks",
		"python",
		"log_level",
		"max_age",
		"max_bytes",
		"url",
		"service_name",
		"service_name_from",
		"token_file",
		"basic_auth_user",
		"basic_auth_password_file",
		"tenant_id",
		"timeout",
		"queue",
		"max_processes",
		"max_stacks",
		"ring_buffer",
		"include_comm",
		"exclude_comm",
		"include_cgroup",
		"exclude_cgroup",
	};
	struct zp_config c, d;
	char err[256], pat[64], *text, *p, *out, *q;
	size_t i;

	(void)state;
	/* it loads, and what it sets is the defaults */
	assert_int_equal(config__load_file(&c, EXAMPLE, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_defaults(&c);
	assert_int_equal(config__defaults(&d), 0);
	assert_int_equal(config__reload_diff(&d, &c, NULL, 0), 0);
	config__free(&c);

	/* it documents every key */
	text = read_all(EXAMPLE);
	for (i = 0; i < sizeof(every_key) / sizeof(every_key[0]); i++) {
		snprintf(pat, sizeof(pat), "\n%s = ", every_key[i]);
		if (!strstr(text, pat)) {
			snprintf(pat, sizeof(pat), "\n# %s = ", every_key[i]);
			if (!strstr(text, pat))
				fail_msg("%s not documented", every_key[i]);
		}
	}

	/*
	 * Every commented-out "# key = value" example is valid: uncomment
	 * them all (but token_file, which excludes basic auth) and load.
	 */
	out = malloc(strlen(text) + 1);
	assert_non_null(out);
	for (p = text, q = out; *p;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (is_commented_key(p) && strncmp(p, "# token_file", 12)) {
			p += 2;
			len -= 2;
		}
		memcpy(q, p, len);
		q += len;
		p += len;
	}
	*q = '\0';
	assert_int_equal(config__load_string(&c, out, strlen(out),
					     "uncommented", err, sizeof(err)),
			 0);
	assert_string_equal(c.auth_token_file, "/etc/zprofd/api-token");
	assert_string_equal(c.push_url, "http://pyroscope.monitoring.svc:4040");
	assert_string_equal(c.push_basic_auth_user, "123456");
	assert_string_equal(c.push_tenant_id, "team-a");
	assert_int_equal(c.include_comm.count, 3);
	assert_string_equal(c.include_comm.glob[1], "python3*");
	assert_int_equal(c.exclude_cgroup.count, 1);
	assert_int_equal(c.nlabels, 2);
	assert_string_equal(c.labels[1].name, "env");
	assert_string_equal(c.labels[1].value, "production");
	config__free(&c);
	config__free(&d);
	free(out);
	free(text);
}

static void test_every_key(void **state)
{
	const char *text =
	    "[daemon]\n"
	    "listen = [::1]:8080\n"
	    "auth_token_file = /run/secrets/api token\n"
	    "state_dir = /srv/zprofd\n"
	    "frequency = 1000\n"
	    "window = 1h\n"
	    "kernel_stacks = off\n"
	    "python = no\n"
	    "log_level = debug\n"
	    "[retention]\n"
	    "max_age = 365d\n"
	    "max_bytes = 1T\n"
	    "[push]\n"
	    "url = https://profiles-prod-001.grafana.net/a/b?x=1;y=2\n"
	    "service_name = k8s/node-exporter:v1.2\n"
	    "service_name_from = comm\n"
	    "basic_auth_user = 123456\n"
	    "basic_auth_password_file = /etc/zprofd/pw\n"
	    "tenant_id = team-a\n"
	    "timeout = 100ms\n"
	    "queue = 10000\n"
	    "[limits]\n"
	    "max_processes = 1048576\n"
	    "max_stacks = 1024\n"
	    "ring_buffer = 64MiB\n"
	    "[filters]\n"
	    "include_comm = nginx ,python3*,  Web Content\n"
	    "exclude_comm = kworker*\n"
	    "include_cgroup = /kubepods*\n"
	    "exclude_cgroup = /system.slice/*,/user.slice/*\n"
	    "[labels]\n"
	    "cluster = prod eu 1\n"
	    "_env = prod=1\n";
	struct zp_config c;
	char err[256];

	(void)state;
	assert_int_equal(load(&c, text, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.listen.host, "::1");
	assert_int_equal(c.listen.port, 8080);
	assert_int_equal(c.listen.family, AF_INET6);
	assert_string_equal(c.auth_token_file, "/run/secrets/api token");
	assert_string_equal(c.state_dir, "/srv/zprofd");
	assert_int_equal(c.frequency_hz, 1000);
	assert_int_equal(c.window_s, 3600);
	assert_false(c.kernel_stacks);
	assert_false(c.python);
	assert_int_equal(c.log_level, CONFIG_LOG_DEBUG);
	assert_int_equal(c.max_age_s, 365 * 86400ull);
	assert_int_equal(c.max_bytes, 1ull << 40);
	/* ';' without a space before it is not a comment */
	assert_string_equal(
	    c.push_url, "https://profiles-prod-001.grafana.net/a/b?x=1;y=2");
	assert_string_equal(c.push_service_name, "k8s/node-exporter:v1.2");
	assert_int_equal(c.push_service_name_from, CONFIG_SERVICE_COMM);
	assert_null(c.push_token_file);
	assert_string_equal(c.push_basic_auth_user, "123456");
	assert_string_equal(c.push_basic_auth_password_file, "/etc/zprofd/pw");
	assert_string_equal(c.push_tenant_id, "team-a");
	assert_int_equal(c.push_timeout_ms, 100);
	assert_int_equal(c.push_queue, 10000);
	assert_int_equal(c.max_processes, 1048576);
	assert_int_equal(c.max_stacks, 1024);
	assert_int_equal(c.ring_buffer_bytes, 64ull << 20);
	assert_int_equal(c.include_comm.count, 3);
	assert_string_equal(c.include_comm.glob[0], "nginx");
	assert_string_equal(c.include_comm.glob[1], "python3*");
	assert_string_equal(c.include_comm.glob[2], "Web Content");
	assert_int_equal(c.exclude_comm.count, 1);
	assert_int_equal(c.include_cgroup.count, 1);
	assert_int_equal(c.exclude_cgroup.count, 2);
	assert_string_equal(c.exclude_cgroup.glob[1], "/user.slice/*");
	assert_int_equal(c.nlabels, 2);
	assert_string_equal(c.labels[0].name, "cluster");
	assert_string_equal(c.labels[0].value, "prod eu 1");
	assert_string_equal(c.labels[1].name, "_env");
	assert_string_equal(c.labels[1].value, "prod=1");
	config__free(&c);

	/* the other forms: token_file, a DNS listen name, bare seconds */
	assert_int_equal(
	    load(&c,
		 "[daemon]\nlisten = localhost:1\nwindow = 60\n"
		 "[retention]\nmax_age = 2w\nmax_bytes = 1048576\n"
		 "[push]\ntoken_file = /t\nurl = HTTP://[::1]:4040\n"
		 "[limits]\nring_buffer = 1m\n",
		 err, sizeof(err)),
	    0);
	assert_string_equal(c.listen.host, "localhost");
	assert_int_equal(c.listen.family, AF_UNSPEC);
	assert_int_equal(c.window_s, 60);
	assert_int_equal(c.max_age_s, 14 * 86400);
	assert_int_equal(c.max_bytes, 1 << 20);
	assert_string_equal(c.push_token_file, "/t");
	assert_int_equal(c.ring_buffer_bytes, 1 << 20);
	config__free(&c);
}

struct bad {
	const char *text;
	const char *err;
};

static void check_bad(const struct bad *b, size_t n)
{
	struct zp_config c;
	char err[512];
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		memset(err, 'x', sizeof(err));
		ret = load(&c, b[i].text, err, sizeof(err));
		if (ret != -EINVAL || strcmp(err, b[i].err))
			fail_msg("case %zu: %d '%s', want '%s'", i, ret, err,
				 b[i].err);
		/* a failed load leaves the defaults */
		assert_defaults(&c);
		config__free(&c);
	}
}

static void test_structure_errors(void **state)
{
	static const struct bad bad[] = {
		{ "[nope]\n", "t.conf:1: unknown section [nope]" },
		{ "\n\n[Daemon]\nfrequency = 5\n",
		  "t.conf:3: unknown section [Daemon]" },
		{ "[daemon]\nfrequency = 5\n[daemon\n",
		  "t.conf:3: expected [section] or key = value" },
		{ "[daemon] x\n", "t.conf:1: text after [section]" },
		{ "[daemon] # ok\n[push]\nfoo = 1\n",
		  "t.conf:3: unknown key 'foo' in [push]" },
		{ "[daemon]\nlisten = 127.0.0.1:1\nFrequency = 3\n",
		  "t.conf:3: unknown key 'Frequency' in [daemon]" },
		/* keys belong to their own section */
		{ "[push]\nfrequency = 3\n",
		  "t.conf:2: unknown key 'frequency' in [push]" },
		{ "frequency = 3\n", "t.conf:1: key outside a section" },
		{ "[daemon]\nfrequency\n",
		  "t.conf:2: expected [section] or key = value" },
		{ "[daemon]\nfrequency: 3\n",
		  "t.conf:2: expected [section] or key = value" },
		{ "[daemon]\n= 3\n", "t.conf:2: missing key name before '='" },
		/* libinih's own refusal: a comment before the '=' */
		{ "[daemon]\nfrequency ;x = 3\n",
		  "t.conf:2: expected [section] or key = value" },
		{ "[daemon]\nfrequency = 3\n\n# x\nfrequency = 3\n",
		  "t.conf:5: duplicate key daemon.frequency (first set on "
		  "line 2)" },
		/* a section given twice is fine; its keys still count once */
		{ "[daemon]\nwindow = 3\n[push]\n[daemon]\nwindow = 4\n",
		  "t.conf:5: duplicate key daemon.window (first set on line "
		  "2)" },
		{ "[labels]\na = 1\nb = 2\na = 3\n",
		  "t.conf:4: duplicate key labels.a (first set on line 2)" },
		{ "[daemon]\nfrequency =\n",
		  "t.conf:2: daemon.frequency: empty "
		  "value" },
		{ "[daemon]\nfrequency =    \n",
		  "t.conf:2: daemon.frequency: empty value" },
		{ "[push]\nurl = # commented out\n",
		  "t.conf:2: push.url: empty value" },
		{ "[daemon]\nstate_dir = /a\x01b\n",
		  "t.conf:2: daemon.state_dir: control character in value" },
		/* an inline '#' after a space ends the value */
		{ "[daemon]\nfrequency = 19 # Hz\nwindow = 10s#x\n",
		  "t.conf:3: daemon.window = '10s#x': not a duration (a whole "
		  "number and a unit: ms, s, m, h, d, w)" },
		{ "[push]\nbasic_auth_user = me\n",
		  "t.conf:2: push.basic_auth_user and "
		  "push.basic_auth_password_file go together" },
		{ "[push]\nbasic_auth_password_file = /p\n",
		  "t.conf:2: push.basic_auth_user and "
		  "push.basic_auth_password_file go together" },
		{ "[push]\nbasic_auth_user = me\ntoken_file = /t\n"
		  "basic_auth_password_file = /p\n",
		  "t.conf:3: push.token_file and push.basic_auth_user exclude "
		  "each other" },
	};

	(void)state;
	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_value_errors(void **state)
{
	static const struct bad bad[] = {
		{ "[daemon]\nfrequency = 0\n",
		  "t.conf:2: daemon.frequency = '0': out of range (1..1000)" },
		{ "[daemon]\nfrequency = 1001\n",
		  "t.conf:2: daemon.frequency = '1001': out of range "
		  "(1..1000)" },
		{ "[daemon]\nfrequency = -1\n",
		  "t.conf:2: daemon.frequency = '-1': not a whole number" },
		{ "[daemon]\nfrequency = +5\n",
		  "t.conf:2: daemon.frequency = '+5': not a whole number" },
		{ "[daemon]\nfrequency = 19Hz\n",
		  "t.conf:2: daemon.frequency = '19Hz': not a whole number" },
		{ "[daemon]\nfrequency = 0x10\n",
		  "t.conf:2: daemon.frequency = '0x10': not a whole number" },
		{ "[daemon]\nfrequency = 99999999999999999999999\n",
		  "t.conf:2: daemon.frequency = '99999999999999999999999': out "
		  "of range (1..1000)" },
		/* 2^32 + 19 must not wrap into range */
		{ "[daemon]\nfrequency = 4294967315\n",
		  "t.conf:2: daemon.frequency = '4294967315': out of range "
		  "(1..1000)" },
		{ "[daemon]\nwindow = 0s\n",
		  "t.conf:2: daemon.window = '0s': out of range (1s..1h)" },
		{ "[daemon]\nwindow = 61m\n",
		  "t.conf:2: daemon.window = '61m': out of range (1s..1h)" },
		{ "[daemon]\nwindow = 1500ms\n",
		  "t.conf:2: daemon.window = '1500ms': not a whole number of "
		  "seconds" },
		{ "[daemon]\nwindow = 10 s\n",
		  "t.conf:2: daemon.window = '10 s': not a duration (a whole "
		  "number and a unit: ms, s, m, h, d, w)" },
		{ "[daemon]\nwindow = 1.5s\n",
		  "t.conf:2: daemon.window = '1.5s': not a duration (a whole "
		  "number and a unit: ms, s, m, h, d, w)" },
		{ "[daemon]\nwindow = 10S\n",
		  "t.conf:2: daemon.window = '10S': not a duration (a whole "
		  "number and a unit: ms, s, m, h, d, w)" },
		{ "[retention]\nmax_age = 7y\n",
		  "t.conf:2: retention.max_age = '7y': not a duration (a whole "
		  "number and a unit: ms, s, m, h, d, w)" },
		{ "[retention]\nmax_age = -7d\n",
		  "t.conf:2: retention.max_age = '-7d': not a duration (a "
		  "whole "
		  "number and a unit: ms, s, m, h, d, w)" },
		{ "[retention]\nmax_age = 59s\n",
		  "t.conf:2: retention.max_age = '59s': out of range "
		  "(1m..365d)" },
		/* the unit multiplication overflows */
		{ "[retention]\nmax_age = 213503982334602w\n",
		  "t.conf:2: retention.max_age = '213503982334602w': out of "
		  "range (1m..365d)" },
		{ "[retention]\nmax_bytes = 1023K\n",
		  "t.conf:2: retention.max_bytes = '1023K': out of range "
		  "(1M..1T)" },
		{ "[retention]\nmax_bytes = 17179869184T\n",
		  "t.conf:2: retention.max_bytes = '17179869184T': out of "
		  "range "
		  "(1M..1T)" },
		{ "[retention]\nmax_bytes = 1GB2\n",
		  "t.conf:2: retention.max_bytes = '1GB2': not a size (a whole "
		  "number and an optional unit: K, M, G, T)" },
		{ "[retention]\nmax_bytes = 1P\n",
		  "t.conf:2: retention.max_bytes = '1P': not a size (a whole "
		  "number and an optional unit: K, M, G, T)" },
		{ "[retention]\nmax_bytes = G\n",
		  "t.conf:2: retention.max_bytes = 'G': not a size (a whole "
		  "number and an optional unit: K, M, G, T)" },
		{ "[limits]\nring_buffer = 128M\n",
		  "t.conf:2: limits.ring_buffer = '128M': out of range (auto "
		  "or "
		  "1M..64M)" },
		{ "[limits]\nring_buffer = Auto\n",
		  "t.conf:2: limits.ring_buffer = 'Auto': not a size (a whole "
		  "number and an optional unit: K, M, G, T)" },
		{ "[limits]\nmax_processes = 15\n",
		  "t.conf:2: limits.max_processes = '15': out of range "
		  "(16..1048576)" },
		{ "[limits]\nmax_stacks = 16777217\n",
		  "t.conf:2: limits.max_stacks = '16777217': out of range "
		  "(1024..16777216)" },
		{ "[push]\nqueue = 0\n",
		  "t.conf:2: push.queue = '0': out of range (1..10000)" },
		{ "[push]\ntimeout = 99ms\n",
		  "t.conf:2: push.timeout = '99ms': out of range (100ms..5m)" },
		{ "[daemon]\nkernel_stacks = True\n",
		  "t.conf:2: daemon.kernel_stacks = 'True': not a boolean "
		  "(true/false, yes/no, on/off, 1/0)" },
		{ "[daemon]\nlog_level = verbose\n",
		  "t.conf:2: daemon.log_level = 'verbose': not one of error, "
		  "warning, info, debug" },
		{ "[push]\nservice_name_from = pid\n",
		  "t.conf:2: push.service_name_from = 'pid': not one of fixed, "
		  "comm" },
		{ "[daemon]\nstate_dir = var/lib\n",
		  "t.conf:2: daemon.state_dir = 'var/lib': not an absolute "
		  "path" },
		{ "[daemon]\nlisten = 7070\n",
		  "t.conf:2: daemon.listen = '7070': not host:port "
		  "(127.0.0.1:7070, [::1]:7070, localhost:7070)" },
		{ "[daemon]\nlisten = ::1:7070\n",
		  "t.conf:2: daemon.listen = '::1:7070': not host:port "
		  "(127.0.0.1:7070, [::1]:7070, localhost:7070)" },
		{ "[daemon]\nlisten = 127.0.0.1:0\n",
		  "t.conf:2: daemon.listen = '127.0.0.1:0': port out of range "
		  "(1..65535)" },
		{ "[daemon]\nlisten = 127.0.0.1:65536\n",
		  "t.conf:2: daemon.listen = '127.0.0.1:65536': port out of "
		  "range (1..65535)" },
		{ "[daemon]\nlisten = 256.0.0.1:80\n",
		  "t.conf:2: daemon.listen = '256.0.0.1:80': not host:port "
		  "(127.0.0.1:7070, [::1]:7070, localhost:7070)" },
		{ "[push]\nurl = ftp://x\n",
		  "t.conf:2: push.url = 'ftp://x': not an http:// or https:// "
		  "URL" },
		{ "[push]\nurl = http://\n",
		  "t.conf:2: push.url = 'http://': no host in the URL" },
		{ "[push]\nurl = http://u:p@host/\n",
		  "t.conf:2: push.url = 'http://u:p@host/': credentials in the "
		  "URL would be logged; use push.basic_auth_user" },
		{ "[push]\nurl = http://host:99999/\n",
		  "t.conf:2: push.url = 'http://host:99999/': bad host or port "
		  "in the URL" },
		{ "[push]\nurl = http://a b/\n",
		  "t.conf:2: push.url = 'http://a b/': spaces and non-ASCII "
		  "characters must be %-encoded" },
		{ "[push]\nservice_name = my app\n",
		  "t.conf:2: push.service_name = 'my app': only letters, "
		  "digits "
		  "and . _ : / - allowed, at most 127" },
		{ "[filters]\ninclude_comm = a,,b\n",
		  "t.conf:2: filters.include_comm: empty pattern" },
		{ "[filters]\nexclude_comm = a, \n",
		  "t.conf:2: filters.exclude_comm: empty pattern" },
		{ "[filters]\ninclude_cgroup = "
		  "012345678901234567890123456789012345678901234567890123456789"
		  "0"
		  "123\n",
		  "t.conf:2: filters.include_cgroup: pattern "
		  "'0123456789012345...' longer than 63 characters" },
		{ "[filters]\ninclude_comm = "
		  "a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,"
		  "a,a,a\n",
		  "t.conf:2: filters.include_comm: more than 32 patterns" },
		{ "[labels]\n9lives = 1\n",
		  "t.conf:2: labels.9lives: not a label name (letters, digits "
		  "and _, not starting with a digit or __, at most 63)" },
		{ "[labels]\n__name__ = 1\n",
		  "t.conf:2: labels.__name__: not a label name (letters, "
		  "digits "
		  "and _, not starting with a digit or __, at most 63)" },
		{ "[labels]\na-b = 1\n",
		  "t.conf:2: labels.a-b: not a label name (letters, digits and "
		  "_, not starting with a digit or __, at most 63)" },
		{ "[labels]\nservice_name = x\n",
		  "t.conf:2: labels.service_name: reserved; use "
		  "push.service_name" },
		{ "[labels]\nl1=1\nl2=1\nl3=1\nl4=1\nl5=1\nl6=1\nl7=1\nl8=1\n"
		  "l9=1\nl10=1\nl11=1\nl12=1\nl13=1\nl14=1\nl15=1\nl16=1\n"
		  "l17=1\n",
		  "t.conf:18: more than 16 labels" },
	};

	(void)state;
	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_long_lines(void **state)
{
	struct zp_config c;
	char err[256], *text;
	size_t n;

	(void)state;
	/* exactly CONFIG_LINE_MAX characters (CRLF not counted) is fine */
	text = malloc(CONFIG_LINE_MAX + 64);
	assert_non_null(text);
	n = (size_t)sprintf(text, "[push]\r\nurl = http://h/");
	memset(text + n, 'a', CONFIG_LINE_MAX - strlen("url = http://h/"));
	n += CONFIG_LINE_MAX - strlen("url = http://h/");
	strcpy(text + n, "\r\n");
	assert_int_equal(load(&c, text, err, sizeof(err)), 0);
	assert_int_equal(strlen(c.push_url), CONFIG_LINE_MAX - 6);
	config__free(&c);
	/* one more is not, and is not split into two lines either */
	strcpy(text + n, "a\r\n");
	assert_int_equal(load(&c, text, err, sizeof(err)), -EINVAL);
	assert_string_equal(
	    err, "t.conf:2: line too long (more than 1000 characters)");
	assert_null(c.push_url);
	config__free(&c);
	/* a long comment line is too long as well */
	memset(text, '#', CONFIG_LINE_MAX + 1);
	text[CONFIG_LINE_MAX + 1] = '\0';
	assert_int_equal(load(&c, text, err, sizeof(err)), -EINVAL);
	assert_string_equal(
	    err, "t.conf:1: line too long (more than 1000 characters)");
	config__free(&c);
	free(text);

	/* a section name longer than libinih keeps is still unknown */
	assert_int_equal(load(&c,
			      "[daemonxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			      "xxxxxxxxxxx]\n",
			      err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(
	    err,
	    "t.conf:1: unknown section [daemonxxxxxxxxxxxxxxxxxxxxxxxxxx]");
	config__free(&c);
	/* a long value is echoed shortened */
	assert_int_equal(
	    load(&c,
		 "[daemon]\nstate_dir = "
		 "x12345678901234567890123456789012345678901234567890123456789"
		 "01234567890\n",
		 err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "t.conf:2: daemon.state_dir = "
				 "'x1234567890123456789012345678901234567890123"
				 "45678901234567890123...': not an absolute "
				 "path");
	config__free(&c);
}

static void test_line_endings_and_comments(void **state)
{
	static const char text[] =
	    "\xef\xbb\xbf# BOM, CRLF, tabs and indentation\r\n"
	    "[daemon] ; the daemon\r\n"
	    "\tfrequency\t=\t49\t\r\n"
	    "    window = 5s ; five\r\n"
	    "; comment\r\n"
	    "  # indented comment\r\n"
	    "[push]\r\n"
	    "\t\turl = http://h:4040/p#frag\r\n"
	    "  queue = 7 # inline\r\n"
	    "[labels]\r\n"
	    "  zone = a;b #c\r\n"
	    "state = 1";
	struct zp_config c;
	char err[256];

	(void)state;
	assert_int_equal(load(&c, text, err, sizeof(err)), 0);
	assert_int_equal(c.frequency_hz, 49);
	assert_int_equal(c.window_s, 5);
	assert_string_equal(c.push_url, "http://h:4040/p#frag");
	assert_int_equal(c.push_queue, 7);
	assert_int_equal(c.nlabels, 2);
	assert_string_equal(c.labels[0].value, "a;b");
	/* the last line has no newline */
	assert_string_equal(c.labels[1].name, "state");
	config__free(&c);

	/*
	 * An indented line after a key is a key of its own, never a
	 * continuation of the previous value (as libinih would take it).
	 */
	assert_int_equal(load(&c, "[daemon]\nfrequency = 3\n  window = 4\n",
			      err, sizeof(err)),
			 0);
	assert_int_equal(c.frequency_hz, 3);
	assert_int_equal(c.window_s, 4);
	config__free(&c);

	/* line numbers count CRLF lines */
	assert_int_equal(load(&c, "\r\n\r\n[daemon]\r\n\r\nfrequency = 0\r\n",
			      err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.conf:5: daemon.frequency = '0': out of "
				 "range (1..1000)");
	config__free(&c);
	/* a stray CR inside a line is a control character */
	assert_int_equal(
	    load(&c, "[daemon]\nstate_dir = /a\rb\n", err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(
	    err, "t.conf:2: daemon.state_dir: control character in value");
	config__free(&c);
}

static void test_nul_and_length(void **state)
{
	static const char with_nul[] = "[daemon]\nfrequency = 5\0\n";
	static const char prefix[] = "[daemon]\nfrequency = 7\nwindow = 1x";
	struct zp_config c;
	char err[256], small[12];

	(void)state;
	assert_int_equal(config__load_string(&c, with_nul, sizeof(with_nul) - 1,
					     "n", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "n:2: NUL byte in line");
	config__free(&c);
	/* LEN bounds the text: the bad window line is not seen */
	assert_int_equal(
	    config__load_string(&c, prefix, strlen("[daemon]\nfrequency = 7\n"),
				"p", err, sizeof(err)),
	    0);
	assert_int_equal(c.frequency_hz, 7);
	config__free(&c);
	/* ERR is cut, still terminated; NULL ERR and origin are fine */
	assert_int_equal(config__load_string(&c, prefix, strlen(prefix), NULL,
					     small, sizeof(small)),
			 -EINVAL);
	assert_string_equal(small, "(string):3:");
	config__free(&c);
	assert_int_equal(
	    config__load_string(&c, prefix, strlen(prefix), "p", NULL, 0),
	    -EINVAL);
	config__free(&c);
	assert_int_equal(
	    config__load_string(&c, prefix, strlen(prefix), "p", small, 0),
	    -EINVAL);
	config__free(&c);
}

static void test_load_file_errors(void **state)
{
	char path[] = "/tmp/zprofd-test-config-XXXXXX", err[512], want[600];
	struct zp_config c;
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(
	    config__load_file(&c, "/nonexistent/zprofd.conf", err, sizeof(err)),
	    -ENOENT);
	assert_string_equal(
	    err, "/nonexistent/zprofd.conf: No such file or directory");
	assert_defaults(&c);
	config__free(&c);
	assert_int_equal(config__load_file(&c, "/tmp", err, sizeof(err)),
			 -EISDIR);
	assert_string_equal(err, "/tmp: Is a directory");
	config__free(&c);
	assert_int_equal(
	    config__load_file(&c, "/etc/passwd/zprofd.conf", err, sizeof(err)),
	    -ENOTDIR);
	assert_string_equal(err, "/etc/passwd/zprofd.conf: Not a directory");
	config__free(&c);
	assert_int_equal(config__load_file(&c, "/dev/null", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "/dev/null: not a regular file");
	config__free(&c);

	/* over CONFIG_FILE_MAX */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, CONFIG_FILE_MAX + 1), 0);
	close(fd);
	assert_int_equal(config__load_file(&c, path, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
	assert_string_equal(err, want);
	config__free(&c);

	/* errors in a file name the file */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[daemon]\nfrequency = 2000\n", f);
	fclose(f);
	assert_int_equal(config__load_file(&c, path, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: daemon.frequency = '2000': out of range (1..1000)",
		 path);
	assert_string_equal(err, want);
	config__free(&c);
	unlink(path);
}

struct dur_case {
	const char *s;
	int ret;
	uint64_t ms;
};

static void test_parse_duration(void **state)
{
	static const struct dur_case cases[] = {
		{ "30s", 0, 30000 },
		{ "15m", 0, 900000 },
		{ "24h", 0, 86400000 },
		{ "7d", 0, 604800000 },
		{ "2w", 0, 1209600000 },
		{ "500ms", 0, 500 },
		{ "0", 0, 0 },
		{ "10", 0, 10000 },
		{ "007s", 0, 7000 },
		{ "18446744073709551615ms", 0, UINT64_MAX },
		{ "18446744073709551616ms", -ERANGE, 0 },
		{ "18446744073709552s", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 },
		{ "1.5h", -EINVAL, 0 },
		{ "1h30m", -EINVAL, 0 },
		{ "1 h", -EINVAL, 0 },
		{ " 1h", -EINVAL, 0 },
		{ "1H", -EINVAL, 0 },
		{ "1sec", -EINVAL, 0 },
		{ "1us", -EINVAL, 0 },
	};
	uint64_t v;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		ret = config_parse_duration(cases[i].s, &v);
		if (ret != cases[i].ret)
			fail_msg("'%s': %d, want %d", cases[i].s, ret,
				 cases[i].ret);
		assert_int_equal(v, ret ? 12345 : cases[i].ms);
	}
}

struct size_case {
	const char *s;
	int ret;
	uint64_t bytes;
};

static void test_parse_size(void **state)
{
	static const struct size_case cases[] = {
		{ "512K", 0, 512 << 10 },
		{ "100M", 0, 100 << 20 },
		{ "2G", 0, 2ull << 30 },
		{ "1T", 0, 1ull << 40 },
		{ "4096", 0, 4096 },
		{ "4096B", 0, 4096 },
		{ "4096b", 0, 4096 },
		{ "1k", 0, 1024 },
		{ "1KB", 0, 1024 },
		{ "1KiB", 0, 1024 },
		{ "1kib", 0, 1024 },
		{ "3gb", 0, 3ull << 30 },
		{ "0", 0, 0 },
		{ "16777215T", 0, 16777215ull << 40 },
		{ "16777216T", -ERANGE, 0 },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "K", -EINVAL, 0 },
		{ "1Ki", -EINVAL, 0 },
		{ "1KBB", -EINVAL, 0 },
		{ "1iB", -EINVAL, 0 },
		{ "1P", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "-1G", -EINVAL, 0 },
		{ "1 G", -EINVAL, 0 },
		{ "1G ", -EINVAL, 0 },
		{ "1\x4b", 0, 1024 },
		/* 'K' | 0x20 tricks must not admit other bytes */
		{ "1\xcb", -EINVAL, 0 },
		{ "1\x0b", -EINVAL, 0 },
	};
	uint64_t v;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 12345;
		ret = config_parse_size(cases[i].s, &v);
		if (ret != cases[i].ret)
			fail_msg("'%s': %d, want %d", cases[i].s, ret,
				 cases[i].ret);
		assert_int_equal(v, ret ? 12345 : cases[i].bytes);
	}
}

struct hp_case {
	const char *s;
	int ret;
	const char *host;
	unsigned port;
	int family;
};

static void test_parse_hostport(void **state)
{
	static const struct hp_case cases[] = {
		{ "127.0.0.1:7070", 0, "127.0.0.1", 7070, AF_INET },
		{ "0.0.0.0:1", 0, "0.0.0.0", 1, AF_INET },
		{ "[::1]:7070", 0, "::1", 7070, AF_INET6 },
		{ "[::]:65535", 0, "::", 65535, AF_INET6 },
		{ "[fe80::1%eth0]:80", -EINVAL },
		{ "[2001:db8::ff00:42:8329]:443", 0, "2001:db8::ff00:42:8329",
		  443, AF_INET6 },
		{ "[::ffff:192.0.2.1]:8", 0, "::ffff:192.0.2.1", 8, AF_INET6 },
		{ "localhost:7070", 0, "localhost", 7070, AF_UNSPEC },
		{ "pyroscope.monitoring.svc:4040", 0,
		  "pyroscope.monitoring.svc", 4040, AF_UNSPEC },
		{ "a-b.c:9", 0, "a-b.c", 9, AF_UNSPEC },
		{ "127.0.0.1:0", -ERANGE },
		{ "127.0.0.1:65536", -ERANGE },
		{ "127.0.0.1:99999999999999999999999", -ERANGE },
		{ "127.0.0.1:", -EINVAL },
		{ "127.0.0.1:-1", -EINVAL },
		{ "127.0.0.1:80x", -EINVAL },
		{ "127.0.0.1", -EINVAL },
		{ ":7070", -EINVAL },
		{ "::1:7070", -EINVAL },
		{ "[::1]7070", -EINVAL },
		{ "[::1]:", -EINVAL },
		{ "[127.0.0.1]:80", -EINVAL },
		{ "[]:80", -EINVAL },
		{ "1.2.3:80", -EINVAL },
		{ "1.2.3.4.5:80", -EINVAL },
		{ "-a.b:80", -EINVAL },
		{ "a-.b:80", -EINVAL },
		{ "a..b:80", -EINVAL },
		{ "a_b:80", -EINVAL },
		{ "host name:80", -EINVAL },
		{ "", -EINVAL },
	};
	struct zp_hostport hp;
	char buf[300];
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&hp, 0, sizeof(hp));
		ret = config_parse_hostport(cases[i].s, &hp);
		if (ret != cases[i].ret)
			fail_msg("'%s': %d, want %d", cases[i].s, ret,
				 cases[i].ret);
		if (ret) {
			assert_int_equal(hp.port, 0);
			continue;
		}
		assert_string_equal(hp.host, cases[i].host);
		assert_int_equal(hp.port, cases[i].port);
		assert_int_equal(hp.family, cases[i].family);
		/* formatting gives back the input */
		config_format_hostport(&hp, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
	}
	/* a 254-character name is too long; 63-character labels are fine */
	memset(buf, 'a', 254);
	strcpy(buf + 254, ":1");
	assert_int_equal(config_parse_hostport(buf, &hp), -EINVAL);
	memset(buf, 'a', 63);
	strcpy(buf + 63, ".b:1");
	assert_int_equal(config_parse_hostport(buf, &hp), 0);
	memset(buf, 'a', 64);
	strcpy(buf + 64, ".b:1");
	assert_int_equal(config_parse_hostport(buf, &hp), -EINVAL);
}

static void test_parse_uint_bool(void **state)
{
	uint64_t v = 1;
	bool b = false;

	(void)state;
	assert_int_equal(config_parse_uint("0", 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(
	    config_parse_uint("18446744073709551615", UINT64_MAX, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(
	    config_parse_uint("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(config_parse_uint("11", 10, &v), -ERANGE);
	assert_int_equal(config_parse_uint("", 10, &v), -EINVAL);
	assert_int_equal(config_parse_uint("-0", 10, &v), -EINVAL);
	assert_int_equal(config_parse_uint("1e3", 10000, &v), -EINVAL);
	assert_int_equal(v, UINT64_MAX);

	assert_int_equal(config_parse_bool("yes", &b), 0);
	assert_true(b);
	assert_int_equal(config_parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(config_parse_bool("1", &b), 0);
	assert_true(b);
	assert_int_equal(config_parse_bool("false", &b), 0);
	assert_false(b);
	assert_int_equal(config_parse_bool("", &b), -EINVAL);
	assert_int_equal(config_parse_bool("TRUE", &b), -EINVAL);
	assert_int_equal(config_parse_bool("2", &b), -EINVAL);
	assert_false(b);
}

static void test_format(void **state)
{
	char buf[32], tiny[4];

	(void)state;
	config_format_duration(7 * 86400000ull, buf, sizeof(buf));
	assert_string_equal(buf, "7d");
	config_format_duration(36 * 3600000ull, buf, sizeof(buf));
	assert_string_equal(buf, "36h");
	config_format_duration(90000, buf, sizeof(buf));
	assert_string_equal(buf, "90s");
	config_format_duration(1500, buf, sizeof(buf));
	assert_string_equal(buf, "1500ms");
	config_format_duration(0, buf, sizeof(buf));
	assert_string_equal(buf, "0ms");
	config_format_duration(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "18446744073709551615ms");
	config_format_size(1ull << 30, buf, sizeof(buf));
	assert_string_equal(buf, "1G");
	config_format_size(3ull << 39, buf, sizeof(buf));
	assert_string_equal(buf, "1536G");
	config_format_size(1536, buf, sizeof(buf));
	assert_string_equal(buf, "1536");
	config_format_size(2048, buf, sizeof(buf));
	assert_string_equal(buf, "2K");
	config_format_size(0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	config_format_size(123456789, tiny, sizeof(tiny));
	assert_string_equal(tiny, "123");
	config_format_size(1, buf, 0); /* no write at all */
}

static void test_reload_diff(void **state)
{
	struct zp_config run, next;
	struct config_change ch[40];
	char err[256];
	int n, i;

	(void)state;
	assert_int_equal(config__defaults(&run), 0);
	assert_int_equal(load(&next,
			      "[daemon]\nfrequency = 99\nlisten = [::1]:7071\n"
			      "log_level = debug\nauth_token_file = /tok\n"
			      "[retention]\nmax_age = 1d\n"
			      "[push]\nurl = https://p/\ntimeout = 1500ms\n"
			      "[limits]\nring_buffer = 8M\n"
			      "[filters]\nexclude_comm = a*, b*\n"
			      "[labels]\nenv = prod\n",
			      err, sizeof(err)),
			 0);
	n = config__reload_diff(&run, &next, ch, 40);
	assert_int_equal(n, 10);
	/* in file order */
	assert_string_equal(ch[0].key, "daemon.listen");
	assert_false(ch[0].live);
	assert_string_equal(ch[0].old_value, "127.0.0.1:7070");
	assert_string_equal(ch[0].new_value, "[::1]:7071");
	assert_string_equal(ch[1].key, "daemon.auth_token_file");
	assert_true(ch[1].live);
	assert_string_equal(ch[1].old_value, "(none)");
	assert_string_equal(ch[1].new_value, "/tok");
	assert_string_equal(ch[2].key, "daemon.frequency");
	assert_false(ch[2].live);
	assert_string_equal(ch[2].old_value, "19");
	assert_string_equal(ch[2].new_value, "99");
	assert_string_equal(ch[3].key, "daemon.log_level");
	assert_true(ch[3].live);
	assert_string_equal(ch[3].old_value, "info");
	assert_string_equal(ch[3].new_value, "debug");
	assert_string_equal(ch[4].key, "retention.max_age");
	assert_true(ch[4].live);
	assert_string_equal(ch[4].old_value, "7d");
	assert_string_equal(ch[4].new_value, "1d");
	assert_string_equal(ch[5].key, "push.url");
	assert_true(ch[5].live);
	assert_string_equal(ch[6].key, "push.timeout");
	assert_string_equal(ch[6].old_value, "10s");
	assert_string_equal(ch[6].new_value, "1500ms");
	assert_string_equal(ch[7].key, "limits.ring_buffer");
	assert_false(ch[7].live);
	assert_string_equal(ch[7].old_value, "auto");
	assert_string_equal(ch[7].new_value, "8M");
	assert_string_equal(ch[8].key, "filters.exclude_comm");
	assert_true(ch[8].live);
	assert_string_equal(ch[8].old_value, "(none)");
	assert_string_equal(ch[8].new_value, "a*, b*");
	assert_string_equal(ch[9].key, "labels");
	assert_true(ch[9].live);
	assert_string_equal(ch[9].new_value, "env=prod");
	/* a short OUT still counts every change */
	assert_int_equal(config__reload_diff(&run, &next, ch, 2), 10);
	assert_int_equal(config__reload_diff(&run, &next, NULL, 0), 10);

	/* apply: live values move, restart-only ones stay */
	assert_int_equal(config__apply_live(&run, &next), 0);
	assert_int_equal(run.frequency_hz, 19);
	assert_string_equal(run.listen.host, "127.0.0.1");
	assert_int_equal(run.ring_buffer_bytes, 0);
	assert_int_equal(run.log_level, CONFIG_LOG_DEBUG);
	assert_string_equal(run.auth_token_file, "/tok");
	assert_int_equal(run.max_age_s, 86400);
	assert_string_equal(run.push_url, "https://p/");
	assert_ptr_not_equal(run.push_url, next.push_url);
	assert_int_equal(run.push_timeout_ms, 1500);
	assert_int_equal(run.exclude_comm.count, 2);
	assert_int_equal(run.nlabels, 1);
	n = config__reload_diff(&run, &next, ch, 40);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		assert_false(ch[i].live);
	assert_string_equal(ch[1].key, "daemon.frequency");

	/* and back: a key removed from the file returns to its default */
	config__free(&next);
	assert_int_equal(config__defaults(&next), 0);
	assert_int_equal(config__apply_live(&run, &next), 0);
	assert_null(run.push_url);
	assert_null(run.auth_token_file);
	assert_int_equal(run.nlabels, 0);
	assert_int_equal(run.exclude_comm.count, 0);
	assert_int_equal(config__reload_diff(&run, &next, NULL, 0), 0);
	config__free(&next);
	config__free(&run);
}

static void test_filters(void **state)
{
	struct zp_config c;
	char err[256];

	(void)state;
	assert_int_equal(config__defaults(&c), 0);
	assert_true(config__filter_allows(&c, "bash", "/user.slice"));
	assert_true(config__filter_allows(&c, NULL, NULL));
	config__free(&c);

	assert_int_equal(load(&c,
			      "[filters]\ninclude_comm = python*, java\n"
			      "exclude_comm = python2*\n"
			      "exclude_cgroup = /system.slice/*\n",
			      err, sizeof(err)),
			 0);
	assert_true(config__filter_allows(&c, "python3.11", "/kubepods/x"));
	assert_true(config__filter_allows(&c, "java", NULL));
	assert_false(config__filter_allows(&c, "javac", NULL));
	assert_false(config__filter_allows(&c, "python2.7", NULL));
	assert_false(config__filter_allows(&c, NULL, NULL));
	/* "*" spans "/" in cgroup paths */
	assert_false(
	    config__filter_allows(&c, "java", "/system.slice/a.service/sub"));
	config__free(&c);

	assert_int_equal(load(&c, "[filters]\ninclude_cgroup = /kubepods*\n",
			      err, sizeof(err)),
			 0);
	assert_true(config__filter_allows(
	    &c, "x", "/kubepods/burstable/pod1/0123456789abcdef"));
	assert_false(config__filter_allows(&c, "x", "/system.slice"));
	assert_false(config__filter_allows(&c, "x", NULL));
	config__free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_line_endings_and_comments),
		cmocka_unit_test(test_nul_and_length),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_hostport),
		cmocka_unit_test(test_parse_uint_bool),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_reload_diff),
		cmocka_unit_test(test_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
