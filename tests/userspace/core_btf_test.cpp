// The kernel BTF cut (userspace/core_btf.h) against the real kernel BTF of
// this machine and the real BPF objects: every member it keeps is the
// kernel's, at the kernel's offset, in a struct of the kernel's size.
#include "core_btf.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "http_statistics.skel.h"
#include "http_statistics_tls.skel.h"
#include "temp_dir.h"

namespace hs {
namespace {

constexpr const char* kVmlinux = "/sys/kernel/btf/vmlinux";

using BtfPtr = std::unique_ptr<btf, void (*)(btf*)>;

std::vector<ElfBytes> our_objects() {
  std::size_t socket_size = 0;
  std::size_t tls_size = 0;
  const void* socket = http_statistics__elf_bytes(&socket_size);
  const void* tls = http_statistics_tls__elf_bytes(&tls_size);
  return {{static_cast<const std::byte*>(socket), socket_size},
          {static_cast<const std::byte*>(tls), tls_size}};
}

BtfPtr parse(const std::vector<std::byte>& raw) {
  return {btf__new(raw.data(), static_cast<std::uint32_t>(raw.size())), btf__free};
}

// The kernel's composite named `name` (with the kind of `like`) that has a
// member `member` at `bit_offset`, or null.
const btf_type* kernel_match(const btf* kernel, const std::string& name, const btf_type* like,
                             const std::string& member, std::uint32_t bit_offset) {
  for (std::uint32_t id = 1; id < btf__type_cnt(kernel); ++id) {
    const btf_type* t = btf__type_by_id(kernel, id);
    if (btf_kind(t) != btf_kind(like) || name != btf__name_by_offset(kernel, t->name_off)) continue;
    if (member.empty()) return t;
    for (int i = 0; i < btf_vlen(t); ++i)
      if (member == btf__name_by_offset(kernel, btf_members(t)[i].name_off) &&
          btf_member_bit_offset(t, i) == bit_offset)
        return t;
  }
  return nullptr;
}

class CoreBtfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kVmlinux, R_OK) != 0) GTEST_SKIP() << "this kernel has no " << kVmlinux;
  }
};

TEST_F(CoreBtfTest, KeepsOnlyKernelMembersAtKernelOffsets) {
  const auto raw = cut_kernel_btf(our_objects());
  EXPECT_LT(raw.size(), 16u * 1024) << "the cut should be a few kilobytes, not the kernel's BTF";
  const BtfPtr cut = parse(raw);
  ASSERT_TRUE(cut);
  const BtfPtr kernel(btf__parse(kVmlinux, nullptr), btf__free);
  ASSERT_TRUE(kernel);

  int members = 0;
  bool saw_task_files = false;
  for (std::uint32_t id = 1; id < btf__type_cnt(cut.get()); ++id) {
    const btf_type* t = btf__type_by_id(cut.get(), id);
    if (!btf_is_composite(t) || t->name_off == 0) continue;
    const std::string name = btf__name_by_offset(cut.get(), t->name_off);
    if (btf_vlen(t) == 0) {
      const btf_type* k = kernel_match(kernel.get(), name, t, "", 0);
      ASSERT_NE(k, nullptr) << name << " is not a kernel type";
      EXPECT_EQ(k->size, t->size) << name;
    }
    for (int i = 0; i < btf_vlen(t); ++i) {
      const std::string member = btf__name_by_offset(cut.get(), btf_members(t)[i].name_off);
      if (member.empty()) continue;  // an anonymous holder: its members are checked in it
      const btf_type* k = kernel_match(kernel.get(), name, t, member, btf_member_bit_offset(t, i));
      ASSERT_NE(k, nullptr) << name << "." << member << " is not where the kernel has it";
      EXPECT_EQ(k->size, t->size) << name;
      ++members;
      saw_task_files |= name == "task_struct" && member == "files";
    }
  }
  // What on_accept() reads first: the cut is not empty by accident.
  EXPECT_TRUE(saw_task_files);
  EXPECT_GE(members, 10);
}

TEST_F(CoreBtfTest, SameInputSameCut) {
  EXPECT_EQ(cut_kernel_btf(our_objects()), cut_kernel_btf(our_objects()));
}

TEST(CoreBtfInput, MissingKernelBtfIsAClearError) {
  test::TempDir dir("hs-btf-");
  try {
    cut_kernel_btf(our_objects(), dir.path() + "/vmlinux");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
  }
}

TEST(CoreBtfInput, MalformedKernelBtfIsAClearError) {
  test::TempDir dir("hs-btf-");
  const std::string path = dir.path() + "/vmlinux";
  const std::pair<const char*, std::string> cases[] = {
      {"empty", ""},
      {"not BTF", std::string(64, 'x')},
      // A valid header whose type section runs past the end of the file.
      {"sections out of bounds", std::string("\x9f\xeb\x01\x00\x18\x00\x00\x00"
                                             "\x00\x00\x00\x00\x00\x10\x00\x00"
                                             "\x00\x10\x00\x00\x01\x00\x00\x00",
                                             24)},
  };
  for (const auto& [what, bytes] : cases) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    EXPECT_THROW(cut_kernel_btf(our_objects(), path), std::runtime_error) << what;
  }
}

TEST(CoreBtfInput, AnObjectThatIsNotElfIsAClearError) {
  const std::string junk(256, '\x7f');
  const std::vector<ElfBytes> objects = {
      {reinterpret_cast<const std::byte*>(junk.data()), junk.size()}};
  try {
    cut_kernel_btf(objects);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("ELF"), std::string::npos) << e.what();
  }
}

TEST(CoreBtfFile, PathReadsBackTheBytes) {
  const std::vector<std::byte> bytes = {std::byte{1}, std::byte{2}, std::byte{3}};
  BtfFile file(bytes);
  std::ifstream in(file.path(), std::ios::binary);
  const std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(back, std::string("\x01\x02\x03"));
}

}  // namespace
}  // namespace hs
