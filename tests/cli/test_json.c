/* SPDX-License-Identifier: MIT */
/*
 * test_json.c - the CLI's JSON parser and writer: RFC 8259 grammar, exact
 * 64-bit integers, escapes and UTF-8 validation, limits, error line:column,
 * and write -> parse round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

static tether_arena *arena;

static int setup(void **state)
{
	(void)state;
	return tether_arena_new(1 << 20, &arena) == TETHER_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	tether_arena_free(arena);
	return 0;
}

static tj_value *ok(const char *text)
{
	tj_value *v = NULL;
	tj_error err;
	tether_status st = tj_parse(text, strlen(text), NULL, arena, &v, &err);
	if (st != TETHER_OK)
		print_message("'%s': %u:%u: %s\n", text, err.line, err.col,
			      err.msg);
	assert_int_equal(st, TETHER_OK);
	return v;
}

static void bad(const char *text, tether_status want, uint32_t line,
		uint32_t col, const char *msg_part)
{
	tj_value *v = NULL;
	tj_error err;
	tether_status st = tj_parse(text, strlen(text), NULL, arena, &v, &err);
	if (st != want || err.line != line || err.col != col ||
	    strstr(err.msg, msg_part) == NULL)
		print_message("'%s': st %d %u:%u: %s\n", text, st, err.line,
			      err.col, err.msg);
	assert_int_equal(st, want);
	assert_int_equal(err.line, line);
	assert_int_equal(err.col, col);
	assert_non_null(strstr(err.msg, msg_part));
}

static char *write(const tj_value *v, unsigned indent)
{
	static char out[4096];
	tj_buf b;
	tj_buf_init(&b, sizeof(out));
	assert_int_equal(tj_write(&b, v, indent), TETHER_OK);
	snprintf(out, sizeof(out), "%s", b.s);
	tj_buf_free(&b);
	return out;
}

static void scalars(void **state)
{
	(void)state;
	tj_value *v = ok(" 18446744073709551615 ");
	assert_int_equal(v->kind, TJ_INT);
	assert_true(v->u.i.mag == UINT64_MAX && !v->u.i.neg);
	v = ok("-9223372036854775808");
	assert_true(v->u.i.neg && v->u.i.mag == (uint64_t)1 << 63);
	v = ok("-0");
	assert_true(v->kind == TJ_INT && !v->u.i.neg && v->u.i.mag == 0);
	v = ok("1.5e3");
	assert_true(v->kind == TJ_DOUBLE && v->u.d == 1500.0);
	assert_int_equal(ok("true")->u.b, 1);
	assert_int_equal(ok("false")->kind, TJ_BOOL);
	assert_int_equal(ok("null")->kind, TJ_NULL);
	assert_string_equal(write(ok("0.1"), 0), "0.1");
	assert_string_equal(write(ok("1e300"), 0), "1e+300");
	assert_string_equal(write(ok("2.0"), 0), "2.0");
	assert_string_equal(write(tj_new_double(arena, (float)0.1, true), 0),
			    "0.1");
}

static void strings(void **state)
{
	(void)state;
	tj_value *v =
	    ok("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"");
	assert_int_equal(v->u.str.len, 1 + 1 + 1 + 1 + 5 + 2 + 4);
	assert_memory_equal(v->u.str.s,
			    "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80",
			    v->u.str.len);
	v = ok("\"x\\u0000y\"");
	assert_int_equal(v->u.str.len, 3);
	assert_string_equal(write(v, 0), "\"x\\u0000y\"");
	assert_string_equal(write(ok("\"\xe2\x82\xac\""), 0),
			    "\"\xe2\x82\xac\"");
	/* invalid bytes written as U+FFFD */
	assert_string_equal(write(tj_new_string(arena, "a\xff", 2), 0),
			    "\"a\xef\xbf\xbd\"");
}

static void containers(void **state)
{
	(void)state;
	tj_value *v = ok("{\"a\": [1, {\"b\": null}, []], \"c\": {}}");
	assert_int_equal(v->kind, TJ_OBJECT);
	assert_int_equal(v->u.obj.n, 2);
	assert_int_equal(tj_get(v, "a")->u.arr.n, 3);
	assert_string_equal(write(v, 0),
			    "{\"a\":[1,{\"b\":null},[]],\"c\":{}}");
	assert_string_equal(
	    write(v, 2),
	    "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    },\n"
	    "    []\n  ],\n  \"c\": {}\n}");
	assert_true(tj_equal(v, ok(write(v, 2))));
	assert_false(
	    tj_equal(v, ok("{\"a\": [1, {\"b\": null}, []], \"c\": []}")));
}

static void errors(void **state)
{
	(void)state;
	bad("", TETHER_E_INVAL, 1, 1, "expected a value, found end of input");
	bad("{\"a\" 1}", TETHER_E_INVAL, 1, 6, "expected ':'");
	bad("[1,\n 2,\n x]", TETHER_E_INVAL, 3, 2,
	    "expected a value, found 'x'");
	bad("[1 2]", TETHER_E_INVAL, 1, 4, "expected ',' or ']'");
	bad("[1,]", TETHER_E_INVAL, 1, 4, "expected a value");
	bad("01", TETHER_E_INVAL, 1, 2, "end of input after the value");
	bad("1.", TETHER_E_INVAL, 1, 3, "digit after '.'");
	bad("18446744073709551616", TETHER_E_INVAL, 1, 1,
	    "out of the 64-bit range");
	bad("-9223372036854775809", TETHER_E_INVAL, 1, 1,
	    "below the 64-bit range");
	bad("1e400", TETHER_E_INVAL, 1, 1, "out of the double range");
	bad("\"abc", TETHER_E_INVAL, 1, 1, "unterminated string");
	bad("\"a\tb\"", TETHER_E_INVAL, 1, 3, "control character 0x09");
	bad("\"\\x\"", TETHER_E_INVAL, 1, 2, "unknown escape");
	bad("\"\\ud800\"", TETHER_E_INVAL, 1, 2, "high surrogate");
	bad("\"\\udc00\"", TETHER_E_INVAL, 1, 2, "lone low surrogate");
	bad("\"\xc0\xaf\"", TETHER_E_INVAL, 1, 2,
	    "invalid UTF-8"); /* overlong */
	bad("\"\xed\xa0\x80\"", TETHER_E_INVAL, 1, 2,
	    "invalid UTF-8"); /* surrogate */
	bad("\"\xf4\x90\x80\x80\"", TETHER_E_INVAL, 1, 2, "invalid UTF-8");
	bad("{\"a\":1,\n\"a\":2}", TETHER_E_INVAL, 2, 1, "duplicate key \"a\"");
	bad("nul", TETHER_E_INVAL, 1, 1, "expected a value");
	bad("[] []", TETHER_E_INVAL, 1, 4, "end of input after the value");
}

static void limits(void **state)
{
	(void)state;
	char deep[200];
	tj_value *v;
	tj_error err;
	tj_limits lim = {8, 64};
	assert_int_equal(tj_parse("[1,2,3,4]", 9, &lim, arena, &v, &err),
			 TETHER_E_TOO_LARGE);
	memset(deep, '[', 65);
	memset(deep + 65, ']', 65);
	assert_int_equal(tj_parse(deep, 130, NULL, arena, &v, &err),
			 TETHER_E_DEPTH);
	assert_non_null(strstr(err.msg, "nesting deeper than 64"));
	assert_int_equal(tj_parse(deep + 1, 128, NULL, arena, &v, &err),
			 TETHER_OK);
	/* an arena too small fails cleanly */
	tether_arena *tiny;
	assert_int_equal(tether_arena_new(64, &tiny), TETHER_OK);
	assert_int_equal(
	    tj_parse("[1,2,3,4,5,6,7,8]", 17, NULL, tiny, &v, &err),
	    TETHER_E_BUDGET);
	tether_arena_free(tiny);
	/* the writer's cap */
	tj_buf b;
	tj_buf_init(&b, 4);
	assert_int_equal(tj_write(&b, ok("[1,2,3]"), 0), TETHER_E_TOO_LARGE);
	tj_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(scalars),	  cmocka_unit_test(strings),
	    cmocka_unit_test(containers), cmocka_unit_test(errors),
	    cmocka_unit_test(limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
