/* SPDX-License-Identifier: ISC */
/*
 * rmb serve: answer one command with a program.  Each request on
 * msgbus.<cmd> runs the program with the body on its standard input; its
 * standard output is the reply.  Each request is handled in a worker
 * process of its own, at most -j at a time, so that the main loop only
 * pops and reaps.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "msgjson.h"
#include "redisurl.h"
#include "rmb.h"

#define SERVE_JOBS_MAX	256
#define SERVE_POLL	1	/* seconds a BLPOP waits: signals are seen */
#define STDERR_LINE	512	/* of the program's stderr, in an error */

static volatile sig_atomic_t	stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct output {
	uint8_t	*out;
	size_t	 outlen;
	int	 truncated;
	char	 err[STDERR_LINE];
	size_t	 errlen;
};

/* Writes the body and reads both outputs at once, so that none blocks. */
static void
pump(int in, int out, int err, const uint8_t *body, size_t bodylen,
    struct output *o)
{
	struct pollfd	pfd[3];
	uint8_t		buf[65536];
	size_t		off = 0, n;
	ssize_t		r;
	int		i;

	pfd[0].fd = bodylen > 0 ? in : -1;
	pfd[0].events = POLLOUT;
	pfd[1].fd = out;
	pfd[1].events = POLLIN;
	pfd[2].fd = err;
	pfd[2].events = POLLIN;
	if (bodylen == 0)
		close(in);
	while (pfd[0].fd != -1 || pfd[1].fd != -1 || pfd[2].fd != -1) {
		if (poll(pfd, 3, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].fd != -1 && pfd[0].revents) {
			r = write(in, body + off, bodylen - off);
			if (r > 0)
				off += (size_t)r;
			if ((r == -1 && errno != EAGAIN && errno != EINTR) ||
			    off == bodylen) {
				close(in);
				pfd[0].fd = -1;
			}
		}
		for (i = 1; i < 3; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if ((r = read(pfd[i].fd, buf, sizeof(buf))) <= 0) {
				if (r == -1 && (errno == EAGAIN ||
				    errno == EINTR))
					continue;
				close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			if (i == 1) {
				n = (size_t)r;
				if (n > MSGJSON_DAT_MAX - o->outlen) {
					n = MSGJSON_DAT_MAX - o->outlen;
					o->truncated = 1;
				}
				memcpy(o->out + o->outlen, buf, n);
				o->outlen += n;
			} else {
				n = (size_t)r;
				if (n > sizeof(o->err) - 1 - o->errlen)
					n = sizeof(o->err) - 1 - o->errlen;
				memcpy(o->err + o->errlen, buf, n);
				o->errlen += n;
				o->err[o->errlen] = '\0';
			}
		}
	}
}

/* The first line of what the program said on stderr, made printable. */
static void
first_line(char *s)
{
	size_t	i;

	s[strcspn(s, "\r\n")] = '\0';
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
}

/* A worker: run the program for one request and push its reply. */
static _Noreturn void
worker(const char *url, const char *cmd, char **prog, struct msg_in_req *req)
{
	static struct msg_out_resp	 resp;
	struct output			 o;
	redisContext			*c;
	redisReply			*r;
	const char			*argv[3];
	char				*json;
	size_t				 len;
	pid_t				 pid;
	int				 in[2], out[2], err[2], status;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	memset(&o, 0, sizeof(o));
	if ((o.out = malloc(MSGJSON_DAT_MAX)) == NULL ||
	    pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(err, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		fprintf(stderr, "rmb serve: cannot run %s: %s\n", prog[0],
		    strerror(errno));
		_exit(1);
	}
	if (pid == 0) {
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1 ||
		    dup2(err[1], 2) == -1 ||
		    setenv("RMB_SOURCE", req->src, 1) == -1 ||
		    setenv("RMB_COMMAND", cmd, 1) == -1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execvp(prog[0], prog);
		fprintf(stderr, "%s: %s\n", prog[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	pump(in[1], out[0], err[0], req->dat, req->datlen, &o);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;

	memset(&resp, 0, sizeof(resp));
	resp.ver = 1;
	resp.ref.set = 1;
	memcpy(resp.ref.s, req->ref, sizeof(resp.ref.s));
	memcpy(resp.dst, req->src, sizeof(resp.dst));
	resp.shm = req->shm;
	resp.now = (uint64_t)time(NULL);
	if (o.truncated)
		fprintf(stderr, "rmb serve: the output of %s was cut to %d "
		    "bytes\n", prog[0], MSGJSON_DAT_MAX);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		resp.dat = o.out;
		resp.datlen = o.outlen;
	} else {
		first_line(o.err);
		resp.has_err = 1;
		resp.err.code = WIFEXITED(status) ? (uint32_t)
		    WEXITSTATUS(status) : 1;
		if (WIFEXITED(status))
			snprintf(resp.err.message, sizeof(resp.err.message),
			    "%s exited with status %d%s%s", prog[0],
			    WEXITSTATUS(status), o.err[0] ? ": " : "", o.err);
		else
			snprintf(resp.err.message, sizeof(resp.err.message),
			    "%s was killed by signal %d%s%s", prog[0],
			    WTERMSIG(status), o.err[0] ? ": " : "", o.err);
	}
	if ((json = msgjson_write_out_resp(&resp, &len)) == NULL) {
		fprintf(stderr, "rmb serve: cannot write the reply to %s\n",
		    req->ref);
		_exit(1);
	}
	if ((c = rmb_redis_connect("rmb serve", url)) == NULL)
		_exit(1);
	argv[0] = "LPUSH";
	argv[1] = "msgbus.system.reply";
	argv[2] = json;
	r = redisCommandArgv(c, 3, argv, (size_t[]){ 5, 19, len });
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "rmb serve: LPUSH: %s\n", r != NULL ? r->str :
		    c->errstr);
		_exit(1);
	}
	_exit(0);
}

static void
reap(int *running, int block)
{
	int	status;
	pid_t	pid;

	while (*running > 0) {
		pid = waitpid(-1, &status, block ? 0 : WNOHANG);
		if (pid == -1 && errno == EINTR && !stop)
			continue;
		if (pid <= 0)
			return;
		(*running)--;
		block = 0;
	}
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: rmb serve command [--redis url] [-j jobs] "
	    "-- program [args...]\n");
	if (f != stdout)
		return;
	fprintf(f, "  -j, --jobs n     how many requests run at once (1)\n"
	    "      --redis url  the peer's redis (redis://localhost:6379)\n"
	    "  -h, --help       print this help and exit\n");
}

int
cmd_serve(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "redis", required_argument, NULL, 'r' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct msg_in_req	 req;
	struct sigaction		 sa;
	redisContext			*c;
	redisReply			*r;
	const char			*url = REDISURL_DEFAULT;
	char				 queue[MSGJSON_STR_MAX + 8];
	char				 why[256];
	char				*end, *cmd;
	unsigned long			 jobs = 1;
	pid_t				 pid;
	int				 ch, running = 0;

	/* The command first, then the options, then "--" and the program. */
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-')
		goto usage;
	cmd = argv[1];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "+hj:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			errno = 0;
			jobs = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || jobs == 0 ||
			    jobs > SERVE_JOBS_MAX) {
				fprintf(stderr, "rmb serve: -j takes 1 to "
				    "%d\n", SERVE_JOBS_MAX);
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
	if (optind >= argc || cmd[0] == '\0' ||
	    strlen(cmd) >= MSGJSON_STR_MAX)
		goto usage;
	snprintf(queue, sizeof(queue), "msgbus.%s", cmd);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((c = rmb_redis_connect("rmb serve", url)) == NULL)
		return 1;
	fprintf(stderr, "rmb serve: answering %s with %s\n", queue,
	    argv[optind]);
	while (!stop) {
		reap(&running, (unsigned long)running >= jobs);
		if ((unsigned long)running >= jobs)
			continue;
		r = redisCommand(c, "BLPOP %s %d", queue, SERVE_POLL);
		if (r == NULL) {
			if (stop)
				break;
			fprintf(stderr, "rmb serve: redis: %s\n", c->errstr);
			redisFree(c);
			sleep(1);
			if ((c = rmb_redis_connect("rmb serve", url)) == NULL)
				break;
			continue;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "rmb serve: BLPOP: %s\n", r->str);
			freeReplyObject(r);
			sleep(1);
			continue;
		}
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			freeReplyObject(r);
			continue;
		}
		if (msgjson_parse_in_req(&req, r->element[1]->str,
		    r->element[1]->len, why, sizeof(why)) != 0) {
			fprintf(stderr, "rmb serve: bad request skipped: %s\n",
			    why);
			freeReplyObject(r);
			continue;
		}
		freeReplyObject(r);
		fflush(stderr);
		if ((pid = fork()) == -1)
			fprintf(stderr, "rmb serve: fork: %s; request %s "
			    "dropped\n", strerror(errno), req.ref);
		else if (pid == 0)
			worker(url, cmd, argv + optind, &req);
		else
			running++;
		msgjson_in_req_clear(&req);
	}
	redisFree(c);
	while (running > 0)
		reap(&running, 1);
	return 0;
usage:
	usage(stderr);
	return 2;
}
