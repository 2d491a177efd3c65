/* SPDX-License-Identifier: ISC */
/*
 * The apid <-> netd codec (proto/ipc_apid.h).  Each message is described
 * here a second time, as a table of its fields in wire order, written
 * from the layout comments: frames encoded from the table with the bare
 * framing must be byte for byte what the codec builds (the wire does not
 * change), and the table also makes the malformed frames the codec would
 * never build.  For every message: round trips (absent, empty and
 * maximal fields), every truncation, a trailing byte, each string over
 * its bound or holding a NUL, each flag out of range, the header id.
 *
 * With --corpus DIR it writes the seed corpus of fuzz_ipc_apid instead:
 * the payloads of small frames of each message.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "ipc_apid.h"
#include "ipc_extra.h"
#include "ipc_types.h"
#include "tap.h"

/*
 * Field kinds: i the header id (a token), u u32, n credit, q u64, s str,
 * o optional str, e is_error, c error code, m error message, b payload.
 */
struct fdesc {
	char		 kind;
	size_t		 off, off2;	/* off2: a payload's length */
	const char	*name;
};

struct mdesc {
	const char		*name;
	uint32_t		 type;
	size_t			 size;
	int			 err_no_payload;
	struct ipc_buf		*(*build)(const void *);
	int			(*get)(const struct ipc_msg *, void *);
	int			(*put)(struct ipc_chan *, const void *);
	const struct fdesc	*f;
	size_t			 nf;
};

#define F(k, st, fl)	{ k, offsetof(struct st, fl), 0, #fl }
#define P(st)		{ 'b', offsetof(struct st, payload), \
			    offsetof(struct st, len), "payload" }

static const struct fdesc credit_f[] = {
	F('n', ipc_netd_credit, n)
};
static const struct fdesc out_request_f[] = {
	F('i', ipc_netd_out_request, id),
	F('s', ipc_netd_out_request, uid), F('s', ipc_netd_out_request, cmd),
	F('o', ipc_netd_out_request, tags),
	F('o', ipc_netd_out_request, schema),
	F('q', ipc_netd_out_request, ts), F('q', ipc_netd_out_request, exp),
	F('u', ipc_netd_out_request, dst), P(ipc_netd_out_request)
};
static const struct fdesc out_response_f[] = {
	F('s', ipc_netd_out_response, uid), F('u', ipc_netd_out_response, dst),
	F('o', ipc_netd_out_response, conn),
	F('o', ipc_netd_out_response, schema),
	F('q', ipc_netd_out_response, ts), F('q', ipc_netd_out_response, exp),
	F('e', ipc_netd_out_response, is_error),
	F('c', ipc_netd_out_response, code),
	F('m', ipc_netd_out_response, msg), P(ipc_netd_out_response)
};
static const struct fdesc in_request_f[] = {
	F('s', ipc_apid_in_request, uid), F('u', ipc_apid_in_request, src),
	F('o', ipc_apid_in_request, conn), F('s', ipc_apid_in_request, cmd),
	F('q', ipc_apid_in_request, ts), F('q', ipc_apid_in_request, exp),
	F('o', ipc_apid_in_request, tags), F('o', ipc_apid_in_request, schema),
	P(ipc_apid_in_request)
};
static const struct fdesc in_response_f[] = {
	F('s', ipc_apid_in_response, uid), F('u', ipc_apid_in_response, src),
	F('o', ipc_apid_in_response, conn),
	F('o', ipc_apid_in_response, schema),
	F('q', ipc_apid_in_response, ts),
	F('e', ipc_apid_in_response, is_error),
	F('c', ipc_apid_in_response, code),
	F('m', ipc_apid_in_response, msg), P(ipc_apid_in_response)
};
static const struct fdesc send_failed_f[] = {
	F('i', ipc_apid_send_failed, id), F('s', ipc_apid_send_failed, uid),
	F('u', ipc_apid_send_failed, dst), F('u', ipc_apid_send_failed, code),
	F('s', ipc_apid_send_failed, msg)
};
static const struct fdesc sent_f[] = {
	F('i', ipc_apid_sent, id)
};

#define WRAP(nm, st)							\
static struct ipc_buf *							\
build_##nm(const void *m)						\
{									\
	return ipc_build_##nm(m);					\
}									\
static int								\
get_##nm(const struct ipc_msg *imsg, void *m)				\
{									\
	return ipc_get_##nm(imsg, m);					\
}									\
static int								\
put_##nm(struct ipc_chan *c, const void *m)				\
{									\
	return ipc_put_##nm(c, m);					\
}

WRAP(netd_credit, ipc_netd_credit)
WRAP(netd_out_request, ipc_netd_out_request)
WRAP(netd_out_response, ipc_netd_out_response)
WRAP(apid_in_request, ipc_apid_in_request)
WRAP(apid_in_response, ipc_apid_in_response)
WRAP(apid_send_failed, ipc_apid_send_failed)
WRAP(apid_sent, ipc_apid_sent)

#define M(nm, ty, st, enp, tab)						\
	{ #nm, ty, sizeof(struct st), enp, build_##nm, get_##nm, put_##nm, \
	    tab, sizeof(tab) / sizeof(tab[0]) }

static const struct mdesc msgs[] = {
	M(netd_credit, IPC_NETD_CREDIT, ipc_netd_credit, 0, credit_f),
	M(netd_out_request, IPC_NETD_OUT_REQUEST, ipc_netd_out_request, 0,
	    out_request_f),
	M(netd_out_response, IPC_NETD_OUT_RESPONSE, ipc_netd_out_response, 1,
	    out_response_f),
	M(apid_in_request, IPC_APID_IN_REQUEST, ipc_apid_in_request, 0,
	    in_request_f),
	M(apid_in_response, IPC_APID_IN_RESPONSE, ipc_apid_in_response, 0,
	    in_response_f),
	M(apid_send_failed, IPC_APID_SEND_FAILED, ipc_apid_send_failed, 0,
	    send_failed_f),
	M(apid_sent, IPC_APID_SENT, ipc_apid_sent, 0, sent_f)
};
#define NMSGS	(sizeof(msgs) / sizeof(msgs[0]))

/* What a sample holds. */
enum variant {
	V_FULL,		/* every string set, no error */
	V_ERROR,	/* an error */
	V_EMPTY,	/* empty strings, absent options, no payload, zeros */
	V_PRESENT,	/* options present but empty */
	V_MAXSTR,	/* every string and number at its bound, an error */
	V_MAXPAY,	/* the largest payload, no error */
	V_COUNT
};
static const char *vnames[] = { "full", "error", "empty", "present but "
    "empty options", "every string at its bound", "the largest payload" };

static char		*big;		/* IPC_APID_STR_MAX + 1 'a's */
static uint8_t		*bigpay;	/* IPC_APID_PAYLOAD_MAX + 1 bytes */
static char		 strs[16][32];

#define FIELD(m, f, type)	((type *)((char *)(m) + (f)->off))

static struct ipc_apid_str
mkstr(const char *p, size_t len)
{
	struct ipc_apid_str	s = { p, len };

	return s;
}

/* Fills a sample of message d; the union is large enough for any. */
static void
sample(const struct mdesc *d, void *m, enum variant v)
{
	const struct fdesc	*f;
	size_t			 k;
	int			 err = v == V_ERROR || v == V_MAXSTR;
	int			 max = v == V_MAXSTR || v == V_MAXPAY;

	memset(m, 0, d->size);
	for (k = 0; k < d->nf; k++) {
		f = &d->f[k];
		snprintf(strs[k], sizeof(strs[k]), "%s-%zu", d->name, k);
		switch (f->kind) {
		case 'i':
			*FIELD(m, f, uint32_t) = max ? UINT32_MAX : 7;
			break;
		case 'u':
			*FIELD(m, f, uint32_t) = max ? UINT32_MAX :
			    v == V_EMPTY ? 0 : (uint32_t)(1000 + k);
			break;
		case 'n':
			*FIELD(m, f, uint32_t) = max ? IPC_APID_CREDIT_MAX :
			    v == V_EMPTY ? 0 : 16;
			break;
		case 'q':
			*FIELD(m, f, uint64_t) = max ? UINT64_MAX :
			    v == V_EMPTY ? 0 : ((uint64_t)1 << 40) + k;
			break;
		case 's':
			*FIELD(m, f, struct ipc_apid_str) = v == V_MAXSTR ?
			    mkstr(big, IPC_APID_STR_MAX) : v == V_EMPTY ?
			    mkstr("", 0) : ipc_apid_str(strs[k]);
			break;
		case 'o':
			*FIELD(m, f, struct ipc_apid_str) = v == V_MAXSTR ?
			    mkstr(big, IPC_APID_STR_MAX) : v == V_EMPTY ?
			    mkstr(NULL, 0) : v == V_PRESENT ? mkstr("", 0) :
			    ipc_apid_str(strs[k]);
			break;
		case 'e':
			*FIELD(m, f, int) = err;
			break;
		case 'c':
			*FIELD(m, f, uint32_t) = !err ? 0 : max ? UINT32_MAX :
			    42;
			break;
		case 'm':
			*FIELD(m, f, struct ipc_apid_str) = !err ?
			    mkstr("", 0) : max ? mkstr(big, IPC_APID_STR_MAX) :
			    ipc_apid_str("nope");
			break;
		case 'b':
			if (v == V_EMPTY || (err && d->err_no_payload))
				break;
			*FIELD(m, f, const uint8_t *) = v == V_MAXPAY ?
			    bigpay : (const uint8_t *)"payload\0bytes";
			*(size_t *)((char *)m + f->off2) = v == V_MAXPAY ?
			    IPC_APID_PAYLOAD_MAX : 13;
			break;
		}
	}
}

/*
 * The frame the table says, with the bare framing.  Field bad (if not
 * -1) has its u32 word (a present flag, is_error, a number) replaced by
 * word.
 */
static struct ipc_buf *
raw(const struct mdesc *d, const void *m, size_t bad, uint32_t word)
{
	const struct fdesc	*f;
	struct ipc_apid_str	 s;
	struct ipc_buf		*b;
	uint32_t		 id = 0;
	size_t			 k;

	for (k = 0; k < d->nf; k++)
		if (d->f[k].kind == 'i')
			id = *FIELD(m, &d->f[k], const uint32_t);
	if ((b = ipc_create(d->type, id, 0)) == NULL)
		abort();
	for (k = 0; k < d->nf; k++) {
		f = &d->f[k];
		switch (f->kind) {
		case 'u':
		case 'n':
		case 'c':
			ipc_put_u32(b, k == bad ? word :
			    *FIELD(m, f, const uint32_t));
			break;
		case 'e':
			ipc_put_u32(b, k == bad ? word :
			    (uint32_t)*FIELD(m, f, const int));
			break;
		case 'q':
			ipc_put_u64(b, *FIELD(m, f, const uint64_t));
			break;
		case 'o':
			s = *FIELD(m, f, const struct ipc_apid_str);
			ipc_put_u32(b, k == bad ? word : s.p != NULL);
			ipc_put_bytes(b, s.p != NULL ? s.p : "", s.len);
			break;
		case 's':
		case 'm':
			s = *FIELD(m, f, const struct ipc_apid_str);
			ipc_put_bytes(b, s.p, s.len);
			break;
		case 'b':
			ipc_put_bytes(b, *FIELD(m, f, const uint8_t *) != NULL ?
			    *FIELD(m, f, const uint8_t *) : (const uint8_t *)"",
			    *(const size_t *)((const char *)m + f->off2));
			break;
		}
	}
	if (b->err != 0)
		abort();
	return b;
}

static struct ipc_msg
as_msg(const struct ipc_buf *b)
{
	struct ipc_msg	imsg;

	memcpy(&imsg.hdr, b->buf, sizeof(imsg.hdr));
	imsg.hdr.len = (uint32_t)b->len;
	imsg.data = b->buf + IPC_HDR_SIZE;
	imsg.datalen = b->len - IPC_HDR_SIZE;
	return imsg;
}

static int
same_str(struct ipc_apid_str a, struct ipc_apid_str b)
{
	if (a.p == NULL || b.p == NULL)
		return a.p == NULL && b.p == NULL;
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Inside the frame: what a get hands out is borrowed from it. */
static int
inside(const void *p, size_t len, const struct ipc_msg *imsg)
{
	const uint8_t	*q = p;

	return q >= imsg->data && len <= imsg->datalen &&
	    (size_t)(q - imsg->data) <= imsg->datalen - len;
}

/* Field by field; got's strings and payload must point into imsg. */
static int
same(const struct mdesc *d, const void *want, const void *got,
    const struct ipc_msg *imsg)
{
	const struct fdesc	*f;
	struct ipc_apid_str	 a, b;
	const uint8_t		*pa, *pb;
	size_t			 k, la, lb;

	for (k = 0; k < d->nf; k++) {
		f = &d->f[k];
		switch (f->kind) {
		case 'i':
		case 'u':
		case 'n':
		case 'c':
			if (*FIELD(want, f, const uint32_t) !=
			    *FIELD(got, f, const uint32_t))
				return 0;
			break;
		case 'e':
			if (*FIELD(want, f, const int) !=
			    *FIELD(got, f, const int))
				return 0;
			break;
		case 'q':
			if (*FIELD(want, f, const uint64_t) !=
			    *FIELD(got, f, const uint64_t))
				return 0;
			break;
		case 's':
		case 'm':
		case 'o':
			a = *FIELD(want, f, const struct ipc_apid_str);
			b = *FIELD(got, f, const struct ipc_apid_str);
			if (!same_str(a, b) ||
			    (b.p != NULL && !inside(b.p, b.len, imsg)))
				return 0;
			break;
		case 'b':
			pa = *FIELD(want, f, const uint8_t *);
			pb = *FIELD(got, f, const uint8_t *);
			la = *(const size_t *)((const char *)want + f->off2);
			lb = *(const size_t *)((const char *)got + f->off2);
			if (la != lb || (la > 0 && memcmp(pa, pb, la) != 0) ||
			    !inside(pb, lb, imsg))
				return 0;
			break;
		}
	}
	return 1;
}

union anymsg {
	struct ipc_netd_credit		c;
	struct ipc_netd_out_request	oq;
	struct ipc_netd_out_response	os;
	struct ipc_apid_in_request	iq;
	struct ipc_apid_in_response	is;
	struct ipc_apid_send_failed	sf;
	struct ipc_apid_sent		st;
};

/* Every strict prefix of the frame is refused; 0 when one is not. */
static int
truncations(const struct mdesc *d, const struct ipc_msg *imsg)
{
	union anymsg	got;
	struct ipc_msg	cut = *imsg;

	for (cut.datalen = 0; cut.datalen < imsg->datalen; cut.datalen++) {
		cut.hdr.len = (uint32_t)(IPC_HDR_SIZE + cut.datalen);
		if (d->get(&cut, &got) != -1) {
			diag("%s: a prefix of %zu bytes of %zu is accepted",
			    d->name, cut.datalen, imsg->datalen);
			return 0;
		}
	}
	return 1;
}

static int
trailing(const struct mdesc *d, const struct ipc_msg *imsg)
{
	union anymsg	 got;
	struct ipc_msg	 more = *imsg;
	uint8_t		*p;
	int		 rv;

	if ((p = malloc(imsg->datalen + 1)) == NULL)
		abort();
	if (imsg->datalen > 0)
		memcpy(p, imsg->data, imsg->datalen);
	p[imsg->datalen] = 0;
	more.data = p;
	more.datalen++;
	more.hdr.len++;
	rv = d->get(&more, &got);
	free(p);
	return rv == -1;
}

static int
has_kind(const struct mdesc *d, char kind)
{
	size_t	k;

	for (k = 0; k < d->nf; k++)
		if (d->f[k].kind == kind)
			return 1;
	return 0;
}

/* The header id: a token (not 0) where the message has one, else 0. */
static int
header_id(const struct mdesc *d, const struct ipc_msg *imsg)
{
	union anymsg	got;
	struct ipc_msg	other = *imsg;

	other.hdr.id = has_kind(d, 'i') ? 0 : 7;
	if (d->get(&other, &got) != -1)
		return 0;
	other.hdr.id = imsg->hdr.id;
	other.hdr.type = d->type == IPC_APID_SENT ? IPC_NETD_CREDIT :
	    IPC_APID_SENT;
	return d->get(&other, &got) == -1;
}

/* put() queues what build() makes, with the length and pid filled in. */
static int
put_same(const struct mdesc *d, const void *m, const struct ipc_buf *b)
{
	struct ipc_chan	 c = { .fd = -1, .pid = 77 };
	struct ipc_hdr	 h;
	int		 good;

	if (d->put(&c, m) != 0 || c.out.len != b->len)
		good = 0;
	else {
		memcpy(&h, c.out.buf, sizeof(h));
		good = h.len == b->len && h.pid == 77 &&
		    memcmp(c.out.buf + 8, b->buf + 8, 4) == 0 &&
		    memcmp(c.out.buf, b->buf, 4) == 0 &&
		    memcmp(c.out.buf + IPC_HDR_SIZE, b->buf + IPC_HDR_SIZE,
		    b->len - IPC_HDR_SIZE) == 0;
	}
	ipc_clear(&c);
	return good;
}

static void
test_round_trips(const struct mdesc *d)
{
	union anymsg	 m, got;
	struct ipc_buf	*b, *r;
	struct ipc_msg	 imsg;
	int		 v;

	for (v = 0; v < V_COUNT; v++) {
		if (v == V_ERROR && !has_kind(d, 'e'))
			continue;
		sample(d, &m, (enum variant)v);
		b = d->build(&m);
		r = raw(d, &m, (size_t)-1, 0);
		ok(b != NULL && b->len == r->len &&
		    memcmp(b->buf, r->buf, b->len) == 0,
		    "%s, %s: the layout of its comment, byte for byte",
		    d->name, vnames[v]);
		if (b == NULL) {
			ipc_buf_free(r);
			continue;
		}
		imsg = as_msg(b);
		ok(d->get(&imsg, &got) == 0 && same(d, &m, &got, &imsg),
		    "%s, %s: put then get gives the same fields, borrowed",
		    d->name, vnames[v]);
		ok(put_same(d, &m, b), "%s, %s: put queues that frame",
		    d->name, vnames[v]);
		if (v <= V_PRESENT) {
			ok(truncations(d, &imsg), "%s, %s: each of its %zu "
			    "truncations refused", d->name, vnames[v],
			    imsg.datalen);
			ok(trailing(d, &imsg), "%s, %s: a trailing byte "
			    "refused", d->name, vnames[v]);
		}
		if (v == V_FULL)
			ok(header_id(d, &imsg), "%s: another header id or "
			    "type refused", d->name);
		ipc_buf_free(b);
		ipc_buf_free(r);
	}
}

/* Whether the frame raw() makes of m is refused by get. */
static int
get_refuses(const struct mdesc *d, const void *m, size_t bad, uint32_t word)
{
	union anymsg	 got;
	struct ipc_buf	*r = raw(d, m, bad, word);
	struct ipc_msg	 imsg = as_msg(r);
	int		 rv = d->get(&imsg, &got);

	ipc_buf_free(r);
	return rv == -1;
}

static int
build_refuses(const struct mdesc *d, const void *m)
{
	struct ipc_buf	*b;

	errno = 0;
	if ((b = d->build(m)) != NULL) {
		ipc_buf_free(b);
		return 0;
	}
	return errno == EINVAL;
}

static void
test_bounds(const struct mdesc *d)
{
	union anymsg		 m;
	const struct fdesc	*f;
	struct ipc_apid_str	*s;
	size_t			 j, k, *lenp;
	int			 good;

	for (k = 0; k < d->nf; k++) {
		f = &d->f[k];
		sample(d, &m, V_ERROR);
		switch (f->kind) {
		case 's':
		case 'o':
		case 'm':
			s = FIELD(&m, f, struct ipc_apid_str);
			*s = mkstr(big, IPC_APID_STR_MAX + 1);
			ok(build_refuses(d, &m) && get_refuses(d, &m,
			    (size_t)-1, 0), "%s: %s over %d bytes refused by "
			    "build and get", d->name, f->name,
			    IPC_APID_STR_MAX);
			*s = mkstr("a\0b", 3);
			ok(build_refuses(d, &m) && get_refuses(d, &m,
			    (size_t)-1, 0), "%s: %s with a NUL refused",
			    d->name, f->name);
			if (f->kind == 'o') {
				*s = mkstr("x", 1);
				ok(get_refuses(d, &m, k, 2), "%s: %s present 2 "
				    "refused", d->name, f->name);
				ok(get_refuses(d, &m, k, 0), "%s: %s absent but "
				    "not empty refused", d->name, f->name);
			}
			if (f->kind == 's') {
				*s = mkstr(NULL, 0);
				ok(build_refuses(d, &m), "%s: %s is required: "
				    "absent, not built", d->name, f->name);
			}
			break;
		case 'e':
			ok(get_refuses(d, &m, k, 2), "%s: is_error 2 refused",
			    d->name);
			*FIELD(&m, f, int) = 2;
			ok(build_refuses(d, &m), "%s: is_error 2 not built",
			    d->name);
			/* Not an error: then no code and no message. */
			sample(d, &m, V_FULL);
			for (j = k; d->f[j].kind != 'c'; j++)
				;
			good = get_refuses(d, &m, j, 1);
			*FIELD(&m, &d->f[j], uint32_t) = 1;
			good &= build_refuses(d, &m);
			sample(d, &m, V_FULL);
			*FIELD(&m, &d->f[j + 1], struct ipc_apid_str) =
			    ipc_apid_str("why");
			good &= build_refuses(d, &m) &&
			    get_refuses(d, &m, (size_t)-1, 0);
			ok(good, "%s: without is_error, a code or a message "
			    "refused", d->name);
			break;
		case 'n':
			m.c.n = (uint32_t)IPC_APID_CREDIT_MAX + 1;
			ok(build_refuses(d, &m) && get_refuses(d, &m,
			    (size_t)-1, 0), "%s: over IPC_APID_CREDIT_MAX "
			    "refused", d->name);
			break;
		case 'i':
			*FIELD(&m, f, uint32_t) = 0;
			ok(build_refuses(d, &m), "%s: token 0 not built",
			    d->name);
			break;
		case 'b':
			sample(d, &m, V_FULL);
			lenp = (size_t *)((char *)&m + f->off2);
			*FIELD(&m, f, const uint8_t *) = bigpay;
			*lenp = IPC_APID_PAYLOAD_MAX + 1;
			ok(build_refuses(d, &m) && get_refuses(d, &m,
			    (size_t)-1, 0), "%s: a payload over %d bytes "
			    "refused", d->name, IPC_APID_PAYLOAD_MAX);
			*FIELD(&m, f, const uint8_t *) = NULL;
			*lenp = 1;
			ok(build_refuses(d, &m), "%s: a NULL payload of 1 "
			    "byte not built", d->name);
			break;
		}
	}
	if (d->err_no_payload) {
		sample(d, &m, V_ERROR);
		m.os.payload = (const uint8_t *)"x";
		m.os.len = 1;
		ok(build_refuses(d, &m) && get_refuses(d, &m, (size_t)-1, 0),
		    "%s: an error with a payload refused", d->name);
	}
}

static void
test_helpers(void)
{
	char			 s[IPC_APID_STR_MAX + 8], out[8];
	struct ipc_apid_str	 f;

	memset(s, 'a', sizeof(s));
	s[IPC_APID_STR_MAX + 1] = '\0';
	f = ipc_apid_text(s);
	ok(f.p == s && f.len == IPC_APID_STR_MAX, "text: cut to the bound");
	memcpy(s + IPC_APID_STR_MAX - 1, "\xc3\xa9", 2);
	f = ipc_apid_text(s);
	ok(f.len == IPC_APID_STR_MAX - 1, "text: the cut drops a whole "
	    "character");
	memcpy(s + IPC_APID_STR_MAX - 2, "\xe2\x82\xac", 3);
	f = ipc_apid_text(s);
	ok(f.len == IPC_APID_STR_MAX - 2, "text: a 3-byte one too");
	s[IPC_APID_STR_MAX] = '\0';
	f = ipc_apid_text(s);
	ok(f.len == IPC_APID_STR_MAX, "text: at the bound, untouched");
	f = ipc_apid_str(NULL);
	ok(f.p == NULL && f.len == 0 && ipc_apid_copy(out, sizeof(out), f) ==
	    0 && out[0] == '\0', "absent: NULL, copied as \"\"");
	ok(ipc_apid_copy(out, sizeof(out), mkstr("1234567", 7)) == 0 &&
	    strcmp(out, "1234567") == 0 &&
	    ipc_apid_copy(out, sizeof(out), mkstr("12345678", 8)) == -1,
	    "copy: NUL-terminated, -1 when it does not fit");
}

/* The seed corpus of fuzz_ipc_apid: payloads of small frames, each once. */
static int
write_corpus(const char *dir)
{
	union anymsg	 m;
	struct ipc_buf	*b, *prev[V_PRESENT + 1];
	FILE		*f;
	char		 path[1024];
	size_t		 i, n;
	int		 v, w, dup;

	for (i = 0; i < NMSGS; i++) {
		n = 0;
		for (v = 0; v <= V_PRESENT; v++) {
			sample(&msgs[i], &m, (enum variant)v);
			if ((b = msgs[i].build(&m)) == NULL)
				return 1;
			for (dup = 0, w = 0; w < (int)n && !dup; w++)
				dup = prev[w]->len == b->len &&
				    memcmp(prev[w]->buf, b->buf, b->len) == 0;
			prev[n++] = b;
			if (dup)
				continue;
			snprintf(path, sizeof(path), "%s/%s-%s", dir,
			    msgs[i].name, v == V_FULL ? "full" : v == V_ERROR ?
			    "error" : v == V_EMPTY ? "empty" : "present");
			if ((f = fopen(path, "wb")) == NULL ||
			    fwrite(b->buf + IPC_HDR_SIZE, 1, b->len -
			    IPC_HDR_SIZE, f) != b->len - IPC_HDR_SIZE ||
			    fclose(f) != 0)
				return 1;
		}
		while (n > 0)
			ipc_buf_free(prev[--n]);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	size_t	i;

	if ((big = malloc(IPC_APID_STR_MAX + 1)) == NULL ||
	    (bigpay = malloc(IPC_APID_PAYLOAD_MAX + 1)) == NULL)
		return 1;
	memset(big, 'a', IPC_APID_STR_MAX + 1);
	for (i = 0; i <= IPC_APID_PAYLOAD_MAX; i++)
		bigpay[i] = (uint8_t)(i * 7);
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
		return write_corpus(argv[2]);
	for (i = 0; i < NMSGS; i++) {
		test_round_trips(&msgs[i]);
		test_bounds(&msgs[i]);
	}
	test_helpers();
	free(big);
	free(bigpay);
	return done_testing();
}
