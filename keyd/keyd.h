/* SPDX-License-Identifier: ISC */
/*
 * rmb-keyd: the only process that holds the identity secret.  It answers
 * a short list of typed requests from netd over one socketpair and
 * refuses to sign anything it did not build or parse itself.
 */
#ifndef RMB_KEYD_H
#define RMB_KEYD_H

#include <stddef.h>
#include <stdint.h>

#include "e2e.h"
#include "identity.h"
#include "ipc_keyd.h"
#include "proc.h"
#include "tfchain.h"

#define KEYD_LRU_SIZE		64	/* cached ECDH keys */

struct keyd_lru_entry {
	uint8_t		pk[E2E_PK_MAX_BYTES];
	size_t		pklen;
	uint8_t		key[E2E_KEY_BYTES];
	uint64_t	used;		/* 0: empty */
};

/* Secret parts live in sodium_malloc()ed, locked, guarded pages. */
struct keyd_secrets {
	struct identity		id;
	struct e2e_key		e2e;
	struct keyd_lru_entry	lru[KEYD_LRU_SIZE];
};

struct keyd {
	struct keyd_secrets	*s;
	struct ipc_chan		*out;		/* netd's: the replies */
	uint64_t		 clock;		/* LRU ticks */
	uint32_t		 twin;		/* 0 until netd sets it */
	uint8_t			 pallet;
	uint8_t			 call;
	char			 relay[TWIN_RELAY_MAX + 1];	/* "a_b" */
};

/* keyd_verbs.c: the verbs by request type, for proc_drain(). */
extern const struct proc_handler keyd_verbs[];
int	keyd_init(struct keyd *);
int	keyd_set_secret(struct keyd *, enum key_type, const char *secret,
	    size_t len, const char **err);

/* keyd_sandbox.c */
void	keyd_jail(const char *dir, const char *user);
int	keyd_seccomp_install(void);

#endif
