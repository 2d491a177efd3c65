/* SPDX-License-Identifier: ISC */
#include "relay_fedplan.h"
#include "tap.h"

#define STREAM	"relay.federation.stream"

/* Hand-built hiredis replies, freed with the tree. */
static redisReply *
node(int type)
{
	redisReply	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->type = type;
	return r;
}

static redisReply *
bin(int type, const void *p, size_t len)
{
	redisReply	*r = node(type);

	if ((r->str = malloc(len + 1)) == NULL)
		abort();
	memcpy(r->str, p, len);
	r->str[len] = '\0';
	r->len = len;
	return r;
}

static redisReply *
str(const char *s)
{
	return bin(REDIS_REPLY_STRING, s, strlen(s));
}

static redisReply *
num(long long v)
{
	redisReply	*r = node(REDIS_REPLY_INTEGER);

	r->integer = v;
	return r;
}

static redisReply *
nil(void)
{
	return node(REDIS_REPLY_NIL);
}

/* An array of the n replies that follow. */
static redisReply *
arr(size_t n, ...)
{
	redisReply	*r = node(REDIS_REPLY_ARRAY);
	va_list		 ap;
	size_t		 i;

	r->elements = n;
	if (n > 0 && (r->element = calloc(n, sizeof(*r->element))) == NULL)
		abort();
	va_start(ap, n);
	for (i = 0; i < n; i++)
		r->element[i] = va_arg(ap, redisReply *);
	va_end(ap);
	return r;
}

static void
drop(redisReply *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->elements; i++)
		drop(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

static redisReply *
msg_entry(const char *id, const void *v, size_t len)
{
	return arr(2, str(id), arr(2, str("msg"), bin(REDIS_REPLY_STRING,
	    v, len)));
}

static void
test_ids(void)
{
	char	out[RELAY_FEDPLAN_ID_MAX + 1], big[64];

	ok(relay_fedplan_id_ok("1-0", 3), "id: 1-0");
	ok(relay_fedplan_id_ok("1700000000000-5", 15), "id: a real one");
	ok(relay_fedplan_id_ok("18446744073709551615-18446744073709551615", 41),
	    "id: both parts at u64 max");
	ok(!relay_fedplan_id_ok("18446744073709551616-0", 22),
	    "id: past u64 is refused");
	ok(!relay_fedplan_id_ok("", 0) && !relay_fedplan_id_ok("1-", 2) &&
	    !relay_fedplan_id_ok("-1", 2) && !relay_fedplan_id_ok("1", 1),
	    "id: missing parts are refused");
	ok(!relay_fedplan_id_ok("1-2-3", 5) && !relay_fedplan_id_ok("a-1", 3) &&
	    !relay_fedplan_id_ok("1 -1", 4) && !relay_fedplan_id_ok("+1-1", 4),
	    "id: stray characters are refused");
	ok(!relay_fedplan_id_ok("1-0", 2), "id: only len bytes are read");
	memset(big, '0', sizeof(big));
	big[20] = '-';
	ok(!relay_fedplan_id_ok(big, 48), "id: 48 bytes are refused");
	ok(!relay_fedplan_id_ok(NULL, 0), "id: NULL is refused");

	ok(relay_fedplan_id_after("5-7", out) == 0 && strcmp(out, "5-8") == 0,
	    "after: 5-7 gives 5-8");
	ok(relay_fedplan_id_after("5-18446744073709551615", out) == 0 &&
	    strcmp(out, "6-0") == 0, "after: a full sequence carries");
	ok(relay_fedplan_id_after("18446744073709551615-18446744073709551615",
	    out) == -1, "after: nothing follows the last id");
	ok(relay_fedplan_id_after("x", out) == -1, "after: a bad id");
}

static void
test_read(void)
{
	struct relay_fedplan_entry	 e[8];
	redisReply		*r;
	size_t			 left = 99;
	int			 n;

	ok(relay_fedplan_read(NULL, STREAM, e, 8, &left) == -1,
	    "read: NULL reply");
	r = nil();
	ok(relay_fedplan_read(r, STREAM, e, 8, &left) == 0 && left == 0,
	    "read: NIL (the block timed out) is no entries");
	drop(r);
	r = bin(REDIS_REPLY_ERROR, "NOGROUP x", 9);
	ok(relay_fedplan_read(r, STREAM, e, 8, &left) == -1, "read: an error");
	drop(r);
	r = num(3);
	ok(relay_fedplan_read(r, STREAM, e, 8, &left) == -1, "read: an integer");
	drop(r);
	r = arr(1, arr(3, str(STREAM), arr(0), nil()));
	ok(relay_fedplan_read(r, STREAM, e, 8, &left) == -1,
	    "read: a stream with three parts");
	drop(r);
	r = arr(1, arr(2, str(STREAM), str("x")));
	ok(relay_fedplan_read(r, STREAM, e, 8, &left) == -1,
	    "read: entries that are not an array");
	drop(r);

	r = arr(2,
	    arr(2, str("other"), arr(1, msg_entry("9-9", "zz", 2))),
	    arr(2, str(STREAM), arr(8,
		msg_entry("1-1", "a\0b", 3),
		arr(2, str("1-2"), arr(2, str("_"), str("v"))),
		arr(2, str("1-3"), nil()),
		arr(2, str("1-4"), arr(4, str("msg"), str("v"), str("x"),
		    str("y"))),
		arr(2, str("1-5"), arr(2, str("msg"), num(4))),
		arr(2, str("bad"), arr(2, str("msg"), str("v"))),
		str("1-7"),
		arr(2, str("1-8"), arr(1, str("msg"))))));
	n = relay_fedplan_read(r, STREAM, e, 8, &left);
	ok(n == 6 && left == 2, "read: 6 entries, 2 without an id (%d, %zu)",
	    n, left);
	ok(n >= 1 && e[0].kind == RELAY_FEDPLAN_MSG &&
	    strcmp(e[0].id, "1-1") == 0 && e[0].len == 3 &&
	    memcmp(e[0].msg, "a\0b", 3) == 0,
	    "read: the value is binary-safe");
	ok(n >= 2 && e[1].kind == RELAY_FEDPLAN_BAD && strcmp(e[1].id, "1-2") == 0,
	    "read: another field name is bad");
	ok(n >= 3 && e[2].kind == RELAY_FEDPLAN_GONE &&
	    strcmp(e[2].id, "1-3") == 0, "read: no fields is a deleted entry");
	ok(n >= 4 && e[3].kind == RELAY_FEDPLAN_BAD, "read: two fields are bad");
	ok(n >= 5 && e[4].kind == RELAY_FEDPLAN_BAD, "read: an integer value");
	ok(n >= 6 && e[5].kind == RELAY_FEDPLAN_BAD && strcmp(e[5].id, "1-8") == 0,
	    "read: a field without a value");
	n = relay_fedplan_read(r, STREAM, e, 2, &left);
	ok(n == 2 && left == 6 && strcmp(e[1].id, "1-2") == 0,
	    "read: at most max, the rest counted as left");
	n = relay_fedplan_read(r, STREAM, e, 0, &left);
	ok(n == 0 && left == 8, "read: max 0 takes nothing");
	drop(r);
}

static void
test_claimed(void)
{
	struct relay_fedplan_entry	 e[4];
	redisReply		*r;
	size_t			 left;
	int			 n;

	r = arr(3, msg_entry("2-1", "x", 1), nil(), msg_entry("2-3", "", 0));
	n = relay_fedplan_claimed(r, e, 4, &left);
	ok(n == 2 && left == 1, "claim: a NIL (Redis 6, deleted) is left");
	ok(n == 2 && strcmp(e[1].id, "2-3") == 0 && e[1].len == 0 &&
	    e[1].kind == RELAY_FEDPLAN_MSG, "claim: an empty value is a message");
	drop(r);
	r = arr(0);
	ok(relay_fedplan_claimed(r, e, 4, &left) == 0 && left == 0,
	    "claim: nothing claimed");
	drop(r);
	r = nil();
	ok(relay_fedplan_claimed(r, e, 4, &left) == -1, "claim: NIL is odd");
	drop(r);
}

static void
test_pending(void)
{
	char			ids[3][RELAY_FEDPLAN_ID_MAX + 1];
	struct relay_fedplan_pel	pel;
	redisReply		*r;
	int			n;

	r = arr(6,
	    arr(4, str("1-1"), str("relay-a-1"), num(2999), num(1)),
	    arr(4, str("1-2"), str("relay-a-1"), num(3000), num(1)),
	    arr(3, str("1-3"), str("relay-a-1"), num(9000)),
	    arr(4, str("1-4"), str("relay-b-2"), str("9000"), num(1)),
	    arr(4, str("x-5"), str("relay-b-2"), num(9000), num(1)),
	    arr(4, str("1-6"), str("relay-b-2"), num(60000), num(7)));
	n = relay_fedplan_pending(r, 3000, ids, 3, &pel);
	ok(n == 2 && strcmp(ids[0], "1-2") == 0 && strcmp(ids[1], "1-6") == 0,
	    "pending: idle >= 3000 and well formed (%d)", n);
	ok(pel.rows == 6 && strcmp(pel.last, "1-6") == 0,
	    "pending: rows and the last id for paging");
	n = relay_fedplan_pending(r, 3000, ids, 1, &pel);
	ok(n == 1 && strcmp(ids[0], "1-2") == 0 && strcmp(pel.last, "1-6") == 0,
	    "pending: at most max ids, paging still sees every row");
	drop(r);
	r = arr(0);
	ok(relay_fedplan_pending(r, 3000, ids, 3, &pel) == 0 && pel.rows == 0 &&
	    pel.last[0] == '\0', "pending: an empty group");
	drop(r);
	r = bin(REDIS_REPLY_ERROR, "NOGROUP", 7);
	ok(relay_fedplan_pending(r, 3000, ids, 3, &pel) == -1,
	    "pending: an error");
	drop(r);
	ok(relay_fedplan_pending(NULL, 3000, ids, 3, &pel) == -1,
	    "pending: NULL");
}

static void
test_split(void)
{
	const char	*d[64];
	char		 buf[1024], *p;
	size_t		 n, dropped, i;

	snprintf(buf, sizeof(buf), "a.tf_b.tf__c.tf_a.tf_");
	n = relay_fedplan_split(buf, d, 64, &dropped);
	ok(n == 3 && dropped == 0 && strcmp(d[0], "a.tf") == 0 &&
	    strcmp(d[1], "b.tf") == 0 && strcmp(d[2], "c.tf") == 0,
	    "split: empty parts and repeats are skipped");
	snprintf(buf, sizeof(buf), "relay.grid.tf");
	n = relay_fedplan_split(buf, d, 64, &dropped);
	ok(n == 1 && strcmp(d[0], "relay.grid.tf") == 0, "split: one relay");
	buf[0] = '\0';
	ok(relay_fedplan_split(buf, d, 64, &dropped) == 0, "split: empty");
	snprintf(buf, sizeof(buf), "___");
	ok(relay_fedplan_split(buf, d, 64, &dropped) == 0, "split: only '_'");
	for (p = buf, i = 0; i < 70; i++)
		p += sprintf(p, "%s%zu", i > 0 ? "_" : "", i);
	n = relay_fedplan_split(buf, d, 64, &dropped);
	ok(n == 64 && dropped == 6 && strcmp(d[63], "63") == 0,
	    "split: 70 relays give 64, 6 dropped");
}

static void
test_host(void)
{
	char	name[300];

	ok(relay_fedplan_host_ok("relay.grid.tf") && relay_fedplan_host_ok("a-b.C9"),
	    "host: DNS names");
	ok(relay_fedplan_host_ok("b\xc3\xbc" "cher.de"), "host: UTF-8 for IDN");
	ok(!relay_fedplan_host_ok(""), "host: empty");
	ok(!relay_fedplan_host_ok("a/b") && !relay_fedplan_host_ok("u@h") &&
	    !relay_fedplan_host_ok("h:1") && !relay_fedplan_host_ok("h?x") &&
	    !relay_fedplan_host_ok("h#x") && !relay_fedplan_host_ok("a b") &&
	    !relay_fedplan_host_ok("h\n") && !relay_fedplan_host_ok("[::1]"),
	    "host: nothing that changes the URL");
	memset(name, 'a', sizeof(name));
	name[RELAY_FEDPLAN_HOST_MAX] = '\0';
	ok(relay_fedplan_host_ok(name), "host: %d bytes", RELAY_FEDPLAN_HOST_MAX);
	name[RELAY_FEDPLAN_HOST_MAX] = 'a';
	name[RELAY_FEDPLAN_HOST_MAX + 1] = '\0';
	ok(!relay_fedplan_host_ok(name), "host: %d bytes are too many",
	    RELAY_FEDPLAN_HOST_MAX + 1);
}

static void
test_join(void)
{
	const char	*d[3] = { "a.tf", "b\n.tf", "c.tf" };
	char		 buf[64];

	relay_fedplan_join(buf, sizeof(buf), d, 3);
	ok(strcmp(buf, "a.tf, b?.tf, c.tf") == 0, "join: %s", buf);
	relay_fedplan_join(buf, 18, d, 3);
	ok(strcmp(buf, "a.tf, b?.tf, c.tf") == 0, "join: an exact fit");
	relay_fedplan_join(buf, 17, d, 3);
	ok(strcmp(buf, "a.tf, b?.tf, ...") == 0, "join: cut: %s", buf);
	relay_fedplan_join(buf, 4, d, 3);
	ok(strcmp(buf, "...") == 0, "join: the smallest buffer");
	relay_fedplan_join(buf, sizeof(buf), d, 0);
	ok(buf[0] == '\0', "join: none");
}

static void
test_try(void)
{
	struct relay_fedplan_try	t;
	char			got[128], *p = got;
	size_t			idx;
	unsigned int		base, jit;
	int			i;

	relay_fedplan_try_init(&t, 2);
	for (i = 0; i < 12; i++) {
		switch (relay_fedplan_try_next(&t, &idx, &base, &jit)) {
		case RELAY_FEDPLAN_TRY:
			p += sprintf(p, "T%zu ", idx);
			break;
		case RELAY_FEDPLAN_WAIT:
			p += sprintf(p, "W%u+%u ", base, jit);
			break;
		case RELAY_FEDPLAN_GIVE_UP:
			p += sprintf(p, "G ");
			break;
		}
	}
	ok(strcmp(got, "T0 T1 W100+50 T0 T1 W200+100 T0 T1 G G G G ") == 0,
	    "try: two domains, three passes: %s", got);
	relay_fedplan_try_init(&t, 1);
	p = got;
	for (i = 0; i < 6; i++)
		p += sprintf(p, "%d", (int)relay_fedplan_try_next(&t, &idx, &base,
		    &jit));
	ok(strcmp(got, "010102") == 0, "try: one domain: %s", got);
	relay_fedplan_try_init(&t, 0);
	ok(relay_fedplan_try_next(&t, &idx, &base, &jit) == RELAY_FEDPLAN_GIVE_UP,
	    "try: no domain gives up at once");
}

static void
test_verdict(void)
{
	ok(relay_fedplan_verdict(1, 202) == RELAY_FEDPLAN_DELIVERED, "verdict: 202");
	ok(relay_fedplan_verdict(1, 200) == RELAY_FEDPLAN_FAILED &&
	    relay_fedplan_verdict(1, 201) == RELAY_FEDPLAN_FAILED &&
	    relay_fedplan_verdict(1, 204) == RELAY_FEDPLAN_FAILED,
	    "verdict: other 2xx are failures");
	ok(relay_fedplan_verdict(1, 400) == RELAY_FEDPLAN_REJECTED &&
	    relay_fedplan_verdict(1, 404) == RELAY_FEDPLAN_REJECTED &&
	    relay_fedplan_verdict(1, 499) == RELAY_FEDPLAN_REJECTED,
	    "verdict: any 4xx is a rejection");
	ok(relay_fedplan_verdict(1, 302) == RELAY_FEDPLAN_FAILED &&
	    relay_fedplan_verdict(1, 500) == RELAY_FEDPLAN_FAILED &&
	    relay_fedplan_verdict(1, 503) == RELAY_FEDPLAN_FAILED &&
	    relay_fedplan_verdict(1, 0) == RELAY_FEDPLAN_FAILED,
	    "verdict: 3xx, 5xx and no status are failures");
	ok(relay_fedplan_verdict(0, 202) == RELAY_FEDPLAN_FAILED &&
	    relay_fedplan_verdict(0, 404) == RELAY_FEDPLAN_FAILED,
	    "verdict: a transport error wins over a status");
}

int
main(void)
{
	test_ids();
	test_read();
	test_claimed();
	test_pending();
	test_split();
	test_host();
	test_join();
	test_try();
	test_verdict();
	return done_testing();
}
