/* SPDX-License-Identifier: ISC */
/*
 * Substrate JSON-RPC over HTTP POST for the daemons, on their libev loop
 * (common/evcurl).  Several endpoints are used one at a time: a transport
 * failure moves on to the next, as the reference does with its -s list,
 * for at most two rounds; an answer, even an RPC error, is never retried.
 * Every answer is checked with common/jsonrpc against the id sent.
 */
#ifndef RMB_CHAINRPC_H
#define RMB_CHAINRPC_H

#include <stddef.h>

#include <ev.h>

#include "jsonrpc.h"

#define CHAINRPC_URLS_MAX	16
#define CHAINRPC_URL_MAX	512
#define CHAINRPC_BODY_MAX	(16 * 1024 * 1024)	/* metadata is ~100 KB */
#define CHAINRPC_CONNECT_MS	5000L
#define CHAINRPC_TIMEOUT_MS	12000L	/* per attempt, as the reference */

struct chainrpc;

/*
 * The answer to one call.  err is NULL when the node sent a result: it is
 * in r->result, valid during the call.  Otherwise err is one line: the
 * node's error ("rpc error: ...", r set with r->rpc_error), or, with r
 * NULL, a transport failure naming the last endpoint tried or a body
 * that is not the response to this call.
 */
typedef void	(*chainrpc_cb)(void *arg, const struct jsonrpc_resp *r,
		    const char *err);

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
 * loop), or -1 for a bad method name or when out of memory (cb never
 * comes).
 */
int	chainrpc_call(struct chainrpc *, const char *method,
	    const char *params, chainrpc_cb cb, void *arg);

/*
 * Cancels every call made with arg: their callbacks never come.  It may
 * be called from a callback, whose own call is freed once it returns.
 */
void	chainrpc_cancel(struct chainrpc *, void *arg);

/* The endpoint in use: the one that answered last. */
const char	*chainrpc_endpoint(const struct chainrpc *);

/* Cancels what is in flight (no callbacks) and frees; NULL allowed. */
void	chainrpc_free(struct chainrpc *);

#endif
