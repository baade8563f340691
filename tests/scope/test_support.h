// Helpers for the Scope plugin tests: snapshots by hand, a temporary plugins
// root, a raw HTTP/1.1 client over UNIX sockets, and subprocesses.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "snapshot.h"

namespace hs::scope::testing {

using namespace std::chrono_literals;

// Sanitizer builds run several times slower: their tests wait longer, and
// assert time limits only where the limit is the point.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
inline constexpr std::chrono::milliseconds kReplyTimeout = kSanitized ? 30s : 2s;

// 2026-11-22T12:00:00Z plus `offset`.
Clock::time_point at(Clock::duration offset = {});

RateSample sample(Clock::time_point when, double requests,
                  std::map<std::uint16_t, double> responses = {}, double p50_ms = -1,
                  double p99_ms = -1);

ProcessSnapshot process(std::uint32_t pid, std::vector<RateSample> recent, bool paused = false);

// One process (pid 4242) answering 200s at 10/s for three seconds.
Snapshot busy_snapshot();

// A root directory from mkdtemp, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One client connection, driven byte by byte where a test needs it.
class UnixClient {
 public:
  explicit UnixClient(const std::string& socket_path);  // throws on failure
  ~UnixClient();
  UnixClient(UnixClient&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UnixClient(const UnixClient&) = delete;
  UnixClient& operator=(const UnixClient&) = delete;

  void send(const std::string& bytes);
  // Reads one response (Content-Length framed); nullopt on timeout/close.
  std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout = kReplyTimeout);
  // True when the server closed the connection within `timeout`.
  bool closed_by_server(std::chrono::milliseconds timeout);
  // GET target with the probe's headers, keeping the connection alive.
  std::optional<HttpResponse> get(const std::string& target);

 private:
  int fd_ = -1;
  std::string pending_;
};

// A fresh connection for one exchange.
std::optional<HttpResponse> http_get(const std::string& socket_path, const std::string& target);
std::optional<HttpResponse> http_post(const std::string& socket_path, const std::string& target,
                                      const std::string& body);

// Runs `command` with /bin/sh; returns the exit status and collects stdout+stderr.
int run_shell(const std::string& command, std::string& output);
std::string shell_quote(const std::string& s);

rapidjson::Document parse_json(const std::string& text);

}  // namespace hs::scope::testing
