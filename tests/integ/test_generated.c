/* SPDX-License-Identifier: MIT */
/*
 * test_generated.c - the runtime driven through tetherc output for
 * bench/echo.x and bench/notify.x: typed blocking and async stubs, generated
 * handler tables and registration, callbacks with typed completions.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <tether/tether.h>

#include "echo.h"
#include "notify.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- server ------------------------------------------------------------- */

static _Atomic int g_pings; /* calls of the generated ECHO_PING handler */

static tether_status echo_ping_h(tether_call_ctx *ctx)
{
	(void)ctx;
	g_pings++;
	return TETHER_OK;
}

static tether_status echo_h(tether_call_ctx *ctx, const echo_bytes *a,
			    echo_bytes *r)
{
	(void)ctx;
	*r = *a;
	return TETHER_OK;
}

static const echo_prog_1_handlers echo_handlers = {echo_ping_h, echo_h};

typedef struct sub {
	tether_call_ctx *ctx;
	uint32_t count, size, sent, done, answered;
	notify_bytes payload;
} sub;

static void sub_pump(sub *s);

static void notified(tether_status st, uint32_t *res, void *ud)
{
	sub *s = ud;
	s->done++;
	if (st == TETHER_OK && *res == s->size)
		s->answered++;
	sub_pump(s);
}

static void sub_pump(sub *s)
{
	while (s->sent < s->count) {
		tether_status st = notify_1_async(tether_ctx_conn(s->ctx),
						  &s->payload, 0, notified, s);
		if (st == TETHER_E_BUSY && s->sent > s->done)
			break;
		s->sent++;
		if (st != TETHER_OK)
			s->done++;
	}
	if (s->done == s->count) {
		uint32_t n = s->answered;
		tether_call_ctx *ctx = s->ctx;
		tether_status st;
		free(s->payload.notify_bytes_val);
		free(s);
		st = subscribe_1_reply(ctx, &n);
		(void)st;
	}
}

static tether_status subscribe_h(tether_call_ctx *ctx, const subscribe_args *a,
				 uint32_t *r)
{
	sub *s;
	if (a->count == 0) {
		*r = 0;
		return TETHER_OK;
	}
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return TETHER_E_NOMEM;
	s->ctx = ctx, s->count = a->count, s->size = a->size;
	s->payload.notify_bytes_len = a->size;
	s->payload.notify_bytes_val = calloc(1, a->size + 1);
	sub_pump(s);
	return TETHER_E_DEFERRED;
}

static const notify_prog_1_handlers notify_handlers = {NULL, subscribe_h};

/* ---- client callback program -------------------------------------------- */

static tether_status notify_h(tether_call_ctx *ctx, const notify_bytes *a,
			      uint32_t *r)
{
	(void)ctx;
	*r = a->notify_bytes_len;
	return TETHER_OK;
}

static const notify_cb_prog_1_handlers cb_handlers = {NULL, notify_h};

/* ---- fixture ------------------------------------------------------------ */

typedef struct fixture {
	tether_server *s;
	char tcp[128], unix_ep[128];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	char path[96];
	snprintf(path, sizeof path, "unix:/tmp/tether-gen-%d.sock",
		 (int)getpid());
	assert_int_equal(tether_server_new(NULL, &f->s), TETHER_OK);
	assert_int_equal(echo_prog_1_register(f->s, &echo_handlers, NULL),
			 TETHER_OK);
	assert_int_equal(notify_prog_1_register(f->s, &notify_handlers, NULL),
			 TETHER_OK);
	assert_int_equal(tether_server_listen(f->s, "tcp://127.0.0.1:0"),
			 TETHER_OK);
	assert_int_equal(tether_server_listen(f->s, path), TETHER_OK);
	assert_int_equal(tether_server_endpoint(f->s, 0, f->tcp, sizeof f->tcp),
			 TETHER_OK);
	assert_int_equal(
	    tether_server_endpoint(f->s, 1, f->unix_ep, sizeof f->unix_ep),
	    TETHER_OK);
	assert_int_equal(tether_server_start(f->s), TETHER_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	tether_server_free(f->s);
	free(f);
	return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void test_echo_stubs(void **state)
{
	fixture *f = *state;
	tether_client *c;
	tether_arena *a;
	char big[70000];
	echo_bytes in = {sizeof big, big}, out;

	memset(big, 'q', sizeof big);
	assert_int_equal(tether_client_connect(f->tcp, NULL, &c), TETHER_OK);
	assert_int_equal(tether_arena_new(1 << 20, &a), TETHER_OK);
	assert_int_equal(echo_ping_1(c, a, 0), TETHER_OK);
	assert_int_equal(echo_1(c, &in, &out, a, 0), TETHER_OK);
	assert_int_equal(out.echo_bytes_len, sizeof big);
	assert_memory_equal(out.echo_bytes_val, big, sizeof big);
	tether_arena_free(a);
	tether_client_free(c);
}

/* A generated NULL-procedure handler is called; a NULL slot for procedure
 * 0 is answered anyway. */
static void test_null_procedures(void **state)
{
	fixture *f = *state;
	tether_client *c;
	int before;
	assert_int_equal(tether_client_connect(f->unix_ep, NULL, &c),
			 TETHER_OK);
	before = g_pings;
	assert_int_equal(notify_ping_1(c, NULL, 0), TETHER_OK);
	assert_int_equal(g_pings, before);
	assert_int_equal(echo_ping_1(c, NULL, 0), TETHER_OK);
	assert_int_equal(g_pings, before + 1);
	tether_client_free(c);
}

typedef struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, ok;
} waiter;

static void echoed(tether_status st, echo_bytes *res, void *ud)
{
	waiter *w = ud;
	pthread_mutex_lock(&w->mu);
	w->done++;
	if (st == TETHER_OK && res->echo_bytes_len == 5 &&
	    memcmp(res->echo_bytes_val, "hello", 5) == 0)
		w->ok++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void test_async_stubs(void **state)
{
	fixture *f = *state;
	tether_client *c;
	waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
	echo_bytes in = {5, "hello"};
	uint64_t end = now_ms() + 10000;

	assert_int_equal(tether_client_connect(f->unix_ep, NULL, &c),
			 TETHER_OK);
	assert_int_equal(tether_client_start(c), TETHER_OK);
	for (int i = 0; i < 16; i++)
		assert_int_equal(
		    echo_1_async(tether_client_conn(c), &in, 0, echoed, &w),
		    TETHER_OK);
	pthread_mutex_lock(&w.mu);
	while (w.done < 16 && now_ms() < end) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&w.cv, &w.mu, &ts);
	}
	pthread_mutex_unlock(&w.mu);
	assert_int_equal(w.done, 16);
	assert_int_equal(w.ok, 16);
	tether_client_free(c);
}

static void callbacks(const char *ep, bool loop_mode)
{
	tether_client *c;
	subscribe_args args = {10000, 32};
	uint32_t answered = 0;

	assert_int_equal(tether_client_connect(ep, NULL, &c), TETHER_OK);
	assert_int_equal(
	    notify_cb_prog_1_register_client(c, &cb_handlers, NULL), TETHER_OK);
	if (loop_mode)
		assert_int_equal(tether_client_start(c), TETHER_OK);
	assert_int_equal(subscribe_1(c, &args, &answered, NULL, 60000),
			 TETHER_OK);
	assert_int_equal(answered, 10000);
	tether_client_free(c);
}

static void test_callbacks_generated(void **state)
{
	fixture *f = *state;
	callbacks(f->tcp, false);
	callbacks(f->unix_ep, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_echo_stubs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_null_procedures, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_async_stubs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_callbacks_generated, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
