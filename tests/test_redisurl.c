/* SPDX-License-Identifier: ISC */
/* The redis URL forms the daemons take, and the bad ones. */
#include <string.h>

#include "redisurl.h"
#include "tap.h"

static void
good(const char *url, const char *host, int port, const char *path,
    const char *user, const char *pass, int db)
{
	struct redis_url	u;
	char			err[128];

	if (!ok(redis_url_parse(&u, url, err, sizeof(err)) == 0 &&
	    strcmp(u.host, host) == 0 && u.port == port &&
	    strcmp(u.path, path) == 0 && strcmp(u.user, user) == 0 &&
	    strcmp(u.pass, pass) == 0 && u.db == db, "%s", url))
		diag("err \"%s\" host \"%s\" port %d path \"%s\" user \"%s\" "
		    "db %d", err, u.host, u.port, u.path, u.user, u.db);
}

static void
bad(const char *url, const char *want)
{
	struct redis_url	u;
	char			err[128] = "";

	if (!ok(redis_url_parse(&u, url, err, sizeof(err)) == -1 &&
	    strstr(err, want) != NULL, "refused: %.40s", url))
		diag("err \"%s\"", err);
}

int
main(void)
{
	struct redis_url	u;
	char			buf[300], err[128], longurl[REDISURL_MAX + 2];

	good("redis://localhost:6379", "localhost", 6379, "", "", "", 0);
	good("redis://127.0.0.1", "127.0.0.1", 6379, "", "", "", 0);
	good("redis://127.0.0.1:7000/", "127.0.0.1", 7000, "", "", "", 0);
	good("redis://127.0.0.1:7000/3", "127.0.0.1", 7000, "", "", "", 3);
	good("redis://:s3cret@redis:6379", "redis", 6379, "", "", "s3cret",
	    0);
	good("redis://app:p%40ss@redis/2", "redis", 6379, "", "app", "p@ss",
	    2);
	good("redis://[::1]:6380", "::1", 6380, "", "", "", 0);
	good("redis://[::1]", "::1", 6379, "", "", "", 0);
	good("unix:///run/redis/redis.sock", "", 6379, "/run/redis/redis.sock",
	    "", "", 0);
	good("redis+unix:///tmp/r.sock?db=4&pass=x%20y", "", 6379,
	    "/tmp/r.sock", "", "x y", 4);

	bad("rediss://host", "TLS");
	bad("http://host", "must start with");
	bad("redis://", "no host");
	bad("redis://:6379", "no host");
	bad("redis://host:0", "bad port");
	bad("redis://host:65536", "bad port");
	bad("redis://host:12ab", "bad port");
	bad("redis://host/abc", "bad database");
	bad("redis://host/1x", "bad database");
	bad("redis://:p%4@host", "bad password");
	bad("redis://:p%00@host", "bad password");
	bad("redis://[::1", "unclosed");
	bad("redis://[::1]x", "junk");
	bad("redis://host?x", "unexpected");
	bad("unix://relative.sock", "absolute");
	bad("unix:///tmp/r.sock?db=x", "bad database");
	bad("unix:///tmp/r.sock?foo=1", "unknown parameter");
	bad("unix:///tmp/r.sock?nokey", "bad query");
	memset(longurl, 'a', sizeof(longurl) - 1);
	memcpy(longurl, "redis://", 8);
	longurl[sizeof(longurl) - 1] = '\0';
	bad(longurl, "longer than");

	redis_url_parse(&u, "redis://:secret@10.0.0.1:6390/1", err,
	    sizeof(err));
	ok(strcmp(redis_url_where(&u, buf, sizeof(buf)), "10.0.0.1:6390") == 0,
	    "where: host:port, no password");
	redis_url_parse(&u, "redis://[::1]:6390", err, sizeof(err));
	ok(strcmp(redis_url_where(&u, buf, sizeof(buf)), "[::1]:6390") == 0,
	    "where: [v6]:port");
	redis_url_parse(&u, "unix:///run/r.sock", err, sizeof(err));
	ok(strcmp(redis_url_where(&u, buf, sizeof(buf)), "/run/r.sock") == 0,
	    "where: the socket path");
	redis_url_parse(&u, "redis://:hunter2@host:bad", err, sizeof(err));
	ok(strstr(err, "hunter2") == NULL, "an error never shows the "
	    "password");
	return done_testing();
}
