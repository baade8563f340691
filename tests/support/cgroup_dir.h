// A child cgroup (v2) created for a test and removed afterwards, to run a
// server the way container runtimes do: in a cgroup below the root.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "subprocess.h"

namespace hs::test {

class CgroupDir {
 public:
  // Creates <parent>/hs-test-<pid>-<n>; throws std::runtime_error.
  explicit CgroupDir(const std::string& parent);
  // Creates <parent>/hs-test-<pid>-<n>/<nested>, every '/'-separated part of
  // `nested` a cgroup of its own (e.g. the kubelet's and a runtime's
  // hierarchy, named exactly as they name it); path() is the deepest.
  CgroupDir(const std::string& parent, const std::string& nested);
  // Removes the cgroup; its processes must have exited (waits a moment for
  // the kernel to notice), which is why it is declared before the servers.
  ~CgroupDir();
  CgroupDir(const CgroupDir&) = delete;
  CgroupDir& operator=(const CgroupDir&) = delete;

  const std::string& path() const { return path_; }
  // Shell words that move the shell into this cgroup and exec "$@".
  std::string enter_and_exec() const;
  // Is pid in this cgroup (its cgroup.procs)?
  bool holds(pid_t pid) const;
  // Starts argv inside this cgroup (the process's pid is argv's) and waits
  // until the kernel shows it there; throws std::runtime_error if it does not.
  Subprocess start(const std::vector<std::string>& argv, SubprocessOptions options = {}) const;

 private:
  void remove_all();

  std::vector<std::string> created_;  // outermost first
  std::string path_;
};

}  // namespace hs::test
