/* SPDX-License-Identifier: MIT */
/*
 * showcase.h - what the parts of the showcase demo share: narration on
 * the terminal (one mutex for every line, so the server's audit records
 * and the clients' progress never mix within a line) and the jobs server.
 */
#ifndef SHOWCASE_H
#define SHOWCASE_H

#include <tether/tether.h>

#include <stdbool.h>
#include <stdint.h>

/* printf-like, one whole line under the terminal mutex. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Monotonic milliseconds. */
uint64_t now_ms(void);

/* What the server's audit sink counted (docs/audit.md event names). */
typedef struct audit_counts {
	unsigned records, calls, callbacks, denials, conn_closes;
} audit_counts;

typedef struct jobs_server jobs_server;

/* Starts the jobs server on tls://127.0.0.1:0 with the certificates of dir
 * (ca.crt, server.crt, server.key), the policy text, audit records printed
 * through say() (whole if audit_full, else without absent fields),
 * callbacks with a deadline of cb_deadline_ms and a cut-off after
 * max_expiries expiries in a row. Writes the endpoint into ep. *out is set
 * even on failure: free it with jobs_server_free(). */
tether_status jobs_server_start(const char *dir, const char *policy_text,
				uint32_t cb_deadline_ms, uint32_t max_expiries,
				bool audit_full, jobs_server **out, char *ep,
				size_t cap);
/* Stops and frees; s may be NULL. */
void jobs_server_free(jobs_server *s);
/* Counters of the server, and of its audit records. */
tether_status jobs_server_stats(jobs_server *s, tether_server_counters *c);
void jobs_server_audit_counts(jobs_server *s, audit_counts *out);

#endif /* SHOWCASE_H */
