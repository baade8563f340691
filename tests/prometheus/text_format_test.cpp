// serialize_text writes exactly what prometheus-cpp's TextSerializer writes,
// for every metric type, awkward numbers and awkward label values.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <locale>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/text_serializer.h>

#include "text_format.h"

namespace hs::prom {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Limits = std::numeric_limits<double>;

std::string reference(const std::vector<MetricFamily>& families) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

// The first differing line, so a failure shows what went wrong.
std::string first_difference(const std::string& expected, const std::string& actual) {
  std::size_t at = 0;
  while (at < expected.size() && at < actual.size() && expected[at] == actual[at]) ++at;
  const std::size_t line = expected.rfind('\n', at) == std::string::npos
                               ? 0
                               : expected.rfind('\n', at == 0 ? 0 : at - 1) + 1;
  return "expected: " + expected.substr(line, expected.find('\n', at) - line) +
         "\n  actual: " + actual.substr(line, actual.find('\n', at) - line);
}

void expect_same_text(const std::vector<MetricFamily>& families) {
  const std::string expected = reference(families);
  const std::string actual = serialize_text(families);
  EXPECT_EQ(actual.size(), expected.size());
  ASSERT_TRUE(actual == expected) << first_difference(expected, actual);
}

// Doubles whose %.16g text has a trap: signs, exponents, rounding at the
// 16th digit, the integer fast path's edges, subnormals, the extremes.
std::vector<double> edge_doubles() {
  std::vector<double> v = {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           0.1,
                           0.1 + 0.2,
                           1.0 / 3.0,
                           2.0 / 3.0,
                           1e-9,
                           -1e-9,
                           1e-5,
                           1e-4,
                           0.0001234,
                           0.005,
                           0.075,
                           2.5,
                           7.5,
                           12.345,
                           123456789.125,
                           1e15,
                           1e15 + 0.5,
                           1e15 + 1.5,
                           999999999999999.9,
                           9999999999999998.0,
                           1e16 - 2,
                           1e16,
                           1e16 + 2,
                           -1e16,
                           -9999999999999998.0,
                           1e17,
                           1e21,
                           -1e21,
                           1e22,
                           123456789012345678.0,
                           9007199254740991.0,  // 2^53 - 1
                           9007199254740992.0,  // 2^53
                           9007199254740994.0,
                           -9007199254740992.0,
                           4503599627370495.5,
                           9.223372036854775807e18,  // INT64_MAX as a double
                           -9.223372036854775808e18,
                           1.8446744073709552e19,
                           Limits::max(),
                           -Limits::max(),
                           Limits::min(),
                           Limits::denorm_min(),
                           -Limits::denorm_min(),
                           Limits::min() / 3,
                           2.2250738585072009e-308,
                           Limits::epsilon(),
                           1.0 + Limits::epsilon(),
                           Limits::infinity(),
                           -Limits::infinity(),
                           Limits::quiet_NaN(),
                           -Limits::quiet_NaN(),
                           Limits::signaling_NaN(),
                           0.5,
                           1.5,
                           2.5e-300,
                           5e-324 * 7,
                           1.7976931348623157e307,
                           0.30000000000000004,
                           100.0,
                           1e100};
  // Every integer magnitude up to 2^53, plus and minus one around each power of two and ten.
  for (int bit = 0; bit <= 53; ++bit) {
    const double p = std::ldexp(1.0, bit);
    v.insert(v.end(), {p - 1, p, p + 1, -p});
  }
  for (double p = 1; p < 1e23; p *= 10) v.insert(v.end(), {p - 1, p, p + 1, p / 7, -p * 3});
  return v;
}

// Random doubles: raw bit patterns (every exponent, NaN payloads), integers,
// and the sort of value a latency sum is.
std::vector<double> random_doubles(std::mt19937_64& rng, std::size_t n) {
  std::vector<double> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    switch (i % 4) {
      case 0:
        v.push_back(std::bit_cast<double>(rng()));
        break;
      case 1:
        v.push_back(static_cast<double>(rng() >> (rng() % 64)));
        break;
      case 2:
        v.push_back(static_cast<double>(rng() % 100'000'000'000ULL) / 1e9);
        break;
      default:
        v.push_back(static_cast<double>(static_cast<std::int64_t>(rng())) /
                    std::ldexp(1.0, static_cast<int>(rng() % 120) - 60));
        break;
    }
  }
  return v;
}

ClientMetric::Label label(std::string name, std::string value) {
  return {std::move(name), std::move(value)};
}

// Label values that need escaping or are not ASCII.
const std::vector<std::string>& awkward_values() {
  static const std::vector<std::string> values = {
      "",
      "plain",
      "back\\slash",
      "\\",
      "\\\\",
      "quo\"te",
      "\"",
      "new\nline",
      "\n",
      "\\n",
      "all \\ \" \n three",
      "trailing\\",
      "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x9a\x80",
      "tab\there",
      "carriage\rreturn",
      "{x=\"1\"}, y",
      std::string(300, 'x') + "\"" + std::string(300, '\\'),
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      std::string("nul\0inside", 10),
  };
  return values;
}

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

TEST(TextFormat, EdgeDoublesInEveryPlaceAValueGoes) {
  const std::vector<double> values = edge_doubles();
  std::vector<MetricFamily> families;
  auto counter = family("c_total", "counter", MetricType::Counter);
  auto gauge = family("g", "gauge", MetricType::Gauge);
  auto untyped = family("u", "", MetricType::Untyped);
  auto summary = family("s", "summary", MetricType::Summary);
  auto histogram = family("h", "histogram", MetricType::Histogram);
  for (double v : values) {
    ClientMetric m;
    m.counter.value = v;
    m.gauge.value = v;
    m.untyped.value = v;
    m.summary.sample_sum = v;
    m.summary.quantile = {{v, v}, {0.5, v}};
    m.histogram.sample_sum = v;
    m.histogram.bucket = {{1, v}, {2, 0.25}};  // v as a bucket bound
    counter.metric.push_back(m);
    gauge.metric.push_back(m);
    untyped.metric.push_back(m);
    summary.metric.push_back(m);
    histogram.metric.push_back(m);
  }
  families = {counter, gauge, untyped, summary, histogram};
  expect_same_text(families);
}

TEST(TextFormat, RandomDoubles) {
  std::mt19937_64 rng(20261122);
  auto gauge = family("random_values", "Random doubles.", MetricType::Gauge);
  for (double v : random_doubles(rng, 200'000)) {
    ClientMetric m;
    m.gauge.value = v;
    gauge.metric.push_back(std::move(m));
  }
  expect_same_text({gauge});
}

TEST(TextFormat, RandomBucketBoundsAndQuantiles) {
  std::mt19937_64 rng(7);
  const std::vector<double> values = random_doubles(rng, 40'000);
  auto histogram = family("random_bounds", "h", MetricType::Histogram);
  auto summary = family("random_quantiles", "s", MetricType::Summary);
  for (std::size_t i = 0; i + 4 <= values.size(); i += 4) {
    ClientMetric h;
    h.histogram.sample_count = rng();
    h.histogram.sample_sum = values[i];
    h.histogram.bucket = {{rng(), values[i + 1]}, {rng(), values[i + 2]}, {rng(), values[i + 3]}};
    histogram.metric.push_back(std::move(h));
    ClientMetric s;
    s.summary.sample_count = rng();
    s.summary.sample_sum = values[i];
    s.summary.quantile = {{values[i + 1], values[i + 2]}, {values[i + 3], values[i]}};
    summary.metric.push_back(std::move(s));
  }
  expect_same_text({histogram, summary});
}

TEST(TextFormat, LabelValuesAreEscapedAsTextSerializerDoes) {
  auto gauge = family("labelled", "Awkward label values.", MetricType::Gauge);
  auto histogram =
      family("labelled_seconds", "And on every histogram line.", MetricType::Histogram);
  for (const std::string& value : awkward_values()) {
    ClientMetric m;
    m.label = {label("a", value), label("second_label_name", "v"), label("z", value)};
    m.gauge.value = 1;
    m.histogram.sample_count = 3;
    m.histogram.sample_sum = 0.5;
    m.histogram.bucket = {{1, 0.1}, {3, Limits::infinity()}};
    gauge.metric.push_back(m);
    histogram.metric.push_back(m);
    m.label = {label("only", value)};
    gauge.metric.push_back(m);
  }
  expect_same_text({gauge, histogram});
}

TEST(TextFormat, HelpIsWrittenAsGiven) {
  // TextSerializer 1.0 does not escape HELP text: the same bytes either way.
  std::vector<MetricFamily> families;
  for (const std::string& help : awkward_values()) {
    auto f = family("helped", help, MetricType::Gauge);
    f.metric.emplace_back();
    families.push_back(std::move(f));
  }
  expect_same_text(families);
}

TEST(TextFormat, EmptyFamiliesAndMetrics) {
  std::vector<MetricFamily> families;
  for (MetricType type : {MetricType::Counter, MetricType::Gauge, MetricType::Summary,
                          MetricType::Untyped, MetricType::Histogram}) {
    families.push_back(family("no_metrics", "A family without samples.", type));
    families.push_back(family("no_help", "", type));
    auto defaults = family("default_metric", "A default-constructed metric.", type);
    defaults.metric.emplace_back();  // no labels, no buckets, no quantiles
    families.push_back(std::move(defaults));
  }
  families.push_back(MetricFamily{});  // no name at all
  expect_same_text(families);
  expect_same_text({});
}

TEST(TextFormat, HistogramBucketsWithAndWithoutInfinity) {
  auto h = family("latency_seconds", "Buckets.", MetricType::Histogram);
  const std::vector<std::vector<ClientMetric::Bucket>> shapes = {
      {},
      {{5, Limits::infinity()}},
      {{1, 0.005}, {2, 0.01}, {3, 10}},
      {{1, 0.005}, {2, 0.01}, {9, Limits::infinity()}},
      {{1, Limits::infinity()}, {2, 0.5}},  // +Inf not last: a +Inf bucket is added
      {{1, -Limits::infinity()}},
      {{1, Limits::quiet_NaN()}},
      {{0, -0.0}, {0, 0.0}, {0, 1e-9}, {0, 1e21}},
  };
  for (const auto& buckets : shapes) {
    ClientMetric m;
    m.label = {label("route", "/a")};
    m.histogram.sample_count = 9;
    m.histogram.sample_sum = 0.123;
    m.histogram.bucket = buckets;
    h.metric.push_back(m);
    m.label.clear();
    h.metric.push_back(m);
  }
  expect_same_text({h});
}

TEST(TextFormat, LargeCountsAndTimestamps) {
  auto h = family("big", "Counts near the limits.", MetricType::Histogram);
  auto g = family("stamped", "With timestamps.", MetricType::Gauge);
  for (std::uint64_t count : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1} << 53,
                              std::numeric_limits<std::uint64_t>::max()}) {
    ClientMetric m;
    m.histogram.sample_count = count;
    m.histogram.bucket = {{count, 1.0}};
    h.metric.push_back(m);
  }
  for (std::int64_t ts :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{1'795'000'000'123},
        std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
    ClientMetric m;
    m.label = {label("t", "x")};
    m.gauge.value = 0.25;
    m.timestamp_ms = ts;
    g.metric.push_back(m);
    m.histogram.bucket = {{1, 0.5}};
    m.timestamp_ms = ts;
    h.metric.push_back(m);  // timestamps on _count, _sum and every bucket line
  }
  expect_same_text({h, g});
}

// Many generated families: random types, label sets, values and lengths.
TEST(TextFormat, RandomFamilies) {
  std::mt19937_64 rng(99);
  const auto& values = awkward_values();
  const std::vector<double> numbers = edge_doubles();
  const auto number = [&] {
    return rng() % 2 ? numbers[rng() % numbers.size()] : static_cast<double>(rng() % 1000);
  };
  const MetricType types[] = {MetricType::Counter, MetricType::Gauge, MetricType::Summary,
                              MetricType::Untyped, MetricType::Histogram};
  std::vector<MetricFamily> families;
  for (int f = 0; f < 300; ++f) {
    auto fam = family("family_" + std::to_string(f), rng() % 4 ? "Help " + std::to_string(f) : "",
                      types[rng() % 5]);
    const std::size_t metrics = rng() % 20;
    for (std::size_t i = 0; i < metrics; ++i) {
      ClientMetric m;
      const std::size_t labels = rng() % 6;
      for (std::size_t l = 0; l < labels; ++l)
        m.label.push_back(label("label_" + std::to_string(l), values[rng() % values.size()]));
      m.counter.value = number();
      m.gauge.value = number();
      m.untyped.value = number();
      m.summary.sample_count = rng();
      m.summary.sample_sum = number();
      for (std::size_t q = rng() % 4; q > 0; --q)
        m.summary.quantile.push_back({number(), number()});
      m.histogram.sample_count = rng();
      m.histogram.sample_sum = number();
      for (std::size_t b = rng() % 17; b > 0; --b) m.histogram.bucket.push_back({rng(), number()});
      if (rng() % 8 == 0) m.timestamp_ms = static_cast<std::int64_t>(rng());
      fam.metric.push_back(std::move(m));
    }
    families.push_back(std::move(fam));
  }
  expect_same_text(families);
}

// The pieces a sink receives add up to the same text, each ending with a
// whole line, whatever the piece size.
TEST(TextFormat, PiecesAddUpToTheText) {
  std::vector<MetricFamily> families;
  auto h = family("pieces_seconds", "Split into pieces.", MetricType::Histogram);
  for (int i = 0; i < 2000; ++i) {
    ClientMetric m;
    m.label = {label("i", std::to_string(i)), label("v", awkward_values()[i % 19])};
    m.histogram.sample_count = static_cast<std::uint64_t>(i);
    m.histogram.sample_sum = i / 7.0;
    m.histogram.bucket = {{1, 0.1}, {2, 1}, {3, Limits::infinity()}};
    h.metric.push_back(std::move(m));
  }
  families = {h, family("empty", "", MetricType::Gauge)};
  const std::string whole = serialize_text(families);
  for (std::size_t piece_size :
       {std::size_t{1}, std::size_t{1000}, std::size_t{64} << 10, std::size_t{1} << 30}) {
    std::string joined;
    std::size_t pieces = 0;
    const TextSink sink = [&](std::string_view piece) {
      ASSERT_FALSE(piece.empty());
      ASSERT_EQ(piece.back(), '\n');
      joined += piece;
      ++pieces;
    };
    TextBuffer out(piece_size, sink);
    serialize_text(families, out);
    EXPECT_EQ(std::move(out).take(), "");
    EXPECT_TRUE(joined == whole) << "piece size " << piece_size;
    if (piece_size == 1) {
      // Every metric and each family's HELP and TYPE lines.
      EXPECT_EQ(pieces, h.metric.size() + 2) << "one piece per metric and per header";
    }
    if (piece_size == std::size_t{1} << 30) {
      EXPECT_EQ(pieces, 1u);
    }
  }
}

}  // namespace
}  // namespace hs::prom
