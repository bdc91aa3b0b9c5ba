/* SPDX-License-Identifier: MIT */
/*
 * auth.c - auth flavor bodies: AUTH_SYS parameters (RFC 5531 Appendix A)
 * and the RPC-over-TLS "STARTTLS" verifier (RFC 9289 §4.1).
 */
#include <string.h>

#include "common/tt.h"
#include "rpc/rpc.h"

/* RFC 9289 §4.1: the server's reply to the AUTH_TLS probe carries an
 * AUTH_NONE verifier whose body is the eight ASCII octets "STARTTLS". */
const uint8_t tt_starttls_verf[8] = {'S', 'T', 'A', 'R', 'T', 'T', 'L', 'S'};

bool tt_rpc_is_starttls_verf(const tt_opaque_auth *v)
{
	if (v == NULL || v->flavor != TT_AUTH_NONE ||
	    v->len != sizeof(tt_starttls_verf) || v->body == NULL)
		return false;
	return memcmp(v->body, tt_starttls_verf, sizeof(tt_starttls_verf)) == 0;
}

/* RFC 5531 Appendix A: machinename is string<255>. Copied (not via the
 * arena) into the fixed buffer; a NUL inside is refused so the C string
 * says what the wire said. */
static tether_status dec_name(tether_dec *d, char name[256])
{
	uint32_t n;
	TT_TRY(tether_dec_uint(d, &n));
	if (n > TT_AUTH_SYS_MAX_NAME)
		return TETHER_E_XDR_LENGTH;
	size_t padded = ((size_t)n + 3u) & ~(size_t)3u;
	if (padded > d->left)
		return TETHER_E_XDR_SHORT;
	if (memchr(d->p, 0, n) != NULL)
		return TETHER_E_XDR_STRING;
	for (size_t i = n; i < padded; i++) {
		if (d->p[i] != 0)
			return TETHER_E_XDR_PADDING;
	}
	memcpy(name, d->p, n);
	name[n] = '\0';
	d->p += padded;
	d->left -= padded;
	return TETHER_OK;
}

static tether_status dec_sys(tether_dec *d, tt_auth_sys *s)
{
	TT_TRY(tether_dec_uint(d, &s->stamp));
	TT_TRY(dec_name(d, s->machinename));
	TT_TRY(tether_dec_uint(d, &s->uid));
	TT_TRY(tether_dec_uint(d, &s->gid));
	/* gids<16>: the bound is checked before reading any element. */
	TT_TRY(tether_dec_uint(d, &s->ngids));
	if (s->ngids > TT_AUTH_SYS_MAX_GIDS)
		return TETHER_E_XDR_LENGTH;
	for (uint32_t i = 0; i < s->ngids; i++)
		TT_TRY(tether_dec_uint(d, &s->gids[i]));
	return d->left == 0 ? TETHER_OK : TETHER_E_XDR_TRAILING;
}

tether_status tt_auth_sys_decode(const tt_opaque_auth *a, tt_auth_sys *out)
{
	if (a == NULL || out == NULL || a->flavor != TT_AUTH_SYS ||
	    (a->len > 0 && a->body == NULL))
		return TETHER_E_INVAL;
	tether_dec d;
	tether_dec_init(&d, a->body, a->len, NULL);
	memset(out, 0, sizeof(*out));
	tether_status st = dec_sys(&d, out);
	if (st != TETHER_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

static tether_status enc_sys(tether_enc *e, const tt_auth_sys *s)
{
	TT_TRY(tether_enc_uint(e, s->stamp));
	TT_TRY(tether_enc_string(e, s->machinename, TT_AUTH_SYS_MAX_NAME));
	TT_TRY(tether_enc_uint(e, s->uid));
	TT_TRY(tether_enc_uint(e, s->gid));
	TT_TRY(tether_enc_array_len(e, s->ngids, TT_AUTH_SYS_MAX_GIDS));
	for (uint32_t i = 0; i < s->ngids; i++)
		TT_TRY(tether_enc_uint(e, s->gids[i]));
	return TETHER_OK;
}

tether_status tt_auth_sys_encode(const tt_auth_sys *s,
				 uint8_t body[TT_AUTH_MAX_BODY], uint32_t *len)
{
	if (s == NULL || body == NULL || len == NULL ||
	    s->ngids > TT_AUTH_SYS_MAX_GIDS ||
	    memchr(s->machinename, 0, sizeof(s->machinename)) == NULL)
		return TETHER_E_INVAL;
	/* The largest body is 4 + 4 + 256 + 4 + 4 + 4 + 16 * 4 = 340 bytes,
	 * under the 400-byte opaque_auth limit (RFC 5531 §8.2). */
	tether_enc e;
	tether_enc_init_fixed(&e, body, TT_AUTH_MAX_BODY);
	tether_status st = enc_sys(&e, s);
	if (st != TETHER_OK)
		return TETHER_E_INVAL;
	*len = (uint32_t)e.len;
	return TETHER_OK;
}
