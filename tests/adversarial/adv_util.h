/* SPDX-License-Identifier: MIT */
/*
 * adv_util.h - helpers shared by the adversarial tests: clock, raw loopback
 * sockets, hand-made RPC records (RFC 5531 §9, §11), a counting allocator
 * that measures what the library holds, and the test program's handlers.
 */
#ifndef TEST_ADV_UTIL_H
#define TEST_ADV_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prog.h"

uint64_t adv_now_ms(void);
void adv_sleep_ms(unsigned ms);

/* Installs the counting allocator (before any tether call). */
void adv_alloc_install(void);
/* Bytes the library holds now / at most since the last adv_alloc_mark(). */
size_t adv_alloc_current(void);
size_t adv_alloc_peak(void);
void adv_alloc_mark(void);

/* A TCP connection to 127.0.0.1:port from source address src (NULL: any),
 * non-blocking when nb. Returns the fd or -1. */
int adv_connect(uint16_t port, const char *src, bool nb);
/* Port of a "tcp://127.0.0.1:PORT" endpoint. */
uint16_t adv_port(const char *ep);

void adv_put32(uint8_t *p, uint32_t v);
uint32_t adv_get32(const uint8_t *p);
/* A record-marked CALL with AUTH_NONE and n argument words into b (room for
 * 4 * (11 + n) bytes); returns its length. */
size_t adv_call(uint8_t *b, uint32_t xid, uint32_t rpcvers, uint32_t prog,
		uint32_t vers, uint32_t proc, const uint32_t *args, size_t n);
/* Reads until cap bytes, EOF or ms pass; returns bytes read. *eof (may be
 * NULL) is set when the peer closed. */
size_t adv_read(int fd, uint8_t *b, size_t cap, unsigned ms, bool *eof);
/* Waits up to ms for EOF (or reset) on fd, discarding what arrives. */
bool adv_wait_eof(int fd, unsigned ms);

/* Handlers of the test program (tests/integ/prog.h): ECHO, SLOW (sleeps;
 * registered blocking as v2), SUBSCRIBE (keeps callbacks outstanding up to
 * the connection's cap until count are done). */
extern const tp_handlers adv_handlers;
extern const tp_cb_handlers adv_cb_handlers;

/* How many times the SLOW handler has run (any thread). */
unsigned adv_slow_runs(void);

/* One echo call on a well-behaved client; returns its status, and its
 * latency in microseconds in *us (may be NULL). */
int adv_probe(tether_client *c, uint64_t *us);

/* An audit sink (callback) that counts LIMIT records by limit name
 * ("callback_expiries", "record_timeout", ...); thread-safe. */
tether_audit_sink *adv_audit_sink(void);
unsigned adv_audit_limits(const char *limit);
void adv_audit_reset(void);

/* CPU time (user + system) of process pid in clock ticks, or -1. */
long adv_cpu_ticks(int pid);

#endif
