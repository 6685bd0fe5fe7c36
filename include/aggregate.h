/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * aggregator: counts samples per distinct (pid, tid, flags, stack). All of
 * its memory is allocated by aggregator__new(): a fixed open-addressing
 * table and a fixed arena of frame words, so aggregator__add() never
 * allocates. When either is full, new distinct stacks are counted as
 * dropped (stacks already present keep counting); nothing grows.
 */
#ifndef ZPROFD_AGGREGATE_H
#define ZPROFD_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "sample_abi.h"

struct agg_entry {
	uint64_t hash;
	uint64_t count;
	uint64_t first_ns; /* ktime of the first sample */
	uint32_t pid;
	uint32_t tid;
	uint32_t frames; /* offset of the words in the arena */
	uint16_t kstack_n;
	uint16_t ustack_n;
	uint16_t pystack_n;
	uint16_t flags;
	char comm[ZP_COMM_LEN];
};

struct agg_stats {
	uint64_t samples;   /* accepted by aggregator__add */
	uint64_t stacks;    /* distinct entries */
	uint64_t dropped;   /* samples lost because a table was full */
	uint64_t malformed; /* records whose length did not add up */
};

struct aggregator;

/* max_stacks distinct entries, max_words frame words in total. */
struct aggregator *aggregator__new(size_t max_stacks, size_t max_words);
void aggregator__free(struct aggregator *a);

/*
 * len: the record's length as the ring buffer reported it. 1 when the stack
 * is new (callers resolve what must be read while the process lives), 0 when
 * it was counted on an existing entry, -EINVAL/-ENOSPC when dropped.
 */
int aggregator__add(struct aggregator *a, const struct zp_sample *s,
		    size_t len);

/* Iteration: entries in insertion order, i < aggregator__count(). */
size_t aggregator__count(const struct aggregator *a);
const struct agg_entry *aggregator__entry(const struct aggregator *a, size_t i);
/* Frame words of an entry: kernel, then user, then Python pairs. */
const uint64_t *aggregator__frames(const struct aggregator *a,
				   const struct agg_entry *e);
void aggregator__stats(const struct aggregator *a, struct agg_stats *st);
/* Forget every entry, keep the memory (daemon windows). */
void aggregator__reset(struct aggregator *a);

#endif
