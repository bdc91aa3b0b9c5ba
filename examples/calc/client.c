/* SPDX-License-Identifier: MIT */
/*
 * client.c - the calculator client. With an expression it evaluates it;
 * without, it runs a short tour of both kinds of failure: a typed error in
 * the result (division by zero) and an RPC error (a procedure the server
 * does not implement).
 *
 *   calc-client ENDPOINT [A OP B]     OP: + - x /
 */
#include "calc.h"

#include <tether/tether.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const error_names[] = {"ok", "division by zero", "overflow"};

static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int parse_op(const char *s, calc_op *op)
{
	static const char ops[] = "+-x/";
	const char *p = strlen(s) == 1 ? strchr(ops, s[0]) : NULL;

	if (p == NULL)
		return -1;
	*op = (calc_op)(p - ops);
	return 0;
}

/* Prints "A OP B = V" or "A OP B: error: REASON"; 0 if the call worked,
 * whatever the result says. */
static int eval(tether_client *c, tether_arena *arena, const calc_args *a)
{
	static const char ops[] = "+-x/";
	calc_result r;
	tether_status st = eval_1(c, a, &r, arena, 0);

	printf("%" PRId64 " %c %" PRId64, a->a, ops[a->op], a->b);
	if (st != TETHER_OK) {
		printf(": call failed: %s (%s)\n", tether_strerror(st),
		       tether_status_name(st));
		return 1;
	}
	if (r.err == CALC_OK)
		printf(" = %" PRId64 "\n", r.calc_result_u.value);
	else
		printf(": error: %s\n", error_names[r.err]);
	return 0;
}

/* SQRT is in calc.x but the server leaves it out: an RPC-level error,
 * reported by the status of the call itself. */
static int sqrt_unimplemented(tether_client *c, tether_arena *arena)
{
	int64_t arg = 49, res = 0;
	tether_status st = sqrt_1(c, &arg, &res, arena, 0);

	printf("sqrt 49: %s (%s)\n", tether_strerror(st),
	       tether_status_name(st));
	return st == TETHER_E_PROC_UNAVAIL ? 0 : 1;
}

static int tour(tether_client *c, tether_arena *arena)
{
	static const calc_args steps[] = {
	    {CALC_MUL, 6, 7},
	    {CALC_SUB, 2, 40},
	    {CALC_DIV, 7, 0},
	    {CALC_MUL, INT64_MAX, 2},
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		rc |= eval(c, arena, &steps[i]);
	return rc | sqrt_unimplemented(c, arena);
}

int main(int argc, char **argv)
{
	tether_client *c = NULL;
	tether_arena *arena = NULL;
	calc_args a;
	tether_status st;
	int rc;

	if (argc != 2 &&
	    !(argc == 5 && parse_i64(argv[2], &a.a) == 0 &&
	      parse_op(argv[3], &a.op) == 0 && parse_i64(argv[4], &a.b) == 0)) {
		fprintf(
		    stderr,
		    "usage: calc-client ENDPOINT [A OP B]  (OP: + - x /)\n");
		return 2;
	}
	st = tether_client_connect(argv[1], NULL, &c);
	if (st == TETHER_OK)
		st = tether_arena_new(4096, &arena);
	if (st != TETHER_OK) {
		fprintf(stderr, "calc-client: %s: %s\n", argv[1],
			tether_strerror(st));
		tether_client_free(c);
		return 1;
	}
	rc = argc == 5 ? eval(c, arena, &a) : tour(c, arena);
	tether_arena_free(arena);
	tether_client_free(c);
	return rc;
}
