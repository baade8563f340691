#include "cgroup_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "wait.h"

namespace hs::test {

CgroupDir::CgroupDir(const std::string& parent) : CgroupDir(parent, "") {}

CgroupDir::CgroupDir(const std::string& parent, const std::string& nested) {
  static std::atomic<int> serial{0};
  path_ = parent + "/hs-test-" + std::to_string(getpid()) + "-" + std::to_string(++serial);
  std::vector<std::string> parts = {path_};
  for (std::size_t at = 0; at < nested.size();) {
    auto slash = nested.find('/', at);
    if (slash == std::string::npos) slash = nested.size();
    if (slash > at) parts.push_back(parts.back() + "/" + nested.substr(at, slash - at));
    at = slash + 1;
  }
  for (const auto& dir : parts) {
    if (mkdir(dir.c_str(), 0755) != 0) {
      const std::string error = "mkdir " + dir + ": " + std::strerror(errno);
      remove_all();
      throw std::runtime_error(error);
    }
    created_.push_back(dir);
  }
  path_ = parts.back();
}

CgroupDir::~CgroupDir() { remove_all(); }

void CgroupDir::remove_all() {
  // Innermost first. A cgroup is busy until its last (reaped) process is
  // fully gone.
  for (auto it = created_.rbegin(); it != created_.rend(); ++it)
    wait_until([&] { return rmdir(it->c_str()) == 0 || errno == ENOENT; },
               std::chrono::seconds(10));
  created_.clear();
}

bool CgroupDir::holds(pid_t pid) const {
  std::ifstream in(path_ + "/cgroup.procs");
  for (pid_t p = 0; in >> p;)
    if (p == pid) return true;
  return false;
}

std::string CgroupDir::enter_and_exec() const {
  return "echo $$ > '" + path_ + "/cgroup.procs' && exec \"$@\"";
}

Subprocess CgroupDir::start(const std::vector<std::string>& argv, SubprocessOptions options) const {
  std::vector<std::string> full = {"sh", "-c", enter_and_exec(), "sh"};
  full.insert(full.end(), argv.begin(), argv.end());
  Subprocess p(std::move(full), std::move(options));
  if (!wait_until([&] { return holds(p.pid()); }, std::chrono::seconds(10)))
    throw std::runtime_error("process " + std::to_string(p.pid()) + " never joined " + path_);
  return p;
}

}  // namespace hs::test
