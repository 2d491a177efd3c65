/* SPDX-License-Identifier: ISC */
/*
 * chainevents_decode() on System.Events values of tfchain's spec-144
 * runtime, read by its real metadata: a block with an update_twin
 * extrinsic (captured from the runtime under chopsticks: nine records,
 * one TwinUpdated), an empty block, TwinStored and TwinDeleted records
 * made from those, then every truncation and single-byte change, noise,
 * and a recursive type nested past the depth bound.  The metadata's
 * event names are looked up, and a renamed one refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chainevents.h"
#include "hex.h"
#include "scale_rd.h"
#include "tap.h"

#ifndef METADATA_DIR
#define METADATA_DIR	"tests/fuzz/corpus/metadata"
#endif

/* Block 2: update_twin(relay.example.org, 33 x 0x11) by twin 201. */
static const char block_update[] =
    "2400000000000000a29d804155170200000001000000140ed17c2d7823ebf260fd13"
    "8f2d7e27d114c0145d968b5ff5006125f2414fadae690000010000001408d17c2d78"
    "23ebf260fd138f2d7e27d114c0145d968b5ff5006125f2414fadae69b02700000000"
    "00000000000000000000000001000000190cc9000000d17c2d7823ebf260fd138f2d"
    "7e27d114c0145d968b5ff5006125f2414fadae69014472656c61792e6578616d706c"
    "652e6f72670001841111111111111111111111111111111111111111111111111111"
    "1111111111111100000100000014077e8438f38deaf5535162ccd148d5982e5ecbe4"
    "ba009a0d3874f506aac55dd37bb02700000000000000000000000000000000010000"
    "0000037e8438f38deaf5535162ccd148d5982e5ecbe4ba009a0d3874f506aac55dd3"
    "7b00000100000014007e8438f38deaf5535162ccd148d5982e5ecbe4ba009a0d3874"
    "f506aac55dd37bb02700000000000000000000000000000000010000001500d17c2d"
    "7823ebf260fd138f2d7e27d114c0145d968b5ff5006125f2414fadae69b027000000"
    "00000000000000000000000000000000000000000000000000000000000100000000"
    "00427ab544d53c000000";
/* Block 3, empty: System.ExtrinsicSuccess of the timestamp only. */
static const char block_empty[] =
    "0400000000000000a29d80415517020000";
/* One record: ApplyExtrinsic(1), TfgridModule TwinDeleted(201), no topics. */
static const char block_deleted[] = "040001000000190fc900000000";

#define BUF_MAX		4096

static struct metadata		*M;
static uint64_t			 rng = 0x9e3779b97f4a7c15ULL;
static struct metadata_events	 L;

struct seen {
	int			n;
	struct chainevent	ev[4];
};

static void
collect(void *arg, const struct chainevent *ev)
{
	struct seen	*s = arg;

	if (s->n < 4)
		s->ev[s->n] = *ev;
	s->n++;
}

static uint8_t *
slurp(const char *name, size_t *len)
{
	char	 path[1024];
	FILE	*f;
	uint8_t	*buf;

	snprintf(path, sizeof(path), "%s/%s", METADATA_DIR, name);
	if ((f = fopen(path, "rb")) == NULL) {
		printf("Bail out! %s: cannot open\n", path);
		exit(1);
	}
	if ((buf = malloc(METADATA_LEN_MAX)) == NULL)
		abort();
	*len = fread(buf, 1, METADATA_LEN_MAX, f);
	fclose(f);
	return buf;
}

static int
decode(const uint8_t *p, size_t len, struct seen *s, char *err)
{
	memset(s, 0, sizeof(*s));
	return chainevents_decode(M, &L, p, len, collect, s, err,
	    METADATA_ERR_MAX);
}

static void
test_layout(void)
{
	uint8_t		*md;
	size_t		 len;
	char		 err[METADATA_ERR_MAX];

	md = slurp("metadata-v14-spec144.scale", &len);
	M = metadata_load(md, len, err, sizeof(err));
	ok(M != NULL, "spec 144 metadata loads%s%s", M ? "" : ": ",
	    M ? "" : err);
	if (M == NULL)
		exit(1);
	ok(metadata_events(M, &L, err, sizeof(err)) == 0, "twin events "
	    "found by name");
	ok(L.pallet == 25 && L.twin_stored == 11 && L.twin_updated == 12 &&
	    L.twin_deleted == 15, "TfgridModule 25: TwinStored 11, "
	    "TwinUpdated 12, TwinDeleted 15 (got %u: %u %u %u)", L.pallet,
	    L.twin_stored, L.twin_updated, L.twin_deleted);
	ok(L.nfields == 3 && L.event_field == 1, "EventRecord is phase, "
	    "event, topics");
	free(md);
}

/* The metadata with one event's name changed is refused by name. */
static void
test_renamed(const char *name, const char *other)
{
	struct metadata_events	 lay;
	struct metadata		*m;
	uint8_t			*md, *at;
	size_t			 len, n = strlen(name);
	char			 err[METADATA_ERR_MAX];
	int			 r = -2;

	md = slurp("metadata-v14-spec144.scale", &len);
	/* The variant's name, a compact length then the bytes. */
	for (at = md; at + n + 1 < md + len; at++)
		if (at[0] == n << 2 && memcmp(at + 1, name, n) == 0)
			break;
	if (at + n + 1 < md + len) {
		memcpy(at + 1, other, n);
		if ((m = metadata_load(md, len, err, sizeof(err))) != NULL) {
			r = metadata_events(m, &lay, err, sizeof(err));
			metadata_free(m);
		}
	}
	ok(r == -1 && strstr(err, name) != NULL && lay.pallet == 0,
	    "%s renamed: refused (%s)", name, err);
	free(md);
}

/* TwinDeleted's one field, u32 (type 4), made type 0 instead. */
static void
test_retyped(void)
{
	static const uint8_t	 field[] = { 0x04, 0x00, 0x10, 0x01, 0x0c,
	    'u', '3', '2' };
	struct metadata_events	 lay;
	struct metadata		*m;
	uint8_t			*md, *at;
	size_t			 len, n = strlen("TwinDeleted");
	char			 err[METADATA_ERR_MAX] = "";
	int			 r = -2;

	md = slurp("metadata-v14-spec144.scale", &len);
	for (at = md; at + n + 1 + sizeof(field) < md + len; at++)
		if (at[0] == n << 2 && memcmp(at + 1, "TwinDeleted", n) == 0 &&
		    memcmp(at + 1 + n, field, sizeof(field)) == 0)
			break;
	if (at + n + 1 + sizeof(field) < md + len) {
		at[1 + n + 2] = 0x00;
		if ((m = metadata_load(md, len, err, sizeof(err))) != NULL) {
			r = metadata_events(m, &lay, err, sizeof(err));
			metadata_free(m);
		}
	}
	ok(r == -1 && strstr(err, "TwinDeleted holds") != NULL &&
	    strstr(err, "rmb expects u32") != NULL, "TwinDeleted(u32) "
	    "retyped: refused (%s)", err);
	free(md);
}

static void
test_update(void)
{
	struct seen	 s;
	uint8_t		 buf[BUF_MAX];
	size_t		 len;
	char		 err[METADATA_ERR_MAX];
	int		 n;

	len = unhex(buf, sizeof(buf), block_update);
	n = decode(buf, len, &s, err);
	ok(n == 1 && s.n == 1, "a block with update_twin: one twin event "
	    "among nine records (%d%s%s)", n, n < 0 ? ": " : "",
	    n < 0 ? err : "");
	ok(s.ev[0].kind == CHAINEV_TWIN_UPDATED && s.ev[0].id == 201 &&
	    s.ev[0].twin.id == 201 && s.ev[0].twin.has_relay &&
	    strcmp(s.ev[0].twin.relay, "relay.example.org") == 0 &&
	    s.ev[0].twin.has_pk && s.ev[0].twin.pklen == 33 &&
	    s.ev[0].twin.pk[32] == 0x11, "TwinUpdated: twin 201, its relay "
	    "and pk");
	ok(chainevents_decode(M, &L, buf, len, NULL, NULL, err,
	    sizeof(err)) == 1, "a NULL callback counts");

	len = unhex(buf, sizeof(buf), block_empty);
	ok(decode(buf, len, &s, err) == 0 && s.n == 0, "an empty block: no "
	    "twin event");

	/* The same TwinUpdated record read as TwinStored. */
	len = unhex(buf, sizeof(buf), block_update);
	buf[119] = 11;
	ok(buf[118] == 25 && decode(buf, len, &s, err) == 1 &&
	    s.ev[0].kind == CHAINEV_TWIN_STORED && s.ev[0].id == 201,
	    "TwinStored carries the twin");

	len = unhex(buf, sizeof(buf), block_deleted);
	ok(decode(buf, len, &s, err) == 1 &&
	    s.ev[0].kind == CHAINEV_TWIN_DELETED && s.ev[0].id == 201,
	    "TwinDeleted carries the id");
}

static void
noise(uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		p[i] = (uint8_t)rng;
	}
	/* A small record count, so that records are tried. */
	if (n > 0)
		p[0] = (uint8_t)(p[0] & 0x3c);
}

/* Whatever fails calls back nothing; whatever passes is whole. */
static void
test_bad(void)
{
	struct seen	 s;
	uint8_t		 good[BUF_MAX], buf[BUF_MAX];
	size_t		 len, i;
	char		 err[METADATA_ERR_MAX];
	int		 bad = 0, refused = 0, n, b;

	len = unhex(good, sizeof(good), block_update);
	for (i = 0; i < len; i++)
		if (decode(good, i, &s, err) != -1 || s.n != 0 ||
		    err[0] == '\0')
			bad++;
	ok(bad == 0, "each of %zu truncations refused with a reason, "
	    "nothing called back", len);

	memcpy(buf, good, len);
	buf[len] = 0;
	ok(decode(buf, len + 1, &s, err) == -1 && s.n == 0 &&
	    strstr(err, "after") != NULL, "a byte left over is refused (%s)",
	    err);

	bad = 0;
	for (i = 0; i < len; i++) {
		for (b = 0; b < 8; b++) {
			memcpy(buf, good, len);
			buf[i] ^= (uint8_t)(1 << b);
			n = decode(buf, len, &s, err);
			if (n == -1)
				refused++;
			if ((n == -1 && s.n != 0) || (n >= 0 && s.n != n))
				bad++;
		}
	}
	ok(bad == 0 && refused > 0, "%zu bit flips: %d refused, none "
	    "half-applied", len * 8, refused);

	bad = 0;
	for (i = 0; i < 4096; i++) {
		noise(buf, 64 + i % 512);
		n = decode(buf, 64 + i % 512, &s, err);
		if ((n == -1 && (s.n != 0 || err[0] == '\0')) ||
		    (n >= 0 && s.n != n))
			bad++;
	}
	ok(bad == 0, "noise: refused or whole");

	ok(decode(NULL, 0, &s, err) == -1 && decode(good, 0, &s, err) == -1,
	    "nothing is not a value");
	/* 2^30 records claimed in a handful of bytes. */
	len = unhex(buf, sizeof(buf), "feffffff00");
	ok(decode(buf, len, &s, err) == -1 && strstr(err, "records") != NULL,
	    "a record count past the bytes is refused (%s)", err);
}

/*
 * A registry of one type, enum T { None, Some(T) }, and nothing else:
 * Some(Some(...None)) nests as deep as the input is long.
 */
static const char recursive_md[] =
    "6d657461" "0e"			/* "meta", V14 */
    "04" "00" "00" "00" "01"		/* type 0: no path, params; enum */
    "08" "104e6f6e65" "00" "00" "00"	/* None: no fields, 0, no docs */
    "10536f6d65" "04" "00" "00" "00" "00" "01" "00"	/* Some(T), 1 */
    "00"				/* type docs */
    "00"				/* no pallets */
    "00" "04" "00"			/* extrinsic type 0, v4, no exts */
    "00";				/* runtime type 0 */

static void
test_depth(void)
{
	struct metadata_events	 lay;
	struct metadata		*m;
	struct scale_rd		 rd;
	uint8_t			 md[64], in[256];
	size_t			 len, budget;
	char			 err[METADATA_ERR_MAX];

	len = unhex(md, sizeof(md), recursive_md);
	m = metadata_load(md, len, err, sizeof(err));
	ok(m != NULL, "a one-type registry loads%s%s", m ? "" : ": ",
	    m ? "" : err);
	if (m == NULL)
		return;
	ok(metadata_events(m, &lay, err, sizeof(err)) == -1 &&
	    strstr(err, "System.Events") != NULL, "without System.Events: "
	    "no layout (%s)", err);

	memset(in, 0x01, sizeof(in));
	in[METADATA_SKIP_DEPTH] = 0x00;
	scale_rd_init(&rd, in, METADATA_SKIP_DEPTH + 1);
	budget = 1000;
	ok(metadata_skip(m, 0, &rd, &budget) == 0 &&
	    rd.off == METADATA_SKIP_DEPTH + 1, "%d levels are skipped",
	    METADATA_SKIP_DEPTH);
	in[METADATA_SKIP_DEPTH] = 0x01;
	in[sizeof(in) - 1] = 0x00;
	scale_rd_init(&rd, in, sizeof(in));
	budget = 1000;
	ok(metadata_skip(m, 0, &rd, &budget) == -1 && rd.off == 0,
	    "%zu levels are refused, the reader left where it was",
	    sizeof(in));
	scale_rd_init(&rd, in, 8);
	in[7] = 0x00;
	budget = 3;
	ok(metadata_skip(m, 0, &rd, &budget) == -1, "work past the budget "
	    "is refused");
	budget = 1000;
	ok(metadata_skip(m, 1, &rd, &budget) == -1, "a type not in the "
	    "registry is refused");
	in[0] = 0x02;
	ok(metadata_skip(m, 0, &rd, &budget) == -1, "an unknown variant is "
	    "refused");
	metadata_free(m);
	ok(metadata_load(md, len - 1, err, sizeof(err)) == NULL &&
	    strncmp(err, "metadata: ", 10) == 0, "truncated metadata is "
	    "refused (%s)", err);
}

int
main(void)
{
	test_layout();
	test_update();
	test_bad();
	test_renamed("TwinDeleted", "TwinDeletes");
	test_renamed("TwinUpdated", "TwinUpdatex");
	test_renamed("TwinStored", "TwinStorex");
	test_retyped();
	test_depth();
	metadata_free(M);
	return done_testing();
}
