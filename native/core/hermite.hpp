// Degree-n least-squares approximants under one Gaussian in compact neuron-wise form
// (DESIGN §3.2). By linearity of the projection, an MLP's degree-n approximant is the MLP with
// each activation replaced by its own degree-n Hermite truncation under N(m_i, s_i²):
//   p_i(y) = Σ_{k≤n} E[φ^(k)(y_i)]/k! · H_k(y − m_i),  H_k(t) = s^k He_k(t/s)
// (H_0 = 1, H_1 = t, H_{k+1} = t H_k − k s² H_{k−1}: no division by s, and s = 0 gives the
// Taylor polynomial). A GLU unit g = φ(y) z splits, with z − m_z = κ (y − m) + r, κ = c/s² and r
// independent of y, into a function of y (truncated at degree n) plus φ(y)·r (φ truncated at
// degree n − 1). Prediction is O(in·hidden + hidden·n) per row. lib/js/hermite.ts mirrors it.
#pragma once
#include <vector>

#include "fit.hpp"

namespace polyapprox {

struct CompactFit {
  int in = 0, hidden = 0, out = 0, degree = 0;
  bool glu = false;
  std::vector<double> W, b1;     // gate / first layer [hidden, in], [hidden]
  std::vector<double> V, b2;     // GLU value [hidden, in], [hidden] (empty for MLPs)
  std::vector<double> W2;        // [out, hidden] (empty: GLU outputs are the units)
  std::vector<double> bias_out;  // [out] (MLP b2; zeros for GLUs)
  std::vector<double> m, s2;     // per unit: mean and variance of the gate preactivation
  std::vector<double> coef;      // [hidden, degree + 1]: coefficients of H_k(y − m)
  std::vector<double> mz, kappa; // GLU: value mean, regression slope of z on y
  std::vector<double> coef_r;    // GLU: [hidden, degree]: coefficients of r·H_k(y − m)
  SolveInfo solve;
};

CompactFit mlp_compact_fit(const Mlp& net, const InputDist& dist, int degree, const FitOptions& opt);
CompactFit glu_compact_fit(const Glu& net, const InputDist& dist, int degree, const FitOptions& opt);

// Y [rows, out] of the compact approximant.
std::vector<double> compact_predict(const CompactFit& fit, int rows, const double* X);

}  // namespace polyapprox
