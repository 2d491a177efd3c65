/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "base64.h"
#include "jwt_parse.h"
#include "tap.h"

#define ED_SEED	"aa4e323bade8609a595108b585c4135855430c411ccf7923f81438cd8a188fce"
#define TOKEN_NOSID "eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOjcsInNpZCI6bnVsbCwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDAzMDB9.Ze06jlVc7lfVTeYv0FglT5heNJjxnzRFBYvNCRaEzR8gcDlkA9e5aPeyf4qs7KhdLt8f4nJVFlj90X7t4A2F7w8"
#define TOKEN_SID "eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOjcsInNpZCI6InNlc3MxIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDAzMDB9.ZabqVPcmtDvkxrFU6BYTxUrxjHpp_lQl-HJuJD9N_1-ZzbaDydS0diGZOvuOiqaXNhPotQjXY5mc5ZC7JLPhqgo"
#define REPO_TOKEN "eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOjcsImlhdCI6MTY3MzI2NzE1MCwiZXhwIjo2MH0.ZRCH2iy6VnwUFfhL0h7tjlweqJT9tQJuHpApPFD0tDDObyBdGUBrqy2EXS8XSX7YQUH1hswylONxoNLvFkdb2AY"

static struct identity ed, sr, other;

/* Builds "b64u(header).b64u(claims).b64u(sig)" from raw JSON texts. */
static void
make(char *out, size_t cap, const char *header, const char *claims,
    const struct identity *id)
{
	uint8_t	sig[SIG65_BYTES];
	size_t	n;

	b64url_encode(out, cap, (const uint8_t *)header, strlen(header));
	n = strlen(out);
	out[n++] = '.';
	b64url_encode(out + n, cap - n, (const uint8_t *)claims,
	    strlen(claims));
	n += strlen(out + n);
	identity_sign(id, sig, (const uint8_t *)out, n);
	out[n++] = '.';
	b64url_encode(out + n, cap - n, sig, sizeof(sig));
}

static void
test_vectors(void)
{
	char		 tok[JWT_MAX];
	struct jwt	 j;
	const char	*err;
	int		 n;

	n = jwt_build(tok, sizeof(tok), &ed, 7, 1700000000, 1700000300);
	ok(n > 0 && strcmp(tok, TOKEN_NOSID) == 0 && (size_t)n == strlen(tok),
	    "ed25519 token, sid null (§3.4)");
	n = jwt_build_sid(tok, sizeof(tok), &ed, 7, "sess1", 1700000000,
	    1700000300);
	ok(n > 0 && strcmp(tok, TOKEN_SID) == 0, "ed25519 token, sid sess1");

	ok(jwt_parse(&j, TOKEN_SID, strlen(TOKEN_SID), &err) == 0,
	    "vector parses");
	ok(j.sub == 7 && j.has_sid && strcmp(j.sid, "sess1") == 0 &&
	    j.iat == 1700000000 && j.exp == 1700000300, "claims read back");
	ok(jwt_check_sig(&j, ed.account, &err) == 0, "signature verifies");
	ok(jwt_check_exp(&j, 1700000300, &err) == 0, "now == exp still valid");
	ok(jwt_check_exp(&j, 1700000301, &err) == -1 &&
	    strcmp(err, "jwt has expired") == 0, "now > exp is expired");
	ok(jwt_check_sig(&j, other.account, &err) == -1,
	    "another account refused");

	ok(jwt_parse(&j, REPO_TOKEN, strlen(REPO_TOKEN), &err) == 0,
	    "the reference's test token parses (no sid)");
	ok(j.sub == 7 && !j.has_sid && j.iat == 1673267150 && j.exp == 60,
	    "its claims");
	is_hex(j.sig, j.siglen, "651087da2cba567c1415f84bd21eed8e5c1ea894fdb5026e1e90293c50f4b430ce6f205d19406bab2d845d2f17497ed84141f586cc3294e371a0d2ef16475bd806",
	    "its 65-byte signature");
	ok(jwt_check_exp(&j, 61, &err) == -1, "and it is expired");
}

static void
test_roundtrip(void)
{
	char		 tok[JWT_MAX];
	struct jwt	 j;
	const char	*err;

	ok(jwt_build(tok, sizeof(tok), &sr, 42, 100, 400) > 0,
	    "sr25519 token built");
	ok(jwt_parse(&j, tok, strlen(tok), &err) == 0 &&
	    jwt_check_sig(&j, sr.account, &err) == 0 && j.sub == 42,
	    "sr25519 token verifies");
	ok(jwt_build_sid(tok, sizeof(tok), &ed, 1, "a\"b\\c\n", 1, 2) > 0 &&
	    jwt_parse(&j, tok, strlen(tok), &err) == 0 &&
	    strcmp(j.sid, "a\"b\\c\n") == 0 &&
	    jwt_check_sig(&j, ed.account, &err) == 0,
	    "sid with characters to escape round-trips");
	char long_sid[JWT_SID_MAX + 2];
	memset(long_sid, 'x', sizeof(long_sid) - 1);
	long_sid[sizeof(long_sid) - 1] = '\0';
	ok(jwt_build_sid(tok, sizeof(tok), &ed, 1, long_sid, 1, 2) == -1,
	    "sid over the limit refused");
	ok(jwt_build(tok, 60, &ed, 1, 1, 2) == -1,
	    "small output buffer refused");

	/* The TypeScript client's form: typ, other key order, sid string. */
	make(tok, sizeof(tok), "{\"alg\":\"RS512\",\"typ\":\"JWT\"}",
	    "{\"sub\":7,\"iat\":1795668806,\"exp\":1795669806,\"sid\":\"sess1\"}",
	    &sr);
	ok(jwt_parse(&j, tok, strlen(tok), &err) == 0 &&
	    jwt_check_sig(&j, sr.account, &err) == 0 && j.has_sid &&
	    j.exp == 1795669806, "TS client token (typ, reordered) accepted");
	make(tok, sizeof(tok), "{\"alg\":\"RS512\",\"kid\":\"k\",\"x\":[1]}",
	    "{\"exp\":5,\"sub\":7,\"iat\":1,\"other\":{\"a\":null}}", &ed);
	ok(jwt_parse(&j, tok, strlen(tok), &err) == 0 && !j.has_sid,
	    "unknown header and claim keys ignored, sid absent");
	make(tok, sizeof(tok), "{\"alg\":\"RS512\"}",
	    "{\"sub\":7,\"sid\":null,\"iat\":1,\"exp\":5}", &ed);
	ok(jwt_parse(&j, tok, strlen(tok), &err) == 0 && !j.has_sid,
	    "sid null");
}

static void
bad_claims(const char *header, const char *claims, const char *want,
    const char *name)
{
	char		 tok[JWT_MAX];
	struct jwt	 j;
	const char	*err = NULL;

	make(tok, sizeof(tok), header, claims, &ed);
	if (!ok(jwt_parse(&j, tok, strlen(tok), &err) == -1 &&
	    strstr(err, want) != NULL, "%s", name))
		diag("err: %s", err ? err : "(accepted)");
}

static void
bad_token(const char *tok, const char *name)
{
	struct jwt	 j;
	const char	*err;

	ok(jwt_parse(&j, tok, strlen(tok), &err) == -1, "%s", name);
}

static void
test_bad(void)
{
	const char	*h = "{\"alg\":\"RS512\"}";
	char		 tok[JWT_MAX + 8];
	struct jwt	 j;
	const char	*err;
	size_t		 n;

	bad_claims("{\"alg\":\"HS256\"}", "{\"sub\":7,\"iat\":1,\"exp\":5}",
	    "algorithm mismatch", "alg HS256 refused");
	bad_claims("{\"typ\":\"JWT\"}", "{\"sub\":7,\"iat\":1,\"exp\":5}",
	    "algorithm mismatch", "missing alg refused");
	bad_claims("{\"alg\":\"RS512\",\"typ\":\"JWS\"}",
	    "{\"sub\":7,\"iat\":1,\"exp\":5}", "header", "typ JWS refused");
	bad_claims("{\"alg\":\"RS512\",\"alg\":\"RS512\"}",
	    "{\"sub\":7,\"iat\":1,\"exp\":5}", "header", "duplicate alg refused");
	bad_claims("[1]", "{\"sub\":7,\"iat\":1,\"exp\":5}", "header",
	    "header not an object");
	bad_claims(h, "{\"iat\":1,\"exp\":5}", "claims", "missing sub");
	bad_claims(h, "{\"sub\":7,\"exp\":5}", "claims", "missing iat");
	bad_claims(h, "{\"sub\":7,\"iat\":1}", "claims", "missing exp");
	bad_claims(h, "{\"sub\":4294967296,\"iat\":1,\"exp\":5}", "claims",
	    "sub over u32");
	bad_claims(h, "{\"sub\":-7,\"iat\":1,\"exp\":5}", "claims",
	    "negative sub");
	bad_claims(h, "{\"sub\":\"7\",\"iat\":1,\"exp\":5}", "claims",
	    "sub as string");
	bad_claims(h, "{\"sub\":7,\"sid\":5,\"iat\":1,\"exp\":5}", "claims",
	    "sid as number");
	bad_claims(h, "{\"sub\":7,\"sub\":8,\"iat\":1,\"exp\":5}", "claims",
	    "duplicate sub");
	bad_claims(h, "{\"sub\":7,\"iat\":1,\"exp\":5.5}", "claims",
	    "fractional exp");
	bad_claims(h, "{\"sub\":7,\"iat\":1,\"exp\":5}x", "claims",
	    "trailing text after the claims object");
	bad_token("", "empty token");
	bad_token("abc", "one part");
	bad_token("a.b", "two parts");
	bad_token(TOKEN_NOSID ".x", "four parts");
	bad_token("eyJhbGciOiJSUzUxMiJ9=.e30.AA", "padding in a part");
	bad_token("eyJhbGciOiJSUzUxMiJ9.e30.AA", "empty claims object");
	bad_token("e y.e30.AA", "space in a part");

	memset(tok, 'A', sizeof(tok) - 1);
	tok[sizeof(tok) - 1] = '\0';
	tok[10] = tok[20] = '.';
	bad_token(tok, "token over the size limit");

	/* A valid token with its signature cut to 64 bytes: parse, not sig. */
	make(tok, sizeof(tok), h, "{\"sub\":7,\"iat\":1,\"exp\":5}", &ed);
	ok(jwt_parse(&j, tok, strlen(tok), &err) == 0, "65-byte signature");
	n = (size_t)(strrchr(tok, '.') - tok) + 1;
	b64url_encode(tok + n, sizeof(tok) - n, j.sig, 64);
	ok(jwt_parse(&j, tok, strlen(tok), &err) == 0 && j.siglen == 64 &&
	    jwt_check_sig(&j, ed.account, &err) == -1 &&
	    strstr(err, "length") != NULL, "64-byte signature refused");
	make(tok, sizeof(tok), h, "{\"sub\":7,\"iat\":1,\"exp\":5}", &ed);
	tok[strlen(tok) - 5] ^= 1;
	ok(jwt_parse(&j, tok, strlen(tok), &err) != 0 ||
	    jwt_check_sig(&j, ed.account, &err) == -1,
	    "tampered signature refused");
	make(tok, sizeof(tok), h, "{\"sub\":7,\"iat\":1,\"exp\":5}", &ed);
	tok[25] = tok[25] == 'A' ? 'B' : 'A';
	ok(jwt_parse(&j, tok, strlen(tok), &err) != 0 ||
	    jwt_check_sig(&j, ed.account, &err) == -1,
	    "tampered claims refused");
}

int
main(void)
{
	uint8_t	seed[32];

	if (sodium_init() < 0)
		return 1;
	unhex(seed, 32, ED_SEED);
	identity_from_seed(&ed, KEY_ED25519, seed);
	identity_from_seed(&sr, KEY_SR25519, seed);
	seed[0] ^= 1;
	identity_from_seed(&other, KEY_ED25519, seed);
	test_vectors();
	test_roundtrip();
	test_bad();
	return done_testing();
}
