/* SPDX-License-Identifier: MIT */
/*
 * client.c - the public client: one connection, blocking calls that do
 * their own I/O on the calling thread (DESIGN §6: no hand-off on the fast
 * path), or, once started, a loop thread of its own for async calls.
 */
#include <string.h>

#include <tether/client.h>

#include "common/tt.h"
#include "server/rconn.h"

enum {
	CLIENT_MAGIC = 0x74436c69u,
	DEFAULT_DEADLINE_MS = 30000,
	DEFAULT_CONNECT_MS = 5000,
	ROUND_MS = 1000 /* longest single poll() of a blocking call */
};

struct tether_client_opts {
	uint32_t deadline_ms, connect_timeout_ms;
	tt_conn_opts conn;
	const tether_tls_config *tls; /* borrowed until connect returns */
	bool allow_plaintext;
};

struct tether_client {
	uint32_t magic;
	tether_client_opts o;
	tether_conn conn; /* conn.eng is the engine */
	tt_registry reg;
	int fd;
	uv_mutex_t mu;	  /* blocking mode: one thread does I/O at a time */
	tt_io_xport x;	  /* blocking mode: the transport (else the driver's) */
	tt_io_loop *loop; /* loop mode */
	bool started, io_closed, detaching;
	uv_mutex_t wmu; /* loop mode: waiters and the close */
	uv_cond_t wcv;
};

/* ---- options ------------------------------------------------------------ */

static void opts_defaults(tether_client_opts *o)
{
	memset(o, 0, sizeof *o);
	o->deadline_ms = DEFAULT_DEADLINE_MS;
	o->connect_timeout_ms = DEFAULT_CONNECT_MS;
	tt_conn_opts_init(&o->conn);
	/* The server enforces idleness (DESIGN §7); a client does not hang
	 * up on itself between two calls minutes apart. */
	o->conn.idle_timeout_ms = UINT32_MAX;
}

tether_status tether_client_opts_new(tether_client_opts **out)
{
	tether_client_opts *o;

	if (out == NULL)
		return TETHER_E_INVAL;
	o = tt_alloc(sizeof *o);
	if (o == NULL)
		return TETHER_E_NOMEM;
	opts_defaults(o);
	*out = o;
	return TETHER_OK;
}

void tether_client_opts_free(tether_client_opts *o)
{
	tt_free(o, sizeof *o);
}

#define SETTER(name, field)                                                    \
	void tether_client_opts_set_##name(tether_client_opts *o, uint32_t v)  \
	{                                                                      \
		if (o != NULL && v != 0)                                       \
			o->field = v;                                          \
	}
SETTER(deadline_ms, deadline_ms)
SETTER(connect_timeout_ms, connect_timeout_ms)
SETTER(max_record, conn.max_record)
SETTER(max_outbound, conn.max_outbound)
SETTER(max_inbound, conn.max_inbound)
#undef SETTER

void tether_client_opts_set_tls(tether_client_opts *o,
				const tether_tls_config *cfg)
{
	if (o != NULL)
		o->tls = cfg;
}

void tether_client_opts_set_allow_plaintext(tether_client_opts *o, bool on)
{
	if (o != NULL)
		o->allow_plaintext = on;
}

/* ---- connect / free ----------------------------------------------------- */

static bool good(const tether_client *c)
{
	return c != NULL && c->magic == CLIENT_MAGIC;
}

static tether_status make_xport(tether_client *c, const tt_endpoint *ep)
{
	tt_tls_ctx *ctx = NULL;
	tt_io_sec sec;
	tether_status st;

	if (ep->kind != TT_EP_TLS)
		return tt_io_xport_init(&c->x, c->fd, c->conn.eng, NULL,
					tt_io_now_ms());
	TT_TRY(tt_tls_ctx_new(c->o.tls, &ctx, NULL, 0));
	memset(&sec, 0, sizeof sec);
	sec.tls = ctx;
	/* The configured expected peer if any (tls.h), else verified like
	 * HTTPS: the name dialed. */
	sec.peer_name = tt_tls_ctx_expected_peer(ctx) != NULL
			    ? tt_tls_ctx_expected_peer(ctx)
			    : ep->host;
	sec.handshake_timeout_ms =
	    tether_tls_config_handshake_timeout_ms(c->o.tls);
	st = tt_io_xport_init(&c->x, c->fd, c->conn.eng, &sec, tt_io_now_ms());
	tt_tls_ctx_free(ctx); /* filters outlive their context */
	return st;
}

static tether_status open_engine(tether_client *c, const tt_endpoint *ep)
{
	tt_conn_opts co = c->o.conn;
	tt_conn *eng;

	co.now_ms = tt_io_now_ms();
	/* XIDs need only be unique per connection; vary the start so that
	 * replies meant for an earlier connection never match. */
	co.xid_seed =
	    (uint32_t)(co.now_ms * 2654435761u) ^ (uint32_t)(uintptr_t)c;
	TT_TRY(tt_conn_new(&co, TT_CONN_CLIENT, &eng));
	tt_rconn_init(&c->conn, eng, &c->reg, NULL, co.max_record, NULL);
	c->conn.mu = &c->mu;
	tt_io_peer_of(c->fd, ep->kind, &c->conn.peer);
	TT_TRY(make_xport(c, ep));
	c->conn.bx = &c->x;
	return TETHER_OK;
}

/* RFC 9289: the probe and the handshake finish before connect returns, so
 * TLS failures are reported here, not on the first call. */
static tether_status handshake(tether_client *c)
{
	while (!tt_io_xport_ready(&c->x) &&
	       tt_conn_status(c->conn.eng) == TETHER_OK)
		(void)tt_io_block_round(&c->x, ROUND_MS);
	tt_rconn_drain(&c->conn);
	return tt_conn_status(c->conn.eng);
}

/* The server's identity: its certificate (TLS) or kernel credentials
 * (Unix socket); none on plaintext TCP. */
static void peer_identity(tether_client *c)
{
	const tt_peer *p = &c->conn.peer;

	c->conn.identity = tt_io_xport_take_identity(&c->x);
	if (c->conn.identity == NULL && p->has_cred &&
	    tt_identity_new_unix(p->uid, p->gid, p->pid, &c->conn.identity) !=
		TETHER_OK)
		c->conn.identity = NULL;
}

static void release(tether_client *c)
{
	if (c->conn.eng != NULL)
		tt_rconn_destroy(&c->conn);
	tt_io_xport_free(&c->x);
	tt_io_close(c->fd);
	tt_reg_free(&c->reg);
	uv_cond_destroy(&c->wcv);
	uv_mutex_destroy(&c->wmu);
	uv_mutex_destroy(&c->mu);
	c->magic = 0;
	tt_free(c, sizeof *c);
}

static tether_status check_endpoint(const tt_endpoint *ep,
				    const tether_client_opts *o)
{
	if (ep->kind == TT_EP_TLS && o->tls == NULL)
		return TETHER_E_INVAL; /* nothing to verify the server with */
	/* DESIGN §5: plaintext only on loopback unless allowed. */
	if (ep->kind == TT_EP_TCP && !o->allow_plaintext) {
		struct sockaddr_storage sa;
		socklen_t len;
		if (tt_io_resolve(ep, &sa, &len) != TETHER_OK)
			return TETHER_E_UNREACHABLE; /* no such name */
		if (!tt_io_is_loopback(ep))
			return TETHER_E_INSECURE;
	}
	return TETHER_OK;
}

tether_status tether_client_connect(const char *endpoint,
				    const tether_client_opts *o,
				    tether_client **out)
{
	tt_endpoint ep;
	tether_client *c;
	tether_status st;

	if (out == NULL)
		return TETHER_E_INVAL;
	TT_TRY(tt_io_endpoint_parse(endpoint, &ep));
	c = tt_calloc(1, sizeof *c);
	if (c == NULL)
		return TETHER_E_NOMEM;
	if (o != NULL)
		c->o = *o;
	else
		opts_defaults(&c->o);
	if (c->o.conn.max_record == 0)
		c->o.conn.max_record = TT_CONN_DEFAULT_MAX_RECORD;
	c->fd = -1;
	uv_mutex_init(&c->mu);
	uv_mutex_init(&c->wmu);
	uv_cond_init(&c->wcv);
	c->magic = CLIENT_MAGIC;
	st = check_endpoint(&ep, &c->o);
	if (st == TETHER_OK)
		st = tt_io_connect(&ep, c->o.connect_timeout_ms, &c->fd);
	if (st == TETHER_OK)
		st = open_engine(c, &ep);
	if (st == TETHER_OK && ep.kind == TT_EP_TLS)
		st = handshake(c);
	if (st == TETHER_OK)
		peer_identity(c);
	if (st != TETHER_OK) {
		release(c);
		return st;
	}
	*out = c;
	return TETHER_OK;
}

static void close_task(void *arg)
{
	tether_client *c = arg;
	if (c->conn.io != NULL) {
		tt_conn_abort(c->conn.eng, TETHER_E_CLOSED);
		tt_io_conn_update(c->conn.io);
	}
}

static void free_loop_mode(tether_client *c)
{
	(void)tt_io_loop_post(c->loop, close_task, c);
	tt_io_loop_stop(c->loop);
	tt_io_loop_join(c->loop);
	tt_io_loop_free(c->loop);
	c->loop = NULL;
	/* The driver closed the socket and freed the transport unless it
	 * never got them (c->fd still set, c->x still ours). */
}

static void detach_task(void *arg)
{
	tether_client *c = arg;
	if (c->conn.io != NULL && !tt_io_conn_closing(c->conn.io)) {
		c->detaching = true;
		tt_io_conn_detach(c->conn.io, &c->x);
	}
}

tether_status tether_client_stop(tether_client *c)
{
	if (!good(c))
		return TETHER_E_INVAL;
	uv_mutex_lock(&c->mu);
	if (!c->started || tt_io_loop_on_thread(c->loop)) {
		uv_mutex_unlock(&c->mu);
		return c->started ? TETHER_E_STATE : TETHER_OK;
	}
	(void)tt_io_loop_post(c->loop, detach_task, c);
	tt_io_loop_stop(c->loop);
	tt_io_loop_join(c->loop);
	tt_io_loop_free(c->loop);
	c->loop = NULL;
	c->started = false, c->detaching = false, c->io_closed = false;
	/* Back to blocking mode on the same connection and engine. */
	c->conn.loop = NULL;
	c->conn.io = NULL;
	c->conn.mu = &c->mu;
	c->conn.bx = c->fd >= 0 ? &c->x : NULL;
	uv_mutex_unlock(&c->mu);
	return TETHER_OK;
}

void tether_client_free(tether_client *c)
{
	if (!good(c))
		return;
	if (c->started) {
		free_loop_mode(c);
	} else {
		/* Outstanding async calls complete here, on this thread. */
		uv_mutex_lock(&c->mu);
		tt_io_xport_finish(&c->x); /* TLS: close_notify */
		tt_conn_abort(c->conn.eng, TETHER_E_CLOSED);
		tt_rconn_drain(&c->conn);
		uv_mutex_unlock(&c->mu);
	}
	release(c);
}

tether_status tether_client_register(tether_client *c,
				     const tether_version_desc *vd,
				     const void *handlers, void *ud)
{
	tether_status st;

	if (!good(c))
		return TETHER_E_INVAL;
	uv_mutex_lock(&c->mu);
	st = c->started ? TETHER_E_STATE
			: tt_reg_add(&c->reg, vd, handlers, ud, false);
	uv_mutex_unlock(&c->mu);
	return st;
}

const tether_peer_identity *tether_client_peer_identity(tether_client *c)
{
	return good(c) ? c->conn.identity : NULL;
}

tether_conn *tether_client_conn(tether_client *c)
{
	return good(c) ? &c->conn : NULL;
}

tether_status tether_client_status(tether_client *c)
{
	if (!good(c))
		return TETHER_E_INVAL;
	if (c->conn.status != TETHER_OK)
		return c->conn.status;
	return TETHER_OK;
}

/* ---- loop mode ---------------------------------------------------------- */

static void loop_on_events(void *ud)
{
	tt_rconn_drain(ud);
}

static void loop_on_closed(void *ud)
{
	tether_conn *conn = ud;
	tether_client *c =
	    (tether_client *)((char *)conn - offsetof(tether_client, conn));
	conn->io = NULL;
	uv_mutex_lock(&c->wmu);
	if (!c->detaching) {
		/* The driver closed the socket and freed the transport. */
		c->fd = -1;
		memset(&c->x, 0, sizeof c->x);
		c->x.fd = -1;
	}
	c->io_closed = true;
	uv_mutex_unlock(&c->wmu);
}

static const tt_io_conn_cbs client_io_cbs = {loop_on_events, loop_on_closed};

static void attach_task(void *arg)
{
	tether_client *c = arg;

	if (tt_io_conn_new(c->loop, &c->x, &client_io_cbs, &c->conn,
			   &c->conn.io) != TETHER_OK) {
		/* The socket stays ours (c->fd, c->x): freed with c. */
		tt_conn_abort(c->conn.eng, TETHER_E_NOMEM);
		tt_rconn_drain(&c->conn);
		return;
	}
	/* The driver owns the transport now. */
	memset(&c->x, 0, sizeof c->x);
	c->x.fd = -1;
	tt_io_conn_update(c->conn.io);
}

/* Starts the client's loop thread and hands it the connection. */
static tether_status start_loop(tether_client *c)
{
	tether_status st;

	TT_TRY(tt_io_loop_new(&c->loop));
	st = tt_io_loop_start(c->loop);
	if (st != TETHER_OK) {
		tt_io_loop_free(c->loop);
		c->loop = NULL;
		return st;
	}
	/* From here the loop owns the socket and the transport (with any
	 * input kept back and the TLS state). */
	c->conn.loop = c->loop;
	c->conn.mu = NULL;
	c->conn.bx = NULL;
	st = tt_io_loop_post(c->loop, attach_task, c);
	if (st != TETHER_OK) {
		tt_io_loop_stop(c->loop);
		tt_io_loop_join(c->loop);
		tt_io_loop_free(c->loop);
		c->loop = NULL;
		c->conn.loop = NULL;
		c->conn.mu = &c->mu;
		c->conn.bx = &c->x;
		return st;
	}
	c->started = true;
	return TETHER_OK;
}

tether_status tether_client_start(tether_client *c)
{
	tether_status st;

	if (!good(c))
		return TETHER_E_INVAL;
	uv_mutex_lock(&c->mu);
	if (c->started) {
		uv_mutex_unlock(&c->mu);
		return TETHER_E_STATE;
	}
	if (c->fd < 0) /* the connection is over */
		st = tt_conn_status(c->conn.eng) != TETHER_OK
			 ? tt_conn_status(c->conn.eng)
			 : TETHER_E_CLOSED;
	else
		st = start_loop(c);
	uv_mutex_unlock(&c->mu);
	return st;
}

/* A blocking call handed to the loop thread. */
typedef struct loop_call {
	tether_client *c;
	const tether_proc_desc *pd;
	tether_enc e;
	uint32_t deadline_ms;
	tt_waiter *w;
} loop_call;

static void loop_call_task(void *arg)
{
	loop_call *lc = arg;
	tether_status st = TETHER_E_CLOSED;

	if (lc->c->conn.io != NULL)
		st = tt_rconn_call_sync(&lc->c->conn, lc->pd, NULL, lc->e.buf,
					lc->e.len, lc->deadline_ms, lc->w);
	if (st != TETHER_OK)
		tt_waiter_finish(lc->w, st);
}

static tether_status call_on_loop(tether_client *c, const tether_proc_desc *pd,
				  const void *arg, uint32_t deadline_ms,
				  tt_waiter *w)
{
	loop_call lc = {c, pd, {0}, deadline_ms, w};
	tether_status st;

	if (tt_io_loop_on_thread(c->loop))
		return TETHER_E_STATE; /* would wait on itself */
	TT_TRY(tt_rconn_encode_args(pd, arg, c->o.conn.max_record, &lc.e));
	w->mu = &c->wmu, w->cv = &c->wcv;
	st = tt_io_loop_post(c->loop, loop_call_task, &lc);
	if (st == TETHER_OK) {
		uv_mutex_lock(&c->wmu);
		while (!w->done)
			uv_cond_wait(&c->wcv, &c->wmu);
		uv_mutex_unlock(&c->wmu);
		st = w->st;
	}
	tether_enc_release(&lc.e);
	return st;
}

/* ---- blocking mode ------------------------------------------------------ */

/* A callback handler or a completion calling tether_call() on the client
 * whose I/O this thread is doing would deadlock on c->mu: refused. */
static bool enter_io(tether_client *c)
{
	if (tt_rconn_io_thread == &c->conn)
		return false;
	uv_mutex_lock(&c->mu);
	tt_rconn_io_thread = &c->conn;
	return true;
}

static void leave_io(tether_client *c)
{
	tt_rconn_io_thread = NULL;
	uv_mutex_unlock(&c->mu);
}

static tether_status pump(tether_client *c, uint32_t wait_ms)
{
	tether_status st = c->conn.bx != NULL
			       ? tt_io_block_round(c->conn.bx, wait_ms)
			       : tt_conn_status(c->conn.eng);
	tt_rconn_drain(&c->conn);
	/* Replies to callbacks made during the drain go out now, not at
	 * this thread's next call (the server's deadline is running). */
	if (c->conn.bx != NULL)
		(void)tt_io_xport_flush(c->conn.bx);
	return st;
}

static tether_status call_here(tether_client *c, const tether_proc_desc *pd,
			       const void *arg, uint32_t deadline_ms,
			       tt_waiter *w)
{
	/* A bound in case the engine never ends the call (it always does at
	 * its deadline: this only guards against a bug looping forever). */
	uint64_t give_up = tt_io_now_ms() + (uint64_t)deadline_ms + 5000;

	TT_TRY(tt_rconn_call_sync(&c->conn, pd, arg, NULL, 0, deadline_ms, w));
	while (!w->done) {
		if (tt_io_now_ms() > give_up) {
			/* Fails every call exactly once, ours included. */
			tt_conn_abort(c->conn.eng, TETHER_E_TIMEOUT);
			tt_rconn_drain(&c->conn);
			break;
		}
		(void)pump(c, ROUND_MS);
	}
	return w->st;
}

tether_status tether_call(tether_client *c, const tether_proc_desc *pd,
			  const void *arg, void *res, tether_arena *arena,
			  uint32_t deadline_ms)
{
	tt_waiter w;
	tether_status st;

	if (!good(c) || pd == NULL)
		return TETHER_E_INVAL;
	if (res == NULL && pd->res != NULL && pd->res->kind != TETHER_T_VOID)
		return TETHER_E_INVAL;
	memset(&w, 0, sizeof w);
	w.res = res, w.arena = arena;
	if (deadline_ms == 0)
		deadline_ms = c->o.deadline_ms;
	if (!enter_io(c))
		return TETHER_E_STATE; /* from inside this client's I/O */
	if (c->started) {
		leave_io(c);
		return call_on_loop(c, pd, arg, deadline_ms, &w);
	}
	st = call_here(c, pd, arg, deadline_ms, &w);
	leave_io(c);
	return st;
}

tether_status tether_client_poll(tether_client *c, uint32_t wait_ms)
{
	uint64_t end;
	tether_status st = TETHER_OK;

	if (!good(c))
		return TETHER_E_INVAL;
	end = tt_io_now_ms() + wait_ms;
	if (!enter_io(c))
		return TETHER_E_STATE;
	if (c->started) {
		leave_io(c);
		return TETHER_E_STATE;
	}
	do {
		uint64_t now = tt_io_now_ms();
		(void)pump(c, now < end ? (uint32_t)(end - now) : 0);
		st = c->conn.status;
	} while (st == TETHER_OK && tt_io_now_ms() < end);
	leave_io(c);
	return st;
}
