// SPDX-License-Identifier: BSD-2-Clause
/*
 * pprof reader (see pprof_read.h for what it keeps and drops). A hand-written
 * protobuf decoder, the mirror of pprof.c's encoder: the message is walked
 * five times at the top level, which is cheap because each walk only reads
 * keys and lengths of the fields it does not want. Walk one collects the
 * string table (pointers into the message, no copies) and the counts; walks
 * two and three read mappings and functions, walk four locations (which
 * refer to both), walk five samples (which refer to locations).
 * profile.proto allows any field order, and pprof itself writes samples
 * before the tables they point into, so a single pass would need to buffer
 * everything anyway.
 *
 * Ids in a file are arbitrary non-zero uint64 values; writers almost always
 * number them 1..n in order, so a table is looked up by index when it is
 * dense and by binary search over a sorted copy otherwise. Strings are
 * interned into the profile only when something refers to them.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pprof_read.h"

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

/* profile.proto field numbers this reader uses (see pprof.c for all). */
enum {
	F_PROFILE_SAMPLE = 2,
	F_PROFILE_MAPPING = 3,
	F_PROFILE_LOCATION = 4,
	F_PROFILE_FUNCTION = 5,
	F_PROFILE_STRING_TABLE = 6,
	F_PROFILE_TIME_NANOS = 9,
	F_PROFILE_DURATION_NANOS = 10,
	F_PROFILE_PERIOD = 12,
	F_SAMPLE_LOCATION_ID = 1,
	F_SAMPLE_VALUE = 2,
	F_SAMPLE_LABEL = 3,
	F_LABEL_KEY = 1,
	F_LABEL_STR = 2,
	F_LABEL_NUM = 3,
	F_MAPPING_ID = 1,
	F_MAPPING_START = 2,
	F_MAPPING_LIMIT = 3,
	F_MAPPING_OFFSET = 4,
	F_MAPPING_FILENAME = 5,
	F_MAPPING_BUILD_ID = 6,
	F_LOCATION_ID = 1,
	F_LOCATION_MAPPING_ID = 2,
	F_LOCATION_ADDRESS = 3,
	F_LOCATION_LINE = 4,
	F_LINE_FUNCTION_ID = 1,
	F_LINE_LINE = 2,
	F_FUNCTION_ID = 1,
	F_FUNCTION_NAME = 2,
	F_FUNCTION_SYSTEM_NAME = 3,
	F_FUNCTION_FILENAME = 4,
	F_FUNCTION_START_LINE = 5,
};

/* A window of the message still to be read. */
struct pb {
	const uint8_t *p;
	const uint8_t *end;
};

struct pb_field {
	uint32_t num;
	uint32_t wire;
	uint64_t v;	/* the value of a varint or fixed-size field */
	struct pb body; /* the bytes of a length-delimited field */
};

/* Base-128, at most 10 bytes, and the 10th may only carry bit 63. */
static int pb_varint_slow(struct pb *r, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int shift;
	uint8_t c;

	for (shift = 0; shift < 64; shift += 7) {
		if (r->p == r->end)
			return -EBADMSG;
		c = *r->p++;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			if (shift == 63 && c > 1)
				return -EBADMSG;
			*v = x;
			return 0;
		}
	}
	return -EBADMSG;
}

/* Most varints in a profile (ids, small indices) are one byte. */
static inline int pb_varint(struct pb *r, uint64_t *v)
{
	if (r->p < r->end && !(*r->p & 0x80)) {
		*v = *r->p++;
		return 0;
	}
	return pb_varint_slow(r, v);
}

static uint64_t load_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* 1 with the next field in *f, 0 at the end of r, or -EBADMSG. */
static int pb_next(struct pb *r, struct pb_field *f)
{
	uint64_t key, n;

	if (r->p == r->end)
		return 0;
	if (pb_varint(r, &key))
		return -EBADMSG;
	/* Field numbers are 1 .. 2^29 - 1. */
	if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
		return -EBADMSG;
	f->num = (uint32_t)(key >> 3);
	f->wire = (uint32_t)(key & 7);
	switch (f->wire) {
	case WIRE_VARINT:
		return pb_varint(r, &f->v) ? -EBADMSG : 1;
	case WIRE_I64:
	case WIRE_I32:
		n = f->wire == WIRE_I64 ? 8 : 4;
		if ((size_t)(r->end - r->p) < n)
			return -EBADMSG;
		f->v = load_le(r->p, (unsigned int)n);
		r->p += n;
		return 1;
	case WIRE_LEN:
		if (pb_varint(r, &n) || n > (uint64_t)(r->end - r->p))
			return -EBADMSG;
		f->body.p = r->p;
		f->body.end = r->p + n;
		r->p += n;
		return 1;
	default:
		/* Groups (3, 4) are long deprecated; profile.proto has none. */
		return -EBADMSG;
	}
}

/* A known scalar field must come as a varint. */
static int want_varint(const struct pb_field *f, uint64_t *v)
{
	if (f->wire != WIRE_VARINT)
		return -EBADMSG;
	*v = f->v;
	return 0;
}

/* One entry of an id table: the file's id and what it became. */
struct id_ent {
	uint64_t id;
	uint32_t val;	/* profile id, or first index into xlocs */
	uint32_t extra; /* locations: how many xlocs */
};

struct id_table {
	struct id_ent *e;
	size_t n;
	bool dense; /* e[i].id == i + 1 for all i */
};

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = ((const struct id_ent *)a)->id;
	uint64_t y = ((const struct id_ent *)b)->id;

	return x < y ? -1 : x > y;
}

/* Makes t searchable; a repeated id is malformed (which one is meant?). */
static int id_table_seal(struct id_table *t)
{
	size_t i;

	t->dense = true;
	for (i = 0; i < t->n && t->dense; i++)
		t->dense = t->e[i].id == i + 1;
	if (t->dense)
		return 0;
	qsort(t->e, t->n, sizeof(*t->e), cmp_id);
	for (i = 1; i < t->n; i++) {
		if (t->e[i].id == t->e[i - 1].id)
			return -EBADMSG;
	}
	return 0;
}

static const struct id_ent *id_table_find(const struct id_table *t, uint64_t id)
{
	size_t lo = 0, hi = t->n, mid;

	if (t->dense)
		return id && id <= t->n ? &t->e[id - 1] : NULL;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->e[mid].id == id)
			return &t->e[mid];
		if (t->e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* What a string of the file means to the sample labels. */
enum {
	SK_OTHER,
	SK_PID,
	SK_TID,
	SK_COMM,
	SK_THREAD_NAME,
};

struct rstr {
	const char *s;
	size_t n; /* up to the first NUL, as the model stores it */
};

struct reader {
	struct profile *p;
	struct pb msg;
	struct rstr *str;
	uint32_t *smap; /* file string -> profile id, UINT32_MAX: not yet */
	uint8_t *skind; /* SK_* per file string */
	size_t nstr;
	size_t nsamples; /* counts from walk one */
	size_t nmappings, nfunctions, nlocations;
	struct id_table maps, funcs, locs;
	uint32_t *xlocs; /* expanded locations, see read_location() */
	size_t nxlocs, cap_xlocs;
	uint32_t *stack;
	size_t cap_stack;
	size_t frames_left; /* budget for all sample stacks together */
};

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
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

/* Profile id of file string idx, interning it on first use. */
static int sid(struct reader *r, uint64_t idx, uint32_t *out)
{
	uint32_t id;

	if (idx >= r->nstr)
		return -EBADMSG;
	if (r->smap[idx] == UINT32_MAX) {
		id = profile__string_n(r->p, r->str[idx].s, r->str[idx].n);
		if (r->p->err)
			return r->p->err;
		r->smap[idx] = id;
	}
	*out = r->smap[idx];
	return 0;
}

static uint8_t string_kind(const struct rstr *s)
{
	static const struct {
		const char *name;
		uint8_t kind;
	} keys[] = {
		{ "pid", SK_PID },
		{ "tid", SK_TID },
		{ "comm", SK_COMM },
		{ "thread_name", SK_THREAD_NAME },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (s->n == strlen(keys[i].name) &&
		    !memcmp(s->s, keys[i].name, s->n))
			return keys[i].kind;
	}
	return SK_OTHER;
}

/* Walk one: the string table, the scalars, and how many of each table. */
static int walk_strings(struct reader *r)
{
	struct pb it = r->msg;
	struct pb_field f;
	size_t cap = 0, i;
	uint64_t v;
	int rc;

	while ((rc = pb_next(&it, &f)) > 0) {
		switch (f.num) {
		case F_PROFILE_SAMPLE:
		case F_PROFILE_MAPPING:
		case F_PROFILE_LOCATION:
		case F_PROFILE_FUNCTION:
			if (f.wire != WIRE_LEN)
				return -EBADMSG;
			r->nsamples += f.num == F_PROFILE_SAMPLE;
			r->nmappings += f.num == F_PROFILE_MAPPING;
			r->nlocations += f.num == F_PROFILE_LOCATION;
			r->nfunctions += f.num == F_PROFILE_FUNCTION;
			break;
		case F_PROFILE_STRING_TABLE:
			if (f.wire != WIRE_LEN)
				return -EBADMSG;
			/* The model's ids are uint32_t; see table_full(). */
			if (r->nstr >= UINT32_MAX - 2)
				return -EFBIG;
			if (grow((void **)&r->str, &cap, r->nstr + 1,
				 sizeof(*r->str)))
				return -ENOMEM;
			r->str[r->nstr].s = (const char *)f.body.p;
			r->str[r->nstr].n = strnlen(
			    r->str[r->nstr].s, (size_t)(f.body.end - f.body.p));
			r->nstr++;
			break;
		case F_PROFILE_TIME_NANOS:
			if (want_varint(&f, &v))
				return -EBADMSG;
			r->p->time_ns = (int64_t)v;
			break;
		case F_PROFILE_DURATION_NANOS:
			if (want_varint(&f, &v))
				return -EBADMSG;
			r->p->duration_ns = (int64_t)v < 0 ? 0 : (int64_t)v;
			break;
		case F_PROFILE_PERIOD:
			if (want_varint(&f, &v))
				return -EBADMSG;
			r->p->period_ns = (int64_t)v < 0 ? 0 : (int64_t)v;
			break;
		default:
			break;
		}
	}
	if (rc < 0)
		return rc;
	/* profile.proto: string_table[0] must always be "". */
	if (!r->nstr || r->str[0].n)
		return -EBADMSG;
	r->smap = malloc(r->nstr * sizeof(*r->smap));
	r->skind = malloc(r->nstr);
	if (!r->smap || !r->skind)
		return -ENOMEM;
	memset(r->smap, 0xff, r->nstr * sizeof(*r->smap));
	r->smap[0] = 0;
	for (i = 0; i < r->nstr; i++)
		r->skind[i] = string_kind(&r->str[i]);
	return 0;
}

static int read_mapping(struct reader *r, struct pb body, struct id_ent *e)
{
	struct pf_mapping m = { 0 };
	uint64_t fname = 0, bid = 0, v;
	struct pb_field f;
	int rc;

	e->id = 0;
	while ((rc = pb_next(&body, &f)) > 0) {
		if (f.num > F_MAPPING_BUILD_ID)
			continue; /* has_functions & co: advice for pprof */
		if (want_varint(&f, &v))
			return -EBADMSG;
		switch (f.num) {
		case F_MAPPING_ID:
			e->id = v;
			break;
		case F_MAPPING_START:
			m.start = v;
			break;
		case F_MAPPING_LIMIT:
			m.limit = v;
			break;
		case F_MAPPING_OFFSET:
			m.offset = v;
			break;
		case F_MAPPING_FILENAME:
			fname = v;
			break;
		case F_MAPPING_BUILD_ID:
			bid = v;
			break;
		}
	}
	if (rc < 0 || !e->id)
		return -EBADMSG;
	rc = sid(r, fname, &m.filename);
	if (!rc)
		rc = sid(r, bid, &m.build_id);
	if (rc)
		return rc;
	e->val = profile__intern_mapping(r->p, &m);
	return r->p->err;
}

static int read_function(struct reader *r, struct pb body, struct id_ent *e)
{
	struct pf_function fn = { 0 };
	uint64_t name = 0, sys = 0, file = 0, v;
	struct pb_field f;
	int rc;

	e->id = 0;
	while ((rc = pb_next(&body, &f)) > 0) {
		if (f.num > F_FUNCTION_START_LINE)
			continue;
		if (want_varint(&f, &v))
			return -EBADMSG;
		switch (f.num) {
		case F_FUNCTION_ID:
			e->id = v;
			break;
		case F_FUNCTION_NAME:
			name = v;
			break;
		case F_FUNCTION_SYSTEM_NAME:
			sys = v;
			break;
		case F_FUNCTION_FILENAME:
			file = v;
			break;
		case F_FUNCTION_START_LINE:
			fn.start_line = (int64_t)v;
			break;
		}
	}
	if (rc < 0 || !e->id)
		return -EBADMSG;
	rc = sid(r, name, &fn.name);
	if (!rc)
		rc = sid(r, sys, &fn.system_name);
	if (!rc)
		rc = sid(r, file, &fn.filename);
	if (rc)
		return rc;
	e->val = profile__intern_function(r->p, &fn);
	return r->p->err;
}

/*
 * The frame kind profile.proto cannot carry, recovered from what
 * profile_build.c writes (pprof.c documents the rule where it encodes).
 */
static enum pf_frame_kind frame_kind(const struct profile *p, uint32_t map,
				     uint64_t address, uint32_t fn)
{
	static const char kernel[] = "[kernel.kallsyms]";
	const struct pf_function *f = fn ? &p->functions[fn - 1] : NULL;

	if (map &&
	    !strcmp(profile__str(p, p->mappings[map - 1].filename), kernel))
		return PF_FRAME_KERNEL;
	if (f && !strcmp(profile__str(p, f->filename), kernel))
		return PF_FRAME_KERNEL;
	if (f && !map && !address && f->name && f->system_name != f->name)
		return PF_FRAME_PYTHON;
	return PF_FRAME_NATIVE;
}

static int add_xloc(struct reader *r, uint32_t map, uint64_t address,
		    uint32_t fn, int64_t line)
{
	uint32_t id;

	id = profile__location(r->p, map, address, fn, line,
			       frame_kind(r->p, map, address, fn));
	if (!id)
		return r->p->err ? r->p->err : -EBADMSG;
	if (grow((void **)&r->xlocs, &r->cap_xlocs, r->nxlocs + 1,
		 sizeof(*r->xlocs)))
		return -ENOMEM;
	r->xlocs[r->nxlocs++] = id;
	return 0;
}

static int read_line(struct reader *r, struct pb body, uint32_t map,
		     uint64_t address)
{
	const struct id_ent *fe;
	struct pb_field f;
	uint64_t fid = 0, line = 0, v;
	uint32_t fn = 0;
	int rc;

	while ((rc = pb_next(&body, &f)) > 0) {
		if (f.num > F_LINE_LINE)
			continue; /* column */
		if (want_varint(&f, &v))
			return -EBADMSG;
		if (f.num == F_LINE_FUNCTION_ID)
			fid = v;
		else
			line = v;
	}
	if (rc < 0)
		return rc;
	if (fid) {
		fe = id_table_find(&r->funcs, fid);
		if (!fe)
			return -EBADMSG;
		fn = fe->val;
	}
	return add_xloc(r, map, address, fn, (int64_t)line);
}

/*
 * A location becomes xlocs[val .. val + extra): one model location per
 * Line, innermost inlined function first as in the file (its last Line is
 * the real caller), or a single function-less one when it has no Line.
 * The Lines are read after id, mapping and address, wherever they are.
 */
static int read_location(struct reader *r, struct pb body, struct id_ent *e)
{
	const struct id_ent *me;
	struct pb_field f;
	struct pb it = body;
	uint64_t mid = 0, address = 0, v;
	uint32_t map = 0;
	size_t first = r->nxlocs;
	int rc;

	e->id = 0;
	while ((rc = pb_next(&it, &f)) > 0) {
		if (f.num == F_LOCATION_LINE) {
			if (f.wire != WIRE_LEN)
				return -EBADMSG;
			continue;
		}
		if (f.num > F_LOCATION_LINE)
			continue; /* is_folded */
		if (want_varint(&f, &v))
			return -EBADMSG;
		if (f.num == F_LOCATION_ID)
			e->id = v;
		else if (f.num == F_LOCATION_MAPPING_ID)
			mid = v;
		else
			address = v;
	}
	if (rc < 0 || !e->id)
		return -EBADMSG;
	if (mid) {
		me = id_table_find(&r->maps, mid);
		if (!me)
			return -EBADMSG;
		map = me->val;
	}
	it = body;
	while ((rc = pb_next(&it, &f)) > 0) {
		if (f.num != F_LOCATION_LINE)
			continue;
		rc = read_line(r, f.body, map, address);
		if (rc)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (r->nxlocs == first) {
		rc = add_xloc(r, map, address, 0, 0);
		if (rc)
			return rc;
	}
	if (r->nxlocs - first > UINT32_MAX || first > UINT32_MAX)
		return -EFBIG;
	e->val = (uint32_t)first;
	e->extra = (uint32_t)(r->nxlocs - first);
	return 0;
}

/* Walks two to four: the tables, each sealed once complete. */
static int walk_tables(struct reader *r, uint32_t want)
{
	struct id_table *t;
	struct pb it = r->msg;
	struct pb_field f;
	size_t n;
	int rc;

	if (want == F_PROFILE_LOCATION) {
		t = &r->locs;
		n = r->nlocations;
	} else if (want == F_PROFILE_MAPPING) {
		t = &r->maps;
		n = r->nmappings;
	} else {
		t = &r->funcs;
		n = r->nfunctions;
	}
	if (n) {
		t->e = calloc(n, sizeof(*t->e));
		if (!t->e)
			return -ENOMEM;
	}
	while ((rc = pb_next(&it, &f)) > 0) {
		if (f.num != want)
			continue;
		if (t->n >= n)
			return -EBADMSG; /* cannot happen: walk one counted */
		if (want == F_PROFILE_LOCATION)
			rc = read_location(r, f.body, &t->e[t->n]);
		else if (want == F_PROFILE_MAPPING)
			rc = read_mapping(r, f.body, &t->e[t->n]);
		else
			rc = read_function(r, f.body, &t->e[t->n]);
		if (rc)
			return rc;
		t->n++;
	}
	if (rc < 0)
		return rc;
	return id_table_seal(t);
}

static int push_location(struct reader *r, uint64_t id, uint32_t *n)
{
	const struct id_ent *e = id_table_find(&r->locs, id);

	if (!e)
		return -EBADMSG;
	if (e->extra > PPROF_READ_MAX_DEPTH - *n || e->extra > r->frames_left)
		return -EFBIG;
	if (grow((void **)&r->stack, &r->cap_stack, (size_t)*n + e->extra,
		 sizeof(*r->stack)))
		return -ENOMEM;
	if (e->extra == 1) /* no inlining: the common case, skip memcpy */
		r->stack[*n] = r->xlocs[e->val];
	else
		memcpy(r->stack + *n, r->xlocs + e->val,
		       e->extra * sizeof(*r->stack));
	*n += e->extra;
	r->frames_left -= e->extra;
	return 0;
}

/* Label into the sample's fields or its label set pairs (kv, *npairs). */
static int read_label(struct reader *r, struct pb body, struct pf_sample *s,
		      uint32_t *kv, uint32_t *npairs)
{
	struct pb_field f;
	uint64_t key = 0, str = 0, num = 0, v;
	uint32_t k, val;
	int rc;

	while ((rc = pb_next(&body, &f)) > 0) {
		if (f.num > F_LABEL_NUM)
			continue; /* num_unit */
		if (want_varint(&f, &v))
			return -EBADMSG;
		if (f.num == F_LABEL_KEY)
			key = v;
		else if (f.num == F_LABEL_STR)
			str = v;
		else
			num = v;
	}
	if (rc < 0)
		return rc;
	if (key >= r->nstr || str >= r->nstr)
		return -EBADMSG;
	switch (r->skind[key]) {
	case SK_PID:
	case SK_TID:
		/* A pid that is a string or out of range cannot be ours. */
		if (str || num > UINT32_MAX)
			return 0;
		if (r->skind[key] == SK_PID)
			s->pid = (uint32_t)num;
		else
			s->tid = (uint32_t)num;
		return 0;
	case SK_COMM:
		return str ? sid(r, str, &s->comm) : 0;
	case SK_THREAD_NAME:
		return str ? sid(r, str, &s->thread_name) : 0;
	}
	/* Numeric labels have no place in the model. */
	if (!key || !str)
		return 0;
	rc = sid(r, key, &k);
	if (!rc)
		rc = sid(r, str, &val);
	if (rc)
		return rc;
	if (!k || !val)
		return 0;
	if (*npairs >= PF_LABELSET_MAX)
		return -EFBIG;
	kv[2 * *npairs] = k;
	kv[2 * *npairs + 1] = val;
	(*npairs)++;
	return 0;
}

static int read_sample(struct reader *r, struct pb body)
{
	uint32_t kv[2 * PF_LABELSET_MAX], npairs = 0, n = 0;
	struct pf_sample s = { 0 };
	struct pb_field f;
	bool have_count = false;
	int rc;

	while ((rc = pb_next(&body, &f)) > 0) {
		switch (f.num) {
		case F_SAMPLE_LOCATION_ID:
		case F_SAMPLE_VALUE:
			/* Repeated scalars: packed, or one per field. */
			if (f.wire == WIRE_VARINT) {
				f.body.p = f.body.end = NULL;
			} else if (f.wire != WIRE_LEN) {
				return -EBADMSG;
			} else if (f.body.p == f.body.end) {
				break; /* packed, and empty */
			} else if (pb_varint(&f.body, &f.v)) {
				return -EBADMSG;
			}
			for (;;) {
				if (f.num == F_SAMPLE_VALUE && !have_count) {
					s.count = (int64_t)f.v;
					have_count = true;
				} else if (f.num == F_SAMPLE_LOCATION_ID) {
					rc = push_location(r, f.v, &n);
					if (rc)
						return rc;
				}
				if (f.body.p == f.body.end)
					break;
				if (pb_varint(&f.body, &f.v))
					return -EBADMSG;
			}
			break;
		case F_SAMPLE_LABEL:
			if (f.wire != WIRE_LEN)
				return -EBADMSG;
			rc = read_label(r, f.body, &s, kv, &npairs);
			if (rc)
				return rc;
			break;
		default:
			break;
		}
	}
	if (rc < 0)
		return rc;
	if (s.count <= 0)
		return 0;
	s.labelset = profile__labelset_ids(r->p, kv, npairs);
	if (r->p->err)
		return r->p->err;
	return profile__add_sample_ids(r->p, r->stack, n, &s);
}

/* Walk five. */
static int walk_samples(struct reader *r)
{
	struct pb it = r->msg;
	struct pb_field f;
	int rc;

	while ((rc = pb_next(&it, &f)) > 0) {
		if (f.num != F_PROFILE_SAMPLE)
			continue;
		rc = read_sample(r, f.body);
		if (rc)
			return rc;
	}
	return rc;
}

static int decode(struct profile *p, const uint8_t *msg, size_t len)
{
	struct reader r = {
		.p = p,
		.msg = { msg, msg + len },
	};
	int err;

	/*
	 * Each stack entry in the file takes at least one byte; inlined
	 * lines multiply that, so allow a generous but finite factor.
	 */
	r.frames_left = len > SIZE_MAX / 8 - 65536 ? SIZE_MAX : len * 8 + 65536;
	err = walk_strings(&r);
	if (!err)
		err = walk_tables(&r, F_PROFILE_MAPPING);
	if (!err)
		err = walk_tables(&r, F_PROFILE_FUNCTION);
	if (!err)
		err = walk_tables(&r, F_PROFILE_LOCATION);
	if (!err)
		err = walk_samples(&r);
	if (!err)
		err = profile__status(p);
	free(r.stack);
	free(r.xlocs);
	free(r.locs.e);
	free(r.funcs.e);
	free(r.maps.e);
	free(r.skind);
	free(r.smap);
	free(r.str);
	return err;
}

static bool is_gzip(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

/*
 * Inflates a gzip stream (one or more members, RFC 1952) into a malloc'ed
 * buffer of at most max bytes. inflate() checks each member's CRC-32 and
 * length trailer; a stream that ends early, or is followed by anything but
 * another member, is -EBADMSG.
 */
static int gunzip(const uint8_t *in, size_t len, size_t max, uint8_t **out,
		  size_t *outlen)
{
	z_stream zs = { 0 };
	uint8_t *buf = NULL, *tmp;
	size_t cap, have = 0, step, hint;
	int zret, err = 0;

	/* The trailer's ISIZE (size mod 2^32) is a hint, never trusted. */
	hint = len >= 4 ? (size_t)load_le(in + len - 4, 4) : 0;
	if (hint / 1032 > len)
		hint = 0; /* more than deflate can expand to: corrupt */
	cap = hint > 4096 ? hint : 4096;
	if (cap > max)
		cap = max;
	cap++; /* room to notice a message longer than max */
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	if (inflateInit2(&zs, 15 + 16) != Z_OK) {
		free(buf);
		return -ENOMEM;
	}
	for (;;) {
		if (have == cap) {
			if (cap > max) {
				err = -EFBIG;
				break;
			}
			cap = cap > max / 2 ? max + 1 : cap * 2;
			tmp = realloc(buf, cap);
			if (!tmp) {
				err = -ENOMEM;
				break;
			}
			buf = tmp;
		}
		/* avail_in/avail_out are uInt: feed huge buffers in steps. */
		step = len > UINT_MAX / 2 ? UINT_MAX / 2 : len;
		zs.next_in = (Bytef *)in;
		zs.avail_in = (uInt)step;
		zs.next_out = buf + have;
		zs.avail_out = (uInt)(cap - have > UINT_MAX / 2 ? UINT_MAX / 2
								: cap - have);
		zret = inflate(&zs, Z_NO_FLUSH);
		in += step - zs.avail_in;
		len -= step - zs.avail_in;
		have = (size_t)(zs.next_out - buf);
		if (zret == Z_STREAM_END) {
			if (!len)
				break;
			if (!is_gzip(in, len)) {
				err = -EBADMSG;
				break;
			}
			if (inflateReset(&zs) != Z_OK) {
				err = -EBADMSG;
				break;
			}
			continue;
		}
		if (zret == Z_MEM_ERROR) {
			err = -ENOMEM;
			break;
		}
		if (zret == Z_BUF_ERROR && zs.avail_out) {
			err = -EBADMSG; /* truncated: input ran out */
			break;
		}
		if (zret != Z_OK && zret != Z_BUF_ERROR) {
			err = -EBADMSG;
			break;
		}
	}
	inflateEnd(&zs);
	if (!err && have > max)
		err = -EFBIG;
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*outlen = have;
	return 0;
}

int pprof__read_opts(struct profile *p, const void *buf, size_t len,
		     const struct pprof_read_opts *o)
{
	size_t max = o && o->max_bytes ? o->max_bytes : PPROF_READ_MAX_DEFAULT;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	int err;

	if (!p || (!buf && len))
		return -EINVAL;
	/* Ids are renumbered on the way in; reading into a used profile
	 * would mix two files' header fields. profile__merge() combines. */
	if (p->err || p->nstrings != 1 || p->nmappings || p->nfunctions ||
	    p->nlocations || p->nsamples || p->nlabelsets)
		return -EINVAL;
	if (!is_gzip(buf, len)) {
		if (len > max)
			return -EFBIG;
		return decode(p, buf, len);
	}
	err = gunzip(buf, len, max, &raw, &rawlen);
	if (err)
		return err;
	err = decode(p, raw, rawlen);
	free(raw);
	return err;
}

int pprof__read(struct profile *p, const void *buf, size_t len)
{
	return pprof__read_opts(p, buf, len, NULL);
}
