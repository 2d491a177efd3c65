/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "base64.h"
#include "tap.h"

static int
dec(const char *in, const char *want_hex)
{
	uint8_t	out[64];
	size_t	n;

	if (b64_decode(out, sizeof(out), &n, in, strlen(in)) != 0)
		return want_hex == NULL;
	if (want_hex == NULL)
		return 0;
	return is_hex(out, n, want_hex, in);
}

int
main(void)
{
	char	buf[128];
	uint8_t	out[64], in[64];
	size_t	n, i;

	if (sodium_init() < 0)
		return 1;
	/* RFC 4648 §10. */
	static const char *rfc[][2] = { { "", "" }, { "f", "Zg==" },
	    { "fo", "Zm8=" }, { "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
	    { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } };
	for (i = 0; i < 7; i++) {
		ok(b64_encode(buf, sizeof(buf), (const uint8_t *)rfc[i][0],
		    strlen(rfc[i][0])) == 0 && strcmp(buf, rfc[i][1]) == 0,
		    "encode \"%s\"", rfc[i][0]);
		ok(b64_decode(out, sizeof(out), &n, rfc[i][1],
		    strlen(rfc[i][1])) == 0 && n == strlen(rfc[i][0]) &&
		    memcmp(out, rfc[i][0], n) == 0, "decode %s", rfc[i][1]);
	}
	ok(b64_encoded_len(5) == 8 && b64url_encoded_len(65) == 87,
	    "encoded lengths (65 bytes -> 87 url chars)");
	ok(dec("e30=", "7b7d"), "padded {} (JSON dat)");
	ok(dec("e30", "7b7d"), "unpadded accepted (padding-indifferent)");
	ok(dec("Zg", "66"), "unpadded Zg");
	ok(dec("Zh==", NULL), "non-zero trailing bits rejected");
	ok(dec("Zm9v\n", NULL), "newline rejected");
	ok(dec("Zm 9v", NULL), "space rejected");
	ok(dec("Zm9v_-==", NULL), "url alphabet rejected in standard");
	ok(dec("Z", NULL), "single char rejected");
	ok(dec("Zg=", NULL), "partial padding rejected");
	ok(dec("=", NULL), "lone padding rejected");
	ok(dec("Zm9\xff", NULL) && dec("Zm\xc3\xa9", NULL) &&
	    b64url_decode(out, sizeof(out), &n, "Zm9\xff", 4) == -1,
	    "bytes over 0x7f rejected (libsodium 1.0.18 read them as '/')");
	ok(b64_encode(buf, 4, (const uint8_t *)"f", 1) == -1,
	    "encode: buffer without room for the NUL refused");
	ok(b64_decode(out, 1, &n, "Zm8=", 4) == -1,
	    "decode: small buffer refused");

	for (i = 0; i < 64; i++)
		in[i] = (uint8_t)(0xfb + i);
	ok(b64url_encode(buf, sizeof(buf), in, 3) == 0 &&
	    strcmp(buf, "-_z9") == 0, "url-safe alphabet");
	ok(b64url_encode(buf, sizeof(buf), (const uint8_t *)"f", 1) == 0 &&
	    strcmp(buf, "Zg") == 0, "url-safe has no padding");
	ok(b64url_decode(out, sizeof(out), &n, "Zg==", 4) == -1,
	    "url-safe decoder refuses padding");
	ok(b64url_decode(out, sizeof(out), &n, "-_z9", 4) == 0 && n == 3 &&
	    memcmp(out, in, 3) == 0, "url-safe round trip");
	for (i = 0; i <= 64; i++) {
		randombytes_buf(in, i);
		b64url_encode(buf, sizeof(buf), in, i);
		if (!(b64url_decode(out, sizeof(out), &n, buf, strlen(buf)) ==
		    0 && n == i && memcmp(in, out, i) == 0))
			break;
		b64_encode(buf, sizeof(buf), in, i);
		if (!(b64_decode(out, sizeof(out), &n, buf, strlen(buf)) == 0 &&
		    n == i && memcmp(in, out, i) == 0))
			break;
	}
	ok(i == 65, "random round trips, lengths 0..64");
	return done_testing();
}
