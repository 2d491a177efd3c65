/* SPDX-License-Identifier: ISC */
/*
 * The apid <-> netd messages (ipc_apid.h): each layout is one build and
 * one get, in the order of the comment beside its struct.
 */
#include <errno.h>
#include <string.h>

#include "ipc_apid.h"
#include "ipc_types.h"

/* The largest message always fits a frame, so a build never truncates. */
_Static_assert(IPC_APID_PAYLOAD_MAX + 8 * (8 + IPC_APID_STR_MAX) + 64 <=
    IPC_MAX - IPC_HDR_SIZE, "apid <-> netd messages fit IPC_MAX");

/* The size of a string field on the wire, optional or not. */
static size_t
str_size(struct ipc_apid_str s)
{
	return 4 + (s.p != NULL ? s.len : 0);
}

static size_t
opt_size(struct ipc_apid_str s)
{
	return 4 + str_size(s);
}

/* A string we may write: required ones present, each within bounds. */
static int
str_ok(struct ipc_apid_str s, int optional)
{
	if (s.p == NULL)
		return optional;
	return s.len <= IPC_APID_STR_MAX && memchr(s.p, '\0', s.len) == NULL;
}

static int
payload_ok(const uint8_t *p, size_t len)
{
	return len <= IPC_APID_PAYLOAD_MAX && (p != NULL || len == 0);
}

static void
put_str(struct ipc_buf *b, struct ipc_apid_str s)
{
	ipc_put_bytes(b, s.p != NULL ? s.p : "", s.p != NULL ? s.len : 0);
}

static void
put_opt(struct ipc_buf *b, struct ipc_apid_str s)
{
	ipc_put_u32(b, s.p != NULL);
	put_str(b, s);
}

static void
put_payload(struct ipc_buf *b, const uint8_t *p, size_t len)
{
	ipc_put_bytes(b, len > 0 ? p : (const uint8_t *)"", len);
}

/* A frame of exactly size payload bytes, or NULL with errno EINVAL. */
static struct ipc_buf *
begin(int ok, uint32_t type, uint32_t id, size_t size)
{
	struct ipc_buf	*b;

	if (!ok) {
		errno = EINVAL;
		return NULL;
	}
	if ((b = ipc_create(type, id, size)) == NULL)
		errno = ENOMEM;
	return b;
}

/* The built frame, or NULL with errno when an add failed. */
static struct ipc_buf *
finish(struct ipc_buf *b)
{
	if (b != NULL && b->err != 0) {
		errno = b->err;
		ipc_buf_free(b);
		return NULL;
	}
	return b;
}

static int
get_str(struct ipc_rd *rd, struct ipc_apid_str *s)
{
	const uint8_t	*p;
	size_t		 len;

	if (ipc_get_bytes(rd, &p, &len, IPC_APID_STR_MAX) == -1 ||
	    memchr(p, '\0', len) != NULL)
		return -1;
	s->p = (const char *)p;
	s->len = len;
	return 0;
}

/* u32 present (0 or 1), then the string, empty when absent. */
static int
get_opt(struct ipc_rd *rd, struct ipc_apid_str *s)
{
	uint32_t	present;

	if (ipc_get_u32(rd, &present) == -1 || present > 1 ||
	    get_str(rd, s) == -1)
		return -1;
	if (!present) {
		if (s->len != 0)
			return -1;
		s->p = NULL;
	}
	return 0;
}

static int
get_flag(struct ipc_rd *rd, int *v)
{
	uint32_t	u;

	if (ipc_get_u32(rd, &u) == -1 || u > 1)
		return -1;
	*v = (int)u;
	return 0;
}

static int
get_payload(struct ipc_rd *rd, const uint8_t **p, size_t *len)
{
	return ipc_get_bytes(rd, p, len, IPC_APID_PAYLOAD_MAX);
}

/* The frame is of type and its header id is as the message wants. */
static int
get_begin(const struct ipc_msg *imsg, uint32_t type, int token,
    struct ipc_rd *rd)
{
	if (imsg->hdr.type != type || (token ? imsg->hdr.id == 0 :
	    imsg->hdr.id != 0))
		return -1;
	ipc_rd_init(rd, imsg);
	return 0;
}

/* Without is_error, no code and no message. */
static int
err_ok(int is_error, uint32_t code, struct ipc_apid_str msg)
{
	return is_error == 0 ? code == 0 && msg.len == 0 : is_error == 1;
}

struct ipc_buf *
ipc_build_netd_credit(const struct ipc_netd_credit *m)
{
	struct ipc_buf	*b;

	if ((b = begin(m->n <= IPC_APID_CREDIT_MAX, IPC_NETD_CREDIT, 0,
	    4)) == NULL)
		return NULL;
	ipc_put_u32(b, m->n);
	return finish(b);
}

int
ipc_get_netd_credit(const struct ipc_msg *imsg, struct ipc_netd_credit *m)
{
	struct ipc_rd	rd;

	memset(m, 0, sizeof(*m));
	if (get_begin(imsg, IPC_NETD_CREDIT, 0, &rd) == -1 ||
	    ipc_get_u32(&rd, &m->n) == -1 || m->n > IPC_APID_CREDIT_MAX)
		return -1;
	return ipc_get_end(&rd);
}

struct ipc_buf *
ipc_build_netd_out_request(const struct ipc_netd_out_request *m)
{
	struct ipc_buf	*b;

	if ((b = begin(m->id != 0 && str_ok(m->uid, 0) && str_ok(m->cmd, 0) &&
	    str_ok(m->tags, 1) && str_ok(m->schema, 1) &&
	    payload_ok(m->payload, m->len), IPC_NETD_OUT_REQUEST, m->id,
	    str_size(m->uid) + str_size(m->cmd) + opt_size(m->tags) +
	    opt_size(m->schema) + 8 + 8 + 4 + 4 + m->len)) == NULL)
		return NULL;
	put_str(b, m->uid);
	put_str(b, m->cmd);
	put_opt(b, m->tags);
	put_opt(b, m->schema);
	ipc_put_u64(b, m->ts);
	ipc_put_u64(b, m->exp);
	ipc_put_u32(b, m->dst);
	put_payload(b, m->payload, m->len);
	return finish(b);
}

int
ipc_get_netd_out_request(const struct ipc_msg *imsg,
    struct ipc_netd_out_request *m)
{
	struct ipc_rd	rd;

	memset(m, 0, sizeof(*m));
	if (get_begin(imsg, IPC_NETD_OUT_REQUEST, 1, &rd) == -1 ||
	    get_str(&rd, &m->uid) == -1 ||
	    get_str(&rd, &m->cmd) == -1 ||
	    get_opt(&rd, &m->tags) == -1 ||
	    get_opt(&rd, &m->schema) == -1 ||
	    ipc_get_u64(&rd, &m->ts) == -1 ||
	    ipc_get_u64(&rd, &m->exp) == -1 ||
	    ipc_get_u32(&rd, &m->dst) == -1 ||
	    get_payload(&rd, &m->payload, &m->len) == -1)
		return -1;
	m->id = imsg->hdr.id;
	return ipc_get_end(&rd);
}

struct ipc_buf *
ipc_build_netd_out_response(const struct ipc_netd_out_response *m)
{
	struct ipc_buf	*b;

	if ((b = begin(str_ok(m->uid, 0) && str_ok(m->conn, 1) &&
	    str_ok(m->schema, 1) && str_ok(m->msg, 0) &&
	    err_ok(m->is_error, m->code, m->msg) &&
	    (!m->is_error || m->len == 0) && payload_ok(m->payload, m->len),
	    IPC_NETD_OUT_RESPONSE, 0, str_size(m->uid) + 4 +
	    opt_size(m->conn) + opt_size(m->schema) + 8 + 8 + 4 + 4 +
	    str_size(m->msg) + 4 + m->len)) == NULL)
		return NULL;
	put_str(b, m->uid);
	ipc_put_u32(b, m->dst);
	put_opt(b, m->conn);
	put_opt(b, m->schema);
	ipc_put_u64(b, m->ts);
	ipc_put_u64(b, m->exp);
	ipc_put_u32(b, (uint32_t)m->is_error);
	ipc_put_u32(b, m->code);
	put_str(b, m->msg);
	put_payload(b, m->payload, m->len);
	return finish(b);
}

int
ipc_get_netd_out_response(const struct ipc_msg *imsg,
    struct ipc_netd_out_response *m)
{
	struct ipc_rd	rd;

	memset(m, 0, sizeof(*m));
	if (get_begin(imsg, IPC_NETD_OUT_RESPONSE, 0, &rd) == -1 ||
	    get_str(&rd, &m->uid) == -1 ||
	    ipc_get_u32(&rd, &m->dst) == -1 ||
	    get_opt(&rd, &m->conn) == -1 ||
	    get_opt(&rd, &m->schema) == -1 ||
	    ipc_get_u64(&rd, &m->ts) == -1 ||
	    ipc_get_u64(&rd, &m->exp) == -1 ||
	    get_flag(&rd, &m->is_error) == -1 ||
	    ipc_get_u32(&rd, &m->code) == -1 ||
	    get_str(&rd, &m->msg) == -1 ||
	    get_payload(&rd, &m->payload, &m->len) == -1 ||
	    !err_ok(m->is_error, m->code, m->msg) ||
	    (m->is_error && m->len != 0))
		return -1;
	return ipc_get_end(&rd);
}

struct ipc_buf *
ipc_build_apid_in_request(const struct ipc_apid_in_request *m)
{
	struct ipc_buf	*b;

	if ((b = begin(str_ok(m->uid, 0) && str_ok(m->conn, 1) &&
	    str_ok(m->cmd, 0) && str_ok(m->tags, 1) && str_ok(m->schema, 1) &&
	    payload_ok(m->payload, m->len), IPC_APID_IN_REQUEST, 0,
	    str_size(m->uid) + 4 + opt_size(m->conn) + str_size(m->cmd) +
	    8 + 8 + opt_size(m->tags) + opt_size(m->schema) + 4 +
	    m->len)) == NULL)
		return NULL;
	put_str(b, m->uid);
	ipc_put_u32(b, m->src);
	put_opt(b, m->conn);
	put_str(b, m->cmd);
	ipc_put_u64(b, m->ts);
	ipc_put_u64(b, m->exp);
	put_opt(b, m->tags);
	put_opt(b, m->schema);
	put_payload(b, m->payload, m->len);
	return finish(b);
}

int
ipc_get_apid_in_request(const struct ipc_msg *imsg,
    struct ipc_apid_in_request *m)
{
	struct ipc_rd	rd;

	memset(m, 0, sizeof(*m));
	if (get_begin(imsg, IPC_APID_IN_REQUEST, 0, &rd) == -1 ||
	    get_str(&rd, &m->uid) == -1 ||
	    ipc_get_u32(&rd, &m->src) == -1 ||
	    get_opt(&rd, &m->conn) == -1 ||
	    get_str(&rd, &m->cmd) == -1 ||
	    ipc_get_u64(&rd, &m->ts) == -1 ||
	    ipc_get_u64(&rd, &m->exp) == -1 ||
	    get_opt(&rd, &m->tags) == -1 ||
	    get_opt(&rd, &m->schema) == -1 ||
	    get_payload(&rd, &m->payload, &m->len) == -1)
		return -1;
	return ipc_get_end(&rd);
}

struct ipc_buf *
ipc_build_apid_in_response(const struct ipc_apid_in_response *m)
{
	struct ipc_buf	*b;

	if ((b = begin(str_ok(m->uid, 0) && str_ok(m->conn, 1) &&
	    str_ok(m->schema, 1) && str_ok(m->msg, 0) &&
	    err_ok(m->is_error, m->code, m->msg) &&
	    payload_ok(m->payload, m->len), IPC_APID_IN_RESPONSE, 0,
	    str_size(m->uid) + 4 + opt_size(m->conn) + opt_size(m->schema) +
	    8 + 4 + 4 + str_size(m->msg) + 4 + m->len)) == NULL)
		return NULL;
	put_str(b, m->uid);
	ipc_put_u32(b, m->src);
	put_opt(b, m->conn);
	put_opt(b, m->schema);
	ipc_put_u64(b, m->ts);
	ipc_put_u32(b, (uint32_t)m->is_error);
	ipc_put_u32(b, m->code);
	put_str(b, m->msg);
	put_payload(b, m->payload, m->len);
	return finish(b);
}

int
ipc_get_apid_in_response(const struct ipc_msg *imsg,
    struct ipc_apid_in_response *m)
{
	struct ipc_rd	rd;

	memset(m, 0, sizeof(*m));
	if (get_begin(imsg, IPC_APID_IN_RESPONSE, 0, &rd) == -1 ||
	    get_str(&rd, &m->uid) == -1 ||
	    ipc_get_u32(&rd, &m->src) == -1 ||
	    get_opt(&rd, &m->conn) == -1 ||
	    get_opt(&rd, &m->schema) == -1 ||
	    ipc_get_u64(&rd, &m->ts) == -1 ||
	    get_flag(&rd, &m->is_error) == -1 ||
	    ipc_get_u32(&rd, &m->code) == -1 ||
	    get_str(&rd, &m->msg) == -1 ||
	    get_payload(&rd, &m->payload, &m->len) == -1 ||
	    !err_ok(m->is_error, m->code, m->msg))
		return -1;
	return ipc_get_end(&rd);
}

struct ipc_buf *
ipc_build_apid_send_failed(const struct ipc_apid_send_failed *m)
{
	struct ipc_buf	*b;

	if ((b = begin(m->id != 0 && str_ok(m->uid, 0) && str_ok(m->msg, 0),
	    IPC_APID_SEND_FAILED, m->id, str_size(m->uid) + 4 + 4 +
	    str_size(m->msg))) == NULL)
		return NULL;
	put_str(b, m->uid);
	ipc_put_u32(b, m->dst);
	ipc_put_u32(b, m->code);
	put_str(b, m->msg);
	return finish(b);
}

int
ipc_get_apid_send_failed(const struct ipc_msg *imsg,
    struct ipc_apid_send_failed *m)
{
	struct ipc_rd	rd;

	memset(m, 0, sizeof(*m));
	if (get_begin(imsg, IPC_APID_SEND_FAILED, 1, &rd) == -1 ||
	    get_str(&rd, &m->uid) == -1 ||
	    ipc_get_u32(&rd, &m->dst) == -1 ||
	    ipc_get_u32(&rd, &m->code) == -1 ||
	    get_str(&rd, &m->msg) == -1)
		return -1;
	m->id = imsg->hdr.id;
	return ipc_get_end(&rd);
}

struct ipc_buf *
ipc_build_apid_sent(const struct ipc_apid_sent *m)
{
	return finish(begin(m->id != 0, IPC_APID_SENT, m->id, 0));
}

int
ipc_get_apid_sent(const struct ipc_msg *imsg, struct ipc_apid_sent *m)
{
	struct ipc_rd	rd;

	memset(m, 0, sizeof(*m));
	if (get_begin(imsg, IPC_APID_SENT, 1, &rd) == -1)
		return -1;
	m->id = imsg->hdr.id;
	return ipc_get_end(&rd);
}

int
ipc_put_netd_credit(struct ipc_chan *c, const struct ipc_netd_credit *m)
{
	return ipc_close(c, ipc_build_netd_credit(m));
}

int
ipc_put_netd_out_request(struct ipc_chan *c,
    const struct ipc_netd_out_request *m)
{
	return ipc_close(c, ipc_build_netd_out_request(m));
}

int
ipc_put_netd_out_response(struct ipc_chan *c,
    const struct ipc_netd_out_response *m)
{
	return ipc_close(c, ipc_build_netd_out_response(m));
}

int
ipc_put_apid_in_request(struct ipc_chan *c,
    const struct ipc_apid_in_request *m)
{
	return ipc_close(c, ipc_build_apid_in_request(m));
}

int
ipc_put_apid_in_response(struct ipc_chan *c,
    const struct ipc_apid_in_response *m)
{
	return ipc_close(c, ipc_build_apid_in_response(m));
}

int
ipc_put_apid_send_failed(struct ipc_chan *c,
    const struct ipc_apid_send_failed *m)
{
	return ipc_close(c, ipc_build_apid_send_failed(m));
}

int
ipc_put_apid_sent(struct ipc_chan *c, const struct ipc_apid_sent *m)
{
	return ipc_close(c, ipc_build_apid_sent(m));
}

struct ipc_apid_str
ipc_apid_str(const char *s)
{
	struct ipc_apid_str	f = { s, s != NULL ? strlen(s) : 0 };

	return f;
}

struct ipc_apid_str
ipc_apid_text(const char *s)
{
	struct ipc_apid_str	f = ipc_apid_str(s);

	if (f.len > IPC_APID_STR_MAX) {
		/* Drop the whole character that starts at the cut. */
		f.len = IPC_APID_STR_MAX;
		while (f.len > 0 && ((uint8_t)s[f.len] & 0xc0) == 0x80)
			f.len--;
	}
	return f;
}

int
ipc_apid_copy(char *out, size_t cap, struct ipc_apid_str s)
{
	size_t	len = s.p != NULL ? s.len : 0;

	if (len >= cap)
		return -1;
	if (len > 0)
		memcpy(out, s.p, len);
	out[len] = '\0';
	return 0;
}
