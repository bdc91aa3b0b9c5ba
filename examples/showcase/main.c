/* SPDX-License-Identifier: MIT */
/*
 * main.c - the showcase demo, narrated: development certificates made on
 * the fly, a jobs server over mutual TLS with an authorization policy and
 * audit records, a client getting progress through callbacks on its own
 * connection, a client the policy denies, and a black-hole client cut off
 * while the good one keeps working. Exit 0 when every step did what it
 * should, 1 with the reason otherwise.
 *
 *   tether-showcase [--keep] [--audit-full]
 *     --keep        leave the certificates in their temporary directory
 *     --audit-full  print audit records whole (absent fields as null)
 */
#include "jobs.h"
#include "showcase.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CB_DEADLINE_MS 1000 /* the server gives each callback 1 s ... */
#define MAX_EXPIRIES 2	    /* ... and cuts off a peer after 2 expired */
#define SUBMIT_DEADLINE_MS 15000

static const char policy_text[] =
    "allow uri:spiffe://demo.tether/alice     prog=JOBS_PROG proc=SUBMIT\n"
    "allow uri:spiffe://demo.tether/blackhole prog=JOBS_PROG proc=SUBMIT\n"
    "allow authenticated prog=JOBS_PROG proc=0\n"
    "deny  any\n";

static pthread_mutex_t say_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t t_start;

void say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&say_mu);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&say_mu);
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int failed(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&say_mu);
	fputs("\nDEMO FAILED: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&say_mu);
	return 1;
}

static void step(int n, const char *what)
{
	say("\n[%d/6] %s  (t=%.1f s)", n, what,
	    (double)(now_ms() - t_start) / 1000.0);
}

/* ---- certificates ----------------------------------------------------- */

static const char *const cert_files[] = {
    "ca.crt",	     "ca.key",	      "server.crt",  "server.key",
    "alice.crt",     "alice.key",     "mallory.crt", "mallory.key",
    "blackhole.crt", "blackhole.key", "eve-ca.crt",  "eve-ca.key",
    "eve.crt",	     "eve.key"};

/* Issues NAME.crt/NAME.key signed by CA.crt/CA.key, all in dir. */
static tether_status issue_by(const char *dir, const char *ca_name,
			      const char *name, const char *uri, unsigned usage)
{
	char ca[512], cakey[512], crt[512], key[512];
	tether_cert_opts *o = NULL;
	tether_status st = tether_cert_opts_new(&o);

	snprintf(ca, sizeof ca, "%s/%s.crt", dir, ca_name);
	snprintf(cakey, sizeof cakey, "%s/%s.key", dir, ca_name);
	snprintf(crt, sizeof crt, "%s/%s.crt", dir, name);
	snprintf(key, sizeof key, "%s/%s.key", dir, name);
	if (st == TETHER_OK)
		st = tether_cert_opts_set_common_name(o, name);
	if (st == TETHER_OK && uri != NULL)
		st = tether_cert_opts_add_uri(o, uri);
	if (st == TETHER_OK && usage == TETHER_CERT_SERVER)
		st = tether_cert_opts_add_ip(o, "127.0.0.1");
	if (st == TETHER_OK && usage == TETHER_CERT_SERVER)
		st = tether_cert_opts_add_dns(o, "localhost");
	if (st == TETHER_OK)
		st = tether_cert_opts_set_usage(o, usage);
	if (st == TETHER_OK)
		st = tether_cert_opts_set_validity(o, -60, 3600);
	if (st == TETHER_OK)
		st = tether_certs_issue(o, ca, cakey, crt, key);
	tether_cert_opts_free(o);
	return st;
}

static tether_status issue(const char *dir, const char *name, const char *uri,
			   unsigned usage)
{
	return issue_by(dir, "ca", name, uri, usage);
}

/* A CA named CN, written to dir/NAME.crt and dir/NAME.key. */
static tether_status make_ca(const char *dir, const char *name, const char *cn)
{
	char ca[512], cakey[512];
	tether_cert_opts *o = NULL;
	tether_status st = tether_cert_opts_new(&o);

	snprintf(ca, sizeof ca, "%s/%s.crt", dir, name);
	snprintf(cakey, sizeof cakey, "%s/%s.key", dir, name);
	if (st == TETHER_OK)
		st = tether_cert_opts_set_common_name(o, cn);
	if (st == TETHER_OK)
		st = tether_certs_make_ca(o, ca, cakey);
	tether_cert_opts_free(o);
	return st;
}

static tether_status make_certs(const char *dir)
{
	tether_status st = make_ca(dir, "ca", "tether demo CA");

	if (st == TETHER_OK)
		st = issue(dir, "server", NULL, TETHER_CERT_SERVER);
	if (st == TETHER_OK)
		st = issue(dir, "alice", "spiffe://demo.tether/alice",
			   TETHER_CERT_CLIENT);
	if (st == TETHER_OK)
		st = issue(dir, "mallory", "spiffe://demo.tether/mallory",
			   TETHER_CERT_CLIENT);
	if (st == TETHER_OK)
		st = issue(dir, "blackhole", "spiffe://demo.tether/blackhole",
			   TETHER_CERT_CLIENT);
	/* eve brings her own CA, which the server does not trust. */
	if (st == TETHER_OK)
		st = make_ca(dir, "eve-ca", "eve's own CA");
	if (st == TETHER_OK)
		st = issue_by(dir, "eve-ca", "eve",
			      "spiffe://demo.tether/alice", TETHER_CERT_CLIENT);
	return st;
}

static void remove_certs(const char *dir)
{
	char p[512];

	for (size_t i = 0; i < sizeof cert_files / sizeof cert_files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, cert_files[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* ---- clients ---------------------------------------------------------- */

typedef struct client {
	const char *name;
	tether_client *c;
	tether_arena *arena;
	atomic_uint progress_seen;
	bool answers; /* false: the black hole */
} client;

/* PROGRESS, served by the client on its own connection: runs on the
 * thread that is inside the client's blocking SUBMIT call. */
static tether_status progress_h(tether_call_ctx *ctx, const job_progress *argp,
				uint32_t *resp)
{
	client *cl = tether_ctx_userdata(ctx);

	atomic_fetch_add(&cl->progress_seen, 1);
	if (!cl->answers) {
		say("    %-9s <- PROGRESS job %u step %u/%u (ignored: never "
		    "answered)",
		    cl->name, argp->job_id, argp->step, argp->steps);
		return TETHER_E_DEFERRED; /* and never replies */
	}
	say("    %-9s <- PROGRESS job %u: %s", cl->name, argp->job_id,
	    argp->note);
	*resp = argp->step;
	return TETHER_OK;
}

static const progress_prog_1_handlers progress_handlers = {.progress =
							       progress_h};

static tether_status tls_for(const char *dir, const char *name,
			     tether_tls_config **out)
{
	char ca[512], crt[512], key[512];
	tether_status st = tether_tls_config_new(out);

	snprintf(ca, sizeof ca, "%s/ca.crt", dir);
	snprintf(crt, sizeof crt, "%s/%s.crt", dir, name);
	snprintf(key, sizeof key, "%s/%s.key", dir, name);
	if (st == TETHER_OK)
		st = tether_tls_config_set_ca_file(*out, ca);
	if (st == TETHER_OK)
		st = tether_tls_config_set_cert_file(*out, crt);
	if (st == TETHER_OK)
		st = tether_tls_config_set_key_file(*out, key);
	return st;
}

static tether_status client_open(client *cl, const char *name, bool answers,
				 const char *dir, const char *ep)
{
	tether_client_opts *o = NULL;
	tether_tls_config *tls = NULL;
	tether_status st = tls_for(dir, name, &tls);

	cl->name = name;
	cl->answers = answers;
	atomic_init(&cl->progress_seen, 0);
	if (st == TETHER_OK)
		st = tether_client_opts_new(&o);
	if (st == TETHER_OK) {
		tether_client_opts_set_tls(o, tls);
		st = tether_client_connect(ep, o, &cl->c);
	}
	tether_client_opts_free(o);
	tether_tls_config_free(tls);
	if (st == TETHER_OK)
		st = progress_prog_1_register_client(cl->c, &progress_handlers,
						     cl);
	if (st == TETHER_OK)
		st = tether_arena_new(64 * 1024, &cl->arena);
	return st;
}

static void client_close(client *cl)
{
	tether_client_free(cl->c);
	tether_arena_free(cl->arena);
	cl->c = NULL, cl->arena = NULL;
}

static tether_status submit(client *cl, const char *job, uint32_t steps,
			    job_report *r)
{
	job_spec spec = {(char *)job, steps};

	tether_arena_reset(cl->arena);
	return submit_1(cl->c, &spec, r, cl->arena, SUBMIT_DEADLINE_MS);
}

/* ---- the story -------------------------------------------------------- */

typedef struct demo {
	bool keep, audit_full; /* options */
	char dir[64];
	char ep[128];
	jobs_server *srv;
	client alice, mallory, hole;
	/* the black hole's SUBMIT, on its own thread */
	pthread_t hole_thread;
	tether_status hole_status;
	uint64_t hole_ms;
} demo;

static int good_job(demo *d, const char *job, uint32_t steps)
{
	job_report r;
	uint64_t t0 = now_ms();
	tether_status st;

	say("    alice     -> SUBMIT \"%s\" (%u steps)", job, steps);
	st = submit(&d->alice, job, steps, &r);
	if (st != TETHER_OK)
		return failed("alice's SUBMIT failed: %s (%s)",
			      tether_strerror(st), tether_status_name(st));
	say("    alice     <- job %u done: %u steps, %u progress reports "
	    "acknowledged, %llu ms",
	    r.job_id, r.steps_done, r.progress_acked,
	    (unsigned long long)(now_ms() - t0));
	if (r.steps_done != steps || r.progress_acked != steps)
		return failed("alice's job should have %u acknowledged steps",
			      steps);
	return 0;
}

static int act_callbacks(demo *d)
{
	tether_status st;

	step(3, "alice (allowed by the policy) submits a job. Progress comes "
		"back as\n      calls FROM the server, on the connection alice "
		"opened: alice never\n      listens on a port.");
	st = client_open(&d->alice, "alice", true, d->dir, d->ep);
	if (st != TETHER_OK)
		return failed("alice cannot connect: %s (%s)",
			      tether_strerror(st), tether_status_name(st));
	say("    alice     connected over mutual TLS; server is \"%s\"",
	    tether_peer_identity_name(tether_client_peer_identity(d->alice.c)));
	return good_job(d, "resize-photos", 4);
}

/* eve's certificate claims to be alice but is signed by eve's own CA:
 * the server's TLS verification refuses it during the handshake. The
 * client only sees the handshake fail (TLS 1.3 sends the server's
 * verdict after the client's Finished), so any failure to connect or to
 * call counts; a successful SUBMIT does not. */
static int act_impostor(demo *d)
{
	client eve = {0};
	job_report r;
	tether_status st;

	say("    eve       presents a certificate for spiffe://demo.tether/"
	    "alice signed by her own CA");
	/* eve.crt/eve.key, and our CA to verify the server with. */
	st = client_open(&eve, "eve", true, d->dir, d->ep);
	if (st == TETHER_OK)
		st = submit(&eve, "steal-photos", 1, &r);
	client_close(&eve);
	say("    eve       <- %s (%s)", tether_strerror(st),
	    tether_status_name(st));
	if (st == TETHER_OK)
		return failed("the server accepted a certificate from an "
			      "unknown CA");
	if (atomic_load(&eve.progress_seen) != 0)
		return failed("eve's job ran");
	say("    refused by mutual TLS: no call from eve reached the service");
	return 0;
}

static int act_denied(demo *d)
{
	job_report r;
	tether_status st;

	step(4,
	     "eve forges an identity; mallory has a real one, but the policy "
	     "does not\n      let her SUBMIT.");
	if (act_impostor(d) != 0)
		return 1;
	st = client_open(&d->mallory, "mallory", true, d->dir, d->ep);
	if (st != TETHER_OK)
		return failed("mallory cannot even connect: %s (%s)",
			      tether_strerror(st), tether_status_name(st));
	say("    mallory   -> SUBMIT \"mine-bitcoin\" (3 steps)");
	st = submit(&d->mallory, "mine-bitcoin", 3, &r);
	say("    mallory   <- %s (%s)", tether_strerror(st),
	    tether_status_name(st));
	client_close(&d->mallory);
	if (st != TETHER_E_DENIED)
		return failed("mallory's SUBMIT should be TETHER_E_DENIED, "
			      "got %s",
			      tether_status_name(st));
	if (atomic_load(&d->mallory.progress_seen) != 0)
		return failed("a denied job ran anyway");
	say("    denied before her arguments were even decoded; no job ran");
	return 0;
}

static void *hole_main(void *arg)
{
	demo *d = arg;
	job_report r;
	uint64_t t0 = now_ms();

	say("    blackhole -> SUBMIT \"hold-the-line\" (6 steps)");
	d->hole_status = submit(&d->hole, "hold-the-line", 6, &r);
	d->hole_ms = now_ms() - t0;
	return NULL;
}

/* Waits (bounded) until the black hole has received a first callback. */
static int wait_hole_started(demo *d)
{
	for (int i = 0; i < 500; i++) {
		if (atomic_load(&d->hole.progress_seen) > 0)
			return 0;
		struct timespec ts = {0, 10 * 1000000L};

		nanosleep(&ts, NULL);
	}
	return -1;
}

static int check_cut_off(demo *d)
{
	tether_server_counters c;
	tether_status st = d->hole_status;

	say("    blackhole <- %s (%s) after %.1f s: the server cut it off",
	    tether_strerror(st), tether_status_name(st),
	    (double)d->hole_ms / 1000.0);
	if (st != TETHER_E_CLOSED && st != TETHER_E_RESET &&
	    st != TETHER_E_UNRESPONSIVE)
		return failed("the black hole should have been disconnected, "
			      "its SUBMIT ended with %s",
			      tether_status_name(st));
	st = jobs_server_stats(d->srv, &c);
	if (st != TETHER_OK)
		return failed("server stats: %s", tether_strerror(st));
	say("    server counters: %llu connection(s) closed as unresponsive",
	    (unsigned long long)c.closed_unresponsive);
	if (c.closed_unresponsive < 1)
		return failed("the server did not count an unresponsive peer");
	return 0;
}

static int act_black_hole(demo *d)
{
	tether_status st;
	int rc;

	step(5,
	     "blackhole submits a job, then never answers its progress "
	     "callbacks.\n      The server gives each callback 1 s and cuts "
	     "the peer off after 2\n      expire; no server thread waits for "
	     "it meanwhile.");
	st = client_open(&d->hole, "blackhole", false, d->dir, d->ep);
	if (st != TETHER_OK)
		return failed("blackhole cannot connect: %s",
			      tether_strerror(st));
	if (pthread_create(&d->hole_thread, NULL, hole_main, d) != 0)
		return failed("cannot start the black hole's thread");
	if (wait_hole_started(d) != 0)
		rc = failed("the black hole never got a callback");
	else {
		say("    ... while blackhole stalls, alice keeps working:");
		rc = good_job(d, "transcode-video", 3);
	}
	pthread_join(d->hole_thread, NULL);
	client_close(&d->hole);
	if (rc == 0)
		rc = check_cut_off(d);
	if (rc == 0) {
		say("    and after it, alice again:");
		rc = good_job(d, "send-invoices", 2);
	}
	return rc;
}

static int act_audit(demo *d)
{
	tether_server_counters c;
	audit_counts a;

	step(6,
	     "What the audit trail recorded (each \"audit\" line above "
	     "is one JSON\n      record; absent fields left out, --audit-full "
	     "shows them).");
	jobs_server_audit_counts(d->srv, &a);
	say("    %u records: %u calls, %u callbacks, %u denial(s), %u "
	    "connection closes",
	    a.records, a.calls, a.callbacks, a.denials, a.conn_closes);
	if (a.denials < 1)
		return failed("no denial record for mallory");
	if (jobs_server_stats(d->srv, &c) != TETHER_OK)
		return failed("server stats");
	say("    server counters: %llu connections accepted, %llu refused at "
	    "the TLS handshake,\n    %llu cut off as unresponsive",
	    (unsigned long long)c.accepted,
	    (unsigned long long)c.closed_handshake,
	    (unsigned long long)c.closed_unresponsive);
	if (c.closed_handshake < 1)
		return failed("eve's refused handshake was not counted");
	if (a.calls < 3 || a.callbacks < 9)
		return failed("expected at least 3 call records and 9 callback "
			      "records");
	return 0;
}

static int act_setup(demo *d)
{
	tether_status st;

	step(1, "Making a development CA and certificates on the fly "
		"(tether_certs_*).");
	snprintf(d->dir, sizeof d->dir, "/tmp/tether-demo-XXXXXX");
	if (mkdtemp(d->dir) == NULL)
		return failed("cannot create a temporary directory");
	st = make_certs(d->dir);
	if (st != TETHER_OK)
		return failed("certificates: %s", tether_strerror(st));
	say("    in %s: CA \"tether demo CA\", server (127.0.0.1, "
	    "localhost),\n    clients spiffe://demo.tether/{alice,mallory,"
	    "blackhole};\n    and eve's own CA, which the server does not "
	    "trust",
	    d->dir);
	step(2, "Starting the jobs server: TLS 1.3, client certificates "
		"required, and\n      this authorization policy (first match "
		"wins, unmatched calls denied):");
	say("%s", policy_text);
	st =
	    jobs_server_start(d->dir, policy_text, CB_DEADLINE_MS, MAX_EXPIRIES,
			      d->audit_full, &d->srv, d->ep, sizeof d->ep);
	if (st != TETHER_OK)
		return failed("server: %s (%s)", tether_strerror(st),
			      tether_status_name(st));
	say("    listening on %s", d->ep);
	return 0;
}

int main(int argc, char **argv)
{
	static demo d;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--keep") == 0)
			d.keep = true;
		else if (strcmp(argv[i], "--audit-full") == 0)
			d.audit_full = true;
		else {
			fprintf(stderr, "usage: tether-showcase [--keep] "
					"[--audit-full]\n");
			return 2;
		}
	}
	t_start = now_ms();
	say("tether showcase: a jobs service with progress callbacks over "
	    "mutual TLS,\nan authorization policy, audit records, and a "
	    "black-hole client.");
	rc = act_setup(&d);
	if (rc == 0)
		rc = act_callbacks(&d);
	if (rc == 0)
		rc = act_denied(&d);
	if (rc == 0)
		rc = act_black_hole(&d);
	if (rc == 0)
		rc = act_audit(&d);
	client_close(&d.alice);
	jobs_server_free(d.srv);
	if (d.dir[0] != '\0' && !d.keep)
		remove_certs(d.dir);
	if (rc == 0)
		say("\nDEMO OK in %.1f s",
		    (double)(now_ms() - t_start) / 1000.0);
	return rc;
}
