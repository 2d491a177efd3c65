/* SPDX-License-Identifier: ISC */
/*
 * The messages between rmb-apid (the redis side) and rmb-netd (the
 * network side), types 500 to 513 of ipc_types.h: one struct per
 * message with its layout beside it, and for each one builder, one put
 * and one get, which both ends call, so that a layout is written once.
 *
 * Borrowing.  A get copies nothing: its strings and its payload point
 * into the frame, so they live as long as the struct ipc_msg does (until
 * the next ipc_read() or ipc_next() on that channel).  A string is
 * len bytes at p, not NUL-terminated and holding no NUL.  A receiver
 * that keeps a field past the frame copies it once (netd's outgoing
 * work, apid's incoming responses, which wait for redis); one that uses
 * it at once copies nothing (apid writes an incoming request's payload
 * straight into its JSON).  A build copies each field once, into a
 * frame of exactly the right size.  A payload is up to 64 MiB: it is
 * never copied twice on its way through a process.
 *
 * Bounds, checked alike by the builders (which refuse with EINVAL) and
 * the getters (which return -1: the frame is malformed and its sender a
 * broken sibling): every string at most IPC_APID_STR_MAX bytes, the
 * redis API's, since each one comes from or goes to one of its JSON
 * messages (doc/protocol.md §6.2), and without NUL; a payload at most
 * IPC_APID_PAYLOAD_MAX; the flags (present, is_error) 0 or 1; the rules
 * given at each message; the header id as given there; nothing left
 * over.  Times, twins and error codes are the receiver's to judge, not
 * the codec's: netd applies §5.3's bounds to apid's expirations.
 *
 * An optional string travels as u32 present (0 or 1) and str, empty
 * when absent; here it is absent when p is NULL.  A required string's
 * p is never NULL (a get points it into the frame even when empty).
 */
#ifndef RMB_IPC_APID_H
#define RMB_IPC_APID_H

#include <stddef.h>
#include <stdint.h>

#include "ipc_extra.h"
#include "msgjson.h"

#define IPC_APID_STR_MAX	(MSGJSON_STR_MAX - 1)
#define IPC_APID_PAYLOAD_MAX	ENVELOPE_MAX
#define IPC_APID_CREDIT_MAX	INT32_MAX

struct ipc_apid_str {
	const char	*p;
	size_t		 len;
};

/*
 * IPC_NETD_CREDIT (netd -> apid), header id 0:
 *   u32 n (at most IPC_APID_CREDIT_MAX).
 * apid may send n more OUT_* messages and never more: one credit is one
 * destination of a request, so a request to many twins goes out as
 * credit comes back.  netd grants credit again as it finishes each one;
 * going past it is a broken sibling.
 */
struct ipc_netd_credit {
	uint32_t	n;
};

/*
 * IPC_NETD_OUT_REQUEST (apid -> netd), one per destination twin, its
 * header id apid's token for the request (not 0), echoed in SENT and
 * SEND_FAILED:
 *   str uid, str cmd, opt tags, opt schema, u64 timestamp (stamped),
 *   u64 expiration (apid sends 1..1800), u32 dst twin, bytes payload
 *   (plain).
 */
struct ipc_netd_out_request {
	uint32_t		 id;
	struct ipc_apid_str	 uid, cmd, tags, schema;
	uint64_t		 ts, exp;
	uint32_t		 dst;
	const uint8_t		*payload;
	size_t			 len;
};

/*
 * IPC_NETD_OUT_RESPONSE (apid -> netd), a local service's answer, header
 * id 0:
 *   str uid, u32 dst twin, opt conn, opt schema, u64 timestamp,
 *   u64 expiration, u32 is_error, u32 err code, str err message,
 *   bytes payload (plain).
 * Without is_error, code is 0 and the message empty; with it, the
 * payload is empty.
 */
struct ipc_netd_out_response {
	struct ipc_apid_str	 uid;
	uint32_t		 dst;
	struct ipc_apid_str	 conn, schema;
	uint64_t		 ts, exp;
	int			 is_error;
	uint32_t		 code;
	struct ipc_apid_str	 msg;
	const uint8_t		*payload;
	size_t			 len;
};

/*
 * IPC_APID_IN_REQUEST (netd -> apid), verified and opened, header id 0:
 *   str uid, u32 src twin, opt conn, str cmd, u64 timestamp,
 *   u64 expiration, opt tags, opt schema, bytes payload.
 * "conn" is the source Address's connection.
 */
struct ipc_apid_in_request {
	struct ipc_apid_str	 uid;
	uint32_t		 src;
	struct ipc_apid_str	 conn, cmd;
	uint64_t		 ts, exp;
	struct ipc_apid_str	 tags, schema;
	const uint8_t		*payload;
	size_t			 len;
};

/*
 * IPC_APID_IN_RESPONSE (netd -> apid), verified and opened, for the
 * backlog, header id 0:
 *   str uid, u32 src twin (0 for a relay's report), opt conn,
 *   opt schema, u64 timestamp, u32 is_error, u32 err code,
 *   str err message, bytes payload.
 * Without is_error, code is 0 and the message empty.
 */
struct ipc_apid_in_response {
	struct ipc_apid_str	 uid;
	uint32_t		 src;
	struct ipc_apid_str	 conn, schema;
	uint64_t		 ts;
	int			 is_error;
	uint32_t		 code;
	struct ipc_apid_str	 msg;
	const uint8_t		*payload;
	size_t			 len;
};

/*
 * IPC_APID_SEND_FAILED (netd -> apid): one destination of an
 * OUT_REQUEST that could not leave, the header id the request's token:
 *   str uid, u32 dst twin, u32 code (netd sends 103, 106, 500),
 *   str message.
 * apid answers the caller from the backlog with src "".
 */
struct ipc_apid_send_failed {
	uint32_t		 id;
	struct ipc_apid_str	 uid;
	uint32_t		 dst;
	uint32_t		 code;
	struct ipc_apid_str	 msg;
};

/*
 * IPC_APID_SENT (netd -> apid): one destination of an OUT_REQUEST was
 * handed to a relay; empty, the header id the request's token.  When
 * every destination is sent or failed apid drops the request's journal.
 */
struct ipc_apid_sent {
	uint32_t	id;
};

/*
 * ipc_build_*: the frame, not yet queued (ipc_close() queues it), or
 * NULL with errno EINVAL (a bound above), ENOMEM or EMSGSIZE.
 * ipc_put_*: the same, queued on the channel; 0, or -1 with errno.
 * ipc_get_*: 0, or -1 when the frame is not that message.
 */
struct ipc_buf	*ipc_build_netd_credit(const struct ipc_netd_credit *);
int	 ipc_put_netd_credit(struct ipc_chan *,
	    const struct ipc_netd_credit *);
int	 ipc_get_netd_credit(const struct ipc_msg *, struct ipc_netd_credit *);

struct ipc_buf	*ipc_build_netd_out_request(
	    const struct ipc_netd_out_request *);
int	 ipc_put_netd_out_request(struct ipc_chan *,
	    const struct ipc_netd_out_request *);
int	 ipc_get_netd_out_request(const struct ipc_msg *,
	    struct ipc_netd_out_request *);

struct ipc_buf	*ipc_build_netd_out_response(
	    const struct ipc_netd_out_response *);
int	 ipc_put_netd_out_response(struct ipc_chan *,
	    const struct ipc_netd_out_response *);
int	 ipc_get_netd_out_response(const struct ipc_msg *,
	    struct ipc_netd_out_response *);

struct ipc_buf	*ipc_build_apid_in_request(const struct ipc_apid_in_request *);
int	 ipc_put_apid_in_request(struct ipc_chan *,
	    const struct ipc_apid_in_request *);
int	 ipc_get_apid_in_request(const struct ipc_msg *,
	    struct ipc_apid_in_request *);

struct ipc_buf	*ipc_build_apid_in_response(
	    const struct ipc_apid_in_response *);
int	 ipc_put_apid_in_response(struct ipc_chan *,
	    const struct ipc_apid_in_response *);
int	 ipc_get_apid_in_response(const struct ipc_msg *,
	    struct ipc_apid_in_response *);

struct ipc_buf	*ipc_build_apid_send_failed(
	    const struct ipc_apid_send_failed *);
int	 ipc_put_apid_send_failed(struct ipc_chan *,
	    const struct ipc_apid_send_failed *);
int	 ipc_get_apid_send_failed(const struct ipc_msg *,
	    struct ipc_apid_send_failed *);

struct ipc_buf	*ipc_build_apid_sent(const struct ipc_apid_sent *);
int	 ipc_put_apid_sent(struct ipc_chan *, const struct ipc_apid_sent *);
int	 ipc_get_apid_sent(const struct ipc_msg *, struct ipc_apid_sent *);

/* A C string as a field; NULL gives an absent optional string. */
struct ipc_apid_str ipc_apid_str(const char *);
/*
 * The same for free text from elsewhere (a remote error message): cut to
 * IPC_APID_STR_MAX bytes at a UTF-8 character boundary.
 */
struct ipc_apid_str ipc_apid_text(const char *);
/*
 * Copies a field into out and NUL-terminates it (an absent one as "");
 * -1 when it needs more than cap bytes, which never happens for a cap
 * of IPC_APID_STR_MAX + 1 and a string from a get.
 */
int	 ipc_apid_copy(char *out, size_t cap, struct ipc_apid_str);

#endif
