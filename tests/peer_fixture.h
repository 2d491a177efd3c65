/* SPDX-License-Identifier: ISC */
/*
 * A private network for the peer's daemon tests and benchmark: a relay
 * with its redis, peers each with their own redis, the children taken
 * from the build tree, a static twin file; all on loopback, all stopped
 * by the caller.
 */
#ifndef RMB_PEER_FIXTURE_H
#define RMB_PEER_FIXTURE_H

#include <sys/types.h>

#include "harness.h"
#include "relay_client.h"

struct pf_net {
	const char		*top;		/* the build tree */
	char			 dir[256];	/* logs, secrets, twin file */
	char			 twins[300];
	char			 jail[300];
	struct redis_srv	 redis;		/* the relay's */
	int			 relay_port;
	pid_t			 relay_pid;
	const char		*substrate;	/* the relay reads the chain */
};

struct pf_peer {
	const char		*name;
	const struct rc_twin	*twin;
	const char		*key_type;	/* "sr25519", "ed25519" */
	struct redis_srv	 redis;
	pid_t			 pid;
	char			 log[300];
	const char		*substrate;	/* twins from this chain */
	int			 update;	/* let it update its twin */
	int			 quiet;		/* the default log level, not -d */
};

/*
 * A temporary directory, RMB_LIBEXECDIR pointing at the build tree's
 * children, the relay's redis.  Returns 0, -2 without redis-server, -1.
 */
int	pf_init(struct pf_net *);
/*
 * pf_init() for a test's main(): -1 once the network is set up;
 * otherwise the plan's SKIP (no redis-server) or "Bail out!" is printed
 * and main()'s exit status returned (0 or 1).
 */
int	pf_begin(struct pf_net *);
/*
 * Starts (or restarts, on the same port) rmb-relay, with the twin file
 * or, when n->substrate is set, the chain; 0 or -1.
 */
int	pf_relay_start(struct pf_net *);
void	pf_relay_stop(struct pf_net *);
/*
 * Starts p with its own redis and the twin file twins (NULL: the
 * network's), or the chain when p->substrate is set; --no-update unless
 * p->update.  With wait, returns once its netd reached the relay.
 */
int	pf_peer_start(struct pf_net *, struct pf_peer *, const char *twins,
	    int wait);
/* Stops p; returns its wait status. */
int	pf_peer_stop(struct pf_peer *);
/* Removes the directory when ok, else says where the logs are. */
void	pf_done(struct pf_net *, int ok);

int	pf_lpush(int port, const char *key, const char *json);
/* BLPOP for up to secs; the value (malloc'd) or NULL. */
char	*pf_blpop(int port, const char *key, int secs);
long long pf_llen(int port, const char *key);
/* A JsonOutgoingRequest; dst is "2" or "2,3"; tag may be NULL. */
void	pf_request(char *out, size_t cap, const char *ref, const char *cmd,
	    unsigned int exp, const char *body, const char *dst,
	    const char *ret, const char *tag);
/*
 * The echo service's answer to one JsonIncomingRequest (req is cut up in
 * place): the same body back to its src.  0, or -1 if it does not fit.
 */
int	pf_echo_reply(char *req, char *resp, size_t cap);
/*
 * Answers one request of msgbus.<cmd> in p's redis with the body it
 * carried (an echo service).  0, or -1 when none came in secs.
 */
int	pf_echo_one(const struct pf_peer *, const char *cmd, int secs);


/*
 * Faults, for tests/bench/faults: what is stopped here keeps its port,
 * directory and configuration, so that it starts again as it was.
 */
enum pf_halt {
	PF_HALT_KILL,		/* SIGKILL: a crash */
	PF_HALT_TERM,		/* SIGTERM: what redis does on its own */
	PF_HALT_SAVE		/* SHUTDOWN SAVE: the data kept in dump.rdb */
};

/* Stops r, keeping r->port and r->dir for pf_redis_resume.  0 or -1. */
int	pf_redis_halt(struct redis_srv *, enum pf_halt);
/*
 * Starts redis-server again on r's port and directory, with opts after
 * the usual ones (NULL-terminated, e.g. "--appendonly", "yes"; NULL:
 * none), and waits up to 10 s for PING.  0 or -1.
 */
int	pf_redis_resume(struct redis_srv *, const char *const opts[]);
/*
 * Stops r and removes its directory with all redis made there (the AOF
 * is a subdirectory, which redis_stop leaves).
 */
void	pf_redis_purge(struct redis_srv *);
/*
 * The descendants of pid from /proc, children first, up to cap of them
 * in out; their count.
 */
int	pf_descendants(pid_t, pid_t *out, int cap);
/* The child of pid named comm (its /proc name), or -1. */
pid_t	pf_child(pid_t, const char *comm);
/*
 * SIGKILLs p's parent and its children at once (all stopped first, so
 * none sees the others go) and reaps them; p's redis keeps running.
 * 0, or -1 when one of them outlived the bound.
 */
int	pf_peer_kill(struct pf_peer *);
/*
 * Waits up to timeout_ms for p's parent to exit by itself: 1 (reaped,
 * *status set, p->pid 0) or 0.
 */
int	pf_peer_wait(struct pf_peer *, int timeout_ms, int *status);
/*
 * Starts p again after it ended, with its configuration and its redis
 * as they are; the old log is kept beside the new one (log.1, log.2).
 */
int	pf_peer_restart(struct pf_net *, struct pf_peer *, const char *twins,
	    int wait);
/* SIGKILLs the relay and reaps it. */
void	pf_relay_kill(struct pf_net *);
/* pf_relay_start, keeping the old log as for pf_peer_restart. */
int	pf_relay_restart(struct pf_net *);

#endif
