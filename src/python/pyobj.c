// SPDX-License-Identifier: BSD-2-Clause
/*
 * pyobj: decodes the headers of the two object kinds pyproc copies out of a
 * target, str (to UTF-8) and bytes. Pure functions of the bytes read: the
 * caller reads and type-checks the object, these only interpret it, so they
 * can be fuzzed. The bytes come from another process: every length, kind and
 * code point is checked.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pyproc.h"

/*
 * PyASCIIObject.state, a bitfield that is the same in every GIL build from
 * 3.8 to 3.14: interned:2, kind:3, compact:1, ascii:1, then flags we ignore
 * (ready in <=3.11, statically_allocated in 3.12+).
 */
#define STATE_KIND(s)	 (((s) >> 2) & 7u)
#define STATE_COMPACT(s) (((s) >> 5) & 1u)
#define STATE_ASCII(s)	 (((s) >> 6) & 1u)

/* No str in a real process is near this; it only keeps sizes sane. */
#define STR_MAX_LENGTH (1ull << 40)

static bool in_header(int32_t off, size_t width, size_t len)
{
	return off >= 0 && (size_t)off <= len && width <= len - (size_t)off;
}

int py_str__parse(const struct py_layout *l, const void *hdr, size_t len,
		  struct py_str_hdr *out)
{
	uint32_t state, kind;
	int64_t length;

	if (l->str_ascii_size <= 0 || len < (size_t)l->str_ascii_size ||
	    !in_header(l->str_state, 4, len) ||
	    !in_header(l->str_length, 8, len))
		return -EINVAL;
	memcpy(&state, (const char *)hdr + l->str_state, 4);
	memcpy(&length, (const char *)hdr + l->str_length, 8);
	if (length < 0 || (uint64_t)length > STR_MAX_LENGTH)
		return -EINVAL;
	/* legacy (non-compact) strings keep their data elsewhere: never code */
	if (!STATE_COMPACT(state))
		return -EINVAL;
	kind = STATE_KIND(state);
	if (kind != 1 && kind != 2 && kind != 4)
		return -EINVAL;
	if (STATE_ASCII(state) && kind != 1)
		return -EINVAL;
	out->length = (uint64_t)length;
	out->kind = kind;
	out->ascii = STATE_ASCII(state);
	out->data_off =
	    (uint32_t)(out->ascii ? l->str_ascii_size : l->str_compact_size);
	return 0;
}

static size_t utf8_encode(uint32_t cp, char *buf)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | cp >> 6);
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | cp >> 12);
		buf[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | cp >> 18);
	buf[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	buf[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t py_str__to_utf8(uint32_t kind, bool ascii, const void *data,
		       size_t nchars, char *out, size_t outsz)
{
	const unsigned char *d = data;
	size_t i, n, len = 0;
	uint16_t u16;
	uint32_t cp;
	char enc[4];

	if (!outsz)
		return 0;
	if (kind != 1 && kind != 2 && kind != 4)
		nchars = 0;
	for (i = 0; i < nchars; i++) {
		switch (kind) {
		case 1:
			cp = d[i];
			break;
		case 2:
			memcpy(&u16, d + 2 * i, 2);
			cp = u16;
			break;
		default:
			memcpy(&cp, d + 4 * i, 4);
			break;
		}
		/*
		 * What cannot be UTF-8 becomes U+FFFD: lone surrogates (how
		 * Python keeps undecodable file name bytes; raw bytes would
		 * make the profile's strings invalid UTF-8), values past
		 * U+10FFFF, non-ASCII in an ASCII string, and NUL (so the
		 * result stays a C string).
		 */
		if (!cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (ascii && cp >= 0x80))
			cp = 0xfffd;
		n = utf8_encode(cp, enc);
		if (n > outsz - 1 - len)
			break;
		memcpy(out + len, enc, n);
		len += n;
	}
	out[len] = '\0';
	return len;
}

int py_bytes__parse(const struct py_layout *l, const void *hdr, size_t len,
		    uint64_t *size)
{
	int64_t n;

	if (!in_header(l->bytes_size, 8, len) || l->bytes_sval < 0 ||
	    (size_t)l->bytes_sval > len)
		return -EINVAL;
	memcpy(&n, (const char *)hdr + l->bytes_size, 8);
	if (n < 0)
		return -EINVAL;
	*size = (uint64_t)n;
	return 0;
}
