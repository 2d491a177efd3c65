/* SPDX-License-Identifier: ISC */
/*
 * common/trusted/ipc_codec.[ch], the engine under proto/ipc_keyd.c, on
 * a layout of every kind: the bytes it writes are those written out
 * here field by field, and read back equal; every truncation, a byte
 * more and another type refused; each bound at its limit accepted and
 * one past it refused by the decoder and by the encoder, which then
 * queues nothing.
 */
#include <errno.h>
#include <string.h>

#include "ipc_codec.h"
#include "ipc_extra.h"
#include "tap.h"

struct sample {
	uint32_t	 small;			/* at most 9 */
	uint64_t	 big;
	const uint8_t	*p;
	size_t		 plen;			/* at most 8 */
	uint8_t		 fixed[4];
	char		 name[6];
};

static const struct ipc_field fields[] = {
	IPC_F_U32(struct sample, small, 9),
	IPC_F_U64(struct sample, big),
	IPC_F_BYTES(struct sample, p, plen, 8),
	IPC_F_FIXED(struct sample, fixed),
	IPC_F_STR(struct sample, name),
};
static const struct ipc_layout tab[] = {
	IPC_LAYOUT(1, struct sample, fields),
	IPC_EMPTY(2),
	IPC_LAYOUT_END
};

static struct ipc_chan	chan;
static struct sample	in, out;

/* The frame queued last on chan, as its receiver sees it. */
static void
last(struct ipc_msg *m)
{
	if (ipc_last(&chan, m) == -1)
		memset(m, 0, sizeof(*m));
}

/* What a hand-written sender puts for each field. */
struct wire {
	uint32_t	 small;
	size_t		 plen, fixed, namelen;
	const char	*name;
};
static const struct wire	good = { 9, 8, 4, 5, "abcde" };

static struct ipc_buf *
written(const struct wire *w)
{
	struct ipc_buf	*b = ipc_create(1, 7, 0);

	ipc_put_u32(b, w->small);
	ipc_put_u64(b, 1ULL << 40);
	ipc_put_bytes(b, "123456789", w->plen);
	ipc_put_bytes(b, "\x01\x02\x03\x04\x05", w->fixed);
	ipc_put_bytes(b, w->name, w->namelen);
	return b;
}

/* Decodes what w writes. */
static int
decoded(const struct wire *w)
{
	struct ipc_msg	m;

	if (ipc_close(&chan, written(w)) == -1)
		abort();
	last(&m);
	return ipc_decode(&m, tab, 1, &out);
}

static void
test_round_trip(void)
{
	struct ipc_msg	 m, t;
	struct ipc_buf	*b;
	uint8_t		 more[256];
	size_t		 n;
	int		 refused = 0;

	in.small = 9;
	in.big = 1ULL << 40;
	in.p = (const uint8_t *)"12345678";
	in.plen = 8;
	memcpy(in.fixed, "\x01\x02\x03\x04", 4);
	strcpy(in.name, "abcde");
	ok(ipc_encode(&chan, tab, 1, 7, &in) == 0, "put");
	last(&m);
	ok(m.hdr.type == 1 && m.hdr.id == 7 &&
	    m.hdr.len == IPC_HDR_SIZE + m.datalen, "type, id, length");
	b = written(&good);
	ok(b != NULL && b->err == 0 && b->len - IPC_HDR_SIZE == m.datalen &&
	    memcmp(b->buf + IPC_HDR_SIZE, m.data, m.datalen) == 0,
	    "the bytes of each kind, in order");
	ipc_buf_free(b);
	memset(&out, 0xff, sizeof(out));
	ok(ipc_decode(&m, tab, 1, &out) == 0 && out.small == in.small &&
	    out.big == in.big && out.plen == in.plen &&
	    out.p == m.data + 12 + 4 && memcmp(out.p, in.p, in.plen) == 0 &&
	    memcmp(out.fixed, in.fixed, 4) == 0 &&
	    strcmp(out.name, in.name) == 0,
	    "got back equal, bytes pointing into the frame");
	for (n = 0, t = m; n < m.datalen; n++) {
		t.datalen = n;
		refused += ipc_decode(&t, tab, 1, &out) == -1;
	}
	ok(refused == (int)m.datalen, "each of its %zu truncations refused",
	    m.datalen);
	memcpy(more, m.data, m.datalen);
	more[m.datalen] = 0;
	t = m;
	t.data = more;
	t.datalen = m.datalen + 1;
	ok(ipc_decode(&t, tab, 1, &out) == -1, "one byte more refused");
	ok(ipc_decode(&m, tab, 2, &out) == -1,
	    "read as another type than its own refused");
	t = m;
	t.hdr.type = 3;
	ok(ipc_decode(&t, tab, 3, &out) == -1, "a type without layout "
	    "refused");
}

static void
test_decode_bounds(void)
{
	struct wire	w;

	ok(decoded(&good) == 0, "each bound at its limit accepted");
	memset(&out, 0xff, sizeof(out));
	w = good;
	w.name = "ab";
	w.namelen = 2;
	ok(decoded(&w) == 0 && out.name[3] == '\0',
	    "the struct zeroed before it is filled");
	w = good;
	w.small = 10;
	ok(decoded(&w) == -1, "u32 over its max refused");
	w = good;
	w.plen = 9;
	ok(decoded(&w) == -1, "bytes over their max refused");
	w = good;
	w.plen = 0;
	ok(decoded(&w) == 0 && out.plen == 0, "bytes of length 0 accepted");
	w = good;
	w.fixed = 3;
	ok(decoded(&w) == -1, "fixed bytes one short refused");
	w.fixed = 5;
	ok(decoded(&w) == -1, "fixed bytes one long refused");
	w = good;
	w.name = "abcdef";
	w.namelen = 6;
	ok(decoded(&w) == -1, "a string that fills its array refused");
	w.name = "ab\0de";
	w.namelen = 5;
	ok(decoded(&w) == -1, "a string with a NUL refused");
}

/* put refuses s with EINVAL and queues nothing. */
static int
refused(const struct sample *s)
{
	size_t	before = chan.out.len;

	return ipc_encode(&chan, tab, 1, 7, s) == -1 && errno == EINVAL &&
	    chan.out.len == before;
}

static void
test_encode_bounds(void)
{
	struct sample	s;

	s = in;
	s.small = 10;
	ok(refused(&s), "put: u32 over its max refused");
	s = in;
	s.plen = 9;
	ok(refused(&s), "put: bytes over their max refused");
	s = in;
	memset(s.name, 'a', sizeof(s.name));
	ok(refused(&s), "put: a string without a NUL in its array refused");
	ok(ipc_encode(&chan, tab, 3, 7, &in) == -1 && errno == EINVAL,
	    "put: a type without layout refused");
}

static void
test_empty(void)
{
	struct ipc_msg	m, t;
	uint8_t		byte = 0;

	ok(ipc_encode(&chan, tab, 2, 9, NULL) == 0, "empty: put");
	last(&m);
	ok(m.hdr.type == 2 && m.datalen == 0 &&
	    ipc_decode(&m, tab, 2, NULL) == 0, "empty: no payload, got back");
	t = m;
	t.data = &byte;
	t.datalen = 1;
	ok(ipc_decode(&t, tab, 2, NULL) == -1, "empty: one byte refused");
}

int
main(void)
{
	if (ipc_init(&chan, -1) == -1)
		return 1;
	test_round_trip();
	test_decode_bounds();
	test_encode_bounds();
	test_empty();
	ipc_clear(&chan);
	return done_testing();
}
