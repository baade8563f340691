// CO-RE against the kernel BTF cut gives the programs libbpf would have made
// with the whole kernel BTF: both BPF objects are loaded twice, once each
// way, and their relocated instructions compared one by one.
#include "core_btf.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "http_statistics.skel.h"
#include "http_statistics_tls.skel.h"
#include "kernel_fixture.h"
#include "parser_loop.h"

namespace hs::test {
namespace {

using ObjectPtr = std::unique_ptr<bpf_object, void (*)(bpf_object*)>;

ElfBytes socket_object() {
  std::size_t size = 0;
  const void* data = http_statistics__elf_bytes(&size);
  return {static_cast<const std::byte*>(data), size};
}

ElfBytes tls_object() {
  std::size_t size = 0;
  const void* data = http_statistics_tls__elf_bytes(&size);
  return {static_cast<const std::byte*>(data), size};
}

// Opens and loads `elf`; with a path, CO-RE uses that BTF instead of the
// kernel's own.
ObjectPtr load(ElfBytes elf, const char* name, const std::string& kernel_btf) {
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
  if (!kernel_btf.empty()) opts.btf_custom_path = kernel_btf.c_str();
  ObjectPtr obj(bpf_object__open_mem(elf.data(), elf.size(), &opts), bpf_object__close);
  if (!obj) return obj;
  // The series map is sized at run time by the engine: keep this one small.
  if (bpf_map* stats = bpf_object__find_map_by_name(obj.get(), "stats"))
    bpf_map__set_max_entries(stats, 1024);
  // The parser's programs as the engine picks them on this kernel: with
  // bpf_loop, or the *_steps ones without it.
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, obj.get()) {
    const std::string prog = bpf_program__name(p);
    const bool steps = prog.ends_with("_steps");
    const std::string base = steps ? prog.substr(0, prog.size() - 6) : prog;
    if (!steps && !bpf_object__find_program_by_name(obj.get(), (base + "_steps").c_str())) continue;
    bpf_program__set_autoload(
        p, parser_program(base.c_str(), choose_parser_loop(bpf_program__type(p))) == prog);
  }
  if (bpf_object__load(obj.get()) != 0) obj.reset();
  return obj;
}

// A map reference carries the map's fd, which differs between two loads.
bool is_map_reference(const bpf_insn& insn) {
  return insn.code == (BPF_LD | BPF_IMM | BPF_DW) &&
         (insn.src_reg == BPF_PSEUDO_MAP_FD || insn.src_reg == BPF_PSEUDO_MAP_VALUE ||
          insn.src_reg == BPF_PSEUDO_MAP_IDX || insn.src_reg == BPF_PSEUDO_MAP_IDX_VALUE);
}

void expect_same_programs(ElfBytes elf, const char* name) {
  const BtfFile cut(cut_kernel_btf({socket_object(), tls_object()}));
  const ObjectPtr whole = load(elf, name, "");
  const ObjectPtr with_cut = load(elf, name, cut.path());
  ASSERT_TRUE(whole) << name << " does not load with the kernel's BTF";
  ASSERT_TRUE(with_cut) << name << " does not load with the cut BTF";

  int programs = 0;
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, whole.get()) {
    const char* prog = bpf_program__name(p);
    const bpf_program* q = bpf_object__find_program_by_name(with_cut.get(), prog);
    ASSERT_NE(q, nullptr) << prog;
    ASSERT_EQ(bpf_program__insn_cnt(p), bpf_program__insn_cnt(q)) << prog;
    const bpf_insn* a = bpf_program__insns(p);
    const bpf_insn* b = bpf_program__insns(q);
    for (std::size_t i = 0; i < bpf_program__insn_cnt(p); ++i) {
      if (is_map_reference(a[i])) {
        EXPECT_TRUE(is_map_reference(b[i])) << prog << " insn " << i;
        ++i;  // the second half holds the offset into a map value: compare it
        EXPECT_EQ(a[i].imm, b[i].imm) << prog << " insn " << i;
        continue;
      }
      EXPECT_EQ(std::memcmp(&a[i], &b[i], sizeof(bpf_insn)), 0) << prog << " insn " << i;
    }
    ++programs;
  }
  EXPECT_GT(programs, 0);
}

class CoreBtfLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      if (running_in_ci()) FAIL() << "kernel tests must run as root in CI (CI is set)";
      GTEST_SKIP() << "loading BPF programs needs root";
    }
  }
};

TEST_F(CoreBtfLoadTest, SocketProgramsAreTheSameAsWithTheWholeKernelBtf) {
  expect_same_programs(socket_object(), "http_statistics");
}

TEST_F(CoreBtfLoadTest, TlsProgramsAreTheSameAsWithTheWholeKernelBtf) {
  expect_same_programs(tls_object(), "http_statistics_tls");
}

}  // namespace
}  // namespace hs::test
