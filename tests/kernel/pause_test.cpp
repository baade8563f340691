// Pausing a process stops counting it in the kernel; resuming starts again.
#include "http_client.h"
#include "kernel_fixture.h"
#include "split_server.h"

namespace hs::test {
namespace {

class PauseTest : public KernelTest {};

TEST_F(PauseTest, PausedProcessIsNotCountedUntilResumed) {
  SplitServer s;
  HttpClient c(s.port());
  auto exchange = [&c](const std::string& target) {
    c.send(make_request("GET", target));
    c.read_response();
  };
  exchange("/");
  exchange("/status/404");
  ASSERT_EQ(counts(s.pid()), (Counts{{"GET 200", 1}, {"GET 404", 1}}));

  ASSERT_TRUE(aggregator().set_paused(s.pid(), true));
  const ProcessSnapshot* p = find_process(*aggregator().snapshot(), s.pid());
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->info.paused);
  for (int i = 0; i < 3; ++i) exchange("/");
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 1}, {"GET 404", 1}}));

  ASSERT_TRUE(aggregator().set_paused(s.pid(), false));
  exchange("/");
  // Pairing stayed in step while paused: the next response is still a GET.
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 2}, {"GET 404", 1}}));
}

TEST_F(PauseTest, UnknownProcessCannotBePaused) {
  SplitServer s;  // never accepted a connection: not tracked
  EXPECT_FALSE(aggregator().set_paused(s.pid(), true));
}

}  // namespace
}  // namespace hs::test
