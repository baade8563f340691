#include "worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <initializer_list>
#include <memory>
#include <thread>
#include <vector>

namespace hs::scope {
namespace {

using namespace std::chrono_literals;

// A job that holds its thread until released, like a kept-alive connection.
// Declare holders before the pool, and a LetGo after it.
class Holder {
 public:
  std::function<void()> job() {
    return [this] {
      started_.set_value();
      released_.wait();
    };
  }
  void wait_started() { started_.get_future().wait(); }
  void let_go() {
    if (!let_go_) release_.set_value();
    let_go_ = true;
  }

 private:
  std::promise<void> started_;
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  bool let_go_ = false;
};

// Releases holders on every way out of a test (a failed ASSERT included),
// before the pool's destructor joins the threads they hold.
class LetGo {
 public:
  LetGo(std::initializer_list<Holder*> holders) : holders_(holders) {}
  ~LetGo() {
    for (Holder* h : holders_) h->let_go();
  }
  LetGo(const LetGo&) = delete;
  LetGo& operator=(const LetGo&) = delete;

 private:
  std::vector<Holder*> holders_;
};

template <class Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(WorkerPool, StarvedOnlyWhileAJobWaitsAndNoThreadIsFree) {
  Holder a;
  Holder b;
  std::atomic<bool> ran{false};
  WorkerPool pool(2);
  const LetGo let_go{&a, &b};
  pool.enqueue(a.job());
  a.wait_started();
  ASSERT_TRUE(eventually([&] { return pool.free_threads() == 1; }));
  // One thread is free: a job it is about to take is not a starving one,
  // however long the thread takes to wake up.
  pool.enqueue(b.job());
  EXPECT_FALSE(pool.starved());
  b.wait_started();
  EXPECT_FALSE(pool.starved());

  // Both threads held: the next job starves until one is released.
  pool.enqueue([&] { ran = true; });
  EXPECT_TRUE(pool.starved());
  a.let_go();
  EXPECT_TRUE(eventually([&] { return ran.load(); }));
  EXPECT_TRUE(eventually([&] { return !pool.starved(); }));
}

TEST(WorkerPool, NeverStarvedWhileAThreadIsFree) {
  Holder a;
  WorkerPool pool(2);
  const LetGo let_go{&a};
  pool.enqueue(a.job());
  a.wait_started();
  // Each time, the free thread may or may not have woken up before the check.
  int starved = 0;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(eventually([&] { return pool.free_threads() == 1; }));
    // Shared with the job: the worker may still be inside set_value() when
    // this iteration ends.
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    pool.enqueue([done] { done->set_value(); });
    starved += pool.starved() ? 1 : 0;
    finished.wait();
  }
  EXPECT_EQ(starved, 0);
}

TEST(WorkerPool, ShutdownRunsEveryQueuedJob) {
  std::atomic<int> ran{0};
  {
    Holder a;
    WorkerPool pool(1);
    const LetGo let_go{&a};
    pool.enqueue(a.job());
    a.wait_started();
    for (int i = 0; i < 5; ++i) pool.enqueue([&] { ++ran; });
    a.let_go();
    pool.shutdown();  // each queued job owns a socket: none may be dropped
    EXPECT_EQ(ran.load(), 5);
    pool.shutdown();  // idempotent
  }
  EXPECT_EQ(ran.load(), 5);
}

TEST(WorkerPool, ZeroThreadsStillMeansOne) {
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  WorkerPool pool(0);
  pool.enqueue([done] { done->set_value(); });
  EXPECT_EQ(finished.wait_for(5s), std::future_status::ready);
}

}  // namespace
}  // namespace hs::scope
