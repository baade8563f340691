// Running other programs from tests: one-shot commands with captured output,
// and long-running servers that are always killed and reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace hs::testing {

struct ProcessResult {
  int exit_code = -1;   // -1 when killed by a signal
  int term_signal = 0;  // the signal that ended it, 0 when it exited
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs argv (argv[0] an absolute path) with `input` on stdin and waits for it,
// killing it after `timeout`. Throws std::system_error if it cannot start.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A child process for the duration of a test, stdout and stderr appended to a
// log file. The destructor stops it; the kernel kills it too if the test
// process dies first (PR_SET_PDEATHSIG, tied to the starting thread).
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // False once it has exited (it is reaped then).
  bool running();

  // SIGTERM, SIGKILL after `grace`, then reaped. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// The last `max_bytes` of a file, for failure messages.
std::string tail_of_file(const std::filesystem::path& path, std::size_t max_bytes = 4000);

}  // namespace hs::testing
