#include "process_info.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hs {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) ||
        std::isupper(static_cast<unsigned char>(c)))
      return false;
  return true;
}

std::string read_cgroup_file(std::uint32_t pid, const std::string& proc_root) {
  std::ifstream cg(proc_root + "/" + std::to_string(pid) + "/cgroup");
  std::stringstream all;
  all << cg.rdbuf();
  return all.str();
}

}  // namespace

std::string container_id_from_cgroup(std::string_view cgroup_file) {
  // Path components look like "docker-<id>.scope", "cri-containerd-<id>.scope",
  // "crio-<id>", "libpod-<id>.scope" or a bare "<id>" (cgroupfs driver).
  std::size_t pos = 0;
  while (pos < cgroup_file.size()) {
    std::size_t end = cgroup_file.find_first_of("/\n", pos);
    if (end == std::string_view::npos) end = cgroup_file.size();
    std::string_view part = cgroup_file.substr(pos, end - pos);
    if (part.ends_with(".scope")) part.remove_suffix(6);
    if (const auto dash = part.rfind('-'); dash != std::string_view::npos && part.size() > 64)
      part.remove_prefix(dash + 1);
    if (is_hex64(part)) return std::string(part);
    pos = end + 1;
  }
  return "";
}

ProcessMetadata read_process_metadata(std::uint32_t pid, const NameSources& sources,
                                      const std::string& proc_root) {
  const std::string dir = proc_root + "/" + std::to_string(pid);
  ProcessMetadata m;
  m.comm = read_first_line(dir + "/comm");
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink(dir + "/exe", ec);
  m.executable_name = ec ? m.comm : exe.filename().string();
  // A replaced binary reads "nginx (deleted)": the name is still the name.
  if (const auto p = m.executable_name.find(" (deleted)"); p != std::string::npos)
    m.executable_name.resize(p);
  const std::string cgroup = read_cgroup_file(pid, proc_root);
  m.container_id = container_id_from_cgroup(cgroup);
  m.names = container_names(sources, cgroup, m.container_id);
  return m;
}

ContainerNames read_container_names(std::uint32_t pid, const NameSources& sources,
                                    const std::string& proc_root) {
  const std::string cgroup = read_cgroup_file(pid, proc_root);
  return container_names(sources, cgroup, container_id_from_cgroup(cgroup));
}

bool process_alive(std::uint32_t pid, std::uint64_t start_ns, const std::string& proc_root) {
  const std::string stat = read_first_line(proc_root + "/" + std::to_string(pid) + "/stat");
  // comm may hold spaces and parentheses: fields restart after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  // Field 3 (state) is the first after ')'; starttime is field 22.
  for (int i = 3; i < 22 && rest >> field; ++i) {
  }
  unsigned long long ticks = 0;
  if (!(rest >> ticks)) return false;
  const long hz = sysconf(_SC_CLK_TCK);
  const std::uint64_t ns_per_tick =
      1'000'000'000ULL / static_cast<std::uint64_t>(hz > 0 ? hz : 100);
  return ticks == start_ns / ns_per_tick;
}

}  // namespace hs
