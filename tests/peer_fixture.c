#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "peer_fixture.h"

#define PF_WAIT	10000	/* ms */

int
pf_init(struct pf_net *n)
{
	static const char *const kids[] = { "keyd/rmb-keyd", "netd/rmb-netd",
	    "apid/rmb-apid" };
	char	tmpl[] = "/tmp/rmb-peer-test.XXXXXX", cwd[300];
	char	lib[300], target[700], link[400];
	size_t	i;
	int	rv;

	memset(n, 0, sizeof(*n));
	if ((n->top = getenv("top_builddir")) == NULL)
		n->top = ".";
	if (mkdtemp(tmpl) == NULL || chmod(tmpl, 0755) == -1 ||
	    getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	snprintf(n->dir, sizeof(n->dir), "%s", tmpl);
	snprintf(n->twins, sizeof(n->twins), "%s/twins.json", n->dir);
	snprintf(n->jail, sizeof(n->jail), "%s/jail", n->dir);
	snprintf(lib, sizeof(lib), "%s/libexec", n->dir);
	if (mkdir(lib, 0755) == -1 || mkdir(n->jail, 0755) == -1)
		return -1;
	for (i = 0; i < sizeof(kids) / sizeof(kids[0]); i++) {
		if (n->top[0] == '/')
			snprintf(target, sizeof(target), "%s/%s", n->top,
			    kids[i]);
		else
			snprintf(target, sizeof(target), "%s/%s/%s", cwd,
			    n->top, kids[i]);
		snprintf(link, sizeof(link), "%s/%s", lib,
		    strrchr(kids[i], '/') + 1);
		if (symlink(target, link) == -1)
			return -1;
	}
	setenv("RMB_LIBEXECDIR", lib, 1);
	if ((rv = redis_start(&n->redis)) != 0)
		return rv;
	n->relay_port = free_port();
	return 0;
}

int
pf_relay_start(struct pf_net *n)
{
	char	 bin[512], url[64], listen[64], log[300];
	char	*argv[12];
	int	 i = 0;

	snprintf(bin, sizeof(bin), "%s/relayd/rmb-relay", n->top);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", n->redis.port);
	snprintf(listen, sizeof(listen), "[::]:%d", n->relay_port);
	snprintf(log, sizeof(log), "%s/relay.log", n->dir);
	argv[i++] = bin;
	argv[i++] = (char *)"-m";
	argv[i++] = (char *)"localhost";
	argv[i++] = (char *)"-r";
	argv[i++] = url;
	argv[i++] = (char *)"-l";
	argv[i++] = listen;
	argv[i++] = (char *)(n->substrate != NULL ? "-s" : "--twins");
	argv[i++] = (char *)(n->substrate != NULL ? n->substrate : n->twins);
	argv[i] = NULL;
	unlink(log);
	if ((n->relay_pid = proc_start(argv, log)) == -1)
		return -1;
	return wait_log(log, "listening on", PF_WAIT);
}

void
pf_relay_stop(struct pf_net *n)
{
	if (n->relay_pid > 0)
		proc_stop(n->relay_pid, PF_WAIT);
	n->relay_pid = 0;
}

int
pf_peer_start(struct pf_net *n, struct pf_peer *p, const char *twins,
    int wait)
{
	char	 bin[512], url[64], relay[64], secret[300];
	char	*argv[24];
	int	 i = 0;

	snprintf(bin, sizeof(bin), "%s/peer/rmb-peer", n->top);
	if (p->redis.pid == 0 && redis_start(&p->redis) != 0)
		return -1;
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", p->redis.port);
	snprintf(relay, sizeof(relay), "ws://localhost:%d", n->relay_port);
	snprintf(secret, sizeof(secret), "%s/%s.secret", n->dir, p->name);
	snprintf(p->log, sizeof(p->log), "%s/peer-%s.log", n->dir, p->name);
	if (rc_secret_file(secret, p->twin) == -1)
		return -1;
	argv[i++] = bin;
	argv[i++] = (char *)"-d";
	argv[i++] = (char *)"-k";
	argv[i++] = (char *)p->key_type;
	argv[i++] = (char *)"--mnemonic-file";
	argv[i++] = secret;
	argv[i++] = (char *)"-r";
	argv[i++] = url;
	argv[i++] = (char *)"--relay";
	argv[i++] = relay;
	if (p->substrate != NULL) {
		argv[i++] = (char *)"-s";
		argv[i++] = (char *)p->substrate;
	} else {
		argv[i++] = (char *)"--twins";
		argv[i++] = (char *)(twins != NULL ? twins : n->twins);
	}
	if (!p->update)
		argv[i++] = (char *)"--no-update";
	argv[i++] = (char *)"--jail";
	argv[i++] = n->jail;
	argv[i] = NULL;
	unlink(p->log);
	if ((p->pid = proc_start(argv, p->log)) == -1)
		return -1;
	if (!wait)
		return 0;
	return wait_log(p->log, ": connected", PF_WAIT);
}

int
pf_peer_stop(struct pf_peer *p)
{
	int	st = -1;

	if (p->pid > 0)
		st = proc_stop(p->pid, PF_WAIT);
	p->pid = 0;
	if (p->redis.pid > 0)
		redis_stop(&p->redis);
	return st;
}

void
pf_done(struct pf_net *n, int ok)
{
	char	cmd[300];

	pf_relay_stop(n);
	redis_stop(&n->redis);
	if (!ok) {
		printf("# logs kept in %s\n", n->dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", n->dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", n->dir);
}

int
pf_lpush(int port, const char *key, const char *json)
{
	const char	*argv[] = { "LPUSH", key, json };
	struct rreply	*r;
	int		 rv = -1;

	if ((r = redis_cmd(port, 3, argv, NULL)) != NULL && r->type == ':')
		rv = 0;
	rreply_free(r);
	return rv;
}

char *
pf_blpop(int port, const char *key, int secs)
{
	char		 t[16];
	const char	*argv[] = { "BLPOP", key, t };
	struct rreply	*r;
	char		*v = NULL;

	/* The RESP client gives up after 5 s: wait in slices under that. */
	snprintf(t, sizeof(t), "%d", secs > 4 ? 4 : secs);
	for (; secs > 0 && v == NULL; secs -= 4) {
		r = redis_cmd(port, 3, argv, NULL);
		if (r != NULL && r->type == '*' && r->n == 2 &&
		    r->elem[1]->type == '$')
			v = strdup(r->elem[1]->str);
		rreply_free(r);
	}
	return v;
}

long long
pf_llen(int port, const char *key)
{
	struct rreply	*r;
	long long	 v = -1;

	if ((r = redis_cmdf(port, "LLEN %s", key)) != NULL && r->type == ':')
		v = r->integer;
	rreply_free(r);
	return v;
}

void
pf_request(char *out, size_t cap, const char *ref, const char *cmd,
    unsigned int exp, const char *body, const char *dst, const char *ret,
    const char *tag)
{
	char	b64[8192];

	b64_encode(b64, sizeof(b64), (const uint8_t *)body, strlen(body));
	snprintf(out, cap, "{\"ver\":1,\"ref\":\"%s\",\"cmd\":\"%s\","
	    "\"exp\":%u,\"dat\":\"%s\",\"tag\":%s%s%s,\"dst\":[%s],"
	    "\"ret\":\"%s\",\"shm\":\"application/json\",\"now\":0}", ref,
	    cmd, exp, b64, tag != NULL ? "\"" : "", tag != NULL ? tag : "null",
	    tag != NULL ? "\"" : "", dst, ret);
}

/* The text of "key":"..." in a JSON line, cut in place. */
static char *
cut(char *json, const char *key)
{
	char	pat[32], *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(json, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	if ((e = strchr(p, '"')) == NULL)
		return NULL;
	*e = '\0';
	return p;
}

int
pf_echo_reply(char *req, char *resp, size_t cap)
{
	char	*dat, *src, *ref;
	int	 n;

	/* dat comes after ref and src in the peer's fixed key order. */
	if ((dat = strstr(req, "\"dat\":\"")) == NULL ||
	    (dat = cut(dat, "dat")) == NULL ||
	    (src = cut(req, "src")) == NULL || (ref = cut(req, "ref")) == NULL)
		return -1;
	n = snprintf(resp, cap, "{\"ver\":1,\"ref\":\"%s\",\"dat\":\"%s\","
	    "\"dst\":\"%s\",\"shm\":\"application/json\",\"now\":0,"
	    "\"err\":null}", ref, dat, src);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int
pf_echo_one(const struct pf_peer *p, const char *cmd, int secs)
{
	char	 key[128], resp[12288], *req;
	int	 rv = -1;

	snprintf(key, sizeof(key), "msgbus.%s", cmd);
	if ((req = pf_blpop(p->redis.port, key, secs)) == NULL)
		return -1;
	if (pf_echo_reply(req, resp, sizeof(resp)) == 0)
		rv = pf_lpush(p->redis.port, "msgbus.system.reply", resp);
	free(req);
	return rv;
}
