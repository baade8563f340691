// What the loader tells a user when the kernel's verifier refuses a program,
// from a real refusal: the engine's receive program loaded as a socket
// filter, a type that may not call the helpers it calls.
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>

#include "ci.h"
#include "http_statistics.skel.h"
#include "parser_loop.h"
#include "verifier_log.h"

namespace {

using Skeleton = std::unique_ptr<http_statistics, void (*)(http_statistics*)>;

// Loading needs root; in CI a test that needs it fails instead of skipping.
#define REQUIRE_ROOT()                                                      \
  do {                                                                      \
    if (geteuid() != 0) {                                                   \
      if (hs::test::running_in_ci()) FAIL() << "needs root, and CI is set"; \
      GTEST_SKIP() << "loads BPF programs: needs root";                     \
    }                                                                       \
  } while (0)

Skeleton open_engine_object() {
  Skeleton skel(http_statistics__open(), http_statistics__destroy);
  if (!skel) ADD_FAILURE() << "cannot open the engine's BPF object";
  return skel;
}

TEST(VerifierLogTest, ARefusedProgramIsNamedWithTheVerifiersLastLines) {
  REQUIRE_ROOT();
  Skeleton skel = open_engine_object();
  ASSERT_TRUE(skel);
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, skel->obj) { bpf_program__set_autoload(p, false); }
  bpf_program__set_autoload(skel->progs.hs_ingress, true);
  bpf_program__set_type(skel->progs.hs_ingress, BPF_PROG_TYPE_SOCKET_FILTER);

  const hs::VerifierLogs logs(skel->obj);
  const int err = http_statistics__load(skel.get());
  ASSERT_NE(err, 0) << "a socket filter may not use socket storage: the load should fail";
  const std::string why = logs.refusal(err);
  EXPECT_NE(why.find("the kernel's verifier refused hs_ingress"), std::string::npos) << why;
  EXPECT_NE(why.find("The verifier's last lines:\n  "), std::string::npos) << why;
  // Not the complexity limit: the sentence must not blame it.
  EXPECT_EQ(why.find("more instructions than"), std::string::npos) << why;
}

TEST(VerifierLogTest, AcceptedProgramsReportWhatTheVerifierProcessed) {
  REQUIRE_ROOT();
  Skeleton skel = open_engine_object();
  ASSERT_TRUE(skel);
  // The egress program this kernel takes: with bpf_loop or without.
  const std::string egress_name =
      hs::parser_program("hs_egress", hs::choose_parser_loop(BPF_PROG_TYPE_CGROUP_SKB));
  bpf_program* egress_prog = bpf_object__find_program_by_name(skel->obj, egress_name.c_str());
  ASSERT_NE(egress_prog, nullptr) << egress_name;
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, skel->obj) {
    bpf_program__set_autoload(p, p == skel->progs.hs_sockops || p == egress_prog);
  }
  const hs::VerifierLogs logs(skel->obj);
  ASSERT_EQ(http_statistics__load(skel.get()), 0);
  const auto verified = logs.verified();
  ASSERT_EQ(verified.size(), 2U);
  for (const auto& v : verified) {
    EXPECT_GT(v.processed_insns, 0U) << v.name;
    EXPECT_LT(v.processed_insns, hs::kVerifierInsnLimit) << v.name;
  }
  // The packet program has loops and many paths; sockops has a few.
  const auto& sockops = verified[0].name == "hs_sockops" ? verified[0] : verified[1];
  const auto& egress = verified[0].name == egress_name ? verified[0] : verified[1];
  EXPECT_EQ(sockops.name, "hs_sockops");
  EXPECT_EQ(egress.name, egress_name);
  EXPECT_GT(egress.processed_insns, 10 * sockops.processed_insns);
}

TEST(VerifierLogTest, StatisticsAreReadFromTheLastStatisticsLine) {
  const auto v = hs::parse_verifier_stats(
      "p",
      "BPF program is too large. Processed 1000001 insn\nverification time 19900638 usec\n"
      "stack depth 0+32\nprocessed 1000001 insns (limit 1000000) max_states_per_insn 27\n");
  EXPECT_EQ(v.processed_insns, 1000001U);
  EXPECT_EQ(v.verification_us, 19900638U);
  EXPECT_EQ(hs::parse_verifier_stats("p", "").processed_insns, 0U);
}

}  // namespace
