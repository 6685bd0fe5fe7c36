// SPDX-License-Identifier: BSD-2-Clause
/*
 * Output format selection: maps a file name's extension or a format name
 * (from the command line or config) to an enum output_format. Matching is
 * case-insensitive because users type "profile.SVG" and "--format=PPROF"
 * and mean nothing different by it.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "output.h"

struct format_name {
	const char *text;
	enum output_format fmt;
};

/* ".pb.gz" must be tried as a whole: a bare ".gz" says nothing. */
static const struct format_name extensions[] = {
	{ ".pb.gz", OUTPUT_PPROF }, { ".pprof", OUTPUT_PPROF },
	{ ".pb", OUTPUT_PPROF },    { ".folded", OUTPUT_FOLDED },
	{ ".txt", OUTPUT_FOLDED },  { ".collapsed", OUTPUT_FOLDED },
	{ ".svg", OUTPUT_SVG },
};

static const struct format_name names[] = {
	{ "pprof", OUTPUT_PPROF },
	{ "folded", OUTPUT_FOLDED },
	{ "svg", OUTPUT_SVG },
};

int output_format_from_path(const char *path, enum output_format *fmt)
{
	const char *base, *slash;
	size_t len, elen, i;

	if (!path || !fmt)
		return -EINVAL;
	/* Only the last component: "out.svg/profile" has no extension. */
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	len = strlen(base);
	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
		elen = strlen(extensions[i].text);
		if (len >= elen &&
		    !strcasecmp(base + len - elen, extensions[i].text)) {
			*fmt = extensions[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

int output_format_from_name(const char *name, enum output_format *fmt)
{
	size_t i;

	if (!name || !fmt)
		return -EINVAL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(name, names[i].text)) {
			*fmt = names[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}
