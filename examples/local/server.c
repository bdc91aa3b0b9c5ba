/* SPDX-License-Identifier: MIT */
/*
 * server.c - a local service that authorizes by uid: any local process may
 * ask WHOAMI, only SECRET_UID may READ_SECRET. The server's policy decides
 * from the kernel-verified credentials of the Unix socket (SO_PEERCRED),
 * before the call reaches a handler.
 *
 *   local-server unix:/PATH SECRET_UID
 */
#include "local.h"

#include <tether/tether.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

/* WHOAMI: what the kernel said about the peer when it connected; the
 * client cannot claim anything else (no AUTH_SYS is trusted here). */
static tether_status whoami_h(tether_call_ctx *ctx, peer_creds *resp)
{
	uint32_t uid, gid;
	int32_t pid;
	tether_status st = tether_ctx_peer_cred(ctx, &uid, &gid, &pid);

	if (st != TETHER_OK)
		return st;
	resp->uid = uid;
	resp->gid = gid;
	resp->pid = pid;
	return TETHER_OK;
}

/* Reached only if the policy allowed the call. */
static tether_status read_secret_h(tether_call_ctx *ctx, char **resp)
{
	(void)ctx;
	*resp = (char *)"the cake is in the fridge";
	return TETHER_OK;
}

static const local_prog_1_handlers handlers = {
    .whoami = whoami_h,
    .read_secret = read_secret_h,
};

/* The policy, in the policy-file language (docs/policy.md); names resolve
 * through the tables tetherc generated from local.x. First match wins;
 * what no rule allows is denied. */
static tether_status make_policy(unsigned long secret_uid, tether_policy **out)
{
	const tether_idl_desc *idls[] = {&local_idl};
	char text[512], err[256];
	tether_status st;
	int n = snprintf(text, sizeof text,
			 "allow uid:%lu     prog=LOCAL_PROG proc=READ_SECRET\n"
			 "allow authenticated prog=LOCAL_PROG proc=WHOAMI\n"
			 "allow authenticated prog=LOCAL_PROG proc=0\n",
			 secret_uid);

	if (n < 0 || (size_t)n >= sizeof text)
		return TETHER_E_TOO_LARGE;
	st = tether_policy_new(out);
	if (st != TETHER_OK)
		return st;
	st = tether_policy_load_text(*out, "local-policy", text, (size_t)n,
				     idls, 1, err, sizeof err);
	if (st != TETHER_OK)
		fprintf(stderr, "local-server: %s\n", err);
	else
		printf("policy:\n%s", text);
	return st;
}

static int fail(const char *what, tether_status st)
{
	fprintf(stderr, "local-server: %s: %s\n", what, tether_strerror(st));
	return 1;
}

static tether_status serve(tether_server *s, const char *endpoint, char *ep,
			   size_t cap)
{
	tether_status st = local_prog_1_register(s, &handlers, NULL);

	if (st == TETHER_OK)
		st = tether_server_listen(s, endpoint);
	if (st == TETHER_OK)
		st = tether_server_endpoint(s, 0, ep, cap);
	if (st == TETHER_OK)
		st = tether_server_start(s);
	return st;
}

int main(int argc, char **argv)
{
	tether_policy *policy = NULL;
	tether_server_opts *o = NULL;
	tether_server *s = NULL;
	tether_status st;
	sigset_t sigs;
	char ep[256], *end;
	unsigned long uid;
	int sig, rc = 1;

	if (argc != 3 || (uid = strtoul(argv[2], &end, 10), *end != '\0')) {
		fprintf(stderr, "usage: local-server unix:/PATH SECRET_UID\n");
		return 2;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	st = make_policy(uid, &policy);
	if (st == TETHER_OK)
		st = tether_server_opts_new(&o);
	if (st != TETHER_OK) {
		rc = fail("policy", st);
		goto out;
	}
	tether_server_opts_set_policy(o, policy);
	tether_server_opts_set_unix_mode(o, 0666); /* the policy decides */
	st = tether_server_new(o, &s);
	if (st == TETHER_OK)
		st = serve(s, argv[1], ep, sizeof ep);
	if (st != TETHER_OK) {
		rc = fail(argv[1], st);
		goto out;
	}
	printf("listening %s\n", ep);
	fflush(stdout);
	sigwait(&sigs, &sig);
	st = tether_server_stop(s, 1000);
	rc = st == TETHER_OK ? 0 : fail("stop", st);
out:
	tether_server_free(s); /* before the policy it borrows */
	tether_server_opts_free(o);
	tether_policy_free(policy);
	return rc;
}
