/* SPDX-License-Identifier: MIT */
/*
 * xport.c - plaintext or RPC-over-TLS under one engine (RFC 9289): the
 * AUTH_TLS probe (§4.1), then every byte through the TLS filter. A client
 * that asked for TLS never falls back to plaintext; a server that requires
 * TLS answers nothing but the probe before the handshake.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/tt.h"
#include "io/xport.h"
#include "rpc/rm.h"

enum { PROBE_MAX_BODY = 60, DEFAULT_HS_MS = 5000 };

void tt_io_inbuf_free(tt_io_inbuf *in)
{
	tt_free(in->buf, in->cap);
	memset(in, 0, sizeof *in);
}

/* Keeps data[0..n) that was not taken, for later. */
static tether_status keep(tt_io_inbuf *in, const uint8_t *data, size_t n)
{
	if (n == 0)
		return TETHER_OK;
	in->buf = tt_alloc(n);
	if (in->buf == NULL)
		return TETHER_E_NOMEM;
	memcpy(in->buf, data, n);
	in->cap = in->len = n;
	in->off = 0;
	return TETHER_OK;
}

static void fail(tt_io_xport *x, tether_status st)
{
	tt_conn_abort(x->eng, st);
	x->hs_deadline = UINT64_MAX;
}

/* ---- setup ----------------------------------------------------------------
 */

static tether_status client_probe(tt_io_xport *x, const tt_io_sec *sec)
{
	size_t len = 0;

	/* Any XID will do: nothing else is outstanding before TLS. */
	x->probe_xid = (uint32_t)(uintptr_t)x ^ 0x544c5331u;
	TT_TRY(tt_tls_probe_call_encode(x->probe_xid, sec->probe_prog,
					sec->probe_vers, x->pout + 4,
					sizeof x->pout - 4, &len));
	/* RFC 5531 §11: one record, one last fragment. */
	tt_rm_put_mark(x->pout, (uint32_t)len, true);
	x->pout_len = len + 4;
	return TETHER_OK;
}

tether_status tt_io_xport_init(tt_io_xport *x, int fd, tt_conn *eng,
			       const tt_io_sec *sec, uint64_t now_ms)
{
	memset(x, 0, sizeof *x);
	x->fd = fd, x->eng = eng;
	x->hs_deadline = UINT64_MAX;
	if (sec == NULL || sec->tls == NULL)
		return TETHER_OK;
	x->server = sec->server;
	TT_TRY(tt_tls_new(sec->tls, sec->server ? TT_TLS_SERVER : TT_TLS_CLIENT,
			  &x->tls));
	if (!sec->server && sec->peer_name != NULL &&
	    tt_tls_set_peer_name(x->tls, sec->peer_name) != TETHER_OK) {
		tt_tls_free(x->tls);
		x->tls = NULL;
		return TETHER_E_PEER_IDENTITY;
	}
	if (!sec->server && client_probe(x, sec) != TETHER_OK) {
		tt_tls_free(x->tls);
		x->tls = NULL;
		return TETHER_E_TLS;
	}
	x->phase = TT_XP_PROBE;
	x->hs_deadline =
	    now_ms + (sec->handshake_timeout_ms ? sec->handshake_timeout_ms
						: DEFAULT_HS_MS);
	return TETHER_OK;
}

void tt_io_xport_free(tt_io_xport *x)
{
	tt_tls_free(x->tls);
	tether_peer_identity_free(x->identity);
	tt_io_inbuf_free(&x->in);
	x->tls = NULL, x->identity = NULL;
}

/* ---- writing --------------------------------------------------------------
 */

/* Sends p[0..len); *sent gets what the socket took. */
static tether_status send_some(int fd, const uint8_t *p, size_t len,
			       size_t *sent)
{
	*sent = 0;
	while (*sent < len) {
		/* MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE. */
		ssize_t n = send(fd, p + *sent, len - *sent, MSG_NOSIGNAL);
		if (n > 0) {
			*sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return TETHER_E_NEED_MORE;
		return errno == EPIPE ? TETHER_E_CLOSED : TETHER_E_RESET;
	}
	return TETHER_OK;
}

static tether_status flush_plain(tt_io_xport *x)
{
	for (;;) {
		size_t len, sent;
		const uint8_t *p = tt_conn_out_buf(x->eng, &len);
		tether_status st;

		if (p == NULL || len == 0)
			return TETHER_OK;
		st = send_some(x->fd, p, len, &sent);
		tt_conn_out_ack(x->eng, sent);
		if (st != TETHER_OK)
			return st;
	}
}

static tether_status flush_probe(tt_io_xport *x)
{
	size_t sent;
	tether_status st = send_some(x->fd, x->pout + x->pout_off,
				     x->pout_len - x->pout_off, &sent);
	x->pout_off += sent;
	return st;
}

/* Engine plaintext into the filter, ciphertext out to the socket. */
static tether_status flush_tls(tt_io_xport *x)
{
	for (;;) {
		size_t len, used = 0, sent;
		const uint8_t *p = tt_conn_out_buf(x->eng, &len);
		tether_status st;

		if (p != NULL && len != 0 &&
		    tt_tls_app_in(x->tls, p, len, &used) == TETHER_OK)
			tt_conn_out_ack(x->eng, used);
		p = tt_tls_net_out_buf(x->tls, &len);
		if (p == NULL || len == 0)
			return TETHER_OK;
		st = send_some(x->fd, p, len, &sent);
		tt_tls_net_out_ack(x->tls, sent);
		if (st != TETHER_OK)
			return st;
	}
}

static tether_status transport_failed(tt_io_xport *x, tether_status st)
{
	if (st == TETHER_E_CLOSED || st == TETHER_E_RESET)
		fail(x, st);
	return st;
}

tether_status tt_io_xport_flush(tt_io_xport *x)
{
	tether_status st = TETHER_OK;

	if (x->pout_off < x->pout_len)
		st = flush_probe(x);
	if (st == TETHER_OK && x->phase == TT_XP_PLAIN)
		st = flush_plain(x);
	else if (st == TETHER_OK && x->phase == TT_XP_TLS)
		st = flush_tls(x);
	return st == TETHER_E_NEED_MORE ? st : transport_failed(x, st);
}

void tt_io_xport_finish(tt_io_xport *x)
{
	if (x->fd < 0 || x->eng == NULL)
		return;
	if (x->phase == TT_XP_TLS && x->tls != NULL &&
	    tt_tls_get_state(x->tls) == TT_TLS_OPEN) {
		(void)flush_tls(x); /* pending replies first */
		if (tt_tls_close(x->tls) != TETHER_OK)
			return;
	}
	(void)tt_io_xport_flush(x);
}

/* ---- reading --------------------------------------------------------------
 */

static tether_status feed_plain(tt_io_xport *x, const uint8_t *p, size_t n,
				size_t *used)
{
	return tt_conn_in(x->eng, p, n, used);
}

/* Hands decrypted bytes to the engine as far as it takes them. */
static void deliver_app(tt_io_xport *x)
{
	for (;;) {
		size_t len, used = 0;
		const uint8_t *p = tt_tls_app_out_buf(x->tls, &len);
		if (p == NULL || len == 0)
			return;
		if (tt_conn_in(x->eng, p, len, &used) != TETHER_OK)
			return;
		tt_tls_app_out_ack(x->tls, used);
		if (used < len)
			return; /* engine backpressure */
	}
}

static void tls_opened(tt_io_xport *x)
{
	x->hs_deadline = UINT64_MAX;
	if (x->identity == NULL &&
	    tt_tls_peer_identity(x->tls, &x->identity) != TETHER_OK)
		x->identity = NULL;
}

static tether_status feed_tls(tt_io_xport *x, const uint8_t *p, size_t n,
			      size_t *used)
{
	size_t done = 0;

	for (;;) {
		size_t u = 0;
		tether_status st;

		deliver_app(x);
		if (done == n)
			break;
		st = tt_tls_net_in(x->tls, p + done, n - done, &u);
		done += u;
		if (st != TETHER_OK) {
			/* Close or failure: the engine gets what was decrypted,
			 * then the status (RFC 9289 §5.1.1: no fallback). */
			deliver_app(x);
			fail(x, st == TETHER_E_CLOSED ? TETHER_E_CLOSED : st);
			break;
		}
		if (tt_tls_get_state(x->tls) == TT_TLS_OPEN &&
		    x->hs_deadline != UINT64_MAX)
			tls_opened(x);
		if (u == 0) {
			deliver_app(x);
			break; /* filter full: the engine must take more */
		}
	}
	*used = done;
	return TETHER_OK;
}

/* Server: p is the whole probe record body. */
static void probe_in_server(tt_io_xport *x, const uint8_t *p, size_t n)
{
	uint32_t xid, prog, vers;
	size_t len = 0;

	/* RFC 9289 §4.1: only the probe; anything else gets no answer. */
	if (tt_tls_probe_call_check(p, n, &xid, &prog, &vers) != TETHER_OK ||
	    tt_tls_probe_reply_encode(xid, x->pout + 4, sizeof x->pout - 4,
				      &len) != TETHER_OK) {
		fail(x, TETHER_E_TLS_REQUIRED);
		return;
	}
	tt_rm_put_mark(x->pout, (uint32_t)len, true);
	x->pout_len = len + 4, x->pout_off = 0;
	x->phase = TT_XP_TLS;
}

static void probe_in_client(tt_io_xport *x, const uint8_t *p, size_t n)
{
	tether_status st = tt_tls_probe_reply_check(p, n, x->probe_xid);

	if (st != TETHER_OK) {
		fail(x, st); /* E_TLS_REQUIRED: never plaintext */
		return;
	}
	x->phase = TT_XP_TLS;
	if (tt_tls_start(x->tls) != TETHER_OK)
		fail(x, tt_tls_error(x->tls));
}

/* Collects the probe record: a 4-byte mark (one last fragment of at most
 * PROBE_MAX_BODY bytes), then the body. */
static tether_status feed_probe(tt_io_xport *x, const uint8_t *p, size_t n,
				size_t *used)
{
	size_t want = 4, take;

	if (x->pin_len >= 4) {
		uint32_t mark = (uint32_t)x->pin[0] << 24 |
				(uint32_t)x->pin[1] << 16 |
				(uint32_t)x->pin[2] << 8 | x->pin[3];
		uint32_t body = mark & ~TT_RM_LAST;
		if (!(mark & TT_RM_LAST) || body == 0 ||
		    body > PROBE_MAX_BODY) {
			fail(x, x->server ? TETHER_E_TLS_REQUIRED
					  : TETHER_E_BAD_REPLY);
			*used = 0;
			return TETHER_OK;
		}
		want = 4 + body;
	}
	take = want - x->pin_len < n ? want - x->pin_len : n;
	memcpy(x->pin + x->pin_len, p, take);
	x->pin_len += take;
	*used = take;
	if (x->pin_len == want && want > 4) {
		if (x->server)
			probe_in_server(x, x->pin + 4, want - 4);
		else
			probe_in_client(x, x->pin + 4, want - 4);
	}
	return TETHER_OK;
}

/* Feeds p[0..n) to whatever the phase wants; *used as consumed. */
static tether_status feed(tt_io_xport *x, const uint8_t *p, size_t n,
			  size_t *used)
{
	size_t done = 0;

	while (done < n && tt_conn_status(x->eng) == TETHER_OK) {
		size_t u = 0;
		int phase = x->phase;
		if (phase == TT_XP_PLAIN)
			TT_TRY(feed_plain(x, p + done, n - done, &u));
		else if (phase == TT_XP_PROBE)
			TT_TRY(feed_probe(x, p + done, n - done, &u));
		else
			TT_TRY(feed_tls(x, p + done, n - done, &u));
		done += u;
		if (u == 0 && x->phase == phase)
			break;
	}
	*used = done;
	return TETHER_OK;
}

static tether_status feed_pending(tt_io_xport *x)
{
	size_t used = 0;

	if (x->tls != NULL && x->phase == TT_XP_TLS)
		deliver_app(x);
	if (x->in.len == 0)
		return TETHER_OK;
	TT_TRY(feed(x, x->in.buf + x->in.off, x->in.len, &used));
	x->in.off += used, x->in.len -= used;
	if (x->in.len == 0 || tt_conn_status(x->eng) != TETHER_OK)
		tt_io_inbuf_free(&x->in);
	return TETHER_OK;
}

bool tt_io_xport_ready(const tt_io_xport *x)
{
	return x->phase == TT_XP_PLAIN ||
	       (x->phase == TT_XP_TLS && x->tls != NULL &&
		tt_tls_get_state(x->tls) == TT_TLS_OPEN);
}

bool tt_io_xport_input_pending(const tt_io_xport *x)
{
	size_t len = 0;

	if (tt_conn_status(x->eng) != TETHER_OK || !tt_conn_wants_input(x->eng))
		return false;
	if (x->in.len != 0)
		return true;
	return x->phase == TT_XP_TLS && x->tls != NULL &&
	       tt_tls_app_out_buf(x->tls, &len) != NULL && len != 0;
}

bool tt_io_xport_wants_read(const tt_io_xport *x)
{
	if (x->in.len != 0 || tt_conn_status(x->eng) != TETHER_OK)
		return false;
	if (x->phase == TT_XP_PLAIN)
		return tt_conn_wants_input(x->eng);
	if (x->phase == TT_XP_PROBE)
		return x->pout_off == x->pout_len; /* probe sent first */
	return true; /* the filter takes input while it has room */
}

static tether_status read_errno(void)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return TETHER_E_NEED_MORE;
	return errno == EINTR ? TETHER_OK : TETHER_E_RESET;
}

tether_status tt_io_xport_fill(tt_io_xport *x, uint8_t *scratch,
			       size_t scratch_len, unsigned max_reads)
{
	/* Bytes are stamped with the engine's clock (record deadline, idle
	 * timer): bring it to now first, however long the socket was idle. */
	tt_conn_tick(x->eng, tt_io_now_ms());
	TT_TRY(feed_pending(x));
	for (unsigned i = 0; i < max_reads; i++) {
		size_t used = 0;
		ssize_t n;
		tether_status st;

		if (!tt_io_xport_wants_read(x))
			return TETHER_OK;
		n = read(x->fd, scratch, scratch_len);
		if (n == 0)
			return transport_failed(x, TETHER_E_CLOSED);
		if (n < 0) {
			st = read_errno();
			if (st == TETHER_E_NEED_MORE)
				return TETHER_OK;
			if (st != TETHER_OK)
				return transport_failed(x, st);
			continue;
		}
		TT_TRY(feed(x, scratch, (size_t)n, &used));
		if (tt_conn_status(x->eng) == TETHER_OK)
			TT_TRY(keep(&x->in, scratch + used, (size_t)n - used));
		if ((size_t)n < scratch_len)
			return TETHER_OK; /* drained the socket */
	}
	return TETHER_OK;
}

/* ---- clock, identity ------------------------------------------------------
 */

uint64_t tt_io_xport_next_deadline(const tt_io_xport *x)
{
	uint64_t e = tt_conn_next_deadline(x->eng);
	return x->hs_deadline < e ? x->hs_deadline : e;
}

void tt_io_xport_tick(tt_io_xport *x, uint64_t now_ms)
{
	if (now_ms >= x->hs_deadline) {
		/* Probe or handshake not finished in time (DESIGN §7). */
		if (x->tls != NULL)
			tt_tls_handshake_timeout(x->tls);
		fail(x, TETHER_E_TIMEOUT);
	}
	tt_conn_tick(x->eng, now_ms);
}

tether_peer_identity *tt_io_xport_take_identity(tt_io_xport *x)
{
	tether_peer_identity *id = x->identity;
	x->identity = NULL;
	return id;
}
