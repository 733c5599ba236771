// Device memory and library handles, each in an RAII holder, plus row-major wrappers of the
// cuBLAS calls the fits need (cuBLAS is column-major; a row-major [m, n] array is the
// column-major [n, m] transpose, so every wrapper below swaps operands the way the comments say).
// Plain cudaMalloc only: no managed memory.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "check.hpp"

namespace polyapprox {
namespace cuda {

// An owned device array of T (cudaMalloc/cudaFree). Move-only.
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(size_t n) : n_(n) {
    if (n > 0) PA_CUDA(cudaMalloc, reinterpret_cast<void**>(&p_), n * sizeof(T));
  }
  ~DeviceArray() {
    if (p_) cudaFree(p_);
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr, o.n_ = 0; }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      if (p_) cudaFree(p_);
      p_ = o.p_, n_ = o.n_;
      o.p_ = nullptr, o.n_ = 0;
    }
    return *this;
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

// An owned CUDA event (for timing). Move-only.
class Event {
 public:
  Event() { PA_CUDA(cudaEventCreate, &e_); }
  ~Event() {
    if (e_) cudaEventDestroy(e_);
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

// The process's one set of handles on device 0: a cuBLAS and a cuSOLVER handle bound to one
// non-blocking stream, plus a second stream for copies that overlap compute. Created on first
// use and kept for the life of the process (never destroyed: tearing them down from a static
// destructor races the CUDA runtime's own shutdown). A mutex serializes all device work, since
// handles are not safe to share between the worker threads of concurrent async calls.
struct Context {
  cublasHandle_t blas = nullptr;
  cusolverDnHandle_t solver = nullptr;
  cudaStream_t stream = nullptr;       // compute
  cudaStream_t copy_stream = nullptr;  // device→host copies overlapping compute
  double* pinned = nullptr;            // page-locked staging for large downloads (kept, grown)
  size_t pinned_size = 0;
  std::mutex mutex;
};

// Holds the context's lock for the duration of one call into the device.
class Session {
 public:
  Session();
  Context& ctx() { return *ctx_; }
  cublasHandle_t blas() { return ctx_->blas; }
  cusolverDnHandle_t solver() { return ctx_->solver; }
  cudaStream_t stream() { return ctx_->stream; }
  void sync();
  // Runs f without holding the context's lock, then takes it back: for host work and for callbacks
  // into JS that may themselves call the device (a synchronous progress callback), which would
  // otherwise wait forever on this thread's own lock. Work already queued stays on the stream.
  template <class F>
  void unlocked(F f) {
    lock_.unlock();
    struct Relock {
      std::unique_lock<std::mutex>& lock;
      ~Relock() { lock.lock(); }
    } relock{lock_};
    f();
  }
  // The context's page-locked staging buffer, at least n doubles (grown on demand, kept for the
  // process: device→host copies into it run at the link's speed, unlike copies to pageable memory).
  double* pinned(size_t n);

 private:
  Context* ctx_;
  std::unique_lock<std::mutex> lock_;
};

// Facts reported by the probe (lib/backend.ts: cuda is available when count > 0).
struct DeviceInfo {
  int count = 0;
  std::string name;
  int major = 0, minor = 0, multiprocessors = 0;
  size_t total_memory = 0, free_memory = 0;
  int runtime_version = 0, driver_version = 0;
};
DeviceInfo probe();

// ---- transfers (on the session's stream; the host side is pageable, so each returns once the
// copy is done) ----
template <class T>
DeviceArray<T> upload(Session& s, const T* host, size_t n) {
  DeviceArray<T> d(n);
  if (n > 0) PA_CUDA(cudaMemcpyAsync, d.data(), host, n * sizeof(T), cudaMemcpyHostToDevice, s.stream());
  return d;
}
template <class T>
DeviceArray<T> upload(Session& s, const std::vector<T>& host) {
  return upload(s, host.data(), host.size());
}
template <class T>
void download(Session& s, const T* dev, size_t n, T* host) {
  if (n == 0) return;
  PA_CUDA(cudaMemcpyAsync, host, dev, n * sizeof(T), cudaMemcpyDeviceToHost, s.stream());
  s.sync();
}
template <class T>
std::vector<T> download(Session& s, const T* dev, size_t n) {
  std::vector<T> h(n);
  download(s, dev, n, h.data());
  return h;
}
DeviceArray<double> zeros(Session& s, size_t n);

// ---- row-major BLAS on device pointers ----
// C[m, n] = alpha op(A) op(B) + beta C, every array row-major (the core's gemm, on the device).
void gemm_rm(Session& s, bool transA, bool transB, int m, int n, int k, double alpha, const double* A,
             const double* B, double beta, double* C);
// The same for `batch` independent products, the i-th at A + i·strideA, B + i·strideB, C + i·strideC
// (a stride of 0 shares one operand).
void gemm_strided_batched_rm(Session& s, bool transA, bool transB, int m, int n, int k, double alpha, const double* A,
                             long long strideA, const double* B, long long strideB, double beta, double* C,
                             long long strideC, int batch);
// y[rows] = M[rows, cols] x.
void gemv_rm(Session& s, int rows, int cols, const double* M, const double* x, double* y);
// M[rows, cols] ← diag(d) M (d has `rows` entries) or M diag(d) (d has `cols` entries); out may be M.
void scale_rows_rm(Session& s, int rows, int cols, const double* M, const double* d, double* out);
void scale_cols_rm(Session& s, int rows, int cols, const double* M, const double* d, double* out);
// out[cols, rows] = alpha Mᵀ + beta out (out must not alias M).
void transpose_rm(Session& s, int rows, int cols, const double* M, double* out);
// y += alpha x over n entries.
void axpy(Session& s, size_t n, double alpha, const double* x, double* y);
// A[rows, cols] += alpha x yᵀ (x has `rows`, y has `cols` entries; device pointers).
void ger_rm(Session& s, int rows, int cols, double alpha, const double* x, const double* y, double* A);

}  // namespace cuda
}  // namespace polyapprox
