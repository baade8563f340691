// Moves this whole process into a cgroup for a scope and back out at its end,
// so that every child it starts (nginx, python, the daemon) starts there too:
// a daemon attached to that cgroup then sees the test's servers and nobody
// else's.
#pragma once

#include <string>

namespace hs::test {

class CgroupMembership {
 public:
  // Throws std::runtime_error when the move is refused.
  explicit CgroupMembership(const std::string& cgroup_dir);
  // Moves back to the cgroup the process was in before.
  ~CgroupMembership();
  CgroupMembership(const CgroupMembership&) = delete;
  CgroupMembership& operator=(const CgroupMembership&) = delete;

 private:
  std::string original_;  // directory of the cgroup we came from
};

}  // namespace hs::test
