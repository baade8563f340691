// A full-size /metrics (1,000 processes x 20 series, the total cap applying):
// the same bytes as prometheus-cpp's TextSerializer, accepted by promtool, and
// served gzipped by the real exporter.
#include <gtest/gtest.h>
#include <httplib.h>

#include <locale>
#include <memory>
#include <sstream>
#include <string>

#include <prometheus/text_serializer.h>

#include "fleet_snapshot.h"
#include "helpers/exposition.h"
#include "helpers/gunzip.h"
#include "metrics_exporter.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "text_format.h"

#ifndef HS_PROMTOOL
#define HS_PROMTOOL ""
#endif

namespace hs::prom {
namespace {

using hs::testing::fleet_snapshot;

class LargeExposition : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    snapshot_ = std::make_shared<const Snapshot>(fleet_snapshot(1000, 20));
  }
  static void TearDownTestSuite() { snapshot_.reset(); }

  static std::shared_ptr<const Snapshot> snapshot_;
};

std::shared_ptr<const Snapshot> LargeExposition::snapshot_;

TEST_F(LargeExposition, SameBytesAsTextSerializer) {
  const auto snap = snapshot_;
  const auto families = SnapshotCollector([snap] { return snap; }, {}).Collect();
  std::ostringstream reference;
  reference.imbue(std::locale::classic());
  prometheus::TextSerializer().Serialize(reference, families);
  const std::string ours = serialize_text(families);
  EXPECT_GT(ours.size(), 30'000'000u);  // tens of megabytes: the size that matters
  EXPECT_TRUE(ours == reference.str()) << "the texts differ";
}

TEST_F(LargeExposition, TotalCapKeepsTenThousandSeries) {
  const auto e = hs::testing::parse_exposition(render_text(*snapshot_, {}));
  EXPECT_EQ(hs::testing::find_samples(e, "http_server_requests_total").size(), 10'000u);
  EXPECT_EQ(hs::testing::find_samples(e, "http_server_request_duration_seconds_bucket").size(),
            10'000u * 15);
  EXPECT_EQ(
      hs::testing::sample_value(e, "http_statistics_series_dropped_total", {{"reason", "total"}}),
      10'000);
}

TEST_F(LargeExposition, PassesPromtool) {
  if (std::string(HS_PROMTOOL).empty())
    GTEST_SKIP() << "promtool not found at configure time (Debian package: prometheus)";
  const hs::test::TempDir scratch("hs-promtool-");
  const auto r = hs::test::run({HS_PROMTOOL, "check", "metrics"}, scratch.path(),
                               std::chrono::minutes(2), render_text(*snapshot_, {}));
  EXPECT_EQ(r.status.code, 0) << r.out.substr(0, 2000) << r.err.substr(0, 2000);
  EXPECT_EQ(r.out + r.err, "");
}

TEST_F(LargeExposition, ServedGzippedByTheExporter) {
  ExporterOptions options;
  options.address = "127.0.0.1:0";
  const auto snap = snapshot_;
  Exporter exporter(options, [snap] { return snap; });
  exporter.start();
  httplib::Client client("127.0.0.1", exporter.port());
  client.set_decompress(false);  // the test's own gunzip reads the body
  client.set_read_timeout(30, 0);
  const auto res = client.Get("/metrics", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Encoding"), "gzip");
  EXPECT_LT(res->body.size(), 4'000'000u);
  // One scrape: its series-drop counter equals a single rendering's.
  EXPECT_TRUE(hs::testing::gunzip(res->body) == render_text(*snapshot_, options))
      << "the gzipped body is not the exposition";
}

}  // namespace
}  // namespace hs::prom
