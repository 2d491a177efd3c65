/* SPDX-License-Identifier: ISC */
/*
 * A test envelope on the stack: the generated message structs wired
 * together, with setters for the fields the vectors of
 * doc/protocol.md use.
 */
#ifndef RMB_ENV_FIXTURE_H
#define RMB_ENV_FIXTURE_H

#include <string.h>

#include "envelope_check.h"

#define FIXTURE_UID	"8f9e7c9a-4b1e-4d2a-9a55-0a1b2c3d4e5f"

struct env {
	Envelope	e;
	Address		src, dst;
	Request		req;
	Response	resp;
	Error		err;
	uint8_t		sig[SIG65_BYTES];
};

static __attribute__((unused)) void
env_init(struct env *v, uint64_t ts, uint64_t exp, uint32_t src,
    uint32_t dst)
{
	/* The generated *__INIT macros trip -Wmissing-braces; use the calls. */
	envelope__init(&v->e);
	address__init(&v->src);
	address__init(&v->dst);
	request__init(&v->req);
	response__init(&v->resp);
	error__init(&v->err);
	v->e.uid = (char *)FIXTURE_UID;
	v->e.timestamp = ts;
	v->e.expiration = exp;
	v->src.twin = src;
	v->dst.twin = dst;
	v->e.source = &v->src;
	v->e.destination = &v->dst;
}

static __attribute__((unused)) void
set_request(struct env *v, const char *cmd)
{
	v->req.command = (char *)cmd;
	v->e.message_case = ENVELOPE__MESSAGE_REQUEST;
	v->e.request = &v->req;
}

static __attribute__((unused)) void
set_plain(struct env *v, const char *s)
{
	v->e.payload_case = ENVELOPE__PAYLOAD_PLAIN;
	v->e.plain.data = (uint8_t *)s;
	v->e.plain.len = strlen(s);
}

static __attribute__((unused)) void
set_schema(struct env *v, const char *s)
{
	v->e.opt_schema_case = ENVELOPE__OPT_SCHEMA_SCHEMA;
	v->e.schema = (char *)s;
}

#endif
