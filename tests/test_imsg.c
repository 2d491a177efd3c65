/* SPDX-License-Identifier: ISC */
/*
 * The imsg framing over real socketpairs: field round trips, frame limits,
 * split and coalesced reads, malformed headers, the typed getters' bounds,
 * and the writer against slow, closed and separate-process peers.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "imsg.h"
#include "tap.h"

static struct imsgbuf	W, R;	/* a connected writer and reader */

static int
pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1)
		return -1;
	return 0;
}

static void
hdr(uint8_t *out, uint32_t type, uint32_t len, uint32_t id, uint32_t pid)
{
	struct imsg_hdr	h = { type, len, id, pid };

	memcpy(out, &h, sizeof(h));
}

/* Moves bytes from w to r until r has a frame (1), nothing moves (0). */
static int
pump(struct imsgbuf *w, struct imsgbuf *r, struct imsg *imsg)
{
	ssize_t	n;
	int	rc;

	for (;;) {
		if ((rc = imsg_get(r, imsg)) != 0)
			return rc;
		if (imsgbuf_write(w) == -1)
			return -1;
		n = imsgbuf_read(r);
		if (n == 0)
			return 0;
		if (n == -1 && errno != EAGAIN)
			return -1;
		if (n == -1 && imsgbuf_pending(w) == 0)
			return 0;
	}
}

/* Sends b from W to R and takes the frame out. */
static int
roundtrip(struct ibuf *b, struct imsg *imsg)
{
	if (imsg_close(&W, b) == -1)
		return -1;
	return pump(&W, &R, imsg) == 1 ? 0 : -1;
}

/* Same for a raw payload. */
static int
roundtrip_raw(const void *p, size_t n, struct imsg *imsg)
{
	if (imsg_compose(&W, 1, 1, p, n) == -1)
		return -1;
	return pump(&W, &R, imsg) == 1 ? 0 : -1;
}

/* A fresh reader holding n raw bytes, as if a peer had sent them. */
static int
feed(struct imsgbuf *r, int sv[2], const void *p, size_t n)
{
	if (pair(sv) == -1 || imsgbuf_init(r, sv[1]) == -1)
		return -1;
	if (write(sv[0], p, n) != (ssize_t)n)
		return -1;
	return imsgbuf_read(r) == (ssize_t)n ? 0 : -1;
}

static void
unfeed(struct imsgbuf *r, int sv[2])
{
	imsgbuf_clear(r);
	close(sv[0]);
	close(sv[1]);
}

static void
test_fields(void)
{
	static const uint8_t	 bin[] = { 0x00, 0x01, 0xff };
	struct ibuf		*b;
	struct imsg		 imsg;
	struct imsg_rd		 rd;
	const uint8_t		*p;
	size_t			 n;
	uint32_t		 a32, b32;
	uint64_t		 a64, b64;
	char			 s[16], e[4] = "x";

	b = imsg_create(7, 42, 0);
	ok(b != NULL, "imsg_create");
	ok(ibuf_add_u32(b, 0) == 0 && ibuf_add_u32(b, UINT32_MAX) == 0 &&
	    ibuf_add_u64(b, UINT64_MAX) == 0 &&
	    ibuf_add_u64(b, 0x0102030405060708ULL) == 0 &&
	    ibuf_add_bytes(b, bin, sizeof(bin)) == 0 &&
	    ibuf_add_bytes(b, NULL, 0) == 0 &&
	    ibuf_add_str(b, "hello") == 0 && ibuf_add_str(b, "") == 0,
	    "every field type added, growing from a zero hint");
	ok(imsg_close(&W, b) == 0 && imsgbuf_pending(&W) == 16 + 8 + 16 +
	    7 + 4 + 9 + 4, "imsg_close queues the whole frame");
	ok(pump(&W, &R, &imsg) == 1, "frame received");
	ok(imsg.hdr.type == 7 && imsg.hdr.id == 42 && imsg.hdr.len == 64 &&
	    imsg.datalen == 48, "type, id and length carried");
	ok(imsg.hdr.pid == (uint32_t)getpid(), "pid carried");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_u32(&rd, &a32) == 0 && imsg_get_u32(&rd, &b32) == 0 &&
	    a32 == 0 && b32 == UINT32_MAX, "u32 round trip");
	ok(imsg_get_u64(&rd, &a64) == 0 && imsg_get_u64(&rd, &b64) == 0 &&
	    a64 == UINT64_MAX && b64 == 0x0102030405060708ULL,
	    "u64 round trip");
	ok(imsg_get_bytes(&rd, &p, &n, 3) == 0 && n == 3 &&
	    memcmp(p, bin, 3) == 0, "bytes round trip");
	ok(imsg_get_bytes(&rd, &p, &n, 0) == 0 && n == 0,
	    "empty bytes round trip");
	ok(imsg_get_str(&rd, s, sizeof(s)) == 0 && strcmp(s, "hello") == 0,
	    "str round trip");
	ok(imsg_get_str(&rd, e, sizeof(e)) == 0 && e[0] == '\0',
	    "empty str round trip");
	ok(imsg_get_end(&rd) == 0, "every byte consumed");
	ok(imsg_get_u32(&rd, &a32) == -1, "nothing after the end");

	ok(imsg_compose(&W, 9, 3, "abc", 3) == 0 &&
	    pump(&W, &R, &imsg) == 1 && imsg.hdr.type == 9 &&
	    imsg.hdr.id == 3 && imsg.datalen == 3 &&
	    memcmp(imsg.data, "abc", 3) == 0, "imsg_compose raw payload");
	ok(imsg_compose(&W, 10, 4, NULL, 0) == 0 &&
	    pump(&W, &R, &imsg) == 1 && imsg.hdr.len == IMSG_HDR_SIZE &&
	    imsg.datalen == 0, "empty payload");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_end(&rd) == 0, "empty payload is at its end");
	ok(pump(&W, &R, &imsg) == 0, "nothing more");
}

static void
test_limits(void)
{
	struct ibuf	*b;
	struct imsg	 imsg;
	struct imsg_rd	 rd;
	const uint8_t	*p;
	uint8_t		*big;
	size_t		 i, n;

	if ((big = malloc(IMSG_MAX)) == NULL)
		abort();
	for (i = 0; i < IMSG_MAX; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);

	b = imsg_create(2, 5, 16);
	ok(ibuf_add_bytes(b, big, IMSG_MAX - IMSG_HDR_SIZE - 4) == 0,
	    "bytes filling a frame to exactly IMSG_MAX");
	ok(b != NULL && b->len == IMSG_MAX, "frame is IMSG_MAX bytes");
	ok(roundtrip(b, &imsg) == 0 && imsg.hdr.len == IMSG_MAX,
	    "IMSG_MAX frame received");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_bytes(&rd, &p, &n, ENVELOPE_MAX + 64 * 1024) == 0 &&
	    n == IMSG_MAX - 20 && memcmp(p, big, n) == 0 &&
	    imsg_get_end(&rd) == 0, "IMSG_MAX payload intact");
	ok(roundtrip_raw(big, IMSG_MAX - IMSG_HDR_SIZE, &imsg) == 0 &&
	    imsg.datalen == IMSG_MAX - IMSG_HDR_SIZE &&
	    memcmp(imsg.data, big, imsg.datalen) == 0,
	    "IMSG_MAX raw frame received");

	b = imsg_create(2, 6, IMSG_MAX);
	errno = 0;
	ok(ibuf_add_bytes(b, big, IMSG_MAX - IMSG_HDR_SIZE - 3) == -1 &&
	    errno == EMSGSIZE, "one byte over IMSG_MAX refused (EMSGSIZE)");
	ok(ibuf_add_u32(b, 1) == -1, "later adds fail too");
	errno = 0;
	ok(imsg_close(&W, b) == -1 && errno == EMSGSIZE &&
	    imsgbuf_pending(&W) == 0, "imsg_close refuses it, nothing queued");

	b = imsg_create(2, 7, 0);
	ok(ibuf_add_bytes(b, big, IMSG_MAX - IMSG_HDR_SIZE - 5) == 0 &&
	    ibuf_add_u32(b, 1) == -1 && imsg_close(&W, b) == -1,
	    "a field crossing IMSG_MAX refused at imsg_close");
	errno = 0;
	ok(imsg_compose(&W, 2, 8, big, IMSG_MAX - IMSG_HDR_SIZE + 1) == -1 &&
	    errno == EMSGSIZE && imsgbuf_pending(&W) == 0,
	    "raw payload one byte over refused");
	ok(ibuf_add_u32(NULL, 1) == -1 && imsg_close(&W, NULL) == -1,
	    "a NULL ibuf fails cleanly");
	free(big);
}

static void
test_many(void)
{
	struct imsg	imsg;
	struct imsg_rd	rd;
	uint32_t	i, v;
	int		good = 1;

	for (i = 0; i < 50; i++)
		if (imsg_compose(&W, 100 + i, 1000 + i, &i, sizeof(i)) == -1)
			good = 0;
	ok(good && imsgbuf_pending(&W) == 50 * 20, "50 frames queued");
	ok(imsgbuf_write(&W) == 0 && imsgbuf_pending(&W) == 0,
	    "one write sends them all");
	ok(imsgbuf_read(&R) == 50 * 20, "one read takes them all");
	for (i = 0; i < 50; i++) {
		if (imsg_get(&R, &imsg) != 1 || imsg.hdr.type != 100 + i ||
		    imsg.hdr.id != 1000 + i)
			good = 0;
		imsg_rd_init(&rd, &imsg);
		if (imsg_get_u32(&rd, &v) == -1 || v != i ||
		    imsg_get_end(&rd) == -1)
			good = 0;
	}
	ok(good, "50 frames out of one read, in order");
	ok(imsg_get(&R, &imsg) == 0, "then none");
	errno = 0;
	ok(imsgbuf_read(&R) == -1 && errno == EAGAIN,
	    "empty non-blocking read is EAGAIN");
}

static void
test_split(void)
{
	struct imsgbuf	r;
	struct imsg	imsg;
	uint8_t		raw[21];
	size_t		i;
	int		sv[2], early = 0, got = 0;

	hdr(raw, 3, sizeof(raw), 9, 1234);
	memcpy(raw + 16, "abcde", 5);
	if (pair(sv) == -1 || imsgbuf_init(&r, sv[1]) == -1)
		abort();
	for (i = 0; i < sizeof(raw); i++) {
		if (write(sv[0], raw + i, 1) != 1 || imsgbuf_read(&r) != 1)
			break;
		switch (imsg_get(&r, &imsg)) {
		case 0:
			if (i + 1 == sizeof(raw))
				early = 1;
			break;
		case 1:
			if (i + 1 != sizeof(raw))
				early = 1;
			got++;
			break;
		default:
			early = 1;
		}
	}
	ok(i == sizeof(raw) && !early && got == 1,
	    "byte-at-a-time: imsg_get is 0 until the last byte");
	ok(got == 1 && imsg.hdr.type == 3 && imsg.hdr.id == 9 &&
	    imsg.hdr.pid == 1234 && imsg.datalen == 5 &&
	    memcmp(imsg.data, "abcde", 5) == 0, "split frame intact");
	unfeed(&r, sv);

	if (feed(&r, sv, raw, 10) == -1)
		abort();
	ok(imsg_get(&r, &imsg) == 0, "10 header bytes: need more");
	close(sv[0]);
	sv[0] = -1;
	ok(imsgbuf_read(&r) == 0 && imsg_get(&r, &imsg) == 0 && r.rlen == 10,
	    "short header then EOF: no frame, 10 bytes left over");
	unfeed(&r, sv);
}

static void
test_badlen(void)
{
	static const uint32_t	 bad[] = { 0, 1, IMSG_HDR_SIZE - 1,
	    IMSG_MAX + 1, UINT32_MAX };
	struct imsgbuf		 r;
	struct imsg		 imsg;
	uint8_t			 raw[16];
	size_t			 i;
	int			 sv[2];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr(raw, 1, bad[i], 1, 1);
		if (feed(&r, sv, raw, sizeof(raw)) == -1)
			abort();
		errno = 0;
		ok(imsg_get(&r, &imsg) == -1 && errno == EBADMSG,
		    "length %u refused from the header alone", bad[i]);
		ok(imsg_get(&r, &imsg) == -1, "and stays refused");
		unfeed(&r, sv);
	}
	hdr(raw, 1, IMSG_MAX, 1, 1);
	if (feed(&r, sv, raw, sizeof(raw)) == -1)
		abort();
	ok(imsg_get(&r, &imsg) == 0, "length IMSG_MAX waits for its payload");
	unfeed(&r, sv);
	hdr(raw, 1, IMSG_HDR_SIZE, 1, 1);
	if (feed(&r, sv, raw, sizeof(raw)) == -1)
		abort();
	ok(imsg_get(&r, &imsg) == 1 && imsg.datalen == 0,
	    "length IMSG_HDR_SIZE is an empty frame");
	unfeed(&r, sv);
}

static void
test_getters(void)
{
	struct ibuf	*b;
	struct imsg	 imsg;
	struct imsg_rd	 rd;
	const uint8_t	*p;
	uint8_t		 raw[16];
	size_t		 n;
	uint32_t	 v32;
	uint64_t	 v64;
	char		 s[6];

	ok(roundtrip_raw("\1\0\0\0\7", 5, &imsg) == 0, "u32 plus one byte");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_u32(&rd, &v32) == 0 && v32 == 1, "u32 read");
	ok(imsg_get_end(&rd) == -1, "trailing byte: imsg_get_end fails");
	ok(imsg_get_u32(&rd, &v32) == -1 && rd.off == 4,
	    "truncated u32 refused, nothing consumed");

	ok(roundtrip_raw("1234567", 7, &imsg) == 0, "7-byte payload");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_u64(&rd, &v64) == -1 && rd.off == 0,
	    "truncated u64 refused");
	ok(roundtrip_raw("\5\0\0", 3, &imsg) == 0, "3-byte payload");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_bytes(&rd, &p, &n, 100) == -1 &&
	    imsg_get_str(&rd, s, sizeof(s)) == -1 && rd.off == 0,
	    "truncated length prefix refused");

	b = imsg_create(1, 1, 0);
	ibuf_add_bytes(b, "0123456789", 10);
	ok(roundtrip(b, &imsg) == 0, "10-byte field");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_bytes(&rd, &p, &n, 9) == -1 && rd.off == 0,
	    "bytes over max refused, nothing consumed");
	ok(imsg_get_bytes(&rd, &p, &n, 10) == 0 && n == 10 &&
	    memcmp(p, "0123456789", 10) == 0 && imsg_get_end(&rd) == 0,
	    "bytes at max accepted");

	v32 = 100;
	memcpy(raw, &v32, 4);
	memcpy(raw + 4, "0123456789ab", 12);
	ok(roundtrip_raw(raw, sizeof(raw), &imsg) == 0, "length 100, 12 left");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_bytes(&rd, &p, &n, SIZE_MAX) == -1 && rd.off == 0 &&
	    imsg_get_str(&rd, s, sizeof(s)) == -1,
	    "length beyond what is left refused");
	ok(roundtrip_raw("\5\0\0\0abcd", 8, &imsg) == 0, "length 5, 4 left");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_bytes(&rd, &p, &n, SIZE_MAX) == -1 && rd.off == 0,
	    "length one past the end refused");
	ok(roundtrip_raw("\4\0\0\0abc", 8, &imsg) == 0, "length 4, 4 left");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_str(&rd, s, sizeof(s)) == -1 && rd.off == 0,
	    "str ending in a NUL refused");
	ok(imsg_get_bytes(&rd, &p, &n, 4) == 0 && n == 4 &&
	    memcmp(p, "abc", 4) == 0 && imsg_get_end(&rd) == 0,
	    "length exactly what is left accepted");

	b = imsg_create(1, 1, 0);
	ibuf_add_bytes(b, "ab\0cd", 5);
	ibuf_add_str(b, "hello");
	ibuf_add_str(b, "hello!");
	ibuf_add_str(b, "");
	ok(roundtrip(b, &imsg) == 0, "strings");
	imsg_rd_init(&rd, &imsg);
	ok(imsg_get_str(&rd, s, sizeof(s)) == -1 && rd.off == 0,
	    "str with an embedded NUL refused, nothing consumed");
	ok(imsg_get_bytes(&rd, &p, &n, 5) == 0, "skipped as bytes");
	ok(imsg_get_str(&rd, s, 5) == -1, "str of 5 in 5 bytes refused");
	ok(imsg_get_str(&rd, s, 0) == -1, "str into 0 bytes refused");
	ok(imsg_get_str(&rd, s, 6) == 0 && strcmp(s, "hello") == 0,
	    "str of 5 in 6 bytes fits exactly");
	ok(imsg_get_str(&rd, s, sizeof(s)) == -1, "str of 6 in 6 refused");
	ok(imsg_get_bytes(&rd, &p, &n, 6) == 0 &&
	    imsg_get_str(&rd, s, 1) == 0 && s[0] == '\0' &&
	    imsg_get_end(&rd) == 0, "empty str in 1 byte");
}

/* Checks frame i of a stream of big frames. */
static int
big_ok(const struct imsg *imsg, uint32_t i)
{
	size_t	j;

	if (imsg->hdr.type != 50 + i || imsg->hdr.id != i ||
	    imsg->datalen != (1 << 20) + 3 * i)
		return 0;
	for (j = 0; j < imsg->datalen; j++)
		if (imsg->data[j] != (uint8_t)(j + i))
			return 0;
	return 1;
}

static int
queue_big(struct imsgbuf *w, uint32_t count)
{
	uint8_t		*p;
	size_t		 j, n;
	uint32_t	 i;

	for (i = 0; i < count; i++) {
		n = (1 << 20) + 3 * i;
		if ((p = malloc(n)) == NULL)
			return -1;
		for (j = 0; j < n; j++)
			p[j] = (uint8_t)(j + i);
		if (imsg_compose(w, 50 + i, i, p, n) == -1)
			return -1;
		free(p);
	}
	return 0;
}

static void
test_slow(void)
{
	struct imsg	imsg;
	size_t		last;
	uint32_t	got = 0;
	int		partial = 0, good = 1, rounds = 0;

	ok(queue_big(&W, 10) == 0, "10 frames of about 1 MiB queued");
	ok(imsgbuf_write(&W) == 0 && imsgbuf_pending(&W) > 0,
	    "non-blocking write returns 0 with data pending");
	last = imsgbuf_pending(&W);
	while (got < 10 && rounds++ < 100000) {
		if (imsgbuf_read(&R) == -1 && errno != EAGAIN)
			break;
		while (imsg_get(&R, &imsg) == 1)
			if (!big_ok(&imsg, got++))
				good = 0;
		if (imsgbuf_write(&W) == -1)
			break;
		if (imsgbuf_pending(&W) > last)
			good = 0;
		if (imsgbuf_pending(&W) > 0)
			partial++;
		last = imsgbuf_pending(&W);
	}
	ok(got == 10 && good, "slow reader gets every frame intact, in order");
	ok(partial > 1 && imsgbuf_pending(&W) == 0,
	    "queue drained over %d partial writes", partial);
}

static void
test_closed(void)
{
	struct imsgbuf	w;
	int		sv[2];

	if (pair(sv) == -1 || imsgbuf_init(&w, sv[0]) == -1)
		abort();
	close(sv[1]);
	ok(imsg_compose(&w, 1, 1, "x", 1) == 0, "queued to a closed peer");
	errno = 0;
	ok(imsgbuf_write(&w) == -1 && errno == EPIPE,
	    "write to a closed peer is -1 (EPIPE)");
	ok(imsgbuf_flush(&w) == -1 && imsgbuf_pending(&w) == 17,
	    "flush to a closed peer is -1, frame still queued");
	imsgbuf_clear(&w);
	close(sv[0]);
}

/* The child half of test_flush: reads until every frame is in. */
static int
flush_child(int fd, pid_t parent)
{
	struct imsgbuf	r;
	struct imsg	imsg;
	struct pollfd	pfd = { fd, POLLIN, 0 };
	uint32_t	got = 0;
	ssize_t		n;

	if (imsgbuf_init(&r, fd) == -1)
		return 1;
	while (got < 6) {
		if (poll(&pfd, 1, 10000) != 1)
			return 2;
		if ((n = imsgbuf_read(&r)) == 0 ||
		    (n == -1 && errno != EAGAIN))
			return 3;
		while (imsg_get(&r, &imsg) == 1)
			if (!big_ok(&imsg, got++) ||
			    imsg.hdr.pid != (uint32_t)parent)
				return 4;
	}
	return 0;
}

static void
test_flush(void)
{
	struct imsgbuf	w;
	pid_t		pid;
	int		sv[2], status;

	if (pair(sv) == -1)
		abort();
	fflush(stdout);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(sv[0]);
		_exit(flush_child(sv[1], getppid()));
	}
	close(sv[1]);
	if (imsgbuf_init(&w, sv[0]) == -1)
		abort();
	ok(queue_big(&w, 6) == 0, "6 MiB queued for another process");
	ok(imsgbuf_flush(&w) == 0 && imsgbuf_pending(&w) == 0,
	    "imsgbuf_flush sends it all");
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0,
	    "the child got every frame, with our pid and the ids");
	imsgbuf_clear(&w);
	close(sv[0]);
}

int
main(void)
{
	int	sv[2];

	signal(SIGPIPE, SIG_IGN);
	if (pair(sv) == -1 || imsgbuf_init(&W, sv[0]) == -1 ||
	    imsgbuf_init(&R, sv[1]) == -1)
		abort();
	test_fields();
	test_limits();
	test_many();
	test_split();
	test_badlen();
	test_getters();
	test_slow();
	test_closed();
	test_flush();
	imsgbuf_clear(&W);
	imsgbuf_clear(&R);
	close(sv[0]);
	close(sv[1]);
	return done_testing();
}
