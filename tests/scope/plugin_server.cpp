// The Scope plugin alone in a process, for tests that watch a server from
// outside: its memory, or how it copes with a low descriptor limit.
//
//   scope_plugin_server ROOT [--max-open-files N]
//
// Serves busy_snapshot() on ROOT/http-statistics/http-statistics.sock until
// SIGTERM or SIGINT. --max-open-files lowers RLIMIT_NOFILE once serving.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "scope_plugin.h"
#include "test_support.h"

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 4 && std::strcmp(argv[2], "--max-open-files") == 0)) {
    std::fprintf(stderr, "usage: %s ROOT [--max-open-files N]\n", argv[0]);
    return 2;
  }
  // Every thread the plugin starts inherits the blocked signals; this one
  // takes them with sigwait.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  try {
    hs::scope::PluginOptions options;
    options.plugins_root = argv[1];
    options.hostname = "test-host";
    const auto snapshot = std::make_shared<const hs::Snapshot>(hs::scope::testing::busy_snapshot());
    hs::scope::Plugin plugin(
        options, [snapshot] { return snapshot; }, [](std::uint32_t, bool) { return false; });
    plugin.start();
    if (argc == 4) {
      rlimit limit{};
      getrlimit(RLIMIT_NOFILE, &limit);
      limit.rlim_cur = std::stoul(argv[3]);
      if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        std::perror("setrlimit");
        return 1;
      }
    }
    int sig = 0;
    sigwait(&stop, &sig);
    plugin.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scope_plugin_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
