// The plugin's place in the probe's plugins root: <root>/<id>/<id>.sock.
//
// The probe finds plugins by scanning the root for sockets and shows a
// socket that nobody serves as a broken plugin, so the directory must exist
// exactly while the plugin serves: created (replacing what a crashed run
// left) before the socket is bound, removed when serving stops.
#pragma once

#include <sys/types.h>

#include <string>

namespace hs::scope {

// The probe's rule for plugin ids (its registry rejects other names).
bool valid_plugin_id(const std::string& id);

// <root>/<id>/<id>.sock: the probe takes the plugin id from the socket's name.
std::string plugin_socket_path(const std::string& root, const std::string& id);

class PluginDirectory {
 public:
  // Creates the root if missing, then <root>/<id> with mode 0700 (set
  // explicitly: mkdir's mode is filtered by the umask), after removing a
  // stale directory or socket. Throws std::runtime_error when the id is
  // invalid, the socket path is too long for a UNIX socket, another process
  // still serves the socket, or the filesystem refuses.
  PluginDirectory(const std::string& root, const std::string& id);
  // Removes the socket and the directory (see remove()).
  ~PluginDirectory();
  PluginDirectory(const PluginDirectory&) = delete;
  PluginDirectory& operator=(const PluginDirectory&) = delete;

  const std::string& directory() const { return dir_; }
  const std::string& socket_path() const { return socket_; }

  // Call once the socket is bound: restricts it to its owner (mode 0600) and
  // remembers it, so remove() deletes this socket and no other.
  void adopt_socket();

  // Removes the socket and directory if they are still the ones this object
  // made: a newer instance that replaced them keeps its own. Idempotent,
  // never throws.
  void remove() noexcept;

 private:
  struct Identity {
    dev_t dev = 0;
    ino_t ino = 0;
    bool known = false;
  };
  static Identity identify(const std::string& path);

  std::string dir_;
  std::string socket_;
  Identity dir_identity_;
  Identity socket_identity_;
};

}  // namespace hs::scope
