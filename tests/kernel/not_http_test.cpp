// Protocols that are not HTTP/1.x, spoken by a real server process the engine
// is watching, must count nothing: Redis commands, binary garbage, and a
// garbage answer to a well-formed request. Each test ends with one real
// HTTP/1.1 exchange with the same process, which must count exactly once:
// proof that the engine saw the process all along.
#include <random>
#include <string>

#include "http_client.h"
#include "kernel_fixture.h"
#include "raw_connection.h"
#include "script_server.h"

namespace hs::test {
namespace {

class NotHttpTest : public KernelTest {
 protected:
  // One HTTP/1.1 exchange on a fresh connection, then the exact counts.
  void expect_only_the_closing_exchange(const ScriptServer& s) {
    HttpClient c(s.port());
    c.send(make_request("GET", "/proof"));
    EXPECT_EQ(c.read_response().status, 200);
    EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 1}}));
  }
};

// Deterministic garbage: the same bytes on every run, so a failure reproduces.
std::string garbage(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(byte(gen));
  return out;
}

TEST_F(NotHttpTest, RedisInlineAndRespCommandsCountNothing) {
  ScriptServer s("protocol_server.py");
  {
    RawConnection inline_commands(s.port());
    for (int i = 0; i < 5; ++i) {
      inline_commands.send("PING\r\n");
      EXPECT_EQ(inline_commands.read_exactly(7), "+PONG\r\n");
    }
    inline_commands.send("PING\r\nPING\r\nPING\r\n");  // pipelined
    EXPECT_EQ(inline_commands.read_exactly(21), "+PONG\r\n+PONG\r\n+PONG\r\n");
  }
  {
    RawConnection resp(s.port());
    for (int i = 0; i < 5; ++i) {
      resp.send("*1\r\n$4\r\nPING\r\n");
      EXPECT_EQ(resp.read_exactly(7), "+PONG\r\n");
    }
  }
  ASSERT_TRUE(s.wait_count("pong", 13));
  expect_only_the_closing_exchange(s);
}

TEST_F(NotHttpTest, RandomBinaryGarbageCountsNothing) {
  ScriptServer s("protocol_server.py");
  std::size_t echoed = 0;
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    RawConnection c(s.port());
    // Sizes from a few bytes to several segments; a few writes per connection.
    for (std::size_t size : {std::size_t{7}, std::size_t{1500}, std::size_t{seed * 9000}}) {
      std::string bytes = garbage(size, seed * 1000 + static_cast<std::uint32_t>(size));
      if (bytes[0] == 'P' || bytes[0] == '*' || bytes[0] == 'G') bytes[0] = '\x01';
      c.send(bytes);
      EXPECT_EQ(c.read_exactly(bytes.size()), bytes);
      ++echoed;
    }
  }
  ASSERT_GT(echoed, 0u);
  expect_only_the_closing_exchange(s);
}

TEST_F(NotHttpTest, GarbageInPlaceOfAStatusLineCountsNothing) {
  ScriptServer s("protocol_server.py");
  for (int i = 0; i < 3; ++i) {
    RawConnection c(s.port());
    // A well-formed request the server answers with 1 KiB of binary bytes.
    c.send(make_request("GET", "/garbage"));
    EXPECT_EQ(c.read_exactly(1024).size(), 1024u);
  }
  ASSERT_TRUE(s.wait_count("garbage", 3));
  expect_only_the_closing_exchange(s);
}

}  // namespace
}  // namespace hs::test
