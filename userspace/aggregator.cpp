#include "aggregator.h"

#include <algorithm>
#include <deque>

#include "latency.h"
#include "process_info.h"
#include "url_template.h"
#include "url_templates.h"

namespace hs {

// A kernel entry: a series (its template's name left empty) and the id of
// the URL template it counts under, as the kernel keys it.
struct KernelKey {
  SeriesKey series;
  std::uint64_t url_template = 0;
  auto operator<=>(const KernelKey&) const = default;
};

struct Aggregator::Process {
  ProcessInfo info;
  // Kernel entries are deleted once a process has exited; what they held
  // moves here so late counts (responses still in flight) add up exactly.
  std::map<SeriesKey, SeriesStats> base;
  std::map<KernelKey, SeriesStats> kernel;  // as last read from the kernel
  std::map<SeriesKey, SeriesStats> totals;  // base + kernel, at the last read
  // The series found by the latest read: true when their count moved since
  // the read before (or they are new).
  std::map<KernelKey, bool> moved;
  Clock::time_point last_counted;  // when its counts last grew
  // Names of the URL templates its kernel entries had, by id: read from the
  // kernel once, and kept so a series keeps its name after the kernel forgets.
  std::map<std::uint64_t, std::string> template_names;
  std::deque<RateSample> recent;
  // Further name lookups left, one per liveness check (every 5 s): a process
  // can serve before the runtime and the kubelet have written what names it
  // (the kubelet makes a container's log symlink after the container started).
  int name_lookups_left = 0;
};

namespace {

// Name lookups after the first, for a process in a container whose names
// were not all found: for its first 30 seconds.
constexpr int kNameRetries = 6;

std::size_t known_names(const ContainerNames& n) {
  return !n.k8s_namespace_name.empty() + !n.k8s_pod_name.empty() + !n.k8s_container_name.empty() +
         !n.container_name.empty();
}

void add(SeriesStats& into, const SeriesStats& s) {
  into.count += s.count;
  into.latency_count += s.latency_count;
  into.latency_sum_ns += s.latency_sum_ns;
  for (int b = 0; b < kLatencyBuckets; ++b) into.buckets[b] += s.buckets[b];
  for (int b = 0; b < kLog2Buckets; ++b) into.log2_buckets[b] += s.log2_buckets[b];
}

SeriesKey named(const KernelKey& k, const std::map<std::uint64_t, std::string>& names) {
  SeriesKey out = k.series;
  if (k.url_template == HTTP_TMPL_OTHER) {
    out.url_template = kOtherTemplate;
  } else if (k.url_template != HTTP_TMPL_NONE) {
    const auto it = names.find(k.url_template);
    out.url_template = it == names.end() ? kOtherTemplate : it->second;
  }
  return out;
}

std::map<SeriesKey, SeriesStats> sum(const std::map<SeriesKey, SeriesStats>& a,
                                     const std::map<KernelKey, SeriesStats>& b,
                                     const std::map<std::uint64_t, std::string>& names) {
  auto out = a;
  for (const auto& [k, v] : b) add(out[named(k, names)], v);
  return out;
}

// One per-second sample from the change of the cumulative series.
RateSample sample(const std::map<SeriesKey, SeriesStats>& now,
                  const std::map<SeriesKey, SeriesStats>& before, Clock::time_point at,
                  double seconds) {
  RateSample s;
  s.at = at;
  std::array<std::uint64_t, kLog2Buckets> buckets{};
  std::uint64_t requests = 0;
  std::map<std::uint16_t, std::uint64_t> by_status;
  struct Endpoint {
    std::uint64_t requests = 0, server_errors = 0;
    std::array<std::uint64_t, kLog2Buckets> buckets{};
  };
  std::map<std::string_view, Endpoint> endpoints;
  for (const auto& [key, cur] : now) {
    const auto it = before.find(key);
    const SeriesStats prev = it == before.end() ? SeriesStats{} : it->second;
    const std::uint64_t n = cur.count - prev.count;
    requests += n;
    for (int b = 0; b < kLog2Buckets; ++b) buckets[b] += cur.log2_buckets[b] - prev.log2_buckets[b];
    if (!n) continue;
    by_status[key.status] += n;
    Endpoint& e = endpoints[key.url_template];
    e.requests += n;
    if (key.status >= 500 && key.status <= 599) e.server_errors += n;
    for (int b = 0; b < kLog2Buckets; ++b)
      e.buckets[b] += cur.log2_buckets[b] - prev.log2_buckets[b];
  }
  s.requests_per_second = static_cast<double>(requests) / seconds;
  for (const auto& [status, n] : by_status)
    s.responses_per_second[status] = static_cast<double>(n) / seconds;
  for (const auto& [name, e] : endpoints) {
    const double p99 = latency_quantile_seconds(e.buckets, 0.99);
    s.endpoints[std::string(name)] = {static_cast<double>(e.requests) / seconds,
                                      static_cast<double>(e.server_errors) / seconds,
                                      p99 < 0 ? -1 : p99 * 1000.0};
  }
  s.latency_p50_ms = latency_quantile_seconds(buckets, 0.50) * 1000.0;
  s.latency_p99_ms = latency_quantile_seconds(buckets, 0.99) * 1000.0;
  if (s.latency_p50_ms < 0) s.latency_p50_ms = s.latency_p99_ms = -1;
  return s;
}

// Whether the window still has something to show: traffic, or a pause
// (while paused nothing is counted, and the zeros are what say so).
bool window_shows_something(const std::deque<RateSample>& recent) {
  return std::any_of(recent.begin(), recent.end(),
                     [](const RateSample& s) { return s.requests_per_second > 0 || s.paused; });
}

}  // namespace

Aggregator::Aggregator(BpfEngine& engine, AggregatorOptions options)
    : engine_(engine), options_(options), last_read_(engine.counting_since()) {
  std::lock_guard lock(mu_);
  latest_ = publish(Clock::now());
}

Aggregator::~Aggregator() { stop(); }

void Aggregator::start() {
  std::lock_guard lock(thread_mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(thread_mu_);
    // The first sample spans a whole interval from when counting began, as
    // every later one does: a sliver of a second (the daemon starts this
    // right after attaching) would hold only the busiest codes, at rates
    // that are mostly noise.
    const auto first = engine_.counting_since() + options_.interval;
    if (wake_.wait_until(lock, first, [this] { return stopping_; })) return;
    while (!stopping_) {
      lock.unlock();
      refresh();
      lock.lock();
      wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
    }
  });
}

void Aggregator::stop() {
  {
    std::lock_guard lock(thread_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const Snapshot> Aggregator::snapshot() const {
  std::lock_guard lock(mu_);
  return latest_;
}

std::shared_ptr<const Snapshot> Aggregator::refresh() {
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  refresh_locked(now);
  latest_ = publish(now);
  return latest_;
}

Aggregator::Process& Aggregator::process_for(std::uint32_t pid, std::uint64_t start_ns,
                                             Clock::time_point now) {
  auto& slot = processes_[{pid, start_ns}];
  if (!slot) {
    slot = std::make_unique<Process>();
    slot->info.pid = pid;
    slot->info.start_ns = start_ns;
    slot->info.first_seen = now;
    const ProcessMetadata meta = read_process_metadata(pid, options_.names);
    slot->info.comm = meta.comm;
    slot->info.executable_name = meta.executable_name;
    slot->info.container_id = meta.container_id;
    slot->info.names = meta.names;
    if (!meta.container_id.empty() && !meta.names.complete())
      slot->name_lookups_left = kNameRetries;
  }
  return *slot;
}

void Aggregator::on_event(const BpfEngine::Event& ev, Clock::time_point now) {
  if (ev.kind == BpfEngine::Event::Kind::ProcessNew) {
    Process& p = process_for(ev.pid, ev.start_ns, now);
    if (p.info.comm.empty()) p.info.comm = ev.comm;
    if (p.info.executable_name.empty()) p.info.executable_name = ev.comm;
    return;
  }
  const auto it = processes_.find({ev.pid, ev.start_ns});
  if (it != processes_.end() && !it->second->info.exited) {
    it->second->info.exited = true;
    it->second->info.exited_at = now;
  }
}

void Aggregator::refresh_locked(Clock::time_point now) {
  const std::function<void(const BpfEngine::Event&)> handler = [&](const BpfEngine::Event& ev) {
    on_event(ev, now);
  };
  engine_.poll_events(handler, 0);

  // Kernel entries only go away when this class deletes them, so a series
  // missing from one read (a batch interrupted by concurrent inserts) keeps
  // its last value instead of making the cumulative counters step back.
  for (auto& [id, p] : processes_) p->moved.clear();
  for (const auto& e : engine_.read_stats()) {
    Process& p = process_for(e.key.pid, e.key.start_ns, now);
    const KernelKey key{{e.key.method, e.key.status, e.key.tls, {}}, e.key.url_template};
    const auto [slot, fresh] = p.kernel.try_emplace(key, e.stats);
    p.moved[key] = fresh || slot->second.count != e.stats.count;
    if (fresh && key.url_template > HTTP_TMPL_OTHER && !p.template_names.contains(key.url_template))
      // The kernel names a template before its first count: a name missing
      // here (never seen) counts as _OTHER, and stays so for the series.
      p.template_names[key.url_template] =
          engine_.url_template_name(p.info.pid, p.info.start_ns, key.url_template)
              .value_or(kOtherTemplate);
    slot->second = e.stats;
  }

  // The first read's counts are of the time since counting began, however
  // long attaching the TLS side and starting up took: taken as one interval,
  // they overstated the first rates by as much.
  const double seconds = std::max(1e-3, std::chrono::duration<double>(now - last_read_).count());
  const bool check_liveness = now - last_liveness_check_ >= std::chrono::seconds(5);
  if (check_liveness) last_liveness_check_ = now;

  for (auto it = processes_.begin(); it != processes_.end();) {
    Process& p = *it->second;
    // A process whose exit event was lost is noticed here.
    if (!p.info.exited && check_liveness && !process_alive(p.info.pid, p.info.start_ns)) {
      p.info.exited = true;
      p.info.exited_at = now;
    }
    if (!p.info.exited && check_liveness && p.name_lookups_left > 0) retry_names(p);
    auto totals = sum(p.base, p.kernel, p.template_names);
    RateSample s = sample(totals, p.totals, now, seconds);
    s.paused = p.info.paused;
    if (s.requests_per_second > 0) p.last_counted = now;
    // A sample every second while there is traffic, or a pause, in the
    // window, and for the window's length after both end: a window that
    // stopped moving would stop the graphs at its last dates.
    if (s.requests_per_second > 0 || s.paused || window_shows_something(p.recent)) {
      p.recent.push_back(std::move(s));
      while (p.recent.size() > options_.recent_samples) p.recent.pop_front();
    }
    p.totals = std::move(totals);

    if (p.info.exited) {
      if (p.info.paused) {
        engine_.set_paused(p.info.pid, p.info.start_ns, false);
        p.info.paused = false;
      }
      fold_quiet_series(p);
      // The grace runs from the exit or from the last count, whichever is
      // later: connections the process accepted can outlive it (a forked
      // child answers them), and their counts are still its own.
      if (p.kernel.empty() &&
          now - std::max(p.info.exited_at, p.last_counted) >= options_.exit_grace) {
        // The kernel bounds templates per process: this one's go with it.
        std::vector<std::uint64_t> ids;
        for (const auto& [id, name] : p.template_names) ids.push_back(id);
        engine_.forget_url_templates(p.info.pid, p.info.start_ns, ids);
        it = processes_.erase(it);
        continue;
      }
    }
    ++it;
  }
  last_read_ = now;
}

void Aggregator::retry_names(Process& p) {
  --p.name_lookups_left;
  ContainerNames found = read_container_names(p.info.pid, options_.names);
  // Only ever more names, never other ones: names once found stay, so a
  // pod deleted while its process lives on keeps them.
  if (known_names(found) > known_names(p.info.names)) p.info.names = std::move(found);
  if (p.info.names.complete()) p.name_lookups_left = 0;
}

void Aggregator::fold_quiet_series(Process& p) {
  // Only series that did not move since the read before are moved out of the
  // kernel; a series still busy (answers keep coming after the exit) stays
  // there until it is quiet. Each is taken (read and deleted in one step),
  // so a count that arrived since this refresh's read is folded too.
  std::vector<BpfEngine::StatsKey> keys;
  for (const auto& [k, moved] : p.moved)
    if (!moved)
      keys.push_back({p.info.pid, p.info.start_ns, k.series.method, k.series.status, k.series.tls,
                      k.url_template});
  if (keys.empty()) return;
  for (const auto& e : engine_.take_stats(keys)) {
    const KernelKey k{{e.key.method, e.key.status, e.key.tls, {}}, e.key.url_template};
    add(p.base[named(k, p.template_names)], e.stats);
    p.kernel.erase(k);
  }
  // A series that could not be taken keeps the value last read.
  for (const auto& k : keys) {
    const KernelKey key{{k.method, k.status, k.tls, {}}, k.url_template};
    if (const auto entry = p.kernel.find(key); entry != p.kernel.end()) {
      add(p.base[named(key, p.template_names)], entry->second);
      p.kernel.erase(entry);
    }
  }
}

std::shared_ptr<const Snapshot> Aggregator::publish(Clock::time_point now) {
  auto snap = std::make_shared<Snapshot>();
  snap->taken_at = now;
  std::uint64_t series = 0;
  snap->processes.reserve(processes_.size());
  for (const auto& [id, p] : processes_) {
    ProcessSnapshot ps;
    ps.info = p->info;
    ps.series = p->totals;
    ps.recent.assign(p->recent.begin(), p->recent.end());
    series += p->kernel.size();
    snap->processes.push_back(std::move(ps));
  }
  std::stable_sort(
      snap->processes.begin(), snap->processes.end(),
      [](const ProcessSnapshot& a, const ProcessSnapshot& b) { return a.info.pid < b.info.pid; });
  EngineHealth& h = snap->health;
  h.programs = engine_.program_health();
  h.maps = engine_.map_health(series);
  h.drops = engine_.read_counters();
  h.bpf_stats_enabled = BpfEngine::bpf_stats_enabled();
  h.processes_tracked = processes_.size();
  h.attach_duration = engine_.attach_duration();
  return snap;
}

bool Aggregator::set_paused(std::uint32_t pid, bool paused) {
  std::lock_guard lock(mu_);
  Process* target = nullptr;
  for (auto& [id, p] : processes_)
    if (id.first == pid && !p->info.exited) target = p.get();
  if (!target || !engine_.set_paused(pid, target->info.start_ns, paused)) return false;
  target->info.paused = paused;
  latest_ = publish(Clock::now());
  return true;
}

}  // namespace hs
