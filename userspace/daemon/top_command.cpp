#include "top_command.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "aggregator.h"
#include "bpf_engine.h"
#include "privileges.h"
#include "terminal_screen.h"
#include "top_options.h"
#include "top_view.h"

namespace hs {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kRefresh{1000};
constexpr std::size_t kTitleAndHeaderLines = 3;  // title, column header, "more" line

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

enum class Wake { Tick, Redraw, Quit, ToggleEndpoints };

// Sleeps until `deadline`, a stop signal, a resize, the q key or the e key.
Wake wait_for(SteadyClock::time_point deadline, int signal_fd, bool keys) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return Wake::Tick;
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    const int n = poll(fds, keys ? 2 : 1, static_cast<int>(left.count()));
    if (n <= 0) continue;  // timeout (checked above) or EINTR
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(signal_fd, &info, sizeof(info)) == sizeof(info))
        return info.ssi_signo == SIGWINCH ? Wake::Redraw : Wake::Quit;
    }
    if (keys && (fds[1].revents & (POLLIN | POLLHUP))) {
      char c = 0;
      if (read(STDIN_FILENO, &c, 1) != 1)
        keys = false;  // stdin closed: stop reading it
      else if (c == 'q' || c == 'Q')
        return Wake::Quit;
      else if (c == 'e' || c == 'E')
        return Wake::ToggleEndpoints;
    }
  }
}

}  // namespace

int run_top(const std::vector<std::string>& args) {
  std::string error;
  const auto options = parse_top_options(args, error);
  if (!options) {
    std::cerr << "http-statistics: " << error << "\n";
    return 2;
  }
  if (options->help) {
    std::cout << top_usage();
    return 0;
  }

  // Stop signals and resizes arrive through a descriptor, so the loop below
  // sleeps on one poll(); blocking them first means every thread the engine
  // starts inherits the mask. A closed pipe ends the loop instead of the process.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGINT, SIGTERM, SIGWINCH}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  const Fd signal_fd(signalfd(-1, &signals, SFD_CLOEXEC));
  if (signal_fd.get() < 0) throw std::runtime_error("signalfd failed");

  BpfEngine engine({options->cgroup});
  // The loop below refreshes the aggregator itself, once a second: no thread.
  Aggregator aggregator(engine, AggregatorOptions{});
  // Attached: reading maps and detaching by closing descriptors need nothing.
  drop_all_capabilities();
  std::cerr << "http-statistics top: attached in " << engine.attach_duration().count()
            << " ms, dropped all capabilities (CapEff " << effective_capabilities()
            << "); counting connections accepted from now on" << std::endl;

  // The live screen is for watching until q; a counted run prints plain
  // frames that stay readable (and parseable) after it ends.
  std::optional<TerminalScreen> screen;
  if (!options->plain && !options->iterations && isatty(STDOUT_FILENO)) screen.emplace();
  TopViewOptions view;
  view.endpoints_pid = options->endpoints_pid;
  auto draw = [&](const Snapshot& snapshot) {
    if (!screen) {
      view.limit = options->limit;
      return write_all(STDOUT_FILENO, render_top(snapshot, view) + "\n");
    }
    const std::size_t rows = screen->rows();
    view.limit = rows > kTitleAndHeaderLines ? std::min(options->limit, rows - kTitleAndHeaderLines)
                                             : options->limit;
    view.width = screen->columns();
    return screen->draw(render_top(snapshot, view));
  };

  // A terminal gets the (empty) table at once; scripts get only counted frames.
  if (screen && !draw(*aggregator.snapshot())) return 0;
  std::size_t drawn = 0;
  auto next = SteadyClock::now() + kRefresh;
  for (;;) {
    const Wake wake = wait_for(next, signal_fd.get(), screen && screen->reads_keys());
    if (wake == Wake::Quit) break;
    if (wake == Wake::ToggleEndpoints) {
      // The view stays on the process picked now, not on whichever is
      // busiest later: rows that changed process every second would be
      // unreadable. With no traffic there is no process to pick.
      const auto snapshot = aggregator.snapshot();
      view.endpoints_pid = view.endpoints_pid ? 0 : busiest_pid(*snapshot, view);
      if (!draw(*snapshot)) break;
      continue;
    }
    if (wake == Wake::Redraw) {
      if (screen && !draw(*aggregator.snapshot())) break;
      continue;
    }
    if (!draw(*aggregator.refresh())) break;
    if (options->iterations && ++drawn >= options->iterations) break;
    // Keep the one-second rhythm; after a stall, start again from now.
    next += kRefresh;
    if (next < SteadyClock::now()) next = SteadyClock::now() + kRefresh;
  }
  return 0;
}

}  // namespace hs
