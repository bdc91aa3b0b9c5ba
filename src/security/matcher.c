/* SPDX-License-Identifier: MIT */
/* matcher.c - identity matchers of the authorization policy ("uri:PAT",
 * "uid:N", "sha256:HEX", "authenticated", ...): parsing from text with
 * exact error positions, and matching against a peer identity. */
#include <string.h>

#include "common/tt.h"
#include "security/security_int.h"

typedef struct kind_name {
	const char *word; /* with the ':' for kinds that take a value */
	tt_match_kind kind;
} kind_name;

static const kind_name kinds[] = {
    {"any", TT_M_ANY},
    {"authenticated", TT_M_AUTHENTICATED},
    {"unauthenticated", TT_M_UNAUTHENTICATED},
    {"name:", TT_M_NAME},
    {"uri:", TT_M_URI},
    {"dns:", TT_M_DNS},
    {"cn:", TT_M_CN},
    {"uid:", TT_M_UID},
    {"gid:", TT_M_GID},
    {"sha256:", TT_M_SHA256},
};

void tt_matcher_clear(tt_matcher *m)
{
	if (m->pat != NULL)
		tt_free(m->pat, m->patlen + 1);
	m->pat = NULL;
	m->patlen = 0;
}

static tether_status fail(const char **why, size_t *at, const char *msg,
			  size_t pos)
{
	*why = msg;
	*at = pos;
	return TETHER_E_INVAL;
}

/* Decimal uint32 of exactly s[0..n). */
static bool parse_u32_dec(const char *s, size_t n, uint32_t *v)
{
	uint64_t x = 0;
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

static tether_status store_pat(tt_matcher *m, const char *s, size_t n)
{
	m->pat = tt_alloc(n + 1);
	if (m->pat == NULL)
		return TETHER_E_NOMEM;
	memcpy(m->pat, s, n);
	m->pat[n] = '\0';
	m->patlen = n;
	return TETHER_OK;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static tether_status parse_sha256(const char *s, size_t n, tt_matcher *m,
				  const char **why, size_t *at, size_t base)
{
	char hex[64];
	if (n != 64)
		return fail(why, at, "sha256: needs exactly 64 hex digits",
			    base);
	for (size_t i = 0; i < 64; i++) {
		char c = lower(s[i]);
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return fail(why, at, "sha256: not a hex digit",
				    base + i);
		hex[i] = c;
	}
	m->pkind = TT_P_EXACT;
	return store_pat(m, hex, 64);
}

/* A name pattern: "*", "prefix*", "*.suffix" or an exact name. */
static tether_status parse_name_pat(const char *s, size_t n, tt_matcher *m,
				    const char **why, size_t *at, size_t base)
{
	if (n == 0)
		return fail(why, at, "empty identity pattern", base);
	if (n > TETHER_POLICY_MAX_PATTERN)
		return fail(why, at, "identity pattern too long", base);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f)
			return fail(why, at,
				    "space or control byte in identity pattern",
				    base + i);
		if (c != '*')
			continue;
		bool whole = n == 1;
		bool last = i == n - 1 && i > 0;
		bool label = i == 0 && n > 2 && s[1] == '.';
		if (!whole && !last && !label)
			return fail(why, at,
				    "'*' is allowed only as the whole pattern, "
				    "at its end, or as a leading '*.'",
				    base + i);
	}
	if (n == 1 && s[0] == '*') {
		m->pkind = TT_P_ALL;
		return store_pat(m, "", 0);
	}
	if (s[n - 1] == '*') {
		if (s[0] == '*')
			return fail(why, at, "only one '*' per pattern", base);
		m->pkind = TT_P_PREFIX;
		return store_pat(m, s, n - 1);
	}
	if (s[0] == '*') {
		m->pkind = TT_P_LABEL_SUFFIX;
		return store_pat(m, s + 1, n - 1); /* keeps the dot */
	}
	m->pkind = TT_P_EXACT;
	return store_pat(m, s, n);
}

static tether_status parse_value(const char *s, size_t n, size_t base,
				 tt_matcher *m, const char **why, size_t *at)
{
	switch (m->kind) {
	case TT_M_UID:
	case TT_M_GID:
		if (!parse_u32_dec(s, n, &m->num))
			return fail(why, at,
				    "expected a decimal id (0 to 4294967295)",
				    base);
		return TETHER_OK;
	case TT_M_SHA256:
		return parse_sha256(s, n, m, why, at, base);
	default:
		return parse_name_pat(s, n, m, why, at, base);
	}
}

tether_status tt_matcher_parse(const char *s, size_t n, tt_matcher *m,
			       const char **why, size_t *at)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < TT_ARRAY_LEN(kinds); i++) {
		size_t wl = strlen(kinds[i].word);
		bool has_value = kinds[i].word[wl - 1] == ':';
		if (n < wl || memcmp(s, kinds[i].word, wl) != 0)
			continue;
		if (!has_value && n != wl)
			continue;
		m->kind = kinds[i].kind;
		if (!has_value)
			return TETHER_OK;
		return parse_value(s + wl, n - wl, wl, m, why, at);
	}
	return fail(why, at,
		    "unknown identity (expected any, authenticated, "
		    "unauthenticated, name:, uri:, dns:, cn:, uid:, gid: or "
		    "sha256:)",
		    0);
}

/* Equality of n bytes; ASCII case-insensitive for DNS names. */
static bool same(const char *a, const char *b, size_t n, bool nocase)
{
	if (!nocase)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

static bool pat_match(const tt_matcher *m, const char *name, bool nocase)
{
	size_t n = strlen(name);
	size_t pl = m->patlen;
	if (n == 0)
		return false; /* a missing name matches no pattern, not even *
			       */
	switch (m->pkind) {
	case TT_P_ALL:
		return true;
	case TT_P_EXACT:
		return n == pl && same(name, m->pat, n, nocase);
	case TT_P_PREFIX:
		return n >= pl && same(name, m->pat, pl, nocase);
	case TT_P_LABEL_SUFFIX:
		/* RFC 6125 §6.4.3: the wildcard stands for one whole label. */
		if (n <= pl || memchr(name, '.', n - pl) != NULL)
			return false;
		return same(name + n - pl, m->pat, pl, nocase);
	}
	return false;
}

static bool tls_name(const tt_subject *s, tether_peer_name_source want)
{
	return s->kind == TETHER_PEER_TLS &&
	       (want == TETHER_PEER_NAME_NONE || s->source == want);
}

bool tt_matcher_match(const tt_matcher *m, const tt_subject *s)
{
	switch (m->kind) {
	case TT_M_ANY:
		return true;
	case TT_M_AUTHENTICATED:
		return s->kind == TETHER_PEER_TLS ||
		       s->kind == TETHER_PEER_UNIX;
	case TT_M_UNAUTHENTICATED:
		return s->kind == TETHER_PEER_NONE;
	case TT_M_NAME:
		return tls_name(s, TETHER_PEER_NAME_NONE) &&
		       pat_match(m, s->name, false);
	case TT_M_URI:
		return tls_name(s, TETHER_PEER_NAME_SAN_URI) &&
		       pat_match(m, s->name, false);
	case TT_M_DNS:
		return tls_name(s, TETHER_PEER_NAME_SAN_DNS) &&
		       pat_match(m, s->name, true);
	case TT_M_CN:
		return tls_name(s, TETHER_PEER_NAME_SUBJECT_CN) &&
		       pat_match(m, s->name, false);
	case TT_M_UID:
		return s->kind == TETHER_PEER_UNIX && s->has_unix &&
		       s->uid == m->num;
	case TT_M_GID:
		return s->kind == TETHER_PEER_UNIX && s->has_unix &&
		       s->gid == m->num;
	case TT_M_SHA256:
		return s->kind == TETHER_PEER_TLS &&
		       strlen(s->fingerprint) == 64 &&
		       tt_ct_memcmp(s->fingerprint, m->pat, 64) == 0;
	}
	return false;
}
