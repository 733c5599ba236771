// The exact mixture quadratic on the device: the core's driver (native/core/mixture_quadratic.cpp:
// whitening, component right-hand sides, unwhitening) with the components fitted by this backend's
// quadratic fits and the normal equations solved by the core's block CR (block_cr.hpp) on a
// DeviceSpace, whose stacks, operator and preconditioner live on the device. Per iteration the
// operator is, per component, one dgemm Γ C over the whole stack and one strided-batched dgemm
// C (Γ C), as in the core; the rest are the element-wise kernels of kernels.cu. The host only sees
// the small Gram matrices of the block iteration.
//
// The answer is checked on the host before it is returned: the core's float64 operator recomputes
// the final residual, which is what q.solve reports, and a device result whose residual the host
// does not confirm is an error (code ERR_POLYAPPROX_CUDA, so 'auto' falls back to the CPU).
#include <string>

#include "block_cr.hpp"
#include "device.hpp"
#include "kernels.hpp"
#include "polyapprox_cuda.hpp"

namespace polyapprox {
namespace cuda {

using mixture::SolveProblem;
using mixture::BlockSolveResult;
using mixture::Quad;
using mixture::sz;

namespace {

struct DeviceQuad {
  DeviceArray<double> c, b, G;
};

// Σ_k π_k A_k (+ ridge) on device stacks (the core's MomentMap, float64 only).
class DeviceMomentMap {
 public:
  DeviceMomentMap(Session& s, const mixture::WhitenedMixture& wm, int out)
      : s_(s), r_(wm.r), P1_(sz(out) * wm.r * wm.r), P2_(sz(out) * wm.r * wm.r), tr_(sz(out)), bt_(sz(out) * wm.r),
        m0_(sz(out)), m1_(sz(out) * wm.r) {
    for (const auto& comp : wm.comps) {
      w_.push_back(comp.w);
      d_.push_back(upload(s, comp.d));
      C_.push_back(upload(s, comp.C));
    }
  }

  // Y = Σ_k π_k A_k(Z) + ridge·Z on the first `rows` quadratics (Y zeroed first).
  void apply(const DeviceQuad& Z, DeviceQuad& Y, double ridge, int rows) {
    const int r = r_;
    cudaStream_t st = s_.stream();
    PA_CUDA(cudaMemsetAsync, Y.c.data(), 0, Y.c.size() * sizeof(double), st);
    PA_CUDA(cudaMemsetAsync, Y.b.data(), 0, Y.b.size() * sizeof(double), st);
    PA_CUDA(cudaMemsetAsync, Y.G.data(), 0, Y.G.size() * sizeof(double), st);
    const long long rr = static_cast<long long>(r) * r;
    for (size_t k = 0; k < C_.size(); ++k) {
      const double* C = C_[k].data();
      const double* d = d_[k].data();
      gemm_rm(s_, false, false, rows * r, r, r, 1.0, Z.G.data(), C, 0.0, P1_.data());  // P1_o = Γ_o C
      gemm_strided_batched_rm(s_, false, false, r, r, r, 1.0, C, 0, P1_.data(), rr, 0.0, P2_.data(), rr, rows);  // C Γ_o C
      block_traces(st, rows, r, P1_.data(), tr_.data());
      recentred_linear(st, rows, r, Z.G.data(), Z.b.data(), d, bt_.data());
      component_mean(st, rows, r, Z.c.data(), Z.b.data(), bt_.data(), d, tr_.data(), m0_.data());
      gemm_rm(s_, false, false, rows, r, r, 1.0, bt_.data(), C, 0.0, m1_.data());  // m1 = C b̃ (C symmetric)
      moment_accumulate(st, rows, r, w_[k], m0_.data(), m1_.data(), d, C, P2_.data(), Y.c.data(), Y.b.data(), Y.G.data());
    }
    if (ridge > 0) {
      axpy(s_, sz(rows), ridge, Z.c.data(), Y.c.data());
      axpy(s_, sz(rows) * r, ridge, Z.b.data(), Y.b.data());
      axpy(s_, sz(rows) * r * r, ridge, Z.G.data(), Y.G.data());
    }
  }

 private:
  Session& s_;
  int r_;
  std::vector<double> w_;
  std::vector<DeviceArray<double>> d_, C_;
  DeviceArray<double> P1_, P2_, tr_, bt_, m0_, m1_;
};

// The device's stacks for mixture::block_cr (see block_cr.hpp for the contract).
class DeviceSpace {
 public:
  using Stack = DeviceQuad;
  DeviceSpace(Session& s, int out, int r, DeviceMomentMap& op, double ridge)
      : s_(s), out_(out), r_(r), op_(op), ridge_(ridge), small_(sz(out) * out), dots_(3 * sz(out)), tr_(sz(out)) {}

  DeviceQuad make() {
    DeviceQuad q{zeros(s_, sz(out_)), zeros(s_, sz(out_) * r_), zeros(s_, sz(out_) * r_ * r_)};
    return q;
  }
  void zero(DeviceQuad& Z) {
    for (auto* a : {&Z.c, &Z.b, &Z.G}) PA_CUDA(cudaMemsetAsync, a->data(), 0, a->size() * sizeof(double), s_.stream());
  }
  void copy(const DeviceQuad& from, DeviceQuad& to) {
    copy_array(from.c, to.c);
    copy_array(from.b, to.b);
    copy_array(from.G, to.G);
  }
  std::vector<double> dots(const DeviceQuad& X, const DeviceQuad& Y) {
    const size_t o = sz(out_);
    row_dots(s_.stream(), out_, 1, X.c.data(), Y.c.data(), dots_.data());
    row_dots(s_.stream(), out_, r_, X.b.data(), Y.b.data(), dots_.data() + o);
    row_dots(s_.stream(), out_, r_ * r_, X.G.data(), Y.G.data(), dots_.data() + 2 * o);
    const std::vector<double> h = download(s_, dots_.data(), 3 * o);
    std::vector<double> d(o);
    for (size_t i = 0; i < o; ++i) d[i] = h[i] + h[o + i] + h[2 * o + i];
    return d;
  }
  std::vector<double> gram(int mx, int my, const DeviceQuad& X, const DeviceQuad& Y) {
    if (mx == 0 || my == 0) return std::vector<double>(sz(mx) * my, 0.0);
    gemm_rm(s_, false, true, mx, my, 1, 1.0, X.c.data(), Y.c.data(), 0.0, small_.data());
    gemm_rm(s_, false, true, mx, my, r_, 1.0, X.b.data(), Y.b.data(), 1.0, small_.data());
    gemm_rm(s_, false, true, mx, my, r_ * r_, 1.0, X.G.data(), Y.G.data(), 1.0, small_.data());
    return download(s_, small_.data(), sz(mx) * my);
  }
  void combine(int mx, int my, const std::vector<double>& T, const DeviceQuad& X, double keep, DeviceQuad& Y) {
    if (my == 0) return;
    // From pageable memory: the call returns once T is staged, so the caller may free it.
    PA_CUDA(cudaMemcpyAsync, small_.data(), T.data(), T.size() * sizeof(double), cudaMemcpyHostToDevice, s_.stream());
    gemm_rm(s_, true, false, my, 1, mx, 1.0, small_.data(), X.c.data(), keep, Y.c.data());
    gemm_rm(s_, true, false, my, r_, mx, 1.0, small_.data(), X.b.data(), keep, Y.b.data());
    gemm_rm(s_, true, false, my, r_ * r_, mx, 1.0, small_.data(), X.G.data(), keep, Y.G.data());
  }
  void precondition(const DeviceQuad& R, DeviceQuad& Z) {
    copy_array(R.b, Z.b);
    block_traces(s_.stream(), out_, r_, R.G.data(), tr_.data());
    hermite_precondition(s_.stream(), out_, r_, R.c.data(), R.G.data(), tr_.data(), Z.c.data(), Z.G.data());
  }
  void apply(const DeviceQuad& Z, DeviceQuad& Y, int rows) { op_.apply(Z, Y, ridge_, rows); }
  bool set_single(bool) { return false; }  // float64 throughout on the device
  void subtract(const DeviceQuad& A, const DeviceQuad& B, DeviceQuad& out) {
    copy(A, out);
    axpy(s_, out.c.size(), -1.0, B.c.data(), out.c.data());
    axpy(s_, out.b.size(), -1.0, B.b.data(), out.b.data());
    axpy(s_, out.G.size(), -1.0, B.G.data(), out.G.data());
  }

  DeviceQuad upload_quad(const Quad& q) { return DeviceQuad{upload(s_, q.c), upload(s_, q.b), upload(s_, q.G)}; }
  void download_quad(const DeviceQuad& d, Quad& q) {
    download(s_, d.c.data(), q.c.size(), q.c.data());
    download(s_, d.b.data(), q.b.size(), q.b.data());
    download(s_, d.G.data(), q.G.size(), q.G.data());
  }

 private:
  void copy_array(const DeviceArray<double>& from, DeviceArray<double>& to) {
    if (from.size() == 0) return;
    PA_CUDA(cudaMemcpyAsync, to.data(), from.data(), from.size() * sizeof(double), cudaMemcpyDeviceToDevice, s_.stream());
  }

  Session& s_;
  int out_, r_;
  DeviceMomentMap& op_;
  double ridge_;
  DeviceArray<double> small_, dots_, tr_;
};

std::string gib(double bytes) { return std::to_string(bytes / double(1ull << 30)).substr(0, 5) + " GiB"; }

// Device bytes of one solve: eleven stacks (rhs, z, block_cr's seven, the operator's Γ C and C Γ C)
// and the K components.
double device_bytes(int out, int r, int K) {
  const double stack = double(out) * (double(r) * r + r + 1);
  return 8.0 * (11.0 * stack + K * (double(r) * r + r) + 8.0 * out * (r + out + 4));
}

BlockSolveResult device_block_cr(const SolveProblem& pb, Quad& z, const MixtureSolveOptions& sopt) {
  const int out = pb.out, r = pb.wm.r;
  Session s;
  {
    size_t free_bytes = 0, total = 0;
    PA_CUDA(cudaMemGetInfo, &free_bytes, &total);
    const double need = device_bytes(out, r, static_cast<int>(pb.wm.comps.size()));
    if (need > 0.95 * double(free_bytes))
      throw CudaError("the exact mixture quadratic", "needs about " + gib(need) + " of device memory, " + gib(double(free_bytes)) + " free",
                      CudaFailure::OutOfMemory);
  }
  DeviceMomentMap op(s, pb.wm, out);
  DeviceSpace space(s, out, r, op, pb.ridge);
  const DeviceQuad rhs = space.upload_quad(pb.rhs);
  DeviceQuad dz = space.make();
  MixtureSolveOptions so = sopt;
  if (sopt.progress) so.progress = [&](int iter, double residual) { s.unlocked([&] { sopt.progress(iter, residual); }); };
  BlockSolveResult result = mixture::block_cr(space, out, rhs, dz, so);
  space.download_quad(dz, z);
  // The host's float64 operator confirms the answer (one operator application on the CPU).
  Quad Y(out, r);
  double host = 0;
  s.unlocked([&] {
    pb.host_apply(z, Y);
    host = mixture::worst_relative_residual(out, r, pb.rhs, Y);
  });
  if (!(host <= 2 * result.residual + 1e-9))
    throw CudaError("the exact mixture quadratic",
                    "the device reached relative residual " + std::to_string(result.residual) + " but the CPU operator gives " +
                        std::to_string(host) + " for the same answer (a defect of the CUDA solver; backend 'native' is unaffected)",
                    CudaFailure::Other);
  result.residual = host;
  return result;
}

mixture::MixtureBackend device_backend() {
  mixture::MixtureBackend b;
  b.solver = device_block_cr;
  b.mlp_fit = [](const Mlp& net, const InputDist& d, const FitOptions& o) { return cuda::mlp_quadratic_fit(net, d, o); };
  b.glu_fit = [](const Glu& net, const InputDist& d, const FitOptions& o) { return cuda::glu_quadratic_fit(net, d, o); };
  return b;
}

}  // namespace

MixtureQuadraticFit mlp_mixture_quadratic_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt,
                                              const MixtureSolveOptions& sopt) {
  FitOptions o = opt;
  o.single = false;  // float64 throughout on the device
  return polyapprox::mlp_mixture_quadratic_fit(net, dist, o, sopt, device_backend());
}

MixtureQuadraticFit glu_mixture_quadratic_fit(const Glu& net, const InputDist& dist, const FitOptions& opt,
                                              const MixtureSolveOptions& sopt) {
  FitOptions o = opt;
  o.single = false;
  return polyapprox::glu_mixture_quadratic_fit(net, dist, o, sopt, device_backend());
}

}  // namespace cuda
}  // namespace polyapprox
