// Finding the libssl.so.3 files to probe, in a fake /proc: each distinct file
// once, reached through the process's own root (containers).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "libssl_files.h"
#include "temp_dir.h"

namespace hs {
namespace {

std::string maps_line(const std::string& path) {
  return "7f0000000000-7f0000001000 r-xp 00000000 fd:00 1234 " + path + "\n";
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(LibsslFiles, FindsContainerCopiesThroughTheProcessRootEachFileOnce) {
  test::TempDir proc("hs-fakeproc-");
  // Two processes of one container share one file; another container has its
  // own copy; a process without libssl and a non-process entry are ignored.
  const std::string lib_a = proc.write("100/root/usr/lib/libssl.so.3", "ELF a");
  proc.write("100/maps", maps_line("/usr/lib/libssl.so.3") + maps_line("/usr/lib/libssl.so.3") +
                             maps_line("/usr/lib/libcrypto.so.3"));
  proc.write("101/root/usr/lib/libssl.so.3", "");  // replaced below by a hard link to lib_a
  std::filesystem::remove(proc.file("101/root/usr/lib/libssl.so.3"));
  std::filesystem::create_hard_link(lib_a, proc.file("101/root/usr/lib/libssl.so.3"));
  proc.write("101/maps", maps_line("/usr/lib/libssl.so.3"));
  const std::string lib_b = proc.write("200/root/opt/ssl/lib64/libssl.so.3", "ELF b");
  proc.write("200/maps", maps_line("/opt/ssl/lib64/libssl.so.3"));
  proc.write("300/maps", maps_line("/usr/lib/libc.so.6") + "7f00-7f01 rw-p 00000000 00:00 0\n");
  proc.write("self/maps", maps_line("/usr/lib/libssl.so.3"));
  // A deleted library (after an upgrade) cannot be probed by path.
  proc.write("400/maps", maps_line("/usr/lib/libssl.so.3 (deleted)"));

  const auto found = find_libssl_files(proc.path());
  std::size_t fake = 0;
  for (const auto& f : found) fake += f.rfind(proc.path(), 0) == 0;
  EXPECT_EQ(fake, 2u);
  EXPECT_TRUE(contains(found, proc.path() + "/100/root/usr/lib/libssl.so.3") ||
              contains(found, proc.path() + "/101/root/usr/lib/libssl.so.3"));
  EXPECT_TRUE(contains(found, proc.path() + "/200/root/opt/ssl/lib64/libssl.so.3"));
}

TEST(LibsslFiles, ExtraPathsCountOnceAndMissingOnesAreIgnored) {
  test::TempDir dir("hs-libssl-");
  test::TempDir proc("hs-fakeproc-");
  const std::string lib = dir.write("libssl.so.3", "ELF");
  const auto found = find_libssl_files(proc.path(), {lib, lib, dir.file("missing/libssl.so.3")});
  EXPECT_EQ(std::count(found.begin(), found.end(), lib), 1);
  EXPECT_FALSE(contains(found, dir.file("missing/libssl.so.3")));
}

}  // namespace
}  // namespace hs
