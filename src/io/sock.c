/* SPDX-License-Identifier: MIT */
/*
 * sock.c - plain POSIX sockets for the drivers: listen, accept with
 * SO_PEERCRED, non-blocking connect with a deadline, the monotonic clock.
 */
#define _GNU_SOURCE /* accept4, SOCK_CLOEXEC, struct ucred */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/tt.h"
#include "io/io.h"

uint64_t tt_io_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void tt_io_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

tether_status tt_io_resolve(const tt_endpoint *ep, struct sockaddr_storage *sa,
			    socklen_t *len)
{
	struct addrinfo hints, *res = NULL;
	char port[8];

	if (ep->kind == TT_EP_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)sa;
		memset(sa, 0, sizeof *sa);
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, ep->path, strlen(ep->path) + 1);
		*len = (socklen_t)sizeof *un;
		return TETHER_OK;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof port, "%u", (unsigned)ep->port);
	if (getaddrinfo(ep->host, port, &hints, &res) != 0 || res == NULL)
		return TETHER_E_UNREACHABLE;
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return TETHER_OK;
}

static int new_socket(int family)
{
	return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

static void tune(int fd, int family)
{
	int one = 1;
	if (family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof one);
}

/* A stale socket file (nobody accepting) is removed so a restarted server
 * can bind; a live one is left alone and bind fails with EADDRINUSE. */
static void unlink_stale(const struct sockaddr_storage *sa, socklen_t len,
			 const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (const struct sockaddr *)sa, len) != 0 &&
	    errno == ECONNREFUSED)
		unlink(path);
	close(fd);
}

static void bound_port(int fd, tt_endpoint *ep_out)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;

	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return;
	if (sa.ss_family == AF_INET)
		ep_out->port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
	else if (sa.ss_family == AF_INET6)
		ep_out->port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
}

tether_status tt_io_listen(const tt_endpoint *ep, int backlog, int *fd_out,
			   tt_endpoint *ep_out)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int one = 1, fd;

	if (tt_io_resolve(ep, &sa, &len) != TETHER_OK)
		return TETHER_E_BAD_ENDPOINT;
	if (ep->kind == TT_EP_UNIX)
		unlink_stale(&sa, len, ep->path);
	fd = new_socket(sa.ss_family);
	if (fd < 0)
		return TETHER_E_IO;
	if (sa.ss_family != AF_UNIX)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, len) != 0 ||
	    listen(fd, backlog) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return TETHER_E_IO;
	}
	if (ep_out != NULL) {
		*ep_out = *ep;
		if (ep->kind != TT_EP_UNIX)
			bound_port(fd, ep_out);
	}
	*fd_out = fd;
	return TETHER_OK;
}

static void format_addr(const struct sockaddr_storage *sa, tt_peer *peer)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		snprintf(peer->addr, sizeof peer->addr, "tcp://%s:%u", host,
			 (unsigned)ntohs(in->sin_port));
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		snprintf(peer->addr, sizeof peer->addr, "tcp://[%s]:%u", host,
			 (unsigned)ntohs(in6->sin6_port));
	} else {
		snprintf(peer->addr, sizeof peer->addr, "unix:");
	}
}

static void peer_cred(int fd, tt_peer *peer)
{
	struct ucred uc;
	socklen_t len = sizeof uc;

	/* The kernel's view of the peer at connect time (DESIGN §2). */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 &&
	    len == sizeof uc) {
		peer->has_cred = true;
		peer->uid = uc.uid;
		peer->gid = uc.gid;
		peer->pid = uc.pid;
	}
}

void tt_io_peer_of(int fd, tt_ep_kind kind, tt_peer *peer)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;

	memset(peer, 0, sizeof *peer);
	memset(&sa, 0, sizeof sa);
	if (getpeername(fd, (struct sockaddr *)&sa, &len) != 0)
		sa.ss_family = kind == TT_EP_UNIX ? AF_UNIX : AF_UNSPEC;
	format_addr(&sa, peer);
	if (sa.ss_family == AF_UNIX)
		peer_cred(fd, peer);
}

tether_status tt_io_accept(int lfd, int *fd_out, tt_peer *peer)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	int fd;

	memset(&sa, 0, sizeof sa);
	fd = accept4(lfd, (struct sockaddr *)&sa, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED)
			return TETHER_E_NEED_MORE;
		/* Out of descriptors or kernel memory: the connection waits
		 * in the backlog; the caller must stop polling for a while
		 * (the listener stays readable, so retrying at once spins). */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			return TETHER_E_BUSY;
		return TETHER_E_IO;
	}
	memset(peer, 0, sizeof *peer);
	format_addr(&sa, peer);
	if (sa.ss_family == AF_UNIX)
		peer_cred(fd, peer);
	tune(fd, sa.ss_family);
	*fd_out = fd;
	return TETHER_OK;
}

static tether_status connect_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return TETHER_E_REFUSED;
	case ETIMEDOUT:
		return TETHER_E_TIMEOUT;
	default:
		return TETHER_E_UNREACHABLE;
	}
}

static tether_status wait_connected(int fd, uint32_t timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	uint64_t end = tt_io_now_ms() + timeout_ms;
	int err = 0;
	socklen_t len = sizeof err;

	for (;;) {
		uint64_t now = tt_io_now_ms();
		int r;
		if (now >= end)
			return TETHER_E_TIMEOUT;
		r = poll(&p, 1, (int)(end - now));
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR)
			return TETHER_E_UNREACHABLE;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return TETHER_E_UNREACHABLE;
	return err == 0 ? TETHER_OK : connect_errno(err);
}

tether_status tt_io_connect(const tt_endpoint *ep, uint32_t timeout_ms,
			    int *fd_out)
{
	struct sockaddr_storage sa;
	socklen_t len;
	tether_status st;
	int fd;

	TT_TRY(tt_io_resolve(ep, &sa, &len));
	fd = new_socket(sa.ss_family);
	if (fd < 0)
		return TETHER_E_IO;
	if (connect(fd, (struct sockaddr *)&sa, len) == 0)
		st = TETHER_OK;
	else if (errno == EINPROGRESS || errno == EAGAIN)
		st = wait_connected(fd, timeout_ms);
	else if (errno == ENOENT) /* no socket file: nobody serves there */
		st = TETHER_E_REFUSED;
	else
		st = connect_errno(errno);
	if (st != TETHER_OK) {
		close(fd);
		return st;
	}
	tune(fd, sa.ss_family);
	*fd_out = fd;
	return TETHER_OK;
}

static bool v6_loopback(const struct in6_addr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	if (IN6_IS_ADDR_LOOPBACK(a))
		return true;
	return memcmp(a->s6_addr, mapped, 12) == 0 && a->s6_addr[12] == 127;
}

bool tt_io_is_loopback(const tt_endpoint *ep)
{
	struct sockaddr_storage sa;
	socklen_t len;

	if (ep->kind == TT_EP_UNIX)
		return true;
	if (tt_io_resolve(ep, &sa, &len) != TETHER_OK)
		return false;
	if (sa.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&sa)->sin_addr.s_addr) >>
			24) == 127;
	if (sa.ss_family == AF_INET6)
		return v6_loopback(&((struct sockaddr_in6 *)&sa)->sin6_addr);
	return false;
}

tether_status tt_io_chmod(const char *path, unsigned mode)
{
	return chmod(path, (mode_t)(mode & 0777)) == 0 ? TETHER_OK
						       : TETHER_E_IO;
}

static tether_status describe(const struct sockaddr_storage *sa,
			      tt_endpoint *ep)
{
	memset(ep, 0, sizeof *ep);
	if (sa->ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)sa;
		ep->kind = TT_EP_UNIX;
		snprintf(ep->path, sizeof ep->path, "%s", un->sun_path);
		return TETHER_OK;
	}
	ep->kind = TT_EP_TCP;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, ep->host, sizeof ep->host);
		ep->port = ntohs(in->sin_port);
		return TETHER_OK;
	}
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, ep->host, sizeof ep->host);
		ep->port = ntohs(in6->sin6_port);
		return TETHER_OK;
	}
	return TETHER_E_INVAL;
}

tether_status tt_io_adopt_listener(int fd, tt_endpoint *ep_out)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	int type = 0, listening = 0, fl;
	socklen_t ol = sizeof type;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ol) != 0 ||
	    type != SOCK_STREAM)
		return TETHER_E_INVAL;
	ol = sizeof listening;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) != 0 ||
	    !listening)
		return TETHER_E_INVAL;
	memset(&sa, 0, sizeof sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return TETHER_E_INVAL;
	TT_TRY(describe(&sa, ep_out));
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
		return TETHER_E_IO;
	return TETHER_OK;
}
