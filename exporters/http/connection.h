// One client connection of a BoundedServer, passed between the event loop
// (while it waits for a request) and a worker (while it is answered). Only
// one of them touches it at a time; the hand-over goes through a mutex.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "request_framing.h"
#include "unique_fd.h"

namespace hs::http {

using Steady = std::chrono::steady_clock;

struct Connection {
  Connection(UniqueFd socket, std::uint64_t key, const FramingLimits& limits)
      : fd(std::move(socket)), key(key), framer(limits) {}

  enum class Phase {
    Waiting,    // the event loop reads a request
    Answering,  // queued for or held by a worker
    Lingering,  // answered for the last time; the loop drops what still arrives
  };
  // The worker's verdict after a response.
  enum class Next { KeepAlive, Linger, Close };

  UniqueFd fd;
  std::uint64_t key;  // the event loop's name for it (epoll data)
  std::string in;     // received and not yet answered: the request, maybe more
  RequestFramer framer;
  Frame frame;  // the request at the start of `in`
  Phase phase = Phase::Waiting;
  Next next = Next::Close;
  bool between_requests = false;  // kept alive, nothing of the next request yet
  bool peer_closed = false;       // the client will send nothing more
  bool continue_sent = false;     // "100 Continue" went out for this request
  std::size_t served = 0;         // requests answered
  Steady::time_point waiting_since;
  Steady::time_point deadline;
};

}  // namespace hs::http
