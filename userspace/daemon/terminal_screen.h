// The terminal while `http-statistics top` draws on it: the alternate screen,
// a hidden cursor and, when stdin is a terminal too, keys read one at a time
// without echo. Everything is put back on destruction.
#pragma once

#include <termios.h>

#include <cstddef>
#include <string>

namespace hs {

class TerminalScreen {
 public:
  TerminalScreen();  // stdout must be a terminal
  ~TerminalScreen();
  TerminalScreen(const TerminalScreen&) = delete;
  TerminalScreen& operator=(const TerminalScreen&) = delete;

  // Replaces what is on the screen with `frame` (lines ending in '\n').
  // Returns false when the terminal is gone.
  bool draw(const std::string& frame);
  // Current size; 0 when unknown.
  std::size_t rows() const;
  std::size_t columns() const;
  // Is stdin a terminal whose keys this screen reads?
  bool reads_keys() const { return reads_keys_; }

 private:
  bool reads_keys_ = false;
  termios saved_{};
};

// Writes all of `text` to a file descriptor; false on error (EPIPE, EIO).
bool write_all(int fd, const std::string& text);

}  // namespace hs
