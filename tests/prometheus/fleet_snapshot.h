// A host's worth of busy servers, the size the exporter's caps are made for.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "snapshot.h"
#include "snapshot_builder.h"

namespace hs::testing {

// `processes` servers with `series_per_process` (method, status, template) series each
// (at most 40), every other one in a container (some named), a few with names that need
// escaping; counts fall with the series' rank so the caps have a choice to
// make. Deterministic.
inline Snapshot fleet_snapshot(std::size_t processes, std::size_t series_per_process) {
  static constexpr std::array<std::uint16_t, 8> kStatuses = {200, 304, 404, 500,
                                                             201, 302, 401, 503};
  static constexpr std::array<const char*, 5> kNames = {"nginx", "python3", "node",
                                                        "we\"ird\\name\n", "caf\xc3\xa9"};
  Snapshot s;
  s.processes.reserve(processes);
  for (std::size_t i = 0; i < processes; ++i) {
    std::string container;
    if (i % 2 == 0) {
      container = std::to_string(1'000'000 + i);
      container.resize(64, 'f');  // as long as a real container id
    }
    auto p = process(static_cast<std::uint32_t>(100 + i), kNames[i % kNames.size()],
                     std::move(container));
    // Of those in containers, one in three in a pod, one in three named by
    // its runtime.
    if (i % 6 == 0) p.info.names = pod_names("shop", "web-" + std::to_string(i), "nginx");
    if (i % 6 == 2) p.info.names.container_name = "web_" + std::to_string(i);
    for (std::size_t k = 0; k < series_per_process && k < 40; ++k) {
      const auto method = static_cast<Method>(1 + k / kStatuses.size());
      const std::uint64_t count = 1'000'000 / (k + 1) + i;
      const Buckets buckets = {count / 2, count / 4, count / 8, count / 16, 0, 0, 0,         0,
                               0,         0,         0,         0,          0, 0, count / 32};
      // URL templates on two series in three, one of them needing escapes.
      static constexpr std::array<const char*, 3> kTemplates = {"", "/api/users/{id}",
                                                                "/q\"uo\\te/{id}/**"};
      p.series[{method, kStatuses[k % kStatuses.size()], false, kTemplates[k % 3]}] =
          series_stats(count, buckets, count * 3'000'000 + i);
    }
    s.processes.push_back(std::move(p));
  }
  s.health.programs = {{"hs_ingress", "cgroup_skb/ingress /sys/fs/cgroup", 5, 6}};
  s.health.maps = {{"stats", processes * series_per_process, 65536}};
  s.health.drops = {{"no_owner", 1}, {"stats_full", 0}};
  s.health.bpf_stats_enabled = true;
  s.health.processes_tracked = processes;
  return s;
}

}  // namespace hs::testing
