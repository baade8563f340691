// Accept-Encoding negotiation and the gzip coding.
#include <gtest/gtest.h>

#include <random>

#include "gzip.h"
#include "helpers/gunzip.h"

namespace hs::prom {
namespace {

TEST(AcceptsGzip, Negotiation) {
  EXPECT_TRUE(accepts_gzip("gzip"));                     // what Prometheus sends
  EXPECT_TRUE(accepts_gzip("deflate, gzip, br, zstd"));  // curl --compressed
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip(" br;q=1.0 , gzip;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("gzip;Q=0.001"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.000"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));  // an explicit refusal wins over *
  EXPECT_FALSE(accepts_gzip("gzipfoo"));
  EXPECT_FALSE(accepts_gzip("gzip;q=banana"));
}

TEST(GzipCompress, RoundTrips) {
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "http_server_requests_total{process_pid=\"" + std::to_string(i) + "\"} 1\n";
  for (int level : {1, 6, 9}) {
    const std::string gz = gzip_compress(text, level);
    ASSERT_GE(gz.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
    EXPECT_LT(gz.size(), text.size() / 5) << "level " << level;
    EXPECT_EQ(hs::testing::gunzip(gz), text) << "level " << level;
  }
}

TEST(GzipCompress, IncompressibleAndEmptyInput) {
  std::mt19937 rng(42);
  std::string noise(1 << 20, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  EXPECT_EQ(hs::testing::gunzip(gzip_compress(noise, 1)), noise);
  EXPECT_EQ(hs::testing::gunzip(gzip_compress("", 1)), "");
}

}  // namespace
}  // namespace hs::prom
