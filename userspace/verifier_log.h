// What the kernel's verifier said about each program of a BPF object: how
// many instructions it processed for those it accepted (how near each one is
// to the kernel's limit of 1,000,000), and its last lines for one it refused.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct bpf_object;
struct bpf_program;

namespace hs {

struct VerifiedProgram {
  std::string name;
  std::uint64_t processed_insns = 0;  // 0: the kernel did not say
  std::uint64_t verification_us = 0;
};

// Counted in the verifier's statistics of a BPF_PROG_LOAD: past it the
// program is refused with E2BIG whatever else the kernel offers.
inline constexpr std::uint64_t kVerifierInsnLimit = 1000000;

class VerifierLogs {
 public:
  // Gives every program of `object` that is to load a log buffer: the
  // verifier's statistics only, or with HS_VERIFIER_LOG_DIR set, its whole
  // log at HS_VERIFIER_LOG_LEVEL (1 by default; 2 prints every instruction),
  // written to DIR/<program>.log after the load. Call before loading; keep
  // this alive until the load returns.
  explicit VerifierLogs(bpf_object* object);
  VerifierLogs(const VerifierLogs&) = delete;
  VerifierLogs& operator=(const VerifierLogs&) = delete;
  VerifierLogs(VerifierLogs&&) = default;
  VerifierLogs& operator=(VerifierLogs&&) = default;
  ~VerifierLogs();

  // After a successful load: each program with the verifier's figures.
  std::vector<VerifiedProgram> verified() const;
  // After a failed load: which program the verifier refused and its last
  // lines, as a sentence for the user; empty when no log shows a refusal.
  std::string refusal(int err) const;

 private:
  struct Log {
    bpf_program* program;
    std::string name;
    std::unique_ptr<char[]> buffer;
    std::size_t size;
  };
  std::vector<Log> logs_;
  std::string dump_dir_;
};

// The figures of a verifier log ("processed N insns ...", "verification
// time N usec"); zeros for what it does not say.
VerifiedProgram parse_verifier_stats(std::string name, const std::string& log);

}  // namespace hs
