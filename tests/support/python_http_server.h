// `python3 -m http.server` on a free 127.0.0.1 port, serving a temp dir that
// holds one file. It answers with HTTP/1.0 status lines and closes every
// connection after one response.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {

class PythonHttpServer {
 public:
  PythonHttpServer();
  ~PythonHttpServer() = default;  // members stop the server, then remove the dir
  PythonHttpServer(const PythonHttpServer&) = delete;
  PythonHttpServer& operator=(const PythonHttpServer&) = delete;

  pid_t pid() const { return proc_->pid(); }
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path) const;
  // A path that exists (200) and its contents.
  static constexpr const char* kFile = "/hello.txt";
  static constexpr const char* kFileContents = "hello from http.server\n";

  // Responses by status, from the server's request log on stderr.
  std::map<int, std::uint64_t> logged_statuses() const;
  ExitStatus stop() { return proc_->stop(); }

 private:
  TempDir dir_{"hs-pyhttp-"};  // declared first: outlives the process
  std::optional<Subprocess> proc_;
  std::uint16_t port_ = 0;
};

}  // namespace hs::test
