// Core-level checks of the exact mixture quadratic: exact identities (a bilinear layer is its own
// least-squares quadratic under any mixture; identical components reduce to the single-Gaussian
// fit), cancellation and the memory check.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "mixture_quadratic.hpp"
#include "quadratic.hpp"

using namespace polyapprox;

namespace {
struct RandomMixture {
  int n, K;
  std::vector<double> w, means, covs;
};

// Full-rank components A Aᵀ/n + 0.05 I, or of rank n − 1 when `flat` (every component in the
// hyperplane x_{n−1} = 0.5: the normal equations are singular).
RandomMixture random_mixture(std::mt19937_64& rng, int n, int K, bool flat) {
  std::normal_distribution<double> g;
  RandomMixture m{n, K, std::vector<double>(K), std::vector<double>(K * n), std::vector<double>(K * n * n, 0.0)};
  for (int k = 0; k < K; ++k) {
    m.w[k] = 1 + k;
    const int d = flat ? n - 1 : n;
    std::vector<double> A(d * d);
    for (double& a : A) a = g(rng);
    for (int i = 0; i < d; ++i) {
      m.means[k * n + i] = 0.7 * g(rng);
      for (int j = 0; j < d; ++j) {
        double s = i == j ? 0.05 : 0.0;
        for (int t = 0; t < d; ++t) s += A[i * d + t] * A[j * d + t] / d;
        m.covs[(k * n + i) * n + j] = s;
      }
    }
    if (flat) m.means[k * n + n - 1] = 0.5;
  }
  return m;
}

InputDist dist_of(const RandomMixture& m) {
  InputDist d;
  d.in = m.n, d.K = m.K, d.weights = m.w.data(), d.means = m.means.data(), d.covs = m.covs.data();
  return d;
}

double eval_dense(const MixtureQuadraticFit& f, int o, const std::vector<double>& x) {
  const int n = f.in;
  double y = f.alpha[o];
  for (int i = 0; i < n; ++i) {
    y += f.beta[i * f.out + o] * x[i];
    for (int j = 0; j < n; ++j) y += x[i] * f.G[(o * n + i) * n + j] * x[j];
  }
  return y;
}
// A GLU with standard normal weights and biases; `net` points into the vectors.
struct RandomGlu {
  std::vector<double> W, V, b1, b2, W2;
  Glu net;
  RandomGlu(std::mt19937_64& rng, int n, int h, int out, ActKind act)
      : W(h * n), V(h * n), b1(h), b2(h), W2(out * h) {
    std::normal_distribution<double> g;
    for (auto* v : {&W, &V, &b1, &b2, &W2})
      for (double& x : *v) x = g(rng);
    net.in = n, net.hidden = h, net.out = out;
    net.W = W.data(), net.V = V.data(), net.b1 = b1.data(), net.b2 = b2.data(), net.W2 = W2.data();
    net.act.kind = act;
  }
};
}  // namespace

TEST_CASE("mixture quadratic: a bilinear GLU is reproduced exactly (full-rank and singular mixtures)") {
  for (bool flat : {false, true}) {
    std::mt19937_64 rng(flat ? 11 : 7);
    std::normal_distribution<double> g;
    const int n = 4, h = 5, out = 2;
    RandomGlu rg(rng, n, h, out, ActKind::Identity);
    const Glu& net = rg.net;
    const std::vector<double>&W = rg.W, &V = rg.V, &b1 = rg.b1, &b2 = rg.b2, &W2 = rg.W2;
    RandomMixture m = random_mixture(rng, n, 3, flat);
    MixtureSolveOptions s;
    s.tol = 1e-12;
    MixtureQuadraticFit f = glu_mixture_quadratic_fit(net, dist_of(m), FitOptions{}, s);
    CHECK(f.info.converged);
    CHECK(f.info.rank == (flat ? n - 1 : n));
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<double> x(n);
      for (double& v : x) v = 1.5 * g(rng);
      if (flat) x[n - 1] = 0.5;  // on the support: off it the fit is only defined by extension
      for (int o = 0; o < out; ++o) {
        double y = 0;
        for (int i = 0; i < h; ++i) {
          double a = b1[i], z = b2[i];
          for (int j = 0; j < n; ++j) a += W[i * n + j] * x[j], z += V[i * n + j] * x[j];
          y += W2[o * h + i] * a * z;
        }
        CHECK_CLOSE(eval_dense(f, o, x), y, 1e-9, 1e-9);
      }
    }
  }
}

TEST_CASE("mixture quadratic: the float32 operator (FitOptions::single) still meets tol in float64") {
  std::mt19937_64 rng(13);
  const int n = 6;
  RandomGlu rg(rng, n, 7, 3, ActKind::Sigmoid);
  const Glu& net = rg.net;
  RandomMixture m = random_mixture(rng, n, 4, false);
  MixtureSolveOptions s;
  s.tol = 1e-8;  // float32 from residual 1e-3 on (block_cr.hpp, single_below)
  FitOptions o64, o32;
  o32.single = true;
  MixtureQuadraticFit f64 = glu_mixture_quadratic_fit(net, dist_of(m), o64, s);
  MixtureQuadraticFit f32 = glu_mixture_quadratic_fit(net, dist_of(m), o32, s);
  CHECK(f64.info.single_iterations == 0);
  CHECK(f32.info.single_iterations > 0);
  CHECK(f32.info.converged);
  CHECK(f32.info.residual <= 1e-8);
  double scale = 0;
  for (double v : f64.G) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < f64.G.size(); ++i) CHECK_CLOSE(f32.G[i], f64.G[i], 0, 1e-8 * scale);
  for (size_t i = 0; i < f64.beta.size(); ++i) CHECK_CLOSE(f32.beta[i], f64.beta[i], 1e-8, 1e-8);
}

TEST_CASE("mixture quadratic: identical components give the single-Gaussian fit") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> g;
  const int n = 5, h = 9, out = 3;
  std::vector<double> W1(h * n), b1(h), W2(out * h), b2(out);
  for (auto* v : {&W1, &b1, &W2, &b2})
    for (double& x : *v) x = g(rng);
  Mlp net;
  net.in = n, net.hidden = h, net.out = out;
  net.W1 = W1.data(), net.b1 = b1.data(), net.W2 = W2.data(), net.b2 = b2.data();
  net.act.kind = ActKind::Gelu;
  RandomMixture one = random_mixture(rng, n, 1, false);
  RandomMixture two{n, 2, {1.0, 3.0}, one.means, one.covs};
  two.means.insert(two.means.end(), one.means.begin(), one.means.end());
  two.covs.insert(two.covs.end(), one.covs.begin(), one.covs.end());
  MixtureQuadraticFit f = mlp_mixture_quadratic_fit(net, dist_of(two), FitOptions{}, MixtureSolveOptions{});
  QuadraticFit q = mlp_quadratic_fit(net, dist_of(one), FitOptions{});
  CHECK(f.info.iterations <= 2);
  std::vector<double> G(n * n);
  for (int o = 0; o < out; ++o) {
    CHECK_CLOSE(f.alpha[o], q.alpha[o], 1e-10, 1e-10);
    quadratic_form(q, o, G.data());
    for (int i = 0; i < n; ++i) {
      CHECK_CLOSE(f.beta[i * out + o], q.beta[i * out + o], 1e-10, 1e-10);
      for (int j = 0; j < n; ++j) CHECK_CLOSE(f.G[(o * n + i) * n + j], G[i * n + j], 1e-10, 1e-10);
    }
  }
}

TEST_CASE("mixture quadratic: cancellation and the memory limit") {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> g;
  const int n = 3, h = 4, out = 1;
  std::vector<double> W1(h * n), W2(out * h);
  for (auto* v : {&W1, &W2})
    for (double& x : *v) x = g(rng);
  Mlp net;
  net.in = n, net.hidden = h, net.out = out, net.W1 = W1.data(), net.W2 = W2.data();
  net.act.kind = ActKind::Relu;
  RandomMixture m = random_mixture(rng, n, 3, false);
  std::atomic<bool> cancel{false};
  MixtureSolveOptions s;
  s.tol = 1e-15;
  s.cancel = &cancel;
  int calls = 0;
  s.progress = [&](int iter, double) {
    calls = iter;
    if (iter == 2) cancel = true;
  };
  bool cancelled = false;
  try {
    mlp_mixture_quadratic_fit(net, dist_of(m), FitOptions{}, s);
  } catch (const SolveCancelled&) {
    cancelled = true;
  }
  CHECK(cancelled);
  CHECK(calls == 2);
  MixtureSolveOptions small;
  small.memory_limit = 100;
  bool refused = false;
  try {
    mlp_mixture_quadratic_fit(net, dist_of(m), FitOptions{}, small);
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  CHECK(refused);
}
