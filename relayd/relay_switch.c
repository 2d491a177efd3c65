/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <libwebsockets.h>

#include "envelope_check.h"
#include "log.h"
#include "rconn.h"
#include "relay_route.h"
#include "relay_server.h"

/*
 * A delivery group, the reference's "worker": up to per_worker sessions
 * whose streams one redis connection reads with a single blocking XREAD.
 * When the set of sessions that can take messages changes while that
 * XREAD waits, CLIENT UNBLOCK on the command connection makes it return
 * so that the next one names the new set.
 */
struct relay_group {
	struct relay_server		*relay;
	unsigned int		 idx;
	struct rconn		*rd;
	LIST_HEAD(, relay_conn) conns;
	unsigned int		 count;
	int			 reading;	/* an XREAD is out */
	unsigned int		 xcount;	/* its COUNT, 0 at first */
	unsigned int		 xasked;	/* the COUNT of the one out */
	int			 dirty;		/* the set changed since */
	int			 unblocking;	/* CLIENT UNBLOCK is out */
	uint64_t		 nsent;		/* XREADs sent, the one out last */
	unsigned int		 unblock_tries;
	ev_timer		 unblock_timer;
};

/*
 * A direct frame lws kept part of, put in the stream after its session
 * ended: it was counted in relay_message_rx when it came.
 */
#define PUT_AGAIN	0x100
/* The copy of a direct frame lws held part of (struct relay_doubt). */
#define PUT_MIRROR	0x200
/* That frame went out after all: the copy is deleted once stored. */
#define PUT_ACK		0x400

/*
 * At most this many envelopes for one stream, and about this many bytes,
 * go to redis in one put script.
 */
#define PUT_GROUP	64
#define PUT_GROUP_BYTES	(1024 * 1024)
/*
 * While PUT_OUT put scripts for a stream wait for redis, the envelopes
 * for it wait to go together in the next (those of keys of the same slot
 * too); pump looks PUT_SCAN deep into the outbox for what can go.
 */
#define PUT_OUT		2
#define PUT_SCAN	1024

/* A CLIENT UNBLOCK that raced ahead of its XREAD is sent again this often. */
#define UNBLOCK_RETRY	0.002
#define UNBLOCK_TRIES	100

/*
 * One envelope in the outbox, from relay_put until redis answers: it is
 * sent again after a reconnect that lost its reply, in its place, so
 * that a stream gets its envelopes in the order they came.
 */
struct relay_put {
	TAILQ_ENTRY(relay_put)	 entry;
	struct relay_server		*relay;
	uint64_t		 seq;		/* the outbox's order */
	uint64_t		 born;		/* monotonic seconds */
	int			 fed;		/* federation stream */
	int			 sent;		/* its reply is due */
	int			 flags;
	int			 has_from;	/* refusals go to from */
	struct relay_sess_id	 from;
	struct relay_sess_id	 dest;		/* not fed */
	uint64_t		 gen;		/* of dest's conn counting it, or 0 */
	relay_put_fn		 fn;
	void			*arg;
	unsigned int		 ngroup;	/* sent first of this many */
	struct relay_put	*gnext;		/* the next of them */
	uint32_t		 slot;		/* of its key, RELAY_TTL_SLOTS */
	int			 ttl;		/* sent asking for the TTL */
	uint64_t		 sent_at;	/* monotonic seconds */
	char			 key[16 + RELAY_SID_MAX];
	size_t			 len;
	uint8_t			 env[];
};

/*
 * The enqueue of envelopes for one session stream: MULTI, an XADD of
 * each, in order, then this script, EXEC; so that the byte budget is
 * checked and counted atomically with the entries, without the
 * envelopes going through the script.  The count is a key beside the
 * stream with the stream's TTL, and entries over the cap are trimmed
 * here, exactly, so that their bytes come off the count, where MAXLEN ~
 * would drop entries the count never hears of.  An empty stream starts
 * the count again, so that it cannot drift for ever.
 * The common case, a stream that stays under its cap and its budget
 * with all of them, takes XLEN and one INCRBY (SET for an empty
 * stream), and the TTL is set again only when the count is new or the
 * relay asks (ARGV[5], doc/relay.md §1.6): the answer is 0.  Else the
 * new entries come out again and go back one by one, each the way a
 * lone one would: the trim, the check, the XADD; the answer is then,
 * for each, its new entry id or -1 when it was over the budget.
 * KEYS: stream, count; ARGV: entries, TTL, budget, trim max, TTL due
 * ("1"), then the envelopes' lengths, in order.
 */
static const char	put_lua[] =
    "local cap, budget, k = tonumber(ARGV[1]), tonumber(ARGV[3]), #ARGV - 5\n"
    "local all = 0\n"
    "for j = 6, #ARGV do all = all + tonumber(ARGV[j]) end\n"
    "local n = redis.call('XLEN', KEYS[1]) - k\n"
    "local used, fresh = 0, true\n"
    "if n > 0 then\n"
    "  local v = redis.call('INCRBY', KEYS[2], all)\n"
    "  used, fresh = v - all, v == all\n"
    "  if n + k <= cap and v <= budget then\n"
    "    if fresh or ARGV[5] == '1' then\n"
    "      redis.call('EXPIRE', KEYS[1], ARGV[2])\n"
    "      redis.call('EXPIRE', KEYS[2], ARGV[2])\n"
    "    end\n"
    "    return 0\n"
    "  end\n"
    "elseif n + k <= cap and all <= budget then\n"
    "  redis.call('EXPIRE', KEYS[1], ARGV[2])\n"
    "  redis.call('SET', KEYS[2], all, 'EX', ARGV[2])\n"
    "  return 0\n"
    "end\n"
    "local mine = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', k)\n"
    "local ids, out, added = {}, {}, false\n"
    "for i, e in ipairs(mine) do ids[i] = e[1] end\n"
    "redis.call('XDEL', KEYS[1], unpack(ids))\n"
    "for i = #mine, 1, -1 do\n"
    "  local val = mine[i][2][2]\n"
    "  local old, freed = {}, 0\n"
    "  local t = math.min(n - cap + 1, tonumber(ARGV[4]))\n"
    "  if t > 0 then\n"
    "    local o = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', t)\n"
    "    for _, e in ipairs(o) do\n"
    "      old[#old + 1] = e[1]\n"
    "      for f = 2, #e[2], 2 do freed = freed + #e[2][f] end\n"
    "    end\n"
    "  end\n"
    "  local u = math.max(used - freed, 0)\n"
    "  if u + #val > budget then\n"
    "    out[#out + 1] = -1\n"
    "  else\n"
    "    if #old > 0 then\n"
    "      n = n - redis.call('XDEL', KEYS[1], unpack(old))\n"
    "    end\n"
    "    out[#out + 1] = redis.call('XADD', KEYS[1], '*', '_', val)\n"
    "    n, used, added = n + 1, u + #val, true\n"
    "  end\n"
    "end\n"
    "if added then\n"
    "  redis.call('EXPIRE', KEYS[1], ARGV[2])\n"
    "  redis.call('SET', KEYS[2], used, 'EX', ARGV[2])\n"
    "elseif fresh or used == 0 then\n"
    "  redis.call('DEL', KEYS[2])\n"
    "else\n"
    "  redis.call('SET', KEYS[2], used, 'KEEPTTL')\n"
    "end\n"
    "return out\n";

/*
 * The XDEL of delivered entries, one for all of a stream's ids: the
 * bytes of those it deleted come off the count.  The ids come in stream
 * order and only the put script's trim deletes others, from the oldest,
 * so the ones XDEL found are the last of them.  A count at 0 keeps its
 * TTL (the put script starts it again on an empty stream); one below, a
 * count that was not there, goes.  KEYS: stream, count; ARGV: the ids,
 * then their bytes in the same order.  The bytes freed.
 */
static const char	ack_lua[] =
    "local n = #ARGV / 2\n"
    "local d = redis.call('XDEL', KEYS[1], unpack(ARGV, 1, n))\n"
    "local freed = 0\n"
    "for i = 2 * n - d + 1, 2 * n do\n"
    "  freed = freed + tonumber(ARGV[i])\n"
    "end\n"
    "if freed > 0 and redis.call('DECRBY', KEYS[2], freed) < 0 then\n"
    "  redis.call('DEL', KEYS[2])\n"
    "end\n"
    "return freed\n";

static void	group_read(struct relay_group *);
static void	xdel_cb(redisAsyncContext *, void *, void *);
static int	bytes_key(char *, size_t, const char *);
static void	flush_acks(struct relay_server *, struct relay_conn *);
static void	ack(struct relay_server *, struct relay_conn *, const char *,
		    size_t);
static void	pump(struct relay_server *);

/* A stream entry id, "ms-seq": 0, or -1 when s is not one. */
static int
id_parse(const char *s, uint64_t *ms, uint64_t *seq)
{
	char		*end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*ms = strtoull(s, &end, 10);
	if (errno != 0 || *end != '-' || end[1] < '0' || end[1] > '9')
		return -1;
	*seq = strtoull(end + 1, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/*
 * An XREAD sent as number seq reached the end of c's stream: what this
 * relay put there before it was sent has been read.
 */
static void
caught_up(struct relay_conn *c, uint64_t seq)
{
	c->synced = 1;
	if (seq > c->hi_after)
		c->hi_ms = c->hi_seq = 0;
}

/*
 * 1 when a frame for c may go to it without its stream: nothing this
 * relay put there waits for redis, for an XREAD or in c's queue.
 */
static int
direct_ok(struct relay_conn *c)
{
	uint64_t	ms, seq;

	if (c->group == NULL || c->closing || !c->synced || c->npend > 0 ||
	    c->doubt != NULL || !STAILQ_EMPTY(&c->outq))
		return 0;
	if (c->hi_ms != 0 || c->hi_seq != 0) {
		if (id_parse(c->last, &ms, &seq) == -1 || ms < c->hi_ms ||
		    (ms == c->hi_ms && seq < c->hi_seq))
			return 0;
		c->hi_ms = c->hi_seq = 0;
	}
	return 1;
}

/* A frame went out to c's socket. */
static void
delivered(struct relay_server *r, size_t len, enum relay_m_path path)
{
	relay_metrics_add(&r->metrics, RELAY_M_TX, 1);
	relay_metrics_add(&r->metrics, RELAY_M_TX_BYTES, len);
	relay_metrics_delivered(&r->metrics, path, 1);
}

/* -1, 0 or 1 as entry id a is before, the same as or after b. */
static int
id_cmp(const char *a, const char *b)
{
	uint64_t	am, as, bm, bs;

	if (id_parse(a, &am, &as) == -1 || id_parse(b, &bm, &bs) == -1)
		return strcmp(a, b) < 0 ? -1 : strcmp(a, b) > 0;
	if (am != bm)
		return am < bm ? -1 : 1;
	return as < bs ? -1 : as > bs;
}

/* Deletes one delivered entry of a session no longer here. */
static void
ack_one(struct relay_server *r, const char *key, const char *id, size_t len)
{
	char		 bkey[sizeof(RELAY_BYTES_PREFIX) + 16 + RELAY_SID_MAX];
	char		 blen[24];
	const char	*argv[] = { "EVALSHA", r->ack_sha, "2", key, bkey, id,
			    blen };

	if (bytes_key(bkey, sizeof(bkey), key) == -1)
		return;
	snprintf(blen, sizeof(blen), "%zu", len);
	if (rconn_cmd(r->cmd, xdel_cb, r, 7, argv, NULL) == -1)
		log_warnx("%s: redis down, delivered message %s not deleted "
		    "(it will be delivered again)", key, id);
}

/* Nothing is left to settle about the frame lws held part of. */
static void
doubt_done(struct relay_conn *c)
{
	free(c->doubt);
	c->doubt = NULL;
}

/*
 * The frame lws held part of went out (out), or its session ended
 * first.  A stream entry is deleted once it went out, else stays for the
 * next session; a direct frame's copy likewise, and when redis has not
 * answered its put yet, the answer decides.  A direct frame without a
 * copy (the outbox was full) is put in the stream when its session ends.
 */
static void
doubt_end(struct relay_server *r, struct relay_conn *c, int out)
{
	struct relay_doubt	*d = c->doubt;

	if (out) {
		d->out = 1;
		delivered(r, d->len, d->direct ? RELAY_M_PATH_DIRECT :
		    RELAY_M_PATH_STREAM);
		if (d->put != NULL)
			return;		/* put_stored deletes it */
		if (d->id[0] != '\0')
			ack(r, c, d->id, d->len);
		doubt_done(c);
		return;
	}
	if (d->out) {
		/* Its copy's put deletes it once stored. */
		if (d->put != NULL)
			d->put->flags |= PUT_ACK;
	} else if (d->direct && d->put == NULL && d->id[0] == '\0') {
		log_info("%s: the session ended before a message went out: "
		    "it goes to the stream", c->key);
		if (relay_put(r, &c->id, d->env, d->len, NULL, PUT_AGAIN, NULL,
		    NULL) == NULL)
			log_warnx("%s: that message is lost: the outbox is "
			    "full", c->key);
	} else if (d->direct)
		log_info("%s: the session ended before a message went out: "
		    "its copy stays in the stream", c->key);
	/* A stream entry that did not go out stays for the next session. */
	doubt_done(c);
}

/*
 * Keeps what lws holds of the frame just written to c until it goes
 * out: a direct one's envelope, with its copy put in the stream at once
 * so that what comes after it for c stays behind it; else the stream
 * entry id.  -1 when out of memory (it is then taken as gone).
 */
static int
doubt_keep(struct relay_server *r, struct relay_conn *c, const uint8_t *env,
    const char *id, size_t len)
{
	struct relay_doubt	*d;

	if ((d = calloc(1, sizeof(*d) + (env != NULL ? len : 0))) == NULL) {
		log_warnx("%s: out of memory, a message lws holds is taken as "
		    "delivered", c->key);
		return -1;
	}
	d->direct = env != NULL;
	d->len = len;
	c->doubt = d;
	if (env != NULL) {
		memcpy(d->env, env, len);
		d->put = relay_put(r, &c->id, env, len, NULL, PUT_AGAIN |
		    PUT_MIRROR, NULL, NULL);
	} else
		snprintf(d->id, sizeof(d->id), "%s", id);
	lws_callback_on_writable(c->wsi);
	return 0;
}

/*
 * Writes env to c as one frame.  0, or -1 when it could not (c is then
 * closed, or the relay is out of memory) and it goes to the stream.
 */
static int
direct(struct relay_server *r, struct relay_conn *c, const uint8_t *env,
    size_t len)
{
	unsigned char	*b;
	int		 rv;

	if (LWS_PRE + len > r->wcap) {
		if ((b = realloc(r->wbuf, LWS_PRE + len)) == NULL)
			return -1;
		r->wbuf = b;
		r->wcap = LWS_PRE + len;
	}
	memcpy(r->wbuf + LWS_PRE, env, len);
	rv = lws_write(c->wsi, r->wbuf + LWS_PRE, len, LWS_WRITE_BINARY);
	/* Keep a small buffer; give back what a big envelope took. */
	if (r->wcap > RELAY_WBUF_KEEP) {
		free(r->wbuf);
		r->wbuf = NULL;
		r->wcap = 0;
	}
	if (rv < (int)len) {
		relay_http_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
		    "write failed");
		return -1;
	}
	relay_metrics_add(&r->metrics, RELAY_M_RX, 1);
	relay_metrics_add(&r->metrics, RELAY_M_RX_BYTES, len);
	if (!lws_partial_buffered(c->wsi) ||
	    doubt_keep(r, c, env, NULL, len) == -1)
		delivered(r, len, RELAY_M_PATH_DIRECT);
	return 0;
}

/*
 * Keeps env for c until its socket takes it: 0, or -1 past the figures
 * (or out of memory).
 */
static int
dq_push(struct relay_server *r, struct relay_conn *c, const uint8_t *env,
    size_t len, const struct relay_sess_id *from)
{
	struct relay_outmsg	*m;

	/* An empty queue takes one envelope of any size. */
	if (c->dqlen >= RELAY_DIRECT_FRAMES || (c->dqlen > 0 &&
	    len + c->dqbytes > RELAY_DIRECT_BYTES) ||
	    (m = malloc(sizeof(*m) + LWS_PRE + len)) == NULL)
		return -1;
	m->len = len;
	m->id[0] = '\0';
	if ((m->has_from = from != NULL))
		m->from = *from;
	memcpy(m->buf + LWS_PRE, env, len);
	STAILQ_INSERT_TAIL(&c->dq, m, entry);
	c->dqlen++;
	c->dqbytes += len;
	relay_metrics_add(&r->metrics, RELAY_M_RX, 1);
	relay_metrics_add(&r->metrics, RELAY_M_RX_BYTES, len);
	lws_callback_on_writable(c->wsi);
	return 0;
}

/*
 * What waits for c's socket goes to its stream, in order, where what
 * follows goes behind it.
 */
static void
dq_spill(struct relay_server *r, struct relay_conn *c)
{
	struct relay_outmsg	*m;

	while ((m = STAILQ_FIRST(&c->dq)) != NULL) {
		STAILQ_REMOVE_HEAD(&c->dq, entry);
		c->dqlen--;
		c->dqbytes -= m->len;
		if (relay_put(r, &c->id, m->buf + LWS_PRE, m->len,
		    m->has_from ? &m->from : NULL, PUT_AGAIN, NULL, NULL) ==
		    NULL)
			log_warnx("%s: a message for it is lost: the outbox "
			    "is full", c->key);
		free(m);
	}
}

int
relay_deliver(struct relay_server *r, const struct relay_sess_id *dest,
    const uint8_t *env, size_t len, const struct relay_sess_id *from)
{
	struct relay_conn	*c;

	if ((c = relay_sessions_get(&r->sessions, dest)) != NULL &&
	    c->group != NULL) {
		if (direct_ok(c)) {
			if (STAILQ_EMPTY(&c->dq) &&
			    !lws_send_pipe_choked(c->wsi) &&
			    direct(r, c, env, len) == 0)
				return 0;
			if (!c->closing && dq_push(r, c, env, len, from) == 0)
				return 0;
		}
		/* The stream, then: what waits here goes first. */
		dq_spill(r, c);
	}
	return relay_put(r, dest, env, len, from, 0, NULL, NULL) == NULL ?
	    -1 : 0;
}

static int
outq_full(const struct relay_conn *c)
{
	return c->qlen >= RELAY_OUTQ_MAX ||
	    (c->qlen > 0 && c->qbytes >= RELAY_OUTQ_BYTES);
}

static int
has_room(const struct relay_conn *c)
{
	return !c->closing && !outq_full(c);
}

static void
unblock_cb(redisAsyncContext *ac, void *rep, void *priv)
{
	struct relay_group	*g = priv;
	redisReply		*reply = rep;

	(void)ac;
	g->unblocking = 0;
	if (reply == NULL || reply->type != REDIS_REPLY_INTEGER)
		return;
	/* 0: the XREAD had not reached redis yet; try again shortly. */
	if (reply->integer == 0 && g->reading && g->dirty &&
	    g->unblock_tries++ < UNBLOCK_TRIES)
		ev_timer_start(g->relay->loop, &g->unblock_timer);
}

static void
unblock(struct relay_group *g)
{
	struct relay_server	*r = g->relay;
	char		 id[24];
	const char	*argv[] = { "CLIENT", "UNBLOCK", id };
	long long	 cid;

	if (g->unblocking || (cid = rconn_client_id(g->rd)) == 0)
		return;
	snprintf(id, sizeof(id), "%lld", cid);
	if (rconn_cmd(r->cmd, unblock_cb, g, 3, argv, NULL) == 0)
		g->unblocking = 1;
}

static void
unblock_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_group	*g = w->data;

	(void)loop;
	(void)revents;
	if (g->reading && g->dirty)
		unblock(g);
}

/* The set of readable sessions changed: read now, or cut the wait short. */
static void
group_kick(struct relay_group *g)
{
	if (!g->reading) {
		group_read(g);
		return;
	}
	if (!g->dirty) {
		g->dirty = 1;
		g->unblock_tries = 0;
	}
	unblock(g);
}

static void
push(struct relay_conn *c, const char *id, size_t idlen, const char *v,
    size_t vlen)
{
	struct relay_outmsg	*m;

	if ((m = malloc(sizeof(*m) + LWS_PRE + vlen)) == NULL) {
		log_warnx("session %s: out of memory, message left queued",
		    c->key);
		return;
	}
	m->len = vlen;
	memcpy(m->id, id, idlen);
	m->id[idlen] = '\0';
	memcpy(m->buf + LWS_PRE, v, vlen);
	STAILQ_INSERT_TAIL(&c->outq, m, entry);
	c->qlen++;
	c->qbytes += vlen;
}

/*
 * Takes the entries of one stream of an XREAD reply (asked with COUNT
 * count) into c's queue, in order, up to its bounds; the rest stays in
 * redis and c's last id does not pass it.  Raises *biggest to the
 * longest entry of the reply, and counts the bytes read.  1 when that
 * reached the stream's end.
 */
static int
take_entries(struct relay_server *r, struct relay_conn *c,
    const redisReply *ents, unsigned int count, size_t *biggest)
{
	const redisReply	*e, *f;
	struct relay_doubt	*d;
	size_t			 i, j, len;

	for (j = 0; j < ents->elements; j++) {
		e = ents->element[j];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[1]->type != REDIS_REPLY_ARRAY ||
		    e->element[1]->elements != 2)
			continue;
		len = e->element[1]->element[1]->len;
		relay_metrics_add(&r->metrics, RELAY_M_STREAM_READ_BYTES,
		    len);
		if (len > *biggest)
			*biggest = len;
	}
	for (i = 0; i < ents->elements; i++) {
		e = ents->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    e->element[0]->len >= sizeof(c->last))
			continue;
		/* Passed while this read was out: a direct frame's copy. */
		if (id_cmp(e->element[0]->str, c->last) <= 0)
			continue;
		if (outq_full(c)) {
			if (c->full_since == 0)
				c->full_since = relay_mono();
			break;
		}
		memcpy(c->last, e->element[0]->str, e->element[0]->len);
		c->last[e->element[0]->len] = '\0';
		f = e->element[1];
		if (f->type != REDIS_REPLY_ARRAY || f->elements != 2 ||
		    f->element[1]->type != REDIS_REPLY_STRING) {
			log_warnx("%s: entry %s is not one field and value, "
			    "skipped", c->key, c->last);
			continue;
		}
		/* The copy of the frame lws holds, before redis named it. */
		if ((d = c->doubt) != NULL && d->put != NULL &&
		    f->element[1]->len == d->len &&
		    memcmp(f->element[1]->str, d->env, d->len) == 0)
			continue;
		push(c, c->last, strlen(c->last), f->element[1]->str,
		    f->element[1]->len);
	}
	if (outq_full(c) && c->full_since == 0)
		c->full_since = relay_mono();
	if (!STAILQ_EMPTY(&c->outq))
		lws_callback_on_writable(c->wsi);
	(void)r;
	return i == ents->elements && ents->elements < count;
}

static void
xread_cb(redisAsyncContext *ac, void *rep, void *priv)
{
	struct relay_group	*g = priv;
	struct relay_server		*r = g->relay;
	redisReply		*reply = rep, *s;
	struct relay_sess_id	 id;
	struct relay_conn	*c;
	size_t			 i, biggest = 0;
	uint64_t		 seq = g->nsent;

	(void)ac;
	g->reading = 0;
	if (reply == NULL)
		return;		/* lost; group_up reads again */
	if (reply->type == REDIS_REPLY_ERROR)
		log_warnx("XREAD: %s", reply->str);
	else if (reply->type == REDIS_REPLY_ARRAY) {
		for (i = 0; i < reply->elements; i++) {
			s = reply->element[i];
			if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
			    s->element[0]->type != REDIS_REPLY_STRING ||
			    s->element[1]->type != REDIS_REPLY_ARRAY ||
			    relay_stream_key_parse(&id, s->element[0]->str,
			    s->element[0]->len) == -1)
				continue;
			/* Only a session this XREAD was for: a newer one reads
			 * from its own start. */
			c = relay_sessions_get(&r->sessions, &id);
			if (c == NULL || c->group != g || !c->snap)
				continue;
			c->snap = 0;
			c->fresh = 0;
			if (take_entries(r, c, s->element[1], g->xasked,
			    &biggest))
				caught_up(c, seq);
		}
	}
	/*
	 * The next XREAD asks as many entries a stream as the longest one
	 * seen here fit in RELAY_OUTQ_BYTES (at least one, at most
	 * RELAY_XREAD_COUNT), so that a reply of big envelopes holds a few
	 * a session, not a hundred.  A reply without entries (the block
	 * ran out, or only sessions with empty streams were asked) says
	 * nothing of the others: the count stays.
	 */
	if (biggest > 0)
		g->xcount = RELAY_OUTQ_BYTES / biggest >= RELAY_XREAD_COUNT ?
		    RELAY_XREAD_COUNT : biggest >= RELAY_OUTQ_BYTES ? 1 :
		    (unsigned int)(RELAY_OUTQ_BYTES / biggest);
	/* Not in the answer: nothing past its last id when redis wrote it. */
	LIST_FOREACH(c, &g->conns, glink) {
		if (c->snap && (reply->type == REDIS_REPLY_ARRAY ||
		    reply->type == REDIS_REPLY_NIL)) {
			caught_up(c, seq);
			c->fresh = 0;
		}
		c->snap = 0;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		/* Do not spin on an error: the tick reads again. */
		return;
	}
	group_read(g);
}

static void
group_read(struct relay_group *g)
{
	struct relay_conn	*c;
	const char		**argv;
	unsigned int		 n = 0, i;
	int			 fresh = 0;
	char			 block[16], count[16];

	if (g->reading || g->rd == NULL || !rconn_up(g->rd))
		return;
	LIST_FOREACH(c, &g->conns, glink) {
		if (has_room(c)) {
			n++;
			fresh |= c->fresh;
		}
	}
	if (n == 0)
		return;
	if ((argv = calloc(6 + 2 * (size_t)n, sizeof(*argv))) == NULL) {
		log_warnx("XREAD: out of memory");
		return;
	}
	if (g->xcount == 0)
		g->xcount = RELAY_XREAD_COUNT;
	/*
	 * A session just joined: nothing is known of the entries its
	 * stream may hold (up to --stream-bytes of them), so this read
	 * takes one entry a stream, and the next as many as that showed
	 * fit (xread_cb).
	 */
	g->xasked = fresh ? 1 : g->xcount;
	snprintf(count, sizeof(count), "%u", g->xasked);
	snprintf(block, sizeof(block), "%d", RELAY_XREAD_BLOCK_MS);
	argv[0] = "XREAD";
	argv[1] = "COUNT";
	argv[2] = count;
	argv[3] = "BLOCK";
	argv[4] = block;
	argv[5] = "STREAMS";
	i = 0;
	LIST_FOREACH(c, &g->conns, glink) {
		if (!has_room(c))
			continue;
		argv[6 + i] = c->key;
		argv[6 + n + i] = c->last;
		c->snap = 1;
		i++;
	}
	if (rconn_cmd(g->rd, xread_cb, g, (int)(6 + 2 * n), argv, NULL) == 0) {
		g->nsent++;
		g->reading = 1;
		g->dirty = 0;
		ev_timer_stop(g->relay->loop, &g->unblock_timer);
	} else {
		LIST_FOREACH(c, &g->conns, glink)
			c->snap = 0;
	}
	free(argv);
}

static void
group_up(struct rconn *rc, void *arg)
{
	struct relay_group	*g = arg;

	(void)rc;
	g->reading = 0;
	group_read(g);
}

/* The count key of a stream key, "bytes:stream:7". */
static int
bytes_key(char *out, size_t cap, const char *key)
{
	int	n;

	n = snprintf(out, cap, "%s%s", RELAY_BYTES_PREFIX, key);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/*
 * The outbox's state after it grew or shrank: past its figures sessions
 * wait, and they go on once it is down to half.
 */
static void
outbox_update(struct relay_server *r)
{
	if (!r->put_full && (r->put_bytes >= RELAY_OUTBOX_BYTES ||
	    r->nputs >= RELAY_OUTBOX_ENVS)) {
		r->put_full = 1;
		log_warnx("redis is behind: %u envelopes (%zu bytes) wait for "
		    "it, sessions paused", r->nputs, r->put_bytes);
	} else if (r->put_full && r->put_bytes <= RELAY_OUTBOX_BYTES / 2 &&
	    r->nputs <= RELAY_OUTBOX_ENVS / 2) {
		r->put_full = 0;
		log_info("redis caught up: sessions go on");
	}
}

int
relay_switch_ready(const struct relay_server *r)
{
	return r->cmd != NULL && rconn_up(r->cmd) && !r->put_full;
}

/* Sessions whose frames wait are told when the switch is ready again. */
static void
ready_check(struct relay_server *r)
{
	int	ready = relay_switch_ready(r);

	if (ready && !r->was_ready) {
		r->was_ready = 1;
		relay_http_resume(r);
	} else if (!ready)
		r->was_ready = 0;
}

static void
script_cb(redisAsyncContext *ac, void *rep, void *priv)
{
	redisReply	*reply = rep;
	const char	*want = priv;

	(void)ac;
	if (reply == NULL)
		return;
	if (reply->type != REDIS_REPLY_STRING)
		log_warnx("SCRIPT LOAD: %s", reply->type == REDIS_REPLY_ERROR ?
		    reply->str : "odd reply");
	else if (strcmp(reply->str, want) != 0)
		log_warnx("SCRIPT LOAD: redis names it %s, not %s", reply->str,
		    want);
}

/* Before anything that uses them, on the same connection. */
static void
load_scripts(struct relay_server *r)
{
	const char	*put[] = { "SCRIPT", "LOAD", put_lua };
	const char	*ack[] = { "SCRIPT", "LOAD", ack_lua };

	(void)rconn_cmd(r->cmd, script_cb, r->put_sha, 3, put, NULL);
	(void)rconn_cmd(r->cmd, script_cb, r->ack_sha, 3, ack, NULL);
}

static void
put_unlink(struct relay_server *r, struct relay_put *p)
{
	struct relay_put	*q;

	if (r->put_next == p) {
		for (q = TAILQ_NEXT(p, entry); q != NULL && q->sent;
		    q = TAILQ_NEXT(q, entry))
			;
		r->put_next = q;
	}
	TAILQ_REMOVE(&r->puts, p, entry);
	r->put_bytes -= p->len;
	r->nputs--;
}

/*
 * A refused envelope from a session: a request's sender is told
 * (doc/relay.md §1.9).
 */
static void
put_report(struct relay_server *r, const struct relay_put *p, const char *text)
{
	Envelope	*e;
	uint8_t		*buf;
	size_t		 len;

	if (!p->has_from || (e = envelope_unpack(p->env, p->len)) == NULL)
		return;
	if (e->message_case == ENVELOPE__MESSAGE_REQUEST) {
		if (relay_error_envelope(&buf, &len, e->uid, &p->from, text,
		    relay_now()) == -1)
			log_warnx("%s: out of memory for a report", p->key);
		else {
			if (relay_deliver(r, &p->from, buf, len, NULL) == -1)
				log_warnx("%s: report to its sender dropped: "
				    "the outbox is full", p->key);
			free(buf);
		}
	}
	envelope__free_unpacked(e, NULL);
}

/* The connection of the session p is for that counts it, or NULL. */
static struct relay_conn *
put_conn(struct relay_server *r, const struct relay_put *p)
{
	struct relay_conn	*c;

	if (p->fed || p->gen == 0 ||
	    (c = relay_sessions_get(&r->sessions, &p->dest)) == NULL)
		return NULL;
	return c->gen == p->gen && c->group != NULL ? c : NULL;
}

/* Redis stored p as entry id: the session has it to read. */
static void
put_stored(struct relay_server *r, const struct relay_put *p, const char *id)
{
	struct relay_conn	*c;
	struct relay_doubt	*d;
	uint64_t		 ms, seq;

	c = put_conn(r, p);
	if ((p->flags & PUT_MIRROR) && (c == NULL || c->doubt == NULL ||
	    c->doubt->put != p)) {
		/* Its session went, and the frame had gone out. */
		if (p->flags & PUT_ACK)
			ack_one(r, p->key, id, p->len);
	}
	if (c == NULL)
		return;
	if (id_parse(id, &ms, &seq) == -1) {
		/* Not an id: wait for an XREAD that reaches the end. */
		c->hi_ms = UINT64_MAX;
		c->hi_seq = UINT64_MAX;
	} else if (ms > c->hi_ms || (ms == c->hi_ms && seq > c->hi_seq)) {
		c->hi_ms = ms;
		c->hi_seq = seq;
	}
	c->hi_after = c->group->nsent;
	if ((d = c->doubt) == NULL || d->put != p)
		return;
	/* The copy of the frame lws held: c's reads pass it. */
	d->put = NULL;
	snprintf(d->id, sizeof(d->id), "%s", id);
	if (strlen(id) < sizeof(c->last) && id_cmp(id, c->last) > 0)
		memcpy(c->last, id, strlen(id) + 1);
	if (d->out) {
		ack(r, c, d->id, d->len);
		doubt_done(c);
	}
}

/* Redis answered, or will not: the envelope leaves the outbox. */
static void
put_end(struct relay_server *r, struct relay_put *p, enum relay_put_result res,
    const char *why)
{
	const char		*key = p->fed ? RELAY_FED_STREAM : p->key;
	struct relay_conn	*c;
	char			 text[256];

	put_unlink(r, p);
	if ((c = put_conn(r, p)) != NULL) {
		c->npend--;
		/* A copy redis did not take: the frame is all there is. */
		if (c->doubt != NULL && c->doubt->put == p) {
			c->doubt->put = NULL;
			if (c->doubt->out)
				doubt_done(c);
		}
	}
	switch (res) {
	case RELAY_PUT_OK:
		if (!p->fed && !(p->flags & PUT_AGAIN)) {
			relay_metrics_add(&r->metrics, RELAY_M_RX, 1);
			relay_metrics_add(&r->metrics, RELAY_M_RX_BYTES,
			    p->len);
		}
		break;
	case RELAY_PUT_FULL:
		r->enqueue_failed++;
		log_info("%s: over %" PRIu64 " bytes, envelope of %zu bytes "
		    "refused", key, r->conf.stream_bytes, p->len);
		put_report(r, p, RELAY_ERR_FULL);
		break;
	case RELAY_PUT_FAILED:
		r->enqueue_failed++;
		log_warnx("enqueue to %s: %s", key, why);
		snprintf(text, sizeof(text), "failed to route message to peer "
		    "'%s': %s", key, why);
		put_report(r, p, text);
		break;
	case RELAY_PUT_LOST:
		r->enqueue_failed++;
		log_warnx("enqueue to %s: %s", key, why);
		break;
	}
	if (p->fn != NULL)
		p->fn(p->arg, res);
	free(p);
	outbox_update(r);
}

/* The slot of a stream key, RELAY_TTL_SLOTS of them (FNV-1a). */
static uint32_t
key_slot(const char *key)
{
	uint32_t	h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % RELAY_TTL_SLOTS;
}

/* The slot of a stream key among the TTLs set last. */
static struct relay_ttl_slot *
ttl_slot(struct relay_server *r, const char *key)
{
	return &r->ttls[key_slot(key)];
}

/*
 * 1 when a put to key sent now is to set the stream's TTL: this relay
 * had no put do so for RELAY_TTL_SLACK / 2 seconds, so that what it did
 * set still reaches RELAY_TTL_SLACK / 2 past a TTL from now.
 */
static int
ttl_due(struct relay_server *r, const char *key, uint64_t now)
{
	struct relay_ttl_slot	*t;

	if (r->ttls == NULL)
		return 1;
	t = ttl_slot(r, key);
	return strcmp(t->key, key) != 0 || now >= t->at + RELAY_TTL_SLACK / 2;
}

/* Redis set key's TTL for a put sent at time at. */
static void
ttl_set(struct relay_server *r, const char *key, uint64_t at)
{
	struct relay_ttl_slot	*t;

	if (r->ttls == NULL)
		return;
	t = ttl_slot(r, key);
	if (strcmp(t->key, key) == 0 && t->at >= at)
		return;
	t->at = at;
	snprintf(t->key, sizeof(t->key), "%s", key);
}

/* Sent again, in its place, once the connection is back. */
static void
put_requeue(struct relay_server *r, struct relay_put *p)
{
	if (r->put_next == NULL || p->seq < r->put_next->seq)
		r->put_next = p;
}

/* Redis's answer for p, one of those a put script was sent for. */
static void
put_one(struct relay_server *r, struct relay_put *p, const redisReply *reply)
{
	p->sent = 0;
	if (reply == NULL) {
		if (p->flags & RELAY_PUT_ONCE)
			put_end(r, p, RELAY_PUT_LOST, "redis connection lost");
		else
			put_requeue(r, p);
	} else if (reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		/* The scripts were flushed: loaded again, then sent again. */
		r->reload = 1;
		put_requeue(r, p);
	} else if (reply->type == REDIS_REPLY_STRING) {
		if (!p->fed && p->ttl)
			ttl_set(r, p->key, p->sent_at);
		put_stored(r, p, reply->str);
		put_end(r, p, RELAY_PUT_OK, NULL);
	}
	else if (reply->type == REDIS_REPLY_INTEGER && !p->fed)
		put_end(r, p, RELAY_PUT_FULL, NULL);
	else
		put_end(r, p, RELAY_PUT_FAILED, reply->type ==
		    REDIS_REPLY_ERROR ? reply->str : "odd reply");
}

/*
 * The EXEC of a put script's MULTI for n envelopes: each XADD's answer
 * then the script's.  Its 0 confirms the XADDs; its list of ids (-1 for
 * a refusal) replaces them.  A script that failed after the XADDs left
 * them stored, uncounted: taken as stored, their bytes counted and the
 * TTL set after (a flushed script is loaded again).
 */
static void
put_exec(struct relay_server *r, struct relay_put **group, unsigned int n,
    const redisReply *reply)
{
	const redisReply	*sc = reply->element[n];
	char			 bkey[sizeof(RELAY_BYTES_PREFIX) +
				    sizeof(group[0]->key)], all[24], ttl[16];
	const char		*fix[] = { "INCRBY", bkey, all };
	const char		*exp1[] = { "EXPIRE", group[0]->key, ttl };
	const char		*exp2[] = { "EXPIRE", bkey, ttl };
	size_t			 bytes = 0;
	unsigned int		 i;

	if (sc->type == REDIS_REPLY_ERROR) {
		log_warnx("%s: put script: %s: %u envelopes stored uncounted",
		    group[0]->key, sc->str, n);
		if (strncmp(sc->str, "NOSCRIPT", 8) == 0)
			r->reload = 1;
		for (i = 0; i < n; i++)
			if (reply->element[i]->type == REDIS_REPLY_STRING)
				bytes += group[i]->len;
		snprintf(all, sizeof(all), "%zu", bytes);
		snprintf(ttl, sizeof(ttl), "%d", RELAY_STREAM_TTL +
		    RELAY_TTL_SLACK);
		if (bytes > 0 && bytes_key(bkey, sizeof(bkey),
		    group[0]->key) == 0) {
			(void)rconn_cmd(r->cmd, NULL, NULL, 3, fix, NULL);
			(void)rconn_cmd(r->cmd, NULL, NULL, 3, exp1, NULL);
			(void)rconn_cmd(r->cmd, NULL, NULL, 3, exp2, NULL);
		}
	}
	for (i = 0; i < n; i++)
		put_one(r, group[i], sc->type == REDIS_REPLY_ARRAY ?
		    (i < sc->elements ? sc->element[i] : sc) :
		    reply->element[i]);
}

static void
put_cb(redisAsyncContext *ac, void *rep, void *priv)
{
	struct relay_put	*p = priv, *group[PUT_GROUP];
	struct relay_server		*r = p->relay;
	redisReply		*reply = rep;
	unsigned int		 i, n;

	(void)ac;
	if (r->switch_freeing)
		return;
	r->nflight--;
	/* Those it was sent for follow it in the outbox, until answered. */
	n = p->fed || p->ngroup == 0 ? 1 : p->ngroup;
	group[0] = p;
	for (i = 1; i < n; i++)
		group[i] = group[i - 1]->gnext;
	if (!p->fed && r->busy != NULL && r->busy[p->slot] > 0)
		r->busy[p->slot]--;
	if (reply != NULL && !group[0]->fed &&
	    reply->type == REDIS_REPLY_ARRAY && reply->elements == n + 1)
		put_exec(r, group, n, reply);
	else
		for (i = 0; i < n; i++)
			put_one(r, group[i], reply);
	pump(r);
	ready_check(r);
}

static int
put_send(struct relay_server *r, struct relay_put *p)
{
	char		 bkey[sizeof(RELAY_BYTES_PREFIX) + sizeof(p->key)];
	char		 maxlen[16], ttl[16], budget[24], trim[16];
	char		 lenbuf[PUT_GROUP][24];
	const char	*xadd[] = { "XADD", p->key, "*", "_", NULL };
	const char	*multi[] = { "MULTI" }, *exec[] = { "EXEC" };
	const char	*discard[] = { "DISCARD" };
	const char	*argv[10 + PUT_GROUP];
	size_t		 lens[10 + PUT_GROUP], xlens[5], bytes;
	struct relay_put	*q, *group[PUT_GROUP];
	unsigned int	 n, k;
	int		 i;

	if (p->fed) {
		xadd[1] = RELAY_FED_STREAM;
		xadd[3] = "msg";
		xadd[4] = (const char *)p->env;
		for (i = 0; i < 5; i++)
			xlens[i] = i == 4 ? p->len : strlen(xadd[i]);
		if (rconn_cmd(r->cmd, put_cb, p, 5, xadd, xlens) == -1)
			return -1;
		p->sent = 1;
		r->nflight++;
		return 0;
	}
	if (bytes_key(bkey, sizeof(bkey), p->key) == -1)
		return -1;
	/* The envelopes for the same stream that wait behind it go too. */
	n = 0;
	bytes = 0;
	for (q = p, k = 0; q != NULL && n < PUT_GROUP && k < PUT_SCAN;
	    q = TAILQ_NEXT(q, entry), k++) {
		if (q->sent || q->fed || strcmp(q->key, p->key) != 0)
			continue;
		if (n > 0 && bytes + q->len > PUT_GROUP_BYTES)
			break;
		group[n++] = q;
		bytes += q->len;
	}
	snprintf(maxlen, sizeof(maxlen), "%d", RELAY_STREAM_MAXLEN);
	snprintf(ttl, sizeof(ttl), "%d", RELAY_STREAM_TTL + RELAY_TTL_SLACK);
	snprintf(budget, sizeof(budget), "%" PRIu64, r->conf.stream_bytes);
	snprintf(trim, sizeof(trim), "%d", RELAY_TRIM_MAX);
	p->sent_at = relay_mono();
	p->ttl = ttl_due(r, p->key, p->sent_at);
	argv[0] = "EVALSHA";
	argv[1] = r->put_sha;
	argv[2] = "2";
	argv[3] = p->key;
	argv[4] = bkey;
	argv[5] = maxlen;
	argv[6] = ttl;
	argv[7] = budget;
	argv[8] = trim;
	argv[9] = p->ttl ? "1" : "0";
	for (k = 0; k < n; k++) {
		snprintf(lenbuf[k], sizeof(lenbuf[k]), "%zu", group[k]->len);
		argv[10 + k] = lenbuf[k];
	}
	for (i = 0; i < (int)(10 + n); i++)
		lens[i] = strlen(argv[i]);
	if (rconn_cmd(r->cmd, NULL, NULL, 1, multi, NULL) == -1)
		return -1;
	for (k = 0; k < n; k++) {
		xadd[4] = (const char *)group[k]->env;
		for (i = 0; i < 5; i++)
			xlens[i] = i == 4 ? group[k]->len : strlen(xadd[i]);
		if (rconn_cmd(r->cmd, NULL, NULL, 5, xadd, xlens) == -1)
			break;
	}
	if (k < n ||
	    rconn_cmd(r->cmd, NULL, NULL, (int)(10 + n), argv, lens) == -1 ||
	    rconn_cmd(r->cmd, put_cb, p, 1, exec, NULL) == -1) {
		/* Out of memory: the transaction is dropped, tried again. */
		(void)rconn_cmd(r->cmd, NULL, NULL, 1, discard, NULL);
		return -1;
	}
	p->ngroup = n;
	for (k = 0; k < n; k++) {
		group[k]->sent = 1;
		group[k]->sent_at = p->sent_at;
		group[k]->ttl = p->ttl;
		group[k]->gnext = k + 1 < n ? group[k + 1] : NULL;
	}
	if (r->busy != NULL)
		r->busy[p->slot]++;
	r->nflight++;
	return 0;
}

/* Sends what waits, in order, while the connection takes it. */
static void
pump(struct relay_server *r)
{
	struct relay_put	*p;
	unsigned int		 n;

	if (r->cmd == NULL || !rconn_up(r->cmd))
		return;
	if (r->reload) {
		/* Those sent after the refused one come back first. */
		if (r->nflight > 0)
			return;
		load_scripts(r);
		r->reload = 0;
	}
	for (p = r->put_next, n = 0; p != NULL && n < PUT_SCAN;
	    p = TAILQ_NEXT(p, entry), n++) {
		if (p->sent || (!p->fed && r->busy != NULL &&
		    r->busy[p->slot] >= PUT_OUT))
			continue;
		if (put_send(r, p) == -1)
			break;
	}
	for (p = r->put_next; p != NULL && p->sent; p = TAILQ_NEXT(p, entry))
		;
	r->put_next = p;
}

struct relay_put *
relay_put(struct relay_server *r, const struct relay_sess_id *dest,
    const uint8_t *env, size_t len, const struct relay_sess_id *from,
    int flags, relay_put_fn fn, void *arg)
{
	struct relay_put	*p;
	struct relay_conn	*c;

	/* An empty outbox takes one envelope of any size. */
	if ((r->nputs > 0 && len + r->put_bytes > RELAY_OUTBOX_BYTES_MAX) ||
	    r->nputs >= RELAY_OUTBOX_ENVS_MAX ||
	    (p = calloc(1, sizeof(*p) + len)) == NULL) {
		r->enqueue_failed++;
		return NULL;
	}
	p->relay = r;
	p->fed = dest == NULL;
	if (!p->fed && relay_stream_key(p->key, sizeof(p->key), dest) == -1) {
		free(p);
		r->enqueue_failed++;
		return NULL;
	}
	if (!p->fed) {
		p->slot = key_slot(p->key);
		p->dest = *dest;
		c = relay_sessions_get(&r->sessions, dest);
		if (c != NULL && c->group != NULL) {
			p->gen = c->gen;
			c->npend++;
		}
	}
	if (from != NULL) {
		p->has_from = 1;
		p->from = *from;
	}
	p->flags = flags;
	p->fn = fn;
	p->arg = arg;
	p->seq = r->put_seq++;
	p->born = relay_mono();
	p->len = len;
	memcpy(p->env, env, len);
	TAILQ_INSERT_TAIL(&r->puts, p, entry);
	r->put_bytes += len;
	r->nputs++;
	if (r->put_next == NULL)
		r->put_next = p;
	outbox_update(r);
	/* Sent before the loop waits, with those that come in the while. */
	if (!ev_is_active(&r->put_prep))
		ev_prepare_start(r->loop, &r->put_prep);
	if (!relay_switch_ready(r))
		r->was_ready = 0;
	return p;
}

void
relay_put_cancel(struct relay_put *p)
{
	p->fn = NULL;
	p->arg = NULL;
}

static void
cmd_up(struct rconn *rc, void *arg)
{
	struct relay_server	*r = arg;
	unsigned int	 i;

	(void)rc;
	load_scripts(r);
	r->reload = 0;
	if (r->nputs > 0)
		log_info("redis is back: %u envelopes go in", r->nputs);
	pump(r);
	for (i = 0; i < r->conf.workers; i++)
		if (r->groups[i].reading && r->groups[i].dirty)
			unblock(&r->groups[i]);
	ready_check(r);
}

static void
cmd_down(struct rconn *rc, void *arg)
{
	(void)rc;
	ready_check(arg);
}

static void
group_down(struct rconn *rc, void *arg)
{
	struct relay_group	*g = arg;
	struct relay_conn	*c;

	(void)rc;
	g->reading = 0;
	LIST_FOREACH(c, &g->conns, glink)
		c->snap = 0;
}

/* The session an XLEN at its join was for. */
struct join_len {
	struct relay_server	*relay;
	struct relay_sess_id	 id;
	uint64_t		 gen;
};

/*
 * An empty stream at the join, after every put sent before: nothing of
 * this relay's is in it, and the session need not wait for an XREAD to
 * say so (it blocks when there is nothing to read).
 */
static void
join_len_cb(redisAsyncContext *ac, void *rep, void *priv)
{
	struct join_len		*j = priv;
	struct relay_server	*r = j->relay;
	struct relay_conn	*c;
	redisReply		*reply = rep;

	(void)ac;
	if (!r->switch_freeing && reply != NULL &&
	    reply->type == REDIS_REPLY_INTEGER && reply->integer == 0 &&
	    (c = relay_sessions_get(&r->sessions, &j->id)) != NULL &&
	    c->gen == j->gen && c->group != NULL) {
		c->synced = 1;
		c->hi_ms = c->hi_seq = 0;
	}
	free(j);
}

static void
join_len(struct relay_server *r, struct relay_conn *c)
{
	struct join_len	*j;
	const char	*argv[] = { "XLEN", c->key };

	if ((j = malloc(sizeof(*j))) == NULL)
		return;
	j->relay = r;
	j->id = c->id;
	j->gen = c->gen;
	if (rconn_cmd(r->cmd, join_len_cb, j, 2, argv, NULL) == -1)
		free(j);
}

int
relay_switch_join(struct relay_server *r, struct relay_conn *c)
{
	struct relay_group	*g = NULL;
	struct relay_put	*p;
	unsigned int		 i;
	char			 name[48];

	for (i = 0; i < r->conf.workers; i++) {
		if (r->groups[i].count < r->conf.per_worker) {
			g = &r->groups[i];
			break;
		}
	}
	if (g == NULL)
		return -1;
	if (g->rd == NULL) {
		snprintf(name, sizeof(name), "rmb-relay-read-%u", g->idx);
		if ((g->rd = rconn_new(r->loop, &r->conf.redis, name,
		    group_up, group_down, g)) == NULL)
			return -1;
	}
	if (relay_stream_key(c->key, sizeof(c->key), &c->id) == -1)
		return -1;
	strcpy(c->last, "0-0");
	c->group = g;
	c->snap = 0;
	c->fresh = 1;
	/* Not direct before an XREAD has read what is already there. */
	c->synced = 0;
	c->npend = 0;
	c->hi_ms = c->hi_seq = c->hi_after = 0;
	TAILQ_FOREACH(p, &r->puts, entry) {
		if (!p->fed && relay_sess_eq(&p->dest, &c->id)) {
			p->gen = c->gen;
			c->npend++;
		}
	}
	STAILQ_INIT(&c->outq);
	STAILQ_INIT(&c->dq);
	c->dqlen = 0;
	c->dqbytes = 0;
	LIST_INSERT_HEAD(&g->conns, c, glink);
	g->count++;
	relay_metrics_worker_add(&r->metrics, g->idx, 1);
	join_len(r, c);
	group_kick(g);
	return 0;
}

void
relay_switch_leave(struct relay_server *r, struct relay_conn *c)
{
	struct relay_group	*g = c->group;
	struct relay_outmsg	*m;

	if (c->doubt != NULL)
		doubt_end(r, c, 0);
	/* Zeroed, never joined: nothing waits. */
	if (c->group != NULL)
		dq_spill(r, c);
	flush_acks(r, c);
	if (c->in_acking) {
		LIST_REMOVE(c, alink);
		c->in_acking = 0;
	}
	free(c->acks);
	c->acks = NULL;
	/* Zeroed, never joined: no queue to free. */
	while (c->group != NULL && (m = STAILQ_FIRST(&c->outq)) != NULL) {
		STAILQ_REMOVE_HEAD(&c->outq, entry);
		free(m);
	}
	c->qlen = 0;
	c->qbytes = 0;
	if (g == NULL)
		return;
	LIST_REMOVE(c, glink);
	c->group = NULL;
	g->count--;
	relay_metrics_worker_add(&r->metrics, g->idx, -1);
	/* Its stream stays in the XREAD until the next one: harmless. */
}

static void
xdel_cb(redisAsyncContext *ac, void *rep, void *priv)
{
	struct relay_server	*r = priv;
	redisReply	*reply = rep;

	(void)ac;
	if (r->switch_freeing)
		return;
	if (reply != NULL && reply->type != REDIS_REPLY_ERROR)
		return;
	log_warnx("XDEL: %s (the messages will be delivered again)",
	    reply == NULL ? "redis connection lost" : reply->str);
	if (reply != NULL && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		r->reload = 1;
		pump(r);
	}
}

static void
flush_acks(struct relay_server *r, struct relay_conn *c)
{
	const char	*argv[5 + 2 * RELAY_ACK_BATCH];
	char		 lens[RELAY_ACK_BATCH][24];
	char		 bkey[sizeof(RELAY_BYTES_PREFIX) + sizeof(c->key)];
	unsigned int	 i;

	if (c->nacks == 0)
		return;
	if (bytes_key(bkey, sizeof(bkey), c->key) == -1) {
		c->nacks = 0;
		return;
	}
	argv[0] = "EVALSHA";
	argv[1] = r->ack_sha;
	argv[2] = "2";
	argv[3] = c->key;
	argv[4] = bkey;
	for (i = 0; i < c->nacks; i++) {
		snprintf(lens[i], sizeof(lens[i]), "%zu", c->acks[i].len);
		argv[5 + i] = c->acks[i].id;
		argv[5 + c->nacks + i] = lens[i];
	}
	if (rconn_cmd(r->cmd, xdel_cb, r, (int)(5 + 2 * c->nacks), argv,
	    NULL) == -1)
		log_warnx("%s: redis down, %u delivered messages not deleted "
		    "(they will be delivered again)", c->key, c->nacks);
	c->nacks = 0;
}

/* One XDEL a stream for what was written since the last time. */
static void
acks_flush(struct relay_server *r)
{
	struct relay_conn	*c;

	ev_prepare_stop(r->loop, &r->ack_prep);
	ev_timer_stop(r->loop, &r->ack_timer);
	r->ack_last = ev_now(r->loop);
	while ((c = LIST_FIRST(&r->acking)) != NULL) {
		LIST_REMOVE(c, alink);
		c->in_acking = 0;
		flush_acks(r, c);
	}
}

static void
ack_prep_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	acks_flush(w->data);
}

static void
ack_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	acks_flush(w->data);
}

static void
ack(struct relay_server *r, struct relay_conn *c, const char *id, size_t len)
{
	ev_tstamp	wait;

	if (c->acks == NULL &&
	    (c->acks = calloc(RELAY_ACK_BATCH, sizeof(*c->acks))) == NULL) {
		log_warnx("%s: out of memory, message %s not deleted", c->key,
		    id);
		return;
	}
	snprintf(c->acks[c->nacks].id, sizeof(c->acks[0].id), "%s", id);
	c->acks[c->nacks++].len = len;
	if (c->nacks == RELAY_ACK_BATCH) {
		flush_acks(r, c);
		return;
	}
	if (!c->in_acking) {
		c->in_acking = 1;
		LIST_INSERT_HEAD(&r->acking, c, alink);
	}
	if (ev_is_active(&r->ack_prep) || ev_is_active(&r->ack_timer))
		return;
	/* Before the loop waits, or soon when it did not long ago. */
	wait = r->ack_last + RELAY_ACK_GAP - ev_now(r->loop);
	if (wait <= 0)
		ev_prepare_start(r->loop, &r->ack_prep);
	else {
		ev_timer_set(&r->ack_timer, wait, 0.);
		ev_timer_start(r->loop, &r->ack_timer);
	}
}

void
relay_switch_writable(struct relay_server *r, struct relay_conn *c)
{
	struct relay_outmsg	*m;
	int			 was_full, n;

	if (c->closing)
		return;
	/* lws calls back only once what it held went out. */
	if (c->doubt != NULL && !c->doubt->out)
		doubt_end(r, c, 1);
	/* Frames while the socket takes them whole, as lws allows. */
	for (n = 0; n < RELAY_WRITE_BATCH && c->doubt == NULL &&
	    (m = STAILQ_FIRST(&c->dq)) != NULL; n++) {
		if (lws_write(c->wsi, m->buf + LWS_PRE, m->len,
		    LWS_WRITE_BINARY) < (int)m->len) {
			/* What waits goes to the stream when it is closed. */
			relay_http_close(c,
			    LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
			    "write failed");
			return;
		}
		STAILQ_REMOVE_HEAD(&c->dq, entry);
		c->dqlen--;
		c->dqbytes -= m->len;
		if (lws_partial_buffered(c->wsi)) {
			if (doubt_keep(r, c, m->buf + LWS_PRE, NULL, m->len) ==
			    -1)
				delivered(r, m->len, RELAY_M_PATH_DIRECT);
			else
				dq_spill(r, c);	/* behind the copy */
			free(m);
			break;
		}
		delivered(r, m->len, RELAY_M_PATH_DIRECT);
		free(m);
	}
	was_full = outq_full(c);
	for (; n < RELAY_WRITE_BATCH && c->doubt == NULL &&
	    STAILQ_EMPTY(&c->dq) && (m = STAILQ_FIRST(&c->outq)) != NULL;
	    n++) {
		if (lws_write(c->wsi, m->buf + LWS_PRE, m->len,
		    LWS_WRITE_BINARY) < (int)m->len) {
			/* The message stays in redis; the connection is done. */
			relay_http_close(c,
			    LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
			    "write failed");
			return;
		}
		STAILQ_REMOVE_HEAD(&c->outq, entry);
		c->qlen--;
		c->qbytes -= m->len;
		if (!lws_partial_buffered(c->wsi) ||
		    doubt_keep(r, c, NULL, m->id, m->len) == -1) {
			delivered(r, m->len, RELAY_M_PATH_STREAM);
			ack(r, c, m->id, m->len);
		}
		free(m);
		if (lws_partial_buffered(c->wsi))
			break;
	}
	if (was_full && !outq_full(c)) {
		c->full_since = 0;
		group_kick(c->group);
	}
	if (!STAILQ_EMPTY(&c->outq) || !STAILQ_EMPTY(&c->dq) ||
	    c->doubt != NULL)
		lws_callback_on_writable(c->wsi);
}

/* A POST's sender is told once it waited long enough; redis may still. */
static void
put_timeouts(struct relay_server *r, uint64_t now)
{
	struct relay_put	*p;
	relay_put_fn		 fn;

	TAILQ_FOREACH(p, &r->puts, entry) {
		if (p->fn == NULL || !(p->flags & RELAY_PUT_ONCE) ||
		    now - p->born < RELAY_POST_WAIT)
			continue;
		fn = p->fn;
		p->fn = NULL;
		log_warnx("enqueue to %s: no answer from redis in %d s",
		    p->key, RELAY_POST_WAIT);
		fn(p->arg, RELAY_PUT_LOST);
	}
}

void
relay_switch_tick(struct relay_server *r, uint64_t now)
{
	struct relay_conn	*c;
	unsigned int		 i;

	for (i = 0; i < r->conf.workers; i++) {
		struct relay_group	*g = &r->groups[i];

		LIST_FOREACH(c, &g->conns, glink) {
			if (c->full_since != 0 && !c->closing &&
			    now - c->full_since > RELAY_BACK_PRESSURE_MAX) {
				log_info("session %s: evicted after %d s of "
				    "back pressure", c->key,
				    RELAY_BACK_PRESSURE_MAX);
				relay_metrics_evict(&r->metrics,
				    RELAY_M_EVICT_BACK_PRESSURE, 1);
				relay_http_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				    "back pressure");
			}
		}
		/* After a redis error, or when an XREAD could not be sent. */
		if (!g->reading && !LIST_EMPTY(&g->conns))
			group_read(g);
	}
	put_timeouts(r, now);
}

/* The name EVALSHA knows a script by, so that it goes before LOAD answers. */
static void
sha_hex(char out[41], const char *script)
{
	unsigned char	md[20];
	int		i;

	lws_SHA1((const unsigned char *)script, strlen(script), md);
	for (i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
put_prep_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct relay_server	*r = w->data;

	(void)revents;
	ev_prepare_stop(loop, w);
	pump(r);
}

int
relay_switch_init(struct relay_server *r)
{
	unsigned int	i;

	if ((r->groups = calloc(r->conf.workers, sizeof(*r->groups))) == NULL)
		return -1;
	TAILQ_INIT(&r->puts);
	LIST_INIT(&r->acking);
	for (i = 0; i < r->conf.workers; i++) {
		r->groups[i].relay = r;
		r->groups[i].idx = i;
		ev_timer_init(&r->groups[i].unblock_timer, unblock_timer_cb,
		    UNBLOCK_RETRY, 0.);
		r->groups[i].unblock_timer.data = &r->groups[i];
	}
	ev_prepare_init(&r->ack_prep, ack_prep_cb);
	r->ack_prep.data = r;
	ev_prepare_init(&r->put_prep, put_prep_cb);
	r->put_prep.data = r;
	ev_timer_init(&r->ack_timer, ack_timer_cb, RELAY_ACK_GAP, 0.);
	r->ack_timer.data = r;
	sha_hex(r->put_sha, put_lua);
	sha_hex(r->ack_sha, ack_lua);
	/* Without it every put sets the TTL. */
	if ((r->ttls = calloc(RELAY_TTL_SLOTS, sizeof(*r->ttls))) == NULL)
		log_warnx("out of memory for the TTL slots");
	/* Without it puts for a stream go as they come. */
	if ((r->busy = calloc(RELAY_TTL_SLOTS, sizeof(*r->busy))) == NULL)
		log_warnx("out of memory for the put slots");
	if ((r->cmd = rconn_new(r->loop, &r->conf.redis, "rmb-relay",
	    cmd_up, cmd_down, r)) == NULL)
		return -1;
	return 0;
}

void
relay_switch_free(struct relay_server *r)
{
	struct relay_put	*p;
	unsigned int		 i;

	/* The callbacks rconn_free runs with NULL must not send again. */
	r->switch_freeing = 1;
	if (r->groups != NULL) {
		for (i = 0; i < r->conf.workers; i++) {
			ev_timer_stop(r->loop, &r->groups[i].unblock_timer);
			rconn_free(r->groups[i].rd);
		}
		free(r->groups);
		r->groups = NULL;
	}
	ev_prepare_stop(r->loop, &r->ack_prep);
	ev_prepare_stop(r->loop, &r->put_prep);
	ev_timer_stop(r->loop, &r->ack_timer);
	rconn_free(r->cmd);
	r->cmd = NULL;
	while ((p = TAILQ_FIRST(&r->puts)) != NULL) {
		TAILQ_REMOVE(&r->puts, p, entry);
		free(p);
	}
	r->put_next = NULL;
	r->nputs = 0;
	r->put_bytes = 0;
	free(r->wbuf);
	r->wbuf = NULL;
	r->wcap = 0;
	free(r->ttls);
	r->ttls = NULL;
	free(r->busy);
	r->busy = NULL;
}

int
relay_switch_drained(const struct relay_server *r)
{
	unsigned int	i;

	for (i = 0; i < r->conf.workers; i++)
		if (r->groups[i].rd != NULL && !rconn_closed(r->groups[i].rd))
			return 0;
	return rconn_closed(r->cmd);
}

void
relay_switch_drain(struct relay_server *r)
{
	struct relay_put	*p;
	unsigned int		 i, unsent = 0;

	acks_flush(r);
	pump(r);
	TAILQ_FOREACH(p, &r->puts, entry)
		unsent += !p->sent;
	if (unsent > 0)
		log_warnx("stopping with redis away: %u envelopes not stored",
		    unsent);
	/*
	 * A reader waits in XREAD for up to RELAY_XREAD_BLOCK_MS and its
	 * connection closes only once that is answered: cut it short.
	 */
	for (i = 0; i < r->conf.workers; i++)
		if (r->groups[i].rd != NULL && r->groups[i].reading)
			unblock(&r->groups[i]);
	for (i = 0; i < r->conf.workers; i++)
		if (r->groups[i].rd != NULL)
			rconn_close(r->groups[i].rd);
	rconn_close(r->cmd);
}
