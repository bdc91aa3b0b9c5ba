/* SPDX-License-Identifier: MIT */
/*
 * tether/security.h - authorization policy, rate limits, audit records and
 * metrics (DESIGN §1 "unauthorized access", "floods", "attacks go
 * unnoticed").
 *
 * Four independent components a server consults per call: the policy
 * (before the arguments are decoded), the rate limiter, the audit sink and
 * the metrics registry. None reads a clock: times are passed in. None
 * prints, except the audit sinks whose job it is. docs/policy.md,
 * docs/audit.md and docs/internals/security.md describe formats and
 * decisions.
 */
#ifndef TETHER_SECURITY_H
#define TETHER_SECURITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <tether/desc.h>
#include <tether/export.h>
#include <tether/status.h>
#include <tether/tls.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- authorization policy ----------------------------------------------- */

/* Wildcard for a program, version or procedure number in a rule. The
 * number 0xFFFFFFFF itself can therefore only be matched by "*". */
#define TETHER_POLICY_ANY UINT32_MAX
/* *rule_index when no rule matched (empty policy). */
#define TETHER_POLICY_NO_RULE SIZE_MAX
/* At most this many rules per policy, and bytes per identity pattern. */
#define TETHER_POLICY_MAX_RULES 65536u
#define TETHER_POLICY_MAX_PATTERN 1024u

typedef struct tether_policy tether_policy;

/* An empty policy. Caller frees with tether_policy_free(). TETHER_E_INVAL
 * (out NULL), TETHER_E_NOMEM. */
TETHER_API TETHER_WUR tether_status tether_policy_new(tether_policy **out);
TETHER_API void tether_policy_free(tether_policy *p);

/* Appends a rule. Rules are evaluated in order and the FIRST match wins
 * (like a firewall); once any rule exists, a call no rule matches is
 * denied. `who` is an identity matcher, copied (docs/policy.md):
 *   any | authenticated | unauthenticated
 *   name:PAT  uri:PAT  dns:PAT  cn:PAT   (TLS identity name; PAT exact,
 *             "prefix*", "*.suffix" (one DNS label) or "*")
 *   uid:N  gid:N                        (Unix-socket kernel credentials)
 *   sha256:HEX                          (certificate fingerprint, 64 hex)
 * prog/vers/proc: a number or TETHER_POLICY_ANY.
 * TETHER_E_INVAL (bad matcher), TETHER_E_TOO_LARGE (too many rules),
 * TETHER_E_NOMEM. Not thread-safe: build the policy before sharing it. */
TETHER_API TETHER_WUR tether_status tether_policy_allow(tether_policy *p,
							const char *who,
							uint32_t prog,
							uint32_t vers,
							uint32_t proc);
TETHER_API TETHER_WUR tether_status tether_policy_deny(tether_policy *p,
						       const char *who,
						       uint32_t prog,
						       uint32_t vers,
						       uint32_t proc);

/* Decides a call from the peer identity and the call header only (before
 * decoding arguments). id may be NULL (treated as unauthenticated).
 * TETHER_OK (allowed) or TETHER_E_DENIED; *rule_index (may be NULL) gets the
 * index of the deciding rule, or TETHER_POLICY_NO_RULE. A policy without
 * rules allows everything. Thread-safe on a policy no longer modified. */
TETHER_API TETHER_WUR tether_status tether_policy_check(
    const tether_policy *p, const tether_peer_identity *id, uint32_t prog,
    uint32_t vers, uint32_t proc, size_t *rule_index);

/* The RFC 5531 §9 reply for a call the security layer refused, as the
 * three numbers an audit record carries (absent ones get
 * TETHER_AUDIT_NONE_I32):
 *   TETHER_E_DENIED       -> MSG_DENIED (1), reject_stat AUTH_ERROR,
 *                            auth_stat AUTH_TOOWEAK (5)
 *   TETHER_E_RATE_LIMITED -> MSG_ACCEPTED (0), accept_stat SYSTEM_ERR (5)
 * (docs/policy.md says why). TETHER_E_INVAL for any other status or a
 * NULL output. */
TETHER_API TETHER_WUR tether_status
tether_security_refusal(tether_status st, int32_t *reply_stat,
			int32_t *accept_stat, int32_t *auth_stat);

/* Number of rules, and the source line of rule i (0 for API rules). */
TETHER_API size_t tether_policy_rule_count(const tether_policy *p);
TETHER_API uint32_t tether_policy_rule_line(const tether_policy *p, size_t i);

/* Appends the rules of a policy text (format in docs/policy.md). Names of
 * programs, versions and procedures resolve through idls[0..nidls)
 * (borrowed, may be NULL/0). On error nothing is appended, err (if cap >
 * 0) gets "NAME:LINE:COL: error: MESSAGE" and the status is
 * TETHER_E_POLICY_SYNTAX (or TETHER_E_NOMEM / TETHER_E_TOO_LARGE). name
 * labels messages ("<policy>" if NULL). Never reads past text[len). */
TETHER_API TETHER_WUR tether_status tether_policy_load_text(
    tether_policy *p, const char *name, const char *text, size_t len,
    const tether_idl_desc *const *idls, size_t nidls, char *err, size_t errcap);
/* Same, reading the file at path (at most 1 MiB; TETHER_E_IO if it cannot
 * be read, TETHER_E_TOO_LARGE if longer). */
TETHER_API TETHER_WUR tether_status tether_policy_load_file(
    tether_policy *p, const char *path, const tether_idl_desc *const *idls,
    size_t nidls, char *err, size_t errcap);

/* ---- rate limits -------------------------------------------------------- */

/* Which key a rate rule buckets on. */
typedef enum tether_rl_scope {
	TETHER_RL_IDENTITY = 0, /* per peer identity (tether_peer_key) */
	TETHER_RL_ADDRESS = 1	/* per source address (no port) */
} tether_rl_scope;

/* Longest key a bucket stores (bytes, without the NUL). */
#define TETHER_RL_KEY_MAX 255u
/* Default number of buckets kept (all scopes together). */
#define TETHER_RL_DEFAULT_BUCKETS 4096u

typedef struct tether_ratelimit tether_ratelimit;

/* A limiter keeping at most max_buckets buckets (0: the default); all its
 * memory is allocated here, so it never grows afterwards: past
 * max_buckets the least recently used bucket is recycled. seed keys the
 * bucket hash (pass random bytes; it defends against hash flooding).
 * Caller frees with tether_ratelimit_free(). Thread-safe: one internal
 * mutex (docs/internals/security.md). */
TETHER_API TETHER_WUR tether_status
tether_ratelimit_new(size_t max_buckets, uint64_t seed, tether_ratelimit **out);
TETHER_API void tether_ratelimit_free(tether_ratelimit *rl);

/* Adds a token-bucket rule for calls matching prog/vers/proc (numbers or
 * TETHER_POLICY_ANY): rate_per_s tokens per second (>= 1), burst tokens at
 * most (>= 1). For a call, in each scope, the MOST SPECIFIC rule applies
 * (a rule naming the program beats one that does not, then the version,
 * then the procedure); among equals the first added. Each rule has its own
 * buckets. TETHER_E_INVAL, TETHER_E_TOO_LARGE (over 1024 rules),
 * TETHER_E_NOMEM. Set rules before checking calls. */
TETHER_API TETHER_WUR tether_status tether_ratelimit_add(
    tether_ratelimit *rl, tether_rl_scope scope, uint32_t prog, uint32_t vers,
    uint32_t proc, uint32_t rate_per_s, uint32_t burst);

/* Takes one token for a call from both the identity bucket (id_key, may
 * be NULL: no identity limit) and the address bucket (addr_key, may be
 * NULL), each under its most specific rule. Only if both have a token is
 * either taken. now_ms: any monotonic clock in ms. Keys longer than
 * TETHER_RL_KEY_MAX are stored as a prefix plus a hash. TETHER_OK,
 * TETHER_E_RATE_LIMITED (*scope_hit, may be NULL, says which scope),
 * TETHER_E_INVAL. */
TETHER_API TETHER_WUR tether_status tether_ratelimit_check(
    tether_ratelimit *rl, const char *id_key, const char *addr_key,
    uint32_t prog, uint32_t vers, uint32_t proc, uint64_t now_ms,
    tether_rl_scope *scope_hit);

/* Buckets currently held (never more than max_buckets). */
TETHER_API size_t tether_ratelimit_buckets(tether_ratelimit *rl);

/* The rate-limit / audit key of a peer into buf: "tls:NAME" (or
 * "tls-sha256:HEX" if the certificate had no name), "unix-uid:N", or ""
 * for an unauthenticated peer (then use the address). TETHER_E_TOO_LARGE
 * if cap is short. */
TETHER_API TETHER_WUR tether_status
tether_peer_key(const tether_peer_identity *id, char *buf, size_t cap);

/* ---- audit records ------------------------------------------------------ */

typedef enum tether_audit_event {
	TETHER_AUDIT_CALL = 0,		  /* one served or made call */
	TETHER_AUDIT_CONN_OPEN = 1,	  /* connection accepted/opened */
	TETHER_AUDIT_CONN_CLOSE = 2,	  /* connection closed */
	TETHER_AUDIT_TLS_ESTABLISHED = 3, /* handshake done */
	TETHER_AUDIT_SECURITY_MODE = 4,	  /* RFC 9289 §6.1 mode chosen */
	TETHER_AUDIT_LIMIT = 5,		  /* a limit refused something */
	TETHER_AUDIT_DENIAL = 6		  /* the policy denied a call */
} tether_audit_event;

typedef enum tether_audit_transport {
	TETHER_AUDIT_TRANSPORT_NONE = 0,
	TETHER_AUDIT_TRANSPORT_TCP = 1,
	TETHER_AUDIT_TRANSPORT_TLS = 2,
	TETHER_AUDIT_TRANSPORT_UNIX = 3
} tether_audit_transport;

typedef enum tether_audit_direction {
	TETHER_AUDIT_DIR_NONE = 0,
	TETHER_AUDIT_DIR_CALL = 1,    /* the client called the server */
	TETHER_AUDIT_DIR_CALLBACK = 2 /* the server called the client back */
} tether_audit_direction;

/* Values for tether_audit_record.security_mode (docs/audit.md): the
 * protection a connection ended up with, audited once per connection
 * (RFC 9289 §6.1 as cited by the project's issues). */
#define TETHER_AUDIT_MODE_PLAINTEXT "plaintext" /* tcp://, no TLS */
#define TETHER_AUDIT_MODE_TLS_SERVER_AUTH                                      \
	"tls-server-auth" /* no client cert                                    \
			   */
#define TETHER_AUDIT_MODE_TLS_MUTUAL_AUTH "tls-mutual-auth"
#define TETHER_AUDIT_MODE_UNIX_PEERCRED "unix-peercred" /* SO_PEERCRED */

/* Marks an absent numeric field (written as JSON null). */
#define TETHER_AUDIT_NONE_U32 UINT32_MAX
#define TETHER_AUDIT_NONE_I32 (-1)
#define TETHER_AUDIT_NONE_U64 UINT64_MAX

/*
 * One audit record. A plain struct the caller fills (it is a message, not
 * a handle): always start from tether_audit_record_init(), which marks
 * every field absent, so fields added later stay absent for old callers.
 * Strings are borrowed for the duration of the emit call; NULL means
 * absent. Numbers use the TETHER_AUDIT_NONE_* markers for absent.
 */
typedef struct tether_audit_record {
	tether_audit_event event;
	uint64_t time_ms;	 /* wall clock, ms since the Unix epoch (UTC) */
	uint64_t conn_id;	 /* the server's connection number */
	const char *client_addr; /* "127.0.0.1", "::1", "/run/x.sock" */
	uint32_t client_port;
	const char *server_addr;
	uint32_t server_port;
	tether_audit_transport transport;
	const char *tls_version;   /* "TLSv1.3" */
	const char *tls_cipher;	   /* "TLS_AES_128_GCM_SHA256" */
	const char *security_mode; /* "plaintext", "tls-server-auth", ... */
	const tether_peer_identity *peer; /* borrowed; NULL: none */
	uint32_t auth_flavor;		  /* RFC 5531 §8 flavor number */
	uint32_t prog;
	const char *prog_name;
	uint32_t vers;
	uint32_t proc;
	const char *proc_name;
	uint32_t xid;
	uint64_t causality_id; /* links a callback to the call that caused it */
	uint32_t parent_xid;
	tether_audit_direction direction;
	int32_t reply_stat;  /* RFC 5531 §9: MSG_ACCEPTED 0, MSG_DENIED 1 */
	int32_t accept_stat; /* SUCCESS 0 .. SYSTEM_ERR 5 */
	int32_t auth_stat;   /* AUTH_OK 0 .. AUTH_TOOWEAK 5 ... */
	tether_status status;
	uint64_t duration_us;
	uint64_t bytes_in;
	uint64_t bytes_out;
	const char *limit;  /* LIMIT: which one ("rate_identity", ...) */
	uint32_t rule;	    /* DENIAL/CALL: policy rule index */
	const char *detail; /* free text, e.g. why a connection closed */
} tether_audit_record;

/* Sets every field of r to absent, event CALL, status TETHER_OK. */
TETHER_API void tether_audit_record_init(tether_audit_record *r);

/* Stable names used in JSON: "call", "conn_open", ...; "tcp", ...;
 * "call"/"callback". Never NULL. */
TETHER_API const char *tether_audit_event_name(tether_audit_event e);

/* Writes r as one JSON object (no newline) into buf[0..cap) with a NUL;
 * *len (may be NULL) gets its length. Every string is escaped (RFC 8259
 * §7; invalid UTF-8 becomes U+FFFD) and cut at 1024 input bytes.
 * TETHER_E_TOO_LARGE if cap is short (TETHER_AUDIT_JSON_MAX always
 * suffices), TETHER_E_INVAL. */
#define TETHER_AUDIT_JSON_MAX 131072u
TETHER_API TETHER_WUR tether_status tether_audit_format_json(
    const tether_audit_record *r, char *buf, size_t cap, size_t *len);

/* A sink receives records. The callback gets a borrowed record, valid
 * during the call; it may be called from any I/O thread at once, so it
 * must be thread-safe and quick. */
typedef void (*tether_audit_fn)(const tether_audit_record *r, void *ud);

typedef struct tether_audit_sink tether_audit_sink;

/* A sink calling fn(r, ud). Caller frees with tether_audit_sink_free(). */
TETHER_API TETHER_WUR tether_status tether_audit_sink_new_callback(
    tether_audit_fn fn, void *ud, tether_audit_sink **out);
/* JSON lines to f (borrowed; must outlive the sink): one fwrite and one
 * fflush per record, under a mutex. */
TETHER_API TETHER_WUR tether_status
tether_audit_sink_new_json_file(FILE *f, tether_audit_sink **out);
/* JSON lines appended to path (created 0600 if absent). TETHER_E_IO. */
TETHER_API TETHER_WUR tether_status
tether_audit_sink_new_json_path(const char *path, tether_audit_sink **out);
/* JSON lines to stderr. */
TETHER_API TETHER_WUR tether_status
tether_audit_sink_new_stderr(tether_audit_sink **out);
/* syslog(3) under facility LOG_AUTHPRIV with ident (copied; NULL:
 * "tether"): the JSON object as the message, LOG_NOTICE for successful
 * calls and connection events, LOG_WARNING for denials, limit hits and
 * failed calls. */
TETHER_API TETHER_WUR tether_status
tether_audit_sink_new_syslog(const char *ident, tether_audit_sink **out);
/* Moves the writing of a JSON-file or syslog sink to a writer thread
 * (call before the first emit): tether_audit_emit() then formats the record
 * on the calling thread and queues the line, at most queue_bytes of text
 * (0: TETHER_AUDIT_DEFAULT_QUEUE). When the queue is full, successful calls
 * are dropped and counted (tether_audit_sink_dropped), while denials, limit
 * hits, failures and connection events are written at once on the calling
 * thread, so they are never lost. tether_audit_sink_free() writes what is
 * queued, then stops the thread. TETHER_E_STATE (callback sink, or already
 * async), TETHER_E_NOMEM (no thread), TETHER_E_INVAL. */
#define TETHER_AUDIT_DEFAULT_QUEUE (1024u * 1024u)
TETHER_API TETHER_WUR tether_status
tether_audit_sink_set_async(tether_audit_sink *s, size_t queue_bytes);
/* Records dropped: successful calls that found the queue full, and lines
 * the writer thread failed to write. */
TETHER_API uint64_t tether_audit_sink_dropped(const tether_audit_sink *s);

/* Frees the sink (closes a file it opened). s may be NULL. */
TETHER_API void tether_audit_sink_free(tether_audit_sink *s);

/* Writes only 1 in n successful calls (event CALL, status TETHER_OK);
 * every other record is always written. 0 or 1: all (default). */
TETHER_API void tether_audit_sink_set_sample(tether_audit_sink *s, uint32_t n);

/* Hands r to the sink unless sampled out. TETHER_OK (written or sampled
 * out: *written, may be NULL, says which), TETHER_E_IO (the file write
 * failed), TETHER_E_INVAL. Thread-safe. */
TETHER_API TETHER_WUR tether_status tether_audit_emit(
    tether_audit_sink *s, const tether_audit_record *r, bool *written);

/* ---- metrics ------------------------------------------------------------ */

/* Plain counters (each one a Prometheus series, docs/audit.md). */
typedef enum tether_metric {
	TETHER_METRIC_BYTES_IN = 0,
	TETHER_METRIC_BYTES_OUT,
	TETHER_METRIC_CONN_OPENED,
	TETHER_METRIC_CONN_CLOSED,
	TETHER_METRIC_DENIALS,
	TETHER_METRIC_CALLBACK_EXPIRIES,
	TETHER_METRIC_LIMIT_RATE_IDENTITY,
	TETHER_METRIC_LIMIT_RATE_ADDRESS,
	TETHER_METRIC_LIMIT_CONNECTIONS,
	TETHER_METRIC_LIMIT_CONNECTIONS_PER_ADDRESS,
	TETHER_METRIC_LIMIT_HANDSHAKE_TIMEOUT,
	TETHER_METRIC_LIMIT_IDLE_TIMEOUT,
	TETHER_METRIC_LIMIT_RECORD_TIMEOUT,
	TETHER_METRIC_LIMIT_RECORD_SIZE,
	TETHER_METRIC_LIMIT_INBOUND,
	TETHER_METRIC_LIMIT_OUTBOUND,
	TETHER_METRIC_LIMIT_MEMORY,
	TETHER_METRIC__COUNT
} tether_metric;

/* Latency histogram buckets: upper bounds in microseconds (log scale,
 * 1-2.5-5 per decade), plus +Inf. */
#define TETHER_METRICS_NBUCKETS 16u
/* Distinct (prog, vers, proc, status) call series and (prog, vers, proc)
 * latency series kept; calls past them are counted in one overflow series
 * with prog="other". */
#define TETHER_METRICS_MAX_SERIES 512u

typedef struct tether_metrics tether_metrics;

TETHER_API TETHER_WUR tether_status tether_metrics_new(tether_metrics **out);
TETHER_API void tether_metrics_free(tether_metrics *m);

/* Adds n to a counter. Lock-free (relaxed atomics); any thread. */
TETHER_API void tether_metrics_add(tether_metrics *m, tether_metric c,
				   uint64_t n);
/* Counts one finished call: its status, latency and bytes. Lock-free
 * except the first time a series is seen (a mutex guards insertion). */
TETHER_API void tether_metrics_call(tether_metrics *m, uint32_t prog,
				    uint32_t vers, uint32_t proc,
				    tether_status st, uint64_t duration_us);

/* Snapshot reads (relaxed: each value is exact, the set is not one
 * instant). */
TETHER_API uint64_t tether_metrics_get(const tether_metrics *m,
				       tether_metric c);
TETHER_API uint64_t tether_metrics_calls(const tether_metrics *m, uint32_t prog,
					 uint32_t vers, uint32_t proc,
					 tether_status st);
/* Latency of (prog, vers, proc): per-bucket counts (not cumulative),
 * buckets[TETHER_METRICS_NBUCKETS] being +Inf; count and sum in us.
 * TETHER_E_NOT_FOUND if no call was seen. */
TETHER_API TETHER_WUR tether_status tether_metrics_latency(
    const tether_metrics *m, uint32_t prog, uint32_t vers, uint32_t proc,
    uint64_t buckets[TETHER_METRICS_NBUCKETS + 1], uint64_t *count,
    uint64_t *sum_us);
/* Upper bound of bucket i in microseconds (i < TETHER_METRICS_NBUCKETS). */
TETHER_API uint64_t tether_metrics_bucket_bound_us(unsigned i);

/* Renders every metric in the Prometheus text exposition format 0.0.4
 * into buf[0..cap) with a NUL; *len (may be NULL) gets the length.
 * Series are sorted, so equal metrics give equal text. TETHER_E_TOO_LARGE
 * if cap is short (*len then holds the size needed, without the NUL). */
TETHER_API TETHER_WUR tether_status tether_metrics_prometheus(
    const tether_metrics *m, char *buf, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_SECURITY_H */
