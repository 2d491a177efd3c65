/* SPDX-License-Identifier: ISC */
/*
 * The twin events of one block, read from its System.Events value (a
 * SCALE Vec<EventRecord { phase, event, topics }>) by the types the
 * runtime's metadata names: TfgridModule's TwinStored(Twin),
 * TwinUpdated(Twin) and TwinDeleted(u32).  Every other event, and every
 * other field of a record, is skipped by its type (metadata_skip()), so
 * a value is accepted only when it decodes whole.
 */
#ifndef RMB_CHAINEVENTS_H
#define RMB_CHAINEVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "metadata.h"
#include "tfchain_read.h"

/* Records in one block's value; a real block has a few hundred at most. */
#define CHAINEVENTS_RECORDS_MAX	100000
/* Work per input byte metadata_skip() may do, plus a floor. */
#define CHAINEVENTS_WORK_PER_BYTE 64
#define CHAINEVENTS_WORK_MIN	65536

enum chainevent_kind {
	CHAINEV_TWIN_STORED,
	CHAINEV_TWIN_UPDATED,
	CHAINEV_TWIN_DELETED
};

struct chainevent {
	enum chainevent_kind	 kind;
	uint32_t		 id;	/* the twin's, for all three */
	struct twin_record	 twin;	/* stored and updated only */
};

/* Called for each twin event, in block order. */
typedef void	(*chainevents_cb)(void *arg, const struct chainevent *);

/*
 * Decodes a System.Events value of len bytes.  The whole value is
 * checked first; only then cb (may be NULL) runs for each twin event.
 * Returns the number of twin events, or -1 with a one-line reason in err
 * (cb never called): truncated, malformed, bytes left over, over a
 * bound, or a twin that twin_decode() refuses.
 */
int	chainevents_decode(struct metadata *, const struct metadata_events *,
	    const uint8_t *p, size_t len, chainevents_cb cb, void *arg,
	    char *err, size_t errlen);

#endif
