// A deliberately plain reading of the rules of kernel/http_parser.h, used to check it.
//
// It sees each direction as one string, so nothing here knows about segments, windows or
// sequence numbers. Where the kernel parser has a documented limit, the same limit is
// written out here as a rule (a Content-Length or Transfer-Encoding line longer than the
// kept prefix is unusable, for example) so that the two agree on every input.
//
// A request stream that ends inside a request line (a client that stopped in the middle
// of it) has one more request for the responses: the first response after all complete
// requests are answered answers it, with the method its first bytes name.
//
// A response whose request was not seen (missed in a gap or pushed out of the pipeline)
// and whose headers announce a body may be the answer to a HEAD: the bytes after its
// headers decide (see kernel/http_parser.h, http_peek).
//
// Ordering: the whole request stream is taken to arrive before the first response
// byte. Pairing depends on how requests and responses interleave (how many requests are
// unanswered when the next one arrives, whether the receive side was already lost when
// a response arrives); this order makes it a function of the two streams alone.
#ifndef HTTP_STATISTICS_TESTS_PARSER_REFERENCE_PARSER_H
#define HTTP_STATISTICS_TESTS_PARSER_REFERENCE_PARSER_H

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace hs_ref {

// Same order as enum http_method, checked where both are visible.
enum Method : unsigned {
  kOther = 0,
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kConnect,
  kOptions,
  kTrace,
  kPatch,
};

// Same order as enum http_note.
enum Note : unsigned {
  kNotHttp = 0,
  kSeqGap,
  kStepBudget,
  kPipelineOverflow,
  kUnmatchedResponse,
  kBadHeader,
  kRequestUnseen,
  kFramingGuessed,
  kNoteCount,
};

struct Streams {
  std::string requests;   // bytes from the client, in order
  std::string responses;  // bytes from the server, in order
  // The side missed bytes right after its stream above (a TCP sequence gap).
  bool request_gap = false;
  bool response_gap = false;
  // The receive side's first bytes were never seen (they rode in a TCP Fast Open SYN):
  // `requests` starts after them, and responses finding no request still count.
  bool request_skipped = false;
};

struct Exchange {
  Method method;
  unsigned status;
  bool timed = false;  // paired with a remembered request, so it has a latency
  // Its request's URL template (reference_template.h); "" when it has none or its
  // request was not seen.
  std::string url_template;
  bool operator==(const Exchange&) const = default;
};

struct Outcome {
  std::vector<Exchange> exchanges;
  std::array<unsigned, kNoteCount> notes{};
};

// The kernel parser's sizes that change what counts (HTTP_LINE_MAX, HTTP_PIPELINE).
struct Limits {
  std::size_t kept_line = 64;  // bytes of a line its framing headers are read from
  std::size_t pipeline = 16;   // latest unanswered requests whose method is remembered
};

Outcome parse(const Streams& streams, const Limits& limits = {});

}  // namespace hs_ref

#endif  // HTTP_STATISTICS_TESTS_PARSER_REFERENCE_PARSER_H
