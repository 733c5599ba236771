// The block Krylov solver of the exact mixture quadratic (block conjugate residuals over the
// outputs), written once for every place the stacks of quadratics can live: the host
// (native/core/mixture_quadratic.cpp, HostSpace) and a CUDA device (native/cuda/mixture_quadratic.cpp,
// DeviceSpace). lib/js/mixtureQuadratic.ts mirrors it as blockCr.
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
#include <algorithm>
#include <cmath>
#include <vector>

#include "linalg.hpp"
#include "mixture_quadratic.hpp"

namespace polyapprox {
namespace mixture {

// The coefficients T [m, k] that make a block X[:m] T orthonormal in the inner product whose Gram
// matrix of X[:m] is `gram`, from its eigendecomposition; directions with relative weight below
// 1e-12 (nearly dependent block columns, the breakdown of plain block methods) are dropped.
// k = T.size() / m.
std::vector<double> orthonormalizer(int m, const std::vector<double>& gram);

// With a float32 operator the space switches to it once the worst relative residual is below
// this. Inexact Krylov theory (the matrix-vector error a step may make grows as ‖b‖/‖r_k‖) puts
// the rounding of sgemm (~1e-6 relative) where it no longer limits the iteration; the true
// residual at the end, and every restart, is computed in float64, so `tol` still holds for it.
// Measured (7×7-pooled MNIST mixture, r = 48, to 1e-8): block CR float64 77 iterations, with this
// switch 87 (one restart); under block CG it was 77 / 86, and float32 from the start 106.
constexpr double kSingleBelow = 1e-2;
// ... but not before the residual is within 1e5·tol. The float32 products' error enters the
// recursion at about ε‖r‖ per step, so the gap between the recursive and the true residual is set
// by where the switch happens: switching at 1e-2 left a gap of 2.3e-8 (14×14-pooled digits) and
// 5.3e-8 (MNIST scale, ridge 1e-3), which at tol = 1e-8 cost a restart (10 / 126 iterations).
// Switching at 1e-3 there (tol = 1e-8): gap 1.4e-8, restart 20 iterations, 892 → 783 iterations and
// 684 → 634 s in all at MNIST scale; 1855 → 1817 iterations at 14×14 (bench/RESULTS.md, session 6).
constexpr double kSingleGap = 1e5;
inline double single_below(double tol) { return std::min(kSingleBelow, kSingleGap * tol); }

// Block preconditioned conjugate residuals over the outputs (they share the operator): every
// output's iterate minimizes its residual ‖b − Mz‖ in the preconditioner's inverse norm over the sum
// of all outputs' Krylov spaces, so each direction found for one output serves the others. CR, not
// CG: the target is a relative residual, which CG (minimizing the error's energy norm) reaches
// later when the spectrum is wide. At MNIST scale (784→1024→10, K = 10 class statistics) block CR
// is at 1.25e-5 after 150 iterations where block CG was at 6.5e-5; at 14×14-pooled digits 1.0e-6
// after 300 against 9.2e-6 (bench/RESULTS.md). Like PCG from zero with an
// SPD preconditioner, it converges to the solution of least preconditioner norm on singular
// systems, so the minimum-norm semantics are those of PCG.
//
// Search directions P come with AP = M P and Q = H AP (H the preconditioner), kept H-orthonormal
// (APᵀ Q = I): then α = Qᵀ r and the next block, Z + P β with Z = H r, β = −Qᵀ M Z, is H-orthogonal
// to AP. Breakdown-free: each new block is re-orthonormalized through the eigendecomposition of its
// Gram matrix and dependent directions dropped (repeated or zero outputs, directions the operator
// annihilates). One operator application per iteration, on Z; AP follows by the same recurrence.
// At the end the true residual is recomputed (in float64) and the iteration restarted from there
// while it is above tol (recurrence drift), up to 8 restarts or maxIter.
template <class Space>
BlockSolveResult block_cr(Space& sp, int out, const typename Space::Stack& rhs, typename Space::Stack& z,
                   const MixtureSolveOptions& sopt) {
  using Stack = typename Space::Stack;
  // Z and AZ hold Z + Pβ and M Z + APβ before they are orthonormalized into P, AP, Q.
  Stack res = sp.make(), Z = sp.make(), AZ = sp.make(), QZ = sp.make(), P = sp.make(), AP = sp.make(),
        Q = sp.make();
  std::vector<double> bnorm = sp.dots(rhs, rhs);
  for (double& b : bnorm) b = std::sqrt(b);
  auto worst_relative = [&]() {
    const std::vector<double> rr = sp.dots(res, res);
    double worst = 0;
    for (int o = 0; o < out; ++o)
      if (bnorm[o] > 0) worst = std::max(worst, std::sqrt(rr[o]) / bnorm[o]);
    return worst;
  };
  BlockSolveResult result;
  sp.zero(z);
  sp.copy(rhs, res);
  double worst = worst_relative();
  auto next_block = [&]() {  // Z = H res, AZ = M Z
    sp.precondition(res, Z);
    if (sp.set_single(worst < single_below(sopt.tol))) ++result.single_iterations;
    sp.apply(Z, AZ, out);
  };
  for (;;) {
    next_block();
    while (result.iterations < sopt.max_iter && worst > sopt.tol) {
      if (sopt.cancel && sopt.cancel->load()) throw SolveCancelled();
      sp.precondition(AZ, QZ);
      const std::vector<double> T = orthonormalizer(out, sp.gram(out, out, AZ, QZ));
      const int k = static_cast<int>(T.size() / out);
      if (k == 0) break;
      sp.combine(out, k, T, Z, 0.0, P);
      sp.combine(out, k, T, AZ, 0.0, AP);
      sp.combine(out, k, T, QZ, 0.0, Q);
      std::vector<double> alpha = sp.gram(k, out, Q, res);
      sp.combine(k, out, alpha, P, 1.0, z);
      for (double& a : alpha) a = -a;
      sp.combine(k, out, alpha, AP, 1.0, res);
      worst = worst_relative();
      ++result.iterations;
      if (sopt.progress) sopt.progress(result.iterations, worst);
      if (worst <= sopt.tol) break;
      next_block();
      std::vector<double> beta = sp.gram(k, out, Q, AZ);
      for (double& b : beta) b = -b;
      sp.combine(k, out, beta, P, 1.0, Z);
      sp.combine(k, out, beta, AP, 1.0, AZ);
    }
    sp.set_single(false);
    sp.apply(z, AZ, out);
    sp.subtract(rhs, AZ, res);
    worst = worst_relative();
    result.residual = worst;
    if (worst <= sopt.tol || result.iterations >= sopt.max_iter || result.restarts >= 8) break;
    ++result.restarts;
  }
  return result;
}

}  // namespace mixture
}  // namespace polyapprox
