// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the pprof encoder (src/output/pprof.c). A small protobuf
 * reader below decodes the encoder's output independently of it, knowing
 * profile.proto's field numbers on its own, and rejects any field it does
 * not expect; the tests then check the string table, ids, values, labels
 * and period, and that pprof_write's gzip stream inflates back to exactly
 * the message pprof_encode produces. Also covers format selection (format.c).
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output.h"
#include "profile.h"

/* ---- a minimal protobuf reader, just enough for profile.proto ---- */

struct rd {
	const uint8_t *p;
	const uint8_t *end;
};

static uint64_t rd_varint(struct rd *r)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	for (;;) {
		assert_true(r->p < r->end);
		assert_true(shift < 64);
		v |= (uint64_t)(*r->p & 0x7f) << shift;
		if (!(*r->p++ & 0x80))
			return v;
		shift += 7;
	}
}

/* Reads a key; for wire type 2 also the body, returned in *sub. */
static int rd_field(struct rd *r, unsigned int *field, uint64_t *val,
		    struct rd *sub)
{
	uint64_t key, n;

	if (r->p == r->end)
		return 0;
	key = rd_varint(r);
	*field = (unsigned int)(key >> 3);
	switch (key & 7) {
	case 0:
		*val = rd_varint(r);
		sub->p = sub->end = NULL;
		break;
	case 2:
		n = rd_varint(r);
		assert_true(n <= (uint64_t)(r->end - r->p));
		sub->p = r->p;
		sub->end = r->p + n;
		r->p += n;
		*val = n;
		break;
	default:
		fail_msg("unexpected wire type %u", (unsigned int)(key & 7));
	}
	return 1;
}

static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	arr = realloc(arr, *cap * elem);
	assert_non_null(arr);
	return arr;
}

#define MAXN 64

struct d_value_type {
	uint64_t type, unit;
};

struct d_label {
	uint64_t key, str;
	int64_t num;
};

struct d_sample {
	uint64_t *locs;
	size_t nlocs, cap_locs;
	int64_t values[4];
	size_t nvalues;
	struct d_label labels[16];
	size_t nlabels;
};

struct d_mapping {
	uint64_t id, start, limit, offset, filename, build_id, has_functions;
};

struct d_location {
	uint64_t id, mapping_id, address;
	uint64_t function_id;
	int64_t line;
	size_t nlines;
};

struct d_function {
	uint64_t id, name, system_name, filename;
	int64_t start_line;
};

struct d_profile {
	char **strings;
	size_t nstrings;
	struct d_value_type sample_types[4];
	size_t nsample_types;
	struct d_sample *samples;
	size_t nsamples, cap_samples;
	struct d_mapping mappings[MAXN];
	size_t nmappings;
	struct d_location *locations;
	size_t nlocations, cap_locations;
	struct d_function functions[MAXN];
	size_t nfunctions;
	int64_t time_nanos, duration_nanos, period, default_sample_type;
	struct d_value_type period_type;
	int has_period_type;
};

static void dec_value_type(struct rd r, struct d_value_type *vt)
{
	unsigned int f;
	uint64_t v;
	struct rd sub;

	memset(vt, 0, sizeof(*vt));
	while (rd_field(&r, &f, &v, &sub)) {
		if (f == 1 && !sub.p)
			vt->type = v;
		else if (f == 2 && !sub.p)
			vt->unit = v;
		else
			fail_msg("ValueType: field %u", f);
	}
}

static void dec_label(struct rd r, struct d_label *l)
{
	unsigned int f;
	uint64_t v;
	struct rd sub;

	memset(l, 0, sizeof(*l));
	while (rd_field(&r, &f, &v, &sub)) {
		assert_null(sub.p);
		if (f == 1)
			l->key = v;
		else if (f == 2)
			l->str = v;
		else if (f == 3)
			l->num = (int64_t)v;
		else
			fail_msg("Label: field %u", f);
	}
}

static void dec_sample(struct rd r, struct d_sample *s)
{
	unsigned int f;
	uint64_t v;
	struct rd sub;

	memset(s, 0, sizeof(*s));
	while (rd_field(&r, &f, &v, &sub)) {
		if (f == 1 && sub.p) { /* packed location ids */
			while (sub.p < sub.end) {
				s->locs = grow(s->locs, &s->cap_locs, s->nlocs,
					       sizeof(*s->locs));
				s->locs[s->nlocs++] = rd_varint(&sub);
			}
		} else if (f == 1) {
			s->locs = grow(s->locs, &s->cap_locs, s->nlocs,
				       sizeof(*s->locs));
			s->locs[s->nlocs++] = v;
		} else if (f == 2 && sub.p) {
			while (sub.p < sub.end) {
				assert_true(s->nvalues < 4);
				s->values[s->nvalues++] =
				    (int64_t)rd_varint(&sub);
			}
		} else if (f == 3 && sub.p) {
			assert_true(s->nlabels < 16);
			dec_label(sub, &s->labels[s->nlabels++]);
		} else {
			fail_msg("Sample: field %u", f);
		}
	}
}

static void dec_mapping(struct rd r, struct d_mapping *m)
{
	unsigned int f;
	uint64_t v;
	struct rd sub;

	memset(m, 0, sizeof(*m));
	while (rd_field(&r, &f, &v, &sub)) {
		assert_null(sub.p);
		switch (f) {
		case 1:
			m->id = v;
			break;
		case 2:
			m->start = v;
			break;
		case 3:
			m->limit = v;
			break;
		case 4:
			m->offset = v;
			break;
		case 5:
			m->filename = v;
			break;
		case 6:
			m->build_id = v;
			break;
		case 7:
			m->has_functions = v;
			break;
		default:
			fail_msg("Mapping: field %u", f);
		}
	}
}

static void dec_location(struct rd r, struct d_location *l)
{
	unsigned int f, lf;
	uint64_t v, lv;
	struct rd sub, lsub;

	memset(l, 0, sizeof(*l));
	while (rd_field(&r, &f, &v, &sub)) {
		if (f == 1 && !sub.p) {
			l->id = v;
		} else if (f == 2 && !sub.p) {
			l->mapping_id = v;
		} else if (f == 3 && !sub.p) {
			l->address = v;
		} else if (f == 4 && sub.p) {
			l->nlines++;
			while (rd_field(&sub, &lf, &lv, &lsub)) {
				assert_null(lsub.p);
				if (lf == 1)
					l->function_id = lv;
				else if (lf == 2)
					l->line = (int64_t)lv;
				else
					fail_msg("Line: field %u", lf);
			}
		} else {
			fail_msg("Location: field %u", f);
		}
	}
}

static void dec_function(struct rd r, struct d_function *fn)
{
	unsigned int f;
	uint64_t v;
	struct rd sub;

	memset(fn, 0, sizeof(*fn));
	while (rd_field(&r, &f, &v, &sub)) {
		assert_null(sub.p);
		switch (f) {
		case 1:
			fn->id = v;
			break;
		case 2:
			fn->name = v;
			break;
		case 3:
			fn->system_name = v;
			break;
		case 4:
			fn->filename = v;
			break;
		case 5:
			fn->start_line = (int64_t)v;
			break;
		default:
			fail_msg("Function: field %u", f);
		}
	}
}

static void decode(const uint8_t *buf, size_t len, struct d_profile *d)
{
	struct rd r = { buf, buf + len }, sub;
	size_t cap_strings = 0;
	unsigned int f;
	uint64_t v;

	memset(d, 0, sizeof(*d));
	while (rd_field(&r, &f, &v, &sub)) {
		switch (f) {
		case 1:
			assert_non_null(sub.p);
			assert_true(d->nsample_types < 4);
			dec_value_type(sub,
				       &d->sample_types[d->nsample_types++]);
			break;
		case 2:
			assert_non_null(sub.p);
			d->samples = grow(d->samples, &d->cap_samples,
					  d->nsamples, sizeof(*d->samples));
			dec_sample(sub, &d->samples[d->nsamples++]);
			break;
		case 3:
			assert_non_null(sub.p);
			assert_true(d->nmappings < MAXN);
			dec_mapping(sub, &d->mappings[d->nmappings++]);
			break;
		case 4:
			assert_non_null(sub.p);
			d->locations =
			    grow(d->locations, &d->cap_locations, d->nlocations,
				 sizeof(*d->locations));
			dec_location(sub, &d->locations[d->nlocations++]);
			break;
		case 5:
			assert_non_null(sub.p);
			assert_true(d->nfunctions < MAXN);
			dec_function(sub, &d->functions[d->nfunctions++]);
			break;
		case 6:
			assert_non_null(sub.p);
			d->strings = grow(d->strings, &cap_strings, d->nstrings,
					  sizeof(*d->strings));
			d->strings[d->nstrings] =
			    strndup((const char *)sub.p, v);
			assert_non_null(d->strings[d->nstrings]);
			d->nstrings++;
			break;
		case 9:
			d->time_nanos = (int64_t)v;
			break;
		case 10:
			d->duration_nanos = (int64_t)v;
			break;
		case 11:
			assert_non_null(sub.p);
			dec_value_type(sub, &d->period_type);
			d->has_period_type = 1;
			break;
		case 12:
			d->period = (int64_t)v;
			break;
		case 14:
			d->default_sample_type = (int64_t)v;
			break;
		default:
			fail_msg("Profile: unexpected field %u", f);
		}
	}
}

static void d_free(struct d_profile *d)
{
	size_t i;

	for (i = 0; i < d->nstrings; i++)
		free(d->strings[i]);
	for (i = 0; i < d->nsamples; i++)
		free(d->samples[i].locs);
	free(d->strings);
	free(d->samples);
	free(d->locations);
}

static const char *dstr(const struct d_profile *d, uint64_t i)
{
	assert_true(i < d->nstrings);
	return d->strings[i];
}

/* Label value by key name; *num set for numeric labels. */
static const struct d_label *dlabel(const struct d_profile *d,
				    const struct d_sample *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nlabels; i++) {
		if (!strcmp(dstr(d, s->labels[i].key), key))
			return &s->labels[i];
	}
	return NULL;
}

/* ---- fixtures ---- */

struct fixture {
	struct profile *p;
	uint32_t kmap, amap, fk, fmain, fwork, fpy;
	uint32_t lk, lmain, lwork, lraw, lpy;
};

/*
 * Two samples: app's main -> work -> syscall (kernel), count 3, and a
 * Python sample on another thread with a raw (unsymbolized) frame.
 */
static struct profile *build(struct fixture *fx)
{
	struct profile *p = profile__new();
	uint32_t stack[4];

	assert_non_null(p);
	fx->p = p;
	p->period_ns = 10000000;
	p->duration_ns = 5000000000LL;
	p->time_ns = 1700000000123456789LL;
	fx->kmap =
	    profile__mapping(p, 0xffffffff81000000ULL, 0xffffffff83000000ULL, 0,
			     "[kernel.kallsyms]", NULL);
	fx->amap = profile__mapping(p, 0x555555554000ULL, 0x555555560000ULL,
				    0x1000, "/usr/bin/app",
				    "0123456789abcdef0123456789abcdef01234567");
	fx->fk =
	    profile__function(p, "do_syscall_64", "do_syscall_64", NULL, 0);
	fx->fmain = profile__function(p, "main", "main", "/src/app.c", 10);
	fx->fwork = profile__function(p, "ns::work(int)", "_ZN2ns4workEi",
				      "/src/app.c", 40);
	fx->fpy = profile__function(p, "Worker.run", "run", "/app/w.py", 7);
	fx->lk = profile__location(p, fx->kmap, 0xffffffff81001234ULL, fx->fk,
				   0, PF_FRAME_KERNEL);
	fx->lmain = profile__location(p, fx->amap, 0x555555555100ULL, fx->fmain,
				      12, PF_FRAME_NATIVE);
	fx->lwork = profile__location(p, fx->amap, 0x555555555200ULL, fx->fwork,
				      44, PF_FRAME_NATIVE);
	fx->lraw = profile__location(p, fx->amap, 0x555555555300ULL, 0, 0,
				     PF_FRAME_NATIVE);
	fx->lpy = profile__location(p, 0, 0, fx->fpy, 9, PF_FRAME_PYTHON);

	stack[0] = fx->lk;
	stack[1] = fx->lwork;
	stack[2] = fx->lmain;
	assert_int_equal(profile__add_sample(p, stack, 3, 3, 4242, 4243, "app",
					     "app-worker"),
			 0);
	stack[0] = fx->lraw;
	stack[1] = fx->lpy;
	assert_int_equal(
	    profile__add_sample(p, stack, 2, 1, 77, 77, "python3", NULL), 0);
	assert_int_equal(profile__status(p), 0);
	return p;
}

static void encode_decode(const struct profile *p, struct d_profile *d)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_int_equal(pprof_encode(p, &buf, &len), 0);
	assert_non_null(buf);
	assert_true(len > 0);
	decode(buf, len, d);
	free(buf);
}

/* Every string appears once: the extras reuse or extend the table. */
static void assert_unique_strings(const struct d_profile *d)
{
	size_t i, j;

	for (i = 0; i < d->nstrings; i++)
		for (j = i + 1; j < d->nstrings; j++)
			assert_string_not_equal(d->strings[i], d->strings[j]);
}

static void test_encode_fields(void **state)
{
	struct fixture fx;
	struct profile *p = build(&fx);
	struct d_profile d;
	const struct d_sample *s;
	const struct d_label *l;
	const struct d_mapping *m;
	const struct d_location *loc;
	const struct d_function *fn;
	size_t i;

	(void)state;
	encode_decode(p, &d);

	/* String table: index 0 is "", the profile's strings keep indices. */
	assert_true(d.nstrings >= p->nstrings);
	assert_string_equal(d.strings[0], "");
	for (i = 0; i < p->nstrings; i++)
		assert_string_equal(d.strings[i], p->strings[i]);
	assert_unique_strings(&d);

	assert_int_equal(d.nsample_types, 2);
	assert_string_equal(dstr(&d, d.sample_types[0].type), "samples");
	assert_string_equal(dstr(&d, d.sample_types[0].unit), "count");
	assert_string_equal(dstr(&d, d.sample_types[1].type), "cpu");
	assert_string_equal(dstr(&d, d.sample_types[1].unit), "nanoseconds");
	assert_true(d.has_period_type);
	assert_string_equal(dstr(&d, d.period_type.type), "cpu");
	assert_string_equal(dstr(&d, d.period_type.unit), "nanoseconds");
	assert_int_equal(d.period, 10000000);
	assert_int_equal(d.duration_nanos, 5000000000LL);
	assert_int_equal(d.time_nanos, 1700000000123456789LL);
	assert_string_equal(dstr(&d, (uint64_t)d.default_sample_type), "cpu");

	/* Mappings. */
	assert_int_equal(d.nmappings, 2);
	m = &d.mappings[0];
	assert_int_equal(m->id, 1);
	assert_true(m->start == 0xffffffff81000000ULL);
	assert_true(m->limit == 0xffffffff83000000ULL);
	assert_int_equal(m->offset, 0);
	assert_string_equal(dstr(&d, m->filename), "[kernel.kallsyms]");
	assert_int_equal(m->build_id, 0);
	assert_int_equal(m->has_functions, 1);
	m = &d.mappings[1];
	assert_int_equal(m->id, 2);
	assert_true(m->start == 0x555555554000ULL);
	assert_true(m->limit == 0x555555560000ULL);
	assert_int_equal(m->offset, 0x1000);
	assert_string_equal(dstr(&d, m->filename), "/usr/bin/app");
	assert_string_equal(dstr(&d, m->build_id),
			    "0123456789abcdef0123456789abcdef01234567");
	assert_int_equal(m->has_functions, 1);

	/* Functions. */
	assert_int_equal(d.nfunctions, 4);
	for (i = 0; i < d.nfunctions; i++)
		assert_int_equal(d.functions[i].id, i + 1);
	fn = &d.functions[fx.fwork - 1];
	assert_string_equal(dstr(&d, fn->name), "ns::work(int)");
	assert_string_equal(dstr(&d, fn->system_name), "_ZN2ns4workEi");
	assert_string_equal(dstr(&d, fn->filename), "/src/app.c");
	assert_int_equal(fn->start_line, 40);
	fn = &d.functions[fx.fk - 1];
	assert_string_equal(dstr(&d, fn->name), "do_syscall_64");
	assert_int_equal(fn->filename, 0);
	assert_int_equal(fn->start_line, 0);

	/* Locations. */
	assert_int_equal(d.nlocations, 5);
	for (i = 0; i < d.nlocations; i++)
		assert_int_equal(d.locations[i].id, i + 1);
	loc = &d.locations[fx.lk - 1];
	assert_int_equal(loc->mapping_id, fx.kmap);
	assert_true(loc->address == 0xffffffff81001234ULL);
	assert_int_equal(loc->nlines, 1);
	assert_int_equal(loc->function_id, fx.fk);
	loc = &d.locations[fx.lwork - 1];
	assert_int_equal(loc->mapping_id, fx.amap);
	assert_int_equal(loc->function_id, fx.fwork);
	assert_int_equal(loc->line, 44);
	loc = &d.locations[fx.lraw - 1];
	assert_int_equal(loc->nlines, 0);
	assert_true(loc->address == 0x555555555300ULL);
	loc = &d.locations[fx.lpy - 1];
	assert_int_equal(loc->mapping_id, 0);
	assert_int_equal(loc->function_id, fx.fpy);
	assert_int_equal(loc->line, 9);

	/* Samples: leaf first, values, labels. */
	assert_int_equal(d.nsamples, 2);
	s = &d.samples[0];
	assert_int_equal(s->nlocs, 3);
	assert_int_equal(s->locs[0], fx.lk);
	assert_int_equal(s->locs[1], fx.lwork);
	assert_int_equal(s->locs[2], fx.lmain);
	assert_int_equal(s->nvalues, 2);
	assert_int_equal(s->values[0], 3);
	assert_int_equal(s->values[1], 30000000);
	assert_int_equal(s->nlabels, 4);
	l = dlabel(&d, s, "pid");
	assert_non_null(l);
	assert_int_equal(l->num, 4242);
	assert_int_equal(l->str, 0);
	l = dlabel(&d, s, "tid");
	assert_non_null(l);
	assert_int_equal(l->num, 4243);
	l = dlabel(&d, s, "comm");
	assert_non_null(l);
	assert_string_equal(dstr(&d, l->str), "app");
	l = dlabel(&d, s, "thread_name");
	assert_non_null(l);
	assert_string_equal(dstr(&d, l->str), "app-worker");

	s = &d.samples[1];
	assert_int_equal(s->nlocs, 2);
	assert_int_equal(s->locs[0], fx.lraw);
	assert_int_equal(s->locs[1], fx.lpy);
	assert_int_equal(s->values[0], 1);
	assert_int_equal(s->values[1], 10000000);
	assert_int_equal(dlabel(&d, s, "pid")->num, 77);
	assert_string_equal(dstr(&d, dlabel(&d, s, "comm")->str), "python3");
	/* No thread name: no empty label. */
	assert_null(dlabel(&d, s, "thread_name"));
	assert_int_equal(s->nlabels, 3);

	d_free(&d);
	profile__free(p);
}

/* Builder-level duplicates become one pprof entry with one id. */
static void test_dedup(void **state)
{
	struct profile *p = profile__new();
	struct d_profile d;
	uint32_t m1, m2, f1, f2, l1, l2, locs[2];

	(void)state;
	assert_non_null(p);
	m1 = profile__mapping(p, 0x1000, 0x2000, 0, "/lib/a.so", "ab");
	m2 = profile__mapping(p, 0x1000, 0x2000, 0, "/lib/a.so", "ab");
	f1 = profile__function(p, "f", "f", "/a.c", 1);
	f2 = profile__function(p, "f", "f", "/a.c", 1);
	l1 = profile__location(p, m1, 0x1010, f1, 2, PF_FRAME_NATIVE);
	l2 = profile__location(p, m2, 0x1010, f2, 2, PF_FRAME_NATIVE);
	assert_int_equal(m1, m2);
	assert_int_equal(f1, f2);
	assert_int_equal(l1, l2);
	locs[0] = l1;
	locs[1] = l2;
	assert_int_equal(profile__add_sample(p, locs, 2, 1, 1, 1, "a", "a"), 0);
	encode_decode(p, &d);
	assert_int_equal(d.nmappings, 1);
	assert_int_equal(d.nfunctions, 1);
	assert_int_equal(d.nlocations, 1);
	assert_int_equal(d.samples[0].nlocs, 2);
	assert_int_equal(d.samples[0].locs[0], 1);
	assert_int_equal(d.samples[0].locs[1], 1);
	/* "", "/lib/a.so", "ab", "f", "/a.c", "a" + 8 encoder strings. */
	assert_int_equal(d.nstrings, 6 + 8);
	assert_unique_strings(&d);
	assert_string_equal(dstr(&d, dlabel(&d, &d.samples[0], "comm")->str),
			    "a");
	assert_int_equal(dlabel(&d, &d.samples[0], "comm")->str,
			 dlabel(&d, &d.samples[0], "thread_name")->str);
	d_free(&d);
	profile__free(p);
}

/* Strings the encoder needs that the profile already has are reused. */
static void test_reuses_strings(void **state)
{
	struct profile *p = profile__new();
	struct d_profile d;
	uint32_t cpu, pid, comm;

	(void)state;
	assert_non_null(p);
	cpu = profile__string(p, "cpu");
	pid = profile__string(p, "pid");
	comm = profile__string(p, "comm");
	assert_int_equal(profile__add_sample(p, NULL, 0, 2, 9, 9, "comm", NULL),
			 0);
	p->period_ns = 1000;
	encode_decode(p, &d);
	assert_unique_strings(&d);
	/* "" + 3 of the profile's + 5 remaining encoder strings. */
	assert_int_equal(d.nstrings, 4 + 5);
	assert_int_equal(d.sample_types[1].type, cpu);
	assert_int_equal(d.period_type.type, cpu);
	assert_int_equal(d.samples[0].labels[0].key, pid);
	assert_int_equal(dlabel(&d, &d.samples[0], "comm")->key, comm);
	assert_int_equal(dlabel(&d, &d.samples[0], "comm")->str, comm);
	assert_int_equal(d.samples[0].nlocs, 0);
	assert_int_equal(d.samples[0].values[1], 2000);
	d_free(&d);
	profile__free(p);
}

/*
 * pprof demangles functions whose name equals their system name, which
 * empties Python's "<module>"; such a system name is left out for Python
 * functions only, native ones keep it for pprof's demangler.
 */
static void test_python_system_name(void **state)
{
	struct profile *p = profile__new();
	struct d_profile d;
	uint32_t fpy, fpy2, fnat, locs[3];

	(void)state;
	assert_non_null(p);
	fpy = profile__function(p, "<module>", "<module>", "/m.py", 1);
	fpy2 = profile__function(p, "Cls.meth", "meth", "/m.py", 5);
	fnat = profile__function(p, "_ZN1a1bEv", "_ZN1a1bEv", NULL, 0);
	locs[0] = profile__location(p, 0, 0, fpy, 3, PF_FRAME_PYTHON);
	locs[1] = profile__location(p, 0, 0, fpy2, 6, PF_FRAME_PYTHON);
	locs[2] = profile__location(p, 0, 0x10, fnat, 0, PF_FRAME_NATIVE);
	assert_int_equal(profile__add_sample(p, locs, 3, 1, 1, 1, "py", NULL),
			 0);
	encode_decode(p, &d);
	assert_int_equal(d.nfunctions, 3);
	assert_string_equal(dstr(&d, d.functions[fpy - 1].name), "<module>");
	assert_int_equal(d.functions[fpy - 1].system_name, 0);
	assert_string_equal(dstr(&d, d.functions[fpy2 - 1].system_name),
			    "meth");
	assert_string_equal(dstr(&d, d.functions[fnat - 1].name), "_ZN1a1bEv");
	assert_string_equal(dstr(&d, d.functions[fnat - 1].system_name),
			    "_ZN1a1bEv");
	d_free(&d);
	profile__free(p);
}

static void test_empty_profile(void **state)
{
	struct profile *p = profile__new();
	struct d_profile d;

	(void)state;
	assert_non_null(p);
	encode_decode(p, &d);
	assert_int_equal(d.nsamples, 0);
	assert_int_equal(d.nmappings, 0);
	assert_int_equal(d.nsample_types, 2);
	assert_int_equal(d.nstrings, 9);
	assert_string_equal(d.strings[0], "");
	assert_int_equal(d.period, 0);
	d_free(&d);
	profile__free(p);
}

/*
 * Deep stacks and many entries: nested lengths of 1, 2 and 3 varint bytes
 * (the encoder back-fills lengths), and 10-byte addresses.
 */
static void test_large(void **state)
{
	enum { NLOC = 10000, NSAMP = 3000 };
	struct profile *p = profile__new();
	struct d_profile d;
	uint32_t *locs, m, f, i, depth;
	char name[32];

	(void)state;
	assert_non_null(p);
	locs = calloc(NLOC, sizeof(*locs));
	assert_non_null(locs);
	p->period_ns = 1;
	m = profile__mapping(p, 0xffff000000000000ULL, UINT64_MAX, 0, "[big]",
			     NULL);
	for (i = 0; i < NLOC; i++) {
		snprintf(name, sizeof(name), "fn_%u", i % 40);
		f = profile__function(p, name, NULL, NULL, 0);
		locs[i] = profile__location(p, m, 0xffff000000000000ULL + i, f,
					    i, PF_FRAME_NATIVE);
		assert_int_equal(locs[i], i + 1);
	}
	for (i = 0; i < NSAMP; i++) {
		depth = i == 0 ? NLOC : 1 + i % 60;
		assert_int_equal(profile__add_sample(p, locs + (i % 7),
						     depth - (i == 0 ? 7 : 0),
						     i + 1, i, i, "big", NULL),
				 0);
	}
	encode_decode(p, &d);
	assert_int_equal(d.nlocations, NLOC);
	assert_int_equal(d.nfunctions, 40);
	assert_int_equal(d.nsamples, NSAMP);
	assert_int_equal(d.samples[0].nlocs, NLOC - 7);
	for (i = 0; i < NLOC - 7; i++)
		assert_int_equal(d.samples[0].locs[i], i + 1);
	for (i = 1; i < NSAMP; i++) {
		assert_int_equal(d.samples[i].nlocs, 1 + i % 60);
		assert_int_equal(d.samples[i].locs[0], 1 + i % 7);
		assert_int_equal(d.samples[i].values[0], i + 1);
		assert_int_equal(d.samples[i].values[1], i + 1);
		assert_int_equal(dlabel(&d, &d.samples[i], "tid")->num, i);
	}
	assert_true(d.locations[NLOC - 1].address ==
		    0xffff000000000000ULL + NLOC - 1);
	assert_int_equal(d.locations[NLOC - 1].line, NLOC - 1);
	assert_true(d.mappings[0].limit == UINT64_MAX);
	d_free(&d);
	free(locs);
	profile__free(p);
}

static void test_gzip_roundtrip(void **state)
{
	struct fixture fx;
	struct profile *p = build(&fx);
	uint8_t *raw = NULL, *gz, *out;
	size_t rawlen = 0;
	long gzlen;
	z_stream zs = { 0 };
	FILE *f;

	(void)state;
	assert_int_equal(pprof_encode(p, &raw, &rawlen), 0);
	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(pprof_write(p, f), 0);
	gzlen = ftell(f);
	assert_true(gzlen > 18);
	rewind(f);
	gz = malloc((size_t)gzlen);
	out = malloc(rawlen + 16);
	assert_non_null(gz);
	assert_non_null(out);
	assert_int_equal(fread(gz, 1, (size_t)gzlen, f), (size_t)gzlen);
	fclose(f);
	/* RFC 1952 magic and deflate method. */
	assert_int_equal(gz[0], 0x1f);
	assert_int_equal(gz[1], 0x8b);
	assert_int_equal(gz[2], 8);

	/* 15 + 32: accept only a zlib or gzip header, and check the CRC. */
	assert_int_equal(inflateInit2(&zs, 15 + 32), Z_OK);
	zs.next_in = gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = out;
	zs.avail_out = (uInt)rawlen + 16;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, rawlen);
	assert_int_equal(zs.avail_in, 0);
	inflateEnd(&zs);
	assert_memory_equal(out, raw, rawlen);

	free(out);
	free(gz);
	free(raw);
	profile__free(p);
}

static void test_write_error(void **state)
{
	struct fixture fx;
	struct profile *p = build(&fx);
	FILE *f;

	(void)state;
	/* Every write to /dev/full fails with ENOSPC. */
	f = fopen("/dev/full", "w");
	if (!f) {
		profile__free(p);
		skip();
	}
	assert_int_equal(pprof_write(p, f), -EIO);
	fclose(f);
	profile__free(p);
}

static void test_invalid(void **state)
{
	struct fixture fx;
	struct profile *p = build(&fx);
	uint8_t *buf = (uint8_t *)"untouched";
	size_t len = 0;
	uint32_t saved;

	(void)state;
	assert_int_equal(pprof_encode(NULL, &buf, &len), -EINVAL);
	assert_int_equal(pprof_encode(p, NULL, &len), -EINVAL);
	assert_int_equal(pprof_write(p, NULL), -EINVAL);

	/* A dangling location id in a sample. */
	saved = p->sample_locs[1];
	p->sample_locs[1] = 99;
	assert_int_equal(pprof_encode(p, &buf, &len), -EINVAL);
	p->sample_locs[1] = saved;
	/* A dangling string index. */
	saved = p->functions[0].name;
	p->functions[0].name = p->nstrings;
	assert_int_equal(pprof_encode(p, &buf, &len), -EINVAL);
	p->functions[0].name = saved;
	/* A sample running past sample_locs. */
	p->samples[1].nlocs = 3;
	assert_int_equal(pprof_encode(p, &buf, &len), -EINVAL);
	p->samples[1].nlocs = 2;
	/* A failed build is never encoded. */
	p->err = -ENOMEM;
	assert_int_equal(pprof_encode(p, &buf, &len), -ENOMEM);
	assert_int_equal(pprof_write(p, stdout), -ENOMEM);
	assert_string_equal((const char *)buf, "untouched");
	p->err = 0;
	assert_int_equal(pprof_encode(p, &buf, &len), 0);
	free(buf);
	profile__free(p);
}

/*
 * A sample's label set follows pid, tid, comm and thread_name as string
 * labels in key order; label sets that point outside the profile are
 * refused like any other dangling index.
 */
static void test_labelset(void **state)
{
	static const struct pf_label l[] = {
		{ PF_LABEL_POD_UID, "pod-7" },
		{ PF_LABEL_CONTAINER_ID, "c0ffee" },
		{ PF_LABEL_QOS_CLASS, "" },
		{ PF_LABEL_EXE, "/usr/bin/app" },
	};
	struct profile *p = profile__new();
	const struct d_sample *s;
	struct d_profile d;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t set;

	(void)state;
	assert_non_null(p);
	set = profile__labelset(p, l, 4);
	assert_int_equal(
	    profile__add_sample_ls(p, NULL, 0, 1, 9, 10, "app", "w", set), 0);
	assert_int_equal(profile__add_sample(p, NULL, 0, 1, 9, 10, "app", "w"),
			 0);
	encode_decode(p, &d);
	assert_unique_strings(&d);
	s = &d.samples[0];
	assert_int_equal(s->nlabels, 7);
	assert_string_equal(dstr(&d, s->labels[0].key), "pid");
	assert_string_equal(dstr(&d, s->labels[3].key), "thread_name");
	assert_string_equal(dstr(&d, s->labels[4].key), PF_LABEL_CONTAINER_ID);
	assert_string_equal(dstr(&d, s->labels[4].str), "c0ffee");
	assert_int_equal(s->labels[4].num, 0);
	assert_string_equal(dstr(&d, s->labels[5].key), PF_LABEL_EXE);
	assert_string_equal(dstr(&d, s->labels[6].key), PF_LABEL_POD_UID);
	assert_string_equal(dstr(&d, s->labels[6].str), "pod-7");
	assert_null(dlabel(&d, s, PF_LABEL_QOS_CLASS));
	assert_int_equal(d.samples[1].nlabels, 4);
	d_free(&d);

	p->label_kv[1] = p->nstrings;
	assert_int_equal(pprof_encode(p, &buf, &len), -EINVAL);
	p->label_kv[1] = 0; /* an empty value is skipped, not an error */
	assert_int_equal(pprof_encode(p, &buf, &len), 0);
	free(buf);
	p->labelsets[0].n = 100;
	assert_int_equal(pprof_encode(p, &buf, &len), -EINVAL);
	p->labelsets[0].n = 3;
	p->samples[1].labelset = 2;
	assert_int_equal(pprof_encode(p, &buf, &len), -EINVAL);
	profile__free(p);
}

/* Format selection lives next to the encoders it picks (format.c). */
static void test_output_format(void **state)
{
	enum output_format fmt = OUTPUT_SVG;

	(void)state;
	assert_int_equal(output_format_from_path("/tmp/cpu.pb.gz", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_PPROF);
	fmt = OUTPUT_SVG;
	assert_int_equal(output_format_from_path("cpu.pprof", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_PPROF);
	fmt = OUTPUT_SVG;
	assert_int_equal(output_format_from_path("cpu.pb", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_PPROF);
	assert_int_equal(output_format_from_path("a/b.folded", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_FOLDED);
	fmt = OUTPUT_SVG;
	assert_int_equal(output_format_from_path("b.txt", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_FOLDED);
	fmt = OUTPUT_SVG;
	assert_int_equal(output_format_from_path("b.collapsed", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_FOLDED);
	assert_int_equal(output_format_from_path("flame.SVG", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_SVG);
	fmt = OUTPUT_FOLDED;
	assert_int_equal(output_format_from_path("x.gz", &fmt), -EINVAL);
	assert_int_equal(output_format_from_path("x.svg.bak", &fmt), -EINVAL);
	assert_int_equal(output_format_from_path("out.svg/cpu", &fmt), -EINVAL);
	assert_int_equal(output_format_from_path("", &fmt), -EINVAL);
	assert_int_equal(output_format_from_path(NULL, &fmt), -EINVAL);
	assert_int_equal(output_format_from_path("a.svg", NULL), -EINVAL);
	assert_int_equal(fmt, OUTPUT_FOLDED);

	assert_int_equal(output_format_from_name("pprof", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_PPROF);
	assert_int_equal(output_format_from_name("folded", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_FOLDED);
	assert_int_equal(output_format_from_name("SVG", &fmt), 0);
	assert_int_equal(fmt, OUTPUT_SVG);
	assert_int_equal(output_format_from_name("svgz", &fmt), -EINVAL);
	assert_int_equal(output_format_from_name("", &fmt), -EINVAL);
	assert_int_equal(output_format_from_name(NULL, &fmt), -EINVAL);
	assert_int_equal(fmt, OUTPUT_SVG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_fields),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_reuses_strings),
		cmocka_unit_test(test_python_system_name),
		cmocka_unit_test(test_empty_profile),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_gzip_roundtrip),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_labelset),
		cmocka_unit_test(test_output_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
