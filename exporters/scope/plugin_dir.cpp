#include "plugin_dir.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "unique_fd.h"

namespace hs::scope {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + std::system_category().message(err));
}

bool is_socket(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// A socket nobody listens on refuses connections at once; one that a live
// process serves accepts them (or is busy: EAGAIN on a full backlog).
bool someone_serves(const std::string& path) {
  if (!is_socket(path)) return false;
  const http::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof addr.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return true;
  return errno == EAGAIN || errno == EINPROGRESS;
}

}  // namespace

bool valid_plugin_id(const std::string& id) {
  // ^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$
  if (id.empty() || id.back() == '-') return false;
  char previous = '-';
  for (const char c : id) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && !(c == '-' && previous != '-')) return false;
    previous = c;
  }
  return true;
}

std::string plugin_socket_path(const std::string& root, const std::string& id) {
  return (fs::path(root) / id / (id + ".sock")).string();
}

PluginDirectory::PluginDirectory(const std::string& root, const std::string& id) {
  if (!valid_plugin_id(id)) {
    throw std::runtime_error("invalid Scope plugin id \"" + id +
                             "\": the probe accepts letters and digits in groups joined by '-'");
  }
  if (root.empty()) throw std::runtime_error("the Scope plugins root is empty");
  dir_ = (fs::path(root) / id).string();
  socket_ = plugin_socket_path(root, id);
  if (socket_.size() >= sizeof(sockaddr_un::sun_path)) {
    throw std::runtime_error("Scope plugin socket path " + socket_ +
                             " is too long for a UNIX socket (" + std::to_string(socket_.size()) +
                             " bytes, at most " +
                             std::to_string(sizeof(sockaddr_un::sun_path) - 1) + ")");
  }

  std::error_code ec;
  // The probe only scans a root that exists; creating it lets a probe that
  // starts later find the plugin.
  fs::create_directories(root, ec);
  if (ec)
    throw std::runtime_error("cannot create Scope plugins root " + root + ": " + ec.message());
  if (someone_serves(socket_)) {
    throw std::runtime_error("another instance already serves the Scope plugin socket " + socket_);
  }
  // Whatever is left is a crashed run's: a stale socket, directory or file.
  fs::remove_all(dir_, ec);
  if (ec) throw std::runtime_error("cannot remove stale " + dir_ + ": " + ec.message());
  if (::mkdir(dir_.c_str(), 0700) != 0) fail("cannot create " + dir_, errno);
  if (::chmod(dir_.c_str(), 0700) != 0) {
    const int err = errno;
    ::rmdir(dir_.c_str());
    fail("cannot set the mode of " + dir_, err);
  }
  dir_identity_ = identify(dir_);
}

PluginDirectory::~PluginDirectory() { remove(); }

PluginDirectory::Identity PluginDirectory::identify(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino, true};
}

void PluginDirectory::adopt_socket() {
  // The directory (0700) already keeps others out; the socket's own mode
  // would otherwise follow the umask.
  if (::chmod(socket_.c_str(), 0600) != 0) fail("cannot set the mode of " + socket_, errno);
  socket_identity_ = identify(socket_);
}

void PluginDirectory::remove() noexcept {
  // Best effort against removing a successor's files: compare device and
  // inode with what this object created.
  const auto same = [](const Identity& a, const Identity& b) {
    return a.known && b.known && a.dev == b.dev && a.ino == b.ino;
  };
  if (same(identify(socket_), socket_identity_)) ::unlink(socket_.c_str());
  socket_identity_ = {};
  if (same(identify(dir_), dir_identity_)) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  dir_identity_ = {};
}

}  // namespace hs::scope
