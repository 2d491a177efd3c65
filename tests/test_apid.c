/* SPDX-License-Identifier: ISC */
/*
 * rmb-apid against a real redis-server, with this test as its parent
 * (fd 3) and its netd (fd 4): the configuration, credit and flow
 * control, what it sends netd for local requests and replies, the exact
 * JSON it pushes for what netd hands over, every local failure answered
 * on the caller's queue, and its seccomp filter.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "ipc.h"
#include "ipc_apid.h"
#include "ipc_extra.h"
#include "ipc_types.h"
#include "peer.pb-c.h"
#include "tap.h"

struct apid_proc {
	pid_t		pid;
	struct ipc_chan	parent, netd;
	char		log[320];
};

static struct redis_srv	srv;

static void
nap(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
apid_start(struct apid_proc *p, const char *logpath)
{
	const char	*top = getenv("top_builddir");
	char		 path[1024];
	int		 ps[2], ns[2], fd, pfd, nfd;

	snprintf(path, sizeof(path), "%s/apid/rmb-apid", top ? top : ".");
	snprintf(p->log, sizeof(p->log), "%s", logpath);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    ps) == -1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, ns) == -1)
		return -1;
	if ((p->pid = fork()) == -1)
		return -1;
	if (p->pid == 0) {
		/* Out of the way first, so that neither dup2 clobbers. */
		if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1 ||
		    (pfd = fcntl(ps[1], F_DUPFD_CLOEXEC, 10)) == -1 ||
		    (nfd = fcntl(ns[1], F_DUPFD_CLOEXEC, 10)) == -1 ||
		    dup2(pfd, PARENT_FILENO) == -1 ||
		    dup2(nfd, SIBLING_FILENO) == -1)
			_exit(127);
		execl(path, "rmb-apid", "-v", (char *)NULL);
		_exit(127);
	}
	close(ps[1]);
	close(ns[1]);
	if (ipc_init(&p->parent, ps[0]) != 0 ||
	    ipc_init(&p->netd, ns[0]) != 0)
		return -1;
	return 0;
}

/* Closes the test's ends (those still open) and frees the buffers. */
static void
apid_clear(struct apid_proc *p)
{
	if (p->parent.fd != -1)
		close(p->parent.fd);
	if (p->netd.fd != -1)
		close(p->netd.fd);
	ipc_clear(&p->parent);
	ipc_clear(&p->netd);
}

static int
send_config(struct apid_proc *p, const char *url)
{
	struct ipc_buf	*ib;

	ib = ipc_create(IPC_APID_CONFIG, 0, 64);
	ipc_put_str(ib, url);
	ipc_put_str(ib, "");
	if (ipc_close(&p->parent, ib) != 0)
		return -1;
	return ipc_flush(&p->parent);
}

static void
credit(struct apid_proc *p, uint32_t n)
{
	struct ipc_netd_credit	c = { n };

	if (ipc_put_netd_credit(&p->netd, &c) != 0 ||
	    ipc_flush(&p->netd) != 0)
		abort();
}

static void
send_frame(struct apid_proc *p, struct ipc_buf *ib)
{
	if (ipc_close(&p->netd, ib) != 0 || ipc_flush(&p->netd) != 0)
		abort();
}

static int
is_field(struct ipc_apid_str f, const char *want)
{
	return f.p != NULL && f.len == strlen(want) &&
	    memcmp(f.p, want, f.len) == 0;
}

/* 1: a frame from the channel; 0: none within ms; -1: EOF/error. */
static int
recv_on(struct ipc_chan *ib, struct ipc_msg *imsg, int ms)
{
	struct pollfd	pfd;
	ssize_t		n;
	int		rc;

	for (;;) {
		if ((rc = ipc_next(ib, imsg)) != 0)
			return rc;
		pfd.fd = ib->fd;
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, ms)) <= 0)
			return rc;
		if ((n = ipc_read(ib)) == 0)
			return -1;
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
}

/* The same on netd's channel. */
static int
recv_frame(struct apid_proc *p, struct ipc_msg *imsg, int ms)
{
	return recv_on(&p->netd, imsg, ms);
}

static void
lpush(const char *key, const char *val)
{
	const char	*argv[] = { "LPUSH", key, val };
	struct rreply	*r;

	if ((r = redis_cmd(srv.port, 3, argv, NULL)) == NULL)
		abort();
	rreply_free(r);
}

/* The oldest entry of a list, waiting up to 3 s; a malloc'd string. */
static char *
rpop(const char *key)
{
	struct rreply	*r;
	char		*s = NULL;
	int		 i;

	for (i = 0; i < 300 && s == NULL; i++) {
		if ((r = redis_cmdf(srv.port, "RPOP %s", key)) == NULL)
			abort();
		if (r->type == '$')
			s = strdup(r->str);
		rreply_free(r);
		if (s == NULL)
			nap(10);
	}
	return s;
}

static long long
llen(const char *key)
{
	struct rreply	*r;
	long long	 n;

	if ((r = redis_cmdf(srv.port, "LLEN %s", key)) == NULL)
		abort();
	n = r->type == ':' ? r->integer : -1;
	rreply_free(r);
	return n;
}

/* Whether key's length is want within ms (and not past it). */
static int
llen_reaches(const char *key, long long want, int ms)
{
	long long	n;

	for (; (n = llen(key)) < want && ms > 0; ms -= 20)
		nap(20);
	return n == want;
}

static int
is_json(const char *got, const char *want, const char *name)
{
	int	r;

	r = ok(got != NULL && strcmp(got, want) == 0, "%s", name);
	if (!r)
		diag("got  %s\n# want %s", got ? got : "(nothing)", want);
	return r;
}

struct out_req {
	uint32_t	id;		/* apid's token */
	char		uid[64], cmd[64], tags[64], schema[64];
	uint32_t	has_tags, has_schema, dst;
	uint64_t	ts, exp;
	char		payload[256];
	size_t		len;
};

static int
get_out_req(struct apid_proc *p, struct out_req *o)
{
	struct ipc_msg			imsg;
	struct ipc_netd_out_request	m;

	memset(o, 0, sizeof(*o));
	if (recv_frame(p, &imsg, 3000) != 1 ||
	    ipc_get_netd_out_request(&imsg, &m) != 0 ||
	    ipc_apid_copy(o->uid, sizeof(o->uid), m.uid) != 0 ||
	    ipc_apid_copy(o->cmd, sizeof(o->cmd), m.cmd) != 0 ||
	    ipc_apid_copy(o->tags, sizeof(o->tags), m.tags) != 0 ||
	    ipc_apid_copy(o->schema, sizeof(o->schema), m.schema) != 0 ||
	    m.len >= sizeof(o->payload))
		return -1;
	o->id = m.id;
	o->has_tags = m.tags.p != NULL;
	o->has_schema = m.schema.p != NULL;
	o->ts = m.ts;
	o->exp = m.exp;
	o->dst = m.dst;
	o->len = m.len;
	if (m.len > 0)
		memcpy(o->payload, m.payload, m.len);
	return 0;
}

static int
uuid_v4(const char *s)
{
	size_t	i;

	if (strlen(s) != 36 || s[14] != '4' || strchr("89ab", s[19]) == NULL)
		return 0;
	for (i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' :
		    strchr("0123456789abcdef", s[i]) == NULL)
			return 0;
	return 1;
}

static Backlog *
backlog(const char *uid, long long *ttl)
{
	struct rreply	*r;
	Backlog		*bl = NULL;

	if ((r = redis_cmdf(srv.port, "GET msgbus.backlog.%s", uid)) == NULL)
		abort();
	if (r->type == '$')
		bl = backlog__unpack(NULL, r->len, (uint8_t *)r->str);
	rreply_free(r);
	if ((r = redis_cmdf(srv.port, "TTL msgbus.backlog.%s", uid)) == NULL)
		abort();
	*ttl = r->integer;
	rreply_free(r);
	return bl;
}

static int
seccomp_mode(pid_t pid)
{
	char	path[64], line[256];
	FILE	*f;
	int	mode = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode;
}

static void
test_requests(struct apid_proc *p, char *uid_out)
{
	struct out_req	o, o2;
	Backlog		*bl;
	char		 json[512];
	long long	 ttl;
	time_t		 now = time(NULL);
	struct ipc_msg	 imsg;
	int		 rc;

	snprintf(json, sizeof(json), "{\"ver\":1,\"ref\":\"r1\","
	    "\"cmd\":\"zos.system.version\",\"exp\":120,\"dat\":\"e30=\","
	    "\"tag\":null,\"dst\":[12,13],\"ret\":\"q.ret\","
	    "\"shm\":\"application/json\",\"now\":%lld}", (long long)now);
	lpush("msgbus.system.local", json);
	nap(300);
	ok(llen("msgbus.system.local") == 1 && recv_frame(p, &imsg, 0) == 0,
	    "credit 0: nothing is popped");

	credit(p, 1);
	ok(get_out_req(p, &o) == 0 && recv_frame(p, &imsg, 300) == 0,
	    "credit 1: one destination of two goes, the other waits");
	ok(llen("msgbus.system.local") == 0 &&
	    llen("msgbus.system.local.pending") == 0, "popped and journaled");
	credit(p, 1);
	ok(get_out_req(p, &o2) == 0, "the next credit: the second one");
	ok(uuid_v4(o.uid) && strcmp(o.uid, o2.uid) == 0 && o.id == o2.id,
	    "one UUID v4 uid and one token for both: %s", o.uid);
	ok(o.dst == 12 && o2.dst == 13, "one per destination, in order");
	ok(strcmp(o.cmd, "zos.system.version") == 0 && !o.has_tags &&
	    o.tags[0] == '\0' && o.has_schema &&
	    strcmp(o.schema, "application/json") == 0,
	    "command, no tags, schema");
	ok(o.ts >= (uint64_t)now && o.ts <= (uint64_t)now + 2 &&
	    o.exp >= 119 && o.exp <= 120, "stamped: timestamp now, exp %llu",
	    (unsigned long long)o.exp);
	ok(o.len == 2 && memcmp(o.payload, "{}", 2) == 0,
	    "the payload is the decoded dat");
	bl = backlog(o.uid, &ttl);
	ok(bl != NULL && strcmp(bl->uid, o.uid) == 0 &&
	    bl->opt_reference_case == BACKLOG__OPT_REFERENCE_REFERENCE &&
	    strcmp(bl->reference, "r1") == 0 &&
	    strcmp(bl->reply_to, "q.ret") == 0 && bl->module[0] == '\0' &&
	    bl->ttl >= 119 && bl->ttl <= 120 && ttl > 170 && ttl <= 185,
	    "backlog stored with reference, reply_to, ttl 120, kept %lld s",
	    ttl);
	if (bl != NULL)
		backlog__free_unpacked(bl, NULL);
	snprintf(uid_out, 64, "%s", o.uid);

	/* No credit left: nothing more is popped. */
	snprintf(json, sizeof(json), "{\"ver\":1,\"cmd\":\"c\",\"exp\":5000,"
	    "\"dat\":\"\",\"dst\":[5],\"ret\":\"q.ret2\",\"now\":0,"
	    "\"tag\":\"fail-fast\"}");
	lpush("msgbus.system.local", json);
	nap(300);
	ok(llen("msgbus.system.local") == 1 && recv_frame(p, &imsg, 0) == 0,
	    "credit spent: nothing is popped");
	credit(p, 1);
	ok(get_out_req(p, &o) == 0 && o.exp == 1800 && o.has_tags &&
	    strcmp(o.tags, "fail-fast") == 0 && o.len == 0 && o.dst == 5,
	    "exp capped at 1800, tags, empty payload");
	bl = backlog(o.uid, &ttl);
	ok(bl != NULL && bl->opt_reference_case ==
	    BACKLOG__OPT_REFERENCE__NOT_SET && bl->ttl == 1800 &&
	    ttl > 1855 && ttl <= 1865, "backlog ttl capped at 1800, no ref");
	if (bl != NULL)
		backlog__free_unpacked(bl, NULL);

	/* A stale client clock shortens the deadline (stamp). */
	credit(p, 1);
	snprintf(json, sizeof(json), "{\"ver\":1,\"cmd\":\"c\",\"exp\":120,"
	    "\"dat\":\"\",\"dst\":[5],\"ret\":\"q.ret2\",\"now\":%lld}",
	    (long long)now - 100);
	lpush("msgbus.system.local", json);
	rc = get_out_req(p, &o);
	ok(rc == 0 && o.exp >= 18 && o.exp <= 20 && o.ts >= (uint64_t)now,
	    "stamp keeps the deadline: exp %llu", (unsigned long long)o.exp);
}

static void
refused(struct apid_proc *p, const char *json, const char *queue,
    const char *want, const char *name)
{
	struct ipc_msg	imsg;
	char		*got;

	lpush("msgbus.system.local", json);
	got = rpop(queue);
	is_json(got, want, name);
	free(got);
	ok(recv_frame(p, &imsg, 50) == 0, "  and nothing sent to netd");
}

static void
test_local_failures(struct apid_proc *p)
{
	struct out_req	o;
	char		json[512], *got;

	credit(p, 1);
	refused(p, "{\"ver\":\"1\",\"ref\":\"r9\",\"ret\":\"q.bad\"}",
	    "q.bad", "{\"ver\":1,\"ref\":\"r9\",\"dat\":\"\",\"src\":\"\","
	    "\"shm\":null,\"now\":0,\"err\":{\"code\":0,\"message\":\"failed "
	    "to load json request: invalid type for `ver`: a string, "
	    "expected an unsigned integer\"}}", "bad type answered on ret");
	refused(p, "{\"ver\":1,\"cmd\":\"c\",\"exp\":10,\"dat\":\"e31\","
	    "\"dst\":[1],\"ret\":\"q.bad\",\"now\":0}", "q.bad",
	    "{\"ver\":1,\"ref\":null,\"dat\":\"\",\"src\":\"\",\"shm\":null,"
	    "\"now\":0,\"err\":{\"code\":0,\"message\":\"failed to load json "
	    "request: invalid base64 in `dat`\"}}", "bad base64 answered");
	refused(p, "{\"ver\":1,\"ref\":\"x\",\"cmd\":\"c\",\"exp\":0,"
	    "\"dat\":\"\",\"dst\":[1],\"ret\":\"q.bad\",\"now\":0}", "q.bad",
	    "{\"ver\":1,\"ref\":\"x\",\"dat\":\"\",\"src\":\"\",\"shm\":null,"
	    "\"now\":0,\"err\":{\"code\":0,\"message\":\"request has "
	    "expired\"}}", "exp 0 answered as expired");
	refused(p, "{\"ver\":1,\"cmd\":\"c\",\"exp\":10,\"dat\":\"\","
	    "\"dst\":[1],\"ret\":\"q.bad\",\"now\":1000}", "q.bad",
	    "{\"ver\":1,\"ref\":null,\"dat\":\"\",\"src\":\"\",\"shm\":null,"
	    "\"now\":0,\"err\":{\"code\":0,\"message\":\"request has "
	    "expired\"}}", "an old request answered as expired");
	refused(p, "{\"ver\":1,\"cmd\":\"c\",\"exp\":10,\"dat\":\"\","
	    "\"dst\":[],\"ret\":\"q.bad\",\"now\":0}", "q.bad",
	    "{\"ver\":1,\"ref\":null,\"dat\":\"\",\"src\":\"\",\"shm\":null,"
	    "\"now\":0,\"err\":{\"code\":0,\"message\":\"no destination\"}}",
	    "no destination answered");
	lpush("msgbus.system.local", "{\"ver\":1,\"ref\":\"a\\u0000b\","
	    "\"cmd\":\"c\",\"exp\":10,\"dat\":\"\",\"dst\":[1],"
	    "\"ret\":\"q.bad\",\"now\":0}");
	got = rpop("q.bad");
	ok(got != NULL && strncmp(got, "{\"ver\":1,\"ref\":\"a\\\\u0000b\","
	    "\"dat\":\"\",\"src\":\"\",\"shm\":null,\"now\":0,\"err\":{"
	    "\"code\":0,\"message\":\"failed to load json request: ", 101) == 0,
	    "a NUL in ref: answered, the ref escaped as written");
	if (got != NULL)
		diag("%s", got);
	free(got);
	lpush("msgbus.system.local", "{\"ver\":1,\"ref\":\"x\xff\xc3\","
	    "\"cmd\":\"c\",\"exp\":10,\"dat\":\"\",\"dst\":[1],"
	    "\"ret\":\"q.bad\",\"now\":0}");
	got = rpop("q.bad");
	ok(got != NULL && strncmp(got, "{\"ver\":1,\"ref\":\"x\xef\xbf\xbd"
	    "\xef\xbf\xbd\",", 25) == 0, "bad UTF-8 in ref: answered, each bad "
	    "byte as U+FFFD");
	free(got);
	ok(llen("msgbus.system.local.pending") == 0,
	    "  and neither stays pending");
	lpush("msgbus.system.local", "this is not json");
	ok(wait_log(p->log, "failed to load json request: expected a JSON "
	    "object (no ret queue to answer)", 3000) == 0,
	    "unanswerable garbage is logged");

	/* The refusals cost no credit: the one granted above still stands. */
	snprintf(json, sizeof(json), "{\"ver\":1,\"cmd\":\"c\",\"exp\":10,"
	    "\"dat\":\"\",\"dst\":[3],\"ret\":\"q.ok\",\"now\":0}");
	lpush("msgbus.system.local", json);
	ok(get_out_req(p, &o) == 0 && o.dst == 3,
	    "failures cost no credit");
}

static void
test_replies(struct apid_proc *p)
{
	struct ipc_msg			imsg;
	struct ipc_netd_out_response	r;
	int				good;

	credit(p, 3);
	lpush("msgbus.system.reply", "{\"ver\":1,\"ref\":\"u1\","
	    "\"dat\":\"aGk=\",\"dst\":\"7:s1\",\"shm\":\"application/json\","
	    "\"now\":123,\"err\":null}");
	good = recv_frame(p, &imsg, 3000) == 1 &&
	    ipc_get_netd_out_response(&imsg, &r) == 0 &&
	    is_field(r.uid, "u1") && r.dst == 7 && is_field(r.conn, "s1") &&
	    is_field(r.schema, "application/json") && r.ts == 123 &&
	    r.exp == 3600 && !r.is_error && r.code == 0 && r.msg.len == 0 &&
	    r.len == 2 && memcmp(r.payload, "hi", 2) == 0;
	ok(good, "a reply becomes OUT_RESPONSE (uid = ref, session, 3600)");

	lpush("msgbus.system.reply", "{\"ver\":1,\"dat\":\"aGk=\","
	    "\"dst\":\"9\",\"now\":0,\"err\":{\"code\":42,"
	    "\"message\":\"nope\"}}");
	good = recv_frame(p, &imsg, 3000) == 1 &&
	    ipc_get_netd_out_response(&imsg, &r) == 0 &&
	    is_field(r.uid, "") && r.dst == 9 && r.conn.p == NULL &&
	    r.schema.p == NULL && r.is_error && r.code == 42 &&
	    is_field(r.msg, "nope") && r.len == 0;
	ok(good, "an error reply without ref: uid \"\", is_error, no body");

	lpush("msgbus.system.reply", "{\"ver\":1,\"dat\":\"\",\"dst\":7,"
	    "\"now\":0}");
	ok(wait_log(p->log, "failed to load json response: invalid type for "
	    "`dst`", 3000) == 0 && recv_frame(p, &imsg, 50) == 0,
	    "a reply with a numeric dst is logged, not sent");
}

static void
in_response(struct apid_proc *p, const char *uid, uint32_t twin,
    const char *conn, const char *schema, uint64_t ts, int is_error,
    uint32_t code, const char *msg, const char *payload)
{
	struct ipc_apid_in_response	m;

	m.uid = ipc_apid_str(uid);
	m.src = twin;
	m.conn = ipc_apid_str(conn);
	m.schema = ipc_apid_str(schema);
	m.ts = ts;
	m.is_error = is_error;
	m.code = code;
	m.msg = ipc_apid_str(msg);
	m.payload = (const uint8_t *)payload;
	m.len = strlen(payload);
	send_frame(p, ipc_build_apid_in_response(&m));
}

static void
test_incoming(struct apid_proc *p, const char *uid)
{
	const char	*fill[] = { "EVAL", "for i = 1, 10005 do "
			    "redis.call('RPUSH', KEYS[1], i) end", "1",
			    "msgbus.full" };
	struct ipc_apid_in_request	 m;
	struct rreply			*r;
	char				*got;

	m.uid = ipc_apid_str("8f9e7c9a-4b1e-4d2a-9a55-0a1b2c3d4e5f");
	m.src = 7;
	m.conn = ipc_apid_str("c1");
	m.cmd = ipc_apid_str("zos.system.version");
	m.ts = 1700000000;
	m.exp = 300;
	m.tags = ipc_apid_str(NULL);
	m.schema = ipc_apid_str("application/json");
	m.payload = (const uint8_t *)"{\"a\":1}";
	m.len = 7;
	send_frame(p, ipc_build_apid_in_request(&m));
	got = rpop("msgbus.zos.system.version");
	is_json(got, "{\"ver\":1,\"ref\":\"8f9e7c9a-4b1e-4d2a-9a55-"
	    "0a1b2c3d4e5f\",\"src\":\"7:c1\",\"cmd\":\"zos.system.version\","
	    "\"exp\":300,\"dat\":\"eyJhIjoxfQ==\",\"tag\":null,"
	    "\"ret\":\"msgbus.system.reply\",\"shm\":\"application/json\","
	    "\"now\":1700000000}", "IN_REQUEST pushed to msgbus.<cmd>");
	free(got);

	/* A full list keeps the newest 10000. */
	r = redis_cmd(srv.port, 4, fill, NULL);
	rreply_free(r);
	m.uid = ipc_apid_str("u2");
	m.src = 8;
	m.conn = ipc_apid_str(NULL);
	m.cmd = ipc_apid_str("full");
	m.ts = 1;
	m.exp = 2;
	m.tags = ipc_apid_str("t\"1");
	m.schema = ipc_apid_str(NULL);
	m.payload = NULL;
	m.len = 0;
	send_frame(p, ipc_build_apid_in_request(&m));
	nap(300);
	r = redis_cmdf(srv.port, "LINDEX msgbus.full 0");
	ok(llen("msgbus.full") == 10000 && r != NULL && r->type == '$' &&
	    strcmp(r->str, "{\"ver\":1,\"ref\":\"u2\",\"src\":\"8\","
	    "\"cmd\":\"full\",\"exp\":2,\"dat\":\"\",\"tag\":\"t\\\"1\","
	    "\"ret\":\"msgbus.system.reply\",\"shm\":null,\"now\":1}") == 0,
	    "LTRIM keeps 10000, the newest first");
	rreply_free(r);

	in_response(p, uid, 12, NULL, "application/json", 1700000005, 0, 0,
	    "", "\"v1.5.1\"");
	got = rpop("q.ret");
	is_json(got, "{\"ver\":1,\"ref\":\"r1\",\"dat\":\"InYxLjUuMSI=\","
	    "\"src\":\"12\",\"shm\":\"application/json\",\"now\":1700000005,"
	    "\"err\":null}", "IN_RESPONSE pushed to the backlog's reply_to");
	free(got);
	in_response(p, uid, 13, "s9", NULL, 1700000006, 1, 104, "invalid "
	    "envelope signature: bad", "");
	got = rpop("q.ret");
	is_json(got, "{\"ver\":1,\"ref\":\"r1\",\"dat\":\"\",\"src\":\"13:s9\","
	    "\"shm\":null,\"now\":1700000006,\"err\":{\"code\":104,"
	    "\"message\":\"invalid envelope signature: bad\"}}",
	    "a second (error) reply on the same backlog");
	free(got);
	in_response(p, uid, 0, NULL, NULL, 1700000007, 1, 0,
	    "destination offline", "");
	got = rpop("q.ret");
	is_json(got, "{\"ver\":1,\"ref\":\"r1\",\"dat\":\"\",\"src\":\"0\","
	    "\"shm\":null,\"now\":1700000007,\"err\":{\"code\":0,"
	    "\"message\":\"destination offline\"}}", "a relay report: src 0");
	free(got);
	in_response(p, "no-such-uid", 12, NULL, NULL, 1, 0, 0, "", "x");
	ok(wait_log(p->log, "received reply of an expired message", 3000) ==
	    0, "a reply without backlog is logged");

}

static void
sent(struct apid_proc *p, uint32_t id)
{
	struct ipc_apid_sent	s = { id };

	if (ipc_put_apid_sent(&p->netd, &s) != 0 || ipc_flush(&p->netd) != 0)
		abort();
}

static void
send_failed(struct apid_proc *p, uint32_t id, const char *uid,
    uint32_t twin, uint32_t code, const char *msg)
{
	struct ipc_apid_send_failed	f;

	f.id = id;
	f.uid = ipc_apid_str(uid);
	f.dst = twin;
	f.code = code;
	f.msg = ipc_apid_str(msg);
	send_frame(p, ipc_build_apid_send_failed(&f));
}

/* A command of two or three words; NULL arg3 for two. */
static struct rreply *
cmd3(const char *a1, const char *a2, const char *a3)
{
	const char	*argv[3] = { a1, a2, a3 };
	struct rreply	*r;

	if ((r = redis_cmd(srv.port, a3 != NULL ? 3 : 2, argv, NULL)) == NULL)
		abort();
	return r;
}

static long long
redis_int(const char *a1, const char *a2, const char *a3)
{
	struct rreply	*r = cmd3(a1, a2, a3);
	long long	 n = r->type == ':' ? r->integer : -1;

	rreply_free(r);
	return n;
}

static char *
redis_str(const char *a1, const char *a2, const char *a3)
{
	struct rreply	*r = cmd3(a1, a2, a3);
	char		*v = r->type == '$' ? strdup(r->str) : NULL;

	rreply_free(r);
	return v;
}

/*
 * One answer per destination: a twin named twice owes two, a third
 * copy is dropped, a send failure is an answer, and the journal goes
 * once every destination left.
 */
static void
test_exactly_once(struct apid_proc *p)
{
	struct out_req	 o[3];
	char		 json[512], key[128], *got, *v;
	int		 i, good = 1;

	snprintf(json, sizeof(json), "{\"ver\":1,\"ref\":\"x1\","
	    "\"cmd\":\"c\",\"exp\":60,\"dat\":\"\",\"dst\":[21,22,21],"
	    "\"ret\":\"q.x\",\"now\":0}");
	lpush("msgbus.system.local", json);
	credit(p, 3);
	for (i = 0; i < 3; i++)
		good &= get_out_req(p, &o[i]) == 0;
	ok(good && o[0].dst == 21 && o[1].dst == 22 && o[2].dst == 21,
	    "three destinations, one twin twice");
	snprintf(key, sizeof(key), "msgbus.backlog.%s.waiting", o[0].uid);
	v = redis_str("HGET", key, "21");
	ok(v != NULL && strcmp(v, "2") == 0 && redis_int("HLEN", key, NULL) == 3,
	    "what each destination owes is journaled: 21 twice, 22 once");
	free(v);
	v = redis_str("HGET", "msgbus.system.inflight", o[0].uid);
	ok(v != NULL && strstr(v, json) != NULL,
	    "the request is in the inflight journal");
	free(v);
	v = redis_str("ZSCORE", "msgbus.system.deadlines", o[0].uid);
	ok(v != NULL && strtoull(v, NULL, 10) == o[0].ts + o[0].exp,
	    "and its deadline is kept: %s", v != NULL ? v : "none");
	free(v);

	in_response(p, o[0].uid, 21, NULL, NULL, 1, 0, 0, "", "a");
	in_response(p, o[0].uid, 21, NULL, NULL, 2, 0, 0, "", "b");
	in_response(p, o[0].uid, 21, NULL, NULL, 3, 0, 0, "", "c");
	ok(wait_log(p->log, "was answered already: duplicate dropped", 3000)
	    == 0 && llen("q.x") == 2, "two answers of 21; a third is dropped");
	/* The expiry is set within a second of the push. */
	for (i = 0; i < 30 && redis_int("TTL", "q.x", NULL) < 0; i++)
		nap(100);
	ok(redis_int("TTL", "q.x", NULL) > 3500,
	    "an answer sets the reply list's expiry");
	got = rpop("q.x");
	ok(got != NULL && strstr(got, "\"now\":1,") != NULL,
	    "first answer of 21, in order");
	free(got);
	got = rpop("q.x");
	ok(got != NULL && strstr(got, "\"now\":2,") != NULL,
	    "second answer of 21");
	free(got);

	send_failed(p, o[1].id, o[1].uid, 22, 103, "unknown twin id '22'");
	got = rpop("q.x");
	is_json(got, "{\"ver\":1,\"ref\":\"x1\",\"dat\":\"\",\"src\":\"\","
	    "\"shm\":null,\"now\":0,\"err\":{\"code\":103,"
	    "\"message\":\"unknown twin id '22'\"}}",
	    "SEND_FAILED answered from the backlog");
	free(got);
	in_response(p, o[0].uid, 22, NULL, NULL, 4, 0, 0, "", "d");
	ok(wait_log(p->log, "twin 22 was answered already", 3000) == 0 &&
	    llen("q.x") == 0, "so a late response of 22 is dropped");
	v = redis_str("ZSCORE", "msgbus.system.deadlines", o[0].uid);
	ok(v == NULL, "all answered: the deadline is gone");
	free(v);

	sent(p, o[0].id);
	sent(p, o[0].id);
	nap(200);
	v = redis_str("HGET", "msgbus.system.inflight", o[0].uid);
	ok(v == NULL, "every destination left: the journal is dropped");
	free(v);
}

/* A destination that never answers is answered after the deadline. */
static void
test_deadline(struct apid_proc *p)
{
	struct out_req	 o[2];
	char		 json[512], *got;
	time_t		 t0 = time(NULL);

	snprintf(json, sizeof(json), "{\"ver\":1,\"ref\":\"d1\","
	    "\"cmd\":\"c\",\"exp\":2,\"dat\":\"\",\"dst\":[31,32],"
	    "\"ret\":\"q.d\",\"now\":0}");
	lpush("msgbus.system.local", json);
	credit(p, 2);
	if (get_out_req(p, &o[0]) != 0 || get_out_req(p, &o[1]) != 0) {
		ok(0, "the request goes out");
		return;
	}
	sent(p, o[0].id);
	sent(p, o[0].id);
	in_response(p, o[0].uid, 31, NULL, NULL, 1, 0, 0, "", "a");
	got = rpop("q.d");
	ok(got != NULL && strstr(got, "\"src\":\"31\"") != NULL,
	    "31 answers");
	free(got);
	got = NULL;
	while (got == NULL && time(NULL) < t0 + 15)
		got = rpop("q.d");
	ok(got != NULL && strstr(got, "\"ref\":\"d1\"") != NULL &&
	    strstr(got, "\"src\":\"32\"") != NULL &&
	    strstr(got, "\"code\":500,\"message\":\"other: no response "
	    "before the request's deadline\"") != NULL &&
	    time(NULL) >= t0 + 2 + 5, "32 did not: answered with 500 after "
	    "the deadline and its grace (%lld s)",
	    (long long)(time(NULL) - t0));
	if (got != NULL)
		diag("%s", got);
	free(got);
	nap(1500);
	ok(llen("q.d") == 0, "31 is not answered twice");
	in_response(p, o[0].uid, 32, NULL, NULL, 1, 0, 0, "", "late");
	ok(wait_log(p->log, "twin 32 was answered already", 3000) == 0 &&
	    llen("q.d") == 0, "a response after that is dropped");
}
static void
test_redis_errors(struct apid_proc *p)
{
	const char	*fill[] = { "EVAL", "for i = 1, 10005 do "
			    "redis.call('RPUSH', KEYS[1], i) end", "1",
			    "q.full" };
	struct rreply	*r;
	struct out_req	 o;
	char		*got, key[160];
	int		 i;

	/* Spend the credit left over, so that no BRPOP is waiting. */
	lpush("msgbus.system.local", "{\"ver\":1,\"cmd\":\"c\",\"exp\":10,"
	    "\"dat\":\"\",\"dst\":[4],\"ret\":\"q.s\",\"now\":0}");
	ok(get_out_req(p, &o) == 0 && o.dst == 4, "the last credit spent");
	/* A wrong type makes BRPOP fail; apid waits and tries again. */
	r = redis_cmdf(srv.port, "SET msgbus.system.local oops");
	rreply_free(r);
	credit(p, 1);
	ok(wait_log(p->log, "BLMOVE: WRONGTYPE", 3000) == 0,
	    "an error reply to the pop is logged");
	r = redis_cmdf(srv.port, "DEL msgbus.system.local");
	rreply_free(r);
	lpush("msgbus.system.local", "{\"ver\":1,\"cmd\":\"c\",\"exp\":10,"
	    "\"dat\":\"\",\"dst\":[4],\"ret\":\"q.s\",\"now\":0}");
	ok(get_out_req(p, &o) == 0 && o.dst == 4,
	    "and popping resumes once it is fixed");

	r = redis_cmdf(srv.port, "SET q.string x");
	rreply_free(r);
	credit(p, 1);
	lpush("msgbus.system.local", "{\"ver\":1,\"cmd\":\"c\",\"exp\":0,"
	    "\"dat\":\"\",\"dst\":[4],\"ret\":\"q.string\",\"now\":0}");
	ok(wait_log(p->log, "cannot push to q.string", 3000) == 0,
	    "a push that fails is logged");
	ok(redis_int("TTL", "q.string", NULL) == -1 &&
	    llen("msgbus.system.local.pending") == 0,
	    "a ret key that is no list gets no expiry; the request is gone");
	lpush("msgbus.system.local", "{\"ver\":1,\"cmd\":\"c\",\"exp\":0,"
	    "\"dat\":\"\",\"dst\":[4],\"ret\":\"q.after\",\"now\":0}");
	got = rpop("q.after");
	ok(got != NULL && proc_exited(p->pid, NULL) == 0,
	    "apid goes on after redis error replies");
	free(got);

	/*
	 * A journal redis refuses, for a request netd was handed at once:
	 * the caller is answered with 500, the request's answer is dropped.
	 */
	r = redis_cmdf(srv.port, "SET msgbus.system.deadlines oops");
	rreply_free(r);
	credit(p, 1);
	lpush("msgbus.system.local", "{\"ver\":1,\"ref\":\"jf\",\"cmd\":\"c\","
	    "\"exp\":60,\"dat\":\"\",\"dst\":[4],\"ret\":\"q.jf\",\"now\":0}");
	got = NULL;
	if (get_out_req(p, &o) == 0)
		got = rpop("q.jf");
	ok(got != NULL && strstr(got, "\"ref\":\"jf\"") != NULL &&
	    strstr(got, "\"code\":500,\"message\":\"other: WRONGTYPE") !=
	    NULL, "a journal redis refuses is answered with 500");
	free(got);
	in_response(p, o.uid, 4, NULL, NULL, 1, 0, 0, "", "late");
	sent(p, o.id);
	snprintf(key, sizeof(key), "received reply of an expired message "
	    "(uid %s)", o.uid);
	ok(wait_log(p->log, key, 3000) == 0 && llen("q.jf") == 0 &&
	    llen("msgbus.system.local.pending") == 0 &&
	    proc_exited(p->pid, NULL) == 0,
	    "and the answer of the request, which went out, is dropped");
	r = redis_cmdf(srv.port, "DEL msgbus.system.deadlines");
	rreply_free(r);

	/*
	 * A ret that a client turns into a string after the request was
	 * journaled: the answer's push fails, which is logged, and the
	 * string gets no expiry.
	 */
	credit(p, 1);
	lpush("msgbus.system.local", "{\"ver\":1,\"ref\":\"tw\",\"cmd\":\"c\","
	    "\"exp\":60,\"dat\":\"\",\"dst\":[4],\"ret\":\"q.turn\",\"now\":0}");
	if (get_out_req(p, &o) != 0) {
		ok(0, "the request goes out");
		return;
	}
	nap(200);
	r = redis_cmdf(srv.port, "SET q.turn x");
	rreply_free(r);
	in_response(p, o.uid, 4, NULL, NULL, 1, 0, 0, "", "a");
	snprintf(key, sizeof(key), "cannot answer %s on q.turn: WRONGTYPE",
	    o.uid);
	ok(wait_log(p->log, key, 3000) == 0,
	    "a ret that became no list: the failed push is logged");
	nap(1500);
	ok(redis_int("TTL", "q.turn", NULL) == -1 &&
	    proc_exited(p->pid, NULL) == 0,
	    "and the key gets no expiry");
	sent(p, o.id);

	/* An answer to a full ret list trims it to the newest 10000. */
	credit(p, 1);
	lpush("msgbus.system.local", "{\"ver\":1,\"ref\":\"fu\",\"cmd\":\"c\","
	    "\"exp\":60,\"dat\":\"\",\"dst\":[4],\"ret\":\"q.full\",\"now\":0}");
	if (get_out_req(p, &o) != 0) {
		ok(0, "the request goes out");
		return;
	}
	r = redis_cmd(srv.port, 4, fill, NULL);
	rreply_free(r);
	in_response(p, o.uid, 4, NULL, NULL, 1, 0, 0, "", "a");
	for (i = 0; i < 30 && llen("q.full") != 10000; i++)
		nap(100);
	r = redis_cmdf(srv.port, "LINDEX q.full 0");
	ok(llen("q.full") == 10000 && r != NULL && r->type == '$' &&
	    strstr(r->str, "\"ref\":\"fu\"") != NULL,
	    "an answer to a full ret list keeps the newest 10000");
	rreply_free(r);
	sent(p, o.id);
}

/* A journal as a previous run left it, for a fresh apid to recover. */
static void
journal(const char *uid, const char *ref, uint64_t ts, uint64_t exp,
    const char *json, const char *owe)
{
	Backlog		 bl = BACKLOG__INIT;
	const char	*argv[4];
	size_t		 argvlen[4];
	uint8_t		 buf[256];
	char		 key[128], rec[512], dl[32];
	struct rreply	*r;

	bl.uid = (char *)uid;
	bl.opt_reference_case = BACKLOG__OPT_REFERENCE_REFERENCE;
	bl.reference = (char *)ref;
	bl.reply_to = (char *)"q.rec";
	bl.module = (char *)"";
	bl.ttl = exp;
	snprintf(key, sizeof(key), "msgbus.backlog.%s", uid);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = (const char *)buf;
	argvlen[0] = 3;
	argvlen[1] = strlen(key);
	argvlen[2] = backlog__pack(&bl, buf);
	if ((r = redis_cmd(srv.port, 3, argv, argvlen)) == NULL)
		abort();
	rreply_free(r);
	snprintf(key, sizeof(key), "msgbus.backlog.%s.waiting", uid);
	if ((r = redis_cmdf(srv.port, "HSET %s _ 1 %s 1", key, owe)) == NULL)
		abort();
	rreply_free(r);
	snprintf(rec, sizeof(rec), "%llu %llu %s", (unsigned long long)ts,
	    (unsigned long long)exp, json);
	argv[0] = "HSET";
	argv[1] = "msgbus.system.inflight";
	argv[2] = uid;
	argv[3] = rec;
	if ((r = redis_cmd(srv.port, 4, argv, NULL)) == NULL)
		abort();
	rreply_free(r);
	snprintf(dl, sizeof(dl), "%llu", (unsigned long long)(ts + exp));
	argv[0] = "ZADD";
	argv[1] = "msgbus.system.deadlines";
	argv[2] = dl;
	argv[3] = uid;
	if ((r = redis_cmd(srv.port, 4, argv, NULL)) == NULL)
		abort();
	rreply_free(r);
}

/* calls= of one command in INFO commandstats, 0 if it never ran. */
static long long
calls_of(const char *name)
{
	struct rreply	*r;
	char		 key[64], *q;
	long long	 n = 0;

	if ((r = redis_cmdf(srv.port, "INFO commandstats")) == NULL)
		abort();
	snprintf(key, sizeof(key), "cmdstat_%s:calls=", name);
	if (r->type == '$' && (q = strstr(r->str, key)) != NULL)
		n = strtoll(q + strlen(key), NULL, 10);
	rreply_free(r);
	return n;
}

#define BURST	1000

/*
 * A burst in one LPUSH, netd granting a credit back for each request
 * it takes, as it does: every request goes out once, in the order
 * pushed, in far fewer transactions than requests (a batch takes the
 * next, doc/protocol.md §6.5); every answer reaches ret once, in order.
 * Then replies in one LPUSH, popped several at once (BLMPOP).
 */
static void
test_burst(const char *url)
{
	struct apid_proc	 p;
	struct out_req		 o;
	struct ipc_msg		 imsg;
	struct ipc_netd_out_response r;
	const char		**argv;
	char			**json, log[300], want[160], *got;
	static char		 uids[BURST][64];
	long long		 exec0, pop0;
	int			 i, order = 1, once = 1, n;

	redis_int("FLUSHALL", "SYNC", NULL);
	snprintf(log, sizeof(log), "%s/apid6.log", srv.dir);
	if (apid_start(&p, log) != 0 || send_config(&p, url) != 0)
		abort();
	wait_log(log, "ready", 5000);
	if ((argv = calloc(2 + BURST, sizeof(*argv))) == NULL ||
	    (json = calloc(BURST, sizeof(*json))) == NULL)
		abort();
	argv[0] = "LPUSH";
	argv[1] = "msgbus.system.local";
	for (i = 0; i < BURST; i++) {
		if (asprintf(&json[i], "{\"ver\":1,\"ref\":\"b%d\","
		    "\"cmd\":\"c%d\",\"exp\":60,\"dat\":\"\",\"dst\":[5],"
		    "\"ret\":\"q.burst\",\"now\":0}", i, i) == -1)
			abort();
		argv[2 + i] = json[i];
	}
	exec0 = calls_of("exec");
	rreply_free(redis_cmd(srv.port, 2 + BURST, argv, NULL));
	credit(&p, 64);
	for (i = 0, n = 0; i < BURST; i++, n++) {
		if (get_out_req(&p, &o) != 0)
			break;
		snprintf(want, sizeof(want), "c%d", i);
		if (strcmp(o.cmd, want) != 0 && order) {
			diag("request %d came as %s", i, o.cmd);
			order = 0;
		}
		credit(&p, 1);
		sent(&p, o.id);
		snprintf(uids[i], sizeof(uids[i]), "%s", o.uid);
	}
	ok(n == BURST && order, "a burst of %d requests in one LPUSH: %d "
	    "go to netd, in order", BURST, n);
	nap(200);
	ok(calls_of("exec") - exec0 < BURST / 4, "in %lld transactions",
	    calls_of("exec") - exec0);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "r%d", i);
		in_response(&p, uids[i], 5, NULL, NULL, 1, 0, 0, "", want);
	}
	for (i = 0, n = 0; i < BURST; i++) {
		if ((got = rpop("q.burst")) == NULL)
			break;
		snprintf(want, sizeof(want), "\"ref\":\"b%d\"", i);
		if (strstr(got, want) != NULL)
			n++;
		else if (order) {
			diag("answer %d: %s", i, got);
			order = 0;
		}
		free(got);
	}
	nap(200);
	once = llen("q.burst") == 0;
	ok(n == BURST && order && once, "all %d answers reach ret, each "
	    "once, in order (%d)", BURST, n);

	/* A redis that lost its scripts (a restart) gets their text again. */
	redis_int("SCRIPT", "FLUSH", NULL);
	lpush("msgbus.system.local", json[0]);
	got = NULL;
	if (get_out_req(&p, &o) == 0) {
		credit(&p, 1);
		sent(&p, o.id);
		in_response(&p, o.uid, 5, NULL, NULL, 1, 0, 0, "", "again");
		got = rpop("q.burst");
	}
	ok(got != NULL && strstr(got, "\"ref\":\"b0\"") != NULL,
	    "after SCRIPT FLUSH the answer still comes (EVALSHA, then EVAL)");
	free(got);

	/* Decided here: a duplicate, then a relay's report for the last. */
	lpush("msgbus.system.local", "{\"ver\":1,\"ref\":\"d2\",\"cmd\":\"c\","
	    "\"exp\":60,\"dat\":\"\",\"dst\":[41,42],\"ret\":\"q.d2\","
	    "\"now\":0}");
	for (i = 0, n = 0; i < 2; i++)
		if (get_out_req(&p, &o) == 0) {
			credit(&p, 1);
			sent(&p, o.id);
			n++;
		}
	in_response(&p, o.uid, 41, NULL, NULL, 1, 0, 0, "", "a");
	in_response(&p, o.uid, 41, NULL, NULL, 2, 0, 0, "", "b");
	snprintf(want, sizeof(want), "response %s from twin 41 was answered",
	    o.uid);
	ok(n == 2 && wait_log(log, want, 3000) == 0,
	    "a second answer of a twin is dropped");
	in_response(&p, o.uid, 0, NULL, NULL, 3, 1, 0, "route", "");
	in_response(&p, o.uid, 42, NULL, NULL, 4, 0, 0, "", "c");
	snprintf(want, sizeof(want), "response %s from twin 42 was answered",
	    o.uid);
	/* The log line can come before the report's answer is in redis. */
	ok(wait_log(log, want, 3000) == 0 && llen_reaches("q.d2", 2, 3000),
	    "a relay's report counts for the one twin that still owes");
	got = redis_str("ZSCORE", "msgbus.system.deadlines", o.uid);
	ok(got == NULL, "and the request's deadline is gone");
	free(got);

	pop0 = calls_of("blmpop");
	argv[1] = "msgbus.system.reply";
	for (i = 0; i < 200; i++) {
		free(json[i]);
		if (asprintf(&json[i], "{\"ver\":1,\"ref\":\"u%d\","
		    "\"dat\":\"\",\"dst\":\"7\",\"now\":0,\"err\":null}",
		    i) == -1)
			abort();
		argv[2 + i] = json[i];
	}
	rreply_free(redis_cmd(srv.port, 2 + 200, argv, NULL));
	credit(&p, 200);
	for (i = 0, order = 1; i < 200; i++) {
		snprintf(want, sizeof(want), "u%d", i);
		if (recv_frame(&p, &imsg, 3000) != 1 ||
		    ipc_get_netd_out_response(&imsg, &r) != 0 ||
		    !is_field(r.uid, want)) {
			order = 0;
			break;
		}
	}
	ok(order, "200 replies in one LPUSH go to netd in order (%d)", i);
	ok(calls_of("blmpop") - pop0 < 200, "with %lld pops (BLMPOP)",
	    calls_of("blmpop") - pop0);
	for (i = 0; i < BURST; i++)
		free(json[i]);
	free(json);
	free(argv);
	close(p.parent.fd);
	p.parent.fd = -1;
	for (i = 0; i < 300 && proc_exited(p.pid, NULL) == 0; i++)
		nap(10);
	apid_clear(&p);
}

/*
 * A fresh apid finds what the last one left: a request popped but not
 * journaled goes back to the queue, a journaled one goes again to the
 * twins that still owe an answer, one too late for that is answered.
 */
static void
test_recovery(const char *url)
{
	struct apid_proc p;
	struct out_req	 o[2];
	char		 log[300], *got, json[256];
	time_t		 now = time(NULL);
	int		 i, seen52 = 0, seen61 = 0;

	redis_int("FLUSHALL", "SYNC", NULL);
	snprintf(json, sizeof(json), "{\"ver\":1,\"ref\":\"pend\","
	    "\"cmd\":\"c\",\"exp\":60,\"dat\":\"\",\"dst\":[61],"
	    "\"ret\":\"q.rec\",\"now\":0}");
	lpush("msgbus.system.local.pending", json);
	journal("11111111-1111-4111-8111-111111111111", "rec1",
	    (uint64_t)now, 60, "{\"ver\":1,\"ref\":\"rec1\",\"cmd\":\"c\","
	    "\"exp\":60,\"dat\":\"aGk=\",\"dst\":[51,52],\"ret\":\"q.rec\","
	    "\"now\":0}", "52");
	journal("22222222-2222-4222-8222-222222222222", "rec2",
	    (uint64_t)now - 100, 10, "{\"ver\":1,\"ref\":\"rec2\","
	    "\"cmd\":\"c\",\"exp\":10,\"dat\":\"\",\"dst\":[53],"
	    "\"ret\":\"q.rec\",\"now\":0}", "53");
	snprintf(log, sizeof(log), "%s/apid5.log", srv.dir);
	if (apid_start(&p, log) != 0 || send_config(&p, url) != 0)
		abort();
	wait_log(log, "ready", 5000);
	credit(&p, 5);
	for (i = 0; i < 2; i++) {
		if (get_out_req(&p, &o[i]) != 0)
			break;
		if (strcmp(o[i].uid, "11111111-1111-4111-8111-111111111111")
		    == 0 && o[i].dst == 52 && o[i].len == 2 &&
		    o[i].ts == (uint64_t)now)
			seen52++;
		else if (o[i].dst == 61 && strcmp(o[i].uid,
		    "11111111-1111-4111-8111-111111111111") != 0)
			seen61++;
		else
			diag("unexpected: %s to %u", o[i].uid, o[i].dst);
	}
	if (i < 2)
		diag("only %d request(s) came", i);
	ok(seen52 == 1, "a journaled request goes again, to the twin that "
	    "still owes, with its uid and timestamp");
	ok(seen61 == 1, "a request popped but not journaled is popped again");
	got = rpop("q.rec");
	ok(got != NULL && strncmp(got, "{\"ver\":1,\"ref\":\"rec2\","
	    "\"dat\":\"\",\"src\":\"53\",\"shm\":null,\"now\":", 54) == 0 &&
	    strstr(got, ",\"err\":{\"code\":500,\"message\":\"other: the "
	    "request was lost when rmb-peer restarted\"}}") != NULL,
	    "one too late is answered, naming the restart");
	if (got != NULL)
		diag("%s", got);
	free(got);
	in_response(&p, "11111111-1111-4111-8111-111111111111", 52, NULL,
	    NULL, 1, 0, 0, "", "x");
	got = rpop("q.rec");
	ok(got != NULL && strstr(got, "\"ref\":\"rec1\",\"dat\":\"eA==\","
	    "\"src\":\"52\"") != NULL, "an answer to a request of the last "
	    "run is claimed, then pushed where its backlog says");
	free(got);
	ok(llen("msgbus.system.local.pending") == 0, "nothing stays pending");
	apid_clear(&p);
}

int
main(void)
{
	struct apid_proc	 p, q;
	struct ipc_msg		 imsg;
	struct ipc_netd_credit	 one = { 1 };
	char			 url[64], log[300], uid[64];
	int			 rc, status;

	signal(SIGPIPE, SIG_IGN);
	if ((rc = redis_start(&srv)) == -2) {
		printf("1..0 # SKIP redis-server is not installed\n");
		return 0;
	}
	if (rc != 0) {
		printf("Bail out! cannot start redis-server\n");
		return 1;
	}
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", srv.port);
	snprintf(log, sizeof(log), "%s/apid.log", srv.dir);
	if (apid_start(&p, log) != 0 || send_config(&p, url) != 0) {
		printf("Bail out! cannot start rmb-apid\n");
		redis_stop(&srv);
		return 1;
	}
	ok(wait_log(log, "ready", 5000) == 0, "rmb-apid starts");
	nap(200);
	ok(seccomp_mode(p.pid) == 2, "it runs under a seccomp filter");
	/* redis answered and the journal was read: it tells its parent. */
	{
		struct ipc_msg	 m;
		struct ipc_rd	 rd;
		uint32_t	 twin = 1;

		rc = recv_on(&p.parent, &m, 5000);
		if (rc == 1)
			ipc_rd_init(&rd, &m);
		ok(rc == 1 && m.hdr.type == IPC_PEER_READY &&
		    ipc_get_u32(&rd, &twin) == 0 && twin == 0 &&
		    ipc_get_end(&rd) == 0, "it tells its parent it is ready "
		    "(IPC_PEER_READY, twin 0)");
		ok(recv_on(&p.parent, &m, 300) == 0, "... once");
	}

	test_requests(&p, uid);
	test_local_failures(&p);
	test_replies(&p);
	test_incoming(&p, uid);
	test_exactly_once(&p);
	test_deadline(&p);
	test_redis_errors(&p);
	ok(seccomp_mode(p.pid) == 2 && proc_exited(p.pid, NULL) == 0,
	    "still running under its filter");

	close(p.parent.fd);
	p.parent.fd = -1;
	for (rc = 0; rc < 300 && proc_exited(p.pid, &status) == 0; rc++)
		nap(10);
	ok(rc < 300 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the parent closing makes it exit 0");
	apid_clear(&p);

	/* A malformed frame from netd is fatal. */
	snprintf(log, sizeof(log), "%s/apid2.log", srv.dir);
	if (apid_start(&q, log) != 0 || send_config(&q, url) != 0)
		abort();
	wait_log(log, "ready", 5000);
	if (ipc_compose(&q.netd, IPC_NETD_CREDIT, 0, "ab", 2) != 0 ||
	    ipc_flush(&q.netd) != 0)
		abort();
	for (rc = 0; rc < 300 && proc_exited(q.pid, &status) == 0; rc++)
		nap(10);
	ok(rc < 300 && WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
	    wait_log(log, "bad message from netd", 100) == 0,
	    "a malformed CREDIT from netd is fatal");
	ok(recv_frame(&q, &imsg, 100) == -1, "  and its channel closes");
	apid_clear(&q);

	/* netd going away is fatal too. */
	snprintf(log, sizeof(log), "%s/apid3.log", srv.dir);
	if (apid_start(&q, log) != 0 || send_config(&q, url) != 0)
		abort();
	wait_log(log, "ready", 5000);
	close(q.netd.fd);
	q.netd.fd = -1;
	for (rc = 0; rc < 300 && proc_exited(q.pid, &status) == 0; rc++)
		nap(10);
	ok(rc < 300 && WIFEXITED(status) && WEXITSTATUS(status) != 0,
	    "netd closing is fatal");
	apid_clear(&q);

	/* Anything but the configuration first is fatal. */
	snprintf(log, sizeof(log), "%s/apid4.log", srv.dir);
	if (apid_start(&q, log) != 0)
		abort();
	ipc_put_netd_credit(&q.parent, &one);
	ipc_flush(&q.parent);
	for (rc = 0; rc < 300 && proc_exited(q.pid, &status) == 0; rc++)
		nap(10);
	ok(rc < 300 && WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
	    wait_log(log, "expected the configuration", 100) == 0,
	    "a first message other than the configuration is fatal");
	apid_clear(&q);

	test_burst(url);
	test_recovery(url);

	if (getenv("APID_KEEP_LOGS") != NULL) {
		snprintf(log, sizeof(log), "cp %s/apid*.log /tmp/", srv.dir);
		if (system(log) != 0)
			diag("cannot copy the logs");
	}
	redis_stop(&srv);
	return done_testing();
}
