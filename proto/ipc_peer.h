/* SPDX-License-Identifier: ISC */
/*
 * The parent's messages to and from netd and apid (keyd's configuration
 * is in ipc_keyd.h, the one codec keyd links), in the pattern of
 * ipc_keyd.h: a struct with its layout, put queues it on a channel, get
 * checks every field, its bounds and that nothing is left over, and
 * returns 0 or -1.  The log level is not among them: a child takes it
 * from -v on its command line (common/trusted/proc.h).
 */
#ifndef RMB_IPC_PEER_H
#define RMB_IPC_PEER_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "ipc_types.h"
#include "redisurl.h"
#include "twincache.h"

#define SUBSTRATES_MAX		8	/* tfchain URLs */
#define TWIN_TTL_MAX		86400	/* seconds netd keeps a twin */

/*
 * NETD_CONFIG, parent -> netd, once, first:
 *   u32 nrelays (1 to RELAYS_MAX), nrelays x str relay URL (URL_MAX),
 *   u32 ndomains (1 to nrelays), ndomains x str relay domain: the
 *   chain's relay field in order, which keyd gets joined (relay_domain_check),
 *   u32 nsubstrates (0 to SUBSTRATES_MAX), nsubstrates x str chain URL,
 *   str twin file ("" = the chain), u32 no_update (0 or 1),
 *   str user (become it when root; "" = stay),
 *   u32 twin cache capacity (1 to TWINCACHE_MAX), u32 its TTL in
 *   seconds (1 to TWIN_TTL_MAX).
 */
struct netd_config {
	size_t		nrelays;
	char		relays[RELAYS_MAX][URL_MAX + 1];
	size_t		ndomains;
	char		domains[RELAYS_MAX][RELAY_DOMAIN_MAX + 1];
	size_t		nsubstrates;
	char		substrates[SUBSTRATES_MAX][URL_MAX + 1];
	char		twins[PATH_MAX];
	uint32_t	no_update;
	char		user[USER_NAME_MAX + 1];
	uint32_t	twin_cache;
	uint32_t	twin_ttl;
};
int	netd_config_put(struct ipc_chan *, const struct netd_config *);
int	netd_config_get(const struct ipc_msg *, struct netd_config *);

/*
 * APID_CONFIG, parent -> apid, once, first:
 *   str redis URL (REDISURL_MAX), str user (as netd's).
 */
struct apid_config {
	char		redis[REDISURL_MAX + 1];
	char		user[USER_NAME_MAX + 1];
};
int	apid_config_put(struct ipc_chan *, const struct apid_config *);
int	apid_config_get(const struct ipc_msg *, struct apid_config *);

/*
 * PEER_READY, netd or apid -> parent, once each: netd once keyd has
 * answered and it knows its twin, apid once redis answers and it has
 * read its journal (keyd is ready when netd is).  The parent tells the
 * service manager when both have.
 *   u32 twin id (netd: ours; apid: 0).
 */
struct peer_ready {
	uint32_t	twin;
};
int	peer_ready_put(struct ipc_chan *, const struct peer_ready *);
int	peer_ready_get(const struct ipc_msg *, struct peer_ready *);

#endif
