// Child processes that each serve HTTP/1.1 on 127.0.0.1, so that a live engine
// has many processes and series to aggregate.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hs_bench {

struct FleetRequest {
  std::string method;
  int status;  // the child answers with this status
};

// RAII: the destructor kills (by pid) and reaps every child it forked.
class ServerFleet {
 public:
  // Forks `processes` children, each listening on its own loopback port and
  // blocked in accept4() until exchange() connects.
  explicit ServerFleet(std::size_t processes);
  ~ServerFleet();
  ServerFleet(const ServerFleet&) = delete;
  ServerFleet& operator=(const ServerFleet&) = delete;

  // One connection per child, the requests in order on it, each answered with
  // its status. Returns the exchanges that completed.
  std::size_t exchange(const std::vector<FleetRequest>& requests);

  std::vector<pid_t> pids() const;

 private:
  struct Child {
    pid_t pid;
    std::uint16_t port;
  };
  std::vector<Child> children_;
};

}  // namespace hs_bench
