// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the config loader: load arbitrary bytes as a config
 * file, then check that a success respects every documented range, that a
 * failure says where ("ORIGIN:LINE: ...") and leaves the defaults, and that
 * the reload diff and live copy agree. The value parsers also get the input
 * as one string, and what they accept must format and parse back the same.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static void check_ranges(const struct zp_config *c)
{
	unsigned int i;

	if (c->frequency_hz < 1 || c->frequency_hz > 1000 || c->window_s < 1 ||
	    c->window_s > 3600 || c->max_age_s < 60 ||
	    c->max_age_s > 365 * 86400ull || c->max_bytes < (1ull << 20) ||
	    c->max_bytes > (1ull << 40) || c->push_timeout_ms < 100 ||
	    c->push_timeout_ms > 300000 || c->push_queue < 1 ||
	    c->push_queue > 10000 || c->max_processes < 16 ||
	    c->max_processes > (1u << 20) || c->max_stacks < 1024 ||
	    c->max_stacks > (1u << 24) ||
	    (c->ring_buffer_bytes && (c->ring_buffer_bytes < (1u << 20) ||
				      c->ring_buffer_bytes > (64u << 20))) ||
	    c->log_level > CONFIG_LOG_DEBUG ||
	    c->push_service_name_from > CONFIG_SERVICE_COMM ||
	    !c->listen.port || !c->state_dir || c->state_dir[0] != '/' ||
	    !c->push_service_name || !c->push_service_name[0] ||
	    c->nlabels > CONFIG_LABELS_MAX ||
	    c->include_comm.count > CONFIG_GLOBS_MAX ||
	    (!c->push_basic_auth_user != !c->push_basic_auth_password_file))
		abort();
	for (i = 0; i < c->nlabels; i++)
		if (!c->labels[i].name[0] || !c->labels[i].value[0])
			abort();
	for (i = 0; i < c->include_comm.count; i++)
		if (!c->include_comm.glob[i][0])
			abort();
}

static void check_parsers(const char *s)
{
	struct zp_hostport hp, hp2;
	char buf[300];
	uint64_t v, v2;

	if (!config_parse_duration(s, &v)) {
		config_format_duration(v, buf, sizeof(buf));
		if (config_parse_duration(buf, &v2) || v2 != v)
			abort();
	}
	if (!config_parse_size(s, &v)) {
		config_format_size(v, buf, sizeof(buf));
		if (config_parse_size(buf, &v2) || v2 != v)
			abort();
	}
	if (!config_parse_hostport(s, &hp)) {
		config_format_hostport(&hp, buf, sizeof(buf));
		if (config_parse_hostport(buf, &hp2) || hp2.port != hp.port ||
		    hp2.family != hp.family || strcmp(hp2.host, hp.host))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_change ch[64];
	struct zp_config c, d;
	char err[256], *s;
	int ret, n;

	ret = config__load_string(&c, (const char *)data, size, "f", err,
				  sizeof(err));
	if (config__defaults(&d))
		abort();
	if (ret == 0) {
		if (err[0])
			abort();
		check_ranges(&c);
		n = config__reload_diff(&d, &c, ch, 64);
		if (n < 0 || n > 64)
			abort();
		/* after a live copy only restart-only keys still differ */
		if (config__apply_live(&d, &c))
			abort();
		n = config__reload_diff(&d, &c, ch, 64);
		while (n-- > 0)
			if (ch[n].live)
				abort();
		config__filter_allows(&c, "python3", "/kubepods/x");
		config__filter_allows(&c, NULL, NULL);
	} else {
		if (ret != -EINVAL || strncmp(err, "f:", 2))
			abort();
		/* a failed load leaves the defaults */
		if (config__reload_diff(&d, &c, NULL, 0))
			abort();
	}
	config__free(&c);
	config__free(&d);

	if (size < 512) {
		s = malloc(size + 1);
		if (!s)
			return 0;
		memcpy(s, data, size);
		s[size] = '\0';
		check_parsers(s);
		free(s);
	}
	return 0;
}
