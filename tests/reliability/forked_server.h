// A tiny HTTP/1.1 server in a process of its own, cloned from the test binary:
// cheap enough to start thousands of times, and a real server to the kernel
// (its own pid, listening socket, accept4, send).
//
// It answers every request on "/status/NNN" with status NNN (other targets:
// 200) and an empty body, pipelined requests in order, keeps each connection
// open until the client closes it, and exits after `connections` connections.
// The child only makes system calls (no allocation, no locks): the test binary
// has threads, and a cloned child must not touch what they might hold.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>

namespace hs::test {

struct ForkedServerOptions {
  // Directory fd of a cgroup v2 the child starts in (CLONE_INTO_CGROUP), so
  // its sockets belong to that cgroup; -1: the test's own cgroup.
  int cgroup_fd = -1;
  // The pid the child must get (clone3's set_tid; it must be free); 0: any.
  pid_t pid = 0;
  // Connections served (each until the client closes it) before exiting.
  int connections = 1;
  // Hand each accepted connection to a forked grandchild that serves it, and
  // exit right after accepting the last one: the process that owns the
  // connection's counts (the acceptor) is gone while its answers go on. The
  // grandchild exits when the client closes.
  bool hand_off = false;
};

// Does a start time in nanoseconds (as the kernel keeps it) fall in this
// clock tick (as /proc shows it)?
bool start_in_tick(std::uint64_t start_ns, unsigned long long ticks);

class ForkedServer {
 public:
  // Starts the child and waits until it listens on 127.0.0.1. Throws
  // std::system_error (errno EEXIST when options.pid is taken).
  explicit ForkedServer(const ForkedServerOptions& options = {});
  // Kills the child if it still runs, and reaps it.
  ~ForkedServer();
  ForkedServer(const ForkedServer&) = delete;
  ForkedServer& operator=(const ForkedServer&) = delete;

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  // The child's start time in clock ticks since boot (/proc/<pid>/stat
  // field 22): with the pid, it names this process even after the pid was
  // reused (the engine keeps the start time in nanoseconds).
  unsigned long long start_ticks() const { return start_ticks_; }
  // Does a snapshot's start_ns name this process?
  bool is_start_ns(std::uint64_t start_ns) const { return start_in_tick(start_ns, start_ticks_); }

  // Waits until the child exited (after its last connection) and reaps it.
  bool wait_exit(std::chrono::milliseconds timeout);
  // Reaped, and it exited with status 0 (it served every connection).
  bool exited_cleanly() const { return reaped_ && wait_status_ == 0; }
  void kill();

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool reaped_ = false;
  int wait_status_ = -1;
  std::uint16_t port_ = 0;
  unsigned long long start_ticks_ = 0;
};

}  // namespace hs::test
