#include <stdio.h>
#include <string.h>

#include "twindir.h"

int
twindir_open_file(struct twindir *d, const char *path, size_t capacity,
    uint64_t ttl, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	if (twinfile_load(&d->file, path, err, errlen) == -1)
		return -1;
	if (twincache_init(&d->cache, capacity, ttl) == -1) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "twin cache: bad capacity or "
			    "out of memory");
		twinfile_free(&d->file);
		return -1;
	}
	return 0;
}

int
twindir_get(struct twindir *d, uint32_t id, struct twin_record *out,
    uint64_t now)
{
	const struct twin_record	*t;

	if ((t = twincache_get(&d->cache, id, now)) != NULL) {
		d->hits++;
		*out = *t;
		return 1;
	}
	d->misses++;
	if ((t = twinfile_get(&d->file, id)) == NULL)
		return 0;
	twincache_put(&d->cache, t, now);
	*out = *t;
	return 1;
}

int
twindir_find(struct twindir *d, const uint8_t account[32], uint32_t *id)
{
	const struct twin_record	*t;

	if ((t = twinfile_find(&d->file, account)) == NULL)
		return 0;
	*id = t->id;
	return 1;
}

void
twindir_forget(struct twindir *d, uint32_t id)
{
	twincache_drop(&d->cache, id);
}

size_t
twindir_cached(const struct twindir *d)
{
	return d->cache.n;
}

void
twindir_close(struct twindir *d)
{
	twincache_free(&d->cache);
	twinfile_free(&d->file);
	memset(d, 0, sizeof(*d));
}
