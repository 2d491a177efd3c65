/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <sodium.h>

#include "ss58.h"

#define SS58_RAW_LEN	(1 + 32 + 2)

static const char alphabet[] =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

static int
digit(char c)
{
	int	i;

	for (i = 0; i < 58; i++)
		if (alphabet[i] == c)
			return i;
	return -1;
}

int
base58_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
	uint8_t		dig[BASE58_TEXT_MAX];	/* least significant first */
	size_t		zeros = 0, nd = 0, i, j;
	unsigned int	carry;

	if (len > BASE58_BYTES_MAX)
		return -1;
	while (zeros < len && in[zeros] == 0)
		zeros++;
	for (i = zeros; i < len; i++) {
		carry = in[i];
		for (j = 0; j < nd; j++) {
			carry += (unsigned int)dig[j] << 8;
			dig[j] = (uint8_t)(carry % 58);
			carry /= 58;
		}
		while (carry > 0) {
			dig[nd++] = (uint8_t)(carry % 58);
			carry /= 58;
		}
	}
	if (cap < zeros + nd + 1)
		return -1;
	memset(out, '1', zeros);
	for (j = 0; j < nd; j++)
		out[zeros + j] = alphabet[dig[nd - 1 - j]];
	out[zeros + nd] = '\0';
	return 0;
}

int
base58_decode(uint8_t *out, size_t cap, size_t *outlen, const char *s)
{
	uint8_t		b[BASE58_TEXT_MAX];	/* least significant first */
	size_t		slen = 0, zeros = 0, nb = 0, i, j;
	unsigned int	carry;
	int		v;

	while (slen <= BASE58_TEXT_MAX && s[slen] != '\0')
		slen++;
	if (slen > BASE58_TEXT_MAX)
		return -1;
	while (zeros < slen && s[zeros] == '1')
		zeros++;
	for (i = zeros; i < slen; i++) {
		if ((v = digit(s[i])) < 0)
			return -1;
		carry = (unsigned int)v;
		for (j = 0; j < nb; j++) {
			carry += (unsigned int)b[j] * 58;
			b[j] = carry & 0xff;
			carry >>= 8;
		}
		while (carry > 0) {
			b[nb++] = carry & 0xff;
			carry >>= 8;
		}
	}
	if (cap < zeros + nb)
		return -1;
	memset(out, 0, zeros);
	for (j = 0; j < nb; j++)
		out[zeros + j] = b[nb - 1 - j];
	*outlen = zeros + nb;
	return 0;
}

static void
ss58_checksum(uint8_t sum[2], const uint8_t raw[33])
{
	crypto_generichash_state	st;
	uint8_t				h[64];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)"SS58PRE", 7);
	crypto_generichash_update(&st, raw, 33);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(sum, h, 2);
}

int
ss58_encode(char *out, size_t cap, const uint8_t account[32])
{
	uint8_t	raw[SS58_RAW_LEN];

	raw[0] = SS58_PREFIX;
	memcpy(raw + 1, account, 32);
	ss58_checksum(raw + 33, raw);
	return base58_encode(out, cap, raw, sizeof(raw));
}

int
ss58_decode(uint8_t account[32], const char *s)
{
	uint8_t	raw[SS58_RAW_LEN], sum[2];
	size_t	n;

	if (base58_decode(raw, sizeof(raw), &n, s) == -1 ||
	    n != sizeof(raw) || raw[0] != SS58_PREFIX)
		return -1;
	ss58_checksum(sum, raw);
	if (memcmp(sum, raw + 33, 2) != 0)
		return -1;
	memcpy(account, raw + 1, 32);
	return 0;
}
