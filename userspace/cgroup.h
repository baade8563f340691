// Where the cgroup v2 hierarchy is mounted: its root covers every process,
// so socket programs attached there see every TCP connection on the host.
#pragma once

#include <string>

namespace hs {

// First cgroup2 mount point in `mountinfo`, or "" when there is none.
std::string find_cgroup2_mount(const std::string& mountinfo = "/proc/self/mountinfo");

}  // namespace hs
