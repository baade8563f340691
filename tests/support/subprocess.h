// A child process owned by a C++ object: started in the constructor, stopped
// and reaped in the destructor, so a failing test never leaves servers behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hs::test {

struct SubprocessOptions {
  std::string stdout_path;  // empty: inherit the test's stdout
  std::string stderr_path;  // empty: inherit the test's stderr; may be stdout_path
  std::string working_dir;  // empty: the test's working directory
  std::string stdin_path;   // empty: /dev/null
  // How long stop() waits after SIGTERM before it SIGKILLs the process group.
  std::chrono::milliseconds term_grace{5000};
};

// How a process ended, as waitpid() reported it.
struct ExitStatus {
  int code = -1;   // exit code, or -1 when killed by a signal
  int signal = 0;  // terminating signal, or 0
  bool exited_normally() const { return signal == 0 && code == 0; }
  std::string describe() const;
};

class Subprocess {
 public:
  // Starts argv[0] (looked up in PATH) in a new process group, so stop() can
  // also reach the grandchildren a server forks (nginx workers). Throws
  // std::runtime_error when the program cannot be started.
  explicit Subprocess(std::vector<std::string> argv, SubprocessOptions options = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }

  // Has the process exited (reaped or not)? Does not reap.
  bool exited() const;
  // Waits up to `timeout` for the process to exit and reaps it; nullopt when it
  // is still running. Returns the cached status once reaped.
  std::optional<ExitStatus> wait(std::chrono::milliseconds timeout);
  // Sends a signal to the process (not its group); false once it was reaped.
  bool signal(int sig) const;
  // SIGTERM, then after term_grace SIGKILL to the whole process group; reaps.
  ExitStatus stop();

 private:
  void release() noexcept;

  std::vector<std::string> argv_;
  SubprocessOptions options_;
  pid_t pid_ = -1;
  int pidfd_ = -1;  // refers to this child even if its pid number were reused
  std::optional<ExitStatus> status_;
};

// Runs a program to completion with stdout/stderr captured.
struct RunResult {
  pid_t pid = -1;
  ExitStatus status;
  std::string out;
  std::string err;
};
// Throws std::runtime_error when it does not finish within `timeout` (it is
// killed first). `scratch_dir` holds the capture files; `input` goes to stdin.
RunResult run(std::vector<std::string> argv, const std::string& scratch_dir,
              std::chrono::milliseconds timeout = std::chrono::seconds(60),
              const std::string& input = {});

}  // namespace hs::test
