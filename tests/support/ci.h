// Whether the tests run under CI, where tests that need root must fail
// rather than skip without it.
#pragma once

namespace hs::test {

// True when the CI environment variable is set to something other than "",
// "0" or "false".
bool running_in_ci();

}  // namespace hs::test
