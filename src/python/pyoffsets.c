// SPDX-License-Identifier: BSD-2-Clause
/*
 * pyoffsets: the struct layouts of CPython 3.8-3.14. For 3.8-3.12 a built-in
 * table per minor version (there is nothing in the target that describes
 * them), cross-checked against the PyMemberDef arrays and tp_basicsize of the
 * target's own type objects; for 3.13+ the parser of _Py_DebugOffsets, the
 * table CPython keeps at the start of _PyRuntime for out-of-process tools.
 * Also turns a layout into the struct zp_py_proc the BPF walker reads.
 * Everything here is a pure function of its arguments (the caller reads the
 * target), so the parsers are unit-tested and fuzzed without a process.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "pyproc.h"

/* PyMemberDef.type values (structmember.h / descrobject.h) */
#define T_INT	    1
#define T_OBJECT    6
#define T_BOOL	    14
#define T_OBJECT_EX 16

/* _PyInterpreterFrame.owner values from here up are not Python frames */
#define OWNED_BY_INTERPRETER 3

/*
 * Offsets measured with gdb and ctypes on pyenv 3.8.18, 3.9.18, 3.10.13,
 * 3.11.7, 3.12.1 and Debian 3.11.2 (they agree with CPython's headers of
 * those releases). Fields common to every version are filled by
 * layout_common(); these tables hold what moves.
 *
 * rt_tss_key: offset of _PyRuntime.autoTSSkey (a Py_tss_t: int
 * _is_initialized, then the pthread_key_t).
 */
static void layout_common(struct py_layout *l, unsigned version)
{
	memset(l, 0, sizeof(*l));
	l->version = version;
	l->rt_size = 0; /* unknown: the caller bounds with the symbol size */
	l->is_next = 0;
	l->ts_next = 8;
	l->ts_interp = 16;
	l->ts_native_tid = -1;
	l->cframe_frame = -1;
	l->frame_lasti = -1;
	l->frame_instr_ptr = -1;
	l->frame_owner = -1;
	l->frame_is_entry = -1;
	l->co_qualname = -1;
	l->co_adaptive = -1;
	l->frame_trace_lines = -1;
	l->str_length = 16;
	l->str_state = 32;
	l->bytes_size = 16;
	l->bytes_sval = 32;
}

int py_layout__builtin(unsigned version, struct py_layout *l)
{
	if (version < 0x0308 || version > 0x030c)
		return -ENOTSUP;
	layout_common(l, version);
	if (version <= 0x030a) {
		/* PyFrameObject chain hanging off tstate->frame */
		l->rt_interp_head = 32;
		l->rt_tss_key = version == 0x0308 ? 1392 : 584;
		l->is_threads_head = 8; /* tstate_head */
		l->ts_thread_id = 176;
		l->ts_frame = 24;
		l->frame_objects = true;
		l->frame_back = 24;
		l->frame_code = 32;
		/* f_lasti counts bytes in 3.8/3.9, code units in 3.10 */
		l->frame_lasti = version == 0x030a ? 96 : 104;
		l->frame_trace_lines = version == 0x030a ? 84 : 88;
		l->co_firstlineno = 40;
		l->co_filename = 104;
		l->co_name = 112;
		l->co_table = 120; /* co_lnotab, co_linetable in 3.10 */
		l->code_basicsize = 176;
		l->str_ascii_size = 48;
		l->str_compact_size = 72;
		return 0;
	}
	/* 3.11/3.12: _PyInterpreterFrame reached through tstate->cframe */
	l->rt_interp_head = 40;
	l->ts_frame = 56;
	l->owner_stop = OWNED_BY_INTERPRETER;
	l->frame_instr_ptr = 56; /* prev_instr */
	l->co_filename = 112;
	l->co_name = 120;
	l->co_qualname = 128;
	l->co_table = 136;
	if (version == 0x030b) {
		l->rt_tss_key = 592;
		l->is_threads_head = 16;
		l->ts_thread_id = 152;
		l->ts_native_tid = 160;
		l->cframe_frame = 8;
		l->frame_code = 32;
		l->frame_back = 48;
		/* the entry marker is is_entry@68, not an owner */
		l->frame_is_entry = 68;
		l->co_firstlineno = 72;
		l->co_adaptive = 184;
		l->str_ascii_size = 48;
		l->str_compact_size = 72;
	} else {
		l->rt_tss_key = 1544;
		l->is_threads_head = 72;
		l->ts_thread_id = 136;
		l->ts_native_tid = 144;
		l->cframe_frame = 0;
		l->frame_code = 0;
		l->frame_back = 8;
		l->frame_owner = 70;
		l->co_firstlineno = 68;
		l->co_adaptive = 192;
		/* PEP 623 removed wstr: PyASCIIObject lost 8 bytes */
		l->str_ascii_size = 40;
		l->str_compact_size = 56;
	}
	l->code_basicsize = l->co_adaptive;
	return 0;
}

/* ---- _Py_DebugOffsets (3.13+) ----------------------------------------- */

/*
 * C mirrors of the leading part of _Py_DebugOffsets, one per minor version
 * (the struct is not self-describing and 3.14 inserted fields in the
 * middle). Only the groups up to unicode_object are mirrored: that is all we
 * read, and it keeps us independent of what later groups a release appends.
 * 3.13: Include/internal/pycore_runtime.h of v3.13.0 (checked against the
 * static initializer in pyenv's libpython3.13). 3.14: pycore_debug_offsets.h
 * of the 3.14 branch (not tested: no 3.14 here).
 */
struct dbg_head {
	char cookie[8];
	uint64_t version;
	uint64_t free_threaded;
};

struct dbg_runtime {
	uint64_t size, finalizing, interpreters_head;
};

struct dbg_thread {
	uint64_t size, prev, next, interp, current_frame, thread_id,
	    native_thread_id, datastack_chunk, status;
};

struct dbg_tail {
	struct {
		uint64_t size, ob_type;
	} pyobject;
	struct {
		uint64_t size, tp_name, tp_repr, tp_flags;
	} type_object;
	struct {
		uint64_t size, ob_item, ob_size;
	} tuple_object, list_object;
};

struct dbg_objects {
	struct {
		uint64_t size, ma_keys, ma_values;
	} dict_object;
	struct {
		uint64_t size, ob_fval;
	} float_object;
	struct {
		uint64_t size, lv_tag, ob_digit;
	} long_object;
	struct {
		uint64_t size, ob_size, ob_sval;
	} bytes_object;
	struct {
		uint64_t size, state, length, asciiobject_size;
	} unicode_object;
};

struct dbg_313 {
	struct dbg_head h;
	struct dbg_runtime runtime_state;
	struct {
		uint64_t size, id, next, threads_head, gc, imports_modules,
		    sysdict, builtins, ceval_gil, gil_runtime_state,
		    gil_runtime_state_enabled, gil_runtime_state_locked,
		    gil_runtime_state_holder;
	} interpreter_state;
	struct dbg_thread thread_state;
	struct {
		uint64_t size, previous, executable, instr_ptr, localsplus,
		    owner;
	} interpreter_frame;
	struct {
		uint64_t size, filename, name, qualname, linetable, firstlineno,
		    argcount, localsplusnames, localspluskinds,
		    co_code_adaptive;
	} code_object;
	struct dbg_tail t;
	struct dbg_objects o;
};

struct dbg_314 {
	struct dbg_head h;
	struct dbg_runtime runtime_state;
	struct {
		uint64_t size, id, next, threads_head, threads_main, gc,
		    imports_modules, sysdict, builtins, ceval_gil,
		    gil_runtime_state, gil_runtime_state_enabled,
		    gil_runtime_state_locked, gil_runtime_state_holder,
		    code_object_generation, tlbc_generation;
	} interpreter_state;
	struct dbg_thread thread_state;
	struct {
		uint64_t size, previous, executable, instr_ptr, localsplus,
		    owner, stackpointer, tlbc_index;
	} interpreter_frame;
	struct {
		uint64_t size, filename, name, qualname, linetable, firstlineno,
		    argcount, localsplusnames, localspluskinds,
		    co_code_adaptive, co_tlbc;
	} code_object;
	struct dbg_tail t;
	struct {
		uint64_t size, used, table, mask;
	} set_object; /* new in 3.14, between list and dict */
	struct dbg_objects o;
};

_Static_assert(sizeof(struct dbg_313) == 71 * 8, "3.13 debug offsets");
_Static_assert(sizeof(struct dbg_314) == 81 * 8, "3.14 debug offsets");

/* What the version-specific mirrors have in common, flattened. */
struct dbg_flat {
	uint64_t rt_size, rt_interp_head;
	uint64_t is_size, is_next, is_threads_head;
	struct dbg_thread ts;
	uint64_t fr_size, fr_previous, fr_executable, fr_instr_ptr, fr_owner;
	uint64_t co_size, co_filename, co_name, co_qualname, co_linetable,
	    co_firstlineno, co_adaptive;
	struct dbg_objects o;
};

/* Plausible sizes: _PyRuntimeState and PyInterpreterState are ~200-300 KiB */
#define DBG_MAX_BIG_STRUCT   (16u << 20)
#define DBG_MAX_SMALL_STRUCT (64u << 10)

size_t py_layout__debug_offsets_size(unsigned version)
{
	switch (version) {
	case 0x030d:
		return sizeof(struct dbg_313);
	case 0x030e:
		return sizeof(struct dbg_314);
	default:
		return 0;
	}
}

/* FIELD (WIDTH bytes wide) must lie inside a struct of SIZE bytes. */
static bool field_ok(uint64_t field, uint64_t width, uint64_t size)
{
	return field < size && width <= size - field;
}

/*
 * Check the flattened table; set *WHY to the first implausible entry. All
 * values end up in int32 fields, which the size caps guarantee.
 */
static int check_flat(const struct dbg_flat *f, const char **why)
{
#define REQUIRE(cond, msg)                                                     \
	do {                                                                   \
		if (!(cond)) {                                                 \
			*why = "_Py_DebugOffsets: " msg;                       \
			return -EPROTO;                                        \
		}                                                              \
	} while (0)
	REQUIRE(f->rt_size && f->rt_size <= DBG_MAX_BIG_STRUCT,
		"runtime_state.size");
	REQUIRE(f->is_size && f->is_size <= DBG_MAX_BIG_STRUCT,
		"interpreter_state.size");
	REQUIRE(f->ts.size && f->ts.size <= DBG_MAX_SMALL_STRUCT,
		"thread_state.size");
	REQUIRE(f->fr_size && f->fr_size <= DBG_MAX_SMALL_STRUCT,
		"interpreter_frame.size");
	REQUIRE(f->co_size && f->co_size <= DBG_MAX_SMALL_STRUCT,
		"code_object.size");
	REQUIRE(f->o.unicode_object.size &&
		    f->o.unicode_object.size <= DBG_MAX_SMALL_STRUCT,
		"unicode_object.size");
	REQUIRE(f->o.bytes_object.size &&
		    f->o.bytes_object.size <= DBG_MAX_SMALL_STRUCT,
		"bytes_object.size");
	REQUIRE(field_ok(f->rt_interp_head, 8, f->rt_size),
		"runtime_state.interpreters_head");
	REQUIRE(field_ok(f->is_next, 8, f->is_size), "interpreter_state.next");
	REQUIRE(field_ok(f->is_threads_head, 8, f->is_size),
		"interpreter_state.threads_head");
	REQUIRE(field_ok(f->ts.next, 8, f->ts.size), "thread_state.next");
	REQUIRE(field_ok(f->ts.interp, 8, f->ts.size), "thread_state.interp");
	REQUIRE(field_ok(f->ts.current_frame, 8, f->ts.size),
		"thread_state.current_frame");
	REQUIRE(field_ok(f->ts.thread_id, 8, f->ts.size),
		"thread_state.thread_id");
	REQUIRE(field_ok(f->ts.native_thread_id, 8, f->ts.size),
		"thread_state.native_thread_id");
	REQUIRE(field_ok(f->fr_previous, 8, f->fr_size),
		"interpreter_frame.previous");
	REQUIRE(field_ok(f->fr_executable, 8, f->fr_size),
		"interpreter_frame.executable");
	REQUIRE(field_ok(f->fr_instr_ptr, 8, f->fr_size),
		"interpreter_frame.instr_ptr");
	REQUIRE(field_ok(f->fr_owner, 1, f->fr_size),
		"interpreter_frame.owner");
	REQUIRE(field_ok(f->co_filename, 8, f->co_size),
		"code_object.filename");
	REQUIRE(field_ok(f->co_name, 8, f->co_size), "code_object.name");
	REQUIRE(field_ok(f->co_qualname, 8, f->co_size),
		"code_object.qualname");
	REQUIRE(field_ok(f->co_linetable, 8, f->co_size),
		"code_object.linetable");
	REQUIRE(field_ok(f->co_firstlineno, 4, f->co_size),
		"code_object.firstlineno");
	/* the bytecode is inline after the header: adaptive <= size */
	REQUIRE(f->co_adaptive >= 16 && f->co_adaptive <= f->co_size,
		"code_object.co_code_adaptive");
	/* a PyASCIIObject is a PyObject plus at least length, hash, state */
	REQUIRE(f->o.unicode_object.asciiobject_size >= 16 &&
		    f->o.unicode_object.asciiobject_size + 8 <=
			f->o.unicode_object.size,
		"unicode_object.asciiobject_size");
	REQUIRE(field_ok(f->o.unicode_object.state, 4,
			 f->o.unicode_object.asciiobject_size),
		"unicode_object.state");
	REQUIRE(field_ok(f->o.unicode_object.length, 8,
			 f->o.unicode_object.asciiobject_size),
		"unicode_object.length");
	REQUIRE(field_ok(f->o.bytes_object.ob_size, 8, f->o.bytes_object.size),
		"bytes_object.ob_size");
	REQUIRE(field_ok(f->o.bytes_object.ob_sval, 1, f->o.bytes_object.size),
		"bytes_object.ob_sval");
#undef REQUIRE
	return 0;
}

int py_layout__from_debug_offsets(const void *blob, size_t len,
				  uint64_t py_version_hex, struct py_layout *l,
				  const char **why)
{
	const char *dummy;
	struct dbg_head h;
	struct dbg_313 d13;
	struct dbg_314 d14;
	struct dbg_flat f;
	unsigned version;
	int err;

	if (!why)
		why = &dummy;
	if (len < sizeof(h)) {
		*why = "_Py_DebugOffsets: short read";
		return -EPROTO;
	}
	memcpy(&h, blob, sizeof(h));
	if (memcmp(h.cookie, "xdebugpy", 8)) {
		*why = "_Py_DebugOffsets: bad cookie";
		return -EPROTO;
	}
	if (py_version_hex && h.version != py_version_hex) {
		*why = "_Py_DebugOffsets.version differs from Py_Version";
		return -EPROTO;
	}
	if ((h.version >> 24) != 3) {
		*why = "_Py_DebugOffsets.version: not Python 3";
		return -EPROTO;
	}
	if (h.free_threaded) {
		*why = "free-threaded CPython build (3.13t/3.14t)";
		return -ENOTSUP;
	}
	version = (unsigned)(h.version >> 16) & 0xffff;
	memset(&f, 0, sizeof(f));
	switch (version) {
	case 0x030d:
		if (len < sizeof(d13))
			goto short_blob;
		memcpy(&d13, blob, sizeof(d13));
		f.rt_size = d13.runtime_state.size;
		f.rt_interp_head = d13.runtime_state.interpreters_head;
		f.is_size = d13.interpreter_state.size;
		f.is_next = d13.interpreter_state.next;
		f.is_threads_head = d13.interpreter_state.threads_head;
		f.ts = d13.thread_state;
		f.fr_size = d13.interpreter_frame.size;
		f.fr_previous = d13.interpreter_frame.previous;
		f.fr_executable = d13.interpreter_frame.executable;
		f.fr_instr_ptr = d13.interpreter_frame.instr_ptr;
		f.fr_owner = d13.interpreter_frame.owner;
		f.co_size = d13.code_object.size;
		f.co_filename = d13.code_object.filename;
		f.co_name = d13.code_object.name;
		f.co_qualname = d13.code_object.qualname;
		f.co_linetable = d13.code_object.linetable;
		f.co_firstlineno = d13.code_object.firstlineno;
		f.co_adaptive = d13.code_object.co_code_adaptive;
		f.o = d13.o;
		break;
	case 0x030e:
		if (len < sizeof(d14))
			goto short_blob;
		memcpy(&d14, blob, sizeof(d14));
		f.rt_size = d14.runtime_state.size;
		f.rt_interp_head = d14.runtime_state.interpreters_head;
		f.is_size = d14.interpreter_state.size;
		f.is_next = d14.interpreter_state.next;
		f.is_threads_head = d14.interpreter_state.threads_head;
		f.ts = d14.thread_state;
		f.fr_size = d14.interpreter_frame.size;
		f.fr_previous = d14.interpreter_frame.previous;
		f.fr_executable = d14.interpreter_frame.executable;
		f.fr_instr_ptr = d14.interpreter_frame.instr_ptr;
		f.fr_owner = d14.interpreter_frame.owner;
		f.co_size = d14.code_object.size;
		f.co_filename = d14.code_object.filename;
		f.co_name = d14.code_object.name;
		f.co_qualname = d14.code_object.qualname;
		f.co_linetable = d14.code_object.linetable;
		f.co_firstlineno = d14.code_object.firstlineno;
		f.co_adaptive = d14.code_object.co_code_adaptive;
		f.o = d14.o;
		break;
	default:
		*why = "_Py_DebugOffsets of an unknown CPython version";
		return -ENOTSUP;
	}
	err = check_flat(&f, why);
	if (err)
		return err;

	layout_common(l, version);
	l->rt_size = (int32_t)f.rt_size;
	l->rt_interp_head = (int32_t)f.rt_interp_head;
	/*
	 * Not in the table. 3.13: measured on pyenv 3.13.0. 3.14 replaced
	 * autoTSSkey with a thread-local (gh-131185): unknown.
	 */
	l->rt_tss_key = version == 0x030d && f.rt_size >= 2168 ? 2160 : -1;
	l->is_next = (int32_t)f.is_next;
	l->is_threads_head = (int32_t)f.is_threads_head;
	l->ts_next = (int32_t)f.ts.next;
	l->ts_interp = (int32_t)f.ts.interp;
	l->ts_thread_id = (int32_t)f.ts.thread_id;
	l->ts_native_tid = (int32_t)f.ts.native_thread_id;
	l->ts_frame = (int32_t)f.ts.current_frame;
	l->frame_code = (int32_t)f.fr_executable;
	l->frame_back = (int32_t)f.fr_previous;
	l->frame_instr_ptr = (int32_t)f.fr_instr_ptr;
	l->frame_owner = (int32_t)f.fr_owner;
	l->owner_stop = OWNED_BY_INTERPRETER;
	/* 3.14: f_executable is a _PyStackRef, tagged in its low bits */
	l->tag_mask = version >= 0x030e ? 3 : 0;
	l->co_filename = (int32_t)f.co_filename;
	l->co_name = (int32_t)f.co_name;
	l->co_qualname = (int32_t)f.co_qualname;
	l->co_table = (int32_t)f.co_linetable;
	l->co_firstlineno = (int32_t)f.co_firstlineno;
	l->co_adaptive = (int32_t)f.co_adaptive;
	l->code_basicsize = l->co_adaptive;
	l->str_length = (int32_t)f.o.unicode_object.length;
	l->str_state = (int32_t)f.o.unicode_object.state;
	l->str_ascii_size = (int32_t)f.o.unicode_object.asciiobject_size;
	/* sizeof(PyUnicodeObject) = compact header + the data pointer */
	l->str_compact_size = (int32_t)f.o.unicode_object.size - 8;
	l->bytes_size = (int32_t)f.o.bytes_object.ob_size;
	l->bytes_sval = (int32_t)f.o.bytes_object.ob_sval;
	return 0;

short_blob:
	*why = "_Py_DebugOffsets: short read";
	return -EPROTO;
}

/* ---- cross-checks against the target's type objects ------------------ */

struct expect {
	const char *name;
	int32_t offset; /* < 0: not checked */
	int32_t type;	/* T_INT, T_OBJECT (T_OBJECT_EX accepted), T_BOOL */
	const char *why_off;
	const char *why_missing;
};

#define EXPECT(type_name, member, off, t)                                      \
	{                                                                      \
		member, off, t, type_name ".tp_members: " member " differs",   \
		    type_name ".tp_members: " member " missing"                \
	}

static int check_members(const struct expect *e, size_t ne,
			 const struct py_member *m, size_t n, const char **why)
{
	size_t i, j;

	for (i = 0; i < ne; i++) {
		if (e[i].offset < 0)
			continue;
		for (j = 0; j < n; j++)
			if (!strncmp(m[j].name, e[i].name, sizeof(m[j].name)))
				break;
		if (j == n) {
			*why = e[i].why_missing;
			return -EPROTO;
		}
		if (m[j].offset != e[i].offset ||
		    (m[j].type != e[i].type &&
		     !(e[i].type == T_OBJECT && m[j].type == T_OBJECT_EX))) {
			*why = e[i].why_off;
			return -EPROTO;
		}
	}
	return 0;
}

int py_layout__check_type(const struct py_layout *l, enum py_type_id which,
			  int64_t basicsize, const struct py_member *m,
			  size_t n, const char **why)
{
	const char *dummy;
	bool lnotab = l->version < 0x030a;

	if (!why)
		why = &dummy;
	switch (which) {
	case PY_TYPE_CODE: {
		const struct expect e[] = {
			EXPECT("PyCode_Type", "co_filename", l->co_filename,
			       T_OBJECT),
			EXPECT("PyCode_Type", "co_name", l->co_name, T_OBJECT),
			EXPECT("PyCode_Type", "co_qualname", l->co_qualname,
			       T_OBJECT),
			EXPECT("PyCode_Type", "co_firstlineno",
			       l->co_firstlineno, T_INT),
			EXPECT("PyCode_Type", "co_lnotab",
			       lnotab ? l->co_table : -1, T_OBJECT),
			EXPECT("PyCode_Type", "co_linetable",
			       lnotab ? -1 : l->co_table, T_OBJECT),
		};

		/*
		 * tp_basicsize is offsetof(co_code_adaptive) in 3.11+ (the
		 * bytecode is the variable part), sizeof(PyCodeObject) before.
		 */
		if (basicsize != l->code_basicsize) {
			*why =
			    l->co_adaptive >= 0
				? "PyCode_Type.tp_basicsize: co_code_adaptive"
				: "PyCode_Type.tp_basicsize: PyCodeObject";
			return -EPROTO;
		}
		return check_members(e, sizeof(e) / sizeof(e[0]), m, n, why);
	}
	case PY_TYPE_FRAME: {
		const struct expect e[] = {
			EXPECT("PyFrame_Type", "f_back", l->frame_back,
			       T_OBJECT),
			EXPECT("PyFrame_Type", "f_code", l->frame_code,
			       T_OBJECT),
			/* a member in 3.8/3.9 only; 3.10 made it a getter */
			EXPECT("PyFrame_Type", "f_lasti",
			       lnotab ? l->frame_lasti : -1, T_INT),
			/* 3.10: fixes where f_gen and f_lasti follow */
			EXPECT("PyFrame_Type", "f_trace_lines",
			       l->frame_trace_lines, T_BOOL),
		};

		/* 3.11+ frames are not objects: nothing to check against */
		if (!l->frame_objects)
			return 0;
		return check_members(e, sizeof(e) / sizeof(e[0]), m, n, why);
	}
	case PY_TYPE_UNICODE:
		/* sizeof(PyUnicodeObject): compact header + data pointer */
		if (basicsize != (int64_t)l->str_compact_size + 8) {
			*why = "PyUnicode_Type.tp_basicsize: "
			       "PyCompactUnicodeObject";
			return -EPROTO;
		}
		return 0;
	case PY_TYPE_BYTES:
		/* offsetof(PyBytesObject, ob_sval) + 1 for the NUL */
		if (basicsize != (int64_t)l->bytes_sval + 1) {
			*why = "PyBytes_Type.tp_basicsize: ob_sval";
			return -EPROTO;
		}
		return 0;
	default:
		*why = "unknown type";
		return -EINVAL;
	}
}

/* ---- the BPF walker's view --------------------------------------------- */

static void span_max(uint32_t *span, int32_t off, uint32_t width)
{
	if (off >= 0 && (uint32_t)off + width > *span)
		*span = (uint32_t)off + width;
}

void py_layout__bpf_config(const struct py_layout *l, struct zp_py_proc *c)
{
	uint32_t span = 0;

	memset(c, 0, sizeof(*c));
	c->version = l->version;
	c->flags = l->frame_objects ? ZP_PY_F_FRAME_OBJECTS : 0;
	c->tstate_frame = l->ts_frame;
	c->cframe_frame = l->cframe_frame;
	c->frame_code = l->frame_code;
	c->frame_back = l->frame_back;
	c->frame_lasti = l->frame_lasti;
	c->frame_instr_ptr = l->frame_instr_ptr;
	c->frame_owner = l->frame_owner;
	c->code_adaptive = l->co_adaptive;
	c->code_firstlineno = l->co_firstlineno;
	span_max(&span, l->frame_code, 8);
	span_max(&span, l->frame_back, 8);
	span_max(&span, l->frame_lasti, 4);
	span_max(&span, l->frame_instr_ptr, 8);
	span_max(&span, l->frame_owner, 1);
	span_max(&span, l->frame_is_entry, 1);
	c->frame_span = (span + 7) & ~7u;
	c->owner_stop = l->frame_objects ? 0 : l->owner_stop;
	c->code_tag_mask = l->tag_mask;
	c->tstate_thread_id = l->ts_thread_id;
	c->frame_entry = l->frame_is_entry;
}
