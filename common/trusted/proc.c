/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "ipc_types.h"
#include "log.h"
#include "proc.h"

static const struct option longopts[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ "version",	no_argument,	NULL, 'V' },
	{ NULL,		0,		NULL, 0 }
};

static _Noreturn void
usage(const char *prog, int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: %s [-hVv]\n"
	    "  -v             log more; rmb-peer passes one for each -d\n"
	    "  -h, --help     print this help and exit\n"
	    "  -V, --version  print the version and exit\n"
	    "%s is started by rmb-peer(8), which passes its channels; "
	    "see %s(8).\n", prog, prog, prog);
	exit(code);
}

int
proc_start(const char *prog, int nfds, int argc, char *argv[])
{
	int	ch, fd, verbose = 0;

	while ((ch = getopt_long(argc, argv, "hVv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(prog, 0);
		case 'V':
			printf("%s %s\n", prog, PACKAGE_VERSION);
			exit(0);
		default:
			usage(prog, 2);
		}
	}
	if (optind != argc)
		usage(prog, 2);
	log_init(prog, verbose);
	/*
	 * A big message's memory goes back to the system once it is freed:
	 * glibc's own threshold would rise after the first and keep it.
	 * Failing (ASan's allocator takes no options) only costs memory.
	 * netd then keeps them in the heap and trims it (memtrim.h).
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	for (fd = PARENT_FILENO; fd < PARENT_FILENO + nfds; fd++)
		if (fcntl(fd, F_GETFD) == -1)
			fatalx("started without its channels; rmb-peer "
			    "starts it");
	signal(SIGPIPE, SIG_IGN);
	return verbose;
}

void
proc_config(struct ipc_chan *ib, uint32_t type, struct ipc_msg *m)
{
	ssize_t	n;
	int	rc;

	while ((rc = ipc_next(ib, m)) == 0) {
		if ((n = ipc_read(ib)) == 0)
			fatalx("the parent closed before sending the "
			    "configuration");
		if (n == -1 && errno != EINTR)
			fatal("reading the configuration");
	}
	if (rc == -1)
		fatalx("malformed frame from the parent");
	if (m->hdr.type != type)
		fatalx("expected the configuration from the parent, got "
		    "type %u size %u", m->hdr.type, m->hdr.len);
}

int
proc_parent_gone(struct ipc_chan *ib)
{
	ssize_t	n;

	if ((n = ipc_read(ib)) == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* ECONNRESET: a parent that ended before reading what we sent. */
	if (n == 0 || (n == -1 && errno == ECONNRESET)) {
		log_debug("the parent is gone");
		return 1;
	}
	if (n == -1)
		fatal("reading from the parent");
	fatalx("unexpected data from the parent (size %zd)", n);
}

/* The handler of type in h, or the end of h, which has none. */
static const struct proc_handler *
handler(const struct proc_handler *h, uint32_t type)
{
	while (h->fn != NULL && h->type != type)
		h++;
	return h;
}

int
proc_dispatch(const struct proc_handler *h, void *arg,
    const struct ipc_msg *m)
{
	h = handler(h, m->hdr.type);
	return h->fn != NULL ? h->fn(arg, m) : -1;
}

int
proc_drain(struct ipc_chan *ib, const char *peer,
    const struct proc_handler *h, void *arg)
{
	struct ipc_msg	m;
	ssize_t		n;
	int		rc;

	if ((n = ipc_read(ib)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 1;
		if (errno != ECONNRESET)
			fatal("reading from %s", peer);
	}
	if (n <= 0)
		return 0;
	while ((rc = ipc_next(ib, &m)) == 1)
		if (proc_dispatch(h, arg, &m) == -1)
			fatalx("bad message from %s: type %u (%s) size %u",
			    peer, m.hdr.type, handler(h, m.hdr.type)->name,
			    m.hdr.len);
	if (rc == -1)
		fatalx("malformed frame from %s", peer);
	return 1;
}
