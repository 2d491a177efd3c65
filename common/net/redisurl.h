/* SPDX-License-Identifier: ISC */
/*
 * The redis URLs that rmb-relay and rmb-peer take, as the reference's
 * redis crate reads them:
 *
 *	redis://[[user]:password@]host[:port][/db]
 *	redis+unix:///path[?db=N&user=U&pass=P]	(also unix:///path)
 *
 * Host may be a [bracketed] IPv6 address; user and password may be
 * percent-encoded.  rediss:// (TLS) is refused with a clear error: the
 * daemons speak to a local redis.
 */
#ifndef RMB_REDISURL_H
#define RMB_REDISURL_H

#define REDISURL_MAX		1024	/* whole URL */
#define REDISURL_DEFAULT	"redis://localhost:6379"

struct redis_url {
	char	host[256];	/* empty for a unix socket */
	int	port;
	char	path[108];	/* sun_path, for a unix socket */
	char	user[128];	/* empty: AUTH with the password only */
	char	pass[256];	/* empty: no AUTH */
	int	db;		/* SELECT when not 0 */
};

/*
 * Parses url into *u.  Returns 0, or -1 with a one-line reason in err
 * (which never repeats the password).
 */
int	redis_url_parse(struct redis_url *u, const char *url, char *err,
	    size_t errlen);

/* "host:port" or the socket path, for log lines (no credentials). */
const char *redis_url_where(const struct redis_url *u, char *buf,
	    size_t cap);

#endif
