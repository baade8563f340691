// /metrics for one snapshot: what every scrape costs, as a whole and by stage.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <array>
#include <locale>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include <prometheus/text_serializer.h>

#include "exposition.h"
#include "gzip.h"
#include "metrics_exporter.h"
#include "series_selection.h"
#include "snapshot_factory.h"
#include "text_format.h"

namespace hs_bench {
namespace {

std::shared_ptr<const hs::Snapshot> shared_snapshot(const benchmark::State& state) {
  return std::make_shared<const hs::Snapshot>(
      make_snapshot({.processes = static_cast<std::size_t>(state.range(0))}));
}

// The families one scrape serialises, with the daemon's default caps.
std::vector<prometheus::MetricFamily> families_of(std::shared_ptr<const hs::Snapshot> snap) {
  return hs::prom::SnapshotCollector([snap] { return snap; }, {}).Collect();
}

void count_processes(benchmark::State& state, std::size_t bytes) {
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.counters["text_bytes"] = static_cast<double>(bytes);
}

void render(benchmark::State& state, const hs::prom::ExporterOptions& options) {
  const hs::Snapshot snap = make_snapshot({.processes = static_cast<std::size_t>(state.range(0))});
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = hs::prom::render_text(snap, options);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  count_processes(state, bytes);
}

// The whole rendering as the daemon does it: the default series caps apply
// (at 1,000 processes x 20 series the total cap keeps the busiest 10,000).
void BM_PrometheusText(benchmark::State& state) { render(state, hs::prom::ExporterOptions{}); }

// Every series rendered: what the caps save at 1,000 processes.
void BM_PrometheusText_Uncapped(benchmark::State& state) {
  hs::prom::ExporterOptions options;
  options.max_series_per_process = 0;
  options.max_series_total = 0;
  render(state, options);
}

// Choosing the series under the caps (every body starts with it).
void BM_PrometheusStage_Select(benchmark::State& state) {
  const auto snap = shared_snapshot(state);
  for (auto _ : state) {
    const auto selection = hs::prom::select_series(*snap, 200, 10000);
    benchmark::DoNotOptimize(selection.series.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The body as /metrics writes it (render_exposition), on 1 to 4 threads: the
// traffic text straight from the series, gzipped part by part or not.
void body(benchmark::State& state, bool gzip) {
  const auto snap = shared_snapshot(state);
  const hs::prom::SnapshotCollector collector([snap] { return snap; }, {});
  const auto threads = static_cast<std::size_t>(state.range(1));
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto pieces = hs::prom::render_exposition(collector.scrape(), gzip, threads);
    bytes = 0;
    for (const auto& piece : pieces) bytes += piece.size();
    benchmark::DoNotOptimize(pieces.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters[gzip ? "gzip_bytes" : "text_bytes"] = static_cast<double>(bytes);
}

void BM_PrometheusBody(benchmark::State& state) { body(state, false); }
void BM_PrometheusBody_Gzip(benchmark::State& state) { body(state, true); }

// The collector's metric families (selection included), built and freed:
// what the Collectable costs, which /metrics no longer pays.
void BM_PrometheusStage_Families(benchmark::State& state) {
  const auto snap = shared_snapshot(state);
  const hs::prom::SnapshotCollector collector([snap] { return snap; }, {});
  for (auto _ : state) {
    const auto families = collector.Collect();
    benchmark::DoNotOptimize(families.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The Collectable's families to text with our writer (the same bytes)...
void BM_PrometheusStage_Serialize(benchmark::State& state) {
  const auto families = families_of(shared_snapshot(state));
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = hs::prom::serialize_text(families);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  count_processes(state, bytes);
}

// ... and with prometheus-cpp's TextSerializer, which it replaces (same bytes).
void BM_PrometheusStage_SerializeTextSerializer(benchmark::State& state) {
  const auto families = families_of(shared_snapshot(state));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::ostringstream out;
    out.imbue(std::locale::classic());
    prometheus::TextSerializer().Serialize(out, families);
    const std::string text = std::move(out).str();
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  count_processes(state, bytes);
}

// Gzip alone at the exporter's level 1, on one thread, for the whole text.
void BM_PrometheusStage_Gzip(benchmark::State& state) {
  const std::string text = hs::prom::serialize_text(families_of(shared_snapshot(state)));
  std::size_t compressed = 0;
  for (auto _ : state) {
    const std::string gz = hs::prom::gzip_compress(text, 1);
    compressed = gz.size();
    benchmark::DoNotOptimize(gz.data());
  }
  count_processes(state, text.size());
  state.counters["gzip_bytes"] = static_cast<double>(compressed);
}

// One GET over a new loopback connection, read to the end ("Connection:
// close"); returns the bytes received, 0 on failure.
std::size_t get_metrics(int port, bool gzip) {
  const int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::size_t received = 0;
  if (::connect(sock, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request = std::string("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n") +
                                (gzip ? "Accept-Encoding: gzip\r\n" : "") +
                                "Connection: close\r\n\r\n";
    if (::send(sock, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      std::array<char, 1 << 16> buffer{};
      bool ok = false;
      for (ssize_t n; (n = ::recv(sock, buffer.data(), buffer.size(), 0)) > 0;) {
        if (received == 0) ok = std::string_view(buffer.data(), 12) == "HTTP/1.1 200";
        received += static_cast<std::size_t>(n);
      }
      if (!ok) received = 0;
    }
  }
  ::close(sock);
  return received;
}

// A running Exporter serving a snapshot of `processes` processes, shared by
// the repetitions so that each measures a request to a warm server.
class ServedSnapshot {
 public:
  static ServedSnapshot& of(std::size_t processes) {
    static std::map<std::size_t, std::unique_ptr<ServedSnapshot>> served;
    auto& s = served[processes];
    if (!s) s.reset(new ServedSnapshot(processes));
    return *s;
  }
  int port() const { return exporter_.port(); }

 private:
  explicit ServedSnapshot(std::size_t processes)
      : snap_(std::make_shared<const hs::Snapshot>(make_snapshot({.processes = processes}))),
        exporter_(options(), [snap = snap_] { return snap; }) {
    exporter_.start();
  }
  static hs::prom::ExporterOptions options() {
    hs::prom::ExporterOptions o;
    o.address = "127.0.0.1:0";
    return o;
  }
  std::shared_ptr<const hs::Snapshot> snap_;
  hs::prom::Exporter exporter_;
};

// End to end: a GET /metrics against the real Exporter on loopback, from
// connecting to the last byte. Each repetition is one request; the median of
// the repetitions is the figure to read.
void scrape(benchmark::State& state, bool gzip) {
  const int port = ServedSnapshot::of(static_cast<std::size_t>(state.range(0))).port();
  std::size_t bytes = 0;
  for (auto _ : state) {
    bytes = get_metrics(port, gzip);
    if (bytes == 0) {
      state.SkipWithError("GET /metrics failed");
      break;
    }
  }
  count_processes(state, bytes);
}

void BM_PrometheusScrape(benchmark::State& state) { scrape(state, false); }
void BM_PrometheusScrape_Gzip(benchmark::State& state) { scrape(state, true); }

BENCHMARK(BM_PrometheusText)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PrometheusText_Uncapped)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PrometheusStage_Select)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PrometheusBody)
    ->Args({1000, 1})
    ->Args({1000, 2})
    ->Args({1000, 4})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PrometheusBody_Gzip)
    ->Args({1000, 1})
    ->Args({1000, 2})
    ->Args({1000, 4})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PrometheusStage_Families)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PrometheusStage_Serialize)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PrometheusStage_SerializeTextSerializer)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PrometheusStage_Gzip)->Arg(1000)->Unit(benchmark::kMicrosecond);
// 100 to 1,000 processes x 20 series: 2,000 to 10,000 series (the total cap).
BENCHMARK(BM_PrometheusScrape)
    ->Arg(100)
    ->Arg(250)
    ->Arg(500)
    ->Arg(1000)
    ->Iterations(1)
    ->Repetitions(20)
    ->ReportAggregatesOnly(true)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PrometheusScrape_Gzip)
    ->Arg(100)
    ->Arg(250)
    ->Arg(500)
    ->Arg(1000)
    ->Iterations(1)
    ->Repetitions(20)
    ->ReportAggregatesOnly(true)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hs_bench
