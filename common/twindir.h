/*
 * The twin directory of the peer and the relay: "twin by id" and "twin id
 * by account", through a TTL cache in front of a source.  The source so
 * far is the static twin file (--twins); the chain source of issue 6 plugs
 * in behind the same calls.  Only found twins are cached, so a twin that
 * appears later is seen at the next lookup.
 */
#ifndef RMB_TWINDIR_H
#define RMB_TWINDIR_H

#include <stddef.h>
#include <stdint.h>

#include "tfchain.h"
#include "twincache.h"
#include "twinfile.h"

struct twindir {
	struct twinfile		file;
	struct twincache	cache;
	uint64_t		hits;
	uint64_t		misses;		/* asked the source */
};

/*
 * Opens a directory over the twin file at path, with a cache of capacity
 * twins kept ttl seconds.  Returns 0, or -1 with a one-line reason in err
 * that names the file and, for a bad entry, the entry.
 */
int	twindir_open_file(struct twindir *, const char *path, size_t capacity,
	    uint64_t ttl, char *err, size_t errlen);

/*
 * Copies twin id into *out.  Returns 1 found, 0 no such twin, -1 the
 * source failed.  now is monotonic seconds, for the cache.
 */
int	twindir_get(struct twindir *, uint32_t id, struct twin_record *out,
	    uint64_t now);

/* The twin id of an account: 1 found (*id set), 0 none, -1 failed. */
int	twindir_find(struct twindir *, const uint8_t account[32],
	    uint32_t *id);

/* Forgets twin id, so that the next lookup asks the source again. */
void	twindir_forget(struct twindir *, uint32_t id);

/* Twins in the cache now. */
size_t	twindir_cached(const struct twindir *);

void	twindir_close(struct twindir *);

#endif
