/* SPDX-License-Identifier: ISC */
/*
 * rmb-apid: the peer's redis side.  It pops what local programs push
 * (requests on msgbus.system.local, a service's replies on
 * msgbus.system.reply), keeps the backlog, and hands messages to and
 * from rmb-netd over imsg; it never sees the secret or the network.
 */
#ifndef RMB_APID_H
#define RMB_APID_H

#include <sys/queue.h>

#include <stdint.h>

#include <ev.h>

#include "ipc.h"
#include "ipc_apid.h"
#include "ipc_extra.h"
#include "msgjson.h"
#include "rconn.h"
#include "redisurl.h"

#define APID_LOCAL_QUEUE	"msgbus.system.local"
#define APID_REPLY_QUEUE	"msgbus.system.reply"
#define APID_BACKLOG_PREFIX	"msgbus.backlog."
/*
 * The journal (ours; rmb-rs has none).  A request moves atomically from
 * the local queue to PENDING when it is popped; one transaction (for a
 * batch) then stores its backlog, its WAITING answers, its DEADLINE and
 * its INFLIGHT record and takes it off PENDING; INFLIGHT goes once netd
 * has handed every destination to a relay.  So a request is always in
 * redis until it left, and every destination is answered once: by its
 * response, by a send failure, or at the deadline (doc/protocol.md §6.5).
 */
#define APID_PENDING_QUEUE	"msgbus.system.local.pending"
#define APID_INFLIGHT		"msgbus.system.inflight"
#define APID_DEADLINES		"msgbus.system.deadlines"
#define APID_WAITING_SUFFIX	".waiting"	/* after the backlog key */
#define APID_LIST_LAST		"9999"	/* LTRIM 0 9999 keeps 10000 */
#define APID_LIST_MAX		10000	/* a push past it trims */
#define APID_TTL_DEFAULT	300	/* doc/protocol.md §5.3 */
#define APID_TTL_MAX		1800
#define APID_RESPONSE_TTL	3600	/* netd caps it to 1800 */
#define APID_RET_TTL		"3600"	/* a reply list nobody reads goes */
/* ret lists pushed to whose EXPIRE waits for the next sweep tick */
#define APID_RETX		64
/*
 * A destination that has not answered this many seconds after the
 * request's deadline is answered by us; the backlog outlives the
 * deadline by APID_KEEP so that the answer can still find it.
 */
#define APID_GRACE		5
#define APID_KEEP		60
#define APID_SWEEP_MAX		64	/* deadlines asked for at once */
#define APID_UID_LEN		MSGJSON_UUID_LEN
/*
 * Redis work that waits while the command connection is down: at most
 * this many jobs (each at most one message); beyond, a job is dropped
 * with a log line.
 */
#define APID_WAIT_MAX		1024
#define APID_TRIES		3	/* sends cut by a disconnect */
#define APID_REQTAB		1024	/* buckets of requests by token */
#define APID_DONE_BATCH		128	/* inflight records dropped at once */
#define APID_TAKE_MAX		64	/* requests or replies popped at once */
/*
 * Past this many bytes in one pop, the next takes one message: a queue of
 * big ones is read one at a time, not 64 of up to 86 MiB in one reply.
 */
#define APID_TAKE_BYTES		(4 * 1024 * 1024)
#define APID_ANS_MAX		8192	/* requests whose ret we remember */
#define APID_RND_POOL		4096	/* random bytes drawn at once (uids) */

struct apid_job;
TAILQ_HEAD(apid_jobs, apid_job);

/*
 * A journaled request on its way to netd: dst[next..ndst) still goes
 * out, one destination per credit; it is forgotten once netd reported
 * every destination sent or failed.
 */
struct apid_req {
	LIST_ENTRY(apid_req)	 hash;
	uint32_t		 id;		/* the OUT_REQUEST header id */
	char			 uid[APID_UID_LEN + 1];
	struct msg_out_req	*req;
	uint64_t		 ts, exp;
	size_t			 next;
	size_t			 done;
	int			 journaling;	/* its transaction is under way */
	int			 over;		/* settled while journaling */
};
LIST_HEAD(apid_reqs, apid_req);

/* Where the answers of a request journaled in this run go. */
struct apid_ans {
	LIST_ENTRY(apid_ans)	 hash;
	TAILQ_ENTRY(apid_ans)	 age;
	char			 uid[APID_UID_LEN + 1];
	char			*ret;
	char			*ref;		/* NULL: none */
	size_t			 left;		/* answers still due */
	int			 journaling;	/* its transaction is under way */
	struct apid_jobs	 held;		/* answers waiting for it */
	/*
	 * While mirror is set, what each twin still owes is as in its
	 * waiting hash: only commands sent after ours change either.
	 */
	int			 mirror;
	uint64_t		 deadline;
	size_t			 ntw;
	uint32_t		*tw;
	uint32_t		*owe;
};
LIST_HEAD(apid_anss, apid_ans);
TAILQ_HEAD(apid_ansq, apid_ans);

/* What waits for credit, in order: a request's destinations or a reply. */
struct apid_out {
	TAILQ_ENTRY(apid_out)	 entry;
	struct apid_req		*req;
	struct ipc_buf		*ib;
};
TAILQ_HEAD(apid_outs, apid_out);

struct apid {
	struct ev_loop		*loop;
	struct ipc_chan		 parent;
	struct ipc_chan		 netd;
	ev_io			 parent_ev;
	ev_io			 netd_rev;
	ev_io			 netd_wev;
	ev_timer		 pop_retry;
	ev_timer		 sweep;
	ev_prepare		 flush;		/* once per loop pass */
	char			*done;		/* uids left, APID_UID_LEN each */
	size_t			 ndone;
	struct redis_url	 url;
	struct rconn		*popreq;	/* only ever BLMOVE */
	struct rconn		*pop;		/* only ever BLMPOP */
	struct rconn		*cmd;		/* everything else */
	int64_t			 credit;	/* never below 0 */
	int64_t			 reserved;	/* popped, waiting for redis */
	int			 popping_req;
	int			 taking;	/* a batch takes the next */
	int			 take_hint;	/* LMOVEs the next batch sends */
	struct apid_job		*batch;		/* being built */
	int			 popping;
	int			 pop_one;	/* the last pop was big */
	int			 sweeping;
	int			 recovered;	/* the journal was read */
	int			 recovering;	/* replies still due */
	int			 ready;		/* the parent was told */
	struct apid_outs	 outq;
	struct apid_reqs	 reqs[APID_REQTAB];
	uint32_t		 next_id;
	uint8_t			 rnd[APID_RND_POOL];
	size_t			 rndoff;	/* bytes of it used */
	struct apid_anss	 ans[APID_REQTAB];
	struct apid_ansq	 ansq;
	size_t			 nans;
	struct apid_jobs	 waiting;
	size_t			 nwaiting;
	struct apid_jobs	 deliver;	/* see apid_deliver_request */
	char			*retx[APID_RETX];	/* see pushed */
};

/* apid.c */
/* Queues a frame for netd; apid_netd_flush writes, once per loop pass. */
void	apid_netd_send(struct apid *, struct ipc_buf *);
void	apid_netd_flush(struct apid *);
/* Sends IPC_PEER_READY to the parent, once redis answers. */
void	apid_tell_ready(struct apid *);

/* apid_redis.c */
void	apid_redis_init(struct apid *);
void	apid_pop(struct apid *);
/* Credit came: send what waits for it; the loop pass ends with a pop. */
void	apid_pump(struct apid *);
/*
 * Writes the request's JSON at once (m and its dat stay the caller's) and
 * pushes it at apid_deliver_flush, called once the frames read from netd
 * are handled: a big one's frame is gone by then, and not held with the
 * JSON and the command that carries it to redis.
 */
void	apid_deliver_request(struct apid *, const struct msg_in_req *m,
	    uint32_t twin, struct ipc_apid_str conn);
void	apid_deliver_flush(struct apid *);
/* This one takes over the message (and its dat). */
void	apid_deliver_response(struct apid *, const char *uid, uint32_t twin,
	    struct msg_in_resp *);
/* netd's word on one destination of request id: -1 for an unknown id. */
int	apid_sent(struct apid *, uint32_t id);
int	apid_send_failed(struct apid *, uint32_t id, const char *uid,
	    uint32_t twin, struct msg_in_resp *);

/* apid_sandbox.c: installs the seccomp filter; 0, or -1. */
int	apid_sandbox(void);

#endif
