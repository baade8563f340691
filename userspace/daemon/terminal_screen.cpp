#include "terminal_screen.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace hs {
namespace {
constexpr const char* kEnter = "\x1b[?1049h\x1b[?25l";  // alternate screen, hide cursor
constexpr const char* kLeave = "\x1b[?25h\x1b[?1049l";  // show cursor, main screen

winsize window_size() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0) return {};
  return ws;
}
}  // namespace

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

TerminalScreen::TerminalScreen() {
  if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_) == 0) {
    termios raw = saved_;
    // Keys arrive one by one and are not echoed; output processing (\n as
    // \r\n) and signals from Ctrl-C stay as they are.
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    reads_keys_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  write_all(STDOUT_FILENO, kEnter);
}

TerminalScreen::~TerminalScreen() {
  write_all(STDOUT_FILENO, kLeave);
  if (reads_keys_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
}

bool TerminalScreen::draw(const std::string& frame) {
  // Overwrite in place (home, each line cleared to its end, the rest of the
  // screen cleared) instead of clearing first, which flickers.
  std::string out = "\x1b[H";
  for (const char c : frame) {
    if (c == '\n') out += "\x1b[K";
    out += c;
  }
  out += "\x1b[J";
  return write_all(STDOUT_FILENO, out);
}

std::size_t TerminalScreen::rows() const { return window_size().ws_row; }
std::size_t TerminalScreen::columns() const { return window_size().ws_col; }

}  // namespace hs
