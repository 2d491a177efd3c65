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

#endif
