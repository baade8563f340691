// HTTPS: HTTP inside OpenSSL 3 connections, counted through the uprobes on
// libssl.so.3, exactly and once: the same connections seen on the socket are
// ciphertext and count nothing there, and TLS clients count nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "kernel_fixture.h"
#include "nginx_server.h"
#include "paths.h"
#include "python_tls_server.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait.h"

namespace hs::test {
namespace {

class TlsTest : public KernelTest {};

// Access log lines of a worker whose response was sent, by series name (with
// `suffix` appended, for runs that were all HTTPS).
Counts logged(const NginxServer& ng, pid_t worker, const std::string& suffix) {
  Counts out;
  for (const auto& e : ng.access_log())
    if (e.pid == worker && e.completed) ++out[e.method + " " + std::to_string(e.status) + suffix];
  return out;
}

TEST_F(TlsTest, NginxCountsHttpsAndPlaintextEachOnceAndExactly) {
  NginxServer ng(NginxOptions{.tls = true});
  const auto workers = ng.worker_pids();
  ASSERT_EQ(workers.size(), 1u);
  const pid_t worker = workers[0];

  // HTTPS: one keep-alive connection for several requests, then one each.
  std::vector<std::string> urls;
  for (int i = 0; i < 4; ++i) urls.push_back(ng.tls_url("/ok"));
  for (int i = 0; i < 3; ++i) urls.push_back(ng.tls_url("/missing"));
  urls.push_back(ng.tls_url("/unavailable"));
  const auto keep_alive = curl(urls, {"--insecure"});
  EXPECT_EQ(keep_alive.codes.size(), urls.size());
  std::vector<pid_t> clients = {keep_alive.pid};
  for (const char* path : {"/ok", "/created", "/teapot"})
    clients.push_back(curl({ng.tls_url(path)}, {"--insecure"}).pid);
  // Plaintext beside it, on the same worker.
  clients.push_back(curl({ng.url("/ok"), ng.url("/missing")}).pid);

  const Counts expected = {{"GET 200 https", 5}, {"GET 201 https", 1}, {"GET 404 https", 3},
                           {"GET 418 https", 1}, {"GET 503 https", 1}, {"GET 200", 1},
                           {"GET 404", 1}};
  EXPECT_EQ(counts(worker), expected) << drops();
  ASSERT_TRUE(ng.wait_access_log_lines(13));
  EXPECT_EQ(ng.access_log_statuses(),
            (std::map<int, std::uint64_t>{{200, 6}, {201, 1}, {404, 4}, {418, 1}, {503, 1}}));
  // The curl processes did TLS too, as clients: nothing counts for them.
  for (pid_t c : clients) EXPECT_EQ(counts(c), Counts{}) << "curl pid " << c;
}

TEST_F(TlsTest, WrkOverHttpsMatchesTheAccessLog) {
  NginxServer ng(NginxOptions{.tls = true});
  const pid_t worker = ng.worker_pids().at(0);
  const auto r = run({"wrk", "-t1", "-c8", "-d2s", ng.tls_url("/ok")}, scratch_.path(),
                     std::chrono::seconds(60));
  ASSERT_TRUE(r.status.exited_normally()) << r.err;
  ASSERT_TRUE(wait_until([&] { return !ng.access_log().empty(); }, std::chrono::seconds(5)));
  // wrk closes its connections at the end; give nginx a moment to log the last.
  std::size_t lines = 0;
  wait_until(
      [&] {
        const std::size_t now = ng.access_log().size();
        const bool settled = now == lines;
        lines = now;
        return settled;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(300));
  const Counts want = logged(ng, worker, " https");
  ASSERT_GT(want.at("GET 200 https"), 100u);
  EXPECT_EQ(counts(worker), want) << drops();
}

// Python's ssl module reads and writes with SSL_read_ex/SSL_write_ex.
TEST_F(TlsTest, PythonHttpsServerIsCountedThroughTheExVariants) {
  const PythonTlsServer server;
  const std::string& base = server.base_url();

  std::vector<std::string> urls = {base + "/a", base + "/missing", base + "/b", base + "/missing"};
  const auto r = curl(urls, {"--insecure"});
  EXPECT_EQ(r.codes, (std::vector<int>{200, 404, 200, 404}));
  curl({base + "/c"}, {"--insecure"});

  EXPECT_EQ(counts(server.pid()), (Counts{{"GET 200 https", 3}, {"GET 404 https", 2}})) << drops();
  EXPECT_EQ(counts(r.pid), Counts{});
}

}  // namespace
}  // namespace hs::test
