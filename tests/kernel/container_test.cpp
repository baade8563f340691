// Servers set up the way containers run them: in their own network namespace
// (traffic on that namespace's loopback) and in a child cgroup of the root the
// engine attaches to. Counts still belong to the host pid.
#include <sstream>

#include "cgroup.h"
#include "cgroup_dir.h"
#include "http_client.h"
#include "kernel_fixture.h"
#include "paths.h"
#include "split_server.h"

namespace hs::test {
namespace {

class ContainerTest : public KernelTest {};

// Runs the server in a fresh network namespace with its loopback up; extra
// shell commands run there first (e.g. namespace-local sysctls).
std::vector<std::string> own_netns(const std::string& setup = "") {
  return {
      "unshare", "--net",
      "--",      "sh",
      "-c",      "ip link set lo up && " + (setup.empty() ? "" : setup + " && ") + "exec \"$@\"",
      "sh"};
}

// A TcpExt counter from the network namespace of pid.
std::uint64_t tcp_ext_counter(pid_t pid, const std::string& name) {
  // Pairs of lines: "TcpExt: Name1 Name2 ..." then "TcpExt: 1 2 ...".
  std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/net/netstat"));
  std::string names, values;
  while (std::getline(in, names) && std::getline(in, values)) {
    std::istringstream n(names), v(values);
    std::string key, value;
    while (n >> key && v >> value)
      if (key == name) return std::stoull(value);
  }
  return 0;
}

TEST_F(ContainerTest, ServerInItsOwnNetworkNamespace) {
  SplitServerOptions o;
  o.launcher = own_netns();
  SplitServer s(o);
  HttpClient::Options co;
  co.netns_of = s.pid();
  HttpClient c(s.port(), co);
  c.send(make_request("GET", "/") + make_request("POST", "/status/404", {}, "x"));
  c.read_responses(2);
  c.send(make_request("GET", "/status/200?split=3"));
  c.read_response();
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 2}, {"POST 404", 1}}));
}

TEST_F(ContainerTest, ServerInAChildCgroup) {
  const std::string root = find_cgroup2_mount();
  ASSERT_FALSE(root.empty());
  CgroupDir cg(root);  // declared first: removed after the server is gone
  SplitServerOptions o;
  // The listening socket is created inside the child cgroup, so accepted
  // sockets belong to it too.
  o.launcher = {"sh", "-c", cg.enter_and_exec(), "sh"};
  SplitServer s(o);
  ASSERT_NE(read_text(cg.path() + "/cgroup.procs").find(std::to_string(s.pid())),
            std::string::npos);
  HttpClient c(s.port());
  for (const char* t : {"/", "/status/503", "/?chunked=1"}) {
    c.send(make_request("GET", t));
    c.read_response();
  }
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 2}, {"GET 503", 1}}));
  s.stop();
}

TEST_F(ContainerTest, TcpFastOpenRequestInTheSynIsCountedInANetworkNamespace) {
  // TFO only in the server's own namespace: client and server enabled, no
  // cookie needed (0x1 | 0x2 | 0x4 | 0x200), so the first SYN carries data.
  SplitServerOptions o;
  o.launcher = own_netns("echo 519 > /proc/sys/net/ipv4/tcp_fastopen");
  o.fastopen = true;
  SplitServer s(o);
  HttpClient::Options co;
  co.netns_of = s.pid();
  co.fastopen = true;
  HttpClient c(s.port(), co);
  c.send(make_request("GET", "/status/201"));  // travels in the SYN
  EXPECT_EQ(c.read_response().status, 201);
  c.send(make_request("GET", "/status/202"));
  EXPECT_EQ(c.read_response().status, 202);
  ASSERT_EQ(tcp_ext_counter(s.pid(), "TCPFastOpenPassive"), 1u)
      << "the request did not travel in the SYN; the test proves nothing";

  // The SYN's data reaches the listening socket before the connection has
  // any state: hs_handshake parses it there and sockops hands it to the
  // connection, so it counts with its method and latency like the next one.
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 201", 1}, {"GET 202", 1}}));
  EXPECT_EQ(untimed(s.pid()), "");
}

}  // namespace
}  // namespace hs::test
