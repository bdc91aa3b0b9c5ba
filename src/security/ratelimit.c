/* SPDX-License-Identifier: MIT */
/* ratelimit.c - token buckets per peer identity and per source address,
 * one rule per (scope, prog, vers, proc) pattern, in a fixed-size table
 * with LRU recycling so that an attacker rotating addresses cannot grow
 * memory (DESIGN §1 "floods"). Time is passed in (now_ms); one mutex makes
 * it safe to share between I/O threads. Tokens are counted in thousandths
 * so refill is exact integer arithmetic. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/tt.h"
#include "security/security_int.h"

#define RL_MAGIC 0x726c696du /* "rlim" */
#define RL_MAX_RULES 1024u
#define RL_MAX_BUCKETS (1u << 22)
#define NIL UINT32_MAX
#define MILLI 1000u

typedef struct rl_rule {
	tether_rl_scope scope;
	uint32_t prog, vers, proc;
	uint64_t rate;	    /* tokens per second = milli-tokens per ms */
	uint64_t cap_milli; /* burst * 1000 */
} rl_rule;

typedef struct bucket {
	uint64_t hash;
	uint64_t milli; /* tokens * 1000 */
	uint64_t last_ms;
	uint32_t rule;
	uint32_t hnext;	     /* hash chain */
	uint32_t prev, next; /* LRU list: head is most recent */
	uint16_t keylen;
	uint8_t scope;
	uint8_t used;
	char key[TETHER_RL_KEY_MAX + 1];
} bucket;

struct tether_ratelimit {
	uint32_t magic;
	pthread_mutex_t mu;
	uint64_t seed;
	rl_rule rules[RL_MAX_RULES];
	size_t nrules;
	bucket *b;
	size_t nb, used;
	uint32_t *heads; /* nheads chains, a power of two */
	size_t nheads;
	uint32_t lru_head, lru_tail;
};

static bool good(const tether_ratelimit *rl)
{
	return rl != NULL && rl->magic == RL_MAGIC;
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

static void rl_release(tether_ratelimit *rl)
{
	tt_free(rl->b, rl->nb * sizeof(*rl->b));
	tt_free(rl->heads, rl->nheads * sizeof(*rl->heads));
	tt_free(rl, sizeof(*rl));
}

tether_status tether_ratelimit_new(size_t max_buckets, uint64_t seed,
				   tether_ratelimit **out)
{
	if (out == NULL)
		return TETHER_E_INVAL;
	*out = NULL;
	if (max_buckets == 0)
		max_buckets = TETHER_RL_DEFAULT_BUCKETS;
	if (max_buckets < 2 || max_buckets > RL_MAX_BUCKETS)
		return TETHER_E_INVAL;
	tether_ratelimit *rl = tt_calloc(1, sizeof(*rl));
	if (rl == NULL)
		return TETHER_E_NOMEM;
	rl->nb = max_buckets;
	rl->nheads = pow2_at_least(max_buckets);
	rl->b = tt_calloc(rl->nb, sizeof(*rl->b));
	rl->heads = tt_alloc(rl->nheads * sizeof(*rl->heads));
	if (rl->b == NULL || rl->heads == NULL ||
	    pthread_mutex_init(&rl->mu, NULL) != 0) {
		rl_release(rl);
		return TETHER_E_NOMEM;
	}
	for (size_t i = 0; i < rl->nheads; i++)
		rl->heads[i] = NIL;
	rl->lru_head = rl->lru_tail = NIL;
	rl->seed = seed;
	rl->magic = RL_MAGIC;
	*out = rl;
	return TETHER_OK;
}

void tether_ratelimit_free(tether_ratelimit *rl)
{
	if (!good(rl))
		return;
	rl->magic = 0;
	(void)pthread_mutex_destroy(&rl->mu);
	rl_release(rl);
}

tether_status tether_ratelimit_add(tether_ratelimit *rl, tether_rl_scope scope,
				   uint32_t prog, uint32_t vers, uint32_t proc,
				   uint32_t rate_per_s, uint32_t burst)
{
	if (!good(rl) || rate_per_s == 0 || burst == 0 ||
	    (scope != TETHER_RL_IDENTITY && scope != TETHER_RL_ADDRESS))
		return TETHER_E_INVAL;
	(void)pthread_mutex_lock(&rl->mu);
	tether_status st = TETHER_E_TOO_LARGE;
	if (rl->nrules < RL_MAX_RULES) {
		rl->rules[rl->nrules++] =
		    (rl_rule){scope, prog,	 vers,
			      proc,  rate_per_s, (uint64_t)burst * MILLI};
		st = TETHER_OK;
	}
	(void)pthread_mutex_unlock(&rl->mu);
	return st;
}

static bool num_match(uint32_t rule, uint32_t v)
{
	return rule == TETHER_POLICY_ANY || rule == v;
}

/* The most specific rule of scope for the call: naming the program counts
 * most, then the version, then the procedure; the first added wins ties.
 * NIL if none. */
static uint32_t best_rule(const tether_ratelimit *rl, tether_rl_scope scope,
			  uint32_t prog, uint32_t vers, uint32_t proc)
{
	uint32_t best = NIL;
	int best_score = -1;
	for (size_t i = 0; i < rl->nrules; i++) {
		const rl_rule *r = &rl->rules[i];
		if (r->scope != scope || !num_match(r->prog, prog) ||
		    !num_match(r->vers, vers) || !num_match(r->proc, proc))
			continue;
		int score = (r->prog != TETHER_POLICY_ANY) * 4 +
			    (r->vers != TETHER_POLICY_ANY) * 2 +
			    (r->proc != TETHER_POLICY_ANY);
		if (score > best_score) {
			best_score = score;
			best = (uint32_t)i;
		}
	}
	return best;
}

/* Seeded FNV-1a with a 64-bit finalizer (MurmurHash3 fmix64). Not a
 * cryptographic PRF: the seed makes chains unpredictable, and the table
 * is fixed-size, so the worst case is bounded by max_buckets anyway. */
static uint64_t hash_key(uint64_t seed, uint8_t scope, uint32_t rule,
			 const char *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	uint8_t pre[5] = {scope, (uint8_t)(rule >> 24), (uint8_t)(rule >> 16),
			  (uint8_t)(rule >> 8), (uint8_t)rule};
	for (size_t i = 0; i < sizeof(pre); i++)
		h = (h ^ pre[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 0x100000001b3ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* The stored form of a key: as is up to TETHER_RL_KEY_MAX bytes; longer
 * keys keep a prefix and end in '#' and 16 hex digits of their hash. */
static size_t canon_key(uint64_t seed, const char *k, char *out)
{
	size_t n = strnlen(k, TETHER_RL_KEY_MAX + 1);
	if (n <= TETHER_RL_KEY_MAX) {
		memcpy(out, k, n);
		return n;
	}
	size_t full = n + strlen(k + n);
	size_t keep = TETHER_RL_KEY_MAX - 17;
	memcpy(out, k, keep);
	(void)snprintf(out + keep, 18, "#%016llx",
		       (unsigned long long)hash_key(seed, 0, 0, k, full));
	return TETHER_RL_KEY_MAX;
}

static void lru_unlink(tether_ratelimit *rl, uint32_t i)
{
	bucket *b = &rl->b[i];
	if (b->prev != NIL)
		rl->b[b->prev].next = b->next;
	else
		rl->lru_head = b->next;
	if (b->next != NIL)
		rl->b[b->next].prev = b->prev;
	else
		rl->lru_tail = b->prev;
	b->prev = b->next = NIL;
}

static void lru_push_front(tether_ratelimit *rl, uint32_t i)
{
	bucket *b = &rl->b[i];
	b->prev = NIL;
	b->next = rl->lru_head;
	if (rl->lru_head != NIL)
		rl->b[rl->lru_head].prev = i;
	rl->lru_head = i;
	if (rl->lru_tail == NIL)
		rl->lru_tail = i;
}

static void chain_remove(tether_ratelimit *rl, uint32_t i)
{
	uint32_t *pp = &rl->heads[rl->b[i].hash & (rl->nheads - 1)];
	while (*pp != NIL && *pp != i)
		pp = &rl->b[*pp].hnext;
	if (*pp == i)
		*pp = rl->b[i].hnext;
}

/* A slot for a new bucket: an unused one, else the least recently used
 * one, recycled. */
static uint32_t take_slot(tether_ratelimit *rl)
{
	if (rl->used < rl->nb)
		return (uint32_t)rl->used++;
	uint32_t i = rl->lru_tail;
	chain_remove(rl, i);
	lru_unlink(rl, i);
	return i;
}

static void refill(bucket *b, const rl_rule *r, uint64_t now_ms)
{
	if (now_ms <= b->last_ms)
		return; /* same instant, or the clock went back: no refill */
	uint64_t dt = now_ms - b->last_ms;
	uint64_t need = r->cap_milli - b->milli;
	b->last_ms = now_ms;
	/* Compare before multiplying: dt * rate cannot overflow below. */
	if (dt >= need / r->rate + 1)
		b->milli = r->cap_milli;
	else
		b->milli += dt * r->rate;
	if (b->milli > r->cap_milli)
		b->milli = r->cap_milli;
}

/* Finds or creates the bucket of (scope, rule, key), refilled to now. */
static uint32_t get_bucket(tether_ratelimit *rl, uint8_t scope, uint32_t rule,
			   const char *key, uint64_t now_ms)
{
	char k[TETHER_RL_KEY_MAX + 1];
	size_t n = canon_key(rl->seed, key, k);
	uint64_t h = hash_key(rl->seed, scope, rule, k, n);
	uint32_t *head = &rl->heads[h & (rl->nheads - 1)];
	for (uint32_t i = *head; i != NIL; i = rl->b[i].hnext) {
		bucket *b = &rl->b[i];
		if (b->hash == h && b->scope == scope && b->rule == rule &&
		    b->keylen == n && memcmp(b->key, k, n) == 0) {
			refill(b, &rl->rules[rule], now_ms);
			lru_unlink(rl, i);
			lru_push_front(rl, i);
			return i;
		}
	}
	uint32_t i = take_slot(rl);
	bucket *b = &rl->b[i];
	*b = (bucket){.hash = h,
		      .milli = rl->rules[rule].cap_milli,
		      .last_ms = now_ms,
		      .rule = rule,
		      .scope = scope,
		      .keylen = (uint16_t)n,
		      .used = 1};
	memcpy(b->key, k, n);
	/* Re-read the head: take_slot may have unlinked from this chain. */
	head = &rl->heads[h & (rl->nheads - 1)];
	b->hnext = *head;
	*head = i;
	lru_push_front(rl, i);
	return i;
}

static uint32_t bucket_for(tether_ratelimit *rl, tether_rl_scope scope,
			   const char *key, uint32_t prog, uint32_t vers,
			   uint32_t proc, uint64_t now_ms)
{
	if (key == NULL)
		return NIL;
	uint32_t rule = best_rule(rl, scope, prog, vers, proc);
	if (rule == NIL)
		return NIL;
	return get_bucket(rl, (uint8_t)scope, rule, key, now_ms);
}

tether_status tether_ratelimit_check(tether_ratelimit *rl, const char *id_key,
				     const char *addr_key, uint32_t prog,
				     uint32_t vers, uint32_t proc,
				     uint64_t now_ms,
				     tether_rl_scope *scope_hit)
{
	if (!good(rl))
		return TETHER_E_INVAL;
	(void)pthread_mutex_lock(&rl->mu);
	/* The identity bucket is most recent when the address bucket is
	 * looked up, so with max_buckets >= 2 it cannot be recycled by it. */
	uint32_t bi = bucket_for(rl, TETHER_RL_IDENTITY, id_key, prog, vers,
				 proc, now_ms);
	uint32_t ba = bucket_for(rl, TETHER_RL_ADDRESS, addr_key, prog, vers,
				 proc, now_ms);
	tether_status st = TETHER_OK;
	if (bi != NIL && rl->b[bi].milli < MILLI) {
		st = TETHER_E_RATE_LIMITED;
		if (scope_hit != NULL)
			*scope_hit = TETHER_RL_IDENTITY;
	} else if (ba != NIL && rl->b[ba].milli < MILLI) {
		st = TETHER_E_RATE_LIMITED;
		if (scope_hit != NULL)
			*scope_hit = TETHER_RL_ADDRESS;
	} else {
		if (bi != NIL)
			rl->b[bi].milli -= MILLI;
		if (ba != NIL)
			rl->b[ba].milli -= MILLI;
	}
	(void)pthread_mutex_unlock(&rl->mu);
	return st;
}

size_t tether_ratelimit_buckets(tether_ratelimit *rl)
{
	if (!good(rl))
		return 0;
	(void)pthread_mutex_lock(&rl->mu);
	size_t n = rl->used;
	(void)pthread_mutex_unlock(&rl->mu);
	return n;
}

tether_status tether_peer_key(const tether_peer_identity *id, char *buf,
			      size_t cap)
{
	uint32_t uid = 0;
	int n;
	if (buf == NULL || cap == 0)
		return TETHER_E_INVAL;
	switch (tether_peer_identity_kind(id)) {
	case TETHER_PEER_TLS:
		if (tether_peer_identity_name(id)[0] != '\0')
			n = snprintf(buf, cap, "tls:%s",
				     tether_peer_identity_name(id));
		else
			n = snprintf(buf, cap, "tls-sha256:%s",
				     tether_peer_identity_fingerprint(id));
		break;
	case TETHER_PEER_UNIX:
		(void)tether_peer_identity_unix(id, &uid, NULL, NULL);
		n = snprintf(buf, cap, "unix-uid:%u", (unsigned)uid);
		break;
	default:
		n = snprintf(buf, cap, "%s", "");
		break;
	}
	if (n < 0)
		return TETHER_E_INVAL;
	return (size_t)n >= cap ? TETHER_E_TOO_LARGE : TETHER_OK;
}
