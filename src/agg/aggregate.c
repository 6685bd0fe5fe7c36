// SPDX-License-Identifier: BSD-2-Clause
/*
 * Sample aggregation. The table is open addressing with linear probing over
 * a power-of-two array of 32-bit slots that index a dense entry array;
 * entries and frame words are appended, never moved, so iteration is in
 * insertion order and reset is O(slots). Written by hand because it is the
 * per-sample hot path: one hash over the frame words, one probe sequence,
 * no allocation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"

#define SLOT_EMPTY UINT32_MAX

struct aggregator {
	uint32_t *slots;
	size_t mask;
	struct agg_entry *entries;
	size_t nentries;
	size_t max_entries;
	uint64_t *words;
	size_t nwords;
	size_t max_words;
	struct agg_stats st;
};

struct aggregator *aggregator__new(size_t max_stacks, size_t max_words)
{
	struct aggregator *a;
	size_t nslots = 16;

	if (!max_stacks || !max_words || max_stacks >= SLOT_EMPTY / 2 ||
	    max_words >= UINT32_MAX) {
		errno = EINVAL;
		return NULL;
	}
	/* keep the load factor at or below one half */
	while (nslots < 2 * max_stacks)
		nslots <<= 1;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->slots = malloc(nslots * sizeof(*a->slots));
	/* calloc: untouched pages of a large arena stay out of RSS */
	a->entries = calloc(max_stacks, sizeof(*a->entries));
	a->words = calloc(max_words, sizeof(*a->words));
	if (!a->slots || !a->entries || !a->words) {
		aggregator__free(a);
		errno = ENOMEM;
		return NULL;
	}
	memset(a->slots, 0xff, nslots * sizeof(*a->slots));
	a->mask = nslots - 1;
	a->max_entries = max_stacks;
	a->max_words = max_words;
	return a;
}

void aggregator__free(struct aggregator *a)
{
	if (!a)
		return;
	free(a->slots);
	free(a->entries);
	free(a->words);
	free(a);
}

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint64_t sample_hash(const struct zp_sample *s, const uint64_t *w,
			    size_t nwords)
{
	uint64_t h =
	    mix(0x243f6a8885a308d3ull, ((uint64_t)s->pid << 32) | s->tid);
	size_t i;

	h = mix(h, ((uint64_t)s->kstack_n << 48) |
		       ((uint64_t)s->ustack_n << 32) |
		       ((uint64_t)s->pystack_n << 16) | s->flags);
	for (i = 0; i < nwords; i++)
		h = mix(h, w[i]);
	return h;
}

/* Flags that change what the stack means; the rest are diagnostics. */
#define KEY_FLAGS                                                              \
	(ZP_F_USTACK_TRUNC | ZP_F_PYSTACK_TRUNC | ZP_F_IN_KERNEL | ZP_F_UNWIND)

int aggregator__add(struct aggregator *a, const struct zp_sample *s, size_t len)
{
	const uint64_t *w = (const uint64_t *)(s + 1);
	struct zp_sample key;
	struct agg_entry *e;
	size_t nwords, pos;
	uint64_t h;
	uint32_t slot;

	if (len < sizeof(*s) || s->kstack_n > ZP_MAX_KSTACK ||
	    s->ustack_n > ZP_MAX_USTACK || s->pystack_n > ZP_MAX_PYSTACK) {
		a->st.malformed++;
		return -EINVAL;
	}
	nwords = (size_t)s->kstack_n + s->ustack_n + 2 * (size_t)s->pystack_n;
	if ((len - sizeof(*s)) / 8 < nwords) {
		a->st.malformed++;
		return -EINVAL;
	}
	key = *s;
	key.flags &= KEY_FLAGS;
	h = sample_hash(&key, w, nwords);

	for (pos = h & a->mask;; pos = (pos + 1) & a->mask) {
		slot = a->slots[pos];
		if (slot == SLOT_EMPTY)
			break;
		e = &a->entries[slot];
		if (e->hash == h && e->pid == s->pid && e->tid == s->tid &&
		    e->kstack_n == s->kstack_n && e->ustack_n == s->ustack_n &&
		    e->pystack_n == s->pystack_n && e->flags == key.flags &&
		    !memcmp(&a->words[e->frames], w, nwords * 8)) {
			e->count++;
			a->st.samples++;
			return 0;
		}
	}
	if (a->nentries == a->max_entries ||
	    a->max_words - a->nwords < nwords) {
		a->st.dropped++;
		return -ENOSPC;
	}
	e = &a->entries[a->nentries];
	e->hash = h;
	e->count = 1;
	e->first_ns = s->ktime_ns;
	e->pid = s->pid;
	e->tid = s->tid;
	e->frames = (uint32_t)a->nwords;
	e->kstack_n = s->kstack_n;
	e->ustack_n = s->ustack_n;
	e->pystack_n = s->pystack_n;
	e->flags = key.flags;
	memcpy(e->comm, s->comm, sizeof(e->comm));
	e->comm[sizeof(e->comm) - 1] = '\0';
	memcpy(&a->words[a->nwords], w, nwords * 8);
	a->nwords += nwords;
	a->slots[pos] = (uint32_t)a->nentries++;
	a->st.samples++;
	a->st.stacks++;
	return 1;
}

size_t aggregator__count(const struct aggregator *a)
{
	return a->nentries;
}

const struct agg_entry *aggregator__entry(const struct aggregator *a, size_t i)
{
	return i < a->nentries ? &a->entries[i] : NULL;
}

const uint64_t *aggregator__frames(const struct aggregator *a,
				   const struct agg_entry *e)
{
	return &a->words[e->frames];
}

void aggregator__stats(const struct aggregator *a, struct agg_stats *st)
{
	*st = a->st;
}

void aggregator__reset(struct aggregator *a)
{
	memset(a->slots, 0xff, (a->mask + 1) * sizeof(*a->slots));
	a->nentries = 0;
	a->nwords = 0;
	memset(&a->st, 0, sizeof(a->st));
}
