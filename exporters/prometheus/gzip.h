// The gzip content coding of /metrics responses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace hs::prom {

// Does an Accept-Encoding header value accept gzip? Honours q-values
// ("gzip;q=0" refuses), "x-gzip" and "*"; codings are case-insensitive.
bool accepts_gzip(std::string_view accept_encoding);

// One run of a gzip member's content, compressed on its own as it arrives in
// pieces: raw DEFLATE blocks that end byte-aligned and not final. Runs of
// consecutive content, compressed at the same time on different threads, join
// in order into one member (gzip_join). Each starts without the previous
// run's history, which costs a few hundred bytes per run.
class DeflateRun {
 public:
  // `level` as gzip's, 1 (fastest) to 9; `expected_size` (of the content)
  // only sizes the first output buffer.
  explicit DeflateRun(int level, std::size_t expected_size = 0);
  ~DeflateRun();
  DeflateRun(const DeflateRun&) = delete;
  DeflateRun& operator=(const DeflateRun&) = delete;
  DeflateRun(DeflateRun&&) noexcept;
  DeflateRun& operator=(DeflateRun&&) noexcept;

  // Appends `data` to the content. Throws std::runtime_error if the
  // compressor fails, std::logic_error after finish().
  void write(std::string_view data);

  struct Compressed {
    // The blocks: `blocks_size` bytes. Not a std::string, which would zero
    // its room for the output first (fresh memory faulted in for nothing).
    std::unique_ptr<char[]> blocks;
    std::size_t blocks_size = 0;
    std::uint32_t crc = 0;   // CRC-32 of the content
    std::uint64_t size = 0;  // bytes of content

    std::string_view deflate() const { return {blocks.get(), blocks_size}; }
  };
  // Ends the run. Once only.
  Compressed finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The gzip member (RFC 1952) holding the runs' contents in order.
std::string gzip_join(std::span<const DeflateRun::Compressed> runs);

// A gzip member compressed as its content arrives in pieces, so that content
// never has to exist as a whole.
class GzipWriter {
 public:
  explicit GzipWriter(int level, std::size_t expected_size = 0) : run_(level, expected_size) {}

  // As DeflateRun's.
  void write(std::string_view data) { run_.write(data); }
  // Ends the member and returns all of it. Once only.
  std::string finish();

 private:
  DeflateRun run_;
};

// `data` as a gzip member (RFC 1952); `level` as GzipWriter's.
// Throws std::runtime_error if the compressor fails.
std::string gzip_compress(std::string_view data, int level);

}  // namespace hs::prom
