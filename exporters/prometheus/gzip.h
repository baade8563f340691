// The gzip content coding of /metrics responses.
#pragma once

#include <string>
#include <string_view>

namespace hs::prom {

// Does an Accept-Encoding header value accept gzip? Honours q-values
// ("gzip;q=0" refuses), "x-gzip" and "*"; codings are case-insensitive.
bool accepts_gzip(std::string_view accept_encoding);

// `data` as a gzip member (RFC 1952). Throws std::runtime_error if zlib fails.
std::string gzip_compress(std::string_view data, int level);

}  // namespace hs::prom
