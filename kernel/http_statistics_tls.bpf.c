// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * HTTP/1.x inside TLS: the plaintext that OpenSSL 3 (libssl.so.3) hands to and
 * takes from the server, framed by the same parser and counted into the same
 * maps as the socket side (shared with it by userspace), marked tls = 1.
 *
 * Hooks (uprobes on the library file: every process mapping it is covered,
 * also those that start later):
 *   SSL_read, SSL_read_ex      entry: remember the buffer; return: the bytes
 *                              read are requests
 *   SSL_write, SSL_write_ex    entry: remember the buffer; return: the bytes
 *                              written are responses (a retried write after
 *                              WANT_WRITE is seen once, when it succeeds)
 *   SSL_free                   the connection's state goes
 * The socket side sees only ciphertext on these connections, which is not
 * HTTP: nothing is counted twice. A client's connections count nothing either:
 * what it writes is not a response and what it reads is not a request.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "http_statistics.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline void count(__u32 which);
static __always_inline int templates_on(void);
struct http_url_tmpl;
static __always_inline void name_template(const struct http_url_tmpl *t, __u64 now_ns);
static __always_inline void record_exchange(void *feed, __u8 method, __u16 status, __u64 latency_ns,
					    int has_latency, __u64 url_template);

/* f->src is the user buffer: plaintext from SSL_read/SSL_write. */
#define HTTP_LOAD(f, off, dst, len) \
	bpf_probe_read_user((dst), (len), (const void *)((unsigned long)(f)->src + (off)))
#define HTTP_ON_EXCHANGE(f, m, s, lat, has, t) record_exchange((f), (m), (s), (lat), (has), (t))
#define HTTP_TEMPLATES(f) templates_on()
#define HTTP_ON_TEMPLATE(f, t) name_template((t), (f)->now_ns)
#define HTTP_ON_NOTE(f, note) count(note)
#define HTTP_LOOP(nr, cb, ctx) bpf_loop((nr), (cb), (ctx), 0)
#include "http_parser.h"

#define HS_TLS 1
#include "counting.bpf.h"

/* A TLS connection: the SSL object, in its process. */
struct tls_key {
	__u64 ssl;
	__u32 tgid;
	__u32 pad;
};

/* LRU: a connection whose SSL_free was missed ages out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HS_MAX_TLS_CONNS);
	__type(key, struct tls_key);
	__type(value, struct conn);
} tls_conns SEC(".maps");

/* Arguments of an SSL_read/SSL_write call in progress, by thread. LRU: the
 * entry of a thread that died inside the call ages out. */
struct tls_call {
	__u64 ssl;
	__u64 buf;
	__u64 count_ptr; /* size_t * of the _ex variants, 0 for the others */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HS_MAX_TLS_CALLS);
	__type(key, __u64);
	__type(value, struct tls_call);
} tls_reads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HS_MAX_TLS_CALLS);
	__type(key, __u64);
	__type(value, struct tls_call);
} tls_writes SEC(".maps");

/* Set when the engine is attached to a cgroup below the root: the socket
 * programs then see only that cgroup's sockets, and the uprobes, which fire
 * in every process using the library, count only its tasks too. The cgroup
 * is the one entry of `scope`. */
const volatile __u8 cgroup_only = 0;

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} scope SEC(".maps");

static const struct conn zero_conn;

static __always_inline int call_enter(void *calls, __u64 ssl, __u64 buf, __u64 count_ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_call c = {.ssl = ssl, .buf = buf, .count_ptr = count_ptr};

	if (!ssl || !buf)
		return 0;
	/* Remembering no call makes its return probe a lookup that misses. */
	if (cgroup_only && bpf_current_task_under_cgroup(&scope, 0) != 1)
		return 0;
	bpf_map_update_elem(calls, &id, &c, BPF_ANY);
	return 0;
}

/* Bytes the call moved: SSL_read/SSL_write return them, the _ex variants
 * return 1 and store them through their last argument. */
static __always_inline __u64 call_bytes(const struct tls_call *c, long ret)
{
	__u64 n = 0;

	if (!c->count_ptr)
		return (int)ret > 0 ? (__u64)(int)ret : 0;
	if ((int)ret != 1 || bpf_probe_read_user(&n, sizeof(n), (const void *)c->count_ptr))
		return 0;
	return n;
}

static __always_inline struct conn *tls_conn(__u64 ssl)
{
	struct task_struct *task;
	struct tls_key key = {.ssl = ssl, .tgid = bpf_get_current_pid_tgid() >> 32};
	struct conn *c = bpf_map_lookup_elem(&tls_conns, &key);

	if (c)
		return c;
	if (bpf_map_update_elem(&tls_conns, &key, &zero_conn, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&tls_conns, &key)) {
		count(HS_C_CONN_STORAGE);
		return 0;
	}
	c = bpf_map_lookup_elem(&tls_conns, &key);
	if (!c)
		return 0;
	if (!c->owner.tgid) {
		task = (struct task_struct *)bpf_get_current_task();
		c->owner.tgid = key.tgid;
		c->owner.start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	}
	return c;
}

/* ---- the steps without bpf_loop (STEPS in counting.bpf.h) ------------------ */

static __always_inline int tls_step(__u32 slot, const int response)
{
	struct scratch *s = bpf_map_lookup_elem(&scratch, &slot);
	struct tls_key key = {.tgid = bpf_get_current_pid_tgid() >> 32};
	struct conn *c;

	if (!s)
		return 1;
	key.ssl = s->resume.ssl;
	c = bpf_map_lookup_elem(&tls_conns, &key);
	if (!c)
		return 1;
	return feed_step(s, (void *)s->resume.src, &c->http, response);
}

__attribute__((noinline)) int hs_tls_request_step(__u32 slot)
{
	return tls_step(slot, 0);
}

__attribute__((noinline)) int hs_tls_response_step(__u32 slot)
{
	return tls_step(slot, 1);
}

__attribute__((noinline)) int hs_tls_request_steps(__u32 slot)
{
	__u32 i;

	for (i = 0; i < HS_STEP_CALLS; i++)
		if (hs_tls_request_step(slot))
			return 1;
	return 0;
}

__attribute__((noinline)) int hs_tls_response_steps(__u32 slot)
{
	__u32 i;

	for (i = 0; i < HS_STEP_CALLS; i++)
		if (hs_tls_response_step(slot))
			return 1;
	return 0;
}

/* http_feed_segment without bpf_loop: f's state goes through s between steps. */
static __always_inline void feed_in_steps(struct http_feed *f, struct scratch *s, __u64 ssl,
					  __u32 seq, __u32 len)
{
	__u32 i, slot = s->slot;

	if (!http_feed_begin(f, seq, 0, len))
		return;
	s->resume.src = (__u64)f->src;
	s->resume.ssl = ssl;
	feed_save(s, f);
	for (i = 0; i < HS_STEP_ROUNDS; i++)
		if (f->response ? hs_tls_response_steps(slot) : hs_tls_request_steps(slot))
			break;
	feed_restore(f, s);
	http_feed_finish(f);
}

static __always_inline int call_return(void *calls, long ret, __u8 response, const int steps)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_call *call = bpf_map_lookup_elem(calls, &id);
	struct http_feed f = {};
	struct http_stream *st;
	struct scratch *s;
	struct conn *c;
	__u64 n;

	if (!call)
		return 0;
	n = call_bytes(call, ret);
	if (n == 0 || n > 0x7fffffff)
		goto out;
	c = tls_conn(call->ssl);
	if (!c)
		goto out;
	st = response ? &c->http.resp : &c->http.req;
	if (st->state >= HS_UNTIL_CLOSE)
		goto out;
	s = scratch_get();
	if (!s)
		goto out;
	f.src = (void *)call->buf;
	f.conn = &c->http;
	f.st = st;
	f.buf = &s->buf;
	f.now_ns = bpf_ktime_get_ns();
	f.response = response;
	/* A byte stream without gaps or retransmissions: the stream's own
	 * next sequence number is where these bytes start. */
	if (steps)
		feed_in_steps(&f, s, call->ssl, st->next_seq, (__u32)n);
	else
		http_feed_segment(&f, st->next_seq, 0, (__u32)n);
	s->busy = 0;
	/* Userspace hears of servers only: a client's connections never
	 * answer a request. */
	if (c->http.responses && !c->announced) {
		c->announced = 1;
		note_process(&c->owner);
	}
out:
	bpf_map_delete_elem(calls, &id);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(hs_ssl_read_enter, void *ssl, void *buf, int num)
{
	return call_enter(&tls_reads, (__u64)ssl, (__u64)buf, 0);
}

SEC("uprobe")
int BPF_KPROBE(hs_ssl_read_ex_enter, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return call_enter(&tls_reads, (__u64)ssl, (__u64)buf, (__u64)readbytes);
}

SEC("uretprobe")
int BPF_KRETPROBE(hs_ssl_read_return, long ret)
{
	return call_return(&tls_reads, ret, 0, 0);
}

/* The same, for kernels without bpf_loop: userspace loads one or the other. */
SEC("uretprobe")
int BPF_KRETPROBE(hs_ssl_read_return_steps, long ret)
{
	return call_return(&tls_reads, ret, 0, 1);
}

SEC("uprobe")
int BPF_KPROBE(hs_ssl_write_enter, void *ssl, const void *buf, int num)
{
	return call_enter(&tls_writes, (__u64)ssl, (__u64)buf, 0);
}

SEC("uprobe")
int BPF_KPROBE(hs_ssl_write_ex_enter, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return call_enter(&tls_writes, (__u64)ssl, (__u64)buf, (__u64)written);
}

SEC("uretprobe")
int BPF_KRETPROBE(hs_ssl_write_return, long ret)
{
	return call_return(&tls_writes, ret, 1, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(hs_ssl_write_return_steps, long ret)
{
	return call_return(&tls_writes, ret, 1, 1);
}

SEC("uprobe")
int BPF_KPROBE(hs_ssl_free, void *ssl)
{
	struct tls_key key = {.ssl = (__u64)ssl, .tgid = bpf_get_current_pid_tgid() >> 32};

	bpf_map_delete_elem(&tls_conns, &key);
	return 0;
}
