#include "net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "wait.h"

namespace hs::test {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Closes a descriptor on every path out of a function.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

std::uint16_t free_tcp_port() {
  Fd s{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a = loopback(0);
  if (bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
  socklen_t len = sizeof a;
  if (getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error(std::string("getsockname: ") + std::strerror(errno));
  return ntohs(a.sin_port);
}

bool wait_for_tcp(std::uint16_t port, std::chrono::milliseconds timeout) {
  return wait_until(
      [port] {
        Fd s{socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
        if (s.fd < 0) return false;
        sockaddr_in a = loopback(port);
        return connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      },
      timeout);
}

bool tcp_listening(std::uint16_t port) {
  // "  sl  local_address rem_address   st ..." with addresses as HEX_IP:HEX_PORT;
  // 0100007F is 127.0.0.1 and state 0A is LISTEN.
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);
  char want[32];
  std::snprintf(want, sizeof want, "0100007F:%04X", port);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state;
    f >> sl >> local >> remote >> state;
    if (local == want && state == "0A") return true;
  }
  return false;
}

}  // namespace hs::test
