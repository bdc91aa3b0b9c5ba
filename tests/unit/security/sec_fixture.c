/* SPDX-License-Identifier: MIT */
/* sec_fixture.c - helpers for the security unit tests (see sec_fixture.h).
 * The JSON reader is written independently of src/security/audit_json.c so
 * that it checks the writer rather than mirroring it. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <tether/alloc.h>

#include "sec_fixture.h"
#include "tls/tls.h"

/* ---- identities ---------------------------------------------------------- */

static int add_san(X509 *x, const char *uri, const char *dns)
{
	char val[2200];
	X509V3_CTX ctx;
	if (uri == NULL && dns == NULL)
		return 1;
	if (uri != NULL && dns != NULL)
		snprintf(val, sizeof(val), "URI:%s,DNS:%s", uri, dns);
	else if (uri != NULL)
		snprintf(val, sizeof(val), "URI:%s", uri);
	else
		snprintf(val, sizeof(val), "DNS:%s", dns);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e =
	    X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, val);
	if (e == NULL)
		return 0;
	int ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

tether_peer_identity *sfx_tls_identity(const char *uri, const char *dns,
				       const char *cn)
{
	tether_peer_identity *id = NULL;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	if (k == NULL || x == NULL)
		goto out;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME *nm = X509_get_subject_name(x);
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8,
					   (const unsigned char *)cn, -1, -1,
					   0);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, k);
	if (!add_san(x, uri, dns) || X509_sign(x, k, EVP_sha256()) == 0)
		goto out;
	if (tt_identity_from_x509(x, &id) != TETHER_OK)
		id = NULL;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return id;
}

tether_peer_identity *sfx_unix_identity(uint32_t uid, uint32_t gid, int32_t pid)
{
	tether_peer_identity *id = NULL;
	return tt_identity_new_unix(uid, gid, pid, &id) == TETHER_OK ? id
								     : NULL;
}

tether_peer_identity *sfx_none_identity(void)
{
	tether_peer_identity *id = NULL;
	return tt_identity_new_none(&id) == TETHER_OK ? id : NULL;
}

/* ---- counting allocator ---------------------------------------------------
 */

static atomic_size_t live;
static atomic_long fail_countdown = -1; /* -1: never fail */
static atomic_bool fail_fired;

/* True when this allocation is the one chosen to fail. */
static bool should_fail(void)
{
	long c = atomic_load(&fail_countdown);
	if (c < 0)
		return false;
	atomic_store(&fail_countdown, c - 1);
	if (c == 0)
		atomic_store(&fail_fired, true);
	return c == 0;
}

static void *c_alloc(size_t n, void *ud)
{
	(void)ud;
	if (should_fail())
		return NULL;
	void *p = malloc(n);
	if (p != NULL)
		atomic_fetch_add(&live, n);
	return p;
}

static void *c_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	(void)ud;
	if (should_fail())
		return NULL;
	void *q = realloc(p, new_n);
	if (q != NULL) {
		atomic_fetch_sub(&live, old_n);
		atomic_fetch_add(&live, new_n);
	}
	return q;
}

static void c_free(void *p, size_t n, void *ud)
{
	(void)ud;
	if (p != NULL)
		atomic_fetch_sub(&live, n);
	free(p);
}

void sfx_count_allocs(bool on)
{
	static const tether_allocator a = {c_alloc, c_realloc, c_free, NULL};
	tether_set_allocator(on ? &a : NULL);
}

void sfx_fail_alloc(long n)
{
	atomic_store(&fail_fired, false);
	atomic_store(&fail_countdown, n);
}

bool sfx_fail_fired(void)
{
	return atomic_load(&fail_fired);
}

size_t sfx_live_bytes(void)
{
	return atomic_load(&live);
}

/* ---- a strict reader of flat JSON objects ---------------------------------
 */

typedef struct rd {
	const unsigned char *p;
} rd;

static void ws(rd *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
		r->p++;
}

static int hex4(const unsigned char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v * 16 + d;
	}
	return 0;
}

static int put_utf8(char *out, size_t cap, size_t *n, unsigned cp)
{
	unsigned char b[4];
	size_t k;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp, k = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 63)), k = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 63));
		b[2] = (unsigned char)(0x80 | (cp & 63)), k = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 63));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 63));
		b[3] = (unsigned char)(0x80 | (cp & 63)), k = 4;
	}
	if (*n + k >= cap)
		return -1;
	memcpy(out + *n, b, k);
	*n += k;
	return 0;
}

/* Validates one raw UTF-8 sequence (independent of the library's). */
static int raw_utf8(const unsigned char *p, size_t *len, unsigned *cp)
{
	unsigned c = p[0];
	size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
	if (k == 0 || c > 0xf4)
		return -1;
	unsigned v = c & (0xff >> (k + 1));
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (p[i] & 63);
	}
	static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (v < min[k] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*len = k;
	*cp = v;
	return 0;
}

static int escape(rd *r, char *out, size_t cap, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e = strchr(from, *r->p);
	unsigned cp, lo;
	if (*r->p != 'u') {
		if (e == NULL || *r->p == '\0' || *n + 1 >= cap)
			return -1;
		out[(*n)++] = to[e - from];
		r->p++;
		return 0;
	}
	if (hex4(r->p + 1, &cp) != 0)
		return -1;
	r->p += 5;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (r->p[0] != '\\' || r->p[1] != 'u' || hex4(r->p + 2, &lo) ||
		    lo < 0xdc00 || lo > 0xdfff)
			return -1;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		r->p += 6;
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		return -1;
	}
	return put_utf8(out, cap, n, cp);
}

static int string(rd *r, char *out, size_t cap)
{
	size_t n = 0, len;
	unsigned cp;
	if (*r->p++ != '"')
		return -1;
	while (*r->p != '"') {
		if (*r->p == '\0' || *r->p < 0x20)
			return -1;
		if (*r->p == '\\') {
			r->p++;
			if (escape(r, out, cap, &n) != 0)
				return -1;
		} else if (*r->p < 0x80) {
			if (n + 1 >= cap)
				return -1;
			out[n++] = (char)*r->p++;
		} else {
			if (raw_utf8(r->p, &len, &cp) != 0 || n + len >= cap)
				return -1;
			memcpy(out + n, r->p, len);
			n += len, r->p += len;
		}
	}
	r->p++;
	out[n] = '\0';
	return 0;
}

static int scalar(rd *r, sfx_jfield *f)
{
	if (*r->p == '"') {
		f->type = SFX_J_STR;
		return string(r, f->val, sizeof(f->val));
	}
	if (strncmp((const char *)r->p, "null", 4) == 0) {
		f->type = SFX_J_NULL;
		f->val[0] = '\0';
		r->p += 4;
		return 0;
	}
	size_t n = 0;
	if (*r->p == '-')
		f->val[n++] = (char)*r->p++;
	if (!(*r->p >= '0' && *r->p <= '9'))
		return -1;
	if (*r->p == '0' && r->p[1] >= '0' && r->p[1] <= '9')
		return -1; /* no leading zeros */
	while (*r->p >= '0' && *r->p <= '9' && n + 1 < sizeof(f->val))
		f->val[n++] = (char)*r->p++;
	f->val[n] = '\0';
	f->type = SFX_J_NUM;
	return 0;
}

int sfx_json_parse(const char *s, sfx_json *out)
{
	rd r = {(const unsigned char *)s};
	out->n = 0;
	ws(&r);
	if (*r.p++ != '{')
		return -1;
	ws(&r);
	if (*r.p == '}')
		return r.p[1] == '\0' ? 0 : -1;
	for (;;) {
		if (out->n == SFX_JSON_MAX_FIELDS)
			return -1;
		sfx_jfield *f = &out->f[out->n++];
		ws(&r);
		if (string(&r, f->key, sizeof(f->key)) != 0)
			return -1;
		for (size_t i = 0; i + 1 < out->n; i++)
			if (strcmp(out->f[i].key, f->key) == 0)
				return -1; /* duplicate key */
		ws(&r);
		if (*r.p++ != ':')
			return -1;
		ws(&r);
		if (scalar(&r, f) != 0)
			return -1;
		ws(&r);
		if (*r.p == ',') {
			r.p++;
			continue;
		}
		if (*r.p++ != '}')
			return -1;
		ws(&r);
		return *r.p == '\0' ? 0 : -1;
	}
}

const sfx_jfield *sfx_json_get(const sfx_json *j, const char *key)
{
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->f[i].key, key) == 0)
			return &j->f[i];
	return NULL;
}
