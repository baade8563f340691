#include "event_loop.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>
#include <system_error>

#include "canned_responses.h"

namespace hs::http {
namespace {

// epoll keys of the loop's own descriptors; connections count up from kFirstConnection.
constexpr std::uint64_t kListenerKey = 0;
constexpr std::uint64_t kStopKey = 1;
constexpr std::uint64_t kWakeKey = 2;
constexpr std::uint64_t kFirstConnection = 3;

// httplib listens with a backlog of 5; a burst of clients (a probe behind a
// crowd of slow ones) needs more room while the loop catches up.
constexpr int kBacklog = 256;
// Connections accepted per wake-up, so that a flood of new ones cannot starve
// requests already waiting.
constexpr int kAcceptBurst = 64;
// After accept() ran out of descriptors or memory: how long to leave the
// queue alone instead of spinning on an error that persists.
constexpr std::chrono::milliseconds kAcceptPause{100};
// Bytes dropped per wake-up from a lingering connection.
constexpr std::size_t kLingerBurst = 256 * 1024;

// Errors of one pending connection (it was reset or its network went away
// before it was accepted): the next one may be fine.
bool connection_error(int err) {
  switch (err) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case ETIMEDOUT:
      return true;
    default:
      return false;
  }
}

// The process or the system is out of descriptors or memory: it passes when
// connections close.
bool out_of_resources(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

void send_best_effort(int fd, std::string_view bytes) {
  // A few hundred bytes into an empty socket buffer; if even that does not
  // fit, the client is not reading and loses the explanation.
  [[maybe_unused]] const ssize_t n =
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

EventLoop::EventLoop(int listener, int stop_fd, const ServerLimits& limits, Exchange exchange)
    : listener_(listener),
      stop_fd_(stop_fd),
      limits_(limits),
      framing_{limits.max_header_bytes, limits.max_body_bytes},
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      crew_(std::move(exchange)),
      next_key_(kFirstConnection) {
  if (!epoll_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

EventLoop::~EventLoop() {
  crew_.stop();  // before the connections its workers may hold
  connections_.clear();
}

bool EventLoop::run(const std::function<void()>& ready) {
  const int flags = ::fcntl(listener_, F_GETFL);
  if (flags < 0 || ::fcntl(listener_, F_SETFL, flags | O_NONBLOCK) != 0) return false;
  // Listening again only changes the backlog.
  ::listen(listener_, kBacklog);
  for (const auto& [fd, key] : {std::pair{listener_, kListenerKey}, std::pair{stop_fd_, kStopKey},
                                std::pair{crew_.answered_fd(), kWakeKey}}) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = key;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &e) != 0) return false;
  }
  try {
    crew_.start(limits_.workers);
  } catch (const std::system_error&) {
    return false;
  }
  ready();

  bool listener_ok = true;
  std::array<epoll_event, 64> events{};
  for (bool stop = false; !stop && listener_ok;) {
    const int n = ::epoll_wait(epoll_.get(), events.data(), events.size(), wait_ms(Steady::now()));
    if (n < 0 && errno != EINTR) break;
    const Steady::time_point now = Steady::now();
    for (int i = 0; i < n; ++i) {
      const std::uint64_t key = events[static_cast<std::size_t>(i)].data.u64;
      if (key == kStopKey) {
        stop = true;
      } else if (key == kWakeKey) {
        take_back(now);
      } else if (key == kListenerKey) {
        listener_ok = accept_all(now);
      } else {
        on_event(key, now);
      }
    }
    resume_accepting(now);
    expire(now);
  }
  // Requests still queued are dropped unanswered, like a connection closed
  // between requests; responses under way finish (see ExchangeStream).
  crew_.stop();
  connections_.clear();
  return listener_ok;
}

bool EventLoop::accept_all(Steady::time_point now) {
  for (int i = 0; i < kAcceptBurst; ++i) {
    UniqueFd socket(::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!socket) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return true;
      if (connection_error(err)) continue;
      if (out_of_resources(err)) {
        pause_accepting(now);
        return true;
      }
      return false;  // the listening socket itself is unusable
    }
    if (connections_.size() >= limits_.max_connections && !evict_longest_waiting()) continue;
    // Headers and body leave in separate writes: without this the body of
    // a small response could wait for the client's delayed ACK. A UNIX
    // socket refuses the option, harmlessly.
    const int one = 1;
    ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>(std::move(socket), next_key_++, framing_);
    c->waiting_since = now;
    set_deadline(*c, now + limits_.request_timeout);
    if (!watch(*c, EPOLLIN)) continue;
    const std::uint64_t key = c->key;
    connections_.emplace(key, std::move(c));
  }
  return true;
}

void EventLoop::pause_accepting(Steady::time_point now) {
  epoll_event e{};  // no events: the full queue stops waking the loop
  e.data.u64 = kListenerKey;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listener_, &e);
  accept_paused_ = true;
  accept_resume_ = now + kAcceptPause;
}

void EventLoop::resume_accepting(Steady::time_point now) {
  if (!accept_paused_ || now < accept_resume_) return;
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u64 = kListenerKey;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listener_, &e);
  accept_paused_ = false;
}

bool EventLoop::evict_longest_waiting() {
  // A lingering connection has had its answer; after it, the one idle or
  // trickling for the longest. A client that sends its request at once is
  // never the one that has waited longest.
  const Connection* victim = nullptr;
  for (const auto& [key, c] : connections_) {
    if (c->phase == Connection::Phase::Answering) continue;
    const bool lingering = c->phase == Connection::Phase::Lingering;
    const bool victim_lingering =
        victim != nullptr && victim->phase == Connection::Phase::Lingering;
    if (victim == nullptr || (lingering && !victim_lingering) ||
        (lingering == victim_lingering && c->waiting_since < victim->waiting_since)) {
      victim = c.get();
    }
  }
  if (victim == nullptr) return false;
  close(*victim);
  return true;
}

void EventLoop::on_event(std::uint64_t key, Steady::time_point now) {
  const auto it = connections_.find(key);
  if (it == connections_.end()) return;  // closed earlier in this round
  Connection& c = *it->second;
  if (c.phase == Connection::Phase::Lingering) {
    drop_incoming(c);
    return;
  }
  if (c.phase != Connection::Phase::Waiting) return;
  if (!receive(c)) {
    close(c);
    return;
  }
  if (c.between_requests && !c.in.empty()) {  // the next request has begun
    c.between_requests = false;
    c.waiting_since = now;
    set_deadline(c, now + limits_.request_timeout);
  }
  advance(c, now);
}

bool EventLoop::receive(Connection& c) {
  // One byte past the limits is enough to refuse; the rest stays in the
  // kernel's buffer (and counts against the client's TCP window, not us).
  const std::size_t cap = limits_.max_header_bytes + limits_.max_body_bytes + 1;
  while (c.in.size() < cap) {
    const std::size_t room = std::min(scratch_.size(), cap - c.in.size());
    const ssize_t n = ::recv(c.fd.get(), scratch_.data(), room, 0);
    if (n > 0) {
      c.in.append(scratch_.data(), static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < room) return true;  // nothing more for now
    } else if (n == 0) {
      c.peer_closed = true;
      return true;
    } else if (errno != EINTR) {
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }
  return true;
}

void EventLoop::drop_incoming(Connection& c) {
  for (std::size_t dropped = 0; dropped < kLingerBurst;) {
    const ssize_t n = ::recv(c.fd.get(), scratch_.data(), scratch_.size(), 0);
    if (n > 0) {
      dropped += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) close(c);  // the client is done
      return;
    }
  }
}

void EventLoop::advance(Connection& c, Steady::time_point now) {
  c.frame = c.framer.update(c.in);
  switch (c.frame.state) {
    case Frame::State::Refused:
      refuse(c, c.frame.status, now);
      return;
    case Frame::State::Complete:
      unwatch(c);
      dispatch(c);
      return;
    case Frame::State::Incomplete:
      if (c.peer_closed) {  // the rest can never come
        close(c);
      } else if (c.frame.expects_continue && !c.continue_sent) {
        send_best_effort(c.fd.get(), kContinueResponse);
        c.continue_sent = true;
      }
      return;
  }
}

void EventLoop::refuse(Connection& c, int status, Steady::time_point now) {
  send_best_effort(c.fd.get(), canned_response(status));
  linger(c, now);
}

void EventLoop::linger(Connection& c, Steady::time_point now) {
  ::shutdown(c.fd.get(), SHUT_WR);  // the client sees the end of the answer
  c.phase = Connection::Phase::Lingering;
  c.waiting_since = now;
  set_deadline(c, now + limits_.linger);
}

void EventLoop::expire(Steady::time_point now) {
  if (now < next_deadline_) return;
  next_deadline_ = Steady::time_point::max();
  std::vector<Connection*> expired;
  for (const auto& [key, c] : connections_) {
    if (c->phase == Connection::Phase::Answering) continue;
    if (c->deadline <= now) {
      expired.push_back(c.get());
    } else {
      next_deadline_ = std::min(next_deadline_, c->deadline);
    }
  }
  for (Connection* c : expired) {
    // Part of a request that did not arrive in time gets a 408; an idle or
    // silent connection, or a lingering one, just closes.
    if (c->phase == Connection::Phase::Waiting && !c->between_requests && !c->in.empty())
      send_best_effort(c->fd.get(), canned_response(408));
    close(*c);
  }
}

void EventLoop::dispatch(Connection& c) {
  c.phase = Connection::Phase::Answering;
  crew_.submit(c);
}

void EventLoop::take_back(Steady::time_point now) {
  for (Connection* c : crew_.take_answered()) resume(*c, now);
}

void EventLoop::resume(Connection& c, Steady::time_point now) {
  switch (c.next) {
    case Connection::Next::Close:
      close(c);
      return;
    case Connection::Next::Linger:
      if (watch(c, EPOLLIN)) {
        linger(c, now);
      } else {
        close(c);
      }
      return;
    case Connection::Next::KeepAlive:
      break;
  }
  c.phase = Connection::Phase::Waiting;
  c.framer.reset();
  c.frame = {};
  c.continue_sent = false;
  c.waiting_since = now;
  c.between_requests = c.in.empty();
  if (c.between_requests) {
    std::string().swap(c.in);  // an idle connection keeps no buffer
    set_deadline(c, now + limits_.keep_alive_idle);
  } else {  // a pipelined request, maybe whole already
    set_deadline(c, now + limits_.request_timeout);
    c.frame = c.framer.update(c.in);
    if (c.frame.state == Frame::State::Complete) {
      dispatch(c);
      return;
    }
  }
  if (!watch(c, EPOLLIN)) {
    close(c);
    return;
  }
  if (c.frame.state == Frame::State::Refused) refuse(c, c.frame.status, now);
}

bool EventLoop::watch(const Connection& c, std::uint32_t events) {
  epoll_event e{};
  e.events = events;
  e.data.u64 = c.key;
  return ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd.get(), &e) == 0;
}

void EventLoop::unwatch(const Connection& c) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
}

void EventLoop::set_deadline(Connection& c, Steady::time_point t) {
  c.deadline = t;
  next_deadline_ = std::min(next_deadline_, t);
}

int EventLoop::wait_ms(Steady::time_point now) const {
  Steady::time_point until = next_deadline_;
  if (accept_paused_) until = std::min(until, accept_resume_);
  if (until == Steady::time_point::max()) return -1;
  if (until <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
  return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

}  // namespace hs::http
