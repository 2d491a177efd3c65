/* SPDX-License-Identifier: ISC */
/*
 * proto/ipc_keyd.[ch]: every message of keyd's channels put and got back
 * equal; its bytes those of the layout written out here field by field
 * (the wire keyd and netd spoke before the codec); every truncation and
 * one byte more refused; values out of range refused, by get and, where
 * it can see them, by put.
 */
#include <errno.h>
#include <string.h>

#include "ipc_extra.h"
#include "ipc_keyd.h"
#include "jwt.h"
#include "tap.h"

static struct ipc_chan	chan;

/* The frame put last queued on chan, as its receiver sees it. */
static void
last(struct ipc_msg *m)
{
	if (ipc_last(&chan, m) == -1)
		abort();
}

/* A frame of type with the payload a raw writer made. */
static void
raw(struct ipc_msg *m, uint32_t type, struct ipc_buf *b)
{
	if (ipc_close(&chan, b) == -1)
		abort();
	last(m);
	m->hdr.type = type;
}

static struct keyd_config	config_in, config_out;
static struct keyd_identity	ident_in, ident_out;
static struct keyd_set_twin	twin_in = { 7 }, twin_out;
static uint8_t			env[300], data[100], pk[E2E_PK_BYTES];
static struct keyd_bytes	signed_in = { env, sizeof(env) }, signed_out;
static struct keyd_crypt	crypt_in, crypt_out;
static struct keyd_crypt	sign_in = { NULL, 0, env, sizeof(env) },
				sign_out;
static struct keyd_bytes	crypted_in, crypted_out;
static struct keyd_jwt		jwt_in = { 300 }, jwt_out;
static struct keyd_token	tok_in = { "eyJ.eyJ.sig" }, tok_out;
static struct keyd_update_twin	upd_in, upd_out;
static struct keyd_bytes	ext_in = { env, 200 }, ext_out;
static struct keyd_error	err_in = { 106, "e2e error: malformed" },
				err_out;

static int
config_put(void)
{
	return keyd_req_put(&chan, IPC_KEYD_CONFIG, 0, &config_in);
}

static int
config_get(const struct ipc_msg *m)
{
	return keyd_req_get(m, IPC_KEYD_CONFIG, &config_out) == -1 ? -1 :
	    memcmp(&config_in, &config_out, sizeof(config_in)) != 0;
}

static void
config_wire(struct ipc_buf *b)
{
	ipc_put_u32(b, KEY_ED25519);
	ipc_put_u32(b, KEYD_SECRET_FILE);
	ipc_put_str(b, "/etc/rmb/mnemonic");
	ipc_put_u32(b, 25);
	ipc_put_u32(b, 18);
	ipc_put_str(b, "r1.example_relay.grid.tf");
	ipc_put_str(b, "/run/rmb-peer");
	ipc_put_str(b, "_rmb-keyd");
}

static int
ident_req_put(void)
{
	return keyd_req_put(&chan, IPC_KEYD_IDENTITY, 5, NULL);
}

static int
ident_req_get(const struct ipc_msg *m)
{
	return keyd_req_get(m, IPC_KEYD_IDENTITY, NULL);
}

static void
empty_wire(struct ipc_buf *b)
{
	(void)b;
}

static int
ident_put(void)
{
	return keyd_rep_put(&chan, IPC_KEYD_IDENTITY, 5, &ident_in);
}

static int
ident_get(const struct ipc_msg *m)
{
	return keyd_rep_get(m, IPC_KEYD_IDENTITY, &ident_out) == -1 ? -1 :
	    memcmp(&ident_in, &ident_out, sizeof(ident_in)) != 0;
}

static void
ident_wire(struct ipc_buf *b)
{
	ipc_put_u32(b, ident_in.key_type);
	ipc_put_bytes(b, ident_in.account, 32);
	ipc_put_bytes(b, ident_in.pk, 33);
}

static int
twin_put(void)
{
	return keyd_req_put(&chan, IPC_KEYD_SET_TWIN, 5, &twin_in);
}

static int
twin_get(const struct ipc_msg *m)
{
	return keyd_req_get(m, IPC_KEYD_SET_TWIN, &twin_out) == -1 ? -1 :
	    twin_out.twin != twin_in.twin;
}

static void
u32_wire(struct ipc_buf *b)
{
	ipc_put_u32(b, 7);
}

static int
twin_rep_put(void)
{
	return keyd_rep_put(&chan, IPC_KEYD_SET_TWIN, 5, NULL);
}

static int
twin_rep_get(const struct ipc_msg *m)
{
	return keyd_rep_get(m, IPC_KEYD_SET_TWIN, NULL);
}

/* SEAL_SIGN without a key: an empty bytes field, then the envelope. */
static int
sign_put(void)
{
	return keyd_req_put(&chan, IPC_KEYD_SEAL_SIGN, 5, &sign_in);
}

static int
sign_get(const struct ipc_msg *m)
{
	return keyd_req_get(m, IPC_KEYD_SEAL_SIGN, &sign_out) == -1 ? -1 :
	    sign_out.pklen != 0 || sign_out.len != sign_in.len ||
	    memcmp(sign_out.data, sign_in.data, sign_in.len) != 0;
}

static void
sign_wire(struct ipc_buf *b)
{
	ipc_put_bytes(b, NULL, 0);
	ipc_put_bytes(b, env, sizeof(env));
}

static int
signed_put(void)
{
	return keyd_rep_put(&chan, IPC_KEYD_SEAL_SIGN, 5, &signed_in);
}

static int
signed_get(const struct ipc_msg *m)
{
	return keyd_rep_get(m, IPC_KEYD_SEAL_SIGN, &signed_out) == -1 ? -1 :
	    signed_out.len != signed_in.len ||
	    memcmp(signed_out.data, signed_in.data, signed_in.len) != 0;
}

static void
env_wire(struct ipc_buf *b)
{
	ipc_put_bytes(b, env, sizeof(env));
}

/* SEAL_SIGN with the receiver's key. */
static int
crypt_put(void)
{
	return keyd_req_put(&chan, IPC_KEYD_SEAL_SIGN, 5, &crypt_in);
}

static int
crypt_get(const struct ipc_msg *m)
{
	return keyd_req_get(m, IPC_KEYD_SEAL_SIGN, &crypt_out) == -1 ? -1 :
	    crypt_out.pklen != crypt_in.pklen ||
	    memcmp(crypt_out.pk, crypt_in.pk, crypt_in.pklen) != 0 ||
	    crypt_out.len != crypt_in.len ||
	    memcmp(crypt_out.data, crypt_in.data, crypt_in.len) != 0;
}

static void
crypt_wire(struct ipc_buf *b)
{
	ipc_put_bytes(b, pk, sizeof(pk));
	ipc_put_bytes(b, data, sizeof(data));
}

static int
crypted_put(void)
{
	return keyd_rep_put(&chan, IPC_KEYD_OPEN, 5, &crypted_in);
}

static int
crypted_get(const struct ipc_msg *m)
{
	return keyd_rep_get(m, IPC_KEYD_OPEN, &crypted_out) == -1 ? -1 :
	    crypted_out.len != crypted_in.len ||
	    memcmp(crypted_out.data, crypted_in.data, crypted_in.len) != 0;
}

static void
data_wire(struct ipc_buf *b)
{
	ipc_put_bytes(b, data, sizeof(data));
}

static int
jwt_put(void)
{
	return keyd_req_put(&chan, IPC_KEYD_JWT, 5, &jwt_in);
}

static int
jwt_get(const struct ipc_msg *m)
{
	return keyd_req_get(m, IPC_KEYD_JWT, &jwt_out) == -1 ? -1 :
	    jwt_out.ttl != jwt_in.ttl;
}

static void
ttl_wire(struct ipc_buf *b)
{
	ipc_put_u32(b, 300);
}

static int
tok_put(void)
{
	return keyd_rep_put(&chan, IPC_KEYD_JWT, 5, &tok_in);
}

static int
tok_get(const struct ipc_msg *m)
{
	return keyd_rep_get(m, IPC_KEYD_JWT, &tok_out) == -1 ? -1 :
	    strcmp(tok_out.tok, tok_in.tok) != 0;
}

static void
tok_wire(struct ipc_buf *b)
{
	ipc_put_bytes(b, "eyJ.eyJ.sig", 11);
}

static int
upd_put(void)
{
	return keyd_req_put(&chan, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, 5,
	    &upd_in);
}

static int
upd_get(const struct ipc_msg *m)
{
	return keyd_req_get(m, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, &upd_out) ==
	    -1 ? -1 :
	    memcmp(&upd_in, &upd_out, sizeof(upd_in)) != 0;
}

static void
upd_wire(struct ipc_buf *b)
{
	ipc_put_u32(b, upd_in.x.nonce);
	ipc_put_u32(b, upd_in.x.spec_version);
	ipc_put_u32(b, upd_in.x.tx_version);
	ipc_put_bytes(b, upd_in.x.genesis, 32);
	ipc_put_u64(b, upd_in.block);
	ipc_put_bytes(b, upd_in.x.checkpoint, 32);
}

static int
ext_put(void)
{
	return keyd_rep_put(&chan, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, 5,
	    &ext_in);
}

static int
ext_get(const struct ipc_msg *m)
{
	return keyd_rep_get(m, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, &ext_out) ==
	    -1 ? -1 : ext_out.len != ext_in.len ||
	    memcmp(ext_out.data, ext_in.data, ext_in.len) != 0;
}

static void
ext_wire(struct ipc_buf *b)
{
	ipc_put_bytes(b, env, 200);
}

static int
err_put(void)
{
	return keyd_rep_put(&chan, IPC_KEYD_ERROR, 5, &err_in);
}

static int
err_get(const struct ipc_msg *m)
{
	return keyd_rep_get(m, IPC_KEYD_ERROR, &err_out) == -1 ? -1 :
	    err_out.code != err_in.code || strcmp(err_out.msg, err_in.msg);
}

static void
err_wire(struct ipc_buf *b)
{
	ipc_put_u32(b, 106);
	ipc_put_str(b, "e2e error: malformed");
}

static const struct codec {
	const char	*name;
	uint32_t	 type, id;
	int		(*put)(void);
	int		(*get)(const struct ipc_msg *);	/* 0 equal */
	void		(*wire)(struct ipc_buf *);
} codecs[] = {
	{ "KEYD_CONFIG", IPC_KEYD_CONFIG, 0, config_put, config_get,
	    config_wire },
	{ "IDENTITY request", IPC_KEYD_IDENTITY, 5, ident_req_put,
	    ident_req_get, empty_wire },
	{ "IDENTITY reply", IPC_KEYD_IDENTITY, 5, ident_put, ident_get,
	    ident_wire },
	{ "SET_TWIN request", IPC_KEYD_SET_TWIN, 5, twin_put, twin_get,
	    u32_wire },
	{ "SET_TWIN reply", IPC_KEYD_SET_TWIN, 5, twin_rep_put, twin_rep_get,
	    empty_wire },
	{ "SEAL_SIGN request without a key", IPC_KEYD_SEAL_SIGN, 5,
	    sign_put, sign_get, sign_wire },
	{ "SEAL_SIGN request", IPC_KEYD_SEAL_SIGN, 5, crypt_put, crypt_get,
	    crypt_wire },
	{ "SEAL_SIGN reply", IPC_KEYD_SEAL_SIGN, 5, signed_put, signed_get,
	    env_wire },
	{ "OPEN reply", IPC_KEYD_OPEN, 5, crypted_put, crypted_get,
	    data_wire },
	{ "JWT request", IPC_KEYD_JWT, 5, jwt_put, jwt_get, ttl_wire },
	{ "JWT reply", IPC_KEYD_JWT, 5, tok_put, tok_get, tok_wire },
	{ "SIGN_UPDATE_TWIN_MORTAL request", IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL,
	    5, upd_put, upd_get, upd_wire },
	{ "SIGN_UPDATE_TWIN_MORTAL reply", IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL,
	    5, ext_put, ext_get, ext_wire },
	{ "KEYD_ERROR", IPC_KEYD_ERROR, 5, err_put, err_get, err_wire },
};

static void
samples(void)
{
	size_t	i;

	config_in.key_type = KEY_ED25519;
	config_in.source = KEYD_SECRET_FILE;
	strcpy(config_in.path, "/etc/rmb/mnemonic");
	config_in.pallet = 25;
	config_in.call = 18;
	strcpy(config_in.relay, "r1.example_relay.grid.tf");
	strcpy(config_in.jail, "/run/rmb-peer");
	strcpy(config_in.user, "_rmb-keyd");
	ident_in.key_type = KEY_SR25519;
	for (i = 0; i < sizeof(env); i++)
		env[i] = (uint8_t)(i * 7);
	memcpy(ident_in.account, env, 32);
	memset(pk, 0x02, sizeof(pk));
	memcpy(ident_in.pk, pk, sizeof(pk));
	memset(data, 0xd7, sizeof(data));
	crypt_in = (struct keyd_crypt){ pk, sizeof(pk), data, sizeof(data) };
	crypted_in = (struct keyd_bytes){ data, sizeof(data) };
	upd_in.x.nonce = 4;
	upd_in.x.spec_version = 144;
	upd_in.x.tx_version = 2;
	memset(upd_in.x.genesis, 0x45, 32);
	upd_in.block = 1000;
	memset(upd_in.x.checkpoint, 0xab, 32);
}

static void
test_codec(const struct codec *c)
{
	struct ipc_msg	 m, t;
	struct ipc_buf	*w;
	uint8_t		 more[1024];
	size_t		 n;
	int		 refused = 0;

	ok(c->put() == 0, "%s: put", c->name);
	last(&m);
	ok(m.hdr.type == c->type && m.hdr.id == c->id &&
	    m.hdr.len == IPC_HDR_SIZE + m.datalen, "%s: type, id, length",
	    c->name);
	ok(c->get(&m) == 0, "%s: got back equal", c->name);
	w = ipc_create(c->type, c->id, 0);
	c->wire(w);
	ok(w != NULL && w->err == 0 && w->len - IPC_HDR_SIZE == m.datalen &&
	    memcmp(w->buf + IPC_HDR_SIZE, m.data, m.datalen) == 0,
	    "%s: the bytes of its layout", c->name);
	ipc_buf_free(w);
	for (n = 0, t = m; n < m.datalen; n++) {
		t.datalen = n;
		t.hdr.len = (uint32_t)(IPC_HDR_SIZE + n);
		refused += c->get(&t) == -1;
	}
	ok(refused == (int)m.datalen, "%s: each of its %zu truncations "
	    "refused", c->name, m.datalen);
	if (m.datalen < sizeof(more)) {
		memcpy(more, m.data, m.datalen);
		more[m.datalen] = 0;
		t = m;
		t.data = more;
		t.datalen = m.datalen + 1;
		ok(c->get(&t) == -1, "%s: one byte more refused", c->name);
	} else
		ok(0, "%s: test buffer too small", c->name);
	t = m;
	t.hdr.type = c->type == IPC_KEYD_ERROR ? IPC_KEYD_JWT : IPC_KEYD_ERROR;
	ok(c->get(&t) == -1, "%s: under another type refused", c->name);
}

/* A configuration whose one field is changed by what(). */
static int
config_with(void (*what)(struct ipc_buf *, int), int arg)
{
	struct ipc_msg	 m;
	struct ipc_buf	*b = ipc_create(0, 0, 0);

	what(b, arg);
	raw(&m, IPC_KEYD_CONFIG, b);
	return keyd_req_get(&m, IPC_KEYD_CONFIG, &config_out);
}

/* Field k (0 key type, 1 source, 3 pallet, 4 call) set to v. */
static void
config_u32(struct ipc_buf *b, int k)
{
	static const uint32_t	bad[] = { 2, 3, 0, 256, 256 };
	uint32_t		v[5] = { 0, 0, 0, 25, 18 };

	v[k] = bad[k];
	ipc_put_u32(b, v[0]);
	ipc_put_u32(b, v[1]);
	ipc_put_str(b, "");
	ipc_put_u32(b, v[3]);
	ipc_put_u32(b, v[4]);
	ipc_put_str(b, "relay.example");
	ipc_put_str(b, "");
	ipc_put_str(b, "");
}

/*
 * A relay field of k bytes (TWIN_RELAY_MAX at most), or (-1) one with
 * a NUL, or (-2) a user over USER_NAME_MAX.
 */
static void
config_field(struct ipc_buf *b, int k)
{
	char	user[USER_NAME_MAX + 2], relay[TWIN_RELAY_MAX + 2];

	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	memset(relay, 'r', sizeof(relay));
	ipc_put_u32(b, 0);
	ipc_put_u32(b, 0);
	ipc_put_str(b, "");
	ipc_put_u32(b, 25);
	ipc_put_u32(b, 18);
	if (k == -1)
		ipc_put_bytes(b, "relay\0.example", 14);
	else
		ipc_put_bytes(b, relay, k < 0 ? 13 : (size_t)k);
	ipc_put_str(b, "");
	ipc_put_str(b, k == -2 ? user : "_rmb-keyd");
}

static void
test_ranges(void)
{
	static const char *const fields[] = { "key type 2", "secret source 3",
	    "", "pallet 256", "call 256" };
	struct keyd_config	 k;
	struct ipc_msg		 m;
	struct ipc_buf		*b;
	int			 f;
	char			 big[JWT_MAX + 1];

	for (f = 0; f < 5; f++)
		if (f != 2)
			ok(config_with(config_u32, f) == -1,
			    "KEYD_CONFIG: %s refused", fields[f]);
	ok(config_with(config_field, TWIN_RELAY_MAX) == 0 &&
	    strlen(config_out.relay) == TWIN_RELAY_MAX,
	    "KEYD_CONFIG: a relay field of %d bytes taken", TWIN_RELAY_MAX);
	ok(config_with(config_field, TWIN_RELAY_MAX + 1) == -1,
	    "KEYD_CONFIG: a relay field of %d bytes refused",
	    TWIN_RELAY_MAX + 1);
	ok(config_with(config_field, -1) == -1,
	    "KEYD_CONFIG: a relay field with a NUL refused");
	ok(config_with(config_field, 0) == 0 && config_out.relay[0] == '\0',
	    "KEYD_CONFIG: no relay field taken");
	ok(config_with(config_field, -2) == -1,
	    "KEYD_CONFIG: a user of 33 bytes refused");

	b = ipc_create(0, 0, 0);
	ipc_put_u32(b, 2);
	ipc_put_bytes(b, env, 32);
	ipc_put_bytes(b, pk, 33);
	raw(&m, IPC_KEYD_IDENTITY, b);
	ok(keyd_rep_get(&m, IPC_KEYD_IDENTITY, &ident_out) == -1,
	    "IDENTITY reply: key type 2 refused");
	b = ipc_create(0, 0, 0);
	ipc_put_u32(b, 0);
	ipc_put_bytes(b, env, 32);
	ipc_put_bytes(b, env, 65);
	raw(&m, IPC_KEYD_IDENTITY, b);
	ok(keyd_rep_get(&m, IPC_KEYD_IDENTITY, &ident_out) == -1,
	    "IDENTITY reply: a 65-byte pk refused");
	b = ipc_create(0, 0, 0);
	ipc_put_bytes(b, env, 66);
	ipc_put_bytes(b, data, 1);
	raw(&m, IPC_KEYD_SEAL_SIGN, b);
	ok(keyd_req_get(&m, IPC_KEYD_SEAL_SIGN, &crypt_out) == -1,
	    "SEAL_SIGN request: a 66-byte pk refused");
	b = ipc_create(0, 0, 0);
	ipc_put_bytes(b, env, sizeof(env));
	raw(&m, IPC_KEYD_SEAL_SIGN, b);
	ok(keyd_req_get(&m, IPC_KEYD_SEAL_SIGN, &crypt_out) == -1,
	    "SEAL_SIGN request: the envelope alone (202's layout) refused");
	b = ipc_create(0, 0, 0);
	ipc_put_bytes(b, pk, 33);
	ipc_put_bytes(b, data, 1);
	raw(&m, IPC_KEYD_JWT, b);
	ok(keyd_req_get(&m, IPC_KEYD_SEAL_SIGN, &crypt_out) == -1,
	    "SEAL_SIGN's layout under the JWT type refused");
	b = ipc_create(0, 0, 0);
	ipc_put_bytes(b, pk, 33);
	ipc_put_bytes(b, data, 1);
	raw(&m, 204, b);
	ok(keyd_req_get(&m, 204, &crypt_out) == -1 &&
	    keyd_req_get(&m, IPC_KEYD_SEAL_SIGN, &crypt_out) == -1,
	    "retired 204 (SEAL) has no layout, nor is it SEAL_SIGN");
	b = ipc_create(0, 0, 0);
	ipc_put_bytes(b, env, 65);
	raw(&m, 202, b);
	ok(keyd_rep_get(&m, 202, &signed_out) == -1,
	    "retired 202 (SIGN_ENVELOPE) reply has no layout");
	b = ipc_create(0, 0, 0);
	ipc_put_bytes(b, "a\0b", 3);
	raw(&m, IPC_KEYD_JWT, b);
	ok(keyd_rep_get(&m, IPC_KEYD_JWT, &tok_out) == -1,
	    "JWT reply: a NUL refused");
	b = ipc_create(0, 0, 0);
	ipc_put_u32(b, 1);
	ipc_put_u32(b, 1);
	ipc_put_u32(b, 1);
	ipc_put_bytes(b, env, 32);
	ipc_put_u64(b, 1);
	ipc_put_bytes(b, env, 31);
	raw(&m, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, b);
	ok(keyd_req_get(&m, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, &upd_out) == -1,
	    "SIGN_UPDATE_TWIN_MORTAL: a 31-byte block hash refused");
	memset(big, 'x', sizeof(big) - 1);
	big[KEYD_ERRMSG_MAX] = '\0';
	b = ipc_create(0, 0, 0);
	ipc_put_u32(b, 500);
	ipc_put_str(b, big);
	raw(&m, IPC_KEYD_ERROR, b);
	ok(keyd_rep_get(&m, IPC_KEYD_ERROR, &err_out) == -1,
	    "KEYD_ERROR: a message of %d bytes refused", KEYD_ERRMSG_MAX);

	/* What a receiver would refuse, put does not send. */
	k = config_in;
	memset(k.relay, 'r', sizeof(k.relay));
	ok(keyd_req_put(&chan, IPC_KEYD_CONFIG, 0, &k) == -1 &&
	    errno == EINVAL, "put: a relay field that fills its array refused");
	k = config_in;
	k.pallet = 256;
	ok(keyd_req_put(&chan, IPC_KEYD_CONFIG, 0, &k) == -1 &&
	    errno == EINVAL, "put: pallet 256 refused");
	k.pallet = 25;
	memset(k.user, 'u', sizeof(k.user));
	ok(keyd_req_put(&chan, IPC_KEYD_CONFIG, 0, &k) == -1 &&
	    errno == EINVAL, "put: a user that fills its array refused");
	ident_in.key_type = 2;
	ok(keyd_rep_put(&chan, IPC_KEYD_IDENTITY, 1, &ident_in) == -1 &&
	    errno == EINVAL, "put: key type 2 refused");
	ident_in.key_type = KEY_SR25519;
	ok(keyd_req_put(&chan, IPC_KEYD_SEAL_SIGN, 1, &(struct keyd_crypt){
	    NULL, 0, env, ENVELOPE_MAX + 1 }) == -1 && errno == EINVAL,
	    "put: an envelope over ENVELOPE_MAX refused");
	ok(keyd_rep_put(&chan, IPC_KEYD_SEAL_SIGN, 1, &(struct keyd_bytes){
	    env, ENVELOPE_MAX + 1 }) == -1 && errno == EINVAL &&
	    keyd_rep_put(&chan, IPC_KEYD_OPEN, 1, &(struct keyd_bytes){
	    env, ENVELOPE_MAX + 1 }) == -1 && errno == EINVAL,
	    "put: a signed envelope or a plaintext over ENVELOPE_MAX refused");
	ok(keyd_req_put(&chan, IPC_KEYD_SEAL_SIGN, 1, &(struct keyd_crypt){
	    env, E2E_PK_MAX_BYTES + 1, data, 1 }) == -1,
	    "put: a pk over 65 bytes refused");
	ok(keyd_req_put(&chan, 202, 1, &sign_in) == -1 && errno == EINVAL &&
	    keyd_req_put(&chan, 204, 1, &crypt_in) == -1 && errno == EINVAL,
	    "put: the retired 202 and 204 refused");
	ok(keyd_req_put(&chan, IPC_KEYD_ERROR, 1, &err_in) == -1 &&
	    errno == EINVAL && keyd_rep_put(&chan, IPC_KEYD_CONFIG, 1,
	    &config_in) == -1 && errno == EINVAL,
	    "put: a type of the other direction refused");
	memset(tok_out.tok, 'x', sizeof(tok_out.tok));
	ok(keyd_rep_put(&chan, IPC_KEYD_JWT, 1, &tok_out) == -1,
	    "put: a token of JWT_MAX bytes refused");
}

int
main(void)
{
	size_t	i;

	if (ipc_init(&chan, -1) == -1)
		return 1;
	samples();
	for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		test_codec(&codecs[i]);
	test_ranges();
	ipc_clear(&chan);
	return done_testing();
}
