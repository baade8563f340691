/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the BPF program shares with userspace: map keys, values and events. */
#ifndef HTTP_STATISTICS_H
#define HTTP_STATISTICS_H

#define HS_LATENCY_BUCKETS 15 /* 14 OpenTelemetry boundaries + overflow */
/* Power-of-two microsecond buckets for quantiles: bucket i holds latencies
 * in [2^(i-1), 2^i) us (bucket 0: under 1 us), the last one everything above. */
#define HS_LOG2_BUCKETS 27
#define HS_COMM_LEN 16

/* Map capacities; userspace reports usage against them. */
#define HS_MAX_SERIES 16384    /* (process, method, status) combinations, at most */
#define HS_SERIES_BUDGET (64ULL << 20) /* bytes of per-CPU values for them */
#define HS_MAX_PROCESSES 8192  /* server processes tracked at once */
#define HS_MAX_ACCEPTED 16384  /* accepted connections awaiting their first response */
#define HS_MAX_PAUSED 1024
#define HS_MAX_TLS_CONNS 8192  /* TLS connections with HTTP state */
#define HS_MAX_TLS_CALLS 4096  /* SSL_read/SSL_write calls in progress (threads) */
#define HS_SCRATCH_SLOTS 4     /* nesting depth of parsing on one CPU */
#define HS_EVENTS_BYTES (256 * 1024)
/* Names of URL templates seen on the receive side, until the send side
 * copies them for a process (an LRU: a flood of new paths evicts old names,
 * it cannot fill the map). */
#define HS_MAX_TEMPLATE_NAMES 16384
#define HS_DEFAULT_MAX_URL_TEMPLATES 64 /* per process, then _OTHER */

/* A process is (tgid, start time): a reused PID is a new process. */
struct hs_process {
	__u64 start_ns; /* task->start_boottime of the thread-group leader */
	__u32 tgid;
	__u32 pad;
};

struct hs_stats_key {
	__u64 start_ns;
	__u32 tgid;
	__u16 status;
	__u8 method; /* enum http_method */
	__u8 tls;    /* 1: seen as plaintext inside OpenSSL, 0: on the TCP socket */
	__u64 url_template; /* its id (url_template.h): 0 none, 1 _OTHER */
};

/* A URL template of a process: `url_templates` maps it to its name (struct
 * http_url_tmpl). */
struct hs_template_key {
	__u64 start_ns;
	__u32 tgid;
	__u32 pad;
	__u64 id;
};

struct hs_stats_value {
	__u64 count;
	__u64 latency_count;
	__u64 latency_sum_ns;
	__u64 buckets[HS_LATENCY_BUCKETS];
	__u64 log2_buckets[HS_LOG2_BUCKETS];
};

enum hs_event_kind {
	HS_EV_PROCESS_NEW = 1,  /* first accepted TCP connection of a process */
	HS_EV_PROCESS_EXIT = 2, /* its last thread exited */
};

struct hs_event {
	__u32 kind;
	__u32 tgid;
	__u64 start_ns;
	char comm[HS_COMM_LEN];
};

/* Per-CPU counters of everything that was skipped or dropped. The first
 * HN_COUNT entries are the parser's notes (enum http_note). */
enum hs_counter {
	HS_C_NO_OWNER = 8,	 /* response on a connection whose acceptor is unknown */
	HS_C_STATS_FULL,	 /* stats map full: exchange not counted */
	HS_C_EVENTS_FULL,	 /* ring buffer full: event lost */
	HS_C_PROCS_FULL,	 /* process table full */
	HS_C_CONN_STORAGE,	 /* no per-connection storage could be allocated */
	HS_C_SCRATCH_BUSY,	 /* all scratch slots of the CPU in use */
	HS_C_PAUSED,		 /* exchanges not counted because the process is paused */
	HS_C_HANDSHAKE_UNPARSED, /* the payload of a connection's first packet was not parsed */
	/* Exchanges counted under the URL template _OTHER, by cause: */
	HS_C_TEMPLATE_CAP,	 /* the process had its --max-url-templates */
	HS_C_TEMPLATE_UNNAMED,	 /* the name was gone from url_template_names (evicted) */
	HS_C_TEMPLATES_FULL,	 /* the url_templates map was full */
	HS_C_COUNT,
};

#endif /* HTTP_STATISTICS_H */
