/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay processes for end-to-end tests, and what their tests expect
 * of them: the envelopes a session receives and the /metrics counters.
 */
#ifndef RMB_RELAY_FIXTURE_H
#define RMB_RELAY_FIXTURE_H

#include <sys/types.h>

#include <stdint.h>

#include "relay_client.h"

struct redis_srv;

#define RF_WAIT	5000	/* ms for anything that should happen */

struct relay_proc {
	pid_t	pid;
	int	port;
	char	log[300];
	char	name[16];
};

/*
 * The start of a relay test's main(): its work directory, made from
 * "/tmp/rmb-<name>.XXXXXX" into dir (dircap bytes), the path of the
 * relay built under $top_builddir into bin, and the redis-servers r1 and
 * r2 (either may be NULL).  -1 when all is there; otherwise the plan's
 * SKIP (no redis-server) or "Bail out!" is printed and main()'s exit
 * status returned (0 or 1).
 */
int	rf_begin(const char *name, char *dir, size_t dircap, char *bin,
	    size_t bincap, struct redis_srv *r1, struct redis_srv *r2);
/*
 * Starts bin listening on 127.0.0.1:port (0: a free one) over the redis
 * at redis_port, logging to dir/name.log, with the arguments in opts and
 * then extra (each NULL-terminated, or NULL), and waits up to 10 s for it
 * to listen.  0 or -1.
 */
int	rf_start(struct relay_proc *, const char *bin, const char *dir,
	    const char *name, int redis_port, int port,
	    const char *const opts[], const char *const extra[]);
/* 1 while the relay runs. */
int	rf_alive(const struct relay_proc *);
/* A session of t (sid may be NULL) on the relay.  0 or -1. */
int	rf_session(struct wsc *, const struct relay_proc *,
	    const struct rc_twin *t, const char *sid);
/* Sends a request with a plain text payload; sids and tags may be NULL. */
int	rf_send_req(struct wsc *, const struct rc_twin *from,
	    const char *from_sid, uint32_t to, const char *to_sid,
	    const char *uid, const char *tags, const char *payload);
/* The next envelope is uid with plain payload text (NULL: any). */
int	rf_got(struct wsc *, const char *uid, const char *text);
/*
 * The next envelope is the relay's error report text for uid; with
 * anonymous, also without a source twin or a signature.  rf_got_error_in
 * waits up to ms for it, rf_got_error RF_WAIT.
 */
int	rf_got_error(struct wsc *, const char *uid, const char *text,
	    int anonymous);
int	rf_got_error_in(struct wsc *, const char *uid, const char *text,
	    int anonymous, int ms);
/* A counter's value in the relay's /metrics, or -1. */
long long rf_metric(const struct relay_proc *, const char *name);
/*
 * Whether the relay's whole log (its first MiB; wait_log() reads only
 * 4 KiB) holds needle within timeout_ms (0: now).
 */
int	rf_logged(const struct relay_proc *, const char *needle,
	    int timeout_ms);
/* The session of twin t is registered: its ping comes back a pong. */
int	rf_pong(struct wsc *, const struct rc_twin *t);

/*
 * A redis-server a test can crash and start again on the same port and
 * directory, with or without an append-only file synced on every write.
 */
struct rf_redis {
	pid_t	pid;
	int	port;
	int	aof;
	char	dir[300];
	char	log[320];
};

/*
 * Starts one on a free port in a new directory under dir and waits for
 * its PING.  0, -2 when redis-server is not installed, or -1.
 */
int	rf_redis_start(struct rf_redis *, const char *dir, int aof);
/* SIGKILL, as a crash, and the reaping. */
void	rf_redis_kill(struct rf_redis *);
/* Starts it again after rf_redis_kill.  0 or -1. */
int	rf_redis_restart(struct rf_redis *);
/* Stops it; its files stay for the test's directory to take. */
void	rf_redis_stop(struct rf_redis *);

/*
 * Sends POST / with body to the relay and does not wait: the socket, or
 * -1.
 */
int	rf_post_send(const struct relay_proc *, const void *body, size_t n);
/*
 * The answer to it within timeout_ms: its status with the body in out
 * (NUL-terminated, cut to cap), and the socket closed; 0 while none came
 * (call again); -1 on an error, the socket closed.
 */
int	rf_post_answer(int fd, int timeout_ms, char *out, size_t cap);

#endif
