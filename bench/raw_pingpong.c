/* SPDX-License-Identifier: MIT */
/*
 * raw_pingpong.c - the floor for the benchmarks: the same request/response
 * as the echo benchmark over a plain blocking socket, each message framed
 * with an RFC 5531 §11 record mark (one last fragment) so the byte stream
 * looks like RPC, but with no RPC header, no XDR and no dispatch.
 *
 *   raw-pingpong serve --listen ENDPOINT
 *   raw-pingpong call  --connect ENDPOINT --mode latency|throughput
 *                      --size BYTES --calls N [--depth D]
 */
#include "bench_common.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RAW_MAX_RECORD (64u << 20) /* refuse absurd lengths */
#define RM_LAST 0x80000000u	   /* RFC 5531 §11: last-fragment bit */

typedef struct opts {
	const char *cmd;
	bench_ep ep;
	int have_ep;
	const char *mode;
	uint64_t size, calls, depth;
} opts;

static void usage(FILE *f)
{
	fprintf(f, "usage: raw-pingpong serve --listen ENDPOINT\n"
		   "       raw-pingpong call --connect ENDPOINT --mode "
		   "latency|throughput --size BYTES --calls N [--depth D]\n"
		   "ENDPOINT: tcp://HOST:PORT or unix:/PATH\n");
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Reads one single-fragment record into *buf (grown as needed); returns its
 * length or -1. */
static long read_record(int fd, uint8_t **buf, size_t *cap)
{
	uint8_t hdr[4];
	uint32_t len;

	if (bench_read_full(fd, hdr, 4) != 0)
		return -1;
	len = get_u32(hdr);
	if (!(len & RM_LAST) || (len & ~RM_LAST) > RAW_MAX_RECORD)
		return -1;
	len &= ~RM_LAST;
	if (len + 4u > *cap) {
		uint8_t *n = realloc(*buf, len + 4u);

		if (!n)
			return -1;
		*buf = n, *cap = len + 4u;
	}
	if (bench_read_full(fd, *buf + 4, len) != 0)
		return -1;
	return (long)len;
}

static void *serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint8_t *buf = NULL;
	size_t cap = 0;
	long n;

	while ((n = read_record(fd, &buf, &cap)) >= 0) {
		put_u32(buf, (uint32_t)n | RM_LAST);
		if (bench_write_full(fd, buf, (size_t)n + 4) != 0)
			break;
	}
	free(buf);
	close(fd);
	return NULL;
}

static const char *unix_path_to_remove;

static void on_term(int sig)
{
	(void)sig;
	if (unix_path_to_remove)
		unlink(unix_path_to_remove);
	_exit(0);
}

static int cmd_serve(const opts *o)
{
	struct sigaction sa;
	int lfd = bench_listen(&o->ep);

	if (lfd < 0)
		return 1;
	if (o->ep.is_unix)
		unix_path_to_remove = o->ep.path;
	bench_announce(lfd, &o->ep);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		pthread_t t;
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("accept");
			return 1;
		}
		if (!o->ep.is_unix)
			bench_nodelay(fd);
		if (pthread_create(&t, NULL, serve_conn,
				   (void *)(intptr_t)fd) != 0) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}

/* ---- client ------------------------------------------------------------ */

typedef struct run {
	const opts *o;
	int fd;
	uint64_t *sent_ns, *lat_ns;
	sem_t slots; /* free in-flight slots */
	int failed;
} run;

static int send_call(run *r, uint8_t *buf, uint64_t seq)
{
	put_u32(buf, (uint32_t)r->o->size | RM_LAST);
	bench_fill(buf + 4, r->o->size, seq);
	r->sent_ns[seq] = bench_now_ns();
	return bench_write_full(r->fd, buf, r->o->size + 4);
}

static int recv_reply(run *r, uint8_t **buf, size_t *cap, uint64_t seq)
{
	long n = read_record(r->fd, buf, cap);

	r->lat_ns[seq] = bench_now_ns() - r->sent_ns[seq];
	if (n != (long)r->o->size) {
		fprintf(stderr, "error: call %llu: bad reply length %ld\n",
			(unsigned long long)seq, n);
		return -1;
	}
	if (bench_check(*buf + 4, r->o->size, seq) != 0) {
		fprintf(stderr, "error: call %llu: reply bytes differ\n",
			(unsigned long long)seq);
		return -1;
	}
	return 0;
}

static void *reader(void *arg)
{
	run *r = arg;
	uint8_t *buf = NULL;
	size_t cap = 0;

	for (uint64_t i = 0; i < r->o->calls; i++) {
		if (recv_reply(r, &buf, &cap, i) != 0) {
			r->failed = 1;
			shutdown(r->fd, SHUT_RDWR);
			break;
		}
		sem_post(&r->slots);
	}
	free(buf);
	return NULL;
}

static int run_latency(run *r, uint8_t *out)
{
	uint8_t *in = NULL;
	size_t cap = 0;
	int rc = 0;

	for (uint64_t i = 0; i < r->o->calls && rc == 0; i++)
		if (send_call(r, out, i) != 0 ||
		    recv_reply(r, &in, &cap, i) != 0)
			rc = -1;
	free(in);
	return rc;
}

/* depth calls in flight: this thread sends when a slot is free, the reader
 * thread takes replies (in order: the server answers sequentially). */
static int run_throughput(run *r, uint8_t *out)
{
	pthread_t t;
	int rc = 0;

	if (sem_init(&r->slots, 0, (unsigned)r->o->depth) != 0 ||
	    pthread_create(&t, NULL, reader, r) != 0)
		return -1;
	for (uint64_t i = 0; i < r->o->calls; i++) {
		while (sem_wait(&r->slots) != 0 && errno == EINTR)
			;
		if (r->failed || send_call(r, out, i) != 0) {
			rc = -1;
			shutdown(r->fd, SHUT_RDWR);
			break;
		}
	}
	pthread_join(t, NULL);
	sem_destroy(&r->slots);
	return rc == 0 && !r->failed ? 0 : -1;
}

static int cmd_call(const opts *o)
{
	run r = {.o = o};
	uint8_t *out = malloc(o->size + 4);
	uint64_t t0, t1;
	int rc;

	r.sent_ns = calloc(o->calls, sizeof(uint64_t));
	r.lat_ns = calloc(o->calls, sizeof(uint64_t));
	r.fd = bench_connect(&o->ep);
	if (!out || !r.sent_ns || !r.lat_ns || r.fd < 0) {
		fprintf(stderr, "error: setup failed\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	t0 = bench_now_ns();
	rc = strcmp(o->mode, "latency") == 0 ? run_latency(&r, out)
					     : run_throughput(&r, out);
	t1 = bench_now_ns();
	close(r.fd);
	if (rc == 0) {
		bench_result res = {.impl = "raw",
				    .mode = o->mode,
				    .ep = &o->ep,
				    .size = o->size,
				    .calls = o->calls,
				    .depth = o->depth,
				    .seconds = (double)(t1 - t0) / 1e9,
				    .lat_ns = r.lat_ns,
				    .nlat = o->calls};
		bench_print(&res);
	}
	free(out), free(r.sent_ns), free(r.lat_ns);
	return rc == 0 ? 0 : 1;
}

static int parse_opt(opts *o, const char *k, const char *v)
{
	if (!v) {
		fprintf(stderr, "error: %s needs a value\n", k);
		return -1;
	}
	if (!strcmp(k, "--listen") || !strcmp(k, "--connect")) {
		o->have_ep = 1;
		return bench_ep_parse(k, v, &o->ep);
	}
	if (!strcmp(k, "--mode")) {
		if (strcmp(v, "latency") && strcmp(v, "throughput")) {
			fprintf(stderr,
				"error: --mode: expected latency or "
				"throughput, got '%s'\n",
				v);
			return -1;
		}
		o->mode = v;
		return 0;
	}
	if (!strcmp(k, "--size"))
		return bench_parse_u64(k, v, 0, RAW_MAX_RECORD, &o->size);
	if (!strcmp(k, "--calls"))
		return bench_parse_u64(k, v, 1, 100000000, &o->calls);
	if (!strcmp(k, "--depth"))
		return bench_parse_u64(k, v, 1, 65536, &o->depth);
	fprintf(stderr, "error: unknown argument '%s'\n", k);
	return -1;
}

int main(int argc, char **argv)
{
	opts o = {.mode = "latency", .size = 64, .calls = 10000, .depth = 1};

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	o.cmd = argv[1];
	if (strcmp(o.cmd, "serve") && strcmp(o.cmd, "call")) {
		fprintf(stderr, "error: unknown command '%s'\n", o.cmd);
		usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i += 2)
		if (parse_opt(&o, argv[i], i + 1 < argc ? argv[i + 1] : NULL))
			return 2;
	if (!o.have_ep) {
		fprintf(stderr, "error: %s is required\n",
			o.cmd[0] == 's' ? "--listen" : "--connect");
		return 2;
	}
	if (!strcmp(o.mode, "latency"))
		o.depth = 1;
	return o.cmd[0] == 's' ? cmd_serve(&o) : cmd_call(&o);
}
