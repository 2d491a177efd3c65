/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <nettle/md5.h>

#include "envelope.h"
#include "utf8.h"

static void
put_str(struct md5_ctx *c, const char *s)
{
	if (s != NULL)
		md5_update(c, strlen(s), (const uint8_t *)s);
}

static void
put_u64(struct md5_ctx *c, uint64_t v)
{
	char	buf[24];
	int	n;

	n = snprintf(buf, sizeof(buf), "%" PRIu64, v);
	md5_update(c, (size_t)n, (const uint8_t *)buf);
}

/* An absent address is written as the default instance: twin "0". */
static void
put_address(struct md5_ctx *c, const Address *a)
{
	if (a == NULL) {
		put_u64(c, 0);
		return;
	}
	put_u64(c, a->twin);
	if (a->opt_connection_case == ADDRESS__OPT_CONNECTION_CONNECTION)
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
