#include "worker_crew.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace hs::http {

WorkerCrew::WorkerCrew(Exchange exchange)
    : exchange_(std::move(exchange)), answered_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!answered_event_) throw std::system_error(errno, std::generic_category(), "eventfd");
}

WorkerCrew::~WorkerCrew() { stop(); }

void WorkerCrew::start(std::size_t count) {
  try {
    threads_.reserve(count);
    for (std::size_t i = 0; i < std::max<std::size_t>(count, 1); ++i)
      threads_.emplace_back([this] { work(); });
  } catch (const std::system_error&) {
    stop();
    throw;
  }
}

void WorkerCrew::submit(Connection& c) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(&c);
  }
  work_ready_.notify_one();
}

std::vector<Connection*> WorkerCrew::take_answered() {
  std::uint64_t count;
  // Reset the event before taking the list: a worker that answers in
  // between sets it again, and the loop comes back for that connection.
  [[maybe_unused]] const ssize_t n = ::read(answered_event_.get(), &count, sizeof count);
  std::vector<Connection*> taken;
  std::lock_guard lock(mu_);
  taken.swap(answered_);
  return taken;
}

void WorkerCrew::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void WorkerCrew::work() {
  for (;;) {
    Connection* c = nullptr;
    {
      std::unique_lock lock(mu_);
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      c = queue_.front();
      queue_.pop_front();
    }
    exchange_(*c);
    {
      std::lock_guard lock(mu_);
      answered_.push_back(c);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(answered_event_.get(), &one, sizeof one);
  }
}

}  // namespace hs::http
