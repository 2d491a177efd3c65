/* SPDX-License-Identifier: ISC */
#include <sodium.h>

#include "extrinsic.h"
#include "scale_rd.h"
#include "tfchain_read.h"
#include "tap.h"

#define ACC_DEV \
	"46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a"
#define ACC_BOB_ED \
	"d17c2d7823ebf260fd138f2d7e27d114c0145d968b5ff5006125f2414fadae69"
#define ACC_ALICE_SR \
	"d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
#define ACC_DEVNET1 \
	"742d54eb9c3cc4c3441a9bfaf9fc3869fd9e6e0cdf4222ece6bd4d8d1413d47b"
#define PK_DEV \
	"035b26108e8b97479c547da4860d862dc08ab2c29ada449c74d5a9a58a6c46a8c4"
#define PK_11 \
	"111111111111111111111111111111111111111111111111111111111111111111"
#define HEX_45x32 \
	"4545454545454545454545454545454545454545454545454545454545454545"
#define HEX_RELAY_GRID	"72656c61792e677269642e7466"
#define HEX_RELAY_EXAMPLE "72656c61792e6578616d706c652e6f7267"

/* The doc/chain.md §1.2 example, put together from its pieces. */
#define TWIN_EXAMPLE \
	"07000000" ACC_DEV "01" "34" HEX_RELAY_GRID "00" "01" "84" PK_DEV

/* Twin 2 of doc/chain.md §4, with //Bob's ed25519 account. */
#define TWIN_2 \
	"02000000" ACC_BOB_ED "01" "44" HEX_RELAY_EXAMPLE "00" "01" "84" PK_11

/* Devnet twin 1 of doc/protocol.md §1.6: relay None, no entities, pk None. */
#define TWIN_NONE	"01000000" ACC_DEVNET1 "00" "00" "00"

/* Two entities, one with a 64-byte signature and one with none. */
#define TWIN_ENTITIES \
	"03000000" ACC_DEV "00" "08" \
	"0a000000" "0101" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"0b000000" "00" \
	"01" "08" "beef"

static void
test_twox128(void)
{
	static const struct {
		const char	*name, *hex;
	} v[] = {
		{ "TfgridModule", "19a2526838feefd7695a3b5715b415b1" },
		{ "Twins", "311378229266fc86f673a3f4cf398e69" },
		{ "TwinIdByAccountID", "aca6514962aa3f0d58aff3524045f9e0" },
		{ "TwinID", "f0a47c737494e2f765486518570dbe24" },
		{ "System", "26aa394eea5630e07c48ae0c9558cef7" },
		{ "Events", "80d41e5e16056765bc8461851072c9d7" },
		{ "Account", "b99d880ec681799c0cf30e8886371da9" },
	};
	uint8_t	out[16];
	char	name[64];
	size_t	i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		twox128(out, v[i].name, strlen(v[i].name));
		snprintf(name, sizeof(name), "twox128(\"%s\")", v[i].name);
		is_hex(out, sizeof(out), v[i].hex, name);
	}
}

static void
test_keys(void)
{
	uint8_t	k[TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN], acc[32];

	tfchain_key_twin(k, 1);
	is_hex(k, TFCHAIN_KEY_TWIN_LEN, "19a2526838feefd7695a3b5715b415b1"
	    "311378229266fc86f673a3f4cf398e69"
	    "d82c12285b5d4551f88e8f6e7eb52b81" "01000000", "key Twins(1)");
	tfchain_key_twin(k, 55);
	is_hex(k, TFCHAIN_KEY_TWIN_LEN, "19a2526838feefd7695a3b5715b415b1"
	    "311378229266fc86f673a3f4cf398e69"
	    "df262b29f22ced2a4084d2e58b11b52e" "37000000", "key Twins(55)");

	unhex(acc, sizeof(acc), ACC_DEV);
	tfchain_key_twin_by_account(k, acc);
	is_hex(k, TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN,
	    "19a2526838feefd7695a3b5715b415b1"
	    "aca6514962aa3f0d58aff3524045f9e0"
	    "61f241703cdf949d6c16a7da8ed0c217" ACC_DEV,
	    "key TwinIdByAccountID(5DfhGyQd...EqRzV)");
	unhex(acc, sizeof(acc), ACC_ALICE_SR);
	tfchain_key_twin_by_account(k, acc);
	is_hex(k, TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN,
	    "19a2526838feefd7695a3b5715b415b1"
	    "aca6514962aa3f0d58aff3524045f9e0"
	    "de1e86a9a8c739864cf3cc5ec2bea59f" ACC_ALICE_SR,
	    "key TwinIdByAccountID(//Alice sr25519)");

	tfchain_key_value(k, "TfgridModule", "TwinID");
	is_hex(k, TFCHAIN_KEY_VALUE_LEN, "19a2526838feefd7695a3b5715b415b1"
	    "f0a47c737494e2f765486518570dbe24", "key TwinID");
	tfchain_key_value(k, "System", "Events");
	is_hex(k, TFCHAIN_KEY_VALUE_LEN, "26aa394eea5630e07c48ae0c9558cef7"
	    "80d41e5e16056765bc8461851072c9d7", "key System.Events");
}

/* Decodes hex into a twin; the re-encoding must give the bytes back. */
static int
decode_hex(struct twin_record *t, const char *hex, const char **err)
{
	static uint8_t	buf[4096];
	size_t		n;

	n = unhex(buf, sizeof(buf), hex);
	return twin_decode(t, buf, n, err);
}

static void
check_reencode(const struct twin_record *t, const char *want,
    const char *name)
{
	struct scale_wr	w;
	uint8_t		out[TWIN_ENCODED_MAX];

	scale_wr_init(&w, out, sizeof(out));
	if (!ok(twin_encode(&w, t) == 0, "%s: re-encode", name))
		return;
	is_hex(out, w.len, want, "  same bytes");
}

/* Every proper prefix of a valid value must be rejected. */
static void
check_truncations(const char *hex, const char *name)
{
	struct twin_record	 t;
	static uint8_t		 buf[4096];
	const char		*err;
	size_t			 n, k;
	int			 bad = 0;

	n = unhex(buf, sizeof(buf), hex);
	for (k = 0; k < n; k++) {
		err = NULL;
		if (twin_decode(&t, buf, k, &err) != -1 || err == NULL ||
		    t.id != 0 || t.has_relay || t.has_pk)
			bad++;
	}
	ok(bad == 0, "%s: all %zu truncations rejected", name, n);
}

static void
test_twin_decode(void)
{
	struct twin_record	 t;
	uint8_t			 want[128];
	const char		*err;
	size_t			 n;

	err = NULL;
	ok(decode_hex(&t, TWIN_EXAMPLE, &err) == 0, "§1.2 example decodes");
	ok(t.id == 7, "  id 7");
	is_hex(t.account, 32, ACC_DEV, "  account");
	ok(t.has_relay && strcmp(t.relay, "relay.grid.tf") == 0,
	    "  relay \"relay.grid.tf\"");
	n = unhex(want, sizeof(want), PK_DEV);
	ok(t.has_pk && t.pklen == n && memcmp(t.pk, want, n) == 0,
	    "  33-byte pk");
	check_reencode(&t, TWIN_EXAMPLE, "§1.2 example");
	check_truncations(TWIN_EXAMPLE, "§1.2 example");

	ok(decode_hex(&t, TWIN_2, &err) == 0 && t.id == 2 &&
	    t.has_relay && strcmp(t.relay, "relay.example.org") == 0 &&
	    t.has_pk && t.pklen == 33 && t.pk[0] == 0x11 && t.pk[32] == 0x11,
	    "§4 twin 2 decodes");
	check_reencode(&t, TWIN_2, "§4 twin 2");

	ok(decode_hex(&t, TWIN_NONE, &err) == 0 && t.id == 1 &&
	    !t.has_relay && t.relay[0] == '\0' && !t.has_pk && t.pklen == 0,
	    "relay None, pk None");
	is_hex(t.account, 32, ACC_DEVNET1, "  account");
	check_reencode(&t, TWIN_NONE, "relay None, pk None");
	check_truncations(TWIN_NONE, "relay None, pk None");

	ok(decode_hex(&t, TWIN_ENTITIES, &err) == 0 && t.id == 3 &&
	    !t.has_relay && t.has_pk && t.pklen == 2 && t.pk[0] == 0xbe &&
	    t.pk[1] == 0xef, "twin with two entities decodes");
	check_reencode(&t, "03000000" ACC_DEV "00" "00" "01" "08" "beef",
	    "with entities (dropped)");
	check_truncations(TWIN_ENTITIES, "with entities");

	ok(decode_hex(&t, "09000000" ACC_DEV "0100" "00" "0100", &err) == 0 &&
	    t.has_relay && t.relay[0] == '\0' && t.has_pk && t.pklen == 0,
	    "empty Some relay and Some pk");
}

static void
bad(const char *hex, const char *want_err, const char *name)
{
	struct twin_record	 t;
	const char		*err = NULL;
	int			 r;

	r = decode_hex(&t, hex, &err);
	if (!ok(r == -1 && err != NULL && strcmp(err, want_err) == 0 &&
	    t.id == 0 && !t.has_relay, "rejected: %s", name))
		diag("r %d err %s", r, err ? err : "(null)");
}

static void
test_twin_bad(void)
{
	struct twin_record	 t;
	static char		 hex[4096];
	static uint8_t		 buf[2048];
	const char		*err;
	size_t			 n;

	bad(TWIN_EXAMPLE "00", "trailing bytes", "trailing byte");
	bad(TWIN_NONE "00", "trailing bytes", "trailing byte, all None");
	bad("07000000" ACC_DEV "02" "00" "00", "bad relay option tag",
	    "relay tag 02");
	bad("07000000" ACC_DEV "00" "00" "02", "bad pk option tag",
	    "pk tag 02");
	bad("07000000" ACC_DEV "ff" "00" "00", "bad relay option tag",
	    "relay tag ff");
	bad("07000000" ACC_DEV "01" "13ffffffffffffffff" "00" "00",
	    "relay too long", "relay length 2^64-1");
	bad("07000000" ACC_DEV "01" "0300000040" "00" "00",
	    "relay too long", "relay length 2^30");
	bad("07000000" ACC_DEV "01" "0100" "00" "00",
	    "bad relay length", "non-canonical relay length");
	bad("07000000" ACC_DEV "01" "0c" "6100" "62" "00" "00",
	    "NUL in relay", "NUL inside relay");
	bad("07000000" ACC_DEV "01" "0c" "6161", "relay truncated",
	    "relay shorter than its length");
	bad("07000000" ACC_DEV "00" "13ffffffffffffffff" "00",
	    "entity count exceeds input", "entity count 2^64-1");
	bad("07000000" ACC_DEV "00" "08" "0a000000" "00" "00",
	    "entity count exceeds input", "entity count over input");
	bad("07000000" ACC_DEV "00" "04" "0a000000" "13ffffffffffffffff"
	    "000000", "bad entity", "entity signature length 2^64-1");
	bad("07000000" ACC_DEV "00" "04" "0a000000" "0c" "0000",
	    "bad entity", "entity signature past the end");
	bad("07000000" ACC_DEV "00" "00" "01" "0502" "00", "pk too long",
	    "pk length 129");
	bad("07000000" ACC_DEV "00" "00" "01" "13ffffffffffffffff",
	    "pk too long", "pk length 2^64-1");
	bad("07000000" ACC_DEV "00" "00" "01" "84" "0000", "pk truncated",
	    "pk shorter than its length");
	bad("", "id truncated", "empty input");
	bad("070000", "id truncated", "short id");
	bad("07000000" "46ebddef", "account truncated", "short account");

	/* 1024 relay bytes are the limit; 1025 are one too many. */
	n = (size_t)snprintf(hex, sizeof(hex), "07000000%s01%s", ACC_DEV,
	    "0110");
	memset(hex + n, '6', 2 * 1024);
	n += 2 * 1024;
	snprintf(hex + n, sizeof(hex) - n, "0000");
	err = NULL;
	ok(decode_hex(&t, hex, &err) == 0 && strlen(t.relay) == 1024 &&
	    t.relay[1023] == 'f', "relay of 1024 bytes accepted");
	check_reencode(&t, hex, "1024-byte relay");
	n = (size_t)snprintf(hex, sizeof(hex), "07000000%s01%s", ACC_DEV,
	    "0510");
	memset(hex + n, '6', 2 * 1025);
	n += 2 * 1025;
	snprintf(hex + n, sizeof(hex) - n, "0000");
	bad(hex, "relay too long", "relay of 1025 bytes");

	n = (size_t)snprintf(hex, sizeof(hex), "07000000%s000001%s", ACC_DEV,
	    "0102");
	memset(hex + n, '7', 2 * 128);
	hex[n + 2 * 128] = '\0';
	ok(decode_hex(&t, hex, &err) == 0 && t.pklen == 128 &&
	    t.pk[127] == 0x77, "pk of 128 bytes accepted");
	check_reencode(&t, hex, "128-byte pk");

	ok(twin_decode(&t, NULL, 0, &err) == -1, "NULL empty input rejected");
	n = unhex(buf, sizeof(buf), TWIN_EXAMPLE "00");
	ok(twin_decode(&t, buf, n, NULL) == -1, "err may be NULL");
}

static void
test_twin_encode_bad(void)
{
	struct twin_record	t;
	struct scale_wr		w;
	uint8_t			out[TWIN_ENCODED_MAX];

	memset(&t, 0, sizeof(t));
	t.has_relay = 1;
	memset(t.relay, 'a', sizeof(t.relay));
	scale_wr_init(&w, out, sizeof(out));
	ok(twin_encode(&w, &t) == -1, "encode: unterminated relay rejected");

	memset(&t, 0, sizeof(t));
	t.has_pk = 1;
	t.pklen = TWIN_PK_MAX + 1;
	scale_wr_init(&w, out, sizeof(out));
	ok(twin_encode(&w, &t) == -1, "encode: pk over 128 rejected");

	memset(&t, 0, sizeof(t));
	scale_wr_init(&w, out, 4 + 32 + 2);
	ok(twin_encode(&w, &t) == -1 && w.err, "encode: overflow");
	scale_wr_init(&w, out, 4 + 32 + 3);
	ok(twin_encode(&w, &t) == 0 && w.len == 39, "encode: exact fit");
}

static void
test_twin_id(void)
{
	uint8_t		buf[8];
	uint32_t	id = 0;
	size_t		n;

	n = unhex(buf, sizeof(buf), "07000000");
	ok(twin_id_decode(&id, buf, n) == 0 && id == 7, "twin id 7");
	n = unhex(buf, sizeof(buf), "37000000");
	ok(twin_id_decode(&id, buf, n) == 0 && id == 55, "twin id 55");
	n = unhex(buf, sizeof(buf), "ffffffff");
	ok(twin_id_decode(&id, buf, n) == 0 && id == 0xffffffffU,
	    "twin id 2^32-1");
	ok(twin_id_decode(&id, buf, 3) == -1, "3 bytes rejected");
	ok(twin_id_decode(&id, buf, 0) == -1, "empty rejected");
	n = unhex(buf, sizeof(buf), "0700000000");
	ok(twin_id_decode(&id, buf, n) == -1, "5 bytes rejected");
}

static void
test_call(void)
{
	struct scale_wr	w;
	uint8_t		out[2048], pk[TWIN_PK_MAX + 1];
	char		relay[TWIN_RELAY_MAX + 2];

	unhex(pk, sizeof(pk), PK_DEV);
	scale_wr_init(&w, out, sizeof(out));
	ok(tfchain_update_twin_call(&w, TFCHAIN_PALLET_TFGRID,
	    TFCHAIN_CALL_UPDATE_TWIN, "relay.grid.tf", pk, 33) == 0,
	    "update_twin(relay.grid.tf, pk)");
	is_hex(out, w.len, "191201" "34" HEX_RELAY_GRID "01" "84" PK_DEV,
	    "  §1.3 call data");

	memset(pk, 0x11, 33);
	scale_wr_init(&w, out, sizeof(out));
	ok(tfchain_update_twin_call(&w, 25, 18, "relay.example.org", pk,
	    33) == 0, "update_twin(relay.example.org, 11x33)");
	is_hex(out, w.len, "1912014472656c61792e6578616d706c652e6f72670184"
	    PK_11, "  §4 call data");

	scale_wr_init(&w, out, sizeof(out));
	ok(tfchain_update_twin_call(&w, 25, 18, NULL, NULL, 0) == 0,
	    "update_twin(None, None)");
	is_hex(out, w.len, "19120000", "  bytes");
	scale_wr_init(&w, out, sizeof(out));
	ok(tfchain_update_twin_call(&w, 25, TFCHAIN_CALL_CREATE_TWIN, "", pk,
	    0) == 0, "create_twin(Some(\"\"), Some(empty))");
	is_hex(out, w.len, "191101000100", "  bytes");

	memset(relay, 'a', sizeof(relay));
	relay[TWIN_RELAY_MAX] = '\0';
	scale_wr_init(&w, out, sizeof(out));
	ok(tfchain_update_twin_call(&w, 25, 18, relay, NULL, 0) == 0 &&
	    w.len == 2 + 1 + 2 + 1024 + 1, "1024-byte relay accepted");
	relay[TWIN_RELAY_MAX] = 'a';
	relay[TWIN_RELAY_MAX + 1] = '\0';
	scale_wr_init(&w, out, sizeof(out));
	ok(tfchain_update_twin_call(&w, 25, 18, relay, NULL, 0) == -1,
	    "1025-byte relay rejected");
	scale_wr_init(&w, out, sizeof(out));
	ok(tfchain_update_twin_call(&w, 25, 18, NULL, pk, 129) == -1,
	    "129-byte pk rejected");
	scale_wr_init(&w, out, 20);
	ok(tfchain_update_twin_call(&w, 25, 18, "relay.grid.tf", pk,
	    33) == -1 && w.err, "call overflow rejected");
}

static void
test_extrinsic(void)
{
	struct ext_params	x;
	struct scale_wr		w;
	struct scale_rd		rd;
	uint8_t			seed[32], pub[32], sk[64], sig[64], pk[33];
	uint8_t			call[256], payload[512], msg[EXT_SIGN_MAX];
	uint8_t			ext[512];
	char			relay[143];
	uint64_t		len;
	size_t			calllen, plen, mlen;

	unhex(seed, sizeof(seed), "3b7b60af2abcd57ba401ab398f84f4ca"
	    "54bd6b2140d2503fbcf3286535fe3ff1");
	crypto_sign_seed_keypair(pub, sk, seed);
	is_hex(pub, 32, ACC_BOB_ED, "//Bob ed25519 public key");

	memset(pk, 0x11, sizeof(pk));
	scale_wr_init(&w, call, sizeof(call));
	tfchain_update_twin_call(&w, 25, 18, "relay.example.org", pk, 33);
	calllen = w.len;

	memset(&x, 0, sizeof(x));
	x.nonce = 0;
	x.spec_version = 144;
	x.tx_version = 2;
	memset(x.genesis, 0x45, sizeof(x.genesis));
	scale_wr_init(&w, payload, sizeof(payload));
	ok(ext_payload(&w, &x, call, calllen) == 0, "§4 payload");
	plen = w.len;
	is_hex(payload, plen, "1912014472656c61792e6578616d706c652e6f72670184"
	    PK_11 "000000" "90000000" "02000000" HEX_45x32 HEX_45x32,
	    "  bytes");
	ok(!ext_payload_hashed(plen), "  %zu bytes: signed as is", plen);
	ext_signing_bytes(msg, &mlen, payload, plen);
	ok(mlen == plen && memcmp(msg, payload, plen) == 0,
	    "  signing bytes = payload");

	crypto_sign_detached(sig, NULL, msg, mlen, sk);
	scale_wr_init(&w, ext, sizeof(ext));
	ok(ext_assemble(&w, &x, pub, EXT_SIG_ED25519, sig, call,
	    calllen) == 0 && w.len <= calllen + EXT_OVERHEAD_MAX,
	    "§4 extrinsic assembled");
	is_hex(ext, w.len, "79028400d17c2d7823ebf260fd138f2d7e27d114c0145d96"
	    "8b5ff5006125f2414fadae69000cf5ae95cd81cec256a6b59a21a6501675909b"
	    "26f4a219c1a036c749faff42ad0f6840110c34975d7c7880304f48efb07dd272"
	    "195718c295d76cebb3800770040000001912014472656c61792e6578616d706c"
	    "652e6f72670184111111111111111111111111111111111111111111111111111"
	    "111111111111111", "  byte for byte");

	/* A 4-byte compact nonce must be counted in the length prefix. */
	x.nonce = 70000;
	scale_wr_init(&w, ext, sizeof(ext));
	ok(ext_assemble(&w, &x, pub, EXT_SIG_SR25519, sig, call,
	    calllen) == 0, "sr25519 variant, nonce 70000");
	scale_rd_init(&rd, ext, w.len);
	ok(scale_get_compact(&rd, &len) == 0 && len == w.len - rd.off &&
	    ext[rd.off + 34] == EXT_SIG_SR25519, "  length prefix, variant 01");
	is_hex(ext + rd.off + 99, 6, "00" "c2450400" "00",
	    "  era, compact nonce, tip");
	scale_wr_init(&w, payload, sizeof(payload));
	ext_payload(&w, &x, call, calllen);
	is_hex(payload + calllen, 6, "00" "c2450400" "00",
	    "  same extra in the payload");
	x.nonce = 0;

	scale_wr_init(&w, ext, sizeof(ext));
	ok(ext_assemble(&w, &x, pub, 2, sig, call, calllen) == -1,
	    "ecdsa variant refused");
	scale_wr_init(&w, ext, calllen + 103);
	ok(ext_assemble(&w, &x, pub, 0, sig, call, calllen) == -1 && w.err,
	    "extrinsic overflow");
	scale_wr_init(&w, ext, calllen + 104);
	ok(ext_assemble(&w, &x, pub, 0, sig, call, calllen) == 0,
	    "extrinsic exact fit");
	scale_wr_init(&w, payload, calllen + 74);
	ok(ext_payload(&w, &x, call, calllen) == -1 && w.err,
	    "payload overflow");

	/* 142 relay bytes make a 182-byte call and a 257-byte payload. */
	memset(relay, 'a', 142);
	relay[142] = '\0';
	scale_wr_init(&w, call, sizeof(call));
	ok(tfchain_update_twin_call(&w, 25, 18, relay, pk, 33) == 0 &&
	    w.len == 182, "182-byte call");
	calllen = w.len;
	scale_wr_init(&w, payload, sizeof(payload));
	ok(ext_payload(&w, &x, call, calllen) == 0 && w.len == 257 &&
	    ext_payload_hashed(w.len), "257-byte payload is hashed");
	ext_signing_bytes(msg, &mlen, payload, w.len);
	ok(mlen == 32, "  32 bytes to sign");
	is_hex(msg, mlen, "9aa220252cfb67bbef90bde39c0d22cb"
	    "147abe58d58513b58f33bfba653e44d4", "  blake2b-256 of the payload");
	ext_signing_bytes(msg, &mlen, payload, 256);
	ok(!ext_payload_hashed(256) && mlen == 256 &&
	    memcmp(msg, payload, 256) == 0, "256 bytes are signed as is");
}

/* The mortal era table: encoding, period and phase, birth and death. */
static void
test_era(void)
{
	static const struct {
		uint64_t	 current, asked;
		const char	*enc;
		uint64_t	 period, phase, birth, death;
	} v[] = {
		{ 1000, 64, "8502", 64, 40, 1000, 1064 },
		{ 0, 64, "0500", 64, 0, 0, 64 },
		{ 12345, 256, "9703", 256, 57, 12345, 12601 },
		{ 5, 4, "1100", 4, 1, 5, 9 },
		{ 70000, 65536, "7f11", 65536, 4464, 70000, 135536 },
		{ 100, 50, "4502", 64, 36, 100, 164 },
	};
	uint64_t	period, phase, birth;
	uint16_t	era;
	uint8_t		le[2];
	char		name[80];
	size_t		i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		era = ext_era_mortal(v[i].current, v[i].asked);
		le[0] = (uint8_t)era;
		le[1] = (uint8_t)(era >> 8);
		snprintf(name, sizeof(name), "era of block %llu, period %llu "
		    "asked", (unsigned long long)v[i].current,
		    (unsigned long long)v[i].asked);
		is_hex(le, 2, v[i].enc, name);
		ext_era_split(era, &period, &phase);
		birth = ext_era_birth(era, v[i].current);
		ok(period == v[i].period && phase == v[i].phase &&
		    birth == v[i].birth && birth + period == v[i].death,
		    "  period %llu, phase %llu, birth %llu, death %llu",
		    (unsigned long long)period, (unsigned long long)phase,
		    (unsigned long long)birth,
		    (unsigned long long)(birth + period));
	}
	era = ext_era_mortal(1000, EXT_ERA_PERIOD);
	ok(ext_era_birth(era, 1063) == 1000 && ext_era_birth(era, 1064) ==
	    1064, "seen from its last block the birth is 1000, one later it "
	    "is 1064: another checkpoint");
	ok(ext_era_mortal(0, 1) == 0x0001 && ext_era_mortal(7, 1 << 20) ==
	    0x000f, "periods clamp to 4 and 65536, phases of 65536 to 16 "
	    "blocks; never the immortal 0");
}

/* A mortal ed25519 update_twin: era bytes, checkpoint, signature. */
static void
test_extrinsic_mortal(void)
{
	struct ext_params	x;
	struct scale_wr		w;
	struct scale_rd		rd;
	uint8_t			seed[32], pub[32], sk[64], sig[64], pk[33];
	uint8_t			call[256], payload[512], msg[EXT_SIGN_MAX];
	uint8_t			ext[512];
	uint64_t		len;
	size_t			calllen, plen, mlen;

	unhex(seed, sizeof(seed), "3b7b60af2abcd57ba401ab398f84f4ca"
	    "54bd6b2140d2503fbcf3286535fe3ff1");
	crypto_sign_seed_keypair(pub, sk, seed);
	memset(pk, 0x11, sizeof(pk));
	scale_wr_init(&w, call, sizeof(call));
	tfchain_update_twin_call(&w, 25, 18, "relay.example.org", pk, 33);
	calllen = w.len;

	memset(&x, 0, sizeof(x));
	x.nonce = 3;
	x.spec_version = 144;
	x.tx_version = 2;
	memset(x.genesis, 0x45, sizeof(x.genesis));
	x.era = ext_era_mortal(1000, EXT_ERA_PERIOD);
	memset(x.checkpoint, 0x77, sizeof(x.checkpoint));
	scale_wr_init(&w, payload, sizeof(payload));
	ok(ext_payload(&w, &x, call, calllen) == 0 &&
	    w.len <= calllen + EXT_PAYLOAD_OVERHEAD_MAX, "mortal payload");
	plen = w.len;
	is_hex(payload, plen, "1912014472656c61792e6578616d706c652e6f72670184"
	    PK_11 "8502" "0c" "00" "90000000" "02000000" HEX_45x32
	    "7777777777777777777777777777777777777777777777777777777777777777",
	    "  era 85 02 in the extra, the birth block's hash as checkpoint");
	ext_signing_bytes(msg, &mlen, payload, plen);
	crypto_sign_detached(sig, NULL, msg, mlen, sk);
	scale_wr_init(&w, ext, sizeof(ext));
	ok(ext_assemble(&w, &x, pub, EXT_SIG_ED25519, sig, call,
	    calllen) == 0 && w.len == calllen + 105 &&
	    w.len <= calllen + EXT_OVERHEAD_MAX, "mortal extrinsic assembled");
	scale_rd_init(&rd, ext, w.len);
	ok(scale_get_compact(&rd, &len) == 0 && len == w.len - rd.off,
	    "  length prefix counts the two era bytes");
	is_hex(ext + rd.off + 99, 4, "8502" "0c" "00",
	    "  era, compact nonce, tip after the signature");
	ok(memcmp(ext + w.len - calllen, call, calllen) == 0 &&
	    crypto_sign_verify_detached(ext + rd.off + 35, msg, mlen, pub) ==
	    0, "  call last; the signature verifies over the payload");
	scale_wr_init(&w, ext, calllen + 104);
	ok(ext_assemble(&w, &x, pub, EXT_SIG_ED25519, sig, call,
	    calllen) == -1 && w.err, "  one byte short: overflow");
	scale_wr_init(&w, payload, plen - 1);
	ok(ext_payload(&w, &x, call, calllen) == -1 && w.err,
	    "  payload one byte short: overflow");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_twox128();
	test_keys();
	test_twin_decode();
	test_twin_bad();
	test_twin_encode_bad();
	test_twin_id();
	test_call();
	test_extrinsic();
	test_era();
	test_extrinsic_mortal();
	return done_testing();
}
