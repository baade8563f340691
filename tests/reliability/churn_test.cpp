// Thousands of short-lived servers, one after another, each answering one
// connection and exiting, with the engine and an aggregator with a short exit
// grace running: every exchange counts exactly, and what the kernel and the
// aggregator keep about a server goes away with it, so nothing grows with the
// number of servers that ever ran.
//
// HS_CHURN_SERVERS sets how many (default 2000).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

#include "http_client.h"
#include "reliability_fixture.h"
#include "wait.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

class ChurnTest : public ReliabilityTest {};

int servers_to_run() {
  const char* v = std::getenv("HS_CHURN_SERVERS");
  return v && std::atoi(v) > 0 ? std::atoi(v) : 2000;
}

// A server that ran: enough to recognise it after it is gone (its pid may
// have been reused since), without holding a descriptor for it.
struct Ran {
  pid_t pid = 0;
  unsigned long long start_ticks = 0;
  int status = 0;  // 0: the client connected and left without a request
  bool is(std::uint32_t tgid, std::uint64_t start_ns) const {
    return tgid == static_cast<std::uint32_t>(pid) && start_in_tick(start_ns, start_ticks);
  }
};

// How many of `keys` belong to one of `servers`.
std::size_t owned_by(const std::vector<ProcessKey>& keys, const std::vector<Ran>& servers) {
  std::size_t n = 0;
  for (const auto& k : keys)
    n += std::any_of(servers.begin(), servers.end(),
                     [&](const Ran& s) { return s.is(k.tgid, k.start_ns); });
  return n;
}

// The snapshot entry of a server that ran, or nullptr.
const ProcessSnapshot* find_ran(const Snapshot& snap, const Ran& s) {
  for (const auto& p : snap.processes)
    if (s.is(p.info.pid, p.info.start_ns)) return &p;
  return nullptr;
}

TEST_F(ChurnTest, ThousandsOfShortLivedServersLeaveNothingBehind) {
  const int total = servers_to_run();
  constexpr int kBatch = 100;
  constexpr int kStatuses[] = {200, 404, 503};
  std::vector<Ran> batch, unanswered, all;
  const auto started = std::chrono::steady_clock::now();

  // After each batch: two refreshes (the daemon's once a second; an exited
  // process's series leave the kernel once a read found them unchanged), then
  // the batch's counts and what is left of it in the kernel maps.
  auto check_batch = [&] {
    aggregator().refresh();
    const auto snap = aggregator().refresh();
    for (const Ran& s : batch) {
      SCOPED_TRACE("server pid " + std::to_string(s.pid));
      const ProcessSnapshot* p = find_ran(*snap, s);
      ASSERT_NE(p, nullptr) << "an exited server must stay for the exit grace";
      EXPECT_TRUE(p->info.exited);
      const Counts want = s.status ? Counts{{"GET " + std::to_string(s.status), 1}} : Counts{};
      EXPECT_EQ(counts_diff(counts_of(*p), want), "");
    }
    // Every server of the batch exited: its process entry and its series are
    // gone (the series only ever held this cgroup's servers).
    EXPECT_EQ(owned_by(maps().procs(), batch), 0u);
    EXPECT_EQ(maps().stats_owners().size(), 0u);
    // Only connections that never carried a response keep their hand-over
    // entry (until the LRU map evicts it).
    for (const Ran& s : batch)
      if (!s.status) unanswered.push_back(s);
    all.insert(all.end(), batch.begin(), batch.end());
    EXPECT_EQ(owned_by(maps().accepted_owners(), unanswered), unanswered.size());
    EXPECT_TRUE(wait_until([&] { return maps().sockets_with_storage() == 0; }, 5s))
        << maps().sockets_with_storage() << " sockets still hold connection state";
    batch.clear();
  };

  for (int i = 0; i < total && !HasFatalFailure(); ++i) {
    const int status = i % 10 == 9 ? 0 : kStatuses[i % 3];
    ForkedServer server(in_cgroup());
    {
      HttpClient c(server.port());
      if (status) {
        c.send(make_request("GET", "/status/" + std::to_string(status)));
        ASSERT_EQ(c.read_response().status, status);
      }
    }  // the client closes; the server exits after its one connection
    ASSERT_TRUE(server.wait_exit(10s)) << "server " << server.pid() << " did not exit";
    ASSERT_TRUE(server.exited_cleanly());
    batch.push_back({server.pid(), server.start_ticks(), status});
    if (batch.size() == kBatch) check_batch();
  }
  check_batch();
  const auto elapsed = std::chrono::steady_clock::now() - started;

  // After the grace the aggregator has forgotten every one of them.
  std::this_thread::sleep_for(exit_grace() + 500ms);
  const auto snap = aggregator().refresh();
  std::size_t remembered = 0;
  for (const Ran& s : all) remembered += find_ran(*snap, s) != nullptr;
  EXPECT_EQ(remembered, 0u);
  EXPECT_EQ(all.size(), static_cast<std::size_t>(total));
  for (const auto& p : snap->processes)
    EXPECT_FALSE(p.info.exited && !p.series.empty())
        << "exited process " << p.info.pid << " outlived the exit grace with series";
  EXPECT_EQ(maps().stats_owners().size(), 0u);
  EXPECT_EQ(maps().sockets_with_storage(), 0u);
  EXPECT_EQ(
      drops("stats_full") + drops("events_full") + drops("procs_full") + drops("conn_storage"), 0u);

  // What the run measured, for whoever reads the log.
  std::uint64_t procs_used = 0, accepted_used = 0;
  for (const auto& m : snap->health.maps) {
    if (m.name == "procs") procs_used = m.used;
    if (m.name == "accepted") accepted_used = m.used;
  }
  std::cout << "churn: " << total << " servers in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
            << " ms; afterwards procs=" << procs_used << " accepted=" << accepted_used
            << " (unanswered connections of ours: " << unanswered.size()
            << ") processes tracked=" << snap->health.processes_tracked << "\n";
}

}  // namespace
}  // namespace hs::test
