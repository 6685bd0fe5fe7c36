/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pyproc: everything userspace knows about one CPython process (3.8 to 3.14,
 * GIL builds, x86-64): where its interpreter is mapped, its version, where
 * _PyRuntime lives, the struct offsets of that version (a built-in table
 * cross-checked against the target's own type objects for 3.8-3.12,
 * _Py_DebugOffsets read from the target for 3.13+), the offsets the BPF
 * walker needs (struct zp_py_proc), its thread states, and the code objects
 * its frames point to.
 *
 * Everything read from the target is outside input: every pointer, size and
 * length is validated before use, every walk is bounded, and a layout that
 * disagrees with what the target says about itself is refused (-EPROTO)
 * rather than turned into garbage frames.
 *
 * A struct pyproc holds an fd of /proc/PID/mem (opened lazily) and small
 * copies; nothing borrowed. Not thread-safe: one thread drives one pyproc.
 */
#ifndef ZPROFD_PYPROC_H
#define ZPROFD_PYPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sample_abi.h"

struct pyproc;

/*
 * Detect CPython in PID from PROC_ROOT/PID/maps (PROC_ROOT NULL: "/proc"): a
 * mapped libpython3.X.so*, else an executable with the interpreter linked in
 * (its .dynsym or a .PyRuntime section has _PyRuntime; Debian's stripped
 * /usr/bin/python3.11 is one). Finds _PyRuntime's runtime address and the
 * version (Py_Version for 3.11+, else the library or executable name), picks
 * and cross-checks the layout, and fills the BPF config.
 *
 * Returns 0 and *OUT (free with pyproc__free()), or:
 *   -ENOENT   not a CPython process (nothing to report);
 *   -ENOTSUP  a CPython we do not support (before 3.8, after 3.14, Python 2,
 *             free-threaded 3.13t/3.14t, version unknown): *WHY says which;
 *   -EPROTO   a cross-check failed: *WHY names the field;
 *   -EAGAIN   the interpreter's memory is not readable yet (the process is
 *             still starting): retry later;
 *   -ESRCH    the process is gone; -EACCES not permitted; -ENOMEM.
 * *WHY (may be NULL) is a static string, set for every error but -ENOMEM.
 */
int pyproc__open(pid_t pid, const char *proc_root, struct pyproc **out,
		 const char **why);
void pyproc__free(struct pyproc *p);

pid_t pyproc__pid(const struct pyproc *p);
/* (major << 8) | minor, e.g. 0x030b for 3.11. */
unsigned pyproc__version(const struct pyproc *p);
/* PY_VERSION_HEX when the target exports Py_Version (3.11+), else 0. */
uint32_t pyproc__version_hex(const struct pyproc *p);
/* Runtime address of _PyRuntime in the target. */
uint64_t pyproc__runtime_addr(const struct pyproc *p);
/* Path of the mapped file holding the interpreter. Borrowed from P. */
const char *pyproc__path(const struct pyproc *p);
/*
 * File offsets in pyproc__path()'s file of the functions the thread-state
 * uprobes hook, in this order: PyEval_AcquireThread, PyThreadState_New,
 * PyThreadState_Clear (public C API, in .dynsym even of a stripped
 * interpreter). 0, or -ENOENT when the file lacks one of them.
 */
#define PYPROC_THREAD_PROBES 3
int pyproc__thread_probe_offsets(const struct pyproc *p,
				 uint64_t off[PYPROC_THREAD_PROBES]);
/* The offsets for the BPF walker (py_procs map value). Borrowed from P. */
const struct zp_py_proc *pyproc__bpf_config(const struct pyproc *p);

/*
 * The pthread TSS key of _PyRuntime.autoTSSkey (PyGILState's per-thread
 * tstate, set even while the thread runs without the GIL), 3.8-3.13.
 * -EAGAIN: not created yet (interpreter still starting); -ENOTSUP: 3.14+
 * (moved to a thread-local); -EPROTO: not a possible key (>= 1024);
 * -EFAULT/-ESRCH from the read.
 */
int pyproc__tss_key(struct pyproc *p, uint32_t *key);

/* One thread state of the target. */
struct py_thread {
	uint64_t tstate;     /* PyThreadState address */
	uint64_t thread_id;  /* pthread_t == the thread's fsbase (glibc x86-64):
				the zp_py_thread_key.thread_id */
	uint32_t native_tid; /* kernel tid (3.11+), else 0 */
	uint32_t pad;
};

/* Most thread states one walk visits, across all interpreters. */
#define PYPROC_MAX_THREADS 4096

/*
 * Walk every interpreter's thread list (_PyRuntime.interpreters.head ->
 * threads head -> next) into OUT[0..MAX). *N is the number written. Returns 0;
 * -ENOSPC when more threads exist than MAX (the first MAX are in OUT);
 * -ELOOP when a list loops or exceeds PYPROC_MAX_THREADS; -EAGAIN when a
 * list changed under us (a tstate not pointing back at its interpreter:
 * retry); -EFAULT/-ESRCH from the reads. 0 threads before initialization.
 */
int pyproc__threads(struct pyproc *p, struct py_thread *out, size_t max,
		    size_t *n);

/* Size limits of what pyproc__read_code() copies (UTF-8 bytes, no NUL). */
#define PY_CODE_NAME_MAX  256
#define PY_CODE_FILE_MAX  1024
#define PY_CODE_TABLE_MAX (64u << 10)

/*
 * A code object, copied. Strings are valid UTF-8, cut at a character
 * boundary to the limits above; what has no UTF-8 form (lone surrogates,
 * which is how Python keeps undecodable file name bytes; NUL) becomes
 * U+FFFD, since profile formats require UTF-8. table is the raw line table:
 * co_lnotab (3.8/3.9) or co_linetable (3.10+), at most PY_CODE_TABLE_MAX bytes
 * (a longer one is cut and table_truncated set: a prefix still maps the
 * instructions it covers). Owns its buffers: release with py_code__release().
 */
struct py_code {
	char *qualname; /* co_qualname (3.11+), else co_name */
	char *filename;
	int firstlineno;
	uint8_t *table;
	size_t table_len;
	bool table_truncated;
	/* what the BPF walker sends as zp_pyframe.code_tag: co_firstlineno */
	uint32_t tag;
};

/*
 * Read the code object at CODE_ADDR (a frame's code pointer, tag bits
 * already masked). 0 and *OUT; -EINVAL when it is not a code object or its
 * fields are malformed; -EFAULT when memory is unreadable (freed, or the
 * process changed it under us); -ESRCH; -ENOMEM. *OUT is zeroed on error.
 */
int pyproc__read_code(struct pyproc *p, uint64_t code_addr,
		      struct py_code *out);
void py_code__release(struct py_code *c); /* NULL-safe, idempotent */

/*
 * Read LEN bytes of the target at ADDR (process_vm_readv, falling back to
 * /proc/PID/mem). 0, -EFAULT (unmapped, or a short read), -ESRCH, -EACCES.
 */
int pyproc__read(struct pyproc *p, uint64_t addr, void *buf, size_t len);

/* ---- Internals, exposed for unit tests and the fuzzer ------------------
 *
 * The layout of one CPython version: every offset userspace and the BPF
 * walker follow. -1: the version has no such field.
 */
struct py_layout {
	uint32_t version; /* (major << 8) | minor */
	/* _PyRuntimeState */
	int32_t rt_size; /* sizeof(_PyRuntimeState) (3.13+), 0: unknown */
	int32_t rt_interp_head; /* interpreters.head */
	int32_t rt_tss_key;	/* autoTSSkey (Py_tss_t), -1: unknown */
	/* PyInterpreterState */
	int32_t is_next;
	int32_t is_threads_head;
	/* PyThreadState */
	int32_t ts_next;
	int32_t ts_interp;
	int32_t ts_thread_id;
	int32_t ts_native_tid;
	int32_t ts_frame;     /* frame (<=3.10), cframe (3.11/12), or
				 current_frame (3.13+) */
	int32_t cframe_frame; /* 3.11/3.12: _PyCFrame.current_frame */
	/* PyFrameObject (<=3.10) or _PyInterpreterFrame (3.11+) */
	int32_t frame_code;
	int32_t frame_back;
	int32_t frame_lasti;
	int32_t frame_instr_ptr;
	int32_t frame_owner;
	int32_t frame_is_entry; /* 3.11 only */
	uint8_t owner_stop;
	uint8_t tag_mask;
	bool frame_objects;
	/* PyCodeObject */
	int32_t co_filename;
	int32_t co_name;
	int32_t co_qualname;
	int32_t co_firstlineno;
	int32_t co_table; /* co_lnotab (3.8/3.9), co_linetable (3.10+) */
	int32_t co_adaptive;
	int32_t code_basicsize; /* PyCode_Type.tp_basicsize */
	/* frame members checked in PyFrame_Type.tp_members (<=3.10) */
	int32_t frame_trace_lines;
	/* str and bytes */
	int32_t str_length;
	int32_t str_state;
	int32_t str_ascii_size;	  /* sizeof(PyASCIIObject) */
	int32_t str_compact_size; /* sizeof(PyCompactUnicodeObject) */
	int32_t bytes_size;	  /* ob_size */
	int32_t bytes_sval;
};

/*
 * The built-in layout of 3.8-3.12 (measured on pyenv 3.8.18-3.12.1 and
 * Debian 3.11.2). -ENOTSUP for other versions.
 */
int py_layout__builtin(unsigned version, struct py_layout *out);

/*
 * Parse a _Py_DebugOffsets blob (the first LEN bytes of _PyRuntime) of a
 * 3.13+ target whose Py_Version is PY_VERSION_HEX (0: trust the blob's).
 * 0; -ENOTSUP (free-threaded build, or a minor without a known layout);
 * -EPROTO (bad cookie, version mismatch, short blob, implausible sizes or
 * offsets): *WHY says which.
 */
int py_layout__from_debug_offsets(const void *blob, size_t len,
				  uint64_t py_version_hex,
				  struct py_layout *out, const char **why);
/* Bytes of _Py_DebugOffsets parsed for a minor version (0: none). */
size_t py_layout__debug_offsets_size(unsigned version);

/* One PyMemberDef as read from a type's tp_members. */
struct py_member {
	char name[32];
	int32_t type; /* T_INT 1, T_OBJECT 6, ... */
	int64_t offset;
};

enum py_type_id {
	PY_TYPE_CODE = 0, /* PyCode_Type: members and tp_basicsize */
	PY_TYPE_FRAME,	  /* PyFrame_Type: members (<=3.10) */
	PY_TYPE_UNICODE,  /* PyUnicode_Type: tp_basicsize */
	PY_TYPE_BYTES,	  /* PyBytes_Type: tp_basicsize */
	PY_TYPE__MAX,
};

/*
 * Cross-check layout L against what the target says of type WHICH: its
 * tp_basicsize and its N tp_members. 0; -EPROTO naming the first field that
 * disagrees or is missing in *WHY.
 */
int py_layout__check_type(const struct py_layout *l, enum py_type_id which,
			  int64_t basicsize, const struct py_member *m,
			  size_t n, const char **why);

/* The BPF walker's view of L. */
void py_layout__bpf_config(const struct py_layout *l, struct zp_py_proc *out);

/* A str object's header, parsed. */
struct py_str_hdr {
	uint64_t length;   /* code points */
	uint32_t kind;	   /* bytes per code point: 1, 2, 4 */
	uint32_t data_off; /* where the characters start, from the object */
	bool ascii;
};

/*
 * Parse the first LEN bytes of a str object (at least l->str_ascii_size).
 * Only compact strings (every str the compiler makes) are accepted: -EINVAL
 * for legacy ones and malformed state or length.
 */
int py_str__parse(const struct py_layout *l, const void *hdr, size_t len,
		  struct py_str_hdr *out);

/*
 * Encode NCHARS code points of KIND bytes each at DATA as UTF-8 into OUT
 * (OUTSZ >= 1), stopping at a character boundary when full; always
 * NUL-terminated. Returns the bytes written, without the NUL. Surrogates,
 * values past U+10FFFF, U+0000 and (with ASCII) bytes >= 0x80 become U+FFFD:
 * the result is always valid UTF-8 and a C string.
 */
size_t py_str__to_utf8(uint32_t kind, bool ascii, const void *data,
		       size_t nchars, char *out, size_t outsz);

/*
 * Parse the first LEN bytes of a bytes object: its size into *SIZE. -EINVAL
 * for a negative size or a short header.
 */
int py_bytes__parse(const struct py_layout *l, const void *hdr, size_t len,
		    uint64_t *size);

#endif
