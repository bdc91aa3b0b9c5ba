/* SPDX-License-Identifier: MIT */
/*
 * endpoint.c - endpoint strings (DESIGN §5): tcp://HOST:PORT, tls://HOST:PORT
 * (IPv6 literals in brackets, "[::1]"), unix:/ABSOLUTE/PATH.
 */
#include <stdio.h>
#include <string.h>

#include "common/tt.h"
#include "io/io.h"

static bool starts_with(const char *s, const char *prefix, size_t *n)
{
	*n = strlen(prefix);
	return strncmp(s, prefix, *n) == 0;
}

/* Digits only, 1..5 of them, value <= 65535. */
static tether_status parse_port(const char *s, uint16_t *port)
{
	size_t n = strlen(s);
	uint32_t v = 0;

	if (n == 0 || n > 5)
		return TETHER_E_BAD_ENDPOINT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return TETHER_E_BAD_ENDPOINT;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > 65535)
		return TETHER_E_BAD_ENDPOINT;
	*port = (uint16_t)v;
	return TETHER_OK;
}

static tether_status copy_host(tt_endpoint *ep, const char *h, size_t n)
{
	if (n == 0 || n >= sizeof ep->host)
		return TETHER_E_BAD_ENDPOINT;
	memcpy(ep->host, h, n);
	ep->host[n] = '\0';
	return TETHER_OK;
}

/* Host chars we accept: a name, an IPv4 literal or (inside brackets) an
 * IPv6 literal with an optional %zone. No spaces, slashes or '@'. */
static bool host_chars_ok(const char *h, size_t n, bool v6)
{
	for (size_t i = 0; i < n; i++) {
		char ch = h[i];
		bool ok = (ch >= 'a' && ch <= 'z') ||
			  (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
			  ch == '_' || (v6 && (ch == ':' || ch == '%'));
		if (!ok)
			return false;
	}
	return true;
}

static tether_status parse_hostport(const char *s, tt_endpoint *ep)
{
	const char *colon;
	const char *h = s;
	size_t hn;
	bool v6 = false;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return TETHER_E_BAD_ENDPOINT;
		h = s + 1;
		hn = (size_t)(close - h);
		colon = close + 1;
		v6 = true;
	} else {
		colon = strchr(s, ':');
		if (colon == NULL || strchr(colon + 1, ':') != NULL)
			return TETHER_E_BAD_ENDPOINT;
		hn = (size_t)(colon - s);
	}
	if (!host_chars_ok(h, hn, v6))
		return TETHER_E_BAD_ENDPOINT;
	TT_TRY(copy_host(ep, h, hn));
	return parse_port(colon + 1, &ep->port);
}

tether_status tt_io_endpoint_parse(const char *s, tt_endpoint *out)
{
	size_t n;

	if (s == NULL || out == NULL)
		return TETHER_E_BAD_ENDPOINT;
	memset(out, 0, sizeof *out);
	if (starts_with(s, "tcp://", &n)) {
		out->kind = TT_EP_TCP;
		return parse_hostport(s + n, out);
	}
	if (starts_with(s, "tls://", &n)) {
		out->kind = TT_EP_TLS;
		return parse_hostport(s + n, out);
	}
	if (starts_with(s, "unix:", &n)) {
		const char *p = s + n;
		size_t pn = strlen(p);
		/* sun_path holds 108 bytes including the NUL. */
		if (p[0] != '/' || pn >= sizeof out->path)
			return TETHER_E_BAD_ENDPOINT;
		out->kind = TT_EP_UNIX;
		memcpy(out->path, p, pn + 1);
		return TETHER_OK;
	}
	return TETHER_E_BAD_ENDPOINT;
}

tether_status tt_io_endpoint_format(const tt_endpoint *ep, char *buf,
				    size_t cap)
{
	int n;

	if (ep->kind == TT_EP_UNIX)
		n = snprintf(buf, cap, "unix:%s", ep->path);
	else if (strchr(ep->host, ':') != NULL)
		n = snprintf(buf, cap, "%s://[%s]:%u",
			     ep->kind == TT_EP_TLS ? "tls" : "tcp", ep->host,
			     (unsigned)ep->port);
	else
		n = snprintf(buf, cap, "%s://%s:%u",
			     ep->kind == TT_EP_TLS ? "tls" : "tcp", ep->host,
			     (unsigned)ep->port);
	if (n < 0 || (size_t)n >= cap)
		return TETHER_E_TOO_LARGE;
	return TETHER_OK;
}
