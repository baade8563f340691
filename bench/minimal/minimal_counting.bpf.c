// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The least work a counter of HTTP responses per connection can do on the
 * engine's hooks: a lower bound for any design on them, measured by
 * bench/overhead.py's variant M.
 *
 * Per sent segment: one socket-storage lookup and, on the server side of a
 * connection, one 16-byte load and one per-CPU counter by status code. Per
 * received segment: the storage lookup that tells the server's side from the
 * client's. No framing (a response is a segment that starts with "HTTP/1.",
 * so pipelined responses are missed), no method, no latency, no process: it
 * is exact only for one response per segment, and is not a tracer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "minimal_counting.h"

#define IPPROTO_TCP 6

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Exists only on connections sockops saw accepted, as in the engine. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} mc_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MC_STATUS_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} mc_status SEC(".maps");

SEC("sockops")
int mc_sockops(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;

	if (skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB && sk)
		bpf_sk_storage_get(&mc_conns, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	return 1;
}

/* Offset of the TCP payload, or 0 when there is none (IPv4 only: the
 * benchmark's traffic is on 127.0.0.1). */
static __always_inline __u32 payload_offset(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *iph = data;
	struct tcphdr *th;
	__u32 off;

	if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->protocol != IPPROTO_TCP)
		return 0;
	th = data + iph->ihl * 4;
	if ((void *)(th + 1) > data_end)
		return 0;
	off = iph->ihl * 4 + th->doff * 4;
	return off < skb->len ? off : 0;
}

SEC("cgroup_skb/ingress")
int mc_ingress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	__u64 *segments;

	if (!sk || !payload_offset(skb))
		return 1;
	segments = bpf_sk_storage_get(&mc_conns, sk, 0, 0);
	if (segments)
		*segments += 1; /* keeps the lookup: a request on the server side */
	return 1;
}

SEC("cgroup_skb/egress")
int mc_egress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	__u32 off = payload_offset(skb), status;
	__u64 *segments, *n;
	char line[16];

	if (!sk || !off)
		return 1;
	segments = bpf_sk_storage_get(&mc_conns, sk, 0, 0);
	if (!segments)
		return 1;
	if (bpf_skb_load_bytes(skb, off, line, sizeof(line)))
		return 1;
	/* "HTTP/1.x NNN " */
	if (line[0] != 'H' || line[1] != 'T' || line[2] != 'T' || line[3] != 'P' || line[4] != '/')
		return 1;
	status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	if (status >= MC_STATUS_SLOTS)
		return 1;
	n = bpf_map_lookup_elem(&mc_status, &status);
	if (n)
		*n += 1;
	return 1;
}
