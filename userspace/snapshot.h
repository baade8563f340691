// The aggregation layer's published state: what both exporters read.
//
// The aggregator (userspace/aggregator.h) is the only reader of BPF maps. Once a
// second it turns the kernel counters into an immutable Snapshot; exporters take
// the latest one with Aggregator::snapshot() and never see the kernel.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hs {

using Clock = std::chrono::system_clock;

// Same numbering as the kernel's enum http_method (kernel/http_parser.h).
enum class Method : std::uint8_t {
  Other = 0,  // request not seen (started before the daemon, reordering): "_OTHER"
  Get,
  Head,
  Post,
  Put,
  Delete,
  Connect,
  Options,
  Trace,
  Patch,
};
inline constexpr int kMethodCount = 10;

// OpenTelemetry spelling: upper-case method, "_OTHER" for unknown.
std::string_view method_name(Method m);

// OpenTelemetry's default explicit bucket boundaries for
// http.server.request.duration, in seconds. Bucket i counts latencies
// <= kLatencyBounds[i]; the last bucket (index 14) is +Inf.
inline constexpr std::array<double, 14> kLatencyBounds = {
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0};
inline constexpr int kLatencyBuckets = 15;
// Finer buckets used only for quantiles (Scope's p50/p99): bucket i holds
// latencies in [2^(i-1), 2^i) microseconds, bucket 0 those under 1 us, the
// last one everything from 2^25 us (33.5 s) up.
inline constexpr int kLog2Buckets = 27;

struct SeriesKey {
  Method method = Method::Other;
  std::uint16_t status = 0;
  bool tls = false;  // seen as plaintext inside OpenSSL (HTTPS), not on the TCP socket
  // The request target's URL template (docs/design.md, "URL templates"):
  // "" for none (CONNECT, malformed targets, templates off), "_OTHER" past
  // the process's bound.
  std::string url_template;
  auto operator<=>(const SeriesKey&) const = default;
};

// Monotonic since the process was first seen.
struct SeriesStats {
  std::uint64_t count = 0;          // responses (request/response exchanges)
  std::uint64_t latency_count = 0;  // exchanges with a measured latency
  std::uint64_t latency_sum_ns = 0;
  std::array<std::uint64_t, kLatencyBuckets> buckets{};    // non-cumulative
  std::array<std::uint64_t, kLog2Buckets> log2_buckets{};  // non-cumulative
};

// One URL template's share of a per-second sample.
struct EndpointRate {
  double requests_per_second = 0;
  double server_errors_per_second = 0;  // 5xx responses
  double latency_p99_ms = -1;           // negative when no exchange was timed
};

// One per-second sample of a process's traffic.
struct RateSample {
  Clock::time_point at;  // when the kernel counters were read
  double requests_per_second = 0;
  std::map<std::uint16_t, double> responses_per_second;  // by status code, non-zero only
  // Latency quantiles of the exchanges completed in this interval, in
  // milliseconds; negative when no exchange completed.
  double latency_p50_ms = -1;
  double latency_p99_ms = -1;
  // By URL template, for the templates that answered in this interval ("":
  // requests without one).
  std::map<std::string, EndpointRate> endpoints;
  // Counting was paused for the process when this sample was read: its rates
  // say nothing was counted, not that nothing was served.
  bool paused = false;
};

// Names of the container a process runs in, read from node files
// (userspace/container_names.h); each "" when unknown.
struct ContainerNames {
  // Kubernetes pods: OpenTelemetry's k8s.namespace.name, k8s.pod.name and
  // k8s.container.name.
  std::string k8s_namespace_name;
  std::string k8s_pod_name;
  std::string k8s_container_name;
  // Docker or nerdctl containers outside Kubernetes: container.name.
  std::string container_name;

  // Nothing left that a later lookup could add.
  bool complete() const { return !k8s_container_name.empty() || !container_name.empty(); }
  bool operator==(const ContainerNames&) const = default;
};

struct ProcessInfo {
  std::uint32_t pid = 0;        // tgid in the host PID namespace
  std::uint64_t start_ns = 0;   // kernel start time; (pid, start_ns) is the identity
  std::string comm;             // task comm (15 chars max)
  std::string executable_name;  // basename of /proc/<pid>/exe, or comm
  std::string container_id;     // empty when not in a container
  ContainerNames names;         // looked up when first seen, kept until forgotten
  bool paused = false;          // tracing paused for this process
  bool exited = false;
  Clock::time_point first_seen;
  Clock::time_point exited_at;  // valid when exited
};

struct ProcessSnapshot {
  ProcessInfo info;
  std::map<SeriesKey, SeriesStats> series;  // cumulative counters
  std::vector<RateSample> recent;           // oldest first, one per second, bounded
};

struct ProgramHealth {
  std::string name;               // BPF program name
  std::string attach_point;       // e.g. "cgroup_skb/egress /sys/fs/cgroup"
  std::uint64_t run_time_ns = 0;  // from bpf_stats (0 when kernel.bpf_stats_enabled=0)
  std::uint64_t run_count = 0;
};

struct MapHealth {
  std::string name;
  std::uint64_t used = 0;      // entries in use (where countable)
  std::uint64_t capacity = 0;  // max_entries
};

struct EngineHealth {
  std::vector<ProgramHealth> programs;
  std::vector<MapHealth> maps;
  std::map<std::string, std::uint64_t> drops;  // cause -> total
  bool bpf_stats_enabled = false;
  std::uint64_t processes_tracked = 0;
  std::chrono::milliseconds attach_duration{0};
};

struct Snapshot {
  Clock::time_point taken_at;
  std::vector<ProcessSnapshot> processes;  // sorted by pid
  EngineHealth health;
};

}  // namespace hs
