/* SPDX-License-Identifier: MIT */
/* security_int.h - internals of src/security shared between its files and
 * the unit tests: the identity view the policy matches on, the rule
 * representation, and the identity-matcher parser used by both the API and
 * the policy-text parser. */
#ifndef TT_SECURITY_INT_H
#define TT_SECURITY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/security.h>

/* What the policy looks at in a peer identity: a flat, borrowed view, so
 * tests can build one without a certificate. */
typedef struct tt_subject {
	tether_peer_kind kind;
	tether_peer_name_source source;
	const char *name;	 /* "" when absent */
	const char *fingerprint; /* "" unless TLS */
	bool has_unix;
	uint32_t uid, gid;
} tt_subject;

/* Fills s from id (NULL: unauthenticated). Strings stay borrowed from id. */
void tt_subject_of(const tether_peer_identity *id, tt_subject *s);

typedef enum tt_match_kind {
	TT_M_ANY = 0,
	TT_M_AUTHENTICATED,
	TT_M_UNAUTHENTICATED,
	TT_M_NAME,
	TT_M_URI,
	TT_M_DNS,
	TT_M_CN,
	TT_M_UID,
	TT_M_GID,
	TT_M_SHA256
} tt_match_kind;

typedef enum tt_pat_kind {
	TT_P_EXACT = 0,
	TT_P_PREFIX,	   /* "abc*" */
	TT_P_LABEL_SUFFIX, /* "*.example.org": exactly one label before */
	TT_P_ALL	   /* "*" */
} tt_pat_kind;

/* The parsed form of an identity matcher. pat is owned by the rule. */
typedef struct tt_matcher {
	tt_match_kind kind;
	tt_pat_kind pkind;
	char *pat; /* the literal part, NUL-terminated, tt_alloc'd */
	size_t patlen;
	uint32_t num; /* uid/gid */
} tt_matcher;

typedef struct tt_rule {
	bool allow;
	tt_matcher m;
	uint32_t prog, vers, proc;
	uint32_t line;
} tt_rule;

/* Parses the matcher text s[0..n) into m (m->pat allocated on success).
 * On error returns TETHER_E_INVAL (or TETHER_E_NOMEM) and *why gets a
 * static message and *at the byte offset in s it refers to. */
TETHER_WUR tether_status tt_matcher_parse(const char *s, size_t n,
					  tt_matcher *m, const char **why,
					  size_t *at);
void tt_matcher_clear(tt_matcher *m);
bool tt_matcher_match(const tt_matcher *m, const tt_subject *s);

/* Appends a rule (takes ownership of r->m.pat, also on failure). */
TETHER_WUR tether_status tt_policy_push(tether_policy *p, tt_rule *r);
/* Drops rules back to count n (undo of a failed load). */
void tt_policy_truncate(tether_policy *p, size_t n);

TETHER_WUR tether_status tt_policy_check_subject(const tether_policy *p,
						 const tt_subject *s,
						 uint32_t prog, uint32_t vers,
						 uint32_t proc,
						 size_t *rule_index);

#endif /* TT_SECURITY_INT_H */
