/* SPDX-License-Identifier: MIT */
/*
 * bench_common.h - helpers shared by the benchmark programs (raw baseline,
 * rpcgen+libtirpc, tether-bench): endpoint strings, blocking sockets,
 * argument parsing, payload patterns and the one-line JSON result.
 * Benchmark code only; never linked into the library.
 */
#ifndef TETHER_BENCH_COMMON_H
#define TETHER_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* An endpoint as tether spells it: tcp://HOST:PORT or unix:/ABSOLUTE/PATH
 * (tls://HOST:PORT is parsed as TCP with tls set). */
typedef struct bench_ep {
	int is_unix;
	int tls;
	char host[256];
	uint16_t port;
	char path[108];
} bench_ep;

/* One benchmark result, printed as one JSON line. */
typedef struct bench_result {
	const char *impl; /* "raw", "tirpc", "tether" */
	const char *mode; /* "latency", "throughput", "callback" */
	const bench_ep *ep;
	uint64_t size, calls, depth;
	double seconds;
	uint64_t *lat_ns; /* calls entries, sorted in place; may be NULL */
	uint64_t nlat;
} bench_result;

/* Returns 0, or -1 after printing an error naming the argument. */
int bench_ep_parse(const char *arg, const char *s, bench_ep *ep);
int bench_parse_u64(const char *arg, const char *s, uint64_t min, uint64_t max,
		    uint64_t *out);

/* Blocking sockets; -1 with a message on stderr on failure. */
int bench_listen(const bench_ep *ep);
int bench_connect(const bench_ep *ep);
/* Prints "listening ENDPOINT" (with the bound port when fd is a TCP
 * listener bound to port 0; fd < 0 prints ep as is) and flushes stdout,
 * so scripts can start servers on a free port. */
void bench_announce(int fd, const bench_ep *ep);
/* TCP_NODELAY on a TCP socket (replies go out at once). */
void bench_nodelay(int fd);
/* Full read/write; 0 on success, -1 on error or EOF. */
int bench_read_full(int fd, void *buf, size_t n);
int bench_write_full(int fd, const void *buf, size_t n);

uint64_t bench_now_ns(void);
/* Payload bytes for call number seq: deterministic, differs per call. */
void bench_fill(uint8_t *buf, size_t n, uint64_t seq);
/* 0 when buf holds exactly the bytes bench_fill(seq) writes. */
int bench_check(const uint8_t *buf, size_t n, uint64_t seq);

/* Prints the result line to stdout (sorts r->lat_ns). */
void bench_print(const bench_result *r);

#endif /* TETHER_BENCH_COMMON_H */
