// Device-side covariance factors, projections, solves and interaction matrices (see
// device_linalg.hpp). Each step mirrors the core function of the same name in native/core.
#include "device_linalg.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels.hpp"

namespace polyapprox {
namespace cuda {

namespace {
constexpr double kEps = 2.220446049250313e-16;

size_t sq(int n) { return static_cast<size_t>(n) * n; }

// cusolverDnDpotrf in place on the symmetric [n, n] device array A (column-major `uplo`).
// Returns LAPACK's info (0: success; k > 0: the leading minor of order k is not positive).
int potrf(Session& s, cublasFillMode_t uplo, int n, double* A) {
  int lwork = 0;
  PA_CUDA(cusolverDnDpotrf_bufferSize, s.solver(), uplo, n, A, n, &lwork);
  DeviceArray<double> work(std::max(lwork, 1));
  DeviceArray<int> info(1);
  PA_CUDA(cusolverDnDpotrf, s.solver(), uplo, n, A, n, work.data(), lwork, info.data());
  int h = 0;
  download(s, info.data(), 1, &h);
  if (h < 0) throw std::runtime_error("cusolverDnDpotrf: invalid argument " + std::to_string(-h));
  return h;
}
}  // namespace

DeviceComponent device_component(Session& s, const InputDist& dist, int k, double psd_tol) {
  DeviceComponent c;
  const int n = dist.in;
  c.n = n;
  c.mean.assign(n, 0.0);
  if (dist.means) std::copy(dist.means + static_cast<size_t>(k) * n, dist.means + static_cast<size_t>(k + 1) * n, c.mean.begin());
  c.identity_cov = dist.covs == nullptr;
  if (c.identity_cov || n == 0) return c;
  const double* S = dist.covs + static_cast<size_t>(k) * sq(n);
  double max_diag = 0;
  for (int i = 0; i < n; ++i) max_diag = std::max(max_diag, S[static_cast<size_t>(i) * n + i]);
  // The core's fast path and acceptance test (native/core/linalg.cpp factor_covariance): an
  // unpivoted Cholesky whose every pivot exceeds n·eps·max(diag). Column-major 'U' = row-major L.
  const double tol = n * kEps * max_diag;
  DeviceArray<double> A = upload(s, S, sq(n));
  bool ok = potrf(s, CUBLAS_FILL_MODE_UPPER, n, A.data()) == 0;
  if (ok) {
    DeviceArray<double> diag(n);
    PA_CUDA(cublasDcopy, s.blas(), n, A.data(), n + 1, diag.data(), 1);
    const std::vector<double> d = download(s, diag.data(), n);
    for (int i = 0; ok && i < n; ++i) ok = d[i] * d[i] > tol;
  }
  if (ok) {
    c.triangular = true;
    c.rank = n;
    c.perm.resize(n);
    for (int i = 0; i < n; ++i) c.perm[i] = i;
    c.L = std::move(A);
    return c;
  }
  // Singular (or indefinite) covariance: the core's pivoted factorization and PSD check, on the CPU.
  CovFactor f;
  try {
    f = factor_covariance(n, S, psd_tol);
  } catch (const std::domain_error& e) {
    throw std::domain_error("covariance of component " + std::to_string(k) + " is " + e.what());
  }
  c.rank = f.rank;
  c.perm = f.perm;
  c.L = upload(s, f.L);
  return c;
}

std::vector<double> row_dots_host(Session& s, int rows, int cols, const double* A, const double* B) {
  DeviceArray<double> out(rows);
  row_dots(s.stream(), rows, cols, A, B, out.data());
  return download(s, out.data(), rows);
}

DevicePreactivations device_preactivations(Session& s, int rows, int n, const double* dW, const double* W,
                                           const double* b, const DeviceComponent& c) {
  DevicePreactivations p;
  // m = W μ + b
  {
    DeviceArray<double> mu = upload(s, c.mean), m(rows);
    gemv_rm(s, rows, n, dW, mu.data(), m.data());
    p.m = download(s, m.data(), rows);
    if (b)
      for (int i = 0; i < rows; ++i) p.m[i] += b[i];
  }
  // s_i² = ‖Fᵀ w_i‖² (a sum of squares, never negative), or ‖w_i‖² for Σ = I.
  if (c.identity_cov) {
    p.s = row_dots_host(s, rows, n, dW, dW);
  } else if (c.rank == 0) {
    p.s.assign(rows, 0.0);
  } else {
    const int r = c.rank;
    p.proj = DeviceArray<double>(static_cast<size_t>(rows) * r);
    if (c.triangular) {
      // Row-major B = W L is column-major Bᵀ = Lᵀ Wᵀ = U Wᵀ: a triangular product from the left.
      const double one = 1.0;
      PA_CUDA(cublasDtrmm, s.blas(), CUBLAS_SIDE_LEFT, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_N, CUBLAS_DIAG_NON_UNIT, n,
              rows, &one, c.L.data(), n, dW, n, p.proj.data(), n);
    } else {
      // W with its columns in pivot order, times the trapezoidal L [n, rank].
      std::vector<double> Wp(static_cast<size_t>(rows) * n);
      for (int i = 0; i < rows; ++i)
        for (int k = 0; k < n; ++k) Wp[static_cast<size_t>(i) * n + k] = W[static_cast<size_t>(i) * n + c.perm[k]];
      DeviceArray<double> dWp = upload(s, Wp);
      gemm_rm(s, false, false, rows, r, n, 1.0, dWp.data(), c.L.data(), 0.0, p.proj.data());
    }
    p.s = row_dots_host(s, rows, r, p.proj.data(), p.proj.data());
  }
  for (double& v : p.s) v = std::sqrt(v);
  return p;
}

void symmetric_eigen(Session& s, int n, double* A, std::vector<double>& vals) {
  vals.assign(n, 0.0);
  if (n == 0) return;
  DeviceArray<double> w(n);
  int lwork = 0;
  // 'L' of the column-major view is the row-major upper triangle: the one LAPACK reads in the core.
  PA_CUDA(cusolverDnDsyevd_bufferSize, s.solver(), CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_LOWER, n, A, n, w.data(),
          &lwork);
  DeviceArray<double> work(std::max(lwork, 1));
  DeviceArray<int> info(1);
  PA_CUDA(cusolverDnDsyevd, s.solver(), CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_LOWER, n, A, n, w.data(),
          work.data(), lwork, info.data());
  int h = 0;
  download(s, info.data(), 1, &h);
  if (h != 0) throw std::runtime_error("cusolverDnDsyevd failed: info = " + std::to_string(h));
  // Column j of the column-major result (eigenvector j) is row j of the row-major array.
  download(s, w.data(), n, vals.data());
}

DeviceArray<double> solve_symmetric(Session& s, int n, int r, double* C, const double* R, double ridge,
                                    double rcond, SolveReport& report) {
  DeviceArray<double> X = zeros(s, static_cast<size_t>(n) * r);
  if (n == 0) return X;
  if (ridge > 0) {
    add_diagonal(s.stream(), n, ridge, C);
    const int info = potrf(s, CUBLAS_FILL_MODE_LOWER, n, C);
    if (info != 0)
      throw std::domain_error("Cholesky of the ridge-regularized covariance failed (info " + std::to_string(info) + ")");
    // R [n, r] row-major is column-major [r, n]: solve on its transpose.
    DeviceArray<double> Bt(static_cast<size_t>(n) * r);
    transpose_rm(s, n, r, R, Bt.data());
    DeviceArray<int> dinfo(1);
    PA_CUDA(cusolverDnDpotrs, s.solver(), CUBLAS_FILL_MODE_LOWER, n, r, C, n, Bt.data(), n, dinfo.data());
    int h = 0;
    download(s, dinfo.data(), 1, &h);
    if (h != 0) throw std::runtime_error("cusolverDnDpotrs failed: info = " + std::to_string(h));
    transpose_rm(s, r, n, Bt.data(), X.data());
    report.rank = n;
    report.cutoff = 0;
    report.min_kept = 0;
    return X;
  }
  std::vector<double> vals;
  symmetric_eigen(s, n, C, vals);
  const double top = std::max(vals[n - 1], 0.0);
  const double cutoff = rcond * top;
  // Y = Vᵀ R on the kept eigenvectors, scaled by 1/λ; then X = V Y.
  std::vector<double> scale(n, 0.0);
  int rank = 0;
  double min_kept = 0;
  for (int j = 0; j < n; ++j) {
    if (vals[j] > cutoff && vals[j] > 0) {
      scale[j] = 1.0 / vals[j];
      if (rank == 0 || vals[j] < min_kept) min_kept = vals[j];
      ++rank;
    }
  }
  DeviceArray<double> Y(static_cast<size_t>(n) * r), dscale = upload(s, scale);
  gemm_rm(s, false, false, n, r, n, 1.0, C, R, 0.0, Y.data());
  scale_rows_rm(s, n, r, Y.data(), dscale.data(), Y.data());
  gemm_rm(s, true, false, n, r, n, 1.0, C, Y.data(), 0.0, X.data());
  report.rank = rank;
  report.cutoff = cutoff;
  report.min_kept = min_kept;
  return X;
}

DeviceArray<double> quadratic_form_lower(Session& s, const QuadraticFit& fit, int o) {
  const int n = fit.in, h = fit.hidden;
  DeviceArray<double> G(sq(n));
  DeviceArray<double> W = upload(s, fit.W), a = upload(s, fit.a.data() + static_cast<size_t>(o) * h, h);
  // W row-major [h, n] is column-major Wc [n, h]; G = ½ Wc diag(a) Wcᵀ (+ ½ (Wc diag(b) Vcᵀ + Vc diag(b) Wcᵀ)).
  DeviceArray<double> Ws(static_cast<size_t>(h) * n);
  scale_rows_rm(s, h, n, W.data(), a.data(), Ws.data());
  const double half = 0.5, zero = 0.0, one = 1.0;
  PA_CUDA(cublasDsyrkx, s.blas(), CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N, n, h, &half, Ws.data(), n, W.data(), n, &zero,
          G.data(), n);
  if (!fit.b.empty()) {
    DeviceArray<double> V = upload(s, fit.V), b = upload(s, fit.b.data() + static_cast<size_t>(o) * h, h);
    scale_rows_rm(s, h, n, W.data(), b.data(), Ws.data());
    PA_CUDA(cublasDsyr2k, s.blas(), CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N, n, h, &half, Ws.data(), n, V.data(), n, &one,
            G.data(), n);
  }
  s.sync();  // the uploads above are freed on return
  return G;
}

}  // namespace cuda
}  // namespace polyapprox
