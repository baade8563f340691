// Direct reads of one BpfEngine's kernel maps, for assertions the engine's
// public API does not offer (which keys are left, whose sockets hold state).
// The maps are found through this process's own descriptors: the map ids that
// appeared while the engine was being created are that engine's.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hs::test {

// Map ids of the BPF map descriptors this process holds (/proc/self/fdinfo).
std::set<std::uint32_t> map_ids_held();

struct ProcessKey {
  std::uint32_t tgid = 0;
  std::uint64_t start_ns = 0;
  auto operator<=>(const ProcessKey&) const = default;
};

class EngineMaps {
 public:
  // Finds the engine's maps among those held now but not in `before`; throws
  // std::runtime_error when one is missing or ambiguous.
  explicit EngineMaps(const std::set<std::uint32_t>& before);
  ~EngineMaps();
  EngineMaps(const EngineMaps&) = delete;
  EngineMaps& operator=(const EngineMaps&) = delete;

  // procs: processes with an accepted connection, until their exit.
  std::vector<ProcessKey> procs() const;
  // accepted: owners handed from accept() to the first response, by cookie.
  std::vector<ProcessKey> accepted_owners() const;
  // stats: the process of every series.
  std::vector<ProcessKey> stats_owners() const;
  // Sockets (TCP, IPv4 and IPv6, this network namespace) that hold state in
  // the engine's socket storage map, counted through sock_diag.
  std::size_t sockets_with_storage() const;

 private:
  int fd(const std::string& name) const;
  std::map<std::string, int> fds_;  // map name -> our own descriptor
};

}  // namespace hs::test
