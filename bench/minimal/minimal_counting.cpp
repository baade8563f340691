// Loads bench/minimal/minimal_counting.bpf.c on a cgroup v2 directory, says
// "attached" on stdout, and on SIGTERM or SIGINT prints what it counted
// ("<status> <count>" per line) and exits: the links are held by this
// process's file descriptors only, so nothing outlives it.
//
// Usage: minimal_counting CGROUP_DIR
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "minimal_counting.h"
#include "minimal_counting.skel.h"

namespace {

using Skeleton = std::unique_ptr<minimal_counting, decltype(&minimal_counting__destroy)>;
using Link = std::unique_ptr<bpf_link, decltype(&bpf_link__destroy)>;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

std::runtime_error failure(const std::string& what, int err) {
  return std::runtime_error(what + ": " + std::strerror(err));
}

void print_counts(const minimal_counting& skel) {
  const int ncpus = libbpf_num_possible_cpus();
  if (ncpus <= 0) throw failure("counting CPUs", -ncpus);
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpus));
  for (std::uint32_t status = 100; status < MC_STATUS_SLOTS; ++status) {
    if (bpf_map__lookup_elem(skel.maps.mc_status, &status, sizeof(status), per_cpu.data(),
                             per_cpu.size() * sizeof(std::uint64_t), 0) != 0)
      throw failure("reading the counters", errno);
    std::uint64_t total = 0;
    for (const std::uint64_t n : per_cpu) total += n;
    if (total != 0) std::printf("%u %llu\n", status, static_cast<unsigned long long>(total));
  }
}

int run(const char* cgroup) {
  // Block the stop signals before any thread exists; sigwait takes them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &stop, nullptr) != 0) throw failure("blocking signals", errno);

  const Fd cgroup_fd(open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (cgroup_fd.get() < 0) throw failure(std::string("opening ") + cgroup, errno);
  const Skeleton skel(minimal_counting__open_and_load(), minimal_counting__destroy);
  if (!skel) throw failure("loading the programs", errno);
  std::vector<Link> links;
  for (bpf_program* program :
       {skel->progs.mc_sockops, skel->progs.mc_ingress, skel->progs.mc_egress}) {
    Link link(bpf_program__attach_cgroup(program, cgroup_fd.get()), bpf_link__destroy);
    if (!link) throw failure(std::string("attaching ") + bpf_program__name(program), errno);
    links.push_back(std::move(link));
  }
  std::printf("attached\n");
  std::fflush(stdout);

  int sig = 0;
  if (sigwait(&stop, &sig) != 0) throw failure("waiting for a signal", errno);
  links.clear();  // detach first: the counts are then final
  print_counts(*skel);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CGROUP_DIR\n", argv[0]);
    return 2;
  }
  try {
    return run(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "minimal_counting: %s\n", e.what());
    return 1;
  }
}
