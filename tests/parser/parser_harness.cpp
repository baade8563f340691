#include "parser_harness.h"

#include <algorithm>

namespace hs_test {

Connection::Connection(const Options& options)
    : options_(options),
      request_{options.request_isn, std::string(options.handshake_payload, '?')},
      response_{options.response_isn, {}} {
  if (options.preset_seq) {
    // What hs_sockops does when the connection is established.
    conn_.req.next_seq = options.request_isn;
    conn_.req.flags = HF_SEQ;
    conn_.resp.next_seq = options.response_isn;
    conn_.resp.flags = HF_SEQ;
    if (options.handshake_payload) {
      conn_.req.next_seq += options.handshake_payload;
      conn_.req.flags |= HF_SKIPPED | HF_FED;
    }
  }
}

void Connection::send(Side side, std::string_view bytes) {
  Direction& d = direction(side);
  const std::size_t at = d.sent.size();
  d.sent.append(bytes);
  feed_at(side, at, bytes);
}

void Connection::send_pieces(Side side, std::string_view bytes, std::size_t piece) {
  piece = std::max<std::size_t>(piece, 1);
  for (std::size_t at = 0; at < bytes.size(); at += piece) send(side, bytes.substr(at, piece));
}

void Connection::send_cut(Side side, std::string_view bytes, const std::vector<std::size_t>& cuts) {
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    if (cut <= from || cut >= bytes.size()) continue;
    send(side, bytes.substr(from, cut - from));
    from = cut;
  }
  send(side, bytes.substr(from));
}

void Connection::skip(Side side, std::size_t n) { direction(side).sent.append(n, '?'); }

void Connection::resend(Side side, std::size_t from, std::size_t len) {
  const std::string& sent = direction(side).sent;
  feed_at(side, from, std::string_view(sent).substr(from, len));
}

void Connection::feed_at(Side side, std::uint64_t stream_offset, std::string_view payload) {
  const std::size_t room = options_.header_room;
  const std::size_t total = room + payload.size();
  // Exactly sized so that ASan flags any load past the payload.
  auto bytes = std::make_unique<std::uint8_t[]>(std::max<std::size_t>(total, 1));
  std::memset(bytes.get(), 0xA5, room);
  if (!payload.empty()) std::memcpy(bytes.get() + room, payload.data(), payload.size());
  SegmentBytes segment{bytes.get(), total};

  for (std::size_t i = 0; i < sizeof(buf_.b); i++)
    buf_.b[i] = static_cast<__u8>(scratch_pattern_[i % scratch_pattern_.size()]);

  http_feed feed{};
  feed.src = &segment;
  feed.conn = &conn_;
  feed.st = side == Side::kRequest ? &conn_.req : &conn_.resp;
  feed.buf = &buf_;
  feed.user = &recorder_;
  feed.now_ns = now_ns_;
  feed.response = side == Side::kResponse;
  const auto seq = static_cast<std::uint32_t>(direction(side).isn + stream_offset);
  http_feed_segment(&feed, seq, static_cast<__u32>(room), static_cast<__u32>(payload.size()));
}

std::vector<std::string> Connection::templates() const {
  std::vector<std::string> out;
  for (const Exchange& e : recorder_.exchanges)
    out.push_back(recorder_.template_text(e.url_template));
  return out;
}

std::vector<Pair> pairs(const std::vector<Exchange>& exchanges) {
  std::vector<Pair> out;
  out.reserve(exchanges.size());
  for (const Exchange& e : exchanges) out.push_back({e.method, e.status});
  return out;
}

const char* method_name(unsigned method) {
  static constexpr const char* kNames[] = {"OTHER",  "GET",     "HEAD",    "POST",  "PUT",
                                           "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  return method < std::size(kNames) ? kNames[method] : "?";
}

std::string describe(const std::vector<Pair>& list) {
  std::string out = "[";
  for (const Pair& p : list) {
    if (out.size() > 1) out += ", ";
    out += method_name(p.method);
    out += ' ';
    out += std::to_string(p.status);
  }
  return out + "]";
}

}  // namespace hs_test
