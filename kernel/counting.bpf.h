/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the plaintext and the TLS programs share: the maps userspace reads
 * (each loaded once and shared by both objects), and counting an exchange.
 * Include after http_parser.h, with HS_TLS defined to 0 or 1.
 */
#ifndef HTTP_STATISTICS_COUNTING_BPF_H
#define HTTP_STATISTICS_COUNTING_BPF_H

#ifndef HS_TLS
#error "define HS_TLS before including counting.bpf.h"
#endif

/*
 * Per-connection state. In socket storage the data starts on the cache line
 * of the map pointer that every bpf_sk_storage_get reads: only fields
 * written once share that line. The parser's state, which the receive and
 * the send side write on every segment, often from different CPUs, starts on
 * the next one; sharing the first line made every lookup wait for the other
 * CPU's last write (moving it cut the receive program's time by about 30%).
 */
struct conn {
	struct hs_process owner;   /* who accepted it; tgid 0 until known */
	__u32 announced;           /* TLS side: userspace was told about the owner */
	__u32 pad;
	__u8 gap[32];              /* to the end of the first line */
	struct http_conn http;
};

/* bpf_local_storage_data: the map pointer, then the data, from the start of a line. */
_Static_assert(sizeof(void *) + __builtin_offsetof(struct conn, http) == 64,
	       "the parser's state must start on the second line of the storage");

static __always_inline struct conn *conn_of(struct http_conn *http)
{
	return (struct conn *)((char *)http - __builtin_offsetof(struct conn, http));
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_MAX_PROCESSES);
	__type(key, __u32);
	__type(value, __u64); /* start_ns */
} procs SEC(".maps");

/* Preallocated: elements created on demand come from caches refilled after
 * the program returns, so a burst of new series would be dropped. Userspace
 * sizes it at load time to a memory budget (values are per CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, HS_MAX_SERIES);
	__type(key, struct hs_stats_key);
	__type(value, struct hs_stats_value);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HS_C_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_MAX_PAUSED);
	__type(key, __u32);
	__type(value, __u64); /* start_ns: a reused pid is not paused */
} paused SEC(".maps");

/* Names of templates by id, from the receive side (HTTP_ON_TEMPLATE). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HS_MAX_TEMPLATE_NAMES);
	__type(key, __u64);
	__type(value, struct http_url_tmpl);
} url_template_names SEC(".maps");

/*
 * Ids the receive side found named in the last second, per CPU, by the id's
 * low bits: a connection that goes from endpoint to endpoint then skips the
 * lookup in url_template_names for most requests (with 50 templates, that
 * halved what the receive side adds per request). Only for a second: the
 * lookup is what tells the LRU a name is in use, so a busy one is still
 * looked up once a second per CPU and is not the one evicted by a flood of
 * new names.
 */
#define HS_NAMED_SLOTS 256
#define HS_NAMED_FRESH_NS 1000000000ULL
struct hs_recently_named {
	__u64 id[HS_NAMED_SLOTS];
	__u64 at[HS_NAMED_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_recently_named);
} recently_named SEC(".maps");

/* The templates each process counts under, with their names: what bounds a
 * process's templates, and where userspace reads their names. Sized by
 * userspace like `stats` (every entry has at least one series there). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_MAX_SERIES);
	__type(key, struct hs_template_key);
	__type(value, struct http_url_tmpl);
} url_templates SEC(".maps");

/* How many entries of url_templates each process has. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HS_MAX_PROCESSES);
	__type(key, struct hs_process);
	__type(value, __u32);
} url_template_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, HS_EVENTS_BYTES);
} events SEC(".maps");

/*
 * Where a feed stands between its steps on kernels without bpf_loop (see
 * STEPS below): a bpf_loop callback is checked with the pointers its caller
 * holds, a global function without them, so each step finds its connection
 * and buffer again from this and from the ids it is called with.
 */
struct feed_resume {
	__u64 src;	/* TLS: the user buffer (the socket side has its skb) */
	__u64 ssl;	/* TLS: the connection's SSL object */
	__u64 now_ns;
	__u32 pos;
	__u32 end;
	__u32 win_base;
	__u32 win_len;
};

struct scratch {
	__u32 busy;
	__u32 slot; /* its own index in `scratch` */
	struct http_buf buf;
	struct feed_resume resume;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HS_SCRATCH_SLOTS);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Number of entries in `paused`: skips the lookup while nothing is paused. */
__u32 paused_count = 0;

/* --url-templates and --max-url-templates. Read-only once loaded, so with
 * templates off the verifier drops their code: off costs what it did. */
const volatile __u8 url_templates_on = 1;
const volatile __u32 max_url_templates = HS_DEFAULT_MAX_URL_TEMPLATES;

static __always_inline int templates_on(void)
{
	return url_templates_on;
}

/* A request line's template: its name for the send side, unless it has one. */
static __always_inline void name_template(const struct http_url_tmpl *t, __u64 now_ns)
{
	__u32 zero = 0, slot = (__u32)t->id & (HS_NAMED_SLOTS - 1);
	struct hs_recently_named *seen = bpf_map_lookup_elem(&recently_named, &zero);
	long err = 0;

	if (seen && seen->id[slot] == t->id && now_ns - seen->at[slot] < HS_NAMED_FRESH_NS)
		return;
	if (!bpf_map_lookup_elem(&url_template_names, &t->id))
		err = bpf_map_update_elem(&url_template_names, &t->id, t, BPF_NOEXIST);
	/* Remembered only once named (EEXIST: another CPU named it just now). A
	 * softirq on this CPU may write the slot in between: any id found there
	 * was named by whoever wrote it. */
	if (seen && (err == 0 || err == -17)) {
		seen->id[slot] = t->id;
		seen->at[slot] = now_ns;
	}
}

/*
 * The template a process's exchange counts under, when it starts a new
 * series: `id` if the process already has it or may have one more (its name
 * goes with it into url_templates), else _OTHER, counted by cause. A global
 * function: the verifier checks it once, not at every place the parser
 * counts, and it runs only when a series is new.
 */
__noinline __u64 admit_template(__u64 start_ns, __u32 tgid, __u64 id)
{
	struct hs_template_key k = {.start_ns = start_ns, .tgid = tgid, .id = id};
	struct hs_process p = {.start_ns = start_ns, .tgid = tgid};
	struct http_url_tmpl *name;
	__u32 zero = 0, *n, cause;
	long err;

	if (bpf_map_lookup_elem(&url_templates, &k))
		return id;
	n = bpf_map_lookup_elem(&url_template_counts, &p);
	if (!n) {
		bpf_map_update_elem(&url_template_counts, &p, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&url_template_counts, &p);
		if (!n) {
			count(HS_C_TEMPLATES_FULL);
			return HTTP_TMPL_OTHER;
		}
	}
	if (*n >= max_url_templates) {
		count(HS_C_TEMPLATE_CAP);
		return HTTP_TMPL_OTHER;
	}
	/* Taken first, so that CPUs admitting at once cannot pass the bound. */
	if (__sync_fetch_and_add(n, 1) >= max_url_templates) {
		cause = HS_C_TEMPLATE_CAP;
		goto give_back;
	}
	name = bpf_map_lookup_elem(&url_template_names, &k.id);
	if (!name) {
		cause = HS_C_TEMPLATE_UNNAMED;
		goto give_back;
	}
	err = bpf_map_update_elem(&url_templates, &k, name, BPF_NOEXIST);
	if (err == 0)
		return id;
	__sync_fetch_and_add(n, -1);
	if (err == -17 /* EEXIST: another CPU admitted it just now */)
		return id;
	count(HS_C_TEMPLATES_FULL);
	return HTTP_TMPL_OTHER;
give_back:
	__sync_fetch_and_add(n, -1);
	count(cause);
	return HTTP_TMPL_OTHER;
}

static const struct hs_stats_value zero_stats;

static const __u64 latency_bounds_ns[HS_LATENCY_BUCKETS - 1] = {
	5000000ULL,   10000000ULL,   25000000ULL,   50000000ULL,   75000000ULL,
	100000000ULL, 250000000ULL,  500000000ULL,  750000000ULL,  1000000000ULL,
	2500000000ULL, 5000000000ULL, 7500000000ULL, 10000000000ULL,
};

/* Hides a value from the compiler, which would otherwise turn the sign
 * tricks below back into compare-and-branch (BPF has no setcc). */
#define OPAQUE(x) asm volatile("" : "+r"(x))

/* 1 when x != 0, without a branch: every branch here would double the paths
 * the verifier walks through the code after it. */
static __always_inline __u64 nonzero(__u64 x)
{
	__u64 y = x | (0 - x);

	OPAQUE(y);
	return y >> 63;
}

/* Index of the power-of-two bucket of `us`: its bit length, capped. */
static __always_inline __u32 log2_bucket(__u64 us)
{
	__u64 n = 0, s;

	s = nonzero(us >> 32) << 5, us >>= s, n += s;
	s = nonzero(us >> 16) << 4, us >>= s, n += s;
	s = nonzero(us >> 8) << 3, us >>= s, n += s;
	s = nonzero(us >> 4) << 2, us >>= s, n += s;
	s = nonzero(us >> 2) << 1, us >>= s, n += s;
	s = nonzero(us >> 1), us >>= s, n += s;
	n += us; /* bit length: 0 for 0 us, 1 for 1 us, 2 for 2-3 us, ... */
	return n < HS_LOG2_BUCKETS ? (__u32)n : HS_LOG2_BUCKETS - 1;
}

/* Index of the OpenTelemetry bucket: how many boundaries `ns` exceeds. */
static __always_inline __u32 otel_bucket(__u64 ns)
{
	__u64 n = 0;
	__u32 i;

#pragma unroll
	for (i = 0; i < HS_LATENCY_BUCKETS - 1; i++) {
		__u64 d = latency_bounds_ns[i] - ns;

		OPAQUE(d);
		n += d >> 63; /* 1 when ns > bound */
	}
	return (__u32)n;
}

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += 1;
}


static __always_inline void record_exchange(void *feed, __u8 method, __u16 status, __u64 latency_ns,
					    int has_latency, __u64 url_template)
{
	struct http_feed *f = feed;
	struct conn *c = conn_of(f->conn);
	struct hs_stats_key key = {};
	struct hs_stats_value *v;
	__u32 tgid = c->owner.tgid;

	if (!tgid) {
		count(HS_C_NO_OWNER);
		return;
	}
	if (paused_count) {
		__u64 *paused_start = bpf_map_lookup_elem(&paused, &tgid);

		if (paused_start && *paused_start == c->owner.start_ns) {
			count(HS_C_PAUSED);
			return;
		}
	}
	key.start_ns = c->owner.start_ns;
	key.tgid = tgid;
	key.status = status;
	key.method = method < HTTP_M_COUNT ? method : HTTP_M_OTHER;
	key.tls = HS_TLS;
	key.url_template = url_template;

	v = bpf_map_lookup_elem(&stats, &key);
	if (!v && url_template > HTTP_TMPL_OTHER) {
		/* A new series: is the template the process's? */
		key.url_template = admit_template(key.start_ns, tgid, url_template);
		if (key.url_template != url_template)
			v = bpf_map_lookup_elem(&stats, &key);
	}
	if (!v) {
		bpf_map_update_elem(&stats, &key, &zero_stats, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&stats, &key);
		if (!v) {
			count(HS_C_STATS_FULL);
			return;
		}
	}
	v->count++;
	if (!has_latency)
		return;
	if (latency_ns > 1ULL << 62)
		latency_ns = 1ULL << 62; /* keeps the sign trick in otel_bucket valid */
	v->latency_count++;
	v->latency_sum_ns += latency_ns;
	v->buckets[otel_bucket(latency_ns) & 15]++;
	v->log2_buckets[log2_bucket(latency_ns / 1000)]++;
}

static __always_inline struct scratch *scratch_get(void)
{
	__u32 i;

	for (i = 0; i < HS_SCRATCH_SLOTS; i++) {
		__u32 k = i;
		struct scratch *s = bpf_map_lookup_elem(&scratch, &k);

		if (s && __sync_lock_test_and_set(&s->busy, 1) == 0) {
			s->slot = k;
			return s;
		}
	}
	count(HS_C_SCRATCH_BUSY);
	return 0;
}

/*
 * STEPS: on kernels before 5.17 there is no bpf_loop. There the programs
 * named *_steps run the same steps through global functions instead, which
 * the verifier checks once each, whatever the number of calls: a bounded
 * loop over the step itself would be checked once per iteration, and a few
 * dozen would exhaust the verifier's budget. Two levels of bounded loops
 * (HS_STEP_ROUNDS calls of a function making HS_STEP_CALLS calls of the
 * step) keep each loop short for the verifier and give the same budget,
 * HTTP_MAX_STEPS, as bpf_loop. A step costs two lookups more than in the
 * bpf_loop callback: the connection's state and the scratch slot.
 */
#define HS_STEP_CALLS 64
#define HS_STEP_ROUNDS (HTTP_MAX_STEPS / HS_STEP_CALLS)
_Static_assert(HS_STEP_ROUNDS * HS_STEP_CALLS == HTTP_MAX_STEPS, "the same budget as bpf_loop's");

static __always_inline void feed_save(struct scratch *s, const struct http_feed *f)
{
	s->resume.now_ns = f->now_ns;
	s->resume.pos = f->pos;
	s->resume.end = f->end;
	s->resume.win_base = f->win_base;
	s->resume.win_len = f->win_len;
}

static __always_inline void feed_restore(struct http_feed *f, const struct scratch *s)
{
	f->now_ns = s->resume.now_ns;
	f->pos = s->resume.pos;
	f->end = s->resume.end;
	f->win_base = s->resume.win_base;
	f->win_len = s->resume.win_len;
}

/* One step of the feed saved in `s`, on the connection state `http`; 1 to
 * stop, like the bpf_loop callbacks. */
static __always_inline int feed_step(struct scratch *s, void *src, struct http_conn *http,
				     const int response)
{
	struct http_feed f = {};
	int stop;

	f.src = src;
	f.conn = http;
	f.st = response ? &http->resp : &http->req;
	f.buf = &s->buf;
	f.response = response;
	feed_restore(&f, s);
	stop = http_step(&f, response) || f.pos >= f.end;
	feed_save(s, &f);
	return stop;
}

static __always_inline void emit_event(__u32 kind, __u32 tgid, __u64 start_ns)
{
	struct hs_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(HS_C_EVENTS_FULL);
		return;
	}
	e->kind = kind;
	e->tgid = tgid;
	e->start_ns = start_ns;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/* Tells userspace, once, about a process that serves HTTP. */
static __always_inline void note_process(const struct hs_process *owner)
{
	__u64 *known = bpf_map_lookup_elem(&procs, &owner->tgid);

	if (known && *known == owner->start_ns)
		return;
	if (bpf_map_update_elem(&procs, &owner->tgid, &owner->start_ns, BPF_ANY)) {
		count(HS_C_PROCS_FULL);
		return;
	}
	emit_event(HS_EV_PROCESS_NEW, owner->tgid, owner->start_ns);
}

#endif /* HTTP_STATISTICS_COUNTING_BPF_H */
