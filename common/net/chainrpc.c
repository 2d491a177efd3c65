/* SPDX-License-Identifier: ISC */
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "chainrpc.h"
#include "errf.h"
#include "evcurl.h"
#include "grow.h"
#include "log.h"

struct rpc_call {
	struct chainrpc		*rpc;
	LIST_ENTRY(rpc_call)	 entry;
	CURL			*easy;
	char			*req;
	size_t			 reqlen;
	uint8_t			*body;
	size_t			 len, cap;
	int			 too_big;
	uint64_t		 id;
	unsigned int		 attempts;
	int			 answering;	/* its callback runs */
	chainrpc_cb		 cb;
	void			*arg;
	char			 err[CURL_ERROR_SIZE];
};

struct chainrpc {
	struct evcurl		*curl;
	struct curl_slist	*headers;
	char			 urls[CHAINRPC_URLS_MAX][CHAINRPC_URL_MAX];
	size_t			 nurls;
	size_t			 cur;		/* the endpoint in use */
	uint64_t		 id;		/* of the last request */
	LIST_HEAD(, rpc_call)	 calls;
};

int
chainrpc_http_url(char *out, size_t cap, const char *url)
{
	const char	*rest, *scheme;
	int		 n;

	if (strncmp(url, "wss://", 6) == 0) {
		scheme = "https://";
		rest = url + 6;
	} else if (strncmp(url, "ws://", 5) == 0) {
		scheme = "http://";
		rest = url + 5;
	} else if (strncmp(url, "https://", 8) == 0) {
		scheme = "https://";
		rest = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		scheme = "http://";
		rest = url + 7;
	} else
		return -1;
	if (*rest == '\0' || *rest == '/' || strpbrk(rest, " \t\r\n") != NULL)
		return -1;
	n = snprintf(out, cap, "%s%s", scheme, rest);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static size_t
sink(char *p, size_t size, size_t n, void *arg)
{
	struct rpc_call	*c = arg;
	size_t		 len = size * n;

	if (c->too_big)
		return 0;
	if (grow_append(&c->body, &c->len, &c->cap, p, len,
	    CHAINRPC_BODY_MAX) == -1) {
		/* A short count makes curl stop this transfer. */
		c->too_big = errno == ENOBUFS;
		return 0;
	}
	return len;
}

static void
call_free(struct rpc_call *c)
{
	LIST_REMOVE(c, entry);
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	free(c->req);
	free(c->body);
	free(c);
}

static int	attempt(struct rpc_call *);

/* A whole HTTP 200 body: the node's answer, or not one. */
static void
answer(struct rpc_call *c)
{
	struct chainrpc		*rpc = c->rpc;
	struct jsonrpc_resp	 r;
	char			 err[JSONRPC_ERR_MAX];
	char			 why[JSONRPC_ERR_MAX + CHAINRPC_URL_MAX + 8];

	if (jsonrpc_parse(&r, c->body != NULL ? (const char *)c->body : "",
	    c->len, c->id, err, sizeof(err)) == 0)
		c->cb(c->arg, &r, NULL);
	else if (r.rpc_error)
		c->cb(c->arg, &r, err);
	else {
		snprintf(why, sizeof(why), "%s: %s", rpc->urls[rpc->cur], err);
		c->cb(c->arg, NULL, why);
	}
}

static void
done(CURL *easy, CURLcode res, void *arg)
{
	struct rpc_call	*c = arg;
	struct chainrpc	*rpc = c->rpc;
	long		 status = 0;
	char		 why[CURL_ERROR_SIZE + 600];

	(void)curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (res == CURLE_OK && status == 200 && !c->too_big) {
		c->answering = 1;
		answer(c);
		call_free(c);
		return;
	}
	if (c->too_big)
		snprintf(why, sizeof(why), "%s: answer over %d bytes",
		    rpc->urls[rpc->cur], CHAINRPC_BODY_MAX);
	else if (res != CURLE_OK)
		snprintf(why, sizeof(why), "%s: %s", rpc->urls[rpc->cur],
		    c->err[0] != '\0' ? c->err : curl_easy_strerror(res));
	else
		snprintf(why, sizeof(why), "%s: HTTP status %ld",
		    rpc->urls[rpc->cur], status);
	/* A transport failure: the next endpoint, for two rounds at most. */
	if (++c->attempts < 2 * rpc->nurls) {
		log_warnx("chain: %s; trying %s", why,
		    rpc->urls[(rpc->cur + 1) % rpc->nurls]);
		rpc->cur = (rpc->cur + 1) % rpc->nurls;
		if (attempt(c) == 0)
			return;
	}
	c->answering = 1;
	c->cb(c->arg, NULL, why);
	call_free(c);
}

static int
attempt(struct rpc_call *c)
{
	struct chainrpc	*rpc = c->rpc;

	c->len = 0;
	c->too_big = 0;
	c->err[0] = '\0';
	if (curl_easy_setopt(c->easy, CURLOPT_URL, rpc->urls[rpc->cur]) !=
	    CURLE_OK)
		return -1;
	return evcurl_add(rpc->curl, c->easy, done, c);
}

int
chainrpc_call(struct chainrpc *rpc, const char *method, const char *params,
    chainrpc_cb cb, void *arg)
{
	struct rpc_call	*c;
	char		 err[JSONRPC_ERR_MAX];
	size_t		 cap;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->rpc = rpc;
	c->cb = cb;
	c->arg = arg;
	if (rpc->id >= JSONRPC_ID_MAX)
		rpc->id = 0;
	c->id = ++rpc->id;
	/* The envelope around method and params is under 64 bytes. */
	cap = strlen(method) + strlen(params) + 64;
	if ((c->req = malloc(cap)) == NULL ||
	    jsonrpc_request(c->req, cap, &c->reqlen, c->id, method, params,
	    err, sizeof(err)) == -1) {
		if (c->req != NULL)
			log_warnx("chain: %s", err);
		free(c->req);
		free(c);
		return -1;
	}
	LIST_INSERT_HEAD(&rpc->calls, c, entry);
	if ((c->easy = curl_easy_init()) == NULL ||
	    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, rpc->headers) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->req) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)c->reqlen) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    CHAINRPC_CONNECT_MS) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS,
	    CHAINRPC_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, sink) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->err) !=
	    CURLE_OK || attempt(c) == -1) {
		call_free(c);
		return -1;
	}
	return 0;
}

struct chainrpc *
chainrpc_new(struct ev_loop *loop, const char *const *urls, size_t n,
    char *err, size_t errlen)
{
	struct chainrpc	*rpc;
	size_t		 i;

	if (n == 0 || n > CHAINRPC_URLS_MAX) {
		errf(err, errlen, "chain: 1 to %d endpoints, not %zu",
		    CHAINRPC_URLS_MAX, n);
		return NULL;
	}
	if ((rpc = calloc(1, sizeof(*rpc))) == NULL) {
		errf(err, errlen, "chain: out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (chainrpc_http_url(rpc->urls[i], sizeof(rpc->urls[i]),
		    urls[i]) == -1) {
			errf(err, errlen, "chain: \"%s\" is not a ws://, "
			    "wss://, http:// or https:// URL", urls[i]);
			chainrpc_free(rpc);
			return NULL;
		}
	}
	rpc->nurls = n;
	if ((rpc->headers = curl_slist_append(NULL,
	    "Content-Type: application/json")) == NULL ||
	    (rpc->curl = evcurl_new(loop, 4)) == NULL) {
		errf(err, errlen, "chain: cannot set up libcurl");
		chainrpc_free(rpc);
		return NULL;
	}
	return rpc;
}

void
chainrpc_cancel(struct chainrpc *rpc, void *arg)
{
	struct rpc_call	*c, *next;

	for (c = LIST_FIRST(&rpc->calls); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		/* One whose callback runs is freed when it returns. */
		if (c->arg != arg || c->answering)
			continue;
		if (c->easy != NULL)
			evcurl_remove(rpc->curl, c->easy);
		call_free(c);
	}
}

const char *
chainrpc_endpoint(const struct chainrpc *rpc)
{
	return rpc->urls[rpc->cur];
}

void
chainrpc_free(struct chainrpc *rpc)
{
	struct rpc_call	*c;

	if (rpc == NULL)
		return;
	while ((c = LIST_FIRST(&rpc->calls)) != NULL) {
		if (c->easy != NULL && rpc->curl != NULL)
			evcurl_remove(rpc->curl, c->easy);
		call_free(c);
	}
	evcurl_free(rpc->curl);
	curl_slist_free_all(rpc->headers);
	free(rpc);
}
