/* SPDX-License-Identifier: MIT */
/* audit_sink.c - where audit records go: an application callback, JSON
 * lines to a FILE* / path / stderr, or syslog. Successful calls may be
 * sampled 1 in N; denials, limit hits, failures and connection events are
 * always written. File sinks write under a mutex with one fwrite + fflush
 * per record (a blocking write to a local file, accepted for now; see
 * docs/audit.md for the cost and the planned writer thread). */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common/tt.h"
#include "security/security_int.h"

#define SINK_MAGIC 0x61756474u /* "audt" */
#define IDENT_MAX 64u

typedef enum sink_kind { SINK_CALLBACK, SINK_FILE, SINK_SYSLOG } sink_kind;

struct tether_audit_sink {
	uint32_t magic;
	sink_kind kind;
	tether_audit_fn fn;
	void *ud;
	FILE *f;
	bool own_file;
	char ident[IDENT_MAX + 1];
	pthread_mutex_t mu; /* file and syslog sinks: guards buf and f */
	char *buf;	    /* TETHER_AUDIT_JSON_MAX + 1 bytes */
	atomic_uint_fast64_t ok_seen;
	atomic_uint_fast32_t sample;
};

static bool good(const tether_audit_sink *s)
{
	return s != NULL && s->magic == SINK_MAGIC;
}

static void sink_release(tether_audit_sink *s)
{
	if (s->buf != NULL)
		tt_free(s->buf, TETHER_AUDIT_JSON_MAX + 1);
	tt_free(s, sizeof(*s));
}

static tether_status sink_alloc(sink_kind kind, bool need_buf,
				tether_audit_sink **out)
{
	if (out == NULL)
		return TETHER_E_INVAL;
	*out = NULL;
	tether_audit_sink *s = tt_calloc(1, sizeof(*s));
	if (s == NULL)
		return TETHER_E_NOMEM;
	if (need_buf) {
		s->buf = tt_alloc(TETHER_AUDIT_JSON_MAX + 1);
		if (s->buf == NULL || pthread_mutex_init(&s->mu, NULL) != 0) {
			sink_release(s);
			return TETHER_E_NOMEM;
		}
	}
	s->kind = kind;
	atomic_init(&s->ok_seen, 0);
	atomic_init(&s->sample, 1);
	s->magic = SINK_MAGIC;
	*out = s;
	return TETHER_OK;
}

tether_status tether_audit_sink_new_callback(tether_audit_fn fn, void *ud,
					     tether_audit_sink **out)
{
	if (fn == NULL)
		return TETHER_E_INVAL;
	TT_TRY(sink_alloc(SINK_CALLBACK, false, out));
	(*out)->fn = fn;
	(*out)->ud = ud;
	return TETHER_OK;
}

tether_status tether_audit_sink_new_json_file(FILE *f, tether_audit_sink **out)
{
	if (f == NULL)
		return TETHER_E_INVAL;
	TT_TRY(sink_alloc(SINK_FILE, true, out));
	(*out)->f = f;
	return TETHER_OK;
}

tether_status tether_audit_sink_new_stderr(tether_audit_sink **out)
{
	return tether_audit_sink_new_json_file(stderr, out);
}

tether_status tether_audit_sink_new_json_path(const char *path,
					      tether_audit_sink **out)
{
	if (path == NULL || path[0] == '\0' || out == NULL)
		return TETHER_E_INVAL;
	/* 0600: audit records name peers and addresses. No symlink
	 * following, so a planted link cannot redirect the log. */
	int fd = open(
	    path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return TETHER_E_IO;
	FILE *f = fdopen(fd, "a");
	if (f == NULL) {
		(void)close(fd);
		return TETHER_E_IO;
	}
	tether_status st = tether_audit_sink_new_json_file(f, out);
	if (st != TETHER_OK) {
		(void)fclose(f);
		return st;
	}
	(*out)->own_file = true;
	return TETHER_OK;
}

tether_status tether_audit_sink_new_syslog(const char *ident,
					   tether_audit_sink **out)
{
	if (ident == NULL)
		ident = "tether";
	size_t n = strnlen(ident, IDENT_MAX + 1);
	if (n == 0 || n > IDENT_MAX)
		return TETHER_E_INVAL;
	TT_TRY(sink_alloc(SINK_SYSLOG, true, out));
	memcpy((*out)->ident, ident, n);
	return TETHER_OK;
}

void tether_audit_sink_free(tether_audit_sink *s)
{
	if (!good(s))
		return;
	s->magic = 0;
	if (s->own_file)
		(void)fclose(s->f);
	if (s->buf != NULL)
		(void)pthread_mutex_destroy(&s->mu);
	sink_release(s);
}

void tether_audit_sink_set_sample(tether_audit_sink *s, uint32_t n)
{
	if (good(s))
		atomic_store(&s->sample, n == 0 ? 1 : n);
}

/* Only successful calls are sampled; the first of every n is kept. */
static bool sampled_out(tether_audit_sink *s, const tether_audit_record *r)
{
	if (r->event != TETHER_AUDIT_CALL || r->status != TETHER_OK)
		return false;
	uint_fast32_t n =
	    atomic_load_explicit(&s->sample, memory_order_relaxed);
	if (n <= 1)
		return false;
	uint_fast64_t seen =
	    atomic_fetch_add_explicit(&s->ok_seen, 1, memory_order_relaxed);
	return seen % n != 0;
}

static bool is_alert(const tether_audit_record *r)
{
	return r->event == TETHER_AUDIT_DENIAL ||
	       r->event == TETHER_AUDIT_LIMIT || r->status != TETHER_OK;
}

static tether_status write_locked(tether_audit_sink *s,
				  const tether_audit_record *r)
{
	size_t len = 0;
	TT_TRY(
	    tether_audit_format_json(r, s->buf, TETHER_AUDIT_JSON_MAX, &len));
	if (s->kind == SINK_SYSLOG) {
		/* openlog(3) is process-wide and belongs to the application:
		 * the ident is the first word of the message instead. */
		syslog(LOG_AUTHPRIV | (is_alert(r) ? LOG_WARNING : LOG_NOTICE),
		       "%s: %s", s->ident, s->buf);
		return TETHER_OK;
	}
	s->buf[len] = '\n';
	size_t put = fwrite(s->buf, 1, len + 1, s->f);
	if (fflush(s->f) != 0 || put != len + 1)
		return TETHER_E_IO;
	return TETHER_OK;
}

tether_status tether_audit_emit(tether_audit_sink *s,
				const tether_audit_record *r, bool *written)
{
	if (written != NULL)
		*written = false;
	if (!good(s) || r == NULL)
		return TETHER_E_INVAL;
	if (sampled_out(s, r))
		return TETHER_OK;
	if (written != NULL)
		*written = true;
	if (s->kind == SINK_CALLBACK) {
		s->fn(r, s->ud);
		return TETHER_OK;
	}
	(void)pthread_mutex_lock(&s->mu);
	tether_status st = write_locked(s, r);
	(void)pthread_mutex_unlock(&s->mu);
	return st;
}
