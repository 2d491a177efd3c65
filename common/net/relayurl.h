/* SPDX-License-Identifier: ISC */
/*
 * The peer's WebSocket URLs: ws:// or wss://, a host, an optional port
 * (80 and 443 by default) and an optional path; the query and fragment
 * are dropped (the relay's query is the token, doc/protocol.md §3.3), and
 * user information is refused.  A relay URL's host must moreover pass
 * relay_domain_check() once folded to lower case: that folded host is
 * the relay domain the peer publishes on chain (doc/protocol.md §7.1).
 * The parent checks the configuration with these, and netd connects
 * with what they give.  keyd is given the joined field and checks it
 * with tfchain's rule alone (common/trusted/relayrule.c).
 */
#ifndef RMB_RELAYURL_H
#define RMB_RELAYURL_H

#include <stddef.h>

#include "protocol.h"
#include "tfchain.h"

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

/*
 * THE rule for one relay domain as rmb publishes it, in every process:
 * a DNS name (doc/protocol.md §7.1) of 1 to RELAY_DOMAIN_MAX bytes of
 * [a-z0-9.-] without an empty label, and not an IPv4 address (a last
 * label that is a number, decimal or 0x hexadecimal, as URL parsers
 * read it).  Lower case only: relays compare domains byte for byte
 * (doc/relay.md §2), so rmb folds a relay URL's host before it publishes
 * it; '_' is the separator of the chain's field.  Returns NULL, or why
 * (a sentence that names neither the domain nor its source).
 */
const char *relay_domain_check(const char *domain);

/*
 * The chain's relay field of n domains (each passed relay_domain_check)
 * as rmb writes it: joined by '_' in their order, and checked against
 * tfchain's rule, which the first domain alone can break.  Returns its
 * length, or -1 with *why.
 */
int	relay_join(char out[TWIN_RELAY_MAX + 1],
	    const char dom[][RELAY_DOMAIN_MAX + 1], size_t n,
	    const char **why);

#endif
