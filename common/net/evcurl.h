/* SPDX-License-Identifier: ISC */
/*
 * libcurl's multi interface on a libev loop: curl says which sockets to
 * watch and when to wake it, libev does the waiting.  Used by the relay's
 * federation client and by the chain client of netd and the relay.
 */
#ifndef RMB_EVCURL_H
#define RMB_EVCURL_H

#include <curl/curl.h>
#include <ev.h>

struct evcurl;

/* A finished transfer: res is curl's result; easy is the caller's again. */
typedef void	(*evcurl_done)(CURL *easy, CURLcode res, void *arg);

/* NULL when out of memory; maxconnects bounds the connection cache. */
struct evcurl	*evcurl_new(struct ev_loop *, long maxconnects);

/*
 * Starts easy; done is called once, from the loop, when it ends.  The
 * easy's CURLOPT_PRIVATE belongs to evcurl.  Returns 0 or -1.
 */
int		 evcurl_add(struct evcurl *, CURL *easy, evcurl_done done,
		    void *arg);

/* Cancels a started transfer; its done is never called. */
void		 evcurl_remove(struct evcurl *, CURL *easy);

/* Cancels everything (no callbacks) and frees; NULL is allowed. */
void		 evcurl_free(struct evcurl *);

#endif
