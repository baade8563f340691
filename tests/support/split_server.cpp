#include "split_server.h"

#include <sstream>
#include <stdexcept>

#include "paths.h"
#include "wait.h"

namespace hs::test {

SplitServer::SplitServer(const SplitServerOptions& options) {
  std::vector<std::string> argv = options.launcher;
  argv.insert(argv.end(), {"python3", "-u", support_file("split_server.py")});
  if (options.unix_socket) {
    unix_path_ = dir_.file("split.sock");
    argv.insert(argv.end(), {"--unix", unix_path_});
  } else {
    // Port 0: the server binds a free port itself and reports it, so there
    // is no window in which another process could take it.
    argv.insert(argv.end(), {"--host", options.dual_stack ? "::" : "127.0.0.1", "--port", "0"});
  }
  if (options.coalesce) argv.push_back("--coalesce");
  if (options.fastopen) argv.push_back("--fastopen");
  if (options.fork_per_connection) argv.push_back("--fork");
  if (options.plain_accept) argv.insert(argv.end(), {"--accept-syscall", "accept"});
  if (options.udp) argv.push_back("--udp");
  SubprocessOptions o;
  o.stdout_path = dir_.file("stdout");
  o.stderr_path = dir_.file("stderr");
  o.term_grace = std::chrono::seconds(3);
  proc_.emplace(std::move(argv), o);

  std::string banner;
  const bool up = wait_until(
      [&] {
        const std::string out = read_text(o.stdout_path);
        const auto nl = out.find('\n');
        if (nl == std::string::npos) return proc_->exited();
        banner = out.substr(0, nl);
        return true;
      },
      std::chrono::seconds(15));
  if (!up || banner.find(" listening on ") == std::string::npos)
    throw std::runtime_error("split_server did not start: " + read_text(o.stdout_path) +
                             read_text(o.stderr_path));
  // The banner names the pid that listens: the launcher must have exec'd it.
  if (banner.find("pid " + std::to_string(proc_->pid()) + " ") == std::string::npos)
    throw std::runtime_error("split_server runs in another process than started: " + banner);
  if (!options.unix_socket)
    port_ = static_cast<std::uint16_t>(std::stoi(banner.substr(banner.rfind(':') + 1)));
}

std::string SplitServer::url(const std::string& target) const {
  return "http://127.0.0.1:" + std::to_string(port_) + target;
}

std::vector<std::string> SplitServer::served() const {
  std::istringstream in(read_text(dir_.file("stdout")));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("served ", 0) == 0) out.push_back(line);
  return out;
}

bool SplitServer::wait_served(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return served().size() >= n; }, timeout);
}

}  // namespace hs::test
