// Degree-2 approximants under one Gaussian (see quadratic.hpp).
#include "quadratic.hpp"

#include <cblas.h>

#include <cmath>
#include <stdexcept>
#include <type_traits>

namespace polyapprox {

namespace {
size_t idx(long i, long j, long cols) { return static_cast<size_t>(i * cols + j); }

void require_single_gaussian(const InputDist& dist) {
  if (dist.K != 1) throw std::invalid_argument("degree-2 fits need a single Gaussian input (K = 1)");
}

// alpha and beta from the Hermite expansion around μ, given E f, E∇f and the quadratic part:
// beta = E∇f − Hμ, alpha = E f − E∇fᵀμ + ½ μᵀHμ − ½ tr(HΣ), with Hμ, μᵀHμ and tr(HΣ) supplied
// per output (computed from the compact form, never from H).
void fold_center(QuadraticFit& fit, const LinearTerms& t, const std::vector<double>& mu,
                 const std::vector<double>& h_mu, const std::vector<double>& mu_h_mu,
                 const std::vector<double>& tr_h_sigma) {
  const int n = fit.in, out = fit.out;
  fit.beta.assign(static_cast<size_t>(n) * out, 0.0);
  fit.alpha.assign(out, 0.0);
  for (int o = 0; o < out; ++o) {
    double acc = t.mean_output[o] + 0.5 * mu_h_mu[o] - 0.5 * tr_h_sigma[o];
    for (int j = 0; j < n; ++j) {
      fit.beta[idx(j, o, out)] = t.mean_grad[idx(j, o, out)] - h_mu[idx(j, o, out)];
      acc -= t.mean_grad[idx(j, o, out)] * mu[j];
    }
    fit.alpha[o] = acc;
  }
}
}  // namespace

QuadraticFit mlp_quadratic_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt) {
  require_single_gaussian(dist);
  const int n = net.in, h = net.hidden, out = net.out;
  ComponentMoments c = component_moments(dist, 0, opt.psd_tol, opt.single);
  UnitExpectations u = mlp_units(net, c, 2);
  LinearTerms t = mlp_linear_terms_from_units(net, u);
  QuadraticFit fit;
  fit.in = n, fit.hidden = h, fit.out = out;
  fit.single = opt.single;
  fit.W.assign(net.W1, net.W1 + static_cast<size_t>(h) * n);
  // E[∇²f_o] = W1ᵀ diag(W2[o, :] ⊙ E[φ''(y)]) W1
  fit.a.resize(static_cast<size_t>(out) * h);
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < h; ++i) fit.a[idx(o, i, h)] = net.W2[idx(o, i, h)] * u.e[idx(i, 2, 3)];
  // With p_i = w_iᵀμ: Hμ = W1ᵀ (a_o ⊙ p), μᵀHμ = Σ a p², tr(HΣ) = Σ a s².
  std::vector<double> p(h);
  for (int i = 0; i < h; ++i) p[i] = u.gate.m[i] - (net.b1 ? net.b1[i] : 0.0);
  std::vector<double> T(static_cast<size_t>(h) * out), h_mu(static_cast<size_t>(n) * out), mhm(out, 0.0), trs(out, 0.0);
  for (int i = 0; i < h; ++i)
    for (int o = 0; o < out; ++o) {
      const double a = fit.a[idx(o, i, h)];
      T[idx(i, o, out)] = a * p[i];
      mhm[o] += a * p[i] * p[i];
      trs[o] += a * u.gate.s[i] * u.gate.s[i];
    }
  gemm(true, false, n, out, h, 1.0, net.W1, T.data(), 0.0, h_mu.data());
  fold_center(fit, t, c.mean, h_mu, mhm, trs);
  fit.solve = stein_solve(c, n, opt);
  return fit;
}

QuadraticFit glu_quadratic_fit(const Glu& net, const InputDist& dist, const FitOptions& opt) {
  require_single_gaussian(dist);
  const int n = net.in, h = net.hidden, out = net.out;
  ComponentMoments c = component_moments(dist, 0, opt.psd_tol, opt.single);
  UnitExpectations u = glu_units(net, c, 3);
  LinearTerms t = glu_linear_terms_from_units(net, u);
  QuadraticFit fit;
  fit.in = n, fit.hidden = h, fit.out = out;
  fit.single = opt.single;
  fit.W.assign(net.W, net.W + static_cast<size_t>(h) * n);
  fit.V.assign(net.V, net.V + static_cast<size_t>(h) * n);
  // E[∇²g_i] = (m_z E[φ''] + c_i E[φ''']) w_i w_iᵀ + E[φ'] (w_i v_iᵀ + v_i w_iᵀ), projected by W2.
  fit.a.assign(static_cast<size_t>(out) * h, 0.0);
  fit.b.assign(static_cast<size_t>(out) * h, 0.0);
  for (int i = 0; i < h; ++i) {
    const double* e = &u.e[idx(i, 0, 4)];
    const double A = u.value.m[i] * e[2] + u.cross[i] * e[3], B = e[1];
    if (!net.W2) {
      fit.a[idx(i, i, h)] = A;
      fit.b[idx(i, i, h)] = B;
    } else {
      for (int o = 0; o < out; ++o) {
        fit.a[idx(o, i, h)] = net.W2[idx(o, i, h)] * A;
        fit.b[idx(o, i, h)] = net.W2[idx(o, i, h)] * B;
      }
    }
  }
  // p = Wμ, q = Vμ: Hμ = Wᵀ(a⊙p + b⊙q) + Vᵀ(b⊙p), μᵀHμ = Σ a p² + 2 b p q,
  // tr(HΣ) = Σ a s² + 2 b c.
  std::vector<double> p(h), q(h);
  for (int i = 0; i < h; ++i) {
    p[i] = u.gate.m[i] - (net.b1 ? net.b1[i] : 0.0);
    q[i] = u.value.m[i] - (net.b2 ? net.b2[i] : 0.0);
  }
  std::vector<double> TW(static_cast<size_t>(h) * out), TV(static_cast<size_t>(h) * out);
  std::vector<double> h_mu(static_cast<size_t>(n) * out), mhm(out, 0.0), trs(out, 0.0);
  for (int i = 0; i < h; ++i)
    for (int o = 0; o < out; ++o) {
      const double a = fit.a[idx(o, i, h)], b = fit.b[idx(o, i, h)];
      TW[idx(i, o, out)] = a * p[i] + b * q[i];
      TV[idx(i, o, out)] = b * p[i];
      mhm[o] += a * p[i] * p[i] + 2 * b * p[i] * q[i];
      trs[o] += a * u.gate.s[i] * u.gate.s[i] + 2 * b * u.cross[i];
    }
  gemm(true, false, n, out, h, 1.0, net.W, TW.data(), 0.0, h_mu.data());
  gemm(true, false, n, out, h, 1.0, net.V, TV.data(), 1.0, h_mu.data());
  fold_center(fit, t, c.mean, h_mu, mhm, trs);
  fit.solve = stein_solve(c, n, opt);
  return fit;
}

namespace {
void blas_syrk(int n, int k, double alpha, const double* A, double* C) {
  cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, n, k, alpha, A, n, 1.0, C, n);
}
void blas_syrk(int n, int k, double alpha, const float* A, float* C) {
  cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, n, k, static_cast<float>(alpha), A, n, 1.0f, C, n);
}
void blas_syr2k(int n, int k, double alpha, const double* A, const double* B, double* C) {
  cblas_dsyr2k(CblasRowMajor, CblasLower, CblasTrans, n, k, alpha, A, n, B, n, 1.0, C, n);
}
void blas_syr2k(int n, int k, double alpha, const float* A, const float* B, float* C) {
  cblas_ssyr2k(CblasRowMajor, CblasLower, CblasTrans, n, k, static_cast<float>(alpha), A, n, B, n, 1.0f, C, n);
}

template <class T>
void quadratic_form_in(const QuadraticFit& fit, int o, double* G) {
  const int n = fit.in, h = fit.hidden;
  // G = ½ Σ_i a_i w_i w_iᵀ: split a by sign so each half is a symmetric rank-k update (syrk,
  // half the flops of a general product): G = ½ (PᵀP − NᵀN), rows of P, N = √|a_i| w_i.
  std::vector<T> P, N, Gt(static_cast<size_t>(n) * n, T(0));
  int np = 0, nn = 0;
  P.reserve(static_cast<size_t>(h) * n);
  for (int i = 0; i < h; ++i) {
    const double a = fit.a[idx(o, i, h)];
    if (a == 0) continue;
    std::vector<T>& dst = a > 0 ? P : N;
    (a > 0 ? np : nn)++;
    const double r = std::sqrt(std::fabs(a));
    for (int j = 0; j < n; ++j) dst.push_back(static_cast<T>(r * fit.W[idx(i, j, n)]));
  }
  if (np) blas_syrk(n, np, 0.5, P.data(), Gt.data());
  if (nn) blas_syrk(n, nn, -0.5, N.data(), Gt.data());
  if (!fit.b.empty()) {
    // + ½ Σ_i b_i (w_i v_iᵀ + v_i w_iᵀ) = ½ (Bᵀ V + Vᵀ B) with rows of B = b_i w_i: syr2k.
    std::vector<T> B(static_cast<size_t>(h) * n);
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < n; ++j) B[idx(i, j, n)] = static_cast<T>(fit.b[idx(o, i, h)] * fit.W[idx(i, j, n)]);
    if constexpr (std::is_same_v<T, double>) {
      blas_syr2k(n, h, 0.5, B.data(), fit.V.data(), Gt.data());
    } else {
      std::vector<T> V(fit.V.begin(), fit.V.end());
      blas_syr2k(n, h, 0.5, B.data(), V.data(), Gt.data());
    }
  }
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) G[idx(i, j, n)] = G[idx(j, i, n)] = static_cast<double>(Gt[idx(i, j, n)]);
}
}  // namespace

void quadratic_form(const QuadraticFit& fit, int o, double* G) {
  if (o < 0 || o >= fit.out) throw std::invalid_argument("output index out of range");
  if (fit.single)
    quadratic_form_in<float>(fit, o, G);
  else
    quadratic_form_in<double>(fit, o, G);
}

void pack_gamma(int n, const double* G, double* g) {
  for (int i = 0; i < n; ++i) {
    const size_t base = static_cast<size_t>(i) * (i + 1) / 2;
    for (int j = 0; j < i; ++j) g[base + j] = 2 * G[idx(i, j, n)];
    g[base + i] = G[idx(i, i, n)];
  }
}

void quadratic_gamma(const QuadraticFit& fit, double* gamma) {
  const int n = fit.in;
  const size_t packed = static_cast<size_t>(n) * (n + 1) / 2;
  std::vector<double> G(static_cast<size_t>(n) * n);
  for (int o = 0; o < fit.out; ++o) {
    quadratic_form(fit, o, G.data());
    pack_gamma(n, G.data(), gamma + packed * o);
  }
}

std::vector<double> quadratic_gamma(const QuadraticFit& fit) {
  std::vector<double> gamma(static_cast<size_t>(fit.in) * (fit.in + 1) / 2 * fit.out);
  quadratic_gamma(fit, gamma.data());
  return gamma;
}

std::vector<double> quadratic_predict(const QuadraticFit& fit, int rows, const double* X) {
  const int n = fit.in, h = fit.hidden, out = fit.out;
  std::vector<double> Y(static_cast<size_t>(rows) * out);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < out; ++o) Y[idx(r, o, out)] = fit.alpha[o];
  gemm(false, false, rows, out, n, 1.0, X, fit.beta.data(), 1.0, Y.data());
  // xᵀG_o x = ½ Σ_i a[o,i] (w_i·x)² + Σ_i b[o,i] (w_i·x)(v_i·x): two more products.
  std::vector<double> Z(static_cast<size_t>(rows) * h), S(static_cast<size_t>(rows) * h);
  gemm(false, true, rows, h, n, 1.0, X, fit.W.data(), 0.0, Z.data());
  for (size_t k = 0; k < S.size(); ++k) S[k] = 0.5 * Z[k] * Z[k];
  gemm(false, true, rows, out, h, 1.0, S.data(), fit.a.data(), 1.0, Y.data());
  if (!fit.b.empty()) {
    std::vector<double> Zv(static_cast<size_t>(rows) * h);
    gemm(false, true, rows, h, n, 1.0, X, fit.V.data(), 0.0, Zv.data());
    for (size_t k = 0; k < S.size(); ++k) S[k] = Z[k] * Zv[k];
    gemm(false, true, rows, out, h, 1.0, S.data(), fit.b.data(), 1.0, Y.data());
  }
  return Y;
}

}  // namespace polyapprox
