// Socket and directory lifecycle of hs::scope::Plugin.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "plugin_dir.h"
#include "plugin_fixture.h"

namespace hs::scope::testing {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

// What a crashed run leaves: a socket file that nobody listens on.
void make_stale_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0) << path;
  ASSERT_EQ(::listen(fd, 1), 0);
  ::close(fd);
  ASSERT_TRUE(fs::is_socket(path));
}

bool answers(const std::string& socket_path) {
  try {
    const auto r = http_get(socket_path, "/report");
    return r && r->status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

double ms_since(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

class Lifecycle : public PluginTest {
 protected:
  std::string dir(const std::string& id = "http-statistics") const {
    return root_.path() + "/" + id;
  }
  std::string sock(const std::string& id = "http-statistics") const {
    return dir(id) + "/" + id + ".sock";
  }
};

TEST_F(Lifecycle, SocketLivesInRootIdIdSock) {
  auto p = make(options());
  EXPECT_EQ(p->socket_path(), sock());
  EXPECT_FALSE(fs::exists(dir()));  // nothing before start()
  p->start();
  EXPECT_TRUE(p->serving());
  EXPECT_EQ(p->socket_path(), sock());
  EXPECT_TRUE(fs::is_socket(sock()));
  EXPECT_TRUE(answers(sock()));
}

TEST_F(Lifecycle, ModesAreSetExplicitlyWhateverTheUmask) {
  // 0: mkdir and bind alone would give 0700 and 0777; 0777: 0000 and 0000.
  for (const mode_t mask : {mode_t{0}, mode_t{0777}}) {
    const mode_t old = ::umask(mask);
    auto p = make(options());
    p->start();
    ::umask(old);
    EXPECT_EQ(mode_of(dir()) & 07777, 0700u) << "umask " << mask;
    EXPECT_TRUE(S_ISSOCK(mode_of(sock())));
    EXPECT_EQ(mode_of(sock()) & 07777, 0600u) << "umask " << mask;
  }
}

TEST_F(Lifecycle, StaleSocketFromACrashedRunIsReplaced) {
  fs::create_directories(dir());
  fs::permissions(dir(), fs::perms::all);
  make_stale_socket(sock());
  std::ofstream(dir() + "/leftover") << "x";

  auto p = start(options());
  EXPECT_TRUE(answers(sock()));
  EXPECT_FALSE(fs::exists(dir() + "/leftover"));
  EXPECT_EQ(mode_of(dir()) & 07777, 0700u);
}

TEST_F(Lifecycle, StaleDirectoryIsReplaced) {
  fs::create_directories(dir() + "/nested/deeper");
  fs::permissions(dir(), fs::perms::all);
  std::ofstream(sock()) << "not a socket";

  auto p = start(options());
  EXPECT_TRUE(fs::is_socket(sock()));
  EXPECT_FALSE(fs::exists(dir() + "/nested"));
  EXPECT_EQ(mode_of(dir()) & 07777, 0700u);
  EXPECT_TRUE(answers(sock()));
}

TEST_F(Lifecycle, AFileWhereTheDirectoryGoesIsReplaced) {
  std::ofstream(dir()) << "junk";
  auto p = start(options());
  EXPECT_TRUE(fs::is_directory(dir()));
  EXPECT_TRUE(answers(sock()));
}

TEST_F(Lifecycle, StopRemovesSocketAndDirectoryAndKeepsTheRoot) {
  auto p = start(options());
  p->stop();
  EXPECT_FALSE(p->serving());
  EXPECT_FALSE(fs::exists(sock()));
  EXPECT_FALSE(fs::exists(dir()));
  EXPECT_TRUE(fs::is_directory(root_.path()));
  p->stop();  // idempotent
  EXPECT_FALSE(fs::exists(dir()));
}

TEST_F(Lifecycle, DestructorRemovesSocketAndDirectory) {
  start(options()).reset();
  EXPECT_FALSE(fs::exists(dir()));
}

TEST_F(Lifecycle, StartTwiceIsHarmlessAndRestartAfterStopWorks) {
  auto p = start(options());
  p->start();
  EXPECT_TRUE(answers(sock()));
  p->stop();
  p->start();
  EXPECT_TRUE(answers(sock()));
  EXPECT_EQ(mode_of(dir()) & 07777, 0700u);
}

TEST_F(Lifecycle, MissingRootIsCreated) {
  PluginOptions o = options();
  o.plugins_root = root_.path() + "/var/run/scope/plugins";
  auto p = start(o);
  EXPECT_TRUE(answers(o.plugins_root + "/http-statistics/http-statistics.sock"));
}

TEST_F(Lifecycle, SecondPluginWithTheSameIdRefusesAndTheFirstKeepsServing) {
  auto first = start(options());
  auto second = make(options());
  try {
    second->start();
    FAIL() << "a second plugin took over a live socket";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("already serves"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(second->serving());
  second.reset();
  EXPECT_TRUE(answers(sock()));
  EXPECT_EQ(mode_of(dir()) & 07777, 0700u);
}

TEST_F(Lifecycle, SecondPluginWithAnotherIdServesBesideTheFirst) {
  auto a = start(options("http-statistics"));
  auto b = start(options("http-statistics-2"));
  EXPECT_TRUE(answers(sock("http-statistics")));
  EXPECT_TRUE(answers(sock("http-statistics-2")));
  b->stop();
  EXPECT_FALSE(fs::exists(dir("http-statistics-2")));
  EXPECT_TRUE(answers(sock("http-statistics")));
}

TEST_F(Lifecycle, StopLeavesASuccessorsFilesAlone) {
  auto a = start(options());
  fs::remove_all(dir());      // someone cleaned up while `a` ran...
  auto b = start(options());  // ...and a new instance took the place
  a->stop();
  EXPECT_TRUE(answers(sock()));
  b->stop();
  EXPECT_FALSE(fs::exists(dir()));
}

TEST_F(Lifecycle, InvalidIdsAreRefusedAndNothingIsCreated) {
  for (const char* id : {"", "-x", "x-", "a--b", "a_b", "a.b", "a/b", "..", "http statistics"}) {
    auto p = make(options(id));
    EXPECT_THROW(p->start(), std::runtime_error) << id;
  }
  EXPECT_TRUE(fs::is_empty(root_.path()));
  EXPECT_TRUE(valid_plugin_id("http-statistics"));
  EXPECT_TRUE(valid_plugin_id("A1-b2-C3"));
}

TEST_F(Lifecycle, SocketPathTooLongForAUnixSocketIsAClearError) {
  auto p = make(options(std::string(60, 'x')));  // root + 2*60 + ".sock" > 107
  try {
    p->start();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("too long"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(root_.path()));
}

TEST_F(Lifecycle, UnwritableRootIsAClearError) {
  PluginOptions o = options();
  std::ofstream(root_.path() + "/file") << "x";
  o.plugins_root = root_.path() + "/file/plugins";  // a path through a regular file
  auto p = make(o);
  try {
    p->start();
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("plugins root"), std::string::npos) << e.what();
  }
}

TEST_F(Lifecycle, StopIsPromptWhileAClientHoldsAnIdleKeepAliveConnection) {
  PluginOptions o = options();
  o.keep_alive_idle = std::chrono::seconds(30);  // stock httplib would wait this long
  auto p = start(o);
  UnixClient idle(sock());
  ASSERT_TRUE(idle.get("/report"));  // now idle, kept alive

  const auto start = Steady::now();
  p->stop();
  const double ms = ms_since(start);
  std::printf("stop() with an idle keep-alive client: %.1f ms\n", ms);
  EXPECT_LT(ms, 1000.0);
  EXPECT_TRUE(idle.closed_by_server(std::chrono::seconds(1)));
  EXPECT_FALSE(fs::exists(dir()));
}

TEST_F(Lifecycle, StopIsPromptWithSilentAndHalfSentRequests) {
  PluginOptions o = options();
  o.io_timeout = std::chrono::seconds(30);
  auto p = start(o);
  UnixClient silent(sock());
  UnixClient half(sock());
  half.send("GET /rep");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // both are being served

  const auto start = Steady::now();
  p->stop();
  const double ms = ms_since(start);
  std::printf("stop() with a silent and a half-sent request: %.1f ms\n", ms);
  EXPECT_LT(ms, 1000.0);
}

TEST_F(Lifecycle, StopRightAfterStartNeverHangs) {
  auto p = make(options());
  for (int i = 0; i < 20; ++i) {
    p->start();
    p->stop();
  }
  EXPECT_FALSE(fs::exists(dir()));
}

TEST(Hostname, ConfiguredThenScopeHostnameThenGethostname) {
  ::setenv("SCOPE_HOSTNAME", "scope-host", 1);
  EXPECT_EQ(resolve_hostname("configured"), "configured");
  EXPECT_EQ(resolve_hostname(""), "scope-host");
  ::setenv("SCOPE_HOSTNAME", "", 1);  // set but empty: as if unset
  std::array<char, 256> name{};
  ASSERT_EQ(::gethostname(name.data(), name.size() - 1), 0);
  EXPECT_EQ(resolve_hostname(""), name.data());
  ::unsetenv("SCOPE_HOSTNAME");
  EXPECT_EQ(resolve_hostname(""), name.data());
}

TEST_F(Lifecycle, NodeIdsUseScopeHostnameWhenNoHostnameIsConfigured) {
  ::setenv("SCOPE_HOSTNAME", "env-host", 1);
  PluginOptions o = options();
  o.hostname.clear();
  auto p = start(o);
  ::unsetenv("SCOPE_HOSTNAME");
  EXPECT_EQ(p->hostname(), "env-host");
  const auto r = http_get(sock(), "/report");
  ASSERT_TRUE(r);
  const auto d = parse_json(r->body);
  ASSERT_FALSE(d.HasParseError());
  EXPECT_TRUE(d["Process"]["nodes"].HasMember("env-host;4242")) << r->body;
}

}  // namespace
}  // namespace hs::scope::testing
