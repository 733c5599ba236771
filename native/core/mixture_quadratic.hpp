// Exact least-squares quadratic approximants under a K-component Gaussian mixture, matrix-free
// (DESIGN §3.3). lib/js/mixtureQuadratic.ts mirrors every step by name.
//
// Unknowns per output: q(x) = c + βᵀx + xᵀΓx. The normal equations Σ_k π_k A_k(q) = Σ_k π_k A_k(q_k),
// with A_k(q) = (E_k q, E_k[x q], E_k[x xᵀ q]) the moment map of component k and q_k the component's
// own degree-2 approximant (quadratic.hpp, which has the same moments against every quadratic as
// f), are solved by preconditioned conjugate gradients, all outputs at once.
//
// Steps:
//  1. whiten_mixture: the moment-matched Gaussian N(μ̄, Σ̄) (μ̄ = Σ π_k μ_k, Σ̄ = Σ π_k (Σ_k + δ_kδ_kᵀ))
//     gives coordinates y = Bᵀ(x − μ̄), B = U Λ^{-1/2} over the eigenvalues of Σ̄ above rcond·λ_max.
//     Every component lives in μ̄ + span(U) (its covariance and mean offset are parts of Σ̄), so
//     the problem is posed there, in r ≤ in dimensions, with components N(d_k, C_k), d_k = Bᵀδ_k and
//     C_k = (Bᵀ L_k)(Bᵀ L_k)ᵀ from the pivoted Cholesky factor of Σ_k (PSD by construction).
//  2. component_rhs: q_k is fitted on the network rewritten in y (W ↦ W U Λ^{1/2}, b ↦ b + W μ̄)
//     and moved through A_k: rhs = Σ π_k A_k(q_k).
//  3. MomentMap (mixture_quadratic.cpp): Y = Σ π_k A_k(Z) + ridge·Z by Isserlis, with u = y − d,
//     S = C_k and Γ replaced by its symmetric part first (the quadratic depends on nothing else;
//     an operator that saw the antisymmetric part, e.g. through 2SΓS, would meet rounding-level
//     asymmetry of the iterates with a negative-definite map and break CG). For symmetric Γ,
//     q = c̃ + β̃ᵀu + uᵀΓu (c̃ = c + βᵀd + dᵀΓd, β̃ = β + 2Γd):
//       m0 = c̃ + tr(ΓS), m1 = S β̃, m2 = m0 S + 2SΓS = 2S(ΓS + ½m0 I),
//     then E[y q] = m1 + d m0, E[y yᵀ q] = m2 + m1dᵀ + dm1ᵀ + m0 ddᵀ. Per component and output
//     one [r, r] product ΓS (its trace is tr(ΓS)) and the upper triangle of the symmetric
//     S(ΓS + ½m0 I) by row blocks (half the flops); float32 on request (see 5).
//  4. hermite_preconditioner: the inverse of the moment-matched Gaussian's own operator, which
//     in y (where that Gaussian is N(0, I)) is diagonal in the Hermite basis {1, y, yyᵀ − I} with
//     Gram diag(1, I, 2 I⊗I): β = m1, Γ = ½(m2 − m0 I), c = m0 − tr Γ. Exact for K = 1.
//  5. block_cr (block_cr.hpp, shared with native/cuda): block preconditioned conjugate residuals
//     over the outputs from zero (breakdown-free: each new search block is re-orthonormalized,
//     dependent directions dropped); at the end the true residual is recomputed and the iteration
//     restarted from there if it is above tol (recurrence drift), until maxIter. Each output's
//     iterate minimizes its residual over the sum of all outputs' Krylov spaces. CR rather than CG
//     because the stopping rule is a residual: measured numbers in bench/RESULTS.md and block_cr.hpp.
//     With FitOptions::single (dtype 'float32') the operator's GEMMs run in float32 once the
//     residual is below min(1e-2, 1e5·tol) (block_cr.hpp); the final residual is float64.
//  6. unwhiten_quadratic: Γ_x = B Γ_y Bᵀ, β_x = B β_y − 2Γ_x μ̄, c_x = c_y − β_yᵀBᵀμ̄ + μ̄ᵀΓ_xμ̄: the
//     quadratic that does not vary off the data's affine hull (the span the data reaches).
//
// Singular mixtures: without ridge the iteration converges on the range of the mixture operator
// and returns the solution of least moment-matched-Gaussian norm there (a Krylov method from zero
// preconditioned by that Gaussian's SPD operator); ridge > 0 adds ridge·I in the whitened coordinates, i.e. the penalty
// ridge·(c_y² + ‖β_y‖² + ‖Γ_y‖²_F), scale-free because the moment-matched Gaussian is N(0, I) there.
#pragma once
#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fit.hpp"
#include "quadratic.hpp"

namespace polyapprox {

struct MixtureSolveOptions {
  double tol = 1e-8;   // relative residual ‖b − Mz‖/‖b‖ (max over outputs) to stop at
  int max_iter = 500;
  double memory_limit = 4.0 * (1ull << 30);  // bytes the solve may allocate (checked first)
  // Called after every iteration (on the solving thread); may be empty.
  std::function<void(int iter, double residual)> progress;
  // Polled between iterations; the solve throws SolveCancelled when it turns true. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

struct SolveCancelled : std::runtime_error {
  SolveCancelled() : std::runtime_error("the mixture quadratic solve was aborted") {}
};

struct MixtureSolveInfo {
  int iterations = 0;
  int restarts = 0;
  int single_iterations = 0;  // iterations whose operator ran in float32 (FitOptions::single)
  double residual = 0;  // true relative residual, recomputed at the end
  bool converged = false;
  double seconds = 0;
  int rank = 0;         // dimension of the data's affine hull (rank of Σ̄ above the cutoff)
  double cutoff = 0;    // absolute eigenvalue cutoff on Σ̄
};

// The dense result: alpha [out], beta [in, out], G [out, in, in] (xᵀ G_o x, symmetric).
struct MixtureQuadraticFit {
  int in = 0, out = 0;
  std::vector<double> alpha, beta, G;
  SolveInfo solve;  // method "mixture-cg", rank, cutoff, rcond, ridge
  MixtureSolveInfo info;
};

// Bytes the solve allocates for in, out, K (an upper bound: r ≤ in); single: the float32 operator's
// buffers too.
double mixture_memory_estimate(int in, int out, int K, bool single = false);

// ---- the pieces another backend (native/cuda) plugs into --------------------------------------
namespace mixture {

inline size_t sz(long a) { return static_cast<size_t>(a); }

// Stacks of quadratics in the whitened coordinates, one per output: c [out], b [out, r],
// G [out, r, r].
struct Quad {
  std::vector<double> c, b, G;
  Quad(int out, int r) : c(sz(out)), b(sz(out) * r), G(sz(out) * r * r) {}
};

struct WhitenedComponent {
  double w = 0;
  std::vector<double> d;  // [r]
  std::vector<double> C;  // [r, r]
};

struct WhitenedMixture {
  int n = 0, r = 0;
  double cutoff = 0;
  std::vector<double> mubar;  // [n]
  std::vector<double> B;      // [n, r]: y = Bᵀ(x − μ̄)
  std::vector<double> A;      // [n, r]: x = μ̄ + A y on the affine hull
  std::vector<WhitenedComponent> comps;
};

struct BlockSolveResult {
  int iterations = 0, restarts = 0, single_iterations = 0;
  double residual = 0;  // the true relative residual (max over outputs) at the end
};

// What a solver of the whitened normal equations gets: the mixture, the right-hand sides, and the
// host operator Y = Σ_k π_k A_k(Z) + ridge·Z (float64) to check its answer against.
struct SolveProblem {
  const WhitenedMixture& wm;
  int out;
  double ridge;
  bool single;  // FitOptions::single: a float32 operator is allowed below kSingleBelow
  const Quad& rhs;
  std::function<void(const Quad& Z, Quad& Y)> host_apply;
};

// Where the steps run. Empty members: the core's own (block CR on the host, the core's fits of the
// components).
struct MixtureBackend {
  std::function<BlockSolveResult(const SolveProblem&, Quad& z, const MixtureSolveOptions&)> solver;
  std::function<QuadraticFit(const Mlp&, const InputDist&, const FitOptions&)> mlp_fit;
  std::function<QuadraticFit(const Glu&, const InputDist&, const FitOptions&)> glu_fit;
};

// Relative residuals ‖rhs_o − Y_o‖/‖rhs_o‖, worst over the outputs with rhs_o ≠ 0.
double worst_relative_residual(int out, int r, const Quad& rhs, const Quad& Y);

}  // namespace mixture

MixtureQuadraticFit mlp_mixture_quadratic_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt,
                                              const MixtureSolveOptions& sopt,
                                              const mixture::MixtureBackend& backend = {});
MixtureQuadraticFit glu_mixture_quadratic_fit(const Glu& net, const InputDist& dist, const FitOptions& opt,
                                              const MixtureSolveOptions& sopt,
                                              const mixture::MixtureBackend& backend = {});

}  // namespace polyapprox
