// Device-side steps shared by the CUDA fits (device_linalg.cpp): a Gaussian component's covariance
// factor and the projections onto it, the symmetric solves of the mixture normal equations, and
// the dense interaction matrix G_o. Internal to native/cuda; the public entry points are in
// polyapprox_cuda.hpp.
#pragma once
#include <vector>

#include "device.hpp"
#include "fit.hpp"
#include "quadratic.hpp"

namespace polyapprox {
namespace cuda {

// One Gaussian component with its covariance factor Σ = F Fᵀ on the device. For a positive
// definite Σ, F = L from cusolverDnDpotrf (the buffer is column-major upper U = Lᵀ, i.e. row-major
// lower L, [n, n]); otherwise the core's pivoted CPU factorization (F = P L, L [n, rank] row-major,
// uploaded), exactly the decision native/core makes.
struct DeviceComponent {
  int n = 0;
  std::vector<double> mean;  // [n]
  bool identity_cov = true;
  bool triangular = false;   // potrf route (perm is the identity)
  int rank = 0;
  std::vector<int> perm;
  DeviceArray<double> L;
};
DeviceComponent device_component(Session& s, const InputDist& dist, int k, double psd_tol);

// Preactivation means m = W μ + b (host), standard deviations s (host) and the projection W F
// (device, [rows, rank]; empty for an identity covariance). dW is W on the device, W its host copy
// (used only to permute columns for a pivoted factor).
struct DevicePreactivations {
  std::vector<double> m, s;
  DeviceArray<double> proj;
};
DevicePreactivations device_preactivations(Session& s, int rows, int n, const double* dW, const double* W,
                                           const double* b, const DeviceComponent& c);

// Row dots of two [rows, cols] device arrays, downloaded.
std::vector<double> row_dots_host(Session& s, int rows, int cols, const double* A, const double* B);

// Symmetric eigendecomposition (cusolverDnDsyevd) of the row-major symmetric [n, n] device array A,
// in place: on return row j of A is the unit eigenvector of vals[j] (ascending), as in the core.
void symmetric_eigen(Session& s, int n, double* A, std::vector<double>& vals);

// X [n, r] (device) solving C X = R, C [n, n] and R [n, r] device arrays (C is overwritten): the
// core's solve_symmetric, with ridge (dpotrf/dpotrs of C + ridge·I) or minimum norm (eigenvalues
// below rcond·λ_max dropped).
DeviceArray<double> solve_symmetric(Session& s, int n, int r, double* C, const double* R, double ridge,
                                    double rcond, SolveReport& report);

// The lower triangle (column-major; = the upper row-major one) of output o's G_o = ½ E[∇²f_o] in
// a fresh [n, n] device array: dsyrkx over W diag(a_o) and W, plus dsyr2k over W diag(b_o) and V.
DeviceArray<double> quadratic_form_lower(Session& s, const QuadraticFit& fit, int o);

}  // namespace cuda
}  // namespace polyapprox
