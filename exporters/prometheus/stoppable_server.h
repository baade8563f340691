// An httplib::Server whose connections can all be ended at once.
//
// httplib 0.11 keeps a worker on each keep-alive connection until the
// keep-alive timeout expires, and on a half-sent request until a read timeout
// passes with no byte: Server::stop() waits for all of them. Here every wait on
// a connection also watches a stop event, so close_connections() ends them
// without delay.
#pragma once

#include <httplib.h>

namespace hs::prom {

class StoppableServer final : public httplib::Server {
 public:
  StoppableServer();  // throws std::system_error when no eventfd can be made
  ~StoppableServer() override;
  StoppableServer(const StoppableServer&) = delete;
  StoppableServer& operator=(const StoppableServer&) = delete;

  // Ends every connection at its next wait on the network, current and future
  // ones alike; a response being written is cut. Pair with stop(), which ends
  // the accept loop. Cannot be undone.
  void close_connections();

 private:
  // Replaces httplib's connection loop (same request handling) with one whose
  // waits are interruptible.
  bool process_and_close_socket(socket_t sock) override;

  int stop_event_;  // eventfd; readable once close_connections() ran
};

}  // namespace hs::prom
