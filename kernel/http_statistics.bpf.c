// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-process HTTP/1.x counters and latency histograms, aggregated in the kernel.
 *
 * Hooks, chosen for cost (see docs/design.md):
 *   sockops                        once per accepted connection: per-connection state
 *   tracepoint sys_exit_accept(4)  once per accept: which process owns the connection
 *   cgroup_skb ingress             requests, framed on the server side of the connection
 *   cgroup_skb egress              responses: paired with requests, counted, timed
 *   tracepoint sched_process_exit  a counted process is gone
 * Nothing per request leaves the kernel: userspace reads the per-CPU maps.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#include "http_statistics.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define S_IFMT 00170000
#define S_IFSOCK 0140000

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- the parser, instantiated for skbs --------------------------------------- */

static __always_inline void count(__u32 which);
static __always_inline int templates_on(void);
struct http_url_tmpl;
static __always_inline void name_template(const struct http_url_tmpl *t, __u64 now_ns);
static __always_inline void record_exchange(void *feed, __u8 method, __u16 status, __u64 latency_ns,
					    int has_latency, __u64 url_template);

#define HTTP_LOAD(f, off, dst, len) bpf_skb_load_bytes((f)->src, (off), (dst), (len))
#define HTTP_ON_EXCHANGE(f, m, s, lat, has, t) record_exchange((f), (m), (s), (lat), (has), (t))
#define HTTP_TEMPLATES(f) templates_on()
#define HTTP_ON_TEMPLATE(f, t) name_template((t), (f)->now_ns)
#define HTTP_ON_NOTE(f, note) count(note)
#define HTTP_LOOP(nr, cb, ctx) bpf_loop((nr), (cb), (ctx), 0)
#include "http_parser.h"

#define HS_TLS 0
#include "counting.bpf.h"

_Static_assert(HS_C_NO_OWNER == HN_COUNT, "the counters start with the parser's notes");

/* ---- maps of the socket side (the shared ones are in counting.bpf.h) ------ */

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct conn);
} conns SEC(".maps");

/*
 * A request that travels in the packet that establishes the connection (the
 * last ACK of the handshake under TCP_DEFER_ACCEPT: Apache's default
 * AcceptFilter, nginx's `listen ... deferred`; TCP Fast Open's SYN) meets the
 * receive hook before the connection's socket exists: the kernel runs it with
 * the listening socket, then creates the connection, runs sockops on it, and
 * queues the payload. So hs_handshake, tail-called by the receive hook,
 * parses that payload into an entry of the CPU that goes on to create the
 * connection, and sockops moves the result into the connection's state. One entry per CPU: both
 * hooks run in the same softirq call chain (tcp_v4_rcv/tcp_v6_rcv), nothing else in between, and
 * the TCP header both of them see names the packet.
 */
struct handshake {
	__u32 seq;	       /* the packet's sequence number, as on the wire */
	__u32 ack_seq;	       /* its acknowledgement number, as on the wire */
	__u32 ports;	       /* its source and destination port, as on the wire */
	__u32 valid;	       /* 1 from the parse until sockops takes it */
	struct http_conn http; /* only req, requests and pending[] are used */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct handshake);
} handshakes SEC(".maps");

/* hs_handshake, once userspace has loaded it. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} handshake_prog SEC(".maps");

/* ---- the steps without bpf_loop (STEPS in counting.bpf.h) ------------------ */

#define FEED_CONN 0	 /* a connection's socket storage */
#define FEED_HANDSHAKE 1 /* this CPU's struct handshake */

static __always_inline int socket_step(struct __sk_buff *skb, __u32 slot, __u32 where,
				       const int response)
{
	struct scratch *s = bpf_map_lookup_elem(&scratch, &slot);
	struct http_conn *http;

	if (!s)
		return 1;
	/* Only requests come with a handshake (and a handshake is not a conn,
	 * where responses are counted). */
	if (!response && where == FEED_HANDSHAKE) {
		__u32 zero = 0;
		struct handshake *h = bpf_map_lookup_elem(&handshakes, &zero);

		if (!h)
			return 1;
		http = &h->http;
	} else {
		struct bpf_sock *sk = skb->sk;
		struct conn *c;

		if (!sk)
			return 1;
		c = bpf_sk_storage_get(&conns, sk, 0, 0);
		if (!c)
			return 1;
		http = &c->http;
	}
	return feed_step(s, skb, http, response);
}

__attribute__((noinline)) int hs_request_step(struct __sk_buff *skb, __u32 slot, __u32 where)
{
	return socket_step(skb, slot, where, 0);
}

__attribute__((noinline)) int hs_response_step(struct __sk_buff *skb, __u32 slot, __u32 where)
{
	return socket_step(skb, slot, where, 1);
}

__attribute__((noinline)) int hs_request_steps(struct __sk_buff *skb, __u32 slot, __u32 where)
{
	__u32 i;

	for (i = 0; i < HS_STEP_CALLS; i++)
		if (hs_request_step(skb, slot, where))
			return 1;
	return 0;
}

__attribute__((noinline)) int hs_response_steps(struct __sk_buff *skb, __u32 slot, __u32 where)
{
	__u32 i;

	for (i = 0; i < HS_STEP_CALLS; i++)
		if (hs_response_step(skb, slot, where))
			return 1;
	return 0;
}

/* http_feed_segment without bpf_loop: f's state goes through s between steps. */
static __always_inline void feed_in_steps(struct __sk_buff *skb, struct http_feed *f,
					  struct scratch *s, __u32 where, __u32 seq, __u32 off,
					  __u32 len)
{
	__u32 i, slot = s->slot;

	if (!http_feed_begin(f, seq, off, len))
		return;
	feed_save(s, f);
	for (i = 0; i < HS_STEP_ROUNDS; i++)
		if (f->response ? hs_response_steps(skb, slot, where)
				: hs_request_steps(skb, slot, where))
			break;
	feed_restore(f, s);
	http_feed_finish(f);
}

/* accept() knows the process, the send path knows the connection: this
 * hands the owner over by socket cookie, once per connection. hs_sockops
 * puts each connection it sets up here with no owner (tgid 0), and the
 * accept hook fills in only those: a cookie alone does not make a
 * connection ours, since any BPF program or sock_diag (ss) can create one,
 * and the accept tracepoints see every process on the host. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HS_MAX_ACCEPTED);
	__type(key, __u64);
	__type(value, struct hs_process);
} accepted SEC(".maps");

/* ---- connection setup -------------------------------------------------------- */

SEC("sockops")
int hs_sockops(struct bpf_sock_ops *skops)
{
	const struct hs_process no_owner = {};
	struct bpf_sock *sk;
	struct conn *c;
	__u64 cookie;

	if (skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		return 1;
	if (skops->family != AF_INET && skops->family != AF_INET6)
		return 1;
	sk = skops->sk;
	if (!sk)
		return 1;
	/* The cookie is created on first use; creating it here, before accept()
	 * can return the socket, lets the accept hook read it. */
	cookie = bpf_get_socket_cookie(skops);
	c = bpf_sk_storage_get(&conns, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!c) {
		count(HS_C_CONN_STORAGE);
		return 1;
	}
	/* Ours, owner unknown until accept() returns it. */
	bpf_map_update_elem(&accepted, &cookie, &no_owner, BPF_ANY);
	c->http.req.next_seq = skops->rcv_nxt;
	c->http.req.flags = HF_SEQ;
	c->http.resp.next_seq = skops->snd_nxt;
	c->http.resp.flags = HF_SEQ;
	/* Payload in the packet that established the connection (data on the
	 * handshake's last ACK, TCP Fast Open's SYN) reached the receive hook
	 * with the listening socket, which parsed it (struct handshake). Here
	 * sockops sees the packet's TCP header but not its payload. */
	{
		void *data = (void *)(long)skops->skb_data;
		void *data_end = (void *)(long)skops->skb_data_end;
		struct tcphdr *th = data;
		struct handshake *h;
		__u32 zero = 0, payload;

		if ((void *)(th + 1) > data_end || skops->skb_len <= th->doff * 4U)
			return 1;
		payload = skops->skb_len - th->doff * 4U;
		h = bpf_map_lookup_elem(&handshakes, &zero);
		if (h && h->valid && h->seq == th->seq && h->ack_seq == th->ack_seq &&
		    h->ports == ((__u32 *)th)[0] && (h->http.req.flags & HF_SEQ) &&
		    h->http.req.next_seq == skops->rcv_nxt + payload) {
			c->http.req = h->http.req;
			c->http.requests = h->http.requests;
			__builtin_memcpy(c->http.pending, h->http.pending, sizeof(c->http.pending));
			h->valid = 0;
			return 1;
		}
		/* Not parsed (no scratch buffer, or a path that skips the receive
		 * hook): skip it, and let responses that find no request count
		 * with method unknown. */
		c->http.req.next_seq += payload;
		c->http.req.flags |= HF_SKIPPED | HF_FED;
		count(HS_C_HANDSHAKE_UNPARSED);
	}
	return 1;
}

struct syscall_exit_args {
	__u64 common;
	__s32 nr;
	__s64 ret;
};

static __always_inline int on_accept(long fd)
{
	struct task_struct *task;
	struct file **fds, *file;
	struct socket *sock;
	struct sock *sk;
	struct hs_process owner = {};
	__u64 cookie;
	unsigned int max_fds;
	umode_t mode;

	if (fd < 0)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	max_fds = BPF_CORE_READ(task, files, fdt, max_fds);
	if ((unsigned long)fd >= max_fds)
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	/* Zero when nothing created one: then sockops did not see it either. */
	cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	if (!cookie)
		return 0;

	owner.tgid = bpf_get_current_pid_tgid() >> 32;
	owner.start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	/* BPF_EXIST: only a connection hs_sockops set up (see accepted). Other
	 * processes' connections would otherwise be tracked, with no series,
	 * for as long as they live, and fill procs and accepted. */
	if (bpf_map_update_elem(&accepted, &cookie, &owner, BPF_EXIST))
		return 0;

	note_process(&owner);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int hs_accept4(struct syscall_exit_args *ctx)
{
	return on_accept(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int hs_accept(struct syscall_exit_args *ctx)
{
	return on_accept(ctx->ret);
}

/* A classic tracepoint rather than tp_btf: tp_btf makes libbpf load the whole
 * kernel BTF to find its attach point, where CO-RE alone can do with a cut of
 * it (userspace/core_btf.h). The exiting task is the current one. */
SEC("tracepoint/sched/sched_process_exit")
int hs_process_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 *start;

	/* Only when the whole thread group is gone. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	start = bpf_map_lookup_elem(&procs, &tgid);
	if (!start)
		return 0;
	emit_event(HS_EV_PROCESS_EXIT, tgid, *start);
	bpf_map_delete_elem(&procs, &tgid);
	return 0;
}

/* ---- the data path ----------------------------------------------------------- */

/* TCP sequence number and payload bounds of an skb whose data starts at the
 * network header (as cgroup_skb sees it). */
static __always_inline int tcp_payload(struct __sk_buff *skb, __u32 *seq, __u32 *off, __u32 *len)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 *ip = data;
	struct tcphdr *th;
	__u32 l3, l4;

	if ((void *)(ip + 1) > data_end)
		return -1;
	if ((ip[0] >> 4) == 4) {
		struct iphdr *iph = data;

		if ((void *)(iph + 1) > data_end || iph->protocol != IPPROTO_TCP)
			return -1;
		l3 = iph->ihl * 4;
		if (l3 < sizeof(*iph))
			return -1;
	} else if ((ip[0] >> 4) == 6) {
		struct ipv6hdr *ip6h = data;

		if ((void *)(ip6h + 1) > data_end || ip6h->nexthdr != IPPROTO_TCP)
			return -1;
		l3 = sizeof(*ip6h);
	} else {
		return -1;
	}
	if (l3 > 60)
		return -1;
	th = data + l3;
	if ((void *)(th + 1) > data_end)
		return -1;
	l4 = th->doff * 4;
	if (l4 < sizeof(*th) || l3 + l4 > skb->len)
		return -1;
	*seq = bpf_ntohl(th->seq);
	*off = l3 + l4;
	*len = skb->len - (l3 + l4);
	return 0;
}

static __always_inline void handle_skb(struct __sk_buff *skb, __u8 response, const int steps)
{
	struct bpf_sock *sk = skb->sk;
	struct http_feed f = {};
	struct http_stream *st;
	struct scratch *s;
	struct conn *c;
	__u32 seq, off, len;

	/* Cheapest test first: pure ACKs (about half of all segments) carry
	 * no payload and need no helper call at all. */
	if (tcp_payload(skb, &seq, &off, &len) || !len)
		return;
	if (!sk)
		return;
	/* No bpf_sk_fullsock() first: the storage lookup itself returns NULL
	 * for request and time-wait sockets, and a helper call costs a lot on
	 * CPUs with return-thunk mitigations. */
	c = bpf_sk_storage_get(&conns, sk, 0, 0);
	if (!c) {
		/* Not the server side of a connection we saw established, or
		 * payload for a listening socket: a request that came with the
		 * handshake, for hs_handshake. A client's segment costs this one
		 * load more; a listener's segments rarely carry payload. */
		if (!response && sk->state == BPF_TCP_LISTEN)
			bpf_tail_call(skb, &handshake_prog, 0);
		return;
	}
	st = response ? &c->http.resp : &c->http.req;
	if (st->state >= HS_UNTIL_CLOSE)
		return;

	if (response && !c->owner.tgid) {
		__u64 cookie = bpf_get_socket_cookie(skb);
		struct hs_process *o = bpf_map_lookup_elem(&accepted, &cookie);

		/* tgid 0: accept() has not returned it yet. */
		if (o && o->tgid) {
			c->owner = *o;
			bpf_map_delete_elem(&accepted, &cookie);
		}
	}

	s = scratch_get();
	if (!s)
		return;
	f.src = skb;
	f.conn = &c->http;
	f.st = st;
	f.buf = &s->buf;
	/* TCP stamps each segment it sends with its departure time
	 * (CLOCK_MONOTONIC, like bpf_ktime_get_ns): reuse it rather than read
	 * the clock again on the send path. */
	f.now_ns = response && skb->tstamp ? skb->tstamp : bpf_ktime_get_ns();
	f.response = response;
	if (steps)
		feed_in_steps(skb, &f, s, FEED_CONN, seq, off, len);
	else
		http_feed_segment(&f, seq, off, len);
	s->busy = 0;
}

SEC("cgroup_skb/ingress")
int hs_ingress(struct __sk_buff *skb)
{
	handle_skb(skb, 0, 0);
	return 1;
}

SEC("cgroup_skb/egress")
int hs_egress(struct __sk_buff *skb)
{
	handle_skb(skb, 1, 0);
	return 1;
}

/* The same, for kernels without bpf_loop: userspace loads one pair or the other. */
SEC("cgroup_skb/ingress")
int hs_ingress_steps(struct __sk_buff *skb)
{
	handle_skb(skb, 0, 1);
	return 1;
}

SEC("cgroup_skb/egress")
int hs_egress_steps(struct __sk_buff *skb)
{
	handle_skb(skb, 1, 1);
	return 1;
}

/*
 * Payload for a listening socket, tail-called from hs_ingress: the packet
 * that completes a handshake under TCP_DEFER_ACCEPT, or a TCP Fast Open SYN.
 * Parses it into this CPU's struct handshake, which hs_sockops moves into the
 * connection the kernel creates next. A program of its own: the verifier
 * checks the request parser once per program, and this one loads after the
 * others are attached. Until it is in handshake_prog, such payload is
 * skipped and counted (handshake_unparsed).
 */
static __always_inline void parse_handshake(struct __sk_buff *skb, const int steps)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 *ip = data;
	struct http_feed f = {};
	struct handshake *h;
	struct scratch *s;
	struct tcphdr th;
	__u32 seq, off, len, l3, zero = 0;

	if (tcp_payload(skb, &seq, &off, &len) || !len)
		return;
	if ((void *)(ip + 1) > data_end)
		return;
	l3 = (ip[0] >> 4) == 4 ? (ip[0] & 15) * 4U : 40U;
	if (bpf_skb_load_bytes(skb, l3, &th, sizeof(th)))
		return;
	h = bpf_map_lookup_elem(&handshakes, &zero);
	if (!h)
		return;
	h->valid = 0;
	h->seq = th.seq;
	h->ack_seq = th.ack_seq;
	h->ports = ((__u32 *)&th)[0];
	/* What sockops sets on a new connection, and nothing before it. */
	__builtin_memset(&h->http, 0, __builtin_offsetof(struct http_conn, gap));
	/* A SYN's data starts one sequence number after the SYN's own. */
	if (th.syn)
		seq += 1;

	s = scratch_get();
	if (!s)
		return;
	f.src = skb;
	f.conn = &h->http;
	f.st = &h->http.req;
	f.buf = &s->buf;
	f.now_ns = bpf_ktime_get_ns();
	f.response = 0;
	if (steps)
		feed_in_steps(skb, &f, s, FEED_HANDSHAKE, seq, off, len);
	else
		http_feed_segment(&f, seq, off, len);
	h->valid = 1;
	s->busy = 0;
}

SEC("cgroup_skb/ingress")
int hs_handshake(struct __sk_buff *skb)
{
	parse_handshake(skb, 0);
	return 1;
}

SEC("cgroup_skb/ingress")
int hs_handshake_steps(struct __sk_buff *skb)
{
	parse_handshake(skb, 1);
	return 1;
}
