#include "gunzip.h"

#include <zlib.h>

#include <array>
#include <stdexcept>

namespace hs::testing {

std::string gunzip(std::string_view data) {
  z_stream zs{};
  // 15 + 16: accept only the gzip wrapper, not zlib's or raw deflate.
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  std::array<char, 65536> buf{};
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf.data(), buf.size() - zs.avail_out);
  }
  const uInt left = zs.avail_in;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("not a complete gzip stream");
  if (left != 0) throw std::runtime_error("bytes after the gzip stream");
  return out;
}

}  // namespace hs::testing
