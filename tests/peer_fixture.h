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
};

/*
 * A temporary directory, RMB_LIBEXECDIR pointing at the build tree's
 * children, the relay's redis.  Returns 0, -2 without redis-server, -1.
 */
int	pf_init(struct pf_net *);
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

#endif
