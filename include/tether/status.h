/* SPDX-License-Identifier: MIT */
/*
 * tether/status.h - the one status enum of tether.
 *
 * Every fallible function returns a tether_status. TETHER_OK is 0. Codes are
 * grouped by the side and layer that failed, in fixed numeric ranges; a code,
 * once published, is never renumbered (audit records and logs keep them).
 * The enum, tether_strerror() and tether_status_name() are all generated from
 * the one table below (STYLE 5).
 */
#ifndef TETHER_STATUS_H
#define TETHER_STATUS_H

#include <tether/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * X(NAME, number, message)
 *   0         success
 *   1..99     incremental decoding signals (not errors in themselves)
 *   100..199  local: arguments, memory, limits of this process
 *   200..299  XDR and wire-format errors (bad bytes from a peer)
 *   300..399  transport: connection, deadline
 *   400..499  protocol: the peer answered with an RPC error
 *   500..599  security: authentication, authorization, rate limits
 *   600..699  IDL compiler (tetherc)
 */
#define TETHER_STATUS_MAP(X)                                                   \
	X(OK, 0, "success")                                                    \
	X(E_NEED_MORE, 1, "more input bytes are needed")                       \
	X(E_DEFERRED, 2, "the reply will be sent later")                       \
	X(E_INVAL, 100, "invalid argument")                                    \
	X(E_NOMEM, 101, "out of memory")                                       \
	X(E_TOO_LARGE, 102, "value exceeds its size limit")                    \
	X(E_BUDGET, 103, "decode memory budget exhausted")                     \
	X(E_DEPTH, 104, "nesting depth limit exceeded")                        \
	X(E_CANCELLED, 105, "operation cancelled")                             \
	X(E_BUSY, 106, "resource limit reached; try again later")              \
	X(E_STATE, 107, "operation not valid in the current state")            \
	X(E_NOT_FOUND, 108, "no such item")                                    \
	X(E_IO, 109, "local I/O error")                                        \
	X(E_SHUTDOWN, 110, "shutting down")                                    \
	X(E_BAD_ENDPOINT, 111, "malformed endpoint string")                    \
	X(E_UNSUPPORTED, 112, "not supported")                                 \
	X(E_XDR_SHORT, 200, "XDR data ends before the value does")             \
	X(E_XDR_PADDING, 201, "XDR padding bytes are not zero")                \
	X(E_XDR_RANGE, 202, "XDR value out of range (bool, enum or union)")    \
	X(E_XDR_LENGTH, 203, "XDR length exceeds its bound or the data left")  \
	X(E_XDR_STRING, 204, "XDR string contains a NUL byte")                 \
	X(E_XDR_TRAILING, 205, "bytes left over after the value")              \
	X(E_RM_TOO_LARGE, 210, "record exceeds the maximum record size")       \
	X(E_RM_FRAGMENTS, 211, "record has too many fragments")                \
	X(E_RM_TIMEOUT, 212, "record not completed in time")                   \
	X(E_RPC_MSG, 220, "malformed RPC message")                             \
	X(E_RPC_AUTH_LEN, 221, "opaque_auth body longer than 400 bytes")       \
	X(E_RPC_MSG_TYPE, 222, "unknown RPC message type")                     \
	X(E_UNREACHABLE, 300, "peer unreachable")                              \
	X(E_REFUSED, 301, "connection refused")                                \
	X(E_CLOSED, 302, "connection closed")                                  \
	X(E_TIMEOUT, 303, "deadline exceeded")                                 \
	X(E_RESET, 304, "connection reset by peer")                            \
	X(E_PROTOCOL, 305, "peer violated the protocol")                       \
	X(E_UNRESPONSIVE, 306, "peer let too many calls expire; cut off")      \
	X(E_IDLE, 307, "connection idle for too long")                         \
	X(E_PROG_UNAVAIL, 400, "program unavailable at the peer")              \
	X(E_PROG_MISMATCH, 401, "program version unavailable at the peer")     \
	X(E_PROC_UNAVAIL, 402, "procedure unavailable at the peer")            \
	X(E_GARBAGE_ARGS, 403, "peer could not decode the arguments")          \
	X(E_SYSTEM_ERR, 404, "peer reported a system error")                   \
	X(E_RPC_MISMATCH, 405, "peer does not speak RPC version 2")            \
	X(E_BAD_REPLY, 406, "reply could not be decoded")                      \
	X(E_AUTH_REJECTED, 500, "peer rejected our credentials")               \
	X(E_DENIED, 501, "denied by the peer's authorization policy")          \
	X(E_RATE_LIMITED, 502, "rate limited by the peer")                     \
	X(E_TLS, 503, "TLS failure")                                           \
	X(E_TLS_REQUIRED, 504, "peer did not agree to TLS; no plaintext sent") \
	X(E_PEER_IDENTITY, 505, "peer identity does not match")                \
	X(E_CERT, 506, "certificate or key could not be loaded")               \
	X(E_INSECURE, 507, "plaintext on a non-loopback address not allowed")  \
	X(E_POLICY_SYNTAX, 510, "error in the authorization policy text")      \
	X(E_IDL_SYNTAX, 600, "syntax error in the .x file")                    \
	X(E_IDL_SEMANTIC, 601, "semantic error in the .x file")

typedef enum tether_status {
#define TETHER__STATUS_ENUM(name, num, msg) TETHER_##name = num,
	TETHER_STATUS_MAP(TETHER__STATUS_ENUM)
#undef TETHER__STATUS_ENUM
} tether_status;

/* Human-readable message for st; never NULL ("unknown status" if unknown). */
TETHER_API const char *tether_strerror(tether_status st);

/* Stable short name ("E_TIMEOUT", "OK") for logs and audit records; never
 * NULL ("UNKNOWN" if unknown). */
TETHER_API const char *tether_status_name(tether_status st);

#ifdef __cplusplus
}
#endif
#endif /* TETHER_STATUS_H */
