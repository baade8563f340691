#include "exposition.h"

#include <algorithm>
#include <exception>
#include <functional>
#include <system_error>
#include <thread>

#include "gzip.h"
#include "text_format.h"
#include "traffic_text.h"

namespace hs::prom {
namespace {

// Fastest level: exposition text is repetitive enough that it still
// shrinks about tenfold, for a fraction of the default level's CPU time.
constexpr int kGzipLevel = 1;

// Pieces small enough to stay in the CPU cache between writer and compressor.
constexpr std::size_t kGzipPieceSize = std::size_t{256} * 1024;

// Runs fn(0) ... fn(parts - 1) at once: fn(0) on the calling thread, the
// others on threads of their own (or on the calling thread as well, if no
// thread can be started). Rethrows the first part's exception, if any.
void run_parts(std::size_t parts, const std::function<void(std::size_t)>& fn) {
  std::vector<std::exception_ptr> errors(parts);
  const auto guarded = [&](std::size_t i) {
    try {
      fn(i);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> threads;
    threads.reserve(parts);
    for (std::size_t i = 1; i < parts; ++i) {
      try {
        threads.emplace_back(guarded, i);
      } catch (const std::system_error&) {
        guarded(i);
      }
    }
    guarded(0);
  }  // joined
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace

std::vector<std::string> render_exposition(const Scrape& scrape, bool gzip, std::size_t threads) {
  const TrafficText traffic(scrape.selection.series, scrape.pid_label);
  const std::size_t parts = std::clamp<std::size_t>(scrape.selection.series.size() / kSeriesPerPart,
                                                    1, std::max<std::size_t>(threads, 1));
  const std::size_t part_size = traffic.expected_size() / parts + 4096;
  // Each part into its own buffer; the last one ends with the health families.
  const auto write_part = [&](std::size_t i, TextBuffer& out) {
    traffic.write_part(i, parts, out);
    if (i + 1 == parts) serialize_text(scrape.health, out);
  };

  std::vector<std::string> body(parts);
  if (!gzip) {
    run_parts(parts, [&](std::size_t i) {
      TextBuffer out(part_size);
      write_part(i, out);
      body[i] = std::move(out).take();
    });
    return body;
  }
  std::vector<DeflateRun::Compressed> runs(parts);
  run_parts(parts, [&](std::size_t i) {
    DeflateRun run(kGzipLevel, part_size);
    // Compressed piece by piece while written: a large scrape never holds
    // its uncompressed text, nor faults it into fresh memory.
    const TextSink sink = [&run](std::string_view piece) { run.write(piece); };
    TextBuffer out(kGzipPieceSize, sink);
    write_part(i, out);
    std::move(out).take();
    runs[i] = run.finish();
  });
  body.assign(1, gzip_join(runs));
  return body;
}

}  // namespace hs::prom
