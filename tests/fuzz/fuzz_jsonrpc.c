/* SPDX-License-Identifier: ISC */
/*
 * JSON-RPC responses on arbitrary bytes, as a node or anything pretending
 * to be one may send them.  A refused response says why in one printable
 * line; an accepted one gives a result inside the input that is one whole
 * JSON value, and every getter stays within its bounds.  Requests built
 * from the input are JSON, and a response echoing their params as the
 * result gives those params back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jsonrpc.h"

#define HEX_CAP		48
#define REQ_MAX		512

static void
check_err(const char *err)
{
	const char	*nul;

	if ((nul = memchr(err, '\0', JSONRPC_ERR_MAX)) == NULL ||
	    nul == err || strncmp(err, "rpc", 3) != 0)
		abort();
	for (; err < nul; err++)
		if ((unsigned char)*err < 0x20 || *err == 0x7f)
			abort();
}

static int
whole_value(const char *p, size_t len)
{
	struct json_doc	d;
	int		r;

	r = json_parse(&d, p, len, 0) == 0 && d.end == len;
	json_doc_free(&d);
	return r;
}

static void
check_val(const struct jsonrpc_val *v, const uint8_t *data, size_t size)
{
	struct jsonrpc_val	f;
	char			err[JSONRPC_ERR_MAX];
	uint8_t			hex[HEX_CAP + 1];
	uint64_t		u;
	size_t			n;

	if (v->p < (const char *)data || v->len == 0 ||
	    v->len > size - (size_t)(v->p - (const char *)data) ||
	    !whole_value(v->p, v->len) || v->p[0] == ' ' ||
	    v->p[v->len - 1] == ' ')
		abort();
	if (jsonrpc_is_null(v) != (v->type == JSON_NULL))
		abort();
	hex[HEX_CAP] = 0xa5;
	n = SIZE_MAX;
	if (jsonrpc_get_hex(v, hex, HEX_CAP, &n, err, sizeof(err)) == 0) {
		if (n > HEX_CAP || v->type != JSON_STRING ||
		    v->len != 2 * n + 4)
			abort();
	} else
		check_err(err);
	if (hex[HEX_CAP] != 0xa5)
		abort();
	if (jsonrpc_get_u64(v, &u, err, sizeof(err)) == 0) {
		if (v->type != JSON_NUMBER)
			abort();
	} else
		check_err(err);
	if (jsonrpc_get_field(v, "specVersion", &f, err, sizeof(err)) == 0) {
		if (v->type != JSON_OBJECT || f.p <= v->p ||
		    f.p + f.len > v->p + v->len ||
		    strcmp(f.name, "specVersion") != 0)
			abort();
		if (jsonrpc_get_u64(&f, &u, err, sizeof(err)) != 0)
			check_err(err);
	} else
		check_err(err);
}

/* Splits the input at its first NUL into a method and params. */
static void
check_request(const uint8_t *data, size_t size)
{
	struct jsonrpc_resp	r;
	char			*in, out[REQ_MAX], resp[REQ_MAX + 64];
	char			err[JSONRPC_ERR_MAX];
	const char		*params;
	size_t			n, cut;
	int			len;

	if ((in = malloc(size + 2)) == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = in[size + 1] = '\0';
	cut = strlen(in);
	params = cut < size ? in + cut + 1 : NULL;
	if (jsonrpc_request(out, sizeof(out), &n, size, in, params, err,
	    sizeof(err)) != 0) {
		check_err(err);
		free(in);
		return;
	}
	if (n != strlen(out) || !whole_value(out, n))
		abort();
	len = snprintf(resp, sizeof(resp), "{\"jsonrpc\":\"2.0\",\"id\":%zu,"
	    "\"result\":%s}", size, params != NULL ? params : "[]");
	if (len < 0 || (size_t)len >= sizeof(resp))
		abort();
	if (jsonrpc_parse(&r, resp, (size_t)len, size, err, sizeof(err)) != 0 ||
	    r.result.type != JSON_ARRAY)
		abort();
	free(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonrpc_resp	r;
	char			err[JSONRPC_ERR_MAX];
	uint64_t		id;

	/* The first byte picks the id expected, so mismatches are tried. */
	id = size > 0 ? data[0] % 4 : 1;
	memset(err, 'x', sizeof(err));
	if (jsonrpc_parse(&r, (const char *)data, size, id, err,
	    sizeof(err)) == 0) {
		if (r.rpc_error || strcmp(r.result.name, "result") != 0 ||
		    !whole_value((const char *)data, size))
			abort();
		check_val(&r.result, data, size);
	} else {
		check_err(err);
		if (r.rpc_error && strncmp(err, "rpc error: ", 11) != 0)
			abort();
	}
	check_request(data, size);
	return 0;
}
