/* SPDX-License-Identifier: ISC */
/*
 * The apid <-> netd getters (proto/ipc_apid.h) on arbitrary bytes: the
 * input is the payload of a frame of each 500-series type in turn.  What
 * a getter accepts must lie inside the frame and within the bounds, and
 * building it again must give back exactly the input, since the layouts
 * leave no two ways to encode one message.  A message with a token is
 * tried without one too, which must fail.  The seeds are the payloads of
 * real frames, written by `tests/test_ipc_apid --corpus DIR`.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ipc_apid.h"
#include "ipc_types.h"

static const struct ipc_msg	*cur;

static void
check_span(const void *p, size_t len)
{
	const uint8_t	*q = p;

	if (q < cur->data || len > cur->datalen ||
	    (size_t)(q - cur->data) > cur->datalen - len)
		abort();
}

static void
check_str(struct ipc_apid_str s, int optional)
{
	if (s.p == NULL) {
		if (!optional || s.len != 0)
			abort();
		return;
	}
	check_span(s.p, s.len);
	if (s.len > IPC_APID_STR_MAX || memchr(s.p, '\0', s.len) != NULL)
		abort();
}

static void
check_payload(const uint8_t *p, size_t len)
{
	check_span(p, len);
	if (len > IPC_APID_PAYLOAD_MAX)
		abort();
}

/* The accepted message, built again, is the frame it came from. */
static void
check_build(struct ipc_buf *b)
{
	struct ipc_hdr	h;

	if (b == NULL || b->len != IPC_HDR_SIZE + cur->datalen)
		abort();
	memcpy(&h, b->buf, sizeof(h));
	if (h.type != cur->hdr.type || h.id != cur->hdr.id ||
	    (cur->datalen > 0 && memcmp(b->buf + IPC_HDR_SIZE, cur->data,
	    cur->datalen) != 0))
		abort();
	ipc_buf_free(b);
}

/* 1 when the frame was accepted (and checked). */
static int
one(const struct ipc_msg *imsg)
{
	struct ipc_netd_credit		c;
	struct ipc_netd_out_request	oq;
	struct ipc_netd_out_response	os;
	struct ipc_apid_in_request	iq;
	struct ipc_apid_in_response	is;
	struct ipc_apid_send_failed	sf;
	struct ipc_apid_sent		st;

	cur = imsg;
	switch (imsg->hdr.type) {
	case IPC_NETD_CREDIT:
		if (ipc_get_netd_credit(imsg, &c) == -1)
			return 0;
		if (c.n > IPC_APID_CREDIT_MAX)
			abort();
		check_build(ipc_build_netd_credit(&c));
		return 1;
	case IPC_NETD_OUT_REQUEST:
		if (ipc_get_netd_out_request(imsg, &oq) == -1)
			return 0;
		check_str(oq.uid, 0);
		check_str(oq.cmd, 0);
		check_str(oq.tags, 1);
		check_str(oq.schema, 1);
		check_payload(oq.payload, oq.len);
		check_build(ipc_build_netd_out_request(&oq));
		return 1;
	case IPC_NETD_OUT_RESPONSE:
		if (ipc_get_netd_out_response(imsg, &os) == -1)
			return 0;
		check_str(os.uid, 0);
		check_str(os.conn, 1);
		check_str(os.schema, 1);
		check_str(os.msg, 0);
		check_payload(os.payload, os.len);
		if (os.is_error ? os.len != 0 : os.code != 0 || os.msg.len != 0)
			abort();
		check_build(ipc_build_netd_out_response(&os));
		return 1;
	case IPC_APID_IN_REQUEST:
		if (ipc_get_apid_in_request(imsg, &iq) == -1)
			return 0;
		check_str(iq.uid, 0);
		check_str(iq.conn, 1);
		check_str(iq.cmd, 0);
		check_str(iq.tags, 1);
		check_str(iq.schema, 1);
		check_payload(iq.payload, iq.len);
		check_build(ipc_build_apid_in_request(&iq));
		return 1;
	case IPC_APID_IN_RESPONSE:
		if (ipc_get_apid_in_response(imsg, &is) == -1)
			return 0;
		check_str(is.uid, 0);
		check_str(is.conn, 1);
		check_str(is.schema, 1);
		check_str(is.msg, 0);
		check_payload(is.payload, is.len);
		if (!is.is_error && (is.code != 0 || is.msg.len != 0))
			abort();
		check_build(ipc_build_apid_in_response(&is));
		return 1;
	case IPC_APID_SEND_FAILED:
		if (ipc_get_apid_send_failed(imsg, &sf) == -1)
			return 0;
		check_str(sf.uid, 0);
		check_str(sf.msg, 0);
		check_build(ipc_build_apid_send_failed(&sf));
		return 1;
	case IPC_APID_SENT:
		if (ipc_get_apid_sent(imsg, &st) == -1)
			return 0;
		check_build(ipc_build_apid_sent(&st));
		return 1;
	}
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t	types[] = { IPC_NETD_CREDIT,
				    IPC_NETD_OUT_REQUEST, IPC_NETD_OUT_RESPONSE,
				    IPC_APID_IN_REQUEST, IPC_APID_IN_RESPONSE,
				    IPC_APID_SEND_FAILED, IPC_APID_SENT };
	struct ipc_msg		imsg;
	size_t			i;
	int			token;

	if (size > IPC_MAX - IPC_HDR_SIZE)
		return 0;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		token = types[i] == IPC_NETD_OUT_REQUEST ||
		    types[i] == IPC_APID_SEND_FAILED ||
		    types[i] == IPC_APID_SENT;
		memset(&imsg, 0, sizeof(imsg));
		imsg.hdr.type = types[i];
		imsg.hdr.len = (uint32_t)(IPC_HDR_SIZE + size);
		imsg.hdr.id = token ? 0x5eed : 0;
		imsg.data = data;
		imsg.datalen = size;
		one(&imsg);
		/* The header id is part of the message. */
		imsg.hdr.id = token ? 0 : 0x5eed;
		if (one(&imsg))
			abort();
	}
	return 0;
}
