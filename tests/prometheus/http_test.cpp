// The exporter over HTTP: /metrics, gzip, /, 404, binding, stopping.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "fleet_snapshot.h"
#include "helpers/gunzip.h"
#include "metrics_exporter.h"
#include "snapshot_builder.h"

namespace hs::prom {
namespace {

using namespace std::chrono_literals;
using hs::testing::process;
using hs::testing::series_stats;
using SteadyClock = std::chrono::steady_clock;

std::shared_ptr<const Snapshot> traffic(std::uint64_t ok_count) {
  auto s = std::make_shared<Snapshot>();
  for (std::uint32_t pid = 100; pid < 120; ++pid) {
    auto p = process(pid, "srv" + std::to_string(pid), pid % 2 ? "" : "c0ffee");
    p.series[{Method::Get, 200, false, ""}] = series_stats(ok_count, {1, 2, 3}, 5'000'000);
    p.series[{Method::Post, 500, false, ""}] = series_stats(2);
    s->processes.push_back(std::move(p));
  }
  return s;
}

// A connected TCP socket to 127.0.0.1:port, closed on destruction.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket");
    timeval tv{5, 0};  // a broken server fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      throw std::runtime_error("connect: " + std::string(std::strerror(errno)));
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send_text(const std::string& s) const {
    ASSERT_EQ(::send(fd_, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }

  // Reads one response with a Content-Length body; returns headers + body.
  std::string read_response() {
    std::string data;
    std::size_t header_end = std::string::npos;
    std::size_t total = std::string::npos;
    while (total == std::string::npos || data.size() < total) {
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) throw std::runtime_error("connection ended before the response did");
      data.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos &&
          (header_end = data.find("\r\n\r\n")) != std::string::npos) {
        const auto cl = data.find("Content-Length: ");
        if (cl == std::string::npos || cl > header_end)
          throw std::runtime_error("no Content-Length");
        total = header_end + 4 + std::stoul(data.substr(cl + 16));
      }
    }
    return data;
  }

  // True when the server closed the connection (recv returns 0).
  bool closed_by_peer() const {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_;
};

class ExporterHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.address = "127.0.0.1:0";
    options_.version = "test";
    exporter_ = std::make_unique<Exporter>(options_, [this] { return current(); });
    exporter_->start();
    ASSERT_GT(exporter_->port(), 0);
  }

  std::shared_ptr<const Snapshot> current() {
    std::lock_guard lock(mu_);
    if (fail_) throw std::runtime_error("aggregator unavailable");
    return snapshot_;
  }
  void publish(std::shared_ptr<const Snapshot> s) {
    std::lock_guard lock(mu_);
    snapshot_ = std::move(s);
  }
  void set_failing(bool fail) {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  std::string expected_text() { return render_text(*current(), options_); }

  // A client that hands over the body exactly as sent.
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", exporter_->port());
    c.set_decompress(false);
    c.set_read_timeout(10s);
    return c;
  }

  ExporterOptions options_;
  std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_ = traffic(7);
  bool fail_ = false;
  std::unique_ptr<Exporter> exporter_;
};

TEST_F(ExporterHttp, ServesMetricsAsTextFormat004) {
  auto c = client();
  const auto res = c.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_FALSE(res->has_header("Content-Encoding"));
  EXPECT_EQ(res->body, expected_text());
  EXPECT_NE(res->body.find("http_server_requests_total{"), std::string::npos);
}

TEST_F(ExporterHttp, GzipWhenTheClientAcceptsIt) {
  auto c = client();
  const auto res = c.Get("/metrics", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(res->get_header_value("Vary"), "Accept-Encoding");
  EXPECT_EQ(res->get_header_value("Content-Type"), kTextContentType);
  const std::string text = hs::testing::gunzip(res->body);
  EXPECT_EQ(text, expected_text());
  EXPECT_LT(res->body.size(), text.size() / 4);
}

TEST_F(ExporterHttp, IdentityWhenGzipIsNotAccepted) {
  auto c = client();
  // httplib would answer the first with brotli on its own; we only do gzip.
  for (const char* accept : {"br", "gzip;q=0", "identity"}) {
    const auto res = c.Get("/metrics", {{"Accept-Encoding", accept}});
    ASSERT_TRUE(res);
    EXPECT_FALSE(res->has_header("Content-Encoding")) << accept;
    EXPECT_EQ(res->body, expected_text()) << accept;
  }
}

TEST_F(ExporterHttp, HeadAnswersWithoutBody) {
  auto c = client();
  const auto res = c.Head("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(res->body.empty());
  EXPECT_EQ(res->get_header_value("Content-Type"), kTextContentType);
}

TEST_F(ExporterHttp, EachScrapeReadsTheLatestSnapshot) {
  auto c = client();
  const std::string labels =
      "http_server_requests_total{http_request_method=\"GET\",http_response_status_code=\"200\","
      "url_scheme=\"http\","
      "process_pid=\"101\",process_executable_name=\"srv101\"} ";
  auto res = c.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find(labels + "7\n"), std::string::npos);
  publish(traffic(8));
  res = c.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find(labels + "8\n"), std::string::npos);
}

TEST_F(ExporterHttp, IndexPageLinksToMetrics) {
  auto c = client();
  const auto res = c.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(res->body.find("<a href=\"/metrics\">"), std::string::npos) << res->body;
}

TEST_F(ExporterHttp, OtherPathsAreNotFound) {
  auto c = client();
  for (const char* path : {"/nope", "/metrics/", "/metricsx", "/index.html", "/metrics/x"}) {
    const auto res = c.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
  }
}

TEST_F(ExporterHttp, FailingSnapshotSourceGivesA500AndServingGoesOn) {
  auto c = client();
  set_failing(true);
  auto res = c.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find("aggregator unavailable"), std::string::npos) << res->body;
  set_failing(false);
  res = c.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(ExporterHttp, ConcurrentScrapesAllSucceed) {
  const std::string expected = expected_text();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  threads.reserve(6);
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      auto c = client();
      for (int i = 0; i < 5; ++i) {
        const auto res = c.Get("/metrics", {{"Accept-Encoding", t % 2 ? "gzip" : "identity"}});
        if (!res || res->status != 200) continue;
        const std::string body = t % 2 ? hs::testing::gunzip(res->body) : res->body;
        if (body == expected) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good, 30);
}

// Bodies of more than 1,000 series are written in parts on several threads
// (one per CPU) and, gzipped, compressed part by part: scrapes at once still
// each get the whole text, in order.
TEST_F(ExporterHttp, LargeBodiesWrittenInPartsArriveWhole) {
  publish(std::make_shared<const Snapshot>(hs::testing::fleet_snapshot(150, 20)));
  const std::string expected = expected_text();
  ASSERT_GT(expected.size(), 10'000'000u);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto c = client();
      for (int i = 0; i < 2; ++i) {
        const auto res = c.Get("/metrics", {{"Accept-Encoding", t % 2 ? "gzip" : "identity"}});
        if (!res || res->status != 200) continue;
        const std::string body = t % 2 ? hs::testing::gunzip(res->body) : res->body;
        if (body == expected) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good, 8);
}

TEST_F(ExporterHttp, BindFailureNamesTheAddressAndTheReason) {
  ExporterOptions o;
  o.address = "127.0.0.1:" + std::to_string(exporter_->port());
  Exporter second(o, [] { return std::shared_ptr<const Snapshot>(); });
  try {
    second.start();
    FAIL() << "a second exporter bound a port in use";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot bind " + o.address + ": Address already in use");
  }
}

TEST(ExporterBind, AddressNotOnThisHost) {
  ExporterOptions o;
  o.address = "192.0.2.1:9464";  // TEST-NET-1: never a local address
  Exporter e(o, [] { return std::shared_ptr<const Snapshot>(); });
  try {
    e.start();
    FAIL() << "bound " << o.address;
  } catch (const std::runtime_error& err) {
    EXPECT_EQ(std::string(err.what()),
              "cannot bind 192.0.2.1:9464: Cannot assign requested address");
  }
  EXPECT_EQ(e.port(), 0);
}

TEST(ExporterBind, MalformedAddress) {
  ExporterOptions o;
  o.address = "localhost";
  Exporter e(o, [] { return std::shared_ptr<const Snapshot>(); });
  EXPECT_THROW(e.start(), std::runtime_error);
}

TEST(ExporterBind, Ipv6Loopback) {
  ExporterOptions o;
  o.address = "[::1]:0";
  Exporter e(o, [] { return traffic(1); });
  try {
    e.start();
  } catch (const std::runtime_error& err) {
    GTEST_SKIP() << "no IPv6 loopback here: " << err.what();
  }
  httplib::Client c("::1", e.port());
  const auto res = c.Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
}

TEST_F(ExporterHttp, StartTwiceIsALogicError) {
  EXPECT_THROW(exporter_->start(), std::logic_error);
}

TEST_F(ExporterHttp, StopIsIdempotentAndClosesThePort) {
  const int port = exporter_->port();
  exporter_->stop();
  exporter_->stop();
  EXPECT_THROW(RawConnection{port}, std::runtime_error);
  EXPECT_THROW(exporter_->start(), std::logic_error);
}

// httplib alone keeps a worker on an idle keep-alive connection for its
// keep-alive timeout (5 s), and Server::stop() waits for it.
TEST_F(ExporterHttp, StopDoesNotWaitForIdleKeepAliveConnections) {
  RawConnection conn(exporter_->port());
  conn.send_text("GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n");
  const std::string response = conn.read_response();
  ASSERT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response.substr(0, 200);
  ASSERT_EQ(response.find("Connection: close"), std::string::npos);  // kept alive

  const auto t0 = SteadyClock::now();
  exporter_->stop();
  const auto took = SteadyClock::now() - t0;
  EXPECT_LT(took, 1s) << std::chrono::duration<double>(took).count() << " s";
  EXPECT_TRUE(conn.closed_by_peer());
}

// A request that never ends would otherwise hold stop() for the read timeout,
// again and again if the client trickles bytes.
TEST_F(ExporterHttp, StopDoesNotWaitForAnUnfinishedRequest) {
  RawConnection conn(exporter_->port());
  conn.send_text("GET /metrics HTTP/1.1\r\nHost: te");
  std::this_thread::sleep_for(100ms);  // let a worker start reading it

  const auto t0 = SteadyClock::now();
  exporter_->stop();
  const auto took = SteadyClock::now() - t0;
  EXPECT_LT(took, 1s) << std::chrono::duration<double>(took).count() << " s";
  EXPECT_TRUE(conn.closed_by_peer());
}

TEST(ExporterLifecycle, DestructorStopsARunningExporter) {
  int port = 0;
  const auto t0 = SteadyClock::now();
  {
    std::optional<RawConnection> idle;  // outlives the exporter
    ExporterOptions o;
    o.address = "127.0.0.1:0";
    Exporter e(o, [] { return traffic(1); });
    e.start();
    port = e.port();
    // A served connection left idle must not hold the destructor.
    idle.emplace(port);
    idle->send_text("GET / HTTP/1.1\r\nHost: test\r\n\r\n");
    ASSERT_EQ(idle->read_response().rfind("HTTP/1.1 200", 0), 0u);
  }
  EXPECT_LT(SteadyClock::now() - t0, 1s);
  EXPECT_THROW(RawConnection{port}, std::runtime_error);
}

TEST(ExporterLifecycle, StopWithoutStartIsHarmless) {
  Exporter e({}, [] { return traffic(1); });
  e.stop();
  EXPECT_EQ(e.port(), 0);
}

}  // namespace
}  // namespace hs::prom
