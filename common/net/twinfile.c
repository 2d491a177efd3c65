/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errf.h"
#include "hex.h"
#include "json.h"
#include "log.h"
#include "ss58.h"
#include "twinfile.h"

/* Longer than any key we know; a longer one is unknown anyway. */
#define KEY_MAX		16

#define STR_MAX		(6 * TWIN_RELAY_MAX + 1)

#define READ_FIRST	(64 * 1024)

enum {
	KEY_ID = 1,
	KEY_ACCOUNT = 2,
	KEY_RELAY = 4,
	KEY_PK = 8
};

struct parser {
	const char	*json;
	size_t		 len;
	size_t		 entry;		/* 1-based, 0 between entries */
	char		 why[160];	/* the first problem of this entry */
	char		*err;
	size_t		 errlen;
};

/* Records the first problem of an entry and returns -1. */
static int __attribute__((format(printf, 2, 3)))
problem(struct parser *p, const char *fmt, ...)
{
	va_list	ap;

	if (p->why[0] != '\0')
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	return -1;
}

static size_t
line_of(const struct parser *p, size_t off)
{
	size_t	line = 1, i;

	for (i = 0; i < off && i < p->len; i++)
		if (p->json[i] == '\n')
			line++;
	return line;
}

static void
syntax(struct parser *p, size_t off)
{
	size_t	line = line_of(p, off);

	if (p->entry > 0)
		errf(p->err, p->errlen,
		    "entry %zu: syntax error at line %zu, byte offset %zu",
		    p->entry, line, off);
	else
		errf(p->err, p->errlen,
		    "syntax error at line %zu, byte offset %zu", line, off);
}

/* Copies text for a message, with '?' for anything not plain ASCII. */
static void
visible(char *out, size_t cap, const char *s)
{
	size_t	i;

	for (i = 0; i + 1 < cap && s[i] != '\0'; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
		    s[i] != '\\') ? s[i] : '?';
	out[i] = '\0';
}

/*
 * A string value.  Past STR_MAX bytes it is too long for every field,
 * and said so in the words of the longest one; below that, each field
 * says what is wrong with it.
 */
static int
get_str(struct parser *p, const struct json_item *it, const char *field,
    const char **s, size_t *n)
{
	if (json_kind(it->val) != JSON_STRING)
		return problem(p, "%s: not a string", field);
	if (json_str(it->val, s, n) == -1)
		return problem(p, "%s: contains a NUL character", field);
	if (*n > STR_MAX)
		return problem(p, "%s: longer than %d bytes", field,
		    TWIN_RELAY_MAX);
	return 0;
}

static int
read_id(struct parser *p, const struct json_item *it, struct twin_record *t)
{
	uint64_t	v;

	if (json_kind(it->val) != JSON_NUMBER)
		return problem(p, "id: not a number");
	if (json_get_u64(it->val, it->text, &v) == -1 || v == 0 ||
	    v > UINT32_MAX)
		return problem(p, "id: not an integer from 1 to %lu",
		    (unsigned long)UINT32_MAX);
	t->id = (uint32_t)v;
	return 0;
}

static int
read_account(struct parser *p, const struct json_item *it,
    struct twin_record *t)
{
	const char	*s;
	size_t		 n;

	if (get_str(p, it, "account", &s, &n) == -1)
		return -1;
	if (n >= 2 && s[0] == '0' && s[1] == 'x') {
		if (n - 2 != 2 * sizeof(t->account))
			return problem(p, "account: 0x-hex of %zu digits, "
			    "want 64 (32 bytes)", n - 2);
		if (hex_decode(t->account, sizeof(t->account), s + 2,
		    n - 2) == -1)
			return problem(p, "account: bad hex digit");
		return 0;
	}
	if (ss58_decode(t->account, s) == -1)
		return problem(p, "account: not SS58 (prefix 42) or 0x-hex, "
		    "or a bad checksum");
	return 0;
}

static int
read_relay(struct parser *p, const struct json_item *it,
    struct twin_record *t)
{
	const char	*why, *s;
	size_t		 n, at;
	unsigned char	 c;

	if (json_kind(it->val) == JSON_NULL)
		return 0;
	if (get_str(p, it, "relay", &s, &n) == -1)
		return -1;
	if ((why = twin_relay_check(s, n, &at)) != NULL) {
		c = (unsigned char)s[at];
		if (why != twin_relay_bad_char)
			return problem(p, "relay: %s", why);
		if (c >= 0x20 && c < 0x7f)
			return problem(p, "relay: '%c' at byte %zu: %s", c, at,
			    why);
		return problem(p, "relay: byte 0x%02x at byte %zu: %s", c, at,
		    why);
	}
	memcpy(t->relay, s, n + 1);
	t->has_relay = 1;
	return 0;
}

static int
read_pk(struct parser *p, const struct json_item *it, struct twin_record *t)
{
	const char	*s;
	size_t		 n;

	if (json_kind(it->val) == JSON_NULL)
		return 0;
	if (get_str(p, it, "pk", &s, &n) == -1)
		return -1;
	if (n < 2 || s[0] != '0' || s[1] != 'x')
		return problem(p, "pk: not \"0x\" and hex");
	n -= 2;
	if (n == 0)
		return problem(p, "pk: empty (use null for no key)");
	if (n % 2 != 0)
		return problem(p, "pk: odd number of hex digits");
	if (n / 2 > TWIN_PK_MAX)
		return problem(p, "pk: %zu bytes, at most %d", n / 2,
		    TWIN_PK_MAX);
	if (hex_decode_any(t->pk, sizeof(t->pk), &t->pklen, s + 2, n) == -1)
		return problem(p, "pk: bad hex digit");
	t->has_pk = 1;
	return 0;
}

static int
key_bit(const char *key)
{
	if (strcmp(key, "id") == 0)
		return KEY_ID;
	if (strcmp(key, "account") == 0)
		return KEY_ACCOUNT;
	if (strcmp(key, "relay") == 0)
		return KEY_RELAY;
	if (strcmp(key, "pk") == 0)
		return KEY_PK;
	return 0;
}

/*
 * Reads the members of one entry in the order of the text.  A problem
 * does not stop the walk, so that the message can name the id even when
 * it comes last.
 */
static void
read_members(struct parser *p, struct json_rd *r, struct twin_record *t)
{
	struct json_item	it;
	char			key[KEY_MAX], shown[KEY_MAX];
	int			seen = 0, bit, rc;

	while ((rc = json_rd_next(r, &it)) == 1) {
		if (json_key(&it, key, sizeof(key)) == -1) {
			problem(p, "unknown key (over %d bytes or with a NUL)",
			    KEY_MAX - 1);
			break;
		}
		bit = key_bit(key);
		visible(shown, sizeof(shown), key);
		if (bit == 0)
			problem(p, "unknown key \"%s\"", shown);
		else if (seen & bit)
			problem(p, "duplicate key \"%s\"", shown);
		else {
			seen |= bit;
			if (bit == KEY_ID)
				read_id(p, &it, t);
			else if (bit == KEY_ACCOUNT)
				read_account(p, &it, t);
			else if (bit == KEY_RELAY)
				read_relay(p, &it, t);
			else
				read_pk(p, &it, t);
		}
	}
	if (rc == -1)
		problem(p, "out of memory");
	if (!(seen & KEY_ID))
		problem(p, "missing \"id\"");
	if (!(seen & KEY_ACCOUNT))
		problem(p, "missing \"account\"");
}

/*
 * Reads the entry at off, which json-c parses on its own: the file is
 * read an entry at a time, since json-c would hold the whole of it as
 * objects in memory, about ten times its size.  Returns the offset after
 * it, or 0.
 */
static size_t
read_entry(struct parser *p, size_t off, struct twin_record *t)
{
	struct json_doc	d;
	struct json_rd	r;
	char		c = p->json[off];

	memset(t, 0, sizeof(*t));
	p->why[0] = '\0';
	/* The start says what it is, as before the rest is read. */
	if (c != '{' && (c == '[' || c == '"' || c == '-' || c == 't' ||
	    c == 'f' || c == 'n' || (c >= '0' && c <= '9'))) {
		errf(p->err, p->errlen, "entry %zu: not an object", p->entry);
		return 0;
	}
	if (json_parse(&d, p->json + off, p->len - off, JSON_INNER) == -1) {
		json_doc_free(&d);
		if (d.nomem)
			errf(p->err, p->errlen, "out of memory");
		else
			syntax(p, off + d.erroff);
		return 0;
	}
	if (json_rd_init(&r, d.root, d.text) == -1) {
		json_doc_free(&d);
		syntax(p, off);
		return 0;
	}
	read_members(p, &r, t);
	json_rd_end(&r);
	json_doc_free(&d);
	if (p->why[0] == '\0')
		return off + d.end;
	if (t->id != 0)
		errf(p->err, p->errlen, "entry %zu (id %lu): %s", p->entry,
		    (unsigned long)t->id, p->why);
	else
		errf(p->err, p->errlen, "entry %zu: %s", p->entry, p->why);
	return 0;
}

/* Ties go by position, so that equal keys stay in file order. */
static int
by_id(const void *a, const void *b)
{
	const struct twin_record *x = *(const struct twin_record *const *)a;
	const struct twin_record *y = *(const struct twin_record *const *)b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x > y) - (x < y);
}

static int
by_account(const void *a, const void *b)
{
	const struct twin_record *x = *(const struct twin_record *const *)a;
	const struct twin_record *y = *(const struct twin_record *const *)b;
	int	c;

	if ((c = memcmp(x->account, y->account, sizeof(x->account))) != 0)
		return c;
	return (x > y) - (x < y);
}

/*
 * Finds, among neighbours in idx that are the same, the pair whose later
 * entry comes first in the file.  Returns 1 and the pair, or 0.
 */
static int
first_dup(const struct twin_record **idx, size_t n,
    int (*same)(const struct twin_record *, const struct twin_record *),
    const struct twin_record **first, const struct twin_record **dup)
{
	size_t	i;

	*first = *dup = NULL;
	for (i = 1; i < n; i++) {
		if (!same(idx[i - 1], idx[i]))
			continue;
		if (*dup == NULL || idx[i] < *dup) {
			*first = idx[i - 1];
			*dup = idx[i];
		}
	}
	return *dup != NULL;
}

static int
same_id(const struct twin_record *x, const struct twin_record *y)
{
	return x->id == y->id;
}

static int
same_account(const struct twin_record *x, const struct twin_record *y)
{
	return memcmp(x->account, y->account, sizeof(x->account)) == 0;
}

/*
 * Sorts the n records of t by id in place and builds the account index,
 * after refusing a repeated id or account.  idx holds n pointers.
 */
static int
index_twins(struct twin_record *t, size_t n, const struct twin_record **idx,
    char *err, size_t errlen)
{
	const struct twin_record	*a, *b;
	struct twin_record		*tmp;
	size_t				 i, j, src;

	for (i = 0; i < n; i++)
		idx[i] = &t[i];
	qsort(idx, n, sizeof(*idx), by_id);
	if (first_dup(idx, n, same_id, &a, &b)) {
		errf(err, errlen, "entry %zu (id %lu): id already used by "
		    "entry %zu", (size_t)(b - t) + 1, (unsigned long)b->id,
		    (size_t)(a - t) + 1);
		return -1;
	}
	qsort(idx, n, sizeof(*idx), by_account);
	if (first_dup(idx, n, same_account, &a, &b)) {
		errf(err, errlen, "entry %zu (id %lu): account already used "
		    "by entry %zu (id %lu)", (size_t)(b - t) + 1,
		    (unsigned long)b->id, (size_t)(a - t) + 1,
		    (unsigned long)a->id);
		return -1;
	}
	qsort(idx, n, sizeof(*idx), by_id);

	/* Follows each cycle of the permutation, holding one record aside. */
	if ((tmp = malloc(sizeof(*tmp))) == NULL) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (idx[i] == &t[i])
			continue;
		*tmp = t[i];
		for (j = i;; j = src) {
			src = (size_t)(idx[j] - t);
			idx[j] = &t[j];
			if (src == i) {
				t[j] = *tmp;
				break;
			}
			t[j] = t[src];
		}
	}
	free(tmp);

	qsort(idx, n, sizeof(*idx), by_account);
	return 0;
}

static size_t
skip_ws(const struct parser *p, size_t off)
{
	while (off < p->len && (p->json[off] == ' ' || p->json[off] == '\t' ||
	    p->json[off] == '\n' || p->json[off] == '\r'))
		off++;
	return off;
}

int
twinfile_parse(struct twinfile *tf, const char *json, size_t len, char *err,
    size_t errlen)
{
	struct parser		 *p;
	struct twin_record	 *t = NULL, *nt;
	const struct twin_record **idx = NULL;
	size_t			  n = 0, cap = 0, ncap, off;

	memset(tf, 0, sizeof(*tf));
	errf(err, errlen, "%s", "");
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		errf(err, errlen, "out of memory");
		return -1;
	}
	p->json = json;
	p->len = len;
	p->err = err;
	p->errlen = errlen;

	/* The array is read here, each entry by json-c (read_entry). */
	if ((off = skip_ws(p, 0)) == len) {
		errf(err, errlen, "empty file: want a JSON array of twins "
		    "([] for none)");
		goto fail;
	}
	if (json[off++] != '[') {
		errf(err, errlen, "not a JSON array");
		goto fail;
	}
	for (;;) {
		if ((off = skip_ws(p, off)) == len) {
			syntax(p, off);
			goto fail;
		}
		if (json[off] == ']') {
			off++;
			break;
		}
		if (n > 0) {
			if (json[off] != ',') {
				syntax(p, off);
				goto fail;
			}
			/* A value must follow the comma. */
			off = skip_ws(p, off + 1);
			if (off == len || json[off] == ']') {
				syntax(p, off);
				goto fail;
			}
		}
		if (n == TWINFILE_MAX_TWINS) {
			errf(err, errlen, "more than %d entries",
			    TWINFILE_MAX_TWINS);
			goto fail;
		}
		if (n == cap) {
			ncap = cap == 0 ? 16 : 2 * cap;
			if (ncap > TWINFILE_MAX_TWINS)
				ncap = TWINFILE_MAX_TWINS;
			if ((nt = realloc(t, ncap * sizeof(*t))) == NULL) {
				errf(err, errlen, "out of memory");
				goto fail;
			}
			t = nt;
			cap = ncap;
		}
		p->entry = n + 1;
		if ((off = read_entry(p, off, &t[n])) == 0)
			goto fail;
		p->entry = 0;
		n++;
	}
	if ((off = skip_ws(p, off)) != len) {
		errf(err, errlen, "trailing data after the array at line "
		    "%zu, byte offset %zu", line_of(p, off), off);
		goto fail;
	}
	free(p);
	p = NULL;

	if (n == 0) {
		free(t);
		return 0;
	}
	/* Gives back what the doubling left over before indexing. */
	if (n < cap && (nt = realloc(t, n * sizeof(*t))) != NULL)
		t = nt;
	if ((idx = calloc(n, sizeof(*idx))) == NULL) {
		errf(err, errlen, "out of memory");
		goto fail;
	}
	if (index_twins(t, n, idx, err, errlen) == -1)
		goto fail;
	tf->twins = t;
	tf->byacc = idx;
	tf->n = n;
	return 0;

fail:
	free(p);
	free(t);
	free(idx);
	return -1;
}

int
twinfile_load(struct twinfile *tf, const char *path, char *err,
    size_t errlen)
{
	char	*buf = NULL, *nb, why[256];
	size_t	 len = 0, cap = 0, ncap;
	ssize_t	 got;
	int	 fd, r;

	memset(tf, 0, sizeof(*tf));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			/* One byte over the limit tells a full file apart. */
			if (cap == TWINFILE_MAX_BYTES + 1) {
				errf(err, errlen, "%s: larger than %d bytes",
				    path, TWINFILE_MAX_BYTES);
				goto fail;
			}
			ncap = cap == 0 ? READ_FIRST : 2 * cap;
			if (ncap > TWINFILE_MAX_BYTES + 1)
				ncap = TWINFILE_MAX_BYTES + 1;
			if ((nb = realloc(buf, ncap)) == NULL) {
				errf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		if ((got = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			errf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	fd = -1;
	r = twinfile_parse(tf, buf, len, why, sizeof(why));
	if (r == -1)
		errf(err, errlen, "%s: %s", path, why);
	free(buf);
	return r;

fail:
	if (fd != -1)
		close(fd);
	free(buf);
	return -1;
}

const struct twin_record *
twinfile_get(const struct twinfile *tf, uint32_t id)
{
	size_t	lo = 0, hi = tf->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tf->twins[mid].id == id)
			return &tf->twins[mid];
		if (tf->twins[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct twin_record *
twinfile_find(const struct twinfile *tf, const uint8_t account[32])
{
	size_t	lo = 0, hi = tf->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(tf->byacc[mid]->account, account, 32);
		if (c == 0)
			return tf->byacc[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
twinfile_free(struct twinfile *tf)
{
	free(tf->twins);
	free(tf->byacc);
	memset(tf, 0, sizeof(*tf));
}
