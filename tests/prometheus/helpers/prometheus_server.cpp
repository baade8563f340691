#include "prometheus_server.h"

#include <httplib.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "net.h"
#include "wait.h"

namespace hs::testing {
namespace {

using hs::test::wait_until;

void write_config(const std::string& path, const PrometheusOptions& o) {
  std::ofstream f(path);
  const auto interval = std::to_string(o.scrape_interval.count()) + "s";
  f << "global:\n"
    << "  scrape_interval: " << interval << "\n"
    << "  scrape_timeout: " << interval << "\n"
    << "  evaluation_interval: " << interval << "\n"
    << "scrape_configs:\n"
    << "  - job_name: '" << o.job << "'\n"
    << "    static_configs:\n"
    << "      - targets:\n";
  for (const auto& t : o.targets) f << "          - '" << t << "'\n";
  if (!f) throw std::runtime_error("cannot write " + path);
}

}  // namespace

PrometheusServer::PrometheusServer(PrometheusOptions options)
    : options_(std::move(options)), dir_("hs-prometheus-"), log_(dir_.file("prometheus.log")) {
  write_config(dir_.file("prometheus.yml"), options_);
  for (int attempt = 0; attempt < 3; ++attempt)
    if (try_start(hs::test::free_tcp_port())) return;
  throw std::runtime_error("prometheus did not start:\n" + log_tail());
}

PrometheusServer::~PrometheusServer() {
  if (process_) process_->stop();
}

bool PrometheusServer::try_start(int port) {
  port_ = port;
  hs::test::SubprocessOptions o;
  o.stdout_path = o.stderr_path = log_;
  process_ = std::make_unique<hs::test::Subprocess>(
      std::vector<std::string>{options_.binary, "--config.file=" + dir_.file("prometheus.yml"),
                               "--storage.tsdb.path=" + dir_.file("data-" + std::to_string(port)),
                               "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      o);
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::milliseconds(500));
  bool exited = false;
  const bool ready = wait_until(
      [&] {
        if (process_->exited()) {
          exited = true;
          return true;
        }
        const auto res = client.Get("/-/ready");
        return res && res->status == 200;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(100));
  if (ready && !exited) return true;
  process_->stop();  // timed out, or exited (e.g. the port was taken meanwhile)
  return false;
}

std::vector<PromSample> PrometheusServer::query(const std::string& expr) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(std::chrono::seconds(10));
  const auto res =
      client.Get("/api/v1/query", httplib::Params{{"query", expr}}, httplib::Headers{});
  if (!res) throw std::runtime_error("query " + expr + ": " + httplib::to_string(res.error()));
  rapidjson::Document doc;
  doc.Parse(res->body.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("status"))
    throw std::runtime_error("query " + expr + ": bad response: " + res->body);
  if (std::string(doc["status"].GetString()) != "success")
    throw std::runtime_error("query " + expr + ": " + res->body);
  const auto& data = doc["data"];
  if (std::string(data["resultType"].GetString()) != "vector")
    throw std::runtime_error("query " + expr + ": not an instant vector: " + res->body);
  std::vector<PromSample> out;
  for (const auto& r : data["result"].GetArray()) {
    PromSample s;
    for (const auto& m : r["metric"].GetObject())
      s.labels[m.name.GetString()] = m.value.GetString();
    // [ <unix time>, "<value>" ]: values are strings so that NaN and Inf fit.
    s.value = std::strtod(r["value"][1].GetString(), nullptr);
    out.push_back(std::move(s));
  }
  return out;
}

bool PrometheusServer::wait_for_targets_up(std::chrono::milliseconds timeout) const {
  const std::string expr = "up{job=\"" + options_.job + "\"} == 1";
  return wait_until([&] { return query(expr).size() == options_.targets.size(); }, timeout,
                    std::chrono::milliseconds(200));
}

}  // namespace hs::testing
