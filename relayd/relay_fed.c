/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: the outgoing federation worker (doc/relay.md §2.2-2.4).  It takes
 * entries of relay.federation.stream through the consumer group, POSTs
 * each to the destination twin's relays with libcurl on the relay's loop,
 * and acks an entry once it is delivered or never can be; the others stay
 * pending, and the scan of the pending list takes them again.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <sodium.h>

#include "envelope_check.h"
#include "evcurl.h"
#include "log.h"
#include "rconn.h"
#include "relay_fedplan.h"
#include "relay_route.h"
#include "relay_server.h"

#define FED_INFLIGHT	64	/* messages in flight per process */
/*
 * Their bytes: past FED_INFLIGHT_BYTES no more are read (one always
 * is), and after a read of more than FED_READ_BYTES the next reads one,
 * so that big envelopes are not read 64 at a time.
 */
#define FED_INFLIGHT_BYTES	(2 * RELAY_MSG_MAX)
#define FED_READ_BYTES		(4 * 1024 * 1024)
#define FED_BLOCK_MS	"500"	/* XREADGROUP BLOCK */
#define FED_SCAN_EVERY	2.0	/* seconds between XPENDING scans */
#define FED_IDLE_MS	3000	/* pending this long: take it again */
#define FED_IDLE_ARG	"3000"
#define FED_PAGE	200	/* XPENDING rows per scan */
#define FED_PAGE_ARG	"200"
#define FED_RETRY	1.0	/* seconds after a failed XREADGROUP */
#define FED_ACK_BACKLOG	256	/* XACKs kept while redis is down */
#define FED_CONNECT_MS	2000L
#define FED_TIMEOUT_MS	3000L
/* A POST's timeout grows by a millisecond for each this many bytes. */
#define FED_BYTES_PER_MS	1024
#define FED_CONN_AGE	300L	/* seconds a pooled connection may idle */
#define FED_CONN_CACHE	128L	/* pooled connections */
#define FED_BODY_MAX	(64 * 1024)	/* answer bytes read before cutting */
#define FED_URL_MAX	(sizeof("https://") + RELAY_FEDPLAN_HOST_MAX + 1)

#define ERR_PREFIX	"remote relay rejected permanently: "
#define ERR_OFFLINE	ERR_PREFIX "destination offline"
#define ERR_NO_TWIN	ERR_PREFIX "self twin not found!"
#define ERR_NO_RELAY	ERR_PREFIX "relay is not set for this twin"
#define ERR_PARSE	ERR_PREFIX "failed to parse envelope"
#define ERR_EXPIRED	"message has expired"

typedef char	fed_id[RELAY_FEDPLAN_ID_MAX + 1];

struct fed_msg {
	struct relay_fed	*fed;
	LIST_ENTRY(fed_msg)	 entry;
	fed_id			 id;
	uint8_t			*buf;
	size_t			 len;
	Envelope		*env;
	uint32_t		 twin;		/* the destination */
	char			 relay[TWIN_RELAY_MAX + 1];	/* split */
	const char		*doms[RELAY_RANK_ORDER_MAX];
	size_t			 ndoms;
	struct relay_fedplan_try	 seq;
	const char		*dom;		/* being posted to */
	CURL			*easy;
	int			 posting;	/* easy is in the multi */
	int			 looking;	/* its twin is being read */
	struct relay_put	*report;	/* §1.9 report to store */
	size_t			 got;		/* answer bytes */
	ev_timer		 pause;		/* between passes */
	char			 err[CURL_ERROR_SIZE];
};

struct relay_fed {
	struct relay_server		*r;
	struct rconn		*rd;		/* XREADGROUP, which blocks */
	struct rconn		*cmd;		/* everything else */
	char			 consumer[300];
	const char		*scheme;
	LIST_HEAD(, fed_msg)	 msgs;
	unsigned int		 nmsgs;
	size_t			 bytes;		/* of the msgs' envelopes */
	int			 read_one;	/* the last read was big */
	unsigned int		 reading;	/* slots the XREADGROUP holds */
	unsigned int		 claiming;	/* slots the XCLAIM holds */
	int			 batch;		/* starting a reply's entries */
	int			 read_hold;	/* a read failed: wait */
	int			 read_quiet;	/* its failure was logged */
	int			 scanning;	/* XPENDING sent */
	int			 need_group;	/* a reply said NOGROUP */
	int			 creating;	/* XGROUP CREATE sent */
	int			 freeing;
	fed_id			 scan_from;	/* XPENDING start */
	fed_id			 cand[FED_PAGE];	/* idle, to claim */
	size_t			 ncand;
	fed_id			 acks[FED_ACK_BACKLOG];
	size_t			 nacks;
	struct relay_fedplan_entry	 ents[FED_PAGE];
	ev_timer		 scan;
	ev_timer		 retry;
	struct evcurl		*curl;
	struct curl_slist	*headers;
	struct curl_slist	*connect_to;
};

_Static_assert(sizeof(((struct twin_record *)0)->relay) ==
    sizeof(((struct fed_msg *)0)->relay), "a twin's relay field must fit");

static void	pump(struct relay_fed *);
static void	msg_next(struct fed_msg *);
static void	posted(CURL *, CURLcode, void *);

/* What the hiredis reply callbacks name in their log lines. */
static char	cmd_xack[] = "XACK", cmd_xdel[] = "XDEL", cmd_keep[] = "XCLAIM JUSTID";

static unsigned int
room(const struct relay_fed *fed)
{
	unsigned int	used = fed->nmsgs + fed->reading + fed->claiming;

	if (fed->nmsgs > 0 && fed->bytes >= FED_INFLIGHT_BYTES)
		return 0;
	return used < FED_INFLIGHT ? FED_INFLIGHT - used : 0;
}

static int
is_error(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR;
}

static const char *
error_text(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR && r->str != NULL ? r->str :
	    "odd reply";
}

static struct fed_msg *
in_flight(struct relay_fed *fed, const char *id)
{
	struct fed_msg	*m;

	LIST_FOREACH(m, &fed->msgs, entry)
		if (strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

/* Replies that only need a log line on failure; priv names the command. */
static void
note_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply	*r = reply;

	(void)ac;
	if (r != NULL && is_error(r))
		log_warnx("federation: %s: %s", (const char *)priv,
		    error_text(r));
}

static void
group_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct relay_fed	*fed = priv;
	redisReply		*r = reply;

	(void)ac;
	if (fed->freeing)
		return;
	fed->creating = 0;
	if (r == NULL)
		return;
	/* On failure the read's retry timer brings us back here. */
	if (is_error(r) && (r->str == NULL ||
	    strstr(r->str, "BUSYGROUP") == NULL)) {
		log_warnx("federation: XGROUP CREATE: %s", error_text(r));
		return;
	}
	if (!is_error(r))
		log_info("federation: consumer group %s created",
		    RELAY_FED_GROUP);
	fed->need_group = 0;
	fed->read_hold = 0;
	ev_timer_stop(fed->r->loop, &fed->retry);
	pump(fed);
}

static void
group_create(struct relay_fed *fed)
{
	const char	*argv[] = { "XGROUP", "CREATE", RELAY_FED_STREAM,
			    RELAY_FED_GROUP, "0", "MKSTREAM" };

	if (fed->creating || !fed->need_group || !rconn_up(fed->cmd))
		return;
	if (rconn_cmd(fed->cmd, group_cb, fed, 6, argv, NULL) == 0)
		fed->creating = 1;
}

/* A reply said NOGROUP: the stream or the group is missing. */
static int
nogroup(struct relay_fed *fed, const char *why)
{
	if (strstr(why, "NOGROUP") == NULL)
		return 0;
	fed->need_group = 1;
	group_create(fed);
	return 1;
}

/*
 * XACK, then XDEL: the group has one reader per entry, so an acked entry
 * is of no further use, and without the XDEL the stream (which has no
 * MAXLEN) would grow for ever, as the reference's does.
 */
static void
ack(struct relay_fed *fed, const char *id)
{
	const char	*argv[] = { "XACK", RELAY_FED_STREAM, RELAY_FED_GROUP,
			    id };
	const char	*del[] = { "XDEL", RELAY_FED_STREAM, id };

	if (rconn_cmd(fed->cmd, note_cb, cmd_xack, 4, argv, NULL) == 0) {
		(void)rconn_cmd(fed->cmd, note_cb, cmd_xdel, 3, del, NULL);
		return;
	}
	if (fed->nacks < FED_ACK_BACKLOG)
		memcpy(fed->acks[fed->nacks++], id, sizeof(fed_id));
	else
		log_debug("federation %s: XACK dropped, redis is down", id);
}

static void
ack_backlog(struct relay_fed *fed)
{
	const char	*argv[3 + FED_ACK_BACKLOG];
	size_t		 i;

	if (fed->nacks == 0)
		return;
	argv[0] = "XACK";
	argv[1] = RELAY_FED_STREAM;
	argv[2] = RELAY_FED_GROUP;
	for (i = 0; i < fed->nacks; i++)
		argv[3 + i] = fed->acks[i];
	if (rconn_cmd(fed->cmd, note_cb, cmd_xack, (int)(3 + fed->nacks),
	    argv, NULL) == -1)
		return;
	/* The same ids after "XDEL stream": reuse the array from [1]. */
	argv[1] = "XDEL";
	argv[2] = RELAY_FED_STREAM;
	(void)rconn_cmd(fed->cmd, note_cb, cmd_xdel, (int)(2 + fed->nacks),
	    argv + 1, NULL);
	fed->nacks = 0;
}

/*
 * Resets the idle time of our pending entries (one, or all in flight), so
 * that no relay process takes them while we work on them, and a transient
 * failure waits the full idle time before its retry.
 */
static void
keep(struct relay_fed *fed, const char *one)
{
	const char	*argv[6 + FED_INFLIGHT];
	struct fed_msg	*m;
	int		 argc = 0;

	argv[argc++] = "XCLAIM";
	argv[argc++] = RELAY_FED_STREAM;
	argv[argc++] = RELAY_FED_GROUP;
	argv[argc++] = fed->consumer;
	argv[argc++] = "0";
	if (one != NULL)
		argv[argc++] = one;
	else
		for (m = LIST_FIRST(&fed->msgs); m != NULL &&
		    argc < 5 + FED_INFLIGHT; m = LIST_NEXT(m, entry))
			argv[argc++] = m->id;
	if (argc == 5)
		return;
	argv[argc++] = "JUSTID";
	(void)rconn_cmd(fed->cmd, note_cb, cmd_keep, argc, argv, NULL);
}

static uint32_t
rank_rnd(void *arg)
{
	(void)arg;
	return randombytes_random();
}

static void
msg_free(struct fed_msg *m)
{
	struct relay_fed	*fed = m->fed;

	LIST_REMOVE(m, entry);
	fed->nmsgs--;
	fed->bytes -= m->len;
	ev_timer_stop(fed->r->loop, &m->pause);
	if (m->looking)
		twindir_cancel(&fed->r->twins, m);
	/* Left pending: its report may come twice, never not at all. */
	if (m->report != NULL)
		relay_put_cancel(m->report);
	if (m->easy != NULL) {
		if (m->posting)
			evcurl_remove(fed->curl, m->easy);
		curl_easy_cleanup(m->easy);
	}
	if (m->env != NULL)
		envelope__free_unpacked(m->env, NULL);
	free(m->buf);
	free(m);
}

static void
msg_end(struct fed_msg *m, int acked)
{
	struct relay_fed	*fed = m->fed;

	if (acked)
		ack(fed, m->id);
	msg_free(m);
	pump(fed);
}

/* The report is in redis (or never will be): the entry is done. */
static void
reported(void *arg, enum relay_put_result res)
{
	struct fed_msg	*m = arg;

	m->report = NULL;
	if (res != RELAY_PUT_OK)
		log_warnx("federation %s: the report to twin %" PRIu32 " was "
		    "not stored", m->id, m->env->source->twin);
	msg_end(m, 1);
}

/*
 * The §1.9 report to the sender, for requests only: 1 when it went into
 * the outbox, and the entry is acked once redis has it.
 */
static int
report(struct fed_msg *m, const char *text)
{
	const Envelope		*e = m->env;
	const char		*c;
	struct relay_sess_id	 src;
	uint8_t			*buf;
	size_t			 len, n;

	if (e == NULL || e->message_case != ENVELOPE__MESSAGE_REQUEST)
		return 0;
	/* Twin 0 is nobody: no session could ever read its stream. */
	if (e->source == NULL || e->source->twin == 0) {
		log_debug("federation %s: request without a source, "
		    "not reported", m->id);
		return 0;
	}
	memset(&src, 0, sizeof(src));
	src.twin = e->source->twin;
	if (e->source->opt_connection_case ==
	    ADDRESS__OPT_CONNECTION_CONNECTION) {
		c = e->source->connection != NULL ? e->source->connection : "";
		if ((n = strlen(c)) > RELAY_SID_MAX) {
			log_debug("federation %s: source connection too long, "
			    "not reported", m->id);
			return 0;
		}
		src.has_sid = 1;
		memcpy(src.sid, c, n + 1);
	}
	if (relay_error_envelope(&buf, &len, e->uid, &src, text,
	    relay_now()) == -1) {
		log_warnx("federation %s: out of memory for the report",
		    m->id);
		return 0;
	}
	m->report = relay_put(m->fed->r, &src, buf, len, NULL, 0, reported,
	    m);
	free(buf);
	if (m->report == NULL) {
		log_warnx("federation %s: the report to twin %" PRIu32 " was "
		    "dropped: the outbox is full", m->id, src.twin);
		return 0;
	}
	return 1;
}

static void
msg_permanent(struct fed_msg *m, const char *text)
{
	size_t	i;

	log_info("federation %s: to twin %" PRIu32 ": %s", m->id, m->twin,
	    text);
	for (i = 0; i < m->ndoms; i++)
		relay_metrics_fed(&m->fed->r->metrics, RELAY_M_FED_ERROR,
		    m->doms[i]);
	if (report(m, text) == 0)
		msg_end(m, 1);
}

/* Left pending: the scan takes it again after FED_IDLE_MS. */
static void
msg_transient(struct fed_msg *m, const char *why)
{
	log_debug("federation %s: to twin %" PRIu32 ": %s; retried later",
	    m->id, m->twin, why);
	keep(m->fed, m->id);
	msg_end(m, 0);
}

static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	struct fed_msg	*m = arg;

	(void)p;
	m->got += size * n;
	return m->got > FED_BODY_MAX ? 0 : size * n;
}

static CURL *
easy_new(struct fed_msg *m)
{
	struct relay_fed	*fed = m->fed;
	CURL			*c;

	if ((c = curl_easy_init()) == NULL)
		return NULL;
	if (curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, fed->scheme) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, fed->scheme) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)m->len) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, m->buf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, fed->headers) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECT_TO, fed->connect_to) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, FED_CONNECT_MS) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, FED_TIMEOUT_MS +
	    (long)(m->len / FED_BYTES_PER_MS)) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXAGE_CONN, FED_CONN_AGE) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, m) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, m->err) != CURLE_OK) {
		curl_easy_cleanup(c);
		return NULL;
	}
	return c;
}

static void
msg_post(struct fed_msg *m, size_t idx)
{
	struct relay_fed	*fed = m->fed;
	char			 url[FED_URL_MAX];

	m->dom = m->doms[idx];
	if (m->easy == NULL && (m->easy = easy_new(m)) == NULL) {
		msg_transient(m, "cannot set up a request");
		return;
	}
	snprintf(url, sizeof(url), "%s://%s/", fed->scheme, m->dom);
	m->got = 0;
	m->err[0] = '\0';
	if (curl_easy_setopt(m->easy, CURLOPT_URL, url) != CURLE_OK ||
	    evcurl_add(fed->curl, m->easy, posted, m) == -1) {
		msg_transient(m, "cannot start a request");
		return;
	}
	m->posting = 1;
}

static void
pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	msg_next(w->data);
}

static void
msg_next(struct fed_msg *m)
{
	struct relay_fed	*fed = m->fed;
	char			 list[512], why[600];
	size_t			 idx;
	unsigned int		 base, jitter;

	for (;;) {
		switch (relay_fedplan_try_next(&m->seq, &idx, &base, &jitter)) {
		case RELAY_FEDPLAN_TRY:
			if (relay_fedplan_host_ok(m->doms[idx])) {
				msg_post(m, idx);
				return;
			}
			/* As a URL that does not parse: a failed attempt. */
			relay_fedplan_join(list, sizeof(list), &m->doms[idx], 1);
			log_debug("federation %s: '%s' is not a host name",
			    m->id, list);
			relay_rank_fail(&fed->r->rank, m->doms[idx],
			    relay_now());
			break;
		case RELAY_FEDPLAN_WAIT:
			base += randombytes_uniform(jitter + 1);
			ev_timer_set(&m->pause, base / 1000., 0.);
			ev_timer_start(fed->r->loop, &m->pause);
			return;
		case RELAY_FEDPLAN_GIVE_UP:
			relay_fedplan_join(list, sizeof(list), m->doms, m->ndoms);
			snprintf(why, sizeof(why), "relays '[%s]' was not "
			    "reachable in time", list);
			msg_transient(m, why);
			return;
		}
	}
}

/* One POST is over: 202 delivers, 4xx refuses for good, else go on. */
static void
msg_posted(struct fed_msg *m, CURLcode res)
{
	struct relay_server	*r = m->fed->r;
	long		 status = 0;
	int		 answered;

	(void)curl_easy_getinfo(m->easy, CURLINFO_RESPONSE_CODE, &status);
	/* A long answer we cut still told us its status. */
	answered = res == CURLE_OK ||
	    (res == CURLE_WRITE_ERROR && m->got > FED_BODY_MAX);
	switch (relay_fedplan_verdict(answered, status)) {
	case RELAY_FEDPLAN_DELIVERED:
		log_debug("federation %s: delivered to %s", m->id, m->dom);
		relay_metrics_fed(&r->metrics, RELAY_M_FED_SUCCESS, m->dom);
		msg_end(m, 1);
		return;
	case RELAY_FEDPLAN_REJECTED:
		log_debug("federation %s: %s answered %ld", m->id, m->dom,
		    status);
		msg_permanent(m, ERR_OFFLINE);
		return;
	case RELAY_FEDPLAN_FAILED:
		if (answered)
			log_debug("federation %s: %s answered %ld", m->id,
			    m->dom, status);
		else
			log_debug("federation %s: %s: %s", m->id, m->dom,
			    m->err[0] != '\0' ? m->err :
			    curl_easy_strerror(res));
		relay_rank_fail(&r->rank, m->dom, relay_now());
		msg_next(m);
		return;
	}
}

/* evcurl's word that a POST ended. */
static void
posted(CURL *easy, CURLcode res, void *arg)
{
	struct fed_msg	*m = arg;

	(void)easy;
	m->posting = 0;
	msg_posted(m, res);
}

/* Steps 3 and 4 of §2.2 once the twin is known, then the first POST. */
static void
msg_route(struct fed_msg *m, int rv, const struct twin_record *twin)
{
	struct relay_server		*r = m->fed->r;
	size_t			 dropped;

	switch (rv) {
	case 1:
		break;
	case 0:
		msg_permanent(m, ERR_NO_TWIN);
		return;
	default:
		msg_transient(m, "twin lookup failed");
		return;
	}
	if (twin->has_relay) {
		memcpy(m->relay, twin->relay, sizeof(m->relay));
		m->ndoms = relay_fedplan_split(m->relay, m->doms,
		    RELAY_RANK_ORDER_MAX, &dropped);
		if (dropped > 0)
			log_debug("federation %s: twin %" PRIu32 " has %zu "
			    "relays past %d, ignored", m->id, m->twin,
			    dropped, RELAY_RANK_ORDER_MAX);
	}
	if (m->ndoms == 0) {
		msg_permanent(m, ERR_NO_RELAY);
		return;
	}
	(void)relay_rank_order(&r->rank, m->doms, m->ndoms, relay_now(),
	    rank_rnd, NULL);
	relay_fedplan_try_init(&m->seq, m->ndoms);
	msg_next(m);
}

/* twindir's answer for a twin that was not cached. */
static void
twin_answered(void *arg, int rv, const struct twin_record *t)
{
	struct fed_msg	*m = arg;

	m->looking = 0;
	msg_route(m, rv == 1 && t == NULL ? -1 : rv, t);
}

/* Steps 1 to 3 of §2.2; the twin may have to come from the chain. */
static void
msg_prepare(struct fed_msg *m)
{
	struct relay_server		*r = m->fed->r;
	struct twin_record	 twin;
	Envelope		*e;
	int			 rv;

	if ((e = envelope_unpack(m->buf, m->len)) == NULL) {
		/* Without an envelope there is nobody to report to. */
		log_info("federation %s: %s", m->id, ERR_PARSE);
		msg_end(m, 1);
		return;
	}
	m->env = e;
	m->twin = e->destination != NULL ? e->destination->twin : 0;
	if (envelope_ttl(relay_now(), e->timestamp, e->expiration) == 0) {
		msg_permanent(m, ERR_EXPIRED);
		return;
	}
	if ((rv = relay_lookup(r, m->twin, &twin)) != 2) {
		msg_route(m, rv, &twin);
		return;
	}
	log_debug("federation %s: reading twin %" PRIu32 " from the chain",
	    m->id, m->twin);
	m->looking = 1;
	/* The answer may come before this returns. */
	twindir_lookup(&r->twins, m->twin, relay_mono(), twin_answered, m);
}

static void
msg_begin(struct relay_fed *fed, const struct relay_fedplan_entry *ent)
{
	struct fed_msg	*m;

	if (in_flight(fed, ent->id) != NULL) {
		log_debug("federation %s: already in flight", ent->id);
		return;
	}
	switch (ent->kind) {
	case RELAY_FEDPLAN_GONE:
		log_debug("federation %s: deleted from the stream", ent->id);
		ack(fed, ent->id);
		return;
	case RELAY_FEDPLAN_BAD:
		log_warnx("federation %s: not one field 'msg', dropped",
		    ent->id);
		ack(fed, ent->id);
		return;
	case RELAY_FEDPLAN_MSG:
		break;
	}
	if (ent->len > RELAY_MSG_MAX) {
		log_info("federation %s: %zu bytes, over %d, dropped",
		    ent->id, ent->len, RELAY_MSG_MAX);
		ack(fed, ent->id);
		return;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->buf = malloc(ent->len > 0 ? ent->len : 1)) == NULL) {
		log_warnx("federation %s: out of memory, retried later",
		    ent->id);
		free(m);
		return;
	}
	m->fed = fed;
	memcpy(m->id, ent->id, sizeof(m->id));
	memcpy(m->buf, ent->msg, ent->len);
	m->len = ent->len;
	ev_timer_init(&m->pause, pause_cb, 0., 0.);
	m->pause.data = m;
	LIST_INSERT_HEAD(&fed->msgs, m, entry);
	fed->nmsgs++;
	fed->bytes += m->len;
	msg_prepare(m);
}

/* Starts a reply's entries; slots freed meanwhile are filled after. */
static void
msg_batch(struct relay_fed *fed, size_t n)
{
	size_t	i, bytes = 0;

	fed->batch = 1;
	for (i = 0; i < n; i++) {
		bytes += fed->ents[i].len;
		msg_begin(fed, &fed->ents[i]);
	}
	fed->batch = 0;
	fed->read_one = bytes > FED_READ_BYTES;
}

static void
read_failed(struct relay_fed *fed, const char *why)
{
	if (!nogroup(fed, why)) {
		if (!fed->read_quiet)
			log_warnx("federation: XREADGROUP: %s", why);
		else
			log_debug("federation: XREADGROUP: %s", why);
		fed->read_quiet = 1;
	}
	fed->read_hold = 1;
	ev_timer_stop(fed->r->loop, &fed->retry);
	ev_timer_set(&fed->retry, FED_RETRY, 0.);
	ev_timer_start(fed->r->loop, &fed->retry);
}

static void
read_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct relay_fed	*fed = priv;
	redisReply		*r = reply;
	size_t			 left;
	int			 n;

	(void)ac;
	if (fed->freeing)
		return;
	fed->reading = 0;
	/* A lost connection: its up callback starts reading again. */
	if (r == NULL)
		return;
	if (is_error(r)) {
		read_failed(fed, error_text(r));
		return;
	}
	if ((n = relay_fedplan_read(r, RELAY_FED_STREAM, fed->ents, room(fed),
	    &left)) == -1) {
		read_failed(fed, "odd reply");
		return;
	}
	fed->read_quiet = 0;
	if (left > 0)
		log_debug("federation: %zu entries left pending", left);
	msg_batch(fed, (size_t)n);
	pump(fed);
}

static void
read_more(struct relay_fed *fed)
{
	char		 count[16];
	const char	*argv[] = { "XREADGROUP", "GROUP", RELAY_FED_GROUP,
			    fed->consumer, "COUNT", count, "BLOCK",
			    FED_BLOCK_MS, "STREAMS", RELAY_FED_STREAM, ">" };
	unsigned int	 n;

	if (fed->reading || fed->read_hold || !rconn_up(fed->rd) ||
	    (n = room(fed)) == 0)
		return;
	if (fed->read_one)
		n = 1;
	snprintf(count, sizeof(count), "%u", n);
	if (rconn_cmd(fed->rd, read_cb, fed, 11, argv, NULL) == 0)
		fed->reading = n;
}

static void
claim_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct relay_fed	*fed = priv;
	redisReply		*r = reply;
	size_t			 left;
	int			 n;

	(void)ac;
	if (fed->freeing)
		return;
	fed->claiming = 0;
	if (r == NULL)
		return;
	if ((n = relay_fedplan_claimed(r, fed->ents, room(fed), &left)) >= 0)
		msg_batch(fed, (size_t)n);
	else if (!nogroup(fed, error_text(r)))
		log_warnx("federation: XCLAIM: %s", error_text(r));
	pump(fed);
}

/* Takes the idle entries the last scan found, as many as there is room. */
static void
claim(struct relay_fed *fed)
{
	const char	*argv[5 + FED_PAGE];
	size_t		 n, i;

	if (fed->claiming || fed->ncand == 0 || !rconn_up(fed->cmd) ||
	    (n = room(fed)) == 0)
		return;
	if (n > fed->ncand)
		n = fed->ncand;
	argv[0] = "XCLAIM";
	argv[1] = RELAY_FED_STREAM;
	argv[2] = RELAY_FED_GROUP;
	argv[3] = fed->consumer;
	argv[4] = FED_IDLE_ARG;
	for (i = 0; i < n; i++)
		argv[5 + i] = fed->cand[i];
	if (rconn_cmd(fed->cmd, claim_cb, fed, (int)(5 + n), argv,
	    NULL) == -1)
		return;
	fed->claiming = (unsigned int)n;
	/* The next scan starts at what did not fit. */
	if (n < fed->ncand)
		memcpy(fed->scan_from, fed->cand[n], sizeof(fed_id));
	fed->ncand = 0;
}

static void
pending_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct relay_fed	*fed = priv;
	redisReply		*r = reply;
	struct relay_fedplan_pel	 pel;
	size_t			 i, n;
	int			 got;

	(void)ac;
	if (fed->freeing)
		return;
	fed->scanning = 0;
	if (r == NULL)
		return;
	if ((got = relay_fedplan_pending(r, FED_IDLE_MS, fed->cand, FED_PAGE,
	    &pel)) == -1) {
		if (!nogroup(fed, error_text(r)))
			log_warnx("federation: XPENDING: %s", error_text(r));
		return;
	}
	for (i = 0, n = 0; i < (size_t)got; i++)
		if (in_flight(fed, fed->cand[i]) == NULL)
			memmove(fed->cand[n++], fed->cand[i], sizeof(fed_id));
	fed->ncand = n;
	/* A full page may have more behind it; else start over. */
	if (pel.rows < FED_PAGE ||
	    relay_fedplan_id_after(pel.last, fed->scan_from) == -1)
		snprintf(fed->scan_from, sizeof(fed->scan_from), "-");
	pump(fed);
}

static void
scan_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_fed	*fed = w->data;
	const char		*argv[] = { "XPENDING", RELAY_FED_STREAM,
				    RELAY_FED_GROUP, fed->scan_from, "+",
				    FED_PAGE_ARG };

	(void)loop;
	(void)revents;
	keep(fed, NULL);
	if (fed->scanning || !rconn_up(fed->cmd))
		return;
	/* Candidates never claimed (no room): look at them again first. */
	if (fed->ncand > 0)
		memcpy(fed->scan_from, fed->cand[0], sizeof(fed_id));
	fed->ncand = 0;
	if (rconn_cmd(fed->cmd, pending_cb, fed, 6, argv, NULL) == 0)
		fed->scanning = 1;
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct relay_fed	*fed = w->data;

	(void)loop;
	(void)revents;
	fed->read_hold = 0;
	pump(fed);
}

/* Claims go first so that old entries are not starved by new ones. */
static void
pump(struct relay_fed *fed)
{
	if (fed->freeing || fed->batch)
		return;
	claim(fed);
	read_more(fed);
}

static void
rd_up(struct rconn *rc, void *arg)
{
	(void)rc;
	pump(arg);
}

static void
cmd_up(struct rconn *rc, void *arg)
{
	struct relay_fed	*fed = arg;

	(void)rc;
	ack_backlog(fed);
	group_create(fed);
	pump(fed);
}

/* Hands finished transfers to their messages. */
static int
curl_setup(struct relay_fed *fed)
{
	const struct relay_conf	*conf = &fed->r->conf;
	struct curl_slist	*l;
	size_t			 i;

	/* Empty values drop curl's own headers: the reference sends none. */
	if ((fed->headers = curl_slist_append(NULL, "Expect:")) == NULL ||
	    (l = curl_slist_append(fed->headers, "Content-Type:")) == NULL)
		return -1;
	for (i = 0; i < conf->nconnect_to && i < RELAY_CONNECT_TO_MAX; i++) {
		if ((l = curl_slist_append(fed->connect_to,
		    conf->connect_to[i])) == NULL)
			return -1;
		fed->connect_to = l;
	}
	if ((fed->curl = evcurl_new(fed->r->loop, FED_CONN_CACHE)) == NULL)
		return -1;
	return 0;
}

struct relay_fed *
relay_fed_new(struct relay_server *r)
{
	struct relay_fed	*fed;
	char			 host[256];

	if ((fed = calloc(1, sizeof(*fed))) == NULL)
		return NULL;
	fed->r = r;
	fed->scheme = r->conf.federation_http ? "http" : "https";
	snprintf(fed->scan_from, sizeof(fed->scan_from), "-");
	/* Each process its own consumer, so that its pending list is its. */
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(fed->consumer, sizeof(fed->consumer), "relay-%s-%ld", host,
	    (long)getpid());
	ev_timer_init(&fed->scan, scan_cb, FED_SCAN_EVERY, FED_SCAN_EVERY);
	fed->scan.data = fed;
	ev_timer_init(&fed->retry, retry_cb, FED_RETRY, 0.);
	fed->retry.data = fed;
	if (curl_setup(fed) == -1)
		goto fail;
	fed->rd = rconn_new(r->loop, &r->conf.redis, "rmb-relay-fed-read",
	    rd_up, NULL, fed);
	fed->cmd = rconn_new(r->loop, &r->conf.redis, "rmb-relay-fed",
	    cmd_up, NULL, fed);
	if (fed->rd == NULL || fed->cmd == NULL)
		goto fail;
	ev_timer_start(r->loop, &fed->scan);
	log_debug("federation: consumer %s", fed->consumer);
	return fed;
fail:
	relay_fed_free(fed);
	return NULL;
}

void
relay_fed_stop(struct relay_fed *fed)
{
	if (fed == NULL)
		return;
	fed->freeing = 1;
	ev_timer_stop(fed->r->loop, &fed->scan);
	ev_timer_stop(fed->r->loop, &fed->retry);
	/* Entries not acked yet are taken again by the next start. */
	while (!LIST_EMPTY(&fed->msgs))
		msg_free(LIST_FIRST(&fed->msgs));
	rconn_free(fed->rd);
	fed->rd = NULL;
	/*
	 * The XACKs and XDELs of entries delivered go out and are answered
	 * before the connection closes, or the next start delivers those
	 * entries again.
	 */
	if (fed->cmd != NULL)
		rconn_close(fed->cmd);
}

int
relay_fed_stopped(const struct relay_fed *fed)
{
	return fed == NULL || fed->cmd == NULL || rconn_closed(fed->cmd);
}

void
relay_fed_free(struct relay_fed *fed)
{
	if (fed == NULL)
		return;
	relay_fed_stop(fed);
	/* Its pending callbacks get NULL and see freeing. */
	rconn_free(fed->cmd);
	evcurl_free(fed->curl);
	curl_slist_free_all(fed->headers);
	curl_slist_free_all(fed->connect_to);
	free(fed);
}
