/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include "relay_fedplan.h"

#define U64_DIGITS	20

static int
is_str(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_STRING && r->str != NULL;
}

/* Parses up to U64_DIGITS decimal digits that fit a u64; -1 otherwise. */
static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > U64_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
split_id(const char *s, size_t len, uint64_t *ms, uint64_t *seq)
{
	const char	*dash;

	if (len > RELAY_FEDPLAN_ID_MAX ||
	    (dash = memchr(s, '-', len)) == NULL)
		return -1;
	if (parse_u64(s, (size_t)(dash - s), ms) == -1 ||
	    parse_u64(dash + 1, len - (size_t)(dash - s) - 1, seq) == -1)
		return -1;
	return 0;
}

int
relay_fedplan_id_ok(const char *s, size_t len)
{
	uint64_t	ms, seq;

	return s != NULL && split_id(s, len, &ms, &seq) == 0;
}

int
relay_fedplan_id_after(const char *id, char out[RELAY_FEDPLAN_ID_MAX + 1])
{
	uint64_t	ms, seq;

	if (split_id(id, strlen(id), &ms, &seq) == -1)
		return -1;
	if (seq < UINT64_MAX)
		seq++;
	else if (ms < UINT64_MAX)
		ms++, seq = 0;
	else
		return -1;
	snprintf(out, RELAY_FEDPLAN_ID_MAX + 1, "%llu-%llu",
	    (unsigned long long)ms, (unsigned long long)seq);
	return 0;
}

/* One [id, [field, value, ...] or NIL] pair; -1 when it has no usable id. */
static int
entry(const redisReply *r, struct relay_fedplan_entry *e)
{
	const redisReply	*id, *f;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		return -1;
	id = r->element[0];
	f = r->element[1];
	if (!is_str(id) || !relay_fedplan_id_ok(id->str, id->len))
		return -1;
	memcpy(e->id, id->str, id->len);
	e->id[id->len] = '\0';
	e->msg = NULL;
	e->len = 0;
	if (f == NULL || f->type == REDIS_REPLY_NIL) {
		e->kind = RELAY_FEDPLAN_GONE;
		return 0;
	}
	e->kind = RELAY_FEDPLAN_BAD;
	if (f->type == REDIS_REPLY_ARRAY && f->elements == 2 &&
	    is_str(f->element[0]) && is_str(f->element[1]) &&
	    f->element[0]->len == 3 &&
	    memcmp(f->element[0]->str, "msg", 3) == 0) {
		e->kind = RELAY_FEDPLAN_MSG;
		e->msg = (const uint8_t *)f->element[1]->str;
		e->len = f->element[1]->len;
	}
	return 0;
}

static size_t
entries(const redisReply *list, struct relay_fedplan_entry *out, size_t max,
    size_t *left)
{
	size_t	i, n = 0;

	for (i = 0; i < list->elements; i++) {
		if (n == max || entry(list->element[i], &out[n]) == -1)
			(*left)++;
		else
			n++;
	}
	return n;
}

int
relay_fedplan_read(const redisReply *r, const char *stream,
    struct relay_fedplan_entry *out, size_t max, size_t *left)
{
	const redisReply	*s;
	size_t			 i, n = 0, slen = strlen(stream);

	*left = 0;
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_NIL)
		return 0;
	if (r->type != REDIS_REPLY_ARRAY)
		return -1;
	for (i = 0; i < r->elements; i++) {
		s = r->element[i];
		if (s == NULL || s->type != REDIS_REPLY_ARRAY ||
		    s->elements != 2 || !is_str(s->element[0]))
			return -1;
		if (s->element[0]->len != slen ||
		    memcmp(s->element[0]->str, stream, slen) != 0)
			continue;
		if (s->element[1] == NULL ||
		    s->element[1]->type == REDIS_REPLY_NIL)
			continue;
		if (s->element[1]->type != REDIS_REPLY_ARRAY)
			return -1;
		n += entries(s->element[1], out + n, max - n, left);
	}
	return (int)n;
}

int
relay_fedplan_claimed(const redisReply *r, struct relay_fedplan_entry *out,
    size_t max, size_t *left)
{
	*left = 0;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return -1;
	return (int)entries(r, out, max, left);
}

int
relay_fedplan_pending(const redisReply *r, long long min_idle,
    char (*ids)[RELAY_FEDPLAN_ID_MAX + 1], size_t max, struct relay_fedplan_pel *pel)
{
	const redisReply	*row, *id;
	size_t			 i, n = 0;

	memset(pel, 0, sizeof(*pel));
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return -1;
	pel->rows = r->elements;
	for (i = 0; i < r->elements; i++) {
		row = r->element[i];
		if (row == NULL || row->type != REDIS_REPLY_ARRAY ||
		    row->elements != 4)
			continue;
		id = row->element[0];
		if (!is_str(id) || !relay_fedplan_id_ok(id->str, id->len))
			continue;
		memcpy(pel->last, id->str, id->len);
		pel->last[id->len] = '\0';
		if (row->element[2] == NULL ||
		    row->element[2]->type != REDIS_REPLY_INTEGER ||
		    row->element[2]->integer < min_idle || n == max)
			continue;
		memcpy(ids[n], id->str, id->len);
		ids[n][id->len] = '\0';
		n++;
	}
	return (int)n;
}

size_t
relay_fedplan_split(char *relay, const char **doms, size_t max,
    size_t *dropped)
{
	char	*p, *us;
	size_t	 n = 0, i;

	*dropped = 0;
	for (p = relay; p != NULL; p = us) {
		if ((us = strchr(p, '_')) != NULL)
			*us++ = '\0';
		if (*p == '\0')
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(doms[i], p) == 0)
				break;
		if (i < n)
			continue;
		if (n == max)
			(*dropped)++;
		else
			doms[n++] = p;
	}
	return n;
}

int
relay_fedplan_host_ok(const char *d)
{
	const unsigned char	*p;

	if (*d == '\0' || strlen(d) > RELAY_FEDPLAN_HOST_MAX)
		return 0;
	for (p = (const unsigned char *)d; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p >= 0x80))
			return 0;
	return 1;
}

void
relay_fedplan_join(char *buf, size_t cap, const char *const *doms, size_t n)
{
	size_t		 total = 0, room, pos = 0, i;
	const char	*s;

	for (i = 0; i < n; i++)
		total += (i > 0 ? 2 : 0) + strlen(doms[i]);
	room = total < cap ? total : cap - 4;
	for (i = 0; i < n && pos < room; i++) {
		if (i > 0) {
			buf[pos++] = ',';
			if (pos < room)
				buf[pos++] = ' ';
		}
		for (s = doms[i]; *s != '\0' && pos < room; s++)
			buf[pos++] = (unsigned char)*s >= 0x20 &&
			    (unsigned char)*s < 0x7f ? *s : '?';
	}
	if (total >= cap) {
		memcpy(buf + pos, "...", 3);
		pos += 3;
	}
	buf[pos] = '\0';
}

void
relay_fedplan_try_init(struct relay_fedplan_try *t, size_t n)
{
	t->n = n;
	t->next = 0;
	t->pass = 1;
}

enum relay_fedplan_step
relay_fedplan_try_next(struct relay_fedplan_try *t, size_t *idx,
    unsigned int *base_ms, unsigned int *jitter_ms)
{
	if (t->n == 0)
		return RELAY_FEDPLAN_GIVE_UP;
	if (t->next < t->n) {
		*idx = t->next++;
		return RELAY_FEDPLAN_TRY;
	}
	if (t->pass >= RELAY_FEDPLAN_PASSES)
		return RELAY_FEDPLAN_GIVE_UP;
	t->pass++;
	t->next = 0;
	/* The reference's pauses before the second and the third pass. */
	*base_ms = t->pass == 2 ? 100 : 200;
	*jitter_ms = t->pass == 2 ? 50 : 100;
	return RELAY_FEDPLAN_WAIT;
}

enum relay_fedplan_verdict
relay_fedplan_verdict(int transport_ok, long status)
{
	if (!transport_ok)
		return RELAY_FEDPLAN_FAILED;
	if (status == 202)
		return RELAY_FEDPLAN_DELIVERED;
	if (status >= 400 && status <= 499)
		return RELAY_FEDPLAN_REJECTED;
	return RELAY_FEDPLAN_FAILED;
}
