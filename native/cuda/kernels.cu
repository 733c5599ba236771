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

// The sum of `v` over the 32 lanes of a warp, in lane 0 (fixed order: reproducible run to run).
__device__ __forceinline__ double warp_sum(double v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  return v;
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
  acc = warp_sum(acc);
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

// One warp per block of the stack; fixed reduction order.
__global__ void block_traces_kernel(int count, int r, const double* __restrict__ G, double* __restrict__ out) {
  const int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (warp >= count) return;
  const double* g = G + static_cast<size_t>(warp) * r * r;
  double acc = 0;
  for (int i = lane; i < r; i += 32) acc += g[static_cast<size_t>(i) * r + i];
  acc = warp_sum(acc);
  if (lane == 0) out[warp] = acc;
}

__global__ void hermite_precondition_kernel(int count, int r, const double* __restrict__ Rc, const double* __restrict__ RG,
                                            const double* __restrict__ trRG, double* __restrict__ Zc, double* __restrict__ ZG) {
  const size_t rr = static_cast<size_t>(r) * r, n = rr * count;
  for (size_t k = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; k < n; k += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t o = k / rr, e = k % rr;
    const bool diag = e / r == e % r;
    ZG[k] = 0.5 * RG[k] - (diag ? 0.5 * Rc[o] : 0.0);
    if (e == 0) Zc[o] = Rc[o] - (0.5 * trRG[o] - 0.5 * r * Rc[o]);
  }
}

// One thread per (o, i): the row i of Γ_o is read coalesced across threads of consecutive i only
// through the column term; r ≤ a few thousand, so this is small next to the GEMMs.
__global__ void recentred_linear_kernel(int count, int r, const double* __restrict__ G, const double* __restrict__ b,
                                        const double* __restrict__ d, double* __restrict__ bt) {
  const size_t n = static_cast<size_t>(count) * r;
  for (size_t k = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; k < n; k += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t o = k / r, i = k % r;
    const double* g = G + o * r * r;
    double acc = 0;
    for (int j = 0; j < r; ++j) acc += (g[i * r + j] + g[static_cast<size_t>(j) * r + i]) * d[j];
    bt[k] = b[k] + acc;
  }
}

__global__ void component_mean_kernel(int count, int r, const double* __restrict__ c, const double* __restrict__ b,
                                      const double* __restrict__ bt, const double* __restrict__ d,
                                      const double* __restrict__ trGC, double* __restrict__ m0) {
  const int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (warp >= count) return;
  const double* bo = b + static_cast<size_t>(warp) * r;
  const double* bto = bt + static_cast<size_t>(warp) * r;
  double acc = 0;
  for (int i = lane; i < r; i += 32) acc += bo[i] * d[i] + 0.5 * d[i] * (bto[i] - bo[i]);
  acc = warp_sum(acc);
  if (lane == 0) m0[warp] = c[warp] + acc + trGC[warp];
}

__global__ void moment_accumulate_kernel(int count, int r, double w, const double* __restrict__ m0, const double* __restrict__ m1,
                                         const double* __restrict__ d, const double* __restrict__ C, const double* __restrict__ P2,
                                         double* __restrict__ Yc, double* __restrict__ Yb, double* __restrict__ YG) {
  const size_t rr = static_cast<size_t>(r) * r, n = rr * count;
  for (size_t k = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; k < n; k += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const size_t o = k / rr, e = k % rr, i = e / r, j = e % r;
    const double a0 = m0[o];
    const double* m = m1 + o * r;
    const double* P = P2 + o * rr;
    YG[k] += w * (a0 * (C[e] + d[i] * d[j]) + P[e] + P[j * r + i] + m[i] * d[j] + d[i] * m[j]);
    if (j == 0) Yb[o * r + i] += w * (m[i] + d[i] * a0);
    if (e == 0) Yc[o] += w * a0;
  }
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

void block_traces(cudaStream_t stream, int count, int r, const double* G, double* out) {
  if (count <= 0) return;
  const size_t threads = static_cast<size_t>(count) * 32;
  block_traces_kernel<<<static_cast<unsigned>((threads + kThreads - 1) / kThreads), kThreads, 0, stream>>>(count, r, G, out);
  check_launch("block_traces_kernel");
}

void hermite_precondition(cudaStream_t stream, int count, int r, const double* Rc, const double* RG, const double* trRG,
                          double* Zc, double* ZG) {
  if (count <= 0 || r <= 0) return;
  hermite_precondition_kernel<<<blocks_for(static_cast<size_t>(count) * r * r), kThreads, 0, stream>>>(count, r, Rc, RG, trRG, Zc, ZG);
  check_launch("hermite_precondition_kernel");
}

void recentred_linear(cudaStream_t stream, int count, int r, const double* G, const double* b, const double* d,
                      double* bt) {
  if (count <= 0 || r <= 0) return;
  recentred_linear_kernel<<<blocks_for(static_cast<size_t>(count) * r), kThreads, 0, stream>>>(count, r, G, b, d, bt);
  check_launch("recentred_linear_kernel");
}

void component_mean(cudaStream_t stream, int count, int r, const double* c, const double* b, const double* bt,
                    const double* d, const double* trGC, double* m0) {
  if (count <= 0) return;
  const size_t threads = static_cast<size_t>(count) * 32;
  component_mean_kernel<<<static_cast<unsigned>((threads + kThreads - 1) / kThreads), kThreads, 0, stream>>>(count, r, c, b, bt, d, trGC, m0);
  check_launch("component_mean_kernel");
}

void moment_accumulate(cudaStream_t stream, int count, int r, double w, const double* m0, const double* m1,
                       const double* d, const double* C, const double* P2, double* Yc, double* Yb, double* YG) {
  if (count <= 0 || r <= 0) return;
  moment_accumulate_kernel<<<blocks_for(static_cast<size_t>(count) * r * r), kThreads, 0, stream>>>(count, r, w, m0, m1, d, C, P2, Yc, Yb, YG);
  check_launch("moment_accumulate_kernel");
}

void fill_uniform(cudaStream_t stream, size_t n, uint64_t seed, double* out) {
  if (n == 0) return;
  fill_uniform_kernel<<<blocks_for(n), kThreads, 0, stream>>>(n, seed, out);
  check_launch("fill_uniform_kernel");
}

}  // namespace cuda
}  // namespace polyapprox
