/* SPDX-License-Identifier: ISC */
/*
 * metadata_check_tfchain() on tfchain's real V14 metadata (spec 144, what
 * the runtime serves, and spec 149, rmb-rs's copy), then on copies changed
 * one item at a time.  The items are found by a second, independent walk
 * of the format here, so a mutation cannot land on the wrong byte
 * silently: each walk asserts what it finds.  The same walk blanks docs
 * and type names, which must not matter; `test_metadata -w DIR` writes
 * those smaller copies, the seeds the fuzz driver (64 KB cap) can hold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metadata.h"
#include "scale_rd.h"
#include "tap.h"

#ifndef METADATA_DIR
#define METADATA_DIR	"tests/fuzz/corpus/metadata"
#endif

#define MAXTY		1024
#define MAXHOLES	32768
#define MAXF		8
#define NAMELEN		64

struct fld {
	size_t		name, ty_at, end;	/* offsets */
	uint32_t	ty;
	char		nm[NAMELEN];
};

struct var {
	size_t		name, index_at;
	uint8_t		index;
	size_t		nf;
	struct fld	f[MAXF];
};

struct ext {
	size_t		start, name, ty_at, end;
	uint32_t	ty;
	char		nm[NAMELEN];
};

/* Where things are in one metadata file. */
struct map {
	const uint8_t	*p;
	size_t		 len;
	size_t		 ntypes;
	struct {
		size_t		def;
		uint8_t		kind;
		char		last[NAMELEN];
	}		 ty[MAXTY];
	size_t		 pallet_index_at;
	size_t		 pallet_name;
	int		 have_calls, have_event;
	uint32_t	 calls, event, call_ty;
	size_t		 twins_hasher_at;
	size_t		 twins_value_at;
	uint32_t	 twins_value;
	size_t		 ext_version_at, ext_count_at, nexts;
	struct ext	 ext[16];
	size_t		 nholes;
	struct {
		size_t	off, len;
	}		 hole[MAXHOLES];	/* docs and type names */
};

static struct scale_rd	 R;
static struct map	*M;

static void
bail(const char *what)
{
	printf("Bail out! test walk: %s at byte %zu\n", what, R.off);
	exit(1);
}

static uint64_t
cpt(void)
{
	uint64_t	v;

	if (scale_get_compact(&R, &v) == -1)
		bail("compact");
	return v;
}

static uint8_t
byte(void)
{
	uint8_t	v;

	if (scale_get_u8(&R, &v) == -1)
		bail("byte");
	return v;
}

/* Skips a string, copying it (cut, NUL-ended) into nm when not NULL. */
static size_t
str(char *nm)
{
	const uint8_t	*p;
	size_t		 at = R.off, n;

	if (scale_get_bytes(&R, &p, &n, 1 << 20) == -1)
		bail("string");
	if (nm != NULL) {
		n = n < NAMELEN - 1 ? n : NAMELEN - 1;
		memcpy(nm, p, n);
		nm[n] = '\0';
	}
	return at;
}

/* A span that the stripped copy replaces with one 00 byte. */
static void
hole(size_t from)
{
	if (R.off - from <= 1)
		return;
	if (M->nholes == MAXHOLES)
		bail("too many holes");
	M->hole[M->nholes].off = from;
	M->hole[M->nholes++].len = R.off - from;
}

static void
docs(void)
{
	size_t	at = R.off, n;

	for (n = cpt(); n > 0; n--)
		str(NULL);
	hole(at);
}

static void
field(struct fld *f)
{
	size_t	at;

	f->nm[0] = '\0';
	f->name = R.off;
	if (byte())
		str(f->nm);
	f->ty_at = R.off;
	f->ty = (uint32_t)cpt();
	at = R.off;
	if (byte())
		str(NULL);
	hole(at);
	docs();
	f->end = R.off;
}

static size_t
fields(struct fld *f)
{
	struct fld	tmp;
	size_t		n, i;

	n = cpt();
	for (i = 0; i < n; i++)
		field(i < MAXF ? &f[i] : &tmp);
	return n;
}

static void
typedef_(uint8_t kind)
{
	struct fld	f[MAXF];
	size_t		n;

	switch (kind) {
	case 0:
		fields(f);
		break;
	case 1:
		for (n = cpt(); n > 0; n--) {
			str(NULL);
			fields(f);
			byte();
			docs();
		}
		break;
	case 2:
	case 6:
		cpt();
		break;
	case 3:
		R.off += 4;
		cpt();
		break;
	case 4:
		for (n = cpt(); n > 0; n--)
			cpt();
		break;
	case 5:
		byte();
		break;
	case 7:
		cpt();
		cpt();
		break;
	default:
		bail("type kind");
	}
}

static void
types(void)
{
	size_t	i, n, k;

	M->ntypes = cpt();
	if (M->ntypes > MAXTY)
		bail("too many types");
	for (i = 0; i < M->ntypes; i++) {
		if (cpt() != i)
			bail("type id");
		M->ty[i].last[0] = '\0';
		for (n = cpt(); n > 0; n--)
			str(M->ty[i].last);
		for (n = cpt(); n > 0; n--) {
			str(NULL);
			if (byte())
				cpt();
		}
		M->ty[i].kind = byte();
		M->ty[i].def = R.off;
		typedef_(M->ty[i].kind);
		k = R.off;
		docs();
		(void)k;
	}
}

static void
pallets(void)
{
	char		name[NAMELEN], item[NAMELEN];
	size_t		n, m, at;
	int		tfgrid;

	for (n = cpt(); n > 0; n--) {
		at = str(name);
		tfgrid = strcmp(name, "TfgridModule") == 0;
		if (tfgrid)
			M->pallet_name = at;
		if (byte()) {
			str(NULL);
			for (m = cpt(); m > 0; m--) {
				str(item);
				byte();
				if (byte() == 0)
					cpt();
				else {
					if (tfgrid && strcmp(item, "Twins") == 0)
						M->twins_hasher_at = R.off + 1;
					R.off += cpt();
					cpt();
					if (tfgrid && strcmp(item, "Twins") == 0)
						M->twins_value_at = R.off;
					at = (size_t)cpt();
					if (tfgrid && strcmp(item, "Twins") == 0)
						M->twins_value = (uint32_t)at;
				}
				str(NULL);
				docs();
			}
		}
		if (byte()) {
			if (tfgrid)
				M->have_calls = 1, M->calls = (uint32_t)cpt();
			else
				cpt();
		}
		if (byte()) {
			if (tfgrid)
				M->have_event = 1, M->event = (uint32_t)cpt();
			else
				cpt();
		}
		for (m = cpt(); m > 0; m--) {
			str(NULL);
			cpt();
			str(NULL);
			docs();
		}
		if (byte())
			cpt();
		if (tfgrid)
			M->pallet_index_at = R.off;
		byte();
	}
}

static void
extrinsic(void)
{
	size_t	i;

	cpt();
	M->ext_version_at = R.off;
	byte();
	M->ext_count_at = R.off;
	M->nexts = cpt();
	if (M->nexts > 16)
		bail("extensions");
	for (i = 0; i < M->nexts; i++) {
		M->ext[i].start = R.off;
		M->ext[i].name = str(M->ext[i].nm);
		M->ext[i].ty_at = R.off;
		M->ext[i].ty = (uint32_t)cpt();
		cpt();
		M->ext[i].end = R.off;
	}
	cpt();
	if (R.off != R.len)
		bail("trailing bytes");
}

static void
walk(struct map *m, const uint8_t *p, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->p = p;
	m->len = len;
	M = m;
	scale_rd_init(&R, p, len);
	if (len < 5 || memcmp(p, "meta\x0e", 5) != 0)
		bail("magic");
	R.off = 5;
	types();
	pallets();
	extrinsic();
	if (!m->have_calls || !m->have_event || m->twins_hasher_at == 0)
		bail("TfgridModule");
}

/* The variant called name in enum ty, with its offsets. */
static void
variant(const struct map *m, uint32_t ty, const char *name, struct var *v)
{
	char	nm[NAMELEN];
	size_t	n;

	M = (struct map *)m;
	scale_rd_init(&R, m->p, m->len);
	R.off = m->ty[ty].def;
	if (m->ty[ty].kind != 1)
		bail("not an enum");
	for (n = cpt(); n > 0; n--) {
		v->name = str(nm);
		v->nf = fields(v->f);
		v->index_at = R.off;
		v->index = byte();
		docs();
		if (strcmp(nm, name) == 0)
			return;
	}
	bail(name);
}

/* The fields of composite ty. */
static size_t
composite(const struct map *m, uint32_t ty, struct fld *f)
{
	M = (struct map *)m;
	scale_rd_init(&R, m->p, m->len);
	R.off = m->ty[ty].def;
	if (m->ty[ty].kind != 0)
		bail("not a struct");
	return fields(f);
}

/* The first type of a kind with the given primitive or last path name. */
static uint32_t
find_type(const struct map *m, uint8_t kind, int prim, const char *last)
{
	size_t	i;

	for (i = 0; i < m->ntypes; i++)
		if (m->ty[i].kind == kind &&
		    (prim < 0 || m->p[m->ty[i].def] == prim) &&
		    (last == NULL || strcmp(m->ty[i].last, last) == 0))
			return (uint32_t)i;
	bail("type not found");
	return 0;
}

/* The type whose definition holds offset off. */
static uint32_t
type_at(const struct map *m, size_t off)
{
	size_t	i;

	for (i = 0; i + 1 < m->ntypes && m->ty[i + 1].def < off; i++)
		;
	return (uint32_t)i;
}

/* A copy of m's file with len bytes at off replaced by ins. */
static uint8_t *
splice(const struct map *m, size_t off, size_t del, const void *ins,
    size_t inslen, size_t *outlen)
{
	uint8_t	*b;

	if (off + del > m->len)
		bail("splice");
	*outlen = m->len - del + inslen;
	if ((b = malloc(*outlen + 1)) == NULL)
		abort();
	memcpy(b, m->p, off);
	if (inslen > 0)
		memcpy(b + off, ins, inslen);
	memcpy(b + off + inslen, m->p + off + del, m->len - off - del);
	return b;
}

static uint8_t *
set_byte(const struct map *m, size_t off, uint8_t v, size_t *outlen)
{
	return splice(m, off, 1, &v, 1, outlen);
}

/* Replaces the compact type id at off with ty. */
static uint8_t *
set_ty(const struct map *m, size_t off, uint32_t ty, size_t *outlen)
{
	struct scale_rd	rd;
	struct scale_wr	w;
	uint8_t		enc[SCALE_COMPACT_MAX];
	uint64_t	old;

	scale_rd_init(&rd, m->p, m->len);
	rd.off = off;
	if (scale_get_compact(&rd, &old) == -1)
		bail("set_ty");
	scale_wr_init(&w, enc, sizeof(enc));
	scale_put_compact(&w, ty);
	return splice(m, off, rd.off - off, enc, w.len, outlen);
}

/* Renames the string at off, keeping its length. */
static uint8_t *
rename_str(const struct map *m, size_t off, const char *from, const char *to,
    size_t *outlen)
{
	size_t	n = strlen(from);

	if (strlen(to) != n || n >= 64 || m->p[off] != n << 2 ||
	    memcmp(m->p + off + 1, from, n) != 0)
		bail("rename_str");
	return splice(m, off + 1, n, to, n, outlen);
}

/* b must be refused with exactly want; b is freed. */
static void
refused(uint8_t *b, const size_t *len, const char *want, const char *name)
{
	struct tfchain_layout	out;
	char			err[METADATA_ERR_MAX];
	int			r;

	memset(&out, 0xa5, sizeof(out));
	r = metadata_check_tfchain(b, *len, &out, err, sizeof(err));
	if (!ok(r == -1 && strcmp(err, want) == 0 && out.pallet == 0 &&
	    out.extrinsic_version == 0, "%s", name))
		diag("r %d\n# got  %s\n# want %s", r, err, want);
	free(b);
}

static uint8_t *
load(const char *name, size_t *len)
{
	char	 path[1024];
	FILE	*f;
	uint8_t	*b;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", METADATA_DIR, name);
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	if ((b = malloc((size_t)n)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void
passes(const uint8_t *p, size_t len, const char *name)
{
	struct tfchain_layout	out;
	char			err[METADATA_ERR_MAX];
	int			r;

	r = metadata_check_tfchain(p, len, &out, err, sizeof(err));
	if (!ok(r == 0 && err[0] == '\0', "%s passes", name))
		diag("%s", err);
	ok(out.pallet == 25 && out.update_twin == 18 && out.create_twin == 17,
	    "%s: pallet %u, update_twin %u, create_twin %u", name, out.pallet,
	    out.update_twin, out.create_twin);
	ok(out.twin_stored == 11 && out.twin_updated == 12,
	    "%s: TwinStored %u, TwinUpdated %u", name, out.twin_stored,
	    out.twin_updated);
	ok(out.extrinsic_version == 4 && out.ss58_prefix == 42,
	    "%s: extrinsic version %u, SS58 prefix %u", name,
	    out.extrinsic_version, out.ss58_prefix);
}

/* The file with every docs list and type name emptied. */
static uint8_t *
strip(const struct map *m, size_t *outlen)
{
	uint8_t	*b;
	size_t	 i, from = 0, n = 0;

	if ((b = malloc(m->len)) == NULL)
		abort();
	for (i = 0; i < m->nholes; i++) {
		memcpy(b + n, m->p + from, m->hole[i].off - from);
		n += m->hole[i].off - from;
		b[n++] = 0;
		from = m->hole[i].off + m->hole[i].len;
	}
	memcpy(b + n, m->p + from, m->len - from);
	*outlen = n + m->len - from;
	return b;
}

static void
truncations(const struct map *m, const char *name)
{
	struct tfchain_layout	out;
	char			err[METADATA_ERR_MAX];
	uint8_t			*b;
	size_t			 cut, bad = 0, tried = 0;

	for (cut = 0; cut < m->len; cut += cut < 4096 ? 1 : 61) {
		/* An exact-size copy, so a read past the end is caught. */
		if ((b = malloc(cut + 1)) == NULL)
			abort();
		memcpy(b, m->p, cut);
		tried++;
		if (metadata_check_tfchain(b, cut, &out, err,
		    sizeof(err)) != -1 || strncmp(err, "metadata: ", 10) != 0 ||
		    out.pallet != 0) {
			if (bad++ == 0)
				diag("cut at %zu: %s", cut, err);
		}
		free(b);
	}
	ok(bad == 0, "%s: %zu truncations refused cleanly", name, tried);
}

static void
mutations(const struct map *m, const char *name)
{
	struct var	 ut, ct, ev, rc;
	struct fld	 tw[MAXF];
	uint8_t		*b, ins[256];
	size_t		 len, n;
	char		 t[128];
	uint32_t	 u64, call_outer;

	snprintf(t, sizeof(t), "%s: version 15", name);
	refused(set_byte(m, 4, 15, &len), &len, "metadata: not V14 (version 15)",
	    t);
	snprintf(t, sizeof(t), "%s: magic", name);
	refused(set_byte(m, 0, 'M', &len), &len, "metadata: no \"meta\" magic",
	    t);

	snprintf(t, sizeof(t), "%s: TfgridModule is pallet 24", name);
	refused(set_byte(m, m->pallet_index_at, 24, &len), &len,
	    "metadata: TfgridModule is pallet 24, rmb expects 25", t);
	snprintf(t, sizeof(t), "%s: two pallets with index 26", name);
	refused(set_byte(m, m->pallet_index_at, 26, &len), &len,
	    "metadata: two pallets have index 26", t);
	snprintf(t, sizeof(t), "%s: pallet renamed", name);
	refused(rename_str(m, m->pallet_name, "TfgridModule", "TfgridModulf",
	    &len), &len, "metadata: no pallet TfgridModule", t);

	variant(m, m->calls, "update_twin", &ut);
	variant(m, m->calls, "create_twin", &ct);
	if (ut.index != 18 || ct.index != 17 || ut.nf != 2)
		bail("call indices");
	snprintf(t, sizeof(t), "%s: update_twin is call 200", name);
	refused(set_byte(m, ut.index_at, 200, &len), &len,
	    "metadata: update_twin is call 200, rmb expects 18", t);
	/* Swapped, as a reordering of the pallet's calls would do. */
	b = set_byte(m, ut.index_at, 17, &len);
	b[ct.index_at] = 18;
	snprintf(t, sizeof(t), "%s: create_twin and update_twin swapped", name);
	refused(b, &len, "metadata: update_twin is call 17, rmb expects 18", t);
	snprintf(t, sizeof(t), "%s: update_twin renamed", name);
	refused(rename_str(m, ut.name, "update_twin", "update_twix", &len), &len,
	    "metadata: TfgridModule has no call update_twin (call 18 is "
	    "update_twix)", t);

	/* pk: BoundedVec<u8> instead of Option<BoundedVec<u8>>. */
	snprintf(t, sizeof(t), "%s: update_twin's pk not an Option", name);
	refused(set_ty(m, ut.f[1].ty_at, ut.f[0].ty == 0 ? 0 :
	    find_type(m, 0, -1, "BoundedVec"), &len), &len,
	    "metadata: update_twin takes (relay: Option<BoundedVec<u8>>, "
	    "pk: BoundedVec<u8>), rmb expects (relay: Option<bytes>, "
	    "pk: Option<bytes>)", t);
	u64 = find_type(m, 5, 6, NULL);
	snprintf(t, sizeof(t), "%s: create_twin's relay is a u64", name);
	refused(set_ty(m, ct.f[0].ty_at, u64, &len), &len,
	    "metadata: create_twin takes (relay: u64, pk: Option<BoundedVec"
	    "<u8>>), rmb expects (relay: Option<bytes>, pk: Option<bytes>)", t);
	snprintf(t, sizeof(t), "%s: update_twin's pk renamed", name);
	refused(rename_str(m, ut.f[1].name + 1, "pk", "pq", &len), &len,
	    "metadata: update_twin takes (relay: Option<BoundedVec<u8>>, "
	    "pq: Option<BoundedVec<u8>>), rmb expects (relay: Option<bytes>, "
	    "pk: Option<bytes>)", t);
	/* A third argument appended. */
	memcpy(ins, m->p + ut.f[1].name, ut.f[1].end - ut.f[1].name);
	b = splice(m, ut.f[1].end, 0, ins, ut.f[1].end - ut.f[1].name, &len);
	b[ut.f[0].name - 1] = 3 << 2;
	snprintf(t, sizeof(t), "%s: update_twin takes three arguments", name);
	refused(b, &len, "metadata: update_twin takes (relay: Option<BoundedVec"
	    "<u8>>, pk: Option<BoundedVec<u8>>, pk: Option<BoundedVec<u8>>), "
	    "rmb expects (relay: Option<bytes>, pk: Option<bytes>)", t);
	if (composite(m, m->twins_value, tw) != 5 ||
	    strcmp(tw[3].nm, "entities") != 0)
		bail("Twin");
	snprintf(t, sizeof(t), "%s: Twin field renamed", name);
	refused(rename_str(m, tw[3].name + 1, "entities", "entitiez", &len),
	    &len, "metadata: storage Twins' value field 3 is entitiez: "
	    "Vec<EntityProof>, rmb expects entities: Vec<EntityProof("
	    "entity_id: u32, signature: bytes)>", t);
	snprintf(t, sizeof(t), "%s: Twin id retyped", name);
	refused(set_ty(m, tw[0].ty_at, u64, &len), &len,
	    "metadata: storage Twins' value field 0 is id: u64, rmb expects "
	    "id: u32", t);
	snprintf(t, sizeof(t), "%s: Twin account_id retyped", name);
	refused(set_ty(m, tw[1].ty_at, tw[4].ty, &len), &len,
	    "metadata: storage Twins' value field 1 is account_id: Option<"
	    "BoundedVec<u8>>, rmb expects account_id: [u8; 32]", t);
	/* The Twin loses its last field. */
	b = splice(m, tw[4].name, tw[4].end - tw[4].name, NULL, 0, &len);
	b[tw[0].name - 1] = 4 << 2;
	snprintf(t, sizeof(t), "%s: Twin without pk", name);
	refused(b, &len, "metadata: storage Twins' value has 4 fields, rmb "
	    "expects 5", t);
	snprintf(t, sizeof(t), "%s: Twins hashed with Twox64Concat", name);
	refused(set_byte(m, m->twins_hasher_at, 5, &len), &len,
	    "metadata: storage Twins is hashed with Twox64Concat, rmb expects "
	    "Blake2_128Concat", t);
	snprintf(t, sizeof(t), "%s: Twins holds a u32", name);
	refused(set_ty(m, m->twins_value_at, find_type(m, 5, 5, NULL), &len),
	    &len, "metadata: storage Twins' value is u32, rmb expects a Twin "
	    "struct", t);

	variant(m, m->event, "TwinStored", &ev);
	snprintf(t, sizeof(t), "%s: TwinStored is event 200", name);
	refused(set_byte(m, ev.index_at, 200, &len), &len,
	    "metadata: TwinStored is event 200, rmb expects 11", t);

	/* RuntimeCall's TfgridModule, found as the extrinsic's Call. */
	call_outer = find_type(m, 1, -1, "RuntimeCall");
	variant(m, call_outer, "TfgridModule", &rc);
	snprintf(t, sizeof(t), "%s: RuntimeCall's TfgridModule is 24", name);
	refused(set_byte(m, rc.index_at, 24, &len), &len,
	    "metadata: TfgridModule is 24 in RuntimeCall, rmb expects 25", t);

	if (m->nexts != 8 || strcmp(m->ext[4].nm, "CheckMortality") != 0)
		bail("extensions");
	snprintf(t, sizeof(t), "%s: extrinsic version 5", name);
	refused(set_byte(m, m->ext_version_at, 5, &len), &len,
	    "metadata: extrinsic version 5, rmb expects 4", t);
	snprintf(t, sizeof(t), "%s: signed extension renamed", name);
	refused(rename_str(m, m->ext[4].name, "CheckMortality",
	    "CheckMortalitx", &len), &len, "metadata: signed extension 4 is "
	    "CheckMortalitx, rmb expects CheckMortality", t);
	/* CheckWeight removed. */
	b = splice(m, m->ext[6].start, m->ext[6].end - m->ext[6].start, NULL,
	    0, &len);
	b[m->ext_count_at] = 7 << 2;
	snprintf(t, sizeof(t), "%s: signed extension removed", name);
	refused(b, &len, "metadata: signed extension 6 is "
	    "ChargeTransactionPayment, rmb expects CheckWeight", t);
	/* The last one dropped. */
	b = splice(m, m->ext[7].start, m->ext[7].end - m->ext[7].start, NULL,
	    0, &len);
	b[m->ext_count_at] = 7 << 2;
	snprintf(t, sizeof(t), "%s: last signed extension removed", name);
	refused(b, &len, "metadata: signed extension 7 "
	    "(ChargeTransactionPayment) is missing", t);
	/* CheckMetadataHash appended, as newer runtimes do. */
	n = 0;
	ins[n++] = 17 << 2;
	memcpy(ins + n, "CheckMetadataHash", 17);
	n += 17;
	memcpy(ins + n, m->p + m->ext[6].ty_at, m->ext[6].end -
	    m->ext[6].ty_at);
	n += m->ext[6].end - m->ext[6].ty_at;
	b = splice(m, m->ext[7].end, 0, ins, n, &len);
	b[m->ext_count_at] = 9 << 2;
	snprintf(t, sizeof(t), "%s: signed extension added", name);
	refused(b, &len, "metadata: signed extension 8 is CheckMetadataHash, "
	    "rmb expects none after ChargeTransactionPayment", t);
	snprintf(t, sizeof(t), "%s: CheckNonce's extra emptied", name);
	refused(set_ty(m, m->ext[5].ty_at, m->ext[6].ty, &len), &len,
	    "metadata: signed extension CheckNonce's extra is CheckWeight, "
	    "rmb expects Compact<u32>", t);
	snprintf(t, sizeof(t), "%s: CheckWeight given an extra", name);
	refused(set_ty(m, m->ext[6].ty_at, m->ext[5].ty, &len), &len,
	    "metadata: signed extension CheckWeight's extra is CheckNonce, "
	    "rmb expects nothing", t);

	snprintf(t, sizeof(t), "%s: a byte after the end", name);
	b = splice(m, m->len, 0, "", 1, &len);
	refused(b, &len, "metadata: 1 bytes after the end", t);

	/* Lengths blown up: the registry count, a string, a docs list. */
	if ((m->p[5] & 3) != 1 || m->p[7] != 0 || m->p[9] != 7 << 2)
		bail("registry start");
	snprintf(t, sizeof(t), "%s: type count 2^32-1", name);
	refused(splice(m, 5, 2, "\x03\xff\xff\xff\xff", 5, &len), &len,
	    "metadata: type registry count malformed or over 8192", t);
	snprintf(t, sizeof(t), "%s: type count 8193", name);
	refused(splice(m, 5, 2, "\x05\x80", 2, &len), &len,
	    "metadata: type registry count malformed or over 8192", t);
	snprintf(t, sizeof(t), "%s: a path segment 64 MB long", name);
	refused(splice(m, 9, 1, "\x02\x00\x00\x10", 4, &len), &len,
	    "metadata: type 0 malformed at byte 9", t);
	snprintf(t, sizeof(t), "%s: Twin's first docs count huge", name);
	if (m->p[tw[0].end - 1] != 0)
		bail("Twin docs");
	b = splice(m, tw[0].end - 1, 1, "\x13\xff\xff\xff\xff\xff\xff\xff\xff",
	    9, &len);
	snprintf((char *)ins, sizeof(ins), "metadata: type %u malformed at "
	    "byte %zu", type_at(m, tw[0].end - 1), tw[0].end - 1);
	refused(b, &len, (char *)ins, t);
	snprintf(t, sizeof(t), "%s: a type id past the registry", name);
	b = set_ty(m, tw[0].ty_at, (uint32_t)m->ntypes, &len);
	snprintf((char *)ins, sizeof(ins), "metadata: type %u malformed at "
	    "byte %zu", type_at(m, tw[0].ty_at), tw[0].ty_at);
	refused(b, &len, (char *)ins, t);
}

/* Vec<u8> where BoundedVec<u8> was: the same bytes, so still accepted. */
static void
plain_vec(const struct map *m, const char *name)
{
	struct tfchain_layout	 out;
	struct var		 ut, some;
	uint32_t		 opt, vecu8 = 0;
	uint8_t			*b;
	char			 err[METADATA_ERR_MAX];
	size_t			 len, i;

	variant(m, m->calls, "update_twin", &ut);
	opt = ut.f[1].ty;
	variant(m, opt, "Some", &some);
	for (i = 0; i < m->ntypes; i++)
		if (m->ty[i].kind == 2 && m->p[m->ty[i].def] < 0xfc) {
			/* One-byte compact element id: is it u8? */
			uint32_t el = m->p[m->ty[i].def] >> 2;

			if (m->ty[el].kind == 5 && m->p[m->ty[el].def] == 3) {
				vecu8 = (uint32_t)i;
				break;
			}
		}
	if (vecu8 == 0)
		bail("Vec<u8>");
	b = set_ty(m, some.f[0].ty_at, vecu8, &len);
	ok(metadata_check_tfchain(b, len, &out, err, sizeof(err)) == 0,
	    "%s: pk's Option<Vec<u8>> (not BoundedVec) accepted: %s", name,
	    err);
	free(b);
}

static void
edges(const uint8_t *p, size_t len)
{
	struct tfchain_layout	out;
	char			err[METADATA_ERR_MAX], small[12];

	ok(metadata_check_tfchain(NULL, 0, &out, err, sizeof(err)) == -1 &&
	    strcmp(err, "metadata: no \"meta\" magic") == 0, "NULL refused");
	ok(metadata_check_tfchain(p, 5, &out, err, sizeof(err)) == -1 &&
	    strcmp(err, "metadata: type registry count malformed or over "
	    "8192") == 0, "magic and version alone refused");
	ok(metadata_check_tfchain(p, 3, &out, small, sizeof(small)) == -1 &&
	    strcmp(small, "metadata: n") == 0, "err cut to its size");
	ok(metadata_check_tfchain(p, 4, &out, NULL, 0) == -1,
	    "no err buffer");
	ok(metadata_check_tfchain(p, len, &out, NULL, 0) == 0,
	    "no err buffer, passing");
}

static void
timing(const uint8_t *p, size_t len)
{
	struct tfchain_layout	out;
	struct timespec		t0, t1;
	char			err[METADATA_ERR_MAX];
	int			i, runs = 20;
	double			ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < runs; i++)
		metadata_check_tfchain(p, len, &out, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / runs;
	diag("%zu bytes checked in %.3f ms", len, ms);
}

static void
one(const char *file, int write_dir, const char *dir)
{
	static struct map	 m, ms;
	uint8_t			*p, *s;
	size_t			 len, slen;
	char			 name[64], path[1024];
	FILE			*f;

	p = load(file, &len);
	walk(&m, p, len);
	passes(p, len, file);
	s = strip(&m, &slen);
	snprintf(name, sizeof(name), "%s stripped", file);
	passes(s, slen, name);
	ok(slen < 64 * 1024, "%s: %zu bytes without docs", file, slen);
	if (write_dir) {
		snprintf(path, sizeof(path), "%s/stripped-%s", dir, file);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(s, 1, slen, f) != slen || fclose(f) != 0)
			bail("writing the stripped copy");
	}
	mutations(&m, file);
	plain_vec(&m, file);
	truncations(&m, file);
	/* The same mutations must find their bytes in the stripped copy. */
	walk(&ms, s, slen);
	mutations(&ms, name);
	timing(p, len);
	free(s);
	free(p);
}

int
main(int argc, char *argv[])
{
	uint8_t	*p;
	size_t	 len;
	int	 w = argc == 3 && strcmp(argv[1], "-w") == 0;

	one("metadata-v14-spec144.scale", w, w ? argv[2] : NULL);
	one("metadata-v14-spec149.scale", w, w ? argv[2] : NULL);
	p = load("metadata-v14-spec144.scale", &len);
	edges(p, len);
	free(p);
	return done_testing();
}
