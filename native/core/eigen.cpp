// Interaction eigendecomposition of quadratic approximants (see eigen.hpp).
#include "eigen.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "linalg.hpp"

namespace polyapprox {

namespace {
constexpr double kEps = 2.220446049250313e-16;

size_t at(long i, long j, long cols) { return static_cast<size_t>(i * cols + j); }

void check_request(const QuadraticFit& fit, int o, int k) {
  if (o < 0 || o >= fit.out) throw std::invalid_argument("output index out of range");
  if (k < 1 || k > fit.in)
    throw std::invalid_argument("k must be in 1.." + std::to_string(fit.in) + ", got " + std::to_string(k));
}

// v ↦ G_o v on the compact form. Units with a = b = 0 contribute nothing (a GLU without W2
// has one active unit per output), so their rows are dropped once, up front, when any are.
class FormOperator {
 public:
  FormOperator(const QuadraticFit& fit, int o) : n_(fit.in) {
    const int h = fit.hidden;
    const bool glu = !fit.b.empty();
    std::vector<int> active;
    for (int i = 0; i < h; ++i)
      if (fit.a[at(o, i, h)] != 0 || (glu && fit.b[at(o, i, h)] != 0)) active.push_back(i);
    h_ = static_cast<int>(active.size());
    // The ½ of G = ½ E[∇²f] folded into the coefficients.
    for (int i : active) {
      a_.push_back(0.5 * fit.a[at(o, i, h)]);
      if (glu) b_.push_back(0.5 * fit.b[at(o, i, h)]);
    }
    if (h_ == h) {
      W_ = fit.W.data();
      V_ = glu ? fit.V.data() : nullptr;
    } else {
      gather(fit.W, active, Wc_);
      W_ = Wc_.data();
      if (glu) {
        gather(fit.V, active, Vc_);
        V_ = Vc_.data();
      }
    }
  }

  // Y [m, n] = X G. With U = X Wᵀ and Z = X Vᵀ ([m, h]):
  //   Y = (U diag a + Z diag b) W + (U diag b) V.
  void apply(int m, const double* X, double* Y) {
    const size_t mh = static_cast<size_t>(m) * h_;
    if (h_ == 0) {
      std::fill(Y, Y + static_cast<size_t>(m) * n_, 0.0);
      return;
    }
    U_.resize(mh);
    P_.resize(mh);
    product(m, X, W_, U_.data());
    if (V_) {
      Z_.resize(mh);
      product(m, X, V_, Z_.data());
    }
    for (int r = 0; r < m; ++r)
      for (int i = 0; i < h_; ++i) {
        const size_t q = at(r, i, h_);
        P_[q] = a_[i] * U_[q] + (V_ ? b_[i] * Z_[q] : 0.0);
      }
    back(m, P_.data(), W_, 0.0, Y);
    if (V_) {
      for (int r = 0; r < m; ++r)
        for (int i = 0; i < h_; ++i) P_[at(r, i, h_)] = b_[i] * U_[at(r, i, h_)];
      back(m, P_.data(), V_, 1.0, Y);
    }
  }

 private:
  void gather(const std::vector<double>& M, const std::vector<int>& rows, std::vector<double>& dst) {
    dst.resize(rows.size() * static_cast<size_t>(n_));
    for (size_t r = 0; r < rows.size(); ++r)
      std::copy(&M[at(rows[r], 0, n_)], &M[at(rows[r], 0, n_)] + n_, &dst[r * n_]);
  }
  // U [m, h] = X [m, n] Mᵀ (M [h, n]); a single vector goes through dgemv.
  void product(int m, const double* X, const double* M, double* U) {
    if (m == 1)
      cblas_dgemv(CblasRowMajor, CblasNoTrans, h_, n_, 1.0, M, n_, X, 1, 0.0, U, 1);
    else
      gemm(false, true, m, h_, n_, 1.0, X, M, 0.0, U);
  }
  // Y [m, n] = P [m, h] M + beta Y.
  void back(int m, const double* P, const double* M, double beta, double* Y) {
    if (m == 1)
      cblas_dgemv(CblasRowMajor, CblasTrans, h_, n_, 1.0, M, n_, P, 1, beta, Y, 1);
    else
      gemm(false, false, m, n_, h_, 1.0, P, M, beta, Y);
  }

  int n_ = 0, h_ = 0;
  const double* W_ = nullptr;
  const double* V_ = nullptr;
  std::vector<double> Wc_, Vc_, a_, b_, U_, Z_, P_;
};

double norm2(int n, const double* x) { return cblas_dnrm2(n, x, 1); }

// w -= Qᵀ(Q w) twice (classical Gram–Schmidt with one reorthogonalization: orthogonal to
// working precision, and all in dgemv). Q has `rows` orthonormal rows of length n. Returns the
// coefficients Q w of the original w in h (size rows).
void orthogonalize(int rows, int n, const double* Q, double* w, double* h, double* h2) {
  if (rows == 0) return;
  cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, n, 1.0, Q, n, w, 1, 0.0, h, 1);
  cblas_dgemv(CblasRowMajor, CblasTrans, rows, n, -1.0, Q, n, h, 1, 1.0, w, 1);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, rows, n, 1.0, Q, n, w, 1, 0.0, h2, 1);
  cblas_dgemv(CblasRowMajor, CblasTrans, rows, n, -1.0, Q, n, h2, 1, 1.0, w, 1);
  for (int i = 0; i < rows; ++i) h[i] += h2[i];
}

// A unit vector orthogonal to the first `rows` rows of Q, from the start sequence. Two passes
// suffice unless the draw lies almost inside span(Q); then draw again.
void fresh_vector(int rows, int n, const double* Q, StartSequence& seq, double* w, double* h, double* h2) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    for (int i = 0; i < n; ++i) w[i] = seq.next();
    const double before = norm2(n, w);
    orthogonalize(rows, n, Q, w, h, h2);
    const double after = norm2(n, w);
    if (after > 1e-8 * before) {
      cblas_dscal(n, 1.0 / after, w, 1);
      return;
    }
  }
  throw std::runtime_error("Lanczos: could not extend the basis (no direction left)");
}

EigenResult finish(int n, int k, const std::vector<double>& vals, const double* vecs /*rows*/,
                   const std::vector<int>& order, const char* method) {
  EigenResult r;
  r.n = n, r.k = k, r.method = method;
  r.values.resize(k);
  r.vectors.resize(static_cast<size_t>(k) * n);
  for (int j = 0; j < k; ++j) {
    r.values[j] = vals[order[j]];
    std::copy(vecs + at(order[j], 0, n), vecs + at(order[j], 0, n) + n, &r.vectors[at(j, 0, n)]);
  }
  return r;
}
}  // namespace

double StartSequence::next() {
  std::uint32_t t = (state_ += 0x6d2b79f5u);
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  t ^= t >> 14;
  return (static_cast<double>(t) + 0.5) / 4294967296.0 - 0.5;
}

std::vector<int> order_by_magnitude(int count, const double* values) {
  std::vector<int> idx(count);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int x, int y) {
    const double ax = std::fabs(values[x]), ay = std::fabs(values[y]);
    if (ax != ay) return ax > ay;
    return values[x] > values[y];
  });
  return idx;
}

void fix_sign(int n, double* v) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (std::fabs(v[i]) > std::fabs(v[best])) best = i;
  if (v[best] < 0)
    for (int i = 0; i < n; ++i) v[i] = -v[i];
}

void quadratic_form_apply(const QuadraticFit& fit, int o, int m, const double* X, double* Y) {
  if (o < 0 || o >= fit.out) throw std::invalid_argument("output index out of range");
  FormOperator op(fit, o);
  op.apply(m, X, Y);
}

EigenResult interaction_eigen_dense(const QuadraticFit& fit, int o, int k) {
  check_request(fit, o, k);
  const int n = fit.in;
  std::vector<double> G(static_cast<size_t>(n) * n), vals, vecs;
  quadratic_form(fit, o, G.data());
  symmetric_eigen(n, G.data(), vals, vecs);
  G = std::vector<double>();  // free before copying out
  EigenResult r = finish(n, k, vals, vecs.data(), order_by_magnitude(n, vals.data()), "dense");
  for (int j = 0; j < k; ++j) fix_sign(n, &r.vectors[at(j, 0, n)]);
  r.iterations = 0;
  r.converged = true;
  return r;
}

int lanczos_basis_size(int n, int k) { return std::min(n, std::max(2 * k + 20, 3 * k)); }

int lanczos_keep_count(int m, int k) { return std::min(m - 1, k + (m - k) / 2); }

int lanczos_default_max_iter(int n, int k) {
  return std::max(1000, 20 * lanczos_basis_size(n, k));
}

EigenResult interaction_eigen_lanczos(const QuadraticFit& fit, int o, const EigenOptions& opt) {
  check_request(fit, o, opt.k);
  if (!(opt.tol >= 0)) throw std::invalid_argument("tol must be ≥ 0");
  const int n = fit.in, k = opt.k;
  const int m = lanczos_basis_size(n, k);
  const int max_iter = opt.max_iter > 0 ? opt.max_iter : lanczos_default_max_iter(n, k);
  FormOperator op(fit, o);
  StartSequence seq;
  // Q: rows 0..m-1 the orthonormal basis, row m the next (residual) direction. T = Qᵀ G Q.
  std::vector<double> Q(static_cast<size_t>(m + 1) * n), T(static_cast<size_t>(m) * m, 0.0);
  std::vector<double> w(n), h(m + 1), h2(m + 1), Qnew, theta, S;
  fresh_vector(0, n, Q.data(), seq, Q.data(), h.data(), h2.data());
  int kept = 0, iterations = 0;
  double gnorm = 0;   // largest ‖G q‖ seen: the scale of "numerically zero" for β
  double lam_max = 0;
  bool converged = false;
  std::vector<int> order;
  while (true) {
    // Extend the basis from `kept` (the restart's Ritz vectors + residual direction) to m.
    double beta = 0;
    for (int j = kept; j < m; ++j) {
      double* q = &Q[at(j, 0, n)];
      op.apply(1, q, w.data());
      ++iterations;
      gnorm = std::max(gnorm, norm2(n, w.data()));
      orthogonalize(j + 1, n, Q.data(), w.data(), h.data(), h2.data());
      T[at(j, j, m)] = h[j];
      beta = norm2(n, w.data());
      double* next = &Q[at(j + 1, 0, n)];
      if (beta <= n * kEps * gnorm) {
        // Invariant subspace: its Ritz pairs are exact. Go on from a fresh direction (decoupled:
        // T gets a zero there), which finds further copies of repeated eigenvalues.
        beta = 0;
        if (j + 1 < n) fresh_vector(j + 1, n, Q.data(), seq, next, h.data(), h2.data());
        else std::fill(next, next + n, 0.0);
      } else {
        for (int i = 0; i < n; ++i) next[i] = w[i] / beta;
      }
      if (j + 1 < m) T[at(j, j + 1, m)] = T[at(j + 1, j, m)] = beta;
    }
    // Rayleigh–Ritz on span(Q): G (Sᵀ Q)_i = θ_i (Sᵀ Q)_i + β S[i, m-1] q_m.
    symmetric_eigen(m, T.data(), theta, S);
    order = order_by_magnitude(m, theta.data());
    lam_max = std::max(lam_max, std::fabs(theta[order[0]]));
    converged = true;
    for (int j = 0; j < k; ++j)
      if (std::fabs(beta * S[at(order[j], m - 1, m)]) > opt.tol * lam_max) converged = false;
    if (m == n) converged = true;  // complete basis: exact up to rounding
    if (converged || iterations >= max_iter) break;
    // Thick restart: keep the `keep` Ritz vectors of largest |θ|, then q_m; T becomes
    // diag(θ_keep) bordered by the couplings β S[i, m-1].
    const int keep = lanczos_keep_count(m, k);
    std::vector<double> Sk(static_cast<size_t>(keep) * m);
    for (int i = 0; i < keep; ++i) std::copy(&S[at(order[i], 0, m)], &S[at(order[i], 0, m)] + m, &Sk[at(i, 0, m)]);
    Qnew.resize(static_cast<size_t>(keep) * n);
    gemm(false, false, keep, n, m, 1.0, Sk.data(), Q.data(), 0.0, Qnew.data());
    std::copy(&Q[at(m, 0, n)], &Q[at(m, 0, n)] + n, &Q[at(keep, 0, n)]);
    std::copy(Qnew.begin(), Qnew.end(), Q.begin());
    std::fill(T.begin(), T.end(), 0.0);
    for (int i = 0; i < keep; ++i) {
      T[at(i, i, m)] = theta[order[i]];
      T[at(i, keep, m)] = T[at(keep, i, m)] = beta * Sk[at(i, m - 1, m)];
    }
    kept = keep;
  }
  // Ritz vectors of the k wanted values: Y = S_kᵀ Q.
  std::vector<double> Sk(static_cast<size_t>(k) * m), Y(static_cast<size_t>(k) * n), vals(k);
  for (int j = 0; j < k; ++j) {
    std::copy(&S[at(order[j], 0, m)], &S[at(order[j], 0, m)] + m, &Sk[at(j, 0, m)]);
    vals[j] = theta[order[j]];
  }
  gemm(false, false, k, n, m, 1.0, Sk.data(), Q.data(), 0.0, Y.data());
  std::vector<int> identity(k);
  std::iota(identity.begin(), identity.end(), 0);
  EigenResult r = finish(n, k, vals, Y.data(), identity, "lanczos");
  for (int j = 0; j < k; ++j) {
    double* v = &r.vectors[at(j, 0, n)];
    const double s = norm2(n, v);
    if (s > 0) cblas_dscal(n, 1.0 / s, v, 1);
    fix_sign(n, v);
  }
  r.iterations = iterations;
  r.converged = converged;
  return r;
}

}  // namespace polyapprox
