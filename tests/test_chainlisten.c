/* SPDX-License-Identifier: ISC */
/*
 * The events listener (common/net/chainlisten.c) against a stub node
 * whose chain lives in memory shared with the test: a head, blocks with
 * TwinUpdated, TwinDeleted or undecodable events, and a runtime upgrade
 * whose metadata swaps TwinStored's and TwinUpdated's indices, so that a
 * block read with the wrong metadata counts the wrong event.  Also: the
 * catch-up threshold, a block the node refuses, failed calls and their
 * retry, and metadata without TwinDeleted, which disables the listener.
 */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <ev.h>

#include "chainlisten.h"
#include "chainrpc.h"
#include "harness.h"
#include "hex.h"
#include "metadata.h"
#include "scale.h"
#include "tap.h"
#include "tfchain_read.h"
#include "twindir.h"

#ifndef METADATA_DIR
#define METADATA_DIR	"tests/fuzz/corpus/metadata"
#endif

#define NBLK		64
#define TWIN		7
#define OLD_SPEC	144
#define NEW_SPEC	145

enum { BLK_NONE, BLK_UPDATED, BLK_DELETED, BLK_GARBAGE, BLK_PRUNED };

/* The chain, shared with the stub's process. */
struct model {
	uint32_t	head;
	uint32_t	upgrade;	/* first state with NEW_SPEC; 0 none */
	int		fail;		/* every call answered with an error */
	int		bad_md;		/* metadata without TwinDeleted */
	uint8_t		kind[NBLK];
	char		relay[NBLK][16];
	uint32_t	calls;
	uint32_t	md_fetches;
	uint32_t	md_at[8];	/* whose state's metadata was asked */
};

static struct model	*M;
static uint8_t		*md_old, *md_new, *md_bad;
static size_t		 md_len;
static uint64_t		 clock_s = 1000;

static uint64_t
now(void)
{
	return clock_s;
}

static uint8_t *
slurp(size_t *len)
{
	FILE	*f;
	uint8_t	*buf;

	if ((f = fopen(METADATA_DIR "/metadata-v14-spec144.scale",
	    "rb")) == NULL || (buf = malloc(METADATA_LEN_MAX)) == NULL) {
		printf("Bail out! no metadata\n");
		exit(1);
	}
	*len = fread(buf, 1, METADATA_LEN_MAX, f);
	fclose(f);
	return buf;
}

/* The offset of an event's variant index after its name and Twin field. */
static size_t
index_at(const uint8_t *md, size_t len, const char *name)
{
	static const char	field[] = "\x04\x00\x71\x01\x01\x64"
	    "types::Twin<T::AccountId>\x00";
	size_t			i, n = strlen(name), f = sizeof(field) - 1;

	for (i = 0; i + 1 + n + f < len; i++)
		if (md[i] == n << 2 && memcmp(md + i + 1, name, n) == 0 &&
		    memcmp(md + i + 1 + n, field, f) == 0)
			return i + 1 + n + f;
	printf("Bail out! %s not found in the metadata\n", name);
	exit(1);
}

static void
make_metadata(void)
{
	size_t	s, u, i;

	md_old = slurp(&md_len);
	if ((md_new = malloc(md_len)) == NULL ||
	    (md_bad = malloc(md_len)) == NULL)
		abort();
	memcpy(md_new, md_old, md_len);
	memcpy(md_bad, md_old, md_len);
	s = index_at(md_old, md_len, "TwinStored");
	u = index_at(md_old, md_len, "TwinUpdated");
	md_new[s] = md_old[u];
	md_new[u] = md_old[s];
	for (i = 0; i + 12 < md_len; i++)
		if (memcmp(md_bad + i, "\x2cTwinDeleted", 12) == 0)
			md_bad[i + 11] = 'x';
}

static uint32_t
spec_at(uint32_t n)
{
	return M->upgrade != 0 && n >= M->upgrade ? NEW_SPEC : OLD_SPEC;
}

static void
hash_hex(char out[67], uint32_t n)
{
	uint8_t	h[32];

	memset(h, 0xab, sizeof(h));
	h[0] = (uint8_t)n;
	h[1] = (uint8_t)(n >> 8);
	out[0] = '0';
	out[1] = 'x';
	hex_encode(out + 2, h, sizeof(h));
}

/* The block number of the last hash in the request's params. */
static uint32_t
block_of(const char *body)
{
	const char	*p, *last = NULL;
	uint8_t		 b[2];

	for (p = body; (p = strstr(p, "\"0x")) != NULL; p++)
		last = p;
	if (last == NULL || hex_decode(b, 2, last + 3, 4) != 0)
		return UINT32_MAX;
	return b[0] | (uint32_t)b[1] << 8;
}

/* Block n's System.Events as the runtime of its parent wrote them. */
static void
events_hex(char *out, size_t cap, uint32_t n)
{
	struct twin_record	t;
	struct scale_wr		w;
	uint8_t			buf[1024], *p = buf;
	uint8_t			updated;

	updated = spec_at(n - 1) == NEW_SPEC ? 11 : 12;
	scale_wr_init(&w, buf, sizeof(buf));
	switch (M->kind[n]) {
	case BLK_UPDATED:
		memset(&t, 0, sizeof(t));
		t.id = TWIN;
		t.has_relay = 1;
		snprintf(t.relay, sizeof(t.relay), "%s", M->relay[n]);
		memcpy(buf, "\x04\x00\x01\x00\x00\x00\x19", 7);
		buf[7] = updated;
		w.len = 8;
		if (twin_encode(&w, &t) != 0)
			abort();
		buf[w.len++] = 0;
		break;
	case BLK_DELETED:
		memcpy(buf, "\x04\x00\x01\x00\x00\x00\x19\x0f\x07\x00\x00\x00"
		    "\x00", 13);
		w.len = 13;
		break;
	case BLK_GARBAGE:
		memcpy(buf, "\x04\x00\x01\x00\x00\x00\xff\xff", 8);
		w.len = 8;
		break;
	default:
		memcpy(buf, "\x00", 1);
		w.len = 1;
		break;
	}
	snprintf(out, cap, "\"0x");
	hex_encode(out + 3, p, w.len);
	strcat(out, "\"");
}

static const char *
answer(const char *req, int *status, void *arg)
{
	static char	 body[2 * METADATA_LEN_MAX / 8], res[4096];
	static char	*mdhex;
	const char	*b = http_body(req), *result = res;
	const uint8_t	*md;
	char		 h[67];
	uint32_t	 n;

	(void)status;
	(void)arg;
	M->calls++;
	if (M->fail)
		return jsonrpc_answer(body, sizeof(body), req, NULL,
		    "node unwell");
	if (strstr(b, "\"chain_getFinalizedHead\"") != NULL) {
		hash_hex(h, M->head);
		snprintf(res, sizeof(res), "\"%s\"", h);
	} else if (strstr(b, "\"chain_getHeader\"") != NULL)
		snprintf(res, sizeof(res), "{\"number\":\"0x%x\"}",
		    block_of(b));
	else if (strstr(b, "\"state_getRuntimeVersion\"") != NULL)
		snprintf(res, sizeof(res), "{\"specVersion\":%u}",
		    spec_at(block_of(b)));
	else if (strstr(b, "\"chain_getBlockHash\"") != NULL) {
		n = (uint32_t)strtoul(strstr(b, "\"params\":[") + 10, NULL,
		    10);
		hash_hex(h, n);
		snprintf(res, sizeof(res), "\"%s\"", h);
	} else if (strstr(b, "\"state_getStorage\"") != NULL) {
		n = block_of(b);
		if (n < NBLK && M->kind[n] == BLK_PRUNED)
			result = NULL;
		else
			events_hex(res, sizeof(res), n);
	}
	else if (strstr(b, "\"state_getMetadata\"") != NULL) {
		n = block_of(b);
		if (M->md_fetches < 8)
			M->md_at[M->md_fetches] = n;
		M->md_fetches++;
		md = M->bad_md ? md_bad : spec_at(n) == NEW_SPEC ? md_new :
		    md_old;
		if (mdhex == NULL && (mdhex = malloc(2 * md_len + 8)) == NULL)
			abort();
		memcpy(mdhex, "\"0x", 3);
		hex_encode(mdhex + 3, md, md_len);
		strcat(mdhex, "\"");
		result = mdhex;
	} else
		result = NULL;
	return jsonrpc_answer(body, sizeof(body), req, result, "State "
	    "already discarded");
}

static void
timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ONE);
}

/* Runs the loop until cond holds or secs pass; whether it held. */
static int
run_until(struct chainlisten *l, int (*cond)(const struct chainlisten *),
    double secs)
{
	ev_timer	t;
	double		end = ev_time() + secs;

	while (!cond(l) && ev_time() < end) {
		ev_timer_init(&t, timeout_cb, 0.02, 0.);
		ev_timer_start(EV_DEFAULT, &t);
		ev_run(EV_DEFAULT, EVRUN_ONCE);
		ev_timer_stop(EV_DEFAULT, &t);
	}
	return cond(l);
}

static uint32_t	want_block;

static int
at_block(const struct chainlisten *l)
{
	return chainlisten_stats(l)->last_block == want_block &&
	    chainlisten_stats(l)->finalized == want_block;
}

static int
is_disabled(const struct chainlisten *l)
{
	return chainlisten_stats(l)->disabled;
}

static int
is_reconnecting(const struct chainlisten *l)
{
	return chainlisten_stats(l)->reconnecting;
}

static int
is_back(const struct chainlisten *l)
{
	return !chainlisten_stats(l)->reconnecting &&
	    chainlisten_stats(l)->reconnect_cycles > 0;
}

static void
put_twin(struct twindir *d, const char *relay)
{
	struct twin_record	t;

	memset(&t, 0, sizeof(t));
	t.id = TWIN;
	t.has_relay = 1;
	snprintf(t.relay, sizeof(t.relay), "%s", relay);
	twincache_put(&d->cache, &t, now());
}

static int
cached_relay(struct twindir *d, const char *relay)
{
	struct twin_record	t;

	return twindir_get(d, TWIN, &t, now()) == 1 &&
	    strcmp(t.relay, relay) == 0;
}

static void
block(uint32_t n, int kind, const char *relay)
{
	M->kind[n] = (uint8_t)kind;
	snprintf(M->relay[n], sizeof(M->relay[n]), "%s", relay);
}

static struct chainlisten *
start(struct chainrpc *rpc, struct twindir *d, uint64_t catchup)
{
	struct chainlisten_conf	lc;

	memset(&lc, 0, sizeof(lc));
	lc.loop = EV_DEFAULT;
	lc.rpc = rpc;
	lc.dir = d;
	lc.catchup = catchup;
	lc.poll = 0.05;
	lc.now = now;
	return chainlisten_start(&lc);
}

static void
test_follow(struct chainrpc *rpc)
{
	const struct chainlisten_stats	*st;
	struct chainlisten		*l;
	struct twindir			 d;
	char				 err[256];

	if (twindir_open_chain(&d, rpc, 16, 300, err, sizeof(err)) == -1 ||
	    (l = start(rpc, &d, 5)) == NULL) {
		ok(0, "a listener starts");
		return;
	}
	st = chainlisten_stats(l);
	M->head = 10;
	want_block = 10;
	ok(run_until(l, at_block, 10) && st->spec == OLD_SPEC &&
	    M->md_fetches == 1 && M->md_at[0] == 10, "starts at the head, "
	    "block 10, with its metadata (spec 144)");

	put_twin(&d, "old.example");
	block(11, BLK_UPDATED, "a.example");
	M->head = 11;
	want_block = 11;
	ok(run_until(l, at_block, 10) && cached_relay(&d, "a.example") &&
	    st->updated == 1, "block 11's TwinUpdated replaces the cached "
	    "twin");

	/* Spec 145 from block 13's state: block 14 is its first. */
	M->upgrade = 13;
	block(12, BLK_UPDATED, "b.example");
	block(13, BLK_UPDATED, "c.example");
	block(14, BLK_UPDATED, "d.example");
	M->head = 14;
	want_block = 14;
	ok(run_until(l, at_block, 10) && st->spec == NEW_SPEC &&
	    M->md_fetches == 2 && M->md_at[1] == 13, "an upgrade: the "
	    "metadata of block 13's state is read for block 14");
	ok(cached_relay(&d, "d.example") && st->updated == 4 &&
	    st->stored == 0 && st->err_decode == 0, "blocks 12-14 read each "
	    "with its runtime's indices: four updates, no store");

	block(15, BLK_GARBAGE, "");
	M->head = 15;
	want_block = 15;
	ok(run_until(l, at_block, 10) && st->err_decode == 1 &&
	    st->flushes == 1 && d.cache.n == 0, "a block that does not "
	    "decode: counted, the cache flushed");

	put_twin(&d, "e.example");
	block(16, BLK_DELETED, "");
	M->head = 16;
	want_block = 16;
	ok(run_until(l, at_block, 10) && st->deleted == 1 && d.cache.n == 0,
	    "TwinDeleted forgets the twin");

	put_twin(&d, "f.example");
	block(21, BLK_UPDATED, "g.example");
	M->head = 21;
	want_block = 21;
	ok(run_until(l, at_block, 10) && st->flushes == 1 &&
	    cached_relay(&d, "g.example"), "5 blocks behind, threshold 5: "
	    "replayed");
	M->head = 27;
	want_block = 27;
	ok(run_until(l, at_block, 10) && st->flushes == 2 && d.cache.n == 0,
	    "6 behind: flushed, at the head");

	/* A node that no longer has block 29's state. */
	put_twin(&d, "h.example");
	block(29, BLK_PRUNED, "");
	block(30, BLK_UPDATED, "i.example");
	M->head = 30;
	want_block = 30;
	ok(run_until(l, at_block, 10) && st->flushes == 3 &&
	    d.cache.n == 0 && !st->reconnecting, "a block the node refuses: "
	    "flushed, on from the head, no retry");

	M->fail = 1;
	ok(run_until(l, is_reconnecting, 10) && st->err_rpc >= 1,
	    "a failed call: reconnecting, counted");
	M->fail = 0;
	M->head = 31;
	want_block = 31;
	ok(run_until(l, is_back, 10) && run_until(l, at_block, 10) &&
	    st->reconnect_cycles >= 1, "retried after the backoff, "
	    "following again");
	chainlisten_free(l);
	twindir_close(&d);
}

static void
test_disabled(struct chainrpc *rpc)
{
	const struct chainlisten_stats	*st;
	struct chainlisten		*l;
	struct twindir			 d;
	char				 err[256];
	uint32_t			 calls;

	if (twindir_open_chain(&d, rpc, 16, 300, err, sizeof(err)) == -1 ||
	    (l = start(rpc, &d, 600)) == NULL) {
		ok(0, "a listener starts");
		return;
	}
	st = chainlisten_stats(l);
	M->bad_md = 1;
	ok(run_until(l, is_disabled, 10) && st->err_decode == 1,
	    "metadata without TwinDeleted: disabled, counted");
	calls = M->calls;
	want_block = UINT32_MAX;
	run_until(l, at_block, 0.5);
	ok(M->calls == calls, "and no more calls");
	chainlisten_free(l);
	twindir_close(&d);
}

int
main(void)
{
	struct chainrpc	*rpc;
	char		 url[64], err[256];
	const char	*urls[1] = { url };
	pid_t		 stub;
	int		 port = free_port();

	make_metadata();
	if ((M = mmap(NULL, sizeof(*M), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
		return 1;
	memset(M, 0, sizeof(*M));
	if ((stub = http_stub_start(port, answer, NULL)) == -1) {
		printf("Bail out! cannot start the stub node\n");
		return 1;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (rpc = chainrpc_new(EV_DEFAULT, urls, 1, err,
	    sizeof(err))) == NULL) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	test_follow(rpc);
	test_disabled(rpc);
	chainrpc_free(rpc);
	proc_stop(stub, 5000);
	curl_global_cleanup();
	free(md_old);
	free(md_new);
	free(md_bad);
	return done_testing();
}
