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

// ---- the exact mixture quadratic's operator and preconditioner (mixture_quadratic.cpp) ----
// Stacks of `count` quadratics in whitened coordinates: c [count], b [count, r], G [count, r, r].

// out[o] = tr(G_o) for the [r, r] blocks G_o of a stack.
void block_traces(cudaStream_t stream, int count, int r, const double* G, double* out);

// The Hermite preconditioner (the moment-matched Gaussian's inverse operator, N(0, I) here):
// Γ = ½(R_G − R_c I), c = R_c − tr Γ (tr Γ = ½ trRG − ½ r R_c); Z.b = R.b is a plain copy.
void hermite_precondition(cudaStream_t stream, int count, int r, const double* Rc, const double* RG, const double* trRG,
                          double* Zc, double* ZG);

// bt[o] = b[o] + (Γ_o + Γ_oᵀ) d: the linear term re-centred at the component's mean d.
void recentred_linear(cudaStream_t stream, int count, int r, const double* G, const double* b, const double* d,
                      double* bt);

// m0[o] = c[o] + b[o]·d + ½ d·(bt[o] − b[o]) + trGC[o]: E_k q (with trGC = tr(Γ_o C)).
void component_mean(cudaStream_t stream, int count, int r, const double* c, const double* b, const double* bt,
                    const double* d, const double* trGC, double* m0);

// Y += w·A_k(Z) given m0, m1 = C b̃ and P2_o = C Γ_o C (Isserlis, as the core's accumulate):
//   Y.c += w m0, Y.b += w (m1 + d m0), Y.G += w (m0 (C + ddᵀ) + P2 + P2ᵀ + m1 dᵀ + d m1ᵀ).
void moment_accumulate(cudaStream_t stream, int count, int r, double w, const double* m0, const double* m1,
                       const double* d, const double* C, const double* P2, double* Yc, double* Yb, double* YG);

// Deterministic pseudo-random values in (−1, 1) (benchmarks: never time on zeros).
void fill_uniform(cudaStream_t stream, size_t n, uint64_t seed, double* out);

}  // namespace cuda
}  // namespace polyapprox
