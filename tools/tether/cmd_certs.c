/* SPDX-License-Identifier: MIT */
/*
 * cmd_certs.c - `tether certs ca DIR` and `tether certs issue DIR NAME`: a
 * development certificate authority and certificates signed by it, made by
 * tether_certs_* (tether/tls.h): EC P-256, keys written mode 0600, never
 * overwriting a file. Not a production PKI.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <tether/tls.h>

#include "cli.h"

static const char help[] =
    "usage: tether certs ca DIR [--cn NAME] [--days N]\n"
    "       tether certs issue DIR NAME [--dns NAME]... [--ip ADDR]... [--uri "
    "URI]...\n"
    "                                   [--server] [--client] [--days N]\n"
    "ca     writes DIR/ca.pem (certificate) and DIR/ca.key (key, mode 0600)\n"
    "issue  writes DIR/NAME.pem and DIR/NAME.key signed by DIR/ca.pem/ca.key;\n"
    "       common name NAME, usage --server (the default) and/or --client\n"
    "Existing files are never overwritten. DIR is created (mode 0700) if "
    "needed.\n";

typedef struct certs_opts {
	const char *cn, *days, *dns[16], *ip[16], *uri[16], *pos[3];
	size_t ndns, nip, nuri, npos;
	bool server, client, help;
} certs_opts;

static int parse(int argc, char **argv, certs_opts *o)
{
	const cli_opt opts[] = {
	    {"cn", &o->cn, NULL, NULL, NULL, 0},
	    {"days", &o->days, NULL, NULL, NULL, 0},
	    {"dns", NULL, NULL, o->dns, &o->ndns, 16},
	    {"ip", NULL, NULL, o->ip, &o->nip, 16},
	    {"uri", NULL, NULL, o->uri, &o->nuri, 16},
	    {"server", NULL, &o->server, NULL, NULL, 0},
	    {"client", NULL, &o->client, NULL, NULL, 0},
	    {"help", NULL, &o->help, NULL, NULL, 0},
	};
	int rc = cli_parse(argc, argv, opts, sizeof(opts) / sizeof(opts[0]),
			   o->pos, 3, &o->npos);
	if (rc != CLI_OK || o->help || o->npos == 0) {
		fputs(help, rc || !o->help ? stderr : stdout);
		return rc != CLI_OK || !o->help ? CLI_EUSAGE : -1;
	}
	return CLI_OK;
}

static int fail(const char *what, tether_status st)
{
	cli_err("certs", "%s: %s (%s)", what, tether_strerror(st),
		tether_status_name(st));
	return st == TETHER_E_INVAL ? CLI_EUSAGE : CLI_ECALL;
}

static int apply(const certs_opts *o, tether_cert_opts *co, const char *cn)
{
	tether_status st = TETHER_OK;
	uint32_t days = 365;
	if (o->days != NULL &&
	    !cli_uint("certs", "--days", o->days, 1, 36500, &days))
		return CLI_EUSAGE;
	if (cn != NULL &&
	    (st = tether_cert_opts_set_common_name(co, cn)) != TETHER_OK)
		return fail("common name", st);
	for (size_t i = 0; i < o->ndns; i++)
		if ((st = tether_cert_opts_add_dns(co, o->dns[i])) != TETHER_OK)
			return fail(o->dns[i], st);
	for (size_t i = 0; i < o->nip; i++)
		if ((st = tether_cert_opts_add_ip(co, o->ip[i])) != TETHER_OK)
			return fail(o->ip[i], st);
	for (size_t i = 0; i < o->nuri; i++)
		if ((st = tether_cert_opts_add_uri(co, o->uri[i])) != TETHER_OK)
			return fail(o->uri[i], st);
	unsigned usage = (o->server ? TETHER_CERT_SERVER : 0) |
			 (o->client ? TETHER_CERT_CLIENT : 0);
	if (usage != 0 &&
	    (st = tether_cert_opts_set_usage(co, usage)) != TETHER_OK)
		return fail("usage", st);
	st = tether_cert_opts_set_validity(co, -300, (int64_t)days * 86400);
	return st == TETHER_OK ? CLI_OK : fail("validity", st);
}

/* NAME becomes a file name: letters, digits, '.', '_', '-', not leading '.'. */
static bool safe_name(const char *s)
{
	if (*s == '\0' || *s == '.' || strlen(s) > 100)
		return false;
	for (; *s; s++)
		if (!(*s == '.' || *s == '_' || *s == '-' ||
		      (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

static bool path(char *out, size_t n, const char *dir, const char *name,
		 const char *ext)
{
	int k = snprintf(out, n, "%s/%s.%s", dir, name, ext);
	if (k < 0 || (size_t)k >= n) {
		cli_err("certs", "path too long: %s", dir);
		return false;
	}
	return true;
}

static int make(const certs_opts *o, bool ca)
{
	char cert[4096], key[4096], cacert[4096], cakey[4096];
	const char *dir = o->pos[1], *name = ca ? "ca" : o->pos[2];
	tether_cert_opts *co;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		cli_err("certs", "cannot create %s: %s", dir, strerror(errno));
		return CLI_ECALL;
	}
	if (!path(cert, sizeof(cert), dir, name, "pem") ||
	    !path(key, sizeof(key), dir, name, "key") ||
	    !path(cacert, sizeof(cacert), dir, "ca", "pem") ||
	    !path(cakey, sizeof(cakey), dir, "ca", "key"))
		return CLI_EUSAGE;
	if (tether_cert_opts_new(&co) != TETHER_OK)
		return fail("options", TETHER_E_NOMEM);
	int rc = apply(o, co, ca ? o->cn : (o->cn ? o->cn : name));
	tether_status st = TETHER_OK;
	if (rc == CLI_OK)
		st = ca ? tether_certs_make_ca(co, cert, key)
			: tether_certs_issue(co, cacert, cakey, cert, key);
	tether_cert_opts_free(co);
	if (rc != CLI_OK)
		return rc;
	if (st == TETHER_E_IO)
		cli_err("certs",
			"cannot write %s or %s (existing files are never "
			"overwritten)",
			cert, key);
	else if (st == TETHER_E_CERT)
		cli_err("certs",
			"cannot use the CA %s / %s (missing or not a matching "
			"pair? run `tether certs ca %s` first)",
			cacert, cakey, dir);
	else if (st != TETHER_OK)
		return fail(name, st);
	if (st != TETHER_OK)
		return CLI_ECALL;
	printf("%s\n%s (mode 0600)\n", cert, key);
	return CLI_OK;
}

int cmd_certs(int argc, char **argv)
{
	certs_opts o = {0};
	int rc = parse(argc, argv, &o);
	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if (!strcmp(o.pos[0], "ca") && o.npos == 2) {
		if (o.ndns || o.nip || o.nuri || o.client || o.server) {
			cli_err("certs", "ca takes only --cn and --days");
			return CLI_EUSAGE;
		}
		return make(&o, true);
	}
	if (!strcmp(o.pos[0], "issue") && o.npos == 3) {
		if (!safe_name(o.pos[2])) {
			cli_err("certs",
				"NAME '%s' must be letters, digits, '.', '_' "
				"or '-' (it names the files)",
				o.pos[2]);
			return CLI_EUSAGE;
		}
		return make(&o, false);
	}
	cli_err("certs", "expected `ca DIR` or `issue DIR NAME`");
	fputs(help, stderr);
	return CLI_EUSAGE;
}
