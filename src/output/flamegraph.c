// SPDX-License-Identifier: BSD-2-Clause
/*
 * Flame graph encoder: merges a profile's stacks (process comm as the root
 * frame, then the locations root to leaf) into a call tree and writes it as
 * one self-contained SVG: static frames that render without script, plus an
 * embedded stylesheet and script (flamegraph_js.h) for tooltips, zoom and
 * search. This file owns the tree (built, walked and freed here, never
 * recursively, so stack depth costs heap and not C stack), the layout, the
 * colours and the XML escaping of every byte that comes from a symbol name.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "profile.h"
#include "flamegraph_js.h"

#define FG_DEFAULT_WIDTH 1200
#define FG_MIN_WIDTH	 300
#define FG_MAX_WIDTH	 20000
#define FG_PAD_X	 10
#define FG_FRAME_H	 16   /* row pitch; rects are one pixel shorter */
#define FG_TEXT_DY	 11   /* baseline of a frame's label below its top */
#define FG_CHAR_W	 7.25 /* 12px monospace advance, rounded up */
#define FG_MIN_PX	 0.1
/* Above this many frames the minimum width doubles until it fits, so a
 * pathological profile still gives a file a browser can open. */
#define FG_MAX_FRAMES 50000
#define FG_LABEL_MAX  2048
#define FG_NONE	      0 /* no child / sibling: node 0 is the root */

enum fg_kind {
	FG_KIND_NATIVE = 0,
	FG_KIND_KERNEL,
	FG_KIND_PYTHON,
	FG_KIND_PROCESS,
	FG_KIND_ROOT,
};

struct fg_label {
	uint32_t off; /* into fg_tree.chars, NUL-terminated */
	uint32_t len;
	uint32_t hash;
	uint32_t rank; /* position in byte-wise order, for sibling order */
	uint8_t kind;
};

struct fg_node {
	int64_t count; /* inclusive samples */
	int64_t start; /* samples left of this frame at full width */
	uint32_t label;
	uint32_t parent;
	uint32_t first_child;
	uint32_t next_sibling;
	uint32_t depth;
};

struct fg_tree {
	struct fg_node *nodes;
	size_t nnodes, cap_nodes;
	uint32_t *child_map; /* open addressing on (parent, label); 0 = empty */
	size_t child_mask;
	struct fg_label *labels;
	size_t nlabels, cap_labels;
	uint32_t *label_map; /* open addressing on label bytes; label id + 1 */
	size_t label_mask;
	char *chars;
	size_t nchars, cap_chars;
	uint32_t *loc_label; /* per location id: label id + 1, 0 = not yet */
	size_t nlocs;
};

struct fg_layout {
	const char *title;
	const char *subtitle; /* NULL: no subtitle line */
	unsigned int width;
	double scale; /* pixels per sample at full width */
	double min_px;
	uint32_t *order; /* emitted nodes, pre-order */
	size_t nframes;
	size_t omitted;
	uint32_t max_depth;
	unsigned int info_y; /* baseline of the sample count and legend */
	unsigned int frames_top;
	unsigned int height;
};

/* Returns the (possibly moved) array with room for need elements, or NULL
 * with the old array untouched. */
static void *fg_grow(void *ptr, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return ptr;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return NULL;
		ncap *= 2;
	}
	np = reallocarray(ptr, ncap, size);
	if (np)
		*cap = ncap;
	return np;
}

static uint32_t fg_hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static size_t fg_hash_pair(uint32_t a, uint32_t b)
{
	uint64_t x = ((uint64_t)a << 32 | b) * 0x9e3779b97f4a7c15ull;

	return (size_t)(x ^ x >> 29);
}

static const char *fg_label_str(const struct fg_tree *t, uint32_t id)
{
	return t->chars + t->labels[id].off;
}

/*
 * The frame kind as the label shows it (profile__frame_label's suffixes):
 * "_[k]" for kernel, " (file:line)" for Python. The Python test takes the
 * last " (" and wants no ')' between it and the final one, so a C++
 * signature such as "f(int (*)(int))" stays native.
 */
static enum fg_kind fg_label_kind(const char *s, size_t len)
{
	size_t i;

	if (len >= 4 && !memcmp(s + len - 4, "_[k]", 4))
		return FG_KIND_KERNEL;
	if (len < 4 || s[len - 1] != ')')
		return FG_KIND_NATIVE;
	for (i = len - 1; i-- > 1;) {
		if (s[i] == ')')
			return FG_KIND_NATIVE;
		if (s[i] == '(' && s[i - 1] == ' ')
			return i + 1 < len - 1 ? FG_KIND_PYTHON
					       : FG_KIND_NATIVE;
	}
	return FG_KIND_NATIVE;
}

static int fg_label_rehash(struct fg_tree *t, size_t nslots)
{
	uint32_t *map = calloc(nslots, sizeof(*map));

	if (!map)
		return -ENOMEM;
	for (size_t i = 0; i < t->nlabels; i++) {
		size_t j = t->labels[i].hash & (nslots - 1);

		while (map[j])
			j = (j + 1) & (nslots - 1);
		map[j] = (uint32_t)i + 1;
	}
	free(t->label_map);
	t->label_map = map;
	t->label_mask = nslots - 1;
	return 0;
}

/* Interns s[0..len) and returns its id in *id. */
static int fg_label_intern(struct fg_tree *t, const char *s, size_t len,
			   uint32_t *id)
{
	uint32_t h = fg_hash_bytes(s, len);
	struct fg_label *l, *labels;
	char *chars;
	size_t j;
	int err;

	if ((t->nlabels + 1) * 2 > t->label_mask + 1) {
		err = fg_label_rehash(t, (t->label_mask + 1) * 2);
		if (err)
			return err;
	}
	for (j = h & t->label_mask; t->label_map[j];
	     j = (j + 1) & t->label_mask) {
		l = &t->labels[t->label_map[j] - 1];
		if (l->hash == h && l->len == len &&
		    !memcmp(fg_label_str(t, t->label_map[j] - 1), s, len)) {
			*id = t->label_map[j] - 1;
			return 0;
		}
	}
	if (t->nlabels >= UINT32_MAX - 1 || t->nchars + len + 1 > UINT32_MAX)
		return -EOVERFLOW;
	labels =
	    fg_grow(t->labels, &t->cap_labels, t->nlabels + 1, sizeof(*labels));
	if (!labels)
		return -ENOMEM;
	t->labels = labels;
	chars = fg_grow(t->chars, &t->cap_chars, t->nchars + len + 1, 1);
	if (!chars)
		return -ENOMEM;
	t->chars = chars;
	memcpy(t->chars + t->nchars, s, len);
	t->chars[t->nchars + len] = '\0';
	l = &t->labels[t->nlabels];
	l->off = (uint32_t)t->nchars;
	l->len = (uint32_t)len;
	l->hash = h;
	l->rank = 0;
	l->kind = fg_label_kind(s, len);
	t->nchars += len + 1;
	t->label_map[j] = (uint32_t)t->nlabels + 1;
	*id = (uint32_t)t->nlabels++;
	return 0;
}

/* Labels are computed once per location: a profile has far fewer
 * locations than frames in its samples. */
static int fg_loc_label(struct fg_tree *t, const struct profile *p,
			uint32_t loc, uint32_t *id)
{
	char buf[FG_LABEL_MAX];
	size_t len;
	int err;

	if (loc && loc < t->nlocs && t->loc_label[loc]) {
		*id = t->loc_label[loc] - 1;
		return 0;
	}
	buf[0] = '\0';
	profile__frame_label(p, loc, buf, sizeof(buf));
	/* strnlen, not the return value: we only trust the NUL it wrote */
	len = strnlen(buf, sizeof(buf) - 1);
	if (!len) {
		strcpy(buf, "[unknown]");
		len = strlen(buf);
	}
	err = fg_label_intern(t, buf, len, id);
	if (err)
		return err;
	if (loc && loc < t->nlocs)
		t->loc_label[loc] = *id + 1;
	return 0;
}

static int fg_child_rehash(struct fg_tree *t, size_t nslots)
{
	uint32_t *map = calloc(nslots, sizeof(*map));

	if (!map)
		return -ENOMEM;
	for (size_t i = 1; i < t->nnodes; i++) {
		const struct fg_node *n = &t->nodes[i];
		size_t j = fg_hash_pair(n->parent, n->label) & (nslots - 1);

		while (map[j])
			j = (j + 1) & (nslots - 1);
		map[j] = (uint32_t)i;
	}
	free(t->child_map);
	t->child_map = map;
	t->child_mask = nslots - 1;
	return 0;
}

/* The child of parent labelled label, created when missing. */
static int fg_child(struct fg_tree *t, uint32_t parent, uint32_t label,
		    uint32_t *child)
{
	struct fg_node *n, *nodes;
	size_t j;
	int err;

	if (t->nnodes * 2 > t->child_mask + 1) {
		err = fg_child_rehash(t, (t->child_mask + 1) * 2);
		if (err)
			return err;
	}
	for (j = fg_hash_pair(parent, label) & t->child_mask; t->child_map[j];
	     j = (j + 1) & t->child_mask) {
		n = &t->nodes[t->child_map[j]];
		if (n->parent == parent && n->label == label) {
			*child = t->child_map[j];
			return 0;
		}
	}
	if (t->nnodes >= UINT32_MAX)
		return -EOVERFLOW;
	nodes = fg_grow(t->nodes, &t->cap_nodes, t->nnodes + 1, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	t->nodes = nodes;
	n = &t->nodes[t->nnodes];
	memset(n, 0, sizeof(*n));
	n->label = label;
	n->parent = parent;
	n->depth = t->nodes[parent].depth + 1;
	t->child_map[j] = (uint32_t)t->nnodes;
	*child = (uint32_t)t->nnodes++;
	return 0;
}

static void fg_tree_free(struct fg_tree *t)
{
	free(t->nodes);
	free(t->child_map);
	free(t->labels);
	free(t->label_map);
	free(t->chars);
	free(t->loc_label);
}

static int fg_tree_init(struct fg_tree *t, const struct profile *p)
{
	uint32_t root_label;
	int err;

	memset(t, 0, sizeof(*t));
	t->nlocs = (size_t)p->nlocations + 1;
	t->loc_label = calloc(t->nlocs, sizeof(*t->loc_label));
	if (!t->loc_label)
		return -ENOMEM;
	err = fg_label_rehash(t, 1024);
	if (!err)
		err = fg_child_rehash(t, 1024);
	if (!err)
		err = fg_label_intern(t, "all", 3, &root_label);
	if (err)
		return err;
	t->nodes = fg_grow(NULL, &t->cap_nodes, 1, sizeof(*t->nodes));
	if (!t->nodes)
		return -ENOMEM;
	memset(&t->nodes[0], 0, sizeof(t->nodes[0]));
	t->nodes[0].label = root_label;
	t->nnodes = 1;
	return 0;
}

static int fg_add_sample(struct fg_tree *t, const struct profile *p,
			 const struct pf_sample *s)
{
	const char *comm = profile__str(p, s->comm);
	uint32_t node, label;
	int err;

	if (!comm[0])
		comm = "[unknown]";
	err = fg_label_intern(t, comm, strlen(comm), &label);
	if (!err)
		err = fg_child(t, 0, label, &node);
	if (err)
		return err;
	t->nodes[node].count += s->count;
	/* sample_locs are leaf first; the tree grows from the root */
	for (uint32_t i = s->nlocs; i-- > 0;) {
		err = fg_loc_label(t, p, p->sample_locs[s->first_loc + i],
				   &label);
		if (!err)
			err = fg_child(t, node, label, &node);
		if (err)
			return err;
		t->nodes[node].count += s->count;
	}
	return 0;
}

static int fg_tree_build(struct fg_tree *t, const struct profile *p)
{
	int err = 0;

	for (size_t i = 0; i < p->nsamples && !err; i++) {
		const struct pf_sample *s = &p->samples[i];

		/* a pprof count can be anything; only positive ones have width
		 */
		if (s->count <= 0)
			continue;
		if (s->first_loc > p->nsample_locs ||
		    s->nlocs > p->nsample_locs - s->first_loc)
			return -EINVAL;
		/* the root is the largest sum: if it fits, every node's does */
		if (__builtin_add_overflow(t->nodes[0].count, s->count,
					   &t->nodes[0].count))
			return -EOVERFLOW;
		err = fg_add_sample(t, p, s);
	}
	return err;
}

static int fg_cmp_label(const void *a, const void *b, void *arg)
{
	const struct fg_tree *t = arg;
	const struct fg_label *la = &t->labels[*(const uint32_t *)a];
	const struct fg_label *lb = &t->labels[*(const uint32_t *)b];
	size_t n = la->len < lb->len ? la->len : lb->len;
	int c = memcmp(t->chars + la->off, t->chars + lb->off, n);

	if (c)
		return c;
	return (la->len > lb->len) - (la->len < lb->len);
}

struct fg_sort_key {
	uint32_t parent;
	uint32_t rank;
	uint32_t node;
};

static int fg_cmp_key(const void *a, const void *b)
{
	const struct fg_sort_key *ka = a, *kb = b;

	if (ka->parent != kb->parent)
		return ka->parent < kb->parent ? -1 : 1;
	return (ka->rank > kb->rank) - (ka->rank < kb->rank);
}

/*
 * Links every node's children in label order, as classic flame graphs do:
 * the x axis is then alphabetical, not time, and the same profile always
 * gives the same picture. Labels are ranked once so the big sort compares
 * integers instead of strings.
 */
static int fg_tree_sort(struct fg_tree *t)
{
	struct fg_sort_key *keys = NULL;
	uint32_t *ids = NULL;
	int err = -ENOMEM;

	ids = calloc(t->nlabels, sizeof(*ids));
	keys = calloc(t->nnodes, sizeof(*keys));
	if (!ids || !keys)
		goto out;
	for (size_t i = 0; i < t->nlabels; i++)
		ids[i] = (uint32_t)i;
	qsort_r(ids, t->nlabels, sizeof(*ids), fg_cmp_label, t);
	for (size_t i = 0; i < t->nlabels; i++)
		t->labels[ids[i]].rank = (uint32_t)i;
	for (size_t i = 1; i < t->nnodes; i++) {
		keys[i - 1].parent = t->nodes[i].parent;
		keys[i - 1].rank = t->labels[t->nodes[i].label].rank;
		keys[i - 1].node = (uint32_t)i;
	}
	qsort(keys, t->nnodes - 1, sizeof(*keys), fg_cmp_key);
	for (size_t i = 0; i < t->nnodes; i++)
		t->nodes[i].first_child = t->nodes[i].next_sibling = FG_NONE;
	/* pushing in reverse leaves each list in ascending order */
	for (size_t i = t->nnodes - 1; i-- > 0;) {
		struct fg_node *n = &t->nodes[keys[i].node];

		n->next_sibling = t->nodes[n->parent].first_child;
		t->nodes[n->parent].first_child = keys[i].node;
	}
	err = 0;
out:
	free(keys);
	free(ids);
	return err;
}

/*
 * One pre-order walk by first_child/next_sibling/parent links, so no stack
 * at all: assigns each frame its start offset and records the frames wide
 * enough to draw. A frame narrower than the minimum is dropped with its
 * whole subtree (its descendants are narrower still); its samples stay in
 * its ancestors' widths.
 */
static void fg_walk(struct fg_tree *t, struct fg_layout *l)
{
	uint32_t n = 0, next;

	l->nframes = 0;
	l->max_depth = 0;
	t->nodes[0].start = 0;
	for (;;) {
		struct fg_node *nd = &t->nodes[n];

		if (!n || (double)nd->count * l->scale >= l->min_px) {
			l->order[l->nframes++] = n;
			if (nd->depth > l->max_depth)
				l->max_depth = nd->depth;
			if (nd->first_child != FG_NONE) {
				n = nd->first_child;
				t->nodes[n].start = nd->start;
				continue;
			}
		}
		while (n && t->nodes[n].next_sibling == FG_NONE)
			n = t->nodes[n].parent;
		if (!n)
			break;
		next = t->nodes[n].next_sibling;
		t->nodes[next].start = t->nodes[n].start + t->nodes[n].count;
		n = next;
	}
	l->omitted = t->nnodes - l->nframes;
}

static int fg_lay_out(struct fg_tree *t, struct fg_layout *l)
{
	l->order = calloc(t->nnodes, sizeof(*l->order));
	if (!l->order)
		return -ENOMEM;
	l->scale =
	    (double)(l->width - 2 * FG_PAD_X) / (double)t->nodes[0].count;
	l->min_px = FG_MIN_PX;
	for (;;) {
		fg_walk(t, l);
		if (l->nframes <= FG_MAX_FRAMES)
			break;
		l->min_px *= 2;
	}
	return 0;
}

/* ---- XML text ---------------------------------------------------------- */

#define FG_REPLACEMENT 0xfffd

/*
 * Decodes one UTF-8 sequence at s (len > 0) into *cp and returns its length.
 * Anything that is not well-formed UTF-8 (stray continuation bytes,
 * overlong forms, surrogates, values past U+10FFFF, truncated sequences)
 * decodes as U+FFFD one byte at a time, as does every code point XML 1.0
 * forbids or that would disturb the one-line labels: C0 and C1 controls,
 * DEL, U+FFFE and U+FFFF.
 */
static size_t fg_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;
	uint32_t v;

	if (c < 0x80) {
		*cp = c < 0x20 || c == 0x7f ? FG_REPLACEMENT : c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		goto bad;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		goto bad;
	for (size_t i = 1; i < n; i++) {
		if (i > 1 && (s[i] < 0x80 || s[i] > 0xbf))
			goto bad;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((v >= 0x80 && v <= 0x9f) || v == 0xfffe || v == 0xffff)
		v = FG_REPLACEMENT;
	*cp = v;
	return n;
bad:
	*cp = FG_REPLACEMENT;
	return 1;
}

static size_t fg_text_chars(const char *s, size_t len)
{
	size_t n = 0;
	uint32_t cp;

	for (size_t i = 0; i < len; n++)
		i += fg_utf8_next((const unsigned char *)s + i, len - i, &cp);
	return n;
}

/* Writes at most max chars of s[0..len) as XML text that is also safe in
 * an attribute value. */
static void fg_put_text(FILE *out, const char *s, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, chars = 0;
	uint32_t cp;

	while (i < len && chars++ < max) {
		n = fg_utf8_next(u + i, len - i, &cp);
		switch (cp) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		case FG_REPLACEMENT:
			fputs("\xef\xbf\xbd", out);
			break;
		default:
			fwrite(u + i, 1, n, out);
		}
		i += n;
	}
}

static void fg_put_str(FILE *out, const char *s)
{
	fg_put_text(out, s, strlen(s), SIZE_MAX);
}

/* Fixed point by hand: printf's "%f" follows LC_NUMERIC, and a decimal
 * comma would break every coordinate. Trailing zeros are dropped because
 * coordinates are most of the file. */
static void fg_put_num(FILE *out, double v)
{
	long long c = llround(v * 100);

	if (c < 0) {
		fputc('-', out);
		c = -c;
	}
	fprintf(out, "%lld", c / 100);
	if (c % 100 == 0)
		return;
	if (c % 10 == 0)
		fprintf(out, ".%lld", c % 100 / 10);
	else
		fprintf(out, ".%02lld", c % 100);
}

static void fg_put_pct(FILE *out, int64_t part, int64_t whole)
{
	long long c = llround((double)part * 10000.0 / (double)whole);

	fprintf(out, "%lld.%02lld%%", c / 100, c % 100);
}

static void fg_put_count(FILE *out, int64_t v)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRId64, v);
	int first = digits[0] == '-' ? 1 : 0;

	for (int i = 0; i < n; i++) {
		if (i > first && (n - i) % 3 == 0)
			fputc(',', out);
		fputc(digits[i], out);
	}
}

/* ---- colours ----------------------------------------------------------- */

struct fg_palette {
	double hue, hue_range;
	double sat, sat_range;
	double light, light_range;
};

/* Warm for native code, cool blue for the kernel, green for Python, muted
 * violet for the process roots: the kind reads at a glance, and within a
 * kind the hash spreads neighbours apart. */
static const struct fg_palette fg_palettes[] = {
	[FG_KIND_NATIVE] = { 0, 50, 0.80, 0.15, 0.55, 0.10 },
	[FG_KIND_KERNEL] = { 190, 30, 0.55, 0.15, 0.62, 0.08 },
	[FG_KIND_PYTHON] = { 90, 50, 0.45, 0.15, 0.50, 0.10 },
	[FG_KIND_PROCESS] = { 255, 30, 0.25, 0.10, 0.72, 0.06 },
	[FG_KIND_ROOT] = { 0, 0, 0, 0, 0.80, 0 },
};

static const char *const fg_kind_names[] = {
	[FG_KIND_NATIVE] = "native",
	[FG_KIND_KERNEL] = "kernel",
	[FG_KIND_PYTHON] = "Python",
	[FG_KIND_PROCESS] = "process",
};

static double fg_hue_to_rgb(double p, double q, double h)
{
	if (h < 0)
		h += 1;
	if (h > 1)
		h -= 1;
	if (h < 1.0 / 6)
		return p + (q - p) * 6 * h;
	if (h < 0.5)
		return q;
	if (h < 2.0 / 3)
		return p + (q - p) * (2.0 / 3 - h) * 6;
	return p;
}

/* hash 0 gives the palette's base colour (the legend uses it). */
static void fg_put_colour(FILE *out, enum fg_kind kind, uint32_t hash)
{
	const struct fg_palette *pal = &fg_palettes[kind];
	double h =
	    (pal->hue + pal->hue_range * (hash & 0xffff) / 65535.0) / 360;
	double s = pal->sat + pal->sat_range * ((hash >> 16) & 0xff) / 255.0;
	double l = pal->light + pal->light_range * (hash >> 24) / 255.0;
	double q = l < 0.5 ? l * (1 + s) : l + s - l * s;
	double p = 2 * l - q;

	fprintf(out, "#%02x%02x%02x",
		(unsigned int)lround(255 * fg_hue_to_rgb(p, q, h + 1.0 / 3)),
		(unsigned int)lround(255 * fg_hue_to_rgb(p, q, h)),
		(unsigned int)lround(255 * fg_hue_to_rgb(p, q, h - 1.0 / 3)));
}

/* ---- SVG --------------------------------------------------------------- */

/* Everything above the frames, which the empty graph shares. */
static void fg_lay_out_header(struct fg_layout *l,
			      const struct flamegraph_opts *o)
{
	l->title = o && o->title ? o->title : "CPU flame graph";
	l->subtitle = o && o->subtitle && o->subtitle[0] ? o->subtitle : NULL;
	l->width = o && o->width ? o->width : FG_DEFAULT_WIDTH;
	if (l->width < FG_MIN_WIDTH)
		l->width = FG_MIN_WIDTH;
	if (l->width > FG_MAX_WIDTH)
		l->width = FG_MAX_WIDTH;
	l->info_y = l->subtitle ? 60 : 42;
	l->frames_top = l->info_y + 14;
}

static void fg_put_header(FILE *out, const struct fg_layout *l, int64_t total)
{
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\">\n",
		l->width, l->height, l->width, l->height);
	fprintf(out, "<style type=\"text/css\"><![CDATA[\n%s]]></style>\n",
		fg_css);
	fprintf(out,
		"<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" "
		"fill=\"#f7f7f2\"/>\n",
		l->width, l->height);
	fprintf(out,
		"<text id=\"title\" class=\"hd\" x=\"%u\" y=\"%u\" "
		"text-anchor=\"middle\">",
		l->width / 2, 24);
	fg_put_str(out, l->title);
	fputs("</text>\n", out);
	if (l->subtitle) {
		fprintf(out,
			"<text id=\"subtitle\" class=\"hd\" x=\"%u\" y=\"%u\" "
			"text-anchor=\"middle\">",
			l->width / 2, 42);
		fg_put_str(out, l->subtitle);
		fputs("</text>\n", out);
	}
	fprintf(out,
		"<text id=\"info\" class=\"hd\" x=\"%u\" y=\"%u\" "
		"text-anchor=\"middle\">",
		l->width / 2, l->info_y);
	fg_put_count(out, total);
	fputs(total == 1 ? " sample" : " samples", out);
	if (l->omitted) {
		fputs(", ", out);
		fg_put_count(out, (int64_t)l->omitted);
		fputs(l->omitted == 1 ? " frame" : " frames", out);
		fputs(" narrower than ", out);
		fg_put_num(out, l->min_px);
		fputs(" px omitted", out);
	}
	fputs("</text>\n", out);
}

static void fg_put_legend(FILE *out, const struct fg_layout *l)
{
	unsigned int y = l->info_y;
	unsigned int x = l->width - FG_PAD_X;

	/* right-aligned: lay out from the right edge leftwards */
	for (int k = FG_KIND_PROCESS; k >= FG_KIND_NATIVE; k--) {
		unsigned int w =
		    16 + 7 * (unsigned int)strlen(fg_kind_names[k]);

		x -= w;
		fprintf(out,
			"<rect x=\"%u\" y=\"%u\" width=\"10\" height=\"10\" "
			"fill=\"",
			x, y - 9);
		fg_put_colour(out, k, 0);
		fprintf(out,
			"\"/><text class=\"hd legend\" x=\"%u\" y=\"%u\">%s"
			"</text>\n",
			x + 13, y, fg_kind_names[k]);
		x -= 8;
	}
}

static void fg_put_frame(FILE *out, const struct fg_tree *t,
			 const struct fg_layout *l, uint32_t id)
{
	const struct fg_node *n = &t->nodes[id];
	const struct fg_label *lab = &t->labels[n->label];
	const char *name = fg_label_str(t, n->label);
	enum fg_kind kind = n->depth == 0   ? FG_KIND_ROOT
			    : n->depth == 1 ? FG_KIND_PROCESS
					    : (enum fg_kind)lab->kind;
	double x = FG_PAD_X + (double)n->start * l->scale;
	double w = (double)n->count * l->scale;
	unsigned int y = l->frames_top + (l->max_depth - n->depth) * FG_FRAME_H;
	double fit = floor((w - 6) / FG_CHAR_W);
	size_t chars;

	fprintf(out, "<g data-s=\"%" PRId64 "\" data-n=\"%" PRId64 "\"><title>",
		n->start, n->count);
	fg_put_text(out, name, lab->len, SIZE_MAX);
	fputc('\n', out);
	fg_put_count(out, n->count);
	fputs(n->count == 1 ? " sample, " : " samples, ", out);
	fg_put_pct(out, n->count, t->nodes[0].count);
	fputs("</title><rect x=\"", out);
	fg_put_num(out, x);
	fprintf(out, "\" y=\"%u\" width=\"", y);
	fg_put_num(out, w);
	fprintf(out, "\" height=\"%u\" fill=\"", FG_FRAME_H - 1);
	fg_put_colour(out, kind, kind == FG_KIND_ROOT ? 0 : lab->hash);
	fputs("\"/>", out);
	/* same rule as fit() in the script, which redoes it on zoom */
	if (fit >= 3) {
		fputs("<text x=\"", out);
		fg_put_num(out, x + 3);
		fprintf(out, "\" y=\"%u\">", y + FG_TEXT_DY);
		chars = fg_text_chars(name, lab->len);
		if (chars <= fit) {
			fg_put_text(out, name, lab->len, SIZE_MAX);
		} else {
			fg_put_text(out, name, lab->len, (size_t)fit - 2);
			fputs("..", out);
		}
		fputs("</text>", out);
	}
	fputs("</g>\n", out);
}

static int fg_put_frames(FILE *out, const struct fg_tree *t,
			 const struct fg_layout *l)
{
	fprintf(out,
		"<g id=\"frames\" data-total=\"%" PRId64 "\" data-x=\"%d\" "
		"data-w=\"%u\" data-cw=\"",
		t->nodes[0].count, FG_PAD_X, l->width - 2 * FG_PAD_X);
	fg_put_num(out, FG_CHAR_W);
	fputs("\">\n", out);
	for (size_t i = 0; i < l->nframes; i++) {
		/* a full disk fails every write: stop instead of formatting on
		 */
		if (!(i & 1023) && ferror(out))
			return -EIO;
		fg_put_frame(out, t, l, l->order[i]);
	}
	fputs("</g>\n", out);
	return 0;
}

static void fg_put_empty(FILE *out, struct fg_layout *l)
{
	l->height = l->frames_top + 70;
	fg_put_header(out, l, 0);
	fprintf(out,
		"<text id=\"empty\" class=\"hd\" x=\"%u\" y=\"%u\" "
		"text-anchor=\"middle\">no samples</text>\n</svg>\n",
		l->width / 2, l->frames_top + 40);
}

int flamegraph_write(const struct profile *p, const struct flamegraph_opts *o,
		     FILE *out)
{
	struct fg_layout l = { 0 };
	struct fg_tree t;
	int err;

	if (!p || !out)
		return -EINVAL;
	err = profile__status(p);
	if (err)
		return err;
	fg_lay_out_header(&l, o);

	err = fg_tree_init(&t, p);
	if (!err)
		err = fg_tree_build(&t, p);
	if (err)
		goto out_tree;
	if (!t.nodes[0].count) {
		fg_put_empty(out, &l);
		goto out_flush;
	}
	err = fg_tree_sort(&t);
	if (!err)
		err = fg_lay_out(&t, &l);
	if (err)
		goto out_layout;

	l.height = l.frames_top + (l.max_depth + 1) * FG_FRAME_H + 30;
	fg_put_header(out, &l, t.nodes[0].count);
	fg_put_legend(out, &l);
	fprintf(out,
		"<text id=\"unzoom\" class=\"hd btn off\" x=\"%d\" y=\"24\">"
		"Reset zoom</text>\n"
		"<text id=\"clear\" class=\"hd btn off\" x=\"%u\" y=\"24\" "
		"text-anchor=\"end\">Clear search</text>\n"
		"<text id=\"search\" class=\"hd btn\" x=\"%u\" y=\"24\" "
		"text-anchor=\"end\">Search</text>\n",
		FG_PAD_X, l.width - FG_PAD_X - 70, l.width - FG_PAD_X);
	err = fg_put_frames(out, &t, &l);
	if (err)
		goto out_layout;
	fprintf(out,
		"<text id=\"details\" class=\"hd\" x=\"%d\" y=\"%u\">"
		"Click a frame to zoom, Ctrl-F to search</text>\n"
		"<text id=\"matched\" class=\"hd\" x=\"%u\" y=\"%u\" "
		"text-anchor=\"end\"></text>\n",
		FG_PAD_X, l.height - 10, l.width - FG_PAD_X, l.height - 10);
	fprintf(out,
		"<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n"
		"</svg>\n",
		fg_js);
out_layout:
	free(l.order);
out_flush:
	/* stdio may hold the whole file: only a flush surfaces ENOSPC */
	if (fflush(out) || ferror(out))
		err = err ? err : -EIO;
out_tree:
	fg_tree_free(&t);
	return err;
}
