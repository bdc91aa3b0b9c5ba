/* SPDX-License-Identifier: MIT */
/*
 * test_runtime.c - the client/server runtime over real loopback TCP and
 * Unix sockets: echo sizes, RPC errors, deadlines, a killed server, refused
 * connects, async calls, callbacks on the client's connection, a black-hole
 * client, SO_PEERCRED, graceful stop. Every wait is bounded.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "prog.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* ---- server handlers ---------------------------------------------------- */

static tether_status h_echo(tether_call_ctx *ctx, const tp_bytes *a,
			    tp_bytes *r)
{
	(void)ctx;
	*r = *a; /* arguments live in the call's arena until the reply */
	return TETHER_OK;
}

static tether_status h_slow(tether_call_ctx *ctx, const uint32_t *ms,
			    uint32_t *r)
{
	(void)ctx;
	sleep_ms(*ms); /* registered blocking (v2): runs on a worker */
	*r = *ms;
	return TETHER_OK;
}

typedef struct sub_state {
	tether_call_ctx *ctx;
	uint32_t count, size, sent, done, answered;
	tp_bytes payload;
} sub_state;

static void sub_pump(sub_state *s);

/* What callback completions and refusals said (black-hole test). */
static _Atomic int g_cb_timeouts, g_cb_unresponsive;

static void note_cb_status(tether_status st)
{
	if (st == TETHER_E_TIMEOUT)
		g_cb_timeouts++;
	else if (st == TETHER_E_UNRESPONSIVE)
		g_cb_unresponsive++;
}

static void sub_done(tether_status st, void *res, void *ud)
{
	sub_state *s = ud;
	note_cb_status(st);
	s->done++;
	if (st == TETHER_OK && *(uint32_t *)res == s->size)
		s->answered++;
	sub_pump(s);
}

/* Keeps callbacks in flight up to the connection's cap (E_BUSY), never
 * waiting: completions pump more; the last one replies. */
static void sub_pump(sub_state *s)
{
	while (s->sent < s->count) {
		tether_status st = tether_call_async(
		    tether_ctx_conn(s->ctx), tp_notify_pd, &s->payload, 0,
		    (tether_generic_fn)sub_done, s);
		if (st == TETHER_E_BUSY && s->sent > s->done)
			break;
		s->sent++;
		note_cb_status(st);
		if (st != TETHER_OK)
			s->done++; /* refused: counts as not answered */
	}
	if (s->done == s->count) {
		uint32_t answered = s->answered;
		tether_call_ctx *ctx = s->ctx;
		free(s->payload.val);
		free(s);
		/* Fails harmlessly when the connection is gone. */
		tether_status st = tether_ctx_reply(ctx, &answered);
		(void)st;
	}
}

static tether_status h_subscribe(tether_call_ctx *ctx, const tp_sub_args *a,
				 uint32_t *r)
{
	sub_state *s = calloc(1, sizeof *s);
	(void)r;
	if (s == NULL)
		return TETHER_E_NOMEM;
	s->ctx = ctx, s->count = a->count, s->size = a->size;
	s->payload.len = a->size;
	s->payload.val = calloc(1, a->size ? a->size : 1);
	memset(s->payload.val, 0x5a, a->size);
	if (a->count == 0) {
		*r = 0;
		free(s->payload.val);
		free(s);
		return TETHER_OK;
	}
	sub_pump(s);
	return TETHER_E_DEFERRED;
}

static tether_status h_whoami(tether_call_ctx *ctx, uint32_t *r)
{
	uint32_t uid;
	*r = tether_ctx_peer_cred(ctx, &uid, NULL, NULL) == TETHER_OK
		 ? uid
		 : 0xFFFFFFFFu;
	return TETHER_OK;
}

typedef struct hold_job {
	tether_call_ctx *ctx;
	uint32_t ms;
} hold_job;

static void *hold_thread(void *arg)
{
	hold_job *j = arg;
	uint32_t r = j->ms + 1;
	tether_status st;
	sleep_ms(j->ms);
	/* A deferred reply from a thread of the application's own. */
	st = tether_ctx_reply(j->ctx, &r);
	(void)st;
	free(j);
	return NULL;
}

static tether_status h_hold(tether_call_ctx *ctx, const uint32_t *a,
			    uint32_t *r)
{
	hold_job *j;
	pthread_t t;
	(void)r;
	if (*a == 0) {
		/* Reply first, from this (worker) thread, then say DEFERRED:
		 * the runtime must hold the reply until the handler returns. */
		uint32_t one = 1;
		tether_status st = tether_ctx_reply(ctx, &one);
		(void)st;
		return TETHER_E_DEFERRED;
	}
	j = malloc(sizeof *j);
	if (j == NULL)
		return TETHER_E_NOMEM;
	j->ctx = ctx, j->ms = *a;
	if (pthread_create(&t, NULL, hold_thread, j) != 0) {
		free(j);
		return TETHER_E_SYSTEM_ERR;
	}
	pthread_detach(t);
	return TETHER_E_DEFERRED;
}

/* FIRE: one callback, and the reply at once without waiting for it; the
 * callback's outcome is recorded for the test. */
static _Atomic int g_fire_status = -1;

static void fire_done(tether_status st, void *res, void *ud)
{
	(void)res;
	(void)ud;
	g_fire_status = (int)st;
}

static tether_status h_fire(tether_call_ctx *ctx, const uint32_t *size,
			    uint32_t *r)
{
	static uint8_t bytes[64];
	tp_bytes b = {*size < sizeof bytes ? *size : sizeof bytes, bytes};
	*r = (uint32_t)tether_call_async(tether_ctx_conn(ctx), tp_notify_pd, &b,
					 300, (tether_generic_fn)fire_done,
					 NULL);
	return TETHER_OK;
}

/* DROP: deferred, and the context is never answered: the server releases
 * it when it is freed (no leak, no crash). */
static tether_status h_drop(tether_call_ctx *ctx, const uint32_t *a,
			    uint32_t *r)
{
	(void)ctx;
	(void)a;
	(void)r;
	return TETHER_E_DEFERRED;
}

static const tp_handlers handlers = {h_echo, h_slow, h_subscribe, h_whoami,
				     h_hold, h_fire, h_drop};

/* ---- client callback handler -------------------------------------------- */

static tether_status h_notify(tether_call_ctx *ctx, const tp_bytes *a,
			      uint32_t *r)
{
	(void)ctx;
	*r = a->len;
	return TETHER_OK;
}

static const tp_cb_handlers cb_handlers = {h_notify};

/* ---- fixture ------------------------------------------------------------ */

typedef struct fixture {
	tether_server *s;
	char tcp[128], unix_ep[128];
} fixture;

static void server_up(fixture *f, tether_server_opts *o)
{
	char path[96];
	snprintf(path, sizeof path, "unix:/tmp/tether-integ-%d.sock",
		 (int)getpid());
	assert_int_equal(tether_server_new(o, &f->s), TETHER_OK);
	assert_int_equal(tether_server_register(f->s, &tp_v1, &handlers, NULL),
			 TETHER_OK);
	assert_int_equal(
	    tether_server_register_blocking(f->s, &tp_v2, &handlers, NULL),
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
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	tether_server_opts *o;
	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	tether_server_opts_set_io_threads(o, 2);
	tether_server_opts_set_workers(o, 2);
	/* The idle-footprint test opens 200 connections from one uid. */
	tether_server_opts_set_max_per_source(o, 0);
	server_up(f, o);
	tether_server_opts_free(o);
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

static tether_client *connect_ok(const char *ep)
{
	tether_client *c = NULL;
	assert_int_equal(tether_client_connect(ep, NULL, &c), TETHER_OK);
	return c;
}

/* ---- tests -------------------------------------------------------------- */

static void echo_sizes(const char *ep)
{
	/* Around the blocking client's read sizes (src/io/fdio.c: 16 KiB on
	 * the stack, then what the record still needs, capped at 1 MiB). */
	static const uint32_t sizes[] = {0,	1,	3,     4,     1000,
					 16355, 16356, 16384, 16385, 65536,
					 65537, 1024 * 1024,	(2u << 20) + 3};
	tether_client *c = connect_ok(ep);
	tether_arena *a;

	assert_int_equal(tether_arena_new(8u << 20, &a), TETHER_OK);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		tp_bytes in = {sizes[i], malloc(sizes[i] + 1)}, out = {0};
		for (uint32_t k = 0; k < sizes[i]; k++)
			in.val[k] = (uint8_t)(k * 7 + i);
		assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
				 TETHER_OK);
		assert_int_equal(out.len, sizes[i]);
		if (sizes[i] != 0)
			assert_memory_equal(out.val, in.val, sizes[i]);
		free(in.val);
		tether_arena_reset(a);
	}
	/* The NULL procedure answers for every served version. */
	assert_int_equal(tether_call(c, &tp_ping_pd, NULL, NULL, a, 0),
			 TETHER_OK);
	tether_arena_free(a);
	tether_client_free(c);
}

static void test_echo_tcp(void **state)
{
	echo_sizes(((fixture *)*state)->tcp);
}

static void test_echo_unix(void **state)
{
	echo_sizes(((fixture *)*state)->unix_ep);
}

static void test_echo_ipv6(void **state)
{
	tether_server *s;
	char ep[128];
	tether_client *c;
	tp_bytes in = {3, (uint8_t *)"abc"}, out = {0};
	tether_arena *a;
	(void)state;
	assert_int_equal(tether_server_new(NULL, &s), TETHER_OK);
	assert_int_equal(tether_server_register(s, &tp_v1, &handlers, NULL),
			 TETHER_OK);
	assert_int_equal(tether_server_listen(s, "tcp://[::1]:0"), TETHER_OK);
	assert_int_equal(tether_server_endpoint(s, 0, ep, sizeof ep),
			 TETHER_OK);
	assert_non_null(strstr(ep, "tcp://[::1]:"));
	assert_int_equal(tether_server_start(s), TETHER_OK);
	c = connect_ok(ep);
	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.val, "abc", 3);
	tether_arena_free(a);
	tether_client_free(c);
	assert_int_equal(tether_server_stop(s, 1000), TETHER_OK);
	tether_server_free(s);
}

static void test_rpc_errors(void **state)
{
	fixture *f = *state;
	tether_client *c = connect_ok(f->tcp);
	tether_arena *a;
	uint32_t bad = 0xFFFFFFF0u; /* a length no record can hold */
	tp_bytes in = {1, (uint8_t *)"x"}, out;

	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	assert_int_equal(tether_call(c, &tp_no_prog_pd, &in, &out, a, 0),
			 TETHER_E_PROG_UNAVAIL);
	assert_int_equal(tether_call(c, &tp_no_vers_pd, &in, &out, a, 0),
			 TETHER_E_PROG_MISMATCH);
	assert_int_equal(tether_call(c, &tp_no_proc_pd, NULL, NULL, a, 0),
			 TETHER_E_PROC_UNAVAIL);
	assert_int_equal(tether_call(c, &tp_bad_args_pd, &bad, &out, a, 0),
			 TETHER_E_GARBAGE_ARGS);
	/* The connection is still good after every error. */
	assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(out.len, 1);
	tether_arena_free(a);
	tether_client_free(c);
}

/* ---- raw sockets -------------------------------------------------------- */

static int raw_connect_unix(const char *ep)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	size_t len = strlen(ep + 5);
	assert_true(len < sizeof un.sun_path);
	memcpy(un.sun_path, ep + 5, len + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&un, sizeof un), 0);
	return fd;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* A record-marked CALL (RFC 5531 §9, §11) with AUTH_NONE and n arg words. */
static size_t raw_call(uint8_t *b, uint32_t xid, uint32_t rpcvers,
		       uint32_t prog, uint32_t vers, uint32_t proc,
		       const uint32_t *args, size_t n)
{
	uint32_t w[32] = {0, xid, 0, rpcvers, prog, vers, proc, 0, 0, 0, 0};
	size_t words = 11 + n;
	for (size_t i = 0; i < n; i++)
		w[11 + i] = args[i];
	w[0] = 0x80000000u | (uint32_t)((words - 1) * 4);
	for (size_t i = 0; i < words; i++)
		put32(b + 4 * i, w[i]);
	return words * 4;
}

static size_t read_some(int fd, uint8_t *b, size_t cap, unsigned ms)
{
	size_t got = 0;
	uint64_t end = now_ms() + ms;
	while (got < cap && now_ms() < end) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fd, b + got, cap - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* A NULL call (procedure 0) with an AUTH_SYS credential for uid/gid
 * (RFC 5531 Appendix A: stamp, machinename<255>, uid, gid, gids<16>). */
static size_t raw_call_sys(uint8_t *b, uint32_t xid, uint32_t uid, uint32_t gid)
{
	uint32_t w[] = {0,
			xid,
			0,
			2,
			TP_PROG,
			1,
			0,
			1 /* AUTH_SYS */,
			20 /* body */,
			0 /* stamp */,
			0 /* name "" */,
			uid,
			gid,
			0 /* gids */,
			0,
			0 /* verf */};
	size_t words = sizeof w / sizeof w[0];
	w[0] = 0x80000000u | (uint32_t)((words - 1) * 4);
	for (size_t i = 0; i < words; i++)
		put32(b + 4 * i, w[i]);
	return words * 4;
}

/* DESIGN §2: an AUTH_SYS credential that contradicts SO_PEERCRED is
 * refused with AUTH_ERROR/AUTH_BADCRED; the true one is accepted. */
static void test_auth_sys_checked(void **state)
{
	fixture *f = *state;
	uint8_t b[128];
	int fd = raw_connect_unix(f->unix_ep);
	size_t n;

	n = raw_call_sys(b, 1, (uint32_t)getuid(), (uint32_t)getgid());
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	/* mark, xid, REPLY, MSG_ACCEPTED, verf (0, 0), SUCCESS */
	assert_int_equal(read_some(fd, b, 28, 3000), 28);
	assert_int_equal(get32(b + 4), 1);
	assert_int_equal(get32(b + 12), 0);
	assert_int_equal(get32(b + 24), 0);
	n = raw_call_sys(b, 2, (uint32_t)getuid() + 1, (uint32_t)getgid());
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	/* mark, xid, REPLY, MSG_DENIED, AUTH_ERROR, AUTH_BADCRED */
	assert_int_equal(read_some(fd, b, 24, 3000), 24);
	assert_int_equal(get32(b), 0x80000000u | 20);
	assert_int_equal(get32(b + 4), 2);
	assert_int_equal(get32(b + 8), 1);
	assert_int_equal(get32(b + 12), 1);
	assert_int_equal(get32(b + 16), 1);
	assert_int_equal(get32(b + 20), 1);
	close(fd);
}

static void test_rpcvers3(void **state)
{
	fixture *f = *state;
	uint8_t b[128];
	int fd = raw_connect_unix(f->unix_ep);
	size_t n = raw_call(b, 0x1234, 3, TP_PROG, 1, 0, NULL, 0);

	assert_int_equal(write(fd, b, n), (ssize_t)n);
	/* mark, xid, REPLY, MSG_DENIED, RPC_MISMATCH, low 2, high 2 */
	assert_int_equal(read_some(fd, b, 28, 3000), 28);
	assert_int_equal(get32(b), 0x80000000u | 24);
	assert_int_equal(get32(b + 4), 0x1234);
	assert_int_equal(get32(b + 8), 1);
	assert_int_equal(get32(b + 12), 1);
	assert_int_equal(get32(b + 16), 0);
	assert_int_equal(get32(b + 20), 2);
	assert_int_equal(get32(b + 24), 2);
	close(fd);
}

static void test_deadline(void **state)
{
	fixture *f = *state;
	tether_client *c = connect_ok(f->tcp);
	uint32_t ms = 1500, r = 0;
	uint64_t t0 = now_ms();

	assert_int_equal(tether_call(c, tp_v2_slow_pd, &ms, &r, NULL, 200),
			 TETHER_E_TIMEOUT);
	assert_true(now_ms() - t0 < 1200);
	assert_true(now_ms() - t0 >= 190);
	/* A short blocking call on the worker pool still works. */
	ms = 10;
	assert_int_equal(tether_call(c, tp_v2_slow_pd, &ms, &r, NULL, 5000),
			 TETHER_OK);
	assert_int_equal(r, 10);
	tether_client_free(c);
}

static void test_refused(void **state)
{
	tether_client *c = NULL;
	char path[96];
	(void)state;
	/* Port 1 on loopback: nobody listens there in a test container. */
	assert_int_equal(tether_client_connect("tcp://127.0.0.1:1", NULL, &c),
			 TETHER_E_REFUSED);
	snprintf(path, sizeof path, "unix:/tmp/tether-none-%d.sock",
		 (int)getpid());
	assert_int_equal(tether_client_connect(path, NULL, &c),
			 TETHER_E_REFUSED);
	assert_int_equal(tether_client_connect("tcp://nope", NULL, &c),
			 TETHER_E_BAD_ENDPOINT);
	/* An address nobody serves (TEST-NET-1): unreachable, timed out, or
	 * refused by a local firewall — a transport error, quickly. */
	{
		tether_client_opts *o;
		tether_status st;
		uint64_t t0 = now_ms();
		assert_int_equal(tether_client_opts_new(&o), TETHER_OK);
		tether_client_opts_set_allow_plaintext(o, true);
		tether_client_opts_set_connect_timeout_ms(o, 300);
		st = tether_client_connect("tcp://192.0.2.1:9", o, &c);
		tether_client_opts_free(o);
		assert_true(st == TETHER_E_UNREACHABLE ||
			    st == TETHER_E_TIMEOUT || st == TETHER_E_REFUSED);
		assert_true(now_ms() - t0 < 2000);
	}
	/* Plaintext off loopback is refused before any packet is sent. */
	assert_int_equal(tether_client_connect("tcp://192.0.2.1:9", NULL, &c),
			 TETHER_E_INSECURE);
	{
		tether_server *s;
		assert_int_equal(tether_server_new(NULL, &s), TETHER_OK);
		assert_int_equal(tether_server_listen(s, "tcp://0.0.0.0:0"),
				 TETHER_E_INSECURE);
		tether_server_free(s);
	}
	/* tls:// without a TLS configuration: nothing to verify with. */
	assert_int_equal(tether_client_connect("tls://127.0.0.1:1", NULL, &c),
			 TETHER_E_INVAL);
	assert_null(c);
}

static void *killer(void *arg)
{
	sleep_ms(300);
	kill(*(pid_t *)arg, SIGKILL);
	return NULL;
}

static void test_server_killed(void **state)
{
	int pfd[2];
	pid_t pid;
	char ep[128] = {0};
	(void)state;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		tether_server *s;
		close(pfd[0]);
		alarm(30); /* never outlive the test */
		if (tether_server_new(NULL, &s) != TETHER_OK ||
		    tether_server_register_blocking(s, &tp_v2, &handlers,
						    NULL) != TETHER_OK ||
		    tether_server_listen(s, "tcp://127.0.0.1:0") != TETHER_OK ||
		    tether_server_endpoint(s, 0, ep, sizeof ep) != TETHER_OK ||
		    tether_server_start(s) != TETHER_OK)
			_exit(1);
		if (write(pfd[1], ep, sizeof ep) != (ssize_t)sizeof ep)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], ep, sizeof ep), (ssize_t)sizeof ep);
	close(pfd[0]);
	{
		tether_client *c = connect_ok(ep);
		pthread_t t;
		uint32_t ms = 5000, r;
		uint64_t t0 = now_ms();
		assert_int_equal(pthread_create(&t, NULL, killer, &pid), 0);
		assert_int_equal(
		    tether_call(c, tp_v2_slow_pd, &ms, &r, NULL, 10000),
		    TETHER_E_CLOSED);
		assert_true(now_ms() - t0 < 4000);
		pthread_join(t, NULL);
		assert_int_equal(tether_client_status(c), TETHER_E_CLOSED);
		/* Later calls fail at once with the same status. */
		assert_int_equal(
		    tether_call(c, tp_v2_slow_pd, &ms, &r, NULL, 1000),
		    TETHER_E_CLOSED);
		tether_client_free(c);
	}
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* ---- async -------------------------------------------------------------- */

typedef struct async_state {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, ok;
} async_state;

static void async_done(tether_status st, void *res, void *ud)
{
	async_state *s = ud;
	tp_bytes *b = res;
	pthread_mutex_lock(&s->mu);
	s->done++;
	if (st == TETHER_OK && b->len == 100 && b->val[0] == 0x33 &&
	    b->val[99] == 0x33)
		s->ok++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void test_async_64(void **state)
{
	fixture *f = *state;
	tether_client_opts *o;
	tether_client *c;
	async_state s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
			 0};
	uint8_t buf[100];
	tp_bytes in = {100, buf}, out;
	tether_arena *a;
	uint64_t end = now_ms() + 10000;

	memset(buf, 0x33, sizeof buf);
	assert_int_equal(tether_client_opts_new(&o), TETHER_OK);
	tether_client_opts_set_max_outbound(o, 64);
	assert_int_equal(tether_client_connect(f->unix_ep, o, &c), TETHER_OK);
	tether_client_opts_free(o);
	assert_int_equal(tether_client_start(c), TETHER_OK);
	for (int i = 0; i < 64; i++)
		assert_int_equal(
		    tether_call_async(tether_client_conn(c), tp_echo_pd, &in, 0,
				      (tether_generic_fn)async_done, &s),
		    TETHER_OK);
	pthread_mutex_lock(&s.mu);
	while (s.done < 64 && now_ms() < end) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000)
			ts.tv_sec++, ts.tv_nsec -= 1000000000;
		pthread_cond_timedwait(&s.cv, &s.mu, &ts);
	}
	pthread_mutex_unlock(&s.mu);
	assert_int_equal(s.done, 64);
	assert_int_equal(s.ok, 64);
	/* A blocking call on a started client goes through its loop. */
	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(out.len, 100);
	tether_arena_free(a);
	tether_client_free(c);
}

static void wait_done(async_state *s, int n, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	pthread_mutex_lock(&s->mu);
	while (s->done < n && now_ms() < end) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20000000;
		if (ts.tv_nsec >= 1000000000)
			ts.tv_sec++, ts.tv_nsec -= 1000000000;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
}

/* Async calls in blocking mode complete inside tether_client_poll() on
 * the calling thread; start/stop switch modes on one connection. */
static void test_client_modes(void **state)
{
	fixture *f = *state;
	tether_client *c = connect_ok(f->tcp);
	async_state s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
			 0};
	uint8_t buf[100];
	tp_bytes in = {100, buf}, out;
	tether_arena *a;

	memset(buf, 0x33, sizeof buf);
	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	for (int i = 0; i < 8; i++)
		assert_int_equal(
		    tether_call_async(tether_client_conn(c), tp_echo_pd, &in, 0,
				      (tether_generic_fn)async_done, &s),
		    TETHER_OK);
	assert_int_equal(s.done, 0); /* nobody did I/O yet */
	for (int i = 0; i < 100 && s.done < 8; i++)
		assert_int_equal(tether_client_poll(c, 20), TETHER_OK);
	assert_int_equal(s.ok, 8);
	/* Loop mode, then back. */
	assert_int_equal(tether_client_start(c), TETHER_OK);
	assert_int_equal(tether_client_poll(c, 0), TETHER_E_STATE);
	for (int i = 0; i < 8; i++)
		assert_int_equal(
		    tether_call_async(tether_client_conn(c), tp_echo_pd, &in, 0,
				      (tether_generic_fn)async_done, &s),
		    TETHER_OK);
	wait_done(&s, 16, 5000);
	assert_int_equal(s.ok, 16);
	assert_int_equal(tether_client_stop(c), TETHER_OK);
	assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(out.len, 100);
	/* And loop mode again on the same connection. */
	assert_int_equal(tether_client_start(c), TETHER_OK);
	tether_arena_reset(a);
	assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(out.len, 100);
	tether_arena_free(a);
	tether_client_free(c);
}

/* Async calls outstanding when the client is freed complete first. */
static void test_free_completes(void **state)
{
	fixture *f = *state;
	async_state s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
			 0};
	uint32_t ms = 300;
	for (int mode = 0; mode < 2; mode++) {
		tether_client *c = connect_ok(f->tcp);
		if (mode == 1)
			assert_int_equal(tether_client_start(c), TETHER_OK);
		assert_int_equal(
		    tether_call_async(tether_client_conn(c), tp_v2_slow_pd, &ms,
				      0, (tether_generic_fn)async_done, &s),
		    TETHER_OK);
		tether_client_free(c);
		assert_int_equal(s.done, mode + 1);
	}
	assert_int_equal(s.ok, 0);
}

/* ---- callbacks ---------------------------------------------------------- */

static void callbacks(const char *ep, uint32_t n)
{
	tether_client *c = connect_ok(ep);
	tp_sub_args args = {n, 16};
	uint32_t answered = 0;

	assert_int_equal(
	    tether_client_register(c, &tp_cb_v1, &cb_handlers, NULL),
	    TETHER_OK);
	assert_int_equal(
	    tether_call(c, tp_sub_pd, &args, &answered, NULL, 60000),
	    TETHER_OK);
	assert_int_equal(answered, n);
	tether_client_free(c);
}

static void test_callbacks_tcp(void **state)
{
	callbacks(((fixture *)*state)->tcp, 10000);
}

static void test_callbacks_unix(void **state)
{
	callbacks(((fixture *)*state)->unix_ep, 10000);
}

static void test_callbacks_unregistered(void **state)
{
	/* A client that registered nothing answers PROG_UNAVAIL: the server's
	 * callbacks fail and SUBSCRIBE reports none answered. */
	fixture *f = *state;
	tether_client *c = connect_ok(f->tcp);
	tp_sub_args args = {5, 4};
	uint32_t answered = 99;
	assert_int_equal(
	    tether_call(c, tp_sub_pd, &args, &answered, NULL, 10000),
	    TETHER_OK);
	assert_int_equal(answered, 0);
	tether_client_free(c);
}

/* A client that subscribes and never answers a callback is cut off after
 * repeated expiries, while another client is served normally, with no
 * extra server thread. */
static void test_black_hole(void **state)
{
	fixture f;
	tether_server_opts *o;
	uint8_t b[256];
	uint32_t args[2] = {1000, 8};
	int fd, threads_before, threads_during = -1;
	uint64_t t0, end;
	bool eof = false;
	tether_client *good;
	tether_arena *a;
	(void)state;

	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	tether_server_opts_set_io_threads(o, 1);
	tether_server_opts_set_workers(o, 1);
	tether_server_opts_set_call_deadline_ms(o, 200);
	tether_server_opts_set_max_expiries(o, 4);
	server_up(&f, o);
	tether_server_opts_free(o);
	good = connect_ok(f.tcp);
	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	threads_before = count_threads();
	g_cb_timeouts = g_cb_unresponsive = 0;

	fd = raw_connect_unix(f.unix_ep);
	{
		size_t n = raw_call(b, 7, 2, TP_PROG, 1, TP_SUBSCRIBE, args, 2);
		assert_int_equal(write(fd, b, n), (ssize_t)n);
	}
	t0 = now_ms();
	end = t0 + 5000;
	while (!eof && now_ms() < end) {
		tp_bytes in = {2, (uint8_t *)"ok"}, out;
		struct pollfd p = {fd, POLLIN, 0};
		/* The good client is served meanwhile. */
		assert_int_equal(tether_call(good, tp_echo_pd, &in, &out, a, 0),
				 TETHER_OK);
		assert_int_equal(out.len, 2);
		tether_arena_reset(a);
		if (threads_during < 0 && now_ms() - t0 > 100)
			threads_during = count_threads();
		if (poll(&p, 1, 20) > 0) {
			/* Swallow the callbacks without answering them. */
			ssize_t n = read(fd, b, sizeof b);
			eof = n <= 0;
		}
	}
	assert_true(eof);
	assert_true(now_ms() - t0 < 3000);
	/* Callbacks expired, then the engine cut the peer off: the rest of
	 * the handler's callbacks were refused with E_UNRESPONSIVE. */
	for (int i = 0; i < 100 && g_cb_unresponsive == 0; i++)
		sleep_ms(10);
	assert_true(g_cb_timeouts >= 4);
	assert_true(g_cb_unresponsive >= 1);
	{
		tether_server_counters k;
		assert_int_equal(tether_server_stats(f.s, &k, sizeof k),
				 TETHER_OK);
		assert_int_equal(k.closed_unresponsive, 1);
	}
	assert_int_equal(threads_during, threads_before);
	for (int i = 0; i < 100 && tether_server_connections(f.s) != 1; i++)
		sleep_ms(10);
	assert_int_equal(tether_server_connections(f.s), 1);
	close(fd);
	tether_arena_free(a);
	tether_client_free(good);
	tether_server_free(f.s);
}

static void test_deferred_other_thread(void **state)
{
	fixture *f = *state;
	tether_client *c = connect_ok(f->unix_ep);
	uint32_t ms = 50, r = 0;
	assert_int_equal(tether_call(c, tp_hold_pd, &ms, &r, NULL, 5000),
			 TETHER_OK);
	assert_int_equal(r, 51);
	ms = 1;
	assert_int_equal(tether_call(c, tp_hold_pd, &ms, &r, NULL, 5000),
			 TETHER_OK);
	assert_int_equal(r, 2);
	/* A blocking handler replying before it returns DEFERRED. */
	for (int i = 0; i < 20; i++) {
		ms = 0, r = 0;
		assert_int_equal(
		    tether_call(c, tp_v2_hold_pd, &ms, &r, NULL, 5000),
		    TETHER_OK);
		assert_int_equal(r, 1);
	}
	tether_client_free(c);
	sleep_ms(20); /* let the detached helper threads exit */
}

static void connection_cap(bool per_source)
{
	fixture f;
	tether_server_opts *o;
	tether_client *c[3];
	tp_bytes in = {1, (uint8_t *)"x"}, out;
	tether_arena *a;

	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	tether_server_opts_set_io_threads(o, 1);
	if (per_source)
		tether_server_opts_set_max_per_source(o, 2);
	else
		tether_server_opts_set_max_connections(o, 2);
	server_up(&f, o);
	tether_server_opts_free(o);
	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	for (int i = 0; i < 3; i++) {
		c[i] = connect_ok(f.tcp);
		/* One at a time so the first two are counted first. */
		for (int k = 0;
		     k < 100 && i < 2 &&
		     tether_server_connections(f.s) != (unsigned)i + 1;
		     k++)
			sleep_ms(5);
	}
	assert_int_equal(tether_call(c[0], tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(tether_call(c[1], tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	assert_int_equal(tether_call(c[2], tp_echo_pd, &in, &out, a, 2000),
			 TETHER_E_CLOSED);
	assert_int_equal(tether_server_connections(f.s), 2);
	{
		tether_server_counters k;
		assert_int_equal(tether_server_stats(f.s, &k, sizeof k),
				 TETHER_OK);
		assert_int_equal(k.accepted, 2);
		assert_int_equal(k.open, 2);
		assert_int_equal(
		    per_source ? k.refused_source : k.refused_total, 1);
		assert_int_equal(
		    per_source ? k.refused_total : k.refused_source, 0);
	}
	for (int i = 0; i < 3; i++)
		tether_client_free(c[i]);
	/* Closed connections make room again. */
	for (int k = 0; k < 200 && tether_server_connections(f.s) != 0; k++)
		sleep_ms(5);
	c[0] = connect_ok(f.tcp);
	assert_int_equal(tether_call(c[0], tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	tether_client_free(c[0]);
	if (per_source) {
		/* Another source (a Unix peer) is counted apart. */
		c[0] = connect_ok(f.unix_ep);
		assert_int_equal(tether_call(c[0], tp_echo_pd, &in, &out, a, 0),
				 TETHER_OK);
		tether_client_free(c[0]);
	}
	tether_arena_free(a);
	tether_server_free(f.s);
}

static void test_max_connections(void **state)
{
	(void)state;
	connection_cap(false);
	connection_cap(true);
}

/* ---- idle footprint: bytes the library holds per idle connection ------- */

static _Atomic long g_bytes;

static void *count_alloc(size_t n, void *ud)
{
	(void)ud;
	g_bytes += (long)n;
	return malloc(n);
}

static void *count_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	void *q = realloc(p, new_n);
	(void)ud;
	if (q != NULL)
		g_bytes += (long)new_n - (long)old_n;
	return q;
}

static void count_free(void *p, size_t n, void *ud)
{
	(void)ud;
	if (p != NULL)
		g_bytes -= (long)n;
	free(p);
}

static void test_idle_footprint(void **state)
{
	enum { N = 200 };
	fixture *f = *state;
	static const tether_allocator counting = {count_alloc, count_realloc,
						  count_free, NULL};
	int fds[N];
	long before, per_conn;

	/* Warm up both loops (their shared read buffers are per loop, not
	 * per connection). */
	for (int i = 0; i < 4; i++) {
		tether_client *w = connect_ok(f->unix_ep);
		assert_int_equal(
		    tether_call(w, &tp_ping_pd, NULL, NULL, NULL, 0),
		    TETHER_OK);
		tether_client_free(w);
	}
	for (int k = 0; k < 200 && tether_server_connections(f->s) != 0; k++)
		sleep_ms(5);
	/* malloc underneath both ways: switching hooks mid-run is safe. */
	tether_set_allocator(&counting);
	before = g_bytes;
	for (int i = 0; i < N; i++) {
		fds[i] = raw_connect_unix(f->unix_ep);
		/* One call each so every connection has been used once. */
		uint8_t b[64];
		size_t n = raw_call(b, (uint32_t)i, 2, TP_PROG, 1, 0, NULL, 0);
		assert_int_equal(write(fds[i], b, n), (ssize_t)n);
		assert_int_equal(read_some(fds[i], b, 28, 2000), 28);
	}
	for (int k = 0; k < 200 && tether_server_connections(f->s) != N; k++)
		sleep_ms(5);
	assert_int_equal(tether_server_connections(f->s), N);
	per_conn = (g_bytes - before) / N;
	print_message("idle connection: %ld bytes of library heap\n", per_conn);
	assert_true(per_conn > 0);
	assert_true(per_conn <= 16 * 1024);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	for (int k = 0; k < 200 && tether_server_connections(f->s) != 0; k++)
		sleep_ms(5);
	tether_set_allocator(NULL);
}

/* Deadlines count from when a call is made, not from the engine's last
 * tick: after idling longer than the deadline, calls and callbacks must
 * still get their full time (both drivers, both directions). */
static void test_idle_then_deadlines(void **state)
{
	fixture f;
	tether_server_opts *o;
	tether_client *c;
	tp_sub_args args = {50, 8};
	uint32_t answered = 0, ms = 100, r = 0;
	(void)state;

	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	tether_server_opts_set_io_threads(o, 1);
	tether_server_opts_set_call_deadline_ms(o, 600);
	server_up(&f, o);
	tether_server_opts_free(o);
	for (int mode = 0; mode < 2; mode++) {
		c = connect_ok(f.tcp);
		assert_int_equal(
		    tether_client_register(c, &tp_cb_v1, &cb_handlers, NULL),
		    TETHER_OK);
		if (mode == 1)
			assert_int_equal(tether_client_start(c), TETHER_OK);
		assert_int_equal(
		    tether_call(c, tp_v2_slow_pd, &ms, &r, NULL, 600),
		    TETHER_OK);
		sleep_ms(900); /* idle longer than every deadline below */
		assert_int_equal(
		    tether_call(c, tp_v2_slow_pd, &ms, &r, NULL, 600),
		    TETHER_OK);
		assert_int_equal(r, 100);
		sleep_ms(900);
		assert_int_equal(
		    tether_call(c, tp_sub_pd, &args, &answered, NULL, 5000),
		    TETHER_OK);
		assert_int_equal(answered, 50);
		tether_client_free(c);
	}
	tether_server_free(f.s);
}

/* A blocking-mode client answers a callback that arrived with its own
 * reply at once, not at its next call. */
static void test_callback_with_reply(void **state)
{
	fixture *f = *state;
	tether_client *c = connect_ok(f->unix_ep);
	uint32_t size = 16, r = 99;

	assert_int_equal(
	    tether_client_register(c, &tp_cb_v1, &cb_handlers, NULL),
	    TETHER_OK);
	for (int i = 0; i < 5; i++) {
		g_fire_status = -1;
		assert_int_equal(tether_call(c, tp_fire_pd, &size, &r, NULL, 0),
				 TETHER_OK);
		assert_int_equal(r, TETHER_OK); /* the callback was sent */
		/* No I/O from this thread now; the callback deadline is
		 * 300 ms. */
		for (int k = 0; k < 100 && g_fire_status < 0; k++)
			sleep_ms(10);
		assert_int_equal(g_fire_status, TETHER_OK);
	}
	tether_client_free(c);
}

/* The server-wide budget for calls in flight refuses a call that would
 * pass it, and the budget comes back when calls finish. */
static void test_call_memory_budget(void **state)
{
	fixture f;
	tether_server_opts *o;
	tether_client *c;
	tether_arena *a;
	size_t big = 100 * 1024;
	tp_bytes small = {1000, calloc(1, 1000)},
		 large = {(uint32_t)big, calloc(1, big)}, out;
	(void)state;

	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	tether_server_opts_set_io_threads(o, 1);
	tether_server_opts_set_max_call_memory(o, 64 * 1024);
	server_up(&f, o);
	tether_server_opts_free(o);
	assert_int_equal(tether_arena_new(1 << 20, &a), TETHER_OK);
	c = connect_ok(f.tcp);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(tether_call(c, tp_echo_pd, &small, &out, a, 0),
				 TETHER_OK);
		assert_int_equal(tether_call(c, tp_echo_pd, &large, &out, a, 0),
				 TETHER_E_SYSTEM_ERR);
		tether_arena_reset(a);
	}
	tether_client_free(c);
	{
		tether_server_counters k;
		assert_int_equal(tether_server_stats(f.s, &k, sizeof k),
				 TETHER_OK);
		assert_int_equal(k.refused_memory, 3);
		assert_int_equal(k.call_memory, 0); /* all released */
	}
	tether_arena_free(a);
	free(small.val);
	free(large.val);
	tether_server_free(f.s);
}

/* More calls in flight than the server takes per connection: the engine
 * stops consuming at max_inbound, the driver stops reading (backpressure
 * to the kernel), and reading resumes as replies go out. */
static void slow_done(tether_status st, void *res, void *ud)
{
	async_state *s = ud;
	pthread_mutex_lock(&s->mu);
	s->done++;
	if (st == TETHER_OK && *(uint32_t *)res == 2)
		s->ok++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void test_inbound_backpressure(void **state)
{
	fixture f;
	tether_server_opts *so;
	tether_client_opts *co;
	tether_client *c;
	async_state s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
			 0};
	uint32_t ms = 2;
	(void)state;

	assert_int_equal(tether_server_opts_new(&so), TETHER_OK);
	tether_server_opts_set_io_threads(so, 1);
	tether_server_opts_set_workers(so, 2);
	tether_server_opts_set_max_inbound(so, 8);
	server_up(&f, so);
	tether_server_opts_free(so);
	assert_int_equal(tether_client_opts_new(&co), TETHER_OK);
	tether_client_opts_set_max_outbound(co, 100);
	assert_int_equal(tether_client_connect(f.tcp, co, &c), TETHER_OK);
	tether_client_opts_free(co);
	assert_int_equal(tether_client_start(c), TETHER_OK);
	for (int i = 0; i < 100; i++)
		assert_int_equal(
		    tether_call_async(tether_client_conn(c), tp_v2_slow_pd, &ms,
				      10000, (tether_generic_fn)slow_done, &s),
		    TETHER_OK);
	wait_done(&s, 100, 15000);
	assert_int_equal(s.done, 100);
	assert_int_equal(s.ok, 100);
	tether_client_free(c);
	tether_server_free(f.s);
}

/* Peers sending garbage (random bytes, seeded) neither crash the server
 * nor disturb a good client; malformed peers get disconnected. */
static void test_garbage_peers(void **state)
{
	fixture *f = *state;
	enum { N = 24 };
	int fds[N];
	unsigned seed = 12345;
	tether_client *good = connect_ok(f->tcp);
	tether_arena *a;
	tp_bytes in = {3, (uint8_t *)"abc"}, out;

	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	for (int i = 0; i < N; i++) {
		uint8_t b[512];
		size_t n = 1 + (size_t)(rand_r(&seed) % sizeof b);
		for (size_t k = 0; k < n; k++)
			b[k] = (uint8_t)rand_r(&seed);
		if (i % 3 == 0) /* a record mark of an absurd size */
			put32(b, 0xFFFFFFF0u);
		fds[i] = raw_connect_unix(f->unix_ep);
		assert_int_equal(write(fds[i], b, n), (ssize_t)n);
		assert_int_equal(tether_call(good, tp_echo_pd, &in, &out, a, 0),
				 TETHER_OK);
		assert_int_equal(out.len, 3);
		tether_arena_reset(a);
	}
	/* Every record-size violation was cut off at once. */
	for (int i = 0; i < N; i += 3) {
		uint8_t b[64];
		struct pollfd p = {fds[i], POLLIN, 0};
		ssize_t n = 1;
		for (int k = 0; k < 50 && n > 0; k++) {
			if (poll(&p, 1, 100) > 0)
				n = read(fds[i], b, sizeof b);
		}
		assert_int_equal(n, 0);
	}
	{
		tether_server_counters k;
		assert_int_equal(tether_server_stats(f->s, &k, sizeof k),
				 TETHER_OK);
		assert_true(k.closed_malformed >= N / 3);
	}
	for (int i = 0; i < N; i++)
		close(fds[i]);
	assert_int_equal(tether_call(good, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	tether_arena_free(a);
	tether_client_free(good);
}

/* Calls deferred and never answered: the client times out, the
 * connection still works, and freeing the server releases the contexts
 * (LSan checks there is no leak). */
static void test_never_answered(void **state)
{
	fixture f;
	tether_client *c;
	uint32_t v = 1, r = 0;
	tp_bytes in = {2, (uint8_t *)"hi"}, out;
	tether_arena *a;
	void *fx;
	(void)state;

	assert_int_equal(setup(&fx), 0);
	f = *(fixture *)fx;
	free(fx);
	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	c = connect_ok(f.unix_ep);
	for (int i = 0; i < 3; i++)
		assert_int_equal(tether_call(c, tp_drop_pd, &v, &r, NULL, 100),
				 TETHER_E_TIMEOUT);
	assert_int_equal(tether_call(c, tp_echo_pd, &in, &out, a, 0),
			 TETHER_OK);
	/* The server goes first, with the three contexts still open. */
	assert_int_equal(tether_server_stop(f.s, 100), TETHER_OK);
	tether_server_free(f.s);
	tether_client_free(c);
	tether_arena_free(a);
}

/* Unix socket file permissions, and serving on a socket made elsewhere
 * (socket activation). */
static void test_listen_fd_and_mode(void **state)
{
	tether_server_opts *o;
	tether_server *s;
	char path[96], ep[128];
	struct stat st;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof sin;
	int lfd = socket(AF_INET, SOCK_STREAM, 0), other;
	tether_client *c;
	uint32_t uid = 0;
	(void)state;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(lfd, 8), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	snprintf(path, sizeof path, "unix:/tmp/tether-mode-%d.sock",
		 (int)getpid());

	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	tether_server_opts_set_io_threads(o, 1);
	tether_server_opts_set_unix_mode(o, 0600);
	assert_int_equal(tether_server_new(o, &s), TETHER_OK);
	tether_server_opts_free(o);
	assert_int_equal(tether_server_register(s, &tp_v1, &handlers, NULL),
			 TETHER_OK);
	assert_int_equal(tether_server_listen(s, path), TETHER_OK);
	assert_int_equal(stat(path + 5, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A socket that is not listening is refused. */
	other = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(tether_server_listen_fd(s, other, false),
			 TETHER_E_INVAL);
	close(other);
	assert_int_equal(tether_server_listen_fd(s, lfd, true), TETHER_E_INVAL);
	assert_int_equal(tether_server_listen_fd(s, lfd, false), TETHER_OK);
	assert_int_equal(tether_server_endpoint(s, 1, ep, sizeof ep),
			 TETHER_OK);
	{
		char want[64];
		snprintf(want, sizeof want, "tcp://127.0.0.1:%u",
			 (unsigned)ntohs(sin.sin_port));
		assert_string_equal(ep, want);
	}
	assert_int_equal(tether_server_start(s), TETHER_OK);
	c = connect_ok(ep);
	assert_int_equal(tether_call(c, tp_whoami_pd, NULL, &uid, NULL, 0),
			 TETHER_OK);
	assert_int_equal(uid, 0xFFFFFFFFu);
	tether_client_free(c);
	c = connect_ok(path);
	assert_int_equal(tether_call(c, tp_whoami_pd, NULL, &uid, NULL, 0),
			 TETHER_OK);
	assert_int_equal(uid, (uint32_t)getuid());
	tether_client_free(c);
	tether_server_free(s);
	assert_int_not_equal(stat(path + 5, &st), 0); /* unlinked */
}

/* Many clients at once, each on its own thread, mixing echo calls of
 * varying sizes with callbacks: every result is exact. */
typedef struct worker_arg {
	const char *ep;
	unsigned seed;
	int ok;
} worker_arg;

static void *client_worker(void *p)
{
	worker_arg *w = p;
	tether_client *c;
	tether_arena *a;
	uint8_t buf[4096];

	if (tether_client_connect(w->ep, NULL, &c) != TETHER_OK)
		return NULL;
	if (tether_client_register(c, &tp_cb_v1, &cb_handlers, NULL) !=
		TETHER_OK ||
	    tether_arena_new(1 << 16, &a) != TETHER_OK) {
		tether_client_free(c);
		return NULL;
	}
	for (int i = 0; i < 300; i++) {
		uint32_t n = (uint32_t)(rand_r(&w->seed) % sizeof buf);
		tp_bytes in = {n, buf}, out = {0, NULL};
		for (uint32_t k = 0; k < n; k++)
			buf[k] = (uint8_t)(k ^ (uint32_t)i);
		if (i % 50 == 0) {
			tp_sub_args sa = {20, 8};
			uint32_t got = 0;
			if (tether_call(c, tp_sub_pd, &sa, &got, NULL, 10000) ==
				TETHER_OK &&
			    got == 20)
				w->ok++;
			continue;
		}
		if (tether_call(c, tp_echo_pd, &in, &out, a, 10000) ==
			TETHER_OK &&
		    out.len == n && (n == 0 || memcmp(out.val, buf, n) == 0))
			w->ok++;
		tether_arena_reset(a);
	}
	tether_arena_free(a);
	tether_client_free(c);
	return NULL;
}

static void test_concurrent_clients(void **state)
{
	fixture *f = *state;
	enum { T = 8 };
	pthread_t t[T];
	worker_arg w[T];

	for (int i = 0; i < T; i++) {
		w[i] = (worker_arg){i % 2 ? f->tcp : f->unix_ep,
				    (unsigned)i * 7919u + 1, 0};
		assert_int_equal(
		    pthread_create(&t[i], NULL, client_worker, &w[i]), 0);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 300);
	}
}

/* ---- allocation failures (STYLE 21) -------------------------------------- */

/* Only the test thread's allocations are counted and failed: in blocking
 * mode the client does all its work there; server threads are unaffected. */
static _Thread_local bool tl_armed;
static _Thread_local long tl_bytes, tl_count, tl_fail_at;

static void *fail_alloc(size_t n, void *ud)
{
	void *p;
	(void)ud;
	if (tl_armed && ++tl_count == tl_fail_at)
		return NULL;
	p = malloc(n);
	if (p != NULL && tl_armed)
		tl_bytes += (long)n;
	return p;
}

static void *fail_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	void *q;
	(void)ud;
	if (tl_armed && ++tl_count == tl_fail_at)
		return NULL;
	q = realloc(p, new_n);
	if (q != NULL && tl_armed)
		tl_bytes += (long)new_n - (long)old_n;
	return q;
}

static void fail_free(void *p, size_t n, void *ud)
{
	(void)ud;
	if (p != NULL && tl_armed)
		tl_bytes -= (long)n;
	free(p);
}

/* Fails allocation 1, 2, 3... of connect + calls + free on the client:
 * every run ends with a status (an error, or OK when the failure was
 * absorbed), nothing crashes, and the client frees all it took. */
static void test_alloc_failures(void **state)
{
	fixture *f = *state;
	static const tether_allocator failing = {fail_alloc, fail_realloc,
						 fail_free, NULL};
	uint8_t buf[300];
	tp_bytes in = {sizeof buf, buf}, out;
	tp_sub_args sub = {20, 8};
	int completed = 0;

	memset(buf, 7, sizeof buf);
	tether_set_allocator(&failing);
	for (long k = 1; k < 400 && !completed; k++) {
		tether_client *c = NULL;
		tether_arena *a = NULL;
		tether_status st;
		uint32_t n = 0;

		tl_count = 0, tl_bytes = 0, tl_fail_at = k;
		tl_armed = true;
		st = tether_arena_new(1 << 16, &a);
		if (st == TETHER_OK)
			st = tether_client_connect(f->unix_ep, NULL, &c);
		if (st == TETHER_OK) {
			st = tether_client_register(c, &tp_cb_v1, &cb_handlers,
						    NULL);
			if (st == TETHER_OK)
				st = tether_call(c, tp_echo_pd, &in, &out, a,
						 2000);
			if (st == TETHER_OK)
				st = tether_call(c, tp_sub_pd, &sub, &n, NULL,
						 5000);
			tether_client_free(c);
		}
		tether_arena_free(a);
		tl_armed = false;
		if (tl_bytes != 0)
			fail_msg("allocation %ld failed: %ld bytes leaked", k,
				 tl_bytes);
		if (tl_count < k) {
			/* No allocation failed: the whole run succeeded. */
			assert_int_equal(st, TETHER_OK);
			assert_int_equal(n, 20);
			completed = 1;
			print_message("allocation sweep: %ld runs\n", k);
		} else if (st == TETHER_OK) {
			/* Absorbed (e.g. one callback answered SYSTEM_ERR):
			 * the calls still returned whole results. */
			assert_true(n <= 20);
		}
	}
	tether_set_allocator(NULL);
	assert_true(completed);
}

/* ---- identity, stop ----------------------------------------------------- */

static void test_peercred(void **state)
{
	fixture *f = *state;
	tether_client *c = connect_ok(f->unix_ep);
	uint32_t uid = 0, suid = 1;
	/* The client sees the server's kernel credentials too. */
	assert_true(tether_peer_identity_unix(tether_client_peer_identity(c),
					      &suid, NULL, NULL));
	assert_int_equal(suid, (uint32_t)getuid());
	assert_int_equal(tether_call(c, tp_whoami_pd, NULL, &uid, NULL, 0),
			 TETHER_OK);
	assert_int_equal(uid, (uint32_t)getuid());
	tether_client_free(c);
	c = connect_ok(f->tcp);
	assert_int_equal(tether_call(c, tp_whoami_pd, NULL, &uid, NULL, 0),
			 TETHER_OK);
	assert_int_equal(uid, 0xFFFFFFFFu); /* no kernel credentials on TCP */
	assert_null(tether_client_peer_identity(c));
	tether_client_free(c);
}

typedef struct slow_call {
	const char *ep;
	uint32_t ms;
	tether_status st;
	uint32_t r;
} slow_call;

static void *slow_caller(void *arg)
{
	slow_call *sc = arg;
	tether_client *c;
	sc->st = tether_client_connect(sc->ep, NULL, &c);
	if (sc->st != TETHER_OK)
		return NULL;
	sc->st = tether_call(c, tp_v2_slow_pd, &sc->ms, &sc->r, NULL, 10000);
	tether_client_free(c);
	return NULL;
}

static void test_graceful_stop(void **state)
{
	fixture f;
	pthread_t t;
	slow_call sc;
	tether_client *c = NULL;
	uint64_t t0;
	void *fx;
	(void)state;

	/* In-flight call finishes within the grace period. */
	assert_int_equal(setup(&fx), 0);
	f = *(fixture *)fx;
	free(fx);
	sc = (slow_call){f.tcp, 400, TETHER_E_STATE, 0};
	assert_int_equal(pthread_create(&t, NULL, slow_caller, &sc), 0);
	sleep_ms(150);
	t0 = now_ms();
	assert_int_equal(tether_server_stop(f.s, 3000), TETHER_OK);
	pthread_join(t, NULL);
	assert_int_equal(sc.st, TETHER_OK);
	assert_int_equal(sc.r, 400);
	assert_true(now_ms() - t0 < 2500);
	assert_int_equal(tether_client_connect(f.tcp, NULL, &c),
			 TETHER_E_REFUSED);
	assert_int_equal(tether_client_connect(f.unix_ep, NULL, &c),
			 TETHER_E_REFUSED);
	tether_server_free(f.s);

	/* Past the grace period the connection is aborted. */
	assert_int_equal(setup(&fx), 0);
	f = *(fixture *)fx;
	free(fx);
	sc = (slow_call){f.unix_ep, 1200, TETHER_E_STATE, 0};
	assert_int_equal(pthread_create(&t, NULL, slow_caller, &sc), 0);
	sleep_ms(150);
	assert_int_equal(tether_server_stop(f.s, 100), TETHER_OK);
	pthread_join(t, NULL);
	assert_int_equal(sc.st, TETHER_E_CLOSED);
	tether_server_free(f.s);
}

typedef struct run_state {
	tether_status st;
	tether_server *s;
} run_state;

static void *runner(void *arg)
{
	run_state *r = arg;
	r->st = tether_server_run(r->s);
	return NULL;
}

/* tether_server_run() serves on the calling thread until stopped. */
static void test_server_run(void **state)
{
	run_state r = {TETHER_E_STATE, NULL};
	pthread_t t;
	char ep[128];
	tether_client *c;
	uint32_t uid = 0;
	(void)state;

	assert_int_equal(tether_server_new(NULL, &r.s), TETHER_OK);
	assert_int_equal(tether_server_register(r.s, &tp_v1, &handlers, NULL),
			 TETHER_OK);
	assert_int_equal(tether_server_listen(r.s, "tcp://127.0.0.1:0"),
			 TETHER_OK);
	assert_int_equal(tether_server_endpoint(r.s, 0, ep, sizeof ep),
			 TETHER_OK);
	assert_int_equal(tether_server_endpoint(r.s, 1, ep + 100, 28),
			 TETHER_E_NOT_FOUND);
	assert_int_equal(pthread_create(&t, NULL, runner, &r), 0);
	c = connect_ok(ep);
	assert_int_equal(tether_call(c, tp_whoami_pd, NULL, &uid, NULL, 0),
			 TETHER_OK);
	assert_int_equal(tether_call(c, tp_whoami_pd, NULL, NULL, NULL, 0),
			 TETHER_E_INVAL);
	tether_client_free(c);
	assert_int_equal(tether_server_stop(r.s, 1000), TETHER_OK);
	pthread_join(t, NULL);
	assert_int_equal(r.st, TETHER_OK);
	assert_int_equal(tether_server_listen(r.s, "tcp://127.0.0.1:0"),
			 TETHER_E_STATE);
	tether_server_free(r.s);

	/* A stop before start wins: the server never starts. */
	assert_int_equal(tether_server_new(NULL, &r.s), TETHER_OK);
	assert_int_equal(tether_server_listen(r.s, "tcp://127.0.0.1:0"),
			 TETHER_OK);
	assert_int_equal(tether_server_endpoint(r.s, 0, ep, sizeof ep),
			 TETHER_OK);
	assert_int_equal(tether_server_stop(r.s, 0), TETHER_OK);
	assert_int_equal(tether_server_start(r.s), TETHER_E_STATE);
	assert_int_equal(tether_server_run(r.s), TETHER_E_STATE);
	tether_server_free(r.s);
	assert_int_equal(tether_client_connect(ep, NULL, &c), TETHER_E_REFUSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_echo_tcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_echo_unix, setup, teardown),
	    cmocka_unit_test(test_echo_ipv6),
	    cmocka_unit_test_setup_teardown(test_rpc_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rpcvers3, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_sys_checked, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_server_killed),
	    cmocka_unit_test_setup_teardown(test_async_64, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_completes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_callbacks_tcp, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_callbacks_unix, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_callbacks_unregistered, setup,
					    teardown),
	    cmocka_unit_test(test_black_hole),
	    cmocka_unit_test_setup_teardown(test_peercred, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_callback_with_reply, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_failures, setup,
					    teardown),
	    cmocka_unit_test(test_max_connections),
	    cmocka_unit_test(test_call_memory_budget),
	    cmocka_unit_test(test_never_answered),
	    cmocka_unit_test_setup_teardown(test_concurrent_clients, setup,
					    teardown),
	    cmocka_unit_test(test_listen_fd_and_mode),
	    cmocka_unit_test_setup_teardown(test_garbage_peers, setup,
					    teardown),
	    cmocka_unit_test(test_inbound_backpressure),
	    cmocka_unit_test(test_idle_then_deadlines),
	    cmocka_unit_test_setup_teardown(test_idle_footprint, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_deferred_other_thread, setup,
					    teardown),
	    cmocka_unit_test(test_graceful_stop),
	    cmocka_unit_test(test_server_run),
	};
	/* No SIG_IGN for SIGPIPE: the library must never raise it. */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
