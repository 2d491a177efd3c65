/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <sodium.h>
#include <xxhash.h>

#include "tfchain_read.h"

/* Each entity is at least a u32 and a one-byte compact length. */
#define ENTITY_MIN	5

enum {
	OPT_OK,
	OPT_BAD_TAG,
	OPT_BAD_LEN,
	OPT_TOO_LONG,
	OPT_SHORT
};

static const char *const relay_why[] = {
	NULL, "bad relay option tag", "bad relay length", "relay too long",
	"relay truncated"
};

static const char *const pk_why[] = {
	NULL, "bad pk option tag", "bad pk length", "pk too long",
	"pk truncated"
};

/* Reads an Option<BoundedVec<u8, max>>, returning one of OPT_*. */
static int
get_opt_vec(struct scale_rd *rd, int *present, const uint8_t **p, size_t *n,
    size_t max)
{
	uint64_t	len;

	if (scale_get_option(rd, present) == -1)
		return OPT_BAD_TAG;
	if (!*present)
		return OPT_OK;
	if (scale_get_compact(rd, &len) == -1)
		return OPT_BAD_LEN;
	if (len > max)
		return OPT_TOO_LONG;
	if (scale_get_raw(rd, p, (size_t)len) == -1)
		return OPT_SHORT;
	*n = (size_t)len;
	return OPT_OK;
}

int
twin_decode(struct twin_record *t, const uint8_t *buf, size_t len,
    const char **err)
{
	struct scale_rd	 rd;
	const uint8_t	*p;
	const char	*why;
	uint64_t	 count, i;
	uint32_t	 eid;
	size_t		 n;
	int		 r;

	memset(t, 0, sizeof(*t));
	scale_rd_init(&rd, buf, len);
	if (scale_get_u32(&rd, &t->id) == -1) {
		why = "id truncated";
		goto fail;
	}
	if (scale_get_raw(&rd, &p, sizeof(t->account)) == -1) {
		why = "account truncated";
		goto fail;
	}
	memcpy(t->account, p, sizeof(t->account));

	if ((r = get_opt_vec(&rd, &t->has_relay, &p, &n,
	    TWIN_RELAY_MAX)) != OPT_OK) {
		why = relay_why[r];
		goto fail;
	}
	if (t->has_relay) {
		if (n > 0 && memchr(p, '\0', n) != NULL) {
			why = "NUL in relay";
			goto fail;
		}
		if (n > 0)
			memcpy(t->relay, p, n);
		t->relay[n] = '\0';
	}

	if (scale_get_compact(&rd, &count) == -1) {
		why = "bad entity count";
		goto fail;
	}
	/* Bounds the loop by the input before trusting the count. */
	if (count > (rd.len - rd.off) / ENTITY_MIN) {
		why = "entity count exceeds input";
		goto fail;
	}
	for (i = 0; i < count; i++) {
		if (scale_get_u32(&rd, &eid) == -1 ||
		    scale_get_bytes(&rd, &p, &n, rd.len) == -1) {
			why = "bad entity";
			goto fail;
		}
	}

	if ((r = get_opt_vec(&rd, &t->has_pk, &p, &n,
	    TWIN_PK_MAX)) != OPT_OK) {
		why = pk_why[r];
		goto fail;
	}
	if (t->has_pk) {
		if (n > 0)
			memcpy(t->pk, p, n);
		t->pklen = n;
	}

	if (scale_rd_end(&rd) == -1) {
		why = "trailing bytes";
		goto fail;
	}
	return 0;

fail:
	memset(t, 0, sizeof(*t));
	if (err != NULL)
		*err = why;
	return -1;
}

int
twin_encode(struct scale_wr *w, const struct twin_record *t)
{
	const char	*z = NULL;

	if (t->has_relay &&
	    (z = memchr(t->relay, '\0', sizeof(t->relay))) == NULL)
		return -1;
	if (t->has_pk && t->pklen > TWIN_PK_MAX)
		return -1;
	if (scale_put_u32(w, t->id) == -1 ||
	    scale_put_raw(w, t->account, sizeof(t->account)) == -1 ||
	    scale_put_option_bytes(w, t->has_relay ? t->relay : NULL,
	    t->has_relay ? (size_t)(z - t->relay) : 0) == -1 ||
	    scale_put_compact(w, 0) == -1 ||
	    scale_put_option_bytes(w, t->has_pk ? t->pk : NULL, t->pklen) == -1)
		return -1;
	return 0;
}

int
twin_id_decode(uint32_t *id, const uint8_t *buf, size_t len)
{
	struct scale_rd	rd;

	scale_rd_init(&rd, buf, len);
	if (scale_get_u32(&rd, id) == -1 || scale_rd_end(&rd) == -1)
		return -1;
	return 0;
}

static void
put64le(uint8_t *out, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

void
twox128(uint8_t out[16], const void *p, size_t len)
{
	put64le(out, XXH64(p, len, 0));
	put64le(out + 8, XXH64(p, len, 1));
}

void
tfchain_key_value(uint8_t out[TFCHAIN_KEY_VALUE_LEN], const char *pallet,
    const char *item)
{
	twox128(out, pallet, strlen(pallet));
	twox128(out + 16, item, strlen(item));
}

/* A Blake2_128Concat map entry of TfgridModule. */
static void
tfgrid_map_key(uint8_t *out, const char *item, const uint8_t *key,
    size_t keylen)
{
	tfchain_key_value(out, "TfgridModule", item);
	crypto_generichash(out + 32, 16, key, keylen, NULL, 0);
	memcpy(out + 48, key, keylen);
}

void
tfchain_key_twin(uint8_t out[TFCHAIN_KEY_TWIN_LEN], uint32_t id)
{
	uint8_t	le[4];
	int	i;

	for (i = 0; i < 4; i++)
		le[i] = (uint8_t)(id >> (8 * i));
	tfgrid_map_key(out, "Twins", le, sizeof(le));
}

void
tfchain_key_twin_by_account(uint8_t out[TFCHAIN_KEY_TWIN_BY_ACCOUNT_LEN],
    const uint8_t account[32])
{
	tfgrid_map_key(out, "TwinIdByAccountID", account, 32);
}

int
twin_relay_valid(const char *relay, size_t len)
{
	size_t	at;

	return relay != NULL && twin_relay_check(relay, len, &at) == NULL;
}

int
twin_relay_has(const char *relay, const char *domain)
{
	const char	*p, *end;
	size_t		 dlen;

	if (relay == NULL || domain == NULL || (dlen = strlen(domain)) == 0)
		return 0;
	for (p = relay;; p = end + 1) {
		if ((end = strchr(p, '_')) == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == dlen && memcmp(p, domain, dlen) == 0)
			return 1;
		if (*end == '\0')
			return 0;
	}
}

/* Phases of long periods are kept in 4096 steps: the 12 high bits. */
static uint64_t
era_quantum(uint64_t period)
{
	return period >> 12 > 1 ? period >> 12 : 1;
}

void
ext_era_split(uint16_t era, uint64_t *period, uint64_t *phase)
{
	*period = (uint64_t)2 << (era & 15);
	*phase = (uint64_t)(era >> 4) * era_quantum(*period);
}

uint64_t
ext_era_birth(uint16_t era, uint64_t current)
{
	uint64_t	period, phase;

	ext_era_split(era, &period, &phase);
	if (current < phase)
		current = phase;
	return (current - phase) / period * period + phase;
}
