#include "gzip.h"

#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

namespace hs::prom {
namespace {

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// The q-value of one "coding;param;param" element: 1 when absent. An
// unparsable one counts as 0: better uncompressed than a body the client
// cannot read.
double quality(std::string_view params) {
  while (!params.empty()) {
    const auto semi = params.find(';');
    const std::string_view param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (param.size() < 2 || !iequals(param.substr(0, 2), "q=")) continue;
    const std::string_view v = trim(param.substr(2));
    double q = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), q);
    if (ec != std::errc() || end != v.data() + v.size() || q < 0 || q > 1) return 0;
    return q;
  }
  return 1;
}

}  // namespace

bool accepts_gzip(std::string_view header) {
  std::optional<bool> gzip;  // an explicit gzip element decides
  std::optional<bool> any;   // otherwise "*" does
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view element = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    const auto semi = element.find(';');
    const std::string_view coding = trim(element.substr(0, semi));
    const double q = semi == std::string_view::npos ? 1 : quality(element.substr(semi + 1));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
      gzip = gzip.value_or(false) || q > 0;
    else if (coding == "*")
      any = q > 0;
  }
  return gzip ? *gzip : any.value_or(false);
}

// ISA-L's igzip instead of zlib: at its level 1 it compresses a large
// exposition about six times faster than zlib's level 1, and smaller.
struct GzipWriter::State {
  isal_zstream stream{};  // holds the window: too large for a worker's stack
  std::unique_ptr<std::uint8_t[]> level_buffer;
  std::string out;
  std::size_t used = 0;  // bytes of `out` written so far

  // Runs the compressor over `data` (`last`: and ends the member).
  void deflate(std::string_view data, bool last) {
    // ISA-L counts in uint32_t: feed and drain at most 1 GiB at a time.
    constexpr std::size_t kChunk = std::size_t{1} << 30;
    std::size_t in_pos = 0;
    for (;;) {
      if (used == out.size()) out.resize(out.size() + out.size() / 2 + 4096);
      const std::size_t in_n = std::min(kChunk, data.size() - in_pos);
      const std::size_t out_n = std::min(kChunk, out.size() - used);
      // ISA-L's API is not const-correct; it never writes to next_in.
      stream.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(data.data() + in_pos));
      stream.avail_in = static_cast<std::uint32_t>(in_n);
      stream.end_of_stream = last && in_pos + in_n == data.size() ? 1 : 0;
      stream.next_out = reinterpret_cast<std::uint8_t*>(out.data() + used);
      stream.avail_out = static_cast<std::uint32_t>(out_n);
      if (isal_deflate(&stream) != COMP_OK) throw std::runtime_error("gzip: isal_deflate failed");
      in_pos += in_n - stream.avail_in;
      used += out_n - stream.avail_out;
      // Done when all input is taken, and at the end when the trailer is out.
      const bool drained = stream.avail_out != 0 && in_pos == data.size();
      if (last ? stream.internal_state.state == ZSTATE_END : drained) return;
    }
  }
};

GzipWriter::GzipWriter(int level, std::size_t expected_size) : state_(std::make_unique<State>()) {
  // ISA-L's levels run 0-3; gzip's 1-9 map onto 1-3. Above 1 they cost more
  // time for little or no gain on exposition text (level 3 is ~5 times slower
  // for 4% less), so the exporter uses 1.
  const std::uint32_t isal_level = level <= 1 ? 1 : level <= 5 ? 2 : 3;
  const std::size_t level_buffer_size = isal_level == 1   ? ISAL_DEF_LVL1_DEFAULT
                                        : isal_level == 2 ? ISAL_DEF_LVL2_DEFAULT
                                                          : ISAL_DEF_LVL3_DEFAULT;
  state_->level_buffer = std::make_unique_for_overwrite<std::uint8_t[]>(level_buffer_size);
  isal_deflate_init(&state_->stream);
  state_->stream.level = isal_level;
  state_->stream.level_buf = state_->level_buffer.get();
  state_->stream.level_buf_size = static_cast<std::uint32_t>(level_buffer_size);
  state_->stream.gzip_flag = IGZIP_GZIP;
  // Exposition text shrinks about tenfold; the output grows if it does not.
  state_->out.resize(expected_size / 8 + 1024);
}

GzipWriter::~GzipWriter() = default;

void GzipWriter::write(std::string_view data) {
  if (!state_) throw std::logic_error("GzipWriter::write after finish");
  state_->deflate(data, false);
}

std::string GzipWriter::finish() {
  if (!state_) throw std::logic_error("GzipWriter::finish called twice");
  state_->deflate({}, true);
  std::string out = std::move(state_->out);
  out.resize(state_->used);
  state_.reset();
  return out;
}

std::string gzip_compress(std::string_view data, int level) {
  GzipWriter writer(level, data.size());
  writer.write(data);
  return writer.finish();
}

}  // namespace hs::prom
