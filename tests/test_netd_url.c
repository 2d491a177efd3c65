/* SPDX-License-Identifier: ISC */
/*
 * netd_url_parse(): the relay URLs rmb-netd accepts (ws:// or wss://,
 * host, optional port, optional path) and the ones it refuses.  The rest
 * of netd_relay.c is linked but not run: its neighbours are stubs.
 */
#include "netd.h"
#include "tap.h"

uint64_t
netd_now(void)
{
	return 0;
}

int
netd_keyd_jwt(uint32_t ttl, netd_keyd_cb cb, void *arg)
{
	(void)ttl;
	(void)cb;
	(void)arg;
	return -1;
}

void
netd_proto_in(const uint8_t *p, size_t n)
{
	(void)p;
	(void)n;
}

void
netd_proto_retry(void)
{
}

static void
good(const char *url, int tls, const char *host, int port, const char *path)
{
	struct netd_url	 u;
	const char	*err = NULL;
	int		 rv;

	rv = netd_url_parse(&u, url, &err);
	ok(rv == 0 && u.tls == tls && strcmp(u.host, host) == 0 &&
	    u.port == port && strcmp(u.path, path) == 0, "%s", url);
	if (rv != 0)
		diag("refused: %s", err);
	else if (strcmp(u.host, host) != 0 || u.port != port ||
	    strcmp(u.path, path) != 0)
		diag("got tls %d host %s port %d path %s", u.tls, u.host,
		    u.port, u.path);
}

static void
bad(const char *url, const char *why)
{
	struct netd_url	 u;
	const char	*err = NULL;

	ok(netd_url_parse(&u, url, &err) == -1 && err != NULL &&
	    strcmp(err, why) == 0, "refused: %s (%s)", url,
	    err != NULL ? err : "accepted");
}

int
main(void)
{
	char	long_url[NETD_URL_MAX + 16];

	good("wss://relay.grid.tf:443", 1, "relay.grid.tf", 443, "/");
	good("wss://relay.grid.tf", 1, "relay.grid.tf", 443, "/");
	good("ws://relay.dev.grid.tf", 0, "relay.dev.grid.tf", 80, "/");
	good("ws://127.0.0.1:8080", 0, "127.0.0.1", 8080, "/");
	good("WSS://Relay.Example:8443/rmb/ws", 1, "Relay.Example", 8443,
	    "/rmb/ws");
	good("wss://relay.example/", 1, "relay.example", 443, "/");
	good("wss://relay.example/?old=query", 1, "relay.example", 443, "/");
	good("wss://relay.example?old", 1, "relay.example", 443, "/");
	good("wss://relay.example/p#frag", 1, "relay.example", 443, "/p");
	good("ws://[::1]:9000/x", 0, "::1", 9000, "/x");
	good("ws://[::1]", 0, "::1", 80, "/");
	good("ws://host_name-1.example:65535", 0, "host_name-1.example",
	    65535, "/");

	bad("http://relay.example", "not a ws:// or wss:// URL");
	bad("relay.example", "not a ws:// or wss:// URL");
	bad("wss://", "no host");
	bad("wss://:443", "no host");
	bad("wss:///path", "no host");
	bad("wss://relay.example:", "bad port");
	bad("wss://relay.example:0", "bad port");
	bad("wss://relay.example:65536", "bad port");
	bad("wss://relay.example:99999999999999999999", "bad port");
	bad("wss://relay.example:44a", "bad port");
	bad("wss://user@relay.example", "user information is not supported");
	bad("wss://rel ay.example", "bad character in the host");
	bad("wss://relay.example/a b", "bad character in the path");
	bad("ws://[::1", "unterminated [IPv6 address]");
	bad("ws://[::1]x", "junk after the [IPv6 address]");
	bad("ws://[relay]", "bad character in the host");
	memset(long_url, 'a', sizeof(long_url) - 1);
	long_url[sizeof(long_url) - 1] = '\0';
	memcpy(long_url, "wss://", 6);
	bad(long_url, "the URL is too long");
	memset(long_url, 'a', NETD_HOST_MAX + 7);
	memcpy(long_url, "wss://", 6);
	long_url[NETD_HOST_MAX + 7] = '\0';
	bad(long_url, "the host name is too long");
	return done_testing();
}
