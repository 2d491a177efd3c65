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
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bip39.h"
#include "keyd.h"
#include "log.h"

/*
 * Reads the whole secret into buf (cap bytes).  A file must be a regular
 * file that others cannot read, like an ssh key.
 */
static size_t
read_secret(const struct keyd_config *c, char *buf, size_t cap)
{
	struct stat	 st;
	char		 cred[PATH_MAX];
	const char	*dir, *path = c->path;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd = KEYD_SECRET_FILENO;

	if (c->source == KEYD_SECRET_FD)
		path = "the parent's pipe";
	else if (c->source == KEYD_SECRET_CREDENTIALS) {
		if ((dir = getenv("CREDENTIALS_DIRECTORY")) == NULL)
			fatalx("CREDENTIALS_DIRECTORY is not set");
		if ((size_t)snprintf(cred, sizeof(cred), "%s/mnemonic", dir) >=
		    sizeof(cred))
			fatalx("CREDENTIALS_DIRECTORY is too long");
		path = cred;
	} else if (path[0] == '\0')
		fatalx("no secret file is configured");
	if (c->source != KEYD_SECRET_FD) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
		    fstat(fd, &st) == -1)
			fatal("%s", path);
		if (!S_ISREG(st.st_mode))
			fatalx("%s: not a regular file", path);
		if (st.st_mode & (S_IRWXO))
			fatalx("%s: others may read it; chmod o-rwx it", path);
	}
	while (len < cap && (n = read(fd, buf + len, cap - len)) != 0) {
		if (n == -1 && errno != EINTR)
			fatal("reading the secret from %s", path);
		if (n > 0)
			len += (size_t)n;
	}
	if (len == cap)
		fatalx("the secret in %s is too long", path);
	close(fd);
	return len;
}

static void
loop(struct keyd *k, struct ipc_chan *parent, struct ipc_chan *netd)
{
	struct pollfd	pfd[2] = { { parent->fd, POLLIN, 0 },
			    { netd->fd, POLLIN, 0 } };

	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno != EINTR)
				fatal("poll");
			continue;
		}
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    proc_parent_gone(parent))
			return;
		/* netd goes first when the parent stops us all. */
		if ((pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    proc_drain(netd, "netd", keyd_verbs, k) == 0) {
			log_debug("netd closed its channel");
			return;
		}
		/*
		 * The replies to what that read brought, together.  The
		 * write may block: netd reads its end whenever it can and
		 * never blocks on keyd.
		 */
		if (ipc_flush(netd) == -1)
			fatal("writing to netd");
	}
}

int
main(int argc, char *argv[])
{
	static struct keyd_config	 cfg;
	struct ipc_chan			 parent, netd;
	struct ipc_msg			 m;
	struct keyd			 k;
	const char			*why;
	char				*secret;
	size_t				 len, at;

	proc_start("rmb-keyd", 2, argc, argv);
	if (sodium_init() < 0 || e2e_init() != 0)
		fatalx("cannot initialise the crypto libraries");
	if (keyd_init(&k) != 0 || ipc_init(&parent, PARENT_FILENO) != 0 ||
	    ipc_init(&netd, SIBLING_FILENO) != 0)
		fatal("keyd_init");
	k.out = &netd;
	proc_config(&parent, IPC_KEYD_CONFIG, &m);
	if (keyd_req_get(&m, IPC_KEYD_CONFIG, &cfg) == -1)
		fatalx("malformed configuration (size %u)", m.hdr.len);
	k.pallet = (uint8_t)cfg.pallet;
	k.call = (uint8_t)cfg.call;
	/* The field as the chain will judge it: refused here, not there. */
	len = strlen(cfg.relay);
	if (len > 0 && (why = twin_relay_check(cfg.relay, len, &at)) != NULL)
		fatalx("configuration: tfchain would refuse the relay field "
		    "\"%s\": %s", cfg.relay, why);
	memcpy(k.relay, cfg.relay, len + 1);

	if ((secret = sodium_malloc(SECRET_MAX_TEXT + 1)) == NULL)
		fatal("sodium_malloc");
	len = read_secret(&cfg, secret, SECRET_MAX_TEXT + 1);
	if (keyd_set_secret(&k, (enum key_type)cfg.key_type, secret, len,
	    &why) != 0)
		fatalx("invalid secret: %s", why);
	sodium_free(secret);		/* wipes it */

	keyd_jail(cfg.jail[0] != '\0' ? cfg.jail : NULL,
	    cfg.user[0] != '\0' ? cfg.user : NULL);
	if (keyd_seccomp_install() != 0)
		fatalx("cannot install the seccomp filter");
	log_info("ready: %s account, twin not set yet",
	    key_type_name(k.s->id.type));
	loop(&k, &parent, &netd);
	/* Wiping is all there is to do: exit(3) would run more code. */
	sodium_memzero(k.s, sizeof(*k.s));
	_exit(0);
}
