// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests of the socket-free half of the HTTP module: query splitting
 * and percent decoding, path validation, listen-address parsing, the
 * bearer check, and the typed query helpers with the reasons they give.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* A request as the server would hand it to a handler, from a raw query. */
static void mkreq(struct http_request *req, const char *raw)
{
	const char *reason;

	memset(req, 0, sizeof(*req));
	req->method = HTTP_GET;
	req->path = "/test";
	assert_int_equal(
	    http_query__parse(&req->query, raw, strlen(raw), &reason), 0);
}

static int parse_err(const char *raw, const char **reason)
{
	struct http_query q;
	int err = http_query__parse(&q, raw, strlen(raw), reason);

	assert_int_equal(q.count, 0); /* left empty on failure */
	http_query__release(&q);
	return err;
}

static void test_query_split_decode(void **state)
{
	struct http_request req;

	(void)state;
	mkreq(&req, "seconds=5&pid=42&comm=a+b%2Fc&flag&&x=&y=%7e%7E");
	assert_int_equal(req.query.count, 6);
	assert_string_equal(req.query.params[0].key, "seconds");
	assert_string_equal(req.query.params[0].value, "5");
	assert_string_equal(req.query.params[2].value, "a b/c");
	assert_string_equal(req.query.params[3].key, "flag");
	assert_string_equal(req.query.params[3].value, "");
	assert_string_equal(req.query.params[4].key, "x");
	assert_string_equal(req.query.params[4].value, "");
	assert_string_equal(req.query.params[5].value, "~~");
	/* '=' inside a value is data */
	http_query__release(&req.query);
	mkreq(&req, "a=b=c&");
	assert_int_equal(req.query.count, 1);
	assert_string_equal(req.query.params[0].value, "b=c");
	http_query__release(&req.query);
	mkreq(&req, "");
	assert_int_equal(req.query.count, 0);
	http_query__release(&req.query);
	mkreq(&req, "&&&");
	assert_int_equal(req.query.count, 0);
	http_query__release(&req.query);
}

static void test_query_refused(void **state)
{
	const char *reason;
	char many[256] = "";
	char longkey[64];
	int i;

	(void)state;
	assert_int_equal(parse_err("a=%zz", &reason), -EINVAL);
	assert_string_equal(reason, "bad percent escape in query");
	assert_int_equal(parse_err("a=%4", &reason), -EINVAL);
	assert_int_equal(parse_err("a=%", &reason), -EINVAL);
	assert_int_equal(parse_err("a%=1", &reason), -EINVAL);
	assert_int_equal(parse_err("a=x%00y", &reason), -EINVAL);
	assert_string_equal(reason, "NUL byte in query");
	assert_int_equal(parse_err("a=b c", &reason), -EINVAL);
	assert_string_equal(reason, "bad character in query");
	assert_int_equal(parse_err("a=\x01", &reason), -EINVAL);
	assert_int_equal(parse_err("a=\xc3\xa9", &reason), -EINVAL);
	assert_int_equal(parse_err("=1", &reason), -EINVAL);
	assert_string_equal(reason, "empty query parameter name");
	assert_int_equal(parse_err("a%0A=1", &reason), -EINVAL);
	assert_string_equal(reason, "bad query parameter name");
	memset(longkey, 'k', 33);
	strcpy(longkey + 33, "=1");
	assert_int_equal(parse_err(longkey, &reason), -EINVAL);
	assert_string_equal(reason, "query parameter name too long");
	for (i = 0; i <= HTTP_QUERY_MAX_PARAMS; i++)
		strcat(many, "k=v&");
	assert_int_equal(parse_err(many, &reason), -E2BIG);
	assert_string_equal(reason, "too many query parameters");
}

static void test_path_valid(void **state)
{
	(void)state;
	assert_true(http_path_valid("/", 1));
	assert_true(http_path_valid("/debug/pprof/profile", 20));
	assert_true(http_path_valid("/%6Detrics", 10));
	assert_false(http_path_valid("", 0));
	assert_false(http_path_valid("metrics", 7));
	assert_false(http_path_valid("/a b", 4));
	assert_false(http_path_valid("/a\"b", 4));
	assert_false(http_path_valid("/a\0b", 4));
	assert_false(http_path_valid("/\xc3\xa9", 3));
	assert_false(http_path_valid("http://x/", 9));
}

static void test_parse_listen(void **state)
{
	struct sockaddr_storage sa;
	struct sockaddr_in *in = (struct sockaddr_in *)&sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
	static const char *const bad[] = {
		"",
		":7070",
		"127.0.0.1",
		"127.0.0.1:",
		"127.0.0.1:65536",
		"127.0.0.1:-1",
		"127.0.0.1:+80",
		"127.0.0.1:080a",
		"127.0.0.1:123456",
		"localhost:7070",
		"127.1:80",
		"::1:80",
		"[::1]",
		"[::1]80",
		"[::1:80",
		"[]:80",
		"[fe80::1%lo]:80",
		"[127.0.0.1]:80",
		"1.2.3.4:80 ",
		" 1.2.3.4:80",
		NULL,
	};
	socklen_t len;
	int i;

	(void)state;
	assert_int_equal(http_parse_listen("127.0.0.1:7070", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(in->sin_port), 7070);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(http_parse_listen("0.0.0.0:0", &sa, &len), 0);
	assert_int_equal(ntohs(in->sin_port), 0);
	assert_int_equal(http_parse_listen("[::1]:65535", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(in6->sin6_port), 65535);
	assert_true(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
	assert_int_equal(http_parse_listen("[::]:80", &sa, &len), 0);
	for (i = 0; bad[i]; i++)
		if (http_parse_listen(bad[i], &sa, &len) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	assert_int_equal(http_parse_listen(NULL, &sa, &len), -EINVAL);
}

static void test_bearer(void **state)
{
	const char *tok = "s3cr3t-T0ken";
	size_t n = strlen(tok);

	(void)state;
	assert_true(http_bearer_ok("Bearer s3cr3t-T0ken", tok, n));
	assert_true(http_bearer_ok("bearer   s3cr3t-T0ken ", tok, n));
	assert_true(http_bearer_ok("BEARER s3cr3t-T0ken", tok, n));
	assert_false(http_bearer_ok(NULL, tok, n));
	assert_false(http_bearer_ok("", tok, n));
	assert_false(http_bearer_ok("Bearer", tok, n));
	assert_false(http_bearer_ok("Bearer ", tok, n));
	assert_false(http_bearer_ok("Bearers3cr3t-T0ken", tok, n));
	assert_false(http_bearer_ok("Basic s3cr3t-T0ken", tok, n));
	assert_false(http_bearer_ok("Bearer s3cr3t-T0ke", tok, n));
	assert_false(http_bearer_ok("Bearer s3cr3t-T0kenX", tok, n));
	assert_false(http_bearer_ok("Bearer s3cr3t-t0ken", tok, n));
	assert_false(http_bearer_ok("Bearer s3cr3t T0ken", tok, n));
	/* no configured token never authenticates */
	assert_false(http_bearer_ok("Bearer ", "", 0));
}

static void test_query_int(void **state)
{
	struct http_request req;
	int64_t v;

	(void)state;
	mkreq(&req, "seconds=5&big=9223372036854775807"
		    "&small=-9223372036854775808&neg=-3");
	assert_int_equal(http_query_int(&req, "seconds", 1, 300, 30, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(http_query_int(&req, "absent", 1, 300, 30, &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(
	    http_query_int(&req, "big", INT64_MIN, INT64_MAX, 0, &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(
	    http_query_int(&req, "small", INT64_MIN, INT64_MAX, 0, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(http_query_int(&req, "neg", -5, 5, 0, &v), 0);
	assert_int_equal(v, -3);
	assert_int_equal(req.error_status, 0);
	http_query__release(&req.query);

	static const char *const bad[] = {
		"seconds=0",	"seconds=301",
		"seconds=abc",	"seconds=",
		"seconds=-",	"seconds=%2B5",
		"seconds=+5",	"seconds=5x",
		"seconds=0x10", "seconds=1e2",
		"seconds=-0x1", "seconds=5.0",
		"seconds",	"seconds=99999999999999999999",
		NULL,
	};
	for (int i = 0; bad[i]; i++) {
		mkreq(&req, bad[i]);
		if (http_query_int(&req, "seconds", 1, 300, 30, &v) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(req.error_status, 400);
		assert_string_equal(req.error,
				    "seconds must be an integer in 1..300");
		http_query__release(&req.query);
	}

	mkreq(&req, "seconds=5&seconds=6");
	assert_int_equal(http_query_int(&req, "seconds", 1, 300, 30, &v),
			 -EINVAL);
	assert_string_equal(req.error, "duplicate parameter 'seconds'");
	http_query__release(&req.query);
}

static void test_query_str_enum_allow(void **state)
{
	static const char *const formats[] = { "pprof", "folded", "svg", NULL };
	struct http_request req;
	const char *s;
	int e;

	(void)state;
	mkreq(&req, "container=0123456789abcdef&pod=1b4e28ba-2fa1-11d2-883f-"
		    "0016d3cca427&comm=python3+x&format=svg");
	assert_int_equal(
	    http_query_str(&req, "container", HTTP_CHARSET_HEX, &s), 0);
	assert_string_equal(s, "0123456789abcdef");
	assert_int_equal(http_query_str(&req, "pod", HTTP_CHARSET_UUID, &s), 0);
	assert_string_equal(s, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
	assert_int_equal(http_query_str(&req, "comm", HTTP_CHARSET_COMM, &s),
			 0);
	assert_string_equal(s, "python3 x");
	assert_int_equal(http_query_str(&req, "nope", HTTP_CHARSET_COMM, &s),
			 0);
	assert_null(s);
	assert_int_equal(http_query_enum(&req, "format", formats, 0, &e), 0);
	assert_int_equal(e, 2);
	assert_int_equal(http_query_enum(&req, "absent", formats, 1, &e), 0);
	assert_int_equal(e, 1);
	assert_int_equal(
	    http_query_allow(&req, "container", "pod", "comm", "format", NULL),
	    0);
	assert_int_equal(
	    http_query_allow(&req, "container", "pod", "comm", NULL), -EINVAL);
	assert_string_equal(req.error, "unknown parameter 'format'");
	http_query__release(&req.query);

	mkreq(&req, "container=ABCDEF");
	assert_int_equal(
	    http_query_str(&req, "container", HTTP_CHARSET_HEX, &s), -EINVAL);
	assert_string_equal(req.error,
			    "container must be 1 to 64 lowercase hex digits");
	http_query__release(&req.query);
	mkreq(&req, "comm=0123456789abcdef");
	assert_int_equal(http_query_str(&req, "comm", HTTP_CHARSET_COMM, &s),
			 -EINVAL);
	http_query__release(&req.query);
	mkreq(&req, "comm=a%0Ab");
	assert_int_equal(http_query_str(&req, "comm", HTTP_CHARSET_COMM, &s),
			 -EINVAL);
	http_query__release(&req.query);
	mkreq(&req, "comm=");
	assert_int_equal(http_query_str(&req, "comm", HTTP_CHARSET_COMM, &s),
			 -EINVAL);
	http_query__release(&req.query);
	mkreq(&req, "format=json");
	assert_int_equal(http_query_enum(&req, "format", formats, 0, &e),
			 -EINVAL);
	assert_string_equal(req.error,
			    "format must be one of pprof, folded, svg");
	/* the first reason is kept */
	assert_int_equal(http_request__fail(&req, 409, "other"), -EINVAL);
	assert_int_equal(req.error_status, 400);
	http_query__release(&req.query);
	mkreq(&req, "pid=1");
	assert_string_equal(http_query_get(&req, "pid"), "1");
	assert_null(http_query_get(&req, "tid"));
	http_query__release(&req.query);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_split_decode),
		cmocka_unit_test(test_query_refused),
		cmocka_unit_test(test_path_valid),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_bearer),
		cmocka_unit_test(test_query_int),
		cmocka_unit_test(test_query_str_enum_allow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
