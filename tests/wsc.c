/* SPDX-License-Identifier: ISC */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "wsc.h"

/* The longest HTTP response head, and chunk-size line, we read. */
#define HEAD_MAX	16384
#define CHUNK_LINE_MAX	1024

#define DIGIT(ch)	((ch) >= '0' && (ch) <= '9')

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A negative timeout means no deadline, written as -1. */
static int64_t
deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Returns 1 when fd is ready, 0 at the deadline, -1 on error. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd	pfd = { .fd = fd, .events = events };
	int64_t		left;
	int		r;

	for (;;) {
		left = -1;
		if (deadline >= 0) {
			left = deadline - now_ms();
			left = left < 0 ? 0 : left > INT_MAX ? INT_MAX : left;
		}
		if ((r = poll(&pfd, 1, (int)left)) >= 0)
			return r > 0;
		if (errno != EINTR)
			return -1;
	}
}

static int
write_all(int fd, const void *p, size_t n, int64_t deadline)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = send(fd, b, n, MSG_NOSIGNAL)) > 0) {
			b += w;
			n -= (size_t)w;
		} else if (w == -1 && errno == EINTR)
			continue;
		else if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(fd, POLLOUT, deadline) != 1)
				return -1;
		} else
			return -1;
	}
	return 0;
}

/*
 * Reads what is available, first growing the buffer to hold want bytes.
 * Returns 1 after reading, 0 at the deadline, -1 on error, -2 at the end
 * of the stream.
 */
static int
fill(struct wsc *c, size_t want, int64_t deadline)
{
	uint8_t	*nb;
	size_t	 ncap;
	ssize_t	 r;
	int	 w;

	if (want < c->len + 16384)
		want = c->len + 16384;
	if (c->cap < want) {
		ncap = c->cap * 2 > want ? c->cap * 2 : want;
		if ((nb = realloc(c->buf, ncap)) == NULL)
			return -1;
		c->buf = nb;
		c->cap = ncap;
	}
	for (;;) {
		r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r > 0) {
			c->len += (size_t)r;
			return 1;
		}
		if (r == 0)
			return -2;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if ((w = wait_fd(c->fd, POLLIN, deadline)) != 1)
			return w;
	}
}

static void
consume(struct wsc *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Moves the first n buffered bytes to a malloc'd NUL-terminated copy. */
static int
take(struct wsc *c, size_t n, char **out, size_t *outlen)
{
	if ((*out = malloc(n + 1)) == NULL)
		return -1;
	if (n > 0)
		memcpy(*out, c->buf, n);
	(*out)[n] = '\0';
	*outlen = n;
	consume(c, n);
	return 0;
}

static void
release(struct wsc *c)
{
	if (c->fd != -1)
		close(c->fd);
	free(c->buf);
	free(c->msg);
	c->fd = -1;
	c->buf = c->msg = NULL;
	c->len = c->cap = c->msglen = 0;
	c->msgop = 0;
}

/* Accepts a numeric address only, so a test never waits on a resolver. */
static int
tcp_connect(const char *host, int port, int64_t deadline)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl, el = sizeof(int);
	int			 fd, one = 1, err = 0;

	memset(&ss, 0, sizeof(ss));
	if (host != NULL && strchr(host, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sl = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host ? host : "127.0.0.1",
		    &sin->sin_addr) != 1)
			return -1;
		sl = sizeof(*sin);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1 &&
	    ((errno != EINPROGRESS && errno != EINTR) ||
	    wait_fd(fd, POLLOUT, deadline) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 ||
	    err != 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
host_header(char *out, size_t cap, const char *host, int port)
{
	if (host != NULL && strchr(host, ':') != NULL)
		snprintf(out, cap, "[%s]:%d", host, port);
	else
		snprintf(out, cap, "%s:%d", host ? host : "127.0.0.1", port);
}

/*
 * Moves a response head from the buffer to head (HEAD_MAX + 1 bytes,
 * NUL-terminated) and sets *status.  Returns 0 or -1.
 */
static int
read_head(struct wsc *c, int64_t deadline, int *status, char *head)
{
	uint8_t	*end = NULL;
	size_t	 hl;

	while (c->len == 0 ||
	    (end = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL) {
		if (c->len >= HEAD_MAX || fill(c, c->len + 1, deadline) != 1)
			return -1;
	}
	if ((hl = (size_t)(end - c->buf) + 4) > HEAD_MAX)
		return -1;
	memcpy(head, c->buf, hl);
	head[hl] = '\0';
	consume(c, hl);
	if (strncmp(head, "HTTP/1.", 7) != 0 || !DIGIT(head[7]) ||
	    head[8] != ' ' || !DIGIT(head[9]) || !DIGIT(head[10]) ||
	    !DIGIT(head[11]))
		return -1;
	*status = (head[9] - '0') * 100 + (head[10] - '0') * 10 +
	    (head[11] - '0');
	return 0;
}

/* Copies the trimmed value of header name into out.  Returns 0 or -1. */
static int
header(const char *head, const char *name, char *out, size_t cap)
{
	const char	*l, *v, *e;
	size_t		 nl = strlen(name);

	for (l = strstr(head, "\r\n"); l != NULL; l = strstr(l, "\r\n")) {
		l += 2;
		if (strncasecmp(l, name, nl) != 0 || l[nl] != ':')
			continue;
		v = l + nl + 1;
		v += strspn(v, " \t");
		e = strstr(v, "\r\n");
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - v) >= cap)
			return -1;
		memcpy(out, v, (size_t)(e - v));
		out[e - v] = '\0';
		return 0;
	}
	return -1;
}

static int
read_chunked(struct wsc *c, int64_t deadline, char **out, size_t *outlen)
{
	char		*b = NULL, *nb, *end;
	uint8_t		*eol = NULL;
	size_t		 blen = 0;
	unsigned long	 sz;

	for (;;) {
		while (c->len == 0 ||
		    (eol = memmem(c->buf, c->len, "\r\n", 2)) == NULL) {
			if (c->len > CHUNK_LINE_MAX ||
			    fill(c, c->len + 1, deadline) != 1)
				goto fail;
		}
		sz = strtoul((char *)c->buf, &end, 16);
		if (!isxdigit(c->buf[0]) || (*end != '\r' && *end != ';') ||
		    sz > WSC_MAX_MSG - blen)
			goto fail;
		consume(c, (size_t)(eol - c->buf) + 2);
		if (sz == 0)
			break;
		while (c->len < sz + 2)
			if (fill(c, sz + 2, deadline) != 1)
				goto fail;
		if (memcmp(c->buf + sz, "\r\n", 2) != 0 ||
		    (nb = realloc(b, blen + sz + 1)) == NULL)
			goto fail;
		b = nb;
		memcpy(b + blen, c->buf, sz);
		blen += sz;
		consume(c, sz + 2);
	}
	if (b == NULL && (b = malloc(1)) == NULL)
		return -1;
	b[blen] = '\0';
	*out = b;
	*outlen = blen;
	return 0;
fail:
	free(b);
	return -1;
}

/* Reads the body that follows head, framed as the head says. */
static int
read_body(struct wsc *c, const char *head, int nobody, int64_t deadline,
    char **out, size_t *outlen)
{
	char			 v[64], *end;
	unsigned long long	 cl;
	int			 r;

	if (nobody)
		return take(c, 0, out, outlen);
	if (header(head, "Transfer-Encoding", v, sizeof(v)) == 0 &&
	    strcasecmp(v, "chunked") == 0)
		return read_chunked(c, deadline, out, outlen);
	if (header(head, "Content-Length", v, sizeof(v)) == 0) {
		cl = strtoull(v, &end, 10);
		if (!DIGIT(v[0]) || *end != '\0' || cl > WSC_MAX_MSG)
			return -1;
		while (c->len < cl)
			if (fill(c, cl, deadline) != 1)
				return -1;
		return take(c, cl, out, outlen);
	}
	while ((r = fill(c, c->len + 1, deadline)) == 1)
		if (c->len > WSC_MAX_MSG)
			return -1;
	return r == -2 ? take(c, c->len, out, outlen) : -1;
}

static int
no_body(const char *method, int status)
{
	return strcmp(method, "HEAD") == 0 || status / 100 == 1 ||
	    status == 204 || status == 304;
}

int
wsc_connect(struct wsc *c, const char *host, int port, const char *target,
    int *status, char *body, size_t bodycap, int timeout_ms)
{
	char	 head[HEAD_MAX + 1], hp[64], *req, *resp;
	char	 key[sodium_base64_ENCODED_LEN(16,
		    sodium_base64_VARIANT_ORIGINAL)];
	uint8_t	 nonce[16];
	size_t	 rlen;
	int64_t	 deadline = deadline_of(timeout_ms);
	int	 n, r, st;

	memset(c, 0, sizeof(*c));
	c->auto_pong = 1;
	c->send_timeout_ms = WSC_SEND_TIMEOUT_MS;
	*status = 0;
	if (bodycap > 0)
		body[0] = '\0';
	if (sodium_init() < 0 ||
	    (c->fd = tcp_connect(host, port, deadline)) == -1) {
		c->fd = -1;
		return -1;
	}
	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2base64(key, sizeof(key), nonce, sizeof(nonce),
	    sodium_base64_VARIANT_ORIGINAL);
	host_header(hp, sizeof(hp), host, port);
	n = asprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
	    target, hp, key);
	if (n == -1)
		goto fail;
	r = write_all(c->fd, req, (size_t)n, deadline);
	free(req);
	if (r == -1 || read_head(c, deadline, &st, head) == -1)
		goto fail;
	if (st == 101)
		return 0;
	*status = st;
	if (read_body(c, head, no_body("GET", st), deadline, &resp,
	    &rlen) == 0) {
		if (bodycap > 0)
			snprintf(body, bodycap, "%s", resp);
		free(resp);
	}
fail:
	release(c);
	return -1;
}

/* One frame; unmasked only for tests of a server's refusal. */
static int
send_frame(struct wsc *c, int fin, int op, const void *p, size_t n,
    int masked)
{
	const uint8_t	*src = p;
	uint8_t		*f, *mask;
	size_t		 hl = 2, ml = masked ? 4 : 0, i;
	int		 r;

	if (c->fd == -1)
		return -1;
	if (n > 125)
		hl += n > 0xffff ? 8 : 2;
	if ((f = malloc(hl + ml + n)) == NULL)
		return -1;
	f[0] = (uint8_t)((fin ? 0x80 : 0) | (op & 0x0f));
	if (n <= 125)
		f[1] = (uint8_t)n;
	else if (n <= 0xffff) {
		f[1] = 126;
		f[2] = (uint8_t)(n >> 8);
		f[3] = (uint8_t)n;
	} else {
		f[1] = 127;
		for (i = 0; i < 8; i++)
			f[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	}
	if (masked) {
		f[1] |= 0x80;
		mask = f + hl;
		randombytes_buf(mask, 4);
		for (i = 0; i < n; i++)
			f[hl + 4 + i] = src[i] ^ mask[i & 3];
	} else if (n > 0)
		memcpy(f + hl, src, n);
	r = write_all(c->fd, f, hl + ml + n, deadline_of(c->send_timeout_ms));
	free(f);
	if (r == 0 && op == WSC_CLOSE)
		c->close_sent = 1;
	return r;
}

int
wsc_send(struct wsc *c, int opcode, const void *p, size_t n)
{
	return send_frame(c, 1, opcode, p, n, 1);
}

int
wsc_send_unmasked(struct wsc *c, int opcode, const void *p, size_t n)
{
	return send_frame(c, 1, opcode, p, n, 0);
}

int
wsc_send_fragmented(struct wsc *c, int opcode, const void *p, size_t n,
    size_t frag)
{
	const uint8_t	*src = p;
	size_t		 off = 0, k;

	if (frag == 0)
		return -1;
	do {
		k = n - off < frag ? n - off : frag;
		if (send_frame(c, off + k == n, off == 0 ? opcode : WSC_CONT,
		    src + off, k, 1) == -1)
			return -1;
		off += k;
	} while (off < n);
	return 0;
}

int
wsc_send_raw(struct wsc *c, const void *p, size_t n)
{
	if (c->fd == -1)
		return -1;
	return write_all(c->fd, p, n, deadline_of(c->send_timeout_ms));
}

/*
 * Looks at the frame at the start of the buffer: 1 when all of it is
 * buffered, 0 when *need bytes are needed in all, -1 when it breaks the
 * protocol or the size bound.
 */
static int
parse_frame(struct wsc *c, int *fin, int *op, size_t *hl, size_t *plen,
    size_t *need)
{
	const uint8_t	*b = c->buf;
	uint64_t	 len;
	size_t		 h = 2, i;

	*need = 2;
	if (c->len < 2)
		return 0;
	if ((b[0] & 0x70) != 0 || (b[1] & 0x80) != 0)
		return -1;
	len = b[1] & 0x7f;
	if (len >= 126)
		h = len == 126 ? 4 : 10;
	if (c->len < (*need = h))
		return 0;
	if (h == 4)
		len = (uint64_t)b[2] << 8 | b[3];
	else if (h == 10)
		for (len = 0, i = 2; i < 10; i++)
			len = len << 8 | b[i];
	*fin = b[0] >> 7;
	*op = b[0] & 0x0f;
	if ((*op >= 8 && (!*fin || len > 125)) || len > WSC_MAX_MSG)
		return -1;
	*hl = h;
	*plen = (size_t)len;
	*need = h + (size_t)len;
	return c->len >= *need;
}

static int
deliver(int op, const uint8_t *p, size_t n, int *opcode, uint8_t **payload,
    size_t *len)
{
	if ((*payload = malloc(n + 1)) == NULL)
		return -1;
	if (n > 0)
		memcpy(*payload, p, n);
	(*payload)[n] = '\0';
	*opcode = op;
	*len = n;
	return 1;
}

/* Handles one buffered frame: 1 a message is ready, 0 none yet, -1 end. */
static int
on_frame(struct wsc *c, int fin, int op, const uint8_t *p, size_t n,
    int *opcode, uint8_t **payload, size_t *len)
{
	uint8_t	*nb;

	switch (op) {
	case WSC_CLOSE:
		c->closed = 1;
		c->close_code = n >= 2 ? (uint16_t)(p[0] << 8 | p[1]) : 1005;
		if (!c->close_sent)
			send_frame(c, 1, WSC_CLOSE, p, n >= 2 ? 2 : 0, 1);
		return -1;
	case WSC_PING:
		if (c->auto_pong && send_frame(c, 1, WSC_PONG, p, n, 1) == -1)
			return -1;
		/* FALLTHROUGH */
	case WSC_PONG:
		if (!c->want_ctl)
			return 0;
		return deliver(op, p, n, opcode, payload, len);
	case WSC_TEXT:
	case WSC_BINARY:
		if (c->msgop != 0)
			return -1;
		if (fin)
			return deliver(op, p, n, opcode, payload, len);
		c->msgop = op;
		break;
	case WSC_CONT:
		if (c->msgop == 0 || n > WSC_MAX_MSG - c->msglen)
			return -1;
		break;
	default:
		return -1;
	}
	if ((nb = realloc(c->msg, c->msglen + n + 1)) == NULL)
		return -1;
	c->msg = nb;
	if (n > 0)
		memcpy(c->msg + c->msglen, p, n);
	c->msglen += n;
	if (!fin)
		return 0;
	c->msg[c->msglen] = '\0';
	*opcode = c->msgop;
	*payload = c->msg;
	*len = c->msglen;
	c->msg = NULL;
	c->msglen = 0;
	c->msgop = 0;
	return 1;
}

int
wsc_recv(struct wsc *c, int *opcode, uint8_t **payload, size_t *n,
    int timeout_ms)
{
	int64_t	 deadline = deadline_of(timeout_ms);
	size_t	 hl = 0, plen = 0, need;
	int	 fin = 0, op = 0, r;

	*payload = NULL;
	*n = 0;
	if (c->fd == -1 || c->closed)
		return -1;
	for (;;) {
		if ((r = parse_frame(c, &fin, &op, &hl, &plen, &need)) == -1)
			return -1;
		if (r == 0) {
			if ((r = fill(c, need, deadline)) != 1)
				return r == 0 ? 0 : -1;
			continue;
		}
		r = on_frame(c, fin, op, c->buf + hl, plen, opcode, payload, n);
		consume(c, hl + plen);
		if (r != 0)
			return r;
	}
}

void
wsc_close(struct wsc *c)
{
	static const uint8_t	normal[2] = { 1000 >> 8, 1000 & 0xff };
	int64_t			deadline;

	if (c->fd == -1)
		return;
	if (!c->close_sent && send_frame(c, 1, WSC_CLOSE, normal, 2, 1) == 0) {
		/* The server may drop unread input if we vanish first. */
		deadline = now_ms() + 1000;
		do
			c->len = 0;
		while (fill(c, 1, deadline) == 1);
	}
	release(c);
}

void
wsc_drop(struct wsc *c)
{
	release(c);
}

int
http_request(const char *host, int port, const char *method,
    const char *target, const void *body, size_t n, int *status,
    char **resp, size_t *resplen, int timeout_ms)
{
	struct wsc	 c;
	char		 head[HEAD_MAX + 1], hp[64], cl[48] = "", *req = NULL;
	int64_t		 deadline = deadline_of(timeout_ms);
	int		 len, st, rc = -1;

	memset(&c, 0, sizeof(c));
	*status = 0;
	*resp = NULL;
	*resplen = 0;
	if ((c.fd = tcp_connect(host, port, deadline)) == -1)
		return -1;
	host_header(hp, sizeof(hp), host, port);
	if (body != NULL)
		snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", n);
	len = asprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n%s\r\n", method, target, hp, cl);
	if (len == -1)
		req = NULL;
	/* A server may answer (413, say) before taking the whole body. */
	else if (write_all(c.fd, req, (size_t)len, deadline) == 0 &&
	    (body == NULL || write_all(c.fd, body, n, deadline) == 0 ||
	    errno == EPIPE || errno == ECONNRESET) &&
	    read_head(&c, deadline, &st, head) == 0 &&
	    read_body(&c, head, no_body(method, st), deadline, resp,
	    resplen) == 0) {
		*status = st;
		rc = 0;
	}
	free(req);
	release(&c);
	return rc;
}
