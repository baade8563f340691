#include "snapshot_factory.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

namespace hs_bench {
namespace {

using hs::Method;

// What a busy web service's series look like: mostly GET, a spread of statuses.
constexpr std::array<hs::SeriesKey, 20> kSeries = {{
    {Method::Get, 200},  {Method::Get, 304},  {Method::Get, 404},    {Method::Get, 301},
    {Method::Get, 500},  {Method::Get, 503},  {Method::Get, 403},    {Method::Get, 401},
    {Method::Get, 400},  {Method::Get, 206},  {Method::Post, 200},   {Method::Post, 201},
    {Method::Post, 400}, {Method::Post, 401}, {Method::Post, 422},   {Method::Post, 500},
    {Method::Put, 200},  {Method::Put, 204},  {Method::Delete, 204}, {Method::Head, 200},
}};

struct Program {
  const char* name;
  const char* attach_point;
};
constexpr std::array<Program, 6> kPrograms = {{
    {"hs_sockops", "sockops /sys/fs/cgroup"},
    {"hs_accept4", "tracepoint/syscalls/sys_exit_accept4"},
    {"hs_accept", "tracepoint/syscalls/sys_exit_accept"},
    {"hs_process_exit", "tracepoint/sched/sched_process_exit"},
    {"hs_ingress", "cgroup_skb/ingress /sys/fs/cgroup"},
    {"hs_egress", "cgroup_skb/egress /sys/fs/cgroup"},
}};

constexpr std::array<const char*, 5> kExecutables = {"nginx", "python3", "node", "java", "envoy"};

// A cheap deterministic generator (xorshift), so no <random> state differs per libc.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
};

std::string container_id(Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(64, '0');
  for (char& c : id) c = kHex[rng.below(16)];
  return id;
}

hs::SeriesStats series_stats(Rng& rng, std::size_t rank) {
  hs::SeriesStats s;
  // Earlier series (GET 200 first) are the busy ones.
  s.count = 1'000'000 / (rank + 1) + rng.below(1000);
  s.latency_count = s.count - s.count / 100;
  std::uint64_t left = s.latency_count;
  for (std::size_t b = 0; b + 1 < s.buckets.size() && left > 0; ++b) {
    const std::uint64_t n = left / 2 + rng.below(left / 8 + 1);
    s.buckets[b] = n > left ? left : n;
    left -= s.buckets[b];
  }
  s.buckets.back() += left;
  s.latency_sum_ns = s.latency_count * (2'000'000 + rng.below(8'000'000));
  left = s.latency_count;
  for (std::size_t b = 8; b < s.log2_buckets.size() && left > 0; ++b) {
    const std::uint64_t n = left / 3 + 1;
    s.log2_buckets[b] = n > left ? left : n;
    left -= s.log2_buckets[b];
  }
  return s;
}

hs::RateSample rate_sample(Rng& rng, hs::Clock::time_point at) {
  hs::RateSample r;
  r.at = at;
  r.requests_per_second = 50.0 + static_cast<double>(rng.below(5000)) / 7.0;
  r.responses_per_second[200] = r.requests_per_second * 0.9;
  r.responses_per_second[304] = r.requests_per_second * 0.05;
  r.responses_per_second[404] = r.requests_per_second * 0.04;
  if (rng.below(4) == 0) r.responses_per_second[503] = r.requests_per_second * 0.01;
  r.latency_p50_ms = 1.0 + static_cast<double>(rng.below(400)) / 100.0;
  r.latency_p99_ms = r.latency_p50_ms * 8.0;
  return r;
}

hs::ProcessSnapshot process(Rng& rng, std::size_t index, const SnapshotShape& shape,
                            hs::Clock::time_point now) {
  hs::ProcessSnapshot p;
  p.info.pid = static_cast<std::uint32_t>(1000 + index * 7);
  p.info.start_ns = 5'000'000'000ULL + index * 1'000'003ULL;
  p.info.executable_name = kExecutables[index % kExecutables.size()];
  p.info.comm = p.info.executable_name;
  if (index % 2 == 0) p.info.container_id = container_id(rng);  // half run in containers
  p.info.first_seen = now - std::chrono::hours(3);
  for (std::size_t i = 0; i < shape.series_per_process && i < kSeries.size(); ++i)
    p.series.emplace(kSeries[i], series_stats(rng, i));
  for (std::size_t i = 0; i < shape.recent_samples; ++i)
    p.recent.push_back(rate_sample(rng, now - std::chrono::seconds(shape.recent_samples - i)));
  return p;
}

hs::EngineHealth health(std::size_t processes) {
  hs::EngineHealth h;
  for (const Program& p : kPrograms)
    h.programs.push_back({p.name, p.attach_point, 123'456'789, 1'234'567});
  h.maps = {{"conns", 0, 0},
            {"accepted", 12, 65536},
            {"procs", processes, 16384},
            {"stats", processes * 20, 65536},
            {"counters", 8, 8},
            {"paused", 0, 1024}};
  h.drops = {{"conn_storage", 0}, {"events_full", 0}, {"procs_full", 0}, {"stats_full", 0}};
  h.bpf_stats_enabled = true;
  h.processes_tracked = processes;
  h.attach_duration = std::chrono::milliseconds(42);
  return h;
}

}  // namespace

hs::Snapshot make_snapshot(const SnapshotShape& shape) {
  Rng rng{0x9E3779B97F4A7C15ULL + shape.processes};
  hs::Snapshot snap;
  // A fixed instant, so renderings that print timestamps are identical across runs.
  snap.taken_at = hs::Clock::time_point(std::chrono::seconds(1'795'000'000));
  snap.processes.reserve(shape.processes);
  for (std::size_t i = 0; i < shape.processes; ++i)
    snap.processes.push_back(process(rng, i, shape, snap.taken_at));
  snap.health = health(shape.processes);
  return snap;
}

}  // namespace hs_bench
