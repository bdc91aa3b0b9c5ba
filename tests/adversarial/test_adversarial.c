/* SPDX-License-Identifier: MIT */
/*
 * test_adversarial.c - attacks on a live server over loopback, each at a
 * bounded size and time (docs/abuse.md): black-hole callback peers,
 * slowloris, half-open connections (plaintext and TLS), connection floods,
 * fd exhaustion under a low RLIMIT_NOFILE (server in a child process), huge
 * length prefixes, 100,000 one-byte fragments, call floods, big calls held
 * (memory per connection), abandoned calls, CANCEL storms, replies with XIDs
 * never issued, RPC version 3. Every case asserts that a
 * well-behaved client keeps being served, that the memory the library holds
 * stays under a budget, that nothing crashes and that the limit hit is
 * counted (tether_server_stats) and audited (a LIMIT record).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "adv_util.h"

/* What the library may hold above its level before an attack (bytes). */
enum { MEM_BUDGET = 32u << 20 };

typedef struct fixture {
	tether_server *s;
	char ep[128];
	uint16_t port;
	tether_client *good;
	tether_audit_sink *audit;
	size_t mem0;
} fixture;

static tether_server_opts *opts_base(void)
{
	tether_server_opts *o;
	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	tether_server_opts_set_io_threads(o, 2);
	tether_server_opts_set_workers(o, 2);
	return o;
}

/* Starts a server with o (freed here) and connects the good client. */
static void up(fixture *f, tether_server_opts *o)
{
	memset(f, 0, sizeof *f);
	/* Every limit hit must be audited (DESIGN §1). */
	f->audit = adv_audit_sink();
	assert_non_null(f->audit);
	adv_audit_reset();
	tether_server_opts_set_audit(o, f->audit);
	assert_int_equal(tether_server_new(o, &f->s), TETHER_OK);
	tether_server_opts_free(o);
	assert_int_equal(
	    tether_server_register(f->s, &tp_v1, &adv_handlers, NULL),
	    TETHER_OK);
	assert_int_equal(
	    tether_server_register_blocking(f->s, &tp_v2, &adv_handlers, NULL),
	    TETHER_OK);
	assert_int_equal(tether_server_listen(f->s, "tcp://127.0.0.1:0"),
			 TETHER_OK);
	assert_int_equal(tether_server_endpoint(f->s, 0, f->ep, sizeof f->ep),
			 TETHER_OK);
	f->port = adv_port(f->ep);
	assert_int_equal(tether_server_start(f->s), TETHER_OK);
	assert_int_equal(tether_client_connect(f->ep, NULL, &f->good),
			 TETHER_OK);
	assert_int_equal(adv_probe(f->good, NULL), TETHER_OK);
	f->mem0 = adv_alloc_current();
	adv_alloc_mark();
}

static void down(fixture *f)
{
	tether_client_free(f->good);
	tether_server_free(f->s);
	tether_audit_sink_free(f->audit);
}

static tether_server_counters stats(fixture *f)
{
	tether_server_counters k;
	assert_int_equal(tether_server_stats(f->s, &k, sizeof k), TETHER_OK);
	return k;
}

/* Waits (at most 5 s) until only the good client's connection is open, so
 * the per-connection counters of the others are summed in the stats. */
static tether_server_counters stats_after_close(fixture *f)
{
	for (int i = 0; i < 500 && tether_server_connections(f->s) != 1; i++)
		adv_sleep_ms(10);
	assert_int_equal(tether_server_connections(f->s), 1);
	return stats(f);
}

/* The memory the library held at its peak stayed within the budget. */
static void assert_mem_bounded(fixture *f, size_t budget)
{
	size_t peak = adv_alloc_peak();
	if (peak > f->mem0 + budget)
		fail_msg("library held %zu bytes, %zu over its start (budget "
			 "%zu)",
			 peak, peak - f->mem0, budget);
}

/* No I/O thread was kept from polling for long (the loops' heartbeat
 * timers fired on time, within a generous bound for loaded CI machines). */
static void assert_loops_free(fixture *f)
{
	uint64_t lag = stats(f).loop_lag_max_us;
	if (lag > 1000000u)
		fail_msg("an I/O loop was blocked for %llu us",
			 (unsigned long long)lag);
}

/* Serves the good client for ms while fds are read and discarded; returns
 * how many of fds reached EOF. */
static int serve_while(fixture *f, int *fds, int n, unsigned ms)
{
	uint64_t end = adv_now_ms() + ms;
	bool *eof = calloc((size_t)n, sizeof *eof);
	int closed = 0;
	uint8_t b[4096];

	assert_non_null(eof);
	while (adv_now_ms() < end && closed < n) {
		assert_int_equal(adv_probe(f->good, NULL), TETHER_OK);
		for (int i = 0; i < n; i++) {
			ssize_t r;
			if (eof[i])
				continue;
			r = recv(fds[i], b, sizeof b, MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN)) {
				eof[i] = true;
				closed++;
			}
		}
		adv_sleep_ms(10);
	}
	free(eof);
	return closed;
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---- black-hole callback peers ----------------------------------------- */

/* Several peers each ask for callbacks (SUBSCRIBE) and never answer one:
 * each holds max_outbound callbacks, they expire, the peer is cut off
 * (TETHER_E_UNRESPONSIVE, closed_unresponsive). */
static void test_black_hole_peers(void **state)
{
	enum { N = 8 };
	tether_server_opts *o = opts_base();
	uint32_t args[2] = {1000, 8};
	uint8_t b[128];
	int fds[N];
	fixture f;
	(void)state;

	tether_server_opts_set_call_deadline_ms(o, 300);
	tether_server_opts_set_max_expiries(o, 4);
	up(&f, o);
	for (int i = 0; i < N; i++) {
		size_t n = adv_call(b, 1, 2, TP_PROG, 1, TP_SUBSCRIBE, args, 2);
		fds[i] = adv_connect(f.port, NULL, true);
		assert_true(fds[i] >= 0);
		assert_int_equal(send(fds[i], b, n, MSG_NOSIGNAL), (ssize_t)n);
	}
	/* 4 expiries x 300 ms: each is cut off after about 1.2 s. */
	assert_int_equal(serve_while(&f, fds, N, 5000), N);
	assert_int_equal(stats(&f).closed_unresponsive, N);
	/* The limit's audit name ("callback_expiries"; "unresponsive" in
	 * some versions of src/server/saudit.c). */
	assert_int_equal(adv_audit_limits("callback_expiries") +
			     adv_audit_limits("unresponsive"),
			 N);
	assert_loops_free(&f);
	assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	assert_mem_bounded(&f, MEM_BUDGET);
	close_all(fds, N);
	{
		tether_server_counters k = stats_after_close(&f);
		/* Each held 16 (more refused: E_BUSY), 4+ expired each. */
		assert_true(k.out_busy >= N);
		assert_true(k.expired >= 4 * N);
	}
	down(&f);
}

/* ---- slowloris and half-open connections -------------------------------- */

/* One byte per second of a 40-byte record: the record deadline (here
 * 1500 ms) ends each connection, counted in closed_malformed. */
static void test_slowloris(void **state)
{
	enum { N = 16 };
	tether_server_opts *o = opts_base();
	uint8_t rec[48];
	int fds[N], closed = 0;
	fixture f;
	uint64_t t0;
	(void)state;

	tether_server_opts_set_record_timeout_ms(o, 1500);
	up(&f, o);
	(void)adv_call(rec, 9, 2, TP_PROG, 1, 0, NULL, 0);
	for (int i = 0; i < N; i++) {
		fds[i] = adv_connect(f.port, NULL, true);
		assert_true(fds[i] >= 0);
	}
	t0 = adv_now_ms();
	/* One byte per second to every connection, for up to 4 seconds. */
	for (size_t k = 0; k < 4 && closed < N; k++) {
		for (int i = 0; i < N; i++)
			(void)send(fds[i], rec + k, 1, MSG_NOSIGNAL);
		closed = serve_while(&f, fds, N, 1000);
	}
	for (int i = 0; i < N; i++)
		assert_true(adv_wait_eof(fds[i], 2000));
	assert_true(adv_now_ms() - t0 < 6000);
	assert_int_equal(stats(&f).closed_malformed, N);
	assert_int_equal(adv_audit_limits("record_timeout"), N);
	assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	assert_mem_bounded(&f, MEM_BUDGET);
	close_all(fds, N);
	down(&f);
}

/* Connect and send nothing; connect and send half a record: the idle
 * timeout (1000 ms here) and the record deadline (1500 ms) end them. */
static void test_half_open(void **state)
{
	enum { N = 20 };
	tether_server_opts *o = opts_base();
	uint8_t rec[48];
	int fds[N];
	fixture f;
	tether_server_counters k;
	(void)state;

	tether_server_opts_set_idle_timeout_ms(o, 1000);
	tether_server_opts_set_record_timeout_ms(o, 1500);
	up(&f, o);
	(void)adv_call(rec, 9, 2, TP_PROG, 1, 0, NULL, 0);
	for (int i = 0; i < N; i++) {
		fds[i] = adv_connect(f.port, NULL, true);
		assert_true(fds[i] >= 0);
		if (i % 2 == 1)
			assert_int_equal(send(fds[i], rec, 22, MSG_NOSIGNAL),
					 22);
	}
	/* The good client keeps its connection busy, never idle for 1 s. */
	assert_int_equal(serve_while(&f, fds, N, 4000), N);
	k = stats(&f);
	assert_int_equal(k.closed_idle + k.closed_malformed, N);
	assert_true(k.closed_idle >= N / 2);
	assert_int_equal(adv_audit_limits("idle_timeout"), k.closed_idle);
	assert_int_equal(adv_audit_limits("record_timeout"),
			 k.closed_malformed);
	assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	close_all(fds, N);
	down(&f);
}

/* On tls:// (the default transport) a peer that connects and says nothing,
 * or sends half the RFC 9289 probe, is cut off at the handshake deadline
 * (here 1000 ms; 5 s by default), while a good TLS client is served. */
static char g_dir[64];

static void tls_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", g_dir, name);
}

static void tls_issue(const char *name, const char *ip, unsigned usage)
{
	char ca[128], cakey[128], crt[128], key[128], n[64];
	tether_cert_opts *o;

	tls_path(ca, sizeof ca, "ca.crt");
	tls_path(cakey, sizeof cakey, "ca.key");
	snprintf(n, sizeof n, "%s.crt", name);
	tls_path(crt, sizeof crt, n);
	snprintf(n, sizeof n, "%s.key", name);
	tls_path(key, sizeof key, n);
	assert_int_equal(tether_cert_opts_new(&o), TETHER_OK);
	assert_int_equal(tether_cert_opts_set_common_name(o, name), TETHER_OK);
	if (ip != NULL)
		assert_int_equal(tether_cert_opts_add_ip(o, ip), TETHER_OK);
	assert_int_equal(tether_cert_opts_set_usage(o, usage), TETHER_OK);
	assert_int_equal(tether_certs_issue(o, ca, cakey, crt, key), TETHER_OK);
	tether_cert_opts_free(o);
}

static tether_tls_config *tls_config(const char *name)
{
	char ca[128], crt[128], key[128], n[64];
	tether_tls_config *c;

	tls_path(ca, sizeof ca, "ca.crt");
	snprintf(n, sizeof n, "%s.crt", name);
	tls_path(crt, sizeof crt, n);
	snprintf(n, sizeof n, "%s.key", name);
	tls_path(key, sizeof key, n);
	assert_int_equal(tether_tls_config_new(&c), TETHER_OK);
	assert_int_equal(tether_tls_config_set_ca_file(c, ca), TETHER_OK);
	assert_int_equal(tether_tls_config_set_cert_file(c, crt), TETHER_OK);
	assert_int_equal(tether_tls_config_set_key_file(c, key), TETHER_OK);
	return c;
}

static void test_half_open_tls(void **state)
{
	enum { N = 20 };
	static const char *files[] = {"ca.crt",	    "ca.key",	  "server.crt",
				      "server.key", "client.crt", "client.key"};
	char ca[128], cakey[128], ep[128];
	tether_cert_opts *co;
	tether_tls_config *stls, *ctls;
	tether_server_opts *o = opts_base();
	tether_client_opts *copts;
	tether_client *good;
	tether_server *s;
	tether_audit_sink *audit = adv_audit_sink();
	uint8_t probe[48];
	int fds[N], closed = 0;
	(void)state;

	snprintf(g_dir, sizeof g_dir, "/tmp/tether-adv-XXXXXX");
	assert_non_null(mkdtemp(g_dir));
	tls_path(ca, sizeof ca, "ca.crt");
	tls_path(cakey, sizeof cakey, "ca.key");
	assert_int_equal(tether_cert_opts_new(&co), TETHER_OK);
	assert_int_equal(tether_cert_opts_set_common_name(co, "adv CA"),
			 TETHER_OK);
	assert_int_equal(tether_certs_make_ca(co, ca, cakey), TETHER_OK);
	tether_cert_opts_free(co);
	tls_issue("server", "127.0.0.1", TETHER_CERT_SERVER);
	tls_issue("client", NULL, TETHER_CERT_CLIENT);
	stls = tls_config("server");
	ctls = tls_config("client");
	tether_tls_config_set_handshake_timeout_ms(stls, 1000);
	tether_server_opts_set_tls(o, stls);
	adv_audit_reset();
	tether_server_opts_set_audit(o, audit);
	assert_int_equal(tether_server_new(o, &s), TETHER_OK);
	tether_server_opts_free(o);
	assert_int_equal(tether_server_register(s, &tp_v1, &adv_handlers, NULL),
			 TETHER_OK);
	assert_int_equal(tether_server_listen(s, "tls://127.0.0.1:0"),
			 TETHER_OK);
	assert_int_equal(tether_server_endpoint(s, 0, ep, sizeof ep),
			 TETHER_OK);
	assert_int_equal(tether_server_start(s), TETHER_OK);
	assert_int_equal(tether_client_opts_new(&copts), TETHER_OK);
	tether_client_opts_set_tls(copts, ctls);
	assert_int_equal(tether_client_connect(ep, copts, &good), TETHER_OK);
	tether_client_opts_free(copts);
	/* Half of the probe (RFC 9289 §4.1: a NULL call with AUTH_TLS). */
	(void)adv_call(probe, 1, 2, 0, 0, 0, NULL, 0);
	for (int i = 0; i < N; i++) {
		fds[i] = adv_connect(adv_port(ep), NULL, true);
		assert_true(fds[i] >= 0);
		if (i % 2 == 1)
			(void)send(fds[i], probe, 8, MSG_NOSIGNAL);
	}
	for (uint64_t end = adv_now_ms() + 5000;
	     closed < N && adv_now_ms() < end;) {
		uint8_t b[256];
		closed = 0;
		for (int i = 0; i < N; i++) {
			ssize_t r = recv(fds[i], b, sizeof b, MSG_DONTWAIT);
			closed += r == 0 || (r < 0 && errno != EAGAIN);
		}
		assert_int_equal(adv_probe(good, NULL), TETHER_OK);
		adv_sleep_ms(20);
	}
	assert_int_equal(closed, N);
	{
		tether_server_counters k;
		assert_int_equal(tether_server_stats(s, &k, sizeof k),
				 TETHER_OK);
		assert_int_equal(k.closed_handshake, N);
	}
	assert_int_equal(adv_audit_limits("handshake_timeout"), N);
	assert_int_equal(adv_probe(good, NULL), TETHER_OK);
	close_all(fds, N);
	tether_client_free(good);
	tether_server_free(s);
	tether_audit_sink_free(audit);
	tether_tls_config_free(stls);
	tether_tls_config_free(ctls);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char p[128];
		tls_path(p, sizeof p, files[i]);
		unlink(p);
	}
	rmdir(g_dir);
}

/* ---- connection flood -----------------------------------------------------
 */

/* 300 connections from one address: past max_per_source (64, the default;
 * the good client holds one) each is closed at once (refused_source). The
 * good client is served throughout, and a new client gets in after. */
static void test_connection_flood(void **state)
{
	enum { N = 300 };
	tether_server_opts *o = opts_base();
	int fds[N], refused;
	fixture f;
	tether_client *late;
	tether_server_counters k;
	(void)state;

	up(&f, o);
	for (int i = 0; i < N; i++) {
		fds[i] = adv_connect(f.port, NULL, true);
		assert_true(fds[i] >= 0);
		if (i % 50 == 0)
			assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	}
	/* Until every refused one saw EOF (at most 10 s on a loaded
	 * machine); the 63 admitted stay open. */
	refused = 0;
	for (int i = 0; i < 50 && refused < N - 63; i++)
		refused = serve_while(&f, fds, N, 200);
	assert_int_equal(refused, N - 63);
	k = stats(&f);
	assert_int_equal(k.refused_source, N - 63);
	assert_int_equal(adv_audit_limits("connections_per_address"), N - 63);
	assert_int_equal(k.open, 64);
	assert_mem_bounded(&f, MEM_BUDGET);
	close_all(fds, N);
	for (int i = 0; i < 200 && tether_server_connections(f.s) != 1; i++)
		adv_sleep_ms(10);
	assert_int_equal(tether_client_connect(f.ep, NULL, &late), TETHER_OK);
	assert_int_equal(adv_probe(late, NULL), TETHER_OK);
	tether_client_free(late);
	down(&f);
}

/* ---- fd exhaustion ---------------------------------------------------------
 */

static const char *g_self;

/* The child: a server under RLIMIT_NOFILE 64, no connection caps, port on
 * stdout; serves until stdin closes, then prints its counters. */
static int fd_server(uint32_t pause_ms)
{
	struct rlimit rl = {64, 64};
	tether_server_opts *o;
	tether_server *s;
	tether_server_counters k;
	char ep[128], line[8];

	adv_alloc_install();
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    tether_server_opts_new(&o) != TETHER_OK)
		return 2;
	tether_server_opts_set_io_threads(o, 1);
	tether_server_opts_set_workers(o, 0);
	tether_server_opts_set_max_connections(o, 0);
	tether_server_opts_set_max_per_source(o, 0);
	tether_server_opts_set_accept_pause_ms(o, pause_ms);
	if (tether_server_new(o, &s) != TETHER_OK ||
	    tether_server_register(s, &tp_v1, &adv_handlers, NULL) !=
		TETHER_OK ||
	    tether_server_listen(s, "tcp://127.0.0.1:0") != TETHER_OK ||
	    tether_server_endpoint(s, 0, ep, sizeof ep) != TETHER_OK ||
	    tether_server_start(s) != TETHER_OK)
		return 3;
	tether_server_opts_free(o);
	printf("%s\n", ep);
	fflush(stdout);
	while (read(0, line, sizeof line) > 0)
		;
	if (tether_server_stats(s, &k, sizeof k) != TETHER_OK)
		return 4;
	printf("accepted=%llu pauses=%llu\n", (unsigned long long)k.accepted,
	       (unsigned long long)k.accept_pauses);
	fflush(stdout);
	tether_server_free(s);
	return 0;
}

typedef struct child {
	pid_t pid;
	int in, out; /* its stdin (ours to write), its stdout */
} child;

static void child_start(child *c, const char *pause_ms)
{
	int pin[2], pout[2];
	assert_int_equal(pipe(pin), 0);
	assert_int_equal(pipe(pout), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		close(pin[1]), close(pout[0]);
		execl(g_self, g_self, "--fd-server", pause_ms, (char *)NULL);
		_exit(127);
	}
	close(pin[0]), close(pout[1]);
	c->in = pin[1], c->out = pout[0];
}

static size_t child_line(child *c, char *buf, size_t cap, unsigned ms)
{
	size_t n = adv_read(c->out, (uint8_t *)buf, cap - 1, ms, NULL);
	buf[n] = 0;
	return n;
}

/* Floods a server that has 64 descriptors; it must not spin while they are
 * exhausted, and must serve a new client within resume_ms of the flood's
 * end. */
static void fd_exhaustion(const char *pause_ms, unsigned resume_ms)
{
	enum { N = 150, HOLD_MS = 2000 };
	uint64_t closed_at;
	child c;
	char ep[160], out[160];
	int fds[N], status;
	long t0, t1, hz = sysconf(_SC_CLK_TCK);
	unsigned long long accepted = 0, pauses = 0;
	tether_client *good, *late;

	child_start(&c, pause_ms);
	assert_true(child_line(&c, ep, sizeof ep, 5000) > 0);
	ep[strcspn(ep, "\n")] = 0;
	assert_int_equal(tether_client_connect(ep, NULL, &good), TETHER_OK);
	assert_int_equal(adv_probe(good, NULL), TETHER_OK);
	/* Far more connections than the child has descriptors: the kernel
	 * completes them (backlog), accept() fails with EMFILE. */
	for (int i = 0; i < N; i++)
		fds[i] = adv_connect(adv_port(ep), NULL, true);
	adv_sleep_ms(200);
	t0 = adv_cpu_ticks(c.pid);
	for (uint64_t end = adv_now_ms() + HOLD_MS; adv_now_ms() < end;) {
		assert_int_equal(adv_probe(good, NULL), TETHER_OK);
		adv_sleep_ms(20);
	}
	t1 = adv_cpu_ticks(c.pid);
	assert_true(t0 >= 0 && t1 >= t0);
	print_message("server CPU: %ld ms in %d ms of fd exhaustion\n",
		      (t1 - t0) * 1000 / hz, HOLD_MS);
	/* A spinning listener would burn the whole interval (and more with
	 * sanitizers); the paused one sleeps. Under 15% of one core. */
	if ((t1 - t0) * 1000 / hz > HOLD_MS * 15 / 100)
		fail_msg("server used %ld ms of CPU in %d ms of fd exhaustion",
			 (t1 - t0) * 1000 / hz, HOLD_MS);
	close_all(fds, N);
	closed_at = adv_now_ms();
	/* After the flood: new clients are served again. */
	{
		tether_status st = TETHER_E_TIMEOUT;
		for (int i = 0; i < 50 && st != TETHER_OK; i++) {
			st = tether_client_connect(ep, NULL, &late);
			if (st == TETHER_OK) {
				st = adv_probe(late, NULL);
				tether_client_free(late);
			} else {
				adv_sleep_ms(100);
			}
		}
		assert_int_equal(st, TETHER_OK);
	}
	if (adv_now_ms() - closed_at > resume_ms)
		fail_msg("served again only %llu ms after the flood ended",
			 (unsigned long long)(adv_now_ms() - closed_at));
	assert_int_equal(adv_probe(good, NULL), TETHER_OK);
	tether_client_free(good);
	close(c.in);
	assert_true(child_line(&c, out, sizeof out, 5000) > 0);
	assert_int_equal(
	    sscanf(out, "accepted=%llu pauses=%llu", &accepted, &pauses), 2);
	assert_true(pauses >= 1);
	assert_true(accepted >= 2);
	assert_int_equal(waitpid(c.pid, &status, 0), c.pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(c.out);
}

/* Accept pauses 50 ms at a time. */
static void test_fd_exhaustion(void **state)
{
	(void)state;
	fd_exhaustion("50", 5000);
}

/* Accept pauses 10 s at a time: only the resume on a connection's close can
 * serve the new client within 3 s. */
static void test_fd_exhaustion_resume(void **state)
{
	(void)state;
	fd_exhaustion("10000", 3000);
}

/* ---- malformed records -----------------------------------------------------
 */

/* Record marks claiming 2^31-1 bytes (last fragment and not) and the
 * all-ones word (2^32-1): refused before buffering (max_record 4 MiB). */
static void test_length_prefixes(void **state)
{
	static const uint32_t marks[] = {0x7fffffffu, 0xffffffffu,
					 0x80000000u | (5u << 20)};
	tether_server_opts *o = opts_base();
	fixture f;
	(void)state;

	up(&f, o);
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
		uint8_t b[64] = {0};
		int fd = adv_connect(f.port, NULL, true);
		assert_true(fd >= 0);
		adv_put32(b, marks[i]);
		assert_int_equal(send(fd, b, sizeof b, MSG_NOSIGNAL),
				 (ssize_t)sizeof b);
		assert_true(adv_wait_eof(fd, 2000));
		close(fd);
		assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	}
	assert_int_equal(stats(&f).closed_malformed, 3);
	assert_int_equal(adv_audit_limits("record_size"), 3);
	/* Nothing near the claimed sizes was ever allocated. */
	assert_mem_bounded(&f, 1u << 20);
	down(&f);
}

/* 100,000 one-byte fragments of one record: cut at max_fragments (1024). */
static void test_tiny_fragments(void **state)
{
	enum { N = 100000 };
	tether_server_opts *o = opts_base();
	uint8_t *b = malloc((size_t)N * 5);
	size_t off = 0, sent = 0;
	fixture f;
	int fd;
	(void)state;

	assert_non_null(b);
	up(&f, o);
	for (int i = 0; i < N; i++) {
		adv_put32(b + (size_t)i * 5, i == N - 1 ? 0x80000001u : 1u);
		b[(size_t)i * 5 + 4] = (uint8_t)i;
	}
	fd = adv_connect(f.port, NULL, true);
	assert_true(fd >= 0);
	for (uint64_t end = adv_now_ms() + 3000;
	     off < (size_t)N * 5 && adv_now_ms() < end;) {
		ssize_t n =
		    send(fd, b + off, (size_t)N * 5 - off, MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n, sent += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			break; /* reset: the server gave up on us */
		else
			adv_sleep_ms(5);
	}
	assert_true(adv_wait_eof(fd, 3000));
	assert_true(sent < (size_t)N * 5 || stats(&f).closed_malformed == 1);
	assert_int_equal(stats(&f).closed_malformed, 1);
	assert_int_equal(adv_audit_limits("record_size"), 1);
	assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	assert_mem_bounded(&f, 1u << 20);
	close(fd);
	free(b);
	down(&f);
}

/* ---- call flood ------------------------------------------------------------
 */

/* 5,000 pipelined ECHO calls on one connection whose peer does not read its
 * replies at first: the server stops reading (max_inbound, output budget),
 * memory stays bounded, the good client is served; then every call is
 * answered once the peer reads. */
static void test_call_flood(void **state)
{
	enum { N = 5000, REC = 11 * 4 + 8 };
	tether_server_opts *o = opts_base();
	uint32_t args[2] = {4, 0x41424344u};
	uint8_t *out = malloc((size_t)N * REC), in[65536];
	size_t off = 0, total = (size_t)N * REC, got = 0;
	fixture f;
	int fd;
	(void)state;

	assert_non_null(out);
	up(&f, o);
	for (int i = 0; i < N; i++)
		(void)adv_call(out + (size_t)i * REC, (uint32_t)i + 1, 2,
			       TP_PROG, 1, TP_ECHO, args, 2);
	fd = adv_connect(f.port, NULL, true);
	assert_true(fd >= 0);
	/* Phase 1: write as fast as the server takes it, read nothing. */
	for (uint64_t end = adv_now_ms() + 1500; adv_now_ms() < end;) {
		ssize_t n = send(fd, out + off, total - off, MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		if (off == total)
			break;
		adv_sleep_ms(5);
	}
	assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	assert_mem_bounded(&f, MEM_BUDGET);
	/* Phase 2: read every reply (24 bytes + 8 results each). */
	for (uint64_t end = adv_now_ms() + 10000;
	     got < (size_t)N * 36 && adv_now_ms() < end;) {
		ssize_t n;
		if (off < total) {
			n = send(fd, out + off, total - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
		}
		n = recv(fd, in, sizeof in, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
		else
			adv_sleep_ms(1);
	}
	/* RFC 5531 §9: mark, xid, REPLY, MSG_ACCEPTED, verf (8), SUCCESS,
	 * then the 8 bytes of results = 36 bytes per reply. */
	assert_int_equal(got, (size_t)N * 36);
	assert_loops_free(&f);
	assert_mem_bounded(&f, MEM_BUDGET);
	close(fd);
	assert_true(stats_after_close(&f).in_stalls > 0);
	free(out);
	down(&f);
}

/* ---- big calls: memory per connection --------------------------------------
 */

/* Both workers busy (two SLOW calls), then 40 blocking ECHO calls of 1 MiB
 * each: they wait for a worker with their records held. max_conn_memory
 * (16 MiB, the default) stops the server reading that connection well
 * before 40 MiB are pinned (max_inbound alone would allow 128 of them);
 * every call is answered in the end. */
static void test_big_calls(void **state)
{
	enum { N = 40, SZ = 1 << 20 };
	tether_server_opts *o = opts_base();
	size_t rec = 4 * 12 + SZ, total = 2 * 48 + (size_t)N * rec, off = 0;
	uint8_t *out = calloc(1, total), in[65536];
	uint32_t ms = 1500, hdr[1] = {SZ};
	size_t got = 0, want;
	fixture f;
	int fd;
	(void)state;

	assert_non_null(out);
	up(&f, o);
	for (uint32_t i = 0; i < 2; i++)
		(void)adv_call(out + 48 * i, 100 + i, 2, TP_PROG, 2, TP_SLOW,
			       &ms, 1);
	for (uint32_t i = 0; i < N; i++)
		(void)adv_call(out + 96 + i * rec, i, 2, TP_PROG, 2, TP_ECHO,
			       hdr, 1);
	/* adv_call wrote the mark for 12 words: fix it for the payload. */
	for (uint32_t i = 0; i < N; i++)
		adv_put32(out + 96 + i * rec,
			  0x80000000u | (uint32_t)(rec - 4));
	fd = adv_connect(f.port, NULL, true);
	assert_true(fd >= 0);
	for (uint64_t end = adv_now_ms() + 1000; adv_now_ms() < end;) {
		ssize_t n = send(fd, out + off, total - off, MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else
			adv_sleep_ms(5);
	}
	assert_true(off < total); /* the server stopped reading */
	assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	/* Engine copies plus decoded arguments of what it took. */
	assert_mem_bounded(&f, 40u << 20);
	/* Replies: 28 + 4 bytes (SLOW), 28 + 4 + 1 MiB (ECHO). */
	want = 2 * 32 + (size_t)N * (32 + SZ);
	for (uint64_t end = adv_now_ms() + 20000;
	     got < want && adv_now_ms() < end;) {
		ssize_t n;
		if (off < total) {
			n = send(fd, out + off, total - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
		}
		n = recv(fd, in, sizeof in, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
		else
			adv_sleep_ms(1);
	}
	assert_int_equal(got, want);
	assert_mem_bounded(&f, 40u << 20);
	close(fd);
	assert_true(stats_after_close(&f).mem_stalls > 0);
	free(out);
	down(&f);
}

/* ---- abandoned calls (cancel storm) -----------------------------------------
 */

/* Rounds of 128 blocking calls whose caller disconnects at once: the work
 * they leave behind is bounded (max_inbound per connection, the worker
 * queue, the call memory budget) and drains; inline calls of the good
 * client are never stuck behind it. */
static void test_abandoned_calls(void **state)
{
	enum { ROUNDS = 10, CALLS = 128 };
	tether_server_opts *o = opts_base();
	uint32_t ms = 2;
	uint8_t *b = malloc((size_t)CALLS * 48);
	fixture f;
	uint64_t worst = 0, us;
	unsigned runs0;
	(void)state;

	assert_non_null(b);
	up(&f, o);
	runs0 = adv_slow_runs();
	for (int i = 0; i < CALLS; i++)
		(void)adv_call(b + (size_t)i * 48, (uint32_t)i, 2, TP_PROG, 2,
			       TP_SLOW, &ms, 1);
	for (int r = 0; r < ROUNDS; r++) {
		int fd = adv_connect(f.port, NULL, false);
		assert_true(fd >= 0);
		assert_int_equal(send(fd, b, (size_t)CALLS * 48, MSG_NOSIGNAL),
				 CALLS * 48);
		close(fd);
		assert_int_equal(adv_probe(f.good, &us), TETHER_OK);
		worst = us > worst ? us : worst;
	}
	assert_true(worst < 1000000); /* the loop threads never waited */
	assert_loops_free(&f);
	for (int i = 0; i < 500 && (stats(&f).call_memory != 0 ||
				    tether_server_connections(f.s) != 1);
	     i++)
		adv_sleep_ms(10);
	assert_int_equal(stats(&f).call_memory, 0);
	assert_int_equal(tether_server_connections(f.s), 1);
	/* Calls still waiting for a worker when their connection ended were
	 * never started (rapid reset): far fewer ran than were sent. */
	if (adv_slow_runs() - runs0 >= ROUNDS * CALLS / 2)
		fail_msg("%u of %d abandoned calls ran",
			 adv_slow_runs() - runs0, ROUNDS * CALLS);
	assert_mem_bounded(&f, MEM_BUDGET);
	assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	free(b);
	down(&f);
}

/* ---- cancel storm
 * ------------------------------------------------------------ */

enum { CTL_PROG = 0x20746574u, CTL_CANCEL = 3 }; /* src/server/control.x */

enum { STORM_ROUNDS = 4, STORM_CALLS = 128, CANCEL_BASE = 500000 };
enum { AUTH_TETHER_CANCEL = 0x74745202u, SYSTEM_ERR = 5 };

/* What each call and each CANCEL of the storm was answered with. */
enum { SR_NONE, SR_OK, SR_CANCELLED, SR_OTHER_ERR, SC_TRUE, SC_FALSE };

typedef struct replies {
	unsigned records, bad_xid;
	uint8_t call[STORM_ROUNDS * STORM_CALLS];
	uint8_t cancel[STORM_ROUNDS * STORM_CALLS];
} replies;

/* Slot of storm xid x (round * 1000 + i), or -1. */
static int storm_slot(uint32_t x)
{
	uint32_t k = x / 1000, i = x % 1000;

	if (k >= STORM_ROUNDS || i >= STORM_CALLS)
		return -1;
	return (int)(k * STORM_CALLS + i);
}

/* One whole reply record body (RFC 5531 §9) into r. */
static void count_reply(const uint8_t *p, size_t n, replies *r)
{
	uint32_t xid, vflavor, vlen, acc;
	size_t off;
	int slot;

	r->records++;
	if (n < 24) {
		r->bad_xid++;
		return;
	}
	xid = adv_get32(p);
	slot = storm_slot(xid >= CANCEL_BASE ? xid - CANCEL_BASE : xid);
	if (slot < 0) {
		r->bad_xid++;
		return;
	}
	vflavor = adv_get32(p + 12);
	vlen = adv_get32(p + 16);
	off = 20 + ((vlen + 3u) & ~3u);
	acc = adv_get32(p + 8) == 0 && off + 4 <= n ? adv_get32(p + off)
						      : UINT32_MAX;
	if (xid >= CANCEL_BASE) {
		bool found = acc == 0 && off + 8 <= n &&
			     adv_get32(p + off + 4) == 1;
		r->cancel[slot] = found ? SC_TRUE : SC_FALSE;
	} else if (acc == 0) {
		r->call[slot] = SR_OK;
	} else if (acc == SYSTEM_ERR && vflavor == AUTH_TETHER_CANCEL) {
		r->call[slot] = SR_CANCELLED;
	} else {
		r->call[slot] = SR_OTHER_ERR;
	}
}

/* Reads replies until want records or ms pass; single-fragment records. */
static void read_replies(int fd, unsigned want, unsigned ms, replies *r)
{
	static uint8_t buf[1 << 16];
	size_t have = 0;
	uint64_t end = adv_now_ms() + ms;

	while (r->records < want && adv_now_ms() < end) {
		ssize_t n =
		    recv(fd, buf + have, sizeof buf - have, MSG_DONTWAIT);
		size_t off = 0;
		if (n <= 0) {
			if (n == 0)
				break;
			adv_sleep_ms(2);
			continue;
		}
		have += (size_t)n;
		while (have - off >= 4) {
			uint32_t len = adv_get32(buf + off) & 0x7fffffffu;
			if (have - off - 4 < len)
				break;
			count_reply(buf + off + 4, len, r);
			off += 4 + len;
		}
		memmove(buf, buf + off, have - off);
		have -= off;
	}
}

/* HTTP/2 rapid reset, ONC RPC style: rounds of 128 blocking calls each
 * cancelled at once with the control program's CANCEL. Cancelling marks a
 * call; its slot in max_inbound is held until its handler finishes, so the
 * work in flight per connection stays bounded. Every call and every cancel
 * is answered; a cancel said TRUE iff its call failed TETHER_E_CANCELLED. */
static void test_cancel_storm(void **state)
{
	enum { ROUNDS = STORM_ROUNDS, CALLS = STORM_CALLS };
	tether_server_opts *o = opts_base();
	uint8_t b[64];
	static replies r;
	unsigned found = 0, cancelled = 0;
	uint32_t ms = 5;
	fixture f;
	int fd;
	(void)state;

	memset(&r, 0, sizeof r);
	up(&f, o);
	fd = adv_connect(f.port, NULL, false);
	assert_true(fd >= 0);
	for (uint32_t k = 0; k < ROUNDS; k++) {
		for (uint32_t i = 0; i < CALLS; i++) {
			size_t n = adv_call(b, k * 1000 + i, 2, TP_PROG, 2,
					    TP_SLOW, &ms, 1);
			assert_int_equal(send(fd, b, n, MSG_NOSIGNAL),
					 (ssize_t)n);
		}
		for (uint32_t i = 0; i < CALLS; i++) {
			uint32_t x = k * 1000 + i;
			size_t n = adv_call(b, CANCEL_BASE + x, 2, CTL_PROG, 1,
					    CTL_CANCEL, &x, 1);
			assert_int_equal(send(fd, b, n, MSG_NOSIGNAL),
					 (ssize_t)n);
		}
		assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	}
	read_replies(fd, 2 * ROUNDS * CALLS, 15000, &r);
	assert_int_equal(r.records, 2 * ROUNDS * CALLS);
	assert_int_equal(r.bad_xid, 0);
	/* Every call and every CANCEL answered once, and the contract is
	 * exact: a CANCEL said TRUE iff its call failed with the cancel
	 * verifier (TETHER_E_CANCELLED); no call fails any other way. */
	for (int j = 0; j < ROUNDS * CALLS; j++) {
		assert_int_not_equal(r.call[j], SR_NONE);
		assert_int_not_equal(r.cancel[j], SR_NONE);
		assert_int_not_equal(r.call[j], SR_OTHER_ERR);
		if (r.cancel[j] == SC_TRUE) {
			found++;
			assert_int_equal(r.call[j], SR_CANCELLED);
		} else {
			assert_int_equal(r.call[j], SR_OK);
		}
		cancelled += r.call[j] == SR_CANCELLED;
	}
	assert_int_equal(found, cancelled);
	/* Both outcomes happen: some calls were still in flight, some done. */
	assert_true(found > 0);
	assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	assert_loops_free(&f);
	assert_mem_bounded(&f, MEM_BUDGET);
	close(fd);
	down(&f);
}

/* ---- replies never asked for, RPC version 3
 * ---------------------------------- */

/* 1,000 REPLYs with XIDs the server never issued are dropped (RFC 5531
 * §9: matched against our own calls only); the connection still works. */
static void test_unknown_xid_replies(void **state)
{
	enum { N = 1000 };
	tether_server_opts *o = opts_base();
	uint8_t b[N * 28], r[64];
	size_t n = 0;
	fixture f;
	bool eof;
	int fd;
	(void)state;

	up(&f, o);
	for (uint32_t i = 0; i < N; i++, n += 28) {
		/* mark, xid, REPLY(1), MSG_ACCEPTED(0), verf AUTH_NONE,
		 * SUCCESS(0). */
		uint32_t w[7] = {0x80000018u, 0xdead0000u + i, 1, 0, 0, 0, 0};
		for (int k = 0; k < 7; k++)
			adv_put32(b + n + 4 * k, w[k]);
	}
	fd = adv_connect(f.port, NULL, false);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
	n = adv_call(b, 77, 2, TP_PROG, 1, 0, NULL, 0);
	assert_int_equal(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
	/* The NULL call after them is answered: 28 bytes, our XID. */
	assert_int_equal(adv_read(fd, r, 28, 3000, &eof), 28);
	assert_int_equal(adv_get32(r + 4), 77);
	assert_int_equal(adv_get32(r + 8), 1);
	assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	close(fd);
	assert_int_equal(stats_after_close(&f).unmatched_replies, N);
	down(&f);
}

/* rpcvers 3: MSG_DENIED RPC_MISMATCH low 2 high 2 (RFC 5531 §9), and the
 * connection stays usable. */
static void test_rpc_version_3(void **state)
{
	tether_server_opts *o = opts_base();
	uint8_t b[64], r[64];
	fixture f;
	size_t n;
	int fd;
	(void)state;

	up(&f, o);
	fd = adv_connect(f.port, NULL, false);
	assert_true(fd >= 0);
	for (int i = 0; i < 100; i++) {
		n = adv_call(b, (uint32_t)i, 3, TP_PROG, 1, 0, NULL, 0);
		assert_int_equal(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
		/* mark, xid, REPLY, MSG_DENIED(1), RPC_MISMATCH(0), 2, 2. */
		assert_int_equal(adv_read(fd, r, 28, 2000, NULL), 28);
		assert_int_equal(adv_get32(r + 4), (uint32_t)i);
		assert_int_equal(adv_get32(r + 12), 1);
		assert_int_equal(adv_get32(r + 16), 0);
		assert_int_equal(adv_get32(r + 20), 2);
		assert_int_equal(adv_get32(r + 24), 2);
	}
	n = adv_call(b, 500, 2, TP_PROG, 1, 0, NULL, 0);
	assert_int_equal(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
	assert_int_equal(adv_read(fd, r, 28, 2000, NULL), 28);
	assert_int_equal(adv_get32(r + 4), 500);
	assert_int_equal(adv_get32(r + 12), 0); /* MSG_ACCEPTED */
	assert_int_equal(adv_probe(f.good, NULL), TETHER_OK);
	close(fd);
	assert_int_equal(stats_after_close(&f).rpc_mismatch, 100);
	down(&f);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_black_hole_peers),
	    cmocka_unit_test(test_slowloris),
	    cmocka_unit_test(test_half_open),
	    cmocka_unit_test(test_half_open_tls),
	    cmocka_unit_test(test_connection_flood),
	    cmocka_unit_test(test_fd_exhaustion),
	    cmocka_unit_test(test_fd_exhaustion_resume),
	    cmocka_unit_test(test_length_prefixes),
	    cmocka_unit_test(test_tiny_fragments),
	    cmocka_unit_test(test_call_flood),
	    cmocka_unit_test(test_big_calls),
	    cmocka_unit_test(test_abandoned_calls),
	    cmocka_unit_test(test_cancel_storm),
	    cmocka_unit_test(test_unknown_xid_replies),
	    cmocka_unit_test(test_rpc_version_3),
	};

	g_self = "/proc/self/exe";
	if (argc > 2 && strcmp(argv[1], "--fd-server") == 0)
		return fd_server((uint32_t)strtoul(argv[2], NULL, 10));
	signal(SIGPIPE, SIG_IGN);
	adv_alloc_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
