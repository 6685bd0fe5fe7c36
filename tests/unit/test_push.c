// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the push client's request line (application name with its
 * series labels, the ingest URL and its %-encoding, size bounds) and of the
 * queue's bounds against a server that is not there: oldest windows dropped
 * and counted, nothing left at stop. The HTTP exchange itself is covered by
 * tests/integration/test_push.py against a receiver.
 */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "push.h"

static void test_app_name(void **state)
{
	struct zp_label l[3] = { { "node", "node-1" },
				 { "cluster", "a,b}c=d{e" },
				 { "empty", "" } };
	char buf[256];

	(void)state;
	assert_int_equal(push_app_name(buf, sizeof(buf), "svc", NULL, 0), 0);
	assert_string_equal(buf, "svc");
	assert_int_equal(push_app_name(buf, sizeof(buf), "my app!", l, 3), 0);
	/* reserved characters cleaned; an empty value left out */
	assert_string_equal(buf, "my_app_{node=node-1,cluster=a_b_c_d_e}");
	assert_int_equal(push_app_name(buf, sizeof(buf), "", l, 1), -EINVAL);
	assert_int_equal(push_app_name(buf, 10, "svc", l, 1), -ENAMETOOLONG);
	/* only empty values: no braces at all */
	assert_int_equal(push_app_name(buf, sizeof(buf), "svc", &l[2], 1), 0);
	assert_string_equal(buf, "svc");
}

static void test_ingest_url(void **state)
{
	char buf[512];

	(void)state;
	assert_int_equal(push_ingest_url(buf, sizeof(buf), "http://h:4040",
					 "s{node=n}", 1700000000500,
					 1700000010001, 19),
			 0);
	assert_string_equal(buf,
			    "http://h:4040/ingest?name=s%7Bnode%3Dn%7D"
			    "&from=1700000000&until=1700000011&format=pprof"
			    "&sampleRate=19&spyName=zprofd");
	/* a trailing slash, an explicit /ingest, a query of the user's */
	assert_int_equal(push_ingest_url(buf, sizeof(buf), "https://h/p/", "s",
					 1000, 2000, 99),
			 0);
	assert_true(
	    !strncmp(buf, "https://h/p/ingest?name=s&from=1&until=2&", 41));
	assert_int_equal(push_ingest_url(buf, sizeof(buf),
					 "http://h/ingest?key=1", "s", 1000,
					 2000, 99),
			 0);
	assert_true(!strncmp(buf, "http://h/ingest?key=1&name=s&", 29));
	/* bad ranges and sizes */
	assert_int_equal(
	    push_ingest_url(buf, sizeof(buf), "http://h", "s", 2000, 2000, 99),
	    -EINVAL);
	assert_int_equal(
	    push_ingest_url(buf, sizeof(buf), "http://h", "", 0, 1, 99),
	    -EINVAL);
	assert_int_equal(push_ingest_url(buf, 20, "http://h", "s", 0, 1, 99),
			 -ENAMETOOLONG);
	/* messages never show a key in the query */
	config_format_url("https://h:1/p?api_key=s3cret#x", buf, sizeof(buf));
	assert_string_equal(buf, "https://h:1/p?...");
	config_format_url("http://h/p", buf, sizeof(buf));
	assert_string_equal(buf, "http://h/p");
}

static uint8_t *gz_body(size_t *len)
{
	static const uint8_t gz[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	uint8_t *b = malloc(sizeof(gz));

	assert_non_null(b);
	memcpy(b, gz, sizeof(gz));
	*len = sizeof(gz);
	return b;
}

static void test_window(void **state)
{
	struct push_window *w = push_window__new(0, 1000);
	size_t len;
	uint8_t *b = gz_body(&len);

	(void)state;
	assert_non_null(w);
	assert_int_equal(push_window__add(w, "", NULL, 0, b, len), -EINVAL);
	assert_int_equal(push_window__add(w, "svc", NULL, 0, b, len), 0);
	push_window__free(w);
	push_window__free(NULL);
}

/* A port nobody listens on: every attempt fails at once. */
static void test_queue_bounds(void **state)
{
	struct zp_config c;
	struct push_counters pc, last;
	struct pusher *p;
	char msg[256];
	int err = 0, i;
	size_t len;

	(void)state;
	assert_int_equal(config__defaults(&c), 0);
	c.push_url = strdup("http://127.0.0.1:9");
	c.push_queue = 2;
	c.push_timeout_ms = 200;
	p = pusher__new(&c, 19, msg, sizeof(msg), &err);
	assert_non_null(p);
	for (i = 0; i < 6; i++) {
		struct push_window *w =
		    push_window__new(i * 1000, i * 1000 + 1000);
		uint8_t *body = gz_body(&len);

		assert_int_equal(push_window__add(w, "svc", NULL, 0, body, len),
				 0);
		assert_int_equal(pusher__push(p, w), 0);
	}
	pusher__counters(p, &pc);
	/* the first may be out for sending, never dropped from under it */
	assert_true(pc.queued <= 3);
	assert_true(pc.dropped_full >= 3);
	assert_int_equal(pusher__push(p, NULL), -EINVAL);
	pusher__free(p, &last, true);
	assert_int_equal(last.queued, 0);
	assert_int_equal(last.requests, 0);
	assert_int_equal(last.dropped_full + last.dropped_stop, 6);
	pusher__free(NULL, NULL, false);
	config__free(&c);
}

static void test_bad_settings(void **state)
{
	struct zp_config c;
	char msg[256];
	int err = 0;

	(void)state;
	assert_int_equal(config__defaults(&c), 0);
	assert_null(pusher__new(&c, 19, msg, sizeof(msg), &err));
	assert_int_equal(err, -EINVAL);
	assert_non_null(strstr(msg, "push.url"));
	c.push_url = strdup("http://127.0.0.1:9");
	c.push_token_file = strdup("/nonexistent/token");
	assert_null(pusher__new(&c, 19, msg, sizeof(msg), &err));
	assert_int_equal(err, -ENOENT);
	assert_non_null(strstr(msg, "push.token_file"));
	config__free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_name),
		cmocka_unit_test(test_ingest_url),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_queue_bounds),
		cmocka_unit_test(test_bad_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
