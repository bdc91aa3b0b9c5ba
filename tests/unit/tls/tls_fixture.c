/* SPDX-License-Identifier: MIT */
/* tls_fixture.c - temp-dir certificates and a byte pump for the TLS tests. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls_fixture.h"

int fx_init(fx *f)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/tether-tls-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(f->dir) != NULL ? 0 : -1;
}

void fx_path(const fx *f, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", f->dir, name);
}

void fx_cleanup(fx *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char p[512];
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		fx_path(f, e->d_name, p, sizeof(p));
		unlink(p);
	}
	closedir(d);
	rmdir(f->dir);
}

static void pair(const fx *f, const char *name, char *crt, char *key,
		 size_t cap)
{
	char n[128];
	snprintf(n, sizeof(n), "%s.crt", name);
	fx_path(f, n, crt, cap);
	snprintf(n, sizeof(n), "%s.key", name);
	fx_path(f, n, key, cap);
}

tether_status fx_make_ca(fx *f, const char *name)
{
	char crt[512], key[512];
	tether_cert_opts *o;
	pair(f, name, crt, key, sizeof(crt));
	TT_TRY(tether_cert_opts_new(&o));
	tether_status st = tether_cert_opts_set_common_name(o, name);
	if (st == TETHER_OK)
		st = tether_certs_make_ca(o, crt, key);
	tether_cert_opts_free(o);
	return st;
}

tether_status fx_issue(fx *f, const char *ca, const char *name, const char *cn,
		       const char *dns, const char *ip, const char *uri,
		       unsigned usage, int64_t nb, int64_t na)
{
	char ccrt[512], ckey[512], crt[512], key[512];
	tether_cert_opts *o;
	pair(f, ca, ccrt, ckey, sizeof(ccrt));
	pair(f, name, crt, key, sizeof(crt));
	TT_TRY(tether_cert_opts_new(&o));
	tether_status st = TETHER_OK;
	if (cn)
		st = tether_cert_opts_set_common_name(o, cn);
	if (st == TETHER_OK && dns)
		st = tether_cert_opts_add_dns(o, dns);
	if (st == TETHER_OK && ip)
		st = tether_cert_opts_add_ip(o, ip);
	if (st == TETHER_OK && uri)
		st = tether_cert_opts_add_uri(o, uri);
	if (st == TETHER_OK)
		st = tether_cert_opts_set_usage(o, usage);
	if (st == TETHER_OK)
		st = tether_cert_opts_set_validity(o, nb, na);
	if (st == TETHER_OK)
		st = tether_certs_issue(o, ccrt, ckey, crt, key);
	tether_cert_opts_free(o);
	return st;
}

tether_status fx_ctx(fx *f, const char *ca, const char *name,
		     const char *expected, bool require_client_cert,
		     tt_tls_ctx **out)
{
	char ccrt[512], ckey[512], crt[512], key[512], reason[256];
	tether_tls_config *c;
	pair(f, ca, ccrt, ckey, sizeof(ccrt));
	TT_TRY(tether_tls_config_new(&c));
	tether_status st = tether_tls_config_set_ca_file(c, ccrt);
	if (st == TETHER_OK && name) {
		pair(f, name, crt, key, sizeof(crt));
		st = tether_tls_config_set_cert_file(c, crt);
		if (st == TETHER_OK)
			st = tether_tls_config_set_key_file(c, key);
	}
	if (st == TETHER_OK && expected)
		st = tether_tls_config_set_expected_peer(c, expected);
	tether_tls_config_set_require_client_cert(c, require_client_cert);
	if (st == TETHER_OK)
		st = tt_tls_ctx_new(c, out, reason, sizeof(reason));
	tether_tls_config_free(c);
	return st;
}

/* Moves up to one chunk from a's output to b's input; returns bytes. */
static size_t move(tt_tls *a, tt_tls *b, bool random, unsigned *seed)
{
	size_t len, used = 0;
	const uint8_t *p = tt_tls_net_out_buf(a, &len);
	if (len == 0)
		return 0;
	size_t n = len;
	if (random)
		n = 1 + (size_t)rand_r(seed) % (len < 3000 ? len : 3000);
	/* A failure is sticky: the tests read it with tt_tls_error(). */
	tether_status st = tt_tls_net_in(b, p, n, &used);
	TT_UNUSED(st);
	tt_tls_net_out_ack(a, used);
	return used;
}

int fx_pump(tt_tls *a, tt_tls *b, bool random, unsigned *seed, int max_rounds)
{
	int r;
	for (r = 0; r < max_rounds; r++) {
		size_t moved = move(a, b, random, seed);
		moved += move(b, a, random, seed);
		if (moved == 0)
			break;
	}
	return r;
}
