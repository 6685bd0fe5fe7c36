// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the pprof reader (src/output/pprof_read.c): a round trip
 * through our encoder compared field by field, a profile re-encoded by
 * `go tool pprof -proto` (a real, independent writer), hand-made messages
 * for what our encoder never writes (inlined lines, sparse ids, unpacked
 * repeated fields, unknown fields, multi-member gzip), a malformed corpus
 * (every truncation, bad ids and indices, broken varints, CRC errors,
 * size limits), and a decode speed figure printed as a TAP comment.
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "output.h"
#include "pprof_read.h"
#include "profile.h"

/* ---- helpers ---- */

static uint8_t *gzip_buf(const uint8_t *raw, size_t len, size_t *gzlen)
{
	uLong bound = compressBound((uLong)len) + 64;
	uint8_t *out = malloc(bound);
	z_stream zs = { 0 };

	assert_non_null(out);
	assert_int_equal(
	    deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
	    Z_OK);
	zs.next_in = (Bytef *)raw;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)bound;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*gzlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static struct profile *read_ok(const void *buf, size_t len)
{
	struct profile *p = profile__new();

	assert_non_null(p);
	assert_int_equal(pprof__read(p, buf, len), 0);
	assert_int_equal(profile__status(p), 0);
	return p;
}

static int read_rc(const void *buf, size_t len)
{
	struct profile *p = profile__new();
	int rc;

	assert_non_null(p);
	rc = pprof__read(p, buf, len);
	profile__free(p);
	return rc;
}

/* A sample's stack and labels as one comparable string. */
static void sample_key(const struct profile *p, const struct pf_sample *s,
		       char *buf, size_t size)
{
	const struct pf_labelset *ls;
	size_t n = 0;
	uint32_t i;
	char frame[256];

	n += (size_t)snprintf(buf + n, size - n, "%u/%u/%s/%s|", s->pid, s->tid,
			      profile__str(p, s->comm),
			      profile__str(p, s->thread_name));
	if (s->labelset) {
		ls = &p->labelsets[s->labelset - 1];
		for (i = 0; i < ls->n && n < size; i++)
			n += (size_t)snprintf(
			    buf + n, size - n, "%s=%s,",
			    profile__str(p, p->label_kv[ls->first + 2 * i]),
			    profile__str(p,
					 p->label_kv[ls->first + 2 * i + 1]));
	}
	for (i = 0; i < s->nlocs && n < size; i++) {
		profile__frame_label(p, p->sample_locs[s->first_loc + i], frame,
				     sizeof(frame));
		n += (size_t)snprintf(buf + n, size - n, "|%s", frame);
	}
	assert_true(n < size);
}

/* ---- the fixture: every feature the model has ---- */

static struct profile *build_full(void)
{
	static const struct pf_label ls1[] = {
		{ PF_LABEL_POD_UID, "0f6b7d1e-2c2a-4a43-9f67-7a1ad33f1b1c" },
		{ PF_LABEL_CONTAINER_ID, "c0ffee" },
		{ PF_LABEL_EXE, "/usr/bin/app" },
		{ PF_LABEL_QOS_CLASS, "" }, /* empty: dropped */
		{ PF_LABEL_NODE, "node-1" },
	};
	static const struct pf_label ls2[] = {
		{ PF_LABEL_CGROUP, "/system.slice/x.service" },
		{ "custom", "v;with\nodd chars" },
	};
	struct profile *p = profile__new();
	uint32_t km, am, lm, fk, fmain, fwork, fpy, fmod, fmark, lk, lmain,
	    lwork, lraw, lpy, lmod, lmark, lneg, set1, set2, st[8];

	assert_non_null(p);
	p->period_ns = 10101010;
	p->duration_ns = 10000000000LL;
	p->time_ns = 1700000000123456789LL;
	km = profile__mapping(p, 0xffffffff81000000ULL, 0xffffffff83000000ULL,
			      0, "[kernel.kallsyms]", NULL);
	am = profile__mapping(p, 0x555555554000ULL, 0x555555560000ULL, 0x1000,
			      "/usr/bin/app",
			      "0123456789abcdef0123456789abcdef01234567");
	lm = profile__mapping(p, 0x7f0000000000ULL, UINT64_MAX, UINT64_MAX - 1,
			      "/lib/libc.so.6", "ff");
	fk = profile__function(p, "do_syscall_64", "do_syscall_64",
			       "[kernel.kallsyms]", 0);
	fmain = profile__function(p, "main", "main", "/src/app.c", 10);
	fwork = profile__function(p, "ns::work(int)", "_ZN2ns4workEi",
				  "/src/app.c", -40);
	fpy = profile__function(p, "Worker.run", "run", "/app/w.py", 7);
	fmod = profile__function(p, "<module>", NULL, "/app/m.py", 1);
	fmark = profile__function(p, "[truncated]", "[truncated]", "", 0);
	lk = profile__location(p, km, 0xffffffff81001234ULL, fk, 0,
			       PF_FRAME_KERNEL);
	lmain = profile__location(p, am, 0x555555555100ULL, fmain, 12,
				  PF_FRAME_NATIVE);
	lwork = profile__location(p, am, 0x555555555200ULL, fwork, 44,
				  PF_FRAME_NATIVE);
	lraw = profile__location(p, lm, UINT64_MAX, 0, 0, PF_FRAME_NATIVE);
	lpy = profile__location(p, 0, 0, fpy, 9, PF_FRAME_PYTHON);
	lmod = profile__location(p, 0, 0, fmod, 3, PF_FRAME_PYTHON);
	lmark = profile__location(p, 0, 0, fmark, 0, PF_FRAME_NATIVE);
	lneg = profile__location(p, am, 0x555555555300ULL, fwork, -5,
				 PF_FRAME_NATIVE);
	set1 = profile__labelset(p, ls1, 5);
	set2 = profile__labelset(p, ls2, 2);
	assert_int_equal(profile__status(p), 0);
	assert_int_not_equal(set1, 0);
	assert_int_not_equal(set2, 0);

	st[0] = lk;
	st[1] = lwork;
	st[2] = lmain;
	assert_int_equal(profile__add_sample_ls(p, st, 3, 3, 4242, 4243, "app",
						"app-worker", set1),
			 0);
	st[0] = lraw;
	st[1] = lpy;
	st[2] = lmod;
	st[3] = lmark;
	assert_int_equal(
	    profile__add_sample_ls(p, st, 4, 1, 77, 78, "python3", NULL, set2),
	    0);
	/* pid 0 (idle), no stack, a huge count, no labels. */
	assert_int_equal(
	    profile__add_sample(p, NULL, 0, 1LL << 40, 0, 0, "swapper/0", NULL),
	    0);
	st[0] = lneg;
	st[1] = lneg;
	assert_int_equal(profile__add_sample_ls(p, st, 2, 2, UINT32_MAX,
						UINT32_MAX, NULL, "t", set1),
			 0);
	assert_int_equal(profile__status(p), 0);
	return p;
}

static void assert_same_mapping(const struct profile *a, uint32_t ma,
				const struct profile *b, uint32_t mb)
{
	const struct pf_mapping *x, *y;

	assert_int_equal(!ma, !mb);
	if (!ma)
		return;
	x = &a->mappings[ma - 1];
	y = &b->mappings[mb - 1];
	assert_true(x->start == y->start);
	assert_true(x->limit == y->limit);
	assert_true(x->offset == y->offset);
	assert_string_equal(profile__str(a, x->filename),
			    profile__str(b, y->filename));
	assert_string_equal(profile__str(a, x->build_id),
			    profile__str(b, y->build_id));
}

static void assert_same_function(const struct profile *a, uint32_t fa,
				 const struct profile *b, uint32_t fb)
{
	const struct pf_function *x, *y;

	assert_int_equal(!fa, !fb);
	if (!fa)
		return;
	x = &a->functions[fa - 1];
	y = &b->functions[fb - 1];
	assert_string_equal(profile__str(a, x->name), profile__str(b, y->name));
	assert_string_equal(profile__str(a, x->system_name),
			    profile__str(b, y->system_name));
	assert_string_equal(profile__str(a, x->filename),
			    profile__str(b, y->filename));
	assert_int_equal(x->start_line, y->start_line);
}

static void assert_same_location(const struct profile *a, uint32_t la,
				 const struct profile *b, uint32_t lb)
{
	const struct pf_location *x = &a->locations[la - 1];
	const struct pf_location *y = &b->locations[lb - 1];

	assert_true(x->address == y->address);
	assert_int_equal(x->line, y->line);
	assert_int_equal(x->kind, y->kind);
	assert_same_mapping(a, x->mapping_id, b, y->mapping_id);
	assert_same_function(a, x->function_id, b, y->function_id);
}

static void assert_same_labelset(const struct profile *a, uint32_t sa,
				 const struct profile *b, uint32_t sb)
{
	const struct pf_labelset *x, *y;
	uint32_t i;

	assert_int_equal(!sa, !sb);
	if (!sa)
		return;
	x = &a->labelsets[sa - 1];
	y = &b->labelsets[sb - 1];
	assert_int_equal(x->n, y->n);
	for (i = 0; i < 2 * x->n; i++)
		assert_string_equal(profile__str(a, a->label_kv[x->first + i]),
				    profile__str(b, b->label_kv[y->first + i]));
}

/* Same content, table by table, whatever the ids became. */
static void assert_same_profile(const struct profile *a,
				const struct profile *b)
{
	const struct pf_sample *x, *y;
	size_t i;
	uint32_t k;

	assert_int_equal(a->period_ns, b->period_ns);
	assert_int_equal(a->duration_ns, b->duration_ns);
	assert_int_equal(a->time_ns, b->time_ns);
	assert_int_equal(a->nmappings, b->nmappings);
	assert_int_equal(a->nfunctions, b->nfunctions);
	assert_int_equal(a->nlocations, b->nlocations);
	assert_int_equal(a->nlabelsets, b->nlabelsets);
	assert_int_equal(a->nsamples, b->nsamples);
	for (i = 0; i < a->nsamples; i++) {
		x = &a->samples[i];
		y = &b->samples[i];
		assert_int_equal(x->pid, y->pid);
		assert_int_equal(x->tid, y->tid);
		assert_int_equal(x->count, y->count);
		assert_string_equal(profile__str(a, x->comm),
				    profile__str(b, y->comm));
		assert_string_equal(profile__str(a, x->thread_name),
				    profile__str(b, y->thread_name));
		assert_same_labelset(a, x->labelset, b, y->labelset);
		assert_int_equal(x->nlocs, y->nlocs);
		for (k = 0; k < x->nlocs; k++)
			assert_same_location(
			    a, a->sample_locs[x->first_loc + k], b,
			    b->sample_locs[y->first_loc + k]);
	}
}

static void test_roundtrip(void **state)
{
	struct profile *p = build_full(), *q, *r;
	uint8_t *raw = NULL, *gz;
	size_t rawlen = 0, gzlen;
	char *s1 = NULL, *s2 = NULL;
	size_t n1 = 0, n2 = 0;
	FILE *f;

	(void)state;
	assert_int_equal(pprof_encode(p, &raw, &rawlen), 0);
	q = read_ok(raw, rawlen);
	assert_same_profile(p, q);
	/* Every label of every sample, pairs in key order. */
	assert_string_equal(
	    profile__label(q, q->samples[0].labelset, PF_LABEL_CONTAINER_ID),
	    "c0ffee");
	assert_string_equal(
	    profile__label(q, q->samples[0].labelset, PF_LABEL_QOS_CLASS), "");
	assert_int_equal(q->labelsets[q->samples[0].labelset - 1].n, 4);
	assert_string_equal(profile__label(q, q->samples[1].labelset, "custom"),
			    "v;with\nodd chars");

	/* Gzip as pprof_write writes it decodes the same. */
	gz = gzip_buf(raw, rawlen, &gzlen);
	r = read_ok(gz, gzlen);
	assert_same_profile(p, r);
	profile__free(r);

	/* Re-encoding what we read gives the same folded output. */
	f = open_memstream(&s1, &n1);
	assert_int_equal(folded_write(p, f), 0);
	fclose(f);
	f = open_memstream(&s2, &n2);
	assert_int_equal(folded_write(q, f), 0);
	fclose(f);
	assert_string_equal(s1, s2);

	free(s1);
	free(s2);
	free(gz);
	free(raw);
	profile__free(q);
	profile__free(p);
}

/*
 * Sorted "key count" lines: the profile's content, whatever its order.
 * Samples without a stack are left out: pprof drops them when it writes.
 */
static char **sample_lines(const struct profile *p, size_t *n)
{
	char **lines = calloc(p->nsamples + 1, sizeof(*lines));
	char key[4096];
	size_t i;

	assert_non_null(lines);
	*n = 0;
	for (i = 0; i < p->nsamples; i++) {
		if (!p->samples[i].nlocs)
			continue;
		sample_key(p, &p->samples[i], key, sizeof(key));
		assert_true(asprintf(&lines[(*n)++], "%s %lld", key,
				     (long long)p->samples[i].count) > 0);
	}
	return lines;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Go's pprof parses our file with its own decoder, then writes it with its
 * own encoder (it renumbers and reorders everything); we must read that
 * back to the same samples, labels and frames.
 */
static void test_go_pprof(void **state)
{
	char dir[] = "/tmp/zprofd-pprof-XXXXXX", in[64], out[64], cmd[512];
	struct profile *p = build_full(), *q;
	char **la, **lb;
	size_t na, nb, i, len;
	uint8_t *buf;
	FILE *f;
	long sz;

	(void)state;
	if (system("command -v go >/dev/null 2>&1")) {
		profile__free(p);
		skip(); /* golang-go not installed */
	}
	assert_non_null(mkdtemp(dir));
	snprintf(in, sizeof(in), "%s/in.pb.gz", dir);
	snprintf(out, sizeof(out), "%s/out.pb.gz", dir);
	f = fopen(in, "w");
	assert_non_null(f);
	assert_int_equal(pprof_write(p, f), 0);
	fclose(f);
	/* HOME: pprof keeps its history there; no symbolization, offline. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && HOME=%s PPROF_TMPDIR=%s go tool pprof -proto "
		 "-symbolize=none %s > %s 2>%s/err",
		 dir, dir, dir, in, out, dir);
	assert_int_equal(system(cmd), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	assert_true(sz > 20);
	rewind(f);
	buf = malloc((size_t)sz);
	assert_non_null(buf);
	len = fread(buf, 1, (size_t)sz, f);
	assert_int_equal(len, (size_t)sz);
	fclose(f);

	q = read_ok(buf, len);
	assert_int_equal(q->period_ns, p->period_ns);
	assert_int_equal(q->duration_ns, p->duration_ns);
	assert_int_equal(q->time_ns, p->time_ns);
	la = sample_lines(p, &na);
	lb = sample_lines(q, &nb);
	assert_int_equal(na, 3);
	assert_int_equal(na, nb);
	qsort(la, na, sizeof(*la), cmp_str);
	qsort(lb, nb, sizeof(*lb), cmp_str);
	for (i = 0; i < na; i++) {
		assert_string_equal(la[i], lb[i]);
		free(la[i]);
		free(lb[i]);
	}
	free(la);
	free(lb);
	free(buf);
	profile__free(q);
	profile__free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* ---- a protobuf writer for hand-made messages ---- */

struct wb {
	uint8_t b[8192];
	size_t n;
};

static void w_raw(struct wb *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void w_varint(struct wb *w, uint64_t v)
{
	uint8_t c;

	do {
		c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		w_raw(w, &c, 1);
	} while (v);
}

static void w_uint(struct wb *w, unsigned int field, uint64_t v)
{
	w_varint(w, (uint64_t)field << 3);
	w_varint(w, v);
}

static void w_bytes(struct wb *w, unsigned int field, const void *p, size_t n)
{
	w_varint(w, (uint64_t)field << 3 | 2);
	w_varint(w, n);
	w_raw(w, p, n);
}

static void w_msg(struct wb *w, unsigned int field, const struct wb *m)
{
	w_bytes(w, field, m->b, m->n);
}

static void w_str(struct wb *w, const char *s)
{
	w_bytes(w, 6, s, strlen(s));
}

/*
 * Strings: 0 "", 1 "f", 2 "g", 3 "/bin/x", 4 "pid", 5 "tid", 6 "comm",
 * 7 "x", 8 "k", 9 "v", 10 "bytes", 11 "h".
 */
static void w_strings(struct wb *w)
{
	static const char *const s[] = { "",	"f",   "g",	"/bin/x",
					 "pid", "tid", "comm",	"x",
					 "k",	"v",   "bytes", "h" };
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		w_str(w, s[i]);
}

static void w_function(struct wb *w, uint64_t id, uint64_t name)
{
	struct wb m = { .n = 0 };

	w_uint(&m, 1, id);
	w_uint(&m, 2, name);
	w_uint(&m, 3, name);
	w_msg(w, 5, &m);
}

/*
 * Inlined lines, sparse and reversed ids, unpacked repeated fields, unknown
 * fields of every wire type, labels of every kind, a zero-count sample.
 */
static void test_handmade(void **state)
{
	struct wb w = { .n = 0 }, m, l, ln, lab;
	struct profile *p;
	uint8_t *gz, *two;
	size_t gzlen;
	const struct pf_sample *s;
	const struct pf_location *loc;
	uint64_t fixed = 0x0123456789abcdefULL;
	char key[1024];

	(void)state;
	/* An unknown fixed64 and fixed32 field up front. */
	w_varint(&w, 100 << 3 | 1);
	w_raw(&w, &fixed, 8);
	w_varint(&w, 101 << 3 | 5);
	w_raw(&w, &fixed, 4);
	/* Sample 1: location 900 (two inlined lines) then 7, unpacked. */
	m.n = 0;
	w_uint(&m, 1, 900);
	w_uint(&m, 1, 7);
	w_uint(&m, 2, 5); /* value[0]: the count */
	w_uint(&m, 2, 999);
	lab.n = 0;
	w_uint(&lab, 1, 4); /* pid = 31 */
	w_uint(&lab, 3, 31);
	w_msg(&m, 3, &lab);
	lab.n = 0;
	w_uint(&lab, 1, 6); /* comm = "x" */
	w_uint(&lab, 2, 7);
	w_msg(&m, 3, &lab);
	lab.n = 0;
	w_uint(&lab, 1, 8); /* k = v */
	w_uint(&lab, 2, 9);
	w_msg(&m, 3, &lab);
	lab.n = 0;
	w_uint(&lab, 1, 10); /* numeric "bytes": dropped */
	w_uint(&lab, 3, 4096);
	w_uint(&lab, 4, 10);
	w_msg(&m, 3, &lab);
	lab.n = 0;
	w_uint(&lab, 1, 5); /* tid as a string: ignored */
	w_uint(&lab, 2, 9);
	w_msg(&m, 3, &lab);
	w_uint(&m, 77, 1); /* unknown */
	w_msg(&w, 2, &m);
	/* Sample 2: count 0, dropped. */
	m.n = 0;
	w_uint(&m, 1, 7);
	w_uint(&m, 2, 0);
	w_msg(&w, 2, &m);
	/* Sample 3: packed, with an empty packed value list first. */
	m.n = 0;
	w_bytes(&m, 2, "", 0);
	w_bytes(&m, 1, "\x07\x84\x07", 3); /* 7, 900 */
	w_bytes(&m, 2, "\x02\x03", 2);
	w_msg(&w, 2, &m);
	/* Mapping 42. */
	m.n = 0;
	w_uint(&m, 1, 42);
	w_uint(&m, 2, 0x400000);
	w_uint(&m, 3, 0x500000);
	w_uint(&m, 5, 3);
	w_uint(&m, 7, 1);
	w_msg(&w, 3, &m);
	/* Location 900: mapping 42, lines g (inlined) then f, line 0 col. */
	m.n = 0;
	ln.n = 0;
	w_uint(&ln, 1, 20);
	w_uint(&ln, 2, 11);
	w_uint(&ln, 3, 4); /* column */
	w_msg(&m, 4, &ln);
	ln.n = 0;
	w_uint(&ln, 1, 10);
	w_uint(&ln, 2, 22);
	w_msg(&m, 4, &ln);
	w_uint(&m, 1, 900); /* id after the lines */
	w_uint(&m, 2, 42);
	w_uint(&m, 3, 0x401000);
	w_msg(&w, 4, &m);
	/* Location 7: no line, no mapping. */
	l.n = 0;
	w_uint(&l, 1, 7);
	w_uint(&l, 3, 0x1234);
	w_msg(&w, 4, &l);
	/* Functions 20 and 10, sparse and in reverse. */
	w_function(&w, 20, 2);
	w_function(&w, 10, 1);
	w_strings(&w);
	w_uint(&w, 12, 1000); /* period */
	w_uint(&w, 9, 5);     /* time */

	p = read_ok(w.b, w.n);
	assert_int_equal(p->period_ns, 1000);
	assert_int_equal(p->time_ns, 5);
	assert_int_equal(p->nsamples, 2);
	/* 900 became two model locations, innermost (g) first. */
	assert_int_equal(p->nlocations, 3);
	s = &p->samples[0];
	assert_int_equal(s->count, 5);
	assert_int_equal(s->pid, 31);
	assert_int_equal(s->tid, 0);
	assert_string_equal(profile__str(p, s->comm), "x");
	assert_string_equal(profile__label(p, s->labelset, "k"), "v");
	assert_int_equal(p->labelsets[s->labelset - 1].n, 1);
	assert_int_equal(s->nlocs, 3);
	loc = &p->locations[p->sample_locs[s->first_loc] - 1];
	assert_string_equal(
	    profile__str(p, p->functions[loc->function_id - 1].name), "g");
	assert_int_equal(loc->line, 11);
	assert_true(loc->address == 0x401000);
	assert_string_equal(
	    profile__str(p, p->mappings[loc->mapping_id - 1].filename),
	    "/bin/x");
	loc = &p->locations[p->sample_locs[s->first_loc + 1] - 1];
	assert_string_equal(
	    profile__str(p, p->functions[loc->function_id - 1].name), "f");
	assert_int_equal(loc->line, 22);
	loc = &p->locations[p->sample_locs[s->first_loc + 2] - 1];
	assert_int_equal(loc->function_id, 0);
	assert_int_equal(loc->mapping_id, 0);
	assert_true(loc->address == 0x1234);
	s = &p->samples[1];
	assert_int_equal(s->count, 2);
	assert_int_equal(s->nlocs, 3);
	assert_int_equal(s->labelset, 0);
	sample_key(p, s, key, sizeof(key));
	assert_string_equal(key, "0/0//||[unknown]+0x1234|g|f");
	profile__free(p);

	/* Two gzip members in a row are one stream (RFC 1952). */
	gz = gzip_buf(w.b, w.n / 2, &gzlen);
	two = malloc(gzlen + w.n + 64);
	assert_non_null(two);
	memcpy(two, gz, gzlen);
	free(gz);
	{
		size_t g2;
		uint8_t *b2 = gzip_buf(w.b + w.n / 2, w.n - w.n / 2, &g2);

		memcpy(two + gzlen, b2, g2);
		gzlen += g2;
		free(b2);
	}
	p = read_ok(two, gzlen);
	assert_int_equal(p->nsamples, 2);
	profile__free(p);
	free(two);
}

/* A minimal valid message with one sample, for the malformed cases. */
static void w_minimal(struct wb *w, uint64_t loc_ref, uint64_t str_ref)
{
	struct wb m = { .n = 0 }, l = { .n = 0 }, lab = { .n = 0 };

	w_uint(&m, 1, loc_ref);
	w_uint(&m, 2, 1);
	w_uint(&lab, 1, 6);
	w_uint(&lab, 2, str_ref);
	w_msg(&m, 3, &lab);
	w_msg(w, 2, &m);
	w_uint(&l, 1, 1);
	w_uint(&l, 3, 0x10);
	w_msg(w, 4, &l);
	w_strings(w);
}

static void test_malformed(void **state)
{
	struct wb w = { .n = 0 }, m = { .n = 0 };
	struct profile *p = build_full(), *q;
	uint8_t *raw = NULL, *gz, *big;
	size_t rawlen = 0, gzlen, i;
	struct pprof_read_opts o = { .max_bytes = 64 * 1024 };
	int rc;

	(void)state;
	/* Arguments. */
	assert_int_equal(pprof__read(NULL, "", 0), -EINVAL);
	q = profile__new();
	assert_non_null(q);
	assert_int_equal(pprof__read(q, NULL, 1), -EINVAL);
	profile__string(q, "used");
	assert_int_equal(pprof__read(q, "", 0), -EINVAL); /* not fresh */
	profile__free(q);
	/* Empty message: no string table. */
	assert_int_equal(read_rc("", 0), -EBADMSG);

	w_minimal(&w, 1, 7);
	q = read_ok(w.b, w.n);
	profile__free(q);
	w.n = 0;
	w_minimal(&w, 2, 7); /* no location 2 */
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	w.n = 0;
	w_minimal(&w, 1, 12); /* no string 12 */
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	w.n = 0;
	w_minimal(&w, 1, UINT64_MAX); /* string -1 */
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	w.n = 0;
	w_minimal(&w, 0, 7); /* location 0 */
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);

	/* string_table[0] must be "". */
	w.n = 0;
	w_str(&w, "x");
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	/* A duplicate location id; a location id 0. */
	w.n = 0;
	w_minimal(&w, 1, 7);
	m.n = 0;
	w_uint(&m, 1, 1);
	w_msg(&w, 4, &m);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	w.n = 0;
	w_minimal(&w, 1, 7);
	m.n = 0;
	w_uint(&m, 3, 5);
	w_msg(&w, 4, &m);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	/* A location on a mapping that does not exist. */
	w.n = 0;
	w_minimal(&w, 1, 7);
	m.n = 0;
	w_uint(&m, 1, 2);
	w_uint(&m, 2, 9);
	w_msg(&w, 4, &m);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	/* A line on a function that does not exist. */
	w.n = 0;
	w_minimal(&w, 1, 7);
	m.n = 0;
	w_uint(&m, 1, 2);
	{
		struct wb ln = { .n = 0 };

		w_uint(&ln, 1, 3);
		w_msg(&m, 4, &ln);
	}
	w_msg(&w, 4, &m);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	/* A known field with the wrong wire type. */
	w.n = 0;
	w_strings(&w);
	w_bytes(&w, 9, "x", 1);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	w.n = 0;
	w_strings(&w);
	w_uint(&w, 6, 1);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	/* A group, an 11-byte varint, a 10th byte over 1, field number 0. */
	w.n = 0;
	w_strings(&w);
	w_varint(&w, 20 << 3 | 3);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	w.n = 0;
	w_strings(&w);
	w_varint(&w, 9 << 3);
	w_raw(&w, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	w.n = 0;
	w_strings(&w);
	w_varint(&w, 9 << 3);
	w_raw(&w, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	w.n = 0;
	w_strings(&w);
	w_varint(&w, 9 << 3);
	w_raw(&w, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
	q = read_ok(w.b, w.n);
	assert_int_equal(q->time_ns, -1);
	profile__free(q);
	w.n = 0;
	w_strings(&w);
	w_raw(&w, "\x00\x00", 2);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	/* A length past the end, at the top and nested. */
	w.n = 0;
	w_strings(&w);
	w_raw(&w, "\x12\x05\x08", 3);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	w.n = 0;
	w_strings(&w);
	w_raw(&w, "\x12\x02\x1a\x05", 4);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	/* A truncated packed varint. */
	w.n = 0;
	w_minimal(&w, 1, 7);
	w_raw(&w, "\x12\x03\x0a\x01\x81", 5);
	assert_int_equal(read_rc(w.b, w.n), -EBADMSG);
	/* More labels than a set holds. */
	w.n = 0;
	w_strings(&w);
	m.n = 0;
	w_uint(&m, 2, 1);
	for (i = 0; i <= PF_LABELSET_MAX; i++) {
		struct wb lab = { .n = 0 };

		w_uint(&lab, 1, 8);
		w_uint(&lab, 2, 9 + i % 3);
		w_msg(&m, 3, &lab);
	}
	w_msg(&w, 2, &m);
	assert_int_equal(read_rc(w.b, w.n), -EFBIG);

	/* Every truncation of a real message: an error or a prefix. */
	assert_int_equal(pprof_encode(p, &raw, &rawlen), 0);
	for (i = 0; i < rawlen; i++) {
		q = profile__new();
		assert_non_null(q);
		rc = pprof__read(q, raw, i);
		assert_true(rc == 0 || rc == -EBADMSG);
		profile__free(q);
	}
	/* Every truncation of its gzip, and every flipped trailer byte. */
	gz = gzip_buf(raw, rawlen, &gzlen);
	for (i = 2; i < gzlen; i++)
		assert_int_equal(read_rc(gz, i), -EBADMSG);
	for (i = gzlen - 8; i < gzlen; i++) {
		gz[i] ^= 0x40;
		assert_int_equal(read_rc(gz, gzlen), -EBADMSG);
		gz[i] ^= 0x40;
	}
	gz[gzlen / 2] ^= 0x01; /* the deflate stream or the CRC notices */
	assert_int_equal(read_rc(gz, gzlen), -EBADMSG);
	gz[gzlen / 2] ^= 0x01;
	/* Trailing garbage after the member. */
	big = malloc(gzlen + 4);
	assert_non_null(big);
	memcpy(big, gz, gzlen);
	memcpy(big + gzlen, "junk", 4);
	assert_int_equal(read_rc(big, gzlen + 4), -EBADMSG);
	free(big);
	q = read_ok(gz, gzlen);
	profile__free(q);
	free(gz);

	/* The size limit: raw, and a gzip bomb. */
	q = profile__new();
	assert_non_null(q);
	o.max_bytes = rawlen - 1;
	assert_int_equal(pprof__read_opts(q, raw, rawlen, &o), -EFBIG);
	profile__free(q);
	big = calloc(1, 1 << 20);
	assert_non_null(big);
	gz = gzip_buf(big, 1 << 20, &gzlen);
	assert_true(gzlen < (1 << 20) / 64);
	q = profile__new();
	assert_non_null(q);
	o.max_bytes = 64 * 1024;
	assert_int_equal(pprof__read_opts(q, gz, gzlen, &o), -EFBIG);
	profile__free(q);
	/* Within the limit it inflates, then fails as zeros: field 0. */
	assert_int_equal(read_rc(gz, gzlen), -EBADMSG);
	free(gz);
	free(big);

	free(raw);
	profile__free(p);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Daemon-sized window: prints the decode speed as a TAP comment. */
static void test_speed(void **state)
{
	enum { NFUNC = 20000, NSAMP = 100000, DEPTH = 32 };
	static const struct pf_label lab[] = {
		{ PF_LABEL_CONTAINER_ID, "abc" },
		{ PF_LABEL_POD_UID, "pod" },
	};
	struct profile *p = profile__new(), *q;
	uint32_t *locs, st[DEPTH], m, f, i, k, set;
	uint8_t *raw = NULL, *gz;
	size_t rawlen = 0, gzlen;
	char name[32];
	double t0, t1, t2;

	(void)state;
	assert_non_null(p);
	locs = calloc(NFUNC, sizeof(*locs));
	assert_non_null(locs);
	m = profile__mapping(p, 0x400000, 0x800000, 0, "/bin/big", "aa");
	for (i = 0; i < NFUNC; i++) {
		snprintf(name, sizeof(name), "function_number_%u", i);
		f = profile__function(p, name, name, "/src/big.c", i);
		locs[i] = profile__location(p, m, 0x400000 + i * 16, f, i,
					    PF_FRAME_NATIVE);
	}
	set = profile__labelset(p, lab, 2);
	for (i = 0; i < NSAMP; i++) {
		for (k = 0; k < DEPTH; k++)
			st[k] = locs[(i * 7919u + k * 104729u) % NFUNC];
		assert_int_equal(profile__add_sample_ls(p, st, DEPTH, 1 + i % 5,
							1000 + i % 50, i % 500,
							"big", "worker", set),
				 0);
	}
	assert_int_equal(pprof_encode(p, &raw, &rawlen), 0);
	gz = gzip_buf(raw, rawlen, &gzlen);
	t0 = now_s();
	q = read_ok(raw, rawlen);
	t1 = now_s();
	assert_int_equal(q->nsamples, NSAMP);
	profile__free(q);
	q = read_ok(gz, gzlen);
	t2 = now_s();
	profile__free(q);
	fprintf(stderr,
		"# pprof__read: %.1f MB raw in %.3f s (%.0f MB/s); %.1f MB "
		"gzip in %.3f s (%.0f MB/s of message)\n",
		rawlen / 1e6, t1 - t0, rawlen / 1e6 / (t1 - t0), gzlen / 1e6,
		t2 - t1, rawlen / 1e6 / (t2 - t1));
	free(gz);
	free(raw);
	free(locs);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_go_pprof),
		cmocka_unit_test(test_handmade),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
