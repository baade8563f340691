// Helpers shared by the parser's GoogleTest files.
#ifndef HTTP_STATISTICS_TESTS_PARSER_PARSER_TEST_UTIL_H
#define HTTP_STATISTICS_TESTS_PARSER_PARSER_TEST_UTIL_H

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "parser_harness.h"
#include "reference_parser.h"

namespace hs_test {

inline void PrintTo(const Pair& p, std::ostream* os) {
  *os << method_name(p.method) << ' ' << p.status;
}

// Everything a connection counted that does not depend on the clock.
struct Counted {
  std::vector<Pair> pairs;
  std::array<unsigned, HN_COUNT> notes{};
  unsigned bad_loads = 0;
  bool operator==(const Counted&) const = default;
};

inline void PrintTo(const Counted& c, std::ostream* os) {
  *os << describe(c.pairs) << " notes";
  for (unsigned n : c.notes) *os << ' ' << n;
  if (c.bad_loads) *os << " bad_loads " << c.bad_loads;
}

inline Counted counted(const Connection& c) {
  Counted out;
  out.pairs = pairs(c.exchanges());
  for (unsigned i = 0; i < HN_COUNT; i++) out.notes[i] = c.recorder().notes[i];
  out.bad_loads = c.recorder().bad_loads + c.recorder().bad_notes;
  return out;
}

// The whole request stream, then the whole response stream, each cut by `send`.
template <typename Send>
Counted run_with(std::string_view requests, std::string_view responses, Send send) {
  Connection c;
  send(c, Side::kRequest, requests);
  send(c, Side::kResponse, responses);
  return counted(c);
}

inline Counted run_whole(std::string_view requests, std::string_view responses) {
  return run_with(requests, responses,
                  [](Connection& c, Side side, std::string_view bytes) { c.send(side, bytes); });
}

inline Counted run_bytewise(std::string_view requests, std::string_view responses) {
  return run_with(requests, responses, [](Connection& c, Side side, std::string_view bytes) {
    c.send_pieces(side, bytes, 1);
  });
}

// Each side in two segments, cut at `at` (or whole when `at` is past its end).
inline Counted run_split(std::string_view requests, std::string_view responses, std::size_t at) {
  return run_with(requests, responses, [at](Connection& c, Side side, std::string_view bytes) {
    c.send_cut(side, bytes, {at});
  });
}

inline Counted run_reference(std::string_view requests, std::string_view responses) {
  hs_ref::Streams streams;
  streams.requests = requests;
  streams.responses = responses;
  const hs_ref::Outcome o = hs_ref::parse(streams, reference_limits());
  Counted out;
  for (const hs_ref::Exchange& e : o.exchanges) out.pairs.push_back({e.method, e.status});
  for (unsigned i = 0; i < HN_COUNT; i++) out.notes[i] = o.notes[i];
  return out;
}

inline std::array<unsigned, HN_COUNT> notes(
    std::initializer_list<std::pair<http_note, unsigned>> l) {
  std::array<unsigned, HN_COUNT> out{};
  for (const auto& [note, n] : l) out[note] = n;
  return out;
}

// A request with no body.
inline std::string request_line(std::string_view method, std::string_view target = "/") {
  return std::string(method) + " " + std::string(target) +
         " HTTP/1.1\r\nHost: example.test\r\n\r\n";
}

// A final response with an empty body.
inline std::string empty_response(unsigned status) {
  return "HTTP/1.1 " + std::to_string(status) + " Reason\r\nContent-Length: 0\r\n\r\n";
}

}  // namespace hs_test

#endif  // HTTP_STATISTICS_TESTS_PARSER_PARSER_TEST_UTIL_H
