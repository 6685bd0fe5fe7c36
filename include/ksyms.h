/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ksyms: the kernel's text symbols from /proc/kallsyms (vmlinux and loaded
 * modules, BPF programs included), sorted for binary search. kallsyms gives
 * no sizes, so a symbol covers up to the next one. When kptr_restrict hides
 * the addresses (all read as 0) the table is kept but reports itself as
 * unusable, so the caller can say why kernel frames are unresolved.
 *
 * Immutable after construction; not thread-safe to free while in use.
 */
#ifndef ZPROFD_KSYMS_H
#define ZPROFD_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	const char *name;   /* borrowed, valid until ksyms__free() */
	const char *module; /* "ext4" for "[ext4]"; NULL for vmlinux */
};

struct ksyms;

/*
 * Parse kallsyms text ("ADDR TYPE NAME[\t[MODULE]]" lines); keeps types
 * t, T, w and W. Lines that do not parse are skipped. Returns NULL and sets
 * errno (ENOMEM) on failure.
 */
struct ksyms *ksyms__parse(const char *buf, size_t len);
/* Read PATH (NULL: "/proc/kallsyms") and parse it; NULL and errno on error. */
struct ksyms *ksyms__load(const char *path);
/*
 * Like ksyms__load(), but keeps only the symbols that ksyms__find() needs to
 * answer for ADDRS (sorted ascending, duplicates allowed): one streaming
 * pass with a bounded line buffer instead of the whole table, so a capture
 * that saw a few hundred kernel addresses holds a few hundred symbols, not
 * the ~120k of a full kallsyms. ksyms__find() gives the same answer for
 * every address in ADDRS as it would on the full table.
 */
struct ksyms *ksyms__load_subset(const char *path, const uint64_t *addrs,
				 size_t n);
void ksyms__free(struct ksyms *k);

/*
 * The symbol at or below ADDR, or NULL (below the first symbol, or the table
 * is unusable). Does not allocate.
 */
const struct ksym *ksyms__find(const struct ksyms *k, uint64_t addr);

/* false when every address read as 0 (kptr_restrict) or no symbol parsed */
bool ksyms__usable(const struct ksyms *k);
size_t ksyms__count(const struct ksyms *k);
/* I < ksyms__count(), in address order. */
const struct ksym *ksyms__sym(const struct ksyms *k, size_t i);
/* Heap bytes held. */
size_t ksyms__mem_bytes(const struct ksyms *k);

#endif
