/* SPDX-License-Identifier: ISC */
/*
 * The four JSON messages of the local redis API (doc/protocol.md §6.2), read
 * and written in both directions: rmb-apid reads what clients and
 * services push and writes what it delivers to them; `rmb call` and
 * `rmb serve` do the opposite.
 *
 * Reading follows serde: keys in any order, unknown keys skipped,
 * optional keys missing or null, and a wrong type, a missing required
 * key, a duplicate key or anything after the object is an error with a
 * one-line reason.  json-c parses the text, with json.h's rules on top;
 * a payload's base64 is decoded from json-c's copy of the string.  Writing follows serde_json: compact, every key in
 * the order of doc/protocol.md §6.2, absent options as null, `dat` in
 * padded standard base64, and only `"`, `\` and control characters
 * escaped.
 *
 * Bounds, all checked on input and output: every string (ref, cmd, tag,
 * ret, shm, src, dst, an error message) holds at most MSGJSON_STR_MAX - 1
 * bytes; a key at most MSGJSON_KEY_MAX - 1 bytes (longer unknown keys
 * are refused, where serde would skip them); `dst` at most MSGJSON_DST_MAX
 * twins; `dat` at most MSGJSON_DAT_MAX bytes once decoded.  A string may
 * not contain U+0000.  Only a JSON object is read, never serde's
 * positional array form.
 */
#ifndef RMB_MSGJSON_H
#define RMB_MSGJSON_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

#define MSGJSON_STR_MAX	4096
#define MSGJSON_KEY_MAX	256
#define MSGJSON_DST_MAX	1024
#define MSGJSON_DAT_MAX	PAYLOAD_MAX
#define MSGJSON_ERR_MAX	256	/* the reason a parse gives */

/* An optional string: set 0 is JSON null (or a missing key). */
struct msgjson_opt {
	int	set;
	char	s[MSGJSON_STR_MAX];
};

/* JsonError. */
struct msgjson_err {
	uint32_t	code;
	char		message[MSGJSON_STR_MAX];
};

/*
 * dat is owned by whoever filled the struct: the parsers allocate it
 * (NULL when it decodes to nothing) and msgjson_*_clear() frees it; a
 * caller that writes may point it at its own bytes.
 */

/* JsonOutgoingRequest: client -> msgbus.system.local. */
struct msg_out_req {
	uint64_t		ver;
	struct msgjson_opt	ref;
	char			cmd[MSGJSON_STR_MAX];
	uint64_t		exp;
	uint8_t			*dat;
	size_t			datlen;
	struct msgjson_opt	tag;
	uint32_t		dst[MSGJSON_DST_MAX];
	size_t			ndst;
	char			ret[MSGJSON_STR_MAX];
	struct msgjson_opt	shm;
	uint64_t		now;
};

/* JsonIncomingRequest: peer -> msgbus.<cmd>. */
struct msg_in_req {
	uint64_t		ver;
	char			ref[MSGJSON_STR_MAX];
	char			src[MSGJSON_STR_MAX];
	char			cmd[MSGJSON_STR_MAX];
	uint64_t		exp;
	uint8_t			*dat;
	size_t			datlen;
	struct msgjson_opt	tag;
	char			ret[MSGJSON_STR_MAX];
	struct msgjson_opt	shm;
	uint64_t		now;
};

/* JsonOutgoingResponse: service -> msgbus.system.reply. */
struct msg_out_resp {
	uint64_t		ver;
	struct msgjson_opt	ref;
	uint8_t			*dat;
	size_t			datlen;
	char			dst[MSGJSON_STR_MAX];
	struct msgjson_opt	shm;
	uint64_t		now;
	int			has_err;
	struct msgjson_err	err;
};

/* JsonIncomingResponse: peer -> the caller's ret queue. */
struct msg_in_resp {
	uint64_t		ver;
	struct msgjson_opt	ref;
	uint8_t			*dat;
	size_t			datlen;
	char			src[MSGJSON_STR_MAX];
	struct msgjson_opt	shm;
	uint64_t		now;
	int			has_err;
	struct msgjson_err	err;
};

/*
 * Parsers: 0, or -1 with the reason in err (MSGJSON_ERR_MAX is enough),
 * in which case nothing is left allocated.  The struct is overwritten.
 */
int	msgjson_parse_out_req(struct msg_out_req *, const char *, size_t,
	    char *err, size_t errlen);
int	msgjson_parse_in_req(struct msg_in_req *, const char *, size_t,
	    char *err, size_t errlen);
int	msgjson_parse_out_resp(struct msg_out_resp *, const char *, size_t,
	    char *err, size_t errlen);
int	msgjson_parse_in_resp(struct msg_in_resp *, const char *, size_t,
	    char *err, size_t errlen);

/*
 * Writers: a malloc'd NUL-terminated string and its length, or NULL when
 * out of memory or when a string is not valid UTF-8 or too long.
 */
char	*msgjson_write_out_req(const struct msg_out_req *, size_t *);
char	*msgjson_write_in_req(const struct msg_in_req *, size_t *);
char	*msgjson_write_out_resp(const struct msg_out_resp *, size_t *);
char	*msgjson_write_in_resp(const struct msg_in_resp *, size_t *);

/* Free dat and set it to NULL. */
void	msgjson_out_req_clear(struct msg_out_req *);
void	msgjson_in_req_clear(struct msg_in_req *);
void	msgjson_out_resp_clear(struct msg_out_resp *);
void	msgjson_in_resp_clear(struct msg_in_resp *);

/*
 * What can still be read from a request that does not parse: the string
 * values of its top-level "ret" and "ref" keys, the first of each, up to
 * the first syntax error, so that the caller can be told why.  Returns 1
 * when a non-empty ret was found (ref->set says whether ref was), else 0.
 */
int	msgjson_salvage(const char *, size_t, char ret[MSGJSON_STR_MAX],
	    struct msgjson_opt *ref);

/* A fresh random UUID v4, lowercase with hyphens (§5.4), from libsodium. */
#define MSGJSON_UUID_LEN	36
void	msgjson_uuid(char out[MSGJSON_UUID_LEN + 1]);
/* The same from 16 random bytes the caller drew. */
void	msgjson_uuid_from(const uint8_t rnd[16],
	    char out[MSGJSON_UUID_LEN + 1]);

#endif
