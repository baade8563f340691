#include "probe_id.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace hs::scope {
namespace {

TEST(ProbeId, TheProbesHexIdsAndTheCheckersNameAreIds) {
  for (const char* id : {"1a", "5ca1ab1e", "7fffffffffffffff", "scope-probe-check", "probe_2.b"}) {
    EXPECT_TRUE(is_probe_id(id)) << id;
  }
  EXPECT_TRUE(is_probe_id(std::string(kMaxProbeIdLength, 'f')));
}

TEST(ProbeId, WhatCouldNotComeFromAProbeIsNoId) {
  for (const std::string& id :
       {std::string(), std::string(kMaxProbeIdLength + 1, 'f'), std::string("a\"b"),
        std::string("a\\b"), std::string("a b"), std::string("\xc3\xa9"), std::string("a\nb"),
        std::string("a\0b", 3), std::string("a/b")}) {
    EXPECT_FALSE(is_probe_id(id)) << id;
  }
}

TEST(LastProbeId, KeepsTheLatestIdAndIgnoresWhatIsNone) {
  LastProbeId last;
  EXPECT_EQ(last.get(), "");
  last.seen("aaaa");
  last.seen("");
  last.seen("not one");
  EXPECT_EQ(last.get(), "aaaa");
  last.seen("bbbb");
  EXPECT_EQ(last.get(), "bbbb");
}

TEST(LastProbeId, ReadersSeeAWholeIdWhileOthersWriteOne) {
  LastProbeId last;
  const std::string a(kMaxProbeIdLength, 'a');
  const std::string b(kMaxProbeIdLength, 'b');
  std::vector<std::jthread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) last.seen((i + t) % 2 ? a : b);
    });
  }
  for (int i = 0; i < 20000; ++i) {
    const std::string seen = last.get();
    ASSERT_TRUE(seen.empty() || seen == a || seen == b) << seen;
  }
}

}  // namespace
}  // namespace hs::scope
