// Command line of the daemon.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hs {

// The most --max-url-templates admits: the kernel's template map is sized for
// every process at the default, and a label set that large is not a RED
// dashboard any more.
inline constexpr std::uint32_t kMaxUrlTemplatesLimit = 1024;

struct DaemonOptions {
  enum class Mode { Serve, Check, Help, Version } mode = Mode::Serve;
  std::string metrics_address = "0.0.0.0:9464";               // "off": no Prometheus endpoint
  std::string scope_plugins_root = "/var/run/scope/plugins";  // "off": no Scope plugin
  std::string scope_plugin_id = "http-statistics";
  std::chrono::seconds exit_grace{60};
  std::string cgroup;                    // "" = the cgroup v2 mount
  bool tls = true;                       // count HTTPS through uprobes on OpenSSL 3 (libssl.so.3)
  bool url_templates = true;             // the url_template label (docs/design.md)
  std::uint32_t max_url_templates = 64;  // per process, then _OTHER
  // --metrics-by executable: /metrics sums each executable's processes (no
  // process_pid), since Prometheus users aggregate by service and pids churn
  // with pre-fork workers and restarts; false: per process, process_pid.
  bool metrics_by_executable = true;
  // Where container and pod names are read from; "" (flag value "off") = not.
  std::string k8s_pods_dir = "/var/log/pods";
  std::string k8s_containers_dir = "/var/log/containers";
  std::string docker_dir = "/var/lib/docker";
  std::string containerd_dir = "/run/containerd";
};

// Parses argv; on error returns nullopt and sets `error` to a one-line message.
std::optional<DaemonOptions> parse_options(const std::vector<std::string>& args,
                                           std::string& error);

std::string usage();

}  // namespace hs
