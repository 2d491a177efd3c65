/* SPDX-License-Identifier: ISC */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hiredis/hiredis.h>
#include <hiredis/sds.h>
#include <hiredis/adapters/libev.h>

#include "log.h"
#include "rconn.h"

#define BACKOFF_MIN	0.1
#define BACKOFF_MAX	2.0
/* A read buffer bigger than this is freed once a reply emptied it. */
#define READ_KEEP	65536
/* A command bigger than this is not formatted in a buffer of our own. */
#define FMT_KEEP	65536

struct rconn {
	struct ev_loop		*loop;
	struct redis_url	 url;
	char			 name[64];
	char			 where[300];
	redisAsyncContext	*ac;
	int			 up;
	int			 hello;		/* login replies still due */
	int			 failed;	/* logged since the last up */
	int			 freeing;
	int			 closing;	/* rconn_close: no reconnect */
	int			 unsent;	/* commands since the last flush */
	long long		 client_id;
	double			 backoff;
	ev_timer		 retry;
	ev_prepare		 trim;
	rconn_fn		 on_up;
	rconn_fn		 on_down;
	void			*arg;
	char			*fmt;		/* a command in RESP, reused */
	size_t			 fmtcap;
};

static void	connect_now(struct rconn *);

static void
schedule(struct rconn *rc)
{
	ev_timer_set(&rc->retry, rc->backoff, 0.);
	ev_timer_start(rc->loop, &rc->retry);
	rc->backoff *= 2;
	if (rc->backoff > BACKOFF_MAX)
		rc->backoff = BACKOFF_MAX;
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	connect_now(w->data);
}

/*
 * hiredis keeps the read buffer a big reply grew until more bytes come,
 * which on an idle connection is never, and reads up to 16 KiB at a time
 * into it.  An emptied one goes.
 */
void
rconn_trim(struct rconn *rc)
{
	redisReader	*rd;
	sds		 fresh;

	if (rc->ac == NULL || (rd = rc->ac->c.reader) == NULL ||
	    rd->buf == NULL || rd->pos != rd->len ||
	    sdsalloc(rd->buf) <= READ_KEEP || (fresh = sdsempty()) == NULL)
		return;
	sdsfree(rd->buf);
	rd->buf = fresh;
	rd->pos = rd->len = 0;
}

/* Before the loop waits. */
static void
trim_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	rconn_trim(w->data);
}

/* The first failure after being up is a warning; the retries are debug. */
static void
lost(struct rconn *rc, const char *why)
{
	int	was_up = rc->up;

	rc->up = 0;
	rc->hello = 0;
	rc->client_id = 0;
	if (!rc->failed)
		log_warnx("redis %s (%s): %s", rc->where, rc->name, why);
	else
		log_debug("redis %s (%s): %s", rc->where, rc->name, why);
	rc->failed = 1;
	if (was_up && rc->on_down != NULL)
		rc->on_down(rc, rc->arg);
}

static void
disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct rconn	*rc = ac->data;

	if (rc == NULL || rc->ac != ac)
		return;
	rc->ac = NULL;
	if (rc->freeing || rc->closing) {
		rc->up = 0;
		return;
	}
	lost(rc, status == REDIS_OK ? "disconnected" :
	    ac->errstr[0] != '\0' ? ac->errstr : "connection lost");
	schedule(rc);
}

static void
hello_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct rconn	*rc = ac->data;
	redisReply	*reply = r;

	(void)priv;
	if (reply == NULL || rc == NULL || rc->ac != ac)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		/* Wrong password or database: keep retrying, loudly once. */
		rc->failed = 0;
		lost(rc, reply->str);
		rc->failed = 1;
		redisAsyncDisconnect(ac);
		return;
	}
	if (reply->type == REDIS_REPLY_INTEGER)
		rc->client_id = reply->integer;
	if (--rc->hello > 0)
		return;
	rc->up = 1;
	rc->backoff = BACKOFF_MIN;
	if (rc->failed)
		log_info("redis %s (%s): connected", rc->where, rc->name);
	rc->failed = 0;
	if (rc->on_up != NULL)
		rc->on_up(rc, rc->arg);
}

static int
hello(struct rconn *rc, int argc, const char **argv)
{
	if (redisAsyncCommandArgv(rc->ac, hello_cb, NULL, argc, argv,
	    NULL) != REDIS_OK)
		return -1;
	rc->hello++;
	return 0;
}

static void
connect_cb(const redisAsyncContext *ac, int status)
{
	struct rconn	*rc = ac->data;
	char		 db[16], setname[80];
	const char	*auth1[] = { "AUTH", rc->url.pass };
	const char	*auth2[] = { "AUTH", rc->url.user, rc->url.pass };
	const char	*sel[] = { "SELECT", db };
	const char	*name[] = { "CLIENT", "SETNAME", setname };
	const char	*id[] = { "CLIENT", "ID" };

	if (rc == NULL || rc->ac != ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this returns. */
		rc->ac = NULL;
		lost(rc, ac->errstr[0] != '\0' ? ac->errstr :
		    "cannot connect");
		schedule(rc);
		return;
	}
	snprintf(db, sizeof(db), "%d", rc->url.db);
	snprintf(setname, sizeof(setname), "%s", rc->name);
	rc->hello = 0;
	if ((rc->url.pass[0] != '\0' && (rc->url.user[0] != '\0' ?
	    hello(rc, 3, auth2) : hello(rc, 2, auth1)) == -1) ||
	    (rc->url.db != 0 && hello(rc, 2, sel) == -1) ||
	    hello(rc, 3, name) == -1 || hello(rc, 2, id) == -1)
		redisAsyncDisconnect(rc->ac);
}

static void
connect_now(struct rconn *rc)
{
	redisAsyncContext	*ac;

	if (rc->url.path[0] != '\0')
		ac = redisAsyncConnectUnix(rc->url.path);
	else
		ac = redisAsyncConnect(rc->url.host, rc->url.port);
	if (ac == NULL || ac->err) {
		lost(rc, ac != NULL ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		schedule(rc);
		return;
	}
	ac->data = rc;
	rc->ac = ac;
	if (redisLibevAttach(rc->loop, ac) != REDIS_OK ||
	    redisAsyncSetConnectCallback(ac, connect_cb) != REDIS_OK ||
	    redisAsyncSetDisconnectCallback(ac, disconnect_cb) != REDIS_OK) {
		rc->ac = NULL;
		redisAsyncFree(ac);
		lost(rc, "cannot attach to the event loop");
		schedule(rc);
	}
}

struct rconn *
rconn_new(struct ev_loop *loop, const struct redis_url *url,
    const char *name, rconn_fn up, rconn_fn down, void *arg)
{
	struct rconn	*rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	rc->loop = loop;
	rc->url = *url;
	snprintf(rc->name, sizeof(rc->name), "%s", name);
	redis_url_where(url, rc->where, sizeof(rc->where));
	rc->on_up = up;
	rc->on_down = down;
	rc->arg = arg;
	rc->backoff = BACKOFF_MIN;
	ev_timer_init(&rc->retry, retry_cb, 0., 0.);
	rc->retry.data = rc;
	ev_prepare_init(&rc->trim, trim_cb);
	rc->trim.data = rc;
	ev_prepare_start(loop, &rc->trim);
	ev_unref(loop);		/* the watcher alone keeps no loop running */
	connect_now(rc);
	return rc;
}

int
rconn_up(const struct rconn *rc)
{
	return rc->up;
}

long long
rconn_client_id(const struct rconn *rc)
{
	return rc->up ? rc->client_id : 0;
}

/* "<c><n>\r\n" at p; returns its end. */
static char *
put_len(char *p, char c, size_t n)
{
	char	d[24];
	size_t	k = 0;

	*p++ = c;
	do {
		d[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	while (k > 0)
		*p++ = d[--k];
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

/* One argument in RESP at p; returns its end. */
static char *
put_arg(char *p, const char *s, size_t len)
{
	p = put_len(p, '$', len);
	memcpy(p, s, len);
	p += len;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

static size_t
arg_len(const char **argv, const size_t *argvlen, size_t i)
{
	return argvlen != NULL ? argvlen[i] : strlen(argv[i]);
}

/* Room for need bytes in the reused buffer; 0, or -1. */
static int
fmt_room(struct rconn *rc, size_t need)
{
	if (need <= rc->fmtcap)
		return 0;
	free(rc->fmt);
	rc->fmtcap = 0;
	if ((rc->fmt = malloc(need)) == NULL)
		return -1;
	rc->fmtcap = need;
	return 0;
}

/*
 * A large command goes straight into hiredis's output buffer rather
 * than being formatted apart and copied in, which held a big message
 * twice for a moment.  hiredis is given the command's head (its name
 * and the length of the next argument, all it reads of a command) and
 * the rest follows in room reserved before, so that nothing can fail
 * once hiredis has queued the head; it writes to the socket only from
 * the loop or rconn_flush, never while queueing.
 */
static int
cmd_direct(struct rconn *rc, redisCallbackFn *fn, void *privdata,
    int argc, const char **argv, const size_t *argvlen, size_t need)
{
	redisContext	*c = &rc->ac->c;
	size_t		 i, len0 = arg_len(argv, argvlen, 0);
	size_t		 len1 = arg_len(argv, argvlen, 1);
	char		*p, *start;
	sds		 ob;

	if (c->obuf == NULL || fmt_room(rc, len0 + 80) == -1)
		return -1;
	p = put_len(rc->fmt, '*', (size_t)argc);
	p = put_arg(p, argv[0], len0);
	p = put_len(p, '$', len1);
	if ((ob = sdsMakeRoomFor(c->obuf, need)) == NULL)
		return -1;
	c->obuf = ob;
	if (redisAsyncFormattedCommand(rc->ac, fn, privdata, rc->fmt,
	    (size_t)(p - rc->fmt)) != REDIS_OK)
		return -1;
	p = start = c->obuf + sdslen(c->obuf);
	memcpy(p, argv[1], len1);
	p += len1;
	*p++ = '\r';
	*p++ = '\n';
	for (i = 2; i < (size_t)argc; i++)
		p = put_arg(p, argv[i], arg_len(argv, argvlen, i));
	sdsIncrLen(c->obuf, (int)(p - start));
	return 0;
}

/*
 * The command in RESP, written once into a buffer the connection keeps
 * (hiredis would build it piece by piece in a new one each time), then
 * handed over as formatted; a large one is written in place (cmd_direct).
 */
int
rconn_cmd(struct rconn *rc, redisCallbackFn *fn, void *privdata, int argc,
    const char **argv, const size_t *argvlen)
{
	size_t	 i, len, need = 24;
	char	*p;

	if (!rc->up || rc->ac == NULL || argc < 1)
		return -1;
	for (i = 0; i < (size_t)argc; i++) {
		len = arg_len(argv, argvlen, i);
		if (len > SIZE_MAX / 2 - need - 32)
			return -1;
		need += len + 28;
	}
	/*
	 * sdsIncrLen takes an int; hiredis reads every argument of the
	 * (un)subscribe commands and MONITOR, which rconn does not send.
	 */
	if (need > FMT_KEEP && need <= INT_MAX && argc > 1 &&
	    strcasestr(argv[0], "subscribe") == NULL &&
	    strcasecmp(argv[0], "monitor") != 0) {
		if (cmd_direct(rc, fn, privdata, argc, argv, argvlen,
		    need) != 0)
			return -1;
		rc->unsent = 1;
		return 0;
	}
	if (fmt_room(rc, need) == -1)
		return -1;
	p = put_len(rc->fmt, '*', (size_t)argc);
	for (i = 0; i < (size_t)argc; i++)
		p = put_arg(p, argv[i], arg_len(argv, argvlen, i));
	if (redisAsyncFormattedCommand(rc->ac, fn, privdata, rc->fmt,
	    (size_t)(p - rc->fmt)) != REDIS_OK)
		return -1;
	/* A large one is not kept. */
	if (rc->fmtcap > FMT_KEEP) {
		free(rc->fmt);
		rc->fmt = NULL;
		rc->fmtcap = 0;
	}
	rc->unsent = 1;
	return 0;
}

void
rconn_flush(struct rconn *rc)
{
	if (rc == NULL || !rc->unsent)
		return;
	rc->unsent = 0;
	/* hiredis stops its write watcher once its buffer is empty. */
	if (rc->up && rc->ac != NULL)
		redisAsyncHandleWrite(rc->ac);
}

void
rconn_close(struct rconn *rc)
{
	rc->closing = 1;
	rc->up = 0;
	ev_timer_stop(rc->loop, &rc->retry);
	if (rc->ac != NULL)
		redisAsyncDisconnect(rc->ac);
}

int
rconn_closed(const struct rconn *rc)
{
	return rc->ac == NULL;
}

void
rconn_reset(struct rconn *rc)
{
	if (rc->ac != NULL)
		redisAsyncDisconnect(rc->ac);
}

void
rconn_free(struct rconn *rc)
{
	if (rc == NULL)
		return;
	rc->freeing = 1;
	ev_timer_stop(rc->loop, &rc->retry);
	ev_ref(rc->loop);
	ev_prepare_stop(rc->loop, &rc->trim);
	if (rc->ac != NULL) {
		rc->ac->data = NULL;
		redisAsyncFree(rc->ac);
	}
	free(rc->fmt);
	free(rc);
}
