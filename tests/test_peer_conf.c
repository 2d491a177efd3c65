/* SPDX-License-Identifier: ISC */
/*
 * rmb-peer.conf(5): every keyword, its repeats and limits, and every
 * refusal with the line it names; then the merge with the command line,
 * the defaults, and the file checks of peer_conf_load().
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer_conf.h"
#include "tap.h"

static struct peer_conf	c;
static char		err[1024];

static int
parse(const char *text)
{
	peer_conf_init(&c);
	err[0] = '\0';
	return peer_conf_parse(&c, "f", text, strlen(text), err, sizeof(err));
}

static void
good(const char *text, const char *name)
{
	if (!ok(parse(text) == 0, "%s", name))
		diag("error: %s", err);
}

/* Refused with exactly this message (prefix "f:LINE: " included). */
static void
bad(const char *text, const char *want, const char *name)
{
	int	rc = parse(text);

	if (!ok(rc == -1 && strcmp(err, want) == 0, "%s", name))
		diag("rc %d, got \"%s\"\n# want \"%s\"", rc, err, want);
}

/* Refused with a message that starts with prefix. */
static void
bad_prefix(const char *text, const char *prefix, const char *name)
{
	int	rc = parse(text);

	if (!ok(rc == -1 && strncmp(err, prefix, strlen(prefix)) == 0, "%s",
	    name))
		diag("rc %d, got \"%s\"\n# want prefix \"%s\"", rc, err,
		    prefix);
}

static void
test_syntax(void)
{
	good("", "an empty file");
	ok(c.set == 0 && c.nrelay == 0 && c.key_type == KEY_SR25519,
	    "an empty file sets nothing");
	good("\n\n   \n\t\n", "blank lines");
	good("# a comment\n   # an indented one\n#\n", "comment lines");
	good("redis redis://localhost:6380 # the local one\n",
	    "a comment after the value");
	ok(strcmp(c.redis, "redis://localhost:6380") == 0,
	    "the value stops before the comment");
	good("redis\tredis://h:1\t\n", "tabs around the value");
	ok(strcmp(c.redis, "redis://h:1") == 0, "tabs are blanks");
	good("debug 1\r\nno-update yes\r\n", "CRLF line ends");
	ok(c.debug == 1 && c.no_update == 1, "CRLF values read");
	good("debug 2", "no newline at the end");
	ok(c.debug == 2, "the last line counts without a newline");
	good("twins /srv/a#b\n", "a # inside a value is kept");
	ok(strcmp(c.twins, "/srv/a#b") == 0, "... whole");

	bad("bogus 1\n", "f:1: unknown keyword \"bogus\"", "unknown keyword");
	bad("\n# c\n\nKey-Type sr25519\n",
	    "f:4: unknown keyword \"Key-Type\"",
	    "keywords are case-sensitive; blank and comment lines count");
	bad("debug\n", "f:1: debug: missing value", "missing value");
	bad("debug   # comment\n", "f:1: debug: missing value",
	    "a comment is not a value");
	bad("debug 1 2\n", "f:1: debug: one value only (a comment starts "
	    "with #)", "two values");
	bad("twins /a b\n", "f:1: twins: one value only (a comment starts "
	    "with #)", "no blanks inside a value");
	bad("debug 1\ndebug 1\n", "f:2: debug given twice (first on line 1)",
	    "a single keyword twice");
	bad("redis redis://a:1\n\nkey-type sr25519\nredis redis://b:1\n",
	    "f:4: redis given twice (first on line 1)",
	    "the first line is named");
	bad_prefix("debug 1\nd\x01 1\n", "f:2: control character 0x01",
	    "a control character");
	bad_prefix("debug 1\x7f\n", "f:1: control character 0x7f", "DEL");
	{
		static const char	nul[] = "debug 1\nuser a\0b\n";

		peer_conf_init(&c);
		ok(peer_conf_parse(&c, "f", nul, sizeof(nul) - 1, err,
		    sizeof(err)) == -1 && strcmp(err, "f:2: NUL byte") == 0,
		    "a NUL byte");
	}
	{
		char	*big = malloc(PEER_CONF_FILE_MAX + 2);
		size_t	 n;

		if (big == NULL)
			abort();
		memset(big, '#', PEER_CONF_LINE_MAX + 1);
		big[PEER_CONF_LINE_MAX + 1] = '\0';
		bad_prefix(big, "f:1: line longer than 8192 bytes",
		    "a line one byte too long");
		big[PEER_CONF_LINE_MAX] = '\0';
		good(big, "a comment line of exactly 8192 bytes");
		for (n = 0; n < PEER_CONF_FILE_MAX + 1; n++)
			big[n] = (n % 64 == 63) ? '\n' : '#';
		big[PEER_CONF_FILE_MAX + 1] = '\0';
		bad(big, "f: larger than 65536 bytes", "a file too large");
		big[PEER_CONF_FILE_MAX] = '\0';
		good(big, "a file of exactly 65536 bytes");
		free(big);
	}
	ok(strcmp(peer_kw_name(PKW_NO_UPDATE), "no-update") == 0 &&
	    peer_kw_name(PKW_COUNT) == NULL, "peer_kw_name");
	ok(peer_kw_repeatable(PKW_RELAY) && peer_kw_repeatable(PKW_SUBSTRATE) &&
	    !peer_kw_repeatable(PKW_REDIS) && !peer_kw_repeatable(PKW_COUNT),
	    "relay and substrate repeat, nothing else");
}

static void
test_scalars(void)
{
	good("key-type ed25519\n", "key-type ed25519");
	ok(c.key_type == KEY_ED25519 && c.set == 1U << PKW_KEY_TYPE,
	    "... stored and marked");
	good("key-type SR25519\n", "key-type is case-insensitive");
	ok(c.key_type == KEY_SR25519, "... sr25519");
	bad("key-type rsa\n", "f:1: key-type: invalid key type \"rsa\" "
	    "(sr25519 or ed25519)", "key-type rsa");

	good("mnemonic-file /etc/rmb/mnemonic\n", "mnemonic-file");
	ok(strcmp(c.mnemonic_file, "/etc/rmb/mnemonic") == 0, "... stored");
	bad("mnemonic-file mnemonic\n", "f:1: mnemonic-file: \"mnemonic\" is "
	    "not an absolute path", "mnemonic-file relative");

	good("redis redis+unix:///run/redis.sock?db=2\n", "redis on a socket");
	good("redis redis://:secret@[::1]:6379/3\n", "redis with a password");
	bad_prefix("redis rediss://h:1\n", "f:1: redis: ", "rediss refused");
	parse("redis redis://:hunter2@h:0\n");
	ok(strstr(err, "hunter2") == NULL && strncmp(err, "f:1: redis: ", 12) ==
	    0, "a bad redis URL is refused without its password");

	good("twins /var/lib/rmb/twins.json\n", "twins");
	ok(strcmp(c.twins, "/var/lib/rmb/twins.json") == 0, "... stored");
	bad("twins twins.json\n", "f:1: twins: \"twins.json\" is not an "
	    "absolute path", "twins relative");

	good("no-update yes\n", "no-update yes");
	ok(c.no_update == 1, "... set");
	good("no-update no\n", "no-update no");
	ok(c.no_update == 0 && (c.set & (1U << PKW_NO_UPDATE)),
	    "... unset, but given");
	bad("no-update true\n", "f:1: no-update: yes or no, not \"true\"",
	    "no-update true");

	good("user rmb\n", "user");
	ok(strcmp(c.user, "rmb") == 0, "... stored");
	good("user _rmb-peer.2\n", "user with _ - . and digits");
	bad("user root\n", "f:1: user: the children never run as root",
	    "user root");
	bad("user -x\n", "f:1: user: a user name starts with a letter or _",
	    "user starting with -");
	bad("user 1000\n", "f:1: user: a user name starts with a letter or _",
	    "a numeric user");
	bad("user a/b\n", "f:1: user: a user name has only A-Z a-z 0-9 _ - .",
	    "user with /");
	good("user abcdefghijklmnopqrstuvwxyz012345\n", "user of 32 bytes");
	bad("user abcdefghijklmnopqrstuvwxyz0123456\n",
	    "f:1: user: a user name has 1 to 32 characters", "user of 33");

	good("keyd-user _rmb-keyd\nnetd-user _rmb-netd\n"
	    "apid-user _rmb-apid\n", "keyd-user, netd-user, apid-user");
	ok(strcmp(c.keyd_user, "_rmb-keyd") == 0 &&
	    strcmp(c.netd_user, "_rmb-netd") == 0 &&
	    strcmp(c.apid_user, "_rmb-apid") == 0 && c.user[0] == '\0',
	    "... stored, each its own, user untouched");
	bad("keyd-user root\n", "f:1: keyd-user: the children never run as "
	    "root", "keyd-user root");
	bad("netd-user 9x\n", "f:1: netd-user: a user name starts with a "
	    "letter or _", "netd-user starting with a digit");
	bad("apid-user a:b\n", "f:1: apid-user: a user name has only A-Z a-z "
	    "0-9 _ - .", "apid-user with :");
	bad("netd-user abcdefghijklmnopqrstuvwxyz0123456\n",
	    "f:1: netd-user: a user name has 1 to 32 characters",
	    "netd-user of 33");
	bad("keyd-user\n", "f:1: keyd-user: missing value",
	    "keyd-user without a value");
	bad("apid-user a b\n", "f:1: apid-user: one value only (a comment "
	    "starts with #)", "apid-user with two values");
	bad("apid-user a\nuser b\napid-user c\n", "f:3: apid-user given "
	    "twice (first on line 1)", "apid-user twice");
	bad("Keyd-user a\n", "f:1: unknown keyword \"Keyd-user\"",
	    "keywords are lower case");

	good("jail /run/rmb\n", "jail");
	ok(strcmp(c.jail, "/run/rmb") == 0, "... stored");
	bad("jail run\n", "f:1: jail: \"run\" is not an absolute path",
	    "jail relative");
	bad("jail //\n", "f:1: jail: the jail cannot be /", "jail /");

	good("debug 0\n", "debug 0");
	good("debug 2\n", "debug 2");
	ok(c.debug == 2, "... stored");
	bad("debug 3\n", "f:1: debug: 0 to 2, not \"3\"", "debug 3");
	bad("debug 01\n", "f:1: debug: 0 to 2, not \"01\"", "debug 01");
	bad("debug -1\n", "f:1: debug: 0 to 2, not \"-1\"", "debug -1");

	good("key-type sr25519\n", "twin cache untouched");
	ok(c.twin_cache == 500 && c.twin_ttl == 300,
	    "... the reference's 500 twins for 300 s by default");
	good("twin-cache 10000\ntwin-ttl 60\n", "twin-cache and twin-ttl");
	ok(c.twin_cache == 10000 && c.twin_ttl == 60 &&
	    (c.set & (1U << PKW_TWIN_CACHE)) && (c.set & (1U << PKW_TWIN_TTL)),
	    "... stored, and marked as given (so a merge keeps them)");
	bad("twin-cache 5\ntwin-cache 6\n",
	    "f:2: twin-cache given twice (first on line 1)",
	    "twin-cache twice");
	bad("twin-cache 0\n", "f:1: twin-cache: a number from 1 to 1048576, "
	    "not \"0\"", "twin-cache 0");
	bad("twin-cache 1048577\n", "f:1: twin-cache: a number from 1 to "
	    "1048576, not \"1048577\"", "twin-cache over the bound");
	bad("twin-ttl 86401\n", "f:1: twin-ttl: a number from 1 to 86400, "
	    "not \"86401\"", "twin-ttl over a day");
	bad("twin-ttl 5s\n", "f:1: twin-ttl: a number from 1 to 86400, "
	    "not \"5s\"", "twin-ttl with a unit");
}

static void
test_urls(void)
{
	char	dom[RELAYS_MAX][RELAY_DOMAIN_MAX + 1];

	good("relay wss://relay.grid.tf:443\n", "one relay");
	ok(c.nrelay == 1 && strcmp(c.relay[0], "wss://relay.grid.tf:443") == 0,
	    "... stored");
	good("relay ws://localhost:8080\nrelay ws://localhost:8081/ws\n"
	    "relay wss://R1.Example.org\nrelay wss://r2.example.org/?x=1\n",
	    "four relays, localhost, paths and queries");
	ok(c.nrelay == 4, "... four");
	ok(peer_conf_domains(&c, dom) == 3 &&
	    strcmp(dom[0], "localhost") == 0 &&
	    strcmp(dom[1], "r1.example.org") == 0 &&
	    strcmp(dom[2], "r2.example.org") == 0,
	    "domains in order, lower-cased, without repeats");
	bad("relay ws://a1.example\nrelay ws://a2.example\n"
	    "relay ws://a3.example\nrelay ws://a4.example\n"
	    "relay ws://a5.example\n",
	    "f:5: relay: more than 4 relays", "a fifth relay");
	bad("relay ws://r.example.org\n# c\nrelay WS://R.example.org\n",
	    "f:3: relay: WS://R.example.org is given twice",
	    "the same relay twice");
	bad("relay wss://1.2.3.4:443\n", "f:1: relay: relay URL must contain "
	    "a domain name: host \"1.2.3.4\" is an IP address",
	    "an IPv4 relay");
	bad("relay ws://[::1]:8080\n", "f:1: relay: relay URL must contain a "
	    "domain name: host \"[::1]\" is an IP address", "an IPv6 relay");
	bad("relay ws://example.0x7f\n", "f:1: relay: relay URL must contain "
	    "a domain name: host \"example.0x7f\" is an IP address",
	    "a host ending in a hex number is an IPv4");
	bad("relay ws://127.0.0.1.\n", "f:1: relay: relay URL must contain a "
	    "domain name: host \"127.0.0.1.\" has an empty label",
	    "an IPv4 with a trailing dot");
	good("relay ws://1.2.3.example\n", "digits in other labels are fine");
	bad("relay https://relay.grid.tf\n", "f:1: relay: \"https://relay.grid"
	    ".tf\" is not a ws:// or wss:// URL", "an https relay");
	bad("relay relay.grid.tf\n", "f:1: relay: \"relay.grid.tf\" is not a "
	    "ws:// or wss:// URL", "a bare domain");
	bad("relay ws://u:p@relay.grid.tf\n", "f:1: relay: URL must not carry "
	    "a user or password", "a user in the URL");
	bad("relay ws://relay.grid.tf:0\n", "f:1: relay: bad port in URL (1 "
	    "to 65535)", "port 0");
	bad("relay ws://relay.grid.tf:65536\n", "f:1: relay: bad port in URL "
	    "(1 to 65535)", "port 65536");
	bad("relay ws://relay.grid.tf:+80\n", "f:1: relay: bad port in URL "
	    "(1 to 65535)", "port +80");
	bad("relay ws://relay.grid.tf:\n", "f:1: relay: empty port in URL",
	    "empty port");
	bad("relay ws://:80\n", "f:1: relay: URL has no host", "no host");
	bad("relay ws:///x\n", "f:1: relay: URL has no host", "no host, path");
	bad("relay ws://relay_1.grid.tf\n", "f:1: relay: relay URL must "
	    "contain a domain name: host \"relay_1.grid.tf\" has a character "
	    "other than a-z 0-9 . -", "an underscore (the chain's separator)");
	bad("relay ws://relay..grid.tf\n", "f:1: relay: relay URL must "
	    "contain a domain name: host \"relay..grid.tf\" has an empty "
	    "label", "an empty label");
	bad("relay ws://relay.grid.tf.\n", "f:1: relay: relay URL must "
	    "contain a domain name: host \"relay.grid.tf.\" has an empty "
	    "label", "a trailing dot");
	bad("relay ws://[::1\n", "f:1: relay: unterminated [ in URL",
	    "an unterminated [");
	bad("relay ws://r\xc3\xa9lay.example\n", "f:1: relay: URL contains a "
	    "blank or a non-ASCII character", "a non-ASCII host");
	{
		char	line[URL_MAX + 32], want[256];

		snprintf(line, sizeof(line), "relay ws://%0*d.example\n",
		    URL_MAX - 12, 0);
		bad(line, "f:1: relay: URL longer than 511 bytes",
		    "a relay URL too long");
		snprintf(line, sizeof(line), "relay ws://a%0*d.example\n",
		    RELAY_DOMAIN_MAX - 8, 0);
		snprintf(want, sizeof(want), "f:1: relay: relay URL must "
		    "contain a domain name: host \"%.64s\" is longer than 253 "
		    "bytes", line + 11);
		bad(line, want, "a host of 254 bytes");
		snprintf(line, sizeof(line), "relay ws://a%0*d.exampl\n",
		    RELAY_DOMAIN_MAX - 8, 0);
		good(line, "a host of 253 bytes");
	}

	good("substrate wss://tfchain.grid.tf:443\n"
	    "substrate ws://127.0.0.1:9944\nsubstrate ws://[::1]:9944\n",
	    "substrate URLs, IPs allowed");
	ok(c.nsubstrate == 3 && strcmp(c.substrate[2], "ws://[::1]:9944") == 0,
	    "... stored in order");
	{
		char	text[1024];
		size_t	len = 0;
		int	i;

		for (i = 0; i <= SUBSTRATES_MAX; i++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
			    "substrate ws://s%d.example\n", i);
		bad(text, "f:9: substrate: more than 8 substrate URLs",
		    "a ninth substrate URL");
	}
	bad("substrate http://x\n", "f:1: substrate: \"http://x\" is not a "
	    "ws:// or wss:// URL", "an http substrate");
	bad("substrate ws://x\nsubstrate ws://x\n",
	    "f:2: substrate: ws://x is given twice", "a substrate twice");
	bad("substrate ws://[::1]x\n", "f:1: substrate: bad character after ] "
	    "in URL", "junk after ]");
}

/* conf's three children's users after finish: k, n, a. */
static int
users_are(struct peer_conf *conf, const char *k, const char *n,
    const char *a)
{
	char	why[256];

	if (peer_conf_finish(conf, why, sizeof(why)) == -1) {
		diag("finish: %s", why);
		return 0;
	}
	if (strcmp(conf->keyd_user, k) == 0 &&
	    strcmp(conf->netd_user, n) == 0 && strcmp(conf->apid_user, a) == 0)
		return 1;
	diag("got %s %s %s", conf->keyd_user, conf->netd_user,
	    conf->apid_user);
	return 0;
}

/* file (text) merged with flags (kw=value pairs, NULL-ended). */
static void
merged(struct peer_conf *out, const char *text, const char *const *flags)
{
	struct peer_conf	f;
	char			why[256];

	peer_conf_init(out);
	if (peer_conf_parse(out, "f", text, strlen(text), err,
	    sizeof(err)) == -1)
		diag("parse: %s", err);
	peer_conf_init(&f);
	for (; flags != NULL && flags[0] != NULL; flags += 2) {
		enum peer_kw	kw;

		for (kw = 0; kw < PKW_COUNT; kw++)
			if (strcmp(peer_kw_name(kw), flags[0]) == 0)
				break;
		if (peer_conf_set(&f, kw, flags[1], why, sizeof(why)) == -1)
			diag("set %s: %s", flags[0], why);
	}
	peer_conf_merge(out, &f);
}

/*
 * Who each child becomes: its own keyword, else user, else the package
 * user; a user flag is all three, over the file's own for each.
 */
static void
test_users(void)
{
	static const char *const all_c[] = { "user", "c", NULL };
	static const char *const netd_d[] = { "netd-user", "d", NULL };
	static const char *const keyd_k[] = { "keyd-user", "k", NULL };
	static const char *const both[] = { "user", "c", "apid-user", "e",
	    NULL };
	struct peer_conf	 m;

	merged(&m, "", NULL);
	ok(users_are(&m, "_rmb-keyd", "_rmb-netd", "_rmb-apid"),
	    "users: nothing given, the package users");
	merged(&m, "user a\n", NULL);
	ok(users_are(&m, "a", "a", "a"), "users: user is all three");
	merged(&m, "user a\nkeyd-user b\n", NULL);
	ok(users_are(&m, "b", "a", "a"), "users: keyd-user beats user");
	merged(&m, "netd-user b\n", NULL);
	ok(users_are(&m, "_rmb-keyd", "b", "_rmb-apid"),
	    "users: netd-user alone, the others' defaults");
	merged(&m, "user a\nkeyd-user b\nnetd-user x\n", all_c);
	ok(users_are(&m, "c", "c", "c") && strcmp(m.user, "c") == 0 &&
	    (m.set & (1U << PKW_KEYD_USER)) == 0,
	    "users: a user flag replaces the file's user and keyd-user");
	merged(&m, "user a\nkeyd-user b\n", both);
	ok(users_are(&m, "c", "c", "e"),
	    "users: flags give user and apid-user: both count");
	merged(&m, "keyd-user b\n", netd_d);
	ok(users_are(&m, "b", "d", "_rmb-apid"),
	    "users: a netd-user flag keeps the file's keyd-user");
	merged(&m, "user a\n", keyd_k);
	ok(users_are(&m, "k", "a", "a"),
	    "users: a keyd-user flag over the file's user");
}

static void
test_merge_finish(void)
{
	static const char	text[] = "relay ws://a1.example\nrelay "
	    "ws://a2.example\nredis redis://file:1\nuser fileuser\ndebug 1\n"
	    "substrate ws://s.example\n";
	struct peer_conf	file, flags;
	char			why[256];
	char			dom[RELAYS_MAX][RELAY_DOMAIN_MAX + 1];

	peer_conf_init(&file);
	ok(peer_conf_parse(&file, "f", text, sizeof(text) - 1, err,
	    sizeof(err)) == 0, "the file");
	peer_conf_init(&flags);
	ok(peer_conf_set(&flags, PKW_RELAY, "wss://flag.example", why,
	    sizeof(why)) == 0 && peer_conf_set(&flags, PKW_DEBUG, "2", why,
	    sizeof(why)) == 0 && peer_conf_set(&flags, PKW_KEY_TYPE,
	    "ed25519", why, sizeof(why)) == 0, "the flags");
	peer_conf_merge(&file, &flags);
	ok(file.nrelay == 1 && strcmp(file.relay[0], "wss://flag.example") ==
	    0, "a relay flag replaces the file's relays");
	ok(file.debug == 2 && file.key_type == KEY_ED25519,
	    "single flags replace the file's values");
	ok(strcmp(file.redis, "redis://file:1") == 0 &&
	    strcmp(file.user, "fileuser") == 0 && file.nsubstrate == 1,
	    "what the flags do not give stays");
	ok(peer_conf_finish(&file, why, sizeof(why)) == 0, "finish");
	ok(strcmp(file.jail, PEER_DEFAULT_JAIL) == 0 &&
	    strcmp(file.user, "fileuser") == 0 &&
	    strcmp(file.substrate[0], "ws://s.example") == 0,
	    "finish fills only what is missing");

	peer_conf_init(&file);
	ok(peer_conf_finish(&file, why, sizeof(why)) == 0, "finish, nothing "
	    "given");
	ok(strcmp(file.redis, "redis://localhost:6379") == 0 &&
	    file.nrelay == 1 &&
	    strcmp(file.relay[0], "wss://relay.grid.tf:443") == 0 &&
	    file.nsubstrate == 1 &&
	    strcmp(file.substrate[0], "wss://tfchain.grid.tf:443") == 0 &&
	    file.user[0] == '\0' &&
	    strcmp(file.keyd_user, "_rmb-keyd") == 0 &&
	    strcmp(file.netd_user, "_rmb-netd") == 0 &&
	    strcmp(file.apid_user, "_rmb-apid") == 0 &&
	    strcmp(file.jail, "/run/rmb-peer") == 0 && file.debug == 0 &&
	    file.no_update == 0 && file.key_type == KEY_SR25519 &&
	    file.twins[0] == '\0' && file.mnemonic_file[0] == '\0',
	    "the reference's defaults, and ours");
	ok(peer_conf_domains(&file, dom) == 1 &&
	    strcmp(dom[0], "relay.grid.tf") == 0, "the default domain");
	ok(file.ndomains == 1 && strcmp(file.domains[0], "relay.grid.tf") ==
	    0, "finish keeps the domains for keyd and netd");

	test_users();

	/* tfchain refuses "a.example" first in the field, not second. */
	ok(parse("relay ws://a.example\n") == 0, "a.example alone parses");
	ok(peer_conf_finish(&c, why, sizeof(why)) == -1 &&
	    strstr(why, "tfchain would refuse the relay field \"a.example\"") !=
	    NULL, "... but the chain would refuse it");
	ok(parse("relay ws://relay.example\nrelay ws://a.example\n") == 0 &&
	    peer_conf_finish(&c, why, sizeof(why)) == 0,
	    "a.example second is fine");

	ok(peer_conf_set(&flags, PKW_COUNT, "x", why, sizeof(why)) == -1 &&
	    strcmp(why, "unknown keyword") == 0, "an unknown keyword to set");
	ok(peer_conf_set(&flags, PKW_USER, "", why, sizeof(why)) == -1 &&
	    strcmp(why, "empty value") == 0, "an empty value");
	ok(peer_conf_set(&flags, PKW_USER, NULL, why, sizeof(why)) == -1,
	    "a NULL value");
	ok(parse("relay wss://Relay.Grid.TF:443/x\nrelay ws://relay.grid.tf\n")
	    == 0 && peer_conf_finish(&c, why, sizeof(why)) == 0 &&
	    c.ndomains == 1 && strcmp(c.domains[0], "relay.grid.tf") == 0,
	    "upper case is taken and folded: one domain for two URLs");
}

static void
test_load(void)
{
	char	dir[] = "/tmp/test_peer_conf.XXXXXX", path[256];
	int	fd;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/none", dir);
	peer_conf_init(&c);
	ok(peer_conf_load(&c, path, 1, err, sizeof(err)) == 1,
	    "a missing default file is fine");
	ok(peer_conf_load(&c, path, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "No such file") != NULL && strncmp(err, path,
	    strlen(path)) == 0, "a missing named file is an error");

	snprintf(path, sizeof(path), "%s/conf", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) == -1 ||
	    write(fd, "debug 1\nbogus\n", 14) != 14)
		abort();
	close(fd);
	chmod(path, 0644);
	ok(peer_conf_load(&c, path, 0, err, sizeof(err)) == -1 &&
	    strncmp(err, path, strlen(path)) == 0 &&
	    strcmp(err + strlen(path), ":2: unknown keyword \"bogus\"") == 0,
	    "errors name the file and the line");
	if ((fd = open(path, O_WRONLY | O_TRUNC)) == -1 ||
	    write(fd, "debug 1\n", 8) != 8)
		abort();
	close(fd);
	peer_conf_init(&c);
	ok(peer_conf_load(&c, path, 0, err, sizeof(err)) == 0 && c.debug == 1,
	    "a good file loads");
	chmod(path, 0664);
	ok(peer_conf_load(&c, path, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "writable by group or others") != NULL,
	    "a group-writable file is refused");
	chmod(path, 0646);
	ok(peer_conf_load(&c, path, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "writable by group or others") != NULL,
	    "a world-writable file is refused");
	chmod(path, 0600);
	ok(peer_conf_load(&c, dir, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "not a regular file") != NULL, "a directory");
	if (truncate(path, PEER_CONF_FILE_MAX + 1) == -1)
		abort();
	ok(peer_conf_load(&c, path, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "larger than 65536 bytes") != NULL, "a file too big");
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	test_syntax();
	test_scalars();
	test_urls();
	test_merge_finish();
	test_load();
	return done_testing();
}
