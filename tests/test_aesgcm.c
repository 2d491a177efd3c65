/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "aesgcm.h"
#include "tap.h"

struct gcm_vector {
	const char	*name;
	const char	*key;
	const char	*nonce;
	const char	*plain;
	const char	*sealed;	/* ciphertext || tag */
};

static const struct gcm_vector vectors[] = {
	/* McGrew and Viega, "The Galois/Counter Mode of Operation", B. */
	{ "GCM test case 13 (empty)",
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "000000000000000000000000",
	    "",
	    "530f8afbc74536b9a963b4f1c4cb738b" },
	{ "GCM test case 14 (one zero block)",
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "000000000000000000000000",
	    "00000000000000000000000000000000",
	    "cea7403d4d606b6e074ec5d3baf39d18"
	    "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "GCM test case 15 (64 bytes)",
	    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	    "cafebabefacedbaddecaf888",
	    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
	    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
	    "b094dac5d93471bdec1a502270e3cc6c" },
	/* Computed with Python cryptography: 5 blocks, the last partial. */
	{ "77-byte message (independent)",
	    "01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da",
	    "f0f1f2f3f4f5f6f7f8f9fafb",
	    "05121f2c394653606d7a8794a1aebbc8d5e2effc091623303d4a5764717e8b98"
	    "a5b2bfccd9e6f3000d1a2734414e5b6875828f9ca9b6c3d0ddeaf704111e2b38"
	    "45525f6c798693a0adbac7d4e1",
	    "2215024b9aae893989525cd8d08f892ff8c4bdfb42f8742d45f5f571013a055c"
	    "6afe5b17b5aa1e962e1058398a59baa959f8c9b43ae23b682fbe67ef27b66851"
	    "aa0342b4cb2ffd32ca3b39da6cc232450cadf0b75b5f34d069c20da3aa" },
};

static int
all_zero(const uint8_t *p, size_t len)
{
	uint8_t	acc = 0;
	size_t	i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

static void
test_vectors(const char *impl)
{
	uint8_t		key[32], nonce[12], plain[128], sealed[160];
	uint8_t		out[160], buf[160];
	char		name[160];
	size_t		i, plen, slen, n;
	int		rejected;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct gcm_vector *v = &vectors[i];

		unhex(key, sizeof(key), v->key);
		unhex(nonce, sizeof(nonce), v->nonce);
		plen = unhex(plain, sizeof(plain), v->plain);
		slen = unhex(sealed, sizeof(sealed), v->sealed);

		snprintf(name, sizeof(name), "%s: %s seal", impl, v->name);
		ok(aesgcm_seal(out, plain, plen, nonce, key) == 0,
		    "%s returns 0", name);
		is_hex(out, plen + 16, v->sealed, name);

		snprintf(name, sizeof(name), "%s: %s open", impl, v->name);
		memset(buf, 0xaa, sizeof(buf));
		ok(aesgcm_open(buf, sealed, slen, nonce, key) == 0 &&
		    memcmp(buf, plain, plen) == 0, "%s", name);

		memcpy(buf, plain, plen);
		aesgcm_seal(buf, buf, plen, nonce, key);
		ok(memcmp(buf, sealed, slen) == 0 &&
		    aesgcm_open(buf, buf, slen, nonce, key) == 0 &&
		    memcmp(buf, plain, plen) == 0,
		    "%s: %s in place", impl, v->name);

		/* One flipped bit anywhere, tag included, must fail. */
		rejected = 0;
		for (n = 0; n < slen; n++) {
			memcpy(buf, sealed, slen);
			buf[n] ^= (uint8_t)(1 << (n % 8));
			memset(out, 0xaa, sizeof(out));
			if (aesgcm_open(out, buf, slen, nonce, key) == -1 &&
			    all_zero(out, plen))
				rejected++;
		}
		ok(rejected == (int)slen, "%s: %s: %d/%zu bit flips rejected, "
		    "output zeroed", impl, v->name, rejected, slen);

		memcpy(buf, key, sizeof(key));
		buf[31] ^= 0x80;
		ok(aesgcm_open(out, sealed, slen, nonce, buf) == -1,
		    "%s: %s: wrong key rejected", impl, v->name);
		memcpy(buf, nonce, sizeof(nonce));
		buf[0] ^= 1;
		ok(aesgcm_open(out, sealed, slen, buf, key) == -1,
		    "%s: %s: wrong nonce rejected", impl, v->name);
	}

	rejected = 0;
	for (n = 0; n < AESGCM_TAG_BYTES; n++)
		if (aesgcm_open(out, sealed, n, nonce, key) == -1)
			rejected++;
	ok(rejected == AESGCM_TAG_BYTES,
	    "%s: inputs of 0..15 bytes rejected", impl);
	ok(aesgcm_seal(out, NULL, 0, nonce, key) == 0 &&
	    aesgcm_open(NULL, out, 16, nonce, key) == 0,
	    "%s: empty message with NULL buffers", impl);
}

/*
 * Ours (nettle's) and libsodium's AES-NI code must agree byte for byte on
 * random keys, nonces and every length 0..4096 and a few large ones, each
 * open the other's output, and both refuse it with one tag bit flipped.
 */
static void
test_cross(void)
{
	static const size_t	 large[] = { 65539, 1048576 + 5, 3000017 };
	uint8_t			 key[32], nonce[12], *plain, *a, *b, *back;
	size_t			 i, len, max = 3000017, n = 4097 + 3;
	size_t			 seal_bad = 0, open_bad = 0, tamper_bad = 0;
	unsigned long long	 blen, mlen;
	uint32_t		 bit;

	if ((plain = malloc(max)) == NULL || (a = malloc(max + 16)) == NULL ||
	    (b = malloc(max + 16)) == NULL || (back = malloc(max)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		len = i <= 4096 ? i : large[i - 4097];
		randombytes_buf(key, sizeof(key));
		randombytes_buf(nonce, sizeof(nonce));
		randombytes_buf(plain, len);
		aesgcm_seal(a, plain, len, nonce, key);
		crypto_aead_aes256gcm_encrypt(b, &blen, plain, len, NULL, 0,
		    NULL, nonce, key);
		if (blen != len + 16 || memcmp(a, b, len + 16) != 0)
			seal_bad++;
		if (crypto_aead_aes256gcm_decrypt(back, &mlen, NULL, a,
		    len + 16, NULL, 0, nonce, key) != 0 ||
		    memcmp(back, plain, len) != 0)
			open_bad++;
		bit = randombytes_uniform(128);
		b[len + bit / 8] ^= (uint8_t)(1 << bit % 8);
		if (crypto_aead_aes256gcm_decrypt(back, &mlen, NULL, b,
		    len + 16, NULL, 0, nonce, key) != -1)
			tamper_bad++;
		memset(back, 0xaa, len);
		if (aesgcm_open(back, b, len + 16, nonce, key) != -1 ||
		    !all_zero(back, len))
			tamper_bad++;
		b[len + bit / 8] ^= (uint8_t)(1 << bit % 8);
		if (aesgcm_open(back, b, len + 16, nonce, key) != 0 ||
		    memcmp(back, plain, len) != 0)
			open_bad++;
	}
	ok(seal_bad == 0, "ours and libsodium's seal agree on %zu random "
	    "keys, nonces, lengths 0..4096 and 3 up to 3 MB (%zu differ)", n,
	    seal_bad);
	ok(open_bad == 0, "each opens the other's output (%zu failed)",
	    open_bad);
	ok(tamper_bad == 0, "both refuse a flipped tag bit, output zeroed "
	    "(%zu accepted)", tamper_bad);
	free(plain);
	free(a);
	free(b);
	free(back);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_vectors("nettle");
	if (crypto_aead_aes256gcm_is_available())
		test_cross();
	else
		diag("no AES-NI/PCLMUL: no libsodium AES-GCM to compare with");
	return done_testing();
}
