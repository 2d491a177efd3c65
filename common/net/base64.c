/* SPDX-License-Identifier: ISC */
#include <stdint.h>

#include "base64.h"

/*
 * Table-driven and not constant-time: payloads are not secret here, and
 * they run up to PAYLOAD_MAX bytes.  The rules are those of libsodium's
 * decoder, which this replaced, so that what is accepted is unchanged.
 */

#define BAD	0x80	/* not in the alphabet; no value has this bit */

static const char	std_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char	url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Values of the characters '+' to 'z'; all others are BAD. */
static const uint8_t	std_values[80] = {
	 62, BAD, BAD, BAD,  63,  52,  53,  54,  55,  56,
	 57,  58,  59,  60,  61, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD,   0,   1,   2,   3,   4,   5,   6,   7,
	  8,   9,  10,  11,  12,  13,  14,  15,  16,  17,
	 18,  19,  20,  21,  22,  23,  24,  25, BAD, BAD,
	BAD, BAD, BAD, BAD,  26,  27,  28,  29,  30,  31,
	 32,  33,  34,  35,  36,  37,  38,  39,  40,  41,
	 42,  43,  44,  45,  46,  47,  48,  49,  50,  51,
};
static const uint8_t	url_values[80] = {
	BAD, BAD,  62, BAD, BAD,  52,  53,  54,  55,  56,
	 57,  58,  59,  60,  61, BAD, BAD, BAD, BAD, BAD,
	BAD, BAD,   0,   1,   2,   3,   4,   5,   6,   7,
	  8,   9,  10,  11,  12,  13,  14,  15,  16,  17,
	 18,  19,  20,  21,  22,  23,  24,  25, BAD, BAD,
	BAD, BAD,  63, BAD,  26,  27,  28,  29,  30,  31,
	 32,  33,  34,  35,  36,  37,  38,  39,  40,  41,
	 42,  43,  44,  45,  46,  47,  48,  49,  50,  51,
};

size_t
b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t
b64url_encoded_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

static int
encode(char *out, size_t cap, const uint8_t *in, size_t len,
    const char *chars, int pad)
{
	size_t		i, n = 0;
	uint32_t	v;

	if ((pad ? b64_encoded_len(len) : b64url_encoded_len(len)) >= cap)
		return -1;
	for (i = 0; len - i >= 3; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[n++] = chars[v >> 18];
		out[n++] = chars[v >> 12 & 63];
		out[n++] = chars[v >> 6 & 63];
		out[n++] = chars[v & 63];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16 |
		    (len - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
		out[n++] = chars[v >> 18];
		out[n++] = chars[v >> 12 & 63];
		if (len - i == 2)
			out[n++] = chars[v >> 6 & 63];
		else if (pad)
			out[n++] = '=';
		if (pad)
			out[n++] = '=';
	}
	out[n] = '\0';
	return 0;
}

int
b64_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
	return encode(out, cap, in, len, std_chars, 1);
}

int
b64url_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
	return encode(out, cap, in, len, url_chars, 0);
}

static uint8_t
value(const uint8_t *values, char c)
{
	unsigned char	u = (unsigned char)c;

	return u >= '+' && u <= 'z' ? values[u - '+'] : BAD;
}

/*
 * Decodes up to the first character outside the alphabet, then, if
 * padded, the '=' that the bits left over call for; *end is where it
 * stopped.  Returns -1, with *outlen 0, on left-over bits that are not
 * zero, on more than 4 of them, on a missing '=' or when out is full.
 */
static int
decode(uint8_t *out, size_t cap, size_t *outlen, const char *in,
    size_t len, const uint8_t *values, int padded, size_t *end)
{
	size_t		i = 0, n = 0, bits = 0, pad;
	uint32_t	acc = 0;
	uint8_t		a, b, c, d;
	int		ret = 0;

	/* Whole groups of four while out has room: the common case. */
	while (len - i >= 4 && cap - n >= 3) {
		a = value(values, in[i]);
		b = value(values, in[i + 1]);
		c = value(values, in[i + 2]);
		d = value(values, in[i + 3]);
		if ((a | b | c | d) & BAD)
			break;
		out[n++] = (uint8_t)(a << 2 | b >> 4);
		out[n++] = (uint8_t)(b << 4 | c >> 2);
		out[n++] = (uint8_t)(c << 6 | d);
		i += 4;
	}
	/* What is left, one character at a time. */
	for (; i < len && (d = value(values, in[i])) != BAD; i++) {
		acc = acc << 6 | d;
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (n == cap) {
				ret = -1;
				break;
			}
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits > 4 || (acc & ((1u << bits) - 1)) != 0)
		ret = -1;
	else if (ret == 0 && padded) {
		for (pad = bits / 2; pad > 0; pad--, i++)
			if (i == len || in[i] != '=') {
				ret = -1;
				break;
			}
	}
	*end = i;
	*outlen = ret == 0 ? n : 0;
	return ret;
}

static int
decode_all(uint8_t *out, size_t cap, size_t *outlen, const char *in,
    size_t len, const uint8_t *values, int padded)
{
	size_t	end;

	if (len % 4 == 1)
		return -1;
	if (decode(out, cap, outlen, in, len, values, padded, &end) != 0 ||
	    end != len)
		return -1;
	return 0;
}

int
b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in,
    size_t len)
{
	/* Padded input is a multiple of 4; anything else is read unpadded. */
	return decode_all(out, cap, outlen, in, len, std_values,
	    len % 4 == 0);
}

int
b64url_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in,
    size_t len)
{
	return decode_all(out, cap, outlen, in, len, url_values, 0);
}
