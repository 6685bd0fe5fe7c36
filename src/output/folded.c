// SPDX-License-Identifier: BSD-2-Clause
/*
 * Folded (collapsed) stacks encoder, the text format of Brendan Gregg's
 * FlameGraph tools: one line per distinct stack, "comm;root;...;leaf COUNT",
 * identical stacks merged and lines sorted bytewise by their stack text.
 *
 * Rendering every sample's line and sorting strings would hold the whole
 * text in memory (a million stacks of kilobytes each). Instead each distinct
 * label (frame or comm) is rendered once, and samples are sorted as
 * sequences of label ids with a comparator that gives exactly the bytewise
 * order of the joined text; equal neighbours are then merged while writing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* Longer frame labels are cut (on a UTF-8 boundary) by the profile. */
#define FOLDED_LABEL_MAX 4096
#define NO_LABEL	 UINT32_MAX

struct folded {
	const struct profile *p;
	char *text; /* every label, back to back, no terminators */
	size_t text_len, text_cap;
	size_t *off; /* per label: start in text */
	uint32_t *len;
	uint32_t nlabels, cap_labels;
	uint32_t *rank;	     /* label -> distinct label id (sorted order) */
	uint32_t *uniq;	     /* distinct label id -> one label with that text */
	uint32_t *loc_label; /* location id -> distinct label id */
	uint32_t *comm_label; /* string index -> distinct label id */
};

static int add_label(struct folded *f, const char *s, size_t n)
{
	size_t ncap;
	void *tmp;

	if (n > UINT32_MAX || f->nlabels == UINT32_MAX - 1)
		return -ENOMEM;
	if (f->nlabels == f->cap_labels) {
		ncap = f->cap_labels ? (size_t)f->cap_labels * 2 : 1024;
		if (ncap > UINT32_MAX - 1)
			ncap = UINT32_MAX - 1;
		tmp = realloc(f->off, ncap * sizeof(*f->off));
		if (!tmp)
			return -ENOMEM;
		f->off = tmp;
		tmp = realloc(f->len, ncap * sizeof(*f->len));
		if (!tmp)
			return -ENOMEM;
		f->len = tmp;
		f->cap_labels = (uint32_t)ncap;
	}
	if (n > f->text_cap - f->text_len) {
		ncap = f->text_cap ? f->text_cap : 64 * 1024;
		while (ncap - f->text_len < n) {
			if (ncap > SIZE_MAX / 2)
				return -ENOMEM;
			ncap *= 2;
		}
		tmp = realloc(f->text, ncap);
		if (!tmp)
			return -ENOMEM;
		f->text = tmp;
		f->text_cap = ncap;
	}
	memcpy(f->text + f->text_len, s, n);
	f->off[f->nlabels] = f->text_len;
	f->len[f->nlabels] = (uint32_t)n;
	f->text_len += n;
	f->nlabels++;
	return 0;
}

/* The comm gets the same character rules as frame labels. */
static int add_comm_label(struct folded *f, const char *comm)
{
	char buf[FOLDED_LABEL_MAX];
	size_t n = 0;

	if (!*comm)
		comm = "[unknown]";
	for (; *comm && n < sizeof(buf); comm++) {
		unsigned char c = (unsigned char)*comm;

		if (c == ';')
			c = ':';
		else if (c < 0x20 || c == 0x7f)
			c = '?';
		buf[n++] = (char)c;
	}
	return add_label(f, buf, n);
}

static int label_text_cmp(const void *a, const void *b, void *arg)
{
	const struct folded *f = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	uint32_t lx = f->len[x], ly = f->len[y];
	int r;

	r = memcmp(f->text + f->off[x], f->text + f->off[y], lx < ly ? lx : ly);
	if (r)
		return r;
	return lx < ly ? -1 : lx > ly;
}

/*
 * Gives every label a distinct-text id by sorting: equal texts collapse to
 * one id, so comparing two stacks' elements is an integer compare until
 * the first real difference.
 */
static int dedup_labels(struct folded *f)
{
	uint32_t *order, i, id = 0;

	order = malloc((size_t)f->nlabels * sizeof(*order) + 1);
	f->rank = malloc((size_t)f->nlabels * sizeof(*f->rank) + 1);
	f->uniq = malloc((size_t)f->nlabels * sizeof(*f->uniq) + 1);
	if (!order || !f->rank || !f->uniq) {
		free(order);
		return -ENOMEM;
	}
	for (i = 0; i < f->nlabels; i++)
		order[i] = i;
	qsort_r(order, f->nlabels, sizeof(*order), label_text_cmp, f);
	for (i = 0; i < f->nlabels; i++) {
		if (i && label_text_cmp(&order[i - 1], &order[i], f))
			id++;
		f->rank[order[i]] = id;
		f->uniq[id] = order[i];
	}
	free(order);
	return 0;
}

/* Element i of a sample's stack, root-first, element 0 being the comm. */
static uint32_t stack_elem(const struct folded *f, const struct pf_sample *s,
			   uint32_t i)
{
	if (!i)
		return f->comm_label[s->comm];
	return f->loc_label[f->p->sample_locs[s->first_loc + s->nlocs - i]];
}

/*
 * Bytewise order of "e0;e1;...;en". Labels never contain ';' and distinct
 * ids have distinct texts, so at the first differing element either the
 * texts differ inside their common length, or one is a prefix of the other
 * and the byte after it (';', or end of text which sorts first) decides.
 */
static int stack_cmp(const void *a, const void *b, void *arg)
{
	const struct folded *f = arg;
	const struct pf_sample *x = &f->p->samples[*(const size_t *)a];
	const struct pf_sample *y = &f->p->samples[*(const size_t *)b];
	uint32_t nx = x->nlocs + 1, ny = y->nlocs + 1, n, i, ex, ey, lx, ly;
	const char *tx, *ty;
	int r, cx, cy;

	n = nx < ny ? nx : ny;
	for (i = 0; i < n; i++) {
		ex = stack_elem(f, x, i);
		ey = stack_elem(f, y, i);
		if (ex == ey)
			continue;
		tx = f->text + f->off[f->uniq[ex]];
		ty = f->text + f->off[f->uniq[ey]];
		lx = f->len[f->uniq[ex]];
		ly = f->len[f->uniq[ey]];
		r = memcmp(tx, ty, lx < ly ? lx : ly);
		if (r)
			return r;
		if (lx == ly) /* cannot happen: distinct ids, distinct texts */
			continue;
		cx = lx < ly ? -1 : (unsigned char)tx[ly];
		cy = ly < lx ? -1 : (unsigned char)ty[lx];
		if (cx < 0)
			cx = i + 1 < nx ? ';' : -1;
		if (cy < 0)
			cy = i + 1 < ny ? ';' : -1;
		return cx < cy ? -1 : 1;
	}
	return nx < ny ? -1 : nx > ny;
}

static int check_profile(const struct profile *p)
{
	const struct pf_sample *s;
	size_t i;

	if (!p->nstrings || !p->strings)
		return -EINVAL;
	for (i = 0; i < p->nsamples; i++) {
		s = &p->samples[i];
		/* one more frame for the comm: nlocs + 1 must not wrap */
		if (profile__check_sample(p, s) || s->nlocs == UINT32_MAX ||
		    !p->strings[s->comm])
			return -EINVAL;
	}
	return 0;
}

/* Renders every location and every comm in use, then dedups the texts. */
static int build_labels(struct folded *f)
{
	const struct profile *p = f->p;
	char *buf;
	size_t i, n;
	uint32_t id, c;
	int err;

	f->loc_label =
	    malloc(((size_t)p->nlocations + 1) * sizeof(*f->loc_label));
	f->comm_label = malloc((size_t)p->nstrings * sizeof(*f->comm_label));
	buf = malloc(FOLDED_LABEL_MAX);
	if (!f->loc_label || !f->comm_label || !buf) {
		err = -ENOMEM;
		goto out;
	}
	for (id = 1; id <= p->nlocations; id++) {
		n = profile__frame_label(p, id, buf, FOLDED_LABEL_MAX);
		err = add_label(f, buf, n);
		if (err)
			goto out;
		f->loc_label[id] = f->nlabels - 1;
	}
	for (i = 0; i < p->nstrings; i++)
		f->comm_label[i] = NO_LABEL;
	for (i = 0; i < p->nsamples; i++) {
		c = p->samples[i].comm;
		if (f->comm_label[c] != NO_LABEL)
			continue;
		err = add_comm_label(f, p->strings[c]);
		if (err)
			goto out;
		f->comm_label[c] = f->nlabels - 1;
	}
	err = dedup_labels(f);
	if (err)
		goto out;
	/* From raw label numbers to distinct-text ids. */
	for (id = 1; id <= p->nlocations; id++)
		f->loc_label[id] = f->rank[f->loc_label[id]];
	for (i = 0; i < p->nstrings; i++) {
		if (f->comm_label[i] != NO_LABEL)
			f->comm_label[i] = f->rank[f->comm_label[i]];
	}
out:
	free(buf);
	return err;
}

static void write_stack(const struct folded *f, const struct pf_sample *s,
			int64_t count, FILE *out)
{
	uint32_t i, l;

	for (i = 0; i <= s->nlocs; i++) {
		if (i)
			fputc(';', out);
		l = f->uniq[stack_elem(f, s, i)];
		fwrite(f->text + f->off[l], 1, f->len[l], out);
	}
	fprintf(out, " %" PRId64 "\n", count);
}

int folded_write(const struct profile *p, FILE *out)
{
	struct folded f = { .p = p };
	const struct pf_sample *s;
	size_t *order = NULL, i, j;
	int64_t count;
	int err;

	if (!p || !out)
		return -EINVAL;
	if (p->err)
		return p->err;
	err = check_profile(p);
	if (err)
		return err;
	err = build_labels(&f);
	if (err)
		goto out;
	order = malloc(p->nsamples * sizeof(*order) + 1);
	if (!order) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < p->nsamples; i++)
		order[i] = i;
	qsort_r(order, p->nsamples, sizeof(*order), stack_cmp, &f);

	for (i = 0; i < p->nsamples; i = j) {
		s = &p->samples[order[i]];
		count = s->count;
		for (j = i + 1;
		     j < p->nsamples && !stack_cmp(&order[i], &order[j], &f);
		     j++) {
			/* Saturate rather than wrap on absurd totals. */
			if (__builtin_add_overflow(
				count, p->samples[order[j]].count, &count))
				count = INT64_MAX;
		}
		write_stack(&f, s, count, out);
	}
	if (fflush(out) || ferror(out))
		err = -EIO;

out:
	free(order);
	free(f.text);
	free(f.off);
	free(f.len);
	free(f.rank);
	free(f.uniq);
	free(f.loc_label);
	free(f.comm_label);
	return err;
}
