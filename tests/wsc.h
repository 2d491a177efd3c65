/* SPDX-License-Identifier: ISC */
/*
 * Blocking WebSocket (RFC 6455) and HTTP/1.1 clients for the end-to-end
 * tests and benchmarks: plain TCP to loopback, every read and write under
 * a timeout.
 */
#ifndef RMB_WSC_H
#define RMB_WSC_H

#include <stddef.h>
#include <stdint.h>

/* The largest message or HTTP body either client accepts. */
#define WSC_MAX_MSG		(64 * 1024 * 1024)
/* How long one wsc_send may wait for the peer to take its bytes. */
#define WSC_SEND_TIMEOUT_MS	10000

#define WSC_CONT	0
#define WSC_TEXT	1
#define WSC_BINARY	2
#define WSC_CLOSE	8
#define WSC_PING	9
#define WSC_PONG	10

struct wsc {
	int		 fd;
	uint8_t		*buf;		/* bytes read but not yet consumed */
	size_t		 len, cap;
	int		 closed;	/* a close frame was received */
	uint16_t	 close_code;	/* 1005 when it carried none */
	int		 close_sent;
	int		 auto_pong;	/* answer pings (default 1) */
	int		 want_ctl;	/* wsc_recv returns pings, pongs too */
	int		 send_timeout_ms;
	uint8_t		*msg;		/* a fragmented message in progress */
	size_t		 msglen;
	int		 msgop;		/* its opcode, 0 when none */
};

/*
 * Initialises the struct and connects to host (NULL or "127.0.0.1", or
 * "::1") with an upgrade request for target (e.g. "/?eyJ...").  Returns 0
 * on a 101 response.  Otherwise -1, with *status the HTTP status and body
 * the response body (NUL-terminated, truncated to bodycap - 1) when the
 * server answered, or *status 0 on a transport error or timeout.
 */
int	wsc_connect(struct wsc *, const char *host, int port,
	    const char *target, int *status, char *body, size_t bodycap,
	    int timeout_ms);
/* Sends one masked frame with FIN set.  Returns 0 or -1. */
int	wsc_send(struct wsc *, int opcode, const void *p, size_t n);
/* Sends one message as frames of at most frag payload bytes each. */
int	wsc_send_fragmented(struct wsc *, int opcode, const void *p, size_t n,
	    size_t frag);
/* The same frame without a mask, which a server must refuse. */
int	wsc_send_unmasked(struct wsc *, int opcode, const void *p, size_t n);
/* Writes bytes as they are, for malformed-frame tests. */
int	wsc_send_raw(struct wsc *, const void *p, size_t n);
/*
 * Waits for the next data message (pings and pongs too when want_ctl)
 * and returns 1 with *opcode and *payload (malloc'd, NUL-terminated, for
 * the caller to free) of *n bytes; 0 on timeout, keeping partial input
 * for the next call; -1 when the connection is closed (closed and
 * close_code set if by a close frame), broken, or breaks the protocol.
 * A negative timeout waits forever.
 */
int	wsc_recv(struct wsc *, int *opcode, uint8_t **payload, size_t *n,
	    int timeout_ms);
/*
 * Sends close 1000 unless a close was sent, waits briefly for the peer's
 * end of stream, and releases everything; safe on a dead connection.
 */
void	wsc_close(struct wsc *);
/* Closes the socket without a close frame, as a crashed peer would. */
void	wsc_drop(struct wsc *);

/*
 * One HTTP/1.1 request with "Connection: close" and, when body is not
 * NULL, a Content-Length.  Returns 0 with *status and *resp (malloc'd,
 * NUL-terminated, *resplen bytes without the NUL), or -1 on a transport
 * error, timeout or malformed response.
 */
int	http_request(const char *host, int port, const char *method,
	    const char *target, const void *body, size_t n, int *status,
	    char **resp, size_t *resplen, int timeout_ms);

#endif
