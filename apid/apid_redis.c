/* SPDX-License-Identifier: ISC */
/*
 * rmb-apid's redis flows (doc/protocol.md §5.5, §6): popping local requests
 * and replies while netd has credit, the journal and the backlog, and
 * delivering what netd hands over.  Every command but the two blocking
 * pops goes through a job, which waits (bounded) while the command
 * connection is down, so that nothing popped or received is lost
 * without an answer or a log line.
 *
 * The journal makes every destination of a request answered exactly
 * once across the death of any one process: a popped request is in
 * redis until netd handed it to a relay, a response is delivered only
 * while its destination still owes one, and a destination that never
 * answers is answered by us after the request's deadline.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <nettle/sha1.h>
#include <sodium.h>

#include "apid.h"
#include "envelope_check.h"
#include "ipc_types.h"
#include "log.h"
#include "peer.pb-c.h"

#define POP_RETRY	1.0	/* seconds after an error reply to a pop */
#define SWEEP_EVERY	1.0	/* seconds between deadline sweeps */

#define ERR_DEADLINE	"other: no response before the request's deadline"
#define ERR_RESTART	"other: the request was lost when rmb-peer restarted"

/*
 * A response or a send failure from twin ARGV[1] (0: a relay's report)
 * for request ARGV[2].  Returns {0} when the backlog is gone, {2} when
 * that twin owes no answer (a duplicate), else {1, backlog}.  The field
 * "_" marks a request journaled by us: without it (a backlog of rmb-rs)
 * everything is delivered, as rmb-rs does.  A relay's report names no
 * twin, so it counts only when one answer is owed.
 */
static const char claim_lua[] =
    "local bl = redis.call('GET', KEYS[1])\n"
    "if not bl then return {0} end\n"
    "if redis.call('HEXISTS', KEYS[2], '_') == 0 then return {1, bl} end\n"
    "local f = ARGV[1]\n"
    "if f == '0' then\n"
    "  local w = redis.call('HGETALL', KEYS[2])\n"
    "  if #w ~= 4 then return {1, bl} end\n"
    "  if w[1] == '_' then f = w[3] else f = w[1] end\n"
    "end\n"
    "local n = tonumber(redis.call('HGET', KEYS[2], f) or '0')\n"
    "if n < 1 then return {2} end\n"
    "if n == 1 then redis.call('HDEL', KEYS[2], f)\n"
    "else redis.call('HINCRBY', KEYS[2], f, -1) end\n"
    "if redis.call('HLEN', KEYS[2]) == 1 then\n"
    "  redis.call('ZREM', KEYS[3], ARGV[2])\n"
    "end\n"
    "return {1, bl}\n";

/*
 * Request ARGV[1] is over (its deadline passed, or a restart found it
 * too late to send): takes what its destinations still owe and returns
 * {backlog or nil, {twin, count, ...}}.
 */
static const char expire_lua[] =
    "redis.call('ZREM', KEYS[3], ARGV[1])\n"
    "redis.call('HDEL', KEYS[4], ARGV[1])\n"
    "local bl = redis.call('GET', KEYS[1])\n"
    "local w = redis.call('HGETALL', KEYS[2])\n"
    "local left = {}\n"
    "for i = 1, #w, 2 do\n"
    "  if w[i] ~= '_' then\n"
    "    left[#left + 1] = w[i]\n"
    "    left[#left + 1] = w[i + 1]\n"
    "    redis.call('HDEL', KEYS[2], w[i])\n"
    "  end\n"
    "end\n"
    "return {bl or false, left}\n";

/*
 * Requests popped by a previous run but never journaled go back where
 * they were, the oldest at the end the pop takes first.
 */
static const char unpend_lua[] =
    "local n = 0\n"
    "while redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT') do\n"
    "  n = n + 1\n"
    "end\n"
    "return n\n";

/*
 * LPUSH and LTRIM, as rmb-rs does, then our extras: the list's expiry
 * (ARGV[2], 0 for none) and the request it answers off the pending
 * list (KEYS[2], ARGV[3]).  A list that is no list is refused before
 * anything is changed, so no one else's key gets an expiry.
 */
static const char push_lua[] =
    "if #KEYS == 2 then redis.call('LREM', KEYS[2], 1, ARGV[3]) end\n"
    "local n = redis.pcall('LPUSH', KEYS[1], ARGV[1])\n"
    "if type(n) == 'table' then return n end\n"
    "redis.call('LTRIM', KEYS[1], 0, " APID_LIST_LAST ")\n"
    "if ARGV[2] ~= '0' then redis.call('EXPIRE', KEYS[1], ARGV[2]) end\n"
    "return n\n";

/*
 * claim_lua and push_lua in one, for a request journaled in this run,
 * whose ret list and reference we still hold: the answer of twin
 * ARGV[1] (0: a relay's report) to request ARGV[2] is claimed in
 * waiting hash KEYS[1] and, if it counts, pushed (ARGV[3]) to KEYS[3].
 * Returns 0 when the request is gone, 2 for a duplicate, 1 when pushed.
 */
static const char answer_lua[] =
    "local f, n = ARGV[1], nil\n"
    "if f == '0' then\n"
    "  local w = redis.call('HGETALL', KEYS[1])\n"
    "  if #w == 0 then return 0 end\n"
    "  if #w ~= 4 then f = nil\n"
    "  elseif w[1] == '_' then f = w[3]; n = w[4]\n"
    "  else f = w[1]; n = w[2] end\n"
    "else\n"
    "  local v = redis.call('HMGET', KEYS[1], '_', f)\n"
    "  if not v[1] then return 0 end\n"
    "  n = v[2]\n"
    "end\n"
    "if f then\n"
    "  n = tonumber(n or '0')\n"
    "  if n < 1 then return 2 end\n"
    "  if n == 1 then redis.call('HDEL', KEYS[1], f)\n"
    "  else redis.call('HINCRBY', KEYS[1], f, -1) end\n"
    "  if redis.call('HLEN', KEYS[1]) == 1 then\n"
    "    redis.call('ZREM', KEYS[2], ARGV[2])\n"
    "  end\n"
    "end\n"
    "local r = redis.pcall('LPUSH', KEYS[3], ARGV[3])\n"
    "if type(r) == 'table' then return r end\n"
    "redis.call('LTRIM', KEYS[3], 0, " APID_LIST_LAST ")\n"
    "redis.call('EXPIRE', KEYS[3], " APID_RET_TTL ")\n"
    "return 1\n";

/*
 * Scripts go by their SHA1 (EVALSHA); one redis does not know yet (or
 * forgot, after a restart) gets its text once (EVAL), which loads it.
 */
enum script_id { S_CLAIM, S_EXPIRE, S_PUSH, S_ANSWER, S_N };

static struct script {
	const char	*text;
	char		 sha[2 * SHA1_DIGEST_SIZE + 1];
} scripts[S_N] = {
	{ claim_lua, "" }, { expire_lua, "" }, { push_lua, "" },
	{ answer_lua, "" }
};

static void
scripts_init(void)
{
	struct sha1_ctx	 c;
	uint8_t		 d[SHA1_DIGEST_SIZE];
	size_t		 i, k;

	for (i = 0; i < S_N; i++) {
		sha1_init(&c);
		sha1_update(&c, strlen(scripts[i].text),
		    (const uint8_t *)scripts[i].text);
		sha1_digest(&c, sizeof(d), d);
		for (k = 0; k < sizeof(d); k++)
			snprintf(scripts[i].sha + 2 * k, 3, "%02x", d[k]);
	}
}

enum job_kind {
	JOB_JOURNAL,	/* a batch of popped requests, and take more */
	JOB_PUSH,	/* LPUSH + LTRIM a JSON message (and unpend) */
	JOB_CLAIM,	/* claim an answer, then push it to the caller */
	JOB_ANSWER,	/* claim and push at once (answer_lua) */
	JOB_ANSWER_TX,	/* the same decided here: one MULTI/EXEC */
	JOB_EXPIRE,	/* answer what a request still owes */
	JOB_DONE,	/* the request left: drop its inflight record */
	JOB_FORGET	/* a request nobody can be told of leaves pending */
};

/* One popped request of a JOB_JOURNAL batch (see run_journal). */
struct jentry {
	char			 kind;		/* 'j', 'a' or 'f' */
	struct apid_req		*req;		/* 'j' */
	char			*raw;		/* 'j': points into rec */
	size_t			 rawlen;
	char			*key;		/* backlog, or ret list */
	char			*wkey;		/* 'j': the waiting hash */
	char			*val;		/* Backlog, or JSON */
	size_t			 vallen;
	char			*rec;		/* 'j': "ts exp " and raw */
	size_t			 reclen;
	char			**owedv;	/* 'j': HSET waiting _ 1 twin n... */
	size_t			 nowed;
	char			*owedbuf;	/* the numbers of owedv */
	char			 ttl[24];
	char			 deadline[24];
	size_t			 at;		/* its first reply in EXEC's */
	int			 early;		/* queued for netd at once */
};

struct apid_job {
	TAILQ_ENTRY(apid_job)	 entry;
	struct apid		*a;
	enum job_kind		 kind;
	int			 tries;
	int			 eval;		/* the script's text, not its SHA1 */
	char			*key;
	char			*val;
	size_t			 vallen;
	/* the popped request to take off the pending list */
	char			*raw;
	size_t			 rawlen;
	int			 ret_ttl;	/* EXPIRE the list pushed to */
	int			 plain;		/* a bare LPUSH (see pushed) */
	/* JOB_JOURNAL */
	struct jentry		*ent;
	size_t			 nent;
	int			 take;		/* requests to take after */
	int			 ntake;		/* LMOVEs sent for them */
	int			 chain;		/* holds a->taking */
	/* JOB_CLAIM */
	struct msg_in_resp	*resp;
	/* JOB_CLAIM, JOB_EXPIRE, and JOB_PUSH of a request: its uid */
	char			*ruid;
	int			 answer;	/* a failed push: tell the sender */
	uint32_t		 twin;
	uint32_t		 ctwin;		/* JOB_ANSWER_TX: claims it */
	int			 claims;	/* JOB_ANSWER_TX: HDEL ctwin */
	int			 last;		/* JOB_ANSWER_TX: ZREM too */
	char			*conn;
	const char		*why;		/* JOB_EXPIRE's error text */
};

static void	job_run(struct apid_job *);
static void	req_free(struct apid *, struct apid_req *);
static void	req_queue(struct apid *, struct apid_req *);
static void	send_out(struct apid *);
static void	batch_send(struct apid *);
static void	local_request(struct apid *, char *, size_t);
static void	ans_remember(struct apid *, const struct apid_req *);
static struct apid_ans *ans_find(struct apid *, const char *);
static void	ans_drop(struct apid *, struct apid_ans *);
static int	cmp_u32(const void *, const void *);

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

static char *
concat(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);
	char	*p;

	if ((p = malloc(la + lb + 1)) == NULL)
		fatal("malloc");
	memcpy(p, a, la);
	memcpy(p + la, b, lb + 1);
	return p;
}

static char *
xmemdup(const char *p, size_t len)
{
	char	*d;

	if ((d = malloc(len + 1)) == NULL)
		fatal("malloc");
	memcpy(d, p, len);
	d[len] = '\0';
	return d;
}

/*
 * A string reply's bytes (v->len of them and a NUL, from malloc), taken
 * from it: the reply is freed without them, so that a big message is not
 * copied to outlive its reply.
 */
static char *
reply_take(redisReply *v)
{
	char	*s = v->str;

	v->str = NULL;
	return s;
}

static struct apid_job *
job_new(struct apid *a, enum job_kind kind, char *key)
{
	struct apid_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		fatal("calloc");
	j->a = a;
	j->kind = kind;
	j->key = key;
	return j;
}

static void
job_free(struct apid_job *j)
{
	struct jentry	*e;
	size_t		 i;

	if (j->resp != NULL) {
		msgjson_in_resp_clear(j->resp);
		free(j->resp);
	}
	for (i = 0; i < j->nent; i++) {
		e = &j->ent[i];
		if (e->kind != 'j')
			free(e->raw);
		free(e->key);
		free(e->wkey);
		free(e->val);
		free(e->rec);
		free(e->owedv);
		free(e->owedbuf);
	}
	free(j->ent);
	free(j->key);
	free(j->val);
	free(j->raw);
	free(j->ruid);
	free(j->conn);
	free(j);
}

/* A JSON answer for a caller's ret queue, with the list's expiry. */
static void
push_answer(struct apid *a, const char *ret, struct msg_in_resp *m,
    char *raw, size_t rawlen)
{
	struct apid_job	*j;
	char		*json;
	size_t		 len;

	if ((json = msgjson_write_in_resp(m, &len)) == NULL) {
		log_warnx("cannot answer %s (%s)", ret, m->err.message);
		free(raw);
		return;
	}
	j = job_new(a, JOB_PUSH, xstrdup(ret));
	j->val = json;
	j->vallen = len;
	j->raw = raw;
	j->rawlen = rawlen;
	j->ret_ttl = 1;
	job_run(j);
}

/*
 * A local error answer, as the caller's ret queue gets it (§6.2); raw,
 * when set, is the popped request it answers, taken off the pending
 * list in the same transaction.
 */
static void __attribute__((format(printf, 7, 8)))
answer(struct apid *a, const char *ret, const struct msgjson_opt *ref,
    char *raw, size_t rawlen, uint32_t code, const char *fmt, ...)
{
	struct msg_in_resp	*m;
	va_list			 ap;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	m->ver = 1;
	if (ref != NULL)
		m->ref = *ref;
	m->has_err = 1;
	m->err.code = code;
	va_start(ap, fmt);
	vsnprintf(m->err.message, sizeof(m->err.message), fmt, ap);
	va_end(ap);
	log_debug("answering %s: %s", ret, m->err.message);
	push_answer(a, ret, m, raw, rawlen);
	free(m);
}

/* A failed push of an incoming request: tell the sender (§5.5 step 5). */
static void
answer_remote(struct apid *a, struct apid_job *j, const char *why)
{
	struct ipc_netd_out_response	 r;
	struct apid_out			*o;
	struct ipc_buf			*ib;
	char				 msg[512];

	snprintf(msg, sizeof(msg), "other: %s", why);
	memset(&r, 0, sizeof(r));
	r.uid = ipc_apid_str(j->ruid);
	r.dst = j->twin;
	r.conn = ipc_apid_str(j->conn);
	r.exp = APID_TTL_DEFAULT;
	r.is_error = 1;
	r.msg = ipc_apid_str(msg);
	if ((ib = ipc_build_netd_out_response(&r)) == NULL) {
		log_warn("cannot answer request %s", j->ruid);
		return;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("calloc");
	o->ib = ib;
	TAILQ_INSERT_TAIL(&a->outq, o, entry);
	apid_pump(a);
}

/*
 * A request of a batch is journaled: netd may have it already, and the
 * answers that came first go to redis now.
 */
static void
journaled(struct apid *a, struct jentry *e)
{
	struct apid_req	*r = e->req;
	struct apid_ans	*an;
	struct apid_job	*j;

	r->journaling = 0;
	if (!e->early) {
		a->reserved--;
		ans_remember(a, r);
		req_queue(a, r);
		return;
	}
	if ((an = ans_find(a, r->uid)) != NULL) {
		an->journaling = 0;
		while ((j = TAILQ_FIRST(&an->held)) != NULL) {
			TAILQ_REMOVE(&an->held, j, entry);
			job_run(j);
		}
		if (an->mirror && an->left == 0)
			ans_drop(a, an);
	}
	if (r->over)
		req_free(a, r);
}

/*
 * A request whose journal failed is answered (code 500) and leaves the
 * pending list.  One that went to netd already goes on: its answers
 * find no journal and are dropped (claim_lua); one that did not never
 * goes.
 */
static void
entry_fail(struct apid *a, struct jentry *e, const char *why)
{
	struct apid_req	*r = e->req;
	struct apid_out	*o;
	struct apid_ans	*an;

	struct apid_job	*j;
	const char	*argv[4];

	log_warnx("cannot journal request %s: %s", r->uid, why);
	/* The request, NUL included, becomes the whole of its buffer. */
	memmove(e->rec, e->raw, e->rawlen + 1);
	answer(a, r->req->ret, &r->req->ref, e->rec, e->rawlen, 500,
	    "other: %s", why);
	e->raw = e->rec = NULL;
	r->journaling = 0;
	/* What part of the transaction ran goes, so no answer finds it. */
	argv[0] = "DEL";
	argv[1] = e->key;
	argv[2] = e->wkey;
	if (rconn_cmd(a->cmd, NULL, NULL, 3, argv, NULL) != 0)
		log_warnx("request %s: its journal may be left", r->uid);
	argv[0] = "HDEL";
	argv[1] = APID_INFLIGHT;
	argv[2] = r->uid;
	(void)rconn_cmd(a->cmd, NULL, NULL, 3, argv, NULL);
	argv[0] = "ZREM";
	argv[1] = APID_DEADLINES;
	(void)rconn_cmd(a->cmd, NULL, NULL, 3, argv, NULL);
	if ((an = ans_find(a, r->uid)) != NULL) {
		while ((j = TAILQ_FIRST(&an->held)) != NULL) {
			TAILQ_REMOVE(&an->held, j, entry);
			log_warnx("response %s from twin %u dropped: its "
			    "request was not journaled", j->ruid, j->twin);
			job_free(j);
		}
		an->journaling = 0;
	}
	if (an != NULL)
		ans_drop(a, an);
	if (!e->early) {
		a->reserved--;
		req_free(a, r);
		return;
	}
	if (r->over) {
		req_free(a, r);
		return;
	}
	if (r->next > 0)
		return;
	TAILQ_FOREACH(o, &a->outq, entry)
		if (o->req == r)
			break;
	if (o != NULL) {
		TAILQ_REMOVE(&a->outq, o, entry);
		free(o);
	}
	req_free(a, r);
}

/*
 * A batch that redis refused: each request is answered (code 500) and
 * taken off the pending list, each answer pushed on its own.
 */
static void
journal_fail(struct apid_job *j, const char *why)
{
	struct apid	*a = j->a;
	struct jentry	*e;
	struct apid_job	*p;
	size_t		 i;

	if (j->chain)
		a->taking = 0;
	for (i = 0; i < j->nent; i++) {
		e = &j->ent[i];
		if (e->kind == 'j') {
			entry_fail(a, e, why);
			continue;
		} else if (e->kind == 'a') {
			p = job_new(a, JOB_PUSH, e->key);
			p->val = e->val;
			p->vallen = e->vallen;
			p->raw = e->raw;
			p->rawlen = e->rawlen;
			p->ret_ttl = 1;
			e->key = e->val = NULL;
			job_run(p);
		} else {
			p = job_new(a, JOB_FORGET, NULL);
			p->raw = e->raw;
			p->rawlen = e->rawlen;
			job_run(p);
		}
		e->raw = NULL;
	}
}

static void
job_fail(struct apid_job *j, const char *why)
{
	struct apid	*a = j->a;

	switch (j->kind) {
	case JOB_JOURNAL:
		journal_fail(j, why);
		break;
	case JOB_PUSH:
		log_warnx("cannot push to %s: %s; message lost", j->key, why);
		if (j->answer)
			answer_remote(a, j, why);
		break;
	case JOB_CLAIM:
		log_warnx("cannot read %s: %s; response lost", j->key, why);
		break;
	case JOB_ANSWER:
	case JOB_ANSWER_TX:
		log_warnx("cannot answer %s on %s: %s; response lost",
		    j->ruid, j->key, why);
		break;
	case JOB_EXPIRE:
		log_warnx("cannot close request %s: %s", j->ruid, why);
		break;
	case JOB_DONE:
		log_warnx("cannot drop the journal of %s: %s", j->ruid, why);
		break;
	case JOB_FORGET:
		log_warnx("cannot drop a refused request: %s", why);
		break;
	}
	job_free(j);
	apid_pop(a);
}

static void
job_wait(struct apid_job *j)
{
	struct apid	*a = j->a;

	if (a->nwaiting >= APID_WAIT_MAX) {
		job_fail(j, "redis is down and too much work waits");
		return;
	}
	TAILQ_INSERT_TAIL(&a->waiting, j, entry);
	a->nwaiting++;
}

/* NULL: the connection went away first; try again once it is back. */
static int
job_reply(struct apid_job *j, redisReply *r)
{
	if (r != NULL)
		return 0;
	if (++j->tries < APID_TRIES)
		job_wait(j);
	else
		job_fail(j, "connection lost");
	return -1;
}

/*
 * A redis that does not know a script (restarted, or SCRIPT FLUSH): the
 * job runs again with the script's text, which loads it.
 */
static int
job_noscript(struct apid_job *j, const redisReply *r)
{
	if (r->type != REDIS_REPLY_ERROR || j->eval ||
	    strncmp(r->str, "NOSCRIPT", 8) != 0)
		return 0;
	j->eval = 1;
	job_run(j);
	return 1;
}

/* The first error among n replies of a transaction, or NULL. */
static const char *
exec_err(const redisReply *x, size_t at, size_t n)
{
	size_t	i;

	for (i = at; i < at + n && i < x->elements; i++)
		if (x->element[i]->type == REDIS_REPLY_ERROR)
			return x->element[i]->str;
	return NULL;
}

/*
 * A batch is journaled: its requests go to netd in order, and those it
 * took from the local queue are the next batch.
 */
static void
journal_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid_job	*j = priv;
	struct apid	*a = j->a;
	redisReply	*reply = r, *more;
	struct jentry	*e;
	const char	*why;
	size_t		 i, n, nj = 0, took, bytes;

	(void)ac;
	/* If it ran, what it took waits on the pending list for a restart. */
	if (reply == NULL)
		j->take = 0;
	if (job_reply(j, reply) != 0)
		return;
	/* It may hold the requests its LMOVEs took. */
	rconn_trim(a->cmd);
	if (reply->type == REDIS_REPLY_ERROR) {
		job_fail(j, reply->str);
		return;
	}
	for (i = 0, n = 0; i < j->nent; i++) {
		n += j->ent[i].kind == 'j' ? 4 : 1;
		nj += j->ent[i].kind == 'j';
	}
	n += (nj > 0 ? 2 : 0) + (size_t)j->ntake;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != n) {
		job_fail(j, "the transaction was aborted");
		return;
	}
	if (nj > 0 && (why = exec_err(reply, n - 2 - (size_t)j->ntake, 2)) !=
	    NULL) {
		job_fail(j, why);
		return;
	}
	/* The LMOVEs that found a request, and the hint for the next. */
	for (i = n - (size_t)j->ntake, took = 0, bytes = 0; i < n; i++)
		if (reply->element[i]->type == REDIS_REPLY_STRING) {
			took++;
			bytes += reply->element[i]->len;
		}
	if (j->ntake > 0)
		a->take_hint = bytes > APID_TAKE_BYTES ? 1 :
		    took < (size_t)j->ntake ? (took > 0 ?
		    (int)took : 1) : (j->ntake * 2 < APID_TAKE_MAX ?
		    j->ntake * 2 : APID_TAKE_MAX);
	for (i = 0; i < j->nent; i++) {
		e = &j->ent[i];
		if (e->kind == 'a' && (why = exec_err(reply, e->at, 1)) !=
		    NULL)
			log_warnx("cannot push to %s: %s; message lost",
			    e->key, why);
		if (e->kind != 'j')
			continue;
		if ((why = exec_err(reply, e->at, 4)) != NULL) {
			entry_fail(a, e, why);
			continue;
		}
		journaled(a, e);
	}
	if (j->chain)
		a->taking = 0;
	send_out(a);
	for (i = n - (size_t)j->ntake; i < n; i++) {
		more = reply->element[i];
		if (more->type == REDIS_REPLY_STRING)
			local_request(a, reply_take(more), more->len);
		else if (more->type == REDIS_REPLY_ERROR)
			log_warnx("LMOVE %s: %s", APID_LOCAL_QUEUE, more->str);
	}
	job_free(j);
	batch_send(a);
	apid_pop(a);
}

/*
 * The ret lists pushed to since the last expiry_flush: each gets its
 * expiry once a second, not once a push, and before its slot goes to
 * another list.  Only a list a push found to be a list is in it, so no
 * key of another type gets an expiry (but for one that a client turns
 * into one within that second).
 */
static uint32_t
retx_slot(const char *key)
{
	uint32_t	h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (uint8_t)*key) * 16777619u;
	return h % APID_RETX;
}

static int
retx_expire(struct apid *a, const char *key)
{
	const char	*argv[3] = { "EXPIRE", key, APID_RET_TTL };

	return rconn_cmd(a->cmd, NULL, NULL, 3, argv, NULL);
}

static void
expiry_flush(struct apid *a)
{
	size_t	i;

	for (i = 0; i < APID_RETX; i++)
		if (a->retx[i] != NULL && retx_expire(a, a->retx[i]) == 0) {
			free(a->retx[i]);
			a->retx[i] = NULL;
		}
}

/*
 * A bare LPUSH made list key n long: trimmed when it passed the cap
 * (rmb-rs trims after every push: the list is as long in between),
 * and a ret list gets its expiry within a second.
 */
static void
pushed(struct apid *a, const char *key, long long n, int ret)
{
	const char	*argv[4] = { "LTRIM", key, "0", APID_LIST_LAST };
	uint32_t	 k;

	if (n > APID_LIST_MAX)
		(void)rconn_cmd(a->cmd, NULL, NULL, 4, argv, NULL);
	if (!ret)
		return;
	k = retx_slot(key);
	if (a->retx[k] != NULL && strcmp(a->retx[k], key) == 0)
		return;
	if (a->retx[k] != NULL) {
		(void)retx_expire(a, a->retx[k]);
		free(a->retx[k]);
	}
	a->retx[k] = xstrdup(key);
}

static void
push_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid_job	*j = priv;
	redisReply	*reply = r;

	(void)ac;
	if (job_reply(j, reply) != 0 || job_noscript(j, reply))
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		job_fail(j, reply->str);
		return;
	}
	if (j->plain && reply->type == REDIS_REPLY_INTEGER)
		pushed(j->a, j->key, reply->integer, 0);
	job_free(j);
}

static void
done_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid_job	*j = priv;
	redisReply	*reply = r;

	(void)ac;
	if (job_reply(j, reply) != 0)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		job_fail(j, reply->str);
		return;
	}
	job_free(j);
}

/* The ref and ret queue of a backlog; -1 when it cannot be used. */
static int
backlog_read(struct apid_job *j, const redisReply *v, struct msgjson_opt *ref,
    char **ret)
{
	Backlog	*bl;
	int	 rc = -1;

	if (v->type != REDIS_REPLY_STRING) {
		job_fail(j, "the backlog is not a string");
		return -1;
	}
	if ((bl = backlog__unpack(NULL, v->len,
	    (const uint8_t *)v->str)) == NULL) {
		job_fail(j, "the backlog does not decode");
		return -1;
	}
	ref->set = bl->opt_reference_case == BACKLOG__OPT_REFERENCE_REFERENCE;
	if (bl->module[0] != '\0') {
		log_warnx("response %s is for module '%s', which rmb-apid "
		    "does not have; dropped", j->ruid, bl->module);
		job_free(j);
	} else if (ref->set && strlen(bl->reference) >= sizeof(ref->s))
		job_fail(j, "the backlog's reference is too long");
	else {
		if (ref->set)
			memcpy(ref->s, bl->reference,
			    strlen(bl->reference) + 1);
		*ret = xstrdup(bl->reply_to);
		rc = 0;
	}
	backlog__free_unpacked(bl, NULL);
	return rc;
}

static void
claim_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid_job		*j = priv;
	struct msg_in_resp	*m = j->resp;
	redisReply		*reply = r;
	char			*json;
	size_t			 len;

	(void)ac;
	if (job_reply(j, reply) != 0 || job_noscript(j, reply))
		return;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER) {
		job_fail(j, reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply to the claim");
		return;
	}
	switch (reply->element[0]->integer) {
	case 0:
		log_warnx("received reply of an expired message (uid %s)",
		    j->ruid);
		job_free(j);
		return;
	case 2:
		log_info("response %s from twin %u was answered already: "
		    "duplicate dropped", j->ruid, j->twin);
		job_free(j);
		return;
	}
	if (reply->elements != 2) {
		job_fail(j, "unexpected reply to the claim");
		return;
	}
	free(j->key);
	j->key = NULL;
	if (backlog_read(j, reply->element[1], &m->ref, &j->key) != 0)
		return;
	if ((json = msgjson_write_in_resp(m, &len)) == NULL) {
		job_fail(j, "the response cannot be written as JSON");
		return;
	}
	/* The same job goes on as the push to the caller's queue. */
	j->kind = JOB_PUSH;
	j->tries = 0;
	j->val = json;
	j->vallen = len;
	j->ret_ttl = 1;
	msgjson_in_resp_clear(m);
	free(m);
	j->resp = NULL;
	log_debug("response %s to %s", j->ruid, j->key);
	job_run(j);
}

/* The claim and the push of answer_lua, done at once. */
static void
answer_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid_job	*j = priv;
	struct apid_ans	*e;
	redisReply	*reply = r;

	(void)ac;
	if (job_reply(j, reply) != 0 || job_noscript(j, reply))
		return;
	if (reply->type != REDIS_REPLY_INTEGER) {
		job_fail(j, reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply to the claim");
		return;
	}
	if (reply->integer == 0)
		log_warnx("received reply of an expired message (uid %s)",
		    j->ruid);
	else if (reply->integer == 2)
		log_info("response %s from twin %u was answered already: "
		    "duplicate dropped", j->ruid, j->twin);
	else
		log_debug("response %s to %s", j->ruid, j->key);
	if (reply->integer == 0 && (e = ans_find(j->a, j->ruid)) != NULL)
		ans_drop(j->a, e);
	job_free(j);
}

/*
 * An answer decided here (see claim): a reply lost with the connection
 * leaves it unknown whether the transaction ran, so answer_lua, which
 * asks redis, does it again; the counts here are no longer trusted.
 */
static void
answer_tx_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid_job	*j = priv;
	struct apid_ans	*e;
	redisReply	*reply = r;
	const char	*why = NULL;

	(void)ac;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		if ((e = ans_find(j->a, j->ruid)) != NULL)
			e->mirror = 0;
		if (reply == NULL) {
			j->kind = JOB_ANSWER;
			(void)job_reply(j, reply);
		} else
			job_fail(j, reply->type == REDIS_REPLY_ERROR ?
			    reply->str : "the transaction was aborted");
		return;
	}
	/* LPUSH is the last. */
	if (reply->elements < 1)
		why = "the transaction was aborted";
	else
		why = exec_err(reply, reply->elements - 1, 1);
	if (why != NULL)
		job_fail(j, why);
	else {
		log_debug("response %s to %s", j->ruid, j->key);
		if (reply->element[reply->elements - 1]->type ==
		    REDIS_REPLY_INTEGER)
			pushed(j->a, j->key,
			    reply->element[reply->elements - 1]->integer, 1);
		job_free(j);
	}
}

/* Answers each twin the request still waits for, count times each. */
static void
expire_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid_job		*j = priv;
	struct apid		*a = j->a;
	redisReply		*reply = r, *left;
	struct msg_in_resp	*m;
	char			*ret = NULL;
	unsigned long long	 n;
	size_t			 i;

	(void)ac;
	if (job_reply(j, reply) != 0 || job_noscript(j, reply))
		return;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    (left = reply->element[1])->type != REDIS_REPLY_ARRAY ||
	    left->elements % 2 != 0) {
		job_fail(j, reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply to the expiry");
		return;
	}
	if (left->elements == 0) {
		job_free(j);
		return;
	}
	if (reply->element[0]->type == REDIS_REPLY_NIL) {
		log_warnx("request %s: its backlog expired before its "
		    "deadline was answered", j->ruid);
		job_free(j);
		return;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	if (backlog_read(j, reply->element[0], &m->ref, &ret) != 0) {
		free(m);
		return;
	}
	m->ver = 1;
	m->has_err = 1;
	m->err.code = 500;
	m->now = (uint64_t)time(NULL);
	snprintf(m->err.message, sizeof(m->err.message), "%s", j->why);
	for (i = 0; i < left->elements; i += 2) {
		if (left->element[i]->type != REDIS_REPLY_STRING ||
		    left->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		n = strtoull(left->element[i + 1]->str, NULL, 10);
		snprintf(m->src, sizeof(m->src), "%s",
		    left->element[i]->str);
		log_info("request %s: twin %s did not answer: %s", j->ruid,
		    m->src, j->why);
		while (n-- > 0)
			push_answer(a, ret, m, NULL, 0);
	}
	free(m);
	free(ret);
	job_free(j);
}

/*
 * EVALSHA sha (EVAL text once redis said NOSCRIPT) argv[3...]: argv[0]
 * and argv[1] are filled in here, argvlen may be NULL.
 */
static int
run_script(struct apid_job *j, enum script_id id, redisCallbackFn *fn,
    int argc, const char **argv, size_t *argvlen)
{
	const struct script	*sc = &scripts[id];

	argv[0] = j->eval ? "EVAL" : "EVALSHA";
	argv[1] = j->eval ? sc->text : sc->sha;
	if (argvlen != NULL) {
		argvlen[0] = strlen(argv[0]);
		argvlen[1] = strlen(argv[1]);
	}
	return rconn_cmd(j->a->cmd, fn, j, argc, argv, argvlen);
}

static int
run_push(struct apid_job *j)
{
	const char	*argv[8];
	size_t		 argvlen[8];
	int		 argc = 2;

	/*
	 * No expiry to set and nothing to unpend: a bare LPUSH (a key that
	 * is no list refuses it), trimmed when its reply says the list grew
	 * past the cap (pushed), since a script pays for copying the
	 * message in.  A lost LTRIM is done by the next push.
	 */
	if (!j->ret_ttl && j->raw == NULL) {
		argv[0] = "LPUSH";
		argv[1] = j->key;
		argv[2] = j->val;
		argvlen[0] = 5;
		argvlen[1] = strlen(j->key);
		argvlen[2] = j->vallen;
		j->plain = 1;
		return rconn_cmd(j->a->cmd, push_cb, j, 3, argv, argvlen);
	}

	argv[argc] = j->raw != NULL ? "2" : "1";
	argvlen[argc++] = 1;
	argv[argc] = j->key;
	argvlen[argc++] = strlen(j->key);
	if (j->raw != NULL) {
		argv[argc] = APID_PENDING_QUEUE;
		argvlen[argc++] = strlen(APID_PENDING_QUEUE);
	}
	argv[argc] = j->val;
	argvlen[argc++] = j->vallen;
	argv[argc] = j->ret_ttl ? APID_RET_TTL : "0";
	argvlen[argc] = strlen(argv[argc]);
	argc++;
	if (j->raw != NULL) {
		argv[argc] = j->raw;
		argvlen[argc++] = j->rawlen;
	}
	return run_script(j, S_PUSH, push_cb, argc, argv, argvlen);
}

static int
cmd(struct apid_job *j, int argc, const char **argv, const size_t *argvlen)
{
	return rconn_cmd(j->a->cmd, NULL, NULL, argc, argv, argvlen);
}

/*
 * One transaction for the batch (§6.5 rule 1): for each request its
 * backlog (rmb-rs's key and layout), what each destination owes
 * ("HSET <waiting> _ 1 <twin> <count>..."), its expiry, and the request
 * off the pending list (or its answer pushed, for one refused); then
 * the deadlines and inflight records ("ts exp json") of all, and the
 * next batch moved to the pending list.  Plain commands: redis copies
 * large arguments into a script at a cost.
 */
static int
run_journal(struct apid_job *j)
{
	struct rconn	 *c = j->a->cmd;
	const char	**zv, **hv, *argv[8];
	size_t		 *zl, *hl, argvlen[8], i, nz = 2, nh = 2, at = 0, left;
	struct jentry	 *e;
	struct apid_req	 *r;
	int		  rc = -1;

	if ((zv = calloc(2 + 2 * j->nent, sizeof(*zv))) == NULL ||
	    (zl = calloc(2 + 2 * j->nent, sizeof(*zl))) == NULL ||
	    (hv = calloc(2 + 2 * j->nent, sizeof(*hv))) == NULL ||
	    (hl = calloc(2 + 2 * j->nent, sizeof(*hl))) == NULL)
		fatal("calloc");
	zv[0] = "ZADD";
	zv[1] = APID_DEADLINES;
	hv[0] = "HSET";
	hv[1] = APID_INFLIGHT;
	for (i = 0; i < 2; i++) {
		zl[i] = strlen(zv[i]);
		hl[i] = strlen(hv[i]);
	}
	argv[0] = "MULTI";
	if (cmd(j, 1, argv, NULL) != 0)
		goto out;
	for (i = 0; i < j->nent; i++) {
		e = &j->ent[i];
		e->at = at;
		if (e->kind == 'j') {
			r = e->req;
			left = envelope_ttl((uint64_t)time(NULL), r->ts,
			    r->exp);
			snprintf(e->ttl, sizeof(e->ttl), "%" PRIu64,
			    left + APID_GRACE + APID_KEEP);
			argv[0] = "SET";
			argv[1] = e->key;
			argv[2] = e->val;
			argv[3] = "EX";
			argv[4] = e->ttl;
			argvlen[0] = 3;
			argvlen[1] = strlen(e->key);
			argvlen[2] = e->vallen;
			argvlen[3] = 2;
			argvlen[4] = strlen(e->ttl);
			if (cmd(j, 5, argv, argvlen) != 0 ||
			    cmd(j, (int)e->nowed, (const char **)e->owedv,
			    NULL) != 0)
				goto out;
			argv[0] = "EXPIRE";
			argv[1] = e->wkey;
			argv[2] = e->ttl;
			if (cmd(j, 3, argv, NULL) != 0)
				goto out;
			zv[nz] = e->deadline;
			zl[nz++] = strlen(e->deadline);
			zv[nz] = r->uid;
			zl[nz++] = strlen(r->uid);
			hv[nh] = r->uid;
			hl[nh++] = strlen(r->uid);
			hv[nh] = e->rec;
			hl[nh++] = e->reclen;
			at += 3;
		} else if (e->kind == 'a') {
			/* push_lua: a ret key that is no list gets no expiry. */
			argv[0] = "EVAL";
			argv[1] = push_lua;
			argv[2] = "2";
			argv[3] = e->key;
			argv[4] = APID_PENDING_QUEUE;
			argv[5] = e->val;
			argv[6] = APID_RET_TTL;
			argv[7] = e->raw;
			argvlen[0] = 4;
			argvlen[1] = sizeof(push_lua) - 1;
			argvlen[2] = 1;
			argvlen[3] = strlen(e->key);
			argvlen[4] = strlen(APID_PENDING_QUEUE);
			argvlen[5] = e->vallen;
			argvlen[6] = strlen(APID_RET_TTL);
			argvlen[7] = e->rawlen;
			if (cmd(j, 8, argv, argvlen) != 0)
				goto out;
			at++;
			continue;
		}
		argv[0] = "LREM";
		argv[1] = APID_PENDING_QUEUE;
		argv[2] = "1";
		argv[3] = e->raw;
		argvlen[0] = 4;
		argvlen[1] = strlen(APID_PENDING_QUEUE);
		argvlen[2] = 1;
		argvlen[3] = e->rawlen;
		if (cmd(j, 4, argv, argvlen) != 0)
			goto out;
		at++;
	}
	if (nz > 2 && (rconn_cmd(c, NULL, NULL, (int)nz, zv, zl) != 0 ||
	    rconn_cmd(c, NULL, NULL, (int)nh, hv, hl) != 0))
		goto out;
	/*
	 * The next batch, as many LMOVEs as the last batch found requests
	 * behind it, doubled: a script could take them all in one
	 * command, but costs more than the LMOVEs it saves.
	 */
	j->ntake = j->take < j->a->take_hint ? j->take : j->a->take_hint;
	argv[0] = "LMOVE";
	argv[1] = APID_LOCAL_QUEUE;
	argv[2] = APID_PENDING_QUEUE;
	argv[3] = "RIGHT";
	argv[4] = "LEFT";
	for (i = 0; i < (size_t)j->ntake; i++)
		if (cmd(j, 5, argv, NULL) != 0)
			goto out;
	argv[0] = "EXEC";
	rc = rconn_cmd(c, journal_cb, j, 1, argv, NULL);
out:
	free(zv);
	free(zl);
	free(hv);
	free(hl);
	return rc;
}

/* HDEL inflight uid...: ruid holds the uids, APID_UID_LEN bytes each. */
static int
run_done(struct apid_job *j)
{
	const char	*argv[2 + APID_DONE_BATCH];
	size_t		 argvlen[2 + APID_DONE_BATCH], i, n;

	n = strlen(j->ruid) / APID_UID_LEN;
	argv[0] = "HDEL";
	argvlen[0] = 4;
	argv[1] = APID_INFLIGHT;
	argvlen[1] = strlen(APID_INFLIGHT);
	for (i = 0; i < n && i < APID_DONE_BATCH; i++) {
		argv[2 + i] = j->ruid + i * APID_UID_LEN;
		argvlen[2 + i] = APID_UID_LEN;
	}
	return rconn_cmd(j->a->cmd, done_cb, j, (int)(2 + i), argv, argvlen);
}

/*
 * Once per loop pass, before it waits again: the pops the credit now
 * allows, the inflight records of requests that left in this pass in
 * one command, then what the pass gave redis and netd, one write each.
 */
static void
done_flush(struct apid *a)
{
	struct apid_job	*j;

	if (a->ndone == 0)
		return;
	j = job_new(a, JOB_DONE, NULL);
	j->ruid = xmemdup(a->done, a->ndone * APID_UID_LEN);
	a->ndone = 0;
	job_run(j);
}

static void
flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct apid	*a = w->data;

	(void)loop;
	(void)revents;
	apid_pop(a);
	done_flush(a);
	rconn_flush(a->cmd);
	rconn_flush(a->popreq);
	rconn_flush(a->pop);
	apid_netd_flush(a);
}

/*
 * MULTI, [HDEL waiting twin], [ZREM deadlines uid], LPUSH, EXEC; the
 * LTRIM and the EXPIRE follow once the reply shows a list (pushed).
 */
static int
run_answer_tx(struct apid_job *j)
{
	const char	*argv[4];
	size_t		 argvlen[4];
	char		 twin[12], *wkey;
	int		 rc = -1;

	wkey = concat(APID_BACKLOG_PREFIX, j->ruid);
	argv[0] = "MULTI";
	if (cmd(j, 1, argv, NULL) != 0)
		goto out;
	if (j->claims) {
		snprintf(twin, sizeof(twin), "%u", j->ctwin);
		argv[0] = "HDEL";
		argv[1] = concat(wkey, APID_WAITING_SUFFIX);
		argv[2] = twin;
		rc = cmd(j, 3, argv, NULL);
		free((char *)argv[1]);
		if (rc != 0)
			goto out;
		rc = -1;
	}
	argv[0] = "ZREM";
	argv[1] = APID_DEADLINES;
	argv[2] = j->ruid;
	if (j->last && cmd(j, 3, argv, NULL) != 0)
		goto out;
	argv[0] = "LPUSH";
	argv[1] = j->key;
	argv[2] = j->val;
	argvlen[0] = 5;
	argvlen[1] = strlen(j->key);
	argvlen[2] = j->vallen;
	if (cmd(j, 3, argv, argvlen) != 0)
		goto out;
	argv[0] = "EXEC";
	rc = rconn_cmd(j->a->cmd, answer_tx_cb, j, 1, argv, NULL);
out:
	free(wkey);
	return rc;
}

/* EVALSHA script nkeys keys... args... */
static int
run_eval(struct apid_job *j, enum script_id id, redisCallbackFn *fn,
    int nkeys, const char **keys, int nargs, const char **args)
{
	const char	*argv[12];
	size_t		 argvlen[12];
	int		 argc = 2, i;
	char		 nk[4];

	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[argc++] = nk;
	for (i = 0; i < nkeys; i++)
		argv[argc++] = keys[i];
	for (i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	for (i = 2; i < argc; i++)
		argvlen[i] = strlen(argv[i]);
	if (j->kind == JOB_ANSWER)
		argvlen[argc - 1] = j->vallen;
	return run_script(j, id, fn, argc, argv, argvlen);
}

static void
job_run(struct apid_job *j)
{
	const char	*keys[4], *args[3], *argv4[4];
	size_t		 len4[4];
	char		*wkey = NULL, twin[12];
	int		 rc;

	switch (j->kind) {
	case JOB_JOURNAL:
		rc = run_journal(j);
		break;
	case JOB_PUSH:
		rc = run_push(j);
		break;
	case JOB_CLAIM:
		wkey = concat(j->key, APID_WAITING_SUFFIX);
		snprintf(twin, sizeof(twin), "%u", j->twin);
		keys[0] = j->key;
		keys[1] = wkey;
		keys[2] = APID_DEADLINES;
		args[0] = twin;
		args[1] = j->ruid;
		rc = run_eval(j, S_CLAIM, claim_cb, 3, keys, 2, args);
		break;
	case JOB_ANSWER:
		wkey = concat(APID_BACKLOG_PREFIX, j->ruid);
		keys[0] = concat(wkey, APID_WAITING_SUFFIX);
		free(wkey);
		wkey = (char *)keys[0];
		snprintf(twin, sizeof(twin), "%u", j->twin);
		keys[1] = APID_DEADLINES;
		keys[2] = j->key;
		args[0] = twin;
		args[1] = j->ruid;
		args[2] = j->val;
		rc = run_eval(j, S_ANSWER, answer_cb, 3, keys, 3, args);
		break;
	case JOB_ANSWER_TX:
		rc = run_answer_tx(j);
		break;
	case JOB_EXPIRE:
		wkey = concat(j->key, APID_WAITING_SUFFIX);
		keys[0] = j->key;
		keys[1] = wkey;
		keys[2] = APID_DEADLINES;
		keys[3] = APID_INFLIGHT;
		args[0] = j->ruid;
		rc = run_eval(j, S_EXPIRE, expire_cb, 4, keys, 1, args);
		break;
	case JOB_DONE:
		rc = run_done(j);
		break;
	case JOB_FORGET:
		argv4[0] = "LREM";
		argv4[1] = APID_PENDING_QUEUE;
		argv4[2] = "1";
		argv4[3] = j->raw;
		len4[0] = 4;
		len4[1] = strlen(APID_PENDING_QUEUE);
		len4[2] = 1;
		len4[3] = j->rawlen;
		rc = rconn_cmd(j->a->cmd, done_cb, j, 4, argv4, len4);
		break;
	default:
		rc = -1;
	}
	free(wkey);
	if (rc != 0)
		job_wait(j);
}

/* Requests on their way to netd, by the token netd echoes. */
static struct apid_reqs *
req_bucket(struct apid *a, uint32_t id)
{
	return &a->reqs[id % APID_REQTAB];
}

static struct apid_req *
req_new(struct apid *a, struct msg_out_req *q, const char *uid,
    uint64_t ts, uint64_t exp)
{
	struct apid_req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	if (++a->next_id == 0)
		a->next_id = 1;
	r->id = a->next_id;
	r->req = q;
	r->ts = ts;
	r->exp = exp;
	snprintf(r->uid, sizeof(r->uid), "%s", uid);
	LIST_INSERT_HEAD(req_bucket(a, r->id), r, hash);
	return r;
}

static void
req_free(struct apid *a, struct apid_req *r)
{
	(void)a;
	LIST_REMOVE(r, hash);
	msgjson_out_req_clear(r->req);
	free(r->req);
	free(r);
}

static struct apid_req *
req_find(struct apid *a, uint32_t id)
{
	struct apid_req	*r;

	LIST_FOREACH(r, req_bucket(a, id), hash)
		if (r->id == id)
			return r;
	return NULL;
}

static void
req_queue(struct apid *a, struct apid_req *r)
{
	struct apid_out	*o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		fatal("calloc");
	o->req = r;
	TAILQ_INSERT_TAIL(&a->outq, o, entry);
}

/*
 * One destination of r to netd.  The payload goes with the last one: a
 * request sent again after a restart is read from its inflight record.
 */
static void
req_send_one(struct apid *a, struct apid_req *r)
{
	struct msg_out_req		*q = r->req;
	struct ipc_netd_out_request	 m;

	m.id = r->id;
	m.uid = ipc_apid_str(r->uid);
	m.cmd = ipc_apid_str(q->cmd);
	m.tags = ipc_apid_str(q->tag.set ? q->tag.s : NULL);
	m.schema = ipc_apid_str(q->shm.set ? q->shm.s : NULL);
	m.ts = r->ts;
	m.exp = r->exp < APID_TTL_MAX ? r->exp : APID_TTL_MAX;
	m.dst = q->dst[r->next];
	m.payload = q->dat;
	m.len = q->datlen;
	r->next++;
	a->credit--;
	apid_netd_send(a, ipc_build_netd_out_request(&m));
	if (r->next == q->ndst)
		msgjson_out_req_clear(q);
}

/* Hands netd what waits for credit, in order, while there is credit. */
static void
send_out(struct apid *a)
{
	struct apid_out	*o;

	while (a->credit > 0 && (o = TAILQ_FIRST(&a->outq)) != NULL) {
		if (o->ib != NULL) {
			a->credit--;
			apid_netd_send(a, o->ib);
			o->ib = NULL;
		} else {
			req_send_one(a, o->req);
			if (o->req->next < o->req->req->ndst)
				continue;
			log_debug("request %s (%s) sent to %zu twin(s)",
			    o->req->uid, o->req->req->cmd, o->req->req->ndst);
		}
		TAILQ_REMOVE(&a->outq, o, entry);
		free(o);
	}
}

/* The pop waits for the end of the loop pass, when all credit is in. */
void
apid_pump(struct apid *a)
{
	send_out(a);
}

/* One more destination of r is settled; all of them: drop its journal. */
static void
req_settled(struct apid *a, struct apid_req *r)
{
	if (++r->done < r->req->ndst)
		return;
	if (strlen(r->uid) == APID_UID_LEN) {
		if (a->ndone == APID_DONE_BATCH)
			done_flush(a);
		memcpy(a->done + a->ndone * APID_UID_LEN, r->uid,
		    APID_UID_LEN);
		a->ndone++;
	}
	if (r->journaling)
		r->over = 1;
	else
		req_free(a, r);
}

int
apid_sent(struct apid *a, uint32_t id)
{
	struct apid_req	*r;

	if ((r = req_find(a, id)) == NULL || r->done >= r->next)
		return -1;
	req_settled(a, r);
	return 0;
}

/*
 * The ret list and reference of each request journaled in this run,
 * until each destination answered or its deadline passed (at most
 * APID_ANS_MAX, the oldest forgotten first): an answer to one of them
 * is claimed and pushed by one script.  Others (a restart, an rmb-rs
 * backlog) are claimed, then pushed where the backlog says.
 */
static struct apid_anss *
ans_bucket(struct apid *a, const char *uid)
{
	uint32_t	h = 2166136261u;

	for (; *uid != '\0'; uid++)
		h = (h ^ (uint8_t)*uid) * 16777619u;
	return &a->ans[h % APID_REQTAB];
}

static struct apid_ans *
ans_find(struct apid *a, const char *uid)
{
	struct apid_ans	*e;

	LIST_FOREACH(e, ans_bucket(a, uid), hash)
		if (strcmp(e->uid, uid) == 0)
			return e;
	return NULL;
}

static void
ans_drop(struct apid *a, struct apid_ans *e)
{
	struct apid_job	*j;

	/* Answers held for its journal go now, after it on the connection. */
	while ((j = TAILQ_FIRST(&e->held)) != NULL) {
		TAILQ_REMOVE(&e->held, j, entry);
		job_run(j);
	}
	LIST_REMOVE(e, hash);
	TAILQ_REMOVE(&a->ansq, e, age);
	a->nans--;
	free(e->ret);
	free(e->ref);
	free(e->tw);
	free(e->owe);
	free(e);
}

static void
ans_remember(struct apid *a, const struct apid_req *r)
{
	const struct msg_out_req *q = r->req;
	struct apid_ans		*e;
	uint32_t		*dst;
	size_t			 i;

	if (a->nans >= APID_ANS_MAX)
		ans_drop(a, TAILQ_FIRST(&a->ansq));
	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("calloc");
	snprintf(e->uid, sizeof(e->uid), "%s", r->uid);
	e->ret = xstrdup(r->req->ret);
	if (r->req->ref.set)
		e->ref = xstrdup(r->req->ref.s);
	e->left = r->req->ndst;
	e->journaling = r->journaling;
	TAILQ_INIT(&e->held);
	e->mirror = 1;
	e->deadline = r->ts + r->exp;
	if ((dst = reallocarray(NULL, q->ndst, sizeof(*dst))) == NULL ||
	    (e->tw = reallocarray(NULL, q->ndst, sizeof(*e->tw))) == NULL ||
	    (e->owe = reallocarray(NULL, q->ndst, sizeof(*e->owe))) == NULL)
		fatal("reallocarray");
	memcpy(dst, q->dst, q->ndst * sizeof(*dst));
	qsort(dst, q->ndst, sizeof(*dst), cmp_u32);
	for (i = 0; i < q->ndst; i++) {
		if (e->ntw > 0 && e->tw[e->ntw - 1] == dst[i])
			e->owe[e->ntw - 1]++;
		else {
			e->tw[e->ntw] = dst[i];
			e->owe[e->ntw++] = 1;
		}
	}
	free(dst);
	LIST_INSERT_HEAD(ans_bucket(a, e->uid), e, hash);
	TAILQ_INSERT_TAIL(&a->ansq, e, age);
	a->nans++;
}

/*
 * claim_lua's rules on the counts kept here, for an answer to e from
 * j->twin: 1 with j made a JOB_ANSWER_TX, 0 for a duplicate, -1 when
 * answer_lua must decide (a twin owing two, the deadline passed).
 */
static int
ans_decide(struct apid_ans *e, struct apid_job *j)
{
	size_t	i, k = 0, n = 0;

	if (!e->mirror || (uint64_t)time(NULL) > e->deadline)
		return -1;
	if (j->twin == 0) {
		/* A relay's report counts when one twin still owes. */
		for (i = 0; i < e->ntw; i++)
			if (e->owe[i] > 0) {
				k = i;
				n++;
			}
		if (n != 1) {
			j->kind = JOB_ANSWER_TX;
			return 1;
		}
	} else {
		for (k = 0; k < e->ntw && e->tw[k] != j->twin; k++)
			;
		if (k == e->ntw || e->owe[k] == 0)
			return 0;
	}
	if (e->owe[k] > 1) {
		e->mirror = 0;
		return -1;
	}
	e->owe[k] = 0;
	e->left--;
	j->kind = JOB_ANSWER_TX;
	j->claims = 1;
	j->ctwin = e->tw[k];
	j->last = e->left == 0;
	return 1;
}

static void
claim(struct apid *a, const char *uid, uint32_t twin, struct msg_in_resp *m)
{
	struct apid_job	*j;
	struct apid_ans	*e;
	char		*json;
	size_t		 len;

	if ((e = ans_find(a, uid)) != NULL) {
		m->ref.set = e->ref != NULL;
		snprintf(m->ref.s, sizeof(m->ref.s), "%s",
		    e->ref != NULL ? e->ref : "");
		if ((json = msgjson_write_in_resp(m, &len)) != NULL) {
			j = job_new(a, JOB_ANSWER, xstrdup(e->ret));
			j->ruid = xstrdup(uid);
			j->twin = twin;
			j->val = json;
			j->vallen = len;
			msgjson_in_resp_clear(m);
			free(m);
			if (ans_decide(e, j) == 0) {
				log_info("response %s from twin %u was answered "
				    "already: duplicate dropped", uid, twin);
				job_free(j);
				return;
			}
			/* One that came before its journal was stored waits. */
			if (e->journaling)
				TAILQ_INSERT_TAIL(&e->held, j, entry);
			else {
				job_run(j);
				if (e->mirror && e->left == 0)
					ans_drop(a, e);
			}
			return;
		}
	}
	j = job_new(a, JOB_CLAIM, concat(APID_BACKLOG_PREFIX, uid));
	j->ruid = xstrdup(uid);
	j->twin = twin;
	j->resp = m;
	job_run(j);
}

int
apid_send_failed(struct apid *a, uint32_t id, const char *uid,
    uint32_t twin, struct msg_in_resp *m)
{
	struct apid_req	*r;

	if ((r = req_find(a, id)) == NULL || r->done >= r->next ||
	    strcmp(r->uid, uid) != 0) {
		msgjson_in_resp_clear(m);
		free(m);
		return -1;
	}
	claim(a, uid, twin, m);
	req_settled(a, r);
	return 0;
}

/* The batch of popped requests being built in this callback. */
static struct jentry *
batch_add(struct apid *a, char kind, char *raw, size_t rawlen)
{
	struct apid_job	*j;
	struct jentry	*e;

	if ((j = a->batch) == NULL)
		j = a->batch = job_new(a, JOB_JOURNAL, NULL);
	if (j->nent % 16 == 0 && (j->ent = reallocarray(j->ent,
	    j->nent + 16, sizeof(*j->ent))) == NULL)
		fatal("reallocarray");
	e = &j->ent[j->nent++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->raw = raw;
	e->rawlen = rawlen;
	return e;
}

/*
 * Sends the batch; it takes the next one from the local queue when
 * netd has credit for it and no other pop is under way, so that the
 * requests keep their order.  While the command connection is up, its
 * requests go to netd at once, not after the reply: every command that
 * an answer to them causes goes on that connection after the
 * transaction, so redis has the journal before it sees any of them, and
 * a request that died with us before its journal was written is still
 * on the pending list (its first answer finds no backlog and is dropped;
 * the request goes again, under a new uid).
 */
static void
batch_send(struct apid *a)
{
	struct apid_job	*j;
	struct jentry	*e;
	int64_t		 room;
	size_t		 i;
	int		 early;

	if ((j = a->batch) == NULL)
		return;
	a->batch = NULL;
	early = rconn_up(a->cmd) && a->nwaiting == 0;
	for (i = 0; i < j->nent; i++) {
		e = &j->ent[i];
		if (e->kind != 'j')
			continue;
		e->req->journaling = 1;
		if ((e->early = early)) {
			ans_remember(a, e->req);
			req_queue(a, e->req);
		} else
			a->reserved++;
	}
	send_out(a);
	room = a->credit - a->reserved;
	if (!a->popping_req && !a->taking && TAILQ_EMPTY(&a->outq) &&
	    a->nwaiting == 0 && room > 0 && rconn_up(a->cmd)) {
		j->take = room < APID_TAKE_MAX ? (int)room : APID_TAKE_MAX;
		j->chain = 1;
		a->taking = 1;
	}
	job_run(j);
}

/* A local error answer (§6.2) to a popped request, in the batch. */
static void __attribute__((format(printf, 7, 8)))
batch_answer(struct apid *a, char *raw, size_t rawlen, const char *ret,
    const struct msgjson_opt *ref, uint32_t code, const char *fmt, ...)
{
	struct msg_in_resp	*m;
	struct jentry		*e;
	va_list			 ap;
	char			*json;
	size_t			 len;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	m->ver = 1;
	if (ref != NULL)
		m->ref = *ref;
	m->has_err = 1;
	m->err.code = code;
	va_start(ap, fmt);
	vsnprintf(m->err.message, sizeof(m->err.message), fmt, ap);
	va_end(ap);
	log_debug("answering %s: %s", ret, m->err.message);
	if ((json = msgjson_write_in_resp(m, &len)) == NULL) {
		log_warnx("cannot answer %s (%s)", ret, m->err.message);
		batch_add(a, 'f', raw, rawlen);
	} else {
		e = batch_add(a, 'a', raw, rawlen);
		e->key = xstrdup(ret);
		e->val = json;
		e->vallen = len;
	}
	free(m);
}

/* The caller of a request that cannot go out, if a ret can be found. */
static void
refuse(struct apid *a, char *json, size_t len, const char *why)
{
	struct msgjson_opt	*ref;
	char			*ret;

	if ((ref = malloc(sizeof(*ref))) == NULL ||
	    (ret = malloc(MSGJSON_STR_MAX)) == NULL)
		fatal("malloc");
	if (msgjson_salvage(json, len, ret, ref))
		batch_answer(a, json, len, ret, ref, 0,
		    "failed to load json request: %s", why);
	else {
		log_warnx("failed to load json request: %s (no ret queue to "
		    "answer)", why);
		batch_add(a, 'f', json, len);
	}
	free(ref);
	free(ret);
}

static int
cmp_u32(const void *x, const void *y)
{
	uint32_t	a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * HSET <waiting> _ 1 <twin> <count>...: what each destination owes, a
 * twin named twice owing two answers.
 */
static void
owed(struct jentry *e, const struct msg_out_req *q)
{
	uint32_t	*dst;
	size_t		 i, n, k = 0, argc = 0;
	char		*p;

	if ((dst = reallocarray(NULL, q->ndst, sizeof(*dst))) == NULL ||
	    (e->owedv = reallocarray(NULL, 4 + 2 * q->ndst,
	    sizeof(*e->owedv))) == NULL ||
	    (p = e->owedbuf = malloc(q->ndst * 24)) == NULL)
		fatal("malloc");
	memcpy(dst, q->dst, q->ndst * sizeof(*dst));
	qsort(dst, q->ndst, sizeof(*dst), cmp_u32);
	e->owedv[argc++] = (char *)"HSET";
	e->owedv[argc++] = e->wkey;
	e->owedv[argc++] = (char *)"_";
	e->owedv[argc++] = (char *)"1";
	for (i = 0; i < q->ndst; i = n) {
		for (n = i; n < q->ndst && dst[n] == dst[i]; n++)
			;
		e->owedv[argc++] = p + k;
		k += (size_t)snprintf(p + k, 12, "%u", dst[i]) + 1;
		e->owedv[argc++] = p + k;
		k += (size_t)snprintf(p + k, 12, "%zu", n - i) + 1;
	}
	e->nowed = argc;
	free(dst);
}

/* v in decimal at p, without a NUL; returns its length (at most 20). */
static size_t
put_u64(char *p, uint64_t v)
{
	char	d[20];
	size_t	k = 0, n;

	do {
		d[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (n = 0; k > 0; n++)
		p[n] = d[--k];
	return n;
}

/*
 * A uid from a pool of random bytes drawn APID_RND_POOL at a time: one
 * system call for many requests rather than one each.
 */
static void
new_uid(struct apid *a, char uid[APID_UID_LEN + 1])
{
	if (a->rndoff + 16 > sizeof(a->rnd)) {
		randombytes_buf(a->rnd, sizeof(a->rnd));
		a->rndoff = 0;
	}
	msgjson_uuid_from(a->rnd + a->rndoff, uid);
	sodium_memzero(a->rnd + a->rndoff, 16);
	a->rndoff += 16;
}

/*
 * A request popped from the local queue, now on the pending list: it
 * joins the batch, to be journaled or answered; either way it leaves
 * the pending list in the same step.  raw (len bytes and a NUL) is
 * taken over.
 */
static void
local_request(struct apid *a, char *raw, size_t len)
{
	struct msg_out_req	*req;
	struct apid_req		*r;
	struct jentry		*e;
	Backlog			 bl = BACKLOG__INIT;
	char			 why[MSGJSON_ERR_MAX], uid[APID_UID_LEN + 1];
	uint64_t		 now, ttl, ts, exp;
	char			 pre[2 * 21];
	size_t			 n;

	if ((req = malloc(sizeof(*req))) == NULL)
		fatal("malloc");
	if (msgjson_parse_out_req(req, raw, len, why, sizeof(why)) != 0) {
		free(req);
		refuse(a, raw, len, why);
		return;
	}
	now = (uint64_t)time(NULL);
	envelope_stamp(now, req->now, req->exp, &ts, &exp);
	if ((ttl = envelope_ttl(now, ts, exp)) == 0 || req->ndst == 0) {
		batch_answer(a, raw, len, req->ret, &req->ref, 0, "%s",
		    ttl == 0 ? "request has expired" : "no destination");
		msgjson_out_req_clear(req);
		free(req);
		return;
	}
	new_uid(a, uid);
	if (exp > APID_TTL_MAX)
		exp = APID_TTL_MAX;
	r = req_new(a, req, uid, ts, exp);
	/*
	 * The inflight record, "ts exp json", is the request's own buffer
	 * grown by its prefix, and raw the JSON in it: the two hold one copy.
	 */
	n = put_u64(pre, r->ts);
	pre[n++] = ' ';
	n += put_u64(pre + n, r->exp);
	pre[n++] = ' ';
	e = batch_add(a, 'j', NULL, len);
	if ((e->rec = realloc(raw, n + len + 1)) == NULL)
		fatal("realloc");
	memmove(e->rec + n, e->rec, len + 1);
	memcpy(e->rec, pre, n);
	e->reclen = n + len;
	e->raw = e->rec + n;
	e->req = r;
	e->key = concat(APID_BACKLOG_PREFIX, uid);
	e->wkey = concat(e->key, APID_WAITING_SUFFIX);
	bl.uid = r->uid;
	if (req->ref.set) {
		bl.opt_reference_case = BACKLOG__OPT_REFERENCE_REFERENCE;
		bl.reference = req->ref.s;
	}
	bl.reply_to = req->ret;
	bl.module = "";
	bl.ttl = ttl > APID_TTL_MAX ? APID_TTL_MAX : ttl;
	e->vallen = backlog__get_packed_size(&bl);
	if ((e->val = malloc(e->vallen + 1)) == NULL)
		fatal("malloc");
	backlog__pack(&bl, (uint8_t *)e->val);
	snprintf(e->deadline, sizeof(e->deadline), "%" PRIu64, r->ts + r->exp);
	owed(e, req);
}

/* "7" or "7:sid" (§6.2), as the reference's Address parses it. */
static int
parse_dst(const char *s, uint32_t *twin, struct msgjson_opt *conn)
{
	const char	*p = s;
	uint64_t	 v = 0;

	if (*p == '+')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (uint64_t)(*p - '0')) > UINT32_MAX)
			return -1;
	conn->set = *p == ':';
	if (*p != ':' && *p != '\0')
		return -1;
	snprintf(conn->s, sizeof(conn->s), "%s", conn->set ? p + 1 : "");
	*twin = (uint32_t)v;
	return 0;
}

static void
local_response(struct apid *a, const char *json, size_t len)
{
	struct ipc_netd_out_response	 r;
	struct msg_out_resp		*m;
	struct msgjson_opt		*conn;
	struct apid_out			*o;
	struct ipc_buf			*ib;
	char				 why[MSGJSON_ERR_MAX];
	uint32_t			 twin;

	if ((m = malloc(sizeof(*m))) == NULL ||
	    (conn = malloc(sizeof(*conn))) == NULL)
		fatal("malloc");
	if (msgjson_parse_out_resp(m, json, len, why, sizeof(why)) != 0)
		log_warnx("failed to load json response: %s", why);
	else if (parse_dst(m->dst, &twin, conn) != 0) {
		log_warnx("response with a bad dst '%s', dropped", m->dst);
		msgjson_out_resp_clear(m);
	} else {
		if (!m->ref.set)
			log_debug("response to %s without ref: it will be "
			    "lost", m->dst);
		memset(&r, 0, sizeof(r));
		r.uid = ipc_apid_str(m->ref.set ? m->ref.s : "");
		r.dst = twin;
		r.conn = ipc_apid_str(conn->set ? conn->s : NULL);
		r.schema = ipc_apid_str(m->shm.set ? m->shm.s : NULL);
		r.ts = m->now;
		r.exp = APID_RESPONSE_TTL;
		r.is_error = m->has_err;
		r.code = m->has_err ? m->err.code : 0;
		r.msg = ipc_apid_str(m->has_err ? m->err.message : "");
		if (!m->has_err) {
			r.payload = m->dat;
			r.len = m->datlen;
		}
		ib = ipc_build_netd_out_response(&r);
		msgjson_out_resp_clear(m);
		if (ib == NULL) {
			log_warn("response to %s does not fit a message to "
			    "netd, dropped", m->dst);
		} else {
			if ((o = calloc(1, sizeof(*o))) == NULL)
				fatal("calloc");
			o->ib = ib;
			TAILQ_INSERT_TAIL(&a->outq, o, entry);
		}
	}
	free(m);
	free(conn);
	send_out(a);
}

static int
pop_reply(struct apid *a, redisReply *reply, const char *cmd)
{
	if (reply == NULL)
		return -1;	/* lost; the up callback pops again */
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("%s: %s", cmd, reply->str);
		if (!ev_is_active(&a->pop_retry)) {
			ev_timer_set(&a->pop_retry, POP_RETRY, 0.);
			ev_timer_start(a->loop, &a->pop_retry);
		}
		return -1;
	}
	return 0;
}

static void
popreq_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid	*a = priv;
	redisReply	*reply = r;

	(void)ac;
	a->popping_req = 0;
	if (pop_reply(a, reply, "BLMOVE") != 0)
		return;
	/* What hiredis read for the reply goes before the work on it. */
	rconn_trim(a->popreq);
	if (reply->type != REDIS_REPLY_STRING)
		log_warnx("BLMOVE: unexpected reply type %d", reply->type);
	else {
		local_request(a, reply_take(reply), reply->len);
		batch_send(a);
	}
	apid_pop(a);
}

/* Replies are not journaled (§6.5): popping several at once loses none. */
static void
pop_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid	*a = priv;
	redisReply	*reply = r, *vals, *v;
	size_t		 i, bytes = 0;

	(void)ac;
	a->popping = 0;
	if (pop_reply(a, reply, "BLMPOP") != 0)
		return;
	rconn_trim(a->pop);
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    (vals = reply->element[1])->type != REDIS_REPLY_ARRAY)
		log_warnx("BLMPOP: unexpected reply type %d", reply->type);
	else
		for (i = 0; i < vals->elements; i++) {
			v = vals->element[i];
			if (v->type == REDIS_REPLY_STRING) {
				bytes += v->len;
				local_response(a, v->str, v->len);
			}
		}
	a->pop_one = bytes > APID_TAKE_BYTES;
	apid_pump(a);
}

/*
 * Pops while what is popped can go to netd at once: credit beyond what
 * earlier pops will take, and nothing waiting for credit or for redis.
 * A request is popped alone (BLMOVE, which blocks), and its batch takes
 * the ones behind it (batch_send); replies come up to the credit at once.
 */
void
apid_pop(struct apid *a)
{
	const char	*req[] = { "BLMOVE", APID_LOCAL_QUEUE,
			    APID_PENDING_QUEUE, "RIGHT", "LEFT", "0" };
	const char	*resp[] = { "BLMPOP", "0", "1", APID_REPLY_QUEUE,
			    "RIGHT", "COUNT", NULL };
	int64_t		 room = a->credit - a->reserved;
	char		 count[24];

	if (!a->recovered || room <= 0 || !TAILQ_EMPTY(&a->outq) ||
	    a->nwaiting > 0 || !rconn_up(a->cmd) ||
	    ev_is_active(&a->pop_retry))
		return;
	if (!a->popping_req && !a->taking && rconn_up(a->popreq) &&
	    rconn_cmd(a->popreq, popreq_cb, a, 6, req, NULL) == 0)
		a->popping_req = 1;
	snprintf(count, sizeof(count), "%lld", a->pop_one ? 1LL :
	    (long long)(room < APID_TAKE_MAX ? room : APID_TAKE_MAX));
	resp[6] = count;
	if (!a->popping && rconn_up(a->pop) &&
	    rconn_cmd(a->pop, pop_cb, a, 7, resp, NULL) == 0)
		a->popping = 1;
}

static void
pop_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	apid_pop(w->data);
}

static void
pop_up(struct rconn *rc, void *arg)
{
	(void)rc;
	apid_pop(arg);
}

/* Answers what request uid still owes, with the reason why. */
static void
expire(struct apid *a, const char *uid, const char *why)
{
	struct apid_job	*j;
	struct apid_ans	*e;

	if ((e = ans_find(a, uid)) != NULL)
		ans_drop(a, e);
	j = job_new(a, JOB_EXPIRE, concat(APID_BACKLOG_PREFIX, uid));
	j->ruid = xstrdup(uid);
	j->why = why;
	job_run(j);
}

static void	sweep_timer_cb(struct ev_loop *, ev_timer *, int);

static void
sweep_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid	*a = priv;
	redisReply	*reply = r, *e;
	size_t		 i;

	(void)ac;
	a->sweeping = 0;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
		return;
	for (i = 0; i < reply->elements; i++) {
		e = reply->element[i];
		if (e->type == REDIS_REPLY_STRING && e->len <= APID_UID_LEN &&
		    memchr(e->str, '\0', e->len) == NULL)
			expire(a, e->str, ERR_DEADLINE);
	}
	/*
	 * A full batch: there may be more, so ask again now; the expiries
	 * just queued run first on this connection, so none comes twice.
	 */
	if (reply->elements == APID_SWEEP_MAX)
		sweep_timer_cb(a->loop, &a->sweep, 0);
}

/* Every second: the requests whose deadline and grace have passed. */
static void
sweep_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct apid	*a = w->data;
	const char	*argv[7];
	char		 max[24], count[24];

	(void)loop;
	(void)revents;
	if (rconn_up(a->cmd))
		expiry_flush(a);
	if (a->sweeping || !a->recovered || !rconn_up(a->cmd))
		return;
	snprintf(max, sizeof(max), "%lld", (long long)time(NULL) - APID_GRACE);
	argv[0] = "ZRANGEBYSCORE";
	argv[1] = APID_DEADLINES;
	argv[2] = "-inf";
	argv[3] = max;
	argv[4] = "LIMIT";
	argv[5] = "0";
	snprintf(count, sizeof(count), "%d", APID_SWEEP_MAX);
	argv[6] = count;
	if (rconn_cmd(a->cmd, sweep_cb, a, 7, argv, NULL) == 0)
		a->sweeping = 1;
}

static void
recovered(struct apid *a)
{
	if (--a->recovering > 0)
		return;
	a->recovered = 1;
	log_debug("journal read");
	if (!a->ready) {
		a->ready = 1;
		apid_tell_ready(a);
	}
	apid_pump(a);
}

/* ts and exp of an inflight record "ts exp json", json after them. */
static int
record_parse(const char *s, size_t len, uint64_t *ts, uint64_t *exp,
    size_t *off)
{
	char	 num[24], *end;
	size_t	 i, k;
	uint64_t *v[2] = { ts, exp };

	for (i = 0, k = 0; k < 2; k++) {
		size_t	n = 0;

		while (i < len && s[i] >= '0' && s[i] <= '9' &&
		    n < sizeof(num) - 1)
			num[n++] = s[i++];
		if (n == 0 || i >= len || s[i] != ' ')
			return -1;
		num[n] = '\0';
		*v[k] = strtoull(num, &end, 10);
		i++;
	}
	*off = i;
	return 0;
}

struct recover {
	struct apid	*a;
	char		*uid;
	char		*rec;
	size_t		 reclen;
};

/* One journaled request: sent again to what still owes, or answered. */
static void
recover_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct recover		*rv = priv;
	struct apid		*a = rv->a;
	redisReply		*reply = r;
	struct msg_out_req	*q;
	struct apid_req		*req;
	char			 why[MSGJSON_ERR_MAX];
	uint64_t		 ts, exp, now = (uint64_t)time(NULL), n;
	size_t			 i, off, ndst = 0;

	(void)ac;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		log_warnx("request %s: its journal cannot be read; it is "
		    "answered at its deadline", rv->uid);
		goto out;
	}
	if (record_parse(rv->rec, rv->reclen, &ts, &exp, &off) != 0 ||
	    (q = malloc(sizeof(*q))) == NULL) {
		log_warnx("request %s: a malformed journal record", rv->uid);
		expire(a, rv->uid, ERR_RESTART);
		goto out;
	}
	if (msgjson_parse_out_req(q, rv->rec + off, rv->reclen - off, why,
	    sizeof(why)) != 0) {
		log_warnx("request %s: journal: %s", rv->uid, why);
		free(q);
		expire(a, rv->uid, ERR_RESTART);
		goto out;
	}
	/* What still owes an answer, a twin owing two named twice. */
	for (i = 0; i + 1 < reply->elements; i += 2) {
		if (reply->element[i]->type != REDIS_REPLY_STRING ||
		    strcmp(reply->element[i]->str, "_") == 0)
			continue;
		n = strtoull(reply->element[i + 1]->str, NULL, 10);
		while (n-- > 0 && ndst < MSGJSON_DST_MAX)
			q->dst[ndst++] = (uint32_t)strtoul(
			    reply->element[i]->str, NULL, 10);
	}
	q->ndst = ndst;
	if (ndst == 0 || envelope_ttl(now, ts, exp) <= APID_GRACE) {
		msgjson_out_req_clear(q);
		free(q);
		expire(a, rv->uid, ERR_RESTART);
		goto out;
	}
	log_info("request %s: sent again to %zu twin(s) after a restart",
	    rv->uid, ndst);
	req = req_new(a, q, rv->uid, ts, exp);
	req_queue(a, req);
out:
	free(rv->uid);
	free(rv->rec);
	free(rv);
	recovered(a);
}

static void
inflight_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid	*a = priv;
	redisReply	*reply = r, *k, *v;
	struct recover	*rv;
	const char	*argv[2];
	char		*wkey;
	size_t		 i;

	(void)ac;
	if (reply == NULL) {
		a->recovering = 0;
		return;		/* cmd_up starts the recovery again */
	}
	if (reply->type != REDIS_REPLY_ARRAY) {
		log_warnx("HGETALL %s: %s", APID_INFLIGHT,
		    reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "not a hash");
		recovered(a);
		return;
	}
	for (i = 0; i + 1 < reply->elements; i += 2) {
		k = reply->element[i];
		v = reply->element[i + 1];
		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING || k->len > APID_UID_LEN ||
		    memchr(k->str, '\0', k->len) != NULL)
			continue;
		if ((rv = calloc(1, sizeof(*rv))) == NULL)
			fatal("calloc");
		rv->a = a;
		rv->uid = xmemdup(k->str, k->len);
		rv->rec = reply_take(v);
		rv->reclen = v->len;
		if (asprintf(&wkey, "%s%s%s", APID_BACKLOG_PREFIX, rv->uid,
		    APID_WAITING_SUFFIX) == -1)
			fatal("asprintf");
		argv[0] = "HGETALL";
		argv[1] = wkey;
		if (rconn_cmd(a->cmd, recover_cb, rv, 2, argv, NULL) == 0)
			a->recovering++;
		else {
			free(rv->uid);
			free(rv->rec);
			free(rv);
		}
		free(wkey);
	}
	recovered(a);
}

static void
unpend_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid	*a = priv;
	redisReply	*reply = r;
	const char	*argv[2];

	(void)ac;
	if (reply == NULL) {
		a->recovering = 0;
		return;
	}
	if (reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
		log_info("%lld request(s) popped before a restart went back "
		    "to %s", reply->integer, APID_LOCAL_QUEUE);
	else if (reply->type == REDIS_REPLY_ERROR)
		log_warnx("%s: %s", APID_PENDING_QUEUE, reply->str);
	argv[0] = "HGETALL";
	argv[1] = APID_INFLIGHT;
	if (rconn_cmd(a->cmd, inflight_cb, a, 2, argv, NULL) != 0)
		a->recovering = 0;
}

/*
 * Once per start, before the first pop: what a previous run popped but
 * did not journal goes back to the queue, and what it journaled but did
 * not send is sent again, or answered when it is too late.
 */
static void
recover(struct apid *a)
{
	const char	*argv[5];

	if (a->recovered || a->recovering > 0)
		return;
	argv[0] = "EVAL";
	argv[1] = unpend_lua;
	argv[2] = "2";
	argv[3] = APID_PENDING_QUEUE;
	argv[4] = APID_LOCAL_QUEUE;
	if (rconn_cmd(a->cmd, unpend_cb, a, 5, argv, NULL) == 0)
		a->recovering = 1;
}

/* Replays what waited, then pops again if credit allows. */
static void
cmd_up(struct rconn *rc, void *arg)
{
	struct apid		*a = arg;
	struct apid_jobs	 todo;
	struct apid_job		*j;

	(void)rc;
	recover(a);
	TAILQ_INIT(&todo);
	TAILQ_CONCAT(&todo, &a->waiting, entry);
	a->nwaiting = 0;
	while ((j = TAILQ_FIRST(&todo)) != NULL) {
		TAILQ_REMOVE(&todo, j, entry);
		job_run(j);
	}
	apid_pop(a);
}

void
apid_redis_init(struct apid *a)
{
	size_t	i;

	scripts_init();
	a->take_hint = 1;
	a->rndoff = sizeof(a->rnd);	/* drawn at the first uid */
	TAILQ_INIT(&a->outq);
	TAILQ_INIT(&a->ansq);
	TAILQ_INIT(&a->deliver);
	for (i = 0; i < APID_REQTAB; i++) {
		LIST_INIT(&a->reqs[i]);
		LIST_INIT(&a->ans[i]);
	}
	ev_timer_init(&a->pop_retry, pop_retry_cb, POP_RETRY, 0.);
	a->pop_retry.data = a;
	ev_timer_init(&a->sweep, sweep_timer_cb, SWEEP_EVERY, SWEEP_EVERY);
	a->sweep.data = a;
	ev_timer_start(a->loop, &a->sweep);
	if ((a->done = malloc(APID_DONE_BATCH * APID_UID_LEN)) == NULL)
		fatal("malloc");
	ev_prepare_init(&a->flush, flush_cb);
	a->flush.data = a;
	ev_prepare_start(a->loop, &a->flush);
	if ((a->popreq = rconn_new(a->loop, &a->url, "rmb-apid-pop-local",
	    pop_up, NULL, a)) == NULL ||
	    (a->pop = rconn_new(a->loop, &a->url, "rmb-apid-pop", pop_up,
	    NULL, a)) == NULL ||
	    (a->cmd = rconn_new(a->loop, &a->url, "rmb-apid", cmd_up, NULL,
	    a)) == NULL)
		fatal("rconn_new");
}

void
apid_deliver_request(struct apid *a, const struct msg_in_req *m,
    uint32_t twin, struct ipc_apid_str conn)
{
	struct apid_job	*j;
	char		*json;
	size_t		 len;

	json = msgjson_write_in_req(m, &len);
	j = job_new(a, JOB_PUSH, concat("msgbus.", m->cmd));
	j->ruid = xstrdup(m->ref);
	j->answer = 1;
	j->twin = twin;
	if (conn.p != NULL && (j->conn = strndup(conn.p, conn.len)) == NULL)
		fatal("strndup");
	if (json == NULL) {
		job_fail(j, "the request cannot be written as JSON");
		return;
	}
	j->val = json;
	j->vallen = len;
	log_debug("request %s from %u to %s", j->ruid, twin, j->key);
	TAILQ_INSERT_TAIL(&a->deliver, j, entry);
}

void
apid_deliver_flush(struct apid *a)
{
	struct apid_job	*j;

	while ((j = TAILQ_FIRST(&a->deliver)) != NULL) {
		TAILQ_REMOVE(&a->deliver, j, entry);
		job_run(j);
	}
}

void
apid_deliver_response(struct apid *a, const char *uid, uint32_t twin,
    struct msg_in_resp *m)
{
	claim(a, uid, twin, m);
}
