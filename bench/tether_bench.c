/* SPDX-License-Identifier: MIT */
/*
 * tether_bench.c - the tether side of the benchmarks and interop tests:
 * serves ECHO_PROG and NOTIFY_PROG (bench/echo.x, bench/notify.x) and
 * measures echo latency, echo throughput with D calls in flight, and
 * server-to-client callbacks on one connection. See --help.
 */
#include "bench_common.h"
#include "echo.h"
#include "notify.h"

#include <tether/client.h>
#include <tether/security.h>
#include <tether/server.h>
#include <tether/tls.h>
#include <tether/tether.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CB_DEPTH 16	    /* DESIGN §7: outbound calls per conn */
#define DEFAULT_CB_DEADLINE_MS 5000 /* DESIGN §7: callback deadline */
#define CALL_DEADLINE_MS 60000
#define MAX_SIZE (3u << 20) /* below the 4 MiB record maximum */

static const char usage_text[] =
    "usage:\n"
    "  tether-bench serve --listen ENDPOINT [--cert F --key F --ca F]\n"
    "                     [--audit FILE] [--callback-depth N]\n"
    "                     [--callback-deadline-ms MS]\n"
    "                     [--max-per-source N (0: no cap)]\n"
    "      Serves ECHO_PROG and NOTIFY_PROG until SIGINT or SIGTERM;\n"
    "      prints \"listening ENDPOINT\" once bound (port 0 picks one).\n"
    "  tether-bench call --connect ENDPOINT\n"
    "                    --mode latency|throughput|callback|blackhole|\n"
    "                           handshake\n"
    "                    --size BYTES --calls N [--depth D]\n"
    "                    [--cert F --key F --ca F]\n"
    "      latency: one blocking ECHO at a time; throughput: D async\n"
    "      ECHO calls in flight on one connection; callback: one\n"
    "      SUBSCRIBE(N, BYTES) answered by N NOTIFY callbacks;\n"
    "      blackhole: SUBSCRIBE but never answer a callback, and\n"
    "      succeed only if the server cuts this connection off.\n"
    "      handshake: N times connect (for tls:// the RFC 9289 probe and\n"
    "      the mutual TLS 1.3 handshake), one ECHO_PING, close;\n"
    "      calls_per_s = connections per second, p50/p99 per connection.\n"
    "      Prints one JSON line; exits non-zero on any failure.\n"
    "ENDPOINT: tcp://HOST:PORT, unix:/PATH, tls://HOST:PORT (RFC 9289,\n"
    "mutual authentication: --cert, --key and --ca on both sides).\n"
    "--audit FILE: the server appends JSON audit records to FILE.\n";

typedef struct opts {
	const char *cmd;
	const char *endpoint;
	bench_ep ep;
	const char *mode;
	uint64_t size, calls, depth;
	uint64_t cb_depth, cb_deadline_ms;
	uint64_t max_per_source; /* UINT64_MAX: the library's default */
	const char *cert, *key, *ca, *audit;
} opts;

static int fail(const char *what, tether_status st)
{
	fprintf(stderr, "error: %s: %s (%s)\n", what, tether_strerror(st),
		tether_status_name(st));
	return 1;
}

/* ====================================================================== */
/* server                                                                 */
/* ====================================================================== */

static tether_status echo_ping_h(tether_call_ctx *ctx)
{
	(void)ctx;
	return TETHER_OK;
}

/* The argument lives in the call's arena until the reply is sent. */
static tether_status echo_h(tether_call_ctx *ctx, const echo_bytes *arg,
			    echo_bytes *res)
{
	(void)ctx;
	*res = *arg;
	return TETHER_OK;
}

static tether_status notify_ping_h(tether_call_ctx *ctx)
{
	(void)ctx;
	return TETHER_OK;
}

typedef struct serve_cfg {
	uint32_t cb_depth, cb_deadline_ms;
} serve_cfg;

/* One SUBSCRIBE in progress: NOTIFY callbacks on the caller's connection,
 * at most depth in flight, then the deferred reply. Touched only on the
 * connection's loop thread. */
typedef struct sub {
	tether_call_ctx *ctx;
	tether_conn *conn;
	uint32_t count, depth, deadline_ms;
	uint32_t issued, completed, answered;
	int pumping;
	notify_bytes payload;
} sub;

static void sub_pump(sub *s);

static void sub_finish(sub *s)
{
	uint32_t answered = s->answered;
	tether_status st = subscribe_1_reply(s->ctx, &answered);

	(void)st; /* nothing to do if the caller is gone */
	free(s->payload.notify_bytes_val);
	free(s);
}

static void on_notify(tether_status st, uint32_t *res, void *ud)
{
	sub *s = ud;

	s->completed++;
	if (st == TETHER_OK && res && *res == s->payload.notify_bytes_len)
		s->answered++;
	if (!s->pumping)
		sub_pump(s);
}

static void sub_pump(sub *s)
{
	s->pumping = 1;
	while (s->issued < s->count && s->issued - s->completed < s->depth) {
		tether_status st;

		s->issued++;
		st = notify_1_async(s->conn, &s->payload, s->deadline_ms,
				    on_notify, s);
		if (st != TETHER_OK)
			s->completed++; /* refused at once: not answered */
	}
	s->pumping = 0;
	if (s->completed == s->count)
		sub_finish(s);
}

static tether_status subscribe_h(tether_call_ctx *ctx,
				 const subscribe_args *arg, uint32_t *res)
{
	const serve_cfg *cfg = tether_ctx_userdata(ctx);
	sub *s;

	if (arg->count == 0) {
		*res = 0;
		return TETHER_OK;
	}
	if (arg->size > MAX_SIZE)
		return TETHER_E_TOO_LARGE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return TETHER_E_NOMEM;
	s->payload.notify_bytes_val = malloc(arg->size ? arg->size : 1);
	if (!s->payload.notify_bytes_val) {
		free(s);
		return TETHER_E_NOMEM;
	}
	s->payload.notify_bytes_len = arg->size;
	bench_fill((uint8_t *)s->payload.notify_bytes_val, arg->size, 0);
	s->ctx = ctx;
	s->conn = tether_ctx_conn(ctx);
	s->count = arg->count;
	s->depth = cfg->cb_depth;
	s->deadline_ms = cfg->cb_deadline_ms;
	sub_pump(s);
	return TETHER_E_DEFERRED;
}

static const echo_prog_1_handlers echo_handlers = {
    .echo_ping = echo_ping_h,
    .echo = echo_h,
};

static const notify_prog_1_handlers notify_handlers = {
    .notify_ping = notify_ping_h,
    .subscribe = subscribe_h,
};

static int wait_for_signal(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	return sigwait(&set, &sig);
}

static int serve_run(tether_server *srv)
{
	char ep[300];
	tether_status st;

	st = tether_server_endpoint(srv, 0, ep, sizeof(ep));
	if (st != TETHER_OK)
		return fail("server endpoint", st);
	printf("listening %s\n", ep);
	fflush(stdout);
	st = tether_server_start(srv);
	if (st != TETHER_OK)
		return fail("server start", st);
	wait_for_signal();
	st = tether_server_stop(srv, 1000);
	return st == TETHER_OK ? 0 : fail("server stop", st);
}

/* A TLS configuration from --cert/--key/--ca (NULL when none is given).
 * Returns 0, or 1 after printing which file failed. */
static int tls_config(const opts *o, tether_tls_config **out)
{
	tether_tls_config *c = NULL;
	tether_status st;

	*out = NULL;
	if (!o->cert && !o->key && !o->ca)
		return 0;
	st = tether_tls_config_new(&c);
	if (st == TETHER_OK && o->ca)
		st = tether_tls_config_set_ca_file(c, o->ca);
	if (st == TETHER_OK && o->cert)
		st = tether_tls_config_set_cert_file(c, o->cert);
	if (st == TETHER_OK && o->key)
		st = tether_tls_config_set_key_file(c, o->key);
	if (st != TETHER_OK) {
		tether_tls_config_free(c);
		return fail("--cert/--key/--ca", st);
	}
	*out = c;
	return 0;
}

/* Server options from the command line; the TLS configuration and audit
 * sink it points to must outlive the server (freed by the caller). */
static int serve_opts(const opts *o, const serve_cfg *cfg,
		      tether_server_opts *so, tether_tls_config **tls,
		      tether_audit_sink **audit)
{
	tether_status st;

	/* SUBSCRIBE keeps at most cb_depth callbacks in flight; let the
	 * engine's outbound cap allow them. */
	tether_server_opts_set_max_outbound(so, cfg->cb_depth);
	tether_server_opts_set_call_deadline_ms(so, cfg->cb_deadline_ms);
	if (o->max_per_source != UINT64_MAX)
		tether_server_opts_set_max_per_source(
		    so, (uint32_t)o->max_per_source);
	if (tls_config(o, tls) != 0)
		return 1;
	if (*tls)
		tether_server_opts_set_tls(so, *tls);
	if (o->audit) {
		st = tether_audit_sink_new_json_path(o->audit, audit);
		if (st != TETHER_OK) {
			fprintf(stderr, "error: --audit %s: %s\n", o->audit,
				tether_strerror(st));
			return 1;
		}
		tether_server_opts_set_audit(so, *audit);
	}
	return 0;
}

static int cmd_serve(const opts *o)
{
	static serve_cfg cfg;
	tether_server_opts *so = NULL;
	tether_server *srv = NULL;
	tether_tls_config *tls = NULL;
	tether_audit_sink *audit = NULL;
	tether_status st;
	int rc = 1;

	cfg.cb_depth = (uint32_t)o->cb_depth;
	cfg.cb_deadline_ms = (uint32_t)o->cb_deadline_ms;
	st = tether_server_opts_new(&so);
	if (st != TETHER_OK) {
		rc = fail("server options", st);
		goto out;
	}
	if (serve_opts(o, &cfg, so, &tls, &audit) != 0)
		goto out;
	st = tether_server_new(so, &srv);
	if (st != TETHER_OK) {
		rc = fail("server", st);
		goto out;
	}
	st = echo_prog_1_register(srv, &echo_handlers, NULL);
	if (st == TETHER_OK)
		st = notify_prog_1_register(srv, &notify_handlers, &cfg);
	if (st != TETHER_OK) {
		rc = fail("register", st);
		goto out;
	}
	st = tether_server_listen(srv, o->endpoint);
	if (st != TETHER_OK) {
		fprintf(stderr, "error: --listen %s: cannot listen: %s (%s)\n",
			o->endpoint, tether_strerror(st),
			tether_status_name(st));
		goto out;
	}
	rc = serve_run(srv);
out:
	tether_server_free(srv);
	tether_server_opts_free(so);
	tether_tls_config_free(tls);
	tether_audit_sink_free(audit);
	return rc;
}

/* ====================================================================== */
/* client                                                                 */
/* ====================================================================== */

typedef struct crun {
	const opts *o;
	tether_client *c;
	tether_arena *arena;
	uint64_t *lat_ns;
	uint8_t *buf;
	/* throughput */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t next, done, inflight;
	tether_status err;
	/* callback */
	uint64_t cb_seen, cb_bad;
	uint64_t cb_last_ns;
} crun;

static int check_reply(const crun *r, const echo_bytes *res, uint64_t seq)
{
	if (res->echo_bytes_len != r->o->size ||
	    bench_check((const uint8_t *)res->echo_bytes_val, r->o->size,
			seq) != 0) {
		fprintf(stderr,
			"error: call %llu: reply bytes differ (got %u bytes, "
			"sent %llu)\n",
			(unsigned long long)seq, (unsigned)res->echo_bytes_len,
			(unsigned long long)r->o->size);
		return -1;
	}
	return 0;
}

static int run_latency(crun *r)
{
	for (uint64_t i = 0; i < r->o->calls; i++) {
		echo_bytes arg = {(uint32_t)r->o->size, (char *)r->buf};
		echo_bytes res = {0, NULL};
		tether_status st;
		uint64_t t0;

		bench_fill(r->buf, r->o->size, i);
		t0 = bench_now_ns();
		st = echo_1(r->c, &arg, &res, r->arena, CALL_DEADLINE_MS);
		r->lat_ns[i] = bench_now_ns() - t0;
		if (st != TETHER_OK)
			return fail("ECHO", st);
		if (check_reply(r, &res, i) != 0)
			return 1;
		tether_arena_reset(r->arena);
	}
	return 0;
}

/* Throughput: depth slots, each re-issued from its completion (on the
 * client's loop thread) until all calls are sent. mu serializes the
 * shared payload buffer between the first issues and completions. */
typedef struct slot {
	crun *r;
	uint64_t seq, t0;
} slot;

static void on_echo(tether_status st, echo_bytes *res, void *ud);

/* Called with r->mu held. */
static tether_status issue(slot *s)
{
	crun *r = s->r;
	echo_bytes arg = {(uint32_t)r->o->size, (char *)r->buf};

	tether_status st;

	s->seq = r->next++;
	bench_fill(r->buf, r->o->size, s->seq);
	s->t0 = bench_now_ns();
	st = echo_1_async(tether_client_conn(r->c), &arg, CALL_DEADLINE_MS,
			  on_echo, s);
	if (st == TETHER_OK)
		r->inflight++;
	return st;
}

static void on_echo(tether_status st, echo_bytes *res, void *ud)
{
	slot *s = ud;
	crun *r = s->r;

	pthread_mutex_lock(&r->mu);
	r->lat_ns[s->seq] = bench_now_ns() - s->t0;
	if (st != TETHER_OK && r->err == TETHER_OK)
		r->err = st;
	else if (st == TETHER_OK && check_reply(r, res, s->seq) != 0)
		r->err = TETHER_E_BAD_REPLY;
	r->done++;
	r->inflight--;
	if (r->err == TETHER_OK && r->next < r->o->calls) {
		st = issue(s);
		if (st != TETHER_OK)
			r->err = st;
	}
	if (r->done >= r->o->calls || (r->err != TETHER_OK && r->inflight == 0))
		pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static int run_throughput(crun *r)
{
	uint64_t n = r->o->depth < r->o->calls ? r->o->depth : r->o->calls;
	slot *slots = calloc(n, sizeof(*slots));
	tether_status st = tether_client_start(r->c);

	if (!slots || st != TETHER_OK) {
		free(slots);
		return fail("client start",
			    st != TETHER_OK ? st : TETHER_E_NOMEM);
	}
	pthread_mutex_lock(&r->mu);
	for (uint64_t i = 0; i < n && r->err == TETHER_OK; i++) {
		slots[i].r = r;
		st = issue(&slots[i]);
		if (st != TETHER_OK)
			r->err = st;
	}
	/* Every issued call completes exactly once, error or not; wait for
	 * all of them before the slots go away. */
	while (r->done < r->o->calls &&
	       !(r->err != TETHER_OK && r->inflight == 0))
		pthread_cond_wait(&r->cv, &r->mu);
	st = r->err;
	pthread_mutex_unlock(&r->mu);
	tether_client_stop(r->c);
	free(slots);
	return st == TETHER_OK ? 0 : fail("ECHO (async)", st);
}

/* NOTIFY_CB_PROG, served by this client on its own connection. */
static tether_status cb_ping_h(tether_call_ctx *ctx)
{
	(void)ctx;
	return TETHER_OK;
}

static tether_status notify_h(tether_call_ctx *ctx, const notify_bytes *arg,
			      uint32_t *res)
{
	crun *r = tether_ctx_userdata(ctx);
	uint64_t now = bench_now_ns();

	if (r->cb_seen < r->o->calls && r->cb_seen > 0)
		r->lat_ns[r->cb_seen - 1] = now - r->cb_last_ns;
	r->cb_last_ns = now;
	r->cb_seen++;
	if (arg->notify_bytes_len != r->o->size ||
	    bench_check((const uint8_t *)arg->notify_bytes_val,
			arg->notify_bytes_len, 0) != 0)
		r->cb_bad++;
	*res = arg->notify_bytes_len;
	return TETHER_OK;
}

static const notify_cb_prog_1_handlers cb_handlers = {
    .notify_cb_ping = cb_ping_h,
    .notify = notify_h,
};

static int run_callback(crun *r)
{
	subscribe_args a = {(unsigned)r->o->calls, (unsigned)r->o->size};
	uint32_t answered = 0;
	tether_status st;

	st = notify_cb_prog_1_register_client(r->c, &cb_handlers, r);
	if (st != TETHER_OK)
		return fail("register NOTIFY_CB_PROG", st);
	/* The blocking call serves the callbacks on this thread. */
	st = subscribe_1(r->c, &a, &answered, r->arena, CALL_DEADLINE_MS * 5);
	if (st != TETHER_OK)
		return fail("SUBSCRIBE", st);
	if (answered != r->o->calls || r->cb_seen != r->o->calls ||
	    r->cb_bad != 0) {
		fprintf(stderr,
			"error: SUBSCRIBE: %u of %llu callbacks answered, %llu "
			"received, %llu with wrong bytes\n",
			answered, (unsigned long long)r->o->calls,
			(unsigned long long)r->cb_seen,
			(unsigned long long)r->cb_bad);
		return 1;
	}
	return 0;
}

/* Black-hole probe: NOTIFY_CB_PROG is registered but never answers
 * (every callback is deferred and dropped). The server must give up on
 * this connection (DESIGN §6: callback deadlines, cut off after repeated
 * expiries) without blocking anything else. */
static tether_status silent_h(tether_call_ctx *ctx, const notify_bytes *arg,
			      uint32_t *res)
{
	crun *r = tether_ctx_userdata(ctx);

	(void)arg, (void)res;
	r->cb_seen++;
	return TETHER_E_DEFERRED; /* and never tether_ctx_reply() */
}

static const notify_cb_prog_1_handlers silent_handlers = {
    .notify_cb_ping = cb_ping_h,
    .notify = silent_h,
};

static int run_blackhole(crun *r, uint64_t t0)
{
	subscribe_args a = {(uint32_t)r->o->calls, (uint32_t)r->o->size};
	uint32_t answered = 0;
	tether_status st;
	int cut_off;

	st = notify_cb_prog_1_register_client(r->c, &silent_handlers, r);
	if (st != TETHER_OK)
		return fail("register NOTIFY_CB_PROG", st);
	st = subscribe_1(r->c, &a, &answered, r->arena, CALL_DEADLINE_MS);
	/* Cut off (closed/reset), or answered with none of the callbacks. */
	cut_off = st == TETHER_E_CLOSED || st == TETHER_E_RESET ||
		  (st == TETHER_OK && answered == 0);
	printf("{\"impl\":\"tether\",\"transport\":\"%s\",\"tls\":false,"
	       "\"mode\":\"blackhole\",\"size\":%llu,\"calls\":%llu,"
	       "\"callbacks_received\":%llu,\"outcome\":\"%s\","
	       "\"answered\":%u,\"seconds\":%.3f}\n",
	       r->o->ep.is_unix ? "unix" : "tcp",
	       (unsigned long long)r->o->size, (unsigned long long)r->o->calls,
	       (unsigned long long)r->cb_seen, tether_status_name(st),
	       (unsigned)answered, (double)(bench_now_ns() - t0) / 1e9);
	if (!cut_off)
		fprintf(stderr,
			"error: the server did not give up on a peer that "
			"never answers callbacks: %s\n",
			tether_strerror(st));
	return cut_off ? 0 : 1;
}

/* Handshake: a fresh connection per iteration (connect, probe and
 * handshake for tls://, one NULL call, close), timed end to end. The TLS
 * configuration and options are built once so that only the connection
 * itself is measured. */
static int handshake_once(crun *r, const tether_client_opts *co,
			  uint64_t i)
{
	tether_client *c = NULL;
	uint64_t t0 = bench_now_ns();
	tether_status st = tether_client_connect(r->o->endpoint, co, &c);

	if (st == TETHER_OK)
		st = echo_ping_1(c, r->arena, CALL_DEADLINE_MS);
	tether_client_free(c);
	r->lat_ns[i] = bench_now_ns() - t0;
	tether_arena_reset(r->arena);
	return st == TETHER_OK ? 0 : fail("connect + ECHO_PING", st);
}

static int run_handshake(crun *r)
{
	tether_client_opts *co = NULL;
	tether_tls_config *tls = NULL;
	tether_status st;
	int rc = 1;

	if (tls_config(r->o, &tls) != 0)
		return 1;
	st = tether_client_opts_new(&co);
	if (st == TETHER_OK)
		st = tether_arena_new(4096, &r->arena);
	if (st != TETHER_OK) {
		rc = fail("setup", st);
		goto out;
	}
	if (tls)
		tether_client_opts_set_tls(co, tls);
	rc = 0;
	for (uint64_t i = 0; i < r->o->calls && rc == 0; i++)
		rc = handshake_once(r, co, i);
out:
	tether_client_opts_free(co);
	tether_tls_config_free(tls);
	return rc;
}

static int client_setup(crun *r)
{
	tether_client_opts *co = NULL;
	tether_tls_config *tls = NULL;
	tether_status st;

	if (tls_config(r->o, &tls) != 0)
		return 1;
	st = tether_client_opts_new(&co);
	if (st == TETHER_OK) {
		/* throughput keeps depth calls outstanding */
		tether_client_opts_set_max_outbound(co, (uint32_t)r->o->depth);
		if (tls)
			tether_client_opts_set_tls(co, tls);
		st = tether_client_connect(r->o->endpoint, co, &r->c);
	}
	tether_client_opts_free(co);
	tether_tls_config_free(tls);
	if (st != TETHER_OK) {
		fprintf(stderr,
			"error: --connect %s: cannot connect: %s (%s)\n",
			r->o->endpoint, tether_strerror(st),
			tether_status_name(st));
		return 1;
	}
	st = tether_arena_new((size_t)r->o->size * 2 + 65536, &r->arena);
	if (st != TETHER_OK)
		return fail("arena", st);
	return 0;
}

static int cmd_call(const opts *o)
{
	crun r = {.o = o};
	uint64_t t0, t1;
	int rc;

	r.lat_ns = calloc(o->calls, sizeof(uint64_t));
	r.buf = malloc(o->size ? o->size : 1);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	if (!r.lat_ns || !r.buf) {
		rc = fail("setup", TETHER_E_NOMEM);
		goto out;
	}
	rc = strcmp(o->mode, "handshake") ? client_setup(&r) : 0;
	if (rc != 0)
		goto out;
	t0 = bench_now_ns();
	if (!strcmp(o->mode, "handshake"))
		rc = run_handshake(&r);
	else if (!strcmp(o->mode, "latency"))
		rc = run_latency(&r);
	else if (!strcmp(o->mode, "throughput"))
		rc = run_throughput(&r);
	else if (!strcmp(o->mode, "blackhole"))
		rc = run_blackhole(&r, t0);
	else
		rc = run_callback(&r);
	t1 = bench_now_ns();
	if (rc == 0 && strcmp(o->mode, "blackhole") != 0) {
		bench_result res = {
		    .impl = "tether",
		    .mode = o->mode,
		    .ep = &o->ep,
		    .size = o->size,
		    .calls = o->calls,
		    .depth = o->depth,
		    .seconds = (double)(t1 - t0) / 1e9,
		    .lat_ns = r.lat_ns,
		    /* callback: n-1 gaps between callback arrivals */
		    .nlat =
			!strcmp(o->mode, "callback") ? o->calls - 1 : o->calls};
		bench_print(&res);
	}
out:
	tether_client_free(r.c);
	tether_arena_free(r.arena);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	free(r.lat_ns), free(r.buf);
	return rc;
}

/* ====================================================================== */
/* arguments                                                              */
/* ====================================================================== */

static int parse_mode(opts *o, const char *v)
{
	if (strcmp(v, "latency") && strcmp(v, "throughput") &&
	    strcmp(v, "callback") && strcmp(v, "blackhole") &&
	    strcmp(v, "handshake")) {
		fprintf(stderr,
			"error: --mode: expected latency, throughput, "
			"callback, blackhole or handshake, got '%s'\n",
			v);
		return -1;
	}
	o->mode = v;
	return 0;
}

static int parse_file_opt(opts *o, const char *k, const char *v)
{
	if (!strcmp(k, "--cert"))
		o->cert = v;
	else if (!strcmp(k, "--key"))
		o->key = v;
	else if (!strcmp(k, "--ca"))
		o->ca = v;
	else if (!strcmp(k, "--audit") && o->cmd[0] == 's')
		o->audit = v;
	else
		return 1;
	return 0;
}

static int parse_opt(opts *o, const char *k, const char *v)
{
	int serve = o->cmd[0] == 's';

	if (!v) {
		fprintf(stderr, "error: %s needs a value\n", k);
		return -1;
	}
	if (!strcmp(k, serve ? "--listen" : "--connect")) {
		o->endpoint = v;
		return bench_ep_parse(k, v, &o->ep);
	}
	if (parse_file_opt(o, k, v) == 0)
		return 0;
	if (serve && !strcmp(k, "--callback-depth"))
		return bench_parse_u64(k, v, 1, 4096, &o->cb_depth);
	if (serve && !strcmp(k, "--max-per-source"))
		return bench_parse_u64(k, v, 0, UINT32_MAX, &o->max_per_source);
	if (serve && !strcmp(k, "--callback-deadline-ms"))
		return bench_parse_u64(k, v, 1, 3600000, &o->cb_deadline_ms);
	if (!serve && !strcmp(k, "--mode"))
		return parse_mode(o, v);
	if (!serve && !strcmp(k, "--size"))
		return bench_parse_u64(k, v, 0, MAX_SIZE, &o->size);
	if (!serve && !strcmp(k, "--calls"))
		return bench_parse_u64(k, v, 1, 100000000, &o->calls);
	if (!serve && !strcmp(k, "--depth"))
		return bench_parse_u64(k, v, 1, 4096, &o->depth);
	fprintf(stderr, "error: unknown argument '%s' for '%s'\n", k, o->cmd);
	return -1;
}

static int check_opts(opts *o)
{
	if (!o->endpoint) {
		fprintf(stderr, "error: %s is required\n",
			o->cmd[0] == 's' ? "--listen" : "--connect");
		return -1;
	}
	if (o->ep.tls && (!o->ca || !o->cert || !o->key)) {
		fprintf(stderr,
			"error: %s %s: tls:// needs --cert, --key and --ca "
			"(mutual authentication)\n",
			o->cmd[0] == 's' ? "--listen" : "--connect",
			o->endpoint);
		return -1;
	}
	if (!o->ep.tls && (o->cert || o->key || o->ca)) {
		fprintf(stderr, "error: --cert/--key/--ca: only for a tls:// "
				"endpoint\n");
		return -1;
	}
	if (o->cmd[0] == 'c' && !o->mode) {
		fprintf(stderr, "error: --mode is required\n");
		return -1;
	}
	if (o->cmd[0] == 'c' &&
	    (!strcmp(o->mode, "latency") || !strcmp(o->mode, "handshake")))
		o->depth = 1;
	/* handshake: one NULL call per connection, no payload */
	if (o->cmd[0] == 'c' && !strcmp(o->mode, "handshake"))
		o->size = 0;
	/* callback: the server picks how many are in flight; not known here */
	if (o->cmd[0] == 'c' &&
	    (!strcmp(o->mode, "callback") || !strcmp(o->mode, "blackhole")))
		o->depth = 0;
	if (o->cmd[0] == 'c' && !strcmp(o->mode, "callback") &&
	    o->calls > 0xffffffffu) {
		fprintf(stderr,
			"error: --calls: at most 4294967295 callbacks\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	opts o = {.size = 64,
		  .calls = 10000,
		  .depth = 64,
		  .cb_depth = DEFAULT_CB_DEPTH,
		  .cb_deadline_ms = DEFAULT_CB_DEADLINE_MS,
		  .max_per_source = UINT64_MAX};
	sigset_t set;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	o.cmd = argv[1];
	if (strcmp(o.cmd, "serve") && strcmp(o.cmd, "call")) {
		fprintf(stderr, "error: unknown command '%s'\n%s", o.cmd,
			usage_text);
		return 2;
	}
	for (int i = 2; i < argc; i += 2) {
		if (!strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (parse_opt(&o, argv[i], i + 1 < argc ? argv[i + 1] : NULL))
			return 2;
	}
	if (check_opts(&o) != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (o.cmd[0] == 'c')
		return cmd_call(&o);
	/* Block the stop signals in every thread (the server's threads
	 * inherit the mask); the main thread waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return cmd_serve(&o);
}
