#include "http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace hs::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A TCP socket in another process's network namespace: switch this thread
// there, create the socket (it stays in that namespace), switch back.
int socket_in_netns_of(pid_t pid) {
  const int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target =
      open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
  int fd = -1;
  if (self >= 0 && target >= 0 && setns(target, CLONE_NEWNET) == 0) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int err = errno;
    if (setns(self, CLONE_NEWNET) != 0) std::abort();  // the thread would be lost in there
    errno = err;
  }
  const int err = errno;
  if (self >= 0) ::close(self);
  if (target >= 0) ::close(target);
  errno = err;
  return fd;
}

const std::string* header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return &v;
  return nullptr;
}

}  // namespace

std::string make_request(std::string_view method, std::string_view target,
                         const std::vector<std::string>& extra_headers, std::string_view body) {
  std::string r;
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  for (const auto& h : extra_headers) r.append(h).append("\r\n");
  if (!body.empty()) r.append("Content-Length: " + std::to_string(body.size()) + "\r\n");
  r.append("\r\n").append(body);
  return r;
}

HttpClient::HttpClient(std::uint16_t port, Options options)
    : timeout_(options.timeout), fastopen_pending_(options.fastopen), port_(port) {
  fd_ = options.netns_of > 0 ? socket_in_netns_of(options.netns_of)
                             : socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (fastopen_pending_) return;
  const sockaddr_in a = loopback(port);
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const int err = errno;
    close();
    throw std::runtime_error("connect 127.0.0.1:" + std::to_string(port) + ": " +
                             std::strerror(err));
  }
}

HttpClient::~HttpClient() { close(); }

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void HttpClient::send(std::string_view bytes) {
  if (fastopen_pending_) {
    // sendto(MSG_FASTOPEN) connects, with the data in the SYN when allowed.
    fastopen_pending_ = false;
    const sockaddr_in a = loopback(port_);
    const ssize_t n = sendto(fd_, bytes.data(), bytes.size(), MSG_FASTOPEN | MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&a), sizeof a);
    if (n < 0)
      throw std::runtime_error(std::string("sendto(MSG_FASTOPEN): ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void HttpClient::send_pieces(const std::vector<std::string>& pieces,
                             std::chrono::milliseconds pause) {
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i) std::this_thread::sleep_for(pause);
    send(pieces[i]);
  }
}

bool HttpClient::fill() {
  if (eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  const int n = poll(&p, 1, static_cast<int>(timeout_.count()));
  if (n == 0) throw std::runtime_error("timed out waiting for the server");
  if (n < 0 && errno != EINTR)
    throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
  char chunk[65536];
  const ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
  if (got < 0) {
    if (errno == EINTR || errno == EAGAIN) return true;
    if (errno == ECONNRESET) {
      eof_ = true;
      return false;
    }
    throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
  }
  if (got == 0) {
    eof_ = true;
    return false;
  }
  buf_.append(chunk, static_cast<std::size_t>(got));
  return true;
}

std::string HttpClient::take_line() {
  std::size_t nl;
  while ((nl = buf_.find('\n')) == std::string::npos)
    if (!fill()) throw std::runtime_error("connection closed in the middle of a line");
  std::string line = buf_.substr(0, nl);
  buf_.erase(0, nl + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string HttpClient::take(std::size_t n) {
  while (buf_.size() < n)
    if (!fill()) throw std::runtime_error("connection closed in the middle of a body");
  std::string out = buf_.substr(0, n);
  buf_.erase(0, n);
  return out;
}

HttpResponse HttpClient::read_message(bool head) {
  HttpResponse r;
  const std::string status_line = take_line();
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.compare(0, 7, "HTTP/1.") != 0)
    throw std::runtime_error("not a status line: '" + status_line + "'");
  r.version = status_line.substr(0, 8);
  r.status = std::stoi(status_line.substr(9, 3));
  for (std::string line = take_line(); !line.empty(); line = take_line()) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error("bad header line: '" + line + "'");
    r.headers.emplace_back(lower(line.substr(0, colon)),
                           trim(std::string_view(line).substr(colon + 1)));
  }
  if (head || r.status < 200 || r.status == 204 || r.status == 304) return r;

  const std::string* te = header(r, "transfer-encoding");
  if (te && lower(*te).find("chunked") != std::string::npos) {
    for (;;) {
      const std::string size_line = take_line();
      const std::size_t size = std::stoul(size_line, nullptr, 16);
      if (size == 0) {
        while (!take_line().empty()) {  // trailers
        }
        break;
      }
      r.body += take(size);
      if (!take_line().empty()) throw std::runtime_error("chunk not followed by CRLF");
    }
  } else if (const std::string* cl = header(r, "content-length")) {
    r.body = take(std::stoul(*cl));
  } else {
    while (fill()) {  // delimited by the end of the connection
    }
    r.body = std::move(buf_);
    buf_.clear();
  }
  return r;
}

HttpResponse HttpClient::read_response(bool head) {
  std::vector<int> interim;
  for (;;) {
    HttpResponse r = read_message(head);
    if (r.status >= 200 || r.status == 101) {
      r.interim = std::move(interim);
      return r;
    }
    interim.push_back(r.status);
  }
}

std::vector<HttpResponse> HttpClient::read_responses(std::size_t n, bool head) {
  std::vector<HttpResponse> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(read_response(head));
  return out;
}

bool HttpClient::closed_by_peer() {
  if (!buf_.empty()) return false;
  while (fill()) {
    if (!buf_.empty()) return false;
  }
  return true;
}

}  // namespace hs::test
