// Core-level checks of the degree-2 fit: a bilinear layer is its own quadratic approximant.
#include <random>
#include <vector>

#include "check.hpp"
#include "quadratic.hpp"

using namespace polyapprox;

TEST_CASE("bilinear GLU: the quadratic approximant reproduces the layer exactly") {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g;
  const int n = 5, h = 7, out = 3;
  std::vector<double> W(h * n), V(h * n), b1(h), b2(h), W2(out * h), mean(n), cov(n * n, 0.0);
  for (auto* v : {&W, &V, &b1, &b2, &W2, &mean})
    for (double& x : *v) x = g(rng);
  for (int i = 0; i < n; ++i) cov[i * n + i] = 0.5 + i;  // any Gaussian: the identity is exact
  Glu net;
  net.in = n, net.hidden = h, net.out = out;
  net.W = W.data(), net.V = V.data(), net.b1 = b1.data(), net.b2 = b2.data(), net.W2 = W2.data();
  net.act.kind = ActKind::Identity;
  InputDist dist;
  dist.in = n, dist.means = mean.data(), dist.covs = cov.data();
  QuadraticFit q = glu_quadratic_fit(net, dist, FitOptions{});
  std::vector<double> x(n);
  for (double& v : x) v = 2 * g(rng);
  std::vector<double> y = quadratic_predict(q, 1, x.data());
  for (int o = 0; o < out; ++o) {
    double f = 0;
    for (int i = 0; i < h; ++i) {
      double a = b1[i], z = b2[i];
      for (int j = 0; j < n; ++j) a += W[i * n + j] * x[j], z += V[i * n + j] * x[j];
      f += W2[o * h + i] * a * z;
    }
    CHECK_CLOSE(y[o], f, 1e-12, 1e-12);
  }
  // The packed gamma and the form agree.
  std::vector<double> G(n * n), row(n * (n + 1) / 2);
  quadratic_form(q, 1, G.data());
  pack_gamma(n, G.data(), row.data());
  std::vector<double> gamma = quadratic_gamma(q);
  for (size_t k = 0; k < row.size(); ++k) CHECK_CLOSE(gamma[row.size() + k], row[k], 0, 0);
}
