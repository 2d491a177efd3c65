/* SPDX-License-Identifier: ISC */
/*
 * The static twin directory given with --twins FILE, for private networks,
 * air-gapped deployments and tests.  The file is a JSON array of
 *
 *	{"id": 7, "account": "5Dfh…" or "0x" and 64 hex digits,
 *	 "relay": "r1.example_r2.example" or null, "pk": "0x02ab…" or null}
 *
 * where relay and pk may also be left out (the same as null).  Unknown or
 * repeated keys are errors, so that a typo such as "realy" is not read as
 * "no relay".  Ids are 1 to 2^32-1; accounts are SS58 with prefix 42 or
 * 32 bytes of hex; the relay follows the chain's rule (twin_relay_valid);
 * pk is 1 to 128 bytes of hex, kept raw (whoever uses it checks the curve
 * point).  No two entries may share an id or an account.
 */
#ifndef RMB_TWINFILE_H
#define RMB_TWINFILE_H

#include <stddef.h>
#include <stdint.h>

#include "tfchain_read.h"

/* The file is read whole: these bound its memory and the parse time. */
#define TWINFILE_MAX_BYTES	(16 * 1024 * 1024)
#define TWINFILE_MAX_TWINS	1000000

struct twinfile {
	struct twin_record	 *twins;	/* n records, sorted by id */
	const struct twin_record **byacc;	/* the same, by account */
	size_t			  n;
};

/*
 * Parses a whole file image into *tf, which it overwrites (free an old one
 * first).  Returns 0, or -1 with *tf empty and a one-line message in err:
 * entries are numbered from 1 and the id is given once known, as in
 * "entry 3 (id 12): relay: ...", and a syntax error gives its line and
 * its byte offset (from 0).  err may be NULL.
 */
int	twinfile_parse(struct twinfile *tf, const char *json, size_t len,
	    char *err, size_t errlen);

/* Reads path (at most TWINFILE_MAX_BYTES) and parses it; err names path. */
int	twinfile_load(struct twinfile *tf, const char *path, char *err,
	    size_t errlen);

/* The twin with that id or account, or NULL; valid until twinfile_free. */
const struct twin_record *twinfile_get(const struct twinfile *tf,
	    uint32_t id);
const struct twin_record *twinfile_find(const struct twinfile *tf,
	    const uint8_t account[32]);

/* Frees what parse or load allocated and empties *tf; safe to repeat. */
void	twinfile_free(struct twinfile *tf);

#endif
