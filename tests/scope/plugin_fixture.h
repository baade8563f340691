// A Plugin on a temporary plugins root, fed a snapshot the test controls.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "scope_plugin.h"
#include "test_support.h"

namespace hs::scope::testing {

class PluginTest : public ::testing::Test {
 protected:
  PluginOptions options(const std::string& id = "http-statistics") const {
    PluginOptions o;
    o.plugins_root = root_.path();
    o.plugin_id = id;
    o.hostname = "test-host";
    return o;
  }

  std::unique_ptr<Plugin> make(const PluginOptions& o) {
    return std::make_unique<Plugin>(
        o,
        [this] {
          std::lock_guard lock(mu_);
          return snapshot_;
        },
        [this](std::uint32_t pid, bool pause) {
          std::lock_guard lock(mu_);
          controls_.emplace_back(pid, pause);
          if (pid != 4242) return false;
          auto next = std::make_shared<Snapshot>(*snapshot_);
          next->taken_at += std::chrono::seconds(1);
          next->processes[0].info.paused = pause;
          snapshot_ = next;
          return true;
        });
  }

  std::unique_ptr<Plugin> start(const PluginOptions& o) {
    auto p = make(o);
    p->start();
    return p;
  }

  void set_snapshot(std::shared_ptr<const Snapshot> s) {
    std::lock_guard lock(mu_);
    snapshot_ = std::move(s);
  }

  std::vector<std::pair<std::uint32_t, bool>> controls() {
    std::lock_guard lock(mu_);
    return controls_;
  }

  TempDir root_;

 private:
  std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_ = std::make_shared<Snapshot>(busy_snapshot());
  std::vector<std::pair<std::uint32_t, bool>> controls_;
};

}  // namespace hs::scope::testing
