/* SPDX-License-Identifier: MIT */
/*
 * jobs_server.c - the showcase's jobs service: SUBMIT runs a job on the
 * server's worker pool and reports each step by calling the client's
 * PROGRESS program back on the client's own connection; the reply comes
 * when every report was answered or given up on. Mutual TLS, a policy
 * and audit records printed as JSON lines.
 */
#include "jobs.h"
#include "showcase.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEP_WORK_MS 120 /* the "work" of one step */

struct jobs_server {
	tether_server *srv;
	tether_policy *policy;
	tether_audit_sink *audit;
	atomic_uint next_job;
	pthread_mutex_t mu; /* counts */
	audit_counts counts;
	bool audit_full; /* print records whole, null fields included */
};

/* One job in flight. refs: one per PROGRESS callback issued, plus one
 * held by the handler while it issues them; whoever drops the last one
 * sends the reply (any thread may, call.h). */
typedef struct job {
	tether_call_ctx *ctx;
	atomic_uint refs;
	atomic_uint acked;
	uint32_t id, steps;
} job;

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void job_unref(job *j)
{
	job_report r;
	tether_status st;

	if (atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	r.job_id = j->id;
	r.steps_done = j->steps;
	r.progress_acked = atomic_load(&j->acked);
	st = submit_1_reply(j->ctx, &r);
	/* Fails only if the client is gone (the black hole): nothing to do. */
	(void)st;
	free(j);
}

/* A PROGRESS callback completed: answered, expired, or the connection
 * was cut off. Runs on the connection's loop thread. */
static void on_progress(tether_status st, uint32_t *resp, void *ud)
{
	job *j = ud;

	if (st == TETHER_OK && resp != NULL)
		atomic_fetch_add(&j->acked, 1);
	job_unref(j);
}

static void report_step(job *j, tether_conn *conn, const char *name,
			uint32_t step)
{
	char note[JOB_NOTE_MAX];
	job_progress p = {j->id, step, j->steps, note};

	snprintf(note, sizeof note, "%s: step %u of %u done", name,
		 (unsigned)step, (unsigned)j->steps);
	atomic_fetch_add(&j->refs, 1);
	/* Deadline 0: the server's callback deadline. A refusal (connection
	 * already cut off, outbound limit) completes nothing: drop the ref. */
	if (progress_1_async(conn, &p, 0, on_progress, j) != TETHER_OK)
		job_unref(j);
}

/* SUBMIT, on a worker thread (registered blocking): does the steps,
 * reporting each, and leaves the reply to the last completion. No thread
 * ever waits for the client to answer. */
static tether_status submit_h(tether_call_ctx *ctx, const job_spec *argp,
			      job_report *resp)
{
	jobs_server *s = tether_ctx_userdata(ctx);
	tether_conn *conn = tether_ctx_conn(ctx);
	job *j;

	(void)resp;
	if (argp->steps == 0 || argp->steps > JOB_STEPS_MAX)
		return TETHER_E_INVAL;
	j = calloc(1, sizeof *j);
	if (j == NULL)
		return TETHER_E_NOMEM;
	j->ctx = ctx;
	j->id = atomic_fetch_add(&s->next_job, 1) + 1;
	j->steps = argp->steps;
	atomic_init(&j->refs, 1);
	for (uint32_t i = 1; i <= j->steps; i++) {
		sleep_ms(STEP_WORK_MS);
		report_step(j, conn, argp->name, i);
	}
	job_unref(j);
	return TETHER_E_DEFERRED;
}

static const jobs_prog_1_handlers handlers = {.submit = submit_h};

/* ---- audit: every record, as the JSON line it is ---------------------- */

static void count_record(jobs_server *s, const tether_audit_record *r)
{
	pthread_mutex_lock(&s->mu);
	s->counts.records++;
	if (r->event == TETHER_AUDIT_CALL &&
	    r->direction == TETHER_AUDIT_DIR_CALLBACK)
		s->counts.callbacks++;
	else if (r->event == TETHER_AUDIT_CALL)
		s->counts.calls++;
	else if (r->event == TETHER_AUDIT_DENIAL)
		s->counts.denials++;
	else if (r->event == TETHER_AUDIT_CONN_CLOSE)
		s->counts.conn_closes++;
	pthread_mutex_unlock(&s->mu);
}

/* Length of the JSON string starting at p (a '"'), quotes included. */
static size_t json_string_len(const char *p)
{
	size_t i = 1;

	while (p[i] != '\0' && p[i] != '"')
		i += p[i] == '\\' && p[i + 1] != '\0' ? 2 : 1;
	return p[i] == '"' ? i + 1 : i;
}

/* Length of one top-level member "key":value starting at p. Values of an
 * audit record are strings, numbers and literals (docs/audit.md). */
static size_t json_member_len(const char *p)
{
	size_t i = json_string_len(p) + 1; /* key and ':' */

	if (p[i] == '"')
		return i + json_string_len(p + i);
	while (p[i] != '\0' && p[i] != ',' && p[i] != '}')
		i++;
	return i;
}

static bool key_in(const char *m, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(m, keys[i], strlen(keys[i])) == 0)
			return true;
	return false;
}

/* Left out of every line: absent fields and repeats. Left out of call,
 * denial and limit lines: what the connection's own records already
 * said (its addresses, TLS version, security mode) and raw numbers whose
 * names are shown. */
static bool member_hidden(const char *m, size_t len, bool per_call)
{
	static const char *const always[] = {
	    "\"time_ms\":", "\"peer_fingerprint\":", "\"server_addr\":",
	    "\"server_port\":", "\"status_code\":"};
	static const char *const conn_level[] = {
	    "\"client_addr\":", "\"client_port\":",
	    "\"transport\":",	"\"tls_version\":",
	    "\"tls_cipher\":",	"\"security_mode\":",
	    "\"peer_kind\":",	"\"peer_name_source\":",
	    "\"auth_flavor\":", "\"reply_stat\":",
	    "\"accept_stat\":", "\"auth_stat\":",
	    "\"xid\":",		"\"bytes_in\":",
	    "\"bytes_out\":",	"\"auth_flavor_name\":"};

	if (len > 5 && memcmp(m + len - 5, ":null", 5) == 0)
		return true;
	if (key_in(m, always, sizeof always / sizeof always[0]))
		return true;
	return per_call &&
	       key_in(m, conn_level, sizeof conn_level / sizeof conn_level[0]);
}

/* The record without its absent (null) fields and the ones above, so
 * that a line reads at a glance; still one JSON object. */
static void compact(const char *in, bool per_call, char *out, size_t cap)
{
	size_t o = 0;

	out[o++] = '{';
	for (const char *p = in + 1; *p == '"';) {
		size_t n = json_member_len(p);

		if (!member_hidden(p, n, per_call) && o + n + 3 < cap) {
			if (o > 1)
				out[o++] = ',';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	out[o++] = '}';
	out[o] = '\0';
}

static void on_audit(const tether_audit_record *r, void *ud)
{
	jobs_server *s = ud;
	char line[4096], brief[4096];

	count_record(s, r);
	if (tether_audit_format_json(r, line, sizeof line, NULL) != TETHER_OK) {
		say("        audit (record too long to show: %s)",
		    tether_audit_event_name(r->event));
		return;
	}
	if (s->audit_full)
		say("        audit %s", line);
	else {
		compact(line,
			r->event == TETHER_AUDIT_CALL ||
			    r->event == TETHER_AUDIT_DENIAL ||
			    r->event == TETHER_AUDIT_LIMIT ||
			    r->event == TETHER_AUDIT_CONN_CLOSE,
			brief, sizeof brief);
		say("        audit %s", brief);
	}
}

/* ---- setup ------------------------------------------------------------ */

static tether_status tls_config(const char *dir, tether_tls_config **out)
{
	char ca[512], crt[512], key[512];
	tether_status st;

	snprintf(ca, sizeof ca, "%s/ca.crt", dir);
	snprintf(crt, sizeof crt, "%s/server.crt", dir);
	snprintf(key, sizeof key, "%s/server.key", dir);
	st = tether_tls_config_new(out);
	if (st == TETHER_OK)
		st = tether_tls_config_set_ca_file(*out, ca);
	if (st == TETHER_OK)
		st = tether_tls_config_set_cert_file(*out, crt);
	if (st == TETHER_OK)
		st = tether_tls_config_set_key_file(*out, key);
	/* Client certificates are required by default (mutual TLS). */
	return st;
}

static tether_status load_policy(jobs_server *s, const char *text)
{
	const tether_idl_desc *idls[] = {&jobs_idl};
	char err[256];
	tether_status st = tether_policy_new(&s->policy);

	if (st == TETHER_OK)
		st = tether_policy_load_text(s->policy, "demo-policy", text,
					     strlen(text), idls, 1, err,
					     sizeof err);
	if (st == TETHER_E_POLICY_SYNTAX)
		say("policy error: %s", err);
	return st;
}

static tether_status make_server(jobs_server *s, const char *dir,
				 uint32_t cb_deadline_ms, uint32_t max_expiries)
{
	tether_server_opts *o = NULL;
	tether_tls_config *tls = NULL;
	tether_status st = tls_config(dir, &tls);

	if (st == TETHER_OK)
		st = tether_server_opts_new(&o);
	if (st == TETHER_OK) {
		tether_server_opts_set_tls(o, tls);
		tether_server_opts_set_io_threads(o, 2);
		tether_server_opts_set_workers(o, 4);
		tether_server_opts_set_call_deadline_ms(o, cb_deadline_ms);
		tether_server_opts_set_max_expiries(o, max_expiries);
		tether_server_opts_set_policy(o, s->policy);
		tether_server_opts_set_audit(o, s->audit);
		st = tether_server_new(o, &s->srv);
	}
	tether_server_opts_free(o);
	tether_tls_config_free(tls); /* the server built its own context */
	return st;
}

tether_status jobs_server_start(const char *dir, const char *policy_text,
				uint32_t cb_deadline_ms, uint32_t max_expiries,
				bool audit_full, jobs_server **out, char *ep,
				size_t cap)
{
	jobs_server *s = calloc(1, sizeof *s);
	tether_status st;

	if (s == NULL)
		return TETHER_E_NOMEM;
	s->audit_full = audit_full;
	pthread_mutex_init(&s->mu, NULL);
	atomic_init(&s->next_job, 0);
	*out = s;
	st = load_policy(s, policy_text);
	if (st == TETHER_OK)
		st = tether_audit_sink_new_callback(on_audit, s, &s->audit);
	if (st == TETHER_OK)
		st = make_server(s, dir, cb_deadline_ms, max_expiries);
	if (st == TETHER_OK)
		st = tether_server_register_blocking(s->srv, &jobs_prog_1_desc,
						     &handlers, s);
	if (st == TETHER_OK)
		st = tether_server_listen(s->srv, "tls://127.0.0.1:0");
	if (st == TETHER_OK)
		st = tether_server_endpoint(s->srv, 0, ep, cap);
	if (st == TETHER_OK)
		st = tether_server_start(s->srv);
	return st;
}

void jobs_server_free(jobs_server *s)
{
	if (s == NULL)
		return;
	/* Stops (grace 0) and frees, before what it borrows. */
	tether_server_free(s->srv);
	tether_audit_sink_free(s->audit);
	tether_policy_free(s->policy);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

tether_status jobs_server_stats(jobs_server *s, tether_server_counters *c)
{
	return tether_server_stats(s->srv, c, sizeof *c);
}

void jobs_server_audit_counts(jobs_server *s, audit_counts *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->counts;
	pthread_mutex_unlock(&s->mu);
}
