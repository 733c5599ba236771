// Core checks of the analytic variance explained: the bivariate normal CDF against 40-digit
// values, relu's cross moment against those and against quadrature over E[relu(y_j) | y_i],
// the other closed forms and the Mehler series against quadrature, and two exact layer-level
// identities (an identity MLP is its own linear approximant; a duplicated unit is one unit).
#include <cmath>
#include <random>
#include <vector>

#include "check.hpp"
#include "integrals.hpp"
#include "normal.hpp"
#include "variance.hpp"

using namespace polyapprox;

TEST_CASE("bivariate normal CDF: 40-digit values (mpmath), tails relative to max(P, Q(h)Q(k))") {
  CHECK_CLOSE(bivariate_normal_cdf(0, 0, 0.5), 1.0 / 3.0, 1e-15, 0);
  CHECK_CLOSE(bivariate_normal_cdf(0, 0, -0.5), 1.0 / 6.0, 1e-15, 0);
  CHECK_CLOSE(bivariate_normal_cdf(-1, 0.5, -0.3), 0.082153783474017526794, 1e-15, 0);
  CHECK_CLOSE(bivariate_normal_upper(0.3, -0.2, 0.999), 0.38208857781104736269, 1e-15, 0);
  CHECK_CLOSE(bivariate_normal_upper(2.5, -1, 0.95), 0.006209665325776135167, 1e-14, 0);
  // Rare events: Genz's fixed rules alone are 1e-4 off here (relative).
  CHECK_CLOSE(bivariate_normal_upper(6, 6, 0.29), 5.3955897447140521228e-15, 1e-13, 0);
  // Negative correlations, P ≪ Q(h)Q(k): accurate relative to Q(h)Q(k) (the covariances only
  // need that: E[y_i y_j 1 1] − E[y_i 1] E[y_j 1] is then dominated by the product).
  CHECK_CLOSE(bivariate_normal_upper(3, 4, -0.5), 6.8370538049201145519e-14, 0, 1e-15 * Q(3) * Q(4));
  CHECK_CLOSE(bivariate_normal_upper(1, 2, -0.97), 6.0584800219673911804e-37, 0, 1e-16 * Q(1) * Q(2));
  // Limits.
  CHECK_CLOSE(bivariate_normal_upper(0.7, 0.2, 1.0), Q(0.7), 1e-15, 0);
  CHECK_CLOSE(bivariate_normal_upper(-0.7, -0.2, -1.0), Q(-0.7) - Q(0.2), 1e-15, 0);
  CHECK(bivariate_normal_upper(0.7, -0.2, -1.0) == 0.0);
  CHECK_CLOSE(bivariate_normal_upper(-INFINITY, 0.4, 0.3), Q(0.4), 1e-15, 0);
  CHECK(bivariate_normal_upper(INFINITY, 0.4, 0.3) == 0.0);
  // Symmetry in (h, k) and P(X > h, Y > k) + P(X > h, Y ≤ k) = Q(h).
  for (double r : {-0.93, -0.6, -0.1, 0.2, 0.8, 0.97})
    for (double h : {-2.0, 0.0, 1.5}) {
      CHECK_CLOSE(bivariate_normal_upper(h, 0.6, r), bivariate_normal_upper(0.6, h, r), 1e-14, 1e-16);
      CHECK_CLOSE(bivariate_normal_upper(h, 0.6, r) + bivariate_normal_upper(h, -0.6, -r), Q(h), 1e-14, 1e-16);
    }
}

TEST_CASE("relu cross moment: 40-digit values (mpmath), including deep tails and |corr| = 1") {
  struct Case { double mi, si, mj, sj, k, want; };
  const Case cases[] = {
      {-1.5722122374486518, 1.2358744663346217, 0.26537535177571137, 1.8909761080693444, -0.1015363004609165,
       0.04780351662416822506},
      {2.20827184285978, 2.275505197364173, 0.13908726229980806, 2.079952131034859, -4.126827732627723,
       0.52936661626845960220},
      {8.0, 1.0, 7.0, 2.0, 1.0, 57.000703065615707252},
      {1.2, 0.8, 0.3, 1.1, 0.8799999991200002, 1.2606400924495226943},  // 1 − ρ = 1e-9
      {0.7, 1.3, 0.7, 1.3, 1.69, 1.8506630884483634283},                 // ρ = 1
  };
  for (const Case& c : cases) CHECK_CLOSE(relu_cross_moment(c.mi, c.si, c.mj, c.sj, c.k), c.want, 1e-13, 0);
  // Both units active with probability ~1e-9 and ~3e-7: the Stein terms cancel by ~(m/s)², and
  // the raw moment keeps ~12 digits (the covariance route orients the units and keeps more).
  CHECK_CLOSE(relu_cross_moment(-6.0, 1.0, -5.0, 1.0, 0.3), 2.3059341954279922986e-14, 1e-11, 0);
  // A constant factor.
  CHECK_CLOSE(relu_cross_moment(0.5, 0.0, 0.2, 1.3, 0.0), 0.5 * deriv_ev(Activation{}, 0, 0.2, 1.3), 1e-15, 0);
}

TEST_CASE("closed-form pair covariances agree with quadrature over E[φ(y_j) | y_i]") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> U(0, 1);
  for (ActKind kind : {ActKind::Relu, ActKind::Gelu, ActKind::LeakyRelu, ActKind::JumpRelu, ActKind::Identity}) {
    Activation act;
    act.kind = kind;
    act.threshold = 0.5;
    CHECK(has_piecewise_form(kind));
    for (int t = 0; t < 10; ++t) {
      const double ma = 4 * U(rng) - 2, mb = 4 * U(rng) - 2, sa = 0.3 + 2 * U(rng), sb = 0.3 + 2 * U(rng);
      const double rho = t % 3 == 0 ? 0.99 : (t % 3 == 1 ? 2 * U(rng) - 1 : -0.97);
      const double k = rho * sa * sb;
      const double closed = piecewise_covariance(piecewise_unit(act, ma, sa), piecewise_unit(act, mb, sb), k);
      const double quad = pair_covariance_by_quadrature(act, ma, sa, deriv_ev(act, 0, ma, sa), mb, sb,
                                                        deriv_ev(act, 0, mb, sb), k, 1e-14 * sa * sb);
      CHECK_CLOSE(closed, quad, 0, 1e-11 * sa * sb);
    }
    // The variance: Var φ(y) = E[φ²] − E[φ]², with E[φ²] = E[φ(y) φ(y)] at corr 1.
    const double m = 0.3, s = 1.1;
    const PiecewiseUnit u = piecewise_unit(act, m, s);
    const double var = piecewise_covariance(u, u, s * s);
    const double quad = pair_covariance_by_quadrature(act, m, s, deriv_ev(act, 0, m, s), m, s, deriv_ev(act, 0, m, s),
                                                      s * s, 1e-15);
    CHECK_CLOSE(var, quad, 1e-11, 0);
  }
  // relu_cross_moment is the raw moment of the same thing.
  Activation relu;
  const double c = piecewise_covariance(piecewise_unit(relu, 0.4, 1.3), piecewise_unit(relu, -0.7, 0.9), 0.5);
  CHECK_CLOSE(relu_cross_moment(0.4, 1.3, -0.7, 0.9, 0.5) - deriv_ev(relu, 0, 0.4, 1.3) * deriv_ev(relu, 0, -0.7, 0.9), c,
              1e-14, 1e-16);
}

TEST_CASE("smooth activations: the Mehler series agrees with quadrature where its bound admits it") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> U(0, 1);
  for (ActKind kind : {ActKind::Sigmoid, ActKind::Tanh, ActKind::Swish, ActKind::Softplus}) {
    Activation act;
    act.kind = kind;
    CHECK(!has_piecewise_form(kind));
    int series = 0;
    for (int t = 0; t < 6; ++t) {
      const double ma = 2 * U(rng) - 1, mb = 2 * U(rng) - 1, sa = 0.4 + U(rng), sb = 0.4 + U(rng);
      const double k = (1.8 * U(rng) - 0.9) * sa * sb;
      const SmoothUnit a = smooth_unit(act, ma, sa, deriv_ev(act, 0, ma, sa));
      const SmoothUnit b = smooth_unit(act, mb, sb, deriv_ev(act, 0, mb, sb));
      int route = 0;
      const double c = smooth_covariance(act, a, b, k, 1e-12, &route);
      const double scale = std::sqrt(a.var * b.var);
      const double quad = pair_covariance_by_quadrature(act, ma, sa, a.mean, mb, sb, b.mean, k, 1e-14 * scale);
      CHECK_CLOSE(c, quad, 0, 2e-12 * scale);
      series += route == 1;
      // Parseval: Var = Σ_k c_k² + tail.
      double captured = 0;
      for (double ck : a.coef) captured += ck * ck;
      CHECK(captured <= a.var * (1 + 1e-12));
      for (size_t q = 1; q < a.tail.size(); ++q) CHECK(a.tail[q] <= a.tail[q - 1]);
      CHECK_CLOSE(a.tail.back(), a.var - captured, 0, 2e-13 * a.var);
    }
    CHECK(series > 0);
  }
}

namespace {
struct Layer {
  int in, hidden, out;
  std::vector<double> W1, b1, W2, mean, cov;
  Mlp net(ActKind kind) const {
    Mlp m;
    m.in = in, m.hidden = hidden, m.out = out;
    m.W1 = W1.data(), m.b1 = b1.data(), m.W2 = W2.data();
    m.act.kind = kind;
    return m;
  }
  InputDist dist() const {
    InputDist d;
    d.in = in, d.means = mean.data(), d.covs = cov.data();
    return d;
  }
};

Layer random_layer(std::mt19937_64& rng, int in, int hidden, int out) {
  std::normal_distribution<double> g;
  Layer L{in, hidden, out, {}, {}, {}, {}, {}};
  for (auto* v : {&L.W1, &L.b1, &L.W2, &L.mean}) v->clear();
  for (int i = 0; i < hidden * in; ++i) L.W1.push_back(g(rng) / std::sqrt(in));
  for (int i = 0; i < hidden; ++i) L.b1.push_back(0.5 * g(rng));
  for (int i = 0; i < out * hidden; ++i) L.W2.push_back(g(rng) / std::sqrt(hidden));
  for (int i = 0; i < in; ++i) L.mean.push_back(0.5 * g(rng));
  std::vector<double> A(in * (in + 1));
  for (double& a : A) a = g(rng);
  L.cov.assign(in * in, 0.0);
  for (int i = 0; i < in; ++i)
    for (int j = 0; j < in; ++j) {
      for (int q = 0; q <= in; ++q) L.cov[i * in + j] += A[i * (in + 1) + q] * A[j * (in + 1) + q] / (in + 1);
      if (i == j) L.cov[i * in + j] += 0.1;
    }
  return L;
}
}  // namespace

TEST_CASE("identity MLP: Var f = Var q at degree 1, FVU = 0, nothing above degree 1") {
  std::mt19937_64 rng(11);
  const Layer L = random_layer(rng, 5, 7, 3);
  const VarianceExplained r = mlp_variance_explained(L.net(ActKind::Identity), L.dist(), 2, VarianceOptions{});
  for (int o = 0; o < 3; ++o) {
    CHECK_CLOSE(r.var_q[o], r.var_f[o], 1e-13, 0);
    CHECK_CLOSE(r.fvu[o], 0.0, 0, 1e-13);
    CHECK(r.by_degree[3 + o] == 0.0);
  }
  CHECK(r.pairs_closed == 7 * 8 / 2);
}

TEST_CASE("a duplicated unit is one unit with the summed output weight (corr = 1 inside the layer)") {
  std::mt19937_64 rng(13);
  const Layer L = random_layer(rng, 4, 5, 2);
  Layer D = L;
  D.hidden = 6;
  D.W1.insert(D.W1.end(), L.W1.begin(), L.W1.begin() + 4);
  D.b1.push_back(L.b1[0]);
  D.W2.clear();
  for (int o = 0; o < 2; ++o) {
    for (int i = 0; i < 5; ++i) D.W2.push_back(i == 0 ? 0.25 * L.W2[o * 5] : L.W2[o * 5 + i]);
    D.W2.push_back(0.75 * L.W2[o * 5]);
  }
  for (ActKind kind : {ActKind::Relu, ActKind::Gelu, ActKind::LeakyRelu, ActKind::Sigmoid, ActKind::Tanh}) {
    const VarianceExplained a = mlp_variance_explained(L.net(kind), L.dist(), 3, VarianceOptions{});
    const VarianceExplained b = mlp_variance_explained(D.net(kind), D.dist(), 3, VarianceOptions{});
    for (int o = 0; o < 2; ++o) {
      CHECK_CLOSE(b.var_f[o], a.var_f[o], 1e-11, 0);
      for (int k = 0; k < 3; ++k) CHECK_CLOSE(b.by_degree[k * 2 + o], a.by_degree[k * 2 + o], 1e-12, 1e-15);
    }
  }
}

TEST_CASE("row blocks of K: any block size gives the same sums") {
  std::mt19937_64 rng(17);
  const Layer L = random_layer(rng, 4, 11, 3);
  for (ActKind kind : {ActKind::Relu, ActKind::Tanh}) {
    const VarianceExplained a = mlp_variance_explained(L.net(kind), L.dist(), 2, VarianceOptions{});
    for (int rows : {1, 3, 7}) {
      VarianceOptions opt;
      opt.block_rows = rows;
      const VarianceExplained b = mlp_variance_explained(L.net(kind), L.dist(), 2, opt);
      for (int o = 0; o < 3; ++o) {
        CHECK_CLOSE(b.var_f[o], a.var_f[o], 1e-14, 0);
        CHECK_CLOSE(b.var_q[o], a.var_q[o], 1e-14, 0);
      }
      CHECK(b.pairs_closed + b.pairs_series + b.pairs_quadrature == 11 * 12 / 2);
    }
  }
}
