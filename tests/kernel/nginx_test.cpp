// nginx (master + workers) as the server: the worker that accept()ed the
// connections owns the counts, and they equal nginx's own access log.
#include <unistd.h>

#include <string>
#include <vector>

#include "http_client.h"
#include "kernel_fixture.h"
#include "nginx_server.h"

namespace hs::test {
namespace {

class NginxTest : public KernelTest {};

// Access log statuses of one worker as Counts for GET ("GET 200": n).
Counts logged(const NginxServer& ng, pid_t worker) {
  Counts out;
  for (const auto& e : ng.access_log())
    if (e.pid == worker) ++out[e.method + " " + std::to_string(e.status)];
  return out;
}

TEST_F(NginxTest, WorkerCountsEachStatusExactlyLikeTheAccessLog) {
  NginxServer ng;
  const auto workers = ng.worker_pids();
  ASSERT_EQ(workers.size(), 1u);
  const pid_t worker = workers[0];

  // One keep-alive connection (curl reuses it for all URLs of one call)...
  std::vector<std::string> urls;
  for (int i = 0; i < 5; ++i) {
    urls.push_back(ng.url("/ok"));
    if (i < 3) urls.push_back(ng.url("/missing"));
    if (i < 2) urls.push_back(ng.url("/unavailable"));
  }
  urls.push_back(ng.url("/created"));
  urls.push_back(ng.url("/teapot"));
  std::vector<pid_t> clients;
  const auto keep_alive = curl(urls);
  clients.push_back(keep_alive.pid);
  EXPECT_EQ(keep_alive.codes.size(), urls.size());
  // ...and separate connections.
  for (const char* path : {"/ok", "/ok", "/ok", "/missing", "/unavailable"}) {
    const auto r = curl({ng.url(path)});
    clients.push_back(r.pid);
  }

  const Counts expected = {
      {"GET 200", 8}, {"GET 201", 1}, {"GET 404", 4}, {"GET 418", 1}, {"GET 503", 3}};
  EXPECT_EQ(counts(worker), expected);
  ASSERT_TRUE(ng.wait_access_log_lines(17));
  EXPECT_EQ(logged(ng, worker), expected);
  EXPECT_EQ(ng.access_log_statuses(),
            (std::map<int, std::uint64_t>{{200, 8}, {201, 1}, {404, 4}, {418, 1}, {503, 3}}));

  // Only the process that accepted the connections is counted.
  EXPECT_EQ(counts(ng.master_pid()), Counts{});
  for (pid_t c : clients) EXPECT_EQ(counts(c), Counts{}) << "curl pid " << c;
  EXPECT_EQ(counts(getpid()), Counts{});
}

TEST_F(NginxTest, EachOfTwoWorkersCountsWhatItServed) {
  NginxOptions o;
  o.workers = 2;
  NginxServer ng(o);
  const auto workers = ng.worker_pids();
  ASSERT_EQ(workers.size(), 2u);

  // Separate connections, so both workers get some (which one is up to nginx).
  for (int i = 0; i < 12; ++i) curl({ng.url(i % 3 == 0 ? "/missing" : "/ok")});
  ASSERT_TRUE(ng.wait_access_log_lines(12));

  Counts total;
  for (pid_t w : workers) {
    const Counts c = counts(w);
    EXPECT_EQ(c, logged(ng, w)) << "worker " << w;
    for (const auto& [k, v] : c) total[k] += v;
  }
  EXPECT_EQ(total, (Counts{{"GET 200", 8}, {"GET 404", 4}}));
  EXPECT_EQ(counts(ng.master_pid()), Counts{});
}

TEST_F(NginxTest, MethodsAndNginxsOwnStatusesMatchTheAccessLog) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);

  curl({ng.url("/ok"), ng.url("/file")}, {"--head"});               // HEAD 200 x2
  curl({ng.url("/ok"), ng.url("/ok")}, {"--data", "a=1"});          // POST 200 x2 (return)
  curl({ng.url("/file")}, {"--data", "a=1"});                       // POST 405 (static)
  curl({ng.url("/missing")}, {"--request", "PUT", "--data", "x"});  // PUT 404
  curl({ng.url("/file"), ng.url("/ok")}, {"--request", "DELETE"});  // DELETE 405, 200
  curl({ng.url("/ok")}, {"--request", "OPTIONS"});                  // OPTIONS 200
  curl({ng.url("/ok")}, {"--request", "PATCH", "--data", "p"});     // PATCH 200

  const Counts expected = {{"HEAD 200", 2},    {"POST 200", 2},   {"POST 405", 1},
                           {"PUT 404", 1},     {"DELETE 405", 1}, {"DELETE 200", 1},
                           {"OPTIONS 200", 1}, {"PATCH 200", 1}};
  EXPECT_EQ(counts(worker), expected);
  ASSERT_TRUE(ng.wait_access_log_lines(10));
  EXPECT_EQ(logged(ng, worker), expected);
}

TEST_F(NginxTest, SendfileBodyIsFramedAndKeepAliveRequestsAfterItCount) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);

  {
    // Sequential on one connection: the 100 KB body goes out with sendfile in
    // large segments; the parser must skip exactly Content-Length bytes.
    HttpClient c(ng.port());
    for (const char* path : {"/file", "/ok", "/file", "/missing", "/file"}) {
      c.send(make_request("GET", path));
      const HttpResponse r = c.read_response();
      if (std::string(path) == "/file") {
        EXPECT_EQ(r.body.size(), ng.file_size());
      }
    }
  }
  {
    // The same, pipelined in one write: responses follow each other without
    // a pause, so a status line may share a segment with the end of a body.
    HttpClient c(ng.port());
    std::string batch;
    for (const char* path : {"/file", "/ok", "/file", "/missing"})
      batch += make_request("GET", path);
    c.send(batch);
    const auto rs = c.read_responses(4);
    EXPECT_EQ(rs[0].body.size(), ng.file_size());
    EXPECT_EQ(rs[2].body.size(), ng.file_size());
  }
  // curl: body then another request on the same connection.
  curl({ng.url("/file"), ng.url("/ok"), ng.url("/file"), ng.url("/ok")});

  const Counts expected = {{"GET 200", 11}, {"GET 404", 2}};
  EXPECT_EQ(counts(worker), expected);
  ASSERT_TRUE(ng.wait_access_log_lines(13));
  EXPECT_EQ(logged(ng, worker), expected);
  std::size_t pipelined = 0;
  for (const auto& e : ng.access_log()) pipelined += e.pipelined;
  EXPECT_GT(pipelined, 0u) << "nginx saw no pipelined request: the batch was not pipelined";
}

TEST_F(NginxTest, HeadResponsesHaveNoBodyToSkip) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);

  // A HEAD response carries Content-Length but no body: if the parser skipped
  // that many bytes, the next response's status line would be lost.
  HttpClient c(ng.port());
  c.send(make_request("HEAD", "/file"));
  EXPECT_EQ(c.read_response(/*head=*/true).status, 200);
  c.send(make_request("GET", "/missing"));
  EXPECT_EQ(c.read_response().status, 404);
  c.send(make_request("HEAD", "/file") + make_request("GET", "/ok"));
  EXPECT_EQ(c.read_response(/*head=*/true).status, 200);
  EXPECT_EQ(c.read_response().status, 200);

  EXPECT_EQ(counts(worker), (Counts{{"HEAD 200", 2}, {"GET 404", 1}, {"GET 200", 1}}));
}

TEST_F(NginxTest, Ipv6ConnectionsCountLikeIpv4) {
  NginxOptions o;
  o.ipv6 = true;
  NginxServer ng(o);
  const pid_t worker = ng.worker_pids().at(0);
  const std::string v6 = "http://[::1]:" + std::to_string(ng.port());

  curl({v6 + "/ok", v6 + "/missing", v6 + "/file"}, {"--globoff"});
  curl({v6 + "/unavailable"}, {"--globoff"});
  curl({ng.url("/ok")});

  const Counts expected = {{"GET 200", 3}, {"GET 404", 1}, {"GET 503", 1}};
  EXPECT_EQ(counts(worker), expected);
  ASSERT_TRUE(ng.wait_access_log_lines(5));
  EXPECT_EQ(logged(ng, worker), expected);
}

}  // namespace
}  // namespace hs::test
