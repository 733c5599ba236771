// The CUDA backend: the entry points of native/core with the same signatures, in namespace
// polyapprox::cuda, so that the addon glue (native/addon, compiled with POLYAPPROX_CUDA) calls
// `impl::mlp_linear_fit(...)` and gets the GPU version. What runs on the device (cuBLAS/cuSOLVER):
//   covariance factor      cusolverDnDpotrf (falls back to the core's pivoted CPU factorization
//                          when the covariance is singular) and the projection W F (dtrmm/dgemm),
//                          preactivation variances and GLU cross-covariances (row dots);
//   E∇f, Hμ                dgemm over the weights, scaled by the per-unit expectations (ddgmm);
//   mixture normal eqs.    Σ_k π_k(Σ_k + d dᵀ), Σ_k π_k(Σ_k E_k∇f + d deᵀ) (daxpy/dgemm/dger) and
//                          the solve: cusolverDnDsyevd (minimum norm) or dpotrf/dpotrs (ridge);
//   gamma                  one dgemm per block of packed pairs: gamma[:, P] = [a | b] K[:, P]
//                          with K the pair products of the weights (kernels.cu);
//   G_o                    dsyrkx (+ dsyr2k for GLUs); its dense eigendecomposition dsyevd;
//   predict                dgemm + element-wise squares.
// What stays on the CPU: the per-unit Gaussian integrals (native/core/integrals, cheap), the
// O(out·hidden) bookkeeping, and the routes with no large products (degree ≥ 3 compact fits and
// their predict, Lanczos), which are the core's own functions re-exported below.
// Arithmetic is float64 throughout (FitOptions::single is ignored: fits report dtype float64).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "eigen.hpp"
#include "error.hpp"
#include "fit.hpp"
#include "hermite.hpp"
#include "mixture_quadratic.hpp"
#include "quadratic.hpp"

namespace polyapprox {
namespace cuda {

LinearFit mlp_linear_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt);
LinearFit glu_linear_fit(const Glu& net, const InputDist& dist, const FitOptions& opt);
QuadraticFit mlp_quadratic_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt);
QuadraticFit glu_quadratic_fit(const Glu& net, const InputDist& dist, const FitOptions& opt);

// The exact mixture quadratic: the core's driver with this backend's component fits and block
// CR on the device (mixture_quadratic.cpp); float64 (FitOptions::single ignored).
MixtureQuadraticFit mlp_mixture_quadratic_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt,
                                              const MixtureSolveOptions& sopt);
MixtureQuadraticFit glu_mixture_quadratic_fit(const Glu& net, const InputDist& dist, const FitOptions& opt,
                                              const MixtureSolveOptions& sopt);

void quadratic_form(const QuadraticFit& fit, int o, double* G);
// gamma [out, in(in+1)/2] written into `gamma` (host memory of that size).
void quadratic_gamma(const QuadraticFit& fit, double* gamma);
std::vector<double> quadratic_predict(const QuadraticFit& fit, int rows, const double* X);
std::vector<double> linear_predict(const LinearFit& fit, int rows, const double* X);
EigenResult interaction_eigen_dense(const QuadraticFit& fit, int o, int k);
void gemm(bool transA, bool transB, int m, int n, int k, double alpha, const double* A, const double* B,
          double beta, double* C);

// No large products in these: the core's CPU code.
using polyapprox::compact_predict;
using polyapprox::glu_compact_fit;
using polyapprox::interaction_eigen_lanczos;
using polyapprox::mlp_compact_fit;
using polyapprox::mixture_memory_estimate;

// ---- probe and benchmarks (bench/cuda.ts) ----
struct ProbeInfo {
  int count = 0;
  std::string name;
  int major = 0, minor = 0, multiprocessors = 0;
  double total_memory = 0, free_memory = 0;  // bytes
  int runtime_version = 0, driver_version = 0;
};
ProbeInfo probe_devices();

// Seconds of each of `reps` timed dgemms C[m, n] = A[m, k] B[k, n] on device-resident random
// data (CUDA events, after two untimed warm-ups).
std::vector<double> bench_gemm(int m, int n, int k, int reps);
// Seconds of each of `reps` timed gamma computations (the device part of quadratic_gamma: weights
// already uploaded, result left on the device).
std::vector<double> bench_gamma(const QuadraticFit& fit, int reps);

}  // namespace cuda
}  // namespace polyapprox
