// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for what pyproc parses out of a CPython process: the
 * _Py_DebugOffsets blob at the start of _PyRuntime (and the layout it yields,
 * applied to the rest of the input as str and bytes headers), str headers
 * and their UTF-8 conversion under each built-in layout, bytes headers, and
 * the tp_members cross-check. The first byte picks the parser. Checks that
 * accepted layouts are self-consistent and that every string produced is
 * valid UTF-8 within its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pyproc.h"

/* Strict UTF-8: shortest forms, no surrogates, nothing past U+10FFFF. */
static int valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = s[i] & 0x07;
		} else {
			return 0;
		}
		if (i + n > len)
			return 0;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

static void check_offset(int32_t off, uint32_t width, uint32_t limit)
{
	if (off < 0 || (uint32_t)off + width > limit)
		abort();
}

/* Parse a str at DATA with L, convert what is there, check the output. */
static void fuzz_str(const struct py_layout *l, const uint8_t *data,
		     size_t size)
{
	struct py_str_hdr h;
	char out[64];
	size_t avail, nchars, len;

	if (py_str__parse(l, data, size, &h))
		return;
	if (h.kind != 1 && h.kind != 2 && h.kind != 4)
		abort();
	if (h.ascii && h.kind != 1)
		abort();
	if (h.data_off > size)
		return;
	avail = (size - h.data_off) / h.kind;
	nchars = h.length < avail ? (size_t)h.length : avail;
	len = py_str__to_utf8(h.kind, h.ascii, data + h.data_off, nchars, out,
			      1 + data[0] % sizeof(out));
	if (len >= sizeof(out) || strlen(out) != len ||
	    !valid_utf8((const unsigned char *)out, len))
		abort();
}

static void fuzz_debug_offsets(const uint8_t *data, size_t size)
{
	struct zp_py_proc c;
	struct py_layout l;
	const char *why = NULL;
	uint64_t size_bytes;
	int err;

	err = py_layout__from_debug_offsets(data, size, 0, &l, &why);
	if (err) {
		if (!why)
			abort();
		return;
	}
	/* what the checks promised: fields inside plausible structs */
	check_offset(l.rt_interp_head, 8, 16u << 20);
	check_offset(l.is_threads_head, 8, 16u << 20);
	check_offset(l.is_next, 8, 16u << 20);
	check_offset(l.ts_next, 8, 64u << 10);
	check_offset(l.ts_frame, 8, 64u << 10);
	check_offset(l.ts_native_tid, 8, 64u << 10);
	check_offset(l.frame_code, 8, 64u << 10);
	check_offset(l.frame_back, 8, 64u << 10);
	check_offset(l.frame_instr_ptr, 8, 64u << 10);
	check_offset(l.frame_owner, 1, 64u << 10);
	check_offset(l.co_filename, 8, 64u << 10);
	check_offset(l.co_firstlineno, 4, 64u << 10);
	check_offset(l.co_adaptive, 0, 64u << 10);
	if (l.str_ascii_size > l.str_compact_size)
		abort();
	py_layout__bpf_config(&l, &c);
	if (c.frame_span % 8 || c.frame_span > (64u << 10) + 8 ||
	    c.cframe_frame != -1 || c.flags)
		abort();
	/* the layout the target described, on the target's other bytes */
	fuzz_str(&l, data, size);
	py_bytes__parse(&l, data, size, &size_bytes);
}

static void fuzz_members(const uint8_t *data, size_t size)
{
	struct py_member m[16];
	struct py_layout l;
	const char *why = NULL;
	int64_t basicsize = 0;
	size_t n = 0;
	int t;

	if (size < 10)
		return;
	if (py_layout__builtin(0x0308 + data[0] % 5, &l))
		abort();
	t = data[1] % PY_TYPE__MAX;
	memcpy(&basicsize, data + 2, 8);
	data += 10;
	size -= 10;
	while (n < 16 && size >= 44) {
		memcpy(m[n].name, data, 32);
		m[n].name[31] = '\0';
		memcpy(&m[n].type, data + 32, 4);
		memcpy(&m[n].offset, data + 36, 8);
		data += 44;
		size -= 44;
		n++;
	}
	if (py_layout__check_type(&l, (enum py_type_id)t, basicsize, m, n,
				  &why) &&
	    !why)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct py_layout l;
	uint64_t n;

	if (size < 2)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_debug_offsets(data + 1, size - 1);
		break;
	case 1:
		if (py_layout__builtin(0x0308 + data[1] % 5, &l))
			abort();
		fuzz_str(&l, data + 2, size - 2);
		break;
	case 2:
		if (py_layout__builtin(0x0308 + data[1] % 5, &l))
			abort();
		py_bytes__parse(&l, data + 2, size - 2, &n);
		break;
	default:
		fuzz_members(data + 1, size - 1);
		break;
	}
	return 0;
}
