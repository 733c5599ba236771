// The few element-wise kernels the fits need beside cuBLAS (kernels.cu). Each launches on the
// given stream and checks the launch; sizes are element counts.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace polyapprox {
namespace cuda {

// The packed-pair ("Khatri–Rao") block of DESIGN §2's gamma packing for pairs p in
// [p0, p0 + count): pair p = i(i+1)/2 + j (i ≥ j) with s = ½ on the diagonal and 1 off it;
//   K[u, p − p0]         = s W[u,i] W[u,j]                          (u < hidden)
//   K[hidden + u, p − p0] = s (W[u,i] V[u,j] + V[u,i] W[u,j])       (GLU only, V non-null)
// K is row-major [hidden or 2·hidden, count]. Then gamma[:, p0:p0+count] = [a | b] K: one dgemm.
void khatri_rao_pairs(cudaStream_t stream, int hidden, int n, const double* W, const double* V, int64_t p0,
                      int count, double* K);

// out[r] = A[r, :] · B[r, :] for row-major [rows, cols] arrays (B may equal A: squared norms).
void row_dots(cudaStream_t stream, int rows, int cols, const double* A, const double* B, double* out);

// y[i] = ½ x[i]² (B null) or x[i]·B[i], in place allowed.
void half_square(cudaStream_t stream, size_t n, const double* x, double* y);
void hadamard(cudaStream_t stream, size_t n, const double* x, const double* z, double* y);

// A[i, i] += value for a row-major [n, n] array.
void add_diagonal(cudaStream_t stream, int n, double value, double* A);

// Deterministic pseudo-random values in (−1, 1) (benchmarks: never time on zeros).
void fill_uniform(cudaStream_t stream, size_t n, uint64_t seed, double* out);

}  // namespace cuda
}  // namespace polyapprox
