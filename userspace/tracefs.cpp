#include "tracefs.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bpf_engine.h"

namespace hs {
namespace {
constexpr const char* kTracefs = "/sys/kernel/tracing";
bool reachable() {
  return access("/sys/kernel/tracing/events", F_OK) == 0 ||
         access("/sys/kernel/debug/tracing/events", F_OK) == 0;
}
}  // namespace

TracefsMount::TracefsMount() {
  if (reachable()) return;
  if (mount("tracefs", kTracefs, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    throw EngineError(std::string("tracefs is not mounted and mounting it at ") + kTracefs +
                      " failed: " + std::strerror(errno) +
                      " (syscall tracepoints need it; see scripts/kernel-check.sh)");
  mounted_ = true;
}

TracefsMount::~TracefsMount() {
  // A busy mount (someone else started using it) is left in place.
  if (mounted_) umount2(kTracefs, 0);
}

}  // namespace hs
