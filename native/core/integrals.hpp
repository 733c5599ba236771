// Univariate Gaussian integrals of an activation (DESIGN §3.1): for y ~ N(m, s²),
//   E[φ^(k)(y)]  (Stein-consistent: E[φ(y) He_k((y−m)/s)] / s^k, Dirac terms included),
//   E[y^n φ(y)],
// plus the pointwise activation and its derivatives. Relative accuracy 1e-12 (absolute
// 1e-15·(|m|+s)^(p−k) where the value is smaller) on m ∈ [−1e3, 1e3], s ∈ [1e-6, 1e3].
// lib/js/integrals.ts implements the same steps under the same names (camelCase).
//
// Conventions at s = 0 (point values): φ^(k)(m). At a kink the function value is the definition
// (relu(0) = 0, jump_relu(θ) = 0), a first derivative is the mean of the one-sided derivatives
// (relu'(0) = 1/2, leaky'(0) = (1+α)/2, jump_relu'(θ) = 1/2) and Dirac orders (k ≥ 2 at a kink,
// k ≥ 1 for the jump) are 0. For 0 < s below ~1e-44 the Dirac terms of the kinked activations
// exceed the double range; they saturate at ±DBL_MAX instead of returning ±Inf.
#pragma once
#include "activation.hpp"

namespace polyapprox {

// φ(y).
double activate(const Activation& act, double y);

// φ^(k)(y), k = 0..kMaxDerivOrder, the ordinary derivative (kink conventions as above).
double activate_deriv(const Activation& act, int k, double y);

// E[φ(y)], y ~ N(m, s²).
double ev(const Activation& act, double m, double s);

// E[φ^(k)(y)], k = 0..kMaxDerivOrder (Stein-consistent, Dirac terms included).
double deriv_ev(const Activation& act, int k, double m, double s);

// out[k] = E[φ^(k)(y)] for k = 0..kmax in one pass (one quadrature shared by all k).
void deriv_evs(const Activation& act, int kmax, double m, double s, double* out);

// E[y^n φ(y)], n = 0..kMaxPolyOrder.
double poly_ev(const Activation& act, int n, double m, double s);

// out[n] = E[y^n φ(y)] for n = 0..nmax in one pass.
void poly_evs(const Activation& act, int nmax, double m, double s, double* out);

}  // namespace polyapprox
