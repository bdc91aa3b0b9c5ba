/* SPDX-License-Identifier: MIT */
/*
 * test_security.c - the security components wired into the runtime, end
 * to end over loopback TLS, TCP and Unix sockets: policy denials (TLS
 * identities and Unix uids), rate limits, the control program (STATS for
 * administrators only, LIST/DESCRIBE, CANCEL, CAPABILITIES), callbacks
 * (audited with their parent XID; the client sees the server's identity),
 * and audit records naming the reason of every refusal. Each case checks
 * the exact client status, that the server keeps serving, and the audit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "prog.h"
#include "server/control.h"

static char g_dir[64];

/* ---- audit capture -------------------------------------------------------- */

enum { MAX_LINES = 4096 };

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static char *g_lines[MAX_LINES];
static size_t g_nlines;

static void on_record(const tether_audit_record *r, void *ud)
{
	char buf[8192];
	size_t len;
	(void)ud;
	if (tether_audit_format_json(r, buf, sizeof buf, &len) != TETHER_OK)
		return;
	pthread_mutex_lock(&g_mu);
	if (g_nlines < MAX_LINES)
		g_lines[g_nlines++] = strdup(buf);
	pthread_mutex_unlock(&g_mu);
}

static void audit_clear(void)
{
	pthread_mutex_lock(&g_mu);
	for (size_t i = 0; i < g_nlines; i++)
		free(g_lines[i]);
	g_nlines = 0;
	pthread_mutex_unlock(&g_mu);
}

/* The first record containing every one of the NULL-terminated needles,
 * waiting up to 3 s for it (records of closes come from the loop thread).
 * Returns a copy (caller frees) or NULL. */
static char *audit_find(const char *n1, ...)
{
	for (int tries = 0; tries < 300; tries++) {
		pthread_mutex_lock(&g_mu);
		for (size_t i = 0; i < g_nlines; i++) {
			va_list ap;
			const char *n = n1;
			bool all = true;
			va_start(ap, n1);
			for (; n != NULL; n = va_arg(ap, const char *))
				if (strstr(g_lines[i], n) == NULL)
					all = false;
			va_end(ap);
			if (all) {
				char *copy = strdup(g_lines[i]);
				pthread_mutex_unlock(&g_mu);
				return copy;
			}
		}
		pthread_mutex_unlock(&g_mu);
		usleep(10000);
	}
	return NULL;
}

/* The value of "key" in a JSON line, as text (strings unquoted). */
static void field(const char *line, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = strstr(line, pat);
	assert_non_null(p);
	p += strlen(pat);
	if (*p == '"') {
		p++;
		while (p[n] != '"' && n + 1 < cap)
			n++;
	} else {
		while (p[n] != ',' && p[n] != '}' && n + 1 < cap)
			n++;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

static void field_is(const char *line, const char *key, const char *want)
{
	char v[512];
	field(line, key, v, sizeof v);
	if (strcmp(v, want) != 0)
		fail_msg("%s: %s != %s in %s", key, v, want, line);
}

static void field_set(const char *line, const char *key)
{
	char v[512];
	field(line, key, v, sizeof v);
	if (strcmp(v, "null") == 0 || v[0] == '\0')
		fail_msg("%s absent in %s", key, line);
}

/* ---- certificates --------------------------------------------------------- */

static void path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", g_dir, name);
}

static void issue_by(const char *ca_name, const char *name, const char *cn,
		     const char *dns, const char *ip, const char *uri,
		     unsigned usage, int64_t from, int64_t to)
{
	char ca[128], cakey[128], crt[128], key[128], n[64];
	tether_cert_opts *o;

	snprintf(n, sizeof n, "%s.crt", ca_name);
	path(ca, sizeof ca, n);
	snprintf(n, sizeof n, "%s.key", ca_name);
	path(cakey, sizeof cakey, n);
	snprintf(n, sizeof n, "%s.crt", name);
	path(crt, sizeof crt, n);
	snprintf(n, sizeof n, "%s.key", name);
	path(key, sizeof key, n);
	assert_int_equal(tether_cert_opts_new(&o), TETHER_OK);
	assert_int_equal(tether_cert_opts_set_common_name(o, cn), TETHER_OK);
	if (dns != NULL)
		assert_int_equal(tether_cert_opts_add_dns(o, dns), TETHER_OK);
	if (ip != NULL)
		assert_int_equal(tether_cert_opts_add_ip(o, ip), TETHER_OK);
	if (uri != NULL)
		assert_int_equal(tether_cert_opts_add_uri(o, uri), TETHER_OK);
	assert_int_equal(tether_cert_opts_set_usage(o, usage), TETHER_OK);
	assert_int_equal(tether_cert_opts_set_validity(o, from, to), TETHER_OK);
	assert_int_equal(tether_certs_issue(o, ca, cakey, crt, key), TETHER_OK);
	tether_cert_opts_free(o);
}

static int make_ca(const char *name)
{
	char ca[128], cakey[128], n[64];
	tether_cert_opts *o;
	int rc = 0;

	snprintf(n, sizeof n, "%s.crt", name);
	path(ca, sizeof ca, n);
	snprintf(n, sizeof n, "%s.key", name);
	path(cakey, sizeof cakey, n);
	if (tether_cert_opts_new(&o) != TETHER_OK)
		return -1;
	if (tether_cert_opts_set_common_name(o, name) != TETHER_OK ||
	    tether_certs_make_ca(o, ca, cakey) != TETHER_OK)
		rc = -1;
	tether_cert_opts_free(o);
	return rc;
}

static tether_tls_config *config(const char *ca_name, const char *name)
{
	tether_tls_config *c;
	char ca[128], crt[128], key[128], n[64];

	snprintf(n, sizeof n, "%s.crt", ca_name);
	path(ca, sizeof ca, n);
	assert_int_equal(tether_tls_config_new(&c), TETHER_OK);
	assert_int_equal(tether_tls_config_set_ca_file(c, ca), TETHER_OK);
	if (name != NULL) {
		snprintf(n, sizeof n, "%s.crt", name);
		path(crt, sizeof crt, n);
		snprintf(n, sizeof n, "%s.key", name);
		path(key, sizeof key, n);
		assert_int_equal(tether_tls_config_set_cert_file(c, crt),
				 TETHER_OK);
		assert_int_equal(tether_tls_config_set_key_file(c, key),
				 TETHER_OK);
	}
	return c;
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof g_dir, "/tmp/tether-sec-XXXXXX");
	if (mkdtemp(g_dir) == NULL || make_ca("ca") != 0 ||
	    make_ca("otherca") != 0)
		return -1;
	issue_by("ca", "server", "server", "localhost", "127.0.0.1", NULL,
		 TETHER_CERT_SERVER, -60, 3600);
	issue_by("ca", "client", "client-cn", NULL, NULL,
		 "spiffe://tether.test/client", TETHER_CERT_CLIENT, -60, 3600);
	issue_by("ca", "other", "other-cn", NULL, NULL,
		 "spiffe://tether.test/other", TETHER_CERT_CLIENT, -60, 3600);
	issue_by("ca", "admin", "admin-cn", NULL, NULL,
		 "spiffe://tether.test/admin", TETHER_CERT_CLIENT, -60, 3600);
	issue_by("ca", "expired", "expired-cn", NULL, NULL,
		 "spiffe://tether.test/client", TETHER_CERT_CLIENT, -7200,
		 -3600);
	issue_by("otherca", "stranger", "stranger-cn", NULL, NULL,
		 "spiffe://tether.test/client", TETHER_CERT_CLIENT, -60, 3600);
	return 0;
}

static int group_teardown(void **state)
{
	static const char *names[] = {"ca",	 "otherca", "server",
				      "client",	 "other",   "admin",
				      "expired", "stranger"};
	char p[128], n[64];
	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(n, sizeof n, "%s.crt", names[i]);
		path(p, sizeof p, n);
		unlink(p);
		snprintf(n, sizeof n, "%s.key", names[i]);
		path(p, sizeof p, n);
		unlink(p);
	}
	rmdir(g_dir);
	audit_clear();
	return 0;
}

/* ---- handlers ------------------------------------------------------------ */

static atomic_uint g_held_xid;
static char g_mode[64];
static uint64_t g_allowed_ms; /* deadline - arrival; UINT64_MAX: none */

static void note_mode(tether_call_ctx *ctx)
{
	const char *m = tether_ctx_security_mode(ctx);
	uint64_t d = tether_ctx_deadline_ms(ctx);
	snprintf(g_mode, sizeof g_mode, "%s", m != NULL ? m : "(null)");
	g_allowed_ms = d == UINT64_MAX ? d : d - tether_ctx_received_ms(ctx);
}
static atomic_bool g_saw_cancel;

static tether_status h_echo(tether_call_ctx *ctx, const tp_bytes *a,
			    tp_bytes *r)
{
	(void)ctx;
	*r = *a;
	return TETHER_OK;
}

static tether_status h_whoami(tether_call_ctx *ctx, uint32_t *r)
{
	note_mode(ctx);
	*r = 7;
	return TETHER_OK;
}

/* HOLD: deferred; a thread waits (at most 5 s) for the caller to cancel,
 * then answers "success" anyway: the caller must still see CANCELLED. */
static void *hold_thread(void *arg)
{
	tether_call_ctx *ctx = arg;
	uint32_t one = 1;
	for (int i = 0; i < 500 && !tether_ctx_cancelled(ctx); i++)
		usleep(10000);
	atomic_store(&g_saw_cancel, tether_ctx_cancelled(ctx));
	if (tether_ctx_reply(ctx, &one) != TETHER_OK)
		atomic_store(&g_saw_cancel, false);
	return NULL;
}

static tether_status h_hold(tether_call_ctx *ctx, const uint32_t *a,
			    uint32_t *r)
{
	pthread_t t;
	(void)a;
	(void)r;
	atomic_store(&g_held_xid, tether_ctx_xid(ctx));
	if (pthread_create(&t, NULL, hold_thread, ctx) != 0)
		return TETHER_E_SYSTEM_ERR;
	pthread_detach(t);
	return TETHER_E_DEFERRED;
}

static atomic_uint g_fire_xid;

static void fire_done(tether_status st, uint32_t *res, void *ud)
{
	(void)st;
	(void)res;
	(void)ud;
}

static tether_status h_fire(tether_call_ctx *ctx, const uint32_t *size,
			    uint32_t *r)
{
	static uint8_t bytes[8] = "callback";
	tp_bytes b = {*size < sizeof bytes ? *size : sizeof bytes, bytes};
	atomic_store(&g_fire_xid, tether_ctx_xid(ctx));
	*r = (uint32_t)tether_call_async(tether_ctx_conn(ctx), tp_notify_pd, &b,
					 2000, (tether_generic_fn)fire_done,
					 NULL);
	return TETHER_OK;
}

static const tp_handlers handlers = {h_echo, NULL,   NULL, h_whoami,
				     h_hold, h_fire, NULL};

/* The client's callback handler: who is calling it back. */
static char g_cb_peer[256];
static atomic_int g_cb_kind = -1;
static atomic_uint g_cb_calls;

static tether_status h_notify(tether_call_ctx *ctx, const tp_bytes *a,
			      uint32_t *r)
{
	const tether_peer_identity *id = tether_ctx_peer_identity(ctx);
	if (id != NULL) {
		snprintf(g_cb_peer, sizeof g_cb_peer, "%s",
			 tether_peer_identity_name(id));
		atomic_store(&g_cb_kind, (int)tether_peer_identity_kind(id));
	}
	atomic_fetch_add(&g_cb_calls, 1);
	*r = a->len;
	return TETHER_OK;
}

static const tp_cb_handlers cb_handlers = {h_notify};

/* ---- fixture ------------------------------------------------------------- */

typedef struct fx {
	tether_server *s;
	tether_audit_sink *sink;
	tether_policy *policy;
	tether_ratelimit *rl;
	tether_metrics *m;
	char ep[160];
} fx;

typedef struct fx_opts {
	const char *endpoint; /* "tls://127.0.0.1:0" ... */
	const char *policy;   /* policy text, or NULL */
	const char *admin;    /* admin matcher, or NULL */
	uint32_t rate, burst; /* address-scope limit on ECHO; 0: none */
	const tether_idl_desc *idl;
	uint32_t max_per_source; /* 0: the default */
} fx_opts;

static void fx_start(fx *f, const fx_opts *fo)
{
	tether_server_opts *o;
	tether_tls_config *cfg = NULL;
	char err[256];

	memset(f, 0, sizeof *f);
	audit_clear();
	assert_int_equal(tether_audit_sink_new_callback(on_record, NULL,
							&f->sink),
			 TETHER_OK);
	assert_int_equal(tether_metrics_new(&f->m), TETHER_OK);
	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	tether_server_opts_set_io_threads(o, 1);
	if (strncmp(fo->endpoint, "tls://", 6) == 0) {
		cfg = config("ca", "server");
		tether_server_opts_set_tls(o, cfg);
	}
	if (fo->policy != NULL) {
		const tether_idl_desc *idls[1] = {fo->idl};
		assert_int_equal(tether_policy_new(&f->policy), TETHER_OK);
		if (tether_policy_load_text(f->policy, "test", fo->policy,
					    strlen(fo->policy), NULL, 0, err,
					    sizeof err) != TETHER_OK)
			fail_msg("policy: %s", err);
		(void)idls;
		tether_server_opts_set_policy(o, f->policy);
	}
	if (fo->rate != 0) {
		assert_int_equal(tether_ratelimit_new(0, 42, &f->rl), TETHER_OK);
		assert_int_equal(tether_ratelimit_add(f->rl, TETHER_RL_ADDRESS,
						      TP_PROG, 1, TP_ECHO,
						      fo->rate, fo->burst),
				 TETHER_OK);
		tether_server_opts_set_ratelimit(o, f->rl);
	}
	if (fo->admin != NULL)
		assert_int_equal(tether_server_opts_set_admin(o, fo->admin),
				 TETHER_OK);
	if (fo->max_per_source != 0)
		tether_server_opts_set_max_per_source(o, fo->max_per_source);
	tether_server_opts_set_audit(o, f->sink);
	tether_server_opts_set_metrics(o, f->m);
	assert_int_equal(tether_server_new(o, &f->s), TETHER_OK);
	tether_server_opts_free(o);
	tether_tls_config_free(cfg);
	assert_int_equal(tether_server_register(f->s, &tp_v1, &handlers, NULL),
			 TETHER_OK);
	if (fo->idl != NULL)
		assert_int_equal(tether_server_register_idl(f->s, fo->idl),
				 TETHER_OK);
	assert_int_equal(tether_server_listen(f->s, fo->endpoint), TETHER_OK);
	assert_int_equal(tether_server_endpoint(f->s, 0, f->ep, sizeof f->ep),
			 TETHER_OK);
	assert_int_equal(tether_server_start(f->s), TETHER_OK);
}

static void fx_stop(fx *f)
{
	tether_server_free(f->s);
	tether_audit_sink_free(f->sink);
	tether_policy_free(f->policy);
	tether_ratelimit_free(f->rl);
	tether_metrics_free(f->m);
}

static tether_status connect_as(const fx *f, const char *ca, const char *cert,
				tether_client **c)
{
	tether_client_opts *o;
	tether_tls_config *cfg = NULL;
	tether_status st;

	*c = NULL;
	assert_int_equal(tether_client_opts_new(&o), TETHER_OK);
	if (strncmp(f->ep, "tls://", 6) == 0) {
		cfg = config(ca, cert);
		tether_client_opts_set_tls(o, cfg);
	}
	st = tether_client_connect(f->ep, o, c);
	tether_client_opts_free(o);
	tether_tls_config_free(cfg);
	return st;
}

static tether_status echo(tether_client *c)
{
	tp_bytes in = {4, (uint8_t *)"ping"}, out;
	tether_arena *a;
	tether_status st;
	assert_int_equal(tether_arena_new(1 << 16, &a), TETHER_OK);
	st = tether_call(c, tp_echo_pd, &in, &out, a, 3000);
	if (st == TETHER_OK)
		assert_memory_equal(out.val, "ping", 4);
	tether_arena_free(a);
	return st;
}

static tether_status whoami(tether_client *c)
{
	uint32_t r = 0;
	tether_status st = tether_call(c, tp_whoami_pd, NULL, &r, NULL, 3000);
	if (st == TETHER_OK)
		assert_int_equal(r, 7);
	return st;
}

/* ---- policy -------------------------------------------------------------- */

static const char tls_policy[] =
    "allow uri:spiffe://tether.test/client prog=0x20000F01 vers=1 proc=1\n"
    "allow uri:spiffe://tether.test/other prog=0x20000F01 vers=1 proc=4\n";

static void test_policy_tls(void **state)
{
	fx f;
	fx_opts fo = {.endpoint = "tls://127.0.0.1:0", .policy = tls_policy};
	tether_client *c, *d;
	char *line;
	(void)state;

	fx_start(&f, &fo);
	assert_int_equal(connect_as(&f, "ca", "client", &c), TETHER_OK);
	assert_int_equal(connect_as(&f, "ca", "other", &d), TETHER_OK);
	/* client: ECHO allowed, WHOAMI denied; other: the reverse. */
	assert_int_equal(echo(c), TETHER_OK);
	assert_int_equal(whoami(c), TETHER_E_DENIED);
	assert_int_equal(echo(d), TETHER_E_DENIED);
	assert_int_equal(whoami(d), TETHER_OK);
	assert_string_equal(g_mode, "tls-mutual-auth");
	/* The server keeps serving both after the denials. */
	assert_int_equal(echo(c), TETHER_OK);
	assert_int_equal(whoami(d), TETHER_OK);
	line = audit_find("\"event\":\"denial\"", "\"proc\":4",
			  "spiffe://tether.test/client", NULL);
	assert_non_null(line);
	field_is(line, "status", "E_DENIED");
	field_is(line, "reply_stat_name", "MSG_DENIED");
	field_is(line, "auth_stat_name", "AUTH_TOOWEAK");
	field_is(line, "proc_name", "WHOAMI");
	field_is(line, "prog_name", "TP_PROG");
	field_is(line, "transport", "tls");
	free(line);
	/* The denied "other" ECHO names no allowing rule; an allowed call
	 * names its rule. */
	line = audit_find("\"event\":\"call\"", "\"proc\":1",
			  "spiffe://tether.test/client", "\"status\":\"OK\"",
			  NULL);
	assert_non_null(line);
	field_is(line, "rule", "0");
	free(line);
	assert_int_equal(tether_metrics_get(f.m, TETHER_METRIC_DENIALS), 2);
	tether_client_free(c);
	tether_client_free(d);
	fx_stop(&f);
}

static void test_policy_unix(void **state)
{
	fx f;
	char pol[256], ep[128];
	fx_opts fo = {.endpoint = ep, .policy = pol};
	tether_client *c;
	char *line;
	(void)state;

	snprintf(ep, sizeof ep, "unix:%s/sock", g_dir);
	snprintf(pol, sizeof pol,
		 "deny uid:%u prog=0x20000F01 vers=1 proc=4\n"
		 "allow uid:%u\n",
		 (unsigned)getuid(), (unsigned)getuid());
	fx_start(&f, &fo);
	assert_int_equal(tether_client_connect(f.ep, NULL, &c), TETHER_OK);
	assert_int_equal(echo(c), TETHER_OK);
	assert_int_equal(whoami(c), TETHER_E_DENIED);
	assert_int_equal(echo(c), TETHER_OK);
	line = audit_find("\"event\":\"denial\"", "\"proc\":4", NULL);
	assert_non_null(line);
	field_is(line, "transport", "unix");
	field_is(line, "peer_kind", "unix");
	field_is(line, "rule", "0");
	field_is(line, "security_mode", "unix-peercred");
	{
		char uid[32];
		snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
		field_is(line, "peer_uid", uid);
	}
	free(line);
	tether_client_free(c);
	fx_stop(&f);
}

/* ---- rate limits --------------------------------------------------------- */

static void test_rate_limit(void **state)
{
	fx f;
	fx_opts fo = {.endpoint = "tcp://127.0.0.1:0", .rate = 1, .burst = 2};
	tether_client *c;
	char *line;
	(void)state;

	fx_start(&f, &fo);
	assert_int_equal(tether_client_connect(f.ep, NULL, &c), TETHER_OK);
	assert_int_equal(echo(c), TETHER_OK);
	assert_int_equal(echo(c), TETHER_OK);
	/* The burst is spent: a distinct status, not SYSTEM_ERR. */
	assert_int_equal(echo(c), TETHER_E_RATE_LIMITED);
	/* Other procedures have no rule: still served. */
	assert_int_equal(whoami(c), TETHER_OK);
	assert_string_equal(g_mode, "plaintext");
	line = audit_find("\"event\":\"limit\"", "\"limit\":\"rate_address\"",
			  NULL);
	assert_non_null(line);
	field_is(line, "status", "E_RATE_LIMITED");
	field_is(line, "client_addr", "127.0.0.1");
	free(line);
	line = audit_find("\"event\":\"call\"", "E_RATE_LIMITED", NULL);
	assert_non_null(line);
	field_is(line, "accept_stat_name", "SYSTEM_ERR");
	field_is(line, "proc_name", "ECHO");
	free(line);
	assert_int_equal(
	    tether_metrics_get(f.m, TETHER_METRIC_LIMIT_RATE_ADDRESS), 1);
	tether_client_free(c);
	fx_stop(&f);
}

/* A connection over the per-source cap is closed at accept and audited. */
static void test_connection_cap(void **state)
{
	fx f;
	fx_opts fo = {.endpoint = "tcp://127.0.0.1:0", .max_per_source = 1};
	tether_client *c, *d;
	char *line;
	(void)state;

	fx_start(&f, &fo);
	assert_int_equal(tether_client_connect(f.ep, NULL, &c), TETHER_OK);
	assert_int_equal(echo(c), TETHER_OK);
	assert_int_equal(tether_client_connect(f.ep, NULL, &d), TETHER_OK);
	/* Closed at accept with nothing sent: the peer sees a reset or an
	 * orderly close depending on timing. */
	{
		tether_status st = echo(d);
		assert_true(st == TETHER_E_CLOSED || st == TETHER_E_RESET);
	}
	tether_client_free(d);
	assert_int_equal(echo(c), TETHER_OK); /* the first one is served */
	line = audit_find("\"event\":\"limit\"",
			  "\"limit\":\"connections_per_address\"", NULL);
	assert_non_null(line);
	field_is(line, "status", "E_BUSY");
	field_is(line, "client_addr", "127.0.0.1");
	field_set(line, "server_port");
	free(line);
	assert_int_equal(tether_metrics_get(
			     f.m, TETHER_METRIC_LIMIT_CONNECTIONS_PER_ADDRESS),
			 1);
	tether_client_free(c);
	fx_stop(&f);
}

/* ---- the control program -------------------------------------------------- */

static const char tp_source[] = "program TP_PROG {\n"
				"\tversion TP_V1 {\n"
				"\t\topaque ECHO(opaque) = 1;\n"
				"\t} = 1;\n"
				"} = 0x20000F01;\n";
static const tether_version_desc *const tp_versions[] = {&tp_v1};
static const tether_program_desc tp_program = {"TP_PROG", TP_PROG,
					       tp_versions, 1};
static const tether_program_desc *const tp_programs[] = {&tp_program};
static const tether_idl_desc tp_idl = {"tp.x", tp_source, NULL, 0,
				       tp_programs, 1};

/* The callback program's .x: lets the server name it in audit records. */
static const tether_version_desc *const cb_versions[] = {&tp_cb_v1};
static const tether_program_desc cb_program = {"TP_CB_PROG", TP_CB_PROG,
					       cb_versions, 1};
static const tether_program_desc *const cb_programs[] = {&cb_program};
static const tether_idl_desc cb_idl = {"tp_cb.x", "program TP_CB_PROG {}",
				       NULL, 0, cb_programs, 1};

static void test_stats_admin(void **state)
{
	fx f;
	fx_opts fo = {.endpoint = "tls://127.0.0.1:0",
		      .admin = "uri:spiffe://tether.test/admin"};
	tether_client *c, *adm;
	tether_arena *a;
	ctl_text text = NULL;
	char *line;
	(void)state;

	fx_start(&f, &fo);
	assert_int_equal(tether_arena_new(1 << 20, &a), TETHER_OK);
	assert_int_equal(connect_as(&f, "ca", "client", &c), TETHER_OK);
	assert_int_equal(connect_as(&f, "ca", "admin", &adm), TETHER_OK);
	assert_int_equal(echo(c), TETHER_OK);
	assert_int_equal(ctl_stats_1(c, &text, a, 3000), TETHER_E_DENIED);
	assert_int_equal(ctl_stats_1(adm, &text, a, 3000), TETHER_OK);
	assert_non_null(strstr(text, "tether_server_connections_open 2"));
	assert_non_null(strstr(text, "tether_calls_total{"));
	assert_non_null(strstr(text, "tether_denials_total 1"));
	/* The denied client is still served. */
	assert_int_equal(echo(c), TETHER_OK);
	line = audit_find("\"event\":\"denial\"", "\"proc\":7",
			  "spiffe://tether.test/client", NULL);
	assert_non_null(line);
	field_is(line, "prog", "544499060"); /* 0x20746574 */
	field_is(line, "proc_name", "CTL_STATS");
	free(line);
	tether_arena_free(a);
	tether_client_free(c);
	tether_client_free(adm);
	fx_stop(&f);
}

static void test_list_describe(void **state)
{
	fx f;
	fx_opts fo = {.endpoint = "tcp://127.0.0.1:0", .idl = &tp_idl};
	tether_client *c;
	tether_arena *a;
	ctl_program_list list;
	ctl_source src;
	uint32_t prog = TP_PROG, features = 0;
	bool found_tp = false, found_ctl = false;
	(void)state;

	fx_start(&f, &fo);
	assert_int_equal(tether_arena_new(1 << 20, &a), TETHER_OK);
	assert_int_equal(tether_client_connect(f.ep, NULL, &c), TETHER_OK);
	/* Before CAPABILITIES the client sends plain AUTH_NONE: no deadline
	 * reaches the handler. */
	assert_int_equal(whoami(c), TETHER_OK);
	assert_true(g_allowed_ms == UINT64_MAX);
	assert_int_equal(tether_client_peer_features(c, &features), TETHER_OK);
	assert_true(features & TETHER_FEATURE_CONTEXT);
	/* After it, the per-call context carries the call's deadline (3000
	 * ms in whoami()), as the server measures it from arrival. */
	assert_int_equal(whoami(c), TETHER_OK);
	assert_true(g_allowed_ms == 3000);
	{
		char *line = audit_find("\"proc\":4,", "1953780227", NULL);
		assert_non_null(line); /* auth_flavor 0x74745203 */
		field_is(line, "status", "OK");
		free(line);
	}
	assert_true(features & TETHER_FEATURE_REFLECTION);
	assert_true(features & TETHER_FEATURE_CANCEL);
	assert_false(features & TETHER_FEATURE_STATS); /* no admin set */
	assert_int_equal(ctl_list_1(c, &list, a, 3000), TETHER_OK);
	for (uint32_t i = 0; i < list.ctl_program_list_len; i++) {
		const ctl_program *p = &list.ctl_program_list_val[i];
		if (p->prog == TP_PROG) {
			found_tp = true;
			assert_string_equal(p->name, "TP_PROG");
			assert_string_equal(p->idl_file, "tp.x");
			assert_int_equal(p->versions.versions_len, 1);
			assert_int_equal(p->versions.versions_val[0].vers, 1);
			assert_string_equal(
			    p->versions.versions_val[0].procs.procs_val[1].name,
			    "ECHO");
		}
		if (p->prog == TETHER_CONTROL_PROG) {
			found_ctl = true;
			assert_string_equal(p->idl_file, "control.x");
		}
	}
	assert_true(found_tp && found_ctl);
	assert_int_equal(ctl_describe_1(c, &prog, &src, a, 3000), TETHER_OK);
	assert_true(src.found);
	assert_string_equal(src.file, "tp.x");
	assert_string_equal(src.text, tp_source);
	prog = 0x30000001u; /* not served */
	assert_int_equal(ctl_describe_1(c, &prog, &src, a, 3000), TETHER_OK);
	assert_false(src.found);
	prog = TETHER_CONTROL_PROG;
	assert_int_equal(ctl_describe_1(c, &prog, &src, a, 3000), TETHER_OK);
	assert_true(src.found);
	assert_non_null(strstr(src.text, "CTL_DESCRIBE"));
	{
		uint64_t in = 0x0123456789abcdefull, out = 0;
		ctl_health h;
		assert_int_equal(ctl_ping_1(c, &in, &out, a, 3000), TETHER_OK);
		assert_true(out == in);
		assert_int_equal(ctl_health_1(c, &h, a, 3000), TETHER_OK);
		assert_int_equal(h.state, CTL_SERVING);
		assert_int_equal(h.connections, 1);
	}
	tether_arena_free(a);
	tether_client_free(c);
	fx_stop(&f);
}

typedef struct hold_res {
	atomic_int done;
	atomic_int st;
} hold_res;

static void hold_done(tether_status st, void *res, void *ud)
{
	hold_res *h = ud;
	(void)res;
	atomic_store(&h->st, (int)st);
	atomic_store(&h->done, 1);
}

static void test_cancel(void **state)
{
	fx f;
	fx_opts fo = {.endpoint = "tcp://127.0.0.1:0"};
	tether_client *c;
	hold_res h = {0, -1};
	uint32_t ms = 5000, xid;
	char *line, xs[32];
	(void)state;

	atomic_store(&g_held_xid, 0);
	atomic_store(&g_saw_cancel, false);
	fx_start(&f, &fo);
	assert_int_equal(tether_client_connect(f.ep, NULL, &c), TETHER_OK);
	assert_int_equal(tether_client_start(c), TETHER_OK);
	assert_int_equal(tether_call_async(tether_client_conn(c), tp_hold_pd,
					   &ms, 10000,
					   (tether_generic_fn)hold_done, &h),
			 TETHER_OK);
	for (int i = 0; i < 300 && atomic_load(&g_held_xid) == 0; i++)
		usleep(10000);
	xid = atomic_load(&g_held_xid);
	assert_int_not_equal(xid, 0);
	assert_int_equal(tether_client_cancel(c, xid), TETHER_OK);
	for (int i = 0; i < 300 && !atomic_load(&h.done); i++)
		usleep(10000);
	assert_int_equal(atomic_load(&h.done), 1);
	assert_int_equal(atomic_load(&h.st), TETHER_E_CANCELLED);
	assert_true(atomic_load(&g_saw_cancel));
	/* Gone now: a second cancel finds nothing; the server still serves. */
	assert_int_equal(tether_client_cancel(c, xid), TETHER_E_NOT_FOUND);
	assert_int_equal(echo(c), TETHER_OK);
	snprintf(xs, sizeof xs, "\"xid\":%u,", xid);
	line = audit_find("\"event\":\"call\"", xs, "E_CANCELLED", NULL);
	assert_non_null(line);
	field_is(line, "proc_name", "HOLD");
	free(line);
	tether_client_free(c);
	fx_stop(&f);
}

/* ---- callbacks, and every audit field -------------------------------------- */

static void test_callback_audit(void **state)
{
	fx f;
	fx_opts fo = {.endpoint = "tls://127.0.0.1:0", .idl = &cb_idl};
	tether_client *c;
	uint32_t size = 8, r = 99;
	char *line, xs[48], v[64];
	(void)state;

	atomic_store(&g_cb_calls, 0);
	fx_start(&f, &fo);
	assert_int_equal(connect_as(&f, "ca", "client", &c), TETHER_OK);
	assert_int_equal(
	    tether_client_register(c, &tp_cb_v1, &cb_handlers, NULL),
	    TETHER_OK);
	assert_int_equal(tether_call(c, tp_fire_pd, &size, &r, NULL, 3000),
			 TETHER_OK);
	assert_int_equal(r, TETHER_OK);
	for (int i = 0; i < 300 && atomic_load(&g_cb_calls) == 0; i++)
		assert_int_equal(tether_client_poll(c, 10), TETHER_OK);
	assert_int_equal(atomic_load(&g_cb_calls), 1);
	/* The callback handler sees the server's certificate identity. */
	assert_int_equal(atomic_load(&g_cb_kind), TETHER_PEER_TLS);
	assert_string_equal(g_cb_peer, "localhost");

	/* The inbound call: every field of the record. */
	snprintf(xs, sizeof xs, "\"xid\":%u,", atomic_load(&g_fire_xid));
	line = audit_find("\"event\":\"call\"", "\"direction\":\"call\"", xs,
			  NULL);
	assert_non_null(line);
	field_set(line, "time");
	field_set(line, "conn_id");
	field_is(line, "client_addr", "127.0.0.1");
	field_set(line, "client_port");
	field_is(line, "server_addr", "127.0.0.1");
	field(line, "server_port", v, sizeof v);
	assert_non_null(strstr(f.ep, v));
	field_is(line, "transport", "tls");
	field_is(line, "tls_version", "TLSv1.3");
	field_set(line, "tls_cipher");
	field_is(line, "security_mode", "tls-mutual-auth");
	field_is(line, "peer", "spiffe://tether.test/client");
	field_is(line, "peer_kind", "tls");
	field_is(line, "auth_flavor_name", "AUTH_NONE");
	field_is(line, "prog", "536874753"); /* 0x20000F01 */
	field_is(line, "prog_name", "TP_PROG");
	field_is(line, "vers", "1");
	field_is(line, "proc", "6");
	field_is(line, "proc_name", "FIRE");
	field_set(line, "causality_id");
	field_is(line, "reply_stat_name", "MSG_ACCEPTED");
	field_is(line, "accept_stat_name", "SUCCESS");
	field_is(line, "status", "OK");
	field_set(line, "duration_us");
	field_is(line, "bytes_in", "48"); /* mark 4 + header 40 + arg 4 */
	field_is(line, "bytes_out", "32"); /* mark 4 + header 24 + result 4 */
	{
		char cid[32];
		field(line, "causality_id", cid, sizeof cid);
		free(line);
		/* The callback it caused: direction, parent XID, same
		 * causality id. */
		snprintf(xs, sizeof xs, "\"parent_xid\":%u,",
			 atomic_load(&g_fire_xid));
		line = audit_find("\"direction\":\"callback\"", xs, NULL);
		assert_non_null(line);
		field_is(line, "causality_id", cid);
	}
	field_is(line, "event", "call");
	field_is(line, "proc_name", "NOTIFY");
	field_is(line, "prog_name", "TP_CB_PROG");
	field_is(line, "prog", "536874755"); /* 0x20000F03 */
	field_is(line, "status", "OK");
	field_is(line, "tls_version", "TLSv1.3");
	field_set(line, "xid");
	field_set(line, "bytes_out");
	field_set(line, "bytes_in");
	free(line);
	/* Connection events: open, TLS established, security mode. */
	line = audit_find("\"event\":\"tls_established\"", NULL);
	assert_non_null(line);
	field_is(line, "tls_version", "TLSv1.3");
	free(line);
	line = audit_find("\"event\":\"security_mode\"", "tls-mutual-auth",
			  NULL);
	assert_non_null(line);
	free(line);
	tether_client_free(c);
	line = audit_find("\"event\":\"conn_close\"", NULL);
	assert_non_null(line);
	field_set(line, "detail");
	free(line);
	fx_stop(&f);
}

/* ---- refusals at the TLS layer, audited with their reason ----------------- */

static int tcp_connect(const char *ep)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	sin.sin_port = htons((uint16_t)strtol(strrchr(ep, ':') + 1, NULL, 10));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
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

/* A record-marked CALL (RFC 5531 §9, §11) with cred flavor `flavor` and
 * no arguments, into buf (48 bytes). */
static size_t call_rec(uint8_t *buf, uint32_t xid, uint32_t prog,
		       uint32_t proc, uint32_t flavor)
{
	const uint32_t w[] = {0x80000000u | 40, xid, 0, 2, prog, 1, proc,
			      flavor, 0, 0, 0};
	for (size_t i = 0; i < 11; i++)
		put32(buf + 4 * i, w[i]);
	return 44;
}

/* Reads up to n bytes within ms; returns bytes read (0: EOF or none). */
static size_t read_some(int fd, uint8_t *buf, size_t n, int ms)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t r;
		if (poll(&p, 1, ms) != 1)
			break;
		r = read(fd, buf + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* Sends the RFC 9289 probe; asserts the STARTTLS reply. */
static void probe(int fd)
{
	uint8_t b[64];
	size_t n = call_rec(b, 0x1234, TP_PROG, 0, 7 /* AUTH_TLS */);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	n = read_some(fd, b, 4, 2000);
	assert_int_equal(n, 4);
	n = get32(b) & 0x7fffffffu;
	assert_true(n <= sizeof b);
	assert_int_equal(read_some(fd, b, n, 2000), n);
	assert_int_equal(get32(b), 0x1234);
}

/* Waits for the server's conn_close record and returns its detail. */
static void close_reason(char *out, size_t cap, const char *needle)
{
	char *line = audit_find("\"event\":\"conn_close\"", needle, NULL);
	if (getenv("SEC_DEBUG") != NULL) {
		pthread_mutex_lock(&g_mu);
		for (size_t i = 0; i < g_nlines; i++)
			if (strstr(g_lines[i], "conn_close") != NULL)
				fprintf(stderr, "close: %s\n",
					strstr(g_lines[i], "\"status\""));
		pthread_mutex_unlock(&g_mu);
	}
	if (line == NULL) {
		pthread_mutex_lock(&g_mu);
		for (size_t i = 0; i < g_nlines; i++)
			fprintf(stderr, "audit: %s\n", g_lines[i]);
		pthread_mutex_unlock(&g_mu);
		fail_msg("no conn_close record with %s", needle);
	}
	field(line, "detail", out, cap);
	free(line);
}

static tether_status tls_call(const fx *f, const char *ca, const char *cert,
			      const char *expect)
{
	tether_client_opts *o;
	tether_tls_config *cfg = config(ca, cert);
	tether_client *c = NULL;
	tether_status st;

	if (expect != NULL)
		assert_int_equal(tether_tls_config_set_expected_peer(cfg, expect),
				 TETHER_OK);
	assert_int_equal(tether_client_opts_new(&o), TETHER_OK);
	tether_client_opts_set_tls(o, cfg);
	st = tether_client_connect(f->ep, o, &c);
	tether_client_opts_free(o);
	tether_tls_config_free(cfg);
	/* TLS 1.3: a client learns of the server's refusal of its
	 * certificate only at its first read. */
	if (st == TETHER_OK) {
		st = echo(c);
		tether_client_free(c);
	}
	return st;
}

static void test_tls_refusals_audited(void **state)
{
	fx f;
	fx_opts fo = {.endpoint = "tls://127.0.0.1:0"};
	char why[512];
	(void)state;

	fx_start(&f, &fo);
	/* No client certificate. */
	assert_int_equal(tls_call(&f, "ca", NULL, NULL), TETHER_E_AUTH_REJECTED);
	close_reason(why, sizeof why, "E_PEER_IDENTITY");
	assert_non_null(strstr(why, "no certificate"));
	audit_clear();
	/* A client certificate from another CA. */
	assert_int_equal(tls_call(&f, "ca", "stranger", NULL),
			 TETHER_E_AUTH_REJECTED);
	close_reason(why, sizeof why, "E_PEER_IDENTITY");
	assert_non_null(strstr(why, "issuer"));
	audit_clear();
	/* An expired client certificate. */
	assert_int_equal(tls_call(&f, "ca", "expired", NULL),
			 TETHER_E_AUTH_REJECTED);
	close_reason(why, sizeof why, "E_PEER_IDENTITY");
	assert_non_null(strstr(why, "expired"));
	audit_clear();
	/* The server's certificate is not the name the client expects:
	 * the client aborts; the server records the alert it got. */
	assert_int_equal(tls_call(&f, "ca", "client", "wrong.example"),
			 TETHER_E_PEER_IDENTITY);
	close_reason(why, sizeof why, "\"event\"");
	assert_non_null(strstr(why, "bad certificate"));
	audit_clear();
	/* A plaintext call before the probe: no answer at all. */
	{
		char tcp[200];
		tether_client *c;
		snprintf(tcp, sizeof tcp, "tcp://%s", f.ep + strlen("tls://"));
		assert_int_equal(tether_client_connect(tcp, NULL, &c),
				 TETHER_OK);
		assert_int_equal(echo(c), TETHER_E_CLOSED);
		tether_client_free(c);
		close_reason(why, sizeof why, "E_TLS_REQUIRED");
		assert_non_null(strstr(why, "probe"));
		audit_clear();
	}
	/* Garbage where the ClientHello should be: closed, nothing sent. */
	{
		uint8_t junk[64], b[16];
		int fd = tcp_connect(f.ep);
		memset(junk, 0x5a, sizeof junk);
		probe(fd);
		assert_int_equal(write(fd, junk, sizeof junk),
				 (ssize_t)sizeof junk);
		assert_int_equal(read_some(fd, b, sizeof b, 3000), 0);
		close(fd);
		close_reason(why, sizeof why, "E_TLS");
		audit_clear();
	}
	/* The probe on another procedure (AUTH_TLS on a non-NULL call)
	 * before TLS: not a probe, no answer, audited. */
	{
		uint8_t b[64];
		int fd = tcp_connect(f.ep);
		size_t n = call_rec(b, 9, TP_PROG, TP_ECHO, 7);
		assert_int_equal(write(fd, b, n), (ssize_t)n);
		assert_int_equal(read_some(fd, b, sizeof b, 3000), 0);
		close(fd);
		close_reason(why, sizeof why, "E_TLS_REQUIRED");
		audit_clear();
	}
	/* The server survived all of it. */
	assert_int_equal(tls_call(&f, "ca", "client", NULL), TETHER_OK);
	fx_stop(&f);
}

/* AUTH_TLS on a non-NULL procedure reaching dispatch (plaintext
 * listener): MSG_DENIED / AUTH_ERROR / AUTH_BADCRED (RFC 9289 §4.1). */
static void test_auth_tls_badcred(void **state)
{
	fx f;
	fx_opts fo = {.endpoint = "tcp://127.0.0.1:0"};
	uint8_t b[64];
	size_t n;
	int fd;
	char *line;
	(void)state;

	fx_start(&f, &fo);
	fd = tcp_connect(f.ep);
	n = call_rec(b, 77, TP_PROG, TP_WHOAMI, 7);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	assert_int_equal(read_some(fd, b, 4, 3000), 4);
	n = get32(b) & 0x7fffffffu;
	assert_int_equal(n, 20);
	assert_int_equal(read_some(fd, b, n, 3000), n);
	assert_int_equal(get32(b), 77);
	assert_int_equal(get32(b + 8), 1);  /* MSG_DENIED */
	assert_int_equal(get32(b + 12), 1); /* AUTH_ERROR */
	assert_int_equal(get32(b + 16), 1); /* AUTH_BADCRED */
	/* A malformed context credential (empty body): AUTH_BADCRED too. */
	n = call_rec(b, 78, TP_PROG, TP_WHOAMI, 0x74745203u);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	assert_int_equal(read_some(fd, b, 24, 3000), 24);
	assert_int_equal(get32(b + 4), 78);
	assert_int_equal(get32(b + 20), 1); /* AUTH_BADCRED */
	close(fd);
	line = audit_find("\"event\":\"call\"", "\"xid\":77,", NULL);
	assert_non_null(line);
	field_is(line, "auth_stat_name", "AUTH_BADCRED");
	field_is(line, "auth_flavor_name", "AUTH_TLS");
	assert_non_null(strstr(line, "RFC 9289"));
	free(line);
	fx_stop(&f);
}

/* A STARTTLS-stripping man in the middle answers the probe with a plain
 * success: the client must fail closed and send nothing more. */
typedef struct mitm {
	int lfd;
	atomic_size_t after; /* bytes received after the probe */
	atomic_int done;
} mitm;

static void *mitm_thread(void *arg)
{
	mitm *m = arg;
	uint8_t b[256];
	int fd = accept(m->lfd, NULL, NULL);
	size_t n;
	if (fd < 0)
		return NULL;
	n = read_some(fd, b, 44, 3000); /* the probe */
	if (n == 44) {
		/* accepted, AUTH_NONE verifier, SUCCESS: no STARTTLS */
		const uint32_t w[] = {0x80000000u | 24, get32(b + 4), 1, 0, 0,
				      0, 0};
		for (size_t i = 0; i < 7; i++)
			put32(b + 4 * i, w[i]);
		if (write(fd, b, 28) != 28)
			n = 0;
		atomic_store(&m->after, read_some(fd, b, sizeof b, 1500));
	}
	close(fd);
	atomic_store(&m->done, 1);
	return NULL;
}

static void test_starttls_stripping(void **state)
{
	fx f;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof sin;
	mitm m = {.after = 99};
	pthread_t t;
	(void)state;

	memset(&f, 0, sizeof f);
	m.lfd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(m.lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(m.lfd, 4), 0);
	assert_int_equal(getsockname(m.lfd, (struct sockaddr *)&sin, &len), 0);
	snprintf(f.ep, sizeof f.ep, "tls://127.0.0.1:%u",
		 (unsigned)ntohs(sin.sin_port));
	assert_int_equal(pthread_create(&t, NULL, mitm_thread, &m), 0);
	assert_int_equal(tls_call(&f, "ca", "client", NULL),
			 TETHER_E_TLS_REQUIRED);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&m.done), 1);
	assert_int_equal(atomic_load(&m.after), 0); /* no plaintext call */
	close(m.lfd);
}

/* A raw OpenSSL client over fd after the probe: max TLS version, and
 * our certificate if cert is not NULL. Returns the SSL (NULL if the
 * handshake failed). */
static SSL *raw_tls(int fd, int max_version, const char *cert, SSL_CTX **pctx)
{
	static const unsigned char alpn[] = {6, 's', 'u', 'n', 'r', 'p', 'c'};
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	char p[128], n[64];

	assert_non_null(ctx);
	SSL_CTX_set_max_proto_version(ctx, max_version);
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn);
	path(p, sizeof p, "ca.crt");
	assert_int_equal(SSL_CTX_load_verify_locations(ctx, p, NULL), 1);
	if (cert != NULL) {
		snprintf(n, sizeof n, "%s.crt", cert);
		path(p, sizeof p, n);
		assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, p), 1);
		snprintf(n, sizeof n, "%s.key", cert);
		path(p, sizeof p, n);
		assert_int_equal(
		    SSL_CTX_use_PrivateKey_file(ctx, p, SSL_FILETYPE_PEM), 1);
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	*pctx = ctx;
	if (SSL_connect(ssl) != 1) {
		ERR_clear_error();
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

static void test_tls_raw_refusals(void **state)
{
	fx f;
	fx_opts fo = {.endpoint = "tls://127.0.0.1:0"};
	SSL_CTX *ctx;
	SSL *ssl;
	char why[512], *line;
	int fd;
	(void)state;

	fx_start(&f, &fo);
	/* A TLS 1.2-only client: no common version, handshake refused. */
	fd = tcp_connect(f.ep);
	probe(fd);
	ssl = raw_tls(fd, TLS1_2_VERSION, "client", &ctx);
	assert_null(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	close_reason(why, sizeof why, "E_TLS");
	assert_non_null(strstr(why, "unsupported protocol"));
	audit_clear();
	/* The probe again, inside TLS: MSG_DENIED / AUTH_BADCRED
	 * (RFC 9289 §4.1), and the connection keeps working. */
	fd = tcp_connect(f.ep);
	probe(fd);
	ssl = raw_tls(fd, TLS1_3_VERSION, "client", &ctx);
	assert_non_null(ssl);
	{
		uint8_t b[64];
		size_t n = call_rec(b, 0x5151, TP_PROG, 0, 7);
		assert_int_equal(SSL_write(ssl, b, (int)n), (int)n);
		assert_int_equal(SSL_read(ssl, b, 24), 24);
		assert_int_equal(get32(b) & 0x7fffffffu, 20);
		assert_int_equal(get32(b + 4), 0x5151);
		assert_int_equal(get32(b + 12), 1); /* MSG_DENIED */
		assert_int_equal(get32(b + 16), 1); /* AUTH_ERROR */
		assert_int_equal(get32(b + 20), 1); /* AUTH_BADCRED */
		/* A proper NULL call on the same session is answered. */
		n = call_rec(b, 0x5152, TP_PROG, 0, 0);
		assert_int_equal(SSL_write(ssl, b, (int)n), (int)n);
		assert_int_equal(SSL_read(ssl, b, 28), 28);
		assert_int_equal(get32(b + 4), 0x5152);
		assert_int_equal(get32(b + 12), 0); /* MSG_ACCEPTED */
		assert_int_equal(get32(b + 24), 0); /* SUCCESS */
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	line = audit_find("\"event\":\"call\"", "\"xid\":20817,", NULL);
	assert_non_null(line);
	field_is(line, "auth_stat_name", "AUTH_BADCRED");
	field_is(line, "transport", "tls");
	assert_non_null(strstr(line, "RFC 9289"));
	free(line);
	fx_stop(&f);
}

/* An AUTH_SYS credential naming another uid than the kernel reports on a
 * Unix socket: AUTH_BADCRED, audited with the reason. A record over the
 * size limit: the connection is cut and a limit record names it. */
static void test_spoof_and_record_limit(void **state)
{
	fx f;
	char ep[128], *line;
	fx_opts fo = {.endpoint = ep};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	uint8_t b[128];
	int fd;
	(void)state;

	snprintf(ep, sizeof ep, "unix:%s/spoof.sock", g_dir);
	fx_start(&f, &fo);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/spoof.sock", g_dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	{
		/* RFC 5531 Appendix A: stamp, machinename "", uid, gid, gids<> */
		const uint32_t w[] = {0x80000000u | 60, 4242, 0, 2, TP_PROG, 1,
				      TP_WHOAMI, 1, 20, 0, 0,
				      (uint32_t)getuid() + 1, 0, 0, 0, 0};
		for (size_t i = 0; i < 16; i++)
			put32(b + 4 * i, w[i]);
		assert_int_equal(write(fd, b, 64), 64);
	}
	assert_int_equal(read_some(fd, b, 24, 3000), 24);
	assert_int_equal(get32(b + 4), 4242);
	assert_int_equal(get32(b + 12), 1); /* MSG_DENIED */
	assert_int_equal(get32(b + 20), 1); /* AUTH_BADCRED */
	line = audit_find("\"xid\":4242,", NULL);
	assert_non_null(line);
	field_is(line, "auth_flavor_name", "AUTH_SYS");
	field_is(line, "auth_stat_name", "AUTH_BADCRED");
	field_is(line, "status", "E_AUTH_REJECTED");
	assert_non_null(strstr(line, "contradicting the kernel"));
	free(line);
	/* A record mark of 2^31-1 bytes: refused before any buffering. */
	put32(b, 0x7fffffffu);
	assert_int_equal(write(fd, b, 4), 4);
	assert_int_equal(read_some(fd, b, sizeof b, 3000), 0);
	close(fd);
	line = audit_find("\"event\":\"limit\"",
			  "\"limit\":\"record_size\"", NULL);
	assert_non_null(line);
	field_is(line, "transport", "unix");
	free(line);
	/* Still serving. */
	{
		tether_client *c;
		assert_int_equal(tether_client_connect(f.ep, NULL, &c),
				 TETHER_OK);
		assert_int_equal(echo(c), TETHER_OK);
		tether_client_free(c);
	}
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_tls),
	    cmocka_unit_test(test_policy_unix),
	    cmocka_unit_test(test_rate_limit),
	    cmocka_unit_test(test_connection_cap),
	    cmocka_unit_test(test_stats_admin),
	    cmocka_unit_test(test_list_describe),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_callback_audit),
	    cmocka_unit_test(test_tls_refusals_audited),
	    cmocka_unit_test(test_auth_tls_badcred),
	    cmocka_unit_test(test_tls_raw_refusals),
	    cmocka_unit_test(test_starttls_stripping),
	    cmocka_unit_test(test_spoof_and_record_limit),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
