#include "options.h"

#include "arguments.h"

#include <charconv>
#include <initializer_list>
#include <regex>

namespace hs {

std::string usage() {
  return R"(Usage: http-statistics [OPTIONS]
       http-statistics check
       http-statistics top [TOP OPTIONS]

Counts HTTP/1.x requests and responses per process in the kernel (eBPF) and
serves them to Prometheus (/metrics) and Weave Scope (a probe plugin socket).
Needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_RESOURCE); run
scripts/kernel-check.sh to see whether this kernel can run it.

Commands:
  check                      load and attach everything, report, detach, exit
  top                        live table of the busiest processes in this terminal
                             (its options: http-statistics top --help)

Options:
  --metrics-address HOST:PORT
                             where /metrics listens, or "off" (default 0.0.0.0:9464)
  --scope-plugins-root DIR   Scope plugins directory, or "off"
                             (default /var/run/scope/plugins)
  --scope-plugin-id ID       plugin id and socket name (default http-statistics)
  --exit-grace SECONDS       keep an exited process's counts this long (default 60)
  --cgroup DIR               cgroup v2 directory to attach to (default: the root
                             of the cgroup v2 mount, which covers every process)
  --tls MODE                 "on": also count HTTPS inside OpenSSL 3 (uprobes on
                             libssl.so.3); "off": plaintext only (default on)
  --url-templates MODE       "on": a url_template label per endpoint, the request
                             target with identifiers as {id} (docs/design.md);
                             "off": per process only (default on)
  --max-url-templates N      templates per process before the rest count as
                             url_template="_OTHER" (1-1024, default 64)
  --metrics-by WHAT          "executable": /metrics sums each executable's
                             processes per container, without process_pid;
                             "process": a series per process, with process_pid
                             (default executable; Scope is always per process)
  --k8s-pods-dir DIR         the kubelet's pod log directories, for the
                             k8s_namespace_name and k8s_pod_name labels, or
                             "off" (default /var/log/pods)
  --k8s-containers-dir DIR   the kubelet's container log symlinks, for
                             k8s_container_name, or "off"
                             (default /var/log/containers)
  --docker-dir DIR           Docker's data directory, for container_name
                             outside Kubernetes, or "off" (default /var/lib/docker)
  --containerd-dir DIR       containerd's state directory, for nerdctl's
                             container_name, or "off" (default /run/containerd)
  -h, --help                 show this help
  --version                  show the version
)";
}

namespace {

// The value of an option that takes one of a few words, as its index in
// `words`; -1, with `error` set, for anything else.
int one_of(const std::string& flag, const std::string& value,
           std::initializer_list<const char*> words, std::string& error) {
  int i = 0;
  for (const char* w : words) {
    if (value == w) return i;
    ++i;
  }
  std::string list;
  i = 0;
  for (const char* w : words) {
    list += i == 0 ? "" : i + 1 == static_cast<int>(words.size()) ? " or " : ", ";
    list += w;
    ++i;
  }
  error = flag + " wants " + list + ", got '" + value + "'";
  return -1;
}

}  // namespace

std::optional<DaemonOptions> parse_options(const std::vector<std::string>& args,
                                           std::string& error) {
  DaemonOptions o;
  Arguments in(args);
  while (in.next()) {
    const std::string& a = in.current();
    auto value = [&](std::string& out) { return in.value(out, error); };
    auto is = [&](const char* name) { return in.is(name); };
    if (a == "-h" || a == "--help") {
      o.mode = DaemonOptions::Mode::Help;
    } else if (a == "--version") {
      o.mode = DaemonOptions::Mode::Version;
    } else if (a == "check" && in.first()) {
      o.mode = DaemonOptions::Mode::Check;
    } else if (is("--metrics-address")) {
      if (!value(o.metrics_address)) return std::nullopt;
      if (o.metrics_address != "off" && o.metrics_address.rfind(':') == std::string::npos) {
        error = "--metrics-address wants HOST:PORT, got '" + o.metrics_address + "'";
        return std::nullopt;
      }
    } else if (is("--scope-plugins-root")) {
      if (!value(o.scope_plugins_root)) return std::nullopt;
      if (o.scope_plugins_root.empty()) {
        error = "--scope-plugins-root needs a directory";
        return std::nullopt;
      }
    } else if (is("--scope-plugin-id")) {
      if (!value(o.scope_plugin_id)) return std::nullopt;
      // The probe derives the id from the socket name and accepts only this.
      static const std::regex valid("^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$");
      if (!std::regex_match(o.scope_plugin_id, valid)) {
        error = "--scope-plugin-id must be letters and digits joined by single dashes, got '" +
                o.scope_plugin_id + "'";
        return std::nullopt;
      }
    } else if (is("--exit-grace")) {
      std::string v;
      if (!value(v)) return std::nullopt;
      long long secs = -1;
      const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
      if (ec != std::errc() || p != v.data() + v.size() || secs < 0) {
        error = "--exit-grace wants a number of seconds, got '" + v + "'";
        return std::nullopt;
      }
      o.exit_grace = std::chrono::seconds(secs);
    } else if (is("--cgroup")) {
      if (!value(o.cgroup)) return std::nullopt;
    } else if (is("--tls") || is("--url-templates")) {
      const std::string flag = a.substr(0, a.find('='));
      std::string v;
      if (!value(v)) return std::nullopt;
      const int choice = one_of(flag, v, {"on", "off"}, error);
      if (choice < 0) return std::nullopt;
      (flag == "--tls" ? o.tls : o.url_templates) = choice == 0;
    } else if (is("--metrics-by")) {
      std::string v;
      if (!value(v)) return std::nullopt;
      const int by = one_of("--metrics-by", v, {"process", "executable"}, error);
      if (by < 0) return std::nullopt;
      o.metrics_by_executable = by == 1;
    } else if (is("--max-url-templates")) {
      std::string v;
      if (!value(v)) return std::nullopt;
      unsigned long n = 0;
      const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p != v.data() + v.size() || n < 1 || n > kMaxUrlTemplatesLimit) {
        error = "--max-url-templates wants a number from 1 to " +
                std::to_string(kMaxUrlTemplatesLimit) + ", got '" + v + "'";
        return std::nullopt;
      }
      o.max_url_templates = static_cast<std::uint32_t>(n);
    } else if (is("--k8s-pods-dir") || is("--k8s-containers-dir") || is("--docker-dir") ||
               is("--containerd-dir")) {
      const std::string flag = a.substr(0, a.find('='));
      std::string& dir = flag == "--k8s-pods-dir"         ? o.k8s_pods_dir
                         : flag == "--k8s-containers-dir" ? o.k8s_containers_dir
                         : flag == "--docker-dir"         ? o.docker_dir
                                                          : o.containerd_dir;
      if (!value(dir)) return std::nullopt;
      if (dir.empty()) {
        error = flag + " needs a directory or off";
        return std::nullopt;
      }
      if (dir == "off") dir.clear();
    } else {
      error = "unknown argument '" + a + "' (see --help)";
      return std::nullopt;
    }
  }
  return o;
}

}  // namespace hs
