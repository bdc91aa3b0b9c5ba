/* SPDX-License-Identifier: MIT */
/* filter.c - the TLS filter: OpenSSL 3 over two memory BIOs, no sockets,
 * with the engine's buf/ack contract (STYLE 13-14). Ciphertext in from the
 * socket, ciphertext out to it, plaintext to and from the engine; failures
 * are sticky with a reason for the audit record (STYLE 7). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/tt.h"
#include "tls.h"
#include "tls_priv.h"

#define TLS_MAGIC 0x74746c73u /* "ttls" */
#define REASON_MAX 200
#define READ_CHUNK 16384u /* one TLS record of plaintext */

/* Bytes p[off .. off+len) of a buffer of cap bytes. */
typedef struct tls_q {
	uint8_t *p;
	size_t off;
	size_t len;
	size_t cap;
} tls_q;

struct tt_tls {
	uint32_t magic;
	tt_tls_role role;
	tt_tls_state state;
	tether_status err;
	SSL *ssl;
	BIO *rbio; /* ciphertext from the peer (owned by ssl) */
	BIO *wbio; /* ciphertext for the peer (owned by ssl) */
	bool started;
	bool closing;
	bool hello_seen; /* server: a ClientHello was parsed */
	bool reason_set;
	bool require_client_cert;
	int alert_recv; /* info-callback value of a fatal alert, or -1 */
	char *expected_peer;
	tls_q net_out;
	tls_q app_out;
	char reason[REASON_MAX];
};

/* ---- byte queues (zeroed when released: they may hold plaintext) ------- */

static void q_release(tls_q *q)
{
	if (q->p != NULL) {
		tt_memzero(q->p, q->cap);
		tt_free(q->p, q->cap);
	}
	*q = (tls_q){0};
}

/* Makes n bytes writable at q->p + q->off + q->len. */
static tether_status q_reserve(tls_q *q, size_t n)
{
	if (q->cap - q->off - q->len >= n)
		return TETHER_OK;
	if (q->off > 0 && q->cap - q->len >= n) {
		memmove(q->p, q->p + q->off, q->len);
		tt_memzero(q->p + q->len, q->off);
		q->off = 0;
		return TETHER_OK;
	}
	size_t cap = q->cap ? q->cap : 4096;
	while (cap - q->len < n)
		cap *= 2;
	uint8_t *p = tt_alloc(cap);
	if (p == NULL)
		return TETHER_E_NOMEM;
	if (q->len > 0)
		memcpy(p, q->p + q->off, q->len);
	size_t len = q->len;
	q_release(q); /* never realloc: the old block is zeroed first */
	*q = (tls_q){.p = p, .off = 0, .len = len, .cap = cap};
	return TETHER_OK;
}

/* Consumes n bytes. wipe: the queue holds plaintext, zeroed as it is
 * consumed (OPENSSL_cleanse: a memset the compiler may not drop, much
 * cheaper per call than a byte loop); the ciphertext queue needs none. */
static void q_ack(tls_q *q, size_t n, bool wipe)
{
	if (n > q->len)
		n = q->len;
	if (wipe)
		OPENSSL_cleanse(q->p + q->off, n);
	q->off += n;
	q->len -= n;
	if (q->len == 0)
		q->off = 0;
}

/* ---- failure: sticky, with a reason ------------------------------------- */

/* Empties this thread's OpenSSL error queue before an SSL call (so that
 * SSL_get_error() sees only that call's errors). Failures clear it again,
 * so it is nearly always empty already: peeking costs far less than
 * ERR_clear_error() in OpenSSL 3.0, which is paid on every record. */
static void clear_errors(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

__attribute__((format(printf, 2, 3))) static void note(tt_tls *t,
						       const char *fmt, ...)
{
	if (t->reason_set)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
	va_end(ap);
	t->reason_set = true;
}

static void drain(tt_tls *t);

static void fail(tt_tls *t, tether_status st)
{
	if (t->err == TETHER_OK)
		t->err = st;
	t->state = TT_TLS_FAILED;
	if (!t->reason_set)
		note(t, "%s", tether_strerror(st));
	ERR_clear_error();
}

/* RFC 8446 §6.2 alerts that say the peer refused our certificate. */
static bool alert_is_about_us(int desc)
{
	switch (desc) {
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_REVOKED:
	case SSL_AD_CERTIFICATE_EXPIRED:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNKNOWN_CA:
	case SSL_AD_ACCESS_DENIED:
	case SSL_AD_CERTIFICATE_REQUIRED:
		return true;
	default:
		return false;
	}
}

/* OpenSSL 3.0 names no TLS 1.3-only alert: name those ourselves. */
static const char *alert_name(int value)
{
	switch (value & 0xff) {
	case 109:
		return "missing extension";
	case 116:
		return "certificate required";
	default:
		return SSL_alert_desc_string_long(value);
	}
}

/* Classifies an OpenSSL failure into a tether status and reason. */
static void fail_from_ssl(tt_tls *t, int ssl_err)
{
	unsigned long code = ERR_peek_error();
	long vr = SSL_get_verify_result(t->ssl);
	if (t->alert_recv >= 0) {
		int desc = t->alert_recv & 0xff;
		note(t, "peer sent alert: %s", alert_name(t->alert_recv));
		fail(t, alert_is_about_us(desc) ? TETHER_E_AUTH_REJECTED
						: TETHER_E_TLS);
	} else if (vr != X509_V_OK) {
		note(t, "peer certificate rejected: %s",
		     X509_verify_cert_error_string(vr));
		fail(t, TETHER_E_PEER_IDENTITY);
	} else if (ERR_GET_REASON(code) ==
		   SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
		note(t, "peer sent no certificate");
		fail(t, TETHER_E_PEER_IDENTITY);
	} else {
		const char *why = code ? ERR_reason_error_string(code) : NULL;
		note(t, "TLS failure: %s (ssl error %d)", why ? why : "unknown",
		     ssl_err);
		fail(t, TETHER_E_TLS);
	}
}

/* Moves what OpenSSL wrote into our output queue. A server that failed
 * before it saw a ClientHello sends nothing: a peer that is not speaking TLS
 * gets no TLS bytes back (RFC 9289 §5.1.1). */
static void drain(tt_tls *t)
{
	size_t pend;
	if (t->state == TT_TLS_FAILED && t->role == TT_TLS_SERVER &&
	    !t->hello_seen) {
		(void)BIO_reset(t->wbio);
		return;
	}
	while ((pend = BIO_ctrl_pending(t->wbio)) > 0) {
		if (q_reserve(&t->net_out, pend) != TETHER_OK) {
			(void)BIO_reset(t->wbio);
			note(t, "out of memory for TLS output");
			fail(t, TETHER_E_NOMEM);
			return;
		}
		int r = BIO_read(t->wbio,
				 t->net_out.p + t->net_out.off + t->net_out.len,
				 (int)pend);
		if (r <= 0)
			return;
		t->net_out.len += (size_t)r;
		if ((size_t)r == pend)
			return; /* all of it: nothing is written meanwhile */
	}
}

/* ---- OpenSSL callbacks -------------------------------------------------- */

static tt_tls *of_ssl(const SSL *s)
{
	tt_tls *t = SSL_get_app_data(s);
	return t != NULL && t->magic == TLS_MAGIC ? t : NULL;
}

/* Server: RFC 9289 §5: a client that offers no ALPN gets the
 * no_application_protocol alert. (The ALPN callback is not called when the
 * extension is absent, hence this check on the ClientHello.) */
static int hello_cb(SSL *s, int *al, void *arg)
{
	(void)arg;
	tt_tls *t = of_ssl(s);
	const unsigned char *p;
	size_t n;
	if (t == NULL)
		return SSL_CLIENT_HELLO_ERROR;
	t->hello_seen = true;
	if (SSL_client_hello_get0_ext(
		s, TLSEXT_TYPE_application_layer_protocol_negotiation, &p,
		&n) != 1) {
		note(t, "client offered no ALPN (RFC 9289 requires sunrpc)");
		*al = SSL_AD_NO_APPLICATION_PROTOCOL;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* Server: select "sunrpc" or refuse with no_application_protocol (RFC 9289
 * §5, RFC 7301 §3.2). */
static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)arg;
	size_t want = sizeof(TT_TLS_ALPN) - 1;
	for (unsigned int i = 0; i < inlen;) {
		unsigned int n = in[i];
		if (n == 0 || n > inlen - i - 1)
			break;
		if (n == want && memcmp(in + i + 1, TT_TLS_ALPN, want) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	tt_tls *t = of_ssl(s);
	if (t != NULL)
		note(t, "client did not offer ALPN sunrpc (RFC 9289 §5)");
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void info_cb(const SSL *s, int where, int ret)
{
	tt_tls *t = of_ssl(s);
	/* SSL_CB_READ_ALERT shares its SSL_CB_ALERT bit with WRITE_ALERT. */
	if (t != NULL && (where & SSL_CB_ALERT) && (where & SSL_CB_READ) &&
	    (ret >> 8) == SSL3_AL_FATAL && t->alert_recv < 0)
		t->alert_recv = ret;
}

/* Printable copy of an untrusted name for a reason string. */
static void sanitize(const char *in, char *out, size_t cap)
{
	size_t i = 0;
	for (; in[i] != '\0' && i + 1 < cap; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[i] = '\0';
}

/* Server with an expected peer: the leaf's identity (DESIGN §2) must be
 * exactly that name. Runs after OpenSSL verified the chain. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *s = X509_STORE_CTX_get_ex_data(
	    xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	tt_tls *t = s ? of_ssl(s) : NULL;
	if (!ok || t == NULL || t->role != TT_TLS_SERVER ||
	    t->expected_peer == NULL || X509_STORE_CTX_get_error_depth(xs) != 0)
		return ok;
	char name[TT_IDENTITY_NAME_MAX + 1], shown[64];
	tether_peer_name_source src;
	X509 *leaf = X509_STORE_CTX_get_current_cert(xs);
	if (tt_identity_name_of(leaf, name, sizeof(name), &src) == TETHER_OK &&
	    strcmp(name, t->expected_peer) == 0)
		return 1;
	sanitize(name, shown, sizeof(shown));
	note(t, "peer identity \"%s\" is not the expected peer", shown);
	X509_STORE_CTX_set_error(xs, X509_V_ERR_HOSTNAME_MISMATCH);
	return 0;
}

void tt_tls_install_callbacks(void *ssl_ctx)
{
	SSL_CTX *c = ssl_ctx;
	SSL_CTX_set_client_hello_cb(c, hello_cb, NULL);
	SSL_CTX_set_alpn_select_cb(c, alpn_cb, NULL);
	SSL_CTX_set_info_callback(c, info_cb);
}

/* ---- lifecycle ---------------------------------------------------------- */

static bool good(const tt_tls *t)
{
	return t != NULL && t->magic == TLS_MAGIC;
}

void tt_tls_free(tt_tls *t)
{
	if (!good(t))
		return;
	SSL_free(t->ssl); /* frees both BIOs */
	tt_tls_strfree(t->expected_peer);
	q_release(&t->net_out);
	q_release(&t->app_out);
	tt_memzero(t, sizeof(*t));
	tt_free(t, sizeof(*t));
}

static tether_status setup_ssl(tt_tls *t, tt_tls_ctx *ctx)
{
	t->ssl = SSL_new(ctx->ssl_ctx);
	if (t->ssl == NULL)
		return TETHER_E_NOMEM;
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	if (t->rbio == NULL || t->wbio == NULL) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		return TETHER_E_NOMEM;
	}
	/* An empty input BIO means "want more", not end of file. */
	BIO_set_mem_eof_return(t->rbio, -1);
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_app_data(t->ssl, t);
	if (t->role == TT_TLS_CLIENT) {
		SSL_set_connect_state(t->ssl);
		SSL_set_verify(t->ssl, SSL_VERIFY_PEER, verify_cb);
	} else if (t->require_client_cert) {
		SSL_set_accept_state(t->ssl);
		SSL_set_verify(t->ssl,
			       SSL_VERIFY_PEER |
				   SSL_VERIFY_FAIL_IF_NO_PEER_CERT |
				   SSL_VERIFY_CLIENT_ONCE,
			       verify_cb);
	} else {
		SSL_set_accept_state(t->ssl);
		SSL_set_verify(t->ssl, SSL_VERIFY_NONE, NULL);
	}
	return TETHER_OK;
}

static tether_status check_ctx(const tt_tls_ctx *ctx, tt_tls_role role)
{
	if (ctx == NULL || ctx->ssl_ctx == NULL ||
	    (role != TT_TLS_CLIENT && role != TT_TLS_SERVER))
		return TETHER_E_INVAL;
	if (role == TT_TLS_SERVER && !ctx->has_cert)
		return TETHER_E_CERT; /* a server must present a certificate */
	if ((role == TT_TLS_CLIENT || ctx->require_client_cert) && !ctx->has_ca)
		return TETHER_E_CERT; /* nothing to verify the peer with */
	if (role == TT_TLS_SERVER && !ctx->require_client_cert &&
	    ctx->expected_peer != NULL)
		return TETHER_E_INVAL; /* cannot check an unrequested cert */
	return TETHER_OK;
}

tether_status tt_tls_new(tt_tls_ctx *ctx, tt_tls_role role, tt_tls **out)
{
	if (out == NULL)
		return TETHER_E_INVAL;
	*out = NULL;
	TT_TRY(check_ctx(ctx, role));
	tt_tls *t = tt_calloc(1, sizeof(*t));
	if (t == NULL)
		return TETHER_E_NOMEM;
	t->magic = TLS_MAGIC;
	t->role = role;
	t->state = TT_TLS_HANDSHAKE;
	t->alert_recv = -1;
	t->require_client_cert = ctx->require_client_cert;
	tether_status st = tt_tls_strdup(ctx->expected_peer, TT_TLS_PATH_MAX,
					 &t->expected_peer);
	if (st == TETHER_OK)
		st = setup_ssl(t, ctx);
	ERR_clear_error();
	if (st != TETHER_OK) {
		tt_tls_free(t);
		return st;
	}
	*out = t;
	return TETHER_OK;
}

tether_status tt_tls_set_peer_name(tt_tls *t, const char *name)
{
	if (!good(t) || name == NULL)
		return TETHER_E_INVAL;
	if (t->role != TT_TLS_CLIENT || t->started)
		return TETHER_E_STATE;
	char *copy;
	TT_TRY(tt_tls_strdup(name, 255, &copy));
	tt_tls_strfree(t->expected_peer);
	t->expected_peer = copy;
	return TETHER_OK;
}

/* Client: the server name to verify, as an IP literal or a DNS name (also
 * sent as SNI). A client never runs without one. */
static tether_status client_name(tt_tls *t)
{
	const char *n = t->expected_peer;
	if (n == NULL) {
		note(t, "no server name to verify the certificate against");
		return TETHER_E_PEER_IDENTITY;
	}
	X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
	if (X509_VERIFY_PARAM_set1_ip_asc(vp, n) == 1)
		return TETHER_OK;
	ERR_clear_error();
	SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set1_host(t->ssl, n) != 1 ||
	    SSL_set_tlsext_host_name(t->ssl, n) != 1) {
		note(t, "server name not usable");
		return TETHER_E_TLS;
	}
	return TETHER_OK;
}

static void handshake(tt_tls *t);
static void pump(tt_tls *t);

tether_status tt_tls_start(tt_tls *t)
{
	if (!good(t))
		return TETHER_E_INVAL;
	if (t->started)
		return t->err;
	t->started = true;
	if (t->role == TT_TLS_CLIENT) {
		tether_status st = client_name(t);
		if (st != TETHER_OK) {
			fail(t, st);
			return st;
		}
		pump(t); /* queues the ClientHello */
	}
	return t->err;
}

/* ---- the handshake and the data path ----------------------------------- */

/* The handshake finished on our side: check what OpenSSL does not. */
static void handshake_done(tt_tls *t)
{
	if (t->role == TT_TLS_CLIENT) {
		const unsigned char *alpn = NULL;
		unsigned int n = 0;
		SSL_get0_alpn_selected(t->ssl, &alpn, &n);
		/* RFC 9289 §5: the client requires "sunrpc". */
		if (n != sizeof(TT_TLS_ALPN) - 1 ||
		    memcmp(alpn, TT_TLS_ALPN, n) != 0) {
			note(t, "server did not select ALPN sunrpc");
			fail(t, TETHER_E_TLS);
			return;
		}
		if (SSL_get0_peer_certificate(t->ssl) == NULL ||
		    SSL_get_verify_result(t->ssl) != X509_V_OK) {
			note(t, "server certificate not verified");
			fail(t, TETHER_E_PEER_IDENTITY);
			return;
		}
	} else if (t->require_client_cert &&
		   SSL_get0_peer_certificate(t->ssl) == NULL) {
		note(t, "peer sent no certificate");
		fail(t, TETHER_E_PEER_IDENTITY);
		return;
	}
	t->state = TT_TLS_OPEN;
}

static void handshake(tt_tls *t)
{
	ERR_clear_error();
	int r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		handshake_done(t);
		return;
	}
	int e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return;
	fail_from_ssl(t, e);
}

/* Decrypts while there is input and room for plaintext. */
static void read_app(tt_tls *t)
{
	while (t->state == TT_TLS_OPEN &&
	       t->app_out.len < TT_TLS_MAX_APP_OUT_PENDING) {
		if (q_reserve(&t->app_out, READ_CHUNK) != TETHER_OK) {
			note(t, "out of memory for plaintext");
			fail(t, TETHER_E_NOMEM);
			return;
		}
		size_t got = 0;
		uint8_t *dst = t->app_out.p + t->app_out.off + t->app_out.len;
		clear_errors();
		int r = SSL_read_ex(t->ssl, dst, READ_CHUNK, &got);
		if (r == 1) {
			t->app_out.len += got;
			/* Nothing left in OpenSSL's buffers nor in the input
			 * BIO: another SSL_read_ex could only say WANT_READ
			 * (a saving per record on the latency path). */
			if (!SSL_has_pending(t->ssl) &&
			    BIO_ctrl_pending(t->rbio) == 0)
				return;
			continue;
		}
		int e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			return;
		if (e == SSL_ERROR_ZERO_RETURN) {
			t->state = TT_TLS_CLOSED; /* close_notify received */
			return;
		}
		fail_from_ssl(t, e);
	}
}

static void pump(tt_tls *t)
{
	if (t->state == TT_TLS_HANDSHAKE)
		handshake(t);
	if (t->state == TT_TLS_OPEN)
		read_app(t);
	drain(t);
}

/* What tt_tls_net_in() and tt_tls_app_in() check first: the arguments,
 * that the handshake has started, and the sticky error. */
static tether_status input_begin(tt_tls *t, const uint8_t *in, size_t len,
				 size_t *used)
{
	if (used != NULL)
		*used = 0;
	if (!good(t) || used == NULL || (in == NULL && len > 0))
		return TETHER_E_INVAL;
	/* Starting may fail (a client without a server name): the sticky
	 * error reports it. */
	if (!t->started && tt_tls_start(t) != TETHER_OK)
		return t->err;
	return t->err;
}

tether_status tt_tls_net_in(tt_tls *t, const uint8_t *in, size_t len,
			    size_t *used)
{
	tether_status st = input_begin(t, in, len, used);
	if (st != TETHER_OK)
		return st;
	if (t->state == TT_TLS_CLOSED)
		return TETHER_E_CLOSED;
	size_t pend = BIO_ctrl_pending(t->rbio);
	size_t room = pend < TT_TLS_MAX_NET_IN_PENDING
			  ? TT_TLS_MAX_NET_IN_PENDING - pend
			  : 0;
	size_t n = len < room ? len : room;
	if (n > 0) {
		if (BIO_write(t->rbio, in, (int)n) != (int)n) {
			note(t, "out of memory for TLS input");
			fail(t, TETHER_E_NOMEM);
			return t->err;
		}
		*used = n;
	}
	pump(t);
	if (t->err != TETHER_OK)
		return t->err;
	return t->state == TT_TLS_CLOSED ? TETHER_E_CLOSED : TETHER_OK;
}

const uint8_t *tt_tls_net_out_buf(const tt_tls *t, size_t *len)
{
	if (!good(t) || t->net_out.len == 0) {
		*len = 0;
		return NULL;
	}
	*len = t->net_out.len;
	return t->net_out.p + t->net_out.off;
}

void tt_tls_net_out_ack(tt_tls *t, size_t n)
{
	if (good(t))
		q_ack(&t->net_out, n, false); /* ciphertext: public */
}

tether_status tt_tls_app_in(tt_tls *t, const uint8_t *in, size_t len,
			    size_t *used)
{
	tether_status st = input_begin(t, in, len, used);
	if (st != TETHER_OK)
		return st;
	if (t->closing || t->state == TT_TLS_CLOSED)
		return TETHER_E_CLOSED;
	if (t->state != TT_TLS_OPEN || len == 0)
		return TETHER_OK;
	size_t q = t->net_out.len;
	size_t room =
	    q < TT_TLS_MAX_NET_OUT_PENDING ? TT_TLS_MAX_NET_OUT_PENDING - q : 0;
	/* Room is for ciphertext: leave space for the record overhead (22
	 * bytes per 16 KiB record in TLS 1.3, under 1/64) and one partial
	 * record. */
	room = room > 128 ? room - room / 64 - 64 : 0;
	size_t n = len < room ? len : room;
	if (n == 0)
		return TETHER_OK;
	size_t w = 0;
	clear_errors();
	int r = SSL_write_ex(t->ssl, in, n, &w);
	if (r != 1) {
		fail_from_ssl(t, SSL_get_error(t->ssl, r));
		drain(t);
		return t->err;
	}
	*used = w;
	drain(t);
	return t->err;
}

const uint8_t *tt_tls_app_out_buf(const tt_tls *t, size_t *len)
{
	if (!good(t) || t->app_out.len == 0) {
		*len = 0;
		return NULL;
	}
	*len = t->app_out.len;
	return t->app_out.p + t->app_out.off;
}

void tt_tls_app_out_ack(tt_tls *t, size_t n)
{
	if (!good(t))
		return;
	q_ack(&t->app_out, n, true);
	/* Room again: decrypt what waited in the input BIO. */
	if (t->state == TT_TLS_OPEN && BIO_ctrl_pending(t->rbio) > 0) {
		read_app(t);
		drain(t);
	}
}

tether_status tt_tls_close(tt_tls *t)
{
	if (!good(t))
		return TETHER_E_INVAL;
	if (t->err != TETHER_OK)
		return t->err;
	if (t->closing)
		return TETHER_OK;
	t->closing = true;
	if (t->state == TT_TLS_OPEN || t->state == TT_TLS_CLOSED) {
		ERR_clear_error();
		(void)SSL_shutdown(t->ssl); /* queues close_notify */
		ERR_clear_error();
		drain(t);
	}
	return TETHER_OK;
}

void tt_tls_handshake_timeout(tt_tls *t)
{
	if (!good(t) || t->state != TT_TLS_HANDSHAKE)
		return;
	note(t, "TLS handshake not finished before the deadline");
	fail(t, TETHER_E_TIMEOUT);
}

tt_tls_state tt_tls_get_state(const tt_tls *t)
{
	return good(t) ? t->state : TT_TLS_FAILED;
}

tether_status tt_tls_error(const tt_tls *t)
{
	return good(t) ? t->err : TETHER_E_INVAL;
}

const char *tt_tls_reason(const tt_tls *t)
{
	return good(t) ? t->reason : "invalid TLS filter";
}

const char *tt_tls_version(const tt_tls *t)
{
	if (!good(t) || (t->state != TT_TLS_OPEN && t->state != TT_TLS_CLOSED))
		return "";
	return SSL_get_version(t->ssl);
}

const char *tt_tls_cipher(const tt_tls *t)
{
	if (!good(t) || (t->state != TT_TLS_OPEN && t->state != TT_TLS_CLOSED))
		return "";
	return SSL_CIPHER_get_name(SSL_get_current_cipher(t->ssl));
}

tether_status tt_tls_peer_identity(const tt_tls *t, tether_peer_identity **out)
{
	if (out == NULL)
		return TETHER_E_INVAL;
	*out = NULL;
	if (!good(t))
		return TETHER_E_INVAL;
	if (t->state != TT_TLS_OPEN && t->state != TT_TLS_CLOSED)
		return TETHER_E_STATE;
	X509 *peer = SSL_get0_peer_certificate(t->ssl);
	if (peer == NULL)
		return tt_identity_new_none(out);
	return tt_identity_from_x509(peer, out);
}
