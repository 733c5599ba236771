// The block conjugate-residual solver (block_cr.hpp) on its own, through a dense Space: stacks are
// `out` columns of length n, the operator a dense symmetric matrix, the preconditioner the
// identity or a fixed diagonal. This is the template the host and the CUDA device both run, so
// its properties are checked here once: it solves, it minimizes the residual (monotone with the
// identity preconditioner, which CG's residual is not), it tolerates dependent and zero right-hand
// sides, on a singular system it returns the least-norm solution in the preconditioner's metric, and
// with a low-precision operator it still reaches a tol below that operator's reach (the restart from
// the recomputed residual).
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "block_cr.hpp"
#include "check.hpp"
#include "random.hpp"

using namespace polyapprox;

namespace {

struct DenseSpace {
  struct Stack {
    std::vector<double> v;  // [out, n] row-major: one column (right-hand side) per row
  };
  int n, out;
  std::vector<double> A;     // [n, n] symmetric
  std::vector<double> hdiag;  // preconditioner H = diag(hdiag)
  int applies = 0;
  // A low-precision operator for set_single: inputs and products rounded to 16-bit mantissas
  // (ε ≈ 1.5e-5, coarser than float32, so that the recursion's drift shows at this size).
  bool has_single = false;
  bool single = false;

  Stack make() const { return Stack{std::vector<double>(static_cast<size_t>(out) * n, 0.0)}; }
  void zero(Stack& s) const { std::fill(s.v.begin(), s.v.end(), 0.0); }
  void copy(const Stack& from, Stack& to) const { to.v = from.v; }
  std::vector<double> dots(const Stack& X, const Stack& Y) const {
    std::vector<double> d(out, 0.0);
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < n; ++i) d[o] += X.v[o * n + i] * Y.v[o * n + i];
    return d;
  }
  std::vector<double> gram(int mx, int my, const Stack& X, const Stack& Y) const {
    std::vector<double> M(static_cast<size_t>(mx) * my, 0.0);
    for (int a = 0; a < mx; ++a)
      for (int b = 0; b < my; ++b)
        for (int i = 0; i < n; ++i) M[a * my + b] += X.v[a * n + i] * Y.v[b * n + i];
    return M;
  }
  void combine(int mx, int my, const std::vector<double>& T, const Stack& X, double keep, Stack& Y) const {
    for (int b = 0; b < my; ++b)
      for (int i = 0; i < n; ++i) {
        double s = keep * Y.v[b * n + i];
        for (int a = 0; a < mx; ++a) s += T[a * my + b] * X.v[a * n + i];
        Y.v[b * n + i] = s;
      }
  }
  void precondition(const Stack& R, Stack& Z) const {
    for (int o = 0; o < out; ++o)
      for (int i = 0; i < n; ++i) Z.v[o * n + i] = hdiag[i] * R.v[o * n + i];
  }
  void apply(const Stack& Z, Stack& Y, int rows) {
    ++applies;
    zero(Y);
    const auto in = [&](double x) {
      if (!single || x == 0) return x;
      int e = 0;
      const double m = std::frexp(x, &e);
      return std::ldexp(std::round(std::ldexp(m, 16)), e - 16);
    };
    for (int o = 0; o < rows; ++o)
      for (int i = 0; i < n; ++i) {
        double s = 0;
        for (int j = 0; j < n; ++j) s += in(A[i * n + j]) * in(Z.v[o * n + j]);
        Y.v[o * n + i] = in(s);
      }
  }
  int first_single_apply = -1;  // which application (1-based) first ran in low precision
  bool set_single(bool on) {
    single = on && has_single;
    if (single && first_single_apply < 0) first_single_apply = applies + 1;
    return single;
  }
  void subtract(const Stack& X, const Stack& Y, Stack& out_) const {
    for (size_t i = 0; i < out_.v.size(); ++i) out_.v[i] = X.v[i] - Y.v[i];
  }
};

// A = Q diag(eigs) Qᵀ with a random orthogonal Q (its columns are the eigenvectors).
std::vector<double> spectral_matrix(std::mt19937_64& rng, const std::vector<double>& eigs, std::vector<double>* Qout) {
  const int n = static_cast<int>(eigs.size());
  const std::vector<double> Q = polyapprox_test::random_orthogonal(rng, n);
  std::vector<double> A(n * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int t = 0; t < n; ++t) A[i * n + j] += Q[i * n + t] * eigs[t] * Q[j * n + t];
  if (Qout) *Qout = Q;
  return A;
}

MixtureSolveOptions options(double tol, int max_iter, std::vector<double>* history = nullptr) {
  MixtureSolveOptions o;
  o.tol = tol;
  o.max_iter = max_iter;
  if (history) o.progress = [history](int, double r) { history->push_back(r); };
  return o;
}

}  // namespace

TEST_CASE("block CR solves an SPD system for every right-hand side, dependent and zero ones included") {
  std::mt19937_64 rng(11);
  const int n = 40;
  std::vector<double> eigs(n);
  for (int i = 0; i < n; ++i) eigs[i] = std::pow(10.0, -3.0 + 3.0 * i / (n - 1));  // κ = 1000
  DenseSpace sp{n, 4, spectral_matrix(rng, eigs, nullptr), std::vector<double>(n, 1.0)};
  std::normal_distribution<double> g;
  // Unknowns x: columns 0, 1 random, column 2 = column 0 (repeated), column 3 = 0.
  std::vector<double> x(4 * n, 0.0);
  for (int i = 0; i < 2 * n; ++i) x[i] = g(rng);
  for (int i = 0; i < n; ++i) x[2 * n + i] = x[i];
  DenseSpace::Stack b = sp.make(), z = sp.make();
  for (int o = 0; o < 4; ++o)
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) b.v[o * n + i] += sp.A[i * n + j] * x[o * n + j];
  const mixture::BlockSolveResult r = mixture::block_cr(sp, 4, b, z, options(1e-12, 200));
  CHECK(r.residual <= 1e-12);
  // At most n block iterations in exact arithmetic (the Krylov space is full by then).
  CHECK(r.iterations <= n + 5);
  for (int i = 0; i < 3 * n; ++i) CHECK_CLOSE(z.v[i], x[i], 1e-8, 1e-8);
  for (int i = 3 * n; i < 4 * n; ++i) CHECK(z.v[i] == 0.0);
}

TEST_CASE("block CR's residual never increases with the identity preconditioner (it is the minimized norm)") {
  std::mt19937_64 rng(12);
  const int n = 60;
  std::vector<double> eigs(n);
  for (int i = 0; i < n; ++i) eigs[i] = i < 5 ? 1e-4 * (i + 1) : std::pow(10.0, -2.0 + 2.0 * i / (n - 1));
  DenseSpace sp{n, 3, spectral_matrix(rng, eigs, nullptr), std::vector<double>(n, 1.0)};
  std::normal_distribution<double> g;
  DenseSpace::Stack b = sp.make(), z = sp.make();
  for (double& v : b.v) v = g(rng);
  std::vector<double> history;
  mixture::block_cr(sp, 3, b, z, options(1e-10, 25, &history));
  REQUIRE(history.size() == 25);
  for (size_t k = 1; k < history.size(); ++k) CHECK(history[k] <= history[k - 1] * (1 + 1e-12));
  // One operator application per iteration, plus the final recomputation.
  CHECK(sp.applies == 25 + 1 + 1);
}

TEST_CASE("block CR on a singular consistent system returns the least-norm solution in the preconditioner's metric") {
  std::mt19937_64 rng(13);
  const int n = 30, rank = 20;
  std::vector<double> eigs(n, 0.0), Q;
  for (int i = 0; i < rank; ++i) eigs[i] = 0.1 + i;
  DenseSpace sp{n, 2, spectral_matrix(rng, eigs, &Q), std::vector<double>(n)};
  std::uniform_real_distribution<double> u(0.5, 2.0);
  for (double& h : sp.hdiag) h = u(rng);
  std::normal_distribution<double> g;
  DenseSpace::Stack b = sp.make(), z = sp.make();
  for (int o = 0; o < 2; ++o)  // b in range(A): a combination of the first `rank` columns of Q
    for (int t = 0; t < rank; ++t) {
      const double c = g(rng);
      for (int i = 0; i < n; ++i) b.v[o * n + i] += c * Q[i * n + t];
    }
  const mixture::BlockSolveResult r = mixture::block_cr(sp, 2, b, z, options(1e-12, 200));
  CHECK(r.residual <= 1e-12);
  // Least H⁻¹-norm solution ⇔ z ∈ H·range(A) ⇔ H⁻¹ z ⊥ null(A) (the last n − rank columns of Q).
  for (int o = 0; o < 2; ++o) {
    double zn = 0;
    for (int i = 0; i < n; ++i) zn += z.v[o * n + i] * z.v[o * n + i];
    for (int t = rank; t < n; ++t) {
      double d = 0;
      for (int i = 0; i < n; ++i) d += z.v[o * n + i] / sp.hdiag[i] * Q[i * n + t];
      CHECK(std::abs(d) <= 1e-9 * std::sqrt(zn));
    }
  }
}

TEST_CASE("block CR with a low-precision operator: the recursion's drift is caught and the true residual reaches tol") {
  std::mt19937_64 rng(14);
  const int n = 50;
  std::vector<double> eigs(n);
  // κ = 1e3: εκ < 1, so restarting from the true residual converges (iterative refinement).
  for (int i = 0; i < n; ++i) eigs[i] = std::pow(10.0, -2.0 + 3.0 * i / (n - 1));
  DenseSpace sp{n, 3, spectral_matrix(rng, eigs, nullptr), std::vector<double>(n, 1.0)};
  sp.has_single = true;
  std::normal_distribution<double> g;
  std::vector<double> x(3 * n);
  for (double& v : x) v = g(rng);
  DenseSpace::Stack b = sp.make(), z = sp.make();
  for (int o = 0; o < 3; ++o)
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) b.v[o * n + i] += sp.A[i * n + j] * x[o * n + j];
  const double tol = 1e-12;
  std::vector<double> history;
  const mixture::BlockSolveResult r = mixture::block_cr(sp, 3, b, z, options(tol, 400, &history));
  CHECK(r.single_iterations > 0);
  // Low precision starts once the residual is below min(1e-2, 1e5·tol) = 1e-7: application j ≥ 2
  // follows iteration j − 1, whose residual is history[j − 2].
  const int f = sp.first_single_apply;
  REQUIRE(f >= 3);
  CHECK(history[f - 2] < 1e-7);
  CHECK(history[f - 3] >= 1e-7);
  CHECK(r.restarts >= 1);  // the rounded products cannot carry the recursion to 1e-12 unchecked
  CHECK(r.residual <= tol);
  // The reported residual is the true one: recompute it here at full precision.
  sp.set_single(false);
  DenseSpace::Stack Az = sp.make(), res = sp.make();
  sp.apply(z, Az, 3);
  sp.subtract(b, Az, res);
  const std::vector<double> rr = sp.dots(res, res), bb = sp.dots(b, b);
  double worst = 0;
  for (int o = 0; o < 3; ++o) worst = std::max(worst, std::sqrt(rr[o] / bb[o]));
  CHECK_CLOSE(worst, r.residual, 1e-6, 1e-16);
  for (int i = 0; i < 3 * n; ++i) CHECK_CLOSE(z.v[i], x[i], 1e-7, 1e-7);
}
