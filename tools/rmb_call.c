/* SPDX-License-Identifier: ISC */
/*
 * rmb call: send one request through the local peer's redis and print
 * the answers, one line per destination twin.  Also the redis login that
 * rmb serve shares.
 */
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "msgjson.h"
#include "redisurl.h"
#include "rmb.h"

#define CALL_TIMEOUT	30	/* seconds, -t */
#define CALL_DATA	"null"	/* the body when --data is not given */

redisContext *
rmb_redis_connect(const char *prog, const char *url)
{
	struct redis_url	 u;
	struct timeval		 tv = { 5, 0 };
	redisContext		*c;
	redisReply		*r;
	char			 why[256], db[16];
	const char		*auth[3] = { "AUTH", NULL, NULL };
	const char		*sel[2] = { "SELECT", db };
	int			 n;

	if (redis_url_parse(&u, url, why, sizeof(why)) == -1) {
		fprintf(stderr, "%s: --redis: %s\n", prog, why);
		return NULL;
	}
	if (u.path[0] != '\0')
		c = redisConnectUnixWithTimeout(u.path, tv);
	else
		c = redisConnectWithTimeout(u.host, u.port, tv);
	if (c == NULL || c->err) {
		fprintf(stderr, "%s: redis %s: %s\n", prog,
		    redis_url_where(&u, why, sizeof(why)),
		    c != NULL ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	if (u.pass[0] != '\0') {
		n = 1;
		if (u.user[0] != '\0')
			auth[n++] = u.user;
		auth[n++] = u.pass;
		r = redisCommandArgv(c, n, auth, NULL);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "%s: redis AUTH: %s\n", prog,
			    r != NULL ? r->str : c->errstr);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	if (u.db != 0) {
		snprintf(db, sizeof(db), "%d", u.db);
		r = redisCommandArgv(c, 2, sel, NULL);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "%s: redis SELECT: %s\n", prog,
			    r != NULL ? r->str : c->errstr);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}

/* The body: the text itself, or @FILE's contents (at most ENVELOPE_MAX). */
static int
load_data(const char *arg, uint8_t **out, size_t *len)
{
	ssize_t	n;
	int	fd;

	if (arg[0] != '@') {
		if (strlen(arg) > MSGJSON_DAT_MAX) {
			fprintf(stderr, "rmb call: --data is too long\n");
			return -1;
		}
		*len = strlen(arg);
		if ((*out = malloc(*len + 1)) == NULL)
			return -1;
		memcpy(*out, arg, *len);
		return 0;
	}
	if (strcmp(arg + 1, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(arg + 1, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "rmb call: %s: %s\n", arg + 1, strerror(errno));
		return -1;
	}
	if ((*out = malloc(MSGJSON_DAT_MAX + 1)) == NULL)
		return -1;
	*len = 0;
	while (*len <= MSGJSON_DAT_MAX) {
		n = read(fd, *out + *len, MSGJSON_DAT_MAX + 1 - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (n == -1 || *len > MSGJSON_DAT_MAX) {
		fprintf(stderr, "rmb call: %s: %s\n", arg + 1, n == -1 ?
		    strerror(errno) : "longer than the largest message");
		free(*out);
		return -1;
	}
	return 0;
}

static int
parse_twins(const char *s, struct msg_out_req *req)
{
	char		*end;
	unsigned long	 v;

	for (;;) {
		errno = 0;
		if (*s < '0' || *s > '9' || req->ndst == MSGJSON_DST_MAX)
			return -1;
		v = strtoul(s, &end, 10);
		if (errno != 0 || v == 0 || v > UINT32_MAX)
			return -1;
		req->dst[req->ndst++] = (uint32_t)v;
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

/* The twin a response names, or 0 when it does not (local, relay). */
static uint32_t
src_twin(const char *src)
{
	unsigned long	v;
	char		*end;

	if (*src < '0' || *src > '9')
		return 0;
	v = strtoul(src, &end, 10);
	return (*end == '\0' || *end == ':') && v <= UINT32_MAX ?
	    (uint32_t)v : 0;
}

static void
print_response(const struct msg_in_resp *m)
{
	const char	*src = m->src[0] != '\0' ? m->src : "(local)";

	if (m->has_err) {
		printf("%s: error %" PRIu32 ": %s\n", src, m->err.code,
		    m->err.message);
		return;
	}
	printf("%s: ", src);
	fwrite(m->dat, 1, m->datlen, stdout);
	printf("\n");
	fflush(stdout);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: rmb call -d twin[,twin...] -c command "
	    "[--data json | --data @file]\n"
	    "                [-t seconds] [--redis url]\n");
	if (f != stdout)
		return;
	fprintf(f, "  -d, --dst twin,...     the destination twins\n"
	    "  -c, --cmd command      the remote command\n"
	    "      --data json|@file  the request body (null); @- reads "
	    "standard input\n"
	    "  -t, --timeout secs     the request's life and the wait (30)\n"
	    "      --redis url        the peer's redis "
	    "(redis://localhost:6379)\n"
	    "  -h, --help             print this help and exit\n");
}

int
cmd_call(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "cmd", required_argument, NULL, 'c' },
		{ "data", required_argument, NULL, 'D' },
		{ "timeout", required_argument, NULL, 't' },
		{ "redis", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct msg_out_req	 req;
	static struct msg_in_resp	 resp;
	redisContext			*c = NULL;
	redisReply			*r;
	const char			*url = REDISURL_DEFAULT;
	const char			*data = CALL_DATA, *argvp[3];
	char				 uid[MSGJSON_UUID_LEN + 1];
	char				 why[256];
	char				*json = NULL, *end;
	uint8_t				*answered = NULL;
	size_t				 len, i, got = 0;
	unsigned long			 t = CALL_TIMEOUT;
	time_t				 deadline, now;
	uint32_t			 twin;
	int				 ch, rc = 1, failed = 0;

	memset(&req, 0, sizeof(req));
	while ((ch = getopt_long(argc, argv, "d:c:ht:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'd':
			if (parse_twins(optarg, &req) != 0) {
				fprintf(stderr, "rmb call: -d takes twin ids "
				    "separated by commas\n");
				return 2;
			}
			break;
		case 'c':
			if (strlen(optarg) >= sizeof(req.cmd)) {
				fprintf(stderr, "rmb call: -c is too long\n");
				return 2;
			}
			snprintf(req.cmd, sizeof(req.cmd), "%s", optarg);
			break;
		case 'D':
			data = optarg;
			break;
		case 't':
			errno = 0;
			t = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || t == 0 ||
			    t > 86400) {
				fprintf(stderr, "rmb call: -t takes seconds, "
				    "1 to 86400\n");
				return 2;
			}
			break;
		case 'r':
			url = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || req.ndst == 0 || req.cmd[0] == '\0')
		goto usage;
	if (load_data(data, &req.dat, &req.datlen) != 0)
		return 1;
	if ((c = rmb_redis_connect("rmb call", url)) == NULL)
		goto out;

	req.ver = 1;
	msgjson_uuid(uid);
	req.ref.set = 1;
	snprintf(req.ref.s, sizeof(req.ref.s), "%s", uid);
	req.exp = t;
	msgjson_uuid(uid);
	snprintf(req.ret, sizeof(req.ret), "rmb.call.%s", uid);
	req.shm.set = 1;
	snprintf(req.shm.s, sizeof(req.shm.s), "application/json");
	req.now = (uint64_t)time(NULL);
	if ((json = msgjson_write_out_req(&req, &len)) == NULL ||
	    (answered = calloc(req.ndst, 1)) == NULL) {
		fprintf(stderr, "rmb call: out of memory\n");
		goto out;
	}
	argvp[0] = "LPUSH";
	argvp[1] = "msgbus.system.local";
	argvp[2] = json;
	r = redisCommandArgv(c, 3, argvp, (size_t[]){ 5, 19, len });
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "rmb call: LPUSH: %s\n", r != NULL ? r->str :
		    c->errstr);
		freeReplyObject(r);
		goto out;
	}
	freeReplyObject(r);

	deadline = time(NULL) + (time_t)t;
	while (got < req.ndst && (now = time(NULL)) < deadline) {
		r = redisCommand(c, "BLPOP %s %lld", req.ret,
		    (long long)(deadline - now));
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "rmb call: BLPOP: %s\n", r != NULL ?
			    r->str : c->errstr);
			freeReplyObject(r);
			goto out;
		}
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			freeReplyObject(r);
			continue;	/* the timeout: the loop ends */
		}
		if (msgjson_parse_in_resp(&resp, r->element[1]->str,
		    r->element[1]->len, why, sizeof(why)) != 0) {
			fprintf(stderr, "rmb call: bad response: %s\n", why);
			freeReplyObject(r);
			continue;
		}
		freeReplyObject(r);
		if (!resp.ref.set || strcmp(resp.ref.s, req.ref.s) != 0) {
			msgjson_in_resp_clear(&resp);
			continue;
		}
		/* An answer without a twin (local, relay) takes the first. */
		twin = src_twin(resp.src);
		for (i = 0; i < req.ndst; i++)
			if (!answered[i] && (twin == 0 || req.dst[i] == twin))
				break;
		if (i < req.ndst) {
			answered[i] = 1;
			got++;
		}
		failed |= resp.has_err;
		print_response(&resp);
		msgjson_in_resp_clear(&resp);
	}
	for (i = 0; i < req.ndst; i++)
		if (!answered[i]) {
			printf("%" PRIu32 ": no answer in %lu s\n", req.dst[i],
			    t);
			failed = 1;
		}
	r = redisCommand(c, "DEL %s", req.ret);
	freeReplyObject(r);
	rc = failed;
out:
	free(json);
	free(answered);
	msgjson_out_req_clear(&req);
	if (c != NULL)
		redisFree(c);
	return rc;
usage:
	usage(stderr);
	return 2;
}
