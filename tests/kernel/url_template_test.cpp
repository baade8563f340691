// URL templates against real nginx: the engine's count per (method, status,
// template) must equal nginx's access log, with each logged $request_uri
// templated by the test's own reading of the rules (tests/parser/
// reference_template.h), not by the kernel's code.
#include <linux/types.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "http_statistics.h"
#include "kernel_fixture.h"
#include "nginx_server.h"
#include "raw_connection.h"
#include "reference_template.h"
#include "url_template.h"
#include "url_templates.h"
#include "wait.h"

namespace hs::test {
namespace {

// 16 hex digits, different for each i: a hash-like identifier.
std::string hex_id(int i) {
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", 0x9e3779b97f4a7c15ULL * static_cast<unsigned>(i + 1));
  return out;
}

class UrlTemplateTest : public KernelTest {
 protected:
  // The access log's exchanges of `worker` as template_counts() names them
  // (`scheme` " https" when they all came over TLS).
  static Counts logged(const NginxServer& ng, pid_t worker, const std::string& scheme = "") {
    Counts out;
    for (const auto& e : ng.access_log()) {
      if (e.pid != worker || !e.completed) continue;
      const std::string line = e.method + " " + e.uri + " HTTP/1.1\r";
      out[e.method + " " + std::to_string(e.status) + scheme + " " +
          hs_ref::url_template(line, HTTP_TMPL_PATH, e.method == "CONNECT")] += 1;
    }
    return out;
  }

  static std::size_t templates_of(const Counts& c) {
    std::set<std::string> names;
    for (const auto& [k, n] : c) names.insert(k.substr(k.find(' ', k.find(' ') + 1) + 1));
    return names.size();
  }

  static bool counted(pid_t worker, std::uint64_t n) {
    return wait_until(
        [&] {
          std::uint64_t sum = 0;
          for (const auto& [k, v] : counts(worker)) sum += v;
          return sum >= n;
        },
        std::chrono::seconds(20));
  }
};

TEST_F(UrlTemplateTest, ShapesOfTargetsMatchTheAccessLog) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);
  const std::vector<std::string> paths = {
      "/ok",
      "/ok?x=1",
      "/api/users/1042?tab=orders",
      "/api/users/7",
      "/api/users/u123456/orders",
      "/v1/orders/9f86d081884c7d65/items",
      "/v2/files/3fa85f64-5717-4562-b3fc-2c963f66afa6",
      "/static/app.js",
      "/index.html",
      "/healthz",
      "/a/b/c/d/e/f",
      "/reports/2026-12-07",
      "/caf%C3%A9/menu",
      "/x%2F1/y",
      "/" + std::string(120, 'a') + "/tail",
      "/api/v1/" + std::string(70, 'b'),
      "/missing",
  };
  std::vector<std::string> urls;
  for (const auto& p : paths) urls.push_back(ng.url(p));
  const auto r = curl(urls, {"--globoff"});
  ASSERT_EQ(r.codes.size(), paths.size());
  ASSERT_TRUE(ng.wait_access_log_lines(paths.size()));
  const Counts want = logged(ng, worker);
  ASSERT_TRUE(counted(worker, paths.size()));
  EXPECT_EQ(template_counts(worker), want) << drops();
  // The examples of docs/design.md, seen through nginx: one for each shape.
  EXPECT_EQ(want.count("GET 404 /api/users/{id}"), 1u);
  EXPECT_EQ(template_counts(worker).at("GET 404 /api/users/{id}"), 2u);
  EXPECT_EQ(template_counts(worker).at("GET 200 /ok"), 2u);
}

TEST_F(UrlTemplateTest, HttpsCountsByTemplateToo) {
  NginxServer ng({.tls = true});
  const pid_t worker = ng.worker_pids().at(0);
  std::vector<std::string> urls;
  for (int i = 0; i < 30; ++i)
    urls.push_back(ng.tls_url(i % 3 ? "/api/orders/" + std::to_string(500 + i) + "/lines"
                                    : "/ok?i=" + std::to_string(i)));
  const auto r = curl(urls, {"--insecure"});
  ASSERT_EQ(r.codes.size(), urls.size());
  ASSERT_TRUE(ng.wait_access_log_lines(urls.size()));
  const Counts want = logged(ng, worker, " https");
  ASSERT_TRUE(counted(worker, urls.size()));
  EXPECT_EQ(template_counts(worker), want) << drops();
  EXPECT_EQ(want.at("GET 404 https /api/orders/{id}/lines"), 20u);
}

TEST_F(UrlTemplateTest, AbsoluteAndAsteriskFormsPipelinedAndCut) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);
  // Sent as written (curl would rewrite them): pipelined in one write, then
  // the same cut into single bytes, then an HTTP/1.0 request. What each kind's template is comes
  // from the line sent, which is what the kernel reads; its status from the log.
  struct Kind {
    std::string method, target, in_log, url_template;
  };
  const std::string host = "127.0.0.1:" + std::to_string(ng.port());
  const std::vector<Kind> kinds = {
      {"GET", "http://" + host + "/api/users/31337?x", "31337", "/api/users/{id}"},
      {"GET", "/ok#frag", "/ok", "/ok"},
      {"HEAD", "/static/9f86d081884c7d65/app.js", "/static/", "/static/{id}/app.js"},
      {"OPTIONS", "*", "*", "*"},  // nginx refuses it and closes: last
  };
  std::string pipelined;
  for (const auto& k : kinds)
    pipelined += k.method + " " + k.target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  // Cut, nginx would refuse "OPTIONS *" at its '*', before the line is
  // complete, and the kernel rightly knows no template for a line it never
  // saw end: only the other kinds are sent cut.
  const std::string cut = pipelined.substr(0, pipelined.rfind("OPTIONS"));
  for (const std::string& bytes : {pipelined, cut}) {
    RawConnection c(ng.port());
    if (&bytes == &cut)
      for (char ch : bytes) c.send(std::string_view(&ch, 1));
    else
      c.send(bytes);
    c.shutdown_send();
    c.read_to_end();
  }
  {
    RawConnection c(ng.port());
    c.send("GET /ok HTTP/1.0\r\n\r\n");
    c.read_to_end();
  }
  const std::size_t sent = 2 * kinds.size();
  ASSERT_TRUE(ng.wait_access_log_lines(sent));
  ASSERT_TRUE(ng.wait_access_log_quiet(std::chrono::seconds(5)));
  Counts want;
  std::string log;
  for (const auto& e : ng.access_log()) {
    log += e.method + " " + std::to_string(e.status) + " " + e.uri + "\n";
    // nginx cannot parse "OPTIONS *" and logs its 400 with "-" for both.
    const bool refused = e.method == "-" && e.uri == "-";
    const Kind* kind = refused ? &kinds.back() : nullptr;
    for (const auto& k : kinds)
      if (k.method == e.method && e.uri.find(k.in_log) != std::string::npos) kind = &k;
    ASSERT_NE(kind, nullptr) << "not a request sent: " << e.method << " " << e.uri;
    want[kind->method + " " + std::to_string(e.status) + " " + kind->url_template] += 1;
  }
  ASSERT_TRUE(counted(worker, sent));
  EXPECT_EQ(template_counts(worker), want) << "access log:\n" << log << drops();
}

TEST_F(UrlTemplateTest, TenThousandIdsLandInAHandfulOfTemplates) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);
  std::vector<std::string> urls;
  for (int i = 0; i < 10000; ++i) {
    switch (i % 4) {
      case 0:
        urls.push_back(ng.url("/api/users/" + std::to_string(100000 + i)));
        break;
      case 1:
        urls.push_back(ng.url("/api/users/" + std::to_string(i) + "/orders?page=2"));
        break;
      case 2:
        urls.push_back(ng.url("/items/" + hex_id(i)));
        break;
      default:
        urls.push_back(ng.url("/ok?id=" + std::to_string(i)));
        break;
    }
  }
  const auto r = curl(urls, {"--globoff"});
  ASSERT_EQ(r.codes.size(), urls.size());
  ASSERT_TRUE(ng.wait_access_log_lines(urls.size()));
  const Counts want = logged(ng, worker);
  ASSERT_TRUE(counted(worker, urls.size()));
  const Counts got = template_counts(worker);
  EXPECT_EQ(got, want) << drops();
  EXPECT_EQ(templates_of(got), 4u);
  EXPECT_EQ(got.count("GET 404 " + std::string(kOtherTemplate)), 0u);
}

TEST_F(UrlTemplateTest, AFloodOfDistinctPathsHitsTheBoundAndStaysExact) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);
  const std::uint64_t cap_before = refresh()->health.drops.at("url_template_cap");
  // Words without digits: none is an identifier, each its own template.
  std::vector<std::string> urls;
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    std::string word = "w";
    for (int v = i; v; v /= 26) word += static_cast<char>('a' + v % 26);
    urls.push_back(ng.url("/" + word));
  }
  const auto r = curl(urls);
  ASSERT_EQ(r.codes.size(), urls.size());
  ASSERT_TRUE(ng.wait_access_log_lines(urls.size()));
  ASSERT_TRUE(counted(worker, n));
  const Counts got = template_counts(worker);
  const auto limit = HS_DEFAULT_MAX_URL_TEMPLATES;
  // One connection, requests in order: the first `limit` are admitted.
  Counts want;
  for (int i = 0; i < n; ++i) {
    std::string word = "w";
    for (int v = i; v; v /= 26) word += static_cast<char>('a' + v % 26);
    want["GET 404 " + (i < limit ? "/" + word : std::string(kOtherTemplate))] += 1;
  }
  EXPECT_EQ(got, want) << drops();
  EXPECT_GE(refresh()->health.drops.at("url_template_cap") - cap_before,
            static_cast<std::uint64_t>(n - limit));
}

}  // namespace
}  // namespace hs::test
