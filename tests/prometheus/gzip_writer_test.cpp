// GzipWriter: a gzip member compressed piece by piece reads back as the
// concatenation of the pieces, however they are cut.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gzip.h"
#include "helpers/gunzip.h"

namespace hs::prom {
namespace {

std::string exposition_like(std::size_t lines) {
  std::string text;
  for (std::size_t i = 0; i < lines; ++i)
    text += "http_server_request_duration_seconds_bucket{process_pid=\"" + std::to_string(i % 977) +
            "\",le=\"0.005\"} " + std::to_string(i * 7919) + "\n";
  return text;
}

std::string compress_in_pieces(const std::string& text, std::size_t piece, int level) {
  GzipWriter writer(level);
  for (std::size_t at = 0; at < text.size(); at += piece) writer.write(text.substr(at, piece));
  return writer.finish();
}

TEST(GzipWriter, PiecesOfAnySizeRoundTrip) {
  const std::string text = exposition_like(50'000);
  for (std::size_t piece :
       {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{256} << 10, text.size()}) {
    const std::string gz = compress_in_pieces(text, piece, 1);
    EXPECT_LT(gz.size(), text.size() / 5) << "piece " << piece;
    EXPECT_TRUE(hs::testing::gunzip(gz) == text) << "piece " << piece;
  }
}

TEST(GzipWriter, EveryLevelRoundTrips) {
  const std::string text = exposition_like(20'000);
  for (int level = 0; level <= 9; ++level) {
    const std::string gz = compress_in_pieces(text, 10'000, level);
    EXPECT_LT(gz.size(), text.size() / 5) << "level " << level;
    EXPECT_TRUE(hs::testing::gunzip(gz) == text) << "level " << level;
  }
}

TEST(GzipWriter, OutputLargerThanExpectedGrows) {
  // Noise does not shrink: the output outgrows its first buffer many times.
  std::mt19937 rng(5);
  std::string noise(3 << 20, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  GzipWriter writer(1, 16);
  writer.write(noise.substr(0, 1 << 20));
  writer.write("");
  writer.write(noise.substr(1 << 20));
  EXPECT_TRUE(hs::testing::gunzip(writer.finish()) == noise);
}

TEST(GzipWriter, NothingWrittenIsAnEmptyMember) {
  GzipWriter writer(1);
  EXPECT_EQ(hs::testing::gunzip(writer.finish()), "");
}

TEST(GzipWriter, FinishEndsIt) {
  GzipWriter writer(1);
  writer.write("x");
  EXPECT_EQ(hs::testing::gunzip(writer.finish()), "x");
  EXPECT_THROW(writer.write("y"), std::logic_error);
  EXPECT_THROW(writer.finish(), std::logic_error);
}

// Runs of consecutive content compressed apart (as /metrics compresses the
// parts of a large body on several threads) join into one member, however
// the content is cut: empty runs, one-byte runs, runs of noise.
TEST(DeflateRun, RunsCompressedApartJoinIntoOneMember) {
  std::mt19937 rng(11);
  std::string text = exposition_like(30'000);
  for (std::size_t i = 0; i < 100'000; ++i) text[rng() % text.size()] = static_cast<char>(rng());
  for (std::size_t runs = 1; runs <= 6; ++runs) {
    for (int trial = 0; trial < 4; ++trial) {
      std::vector<std::size_t> cuts = {0, text.size()};
      for (std::size_t i = 1; i < runs; ++i)
        cuts.push_back(trial == 0 ? (i % 2) : rng() % (text.size() + 1));
      std::sort(cuts.begin(), cuts.end());
      std::vector<DeflateRun::Compressed> compressed;
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
        DeflateRun run(1);
        const std::string_view part = std::string_view(text).substr(cuts[i], cuts[i + 1] - cuts[i]);
        for (std::size_t at = 0; at < part.size(); at += 9'999) run.write(part.substr(at, 9'999));
        compressed.push_back(run.finish());
        EXPECT_EQ(compressed.back().size, part.size());
      }
      EXPECT_TRUE(hs::testing::gunzip(gzip_join(compressed)) == text)
          << runs << " runs, trial " << trial;
    }
  }
}

TEST(DeflateRun, NoRunsAndEmptyRunsAreAnEmptyMember) {
  EXPECT_EQ(hs::testing::gunzip(gzip_join({})), "");
  std::vector<DeflateRun::Compressed> empty;
  for (int i = 0; i < 3; ++i) empty.push_back(DeflateRun(1).finish());
  EXPECT_EQ(hs::testing::gunzip(gzip_join(empty)), "");
}

// The trailer's CRC-32 is combined from the runs' own, over runs of
// different sizes; zlib checks it and the total size on reading.
TEST(DeflateRun, TrailerCombinesTheChecksumsOfTheRuns) {
  const std::string text = exposition_like(1'000);
  std::vector<DeflateRun::Compressed> runs;
  std::string all;
  for (int i = 0; i < 5; ++i) {
    DeflateRun run(1);
    run.write(text.substr(0, 1000 + 777 * i));
    all += text.substr(0, 1000 + 777 * i);
    runs.push_back(run.finish());
  }
  EXPECT_TRUE(hs::testing::gunzip(gzip_join(runs)) == all);
}

}  // namespace
}  // namespace hs::prom
