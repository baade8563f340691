#include "cgroup_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "wait.h"

namespace hs::test {

CgroupDir::CgroupDir(const std::string& parent) {
  static std::atomic<int> serial{0};
  path_ = parent + "/hs-test-" + std::to_string(getpid()) + "-" + std::to_string(++serial);
  if (mkdir(path_.c_str(), 0755) != 0)
    throw std::runtime_error("mkdir " + path_ + ": " + std::strerror(errno));
}

CgroupDir::~CgroupDir() {
  // A cgroup is busy until its last (reaped) process is fully gone.
  wait_until([this] { return rmdir(path_.c_str()) == 0 || errno == ENOENT; },
             std::chrono::seconds(10));
}

std::string CgroupDir::enter_and_exec() const {
  return "echo $$ > '" + path_ + "/cgroup.procs' && exec \"$@\"";
}

}  // namespace hs::test
