/* SPDX-License-Identifier: ISC */
/*
 * One asynchronous redis connection on a libev loop, kept up: it logs in
 * (AUTH, SELECT, CLIENT SETNAME) before it calls itself up, and after a
 * failure or a disconnect it tries again with a backoff of 100 ms doubling
 * to 2 s.  Commands given while it is down fail at once, so that callers
 * decide what waits and what is refused.
 */
#ifndef RMB_RCONN_H
#define RMB_RCONN_H

#include <ev.h>
#include <hiredis/async.h>

#include "redisurl.h"

struct rconn;

/* Called when the connection is ready, and when it is lost. */
typedef void	(*rconn_fn)(struct rconn *, void *arg);

/*
 * Starts connecting.  name goes into CLIENT SETNAME and the log lines.
 * Returns NULL only when out of memory.
 */
struct rconn	*rconn_new(struct ev_loop *, const struct redis_url *,
		    const char *name, rconn_fn up, rconn_fn down, void *arg);

/* 1 while logged in. */
int		 rconn_up(const struct rconn *);

/*
 * Sends one command, binary-safe (argvlen may be NULL for C strings).
 * fn gets the reply, or NULL when the connection is lost first.  Returns
 * 0, or -1 when the connection is down (fn is then never called).
 */
int		 rconn_cmd(struct rconn *, redisCallbackFn *fn, void *privdata,
		    int argc, const char **argv, const size_t *argvlen);

/*
 * Writes the commands given so far now rather than when the loop next
 * finds the socket writable: called once per loop pass (an ev_prepare),
 * it sends everything of the pass in one write.
 */
void		 rconn_flush(struct rconn *);

/*
 * Frees the read buffer once no unread byte is left in it and it is
 * larger than a small reply needs: done before the loop waits, and by a
 * callback that got a big reply before it works on it, since hiredis
 * keeps the bytes it read as well as the reply.
 */
void		 rconn_trim(struct rconn *);

/* The server's CLIENT ID of this connection, 0 until it is up. */
long long	 rconn_client_id(const struct rconn *);

/* Drops the connection on purpose; it reconnects as after a failure. */
void		 rconn_reset(struct rconn *);

/*
 * Stops for good once the commands sent so far are answered: no new
 * commands, no reconnect.  The loop must run for that to happen.
 */
void		 rconn_close(struct rconn *);

/* 1 once a closed connection has nothing left in flight. */
int		 rconn_closed(const struct rconn *);

/* Closes; pending callbacks get NULL.  NULL is allowed. */
void		 rconn_free(struct rconn *);

#endif
