/* SPDX-License-Identifier: MIT */
/*
 * saudit.c - the server's audit records and metrics (docs/audit.md):
 * connection open/close, TLS established and the connection's security
 * mode (RFC 9289 §7.1), calls, callbacks, denials and limit hits. Each
 * record repeats the connection facts gathered once at accept.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "common/tt.h"
#include "io/xport.h"
#include "server/saudit.h"

uint64_t tt_aud_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t tt_aud_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Address and port of sa into addr[0..cap) and *port (0 for Unix). */
static void sa_text(const struct sockaddr_storage *sa, socklen_t len,
		    char *addr, size_t cap, uint32_t *port)
{
	*port = 0;
	addr[0] = '\0';
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, addr, (socklen_t)cap);
		*port = ntohs(in->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, addr, (socklen_t)cap);
		*port = ntohs(in6->sin6_port);
	} else if (sa->ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)sa;
		size_t off = offsetof(struct sockaddr_un, sun_path);
		size_t n = len > off ? (size_t)len - off : 0;
		n = strnlen(un->sun_path, n < sizeof un->sun_path
					      ? n
					      : sizeof un->sun_path);
		n = n < cap - 1 ? n : cap - 1;
		memcpy(addr, un->sun_path, n);
		addr[n] = '\0';
	}
}

void tt_aud_conn_facts(tt_caud *a, int fd, bool tls)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;

	memset(&sa, 0, sizeof sa);
	if (getpeername(fd, (struct sockaddr *)&sa, &len) == 0)
		sa_text(&sa, len, a->client_addr, sizeof a->client_addr,
			&a->client_port);
	len = sizeof sa;
	memset(&sa, 0, sizeof sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		sa_text(&sa, len, a->server_addr, sizeof a->server_addr,
			&a->server_port);
	if (sa.ss_family == AF_UNIX) {
		a->transport = TETHER_AUDIT_TRANSPORT_UNIX;
		a->mode = TETHER_AUDIT_MODE_UNIX_PEERCRED;
		memcpy(a->addr_key, "unix", 5);
	} else {
		a->transport = tls ? TETHER_AUDIT_TRANSPORT_TLS
				   : TETHER_AUDIT_TRANSPORT_TCP;
		a->mode = tls ? NULL : TETHER_AUDIT_MODE_PLAINTEXT;
		memcpy(a->addr_key, a->client_addr, sizeof a->addr_key);
		a->addr_key[sizeof a->addr_key - 1] = '\0';
	}
	a->opened_ms = tt_aud_wall_ms();
}

void tt_aud_base(const tether_conn *c, tether_audit_record *r,
		 tether_audit_event ev)
{
	const tt_caud *a = c->aud;

	tether_audit_record_init(r);
	r->event = ev;
	r->time_ms = tt_aud_wall_ms();
	r->peer = c->identity;
	if (a == NULL)
		return;
	r->conn_id = a->conn_id;
	r->client_addr = a->client_addr, r->client_port = a->client_port;
	r->server_addr = a->server_addr, r->server_port = a->server_port;
	r->transport = a->transport;
	r->tls_version = a->tls_version, r->tls_cipher = a->tls_cipher;
	r->security_mode = a->mode;
}

void tt_aud_emit(const tether_conn *c, const tether_audit_record *r)
{
	if (c->sec != NULL && c->sec->audit != NULL)
		TT_IGNORE(tether_audit_emit(c->sec->audit, r, NULL));
}

void tt_aud_metric(const tether_conn *c, tether_metric m)
{
	if (c->sec != NULL && c->sec->metrics != NULL && m < TETHER_METRIC__COUNT)
		tether_metrics_add(c->sec->metrics, m, 1);
}

void tt_aud_conn_open(tether_conn *c)
{
	tether_audit_record r;

	tt_aud_metric(c, TETHER_METRIC_CONN_OPENED);
	tt_aud_base(c, &r, TETHER_AUDIT_CONN_OPEN);
	tt_aud_emit(c, &r);
	if (c->aud->mode == NULL)
		return; /* TLS: the mode is known after the handshake */
	tt_aud_base(c, &r, TETHER_AUDIT_SECURITY_MODE);
	tt_aud_emit(c, &r);
}

void tt_aud_limit(const tether_conn *c, const char *limit, tether_metric m,
		  tether_status st, const char *detail)
{
	tether_audit_record r;

	tt_aud_metric(c, m);
	tt_aud_base(c, &r, TETHER_AUDIT_LIMIT);
	r.limit = limit;
	r.status = st;
	r.detail = detail;
	tt_aud_emit(c, &r);
}

/* RFC 9289 §7.1: an audit log of the security mode selected is REQUIRED.
 * Once the handshake is done: the TLS facts and the mode it ended in. */
void tt_aud_tls_check(tether_conn *c)
{
	tt_io_xport *x;
	tether_audit_record r;
	bool mutual;

	if (c->aud == NULL || c->aud->tls_audited || c->io == NULL ||
	    c->aud->transport != TETHER_AUDIT_TRANSPORT_TLS)
		return;
	x = tt_io_conn_xport(c->io);
	if (x == NULL || x->tls == NULL || !tt_io_xport_ready(x))
		return;
	c->aud->tls_audited = true;
	c->aud->tls_version = tt_tls_version(x->tls);
	c->aud->tls_cipher = tt_tls_cipher(x->tls);
	if (c->identity == NULL)
		c->identity = tt_io_xport_take_identity(x);
	mutual = c->identity != NULL &&
		 tether_peer_identity_kind(c->identity) == TETHER_PEER_TLS;
	c->aud->mode = mutual ? TETHER_AUDIT_MODE_TLS_MUTUAL_AUTH
			      : TETHER_AUDIT_MODE_TLS_SERVER_AUTH;
	tt_aud_base(c, &r, TETHER_AUDIT_TLS_ESTABLISHED);
	tt_aud_emit(c, &r);
	tt_aud_base(c, &r, TETHER_AUDIT_SECURITY_MODE);
	tt_aud_emit(c, &r);
}

/* Which limit a closing status is, or NULL. */
static const char *close_limit(tether_status why, tether_metric *m)
{
	switch (why) {
	case TETHER_E_IDLE:
		*m = TETHER_METRIC_LIMIT_IDLE_TIMEOUT;
		return "idle_timeout";
	case TETHER_E_UNRESPONSIVE:
		/* Counted per expired callback (TETHER_METRIC_CALLBACK_
		 * EXPIRIES) and in the server's closed_unresponsive. */
		*m = TETHER_METRIC__COUNT;
		return "callback_expiries";
	case TETHER_E_RM_TIMEOUT:
		*m = TETHER_METRIC_LIMIT_RECORD_TIMEOUT;
		return "record_timeout";
	case TETHER_E_RM_TOO_LARGE:
	case TETHER_E_RM_FRAGMENTS:
		*m = TETHER_METRIC_LIMIT_RECORD_SIZE;
		return "record_size";
	default:
		return NULL;
	}
}

void tt_aud_conn_close(tether_conn *c, tether_status why)
{
	tether_audit_record r;
	tether_metric m = TETHER_METRIC_CONN_CLOSED;
	const char *limit = close_limit(why, &m);
	const char *detail = NULL;
	tt_io_xport *x = c->io != NULL ? tt_io_conn_xport(c->io) : NULL;

	if (c->aud == NULL)
		return;
	if (x != NULL && x->tls != NULL && tt_tls_reason(x->tls)[0] != '\0')
		detail = tt_tls_reason(x->tls);
	else if (x != NULL && x->phase == TT_XP_PROBE)
		detail = "closed before the RFC 9289 probe completed";
	if (why == TETHER_E_TIMEOUT && c->aud->transport ==
					   TETHER_AUDIT_TRANSPORT_TLS &&
	    !c->aud->tls_audited) {
		limit = "handshake_timeout";
		m = TETHER_METRIC_LIMIT_HANDSHAKE_TIMEOUT;
	}
	if (limit != NULL)
		tt_aud_limit(c, limit, m, why, detail);
	tt_aud_metric(c, TETHER_METRIC_CONN_CLOSED);
	tt_aud_base(c, &r, TETHER_AUDIT_CONN_CLOSE);
	r.status = why;
	r.detail = detail != NULL ? detail : tether_status_name(why);
	tt_aud_emit(c, &r);
}

/* RFC 5531 §9: the reply a status was answered with. */
static void reply_stats(tether_status st, tether_audit_record *r)
{
	int32_t accept = -1;

	if (tether_security_refusal(st, &r->reply_stat, &r->accept_stat,
				    &r->auth_stat) == TETHER_OK)
		return;
	switch (st) {
	case TETHER_OK:
		accept = 0;
		break;
	case TETHER_E_PROG_UNAVAIL:
		accept = 1;
		break;
	case TETHER_E_PROG_MISMATCH:
		accept = 2;
		break;
	case TETHER_E_PROC_UNAVAIL:
		accept = 3;
		break;
	case TETHER_E_GARBAGE_ARGS:
		accept = 4;
		break;
	case TETHER_E_AUTH_REJECTED:
		r->reply_stat = 1, r->auth_stat = 1; /* AUTH_BADCRED */
		return;
	default:
		accept = 5; /* SYSTEM_ERR */
		break;
	}
	r->reply_stat = 0, r->accept_stat = accept;
}

const char *tt_aud_prog_name(const tt_sec *sec, uint32_t prog)
{
	for (size_t i = 0; sec != NULL && i < sec->nidls; i++)
		for (size_t j = 0; j < sec->idls[i]->nprograms; j++)
			if (sec->idls[i]->programs[j]->prog == prog)
				return sec->idls[i]->programs[j]->name;
	return NULL;
}

void tt_aud_call(const tether_conn *c, const tt_aud_call_info *ci)
{
	tether_audit_record r;
	uint64_t dur;

	if (c->sec == NULL ||
	    (c->sec->audit == NULL && c->sec->metrics == NULL))
		return;
	dur = tt_aud_now_us() - ci->t0_us;
	if (ci->dir == TETHER_AUDIT_DIR_CALLBACK && ci->st == TETHER_E_TIMEOUT)
		tt_aud_metric(c, TETHER_METRIC_CALLBACK_EXPIRIES);
	if (c->sec->metrics != NULL) {
		tether_metrics_call(c->sec->metrics, ci->prog, ci->vers,
				    ci->proc, ci->st, dur);
		tether_metrics_add(c->sec->metrics, TETHER_METRIC_BYTES_IN,
				   ci->bytes_in);
		tether_metrics_add(c->sec->metrics, TETHER_METRIC_BYTES_OUT,
				   ci->bytes_out);
	}
	if (c->sec->audit == NULL)
		return;
	tt_aud_base(c, &r, ci->st == TETHER_E_DENIED ? TETHER_AUDIT_DENIAL
						      : TETHER_AUDIT_CALL);
	r.auth_flavor = ci->flavor;
	r.prog = ci->prog, r.prog_name = ci->prog_name;
	r.vers = ci->vers, r.proc = ci->proc, r.proc_name = ci->proc_name;
	r.xid = ci->xid;
	r.direction = ci->dir;
	/* The causality id names the inbound call a chain started with:
	 * connection number and its XID; callbacks carry their parent's. */
	if (ci->dir == TETHER_AUDIT_DIR_CALLBACK) {
		r.parent_xid = ci->parent_xid;
		if (ci->parent_xid != TETHER_AUDIT_NONE_U32)
			r.causality_id = r.conn_id << 32 | ci->parent_xid;
	} else {
		r.causality_id = ci->causality != 0
				     ? ci->causality
				     : r.conn_id << 32 | ci->xid;
	}
	reply_stats(ci->st, &r);
	r.status = ci->st;
	r.duration_us = dur;
	r.bytes_in = ci->bytes_in, r.bytes_out = ci->bytes_out;
	r.rule = ci->rule;
	r.detail = ci->detail;
	tt_aud_emit(c, &r);
}
