/* SPDX-License-Identifier: MIT */
/*
 * test_tetherc_oom.c - allocation-failure sweep (STYLE 21) over the whole
 * compiler: the k-th allocation fails, for every k a full compilation of
 * list.x-like input makes, and each run must end cleanly (an error, or
 * output identical to the reference) with nothing leaked (LSan, and our
 * own count of live bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tether/alloc.h>

#include "tetherc.h"

static const char src[] =
    "#define N 4\n%#include <stdio.h>\nconst M = N;\n"
    "enum color { RED = 1, BLUE = 2 };\n"
    "struct entry { unsigned id; string name<M>; entry *next; };\n"
    "typedef struct node *nodeptr;\nstruct node { hyper v; nodeptr next; };\n"
    "union pick switch (color c) { case RED: int a; case BLUE: opaque b<8>; "
    "};\n"
    "typedef struct tree *tree_ptr;\n"
    "struct tree { tree_ptr kids<2>; pick p[2]; netobj o; };\n"
    "program P { version V { void PING(void) = 0; entry ECHO(entry) = 1;\n"
    " int ADD(int, int) = 2; string S(string) = 3; } = 1; } = 0x20000001;\n";

static long fail_at, calls;
static size_t live;

static void *t_alloc(size_t n, void *ud)
{
	(void)ud;
	if (++calls == fail_at)
		return NULL;
	void *p = malloc(n);
	if (p != NULL)
		live += n;
	return p;
}

static void *t_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	(void)ud;
	if (++calls == fail_at)
		return NULL;
	void *q = realloc(p, new_n);
	if (q != NULL)
		live = live - old_n + new_n;
	return q;
}

static void t_free(void *p, size_t n, void *ud)
{
	(void)ud;
	if (p != NULL)
		live -= n;
	free(p);
}

/* One compilation; returns 1 (and the outputs in h and c) on success. */
static int compile(char **h, char **c)
{
	tc_ctx ctx;
	tc_buf hb = {0}, cb = {0};
	tc_init(&ctx);
	int ok = tc_parse_text(&ctx, "t.x", src, sizeof(src) - 1) &&
		 tc_check(&ctx) && tc_generate(&ctx, "t", &hb, &cb);
	if (!ok && fail_at == 0)
		printf("%s", ctx.err.s ? ctx.err.s : "?\n");
	assert_true(ok || ctx.failed || ctx.pool.failed);
	if (ok) {
		*h = strdup(hb.s);
		*c = strdup(cb.s);
	}
	tc_buf_free(&hb);
	tc_buf_free(&cb);
	tc_fini(&ctx);
	return ok;
}

static void sweep(void **state)
{
	(void)state;
	tether_allocator a = {t_alloc, t_realloc, t_free, NULL};
	tether_set_allocator(&a);
	char *ref_h = NULL, *ref_c = NULL;
	fail_at = 0;
	calls = 0;
	assert_int_equal(compile(&ref_h, &ref_c), 1);
	long total = calls;
	assert_true(total > 10);
	assert_int_equal(live, 0);
	long failures = 0;
	for (fail_at = 1; fail_at <= total; fail_at++) {
		calls = 0;
		char *h = NULL, *c = NULL;
		if (compile(&h, &c)) {
			assert_string_equal(h, ref_h);
			assert_string_equal(c, ref_c);
		} else {
			failures++;
		}
		free(h);
		free(c);
		assert_int_equal(live, 0);
	}
	printf("%ld allocations, %ld runs failed cleanly\n", total, failures);
	assert_true(failures > 0);
	tether_set_allocator(NULL);
	free(ref_h);
	free(ref_c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(sweep)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
