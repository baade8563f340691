// The Prometheus exporter: /metrics in text exposition format 0.0.4.
//
// Everything it serves is read from the aggregation layer's latest Snapshot at
// scrape time; it keeps no copy of the counters. Traffic is named after the
// OpenTelemetry HTTP server conventions as Prometheus sees them
// (http_server_request_duration_seconds, http_server_requests_total); the
// engine's own health is under the http_statistics_ prefix.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "executable_rollup.h"
#include "exposition.h"
#include "snapshot.h"

namespace hs::prom {

// What a traffic series is per: a process (process_pid among its labels), or
// an executable in its container, summed over its processes
// (docs/design.md, "Per executable").
enum class MetricsBy { Process, Executable };

struct ExporterOptions {
  // HOST:PORT to listen on. IPv6 hosts in brackets ("[::1]:9464"); an empty
  // host means every IPv4 interface; port 0 picks a free port (see port()).
  std::string address = "0.0.0.0:9464";
  // Series caps, a series being one (method, status) of one process. When a
  // cap is hit the series with the most requests are kept; 0 = no cap.
  std::size_t max_series_per_process = 200;
  std::size_t max_series_total = 10000;
  // The daemon's default is Executable (--metrics-by); Process here keeps
  // this library's callers (tests, benchmarks) on the per-process series.
  MetricsBy metrics_by = MetricsBy::Process;
  // The bound and retention of the per-executable sums (MetricsBy::Executable).
  RollupOptions rollup;
  // Reported as http_statistics_build_info{version=...}.
  std::string version = "unknown";
  // Requests answered at once (at least 1), which bounds rendering memory.
  // Connections waiting for a request (idle keep-alive ones included) hold
  // no thread.
  std::size_t worker_threads = 4;
};

// The latest snapshot (Aggregator::snapshot()). Called once per scrape from
// the HTTP worker threads, possibly concurrently; may return null.
using SnapshotFn = std::function<std::shared_ptr<const Snapshot>()>;

// Builds the metric families from the latest snapshot each time it is
// collected (a plain prometheus::Collectable: prometheus-cpp's own Exposer
// could serve it too, with the same text /metrics serves).
class SnapshotCollector : public prometheus::Collectable {
 public:
  SnapshotCollector(SnapshotFn snapshots, ExporterOptions options);

  // A null snapshot yields only the exporter's own metrics.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // The same content before it becomes metric families: /metrics writes its
  // text straight from the selected series (render_exposition). Counts the
  // series drops as Collect() does.
  Scrape scrape() const;

 private:
  SnapshotFn snapshots_;
  ExporterOptions options_;
  // Series left out by the caps, summed over every collection so that
  // http_statistics_series_dropped_total is a proper counter. Collections may
  // run concurrently (one per HTTP worker).
  mutable std::atomic<std::uint64_t> dropped_per_process_{0};
  mutable std::atomic<std::uint64_t> dropped_total_{0};
  mutable std::atomic<std::uint64_t> dropped_pid_reused_{0};
  mutable std::atomic<std::uint64_t> dropped_retired_{0};
  // MetricsBy::Executable: the sums, kept across scrapes (null otherwise).
  std::unique_ptr<ExecutableRollup> rollup_;
};

// Serves SnapshotCollector on HTTP: /metrics (gzip when asked), / (a link to
// it), 404 elsewhere. RAII: the destructor stops it.
class Exporter {
 public:
  Exporter(ExporterOptions options, SnapshotFn snapshots);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Binds and starts serving on a background thread; connections are accepted
  // once it returns. Throws std::runtime_error naming the address and the
  // reason ("cannot bind 1.2.3.4:9464: Cannot assign requested address"), and
  // std::logic_error when called twice or after stop().
  void start();

  // Stops accepting, closes every connection (idle keep-alive ones at once; a
  // response being written is cut) and joins the threads. Idempotent.
  void stop();

  // The bound port (the chosen one for port 0); 0 before start().
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The exposition text for one snapshot, as /metrics would serve it without
// compression. http_statistics_series_dropped_total then counts this one
// rendering's drops only. For tests and benchmarks.
std::string render_text(const Snapshot& snapshot, const ExporterOptions& options);

// Content-Type of the text exposition format.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace hs::prom
