/* SPDX-License-Identifier: ISC */
/*
 * rmb-keyd end to end: the real executable on its real channels, every
 * verb against the vectors of doc/ (tokens against keyd's own clock,
 * extrinsics against the payload rebuilt here, sealed envelopes opened
 * with the receiver's key), each refusal (keyd stays up), each fatal
 * input (keyd exits 1, the retired types 202, 203, 204 and 206 among
 * them), its jail and its seccomp state.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bip39.h"
#include "e2e.h"
#include "envelope_check.h"
#include "extrinsic.h"
#include "identity.h"
#include "jwt_parse.h"
#include "keyd_client.h"
#include "scale_rd.h"
#include "env_fixture.h"
#include "sig_verify.h"
#include "tap.h"


#define ED_WORDS	"neck stage box cup core magic produce exercise happy rely vocal then"
#define SK1_HEX		"0x340f7341b312bcc61aeea7a76d759d809b8601cbc6d22cb2817278e346137a5d"
#define SK2_WORDS	"tackle blouse grain dawn adult loyal tattoo price access tilt chimney silk"
#define DEV_PHRASE	"bottom drive obey lake curtain smoke basket hold race lonely fit walk"
#define PK1		"032965609be627c7656bdce629af8537513238041aafd8a6dac524d6e5206747f0"
#define PK2		"030ad72f9f05d8a4fe1d462f264f427d1ef9eba6dba234d7a01e1122157264778f"
/* The ed25519 account of ED_WORDS. */
#define ACC_ED_WORDS	\
	"61c243346215f4dfa70d33affc5e568a52fb37859ff21296a28cdb75fcc2fb55"

static char	tmpdir[] = "/tmp/test_keyd.XXXXXX";
static char	secret_file[PATH_MAX];
static char	jail[PATH_MAX / 2];

/* Defaults for a keyd start; as root keyd insists on a jail and a user. */
static void
opts_init(struct kd_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (geteuid() == 0) {
		o->jail = jail;
		o->user = "nobody";
	}
}

static void
start(struct kd *k, int type, const char *secret, const char *dom)
{
	struct kd_opts	o;

	opts_init(&o);
	o.key_type = type;
	o.secret = secret;
	o.source = KEYD_SECRET_FD;
	o.domains[0] = dom;
	if (kd_start(k, &o) != 0) {
		diag("cannot start %s", kd_path());
		exit(1);
	}
}

/* SET_TWIN or JWT, the requests of one u32. */
static int
call_u32(struct kd *k, uint32_t type, uint32_t v, struct ipc_msg *r)
{
	uint32_t	id = kd_next(k);
	int		put;

	if (type == IPC_KEYD_SET_TWIN)
		put = keyd_req_put(&k->netd, type, id,
		    &(struct keyd_set_twin){ v });
	else
		put = keyd_req_put(&k->netd, type, id, &(struct keyd_jwt){ v });
	return put == -1 ? -1 : kd_reply(k, r);
}

static int
is_error(const struct ipc_msg *r, uint32_t code, const char *want)
{
	struct keyd_error	e;

	if (keyd_rep_get(r, IPC_KEYD_ERROR, &e) == -1)
		return 0;
	if (e.code != code || strstr(e.msg, want) == NULL) {
		diag("error %u: %s", e.code, e.msg);
		return 0;
	}
	return 1;
}

static void
set_twin(struct kd *k, uint32_t twin)
{
	struct ipc_msg	r;

	ok(call_u32(k, IPC_KEYD_SET_TWIN, twin, &r) == IPC_KEYD_SET_TWIN &&
	    r.datalen == 0, "twin %u set", twin);
}

/* A request with an optional schema and plain payload. */
static void
request3(struct env *v, const char *cmd, const char *schema,
    const char *plain)
{
	set_request(v, cmd);
	if (schema != NULL)
		set_schema(v, schema);
	if (plain != NULL)
		set_plain(v, plain);
}

/*
 * Asks keyd to seal v for the key pkhex (NULL: none) and sign it;
 * returns the reply type, the envelope keyd sent back in *out (to free)
 * and its signature in sig.
 */
static int
seal_sign(struct kd *k, struct env *v, const char *pkhex, Envelope **out,
    uint8_t sig[SIG65_BYTES], struct ipc_msg *r)
{
	static uint8_t		buf[4096];
	struct keyd_bytes	s;
	Envelope		*e = NULL;
	uint8_t			pk[65];
	size_t			n, pklen = 0;
	int			t;

	if (pkhex != NULL)
		pklen = unhex(pk, sizeof(pk), pkhex);
	n = envelope__pack(&v->e, buf);
	if (keyd_req_put(&k->netd, IPC_KEYD_SEAL_SIGN, kd_next(k),
	    &(struct keyd_crypt){ pk, pklen, buf, n }) == -1)
		return -1;
	t = kd_reply(k, r);
	memset(sig, 0, SIG65_BYTES);
	if (t == IPC_KEYD_SEAL_SIGN &&
	    (keyd_rep_get(r, IPC_KEYD_SEAL_SIGN, &s) == -1 ||
	    (e = envelope__unpack(NULL, s.len, s.data)) == NULL ||
	    e->opt_signature_case != ENVELOPE__OPT_SIGNATURE_SIGNATURE ||
	    e->signature.len != SIG65_BYTES))
		t = -1;
	if (e != NULL && t == IPC_KEYD_SEAL_SIGN)
		memcpy(sig, e->signature.data, SIG65_BYTES);
	if (out != NULL)
		*out = e;
	else if (e != NULL)
		envelope__free_unpacked(e, NULL);
	return t;
}

/* SEAL_SIGN without a key: the payload goes as it is, signed. */
static int
sign(struct kd *k, struct env *v, uint8_t sig[SIG65_BYTES], struct ipc_msg *r)
{
	return seal_sign(k, v, NULL, NULL, sig, r);
}

static void
test_envelopes(void)
{
	struct kd	k;
	struct env	v;
	struct ipc_msg	r;
	uint8_t		sig[SIG65_BYTES], cipher[64];
	size_t		n;

	start(&k, KEY_ED25519, ED_WORDS, "relay.grid.tf");
	env_init(&v, 1700000000, 300, 7, 12);
	request3(&v, "zos.system.version", "application/json", "{\"a\":1}");
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "twin id is not set"),
	    "no envelope signed before the twin id is set");
	set_twin(&k, 7);
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_SEAL_SIGN, "(a) signed");
	is_hex(sig, SIG65_BYTES, "652c973d003efc2a5f433477aef783838704810b0a0c4235fa84823f37cd2d9c8445449cb0e8b3eed1beee046c197d1fa78311c091ee9b7c4068ddd6554356800e",
	    "(a) signature as in §2.3");

	env_init(&v, 1700000000, 300, 7, 12);
	v.e.opt_tags_case = ENVELOPE__OPT_TAGS_TAGS;
	v.e.tags = (char *)"fail-fast";
	v.dst.opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
	v.dst.connection = (char *)"sess1";
	request3(&v, "zos.system.version", NULL, "hi");
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_SEAL_SIGN, "(b) signed");
	is_hex(sig, SIG65_BYTES, "65599aba5c53a3658cffff379604fc5da40bff6cf58b3bd56e2cc8e53d1cca28752e8244f3e852cb355f91a5a02fd24d6d9de31d43655d14b3b5fc0eee33eb980e",
	    "(b) signature");

	/* Refusals: keyd answers and stays up. */
	env_init(&v, 1, 300, 8, 12);
	request3(&v, "x", NULL, NULL);
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "source is not our twin"),
	    "another twin's envelope refused");
	v.src.twin = 7;
	v.src.opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
	v.src.connection = (char *)"";
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "has a connection"),
	    "source with a connection (even empty) refused");
	v.src.opt_connection_case = ADDRESS__OPT_CONNECTION__NOT_SET;
	v.e.source = NULL;
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "not our twin"), "envelope without source refused");
	v.e.source = &v.src;
	v.e.opt_signature_case = ENVELOPE__OPT_SIGNATURE_SIGNATURE;
	v.e.signature.data = sig;
	v.e.signature.len = 0;
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "already signed"),
	    "envelope with a signature field refused");
	ok(keyd_req_put(&k.netd, IPC_KEYD_SEAL_SIGN, kd_next(&k),
	    &(struct keyd_crypt){ NULL, 0, (const uint8_t *)"\xff\xff\xff",
	    3 }) == 0 &&
	    kd_reply(&k, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "does not decode"),
	    "bytes that are not an envelope refused");
	ok(call_u32(&k, IPC_KEYD_SET_TWIN, 8, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "cannot change"), "the twin id cannot change");
	ok(call_u32(&k, IPC_KEYD_SET_TWIN, 7, &r) == IPC_KEYD_SET_TWIN,
	    "setting the same twin id again is accepted");
	env_init(&v, 1700000000, 300, 7, 12);
	request3(&v, "zos.system.version", "application/json", "{\"a\":1}");
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_SEAL_SIGN &&
	    sig[1] == 0x2c, "keyd still signs after the refusals");
	kd_stop(&k);

	/* (c) and (d) come from twin 12. */
	start(&k, KEY_ED25519, ED_WORDS, "relay.grid.tf");
	set_twin(&k, 12);
	env_init(&v, 1700000005, 1800, 12, 7);
	v.e.message_case = ENVELOPE__MESSAGE_RESPONSE;
	v.e.response = &v.resp;
	v.e.opt_schema_case = ENVELOPE__OPT_SCHEMA_SCHEMA;
	v.e.schema = (char *)"application/json";
	v.e.payload_case = ENVELOPE__PAYLOAD_PLAIN;
	v.e.plain.data = (uint8_t *)"\"v1.2.3\"";
	v.e.plain.len = 8;
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_SEAL_SIGN, "(c) signed");
	is_hex(sig, SIG65_BYTES, "6560d5fdf19266a055b1961639f0e337372c9f04930b5eb536d32f34ea46026e7a156e377b7efe5cb43e5fc5108bb6565860affd1737572f340b1f284996d74501",
	    "(c) signature");
	env_init(&v, 1700000005, 300, 12, 7);
	v.e.message_case = ENVELOPE__MESSAGE_ERROR;
	v.e.error = &v.err;
	v.err.code = 103;
	v.err.message = (char *)"unknown twin id '7'";
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_SEAL_SIGN, "(d) signed");
	is_hex(sig, SIG65_BYTES, "6597f0cf23fd9006f853a8a193efcdfb9d89af95fbbc96582dbfbb53450602ea6589ff36eff3cef63ec1c621aeca7aafe44a45cf5d749d1fc4ca6fe5aa5bdd9c0c",
	    "(d) signature");
	kd_stop(&k);

	/* (e): the hex-seed form, the cipher signed as it is. */
	start(&k, KEY_ED25519, SK1_HEX, "relay.grid.tf");
	set_twin(&k, 7);
	env_init(&v, 1700000000, 300, 7, 12);
	request3(&v, "zos.system.version", "application/json", NULL);
	n = unhex(cipher, sizeof(cipher), "0102030405060708090a0b0cc527c6fe674824253558d22878633e387ef354b2882f79");
	v.e.payload_case = ENVELOPE__PAYLOAD_CIPHER;
	v.e.cipher.data = cipher;
	v.e.cipher.len = n;
	ok(sign(&k, &v, sig, &r) == IPC_KEYD_SEAL_SIGN, "(e) signed");
	is_hex(sig, SIG65_BYTES, "6502b7b24fece0129839645ceb77c2ac1e8c052d34a31c8a62f3070d704f2674f5044b9cdc71d20fe4623c865e2144d802fbcc1d65810befe0a0b296bbf85bb40c",
	    "(e) signature");
	kd_stop(&k);
}

static int
jwt(struct kd *k, uint32_t ttl, char *out, struct ipc_msg *r)
{
	struct keyd_token	tok;
	int			t;

	t = call_u32(k, IPC_KEYD_JWT, ttl, r);
	out[0] = '\0';
	if (t == IPC_KEYD_JWT && keyd_rep_get(r, IPC_KEYD_JWT, &tok) == 0)
		memcpy(out, tok.tok, sizeof(tok.tok));
	return t;
}

/*
 * A token keyd made for twin 7 with ttl: its claims, keyd's clock
 * between t0 and t1 (a second of slack each way), and its signature by
 * the ED_WORDS account.
 */
static int
jwt_good(const char *tok, uint32_t ttl, time_t t0, time_t t1)
{
	struct jwt	 j;
	uint8_t		 account[ACCOUNT_BYTES];
	const char	*err;

	unhex(account, sizeof(account), ACC_ED_WORDS);
	if (strncmp(tok, JWT_HEADER_B64 ".", strlen(JWT_HEADER_B64) + 1) !=
	    0 || jwt_parse(&j, tok, strlen(tok), &err) != 0) {
		diag("token %s does not parse", tok);
		return 0;
	}
	if (j.sub != 7 || j.has_sid || j.iat + 1 < (uint64_t)t0 ||
	    j.iat > (uint64_t)t1 + 1 || j.exp != j.iat + ttl) {
		diag("sub %u sid %s iat %llu exp %llu, test clock %lld..%lld",
		    j.sub, j.has_sid ? j.sid : "null",
		    (unsigned long long)j.iat, (unsigned long long)j.exp,
		    (long long)t0, (long long)t1);
		return 0;
	}
	if (jwt_check_sig(&j, account, &err) != 0) {
		diag("token signature: %s", err);
		return 0;
	}
	return 1;
}

static void
test_jwt(void)
{
	struct kd	k;
	struct ipc_msg	r;
	char		tok[JWT_MAX];
	time_t		t0;

	start(&k, KEY_ED25519, ED_WORDS, "relay.grid.tf");
	ok(jwt(&k, 300, tok, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "twin id is not set"),
	    "no token before the twin id is set");
	set_twin(&k, 7);
	t0 = time(NULL);
	ok(jwt(&k, 300, tok, &r) == IPC_KEYD_JWT &&
	    jwt_good(tok, 300, t0, time(NULL)),
	    "token from keyd's clock in its jail: sub 7, sid null, iat now, "
	    "exp iat + 300, signed by our account");
	t0 = time(NULL);
	ok(jwt(&k, 3600, tok, &r) == IPC_KEYD_JWT &&
	    jwt_good(tok, 3600, t0, time(NULL)), "ttl 3600: exp iat + 3600");
	ok(jwt(&k, 1, tok, &r) == IPC_KEYD_JWT &&
	    jwt_good(tok, 1, t0, time(NULL)), "ttl 1 accepted");
	ok(jwt(&k, 3601, tok, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "1 to 3600"), "ttl 3601 refused");
	ok(jwt(&k, 0, tok, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "1 to 3600"), "ttl 0 refused");
	ok(jwt(&k, UINT32_MAX, tok, &r) == IPC_KEYD_ERROR,
	    "ttl 2^32 - 1 refused");
	ok(jwt(&k, 300, tok, &r) == IPC_KEYD_JWT, "keyd goes on after the "
	    "refusals");
	kd_stop(&k);
}

static int
seal_open(struct kd *k, uint32_t type, const char *pkhex, const uint8_t *in,
    size_t len, uint8_t *out, size_t *outlen, struct ipc_msg *r)
{
	struct keyd_bytes	c;
	uint8_t			pk[65];
	size_t			pklen = unhex(pk, sizeof(pk), pkhex);
	int			t;

	if (keyd_req_put(&k->netd, type, kd_next(k),
	    &(struct keyd_crypt){ pk, pklen, in, len }) == -1)
		return -1;
	t = kd_reply(k, r);
	*outlen = 0;
	if (t == (int)type && keyd_rep_get(r, type, &c) == 0) {
		memcpy(out, c.data, c.len);
		*outlen = c.len;
	}
	return t;
}

static int	identity(struct kd *, uint8_t account[32], uint8_t pk[33],
		    uint32_t *type);

/*
 * A SEAL_SIGN of v for pk2: the reply is v with the cipher in place of
 * the plaintext, which opens with the receiver's key, and signed by us.
 */
static int
sealed_ok(struct kd *k, struct env *v, const uint8_t key[32],
    const uint8_t account[32], const char *plain)
{
	struct ipc_msg	 r;
	Envelope	*e;
	uint8_t		 sig[SIG65_BYTES], back[256];
	size_t		 bn;
	const char	*err = NULL;
	int		 good;

	if (seal_sign(k, v, PK2, &e, sig, &r) != IPC_KEYD_SEAL_SIGN)
		return 0;
	good = e->payload_case == ENVELOPE__PAYLOAD_CIPHER &&
	    e->cipher.len == strlen(plain) + E2E_OVERHEAD &&
	    e2e_open(back, sizeof(back), &bn, key, e->cipher.data,
	    e->cipher.len) == 0 && bn == strlen(plain) &&
	    memcmp(back, plain, bn) == 0 &&
	    envelope_verify(e, account, &err) == 0 &&
	    strcmp(e->uid, v->e.uid) == 0 && e->source->twin == 7 &&
	    e->destination->twin == 12 &&
	    strcmp(e->request->command, v->e.request->command) == 0;
	if (!good)
		diag("sealed envelope: %s", err != NULL ? err : "fields");
	envelope__free_unpacked(e, NULL);
	return good;
}

/*
 * SEAL_SIGN with a key, on keyd k (the SK1_HEX identity, twin not set
 * yet); key is the receiver's side of ECDH with pk1.
 */
static void
test_seal_sign(struct kd *k, const uint8_t key[32])
{
	struct env	 v;
	struct ipc_msg	 r;
	uint8_t		 account[32], pk[33], sig[SIG65_BYTES], cipher[64];
	uint32_t	 type;
	int		 i;

	env_init(&v, 1700000000, 300, 7, 12);
	request3(&v, "zos.system.version", "application/json", "hello world");
	ok(seal_sign(k, &v, PK2, NULL, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "twin id is not set"),
	    "nothing sealed and signed before the twin id is set");
	set_twin(k, 7);
	if (identity(k, account, pk, &type) != 0) {
		ok(0, "IDENTITY for the account");
		return;
	}
	for (i = 0; i < 3; i++)
		ok(sealed_ok(k, &v, key, account, "hello world"),
		    "seal and sign %d: opens with the receiver's key, "
		    "verifies, the rest as sent", i);
	set_plain(&v, "");
	ok(sealed_ok(k, &v, key, account, ""),
	    "empty plaintext seals to 28 bytes and verifies");

	/* Refusals: those of signing first, then those of sealing. */
	set_plain(&v, "hi");
	v.src.twin = 8;
	ok(seal_sign(k, &v, PK2, NULL, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "source is not our twin"),
	    "with a key: another twin's envelope refused");
	v.src.twin = 7;
	v.src.opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
	v.src.connection = (char *)"c";
	ok(seal_sign(k, &v, PK2, NULL, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "has a connection"),
	    "with a key: a source with a connection refused");
	v.src.opt_connection_case = ADDRESS__OPT_CONNECTION__NOT_SET;
	v.e.opt_signature_case = ENVELOPE__OPT_SIGNATURE_SIGNATURE;
	v.e.signature.data = sig;
	v.e.signature.len = 0;
	ok(seal_sign(k, &v, PK2, NULL, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "already signed"),
	    "with a key: an envelope with a signature field refused");
	v.e.opt_signature_case = ENVELOPE__OPT_SIGNATURE__NOT_SET;
	ok(seal_sign(k, &v, "02" "00000000000000000000000000000000"
	    "00000000000000000000000000000000", NULL, sig, &r) ==
	    IPC_KEYD_ERROR && is_error(&r, 106, "malformed public key"),
	    "seal to a malformed pk refused (106)");
	ok(seal_sign(k, &v, "02", NULL, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 106, "malformed public key"),
	    "seal to a 1-byte pk refused (106)");
	memset(cipher, 0xcc, sizeof(cipher));
	v.e.payload_case = ENVELOPE__PAYLOAD_CIPHER;
	v.e.cipher.data = cipher;
	v.e.cipher.len = sizeof(cipher);
	ok(seal_sign(k, &v, PK2, NULL, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "no plain payload"),
	    "with a key: an envelope that carries a cipher refused");
	v.e.payload_case = ENVELOPE__PAYLOAD__NOT_SET;
	ok(seal_sign(k, &v, PK2, NULL, sig, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "no plain payload"),
	    "with a key: an envelope without a payload refused");
	set_plain(&v, "hello world");
	ok(sealed_ok(k, &v, key, account, "hello world"),
	    "keyd still seals and signs after the refusals");
}

static void
test_e2e(void)
{
	struct kd	 k;
	struct ipc_msg	 r;
	struct e2e_key	 k2;
	uint8_t		 in[128], out[256], seed[32], key[32];
	size_t		 n, m;
	const char	*err;

	start(&k, KEY_ED25519, SK1_HEX, "relay.grid.tf");
	n = unhex(in, sizeof(in), "000102030405060708090a0b23d9436ad14a4e855f47c13cb90ba01f45fe85318e8671f2ec3c16");
	ok(seal_open(&k, IPC_KEYD_OPEN, PK2, in, n, out, &m, &r) ==
	    IPC_KEYD_OPEN && m == 11 && memcmp(out, "hello world", 11) == 0,
	    "§4.4 hello world opens (sk1 side)");
	n = unhex(in, sizeof(in), "000102030405060708090a0b2535329f17a7861841c76e50b403b436");
	ok(seal_open(&k, IPC_KEYD_OPEN, PK2, in, n, out, &m, &r) ==
	    IPC_KEYD_OPEN && m == 0, "§4.4 empty plaintext opens");
	n = unhex(in, sizeof(in), "0102030405060708090a0b0cc527c6fe674824253558d22878633e387ef354b2882f79");
	ok(seal_open(&k, IPC_KEYD_OPEN, PK2, in, n, out, &m, &r) ==
	    IPC_KEYD_OPEN && m == 7 && memcmp(out, "{\"a\":1}", 7) == 0,
	    "§4.4 vector (e) cipher opens");

	/* Sealed by keyd for pk2, opened here with sk2's side of ECDH. */
	secret_to_seed(seed, SK2_WORDS, strlen(SK2_WORDS), &err);
	e2e_key_from_seed(&k2, seed);
	unhex(in, 33, PK1);
	e2e_shared_key(key, &k2, in, 33);
	is_hex(key, 32, "310c92d71d96dde9e27a6ed82297ab574534bbf88fd2e1c1bd62eb3b9b7c48a1",
	    "shared key from sk2 + pk1 (§4.4)");
	test_seal_sign(&k, key);

	/* Refusals. */
	ok(seal_open(&k, IPC_KEYD_OPEN, PK2, in, 20, out, &m, &r) ==
	    IPC_KEYD_ERROR && is_error(&r, 106, "invalid cipher data"),
	    "short cipher refused (106)");
	n = unhex(in, sizeof(in), "000102030405060708090a0b23d9436ad14a4e855f47c13cb90ba01f45fe85318e8671f2ec3c17");
	ok(seal_open(&k, IPC_KEYD_OPEN, PK2, in, n, out, &m, &r) ==
	    IPC_KEYD_ERROR && is_error(&r, 106, "invalid cipher data"),
	    "tampered tag refused (106)");
	ok(seal_open(&k, IPC_KEYD_OPEN, PK2, in, n - 1, out, &m, &r) ==
	    IPC_KEYD_ERROR, "truncated cipher refused");
	e2e_key_wipe(&k2);
	kd_stop(&k);
}

static int
identity(struct kd *k, uint8_t account[32], uint8_t pk[33], uint32_t *type)
{
	struct keyd_identity	i;
	struct ipc_msg		r;

	if (keyd_req_put(&k->netd, IPC_KEYD_IDENTITY, kd_next(k), NULL) == -1 ||
	    kd_reply(k, &r) != IPC_KEYD_IDENTITY ||
	    keyd_rep_get(&r, IPC_KEYD_IDENTITY, &i) == -1)
		return -1;
	*type = i.key_type;
	memcpy(account, i.account, 32);
	memcpy(pk, i.pk, 33);
	return 0;
}

static void
test_identity(void)
{
	struct kd	k;
	uint8_t		account[32], pk[33];
	uint32_t	type;

	start(&k, KEY_ED25519, SK1_HEX, "relay.grid.tf");
	ok(identity(&k, account, pk, &type) == 0 && type == KEY_ED25519,
	    "IDENTITY (ed25519)");
	is_hex(account, 32, "922b07df6a39450574ce91295b17e1be17a5c67c1975226d137647bcf8cf8045", "account");
	is_hex(pk, 33, PK1, "secp256k1 pk");
	kd_stop(&k);
	start(&k, KEY_SR25519, DEV_PHRASE, "relay.grid.tf");
	ok(identity(&k, account, pk, &type) == 0 && type == KEY_SR25519,
	    "IDENTITY (sr25519)");
	is_hex(account, 32, "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a", "account");
	kd_stop(&k);
}

/*
 * Takes an extrinsic apart: account, variant, signature, era (0 for the
 * immortal byte 00), nonce, call.
 */
static int
split_ext(const uint8_t *p, size_t n, uint8_t account[32], int *variant,
    uint8_t sig[64], uint16_t *era, uint32_t *nonce, const uint8_t **call,
    size_t *calllen)
{
	struct scale_rd	rd;
	uint64_t	len, v;
	const uint8_t	*q;
	uint8_t		b, hi = 0;

	scale_rd_init(&rd, p, n);
	if (scale_get_compact(&rd, &len) || len != n - rd.off ||
	    scale_get_u8(&rd, &b) || b != 0x84 || scale_get_u8(&rd, &b) || b ||
	    scale_get_raw(&rd, &q, 32))
		return -1;
	memcpy(account, q, 32);
	if (scale_get_u8(&rd, &b) || b > 1 || scale_get_raw(&rd, &q, 64))
		return -1;
	*variant = b;
	memcpy(sig, q, 64);
	if (scale_get_u8(&rd, &b) || (b != 0 && scale_get_u8(&rd, &hi)))
		return -1;
	*era = (uint16_t)(b | hi << 8);
	if (scale_get_compact(&rd, &v) || v > UINT32_MAX ||
	    scale_get_u8(&rd, &b) || b != 0)
		return -1;
	*nonce = (uint32_t)v;
	*call = p + rd.off;
	*calllen = n - rd.off;
	return 0;
}

/* Asks for a mortal update_twin from block; the reply type. */
static int
update_twin(struct kd *k, uint32_t nonce, uint64_t block,
    const uint8_t hash[32], uint8_t *out, size_t *outlen, struct ipc_msg *r)
{
	struct keyd_update_twin	u = { .x = { .nonce = nonce, .spec_version =
				    144, .tx_version = 2 }, .block = block };
	struct keyd_bytes	x;
	int			t;

	memset(u.x.genesis, 0x45, sizeof(u.x.genesis));
	memcpy(u.x.checkpoint, hash, sizeof(u.x.checkpoint));
	if (keyd_req_put(&k->netd, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL,
	    kd_next(k), &u) == -1)
		return -1;
	*outlen = 0;
	if ((t = kd_reply(k, r)) == IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL &&
	    keyd_rep_get(r, t, &x) == 0 && x.len <= 4096) {
		memcpy(out, x.data, x.len);
		*outlen = x.len;
	}
	return t;
}

/* The payload of an extrinsic as we rebuild it: the bytes to verify. */
static void
rebuild(uint8_t tosign[EXT_SIGN_MAX], size_t *n, uint16_t era,
    const uint8_t checkpoint[32], uint32_t nonce, const uint8_t *call,
    size_t calllen)
{
	struct ext_params	 x;
	struct scale_wr		 w;
	uint8_t			 payload[2048];

	memset(&x, 0, sizeof(x));
	x.nonce = nonce;
	x.spec_version = 144;
	x.tx_version = 2;
	memset(x.genesis, 0x45, 32);
	x.era = era;
	memcpy(x.checkpoint, checkpoint, 32);
	scale_wr_init(&w, payload, sizeof(payload));
	*n = 0;
	if (ext_payload(&w, &x, call, calllen) == 0)
		ext_signing_bytes(tosign, n, payload, w.len);
}

/* Verifies the extrinsic's signature over the payload we rebuild. */
static int
ext_verifies(const uint8_t account[32], int variant, const uint8_t sig[64],
    uint16_t era, const uint8_t checkpoint[32], uint32_t nonce,
    const uint8_t *call, size_t calllen)
{
	uint8_t		 tosign[EXT_SIGN_MAX], s65[SIG65_BYTES];
	size_t		 n;
	const char	*err;

	rebuild(tosign, &n, era, checkpoint, nonce, call, calllen);
	s65[0] = variant == EXT_SIG_ED25519 ? SIG_PREFIX_ED25519 :
	    SIG_PREFIX_SR25519;
	memcpy(s65 + 1, sig, 64);
	return n > 0 && sig_verify(account, s65, sizeof(s65), tosign, n,
	    &err) == 0;
}

static void
test_update_twin(void)
{
	struct kd	 k;
	struct kd_opts	 o;
	struct ipc_msg	 r;
	uint8_t		 ext[4096], account[32], sig[64], want[64];
	uint8_t		 hash[32], genesis[32], zero[32], tosign[EXT_SIGN_MAX];
	const uint8_t	*call;
	size_t		 n, calllen, wn, tn;
	uint32_t	 nonce;
	uint16_t	 era;
	int		 variant;

	memset(hash, 0x77, sizeof(hash));
	memset(genesis, 0x45, sizeof(genesis));
	memset(zero, 0, sizeof(zero));
	/* doc/chain.md §1.3: relay.grid.tf and the DEV_PHRASE key's pk. */
	wn = unhex(want, sizeof(want), "1912013472656c61792e677269642e74660184035b26108e8b97479c547da4860d862dc08ab2c29ada449c74d5a9a58a6c46a8c4");
	start(&k, KEY_SR25519, DEV_PHRASE, "relay.grid.tf");
	ok(update_twin(&k, 5, 1000, hash, ext, &n, &r) ==
	    IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, "sr25519 update_twin signed");
	ok(split_ext(ext, n, account, &variant, sig, &era, &nonce, &call,
	    &calllen) == 0 && variant == EXT_SIG_SR25519 && nonce == 5,
	    "extrinsic layout: v4 signed, MultiAddress::Id, Sr25519");
	ok(era == 0x0285, "mortal era 85 02: period 64, phase 40 of block "
	    "1000");
	is_hex(account, 32, "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a", "signer account");
	ok(calllen == wn && memcmp(call, want, wn) == 0,
	    "call data is doc/chain.md §1.3's");
	ok(ext_verifies(account, variant, sig, era, hash, nonce, call,
	    calllen), "sr25519 signature verifies over the payload with the "
	    "block's hash as checkpoint");
	ok(!ext_verifies(account, variant, sig, 0, genesis, nonce, call,
	    calllen) && !ext_verifies(account, variant, sig, era, genesis,
	    nonce, call, calllen), "and not as immortal, nor with the genesis "
	    "checkpoint");
	ok(update_twin(&k, 5, 1001, hash, ext, &n, &r) ==
	    IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL && split_ext(ext, n, account,
	    &variant, sig, &era, &nonce, &call, &calllen) == 0 &&
	    era == 0x0295, "block 1001: phase 41 (95 02)");
	ok(update_twin(&k, 0, 0, hash, ext, &n, &r) ==
	    IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL && split_ext(ext, n, account,
	    &variant, sig, &era, &nonce, &call, &calllen) == 0 &&
	    era == 0x0005, "block 0: era 05 00");
	ok(update_twin(&k, 5, 1000, zero, ext, &n, &r) == IPC_KEYD_ERROR &&
	    is_error(&r, 500, "all zeros"),
	    "a block hash of all zeros refused");
	ok(update_twin(&k, 5, UINT64_MAX, hash, ext, &n, &r) ==
	    IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL && split_ext(ext, n, account,
	    &variant, sig, &era, &nonce, &call, &calllen) == 0 &&
	    era == 0x03f5, "block 2^64 - 1 signed all the same (phase 63): "
	    "the chain judges the hash");
	kd_stop(&k);

	start(&k, KEY_ED25519, DEV_PHRASE, "relay.grid.tf");
	ok(update_twin(&k, 300, 1000, hash, ext, &n, &r) ==
	    IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL &&
	    split_ext(ext, n, account, &variant, sig, &era, &nonce, &call,
	    &calllen) == 0 && variant == EXT_SIG_ED25519 && nonce == 300 &&
	    era == 0x0285 && calllen == wn && memcmp(call, want, wn) == 0,
	    "ed25519 update_twin: same call, era 85 02");
	rebuild(tosign, &tn, era, hash, nonce, call, calllen);
	ok(tn > 0 && crypto_sign_verify_detached(sig, tosign, tn, account) ==
	    0, "ed25519 signature verifies (libsodium) over call, era, "
	    "nonce, tip, versions, genesis and the block's hash");
	rebuild(tosign, &tn, era, genesis, nonce, call, calllen);
	ok(crypto_sign_verify_detached(sig, tosign, tn, account) != 0,
	    "and not over the same with the genesis hash as checkpoint");
	kd_stop(&k);

	/* Several long domains: a payload over 256 bytes is signed hashed. */
	opts_init(&o);
	o.key_type = KEY_SR25519;
	o.secret = DEV_PHRASE;
	o.source = KEYD_SECRET_FD;
	o.domains[0] = "relay-one.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example";
	o.domains[1] = "relay-two.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example";
	o.domains[2] = "relay-three.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example";
	kd_start(&k, &o);
	ok(update_twin(&k, 1, 1000, hash, ext, &n, &r) ==
	    IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL &&
	    split_ext(ext, n, account, &variant, sig, &era, &nonce, &call,
	    &calllen) == 0 && calllen + 80 > 256 &&
	    memmem(call, calllen, "relay-one.", 10) != NULL &&
	    memmem(call, calllen, ".example_relay-two.", 19) != NULL &&
	    ext_verifies(account, variant, sig, era, hash, nonce, call,
	    calllen), "long relay set: domains joined by _, hashed payload "
	    "verifies");
	kd_stop(&k);
}

/* Sends raw bytes on netd's channel and returns keyd's wait status. */
static int
fatal_input(const void *p, size_t len)
{
	struct kd	k;

	start(&k, KEY_SR25519, DEV_PHRASE, "relay.grid.tf");
	if (write(k.netd.fd, p, len) != (ssize_t)len)
		return -1;
	shutdown(k.netd.fd, SHUT_WR);
	return kd_wait(&k);
}

static int
exited(int status, int code)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

/* Frames that were well formed once, or nearly well formed now. */
enum {
	OLD_MAKE_JWT, OLD_UPDATE_TWIN, JWT_WITH_IAT, MORTAL_NO_BLOCK,
	MORTAL_SHORT_HASH, OLD_SIGN_ENVELOPE, OLD_SEAL
};

/*
 * Sends one such request to a keyd whose twin is set, leaving the
 * channels open: keyd must exit by itself.  Its wait status, or -1.
 */
static int
fatal_request(int which)
{
	struct kd	 k;
	struct ipc_msg	 r;
	struct ipc_buf	*b;
	struct env	 v;
	uint8_t		 h[33], buf[256];
	uint32_t	 type;

	memset(h, 0x45, sizeof(h));
	start(&k, KEY_SR25519, DEV_PHRASE, "relay.grid.tf");
	if (call_u32(&k, IPC_KEYD_SET_TWIN, 7, &r) != IPC_KEYD_SET_TWIN)
		return -1;
	/* 202, 203, 204 and 206 are retired: no name for them remains. */
	type = which == OLD_MAKE_JWT ? 203 : which == OLD_UPDATE_TWIN ? 206 :
	    which == JWT_WITH_IAT ? IPC_KEYD_JWT :
	    which == OLD_SIGN_ENVELOPE ? 202 : which == OLD_SEAL ? 204 :
	    IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL;
	b = kd_req(&k, type);
	if (which == OLD_SIGN_ENVELOPE || which == OLD_SEAL) {
		/* An envelope keyd would have signed; a key it would seal for. */
		env_init(&v, 1700000000, 300, 7, 12);
		request3(&v, "zos.system.version", NULL, "hi");
		if (which == OLD_SEAL) {
			unhex(h, sizeof(h), PK2);
			ipc_put_bytes(b, h, 33);
		}
		ipc_put_bytes(b, buf, envelope__pack(&v.e, buf));
	} else if (which == OLD_MAKE_JWT || which == JWT_WITH_IAT) {
		ipc_put_u64(b, (uint64_t)time(NULL) + 365 * 86400);
		ipc_put_u32(b, 300);
		ipc_put_u32(b, 0);
		ipc_put_str(b, "");
	} else {
		ipc_put_u32(b, 5);
		ipc_put_u32(b, 144);
		ipc_put_u32(b, 2);
		ipc_put_bytes(b, h, 32);
		if (which == MORTAL_SHORT_HASH) {
			ipc_put_u64(b, 1000);
			ipc_put_bytes(b, h, 31);
		}
	}
	if (ipc_close(&k.netd, b) == -1 || ipc_flush(&k.netd) == -1)
		return -1;
	return kd_wait(&k);
}

static void
test_fatal(void)
{
	struct ipc_hdr	h;
	uint8_t		frame[IPC_HDR_SIZE + 1];
	struct kd	k;
	struct ipc_msg	r;

	h.type = 999;
	h.len = IPC_HDR_SIZE;
	h.id = 1;
	h.pid = 0;
	ok(exited(fatal_input(&h, sizeof(h)), 1),
	    "unknown verb: keyd exits 1");
	ok(exited(fatal_request(OLD_MAKE_JWT), 1),
	    "retired 203 (MAKE_JWT with netd's issue time), well formed as "
	    "it was: keyd exits 1");
	ok(exited(fatal_request(OLD_UPDATE_TWIN), 1),
	    "retired 206 (immortal SIGN_UPDATE_TWIN), well formed as it was: "
	    "keyd exits 1");
	ok(exited(fatal_request(OLD_SIGN_ENVELOPE), 1),
	    "retired 202 (SIGN_ENVELOPE), well formed as it was: keyd exits 1");
	ok(exited(fatal_request(OLD_SEAL), 1),
	    "retired 204 (SEAL), well formed as it was: keyd exits 1");
	ok(exited(fatal_request(JWT_WITH_IAT), 1),
	    "JWT with an issue time (203's layout under 207): keyd exits 1");
	ok(exited(fatal_request(MORTAL_NO_BLOCK), 1),
	    "SIGN_UPDATE_TWIN_MORTAL without a block (206's layout): keyd "
	    "exits 1");
	ok(exited(fatal_request(MORTAL_SHORT_HASH), 1),
	    "SIGN_UPDATE_TWIN_MORTAL with a 31-byte block hash: keyd exits 1");
	h.type = IPC_KEYD_IDENTITY;
	h.len = IPC_HDR_SIZE + 1;
	memcpy(frame, &h, sizeof(h));
	frame[IPC_HDR_SIZE] = 0;
	ok(exited(fatal_input(frame, sizeof(frame)), 1),
	    "trailing byte after a request: keyd exits 1");
	h.len = 8;
	ok(exited(fatal_input(&h, sizeof(h)), 1),
	    "length below the header: keyd exits 1");
	h.len = IPC_MAX + 1;
	ok(exited(fatal_input(&h, sizeof(h)), 1),
	    "length above IPC_MAX: keyd exits 1");
	h.type = IPC_KEYD_SET_TWIN;
	h.len = IPC_HDR_SIZE + 2;
	memcpy(frame, &h, sizeof(h));
	ok(exited(fatal_input(frame, IPC_HDR_SIZE + 1), 0),
	    "netd gone in the middle of a frame: keyd exits 0");

	start(&k, KEY_SR25519, DEV_PHRASE, "relay.grid.tf");
	ok(call_u32(&k, IPC_KEYD_SET_TWIN, 0, &r) == IPC_KEYD_ERROR,
	    "twin 0 refused");
	if (write(k.parent.fd, "x", 1) == 1)
		ok(exited(kd_wait(&k), 1),
		    "data from the parent after the config: keyd exits 1");
	start(&k, KEY_SR25519, DEV_PHRASE, "relay.grid.tf");
	set_twin(&k, 3);
	ok(exited(kd_stop(&k), 0), "parent closes: keyd exits 0");
}

static int
start_status(struct kd_opts *o)
{
	struct kd	k;

	if (kd_start(&k, o) != 0)
		return -1;
	return kd_wait(&k);
}

static void
test_startup(void)
{
	struct kd_opts	o;
	struct kd	k;
	struct ipc_msg	r;
	int		fd;

	opts_init(&o);
	o.key_type = KEY_SR25519;
	o.secret = "neck stage box cup core magic produce exercise happy rely vocal vocal";
	o.source = KEYD_SECRET_FD;
	o.domains[0] = "relay.grid.tf";
	ok(exited(start_status(&o), 1), "bad mnemonic checksum: exits 1");
	o.secret = "0x" "00000000000000000000000000000000"
	    "00000000000000000000000000000000";
	ok(exited(start_status(&o), 1), "seed 0 (outside secp256k1): exits 1");
	o.secret = DEV_PHRASE;
	/* The relay field, checked with tfchain's rule alone. */
	o.domains[0] = "relay.grid.tf:443";
	ok(exited(start_status(&o), 1), "relay field with a port: exits 1");
	o.domains[0] = "relay.grid.tf.";
	ok(exited(start_status(&o), 1), "relay field ending in '.': exits 1");
	o.domains[0] = "relay..grid.tf";
	ok(exited(start_status(&o), 1), "relay field with \"..\": exits 1");
	o.domains[0] = "a.example";
	ok(exited(start_status(&o), 1),
	    "first domain with '.' at byte 1 (tfchain refuses it): exits 1");
	o.domains[0] = "relay.grid.tf";

	/* The secret from a file: others may not read it. */
	snprintf(secret_file, sizeof(secret_file), "%s/mnemonic", tmpdir);
	fd = open(secret_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, DEV_PHRASE "\n", strlen(DEV_PHRASE) + 1) < 0)
		diag("cannot write %s", secret_file);
	close(fd);
	o.source = KEYD_SECRET_FILE;
	o.path = secret_file;
	ok(kd_start(&k, &o) == 0 &&
	    call_u32(&k, IPC_KEYD_SET_TWIN, 1, &r) == IPC_KEYD_SET_TWIN &&
	    exited(kd_stop(&k), 0), "secret read from a 0600 file");
	chmod(secret_file, 0604);
	ok(exited(start_status(&o), 1), "world-readable secret file: exits 1");
	chmod(secret_file, 0600);
	o.path = "/nonexistent/mnemonic";
	ok(exited(start_status(&o), 1), "missing secret file: exits 1");

	/* systemd's credentials directory. */
	o.source = KEYD_SECRET_CREDENTIALS;
	o.path = NULL;
	unsetenv("CREDENTIALS_DIRECTORY");
	ok(exited(start_status(&o), 1),
	    "credentials without CREDENTIALS_DIRECTORY: exits 1");
	setenv("CREDENTIALS_DIRECTORY", tmpdir, 1);
	ok(kd_start(&k, &o) == 0 &&
	    call_u32(&k, IPC_KEYD_SET_TWIN, 1, &r) == IPC_KEYD_SET_TWIN &&
	    exited(kd_stop(&k), 0), "secret from $CREDENTIALS_DIRECTORY/mnemonic");
	unsetenv("CREDENTIALS_DIRECTORY");
}

/* The value of "Name:" in /proc/pid/status, or "". */
static const char *
status_field(pid_t pid, const char *name)
{
	static char	line[256], val[256];
	char		path[64];
	FILE		*f;
	size_t		n = strlen(name);

	val[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return val;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			snprintf(val, sizeof(val), "%s", line + n + 1);
			val[strcspn(val, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
	return val;
}

/* Whether uid 65534 can execute keyd where this build lives. */
static int
nobody_can_exec(void)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == 0) {
		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(1);
		_exit(access(kd_path(), X_OK) == 0 ? 0 : 1);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
test_sandbox(void)
{
	struct kd_opts	 o;
	struct kd	 k;
	struct ipc_msg	 r;
	char		 root[PATH_MAX], file[PATH_MAX];
	const char	*v;
	ssize_t		 n;
	int		 fd;

	opts_init(&o);
	o.key_type = KEY_SR25519;
	o.secret = DEV_PHRASE;
	o.source = KEYD_SECRET_FD;
	o.domains[0] = "relay.grid.tf";
	ok(kd_start(&k, &o) == 0 &&
	    call_u32(&k, IPC_KEYD_SET_TWIN, 1, &r) == IPC_KEYD_SET_TWIN,
	    "keyd running (answered)");
	v = status_field(k.pid, "Seccomp");
	ok(strstr(v, "2") != NULL, "Seccomp: 2 (filter mode) while running");
	v = status_field(k.pid, "NoNewPrivs");
	ok(strstr(v, "1") != NULL, "NoNewPrivs: 1");
	if (geteuid() == 0) {
		v = status_field(k.pid, "Uid");
		ok(strncmp(v + strspn(v, " \t"), "65534", 5) == 0,
		    "running as nobody (Uid %s)", v);
		snprintf(file, sizeof(file), "/proc/%d/root", (int)k.pid);
		n = readlink(file, root, sizeof(root) - 1);
		root[n > 0 ? n : 0] = '\0';
		ok(n > 0 && strcmp(root, jail) == 0, "chrooted to the jail (%s)",
		    root);
	} else {
		printf("ok %d # SKIP not root: no chroot or user switch\n",
		    ++tap_n);
		printf("ok %d # SKIP not root\n", ++tap_n);
	}
	ok(exited(kd_stop(&k), 0), "and exits 0 when the parent closes");

	if (geteuid() == 0) {
		snprintf(file, sizeof(file), "%s/stray", jail);
		fd = open(file, O_WRONLY | O_CREAT, 0600);
		close(fd);
		ok(exited(start_status(&o), 1), "a jail that is not empty: "
		    "exits 1");
		unlink(file);
		chmod(jail, 0777);
		ok(exited(start_status(&o), 1), "a world-writable jail: exits 1");
		chmod(jail, 0755);
		o.jail = NULL;
		ok(exited(start_status(&o), 1), "root without a jail: exits 1");
		o.jail = jail;
		o.user = "no-such-user-rmb";
		ok(exited(start_status(&o), 1), "unknown user: exits 1");

		/* Started by an unprivileged user: no chroot, same sandbox. */
		if (!nobody_can_exec()) {
			for (int i = 0; i < 3; i++)
				printf("ok %d # SKIP uid 65534 cannot reach %s "
				    "from this folder\n", ++tap_n, kd_path());
			return;
		}
		opts_init(&o);
		o.key_type = KEY_SR25519;
		o.secret = DEV_PHRASE;
		o.source = KEYD_SECRET_FD;
		o.domains[0] = "relay.grid.tf";
		o.jail = o.user = NULL;
		o.run_as = 65534;
		o.run_as_gid = 65534;
		ok(kd_start(&k, &o) == 0 &&
		    call_u32(&k, IPC_KEYD_SET_TWIN, 1, &r) ==
		    IPC_KEYD_SET_TWIN, "started as uid 65534: answers");
		ok(strstr(status_field(k.pid, "Seccomp"), "2") != NULL &&
		    strstr(status_field(k.pid, "NoNewPrivs"), "1") != NULL,
		    "started as uid 65534: Seccomp 2, NoNewPrivs 1");
		ok(exited(kd_stop(&k), 0), "started as uid 65534: exits 0");
	}
}

int
main(void)
{
	if (sodium_init() < 0 || e2e_init() != 0)
		return 1;
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	/* The jail: root-owned, 0755, empty (mkdtemp makes 0700). */
	chmod(tmpdir, 0755);
	snprintf(jail, sizeof(jail), "%s/jail", tmpdir);
	if (mkdir(jail, 0755) == -1)
		return 1;
	test_envelopes();
	test_jwt();
	test_e2e();
	test_identity();
	test_update_twin();
	test_fatal();
	test_startup();
	test_sandbox();
	unlink(secret_file);
	rmdir(jail);
	rmdir(tmpdir);
	return done_testing();
}
