// Dense linear algebra on row-major float64 arrays: thin wrappers over CBLAS/LAPACK (OpenBLAS)
// with the shapes the fits need. lib/js/linalg.ts implements the same steps under the same names.
#pragma once
#include <cstddef>
#include <vector>

namespace polyapprox {

// C[m,n] = alpha * op(A) op(B) + beta * C, all row-major.
void gemm(bool transA, bool transB, int m, int n, int k, double alpha, const double* A,
          const double* B, double beta, double* C);
// The same in float32 (sgemm), for products whose rounding a float64 check absorbs.
void gemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* A, const float* B,
          float beta, float* C);

// The same on sub-blocks: row-major with leading dimensions lda, ldb, ldc (no transposes).
void gemm(int m, int n, int k, double alpha, const double* A, int lda, const double* B, int ldb, double beta,
          double* C, int ldc);
void gemm(int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb, float beta, float* C,
          int ldc);

// The upper triangle of out = alpha · C P + beta · out for [r, r] operands whose product is
// symmetric (here C symmetric and P = S C + tI), as row blocks C[i0:i1, :] · P[:, i0:]: about
// half the flops of a full product. Entries below the diagonal are unspecified. Six blocks
// measured best for r = 664 on OpenBLAS 0.3.21 (0.69–0.72 of a full gemm in float32 and float64;
// more lose to the small ones; OpenBLAS 0.3.21 has no gemmt).
void upper_sandwich(int r, double alpha, const double* C, const double* P, double beta, double* out);
void upper_sandwich(int r, float alpha, const float* C, const float* P, float beta, float* out);

// Pivoted Cholesky factor of a symmetric PSD matrix S = F Fᵀ, F = P L with L [n, rank]
// lower trapezoidal. Stored as the permutation and L so that products with F can use the
// triangular block (half the flops of a dense product).
struct CovFactor {
  int n = 0;
  int rank = 0;
  std::vector<int> perm;   // perm[k] = original index of the k-th pivot
  std::vector<double> L;   // [n, rank] row-major, L[k, j] = 0 for j > k
};

// Factors S (symmetric [n, n]) and verifies positive semidefiniteness: after the pivoted
// factorization stops, every entry of the remaining Schur complement must be within
// psd_tol * max(diag S) of zero. Throws std::domain_error naming the worst entry otherwise.
CovFactor factor_covariance(int n, const double* S, double psd_tol);

// B[rows, rank] = W[rows, n] F, the projection of each row onto the covariance factor, so that
// w_iᵀ S w_j = B[i,:]·B[j,:]. With single = true the product runs in float32 (sgemm/strmm,
// about twice the speed; relative error ~1e-7·√n per entry) and is returned widened.
std::vector<double> project_onto_factor(int rows, const double* W, const CovFactor& f, bool single = false);

// Symmetric eigendecomposition of S [n, n]: ascending eigenvalues, and eigenvectors as the rows
// of vecs ([n, n] row-major, vecs[j, :] is the j-th eigenvector).
void symmetric_eigen(int n, const double* S, std::vector<double>& vals, std::vector<double>& vecs);

// X[n, r] solving S X = R. With ridge > 0: Cholesky of S + ridge·I. With ridge == 0: the
// minimum-norm solution through the eigendecomposition, dropping eigenvalues below
// rcond * max eigenvalue. Reports the numerical rank used.
struct SolveReport {
  int rank = 0;
  double cutoff = 0;       // absolute eigenvalue cutoff used (0 for ridge)
  double min_kept = 0;     // smallest eigenvalue kept (ridge: 0)
};
std::vector<double> solve_symmetric(int n, int r, const double* S, const double* R, double ridge,
                                    double rcond, SolveReport& report);

}  // namespace polyapprox
