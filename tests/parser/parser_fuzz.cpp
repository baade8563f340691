// libFuzzer target: every input is a connection (see scenario.h). The kernel parser must
// stay inside its buffers (ASan, UBSan and the harness's load check) and count exactly
// what the reference parser counts, however the streams are cut into segments.
#include <cstdio>
#include <cstdlib>

#include "scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const hs_test::Scenario scenario = hs_test::scenario_from_bytes(data, size);
  const std::string problems = hs_test::check_scenario(scenario);
  if (!problems.empty()) {
    std::fprintf(stderr, "parser and reference disagree:\n%s", problems.c_str());
    std::abort();
  }
  return 0;
}
