// Core-level checks of the linear algebra and the linear fits, without Node.
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "fit.hpp"
#include "linalg.hpp"

using namespace polyapprox;

namespace {
std::vector<double> random_cov(std::mt19937_64& rng, int n, int r, double diag) {
  std::normal_distribution<double> g;
  std::vector<double> A(static_cast<size_t>(n) * r), C(static_cast<size_t>(n) * n);
  for (double& a : A) a = g(rng);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      double v = 0;
      for (int q = 0; q < r; ++q) v += A[i * r + q] * A[j * r + q];
      C[i * n + j] = v / r + (i == j ? diag : 0);
    }
  return C;
}
}  // namespace

TEST_CASE("factor_covariance reconstructs a singular covariance and finds its rank") {
  std::mt19937_64 rng(1);
  const int n = 9;
  std::vector<double> C = random_cov(rng, n, 4, 0);
  CovFactor f = factor_covariance(n, C.data(), 1e-8);
  CHECK(f.rank == 4);
  std::vector<double> I(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) I[i * n + i] = 1;
  std::vector<double> F = project_onto_factor(n, I.data(), f);  // rows of F
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      double v = 0;
      for (int q = 0; q < f.rank; ++q) v += F[i * f.rank + q] * F[j * f.rank + q];
      CHECK_CLOSE(v, C[i * n + j], 0, 1e-13);
    }
}

TEST_CASE("factor_covariance rejects an indefinite matrix") {
  std::vector<double> C = {1, 2, 2, 1};
  bool threw = false;
  try {
    factor_covariance(2, C.data(), 1e-8);
  } catch (const std::domain_error&) {
    threw = true;
  }
  CHECK(threw);
}

TEST_CASE("solve_symmetric: minimum-norm solution of a singular system, and ridge") {
  // S = diag(2, 0): the minimum-norm solution of S x = (4, 0) is (2, 0).
  std::vector<double> S = {2, 0, 0, 0}, R = {4, 0};
  SolveReport rep;
  std::vector<double> x = solve_symmetric(2, 1, S.data(), R.data(), 0, 1e-10, rep);
  CHECK(rep.rank == 1);
  CHECK_CLOSE(x[0], 2, 1e-15, 0);
  CHECK_CLOSE(x[1], 0, 0, 1e-15);
  std::vector<double> xr = solve_symmetric(2, 1, S.data(), R.data(), 2, 1e-10, rep);
  CHECK_CLOSE(xr[0], 1, 1e-15, 0);
}

TEST_CASE("identity MLP: the linear fit is the network itself under a mixture") {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> g;
  const int n = 4, h = 6, out = 2, K = 3;
  std::vector<double> W1(h * n), b1(h), W2(out * h), b2(out), means(K * n), covs;
  for (double& v : W1) v = g(rng);
  for (double& v : b1) v = g(rng);
  for (double& v : W2) v = g(rng);
  for (double& v : b2) v = g(rng);
  for (double& v : means) v = g(rng);
  for (int k = 0; k < K; ++k) {
    std::vector<double> c = random_cov(rng, n, k == 0 ? 1 : n + 1, 0);
    covs.insert(covs.end(), c.begin(), c.end());
  }
  Mlp net;
  net.in = n, net.hidden = h, net.out = out;
  net.W1 = W1.data(), net.b1 = b1.data(), net.W2 = W2.data(), net.b2 = b2.data();
  net.act.kind = ActKind::Identity;
  std::vector<double> weights = {1, 2, 3};
  InputDist dist;
  dist.in = n, dist.K = K, dist.weights = weights.data(), dist.means = means.data(), dist.covs = covs.data();
  LinearFit fit = mlp_linear_fit(net, dist, FitOptions{});
  CHECK(fit.solve.method == "pinv");
  for (int o = 0; o < out; ++o) {
    double a = b2[o];
    for (int i = 0; i < h; ++i) a += W2[o * h + i] * b1[i];
    CHECK_CLOSE(fit.alpha[o], a, 1e-12, 1e-12);
    for (int j = 0; j < n; ++j) {
      double b = 0;
      for (int i = 0; i < h; ++i) b += W2[o * h + i] * W1[i * n + j];
      CHECK_CLOSE(fit.beta[j * out + o], b, 1e-12, 1e-12);
    }
  }
}
