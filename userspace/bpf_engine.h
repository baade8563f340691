// Loads, attaches and reads the kernel side. Thin on purpose: the skeleton is
// generated, this class owns it (RAII) and turns map contents into C++ values.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core_btf.h"
#include "snapshot.h"
#include "tls_probes.h"
#include "tracefs.h"
#include "url_templates.h"
#include "verifier_log.h"

struct http_statistics;  // generated skeleton
struct bpf_link;
struct ring_buffer;

namespace hs {

// A failure to start, with a one-line message that names what is missing.
class EngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EngineOptions {
  // cgroup v2 directory the socket programs attach to (and, below the root,
  // the only tasks whose HTTPS counts); empty: find the cgroup2 mount (its
  // root covers every process).
  std::string cgroup_path;
  // Count HTTP inside OpenSSL 3 connections too (uprobes on libssl.so.3).
  bool tls = true;
  // Leave that to attach_tls(), so the socket side can report (and count)
  // before the slower TLS programs are verified.
  bool defer_tls = false;
  UrlTemplateOptions url_templates;
};

class BpfEngine {
 public:
  struct StatsKey {
    std::uint32_t pid;
    std::uint64_t start_ns;
    Method method;
    std::uint16_t status;
    bool tls = false;
    std::uint64_t url_template = 0;  // id: 0 none, 1 _OTHER (kernel/url_template.h)
  };
  struct StatsEntry {
    StatsKey key;
    SeriesStats stats;  // summed over CPUs
  };
  struct Event {
    enum class Kind { ProcessNew, ProcessExit } kind;
    std::uint32_t pid;
    std::uint64_t start_ns;
    std::string comm;
  };

  // Loads and attaches everything; throws EngineError.
  explicit BpfEngine(EngineOptions options = {});
  ~BpfEngine();
  BpfEngine(const BpfEngine&) = delete;
  BpfEngine& operator=(const BpfEngine&) = delete;

  // All (process, method, status) series, read with batch lookups.
  std::vector<StatsEntry> read_stats() const;
  // Removes series of processes that are gone and returns what each held
  // when it was removed: reading and deleting are one step, so a count the
  // kernel adds after an earlier read_stats() is not lost with the entry.
  // Series already gone are left out.
  std::vector<StatsEntry> take_stats(const std::vector<StatsKey>& keys);
  // The text of a URL template the process counts under, when the kernel
  // has its name (it does for every id in the stats map but 0 and 1).
  std::optional<std::string> url_template_name(std::uint32_t pid, std::uint64_t start_ns,
                                               std::uint64_t id) const;
  // Forgets the URL templates of a process that is gone (the kernel's bound
  // is per process).
  void forget_url_templates(std::uint32_t pid, std::uint64_t start_ns,
                            const std::vector<std::uint64_t>& ids);
  const UrlTemplateOptions& url_templates() const { return url_templates_; }
  // Dropped/skipped counters by cause name, summed over CPUs.
  std::map<std::string, std::uint64_t> read_counters() const;
  // Delivers pending ring buffer events; returns how many.
  int poll_events(const std::function<void(const Event&)>& on_event, int timeout_ms = 0);

  // Pauses or resumes counting for the process (pid, start_ns).
  bool set_paused(std::uint32_t pid, std::uint64_t start_ns, bool paused);

  std::vector<ProgramHealth> program_health() const;
  std::vector<MapHealth> map_health(std::uint64_t series_in_use) const;
  static bool bpf_stats_enabled();
  // Socket side only: the TLS probes attach right after it (tls_describe()).
  std::chrono::milliseconds attach_duration() const { return attach_duration_; }
  // When the socket side was attached: the stats map holds nothing counted
  // before, so the first read's counts are of the time since.
  Clock::time_point counting_since() const { return counting_since_; }
  // Loads and attaches the TLS probes (when options.tls and deferred); a
  // failure only means HTTPS is not counted: see tls_describe().
  void attach_tls();
  // Whether HTTPS is counted, on which libraries, or why not.
  bool tls_active() const { return tls_ != nullptr; }
  std::string tls_describe() const;
  // What the kernel's verifier processed for each loaded program, the
  // socket side's and the TLS probes'.
  std::vector<VerifiedProgram> verified_programs() const;
  // How the parser steps through segments in the socket programs, and in
  // the TLS ones (the same except where a kernel offers bpf_loop to one
  // program type and not the other).
  ParserLoop parser_loop() const { return parser_loop_; }
  ParserLoop tls_parser_loop() const { return tls_parser_loop_; }
  // What is attached where, one line each (for the start-up log).
  std::vector<std::string> describe() const;

 private:
  struct Attached {
    std::string program;
    std::string where;
    int prog_fd;  // owned by the object that loaded the program
  };

  std::unique_ptr<TracefsMount> tracefs_;
  // What CO-RE relocates against, kept until the TLS object has loaded too.
  std::unique_ptr<BtfFile> kernel_btf_;
  // The maps and the small programs; each packet program in an instance of
  // its own that shares those maps (verified at the same time).
  std::unique_ptr<http_statistics, void (*)(http_statistics*)> skel_;
  std::unique_ptr<http_statistics, void (*)(http_statistics*)> ingress_skel_;
  std::unique_ptr<http_statistics, void (*)(http_statistics*)> egress_skel_;
  // hs_handshake, loaded after the others are attached (tail-called).
  std::unique_ptr<http_statistics, void (*)(http_statistics*)> handshake_skel_;
  std::vector<std::unique_ptr<bpf_link, int (*)(bpf_link*)>> links_;
  std::vector<Attached> attached_;
  std::vector<VerifiedProgram> verified_;
  std::unique_ptr<TlsProbes> tls_;
  std::string tls_status_;
  std::unique_ptr<ring_buffer, void (*)(ring_buffer*)> events_;
  const std::function<void(const Event&)>* on_event_ = nullptr;
  std::chrono::milliseconds attach_duration_{0};
  Clock::time_point counting_since_{};
  bool tracefs_mounted_ = false;
  int cgroup_fd_ = -1;
  bool whole_machine_ = true;  // attached to the cgroup v2 root
  UrlTemplateOptions url_templates_;
  int ncpus_ = 1;
  ParserLoop parser_loop_ = ParserLoop::BpfLoop;
  ParserLoop tls_parser_loop_ = ParserLoop::BpfLoop;
};

}  // namespace hs
