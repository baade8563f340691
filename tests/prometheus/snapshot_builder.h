// Hand-built snapshots for the exporter's tests.
#pragma once

#include <array>
#include <cstdint>
#include <numeric>
#include <string>

#include "snapshot.h"

namespace hs::testing {

using Buckets = std::array<std::uint64_t, kLatencyBuckets>;

// `count` exchanges, those with a latency distributed as `buckets`
// (non-cumulative, as the aggregator publishes them).
inline SeriesStats series_stats(std::uint64_t count, const Buckets& buckets = {},
                                std::uint64_t latency_sum_ns = 0) {
  SeriesStats s;
  s.count = count;
  s.buckets = buckets;
  s.latency_count = std::accumulate(buckets.begin(), buckets.end(), std::uint64_t{0});
  s.latency_sum_ns = latency_sum_ns;
  return s;
}

inline ProcessSnapshot process(std::uint32_t pid, std::string executable,
                               std::string container_id = "", std::uint64_t start_ns = 1000) {
  ProcessSnapshot p;
  p.info.pid = pid;
  p.info.start_ns = start_ns;
  p.info.comm = executable.substr(0, 15);
  p.info.executable_name = std::move(executable);
  p.info.container_id = std::move(container_id);
  return p;
}

// The names of a process in a Kubernetes pod.
inline ContainerNames pod_names(std::string namespace_name, std::string pod,
                                std::string container) {
  ContainerNames n;
  n.k8s_namespace_name = std::move(namespace_name);
  n.k8s_pod_name = std::move(pod);
  n.k8s_container_name = std::move(container);
  return n;
}

}  // namespace hs::testing
