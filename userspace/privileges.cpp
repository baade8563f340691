#include "privileges.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace hs {

void drop_all_capabilities() {
  // The bounding set first: it can only be lowered while CAP_SETPCAP is held.
  for (int cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) break;  // past the last known cap
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      throw std::runtime_error(std::string("dropping capabilities: PR_CAPBSET_DROP failed: ") +
                               std::strerror(errno));
  }
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capset, &header, data) != 0)
    throw std::runtime_error(std::string("dropping capabilities: capset failed: ") +
                             std::strerror(errno));
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw std::runtime_error(std::string("setting no_new_privs failed: ") + std::strerror(errno));
}

std::string effective_capabilities() {
  std::ifstream in("/proc/self/status");
  std::string key, value;
  while (in >> key) {
    if (key == "CapEff:") {
      in >> value;
      return value;
    }
    std::getline(in, value);
  }
  return "";
}

}  // namespace hs
