/*
 * rmb-apid's redis flows (PROTOCOL.md §5.5, §6): popping local requests
 * and replies while netd has credit, the backlog, and delivering what
 * netd hands over.  Every command but BRPOP goes through a job, which
 * waits (bounded) while the command connection is down, so that nothing
 * popped or received is lost without an answer or a log line.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "apid.h"
#include "envelope.h"
#include "imsgtypes.h"
#include "log.h"
#include "peer.pb-c.h"

#define POP_RETRY	1.0	/* seconds after an error reply to BRPOP */

enum job_kind {
	JOB_SET,	/* store a backlog, then send the request to netd */
	JOB_PUSH,	/* LPUSH + LTRIM a JSON message */
	JOB_GET		/* read a backlog, then push the response */
};

struct apid_job {
	TAILQ_ENTRY(apid_job)	 entry;
	struct apid		*a;
	enum job_kind		 kind;
	int			 tries;
	char			*key;
	char			*val;
	size_t			 vallen;
	/* JOB_SET */
	uint64_t		 ttl;
	struct msg_out_req	*req;
	char			 uid[APID_UID_LEN + 1];
	uint64_t		 ts, exp;
	/* JOB_GET */
	struct msg_in_resp	*resp;
	/* JOB_GET, and JOB_PUSH of a request: whom a failure concerns */
	char			*ruid;
	int			 answer;	/* tell the sender */
	uint32_t		 twin;
	char			*conn;
};

static void	job_run(struct apid_job *);

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
	char	*p;

	if (asprintf(&p, "%s%s", a, b) == -1)
		fatal("asprintf");
	return p;
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
	if (j->req != NULL) {
		msgjson_out_req_clear(j->req);
		free(j->req);
	}
	if (j->resp != NULL) {
		msgjson_in_resp_clear(j->resp);
		free(j->resp);
	}
	free(j->key);
	free(j->val);
	free(j->ruid);
	free(j->conn);
	free(j);
}

/* A local error answer, as the caller's ret queue gets it (§6.2). */
static void __attribute__((format(printf, 5, 6)))
answer(struct apid *a, const char *ret, const struct msgjson_opt *ref,
    uint32_t code, const char *fmt, ...)
{
	struct msg_in_resp	*m;
	struct apid_job		*j;
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
		free(m);
		return;
	}
	free(m);
	j = job_new(a, JOB_PUSH, xstrdup(ret));
	j->val = json;
	j->vallen = len;
	job_run(j);
}

/* A failed push of an incoming request: tell the sender (§5.5 step 5). */
static void
answer_remote(struct apid *a, struct apid_job *j, const char *why)
{
	struct ibuf	*ib;
	char		 msg[512];

	snprintf(msg, sizeof(msg), "other: %s", why);
	ib = imsg_create(IMSG_NETD_OUT_RESPONSE, 0, 128 + strlen(j->ruid));
	ibuf_add_str(ib, j->ruid);
	ibuf_add_u32(ib, j->twin);
	ibuf_add_u32(ib, j->conn != NULL);
	ibuf_add_str(ib, j->conn != NULL ? j->conn : "");
	ibuf_add_u32(ib, 0);
	ibuf_add_str(ib, "");
	ibuf_add_u64(ib, 0);
	ibuf_add_u64(ib, APID_TTL_DEFAULT);
	ibuf_add_u32(ib, 1);
	ibuf_add_u32(ib, 0);
	ibuf_add_str(ib, msg);
	ibuf_add_bytes(ib, "", 0);
	a->credit--;
	apid_netd_send(a, ib);
}

static void
job_fail(struct apid_job *j, const char *why)
{
	struct apid	*a = j->a;

	switch (j->kind) {
	case JOB_SET:
		log_warnx("cannot store the backlog of %s: %s", j->uid, why);
		a->credit += (int64_t)j->req->ndst;
		answer(a, j->req->ret, &j->req->ref, 500, "other: %s", why);
		break;
	case JOB_PUSH:
		log_warnx("cannot push to %s: %s; message lost", j->key, why);
		if (j->answer)
			answer_remote(a, j, why);
		break;
	case JOB_GET:
		log_warnx("cannot read %s: %s; response lost", j->key, why);
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

static void
send_requests(struct apid_job *j)
{
	struct msg_out_req	*req = j->req;
	struct ibuf		*ib;
	size_t			 i;

	for (i = 0; i < req->ndst; i++) {
		ib = imsg_create(IMSG_NETD_OUT_REQUEST, 0, req->datlen + 256 +
		    strlen(req->cmd));
		ibuf_add_str(ib, j->uid);
		ibuf_add_str(ib, req->cmd);
		ibuf_add_u32(ib, req->tag.set);
		ibuf_add_str(ib, req->tag.set ? req->tag.s : "");
		ibuf_add_u32(ib, req->shm.set);
		ibuf_add_str(ib, req->shm.set ? req->shm.s : "");
		ibuf_add_u64(ib, j->ts);
		ibuf_add_u64(ib, j->exp < APID_TTL_MAX ? j->exp : APID_TTL_MAX);
		ibuf_add_u32(ib, req->dst[i]);
		ibuf_add_bytes(ib, req->dat, req->datlen);
		apid_netd_send(j->a, ib);
	}
	log_debug("request %s (%s) sent to %zu twin(s)", j->uid, req->cmd,
	    req->ndst);
}

static void
set_cb(redisAsyncContext *ac, void *r, void *priv)
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
	send_requests(j);
	job_free(j);
}

static void
push_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid_job	*j = priv;
	redisReply	*reply = r;
	size_t		 i;

	(void)ac;
	if (job_reply(j, reply) != 0)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		job_fail(j, reply->str);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY) {
		job_fail(j, "the transaction was aborted");
		return;
	}
	for (i = 0; i < reply->elements; i++)
		if (reply->element[i]->type == REDIS_REPLY_ERROR) {
			job_fail(j, reply->element[i]->str);
			return;
		}
	job_free(j);
}

static void
get_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid_job		*j = priv;
	struct msg_in_resp	*m = j->resp;
	redisReply		*reply = r;
	Backlog			*bl;
	char			*json;
	size_t			 len;

	(void)ac;
	if (job_reply(j, reply) != 0)
		return;
	if (reply->type == REDIS_REPLY_NIL) {
		log_warnx("received reply of an expired message (uid %s)",
		    j->ruid);
		job_free(j);
		return;
	}
	if (reply->type != REDIS_REPLY_STRING) {
		job_fail(j, reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "not a string");
		return;
	}
	if ((bl = backlog__unpack(NULL, reply->len,
	    (const uint8_t *)reply->str)) == NULL) {
		job_fail(j, "the backlog does not decode");
		return;
	}
	if (bl->module[0] != '\0') {
		log_warnx("response %s is for module '%s', which rmb-apid "
		    "does not have; dropped", j->ruid, bl->module);
		backlog__free_unpacked(bl, NULL);
		job_free(j);
		return;
	}
	m->ref.set = bl->opt_reference_case ==
	    BACKLOG__OPT_REFERENCE_REFERENCE;
	if (m->ref.set && strlen(bl->reference) >= sizeof(m->ref.s)) {
		backlog__free_unpacked(bl, NULL);
		job_fail(j, "the backlog's reference is too long");
		return;
	}
	if (m->ref.set)
		memcpy(m->ref.s, bl->reference, strlen(bl->reference) + 1);
	free(j->key);
	j->key = xstrdup(bl->reply_to);
	backlog__free_unpacked(bl, NULL);
	if ((json = msgjson_write_in_resp(m, &len)) == NULL) {
		job_fail(j, "the response cannot be written as JSON");
		return;
	}
	/* The same job goes on as the push to the caller's queue. */
	j->kind = JOB_PUSH;
	j->tries = 0;
	j->val = json;
	j->vallen = len;
	msgjson_in_resp_clear(m);
	free(m);
	j->resp = NULL;
	log_debug("response %s to %s", j->ruid, j->key);
	job_run(j);
}

static void
job_run(struct apid_job *j)
{
	struct apid	*a = j->a;
	char		 ttl[24];
	const char	*argv[5];
	size_t		 argvlen[5];
	int		 rc;

	switch (j->kind) {
	case JOB_SET:
		snprintf(ttl, sizeof(ttl), "%" PRIu64, j->ttl);
		argv[0] = "SET";
		argv[1] = j->key;
		argv[2] = j->val;
		argv[3] = "EX";
		argv[4] = ttl;
		argvlen[0] = 3;
		argvlen[1] = strlen(j->key);
		argvlen[2] = j->vallen;
		argvlen[3] = 2;
		argvlen[4] = strlen(ttl);
		rc = rconn_cmd(a->cmd, set_cb, j, 5, argv, argvlen);
		break;
	case JOB_GET:
		argv[0] = "GET";
		argv[1] = j->key;
		rc = rconn_cmd(a->cmd, get_cb, j, 2, argv, NULL);
		break;
	case JOB_PUSH:
		argv[0] = "MULTI";
		if ((rc = rconn_cmd(a->cmd, NULL, NULL, 1, argv, NULL)) != 0)
			break;
		argv[0] = "LPUSH";
		argv[1] = j->key;
		argv[2] = j->val;
		argvlen[0] = 5;
		argvlen[1] = strlen(j->key);
		argvlen[2] = j->vallen;
		if ((rc = rconn_cmd(a->cmd, NULL, NULL, 3, argv,
		    argvlen)) != 0)
			break;
		argv[0] = "LTRIM";
		argv[2] = "0";
		argv[3] = APID_LIST_LAST;
		if ((rc = rconn_cmd(a->cmd, NULL, NULL, 4, argv, NULL)) != 0)
			break;
		argv[0] = "EXEC";
		rc = rconn_cmd(a->cmd, push_cb, j, 1, argv, NULL);
		break;
	default:
		rc = -1;
	}
	if (rc != 0)
		job_wait(j);
}

/* The caller of a request that cannot go out, if a ret can be found. */
static void
refuse(struct apid *a, const char *json, size_t len, const char *why)
{
	struct msgjson_opt	*ref;
	char			*ret;

	if ((ref = malloc(sizeof(*ref))) == NULL ||
	    (ret = malloc(MSGJSON_STR_MAX)) == NULL)
		fatal("malloc");
	if (msgjson_salvage(json, len, ret, ref))
		answer(a, ret, ref, 0, "failed to load json request: %s", why);
	else
		log_warnx("failed to load json request: %s (no ret queue to "
		    "answer)", why);
	free(ref);
	free(ret);
}

static void
local_request(struct apid *a, const char *json, size_t len)
{
	struct msg_out_req	*req;
	struct apid_job		*j;
	Backlog			 bl = BACKLOG__INIT;
	char			 why[MSGJSON_ERR_MAX];
	uint64_t		 now, ttl;

	if ((req = malloc(sizeof(*req))) == NULL)
		fatal("malloc");
	if (msgjson_parse_out_req(req, json, len, why, sizeof(why)) != 0) {
		refuse(a, json, len, why);
		free(req);
		return;
	}
	j = job_new(a, JOB_SET, NULL);
	j->req = req;
	now = (uint64_t)time(NULL);
	envelope_stamp(now, req->now, req->exp, &j->ts, &j->exp);
	if ((ttl = envelope_ttl(now, j->ts, j->exp)) == 0) {
		answer(a, req->ret, &req->ref, 0, "request has expired");
		job_free(j);
		return;
	}
	if (req->ndst == 0) {
		answer(a, req->ret, &req->ref, 0, "no destination");
		job_free(j);
		return;
	}
	msgjson_uuid(j->uid);
	j->ttl = ttl > APID_TTL_MAX ? APID_TTL_MAX : ttl;
	bl.uid = j->uid;
	if (req->ref.set) {
		bl.opt_reference_case = BACKLOG__OPT_REFERENCE_REFERENCE;
		bl.reference = req->ref.s;
	}
	bl.reply_to = req->ret;
	bl.module = "";
	bl.ttl = j->ttl;
	j->vallen = backlog__get_packed_size(&bl);
	if ((j->val = malloc(j->vallen + 1)) == NULL)
		fatal("malloc");
	backlog__pack(&bl, (uint8_t *)j->val);
	j->key = concat(APID_BACKLOG_PREFIX, j->uid);
	/* Counted now, so that the next pop waits for what this one owes. */
	a->credit -= (int64_t)req->ndst;
	job_run(j);
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
	struct msg_out_resp	*m;
	struct msgjson_opt	*conn;
	struct ibuf		*ib;
	char			 why[MSGJSON_ERR_MAX];
	uint32_t		 twin;

	if ((m = malloc(sizeof(*m))) == NULL ||
	    (conn = malloc(sizeof(*conn))) == NULL)
		fatal("malloc");
	if (msgjson_parse_out_resp(m, json, len, why, sizeof(why)) != 0)
		log_warnx("failed to load json response: %s", why);
	else if (parse_dst(m->dst, &twin, conn) != 0)
		log_warnx("response with a bad dst '%s', dropped", m->dst);
	else {
		if (!m->ref.set)
			log_debug("response to %s without ref: it will be "
			    "lost", m->dst);
		ib = imsg_create(IMSG_NETD_OUT_RESPONSE, 0, m->datlen + 256);
		ibuf_add_str(ib, m->ref.set ? m->ref.s : "");
		ibuf_add_u32(ib, twin);
		ibuf_add_u32(ib, conn->set);
		ibuf_add_str(ib, conn->s);
		ibuf_add_u32(ib, m->shm.set);
		ibuf_add_str(ib, m->shm.set ? m->shm.s : "");
		ibuf_add_u64(ib, m->now);
		ibuf_add_u64(ib, APID_RESPONSE_TTL);
		ibuf_add_u32(ib, m->has_err);
		ibuf_add_u32(ib, m->has_err ? m->err.code : 0);
		ibuf_add_str(ib, m->has_err ? m->err.message : "");
		if (m->has_err)
			ibuf_add_bytes(ib, "", 0);
		else
			ibuf_add_bytes(ib, m->dat, m->datlen);
		a->credit--;
		apid_netd_send(a, ib);
		msgjson_out_resp_clear(m);
	}
	free(m);
	free(conn);
}

static void
pop_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct apid	*a = priv;
	redisReply	*reply = r, *key, *val;

	(void)ac;
	a->popping = 0;
	if (reply == NULL)
		return;		/* lost; pop_up() starts again */
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("BRPOP: %s", reply->str);
		ev_timer_set(&a->pop_retry, POP_RETRY, 0.);
		ev_timer_start(a->loop, &a->pop_retry);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    (key = reply->element[0])->type != REDIS_REPLY_STRING ||
	    (val = reply->element[1])->type != REDIS_REPLY_STRING)
		log_warnx("BRPOP: unexpected reply type %d", reply->type);
	else if (strcmp(key->str, APID_LOCAL_QUEUE) == 0)
		local_request(a, val->str, val->len);
	else
		local_response(a, val->str, val->len);
	apid_pop(a);
}

void
apid_pop(struct apid *a)
{
	const char	*argv[] = { "BRPOP", APID_LOCAL_QUEUE,
			    APID_REPLY_QUEUE, "0" };

	if (a->popping || a->credit <= 0 || a->nwaiting > 0 ||
	    !rconn_up(a->pop) || !rconn_up(a->cmd) ||
	    ev_is_active(&a->pop_retry))
		return;
	if (rconn_cmd(a->pop, pop_cb, a, 4, argv, NULL) == 0)
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

/* Replays what waited, then pops again if credit allows. */
static void
cmd_up(struct rconn *rc, void *arg)
{
	struct apid		*a = arg;
	struct apid_jobs	 todo;
	struct apid_job		*j;

	(void)rc;
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
	ev_timer_init(&a->pop_retry, pop_retry_cb, POP_RETRY, 0.);
	a->pop_retry.data = a;
	if ((a->pop = rconn_new(a->loop, &a->url, "rmb-apid-pop", pop_up,
	    NULL, a)) == NULL ||
	    (a->cmd = rconn_new(a->loop, &a->url, "rmb-apid", cmd_up, NULL,
	    a)) == NULL)
		fatal("rconn_new");
}

void
apid_deliver_request(struct apid *a, struct msg_in_req *m, uint32_t twin,
    const char *conn)
{
	struct apid_job	*j;
	char		*json;
	size_t		 len;

	json = msgjson_write_in_req(m, &len);
	j = job_new(a, JOB_PUSH, concat("msgbus.", m->cmd));
	j->ruid = xstrdup(m->ref);
	j->answer = 1;
	j->twin = twin;
	j->conn = conn != NULL ? xstrdup(conn) : NULL;
	msgjson_in_req_clear(m);
	free(m);
	if (json == NULL) {
		job_fail(j, "the request cannot be written as JSON");
		return;
	}
	j->val = json;
	j->vallen = len;
	log_debug("request %s from %u to %s", j->ruid, twin, j->key);
	job_run(j);
}

void
apid_deliver_response(struct apid *a, const char *uid, struct msg_in_resp *m)
{
	struct apid_job	*j;

	j = job_new(a, JOB_GET, concat(APID_BACKLOG_PREFIX, uid));
	j->ruid = xstrdup(uid);
	j->resp = m;
	job_run(j);
}
