// One program of the BPF object, loaded from an instance of the object of its
// own that shares every map of an instance already loaded.
//
// The two packet programs take the verifier almost all of the start-up time;
// each in an instance of its own, they are verified at the same time on two
// CPUs instead of one after the other.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

struct bpf_object;
struct bpf_program;

namespace hs {

class ProgramInstance {
 public:
  // Opens the object from `elf` with only `program` to load and every map
  // reused from `maps_from` (loaded). Throws std::runtime_error.
  ProgramInstance(const void* elf, std::size_t size, const std::string& program,
                  bpf_object* maps_from);
  ~ProgramInstance();
  ProgramInstance(const ProgramInstance&) = delete;
  ProgramInstance& operator=(const ProgramInstance&) = delete;

  // Verifies and loads the program: 0 or a negative errno. Instances may load
  // concurrently.
  int load();
  bpf_program* program() const { return program_; }

 private:
  struct CloseObject {
    void operator()(bpf_object* obj) const;
  };
  std::unique_ptr<bpf_object, CloseObject> obj_;
  bpf_program* program_ = nullptr;
};

}  // namespace hs
