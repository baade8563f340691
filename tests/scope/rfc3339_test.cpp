#include "rfc3339.h"

#include <gtest/gtest.h>

#include <chrono>

#include "test_support.h"

namespace hs::scope {
namespace {

using namespace std::chrono;
using testing::at;

TEST(Rfc3339, MicrosecondsAndZuluZone) {
  EXPECT_EQ(to_rfc3339(at(1s + 123456us)), "2026-11-22T12:00:01.123456Z");
  EXPECT_EQ(to_rfc3339(at()), "2026-11-22T12:00:00.000000Z");
}

TEST(Rfc3339, TruncatesNanosecondsInsteadOfRoundingIntoTheNextSecond) {
  EXPECT_EQ(to_rfc3339(at(999999999ns)), "2026-11-22T12:00:00.999999Z");
}

TEST(Rfc3339, CalendarEdges) {
  EXPECT_EQ(to_rfc3339(Clock::time_point{}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(to_rfc3339(Clock::time_point{sys_days{year{2024} / February / 29} + 23h + 59min + 59s}),
            "2024-02-29T23:59:59.000000Z");
  EXPECT_EQ(to_rfc3339(Clock::time_point{sys_days{year{2026} / December / 31}} + 86399s),
            "2026-12-31T23:59:59.000000Z");
}

TEST(Rfc3339, BeforeTheEpochFloorsTowardsThePast) {
  EXPECT_EQ(to_rfc3339(Clock::time_point{} - 1us), "1969-12-31T23:59:59.999999Z");
}

TEST(Rfc3339, WholeRangeOfTheClockHasFourDigitYears) {
  EXPECT_EQ(to_rfc3339(Clock::time_point::max()), "2262-04-11T23:47:16.854775Z");
  EXPECT_EQ(to_rfc3339(Clock::time_point::min()), "1677-09-21T00:12:43.145224Z");
}

}  // namespace
}  // namespace hs::scope
