#include "prometheus_server.h"

#include <httplib.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "net.h"

namespace hs::testing {
namespace {

void write_config(const std::filesystem::path& path, const PrometheusOptions& o) {
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
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

PrometheusServer::PrometheusServer(PrometheusOptions options)
    : options_(std::move(options)), dir_("hs-prometheus-"), log_(dir_ / "prometheus.log") {
  write_config(dir_ / "prometheus.yml", options_);
  for (int attempt = 0; attempt < 3; ++attempt)
    if (try_start(free_loopback_port())) return;
  throw std::runtime_error("prometheus did not start:\n" + log_tail());
}

PrometheusServer::~PrometheusServer() {
  if (process_) process_->stop();
}

bool PrometheusServer::try_start(int port) {
  port_ = port;
  const auto storage = dir_ / ("data-" + std::to_string(port));
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{options_.binary,
                               "--config.file=" + (dir_ / "prometheus.yml").string(),
                               "--storage.tsdb.path=" + storage.string(),
                               "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      log_);
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::milliseconds(500));
  bool exited = false;
  const bool ready = wait_until(
      [&] {
        if (!process_->running()) {
          exited = true;
          return true;
        }
        const auto res = client.Get("/-/ready");
        return res && res->status == 200;
      },
      std::chrono::seconds(30));
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
