/* SPDX-License-Identifier: ISC */
/*
 * The peer's WebSocket URLs: ws:// or wss://, a host, an optional port
 * (80 and 443 by default) and an optional path; the query and fragment
 * are dropped (the relay's query is the token, doc/protocol.md §3.3), and
 * user information is refused.  A relay URL's host must moreover pass
 * relay_domain_check() once folded to lower case: that folded host is
 * the relay domain the peer publishes on chain (doc/protocol.md §7.1).
 * The parent checks the configuration with these, and netd connects
 * with what they give.
 */
#ifndef RMB_RELAYURL_H
#define RMB_RELAYURL_H

#include "protocol.h"

struct relay_url {
	int	tls;
	int	port;
	char	host[URL_MAX + 1];	/* an IPv6 literal keeps its [] */
	char	path[URL_MAX + 1];	/* "/" at least */
};

/* Any ws:// or wss:// URL, such as a tfchain node's.  0, or -1 and err. */
int	ws_url_parse(struct relay_url *, const char *url, char *err,
	    size_t errlen);

/* A relay URL: host is its relay domain.  0, or -1 and err. */
int	relayurl_parse(struct relay_url *, const char *url, char *err,
	    size_t errlen);

#endif
