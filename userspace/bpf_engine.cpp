#include "bpf_engine.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include <linux/types.h>

#include "cgroup.h"
#include "http_statistics.h"
#include "http_statistics.skel.h"
#include "http_statistics_tls.skel.h"
#include "libssl_files.h"
#include "parser_loop.h"
#include "shared_maps.h"
#include "url_template.h"
#include "verifier_log.h"

namespace hs {
namespace {

constexpr const char* kHint = " (see scripts/kernel-check.sh)";
constexpr const char* kVmlinuxBtf = "/sys/kernel/btf/vmlinux";
constexpr const char* kNoBtf =
    "loading BPF programs failed: the kernel has no BTF "
    "(/sys/kernel/btf/vmlinux is missing; CONFIG_DEBUG_INFO_BTF=y is needed)";

// Names of enum http_note followed by enum hs_counter, by index.
// clang-format off
constexpr std::array<const char*, HS_C_COUNT> kCounterNames = {
    "not_http",           "seq_gap",      "step_budget",    "pipeline_overflow",
    "unmatched_response", "bad_header",   "request_unseen", "framing_guessed",
    "no_owner",           "stats_full",   "events_full",    "procs_full",
    "conn_storage",       "scratch_busy", "paused",         "handshake_unparsed",
    "url_template_cap",   "url_template_unnamed",           "url_templates_full"};
// clang-format on
static_assert(HS_LATENCY_BUCKETS == kLatencyBuckets && HS_LOG2_BUCKETS == kLog2Buckets);
// The parser's eight notes (enum http_note) come first, then enum hs_counter.
static_assert(HS_C_NO_OWNER == 8 && kCounterNames.size() == 19);
static_assert(sizeof(hs_stats_key) == 24 && sizeof(http_url_tmpl) == 16 + HTTP_TMPL_PATH);

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  // Failures reach the user as one line of ours; libbpf's own log (and the
  // verifier's) is there for whoever asks with HS_LIBBPF_VERBOSE=1.
  if (level == LIBBPF_DEBUG || !std::getenv("HS_LIBBPF_VERBOSE")) return 0;
  return std::vfprintf(stderr, fmt, args);
}

// Turns "why loading failed" into what a user needs: the verifier's own
// words when it refused a program, else the likely missing piece.
[[noreturn]] void fail_load(int err, const VerifierLogs& logs) {
  if (geteuid() != 0)
    throw EngineError(
        "loading BPF programs failed: not running as root (needs CAP_BPF, "
        "CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_RESOURCE)" +
        std::string(kHint));
  if (access(kVmlinuxBtf, R_OK) != 0) throw EngineError(kNoBtf + std::string(kHint));
  if (const std::string refused = logs.refusal(err); !refused.empty())
    throw EngineError("loading BPF programs failed: " + refused + "\n" + kHint);
  throw EngineError("loading BPF programs failed: " + errno_text(err) +
                    " (a required program type, helper or map type is missing from this kernel)" +
                    std::string(kHint));
}

// The helpers whose absence the verifier reports obscurely: asked of the
// kernel by feature, so a backported one counts and the user learns what is
// missing. (bpf_loop is not among them: without it the *_steps programs
// load instead, see parser_loop.h.)
void require_helpers() {
  struct Needed {
    bpf_prog_type type;
    bpf_func_id helper;
    const char* what;
  };
  static constexpr Needed kNeeded[] = {
      {BPF_PROG_TYPE_CGROUP_SKB, BPF_FUNC_sk_storage_get,
       "bpf_sk_storage_get for cgroup_skb programs (Linux 5.2)"},
      {BPF_PROG_TYPE_SOCK_OPS, BPF_FUNC_sk_storage_get,
       "bpf_sk_storage_get for sock_ops programs (Linux 5.2)"},
      {BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_ringbuf_reserve,
       "bpf_ringbuf_reserve for tracepoint programs (Linux 5.8)"},
  };
  for (const Needed& n : kNeeded) {
    // 1: offered; 0: not; below zero: the probe itself failed, and the
    // load below will say why.
    if (libbpf_probe_bpf_helper(n.type, n.helper, nullptr) == 0)
      throw EngineError("loading BPF programs failed: this kernel does not offer the helper " +
                        std::string(n.what) + ", which the engine needs" + kHint);
  }
}

// The scratch slots are claimed with an atomic exchange (BPF_ATOMIC |
// BPF_XCHG, Linux 5.12), which an older verifier refuses as "BPF_STX uses
// reserved fields": asked of the kernel with a program of four instructions.
void require_atomic_exchange() {
  const bpf_insn probe[] = {
      // *(u64 *)(r10 - 8) = 0; r1 = 1; r1 = xchg(r10 - 8, r1); r0 = 0; exit
      {BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -8, 0},
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1},
      {BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_10, BPF_REG_1, -8, BPF_XCHG},
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  const int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, nullptr, "GPL", probe,
                               sizeof(probe) / sizeof(probe[0]), nullptr);
  if (fd >= 0) {
    close(fd);
    return;
  }
  if (errno == EINVAL)
    throw EngineError(
        "loading BPF programs failed: this kernel's BPF has no atomic exchange instruction "
        "(BPF_XCHG, Linux 5.12), which the engine needs" +
        std::string(kHint));
  // Any other failure (permissions, memory) is the programs' load's to explain.
}

// Both objects' CO-RE relocations against one cut of the kernel BTF: see
// core_btf.h for why not the whole of it.
std::unique_ptr<BtfFile> cut_kernel_btf_or_throw() {
  if (access(kVmlinuxBtf, R_OK) != 0) throw EngineError(kNoBtf + std::string(kHint));
  std::size_t socket_size = 0;
  std::size_t tls_size = 0;
  const void* socket_elf = http_statistics__elf_bytes(&socket_size);
  const void* tls_elf = http_statistics_tls__elf_bytes(&tls_size);
  try {
    return std::make_unique<BtfFile>(
        cut_kernel_btf({{static_cast<const std::byte*>(socket_elf), socket_size},
                        {static_cast<const std::byte*>(tls_elf), tls_size}},
                       kVmlinuxBtf));
  } catch (const std::exception& e) {
    throw EngineError(std::string("reading the kernel BTF failed: ") + e.what() + kHint);
  }
}

using Skeleton = std::unique_ptr<http_statistics, void (*)(http_statistics*)>;

// An instance of the object that loads only `program` and shares every map
// of `shared` (the internal ones too: the programs read `paused_count` from
// the one .bss userspace writes). The verifier then checks each packet
// program in a load of its own, and the two loads run at once.
Skeleton packet_program_instance(const char* program, bpf_object* shared, const char* btf_path) {
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = btf_path);
  Skeleton instance(http_statistics__open_opts(&open_opts), http_statistics__destroy);
  if (!instance) throw EngineError("opening the BPF object failed: " + errno_text(errno) + kHint);
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, instance->obj) {
    bpf_program__set_autoload(p, std::strcmp(bpf_program__name(p), program) == 0);
  }
  try {
    share_maps(instance->obj, shared, InternalMaps::Shared);
  } catch (const std::runtime_error& e) {
    throw EngineError(e.what() + std::string(kHint));
  }
  return instance;
}

// Loads both instances, on two threads when a second one can be started.
void load_packet_programs(http_statistics* ingress, http_statistics* egress,
                          std::vector<VerifiedProgram>& verified) {
  const VerifierLogs ingress_logs(ingress->obj);
  const VerifierLogs egress_logs(egress->obj);
  int egress_err = 0;
  std::jthread other;
  try {
    other = std::jthread([&egress_err, egress] { egress_err = http_statistics__load(egress); });
  } catch (const std::system_error&) {
    egress_err = http_statistics__load(egress);
  }
  const int ingress_err = http_statistics__load(ingress);
  if (other.joinable()) other.join();
  if (ingress_err) fail_load(ingress_err, ingress_logs);
  if (egress_err) fail_load(egress_err, egress_logs);
  for (const auto* logs : {&ingress_logs, &egress_logs})
    for (auto& v : logs->verified()) verified.push_back(std::move(v));
}

}  // namespace

BpfEngine::BpfEngine(EngineOptions options)
    : skel_(nullptr, http_statistics__destroy),
      ingress_skel_(nullptr, http_statistics__destroy),
      egress_skel_(nullptr, http_statistics__destroy),
      handshake_skel_(nullptr, http_statistics__destroy),
      events_(nullptr, ring_buffer__free) {
  const auto started = std::chrono::steady_clock::now();
  libbpf_set_print(libbpf_log);
  ncpus_ = libbpf_num_possible_cpus();
  if (ncpus_ <= 0) throw EngineError("cannot count possible CPUs: " + errno_text(ncpus_));

  if (geteuid() == 0) {
    require_helpers();
    require_atomic_exchange();
  }
  try {
    parser_loop_ = choose_parser_loop(BPF_PROG_TYPE_CGROUP_SKB);
  } catch (const std::invalid_argument& e) {
    throw EngineError(e.what());
  }
  const std::string ingress_name = parser_program("hs_ingress", parser_loop_);
  const std::string egress_name = parser_program("hs_egress", parser_loop_);
  const std::string handshake_name = parser_program("hs_handshake", parser_loop_);
  kernel_btf_ = cut_kernel_btf_or_throw();
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = kernel_btf_->path().c_str());
  skel_.reset(http_statistics__open_opts(&open_opts));
  if (!skel_) throw EngineError("opening the BPF object failed: " + errno_text(errno) + kHint);
  // Per-CPU values are preallocated: on many CPUs fewer series fit the budget.
  const std::uint64_t per_series = static_cast<std::uint64_t>(ncpus_) * sizeof(hs_stats_value);
  const std::uint64_t series =
      std::clamp<std::uint64_t>(HS_SERIES_BUDGET / per_series, 1024, HS_MAX_SERIES);
  bpf_map__set_max_entries(skel_->maps.stats, static_cast<std::uint32_t>(series));
  // Each template a process counts under has a series of its own at least.
  bpf_map__set_max_entries(skel_->maps.url_templates, static_cast<std::uint32_t>(series));
  url_templates_ = options.url_templates;
  skel_->rodata->url_templates_on = url_templates_.on ? 1 : 0;
  skel_->rodata->max_url_templates = url_templates_.max_per_process;
  // The skeleton creates the maps and loads the small programs; the packet
  // programs, which take the verifier most of the start-up, are verified in
  // instances of their own, at the same time.
  for (bpf_program* packet : {skel_->progs.hs_ingress, skel_->progs.hs_egress,
                              skel_->progs.hs_handshake, skel_->progs.hs_ingress_steps,
                              skel_->progs.hs_egress_steps, skel_->progs.hs_handshake_steps})
    bpf_program__set_autoload(packet, false);
  {
    const VerifierLogs logs(skel_->obj);
    if (int err = http_statistics__load(skel_.get()); err) fail_load(err, logs);
    verified_ = logs.verified();
  }
  const char* btf_path = kernel_btf_->path().c_str();
  ingress_skel_ = packet_program_instance(ingress_name.c_str(), skel_->obj, btf_path);
  egress_skel_ = packet_program_instance(egress_name.c_str(), skel_->obj, btf_path);
  load_packet_programs(ingress_skel_.get(), egress_skel_.get(), verified_);

  const std::string cg = options.cgroup_path.empty() ? find_cgroup2_mount() : options.cgroup_path;
  if (cg.empty())
    throw EngineError("no cgroup v2 hierarchy is mounted (the socket programs attach to it)" +
                      std::string(kHint));
  cgroup_fd_ = open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroup_fd_ < 0)
    throw EngineError("cannot open cgroup " + cg + ": " + errno_text(errno) + kHint);
  // Only the root of a cgroup v2 hierarchy lacks cgroup.events; that also
  // tells the host's root mounted into a container (--cgroup=/host/...)
  // from the container's own cgroup namespace root.
  std::error_code no_events;
  whole_machine_ = !std::filesystem::exists(cg + "/cgroup.events", no_events);

  tracefs_ = std::make_unique<TracefsMount>();
  auto keep = [this](bpf_program* program, bpf_link* link, const char* prog,
                     const std::string& where) {
    const int prog_fd = bpf_program__fd(program);
    if (!link) {
      const int err = errno;
      throw EngineError(std::string("attaching ") + prog + " to " + where +
                        " failed: " + errno_text(err) + kHint);
    }
    links_.emplace_back(link, bpf_link__destroy);
    attached_.push_back({prog, where, prog_fd});
  };
  auto* progs = &skel_->progs;
  counting_since_ = Clock::now();  // just before: nothing can be counted earlier
  keep(progs->hs_sockops, bpf_program__attach_cgroup(progs->hs_sockops, cgroup_fd_), "hs_sockops",
       "sockops " + cg);
  bpf_program* ingress = bpf_object__find_program_by_name(ingress_skel_->obj, ingress_name.c_str());
  bpf_program* egress = bpf_object__find_program_by_name(egress_skel_->obj, egress_name.c_str());
  keep(ingress, bpf_program__attach_cgroup(ingress, cgroup_fd_), ingress_name.c_str(),
       "cgroup_skb/ingress " + cg);
  keep(egress, bpf_program__attach_cgroup(egress, cgroup_fd_), egress_name.c_str(),
       "cgroup_skb/egress " + cg);
  keep(progs->hs_accept4, bpf_program__attach(progs->hs_accept4), "hs_accept4",
       "tracepoint syscalls/sys_exit_accept4");
  keep(progs->hs_accept, bpf_program__attach(progs->hs_accept), "hs_accept",
       "tracepoint syscalls/sys_exit_accept");
  keep(progs->hs_process_exit, bpf_program__attach(progs->hs_process_exit), "hs_process_exit",
       "tracepoint sched/sched_process_exit");

  events_.reset(ring_buffer__new(
      bpf_map__fd(skel_->maps.events),
      [](void* ctx, void* data, size_t size) -> int {
        auto* self = static_cast<BpfEngine*>(ctx);
        if (size < sizeof(hs_event) || !self->on_event_) return 0;
        const auto* e = static_cast<const hs_event*>(data);
        Event ev{e->kind == HS_EV_PROCESS_EXIT ? Event::Kind::ProcessExit : Event::Kind::ProcessNew,
                 e->tgid, e->start_ns, std::string(e->comm, strnlen(e->comm, sizeof(e->comm)))};
        (*self->on_event_)(ev);
        return 0;
      },
      this, nullptr));
  if (!events_) throw EngineError("creating the event ring buffer failed: " + errno_text(errno));
  attach_duration_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  // Attached tracepoints do not need tracefs any more: a mount of ours goes
  // now, while the privilege to unmount it is still there.
  if (tracefs_ && tracefs_->mounted_here()) tracefs_mounted_ = true;
  tracefs_.reset();

  // Requests in the packet that sets a connection up (deferred accept, TCP
  // Fast Open) reach hs_ingress with the listening socket, which tail-calls
  // hs_handshake. It loads now, after the socket side is attached: a second
  // copy of the request parser for the verifier, kept off the start-up.
  // Until it is in place such payload is skipped and counted
  // (handshake_unparsed).
  handshake_skel_ = packet_program_instance(handshake_name.c_str(), skel_->obj, btf_path);
  {
    const VerifierLogs logs(handshake_skel_->obj);
    if (int err = http_statistics__load(handshake_skel_.get()); err) fail_load(err, logs);
    for (auto& v : logs.verified()) verified_.push_back(std::move(v));
  }
  {
    const std::uint32_t key = 0;
    const int fd = bpf_program__fd(
        bpf_object__find_program_by_name(handshake_skel_->obj, handshake_name.c_str()));
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.handshake_prog), &key, &fd, BPF_ANY) != 0)
      throw EngineError("installing " + handshake_name + " failed: " + errno_text(errno) + kHint);
    attached_.push_back({handshake_name,
                         "tail call from " + ingress_name + " (payload of a listening socket)",
                         fd});
  }

  if (!options.tls) {
    tls_status_ = "nothing for HTTPS (--tls off)";
    kernel_btf_.reset();
    return;
  }
  if (!options.defer_tls) attach_tls();
}

void BpfEngine::attach_tls() {
  if (tls_ || !tls_status_.empty()) return;
  const auto libraries = find_libssl_files();
  if (libraries.empty()) {
    tls_status_ = "nothing for HTTPS: no libssl.so.3 found on this host";
    kernel_btf_.reset();
    return;
  }
  // HTTPS is an addition: plaintext counting goes on without it.
  try {
    tls_parser_loop_ = choose_parser_loop(BPF_PROG_TYPE_KPROBE);
    tls_ = std::make_unique<TlsProbes>(skel_->obj, libraries, kernel_btf_->path(),
                                       whole_machine_ ? -1 : cgroup_fd_, tls_parser_loop_,
                                       url_templates_);
    tls_status_ =
        "hs_ssl_* -> uprobes on SSL_read, SSL_read_ex, SSL_write, SSL_write_ex, SSL_free in";
    for (const auto& lib : tls_->libraries()) tls_status_ += " " + lib;
    tls_status_ += " (HTTPS; in " + std::to_string(tls_->attach_duration().count()) + " ms)";
  } catch (const std::runtime_error& e) {
    tls_status_ = std::string("nothing for HTTPS: ") + e.what();
  }
  kernel_btf_.reset();
}

std::string BpfEngine::tls_describe() const { return tls_status_; }

std::vector<VerifiedProgram> BpfEngine::verified_programs() const {
  std::vector<VerifiedProgram> out = verified_;
  if (tls_) out.insert(out.end(), tls_->verified().begin(), tls_->verified().end());
  return out;
}

BpfEngine::~BpfEngine() {
  events_.reset();
  tls_.reset();
  links_.clear();  // detaches: links are owned by these fds only, nothing is pinned
  handshake_skel_.reset();
  egress_skel_.reset();
  ingress_skel_.reset();
  skel_.reset();
  if (cgroup_fd_ >= 0) close(cgroup_fd_);
  tracefs_.reset();
}

namespace {

// One series' per-CPU values (`ncpus` of them) summed.
SeriesStats sum_cpus(const hs_stats_value* values, int ncpus) {
  SeriesStats sum;
  for (int cpu = 0; cpu < ncpus; ++cpu) {
    const hs_stats_value& v = values[cpu];
    sum.count += v.count;
    sum.latency_count += v.latency_count;
    sum.latency_sum_ns += v.latency_sum_ns;
    for (int b = 0; b < kLatencyBuckets; ++b) sum.buckets[b] += v.buckets[b];
    for (int b = 0; b < kLog2Buckets; ++b) sum.log2_buckets[b] += v.log2_buckets[b];
  }
  return sum;
}

BpfEngine::StatsKey from_kernel(const hs_stats_key& k) {
  return {k.tgid, k.start_ns, static_cast<Method>(k.method), k.status, k.tls != 0, k.url_template};
}

hs_stats_key to_kernel(const BpfEngine::StatsKey& k) {
  hs_stats_key key{};
  key.start_ns = k.start_ns;
  key.tgid = k.pid;
  key.status = k.status;
  key.method = static_cast<std::uint8_t>(k.method);
  key.tls = k.tls ? 1 : 0;
  key.url_template = k.url_template;
  return key;
}

}  // namespace

std::vector<BpfEngine::StatsEntry> BpfEngine::read_stats() const {
  const int fd = bpf_map__fd(skel_->maps.stats);
  constexpr std::uint32_t kBatch = 256;
  std::vector<hs_stats_key> keys(kBatch);
  std::vector<hs_stats_value> values(static_cast<std::size_t>(kBatch) * ncpus_);
  std::vector<StatsEntry> out;
  hs_stats_key next{};
  bool first = true;
  for (;;) {
    std::uint32_t count = kBatch;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    hs_stats_key in = next;
    const int err = bpf_map_lookup_batch(fd, first ? nullptr : &in, &next, keys.data(),
                                         values.data(), &count, &opts);
    first = false;
    if (err && errno != ENOENT) break;  // map changed under us: what was read is still valid
    for (std::uint32_t i = 0; i < count; ++i)
      out.push_back(
          {from_kernel(keys[i]), sum_cpus(&values[static_cast<std::size_t>(i) * ncpus_], ncpus_)});
    if (err) break;  // ENOENT: that was the last batch
  }
  return out;
}

std::vector<BpfEngine::StatsEntry> BpfEngine::take_stats(const std::vector<StatsKey>& keys) {
  const int fd = bpf_map__fd(skel_->maps.stats);
  std::vector<hs_stats_value> values(static_cast<std::size_t>(ncpus_));
  std::vector<StatsEntry> out;
  out.reserve(keys.size());
  for (const StatsKey& k : keys) {
    const hs_stats_key key = to_kernel(k);
    // Per-CPU hash maps take lookup-and-delete since 5.14; the engine needs 5.17.
    if (bpf_map_lookup_and_delete_elem(fd, &key, values.data()) == 0)
      out.push_back({k, sum_cpus(values.data(), ncpus_)});
    else if (errno != ENOENT)
      bpf_map_delete_elem(fd, &key);  // cannot read it: the caller keeps its last read
  }
  return out;
}

std::optional<std::string> BpfEngine::url_template_name(std::uint32_t pid, std::uint64_t start_ns,
                                                        std::uint64_t id) const {
  hs_template_key key{};
  key.start_ns = start_ns;
  key.tgid = pid;
  key.id = id;
  http_url_tmpl name{};
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.url_templates), &key, &name) != 0 ||
      name.id != id)
    return std::nullopt;
  return url_template_text(name);
}

void BpfEngine::forget_url_templates(std::uint32_t pid, std::uint64_t start_ns,
                                     const std::vector<std::uint64_t>& ids) {
  hs_template_key key{};
  key.start_ns = start_ns;
  key.tgid = pid;
  for (std::uint64_t id : ids) {
    key.id = id;
    bpf_map_delete_elem(bpf_map__fd(skel_->maps.url_templates), &key);
  }
  hs_process p{};
  p.start_ns = start_ns;
  p.tgid = pid;
  bpf_map_delete_elem(bpf_map__fd(skel_->maps.url_template_counts), &p);
}

std::map<std::string, std::uint64_t> BpfEngine::read_counters() const {
  const int fd = bpf_map__fd(skel_->maps.counters);
  std::vector<std::uint64_t> per_cpu(ncpus_);
  std::map<std::string, std::uint64_t> out;
  for (std::uint32_t i = 0; i < HS_C_COUNT; ++i) {
    std::uint64_t sum = 0;
    if (bpf_map_lookup_elem(fd, &i, per_cpu.data()) == 0)
      for (std::uint64_t v : per_cpu) sum += v;
    out[kCounterNames[i]] = sum;
  }
  return out;
}

int BpfEngine::poll_events(const std::function<void(const Event&)>& on_event, int timeout_ms) {
  on_event_ = &on_event;
  const int n = ring_buffer__poll(events_.get(), timeout_ms);
  on_event_ = nullptr;
  return n < 0 ? 0 : n;
}

bool BpfEngine::set_paused(std::uint32_t pid, std::uint64_t start_ns, bool paused) {
  const int fd = bpf_map__fd(skel_->maps.paused);
  if (paused) {
    if (bpf_map_update_elem(fd, &pid, &start_ns, BPF_ANY)) return false;
  } else {
    // Only this process's pause: its pid may already be paused for another.
    std::uint64_t current = 0;
    if (bpf_map_lookup_elem(fd, &pid, &current) == 0 && current == start_ns &&
        bpf_map_delete_elem(fd, &pid) && errno != ENOENT)
      return false;
  }
  // Recount so the kernel skips its lookup exactly when nothing is paused.
  std::uint32_t key = 0, next = 0, n = 0;
  const std::uint32_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    ++n;
    key = next;
    prev = &key;
  }
  skel_->bss->paused_count = n;
  if (tls_) tls_->set_paused_count(n);
  return true;
}

std::vector<ProgramHealth> BpfEngine::program_health() const {
  std::vector<ProgramHealth> out;
  for (const auto& a : attached_) {
    ProgramHealth h{a.program, a.where, 0, 0};
    bpf_prog_info info{};
    std::uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(a.prog_fd, &info, &len) == 0) {
      h.run_time_ns = info.run_time_ns;
      h.run_count = info.run_cnt;
    }
    out.push_back(std::move(h));
  }
  if (tls_)
    for (auto& h : tls_->program_health()) out.push_back(std::move(h));
  return out;
}

namespace {
std::uint64_t count_entries(const bpf_map* map) {
  // Batch lookups: one syscall per 1024 entries instead of one per key.
  const int fd = bpf_map__fd(map);
  const std::uint32_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map);
  constexpr std::uint32_t kBatch = 1024;
  std::vector<char> keys(static_cast<std::size_t>(kBatch) * ksz),
      vals(static_cast<std::size_t>(kBatch) * vsz);
  std::vector<char> in(ksz), out(ksz);
  std::uint64_t total = 0;
  bool first = true;
  for (;;) {
    std::uint32_t count = kBatch;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    in = out;
    const int err = bpf_map_lookup_batch(fd, first ? nullptr : in.data(), out.data(), keys.data(),
                                         vals.data(), &count, &opts);
    first = false;
    total += count;
    if (err) break;
  }
  return total;
}
}  // namespace

std::vector<MapHealth> BpfEngine::map_health(std::uint64_t series_in_use) const {
  return {
      {"stats", series_in_use, bpf_map__max_entries(skel_->maps.stats)},
      {"procs", count_entries(skel_->maps.procs), bpf_map__max_entries(skel_->maps.procs)},
      {"accepted", count_entries(skel_->maps.accepted), bpf_map__max_entries(skel_->maps.accepted)},
      {"paused", skel_->bss->paused_count, bpf_map__max_entries(skel_->maps.paused)},
  };
}

bool BpfEngine::bpf_stats_enabled() {
  std::ifstream f("/proc/sys/kernel/bpf_stats_enabled");
  int v = 0;
  return (f >> v) && v != 0;
}

std::vector<std::string> BpfEngine::describe() const {
  std::vector<std::string> out;
  if (tracefs_mounted_)
    out.push_back("tracefs mounted at /sys/kernel/tracing to attach, and unmounted again");
  for (const auto& a : attached_) out.push_back(a.program + " -> " + a.where);
  if (!tls_status_.empty()) out.push_back(tls_status_);
  return out;
}

}  // namespace hs
