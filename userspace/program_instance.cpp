#include "program_instance.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hs {

void ProgramInstance::CloseObject::operator()(bpf_object* obj) const { bpf_object__close(obj); }

ProgramInstance::ProgramInstance(const void* elf, std::size_t size, const std::string& program,
                                 bpf_object* maps_from) {
  // The same object name as the first instance gives internal maps (.bss,
  // .rodata) the same names, which is how they are matched below.
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = bpf_object__name(maps_from));
  obj_.reset(bpf_object__open_mem(elf, size, &opts));
  if (!obj_)
    throw std::runtime_error("opening the BPF object failed: " + std::string(std::strerror(errno)));

  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, obj_.get()) {
    const bool wanted = program == bpf_program__name(prog);
    bpf_program__set_autoload(prog, wanted);
    if (wanted) program_ = prog;
  }
  if (!program_) throw std::runtime_error("the BPF object has no program " + program);

  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, obj_.get()) {
    const bpf_map* shared = bpf_object__find_map_by_name(maps_from, bpf_map__name(map));
    if (!shared) throw std::runtime_error(std::string("no map to share for ") + bpf_map__name(map));
    if (int err = bpf_map__reuse_fd(map, bpf_map__fd(shared)); err)
      throw std::runtime_error(std::string("sharing map ") + bpf_map__name(map) +
                               " failed: " + std::strerror(-err));
  }
}

ProgramInstance::~ProgramInstance() = default;

int ProgramInstance::load() { return bpf_object__load(obj_.get()); }

}  // namespace hs
