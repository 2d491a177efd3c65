/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include "errf.h"
#include "log.h"
#include "relayurl.h"

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

/* A last label of digits, or of 0x and hex digits, makes an IPv4. */
static int
ipv4_like(const char *d, size_t n)
{
	const char	*last = d + n;
	size_t		 i = 0;

	while (last > d && last[-1] != '.')
		last--;
	n = (size_t)(d + n - last);
	if (n >= 2 && last[0] == '0' && last[1] == 'x')
		for (i = 2; i < n && strchr("0123456789abcdef", last[i]); i++)
			;
	else
		while (i < n && last[i] >= '0' && last[i] <= '9')
			i++;
	return i == n;
}

const char *
relay_domain_check(const char *d)
{
	size_t	i, n = strlen(d);

	if (n == 0)
		return "is empty";
	if (n > RELAY_DOMAIN_MAX)
		return "is longer than 253 bytes";
	for (i = 0; i < n; i++)
		if ((d[i] < 'a' || d[i] > 'z') && (d[i] < '0' || d[i] > '9') &&
		    d[i] != '-' && d[i] != '.')
			return "has a character other than a-z 0-9 . -";
	if (d[0] == '.' || d[n - 1] == '.' || strstr(d, "..") != NULL)
		return "has an empty label";
	if (ipv4_like(d, n))
		return "is an IP address";
	return NULL;
}

int
relay_join(char out[TWIN_RELAY_MAX + 1],
    const char dom[][RELAY_DOMAIN_MAX + 1], size_t n, const char **why)
{
	size_t	i, dl, at, len = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		dl = strlen(dom[i]);
		if (len + (i > 0) + dl > TWIN_RELAY_MAX) {
			*why = "longer than 1024 bytes";
			return -1;
		}
		if (i > 0)
			out[len++] = '_';
		memcpy(out + len, dom[i], dl + 1);
		len += dl;
	}
	if (n > 0 && (*why = twin_relay_check(out, len, &at)) != NULL)
		return -1;
	return (int)len;
}
