/* SPDX-License-Identifier: ISC */
/*
 * The relay rules, once for every process: tfchain's rule for the
 * relay field of a twin (doc/chain.md §1.2) and rmb's rule for one relay
 * domain (doc/protocol.md §7.1).  keyd links this file.
 */
#include <string.h>

#include "tfchain.h"

const char twin_relay_bad_char[] =
    "not allowed (only A-Z a-z 0-9 . _ -, so no scheme, port or path)";

/*
 * Why relay breaks the chain's rule, or NULL; *at is the offending byte.
 * Characters are checked first, as a port or a scheme is the likely slip.
 */
const char *
twin_relay_check(const char *s, size_t len, size_t *at)
{
	size_t	i;
	char	c;

	*at = 0;
	if (len == 0)
		return "empty (use null for no relay)";
	if (len > TWIN_RELAY_MAX)
		return "longer than 1024 bytes";
	for (i = 0; i < len; i++) {
		c = s[i];
		*at = i;
		if ((c < 'a' || c > 'z') && (c < 'A' || c > 'Z') &&
		    (c < '0' || c > '9') && c != '-' && c != '_' && c != '.')
			return twin_relay_bad_char;
	}
	if (s[0] == '.')
		return "starts with '.'";
	for (i = 1; i < len; i++)
		if (s[i - 1] == '.' && s[i] == '.')
			return "contains \"..\"";
	if (s[len - 1] == '.')
		return "ends with '.'";
	if (len > 1 && s[1] == '.')
		return "'.' at byte 1 (tfchain refuses a one-character "
		    "first label)";
	return NULL;
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
