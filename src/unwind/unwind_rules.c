// SPDX-License-Identifier: BSD-2-Clause
/*
 * unwind_rules: the one deduplicated set of unwind rules every table points
 * into, so the BPF side needs one small array whatever the number of files.
 * A rule is found by an open-addressing hash over its 12 bytes; ids are
 * handed out in order and never change, so userspace can push only the new
 * tail to the kernel. The set's capacity is fixed at creation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ehtable.h"

struct unwind_rules {
	struct zp_unwind_rule *rules;
	size_t n, cap, max;
	/* id + 1 per slot, 0 empty; a power of two, at least twice max */
	uint32_t *slots;
	size_t mask;
};

static uint32_t rule_hash(const struct zp_unwind_rule *r)
{
	uint64_t h;

	/* cheap mix of the three meaningful fields (FNV-style multiply) */
	h = (uint64_t)r->cfa_type | (uint64_t)r->rbp_type << 8 |
	    (uint64_t)(uint32_t)r->cfa_off << 16;
	h ^= (uint64_t)(uint32_t)r->rbp_off * 0x9e3779b97f4a7c15ull;
	h *= 0xff51afd7ed558ccdull;
	return (uint32_t)(h >> 32);
}

static bool rule_eq(const struct zp_unwind_rule *a,
		    const struct zp_unwind_rule *b)
{
	return a->cfa_type == b->cfa_type && a->rbp_type == b->rbp_type &&
	       a->cfa_off == b->cfa_off && a->rbp_off == b->rbp_off;
}

struct unwind_rules *unwind_rules__new(size_t max)
{
	struct unwind_rules *r;
	size_t nslots = 16;

	if (!max || max > ZP_UNWIND_MAX_RULES) {
		errno = EINVAL;
		return NULL;
	}
	while (nslots < 2 * max)
		nslots *= 2;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->max = max;
	r->mask = nslots - 1;
	r->slots = calloc(nslots, sizeof(*r->slots));
	/* the array grows with use: most daemons see a few hundred rules */
	r->cap = max < 256 ? max : 256;
	r->rules = calloc(r->cap, sizeof(*r->rules));
	if (!r->slots || !r->rules) {
		unwind_rules__free(r);
		errno = ENOMEM;
		return NULL;
	}
	/* id 0: "no information", all zero (a zeroed map slot means it too) */
	if (unwind_rules__intern(r, &(struct zp_unwind_rule){ 0 }) != 0) {
		unwind_rules__free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void unwind_rules__free(struct unwind_rules *r)
{
	if (!r)
		return;
	free(r->rules);
	free(r->slots);
	free(r);
}

int unwind_rules__intern(struct unwind_rules *r,
			 const struct zp_unwind_rule *rule)
{
	struct zp_unwind_rule *nr;
	size_t i, ncap;

	if (rule->cfa_type > ZP_CFA_END || rule->rbp_type > ZP_RBP_UNDEF)
		return -EINVAL;
	for (i = rule_hash(rule) & r->mask; r->slots[i];
	     i = (i + 1) & r->mask) {
		if (rule_eq(&r->rules[r->slots[i] - 1], rule))
			return (int)(r->slots[i] - 1);
	}
	if (r->n == r->max)
		return -ENOSPC;
	if (r->n == r->cap) {
		ncap = r->cap * 2 > r->max ? r->max : r->cap * 2;
		nr = realloc(r->rules, ncap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		r->rules = nr;
		r->cap = ncap;
	}
	/* copy field by field: the pad stays zero whatever the caller had */
	r->rules[r->n] = (struct zp_unwind_rule){
		.cfa_type = rule->cfa_type,
		.rbp_type = rule->rbp_type,
		.cfa_off = rule->cfa_off,
		.rbp_off = rule->rbp_off,
	};
	r->slots[i] = (uint32_t)(r->n + 1);
	return (int)r->n++;
}

size_t unwind_rules__count(const struct unwind_rules *r)
{
	return r->n;
}

const struct zp_unwind_rule *unwind_rules__array(const struct unwind_rules *r)
{
	return r->rules;
}

const struct zp_unwind_rule *unwind_rules__get(const struct unwind_rules *r,
					       unsigned id)
{
	return id < r->n ? &r->rules[id] : NULL;
}
