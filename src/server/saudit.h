/* SPDX-License-Identifier: MIT */
/*
 * saudit.h - audit records and metrics of a server's connections and
 * calls (docs/audit.md); no-ops on client connections (c->sec NULL).
 */
#ifndef TT_SERVER_SAUDIT_H
#define TT_SERVER_SAUDIT_H

#include "server/rconn.h"

/* One finished call (or callback) to audit. */
typedef struct tt_aud_call_info {
	uint32_t xid, prog, vers, proc, flavor;
	const char *prog_name, *proc_name;
	uint64_t t0_us; /* tt_aud_now_us() when it arrived / was sent */
	uint64_t bytes_in, bytes_out;
	tether_status st; /* what was answered (OK, E_DENIED, ...) */
	uint32_t rule;	  /* deciding policy rule, or TETHER_AUDIT_NONE_U32 */
	tether_audit_direction dir;
	uint32_t parent_xid; /* callbacks: the inbound call that caused it */
	const char *detail;  /* why it was refused, or NULL */
	uint64_t causality;  /* given by the caller (context credential); 0 */
} tt_aud_call_info;

uint64_t tt_aud_wall_ms(void);
uint64_t tt_aud_now_us(void);

/* Fills a's addresses and transport from the accepted socket fd. */
void tt_aud_conn_facts(tt_caud *a, int fd, bool tls);
/* r initialised with the connection's facts. */
void tt_aud_base(const tether_conn *c, tether_audit_record *r,
		 tether_audit_event ev);
void tt_aud_emit(const tether_conn *c, const tether_audit_record *r);
void tt_aud_metric(const tether_conn *c, tether_metric m);

void tt_aud_conn_open(tether_conn *c);
/* TLS connections: after the handshake, once. Loop thread. */
void tt_aud_tls_check(tether_conn *c);
void tt_aud_conn_close(tether_conn *c, tether_status why);
void tt_aud_limit(const tether_conn *c, const char *limit, tether_metric m,
		  tether_status st, const char *detail);
/* The name of program prog from the registered .x descriptions, or NULL
 * (callbacks: the server does not serve their program). */
const char *tt_aud_prog_name(const tt_sec *sec, uint32_t prog);
/* A call record (and its metrics). */
void tt_aud_call(const tether_conn *c, const tt_aud_call_info *ci);

#endif /* TT_SERVER_SAUDIT_H */
