/* SPDX-License-Identifier: ISC */
/*
 * rmb-keyd: start-up and the loop.  The parent execs us with its channel
 * on PARENT_FILENO and netd's on SIBLING_FILENO (and, for -m, a pipe
 * holding the secret on KEYD_SECRET_FILENO).  We read one configuration
 * message, read the secret ourselves, derive the keys, wipe the text,
 * jail ourselves and only then answer netd.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bip39.h"
#include "ipc_types.h"
#include "keyd.h"
#include "log.h"

struct keyd_config {
	uint32_t	key_type;
	uint32_t	source;
	char		path[PATH_MAX];
	char		jail[PATH_MAX];
	char		user[64];
};

/* Only what a packager or an operator asks of any program. */
static const struct option longopts[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ "version",	no_argument,	NULL, 'V' },
	{ NULL,		0,		NULL, 0 }
};

static _Noreturn void
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: rmb-keyd [-hVv]\n"
	    "  -v             log more; rmb-peer passes one for each -d\n"
	    "  -h, --help     print this help and exit\n"
	    "  -V, --version  print the version and exit\n"
	    "rmb-keyd is started by rmb-peer(8), which passes its channels; "
	    "see rmb-keyd(8).\n");
	exit(code);
}

/* A relay domain as the chain takes it, without the "_" separator. */
static int
domain_valid(const char *d)
{
	size_t	i, n = strlen(d);

	if (n == 0 || n > KEYD_DOMAIN_MAX || d[0] == '.' || d[n - 1] == '.' ||
	    strstr(d, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!((d[i] >= 'a' && d[i] <= 'z') ||
		    (d[i] >= 'A' && d[i] <= 'Z') ||
		    (d[i] >= '0' && d[i] <= '9') || d[i] == '.' || d[i] == '-'))
			return 0;
	return 1;
}

/* Waits for the one configuration frame; anything else is fatal. */
static void
read_config(struct keyd *k, struct ipc_chan *ib, struct keyd_config *c)
{
	struct ipc_msg	imsg;
	struct ipc_rd	rd;
	char		dom[KEYD_DOMAIN_MAX + 1];
	uint32_t	pallet, call, n, i;
	size_t		len, at;
	const char	*why;
	ssize_t		r;
	int		got;

	while ((got = ipc_next(ib, &imsg)) == 0) {
		if ((r = ipc_read(ib)) == -1 && errno != EINTR &&
		    errno != EAGAIN)
			fatal("reading the configuration");
		if (r == 0)
			fatalx("the parent closed before sending the "
			    "configuration");
	}
	if (got == -1 || imsg.hdr.type != IPC_KEYD_CONFIG)
		fatalx("expected the configuration from the parent, got "
		    "type %u size %u", imsg.hdr.type, imsg.hdr.len);
	ipc_rd_init(&rd, &imsg);
	if (ipc_get_u32(&rd, &c->key_type) == -1 ||
	    ipc_get_u32(&rd, &c->source) == -1 ||
	    ipc_get_str(&rd, c->path, sizeof(c->path)) == -1 ||
	    ipc_get_u32(&rd, &pallet) == -1 ||
	    ipc_get_u32(&rd, &call) == -1 ||
	    ipc_get_u32(&rd, &n) == -1)
		fatalx("malformed configuration (size %u)", imsg.hdr.len);
	if (c->key_type > KEY_ED25519 || c->source > KEYD_SECRET_CREDENTIALS ||
	    pallet > UINT8_MAX || call > UINT8_MAX || n > KEYD_DOMAINS_MAX)
		fatalx("configuration out of range");
	k->pallet = (uint8_t)pallet;
	k->call = (uint8_t)call;
	for (i = 0, len = 0; i < n; i++) {
		if (ipc_get_str(&rd, dom, sizeof(dom)) == -1 ||
		    !domain_valid(dom))
			fatalx("configuration: relay domain %u is not a valid "
			    "domain name", i + 1);
		/* The chain's relay field: the domains joined by "_". */
		if (len + (i > 0) + strlen(dom) > TWIN_RELAY_MAX)
			fatalx("configuration: the relay domains are longer "
			    "than the chain allows (%d bytes)", TWIN_RELAY_MAX);
		len += (size_t)snprintf(k->relay + len, sizeof(k->relay) - len,
		    "%s%s", i > 0 ? "_" : "", dom);
	}
	/* The whole field as the chain will judge it: refused here, not there. */
	if (n > 0 && (why = twin_relay_check(k->relay, len, &at)) != NULL)
		fatalx("configuration: tfchain would refuse the relay field "
		    "\"%s\": %s", k->relay, why);
	if (ipc_get_str(&rd, c->jail, sizeof(c->jail)) == -1 ||
	    ipc_get_str(&rd, c->user, sizeof(c->user)) == -1 ||
	    ipc_get_end(&rd) != 0)
		fatalx("malformed configuration (size %u)", imsg.hdr.len);
}

/*
 * Reads the whole secret from fd into buf (cap bytes).  A file must be a
 * regular file that others cannot read, like an ssh key.
 */
static size_t
read_secret_fd(int fd, const char *what, char *buf, size_t cap)
{
	size_t	len = 0;
	ssize_t	n;

	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal("reading the secret from %s", what);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == cap)
		fatalx("the secret in %s is too long", what);
	return len;
}

static size_t
read_secret(const struct keyd_config *c, char *buf, size_t cap)
{
	struct stat	 st;
	char		 path[PATH_MAX];
	const char	*dir;
	size_t		 len;
	int		 fd;

	switch (c->source) {
	case KEYD_SECRET_FD:
		len = read_secret_fd(KEYD_SECRET_FILENO, "the parent's pipe",
		    buf, cap);
		close(KEYD_SECRET_FILENO);
		return len;
	case KEYD_SECRET_CREDENTIALS:
		if ((dir = getenv("CREDENTIALS_DIRECTORY")) == NULL)
			fatalx("CREDENTIALS_DIRECTORY is not set");
		if ((size_t)snprintf(path, sizeof(path), "%s/mnemonic", dir) >=
		    sizeof(path))
			fatalx("CREDENTIALS_DIRECTORY is too long");
		break;
	default:
		if (c->path[0] == '\0')
			fatalx("no secret file is configured");
		memcpy(path, c->path, sizeof(path));
		break;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		fatal("%s", path);
	if (fstat(fd, &st) == -1)
		fatal("%s", path);
	if (!S_ISREG(st.st_mode))
		fatalx("%s: not a regular file", path);
	if (st.st_mode & (S_IRWXO))
		fatalx("%s: others may read it; chmod o-rwx it", path);
	len = read_secret_fd(fd, path, buf, cap);
	close(fd);
	return len;
}

static void
loop(struct keyd *k, struct ipc_chan *parent, struct ipc_chan *netd)
{
	struct pollfd	pfd[2];
	struct ipc_msg	imsg;
	ssize_t		n;
	int		rc;

	for (;;) {
		pfd[0].fd = parent->fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = netd->fd;
		pfd[1].events = POLLIN;
		if (ipc_pending(netd) > 0)
			pfd[1].events |= POLLOUT;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		/* The parent only ever closes: that is our cue to go. */
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = ipc_read(parent)) == 0 ||
			    (n == -1 && errno != EAGAIN && errno != EINTR)) {
				log_debug("the parent is gone");
				return;
			}
			if (n > 0)
				fatalx("unexpected data from the parent "
				    "(size %zd)", n);
		}
		if (pfd[1].revents & POLLOUT && ipc_write(netd) == -1)
			fatal("writing to netd");
		if ((pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		if ((n = ipc_read(netd)) == -1 && errno != EAGAIN &&
		    errno != EINTR)
			fatal("reading from netd");
		if (n == 0) {
			log_debug("netd closed its channel");
			return;
		}
		while ((rc = ipc_next(netd, &imsg)) == 1) {
			if (keyd_dispatch(k, &imsg, netd) != 0)
				fatalx("bad request from netd: type %u (%s) "
				    "size %u", imsg.hdr.type,
				    ipc_type_name(imsg.hdr.type),
				    imsg.hdr.len);
		}
		if (rc == -1)
			fatalx("malformed frame from netd");
		if (ipc_write(netd) == -1)
			fatal("writing to netd");
	}
}

int
main(int argc, char *argv[])
{
	struct keyd_config	 cfg;
	struct ipc_chan		 parent, netd;
	struct keyd		 k;
	const char		*err;
	char			*secret;
	size_t			 len;
	int			 ch, verbose = 0;

	/* Before the channels are looked for: -h and -V need none. */
	while ((ch = getopt_long(argc, argv, "hVv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(0);
		case 'V':
			printf("rmb-keyd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	log_init(1, verbose);
	log_procinit("rmb-keyd");

	if (fcntl(PARENT_FILENO, F_GETFD) == -1 ||
	    fcntl(SIBLING_FILENO, F_GETFD) == -1)
		fatalx("started without its channels; rmb-peer starts it");
	if (sodium_init() < 0 || e2e_init() != 0)
		fatalx("cannot initialise the crypto libraries");
	if (keyd_init(&k) != 0 || ipc_init(&parent, PARENT_FILENO) != 0 ||
	    ipc_init(&netd, SIBLING_FILENO) != 0)
		fatal("keyd_init");
	memset(&cfg, 0, sizeof(cfg));
	read_config(&k, &parent, &cfg);

	if ((secret = sodium_malloc(SECRET_MAX_TEXT + 1)) == NULL)
		fatal("sodium_malloc");
	len = read_secret(&cfg, secret, SECRET_MAX_TEXT + 1);
	if (keyd_set_secret(&k, (enum key_type)cfg.key_type, secret, len,
	    &err) != 0)
		fatalx("invalid secret: %s", err);
	sodium_free(secret);		/* wipes it */

	keyd_jail(cfg.jail[0] != '\0' ? cfg.jail : NULL,
	    cfg.user[0] != '\0' ? cfg.user : NULL);
	if (fcntl(netd.fd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(parent.fd, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
	if (keyd_seccomp_install() != 0)
		fatalx("cannot install the seccomp filter");
	log_info("ready: %s account, twin not set yet",
	    key_type_name(k.s->id.type));
	loop(&k, &parent, &netd);
	/* Wiping is all there is to do: exit(3) would run more code. */
	sodium_memzero(k.s, sizeof(*k.s));
	_exit(0);
}
