// Python's http.server behind its ssl module (SSL_read_ex/SSL_write_ex of
// the system's libssl.so.3), on a free loopback port, with a throwaway
// self-signed certificate: "/missing" answers 404, anything else 200.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "cgroup_dir.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {

class PythonTlsServer {
 public:
  // Started in `cgroup` when given (before it serves anything), else in the
  // test's own. Throws std::runtime_error when it does not come up.
  explicit PythonTlsServer(const CgroupDir* cgroup = nullptr);

  pid_t pid() const { return server_->pid(); }
  // "https://127.0.0.1:PORT"
  const std::string& base_url() const { return base_url_; }

 private:
  TempDir dir_{"hs-pytls-"};
  std::unique_ptr<Subprocess> server_;
  std::string base_url_;
};

}  // namespace hs::test
