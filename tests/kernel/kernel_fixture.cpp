#include "kernel_fixture.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace hs::test {

std::unique_ptr<BpfEngine> KernelTest::engine_;
std::unique_ptr<Aggregator> KernelTest::aggregator_;
std::optional<std::string> KernelTest::engine_error_;

std::string series_name(const SeriesKey& key) {
  return std::string(method_name(key.method)) + " " + std::to_string(key.status) +
         (key.tls ? " https" : "");
}

const ProcessSnapshot* find_process(const Snapshot& snap, pid_t pid) {
  const ProcessSnapshot* found = nullptr;
  for (const auto& p : snap.processes) {
    if (p.info.pid != static_cast<std::uint32_t>(pid)) continue;
    if (!p.info.exited) return &p;
    if (!found || p.info.first_seen > found->info.first_seen) found = &p;
  }
  return found;
}

void KernelTest::SetUpTestSuite() {
  if (geteuid() != 0 || engine_) return;
  try {
    engine_ = std::make_unique<BpfEngine>();
    AggregatorOptions o;
    // Exited servers must keep their series for the rest of the suite.
    o.exit_grace = std::chrono::hours(1);
    aggregator_ = std::make_unique<Aggregator>(*engine_, o);
    engine_error_.reset();
  } catch (const std::exception& e) {
    aggregator_.reset();
    engine_.reset();
    engine_error_ = e.what();
  }
}

void KernelTest::TearDownTestSuite() {
  aggregator_.reset();  // holds a reference to the engine
  engine_.reset();
}

void KernelTest::SetUp() {
  if (geteuid() != 0) {
    if (running_in_ci())
      FAIL() << "kernel tests must run as root in CI (CI is set), but euid is " << geteuid();
    GTEST_SKIP() << "kernel tests load BPF programs and need root (set CI=true to make this "
                    "a failure)";
  }
  ASSERT_TRUE(engine_) << "BpfEngine failed to start: " << engine_error_.value_or("?");
}

void KernelTest::TearDown() {
  if (engine_ && HasFailure()) std::cerr << "engine drop counters: " << drops() << "\n";
}

std::shared_ptr<const Snapshot> KernelTest::refresh() { return aggregator_->refresh(); }

std::map<SeriesKey, SeriesStats> KernelTest::series(pid_t pid) {
  const auto snap = refresh();
  const ProcessSnapshot* p = find_process(*snap, pid);
  return p ? p->series : std::map<SeriesKey, SeriesStats>{};
}

Counts KernelTest::counts(pid_t pid) {
  Counts out;
  for (const auto& [key, stats] : series(pid))
    if (stats.count) out[series_name(key)] += stats.count;
  return out;
}

Counts KernelTest::template_counts(pid_t pid) {
  Counts out;
  for (const auto& [key, stats] : series(pid))
    if (stats.count) out[series_name(key) + " " + key.url_template] += stats.count;
  return out;
}

std::string KernelTest::untimed(pid_t pid) {
  std::string out;
  for (const auto& [key, stats] : series(pid))
    if (stats.latency_count != stats.count)
      out += series_name(key) + " " + key.url_template + ": " +
             std::to_string(stats.latency_count) + " of " + std::to_string(stats.count) +
             " timed; ";
  return out;
}

std::string KernelTest::drops() {
  std::ostringstream out;
  for (const auto& [cause, n] : refresh()->health.drops)
    if (n) out << cause << "=" << n << " ";
  return out.str();
}

KernelTest::CurlResult KernelTest::curl(const std::vector<std::string>& urls,
                                        const std::vector<std::string>& options) {
  std::vector<std::string> argv = {"curl", "--silent",    "--show-error",   "--max-time",
                                   "60",   "--write-out", "%{http_code}\\n"};
  argv.insert(argv.end(), options.begin(), options.end());
  for (const auto& u : urls) argv.insert(argv.end(), {"--output", "/dev/null", u});
  const RunResult r = run(argv, scratch_.path(), std::chrono::seconds(90));
  CurlResult out;
  out.pid = r.pid;
  std::istringstream in(r.out);
  for (int code; in >> code;) out.codes.push_back(code);
  EXPECT_TRUE(r.status.exited_normally()) << "curl " << r.status.describe() << ": " << r.err;
  return out;
}

}  // namespace hs::test
