// Degree-2 least-squares approximants under one Gaussian N(μ, Σ) (DESIGN §3.2): the truncated
// Hermite expansion q(x) = E f + E[∇f]ᵀ(x−μ) + ½(x−μ)ᵀ E[∇²f](x−μ) − ½ tr(E[∇²f] Σ), with no
// linear solve and no inverse of Σ (singular covariances just work). The quadratic part is kept
// compact — per output o and hidden unit i two numbers a[o,i], b[o,i] with
//   E[∇²f_o] = Σ_i a[o,i] w_i w_iᵀ + b[o,i] (w_i v_iᵀ + v_i w_iᵀ)
// (b and v only for GLUs) — so prediction is O(in·hidden) per row and the [in, in] matrices
// are formed only on request. lib/js/quadratic.ts mirrors every step by name.
#pragma once
#include <vector>

#include "fit.hpp"

namespace polyapprox {

struct QuadraticFit {
  int in = 0, hidden = 0, out = 0;
  std::vector<double> alpha;  // [out]
  std::vector<double> beta;   // [in, out]
  std::vector<double> W;      // [hidden, in]: MLP W1 or GLU gate W
  std::vector<double> V;      // [hidden, in]: GLU value V (empty for MLPs)
  std::vector<double> a;      // [out, hidden]
  std::vector<double> b;      // [out, hidden] (empty for MLPs)
  bool single = false;        // form G in float32 (ssyrk/ssyr2k)
  SolveInfo solve;
};

// Both require a single Gaussian (dist.K == 1).
QuadraticFit mlp_quadratic_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt);
QuadraticFit glu_quadratic_fit(const Glu& net, const InputDist& dist, const FitOptions& opt);

// G [in, in], the symmetric matrix of output o's quadratic part xᵀ G x (G = ½ E[∇²f_o]).
void quadratic_form(const QuadraticFit& fit, int o, double* G);

// gamma [out, in(in+1)/2] in DESIGN §2's packing: gamma[o, i(i+1)/2 + j] for i ≥ j is the
// coefficient of x_i x_j, i.e. G_ii on the diagonal and 2 G_ij off it.
std::vector<double> quadratic_gamma(const QuadraticFit& fit);
// The same, written into gamma [out, in(in+1)/2] (the addon's result buffer: no second copy).
void quadratic_gamma(const QuadraticFit& fit, double* gamma);
void pack_gamma(int n, const double* G, double* g /*[n(n+1)/2]*/);

// Y [rows, out] = alpha + X beta + (xᵀ G_o x)_o, without forming any G.
std::vector<double> quadratic_predict(const QuadraticFit& fit, int rows, const double* X);

}  // namespace polyapprox
