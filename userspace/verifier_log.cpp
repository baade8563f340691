#include "verifier_log.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace hs {
namespace {

// The statistics and an error message take a few hundred bytes, but the
// kernel refuses a load (ENOSPC) whose whole log would not have fitted, and
// 6.18 counts more than it keeps: 64 KiB failed for the largest TLS
// program, 1 MiB did not. The pages are only touched as the kernel writes.
constexpr std::size_t kStatsLogBytes = 4 << 20;
constexpr std::size_t kFullLogBytes = 512ULL << 20;
constexpr std::uint32_t kLogStats = 4;  // BPF_LOG_STATS
constexpr int kLastLines = 6;

std::uint64_t number_after(const std::string& log, const std::string& prefix) {
  const auto at = log.rfind(prefix);
  if (at == std::string::npos) return 0;
  return std::strtoull(log.c_str() + at + prefix.size(), nullptr, 10);
}

std::string last_lines(const std::string& log, int n) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  std::string out;
  const std::size_t from = lines.size() > static_cast<std::size_t>(n) ? lines.size() - n : 0;
  for (std::size_t i = from; i < lines.size(); ++i) out += "\n  " + lines[i];
  return out;
}

}  // namespace

VerifiedProgram parse_verifier_stats(std::string name, const std::string& log) {
  return {std::move(name), number_after(log, "processed "),
          number_after(log, "verification time ")};
}

VerifierLogs::VerifierLogs(bpf_object* object) {
  const char* dir = std::getenv("HS_VERIFIER_LOG_DIR");
  std::uint32_t level = kLogStats;
  std::size_t bytes = kStatsLogBytes;
  if (dir && *dir) {
    dump_dir_ = dir;
    const char* l = std::getenv("HS_VERIFIER_LOG_LEVEL");
    level = (l && std::strcmp(l, "2") == 0 ? 2 : 1) | kLogStats;
    bytes = kFullLogBytes;
  }
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, object) {
    if (!bpf_program__autoload(p)) continue;
    logs_.push_back(
        {p, bpf_program__name(p), std::make_unique_for_overwrite<char[]>(bytes), bytes});
    logs_.back().buffer[0] = '\0';
  }
  for (Log& l : logs_) {
    bpf_program__set_log_buf(l.program, l.buffer.get(), l.size);
    bpf_program__set_log_level(l.program, level);
  }
}

VerifierLogs::~VerifierLogs() {
  if (dump_dir_.empty()) return;
  for (const Log& l : logs_) {
    std::ofstream(dump_dir_ + "/" + l.name + ".log") << l.buffer.get();
  }
}

std::vector<VerifiedProgram> VerifierLogs::verified() const {
  std::vector<VerifiedProgram> out;
  for (const Log& l : logs_) out.push_back(parse_verifier_stats(l.name, l.buffer.get()));
  return out;
}

std::string VerifierLogs::refusal(int err) const {
  // libbpf loads programs in order and stops at the first refusal, so the
  // refused one is the last with a log (a failed load closes every fd).
  for (auto it = logs_.rbegin(); it != logs_.rend(); ++it) {
    const Log& l = *it;
    const std::string log = l.buffer.get();
    if (log.empty()) continue;
    std::string why = "the kernel's verifier refused " + l.name;
    const int code = err < 0 ? -err : err;
    if (code == E2BIG || log.find("BPF program is too large") != std::string::npos) {
      why += ": it processed more instructions than this kernel's verifier allows (" +
             std::to_string(kVerifierInsnLimit) +
             "). That is a limit of this kernel's verifier, not a missing feature";
    } else {
      why += " (" + std::string(std::strerror(code)) + ")";
    }
    return why + ". The verifier's last lines:" + last_lines(log, kLastLines);
  }
  return {};
}

}  // namespace hs
