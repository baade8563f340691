#include "test_support.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace hs::scope::testing {

Clock::time_point at(Clock::duration offset) {
  using namespace std::chrono;
  return Clock::time_point{sys_days{year{2026} / November / 22} + hours{12}} + offset;
}

RateSample sample(Clock::time_point when, double requests,
                  std::map<std::uint16_t, double> responses, double p50_ms, double p99_ms) {
  RateSample s;
  s.at = when;
  s.requests_per_second = requests;
  s.responses_per_second = std::move(responses);
  s.latency_p50_ms = p50_ms;
  s.latency_p99_ms = p99_ms;
  return s;
}

ProcessSnapshot process(std::uint32_t pid, std::vector<RateSample> recent, bool paused) {
  ProcessSnapshot p;
  p.info.pid = pid;
  p.info.comm = "server";
  p.info.executable_name = "server";
  p.info.paused = paused;
  p.recent = std::move(recent);
  return p;
}

Snapshot busy_snapshot() {
  Snapshot s;
  s.taken_at = at(3s + 100ms);
  s.processes.push_back(process(
      4242, {sample(at(1s), 10, {{200, 10}}, 1.5, 8), sample(at(2s), 10, {{200, 10}}, 1.5, 8),
             sample(at(3s), 10, {{200, 10}}, 1.5, 8)}));
  return s;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "hs-scope-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

UnixClient::UnixClient(const std::string& socket_path) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socket_path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::system_error(err, std::generic_category(), "connect " + socket_path);
  }
}

UnixClient::~UnixClient() {
  if (fd_ >= 0) ::close(fd_);
}

void UnixClient::send(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) throw std::system_error(errno, std::generic_category(), "send");
    done += static_cast<std::size_t>(n);
  }
}

namespace {

// Appends what arrives within the deadline; false on timeout or end of stream.
bool receive_more(int fd, std::string& into, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  std::array<char, 65536> buf{};
  const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
  if (n <= 0) return false;
  into.append(buf.data(), static_cast<std::size_t>(n));
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::optional<HttpResponse> UnixClient::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t head_end;
  while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!receive_more(fd_, pending_, deadline)) return std::nullopt;
  }
  HttpResponse r;
  const std::string head = pending_.substr(0, head_end);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
  r.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers[lower(line.substr(0, colon))] = value;
  }
  const std::size_t length =
      r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
  const std::size_t body_start = head_end + 4;
  while (pending_.size() < body_start + length) {
    if (!receive_more(fd_, pending_, deadline)) return std::nullopt;
  }
  r.body = pending_.substr(body_start, length);
  pending_.erase(0, body_start + length);
  return r;
}

bool UnixClient::closed_by_server(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char c;
  return ::recv(fd_, &c, 1, MSG_PEEK) == 0;
}

std::optional<HttpResponse> UnixClient::get(const std::string& target) {
  send("GET " + target +
       " HTTP/1.1\r\nHost: plugin\r\nUser-Agent: Go-http-client/1.1\r\n"
       "Accept-Encoding: gzip\r\n\r\n");
  return read_response();
}

std::optional<HttpResponse> http_get(const std::string& socket_path, const std::string& target) {
  UnixClient c(socket_path);
  c.send("GET " + target + " HTTP/1.1\r\nHost: plugin\r\nConnection: close\r\n\r\n");
  return c.read_response();
}

std::optional<HttpResponse> http_post(const std::string& socket_path, const std::string& target,
                                      const std::string& body) {
  UnixClient c(socket_path);
  c.send("POST " + target +
         " HTTP/1.1\r\nHost: plugin\r\nConnection: close\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body);
  return c.read_response();
}

int run_shell(const std::string& command, std::string& output) {
  output.clear();
  FILE* raw = ::popen((command + " 2>&1").c_str(), "r");
  if (raw == nullptr) throw std::system_error(errno, std::generic_category(), "popen");
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), raw)) > 0) output.append(buf.data(), n);
  const int status = ::pclose(raw);
  if (status == -1) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  return d;
}

}  // namespace hs::scope::testing
