#include "cgroup.h"

#include <fstream>
#include <sstream>

namespace hs {

std::string find_cgroup2_mount(const std::string& mountinfo) {
  // mountinfo: "id parent major:minor root mount-point options... - fstype source superopts"
  std::ifstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream after(line.substr(dash + 3));
    std::string fstype;
    after >> fstype;
    if (fstype != "cgroup2") continue;
    std::istringstream before(line.substr(0, dash));
    std::string id, parent, dev, root, mount_point;
    before >> id >> parent >> dev >> root >> mount_point;
    if (!mount_point.empty()) return mount_point;
  }
  return "";
}

}  // namespace hs
