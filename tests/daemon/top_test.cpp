// `http-statistics top` end to end: real servers, real traffic, the real
// kernel side, as a script sees it (plain frames) and as a person does (a
// terminal, quit with q).
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "daemon_process.h"
#include "http_client.h"
#include "nginx_server.h"
#include "paths.h"
#include "python_http_server.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

// One row of a frame, as printed.
struct Row {
  int pid = 0;
  std::string command;
  double rate = 0;
  std::array<std::string, 4> shares;  // 2xx..5xx: "75%" or "-"
  std::string p50, p99;
};
struct Frame {
  std::string title;
  std::vector<Row> rows;
  const Row* find(int pid) const {
    for (const Row& r : rows)
      if (r.pid == pid) return &r;
    return nullptr;
  }
};

std::vector<Frame> parse_frames(const std::string& text) {
  static const std::regex row(
      R"(^ *(\d+) (.{15}) +([0-9.]+) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+)$)");
  std::vector<Frame> frames;
  std::istringstream in(text);
  std::smatch m;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("http-statistics top  ", 0) == 0) {
      frames.push_back({l, {}});
    } else if (!frames.empty() && std::regex_match(l, m, row)) {
      frames.back().rows.push_back(
          {std::stoi(m[1]), m[2], std::stod(m[3]), {m[4], m[5], m[6], m[7]}, m[8], m[9]});
    }
  }
  return frames;
}

double percent(const std::string& share) { return share == "-" ? 0 : std::stod(share); }

// `http-statistics top ARGS` with stdout and stderr in files (not a terminal).
class Top {
 public:
  explicit Top(std::vector<std::string> args) {
    args.insert(args.begin(), {HS_DAEMON, "top"});
    SubprocessOptions o;
    o.stdout_path = dir_.file("stdout");
    o.stderr_path = dir_.file("stderr");
    proc_.emplace(args, o);
  }
  // Waits for the "attached" line: from then on connections are counted.
  bool wait_attached() {
    return wait_until(
               [&] { return proc_->exited() || err().find("attached in") != std::string::npos; },
               30s, 20ms) &&
           !proc_->exited();
  }
  std::string out() const { return read_text(dir_.file("stdout")); }
  std::string err() const { return read_text(dir_.file("stderr")); }
  Subprocess& process() { return *proc_; }

 private:
  TempDir dir_{"hs-top-"};
  std::optional<Subprocess> proc_;
};

// Requests in rounds until stopped: nginx answers 200, 200, 200, 503 on one
// keep-alive connection per round (nginx closes a connection after 1,000
// requests); python's http.server answers 404 and closes.
class Traffic {
 public:
  Traffic(const NginxServer& nginx, const PythonHttpServer& python)
      : thread_([this, nport = nginx.port(), pport = python.port()] { run(nport, pport); }) {}
  ~Traffic() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t rounds() const { return rounds_; }
  const std::string& error() const { return error_; }

 private:
  void run(std::uint16_t nginx_port, std::uint16_t python_port) {
    try {
      while (!stop_) {
        HttpClient nginx(nginx_port);
        for (const char* path : {"/ok", "/ok", "/ok", "/unavailable"}) {
          nginx.send(make_request("GET", path));
          nginx.read_response();
        }
        HttpClient python(python_port);
        python.send(make_request("GET", "/missing"));
        python.read_response();
        ++rounds_;
        std::this_thread::sleep_for(10ms);
      }
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> rounds_{0};
  std::string error_;
  std::thread thread_;
};

TEST(TopCli, HelpAndBadArguments) {
  TempDir dir;
  RunResult r = run({HS_DAEMON, "top", "--help"}, dir.path(), 30s);
  EXPECT_TRUE(r.status.exited_normally());
  for (const char* flag : {"--iterations", "--once", "--limit", "--plain", "--cgroup"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--bogus"}, {"--iterations", "0"}, {"--limit"}}) {
    std::vector<std::string> argv = {HS_DAEMON, "top"};
    argv.insert(argv.end(), args.begin(), args.end());
    r = run(argv, dir.path(), 30s);
    EXPECT_EQ(r.status.code, 2) << args[0];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("http-statistics: ", 0), 0u) << r.err;
  }
}

TEST(TopCli, WithoutRootSaysWhatIsMissing) {
  REQUIRE_ROOT();  // to become another user
  TempDir dir;
  const RunResult r = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           "--inh-caps=-all", HS_DAEMON, "top", "--once"},
                          dir.path(), 30s);
  EXPECT_EQ(r.status.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("not running as root"), std::string::npos) << r.err;
}

TEST(TopPlain, ShowsEachServerWithItsRateAndStatusMix) {
  REQUIRE_ROOT();
  NginxServer nginx;
  PythonHttpServer python;
  const int worker = nginx.worker_pids().at(0);
  const int python_pid = python.pid();

  Top top({"--iterations", "5", "--limit", "100"});
  ASSERT_TRUE(top.wait_attached()) << top.err();
  // Once attached, it holds no capability at all.
  EXPECT_NE(read_text("/proc/" + std::to_string(top.process().pid()) + "/status")
                .find("CapEff:\t0000000000000000"),
            std::string::npos);
  std::optional<ExitStatus> status;
  {
    Traffic traffic(nginx, python);
    status = top.process().wait(60s);
    traffic.stop();
    ASSERT_EQ(traffic.error(), "");
    EXPECT_GT(traffic.rounds(), 0u);
  }
  ASSERT_TRUE(status) << "top --iterations 5 did not finish";
  EXPECT_TRUE(status->exited_normally()) << status->describe() << top.err();

  const std::string out = top.out();
  // Not a terminal: plain text, no escape sequences.
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  const std::vector<Frame> frames = parse_frames(out);
  ASSERT_EQ(frames.size(), 5u) << out;

  int nginx_frames = 0, python_frames = 0;
  for (const Frame& f : frames) {
    // Busiest first.
    for (std::size_t i = 1; i < f.rows.size(); ++i)
      EXPECT_GE(f.rows[i - 1].rate, f.rows[i].rate) << out;
    if (const Row* r = f.find(worker); r && r->rate > 0) {
      ++nginx_frames;
      EXPECT_EQ(r->command.substr(0, 5), "nginx");
      // 200s and 503s, nothing else.
      EXPECT_GT(percent(r->shares[0]), 0) << out;
      EXPECT_GT(percent(r->shares[3]), 0) << out;
      EXPECT_NEAR(percent(r->shares[0]) + percent(r->shares[3]), 100, 1) << out;
      EXPECT_NE(r->p50, "-");
      EXPECT_NE(r->p99, "-");
    }
    if (const Row* r = f.find(python_pid); r && r->rate > 0) {
      ++python_frames;
      EXPECT_EQ(r->command.substr(0, 6), "python");
      // Every answer is a 404.
      EXPECT_EQ(r->shares[2], "100%") << out;
      EXPECT_EQ(r->shares[0], "0%") << out;
    }
  }
  // The first frame may cover less than the traffic; the later ones all do.
  EXPECT_GE(nginx_frames, 4) << out;
  EXPECT_GE(python_frames, 4) << out;
}

// The kernel frees programs asynchronously after the last reference goes.
bool programs_gone(const std::set<int>& programs) {
  return wait_until(
      [&] {
        for (int id : loaded_program_ids())
          if (programs.count(id)) return false;
        return true;
      },
      5s, 50ms);
}

class TopSignal : public ::testing::TestWithParam<int> {};

TEST_P(TopSignal, ExitsCleanlyAndDetaches) {
  REQUIRE_ROOT();
  Top top({"--plain"});
  ASSERT_TRUE(top.wait_attached()) << top.err();
  const std::set<int> programs = programs_held_by(top.process().pid());
  EXPECT_FALSE(programs.empty());
  ASSERT_TRUE(top.process().signal(GetParam()));
  const auto status = top.process().wait(10s);
  ASSERT_TRUE(status) << "top did not stop on " << strsignal(GetParam());
  EXPECT_TRUE(status->exited_normally()) << status->describe() << top.err();
  EXPECT_TRUE(programs_gone(programs));
}

INSTANTIATE_TEST_SUITE_P(SigintAndSigterm, TopSignal, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) {
                           return info.param == SIGINT ? "SIGINT" : "SIGTERM";
                         });

// `http-statistics top ARGS` on a pseudo-terminal of 30x100, as a person
// runs it; killed and reaped on destruction if it is still running.
class TopOnTerminal {
 public:
  explicit TopOnTerminal(std::vector<std::string> args) {
    args.insert(args.begin(), {HS_DAEMON, "top"});
    winsize size{};
    size.ws_row = 30;
    size.ws_col = 100;
    pid_ = forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ < 0) throw std::runtime_error("forkpty failed");
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~TopOnTerminal() {
    if (!reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(master_);
  }
  TopOnTerminal(const TopOnTerminal&) = delete;
  TopOnTerminal& operator=(const TopOnTerminal&) = delete;

  // Reads the screen until it shows `what` or the terminal closes.
  bool read_until(const std::string& what, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (screen_.find(what) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(master_, buf, sizeof(buf));
      if (n <= 0) break;  // EIO: the child is gone
      screen_.append(buf, static_cast<std::size_t>(n));
    }
    return screen_.find(what) != std::string::npos;
  }
  // Everything until the child closes the terminal.
  void read_all(std::chrono::milliseconds timeout) { read_until(std::string(1, '\0'), timeout); }
  void type(char key) { ASSERT_EQ(write(master_, &key, 1), 1); }
  // Waits for the exit; the wait status, or nullopt when it is still running.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    int status = 0;
    if (!wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout))
      return std::nullopt;
    reaped_ = true;
    return status;
  }
  tcflag_t local_modes() const {
    termios t{};
    return tcgetattr(master_, &t) == 0 ? t.c_lflag : tcflag_t{0};
  }
  const std::string& screen() const { return screen_; }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  bool reaped_ = false;
  std::string screen_;
};

// The live view: the table on the alternate screen, q quits, and the
// terminal is left as it was found.
TEST(TopTerminal, DrawsOnTheScreenAndQuitsOnQ) {
  REQUIRE_ROOT();
  TopOnTerminal top({});
  ASSERT_TRUE(top.read_until("PID COMMAND", 30s)) << top.screen();
  EXPECT_NE(top.screen().find("\x1b[?1049h"), std::string::npos);  // alternate screen
  // While it runs, keys are read one at a time without echo.
  EXPECT_EQ(top.local_modes() & (ICANON | ECHO), 0u);

  top.type('q');
  top.read_until("\x1b[?1049l", 10s);
  const auto status = top.wait(10s);
  ASSERT_TRUE(status) << "q did not stop it";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  // The main screen and the cursor are back, and so is the terminal's mode.
  EXPECT_NE(top.screen().find("\x1b[?25h\x1b[?1049l"), std::string::npos) << top.screen();
  EXPECT_EQ(top.local_modes() & (ICANON | ECHO), tcflag_t{ICANON | ECHO});
}

// A counted run prints frames that stay on the terminal after it ends.
TEST(TopTerminal, CountedRunPrintsPlainFrames) {
  REQUIRE_ROOT();
  TopOnTerminal top({"--iterations", "2"});
  top.read_all(60s);
  const auto status = top.wait(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  EXPECT_EQ(top.screen().find('\x1b'), std::string::npos) << top.screen();
  EXPECT_EQ(parse_frames(top.screen()).size(), 2u) << top.screen();
}

}  // namespace
}  // namespace hs::test
