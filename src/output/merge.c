// SPDX-License-Identifier: BSD-2-Clause
/*
 * Profile merging with a label filter (see merge.h). Each src table gets a
 * translation array to dst ids, filled lazily as matching samples reach an
 * entry, so a window filtered down to one container copies only that
 * container's strings, frames and label sets. The filter is resolved once
 * against src: comm to a src string id, container and pod to a verdict per
 * src label set, so the per-sample test is a few integer compares.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"

struct merger {
	struct profile *dst;
	const struct profile *src;
	/* src id -> dst id; 0: not copied yet (string 0 is always 0) */
	uint32_t *strs, *maps, *funcs, *locs, *sets;
	uint32_t *stack;
	size_t cap_stack;
};

static int dst_err(const struct merger *m)
{
	return m->dst->err ? m->dst->err : -ENOMEM;
}

static int map_str(struct merger *m, uint32_t i, uint32_t *out)
{
	if (i >= m->src->nstrings)
		return -EINVAL;
	if (i && !m->strs[i]) {
		m->strs[i] = profile__string(m->dst, m->src->strings[i]);
		if (m->dst->err)
			return m->dst->err;
	}
	*out = m->strs[i];
	return 0;
}

static int map_mapping(struct merger *m, uint32_t id, uint32_t *out)
{
	struct pf_mapping r;
	int err;

	if (!id) {
		*out = 0;
		return 0;
	}
	if (id > m->src->nmappings)
		return -EINVAL;
	if (!m->maps[id - 1]) {
		r = m->src->mappings[id - 1];
		err = map_str(m, r.filename, &r.filename);
		if (!err)
			err = map_str(m, r.build_id, &r.build_id);
		if (err)
			return err;
		m->maps[id - 1] = profile__intern_mapping(m->dst, &r);
		if (!m->maps[id - 1])
			return dst_err(m);
	}
	*out = m->maps[id - 1];
	return 0;
}

static int map_function(struct merger *m, uint32_t id, uint32_t *out)
{
	struct pf_function r;
	int err;

	if (!id) {
		*out = 0;
		return 0;
	}
	if (id > m->src->nfunctions)
		return -EINVAL;
	if (!m->funcs[id - 1]) {
		r = m->src->functions[id - 1];
		err = map_str(m, r.name, &r.name);
		if (!err)
			err = map_str(m, r.system_name, &r.system_name);
		if (!err)
			err = map_str(m, r.filename, &r.filename);
		if (err)
			return err;
		m->funcs[id - 1] = profile__intern_function(m->dst, &r);
		if (!m->funcs[id - 1])
			return dst_err(m);
	}
	*out = m->funcs[id - 1];
	return 0;
}

static int map_location(struct merger *m, uint32_t id, uint32_t *out)
{
	const struct pf_location *l;
	uint32_t map, fn;
	int err;

	if (!id || id > m->src->nlocations)
		return -EINVAL;
	if (!m->locs[id - 1]) {
		l = &m->src->locations[id - 1];
		if (l->kind > PF_FRAME_PYTHON)
			return -EINVAL;
		err = map_mapping(m, l->mapping_id, &map);
		if (!err)
			err = map_function(m, l->function_id, &fn);
		if (err)
			return err;
		m->locs[id - 1] = profile__location(m->dst, map, l->address, fn,
						    l->line, l->kind);
		if (!m->locs[id - 1])
			return dst_err(m);
	}
	*out = m->locs[id - 1];
	return 0;
}

/* A src label set checked against src's pair array before it is read. */
static const struct pf_labelset *src_set(const struct profile *p, uint32_t id)
{
	const struct pf_labelset *ls;

	if (!id || id > p->nlabelsets)
		return NULL;
	ls = &p->labelsets[id - 1];
	if (ls->first > p->nlabel_kv || ls->n > PF_LABELSET_MAX ||
	    ls->n > (p->nlabel_kv - ls->first) / 2)
		return NULL;
	return ls;
}

static int map_labelset(struct merger *m, uint32_t id, uint32_t *out)
{
	uint32_t kv[2 * PF_LABELSET_MAX], i;
	const struct pf_labelset *ls;
	int err;

	if (!id) {
		*out = 0;
		return 0;
	}
	ls = src_set(m->src, id);
	if (!ls)
		return -EINVAL;
	if (!m->sets[id - 1]) {
		for (i = 0; i < 2 * ls->n; i++) {
			err =
			    map_str(m, m->src->label_kv[ls->first + i], &kv[i]);
			if (err)
				return err;
		}
		/* 0 for a hand-made set without values: then no labels */
		m->sets[id - 1] = profile__labelset_ids(m->dst, kv, ls->n);
		if (m->dst->err)
			return m->dst->err;
	}
	*out = m->sets[id - 1];
	return 0;
}

static bool str_set(const char *s)
{
	return s && *s;
}

/*
 * Verdict per src label set (index 0: samples without one) on the label
 * part of the filter.
 */
static int label_verdicts(const struct profile *src,
			  const struct merge_filter *f, bool **out)
{
	bool want_c = str_set(f->container_id), want_p = str_set(f->pod_uid);
	bool *ok;
	uint32_t i;

	ok = calloc((size_t)src->nlabelsets + 1, sizeof(*ok));
	if (!ok)
		return -ENOMEM;
	ok[0] = !want_c && !want_p;
	for (i = 1; i <= src->nlabelsets; i++) {
		if (!src_set(src, i)) {
			free(ok);
			return -EINVAL;
		}
		ok[i] = (!want_c ||
			 !strcmp(profile__label(src, i, PF_LABEL_CONTAINER_ID),
				 f->container_id)) &&
			(!want_p ||
			 !strcmp(profile__label(src, i, PF_LABEL_POD_UID),
				 f->pod_uid));
	}
	*out = ok;
	return 0;
}

static int64_t rescale(int64_t count, int64_t from, int64_t to)
{
	__int128 v;

	if (!from || !to || from == to)
		return count;
	v = ((__int128)count * from + to / 2) / to;
	if (v < 1)
		return 1;
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t v;

	if (__builtin_add_overflow(a, b, &v))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return v;
}

/* dst's [time, time + duration) grows to cover src's; time 0 is unset. */
static void merge_span(struct profile *dst, const struct profile *src)
{
	int64_t start, end, send;

	if (!src->time_ns)
		return;
	send =
	    sat_add(src->time_ns, src->duration_ns > 0 ? src->duration_ns : 0);
	if (!dst->time_ns) {
		dst->time_ns = src->time_ns;
		dst->duration_ns = send - src->time_ns;
		return;
	}
	start = dst->time_ns < src->time_ns ? dst->time_ns : src->time_ns;
	end =
	    sat_add(dst->time_ns, dst->duration_ns > 0 ? dst->duration_ns : 0);
	if (send > end)
		end = send;
	dst->time_ns = start;
	dst->duration_ns = end - start;
}

static int merge_samples(struct merger *m, const struct merge_filter *f,
			 const bool *set_ok, uint32_t comm)
{
	const struct profile *src = m->src;
	const struct pf_sample *s;
	struct pf_sample d;
	size_t i;
	uint32_t k;
	int err;

	for (i = 0; i < src->nsamples; i++) {
		s = &src->samples[i];
		if (s->labelset > src->nlabelsets)
			return -EINVAL;
		if ((f->pid && s->pid != f->pid) || (comm && s->comm != comm) ||
		    !set_ok[s->labelset] ||
		    (f->keep && !f->keep(src, s, f->keep_ctx)))
			continue;
		if (profile__check_sample(src, s))
			return -EINVAL;
		if (s->nlocs > m->cap_stack) {
			free(m->stack);
			m->stack = malloc((size_t)s->nlocs * sizeof(*m->stack));
			if (!m->stack)
				return -ENOMEM;
			m->cap_stack = s->nlocs;
		}
		for (k = 0; k < s->nlocs; k++) {
			err =
			    map_location(m, src->sample_locs[s->first_loc + k],
					 &m->stack[k]);
			if (err)
				return err;
		}
		memset(&d, 0, sizeof(d));
		d.pid = s->pid;
		d.tid = s->tid;
		d.count = rescale(s->count, src->period_ns, m->dst->period_ns);
		err = map_str(m, s->comm, &d.comm);
		if (!err)
			err = map_str(m, s->thread_name, &d.thread_name);
		if (!err)
			err = map_labelset(m, s->labelset, &d.labelset);
		if (!err)
			err =
			    profile__sum_sample(m->dst, m->stack, s->nlocs, &d);
		if (err)
			return err;
	}
	return 0;
}

int profile__merge(struct profile *dst, const struct profile *src,
		   const struct merge_filter *f)
{
	static const struct merge_filter any;
	struct merger m = { .dst = dst, .src = src };
	bool *set_ok = NULL;
	uint32_t comm = 0;
	int err;

	if (!dst || !src || dst == src || src->err || !src->nstrings)
		return -EINVAL;
	if (dst->err)
		return dst->err;
	if (!f)
		f = &any;
	if (!dst->period_ns)
		dst->period_ns = src->period_ns;
	merge_span(dst, src);
	if (str_set(f->comm)) {
		comm = profile__find_string(src, f->comm);
		if (!comm)
			return 0; /* no sample of src can match */
	}
	err = label_verdicts(src, f, &set_ok);
	if (err)
		return err;
	m.strs = calloc(src->nstrings, sizeof(*m.strs));
	m.maps = calloc((size_t)src->nmappings + 1, sizeof(*m.maps));
	m.funcs = calloc((size_t)src->nfunctions + 1, sizeof(*m.funcs));
	m.locs = calloc((size_t)src->nlocations + 1, sizeof(*m.locs));
	m.sets = calloc((size_t)src->nlabelsets + 1, sizeof(*m.sets));
	if (!m.strs || !m.maps || !m.funcs || !m.locs || !m.sets)
		err = -ENOMEM;
	else
		err = merge_samples(&m, f, set_ok, comm);
	free(m.stack);
	free(m.sets);
	free(m.locs);
	free(m.funcs);
	free(m.maps);
	free(m.strs);
	free(set_ok);
	return err;
}
