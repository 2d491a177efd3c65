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

#include "ipc.h"
#include "ipc_extra.h"
#include "tap.h"

static struct ipc_chan	W, R;	/* a connected writer and reader */

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
	struct ipc_hdr	h = { type, len, id, pid };

	memcpy(out, &h, sizeof(h));
}

/* Moves bytes from w to r until r has a frame (1), nothing moves (0). */
static int
pump(struct ipc_chan *w, struct ipc_chan *r, struct ipc_msg *imsg)
{
	ssize_t	n;
	int	rc;

	for (;;) {
		if ((rc = ipc_next(r, imsg)) != 0)
			return rc;
		if (ipc_write(w) == -1)
			return -1;
		n = ipc_read(r);
		if (n == 0)
			return 0;
		if (n == -1 && errno != EAGAIN)
			return -1;
		if (n == -1 && ipc_pending(w) == 0)
			return 0;
	}
}

/* Sends b from W to R and takes the frame out. */
static int
roundtrip(struct ipc_buf *b, struct ipc_msg *imsg)
{
	if (ipc_close(&W, b) == -1)
		return -1;
	return pump(&W, &R, imsg) == 1 ? 0 : -1;
}

/* Same for a raw payload. */
static int
roundtrip_raw(const void *p, size_t n, struct ipc_msg *imsg)
{
	if (ipc_compose(&W, 1, 1, p, n) == -1)
		return -1;
	return pump(&W, &R, imsg) == 1 ? 0 : -1;
}

/* A fresh reader holding n raw bytes, as if a peer had sent them. */
static int
feed(struct ipc_chan *r, int sv[2], const void *p, size_t n)
{
	if (pair(sv) == -1 || ipc_init(r, sv[1]) == -1)
		return -1;
	if (write(sv[0], p, n) != (ssize_t)n)
		return -1;
	return ipc_read(r) == (ssize_t)n ? 0 : -1;
}

static void
unfeed(struct ipc_chan *r, int sv[2])
{
	ipc_clear(r);
	close(sv[0]);
	close(sv[1]);
}

static void
test_fields(void)
{
	static const uint8_t	 bin[] = { 0x00, 0x01, 0xff };
	struct ipc_buf		*b;
	struct ipc_msg		 imsg;
	struct ipc_rd		 rd;
	const uint8_t		*p;
	size_t			 n;
	uint32_t		 a32, b32;
	uint64_t		 a64, b64;
	char			 s[16], e[4] = "x";

	b = ipc_create(7, 42, 0);
	ok(b != NULL, "ipc_create");
	ok(ipc_put_u32(b, 0) == 0 && ipc_put_u32(b, UINT32_MAX) == 0 &&
	    ipc_put_u64(b, UINT64_MAX) == 0 &&
	    ipc_put_u64(b, 0x0102030405060708ULL) == 0 &&
	    ipc_put_bytes(b, bin, sizeof(bin)) == 0 &&
	    ipc_put_bytes(b, NULL, 0) == 0 &&
	    ipc_put_str(b, "hello") == 0 && ipc_put_str(b, "") == 0,
	    "every field type added, growing from a zero hint");
	ok(ipc_close(&W, b) == 0 && ipc_pending(&W) == 16 + 8 + 16 +
	    7 + 4 + 9 + 4, "ipc_close queues the whole frame");
	ok(pump(&W, &R, &imsg) == 1, "frame received");
	ok(imsg.hdr.type == 7 && imsg.hdr.id == 42 && imsg.hdr.len == 64 &&
	    imsg.datalen == 48, "type, id and length carried");
	ok(imsg.hdr.pid == (uint32_t)getpid(), "pid carried");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_u32(&rd, &a32) == 0 && ipc_get_u32(&rd, &b32) == 0 &&
	    a32 == 0 && b32 == UINT32_MAX, "u32 round trip");
	ok(ipc_get_u64(&rd, &a64) == 0 && ipc_get_u64(&rd, &b64) == 0 &&
	    a64 == UINT64_MAX && b64 == 0x0102030405060708ULL,
	    "u64 round trip");
	ok(ipc_get_bytes(&rd, &p, &n, 3) == 0 && n == 3 &&
	    memcmp(p, bin, 3) == 0, "bytes round trip");
	ok(ipc_get_bytes(&rd, &p, &n, 0) == 0 && n == 0,
	    "empty bytes round trip");
	ok(ipc_get_str(&rd, s, sizeof(s)) == 0 && strcmp(s, "hello") == 0,
	    "str round trip");
	ok(ipc_get_str(&rd, e, sizeof(e)) == 0 && e[0] == '\0',
	    "empty str round trip");
	ok(ipc_get_end(&rd) == 0, "every byte consumed");
	ok(ipc_get_u32(&rd, &a32) == -1, "nothing after the end");

	ok(ipc_compose(&W, 9, 3, "abc", 3) == 0 &&
	    pump(&W, &R, &imsg) == 1 && imsg.hdr.type == 9 &&
	    imsg.hdr.id == 3 && imsg.datalen == 3 &&
	    memcmp(imsg.data, "abc", 3) == 0, "ipc_compose raw payload");
	ok(ipc_compose(&W, 10, 4, NULL, 0) == 0 &&
	    pump(&W, &R, &imsg) == 1 && imsg.hdr.len == IPC_HDR_SIZE &&
	    imsg.datalen == 0, "empty payload");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_end(&rd) == 0, "empty payload is at its end");
	ok(pump(&W, &R, &imsg) == 0, "nothing more");
}

static void
test_limits(void)
{
	struct ipc_buf	*b;
	struct ipc_msg	 imsg;
	struct ipc_rd	 rd;
	const uint8_t	*p;
	uint8_t		*big;
	size_t		 i, n;

	if ((big = malloc(IPC_MAX)) == NULL)
		abort();
	for (i = 0; i < IPC_MAX; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);

	b = ipc_create(2, 5, 16);
	ok(ipc_put_bytes(b, big, IPC_MAX - IPC_HDR_SIZE - 4) == 0,
	    "bytes filling a frame to exactly IPC_MAX");
	ok(b != NULL && b->len == IPC_MAX, "frame is IPC_MAX bytes");
	ok(roundtrip(b, &imsg) == 0 && imsg.hdr.len == IPC_MAX,
	    "IPC_MAX frame received");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_bytes(&rd, &p, &n, ENVELOPE_MAX + 64 * 1024) == 0 &&
	    n == IPC_MAX - 20 && memcmp(p, big, n) == 0 &&
	    ipc_get_end(&rd) == 0, "IPC_MAX payload intact");
	ok(R.rcap == IPC_MAX, "the read buffer grew to the frame");
	ok(ipc_next(&R, &imsg) == 0 && R.rbuf == NULL && R.rcap == 0,
	    "once the frame is taken, its buffer is freed");
	ok(roundtrip_raw(big, IPC_MAX - IPC_HDR_SIZE, &imsg) == 0 &&
	    imsg.datalen == IPC_MAX - IPC_HDR_SIZE &&
	    memcmp(imsg.data, big, imsg.datalen) == 0,
	    "IPC_MAX raw frame received");
	ok(roundtrip_raw(big, 100, &imsg) == 0 && imsg.datalen == 100 &&
	    memcmp(imsg.data, big, 100) == 0 && R.rcap == IPC_CHUNK,
	    "a small frame after it: a buffer of IPC_CHUNK again");

	b = ipc_create(2, 6, IPC_MAX);
	errno = 0;
	ok(ipc_put_bytes(b, big, IPC_MAX - IPC_HDR_SIZE - 3) == -1 &&
	    errno == EMSGSIZE, "one byte over IPC_MAX refused (EMSGSIZE)");
	ok(ipc_put_u32(b, 1) == -1, "later adds fail too");
	errno = 0;
	ok(ipc_close(&W, b) == -1 && errno == EMSGSIZE &&
	    ipc_pending(&W) == 0, "ipc_close refuses it, nothing queued");

	b = ipc_create(2, 7, 0);
	ok(ipc_put_bytes(b, big, IPC_MAX - IPC_HDR_SIZE - 5) == 0 &&
	    ipc_put_u32(b, 1) == -1 && ipc_close(&W, b) == -1,
	    "a field crossing IPC_MAX refused at ipc_close");
	errno = 0;
	ok(ipc_compose(&W, 2, 8, big, IPC_MAX - IPC_HDR_SIZE + 1) == -1 &&
	    errno == EMSGSIZE && ipc_pending(&W) == 0,
	    "raw payload one byte over refused");
	ok(ipc_put_u32(NULL, 1) == -1 && ipc_close(&W, NULL) == -1,
	    "a NULL ipc_buf fails cleanly");
	free(big);
}

static void
test_many(void)
{
	struct ipc_msg	imsg;
	struct ipc_rd	rd;
	uint32_t	i, v;
	int		good = 1;

	for (i = 0; i < 50; i++)
		if (ipc_compose(&W, 100 + i, 1000 + i, &i, sizeof(i)) == -1)
			good = 0;
	ok(good && ipc_pending(&W) == 50 * 20, "50 frames queued");
	ok(ipc_write(&W) == 0 && ipc_pending(&W) == 0,
	    "one write sends them all");
	ok(ipc_read(&R) == 50 * 20, "one read takes them all");
	for (i = 0; i < 50; i++) {
		if (ipc_next(&R, &imsg) != 1 || imsg.hdr.type != 100 + i ||
		    imsg.hdr.id != 1000 + i)
			good = 0;
		ipc_rd_init(&rd, &imsg);
		if (ipc_get_u32(&rd, &v) == -1 || v != i ||
		    ipc_get_end(&rd) == -1)
			good = 0;
	}
	ok(good, "50 frames out of one read, in order");
	ok(ipc_next(&R, &imsg) == 0, "then none");
	errno = 0;
	ok(ipc_read(&R) == -1 && errno == EAGAIN,
	    "empty non-blocking read is EAGAIN");
}

static void
test_split(void)
{
	struct ipc_chan	r;
	struct ipc_msg	imsg;
	uint8_t		raw[21];
	size_t		i;
	int		sv[2], early = 0, got = 0;

	hdr(raw, 3, sizeof(raw), 9, 1234);
	memcpy(raw + 16, "abcde", 5);
	if (pair(sv) == -1 || ipc_init(&r, sv[1]) == -1)
		abort();
	for (i = 0; i < sizeof(raw); i++) {
		if (write(sv[0], raw + i, 1) != 1 || ipc_read(&r) != 1)
			break;
		switch (ipc_next(&r, &imsg)) {
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
	    "byte-at-a-time: ipc_next is 0 until the last byte");
	ok(got == 1 && imsg.hdr.type == 3 && imsg.hdr.id == 9 &&
	    imsg.hdr.pid == 1234 && imsg.datalen == 5 &&
	    memcmp(imsg.data, "abcde", 5) == 0, "split frame intact");
	unfeed(&r, sv);

	if (feed(&r, sv, raw, 10) == -1)
		abort();
	ok(ipc_next(&r, &imsg) == 0, "10 header bytes: need more");
	close(sv[0]);
	sv[0] = -1;
	ok(ipc_read(&r) == 0 && ipc_next(&r, &imsg) == 0 && r.rlen == 10,
	    "short header then EOF: no frame, 10 bytes left over");
	unfeed(&r, sv);
}

static void
test_badlen(void)
{
	static const uint32_t	 bad[] = { 0, 1, IPC_HDR_SIZE - 1,
	    IPC_MAX + 1, UINT32_MAX };
	struct ipc_chan		 r;
	struct ipc_msg		 imsg;
	uint8_t			 raw[16];
	size_t			 i;
	int			 sv[2];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr(raw, 1, bad[i], 1, 1);
		if (feed(&r, sv, raw, sizeof(raw)) == -1)
			abort();
		errno = 0;
		ok(ipc_next(&r, &imsg) == -1 && errno == EBADMSG,
		    "length %u refused from the header alone", bad[i]);
		ok(ipc_next(&r, &imsg) == -1, "and stays refused");
		unfeed(&r, sv);
	}
	hdr(raw, 1, IPC_MAX, 1, 1);
	if (feed(&r, sv, raw, sizeof(raw)) == -1)
		abort();
	ok(ipc_next(&r, &imsg) == 0, "length IPC_MAX waits for its payload");
	unfeed(&r, sv);
	hdr(raw, 1, IPC_HDR_SIZE, 1, 1);
	if (feed(&r, sv, raw, sizeof(raw)) == -1)
		abort();
	ok(ipc_next(&r, &imsg) == 1 && imsg.datalen == 0,
	    "length IPC_HDR_SIZE is an empty frame");
	unfeed(&r, sv);
}

static void
test_getters(void)
{
	struct ipc_buf	*b;
	struct ipc_msg	 imsg;
	struct ipc_rd	 rd;
	const uint8_t	*p;
	uint8_t		 raw[16];
	size_t		 n;
	uint32_t	 v32;
	uint64_t	 v64;
	char		 s[6];

	ok(roundtrip_raw("\1\0\0\0\7", 5, &imsg) == 0, "u32 plus one byte");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_u32(&rd, &v32) == 0 && v32 == 1, "u32 read");
	ok(ipc_get_end(&rd) == -1, "trailing byte: ipc_get_end fails");
	ok(ipc_get_u32(&rd, &v32) == -1 && rd.off == 4,
	    "truncated u32 refused, nothing consumed");

	ok(roundtrip_raw("1234567", 7, &imsg) == 0, "7-byte payload");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_u64(&rd, &v64) == -1 && rd.off == 0,
	    "truncated u64 refused");
	ok(roundtrip_raw("\5\0\0", 3, &imsg) == 0, "3-byte payload");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_bytes(&rd, &p, &n, 100) == -1 &&
	    ipc_get_str(&rd, s, sizeof(s)) == -1 && rd.off == 0,
	    "truncated length prefix refused");

	b = ipc_create(1, 1, 0);
	ipc_put_bytes(b, "0123456789", 10);
	ok(roundtrip(b, &imsg) == 0, "10-byte field");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_bytes(&rd, &p, &n, 9) == -1 && rd.off == 0,
	    "bytes over max refused, nothing consumed");
	ok(ipc_get_bytes(&rd, &p, &n, 10) == 0 && n == 10 &&
	    memcmp(p, "0123456789", 10) == 0 && ipc_get_end(&rd) == 0,
	    "bytes at max accepted");

	v32 = 100;
	memcpy(raw, &v32, 4);
	memcpy(raw + 4, "0123456789ab", 12);
	ok(roundtrip_raw(raw, sizeof(raw), &imsg) == 0, "length 100, 12 left");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_bytes(&rd, &p, &n, SIZE_MAX) == -1 && rd.off == 0 &&
	    ipc_get_str(&rd, s, sizeof(s)) == -1,
	    "length beyond what is left refused");
	ok(roundtrip_raw("\5\0\0\0abcd", 8, &imsg) == 0, "length 5, 4 left");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_bytes(&rd, &p, &n, SIZE_MAX) == -1 && rd.off == 0,
	    "length one past the end refused");
	ok(roundtrip_raw("\4\0\0\0abc", 8, &imsg) == 0, "length 4, 4 left");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_str(&rd, s, sizeof(s)) == -1 && rd.off == 0,
	    "str ending in a NUL refused");
	ok(ipc_get_bytes(&rd, &p, &n, 4) == 0 && n == 4 &&
	    memcmp(p, "abc", 4) == 0 && ipc_get_end(&rd) == 0,
	    "length exactly what is left accepted");

	b = ipc_create(1, 1, 0);
	ipc_put_bytes(b, "ab\0cd", 5);
	ipc_put_str(b, "hello");
	ipc_put_str(b, "hello!");
	ipc_put_str(b, "");
	ok(roundtrip(b, &imsg) == 0, "strings");
	ipc_rd_init(&rd, &imsg);
	ok(ipc_get_str(&rd, s, sizeof(s)) == -1 && rd.off == 0,
	    "str with an embedded NUL refused, nothing consumed");
	ok(ipc_get_bytes(&rd, &p, &n, 5) == 0, "skipped as bytes");
	ok(ipc_get_str(&rd, s, 5) == -1, "str of 5 in 5 bytes refused");
	ok(ipc_get_str(&rd, s, 0) == -1, "str into 0 bytes refused");
	ok(ipc_get_str(&rd, s, 6) == 0 && strcmp(s, "hello") == 0,
	    "str of 5 in 6 bytes fits exactly");
	ok(ipc_get_str(&rd, s, sizeof(s)) == -1, "str of 6 in 6 refused");
	ok(ipc_get_bytes(&rd, &p, &n, 6) == 0 &&
	    ipc_get_str(&rd, s, 1) == 0 && s[0] == '\0' &&
	    ipc_get_end(&rd) == 0, "empty str in 1 byte");
}

/* Checks frame i of a stream of big frames. */
static int
big_ok(const struct ipc_msg *imsg, uint32_t i)
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
queue_big(struct ipc_chan *w, uint32_t count)
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
		if (ipc_compose(w, 50 + i, i, p, n) == -1)
			return -1;
		free(p);
	}
	return 0;
}

static void
test_slow(void)
{
	struct ipc_msg	imsg;
	size_t		last;
	uint32_t	got = 0;
	int		partial = 0, good = 1, rounds = 0;

	ok(queue_big(&W, 10) == 0, "10 frames of about 1 MiB queued");
	ok(ipc_write(&W) == 0 && ipc_pending(&W) > 0,
	    "non-blocking write returns 0 with data pending");
	last = ipc_pending(&W);
	while (got < 10 && rounds++ < 100000) {
		if (ipc_read(&R) == -1 && errno != EAGAIN)
			break;
		while (ipc_next(&R, &imsg) == 1)
			if (!big_ok(&imsg, got++))
				good = 0;
		if (ipc_write(&W) == -1)
			break;
		if (ipc_pending(&W) > last)
			good = 0;
		if (ipc_pending(&W) > 0)
			partial++;
		last = ipc_pending(&W);
	}
	ok(got == 10 && good, "slow reader gets every frame intact, in order");
	ok(partial > 1 && ipc_pending(&W) == 0,
	    "queue drained over %d partial writes", partial);
}

static void
test_closed(void)
{
	struct ipc_chan	w;
	int		sv[2];

	if (pair(sv) == -1 || ipc_init(&w, sv[0]) == -1)
		abort();
	close(sv[1]);
	ok(ipc_compose(&w, 1, 1, "x", 1) == 0, "queued to a closed peer");
	errno = 0;
	ok(ipc_write(&w) == -1 && errno == EPIPE,
	    "write to a closed peer is -1 (EPIPE)");
	ok(ipc_flush(&w) == -1 && ipc_pending(&w) == 17,
	    "flush to a closed peer is -1, frame still queued");
	ipc_clear(&w);
	close(sv[0]);
}

/* The child half of test_flush: reads until every frame is in. */
static int
flush_child(int fd, pid_t parent)
{
	struct ipc_chan	r;
	struct ipc_msg	imsg;
	struct pollfd	pfd = { fd, POLLIN, 0 };
	uint32_t	got = 0;
	ssize_t		n;

	if (ipc_init(&r, fd) == -1)
		return 1;
	while (got < 6) {
		if (poll(&pfd, 1, 10000) != 1)
			return 2;
		if ((n = ipc_read(&r)) == 0 ||
		    (n == -1 && errno != EAGAIN))
			return 3;
		while (ipc_next(&r, &imsg) == 1)
			if (!big_ok(&imsg, got++) ||
			    imsg.hdr.pid != (uint32_t)parent)
				return 4;
	}
	return 0;
}

static void
test_flush(void)
{
	struct ipc_chan	w;
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
	if (ipc_init(&w, sv[0]) == -1)
		abort();
	ok(queue_big(&w, 6) == 0, "6 MiB queued for another process");
	ok(ipc_flush(&w) == 0 && ipc_pending(&w) == 0,
	    "ipc_flush sends it all");
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0,
	    "the child got every frame, with our pid and the ids");
	ipc_clear(&w);
	close(sv[0]);
}

int
main(void)
{
	int	sv[2];

	signal(SIGPIPE, SIG_IGN);
	if (pair(sv) == -1 || ipc_init(&W, sv[0]) == -1 ||
	    ipc_init(&R, sv[1]) == -1)
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
	ipc_clear(&W);
	ipc_clear(&R);
	close(sv[0]);
	close(sv[1]);
	return done_testing();
}
