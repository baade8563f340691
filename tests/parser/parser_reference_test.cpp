// The kernel parser against the reference parser on generated connections: the same
// check the fuzzer makes, run deterministically in every build.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "parser_test_util.h"
#include "scenario.h"

namespace hs_test {
namespace {

std::string check_bytes(const std::vector<std::uint8_t>& input) {
  return check_scenario(scenario_from_bytes(input.data(), input.size()));
}

TEST(Reference, AgreesOnRandomConnections) {
  std::mt19937 rng(7);
  std::size_t response_bytes = 0;
  for (int round = 0; round < 3000; round++) {
    std::vector<std::uint8_t> input(rng() % 600);
    for (std::uint8_t& b : input) b = static_cast<std::uint8_t>(rng());
    const std::string problems = check_bytes(input);
    ASSERT_EQ(problems, "") << "round " << round;
    response_bytes += scenario_from_bytes(input.data(), input.size()).response.stream.size();
  }
  EXPECT_GT(response_bytes, 0U);
}

// Random bytes rarely form long conversations; in clean mode (config bit 0x20) the
// generated messages stay valid, so these reach pipelines, bodies and chunking.
TEST(Reference, AgreesOnCleanGeneratedConnections) {
  std::mt19937 rng(11);
  std::size_t counted = 0;
  for (int round = 0; round < 2000; round++) {
    std::vector<std::uint8_t> input(100 + rng() % 900);
    for (std::uint8_t& b : input) b = static_cast<std::uint8_t>(rng());
    input[0] = static_cast<std::uint8_t>((input[0] | 0x20) & (rng() % 8 ? 0xf8 : 0xff));
    const Scenario s = scenario_from_bytes(input.data(), input.size());
    ASSERT_EQ(check_scenario(s), "") << "round " << round;
    hs_ref::Streams streams;
    streams.requests = s.request.stream;
    streams.responses = s.response.stream;
    counted += hs_ref::parse(streams, reference_limits()).exchanges.size();
  }
  // The generator must produce countable traffic or this test proves little.
  EXPECT_GT(counted, 2000U * 3);
}

TEST(Reference, AgreesOnTheSeedCorpus) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(HS_PARSER_CORPUS)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<std::uint8_t> input((std::istreambuf_iterator<char>(in)),
                                          std::istreambuf_iterator<char>());
    EXPECT_EQ(check_bytes(input), "") << entry.path();
    files++;
  }
  EXPECT_GT(files, 0U);
}

// The reference itself, on facts that do not depend on the kernel parser.
TEST(Reference, CountsPlainExchanges) {
  hs_ref::Streams s;
  s.requests = request_line("GET") + "POST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi";
  s.responses = empty_response(200) + "HTTP/1.1 100 Continue\r\n\r\n" + empty_response(201);
  const hs_ref::Outcome o = hs_ref::parse(s);
  EXPECT_EQ(o.exchanges, (std::vector<hs_ref::Exchange>{{hs_ref::kGet, 200, true, "/"},
                                                        {hs_ref::kPost, 201, true, "/x"}}));
}

TEST(Reference, GapsFollowTheSameRulesAsTheKernel) {
  hs_ref::Streams s;
  s.requests = request_line("GET");
  s.request_gap = true;
  s.responses = empty_response(200) + empty_response(500);
  const hs_ref::Outcome o = hs_ref::parse(s);
  EXPECT_EQ(o.exchanges, (std::vector<hs_ref::Exchange>{{hs_ref::kGet, 200, true, "/"},
                                                        {hs_ref::kOther, 500, false, ""}}));
  EXPECT_EQ(o.notes[hs_ref::kSeqGap], 1U);
}

}  // namespace
}  // namespace hs_test
