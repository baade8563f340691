// A real Prometheus server for end-to-end tests: private config and storage,
// loopback only, always stopped and cleaned up.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "exposition.h"
#include "paths.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace hs::testing {

struct PrometheusOptions {
  std::string binary = "/usr/bin/prometheus";
  std::vector<std::string> targets;  // HOST:PORT to scrape /metrics from
  std::string job = "http-statistics";
  std::chrono::seconds scrape_interval{1};
};

struct PromSample {
  Labels labels;  // including job and instance
  double value = 0;
};

class PrometheusServer {
 public:
  // Starts Prometheus on 127.0.0.1:<free port> (retrying if another process
  // takes the port first) and waits until it is ready, which is long before
  // its first scrape (about 5 s later: discovery results are batched).
  // Throws std::runtime_error with the end of its log when it does not start.
  explicit PrometheusServer(PrometheusOptions options);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  int port() const { return port_; }

  // The instant vector of a PromQL expression, evaluated now
  // (/api/v1/query). Throws std::runtime_error on HTTP or API errors.
  std::vector<PromSample> query(const std::string& expr) const;

  // Polls until every target has been scraped successfully (up == 1).
  bool wait_for_targets_up(std::chrono::milliseconds timeout) const;

  std::string log_tail() const { return hs::test::tail_of_file(log_); }

 private:
  bool try_start(int port);

  PrometheusOptions options_;
  hs::test::TempDir dir_;  // declared before process_: removed after it is stopped
  std::string log_;
  int port_ = 0;
  std::unique_ptr<hs::test::Subprocess> process_;
};

}  // namespace hs::testing
