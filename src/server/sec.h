/* SPDX-License-Identifier: MIT */
/*
 * sec.h - the security components a server consults per call (policy,
 * rate limiter, audit sink, metrics; all borrowed from the application),
 * the per-connection audit facts, and the control program (DESIGN §2).
 */
#ifndef TT_SERVER_SEC_H
#define TT_SERVER_SEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <tether/security.h>
#include <tether/server.h>

enum { TT_SEC_MAX_IDLS = 64 };

typedef struct tt_sec {
	const tether_policy *policy;
	tether_ratelimit *rl;
	tether_audit_sink *audit;
	tether_metrics *metrics;
	tether_policy *admin; /* owned by the server; NULL: nobody */
	const tether_idl_desc *idls[TT_SEC_MAX_IDLS];
	size_t nidls;
	tether_server *server; /* for HEALTH and LIST */
	uint64_t started_ms;   /* monotonic */
	uint32_t max_inbound, max_outbound; /* CAPABILITIES */
	atomic_uint_least64_t next_conn_id;
} tt_sec;

/* What every audit record of one connection repeats; filled at accept. */
typedef struct tt_caud {
	uint64_t conn_id;
	char client_addr[64], server_addr[64];
	uint32_t client_port, server_port;
	tether_audit_transport transport;
	const char *tls_version, *tls_cipher; /* static strings, or NULL */
	const char *mode;		      /* TETHER_AUDIT_MODE_* */
	char id_key[TETHER_RL_KEY_MAX + 1];   /* "" until known */
	char addr_key[64];		      /* source address, no port */
	bool tls_audited, keys_done;
	uint64_t opened_ms;
} tt_caud;

#endif /* TT_SERVER_SEC_H */
