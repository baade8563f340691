#include "engine_maps.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/types.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "http_statistics.h"

namespace hs::test {
namespace {

// fd -> map id of every BPF map descriptor of this process.
std::map<int, std::uint32_t> map_fds_held() {
  std::map<int, std::uint32_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fdinfo", ec)) {
    std::ifstream in(entry.path());
    std::string key;
    std::uint32_t id = 0;
    while (in >> key)
      if (key == "map_id:" && in >> id) out[std::stoi(entry.path().filename())] = id;
  }
  return out;
}

// All keys of a hash map, by get_next_key (entries may change meanwhile: a
// key deleted during the walk restarts it from the first key, which only
// repeats keys; duplicates are harmless to the callers' questions).
template <typename Key>
std::vector<Key> keys_of(int fd) {
  std::vector<Key> out;
  Key key{}, next{};
  const Key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    out.push_back(next);
    key = next;
    prev = &key;
    if (out.size() > (1u << 22)) break;  // a map cannot hold that many: a loop
  }
  return out;
}

// Counts the sockets of one family whose sock_diag reply carries storage of
// the map behind map_fd.
std::size_t sockets_with_storage(int family, int map_fd) {
  const int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) throw std::runtime_error(std::string("netlink socket: ") + std::strerror(errno));
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
    nlattr storages;  // nested: which storage maps to report
    nlattr map;
    __u32 map_fd;
  } msg{};
  msg.header.nlmsg_len = sizeof msg;
  msg.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.request.sdiag_family = static_cast<__u8>(family);
  msg.request.sdiag_protocol = IPPROTO_TCP;
  msg.request.idiag_states = ~0u;
  msg.storages.nla_len = sizeof(nlattr) * 2 + sizeof(__u32);
  msg.storages.nla_type = NLA_F_NESTED | INET_DIAG_REQ_SK_BPF_STORAGES;
  msg.map.nla_len = sizeof(nlattr) + sizeof(__u32);
  msg.map.nla_type = SK_DIAG_BPF_STORAGE_REQ_MAP_FD;
  msg.map_fd = static_cast<__u32>(map_fd);
  if (send(nl, &msg, sizeof msg, 0) != static_cast<ssize_t>(sizeof msg)) {
    close(nl);
    throw std::runtime_error(std::string("sock_diag request: ") + std::strerror(errno));
  }
  std::size_t count = 0;
  alignas(nlmsghdr) static thread_local char buf[1 << 16];
  for (bool done = false; !done;) {
    const ssize_t n = recv(nl, buf, sizeof buf, 0);
    if (n <= 0) {
      close(nl);
      throw std::runtime_error(std::string("sock_diag reply: ") + std::strerror(errno));
    }
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        done = true;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        const int err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
        close(nl);
        throw std::runtime_error(std::string("sock_diag: ") + std::strerror(err));
      }
      // Attributes follow the inet_diag_msg; the storage one appears only
      // when the socket holds an element of the requested map.
      const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      int attr_len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
      for (auto* a = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(m) +
                                                     NLMSG_ALIGN(sizeof *m));
           attr_len >= static_cast<int>(sizeof(nlattr)) && a->nla_len >= sizeof(nlattr) &&
           a->nla_len <= attr_len;
           attr_len -= NLA_ALIGN(a->nla_len),
                 a = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(a) +
                                                     NLA_ALIGN(a->nla_len)))
        if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_SK_BPF_STORAGES) ++count;
    }
  }
  close(nl);
  return count;
}

}  // namespace

std::set<std::uint32_t> map_ids_held() {
  std::set<std::uint32_t> out;
  for (const auto& [fd, id] : map_fds_held()) out.insert(id);
  return out;
}

EngineMaps::EngineMaps(const std::set<std::uint32_t>& before) {
  std::map<std::string, std::uint32_t> ids;
  for (const auto& [fd, id] : map_fds_held()) {
    if (before.count(id)) continue;
    bpf_map_info info{};
    std::uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) continue;
    const std::string name = info.name;
    if (name != "procs" && name != "accepted" && name != "stats" && name != "conns") continue;
    const auto [it, fresh] = ids.emplace(name, id);
    if (!fresh && it->second != id)
      throw std::runtime_error("two new maps named " + name + ": more than one engine was created");
    if (fresh) fds_[name] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  }
  for (const char* name : {"procs", "accepted", "stats", "conns"})
    if (!fds_.count(name) || fds_[name] < 0)
      throw std::runtime_error(std::string("map ") + name + " of the engine not found");
}

EngineMaps::~EngineMaps() {
  for (const auto& [name, fd] : fds_)
    if (fd >= 0) close(fd);
}

int EngineMaps::fd(const std::string& name) const { return fds_.at(name); }

std::vector<ProcessKey> EngineMaps::procs() const {
  std::vector<ProcessKey> out;
  for (const __u32 tgid : keys_of<__u32>(fd("procs"))) {
    __u64 start = 0;
    if (bpf_map_lookup_elem(fd("procs"), &tgid, &start) == 0) out.push_back({tgid, start});
  }
  return out;
}

std::vector<ProcessKey> EngineMaps::accepted_owners() const {
  std::vector<ProcessKey> out;
  for (const __u64 cookie : keys_of<__u64>(fd("accepted"))) {
    hs_process owner{};
    if (bpf_map_lookup_elem(fd("accepted"), &cookie, &owner) == 0)
      out.push_back({owner.tgid, owner.start_ns});
  }
  return out;
}

std::vector<ProcessKey> EngineMaps::stats_owners() const {
  std::vector<ProcessKey> out;
  for (const hs_stats_key& k : keys_of<hs_stats_key>(fd("stats")))
    out.push_back({k.tgid, k.start_ns});
  return out;
}

std::size_t EngineMaps::sockets_with_storage() const {
  return hs::test::sockets_with_storage(AF_INET, fd("conns")) +
         hs::test::sockets_with_storage(AF_INET6, fd("conns"));
}

}  // namespace hs::test
