// More series than the aggregator reads from the kernel in one batch, created
// in bursts: every one of them must be counted and come out exactly.
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http_client.h"
#include "kernel_fixture.h"
#include "split_server.h"

namespace hs::test {
namespace {

class ManySeriesTest : public KernelTest {};

// Asks for statuses 200..599 (every tenth twice) on one connection, in
// pipelined batches of at most 16 requests (within what the kernel pairs,
// HTTP_PIPELINE).
// Returns the expected counts.
Counts request_400_statuses(std::uint16_t port) {
  HttpClient c(port);
  Counts expected;
  constexpr int kFirst = 200, kLast = 599;
  constexpr int kBatch = 14;  // statuses; at most two multiples of ten among them
  for (int first = kFirst; first <= kLast; first += kBatch) {
    const int last = std::min(first + kBatch - 1, kLast);
    std::string batch;
    std::size_t requests = 0;
    for (int st = first; st <= last; ++st) {
      const int n = st % 10 == 0 ? 2 : 1;
      for (int i = 0; i < n; ++i) batch += make_request("GET", "/status/" + std::to_string(st));
      expected["GET " + std::to_string(st)] += n;
      requests += n;
    }
    c.send(batch);
    c.read_responses(requests);
  }
  return expected;
}

SplitServerOptions coalescing() {
  // All answers to a pipelined batch in one send(): one segment carries up
  // to 16 statuses never seen before, i.e. 16 new stats map entries at once.
  SplitServerOptions o;
  o.coalesce = true;
  return o;
}

TEST_F(ManySeriesTest, FourHundredStatusesAreAllCountedAndRead) {
  SplitServer s(coalescing());
  const Counts expected = request_400_statuses(s.port());
  const Counts got = counts(s.pid());
  EXPECT_EQ(got.size(), expected.size()) << "engine drops: " << drops();
  EXPECT_EQ(counts_diff(got, expected), "");
}

TEST_F(ManySeriesTest, FourServersCreatingSeriesAtOnce) {
  // 1600 new series within a fraction of a second, from four processes on
  // both CPUs: far below the map's capacity, so none may be dropped.
  constexpr int kServers = 4;
  std::vector<std::unique_ptr<SplitServer>> servers;
  servers.reserve(kServers);
  for (int i = 0; i < kServers; ++i) servers.push_back(std::make_unique<SplitServer>(coalescing()));
  std::vector<Counts> expected(kServers);
  std::vector<std::string> errors(kServers);
  {
    std::vector<std::jthread> clients;
    clients.reserve(kServers);
    for (int i = 0; i < kServers; ++i)
      clients.emplace_back([&, i] {
        try {
          expected[i] = request_400_statuses(servers[i]->port());
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
  }
  for (int i = 0; i < kServers; ++i) {
    SCOPED_TRACE("server " + std::to_string(i));
    ASSERT_EQ(errors[i], "");
    const Counts got = counts(servers[i]->pid());
    EXPECT_EQ(got.size(), expected[i].size()) << "engine drops: " << drops();
    EXPECT_EQ(counts_diff(got, expected[i]), "");
  }
}

}  // namespace
}  // namespace hs::test
