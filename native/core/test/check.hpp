// Minimal header-only test harness for the C++ core (no dependency).
//
//   #include "check.hpp"
//   TEST_CASE("relu expected derivative, order 0") {
//     CHECK(n == 3);
//     REQUIRE(out.size() == 9);                 // stops this case when false
//     CHECK_CLOSE(out[0], 0.5, 1e-12, 1e-15);   // |a - b| <= atol + rtol * |b|
//   }
//
// CHECK and CHECK_CLOSE record a failure (file:line, expression, values) and let the case go on;
// REQUIRE ends the case. An exception escaping a case is a failure too. main.cpp runs every
// registered case (optionally only those whose name contains argv[1]).
#pragma once

#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

namespace polyapprox_test {

struct TestCase {
  const char* name;
  void (*fn)();
  const char* file;
  int line;
};

inline std::vector<TestCase>& registry() {
  static std::vector<TestCase> cases;
  return cases;
}

// Failed checks in the case now running.
inline int& failures_in_case() {
  static int n = 0;
  return n;
}

struct Registrar {
  Registrar(const char* name, void (*fn)(), const char* file, int line) {
    registry().push_back(TestCase{name, fn, file, line});
  }
};

// Thrown by REQUIRE to leave the case; already reported when thrown.
struct RequireFailed {};

inline void report_failure(const char* file, int line, const std::string& what) {
  ++failures_in_case();
  std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what.c_str());
}

inline std::string format_double(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Equal values (infinities of one sign included) pass; NaN never does, nor a finite value against
// a non-finite one: a NaN result is a bug to see, not a tolerance question.
inline bool is_close(double a, double b, double rtol, double atol) {
  if (a == b) return true;
  if (!std::isfinite(a) || !std::isfinite(b)) return false;
  return std::fabs(a - b) <= atol + rtol * std::fabs(b);
}

inline void check_close(double a, double b, double rtol, double atol, const char* expr, const char* file,
                        int line) {
  if (is_close(a, b, rtol, atol)) return;
  report_failure(file, line,
                 std::string("CHECK_CLOSE(") + expr + ")\n    a = " + format_double(a) + "\n    b = " +
                     format_double(b) + "\n    |a - b| = " + format_double(std::fabs(a - b)) +
                     " > atol + rtol*|b| = " + format_double(atol + rtol * std::fabs(b)));
}

}  // namespace polyapprox_test

#define POLYAPPROX_TEST_CAT2(a, b) a##b
#define POLYAPPROX_TEST_CAT(a, b) POLYAPPROX_TEST_CAT2(a, b)
#define POLYAPPROX_TEST_CASE_IMPL(name, id)                                                       \
  static void POLYAPPROX_TEST_CAT(id, _fn)();                                                     \
  static const ::polyapprox_test::Registrar POLYAPPROX_TEST_CAT(id, _reg)(                        \
      name, &POLYAPPROX_TEST_CAT(id, _fn), __FILE__, __LINE__);                                   \
  static void POLYAPPROX_TEST_CAT(id, _fn)()

// TEST_CASE("name") { body } — registers the body to run from main.cpp.
#define TEST_CASE(name) POLYAPPROX_TEST_CASE_IMPL(name, POLYAPPROX_TEST_CAT(polyapprox_test_case_, __COUNTER__))

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) ::polyapprox_test::report_failure(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define REQUIRE(cond)                                                                          \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      ::polyapprox_test::report_failure(__FILE__, __LINE__, "REQUIRE(" #cond ")");             \
      throw ::polyapprox_test::RequireFailed{};                                                \
    }                                                                                          \
  } while (0)

#define CHECK_CLOSE(a, b, rtol, atol)                                                                   \
  ::polyapprox_test::check_close(static_cast<double>(a), static_cast<double>(b), static_cast<double>(rtol), \
                                 static_cast<double>(atol), #a ", " #b ", " #rtol ", " #atol, __FILE__, __LINE__)
