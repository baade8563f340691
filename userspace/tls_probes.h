// The TLS side of the engine: uprobes on OpenSSL 3's SSL_read/SSL_write
// (and their _ex variants) that feed the plaintext to the same parser and
// count into the same maps as the socket side (see
// kernel/http_statistics_tls.bpf.c). Owned by BpfEngine.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "parser_loop.h"
#include "snapshot.h"
#include "url_templates.h"
#include "verifier_log.h"

struct bpf_object;
struct bpf_link;
struct bpf_program;
struct http_statistics_tls;  // generated skeleton

namespace hs {

class TlsProbes {
 public:
  // Loads the TLS programs with every map they share reused from `shared`
  // (the loaded socket-side object) and attaches them to each library file;
  // CO-RE relocations use the kernel BTF at `kernel_btf` (a BtfFile's path).
  // With `cgroup_fd` (a cgroup v2 directory) only tasks in that cgroup and
  // below count; -1 counts every process. `loop` picks the return probes'
  // programs (parser_loop.h); `templates`: the socket side's URL template
  // settings, which these programs follow too. Throws std::runtime_error
  // when loading or attaching fails.
  TlsProbes(bpf_object* shared, const std::vector<std::string>& libraries,
            const std::string& kernel_btf, int cgroup_fd, ParserLoop loop,
            const UrlTemplateOptions& templates);
  ~TlsProbes();
  TlsProbes(const TlsProbes&) = delete;
  TlsProbes& operator=(const TlsProbes&) = delete;

  const std::vector<std::string>& libraries() const { return libraries_; }
  // The TLS programs keep their own copy of the pause switch.
  void set_paused_count(std::uint32_t n);
  std::vector<ProgramHealth> program_health() const;
  std::chrono::milliseconds attach_duration() const { return attach_duration_; }
  const std::vector<VerifiedProgram>& verified() const { return verified_; }

 private:
  bpf_program* program(const std::string& name) const;

  std::unique_ptr<http_statistics_tls, void (*)(http_statistics_tls*)> skel_;
  std::vector<std::unique_ptr<bpf_link, int (*)(bpf_link*)>> links_;
  std::vector<std::string> libraries_;
  std::vector<std::string> programs_;  // the loaded ones
  std::chrono::milliseconds attach_duration_{0};
  std::vector<VerifiedProgram> verified_;
};

}  // namespace hs
