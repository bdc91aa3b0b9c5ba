/* SPDX-License-Identifier: MIT */
/*
 * io.h - the drivers' shared pieces: endpoint strings, sockets, the
 * monotonic clock, libuv loop threads with a cross-thread task queue, and a
 * bounded worker pool. No protocol logic lives here (STYLE 14).
 */
#ifndef TT_IO_H
#define TT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <tether/status.h>

/* ---- endpoints (DESIGN §5) ------------------------------------------- */

typedef enum tt_ep_kind {
	TT_EP_TCP = 1, /* tcp://HOST:PORT, plaintext */
	TT_EP_TLS,     /* tls://HOST:PORT (RFC 9289) */
	TT_EP_UNIX     /* unix:/ABSOLUTE/PATH */
} tt_ep_kind;

enum { TT_EP_HOST_MAX = 256, TT_EP_PATH_MAX = 108 };

typedef struct tt_endpoint {
	tt_ep_kind kind;
	char host[TT_EP_HOST_MAX]; /* without IPv6 brackets */
	uint16_t port;
	char path[TT_EP_PATH_MAX]; /* unix: NUL-terminated */
} tt_endpoint;

/* Parses an endpoint string. Returns TETHER_OK or TETHER_E_BAD_ENDPOINT
 * (unknown scheme, missing/extra parts, port not 0..65535, relative or too
 * long Unix path, bracket misuse). tls:// parses; callers that cannot do
 * TLS yet answer TETHER_E_UNSUPPORTED. */
tether_status tt_io_endpoint_parse(const char *s, tt_endpoint *out);

/* Writes the canonical string of ep into buf[0..cap) (NUL-terminated).
 * Returns TETHER_E_TOO_LARGE if it does not fit. */
tether_status tt_io_endpoint_format(const tt_endpoint *ep, char *buf,
				    size_t cap);

/* ---- sockets --------------------------------------------------------- */

typedef struct tt_peer {
	char addr[TT_EP_HOST_MAX + 16]; /* "tcp://[::1]:40000", "unix:" */
	bool has_cred;			/* SO_PEERCRED (Unix sockets) */
	uint32_t uid, gid;
	int32_t pid;
} tt_peer;

/* Resolves ep (numeric or name, TCP only) into the first usable address. */
tether_status tt_io_resolve(const tt_endpoint *ep, struct sockaddr_storage *sa,
			    socklen_t *len);

/* A non-blocking, close-on-exec listening socket bound to ep; for TCP with
 * port 0 the kernel picks one and *ep_out (may be NULL) gets the real port.
 * An existing Unix socket file is replaced only if nobody listens on it.
 * Returns TETHER_E_IO (with errno kept) or TETHER_E_BAD_ENDPOINT. */
tether_status tt_io_listen(const tt_endpoint *ep, int backlog, int *fd_out,
			   tt_endpoint *ep_out);
/* Sets the permission bits of a Unix socket file (mode & 0777).
 * TETHER_E_IO on failure. */
tether_status tt_io_chmod(const char *path, unsigned mode);
/* Adopts an already listening socket (systemd socket activation): makes it
 * non-blocking and close-on-exec and describes it in *ep_out (tcp:// with
 * its address and port, or unix:PATH). TETHER_E_INVAL if fd is not a
 * listening stream socket. */
tether_status tt_io_adopt_listener(int fd, tt_endpoint *ep_out);

/* Accepts one connection from a non-blocking listener: TETHER_OK with a
 * non-blocking, close-on-exec fd; TETHER_E_NEED_MORE when none is waiting;
 * TETHER_E_BUSY when out of descriptors or kernel memory (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM: pause polling the listener, do not retry at once);
 * TETHER_E_IO otherwise. Fills peer (address and, on Unix sockets, the
 * kernel-verified SO_PEERCRED uid/gid/pid). */
tether_status tt_io_accept(int lfd, int *fd_out, tt_peer *peer);

/* Connects to ep with a non-blocking socket, waiting at most timeout_ms.
 * Returns the connected non-blocking fd, or TETHER_E_REFUSED (nobody
 * listens), TETHER_E_UNREACHABLE (no route, name not found, no socket
 * file), TETHER_E_TIMEOUT. */
tether_status tt_io_connect(const tt_endpoint *ep, uint32_t timeout_ms,
			    int *fd_out);

/* Fills peer for a connected fd (address, and SO_PEERCRED for Unix). */
void tt_io_peer_of(int fd, tt_ep_kind kind, tt_peer *peer);

void tt_io_close(int fd);

/* True when a TCP endpoint resolves to a loopback address (127.0.0.0/8,
 * ::1, ::ffff:127.0.0.0/104); Unix endpoints are local too. */
bool tt_io_is_loopback(const tt_endpoint *ep);

/* Milliseconds from CLOCK_MONOTONIC: the clock the drivers inject into the
 * engine (tt_conn_tick). */
uint64_t tt_io_now_ms(void);

#endif /* TT_IO_H */
