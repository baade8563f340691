// The kernel's BTF cut down to what the CO-RE relocations of our BPF objects
// read, for libbpf to relocate against (bpf_object_open_opts.btf_custom_path).
//
// libbpf otherwise parses all of /sys/kernel/btf/vmlinux (5.5 MB on Debian
// 12's kernel) for every object it loads, and holds two copies of it while it
// does: that was half of the daemon's memory peak. Reading the file once and
// keeping only the structs and members the relocations name (with their
// kernel offsets, sizes and kinds) gives libbpf the same answers for a few
// kilobytes. The idea is bpftool's `gen min_core_btf`, done at start on the
// running kernel.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace hs {

// A BPF object file (ELF) as bytes, e.g. a skeleton's elf_bytes().
using ElfBytes = std::span<const std::byte>;

// Raw BTF holding the types and members of `kernel_btf` (raw BTF, such as
// /sys/kernel/btf/vmlinux) that the field relocations of `objects` refer to,
// plus the types those members have (structs reached through a pointer are
// kept by name and size only). Throws std::runtime_error on malformed input
// and on a relocation kind it cannot cut for (enum and type-matching ones).
std::vector<std::byte> cut_kernel_btf(const std::vector<ElfBytes>& objects,
                                      const std::string& kernel_btf = "/sys/kernel/btf/vmlinux");

// Raw BTF in an anonymous memory file, named by a path libbpf can open for as
// long as this lives.
class BtfFile {
 public:
  explicit BtfFile(const std::vector<std::byte>& raw_btf);
  ~BtfFile();
  BtfFile(const BtfFile&) = delete;
  BtfFile& operator=(const BtfFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace hs
