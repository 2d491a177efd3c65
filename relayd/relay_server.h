/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay, the server: what its files share.  One process, one libev
 * loop: libwebsockets for HTTP and WebSockets (relay_http.c), hiredis for
 * the session streams (relay_switch.c) and the federation stream and
 * libcurl for relay-to-relay POSTs (relay_fed.c).  The deciding parts
 * (relay_route, relay_limit, relay_rank, relay_sessions, relay_metrics)
 * do no I/O and are tested on their own.
 */
#ifndef RMB_RELAY_SERVER_H
#define RMB_RELAY_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <sys/queue.h>

#include <ev.h>

#include "protocol.h"
#include "redisurl.h"
#include "relay_stream.h"
#include "relay_limit.h"
#include "relay_metrics.h"
#include "relay_rank.h"
#include "relay_sessions.h"
#include "twindir.h"

#define RELAY_LISTEN_DEFAULT	"[::]:8080"
#define RELAY_WORKERS_DEFAULT	500
#define RELAY_PER_WORKER_DEFAULT 1000
#define RELAY_SUBSTRATE_MAX	8
#define RELAY_CONNECT_TO_MAX	16

/*
 * A WebSocket message or a POST body is at most one envelope of the
 * peer's bound; bigger ones are refused (close 1009, HTTP 413).
 */
#define RELAY_MSG_MAX		ENVELOPE_MAX
#define RELAY_OUTQ_MAX		256	/* per connection, as the reference */
/*
 * And in bytes: entries read from a session's stream wait in memory up
 * to this (or one entry of any size); the rest stays in redis.
 */
#define RELAY_OUTQ_BYTES	(4 * 1024 * 1024)
#define RELAY_XREAD_COUNT	100
#define RELAY_XREAD_BLOCK_MS	5000
#define RELAY_ACK_BATCH		128	/* XDEL ids per command */
/*
 * Delivered entries are deleted before the loop waits again, but not
 * twice within this many seconds: under load the next pass is soon.
 */
#define RELAY_ACK_GAP		0.010
#define RELAY_WRITE_BATCH	64	/* frames a writable callback writes */
/*
 * Envelopes for a session whose stream holds nothing of ours wait in
 * memory while its socket is full, up to these figures; past them they
 * all go to its stream, in order, and so does what follows.
 */
#define RELAY_DIRECT_FRAMES	RELAY_OUTQ_MAX
#define RELAY_DIRECT_BYTES	(4 * 1024 * 1024)	/* or one envelope */
/* The direct path's write buffer is freed after a bigger envelope. */
#define RELAY_WBUF_KEEP		(256 * 1024)
#define RELAY_BACK_PRESSURE_MAX	60	/* seconds full before eviction */
#define RELAY_TWIN_CACHE	10000	/* twins the relay keeps */
#define RELAY_TWIN_TTL		300
#define RELAY_SUBSTRATE_DEFAULT	"wss://tfchain.grid.tf:443"	/* -s */
/*
 * Seconds a lookup in the shared twin cache (redis) may take before the
 * chain is read instead.
 */
#define RELAY_TWINSHARE_WAIT	0.2

/*
 * A session's frames that wait for a twin from the chain, in arrival
 * order: at this many frames or bytes the relay stops reading the
 * socket, and reads again once half of it has gone.
 * Frames libwebsockets had read before it stopped still go in up to the
 * _MAX figures; past those the session is closed (1013).  An empty FIFO
 * takes one frame whatever its size, up to RELAY_MSG_MAX.
 */
#define RELAY_HOLD_FRAMES	64
#define RELAY_HOLD_BYTES	(4 * 1024 * 1024)
#define RELAY_HOLD_FRAMES_MAX	(2 * RELAY_HOLD_FRAMES)
#define RELAY_HOLD_BYTES_MAX	(2 * RELAY_HOLD_BYTES)

#define RELAY_FED_STREAM	"relay.federation.stream"
#define RELAY_FED_GROUP		"federation"

/*
 * Envelopes on their way into redis (the outbox), kept until redis
 * confirms them and sent again after a reconnect: at these figures, or
 * while redis is away, sessions' frames wait in their hold FIFO and
 * POST / answers 503, until half of it has gone.  Past the _MAX figures
 * (frames of closing sessions, reports) an envelope is dropped; an empty
 * outbox takes one envelope of any size.
 */
#define RELAY_OUTBOX_BYTES	(64 * 1024 * 1024)
#define RELAY_OUTBOX_ENVS	8192
#define RELAY_OUTBOX_BYTES_MAX	(2 * RELAY_OUTBOX_BYTES)
#define RELAY_OUTBOX_ENVS_MAX	(2 * RELAY_OUTBOX_ENVS)
/* Seconds a POST / waits for redis's confirmation before its 503. */
#define RELAY_POST_WAIT		10

/*
 * The bytes of envelopes one session stream may hold, besides its
 * RELAY_STREAM_MAXLEN entries (--stream-bytes); the count is kept in
 * RELAY_BYTES_PREFIX and the stream key, beside the stream.
 */
#define RELAY_STREAM_BYTES_DEFAULT	(256ULL * 1024 * 1024)
#define RELAY_STREAM_BYTES_MIN		(64 * 1024)
#define RELAY_STREAM_BYTES_MAX		(1ULL << 40)
#define RELAY_BYTES_PREFIX	"bytes:"
/* At most this many entries over the cap are trimmed by one enqueue. */
#define RELAY_TRIM_MAX		1000
/*
 * A put sets its stream's TTL to RELAY_STREAM_TTL + RELAY_TTL_SLACK when
 * the stream or its count is new, or when this relay has not had one do
 * so for RELAY_TTL_SLACK / 2 seconds (doc/relay.md §1.6): those last are
 * remembered in RELAY_TTL_SLOTS slots, by stream key.
 */
#define RELAY_TTL_SLACK		60
#define RELAY_TTL_SLOTS		1024

struct relay_ttl_slot {
	uint64_t		 at;		/* monotonic seconds, sent */
	char			 key[16 + RELAY_SID_MAX];
};

/* POST / without a source twin: another relay's error report, this big. */
#define RELAY_REPORT_MAX	4096

struct relay_conf {
	const char		*domains[RELAY_DOMAINS_MAX];
	size_t			 ndomains;
	struct redis_url	 redis;
	char			 listen_host[64];	/* "" is every address */
	int			 listen_port;
	unsigned int		 workers;
	unsigned int		 per_worker;
	int			 limit_on;
	uint64_t		 limit_count;
	uint64_t		 limit_size;
	uint64_t		 ranker_period;
	int			 debug;
	const char		*twins_path;
	const char		*substrate[RELAY_SUBSTRATE_MAX];
	size_t			 nsubstrate;
	const char		*user;		/* become this when root */
	size_t			 twin_cache;	/* twins kept */
	uint64_t		 twin_ttl;	/* seconds a twin is kept */
	int			 no_sandbox;
	/* Test and private-network knobs for the federation client. */
	int			 federation_http;	/* http:// not https:// */
	const char		*connect_to[RELAY_CONNECT_TO_MAX];
	size_t			 nconnect_to;
	uint64_t		 stream_bytes;	/* per session stream */
	int			 metrics_all_workers;	/* idle ones too */
	int			 no_shared_twins;	/* no twin cache in redis */
	uint64_t		 catchup;	/* --catchup-threshold */
};

struct relay_group;
struct relay_fed;
struct relay_wait;
struct relay_put;
struct relay_twinshare;
struct rconn;
struct chainrpc;
struct chainlisten;

struct relay_server {
	struct relay_conf	 conf;
	struct ev_loop		*loop;
	struct lws_context	*lws;
	struct twindir		 twins;
	struct chainrpc		*chain;		/* NULL: --twins is the source */
	struct chainlisten	*events;	/* with the chain */
	struct relay_sessions	 sessions;
	struct relay_limit	 limit;
	struct relay_rank	 rank;
	struct relay_metrics	 metrics;
	struct rconn		*cmd;		/* XADD, XDEL, CLIENT UNBLOCK */
	struct relay_group	*groups;	/* conf.workers of them */
	LIST_HEAD(, relay_conn)	 acking;	/* conns with XDELs due */
	ev_prepare		 ack_prep;	/* XDELs go before the loop waits */
	ev_prepare		 put_prep;	/* and so do puts */
	ev_timer		 ack_timer;	/* or RELAY_ACK_GAP after the last */
	ev_tstamp		 ack_last;
	ev_timer		 tick;		/* once a second */
	struct relay_fed	*fed;
	uint64_t		 enqueue_failed;
	int			 stopping;
	int			 chain_down;	/* the last chain read failed */
	uint64_t		 chain_probe;	/* when one was last tried */
	/* relay_switch.c: the outbox, oldest first */
	TAILQ_HEAD(, relay_put)	 puts;
	struct relay_put	*put_next;	/* the first one not sent */
	size_t			 put_bytes;
	unsigned int		 nputs;
	unsigned int		 nflight;	/* sent, reply due */
	uint64_t		 put_seq;
	int			 put_full;	/* over the figures */
	int			 reload;	/* NOSCRIPT: load again */
	int			 was_ready;
	int			 switch_freeing;
	char			 put_sha[41], ack_sha[41];
	struct relay_ttl_slot	*ttls;		/* RELAY_TTL_SLOTS */
	unsigned int		*busy;		/* put scripts out, by slot */
	unsigned char		*wbuf;		/* LWS_PRE, then a direct write */
	size_t			 wcap;
	/* relay_http.c: sessions whose frames wait for the outbox */
	struct relay_conn	*stalled;
	/* relay_twinshare.c: NULL with --twins or --no-shared-twin-cache */
	struct relay_twinshare	*share;
};

/* A delivered entry whose XDEL is due, and its bytes for the budget. */
struct relay_ack {
	char			 id[48];
	size_t			 len;
};

/*
 * A frame lws kept part of when it was written: it has not gone out
 * until lws says so.  Read from the stream, its entry (id) is deleted
 * only once it went out.  Written directly, a copy of its envelope (env)
 * is put in the stream at once (put, then id), ahead of what comes after
 * it: that copy is skipped by c's reads and deleted once the frame went
 * out, and is there for the next session if it did not.
 */
struct relay_doubt {
	int			 direct;
	int			 out;		/* went out, the copy's put due */
	struct relay_put	*put;		/* the copy's, until redis answers */
	char			 id[48];
	size_t			 len;
	uint8_t			 env[];
};

/* One WebSocket session, in the lws per-session memory. */
struct relay_outmsg {
	STAILQ_ENTRY(relay_outmsg) entry;
	size_t			 len;
	char			 id[48];	/* stream entry id */
	int			 has_from;	/* direct: refusals go to from */
	struct relay_sess_id	 from;
	unsigned char		 buf[];		/* LWS_PRE bytes, then len */
};

struct relay_conn {
	struct relay_server		*relay;
	struct lws		*wsi;
	struct relay_sess_id	 id;
	uint64_t		 gen;		/* in r->sessions, 0 if not in */
	char			 key[16 + RELAY_SID_MAX];	/* stream key */
	char			 last[48];	/* last stream id taken */
	int			 closing;
	/* relay_switch.c */
	struct relay_group	*group;
	LIST_ENTRY(relay_conn)	 glink;		/* in its group */
	int			 snap;		/* index in XREAD, or -1 */
	int			 fresh;		/* not yet in an XREAD */
	STAILQ_HEAD(, relay_outmsg) outq;	/* set up by relay_switch_join */
	unsigned int		 qlen;
	size_t			 qbytes;
	STAILQ_HEAD(, relay_outmsg) dq;	/* for direct, not in redis */
	unsigned int		 dqlen;
	size_t			 dqbytes;
	uint64_t		 full_since;	/* monotonic s, 0 if room */
	struct relay_ack	*acks;		/* written, XDEL due */
	unsigned int		 nacks;
	LIST_ENTRY(relay_conn)	 alink;		/* in r->acking */
	int			 in_acking;
	/*
	 * Direct delivery, when this relay has nothing undelivered in the
	 * session's stream: synced once an XLEN at the join found it empty
	 * or an XREAD since reached its end; npend of its puts wait for
	 * redis; hi is the newest entry redis confirmed (0-0: none due),
	 * read once last reaches it or an XREAD sent after XREAD number
	 * hi_after reaches the end; doubt, a frame lws holds part of.
	 */
	int			 synced;
	unsigned int		 npend;
	uint64_t		 hi_ms, hi_seq;
	uint64_t		 hi_after;
	struct relay_doubt	*doubt;
	/* relay_http.c: a message or POST body being gathered */
	uint8_t			*rx;
	size_t			 rxlen, rxcap;
	int			 too_big;
	int			 authed;	/* the upgrade was accepted */
	int			 is_ingest;	/* POST / */
	int			 close_status;
	char			 close_why[124];	/* RFC 6455: 123 bytes */
	struct relay_wait	*wait;		/* frames held, a lookup out */
	struct relay_conn	*snext, *sprev;	/* in r->stalled */
	int			 stalled;
	struct relay_put	*put;		/* POST /: in redis? */
	unsigned int		 resp_status;	/* due when not 0 */
	const char		*resp_type;
	int			 resp_body;	/* the headers went */
	unsigned char		*resp;		/* LWS_PRE, then the body */
	size_t			 resplen;
	char			 peer[64];
};

/* relay_switch.c */
int	relay_switch_init(struct relay_server *);
void	relay_switch_free(struct relay_server *);
/* At shutdown: sends what is due and lets redis answer before the free. */
void	relay_switch_drain(struct relay_server *);
int	relay_switch_drained(const struct relay_server *);
/*
 * How an enqueue ended: stored, refused by the stream's byte budget,
 * refused by redis (an error reply), or its reply lost (only with
 * RELAY_PUT_ONCE, and when a POST waited past RELAY_POST_WAIT).
 */
enum relay_put_result {
	RELAY_PUT_OK,
	RELAY_PUT_FULL,
	RELAY_PUT_FAILED,
	RELAY_PUT_LOST
};
typedef void	(*relay_put_fn)(void *arg, enum relay_put_result);

#define RELAY_PUT_ONCE	0x01	/* a lost reply ends it, no resend */

/*
 * Queues env (copied) for the stream of session dest, or for the
 * federation stream when dest is NULL, in the outbox: it is sent before
 * the event loop waits, with what else waits for its stream, or once
 * redis is back, and again after a reconnect that lost its reply.
 * A refusal of an envelope from session from (NULL: none) is reported
 * to it when it is a request (doc/relay.md §1.9); fn (may be NULL) is told
 * how it ended, never before this returns.  Returns the enqueue, whose
 * fn relay_put_cancel can stop, or NULL when out of memory or past the
 * outbox's _MAX figures (nothing was queued; the caller logs).
 */
struct relay_put *relay_put(struct relay_server *, const struct relay_sess_id *dest,
	    const uint8_t *env, size_t len, const struct relay_sess_id *from,
	    int flags, relay_put_fn fn, void *arg);
/*
 * Delivers env for session dest: written to it at once when it is
 * connected here, writable, and its stream holds nothing this relay put
 * there and has not delivered; else relay_put, for the stream.  0, or -1
 * as relay_put's NULL.
 */
int	relay_deliver(struct relay_server *, const struct relay_sess_id *dest,
	    const uint8_t *env, size_t len, const struct relay_sess_id *from);
/* Its fn is not called; the enqueue itself goes on. */
void	relay_put_cancel(struct relay_put *);
/* 1 when redis is up and the outbox has room: frames may be routed. */
int	relay_switch_ready(const struct relay_server *);
/* A session joined or left; delivery starts or stops. */
int	relay_switch_join(struct relay_server *, struct relay_conn *);
void	relay_switch_leave(struct relay_server *, struct relay_conn *);
/* The connection is writable: the next queued frame, if any. */
void	relay_switch_writable(struct relay_server *, struct relay_conn *);
/* Once a second: back-pressure evictions. */
void	relay_switch_tick(struct relay_server *, uint64_t now);

/* relay_http.c */
int	relay_http_init(struct relay_server *);
void	relay_http_free(struct relay_server *);
/* Closes a session's WebSocket (replaced or evicted). */
void	relay_http_close(struct relay_conn *, int status, const char *why);
/* The switch is ready again: the sessions whose frames wait go on. */
void	relay_http_resume(struct relay_server *);

/* relay_mask.c */
/*
 * A WebSocket's socket: its bytes from here on are parsed as client
 * frames, so that an unmasked one is seen (RFC 6455 §5.1).
 */
void	relay_mask_watch(int fd);
void	relay_mask_forget(int fd);
/* 1 once a frame without a mask came on fd. */
int	relay_mask_broken(int fd);

/* relay_fed.c */
struct relay_fed *relay_fed_new(struct relay_server *);
/*
 * Stops reading and posting; the acks already asked for still go to
 * redis, and relay_fed_stopped() is 1 once they have been answered.
 */
void	relay_fed_stop(struct relay_fed *);
int	relay_fed_stopped(const struct relay_fed *);
void	relay_fed_free(struct relay_fed *);

/* relay_twinshare.c */
/*
 * The twin cache relays on one redis share, set as the shared level of
 * r->twins (open over the chain) on a redis connection of its own.
 * NULL when out of memory.
 */
struct relay_twinshare *relay_twinshare_new(struct relay_server *r);
/* Takes it off r->twins and frees it; NULL is allowed. */
void	relay_twinshare_free(struct relay_twinshare *);

/* relay_sandbox.c: installs the seccomp filter; 0, or -1. */
int	relay_sandbox(void);

/* rmb_relay.c */
uint64_t relay_now(void);	/* unix seconds */
uint64_t relay_mono(void);	/* monotonic seconds */
/*
 * The twin lookup of route and auth, without I/O: the cache, then the
 * file.  1 found, 0 no such twin, -1 failed, or 2 when the chain is the
 * source and the twin is not cached: ask twindir_lookup.
 */
int	relay_lookup(void *relay, uint32_t twin, struct twin_record *out);

/*
 * Told the outcome (twindir's rv) of every twin read from the chain, for
 * GET /health: the chain is down from a failed read to an answered one.
 */
void	relay_chain_seen(struct relay_server *, int rv);

/* Copies the events listener's figures into the metrics, if it runs. */
void	relay_events_metrics(struct relay_server *);

#endif
