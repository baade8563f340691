// The threads that serve plugin connections (cpp-httplib's TaskQueue).
//
// cpp-httplib hands each accepted connection to the task queue as one job
// that lasts as long as the connection, idle keep-alive time included. A
// fixed pool therefore needs a way to free threads held by idle connections
// when a new client waits: starved() tells the connection loop that a
// connection waits and no thread is free for it, and idle connections then
// close (which HTTP allows at any time between requests; the probe's Go
// client reconnects).
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hs::scope {

class WorkerPool final : public httplib::TaskQueue {
 public:
  // Starts the threads now, so a failure surfaces in Plugin::start().
  explicit WorkerPool(std::size_t threads);
  ~WorkerPool() override;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void enqueue(std::function<void()> job) override;
  // Runs every job already queued (each owns an accepted socket that must be
  // closed), then joins the threads. Idempotent.
  void shutdown() override;

  // True while more jobs wait than threads are free to take them. A job
  // that a free thread is about to pick up does not count: under load the
  // thread may take a few milliseconds to wake, and idle connections must
  // not close for nothing in the meantime.
  bool starved() const { return starved_.load(std::memory_order_relaxed); }
  // Threads waiting for a job (for tests and diagnostics).
  std::size_t free_threads() const {
    std::lock_guard lock(mu_);
    return free_threads_;
  }

 private:
  void work();
  void update_starved() { starved_.store(jobs_.size() > free_threads_, std::memory_order_relaxed); }

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::size_t free_threads_ = 0;  // threads waiting for a job (woken ones included)
  std::atomic<bool> starved_{false};
  bool shutting_down_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hs::scope
