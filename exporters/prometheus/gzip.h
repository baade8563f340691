// The gzip content coding of /metrics responses.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace hs::prom {

// Does an Accept-Encoding header value accept gzip? Honours q-values
// ("gzip;q=0" refuses), "x-gzip" and "*"; codings are case-insensitive.
bool accepts_gzip(std::string_view accept_encoding);

// A gzip member (RFC 1952) compressed as its content arrives in pieces, so
// that content never has to exist as a whole.
class GzipWriter {
 public:
  // `level` as gzip's, 1 (fastest) to 9; `expected_size` (of the content)
  // only sizes the first output buffer.
  explicit GzipWriter(int level, std::size_t expected_size = 0);
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;

  // Appends `data` to the content. Throws std::runtime_error if the
  // compressor fails, std::logic_error after finish().
  void write(std::string_view data);
  // Ends the member and returns all of it. Once only.
  std::string finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// `data` as a gzip member (RFC 1952); `level` as GzipWriter's.
// Throws std::runtime_error if the compressor fails.
std::string gzip_compress(std::string_view data, int level);

}  // namespace hs::prom
