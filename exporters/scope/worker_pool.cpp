#include "worker_pool.h"

#include <algorithm>

namespace hs::scope {

WorkerPool::WorkerPool(std::size_t threads) {
  threads_.reserve(threads);
  try {
    // At least one thread: queued jobs own sockets that only a thread closes.
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i)
      threads_.emplace_back([this] { work(); });
  } catch (...) {
    shutdown();
    throw;
  }
}

WorkerPool::~WorkerPool() { shutdown(); }

void WorkerPool::enqueue(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
    update_starved();
  }
  wake_.notify_one();
}

void WorkerPool::shutdown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkerPool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      ++free_threads_;
      update_starved();
      wake_.wait(lock, [this] { return shutting_down_ || !jobs_.empty(); });
      --free_threads_;
      if (jobs_.empty()) return;  // shutting down and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
      update_starved();
    }
    job();
  }
}

}  // namespace hs::scope
