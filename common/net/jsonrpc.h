/* SPDX-License-Identifier: ISC */
/*
 * JSON-RPC 2.0 as Substrate nodes and chopsticks speak it over HTTP:
 * build a request, check a response against the id that was sent, and
 * read the result with typed getters.  No I/O; the transport bounds the
 * response, and every failure is one line of text in a caller buffer
 * (JSONRPC_ERR_MAX is enough for any of them).
 *
 * json-c parses the response whole; what is kept of it is text: the
 * result is a jsonrpc_val, a span of the response (callers read a
 * block number's hex from it, and it needs no freeing), and the getters
 * parse that span again when they need its values.
 *
 * A response must say "jsonrpc": "2.0".  Substrate (jsonrpsee) and
 * chopsticks always do, and a body without it is more likely some other
 * HTTP service answering than a node, so it is refused.  An "error"
 * member is a failure whether or not it has a "code": chopsticks leaves
 * the code out over HTTP.
 */
#ifndef RMB_JSONRPC_H
#define RMB_JSONRPC_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define JSONRPC_METHOD_MAX	64	/* Substrate's names are under 40 */
/* Ids stay exact in JavaScript servers, whose numbers are doubles. */
#define JSONRPC_ID_MAX		((UINT64_C(1) << 53) - 1)
/* Member names read from a response or a result object. */
#define JSONRPC_KEY_MAX		128
/* The error message and data quoted in an error, each cut to this. */
#define JSONRPC_MSG_MAX		160
#define JSONRPC_ERR_MAX		(2 * JSONRPC_MSG_MAX + 64)

/* A value inside the response text; valid while that text is. */
struct jsonrpc_val {
	const char	*name;		/* "result" or the field, for errors */
	const char	*p;		/* its JSON text, no white space around */
	size_t		 len;
	enum json_kind	 type;
};

struct jsonrpc_resp {
	struct jsonrpc_val	result;
	int			rpc_error;	/* the server sent "error" */
	int			has_code;	/* and an integer "code" in it */
	int64_t			code;
};

/*
 * Writes {"jsonrpc":"2.0","id":id,"method":method,"params":params} and a
 * NUL to out.  method is 1 to JSONRPC_METHOD_MAX of [A-Za-z0-9_]; params
 * is the text of one JSON array (NULL for []); id is at most
 * JSONRPC_ID_MAX.  Returns 0 with the length in *len (if not NULL), or -1
 * with err set.
 */
int	jsonrpc_request(char *out, size_t cap, size_t *len, uint64_t id,
	    const char *method, const char *params, char *err, size_t errlen);

/*
 * Checks a whole response to request id.  Returns 0 when it carries a
 * result, now in r->result.  Returns -1 with err set otherwise: with
 * r->rpc_error set for the server's "error" ("rpc error: <message>"),
 * or for a body that is not JSON ("rpc: not JSON at byte N"), not a
 * response ("rpc: response has neither result nor error"), or an answer
 * to another request ("rpc: response id 3, expected 2").  An error with
 * a null id is taken as the answer: a server that could not read the
 * request cannot know its id.
 */
int	jsonrpc_parse(struct jsonrpc_resp *r, const char *text, size_t len,
	    uint64_t id, char *err, size_t errlen);

/* 1 when v is null, else 0. */
int	jsonrpc_is_null(const struct jsonrpc_val *v);

/*
 * A "0x" string of an even number of hex digits, decoded into at most
 * cap bytes.  Returns 0 with *outlen set, or -1 with err set
 * ("rpc: result is not hex").
 */
int	jsonrpc_get_hex(const struct jsonrpc_val *v, uint8_t *out, size_t cap,
	    size_t *outlen, char *err, size_t errlen);

/* An unsigned integer without fraction or exponent that fits 64 bits. */
int	jsonrpc_get_u64(const struct jsonrpc_val *v, uint64_t *out, char *err,
	    size_t errlen);

/*
 * A quantity as block headers carry their number: a "0x" string of 1 to
 * 16 hex digits.  Returns 0, or -1 when v is not one.
 */
int	jsonrpc_get_quantity(const struct jsonrpc_val *v, uint64_t *out);

/*
 * The member name of object v, which must appear once.  out->name points
 * at name, which must outlive out.  Returns 0, or -1 with err set.
 */
int	jsonrpc_get_field(const struct jsonrpc_val *v, const char *name,
	    struct jsonrpc_val *out, char *err, size_t errlen);

#endif
