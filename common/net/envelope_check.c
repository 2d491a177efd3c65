/* SPDX-License-Identifier: ISC */
/*
 * The envelope rules that keyd does not need: signing with a whole
 * identity (keyd signs the challenge itself), verification and time
 * (doc/protocol.md §2.2, §5.2).
 */
#include <string.h>

#include "envelope_check.h"
#include "sig_verify.h"
#include "utf8.h"

int
envelope_sign(Envelope *e, const struct identity *id,
    uint8_t sig[SIG65_BYTES])
{
	uint8_t	digest[CHALLENGE_BYTES];

	envelope_challenge(e, digest);
	if (identity_sign(id, sig, digest, sizeof(digest)) != 0)
		return -1;
	e->opt_signature_case = ENVELOPE__OPT_SIGNATURE_SIGNATURE;
	e->signature.data = sig;
	e->signature.len = SIG65_BYTES;
	return 0;
}

int
envelope_verify(const Envelope *e, const uint8_t account[ACCOUNT_BYTES],
    const char **err)
{
	uint8_t	digest[CHALLENGE_BYTES];

	if (e->opt_signature_case != ENVELOPE__OPT_SIGNATURE_SIGNATURE) {
		*err = "message is not signed";
		return -1;
	}
	envelope_challenge(e, digest);
	return sig_verify(account, e->signature.data, e->signature.len,
	    digest, sizeof(digest), err);
}

void
envelope_stamp(uint64_t now, uint64_t ts, uint64_t exp, uint64_t *nts,
    uint64_t *nexp)
{
	*nts = now;
	if (ts == 0 || ts > now)
		*nexp = exp;
	else
		*nexp = exp > now - ts ? exp - (now - ts) : 0;
}

uint64_t
envelope_ttl(uint64_t now, uint64_t ts, uint64_t exp)
{
	uint64_t	deadline;

	deadline = ts > UINT64_MAX - exp ? UINT64_MAX : ts + exp;
	return deadline > now ? deadline - now : 0;
}

/*
 * protobuf-c checks the structure but not the text: walk the wire bytes
 * it has accepted and require in every string field valid UTF-8, as
 * rust-protobuf does, and no NUL, which a C string would silently cut
 * short (so the challenge would cover less than the sender signed).
 */
static int
read_varint(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	unsigned int	shift = 0;

	*v = 0;
	while (*off < len && shift < 64) {
		*v |= (uint64_t)(p[*off] & 0x7f) << shift;
		if ((p[(*off)++] & 0x80) == 0)
			return 0;
		shift += 7;
	}
	return -1;
}

/* strings: bit n set when field n is a string; subs: embedded messages. */
struct pb_shape {
	uint32_t		 strings;
	const struct pb_shape	*sub[18];
};

static const struct pb_shape address_shape = { 1u << 2, { NULL } };
static const struct pb_shape request_shape = { 1u << 1, { NULL } };
static const struct pb_shape error_shape = { 1u << 2, { NULL } };
static const struct pb_shape empty_shape = { 0, { NULL } };
static const struct pb_shape envelope_shape = {
	(1u << 1) | (1u << 2) | (1u << 10) | (1u << 11) | (1u << 17),
	{ [5] = &address_shape, [6] = &address_shape, [7] = &request_shape,
	  [8] = &empty_shape, [12] = &error_shape, [15] = &empty_shape,
	  [16] = &empty_shape }
};

static int
text_ok(const uint8_t *p, size_t len, const struct pb_shape *shape,
    int depth)
{
	size_t		off = 0;
	uint64_t	key, v, field;

	if (depth > 2)
		return 0;
	while (off < len) {
		if (read_varint(p, len, &off, &key) != 0)
			return 0;
		field = key >> 3;
		/* protobuf-c takes a padded tag as field 0, or numbers past
		 * 2^29 - 1; rust-protobuf refuses both. */
		if (field == 0 || field > 0x1fffffff)
			return 0;
		switch (key & 7) {
		case 0:
			if (read_varint(p, len, &off, &v) != 0)
				return 0;
			break;
		case 1:
			if (len - off < 8)
				return 0;
			off += 8;
			break;
		case 5:
			if (len - off < 4)
				return 0;
			off += 4;
			break;
		case 2:
			if (read_varint(p, len, &off, &v) != 0 || v > len - off)
				return 0;
			if (field < 32 && (shape->strings >> field & 1) &&
			    (memchr(p + off, 0, v) != NULL ||
			    !utf8_valid((const char *)p + off, v)))
				return 0;
			if (field < 18 && shape->sub[field] != NULL &&
			    !text_ok(p + off, v, shape->sub[field], depth + 1))
				return 0;
			off += v;
			break;
		default:
			return 0;
		}
	}
	return 1;
}

Envelope *
envelope_unpack(const uint8_t *buf, size_t len)
{
	Envelope	*e;

	if ((e = envelope__unpack(NULL, len, buf)) == NULL)
		return NULL;
	if (!text_ok(buf, len, &envelope_shape, 0)) {
		envelope__free_unpacked(e, NULL);
		return NULL;
	}
	return e;
}
