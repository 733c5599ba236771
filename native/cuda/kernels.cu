// Element-wise kernels (see kernels.hpp). Memory-bound by design; the matrix work is cuBLAS's.
#include <cmath>

#include "check.hpp"
#include "kernels.hpp"

namespace polyapprox {
namespace cuda {

namespace {
constexpr int kThreads = 256;

unsigned blocks_for(size_t n, size_t cap = 65535u * 8) {
  size_t b = (n + kThreads - 1) / kThreads;
  if (b > cap) b = cap;
  return static_cast<unsigned>(b < 1 ? 1 : b);
}

// Row i of the packed lower triangle holding pair p: the largest i with i(i+1)/2 ≤ p.
__device__ __forceinline__ void pair_of(int64_t p, int& i, int& j) {
  int64_t r = static_cast<int64_t>((sqrt(8.0 * static_cast<double>(p) + 1.0) - 1.0) * 0.5);
  while (r * (r + 1) / 2 > p) --r;
  while ((r + 1) * (r + 2) / 2 <= p) ++r;
  i = static_cast<int>(r);
  j = static_cast<int>(p - r * (r + 1) / 2);
}

// One thread per pair column; it walks the hidden units (grid-stride in y) so that the pair
// index is computed once per few units and the writes along a row of K stay coalesced.
__global__ void khatri_rao_kernel(int hidden, int n, const double* __restrict__ W, const double* __restrict__ V,
                                  int64_t p0, int count, double* __restrict__ K) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  if (x >= count) return;
  int i, j;
  pair_of(p0 + x, i, j);
  const double s = i == j ? 0.5 : 1.0;
  for (int u = blockIdx.y; u < hidden; u += gridDim.y) {
    const double wi = W[static_cast<size_t>(u) * n + i], wj = W[static_cast<size_t>(u) * n + j];
    K[static_cast<size_t>(u) * count + x] = s * wi * wj;
    if (V) {
      const double vi = V[static_cast<size_t>(u) * n + i], vj = V[static_cast<size_t>(u) * n + j];
      K[static_cast<size_t>(hidden + u) * count + x] = s * (wi * vj + vi * wj);
    }
  }
}

// One warp per row; fixed reduction order, so results are reproducible run to run.
__global__ void row_dots_kernel(int rows, int cols, const double* __restrict__ A, const double* __restrict__ B,
                                double* __restrict__ out) {
  const int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (warp >= rows) return;
  const double* a = A + static_cast<size_t>(warp) * cols;
  const double* b = B + static_cast<size_t>(warp) * cols;
  double acc = 0;
  for (int c = lane; c < cols; c += 32) acc += a[c] * b[c];
  for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
  if (lane == 0) out[warp] = acc;
}

__global__ void half_square_kernel(size_t n, const double* __restrict__ x, double* __restrict__ y) {
  for (size_t k = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; k < n; k += static_cast<size_t>(gridDim.x) * blockDim.x)
    y[k] = 0.5 * x[k] * x[k];
}

__global__ void hadamard_kernel(size_t n, const double* __restrict__ x, const double* __restrict__ z, double* __restrict__ y) {
  for (size_t k = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; k < n; k += static_cast<size_t>(gridDim.x) * blockDim.x)
    y[k] = x[k] * z[k];
}

__global__ void add_diagonal_kernel(int n, double value, double* A) {
  const int k = blockIdx.x * blockDim.x + threadIdx.x;
  if (k < n) A[static_cast<size_t>(k) * n + k] += value;
}

__device__ __forceinline__ uint64_t splitmix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

__global__ void fill_uniform_kernel(size_t n, uint64_t seed, double* out) {
  for (size_t k = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; k < n; k += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const uint64_t r = splitmix64(seed ^ (k * 0xd1b54a32d192ed03ull));
    out[k] = (static_cast<double>(r >> 11) + 0.5) * (2.0 / 9007199254740992.0) - 1.0;
  }
}
}  // namespace

void khatri_rao_pairs(cudaStream_t stream, int hidden, int n, const double* W, const double* V, int64_t p0,
                      int count, double* K) {
  if (count <= 0 || hidden <= 0) return;
  const dim3 grid((count + kThreads - 1) / kThreads, hidden < 64 ? hidden : 64);
  khatri_rao_kernel<<<grid, kThreads, 0, stream>>>(hidden, n, W, V, p0, count, K);
  check_launch("khatri_rao_kernel");
}

void row_dots(cudaStream_t stream, int rows, int cols, const double* A, const double* B, double* out) {
  if (rows <= 0) return;
  const size_t threads = static_cast<size_t>(rows) * 32;
  row_dots_kernel<<<static_cast<unsigned>((threads + kThreads - 1) / kThreads), kThreads, 0, stream>>>(rows, cols, A, B, out);
  check_launch("row_dots_kernel");
}

void half_square(cudaStream_t stream, size_t n, const double* x, double* y) {
  if (n == 0) return;
  half_square_kernel<<<blocks_for(n), kThreads, 0, stream>>>(n, x, y);
  check_launch("half_square_kernel");
}

void hadamard(cudaStream_t stream, size_t n, const double* x, const double* z, double* y) {
  if (n == 0) return;
  hadamard_kernel<<<blocks_for(n), kThreads, 0, stream>>>(n, x, z, y);
  check_launch("hadamard_kernel");
}

void add_diagonal(cudaStream_t stream, int n, double value, double* A) {
  if (n <= 0) return;
  add_diagonal_kernel<<<(n + kThreads - 1) / kThreads, kThreads, 0, stream>>>(n, value, A);
  check_launch("add_diagonal_kernel");
}

void fill_uniform(cudaStream_t stream, size_t n, uint64_t seed, double* out) {
  if (n == 0) return;
  fill_uniform_kernel<<<blocks_for(n), kThreads, 0, stream>>>(n, seed, out);
  check_launch("fill_uniform_kernel");
}

}  // namespace cuda
}  // namespace polyapprox
