// Who owns a connection's counts: the process that accept()ed it, whichever
// accept syscall it used and whichever process later writes the responses.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <sstream>

#include "http_client.h"
#include "kernel_fixture.h"
#include "split_server.h"

namespace hs::test {
namespace {

class OwnershipTest : public KernelTest {};

// The pids in split_server's "served ... by PID" lines.
std::set<pid_t> serving_pids(const SplitServer& s) {
  std::set<pid_t> out;
  for (const auto& line : s.served()) {
    const auto by = line.rfind(" by ");
    if (by != std::string::npos) out.insert(std::stoi(line.substr(by + 4)));
  }
  return out;
}

TEST_F(OwnershipTest, AcceptorOwnsConnectionsServedByForkedChildren) {
  SplitServerOptions o;
  o.fork_per_connection = true;
  SplitServer s(o);
  for (int conn = 0; conn < 3; ++conn) {
    HttpClient c(s.port());
    c.send(make_request("GET", "/") + make_request("GET", "/status/404"));
    c.read_responses(2);
  }
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 3}, {"GET 404", 3}}));

  ASSERT_TRUE(s.wait_served(6));
  const auto servers = serving_pids(s);
  EXPECT_EQ(servers.size(), 3u);  // a child per connection
  const auto snap = refresh();
  for (pid_t child : servers) {
    EXPECT_NE(child, s.pid());
    EXPECT_EQ(find_process(*snap, child), nullptr) << "child " << child;
  }
}

TEST_F(OwnershipTest, PlainAcceptIsSeenLikeAccept4) {
  SplitServerOptions o;
  o.plain_accept = true;
  SplitServer s(o);
  for (int conn = 0; conn < 2; ++conn) {
    HttpClient c(s.port());
    c.send(make_request("GET", "/status/202"));
    c.read_response();
  }
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 202", 2}}));
}

TEST_F(OwnershipTest, UdpIsNeverCounted) {
  SplitServerOptions o;
  o.udp = true;
  SplitServer s(o);

  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(s.port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string req = make_request("GET", "/");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(sendto(fd, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a),
              static_cast<ssize_t>(req.size()));
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 10000), 1) << "no UDP reply";
    char reply[512];
    ASSERT_GT(recv(fd, reply, sizeof reply, 0), 0);
  }
  close(fd);
  EXPECT_EQ(find_process(*refresh(), s.pid()), nullptr);
}

}  // namespace
}  // namespace hs::test
