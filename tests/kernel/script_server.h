// A test server written in Python next to the kernel tests (protocol_server.py,
// continue_server.py): started on a free 127.0.0.1 port it picks itself, with
// its stdout (one line per answer) kept in a TempDir.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {

class ScriptServer {
 public:
  // Runs python3 tests/kernel/<script> and waits for its
  // "<name> listening on PORT" line; throws when it does not come.
  explicit ScriptServer(const std::string& script);
  ~ScriptServer() = default;  // members stop the process, then remove the dir
  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  pid_t pid() const { return proc_->pid(); }
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path) const;

  // What the server printed after the banner, one entry per line.
  std::vector<std::string> lines() const;
  // How many printed lines equal `line`.
  std::size_t count(const std::string& line) const;
  // Waits until `line` was printed at least n times.
  bool wait_count(const std::string& line, std::size_t n,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  TempDir dir_{"hs-script-"};  // declared first: outlives the process
  std::optional<Subprocess> proc_;
  std::uint16_t port_ = 0;
};

}  // namespace hs::test
