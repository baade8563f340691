#include "python_http_server.h"

#include <sstream>
#include <stdexcept>

#include "paths.h"
#include "wait.h"

namespace hs::test {

PythonHttpServer::PythonHttpServer() {
  dir_.write(std::string("www") + kFile, kFileContents);
  SubprocessOptions o;
  o.stdout_path = dir_.file("stdout");
  o.stderr_path = dir_.file("stderr");
  o.term_grace = std::chrono::seconds(3);
  // Port 0 lets the server pick a free port and print it: no race for it.
  // -u: unbuffered, so the banner is in the file as soon as it is printed.
  proc_.emplace(std::vector<std::string>{"python3", "-u", "-m", "http.server", "0", "--bind",
                                         "127.0.0.1", "--directory", dir_.file("www")},
                o);
  // "Serving HTTP on 127.0.0.1 port 43567 (http://127.0.0.1:43567/) ..."
  const std::string marker = " port ";
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
    throw std::runtime_error("python3 -m http.server did not start: " + read_text(o.stdout_path) +
                             read_text(o.stderr_path));
}

std::string PythonHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::map<int, std::uint64_t> PythonHttpServer::logged_statuses() const {
  // 127.0.0.1 - - [22/Nov/2025 03:40:00] "GET /hello.txt HTTP/1.1" 200 -
  // Error responses log an extra "code 404, message ..." line first; only the
  // request lines (a quoted request, then the status) are counted.
  std::map<int, std::uint64_t> out;
  std::istringstream in(read_text(dir_.file("stderr")));
  for (std::string line; std::getline(in, line);) {
    const auto q = line.rfind("\" ");
    if (q == std::string::npos || line.find(" \"") == std::string::npos) continue;
    std::istringstream rest(line.substr(q + 2));
    int status = 0;
    if (rest >> status) ++out[status];
  }
  return out;
}

}  // namespace hs::test
