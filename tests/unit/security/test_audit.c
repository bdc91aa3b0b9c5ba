/* SPDX-License-Identifier: MIT */
/* test_audit.c - audit records: every record kind formatted, read back by
 * an independent JSON reader and checked field by field; exact text of an
 * empty and of a full record; hostile strings (quotes, backslashes,
 * control bytes, invalid UTF-8, U+2028) escaped exactly; long strings cut;
 * short buffers refused; dates; sampling keeps denials, limit hits and
 * failures; file, path, stderr and syslog sinks. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sec_fixture.h"
#include "security/security_int.h"

/* The documented schema (docs/audit.md), in output order. */
static const char *const schema[] = {"time",
				     "time_ms",
				     "event",
				     "conn_id",
				     "client_addr",
				     "client_port",
				     "server_addr",
				     "server_port",
				     "transport",
				     "tls_version",
				     "tls_cipher",
				     "security_mode",
				     "peer_kind",
				     "peer",
				     "peer_name_source",
				     "peer_fingerprint",
				     "peer_uid",
				     "peer_gid",
				     "peer_pid",
				     "auth_flavor",
				     "auth_flavor_name",
				     "prog",
				     "prog_name",
				     "vers",
				     "proc",
				     "proc_name",
				     "xid",
				     "causality_id",
				     "parent_xid",
				     "direction",
				     "reply_stat",
				     "reply_stat_name",
				     "accept_stat",
				     "accept_stat_name",
				     "auth_stat",
				     "auth_stat_name",
				     "status",
				     "status_code",
				     "duration_us",
				     "bytes_in",
				     "bytes_out",
				     "limit",
				     "rule",
				     "detail"};
#define NSCHEMA (sizeof(schema) / sizeof(schema[0]))

static sfx_json js; /* big: static */
static char buf[TETHER_AUDIT_JSON_MAX];

static const sfx_json *roundtrip(const tether_audit_record *r)
{
	size_t len = 0;
	assert_int_equal(tether_audit_format_json(r, buf, sizeof(buf), &len),
			 TETHER_OK);
	assert_int_equal(len, strlen(buf));
	if (sfx_json_parse(buf, &js) != 0)
		fail_msg("not valid JSON: %s", buf);
	assert_int_equal(js.n, NSCHEMA);
	for (size_t i = 0; i < NSCHEMA; i++)
		assert_string_equal(js.f[i].key, schema[i]);
	return &js;
}

/* Each checked field is marked; unmarked fields must be null. */
static bool seen[NSCHEMA];

static const sfx_jfield *field(const sfx_json *j, const char *k)
{
	for (size_t i = 0; i < NSCHEMA; i++)
		if (strcmp(schema[i], k) == 0)
			seen[i] = true;
	const sfx_jfield *f = sfx_json_get(j, k);
	assert_non_null(f);
	return f;
}

static void str_is(const sfx_json *j, const char *k, const char *v)
{
	const sfx_jfield *f = field(j, k);
	if (f->type != SFX_J_STR || strcmp(f->val, v) != 0)
		fail_msg("%s: got '%s' (type %d), want '%s'", k, f->val,
			 f->type, v);
}

static void num_is(const sfx_json *j, const char *k, uint64_t v)
{
	char want[32];
	const sfx_jfield *f = field(j, k);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
	if (f->type != SFX_J_NUM || strcmp(f->val, want) != 0)
		fail_msg("%s: got '%s' (type %d), want %s", k, f->val, f->type,
			 want);
}

static void begin(void)
{
	memset(seen, 0, sizeof(seen));
}

static void rest_null(const sfx_json *j)
{
	for (size_t i = 0; i < NSCHEMA; i++)
		if (!seen[i] && j->f[i].type != SFX_J_NULL)
			fail_msg("%s should be null, is '%s'", schema[i],
				 j->f[i].val);
}

#define PROG 0x20000E02u

static void test_empty_record_exact(void **state)
{
	(void)state;
	tether_audit_record r;
	tether_audit_record_init(&r);
	assert_int_equal(tether_audit_format_json(&r, buf, sizeof(buf), NULL),
			 TETHER_OK);
	assert_string_equal(
	    buf,
	    "{\"time\":null,\"time_ms\":null,\"event\":\"call\",\"conn_id\":"
	    "null,\"client_addr\":null,\"client_port\":null,\"server_addr\":"
	    "null,\"server_port\":null,\"transport\":null,\"tls_version\":"
	    "null,\"tls_cipher\":null,\"security_mode\":null,\"peer_kind\":"
	    "null,\"peer\":null,\"peer_name_source\":null,"
	    "\"peer_fingerprint\":null,\"peer_uid\":null,\"peer_gid\":null,"
	    "\"peer_pid\":null,\"auth_flavor\":null,\"auth_flavor_name\":null,"
	    "\"prog\":null,\"prog_name\":null,\"vers\":null,\"proc\":null,"
	    "\"proc_name\":null,\"xid\":null,\"causality_id\":null,"
	    "\"parent_xid\":null,\"direction\":null,\"reply_stat\":null,"
	    "\"reply_stat_name\":null,\"accept_stat\":null,"
	    "\"accept_stat_name\":null,\"auth_stat\":null,\"auth_stat_name\":"
	    "null,\"status\":\"OK\",\"status_code\":0,\"duration_us\":null,"
	    "\"bytes_in\":null,\"bytes_out\":null,\"limit\":null,\"rule\":"
	    "null,\"detail\":null}");
}

static void test_call_record_exact(void **state)
{
	(void)state;
	tether_peer_identity *u = sfx_unix_identity(1000, 100, 4242);
	assert_non_null(u);
	tether_audit_record r;
	tether_audit_record_init(&r);
	r.time_ms = 1700000000123u;
	r.conn_id = 9;
	r.client_addr = "/run/echo.sock";
	r.server_addr = "/run/echo.sock";
	r.transport = TETHER_AUDIT_TRANSPORT_UNIX;
	r.security_mode = "unix-peercred";
	r.peer = u;
	r.auth_flavor = 0;
	r.prog = PROG;
	r.prog_name = "ECHO_PROG";
	r.vers = 1;
	r.proc = 1;
	r.proc_name = "ECHO";
	r.xid = 0xdeadbeef;
	r.causality_id = 5;
	r.direction = TETHER_AUDIT_DIR_CALL;
	r.reply_stat = 0;
	r.accept_stat = 0;
	r.duration_us = 250;
	r.bytes_in = 64;
	r.bytes_out = 48;
	r.rule = 2;
	assert_int_equal(tether_audit_format_json(&r, buf, sizeof(buf), NULL),
			 TETHER_OK);
	assert_string_equal(
	    buf,
	    "{\"time\":\"2023-11-14T22:13:20.123Z\",\"time_ms\":1700000000123,"
	    "\"event\":\"call\",\"conn_id\":9,\"client_addr\":"
	    "\"/run/echo.sock\",\"client_port\":null,\"server_addr\":"
	    "\"/run/echo.sock\",\"server_port\":null,\"transport\":\"unix\","
	    "\"tls_version\":null,\"tls_cipher\":null,\"security_mode\":"
	    "\"unix-peercred\",\"peer_kind\":\"unix\",\"peer\":null,"
	    "\"peer_name_source\":null,\"peer_fingerprint\":null,\"peer_uid\":"
	    "1000,\"peer_gid\":100,\"peer_pid\":4242,\"auth_flavor\":0,"
	    "\"auth_flavor_name\":\"AUTH_NONE\",\"prog\":536874498,"
	    "\"prog_name\":\"ECHO_PROG\",\"vers\":1,\"proc\":1,\"proc_name\":"
	    "\"ECHO\",\"xid\":3735928559,\"causality_id\":5,\"parent_xid\":"
	    "null,\"direction\":\"call\",\"reply_stat\":0,\"reply_stat_name\":"
	    "\"MSG_ACCEPTED\",\"accept_stat\":0,\"accept_stat_name\":"
	    "\"SUCCESS\",\"auth_stat\":null,\"auth_stat_name\":null,"
	    "\"status\":\"OK\",\"status_code\":0,\"duration_us\":250,"
	    "\"bytes_in\":64,\"bytes_out\":48,\"limit\":null,\"rule\":2,"
	    "\"detail\":null}");
	tether_peer_identity_free(u);
}

static void base_conn(tether_audit_record *r, tether_audit_event ev)
{
	tether_audit_record_init(r);
	r->event = ev;
	r->time_ms = 951782400000u; /* 2000-02-29T00:00:00.000Z */
	r->conn_id = 42;
	r->client_addr = "::1";
	r->client_port = 40000;
	r->server_addr = "127.0.0.1";
	r->server_port = 2049;
	r->transport = TETHER_AUDIT_TRANSPORT_TLS;
}

static void check_conn_t(const sfx_json *j, const char *ev, const char *tr)
{
	str_is(j, "time", "2000-02-29T00:00:00.000Z");
	num_is(j, "time_ms", 951782400000u);
	str_is(j, "event", ev);
	num_is(j, "conn_id", 42);
	str_is(j, "client_addr", "::1");
	num_is(j, "client_port", 40000);
	str_is(j, "server_addr", "127.0.0.1");
	num_is(j, "server_port", 2049);
	str_is(j, "transport", tr);
}

static void check_conn(const sfx_json *j, const char *ev)
{
	check_conn_t(j, ev, "tls");
}

static void check_tls_peer(const sfx_json *j, const tether_peer_identity *id)
{
	str_is(j, "peer_kind", "tls");
	str_is(j, "peer", "spiffe://ex.org/client-a");
	str_is(j, "peer_name_source", "san_uri");
	str_is(j, "peer_fingerprint", tether_peer_identity_fingerprint(id));
}

/* A served call and a callback it caused, from the server's side. */
static void test_call_and_callback(void **state)
{
	(void)state;
	tether_peer_identity *id =
	    sfx_tls_identity("spiffe://ex.org/client-a", NULL, NULL);
	assert_non_null(id);
	tether_audit_record r;
	base_conn(&r, TETHER_AUDIT_CALL);
	r.tls_version = "TLSv1.3";
	r.tls_cipher = "TLS_AES_128_GCM_SHA256";
	r.security_mode = "tls-mutual";
	r.peer = id;
	r.auth_flavor = 1;
	r.prog = PROG;
	r.prog_name = "ECHO_PROG";
	r.vers = 1;
	r.proc = 1;
	r.proc_name = "ECHO";
	r.xid = 7;
	r.causality_id = 1234567890123u;
	r.direction = TETHER_AUDIT_DIR_CALL;
	r.reply_stat = 0;
	r.accept_stat = 0;
	r.status = TETHER_OK;
	r.duration_us = 1500;
	r.bytes_in = 120;
	r.bytes_out = 88;
	r.rule = 3;
	const sfx_json *j = roundtrip(&r);
	begin();
	check_conn(j, "call");
	str_is(j, "tls_version", "TLSv1.3");
	str_is(j, "tls_cipher", "TLS_AES_128_GCM_SHA256");
	str_is(j, "security_mode", "tls-mutual");
	check_tls_peer(j, id);
	num_is(j, "auth_flavor", 1);
	str_is(j, "auth_flavor_name", "AUTH_SYS");
	num_is(j, "prog", PROG);
	str_is(j, "prog_name", "ECHO_PROG");
	num_is(j, "vers", 1);
	num_is(j, "proc", 1);
	str_is(j, "proc_name", "ECHO");
	num_is(j, "xid", 7);
	num_is(j, "causality_id", 1234567890123u);
	str_is(j, "direction", "call");
	num_is(j, "reply_stat", 0);
	str_is(j, "reply_stat_name", "MSG_ACCEPTED");
	num_is(j, "accept_stat", 0);
	str_is(j, "accept_stat_name", "SUCCESS");
	str_is(j, "status", "OK");
	num_is(j, "status_code", 0);
	num_is(j, "duration_us", 1500);
	num_is(j, "bytes_in", 120);
	num_is(j, "bytes_out", 88);
	num_is(j, "rule", 3);
	rest_null(j);

	/* The callback: direction, parent XID, a timeout. */
	r.direction = TETHER_AUDIT_DIR_CALLBACK;
	r.prog = 0x40000001;
	r.prog_name = "CB_PROG";
	r.proc = 2;
	r.proc_name = "NOTIFY";
	r.xid = 1;
	r.parent_xid = 7;
	r.auth_flavor = 0;
	r.reply_stat = TETHER_AUDIT_NONE_I32;
	r.accept_stat = TETHER_AUDIT_NONE_I32;
	r.status = TETHER_E_TIMEOUT;
	r.duration_us = 5000000;
	r.rule = TETHER_AUDIT_NONE_U32;
	j = roundtrip(&r);
	begin();
	check_conn(j, "call");
	str_is(j, "tls_version", "TLSv1.3");
	str_is(j, "tls_cipher", "TLS_AES_128_GCM_SHA256");
	str_is(j, "security_mode", "tls-mutual");
	check_tls_peer(j, id);
	num_is(j, "auth_flavor", 0);
	str_is(j, "auth_flavor_name", "AUTH_NONE");
	num_is(j, "prog", 0x40000001);
	str_is(j, "prog_name", "CB_PROG");
	num_is(j, "vers", 1);
	num_is(j, "proc", 2);
	str_is(j, "proc_name", "NOTIFY");
	num_is(j, "xid", 1);
	num_is(j, "causality_id", 1234567890123u);
	num_is(j, "parent_xid", 7);
	str_is(j, "direction", "callback");
	str_is(j, "status", "E_TIMEOUT");
	num_is(j, "status_code", 303);
	num_is(j, "duration_us", 5000000);
	num_is(j, "bytes_in", 120);
	num_is(j, "bytes_out", 88);
	rest_null(j);
	tether_peer_identity_free(id);
}

static void test_connection_events(void **state)
{
	(void)state;
	tether_peer_identity *id =
	    sfx_tls_identity("spiffe://ex.org/client-a", NULL, NULL);
	tether_peer_identity *u = sfx_unix_identity(0, 0, 1);
	tether_peer_identity *none = sfx_none_identity();
	assert_non_null(id);
	assert_non_null(u);
	assert_non_null(none);
	tether_audit_record r;

	base_conn(&r, TETHER_AUDIT_CONN_OPEN);
	r.transport = TETHER_AUDIT_TRANSPORT_UNIX;
	r.peer = u;
	const sfx_json *j = roundtrip(&r);
	begin();
	check_conn_t(j, "conn_open", "unix");
	str_is(j, "peer_kind", "unix");
	num_is(j, "peer_uid", 0);
	num_is(j, "peer_gid", 0);
	num_is(j, "peer_pid", 1);
	str_is(j, "status", "OK");
	num_is(j, "status_code", 0);
	rest_null(j);

	base_conn(&r, TETHER_AUDIT_TLS_ESTABLISHED);
	r.tls_version = "TLSv1.3";
	r.tls_cipher = "TLS_CHACHA20_POLY1305_SHA256";
	r.peer = id;
	r.duration_us = 3100;
	j = roundtrip(&r);
	begin();
	check_conn(j, "tls_established");
	str_is(j, "tls_version", "TLSv1.3");
	str_is(j, "tls_cipher", "TLS_CHACHA20_POLY1305_SHA256");
	check_tls_peer(j, id);
	num_is(j, "duration_us", 3100);
	str_is(j, "status", "OK");
	num_is(j, "status_code", 0);
	rest_null(j);

	base_conn(&r, TETHER_AUDIT_SECURITY_MODE);
	r.transport = TETHER_AUDIT_TRANSPORT_TCP;
	r.security_mode = "plaintext";
	r.peer = none;
	j = roundtrip(&r);
	begin();
	check_conn_t(j, "security_mode", "tcp");
	str_is(j, "security_mode", "plaintext");
	str_is(j, "peer_kind", "none");
	str_is(j, "status", "OK");
	num_is(j, "status_code", 0);
	rest_null(j);

	base_conn(&r, TETHER_AUDIT_CONN_CLOSE);
	r.peer = id;
	r.status = TETHER_E_IDLE;
	r.duration_us = 120000000;
	r.bytes_in = 1;
	r.bytes_out = 0;
	r.detail = "idle timeout";
	j = roundtrip(&r);
	begin();
	check_conn(j, "conn_close");
	check_tls_peer(j, id);
	str_is(j, "status", "E_IDLE");
	num_is(j, "status_code", 307);
	num_is(j, "duration_us", 120000000);
	num_is(j, "bytes_in", 1);
	num_is(j, "bytes_out", 0);
	str_is(j, "detail", "idle timeout");
	rest_null(j);
	tether_peer_identity_free(id);
	tether_peer_identity_free(u);
	tether_peer_identity_free(none);
}

static void test_denial_and_limit(void **state)
{
	(void)state;
	tether_peer_identity *id =
	    sfx_tls_identity("spiffe://ex.org/client-a", NULL, NULL);
	assert_non_null(id);
	tether_audit_record r;
	base_conn(&r, TETHER_AUDIT_DENIAL);
	r.peer = id;
	r.prog = PROG;
	r.vers = 1;
	r.proc = 2;
	r.proc_name = "STATS";
	r.xid = 99;
	r.direction = TETHER_AUDIT_DIR_CALL;
	r.reply_stat = 1;
	r.auth_stat = 5;
	r.status = TETHER_E_DENIED;
	r.rule = 0;
	const sfx_json *j = roundtrip(&r);
	begin();
	check_conn(j, "denial");
	check_tls_peer(j, id);
	num_is(j, "prog", PROG);
	num_is(j, "vers", 1);
	num_is(j, "proc", 2);
	str_is(j, "proc_name", "STATS");
	num_is(j, "xid", 99);
	str_is(j, "direction", "call");
	num_is(j, "reply_stat", 1);
	str_is(j, "reply_stat_name", "MSG_DENIED");
	num_is(j, "auth_stat", 5);
	str_is(j, "auth_stat_name", "AUTH_TOOWEAK");
	str_is(j, "status", "E_DENIED");
	num_is(j, "status_code", 501);
	num_is(j, "rule", 0);
	rest_null(j);

	base_conn(&r, TETHER_AUDIT_LIMIT);
	r.peer = id;
	r.prog = PROG;
	r.vers = 1;
	r.proc = 1;
	r.xid = 100;
	r.direction = TETHER_AUDIT_DIR_CALL;
	r.reply_stat = 0;
	r.accept_stat = 5;
	r.status = TETHER_E_RATE_LIMITED;
	r.limit = "rate_identity";
	r.detail = "tls:spiffe://ex.org/client-a";
	j = roundtrip(&r);
	begin();
	check_conn(j, "limit");
	check_tls_peer(j, id);
	num_is(j, "prog", PROG);
	num_is(j, "vers", 1);
	num_is(j, "proc", 1);
	num_is(j, "xid", 100);
	str_is(j, "direction", "call");
	num_is(j, "reply_stat", 0);
	str_is(j, "reply_stat_name", "MSG_ACCEPTED");
	num_is(j, "accept_stat", 5);
	str_is(j, "accept_stat_name", "SYSTEM_ERR");
	str_is(j, "status", "E_RATE_LIMITED");
	num_is(j, "status_code", 502);
	str_is(j, "limit", "rate_identity");
	str_is(j, "detail", "tls:spiffe://ex.org/client-a");
	rest_null(j);
	tether_peer_identity_free(id);
}

/* Hostile strings, as a certificate or a peer could send them. */
static void test_escaping(void **state)
{
	(void)state;
	tether_audit_record r;
	tether_audit_record_init(&r);
	static const char hostile[] = "a\"b\\c/\b\f\n\r\t\x01\x1f\x7f"
				      "\xc3\xa9"	 /* é: kept */
				      "\xe2\x82\xac"	 /* €: kept */
				      "\xf0\x9f\x98\x80" /* U+1F600: kept */
				      "\xe2\x80\xa8"	 /* U+2028: escaped */
				      "\xff"		 /* never valid */
				      "\xc0\xaf"	 /* overlong '/' */
				      "\xed\xa0\x80"	 /* surrogate D800 */
				      "\xf4\x90\x80\x80" /* past U+10FFFF */
				      "\xe2\x82"	 /* truncated */
				      "\",\"x\":\"y";	 /* injection attempt */
	r.detail = hostile;
	assert_int_equal(tether_audit_format_json(&r, buf, sizeof(buf), NULL),
			 TETHER_OK);
	const char *d = strstr(buf, "\"detail\":");
	assert_non_null(d);
	assert_string_equal(
	    d, "\"detail\":\"a\\\"b\\\\c/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f"
	       "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\u2028"
	       "\\ufffd"
	       "\\ufffd\\ufffd"
	       "\\ufffd\\ufffd\\ufffd"
	       "\\ufffd\\ufffd\\ufffd\\ufffd"
	       "\\ufffd\\ufffd"
	       "\\\",\\\"x\\\":\\\"y\"}");
	/* Read back: one field, the text decoded. */
	const sfx_json *j = roundtrip(&r);
	const sfx_jfield *f = sfx_json_get(j, "detail");
	assert_int_equal(f->type, SFX_J_STR);
	const char *want = "a\"b\\c/\b\f\n\r\t\x01\x1f\x7f"
			   "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x80\xa8";
	assert_memory_equal(f->val, want, strlen(want));
	assert_true(strstr(f->val, "\",\"x\":\"y") != NULL);
	assert_null(sfx_json_get(j, "x"));

	/* A certificate name with a quote goes through the peer field. */
	tether_peer_identity *id =
	    sfx_tls_identity(NULL, NULL, "evil\",\"status\":\"OK");
	assert_non_null(id);
	tether_audit_record_init(&r);
	r.peer = id;
	r.status = TETHER_E_DENIED;
	j = roundtrip(&r);
	assert_string_equal(sfx_json_get(j, "peer")->val,
			    "evil\",\"status\":\"OK");
	assert_string_equal(sfx_json_get(j, "status")->val, "E_DENIED");
	tether_peer_identity_free(id);
}

static void test_cut_and_short_buffer(void **state)
{
	(void)state;
	tether_audit_record r;
	char *big = malloc(5001);
	assert_non_null(big);
	memset(big, 'n', 5000);
	big[5000] = '\0';
	tether_audit_record_init(&r);
	r.prog_name = big;
	const sfx_json *j = roundtrip(&r);
	const char *v = sfx_json_get(j, "prog_name")->val;
	assert_int_equal(strlen(v), 1024 + 3); /* + U+2026 in UTF-8 */
	assert_memory_equal(v + 1024, "\xe2\x80\xa6", 3);
	/* Worst case: every field at the cut, every byte escaped. */
	memset(big, 0x01, 5000);
	r.client_addr = r.server_addr = r.tls_version = r.tls_cipher = big;
	r.security_mode = r.prog_name = r.proc_name = r.limit = big;
	r.detail = big;
	size_t len = 0;
	assert_int_equal(tether_audit_format_json(&r, buf, sizeof(buf), &len),
			 TETHER_OK);
	assert_true(len < TETHER_AUDIT_JSON_MAX);
	/* Too small: refused with the size needed, buffer left empty. */
	char small[100];
	size_t need = 0;
	assert_int_equal(
	    tether_audit_format_json(&r, small, sizeof(small), &need),
	    TETHER_E_TOO_LARGE);
	assert_int_equal(need, len);
	assert_string_equal(small, "");
	assert_int_equal(tether_audit_format_json(&r, buf, len, NULL),
			 TETHER_E_TOO_LARGE);
	assert_int_equal(tether_audit_format_json(&r, buf, len + 1, NULL),
			 TETHER_OK);
	assert_int_equal(tether_audit_format_json(NULL, buf, 10, NULL),
			 TETHER_E_INVAL);
	free(big);
}

static void test_dates(void **state)
{
	(void)state;
	struct {
		uint64_t ms;
		const char *iso;
	} t[] = {
	    {0, "1970-01-01T00:00:00.000Z"},
	    {951782400000u, "2000-02-29T00:00:00.000Z"},
	    {951868799999u, "2000-02-29T23:59:59.999Z"},
	    {1700000000123u, "2023-11-14T22:13:20.123Z"},
	    {4107542400000u, "2100-03-01T00:00:00.000Z"},
	    {253402300799000u, "9999-12-31T23:59:59.000Z"},
	};
	tether_audit_record r;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tether_audit_record_init(&r);
		r.time_ms = t[i].ms;
		const sfx_json *j = roundtrip(&r);
		assert_string_equal(sfx_json_get(j, "time")->val, t[i].iso);
	}
}

typedef struct counter {
	unsigned calls, denials, limits, failures;
} counter;

static void count_cb(const tether_audit_record *r, void *ud)
{
	counter *c = ud;
	if (r->event == TETHER_AUDIT_DENIAL)
		c->denials++;
	else if (r->event == TETHER_AUDIT_LIMIT)
		c->limits++;
	else if (r->status != TETHER_OK)
		c->failures++;
	else
		c->calls++;
}

static void test_sampling(void **state)
{
	(void)state;
	counter c = {0};
	tether_audit_sink *s;
	bool written;
	assert_int_equal(tether_audit_sink_new_callback(count_cb, &c, &s),
			 TETHER_OK);
	tether_audit_sink_set_sample(s, 10);
	tether_audit_record ok, den, lim, bad;
	tether_audit_record_init(&ok);
	tether_audit_record_init(&den);
	den.event = TETHER_AUDIT_DENIAL;
	den.status = TETHER_E_DENIED;
	tether_audit_record_init(&lim);
	lim.event = TETHER_AUDIT_LIMIT;
	lim.status = TETHER_E_RATE_LIMITED;
	tether_audit_record_init(&bad);
	bad.status = TETHER_E_GARBAGE_ARGS;
	unsigned n_written = 0;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(tether_audit_emit(s, &ok, &written),
				 TETHER_OK);
		n_written += written;
		if (i % 20 == 0) {
			assert_int_equal(tether_audit_emit(s, &den, &written),
					 TETHER_OK);
			assert_true(written);
			assert_int_equal(tether_audit_emit(s, &lim, &written),
					 TETHER_OK);
			assert_true(written);
			assert_int_equal(tether_audit_emit(s, &bad, &written),
					 TETHER_OK);
			assert_true(written);
		}
	}
	assert_int_equal(n_written, 10);
	assert_int_equal(c.calls, 10);
	assert_int_equal(c.denials, 5);
	assert_int_equal(c.limits, 5);
	assert_int_equal(c.failures, 5);
	/* Back to everything. */
	tether_audit_sink_set_sample(s, 0);
	for (int i = 0; i < 7; i++)
		assert_int_equal(tether_audit_emit(s, &ok, NULL), TETHER_OK);
	assert_int_equal(c.calls, 17);
	assert_int_equal(tether_audit_emit(s, NULL, NULL), TETHER_E_INVAL);
	tether_audit_sink_free(s);
	assert_int_equal(tether_audit_sink_new_callback(NULL, NULL, &s),
			 TETHER_E_INVAL);
}

static size_t read_lines(FILE *f, char lines[][4096], size_t max)
{
	size_t n = 0;
	rewind(f);
	while (n < max && fgets(lines[n], 4096, f) != NULL) {
		size_t l = strlen(lines[n]);
		assert_true(l > 0 && lines[n][l - 1] == '\n');
		lines[n][l - 1] = '\0';
		n++;
	}
	return n;
}

static char lines[4][4096];

static void test_file_sinks(void **state)
{
	(void)state;
	tether_audit_sink *s;
	tether_audit_record r;
	tether_audit_record_init(&r);
	/* FILE* sink. */
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(tether_audit_sink_new_json_file(f, &s), TETHER_OK);
	r.xid = 1;
	assert_int_equal(tether_audit_emit(s, &r, NULL), TETHER_OK);
	r.xid = 2;
	r.event = TETHER_AUDIT_DENIAL;
	assert_int_equal(tether_audit_emit(s, &r, NULL), TETHER_OK);
	tether_audit_sink_free(s);
	assert_int_equal(read_lines(f, lines, 4), 2);
	assert_int_equal(sfx_json_parse(lines[0], &js), 0);
	assert_string_equal(sfx_json_get(&js, "xid")->val, "1");
	assert_int_equal(sfx_json_parse(lines[1], &js), 0);
	assert_string_equal(sfx_json_get(&js, "event")->val, "denial");
	fclose(f);

	/* Path sink: created 0600, appended to. */
	char path[] = "/tmp/tether-audit-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(tether_audit_sink_new_json_path(path, &s),
				 TETHER_OK);
		r.xid = 10u + (uint32_t)round;
		assert_int_equal(tether_audit_emit(s, &r, NULL), TETHER_OK);
		tether_audit_sink_free(s);
	}
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(read_lines(f, lines, 4), 2);
	assert_int_equal(sfx_json_parse(lines[1], &js), 0);
	assert_string_equal(sfx_json_get(&js, "xid")->val, "11");
	fclose(f);
	/* A symlink is not followed. */
	char link_path[64];
	snprintf(link_path, sizeof(link_path), "%s.lnk", path);
	assert_int_equal(symlink(path, link_path), 0);
	assert_int_equal(tether_audit_sink_new_json_path(link_path, &s),
			 TETHER_E_IO);
	unlink(link_path);
	unlink(path);
	assert_int_equal(
	    tether_audit_sink_new_json_path("/nonexistent/dir/x", &s),
	    TETHER_E_IO);

	/* stderr and syslog sinks accept records (their output is not
	 * captured here; the formatting is checked above). */
	assert_int_equal(tether_audit_sink_new_syslog(NULL, &s), TETHER_OK);
	bool written = false;
	assert_int_equal(tether_audit_emit(s, &r, &written), TETHER_OK);
	assert_true(written);
	tether_audit_sink_free(s);
	char long_ident[100];
	memset(long_ident, 'i', sizeof(long_ident) - 1);
	long_ident[sizeof(long_ident) - 1] = '\0';
	assert_int_equal(tether_audit_sink_new_syslog(long_ident, &s),
			 TETHER_E_INVAL);
	assert_int_equal(tether_audit_sink_new_stderr(&s), TETHER_OK);
	tether_audit_sink_free(s);
}

/* Seeded random byte strings (biased towards UTF-8 lead and continuation
 * bytes and escapes): the output is always one valid JSON line, and every
 * valid UTF-8 sequence of the input survives in the decoded value. */
static void test_random_strings(void **state)
{
	(void)state;
	static const unsigned char pool[] = {
	    'a',  '"',	'\\', '/',  0x01, 0x1f, 0x7f, 0x80, 0xbf,
	    0xc2, 0xc0, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4,
	    0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f, '\n', ' ',  'z'};
	uint32_t seed = 12345;
	char in[300];
	tether_audit_record r;
	for (int iter = 0; iter < 5000; iter++) {
		size_t n = 0;
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 16) % (sizeof(in) - 1);
		while (n < len) {
			seed = seed * 1103515245u + 12345u;
			in[n++] = (char)pool[(seed >> 16) % sizeof(pool)];
		}
		in[n] = '\0';
		tether_audit_record_init(&r);
		r.detail = in;
		const sfx_json *j = roundtrip(&r);
		const sfx_jfield *f = sfx_json_get(j, "detail");
		assert_int_equal(f->type, SFX_J_STR);
		/* ASCII bytes come back as they were, in order. */
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			if ((unsigned char)in[i] >= 0x80)
				continue;
			const char *hit = strchr(f->val + k, in[i]);
			assert_non_null(hit);
			k = (size_t)(hit - f->val) + 1;
		}
	}
}

/* Async file sink: every record arrives, in order, once the sink is
 * freed; a queue smaller than one record drops successful calls (counted)
 * but writes denials, limit hits and failures at once. */
static void test_async_sink(void **state)
{
	(void)state;
	tether_audit_sink *s;
	tether_audit_record r;
	tether_audit_record_init(&r);
	r.prog_name = "ECHO_PROG";
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(tether_audit_sink_new_json_file(f, &s), TETHER_OK);
	/* 4 MiB holds all 2,000 records (~850 bytes each) even if the
	 * writer has not started yet: nothing may be dropped. */
	assert_int_equal(tether_audit_sink_set_async(s, 4u << 20), TETHER_OK);
	assert_int_equal(tether_audit_sink_set_async(s, 0), TETHER_E_STATE);
	for (uint32_t i = 0; i < 2000; i++) {
		r.xid = i;
		assert_int_equal(tether_audit_emit(s, &r, NULL), TETHER_OK);
	}
	assert_int_equal(tether_audit_sink_dropped(s), 0);
	tether_audit_sink_free(s);
	rewind(f);
	static char line[4096];
	uint32_t n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		assert_int_equal(sfx_json_parse(line, &js), 0);
		char want[16];
		snprintf(want, sizeof(want), "%u", n);
		assert_string_equal(sfx_json_get(&js, "xid")->val, want);
		n++;
	}
	assert_int_equal(n, 2000);
	fclose(f);

	f = tmpfile();
	assert_non_null(f);
	assert_int_equal(tether_audit_sink_new_json_file(f, &s), TETHER_OK);
	assert_int_equal(tether_audit_sink_set_async(s, 100), TETHER_OK);
	for (int i = 0; i < 10; i++)
		assert_int_equal(tether_audit_emit(s, &r, NULL), TETHER_OK);
	tether_audit_record den = r, lim = r, bad = r;
	den.event = TETHER_AUDIT_DENIAL;
	den.status = TETHER_E_DENIED;
	lim.event = TETHER_AUDIT_LIMIT;
	lim.status = TETHER_E_RATE_LIMITED;
	bad.status = TETHER_E_SYSTEM_ERR;
	assert_int_equal(tether_audit_emit(s, &den, NULL), TETHER_OK);
	assert_int_equal(tether_audit_emit(s, &lim, NULL), TETHER_OK);
	assert_int_equal(tether_audit_emit(s, &bad, NULL), TETHER_OK);
	assert_int_equal(tether_audit_sink_dropped(s), 10);
	tether_audit_sink_free(s);
	assert_int_equal(read_lines(f, lines, 4), 3);
	assert_int_equal(sfx_json_parse(lines[0], &js), 0);
	assert_string_equal(sfx_json_get(&js, "event")->val, "denial");
	assert_int_equal(sfx_json_parse(lines[1], &js), 0);
	assert_string_equal(sfx_json_get(&js, "event")->val, "limit");
	assert_int_equal(sfx_json_parse(lines[2], &js), 0);
	assert_string_equal(sfx_json_get(&js, "status")->val, "E_SYSTEM_ERR");
	fclose(f);

	/* Callback sinks have nothing to move to a thread. */
	counter cnt = {0};
	assert_int_equal(tether_audit_sink_new_callback(count_cb, &cnt, &s),
			 TETHER_OK);
	assert_int_equal(tether_audit_sink_set_async(s, 0), TETHER_E_STATE);
	tether_audit_sink_free(s);
}

typedef struct drain {
	int fd;
	unsigned lines;
} drain;

static void *drain_main(void *arg)
{
	drain *d = arg;
	char b[4096];
	ssize_t n;
	while ((n = read(d->fd, b, sizeof(b))) > 0)
		for (ssize_t i = 0; i < n; i++)
			d->lines += b[i] == '\n';
	return NULL;
}

/* A writer stuck on a full pipe: the emitting thread never blocks on a
 * successful call; records are either written or counted as dropped. */
static void test_async_stalled_writer(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	FILE *f = fdopen(p[1], "w");
	assert_non_null(f);
	tether_audit_sink *s;
	assert_int_equal(tether_audit_sink_new_json_file(f, &s), TETHER_OK);
	assert_int_equal(tether_audit_sink_set_async(s, 8192), TETHER_OK);
	tether_audit_record r;
	tether_audit_record_init(&r);
	/* ~850 bytes each: 300 records are far more than the pipe (64 KiB)
	 * plus the queue can hold while nobody reads. */
	r.detail = "padding padding padding padding padding padding padding "
		   "padding padding padding padding padding padding padding "
		   "padding padding padding padding padding padding padding";
	for (int i = 0; i < 300; i++)
		assert_int_equal(tether_audit_emit(s, &r, NULL), TETHER_OK);
	uint64_t dropped = tether_audit_sink_dropped(s);
	assert_true(dropped > 0);
	pthread_t t;
	drain d = {p[0], 0};
	assert_int_equal(pthread_create(&t, NULL, drain_main, &d), 0);
	tether_audit_sink_free(s); /* drains what was queued */
	fclose(f);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(p[0]);
	assert_int_equal(d.lines + dropped, 300);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tether_audit_event_name(TETHER_AUDIT_CALL), "call");
	assert_string_equal(tether_audit_event_name(TETHER_AUDIT_DENIAL),
			    "denial");
	assert_string_equal(tether_audit_event_name((tether_audit_event)99),
			    "unknown");
	/* Unknown numbers have no name but keep their number. */
	tether_audit_record r;
	tether_audit_record_init(&r);
	r.auth_flavor = 390004;
	r.auth_stat = 99;
	const sfx_json *j = roundtrip(&r);
	assert_string_equal(sfx_json_get(j, "auth_flavor")->val, "390004");
	assert_int_equal(sfx_json_get(j, "auth_flavor_name")->type, SFX_J_NULL);
	assert_string_equal(sfx_json_get(j, "auth_stat")->val, "99");
	assert_int_equal(sfx_json_get(j, "auth_stat_name")->type, SFX_J_NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_record_exact),
	    cmocka_unit_test(test_call_record_exact),
	    cmocka_unit_test(test_call_and_callback),
	    cmocka_unit_test(test_connection_events),
	    cmocka_unit_test(test_denial_and_limit),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_cut_and_short_buffer),
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_sampling),
	    cmocka_unit_test(test_file_sinks),
	    cmocka_unit_test(test_random_strings),
	    cmocka_unit_test(test_async_sink),
	    cmocka_unit_test(test_async_stalled_writer),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
