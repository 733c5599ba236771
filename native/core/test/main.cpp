// Runs every TEST_CASE registered by the native/core/test/*.cpp files (see check.hpp).
//   polyapprox_core_tests            all cases
//   polyapprox_core_tests <text>     only cases whose name contains <text>
// The last line is always "N passed, M failed"; the exit status is non-zero when M > 0.
#include <cstdio>
#include <cstring>
#include <exception>

#include "check.hpp"

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0;
  int failed = 0;
  for (const auto& tc : polyapprox_test::registry()) {
    if (filter != nullptr && std::strstr(tc.name, filter) == nullptr) continue;
    polyapprox_test::failures_in_case() = 0;
    try {
      tc.fn();
    } catch (const polyapprox_test::RequireFailed&) {
      // already reported where it failed
    } catch (const std::exception& e) {
      polyapprox_test::report_failure(tc.file, tc.line, std::string("uncaught exception: ") + e.what());
    } catch (...) {
      polyapprox_test::report_failure(tc.file, tc.line, "uncaught non-standard exception");
    }
    const int n = polyapprox_test::failures_in_case();
    if (n == 0) {
      ++passed;
      std::printf("[ ok ] %s\n", tc.name);
    } else {
      ++failed;
      std::printf("[FAIL] %s (%d failed check%s, %s:%d)\n", tc.name, n, n == 1 ? "" : "s", tc.file, tc.line);
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
