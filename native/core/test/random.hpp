// Random inputs shared by the core tests.
#pragma once
#include <cmath>
#include <random>
#include <vector>

namespace polyapprox_test {

// n independent N(0, scale²) values.
inline std::vector<double> normals(std::mt19937_64& rng, size_t n, double scale) {
  std::normal_distribution<double> g;
  std::vector<double> v(n);
  for (double& x : v) x = scale * g(rng);
  return v;
}

// A random orthogonal [n, n] matrix (row-major; rows, hence also columns, orthonormal):
// Gram–Schmidt of a Gaussian matrix's rows, twice for orthogonality to rounding.
inline std::vector<double> random_orthogonal(std::mt19937_64& rng, int n) {
  std::vector<double> U = normals(rng, static_cast<size_t>(n) * n, 1);
  for (int i = 0; i < n; ++i) {
    for (int pass = 0; pass < 2; ++pass)
      for (int j = 0; j < i; ++j) {
        double d = 0;
        for (int t = 0; t < n; ++t) d += U[i * n + t] * U[j * n + t];
        for (int t = 0; t < n; ++t) U[i * n + t] -= d * U[j * n + t];
      }
    double s = 0;
    for (int t = 0; t < n; ++t) s += U[i * n + t] * U[i * n + t];
    for (int t = 0; t < n; ++t) U[i * n + t] /= std::sqrt(s);
  }
  return U;
}

}  // namespace polyapprox_test
