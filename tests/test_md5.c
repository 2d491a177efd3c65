/* SPDX-License-Identifier: ISC */
/*
 * The MD5 that the envelope challenge (common/trusted/envelope.c) is
 * computed with: nettle's, checked on RFC 1321's vectors and ours.
 */
#include <nettle/md5.h>
#include <sodium.h>

#include "tap.h"

static void
md5(uint8_t out[MD5_DIGEST_SIZE], const void *in, size_t len)
{
	struct md5_ctx	ctx;

	md5_init(&ctx);
	md5_update(&ctx, len, in);
	md5_digest(&ctx, MD5_DIGEST_SIZE, out);
}

static const struct {
	const char	*in;
	const char	*md5;
} rfc1321[] = {
	{ "", "d41d8cd98f00b204e9800998ecf8427e" },
	{ "a", "0cc175b9c0f1b6a831c399e269772661" },
	{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
	{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
	{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	    "d174ab98d277d9f5a5611c2c9f419d9f" },
	{ "1234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567890",
	    "57edf4a22be3c955ac49da2e2107b67a" },
};

/* The envelope challenges of doc/protocol.md §2.3. */
static const struct {
	const char	*in;
	const char	*md5;
} challenges[] = {
	{ "8f9e7c9a-4b1e-4d2a-9a55-0a1b2c3d4e5f1700000000300712"
	    "zos.system.versionapplication/json{\"a\":1}",
	    "45ba2fdf1c1de14a8832da2e28a9313d" },
	{ "8f9e7c9a-4b1e-4d2a-9a55-0a1b2c3d4e5ffail-fast1700000000300712"
	    "sess1zos.system.versionhi",
	    "d319ffedf9d73e5f7e6f65ad127c7220" },
	{ "8f9e7c9a-4b1e-4d2a-9a55-0a1b2c3d4e5f17000000051800127"
	    "application/json\"v1.2.3\"",
	    "64607bbeb694cf6aa6bd7c37acfc915b" },
	{ "8f9e7c9a-4b1e-4d2a-9a55-0a1b2c3d4e5f1700000005300127103"
	    "unknown twin id '7'",
	    "e868072f8493ff0862acf2db558bd26e" },
};

static void
test_vectors(void)
{
	uint8_t	out[MD5_DIGEST_SIZE];
	char	name[128];
	size_t	i;

	for (i = 0; i < sizeof(rfc1321) / sizeof(rfc1321[0]); i++) {
		md5(out, rfc1321[i].in, strlen(rfc1321[i].in));
		snprintf(name, sizeof(name), "RFC 1321 A.5 #%zu (%zu bytes)",
		    i + 1, strlen(rfc1321[i].in));
		is_hex(out, sizeof(out), rfc1321[i].md5, name);
	}
	for (i = 0; i < sizeof(challenges) / sizeof(challenges[0]); i++) {
		md5(out, challenges[i].in, strlen(challenges[i].in));
		snprintf(name, sizeof(name),
		    "doc/protocol.md §2.3 challenge (%c)", (int)('a' + i));
		is_hex(out, sizeof(out), challenges[i].md5, name);
	}
}

/* Every way of cutting a message must give the one-shot digest. */
static void
test_split(void)
{
	static const char	 forty[] =
	    "1234567890123456789012345678901234567890";
	static const size_t	 chunks[] = { 1, 3, 7, 13, 31, 63, 64, 65, 127 };
	static const struct {
		size_t		 len;
		const char	*md5;
	} edges[] = {
		{ 55, "c9e512626618c9980ef21a96597af94c" },
		{ 56, "ecde7caa08e9f5657c863df107cac60a" },
		{ 63, "2f0301069e1c40af7f6c8f843b1b13f2" },
		{ 64, "b6bf87c24b1bc334e2541387a92b981b" },
		{ 119, "d5dc3d8264de3aa24dee105910ee27fe" },
		{ 120, "bcc139b3848923904860d1eefd6e5923" },
		{ 1000, "2b1e78d5765de9e10495a01412a1cf22" },
	};
	struct md5_ctx		 ctx;
	uint8_t			 msg[1000], want[16], got[16];
	char			 name[64];
	size_t			 i, c, off, n, len, bad = 0;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 31 + 7);
	for (len = 0; len <= sizeof(msg); len += (len < 200 ? 1 : 97)) {
		md5(want, msg, len);
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			md5_init(&ctx);
			for (off = 0; off < len; off += n) {
				n = chunks[(c + off) %
				    (sizeof(chunks) / sizeof(chunks[0]))];
				if (n > len - off)
					n = len - off;
				md5_update(&ctx, n, msg + off);
			}
			md5_digest(&ctx, 16, got);
			if (memcmp(got, want, 16) != 0)
				bad++;
		}
	}
	ok(bad == 0, "odd-sized chunked updates match one-shot (%zu bad)",
	    bad);

	/* Digests of the same pattern from an independent MD5 (Python). */
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		md5(got, msg, edges[i].len);
		snprintf(name, sizeof(name), "%zu-byte pattern vs independent digest",
		    edges[i].len);
		is_hex(got, 16, edges[i].md5, name);
	}

	/* 55, 56 and 64 bytes sit on the padding edges. */
	md5_init(&ctx);
	md5_update(&ctx, 40, (const uint8_t *)forty);
	md5_update(&ctx, 0, (const uint8_t *)"");
	md5_update(&ctx, 40, (const uint8_t *)forty);
	md5_digest(&ctx, 16, got);
	is_hex(got, 16, "57edf4a22be3c955ac49da2e2107b67a",
	    "RFC 1321 #7 in two 40-byte updates (crosses 64)");

	md5_init(&ctx);
	md5_update(&ctx, 1, (const uint8_t *)"a");
	md5_update(&ctx, 2, (const uint8_t *)"bc");
	md5_digest(&ctx, 16, got);
	unhex(want, sizeof(want), "900150983cd24fb0d6963f7d28e17f72");
	ok(memcmp(got, want, 16) == 0, "abc as a + bc");
}

static void
test_million(void)
{
	struct md5_ctx	ctx;
	uint8_t		buf[1000], out[16];
	int		i;

	memset(buf, 'a', sizeof(buf));
	md5_init(&ctx);
	for (i = 0; i < 1000; i++)
		md5_update(&ctx, sizeof(buf), buf);
	md5_digest(&ctx, 16, out);
	is_hex(out, 16, "7707d6ae4e027c70eea2a935c2296f21",
	    "1,000,000 x 'a'");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_vectors();
	test_split();
	test_million();
	return done_testing();
}
