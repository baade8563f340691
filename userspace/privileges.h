// After everything is loaded, attached, bound and created, the daemon needs
// no privilege at all: reading and updating maps through fds it holds,
// polling the ring buffer and closing links (which detaches) need none. So it
// gives every capability up.
#pragma once

#include <string>

namespace hs {

// Clears the effective, permitted and inheritable sets and the bounding set,
// and sets no_new_privs. Throws std::runtime_error naming what failed.
void drop_all_capabilities();

// The effective capability mask of this process, from /proc/self/status.
std::string effective_capabilities();

}  // namespace hs
