// Handles, transfers and row-major cuBLAS wrappers (see device.hpp).
#include "device.hpp"

#include <algorithm>
#include <stdexcept>

namespace polyapprox {
namespace cuda {

namespace {
std::mutex g_init_mutex;
Context* g_context = nullptr;  // intentionally never freed (see device.hpp)

Context* context() {
  std::lock_guard<std::mutex> guard(g_init_mutex);
  if (g_context) return g_context;
  int count = 0;
  PA_CUDA(cudaGetDeviceCount, &count);
  if (count == 0) throw CudaError("cudaGetDeviceCount", "0 devices", CudaFailure::Unavailable);
  PA_CUDA(cudaSetDevice, 0);
  auto* c = new Context();
  try {
    PA_CUDA(cudaStreamCreateWithFlags, &c->stream, cudaStreamNonBlocking);
    PA_CUDA(cudaStreamCreateWithFlags, &c->copy_stream, cudaStreamNonBlocking);
    PA_CUDA(cublasCreate, &c->blas);
    PA_CUDA(cublasSetStream, c->blas, c->stream);
    PA_CUDA(cusolverDnCreate, &c->solver);
    PA_CUDA(cusolverDnSetStream, c->solver, c->stream);
  } catch (...) {
    if (c->solver) cusolverDnDestroy(c->solver);
    if (c->blas) cublasDestroy(c->blas);
    if (c->copy_stream) cudaStreamDestroy(c->copy_stream);
    if (c->stream) cudaStreamDestroy(c->stream);
    delete c;
    throw;
  }
  g_context = c;
  return c;
}
}  // namespace

Session::Session() : ctx_(context()), lock_(ctx_->mutex) {
  // Worker threads of async calls start on device 0 too, but say so explicitly.
  PA_CUDA(cudaSetDevice, 0);
}

void Session::sync() { PA_CUDA(cudaStreamSynchronize, ctx_->stream); }

double* Session::pinned(size_t n) {
  if (ctx_->pinned_size < n) {
    if (ctx_->pinned) cudaFreeHost(ctx_->pinned);
    ctx_->pinned = nullptr;
    ctx_->pinned_size = 0;
    PA_CUDA(cudaHostAlloc, reinterpret_cast<void**>(&ctx_->pinned), n * sizeof(double), cudaHostAllocDefault);
    ctx_->pinned_size = n;
  }
  return ctx_->pinned;
}

DeviceInfo probe() {
  DeviceInfo info;
  PA_CUDA(cudaRuntimeGetVersion, &info.runtime_version);
  PA_CUDA(cudaDriverGetVersion, &info.driver_version);
  PA_CUDA(cudaGetDeviceCount, &info.count);
  if (info.count == 0) return info;
  cudaDeviceProp prop{};
  PA_CUDA(cudaGetDeviceProperties, &prop, 0);
  info.name = prop.name;
  info.major = prop.major;
  info.minor = prop.minor;
  info.multiprocessors = prop.multiProcessorCount;
  PA_CUDA(cudaSetDevice, 0);
  PA_CUDA(cudaMemGetInfo, &info.free_memory, &info.total_memory);
  return info;
}

DeviceArray<double> zeros(Session& s, size_t n) {
  DeviceArray<double> d(n);
  if (n > 0) PA_CUDA(cudaMemsetAsync, d.data(), 0, n * sizeof(double), s.stream());
  return d;
}

namespace {
cublasOperation_t op(bool t) { return t ? CUBLAS_OP_T : CUBLAS_OP_N; }
}  // namespace

void gemm_rm(Session& s, bool transA, bool transB, int m, int n, int k, double alpha, const double* A,
             const double* B, double beta, double* C) {
  if (m == 0 || n == 0) return;
  // Row-major C = op(A) op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ: swap the operands, keep the ops.
  const int lda = transA ? m : k, ldb = transB ? k : n;
  if (k == 0) {
    PA_CUDA(cublasDscal, s.blas(), m * n, &beta, C, 1);
    return;
  }
  PA_CUDA(cublasDgemm, s.blas(), op(transB), op(transA), n, m, k, &alpha, B, ldb, A, lda, &beta, C, n);
}

void gemm_strided_batched_rm(Session& s, bool transA, bool transB, int m, int n, int k, double alpha, const double* A,
                             long long strideA, const double* B, long long strideB, double beta, double* C,
                             long long strideC, int batch) {
  if (m == 0 || n == 0 || batch == 0) return;
  if (k == 0) throw std::invalid_argument("gemm_strided_batched_rm: k = 0");
  const int lda = transA ? m : k, ldb = transB ? k : n;
  // As gemm_rm: the row-major product is the column-major one with the operands swapped.
  PA_CUDA(cublasDgemmStridedBatched, s.blas(), op(transB), op(transA), n, m, k, &alpha, B, ldb, strideB, A, lda,
          strideA, &beta, C, n, strideC, batch);
}

void gemv_rm(Session& s, int rows, int cols, const double* M, const double* x, double* y) {
  const double one = 1.0, zero = 0.0;
  if (rows == 0) return;
  // Row-major M [rows, cols] is column-major [cols, rows]: y = (that)ᵀ x.
  PA_CUDA(cublasDgemv, s.blas(), CUBLAS_OP_T, cols, rows, &one, M, cols, x, 1, &zero, y, 1);
}

void scale_rows_rm(Session& s, int rows, int cols, const double* M, const double* d, double* out) {
  if (rows == 0 || cols == 0) return;
  // Rows of a row-major array are the columns of its column-major view [cols, rows].
  PA_CUDA(cublasDdgmm, s.blas(), CUBLAS_SIDE_RIGHT, cols, rows, M, cols, d, 1, out, cols);
}

void scale_cols_rm(Session& s, int rows, int cols, const double* M, const double* d, double* out) {
  if (rows == 0 || cols == 0) return;
  PA_CUDA(cublasDdgmm, s.blas(), CUBLAS_SIDE_LEFT, cols, rows, M, cols, d, 1, out, cols);
}

void transpose_rm(Session& s, int rows, int cols, const double* M, double* out) {
  if (rows == 0 || cols == 0) return;
  const double one = 1.0, zero = 0.0;
  // Column-major: M is [cols, rows] (ld cols); out = Mᵀ is [rows, cols] (ld rows), i.e.
  // row-major [cols, rows].
  PA_CUDA(cublasDgeam, s.blas(), CUBLAS_OP_T, CUBLAS_OP_N, rows, cols, &one, M, cols, &zero, out, rows, out, rows);
}

void axpy(Session& s, size_t n, double alpha, const double* x, double* y) {
  if (n == 0) return;
  // cublasDaxpy takes an int count: split the very large ones.
  const size_t step = size_t(1) << 30;
  for (size_t off = 0; off < n; off += step) {
    const int len = static_cast<int>(std::min(step, n - off));
    PA_CUDA(cublasDaxpy, s.blas(), len, &alpha, x + off, 1, y + off, 1);
  }
}

void ger_rm(Session& s, int rows, int cols, double alpha, const double* x, const double* y, double* A) {
  if (rows == 0 || cols == 0) return;
  // Column-major view [cols, rows]: A += alpha y xᵀ.
  PA_CUDA(cublasDger, s.blas(), cols, rows, &alpha, y, 1, x, 1, A, cols);
}

}  // namespace cuda
}  // namespace polyapprox
