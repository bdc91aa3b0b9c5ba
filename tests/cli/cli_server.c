/* SPDX-License-Identifier: MIT */
/*
 * cli_server.c - a small tether server for the CLI tests, built from
 * tetherc output: ECHO_PROG (bench/echo.x), NOTIFY_PROG (bench/notify.x;
 * SUBSCRIBE really calls NOTIFY back on the caller's connection and
 * returns how many callbacks were answered) and MOUNTPROG
 * (rpcsvc/mount.x; EXPORT returns a fixed three-node list).
 *
 * usage: cli_server ENDPOINT [CERT KEY CA]
 * Prints the bound endpoint on stdout, serves until SIGTERM/SIGINT or 60 s
 * (a test that forgets it cannot leave it running), then stops.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tether/tether.h>

#include "echo.h"
#include "mount.h"
#include "notify.h"

/* ---- ECHO_PROG -------------------------------------------------------------
 */

static tether_status echo_ping_h(tether_call_ctx *ctx)
{
	(void)ctx;
	return TETHER_OK;
}

static tether_status echo_h(tether_call_ctx *ctx, const echo_bytes *a,
			    echo_bytes *r)
{
	(void)ctx;
	*r = *a;
	return TETHER_OK;
}

static const echo_prog_1_handlers echo_handlers = {echo_ping_h, echo_h};

/* ---- NOTIFY_PROG: SUBSCRIBE calls back, then replies ------------------------
 */

typedef struct sub {
	tether_call_ctx *ctx;
	uint32_t count, size, sent, done, answered;
	notify_bytes payload;
} sub;

static void sub_pump(sub *s);

static void notified(tether_status st, uint32_t *res, void *ud)
{
	sub *s = ud;
	s->done++;
	if (st == TETHER_OK && *res == s->size)
		s->answered++;
	sub_pump(s);
}

static void sub_pump(sub *s)
{
	while (s->sent < s->count) {
		tether_status st = notify_1_async(tether_ctx_conn(s->ctx),
						  &s->payload, 0, notified, s);
		if (st == TETHER_E_BUSY && s->sent > s->done)
			break;
		s->sent++;
		if (st != TETHER_OK)
			s->done++;
	}
	if (s->done == s->count) {
		uint32_t n = s->answered;
		tether_call_ctx *ctx = s->ctx;
		free(s->payload.notify_bytes_val);
		free(s);
		if (subscribe_1_reply(ctx, &n) != TETHER_OK)
			fprintf(stderr, "cli_server: SUBSCRIBE reply failed\n");
	}
}

static tether_status subscribe_h(tether_call_ctx *ctx, const subscribe_args *a,
				 uint32_t *r)
{
	if (a->count == 0) {
		*r = 0;
		return TETHER_OK;
	}
	if (a->count > 64 || a->size > 65536)
		return TETHER_E_INVAL;
	sub *s = calloc(1, sizeof(*s));
	if (s == NULL ||
	    (s->payload.notify_bytes_val = calloc(1, a->size + 1)) == NULL) {
		free(s);
		return TETHER_E_NOMEM;
	}
	s->ctx = ctx, s->count = a->count, s->size = a->size;
	s->payload.notify_bytes_len = a->size;
	sub_pump(s);
	return TETHER_E_DEFERRED;
}

static tether_status notify_ping_h(tether_call_ctx *ctx)
{
	(void)ctx;
	return TETHER_OK;
}

static const notify_prog_1_handlers notify_handlers = {notify_ping_h,
						       subscribe_h};

/* ---- MOUNTPROG -------------------------------------------------------------
 */

static tether_status mnt_null_h(tether_call_ctx *ctx)
{
	(void)ctx;
	return TETHER_OK;
}

static tether_status mnt_h(tether_call_ctx *ctx, const dirpath *a, fhstatus *r)
{
	(void)ctx;
	if (strcmp(*a, "/srv") != 0) {
		r->fhs_status = 2; /* ENOENT: the void arm */
		return TETHER_OK;
	}
	r->fhs_status = 0;
	for (int i = 0; i < FHSIZE; i++)
		r->fhstatus_u.fhs_fhandle[i] = (char)i;
	return TETHER_OK;
}

static tether_status export_h(tether_call_ctx *ctx, exports *r)
{
	static char d1[] = "/srv", d2[] = "/home", d3[] = "/tmp",
		    g1[] = "admins", g2[] = "ops";
	static groupnode gn2 = {g2, NULL}, gn1 = {g1, &gn2};
	static exportnode e3 = {d3, NULL, NULL}, e2 = {d2, NULL, &e3},
			  e1 = {d1, &gn1, &e2};
	(void)ctx;
	*r = &e1;
	return TETHER_OK;
}

static const mountprog_1_handlers mount_handlers = {
    .mountproc_null = mnt_null_h,
    .mountproc_mnt = mnt_h,
    .mountproc_export = export_h,
};

/* ---- main ------------------------------------------------------------------
 */

static int fail(const char *what, tether_status st)
{
	fprintf(stderr, "cli_server: %s: %s\n", what, tether_strerror(st));
	return 1;
}

static tether_status tls_opts(char **argv, tether_server_opts *so,
			      tether_tls_config **tls)
{
	tether_status st = tether_tls_config_new(tls);
	if (st == TETHER_OK)
		st = tether_tls_config_set_cert_file(*tls, argv[2]);
	if (st == TETHER_OK)
		st = tether_tls_config_set_key_file(*tls, argv[3]);
	if (st == TETHER_OK)
		st = tether_tls_config_set_ca_file(*tls, argv[4]);
	if (st == TETHER_OK)
		tether_server_opts_set_tls(so, *tls);
	return st;
}

static tether_status setup(tether_server *srv, const char *endpoint)
{
	tether_status st = echo_prog_1_register(srv, &echo_handlers, NULL);
	if (st == TETHER_OK)
		st = notify_prog_1_register(srv, &notify_handlers, NULL);
	if (st == TETHER_OK)
		st = mountprog_1_register(srv, &mount_handlers, NULL);
	/* Reflection (tether describe, call without --idl) for echo.x and
	 * notify.x; mount.x is left unregistered on purpose. */
	if (st == TETHER_OK)
		st = tether_server_register_idl(srv, &echo_idl);
	if (st == TETHER_OK)
		st = tether_server_register_idl(srv, &notify_idl);
	if (st == TETHER_OK)
		st = tether_server_listen(srv, endpoint);
	return st;
}

int main(int argc, char **argv)
{
	tether_server_opts *so;
	tether_server *srv = NULL;
	tether_tls_config *tls = NULL;
	char ep[256];
	sigset_t set;
	struct timespec limit = {60, 0};
	if (argc != 2 && argc != 5) {
		fprintf(stderr, "usage: cli_server ENDPOINT [CERT KEY CA]\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL); /* threads inherit the mask */
	if (tether_server_opts_new(&so) != TETHER_OK)
		return fail("options", TETHER_E_NOMEM);
	tether_server_opts_set_io_threads(so, 1);
	tether_status st = argc == 5 ? tls_opts(argv, so, &tls) : TETHER_OK;
	if (st == TETHER_OK)
		st = tether_server_new(so, &srv);
	if (st == TETHER_OK)
		st = setup(srv, argv[1]);
	if (st == TETHER_OK)
		st = tether_server_endpoint(srv, 0, ep, sizeof(ep));
	if (st == TETHER_OK)
		st = tether_server_start(srv);
	tether_server_opts_free(so);
	if (st != TETHER_OK) {
		tether_server_free(srv);
		tether_tls_config_free(tls);
		return fail("start", st);
	}
	printf("%s\n", ep);
	fflush(stdout);
	sigtimedwait(&set, NULL, &limit);
	if (tether_server_stop(srv, 500) != TETHER_OK)
		fprintf(stderr, "cli_server: stop failed\n");
	tether_server_free(srv);
	tether_tls_config_free(tls);
	return 0;
}
