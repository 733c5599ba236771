// Quadratic forms, gamma, predict, the dense interaction eigendecomposition and gemm on the GPU,
// plus the probe and the benchmark entry points (see polyapprox_cuda.hpp).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "device_linalg.hpp"
#include "kernels.hpp"
#include "polyapprox_cuda.hpp"

namespace polyapprox {
namespace cuda {

namespace {
size_t idx(long i, long j, long cols) { return static_cast<size_t>(i * cols + j); }

void check_output(const QuadraticFit& fit, int o) {
  if (o < 0 || o >= fit.out) throw std::invalid_argument("output index out of range");
}

// dst[r * pitch : r * pitch + count] = src[r * count : (r + 1) * count] for r < rows, split over
// threads: the destination is usually fresh memory (a new JS array), so the copy is bound by page
// faults, which run in parallel.
void scatter_rows(const double* src, int count, double* dst, size_t pitch, int rows) {
  const size_t bytes = static_cast<size_t>(rows) * count * sizeof(double);
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const int threads = static_cast<int>(std::min<size_t>({hw, 16u, static_cast<size_t>(rows), bytes / (4u << 20) + 1}));
  auto part = [&](int t) {
    for (int r = t; r < rows; r += threads)
      std::memcpy(dst + static_cast<size_t>(r) * pitch, src + static_cast<size_t>(r) * count, static_cast<size_t>(count) * sizeof(double));
  };
  if (threads <= 1) return part(0);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(part, t);
  part(0);
  for (auto& th : pool) th.join();
}

// gamma = [a | b] K, K the pair products of the weights (kernels.hpp khatri_rao_pairs), one dgemm
// per block of `chunk` packed pairs. Every flop is a useful one (no triangle is computed twice),
// and the dgemm is [chunk × hidden] · [hidden × out]: large in every dimension, so it runs near the
// device's dgemm rate. With `dest`, each block is copied into dest[:, p0:p0+chunk] on the copy
// stream while the next block computes (two result buffers); without, the result stays on the
// device (benchmarks). The copies go through the context's page-locked buffer (one contiguous
// block copy at the link's speed), then threads scatter its rows into `dest`.
class GammaPlan {
 public:
  GammaPlan(Session& s, const QuadraticFit& fit)
      : n_(fit.in), h_(fit.hidden), out_(fit.out), glu_(!fit.b.empty()) {
    pairs_ = static_cast<int64_t>(n_) * (n_ + 1) / 2;
    H_ = glu_ ? 2 * h_ : h_;
    W_ = upload(s, fit.W);
    if (glu_) V_ = upload(s, fit.V);
    // A [out, H] row-major = [a | b] per output, i.e. column-major [H, out] with ld H.
    std::vector<double> A(static_cast<size_t>(out_) * H_);
    for (int o = 0; o < out_; ++o) {
      std::copy(&fit.a[idx(o, 0, h_)], &fit.a[idx(o, 0, h_)] + h_, &A[idx(o, 0, H_)]);
      if (glu_) std::copy(&fit.b[idx(o, 0, h_)], &fit.b[idx(o, 0, h_)] + h_, &A[idx(o, h_, H_)]);
    }
    A_ = upload(s, A);
    // Blocks: K within 512 MiB and each result buffer within 256 MiB, a multiple of 256 pairs.
    const int64_t byK = (int64_t(512) << 20) / (8 * int64_t(H_));
    const int64_t byC = (int64_t(256) << 20) / (8 * int64_t(out_));
    int64_t chunk = std::min<int64_t>({byK, byC, pairs_, int64_t(1) << 30});
    if (chunk < pairs_) chunk = std::max<int64_t>(256, chunk / 256 * 256);
    chunk_ = static_cast<int>(std::min<int64_t>(chunk, pairs_));
    K_ = DeviceArray<double>(static_cast<size_t>(H_) * chunk_);
    for (auto& c : C_) c = DeviceArray<double>(static_cast<size_t>(out_) * chunk_);
    s.sync();
  }

  void run(Session& s, double* dest) {
    const int blocks = static_cast<int>((pairs_ + chunk_ - 1) / chunk_);
    Event done[2];
    cudaStream_t copy = s.ctx().copy_stream;
    double* stage = dest ? s.pinned(static_cast<size_t>(out_) * chunk_) : nullptr;
    auto copy_block = [&](int c) {
      const int64_t p0 = static_cast<int64_t>(c) * chunk_;
      const int count = static_cast<int>(std::min<int64_t>(chunk_, pairs_ - p0));
      PA_CUDA(cudaStreamWaitEvent, copy, done[c & 1].get(), 0);
      PA_CUDA(cudaMemcpyAsync, stage, C_[c & 1].data(), static_cast<size_t>(out_) * count * sizeof(double),
              cudaMemcpyDeviceToHost, copy);
      PA_CUDA(cudaStreamSynchronize, copy);
      // Row o of the block (count doubles) goes to dest[o, p0 : p0 + count].
      scatter_rows(stage, count, dest + p0, static_cast<size_t>(pairs_), out_);
    };
    for (int c = 0; c < blocks; ++c) {
      const int64_t p0 = static_cast<int64_t>(c) * chunk_;
      const int count = static_cast<int>(std::min<int64_t>(chunk_, pairs_ - p0));
      khatri_rao_pairs(s.stream(), h_, n_, W_.data(), glu_ ? V_.data() : nullptr, p0, count, K_.data());
      // Column-major: block [count, out] (ld count) = K [count, H] (ld count) · A [H, out] (ld H);
      // read row-major that is gamma[:, p0 : p0 + count] = A_rm K_rm.
      const double one = 1.0, zero = 0.0;
      PA_CUDA(cublasDgemm, s.blas(), CUBLAS_OP_N, CUBLAS_OP_N, count, out_, H_, &one, K_.data(), count, A_.data(), H_,
              &zero, C_[c & 1].data(), count);
      PA_CUDA(cudaEventRecord, done[c & 1].get(), s.stream());
      // While block c computes, the host copies and scatters block c − 1 (whose device buffer
      // block c + 1 reuses, so it must be done before the next iteration queues that block).
      if (dest && c > 0) copy_block(c - 1);
    }
    if (dest) copy_block(blocks - 1);
    s.sync();
  }

  double flops() const { return 2.0 * double(out_) * double(H_) * double(pairs_); }

 private:
  int n_, h_, out_;
  bool glu_;
  int64_t pairs_ = 0;
  int H_ = 0, chunk_ = 0;
  DeviceArray<double> W_, V_, A_, K_, C_[2];
};

// Rows per block of a predict so that its [rows, hidden] intermediates stay within ~512 MiB.
int row_block(int rows, int width) {
  const int64_t cap = (int64_t(512) << 20) / (8 * int64_t(std::max(width, 1)) * 3);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(rows, cap)));
}

// Rows of X onto the device (Xd) and the approximant's affine part α + X β for them (Yd); `init`
// holds α repeated for at least m rows.
void affine_rows(Session& s, int n, int out, const double* X, int m, const std::vector<double>& init, const DeviceArray<double>& beta,
                 DeviceArray<double>& Xd, DeviceArray<double>& Yd) {
  PA_CUDA(cudaMemcpyAsync, Xd.data(), X, static_cast<size_t>(m) * n * sizeof(double), cudaMemcpyHostToDevice, s.stream());
  PA_CUDA(cudaMemcpyAsync, Yd.data(), init.data(), static_cast<size_t>(m) * out * sizeof(double), cudaMemcpyHostToDevice,
          s.stream());
  gemm_rm(s, false, false, m, out, n, 1.0, Xd.data(), beta.data(), 1.0, Yd.data());
}

}  // namespace

void quadratic_form(const QuadraticFit& fit, int o, double* G) {
  check_output(fit, o);
  const int n = fit.in;
  Session s;
  DeviceArray<double> L = quadratic_form_lower(s, fit, o);
  const std::vector<double> low = download(s, L.data(), L.size());
  // Column-major lower (r ≥ c at r + c·n) mirrored into a full row-major matrix.
  for (int r = 0; r < n; ++r)
    for (int c = 0; c <= r; ++c) G[idx(r, c, n)] = G[idx(c, r, n)] = low[idx(c, r, n)];
}

void quadratic_gamma(const QuadraticFit& fit, double* gamma) {
  Session s;
  GammaPlan plan(s, fit);
  plan.run(s, gamma);
}

std::vector<double> quadratic_predict(const QuadraticFit& fit, int rows, const double* X) {
  const int n = fit.in, h = fit.hidden, out = fit.out;
  const bool glu = !fit.b.empty();
  std::vector<double> Y(static_cast<size_t>(rows) * out);
  if (rows == 0) return Y;
  Session s;
  DeviceArray<double> beta = upload(s, fit.beta), W = upload(s, fit.W), a = upload(s, fit.a), V, b;
  if (glu) V = upload(s, fit.V), b = upload(s, fit.b);
  const int rb = row_block(rows, std::max(h, n));
  DeviceArray<double> Xd(static_cast<size_t>(rb) * n), Yd(static_cast<size_t>(rb) * out), Z(static_cast<size_t>(rb) * h),
      S(static_cast<size_t>(rb) * h), Zv(glu ? static_cast<size_t>(rb) * h : 0);
  std::vector<double> init(static_cast<size_t>(rb) * out);
  for (int r = 0; r < rb; ++r) std::copy(fit.alpha.begin(), fit.alpha.end(), &init[idx(r, 0, out)]);
  for (int r0 = 0; r0 < rows; r0 += rb) {
    const int m = std::min(rb, rows - r0);
    affine_rows(s, n, out, X + idx(r0, 0, n), m, init, beta, Xd, Yd);
    // xᵀG_o x = ½ Σ_i a[o,i] (w_i·x)² + Σ_i b[o,i] (w_i·x)(v_i·x).
    gemm_rm(s, false, true, m, h, n, 1.0, Xd.data(), W.data(), 0.0, Z.data());
    half_square(s.stream(), static_cast<size_t>(m) * h, Z.data(), S.data());
    gemm_rm(s, false, true, m, out, h, 1.0, S.data(), a.data(), 1.0, Yd.data());
    if (glu) {
      gemm_rm(s, false, true, m, h, n, 1.0, Xd.data(), V.data(), 0.0, Zv.data());
      hadamard(s.stream(), static_cast<size_t>(m) * h, Z.data(), Zv.data(), S.data());
      gemm_rm(s, false, true, m, out, h, 1.0, S.data(), b.data(), 1.0, Yd.data());
    }
    download(s, Yd.data(), static_cast<size_t>(m) * out, &Y[idx(r0, 0, out)]);
  }
  return Y;
}

std::vector<double> linear_predict(const LinearFit& fit, int rows, const double* X) {
  const int n = fit.in, out = fit.out;
  std::vector<double> Y(static_cast<size_t>(rows) * out);
  if (rows == 0) return Y;
  Session s;
  DeviceArray<double> beta = upload(s, fit.beta);
  const int rb = row_block(rows, std::max(n, out));
  DeviceArray<double> Xd(static_cast<size_t>(rb) * n), Yd(static_cast<size_t>(rb) * out);
  std::vector<double> init(static_cast<size_t>(rb) * out);
  for (int r = 0; r < rb; ++r) std::copy(fit.alpha.begin(), fit.alpha.end(), &init[idx(r, 0, out)]);
  for (int r0 = 0; r0 < rows; r0 += rb) {
    const int m = std::min(rb, rows - r0);
    affine_rows(s, n, out, X + idx(r0, 0, n), m, init, beta, Xd, Yd);
    download(s, Yd.data(), static_cast<size_t>(m) * out, &Y[idx(r0, 0, out)]);
  }
  return Y;
}

void gemm(bool transA, bool transB, int m, int n, int k, double alpha, const double* A, const double* B, double beta,
          double* C) {
  if (m == 0 || n == 0) return;
  Session s;
  DeviceArray<double> dA = upload(s, A, static_cast<size_t>(m) * k), dB = upload(s, B, static_cast<size_t>(k) * n);
  DeviceArray<double> dC = beta == 0 ? zeros(s, static_cast<size_t>(m) * n) : upload(s, C, static_cast<size_t>(m) * n);
  gemm_rm(s, transA, transB, m, n, k, alpha, dA.data(), dB.data(), beta, dC.data());
  download(s, dC.data(), dC.size(), C);
}

EigenResult interaction_eigen_dense(const QuadraticFit& fit, int o, int k) {
  check_output(fit, o);
  const int n = fit.in;
  if (k < 1 || k > n) throw std::invalid_argument("k must be in 1.." + std::to_string(n) + ", got " + std::to_string(k));
  Session s;
  DeviceArray<double> G = quadratic_form_lower(s, fit, o);
  std::vector<double> vals;
  symmetric_eigen(s, n, G.data(), vals);
  const std::vector<int> order = order_by_magnitude(n, vals.data());
  EigenResult r;
  r.n = n, r.k = k, r.method = "dense";
  r.values.resize(k);
  r.vectors.resize(static_cast<size_t>(k) * n);
  for (int j = 0; j < k; ++j) {
    r.values[j] = vals[order[j]];
    // Eigenvector order[j] is row order[j] of the row-major result: only the k wanted ones travel.
    download(s, G.data() + idx(order[j], 0, n), n, &r.vectors[idx(j, 0, n)]);
    fix_sign(n, &r.vectors[idx(j, 0, n)]);
  }
  r.iterations = 0;
  r.converged = true;
  return r;
}

ProbeInfo probe_devices() {
  const DeviceInfo d = probe();
  ProbeInfo p;
  p.count = d.count;
  p.name = d.name;
  p.major = d.major, p.minor = d.minor, p.multiprocessors = d.multiprocessors;
  p.total_memory = static_cast<double>(d.total_memory);
  p.free_memory = static_cast<double>(d.free_memory);
  p.runtime_version = d.runtime_version, p.driver_version = d.driver_version;
  return p;
}

std::vector<double> bench_gemm(int m, int n, int k, int reps) {
  Session s;
  DeviceArray<double> A(static_cast<size_t>(m) * k), B(static_cast<size_t>(k) * n), C(static_cast<size_t>(m) * n);
  fill_uniform(s.stream(), A.size(), 1, A.data());
  fill_uniform(s.stream(), B.size(), 2, B.data());
  Event t0, t1;
  std::vector<double> seconds;
  for (int r = -2; r < reps; ++r) {
    PA_CUDA(cudaEventRecord, t0.get(), s.stream());
    gemm_rm(s, false, false, m, n, k, 1.0, A.data(), B.data(), 0.0, C.data());
    PA_CUDA(cudaEventRecord, t1.get(), s.stream());
    PA_CUDA(cudaEventSynchronize, t1.get());
    float ms = 0;
    PA_CUDA(cudaEventElapsedTime, &ms, t0.get(), t1.get());
    if (r >= 0) seconds.push_back(ms / 1e3);
  }
  return seconds;
}

std::vector<double> bench_gamma(const QuadraticFit& fit, int reps) {
  Session s;
  GammaPlan plan(s, fit);
  Event t0, t1;
  std::vector<double> seconds;
  for (int r = -1; r < reps; ++r) {
    PA_CUDA(cudaEventRecord, t0.get(), s.stream());
    plan.run(s, nullptr);
    PA_CUDA(cudaEventRecord, t1.get(), s.stream());
    PA_CUDA(cudaEventSynchronize, t1.get());
    float ms = 0;
    PA_CUDA(cudaEventElapsedTime, &ms, t0.get(), t1.get());
    if (r >= 0) seconds.push_back(ms / 1e3);
  }
  return seconds;
}

}  // namespace cuda
}  // namespace polyapprox
