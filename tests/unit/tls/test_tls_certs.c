/* SPDX-License-Identifier: MIT */
/* test_tls_certs.c - development certificates from certs.c: file modes,
 * O_EXCL, the X.509 contents (CA flag, usages, SANs, validity) checked with
 * OpenSSL's own verifier, and argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls_fixture.h"

static fx F;

static int setup(void **state)
{
	(void)state;
	umask(022);
	return fx_init(&F) == 0 && fx_make_ca(&F, "ca") == TETHER_OK &&
		       fx_make_ca(&F, "other") == TETHER_OK
		   ? 0
		   : -1;
}

static int teardown(void **state)
{
	(void)state;
	fx_cleanup(&F);
	return 0;
}

static X509 *load(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.crt", F.dir, name);
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	return x;
}

static unsigned mode_of(const char *file)
{
	char path[512];
	struct stat st;
	fx_path(&F, file, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	return (unsigned)st.st_mode & 0777;
}

/* OpenSSL's verdict on leaf `name` against CA `ca` for a purpose. */
static int verify(const char *ca, const char *name, int purpose)
{
	X509 *cax = load(ca), *x = load(name);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	assert_int_equal(X509_STORE_add_cert(store, cax), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
	X509_STORE_CTX_set_purpose(ctx, purpose);
	int ok = X509_verify_cert(ctx);
	int err = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(x);
	X509_free(cax);
	return err;
}

static void test_modes_and_ca(void **state)
{
	(void)state;
	assert_int_equal(mode_of("ca.key"), 0600);
	assert_int_equal(mode_of("ca.crt"), 0644);
	X509 *ca = load("ca");
	assert_int_equal(X509_check_ca(ca), 1);
	assert_true(X509_get_extension_flags(ca) & EXFLAG_SS);
	assert_int_equal(X509_check_issued(ca, ca), X509_V_OK);
	X509_free(ca);
}

static void test_server_cert(void **state)
{
	(void)state;
	assert_int_equal(fx_issue(&F, "ca", "srv", "srv", "svc.example", "::1",
				  NULL, TETHER_CERT_SERVER, -60, 3600),
			 TETHER_OK);
	assert_int_equal(mode_of("srv.key"), 0600);
	assert_int_equal(verify("ca", "srv", X509_PURPOSE_SSL_SERVER),
			 X509_V_OK);
	/* serverAuth only: not usable as a client certificate. */
	assert_int_not_equal(verify("ca", "srv", X509_PURPOSE_SSL_CLIENT),
			     X509_V_OK);
	assert_int_not_equal(verify("other", "srv", X509_PURPOSE_SSL_SERVER),
			     X509_V_OK);
	X509 *x = load("srv");
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(X509_check_host(x, "svc.example", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "other.example", 0, 0, NULL), 0);
	assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 0);
	X509_free(x);
}

static void test_client_cert_identity(void **state)
{
	(void)state;
	char name[256];
	tether_peer_name_source src;
	assert_int_equal(fx_issue(&F, "ca", "cli", "cli-cn", "cli.example",
				  NULL, "urn:tether:cli", TETHER_CERT_CLIENT,
				  -60, 3600),
			 TETHER_OK);
	assert_int_equal(verify("ca", "cli", X509_PURPOSE_SSL_CLIENT),
			 X509_V_OK);
	X509 *x = load("cli");
	assert_int_equal(tt_identity_name_of(x, name, sizeof(name), &src),
			 TETHER_OK);
	assert_string_equal(name, "urn:tether:cli");
	assert_int_equal(src, TETHER_PEER_NAME_SAN_URI);
	/* A buffer too small for the name: not silently truncated. */
	assert_int_equal(tt_identity_name_of(x, name, 5, &src),
			 TETHER_E_NOT_FOUND);
	X509_free(x);
}

static void test_expired(void **state)
{
	(void)state;
	assert_int_equal(fx_issue(&F, "ca", "old", "old", NULL, NULL, NULL,
				  TETHER_CERT_CLIENT, -7200, -3600),
			 TETHER_OK);
	X509 *x = load("old");
	assert_true(X509_cmp_current_time(X509_get0_notAfter(x)) < 0);
	X509_free(x);
	assert_int_equal(verify("ca", "old", X509_PURPOSE_SSL_CLIENT),
			 X509_V_ERR_CERT_HAS_EXPIRED);
}

/* O_EXCL: an existing key or certificate is never overwritten. */
static void test_no_overwrite(void **state)
{
	(void)state;
	char crt[512], key[512];
	X509 *before = load("ca");
	fx_path(&F, "ca.crt", crt, sizeof(crt));
	fx_path(&F, "ca.key", key, sizeof(key));
	tether_cert_opts *o;
	assert_int_equal(tether_cert_opts_new(&o), TETHER_OK);
	assert_int_equal(tether_certs_make_ca(o, crt, key), TETHER_E_IO);
	/* Key path free but certificate taken: the new key is removed. */
	fx_path(&F, "fresh.key", key, sizeof(key));
	assert_int_equal(tether_certs_make_ca(o, crt, key), TETHER_E_IO);
	struct stat st;
	assert_int_not_equal(stat(key, &st), 0);
	tether_cert_opts_free(o);
	X509 *after = load("ca");
	assert_int_equal(X509_cmp(before, after), 0);
	X509_free(before);
	X509_free(after);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	tether_cert_opts *o;
	char crt[512], key[512], ca[512], cakey[512];
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(tether_cert_opts_new(&o), TETHER_OK);
	assert_int_equal(tether_cert_opts_add_ip(o, "not-an-ip"),
			 TETHER_E_INVAL);
	assert_int_equal(tether_cert_opts_add_dns(o, ""), TETHER_E_INVAL);
	assert_int_equal(tether_cert_opts_add_dns(o, long_name),
			 TETHER_E_INVAL);
	assert_int_equal(tether_cert_opts_set_validity(o, 10, 10),
			 TETHER_E_INVAL);
	assert_int_equal(tether_cert_opts_set_usage(o, 4), TETHER_E_INVAL);
	fx_path(&F, "x.crt", crt, sizeof(crt));
	fx_path(&F, "x.key", key, sizeof(key));
	fx_path(&F, "ca.crt", ca, sizeof(ca));
	fx_path(&F, "ca.key", cakey, sizeof(cakey));
	/* No name at all. */
	assert_int_equal(tether_certs_issue(o, ca, cakey, crt, key),
			 TETHER_E_INVAL);
	for (int i = 0; i < 16; i++)
		assert_int_equal(tether_cert_opts_add_dns(o, "a.example"),
				 TETHER_OK);
	assert_int_equal(tether_cert_opts_add_dns(o, "b.example"),
			 TETHER_E_TOO_LARGE);
	/* CA key that does not match the CA certificate. */
	fx_path(&F, "other.key", cakey, sizeof(cakey));
	assert_int_equal(tether_certs_issue(o, ca, cakey, crt, key),
			 TETHER_E_CERT);
	struct stat st;
	assert_int_not_equal(stat(key, &st), 0);
	tether_cert_opts_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_modes_and_ca),
	    cmocka_unit_test(test_server_cert),
	    cmocka_unit_test(test_client_cert_identity),
	    cmocka_unit_test(test_expired),
	    cmocka_unit_test(test_no_overwrite),
	    cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
