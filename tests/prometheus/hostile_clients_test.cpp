// /metrics under clients that misbehave: oversized and non-HTTP requests, a
// slowloris crowd while Prometheus-like scrapes come in, piles of idle
// connections, wrong methods, bodies, pipelining and a process that runs out
// of descriptors.
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hostile_clients.h"
#include "metrics_exporter.h"
#include "snapshot_builder.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait.h"

#ifndef HS_PROMETHEUS_EXPORTER_SERVER
#define HS_PROMETHEUS_EXPORTER_SERVER ""
#endif

namespace hs::prom {
namespace {

using namespace std::chrono_literals;
using hs::test::Endpoint;
using hs::test::RawConnection;
using hs::test::RawResponse;
using hs::test::SlowClients;
using Steady = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
constexpr std::size_t kMiB = 1024 * 1024;
constexpr std::chrono::milliseconds kReplyTimeout = kSanitized ? 30s : 5s;
// Prometheus gives up on a scrape after its scrape_timeout (10 s by
// default); a scrape must not come near it.
constexpr std::chrono::milliseconds kScrapeDeadline = kSanitized ? 5s : 1s;

// What Prometheus 2.x sends.
const std::string kScrape =
    "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Prometheus/2.42.0\r\n"
    "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
    "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";

double ms_since(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

std::string header_value(const RawResponse& r, const std::string& name) {
  std::istringstream lines(r.head);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == ':') {
      std::string v = line.substr(name.size() + 1);
      v.erase(0, v.find_first_not_of(' '));
      if (!v.empty() && v.back() == '\r') v.pop_back();
      return v;
    }
  }
  return "";
}

std::shared_ptr<const Snapshot> traffic() {
  auto s = std::make_shared<Snapshot>();
  for (std::uint32_t pid = 100; pid < 110; ++pid) {
    auto p = hs::testing::process(pid, "srv" + std::to_string(pid));
    p.series[{Method::Get, 200}] = hs::testing::series_stats(100, {10, 20, 30});
    s->processes.push_back(std::move(p));
  }
  return s;
}

// User plus system CPU time of a process, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt
  long utime = 0;
  long stime = 0;
  fields >> utime >> stime;
  return utime + stime;
}

// The exporter in a process of its own (prometheus_exporter_server).
class ExporterProcess {
 public:
  explicit ExporterProcess(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> argv = {HS_PROMETHEUS_EXPORTER_SERVER, port_file()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    process_.emplace(argv);
    if (!hs::test::wait_until([&] { return std::ifstream(port_file()) >> port_ && port_ > 0; },
                              30s))
      throw std::runtime_error("prometheus_exporter_server did not start");
  }
  Endpoint endpoint() const { return Endpoint{"", port_}; }
  hs::test::Subprocess& process() { return *process_; }

 private:
  std::string port_file() const { return dir_.file("port"); }

  hs::test::TempDir dir_;
  std::uint16_t port_ = 0;
  std::optional<hs::test::Subprocess> process_;
};

class HostileClients : public ::testing::Test {
 protected:
  void SetUp() override { start(ExporterOptions{}); }

  void start(ExporterOptions o) {
    o.address = "127.0.0.1:0";
    exporter_ = std::make_unique<Exporter>(o, [] { return traffic(); });
    exporter_->start();
    ASSERT_GT(exporter_->port(), 0);
  }

  Endpoint endpoint() const { return Endpoint{"", static_cast<std::uint16_t>(exporter_->port())}; }

  // Sends `bytes` and expects `status`, then the end of the connection.
  void expect_refused(const std::string& bytes, int status) {
    RawConnection c(endpoint());
    c.send(bytes);  // may fail part-way once the server has answered: the answer counts
    const auto r = c.read_response(kReplyTimeout);
    ASSERT_TRUE(r) << "no answer to " << bytes.substr(0, 40);
    EXPECT_EQ(r->status, status) << bytes.substr(0, 40);
    EXPECT_NE(r->head.find("Connection: close"), std::string::npos) << r->head;
    EXPECT_TRUE(c.closed_by_server(kReplyTimeout)) << bytes.substr(0, 40);
  }

  void expect_still_serving() {
    const auto r = hs::test::fetch(endpoint(), "/metrics", kReplyTimeout);
    ASSERT_TRUE(r) << "the exporter stopped answering";
    EXPECT_EQ(r->status, 200);
  }

  std::unique_ptr<Exporter> exporter_;
};

TEST_F(HostileClients, HugeRequestLineIs414AndClosed) {
  expect_refused("GET /metrics?" + std::string(kMiB, 'a') + " HTTP/1.1\r\n\r\n", 414);
  expect_still_serving();
}

TEST_F(HostileClients, HugeHeaderFieldIs431AndClosed) {
  expect_refused(
      "GET /metrics HTTP/1.1\r\nHost: x\r\nCookie: " + std::string(kMiB, 'b') + "\r\n\r\n", 431);
  expect_still_serving();
}

TEST_F(HostileClients, ThousandsOfSmallHeaderFieldsAre431AndClosed) {
  std::string many = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; many.size() < kMiB; ++i) many += "X-Field-" + std::to_string(i) + ": v\r\n";
  expect_refused(many + "\r\n", 431);
  expect_still_serving();
}

TEST_F(HostileClients, GarbageAndOtherProtocolsAre400AndClosed) {
  std::mt19937 random(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(random() % 256);
  noise[0] = '\x80';  // not a method character, whatever the seed gives
  const std::vector<std::string> payloads = {
      noise,
      std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11),  // TLS ClientHello
      std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00", 33),
      "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
      "*1\r\n$4\r\nPING\r\n",  // Redis
      std::string(64, '\0'),
      "\r\n\r\n",
      "GET /metrics HTTP/9.9\r\n\r\n",
      "GET /metrics\r\n\r\n",
      "GET /metrics HTTP/1.1\nHost: x\n\n",
  };
  for (const std::string& bytes : payloads) {
    SCOPED_TRACE(::testing::PrintToString(bytes.substr(0, 24)));
    expect_refused(bytes, 400);
  }
  expect_refused("get /metrics HTTP/1.1\r\n\r\n", 501);
  expect_still_serving();
}

TEST(HostileClientsProcess, MemoryDoesNotGrowWithTheSizeOfHugeRequests) {
  ExporterProcess server;
  // Warm up: every worker thread has served, so its allocator arena exists.
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(hs::test::fetch(server.endpoint(), "/metrics", 5s));
  const std::size_t before = hs::test::resident_kib(server.process().pid());

  constexpr int kClients = 16;
  std::atomic<int> refused{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      try {
        RawConnection c(server.endpoint());
        const std::string big = i % 2 ? "GET /" + std::string(kMiB, 'a') + " HTTP/1.1\r\n\r\n"
                                      : "GET / HTTP/1.1\r\nX: " + std::string(kMiB, 'b');
        c.send(big);
        const auto r = c.read_response(kReplyTimeout);
        if (r && (r->status == 414 || r->status == 431)) ++refused;
      } catch (const std::exception&) {
      }
    });
  }
  for (auto& t : clients) t.join();
  const std::size_t after = hs::test::resident_kib(server.process().pid());
  const long growth = static_cast<long>(after) - static_cast<long>(before);
  std::printf("%d clients x 1 MiB request: RSS %zu KiB -> %zu KiB (%+ld KiB)\n", kClients, before,
              after, growth);
  EXPECT_EQ(refused.load(), kClients);
  if (!kSanitized) {  // ASan keeps freed memory in quarantine
    // Buffering the requests would take 16 MiB; the limits allow 20 KiB each.
    EXPECT_LT(growth, 4 * 1024);
  }
  EXPECT_TRUE(hs::test::fetch(server.endpoint(), "/metrics", kReplyTimeout));
  EXPECT_TRUE(server.process().stop().exited_normally());
}

TEST_F(HostileClients, ScrapesAreAnsweredInTimeWhileSlowClientsHoldConnections) {
  SlowClients crowd(endpoint(), 200);  // a byte per second each, never a whole request
  ASSERT_EQ(crowd.failed_connects(), 0u);
  RawConnection kept_alive(endpoint());  // as Prometheus scrapes
  for (int i = 0; i < 8; ++i) {
    auto t0 = Steady::now();
    const auto fresh = hs::test::fetch(endpoint(), "/metrics", kScrapeDeadline);
    const double fresh_ms = ms_since(t0);
    ASSERT_TRUE(fresh) << "scrape " << i << " got no answer within " << kScrapeDeadline.count()
                       << " ms";
    EXPECT_EQ(fresh->status, 200);
    t0 = Steady::now();
    ASSERT_TRUE(kept_alive.send(kScrape));
    const auto again = kept_alive.read_response(kScrapeDeadline);
    std::printf("scrape %d with %zu slow clients opened so far: %.1f ms new, %.1f ms kept alive\n",
                i, crowd.opened(), fresh_ms, ms_since(t0));
    ASSERT_TRUE(again) << "kept-alive scrape " << i;
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(header_value(*again, "Content-Encoding"), "gzip");
    std::this_thread::sleep_for(500ms);
  }
  // The read timeout (3 s) ended slow connections while they trickled, and
  // ends the rest once they stop: each with a 408, none by a reset.
  crowd.stop();
  EXPECT_TRUE(crowd.wait_until_all_closed(30s));
  std::printf("slow connections: %zu opened, %zu closed by the server, %zu of them with 408\n",
              crowd.opened(), crowd.closed_by_server(), crowd.timed_out_with_408());
  EXPECT_EQ(crowd.closed_by_server(), crowd.opened());
  EXPECT_EQ(crowd.timed_out_with_408(), crowd.closed_by_server());
  EXPECT_GT(crowd.opened(), 200u);  // some were replaced while the scrapes came
}

TEST_F(HostileClients, StopIsPromptWhileSlowClientsHoldConnections) {
  SlowClients crowd(endpoint(), 200);
  std::this_thread::sleep_for(1500ms);  // everyone has sent a byte or two
  const auto t0 = Steady::now();
  exporter_->stop();
  const double ms = ms_since(t0);
  std::printf("stop() with 200 slow clients: %.1f ms\n", ms);
  EXPECT_LT(ms, 1000.0);
  crowd.stop();
  EXPECT_TRUE(crowd.wait_until_all_closed(5s));
}

TEST_F(HostileClients, MoreIdleKeepAliveConnectionsThanWorkersAreAllAnswered) {
  ExporterOptions o;
  o.worker_threads = 2;
  start(o);
  std::vector<RawConnection> idle;
  for (int i = 0; i < 50; ++i) {
    idle.emplace_back(endpoint());
    ASSERT_TRUE(idle.back().send(kScrape));
    const auto r = idle.back().read_response(kReplyTimeout);
    ASSERT_TRUE(r) << "client " << i;
    EXPECT_EQ(r->status, 200);
  }
  const auto r = hs::test::fetch(endpoint(), "/metrics", kScrapeDeadline);
  ASSERT_TRUE(r) << "a new client waited behind idle ones";
  EXPECT_EQ(r->status, 200);
  for (std::size_t i = 0; i < idle.size(); ++i) {  // all still open, all served again
    ASSERT_TRUE(idle[i].send(kScrape));
    const auto again = idle[i].read_response(kReplyTimeout);
    ASSERT_TRUE(again) << "client " << i;
    EXPECT_EQ(again->status, 200);
  }
}

TEST_F(HostileClients, WrongMethodsAre405WithAllowAndKeepTheConnection) {
  RawConnection c(endpoint());
  for (const std::string& request : {
           std::string("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd"),
           std::string("DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
           std::string("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx"),
           std::string("OPTIONS /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
       }) {
    ASSERT_TRUE(c.send(request));
    const auto r = c.read_response(kReplyTimeout);
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 405) << request;
    EXPECT_EQ(header_value(*r, "Allow"), "GET, HEAD") << request;
  }
  ASSERT_TRUE(c.send("POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"));
  auto r = c.read_response(kReplyTimeout);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  ASSERT_TRUE(c.send(kScrape));
  r = c.read_response(kReplyTimeout);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HostileClients, BodiesOnOtherRequestsAreSkippedNotParsed) {
  RawConnection c(endpoint());
  const std::string inner = "GET /nope HTTP/1.1\r\n\r\n";
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                     std::to_string(inner.size()) + "\r\n\r\n" + inner + kScrape));
  std::vector<int> statuses;
  for (int i = 0; i < 2; ++i) {
    const auto r = c.read_response(kReplyTimeout);
    ASSERT_TRUE(r) << "response " << i;
    statuses.push_back(r->status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 200}));
}

TEST_F(HostileClients, BodiesWithoutALengthOrTooLargeAreRefused) {
  expect_refused(
      "POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\n{}\r\n0\r\n\r\n",
      411);
  expect_refused("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n", 413);
  expect_still_serving();
}

TEST_F(HostileClients, PipelinedRequestsAreAnsweredInOrderHoweverTheyAreCut) {
  std::string pipeline;
  std::vector<int> expected;
  for (int i = 0; i < 10; ++i) {
    pipeline += kScrape;
    expected.push_back(200);
    pipeline += "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
    expected.push_back(404);
    pipeline += "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    expected.push_back(405);
    pipeline += "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    expected.push_back(200);
  }
  for (const std::size_t piece : {pipeline.size(), std::size_t{7}, std::size_t{301}}) {
    RawConnection c(endpoint());
    for (std::size_t at = 0; at < pipeline.size(); at += piece) {
      ASSERT_TRUE(c.send(std::string_view(pipeline).substr(at, piece)));
      if (piece < pipeline.size()) std::this_thread::sleep_for(1ms);
    }
    std::vector<int> statuses;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const auto r = c.read_response(kReplyTimeout);
      ASSERT_TRUE(r) << "response " << i << " of pieces of " << piece;
      statuses.push_back(r->status);
    }
    EXPECT_EQ(statuses, expected) << "pieces of " << piece;
  }
}

TEST_F(HostileClients, RangeRequestsGetTheWholeBodyOnce) {
  const auto plain = hs::test::fetch(endpoint(), "/metrics", kReplyTimeout);
  ASSERT_TRUE(plain);
  std::string ranges = "bytes=0-";
  for (int i = 0; i < 500; ++i) ranges += ",0-";
  RawConnection c(endpoint());
  ASSERT_TRUE(c.send("GET /metrics HTTP/1.1\r\nHost: x\r\nRange: " + ranges + "\r\n\r\n"));
  const auto r = c.read_response(kReplyTimeout);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, plain->body);
}

TEST(HostileClientsProcess, AcceptingSurvivesRunningOutOfFileDescriptors) {
  if (kSanitized) {
    // The sanitizer runtime needs descriptors of its own (UBSan opens a pipe
    // to probe memory) and fails the process when the server took them all.
    GTEST_SKIP() << "not under sanitizers: they need free descriptors themselves";
  }
  ExporterProcess server({"--max-open-files", "64"});
  const Endpoint where = server.endpoint();
  // More connections than the server has descriptors: the last ones wait in
  // the listen queue while accept() fails with EMFILE.
  std::vector<RawConnection> hog;
  for (int i = 0; i < 120; ++i) hog.emplace_back(where);
  ASSERT_TRUE(hog.back().send(kScrape));
  const long ticks_before = cpu_ticks(server.process().pid());
  std::this_thread::sleep_for(1s);
  std::printf("CPU while out of descriptors: %ld ticks of %ld per second\n",
              cpu_ticks(server.process().pid()) - ticks_before, ::sysconf(_SC_CLK_TCK));
  ASSERT_TRUE(hog.front().send(kScrape));  // accepted before the limit: served
  const auto first = hog.front().read_response(kReplyTimeout);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_FALSE(server.process().exited());

  hog.erase(hog.begin(), hog.begin() + 100);  // descriptors free up
  const auto waited = hog.back().read_response(10s);
  ASSERT_TRUE(waited) << "the queued connection was never served";
  EXPECT_EQ(waited->status, 200);
  hog.clear();
  const auto fresh = hs::test::fetch(where, "/metrics", kReplyTimeout);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200);
  EXPECT_TRUE(server.process().stop().exited_normally());
}

}  // namespace
}  // namespace hs::prom
