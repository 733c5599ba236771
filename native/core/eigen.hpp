// Eigendecomposition of a quadratic approximant's interaction matrix: the top-k eigenpairs, by
// |λ|, of output o's symmetric G_o (xᵀ G_o x is the quadratic part, G_o = ½ E[∇²f_o]), read as
// interaction features. Two routes with one result:
//   dense    forms G_o (dsyrk/dsyr2k, quadratic.cpp) and takes the full LAPACK dsyevr
//            decomposition: O(in²·hidden + in³) time, O(in²) memory;
//   lanczos  thick-restart Lanczos with full reorthogonalization on the matrix-free product
//            v ↦ G_o v = ½ Wᵀ(a_o ⊙ Wv) + ½ [Wᵀ(b_o ⊙ Vv) + Vᵀ(b_o ⊙ Wv)] (dgemv/dgemm over the
//            compact form): O(in·hidden) per product, O(in·basis) memory, never in².
// Both ends of the spectrum matter, so Lanczos keeps the Ritz values of largest magnitude. The
// start vector (and any vector injected after a breakdown) comes from a fixed integer sequence
// that lib/js/eigen.ts reproduces bit for bit, so the two backends walk the same Krylov spaces.
// lib/js/eigen.ts mirrors every step by name.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "quadratic.hpp"

namespace polyapprox {

struct EigenOptions {
  int k = 10;          // eigenpairs wanted, 1 ≤ k ≤ in
  double tol = 1e-10;  // Lanczos: stop when every wanted ‖G v − λ v‖ ≤ tol·|λ_max|
  int max_iter = 0;    // Lanczos: at most this many products with G (0: lanczos_default_max_iter)
};

struct EigenResult {
  int n = 0, k = 0;
  std::vector<double> values;   // [k], |λ| descending (ties: λ descending)
  std::vector<double> vectors;  // [k, n], unit rows; the largest-|component| entry is positive
  std::string method;           // "dense" or "lanczos"
  int iterations = 0;           // products with G (0 for dense)
  bool converged = false;       // dense: always; lanczos: every wanted residual within tol
};

// Y [m, n] = X [m, n] G_o (rows of X are vectors; G_o symmetric), from the compact form only.
void quadratic_form_apply(const QuadraticFit& fit, int o, int m, const double* X, double* Y);

EigenResult interaction_eigen_dense(const QuadraticFit& fit, int o, int k);
EigenResult interaction_eigen_lanczos(const QuadraticFit& fit, int o, const EigenOptions& opt);

// Krylov basis size for k wanted pairs in dimension n, and how many Ritz vectors a restart keeps.
int lanczos_basis_size(int n, int k);
int lanczos_keep_count(int m, int k);
int lanczos_default_max_iter(int n, int k);

// Indices 0..count-1 ordered by |λ| descending, then λ descending, then index.
std::vector<int> order_by_magnitude(int count, const double* values);

// Flips v [n] so that its first entry of largest magnitude is positive.
void fix_sign(int n, double* v);

// The deterministic sequence behind start vectors: mulberry32 on a uint32 state, mapped to
// uniforms in (−½, ½); exactly representable, so C++ and JS draw identical doubles.
class StartSequence {
 public:
  explicit StartSequence(std::uint32_t seed = 0x9e3779b9u) : state_(seed) {}
  double next();

 private:
  std::uint32_t state_;
};

}  // namespace polyapprox
