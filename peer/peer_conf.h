/* SPDX-License-Identifier: ISC */
/*
 * The peer's configuration: the file of rmb-peer.conf(5) and the command
 * line fill the same structure through the same checks, so that a value
 * is refused with the same reason wherever it comes from.  Parsing does
 * no I/O; peer_conf_load() only reads the file.
 */
#ifndef RMB_PEER_CONF_H
#define RMB_PEER_CONF_H

#include <limits.h>
#include <stddef.h>

#include "identity.h"
#include "ipc_peer.h"
#include "redisurl.h"

#define PEER_DEBUG_MAX		2
#define PEER_CONF_FILE_MAX	65536	/* the whole file */
#define PEER_CONF_LINE_MAX	8192	/* one line, without newline */

#define PEER_DEFAULT_REDIS	REDISURL_DEFAULT
#define PEER_DEFAULT_RELAY	"wss://relay.grid.tf:443"
#define PEER_DEFAULT_SUBSTRATE	"wss://tfchain.grid.tf:443"
/*
 * Each child runs as a user of its own when the peer runs as root, so
 * that none of them can signal, trace or read the memory of another:
 * the system users of the packages (dist/sysusers.d/rmb-peer.conf).
 */
#define PEER_DEFAULT_KEYD_USER	"_rmb-keyd"
#define PEER_DEFAULT_NETD_USER	"_rmb-netd"
#define PEER_DEFAULT_APID_USER	"_rmb-apid"
#define PEER_DEFAULT_JAIL	"/run/rmb-peer"
#define PEER_TWIN_CACHE		500	/* rmb-rs's (doc/protocol.md §7.6) */
#define PEER_TWIN_TTL		300

/* One bit per keyword, to tell "given" from "default". */
enum peer_kw {
	PKW_KEY_TYPE = 0,
	PKW_MNEMONIC_FILE,
	PKW_REDIS,
	PKW_RELAY,
	PKW_SUBSTRATE,
	PKW_TWINS,
	PKW_NO_UPDATE,
	PKW_USER,
	PKW_JAIL,
	PKW_DEBUG,
	PKW_TWIN_CACHE,
	PKW_TWIN_TTL,
	PKW_KEYD_USER,
	PKW_NETD_USER,
	PKW_APID_USER,
	PKW_COUNT
};

struct peer_conf {
	unsigned int	set;		/* 1 << PKW_* when given */
	enum key_type	key_type;
	char		mnemonic_file[PATH_MAX];
	char		redis[REDISURL_MAX + 1];
	char		relay[RELAYS_MAX][URL_MAX + 1];
	size_t		nrelay;
	char		substrate[SUBSTRATES_MAX][URL_MAX + 1];
	size_t		nsubstrate;
	char		twins[PATH_MAX];
	int		no_update;
	char		user[USER_NAME_MAX + 1];	/* all three children */
	/*
	 * Each child's own user; after peer_conf_finish() what it runs as:
	 * its keyword, else user, else its default.
	 */
	char		keyd_user[USER_NAME_MAX + 1];
	char		netd_user[USER_NAME_MAX + 1];
	char		apid_user[USER_NAME_MAX + 1];
	char		jail[PATH_MAX];
	int		debug;
	unsigned int	twin_cache;	/* twins netd keeps */
	unsigned int	twin_ttl;	/* seconds it keeps one */
	/*
	 * After peer_conf_finish(): the relay domains, computed once, for
	 * netd (peer_conf_domains()), and joined, the chain's relay field
	 * for keyd ("" for none).
	 */
	char		domains[RELAYS_MAX][RELAY_DOMAIN_MAX + 1];
	size_t		ndomains;
	char		chain_relay[TWIN_RELAY_MAX + 1];
};

/* Nothing given, every field empty. */
void	 peer_conf_init(struct peer_conf *);

/* The keyword's name in the file ("key-type"), or NULL. */
const char *peer_kw_name(enum peer_kw);
int	 peer_kw_repeatable(enum peer_kw);

/*
 * Checks value for kw and stores it (a repeatable keyword appends).
 * Returns 0, or -1 with the reason in why, which never names the
 * keyword: callers prefix it.  Paths must be absolute.
 */
int	 peer_conf_set(struct peer_conf *, enum peer_kw, const char *value,
	    char *why, size_t whylen);

/*
 * Parses a whole file's text (len bytes, no NUL needed) into c, which
 * should come from peer_conf_init().  name is only for messages.  Returns
 * 0, or -1 with "name:line: reason" (or "name: reason") in err.
 */
int	 peer_conf_parse(struct peer_conf *c, const char *name,
	    const char *buf, size_t len, char *err, size_t errlen);

/*
 * Reads path and parses it.  The file must be a regular file owned by
 * root or by us and not writable by group or others, since it names the
 * secret's file and the user the children become.  Returns 0, 1 when the
 * file does not exist and missing_ok, or -1 with the reason in err.
 */
int	 peer_conf_load(struct peer_conf *c, const char *path,
	    int missing_ok, char *err, size_t errlen);

/*
 * Everything given in over (the command line) replaces base's (the
 * file's); a repeatable keyword given in over replaces all of base's.
 * A user given in over is every child's: it replaces base's keyd-user,
 * netd-user and apid-user too, unless over gives them as well.
 */
void	 peer_conf_merge(struct peer_conf *base,
	    const struct peer_conf *over);

/*
 * Fills what was not given with the defaults, sets the relay domains
 * and chain_relay, and checks what only the whole configuration shows:
 * those domains joined as tfchain will store them.  Returns 0, or -1
 * with the reason in why.
 */
int	 peer_conf_finish(struct peer_conf *, char *why, size_t whylen);

/*
 * The relay domains (relayurl_parse()), in the order of the relays,
 * without repeats, into dom.  Returns how many.  The relays must have
 * passed peer_conf_set().
 */
size_t	 peer_conf_domains(const struct peer_conf *,
	    char dom[RELAYS_MAX][RELAY_DOMAIN_MAX + 1]);

#endif
