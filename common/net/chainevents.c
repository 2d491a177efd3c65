/* SPDX-License-Identifier: ISC */
/*
 * A record's event is RuntimeEvent: a byte for the pallet, then that
 * pallet's event enum.  TfgridModule's byte and its three twin events
 * are read here; anything else is handed whole to metadata_skip().  A
 * Twin's extent is found by its type and then decoded by twin_decode(),
 * which must consume it exactly.
 */
#include <stdio.h>
#include <string.h>

#include "chainevents.h"
#include "errf.h"
#include "scale_rd.h"

struct dec {
	struct metadata			*m;
	const struct metadata_events	*lay;
	size_t				 budget;
	char				*err;
	size_t				 errlen;
};

/* A Twin of type ty at rd, whose extent its type gives. */
static int
get_twin(struct dec *d, uint32_t ty, struct scale_rd *rd,
    struct twin_record *t, size_t rec)
{
	const char	*why;
	size_t		 at = rd->off;

	if (metadata_skip(d->m, ty, rd, &d->budget) == -1) {
		errf(d->err, d->errlen, "record %zu: Twin malformed at byte "
		    "%zu", rec, at);
		return -1;
	}
	if (twin_decode(t, rd->p + at, rd->off - at, &why) == -1) {
		errf(d->err, d->errlen, "record %zu: Twin at byte %zu: %s",
		    rec, at, why);
		return -1;
	}
	return 0;
}

/*
 * The event of record rec: 1 with *ev filled for a twin event, 0 for
 * another one (skipped), -1 when malformed.
 */
static int
get_event(struct dec *d, struct scale_rd *rd, struct chainevent *ev,
    size_t rec)
{
	const struct metadata_events	*lay = d->lay;
	struct scale_rd			 t = *rd;
	uint8_t				 pallet, which;

	if (scale_get_u8(&t, &pallet) == -1 || pallet != lay->pallet ||
	    scale_get_u8(&t, &which) == -1 ||
	    (which != lay->twin_stored && which != lay->twin_updated &&
	    which != lay->twin_deleted)) {
		if (metadata_skip(d->m, lay->runtime_event, rd,
		    &d->budget) == -1) {
			errf(d->err, d->errlen, "record %zu: event malformed "
			    "at byte %zu", rec, rd->off);
			return -1;
		}
		return 0;
	}
	memset(ev, 0, sizeof(*ev));
	if (which == lay->twin_deleted) {
		ev->kind = CHAINEV_TWIN_DELETED;
		if (scale_get_u32(&t, &ev->id) == -1) {
			errf(d->err, d->errlen, "record %zu: TwinDeleted "
			    "truncated", rec);
			return -1;
		}
	} else {
		ev->kind = which == lay->twin_stored ? CHAINEV_TWIN_STORED :
		    CHAINEV_TWIN_UPDATED;
		if (get_twin(d, which == lay->twin_stored ? lay->stored_twin :
		    lay->updated_twin, &t, &ev->twin, rec) == -1)
			return -1;
		ev->id = ev->twin.id;
	}
	*rd = t;
	return 1;
}

/* One pass over the value; cb NULL checks it.  Returns the events. */
static int
pass(struct dec *d, const uint8_t *p, size_t len, chainevents_cb cb,
    void *arg)
{
	const struct metadata_events	*lay = d->lay;
	struct scale_rd			 rd;
	struct chainevent		 ev;
	uint64_t			 n, i;
	size_t				 k;
	int				 found = 0, r;

	d->budget = len > (SIZE_MAX - CHAINEVENTS_WORK_MIN) /
	    CHAINEVENTS_WORK_PER_BYTE ? SIZE_MAX :
	    len * CHAINEVENTS_WORK_PER_BYTE + CHAINEVENTS_WORK_MIN;
	scale_rd_init(&rd, p, len);
	if (scale_get_compact(&rd, &n) == -1) {
		errf(d->err, d->errlen, "no record count");
		return -1;
	}
	/* A record is at least its event's byte. */
	if (n > CHAINEVENTS_RECORDS_MAX || n > len - rd.off) {
		errf(d->err, d->errlen, "%llu records in %zu bytes",
		    (unsigned long long)n, len);
		return -1;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < lay->nfields; k++) {
			if (k == lay->event_field) {
				if ((r = get_event(d, &rd, &ev,
				    (size_t)i)) == -1)
					return -1;
				if (r == 1) {
					found++;
					if (cb != NULL)
						cb(arg, &ev);
				}
				continue;
			}
			if (metadata_skip(d->m, lay->fields[k], &rd,
			    &d->budget) == -1) {
				errf(d->err, d->errlen, "record %llu: field "
				    "%zu malformed at byte %zu",
				    (unsigned long long)i, k, rd.off);
				return -1;
			}
		}
	}
	if (scale_rd_end(&rd) == -1) {
		errf(d->err, d->errlen, "%zu bytes after %llu records",
		    len - rd.off, (unsigned long long)n);
		return -1;
	}
	return found;
}

int
chainevents_decode(struct metadata *m, const struct metadata_events *lay,
    const uint8_t *p, size_t len, chainevents_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct dec	d;
	int		n;

	if (errlen > 0)
		err[0] = '\0';
	memset(&d, 0, sizeof(d));
	d.m = m;
	d.lay = lay;
	d.err = err;
	d.errlen = errlen;
	if (p == NULL)
		len = 0;
	if ((n = pass(&d, p, len, NULL, NULL)) == -1)
		return -1;
	if (n > 0 && cb != NULL)
		(void)pass(&d, p, len, cb, arg);
	return n;
}
