#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "process_info.h"

namespace hs {
namespace {

const std::string kId = "3f2c9a7d6b1e4c5a8f0d2b7e9c1a6d4f3e5b8c0a7d2f1e6b9c4a3d8e7f0b1c2d";

TEST(ContainerId, RecognisesTheCommonRuntimes) {
  EXPECT_EQ(container_id_from_cgroup("0::/system.slice/docker-" + kId + ".scope\n"), kId);
  EXPECT_EQ(container_id_from_cgroup("0::/kubepods.slice/kubepods-burstable.slice/"
                                     "cri-containerd-" +
                                     kId + ".scope\n"),
            kId);
  EXPECT_EQ(container_id_from_cgroup("0::/machine.slice/libpod-" + kId + ".scope\n"), kId);
  EXPECT_EQ(container_id_from_cgroup("0::/kubepods/besteffort/pod1234/crio-" + kId + "\n"), kId);
  EXPECT_EQ(container_id_from_cgroup("12:memory:/docker/" + kId + "\n"), kId);
}

TEST(ContainerId, EmptyOnTheHost) {
  EXPECT_EQ(container_id_from_cgroup("0::/\n"), "");
  EXPECT_EQ(container_id_from_cgroup("0::/user.slice/user-0.slice/session-1.scope\n"), "");
  // 64 characters but not lower-case hex.
  EXPECT_EQ(container_id_from_cgroup("0::/" + std::string(64, 'g') + "\n"), "");
}

TEST(ProcessMetadata, ReadsThisProcess) {
  const ProcessMetadata m =
      read_process_metadata(static_cast<std::uint32_t>(getpid()), NameSources::none());
  EXPECT_EQ(m.executable_name, "userspace_test");
  EXPECT_FALSE(m.comm.empty());
}

TEST(ProcessAlive, MatchesOnlyTheRightStartTime) {
  // start_boottime in ns for this process, from /proc/self/stat field 22.
  std::ifstream in("/proc/self/stat");
  std::string stat;
  std::getline(in, stat);
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i < 22; ++i) rest >> field;
  unsigned long long ticks = 0;
  rest >> ticks;
  const std::uint64_t ns =
      ticks * (1'000'000'000ULL / static_cast<std::uint64_t>(sysconf(_SC_CLK_TCK)));
  const auto pid = static_cast<std::uint32_t>(getpid());
  EXPECT_TRUE(process_alive(pid, ns));
  EXPECT_TRUE(process_alive(pid, ns + 1'000));              // same tick
  EXPECT_FALSE(process_alive(pid, ns + 5'000'000'000ULL));  // a reused pid
  EXPECT_FALSE(process_alive(0x7ffffff0, ns));
}

}  // namespace
}  // namespace hs
