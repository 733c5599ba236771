// Interaction eigendecomposition: the matrix-free product against the formed G, spectra known
// in closed form (orthogonal MLP rows, a one-unit bilinear GLU), dense vs Lanczos agreement,
// repeated eigenvalues, the start sequence shared with lib/js/eigen.ts, and argument errors.
#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "eigen.hpp"
#include "random.hpp"

using namespace polyapprox;

using polyapprox_test::normals;

namespace {

// Keeps the buffers a fit borrows.
struct MlpCase {
  std::vector<double> W1, b1, W2;
  QuadraticFit q;
};

MlpCase random_mlp(std::mt19937_64& rng, int n, int h, int out, ActKind act) {
  MlpCase c;
  c.W1 = normals(rng, static_cast<size_t>(h) * n, 1 / std::sqrt(n));
  c.b1 = normals(rng, h, 0.5);
  c.W2 = normals(rng, static_cast<size_t>(out) * h, 1 / std::sqrt(h));
  Mlp net;
  net.in = n, net.hidden = h, net.out = out;
  net.W1 = c.W1.data(), net.b1 = c.b1.data(), net.W2 = c.W2.data();
  net.act.kind = act;
  InputDist dist;
  dist.in = n;
  c.q = mlp_quadratic_fit(net, dist, FitOptions{});
  return c;
}

QuadraticFit random_glu(std::mt19937_64& rng, int n, int h, int out /*0: no W2*/, ActKind act) {
  std::vector<double> W = normals(rng, static_cast<size_t>(h) * n, 1 / std::sqrt(n));
  std::vector<double> V = normals(rng, static_cast<size_t>(h) * n, 1 / std::sqrt(n));
  std::vector<double> b1 = normals(rng, h, 0.5), b2 = normals(rng, h, 0.5);
  std::vector<double> W2 = normals(rng, static_cast<size_t>(std::max(out, 1)) * h, 1 / std::sqrt(h));
  Glu net;
  net.in = n, net.hidden = h, net.out = out ? out : h;
  net.W = W.data(), net.V = V.data(), net.b1 = b1.data(), net.b2 = b2.data();
  net.W2 = out ? W2.data() : nullptr;
  net.act.kind = act;
  InputDist dist;
  dist.in = n;
  return glu_quadratic_fit(net, dist, FitOptions{});  // the fit copies W and V
}

std::vector<double> form(const QuadraticFit& q, int o) {
  std::vector<double> G(static_cast<size_t>(q.in) * q.in);
  quadratic_form(q, o, G.data());
  return G;
}

// max_j ‖G v_j − λ_j v_j‖ / |λ_0|, and max |v_iᵀ v_j − δ_ij|.
void check_eigenpairs(const QuadraticFit& q, int o, const EigenResult& r, double tol) {
  const int n = q.in, k = r.k;
  REQUIRE(static_cast<int>(r.values.size()) == k);
  REQUIRE(static_cast<int>(r.vectors.size()) == k * n);
  std::vector<double> GV(static_cast<size_t>(k) * n);
  quadratic_form_apply(q, o, k, r.vectors.data(), GV.data());
  const double scale = std::max(std::fabs(r.values[0]), 1e-300);
  for (int j = 0; j < k; ++j) {
    double res = 0, best = 0;
    int arg = 0;
    for (int i = 0; i < n; ++i) {
      const double v = r.vectors[j * n + i];
      res += (GV[j * n + i] - r.values[j] * v) * (GV[j * n + i] - r.values[j] * v);
      if (std::fabs(v) > best) best = std::fabs(v), arg = i;
    }
    CHECK(std::sqrt(res) <= tol * scale);
    CHECK(r.vectors[j * n + arg] > 0);
    if (j > 0) CHECK(std::fabs(r.values[j]) <= std::fabs(r.values[j - 1]));
    for (int l = 0; l <= j; ++l) {
      double d = 0;
      for (int i = 0; i < n; ++i) d += r.vectors[j * n + i] * r.vectors[l * n + i];
      CHECK_CLOSE(d, l == j ? 1.0 : 0.0, 0, 1e-10);
    }
  }
}

// Same values; same vectors (sign already fixed) for the first `vecs` pairs.
void check_agree(const EigenResult& a, const EigenResult& b, int vecs, double vtol) {
  REQUIRE(a.k == b.k && a.n == b.n);
  const double scale = std::fabs(b.values[0]);
  for (int j = 0; j < a.k; ++j) CHECK_CLOSE(a.values[j], b.values[j], 0, 1e-12 * scale);
  for (int j = 0; j < vecs; ++j)
    for (int i = 0; i < a.n; ++i) CHECK_CLOSE(a.vectors[j * a.n + i], b.vectors[j * a.n + i], 0, vtol);
}
}  // namespace

TEST_CASE("eigen: quadratic_form_apply equals the formed G, MLP and GLU, one or many vectors") {
  std::mt19937_64 rng(5);
  MlpCase mlp = random_mlp(rng, 9, 14, 2, ActKind::Relu);
  QuadraticFit glu = random_glu(rng, 9, 6, 2, ActKind::Identity);
  QuadraticFit diag = random_glu(rng, 9, 4, 0, ActKind::Identity);  // one active unit per output
  for (const QuadraticFit* q : {&mlp.q, &glu, &diag}) {
    const int n = q->in;
    for (int o = 0; o < q->out; ++o) {
      std::vector<double> G = form(*q, o);
      for (int m : {1, 3}) {
        std::vector<double> X = normals(rng, static_cast<size_t>(m) * n, 1), Y(static_cast<size_t>(m) * n);
        quadratic_form_apply(*q, o, m, X.data(), Y.data());
        for (int r = 0; r < m; ++r)
          for (int i = 0; i < n; ++i) {
            double v = 0;
            for (int j = 0; j < n; ++j) v += G[i * n + j] * X[r * n + j];
            CHECK_CLOSE(Y[r * n + i], v, 1e-12, 1e-14);
          }
      }
    }
  }
}

TEST_CASE("eigen: an MLP with orthogonal rows has the spectrum ½ a_i c_i² on those rows") {
  // W1 = diag(c) U with U orthogonal: G = ½ Σ a_i c_i² u_i u_iᵀ exactly. Relu under N(0, I):
  // a_i = W2_i E[relu''(y_i)] = W2_i pdf(b_i / c_i) / c_i, so λ_i = ½ W2_i c_i pdf(b_i / c_i).
  std::mt19937_64 rng(7);
  const int n = 12;
  const std::vector<double> U = polyapprox_test::random_orthogonal(rng, n);
  std::vector<double> c(n), W1(n * n), b1 = normals(rng, n, 0.7), W2(n), lam(n);
  for (int i = 0; i < n; ++i) {
    c[i] = 0.5 + 0.25 * i;
    W2[i] = (i % 2 ? -1.0 : 1.0) * (1 + 0.3 * i);
    for (int t = 0; t < n; ++t) W1[i * n + t] = c[i] * U[i * n + t];
    lam[i] = 0.5 * W2[i] * c[i] * std::exp(-0.5 * (b1[i] / c[i]) * (b1[i] / c[i])) / 2.5066282746310002;
  }
  Mlp net;
  net.in = n, net.hidden = n, net.out = 1;
  net.W1 = W1.data(), net.b1 = b1.data(), net.W2 = W2.data();
  InputDist dist;
  dist.in = n;
  QuadraticFit q = mlp_quadratic_fit(net, dist, FitOptions{});
  std::vector<int> order = order_by_magnitude(n, lam.data());
  const int k = 5;
  EigenOptions opt;
  opt.k = k;
  for (const EigenResult& r : {interaction_eigen_dense(q, 0, k), interaction_eigen_lanczos(q, 0, opt)}) {
    check_eigenpairs(q, 0, r, 1e-10);
    CHECK(r.converged);
    for (int j = 0; j < k; ++j) {
      const int i = order[j];
      CHECK_CLOSE(r.values[j], lam[i], 1e-12, 1e-15);
      std::vector<double> u(&U[i * n], &U[i * n] + n);
      fix_sign(n, u.data());
      for (int t = 0; t < n; ++t) CHECK_CLOSE(r.vectors[j * n + t], u[t], 0, 1e-10);
    }
  }
}

TEST_CASE("eigen: a one-unit bilinear GLU has eigenvalues ½(w·v ± ‖w‖‖v‖) on w/‖w‖ ± v/‖v‖") {
  std::mt19937_64 rng(11);
  const int n = 60, h = 3;  // in > basis: the zero eigenvalues come from breakdowns and restarts
  QuadraticFit q = random_glu(rng, n, h, 0, ActKind::Identity);  // output o is unit o alone
  const int o = 1;
  const double* w = &q.W[o * n];
  const double* v = &q.V[o * n];
  double wv = 0, ww = 0, vv = 0;
  for (int i = 0; i < n; ++i) wv += w[i] * v[i], ww += w[i] * w[i], vv += v[i] * v[i];
  const double nw = std::sqrt(ww), nv = std::sqrt(vv);
  const double lp = 0.5 * (wv + nw * nv), lm = 0.5 * (wv - nw * nv);  // b = E[φ'] = 1
  std::vector<double> up(n), um(n);
  for (int i = 0; i < n; ++i) up[i] = w[i] / nw + v[i] / nv, um[i] = w[i] / nw - v[i] / nv;
  for (std::vector<double>* u : {&up, &um}) {
    double s = 0;
    for (double x : *u) s += x * x;
    for (double& x : *u) x /= std::sqrt(s);
    fix_sign(n, u->data());
  }
  const bool plus_first = std::fabs(lp) >= std::fabs(lm);
  EigenOptions opt;
  opt.k = 4;  // two nonzero eigenvalues, then zeros (a repeated eigenvalue, found by restarts)
  for (const EigenResult& r : {interaction_eigen_dense(q, o, 4), interaction_eigen_lanczos(q, o, opt)}) {
    check_eigenpairs(q, o, r, 1e-10);
    CHECK_CLOSE(r.values[0], plus_first ? lp : lm, 1e-12, 0);
    CHECK_CLOSE(r.values[1], plus_first ? lm : lp, 1e-12, 0);
    CHECK_CLOSE(r.values[2], 0.0, 0, 1e-14);
    CHECK_CLOSE(r.values[3], 0.0, 0, 1e-14);
    for (int t = 0; t < n; ++t) {
      CHECK_CLOSE(r.vectors[t], (plus_first ? up : um)[t], 0, 1e-10);
      CHECK_CLOSE(r.vectors[n + t], (plus_first ? um : up)[t], 0, 1e-10);
    }
  }
}

TEST_CASE("eigen: dense and Lanczos agree on the top k, both ends of the spectrum, restarts") {
  std::mt19937_64 rng(13);
  // in = 150 with k = 6: basis 32, so Lanczos must restart many times.
  MlpCase mlp = random_mlp(rng, 150, 300, 2, ActKind::Relu);
  QuadraticFit glu = random_glu(rng, 120, 200, 2, ActKind::Identity);
  for (const QuadraticFit* q : {&mlp.q, &glu}) {
    for (int o = 0; o < q->out; ++o) {
      EigenOptions opt;
      opt.k = 6;
      EigenResult d = interaction_eigen_dense(*q, o, 6), l = interaction_eigen_lanczos(*q, o, opt);
      CHECK(l.converged);
      CHECK(l.iterations > lanczos_basis_size(q->in, 6));  // it did restart
      check_eigenpairs(*q, o, d, 1e-12);
      check_eigenpairs(*q, o, l, 1e-10);
      check_agree(l, d, 6, 1e-6);
      bool pos = false, neg = false;
      for (double x : d.values) (x > 0 ? pos : neg) = true;
      CHECK(pos && neg);  // the top |λ| here come from both ends
    }
  }
}

TEST_CASE("eigen: small in (basis = whole space) is exact in one pass; k = in works") {
  std::mt19937_64 rng(17);
  MlpCase mlp = random_mlp(rng, 8, 20, 1, ActKind::Relu);
  EigenOptions opt;
  opt.k = 8;
  EigenResult l = interaction_eigen_lanczos(mlp.q, 0, opt), d = interaction_eigen_dense(mlp.q, 0, 8);
  CHECK(l.converged);
  CHECK(l.iterations == 8);
  check_eigenpairs(mlp.q, 0, l, 1e-12);
  check_agree(l, d, 8, 1e-9);
}

TEST_CASE("eigen: G = 0 (identity MLP) gives zeros, unit vectors and no NaN") {
  std::mt19937_64 rng(19);
  MlpCase mlp = random_mlp(rng, 30, 10, 1, ActKind::Identity);
  EigenOptions opt;
  opt.k = 3;
  for (const EigenResult& r : {interaction_eigen_dense(mlp.q, 0, 3), interaction_eigen_lanczos(mlp.q, 0, opt)}) {
    CHECK(r.converged);
    for (double x : r.values) CHECK(x == 0);
    for (int j = 0; j < 3; ++j) {
      double s = 0;
      for (int i = 0; i < 30; ++i) s += r.vectors[j * 30 + i] * r.vectors[j * 30 + i];
      CHECK_CLOSE(s, 1.0, 1e-12, 0);
    }
  }
}

TEST_CASE("eigen: max_iter stops early and reports not converged") {
  std::mt19937_64 rng(23);
  MlpCase mlp = random_mlp(rng, 200, 400, 1, ActKind::Relu);
  EigenOptions opt;
  opt.k = 10;
  opt.max_iter = 1;  // checked per restart cycle: one cycle of basis size
  EigenResult r = interaction_eigen_lanczos(mlp.q, 0, opt);
  CHECK(!r.converged);
  CHECK(r.iterations == lanczos_basis_size(200, 10));
  CHECK(r.values.size() == 10u);
  for (double x : r.vectors) CHECK(std::isfinite(x));
}

TEST_CASE("eigen: the start sequence is the shared mulberry32 stream") {
  // lib/js/eigen.ts draws the same numbers (test/eigen.test.ts pins the same values).
  StartSequence s;
  CHECK(s.next() == -0.14111001964192837);
  CHECK(s.next() == -0.39409673854243010);
  CHECK(s.next() == 0.17529047944117337);
}

TEST_CASE("eigen: order_by_magnitude and fix_sign") {
  const double v[] = {1.0, -3.0, 3.0, 0.0, -2.0};
  std::vector<int> order = order_by_magnitude(5, v);
  CHECK(order == (std::vector<int>{2, 1, 4, 0, 3}));
  double x[] = {0.1, -0.7, 0.7, -0.2};  // first entry of largest magnitude decides
  fix_sign(4, x);
  CHECK(x[1] == 0.7);
  CHECK(x[2] == -0.7);
}

TEST_CASE("eigen: argument errors") {
  std::mt19937_64 rng(29);
  MlpCase mlp = random_mlp(rng, 5, 6, 2, ActKind::Relu);
  EigenOptions opt;
  opt.k = 6;
  bool threw = false;
  try {
    interaction_eigen_lanczos(mlp.q, 0, opt);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  try {
    interaction_eigen_dense(mlp.q, 2, 1);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  try {
    interaction_eigen_dense(mlp.q, 0, 0);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}
