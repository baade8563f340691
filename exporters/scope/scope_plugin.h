// Weave Scope probe plugin: serves the aggregation layer's snapshots as a
// drop-in replacement for Scope's "HTTP Statistics" plugin, with pause and
// resume controls per process.
//
//   hs::scope::Plugin plugin(options, [&] { return aggregator.snapshot(); },
//                            [&](std::uint32_t pid, bool pause) {
//                              return aggregator.set_paused(pid, pause);
//                            });
//   plugin.start();  // <root>/<id>/<id>.sock exists and answers from here...
//   plugin.stop();   // ...to here (also on destruction)
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "report.h"
#include "snapshot.h"

namespace hs::scope {

struct PluginOptions {
  std::string plugins_root = "/var/run/scope/plugins";
  std::string plugin_id = "http-statistics";
  std::string hostname;  // empty: $SCOPE_HOSTNAME, else gethostname()

  // Serving limits. The defaults suit the probe (one kept-alive connection,
  // a poll per second, a 500 ms limit) and keep other clients of the socket
  // from getting in its way; tests make them smaller.
  std::size_t worker_threads = 8;     // requests answered at once; waiting clients hold none
  std::size_t max_connections = 256;  // past it, the longest-waiting connection closes
  std::chrono::milliseconds keep_alive_idle{5000};  // > the probe's 1 s poll interval
  // A request must arrive whole within this (from the connect, or from its
  // first byte on a kept-alive connection), else 408; also the limit of each
  // wait while a response leaves.
  std::chrono::milliseconds io_timeout{2000};
};

// Pause (true) / resume (false) counting for a pid; false if unknown.
// Called from the server's threads, possibly concurrently.
using ControlFn = std::function<bool(std::uint32_t pid, bool pause)>;
// The latest snapshot (null: none yet, the report is then empty). Called from
// the server's threads, possibly concurrently.
using SnapshotFn = std::function<std::shared_ptr<const Snapshot>()>;

// The hostname for node ids: `configured` if not empty, else $SCOPE_HOSTNAME
// if set and not empty (as the probe does), else gethostname().
std::string resolve_hostname(const std::string& configured);

// RAII: the socket and its directory exist exactly while the object serves.
class Plugin {
 public:
  // Resolves the hostname now; serves nothing until start().
  Plugin(PluginOptions options, SnapshotFn snapshots, ControlFn control);
  ~Plugin();  // stop()
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  // Replaces a stale socket or directory, binds <root>/<id>/<id>.sock and
  // serves. Throws std::runtime_error with a clear message on failure
  // (invalid id, path too long, another instance serving the socket,
  // filesystem errors), leaving nothing behind. No-op while serving.
  void start();
  // Stops serving (idle keep-alive connections are closed at once), removes
  // socket and directory. Idempotent; safe from any thread but the server's.
  void stop();

  bool serving() const;
  std::string socket_path() const;
  const std::string& hostname() const { return report_options_.hostname; }

 private:
  struct Serving;

  PluginOptions options_;
  ReportOptions report_options_;
  SnapshotFn snapshots_;
  ControlFn control_;
  mutable std::mutex mu_;  // guards serving_
  std::unique_ptr<Serving> serving_;
};

}  // namespace hs::scope
