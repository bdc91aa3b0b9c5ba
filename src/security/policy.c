/* SPDX-License-Identifier: MIT */
/* policy.c - the authorization policy: an ordered list of allow/deny rules
 * from identity matchers to program/version/procedure, first match wins,
 * default deny once any rule exists. Decided before argument decoding
 * (DESIGN §1); a denial is answered MSG_DENIED / AUTH_ERROR / AUTH_TOOWEAK
 * (RFC 5531 §9), see docs/policy.md. */
#include <string.h>

#include "common/tt.h"
#include "security/security_int.h"

#define POLICY_MAGIC 0x706f6c69u /* "poli" */

struct tether_policy {
	uint32_t magic;
	tt_rule *rules;
	size_t n, cap;
};

static bool good(const tether_policy *p)
{
	return p != NULL && p->magic == POLICY_MAGIC;
}

tether_status tether_policy_new(tether_policy **out)
{
	if (out == NULL)
		return TETHER_E_INVAL;
	*out = tt_calloc(1, sizeof(**out));
	if (*out == NULL)
		return TETHER_E_NOMEM;
	(*out)->magic = POLICY_MAGIC;
	return TETHER_OK;
}

void tt_policy_truncate(tether_policy *p, size_t n)
{
	while (good(p) && p->n > n)
		tt_matcher_clear(&p->rules[--p->n].m);
}

void tether_policy_free(tether_policy *p)
{
	if (!good(p))
		return;
	tt_policy_truncate(p, 0);
	tt_free(p->rules, p->cap * sizeof(*p->rules));
	p->magic = 0;
	tt_free(p, sizeof(*p));
}

static tether_status grow(tether_policy *p)
{
	size_t ncap = p->cap == 0 ? 8 : p->cap * 2;
	if (ncap > TETHER_POLICY_MAX_RULES)
		ncap = TETHER_POLICY_MAX_RULES;
	tt_rule *r =
	    tt_realloc(p->rules, p->cap * sizeof(*r), ncap * sizeof(*r));
	if (r == NULL)
		return TETHER_E_NOMEM;
	p->rules = r;
	p->cap = ncap;
	return TETHER_OK;
}

tether_status tt_policy_push(tether_policy *p, tt_rule *r)
{
	tether_status st = TETHER_OK;
	if (!good(p))
		st = TETHER_E_INVAL;
	else if (p->n >= TETHER_POLICY_MAX_RULES)
		st = TETHER_E_TOO_LARGE;
	else if (p->n == p->cap)
		st = grow(p);
	if (st != TETHER_OK) {
		tt_matcher_clear(&r->m);
		return st;
	}
	p->rules[p->n++] = *r;
	return TETHER_OK;
}

static tether_status add_rule(tether_policy *p, bool allow, const char *who,
			      uint32_t prog, uint32_t vers, uint32_t proc)
{
	const char *why;
	size_t at;
	if (!good(p) || who == NULL)
		return TETHER_E_INVAL;
	size_t n = strnlen(who, TETHER_POLICY_MAX_PATTERN + 32);
	tt_rule r = {.allow = allow, .prog = prog, .vers = vers, .proc = proc};
	TT_TRY(tt_matcher_parse(who, n, &r.m, &why, &at));
	return tt_policy_push(p, &r);
}

tether_status tether_policy_allow(tether_policy *p, const char *who,
				  uint32_t prog, uint32_t vers, uint32_t proc)
{
	return add_rule(p, true, who, prog, vers, proc);
}

tether_status tether_policy_deny(tether_policy *p, const char *who,
				 uint32_t prog, uint32_t vers, uint32_t proc)
{
	return add_rule(p, false, who, prog, vers, proc);
}

size_t tether_policy_rule_count(const tether_policy *p)
{
	return good(p) ? p->n : 0;
}

uint32_t tether_policy_rule_line(const tether_policy *p, size_t i)
{
	return good(p) && i < p->n ? p->rules[i].line : 0;
}

static bool num_match(uint32_t rule, uint32_t v)
{
	return rule == TETHER_POLICY_ANY || rule == v;
}

tether_status tt_policy_check_subject(const tether_policy *p,
				      const tt_subject *s, uint32_t prog,
				      uint32_t vers, uint32_t proc,
				      size_t *rule_index)
{
	if (rule_index != NULL)
		*rule_index = TETHER_POLICY_NO_RULE;
	if (!good(p))
		return TETHER_E_DENIED; /* fail closed on misuse */
	if (p->n == 0)
		return TETHER_OK;
	for (size_t i = 0; i < p->n; i++) {
		const tt_rule *r = &p->rules[i];
		if (!num_match(r->prog, prog) || !num_match(r->vers, vers) ||
		    !num_match(r->proc, proc) || !tt_matcher_match(&r->m, s))
			continue;
		if (rule_index != NULL)
			*rule_index = i;
		return r->allow ? TETHER_OK : TETHER_E_DENIED;
	}
	return TETHER_E_DENIED;
}

void tt_subject_of(const tether_peer_identity *id, tt_subject *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = tether_peer_identity_kind(id);
	s->source = tether_peer_identity_name_source(id);
	s->name = tether_peer_identity_name(id);
	s->fingerprint = tether_peer_identity_fingerprint(id);
	s->has_unix = tether_peer_identity_unix(id, &s->uid, &s->gid, NULL);
}

tether_status tether_policy_check(const tether_policy *p,
				  const tether_peer_identity *id, uint32_t prog,
				  uint32_t vers, uint32_t proc,
				  size_t *rule_index)
{
	tt_subject s;
	tt_subject_of(id, &s);
	return tt_policy_check_subject(p, &s, prog, vers, proc, rule_index);
}

tether_status tether_security_refusal(tether_status st, int32_t *reply_stat,
				      int32_t *accept_stat, int32_t *auth_stat)
{
	if (reply_stat == NULL || accept_stat == NULL || auth_stat == NULL)
		return TETHER_E_INVAL;
	*reply_stat = *accept_stat = *auth_stat = TETHER_AUDIT_NONE_I32;
	switch (st) {
	case TETHER_E_DENIED:
		/* RFC 5531 §9: rejected_reply AUTH_ERROR, AUTH_TOOWEAK
		 * "rejected for security reasons". */
		*reply_stat = 1;
		*auth_stat = 5;
		return TETHER_OK;
	case TETHER_E_RATE_LIMITED:
		/* RFC 5531 §9: accepted_reply SYSTEM_ERR, a transient
		 * server-side condition; not AUTH_ERROR, which tells clients
		 * to give up on their credentials. */
		*reply_stat = 0;
		*accept_stat = 5;
		return TETHER_OK;
	default:
		return TETHER_E_INVAL;
	}
}
