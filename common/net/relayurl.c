/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include "errf.h"
#include "log.h"
#include "relayurl.h"
#include "tfchain_read.h"

int
ws_url_parse(struct relay_url *u, const char *url, char *err, size_t errlen)
{
	const char	*p, *end, *colon, *q;
	size_t		 n;
	long		 port = 0;

	memset(u, 0, sizeof(*u));
	if (strlen(url) > URL_MAX)
		return errf(err, errlen, "URL longer than %d bytes", URL_MAX);
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return errf(err, errlen, "URL contains a blank or a "
			    "non-ASCII character");
	if (strncasecmp(url, "wss://", 6) == 0) {
		u->tls = 1;
		u->port = 443;
		p = url + 6;
	} else if (strncasecmp(url, "ws://", 5) == 0) {
		u->port = 80;
		p = url + 5;
	} else
		return errf(err, errlen, "\"%.64s\" is not a ws:// or wss:// "
		    "URL", url);
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)) != NULL)
		return errf(err, errlen, "URL must not carry a user or "
		    "password");
	if (*p == '[') {
		if ((q = memchr(p, ']', (size_t)(end - p))) == NULL)
			return errf(err, errlen, "unterminated [ in URL");
		colon = q + 1;
		if (colon != end && *colon != ':')
			return errf(err, errlen, "bad character after ] in URL");
	} else if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL)
		colon = end;
	if ((n = (size_t)(colon - p)) == 0)
		return errf(err, errlen, "URL has no host");
	memcpy(u->host, p, n);
	if (colon != end) {
		for (q = colon + 1; q < end && *q >= '0' && *q <= '9' &&
		    port <= 65535; q++)
			port = port * 10 + (*q - '0');
		if (colon + 1 == end)
			return errf(err, errlen, "empty port in URL");
		if (q != end || port < 1 || port > 65535)
			return errf(err, errlen, "bad port in URL (1 to 65535)");
		u->port = (int)port;
	}
	if (*end == '/' && (n = strcspn(end, "?#")) > 0)
		memcpy(u->path, end, n);
	else
		u->path[0] = '/';
	return 0;
}

int
relayurl_parse(struct relay_url *u, const char *url, char *err,
    size_t errlen)
{
	const char	*why;
	char		*p;

	if (ws_url_parse(u, url, err, errlen) == -1)
		return -1;
	/* A host is case-insensitive; the domain on chain is compared as is. */
	for (p = u->host; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	why = u->host[0] == '[' ? "is an IP address" :
	    relay_domain_check(u->host);
	if (why != NULL)
		return errf(err, errlen, "relay URL must contain a domain name: "
		    "host \"%.64s\" %s", u->host, why);
	return 0;
}
