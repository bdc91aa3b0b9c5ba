/* SPDX-License-Identifier: MIT */
/* metrics.c - counters and latency histograms with lock-free updates
 * (relaxed C11 atomics), fixed memory (series tables sized at creation,
 * overflow into one "other" series), and rendering in the Prometheus text
 * exposition format 0.0.4. Names and labels in docs/audit.md. */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tt.h"
#include "security/security_int.h"

#define METRICS_MAGIC 0x6d657472u	       /* "metr" */
#define SLOTS (2u * TETHER_METRICS_MAX_SERIES) /* load factor <= 1/2 */
#define NB (TETHER_METRICS_NBUCKETS + 1u)

typedef struct series {
	atomic_uint ready; /* 0 empty, 1 key published (release) */
	uint32_t prog, vers, proc, status;
	atomic_uint_fast64_t count, sum_us;
	atomic_uint_fast64_t buckets[NB]; /* latency table only */
} series;

typedef struct table {
	series slot[SLOTS];
	series other; /* calls past TETHER_METRICS_MAX_SERIES */
	size_t n;     /* keys inserted, under the mutex */
} table;

struct tether_metrics {
	uint32_t magic;
	atomic_uint_fast64_t ctr[TETHER_METRIC__COUNT];
	pthread_mutex_t mu; /* insertion of a new series only */
	table calls, lat;
};

static const uint64_t bounds_us[TETHER_METRICS_NBUCKETS] = {
    100,   250,	   500,	   1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
static const char *const bounds_le[TETHER_METRICS_NBUCKETS] = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05",   "0.1",	 "0.25",   "0.5",   "1",      "2.5",   "5",    "10"};

static bool good(const tether_metrics *m)
{
	return m != NULL && m->magic == METRICS_MAGIC;
}

uint64_t tether_metrics_bucket_bound_us(unsigned i)
{
	return i < TETHER_METRICS_NBUCKETS ? bounds_us[i] : UINT64_MAX;
}

tether_status tether_metrics_new(tether_metrics **out)
{
	if (out == NULL)
		return TETHER_E_INVAL;
	/* All-zero bytes are valid initial atomics on every platform we
	 * build for (lock-free integer atomics). */
	tether_metrics *m = tt_calloc(1, sizeof(*m));
	*out = NULL;
	if (m == NULL)
		return TETHER_E_NOMEM;
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		tt_free(m, sizeof(*m));
		return TETHER_E_NOMEM;
	}
	m->magic = METRICS_MAGIC;
	*out = m;
	return TETHER_OK;
}

void tether_metrics_free(tether_metrics *m)
{
	if (!good(m))
		return;
	m->magic = 0;
	(void)pthread_mutex_destroy(&m->mu);
	tt_free(m, sizeof(*m));
}

void tether_metrics_add(tether_metrics *m, tether_metric c, uint64_t n)
{
	if (good(m) && (unsigned)c < TETHER_METRIC__COUNT)
		atomic_fetch_add_explicit(&m->ctr[c], n, memory_order_relaxed);
}

uint64_t tether_metrics_get(const tether_metrics *m, tether_metric c)
{
	if (!good(m) || (unsigned)c >= TETHER_METRIC__COUNT)
		return 0;
	return atomic_load_explicit(&((tether_metrics *)m)->ctr[c],
				    memory_order_relaxed);
}

static uint32_t slot_hash(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ull;
	h ^= (uint64_t)b * 0xc2b2ae3d27d4eb4full + (h >> 29);
	h ^= (uint64_t)c * 0x165667b19e3779f9ull + (h >> 31);
	h ^= (uint64_t)d * 0x27d4eb2f165667c5ull + (h >> 27);
	return (uint32_t)(h ^ (h >> 32));
}

static bool same_key(const series *s, uint32_t prog, uint32_t vers,
		     uint32_t proc, uint32_t st)
{
	return s->prog == prog && s->vers == vers && s->proc == proc &&
	       s->status == st;
}

/* Lock-free probe: the slot holding the key, or NULL at the first empty
 * slot (keys are never removed, so the key is absent). */
static series *probe(table *t, uint32_t prog, uint32_t vers, uint32_t proc,
		     uint32_t st)
{
	uint32_t h = slot_hash(prog, vers, proc, st);
	for (uint32_t i = 0; i < SLOTS; i++) {
		series *s = &t->slot[(h + i) % SLOTS];
		if (atomic_load_explicit(&s->ready, memory_order_acquire) == 0)
			return NULL;
		if (same_key(s, prog, vers, proc, st))
			return s;
	}
	return NULL;
}

static series *insert_locked(table *t, uint32_t prog, uint32_t vers,
			     uint32_t proc, uint32_t st)
{
	series *s = probe(t, prog, vers, proc, st);
	if (s != NULL)
		return s;
	if (t->n >= TETHER_METRICS_MAX_SERIES)
		return &t->other;
	uint32_t h = slot_hash(prog, vers, proc, st);
	for (uint32_t i = 0; i < SLOTS; i++) {
		s = &t->slot[(h + i) % SLOTS];
		if (atomic_load_explicit(&s->ready, memory_order_relaxed) != 0)
			continue;
		s->prog = prog, s->vers = vers, s->proc = proc, s->status = st;
		/* Publish the key: readers load ready with acquire. */
		atomic_store_explicit(&s->ready, 1, memory_order_release);
		t->n++;
		return s;
	}
	return &t->other; /* unreachable: SLOTS > MAX_SERIES */
}

static series *series_of(tether_metrics *m, table *t, uint32_t prog,
			 uint32_t vers, uint32_t proc, uint32_t st)
{
	series *s = probe(t, prog, vers, proc, st);
	if (s != NULL)
		return s;
	(void)pthread_mutex_lock(&m->mu);
	s = insert_locked(t, prog, vers, proc, st);
	(void)pthread_mutex_unlock(&m->mu);
	return s;
}

static unsigned bucket_of(uint64_t us)
{
	unsigned i = 0;
	while (i < TETHER_METRICS_NBUCKETS && us > bounds_us[i])
		i++;
	return i;
}

void tether_metrics_call(tether_metrics *m, uint32_t prog, uint32_t vers,
			 uint32_t proc, tether_status st, uint64_t duration_us)
{
	if (!good(m))
		return;
	series *c = series_of(m, &m->calls, prog, vers, proc, (uint32_t)st);
	atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
	series *l = series_of(m, &m->lat, prog, vers, proc, 0);
	atomic_fetch_add_explicit(&l->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&l->sum_us, duration_us,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&l->buckets[bucket_of(duration_us)], 1,
				  memory_order_relaxed);
}

static uint64_t ld(const atomic_uint_fast64_t *a)
{
	return atomic_load_explicit((atomic_uint_fast64_t *)a,
				    memory_order_relaxed);
}

uint64_t tether_metrics_calls(const tether_metrics *m, uint32_t prog,
			      uint32_t vers, uint32_t proc, tether_status st)
{
	if (!good(m))
		return 0;
	series *s = probe((table *)&m->calls, prog, vers, proc, (uint32_t)st);
	return s == NULL ? 0 : ld(&s->count);
}

tether_status
tether_metrics_latency(const tether_metrics *m, uint32_t prog, uint32_t vers,
		       uint32_t proc,
		       uint64_t buckets[TETHER_METRICS_NBUCKETS + 1],
		       uint64_t *count, uint64_t *sum_us)
{
	if (!good(m) || buckets == NULL)
		return TETHER_E_INVAL;
	series *s = probe((table *)&m->lat, prog, vers, proc, 0);
	if (s == NULL)
		return TETHER_E_NOT_FOUND;
	for (unsigned i = 0; i < NB; i++)
		buckets[i] = ld(&s->buckets[i]);
	if (count != NULL)
		*count = ld(&s->count);
	if (sum_us != NULL)
		*sum_us = ld(&s->sum_us);
	return TETHER_OK;
}

/* ---- Prometheus text ---------------------------------------------------- */

typedef struct pw {
	char *buf;
	size_t cap, len; /* len counts on past cap */
} pw;

static void pw_printf(pw *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void pw_printf(pw *w, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = (int)sizeof(tmp) - 1; /* never: our lines are short */
	if (w->len < w->cap && (size_t)n <= w->cap - w->len)
		memcpy(w->buf + w->len, tmp, (size_t)n);
	else
		w->cap = w->len < w->cap ? w->len : w->cap;
	w->len += (size_t)n;
}

static void header(pw *w, const char *name, const char *type, const char *help)
{
	pw_printf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int cmp_series(const void *a, const void *b)
{
	const series *x = *(const series *const *)a;
	const series *y = *(const series *const *)b;
	uint32_t kx[4] = {x->prog, x->vers, x->proc, x->status};
	uint32_t ky[4] = {y->prog, y->vers, y->proc, y->status};
	for (int i = 0; i < 4; i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	return 0;
}

/* The published series of t, sorted by key; returns how many. */
static size_t sorted(const table *t, const series **out)
{
	size_t n = 0;
	for (uint32_t i = 0; i < SLOTS; i++)
		if (atomic_load_explicit((atomic_uint *)&t->slot[i].ready,
					 memory_order_acquire) != 0)
			out[n++] = &t->slot[i];
	qsort(out, n, sizeof(*out), cmp_series);
	return n;
}

static void render_calls(pw *w, const table *t, const series **v)
{
	size_t n = sorted(t, v);
	header(w, "tether_calls_total", "counter",
	       "Calls finished, by program, version, procedure and status.");
	for (size_t i = 0; i < n; i++)
		pw_printf(w,
			  "tether_calls_total{prog=\"%" PRIu32
			  "\",vers=\"%" PRIu32 "\",proc=\"%" PRIu32
			  "\",status=\"%s\"} %" PRIu64 "\n",
			  v[i]->prog, v[i]->vers, v[i]->proc,
			  tether_status_name((tether_status)v[i]->status),
			  ld(&v[i]->count));
	if (ld(&t->other.count) != 0)
		pw_printf(w,
			  "tether_calls_total{prog=\"other\",vers=\"other\","
			  "proc=\"other\",status=\"other\"} %" PRIu64 "\n",
			  ld(&t->other.count));
}

static void render_hist(pw *w, const series *s, const char *labels)
{
	const char *nm = "tether_call_duration_seconds";
	uint64_t cum = 0, sum = ld(&s->sum_us);
	for (unsigned b = 0; b < NB; b++) {
		cum += ld(&s->buckets[b]);
		pw_printf(
		    w, "%s_bucket{%s,le=\"%s\"} %" PRIu64 "\n", nm, labels,
		    b < TETHER_METRICS_NBUCKETS ? bounds_le[b] : "+Inf", cum);
	}
	pw_printf(w, "%s_sum{%s} %" PRIu64 ".%06" PRIu64 "\n", nm, labels,
		  sum / 1000000u, sum % 1000000u);
	pw_printf(w, "%s_count{%s} %" PRIu64 "\n", nm, labels, ld(&s->count));
}

static void render_lat(pw *w, const table *t, const series **v)
{
	char labels[96];
	size_t n = sorted(t, v);
	header(w, "tether_call_duration_seconds", "histogram",
	       "Time from a call's arrival to its reply.");
	for (size_t i = 0; i < n; i++) {
		(void)snprintf(labels, sizeof(labels),
			       "prog=\"%" PRIu32 "\",vers=\"%" PRIu32
			       "\",proc=\"%" PRIu32 "\"",
			       v[i]->prog, v[i]->vers, v[i]->proc);
		render_hist(w, v[i], labels);
	}
	if (ld(&t->other.count) != 0)
		render_hist(w, &t->other,
			    "prog=\"other\",vers=\"other\",proc=\"other\"");
}

typedef struct plain {
	tether_metric c;
	const char *name;
	const char *help;
} plain;

static const plain plains[] = {
    {TETHER_METRIC_BYTES_IN, "tether_bytes_received_total",
     "Bytes received on connections."},
    {TETHER_METRIC_BYTES_OUT, "tether_bytes_sent_total",
     "Bytes sent on connections."},
    {TETHER_METRIC_CONN_OPENED, "tether_connections_opened_total",
     "Connections opened."},
    {TETHER_METRIC_CONN_CLOSED, "tether_connections_closed_total",
     "Connections closed."},
    {TETHER_METRIC_DENIALS, "tether_denials_total",
     "Calls denied by the authorization policy."},
    {TETHER_METRIC_CALLBACK_EXPIRIES, "tether_callback_expiries_total",
     "Outbound calls (callbacks) whose deadline expired."},
};

static const char *const limit_names[] = {"rate_identity",
					  "rate_address",
					  "connections",
					  "connections_per_address",
					  "handshake_timeout",
					  "idle_timeout",
					  "record_timeout",
					  "record_size",
					  "inbound",
					  "outbound",
					  "memory"};

static void render_counters(pw *w, const tether_metrics *m)
{
	for (size_t i = 0; i < TT_ARRAY_LEN(plains); i++) {
		header(w, plains[i].name, "counter", plains[i].help);
		pw_printf(w, "%s %" PRIu64 "\n", plains[i].name,
			  tether_metrics_get(m, plains[i].c));
	}
	header(w, "tether_limit_hits_total", "counter",
	       "Times a limit refused a call or a connection, by limit.");
	for (size_t i = 0; i < TT_ARRAY_LEN(limit_names); i++)
		pw_printf(
		    w, "tether_limit_hits_total{limit=\"%s\"} %" PRIu64 "\n",
		    limit_names[i],
		    tether_metrics_get(
			m, (tether_metric)(TETHER_METRIC_LIMIT_RATE_IDENTITY +
					   i)));
}

tether_status tether_metrics_prometheus(const tether_metrics *m, char *buf,
					size_t cap, size_t *len)
{
	/* Sized for both tables' slots: 8 KiB of pointers, off the heap. */
	const series **v;
	if (!good(m) || buf == NULL || cap == 0)
		return TETHER_E_INVAL;
	v = tt_alloc(SLOTS * sizeof(*v));
	if (v == NULL)
		return TETHER_E_NOMEM;
	pw w = {buf, cap - 1, 0};
	render_calls(&w, &m->calls, v);
	render_lat(&w, &m->lat, v);
	render_counters(&w, m);
	tt_free(v, SLOTS * sizeof(*v));
	if (len != NULL)
		*len = w.len;
	if (w.len > cap - 1) {
		buf[0] = '\0';
		return TETHER_E_TOO_LARGE;
	}
	buf[w.len] = '\0';
	return TETHER_OK;
}

_Static_assert(TT_ARRAY_LEN(limit_names) ==
		   TETHER_METRIC__COUNT - TETHER_METRIC_LIMIT_RATE_IDENTITY,
	       "one Prometheus limit label per limit counter");
