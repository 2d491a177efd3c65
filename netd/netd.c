/* SPDX-License-Identifier: ISC */
/*
 * rmb-netd: start-up and the loop.  The parent execs us with its channel
 * on PARENT_FILENO, keyd's on SIBLING_FILENO and apid's on
 * NETD_APID_FILENO.  We read one configuration message, learn our
 * identity from keyd, open the twin directory (the twin file, or the
 * chain), create the WebSocket context, drop privileges, install the
 * seccomp filter, find our twin (and with the chain bring it up to
 * date), and only then connect to the relays and take work from apid.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <sodium.h>

#include "chainrpc.h"
#include "e2e.h"
#include "identity.h"
#include "ipc_apid.h"
#include "ipc_types.h"
#include "log.h"
#include "netd.h"
#include "privdrop.h"
#include "ss58.h"
#include "twindir.h"

#if defined(__SANITIZE_ADDRESS__)
const char	*__asan_default_options(void);

/* LeakSanitizer traces the process at exit, which the filter forbids. */
const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

struct netd_config {
	size_t		nrelays;
	char		relay[NETD_RELAYS_MAX][NETD_URL_MAX + 1];
	struct netd_url	url[NETD_RELAYS_MAX];
	size_t		nsubstrate;
	char		substrate[NETD_SUBSTRATE_MAX][NETD_URL_MAX + 1];
	char		twins[PATH_MAX];
	uint32_t	no_update;
	char		user[NETD_USER_MAX + 1];
	uint32_t	verbose;
	uint32_t	twin_cache;
	uint32_t	twin_ttl;
};

static struct {
	struct ev_loop	*loop;
	struct ipc_chan	 parent;
	struct ipc_chan	 apid;
	ev_io		 parent_rd, apid_rd, apid_wr;
	ev_timer	 tick, credit_timer;
	struct twindir	 twins;
	struct chainrpc	*chain;		/* NULL: the twin file */
	uint32_t	 credit;	/* OUT_* apid may still send */
	uint32_t	 owed;		/* finished, not granted again yet */
	int		 paused;	/* relay reading is off */
} nd;

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
	    "usage: rmb-netd [-hV]\n"
	    "  -h, --help     print this help and exit\n"
	    "  -V, --version  print the version and exit\n"
	    "rmb-netd is started by rmb-peer(8), which passes its channels "
	    "and its log level;\nsee rmb-netd(8).\n");
	exit(code);
}

uint64_t
netd_now(void)
{
	return (uint64_t)time(NULL);
}

static uint64_t
mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

void
netd_twin_lookup(uint32_t id, netd_twin_cb cb, void *arg)
{
	twindir_lookup(&nd.twins, id, mono(), cb, arg);
}

void
netd_twin_forget(uint32_t id)
{
	twindir_forget(&nd.twins, id);
}

static void
apid_update_write(void)
{
	if (ipc_pending(&nd.apid) > 0)
		ev_io_start(nd.loop, &nd.apid_wr);
	else
		ev_io_stop(nd.loop, &nd.apid_wr);
}

int
netd_apid_send(struct ipc_buf *b)
{
	if (ipc_close(&nd.apid, b) == -1)
		return -1;
	apid_update_write();
	netd_flow_update();
	return 0;
}

void
netd_flow_update(void)
{
	size_t	busy = netd_proto_busy(), queued = ipc_pending(&nd.apid);

	if (!nd.paused && (busy >= NETD_IN_MAX ||
	    queued > NETD_APID_QUEUE_MAX)) {
		nd.paused = 1;
		log_debug("relay reading paused: %zu envelope(s) in progress, "
		    "%zu bytes for apid", busy, queued);
		netd_relay_rx(0);
	} else if (nd.paused && busy <= NETD_IN_MAX / 2 &&
	    queued <= NETD_APID_QUEUE_MAX / 2) {
		nd.paused = 0;
		log_debug("relay reading resumed");
		netd_relay_rx(1);
	}
}

static void
credit_grant(uint32_t n)
{
	struct ipc_netd_credit	c = { n };

	if (ipc_put_netd_credit(&nd.apid, &c) == -1)
		fatal("granting credit to apid");
	nd.credit += n;
	apid_update_write();
}

static void
credit_flush(void)
{
	ev_timer_stop(nd.loop, &nd.credit_timer);
	if (nd.owed == 0)
		return;
	credit_grant(nd.owed);
	nd.owed = 0;
}

void
netd_credit_return(void)
{
	nd.owed++;
	if (nd.owed >= NETD_CREDIT_BATCH)
		credit_flush();
	else if (!ev_is_active(&nd.credit_timer)) {
		ev_timer_set(&nd.credit_timer, NETD_CREDIT_DELAY, 0.);
		ev_timer_start(nd.loop, &nd.credit_timer);
	}
}

static void
credit_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	credit_flush();
}

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	netd_proto_tick();
}

static void
apid_dispatch(const struct ipc_msg *imsg)
{
	switch (imsg->hdr.type) {
	case IPC_NETD_OUT_REQUEST:
	case IPC_NETD_OUT_RESPONSE:
		/* Credit is what bounds our work: going past it is a bug. */
		if (nd.credit == 0)
			fatalx("apid sent %s beyond its credit",
			    ipc_type_name(imsg->hdr.type));
		nd.credit--;
		if (netd_proto_out(imsg) == -1)
			fatalx("malformed %s from apid (size %u)",
			    ipc_type_name(imsg->hdr.type), imsg->hdr.len);
		break;
	default:
		fatalx("unexpected message from apid: type %u (%s) size %u",
		    imsg->hdr.type, ipc_type_name(imsg->hdr.type),
		    imsg->hdr.len);
	}
}

static void
apid_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ipc_msg	imsg;
	ssize_t		n;
	int		rc;

	(void)loop;
	(void)w;
	(void)revents;
	if ((n = ipc_read(&nd.apid)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fatal("reading from apid");
	}
	if (n == 0) {
		/* A sibling goes first when the parent stops us all. */
		if (ipc_peer_gone(PARENT_FILENO, 500)) {
			log_debug("the parent is gone");
			exit(0);
		}
		fatalx("apid closed its channel");
	}
	while ((rc = ipc_next(&nd.apid, &imsg)) == 1)
		apid_dispatch(&imsg);
	if (rc == -1)
		fatalx("malformed frame from apid");
}

static void
apid_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (ipc_write(&nd.apid) == -1)
		fatal("writing to apid");
	apid_update_write();
	netd_flow_update();
}

/* The parent only ever closes: that is our cue to go. */
static void
parent_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	ssize_t	n;

	(void)loop;
	(void)w;
	(void)revents;
	if ((n = ipc_read(&nd.parent)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		/* A parent that ended before reading our ready message. */
		if (errno == ECONNRESET)
			n = 0;
		else
			fatal("reading from the parent");
	}
	if (n == 0) {
		log_debug("the parent is gone");
		exit(0);
	}
	fatalx("unexpected data from the parent (size %zd)", n);
}

/* Waits for the one configuration frame; anything else is fatal. */
static void
read_config(struct netd_config *c)
{
	struct pollfd	 pfd;
	struct ipc_msg	 imsg;
	struct ipc_rd	 rd;
	const char	*why;
	uint32_t	 n, i;
	ssize_t		 r;
	int		 got;

	while ((got = ipc_next(&nd.parent, &imsg)) == 0) {
		pfd.fd = nd.parent.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			fatal("poll");
		if ((r = ipc_read(&nd.parent)) == -1 && errno != EINTR &&
		    errno != EAGAIN)
			fatal("reading the configuration");
		if (r == 0)
			fatalx("the parent closed before sending the "
			    "configuration");
	}
	if (got == -1 || imsg.hdr.type != IPC_NETD_CONFIG)
		fatalx("expected the configuration from the parent, got "
		    "type %u size %u", imsg.hdr.type, imsg.hdr.len);
	ipc_rd_init(&rd, &imsg);
	if (ipc_get_u32(&rd, &n) == -1)
		fatalx("malformed configuration (size %u)", imsg.hdr.len);
	if (n == 0 || n > NETD_RELAYS_MAX)
		fatalx("configuration: %u relays; 1 to %d are allowed", n,
		    NETD_RELAYS_MAX);
	c->nrelays = n;
	for (i = 0; i < n; i++) {
		if (ipc_get_str(&rd, c->relay[i], sizeof(c->relay[i])) == -1)
			fatalx("configuration: relay URL %u is malformed or "
			    "too long", i + 1);
		if (netd_url_parse(&c->url[i], c->relay[i], &why) == -1)
			fatalx("configuration: relay URL \"%s\": %s",
			    c->relay[i], why);
	}
	if (ipc_get_u32(&rd, &n) == -1 || n > NETD_SUBSTRATE_MAX)
		fatalx("malformed configuration (size %u)", imsg.hdr.len);
	c->nsubstrate = n;
	for (i = 0; i < n; i++)
		if (ipc_get_str(&rd, c->substrate[i],
		    sizeof(c->substrate[i])) == -1)
			fatalx("configuration: substrate URL %u is malformed "
			    "or too long", i + 1);
	if (ipc_get_str(&rd, c->twins, sizeof(c->twins)) == -1 ||
	    ipc_get_u32(&rd, &c->no_update) == -1 ||
	    ipc_get_str(&rd, c->user, sizeof(c->user)) == -1 ||
	    ipc_get_u32(&rd, &c->verbose) == -1 ||
	    ipc_get_u32(&rd, &c->twin_cache) == -1 ||
	    ipc_get_u32(&rd, &c->twin_ttl) == -1 ||
	    ipc_get_end(&rd) != 0)
		fatalx("malformed configuration (size %u)", imsg.hdr.len);
	if (c->twin_cache == 0 || c->twin_cache > TWINCACHE_MAX ||
	    c->twin_ttl == 0)
		fatalx("configuration: twin cache of %u for %u s", c->twin_cache,
		    c->twin_ttl);
}

static void
identity(uint8_t account[ACCOUNT_BYTES], uint32_t *key_type,
    uint8_t pk[E2E_PK_MAX_BYTES], size_t *pklen)
{
	struct ipc_msg	 reply;
	struct ipc_rd	 rd;
	const uint8_t	*acc, *p;
	size_t		 alen;

	netd_keyd_sync(netd_keyd_new(IPC_KEYD_IDENTITY, 0),
	    IPC_KEYD_IDENTITY, &reply, &rd);
	if (ipc_get_u32(&rd, key_type) == -1 ||
	    ipc_get_bytes(&rd, &acc, &alen, ACCOUNT_BYTES) == -1 ||
	    alen != ACCOUNT_BYTES ||
	    ipc_get_bytes(&rd, &p, pklen, E2E_PK_MAX_BYTES) == -1 ||
	    ipc_get_end(&rd) != 0)
		fatalx("malformed KEYD_IDENTITY from keyd");
	memcpy(account, acc, ACCOUNT_BYTES);
	memcpy(pk, p, *pklen);
}

static void
set_twin(uint32_t twin)
{
	struct ipc_msg	 reply;
	struct ipc_rd	 rd;
	struct ipc_buf	*b;

	b = netd_keyd_new(IPC_KEYD_SET_TWIN, sizeof(twin));
	ipc_put_u32(b, twin);
	netd_keyd_sync(b, IPC_KEYD_SET_TWIN, &reply, &rd);
	if (ipc_get_end(&rd) != 0)
		fatalx("malformed KEYD_SET_TWIN from keyd");
}

/*
 * The chain's relay field as keyd writes it: the hosts of our relay URLs
 * in order, lower case, each once.  Returns how many.
 */
static size_t
relay_domains(const struct netd_config *c,
    char dom[NETD_RELAYS_MAX][NETD_HOST_MAX + 1])
{
	size_t	i, j, n = 0;
	char	*p;

	for (i = 0; i < c->nrelays; i++) {
		memcpy(dom[n], c->url[i].host, sizeof(dom[n]));
		for (p = dom[n]; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		for (j = 0; j < n; j++)
			if (strcmp(dom[j], dom[n]) == 0)
				break;
		if (j == n)
			n++;
	}
	return n;
}

/* The twin directory over the chain; libcurl is set up before the drop. */
static void
open_chain(const struct netd_config *c)
{
	const char	*urls[NETD_SUBSTRATE_MAX];
	char		 err[512];
	size_t		 i;

	for (i = 0; i < c->nsubstrate; i++)
		urls[i] = c->substrate[i];
	if ((nd.chain = chainrpc_new(nd.loop, urls, c->nsubstrate, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if (twindir_open_chain(&nd.twins, nd.chain, c->twin_cache,
	    c->twin_ttl, err, sizeof(err)) == -1)
		fatalx("%s", err);
}

/*
 * keyd has answered and the twin is known: what the parent waits for,
 * with apid's word, before it tells the service manager we are up.  A
 * parent gone meanwhile is seen by parent_read_cb().
 */
static void
tell_ready(uint32_t twin)
{
	if (ipc_compose(&nd.parent, IPC_PEER_READY, 0, &twin,
	    sizeof(twin)) == -1 || ipc_flush(&nd.parent) == -1)
		log_warn("telling the parent we are ready");
}

static void
nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("fcntl");
}

int
main(int argc, char *argv[])
{
	static struct netd_config	 cfg;
	static char			 dom[NETD_RELAYS_MAX][NETD_HOST_MAX + 1];
	const char			*domp[NETD_RELAYS_MAX];
	struct netd_chain_conf		 cc;
	uint8_t				 account[ACCOUNT_BYTES];
	uint8_t				 pk[E2E_PK_MAX_BYTES];
	char				 ss58[SS58_ADDR_SIZE], err[512];
	uint32_t			 key_type, twin = 0;
	size_t				 i, ndom, pklen;
	int				 ch, rv;

	/* Before the channels are looked for: -h and -V need none. */
	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
		case 'V':
			printf("rmb-netd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	log_init(1, 0);
	log_procinit("rmb-netd");

	if (fcntl(PARENT_FILENO, F_GETFD) == -1 ||
	    fcntl(SIBLING_FILENO, F_GETFD) == -1 ||
	    fcntl(NETD_APID_FILENO, F_GETFD) == -1)
		fatalx("started without its channels; rmb-peer starts it");
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		fatalx("cannot initialise libsodium");
	nonblock(PARENT_FILENO);
	nonblock(SIBLING_FILENO);
	nonblock(NETD_APID_FILENO);
	if (ipc_init(&nd.parent, PARENT_FILENO) == -1 ||
	    ipc_init(&nd.apid, NETD_APID_FILENO) == -1)
		fatal("ipc_init");
	netd_keyd_init(SIBLING_FILENO);

	read_config(&cfg);
	log_setverbose((int)cfg.verbose);
	if (cfg.twins[0] == '\0' && cfg.nsubstrate == 0)
		fatalx("no twin source: give a substrate URL or a twin file");
	identity(account, &key_type, pk, &pklen);
	if (ss58_encode(ss58, sizeof(ss58), account) == -1)
		fatalx("cannot encode our account");
	if ((nd.loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("libev: no event loop");

	if (cfg.twins[0] != '\0') {
		if (twindir_open_file(&nd.twins, cfg.twins, cfg.twin_cache,
		    cfg.twin_ttl, err, sizeof(err)) == -1)
			fatalx("%s", err);
		if ((rv = twindir_find(&nd.twins, account, &twin)) == -1)
			fatalx("cannot look up the twin of account %s", ss58);
		if (rv == 0)
			fatalx("no twin found on this network for account %s "
			    "(%s): a twin must be created first", ss58,
			    key_type_name((enum key_type)key_type));
	} else
		open_chain(&cfg);
	/* lws loads its libev plugin and the CA bundle here: before the drop. */
	netd_relay_init(nd.loop, (int)cfg.verbose);

	if (cfg.user[0] != '\0')
		privdrop_user(cfg.user);
	privdrop_harden();
	if (netd_sandbox() == -1)
		fatalx("seccomp: cannot install the filter");

	ev_io_init(&nd.parent_rd, parent_read_cb, PARENT_FILENO, EV_READ);
	ev_io_init(&nd.apid_rd, apid_read_cb, NETD_APID_FILENO, EV_READ);
	ev_io_init(&nd.apid_wr, apid_write_cb, NETD_APID_FILENO, EV_WRITE);
	ev_io_start(nd.loop, &nd.parent_rd);
	if (nd.chain != NULL) {
		ndom = relay_domains(&cfg, dom);
		for (i = 0; i < ndom; i++)
			domp[i] = dom[i];
		memset(&cc, 0, sizeof(cc));
		cc.dir = &nd.twins;
		cc.rpc = nd.chain;
		memcpy(cc.account, account, sizeof(cc.account));
		cc.pk = pk;
		cc.pklen = pklen;
		cc.domains = domp;
		cc.ndomains = ndom;
		cc.no_update = cfg.no_update != 0;
		twin = netd_chain_startup(nd.loop, &cc);
	}
	set_twin(twin);
	tell_ready(twin);
	ev_io_start(nd.loop, &nd.apid_rd);
	ev_timer_init(&nd.credit_timer, credit_cb, NETD_CREDIT_DELAY, 0.);
	ev_timer_init(&nd.tick, tick_cb, 1., 1.);
	ev_timer_start(nd.loop, &nd.tick);
	netd_keyd_start(nd.loop);
	netd_proto_init(twin);

	credit_grant(NETD_CREDIT);
	for (i = 0; i < cfg.nrelays; i++)
		netd_relay_add(cfg.relay[i], &cfg.url[i]);
	log_info("twin %u, account %s, %zu relay(s)", twin, ss58,
	    cfg.nrelays);
	ev_run(nd.loop, 0);
	return 0;
}
