/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <nettle/md5.h>

#include "envelope.h"
#include "protocol.h"

static void
put_str(struct md5_ctx *c, const char *s)
{
	if (s != NULL)
		md5_update(c, strlen(s), (const uint8_t *)s);
}

/* In decimal, as the reference formats it; no stdio per field. */
static void
put_u64(struct md5_ctx *c, uint64_t v)
{
	uint8_t	buf[20], *p = buf + sizeof(buf);

	do
		*--p = (uint8_t)('0' + v % 10);
	while ((v /= 10) != 0);
	md5_update(c, (size_t)(buf + sizeof(buf) - p), p);
}

/* An absent address is written as the default instance: twin "0". */
static void
put_address(struct md5_ctx *c, const Address *a)
{
	put_u64(c, a != NULL ? a->twin : 0);
	if (a != NULL &&
	    a->opt_connection_case == ADDRESS__OPT_CONNECTION_CONNECTION)
		put_str(c, a->connection);
}

void
envelope_challenge(const Envelope *e, uint8_t digest[CHALLENGE_BYTES])
{
	struct md5_ctx	c;
	size_t		i;

	md5_init(&c);
	put_str(&c, e->uid);
	if (e->opt_tags_case == ENVELOPE__OPT_TAGS_TAGS)
		put_str(&c, e->tags);
	put_u64(&c, e->timestamp);
	put_u64(&c, e->expiration);
	put_address(&c, e->source);
	put_address(&c, e->destination);
	switch (e->message_case) {
	case ENVELOPE__MESSAGE_REQUEST:
		if (e->request != NULL)
			put_str(&c, e->request->command);
		break;
	case ENVELOPE__MESSAGE_ERROR:
		if (e->error != NULL) {
			put_u64(&c, e->error->code);
			put_str(&c, e->error->message);
		}
		break;
	default:
		break;
	}
	if (e->opt_schema_case == ENVELOPE__OPT_SCHEMA_SCHEMA)
		put_str(&c, e->schema);
	if (e->opt_federation_case == ENVELOPE__OPT_FEDERATION_FEDERATION)
		put_str(&c, e->federation);
	if (e->payload_case == ENVELOPE__PAYLOAD_PLAIN && e->plain.len > 0)
		md5_update(&c, e->plain.len, e->plain.data);
	else if (e->payload_case == ENVELOPE__PAYLOAD_CIPHER &&
	    e->cipher.len > 0)
		md5_update(&c, e->cipher.len, e->cipher.data);
	for (i = 0; i < e->n_relays; i++)
		put_str(&c, e->relays[i]);
	md5_digest(&c, CHALLENGE_BYTES, digest);
}

/*
 * keyd's decoding: an envelope that protobuf-c packs back to exactly the
 * bytes given.  Every string then ends where its field ends (a NUL would
 * make the re-packed string shorter), so the challenge covers everything
 * the envelope says; unknown fields, which the challenge never covers,
 * are refused.  netd builds every envelope keyd signs this way.  The
 * copy packed back goes to again, which has room for len bytes.
 */
Envelope *
envelope_unpack_exact(const uint8_t *buf, size_t len, uint8_t *again)
{
	Envelope	*e;

	if ((e = envelope__unpack(NULL, len, buf)) == NULL)
		return NULL;
	if (e->base.n_unknown_fields == 0 &&
	    envelope__get_packed_size(e) == len &&
	    envelope__pack(e, again) == len && memcmp(again, buf, len) == 0)
		return e;
	envelope__free_unpacked(e, NULL);
	return NULL;
}
