/* SPDX-License-Identifier: MIT */
/* audit_json.c - audit records as one JSON object per line (RFC 8259):
 * every field always present (null when absent), every string escaped,
 * invalid UTF-8 replaced by U+FFFD, since peer names come from
 * certificates and are attacker-controlled. Field list in docs/audit.md. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/tt.h"
#include "security/security_int.h"

#define STR_CUT 1024u /* input bytes of one string written at most */

void tether_audit_record_init(tether_audit_record *r)
{
	if (r == NULL)
		return;
	memset(r, 0, sizeof(*r));
	r->event = TETHER_AUDIT_CALL;
	r->time_ms = TETHER_AUDIT_NONE_U64;
	r->conn_id = TETHER_AUDIT_NONE_U64;
	r->client_port = r->server_port = TETHER_AUDIT_NONE_U32;
	r->auth_flavor = r->prog = r->vers = r->proc = TETHER_AUDIT_NONE_U32;
	r->xid = r->parent_xid = r->rule = TETHER_AUDIT_NONE_U32;
	r->causality_id = TETHER_AUDIT_NONE_U64;
	r->reply_stat = r->accept_stat = r->auth_stat = TETHER_AUDIT_NONE_I32;
	r->status = TETHER_OK;
	r->duration_us = r->bytes_in = r->bytes_out = TETHER_AUDIT_NONE_U64;
}

static const char *const event_names[] = {
    "call",	     "conn_open", "conn_close", "tls_established",
    "security_mode", "limit",	  "denial"};

const char *tether_audit_event_name(tether_audit_event e)
{
	return (unsigned)e < TT_ARRAY_LEN(event_names) ? event_names[e]
						       : "unknown";
}

static const char *pick(const char *const *t, size_t n, int64_t i)
{
	return i >= 0 && (uint64_t)i < n ? t[i] : NULL;
}

static const char *transport_name(tether_audit_transport t)
{
	static const char *const n[] = {NULL, "tcp", "tls", "unix"};
	return pick(n, TT_ARRAY_LEN(n), t);
}

static const char *direction_name(tether_audit_direction d)
{
	static const char *const n[] = {NULL, "call", "callback"};
	return pick(n, TT_ARRAY_LEN(n), d);
}

/* RFC 5531 §8.1 and RFC 9289 §4.1 flavor numbers. */
static const char *flavor_name(uint32_t f)
{
	static const char *const n[] = {"AUTH_NONE",  "AUTH_SYS", "AUTH_SHORT",
					"AUTH_DH",    NULL,	  NULL,
					"RPCSEC_GSS", "AUTH_TLS"};
	return pick(n, TT_ARRAY_LEN(n), f);
}

/* RFC 5531 §9: reply_stat, accept_stat, auth_stat. */
static const char *reply_stat_name(int32_t v)
{
	static const char *const n[] = {"MSG_ACCEPTED", "MSG_DENIED"};
	return pick(n, TT_ARRAY_LEN(n), v);
}

static const char *accept_stat_name(int32_t v)
{
	static const char *const n[] = {"SUCCESS",	 "PROG_UNAVAIL",
					"PROG_MISMATCH", "PROC_UNAVAIL",
					"GARBAGE_ARGS",	 "SYSTEM_ERR"};
	return pick(n, TT_ARRAY_LEN(n), v);
}

static const char *auth_stat_name(int32_t v)
{
	static const char *const n[] = {"AUTH_OK",
					"AUTH_BADCRED",
					"AUTH_REJECTEDCRED",
					"AUTH_BADVERF",
					"AUTH_REJECTEDVERF",
					"AUTH_TOOWEAK",
					"AUTH_INVALIDRESP",
					"AUTH_FAILED",
					"AUTH_KERB_GENERIC",
					"AUTH_TIMEEXPIRE",
					"AUTH_TKT_FILE",
					"AUTH_DECODE",
					"AUTH_NET_ADDR",
					"RPCSEC_GSS_CREDPROBLEM",
					"RPCSEC_GSS_CTXPROBLEM"};
	return pick(n, TT_ARRAY_LEN(n), v);
}

static const char *peer_kind_name(tether_peer_kind k)
{
	static const char *const n[] = {"none", "tls", "unix"};
	return pick(n, TT_ARRAY_LEN(n), k);
}

static const char *name_source_name(tether_peer_name_source s)
{
	static const char *const n[] = {NULL, "san_uri", "san_dns",
					"subject_cn"};
	return pick(n, TT_ARRAY_LEN(n), s);
}

/* ---- a bounded writer ---------------------------------------------------- */

typedef struct jw {
	char *buf;
	size_t cap, len; /* len counts on past cap, to report the need */
} jw;

static void put(jw *w, const char *s, size_t n)
{
	if (w->len < w->cap && n <= w->cap - w->len)
		memcpy(w->buf + w->len, s, n);
	else if (w->len < w->cap)
		w->cap = w->len; /* stop writing; keep counting */
	w->len += n;
}

static void puts_lit(jw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_hex4(jw *w, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	char u[6] = {'\\',
		     'u',
		     hex[(v >> 12) & 15],
		     hex[(v >> 8) & 15],
		     hex[(v >> 4) & 15],
		     hex[v & 15]};
	put(w, u, sizeof(u));
}

static void put_ascii(jw *w, unsigned char b)
{
	static const char esc[] = "btn\0fr";
	char two[2] = {'\\', (char)b};
	if (b == '"' || b == '\\') {
		put(w, two, 2);
	} else if (b >= 8 && b <= 13 && b != 11 && esc[b - 8] != '\0') {
		two[1] = esc[b - 8];
		put(w, two, 2);
	} else if (b < 0x20 || b == 0x7f) {
		put_hex4(w, b);
	} else {
		put(w, (const char *)&b, 1);
	}
}

/* Length of the valid UTF-8 sequence at s[0..n) (RFC 3629 §4: no
 * overlongs, no surrogates, nothing past U+10FFFF), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char b = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef)
		len = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		len = 4;
	else
		return 0;
	if (b == 0xe0)
		lo = 0xa0;
	else if (b == 0xed)
		hi = 0x9f;
	else if (b == 0xf0)
		lo = 0x90;
	else if (b == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static void put_str(jw *w, const char *s)
{
	if (s == NULL) {
		puts_lit(w, "null");
		return;
	}
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, STR_CUT + 1);
	bool cut = n > STR_CUT;
	if (cut)
		n = STR_CUT;
	puts_lit(w, "\"");
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x80) {
			put_ascii(w, p[i++]);
			continue;
		}
		size_t l = utf8_len(p + i, n - i);
		if (l == 0) {
			put_hex4(w, 0xfffd);
			i++;
		} else if (l == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
			   (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			/* U+2028/2029 break JavaScript string literals. */
			put_hex4(w, p[i + 2] == 0xa8 ? 0x2028 : 0x2029);
			i += 3;
		} else {
			put(w, (const char *)p + i, l);
			i += l;
		}
	}
	if (cut)
		put_hex4(w, 0x2026); /* "…" marks a cut string */
	puts_lit(w, "\"");
}

static void put_u64(jw *w, uint64_t v, bool absent)
{
	char tmp[24];
	if (absent) {
		puts_lit(w, "null");
		return;
	}
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	put(w, tmp, (size_t)n);
}

static void key(jw *w, const char *k, bool first)
{
	if (!first)
		puts_lit(w, ",");
	puts_lit(w, "\"");
	puts_lit(w, k);
	puts_lit(w, "\":");
}

static void kv_str(jw *w, const char *k, const char *v)
{
	key(w, k, false);
	put_str(w, v);
}

static void kv_u32(jw *w, const char *k, uint32_t v)
{
	key(w, k, false);
	put_u64(w, v, v == TETHER_AUDIT_NONE_U32);
}

static void kv_u64(jw *w, const char *k, uint64_t v)
{
	key(w, k, false);
	put_u64(w, v, v == TETHER_AUDIT_NONE_U64);
}

static void kv_i32(jw *w, const char *k, int32_t v)
{
	key(w, k, false);
	put_u64(w, (uint64_t)v, v < 0);
}

/* ISO 8601 UTC with milliseconds from ms since the epoch (civil-from-days,
 * proleptic Gregorian), without reading the clock or the time zone. */
static void put_time(jw *w, uint64_t ms)
{
	char tmp[48];
	if (ms == TETHER_AUDIT_NONE_U64) {
		puts_lit(w, "null");
		return;
	}
	uint64_t days = ms / 86400000u, rem = ms % 86400000u;
	uint64_t z = days + 719468u, era = z / 146097u;
	uint64_t doe = z - era * 146097u;
	uint64_t yoe =
	    (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
	uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
	uint64_t mp = (5u * doy + 2u) / 153u;
	uint64_t d = doy - (153u * mp + 2u) / 5u + 1u;
	uint64_t m = mp < 10u ? mp + 3u : mp - 9u;
	uint64_t y = yoe + era * 400u + (m <= 2u);
	int n =
	    snprintf(tmp, sizeof(tmp),
		     "\"%04" PRIu64 "-%02" PRIu64 "-%02" PRIu64 "T%02" PRIu64
		     ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64 "Z\"",
		     y, m, d, rem / 3600000u, rem / 60000u % 60u,
		     rem / 1000u % 60u, rem % 1000u);
	put(w, tmp, (size_t)n);
}

static void put_peer(jw *w, const tether_peer_identity *id)
{
	uint32_t uid = 0, gid = 0;
	int32_t pid = 0;
	bool ux = tether_peer_identity_unix(id, &uid, &gid, &pid);
	const char *name = tether_peer_identity_name(id);
	const char *fp = tether_peer_identity_fingerprint(id);
	kv_str(w, "peer_kind",
	       id == NULL ? NULL
			  : peer_kind_name(tether_peer_identity_kind(id)));
	kv_str(w, "peer", name[0] != '\0' ? name : NULL);
	kv_str(w, "peer_name_source",
	       name_source_name(tether_peer_identity_name_source(id)));
	kv_str(w, "peer_fingerprint", fp[0] != '\0' ? fp : NULL);
	key(w, "peer_uid", false);
	put_u64(w, uid, !ux);
	key(w, "peer_gid", false);
	put_u64(w, gid, !ux);
	key(w, "peer_pid", false);
	put_u64(w, (uint64_t)pid, !ux || pid < 0);
}

static void put_rpc(jw *w, const tether_audit_record *r)
{
	kv_u32(w, "auth_flavor", r->auth_flavor);
	kv_str(w, "auth_flavor_name", flavor_name(r->auth_flavor));
	kv_u32(w, "prog", r->prog);
	kv_str(w, "prog_name", r->prog_name);
	kv_u32(w, "vers", r->vers);
	kv_u32(w, "proc", r->proc);
	kv_str(w, "proc_name", r->proc_name);
	kv_u32(w, "xid", r->xid);
	kv_u64(w, "causality_id", r->causality_id);
	kv_u32(w, "parent_xid", r->parent_xid);
	kv_str(w, "direction", direction_name(r->direction));
	kv_i32(w, "reply_stat", r->reply_stat);
	kv_str(w, "reply_stat_name", reply_stat_name(r->reply_stat));
	kv_i32(w, "accept_stat", r->accept_stat);
	kv_str(w, "accept_stat_name", accept_stat_name(r->accept_stat));
	kv_i32(w, "auth_stat", r->auth_stat);
	kv_str(w, "auth_stat_name", auth_stat_name(r->auth_stat));
}

static void put_record(jw *w, const tether_audit_record *r)
{
	puts_lit(w, "{");
	key(w, "time", true);
	put_time(w, r->time_ms);
	kv_u64(w, "time_ms", r->time_ms);
	kv_str(w, "event", tether_audit_event_name(r->event));
	kv_u64(w, "conn_id", r->conn_id);
	kv_str(w, "client_addr", r->client_addr);
	kv_u32(w, "client_port", r->client_port);
	kv_str(w, "server_addr", r->server_addr);
	kv_u32(w, "server_port", r->server_port);
	kv_str(w, "transport", transport_name(r->transport));
	kv_str(w, "tls_version", r->tls_version);
	kv_str(w, "tls_cipher", r->tls_cipher);
	kv_str(w, "security_mode", r->security_mode);
	put_peer(w, r->peer);
	put_rpc(w, r);
	kv_str(w, "status", tether_status_name(r->status));
	kv_u32(w, "status_code", (uint32_t)r->status);
	kv_u64(w, "duration_us", r->duration_us);
	kv_u64(w, "bytes_in", r->bytes_in);
	kv_u64(w, "bytes_out", r->bytes_out);
	kv_str(w, "limit", r->limit);
	kv_u32(w, "rule", r->rule);
	kv_str(w, "detail", r->detail);
	puts_lit(w, "}");
}

tether_status tether_audit_format_json(const tether_audit_record *r, char *buf,
				       size_t cap, size_t *len)
{
	if (r == NULL || buf == NULL || cap == 0)
		return TETHER_E_INVAL;
	jw w = {buf, cap - 1, 0}; /* keep one byte for the NUL */
	put_record(&w, r);
	if (len != NULL)
		*len = w.len;
	if (w.len > cap - 1) {
		buf[0] = '\0';
		return TETHER_E_TOO_LARGE;
	}
	buf[w.len] = '\0';
	return TETHER_OK;
}
