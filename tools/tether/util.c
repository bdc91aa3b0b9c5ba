/* SPDX-License-Identifier: MIT */
/*
 * util.c - option parsing, exit codes, connecting and messages shared by
 * the `tether` subcommands.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tether/tls.h>

#include "cli.h"

void cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "tether %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t cli_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool cli_uint(const char *cmd, const char *what, const char *s, uint32_t lo,
	      uint32_t hi, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end != '\0' || v < lo || v > hi) {
		cli_err(cmd, "%s must be a number from %u to %u, not '%s'",
			what, lo, hi, s);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static const cli_opt *find_opt(const cli_opt *opts, size_t n, const char *name,
			       size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(opts[i].name) == len &&
		    !strncmp(opts[i].name, name, len))
			return &opts[i];
	return NULL;
}

static int take_opt(const cli_opt *o, const char *cmd, const char *arg,
		    const char *val)
{
	if (o->flag != NULL) {
		if (val != NULL) {
			cli_err(cmd, "option %s takes no value", arg);
			return CLI_EUSAGE;
		}
		*o->flag = true;
		return CLI_OK;
	}
	if (val == NULL) {
		cli_err(cmd, "option %s needs a value", arg);
		return CLI_EUSAGE;
	}
	if (o->multi != NULL) {
		if (*o->nmulti >= o->max) {
			cli_err(cmd, "option %s given more than %zu times", arg,
				o->max);
			return CLI_EUSAGE;
		}
		o->multi[(*o->nmulti)++] = val;
		return CLI_OK;
	}
	*o->val = val;
	return CLI_OK;
}

int cli_parse(int argc, char **argv, const cli_opt *opts, size_t nopts,
	      const char **pos, size_t maxpos, size_t *npos)
{
	const char *cmd = argv[0];
	bool only_pos = false;
	*npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!only_pos && !strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (only_pos || a[0] != '-' || a[1] != '-' || a[2] == '\0') {
			if (*npos >= maxpos) {
				cli_err(cmd,
					"unexpected argument '%s' (see tether "
					"%s --help)",
					a, cmd);
				return CLI_EUSAGE;
			}
			pos[(*npos)++] = a;
			continue;
		}
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		const cli_opt *o = find_opt(opts, nopts, a + 2, len);
		if (o == NULL) {
			cli_err(cmd,
				"unknown option '%s' (see tether %s --help)", a,
				cmd);
			return CLI_EUSAGE;
		}
		const char *val = eq ? eq + 1 : NULL;
		if (val == NULL && o->flag == NULL && i + 1 < argc)
			val = argv[++i];
		int rc = take_opt(o, cmd, a, val);
		if (rc != CLI_OK)
			return rc;
	}
	return CLI_OK;
}

int cli_exit_code(tether_status st)
{
	if (st == TETHER_OK)
		return CLI_OK;
	if (st == TETHER_E_BAD_ENDPOINT || st == TETHER_E_INSECURE)
		return CLI_EUSAGE;
	if ((st >= 300 && st < 400) || (st >= 500 && st < 600) ||
	    st == TETHER_E_UNSUPPORTED)
		return CLI_ECONN;
	return CLI_ECALL;
}

static bool readable(const char *cmd, const char *what, const char *path)
{
	if (path != NULL && access(path, R_OK) != 0) {
		cli_err(cmd, "%s '%s': %s", what, path, strerror(errno));
		return false;
	}
	return true;
}

/* TLS material only makes sense for tls:// (RFC 9289); given for another
 * scheme it is a mistake worth stopping for, not something to ignore. */
static int check_tls(const char *cmd, const char *endpoint, const cli_net *n)
{
	bool tls = !strncmp(endpoint, "tls://", 6);
	bool any = n->cert || n->key || n->ca;
	if (any && !tls) {
		cli_err(cmd,
			"--cert/--key/--ca apply to tls:// endpoints, not '%s'",
			endpoint);
		return CLI_EUSAGE;
	}
	if ((n->cert == NULL) != (n->key == NULL)) {
		cli_err(cmd, "--cert and --key go together");
		return CLI_EUSAGE;
	}
	if (tls && n->ca == NULL) {
		cli_err(cmd, "tls:// needs --ca FILE to verify the server");
		return CLI_EUSAGE;
	}
	if (!readable(cmd, "--cert", n->cert) ||
	    !readable(cmd, "--key", n->key) || !readable(cmd, "--ca", n->ca))
		return CLI_EUSAGE;
	return CLI_OK;
}

/* The TLS configuration of a tls:// endpoint; *out stays NULL otherwise. */
static int tls_config(const char *cmd, const char *endpoint, const cli_net *n,
		      tether_tls_config **out)
{
	tether_status st;
	*out = NULL;
	if (strncmp(endpoint, "tls://", 6) != 0)
		return CLI_OK;
	if ((st = tether_tls_config_new(out)) != TETHER_OK ||
	    (st = tether_tls_config_set_ca_file(*out, n->ca)) != TETHER_OK ||
	    (n->cert && (st = tether_tls_config_set_cert_file(*out, n->cert)) !=
			    TETHER_OK) ||
	    (n->key && (st = tether_tls_config_set_key_file(*out, n->key)) !=
			   TETHER_OK)) {
		cli_err(cmd, "TLS options: %s", tether_strerror(st));
		tether_tls_config_free(*out);
		*out = NULL;
		return CLI_EUSAGE;
	}
	return CLI_OK;
}

static int net_opts(const char *cmd, cli_net *n, tether_client_opts *o)
{
	uint32_t ms = 5000;
	if (n->connect_timeout != NULL &&
	    !cli_uint(cmd, "--connect-timeout", n->connect_timeout, 1, 3600000,
		      &ms))
		return CLI_EUSAGE;
	tether_client_opts_set_connect_timeout_ms(o, ms);
	n->deadline_ms = 5000;
	if (n->deadline != NULL && !cli_uint(cmd, "--deadline", n->deadline, 1,
					     3600000, &n->deadline_ms))
		return CLI_EUSAGE;
	tether_client_opts_set_deadline_ms(o, n->deadline_ms);
	return CLI_OK;
}

int cli_connect(const char *cmd, const char *endpoint, cli_net *n,
		tether_client **out)
{
	tether_client_opts *o;
	tether_tls_config *tls;
	int rc = check_tls(cmd, endpoint, n);
	if (rc == CLI_OK)
		rc = tls_config(cmd, endpoint, n, &tls);
	if (rc != CLI_OK)
		return rc;
	if (tether_client_opts_new(&o) != TETHER_OK) {
		tether_tls_config_free(tls);
		cli_err(cmd, "out of memory");
		return CLI_ECALL;
	}
	rc = net_opts(cmd, n, o);
	if (tls != NULL)
		tether_client_opts_set_tls(o, tls);
	tether_client_opts_set_allow_plaintext(o, n->allow_plaintext);
	tether_status st =
	    rc == CLI_OK ? tether_client_connect(endpoint, o, out) : TETHER_OK;
	tether_client_opts_free(o);
	tether_tls_config_free(tls);
	if (rc != CLI_OK)
		return rc;
	if (st == TETHER_E_INSECURE) {
		cli_err(cmd,
			"%s: plaintext tcp:// to a non-loopback address is "
			"refused; use tls:// or --allow-plaintext",
			endpoint);
		return CLI_EUSAGE;
	}
	if (st != TETHER_OK) {
		cli_err(cmd, "cannot connect to '%s': %s (%s)", endpoint,
			tether_strerror(st), tether_status_name(st));
		return cli_exit_code(st);
	}
	return CLI_OK;
}
