#include <gtest/gtest.h>

#include "cgroup.h"
#include "temp_dir.h"

namespace hs {
namespace {

TEST(Cgroup2Mount, FindsTheCgroup2Line) {
  test::TempDir dir;
  const std::string path = dir.write(
      "mountinfo",
      "22 1 0:21 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
      "30 22 0:26 / /sys/fs/cgroup/cpu rw shared:9 - cgroup cgroup rw,cpu\n"
      "35 22 0:30 / /sys/fs/cgroup/unified rw,nosuid shared:14 - cgroup2 cgroup2 rw\n");
  EXPECT_EQ(find_cgroup2_mount(path), "/sys/fs/cgroup/unified");
}

TEST(Cgroup2Mount, EmptyWhenThereIsNone) {
  test::TempDir dir;
  const std::string path =
      dir.write("mountinfo", "30 22 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
  EXPECT_EQ(find_cgroup2_mount(path), "");
  EXPECT_EQ(find_cgroup2_mount(dir.file("missing")), "");
}

}  // namespace
}  // namespace hs
