/* SPDX-License-Identifier: MIT */
/* audit_sink.c - where audit records go: an application callback, JSON
 * lines to a FILE* / path / stderr, or syslog. Successful calls may be
 * sampled 1 in N; denials, limit hits, failures and connection events are
 * always written. File and syslog sinks write on the caller's thread with
 * one fwrite + fflush per record, or, after tether_audit_sink_set_async(),
 * queue the formatted line for a writer thread (docs/audit.md). */
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
	atomic_uint_fast64_t dropped;
	/* Async mode: a FIFO of formatted lines, at most qcap bytes of
	 * text, drained by thr. qmu guards the queue and stop. */
	bool async;
	pthread_t thr;
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	struct qline *qhead, *qtail;
	size_t qbytes, qcap;
	bool stop;
};

/* One queued line: text[len] is '\n', text[len + 1] is NUL. */
typedef struct qline {
	struct qline *next;
	size_t len;
	bool alert;
	char text[];
} qline;

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
	atomic_init(&s->dropped, 0);
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

static bool is_alert(const tether_audit_record *r)
{
	return r->event == TETHER_AUDIT_DENIAL ||
	       r->event == TETHER_AUDIT_LIMIT || r->status != TETHER_OK;
}

/* Writes one formatted line (text[len] == '\n', NUL after it). One fwrite
 * per line: stdio locks the FILE per call, so lines from the writer thread
 * and from the synchronous fallback never interleave. */
static tether_status output_line(tether_audit_sink *s, const char *text,
				 size_t len, bool alert)
{
	if (s->kind == SINK_SYSLOG) {
		/* openlog(3) is process-wide and belongs to the application:
		 * the ident is the first word of the message instead. */
		syslog(LOG_AUTHPRIV | (alert ? LOG_WARNING : LOG_NOTICE),
		       "%s: %.*s", s->ident, (int)len, text);
		return TETHER_OK;
	}
	size_t put = fwrite(text, 1, len + 1, s->f);
	if (fflush(s->f) != 0 || put != len + 1)
		return TETHER_E_IO;
	return TETHER_OK;
}

static void *writer_main(void *arg)
{
	tether_audit_sink *s = arg;
	(void)pthread_mutex_lock(&s->qmu);
	for (;;) {
		while (s->qhead == NULL && !s->stop)
			(void)pthread_cond_wait(&s->qcv, &s->qmu);
		qline *q = s->qhead;
		if (q == NULL)
			break; /* stop, and everything written */
		s->qhead = q->next;
		if (s->qhead == NULL)
			s->qtail = NULL;
		(void)pthread_mutex_unlock(&s->qmu);
		if (output_line(s, q->text, q->len, q->alert) != TETHER_OK)
			atomic_fetch_add(&s->dropped, 1);
		(void)pthread_mutex_lock(&s->qmu);
		s->qbytes -= q->len;
		tt_free(q, sizeof(*q) + q->len + 2);
	}
	(void)pthread_mutex_unlock(&s->qmu);
	return NULL;
}

/* Lets the writer drain the queue, then joins it. */
static void async_stop(tether_audit_sink *s)
{
	(void)pthread_mutex_lock(&s->qmu);
	s->stop = true;
	(void)pthread_cond_signal(&s->qcv);
	(void)pthread_mutex_unlock(&s->qmu);
	(void)pthread_join(s->thr, NULL);
	(void)pthread_cond_destroy(&s->qcv);
	(void)pthread_mutex_destroy(&s->qmu);
	s->async = false;
}

tether_status tether_audit_sink_set_async(tether_audit_sink *s,
					  size_t queue_bytes)
{
	if (!good(s))
		return TETHER_E_INVAL;
	if (s->kind == SINK_CALLBACK || s->async)
		return TETHER_E_STATE;
	s->qcap = queue_bytes == 0 ? TETHER_AUDIT_DEFAULT_QUEUE : queue_bytes;
	if (pthread_mutex_init(&s->qmu, NULL) != 0)
		return TETHER_E_NOMEM;
	if (pthread_cond_init(&s->qcv, NULL) != 0) {
		(void)pthread_mutex_destroy(&s->qmu);
		return TETHER_E_NOMEM;
	}
	if (pthread_create(&s->thr, NULL, writer_main, s) != 0) {
		(void)pthread_cond_destroy(&s->qcv);
		(void)pthread_mutex_destroy(&s->qmu);
		return TETHER_E_NOMEM;
	}
	s->async = true;
	return TETHER_OK;
}

uint64_t tether_audit_sink_dropped(const tether_audit_sink *s)
{
	if (!good(s))
		return 0;
	return atomic_load(&((tether_audit_sink *)s)->dropped);
}

/* Queues the line in s->buf; false if the queue is full (or no memory). */
static bool enqueue(tether_audit_sink *s, size_t len, bool alert)
{
	qline *q = tt_alloc(sizeof(*q) + len + 2);
	if (q == NULL)
		return false;
	(void)pthread_mutex_lock(&s->qmu);
	bool fits = len <= s->qcap && s->qbytes <= s->qcap - len;
	if (fits) {
		q->next = NULL;
		q->len = len;
		q->alert = alert;
		memcpy(q->text, s->buf, len + 2);
		if (s->qtail != NULL)
			s->qtail->next = q;
		else
			s->qhead = q;
		s->qtail = q;
		s->qbytes += len;
		(void)pthread_cond_signal(&s->qcv);
	}
	(void)pthread_mutex_unlock(&s->qmu);
	if (!fits)
		tt_free(q, sizeof(*q) + len + 2);
	return fits;
}

/* Formats r into s->buf (held under s->mu) and writes or queues it. When
 * the queue is full a successful call is dropped and counted; anything
 * else is written at once on this thread, so it is never lost. */
static tether_status write_locked(tether_audit_sink *s,
				  const tether_audit_record *r)
{
	size_t len = 0;
	bool alert = is_alert(r);
	TT_TRY(tether_audit_format_json(r, s->buf, TETHER_AUDIT_JSON_MAX - 1,
					&len));
	s->buf[len] = '\n';
	s->buf[len + 1] = '\0';
	if (!s->async)
		return output_line(s, s->buf, len, alert);
	if (enqueue(s, len, alert))
		return TETHER_OK;
	if (r->event == TETHER_AUDIT_CALL && r->status == TETHER_OK) {
		atomic_fetch_add(&s->dropped, 1);
		return TETHER_OK;
	}
	return output_line(s, s->buf, len, alert);
}

void tether_audit_sink_free(tether_audit_sink *s)
{
	if (!good(s))
		return;
	s->magic = 0;
	if (s->async)
		async_stop(s);
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
