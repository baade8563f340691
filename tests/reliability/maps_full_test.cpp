// The series map full: more (process, method, status) series than the kernel
// map holds are created by live servers. Exchanges of series that do not fit
// are counted as dropped (stats_full) one for one and exported; series that
// exist keep counting exactly; nothing blocks; and once servers exit and
// their entries are folded into userspace, new series fit again.
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "http_client.h"
#include "metrics_exporter.h"
#include "metrics_text.h"
#include "reliability_fixture.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

class MapsFullTest : public ReliabilityTest {};

using Request = std::pair<std::string, int>;  // method, status

// Every (method, status) the kernel keeps apart, except CONNECT (a 2xx answer
// ends HTTP on the connection): 8 methods and one unknown (_OTHER), 200-599.
std::vector<Request> distinct_series() {
  std::vector<Request> out;
  for (const char* m :
       {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "PROPFIND"})
    for (int status = 200; status <= 599; ++status) out.emplace_back(m, status);
  return out;
}

// Sends the requests on one connection, pipelined (at most 16 unanswered, well
// within what the kernel pairs), and checks every answer.
void ask(HttpClient& c, const std::vector<Request>& requests) {
  for (std::size_t from = 0; from < requests.size(); from += 16) {
    const std::size_t to = std::min(requests.size(), from + 16);
    std::string batch;
    for (std::size_t i = from; i < to; ++i)
      batch += make_request(requests[i].first, "/status/" + std::to_string(requests[i].second));
    c.send(batch);
    for (std::size_t i = from; i < to; ++i)
      ASSERT_EQ(c.read_response(requests[i].first == "HEAD").status, requests[i].second);
  }
}

std::vector<Request> repeat(const Request& r, int n) { return std::vector<Request>(n, r); }

TEST_F(MapsFullTest, SeriesThatDoNotFitAreDroppedCountedAndExportedWhileOthersCountOn) {
  const std::uint64_t capacity = map_capacity("stats");
  ASSERT_GT(capacity, 0u);
  constexpr std::uint64_t kOverflow = 100;
  ASSERT_EQ(drops("stats_full"), 0u);

  // A server whose two series exist before the map fills up.
  ForkedServer keeper(in_cgroup());
  HttpClient keeper_client(keeper.port());
  ask(keeper_client, repeat({"GET", 200}, 5));
  ask(keeper_client, repeat({"GET", 404}, 3));

  // Fillers: live servers asking for capacity - 2 + kOverflow new series.
  const std::vector<Request> all = distinct_series();
  std::uint64_t wanted = capacity - 2 + kOverflow;
  std::vector<std::unique_ptr<ForkedServer>> fillers;
  std::vector<std::unique_ptr<HttpClient>> filler_clients;
  while (wanted > 0 && !HasFatalFailure()) {
    const std::size_t n = std::min<std::uint64_t>(wanted, all.size());
    fillers.push_back(std::make_unique<ForkedServer>(in_cgroup()));
    filler_clients.push_back(std::make_unique<HttpClient>(fillers.back()->port()));
    ask(*filler_clients.back(), std::vector<Request>(all.begin(), all.begin() + n));
    wanted -= n;
  }
  ASSERT_FALSE(HasFatalFailure());

  auto filler_total = [&](const Snapshot& snap) {
    std::uint64_t sum = 0;
    for (const auto& f : fillers)
      if (const ProcessSnapshot* p = find_server(snap, *f))
        for (const auto& [key, n] : counts_of(*p)) {
          EXPECT_EQ(n, 1u) << key;
          sum += n;
        }
    return sum;
  };
  {
    const auto snap = aggregator().refresh();
    EXPECT_EQ(filler_total(*snap), capacity - 2);
    EXPECT_EQ(snap->health.drops.at("stats_full"), kOverflow);
    for (const auto& m : snap->health.maps) {
      if (m.name == "stats") {
        EXPECT_EQ(m.used, capacity);
      }
    }
    const ProcessSnapshot* k = find_server(*snap, keeper);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(counts_diff(counts_of(*k), {{"GET 200", 5}, {"GET 404", 3}}), "");
  }

  // The map is full: existing series still count, a new one is dropped.
  ask(keeper_client, repeat({"GET", 200}, 10));
  ask(keeper_client, repeat({"GET", 404}, 10));
  ask(keeper_client, {{"POST", 201}});
  {
    const auto snap = aggregator().refresh();
    const ProcessSnapshot* k = find_server(*snap, keeper);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(counts_diff(counts_of(*k), {{"GET 200", 15}, {"GET 404", 13}}), "");
    EXPECT_EQ(snap->health.drops.at("stats_full"), kOverflow + 1);
    // Exported as Prometheus serves it.
    const std::string text = prom::render_text(*snap, prom::ExporterOptions{});
    EXPECT_EQ(sample_value(text, "http_statistics_dropped_total", "cause=\"stats_full\""),
              std::to_string(kOverflow + 1));
    EXPECT_EQ(sample_value(text, "http_statistics_map_entries", "map=\"stats\""),
              std::to_string(capacity));
    EXPECT_EQ(sample_value(text, "http_statistics_map_capacity", "map=\"stats\""),
              std::to_string(capacity));
  }

  // The fillers exit: their entries move to userspace and leave the map...
  filler_clients.clear();
  for (auto& f : fillers) ASSERT_TRUE(f->wait_exit(10s));
  {
    const auto snap = aggregator().refresh();
    EXPECT_EQ(filler_total(*snap), capacity - 2) << "exited servers keep their final counts";
    EXPECT_EQ(maps().stats_owners().size(), 2u) << "only the keeper's two series are left";
  }
  // ...so new series fit again.
  ask(keeper_client, {{"POST", 202}, {"GET", 200}});
  const auto snap = aggregator().refresh();
  const ProcessSnapshot* k = find_server(*snap, keeper);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(counts_diff(counts_of(*k), {{"GET 200", 16}, {"GET 404", 13}, {"POST 202", 1}}), "");
  EXPECT_EQ(snap->health.drops.at("stats_full"), kOverflow + 1);
  std::cout << "maps full: capacity " << capacity << " series, " << fillers.size()
            << " filler servers, " << kOverflow + 1 << " exchanges dropped as stats_full\n";
}

}  // namespace
}  // namespace hs::test
