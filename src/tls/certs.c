/* SPDX-License-Identifier: MIT */
/* certs.c - development certificates with the OpenSSL API (no shell-outs):
 * a self-signed EC P-256 CA and leaf certificates it signs, written as PEM;
 * private keys are created with mode 0600 and never overwrite a file. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/tt.h"
#include "tls_priv.h"

#define OPTS_MAGIC 0x63657274u /* "cert" */
#define MAX_SANS 16
#define NAME_MAX_LEN 255

typedef struct san {
	int type; /* GEN_DNS, GEN_IPADD, GEN_URI */
	char *value;
} san;

struct tether_cert_opts {
	uint32_t magic;
	char *cn;
	san sans[MAX_SANS];
	unsigned nsans;
	int64_t not_before;
	int64_t not_after;
	unsigned usage;
};

/* ---- options ------------------------------------------------------------ */

tether_status tether_cert_opts_new(tether_cert_opts **out)
{
	if (out == NULL)
		return TETHER_E_INVAL;
	tether_cert_opts *o = tt_calloc(1, sizeof(*o));
	*out = NULL;
	if (o == NULL)
		return TETHER_E_NOMEM;
	o->magic = OPTS_MAGIC;
	o->not_before = -300;
	o->not_after = 365 * 86400;
	o->usage = TETHER_CERT_SERVER;
	*out = o;
	return TETHER_OK;
}

void tether_cert_opts_free(tether_cert_opts *o)
{
	if (o == NULL || o->magic != OPTS_MAGIC)
		return;
	tt_tls_strfree(o->cn);
	for (unsigned i = 0; i < o->nsans; i++)
		tt_tls_strfree(o->sans[i].value);
	tt_memzero(o, sizeof(*o));
	tt_free(o, sizeof(*o));
}

static bool good(const tether_cert_opts *o)
{
	return o != NULL && o->magic == OPTS_MAGIC;
}

tether_status tether_cert_opts_set_common_name(tether_cert_opts *o,
					       const char *cn)
{
	char *copy;
	if (!good(o) || cn == NULL)
		return TETHER_E_INVAL;
	TT_TRY(tt_tls_strdup(cn, NAME_MAX_LEN, &copy));
	tt_tls_strfree(o->cn);
	o->cn = copy;
	return TETHER_OK;
}

static tether_status add_san(tether_cert_opts *o, int type, const char *v)
{
	if (!good(o) || v == NULL)
		return TETHER_E_INVAL;
	if (o->nsans >= MAX_SANS)
		return TETHER_E_TOO_LARGE;
	char *copy;
	TT_TRY(tt_tls_strdup(v, NAME_MAX_LEN, &copy));
	o->sans[o->nsans++] = (san){type, copy};
	return TETHER_OK;
}

tether_status tether_cert_opts_add_dns(tether_cert_opts *o, const char *dns)
{
	return add_san(o, GEN_DNS, dns);
}

tether_status tether_cert_opts_add_uri(tether_cert_opts *o, const char *uri)
{
	return add_san(o, GEN_URI, uri);
}

tether_status tether_cert_opts_add_ip(tether_cert_opts *o, const char *ip)
{
	if (ip == NULL)
		return TETHER_E_INVAL;
	ASN1_OCTET_STRING *a = a2i_IPADDRESS(ip);
	ERR_clear_error();
	if (a == NULL)
		return TETHER_E_INVAL;
	ASN1_OCTET_STRING_free(a);
	return add_san(o, GEN_IPADD, ip);
}

tether_status tether_cert_opts_set_validity(tether_cert_opts *o,
					    int64_t not_before_s,
					    int64_t not_after_s)
{
	/* Bounded to +-100 years so the offsets fit a long everywhere. */
	const int64_t lim = INT64_C(100) * 366 * 86400;
	if (!good(o) || not_after_s <= not_before_s || not_before_s < -lim ||
	    not_after_s > lim)
		return TETHER_E_INVAL;
	o->not_before = not_before_s;
	o->not_after = not_after_s;
	return TETHER_OK;
}

tether_status tether_cert_opts_set_usage(tether_cert_opts *o, unsigned usage)
{
	if (!good(o) || usage == 0 ||
	    (usage & ~(TETHER_CERT_SERVER | TETHER_CERT_CLIENT)) != 0)
		return TETHER_E_INVAL;
	o->usage = usage;
	return TETHER_OK;
}

/* ---- building certificates ---------------------------------------------- */

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-256");
}

/* A random positive 127-bit serial number (RFC 5280 §4.1.2.2). */
static bool set_serial(X509 *x)
{
	unsigned char r[16];
	if (RAND_bytes(r, sizeof(r)) != 1)
		return false;
	r[0] &= 0x7f;
	r[0] |= 0x01; /* never zero, never negative */
	BIGNUM *bn = BN_bin2bn(r, sizeof(r), NULL);
	bool ok = bn != NULL &&
		  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static bool set_name(X509_NAME *n, const char *cn)
{
	return X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
					  (const unsigned char *)cn, -1, -1,
					  0) == 1;
}

/* An extension from a fixed OpenSSL config string (never user input). */
static bool add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	bool ok = e != NULL && X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok;
}

/* SANs built as GENERAL_NAMEs, so no user string is ever parsed as
 * OpenSSL configuration syntax. */
static GENERAL_NAME *one_san(const san *s)
{
	GENERAL_NAME *g = GENERAL_NAME_new();
	if (g == NULL)
		return NULL;
	if (s->type == GEN_IPADD) {
		ASN1_OCTET_STRING *ip = a2i_IPADDRESS(s->value);
		if (ip == NULL) {
			GENERAL_NAME_free(g);
			return NULL;
		}
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
		return g;
	}
	ASN1_IA5STRING *str = ASN1_IA5STRING_new();
	if (str == NULL || ASN1_STRING_set(str, s->value, -1) != 1) {
		ASN1_IA5STRING_free(str);
		GENERAL_NAME_free(g);
		return NULL;
	}
	GENERAL_NAME_set0_value(g, s->type, str);
	return g;
}

static bool add_sans(X509 *x, const tether_cert_opts *o)
{
	if (o->nsans == 0)
		return true;
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	bool ok = gens != NULL;
	for (unsigned i = 0; ok && i < o->nsans; i++) {
		GENERAL_NAME *g = one_san(&o->sans[i]);
		ok = g != NULL && sk_GENERAL_NAME_push(gens, g) > 0;
		if (!ok)
			GENERAL_NAME_free(g);
	}
	ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
				     X509V3_ADD_DEFAULT) == 1;
	GENERAL_NAMES_free(gens);
	return ok;
}

/* Version 3, serial, validity, subject, public key. */
static X509 *new_cert(const tether_cert_opts *o, const char *cn, EVP_PKEY *key)
{
	X509 *x = X509_new();
	if (x == NULL)
		return NULL;
	bool ok = X509_set_version(x, 2) == 1 && set_serial(x) &&
		  X509_gmtime_adj(X509_getm_notBefore(x),
				  (long)o->not_before) != NULL &&
		  X509_gmtime_adj(X509_getm_notAfter(x), (long)o->not_after) !=
		      NULL &&
		  (cn == NULL || set_name(X509_get_subject_name(x), cn)) &&
		  X509_set_pubkey(x, key) == 1;
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static const char *usage_string(unsigned usage)
{
	if (usage == (TETHER_CERT_SERVER | TETHER_CERT_CLIENT))
		return "serverAuth,clientAuth";
	return usage == TETHER_CERT_CLIENT ? "clientAuth" : "serverAuth";
}

/* ---- writing PEM files -------------------------------------------------- */

static tether_status write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return TETHER_E_IO;
		p += w;
		n -= (size_t)w;
	}
	return TETHER_OK;
}

/* Creates path with mode (O_EXCL: an existing file is an error and is left
 * alone) and writes the bytes of a memory BIO; removes it on failure. */
static tether_status write_file(const char *path, mode_t mode, BIO *mem)
{
	char *data = NULL;
	long n = BIO_get_mem_data(mem, &data);
	if (n <= 0 || data == NULL)
		return TETHER_E_CERT;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return TETHER_E_IO;
	tether_status st = write_all(fd, data, (size_t)n);
	if (st == TETHER_OK && fsync(fd) != 0)
		st = TETHER_E_IO;
	if (close(fd) != 0 && st == TETHER_OK)
		st = TETHER_E_IO;
	if (st != TETHER_OK)
		(void)unlink(path);
	return st;
}

/* Key PEM goes through a secure-memory BIO, which is cleansed when freed:
 * the only copy of the private key we hold outside OpenSSL's key object. */
static tether_status write_key(const char *path, EVP_PKEY *key)
{
	BIO *mem = BIO_new(BIO_s_secmem());
	if (mem == NULL)
		return TETHER_E_NOMEM;
	tether_status st = TETHER_E_CERT;
	if (PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) == 1)
		st = write_file(path, 0600, mem);
	BIO_free(mem);
	return st;
}

static tether_status write_cert(const char *path, X509 *x)
{
	BIO *mem = BIO_new(BIO_s_mem());
	if (mem == NULL)
		return TETHER_E_NOMEM;
	tether_status st = TETHER_E_CERT;
	if (PEM_write_bio_X509(mem, x) == 1)
		st = write_file(path, 0644, mem);
	BIO_free(mem);
	return st;
}

/* Writes the key first, then the certificate; if the certificate cannot be
 * written the key file is removed again. */
static tether_status write_pair(const char *cert_path, const char *key_path,
				X509 *x, EVP_PKEY *key)
{
	TT_TRY(write_key(key_path, key));
	tether_status st = write_cert(cert_path, x);
	if (st != TETHER_OK)
		(void)unlink(key_path);
	return st;
}

/* ---- the public operations ---------------------------------------------- */

tether_status tether_certs_make_ca(const tether_cert_opts *o,
				   const char *cert_path, const char *key_path)
{
	if (!good(o) || cert_path == NULL || key_path == NULL)
		return TETHER_E_INVAL;
	const char *cn = o->cn ? o->cn : "tether development CA";
	EVP_PKEY *key = new_key();
	X509 *x = key ? new_cert(o, cn, key) : NULL;
	tether_status st = TETHER_E_CERT;
	if (x != NULL && X509_set_issuer_name(x, X509_get_subject_name(x)) &&
	    add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE") &&
	    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") &&
	    add_ext(x, x, NID_subject_key_identifier, "hash") &&
	    add_ext(x, x, NID_authority_key_identifier, "keyid:always") &&
	    add_sans(x, o) && X509_sign(x, key, EVP_sha256()) > 0)
		st = write_pair(cert_path, key_path, x, key);
	X509_free(x);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return st;
}

static tether_status load_ca(const char *cert_path, const char *key_path,
			     X509 **ca, EVP_PKEY **ca_key)
{
	BIO *b = BIO_new_file(cert_path, "r");
	*ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	b = BIO_new_file(key_path, "r");
	*ca_key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (*ca == NULL || *ca_key == NULL ||
	    X509_check_private_key(*ca, *ca_key) != 1 ||
	    X509_check_ca(*ca) == 0)
		return TETHER_E_CERT;
	return TETHER_OK;
}

static bool fill_leaf(X509 *x, X509 *ca, const tether_cert_opts *o)
{
	return X509_set_issuer_name(x, X509_get_subject_name(ca)) == 1 &&
	       add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") &&
	       add_ext(x, ca, NID_key_usage, "critical,digitalSignature") &&
	       add_ext(x, ca, NID_ext_key_usage, usage_string(o->usage)) &&
	       add_ext(x, ca, NID_subject_key_identifier, "hash") &&
	       add_ext(x, ca, NID_authority_key_identifier, "keyid:always") &&
	       add_sans(x, o);
}

tether_status tether_certs_issue(const tether_cert_opts *o,
				 const char *ca_cert_path,
				 const char *ca_key_path, const char *cert_path,
				 const char *key_path)
{
	if (!good(o) || ca_cert_path == NULL || ca_key_path == NULL ||
	    cert_path == NULL || key_path == NULL ||
	    (o->cn == NULL && o->nsans == 0))
		return TETHER_E_INVAL;
	X509 *ca = NULL, *x = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	tether_status st = load_ca(ca_cert_path, ca_key_path, &ca, &ca_key);
	if (st == TETHER_OK) {
		st = TETHER_E_CERT;
		key = new_key();
		x = key ? new_cert(o, o->cn, key) : NULL;
		if (x != NULL && fill_leaf(x, ca, o) &&
		    X509_sign(x, ca_key, EVP_sha256()) > 0)
			st = write_pair(cert_path, key_path, x, key);
	}
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	ERR_clear_error();
	return st;
}
