// The Prometheus exporter alone in a process, for tests that watch a server
// from outside: its memory, or how it copes with a low descriptor limit.
//
//   prometheus_exporter_server PORT_FILE [--max-open-files N]
//
// Serves a fixed snapshot on 127.0.0.1:<a free port> and writes the port to
// PORT_FILE once it accepts connections, then serves until SIGTERM or SIGINT.
// --max-open-files lowers RLIMIT_NOFILE once serving.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "metrics_exporter.h"
#include "snapshot_builder.h"

namespace {

std::shared_ptr<const hs::Snapshot> some_traffic() {
  auto s = std::make_shared<hs::Snapshot>();
  for (std::uint32_t pid = 100; pid < 110; ++pid) {
    auto p = hs::testing::process(pid, "srv" + std::to_string(pid));
    p.series[{hs::Method::Get, 200}] = hs::testing::series_stats(100, {10, 20, 30});
    p.series[{hs::Method::Post, 500}] = hs::testing::series_stats(3);
    s->processes.push_back(std::move(p));
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 4 && std::strcmp(argv[2], "--max-open-files") == 0)) {
    std::fprintf(stderr, "usage: %s PORT_FILE [--max-open-files N]\n", argv[0]);
    return 2;
  }
  // Every thread the exporter starts inherits the blocked signals; this one
  // takes them with sigwait.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  try {
    hs::prom::ExporterOptions options;
    options.address = "127.0.0.1:0";
    const auto snapshot = some_traffic();
    hs::prom::Exporter exporter(options, [snapshot] { return snapshot; });
    exporter.start();
    if (argc == 4) {
      rlimit limit{};
      getrlimit(RLIMIT_NOFILE, &limit);
      limit.rlim_cur = std::stoul(argv[3]);
      if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        std::perror("setrlimit");
        return 1;
      }
    }
    // Renamed into place: a reader never sees half a number.
    const std::string port_file = argv[1];
    std::ofstream(port_file + ".tmp") << exporter.port() << "\n";
    std::filesystem::rename(port_file + ".tmp", port_file);
    int sig = 0;
    sigwait(&stop, &sig);
    exporter.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "prometheus_exporter_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
