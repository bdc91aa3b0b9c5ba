/* SPDX-License-Identifier: MIT */
/*
 * test_tetherc_errors.c - tetherc's diagnostics: a table of malformed .x
 * inputs and the exact "file:line:col: error: ..." text each must give,
 * plus nesting and size limits (an error, never a crash).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tetherc.h"

static const struct {
	const char *src, *err;
} cases[] = {
    {"struct foo { int x }", "t.x:1:20: error: expected ';', found '}'"},
    {"const A = ;", "t.x:1:11: error: expected a constant, found ';'"},
    {"typedef int;", "t.x:1:12: error: expected a name, found ';'"},
    {"const int = 1;", "t.x:1:7: error: expected a constant name, found 'int'"},
    {"struct s { int x;",
     "t.x:1:18: error: expected a type, found end of file"},
    {"struct s { foo x; };", "t.x:1:12: error: undefined type 'foo'"},
    {"struct a { int x; };\nstruct a { int y; };",
     "t.x:2:8: error: duplicate name 'a' (first defined at t.x:1:8)"},
    {"enum en { A = 1, B = 2 };\nunion u switch (en d) { case 3: int x; };",
     "t.x:2:30: error: case value 3 is not a value of enum en"},
    {"union u switch (int d) { case 1: int x; case 1: void; };",
     "t.x:1:46: error: duplicate case value 1"},
    {"union u switch (string d<>) { case 1: int x; };",
     "t.x:1:24: error: the discriminant must be a plain int, unsigned int, "
     "enum or bool"},
    {"union u switch (hyper d) { case 1: int x; };",
     "t.x:1:17: error: union discriminant must be int, unsigned int, enum or "
     "bool"},
    {"typedef int a[N];", "t.x:1:15: error: undefined constant 'N'"},
    {"typedef int a<-1>;", "t.x:1:15: error: negative bound for 'a'"},
    {"typedef int a[0];",
     "t.x:1:15: error: array size of 'a' must be between 1 and 16777216"},
    {"const A = 0x1FFFFFFFF;",
     "t.x:1:11: error: constant '0x1FFFFFFFF' out of range"},
    {"const A = 09;", "t.x:1:11: error: malformed number '09'"},
    {"const A = B;\nconst B = A;",
     "t.x:2:7: error: constant 'B' depends on itself"},
    {"enum en { A = 0x80000000 };",
     "t.x:1:11: error: enum value A = 2147483648 out of the range of int"},
    {"struct s { string x; };",
     "t.x:1:19: error: string 'x' needs a <bound> or <>"},
    {"struct s { opaque x; };",
     "t.x:1:19: error: opaque 'x' needs [size], <bound> or <>"},
    {"struct s { int register; };",
     "t.x:1:16: error: name 'register' is a C keyword"},
    {"struct s { int a; int a; };", "t.x:1:23: error: duplicate member 'a'"},
    {"struct s { s inner; };", "t.x:1:8: error: type 's' contains itself; use "
			       "an optional '*' or a variable-length array"},
    {"const A = 1;\n@", "t.x:2:1: error: unexpected character '@'"},
    {"/* abc", "t.x:1:1: error: unterminated comment"},
    {"#ifdef X\nconst A = 1;\n",
     "t.x:1:1: error: unterminated conditional directive"},
    {"#endif\n", "t.x:1:1: error: #endif without #if"},
    {"#if 1 +\n#endif\n",
     "t.x:1:1: error: invalid #if expression: missing operand"},
    {"#if 1 / 0\n#endif\n",
     "t.x:1:1: error: invalid #if expression: division by zero or overflow"},
    {"#define F(x) x\n",
     "t.x:1:1: error: function-like macros are not supported"},
    {"#error stop here\n", "t.x:1:1: error: #error stop here"},
    {"#frobnicate\n",
     "t.x:1:1: error: unknown preprocessor directive '#frobnicate'"},
    {"#include \"no-such-file.x\"\n",
     "t.x:1:1: error: cannot open include file 'no-such-file.x'"},
    {"program P { version V { void A(void) = 1; void B(void) = 1; } = 1; } = "
     "1;",
     "t.x:1:48: error: duplicate procedure B = 1"},
    {"program P { version V { void A(void, int) = 1; } = 1; } = 1;",
     "t.x:1:32: error: 'void' must be the only argument"},
    {"program P { version V { void A(void) = 1; } = 1; version W { void "
     "B(void) = 1; } = 1; } = 1;",
     "t.x:1:58: error: duplicate version 1"},
    {"program P { version V { int A(void) = -1; } = 1; } = 1;",
     "t.x:1:39: error: procedure number out of range"},
    {"const A = \"text\";\ntypedef int a[A];",
     "t.x:2:15: error: 'A' is a string constant"},
    {"struct s { int x; } ;\nfoo",
     "t.x:2:1: error: expected a definition, found 'foo'"},
    {"struct foo { int a; };\nstruct foo_desc { int b; };",
     "t.x:1:8: error: generated name 'foo_desc' clashes with the name "
     "defined at t.x:2:8"},
    {"struct ping_1 { int a; };\n"
     "program P { version V { void PING(void) = 1; } = 1; } = 5;",
     "t.x:2:30: error: generated name 'ping_1' clashes with the name "
     "defined at t.x:1:8"},
    {"struct nd { int v; nd *kids<2>; };",
     "t.x:1:24: error: no arrays of optional data ('kids'): use a typedef"},
    {"const S = \"a\\qb\";",
     "t.x:1:13: error: invalid character or escape in string"},
    {"const S = \"a\tb\";",
     "t.x:1:13: error: invalid character or escape in string"},
    {"const S = \"ok \\\"quoted\\\" \\x41\";\nconst T = 1;", ""},
    {"enum en { A = B, B = A };",
     "t.x:1:6: error: enum 'en' depends on itself"},
    {"enum en { A, B = A, C = D, D = 7 };\nconst X = C;", ""},
    {"typedef int st;",
     "t.x:1:13: error: name 'st' is reserved by the generated code"},
    {"enum color { RED, TETHER_OK };",
     "t.x:1:19: error: name 'TETHER_OK' is reserved by the generated code"},
    {"typedef int default;",
     "t.x:1:13: error: expected a name, found 'default'"},
    {"typedef int auto;", "t.x:1:13: error: name 'auto' is a C keyword"},
    {"typedef int a;\nstruct s { a *x; a y; };\nconst a = 1;",
     "t.x:3:7: error: duplicate name 'a' (first defined at t.x:1:13)"},
};

/* Runs the whole pipeline; returns the first error text ("" if none). */
static char *compile(const char *src, size_t len)
{
	tc_ctx c;
	tc_buf h = {0}, s = {0};
	tc_init(&c);
	if (tc_parse_text(&c, "t.x", src, len) && tc_check(&c))
		tc_generate(&c, "t", &h, &s);
	char *err = strdup(c.err.s ? c.err.s : "");
	tc_buf_free(&h);
	tc_buf_free(&s);
	tc_fini(&c);
	size_t n = strlen(err);
	if (n > 0 && err[n - 1] == '\n')
		err[n - 1] = '\0';
	return err;
}

static void messages(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = compile(cases[i].src, strlen(cases[i].src));
		if (strcmp(err, cases[i].err) != 0) {
			printf("case %zu: %s\n  expected: %s\n  got:      %s\n",
			       i, cases[i].src, cases[i].err, err);
			bad++;
		}
		free(err);
	}
	assert_int_equal(bad, 0);
}

static char *repeat(const char *head, const char *tail, unsigned n, size_t *len)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s = malloc(n * (hl + tl) + 1);
	assert_non_null(s);
	size_t o = 0;
	for (unsigned i = 0; i < n; i++, o += hl)
		memcpy(s + o, head, hl);
	for (unsigned i = 0; i < n; i++, o += tl)
		memcpy(s + o, tail, tl);
	s[o] = '\0';
	*len = o;
	return s;
}

static void nesting_limits(void **state)
{
	(void)state;
	size_t len;
	/* 10,000 nested inline structs: a depth error, not a stack overflow. */
	char *s = repeat("struct t { struct { int a; ", "} x; };", 1, &len);
	char *err = compile(s, len);
	assert_string_equal(err, "");
	free(err);
	free(s);
	s = repeat("struct { int a; ", "} x; ", 10000, &len);
	memcpy(s, "struct y{int a; ", 16); /* the outermost one has a name */
	err = compile(s, len);
	assert_non_null(strstr(err, "nested too deeply"));
	free(err);
	free(s);
	s = repeat("#if 1\n", "#endif\n", 1000, &len);
	err = compile(s, len);
	assert_non_null(strstr(err, "#if nested too deeply"));
	free(err);
	free(s);
	s = repeat("#if ((((", "))))\n", 5000, &len);
	err = compile(s, len);
	assert_non_null(strstr(err, "error:"));
	free(err);
	free(s);
	/* Macros that double at each level stop at the expansion limit. */
	tc_buf b = {0};
	for (int i = 0; i < 40; i++)
		tc_buf_printf(&b, "#define M%d (M%d + M%d)\n", i, i + 1, i + 1);
	tc_buf_puts(&b, "#define M40 1\n#if M0\n#endif\n");
	err = compile(b.s, b.len);
	assert_string_equal(err, "t.x:42:1: error: invalid #if expression: "
				 "macros nested too deeply");
	free(err);
	tc_buf_free(&b);
	/* A name of 300 characters. */
	char name[400] = "const ";
	memset(name + 6, 'a', 300);
	memcpy(name + 306, " = 1;", 6);
	err = compile(name, strlen(name));
	assert_string_equal(
	    err, "t.x:1:7: error: name or number longer than 255 characters");
	free(err);
	/* A macro that expands to itself stops. */
	const char *self = "#define A B\n#define B A\nconst X = A;\n";
	err = compile(self, strlen(self));
	assert_string_equal(err, "t.x:3:11: error: undefined constant 'A'");
	free(err);
}

static void sizes_and_good_input(void **state)
{
	(void)state;
	size_t big = TC_MAX_INPUT + 1;
	char *s = calloc(1, big + 1);
	assert_non_null(s);
	memset(s, ' ', big);
	char *err = compile(s, big);
	assert_string_equal(err,
			    "t.x:1:1: error: input larger than 1048576 bytes");
	free(err);
	free(s);
	/* 2,000 enum values: a limit, so that checks stay cheap. */
	tc_buf b = {0};
	tc_buf_puts(&b, "enum big {");
	for (int i = 0; i < 2000; i++)
		tc_buf_printf(&b, " V%d = %d,", i, i);
	tc_buf_puts(&b, " END };");
	err = compile(b.s, b.len);
	assert_non_null(
	    strstr(err, "too many items in one definition (limit 1024)"));
	free(err);
	tc_buf_free(&b);
	/* Constants before their definition, hex, octal, negative, macros,
	 * conditionals, rpcgen's extras. */
	const char *ok =
	    "#define SIZE 010\n#ifndef NOPE\nconst N = SIZE;\n#elif 1\n#error "
	    "no\n#endif\n"
	    "typedef int arr[M];\nconst M = 0x4;\nconst NEG = -5;\n"
	    "enum en { A, B, C = 7, D };\n"
	    "union u switch (en d) { case A: case B: int x; case C: void; "
	    "default: hyper y; };\n"
	    "typedef struct { unsigned a; char b; u_int c; } anon;\n"
	    "struct big { arr a; string s<N>; opaque o[3]; opaque v<>; u *p; "
	    "anon q<>; quadruple f; };\n"
	    "program P { version V { void PING(void) = 0; big GET(int, string, "
	    "en) = 1; } = 2; } = 0x20000000;\n";
	err = compile(ok, strlen(ok));
	assert_string_equal(err, "");
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(messages),
	    cmocka_unit_test(nesting_limits),
	    cmocka_unit_test(sizes_and_good_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
