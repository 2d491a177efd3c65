/* SPDX-License-Identifier: ISC */
/* The upgrade's authentication: every refusal's status and text. */
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "identity.h"
#include "jwt_parse.h"
#include "relay_auth.h"
#include "tap.h"

#define NOW	1795668806ULL

static struct identity	sr, ed;
static int		lookup_fails;

static int
lookup(void *arg, uint32_t twin, struct twin_record *out)
{
	(void)arg;
	if (lookup_fails)
		return -1;
	if (twin == 10)
		return 2;		/* the chain source's cache missed */
	memset(out, 0, sizeof(*out));
	out->id = twin;
	if (twin == 7)
		memcpy(out->account, sr.account, ACCOUNT_BYTES);
	else if (twin == 8)
		memcpy(out->account, ed.account, ACCOUNT_BYTES);
	else
		return 0;
	return 1;
}

static void
check(const char *tok, int status, const char *text, const char *name)
{
	struct relay_auth	a;

	relay_auth(tok, tok != NULL ? strlen(tok) : 0, NOW, lookup, NULL, &a);
	if (!ok(a.status == status && strcmp(a.text, text) == 0, "%s", name))
		diag("got %d \"%s\"", a.status, a.text);
}

static void
hand(char *out, size_t cap, const char *header, const char *claims,
    const struct identity *id)
{
	char	h[128], c[256], s[100], msg[400];
	uint8_t	sig[SIG65_BYTES];

	b64url_encode(h, sizeof(h), (const uint8_t *)header, strlen(header));
	b64url_encode(c, sizeof(c), (const uint8_t *)claims, strlen(claims));
	snprintf(msg, sizeof(msg), "%s.%s", h, c);
	identity_sign(id, sig, (const uint8_t *)msg, strlen(msg));
	b64url_encode(s, sizeof(s), sig, sizeof(sig));
	snprintf(out, cap, "%s.%s", msg, s);
}

int
main(void)
{
	struct relay_auth	a;
	uint8_t			seed[32];
	char			tok[JWT_MAX + 1];
	char			claims[200];

	memset(seed, 1, sizeof(seed));
	identity_from_seed(&sr, KEY_SR25519, seed);
	memset(seed, 2, sizeof(seed));
	identity_from_seed(&ed, KEY_ED25519, seed);

	jwt_build(tok, sizeof(tok), &sr, 7, NOW, NOW + 300);
	ok(relay_auth(tok, strlen(tok), NOW, lookup, NULL, &a) == 0 &&
	    a.id.twin == 7 && !a.id.has_sid, "sr25519 token, no sid: 7");
	jwt_build_sid(tok, sizeof(tok), &ed, 8, "tab-1", NOW, NOW + 300);
	ok(relay_auth(tok, strlen(tok), NOW, lookup, NULL, &a) == 0 &&
	    a.id.twin == 8 && a.id.has_sid && strcmp(a.id.sid, "tab-1") == 0,
	    "ed25519 token with sid: 8:tab-1");
	jwt_build_sid(tok, sizeof(tok), &ed, 8, "", NOW, NOW + 300);
	ok(relay_auth(tok, strlen(tok), NOW, lookup, NULL, &a) == 0 &&
	    a.id.has_sid && a.id.sid[0] == '\0',
	    "an empty sid is a sid (Some(\"\") is not None)");
	jwt_build(tok, sizeof(tok), &sr, 7, NOW - 10, NOW);
	ok(relay_auth(tok, strlen(tok), NOW, lookup, NULL, &a) == 0,
	    "exp == now still passes, as the reference");

	check(NULL, 400, "missing jwt", "no query: 400 missing jwt");
	check("", 400, "missing jwt", "empty query: 400 missing jwt");
	jwt_build(tok, sizeof(tok), &sr, 7, NOW - 400, NOW - 1);
	check(tok, 401, "invalid jwt: jwt has expired", "expired: 401");
	jwt_build(tok, sizeof(tok), &ed, 7, NOW, NOW + 300);
	check(tok, 401, "invalid jwt: jwt: invalid signature",
	    "signed by another key: 401");
	relay_auth(tok, strlen(tok), NOW, lookup, NULL, &a);
	ok(a.bad_sig && !a.pending, "the signature's refusal says so "
	    "(the caller re-reads the twin)");
	jwt_build_sid(tok, sizeof(tok), &sr, 10, "s", NOW, NOW + 300);
	ok(relay_auth(tok, strlen(tok), NOW, lookup, NULL, &a) == 0 &&
	    a.pending && !a.bad_sig && a.id.twin == 10 && a.id.has_sid &&
	    strcmp(a.id.sid, "s") == 0, "twin not at hand: 0, pending, the "
	    "session named");
	jwt_build(tok, sizeof(tok), &sr, 10, NOW - 400, NOW - 1);
	check(tok, 401, "invalid jwt: jwt has expired", "expired and not at "
	    "hand: 401 first, no lookup needed");
	jwt_build(tok, sizeof(tok), &sr, 9, NOW, NOW + 300);
	relay_auth(tok, strlen(tok), NOW, lookup, NULL, &a);
	ok(!a.bad_sig && !a.pending && a.status == 401, "an unknown twin is "
	    "not a bad signature");
	jwt_build(tok, sizeof(tok), &sr, 9, NOW, NOW + 300);
	check(tok, 401, "twin not found 9", "unknown twin: 401");
	lookup_fails = 1;
	check(tok, 500, "failed to get twin: twin source unavailable",
	    "lookup failure: 500");
	lookup_fails = 0;
	snprintf(claims, sizeof(claims), "{\"sub\":7,\"iat\":%llu,\"exp\":%llu}",
	    NOW, NOW + 300);
	hand(tok, sizeof(tok), "{\"alg\":\"HS256\"}", claims, &sr);
	check(tok, 401, "invalid jwt: jwt: algorithm mismatch",
	    "alg HS256: 401");
	hand(tok, sizeof(tok), "{\"alg\":\"RS512\",\"typ\":\"JWT\"}", claims,
	    &sr);
	ok(relay_auth(tok, strlen(tok), NOW, lookup, NULL, &a) == 0,
	    "the TypeScript client's header (typ JWT) passes");
	hand(tok, sizeof(tok), "{\"alg\":\"RS512\",\"typ\":\"JWS\"}", claims,
	    &sr);
	ok(relay_auth(tok, strlen(tok), NOW, lookup, NULL, &a) == 401,
	    "typ other than JWT: 401");
	hand(tok, sizeof(tok), "{\"alg\":\"RS512\"}",
	    "{\"sub\":7,\"exp\":1}", &sr);
	ok(relay_auth(tok, strlen(tok), NOW, lookup, NULL, &a) == 401,
	    "claims without iat: 401");
	check("garbage", 401, "invalid jwt: jwt: expected three parts",
	    "garbage: 401");
	check("a.b.c", 401, "invalid jwt: jwt: bad base64 in header",
	    "three bad parts: 401");
	memset(tok, 'a', JWT_MAX + 1);
	tok[JWT_MAX] = '\0';
	tok[10] = '.';
	tok[20] = '.';
	ok(relay_auth(tok, JWT_MAX, NOW, lookup, NULL, &a) == 401,
	    "a token at the length bound: 401, no overflow");
	return done_testing();
}
