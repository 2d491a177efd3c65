/* SPDX-License-Identifier: ISC */
/* The front door's reading of request heads, good and bad. */
#include <stdio.h>
#include <string.h>

#include "relay_head.h"
#include "tap.h"

static int
parse(const char *s, struct relay_head *h)
{
	return relay_head_parse(s, strlen(s), h);
}

static int
query_is(const struct relay_head *h, const char *want)
{
	if (want == NULL)
		return h->query == NULL && h->querylen == 0;
	return h->query != NULL && h->querylen == strlen(want) &&
	    memcmp(h->query, want, h->querylen) == 0;
}

static void
test_good(void)
{
	struct relay_head	 h;
	const char		*up = "GET /?aaa.bbb.ccc HTTP/1.1\r\n"
				    "Host: relay\r\nUpgrade: websocket\r\n"
				    "Connection: Upgrade\r\n\r\n";
	char			 buf[256];

	ok(parse(up, &h) == RELAY_HEAD_DONE && h.len == strlen(up) &&
	    h.upgrade && query_is(&h, "aaa.bbb.ccc"), "an upgrade: its "
	    "whole head, the raw query");
	snprintf(buf, sizeof(buf), "%sextra frame bytes", up);
	ok(parse(buf, &h) == RELAY_HEAD_DONE && h.len == strlen(up),
	    "bytes after the head are not the head's");
	ok(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &h) ==
	    RELAY_HEAD_DONE && !h.upgrade && query_is(&h, NULL),
	    "GET /metrics: no upgrade, no query");
	ok(!h.upgrade_other, "and no other upgrade");
	ok(parse("POST / HTTP/1.0\nContent-Length: 3\n\nabc", &h) ==
	    RELAY_HEAD_DONE && h.len == 35 && !h.upgrade,
	    "lines ending in a bare LF");
	ok(parse("GET / HTTP/1.1\r\nupgrade:\t WebSocket \t\r\n\r\n", &h) ==
	    RELAY_HEAD_DONE && h.upgrade && query_is(&h, NULL),
	    "the header's name and value in any case, with spaces around "
	    "the value; no query");
	ok(parse("GET /? HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", &h) ==
	    RELAY_HEAD_DONE && h.upgrade && query_is(&h, ""),
	    "an empty query is there, empty");
	ok(parse("GET /x?a?b HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", &h) ==
	    RELAY_HEAD_DONE && query_is(&h, "a?b"), "the query starts "
	    "after the first '?'");
	ok(parse("GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n", &h) ==
	    RELAY_HEAD_DONE && !h.upgrade && h.upgrade_other,
	    "Upgrade: h2c is no WebSocket, but another upgrade");
	ok(parse("GET / HTTP/1.1\r\nUpgrade: websocket, h2c\r\n\r\n", &h) ==
	    RELAY_HEAD_DONE && !h.upgrade, "nor is a list (libwebsockets "
	    "takes the whole value)");
	ok(parse("GET / HTTP/1.1\r\nUpgrade: h2c\r\nUpgrade: websocket\r\n"
	    "\r\n", &h) == RELAY_HEAD_DONE && !h.upgrade && h.upgrade_other,
	    "the first Upgrade header counts");
	ok(parse("GET / HTTP/1.1\r\nX-Upgrade: websocket\r\nUpgrades: "
	    "websocket\r\n\r\n", &h) == RELAY_HEAD_DONE && !h.upgrade &&
	    !h.upgrade_other, "other headers that look like it do not count");
}

static void
test_partial(void)
{
	struct relay_head	 h;
	const char		*up = "GET /?t HTTP/1.1\r\nUpgrade: websocket"
				    "\r\n\r\n";
	size_t			 i;
	int			 more = 1;

	for (i = 0; i < strlen(up); i++)
		more &= relay_head_parse(up, i, &h) == RELAY_HEAD_MORE;
	ok(more, "every prefix of a head wants more");
	ok(parse("GET / HTTP/1.1\r\nHost: x\r\n", &h) == RELAY_HEAD_MORE,
	    "no blank line yet: more");
	ok(parse("", &h) == RELAY_HEAD_MORE, "nothing yet: more");
}

static void
test_bad(void)
{
	static const char *const bad[] = {
		"\r\n\r\n",
		"GET\r\n\r\n",
		"GET /\r\n\r\n",
		"GET / HTTP/1.1 x\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET / FTP/1.1\r\n\r\n",
		"GET / HTTP/11\r\n\r\n",
		"G(T / HTTP/1.1\r\n\r\n",
		"GET /a\x01 HTTP/1.1\r\n\r\n",
		"\x16\x03\x01\x02\xfc\x03\x03\n",
	};
	struct relay_head	 h;
	char			 big[RELAY_HEAD_MAX + 16];
	size_t			 i, n;
	int			 all = 1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &h) != RELAY_HEAD_BAD) {
			diag("not refused: %zu", i);
			all = 0;
		}
	ok(all, "bad request lines are refused (%zu kinds)", i);
	ok(relay_head_parse("GET / HTTP/1.1\0\r\n\r\n", 19, &h) ==
	    RELAY_HEAD_BAD, "a NUL in the request line");
	ok(parse("GET / HTTP/1.1 trailing", &h) == RELAY_HEAD_MORE,
	    "a request line is judged once it ends");

	n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX: ");
	memset(big + n, 'a', sizeof(big) - n);
	ok(relay_head_parse(big, RELAY_HEAD_MAX - 1, &h) == RELAY_HEAD_MORE,
	    "one byte under the bound: more");
	ok(relay_head_parse(big, RELAY_HEAD_MAX, &h) == RELAY_HEAD_BIG,
	    "at the bound without an end: too big");
	ok(relay_head_parse(big, sizeof(big), &h) == RELAY_HEAD_BIG,
	    "past it: too big, and nothing read past the bound");
	memcpy(big + RELAY_HEAD_MAX - 4, "\r\n\r\n", 4);
	ok(relay_head_parse(big, sizeof(big), &h) == RELAY_HEAD_DONE &&
	    h.len == RELAY_HEAD_MAX, "a head of exactly RELAY_HEAD_MAX "
	    "bytes is whole");
	memcpy(big + RELAY_HEAD_MAX - 4, "aa\r\n", 4);
	memcpy(big + RELAY_HEAD_MAX, "\r\n", 2);
	ok(relay_head_parse(big, sizeof(big), &h) == RELAY_HEAD_BIG,
	    "one that ends a byte past it is too big");
}

int
main(void)
{
	test_good();
	test_partial();
	test_bad();
	return done_testing();
}
