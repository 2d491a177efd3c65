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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>
#include <sodium.h>

#include "chainlisten.h"
#include "chainrpc.h"
#include "e2e.h"
#include "identity.h"
#include "ipc_apid.h"
#include "ipc_peer.h"
#include "ipc_types.h"
#include "log.h"
#include "memtrim.h"
#include "netd.h"
#include "privdrop.h"
#include "proc.h"
#include "ss58.h"
#include "twindir.h"

static struct {
	struct ev_loop	*loop;
	struct ipc_chan	 parent;
	struct ipc_chan	 apid;
	ev_io		 parent_rd, apid_rd, apid_wr;
	ev_prepare	 flush;
	ev_timer	 tick, credit_timer;
	struct twindir	 twins;
	struct chainrpc	*chain;		/* NULL: the twin file */
	struct chainlisten *events;	/* with the chain */
	uint32_t	 credit;	/* OUT_* apid may still send */
	uint32_t	 owed;		/* finished, not granted again yet */
	int		 paused;	/* relay reading is off */
} nd;

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

/*
 * What is queued for apid is written at the end of the loop pass, all
 * at once; the write watcher only runs while apid does not keep up.
 */
static void
apid_flush(void)
{
	if (ipc_pending(&nd.apid) > 0 && ipc_write(&nd.apid) == -1)
		fatal("writing to apid");
	if (ipc_pending(&nd.apid) > 0)
		ev_io_start(nd.loop, &nd.apid_wr);
	else
		ev_io_stop(nd.loop, &nd.apid_wr);
	netd_flow_update();
}

int
netd_apid_send(struct ipc_buf *b)
{
	if (ipc_close(&nd.apid, b) == -1)
		return -1;
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

/* OUT_REQUEST, OUT_RESPONSE: credit is what bounds our work. */
static int
apid_out(void *arg, const struct ipc_msg *imsg)
{
	(void)arg;
	if (nd.credit == 0)
		fatalx("apid sent %s beyond its credit",
		    ipc_type_name(imsg->hdr.type));
	nd.credit--;
	return netd_proto_out(imsg);
}

static const struct proc_handler from_apid[] = {
	PROC_HANDLER(IPC_NETD_OUT_REQUEST, apid_out),
	PROC_HANDLER(IPC_NETD_OUT_RESPONSE, apid_out),
	PROC_END
};

static void
apid_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	/* A sibling goes first when the parent stops us all. */
	if (proc_drain(&nd.apid, "apid", from_apid, NULL) == 0)
		proc_sibling_gone("apid");
}

static void
apid_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	apid_flush();
}

/*
 * Once per loop pass, after every callback and before the loop sleeps:
 * each pass reads what waits on every descriptor, and here writes what
 * that made, one write per channel rather than a watcher per message.
 * The relays go first: a frame they take may owe apid a SENT.
 */
static void
flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	netd_relay_flush();
	netd_keyd_flush();
	apid_flush();
}

static void
parent_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (proc_parent_gone(&nd.parent))
		exit(0);
}

/* The twin directory over the chain; libcurl is set up before the drop. */
static void
open_chain(const struct netd_config *c)
{
	const char	*urls[SUBSTRATES_MAX];
	char		 err[512];
	size_t		 i;

	for (i = 0; i < c->nsubstrates; i++)
		urls[i] = c->substrates[i];
	if ((nd.chain = chainrpc_new(nd.loop, urls, c->nsubstrates, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if (twindir_open_chain(&nd.twins, nd.chain, c->twin_cache,
	    c->twin_ttl, err, sizeof(err)) == -1)
		fatalx("%s", err);
}

/*
 * The events listener keeps the twins netd has cached true to the
 * finalized chain, as the relay's does (rmb-relay(8)); the TTL stays as
 * a bound.  The reference peer's catch-up threshold, 600 blocks.
 */
static void
start_events(void)
{
	struct chainlisten_conf	lc;

	memset(&lc, 0, sizeof(lc));
	lc.loop = nd.loop;
	lc.rpc = nd.chain;
	lc.dir = &nd.twins;
	lc.catchup = CHAINLISTEN_CATCHUP;
	lc.poll = CHAINLISTEN_POLL;
	lc.now = mono;
	if ((nd.events = chainlisten_start(&lc)) == NULL)
		fatal("events listener");
}

/*
 * keyd has answered and the twin is known: what the parent waits for,
 * with apid's word, before it tells the service manager we are up.  A
 * parent gone meanwhile is seen by parent_read_cb().
 */
static void
tell_ready(uint32_t twin)
{
	if (peer_ready_put(&nd.parent, &(struct peer_ready){ twin }) == -1 ||
	    ipc_flush(&nd.parent) == -1)
		log_warn("telling the parent we are ready");
}

/* The configuration, with each relay URL parsed. */
static void
read_config(struct netd_config *c, struct relay_url *u)
{
	struct ipc_msg	m;
	char		why[256];
	size_t		i;

	proc_config(&nd.parent, IPC_NETD_CONFIG, &m);
	if (netd_config_get(&m, c) == -1)
		fatalx("malformed configuration (size %u)", m.hdr.len);
	for (i = 0; i < c->nrelays; i++)
		if (relayurl_parse(&u[i], c->relays[i], why, sizeof(why)) == -1)
			fatalx("configuration: relay URL \"%s\": %s",
			    c->relays[i], why);
	if (c->twins[0] == '\0' && c->nsubstrates == 0)
		fatalx("no twin source: give a substrate URL or a twin file");
}

int
main(int argc, char *argv[])
{
	static struct netd_config	 cfg;
	static struct relay_url		 url[RELAYS_MAX];
	const char			*domp[RELAYS_MAX];
	struct netd_chain_conf		 cc;
	struct keyd_identity		 me;
	char				 ss58[SS58_ADDR_SIZE], err[512];
	uint32_t			 twin = 0;
	size_t				 i;
	int				 rv, verbose;

	verbose = proc_start("rmb-netd", 3, argc, argv);
	if (sodium_init() < 0)
		fatalx("cannot initialise libsodium");
	/*
	 * The parent's channel stays blocking until its configuration is
	 * read: proc_config() takes EAGAIN for a failure.
	 */
	if (proc_nonblock(SIBLING_FILENO) == -1 ||
	    proc_nonblock(NETD_APID_FILENO) == -1)
		fatal("O_NONBLOCK");
	if (ipc_init(&nd.parent, PARENT_FILENO) == -1 ||
	    ipc_init(&nd.apid, NETD_APID_FILENO) == -1)
		fatal("ipc_init");
	netd_keyd_init(SIBLING_FILENO);

	read_config(&cfg, url);
	if (proc_nonblock(PARENT_FILENO) == -1)
		fatal("O_NONBLOCK");
	netd_keyd_identity(&me);
	if (ss58_encode(ss58, sizeof(ss58), me.account) == -1)
		fatalx("cannot encode our account");
	if ((nd.loop = ev_default_loop(EVFLAG_AUTO)) == NULL)
		fatalx("libev: no event loop");
	memtrim_start(nd.loop, MEMTRIM_THRESHOLD);

	if (cfg.twins[0] != '\0') {
		if (twindir_open_file(&nd.twins, cfg.twins, cfg.twin_cache,
		    cfg.twin_ttl, err, sizeof(err)) == -1)
			fatalx("%s", err);
		if ((rv = twindir_find(&nd.twins, me.account, &twin)) == -1)
			fatalx("cannot look up the twin of account %s", ss58);
		if (rv == 0)
			fatalx("no twin found on this network for account %s "
			    "(%s): a twin must be created first", ss58,
			    key_type_name((enum key_type)me.key_type));
	} else
		open_chain(&cfg);
	/* lws loads its libev plugin and the CA bundle here: before the drop. */
	netd_relay_init(nd.loop, verbose);

	if (cfg.user[0] != '\0')
		privdrop(NULL, cfg.user);
	privdrop_harden();
	if (netd_sandbox() == -1)
		fatalx("seccomp: cannot install the filter");

	ev_io_init(&nd.parent_rd, parent_read_cb, PARENT_FILENO, EV_READ);
	ev_io_init(&nd.apid_rd, apid_read_cb, NETD_APID_FILENO, EV_READ);
	ev_io_init(&nd.apid_wr, apid_write_cb, NETD_APID_FILENO, EV_WRITE);
	ev_io_start(nd.loop, &nd.parent_rd);
	if (nd.chain != NULL) {
		/* The parent's list of our relay domains, as keyd has it. */
		for (i = 0; i < cfg.ndomains; i++)
			domp[i] = cfg.domains[i];
		memset(&cc, 0, sizeof(cc));
		cc.dir = &nd.twins;
		cc.rpc = nd.chain;
		memcpy(cc.account, me.account, sizeof(cc.account));
		cc.pk = me.pk;
		cc.pklen = sizeof(me.pk);
		cc.domains = domp;
		cc.ndomains = cfg.ndomains;
		cc.no_update = cfg.no_update != 0;
		twin = netd_chain_startup(nd.loop, &cc);
		start_events();
	}
	netd_keyd_set_twin(twin);
	tell_ready(twin);
	ev_io_start(nd.loop, &nd.apid_rd);
	ev_timer_init(&nd.credit_timer, credit_cb, NETD_CREDIT_DELAY, 0.);
	ev_timer_init(&nd.tick, tick_cb, 1., 1.);
	ev_timer_start(nd.loop, &nd.tick);
	ev_prepare_init(&nd.flush, flush_cb);
	ev_prepare_start(nd.loop, &nd.flush);
	netd_keyd_start(nd.loop);
	netd_proto_init(twin);

	credit_grant(NETD_CREDIT);
	for (i = 0; i < cfg.nrelays; i++)
		netd_relay_add(cfg.relays[i], &url[i]);
	log_info("twin %u, account %s, %zu relay(s)", twin, ss58,
	    cfg.nrelays);
	ev_run(nd.loop, 0);
	return 0;
}
