/* SPDX-License-Identifier: ISC */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2e.h"
#include "hex.h"
#include "jwt_parse.h"
#include "relay_client.h"
#include "ss58.h"

void
rc_twin_init(struct rc_twin *t, uint32_t id, enum key_type type,
    const char *relay, uint8_t seedbyte)
{
	uint8_t		seed[32];
	struct e2e_key	k;

	memset(seed, seedbyte, sizeof(seed));
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->relay = relay;
	memcpy(t->seed, seed, sizeof(seed));
	if (identity_from_seed(&t->ident, type, seed) == -1 ||
	    e2e_init() == -1 || e2e_key_from_seed(&k, seed) == -1)
		abort();
	memcpy(t->pk, k.pk, sizeof(t->pk));
	e2e_key_wipe(&k);
}

int
rc_secret_file(const char *path, const struct rc_twin *t)
{
	char	hex[2 * 32 + 1];
	FILE	*f;
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		return -1;
	hex_encode(hex, t->seed, sizeof(t->seed));
	fprintf(f, "0x%s", hex);
	return fclose(f) == 0 ? 0 : -1;
}

int
rc_twinfile(const char *path, const struct rc_twin *tw, size_t n)
{
	FILE	*f;
	char	 acc[2 * ACCOUNT_BYTES + 1];
	size_t	 i;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "[\n");
	for (i = 0; i < n; i++) {
		hex_encode(acc, tw[i].ident.account, ACCOUNT_BYTES);
		fprintf(f, "  {\"id\": %" PRIu32 ", \"account\": \"0x%s\", "
		    "\"relay\": ", tw[i].id, acc);
		if (tw[i].relay != NULL)
			fprintf(f, "\"%s\"", tw[i].relay);
		else
			fprintf(f, "null");
		if (tw[i].has_pk) {
			char	pk[2 * 33 + 1];

			hex_encode(pk, tw[i].pk, sizeof(tw[i].pk));
			fprintf(f, ", \"pk\": \"0x%s\"}", pk);
		} else
			fprintf(f, ", \"pk\": null}");
		fprintf(f, "%s\n", i + 1 < n ? "," : "");
	}
	fprintf(f, "]\n");
	return fclose(f) == 0 ? 0 : -1;
}

int
rc_jwt(char *out, size_t cap, const struct rc_twin *t, const char *sid,
    int64_t ttl)
{
	uint64_t	now = (uint64_t)time(NULL);

	return jwt_build_sid(out, cap, &t->ident, t->id, sid, now,
	    (uint64_t)((int64_t)now + ttl)) < 0 ? -1 : 0;
}

int
rc_connect(struct wsc *w, int port, const struct rc_twin *t, const char *sid,
    int *status, char *body, size_t bodycap)
{
	char	target[JWT_MAX + 4];

	target[0] = '/';
	target[1] = '?';
	if (rc_jwt(target + 2, sizeof(target) - 2, t, sid, 300) == -1)
		return -1;
	return wsc_connect(w, "127.0.0.1", port, target, status, body,
	    bodycap, 5000);
}

size_t
rc_envelope(uint8_t **out, const struct rc_msg *m)
{
	Envelope	e;
	Address		src, dst;
	Request		req;
	Response	resp;
	Ping		ping;
	uint8_t		sig[SIG65_BYTES];
	size_t		n;

	envelope__init(&e);
	address__init(&src);
	address__init(&dst);
	request__init(&req);
	response__init(&resp);
	ping__init(&ping);
	e.uid = (char *)(m->uid != NULL ? m->uid : "uid");
	e.timestamp = m->timestamp != 0 ? m->timestamp : (uint64_t)time(NULL);
	e.expiration = m->expiration != 0 ? m->expiration : 300;
	src.twin = m->src->id;
	if (m->src_sid != NULL) {
		src.opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
		src.connection = (char *)m->src_sid;
	}
	dst.twin = m->dst;
	if (m->dst_sid != NULL) {
		dst.opt_connection_case = ADDRESS__OPT_CONNECTION_CONNECTION;
		dst.connection = (char *)m->dst_sid;
	}
	e.source = &src;
	e.destination = &dst;
	if (m->tags != NULL) {
		e.opt_tags_case = ENVELOPE__OPT_TAGS_TAGS;
		e.tags = (char *)m->tags;
	}
	switch (m->kind) {
	case RC_REQUEST:
		req.command = (char *)"test.echo";
		e.message_case = ENVELOPE__MESSAGE_REQUEST;
		e.request = &req;
		break;
	case RC_RESPONSE:
		e.message_case = ENVELOPE__MESSAGE_RESPONSE;
		e.response = &resp;
		break;
	case RC_PING:
		e.message_case = ENVELOPE__MESSAGE_PING;
		e.ping = &ping;
		break;
	}
	e.payload_case = ENVELOPE__PAYLOAD_PLAIN;
	e.plain.data = (uint8_t *)m->payload;
	e.plain.len = m->len;
	if (m->kind != RC_PING && envelope_sign(&e, &m->src->ident, sig) == -1)
		return 0;
	n = envelope__get_packed_size(&e);
	if ((*out = malloc(n)) == NULL)
		return 0;
	return envelope__pack(&e, *out);
}

size_t
rc_envelope_sized(uint8_t **out, struct rc_msg *m, size_t want)
{
	size_t	n;

	/* The payload's length varint is as long at want - 4096 as at want. */
	m->len = want > 4096 ? want - 4096 : 0;
	if ((n = rc_envelope(out, m)) == 0 || n > want)
		return 0;
	free(*out);
	m->len += want - n;
	if ((n = rc_envelope(out, m)) != want) {
		if (n != 0)
			free(*out);
		return 0;
	}
	return n;
}

int
rc_send(struct wsc *w, const struct rc_msg *m)
{
	uint8_t	*buf;
	size_t	 n;
	int	 rv;

	if ((n = rc_envelope(&buf, m)) == 0)
		return -1;
	rv = wsc_send(w, WSC_BINARY, buf, n);
	free(buf);
	return rv;
}

int
rc_recv(struct wsc *w, Envelope **e, int timeout_ms)
{
	uint8_t	*p;
	size_t	 n;
	int	 op, rv;

	if ((rv = wsc_recv(w, &op, &p, &n, timeout_ms)) != 1)
		return rv;
	*e = op == WSC_BINARY ? envelope_unpack(p, n) : NULL;
	free(p);
	return *e != NULL ? 1 : -1;
}
