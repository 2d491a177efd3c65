/* SPDX-License-Identifier: ISC */
/*
 * Helpers for tests that run daemons: loopback ports, child processes
 * and their logs, and a throwaway redis-server with a small blocking
 * RESP client for assertions.
 */
#ifndef RMB_HARNESS_H
#define RMB_HARNESS_H

#include <sys/types.h>

#include <stddef.h>

/* A free loopback port (bound to 127.0.0.1:0, then released), or -1. */
int	free_port(void);
/*
 * Forks and execs argv (argv[0] a path) with stdin from /dev/null and
 * stdout and stderr appended to logpath (NULL: inherited).  The child
 * gets SIGTERM if the test dies.  Returns its pid or -1.
 */
pid_t	proc_start(char *const argv[], const char *logpath);
/*
 * SIGTERM, up to timeout_ms to exit, then SIGKILL and up to 5 s more;
 * each of the two timeouts is reported on stderr.  The wait status, or
 * -1 (not ours, or it outlived SIGKILL's wait).
 */
int	proc_stop(pid_t, int timeout_ms);
/*
 * 1 when pid has exited (reaped, *status set), 0 while it runs, -1 on
 * error (it was already reaped, say).
 */
int	proc_exited(pid_t, int *status);
/* proc_exited() for up to timeout_ms: no wait on a process is unbounded. */
int	proc_wait(pid_t, int timeout_ms, int *status);
/* pid's resident memory (VmRSS) in KiB, or -1. */
long	proc_rss_kib(pid_t);
/* The most it ever had resident (VmHWM) in KiB, or -1. */
long	proc_peak_kib(pid_t);
/*
 * Polls every pid (n of them) for up to timeout_ms until each one's
 * resident memory is under kib: 0 then, or -1 with the last figures in
 * rss.
 */
int	proc_rss_below(const pid_t *, size_t n, long kib, long *rss,
	    int timeout_ms);
/* Waits until 127.0.0.1:port accepts a connection.  Returns 0 or -1. */
int	wait_port(int port, int timeout_ms);
/* Waits until logpath contains needle (under 4 KiB).  Returns 0 or -1. */
int	wait_log(const char *logpath, const char *needle, int timeout_ms);
/*
 * The end of a test's work directory: removed when nothing failed;
 * otherwise kept, and the last lines of each of its logs (*.log, there
 * and one directory down) printed as TAP diagnostics, so that a run
 * whose directory is gone still shows what the daemons said.
 */
void	work_dir_done(const char *dir, int failed);

/*
 * The answer of a stub HTTP server to one request (headers and body,
 * NUL-terminated): the response body, or NULL to close without one.  It
 * runs in the server's process; *status comes set to 200.
 */
typedef const char *(*http_answer_fn)(const char *req, int *status,
	    void *arg);

/* The largest request, headers and body, a stub HTTP server reads. */
#define HTTP_STUB_REQ_MAX	8192

/*
 * Forks a server on 127.0.0.1:port that reads each request whole and
 * answers it with answer's status and body, then closes the connection;
 * it serves until killed, and gets SIGTERM if the test dies.  Returns its
 * pid or -1.
 */
pid_t	http_stub_start(int port, http_answer_fn answer, void *arg);
/*
 * Reads one HTTP request from fd: the headers, then Content-Length bytes
 * of body, NUL-terminated in buf.  Returns its length, or -1 on EOF, an
 * error or a request of cap bytes or more.
 */
ssize_t	http_read_request(int fd, char *buf, size_t cap);
/* The body of the request in req, after its headers ("" when none). */
const char *http_body(const char *req);
/*
 * The JSON-RPC answer to the request in req, with its id: result when
 * not NULL, else an error with message.  Returns out.
 */
const char *jsonrpc_answer(char *out, size_t cap, const char *req,
	    const char *result, const char *message);
/* The decimal id of the JSON-RPC request in req, "0" when none. */
void	jsonrpc_req_id(char *out, size_t cap, const char *req);

struct redis_srv {
	pid_t	pid;
	int	port;
	char	dir[256];
	char	log[300];
};

/*
 * Starts redis-server ($REDIS_SERVER, else from PATH, else /usr/bin) on
 * a free loopback port with no persistence, in a fresh directory under
 * $TMPDIR or /tmp, and waits up to 5 s for it to answer PING.  Returns 0;
 * -2 when redis-server is not installed, so a test can skip; -1 on
 * failure, with the reason on stderr.
 */
int	redis_start(struct redis_srv *);
/* Stops it and removes its directory. */
void	redis_stop(struct redis_srv *);

/* The largest bulk string and array, and nesting depth, a reply may have. */
#define RREPLY_MAX_BULK		(128 * 1024 * 1024)
#define RREPLY_MAX_ELEMS	(1024 * 1024)
#define RREPLY_MAX_DEPTH	8

struct rreply {
	int		  type;		/* '+', '-', ':', '$', '*', 0 for nil */
	long long	  integer;	/* ':' */
	char		 *str;		/* '+', '-', '$': NUL-terminated */
	size_t		  len;
	size_t		  n;		/* '*' */
	struct rreply	**elem;
};

/*
 * Sends one command on a new connection and returns the parsed reply,
 * or NULL on a transport error, timeout (5 s) or malformed reply.
 * argvlen NULL means each argument is a string.
 */
/*
 * The redis-server to run: $REDIS_SERVER, else the first on PATH, else
 * /usr/bin's.  0 when it is executable.
 */
int	redis_path(char *out, size_t cap);
struct rreply *redis_cmd(int port, int argc, const char **argv,
	    const size_t *argvlen);
/* The same with the space-separated words of a printf-formatted line. */
struct rreply *redis_cmdf(int port, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	rreply_free(struct rreply *);

/*
 * A service manager's notification socket, as sd_notify(3) writes to:
 * a datagram socket in the abstract namespace (name without the "@"),
 * which a process reaches whatever user it has become.  Put "@" and the
 * name in NOTIFY_SOCKET.  Returns the descriptor or -1.
 */
int	notify_open(const char *name);
/*
 * Reads datagrams for up to timeout_ms until one holds the line want
 * ("READY=1"), copied whole into buf (cap bytes, NUL-terminated).
 * Returns 0 or -1.
 */
int	notify_wait(int fd, const char *want, char *buf, size_t cap,
	    int timeout_ms);

#endif
