// Native benchmark of the core's steps at MNIST scale, without Node: the time of each step of
// the K = 10 full-covariance linear mixture fit (784→1024→10), and a dgemm of equal flops in
// the same run. Usage: polyapprox_bench [in hidden out K runs]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "fit.hpp"
#include "linalg.hpp"

using namespace polyapprox;

namespace {
double median_seconds(int runs, const std::function<void()>& fn) {
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

double dgemm_seconds(double flops, int runs) {
  const int side = std::max(8, static_cast<int>(std::cbrt(flops / 2)));
  std::vector<double> A(static_cast<size_t>(side) * side, 0.5), B(A), C(A.size());
  const double t = median_seconds(runs, [&] { gemm(false, false, side, side, side, 1.0, A.data(), B.data(), 0.0, C.data()); });
  return t * flops / (2.0 * side * side * side);
}
}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 784;
  const int h = argc > 2 ? std::atoi(argv[2]) : 1024;
  const int out = argc > 3 ? std::atoi(argv[3]) : 10;
  const int K = argc > 4 ? std::atoi(argv[4]) : 10;
  const int runs = argc > 5 ? std::atoi(argv[5]) : 5;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> g;
  std::vector<double> W1(static_cast<size_t>(h) * n), b1(h), W2(static_cast<size_t>(out) * h), b2(out);
  for (double& v : W1) v = g(rng) / std::sqrt(n);
  for (double& v : b1) v = 0.1 * g(rng);
  for (double& v : W2) v = g(rng) / std::sqrt(h);
  std::vector<double> means(static_cast<size_t>(K) * n), covs(static_cast<size_t>(K) * n * n), weights(K, 1.0);
  for (double& v : means) v = 0.5 * g(rng);
  std::vector<double> A(static_cast<size_t>(n) * n);
  for (int k = 0; k < K; ++k) {
    for (double& v : A) v = g(rng);
    double* C = &covs[static_cast<size_t>(k) * n * n];
    gemm(false, true, n, n, n, 1.0 / n, A.data(), A.data(), 0.0, C);
    for (int i = 0; i < n; ++i) C[static_cast<size_t>(i) * n + i] += 0.01;
  }
  Mlp net;
  net.in = n, net.hidden = h, net.out = out;
  net.W1 = W1.data(), net.b1 = b1.data(), net.W2 = W2.data(), net.b2 = b2.data();
  InputDist dist;
  dist.in = n, dist.K = K, dist.weights = weights.data(), dist.means = means.data(), dist.covs = covs.data();

  std::printf("polyapprox_bench: in %d, hidden %d, out %d, K %d, median of %d runs\n", n, h, out, K, runs);
  CovFactor f;
  const double t_factor = median_seconds(runs, [&] { f = factor_covariance(n, covs.data(), 1e-8); });
  const double t_project = median_seconds(runs, [&] { project_onto_factor(h, W1.data(), f); });
  std::vector<double> vals, vecs;
  const double t_eigen = median_seconds(runs, [&] { symmetric_eigen(n, covs.data(), vals, vecs); });
  LinearFit fit;
  const double t_fit = median_seconds(runs, [&] { fit = mlp_linear_fit(net, dist, FitOptions{}); });
  const double flops = K * (n * double(n) * n / 3 + double(h) * n * n + 2.0 * n * n * out + 2.0 * h * n * out) + 9.0 * n * n * n;
  const double t_gemm = dgemm_seconds(flops, runs);
  std::printf("%-44s %10s\n", "step", "seconds");
  std::printf("%-44s %10.4f\n", "factor_covariance (one component)", t_factor);
  std::printf("%-44s %10.4f\n", "project_onto_factor (one component)", t_project);
  std::printf("%-44s %10.4f\n", "symmetric_eigen (mixture covariance)", t_eigen);
  std::printf("%-44s %10.4f\n", "mlp_linear_fit (whole, K components)", t_fit);
  std::printf("%-44s %10.4f  (%.2f GFLOP nominal)\n", "dgemm of equal flops", t_gemm, flops / 1e9);
  std::printf("fit / dgemm = %.2f, rank %d\n", t_fit / t_gemm, fit.solve.rank);
  return 0;
}
