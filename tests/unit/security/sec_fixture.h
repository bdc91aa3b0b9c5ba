/* SPDX-License-Identifier: MIT */
/* sec_fixture.h - helpers for the security unit tests: real peer
 * identities (TLS from an in-memory self-signed certificate, Unix, none),
 * a counting allocator, and a tiny JSON reader for flat objects. */
#ifndef SEC_FIXTURE_H
#define SEC_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tether/security.h>

/* A TLS identity from a fresh EC P-256 certificate with the given SAN URI,
 * SAN DNS and subject CN (NULL to omit each). NULL on failure. */
tether_peer_identity *sfx_tls_identity(const char *uri, const char *dns,
				       const char *cn);
tether_peer_identity *sfx_unix_identity(uint32_t uid, uint32_t gid,
					int32_t pid);
tether_peer_identity *sfx_none_identity(void);

/* Installs an allocator counting live bytes (sfx_live_bytes()). */
void sfx_count_allocs(bool on);
size_t sfx_live_bytes(void);
/* With counting on: the allocation after n more succeed fails (0: the
 * next one); -1 turns failures off. */
void sfx_fail_alloc(long n);
/* Whether the failure set by sfx_fail_alloc() happened. */
bool sfx_fail_fired(void);

/* A flat JSON object: keys in order, each value a decoded string, a raw
 * number/true/false, or null. */
#define SFX_JSON_MAX_FIELDS 64
typedef enum sfx_jtype { SFX_J_STR, SFX_J_NUM, SFX_J_NULL } sfx_jtype;
typedef struct sfx_jfield {
	char key[64];
	sfx_jtype type;
	char val[8192]; /* decoded string (UTF-8) or the number text */
} sfx_jfield;
typedef struct sfx_json {
	size_t n;
	sfx_jfield f[SFX_JSON_MAX_FIELDS];
} sfx_json;

/* Parses s strictly (RFC 8259 subset: one object of scalar values, no
 * trailing bytes; strings must be valid escapes and valid UTF-8 with no
 * raw control bytes). Returns 0 on success. */
int sfx_json_parse(const char *s, sfx_json *out);
/* The field named key, or NULL. */
const sfx_jfield *sfx_json_get(const sfx_json *j, const char *key);

#endif /* SEC_FIXTURE_H */
