/* SPDX-License-Identifier: MIT */
/*
 * server.c - the calculator server: EVAL with typed errors in its result;
 * SQRT left unimplemented (a NULL handler is answered PROC_UNAVAIL).
 */
#include "calc.h"

#include <tether/tether.h>

#include <signal.h>
#include <stdio.h>

static calc_error eval(const calc_args *a, int64_t *out)
{
	long long r = 0;
	int over = 0;

	switch (a->op) {
	case CALC_ADD:
		over = __builtin_saddll_overflow(a->a, a->b, &r);
		break;
	case CALC_SUB:
		over = __builtin_ssubll_overflow(a->a, a->b, &r);
		break;
	case CALC_MUL:
		over = __builtin_smulll_overflow(a->a, a->b, &r);
		break;
	case CALC_DIV:
		if (a->b == 0)
			return CALC_DIV_BY_ZERO;
		if (a->a == INT64_MIN && a->b == -1)
			return CALC_OVERFLOW;
		r = a->a / a->b;
		break;
	}
	*out = r;
	return over ? CALC_OVERFLOW : CALC_OK;
}

/* A calculation that has no answer is not a failed call: the reason
 * travels in the result, typed, and the call itself succeeds. */
static tether_status eval_h(tether_call_ctx *ctx, const calc_args *argp,
			    calc_result *resp)
{
	(void)ctx;
	resp->err = eval(argp, &resp->calc_result_u.value);
	return TETHER_OK;
}

/* .sqrt stays NULL: the generated dispatch answers PROC_UNAVAIL. */
static const calc_prog_1_handlers handlers = {.eval = eval_h};

static int fail(const char *what, tether_status st)
{
	fprintf(stderr, "calc-server: %s: %s\n", what, tether_strerror(st));
	return 1;
}

int main(int argc, char **argv)
{
	const char *endpoint = argc > 1 ? argv[1] : "tcp://127.0.0.1:0";
	tether_server *s = NULL;
	tether_status st;
	sigset_t sigs;
	char ep[256];
	int sig, rc = 1;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	st = tether_server_new(NULL, &s);
	if (st != TETHER_OK)
		return fail("server", st);
	st = calc_prog_1_register(s, &handlers, NULL);
	if (st == TETHER_OK)
		st = tether_server_listen(s, endpoint);
	if (st == TETHER_OK)
		st = tether_server_endpoint(s, 0, ep, sizeof ep);
	if (st == TETHER_OK)
		st = tether_server_start(s);
	if (st != TETHER_OK) {
		rc = fail(endpoint, st);
		goto out;
	}
	printf("listening %s\n", ep);
	fflush(stdout);
	sigwait(&sigs, &sig);
	st = tether_server_stop(s, 1000);
	rc = st == TETHER_OK ? 0 : fail("stop", st);
out:
	tether_server_free(s);
	return rc;
}
