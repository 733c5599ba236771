// Variance of an MLP and of its least-squares polynomial approximants under one Gaussian
// N(μ, Σ), per Hermite degree, with no sampling (DESIGN §3.2). With y ~ N(m, K), K = W1 Σ W1ᵀ:
//   Var(q_n)_o = Σ_{k=1..n} (1/k!) Σ_{i,j} W2[o,i] W2[o,j] E[φ^(k)(y_i)] E[φ^(k)(y_j)] K_ij^k
//   Var(f)_o   = Σ_{i,j} W2[o,i] W2[o,j] Cov(φ(y_i), φ(y_j))
// and FVU = 1 − Var(q)/Var(f). The pair covariances come from one of two routes:
// - closed form for the activations of the form φ(y) = λ y + κ y·1{σ(y − θ − u) > 0}
//   (relu, leaky_relu, jump_relu, identity, and gelu = y Φ(y) with u ~ N(0, 1) independent):
//   Stein's lemma reduces E[y_i y_j 1{c_i>0} 1{c_j>0}] to the bivariate normal CDF and pdf/Φ
//   terms (the arc-cosine kernel, generalized to non-zero means and thresholds);
// - smooth activations (sigmoid, tanh, swish, softplus): the Mehler series
//   Cov = Σ_k ρ^k c_ik c_jk over each unit's normalized Hermite coefficients (k ≤ 64 or 256,
//   one fixed composite quadrature per unit), summed until its rigorous remainder bound is
//   below the pair tolerance; where it never is (|ρ| → 1 with slowly decaying coefficients), a
//   1-D adaptive Gauss–Kronrod integral over y_i of φ(y_i) · E[φ(y_j) | y_i], the inner
//   expectation being the library's own deriv_ev.
// Pairs are formed blockwise (K one row block at a time, from the covariance factor
// projection B = W1 F that preactivation_stats computes), and every sum over (i, j) with the
// output weights is a BLAS product, so memory stays O(block·hidden).
// lib/js/variance.ts mirrors every step by name.
#pragma once
#include <vector>

#include "fit.hpp"

namespace polyapprox {

// Φ2(h, k; r) = P(X ≤ h, Y ≤ k) for a standard bivariate normal with correlation r ∈ [−1, 1]
// (Drezner–Wesolowsky with Genz's double-precision modifications: Gauss–Legendre in asin(r)
// for |r| < 0.925, the Taylor-corrected form in 1 − r² near |r| = 1; ~1e-16 absolute).
double bivariate_normal_cdf(double h, double k, double r);
// P(X > h, Y > k) = Φ2(−h, −k; r).
double bivariate_normal_upper(double h, double k, double r);

// E[relu(y_i) relu(y_j)] for (y_i, y_j) bivariate normal with means mi, mj, standard
// deviations si, sj ≥ 0 and covariance kij.
double relu_cross_moment(double mi, double si, double mj, double sj, double kij);

// A unit of the closed-form family, φ(y) = λ y + κ y 1{c > 0} with c = σ (y − θ − u),
// u ~ N(0, τ²) independent of everything (τ² = 1 for gelu, 0 otherwise). The orientation
// σ = ±1 is chosen so that P(c > 0) ≤ ½ (y 1{c>0} = y − y 1{−c>0}): the truncated terms are
// then the small ones, and a nearly linear unit (relu with m ≫ s) does not lose its
// covariance to cancellation between large raw moments.
struct PiecewiseUnit {
  double m = 0, s = 0;           // y ~ N(m, s²)
  double lambda = 0, kappa = 0;  // φ(y) = λ y + κ y 1{c > 0}
  double sigma = 1, theta = 0, tau2 = 0;
  double mc = 0, vc = 0, sc = 0;  // mean, variance and standard deviation of c
  double prob = 0;                // P(c > 0)
  double dens = 0;                // density of c at 0
  double cond = 0;                // E[y | c = 0]
  double tmean = 0;               // E[y 1{c > 0}]
};
bool has_piecewise_form(ActKind kind);
PiecewiseUnit piecewise_unit(const Activation& act, double m, double s);
// Cov(φ(y_a), φ(y_b)) with Cov(y_a, y_b) = k (k = s² with a = b for the variance).
double piecewise_covariance(const PiecewiseUnit& a, const PiecewiseUnit& b, double k);

// Smooth activations: normalized Hermite coefficients c_k = s^k E[φ^(k)(y)]/√k! (k = 1..N),
// Var φ(y) = Σ_k c_k², and the tails Var − Σ_{j≤k} c_j² (plus a rounding margin) that bound the
// Mehler series' remainder. N is kSeriesOrderLow when that already leaves only the margin
// (preactivation scales up to ~1), else kSeriesOrder.
constexpr int kSeriesOrderLow = 64;
constexpr int kSeriesOrder = 256;
struct SmoothUnit {
  double m = 0, s = 0, mean = 0;
  double var = 0;
  std::vector<double> coef;  // [N]: c_1..c_N
  std::vector<double> tail;  // [N + 1]: tail[k] = Var − Σ_{j≤k} c_j² + margin
};
SmoothUnit smooth_unit(const Activation& act, double m, double s, double mean);
// Cov(φ(y_a), φ(y_b)) from the series when its remainder bound is ≤ tol·√(Var_a Var_b), else
// by quadrature; *route (optional) receives 1 for series, 2 for quadrature.
double smooth_covariance(const Activation& act, const SmoothUnit& a, const SmoothUnit& b, double k, double tol,
                         int* route = nullptr);
// Cov(φ(y_a), φ(y_b)) = ∫ pdf(z) (φ(m_a + s_a z) − E φ_a) (E[φ(y_b) | z] − E φ_b) dz by adaptive
// Gauss–Kronrod, for any activation (E[φ(y_b) | z] is deriv_ev at the conditional law).
double pair_covariance_by_quadrature(const Activation& act, double ma, double sa, double ea, double mb, double sb,
                                     double eb, double k, double tol_abs);

struct VarianceExplained {
  int out = 0, degree = 0;
  std::vector<double> var_f;      // [out]: Var f_o
  std::vector<double> var_q;      // [out]: Var q_o = Σ_k by_degree[k−1, o]
  std::vector<double> fvu;        // [out]: 1 − var_q/var_f (0 where var_f = 0)
  std::vector<double> by_degree;  // [degree, out]: the degree-k Hermite term's variance
  // How the pair covariances (i ≤ j) were obtained.
  long long pairs_closed = 0, pairs_series = 0, pairs_quadrature = 0;
};

struct VarianceOptions {
  double psd_tol = 1e-8;
  double pair_tol = 1e-12;  // smooth activations: per pair, relative to √(Var φ_i Var φ_j)
  int block_rows = 0;       // rows of K per block; 0: as many as fit 2^20 doubles (≥ 16)
};

// degree 1..kMaxDerivOrder; dist must be one Gaussian (K == 1).
VarianceExplained mlp_variance_explained(const Mlp& net, const InputDist& dist, int degree,
                                         const VarianceOptions& opt);

}  // namespace polyapprox
