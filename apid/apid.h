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

#include "imsg.h"
#include "msgjson.h"
#include "rconn.h"
#include "redisurl.h"

#define APID_LOCAL_QUEUE	"msgbus.system.local"
#define APID_REPLY_QUEUE	"msgbus.system.reply"
#define APID_BACKLOG_PREFIX	"msgbus.backlog."
#define APID_LIST_LAST		"9999"	/* LTRIM 0 9999 keeps 10000 */
#define APID_TTL_DEFAULT	300	/* backlog and request, §5.3 */
#define APID_TTL_MAX		1800
#define APID_RESPONSE_TTL	3600	/* netd caps it to 1800 */
#define APID_UID_LEN		MSGJSON_UUID_LEN
/*
 * Redis work that waits while the command connection is down: at most
 * this many jobs (each at most one message); beyond, a job is dropped
 * with a log line.
 */
#define APID_WAIT_MAX		1024
#define APID_TRIES		3	/* sends cut by a disconnect */

struct apid_job;
TAILQ_HEAD(apid_jobs, apid_job);

struct apid {
	struct ev_loop		*loop;
	struct imsgbuf		 parent;
	struct imsgbuf		 netd;
	ev_io			 parent_ev;
	ev_io			 netd_rev;
	ev_io			 netd_wev;
	ev_timer		 pop_retry;
	struct redis_url	 url;
	struct rconn		*pop;	/* only ever BRPOP */
	struct rconn		*cmd;	/* everything else */
	int64_t			 credit;	/* may go below 0 */
	int			 popping;
	struct apid_jobs	 waiting;
	size_t			 nwaiting;
};

/* apid.c */
void	apid_netd_send(struct apid *, struct ibuf *);

/* apid_redis.c */
void	apid_redis_init(struct apid *);
void	apid_pop(struct apid *);
/* These take over the message (and its dat). */
void	apid_deliver_request(struct apid *, struct msg_in_req *,
	    uint32_t twin, const char *conn);
void	apid_deliver_response(struct apid *, const char *uid,
	    struct msg_in_resp *);

#endif
