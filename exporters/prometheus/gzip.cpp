#include "gzip.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <span>
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
struct DeflateRun::State {
  isal_zstream stream{};  // holds the window: too large for a worker's stack
  std::unique_ptr<std::uint8_t[]> level_buffer;
  std::unique_ptr<char[]> out;  // room for `capacity` bytes, written up to `used`
  std::size_t capacity = 0;
  std::size_t used = 0;

  void grow_to(std::size_t bytes) {
    auto bigger = std::make_unique_for_overwrite<char[]>(bytes);
    if (used != 0) std::memcpy(bigger.get(), out.get(), used);
    out = std::move(bigger);
    capacity = bytes;
  }

  std::uint32_t crc = 0;
  std::uint64_t size = 0;

  // Runs the compressor over `data`; with `flush`, then empties it and aligns
  // the output to a byte (a sync flush), without ending the stream.
  void deflate(std::string_view data, bool flush) {
    // ISA-L counts in uint32_t: feed and drain at most 1 GiB at a time.
    constexpr std::size_t kChunk = std::size_t{1} << 30;
    stream.flush = flush ? SYNC_FLUSH : NO_FLUSH;
    stream.end_of_stream = 0;
    std::size_t in_pos = 0;
    for (;;) {
      if (used == capacity) grow_to(capacity + capacity / 2 + 4096);
      const std::size_t in_n = std::min(kChunk, data.size() - in_pos);
      const std::size_t out_n = std::min(kChunk, capacity - used);
      // ISA-L's API is not const-correct; it never writes to next_in.
      stream.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(data.data() + in_pos));
      stream.avail_in = static_cast<std::uint32_t>(in_n);
      stream.next_out = reinterpret_cast<std::uint8_t*>(out.get() + used);
      stream.avail_out = static_cast<std::uint32_t>(out_n);
      if (isal_deflate(&stream) != COMP_OK) throw std::runtime_error("gzip: isal_deflate failed");
      in_pos += in_n - stream.avail_in;
      used += out_n - stream.avail_out;
      // Output room left over means all input taken (and a flush complete).
      if (stream.avail_out != 0 && in_pos == data.size()) return;
    }
  }
};

DeflateRun::DeflateRun(int level, std::size_t expected_size) : state_(std::make_unique<State>()) {
  // ISA-L's levels run 0-3; gzip's 1-9 map onto 1-3. Above 1 they cost more
  // time for little or no gain on exposition text (level 3 is ~5 times slower
  // for 4% less), so the exporter uses 1; ISA-L's level 0 is no faster on it.
  const std::uint32_t isal_level = level <= 1 ? 1 : level <= 5 ? 2 : 3;
  const std::size_t level_buffer_size = isal_level == 1   ? ISAL_DEF_LVL1_DEFAULT
                                        : isal_level == 2 ? ISAL_DEF_LVL2_DEFAULT
                                                          : ISAL_DEF_LVL3_DEFAULT;
  state_->level_buffer = std::make_unique_for_overwrite<std::uint8_t[]>(level_buffer_size);
  isal_deflate_init(&state_->stream);
  state_->stream.level = isal_level;
  state_->stream.level_buf = state_->level_buffer.get();
  state_->stream.level_buf_size = static_cast<std::uint32_t>(level_buffer_size);
  state_->stream.gzip_flag = IGZIP_DEFLATE;
  // Exposition text shrinks tenfold or more; the output grows if it does
  // not. Room never written is never faulted in.
  state_->grow_to(expected_size / 8 + 1024);
}

DeflateRun::~DeflateRun() = default;
DeflateRun::DeflateRun(DeflateRun&&) noexcept = default;
DeflateRun& DeflateRun::operator=(DeflateRun&&) noexcept = default;

void DeflateRun::write(std::string_view data) {
  if (!state_) throw std::logic_error("DeflateRun::write after finish");
  if (data.empty()) return;
  state_->crc = crc32_gzip_refl(state_->crc, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  state_->size += data.size();
  state_->deflate(data, false);
}

DeflateRun::Compressed DeflateRun::finish() {
  if (!state_) throw std::logic_error("DeflateRun::finish called twice");
  state_->deflate({}, true);
  Compressed done{std::move(state_->out), state_->used, state_->crc, state_->size};
  state_.reset();
  return done;
}

namespace {

void put_le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::string gzip_join(std::span<const DeflateRun::Compressed> runs) {
  // No name, no time, no extra flags; made on Unix.
  constexpr std::string_view kHeader("\x1f\x8b\x08\0\0\0\0\0\0\x03", 10);
  // The runs end byte-aligned and not final: an empty final block with fixed
  // codes (BFINAL=1, BTYPE=01, end-of-block) ends the stream.
  constexpr std::string_view kLastBlock("\x03\0", 2);
  std::size_t bytes = kHeader.size() + kLastBlock.size() + 8;
  for (const auto& run : runs) bytes += run.blocks_size;
  std::string out;
  out.reserve(bytes);
  out += kHeader;
  std::uint32_t crc = 0;
  std::uint64_t size = 0;
  for (const auto& run : runs) {
    out += run.deflate();
    crc = static_cast<std::uint32_t>(::crc32_combine(crc, run.crc, static_cast<z_off_t>(run.size)));
    size += run.size;
  }
  out += kLastBlock;
  put_le32(out, crc);
  put_le32(out, static_cast<std::uint32_t>(size));  // ISIZE: the size modulo 2^32
  return out;
}

std::string GzipWriter::finish() {
  const DeflateRun::Compressed run = run_.finish();
  return gzip_join({&run, 1});
}

std::string gzip_compress(std::string_view data, int level) {
  GzipWriter writer(level, data.size());
  writer.write(data);
  return writer.finish();
}

}  // namespace hs::prom
