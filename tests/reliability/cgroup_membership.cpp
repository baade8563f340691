#include "cgroup_membership.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "cgroup.h"
#include "paths.h"

namespace hs::test {
namespace {

void move_to(const std::string& dir) {
  std::ofstream procs(dir + "/cgroup.procs");
  procs << getpid() << std::flush;
  if (!procs)
    throw std::runtime_error("cannot move into cgroup " + dir + ": " + std::strerror(errno));
}

}  // namespace

CgroupMembership::CgroupMembership(const std::string& cgroup_dir) {
  // cgroup v2: a single line "0::/path/below/the/mount".
  const std::string self = read_text("/proc/self/cgroup");
  const auto at = self.find("0::");
  if (at == std::string::npos) throw std::runtime_error("not in a cgroup v2 hierarchy");
  const auto end = self.find('\n', at);
  original_ = find_cgroup2_mount() + self.substr(at + 3, end - at - 3);
  move_to(cgroup_dir);
}

CgroupMembership::~CgroupMembership() {
  try {
    move_to(original_);
  } catch (const std::exception&) {
    // The cgroup will not be removable; the test reports what it measured anyway.
  }
}

}  // namespace hs::test
