/* SPDX-License-Identifier: MIT */
/*
 * server.c - the public server: options, listeners watched by loop 0,
 * accepted sockets handed round robin to N loop threads (a task posted to
 * the target loop carries the fd: no SO_REUSEPORT, no fd passing), each
 * loop owning its connections, graceful stop.
 */
#include <string.h>
#include <unistd.h>

#include <tether/server.h>

#include "common/tt.h"
#include "server/admit.h"
#include "server/rconn.h"
#include "server/saudit.h"

enum {
	SERVER_MAGIC = 0x74537276u,
	MAX_LISTENERS = 8,
	DEFAULT_WORKERS = 4,
	DEFAULT_MAX_QUEUED = 1024,
	DEFAULT_MAX_CONNECTIONS = 4096,
	DEFAULT_MAX_PER_SOURCE = 64, /* DESIGN §7 */
	DEFAULT_MAX_CALL_MEMORY = 256 * 1024 * 1024,
	DEFAULT_ACCEPT_PAUSE_MS = 100, /* out of fds: listener rests this long */
	ABORT_WAIT_MS = 5000
};

enum { ST_NEW = 0, ST_RUNNING, ST_STOPPING, ST_STOPPED };

struct tether_server_opts {
	unsigned io_threads, workers;
	size_t max_queued;
	uint32_t max_connections, max_per_source;
	size_t max_call_memory;
	unsigned unix_mode; /* 0: as the umask leaves it */
	uint32_t accept_pause_ms; /* 0: DEFAULT_ACCEPT_PAUSE_MS */
	tt_conn_opts conn;
	const tether_tls_config *tls; /* borrowed until tether_server_new */
	bool allow_plaintext;
	tt_sec sec; /* policy, limiter, audit, metrics: borrowed */
	char admin[256]; /* identity matcher of administrators; "" none */
};

typedef struct listener {
	int fd;
	bool tls, adopted;
	tt_endpoint ep;
	uv_poll_t poll;
	uv_timer_t pause; /* accept paused: out of fds (EMFILE/ENFILE) */
	tether_server *s;
} listener;

typedef struct sloop {
	tt_io_loop *loop;
	tether_conn *conns; /* touched on this loop's thread only */
	tether_server *s;
} sloop;

struct tether_server {
	uint32_t magic;
	tether_server_opts o;
	tt_registry reg;
	listener lis[MAX_LISTENERS];
	size_t nlis;
	sloop *loops;
	unsigned nloops;
	tt_io_pool *pool;
	tt_tls_ctx *tls; /* for tls:// listeners; NULL without a config */
	uint32_t hs_ms;	 /* probe + handshake deadline */
	uv_mutex_t mu;
	uv_cond_t cv;
	unsigned nconns;   /* open transports (mu) */
	uint64_t accepted; /* admitted connections (mu) */
	uint64_t accept_pauses; /* listener paused: accept failed (mu) */
	bool accept_paused;	/* a listener waits: a close resumes it (mu) */
	tt_admit admit;	   /* connection caps (mu) */
	tt_budget budget;  /* memory of calls in flight, all connections */
	int state;
	unsigned rr;
	uint32_t xid_seed;
	bool listening;	       /* listener polls live on loop 0 */
	bool run_mode, in_run; /* in_run: loop 0 is in tether_server_run (mu) */
};

/* The control program (control.c, generated from control.x) and its
 * handlers (ctl.c). */
tether_status tt_ctl_register(tt_registry *reg, tt_sec *sec);

/* ---- options ------------------------------------------------------------ */

tether_status tether_server_opts_new(tether_server_opts **out)
{
	tether_server_opts *o;

	if (out == NULL)
		return TETHER_E_INVAL;
	o = tt_calloc(1, sizeof *o);
	if (o == NULL)
		return TETHER_E_NOMEM;
	o->workers = DEFAULT_WORKERS;
	o->max_queued = DEFAULT_MAX_QUEUED;
	o->max_connections = DEFAULT_MAX_CONNECTIONS;
	o->max_per_source = DEFAULT_MAX_PER_SOURCE;
	o->max_call_memory = DEFAULT_MAX_CALL_MEMORY;
	tt_conn_opts_init(&o->conn);
	*out = o;
	return TETHER_OK;
}

void tether_server_opts_free(tether_server_opts *o)
{
	tt_free(o, sizeof *o);
}

#define SETTER(name, type, field)                                              \
	void tether_server_opts_set_##name(tether_server_opts *o, type v)      \
	{                                                                      \
		if (o != NULL)                                                 \
			o->field = v;                                          \
	}
SETTER(io_threads, unsigned, io_threads)
SETTER(workers, unsigned, workers)
SETTER(max_queued, size_t, max_queued)
SETTER(max_connections, uint32_t, max_connections)
SETTER(max_per_source, uint32_t, max_per_source)
SETTER(max_call_memory, size_t, max_call_memory)
SETTER(unix_mode, unsigned, unix_mode)
SETTER(allow_plaintext, bool, allow_plaintext)
SETTER(max_record, uint32_t, conn.max_record)
SETTER(max_inbound, uint32_t, conn.max_inbound)
SETTER(max_outbound, uint32_t, conn.max_outbound)
SETTER(call_deadline_ms, uint32_t, conn.call_deadline_ms)
SETTER(max_expiries, uint32_t, conn.max_expiries)
SETTER(idle_timeout_ms, uint32_t, conn.idle_timeout_ms)
SETTER(record_timeout_ms, uint32_t, conn.record_timeout_ms)
SETTER(max_fragments, uint32_t, conn.max_fragments)
SETTER(accept_pause_ms, uint32_t, accept_pause_ms)
SETTER(max_conn_memory, uint32_t, conn.max_mem)
#undef SETTER

/* Option names as docs/defaults.md spells them (tests compare the two). */
static bool opt_value(const tether_server_opts *o, const char *n, uint64_t *v)
{
	const tt_conn_opts *c = &o->conn;
	const struct {
		const char *name;
		uint64_t v;
	} t[] = {
	    {"io_threads", o->io_threads},
	    {"workers", o->workers},
	    {"max_queued", o->max_queued},
	    {"max_connections", o->max_connections},
	    {"max_per_source", o->max_per_source},
	    {"max_call_memory", o->max_call_memory},
	    {"unix_mode", o->unix_mode},
	    {"allow_plaintext", o->allow_plaintext},
	    {"accept_pause_ms", o->accept_pause_ms ? o->accept_pause_ms
						   : DEFAULT_ACCEPT_PAUSE_MS},
	    {"max_record", c->max_record},
	    {"max_fragments", c->max_fragments},
	    {"record_timeout_ms", c->record_timeout_ms},
	    {"max_inbound", c->max_inbound},
	    {"max_outbound", c->max_outbound},
	    {"call_deadline_ms", c->call_deadline_ms},
	    {"max_expiries", c->max_expiries},
	    {"max_out_bytes", c->max_out_bytes},
	    {"idle_timeout_ms", c->idle_timeout_ms},
	    {"max_conn_memory", c->max_mem},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (strcmp(t[i].name, n) == 0) {
			*v = t[i].v;
			return true;
		}
	}
	return false;
}

tether_status tether_server_opts_get(const tether_server_opts *o,
				     const char *name, uint64_t *out)
{
	if (o == NULL || name == NULL || out == NULL)
		return TETHER_E_INVAL;
	return opt_value(o, name, out) ? TETHER_OK : TETHER_E_NOT_FOUND;
}

void tether_server_opts_set_policy(tether_server_opts *o,
				   const tether_policy *p)
{
	if (o != NULL)
		o->sec.policy = p;
}

void tether_server_opts_set_ratelimit(tether_server_opts *o,
				      tether_ratelimit *rl)
{
	if (o != NULL)
		o->sec.rl = rl;
}

void tether_server_opts_set_audit(tether_server_opts *o,
				  tether_audit_sink *sink)
{
	if (o != NULL)
		o->sec.audit = sink;
}

void tether_server_opts_set_metrics(tether_server_opts *o, tether_metrics *m)
{
	if (o != NULL)
		o->sec.metrics = m;
}

tether_status tether_server_opts_set_admin(tether_server_opts *o,
					   const char *who)
{
	tether_policy *p;
	tether_status st;
	size_t n;

	if (o == NULL || who == NULL)
		return TETHER_E_INVAL;
	n = strlen(who);
	if (n >= sizeof o->admin)
		return TETHER_E_INVAL;
	/* Validate now, so that a typo fails here and not at the first STATS. */
	TT_TRY(tether_policy_new(&p));
	st = tether_policy_allow(p, who, TETHER_POLICY_ANY, TETHER_POLICY_ANY,
				 TETHER_POLICY_ANY);
	tether_policy_free(p);
	if (st != TETHER_OK)
		return st;
	memcpy(o->admin, who, n + 1);
	return TETHER_OK;
}

void tether_server_opts_set_tls(tether_server_opts *o,
				const tether_tls_config *cfg)
{
	if (o != NULL)
		o->tls = cfg;
}

/* ---- lifecycle ---------------------------------------------------------- */

static bool good(const tether_server *s)
{
	return s != NULL && s->magic == SERVER_MAGIC;
}

static tether_status admin_policy(tether_server *s)
{
	tether_status st = tether_policy_new(&s->o.sec.admin);
	if (st != TETHER_OK)
		return st;
	st = tether_policy_allow(s->o.sec.admin, s->o.admin, TETHER_POLICY_ANY,
				 TETHER_POLICY_ANY, TETHER_POLICY_ANY);
	if (st != TETHER_OK) {
		tether_policy_free(s->o.sec.admin);
		s->o.sec.admin = NULL;
	}
	return st;
}

tether_status tether_server_new(const tether_server_opts *o,
				tether_server **out)
{
	tether_server *s;

	if (out == NULL)
		return TETHER_E_INVAL;
	s = tt_calloc(1, sizeof *s);
	if (s == NULL)
		return TETHER_E_NOMEM;
	if (o != NULL) {
		s->o = *o;
	} else {
		s->o.workers = DEFAULT_WORKERS;
		s->o.max_queued = DEFAULT_MAX_QUEUED;
		s->o.max_connections = DEFAULT_MAX_CONNECTIONS;
		s->o.max_per_source = DEFAULT_MAX_PER_SOURCE;
		s->o.max_call_memory = DEFAULT_MAX_CALL_MEMORY;
		tt_conn_opts_init(&s->o.conn);
	}
	if (s->o.conn.max_record == 0)
		s->o.conn.max_record = TT_CONN_DEFAULT_MAX_RECORD;
	if (s->o.accept_pause_ms == 0)
		s->o.accept_pause_ms = DEFAULT_ACCEPT_PAUSE_MS;
	if (s->o.tls != NULL) {
		tether_status st = tt_tls_ctx_new(s->o.tls, &s->tls, NULL, 0);
		if (st != TETHER_OK) {
			tt_free(s, sizeof *s);
			return st;
		}
		s->hs_ms = tether_tls_config_handshake_timeout_ms(s->o.tls);
		s->o.tls = NULL; /* borrowed only until here */
	}
	if (s->o.admin[0] != '\0' && admin_policy(s) != TETHER_OK) {
		tt_tls_ctx_free(s->tls);
		tt_free(s, sizeof *s);
		return TETHER_E_NOMEM;
	}
	s->o.sec.server = s;
	s->o.sec.started_ms = tt_io_now_ms();
	s->o.sec.max_inbound = s->o.conn.max_inbound;
	s->o.sec.max_outbound = s->o.conn.max_outbound;
	if (tt_ctl_register(&s->reg, &s->o.sec) != TETHER_OK) {
		tether_policy_free(s->o.sec.admin);
		tt_tls_ctx_free(s->tls);
		tt_free(s, sizeof *s);
		return TETHER_E_NOMEM;
	}
	s->admit.max_total = s->o.max_connections;
	s->admit.max_per_source = s->o.max_per_source;
	s->budget.max = s->o.max_call_memory;
	uv_mutex_init(&s->mu);
	uv_cond_init(&s->cv);
	s->magic = SERVER_MAGIC;
	s->xid_seed = (uint32_t)tt_io_now_ms() * 2654435761u;
	*out = s;
	return TETHER_OK;
}

static tether_status reg(tether_server *s, const tether_version_desc *vd,
			 const void *handlers, void *ud, bool blocking)
{
	if (!good(s))
		return TETHER_E_INVAL;
	if (s->state != ST_NEW)
		return TETHER_E_STATE;
	return tt_reg_add(&s->reg, vd, handlers, ud, blocking);
}

tether_status tether_server_register(tether_server *s,
				     const tether_version_desc *vd,
				     const void *handlers, void *ud)
{
	return reg(s, vd, handlers, ud, false);
}

tether_status tether_server_register_blocking(tether_server *s,
					      const tether_version_desc *vd,
					      const void *handlers, void *ud)
{
	return reg(s, vd, handlers, ud, true);
}

tether_status tether_server_register_idl(tether_server *s,
				       const tether_idl_desc *idl)
{
	if (!good(s) || idl == NULL)
		return TETHER_E_INVAL;
	if (s->state != ST_NEW)
		return TETHER_E_STATE;
	if (s->o.sec.nidls == TT_SEC_MAX_IDLS)
		return TETHER_E_BUSY;
	s->o.sec.idls[s->o.sec.nidls++] = idl;
	return TETHER_OK;
}

tether_status tether_server_listen(tether_server *s, const char *endpoint)
{
	tt_endpoint ep;
	listener *l;

	if (!good(s))
		return TETHER_E_INVAL;
	if (s->state != ST_NEW)
		return TETHER_E_STATE;
	TT_TRY(tt_io_endpoint_parse(endpoint, &ep));
	if (ep.kind == TT_EP_TLS && s->tls == NULL)
		return TETHER_E_INVAL; /* tether_server_opts_set_tls first */
	/* DESIGN §5: plaintext only on loopback unless allowed. */
	if (ep.kind == TT_EP_TCP && !s->o.allow_plaintext) {
		struct sockaddr_storage sa;
		socklen_t len;
		if (tt_io_resolve(&ep, &sa, &len) != TETHER_OK)
			return TETHER_E_BAD_ENDPOINT; /* no such address */
		if (!tt_io_is_loopback(&ep))
			return TETHER_E_INSECURE;
	}
	if (s->nlis == MAX_LISTENERS)
		return TETHER_E_BUSY;
	l = &s->lis[s->nlis];
	TT_TRY(tt_io_listen(&ep, 128, &l->fd, &l->ep));
	if (ep.kind == TT_EP_UNIX && s->o.unix_mode != 0 &&
	    tt_io_chmod(ep.path, s->o.unix_mode) != TETHER_OK) {
		tt_io_close(l->fd);
		unlink(ep.path);
		return TETHER_E_IO;
	}
	l->s = s;
	l->tls = ep.kind == TT_EP_TLS;
	s->nlis++;
	return TETHER_OK;
}

tether_status tether_server_listen_fd(tether_server *s, int fd, bool tls)
{
	listener *l;

	if (!good(s) || fd < 0)
		return TETHER_E_INVAL;
	if (s->state != ST_NEW)
		return TETHER_E_STATE;
	if (s->nlis == MAX_LISTENERS)
		return TETHER_E_BUSY;
	l = &s->lis[s->nlis];
	TT_TRY(tt_io_adopt_listener(fd, &l->ep));
	if (tls && (l->ep.kind != TT_EP_TCP || s->tls == NULL))
		return TETHER_E_INVAL;
	if (tls)
		l->ep.kind = TT_EP_TLS;
	l->fd = fd, l->s = s, l->tls = tls;
	l->adopted = true; /* its socket file is not ours to unlink */
	s->nlis++;
	return TETHER_OK;
}

tether_status tether_server_endpoint(tether_server *s, size_t i, char *buf,
				     size_t cap)
{
	if (!good(s) || buf == NULL)
		return TETHER_E_INVAL;
	if (i >= s->nlis)
		return TETHER_E_NOT_FOUND;
	return tt_io_endpoint_format(&s->lis[i].ep, buf, cap);
}

unsigned tether_server_connections(tether_server *s)
{
	unsigned n;
	if (!good(s))
		return 0;
	uv_mutex_lock(&s->mu);
	n = s->nconns;
	uv_mutex_unlock(&s->mu);
	return n;
}

tether_status tether_server_stats(tether_server *s, tether_server_counters *out,
				  size_t size)
{
	tether_server_counters v;

	if (!good(s) || out == NULL)
		return TETHER_E_INVAL;
	memset(&v, 0, sizeof v);
	uv_mutex_lock(&s->mu);
	v.accepted = s->accepted;
	v.accept_pauses = s->accept_pauses;
	for (unsigned i = 0; i < s->nloops; i++) {
		uint64_t lag = tt_io_loop_lag_max_us(s->loops[i].loop);
		if (lag > v.loop_lag_max_us)
			v.loop_lag_max_us = lag;
	}
	v.refused_total = s->admit.refused_total;
	v.refused_source = s->admit.refused_source;
	v.open = s->nconns;
	uv_mutex_unlock(&s->mu);
	v.refused_memory = atomic_load(&s->budget.refused);
	v.call_memory = atomic_load(&s->budget.used);
	v.closed_unresponsive = atomic_load(&s->budget.closed_unresponsive);
	v.closed_idle = atomic_load(&s->budget.closed_idle);
	v.closed_malformed = atomic_load(&s->budget.closed_malformed);
	v.closed_handshake = atomic_load(&s->budget.closed_handshake);
	v.in_stalls = atomic_load(&s->budget.in_stalls);
	v.mem_stalls = atomic_load(&s->budget.mem_stalls);
	v.out_busy = atomic_load(&s->budget.out_busy);
	v.out_full = atomic_load(&s->budget.out_full);
	v.expired = atomic_load(&s->budget.expired);
	v.unmatched_replies = atomic_load(&s->budget.unmatched_replies);
	v.rpc_mismatch = atomic_load(&s->budget.rpc_mismatch);
	memcpy(out, &v, size < sizeof v ? size : sizeof v);
	return TETHER_OK;
}

/* ---- connections (on their loop thread) ---------------------------------- */

static void conn_gone(tether_conn *c)
{
	sloop *sl = c->owner_ud;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		sl->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	tt_rconn_destroy(c);
	tt_free(c, sizeof *c);
}

static const tt_rconn_owner server_owner = {conn_gone};

static void conn_on_events(void *ud)
{
	tt_rconn_drain(ud);
}

static void resume_listeners_task(void *arg);

static void conn_on_closed(void *ud)
{
	tether_conn *c = ud;
	tether_server *s = ((sloop *)c->owner_ud)->s;
	bool resume;

	uv_mutex_lock(&s->mu);
	s->nconns--;
	tt_admit_leave(&s->admit, &c->peer);
	uv_cond_broadcast(&s->cv);
	/* A descriptor is free again: a listener paused for lack of them
	 * need not wait for its timer. */
	resume = s->accept_paused;
	s->accept_paused = false;
	uv_mutex_unlock(&s->mu);
	if (resume)
		(void)tt_io_loop_post(s->loops[0].loop, resume_listeners_task, s);
	tt_rconn_transport_closed(c);
}

static const tt_io_conn_cbs server_io_cbs = {conn_on_events, conn_on_closed};

typedef struct accepted {
	sloop *sl;
	int fd;
	bool tls;
	uint32_t xid_seed; /* chosen on loop 0, which owns s->xid_seed */
	tt_peer peer;
} accepted;

static tether_status conn_io(sloop *sl, tether_conn *c, int fd, bool tls)
{
	tt_io_sec sec = {sl->s->tls, true, NULL, sl->s->hs_ms, 0, 0};
	tt_io_xport x;

	TT_TRY(tt_io_xport_init(&x, fd, c->eng, tls ? &sec : NULL,
				tt_io_now_ms()));
	if (tt_io_conn_new(sl->loop, &x, &server_io_cbs, c, &c->io) !=
	    TETHER_OK) {
		tt_io_xport_free(&x);
		return TETHER_E_NOMEM;
	}
	return TETHER_OK;
}

static tether_status conn_open(sloop *sl, const accepted *a)
{
	int fd = a->fd;
	bool tls = a->tls;
	const tt_peer *peer = &a->peer;
	tether_server *s = sl->s;
	tt_conn_opts co = s->o.conn;
	tt_conn *eng;
	tether_conn *c;

	co.now_ms = tt_io_now_ms();
	co.xid_seed = a->xid_seed;
	TT_TRY(tt_conn_new(&co, TT_CONN_SERVER, &eng));
	c = tt_calloc(1, sizeof *c);
	if (c == NULL) {
		tt_conn_free(eng);
		return TETHER_E_NOMEM;
	}
	tt_rconn_init(c, eng, &s->reg, s->pool, co.max_record, sl->loop);
	c->budget = &s->budget;
	c->sec = &s->o.sec;
	c->aud = tt_calloc(1, sizeof *c->aud);
	if (c->aud == NULL) {
		tt_conn_free(eng);
		tt_free(c, sizeof *c);
		return TETHER_E_NOMEM;
	}
	c->aud->conn_id = atomic_fetch_add(&s->o.sec.next_conn_id, 1) + 1;
	tt_aud_conn_facts(c->aud, fd, tls);
	c->peer = *peer;
	if (tls && strncmp(c->peer.addr, "tcp://", 6) == 0)
		memcpy(c->peer.addr, "tls", 3); /* the scheme it came in on */
	c->owner = &server_owner, c->owner_ud = sl;
	if (peer->has_cred &&
	    tt_identity_new_unix(peer->uid, peer->gid, peer->pid,
				 &c->identity) != TETHER_OK)
		c->identity = NULL;
	if (conn_io(sl, c, fd, tls) != TETHER_OK) {
		tt_rconn_destroy(c);
		tt_free(c, sizeof *c);
		return TETHER_E_NOMEM;
	}
	c->next = sl->conns;
	if (sl->conns != NULL)
		sl->conns->prev = c;
	sl->conns = c;
	uv_mutex_lock(&s->mu);
	s->nconns++;
	uv_mutex_unlock(&s->mu);
	tt_aud_conn_open(c);
	tt_io_conn_update(c->io);
	return TETHER_OK;
}

/* DESIGN §1 "attacks go unnoticed": a connection closed at a cap is a
 * limit hit, audited with what is known of it. */
static void audit_refused(tether_server *s, const accepted *a, bool source)
{
	tether_conn c;
	tt_caud aud;

	memset(&c, 0, sizeof c);
	memset(&aud, 0, sizeof aud);
	c.sec = &s->o.sec, c.aud = &aud;
	tt_aud_conn_facts(&aud, a->fd, a->tls);
	tt_aud_limit(&c, source ? "connections_per_address" : "connections",
		     source ? TETHER_METRIC_LIMIT_CONNECTIONS_PER_ADDRESS
			    : TETHER_METRIC_LIMIT_CONNECTIONS,
		     TETHER_E_BUSY, a->peer.addr);
}

static void accept_task(void *arg)
{
	accepted *a = arg;
	tether_server *s = a->sl->s;
	bool admitted = false;

	uv_mutex_lock(&s->mu);
	/* Over a cap the connection is closed at once (nothing is sent);
	 * existing work continues. */
	uint64_t by_source = s->admit.refused_source;
	if (s->state == ST_RUNNING)
		admitted = tt_admit_enter(&s->admit, &a->peer) == TETHER_OK;
	s->accepted += admitted;
	bool source = s->admit.refused_source != by_source;
	bool capped = !admitted && s->state == ST_RUNNING;
	uv_mutex_unlock(&s->mu);
	if (capped)
		audit_refused(s, a, source);
	if (admitted && conn_open(a->sl, a) != TETHER_OK) {
		uv_mutex_lock(&s->mu);
		tt_admit_leave(&s->admit, &a->peer);
		uv_mutex_unlock(&s->mu);
		admitted = false;
	}
	if (!admitted)
		tt_io_close(a->fd);
	tt_free(a, sizeof *a);
}

static void hand_off(tether_server *s, int fd, bool tls, const tt_peer *peer)
{
	accepted *a = tt_alloc(sizeof *a);

	if (a == NULL) {
		tt_io_close(fd);
		return;
	}
	a->sl = &s->loops[s->rr++ % s->nloops];
	a->fd = fd, a->tls = tls, a->peer = *peer;
	a->xid_seed = s->xid_seed += 0x9e3779b9u;
	if (tt_io_loop_post(a->sl->loop, accept_task, a) != TETHER_OK) {
		tt_io_close(fd);
		tt_free(a, sizeof *a);
	}
}

static void on_listen(uv_poll_t *p, int status, int events);

static void resume_listener(uv_timer_t *t)
{
	listener *l = t->data;
	uv_poll_start(&l->poll, UV_READABLE, on_listen);
}

/* Out of descriptors (EMFILE/ENFILE) or another accept failure: the pending
 * connection stays in the backlog and the socket stays readable, so polling
 * it again at once would spin loop 0 (libuv's classic EMFILE busy loop).
 * Stop watching it and look again after accept_pause_ms. */
static void pause_listener(listener *l)
{
	tether_server *s = l->s;

	uv_poll_stop(&l->poll);
	uv_timer_start(&l->pause, resume_listener, s->o.accept_pause_ms, 0);
	uv_mutex_lock(&s->mu);
	s->accept_pauses++;
	s->accept_paused = true;
	uv_mutex_unlock(&s->mu);
}

/* Loop 0, posted by a connection's close: paused listeners look again now
 * (unless they are being closed by a stop). */
static void resume_listeners_task(void *arg)
{
	tether_server *s = arg;

	for (size_t i = 0; i < s->nlis; i++) {
		listener *l = &s->lis[i];
		if (uv_is_closing((uv_handle_t *)&l->poll) ||
		    !uv_is_active((uv_handle_t *)&l->pause))
			continue;
		uv_timer_stop(&l->pause);
		uv_poll_start(&l->poll, UV_READABLE, on_listen);
	}
}

static void on_listen(uv_poll_t *p, int status, int events)
{
	listener *l = p->data;
	tt_peer peer;
	int fd;

	(void)events;
	if (status < 0)
		return;
	/* Bounded burst per wake-up so one listener cannot starve loop 0. */
	for (int i = 0; i < 64; i++) {
		tether_status st = tt_io_accept(l->fd, &fd, &peer);
		if (st == TETHER_E_NEED_MORE)
			return;
		if (st != TETHER_OK) {
			pause_listener(l);
			return;
		}
		hand_off(l->s, fd, l->tls, &peer);
	}
}

/* ---- threads ------------------------------------------------------------- */

static tether_status make_loops(tether_server *s)
{
	unsigned n = s->o.io_threads ? s->o.io_threads : tt_io_ncpu();

	s->loops = tt_calloc(n, sizeof *s->loops);
	if (s->loops == NULL)
		return TETHER_E_NOMEM;
	for (unsigned i = 0; i < n; i++) {
		s->loops[i].s = s;
		TT_TRY(tt_io_loop_new(&s->loops[i].loop));
		s->nloops++;
	}
	if (s->o.workers != 0 && tt_io_pool_new(s->o.workers, s->o.max_queued,
						&s->pool) != TETHER_OK)
		return TETHER_E_NOMEM;
	return TETHER_OK;
}

static void start_listeners(tether_server *s)
{
	uv_loop_t *uv = tt_io_loop_uv(s->loops[0].loop);
	for (size_t i = 0; i < s->nlis; i++) {
		listener *l = &s->lis[i];
		uv_poll_init_socket(uv, &l->poll, l->fd);
		l->poll.data = l;
		uv_timer_init(uv, &l->pause);
		l->pause.data = l;
		uv_poll_start(&l->poll, UV_READABLE, on_listen);
	}
	s->listening = true;
}

static tether_status prepare(tether_server *s, bool run_mode)
{
	tether_status st;

	if (!good(s))
		return TETHER_E_INVAL;
	if (s->state != ST_NEW || s->loops != NULL)
		return TETHER_E_STATE;
	st = make_loops(s);
	if (st != TETHER_OK)
		return st;
	uv_mutex_lock(&s->mu);
	/* A stop that came first wins: the server never starts. */
	st = s->state == ST_NEW ? TETHER_OK : TETHER_E_STATE;
	if (st == TETHER_OK) {
		s->state = ST_RUNNING;
		s->run_mode = s->in_run = run_mode;
	}
	uv_mutex_unlock(&s->mu);
	if (st == TETHER_OK)
		start_listeners(s);
	return st;
}

tether_status tether_server_start(tether_server *s)
{
	TT_TRY(prepare(s, false));
	for (unsigned i = 0; i < s->nloops; i++)
		TT_TRY(tt_io_loop_start(s->loops[i].loop));
	return TETHER_OK;
}

tether_status tether_server_run(tether_server *s)
{
	TT_TRY(prepare(s, true));
	for (unsigned i = 1; i < s->nloops; i++)
		TT_TRY(tt_io_loop_start(s->loops[i].loop));
	tt_io_loop_run(s->loops[0].loop);
	uv_mutex_lock(&s->mu);
	s->in_run = false;
	uv_cond_broadcast(&s->cv);
	uv_mutex_unlock(&s->mu);
	return TETHER_OK;
}

/* ---- stopping ------------------------------------------------------------ */

static void unlink_unix(const listener *l)
{
	if (l->ep.kind == TT_EP_UNIX && !l->adopted)
		unlink(l->ep.path);
}

static void on_listener_closed(uv_handle_t *h)
{
	listener *l = h->data;
	tt_io_close(l->fd);
	unlink_unix(l);
	l->fd = -1;
}

static void close_listeners_task(void *arg)
{
	tether_server *s = arg;
	for (size_t i = 0; i < s->nlis; i++) {
		uv_close((uv_handle_t *)&s->lis[i].pause, NULL);
		uv_close((uv_handle_t *)&s->lis[i].poll, on_listener_closed);
	}
}

static void drain_task(void *arg)
{
	sloop *sl = arg;
	for (tether_conn *c = sl->conns; c != NULL; c = c->next) {
		if (c->io == NULL)
			continue;
		tt_conn_shutdown(c->eng);
		tt_io_conn_update(c->io);
	}
}

static void abort_task(void *arg)
{
	sloop *sl = arg;
	tether_conn *c = sl->conns;

	while (c != NULL) {
		/* Updating may free c (last reference): step first. */
		tether_conn *next = c->next;
		if (c->io != NULL) {
			tt_conn_abort(c->eng, TETHER_E_SHUTDOWN);
			tt_io_conn_update(c->io);
		}
		c = next;
	}
}

static void post_all(tether_server *s, tt_io_task_fn fn)
{
	for (unsigned i = 0; i < s->nloops; i++)
		(void)tt_io_loop_post(s->loops[i].loop, fn, &s->loops[i]);
}

/* Waits until no transport is open or ms have passed. */
static bool wait_conns(tether_server *s, uint32_t ms)
{
	uint64_t end = tt_io_now_ms() + ms;
	bool none;

	uv_mutex_lock(&s->mu);
	while (s->nconns != 0) {
		uint64_t now = tt_io_now_ms();
		if (now >= end)
			break;
		(void)uv_cond_timedwait(&s->cv, &s->mu, (end - now) * 1000000u);
	}
	none = s->nconns == 0;
	uv_mutex_unlock(&s->mu);
	return none;
}

static bool on_a_loop(const tether_server *s)
{
	for (unsigned i = 0; i < s->nloops; i++)
		if (tt_io_loop_on_thread(s->loops[i].loop))
			return true;
	return false;
}

tether_status tether_server_stop(tether_server *s, uint32_t grace_ms)
{
	int state;

	if (!good(s))
		return TETHER_E_INVAL;
	if (on_a_loop(s) || tt_io_pool_on_worker())
		return TETHER_E_STATE; /* it would wait for its own thread */
	uv_mutex_lock(&s->mu);
	state = s->state;
	if (state == ST_RUNNING)
		s->state = ST_STOPPING;
	else if (state == ST_NEW)
		s->state = ST_STOPPED; /* never started: it never will */
	uv_mutex_unlock(&s->mu);
	if (state != ST_RUNNING)
		return TETHER_OK;
	(void)tt_io_loop_post(s->loops[0].loop, close_listeners_task, s);
	post_all(s, drain_task);
	if (!wait_conns(s, grace_ms)) {
		post_all(s, abort_task);
		(void)wait_conns(s, ABORT_WAIT_MS);
	}
	/* Workers finish; their completions go to the loops, still running. */
	tt_io_pool_free(s->pool);
	s->pool = NULL;
	for (unsigned i = 0; i < s->nloops; i++)
		tt_io_loop_stop(s->loops[i].loop);
	for (unsigned i = 0; i < s->nloops; i++)
		tt_io_loop_join(s->loops[i].loop);
	uv_mutex_lock(&s->mu);
	/* Loop 0 runs on the thread inside tether_server_run(): wait for it
	 * so that tether_server_free() may follow at once. */
	while (s->in_run)
		uv_cond_wait(&s->cv, &s->mu);
	s->state = ST_STOPPED;
	uv_mutex_unlock(&s->mu);
	return TETHER_OK;
}

static void free_loops(tether_server *s)
{
	for (unsigned i = 0; i < s->nloops; i++) {
		sloop *sl = &s->loops[i];
		/* Connections kept by contexts never answered. */
		while (sl->conns != NULL) {
			tether_conn *c = sl->conns;
			sl->conns = c->next;
			tt_rconn_destroy(c);
			tt_free(c, sizeof *c);
		}
		tt_io_loop_free(sl->loop);
	}
	tt_free(s->loops, (size_t)s->nloops * sizeof *s->loops);
}

void tether_server_free(tether_server *s)
{
	if (!good(s))
		return;
	TT_IGNORE(tether_server_stop(s, 0));
	tt_io_pool_free(s->pool);
	for (size_t i = 0; i < s->nlis; i++) {
		if (s->lis[i].fd >= 0 && !s->listening) {
			tt_io_close(s->lis[i].fd);
			unlink_unix(&s->lis[i]);
		}
	}
	if (s->loops != NULL)
		free_loops(s);
	tt_reg_free(&s->reg);
	tt_admit_free(&s->admit);
	tt_tls_ctx_free(s->tls);
	tether_policy_free(s->o.sec.admin);
	uv_cond_destroy(&s->cv);
	uv_mutex_destroy(&s->mu);
	s->magic = 0;
	tt_free(s, sizeof *s);
}
