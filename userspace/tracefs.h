// Syscall tracepoints need tracefs. Hosts with systemd mount it at boot; where
// nobody did, the daemon mounts it for its own lifetime.
#pragma once

#include <string>

namespace hs {

class TracefsMount {
 public:
  // Mounts tracefs at /sys/kernel/tracing unless a tracefs is already
  // reachable; throws EngineError when it cannot.
  TracefsMount();
  ~TracefsMount();  // unmounts only what it mounted
  TracefsMount(const TracefsMount&) = delete;
  TracefsMount& operator=(const TracefsMount&) = delete;

  bool mounted_here() const { return mounted_; }

 private:
  bool mounted_ = false;
};

}  // namespace hs
