/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <string.h>

#include "ipc_keyd.h"
#include "jwt.h"

/* A field over its bound poisons the frame: ipc_close() then fails. */
static void
put_bytes(struct ipc_buf *b, const void *p, size_t len, size_t max)
{
	if (b != NULL && len > max)
		b->err = EINVAL;
	ipc_put_bytes(b, p, len);
}

static void
put_str(struct ipc_buf *b, const char *s, size_t cap)
{
	put_bytes(b, s, strlen(s), cap - 1);
}

static int
start(struct ipc_rd *rd, const struct ipc_msg *m, uint32_t type)
{
	ipc_rd_init(rd, m);
	return m->hdr.type == type ? 0 : -1;
}

static int
get_fixed(struct ipc_rd *rd, uint8_t *out, size_t n)
{
	const uint8_t	*p;
	size_t		 len;

	if (ipc_get_bytes(rd, &p, &len, n) == -1 || len != n)
		return -1;
	memcpy(out, p, n);
	return 0;
}

/* An empty message: nothing but its type. */
static int
get_empty(const struct ipc_msg *m, uint32_t type)
{
	return m->hdr.type == type && m->datalen == 0 ? 0 : -1;
}

/* One u32: the layout of SET_TWIN and JWT. */
static int
put_u32(struct ipc_chan *c, uint32_t type, uint32_t id, uint32_t v)
{
	struct ipc_buf	*b = ipc_create(type, id, 4);

	ipc_put_u32(b, v);
	return ipc_close(c, b);
}

static int
get_u32(const struct ipc_msg *m, uint32_t type, uint32_t *v)
{
	struct ipc_rd	rd;

	if (start(&rd, m, type) == -1 || ipc_get_u32(&rd, v) == -1)
		return -1;
	return ipc_get_end(&rd);
}

/* One bytes field of at most max: the layout of most replies. */
static int
put_one(struct ipc_chan *c, uint32_t type, uint32_t id, const void *p,
    size_t len, size_t max)
{
	struct ipc_buf	*b = ipc_create(type, id, len + 4);

	put_bytes(b, p, len, max);
	return ipc_close(c, b);
}

static int
get_one(const struct ipc_msg *m, uint32_t type, const uint8_t **p,
    size_t *len, size_t max)
{
	struct ipc_rd	rd;

	if (start(&rd, m, type) == -1 ||
	    ipc_get_bytes(&rd, p, len, max) == -1)
		return -1;
	return ipc_get_end(&rd);
}

int
keyd_config_put(struct ipc_chan *c, const struct keyd_config *k)
{
	struct ipc_buf	*b = ipc_create(IPC_KEYD_CONFIG, 0, 512);
	size_t		 i;

	if (b != NULL && k->ndomains > RELAYS_MAX)
		b->err = EINVAL;
	ipc_put_u32(b, k->key_type);
	ipc_put_u32(b, k->source);
	put_str(b, k->path, sizeof(k->path));
	ipc_put_u32(b, k->pallet);
	ipc_put_u32(b, k->call);
	ipc_put_u32(b, (uint32_t)k->ndomains);
	for (i = 0; i < k->ndomains && i < RELAYS_MAX; i++)
		put_str(b, k->domains[i], sizeof(k->domains[i]));
	put_str(b, k->jail, sizeof(k->jail));
	put_str(b, k->user, sizeof(k->user));
	return ipc_close(c, b);
}

int
keyd_config_get(const struct ipc_msg *m, struct keyd_config *k)
{
	struct ipc_rd	rd;
	uint32_t	n, i;

	memset(k, 0, sizeof(*k));
	if (start(&rd, m, IPC_KEYD_CONFIG) == -1 ||
	    ipc_get_u32(&rd, &k->key_type) == -1 || k->key_type > KEY_ED25519 ||
	    ipc_get_u32(&rd, &k->source) == -1 ||
	    k->source > KEYD_SECRET_CREDENTIALS ||
	    ipc_get_str(&rd, k->path, sizeof(k->path)) == -1 ||
	    ipc_get_u32(&rd, &k->pallet) == -1 || k->pallet > UINT8_MAX ||
	    ipc_get_u32(&rd, &k->call) == -1 || k->call > UINT8_MAX ||
	    ipc_get_u32(&rd, &n) == -1 || n > RELAYS_MAX)
		return -1;
	for (k->ndomains = n, i = 0; i < n; i++)
		if (ipc_get_str(&rd, k->domains[i],
		    sizeof(k->domains[i])) == -1 ||
		    relay_domain_check(k->domains[i]) != NULL)
			return -1;
	if (ipc_get_str(&rd, k->jail, sizeof(k->jail)) == -1 ||
	    ipc_get_str(&rd, k->user, sizeof(k->user)) == -1)
		return -1;
	return ipc_get_end(&rd);
}

int
keyd_identity_req_put(struct ipc_chan *c, uint32_t id)
{
	return ipc_close(c, ipc_create(IPC_KEYD_IDENTITY, id, 0));
}

int
keyd_identity_req_get(const struct ipc_msg *m)
{
	return get_empty(m, IPC_KEYD_IDENTITY);
}

int
keyd_identity_put(struct ipc_chan *c, uint32_t id,
    const struct keyd_identity *k)
{
	struct ipc_buf	*b = ipc_create(IPC_KEYD_IDENTITY, id, 96);

	ipc_put_u32(b, k->key_type);
	ipc_put_bytes(b, k->account, sizeof(k->account));
	ipc_put_bytes(b, k->pk, sizeof(k->pk));
	return ipc_close(c, b);
}

int
keyd_identity_get(const struct ipc_msg *m, struct keyd_identity *k)
{
	struct ipc_rd	rd;

	if (start(&rd, m, IPC_KEYD_IDENTITY) == -1 ||
	    ipc_get_u32(&rd, &k->key_type) == -1 || k->key_type > KEY_ED25519 ||
	    get_fixed(&rd, k->account, sizeof(k->account)) == -1 ||
	    get_fixed(&rd, k->pk, sizeof(k->pk)) == -1)
		return -1;
	return ipc_get_end(&rd);
}

int
keyd_set_twin_put(struct ipc_chan *c, uint32_t id,
    const struct keyd_set_twin *s)
{
	return put_u32(c, IPC_KEYD_SET_TWIN, id, s->twin);
}

int
keyd_set_twin_get(const struct ipc_msg *m, struct keyd_set_twin *s)
{
	return get_u32(m, IPC_KEYD_SET_TWIN, &s->twin);
}

int
keyd_set_twin_rep_put(struct ipc_chan *c, uint32_t id)
{
	return ipc_close(c, ipc_create(IPC_KEYD_SET_TWIN, id, 0));
}

int
keyd_set_twin_rep_get(const struct ipc_msg *m)
{
	return get_empty(m, IPC_KEYD_SET_TWIN);
}

int
keyd_sign_put(struct ipc_chan *c, uint32_t id, const struct keyd_sign *s)
{
	return put_one(c, IPC_KEYD_SIGN_ENVELOPE, id, s->env, s->len,
	    ENVELOPE_MAX);
}

int
keyd_sign_get(const struct ipc_msg *m, struct keyd_sign *s)
{
	return get_one(m, IPC_KEYD_SIGN_ENVELOPE, &s->env, &s->len,
	    ENVELOPE_MAX);
}

int
keyd_signature_put(struct ipc_chan *c, uint32_t id,
    const struct keyd_signature *s)
{
	return put_one(c, IPC_KEYD_SIGN_ENVELOPE, id, s->sig, sizeof(s->sig),
	    sizeof(s->sig));
}

int
keyd_signature_get(const struct ipc_msg *m, struct keyd_signature *s)
{
	const uint8_t	*p;
	size_t		 n;

	if (get_one(m, IPC_KEYD_SIGN_ENVELOPE, &p, &n, sizeof(s->sig)) == -1 ||
	    n != sizeof(s->sig))
		return -1;
	memcpy(s->sig, p, n);
	return 0;
}

static int
crypt_type(uint32_t type)
{
	return type == IPC_KEYD_SEAL || type == IPC_KEYD_OPEN;
}

int
keyd_crypt_put(struct ipc_chan *c, uint32_t id, const struct keyd_crypt *k)
{
	struct ipc_buf	*b = ipc_create(k->type, id, k->pklen + k->len + 8);

	if (b != NULL && !crypt_type(k->type))
		b->err = EINVAL;
	put_bytes(b, k->pk, k->pklen, E2E_PK_MAX_BYTES);
	put_bytes(b, k->data, k->len, ENVELOPE_MAX);
	return ipc_close(c, b);
}

int
keyd_crypt_get(const struct ipc_msg *m, struct keyd_crypt *k)
{
	struct ipc_rd	rd;

	k->type = m->hdr.type;
	ipc_rd_init(&rd, m);
	if (!crypt_type(k->type) ||
	    ipc_get_bytes(&rd, &k->pk, &k->pklen, E2E_PK_MAX_BYTES) == -1 ||
	    ipc_get_bytes(&rd, &k->data, &k->len, ENVELOPE_MAX) == -1)
		return -1;
	return ipc_get_end(&rd);
}

int
keyd_crypted_put(struct ipc_chan *c, uint32_t id,
    const struct keyd_crypted *k)
{
	if (!crypt_type(k->type)) {
		errno = EINVAL;
		return -1;
	}
	return put_one(c, k->type, id, k->data, k->len, KEYD_CRYPT_MAX);
}

int
keyd_crypted_get(const struct ipc_msg *m, struct keyd_crypted *k)
{
	k->type = m->hdr.type;
	if (!crypt_type(k->type))
		return -1;
	return get_one(m, k->type, &k->data, &k->len, KEYD_CRYPT_MAX);
}

int
keyd_jwt_put(struct ipc_chan *c, uint32_t id, const struct keyd_jwt *j)
{
	return put_u32(c, IPC_KEYD_JWT, id, j->ttl);
}

int
keyd_jwt_get(const struct ipc_msg *m, struct keyd_jwt *j)
{
	return get_u32(m, IPC_KEYD_JWT, &j->ttl);
}

int
keyd_token_put(struct ipc_chan *c, uint32_t id, const struct keyd_token *t)
{
	return put_one(c, IPC_KEYD_JWT, id, t->tok, t->len, JWT_MAX - 1);
}

int
keyd_token_get(const struct ipc_msg *m, struct keyd_token *t)
{
	const uint8_t	*p;

	if (get_one(m, IPC_KEYD_JWT, &p, &t->len, JWT_MAX - 1) == -1 ||
	    memchr(p, '\0', t->len) != NULL)
		return -1;
	t->tok = (const char *)p;
	return 0;
}

int
keyd_update_twin_put(struct ipc_chan *c, uint32_t id,
    const struct keyd_update_twin *u)
{
	struct ipc_buf	*b;

	b = ipc_create(IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, id, 96);
	ipc_put_u32(b, u->nonce);
	ipc_put_u32(b, u->spec_version);
	ipc_put_u32(b, u->tx_version);
	ipc_put_bytes(b, u->genesis, sizeof(u->genesis));
	ipc_put_u64(b, u->block);
	ipc_put_bytes(b, u->hash, sizeof(u->hash));
	return ipc_close(c, b);
}

int
keyd_update_twin_get(const struct ipc_msg *m, struct keyd_update_twin *u)
{
	struct ipc_rd	rd;

	if (start(&rd, m, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL) == -1 ||
	    ipc_get_u32(&rd, &u->nonce) == -1 ||
	    ipc_get_u32(&rd, &u->spec_version) == -1 ||
	    ipc_get_u32(&rd, &u->tx_version) == -1 ||
	    get_fixed(&rd, u->genesis, sizeof(u->genesis)) == -1 ||
	    ipc_get_u64(&rd, &u->block) == -1 ||
	    get_fixed(&rd, u->hash, sizeof(u->hash)) == -1)
		return -1;
	return ipc_get_end(&rd);
}

int
keyd_extrinsic_put(struct ipc_chan *c, uint32_t id,
    const struct keyd_extrinsic *x)
{
	return put_one(c, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, id, x->ext, x->len,
	    KEYD_EXTRINSIC_MAX);
}

int
keyd_extrinsic_get(const struct ipc_msg *m, struct keyd_extrinsic *x)
{
	return get_one(m, IPC_KEYD_SIGN_UPDATE_TWIN_MORTAL, &x->ext, &x->len,
	    KEYD_EXTRINSIC_MAX);
}

int
keyd_error_put(struct ipc_chan *c, uint32_t id, const struct keyd_error *e)
{
	struct ipc_buf	*b = ipc_create(IPC_KEYD_ERROR, id, 64);

	ipc_put_u32(b, e->code);
	put_str(b, e->msg, sizeof(e->msg));
	return ipc_close(c, b);
}

int
keyd_error_get(const struct ipc_msg *m, struct keyd_error *e)
{
	struct ipc_rd	rd;

	if (start(&rd, m, IPC_KEYD_ERROR) == -1 ||
	    ipc_get_u32(&rd, &e->code) == -1 ||
	    ipc_get_str(&rd, e->msg, sizeof(e->msg)) == -1)
		return -1;
	return ipc_get_end(&rd);
}
