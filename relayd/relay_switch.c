#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <libwebsockets.h>

#include "log.h"
#include "rconn.h"
#include "relayd.h"

/*
 * A delivery group, the reference's "worker": up to per_worker sessions
 * whose streams one redis connection reads with a single blocking XREAD.
 * When the set of sessions that can take messages changes while that
 * XREAD waits, CLIENT UNBLOCK on the command connection makes it return
 * so that the next one names the new set.
 */
struct relay_group {
	struct relay		*relay;
	unsigned int		 idx;
	struct rconn		*rd;
	struct relay_conn	*head;
	unsigned int		 count;
	int			 reading;	/* an XREAD is out */
	int			 dirty;		/* the set changed since */
	int			 unblocking;	/* CLIENT UNBLOCK is out */
	unsigned int		 unblock_tries;
	ev_timer		 unblock_timer;
};

/* A CLIENT UNBLOCK that raced ahead of its XREAD is sent again this often. */
#define UNBLOCK_RETRY	0.002
#define UNBLOCK_TRIES	100

static void	group_read(struct relay_group *);
static void	flush_acks(struct relay *, struct relay_conn *);

static int
has_room(const struct relay_conn *c)
{
	return !c->closing && c->qlen < RELAY_OUTQ_MAX;
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
	struct relay	*r = g->relay;
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
	m->next = NULL;
	m->len = vlen;
	memcpy(m->id, id, idlen);
	m->id[idlen] = '\0';
	memcpy(m->buf + LWS_PRE, v, vlen);
	if (c->qtail != NULL)
		c->qtail->next = m;
	else
		c->qhead = m;
	c->qtail = m;
	c->qlen++;
}

/*
 * Takes the entries of one stream of an XREAD reply into c's queue, in
 * order, up to its bound; the rest stays in redis and c's last id does
 * not pass it.
 */
static void
take_entries(struct relay *r, struct relay_conn *c, const redisReply *ents)
{
	const redisReply	*e, *f;
	size_t			 i;

	for (i = 0; i < ents->elements; i++) {
		e = ents->element[i];
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    e->element[0]->len >= sizeof(c->last))
			continue;
		if (c->qlen >= RELAY_OUTQ_MAX) {
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
		push(c, c->last, strlen(c->last), f->element[1]->str,
		    f->element[1]->len);
	}
	if (c->qlen >= RELAY_OUTQ_MAX && c->full_since == 0)
		c->full_since = relay_mono();
	if (c->qhead != NULL)
		lws_callback_on_writable(c->wsi);
	(void)r;
}

static void
xread_cb(redisAsyncContext *ac, void *rep, void *priv)
{
	struct relay_group	*g = priv;
	struct relay		*r = g->relay;
	redisReply		*reply = rep, *s;
	struct relay_sess_id	 id;
	struct relay_conn	*c;
	size_t			 i;

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
			if (c != NULL && c->group == g && c->snap)
				take_entries(r, c, s->element[1]);
		}
	}
	for (c = g->head; c != NULL; c = c->gnext)
		c->snap = 0;
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
	char			 block[16], count[16];

	if (g->reading || g->rd == NULL || !rconn_up(g->rd))
		return;
	for (c = g->head; c != NULL; c = c->gnext)
		n += has_room(c);
	if (n == 0)
		return;
	if ((argv = calloc(6 + 2 * (size_t)n, sizeof(*argv))) == NULL) {
		log_warnx("XREAD: out of memory");
		return;
	}
	snprintf(count, sizeof(count), "%d", RELAY_XREAD_COUNT);
	snprintf(block, sizeof(block), "%d", RELAY_XREAD_BLOCK_MS);
	argv[0] = "XREAD";
	argv[1] = "COUNT";
	argv[2] = count;
	argv[3] = "BLOCK";
	argv[4] = block;
	argv[5] = "STREAMS";
	i = 0;
	for (c = g->head; c != NULL; c = c->gnext) {
		if (!has_room(c))
			continue;
		argv[6 + i] = c->key;
		argv[6 + n + i] = c->last;
		c->snap = 1;
		i++;
	}
	if (rconn_cmd(g->rd, xread_cb, g, (int)(6 + 2 * n), argv, NULL) == 0) {
		g->reading = 1;
		g->dirty = 0;
		ev_timer_stop(g->relay->loop, &g->unblock_timer);
	} else {
		for (c = g->head; c != NULL; c = c->gnext)
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

static void
cmd_up(struct rconn *rc, void *arg)
{
	struct relay	*r = arg;
	unsigned int	 i;

	(void)rc;
	for (i = 0; i < r->conf.workers; i++)
		if (r->groups[i].reading && r->groups[i].dirty)
			unblock(&r->groups[i]);
}

/* EXEC answers an array; XADD alone answers the entry id. */
static void
enqueue_cb(redisAsyncContext *ac, void *rep, void *priv)
{
	struct relay	*r = priv;
	redisReply	*reply = rep;

	(void)ac;
	if (reply != NULL && (reply->type == REDIS_REPLY_ARRAY ||
	    reply->type == REDIS_REPLY_STRING))
		return;
	r->enqueue_failed++;
	log_warnx("enqueue: %s", reply == NULL ? "redis connection lost" :
	    reply->type == REDIS_REPLY_ERROR ? reply->str : "transaction "
	    "aborted");
}

int
relay_enqueue(struct relay *r, const struct relay_sess_id *dest,
    const uint8_t *env, size_t len)
{
	char		 key[16 + RELAY_SID_MAX], maxlen[16], ttl[16];
	const char	*multi[] = { "MULTI" };
	const char	*exec[] = { "EXEC" };
	const char	*xadd[] = { "XADD", key, "MAXLEN", "~", maxlen, "*",
			    "_", (const char *)env };
	size_t		 xlen[8];
	const char	*expire[] = { "EXPIRE", key, ttl };
	int		 i;

	if (relay_stream_key(key, sizeof(key), dest) == -1 ||
	    !rconn_up(r->cmd)) {
		r->enqueue_failed++;
		return -1;
	}
	snprintf(maxlen, sizeof(maxlen), "%d", RELAY_STREAM_MAXLEN);
	snprintf(ttl, sizeof(ttl), "%d", RELAY_STREAM_TTL);
	for (i = 0; i < 7; i++)
		xlen[i] = strlen(xadd[i]);
	xlen[7] = len;
	/* Sent together: either all four reach the socket or none. */
	if (rconn_cmd(r->cmd, NULL, NULL, 1, multi, NULL) == -1 ||
	    rconn_cmd(r->cmd, NULL, NULL, 8, xadd, xlen) == -1 ||
	    rconn_cmd(r->cmd, NULL, NULL, 3, expire, NULL) == -1 ||
	    rconn_cmd(r->cmd, enqueue_cb, r, 1, exec, NULL) == -1) {
		r->enqueue_failed++;
		return -1;
	}
	relay_metrics_add(&r->metrics, RELAY_M_RX, 1);
	relay_metrics_add(&r->metrics, RELAY_M_RX_BYTES, len);
	return 0;
}

int
relay_enqueue_federation(struct relay *r, const uint8_t *env, size_t len)
{
	const char	*argv[] = { "XADD", RELAY_FED_STREAM, "*", "msg",
			    (const char *)env };
	size_t		 argvlen[5];
	int		 i;

	for (i = 0; i < 4; i++)
		argvlen[i] = strlen(argv[i]);
	argvlen[4] = len;
	if (rconn_cmd(r->cmd, enqueue_cb, r, 5, argv, argvlen) == -1) {
		r->enqueue_failed++;
		return -1;
	}
	return 0;
}

static void
group_down(struct rconn *rc, void *arg)
{
	struct relay_group	*g = arg;
	struct relay_conn	*c;

	(void)rc;
	g->reading = 0;
	for (c = g->head; c != NULL; c = c->gnext)
		c->snap = 0;
}

int
relay_switch_join(struct relay *r, struct relay_conn *c)
{
	struct relay_group	*g = NULL;
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
	c->gprev = NULL;
	c->gnext = g->head;
	if (g->head != NULL)
		g->head->gprev = c;
	g->head = c;
	g->count++;
	relay_metrics_worker_add(&r->metrics, g->idx, 1);
	group_kick(g);
	return 0;
}

void
relay_switch_leave(struct relay *r, struct relay_conn *c)
{
	struct relay_group	*g = c->group;
	struct relay_outmsg	*m;

	flush_acks(r, c);
	if (c->in_acking) {
		struct relay_conn	**pp;

		for (pp = &r->acking; *pp != NULL; pp = &(*pp)->anext) {
			if (*pp == c) {
				*pp = c->anext;
				break;
			}
		}
		c->in_acking = 0;
	}
	free(c->acks);
	c->acks = NULL;
	while ((m = c->qhead) != NULL) {
		c->qhead = m->next;
		free(m);
	}
	c->qtail = NULL;
	c->qlen = 0;
	if (g == NULL)
		return;
	if (c->gprev != NULL)
		c->gprev->gnext = c->gnext;
	else
		g->head = c->gnext;
	if (c->gnext != NULL)
		c->gnext->gprev = c->gprev;
	c->group = NULL;
	g->count--;
	relay_metrics_worker_add(&r->metrics, g->idx, -1);
	/* Its stream stays in the XREAD until the next one: harmless. */
}

static void
xdel_cb(redisAsyncContext *ac, void *rep, void *priv)
{
	redisReply	*reply = rep;

	(void)ac;
	(void)priv;
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		log_warnx("XDEL: %s (the messages will be delivered again)",
		    reply == NULL ? "redis connection lost" : reply->str);
}

static void
flush_acks(struct relay *r, struct relay_conn *c)
{
	const char	*argv[2 + RELAY_ACK_BATCH];
	unsigned int	 i;

	if (c->nacks == 0)
		return;
	argv[0] = "XDEL";
	argv[1] = c->key;
	for (i = 0; i < c->nacks; i++)
		argv[2 + i] = c->acks[i];
	if (rconn_cmd(r->cmd, xdel_cb, NULL, (int)(2 + c->nacks), argv,
	    NULL) == -1)
		log_warnx("%s: redis down, %u delivered messages not deleted "
		    "(they will be delivered again)", c->key, c->nacks);
	c->nacks = 0;
}

static void
ack_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay		*r = w->data;
	struct relay_conn	*c;

	(void)loop;
	(void)revents;
	while ((c = r->acking) != NULL) {
		r->acking = c->anext;
		c->in_acking = 0;
		flush_acks(r, c);
	}
}

static void
ack(struct relay *r, struct relay_conn *c, const char *id)
{
	if (c->acks == NULL &&
	    (c->acks = calloc(RELAY_ACK_BATCH, sizeof(*c->acks))) == NULL) {
		log_warnx("%s: out of memory, message %s not deleted", c->key,
		    id);
		return;
	}
	snprintf(c->acks[c->nacks++], sizeof(c->acks[0]), "%s", id);
	if (c->nacks == RELAY_ACK_BATCH) {
		flush_acks(r, c);
		return;
	}
	if (!c->in_acking) {
		c->in_acking = 1;
		c->anext = r->acking;
		r->acking = c;
	}
	if (!ev_is_active(&r->ack_timer)) {
		ev_timer_set(&r->ack_timer, RELAY_ACK_DELAY, 0.);
		ev_timer_start(r->loop, &r->ack_timer);
	}
}

void
relay_switch_writable(struct relay *r, struct relay_conn *c)
{
	struct relay_outmsg	*m;
	int			 was_full;

	if ((m = c->qhead) == NULL || c->closing)
		return;
	if (lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_BINARY) <
	    (int)m->len) {
		/* The message stays in redis; the connection is done. */
		relay_http_close(c, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
		    "write failed");
		return;
	}
	was_full = c->qlen >= RELAY_OUTQ_MAX;
	c->qhead = m->next;
	if (c->qhead == NULL)
		c->qtail = NULL;
	c->qlen--;
	relay_metrics_add(&r->metrics, RELAY_M_TX, 1);
	relay_metrics_add(&r->metrics, RELAY_M_TX_BYTES, m->len);
	ack(r, c, m->id);
	free(m);
	if (was_full) {
		c->full_since = 0;
		group_kick(c->group);
	}
	if (c->qhead != NULL)
		lws_callback_on_writable(c->wsi);
}

void
relay_switch_tick(struct relay *r, uint64_t now)
{
	struct relay_conn	*c;
	unsigned int		 i;

	for (i = 0; i < r->conf.workers; i++) {
		struct relay_group	*g = &r->groups[i];

		for (c = g->head; c != NULL; c = c->gnext) {
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
		if (!g->reading && g->head != NULL)
			group_read(g);
	}
}

int
relay_switch_init(struct relay *r)
{
	unsigned int	i;

	if ((r->groups = calloc(r->conf.workers, sizeof(*r->groups))) == NULL)
		return -1;
	for (i = 0; i < r->conf.workers; i++) {
		r->groups[i].relay = r;
		r->groups[i].idx = i;
		ev_timer_init(&r->groups[i].unblock_timer, unblock_timer_cb,
		    UNBLOCK_RETRY, 0.);
		r->groups[i].unblock_timer.data = &r->groups[i];
	}
	ev_timer_init(&r->ack_timer, ack_timer_cb, RELAY_ACK_DELAY, 0.);
	r->ack_timer.data = r;
	if ((r->cmd = rconn_new(r->loop, &r->conf.redis, "rmb-relay",
	    cmd_up, NULL, r)) == NULL)
		return -1;
	return 0;
}

void
relay_switch_free(struct relay *r)
{
	unsigned int	i;

	if (r->groups != NULL) {
		for (i = 0; i < r->conf.workers; i++) {
			ev_timer_stop(r->loop, &r->groups[i].unblock_timer);
			rconn_free(r->groups[i].rd);
		}
		free(r->groups);
		r->groups = NULL;
	}
	ev_timer_stop(r->loop, &r->ack_timer);
	rconn_free(r->cmd);
	r->cmd = NULL;
}

int
relay_switch_drained(const struct relay *r)
{
	unsigned int	i;

	for (i = 0; i < r->conf.workers; i++)
		if (r->groups[i].rd != NULL && !rconn_closed(r->groups[i].rd))
			return 0;
	return rconn_closed(r->cmd);
}

void
relay_switch_drain(struct relay *r)
{
	struct relay_conn	*c;
	unsigned int		 i;

	ev_timer_stop(r->loop, &r->ack_timer);
	while ((c = r->acking) != NULL) {
		r->acking = c->anext;
		c->in_acking = 0;
		flush_acks(r, c);
	}
	for (i = 0; i < r->conf.workers; i++)
		if (r->groups[i].rd != NULL)
			rconn_close(r->groups[i].rd);
	rconn_close(r->cmd);
}
