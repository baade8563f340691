#include "text_buffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>

namespace hs::prom {
namespace {

// A large scrape writes tens of megabytes into fresh memory, and faulting it in
// 4 KiB pages cost more than writing it. Asking for transparent huge pages
// (where the kernel offers them on request) makes that one fault per 2 MiB.
void back_with_huge_pages(std::string& s) {
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto begin = reinterpret_cast<std::uintptr_t>(s.data());
  const std::uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
  const std::uintptr_t last = (begin + s.capacity()) & ~(kHuge - 1);
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

}  // namespace

TextBuffer::TextBuffer(std::size_t expected) {
  out_.reserve(expected);
  back_with_huge_pages(out_);
}

TextBuffer::TextBuffer(std::size_t piece_size, const TextSink& sink)
    : sink_(&sink), piece_size_(piece_size) {
  out_.reserve(2 * piece_size);
}

void TextBuffer::grow(std::size_t at_least) {
  out_.reserve(std::max(2 * out_.capacity(), at_least));
  if (!sink_) back_with_huge_pages(out_);
}

void TextBuffer::flush() {
  (*sink_)(out_);
  out_.clear();
}

std::string TextBuffer::take() && {
  if (!sink_) return std::move(out_);
  if (!out_.empty()) flush();
  return {};
}

}  // namespace hs::prom
