// linalg.hpp helpers that the fits build on, checked against plain products.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "check.hpp"
#include "linalg.hpp"

using namespace polyapprox;

namespace {
// C symmetric, P = S C + t I with S symmetric, so C P is symmetric: the case upper_sandwich is for.
template <class T>
void check_upper_sandwich(int r, double tol) {
  std::mt19937_64 rng(1000 + r);
  std::normal_distribution<double> g;
  std::vector<double> C(r * r), S(r * r);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j <= i; ++j) {
      C[i * r + j] = C[j * r + i] = g(rng);
      S[i * r + j] = S[j * r + i] = g(rng);
    }
  std::vector<double> P(r * r, 0.0), out0(r * r);
  gemm(false, false, r, r, r, 1.0, S.data(), C.data(), 0.0, P.data());
  for (int i = 0; i < r; ++i) P[i * r + i] += 0.3;
  for (double& x : out0) x = g(rng);
  const double alpha = 0.7;
  for (const double beta : {0.0, 1.0}) {
    std::vector<double> want = out0;
    gemm(false, false, r, r, r, alpha, C.data(), P.data(), beta, want.data());
    std::vector<T> Ct(C.begin(), C.end()), Pt(P.begin(), P.end()), got(out0.begin(), out0.end());
    upper_sandwich(r, T(alpha), Ct.data(), Pt.data(), T(beta), got.data());
    double scale = 0;
    for (double x : want) scale = std::max(scale, std::fabs(x));
    for (int i = 0; i < r; ++i)
      for (int j = i; j < r; ++j) CHECK_CLOSE(double(got[i * r + j]), want[i * r + j], tol * scale, 0.0);
  }
}
}  // namespace

TEST_CASE("upper_sandwich: the upper triangle of alpha·C P + beta·out, every block layout") {
  for (int r : {1, 2, 5, 6, 7, 13, 70}) check_upper_sandwich<double>(r, 1e-13);
}

TEST_CASE("upper_sandwich in float32 agrees to float32 rounding") {
  for (int r : {1, 6, 13, 70}) check_upper_sandwich<float>(r, 1e-5);
}
