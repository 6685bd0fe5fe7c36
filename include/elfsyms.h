/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * elfsyms: the function symbols of one ELF file (an executable, a shared
 * library, or an image in memory such as the vDSO), sorted for binary search,
 * plus what is needed to turn a file offset into the ELF virtual address the
 * symbols use (the PT_LOAD table), the file's GNU build-id and its
 * .gnu_debuglink. When the file has no .symtab, its symbols come from a
 * separate debug file (see elfsyms__from_fd()), with .dynsym adding whatever
 * functions the chosen table lacks. Everything read from a file is checked
 * before use: the files are outside input.
 *
 * An elfsyms copies what it keeps; it holds no fd and no libelf handle once
 * built. Immutable after construction, so it may be shared read-only.
 */
#ifndef ZPROFD_ELFSYMS_H
#define ZPROFD_ELFSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A build-id as lowercase hex: up to 64 bytes of note, plus the NUL. */
#define ELFSYMS_BUILD_ID_SIZE 129

struct elfsym {
	uint64_t start; /* ELF virtual address */
	/*
	 * Bytes covered. A symbol the file gives no size (hand-written
	 * assembly) covers up to the next symbol or the end of its section.
	 */
	uint64_t size;
	const char *name; /* borrowed, valid until elfsyms__free() */
};

struct elfsyms_opts {
	/*
	 * Root of separate debug files: NULL means "/usr/lib/debug", ""
	 * disables the build-id and debug_root searches.
	 */
	const char *debug_root;
	/*
	 * When set, the binary's own directory (for .gnu_debuglink) is looked
	 * up as if ROOT_FD were "/" (e.g. an fd of /proc/PID/root, so files of
	 * another mount namespace resolve there). Borrowed.
	 */
	bool use_root_fd;
	int root_fd;
};

struct elfsyms;

/*
 * Load the symbols of the ELF file open at FD (borrowed; only read, with
 * pread, so its offset is untouched). PATH is the file's name as the process
 * sees it; its directory is where .gnu_debuglink files are looked for (NULL:
 * only the build-id search). OPTS may be NULL.
 *
 * When the file has no .symtab with functions, the separate debug file is
 * searched in this order and the first that fits is used:
 *   1. DEBUG_ROOT/.build-id/xx/yyyy.debug, its build-id must match;
 *   2. .gnu_debuglink NAME in DIR/NAME, DIR/.debug/NAME (DIR under ROOT_FD
 *      when set), then DEBUG_ROOT/DIR/NAME; the CRC-32 of the whole candidate
 *      must equal the link's, and its build-id the binary's when both have
 *      one.
 *
 * Returns NULL and sets errno: ENOEXEC (not an ELF executable or shared
 * object), ENOMEM. A valid ELF without any function symbols gives an empty
 * table (lookups then only convert offsets).
 */
struct elfsyms *elfsyms__from_fd(int fd, const char *path,
				 const struct elfsyms_opts *opts);
/* Open PATH (must be a regular file) and elfsyms__from_fd() it. */
struct elfsyms *elfsyms__open(const char *path,
			      const struct elfsyms_opts *opts);
/*
 * Load from an ELF image in memory (copied; BUF stays the caller's). No
 * separate debug file is searched.
 */
struct elfsyms *elfsyms__from_memory(const void *buf, size_t len);

void elfsyms__free(struct elfsyms *s);

/* The symbol covering VADDR, or NULL. Does not allocate. */
const struct elfsym *elfsyms__find(const struct elfsyms *s, uint64_t vaddr);

/*
 * Convert an offset in the file into the ELF virtual address the symbols use,
 * through the PT_LOAD segment that maps it: vaddr = off - p_offset + p_vaddr.
 * Returns 0, or -ENOENT when no PT_LOAD maps OFF.
 */
int elfsyms__file_to_vaddr(const struct elfsyms *s, uint64_t off,
			   uint64_t *vaddr);

/* Lowercase hex, "" when the file has none. Borrowed. */
const char *elfsyms__build_id(const struct elfsyms *s);
/* The .gnu_debuglink file name (and its CRC-32 in *CRC), or NULL. */
const char *elfsyms__debuglink(const struct elfsyms *s, uint32_t *crc);
/* Path of the separate debug file the symbols came from, "" when none. */
const char *elfsyms__debug_file(const struct elfsyms *s);

size_t elfsyms__count(const struct elfsyms *s);
/* I < elfsyms__count(), in address order. */
const struct elfsym *elfsyms__sym(const struct elfsyms *s, size_t i);
/* Heap bytes held, for cache accounting. */
size_t elfsyms__mem_bytes(const struct elfsyms *s);

/*
 * Read only the build-id of the ELF file open at FD (or in memory), as
 * lowercase hex into OUT (at least ELFSYMS_BUILD_ID_SIZE bytes). Cheap: reads
 * the headers and notes. Returns 0, -ENOENT when there is none, -ENOEXEC.
 */
int elf_read_build_id_fd(int fd, char *out, size_t outsz);
int elf_read_build_id_mem(const void *buf, size_t len, char *out, size_t outsz);

#endif
