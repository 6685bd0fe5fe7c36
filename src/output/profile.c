// SPDX-License-Identifier: BSD-2-Clause
/*
 * The profile model: interning and de-duplication of strings, mappings,
 * functions and locations into 1-based id tables, the sample list, and the
 * frame labels that text encoders print. Each table has an open-addressing
 * hash index (private to this file) so that building a profile with a
 * million samples and a hundred thousand locations stays linear; the index
 * stores each entry's hash next to its id so growing never rehashes keys.
 * Label sets are interned the same way, and samples get an index too, but
 * only once someone asks to sum samples (profile__sum_sample).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

/* One slot of an index: id 0 marks an empty slot (no table uses id 0). */
struct htab_slot {
	uint32_t id;
	uint32_t hash;
};

struct htab {
	struct htab_slot *slots;
	size_t cap; /* power of two, or 0 before the first insert */
	size_t n;
};

struct profile_index {
	struct htab strings;
	struct htab mappings;
	struct htab functions;
	struct htab locations;
	struct htab labelsets;
	struct htab samples;	/* ids are sample index + 1 */
	size_t samples_indexed; /* samples[0 .. this) are in the index */
};

typedef bool (*htab_eq_fn)(const struct profile *p, uint32_t id,
			   const void *key);

#define HTAB_MIN_CAP 64

/* splitmix64's finalizer: cheap, and every input bit reaches every output. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint32_t hash_fold(uint64_t h)
{
	h = mix64(h);
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t hash_str(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a offset basis */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return hash_fold(h);
}

static uint64_t hash_step(uint64_t h, uint64_t v)
{
	return mix64(h ^ v) + 0x9e3779b97f4a7c15ULL;
}

/*
 * Slot holding the entry equal to key, or the empty slot where it belongs.
 * The table is never full (load stays under 3/4), so the probe terminates.
 */
static size_t htab_find(const struct htab *t, uint32_t hash, htab_eq_fn eq,
			const struct profile *p, const void *key)
{
	size_t mask = t->cap - 1;
	size_t i = hash & mask;

	while (t->slots[i].id) {
		if (t->slots[i].hash == hash && eq(p, t->slots[i].id, key))
			break;
		i = (i + 1) & mask;
	}
	return i;
}

/* Makes room for one more entry; slot positions change when it grows. */
static int htab_reserve(struct htab *t)
{
	struct htab_slot *slots;
	size_t cap, i, j;

	if (t->cap && (t->n + 1) * 4 <= t->cap * 3)
		return 0;
	cap = t->cap ? t->cap * 2 : HTAB_MIN_CAP;
	if (cap < t->cap || cap > SIZE_MAX / sizeof(*slots))
		return -ENOMEM;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		if (!t->slots[i].id)
			continue;
		j = t->slots[i].hash & (cap - 1);
		while (slots[j].id)
			j = (j + 1) & (cap - 1);
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

static void htab_set(struct htab *t, size_t slot, uint32_t id, uint32_t hash)
{
	t->slots[slot].id = id;
	t->slots[slot].hash = hash;
	t->n++;
}

/* Grows *arr so it holds at least need elements; doubles to stay linear. */
static int grow_array(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *tmp;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / elem)
		return -ENOMEM;
	tmp = realloc(*arr, ncap * elem);
	if (!tmp)
		return -ENOMEM;
	*arr = tmp;
	*cap = ncap;
	return 0;
}

/* Ids are uint32_t and 1-based in every table. */
static bool table_full(size_t n)
{
	return n >= UINT32_MAX - 1;
}

static uint32_t fail(struct profile *p, int err)
{
	if (!p->err)
		p->err = err;
	return 0;
}

struct profile *profile__new(void)
{
	struct profile *p;

	p = calloc(1, sizeof(*p));
	if (!p)
		goto err;
	p->idx = calloc(1, sizeof(*p->idx));
	if (!p->idx)
		goto err_free;
	if (grow_array((void **)&p->strings, &p->cap_strings, 1,
		       sizeof(*p->strings)))
		goto err_free;
	/* Heap-allocated like every other entry so profile__free is uniform. */
	p->strings[0] = strdup("");
	if (!p->strings[0])
		goto err_free;
	p->nstrings = 1;
	return p;

err_free:
	profile__free(p);
err:
	errno = ENOMEM;
	return NULL;
}

void profile__free(struct profile *p)
{
	uint32_t i;

	if (!p)
		return;
	for (i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p->mappings);
	free(p->functions);
	free(p->locations);
	free(p->sample_locs);
	free(p->samples);
	free(p->labelsets);
	free(p->label_kv);
	if (p->idx) {
		free(p->idx->strings.slots);
		free(p->idx->mappings.slots);
		free(p->idx->functions.slots);
		free(p->idx->locations.slots);
		free(p->idx->labelsets.slots);
		free(p->idx->samples.slots);
		free(p->idx);
	}
	free(p);
}

int profile__status(const struct profile *p)
{
	return p ? p->err : -EINVAL;
}

/* A string key: not NUL-terminated, as the pprof reader has it. */
struct str_key {
	const char *s;
	size_t n;
};

static bool string_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct str_key *k = key;
	const char *s = p->strings[id];

	return strncmp(s, k->s, k->n) == 0 && s[k->n] == '\0';
}

uint32_t profile__string_n(struct profile *p, const char *s, size_t n)
{
	struct str_key k;
	struct htab *t;
	uint32_t hash;
	size_t slot;
	char *dup;

	if (!p || p->err || !s)
		return 0;
	k.s = s;
	k.n = strnlen(s, n);
	if (!k.n)
		return 0;
	t = &p->idx->strings;
	if (htab_reserve(t))
		return fail(p, -ENOMEM);
	hash = hash_str(s, k.n);
	slot = htab_find(t, hash, string_eq, p, &k);
	if (t->slots[slot].id)
		return t->slots[slot].id;

	if (table_full(p->nstrings))
		return fail(p, -ENOMEM);
	if (grow_array((void **)&p->strings, &p->cap_strings, p->nstrings + 1,
		       sizeof(*p->strings)))
		return fail(p, -ENOMEM);
	dup = strndup(s, k.n);
	if (!dup)
		return fail(p, -ENOMEM);
	p->strings[p->nstrings] = dup;
	htab_set(t, slot, p->nstrings, hash);
	return p->nstrings++;
}

uint32_t profile__string(struct profile *p, const char *s)
{
	return s ? profile__string_n(p, s, strlen(s)) : 0;
}

uint32_t profile__find_string(const struct profile *p, const char *s)
{
	const struct htab *t;
	struct str_key k;
	size_t slot;

	if (!p || !s || !*s || !p->idx)
		return 0;
	t = &p->idx->strings;
	if (!t->cap)
		return 0;
	k.s = s;
	k.n = strlen(s);
	slot = htab_find(t, hash_str(s, k.n), string_eq, p, &k);
	return t->slots[slot].id;
}

/*
 * The find-or-append step shared by mappings, functions and locations: KEY
 * (SIZE bytes) is looked up in T under HASH and, when new, copied to the end
 * of *ARR (growing it) and given the next 1-based id.
 */
static uint32_t intern_record(struct profile *p, struct htab *t, uint32_t hash,
			      htab_eq_fn eq, const void *key, void **arr,
			      uint32_t *n, size_t *cap, size_t size)
{
	size_t slot = htab_find(t, hash, eq, p, key);

	if (t->slots[slot].id)
		return t->slots[slot].id;
	if (table_full(*n))
		return fail(p, -ENOMEM);
	if (grow_array(arr, cap, (size_t)*n + 1, size))
		return fail(p, -ENOMEM);
	memcpy((char *)*arr + (size_t)*n * size, key, size);
	htab_set(t, slot, ++*n, hash);
	return *n;
}

static bool mapping_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct pf_mapping *a = &p->mappings[id - 1];
	const struct pf_mapping *b = key;

	return a->start == b->start && a->limit == b->limit &&
	       a->offset == b->offset && a->filename == b->filename &&
	       a->build_id == b->build_id;
}

uint32_t profile__intern_mapping(struct profile *p, const struct pf_mapping *m)
{
	struct htab *t;
	uint64_t h;
	uint32_t hash;

	if (!p || p->err)
		return 0;
	if (!m || m->filename >= p->nstrings || m->build_id >= p->nstrings)
		return fail(p, -EINVAL);
	t = &p->idx->mappings;
	if (htab_reserve(t))
		return fail(p, -ENOMEM);
	h = hash_step(0, m->start);
	h = hash_step(h, m->limit);
	h = hash_step(h, m->offset);
	h = hash_step(h, ((uint64_t)m->filename << 32) | m->build_id);
	hash = hash_fold(h);
	return intern_record(p, t, hash, mapping_eq, m, (void **)&p->mappings,
			     &p->nmappings, &p->cap_mappings,
			     sizeof(*p->mappings));
}

uint32_t profile__mapping(struct profile *p, uint64_t start, uint64_t limit,
			  uint64_t offset, const char *filename,
			  const char *build_id)
{
	struct pf_mapping m = {
		.start = start,
		.limit = limit,
		.offset = offset,
	};

	if (!p || p->err)
		return 0;
	m.filename = profile__string(p, filename);
	m.build_id = profile__string(p, build_id);
	if (p->err)
		return 0;
	return profile__intern_mapping(p, &m);
}

static bool function_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct pf_function *a = &p->functions[id - 1];
	const struct pf_function *b = key;

	return a->name == b->name && a->system_name == b->system_name &&
	       a->filename == b->filename && a->start_line == b->start_line;
}

uint32_t profile__intern_function(struct profile *p,
				  const struct pf_function *f)
{
	struct htab *t;
	uint64_t h;
	uint32_t hash;

	if (!p || p->err)
		return 0;
	if (!f || f->name >= p->nstrings || f->system_name >= p->nstrings ||
	    f->filename >= p->nstrings)
		return fail(p, -EINVAL);
	t = &p->idx->functions;
	if (htab_reserve(t))
		return fail(p, -ENOMEM);
	h = hash_step(0, ((uint64_t)f->name << 32) | f->system_name);
	h = hash_step(h, f->filename);
	h = hash_step(h, (uint64_t)f->start_line);
	hash = hash_fold(h);
	return intern_record(p, t, hash, function_eq, f, (void **)&p->functions,
			     &p->nfunctions, &p->cap_functions,
			     sizeof(*p->functions));
}

uint32_t profile__function(struct profile *p, const char *name,
			   const char *system_name, const char *filename,
			   int64_t start_line)
{
	struct pf_function f = { .start_line = start_line };

	if (!p || p->err)
		return 0;
	f.name = profile__string(p, name);
	f.system_name = profile__string(p, system_name);
	f.filename = profile__string(p, filename);
	if (p->err)
		return 0;
	return profile__intern_function(p, &f);
}

static bool location_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct pf_location *a = &p->locations[id - 1];
	const struct pf_location *b = key;

	return a->mapping_id == b->mapping_id &&
	       a->function_id == b->function_id && a->address == b->address &&
	       a->line == b->line && a->kind == b->kind;
}

uint32_t profile__location(struct profile *p, uint32_t mapping_id,
			   uint64_t address, uint32_t function_id, int64_t line,
			   enum pf_frame_kind kind)
{
	struct pf_location l = {
		.mapping_id = mapping_id,
		.function_id = function_id,
		.address = address,
		.line = line,
		.kind = (uint8_t)kind,
	};
	struct htab *t;
	uint64_t h;
	uint32_t hash;

	if (!p || p->err)
		return 0;
	/*
	 * An id the profile never handed out is a builder bug; failing the
	 * whole profile surfaces it at profile__status() instead of emitting
	 * a file that pprof would reject.
	 */
	if (mapping_id > p->nmappings || function_id > p->nfunctions ||
	    (unsigned int)kind > PF_FRAME_PYTHON)
		return fail(p, -EINVAL);
	t = &p->idx->locations;
	if (htab_reserve(t))
		return fail(p, -ENOMEM);
	h = hash_step(0, ((uint64_t)mapping_id << 32) | function_id);
	h = hash_step(h, address);
	h = hash_step(h, (uint64_t)line);
	h = hash_step(h, l.kind);
	hash = hash_fold(h);
	return intern_record(p, t, hash, location_eq, &l,
			     (void **)&p->locations, &p->nlocations,
			     &p->cap_locations, sizeof(*p->locations));
}

/* Keys a sample carries in its own fields, never in a label set. */
static bool reserved_key(const char *k)
{
	return !strcmp(k, "pid") || !strcmp(k, "tid") || !strcmp(k, "comm") ||
	       !strcmp(k, "thread_name");
}

struct labelset_key {
	const uint32_t *kv;
	uint32_t n;
};

static bool labelset_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct pf_labelset *a = &p->labelsets[id - 1];
	const struct labelset_key *k = key;

	return a->n == k->n && !memcmp(p->label_kv + a->first, k->kv,
				       2 * (size_t)k->n * sizeof(*k->kv));
}

/*
 * Pairs ordered by key, then value, as strings rather than ids: the same
 * set reads the same in every profile, whatever order strings arrived in.
 */
static int pair_cmp(const struct profile *p, const uint32_t *a,
		    const uint32_t *b)
{
	int c = strcmp(p->strings[a[0]], p->strings[b[0]]);

	return c ? c : strcmp(p->strings[a[1]], p->strings[b[1]]);
}

uint32_t profile__labelset_ids(struct profile *p, const uint32_t *kv,
			       uint32_t n)
{
	uint32_t pairs[2 * PF_LABELSET_MAX], tmp[2];
	struct labelset_key key;
	struct pf_labelset *ls;
	struct htab *t;
	uint32_t i, j, m = 0, hash;
	uint64_t h = 0;
	size_t slot;

	if (!p || p->err)
		return 0;
	if ((n && !kv) || n > PF_LABELSET_MAX)
		return fail(p, -EINVAL);
	/* Insertion sort: a set holds a handful of pairs. */
	for (i = 0; i < n; i++) {
		tmp[0] = kv[2 * i];
		tmp[1] = kv[2 * i + 1];
		if (!tmp[0] || tmp[0] >= p->nstrings || tmp[1] >= p->nstrings ||
		    reserved_key(p->strings[tmp[0]]))
			return fail(p, -EINVAL);
		if (!tmp[1])
			continue;
		for (j = m; j > 0 && pair_cmp(p, &pairs[2 * (j - 1)], tmp) > 0;
		     j--) {
			pairs[2 * j] = pairs[2 * (j - 1)];
			pairs[2 * j + 1] = pairs[2 * (j - 1) + 1];
		}
		pairs[2 * j] = tmp[0];
		pairs[2 * j + 1] = tmp[1];
		m++;
	}
	/* Equal pairs are adjacent now; a set says each one once. */
	for (i = j = 0; i < m; i++) {
		if (j && pairs[2 * (j - 1)] == pairs[2 * i] &&
		    pairs[2 * (j - 1) + 1] == pairs[2 * i + 1])
			continue;
		pairs[2 * j] = pairs[2 * i];
		pairs[2 * j + 1] = pairs[2 * i + 1];
		j++;
	}
	m = j;
	if (!m)
		return 0;

	t = &p->idx->labelsets;
	if (htab_reserve(t))
		return fail(p, -ENOMEM);
	for (i = 0; i < m; i++)
		h = hash_step(h,
			      (uint64_t)pairs[2 * i] << 32 | pairs[2 * i + 1]);
	hash = hash_fold(h);
	key.kv = pairs;
	key.n = m;
	slot = htab_find(t, hash, labelset_eq, p, &key);
	if (t->slots[slot].id)
		return t->slots[slot].id;
	if (table_full(p->nlabelsets) || p->nlabel_kv > SIZE_MAX - 2 * m ||
	    grow_array((void **)&p->label_kv, &p->cap_label_kv,
		       p->nlabel_kv + 2 * m, sizeof(*p->label_kv)) ||
	    grow_array((void **)&p->labelsets, &p->cap_labelsets,
		       (size_t)p->nlabelsets + 1, sizeof(*p->labelsets)))
		return fail(p, -ENOMEM);
	memcpy(p->label_kv + p->nlabel_kv, pairs, 2 * m * sizeof(*pairs));
	ls = &p->labelsets[p->nlabelsets];
	ls->first = p->nlabel_kv;
	ls->n = m;
	p->nlabel_kv += 2 * m;
	htab_set(t, slot, ++p->nlabelsets, hash);
	return p->nlabelsets;
}

uint32_t profile__labelset(struct profile *p, const struct pf_label *kv,
			   uint32_t n)
{
	uint32_t ids[2 * PF_LABELSET_MAX];
	uint32_t i, m = 0;

	if (!p || p->err)
		return 0;
	if ((n && !kv) || n > PF_LABELSET_MAX)
		return fail(p, -EINVAL);
	for (i = 0; i < n; i++) {
		if (!kv[i].key || !*kv[i].key || reserved_key(kv[i].key))
			return fail(p, -EINVAL);
		/* An unknown value is no label; keep its key out of the table.
		 */
		if (!kv[i].value || !*kv[i].value)
			continue;
		ids[2 * m] = profile__string(p, kv[i].key);
		ids[2 * m + 1] = profile__string(p, kv[i].value);
		m++;
	}
	if (p->err)
		return 0;
	return profile__labelset_ids(p, ids, m);
}

const char *profile__label(const struct profile *p, uint32_t ls,
			   const char *key)
{
	const struct pf_labelset *set;
	const uint32_t *kv;
	uint32_t i;

	if (!p || !ls || ls > p->nlabelsets || !key)
		return "";
	set = &p->labelsets[ls - 1];
	/* The struct is public: a hand-edited set must not send us astray. */
	if (set->first > p->nlabel_kv ||
	    set->n > (p->nlabel_kv - set->first) / 2)
		return "";
	kv = p->label_kv + set->first;
	for (i = 0; i < set->n; i++) {
		if (!strcmp(profile__str(p, kv[2 * i]), key))
			return profile__str(p, kv[2 * i + 1]);
	}
	return "";
}

/*
 * Checks what every add-sample variant gets from its caller. Invalid
 * arguments return -EINVAL without poisoning the profile (the caller sees
 * the return value); allocation failures are sticky like everywhere.
 */
static int sample_args(const struct profile *p, const uint32_t *locs,
		       uint32_t n, int64_t count, uint32_t labelset)
{
	uint32_t i;

	if (p->err)
		return p->err;
	if ((n && !locs) || count <= 0 || labelset > p->nlabelsets)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!locs[i] || locs[i] > p->nlocations)
			return -EINVAL;
	}
	return 0;
}

/* Appends a checked sample; s->first_loc and s->nlocs are replaced. */
static int append_sample(struct profile *p, const uint32_t *locs, uint32_t n,
			 const struct pf_sample *s)
{
	struct pf_sample *d;

	if (p->nsample_locs > SIZE_MAX - n ||
	    grow_array((void **)&p->sample_locs, &p->cap_sample_locs,
		       p->nsample_locs + n, sizeof(*p->sample_locs)) ||
	    grow_array((void **)&p->samples, &p->cap_samples, p->nsamples + 1,
		       sizeof(*p->samples))) {
		fail(p, -ENOMEM);
		return p->err;
	}
	if (n)
		memcpy(p->sample_locs + p->nsample_locs, locs,
		       n * sizeof(*locs));
	d = &p->samples[p->nsamples++];
	*d = *s;
	d->first_loc = p->nsample_locs;
	d->nlocs = n;
	p->nsample_locs += n;
	return 0;
}

/*
 * Samples are not merged here: the aggregator already keys them by stack and
 * thread, and the encoders merge whatever their format folds together.
 */
int profile__add_sample_ls(struct profile *p, const uint32_t *locs, uint32_t n,
			   int64_t count, uint32_t pid, uint32_t tid,
			   const char *comm, const char *thread_name,
			   uint32_t labelset)
{
	struct pf_sample s = {
		.pid = pid,
		.tid = tid,
		.labelset = labelset,
		.count = count,
	};
	int err;

	if (!p)
		return -EINVAL;
	err = sample_args(p, locs, n, count, labelset);
	if (err)
		return err;
	s.comm = profile__string(p, comm);
	s.thread_name = profile__string(p, thread_name);
	if (p->err)
		return p->err;
	return append_sample(p, locs, n, &s);
}

int profile__add_sample(struct profile *p, const uint32_t *locs, uint32_t n,
			int64_t count, uint32_t pid, uint32_t tid,
			const char *comm, const char *thread_name)
{
	return profile__add_sample_ls(p, locs, n, count, pid, tid, comm,
				      thread_name, 0);
}

static int sample_ids_args(const struct profile *p, const uint32_t *locs,
			   uint32_t n, const struct pf_sample *s)
{
	if (!s)
		return -EINVAL;
	if (s->comm >= p->nstrings || s->thread_name >= p->nstrings)
		return p->err ? p->err : -EINVAL;
	return sample_args(p, locs, n, s->count, s->labelset);
}

int profile__add_sample_ids(struct profile *p, const uint32_t *locs, uint32_t n,
			    const struct pf_sample *s)
{
	int err;

	if (!p)
		return -EINVAL;
	err = sample_ids_args(p, locs, n, s);
	if (err)
		return err;
	return append_sample(p, locs, n, s);
}

/* What makes two samples one: the stack and every label, not the count. */
struct sample_key {
	const uint32_t *locs;
	uint32_t n;
	const struct pf_sample *s;
};

static uint32_t sample_hash(const struct sample_key *k)
{
	uint64_t h;
	uint32_t i;

	h = hash_step(0, (uint64_t)k->s->pid << 32 | k->s->tid);
	h = hash_step(h, (uint64_t)k->s->comm << 32 | k->s->thread_name);
	h = hash_step(h, (uint64_t)k->s->labelset << 32 | k->n);
	for (i = 0; i + 1 < k->n; i += 2)
		h = hash_step(h, (uint64_t)k->locs[i] << 32 | k->locs[i + 1]);
	if (i < k->n)
		h = hash_step(h, k->locs[i]);
	return hash_fold(h);
}

static bool sample_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct pf_sample *a = &p->samples[id - 1];
	const struct sample_key *k = key;

	return a->nlocs == k->n && a->pid == k->s->pid && a->tid == k->s->tid &&
	       a->comm == k->s->comm && a->thread_name == k->s->thread_name &&
	       a->labelset == k->s->labelset &&
	       (!k->n || !memcmp(p->sample_locs + a->first_loc, k->locs,
				 k->n * sizeof(*k->locs)));
}

/*
 * Brings the sample index up to date with samples appended by other paths.
 * Ids are uint32_t; past four billion samples the rest stay unindexed and
 * simply are not summed.
 */
static int index_samples(struct profile *p)
{
	struct profile_index *x = p->idx;
	struct sample_key k;
	uint32_t hash;
	size_t slot;

	while (x->samples_indexed < p->nsamples &&
	       !table_full(x->samples_indexed)) {
		k.s = &p->samples[x->samples_indexed];
		k.locs = p->sample_locs + k.s->first_loc;
		k.n = k.s->nlocs;
		if (htab_reserve(&x->samples))
			return -ENOMEM;
		hash = sample_hash(&k);
		slot = htab_find(&x->samples, hash, sample_eq, p, &k);
		if (!x->samples.slots[slot].id)
			htab_set(&x->samples, slot,
				 (uint32_t)(x->samples_indexed + 1), hash);
		x->samples_indexed++;
	}
	return 0;
}

int profile__sum_sample(struct profile *p, const uint32_t *locs, uint32_t n,
			const struct pf_sample *s)
{
	struct profile_index *x;
	struct pf_sample *d;
	struct sample_key k = { .locs = locs, .n = n, .s = s };
	uint32_t hash;
	size_t slot;
	int err;

	if (!p)
		return -EINVAL;
	err = sample_ids_args(p, locs, n, s);
	if (err)
		return err;
	x = p->idx;
	if (index_samples(p) || htab_reserve(&x->samples)) {
		fail(p, -ENOMEM);
		return p->err;
	}
	if (x->samples_indexed < p->nsamples || table_full(p->nsamples))
		return append_sample(p, locs, n, s);
	hash = sample_hash(&k);
	slot = htab_find(&x->samples, hash, sample_eq, p, &k);
	if (x->samples.slots[slot].id) {
		d = &p->samples[x->samples.slots[slot].id - 1];
		/* Saturate: a sum past INT64_MAX samples means nothing. */
		if (__builtin_add_overflow(d->count, s->count, &d->count))
			d->count = INT64_MAX;
		return 0;
	}
	err = append_sample(p, locs, n, s);
	if (err)
		return err;
	htab_set(&x->samples, slot, (uint32_t)p->nsamples, hash);
	x->samples_indexed = p->nsamples;
	return 0;
}

/* Bounded label writer: always leaves room for the terminating NUL. */
struct label_buf {
	char *buf;
	size_t size;
	size_t len;
	bool truncated;
};

/*
 * Appends n bytes, rewriting the characters the folded format and line-based
 * readers cannot carry: ';' separates frames and control characters would
 * split or corrupt a line.
 */
static void label_put(struct label_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (b->len + 1 >= b->size) {
			b->truncated = true;
			return;
		}
		if (c == ';')
			c = ':';
		else if (c < 0x20 || c == 0x7f)
			c = '?';
		b->buf[b->len++] = (char)c;
	}
}

static void label_puts(struct label_buf *b, const char *s)
{
	label_put(b, s, strlen(s));
}

static void label_printf_hex(struct label_buf *b, uint64_t v)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "0x%" PRIx64, v);
	label_puts(b, tmp);
}

/* A cut must not leave half a UTF-8 character for the SVG/text readers. */
static void label_trim_utf8(struct label_buf *b)
{
	size_t start = b->len, want;
	unsigned char lead;

	while (start > 0 && b->len - start < 3 &&
	       ((unsigned char)b->buf[start - 1] & 0xc0) == 0x80)
		start--;
	if (start == 0)
		return;
	lead = (unsigned char)b->buf[start - 1];
	if (lead < 0xc0)
		return;
	want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	if (b->len - (start - 1) < want)
		b->len = start - 1;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* "object+0xoffset" for a frame nobody could name. */
static void label_unsymbolized(struct label_buf *b, const struct profile *p,
			       const struct pf_location *loc)
{
	const struct pf_mapping *m = NULL;
	const char *obj = "";
	uint64_t off = loc->address;

	if (loc->mapping_id && loc->mapping_id <= p->nmappings) {
		m = &p->mappings[loc->mapping_id - 1];
		obj = base_name(profile__str(p, m->filename));
		/* File-relative, so the number works with addr2line/objdump. */
		if (loc->address >= m->start && loc->address < m->limit)
			off = loc->address - m->start + m->offset;
	}
	label_puts(b, *obj ? obj : "[unknown]");
	label_puts(b, "+");
	label_printf_hex(b, off);
}

size_t profile__frame_label(const struct profile *p, uint32_t loc_id, char *buf,
			    size_t size)
{
	struct label_buf b = { .buf = buf, .size = size };
	const struct pf_location *loc;
	const struct pf_function *fn = NULL;
	const char *name = "", *file;
	char num[24];

	if (!buf || !size)
		return 0;
	if (!p || !loc_id || loc_id > p->nlocations) {
		label_puts(&b, "[unknown]");
		goto out;
	}
	loc = &p->locations[loc_id - 1];
	if (loc->function_id && loc->function_id <= p->nfunctions) {
		fn = &p->functions[loc->function_id - 1];
		name = profile__str(p, fn->name);
		if (!*name)
			name = profile__str(p, fn->system_name);
	}
	if (!*name) {
		label_unsymbolized(&b, p, loc);
		if (loc->kind == PF_FRAME_KERNEL)
			label_puts(&b, "_[k]");
		goto out;
	}

	label_puts(&b, name);
	switch (loc->kind) {
	case PF_FRAME_KERNEL:
		label_puts(&b, "_[k]");
		break;
	case PF_FRAME_PYTHON:
		file = profile__str(p, fn->filename);
		if (!*file && loc->line <= 0)
			break;
		label_puts(&b, " (");
		label_puts(&b, *file ? file : "?");
		if (loc->line > 0) {
			snprintf(num, sizeof(num), ":%" PRId64, loc->line);
			label_puts(&b, num);
		}
		label_puts(&b, ")");
		break;
	default:
		break;
	}
out:
	if (b.truncated)
		label_trim_utf8(&b);
	buf[b.len] = '\0';
	return b.len;
}

int profile__check_sample(const struct profile *p, const struct pf_sample *s)
{
	uint32_t k;

	if (s->first_loc > p->nsample_locs ||
	    s->nlocs > p->nsample_locs - s->first_loc ||
	    s->comm >= p->nstrings || s->thread_name >= p->nstrings ||
	    s->labelset > p->nlabelsets)
		return -EINVAL;
	for (k = 0; k < s->nlocs; k++) {
		uint32_t id = p->sample_locs[s->first_loc + k];

		if (!id || id > p->nlocations)
			return -EINVAL;
	}
	return 0;
}
