#include "script_server.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "paths.h"
#include "wait.h"

namespace hs::test {

ScriptServer::ScriptServer(const std::string& script) {
  SubprocessOptions o;
  o.stdout_path = dir_.file("stdout");
  o.stderr_path = dir_.file("stderr");
  o.term_grace = std::chrono::seconds(3);
  proc_.emplace(
      std::vector<std::string>{"python3", "-u", std::string(HS_KERNEL_TEST_DIR) + "/" + script}, o);
  const std::string marker = " listening on ";
  const bool up = wait_until(
      [&] {
        const std::string out = read_text(o.stdout_path);
        const auto at = out.find(marker);
        if (at == std::string::npos || out.find('\n', at) == std::string::npos)
          return proc_->exited();
        port_ = static_cast<std::uint16_t>(std::stoi(out.substr(at + marker.size())));
        return true;
      },
      std::chrono::seconds(15));
  if (!up || port_ == 0)
    throw std::runtime_error(script + " did not start: " + read_text(o.stdout_path) +
                             read_text(o.stderr_path));
}

std::string ScriptServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<std::string> ScriptServer::lines() const {
  std::istringstream in(read_text(dir_.file("stdout")));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.find(" listening on ") == std::string::npos) out.push_back(line);
  return out;
}

std::size_t ScriptServer::count(const std::string& line) const {
  const auto all = lines();
  return static_cast<std::size_t>(std::count(all.begin(), all.end(), line));
}

bool ScriptServer::wait_count(const std::string& line, std::size_t n,
                              std::chrono::milliseconds timeout) const {
  return wait_until([&] { return count(line) >= n; }, timeout);
}

}  // namespace hs::test
