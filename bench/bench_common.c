/* SPDX-License-Identifier: MIT */
/*
 * bench_common.c - endpoint parsing, blocking socket helpers, payload
 * patterns and the JSON result line shared by every benchmark program.
 */
#include "bench_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int parse_hostport(const char *arg, const char *hp, bench_ep *ep)
{
	const char *colon = strrchr(hp, ':');
	uint64_t port;
	size_t hl;

	if (!colon || colon == hp) {
		fprintf(stderr, "error: %s: expected HOST:PORT in '%s'\n", arg,
			hp);
		return -1;
	}
	hl = (size_t)(colon - hp);
	if (hp[0] == '[' && hl >= 2 && hp[hl - 1] == ']')
		hp++, hl -= 2;
	if (hl >= sizeof(ep->host)) {
		fprintf(stderr, "error: %s: host name too long\n", arg);
		return -1;
	}
	memcpy(ep->host, hp, hl);
	ep->host[hl] = '\0';
	if (bench_parse_u64(arg, colon + 1, 0, 65535, &port) != 0)
		return -1;
	ep->port = (uint16_t)port;
	return 0;
}

int bench_ep_parse(const char *arg, const char *s, bench_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (strncmp(s, "unix:", 5) == 0) {
		const char *p = s + 5;
		size_t n = strlen(p);

		if (p[0] != '/' || n >= sizeof(ep->path)) {
			fprintf(stderr,
				"error: %s: unix endpoint needs an absolute "
				"path shorter than %zu bytes: '%s'\n",
				arg, sizeof(ep->path), s);
			return -1;
		}
		ep->is_unix = 1;
		memcpy(ep->path, p, n + 1);
		return 0;
	}
	if (strncmp(s, "tcp://", 6) == 0)
		return parse_hostport(arg, s + 6, ep);
	if (strncmp(s, "tls://", 6) == 0) {
		ep->tls = 1;
		return parse_hostport(arg, s + 6, ep);
	}
	fprintf(stderr,
		"error: %s: endpoint must be tcp://HOST:PORT, tls://HOST:PORT "
		"or unix:/PATH, got '%s'\n",
		arg, s);
	return -1;
}

int bench_parse_u64(const char *arg, const char *s, uint64_t min, uint64_t max,
		    uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	if (!s || !*s || *s == '-')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr,
		"error: %s: expected an integer in [%" PRIu64 ", %" PRIu64
		"], got '%s'\n",
		arg, min, max, s ? s : "(missing)");
	return -1;
}

static int tcp_addr(const bench_ep *ep, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", (unsigned)ep->port);
	rc = getaddrinfo(ep->host, port, &hints, &res);
	if (rc != 0 || !res) {
		fprintf(stderr, "error: cannot resolve '%s': %s\n", ep->host,
			gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int ep_addr(const bench_ep *ep, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!ep->is_unix)
		return tcp_addr(ep, ss, len);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, ep->path, strlen(ep->path) + 1);
	*len = (socklen_t)sizeof(*sun);
	return 0;
}

int bench_listen(const bench_ep *ep)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (ep_addr(ep, &ss, &len) != 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return -1;
	}
	if (ep->is_unix)
		unlink(ep->path);
	else
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(fd, 1024) != 0) {
		fprintf(stderr, "error: cannot listen on %s: %s\n",
			ep->is_unix ? ep->path : ep->host, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void bench_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int bench_connect(const bench_ep *ep)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (ep_addr(ep, &ss, &len) != 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("socket");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
		fprintf(stderr, "error: cannot connect to %s: %s\n",
			ep->is_unix ? ep->path : ep->host, strerror(errno));
		close(fd);
		return -1;
	}
	if (!ep->is_unix)
		bench_nodelay(fd);
	return fd;
}

void bench_announce(int fd, const bench_ep *ep)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	unsigned port = ep->port;

	if (ep->is_unix) {
		printf("listening unix:%s\n", ep->path);
		fflush(stdout);
		return;
	}
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET)
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	if (strchr(ep->host, ':'))
		printf("listening %s://[%s]:%u\n", ep->tls ? "tls" : "tcp",
		       ep->host, port);
	else
		printf("listening %s://%s:%u\n", ep->tls ? "tls" : "tcp",
		       ep->host, port);
	fflush(stdout);
}

int bench_read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int bench_write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint8_t pattern_byte(size_t i, uint64_t seq)
{
	return (uint8_t)((i * 131u) ^ (i >> 8) ^ (seq * 7u + 1u));
}

void bench_fill(uint8_t *buf, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern_byte(i, seq);
}

int bench_check(const uint8_t *buf, size_t n, uint64_t seq)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != pattern_byte(i, seq))
			return -1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double pct_us(const uint64_t *v, uint64_t n, double p)
{
	uint64_t i;

	if (n == 0)
		return 0.0;
	i = (uint64_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1000.0;
}

void bench_print(const bench_result *r)
{
	double p50 = 0, p99 = 0;

	if (r->lat_ns && r->nlat > 0) {
		qsort(r->lat_ns, r->nlat, sizeof(uint64_t), cmp_u64);
		p50 = pct_us(r->lat_ns, r->nlat, 0.50);
		p99 = pct_us(r->lat_ns, r->nlat, 0.99);
	}
	printf("{\"impl\":\"%s\",\"transport\":\"%s\",\"tls\":%s,"
	       "\"mode\":\"%s\",\"size\":%" PRIu64 ",\"calls\":%" PRIu64
	       ",\"depth\":%" PRIu64 ",\"seconds\":%.6f,"
	       "\"calls_per_s\":%.1f,\"p50_us\":%.2f,\"p99_us\":%.2f}\n",
	       r->impl, r->ep->is_unix ? "unix" : "tcp",
	       r->ep->tls ? "true" : "false", r->mode, r->size, r->calls,
	       r->depth, r->seconds,
	       r->seconds > 0 ? (double)r->calls / r->seconds : 0.0, p50, p99);
	fflush(stdout);
}
