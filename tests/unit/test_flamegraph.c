// SPDX-License-Identifier: BSD-2-Clause
/*
 * Flame graph SVG: well-formed XML (checked by python3's parser when it is
 * installed, and structurally always), one frame per distinct path with
 * widths proportional to samples, escaping of markup and invalid UTF-8,
 * the empty case, omission of sub-pixel frames, deep stacks and -EIO on a
 * failing stream.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "output.h"
#include "profile.h"

struct frame {
	char name[512];
	long long s, n;
	double x, w;
	unsigned int y;
	char fill[8];
	bool has_text;
	char text[512];
};

struct svg {
	char *buf;
	size_t len;
	struct frame *frames;
	size_t nframes;
	double scale; /* data-w / data-total */
};

static uint64_t next_addr = 0x1000;

static uint32_t loc(struct profile *p, const char *name,
		    enum pf_frame_kind kind)
{
	uint32_t fn = profile__function(p, name, name, "app.py", 1);

	return profile__location(p, 0, next_addr++, fn,
				 kind == PF_FRAME_PYTHON ? 7 : 0, kind);
}

/* Adds a stack given root first (as one reads it); the profile wants leaf
 * first. */
static void add(struct profile *p, const char *comm, int64_t count, int n,
		const uint32_t *root_first)
{
	uint32_t leaf_first[1024];

	assert_true(n <= 1024);
	for (int i = 0; i < n; i++)
		leaf_first[i] = root_first[n - 1 - i];
	assert_int_equal(profile__add_sample(p, leaf_first, (uint32_t)n, count,
					     1, 1, comm, comm),
			 0);
}

/* Copies the XML text between from and the next '<', entities left as they
 * are, stopping at stop when given. */
static void copy_text(char *dst, size_t size, const char *from, char stop)
{
	size_t i = 0;

	while (from[i] && from[i] != '<' && from[i] != stop && i + 1 < size) {
		dst[i] = from[i];
		i++;
	}
	dst[i] = '\0';
}

static void parse_frames(struct svg *s)
{
	const char *g = strstr(s->buf, "<g id=\"frames\"");
	long long total;
	double w;
	size_t cap = 0;

	if (!g)
		return;
	assert_int_equal(sscanf(g,
				"<g id=\"frames\" data-total=\"%lld\" "
				"data-x=\"10\" data-w=\"%lf\"",
				&total, &w),
			 2);
	s->scale = w / (double)total;
	while ((g = strstr(g + 1, "<g data-s="))) {
		struct frame *f;
		const char *r, *t, *end = strstr(g, "</g>");

		assert_non_null(end);
		if (s->nframes == cap) {
			cap = cap ? cap * 2 : 64;
			s->frames =
			    realloc(s->frames, cap * sizeof(*s->frames));
			assert_non_null(s->frames);
		}
		f = &s->frames[s->nframes++];
		memset(f, 0, sizeof(*f));
		assert_int_equal(sscanf(g,
					"<g data-s=\"%lld\" data-n=\"%lld\">",
					&f->s, &f->n),
				 2);
		t = strstr(g, "<title>");
		assert_non_null(t);
		copy_text(f->name, sizeof(f->name), t + 7, '\n');
		r = strstr(g, "<rect ");
		assert_non_null(r);
		assert_int_equal(
		    sscanf(r,
			   "<rect x=\"%lf\" y=\"%u\" width=\"%lf\" "
			   "height=\"15\" fill=\"%7s\"",
			   &f->x, &f->y, &f->w, f->fill),
		    4);
		t = strstr(g, "<text ");
		if (t && t < end) {
			f->has_text = true;
			copy_text(f->text, sizeof(f->text), strchr(t, '>') + 1,
				  0);
		}
	}
}

static void render(const struct profile *p, const struct flamegraph_opts *o,
		   struct svg *s)
{
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = open_memstream(&s->buf, &s->len);
	assert_non_null(f);
	assert_int_equal(flamegraph_write(p, o, f), 0);
	assert_int_equal(fclose(f), 0);
	parse_frames(s);
}

static void svg_free(struct svg *s)
{
	free(s->buf);
	free(s->frames);
}

static const struct frame *find(const struct svg *s, const char *name)
{
	for (size_t i = 0; i < s->nframes; i++)
		if (!strcmp(s->frames[i].name, name))
			return &s->frames[i];
	return NULL;
}

static size_t count_name(const struct svg *s, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nframes; i++)
		n += !strcmp(s->frames[i].name, name);
	return n;
}

/*
 * A real XML parser's verdict. Skipped when python3 is missing; the
 * structural checks in every test still run.
 */
static void assert_xml(const struct svg *s)
{
	char path[] = "/tmp/test_flamegraph_XXXXXX";
	char cmd[256];
	int fd = mkstemp(path);
	int status;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s->buf, s->len), (ssize_t)s->len);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys, xml.etree.ElementTree as E; "
		 "E.parse(sys.argv[1])' %s",
		 path);
	status = system(cmd);
	unlink(path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Invariants of every frame: on the grid, inside the chart, proportional. */
static void assert_geometry(const struct svg *s)
{
	for (size_t i = 0; i < s->nframes; i++) {
		const struct frame *f = &s->frames[i];

		assert_true(f->n > 0);
		assert_true(fabs(f->w - (double)f->n * s->scale) < 0.011);
		assert_true(fabs(f->x - 10 - (double)f->s * s->scale) < 0.011);
		assert_int_equal(f->fill[0], '#');
	}
}

static void test_tree_and_widths(void **state)
{
	struct profile *p = profile__new();
	uint32_t mn, a, b, c, d;
	const struct frame *fa, *fb, *fc, *fd, *fm;
	struct svg s;

	(void)state;
	assert_non_null(p);
	mn = loc(p, "main", PF_FRAME_NATIVE);
	a = loc(p, "a", PF_FRAME_NATIVE);
	b = loc(p, "b", PF_FRAME_NATIVE);
	c = loc(p, "c", PF_FRAME_NATIVE);
	d = loc(p, "d", PF_FRAME_NATIVE);
	add(p, "app", 3, 3, (uint32_t[]){ mn, a, b });
	add(p, "app", 2, 3, (uint32_t[]){ mn, a, c });
	add(p, "app", 5, 2, (uint32_t[]){ mn, d });
	add(p, "app", 10, 1, (uint32_t[]){ mn });
	render(p, NULL, &s);
	assert_xml(&s);
	assert_geometry(&s);
	/* all, app, main, a, b, c, d */
	assert_int_equal(s.nframes, 7);
	assert_non_null(strstr(s.buf, "CPU flame graph"));
	assert_non_null(strstr(s.buf, "20 samples"));
	assert_string_equal(s.frames[0].name, "all");
	assert_int_equal(s.frames[0].n, 20);
	assert_int_equal(find(&s, "app")->n, 20);
	fm = find(&s, "main");
	fa = find(&s, "a");
	fb = find(&s, "b");
	fc = find(&s, "c");
	fd = find(&s, "d");
	assert_int_equal(fm->n, 20);
	assert_int_equal(fa->n, 5);
	assert_int_equal(fb->n, 3);
	assert_int_equal(fc->n, 2);
	assert_int_equal(fd->n, 5);
	/* root at the bottom: a child sits one row above its parent */
	assert_int_equal(fa->y + 16, fm->y);
	assert_int_equal(fb->y + 16, fa->y);
	assert_int_equal(fd->y, fa->y);
	/* siblings in name order, children packed from the parent's left */
	assert_true(fa->x < fd->x);
	assert_true(fabs(fa->x - fm->x) < 0.011);
	assert_true(fabs(fc->x - (fb->x + fb->w)) < 0.011);
	/* widths proportional to counts */
	assert_true(fabs(fd->w / fm->w - 0.25) < 1e-3);
	assert_true(fabs(fb->w / fc->w - 1.5) < 1e-3);
	svg_free(&s);
	profile__free(p);
}

static void test_merge_identical_paths(void **state)
{
	struct profile *p = profile__new();
	uint32_t mn, mn2, f, g;
	struct svg s;

	(void)state;
	assert_non_null(p);
	mn = loc(p, "main", PF_FRAME_NATIVE);
	/* a second location (another address) of the same function */
	mn2 = loc(p, "main", PF_FRAME_NATIVE);
	f = loc(p, "work", PF_FRAME_NATIVE);
	g = loc(p, "work", PF_FRAME_NATIVE);
	assert_int_not_equal(mn, mn2);
	add(p, "app", 4, 2, (uint32_t[]){ mn, f });
	add(p, "app", 6, 2, (uint32_t[]){ mn2, g });
	add(p, "app", 1, 2, (uint32_t[]){ mn, f });
	/* same function under another process stays a separate frame */
	add(p, "other", 2, 2, (uint32_t[]){ mn, f });
	render(p, NULL, &s);
	assert_xml(&s);
	assert_geometry(&s);
	/* all, app, app/main, app/main/work, other, other/main, .../work */
	assert_int_equal(s.nframes, 7);
	assert_int_equal(count_name(&s, "main"), 2);
	assert_int_equal(count_name(&s, "work"), 2);
	assert_int_equal(find(&s, "app")->n, 11);
	assert_int_equal(find(&s, "main")->n, 11);
	assert_int_equal(find(&s, "work")->n, 11);
	assert_int_equal(find(&s, "other")->n, 2);
	/* the same name always gets the same colour */
	for (size_t i = 0; i < s.nframes; i++)
		if (!strcmp(s.frames[i].name, "work"))
			assert_string_equal(s.frames[i].fill,
					    find(&s, "work")->fill);
	svg_free(&s);
	profile__free(p);
}

static void test_escaping(void **state)
{
	struct profile *p = profile__new();
	struct flamegraph_opts o = { .title = "t<&>\"'",
				     .subtitle = "sub\xff" };
	uint32_t l1, l2;
	struct svg s;

	(void)state;
	assert_non_null(p);
	l1 = loc(p, "op<&\">'<b>", PF_FRAME_NATIVE);
	/* a stray continuation byte, a truncated sequence, an overlong '/'
	 * and a surrogate (profile__frame_label already turns controls into
	 * '?'; the comm below carries one straight through) */
	l2 = loc(p, "bad\x80x\xe2\x82y\xc0\xafz\xed\xa0\x80w\x1b!",
		 PF_FRAME_NATIVE);
	add(p, "a&b<c>", 5, 2, (uint32_t[]){ l1, l2 });
	add(p, "\xfe\xff\x1b", 5, 0, NULL);
	render(p, &o, &s);
	assert_xml(&s);
	assert_geometry(&s);
	assert_int_equal(s.nframes, 5);
	assert_non_null(find(&s, "op&lt;&amp;&quot;&gt;&#39;&lt;b&gt;"));
	assert_non_null(find(&s, "a&amp;b&lt;c&gt;"));
	assert_non_null(find(&s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
	assert_non_null(find(&s, "bad\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbdy"
				 "\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef"
				 "\xbf\xbd\xef\xbf\xbdw?!"));
	assert_non_null(strstr(s.buf, ">t&lt;&amp;&gt;&quot;&#39;</text>"));
	assert_non_null(strstr(s.buf, ">sub\xef\xbf\xbd</text>"));
	/* nothing raw got through */
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.buf[i];

		assert_true(c != 0xff && c != 0xfe && c != 0x80 && c != 0x1b);
	}
	svg_free(&s);
	profile__free(p);
}

static void test_kinds_and_truncation(void **state)
{
	struct profile *p = profile__new();
	char longname[300];
	uint32_t k, py, nat, lng, cpp;
	const struct frame *fk, *fp, *fl, *fc;
	struct svg s;
	unsigned int r, g, b;

	(void)state;
	assert_non_null(p);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	k = loc(p, "do_syscall_64", PF_FRAME_KERNEL);
	py = loc(p, "handler", PF_FRAME_PYTHON);
	nat = loc(p, "memcpy", PF_FRAME_NATIVE);
	lng = loc(p, longname, PF_FRAME_NATIVE);
	cpp = loc(p, "apply(int (*)(int))", PF_FRAME_NATIVE);
	add(p, "app", 10, 1, &cpp);
	add(p, "app", 10, 2, (uint32_t[]){ py, k });
	add(p, "app", 10, 2, (uint32_t[]){ nat, lng });
	render(p, NULL, &s);
	assert_xml(&s);
	fk = find(&s, "do_syscall_64_[k]");
	fp = find(&s, "handler (app.py:7)");
	fl = find(&s, longname);
	assert_non_null(fk);
	assert_non_null(fp);
	assert_non_null(fl);
	/* kernel frames are blue-ish, Python green-ish */
	assert_int_equal(sscanf(fk->fill, "#%2x%2x%2x", &r, &g, &b), 3);
	assert_true(b > r);
	assert_int_equal(sscanf(fp->fill, "#%2x%2x%2x", &r, &g, &b), 3);
	assert_true(g > r && g > b);
	/* native frames are warm, parentheses in a signature or not */
	fc = find(&s, "apply(int (*)(int))");
	assert_non_null(fc);
	assert_int_equal(sscanf(fc->fill, "#%2x%2x%2x", &r, &g, &b), 3);
	assert_true(r >= g && r > b);
	/* a label that does not fit ends in ".." and fits its rect */
	assert_true(fl->has_text);
	assert_true(strlen(fl->text) < strlen(longname));
	assert_string_equal(fl->text + strlen(fl->text) - 2, "..");
	assert_true(strlen(fl->text) * 7.25 <= fl->w - 6);
	svg_free(&s);
	profile__free(p);
}

static void test_no_samples(void **state)
{
	struct profile *p = profile__new();
	uint32_t l;
	struct svg s;

	(void)state;
	assert_non_null(p);
	render(p, &(struct flamegraph_opts){ .title = "idle" }, &s);
	assert_xml(&s);
	assert_int_equal(s.nframes, 0);
	assert_non_null(strstr(s.buf, "no samples"));
	assert_non_null(strstr(s.buf, ">idle</text>"));
	assert_non_null(strstr(s.buf, "</svg>"));
	svg_free(&s);
	/* samples that carry no weight are no samples either */
	l = loc(p, "main", PF_FRAME_NATIVE);
	add(p, "app", 1, 1, &l);
	p->samples[0].count = 0;
	render(p, NULL, &s);
	assert_xml(&s);
	assert_int_equal(s.nframes, 0);
	assert_non_null(strstr(s.buf, "no samples"));
	assert_non_null(strstr(s.buf, "CPU flame graph"));
	svg_free(&s);
	profile__free(p);
}

/* Frames under 0.1 px are left out, and the header says how many. */
static void test_tiny_frames_omitted(void **state)
{
	struct profile *p = profile__new();
	uint32_t big = 0, tiny;
	char name[32];
	struct svg s;

	(void)state;
	assert_non_null(p);
	big = loc(p, "big", PF_FRAME_NATIVE);
	add(p, "app", 1000000, 1, &big);
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "tiny%d", i);
		tiny = loc(p, name, PF_FRAME_NATIVE);
		add(p, "app", 1, 2, (uint32_t[]){ big, tiny });
	}
	render(p, NULL, &s);
	assert_xml(&s);
	assert_geometry(&s);
	/* all, app, big */
	assert_int_equal(s.nframes, 3);
	assert_int_equal(find(&s, "big")->n, 1000100);
	assert_non_null(strstr(s.buf, "1,000,100 samples, 100 frames "
				      "narrower than 0.1 px omitted"));
	svg_free(&s);
	profile__free(p);
}

static void test_deep_stack(void **state)
{
	struct profile *p = profile__new();
	uint32_t stack[1000];
	char name[32];
	struct svg s;

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		stack[i] = loc(p, name, PF_FRAME_NATIVE);
	}
	add(p, "deep", 3, 1000, stack);
	add(p, "deep", 1, 600, stack);
	render(p, &(struct flamegraph_opts){ .width = 800 }, &s);
	assert_xml(&s);
	assert_geometry(&s);
	assert_int_equal(s.nframes, 1002);
	assert_int_equal(find(&s, "f599")->n, 4);
	assert_int_equal(find(&s, "f600")->n, 3);
	assert_int_equal(find(&s, "f999")->y + 16 * 999, find(&s, "f0")->y);
	assert_non_null(strstr(s.buf, "width=\"800\""));
	svg_free(&s);
	profile__free(p);
}

static void test_stream_error(void **state)
{
	struct profile *p = profile__new();
	uint32_t l;
	FILE *f;

	(void)state;
	assert_non_null(p);
	l = loc(p, "main", PF_FRAME_NATIVE);
	add(p, "app", 1, 1, &l);
	f = fopen("/dev/full", "w");
	if (!f) {
		profile__free(p);
		skip();
	}
	assert_int_equal(flamegraph_write(p, NULL, f), -EIO);
	fclose(f);
	/* the empty graph goes through the same check */
	profile__free(p);
	p = profile__new();
	assert_non_null(p);
	f = fopen("/dev/full", "w");
	assert_non_null(f);
	assert_int_equal(flamegraph_write(p, NULL, f), -EIO);
	fclose(f);
	profile__free(p);
}

static void test_invalid_args(void **state)
{
	struct profile *p = profile__new();
	uint32_t l;
	char *buf = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_non_null(p);
	assert_int_equal(flamegraph_write(NULL, NULL, stdout), -EINVAL);
	assert_int_equal(flamegraph_write(p, NULL, NULL), -EINVAL);
	l = loc(p, "main", PF_FRAME_NATIVE);
	add(p, "app", INT64_MAX / 2 + 1, 1, &l);
	add(p, "app", INT64_MAX / 2 + 1, 1, &l);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	/* counts whose sum does not fit */
	assert_int_equal(flamegraph_write(p, NULL, f), -EOVERFLOW);
	/* a sample pointing past sample_locs */
	p->samples[0].count = p->samples[1].count = 1;
	p->samples[1].nlocs = 2;
	assert_int_equal(flamegraph_write(p, NULL, f), -EINVAL);
	/* and nothing was written either time */
	assert_int_equal(fflush(f), 0);
	assert_int_equal(len, 0);
	fclose(f);
	free(buf);
	profile__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_and_widths),
		cmocka_unit_test(test_merge_identical_paths),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_kinds_and_truncation),
		cmocka_unit_test(test_no_samples),
		cmocka_unit_test(test_tiny_frames_omitted),
		cmocka_unit_test(test_deep_stack),
		cmocka_unit_test(test_stream_error),
		cmocka_unit_test(test_invalid_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
