// Arbitrary bytes -> a connection to replay: two streams (mixing raw bytes with generated
// HTTP messages, so that random input still reaches bodies, chunking, pipelining and
// tunnels) and a way to cut each stream into TCP segments (overlaps, retransmissions,
// empty segments, a gap). Shared by the libFuzzer target and the unit tests.
#ifndef HTTP_STATISTICS_TESTS_PARSER_SCENARIO_H
#define HTTP_STATISTICS_TESTS_PARSER_SCENARIO_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hs_test {

// A segment as stream offsets: [from, from + len), fed `copies` times in a row.
struct Piece {
  std::size_t from;
  std::size_t len;
  int copies;
};

struct SideScenario {
  std::string stream;
  // The first bytes rode in a TCP Fast Open SYN: never fed (request side only).
  std::size_t skipped = 0;
  std::vector<Piece> pieces;  // cover [skipped, gap_at or stream size) without holes
  // Bytes from here on are missed: a segment starting further on arrives next.
  std::optional<std::size_t> gap_at;
  std::size_t gap_skip = 1;
};

struct Scenario {
  SideScenario request;
  SideScenario response;
  std::uint32_t request_isn = 0;
  std::uint32_t response_isn = 0;
  bool preset_seq = true;
  // Skipped bytes were seen by sockops (else the parser finds out from the sequence).
  bool skipped_at_setup = false;
  std::uint32_t header_room = 0;
  std::string scratch_pattern = "\n";
};

Scenario scenario_from_bytes(const std::uint8_t* data, std::size_t size);

// Replays the scenario through kernel/http_parser.h (all request segments first, as the
// reference assumes) and compares with the reference parser. Empty when they agree,
// otherwise a description of the difference.
std::string check_scenario(const Scenario& scenario);

}  // namespace hs_test

#endif  // HTTP_STATISTICS_TESTS_PARSER_SCENARIO_H
