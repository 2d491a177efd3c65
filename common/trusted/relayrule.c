/* SPDX-License-Identifier: ISC */
/*
 * tfchain's rule for the relay field of a twin (doc/chain.md §1.2), once
 * for every process.  keyd links this file.
 */
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
