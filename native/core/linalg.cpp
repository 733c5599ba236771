// Thin CBLAS/LAPACK wrappers (see linalg.hpp). LAPACK is column-major: a symmetric matrix is the
// same in either order, and a column-major upper factor U read row-major is the lower L = Uᵀ.
#include "linalg.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

extern "C" {
// Fortran LAPACK, declared here so that only -lopenblas (which bundles LAPACK) is needed. The
// trailing size_t arguments are gfortran's hidden lengths of the character arguments.
void dpstrf_(const char* uplo, const int* n, double* a, const int* lda, int* piv, int* rank,
             const double* tol, double* work, int* info, size_t uplo_len);
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a,
             const int* lda, const double* vl, const double* vu, const int* il, const int* iu,
             const double* abstol, int* m, double* w, double* z, const int* ldz, int* isuppz,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info,
             size_t jobz_len, size_t range_len, size_t uplo_len);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info,
             size_t uplo_len);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda,
             double* b, const int* ldb, int* info, size_t uplo_len);
}

namespace polyapprox {

void gemm(bool transA, bool transB, int m, int n, int k, double alpha, const double* A,
          const double* B, double beta, double* C) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (long i = 0; i < static_cast<long>(m) * n; ++i) C[i] *= beta;
    return;
  }
  cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              m, n, k, alpha, A, transA ? m : k, B, transB ? k : n, beta, C, n);
}

void gemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* A, const float* B,
          float beta, float* C) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (long i = 0; i < static_cast<long>(m) * n; ++i) C[i] *= beta;
    return;
  }
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              m, n, k, alpha, A, transA ? m : k, B, transB ? k : n, beta, C, n);
}

void gemm(int m, int n, int k, double alpha, const double* A, int lda, const double* B, int ldb, double beta,
          double* C, int ldc) {
  if (m == 0 || n == 0 || k == 0) throw std::invalid_argument("gemm: empty sub-block");
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm(int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb, float beta, float* C,
          int ldc) {
  if (m == 0 || n == 0 || k == 0) throw std::invalid_argument("gemm: empty sub-block");
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

namespace {
template <class T>
void upper_sandwich_in(int r, T alpha, const T* C, const T* P, T beta, T* out) {
  constexpr int kBlocks = 6;
  for (int b = 0; b < kBlocks; ++b) {
    const int i0 = static_cast<int>(static_cast<long>(r) * b / kBlocks);
    const int i1 = static_cast<int>(static_cast<long>(r) * (b + 1) / kBlocks);
    if (i1 > i0) gemm(i1 - i0, r - i0, r, alpha, C + static_cast<size_t>(i0) * r, r, P + i0, r, beta,
                      out + static_cast<size_t>(i0) * r + i0, r);
  }
}
}  // namespace

void upper_sandwich(int r, double alpha, const double* C, const double* P, double beta, double* out) {
  upper_sandwich_in(r, alpha, C, P, beta, out);
}
void upper_sandwich(int r, float alpha, const float* C, const float* P, float beta, float* out) {
  upper_sandwich_in(r, alpha, C, P, beta, out);
}

CovFactor factor_covariance(int n, const double* S, double psd_tol) {
  CovFactor f;
  f.n = n;
  if (n == 0) return f;
  std::vector<double> a(S, S + static_cast<size_t>(n) * n);
  double max_diag = 0;
  for (int i = 0; i < n; ++i) max_diag = std::max(max_diag, a[static_cast<size_t>(i) * n + i]);
  // Pivots below n·eps·max(diag) are rounding noise of a singular matrix.
  const double tol = n * 2.220446049250313e-16 * max_diag;
  // Fast path: a positive definite S (the usual full-rank covariance) factors with the
  // optimized unpivoted Cholesky, which also proves it PSD. Only singular or indefinite
  // matrices pay for the (unblocked-speed) pivoted factorization below.
  {
    int info = 0;
    dpotrf_("U", &n, a.data(), &n, &info, 1);
    bool ok = info == 0;
    for (int i = 0; ok && i < n; ++i) {
      const double lii = a[static_cast<size_t>(i) * n + i];
      ok = lii * lii > tol;  // same acceptance as a pivot of the pivoted factorization
    }
    if (ok) {
      f.rank = n;
      f.perm.resize(n);
      for (int k = 0; k < n; ++k) f.perm[k] = k;
      f.L.assign(static_cast<size_t>(n) * n, 0.0);
      for (int k = 0; k < n; ++k)
        std::copy(&a[static_cast<size_t>(k) * n], &a[static_cast<size_t>(k) * n] + k + 1, &f.L[static_cast<size_t>(k) * n]);
      return f;
    }
    a.assign(S, S + static_cast<size_t>(n) * n);
  }
  std::vector<int> piv(n);
  std::vector<double> work(2 * static_cast<size_t>(n));
  int rank = 0, info = 0;
  // Column-major 'U' = row-major lower: on exit a[k*n + j] (j <= k) holds L[k, j].
  dpstrf_("U", &n, a.data(), &n, piv.data(), &rank, &tol, work.data(), &info, 1);
  if (info < 0) throw std::runtime_error("dpstrf: invalid argument " + std::to_string(-info));
  if (max_diag <= 0) rank = 0;
  // The trailing block of `a` (rows/cols rank..n-1) was overwritten by dpstrf's partial
  // updates only for the factored part, so recompute the Schur complement of the permuted S
  // from the original entries: S22 - L21 L21ᵀ.
  f.perm.resize(n);
  for (int k = 0; k < n; ++k) f.perm[k] = piv[k] - 1;
  f.rank = rank;
  f.L.assign(static_cast<size_t>(n) * rank, 0.0);
  for (int k = 0; k < n; ++k)
    for (int j = 0; j <= std::min(k, rank - 1); ++j)
      f.L[static_cast<size_t>(k) * rank + j] = a[static_cast<size_t>(k) * n + j];
  const double limit = psd_tol * std::max(max_diag, 0.0);
  double worst = 0;
  int wi = -1, wj = -1;
  for (int p = rank; p < n; ++p) {
    for (int q = rank; q <= p; ++q) {
      double v = S[static_cast<size_t>(f.perm[p]) * n + f.perm[q]];
      const double* lp = &f.L[static_cast<size_t>(p) * rank];
      const double* lq = &f.L[static_cast<size_t>(q) * rank];
      for (int j = 0; j < rank; ++j) v -= lp[j] * lq[j];
      if (std::fabs(v) > worst) {
        worst = std::fabs(v);
        wi = f.perm[p];
        wj = f.perm[q];
      }
    }
  }
  if (worst > limit || max_diag < 0) {
    throw std::domain_error(
        "not positive semidefinite: after a pivoted Cholesky factorization of rank " +
        std::to_string(rank) + " the remaining Schur complement has entry (" +
        std::to_string(wi) + ", " + std::to_string(wj) + ") = " + std::to_string(worst) +
        " in magnitude, above the tolerance " + std::to_string(limit));
  }
  return f;
}

namespace {
// Precision-generic BLAS calls for the blocked triangular product below.
void blas_trmm(int m, int n, const double* L, int ldl, double* B, int ldb) {
  cblas_dtrmm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, m, n, 1.0, L, ldl, B, ldb);
}
void blas_trmm(int m, int n, const float* L, int ldl, float* B, int ldb) {
  cblas_strmm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans, CblasNonUnit, m, n, 1.0f, L, ldl, B, ldb);
}
void blas_gemm_acc(int m, int n, int k, const double* A, int lda, const double* B, int ldb, double* C, int ldc) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, A, lda, B, ldb, 1.0, C, ldc);
}
void blas_gemm_acc(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, A, lda, B, ldb, 1.0f, C, ldc);
}

// B[rows, r] = Wp[rows, n] L[n, r] with L lower trapezoidal. Column block J of B is
// Wp[:, J] L[J, J] (triangular, small) + Wp[:, J_end:] L[J_end:, J] (dense): blocking keeps
// almost all flops in gemm, which runs at several times the speed of one large trmm here,
// while doing only the triangle's flops.
template <class T>
void lower_trapezoidal_product(int rows, int n, int r, const T* Wp, const T* L, T* B) {
  constexpr int kBlock = 128;
  std::vector<T> tri;
  for (int j0 = 0; j0 < r; j0 += kBlock) {
    const int nb = std::min(kBlock, r - j0);
    tri.assign(static_cast<size_t>(rows) * nb, T(0));
    for (int i = 0; i < rows; ++i)
      std::copy(&Wp[static_cast<size_t>(i) * n + j0], &Wp[static_cast<size_t>(i) * n + j0] + nb, &tri[static_cast<size_t>(i) * nb]);
    blas_trmm(rows, nb, L + static_cast<size_t>(j0) * r + j0, r, tri.data(), nb);
    for (int i = 0; i < rows; ++i)
      std::copy(&tri[static_cast<size_t>(i) * nb], &tri[static_cast<size_t>(i) * nb] + nb, &B[static_cast<size_t>(i) * r + j0]);
    const int below = n - (j0 + nb);
    if (below > 0) blas_gemm_acc(rows, nb, below, Wp + j0 + nb, n, L + static_cast<size_t>(j0 + nb) * r + j0, r, B + j0, r);
  }
}

template <class T>
std::vector<double> project_in(int rows, const double* W, const CovFactor& f) {
  const int n = f.n, r = f.rank;
  // Wp = W with columns permuted into pivot order (and narrowed to T).
  std::vector<T> Wp(static_cast<size_t>(rows) * n), L(f.L.begin(), f.L.end()), B(static_cast<size_t>(rows) * r, T(0));
  for (int i = 0; i < rows; ++i) {
    const double* w = W + static_cast<size_t>(i) * n;
    T* wp = &Wp[static_cast<size_t>(i) * n];
    for (int k = 0; k < n; ++k) wp[k] = static_cast<T>(w[f.perm[k]]);
  }
  lower_trapezoidal_product(rows, n, r, Wp.data(), L.data(), B.data());
  return std::vector<double>(B.begin(), B.end());
}
}  // namespace

std::vector<double> project_onto_factor(int rows, const double* W, const CovFactor& f, bool single) {
  if (rows == 0 || f.rank == 0) return std::vector<double>(static_cast<size_t>(rows) * f.rank, 0.0);
  return single ? project_in<float>(rows, W, f) : project_in<double>(rows, W, f);
}

void symmetric_eigen(int n, const double* S, std::vector<double>& vals, std::vector<double>& vecs) {
  vals.assign(n, 0.0);
  vecs.assign(static_cast<size_t>(n) * n, 0.0);
  if (n == 0) return;
  std::vector<double> a(S, S + static_cast<size_t>(n) * n);
  std::vector<int> isuppz(2 * static_cast<size_t>(n));
  int m = 0, info = 0, il = 0, iu = 0, lwork = -1, liwork = -1, iwq = 0;
  double vl = 0, vu = 0, abstol = 0, wq = 0;
  dsyevr_("V", "A", "L", &n, a.data(), &n, &vl, &vu, &il, &iu, &abstol, &m, vals.data(),
          vecs.data(), &n, isuppz.data(), &wq, &lwork, &iwq, &liwork, &info, 1, 1, 1);
  lwork = static_cast<int>(wq);
  liwork = iwq;
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  // Column-major Z (column j = eigenvector j) read row-major is exactly vecs[j, :].
  dsyevr_("V", "A", "L", &n, a.data(), &n, &vl, &vu, &il, &iu, &abstol, &m, vals.data(),
          vecs.data(), &n, isuppz.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1,
          1);
  if (info != 0) throw std::runtime_error("dsyevr failed: info = " + std::to_string(info));
}

std::vector<double> solve_symmetric(int n, int r, const double* S, const double* R, double ridge,
                                    double rcond, SolveReport& report) {
  std::vector<double> X(static_cast<size_t>(n) * r, 0.0);
  if (n == 0) return X;
  if (ridge > 0) {
    std::vector<double> a(S, S + static_cast<size_t>(n) * n);
    for (int i = 0; i < n; ++i) a[static_cast<size_t>(i) * n + i] += ridge;
    int info = 0;
    dpotrf_("L", &n, a.data(), &n, &info, 1);
    if (info != 0)
      throw std::domain_error("Cholesky of the ridge-regularized covariance failed (info " +
                              std::to_string(info) + ")");
    // R is [n, r] row-major = [r, n] column-major: solve on its transpose, column by column.
    std::vector<double> bt(static_cast<size_t>(n) * r);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < r; ++j) bt[static_cast<size_t>(j) * n + i] = R[static_cast<size_t>(i) * r + j];
    dpotrs_("L", &n, &r, a.data(), &n, bt.data(), &n, &info, 1);
    if (info != 0) throw std::runtime_error("dpotrs failed: info = " + std::to_string(info));
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < r; ++j) X[static_cast<size_t>(i) * r + j] = bt[static_cast<size_t>(j) * n + i];
    report.rank = n;
    report.cutoff = 0;
    report.min_kept = 0;
    return X;
  }
  std::vector<double> vals, vecs;
  symmetric_eigen(n, S, vals, vecs);
  const double top = std::max(vals[n - 1], 0.0);
  const double cutoff = rcond * top;
  // Y = Vᵀ R restricted to the kept eigenvectors, scaled by 1/λ; then X = V_kept Y.
  std::vector<double> Y(static_cast<size_t>(n) * r);
  gemm(false, false, n, r, n, 1.0, vecs.data(), R, 0.0, Y.data());
  int rank = 0;
  double min_kept = 0;
  for (int j = 0; j < n; ++j) {
    double* y = &Y[static_cast<size_t>(j) * r];
    if (vals[j] > cutoff && vals[j] > 0) {
      for (int c = 0; c < r; ++c) y[c] /= vals[j];
      if (rank == 0 || vals[j] < min_kept) min_kept = vals[j];
      ++rank;
    } else {
      for (int c = 0; c < r; ++c) y[c] = 0;
    }
  }
  gemm(true, false, n, r, n, 1.0, vecs.data(), Y.data(), 0.0, X.data());
  report.rank = rank;
  report.cutoff = cutoff;
  report.min_kept = min_kept;
  return X;
}

}  // namespace polyapprox
