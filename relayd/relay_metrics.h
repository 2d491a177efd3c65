/* SPDX-License-Identifier: ISC */
/*
 * rmb-relay: the Prometheus metrics of doc/relay.md §4.1, with the
 * reference's names and help texts, rendered in the text exposition format
 * the way its registry does it: families sorted by name, series by label
 * value, labelled families left out until they have a series.  The process
 * values are read by the caller, so nothing here does I/O.
 */
#ifndef RMB_RELAY_METRICS_H
#define RMB_RELAY_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_METRICS_DOMAINS	256	/* relay label values; more dropped */
#define RELAY_METRICS_LABEL_MAX	255	/* a longer relay label is dropped */
#define RELAY_METRICS_WORKERS_MAX 65536	/* worker label values */

enum relay_m_counter {
	RELAY_M_RX,			/* relay_message_rx */
	RELAY_M_RX_BYTES,		/* relay_message_rx_bytes */
	RELAY_M_TX,			/* relay_message_tx */
	RELAY_M_TX_BYTES,		/* relay_message_tx_bytes */
	RELAY_M_CACHE_MISSES,		/* rmb_cache_misses_total */
	RELAY_M_CACHE_FLUSHES,		/* rmb_cache_flushes_total */
	RELAY_M_CHAIN_READS,		/* relay_twin_chain_reads_total */
	RELAY_M_STREAM_READ_BYTES,	/* relay_stream_read_bytes_total */
	RELAY_M_NCOUNTERS
};

/* The reason label of relay_session_evictions_total. */
enum relay_m_evict {
	RELAY_M_EVICT_CLOSED,		/* closed */
	RELAY_M_EVICT_BACK_PRESSURE,	/* back_pressure_timeout */
	RELAY_M_EVICT_CANCELLED,	/* cancelled */
	RELAY_M_NEVICT
};

/* The path label of relay_deliveries_total: how an envelope reached a session. */
enum relay_m_path {
	RELAY_M_PATH_DIRECT,		/* direct: written on arrival */
	RELAY_M_PATH_STREAM,		/* stream: read from its redis stream */
	RELAY_M_NPATH
};

/* The result label of relay_twin_shared_total: the shared twin cache. */
enum relay_m_share {
	RELAY_M_SHARE_HIT,		/* hit: the twin was there */
	RELAY_M_SHARE_MISS,		/* miss: it was not */
	RELAY_M_SHARE_BAD,		/* bad: a value that does not decode */
	RELAY_M_SHARE_TIMEOUT,		/* timeout: no answer in time */
	RELAY_M_SHARE_ERROR,		/* error: redis down or failing */
	RELAY_M_NSHARE
};

enum relay_m_fed {
	RELAY_M_FED_SUCCESS,		/* federation_message_success */
	RELAY_M_FED_ERROR,		/* federation_message_error */
	RELAY_M_NFED
};

/* The tfchain events listener's figures (common/net/chainlisten). */
enum relay_m_ev {
	RELAY_M_EV_DISABLED,		/* events_listener_disabled */
	RELAY_M_EV_FINALIZED,		/* ..._finalized_block_number */
	RELAY_M_EV_FLUSHES,		/* ..._flushes_total */
	RELAY_M_EV_LAST,		/* ..._last_processed_block_number */
	RELAY_M_EV_CYCLES,		/* ..._reconnect_cycles_total */
	RELAY_M_EV_RECONNECTING,	/* ..._reconnecting */
	RELAY_M_EV_DELETED,		/* ..._twin_deleted_total */
	RELAY_M_EV_STORED,		/* ..._twin_stored_total */
	RELAY_M_EV_UPDATED,		/* ..._twin_updated_total */
	RELAY_M_EV_ERR_CACHE_SET,	/* ..._errors_total{stage=...} */
	RELAY_M_EV_ERR_DECODE,
	RELAY_M_EV_ERR_RPC,
	RELAY_M_NEV
};

/* What the prometheus crate's Linux process collector reports. */
struct relay_proc_stats {
	uint64_t	cpu_seconds;	/* (utime + stime) / CLK_TCK, stat */
	uint64_t	open_fds;	/* entries of /proc/self/fd */
	uint64_t	max_fds;	/* "Max open files" soft limit */
	uint64_t	virtual_bytes;	/* VmSize of status, in bytes */
	uint64_t	resident_bytes;	/* VmRSS of status, in bytes */
	uint64_t	start_time;	/* btime + starttime / CLK_TCK */
};

struct relay_metrics_dom {
	uint64_t	value[RELAY_M_NFED];
	unsigned int	seen;		/* bit per relay_m_fed counted */
	char		label[RELAY_METRICS_LABEL_MAX + 1];
};

struct relay_metrics {
	uint64_t			 counter[RELAY_M_NCOUNTERS];
	uint64_t			 evict[RELAY_M_NEVICT];
	unsigned int			 evict_seen;	/* bit per reason */
	uint64_t			 path[RELAY_M_NPATH];
	unsigned int			 path_seen;	/* bit per path */
	int				 has_chain;	/* twins from tfchain */
	uint64_t			 share[RELAY_M_NSHARE];
	unsigned int			 share_seen;	/* bit per result */
	int64_t				 cache_entries;
	int				 has_events;	/* a listener runs */
	uint64_t			 ev[RELAY_M_NEV];
	int				 has_proc;
	struct relay_proc_stats		 proc;
	unsigned int			 nworkers;
	int				 all_workers;	/* 0: only non-zero */
	int64_t				*worker;
	unsigned int			*worker_order;	/* by label text */
	size_t				 ndoms;
	uint64_t			 dropped;	/* past the bounds */
	uint16_t			 dom_order[RELAY_METRICS_DOMAINS];
	struct relay_metrics_dom	*doms;
};

/*
 * Sets up the registry with nworkers relay_worker_connections series (0 to
 * RELAY_METRICS_WORKERS_MAX), all 0 as the reference's workers set them
 * on start.  Only the series of workers that hold sessions are rendered,
 * unless all_workers is set (--metrics-all-workers), which renders all of
 * them as the reference does.  Returns 0, or -1 with errno set.
 */
int	relay_metrics_init(struct relay_metrics *, unsigned int nworkers);

void	relay_metrics_add(struct relay_metrics *, enum relay_m_counter,
	    uint64_t);
void	relay_metrics_evict(struct relay_metrics *, enum relay_m_evict,
	    uint64_t);
void	relay_metrics_delivered(struct relay_metrics *, enum relay_m_path,
	    uint64_t);
void	relay_metrics_shared(struct relay_metrics *, enum relay_m_share,
	    uint64_t);
/*
 * Sets a counter kept elsewhere (the twin directory's chain reads).
 * relay_twin_chain_reads_total shows only when has_chain is set.
 */
void	relay_metrics_set(struct relay_metrics *, enum relay_m_counter,
	    uint64_t);

/*
 * Counts one federation success or error for relay.  A new relay past
 * RELAY_METRICS_DOMAINS, or one longer than RELAY_METRICS_LABEL_MAX, is not
 * counted (m->dropped is); returns 0, or -1 then.
 */
int	relay_metrics_fed(struct relay_metrics *, enum relay_m_fed,
	    const char *relay);

void	relay_metrics_cache_entries(struct relay_metrics *, int64_t);

/*
 * Takes the events listener's figures (ev, RELAY_M_NEV of them); the
 * events_listener_ families show from now on.
 */
void	relay_metrics_events(struct relay_metrics *, const uint64_t *ev);

/* Set or move the gauge of a worker; -1 if there is no such worker. */
int	relay_metrics_worker_set(struct relay_metrics *, unsigned int, int64_t);
int	relay_metrics_worker_add(struct relay_metrics *, unsigned int, int64_t);

/* Takes the process values the caller read; they show from now on. */
void	relay_metrics_process(struct relay_metrics *,
	    const struct relay_proc_stats *);

/* A buffer size relay_metrics_render() never needs more than. */
size_t	relay_metrics_bound(const struct relay_metrics *);

/*
 * Writes the exposition text and a NUL into buf.  Returns its length, or
 * -1 if cap is too small.
 */
int	relay_metrics_render(const struct relay_metrics *, char *buf,
	    size_t cap);

void	relay_metrics_free(struct relay_metrics *);

#endif
