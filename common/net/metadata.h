/* SPDX-License-Identifier: ISC */
/*
 * A check of tfchain's runtime metadata (RuntimeMetadata V14, SCALE, as
 * state_getMetadata returns it once decoded from hex) against what rmb
 * hard-codes: the TfgridModule pallet index, the create_twin and
 * update_twin call indices and arguments, the Twins and TwinIdByAccountID
 * storage entries and the Twin layout, the TwinStored and TwinUpdated
 * events, the extrinsic version, address and signature encodings and the
 * signed extensions in order.  Only what is needed for that is decoded;
 * the whole type registry is walked and bounds-checked, nothing is copied.
 * The same walk also serves decoding (metadata_load() below): values of
 * any registry type are skipped by their type, as the events listener
 * reads a block's System.Events.
 *
 * Layouts are compared by what they put on the wire, not by Rust names:
 * a single-field wrapper (AccountId32, H256, BoundedVec, CheckNonce)
 * encodes as its field, so BoundedVec<u8> and Vec<u8> are the same
 * "bytes", and a zero-sized field (PhantomData, an empty struct) is
 * ignored.  Field and variant names are compared exactly.
 */
#ifndef RMB_METADATA_H
#define RMB_METADATA_H

#include <stddef.h>
#include <stdint.h>

struct scale_rd;

/* Bounds on what is accepted; tfchain's metadata is 97 KB, 302 types. */
#define METADATA_LEN_MAX	(16 * 1024 * 1024)
#define METADATA_TYPES_MAX	8192

/* A useful size for the err argument. */
#define METADATA_ERR_MAX	256

struct tfchain_layout {
	uint8_t		pallet;		/* TfgridModule's index */
	uint8_t		update_twin;	/* its call index */
	uint8_t		create_twin;
	uint8_t		twin_stored;	/* event indices */
	uint8_t		twin_updated;
	uint32_t	extrinsic_version;
	uint16_t	ss58_prefix;	/* System's SS58Prefix, else 0 */
};

/*
 * Returns 0 with *out filled when the metadata matches what rmb signs and
 * reads, or -1 with *out zeroed and a one-line reason in err (always NUL
 * terminated when errlen > 0) naming the first difference, such as
 * "metadata: TfgridModule is pallet 26, rmb expects 25".
 */
int	metadata_check_tfchain(const uint8_t *md, size_t len,
	    struct tfchain_layout *out, char *err, size_t errlen);

/*
 * The metadata kept for decoding values by their types (chainevents.c):
 * the same walk and bounds as the check, plus where each enum's variants
 * are, so that a value is skipped without a search.  It holds a copy of
 * the bytes.
 */
struct metadata;

/* Fields of an EventRecord kept; the runtime's has three. */
#define METADATA_RECORD_FIELDS	8

/* What System.Events and TfgridModule's twin events are, found by name. */
struct metadata_events {
	uint32_t	events;		/* System.Events: Vec<EventRecord> */
	uint32_t	record;		/* EventRecord */
	uint32_t	fields[METADATA_RECORD_FIELDS];	/* its field types */
	size_t		nfields;
	size_t		event_field;	/* which one is "event" */
	uint32_t	runtime_event;	/* RuntimeEvent, the record's event */
	uint32_t	pallet_event;	/* TfgridModule's Event enum */
	uint32_t	stored_twin;	/* the Twin TwinStored carries */
	uint32_t	updated_twin;	/* and TwinUpdated */
	uint8_t		pallet;		/* TfgridModule in RuntimeEvent */
	uint8_t		twin_stored;	/* variant indices, by name */
	uint8_t		twin_updated;
	uint8_t		twin_deleted;
};

/*
 * How deep metadata_skip() follows nested types: far above real
 * runtimes (an EventRecord is about ten deep), low enough for the stack.
 */
#define METADATA_SKIP_DEPTH	64

/*
 * Parses and keeps metadata (a copy of len bytes).  Returns NULL with a
 * "metadata: " reason in err when it is malformed or out of memory.
 */
struct metadata	*metadata_load(const uint8_t *md, size_t len, char *err,
		    size_t errlen);
void		 metadata_free(struct metadata *);

/*
 * Finds System.Events and TfgridModule's TwinStored(Twin),
 * TwinUpdated(Twin) and TwinDeleted(u32) by name, checking their
 * layout.  Returns 0, or -1 with a "metadata: " reason in err naming
 * what is missing or different.
 */
int	metadata_events(struct metadata *, struct metadata_events *out,
	    char *err, size_t errlen);

/*
 * Skips one value of type ty at rd.  Every step costs one from *budget
 * (the caller's bound on the work of a whole input) and nesting stops
 * at METADATA_SKIP_DEPTH.  Returns 0, or -1 (rd where it was) for a
 * value that is malformed, truncated, too deep or over budget, or a ty
 * that is no type of the registry.
 */
int	metadata_skip(struct metadata *, uint32_t ty, struct scale_rd *rd,
	    size_t *budget);

#endif
