// Least-squares polynomial approximants of MLP and GLU layers under Gaussian and
// Gaussian-mixture inputs (DESIGN §3.2–3.3). Plain C++: all arrays row-major float64, shapes in
// PyTorch order (W1 [hidden, in], W2 [out, hidden]). lib/js/fit.ts mirrors every step by name.
#pragma once
#include <string>
#include <vector>

#include "activation.hpp"
#include "linalg.hpp"

namespace polyapprox {

struct Mlp {
  int in = 0, hidden = 0, out = 0;
  const double* W1 = nullptr;  // [hidden, in]
  const double* b1 = nullptr;  // [hidden] or null (zeros)
  const double* W2 = nullptr;  // [out, hidden]
  const double* b2 = nullptr;  // [out] or null (zeros)
  Activation act;
};

// f(x) = W2 (φ(W x + b1) ⊙ (V x + b2)); without W2 the outputs are the hidden units.
struct Glu {
  int in = 0, hidden = 0, out = 0;
  const double* W = nullptr;   // [hidden, in], gate
  const double* V = nullptr;   // [hidden, in], value
  const double* b1 = nullptr;  // [hidden] or null
  const double* b2 = nullptr;  // [hidden] or null
  const double* W2 = nullptr;  // [out, hidden] or null (out == hidden)
  Activation act;
};

// Σ_k π_k N(means[k], covs[k]); K = 1 is a single Gaussian. Null means are zeros, null covs
// are identities (so K = 1 with both null is the standard normal).
struct InputDist {
  int in = 0;
  int K = 1;
  const double* weights = nullptr;  // [K], normalized inside; null = equal weights
  const double* means = nullptr;    // [K, in] or null
  const double* covs = nullptr;     // [K, in, in] or null
};

struct FitOptions {
  double rcond = 1e-10;   // relative eigenvalue cutoff of the minimum-norm mixture solve
  double ridge = 0;       // > 0: solve (Cov x + ridge·I) β = Cov(x, f) instead
  double psd_tol = 1e-8;  // relative tolerance of the covariance PSD check
  bool single = false;    // float32 for the large products (projections, quadratic forms)
};

struct SolveInfo {
  std::string method;  // "stein" (single Gaussian, no solve), "pinv" or "ridge"
  int rank = 0;        // numerical rank of Cov(x) used by the solve (in for "stein")
  double cutoff = 0;   // absolute eigenvalue cutoff ("pinv")
  double rcond = 0;
  double ridge = 0;
};

struct LinearFit {
  int in = 0, out = 0;
  std::vector<double> alpha;  // [out]
  std::vector<double> beta;   // [in, out]: y = x·beta + alpha
  SolveInfo solve;
};

// One Gaussian component in the form the fits consume: its mean and, unless the covariance is
// the identity, its pivoted Cholesky factor.
struct ComponentMoments {
  std::vector<double> mean;  // [in]
  bool identity_cov = true;
  CovFactor factor;
  bool single = false;  // project onto the factor in float32
};
ComponentMoments component_moments(const InputDist& dist, int k, double psd_tol, bool single = false);

// The report of a fit that needed no solve (single Gaussian, Stein): rank of Σ and the options.
SolveInfo stein_solve(const ComponentMoments& c, int in, const FitOptions& opt);

// Preactivation means m = W μ + b and standard deviations s_i = sqrt(w_iᵀ Σ w_i).
struct Preactivations {
  std::vector<double> m, s;
  std::vector<double> proj;  // W F [rows, rank] (empty for identity covariance)
};
Preactivations preactivation_stats(int rows, int in, const double* W, const double* b,
                                   const ComponentMoments& c);

// Per hidden unit under one Gaussian component: the gate preactivation's moments, the GLU
// value preactivation's mean and its covariance with the gate (c_i = w_iᵀ Σ v_i), and
// e[i, k] = E[φ^(k)(y_i)] for k = 0..kmax.
struct UnitExpectations {
  int kmax = 0;
  Preactivations gate, value;
  std::vector<double> cross;  // [hidden], GLU only
  std::vector<double> e;      // [hidden, kmax + 1]
};
UnitExpectations mlp_units(const Mlp& net, const ComponentMoments& c, int kmax);
UnitExpectations glu_units(const Glu& net, const ComponentMoments& c, int kmax);

// E f [out] and E ∇f [in, out] of the network under one Gaussian component.
struct LinearTerms {
  std::vector<double> mean_output;  // E f
  std::vector<double> mean_grad;    // E ∇f, [in, out]
};
// Per GLU unit, g_i = φ(y_i) z_i: E g_i = m_z E[φ] + c_i E[φ'] and E ∇g_i = a_i w_i + b_i v_i with
// a_i = m_z E[φ'] + c_i E[φ''], b_i = E[φ] (Stein's lemma on the pair (y_i, z_i)). Shared with the
// CUDA backend, whose unit expectations have the same layout.
struct GluUnitCoefficients {
  std::vector<double> mean, a, b;  // [hidden] each
};
GluUnitCoefficients glu_unit_coefficients(int hidden, int kmax, const double* e /*[hidden, kmax + 1]*/,
                                          const double* value_mean, const double* cross);  // kmax ≥ 2
LinearTerms mlp_linear_terms_from_units(const Mlp& net, const UnitExpectations& u);  // kmax ≥ 1
LinearTerms glu_linear_terms_from_units(const Glu& net, const UnitExpectations& u);  // kmax ≥ 2
LinearTerms mlp_linear_terms(const Mlp& net, const ComponentMoments& c);
LinearTerms glu_linear_terms(const Glu& net, const ComponentMoments& c);

// Combines per-component terms into the least-squares linear fit: under one Gaussian
// beta = E ∇f (Stein); under a mixture the law-of-total-covariance normal equations.
LinearFit linear_fit_from_terms(const InputDist& dist, const std::vector<ComponentMoments>& comps,
                                const std::vector<LinearTerms>& terms, const FitOptions& opt);

LinearFit mlp_linear_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt);
LinearFit glu_linear_fit(const Glu& net, const InputDist& dist, const FitOptions& opt);

// Y [rows, out] = X [rows, in] beta + alpha.
std::vector<double> linear_predict(const LinearFit& fit, int rows, const double* X);

}  // namespace polyapprox
