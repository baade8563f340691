// Where exposition text is written: one string kept whole, or pieces handed
// to a sink as they fill (for compressing while writing). Writers reserve room
// for a whole metric with open(), write through the pointer, and close().
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace hs::prom {

// Receives the text piece by piece, in order.
using TextSink = std::function<void(std::string_view)>;

class TextBuffer {
 public:
  // Everything kept, reserved at `expected` bytes.
  explicit TextBuffer(std::size_t expected);
  // Pieces of about `piece_size` bytes handed to `sink` (not owned) once full.
  TextBuffer(std::size_t piece_size, const TextSink& sink);

  // Room for `size` more bytes at the end, written through the pointer returned.
  char* open(std::size_t size) {
    const std::size_t used = out_.size();
    if (used + size > out_.capacity()) grow(used + size);
    out_.resize(used + size);
    return out_.data() + used;
  }

  // Ends the region open() returned at `end`; with a sink, hands the piece
  // over once it is full.
  void close(const char* end) {
    out_.resize(static_cast<std::size_t>(end - out_.data()));
    if (sink_ && out_.size() >= piece_size_) flush();
  }

  // The text, or with a sink, the last piece handed over (and nothing).
  std::string take() &&;

 private:
  void grow(std::size_t at_least);
  void flush();

  const TextSink* sink_ = nullptr;
  std::size_t piece_size_ = 0;
  std::string out_;
};

}  // namespace hs::prom
