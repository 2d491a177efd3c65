/* SPDX-License-Identifier: ISC */
/*
 * RuntimeMetadataPrefixed as parity's frame-metadata crate encodes V14:
 * "meta", the version byte 14, the portable type registry (Vec of id,
 * path, type parameters, TypeDef, docs), the pallets, the extrinsic
 * (type, version, signed extensions) and the runtime type.  One pass walks
 * the registry, checking every length and type reference and remembering
 * where each TypeDef starts; the checks then re-read the few they need.
 * metadata_load() keeps that walk, adds where each enum's variants are,
 * and metadata_skip() reads a value of any type through it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extrinsic.h"
#include "metadata.h"
#include "scale_rd.h"
#include "tfchain_read.h"

#define MD_MAGIC		0x6174656dU	/* "meta" little-endian */
#define MD_VERSION		14
#define MD_EXT_VERSION		4
#define MD_EVENT_TWIN_STORED	11
#define MD_EVENT_TWIN_UPDATED	12

/* Per-item bounds, far above what any Substrate runtime emits. */
#define MD_STR_MAX		(64 * 1024)	/* a name or a docs line */
#define MD_PATH_MAX		32		/* segments of a type path */
#define MD_PARAMS_MAX		32		/* type parameters */
#define MD_VARIANTS_MAX		256		/* the index is a u8 */
#define MD_EXTS_MAX		64		/* signed extensions */
#define MD_HASHERS_MAX		16		/* keys of an NMap */
/* How far wrappers are followed; real chains nest three or four deep. */
#define MD_DEPTH_MAX		32
/* Nesting shown when a type is described in an error. */
#define MD_SHOW_DEPTH		4

enum md_kind {
	K_COMPOSITE, K_VARIANT, K_SEQUENCE, K_ARRAY, K_TUPLE, K_PRIMITIVE,
	K_COMPACT, K_BITSEQ
};

enum md_prim {
	P_BOOL, P_CHAR, P_STR, P_U8, P_U16, P_U32, P_U64, P_U128, P_U256,
	P_I8, P_I16, P_I32, P_I64, P_I128, P_I256
};

enum md_hasher { H_BLAKE2_128CONCAT = 2 };

/* Zero-size state, computed once per type on demand. */
enum md_empty { E_UNKNOWN, E_VISITING, E_NO, E_YES };

struct md_type {
	size_t		path;	/* offset of the path */
	size_t		def;	/* offset of the TypeDef after its tag */
	uint32_t	vfirst;	/* an enum's variants in md->vars */
	uint16_t	nvars;
	uint8_t		kind;
	uint8_t		empty;
};

/* A variant of an enum, for decoding: where its fields start. */
struct md_var {
	size_t		fields;	/* offset of the fields' count */
	uint8_t		index;
};

struct md_str {
	const uint8_t	*p;	/* NULL when absent */
	size_t		 n;
};

struct md_field {
	struct md_str	name;
	uint32_t	ty;
};

struct md_entry {
	int		found;
	uint8_t		map;
	uint8_t		hashers[MD_HASHERS_MAX];
	size_t		nhashers;
	uint32_t	key, value;
};

/* What is kept of a pallet: only the items the checks look at. */
struct md_pallet {
	struct md_str	name;
	uint8_t		index;
	int		has_calls, has_event;
	uint32_t	calls, event;
	struct md_entry	twins, twin_by_account, events;
	int		has_ss58;
	uint32_t	ss58_ty;
	struct md_str	ss58_value;
};

/* The extensions rmb's extrinsic builder writes, in order. */
#define NEXT	8
struct md_ext {
	struct md_str	name;
	uint32_t	ty, add;
};

struct md {
	const uint8_t	*p;
	size_t		 len;
	struct md_type	*types;
	uint32_t	 ntypes;
	char		*err;
	size_t		 errlen;
	int		 seen_tfgrid, seen_system;
	struct md_pallet tfgrid, system;
	uint32_t	 ext_ty;
	uint8_t		 ext_version;
	struct md_ext	 exts[NEXT + 1];
	size_t		 nexts;
	struct md_var	*vars;		/* metadata_load() only */
};

struct metadata {
	struct md	 md;
	uint8_t		*buf;		/* the copy md.p points into */
};

/* A bounded string builder for error messages. */
struct sb {
	char	*p;
	size_t	 cap, len;
};

static int	is_empty(struct md *, uint32_t, int);
static void	show(struct md *, struct sb *, uint32_t, int);

static __attribute__((format(printf, 2, 0))) void
sb_vadd(struct sb *b, const char *fmt, va_list ap)
{
	int	r;

	if (b->len + 1 >= b->cap)
		return;
	r = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	if (r < 0)
		return;
	b->len += (size_t)r;
	if (b->len >= b->cap)
		b->len = b->cap - 1;
}

static __attribute__((format(printf, 2, 3))) void
sb_add(struct sb *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	sb_vadd(b, fmt, ap);
	va_end(ap);
}

/* Names come from the chain: shown printable, at most 48 bytes. */
static void
sb_name(struct sb *b, struct md_str s)
{
	size_t	i, n = s.n > 48 ? 48 : s.n;

	if (s.p == NULL) {
		sb_add(b, "_");
		return;
	}
	for (i = 0; i < n; i++)
		sb_add(b, "%c", s.p[i] >= 0x20 && s.p[i] < 0x7f ? s.p[i] : '?');
	if (n < s.n)
		sb_add(b, "...");
}

static int
eq(struct md_str s, const char *want)
{
	return s.p != NULL && s.n == strlen(want) &&
	    memcmp(s.p, want, s.n) == 0;
}

/* Starts an error message in err: "metadata: " and the formatted text. */
static __attribute__((format(printf, 3, 0))) void
sb_vbegin(struct md *md, struct sb *b, const char *fmt, va_list ap)
{
	b->p = md->err;
	b->cap = md->errlen;
	b->len = 0;
	sb_add(b, "metadata: ");
	sb_vadd(b, fmt, ap);
}

static __attribute__((format(printf, 3, 4))) void
sb_begin(struct md *md, struct sb *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	sb_vbegin(md, b, fmt, ap);
	va_end(ap);
}

/* The message of sb_begin() alone; returns -1. */
static __attribute__((format(printf, 2, 3))) int
fail(struct md *md, const char *fmt, ...)
{
	struct sb	b;
	va_list		ap;

	va_start(ap, fmt);
	sb_vbegin(md, &b, fmt, ap);
	va_end(ap);
	return -1;
}

static int
get_str(struct scale_rd *rd, struct md_str *s)
{
	return scale_get_bytes(rd, &s->p, &s->n, MD_STR_MAX);
}

static int
get_optstr(struct scale_rd *rd, struct md_str *s)
{
	int	present;

	s->p = NULL;
	s->n = 0;
	if (scale_get_option(rd, &present) == -1)
		return -1;
	return present ? get_str(rd, s) : 0;
}

/* A Vec's length, at most max and at most one element per byte left. */
static int
get_count(struct scale_rd *rd, size_t *n, size_t max)
{
	struct scale_rd	t = *rd;
	uint64_t	v;

	/* A refused value leaves rd on it, so errors point at it. */
	if (scale_get_compact(&t, &v) == -1 || v > max ||
	    v > t.len - t.off)
		return -1;
	*rd = t;
	*n = (size_t)v;
	return 0;
}

static int
get_ty(struct md *md, struct scale_rd *rd, uint32_t *ty)
{
	struct scale_rd	t = *rd;
	uint64_t	v;

	if (scale_get_compact(&t, &v) == -1 || v >= md->ntypes)
		return -1;
	*rd = t;
	*ty = (uint32_t)v;
	return 0;
}

static int
skip_docs(struct scale_rd *rd)
{
	struct md_str	s;
	size_t		n, i;

	if (get_count(rd, &n, SIZE_MAX) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (get_str(rd, &s) == -1)
			return -1;
	return 0;
}

static int
get_field(struct md *md, struct scale_rd *rd, struct md_field *f)
{
	struct md_str	tyname;

	if (get_optstr(rd, &f->name) == -1 || get_ty(md, rd, &f->ty) == -1 ||
	    get_optstr(rd, &tyname) == -1 || skip_docs(rd) == -1)
		return -1;
	return 0;
}

/*
 * Reads n fields, keeping the first max in f.  Also used to validate, with
 * max 0.
 */
static int
get_fields(struct md *md, struct scale_rd *rd, struct md_field *f,
    size_t max, size_t *n)
{
	struct md_field	tmp;
	size_t		i;

	if (get_count(rd, n, SIZE_MAX) == -1)
		return -1;
	for (i = 0; i < *n; i++)
		if (get_field(md, rd, i < max ? &f[i] : &tmp) == -1)
			return -1;
	return 0;
}

/* One variant: name, fields, index, docs. */
static int
get_variant(struct md *md, struct scale_rd *rd, struct md_str *name,
    struct md_field *f, size_t max, size_t *nf, uint8_t *index)
{
	if (get_str(rd, name) == -1 || get_fields(md, rd, f, max, nf) == -1 ||
	    scale_get_u8(rd, index) == -1 || skip_docs(rd) == -1)
		return -1;
	return 0;
}

static int
parse_def(struct md *md, struct scale_rd *rd, uint8_t kind)
{
	struct scale_rd	t;
	struct md_field	f;
	struct md_str	name;
	uint32_t	u, ty;
	uint8_t		seen[MD_VARIANTS_MAX / 8], index, prim;
	size_t		n, nf, i;

	switch (kind) {
	case K_COMPOSITE:
		return get_fields(md, rd, &f, 0, &n);
	case K_VARIANT:
		if (get_count(rd, &n, MD_VARIANTS_MAX) == -1)
			return -1;
		/* Two variants with one index would make decoding ambiguous. */
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < n; i++) {
			if (get_variant(md, rd, &name, &f, 0, &nf,
			    &index) == -1 || seen[index / 8] & (1 << index % 8))
				return -1;
			seen[index / 8] |= 1 << index % 8;
		}
		return 0;
	case K_SEQUENCE:
	case K_COMPACT:
		return get_ty(md, rd, &ty);
	case K_ARRAY:
		return scale_get_u32(rd, &u) == -1 ? -1 : get_ty(md, rd, &ty);
	case K_TUPLE:
		if (get_count(rd, &n, SIZE_MAX) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (get_ty(md, rd, &ty) == -1)
				return -1;
		return 0;
	case K_PRIMITIVE:
		t = *rd;
		if (scale_get_u8(&t, &prim) == -1 || prim > P_I256)
			return -1;
		*rd = t;
		return 0;
	case K_BITSEQ:
		return get_ty(md, rd, &ty) == -1 ? -1 : get_ty(md, rd, &ty);
	default:
		return -1;
	}
}

static int
parse_type(struct md *md, struct scale_rd *rd, uint32_t i)
{
	struct md_str	s;
	uint64_t	id;
	uint32_t	ty;
	size_t		n, k;
	int		present;

	/* scale-info numbers the registry 0, 1, 2...; ids index it. */
	if (scale_get_compact(rd, &id) == -1 || id != i)
		return -1;
	md->types[i].path = rd->off;
	if (get_count(rd, &n, MD_PATH_MAX) == -1)
		return -1;
	for (k = 0; k < n; k++)
		if (get_str(rd, &s) == -1)
			return -1;
	if (get_count(rd, &n, MD_PARAMS_MAX) == -1)
		return -1;
	for (k = 0; k < n; k++)
		if (get_str(rd, &s) == -1 ||
		    scale_get_option(rd, &present) == -1 ||
		    (present && get_ty(md, rd, &ty) == -1))
			return -1;
	if (rd->off >= rd->len || rd->p[rd->off] > K_BITSEQ)
		return -1;
	md->types[i].kind = rd->p[rd->off++];
	md->types[i].def = rd->off;
	md->types[i].empty = E_UNKNOWN;
	if (parse_def(md, rd, md->types[i].kind) == -1)
		return -1;
	return skip_docs(rd);
}

static int
parse_registry(struct md *md, struct scale_rd *rd)
{
	size_t	n, i;

	if (get_count(rd, &n, METADATA_TYPES_MAX) == -1)
		return fail(md, "type registry count malformed or over %d",
		    METADATA_TYPES_MAX);
	if (n == 0)
		return fail(md, "type registry is empty");
	if ((md->types = calloc(n, sizeof(*md->types))) == NULL)
		return fail(md, "out of memory");
	md->ntypes = (uint32_t)n;
	for (i = 0; i < n; i++)
		if (parse_type(md, rd, (uint32_t)i) == -1)
			return fail(md, "type %zu malformed at byte %zu", i,
			    rd->off);
	return 0;
}

/* A reader positioned at type ty's TypeDef payload. */
static struct scale_rd
def_rd(struct md *md, uint32_t ty)
{
	struct scale_rd	rd;

	scale_rd_init(&rd, md->p, md->len);
	rd.off = md->types[ty].def;
	return rd;
}

/* The registry was validated whole, so re-reading it cannot fail. */
static uint8_t
kind(struct md *md, uint32_t ty)
{
	return md->types[ty].kind;
}

static void
child(struct md *md, uint32_t ty, uint32_t *inner)
{
	struct scale_rd	rd = def_rd(md, ty);
	uint32_t	len;

	if (kind(md, ty) == K_ARRAY)
		(void)scale_get_u32(&rd, &len);
	(void)get_ty(md, &rd, inner);
}

static uint32_t
array_len(struct md *md, uint32_t ty)
{
	struct scale_rd	rd = def_rd(md, ty);
	uint32_t	len = 0;

	(void)scale_get_u32(&rd, &len);
	return len;
}

static uint8_t
prim(struct md *md, uint32_t ty)
{
	struct scale_rd	rd = def_rd(md, ty);
	uint8_t		p = 0xff;

	(void)scale_get_u8(&rd, &p);
	return p;
}

/*
 * The members of a composite (named or not) or a tuple (unnamed): the
 * first max in f, their number in *n.
 */
static int
members(struct md *md, uint32_t ty, struct md_field *f, size_t max,
    size_t *n)
{
	struct scale_rd	rd = def_rd(md, ty);
	uint32_t	t;
	size_t		i;

	*n = 0;
	if (kind(md, ty) == K_COMPOSITE)
		return get_fields(md, &rd, f, max, n);
	if (kind(md, ty) != K_TUPLE || get_count(&rd, n, SIZE_MAX) == -1)
		return -1;
	for (i = 0; i < *n; i++) {
		if (get_ty(md, &rd, &t) == -1)
			return -1;
		if (i < max) {
			f[i].name.p = NULL;
			f[i].name.n = 0;
			f[i].ty = t;
		}
	}
	return 0;
}

/* Whether ty encodes to no bytes at all: PhantomData, (), empty structs. */
static int
is_empty(struct md *md, uint32_t ty, int depth)
{
	struct scale_rd	rd;
	struct md_field	f;
	uint8_t		k = kind(md, ty), r = E_YES;
	size_t		n, i;

	if (md->types[ty].empty == E_YES || md->types[ty].empty == E_NO)
		return md->types[ty].empty == E_YES;
	/* A type that contains itself, or nests absurdly, is not empty. */
	if (md->types[ty].empty == E_VISITING || depth > MD_DEPTH_MAX)
		return 0;
	md->types[ty].empty = E_VISITING;
	rd = def_rd(md, ty);
	if (k == K_COMPOSITE || k == K_TUPLE) {
		if (get_count(&rd, &n, SIZE_MAX) == -1)
			n = 0, r = E_NO;
		for (i = 0; i < n && r == E_YES; i++) {
			if (k == K_COMPOSITE ? get_field(md, &rd, &f) == -1 :
			    get_ty(md, &rd, &f.ty) == -1)
				r = E_NO;
			else if (!is_empty(md, f.ty, depth + 1))
				r = E_NO;
		}
	} else if (k == K_ARRAY) {
		child(md, ty, &f.ty);
		if (array_len(md, ty) != 0 && !is_empty(md, f.ty, depth + 1))
			r = E_NO;
	} else
		r = E_NO;
	md->types[ty].empty = r;
	return r == E_YES;
}

/*
 * Follows wrappers: a composite or tuple whose members are all empty but
 * one encodes exactly as that one.
 */
static uint32_t
unwrap(struct md *md, uint32_t ty)
{
	struct scale_rd	rd;
	struct md_field	f;
	uint32_t	inner = 0;
	size_t		n, i, nonempty;
	int		depth;
	uint8_t		k;

	for (depth = 0; depth < MD_DEPTH_MAX; depth++) {
		k = kind(md, ty);
		if (k != K_COMPOSITE && k != K_TUPLE)
			break;
		rd = def_rd(md, ty);
		if (get_count(&rd, &n, SIZE_MAX) == -1)
			break;
		for (i = 0, nonempty = 0; i < n && nonempty < 2; i++) {
			if (k == K_COMPOSITE ? get_field(md, &rd, &f) == -1 :
			    get_ty(md, &rd, &f.ty) == -1)
				return ty;
			if (!is_empty(md, f.ty, 0)) {
				nonempty++;
				inner = f.ty;
			}
		}
		if (nonempty != 1)
			break;
		ty = inner;
	}
	return ty;
}

static int
is_prim(struct md *md, uint32_t ty, uint8_t p)
{
	ty = unwrap(md, ty);
	return kind(md, ty) == K_PRIMITIVE && prim(md, ty) == p;
}

/* [u8; n], possibly wrapped (AccountId32, H256, Signature). */
static int
is_u8_array(struct md *md, uint32_t ty, uint32_t n)
{
	uint32_t	inner;

	ty = unwrap(md, ty);
	if (kind(md, ty) != K_ARRAY || array_len(md, ty) != n)
		return 0;
	child(md, ty, &inner);
	return is_prim(md, inner, P_U8);
}

/* compact(len) ‖ len bytes: Vec<u8>, BoundedVec<u8, _>, WeakBoundedVec. */
static int
is_bytes(struct md *md, uint32_t ty)
{
	uint32_t	inner;

	ty = unwrap(md, ty);
	if (kind(md, ty) != K_SEQUENCE)
		return 0;
	child(md, ty, &inner);
	return is_prim(md, inner, P_U8);
}

static int
is_compact(struct md *md, uint32_t ty, uint8_t p)
{
	uint32_t	inner;

	ty = unwrap(md, ty);
	if (kind(md, ty) != K_COMPACT)
		return 0;
	child(md, ty, &inner);
	return is_prim(md, inner, p);
}

/*
 * Finds the variant called name in enum ty: its index and first max
 * fields.  Returns 0 when found, -1 when absent or ty is no enum.
 */
static int
find_variant(struct md *md, uint32_t ty, const char *name, uint8_t *index,
    struct md_field *f, size_t max, size_t *nf)
{
	struct scale_rd	rd;
	struct md_str	vname;
	size_t		n, i;

	if (kind(md, ty) != K_VARIANT)
		return -1;
	rd = def_rd(md, ty);
	if (get_count(&rd, &n, MD_VARIANTS_MAX) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (get_variant(md, &rd, &vname, f, max, nf, index) == -1)
			return -1;
		if (eq(vname, name))
			return 0;
	}
	return -1;
}

/* The name of the variant with the given index, for messages. */
static int
variant_at(struct md *md, uint32_t ty, uint8_t index, struct md_str *name)
{
	struct scale_rd	rd;
	struct md_field	f;
	size_t		n, nf, i;
	uint8_t		idx;

	rd = def_rd(md, ty);
	if (get_count(&rd, &n, MD_VARIANTS_MAX) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (get_variant(md, &rd, name, &f, 0, &nf, &idx) == -1)
			return -1;
		if (idx == index)
			return 0;
	}
	return -1;
}

/* Option<T>: exactly None = 0 without fields and Some = 1 with one. */
static int
is_option_of(struct md *md, uint32_t ty, int (*inner)(struct md *, uint32_t))
{
	struct scale_rd	rd;
	struct md_field	f[2];
	struct md_str	name;
	size_t		n, nf;
	uint8_t		index;

	ty = unwrap(md, ty);
	if (kind(md, ty) != K_VARIANT)
		return 0;
	rd = def_rd(md, ty);
	if (get_count(&rd, &n, MD_VARIANTS_MAX) == -1 || n != 2)
		return 0;
	if (get_variant(md, &rd, &name, f, 2, &nf, &index) == -1 ||
	    !eq(name, "None") || index != 0 || nf != 0)
		return 0;
	if (get_variant(md, &rd, &name, f, 2, &nf, &index) == -1 ||
	    !eq(name, "Some") || index != 1 || nf != 1)
		return 0;
	return inner(md, f[0].ty);
}

static int
is_u32(struct md *md, uint32_t ty)
{
	return is_prim(md, ty, P_U32);
}

static int
is_option_bytes(struct md *md, uint32_t ty)
{
	return is_option_of(md, ty, is_bytes);
}

static int
is_account(struct md *md, uint32_t ty)
{
	return is_u8_array(md, ty, 32);
}

static void
show_prim(struct sb *b, uint8_t p)
{
	static const char *const names[] = { "bool", "char", "str", "u8",
	    "u16", "u32", "u64", "u128", "u256", "i8", "i16", "i32", "i64",
	    "i128", "i256" };

	sb_add(b, "%s", p < sizeof(names) / sizeof(names[0]) ? names[p] : "?");
}

/* The last path segment and the type parameters that carry a type. */
static void
show_named(struct md *md, struct sb *b, uint32_t ty, int depth)
{
	struct scale_rd	rd;
	struct md_str	s, last = { NULL, 0 };
	size_t		n, i, shown = 0;
	uint32_t	p;
	int		present;

	scale_rd_init(&rd, md->p, md->len);
	rd.off = md->types[ty].path;
	if (get_count(&rd, &n, MD_PATH_MAX) == -1)
		return;
	for (i = 0; i < n; i++)
		if (get_str(&rd, &last) == -1)
			return;
	if (last.p == NULL) {
		sb_add(b, kind(md, ty) == K_VARIANT ? "enum#%u" : "struct#%u",
		    ty);
		return;
	}
	sb_name(b, last);
	if (get_count(&rd, &n, MD_PARAMS_MAX) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (get_str(&rd, &s) == -1 ||
		    scale_get_option(&rd, &present) == -1)
			return;
		if (!present)
			continue;
		if (get_ty(md, &rd, &p) == -1)
			return;
		sb_add(b, shown++ ? ", " : "<");
		show(md, b, p, depth + 1);
	}
	if (shown)
		sb_add(b, ">");
}

/* A short Rust-like spelling of a type, for error messages. */
static void
show(struct md *md, struct sb *b, uint32_t ty, int depth)
{
	struct md_field	f[4];
	uint32_t	inner;
	size_t		n, i;

	/* A full buffer ends the walk, which bounds its work on any input. */
	if (b->len + 1 >= b->cap)
		return;
	if (depth > MD_SHOW_DEPTH) {
		sb_add(b, "...");
		return;
	}
	switch (kind(md, ty)) {
	case K_PRIMITIVE:
		show_prim(b, prim(md, ty));
		break;
	case K_SEQUENCE:
		child(md, ty, &inner);
		sb_add(b, "Vec<");
		show(md, b, inner, depth + 1);
		sb_add(b, ">");
		break;
	case K_COMPACT:
		child(md, ty, &inner);
		sb_add(b, "Compact<");
		show(md, b, inner, depth + 1);
		sb_add(b, ">");
		break;
	case K_ARRAY:
		child(md, ty, &inner);
		sb_add(b, "[");
		show(md, b, inner, depth + 1);
		sb_add(b, "; %u]", array_len(md, ty));
		break;
	case K_TUPLE:
		if (members(md, ty, f, 4, &n) == -1)
			break;
		sb_add(b, "(");
		for (i = 0; i < n && i < 4; i++) {
			sb_add(b, i ? ", " : "");
			show(md, b, f[i].ty, depth + 1);
		}
		sb_add(b, n > 4 ? ", ...)" : ")");
		break;
	case K_BITSEQ:
		sb_add(b, "BitVec");
		break;
	default:
		show_named(md, b, ty, depth);
		break;
	}
}

/* "name: Type" for a field. */
static void
show_field(struct md *md, struct sb *b, const struct md_field *f)
{
	if (f->name.p != NULL) {
		sb_name(b, f->name);
		sb_add(b, ": ");
	}
	show(md, b, f->ty, 0);
}

/* "(a: A, b: B)" for the first max of n fields. */
static void
show_fields(struct md *md, struct sb *b, const struct md_field *f,
    size_t max, size_t n)
{
	size_t	i;

	sb_add(b, "(");
	for (i = 0; i < n && i < max; i++) {
		sb_add(b, i ? ", " : "");
		show_field(md, b, &f[i]);
	}
	sb_add(b, n > max ? ", ...)" : ")");
}

/* What rmb expects of a field: its name and a test of its type. */
struct want {
	const char	*name;
	int		(*ok)(struct md *, uint32_t);
	const char	*desc;
};

/* 1 when fields f (n of them) match want (nwant) by name and type. */
static int
fields_match(struct md *md, const struct md_field *f, size_t n,
    const struct want *want, size_t nwant)
{
	size_t	i;

	if (n != nwant)
		return 0;
	for (i = 0; i < n; i++)
		if (!eq(f[i].name, want[i].name) || !want[i].ok(md, f[i].ty))
			return 0;
	return 1;
}

static void
show_want(struct sb *b, const struct want *want, size_t n)
{
	size_t	i;

	sb_add(b, "(");
	for (i = 0; i < n; i++)
		sb_add(b, "%s%s: %s", i ? ", " : "", want[i].name,
		    want[i].desc);
	sb_add(b, ")");
}

static const struct want entity_fields[] = {
	{ "entity_id", is_u32, "u32" },
	{ "signature", is_bytes, "bytes" },
};

static int
is_entities(struct md *md, uint32_t ty)
{
	struct md_field	f[3];
	uint32_t	inner;
	size_t		n;

	ty = unwrap(md, ty);
	if (kind(md, ty) != K_SEQUENCE)
		return 0;
	child(md, ty, &inner);
	if (kind(md, inner) != K_COMPOSITE ||
	    members(md, inner, f, 3, &n) == -1)
		return 0;
	return fields_match(md, f, n, entity_fields, 2);
}

static const struct want twin_fields[] = {
	{ "id", is_u32, "u32" },
	{ "account_id", is_account, "[u8; 32]" },
	{ "relay", is_option_bytes, "Option<bytes>" },
	{ "entities", is_entities,
	    "Vec<EntityProof(entity_id: u32, signature: bytes)>" },
	{ "pk", is_option_bytes, "Option<bytes>" },
};
#define NTWIN	(sizeof(twin_fields) / sizeof(twin_fields[0]))

/* The Twin struct as twin_decode() reads it; what names it in messages. */
static int
check_twin(struct md *md, uint32_t ty, const char *what)
{
	struct md_field	f[NTWIN + 1];
	struct sb	b;
	size_t		n, i;

	if (kind(md, ty) != K_COMPOSITE || members(md, ty, f, NTWIN + 1,
	    &n) == -1) {
		sb_begin(md, &b, "%s is ", what);
		show(md, &b, ty, 0);
		sb_add(&b, ", rmb expects a Twin struct");
		return -1;
	}
	for (i = 0; i < NTWIN && i < n; i++) {
		if (eq(f[i].name, twin_fields[i].name) &&
		    twin_fields[i].ok(md, f[i].ty))
			continue;
		sb_begin(md, &b, "%s field %zu is ", what, i);
		show_field(md, &b, &f[i]);
		sb_add(&b, ", rmb expects %s: %s", twin_fields[i].name,
		    twin_fields[i].desc);
		return -1;
	}
	if (n != NTWIN)
		return fail(md, "%s has %zu fields, rmb expects %zu", what, n,
		    NTWIN);
	return 0;
}

static const struct want twin_args[] = {
	{ "relay", is_option_bytes, "Option<bytes>" },
	{ "pk", is_option_bytes, "Option<bytes>" },
};

static int
check_call(struct md *md, uint32_t calls, const char *name, uint8_t want,
    uint8_t *got)
{
	struct md_field	f[4];
	struct sb	b;
	struct md_str	other;
	size_t		nf;

	if (find_variant(md, calls, name, got, f, 4, &nf) == -1) {
		if (variant_at(md, calls, want, &other) == 0) {
			sb_begin(md, &b, "TfgridModule has no call %s (call %u is ",
			    name, want);
			sb_name(&b, other);
			sb_add(&b, ")");
			return -1;
		}
		return fail(md, "TfgridModule has no call %s", name);
	}
	if (*got != want)
		return fail(md, "%s is call %u, rmb expects %u", name, *got,
		    want);
	if (fields_match(md, f, nf, twin_args, 2))
		return 0;
	sb_begin(md, &b, "%s takes ", name);
	show_fields(md, &b, f, 4, nf);
	sb_add(&b, ", rmb expects ");
	show_want(&b, twin_args, 2);
	return -1;
}

static int
check_event(struct md *md, uint32_t events, const char *name, uint8_t want,
    uint8_t *got)
{
	struct md_field	f[2];
	char		what[64];
	size_t		nf;

	if (find_variant(md, events, name, got, f, 2, &nf) == -1)
		return fail(md, "TfgridModule has no event %s", name);
	if (*got != want)
		return fail(md, "%s is event %u, rmb expects %u", name, *got,
		    want);
	if (nf != 1)
		return fail(md, "%s has %zu fields, rmb expects 1 (Twin)",
		    name, nf);
	snprintf(what, sizeof(what), "%s's Twin", name);
	return check_twin(md, f[0].ty, what);
}

static const char *
hasher_name(uint8_t h)
{
	static const char *const names[] = { "Blake2_128", "Blake2_256",
	    "Blake2_128Concat", "Twox128", "Twox256", "Twox64Concat",
	    "Identity" };

	return h < sizeof(names) / sizeof(names[0]) ? names[h] : "?";
}

/* A single-key map hashed with Blake2_128Concat whose key passes ok. */
static int
check_map(struct md *md, const struct md_entry *e, const char *name,
    int (*key_ok)(struct md *, uint32_t), const char *key_desc)
{
	struct sb	b;

	if (!e->found)
		return fail(md, "TfgridModule has no storage %s", name);
	if (!e->map)
		return fail(md, "storage %s is a plain value, rmb expects a "
		    "map", name);
	if (e->nhashers != 1)
		return fail(md, "storage %s has %zu keys, rmb expects 1",
		    name, e->nhashers);
	if (e->hashers[0] != H_BLAKE2_128CONCAT)
		return fail(md, "storage %s is hashed with %s, rmb expects "
		    "Blake2_128Concat", name, hasher_name(e->hashers[0]));
	if (key_ok(md, e->key))
		return 0;
	sb_begin(md, &b, "storage %s's key is ", name);
	show(md, &b, e->key, 0);
	sb_add(&b, ", rmb expects %s", key_desc);
	return -1;
}

static int
check_storage(struct md *md)
{
	struct md_pallet	*pl = &md->tfgrid;
	struct sb		 b;

	if (check_map(md, &pl->twins, "Twins", is_u32, "u32") == -1 ||
	    check_twin(md, pl->twins.value, "storage Twins' value") == -1)
		return -1;
	if (check_map(md, &pl->twin_by_account, "TwinIdByAccountID",
	    is_account, "[u8; 32]") == -1)
		return -1;
	if (is_u32(md, pl->twin_by_account.value))
		return 0;
	sb_begin(md, &b, "storage TwinIdByAccountID's value is ");
	show(md, &b, pl->twin_by_account.value, 0);
	sb_add(&b, ", rmb expects u32");
	return -1;
}

/*
 * The variant called name in enum ty has index want and one field of
 * type inner: how RuntimeCall and RuntimeEvent wrap a pallet's enums.
 */
static int
check_outer(struct md *md, uint32_t ty, const char *outer, uint8_t want,
    uint32_t inner)
{
	struct md_field	f[2];
	size_t		nf;
	uint8_t		index;

	if (find_variant(md, ty, "TfgridModule", &index, f, 2, &nf) == -1)
		return fail(md, "%s has no TfgridModule", outer);
	if (index != want)
		return fail(md, "TfgridModule is %u in %s, rmb expects %u",
		    index, outer, want);
	if (nf != 1 || f[0].ty != inner)
		return fail(md, "%s's TfgridModule does not hold the pallet's "
		    "enum", outer);
	return 0;
}

static int
check_pallet(struct md *md, struct tfchain_layout *out)
{
	struct md_pallet	*pl = &md->tfgrid;

	if (!md->seen_tfgrid)
		return fail(md, "no pallet TfgridModule");
	if (pl->index != TFCHAIN_PALLET_TFGRID)
		return fail(md, "TfgridModule is pallet %u, rmb expects %u",
		    pl->index, TFCHAIN_PALLET_TFGRID);
	out->pallet = pl->index;
	if (!pl->has_calls || kind(md, pl->calls) != K_VARIANT)
		return fail(md, "TfgridModule has no calls enum");
	if (check_call(md, pl->calls, "update_twin", TFCHAIN_CALL_UPDATE_TWIN,
	    &out->update_twin) == -1 ||
	    check_call(md, pl->calls, "create_twin", TFCHAIN_CALL_CREATE_TWIN,
	    &out->create_twin) == -1)
		return -1;
	if (check_storage(md) == -1)
		return -1;
	if (!pl->has_event || kind(md, pl->event) != K_VARIANT)
		return fail(md, "TfgridModule has no events enum");
	if (check_event(md, pl->event, "TwinStored", MD_EVENT_TWIN_STORED,
	    &out->twin_stored) == -1 ||
	    check_event(md, pl->event, "TwinUpdated", MD_EVENT_TWIN_UPDATED,
	    &out->twin_updated) == -1)
		return -1;
	return 0;
}

/*
 * RuntimeEvent, found as System.Events: Vec<EventRecord { phase, event,
 * topics }>.  Its TfgridModule variant must carry the pallet's index.
 */
static int
check_runtime_event(struct md *md)
{
	struct md_entry	*e = &md->system.events;
	struct md_field	 f[4];
	uint32_t	 ty, rec;
	size_t		 n, i;

	if (!md->seen_system || !e->found || e->map)
		return fail(md, "no storage System.Events");
	ty = unwrap(md, e->value);
	if (kind(md, ty) != K_SEQUENCE)
		return fail(md, "System.Events is not a Vec");
	child(md, ty, &rec);
	if (kind(md, rec) != K_COMPOSITE || members(md, rec, f, 4, &n) == -1)
		return fail(md, "System.Events holds no EventRecord");
	for (i = 0; i < n && i < 4; i++)
		if (eq(f[i].name, "event"))
			return check_outer(md, f[i].ty, "RuntimeEvent",
			    md->tfgrid.index, md->tfgrid.event);
	return fail(md, "System.Events' record has no event field");
}

/* What each signed extension adds to the extrinsic and to the payload. */
enum { X_NONE, X_U32, X_H256, X_ERA, X_COMPACT_U32, X_COMPACT_U128 };

static const struct {
	const char	*name;
	int		 extra, add;
} want_exts[NEXT] = {
	{ "CheckNonZeroSender", X_NONE, X_NONE },
	{ "CheckSpecVersion", X_NONE, X_U32 },
	{ "CheckTxVersion", X_NONE, X_U32 },
	{ "CheckGenesis", X_NONE, X_H256 },
	{ "CheckMortality", X_ERA, X_H256 },
	{ "CheckNonce", X_COMPACT_U32, X_NONE },
	{ "CheckWeight", X_NONE, X_NONE },
	{ "ChargeTransactionPayment", X_COMPACT_U128, X_NONE },
};

static const char *const x_desc[] = { "nothing", "u32", "H256", "Era",
    "Compact<u32>", "Compact<u128>" };

/* Era: rmb writes Immortal, 00; a mortal era is two bytes. */
static int
is_era(struct md *md, uint32_t ty)
{
	struct md_field	f[2];
	struct md_str	name;
	size_t		nf;
	uint8_t		index;

	ty = unwrap(md, ty);
	if (find_variant(md, ty, "Immortal", &index, f, 2, &nf) == -1 ||
	    index != 0 || nf != 0)
		return 0;
	/* Every other index is Mortal, one byte more. */
	return variant_at(md, ty, 1, &name) == 0;
}

static int
x_ok(struct md *md, uint32_t ty, int x)
{
	switch (x) {
	case X_NONE:
		return is_empty(md, ty, 0);
	case X_U32:
		return is_u32(md, ty);
	case X_H256:
		return is_u8_array(md, ty, 32);
	case X_ERA:
		return is_era(md, ty);
	case X_COMPACT_U32:
		return is_compact(md, ty, P_U32);
	default:
		return is_compact(md, ty, P_U128);
	}
}

static int
check_x(struct md *md, const struct md_ext *e, uint32_t ty, int x,
    const char *what)
{
	struct sb	b;

	if (x_ok(md, ty, x))
		return 0;
	sb_begin(md, &b, "signed extension ");
	sb_name(&b, e->name);
	sb_add(&b, "'s %s is ", what);
	show(md, &b, ty, 0);
	sb_add(&b, ", rmb expects %s", x_desc[x]);
	return -1;
}

static int
check_exts(struct md *md)
{
	struct sb	b;
	size_t		i;

	for (i = 0; i < NEXT; i++) {
		if (i >= md->nexts)
			return fail(md, "signed extension %zu (%s) is missing",
			    i, want_exts[i].name);
		if (!eq(md->exts[i].name, want_exts[i].name)) {
			sb_begin(md, &b, "signed extension %zu is ", i);
			sb_name(&b, md->exts[i].name);
			sb_add(&b, ", rmb expects %s", want_exts[i].name);
			return -1;
		}
		if (check_x(md, &md->exts[i], md->exts[i].ty,
		    want_exts[i].extra, "extra") == -1 ||
		    check_x(md, &md->exts[i], md->exts[i].add,
		    want_exts[i].add, "additional data") == -1)
			return -1;
	}
	if (md->nexts > NEXT) {
		sb_begin(md, &b, "signed extension %d is ", NEXT);
		sb_name(&b, md->exts[NEXT].name);
		sb_add(&b, ", rmb expects none after %s",
		    want_exts[NEXT - 1].name);
		return -1;
	}
	return 0;
}

/* The type parameter called name of ty. */
static int
type_param(struct md *md, uint32_t ty, const char *name, uint32_t *out)
{
	struct scale_rd	rd;
	struct md_str	s;
	size_t		n, i;
	uint32_t	p;
	int		present;

	scale_rd_init(&rd, md->p, md->len);
	rd.off = md->types[ty].path;
	if (get_count(&rd, &n, MD_PATH_MAX) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (get_str(&rd, &s) == -1)
			return -1;
	if (get_count(&rd, &n, MD_PARAMS_MAX) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (get_str(&rd, &s) == -1 ||
		    scale_get_option(&rd, &present) == -1)
			return -1;
		if (present && get_ty(md, &rd, &p) == -1)
			return -1;
		if (present && eq(s, name)) {
			*out = p;
			return 0;
		}
	}
	return -1;
}

/* A variant with index idx, called name, holding one field passing ok. */
static int
variant_holds(struct md *md, uint32_t ty, const char *name, uint8_t idx,
    uint32_t n)
{
	struct md_field	f[2];
	size_t		nf;
	uint8_t		index;

	return find_variant(md, ty, name, &index, f, 2, &nf) == 0 &&
	    index == idx && nf == 1 && is_u8_array(md, f[0].ty, n);
}

/*
 * The extrinsic's type parameters, as subxt reads them: Address must be
 * MultiAddress with Id = 0 (an account), Signature MultiSignature with
 * Ed25519 = 0 and Sr25519 = 1 (64 bytes), Call the RuntimeCall.
 */
static int
check_extrinsic(struct md *md, struct tfchain_layout *out)
{
	uint32_t	addr, sig, call;

	if (md->ext_version != MD_EXT_VERSION)
		return fail(md, "extrinsic version %u, rmb expects %u",
		    md->ext_version, MD_EXT_VERSION);
	out->extrinsic_version = md->ext_version;
	if (type_param(md, md->ext_ty, "Address", &addr) == -1 ||
	    type_param(md, md->ext_ty, "Signature", &sig) == -1 ||
	    type_param(md, md->ext_ty, "Call", &call) == -1)
		return fail(md, "extrinsic type lacks Address, Signature or "
		    "Call");
	if (!variant_holds(md, unwrap(md, addr), "Id", 0, 32))
		return fail(md, "extrinsic address is not MultiAddress::Id = "
		    "0 ([u8; 32])");
	if (!variant_holds(md, unwrap(md, sig), "Ed25519", EXT_SIG_ED25519,
	    64) || !variant_holds(md, unwrap(md, sig), "Sr25519",
	    EXT_SIG_SR25519, 64))
		return fail(md, "extrinsic signature is not MultiSignature "
		    "with Ed25519 = 0, Sr25519 = 1 ([u8; 64])");
	if (check_outer(md, call, "RuntimeCall", md->tfgrid.index,
	    md->tfgrid.calls) == -1)
		return -1;
	return check_exts(md);
}

static int
parse_entry(struct md *md, struct scale_rd *rd, struct md_pallet *pl)
{
	struct md_entry	 e, *dst = NULL;
	struct md_str	 name, def;
	uint8_t		 modifier, tag;
	size_t		 i;

	memset(&e, 0, sizeof(e));
	if (get_str(rd, &name) == -1 || scale_get_u8(rd, &modifier) == -1 ||
	    modifier > 1 || scale_get_u8(rd, &tag) == -1)
		return -1;
	if (tag == 0) {
		if (get_ty(md, rd, &e.value) == -1)
			return -1;
	} else if (tag == 1) {
		e.map = 1;
		if (get_count(rd, &e.nhashers, MD_HASHERS_MAX) == -1)
			return -1;
		for (i = 0; i < e.nhashers; i++)
			if (scale_get_u8(rd, &e.hashers[i]) == -1 ||
			    e.hashers[i] > 6)
				return -1;
		if (get_ty(md, rd, &e.key) == -1 ||
		    get_ty(md, rd, &e.value) == -1)
			return -1;
	} else
		return -1;
	if (get_str(rd, &def) == -1 || skip_docs(rd) == -1)
		return -1;
	if (eq(name, "Twins"))
		dst = &pl->twins;
	else if (eq(name, "TwinIdByAccountID"))
		dst = &pl->twin_by_account;
	else if (eq(name, "Events"))
		dst = &pl->events;
	if (dst != NULL) {
		/* A name twice would leave it unclear which one is meant. */
		if (dst->found)
			return -1;
		*dst = e;
		dst->found = 1;
	}
	return 0;
}

static int
parse_opt_ty(struct md *md, struct scale_rd *rd, int *present, uint32_t *ty)
{
	if (scale_get_option(rd, present) == -1)
		return -1;
	return *present ? get_ty(md, rd, ty) : 0;
}

static int
parse_pallet(struct md *md, struct scale_rd *rd, struct md_pallet *pl)
{
	struct md_str	prefix, name, value;
	uint32_t	ty, errty;
	size_t		n, i;
	int		present;

	memset(pl, 0, sizeof(*pl));
	if (get_str(rd, &pl->name) == -1 ||
	    scale_get_option(rd, &present) == -1)
		return -1;
	if (present) {
		if (get_str(rd, &prefix) == -1 ||
		    get_count(rd, &n, SIZE_MAX) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (parse_entry(md, rd, pl) == -1)
				return -1;
	}
	if (parse_opt_ty(md, rd, &pl->has_calls, &pl->calls) == -1 ||
	    parse_opt_ty(md, rd, &pl->has_event, &pl->event) == -1 ||
	    get_count(rd, &n, SIZE_MAX) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (get_str(rd, &name) == -1 || get_ty(md, rd, &ty) == -1 ||
		    get_str(rd, &value) == -1 || skip_docs(rd) == -1)
			return -1;
		if (eq(name, "SS58Prefix")) {
			pl->has_ss58 = 1;
			pl->ss58_ty = ty;
			pl->ss58_value = value;
		}
	}
	if (parse_opt_ty(md, rd, &present, &errty) == -1 ||
	    scale_get_u8(rd, &pl->index) == -1)
		return -1;
	return 0;
}

static int
parse_pallets(struct md *md, struct scale_rd *rd)
{
	struct md_pallet	pl;
	uint8_t			seen[256 / 8];
	size_t			n, i;

	memset(seen, 0, sizeof(seen));
	if (get_count(rd, &n, 256) == -1)
		return fail(md, "pallet count malformed at byte %zu", rd->off);
	for (i = 0; i < n; i++) {
		if (parse_pallet(md, rd, &pl) == -1)
			return fail(md, "pallet %zu malformed at byte %zu", i,
			    rd->off);
		/* construct_runtime gives each pallet its own index. */
		if (seen[pl.index / 8] & (1 << pl.index % 8))
			return fail(md, "two pallets have index %u", pl.index);
		seen[pl.index / 8] |= 1 << pl.index % 8;
		if (eq(pl.name, "TfgridModule")) {
			if (md->seen_tfgrid)
				return fail(md, "two pallets are called "
				    "TfgridModule");
			md->seen_tfgrid = 1;
			md->tfgrid = pl;
		} else if (eq(pl.name, "System")) {
			if (md->seen_system)
				return fail(md, "two pallets are called "
				    "System");
			md->seen_system = 1;
			md->system = pl;
		}
	}
	return 0;
}

static int
parse_extrinsic(struct md *md, struct scale_rd *rd)
{
	struct md_ext	e;
	uint32_t	runtime;
	size_t		i;

	if (get_ty(md, rd, &md->ext_ty) == -1 ||
	    scale_get_u8(rd, &md->ext_version) == -1 ||
	    get_count(rd, &md->nexts, MD_EXTS_MAX) == -1)
		return fail(md, "extrinsic malformed at byte %zu", rd->off);
	for (i = 0; i < md->nexts; i++) {
		if (get_str(rd, &e.name) == -1 || get_ty(md, rd, &e.ty) == -1 ||
		    get_ty(md, rd, &e.add) == -1)
			return fail(md, "signed extension %zu malformed at "
			    "byte %zu", i, rd->off);
		if (i <= NEXT)
			md->exts[i] = e;
	}
	if (get_ty(md, rd, &runtime) == -1)
		return fail(md, "runtime type malformed at byte %zu", rd->off);
	if (scale_rd_end(rd) == -1)
		return fail(md, "%zu bytes after the end", rd->len - rd->off);
	return 0;
}

static void
find_ss58(struct md *md, struct tfchain_layout *out)
{
	struct md_pallet	*pl = &md->system;

	/* Informational: a prefix of another type or size is left at 0. */
	if (md->seen_system && pl->has_ss58 &&
	    is_prim(md, pl->ss58_ty, P_U16) && pl->ss58_value.n == 2)
		out->ss58_prefix = (uint16_t)(pl->ss58_value.p[0] |
		    pl->ss58_value.p[1] << 8);
}

/* The whole format, walked and bounds-checked, items remembered. */
static int
parse(struct md *md)
{
	struct scale_rd	rd;
	uint32_t	magic;
	uint8_t		version;

	if (md->len > METADATA_LEN_MAX)
		return fail(md, "%zu bytes, over the %d limit", md->len,
		    METADATA_LEN_MAX);
	scale_rd_init(&rd, md->p, md->len);
	if (scale_get_u32(&rd, &magic) == -1 || magic != MD_MAGIC)
		return fail(md, "no \"meta\" magic");
	if (scale_get_u8(&rd, &version) == -1)
		return fail(md, "truncated before the version");
	if (version != MD_VERSION)
		return fail(md, "not V14 (version %u)", version);
	if (parse_registry(md, &rd) == -1 || parse_pallets(md, &rd) == -1 ||
	    parse_extrinsic(md, &rd) == -1)
		return -1;
	return 0;
}

static int
check(struct md *md, struct tfchain_layout *out)
{
	if (parse(md) == -1)
		return -1;
	if (check_pallet(md, out) == -1 || check_extrinsic(md, out) == -1 ||
	    check_runtime_event(md) == -1)
		return -1;
	find_ss58(md, out);
	return 0;
}

int
metadata_check_tfchain(const uint8_t *p, size_t len,
    struct tfchain_layout *out, char *err, size_t errlen)
{
	struct md	md;
	int		r;

	memset(&md, 0, sizeof(md));
	md.p = p;
	md.len = p != NULL ? len : 0;
	md.err = err;
	md.errlen = errlen;
	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	r = check(&md, out);
	free(md.types);
	if (r == -1) {
		memset(out, 0, sizeof(*out));
		if (errlen > 0 && err[0] == '\0')
			fail(&md, "rejected");
	}
	return r;
}

/*
 * Where each enum's variants are: their index and the offset of their
 * fields, so that decoding a value finds its variant without a search
 * through names and docs.
 */
static int
index_variants(struct md *md)
{
	struct scale_rd	rd;
	struct md_field	f;
	struct md_str	name;
	size_t		n, nf, i, total = 0, k = 0;
	uint32_t	ty;
	uint8_t		index;

	for (ty = 0; ty < md->ntypes; ty++) {
		if (kind(md, ty) != K_VARIANT)
			continue;
		rd = def_rd(md, ty);
		if (get_count(&rd, &n, MD_VARIANTS_MAX) == -1)
			return fail(md, "type %u malformed", ty);
		total += n;
	}
	if (total > 0 && (md->vars = calloc(total, sizeof(*md->vars))) ==
	    NULL)
		return fail(md, "out of memory");
	for (ty = 0; ty < md->ntypes; ty++) {
		if (kind(md, ty) != K_VARIANT)
			continue;
		rd = def_rd(md, ty);
		if (get_count(&rd, &n, MD_VARIANTS_MAX) == -1)
			return fail(md, "type %u malformed", ty);
		md->types[ty].vfirst = (uint32_t)k;
		md->types[ty].nvars = (uint16_t)n;
		for (i = 0; i < n; i++, k++) {
			if (get_str(&rd, &name) == -1)
				return fail(md, "type %u malformed", ty);
			md->vars[k].fields = rd.off;
			if (get_fields(md, &rd, &f, 0, &nf) == -1 ||
			    scale_get_u8(&rd, &index) == -1 ||
			    skip_docs(&rd) == -1)
				return fail(md, "type %u malformed", ty);
			md->vars[k].index = index;
		}
	}
	return 0;
}

struct metadata *
metadata_load(const uint8_t *p, size_t len, char *err, size_t errlen)
{
	struct metadata	*m;

	if (errlen > 0)
		err[0] = '\0';
	if (p == NULL)
		len = 0;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (len > 0 && len <= METADATA_LEN_MAX &&
	    (m->buf = malloc(len)) == NULL)) {
		free(m);
		snprintf(err, errlen, "metadata: out of memory");
		return NULL;
	}
	if (m->buf != NULL)
		memcpy(m->buf, p, len);
	m->md.p = m->buf;
	m->md.len = m->buf != NULL ? len : 0;
	if (len > METADATA_LEN_MAX)
		m->md.len = len;	/* refused by parse() before any read */
	m->md.err = err;
	m->md.errlen = errlen;
	if (parse(&m->md) == -1 || index_variants(&m->md) == -1) {
		if (errlen > 0 && err[0] == '\0')
			snprintf(err, errlen, "metadata: rejected");
		metadata_free(m);
		return NULL;
	}
	m->md.err = NULL;
	m->md.errlen = 0;
	return m;
}

void
metadata_free(struct metadata *m)
{
	if (m == NULL)
		return;
	free(m->md.types);
	free(m->md.vars);
	free(m->buf);
	free(m);
}

/* The variant called name of the pallet's events, with one field. */
static int
event_variant(struct md *md, uint32_t events, const char *name,
    uint8_t *index, uint32_t *ty)
{
	struct md_field	f[2];
	size_t		nf;

	if (find_variant(md, events, name, index, f, 2, &nf) == -1)
		return fail(md, "TfgridModule has no event %s", name);
	if (nf != 1)
		return fail(md, "%s has %zu fields, rmb expects 1", name, nf);
	*ty = f[0].ty;
	return 0;
}

static int
events_layout(struct md *md, struct metadata_events *out)
{
	struct md_entry	*e = &md->system.events;
	struct md_field	 f[METADATA_RECORD_FIELDS];
	struct sb	 b;
	uint32_t	 ty, rec;
	size_t		 n, i;

	if (!md->seen_system || !e->found || e->map)
		return fail(md, "no storage System.Events");
	out->events = e->value;
	ty = unwrap(md, e->value);
	if (kind(md, ty) != K_SEQUENCE)
		return fail(md, "System.Events is not a Vec");
	child(md, ty, &rec);
	if (kind(md, rec) != K_COMPOSITE || members(md, rec, f,
	    METADATA_RECORD_FIELDS, &n) == -1)
		return fail(md, "System.Events holds no EventRecord");
	if (n > METADATA_RECORD_FIELDS)
		return fail(md, "EventRecord has %zu fields, rmb reads at "
		    "most %d", n, METADATA_RECORD_FIELDS);
	out->record = rec;
	out->nfields = n;
	for (i = 0; i < n; i++)
		out->fields[i] = f[i].ty;
	for (i = 0; i < n; i++)
		if (eq(f[i].name, "event"))
			break;
	if (i == n)
		return fail(md, "System.Events' record has no event field");
	out->event_field = i;
	out->runtime_event = f[i].ty;
	if (kind(md, out->runtime_event) != K_VARIANT)
		return fail(md, "RuntimeEvent is not an enum");
	if (!md->seen_tfgrid)
		return fail(md, "no pallet TfgridModule");
	if (!md->tfgrid.has_event || kind(md, md->tfgrid.event) != K_VARIANT)
		return fail(md, "TfgridModule has no events enum");
	out->pallet_event = md->tfgrid.event;
	if (find_variant(md, out->runtime_event, "TfgridModule", &out->pallet,
	    f, METADATA_RECORD_FIELDS, &n) == -1)
		return fail(md, "RuntimeEvent has no TfgridModule");
	if (n != 1 || f[0].ty != md->tfgrid.event)
		return fail(md, "RuntimeEvent's TfgridModule does not hold the "
		    "pallet's enum");
	if (event_variant(md, md->tfgrid.event, "TwinStored",
	    &out->twin_stored, &out->stored_twin) == -1 ||
	    event_variant(md, md->tfgrid.event, "TwinUpdated",
	    &out->twin_updated, &out->updated_twin) == -1 ||
	    event_variant(md, md->tfgrid.event, "TwinDeleted",
	    &out->twin_deleted, &ty) == -1)
		return -1;
	if (check_twin(md, out->stored_twin, "TwinStored's Twin") == -1 ||
	    check_twin(md, out->updated_twin, "TwinUpdated's Twin") == -1)
		return -1;
	if (!is_u32(md, ty)) {
		sb_begin(md, &b, "TwinDeleted holds ");
		show(md, &b, ty, 0);
		sb_add(&b, ", rmb expects u32");
		return -1;
	}
	return 0;
}

int
metadata_events(struct metadata *m, struct metadata_events *out, char *err,
    size_t errlen)
{
	int	r;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	m->md.err = err;
	m->md.errlen = errlen;
	r = events_layout(&m->md, out);
	m->md.err = NULL;
	m->md.errlen = 0;
	if (r == -1)
		memset(out, 0, sizeof(*out));
	return r;
}

/* A compact integer of any width: its length from the first byte. */
static int
skip_compact(struct scale_rd *rd)
{
	size_t	n;
	uint8_t	b;

	if (rd->off >= rd->len)
		return -1;
	b = rd->p[rd->off];
	switch (b & 3) {
	case 0:
		n = 1;
		break;
	case 1:
		n = 2;
		break;
	case 2:
		n = 4;
		break;
	default:
		n = 1 + 4 + (size_t)(b >> 2);
		break;
	}
	if (n > rd->len - rd->off)
		return -1;
	rd->off += n;
	return 0;
}

static int
skip_n(struct scale_rd *rd, uint64_t n)
{
	if (n > rd->len - rd->off)
		return -1;
	rd->off += (size_t)n;
	return 0;
}

static int
skip_prim(struct scale_rd *rd, uint8_t p)
{
	static const uint8_t	size[] = { 1, 4, 0, 1, 2, 4, 8, 16, 32, 1, 2,
	    4, 8, 16, 32 };
	uint64_t		n;
	uint8_t			b;

	if (p == P_BOOL)
		return scale_get_u8(rd, &b) == -1 || b > 1 ? -1 : 0;
	if (p == P_STR)
		return scale_get_compact(rd, &n) == -1 ? -1 : skip_n(rd, n);
	if (p >= sizeof(size))
		return -1;
	return skip_n(rd, size[p]);
}

static int	skip(struct md *, uint32_t, struct scale_rd *, size_t *, int);

/* count values of type ty, each at least a byte unless ty is empty. */
static int
skip_many(struct md *md, uint32_t ty, uint64_t count, struct scale_rd *rd,
    size_t *budget, int depth)
{
	uint64_t	i;

	if (is_empty(md, ty, 0))
		return 0;
	if (count > rd->len - rd->off)
		return -1;
	if (kind(md, ty) == K_PRIMITIVE && prim(md, ty) == P_U8)
		return skip_n(rd, count);
	for (i = 0; i < count; i++)
		if (skip(md, ty, rd, budget, depth + 1) == -1)
			return -1;
	return 0;
}

/* The fields at offset at of the metadata (a composite's, a variant's). */
static int
skip_fields(struct md *md, size_t at, struct scale_rd *rd, size_t *budget,
    int depth)
{
	struct scale_rd	drd;
	struct md_field	f;
	size_t		n, i;

	scale_rd_init(&drd, md->p, md->len);
	drd.off = at;
	if (get_count(&drd, &n, SIZE_MAX) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (get_field(md, &drd, &f) == -1 ||
		    skip(md, f.ty, rd, budget, depth + 1) == -1)
			return -1;
	return 0;
}

static int
skip_variant(struct md *md, uint32_t ty, struct scale_rd *rd,
    size_t *budget, int depth)
{
	const struct md_type	*t = &md->types[ty];
	uint32_t		 i;
	uint8_t			 index;

	if (scale_get_u8(rd, &index) == -1)
		return -1;
	for (i = t->vfirst; i < t->vfirst + t->nvars; i++)
		if (md->vars[i].index == index)
			return skip_fields(md, md->vars[i].fields, rd, budget,
			    depth);
	return -1;
}

/* BitVec<Store, Order>: a bit count, then whole Store words. */
static int
skip_bits(struct md *md, uint32_t ty, struct scale_rd *rd)
{
	struct scale_rd	drd = def_rd(md, ty);
	uint64_t	bits, word;
	uint32_t	store;

	if (get_ty(md, &drd, &store) == -1 || kind(md, store) != K_PRIMITIVE)
		return -1;
	switch (prim(md, store)) {
	case P_U8:
		word = 1;
		break;
	case P_U16:
		word = 2;
		break;
	case P_U32:
		word = 4;
		break;
	case P_U64:
		word = 8;
		break;
	default:
		return -1;
	}
	if (scale_get_compact(rd, &bits) == -1 ||
	    bits / 8 > rd->len - rd->off)
		return -1;
	return skip_n(rd, (bits + 8 * word - 1) / (8 * word) * word);
}

static int
skip(struct md *md, uint32_t ty, struct scale_rd *rd, size_t *budget,
    int depth)
{
	struct scale_rd	drd;
	uint64_t	count;
	uint32_t	inner;
	size_t		n, i;

	if (depth > METADATA_SKIP_DEPTH || *budget == 0)
		return -1;
	(*budget)--;
	switch (kind(md, ty)) {
	case K_COMPOSITE:
		return skip_fields(md, md->types[ty].def, rd, budget, depth);
	case K_VARIANT:
		return skip_variant(md, ty, rd, budget, depth);
	case K_SEQUENCE:
		child(md, ty, &inner);
		if (scale_get_compact(rd, &count) == -1)
			return -1;
		return skip_many(md, inner, count, rd, budget, depth);
	case K_ARRAY:
		child(md, ty, &inner);
		return skip_many(md, inner, array_len(md, ty), rd, budget,
		    depth);
	case K_TUPLE:
		drd = def_rd(md, ty);
		if (get_count(&drd, &n, SIZE_MAX) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (get_ty(md, &drd, &inner) == -1 ||
			    skip(md, inner, rd, budget, depth + 1) == -1)
				return -1;
		return 0;
	case K_PRIMITIVE:
		return skip_prim(rd, prim(md, ty));
	case K_COMPACT:
		return skip_compact(rd);
	case K_BITSEQ:
		return skip_bits(md, ty, rd);
	default:
		return -1;
	}
}

int
metadata_skip(struct metadata *m, uint32_t ty, struct scale_rd *rd,
    size_t *budget)
{
	struct scale_rd	t = *rd;

	if (ty >= m->md.ntypes || skip(&m->md, ty, &t, budget, 0) == -1)
		return -1;
	*rd = t;
	return 0;
}
