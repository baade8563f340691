// Command-line arguments walked one at a time, for the daemon's and top's
// option parsers: "--name VALUE" and "--name=VALUE" mean the same.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hs {

class Arguments {
 public:
  explicit Arguments(const std::vector<std::string>& args) : args_(args) {}

  // Moves to the next argument; false when there is none.
  bool next() { return ++next_ <= args_.size(); }
  const std::string& current() const { return args_[next_ - 1]; }
  bool first() const { return next_ == 1; }

  // Is the current argument the option `name`, in either form?
  bool is(std::string_view name) const {
    const std::string& a = current();
    return a == name || (a.size() > name.size() && a.starts_with(name) && a[name.size()] == '=');
  }

  // The current option's value: after its '=', or else the next argument
  // (consumed). False, with `error` set, when there is none.
  bool value(std::string& out, std::string& error) {
    const std::string& a = current();
    if (const auto eq = a.find('='); eq != std::string::npos) {
      out = a.substr(eq + 1);
      return true;
    }
    if (next_ >= args_.size()) {
      error = "option " + a + " needs a value";
      return false;
    }
    out = args_[next_++];
    return true;
  }

 private:
  const std::vector<std::string>& args_;
  std::size_t next_ = 0;  // index of the current argument, plus one
};

}  // namespace hs
