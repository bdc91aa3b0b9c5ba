/* SPDX-License-Identifier: MIT */
/*
 * tether/server.h - serving programs over TLS (RFC 9289), plaintext TCP
 * and Unix-domain sockets.
 *
 * A server owns N I/O threads, each a libuv loop owning its connections
 * (listeners are watched by loop 0, accepted sockets are handed to the
 * loops round robin). Handlers run inline on the connection's loop thread;
 * versions registered with tether_server_register_blocking() run on a
 * bounded worker pool instead, their replies sent from the loop thread.
 * Register every program before tether_server_start()/run().
 */
#ifndef TETHER_SERVER_H
#define TETHER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/call.h>
#include <tether/export.h>
#include <tether/security.h>
#include <tether/status.h>
#include <tether/tls.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tether_server_opts tether_server_opts;

/* Option object with defaults. Caller frees with tether_server_opts_free();
 * tether_server_new() copies it. */
TETHER_API TETHER_WUR tether_status
tether_server_opts_new(tether_server_opts **out);
TETHER_API void tether_server_opts_free(tether_server_opts *o);
/* I/O threads (loops); 0 (default): one per core. */
TETHER_API void tether_server_opts_set_io_threads(tether_server_opts *o,
						  unsigned n);
/* Worker threads for blocking handlers (default 4; 0: they run inline on
 * the loop thread) and jobs that may wait for one (default 1024; past it
 * calls are answered SYSTEM_ERR). */
TETHER_API void tether_server_opts_set_workers(tether_server_opts *o,
					       unsigned n);
TETHER_API void tether_server_opts_set_max_queued(tether_server_opts *o,
						  size_t n);
/* TLS for tls:// listeners (RFC 9289): our certificate and key, and the
 * CA that verifies client certificates (mutual authentication is the
 * default). cfg is borrowed until tether_server_new() returns, which builds
 * the TLS context then (TETHER_E_CERT if files do not load). */
TETHER_API void tether_server_opts_set_tls(tether_server_opts *o,
					   const tether_tls_config *cfg);
/* Allows tcp:// (plaintext) listeners on non-loopback addresses (default:
 * refused with TETHER_E_INSECURE, DESIGN §5). */
TETHER_API void tether_server_opts_set_allow_plaintext(tether_server_opts *o,
						       bool on);
/* Permission bits of Unix socket files this server creates (e.g. 0660,
 * default 0: as the umask leaves them). Who may connect is also checked
 * per call with tether_ctx_peer_cred(). */
TETHER_API void tether_server_opts_set_unix_mode(tether_server_opts *o,
						 unsigned mode);
/* Connections open at once (default 4096; 0: no cap). Past it a new
 * connection is closed as soon as it is accepted. */
TETHER_API void tether_server_opts_set_max_connections(tether_server_opts *o,
						       uint32_t n);
/* Connections open at once from one source (default 64, DESIGN §7; 0: no
 * cap): a TCP peer address (any port), or a Unix peer uid. */
TETHER_API void tether_server_opts_set_max_per_source(tether_server_opts *o,
						      uint32_t n);
/* Global budget, all connections together (DESIGN §6): bytes reserved by
 * calls in flight, each reserving 4 KiB + 8 x its argument bytes until it
 * is answered (deferred calls included). Past it, new calls are answered
 * SYSTEM_ERR; calls in flight continue. Default 256 MiB; 0: none. */
TETHER_API void tether_server_opts_set_max_call_memory(tether_server_opts *o,
						       size_t bytes);
/* Engine limits per connection (DESIGN §7); 0 keeps the default. */
TETHER_API void tether_server_opts_set_max_record(tether_server_opts *o,
						  uint32_t bytes);
TETHER_API void tether_server_opts_set_max_inbound(tether_server_opts *o,
						   uint32_t calls);
/* Outbound (callback) calls outstanding per connection (default 16). */
TETHER_API void tether_server_opts_set_max_outbound(tether_server_opts *o,
						    uint32_t calls);
/* Default deadline of callbacks (default 5000 ms). */
TETHER_API void tether_server_opts_set_call_deadline_ms(tether_server_opts *o,
							uint32_t ms);
/* Callback expiries in a row before the peer is cut off (default 4). */
TETHER_API void tether_server_opts_set_max_expiries(tether_server_opts *o,
						    uint32_t n);
/* A connection with no traffic and nothing in flight either way for this
 * long is closed with TETHER_E_IDLE (default 120000 ms, also when 0 is
 * given; UINT32_MAX disables it). Counter closed_idle. */
TETHER_API void tether_server_opts_set_idle_timeout_ms(tether_server_opts *o,
						       uint32_t ms);
/* A record must be complete this long after its first byte (slow drip,
 * default 30000 ms; UINT32_MAX: never): past it the connection ends with
 * TETHER_E_RM_TIMEOUT (counted in closed_malformed). */
TETHER_API void tether_server_opts_set_record_timeout_ms(tether_server_opts *o,
							 uint32_t ms);
/* Fragments per record (default 1024, RFC 5531 §11): past it the
 * connection ends with TETHER_E_RM_FRAGMENTS (closed_malformed). */
TETHER_API void tether_server_opts_set_max_fragments(tether_server_opts *o,
						     uint32_t n);
/* Bytes one connection's engine may hold (buffers, records of calls in
 * flight; default 16 MiB): past it the server stops reading that
 * connection until calls are answered (backpressure, like max_inbound). */
TETHER_API void tether_server_opts_set_max_conn_memory(tether_server_opts *o,
						       uint32_t bytes);
/* When accept() fails for lack of descriptors (EMFILE/ENFILE) the listener
 * stops being watched for this long (default 100 ms) or until a connection
 * closes, instead of spinning (counter accept_pauses); connections wait in
 * the kernel backlog. */
TETHER_API void tether_server_opts_set_accept_pause_ms(tether_server_opts *o,
						       uint32_t ms);
/* The value of option name ("max_record", "idle_timeout_ms", ... as in
 * docs/defaults.md) as o holds it now, so tools and tests can show the
 * effective configuration. TETHER_E_INVAL, TETHER_E_NOT_FOUND (no such
 * option). */
TETHER_API TETHER_WUR tether_status
tether_server_opts_get(const tether_server_opts *o, const char *name,
		       uint64_t *out);

/* ---- security (docs/policy.md, docs/audit.md) --------------------------- */
/* All four are borrowed: they must outlive the server; NULL (default):
 * none. They may be shared by several servers (each is thread-safe). */
/* Authorization, checked per call before its arguments are decoded; a
 * denial is answered MSG_DENIED / AUTH_ERROR / AUTH_TOOWEAK (client:
 * TETHER_E_DENIED), audited and counted. */
TETHER_API void tether_server_opts_set_policy(tether_server_opts *o,
					      const tether_policy *p);
/* Rate limits, checked after the policy; a refusal is answered
 * MSG_ACCEPTED / SYSTEM_ERR with the tether rate-limit verifier (client:
 * TETHER_E_RATE_LIMITED; docs/protocol.md), audited and counted. */
TETHER_API void tether_server_opts_set_ratelimit(tether_server_opts *o,
						 tether_ratelimit *rl);
/* Audit records: every call, callback, connection event, denial and limit
 * hit (docs/audit.md). */
TETHER_API void tether_server_opts_set_audit(tether_server_opts *o,
					     tether_audit_sink *sink);
/* Metrics: calls, bytes, connections, denials, limit hits; served in
 * Prometheus text by the control program's STATS procedure. */
TETHER_API void tether_server_opts_set_metrics(tether_server_opts *o,
					       tether_metrics *m);
/* Who may call the administrators-only control procedures (STATS): an
 * identity matcher as in tether_policy_allow() ("uri:spiffe://x/admin",
 * "uid:0", ...), copied. Default: nobody. TETHER_E_INVAL (bad matcher or
 * longer than 255 bytes). */
TETHER_API TETHER_WUR tether_status
tether_server_opts_set_admin(tether_server_opts *o, const char *who);

/* Registers the .x source of a program for reflection (the control
 * program's LIST names and DESCRIBE text): idl is the tetherc-generated
 * NAME_idl (borrowed; must outlive s). Before start. Versions registered
 * with tether_server_register() whose program is in a registered idl are
 * described with its source. TETHER_E_INVAL, TETHER_E_STATE,
 * TETHER_E_BUSY (over 64 idls). */
TETHER_API TETHER_WUR tether_status
tether_server_register_idl(tether_server *s, const tether_idl_desc *idl);

/* Creates a server (o may be NULL: defaults). Caller frees with
 * tether_server_free(). */
TETHER_API TETHER_WUR tether_status
tether_server_new(const tether_server_opts *o, tether_server **out);

/* Like tether_server_register() (call.h), but the handlers of vd run on the
 * worker pool: use it for handlers that block (disk, locks). */
TETHER_API TETHER_WUR tether_status
tether_server_register_blocking(tether_server *s, const tether_version_desc *vd,
				const void *handlers, void *ud);

/* Listens on endpoint ("tls://0.0.0.0:2049", "tcp://127.0.0.1:0",
 * "tcp://[::1]:2049", "unix:/run/x.sock"); before start/run. A tls://
 * listener answers nothing but the RFC 9289 probe before its handshake.
 * TETHER_E_BAD_ENDPOINT, TETHER_E_INVAL (tls:// without a TLS config),
 * TETHER_E_INSECURE (tcp:// off loopback without allow_plaintext),
 * TETHER_E_IO (bind/listen failed), TETHER_E_STATE (already started),
 * TETHER_E_BUSY (8 listeners). */
TETHER_API TETHER_WUR tether_status tether_server_listen(tether_server *s,
							 const char *endpoint);
/* Serves on an already listening socket (systemd socket activation,
 * inherited fds): takes ownership of fd on success; tls selects RPC-over-TLS on
 * a TCP socket. The plaintext-off-loopback check does not apply (the socket was
 * chosen by whoever made it). TETHER_E_INVAL (not a listening stream
 * socket, or tls without a TLS config / on a Unix socket), TETHER_E_STATE,
 * TETHER_E_BUSY. */
TETHER_API TETHER_WUR tether_status tether_server_listen_fd(tether_server *s,
							    int fd, bool tls);
/* The i-th listening endpoint with its bound port, e.g.
 * "tcp://127.0.0.1:40123", into buf[0..cap). TETHER_E_NOT_FOUND past the
 * last, TETHER_E_TOO_LARGE if buf is short. */
TETHER_API TETHER_WUR tether_status tether_server_endpoint(tether_server *s,
							   size_t i, char *buf,
							   size_t cap);

/* Starts the I/O threads and returns. */
TETHER_API TETHER_WUR tether_status tether_server_start(tether_server *s);
/* Serves on the calling thread (plus N-1 more I/O threads) until
 * tether_server_stop() is called from another thread. */
TETHER_API TETHER_WUR tether_status tether_server_run(tether_server *s);
/* Graceful stop: listeners close, connections stop accepting new calls
 * (answered SYSTEM_ERR), calls in flight get grace_ms to finish, then
 * every connection is aborted and the threads exit. Not from a handler
 * (loop or worker thread): TETHER_E_STATE. Idempotent. */
TETHER_API TETHER_WUR tether_status tether_server_stop(tether_server *s,
						       uint32_t grace_ms);
/* Stops (grace 0) if needed and frees everything. s may be NULL. */
TETHER_API void tether_server_free(tether_server *s);

/* Connections currently open (for tests and stats). */
TETHER_API unsigned tether_server_connections(tether_server *s);

/* Server-wide counters (STYLE 15: every limit has one). Fields are only
 * ever appended; pass sizeof so an older caller gets a prefix. */
typedef struct tether_server_counters {
	uint64_t accepted;	 /* connections accepted and admitted */
	uint64_t refused_total;	 /* closed at max_connections */
	uint64_t refused_source; /* closed at max_per_source */
	uint64_t refused_memory; /* calls refused: max_call_memory */
	uint64_t open;		 /* connections open now */
	uint64_t call_memory;	 /* bytes reserved by calls in flight now */
	/* Connections the server ended, by reason: */
	uint64_t closed_unresponsive; /* callbacks expired too often */
	uint64_t closed_idle;	      /* idle timeout */
	uint64_t closed_malformed;    /* bad records or RPC headers */
	uint64_t closed_handshake;    /* TLS / probe failure or deadline */
	uint64_t accept_pauses;	      /* accept failed (EMFILE...): paused */
	/* Worst lateness of any I/O loop's 50 ms heartbeat timer (us): how
	 * long an I/O thread was ever kept from polling. */
	uint64_t loop_lag_max_us;
	/* Per-connection limit hits, summed over connections that have
	 * ended (docs/defaults.md): */
	uint64_t in_stalls;	    /* reading paused: max_inbound, output */
	uint64_t mem_stalls;	    /* reading paused: max_conn_memory */
	uint64_t out_busy;	    /* callbacks refused: max_outbound */
	uint64_t out_full;	    /* callbacks refused: output backlog */
	uint64_t expired;	    /* callbacks past their deadline */
	uint64_t unmatched_replies; /* replies to XIDs never issued */
	uint64_t rpc_mismatch;	    /* calls with rpcvers != 2 */
} tether_server_counters;

/* Copies min(size, sizeof) bytes of the counters into *out. Any thread. */
TETHER_API TETHER_WUR tether_status
tether_server_stats(tether_server *s, tether_server_counters *out, size_t size);

/* ---- the call context, inside a handler -------------------------------- */

/* The peer's address: "tcp://127.0.0.1:40000", "tls://[::1]:5", "unix:".
 * Borrowed, valid as long as ctx. */
TETHER_API const char *tether_ctx_peer_addr(tether_call_ctx *ctx);
/* Kernel-verified credentials of a Unix-domain peer (SO_PEERCRED, taken
 * at accept). TETHER_OK, or TETHER_E_NOT_FOUND on TCP. Any out pointer
 * may be NULL. */
TETHER_API TETHER_WUR tether_status tether_ctx_peer_cred(tether_call_ctx *ctx,
							 uint32_t *uid,
							 uint32_t *gid,
							 int32_t *pid);
/* Who is calling: the verified TLS certificate identity, or the Unix
 * kernel credentials; NULL on plaintext TCP. Borrowed, valid as long as
 * ctx. */
TETHER_API const tether_peer_identity *
tether_ctx_peer_identity(tether_call_ctx *ctx);
/* When the call arrived, on the monotonic clock in ms. */
TETHER_API uint64_t tether_ctx_received_ms(tether_call_ctx *ctx);
/* The caller's deadline (monotonic ms, from when the call arrived plus the
 * time the caller allowed), or UINT64_MAX when the peer sent none: plain
 * ONC RPC peers never do; a tether client does once it has asked the
 * server's capabilities (docs/protocol.md §6). */
TETHER_API uint64_t tether_ctx_deadline_ms(tether_call_ctx *ctx);
/* The procedure being served. */
TETHER_API const tether_proc_desc *tether_ctx_proc(tether_call_ctx *ctx);
/* The protection of the connection the call came on (RFC 9289 §7.1):
 * "plaintext", "unix-peercred", "tls-server-auth" or "tls-mutual-auth"
 * (TETHER_AUDIT_MODE_*); NULL on a client's connection (callbacks: the
 * client knows what it asked for). Static string. */
TETHER_API const char *tether_ctx_security_mode(tether_call_ctx *ctx);
/* The XID of the call being served (RFC 5531 §9). */
TETHER_API uint32_t tether_ctx_xid(tether_call_ctx *ctx);
/* True once the caller cancelled this call (the control program's CANCEL,
 * docs/protocol.md): the handler should stop and finish; whatever it
 * replies, the caller gets TETHER_E_CANCELLED. Any thread. */
TETHER_API bool tether_ctx_cancelled(tether_call_ctx *ctx);

/* ---- the control program (docs/protocol.md) ------------------------------ */
/* Served by every tether server on every connection; described by
 * src/server/control.x. */
#define TETHER_CONTROL_PROG 0x20746574u /* ' tet', RFC 5531 §7.3 user range */
#define TETHER_CONTROL_VERS 1u

#ifdef __cplusplus
}
#endif
#endif /* TETHER_SERVER_H */
