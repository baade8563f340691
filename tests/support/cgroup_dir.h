// A child cgroup (v2) created for a test and removed afterwards, to run a
// server the way container runtimes do: in a cgroup below the root.
#pragma once

#include <string>

namespace hs::test {

class CgroupDir {
 public:
  // Creates <parent>/hs-test-<pid>-<n>; throws std::runtime_error.
  explicit CgroupDir(const std::string& parent);
  // Removes the cgroup; its processes must have exited (waits a moment for
  // the kernel to notice), which is why it is declared before the servers.
  ~CgroupDir();
  CgroupDir(const CgroupDir&) = delete;
  CgroupDir& operator=(const CgroupDir&) = delete;

  const std::string& path() const { return path_; }
  // Shell words that move the shell into this cgroup and exec "$@".
  std::string enter_and_exec() const;

 private:
  std::string path_;
};

}  // namespace hs::test
