// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the metrics registry and its Prometheus text rendering:
 * exact output (ordering, families, escaping, number formats), validation
 * at registration, value conversions, the render bound, collectors, the
 * process self-metrics, concurrent updates during renders, and the whole
 * exposition checked by `promtool check metrics` (required: the test fails
 * when promtool is missing, apt-get install prometheus provides it).
 */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.h"

static struct metrics *new_registry(void)
{
	int err = 0;
	struct metrics *r = metrics__new(&err);

	assert_non_null(r);
	return r;
}

static char *render(struct metrics *r)
{
	size_t len;
	char *out;

	assert_int_equal(metrics__render(r, METRICS_RENDER_MAX, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	return out;
}

static struct metric_family *family(struct metrics *r,
				    const struct metric_desc *d)
{
	int err = 0;
	struct metric_family *f = metrics__family(r, d, &err);

	if (!f)
		fail_msg("family %s: %s", d->name, strerror(-err));
	return f;
}

static struct metric *child(struct metric_family *f, const char *a,
			    const char *b)
{
	const char *values[] = { a, b };
	int err = 0;
	struct metric *m = metric_family__child(f, values, &err);

	assert_non_null(m);
	return m;
}

static void test_format(void **state)
{
	struct metrics *r = new_registry();
	struct metric_desc lost = {
		.name = "zprofd_samples_lost_total",
		.help = "Samples lost before aggregation, by reason.",
		.type = METRIC_COUNTER,
		.labels = { "reason" },
	};
	struct metric_desc cpu = {
		.name = "zprofd_cpu_seconds",
		.help = "Seconds.",
		.type = METRIC_GAUGE,
		.fractional = true,
		.labels = { "cpu", "mode" },
	};
	struct metric_desc unused = {
		.name = "zprofd_unused_total",
		.help = "No children yet.",
		.type = METRIC_COUNTER,
		.labels = { "x" },
	};
	struct metric_family *f;
	struct metric *m;
	char *out;
	int err = 0;

	(void)state;
	m = metrics__counter(r, "zprofd_samples_total", "Samples taken.", &err);
	metric_set(m, 42);
	metric_add(m, 8);
	metric_set(metrics__gauge(r, "zprofd_targets", "Targets.", &err), 3);
	f = family(r, &lost);
	metric_set(child(f, "ringbuf", NULL), 5);
	metric_set(child(f, "perf", NULL), 1);
	/* asking again gives the same child */
	assert_ptr_equal(child(f, "ringbuf", NULL), child(f, "ringbuf", NULL));
	f = family(r, &cpu);
	metric_set_double(child(f, "1", "user"), 0.25);
	metric_set_double(child(f, "0", "user"), 1.5);
	family(r, &unused);
	out = render(r);
	assert_string_equal(
	    out, "# HELP zprofd_cpu_seconds Seconds.\n"
		 "# TYPE zprofd_cpu_seconds gauge\n"
		 "zprofd_cpu_seconds{cpu=\"0\",mode=\"user\"} 1.5\n"
		 "zprofd_cpu_seconds{cpu=\"1\",mode=\"user\"} 0.25\n"
		 "# HELP zprofd_samples_lost_total Samples lost before "
		 "aggregation, by reason.\n"
		 "# TYPE zprofd_samples_lost_total counter\n"
		 "zprofd_samples_lost_total{reason=\"perf\"} 1\n"
		 "zprofd_samples_lost_total{reason=\"ringbuf\"} 5\n"
		 "# HELP zprofd_samples_total Samples taken.\n"
		 "# TYPE zprofd_samples_total counter\n"
		 "zprofd_samples_total 50\n"
		 "# HELP zprofd_targets Targets.\n"
		 "# TYPE zprofd_targets gauge\n"
		 "zprofd_targets 3\n");
	free(out);
	metrics__free(r);
}

static void test_escaping(void **state)
{
	struct metrics *r = new_registry();
	struct metric_desc d = {
		.name = "esc",
		.help = "back\\slash \"quoted\"\nsecond line",
		.type = METRIC_GAUGE,
		.labels = { "v" },
	};
	struct metric_family *f = family(r, &d);
	const char *bad[] = { "\xff" };
	const char *overlong[] = { "\xc0\xaf" };
	const char *surrogate[] = { "\xed\xa0\x80" };
	const char *truncated[] = { "\xe2\x82" };
	char *out;
	int err;

	(void)state;
	child(f, "a\\b\"c\nd", NULL);
	child(f, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5", NULL);
	out = render(r);
	assert_string_equal(
	    out, "# HELP esc back\\\\slash \"quoted\"\\nsecond line\n"
		 "# TYPE esc gauge\n"
		 "esc{v=\"a\\\\b\\\"c\\nd\"} 0\n"
		 "esc{v=\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5\"} 0\n");
	free(out);
	err = 0;
	assert_null(metric_family__child(f, bad, &err));
	assert_int_equal(err, -EINVAL);
	assert_null(metric_family__child(f, overlong, &err));
	assert_null(metric_family__child(f, surrogate, &err));
	assert_null(metric_family__child(f, truncated, &err));
	assert_null(metric_family__child(f, NULL, &err));
	metrics__free(r);
}

static void test_validation(void **state)
{
	static const char *const bad_names[] = {
		"", "0abc", "a-b", "a b", "a.b", "é", NULL,
	};
	static const char *const bad_labels[] = {
		"", "0a", "a-b", "__reserved", "a:b", NULL,
	};
	struct metrics *r = new_registry();
	struct metric_desc d = { .help = "h", .type = METRIC_GAUGE };
	char longname[METRICS_MAX_NAME + 2];
	int err, i;

	(void)state;
	for (i = 0; bad_names[i]; i++) {
		d.name = bad_names[i];
		err = 0;
		if (metrics__family(r, &d, &err) || err != -EINVAL)
			fail_msg("accepted name '%s'", bad_names[i]);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	d.name = longname;
	assert_null(metrics__family(r, &d, &err));
	d.name = "ok_name:with_colon";
	for (i = 0; bad_labels[i]; i++) {
		d.labels[0] = bad_labels[i];
		err = 0;
		if (metrics__family(r, &d, &err) || err != -EINVAL)
			fail_msg("accepted label '%s'", bad_labels[i]);
	}
	d.labels[0] = "a";
	d.labels[1] = "a";
	assert_null(metrics__family(r, &d, &err));
	assert_int_equal(err, -EINVAL);
	d.labels[1] = NULL;
	d.help = "\xff";
	assert_null(metrics__family(r, &d, &err));
	d.help = "h";
	/* counters end in _total */
	assert_null(metrics__counter(r, "zprofd_samples", "h", &err));
	assert_int_equal(err, -EINVAL);
	assert_non_null(metrics__family(r, &d, &err));
	assert_null(metrics__family(r, &d, &err));
	assert_int_equal(err, -EEXIST);
	assert_non_null(metrics__gauge(r, "g", "h", &err));
	assert_null(metrics__gauge(r, "g", "other help", &err));
	assert_int_equal(err, -EEXIST);
	metrics__free(r);
	metrics__free(NULL);
}

static void test_values(void **state)
{
	struct metrics *r = new_registry();
	struct metric_desc fd = { .name = "frac",
				  .help = "h",
				  .type = METRIC_GAUGE,
				  .fractional = true };
	struct metric_family *ff = family(r, &fd);
	struct metric *i, *f = child(ff, NULL, NULL);
	int err = 0;
	char *out;

	(void)state;
	i = metrics__gauge(r, "int", "h", &err);
	metric_set_double(i, 2.5);
	assert_true(metric_value(i) == 3);
	metric_set_double(i, -5);
	assert_true(metric_value(i) == 0);
	metric_set_double(i, NAN);
	assert_true(metric_value(i) == 0);
	metric_set_double(i, 1e30);
	out = render(r);
	assert_non_null(strstr(out, "\nint 18446744073709551615\n"));
	free(out);
	metric_set(i, UINT64_MAX - 1);
	metric_add(i, 1);
	out = render(r);
	assert_non_null(strstr(out, "\nint 18446744073709551615\n"));
	free(out);

	metric_set(f, 3);
	metric_add(f, 2);
	assert_true(metric_value(f) == 5.0);
	metric_set_double(f, 0.1);
	out = render(r);
	assert_non_null(strstr(out, "\nfrac 0.1\n"));
	free(out);
	metric_set_double(f, 1.0 / 3);
	out = render(r);
	assert_non_null(strstr(out, "\nfrac 0.33333333333333331\n"));
	free(out);
	metric_set_double(f, -1e-9);
	out = render(r);
	assert_non_null(strstr(out, "\nfrac -1e-09\n"));
	free(out);
	metric_set_double(f, NAN);
	out = render(r);
	assert_non_null(strstr(out, "\nfrac NaN\n"));
	free(out);
	metric_set_double(f, INFINITY);
	out = render(r);
	assert_non_null(strstr(out, "\nfrac +Inf\n"));
	free(out);
	metric_set_double(f, -INFINITY);
	out = render(r);
	assert_non_null(strstr(out, "\nfrac -Inf\n"));
	free(out);
	/* setters are NULL safe */
	metric_set(NULL, 1);
	metric_add(NULL, 1);
	metric_set_double(NULL, 1);
	metrics__free(r);
}

static void test_render_bound(void **state)
{
	struct metrics *r = new_registry();
	size_t len = 1;
	char *out;
	int err = 0;

	(void)state;
	assert_int_equal(metrics__render(r, 0, &out, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	free(out);
	metrics__counter(r, "a_total", "h", &err);
	assert_int_equal(metrics__render(r, 10, &out, &len), -E2BIG);
	/* exactly the size it needs */
	assert_int_equal(metrics__render(r, 1000, &out, &len), 0);
	free(out);
	assert_int_equal(metrics__render(r, len, &out, &len), 0);
	free(out);
	assert_int_equal(metrics__render(r, len - 1, &out, &len), -E2BIG);
	metrics__free(r);
}

struct coll_ctx {
	struct metric *renders;
	struct metric_family *dyn;
};

static void collect(struct metrics *r, void *p)
{
	struct coll_ctx *c = p;
	const char *v[] = { "late" };
	int err;

	(void)r;
	metric_add(c->renders, 1);
	/* creating children from a collector must not deadlock */
	metric_set(metric_family__child(c->dyn, v, &err), 7);
}

static void noop(struct metrics *r, void *p)
{
	(void)r;
	(void)p;
}

static void test_collectors(void **state)
{
	struct metrics *r = new_registry();
	struct metric_desc d = { .name = "dyn",
				 .help = "h",
				 .type = METRIC_GAUGE,
				 .labels = { "k" } };
	struct coll_ctx c;
	char *out;
	int err = 0, i;

	(void)state;
	c.renders = metrics__counter(r, "renders_total", "h", &err);
	c.dyn = family(r, &d);
	assert_int_equal(metrics__add_collector(r, collect, &c), 0);
	out = render(r);
	assert_non_null(strstr(out, "renders_total 1\n"));
	assert_non_null(strstr(out, "dyn{k=\"late\"} 7\n"));
	free(out);
	out = render(r);
	assert_non_null(strstr(out, "renders_total 2\n"));
	free(out);
	for (i = 1; i < 8; i++)
		assert_int_equal(metrics__add_collector(r, noop, NULL), 0);
	assert_int_equal(metrics__add_collector(r, noop, NULL), -ENOSPC);
	assert_int_equal(metrics__add_collector(r, NULL, NULL), -EINVAL);
	metrics__free(r);
}

static void test_statm(void **state)
{
	uint64_t rss = 0;

	(void)state;
	assert_int_equal(
	    metrics_parse_statm("1000 250 30 1 0 90 0\n", 21, 4096, &rss), 0);
	assert_int_equal(rss, 250 * 4096);
	assert_int_equal(metrics_parse_statm("1 2", 3, 4096, &rss), 0);
	assert_int_equal(rss, 2 * 4096);
	assert_int_equal(metrics_parse_statm("", 0, 4096, &rss), -EINVAL);
	assert_int_equal(metrics_parse_statm("1000", 4, 4096, &rss), -EINVAL);
	assert_int_equal(metrics_parse_statm("1000 ", 5, 4096, &rss), -EINVAL);
	assert_int_equal(metrics_parse_statm("1000 x", 6, 4096, &rss), -EINVAL);
	assert_int_equal(metrics_parse_statm(" 1 2", 4, 4096, &rss), -EINVAL);
	assert_int_equal(
	    metrics_parse_statm("1 99999999999999999999", 22, 4096, &rss),
	    -EINVAL);
	assert_int_equal(
	    metrics_parse_statm("1 18446744073709551", 19, 4096, &rss),
	    -EINVAL);
	/* the length bounds the parse, not a NUL */
	assert_int_equal(metrics_parse_statm("1 23", 3, 1, &rss), 0);
	assert_int_equal(rss, 2);
}

static void test_process(void **state)
{
	struct metrics *r = new_registry();
	volatile double x = 0;
	double cpu = 0, rss = 0;
	char *out, *p;
	long i;

	(void)state;
	assert_int_equal(metrics__add_process(r), 0);
	assert_int_equal(metrics__add_process(r), -EEXIST);
	for (i = 0; i < 20000000; i++) /* some CPU time to report */
		x = x + 1;
	out = render(r);
	p = strstr(out, "\nprocess_cpu_seconds_total ");
	assert_non_null(p);
	cpu = strtod(p + 27, NULL);
	p = strstr(out, "\nprocess_resident_memory_bytes ");
	assert_non_null(p);
	rss = strtod(p + 31, NULL);
	assert_true(cpu > 0 && cpu < 3600);
	/* a test binary is more than 1 MiB resident and less than 4 GiB */
	assert_true(rss > (1 << 20) && rss < 4.0 * (1 << 30));
	assert_non_null(strstr(out, "# TYPE process_cpu_seconds_total "
				    "counter\n"));
	assert_non_null(strstr(out, "# TYPE process_resident_memory_bytes "
				    "gauge\n"));
	free(out);
	metrics__free(r);
}

struct writer {
	struct metric *m;
	struct metric *f;
};

static void *write_loop(void *p)
{
	struct writer *w = p;
	int i;

	for (i = 0; i < 100000; i++) {
		metric_add(w->m, 1);
		metric_add(w->f, 1);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct metrics *r = new_registry();
	struct metric_desc fd = { .name = "fsum_total",
				  .help = "h",
				  .type = METRIC_COUNTER,
				  .fractional = true };
	struct writer w;
	pthread_t t[2];
	char *out;
	int err = 0, i;

	(void)state;
	w.m = metrics__counter(r, "sum_total", "h", &err);
	w.f = child(family(r, &fd), NULL, NULL);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, write_loop, &w),
				 0);
	for (i = 0; i < 200; i++) {
		out = render(r);
		assert_non_null(strstr(out, "sum_total "));
		free(out);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_true(metric_value(w.m) == 200000);
	assert_true(metric_value(w.f) == 200000);
	metrics__free(r);
}

/* Run `promtool check metrics` on TEXT; its output goes to *OUTPUT. */
static int promtool_check(const char *text, char *output, size_t cap)
{
	char in_path[] = "/tmp/zprofd-metrics-XXXXXX";
	char cmd[256];
	FILE *fp, *p;
	size_t n;
	int fd, status;

	fd = mkstemp(in_path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", in_path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(output, 1, cap - 1, p);
	output[n] = '\0';
	status = pclose(p);
	unlink(in_path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_promtool(void **state)
{
	struct metrics *r = new_registry();
	struct metric_desc lost = {
		.name = "zprofd_samples_lost_total",
		.help = "Samples lost before aggregation, by reason.",
		.type = METRIC_COUNTER,
		.labels = { "reason" },
	};
	struct metric_desc cont = {
		.name = "zprofd_container_samples_total",
		.help = "Samples per container and comm (\\ and \"quotes\").",
		.type = METRIC_COUNTER,
		.labels = { "container", "comm" },
	};
	struct metric_desc dur = {
		.name = "zprofd_last_flush_duration_seconds",
		.help = "Duration of the last flush.",
		.type = METRIC_GAUGE,
		.fractional = true,
	};
	struct metric_family *f;
	char output[4096], *out;
	int err = 0, rc;

	(void)state;
	/* a daemon-shaped exposition with every feature we render */
	if (system("command -v promtool >/dev/null 2>&1"))
		fail_msg("promtool not found: it is required for this test "
			 "(apt-get install --no-install-recommends "
			 "prometheus)");
	assert_int_equal(metrics__add_process(r), 0);
	metric_set(
	    metrics__counter(r, "zprofd_samples_total", "Samples taken.", &err),
	    123456789);
	metric_set(
	    metrics__gauge(r, "zprofd_targets", "Processes profiled.", &err),
	    12);
	f = family(r, &lost);
	metric_set(child(f, "ringbuf", NULL), 5);
	metric_set(child(f, "map_full", NULL), 0);
	f = family(r, &cont);
	metric_set(child(f, "0123abcd", "python3"), 10);
	metric_set(child(f, "", "we\"ird\\comm\nx"), 1);
	metric_set(child(f, "ffff", "caf\xc3\xa9"), 2);
	metric_set_double(child(family(r, &dur), NULL, NULL), 0.0125);
	out = render(r);
	rc = promtool_check(out, output, sizeof(output));
	if (rc != 0)
		fail_msg("promtool check metrics exit %d: %s\n--- input:\n%s",
			 rc, output, out);
	printf("# promtool check metrics: clean (%zu bytes)\n", strlen(out));
	free(out);
	/* and promtool does catch what we refuse to produce */
	rc = promtool_check("# TYPE bad counter\nbad 1\n", output,
			    sizeof(output));
	assert_int_not_equal(rc, 0);
	metrics__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_render_bound),
		cmocka_unit_test(test_collectors),
		cmocka_unit_test(test_statm),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_promtool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
