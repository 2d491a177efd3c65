/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "envelope_check.h"
#include "env_fixture.h"
#include "sig_verify.h"
#include "tap.h"



static struct identity ed, sr, ed_e;

static void
check(struct env *v, const char *md5hex, const char *sighex,
    const char *name)
{
	uint8_t		d[CHALLENGE_BYTES];
	const char	*err;

	envelope_challenge(&v->e, d);
	is_hex(d, sizeof(d), md5hex, name);
	ok(envelope_sign(&v->e, &ed, v->sig) == 0, "%s: signed", name);
	is_hex(v->sig, SIG65_BYTES, sighex, "signature");
	ok(envelope_verify(&v->e, ed.account, &err) == 0, "%s: verifies", name);
}

static void
test_vectors(void)
{
	struct env	 v;
	uint8_t		 buf[512], want[512], sig[64], d[16];
	const char	*err;
	size_t		 n, wn;
	Envelope	*back;

	/* (a) request */
	env_init(&v, 1700000000, 300, 7, 12);
	set_request(&v, "zos.system.version");
	set_schema(&v, "application/json");
	set_plain(&v, "{\"a\":1}");
	check(&v, "45ba2fdf1c1de14a8832da2e28a9313d", "652c973d003efc2a5f433477aef783838704810b0a0c4235fa84823f37cd2d9c8445449cb0e8b3eed1beee046c197d1fa78311c091ee9b7c4068ddd6554356800e",
	    "(a) request");
	n = envelope__pack(&v.e, buf);
	wn = unhex(want, sizeof(want), "0a2438663965376339612d346231652d346432612d396135352d3061316232633364346535661880e2cfaa0620ac022a0208073202080c3a140a127a6f732e73797374656d2e76657273696f6e4a41652c973d003efc2a5f433477aef783838704810b0a0c4235fa84823f37cd2d9c8445449cb0e8b3eed1beee046c197d1fa78311c091ee9b7c4068ddd6554356800e52106170706c69636174696f6e2f6a736f6e6a077b2261223a317d");
	ok(n == wn && memcmp(buf, want, n) == 0,
	    "(a) protobuf bytes as in doc/protocol.md §2.3");
	back = envelope_unpack(want, wn);
	ok(back != NULL && envelope_verify(back, ed.account, &err) == 0,
	    "(a) decoded from the §2.3 bytes and verified");
	if (back != NULL) {
		ok(back->source->twin == 7 && back->destination->twin == 12 &&
		    back->source->opt_connection_case ==
		    ADDRESS__OPT_CONNECTION__NOT_SET &&
		    strcmp(back->request->command, "zos.system.version") == 0,
		    "(a) decoded fields");
		envelope__free_unpacked(back, NULL);
	}
	/* The sr25519 signature over the same digest (verify only). */
	envelope_challenge(&v.e, d);
	unhex(buf, sizeof(buf), "730efd0cbe77e209290b2da525ae3571cd0df2e655f0b06857d72904e1f783ca4254379f0f71350714fe90bbbaf2a8076d6672aacab8bdfb57609ac21524eab883");
	ok(sig_verify(sr.account, buf, SIG65_BYTES, d, 16, &err) == 0,
	    "(a) sr25519 signature vector verifies");
	v.e.signature.data = buf;
	ok(envelope_verify(&v.e, sr.account, &err) == 0,
	    "(a) as an sr25519-signed envelope");
	(void)sig;

	/* (b) tags and a destination connection */
	env_init(&v, 1700000000, 300, 7, 12);
	v.e.opt_tags_case = ENVELOPE__OPT_TAGS_TAGS;
	v.e.tags = (char *)"fail-fast";
	v.dst.opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
	v.dst.connection = (char *)"sess1";
	set_request(&v, "zos.system.version");
	set_plain(&v, "hi");
	check(&v, "d319ffedf9d73e5f7e6f65ad127c7220", "65599aba5c53a3658cffff379604fc5da40bff6cf58b3bd56e2cc8e53d1cca28752e8244f3e852cb355f91a5a02fd24d6d9de31d43655d14b3b5fc0eee33eb980e",
	    "(b) tags + connection");

	/* (c) response */
	env_init(&v, 1700000005, 1800, 12, 7);
	v.e.message_case = ENVELOPE__MESSAGE_RESPONSE;
	v.e.response = &v.resp;
	set_schema(&v, "application/json");
	set_plain(&v, "\"v1.2.3\"");
	check(&v, "64607bbeb694cf6aa6bd7c37acfc915b", "6560d5fdf19266a055b1961639f0e337372c9f04930b5eb536d32f34ea46026e7a156e377b7efe5cb43e5fc5108bb6565860affd1737572f340b1f284996d74501",
	    "(c) response");

	/* (d) error */
	env_init(&v, 1700000005, 300, 12, 7);
	v.e.message_case = ENVELOPE__MESSAGE_ERROR;
	v.e.error = &v.err;
	v.err.code = 103;
	v.err.message = (char *)"unknown twin id '7'";
	check(&v, "e868072f8493ff0862acf2db558bd26e", "6597f0cf23fd9006f853a8a193efcdfb9d89af95fbbc96582dbfbb53450602ea6589ff36eff3cef63ec1c621aeca7aafe44a45cf5d749d1fc4ca6fe5aa5bdd9c0c",
	    "(d) error");

	/* (e) encrypted request: the signature covers the cipher. */
	env_init(&v, 1700000000, 300, 7, 12);
	set_request(&v, "zos.system.version");
	set_schema(&v, "application/json");
	n = unhex(want, sizeof(want), "0102030405060708090a0b0cc527c6fe674824253558d22878633e387ef354b2882f79");
	v.e.payload_case = ENVELOPE__PAYLOAD_CIPHER;
	v.e.cipher.data = want;
	v.e.cipher.len = n;
	envelope_challenge(&v.e, d);
	is_hex(d, 16, "82bd5dff6687cef39ef306456d2fea7a", "(e) encrypted");
	envelope_sign(&v.e, &ed_e, v.sig);
	is_hex(v.sig, SIG65_BYTES, "6502b7b24fece0129839645ceb77c2ac1e8c052d34a31c8a62f3070d704f2674f5044b9cdc71d20fe4623c865e2144d802fbcc1d65810befe0a0b296bbf85bb40c",
	    "(e) signature");
	ok(envelope_verify(&v.e, ed_e.account, &err) == 0, "(e) verifies");
}

static void
test_default(void)
{
	Envelope	 e;
	uint8_t		 d[16], sig[SIG65_BYTES];
	const char	*err;

	envelope__init(&e);
	envelope_challenge(&e, d);
	is_hex(d, 16, "4a7d1ed414474e4033ac29ccb8653d9b",
	    "default envelope: challenge is MD5(\"0000\") (absent addresses are 0)");
	ok(envelope_verify(&e, sr.account, &err) == -1 &&
	    strcmp(err, "message is not signed") == 0, "unsigned refused");
	ok(envelope_sign(&e, &sr, sig) == 0 &&
	    envelope_verify(&e, sr.account, &err) == 0,
	    "sr25519 sign_verify of the default envelope (repo test)");
}

static int
still_valid(struct env *v)
{
	const char	*err;

	return envelope_verify(&v->e, sr.account, &err) == 0;
}

static void
test_tamper(void)
{
	struct env	 v;
	const char	*err;
	char		 uid[] = FIXTURE_UID, cmd[] = "zos.system.version";
	char		 plain[] = "{\"a\":1}";

	env_init(&v, 1700000000, 300, 7, 12);
	v.e.uid = uid;
	set_request(&v, cmd);
	set_schema(&v, "application/json");
	set_plain(&v, plain);
	envelope_sign(&v.e, &sr, v.sig);
	ok(still_valid(&v), "signed with sr25519");

	uid[0] ^= 1;
	ok(!still_valid(&v), "uid is covered");
	uid[0] ^= 1;
	v.e.timestamp++;
	ok(!still_valid(&v), "timestamp is covered");
	v.e.timestamp--;
	v.e.expiration++;
	ok(!still_valid(&v), "expiration is covered");
	v.e.expiration--;
	v.src.twin = 8;
	ok(!still_valid(&v), "source twin is covered");
	v.src.twin = 7;
	v.src.opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
	v.src.connection = (char *)"x";
	ok(!still_valid(&v), "source connection is covered");
	v.src.opt_connection_case = ADDRESS__OPT_CONNECTION__NOT_SET;
	v.dst.twin = 13;
	ok(!still_valid(&v), "destination twin is covered");
	v.dst.twin = 12;
	cmd[0] ^= 1;
	ok(!still_valid(&v), "command is covered");
	cmd[0] ^= 1;
	v.e.schema = (char *)"text/plain";
	ok(!still_valid(&v), "schema is covered");
	v.e.schema = (char *)"application/json";
	plain[2] ^= 1;
	ok(!still_valid(&v), "payload is covered");
	plain[2] ^= 1;
	v.e.opt_tags_case = ENVELOPE__OPT_TAGS_TAGS;
	v.e.tags = (char *)"fail-fast";
	ok(!still_valid(&v), "tags are covered");
	v.e.opt_tags_case = ENVELOPE__OPT_TAGS__NOT_SET;
	v.e.message_case = ENVELOPE__MESSAGE_RESPONSE;
	v.e.response = &v.resp;
	ok(!still_valid(&v), "request turned into a response is caught");
	set_request(&v, cmd);
	ok(still_valid(&v), "restored envelope verifies again");
	v.sig[20] ^= 0x10;
	ok(!still_valid(&v), "signature bytes are checked");
	v.sig[20] ^= 0x10;
	v.e.signature.len = 64;
	ok(envelope_verify(&v.e, sr.account, &err) == -1 &&
	    strstr(err, "length") != NULL, "short signature refused");
	v.e.signature.len = SIG65_BYTES;
	v.e.relays = (char *[]){ (char *)"r1" };
	v.e.n_relays = 1;
	ok(!still_valid(&v), "relays are part of the challenge");
	v.e.n_relays = 0;
	v.e.opt_federation_case = ENVELOPE__OPT_FEDERATION_FEDERATION;
	v.e.federation = (char *)"x";
	ok(!still_valid(&v), "federation is part of the challenge");
	v.e.federation = (char *)"";
	ok(still_valid(&v), "an empty optional field adds nothing");
}

static void
test_unpack(void)
{
	struct env	 v;
	uint8_t		 buf[256];
	size_t		 n;
	Envelope	*e;
	char		 bad_utf8[] = "zos\xff";
	char		 nul_cmd[] = "zosX";

	env_init(&v, 1, 2, 3, 4);
	set_request(&v, bad_utf8);
	n = envelope__pack(&v.e, buf);
	e = envelope__unpack(NULL, n, buf);
	ok(e != NULL, "protobuf-c alone accepts invalid UTF-8");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	ok(envelope_unpack(buf, n) == NULL, "invalid UTF-8 command refused");
	set_request(&v, nul_cmd);
	n = envelope__pack(&v.e, buf);
	/* Turn the X into a NUL on the wire. */
	for (size_t i = 0; i < n; i++)
		if (buf[i] == 'X')
			buf[i] = 0;
	ok(envelope_unpack(buf, n) == NULL, "NUL inside a string refused");
	set_request(&v, "ok");
	v.src.opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
	v.src.connection = bad_utf8;
	n = envelope__pack(&v.e, buf);
	ok(envelope_unpack(buf, n) == NULL,
	    "invalid UTF-8 in a nested address refused");
	v.src.connection = (char *)"s\xc3\xa9";
	n = envelope__pack(&v.e, buf);
	ok((e = envelope_unpack(buf, n)) != NULL, "valid UTF-8 accepted");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	ok(envelope_unpack((const uint8_t *)"\xff\xff\xff", 3) == NULL,
	    "garbage refused");
	ok(envelope_unpack((const uint8_t *)"\x80\x00\x00", 3) == NULL,
	    "field number 0 (a padded tag) refused, as rust-protobuf does");
	ok(envelope_unpack((const uint8_t *)"\xf8\xff\xff\xff\xff\x01\x00", 7) ==
	    NULL, "field number past 2^29 - 1 refused");
	ok(envelope_unpack((const uint8_t *)"\x7a\x02\x00\x00", 4) == NULL,
	    "field number 0 inside a ping refused");
	ok((e = envelope_unpack((const uint8_t *)"", 0)) != NULL,
	    "empty input is the default envelope");
	if (e != NULL)
		envelope__free_unpacked(e, NULL);
	buf[0] = 0x0a;
	buf[1] = 0x05;
	buf[2] = 'a';
	ok(envelope_unpack(buf, 3) == NULL, "truncated string refused");
}

static void
test_time(void)
{
	uint64_t	ts, exp;

	/* types::test::stamp */
	envelope_stamp(1, 0, 20, &ts, &exp);
	ok(ts == 1 && exp == 20, "stamp (1,0,20) -> (1,20)");
	envelope_stamp(1, 10, 20, &ts, &exp);
	ok(ts == 1 && exp == 20, "stamp (1,10,20) -> (1,20)");
	envelope_stamp(10, 1, 20, &ts, &exp);
	ok(ts == 10 && exp == 11, "stamp (10,1,20) -> (10,11)");
	envelope_stamp(21, 1, 20, &ts, &exp);
	ok(ts == 21 && exp == 0, "stamp (21,1,20) -> (21,0)");
	envelope_stamp(30, 1, 20, &ts, &exp);
	ok(ts == 30 && exp == 0, "stamp (30,1,20) -> (30,0)");
	/* types::test::ttl */
	ok(envelope_ttl(0, 10, 20) == 30, "ttl (0,10,20) -> 30");
	ok(envelope_ttl(10, 0, 20) == 10, "ttl (10,0,20) -> 10");
	ok(envelope_ttl(20, 0, 20) == 0, "ttl (20,0,20) -> expired");
	ok(envelope_ttl(30, 0, 20) == 0, "ttl (30,0,20) -> expired");
	ok(envelope_ttl(5, UINT64_MAX, 10) == UINT64_MAX - 5,
	    "ttl saturates instead of wrapping");
}

int
main(void)
{
	uint8_t	seed[32];

	if (sodium_init() < 0)
		return 1;
	unhex(seed, 32, "aa4e323bade8609a595108b585c4135855430c411ccf7923f81438cd8a188fce");
	identity_from_seed(&ed, KEY_ED25519, seed);
	unhex(seed, 32, "b37231837527c7173dc212bb23a7fe795d5dae540e7c21366a5fb9f4cc398a36");
	identity_from_seed(&sr, KEY_SR25519, seed);
	unhex(seed, 32, "340f7341b312bcc61aeea7a76d759d809b8601cbc6d22cb2817278e346137a5d");
	identity_from_seed(&ed_e, KEY_ED25519, seed);
	test_vectors();
	test_default();
	test_tamper();
	test_unpack();
	test_time();
	return done_testing();
}
