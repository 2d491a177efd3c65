/*
 * Substrate JSON-RPC over HTTP POST for the daemons, on their libev loop
 * (common/evcurl).  Several endpoints are used one at a time: a transport
 * failure moves on to the next, as the reference does with its -s list,
 * for at most two rounds; an answer, even an RPC error, is never retried.
 */
#ifndef RMB_CHAINRPC_H
#define RMB_CHAINRPC_H

#include <stddef.h>

#include <ev.h>

#define CHAINRPC_URLS_MAX	16
#define CHAINRPC_URL_MAX	512
#define CHAINRPC_BODY_MAX	(16 * 1024 * 1024)	/* metadata is ~100 KB */
#define CHAINRPC_CONNECT_MS	5000L
#define CHAINRPC_TIMEOUT_MS	12000L	/* per attempt, as the reference */

struct chainrpc;

/*
 * The response body (not NUL-terminated, valid during the call) when ok,
 * else a one-line reason naming the last endpoint tried.
 */
typedef void	(*chainrpc_cb)(void *arg, int ok, const char *body,
		    size_t len, const char *err);

/*
 * "wss://host[:port][/path]" as users give it becomes https, "ws://"
 * http; http(s) URLs stay.  Returns 0, or -1 for anything else.
 */
int	chainrpc_http_url(char *out, size_t cap, const char *url);

/* NULL with a reason in err (a bad URL, out of memory). */
struct chainrpc	*chainrpc_new(struct ev_loop *, const char *const *urls,
		    size_t n, char *err, size_t errlen);

/*
 * Sends {"jsonrpc":"2.0","id":N,"method":method,"params":params} (params
 * is JSON array text).  Returns 0 once queued (cb comes later, from the
 * loop), or -1 when out of memory (cb never comes).
 */
int	chainrpc_call(struct chainrpc *, const char *method,
	    const char *params, chainrpc_cb cb, void *arg);

/* The endpoint in use: the one that answered last. */
const char	*chainrpc_endpoint(const struct chainrpc *);

/* Cancels what is in flight (no callbacks) and frees; NULL allowed. */
void	chainrpc_free(struct chainrpc *);

#endif
