// Block PCG over the outputs of the exact mixture quadratic, written once for every place the
// stacks of quadratics can live: the host (native/core/mixture_quadratic.cpp, HostSpace) and a
// CUDA device (native/cuda/mixture_quadratic.cpp, DeviceSpace). lib/js/mixtureQuadratic.ts mirrors
// it as blockPcg.
//
// A Space holds `out` stacked quadratics per Stack and provides:
//   using Stack;                       a stack of `out` quadratics (c, b, G) in whitened coordinates
//   Stack make();                      a new zeroed stack
//   void zero(Stack&); void copy(const Stack& from, Stack& to);
//   std::vector<double> dots(const Stack& X, const Stack& Y);           ⟨X_o, Y_o⟩ for every output
//   std::vector<double> gram(int mx, int my, const Stack& X, const Stack& Y);   [mx, my] of ⟨X_a, Y_b⟩
//   void combine(int mx, int my, const std::vector<double>& T, const Stack& X, double keep, Stack& Y);
//                                      Y_b = Σ_a T[a, b] X_a + keep·Y_b (b < my; X, Y distinct)
//   void precondition(const Stack& R, Stack& Z);                        the Hermite preconditioner
//   void apply(const Stack& Z, Stack& Y, int rows);   Σ_k π_k A_k + ridge on the first `rows`
//   bool set_single(bool on);          float32 operator from now on, if the space has one; returns
//                                      whether it is on
//   void subtract(const Stack& A, const Stack& B, Stack& out);          out = A − B
#pragma once
#include <cmath>
#include <vector>

#include "linalg.hpp"
#include "mixture_quadratic.hpp"

namespace polyapprox {
namespace mixture {

// Pseudo-inverse of a small symmetric positive semidefinite matrix (eigenvalues below
// 1e-14·λ_max dropped: directions in the operator's null space carry nothing to solve for).
std::vector<double> small_pinv(int m, std::vector<double> A);

// The coefficients T [m, k] that make Z[:m] T an orthonormal basis of span(Z[:m]), from the
// eigendecomposition of the Gram matrix; directions with relative weight below 1e-12 (nearly
// dependent block columns, the breakdown of plain block CG) are dropped. k = T.size() / m.
std::vector<double> orthonormalizer(int m, const std::vector<double>& gram);

// With a float32 operator the space switches to it once the worst relative residual is below
// this. Inexact Krylov theory (the matrix-vector error a step may make grows as ‖b‖/‖r_k‖) puts
// the rounding of sgemm (~1e-6 relative) where it no longer limits the iteration; the true
// residual at the end, and every restart, is computed in float64, so `tol` still holds for it.
// Measured (7×7-pooled MNIST mixture, r = 48): float64 77 iterations, this switch 86, float32 from
// the start 106 with one restart.
constexpr double kSingleBelow = 1e-2;

template <class Space>
int orthonormal_basis(Space& sp, int m, const typename Space::Stack& Z, typename Space::Stack& P) {
  const std::vector<double> T = orthonormalizer(m, sp.gram(m, m, Z, Z));
  const int k = m == 0 ? 0 : static_cast<int>(T.size() / m);
  sp.combine(m, k, T, Z, 0.0, P);
  return k;
}

// Block PCG over the outputs (they share the operator): every output's iterate minimizes its
// error's energy norm over the sum of all outputs' Krylov spaces, so each direction found for one
// output serves the others. Breakdown-free form: the search block is re-orthonormalized each
// iteration and dependent directions dropped, so α and β come from a well-conditioned Gram. At
// the end the true residual is recomputed (in float64) and the iteration restarted from there
// while it is above tol (recurrence drift), up to 8 restarts or maxIter.
template <class Space>
PcgResult block_pcg(Space& sp, int out, const typename Space::Stack& rhs, typename Space::Stack& z,
                    const MixtureSolveOptions& sopt) {
  using Stack = typename Space::Stack;
  Stack res = sp.make(), Zb = sp.make(), P = sp.make(), Q = sp.make();
  std::vector<double> bnorm = sp.dots(rhs, rhs);
  for (double& b : bnorm) b = std::sqrt(b);
  auto worst_relative = [&]() {
    const std::vector<double> rr = sp.dots(res, res);
    double worst = 0;
    for (int o = 0; o < out; ++o)
      if (bnorm[o] > 0) worst = std::max(worst, std::sqrt(rr[o]) / bnorm[o]);
    return worst;
  };
  PcgResult result;
  sp.zero(z);
  sp.copy(rhs, res);
  double worst = worst_relative();
  for (;;) {
    sp.precondition(res, Zb);
    int k = orthonormal_basis(sp, out, Zb, P);
    while (result.iterations < sopt.max_iter && worst > sopt.tol && k > 0) {
      if (sopt.cancel && sopt.cancel->load()) throw SolveCancelled();
      if (sp.set_single(worst < kSingleBelow)) ++result.single_iterations;
      sp.apply(P, Q, k);
      const std::vector<double> Gi = small_pinv(k, sp.gram(k, k, P, Q));
      std::vector<double> alpha(static_cast<size_t>(k) * out, 0.0), beta(static_cast<size_t>(k) * out, 0.0);
      const std::vector<double> PR = sp.gram(k, out, P, res);
      gemm(false, false, k, out, k, 1.0, Gi.data(), PR.data(), 0.0, alpha.data());
      sp.combine(k, out, alpha, P, 1.0, z);
      for (double& a : alpha) a = -a;
      sp.combine(k, out, alpha, Q, 1.0, res);
      worst = worst_relative();
      ++result.iterations;
      if (sopt.progress) sopt.progress(result.iterations, worst);
      if (worst <= sopt.tol) break;
      sp.precondition(res, Zb);
      const std::vector<double> QZ = sp.gram(k, out, Q, Zb);
      gemm(false, false, k, out, k, -1.0, Gi.data(), QZ.data(), 0.0, beta.data());
      sp.combine(k, out, beta, P, 1.0, Zb);
      k = orthonormal_basis(sp, out, Zb, P);
    }
    sp.set_single(false);
    sp.apply(z, Q, out);
    sp.subtract(rhs, Q, res);
    worst = worst_relative();
    result.residual = worst;
    if (worst <= sopt.tol || result.iterations >= sopt.max_iter || result.restarts >= 8) break;
    ++result.restarts;
  }
  return result;
}

}  // namespace mixture
}  // namespace polyapprox
