/* SPDX-License-Identifier: ISC */
/*
 * relayurl_parse(): the one relay URL rule, which rmb-peer checks the
 * configuration with and rmb-netd connects with (ws:// or wss://, a
 * domain name as host, folded to lower case, an optional port, an
 * optional path; doc/protocol.md §7.1), with one test per form accepted
 * and refused; and ws_url_parse(), the same without the domain rule, for
 * tfchain URLs.  relay_domain_check() and relay_join() as the parent uses them.
 */
#include <string.h>

#include "relayurl.h"
#include "tap.h"
#include "tfchain_read.h"

static void
good(const char *url, int tls, const char *host, int port, const char *path)
{
	struct relay_url	u;
	char			err[256] = "";
	int			rv;

	rv = relayurl_parse(&u, url, err, sizeof(err));
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
	struct relay_url	u;
	char			err[256] = "";

	ok(relayurl_parse(&u, url, err, sizeof(err)) == -1 &&
	    strcmp(err, why) == 0, "refused: %.80s (%s)", url,
	    err[0] != '\0' ? err : "accepted");
}

static const char	not_domain[] = "relay URL must contain a domain name: ";

static void
not_a_domain(const char *url, const char *host, const char *why)
{
	char	want[256];

	snprintf(want, sizeof(want), "%shost \"%s\" %s", not_domain, host,
	    why);
	bad(url, want);
}

int
main(void)
{
	struct relay_url	u;
	char			long_url[URL_MAX + 16], err[256];
	char			dom[3][RELAY_DOMAIN_MAX + 1];
	char			field[TWIN_RELAY_MAX + 1];
	const char		*why;

	/* Accepted forms. */
	good("wss://relay.grid.tf:443", 1, "relay.grid.tf", 443, "/");
	good("wss://relay.grid.tf", 1, "relay.grid.tf", 443, "/");
	good("ws://relay.dev.grid.tf", 0, "relay.dev.grid.tf", 80, "/");
	good("ws://localhost:8080", 0, "localhost", 8080, "/");
	good("WSS://Relay.Example:8443/rmb/ws", 1, "relay.example", 8443,
	    "/rmb/ws");
	good("wss://relay.example/", 1, "relay.example", 443, "/");
	good("wss://relay.example/?old=query", 1, "relay.example", 443, "/");
	good("wss://relay.example?old", 1, "relay.example", 443, "/");
	good("wss://relay.example/p#frag", 1, "relay.example", 443, "/p");
	good("ws://host-1.example:65535", 0, "host-1.example", 65535, "/");
	good("ws://1.2.3.example", 0, "1.2.3.example", 80, "/");
	good("ws://relay.example:080", 0, "relay.example", 80, "/");

	/* Refused forms. */
	bad("http://relay.example",
	    "\"http://relay.example\" is not a ws:// or wss:// URL");
	bad("relay.example", "\"relay.example\" is not a ws:// or wss:// URL");
	bad("wss://", "URL has no host");
	bad("wss://:443", "URL has no host");
	bad("wss:///path", "URL has no host");
	bad("wss://relay.example:", "empty port in URL");
	bad("wss://relay.example:0", "bad port in URL (1 to 65535)");
	bad("wss://relay.example:65536", "bad port in URL (1 to 65535)");
	bad("wss://relay.example:99999999999999999999",
	    "bad port in URL (1 to 65535)");
	bad("wss://relay.example:44a", "bad port in URL (1 to 65535)");
	bad("wss://relay.example:+80", "bad port in URL (1 to 65535)");
	bad("wss://user@relay.example", "URL must not carry a user or password");
	bad("wss://rel ay.example",
	    "URL contains a blank or a non-ASCII character");
	bad("wss://relay.example/a b",
	    "URL contains a blank or a non-ASCII character");
	bad("ws://r\xc3\xa9lay.example",
	    "URL contains a blank or a non-ASCII character");
	bad("ws://[::1", "unterminated [ in URL");
	bad("ws://[::1]x", "bad character after ] in URL");
	/* IP literals: doc/protocol.md §7.1. */
	not_a_domain("ws://127.0.0.1:8080", "127.0.0.1", "is an IP address");
	not_a_domain("wss://1.2.3.4:443", "1.2.3.4", "is an IP address");
	not_a_domain("ws://[::1]:9000/x", "[::1]", "is an IP address");
	not_a_domain("ws://example.0x7f", "example.0x7f", "is an IP address");
	not_a_domain("ws://2130706433", "2130706433", "is an IP address");
	not_a_domain("ws://127.0.0.1.", "127.0.0.1.", "has an empty label");
	/* '_' separates the domains of the chain's relay field. */
	not_a_domain("ws://host_name.example", "host_name.example",
	    "has a character other than a-z 0-9 . -");
	not_a_domain("ws://relay..example", "relay..example",
	    "has an empty label");
	not_a_domain("ws://.relay.example", ".relay.example",
	    "has an empty label");
	not_a_domain("ws://relay.example.", "relay.example.",
	    "has an empty label");
	memset(long_url, 'a', sizeof(long_url) - 1);
	long_url[sizeof(long_url) - 1] = '\0';
	memcpy(long_url, "wss://", 6);
	bad(long_url, "URL longer than 511 bytes");
	memset(long_url, 'a', RELAY_DOMAIN_MAX + 7);
	memcpy(long_url, "wss://", 6);
	long_url[RELAY_DOMAIN_MAX + 7] = '\0';
	snprintf(err, sizeof(err), "%shost \"%.64s\" is longer than 253 bytes",
	    not_domain, long_url + 6);
	bad(long_url, err);
	long_url[RELAY_DOMAIN_MAX + 6] = '\0';
	ok(relayurl_parse(&u, long_url, err, sizeof(err)) == 0 &&
	    strlen(u.host) == RELAY_DOMAIN_MAX, "a host of 253 bytes");

	/* tfchain URLs: the same grammar, any host. */
	ok(ws_url_parse(&u, "ws://127.0.0.1:9944", err, sizeof(err)) == 0 &&
	    strcmp(u.host, "127.0.0.1") == 0 && u.port == 9944,
	    "ws_url_parse takes an IPv4 host");
	ok(ws_url_parse(&u, "wss://[::1]/rpc", err, sizeof(err)) == 0 &&
	    strcmp(u.host, "[::1]") == 0 && u.port == 443 &&
	    strcmp(u.path, "/rpc") == 0, "ws_url_parse takes an IPv6 host");
	ok(ws_url_parse(&u, "wss://Node.Example", err, sizeof(err)) == 0 &&
	    strcmp(u.host, "Node.Example") == 0,
	    "ws_url_parse keeps the host's case");
	ok(ws_url_parse(&u, "https://node.example", err, sizeof(err)) == -1,
	    "ws_url_parse refuses https://");

	/* The domain rule alone, as the parent checks the configuration. */
	ok(relay_domain_check("relay.grid.tf") == NULL, "a domain");
	ok(relay_domain_check("Relay.grid.tf") != NULL,
	    "upper case is refused where domains are published");
	ok(relay_domain_check("") != NULL, "an empty domain");
	ok(relay_domain_check("relay.grid.tf:443") != NULL, "a port");

	/* The chain's field: joined by '_', judged whole. */
	strcpy(dom[0], "r1.example");
	strcpy(dom[1], "a.example");
	ok(relay_join(field, dom, 2, &why) == 10 + 1 + 9 &&
	    strcmp(field, "r1.example_a.example") == 0, "two domains joined");
	ok(relay_join(field, &dom[1], 1, &why) == -1 &&
	    strstr(why, "byte 1") != NULL,
	    "a one-character first label is refused by tfchain's rule");
	ok(relay_join(field, dom, 0, &why) == 0 && field[0] == '\0',
	    "no domain: no field");
	return done_testing();
}
