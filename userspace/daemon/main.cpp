// http-statistics: loads the kernel side, runs the aggregation layer and
// serves it through the Scope plugin socket and the Prometheus endpoint.
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "aggregator.h"
#include "bpf_engine.h"
#include "metrics_exporter.h"
#include "options.h"
#include "privileges.h"
#include "scope_plugin.h"
#include "top_command.h"

#ifndef HS_VERSION
#define HS_VERSION "0.0.0"
#endif

namespace {

void log_line(const std::string& s) { std::cerr << "http-statistics: " << s << std::endl; }

int run_check(const hs::DaemonOptions& o) {
  hs::BpfEngine engine({.cgroup_path = o.cgroup,
                        .tls = o.tls,
                        .url_templates = {o.url_templates, o.max_url_templates}});
  for (const auto& line : engine.describe()) std::cout << "attached " << line << "\n";
  std::cout << "parser loop: " << hs::describe(engine.parser_loop());
  if (engine.tls_active()) std::cout << "; HTTPS: " << hs::describe(engine.tls_parser_loop());
  std::cout << "\n";
  // How near each program is to the verifier's limit on this kernel.
  for (const auto& v : engine.verified_programs()) {
    std::cout << "verified " << v.name << ": ";
    if (v.processed_insns == 0) {
      std::cout << "the kernel gave no figures\n";
      continue;
    }
    std::cout << v.processed_insns << " instructions processed (limit " << hs::kVerifierInsnLimit
              << "), " << v.verification_us / 1000.0 << " ms\n";
  }
  std::cout << "ok: loaded and attached in " << engine.attach_duration().count()
            << " ms; detaching\n";
  return 0;
}

int serve(const hs::DaemonOptions& o) {
  // Signals are taken synchronously by this thread; every thread started
  // below inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // The socket side first: it counts (and says so) while the TLS programs,
  // slower to verify, are loaded.
  hs::BpfEngine engine({.cgroup_path = o.cgroup,
                        .tls = o.tls,
                        .defer_tls = true,
                        .url_templates = {o.url_templates, o.max_url_templates}});
  for (const auto& line : engine.describe()) log_line("attached " + line);
  log_line("attached in " + std::to_string(engine.attach_duration().count()) + " ms");
  engine.attach_tls();
  log_line("attached " + engine.tls_describe());

  // Everything privileged is done: loading and attaching. What is left
  // (binding a port above 1023, creating our socket, reading maps, pausing,
  // detaching by closing fds) needs no capability. Capabilities belong to
  // threads, so this comes before any thread is started: they all inherit none.
  hs::drop_all_capabilities();

  hs::AggregatorOptions agg_opts;
  agg_opts.exit_grace = o.exit_grace;
  agg_opts.names.kubelet = {o.k8s_pods_dir, o.k8s_containers_dir};
  agg_opts.names.docker_dir = o.docker_dir;
  agg_opts.names.containerd_dir = o.containerd_dir;
  hs::Aggregator aggregator(engine, agg_opts);
  aggregator.start();
  auto snapshots = [&aggregator] { return aggregator.snapshot(); };

  std::unique_ptr<hs::prom::Exporter> metrics;
  if (o.metrics_address != "off") {
    hs::prom::ExporterOptions mo;
    mo.address = o.metrics_address;
    mo.version = HS_VERSION;
    mo.metrics_by =
        o.metrics_by_executable ? hs::prom::MetricsBy::Executable : hs::prom::MetricsBy::Process;
    metrics = std::make_unique<hs::prom::Exporter>(mo, snapshots);
    metrics->start();
    log_line("serving /metrics on " + o.metrics_address + " (port " +
             std::to_string(metrics->port()) + ")");
  }
  std::unique_ptr<hs::scope::Plugin> plugin;
  if (o.scope_plugins_root != "off") {
    hs::scope::PluginOptions po;
    po.plugins_root = o.scope_plugins_root;
    po.plugin_id = o.scope_plugin_id;
    plugin = std::make_unique<hs::scope::Plugin>(
        po, snapshots,
        [&aggregator](std::uint32_t pid, bool pause) { return aggregator.set_paused(pid, pause); });
    plugin->start();
    log_line("Scope plugin listening on " + plugin->socket_path());
  }

  // Logged last: it is also the line that says the daemon is up.
  log_line("dropped all capabilities (CapEff " + hs::effective_capabilities() + ")");

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log_line(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", detaching");
  // Destruction order: exporters first (they read the aggregator), then the
  // aggregator thread, then the engine (links and maps).
  if (plugin) plugin->stop();
  if (metrics) metrics->stop();
  aggregator.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    // `top` has its own flags (top_options.h).
    if (!args.empty() && args[0] == "top") return hs::run_top({args.begin() + 1, args.end()});
    std::string error;
    const auto opts = hs::parse_options(args, error);
    if (!opts) {
      std::cerr << "http-statistics: " << error << "\n";
      return 2;
    }
    switch (opts->mode) {
      case hs::DaemonOptions::Mode::Help:
        std::cout << hs::usage();
        return 0;
      case hs::DaemonOptions::Mode::Version:
        std::cout << "http-statistics " << HS_VERSION << "\n";
        return 0;
      case hs::DaemonOptions::Mode::Check:
        return run_check(*opts);
      case hs::DaemonOptions::Mode::Serve:
        return serve(*opts);
    }
  } catch (const hs::EngineError& e) {
    std::cerr << "http-statistics: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "http-statistics: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
