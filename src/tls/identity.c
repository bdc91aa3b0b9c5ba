/* SPDX-License-Identifier: MIT */
/* identity.c - tether_peer_identity: who is on the other end of a connection
 * (DESIGN §2: certificate SAN URI, then SAN DNS, then subject CN, plus the
 * certificate's SHA-256 fingerprint; or Unix SO_PEERCRED values). */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/tt.h"
#include "tls.h"

#define IDENTITY_MAGIC 0x70656572u /* "peer" */

struct tether_peer_identity {
	uint32_t magic;
	tether_peer_kind kind;
	tether_peer_name_source source;
	char *name; /* tt_alloc'd, name_size bytes including the NUL */
	size_t name_size;
	char fingerprint[65];
	uint32_t uid;
	uint32_t gid;
	int32_t pid;
};

static const char *const empty = "";

static bool good(const tether_peer_identity *id)
{
	return id != NULL && id->magic == IDENTITY_MAGIC;
}

tether_peer_kind tether_peer_identity_kind(const tether_peer_identity *id)
{
	return good(id) ? id->kind : TETHER_PEER_NONE;
}

const char *tether_peer_identity_name(const tether_peer_identity *id)
{
	return good(id) && id->name != NULL ? id->name : empty;
}

tether_peer_name_source
tether_peer_identity_name_source(const tether_peer_identity *id)
{
	return good(id) ? id->source : TETHER_PEER_NAME_NONE;
}

const char *tether_peer_identity_fingerprint(const tether_peer_identity *id)
{
	return good(id) ? id->fingerprint : empty;
}

bool tether_peer_identity_unix(const tether_peer_identity *id, uint32_t *uid,
			       uint32_t *gid, int32_t *pid)
{
	if (!good(id) || id->kind != TETHER_PEER_UNIX)
		return false;
	if (uid != NULL)
		*uid = id->uid;
	if (gid != NULL)
		*gid = id->gid;
	if (pid != NULL)
		*pid = id->pid;
	return true;
}

void tether_peer_identity_free(tether_peer_identity *id)
{
	if (!good(id))
		return;
	if (id->name != NULL) {
		tt_memzero(id->name, id->name_size);
		tt_free(id->name, id->name_size);
	}
	tt_memzero(id, sizeof(*id));
	tt_free(id, sizeof(*id));
}

static tether_status identity_alloc(tether_peer_kind kind,
				    tether_peer_identity **out)
{
	tether_peer_identity *id = tt_calloc(1, sizeof(*id));
	*out = NULL;
	if (id == NULL)
		return TETHER_E_NOMEM;
	id->magic = IDENTITY_MAGIC;
	id->kind = kind;
	*out = id;
	return TETHER_OK;
}

tether_status tt_identity_new_none(tether_peer_identity **out)
{
	return identity_alloc(TETHER_PEER_NONE, out);
}

tether_status tt_identity_new_unix(uint32_t uid, uint32_t gid, int32_t pid,
				   tether_peer_identity **out)
{
	TT_TRY(identity_alloc(TETHER_PEER_UNIX, out));
	(*out)->uid = uid;
	(*out)->gid = gid;
	(*out)->pid = pid;
	return TETHER_OK;
}

/* Copies an ASN.1 string that must be printable text: no NUL inside (a
 * "good.example\0.evil" SAN must not pass as good.example), not empty, and
 * short enough. */
static bool copy_asn1_text(const ASN1_STRING *s, char *buf, size_t cap)
{
	int n = ASN1_STRING_length(s);
	const unsigned char *p = ASN1_STRING_get0_data(s);
	if (p == NULL || n <= 0 || (size_t)n >= cap ||
	    (size_t)n > TT_IDENTITY_NAME_MAX)
		return false;
	if (memchr(p, '\0', (size_t)n) != NULL)
		return false;
	memcpy(buf, p, (size_t)n);
	buf[n] = '\0';
	return true;
}

/* The first usable SAN of the given GEN_* type. */
static bool san_of_type(const GENERAL_NAMES *gens, int type, char *buf,
			size_t cap)
{
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == type && copy_asn1_text(g->d.ia5, buf, cap))
			return true;
	}
	return false;
}

static bool subject_cn(const X509 *x, char *buf, size_t cap)
{
	const X509_NAME *subj = X509_get_subject_name(x);
	int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	if (idx < 0)
		return false;
	const X509_NAME_ENTRY *e = X509_NAME_get_entry(subj, idx);
	const ASN1_STRING *d = X509_NAME_ENTRY_get_data(e);
	/* Only string types that are text as they stand. */
	int t = ASN1_STRING_type(d);
	if (t != V_ASN1_UTF8STRING && t != V_ASN1_PRINTABLESTRING &&
	    t != V_ASN1_IA5STRING)
		return false;
	return copy_asn1_text(d, buf, cap);
}

tether_status tt_identity_name_of(const void *x509, char *buf, size_t cap,
				  tether_peer_name_source *src)
{
	const X509 *x = x509;
	*src = TETHER_PEER_NAME_NONE;
	if (x == NULL || cap == 0)
		return TETHER_E_INVAL;
	buf[0] = '\0';
	GENERAL_NAMES *gens =
	    X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens != NULL) {
		if (san_of_type(gens, GEN_URI, buf, cap))
			*src = TETHER_PEER_NAME_SAN_URI;
		else if (san_of_type(gens, GEN_DNS, buf, cap))
			*src = TETHER_PEER_NAME_SAN_DNS;
		GENERAL_NAMES_free(gens);
	}
	if (*src == TETHER_PEER_NAME_NONE && subject_cn(x, buf, cap))
		*src = TETHER_PEER_NAME_SUBJECT_CN;
	return *src == TETHER_PEER_NAME_NONE ? TETHER_E_NOT_FOUND : TETHER_OK;
}

static tether_status fingerprint_hex(const X509 *x, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	static const char hex[] = "0123456789abcdef";
	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32)
		return TETHER_E_CERT;
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return TETHER_OK;
}

tether_status tt_identity_from_x509(const void *x509,
				    tether_peer_identity **out)
{
	char name[TT_IDENTITY_NAME_MAX + 1];
	tether_peer_name_source src;
	tether_peer_identity *id;
	*out = NULL;
	if (x509 == NULL)
		return TETHER_E_INVAL;
	TT_TRY(identity_alloc(TETHER_PEER_TLS, &id));
	tether_status st = fingerprint_hex(x509, id->fingerprint);
	if (st == TETHER_OK &&
	    tt_identity_name_of(x509, name, sizeof(name), &src) == TETHER_OK) {
		id->name_size = strlen(name) + 1;
		id->name = tt_alloc(id->name_size);
		if (id->name == NULL)
			st = TETHER_E_NOMEM;
		else
			memcpy(id->name, name, id->name_size);
		id->source = src;
	}
	if (st != TETHER_OK) {
		tether_peer_identity_free(id);
		return st;
	}
	*out = id;
	return TETHER_OK;
}
