/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include "relay_head.h"

/* RFC 9110 §5.6.2: the characters of a method. */
static int
tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* "METHOD SP TARGET SP HTTP/d.d": 0 with the target's bounds, or -1. */
static int
request_line(const char *p, size_t n, const char **target, size_t *tlen)
{
	size_t	i = 0, t;

	while (i < n && p[i] != '\0' && tchar(p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != ' ')
		return -1;
	t = ++i;
	while (i < n && p[i] > ' ' && p[i] < 0x7f)
		i++;
	if (i == t || i >= n || p[i] != ' ')
		return -1;
	*target = p + t;
	*tlen = i - t;
	i++;
	if (n - i != 8 || memcmp(p + i, "HTTP/", 5) != 0 ||
	    p[i + 5] < '0' || p[i + 5] > '9' || p[i + 6] != '.' ||
	    p[i + 7] < '0' || p[i + 7] > '9')
		return -1;
	return 0;
}

/* A header line: notes "Upgrade: websocket" (the first Upgrade only). */
static void
header_line(const char *p, size_t n, struct relay_head *h, int *seen)
{
	const char	*colon, *v, *e;

	if (*seen || (colon = memchr(p, ':', n)) == NULL ||
	    (size_t)(colon - p) != 7 || strncasecmp(p, "upgrade", 7) != 0)
		return;
	*seen = 1;
	v = colon + 1;
	e = p + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	h->upgrade = e - v == 9 && strncasecmp(v, "websocket", 9) == 0;
	h->upgrade_other = !h->upgrade;
}

int
relay_head_parse(const char *buf, size_t len, struct relay_head *h)
{
	const char	*lf, *target = NULL, *q;
	size_t		 start = 0, n, tlen = 0;
	int		 seen = 0;

	memset(h, 0, sizeof(*h));
	if (len > RELAY_HEAD_MAX)
		len = RELAY_HEAD_MAX;
	for (;;) {
		if ((lf = memchr(buf + start, '\n', len - start)) == NULL)
			return len == RELAY_HEAD_MAX ? RELAY_HEAD_BIG :
			    RELAY_HEAD_MORE;
		n = (size_t)(lf - (buf + start));
		if (n > 0 && buf[start + n - 1] == '\r')
			n--;
		if (start == 0) {
			if (request_line(buf, n, &target, &tlen) == -1)
				return RELAY_HEAD_BAD;
		} else if (n == 0)
			break;
		else
			header_line(buf + start, n, h, &seen);
		start = (size_t)(lf - buf) + 1;
	}
	h->len = (size_t)(lf - buf) + 1;
	if ((q = memchr(target, '?', tlen)) != NULL) {
		h->query = q + 1;
		h->querylen = tlen - (size_t)(q + 1 - target);
	}
	return RELAY_HEAD_DONE;
}
