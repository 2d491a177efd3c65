/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay_metrics.h"

/* Longest sample value: 20 digits of a uint64_t, or a sign and 19. */
#define VALUE_MAX	20

_Static_assert(RELAY_METRICS_WORKERS_MAX <= 100000,
    "worker labels are taken as 5 digits at most");
_Static_assert(RELAY_METRICS_DOMAINS <= UINT16_MAX + 1,
    "dom_order holds uint16_t");

enum kind {
	K_COUNTER,
	K_EVICT,
	K_PATH,
	K_SHARE,
	K_CHAIN,
	K_FED,
	K_CACHE,
	K_WORKER,
	K_PROC,
	K_BUILD,
	K_EV,
	K_EV_ERR
};

enum proc {
	P_CPU,
	P_MAX_FDS,
	P_OPEN_FDS,
	P_RESIDENT,
	P_START,
	P_VIRTUAL
};

/* Sorted by name, the order the reference's registry writes them in. */
static const struct family {
	const char	*name;
	const char	*help;
	const char	*type;
	const char	*label;
	enum kind	 kind;
	int		 arg;
} families[] = {
	{ "events_listener_disabled",
	    "1 when the runtime metadata lacks the twin events read",
	    "gauge", NULL, K_EV, RELAY_M_EV_DISABLED },
	{ "events_listener_errors_total",
	    "Errors of the tfchain events listener, labeled by stage",
	    "counter", "stage", K_EV_ERR, 0 },
	{ "events_listener_finalized_block_number",
	    "Last finalized block number seen by the events listener",
	    "gauge", NULL, K_EV, RELAY_M_EV_FINALIZED },
	{ "events_listener_flushes_total",
	    "Twin cache flushes by the events listener",
	    "counter", NULL, K_EV, RELAY_M_EV_FLUSHES },
	{ "events_listener_last_processed_block_number",
	    "Last block whose events were processed",
	    "gauge", NULL, K_EV, RELAY_M_EV_LAST },
	{ "events_listener_reconnect_cycles_total",
	    "Retries of the events listener after a failed chain call",
	    "counter", NULL, K_EV, RELAY_M_EV_CYCLES },
	{ "events_listener_reconnecting",
	    "1 while the events listener cannot reach the chain",
	    "gauge", NULL, K_EV, RELAY_M_EV_RECONNECTING },
	{ "events_listener_twin_deleted_total",
	    "TwinDeleted events processed",
	    "counter", NULL, K_EV, RELAY_M_EV_DELETED },
	{ "events_listener_twin_stored_total",
	    "TwinStored events processed",
	    "counter", NULL, K_EV, RELAY_M_EV_STORED },
	{ "events_listener_twin_updated_total",
	    "TwinUpdated events processed",
	    "counter", NULL, K_EV, RELAY_M_EV_UPDATED },
	{ "federation_message_error",
	    "number of messages that failed to send via federation",
	    "counter", "relay", K_FED, RELAY_M_FED_ERROR },
	{ "federation_message_success",
	    "number of messages send successfully via federation",
	    "counter", "relay", K_FED, RELAY_M_FED_SUCCESS },
	{ "process_cpu_seconds_total",
	    "Total user and system CPU time spent in seconds.",
	    "counter", NULL, K_PROC, P_CPU },
	{ "process_max_fds",
	    "Maximum number of open file descriptors.",
	    "gauge", NULL, K_PROC, P_MAX_FDS },
	{ "process_open_fds",
	    "Number of open file descriptors.",
	    "gauge", NULL, K_PROC, P_OPEN_FDS },
	{ "process_resident_memory_bytes",
	    "Resident memory size in bytes.",
	    "gauge", NULL, K_PROC, P_RESIDENT },
	{ "process_start_time_seconds",
	    "Start time of the process since unix epoch in seconds.",
	    "gauge", NULL, K_PROC, P_START },
	{ "process_virtual_memory_bytes",
	    "Virtual memory size in bytes.",
	    "gauge", NULL, K_PROC, P_VIRTUAL },
	{ "relay_build_info",
	    "the version of this relay",
	    "gauge", "version", K_BUILD, 0 },
	{ "relay_deliveries_total",
	    "number of messages written to sessions, labeled by path",
	    "counter", "path", K_PATH, 0 },
	{ "relay_message_rx",
	    "number of messages received by relay",
	    "counter", NULL, K_COUNTER, RELAY_M_RX },
	{ "relay_message_rx_bytes",
	    "size of messages received by relay in bytes",
	    "counter", NULL, K_COUNTER, RELAY_M_RX_BYTES },
	{ "relay_message_tx",
	    "number of messages forwarded by relay",
	    "counter", NULL, K_COUNTER, RELAY_M_TX },
	{ "relay_message_tx_bytes",
	    "size of messages forwarded by relay in bytes",
	    "counter", NULL, K_COUNTER, RELAY_M_TX_BYTES },
	{ "relay_session_evictions_total",
	    "Total number of session evictions from the relay, labeled by "
	    "reason",
	    "counter", "reason", K_EVICT, 0 },
	{ "relay_stream_read_bytes_total",
	    "bytes of envelopes read from session streams, an entry read "
	    "again counted again",
	    "counter", NULL, K_COUNTER, RELAY_M_STREAM_READ_BYTES },
	{ "relay_twin_chain_reads_total",
	    "number of twin reads sent to tfchain",
	    "counter", NULL, K_CHAIN, RELAY_M_CHAIN_READS },
	{ "relay_twin_shared_total",
	    "lookups in the twin cache shared in redis, labeled by result",
	    "counter", "result", K_SHARE, 0 },
	{ "relay_worker_connections",
	    "number of connections handled by this worker",
	    "gauge", "worker", K_WORKER, 0 },
	{ "rmb_cache_entries",
	    "Current number of entries in the twin cache",
	    "gauge", NULL, K_CACHE, 0 },
	{ "rmb_cache_flushes_total",
	    "Number of times the twin cache has been flushed",
	    "counter", NULL, K_COUNTER, RELAY_M_CACHE_FLUSHES },
	{ "rmb_cache_misses_total",
	    "Number of cache misses when fetching twins (RPC fallback likely)",
	    "counter", NULL, K_COUNTER, RELAY_M_CACHE_MISSES },
};
#define NFAMILIES	(sizeof(families) / sizeof(families[0]))

/* The reason labels in label order, as the registry sorts series. */
static const struct {
	const char		*label;
	enum relay_m_evict	 reason;
} evict_labels[RELAY_M_NEVICT] = {
	{ "back_pressure_timeout", RELAY_M_EVICT_BACK_PRESSURE },
	{ "cancelled", RELAY_M_EVICT_CANCELLED },
	{ "closed", RELAY_M_EVICT_CLOSED },
};

static const struct {
	const char		*label;
	enum relay_m_ev		 ev;
} ev_err_labels[] = {
	{ "cache_set", RELAY_M_EV_ERR_CACHE_SET },
	{ "decode", RELAY_M_EV_ERR_DECODE },
	{ "rpc", RELAY_M_EV_ERR_RPC },
};
#define NEV_ERR	(sizeof(ev_err_labels) / sizeof(ev_err_labels[0]))

static const struct {
	const char		*label;
	enum relay_m_path	 path;
} path_labels[RELAY_M_NPATH] = {
	{ "direct", RELAY_M_PATH_DIRECT },
	{ "stream", RELAY_M_PATH_STREAM },
};

static const struct {
	const char		*label;
	enum relay_m_share	 result;
} share_labels[RELAY_M_NSHARE] = {
	{ "bad", RELAY_M_SHARE_BAD },
	{ "error", RELAY_M_SHARE_ERROR },
	{ "hit", RELAY_M_SHARE_HIT },
	{ "miss", RELAY_M_SHARE_MISS },
	{ "timeout", RELAY_M_SHARE_TIMEOUT },
};

struct out {
	char	*buf;
	size_t	 cap;
	size_t	 len;		/* what it would take, may pass cap */
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len < o->cap)
		memcpy(o->buf + o->len, s, n < o->cap - o->len ? n :
		    o->cap - o->len);
	o->len = o->len > SIZE_MAX - n ? SIZE_MAX : o->len + n;
}

static void
put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Ends a sample line with its value. */
static void
put_u64(struct out *o, uint64_t v)
{
	char	buf[VALUE_MAX + 2];
	int	n;

	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", v);
	put(o, buf, (size_t)n);
}

static void
put_i64(struct out *o, int64_t v)
{
	char	buf[VALUE_MAX + 2];
	int	n;

	n = snprintf(buf, sizeof(buf), "%" PRId64 "\n", v);
	put(o, buf, (size_t)n);
}

/* Escapes a label value as the exposition format wants it. */
static void
put_escaped(struct out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			put(o, "\\\\", 2);
		else if (*s == '"')
			put(o, "\\\"", 2);
		else if (*s == '\n')
			put(o, "\\n", 2);
		else
			put(o, s, 1);
	}
}

/* Starts a sample line up to its value. */
static void
put_name(struct out *o, const struct family *f, const char *label)
{
	put_str(o, f->name);
	if (label != NULL) {
		put(o, "{", 1);
		put_str(o, f->label);
		put(o, "=\"", 2);
		put_escaped(o, label);
		put(o, "\"}", 2);
	}
	put(o, " ", 1);
}

static void
put_header(struct out *o, const struct family *f)
{
	put_str(o, "# HELP ");
	put_str(o, f->name);
	put(o, " ", 1);
	put_str(o, f->help);
	put_str(o, "\n# TYPE ");
	put_str(o, f->name);
	put(o, " ", 1);
	put_str(o, f->type);
	put(o, "\n", 1);
}

static uint64_t
proc_value(const struct relay_proc_stats *p, int which)
{
	switch (which) {
	case P_CPU:
		return p->cpu_seconds;
	case P_MAX_FDS:
		return p->max_fds;
	case P_OPEN_FDS:
		return p->open_fds;
	case P_RESIDENT:
		return p->resident_bytes;
	case P_START:
		return p->start_time;
	default:
		return p->virtual_bytes;
	}
}

static int
fed_seen(const struct relay_metrics *m, int which)
{
	size_t	i;

	for (i = 0; i < m->ndoms; i++)
		if (m->doms[i].seen & 1u << which)
			return 1;
	return 0;
}

/* Whether relay_worker_connections has a series to show. */
static int
worker_shown(const struct relay_metrics *m)
{
	unsigned int	w;

	if (m->all_workers)
		return m->nworkers > 0;
	for (w = 0; w < m->nworkers; w++)
		if (m->worker[w] != 0)
			return 1;
	return 0;
}

/* The position of relay in dom_order, or where it would go (*found 0). */
static size_t
dom_find(const struct relay_metrics *m, const char *relay, int *found)
{
	size_t	lo = 0, hi = m->ndoms, mid;
	int	c;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(relay, m->doms[m->dom_order[mid]].label);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int
worker_cmp(const void *a, const void *b)
{
	char	sa[16], sb[16];

	snprintf(sa, sizeof(sa), "%u", *(const unsigned int *)a);
	snprintf(sb, sizeof(sb), "%u", *(const unsigned int *)b);
	return strcmp(sa, sb);
}

int
relay_metrics_init(struct relay_metrics *m, unsigned int nworkers)
{
	unsigned int	i;

	memset(m, 0, sizeof(*m));
	if (nworkers > RELAY_METRICS_WORKERS_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((m->doms = calloc(RELAY_METRICS_DOMAINS, sizeof(*m->doms))) ==
	    NULL)
		return -1;
	if (nworkers > 0 &&
	    ((m->worker = calloc(nworkers, sizeof(*m->worker))) == NULL ||
	    (m->worker_order = calloc(nworkers,
	    sizeof(*m->worker_order))) == NULL)) {
		relay_metrics_free(m);
		return -1;
	}
	/* Label order puts worker 10 before worker 2; work it out once. */
	for (i = 0; i < nworkers; i++)
		m->worker_order[i] = i;
	if (nworkers > 0)
		qsort(m->worker_order, nworkers, sizeof(*m->worker_order),
		    worker_cmp);
	m->nworkers = nworkers;
	return 0;
}

void
relay_metrics_add(struct relay_metrics *m, enum relay_m_counter c,
    uint64_t n)
{
	m->counter[c] += n;
}

void
relay_metrics_evict(struct relay_metrics *m, enum relay_m_evict r,
    uint64_t n)
{
	m->evict[r] += n;
	m->evict_seen |= 1u << r;
}

void
relay_metrics_delivered(struct relay_metrics *m, enum relay_m_path p,
    uint64_t n)
{
	m->path[p] += n;
	m->path_seen |= 1u << p;
}

void
relay_metrics_shared(struct relay_metrics *m, enum relay_m_share r,
    uint64_t n)
{
	m->share[r] += n;
	m->share_seen |= 1u << r;
}

void
relay_metrics_set(struct relay_metrics *m, enum relay_m_counter c,
    uint64_t v)
{
	m->counter[c] = v;
}

int
relay_metrics_fed(struct relay_metrics *m, enum relay_m_fed which,
    const char *relay)
{
	struct relay_metrics_dom	*d;
	size_t				 pos, len;
	int				 found;

	pos = dom_find(m, relay, &found);
	if (!found) {
		len = strnlen(relay, RELAY_METRICS_LABEL_MAX + 1);
		if (m->ndoms == RELAY_METRICS_DOMAINS ||
		    len > RELAY_METRICS_LABEL_MAX) {
			m->dropped++;
			return -1;
		}
		memmove(&m->dom_order[pos + 1], &m->dom_order[pos],
		    (m->ndoms - pos) * sizeof(m->dom_order[0]));
		m->dom_order[pos] = (uint16_t)m->ndoms;
		memcpy(m->doms[m->ndoms].label, relay, len + 1);
		m->ndoms++;
	}
	d = &m->doms[m->dom_order[pos]];
	d->value[which]++;
	d->seen |= 1u << which;
	return 0;
}

void
relay_metrics_events(struct relay_metrics *m, const uint64_t *ev)
{
	memcpy(m->ev, ev, sizeof(m->ev));
	m->has_events = 1;
	m->counter[RELAY_M_CACHE_FLUSHES] = ev[RELAY_M_EV_FLUSHES];
}

void
relay_metrics_cache_entries(struct relay_metrics *m, int64_t v)
{
	m->cache_entries = v;
}

int
relay_metrics_worker_set(struct relay_metrics *m, unsigned int w, int64_t v)
{
	if (w >= m->nworkers)
		return -1;
	m->worker[w] = v;
	return 0;
}

int
relay_metrics_worker_add(struct relay_metrics *m, unsigned int w,
    int64_t delta)
{
	if (w >= m->nworkers)
		return -1;
	m->worker[w] += delta;
	return 0;
}

void
relay_metrics_process(struct relay_metrics *m,
    const struct relay_proc_stats *p)
{
	m->proc = *p;
	m->has_proc = 1;
}

size_t
relay_metrics_bound(const struct relay_metrics *m)
{
	const struct family	*f;
	size_t			 i, n = 1, label, series;

	for (i = 0; i < NFAMILIES; i++) {
		f = &families[i];
		n += 16 + 2 * strlen(f->name) + strlen(f->help) +
		    strlen(f->type);
		switch (f->kind) {
		case K_EV_ERR:
			series = NEV_ERR;
			label = strlen("cache_set");
			break;
		case K_EVICT:
			series = RELAY_M_NEVICT;
			label = strlen("back_pressure_timeout");
			break;
		case K_PATH:
			series = RELAY_M_NPATH;
			label = strlen("direct");
			break;
		case K_SHARE:
			series = RELAY_M_NSHARE;
			label = strlen("timeout");
			break;
		case K_FED:
			series = RELAY_METRICS_DOMAINS;
			label = 2 * RELAY_METRICS_LABEL_MAX;
			break;
		case K_BUILD:
			series = 1;
			label = 2 * strlen(PACKAGE_VERSION);
			break;
		case K_WORKER:
			series = m->nworkers;
			label = 5;	/* RELAY_METRICS_WORKERS_MAX - 1 */
			break;
		default:
			series = 1;
			label = 0;
			break;
		}
		if (f->label != NULL)
			label += 5 + strlen(f->label);
		n += series * (strlen(f->name) + label + 1 + VALUE_MAX + 1);
	}
	return n;
}

int
relay_metrics_render(const struct relay_metrics *m, char *buf, size_t cap)
{
	const struct family		*f;
	const struct relay_metrics_dom	*d;
	struct out			 o = { buf, cap, 0 };
	char				 label[16];
	size_t				 i, k;
	unsigned int			 w;
	enum relay_m_evict		 r;

	for (i = 0; i < NFAMILIES; i++) {
		f = &families[i];
		switch (f->kind) {
		case K_COUNTER:
			put_header(&o, f);
			put_name(&o, f, NULL);
			put_u64(&o, m->counter[f->arg]);
			break;
		case K_CACHE:
			put_header(&o, f);
			put_name(&o, f, NULL);
			put_i64(&o, m->cache_entries);
			break;
		case K_EV:
			if (!m->has_events)
				continue;
			put_header(&o, f);
			put_name(&o, f, NULL);
			put_u64(&o, m->ev[f->arg]);
			break;
		case K_EV_ERR:
			if (!m->has_events)
				continue;
			put_header(&o, f);
			for (k = 0; k < NEV_ERR; k++) {
				put_name(&o, f, ev_err_labels[k].label);
				put_u64(&o, m->ev[ev_err_labels[k].ev]);
			}
			break;
		case K_PROC:
			if (!m->has_proc)
				continue;
			put_header(&o, f);
			put_name(&o, f, NULL);
			put_u64(&o, proc_value(&m->proc, f->arg));
			break;
		case K_EVICT:
			if (m->evict_seen == 0)
				continue;
			put_header(&o, f);
			for (k = 0; k < RELAY_M_NEVICT; k++) {
				r = evict_labels[k].reason;
				if (!(m->evict_seen & 1u << r))
					continue;
				put_name(&o, f, evict_labels[k].label);
				put_u64(&o, m->evict[r]);
			}
			break;
		case K_PATH:
			if (m->path_seen == 0)
				continue;
			put_header(&o, f);
			for (k = 0; k < RELAY_M_NPATH; k++) {
				if (!(m->path_seen & 1u << path_labels[k].path))
					continue;
				put_name(&o, f, path_labels[k].label);
				put_u64(&o, m->path[path_labels[k].path]);
			}
			break;
		case K_CHAIN:
			if (!m->has_chain)
				continue;
			put_header(&o, f);
			put_name(&o, f, NULL);
			put_u64(&o, m->counter[f->arg]);
			break;
		case K_SHARE:
			if (m->share_seen == 0)
				continue;
			put_header(&o, f);
			for (k = 0; k < RELAY_M_NSHARE; k++) {
				if (!(m->share_seen & 1u <<
				    share_labels[k].result))
					continue;
				put_name(&o, f, share_labels[k].label);
				put_u64(&o, m->share[share_labels[k].result]);
			}
			break;
		case K_FED:
			if (!fed_seen(m, f->arg))
				continue;
			put_header(&o, f);
			for (k = 0; k < m->ndoms; k++) {
				d = &m->doms[m->dom_order[k]];
				if (!(d->seen & 1u << f->arg))
					continue;
				put_name(&o, f, d->label);
				put_u64(&o, d->value[f->arg]);
			}
			break;
		case K_BUILD:
			put_header(&o, f);
			put_name(&o, f, PACKAGE_VERSION);
			put_u64(&o, 1);
			break;
		case K_WORKER:
			if (!worker_shown(m))
				continue;
			put_header(&o, f);
			for (k = 0; k < m->nworkers; k++) {
				w = m->worker_order[k];
				if (!m->all_workers && m->worker[w] == 0)
					continue;
				snprintf(label, sizeof(label), "%u", w);
				put_name(&o, f, label);
				put_i64(&o, m->worker[w]);
			}
			break;
		}
	}
	if (o.len >= cap || o.len > INT_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	buf[o.len] = '\0';
	return (int)o.len;
}

void
relay_metrics_free(struct relay_metrics *m)
{
	free(m->doms);
	free(m->worker);
	free(m->worker_order);
	memset(m, 0, sizeof(*m));
}
