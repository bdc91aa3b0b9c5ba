/* SPDX-License-Identifier: MIT */
/* config.c - tether_tls_config: the public option object for TLS, with the
 * secure defaults of DESIGN §7 (mutual auth, no resumption, 5 s handshake). */
#include <string.h>

#include "common/tt.h"
#include "tls_priv.h"

tether_status tt_tls_strdup(const char *s, size_t max, char **out)
{
	*out = NULL;
	if (s == NULL)
		return TETHER_OK;
	size_t n = strnlen(s, max + 1);
	if (n == 0 || n > max)
		return TETHER_E_INVAL;
	char *p = tt_alloc(n + 1);
	if (p == NULL)
		return TETHER_E_NOMEM;
	memcpy(p, s, n);
	p[n] = '\0';
	*out = p;
	return TETHER_OK;
}

void tt_tls_strfree(char *s)
{
	if (s == NULL)
		return;
	size_t n = strlen(s) + 1;
	tt_memzero(s, n);
	tt_free(s, n);
}

tether_status tether_tls_config_new(tether_tls_config **out)
{
	if (out == NULL)
		return TETHER_E_INVAL;
	tether_tls_config *c = tt_calloc(1, sizeof(*c));
	*out = NULL;
	if (c == NULL)
		return TETHER_E_NOMEM;
	c->magic = TT_TLS_CONFIG_MAGIC;
	c->require_client_cert = true;
	c->allow_resumption = false;
	c->handshake_timeout_ms = TETHER_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS;
	*out = c;
	return TETHER_OK;
}

void tether_tls_config_free(tether_tls_config *c)
{
	if (c == NULL || c->magic != TT_TLS_CONFIG_MAGIC)
		return;
	tt_tls_strfree(c->ca_file);
	tt_tls_strfree(c->ca_dir);
	tt_tls_strfree(c->cert_file);
	tt_tls_strfree(c->key_file);
	tt_tls_strfree(c->expected_peer);
	tt_memzero(c, sizeof(*c));
	tt_free(c, sizeof(*c));
}

/* Replaces *slot by a copy of s; on failure *slot is unchanged. */
static tether_status set_string(tether_tls_config *c, char **slot,
				const char *s)
{
	if (c == NULL || c->magic != TT_TLS_CONFIG_MAGIC)
		return TETHER_E_INVAL;
	char *copy;
	TT_TRY(tt_tls_strdup(s, TT_TLS_PATH_MAX, &copy));
	tt_tls_strfree(*slot);
	*slot = copy;
	return TETHER_OK;
}

tether_status tether_tls_config_set_ca_file(tether_tls_config *c,
					    const char *path)
{
	return set_string(c, c ? &c->ca_file : NULL, path);
}

tether_status tether_tls_config_set_ca_dir(tether_tls_config *c,
					   const char *path)
{
	return set_string(c, c ? &c->ca_dir : NULL, path);
}

tether_status tether_tls_config_set_cert_file(tether_tls_config *c,
					      const char *path)
{
	return set_string(c, c ? &c->cert_file : NULL, path);
}

tether_status tether_tls_config_set_key_file(tether_tls_config *c,
					     const char *path)
{
	return set_string(c, c ? &c->key_file : NULL, path);
}

tether_status tether_tls_config_set_expected_peer(tether_tls_config *c,
						  const char *name)
{
	return set_string(c, c ? &c->expected_peer : NULL, name);
}

void tether_tls_config_set_require_client_cert(tether_tls_config *c, bool on)
{
	if (c != NULL && c->magic == TT_TLS_CONFIG_MAGIC)
		c->require_client_cert = on;
}

void tether_tls_config_set_allow_resumption(tether_tls_config *c, bool on)
{
	if (c != NULL && c->magic == TT_TLS_CONFIG_MAGIC)
		c->allow_resumption = on;
}

void tether_tls_config_set_handshake_timeout_ms(tether_tls_config *c,
						uint32_t ms)
{
	if (c != NULL && c->magic == TT_TLS_CONFIG_MAGIC)
		c->handshake_timeout_ms =
		    ms ? ms : TETHER_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS;
}

uint32_t tether_tls_config_handshake_timeout_ms(const tether_tls_config *c)
{
	if (c == NULL || c->magic != TT_TLS_CONFIG_MAGIC)
		return TETHER_TLS_DEFAULT_HANDSHAKE_TIMEOUT_MS;
	return c->handshake_timeout_ms;
}
