// The worker threads of a BoundedServer and the two queues between them and
// the event loop: complete requests go in, answered connections come back,
// and an eventfd tells the loop there are some.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "connection.h"
#include "unique_fd.h"

namespace hs::http {

class WorkerCrew {
 public:
  // Answers one request and sets Connection::next; runs on a worker thread.
  using Exchange = std::function<void(Connection&)>;

  // Throws std::system_error when the eventfd cannot be made.
  explicit WorkerCrew(Exchange exchange);
  ~WorkerCrew();  // stop()
  WorkerCrew(const WorkerCrew&) = delete;
  WorkerCrew& operator=(const WorkerCrew&) = delete;

  // Starts `count` threads (at least one). Throws std::system_error, with
  // the threads already started stopped again.
  void start(std::size_t count);

  // Queues a complete request: the first free worker answers it, in order.
  void submit(Connection& c);

  // Readable while answered connections wait to be taken.
  int answered_fd() const { return answered_event_.get(); }
  std::vector<Connection*> take_answered();

  // Each worker finishes the request in hand and exits. Requests still queued
  // stay unanswered; every connection remains the caller's. Idempotent.
  void stop();

 private:
  void work();

  const Exchange exchange_;
  UniqueFd answered_event_;
  std::mutex mu_;
  std::condition_variable work_ready_;
  std::deque<Connection*> queue_;
  std::vector<Connection*> answered_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hs::http
