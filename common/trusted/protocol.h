/* SPDX-License-Identifier: ISC */
/*
 * Limits of the protocol itself, shared by the peer and the relay: one
 * home for each, whatever process or transport enforces it.
 */
#ifndef RMB_PROTOCOL_H
#define RMB_PROTOCOL_H

/*
 * An envelope is at most ENVELOPE_MAX bytes, on every path: a WebSocket
 * message to or from a relay, a federation POST, the peer's own pipes.
 * 64 MiB is the reference relay's and SDKs' WebSocket message limit.
 * Buffers grow to the message at hand and shrink after it, so the bound
 * is what one message may take, not what every connection holds.
 */
#define ENVELOPE_MAX	(64 * 1024 * 1024)
/*
 * The largest payload a local program may send: an envelope's other
 * fields (each string at most 4 KiB through the redis API, a signature,
 * the cipher's 28 bytes) take far less than the 32 KiB kept for them,
 * so a payload this size always fits an envelope.
 */
#define PAYLOAD_MAX	(ENVELOPE_MAX - 32 * 1024)

/* A peer connects to at most 4 relays (doc/protocol.md §7.1). */
#define RELAYS_MAX	4
/*
 * One relay domain, a DNS name: RELAYS_MAX of them joined by '_' fit the
 * chain's 1024-byte relay field (doc/chain.md §1.2).
 */
#define RELAY_DOMAIN_MAX	253
/* One relay or tfchain URL as configured, without its NUL. */
#define URL_MAX		511

#endif
