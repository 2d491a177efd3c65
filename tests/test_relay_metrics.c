/* SPDX-License-Identifier: ISC */
#include <errno.h>

#include "relay_metrics.h"
#include "tap.h"

static char	out[1 << 20];

/* Renders m and compares it with want, showing both when they differ. */
static int
is_text(const struct relay_metrics *m, const char *want, const char *name)
{
	int	n, r;

	n = relay_metrics_render(m, out, sizeof(out));
	r = ok(n >= 0 && (size_t)n == strlen(want) && strcmp(out, want) == 0,
	    "%s", name);
	if (!r)
		diag("got (%d)\n%s\n# want\n%s", n, n >= 0 ? out : "", want);
	return r;
}

static const char fresh[] =
	"# HELP relay_build_info the version of this relay\n"
	"# TYPE relay_build_info gauge\n"
	"relay_build_info{version=\"" PACKAGE_VERSION "\"} 1\n"
	"# HELP relay_message_rx number of messages received by relay\n"
	"# TYPE relay_message_rx counter\n"
	"relay_message_rx 0\n"
	"# HELP relay_message_rx_bytes size of messages received by relay "
	"in bytes\n"
	"# TYPE relay_message_rx_bytes counter\n"
	"relay_message_rx_bytes 0\n"
	"# HELP relay_message_tx number of messages forwarded by relay\n"
	"# TYPE relay_message_tx counter\n"
	"relay_message_tx 0\n"
	"# HELP relay_message_tx_bytes size of messages forwarded by relay "
	"in bytes\n"
	"# TYPE relay_message_tx_bytes counter\n"
	"relay_message_tx_bytes 0\n"
	"# HELP relay_stream_read_bytes_total bytes of envelopes read from "
	"session streams, an entry read again counted again\n"
	"# TYPE relay_stream_read_bytes_total counter\n"
	"relay_stream_read_bytes_total 0\n"
	"# HELP rmb_cache_entries Current number of entries in the twin "
	"cache\n"
	"# TYPE rmb_cache_entries gauge\n"
	"rmb_cache_entries 0\n"
	"# HELP rmb_cache_flushes_total Number of times the twin cache has "
	"been flushed\n"
	"# TYPE rmb_cache_flushes_total counter\n"
	"rmb_cache_flushes_total 0\n"
	"# HELP rmb_cache_misses_total Number of cache misses when fetching "
	"twins (RPC fallback likely)\n"
	"# TYPE rmb_cache_misses_total counter\n"
	"rmb_cache_misses_total 0\n";

static const char small[] =
	"# HELP federation_message_error number of messages that failed to "
	"send via federation\n"
	"# TYPE federation_message_error counter\n"
	"federation_message_error{relay=\"relay.dev.grid.tf\"} 1\n"
	"# HELP federation_message_success number of messages send "
	"successfully via federation\n"
	"# TYPE federation_message_success counter\n"
	"federation_message_success{relay=\"r1.example\"} 1\n"
	"federation_message_success{relay=\"relay.grid.tf\"} 2\n"
	"# HELP process_cpu_seconds_total Total user and system CPU time "
	"spent in seconds.\n"
	"# TYPE process_cpu_seconds_total counter\n"
	"process_cpu_seconds_total 12\n"
	"# HELP process_max_fds Maximum number of open file descriptors.\n"
	"# TYPE process_max_fds gauge\n"
	"process_max_fds 524288\n"
	"# HELP process_open_fds Number of open file descriptors.\n"
	"# TYPE process_open_fds gauge\n"
	"process_open_fds 17\n"
	"# HELP process_resident_memory_bytes Resident memory size in "
	"bytes.\n"
	"# TYPE process_resident_memory_bytes gauge\n"
	"process_resident_memory_bytes 8388608\n"
	"# HELP process_start_time_seconds Start time of the process since "
	"unix epoch in seconds.\n"
	"# TYPE process_start_time_seconds gauge\n"
	"process_start_time_seconds 1700000000\n"
	"# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
	"# TYPE process_virtual_memory_bytes gauge\n"
	"process_virtual_memory_bytes 134217728\n"
	"# HELP relay_build_info the version of this relay\n"
	"# TYPE relay_build_info gauge\n"
	"relay_build_info{version=\"" PACKAGE_VERSION "\"} 1\n"
	"# HELP relay_message_rx number of messages received by relay\n"
	"# TYPE relay_message_rx counter\n"
	"relay_message_rx 3\n"
	"# HELP relay_message_rx_bytes size of messages received by relay "
	"in bytes\n"
	"# TYPE relay_message_rx_bytes counter\n"
	"relay_message_rx_bytes 300\n"
	"# HELP relay_message_tx number of messages forwarded by relay\n"
	"# TYPE relay_message_tx counter\n"
	"relay_message_tx 2\n"
	"# HELP relay_message_tx_bytes size of messages forwarded by relay "
	"in bytes\n"
	"# TYPE relay_message_tx_bytes counter\n"
	"relay_message_tx_bytes 18446744073709551615\n"
	"# HELP relay_session_evictions_total Total number of session "
	"evictions from the relay, labeled by reason\n"
	"# TYPE relay_session_evictions_total counter\n"
	"relay_session_evictions_total{reason=\"back_pressure_timeout\"} 1\n"
	"relay_session_evictions_total{reason=\"closed\"} 5\n"
	"# HELP relay_stream_read_bytes_total bytes of envelopes read from "
	"session streams, an entry read again counted again\n"
	"# TYPE relay_stream_read_bytes_total counter\n"
	"relay_stream_read_bytes_total 0\n"
	"# HELP relay_worker_connections number of connections handled by "
	"this worker\n"
	"# TYPE relay_worker_connections gauge\n"
	"relay_worker_connections{worker=\"0\"} 4\n"
	"relay_worker_connections{worker=\"2\"} -1\n"
	"# HELP rmb_cache_entries Current number of entries in the twin "
	"cache\n"
	"# TYPE rmb_cache_entries gauge\n"
	"rmb_cache_entries 42\n"
	"# HELP rmb_cache_flushes_total Number of times the twin cache has "
	"been flushed\n"
	"# TYPE rmb_cache_flushes_total counter\n"
	"rmb_cache_flushes_total 1\n"
	"# HELP rmb_cache_misses_total Number of cache misses when fetching "
	"twins (RPC fallback likely)\n"
	"# TYPE rmb_cache_misses_total counter\n"
	"rmb_cache_misses_total 7\n";

static void
test_exact(void)
{
	struct relay_metrics	m;
	struct relay_proc_stats	p = { 12, 17, 524288, 134217728, 8388608,
				    1700000000 };

	ok(relay_metrics_init(&m, RELAY_METRICS_WORKERS_MAX + 1) == -1 &&
	    errno == EINVAL, "too many workers are refused");
	relay_metrics_init(&m, 0);
	is_text(&m, fresh, "exact: a fresh registry, no workers");
	relay_metrics_free(&m);

	relay_metrics_init(&m, 3);
	relay_metrics_add(&m, RELAY_M_RX, 1);
	relay_metrics_add(&m, RELAY_M_RX, 2);
	relay_metrics_add(&m, RELAY_M_RX_BYTES, 300);
	relay_metrics_add(&m, RELAY_M_TX, 2);
	relay_metrics_add(&m, RELAY_M_TX_BYTES, UINT64_MAX);
	relay_metrics_add(&m, RELAY_M_CACHE_MISSES, 7);
	relay_metrics_add(&m, RELAY_M_CACHE_FLUSHES, 1);
	relay_metrics_cache_entries(&m, 42);
	relay_metrics_evict(&m, RELAY_M_EVICT_CLOSED, 2);
	relay_metrics_evict(&m, RELAY_M_EVICT_CLOSED, 3);
	relay_metrics_evict(&m, RELAY_M_EVICT_BACK_PRESSURE, 1);
	relay_metrics_fed(&m, RELAY_M_FED_SUCCESS, "relay.grid.tf");
	relay_metrics_fed(&m, RELAY_M_FED_SUCCESS, "r1.example");
	relay_metrics_fed(&m, RELAY_M_FED_SUCCESS, "relay.grid.tf");
	relay_metrics_fed(&m, RELAY_M_FED_ERROR, "relay.dev.grid.tf");
	relay_metrics_worker_set(&m, 0, 3);
	relay_metrics_worker_add(&m, 0, 1);
	relay_metrics_worker_add(&m, 2, -1);
	relay_metrics_process(&m, &p);
	is_text(&m, small, "exact: a small registry");
	ok(relay_metrics_worker_set(&m, 3, 1) == -1 &&
	    relay_metrics_worker_add(&m, 3, 1) == -1,
	    "workers: no worker 3 of 3");
	relay_metrics_free(&m);
}

/* The shared twin cache's results and the chain reads, rmb-relay's own. */
static void
test_shared(void)
{
	struct relay_metrics	m;

	relay_metrics_init(&m, 0);
	relay_metrics_set(&m, RELAY_M_CHAIN_READS, 9);
	ok(relay_metrics_render(&m, out, sizeof(out)) > 0 &&
	    strstr(out, "relay_twin_") == NULL,
	    "shared: nothing shown with no chain and no shared lookup");
	m.has_chain = 1;
	relay_metrics_shared(&m, RELAY_M_SHARE_TIMEOUT, 1);
	relay_metrics_shared(&m, RELAY_M_SHARE_HIT, 2);
	relay_metrics_shared(&m, RELAY_M_SHARE_HIT, 1);
	relay_metrics_shared(&m, RELAY_M_SHARE_BAD, 1);
	ok(relay_metrics_render(&m, out, sizeof(out)) > 0 &&
	    strstr(out, "relay_session_evictions_total") == NULL &&
	    strstr(out, "relay_stream_read_bytes_total 0\n"
	    "# HELP relay_twin_chain_reads_total number of twin reads sent to "
	    "tfchain\n"
	    "# TYPE relay_twin_chain_reads_total counter\n"
	    "relay_twin_chain_reads_total 9\n"
	    "# HELP relay_twin_shared_total lookups in the twin cache shared "
	    "in redis, labeled by result\n"
	    "# TYPE relay_twin_shared_total counter\n"
	    "relay_twin_shared_total{result=\"bad\"} 1\n"
	    "relay_twin_shared_total{result=\"hit\"} 3\n"
	    "relay_twin_shared_total{result=\"timeout\"} 1\n"
	    "# HELP rmb_cache_entries") != NULL,
	    "shared: chain reads, then the results seen, by label");
	relay_metrics_free(&m);
}

static void
test_escape(void)
{
	struct relay_metrics	m;
	int			n;

	relay_metrics_init(&m, 0);
	relay_metrics_fed(&m, RELAY_M_FED_ERROR, "a\"b\\c\nd");
	relay_metrics_fed(&m, RELAY_M_FED_ERROR, "plain");
	relay_metrics_fed(&m, RELAY_M_FED_ERROR, "");
	n = relay_metrics_render(&m, out, sizeof(out));
	ok(n > 0 && strstr(out, "\nfederation_message_error"
	    "{relay=\"a\\\"b\\\\c\\nd\"} 1\n") != NULL,
	    "escape: backslash, double quote and newline");
	ok(strstr(out, "# TYPE federation_message_error counter\n"
	    "federation_message_error{relay=\"\"} 1\n"
	    "federation_message_error{relay=\"a\\\"b\\\\c\\nd\"} 1\n"
	    "federation_message_error{relay=\"plain\"} 1\n") != NULL,
	    "escape: series sorted by the raw label value");
	ok(strstr(out, "federation_message_success") == NULL,
	    "escape: the success family has no series, so it is left out");
	relay_metrics_free(&m);
}

static void
test_increase(void)
{
	struct relay_metrics	m;
	int			i, good = 1;
	char			want[64];

	relay_metrics_init(&m, 1);
	for (i = 1; i <= 5; i++) {
		relay_metrics_add(&m, RELAY_M_RX, 1);
		relay_metrics_add(&m, RELAY_M_RX_BYTES, 100);
		relay_metrics_fed(&m, RELAY_M_FED_SUCCESS, "relay.grid.tf");
		relay_metrics_evict(&m, RELAY_M_EVICT_CANCELLED, 1);
		relay_metrics_render(&m, out, sizeof(out));
		snprintf(want, sizeof(want), "\nrelay_message_rx %d\n", i);
		good &= strstr(out, want) != NULL;
		snprintf(want, sizeof(want), "\nrelay_message_rx_bytes %d\n",
		    100 * i);
		good &= strstr(out, want) != NULL;
		snprintf(want, sizeof(want), "{relay=\"relay.grid.tf\"} %d\n",
		    i);
		good &= strstr(out, want) != NULL;
		snprintf(want, sizeof(want), "{reason=\"cancelled\"} %d\n", i);
		good &= strstr(out, want) != NULL;
	}
	ok(good, "increase: counters go up by what is added, scrape by scrape");
	relay_metrics_free(&m);
}

static void
test_workers(void)
{
	struct relay_metrics	m;
	const char		*p;
	int			good = 1;
	static const char	*order[] = { "0", "1", "10", "11", "2", "3",
				    "4", "5", "6", "7", "8", "9" };
	size_t			i;
	char			want[64];

	relay_metrics_init(&m, 12);
	relay_metrics_render(&m, out, sizeof(out));
	ok(strstr(out, "relay_worker_connections") == NULL,
	    "workers: an idle registry shows no worker series");
	relay_metrics_worker_set(&m, 10, 2);
	relay_metrics_render(&m, out, sizeof(out));
	ok(strstr(out, "# TYPE relay_worker_connections gauge\n"
	    "relay_worker_connections{worker=\"10\"} 2\n# HELP") != NULL,
	    "workers: only the one that holds sessions");
	relay_metrics_worker_set(&m, 10, 0);
	m.all_workers = 1;
	relay_metrics_render(&m, out, sizeof(out));
	p = out;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		snprintf(want, sizeof(want),
		    "relay_worker_connections{worker=\"%s\"} 0\n", order[i]);
		if ((p = strstr(p, want)) == NULL) {
			good = 0;
			break;
		}
	}
	ok(good, "workers: all of them when asked, in label order");
	relay_metrics_free(&m);
}

/* The longest label, all but three of its bytes needing escapes. */
static void
label_of(char *dn, int i)
{
	snprintf(dn, 4, "%03u", (unsigned int)i % 1000);
	memset(dn + 3, '"', RELAY_METRICS_LABEL_MAX - 3);
	dn[RELAY_METRICS_LABEL_MAX] = '\0';
}

static void
test_bounds(void)
{
	struct relay_metrics	m;
	char			dn[RELAY_METRICS_LABEL_MAX + 2];
	size_t			cap, bound;
	int			i, n, good = 1;
	char			*buf;
	struct relay_proc_stats	p;

	relay_metrics_init(&m, 3);
	relay_metrics_fed(&m, RELAY_M_FED_ERROR, "relay.grid.tf");
	relay_metrics_evict(&m, RELAY_M_EVICT_CLOSED, 1);
	n = relay_metrics_render(&m, out, sizeof(out));
	for (cap = 0; cap <= (size_t)n; cap++) {
		if ((buf = malloc(cap == 0 ? 1 : cap)) == NULL)
			abort();
		errno = 0;
		good &= relay_metrics_render(&m, buf, cap) == -1 &&
		    errno == ENOBUFS;
		free(buf);
	}
	ok(good, "render: every cap up to the length is refused");
	if ((buf = malloc((size_t)n + 1)) == NULL)
		abort();
	ok(relay_metrics_render(&m, buf, (size_t)n + 1) == n &&
	    strcmp(buf, out) == 0, "render: length + 1 is enough");
	free(buf);
	relay_metrics_free(&m);

	relay_metrics_init(&m, RELAY_METRICS_WORKERS_MAX);
	for (i = 0; i < RELAY_METRICS_DOMAINS; i++) {
		label_of(dn, i);
		good &= relay_metrics_fed(&m, RELAY_M_FED_SUCCESS, dn) == 0;
		good &= relay_metrics_fed(&m, RELAY_M_FED_ERROR, dn) == 0;
	}
	ok(good && m.ndoms == RELAY_METRICS_DOMAINS,
	    "bounds: %d relay label values", RELAY_METRICS_DOMAINS);
	ok(relay_metrics_fed(&m, RELAY_M_FED_ERROR, "one.too.many") == -1 &&
	    m.dropped == 1 &&
	    relay_metrics_fed(&m, RELAY_M_FED_ERROR, "000") == -1 &&
	    m.dropped == 2,
	    "bounds: a new relay past them is dropped and counted");
	label_of(dn, 7);
	ok(relay_metrics_fed(&m, RELAY_M_FED_ERROR, dn) == 0 &&
	    m.doms[7].value[RELAY_M_FED_ERROR] == 2,
	    "bounds: a known one is still counted");
	memset(&p, 0xff, sizeof(p));
	relay_metrics_process(&m, &p);
	for (i = 0; i < RELAY_METRICS_WORKERS_MAX; i++)
		relay_metrics_worker_set(&m, (unsigned int)i, INT64_MIN);
	relay_metrics_cache_entries(&m, INT64_MIN);
	for (i = 0; i < RELAY_M_NCOUNTERS; i++)
		relay_metrics_add(&m, i, UINT64_MAX);
	for (i = 0; i < RELAY_M_NEVICT; i++)
		relay_metrics_evict(&m, i, UINT64_MAX);
	for (i = 0; i < RELAY_M_NSHARE; i++)
		relay_metrics_shared(&m, i, UINT64_MAX);
	m.has_chain = 1;
	bound = relay_metrics_bound(&m);
	if ((buf = malloc(bound)) == NULL)
		abort();
	n = relay_metrics_render(&m, buf, bound);
	ok(n > 0 && (size_t)n < bound,
	    "bounds: the worst case (%d bytes) fits the bound (%zu)", n, bound);
	free(buf);
	relay_metrics_free(&m);

	relay_metrics_init(&m, 0);
	memset(dn, 'x', sizeof(dn));
	dn[RELAY_METRICS_LABEL_MAX + 1] = '\0';
	ok(relay_metrics_fed(&m, RELAY_M_FED_ERROR, dn) == -1 &&
	    m.ndoms == 0, "bounds: a label over %d bytes is dropped",
	    RELAY_METRICS_LABEL_MAX);
	dn[RELAY_METRICS_LABEL_MAX] = '\0';
	ok(relay_metrics_fed(&m, RELAY_M_FED_ERROR, dn) == 0,
	    "bounds: one of %d is kept", RELAY_METRICS_LABEL_MAX);
	relay_metrics_free(&m);
}

/* The events listener's families: first by name, all three stages. */
static const char events[] =
	"# HELP events_listener_disabled 1 when the runtime metadata lacks "
	"the twin events read\n"
	"# TYPE events_listener_disabled gauge\n"
	"events_listener_disabled 0\n"
	"# HELP events_listener_errors_total Errors of the tfchain events "
	"listener, labeled by stage\n"
	"# TYPE events_listener_errors_total counter\n"
	"events_listener_errors_total{stage=\"cache_set\"} 0\n"
	"events_listener_errors_total{stage=\"decode\"} 2\n"
	"events_listener_errors_total{stage=\"rpc\"} 3\n"
	"# HELP events_listener_finalized_block_number Last finalized block "
	"number seen by the events listener\n"
	"# TYPE events_listener_finalized_block_number gauge\n"
	"events_listener_finalized_block_number 1234\n"
	"# HELP events_listener_flushes_total Twin cache flushes by the "
	"events listener\n"
	"# TYPE events_listener_flushes_total counter\n"
	"events_listener_flushes_total 4\n"
	"# HELP events_listener_last_processed_block_number Last block whose "
	"events were processed\n"
	"# TYPE events_listener_last_processed_block_number gauge\n"
	"events_listener_last_processed_block_number 1230\n"
	"# HELP events_listener_reconnect_cycles_total Retries of the events "
	"listener after a failed chain call\n"
	"# TYPE events_listener_reconnect_cycles_total counter\n"
	"events_listener_reconnect_cycles_total 5\n"
	"# HELP events_listener_reconnecting 1 while the events listener "
	"cannot reach the chain\n"
	"# TYPE events_listener_reconnecting gauge\n"
	"events_listener_reconnecting 1\n"
	"# HELP events_listener_twin_deleted_total TwinDeleted events "
	"processed\n"
	"# TYPE events_listener_twin_deleted_total counter\n"
	"events_listener_twin_deleted_total 6\n"
	"# HELP events_listener_twin_stored_total TwinStored events "
	"processed\n"
	"# TYPE events_listener_twin_stored_total counter\n"
	"events_listener_twin_stored_total 7\n"
	"# HELP events_listener_twin_updated_total TwinUpdated events "
	"processed\n"
	"# TYPE events_listener_twin_updated_total counter\n"
	"events_listener_twin_updated_total 8\n"
	"# HELP federation_message_error";

static void
test_events(void)
{
	struct relay_metrics	m;
	uint64_t		ev[RELAY_M_NEV];
	size_t			bound;
	int			n;

	relay_metrics_init(&m, 0);
	n = relay_metrics_render(&m, out, sizeof(out));
	ok(n > 0 && strstr(out, "events_listener") == NULL, "events: no "
	    "listener, no events_listener_ family");
	memset(ev, 0, sizeof(ev));
	ev[RELAY_M_EV_ERR_DECODE] = 2;
	ev[RELAY_M_EV_ERR_RPC] = 3;
	ev[RELAY_M_EV_FINALIZED] = 1234;
	ev[RELAY_M_EV_FLUSHES] = 4;
	ev[RELAY_M_EV_LAST] = 1230;
	ev[RELAY_M_EV_CYCLES] = 5;
	ev[RELAY_M_EV_RECONNECTING] = 1;
	ev[RELAY_M_EV_DELETED] = 6;
	ev[RELAY_M_EV_STORED] = 7;
	ev[RELAY_M_EV_UPDATED] = 8;
	relay_metrics_events(&m, ev);
	relay_metrics_fed(&m, RELAY_M_FED_ERROR, "r.example");
	n = relay_metrics_render(&m, out, sizeof(out));
	ok(n > 0 && strncmp(out, events, strlen(events)) == 0, "events: "
	    "the families first, sorted, every stage shown");
	ok(strstr(out, "\nrmb_cache_flushes_total 4\n") != NULL, "events: "
	    "a listener's flush is a cache flush");
	bound = relay_metrics_bound(&m);
	ok(n > 0 && (size_t)n < bound, "events: the text (%d) fits the "
	    "bound (%zu)", n, bound);
	relay_metrics_free(&m);
}

int
main(void)
{
	test_events();
	test_exact();
	test_shared();
	test_escape();
	test_increase();
	test_workers();
	test_bounds();
	return done_testing();
}
