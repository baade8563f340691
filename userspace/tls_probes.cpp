#include "tls_probes.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "http_statistics_tls.skel.h"
#include "shared_maps.h"

namespace hs {
namespace {

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

struct Probe {
  const char* function;
  bool retprobe;
  std::string program;
};

}  // namespace

TlsProbes::TlsProbes(bpf_object* shared, const std::vector<std::string>& libraries,
                     const std::string& kernel_btf, int cgroup_fd, ParserLoop loop,
                     const UrlTemplateOptions& templates)
    : skel_(nullptr, http_statistics_tls__destroy) {
  const auto started = std::chrono::steady_clock::now();
  LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = kernel_btf.c_str());
  skel_.reset(http_statistics_tls__open_opts(&opts));
  if (!skel_) throw std::runtime_error("opening the TLS BPF object failed: " + errno_text(errno));
  // Maps both objects define (kernel/counting.bpf.h); .bss and .rodata stay its own.
  share_maps(skel_->obj, shared, InternalMaps::Own);
  skel_->rodata->cgroup_only = cgroup_fd >= 0 ? 1 : 0;
  skel_->rodata->url_templates_on = templates.on ? 1 : 0;
  skel_->rodata->max_url_templates = templates.max_per_process;
  const std::string read_return = parser_program("hs_ssl_read_return", loop);
  const std::string write_return = parser_program("hs_ssl_write_return", loop);
  programs_ = {"hs_ssl_read_enter",     "hs_ssl_read_ex_enter", read_return,  "hs_ssl_write_enter",
               "hs_ssl_write_ex_enter", write_return,           "hs_ssl_free"};
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, skel_->obj) {
    bpf_program__set_autoload(
        p, std::find(programs_.begin(), programs_.end(), bpf_program__name(p)) != programs_.end());
  }
  {
    const VerifierLogs logs(skel_->obj);
    if (int err = http_statistics_tls__load(skel_.get()); err) {
      const std::string refused = logs.refusal(err);
      throw std::runtime_error("loading the TLS BPF programs failed: " +
                               (refused.empty() ? errno_text(err) : refused));
    }
    verified_ = logs.verified();
  }
  if (cgroup_fd >= 0) {
    const std::uint32_t first = 0;
    const std::uint32_t fd = static_cast<std::uint32_t>(cgroup_fd);
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.scope), &first, &fd, BPF_ANY))
      throw std::runtime_error("setting the TLS programs' cgroup failed: " + errno_text(errno));
  }

  // Return probes take the bytes actually moved; entry probes only remember
  // the buffer. SSL_free drops the connection's state.
  const Probe probes[] = {
      {"SSL_read", false, "hs_ssl_read_enter"},
      {"SSL_read", true, read_return},
      {"SSL_read_ex", false, "hs_ssl_read_ex_enter"},
      {"SSL_read_ex", true, read_return},
      {"SSL_write", false, "hs_ssl_write_enter"},
      {"SSL_write", true, write_return},
      {"SSL_write_ex", false, "hs_ssl_write_ex_enter"},
      {"SSL_write_ex", true, write_return},
      {"SSL_free", false, "hs_ssl_free"},
  };
  for (const auto& lib : libraries) {
    for (const auto& p : probes) {
      LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = p.retprobe, .func_name = p.function);
      bpf_link* link =
          bpf_program__attach_uprobe_opts(program(p.program), -1, lib.c_str(), 0, &opts);
      if (!link) {
        const int err = errno;
        throw std::runtime_error(std::string("attaching ") +
                                 (p.retprobe ? "uretprobe " : "uprobe ") + lib + ":" + p.function +
                                 " failed: " + errno_text(err));
      }
      links_.emplace_back(link, bpf_link__destroy);
    }
    libraries_.push_back(lib);
  }
  attach_duration_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
}

TlsProbes::~TlsProbes() {
  links_.clear();
  skel_.reset();
}

bpf_program* TlsProbes::program(const std::string& name) const {
  return bpf_object__find_program_by_name(skel_->obj, name.c_str());
}

void TlsProbes::set_paused_count(std::uint32_t n) { skel_->bss->paused_count = n; }

std::vector<ProgramHealth> TlsProbes::program_health() const {
  std::vector<ProgramHealth> out;
  const std::string where = "uprobes on " + std::to_string(libraries_.size()) + " libssl.so.3";
  for (const std::string& name : programs_) {
    bpf_program* prog = program(name);
    ProgramHealth h{name, where, 0, 0};
    bpf_prog_info info{};
    std::uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0) {
      h.run_time_ns = info.run_time_ns;
      h.run_count = info.run_cnt;
    }
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace hs
