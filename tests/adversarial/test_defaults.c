/* SPDX-License-Identifier: MIT */
/*
 * test_defaults.c - keeps docs/defaults.md true: every row of its table is
 * compared with what a fresh option object of the library holds
 * (tether_server_opts_get, a new tether_tls_config, a new XDR decoder).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tether/tether.h>

#include "tls/tls_priv.h"

/* The first `...` span of s into out; false if none. */
static bool backquoted(const char *s, char *out, size_t cap)
{
	const char *a = strchr(s, '`'), *b;
	if (a == NULL || (b = strchr(a + 1, '`')) == NULL ||
	    (size_t)(b - a - 1) >= cap)
		return false;
	memcpy(out, a + 1, (size_t)(b - a - 1));
	out[b - a - 1] = 0;
	return true;
}

static bool parse_value(const char *v, uint64_t *out)
{
	char *end;
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		*out = v[0] == 't';
		return true;
	}
	*out = strtoull(v, &end, 10);
	return end != v && *end == 0;
}

/* What the library holds for option name. */
static bool library_value(const tether_server_opts *o,
			  const tether_tls_config *tls, const char *name,
			  uint64_t *v)
{
	if (strcmp(name, "tls.handshake_timeout_ms") == 0) {
		*v = tether_tls_config_handshake_timeout_ms(tls);
		return true;
	}
	if (strcmp(name, "tls.require_client_cert") == 0) {
		*v = tls->require_client_cert;
		return true;
	}
	if (strcmp(name, "tls.allow_resumption") == 0) {
		*v = tls->allow_resumption;
		return true;
	}
	if (strcmp(name, "xdr.max_depth") == 0) {
		tether_dec d;
		tether_dec_init(&d, "", 0, NULL);
		*v = d.max_depth;
		return true;
	}
	return tether_server_opts_get(o, name, v) == TETHER_OK;
}

static FILE *open_doc(void)
{
	const char *root = getenv("TETHER_SOURCE_DIR");
	char path[1024];
	FILE *f;

	assert_non_null(root);
	snprintf(path, sizeof path, "%s/docs/defaults.md", root);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	return f;
}

static void test_defaults_table(void **state)
{
	tether_server_opts *o;
	tether_tls_config *tls;
	char line[2048], name[128], val[64];
	int rows = 0, bad = 0;
	FILE *f = open_doc();
	(void)state;

	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	assert_int_equal(tether_tls_config_new(&tls), TETHER_OK);
	while (fgets(line, sizeof line, f) != NULL) {
		char *cell2;
		uint64_t doc, lib;
		/* Table rows: | `name` | `value` ... | */
		if (strncmp(line, "| `", 3) != 0)
			continue;
		cell2 = strchr(line + 1, '|');
		assert_non_null(cell2);
		assert_true(backquoted(line, name, sizeof name));
		if (!backquoted(cell2, val, sizeof val) ||
		    !parse_value(val, &doc)) {
			print_error("%s: no value in the default column\n",
				    name);
			bad++;
			continue;
		}
		if (!library_value(o, tls, name, &lib)) {
			print_error("%s: not an option of the library\n", name);
			bad++;
		} else if (lib != doc) {
			print_error("%s: docs say %llu, library holds %llu\n",
				    name, (unsigned long long)doc,
				    (unsigned long long)lib);
			bad++;
		}
		rows++;
	}
	fclose(f);
	tether_tls_config_free(tls);
	tether_server_opts_free(o);
	assert_int_equal(bad, 0);
	/* The table has every DESIGN §7 limit (guards against a truncated
	 * file passing vacuously). */
	assert_true(rows >= 20);
}

/* The getter knows exactly the documented names: an unknown one is
 * refused, so a typo in the docs cannot pass. */
static void test_getter_refuses_unknown(void **state)
{
	tether_server_opts *o;
	uint64_t v = 7;
	(void)state;

	assert_int_equal(tether_server_opts_new(&o), TETHER_OK);
	assert_int_equal(tether_server_opts_get(o, "max_recrod", &v),
			 TETHER_E_NOT_FOUND);
	assert_int_equal(tether_server_opts_get(NULL, "max_record", &v),
			 TETHER_E_INVAL);
	tether_server_opts_set_max_record(o, 1000);
	assert_int_equal(tether_server_opts_get(o, "max_record", &v),
			 TETHER_OK);
	assert_int_equal(v, 1000);
	tether_server_opts_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_table),
	    cmocka_unit_test(test_getter_refuses_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
