/* SPDX-License-Identifier: MIT */
/* adv_util.c - helpers of the adversarial tests and the abuse benchmark. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "adv_util.h"

uint64_t adv_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void adv_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- counting allocator ------------------------------------------------ */

static atomic_size_t g_cur, g_peak;

static void grew(size_t n)
{
	size_t cur = atomic_fetch_add(&g_cur, n) + n;
	size_t peak = atomic_load(&g_peak);
	while (cur > peak && !atomic_compare_exchange_weak(&g_peak, &peak, cur))
		;
}

static void *c_alloc(size_t n, void *ud)
{
	void *p = malloc(n);
	(void)ud;
	if (p != NULL)
		grew(n);
	return p;
}

static void *c_realloc(void *p, size_t old_n, size_t new_n, void *ud)
{
	void *q = realloc(p, new_n);
	(void)ud;
	if (q == NULL)
		return NULL;
	atomic_fetch_sub(&g_cur, old_n);
	grew(new_n);
	return q;
}

static void c_free(void *p, size_t n, void *ud)
{
	(void)ud;
	if (p == NULL)
		return;
	atomic_fetch_sub(&g_cur, n);
	free(p);
}

void adv_alloc_install(void)
{
	static const tether_allocator a = {c_alloc, c_realloc, c_free, NULL};
	tether_set_allocator(&a);
}

size_t adv_alloc_current(void)
{
	return atomic_load(&g_cur);
}

size_t adv_alloc_peak(void)
{
	return atomic_load(&g_peak);
}

void adv_alloc_mark(void)
{
	atomic_store(&g_peak, atomic_load(&g_cur));
}

/* ---- raw sockets ------------------------------------------------------- */

int adv_connect(uint16_t port, const char *src, bool nb)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (src != NULL) {
		struct sockaddr_in me = {.sin_family = AF_INET};
		inet_pton(AF_INET, src, &me.sin_addr);
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof one);
		if (bind(fd, (struct sockaddr *)&me, sizeof me) != 0) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (nb)
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

uint16_t adv_port(const char *ep)
{
	const char *colon = strrchr(ep, ':');
	return colon == NULL ? 0 : (uint16_t)strtoul(colon + 1, NULL, 10);
}

void adv_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

uint32_t adv_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

size_t adv_call(uint8_t *b, uint32_t xid, uint32_t rpcvers, uint32_t prog,
		uint32_t vers, uint32_t proc, const uint32_t *args, size_t n)
{
	/* RFC 5531 §9: xid, CALL(0), rpcvers, prog, vers, proc, cred, verf;
	 * §11: one last fragment. */
	uint32_t head[11] = {0, xid, 0, rpcvers, prog, vers, proc, 0, 0, 0, 0};
	size_t words = 11 + n;

	head[0] = 0x80000000u | (uint32_t)((words - 1) * 4);
	for (size_t i = 0; i < 11; i++)
		adv_put32(b + 4 * i, head[i]);
	for (size_t i = 0; i < n; i++)
		adv_put32(b + 4 * (11 + i), args[i]);
	return words * 4;
}

size_t adv_read(int fd, uint8_t *b, size_t cap, unsigned ms, bool *eof)
{
	size_t got = 0;
	uint64_t end = adv_now_ms() + ms;

	if (eof != NULL)
		*eof = false;
	while (got < cap && adv_now_ms() < end) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		if (poll(&p, 1, 20) <= 0)
			continue;
		n = read(fd, b + got, cap - got);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			if (eof != NULL)
				*eof = true;
			break;
		}
		got += (size_t)n;
	}
	return got;
}

bool adv_wait_eof(int fd, unsigned ms)
{
	uint8_t b[4096];
	uint64_t end = adv_now_ms() + ms;

	while (adv_now_ms() < end) {
		bool eof;
		(void)adv_read(fd, b, sizeof b, 50, &eof);
		if (eof)
			return true;
	}
	return false;
}

long adv_cpu_ticks(int pid)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;
	char *p;
	long ut = 0, st = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	/* Fields after the command name "(...)": state is field 3, utime
	 * and stime are fields 14 and 15 (proc(5)). */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2,
				"%*c %*d %*d %*d %*d %*d %*u %*u %*u "
				"%*u %*u %ld %ld",
				&ut, &st) != 2)
		return -1;
	return ut + st;
}

/* ---- audit --------------------------------------------------------------- */

enum { MAX_LIMITS = 16 };

static pthread_mutex_t g_aud_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char name[40];
	unsigned n;
} g_limits[MAX_LIMITS];

static void on_audit(const tether_audit_record *r, void *ud)
{
	(void)ud;
	if (r->event != TETHER_AUDIT_LIMIT || r->limit == NULL)
		return;
	pthread_mutex_lock(&g_aud_mu);
	for (int i = 0; i < MAX_LIMITS; i++) {
		if (g_limits[i].name[0] == 0)
			snprintf(g_limits[i].name, sizeof g_limits[i].name,
				 "%s", r->limit);
		if (strcmp(g_limits[i].name, r->limit) == 0) {
			g_limits[i].n++;
			break;
		}
	}
	pthread_mutex_unlock(&g_aud_mu);
}

tether_audit_sink *adv_audit_sink(void)
{
	tether_audit_sink *s = NULL;
	if (tether_audit_sink_new_callback(on_audit, NULL, &s) != TETHER_OK)
		return NULL;
	return s;
}

unsigned adv_audit_limits(const char *limit)
{
	unsigned n = 0;
	pthread_mutex_lock(&g_aud_mu);
	for (int i = 0; i < MAX_LIMITS; i++)
		if (strcmp(g_limits[i].name, limit) == 0)
			n = g_limits[i].n;
	pthread_mutex_unlock(&g_aud_mu);
	return n;
}

void adv_audit_reset(void)
{
	pthread_mutex_lock(&g_aud_mu);
	memset(g_limits, 0, sizeof g_limits);
	pthread_mutex_unlock(&g_aud_mu);
}

/* ---- the test program's handlers ---------------------------------------- */

static tether_status h_echo(tether_call_ctx *ctx, const tp_bytes *a,
			    tp_bytes *r)
{
	(void)ctx;
	*r = *a;
	return TETHER_OK;
}

static atomic_uint g_slow_runs;

unsigned adv_slow_runs(void)
{
	return atomic_load(&g_slow_runs);
}

static tether_status h_slow(tether_call_ctx *ctx, const uint32_t *ms,
			    uint32_t *r)
{
	(void)ctx;
	atomic_fetch_add(&g_slow_runs, 1);
	adv_sleep_ms(*ms);
	*r = *ms;
	return TETHER_OK;
}

typedef struct sub_state {
	tether_call_ctx *ctx;
	uint32_t count, sent, done;
	uint8_t payload[8];
} sub_state;

static void sub_pump(sub_state *s);

static void sub_done(tether_status st, void *res, void *ud)
{
	(void)st;
	(void)res;
	((sub_state *)ud)->done++;
	sub_pump(ud);
}

/* Keeps callbacks outstanding up to the connection's cap (E_BUSY): the
 * black hole holds all of them unanswered. Never waits. */
static void sub_pump(sub_state *s)
{
	tp_bytes b = {sizeof s->payload, s->payload};

	while (s->sent < s->count) {
		tether_status st =
		    tether_call_async(tether_ctx_conn(s->ctx), tp_notify_pd, &b,
				      0, (tether_generic_fn)sub_done, s);
		if (st == TETHER_E_BUSY && s->sent > s->done)
			break;
		s->sent++;
		if (st != TETHER_OK)
			s->done++;
		if (st != TETHER_OK && st != TETHER_E_BUSY) {
			/* The connection is gone or cut off: give up on the
			 * rest instead of failing each one in turn. */
			s->done += s->count - s->sent;
			s->sent = s->count;
		}
	}
	if (s->done == s->count) {
		tether_call_ctx *ctx = s->ctx;
		uint32_t n = s->done;
		tether_status st;
		free(s);
		st = tether_ctx_reply(ctx, &n); /* fails if the peer is gone */
		(void)st;
	}
}

static tether_status h_subscribe(tether_call_ctx *ctx, const tp_sub_args *a,
				 uint32_t *r)
{
	sub_state *s;

	if (a->count == 0) {
		*r = 0;
		return TETHER_OK;
	}
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return TETHER_E_NOMEM;
	s->ctx = ctx, s->count = a->count;
	sub_pump(s);
	return TETHER_E_DEFERRED;
}

static tether_status h_whoami(tether_call_ctx *ctx, uint32_t *r)
{
	(void)ctx;
	*r = 0;
	return TETHER_OK;
}

static tether_status h_uint(tether_call_ctx *ctx, const uint32_t *a,
			    uint32_t *r)
{
	(void)ctx;
	*r = *a;
	return TETHER_OK;
}

const tp_handlers adv_handlers = {h_echo, h_slow, h_subscribe, h_whoami,
				  h_uint, h_uint, h_uint};

static tether_status h_notify(tether_call_ctx *ctx, const tp_bytes *a,
			      uint32_t *r)
{
	(void)ctx;
	*r = a->len;
	return TETHER_OK;
}

const tp_cb_handlers adv_cb_handlers = {h_notify};

int adv_probe(tether_client *c, uint64_t *us)
{
	static const uint8_t msg[16] = "well-behaved!!!";
	tp_bytes in = {sizeof msg, (uint8_t *)msg}, out = {0, NULL};
	tether_arena *a;
	uint64_t t0 = now_us();
	tether_status st;

	if (tether_arena_new(1 << 12, &a) != TETHER_OK)
		return TETHER_E_NOMEM;
	st = tether_call(c, tp_echo_pd, &in, &out, a, 2000);
	if (st == TETHER_OK &&
	    (out.len != sizeof msg || memcmp(out.val, msg, sizeof msg) != 0))
		st = TETHER_E_BAD_REPLY;
	tether_arena_free(a);
	if (us != NULL)
		*us = now_us() - t0;
	return st;
}
