/* SPDX-License-Identifier: ISC */
/*
 * rmb-netd: the peer's network child.  It holds the relay WebSockets and
 * the twin directory, builds and checks envelopes, has keyd sign, seal
 * and open them, and trades plain messages with apid.  Prototypes are
 * grouped by the file that owns them.
 */
#ifndef RMB_NETD_H
#define RMB_NETD_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_extra.h"
#include "ipc_keyd.h"
#include "relayurl.h"
#include "tfchain_read.h"

struct chainrpc;
struct ev_loop;
struct twindir;

/* Time rules of doc/protocol.md §5.2 and §5.3, in seconds. */
#define NETD_DEFAULT_TTL	300
#define NETD_MAX_TTL		1800
#define NETD_RESPONSE_TTL	3600
#define NETD_JWT_TTL		300

/*
 * apid may have NETD_CREDIT messages in flight towards us; credit comes
 * back in batches of NETD_CREDIT_BATCH or after NETD_CREDIT_DELAY.
 */
#define NETD_CREDIT		256
#define NETD_CREDIT_BATCH	16
#define NETD_CREDIT_DELAY	0.05

/*
 * Incoming envelopes being checked plus the replies they caused: relay
 * reading stops at NETD_IN_MAX and resumes at half of it, and also while
 * apid has more than NETD_APID_QUEUE_MAX bytes waiting for it.
 */
#define NETD_IN_MAX		128
#define NETD_APID_QUEUE_MAX	(32 * 1024 * 1024)

/*
 * Requests to keyd in flight: above what credit and NETD_IN_MAX allow,
 * so that reaching it means a bug, which fails the one operation.
 */
#define NETD_KEYD_INFLIGHT	1024

/* Frames waiting on one relay socket for LWS_CALLBACK_CLIENT_WRITEABLE. */
#define NETD_RELAY_QUEUE	16

/* The socket loop of doc/protocol.md §7.2. */
#define NETD_PING_INTERVAL	20.
#define NETD_READ_TIMEOUT	40.
#define NETD_RETRY_MIN		2.
#define NETD_RETRY_MAX		30.
#define NETD_CONNECT_TIMEOUT	15	/* seconds for TCP, TLS, upgrade */

/* The built-in plugin's answer to rmb.version: a JSON string. */
#define NETD_VERSION_JSON	"\"v" PACKAGE_VERSION "\""

/* netd.c */
uint64_t netd_now(void);			/* wall clock, seconds */
/* 1 found (t set), 0 no such twin, -1 the source failed. */
typedef void (*netd_twin_cb)(void *arg, int rv, const struct twin_record *t);
/* Calls cb, before returning (a cached twin, the file) or from the loop. */
void	netd_twin_lookup(uint32_t id, netd_twin_cb cb, void *arg);
/* Drops twin id from the cache: the next lookup reads it again. */
void	netd_twin_forget(uint32_t id);
/* Queues one finished frame to apid; ipc_close() semantics. */
int	netd_apid_send(struct ipc_buf *);
/* One OUT_* message of apid is finished: its credit goes back. */
void	netd_credit_return(void);
/* Stops or resumes reading the relays as incoming work builds up. */
void	netd_flow_update(void);

/* netd_keyd.c */
/*
 * A keyd answer: err is NULL and data/len the reply's one bytes field,
 * or err and code come from IPC_KEYD_ERROR.
 */
typedef void (*netd_keyd_cb)(void *arg, const uint8_t *data, size_t len,
	    uint32_t code, const char *err);
void	netd_keyd_init(int fd);
/*
 * Blocking, for start-up, before netd_keyd_start(): each waits for its
 * reply, and a refusal or a broken channel is fatal.  The extrinsic
 * points into the channel's buffer until keyd is read again.
 */
void	netd_keyd_identity(struct keyd_identity *);
void	netd_keyd_set_twin(uint32_t twin);
void	netd_keyd_update_twin(const struct keyd_update_twin *,
	    struct keyd_bytes *);
/* From here on replies are read on the loop. */
void	netd_keyd_start(struct ev_loop *);
/* Writes the requests queued (netd.c calls it once per loop pass). */
void	netd_keyd_flush(void);
/*
 * Asynchronous requests; cb runs from the loop, never before they
 * return.  They return -1 when NETD_KEYD_INFLIGHT requests are waiting
 * or the frame cannot be built: cb is then never called.
 */
/* A relay token for ttl seconds from keyd's clock, "sid" null. */
int	netd_keyd_jwt(uint32_t ttl, netd_keyd_cb, void *);
/*
 * env, an unsigned envelope of ours with a plain payload, sealed for pk
 * (pklen 0: left plain) and signed; the answer is the envelope to send.
 */
int	netd_keyd_seal_sign(const uint8_t *pk, size_t pklen,
	    const uint8_t *env, size_t len, netd_keyd_cb, void *);
int	netd_keyd_open(const uint8_t *pk, size_t pklen, const uint8_t *cipher,
	    size_t len, netd_keyd_cb, void *);

/* netd_chain.c */
struct netd_chain_conf {
	struct twindir		*dir;		/* over rpc */
	struct chainrpc		*rpc;
	uint8_t			 account[32];
	const uint8_t		*pk;		/* our e2e public key */
	size_t			 pklen;
	const char *const	*domains;	/* of our relays, in the chain field's order */
	size_t			 ndomains;
	int			 no_update;
};
/*
 * Finds our twin on chain and, unless no_update, makes its relay field
 * and pk ours (doc/protocol.md §7.5), running loop until that is done.
 * Returns the twin id; every failure is fatal.
 */
uint32_t netd_chain_startup(struct ev_loop *, const struct netd_chain_conf *);
/*
 * 1 when t has pk and its relay field, as a set of '_'-separated
 * domains, is the set of the n domains dom; else 0.
 */
int	netd_twin_current(const struct twin_record *t, const char *const *dom,
	    size_t n, const uint8_t *pk, size_t pklen);

/* netd_relay.c */
/* Creates the lws context on loop: before the privilege drop. */
void	netd_relay_init(struct ev_loop *, int verbose);
/* Adds one relay and starts connecting; u is what relayurl_parse() gave. */
void	netd_relay_add(const char *url, const struct relay_url *u);
/*
 * Copies the frame to a connected socket's queue, the one that last
 * took a frame first.  Returns 0, or -1 when no socket can take it now.
 * The frame is written by netd_relay_flush() at the end of the pass.
 */
int	netd_relay_send(const uint8_t *frame, size_t len);
/* Writes what the sockets take of their queues (once per loop pass). */
void	netd_relay_flush(void);
/* Turns reading on every relay socket off (0) or on (1). */
void	netd_relay_rx(int on);
size_t	netd_relay_count(void);

/* netd_proto.c */
void	netd_proto_init(uint32_t own_twin);
/* An OUT_REQUEST or OUT_RESPONSE from apid; -1 when it is malformed. */
int	netd_proto_out(const struct ipc_msg *);
/* One whole binary message from a relay. */
void	netd_proto_in(const uint8_t *, size_t);
/* Every second: expire and retry the envelopes no relay took yet. */
void	netd_proto_tick(void);
/* A relay socket came up or drained: try the waiting envelopes now. */
void	netd_proto_retry(void);
/* Incoming envelopes and replies in progress, for netd_flow_update(). */
size_t	netd_proto_busy(void);
size_t	netd_proto_waiting(void);

/* netd_sandbox.c: installs the seccomp filter; 0, or -1. */
int	netd_sandbox(void);

#endif
