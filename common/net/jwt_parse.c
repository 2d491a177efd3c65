/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "json.h"
#include "jwt_parse.h"
#include "sig_verify.h"

/* The decoded header and claims are small; anything bigger is refused. */
#define PART_MAX	512

/*
 * The object that js holds whole, ready to be read member by member;
 * free d after.
 */
static int
open_object(struct json_doc *d, struct json_rd *r, const char *js,
    size_t len)
{
	if (json_parse(d, js, len, 0) != 0 || d->end != len ||
	    json_kind(d->root) != JSON_OBJECT ||
	    json_rd_init(r, d->root, d->text) != 0) {
		json_doc_free(d);
		return -1;
	}
	return 0;
}

/* A string member of at most cap - 1 bytes, copied with its NUL. */
static int
get_str(const struct json_item *it, char *out, size_t cap)
{
	const char	*s;
	size_t		 n;

	if (json_str(it->val, &s, &n) != 0 || n >= cap)
		return -1;
	memcpy(out, s, n + 1);
	return 0;
}

static int
parse_header(const char *js, size_t len, const char **err)
{
	struct json_doc		d;
	struct json_rd		r;
	struct json_item	it;
	char			key[16], val[16];
	int			rc, seen_alg = 0, seen_typ = 0, mismatch = 0;

	if (open_object(&d, &r, js, len) != 0)
		goto bad;
	while ((rc = json_rd_next(&r, &it)) == 1) {
		if (json_key(&it, key, sizeof(key)) != 0)
			break;
		if (strcmp(key, "alg") == 0) {
			if (seen_alg++ || get_str(&it, val, sizeof(val)) != 0)
				break;
			if (strcmp(val, "RS512") != 0) {
				mismatch = 1;
				break;
			}
		} else if (strcmp(key, "typ") == 0) {
			if (seen_typ++ || get_str(&it, val, sizeof(val)) != 0 ||
			    strcmp(val, "JWT") != 0)
				break;
		}
	}
	json_rd_end(&r);
	json_doc_free(&d);
	if (mismatch || (rc == 0 && !seen_alg)) {
		*err = "jwt: algorithm mismatch";
		return -1;
	}
	if (rc != 0)
		goto bad;
	return 0;
bad:
	*err = "jwt: malformed header";
	return -1;
}

static int
parse_claims(struct jwt *jwt, const char *js, size_t len, const char **err)
{
	struct json_doc		d;
	struct json_rd		r;
	struct json_item	it;
	char			key[16];
	uint64_t		v;
	int			rc, seen_sub = 0, seen_sid = 0, seen_iat = 0;
	int			seen_exp = 0;

	if (open_object(&d, &r, js, len) != 0)
		goto bad;
	while ((rc = json_rd_next(&r, &it)) == 1) {
		if (json_key(&it, key, sizeof(key)) != 0)
			break;
		if (strcmp(key, "sub") == 0) {
			if (seen_sub++ || json_get_u64(it.val, it.text,
			    &v) != 0 || v > UINT32_MAX)
				break;
			jwt->sub = (uint32_t)v;
		} else if (strcmp(key, "sid") == 0) {
			if (seen_sid++)
				break;
			if (json_kind(it.val) == JSON_NULL)
				continue;
			if (get_str(&it, jwt->sid, sizeof(jwt->sid)) != 0)
				break;
			jwt->has_sid = 1;
		} else if (strcmp(key, "iat") == 0) {
			if (seen_iat++ || json_get_u64(it.val, it.text,
			    &jwt->iat) != 0)
				break;
		} else if (strcmp(key, "exp") == 0) {
			if (seen_exp++ || json_get_u64(it.val, it.text,
			    &jwt->exp) != 0)
				break;
		}
	}
	json_rd_end(&r);
	json_doc_free(&d);
	if (rc != 0 || !seen_sub || !seen_iat || !seen_exp)
		goto bad;
	return 0;
bad:
	*err = "jwt: malformed claims";
	return -1;
}

int
jwt_parse(struct jwt *jwt, const char *tok, size_t len, const char **err)
{
	const char	*dot1, *dot2;
	char		 part[PART_MAX];
	size_t		 n;

	memset(jwt, 0, sizeof(*jwt));
	if (len > JWT_MAX) {
		*err = "jwt: token too long";
		return -1;
	}
	if ((dot1 = memchr(tok, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - tok))) ==
	    NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - tok)) !=
	    NULL) {
		*err = "jwt: expected three parts";
		return -1;
	}
	if (b64url_decode((uint8_t *)part, sizeof(part), &n, tok,
	    (size_t)(dot1 - tok)) != 0) {
		*err = "jwt: bad base64 in header";
		return -1;
	}
	if (parse_header(part, n, err) != 0)
		return -1;
	if (b64url_decode((uint8_t *)part, sizeof(part), &n, dot1 + 1,
	    (size_t)(dot2 - dot1 - 1)) != 0) {
		*err = "jwt: bad base64 in claims";
		return -1;
	}
	if (parse_claims(jwt, part, n, err) != 0)
		return -1;
	if (b64url_decode(jwt->sig, sizeof(jwt->sig), &jwt->siglen, dot2 + 1,
	    len - (size_t)(dot2 + 1 - tok)) != 0) {
		*err = "jwt: bad base64 in signature";
		return -1;
	}
	jwt->signed_part = tok;
	jwt->signed_len = (size_t)(dot2 - tok);
	return 0;
}

int
jwt_check_exp(const struct jwt *jwt, uint64_t now, const char **err)
{
	if (now > jwt->exp) {
		*err = "jwt has expired";
		return -1;
	}
	return 0;
}

int
jwt_check_sig(const struct jwt *jwt, const uint8_t account[ACCOUNT_BYTES],
    const char **err)
{
	return sig_verify(account, jwt->sig, jwt->siglen,
	    (const uint8_t *)jwt->signed_part, jwt->signed_len, err);
}

/* The claims written by the one JSON writer, json_put_str() for the sid. */
int
jwt_build_sid(char *out, size_t cap, const struct identity *id, uint32_t twin,
    const char *sid, uint64_t iat, uint64_t exp)
{
	struct json_buf	c = { 0 };
	int		n = -1;

	if (sid == NULL)
		return jwt_build(out, cap, id, twin, iat, exp);
	if (strlen(sid) > JWT_SID_MAX)
		return -1;
	json_puts(&c, "{\"sub\":");
	json_put_u64(&c, twin);
	json_puts(&c, ",\"sid\":");
	json_put_str(&c, sid, strlen(sid), 0);
	json_puts(&c, ",\"iat\":");
	json_put_u64(&c, iat);
	json_puts(&c, ",\"exp\":");
	json_put_u64(&c, exp);
	json_puts(&c, "}");
	if (!c.bad)
		n = jwt_sign(out, cap, id, c.p, c.len);
	free(c.p);
	return n;
}
