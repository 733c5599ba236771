// Linear and degree-2 fits with the large products on the GPU (see polyapprox_cuda.hpp). Each
// step mirrors native/core/fit.cpp and quadratic.cpp by name; the per-unit Gaussian integrals
// (deriv_evs) and the O(out·hidden) bookkeeping stay on the CPU.
#include <cmath>
#include <stdexcept>

#include "device_linalg.hpp"
#include "integrals.hpp"
#include "kernels.hpp"
#include "polyapprox_cuda.hpp"

namespace polyapprox {
namespace cuda {

namespace {
size_t idx(long i, long j, long cols) { return static_cast<size_t>(i * cols + j); }

// The network's weights on the device, uploaded once per call.
struct DeviceNet {
  int in = 0, hidden = 0, out = 0;
  bool glu = false;
  const double* W = nullptr;   // host: MLP W1 or GLU gate W
  const double* V = nullptr;   // host: GLU value V
  const double* W2 = nullptr;  // host: [out, hidden] or null (GLU without W2)
  const double* b1 = nullptr;
  const double* b2 = nullptr;  // MLP: output bias; GLU: value bias
  Activation act;
  DeviceArray<double> dW, dV, dW2;
};

DeviceNet device_net(Session& s, const Mlp& net) {
  DeviceNet d;
  d.in = net.in, d.hidden = net.hidden, d.out = net.out;
  d.W = net.W1, d.W2 = net.W2, d.b1 = net.b1, d.b2 = net.b2, d.act = net.act;
  d.dW = upload(s, net.W1, static_cast<size_t>(net.hidden) * net.in);
  d.dW2 = upload(s, net.W2, static_cast<size_t>(net.out) * net.hidden);
  return d;
}

DeviceNet device_net(Session& s, const Glu& net) {
  DeviceNet d;
  d.in = net.in, d.hidden = net.hidden, d.out = net.out, d.glu = true;
  d.W = net.W, d.V = net.V, d.W2 = net.W2, d.b1 = net.b1, d.b2 = net.b2, d.act = net.act;
  d.dW = upload(s, net.W, static_cast<size_t>(net.hidden) * net.in);
  d.dV = upload(s, net.V, static_cast<size_t>(net.hidden) * net.in);
  if (net.W2) d.dW2 = upload(s, net.W2, static_cast<size_t>(net.out) * net.hidden);
  return d;
}

// The core's UnitExpectations, with the projections left on the device.
struct Units {
  int kmax = 0;
  DevicePreactivations gate, value;
  std::vector<double> cross;  // GLU: c_i = w_iᵀ Σ v_i
  std::vector<double> e;      // [hidden, kmax + 1]: E[φ^(k)(y_i)]
};

Units units(Session& s, const DeviceNet& net, const DeviceComponent& c, int kmax) {
  Units u;
  u.kmax = kmax;
  const int n = net.in, h = net.hidden;
  u.gate = device_preactivations(s, h, n, net.dW.data(), net.W, net.b1, c);
  if (net.glu) {
    u.value = device_preactivations(s, h, n, net.dV.data(), net.V, net.b2, c);
    if (c.identity_cov)
      u.cross = row_dots_host(s, h, n, net.dW.data(), net.dV.data());
    else if (c.rank == 0)
      u.cross.assign(h, 0.0);
    else
      u.cross = row_dots_host(s, h, c.rank, u.gate.proj.data(), u.value.proj.data());
  }
  u.e.resize(static_cast<size_t>(h) * (kmax + 1));
  for (int i = 0; i < h; ++i) deriv_evs(net.act, kmax, u.gate.m[i], u.gate.s[i], &u.e[idx(i, 0, kmax + 1)]);
  return u;
}

// [in, out] (device) = Wᵀ diag(cw) W2ᵀ + Vᵀ diag(cv) W2ᵀ; for a GLU without W2 (out = hidden)
// (diag(cw) W + diag(cv) V)ᵀ. E∇f and Hμ are both of this form (cv null for MLPs).
DeviceArray<double> unit_projection(Session& s, const DeviceNet& net, const std::vector<double>& cw,
                                    const std::vector<double>* cv) {
  const int n = net.in, h = net.hidden, out = net.out;
  DeviceArray<double> R(static_cast<size_t>(n) * out), dcw = upload(s, cw);
  if (net.W2) {
    DeviceArray<double> T(static_cast<size_t>(out) * h);
    scale_cols_rm(s, out, h, net.dW2.data(), dcw.data(), T.data());
    gemm_rm(s, true, true, n, out, h, 1.0, net.dW.data(), T.data(), 0.0, R.data());
    if (cv) {
      DeviceArray<double> dcv = upload(s, *cv);
      scale_cols_rm(s, out, h, net.dW2.data(), dcv.data(), T.data());
      gemm_rm(s, true, true, n, out, h, 1.0, net.dV.data(), T.data(), 1.0, R.data());
    }
  } else {
    DeviceArray<double> M(static_cast<size_t>(h) * n);
    scale_rows_rm(s, h, n, net.dW.data(), dcw.data(), M.data());
    if (cv) {
      DeviceArray<double> dcv = upload(s, *cv), M2(static_cast<size_t>(h) * n);
      scale_rows_rm(s, h, n, net.dV.data(), dcv.data(), M2.data());
      axpy(s, M.size(), 1.0, M2.data(), M.data());
    }
    transpose_rm(s, h, n, M.data(), R.data());
  }
  s.sync();
  return R;
}

// E f (host) and E ∇f (device, [in, out]) under one component.
struct Terms {
  std::vector<double> mean_output;
  DeviceArray<double> mean_grad;
};

std::vector<double> project_out(const DeviceNet& net, const std::vector<double>& v /*[hidden]*/, const double* bias) {
  const int h = net.hidden, out = net.out;
  if (!net.W2) return v;
  std::vector<double> y(out);
  for (int o = 0; o < out; ++o) {
    double acc = bias ? bias[o] : 0.0;
    for (int i = 0; i < h; ++i) acc += net.W2[idx(o, i, h)] * v[i];
    y[o] = acc;
  }
  return y;
}

Terms mlp_terms(Session& s, const DeviceNet& net, const Units& u) {
  const int h = net.hidden, w = u.kmax + 1;
  std::vector<double> e0(h), e1(h);
  for (int i = 0; i < h; ++i) e0[i] = u.e[idx(i, 0, w)], e1[i] = u.e[idx(i, 1, w)];
  Terms t;
  t.mean_output = project_out(net, e0, net.b2);  // E f = W2 E[φ(y)] + b2
  t.mean_grad = unit_projection(s, net, e1, nullptr);  // E ∇f = W1ᵀ diag(E[φ'(y)]) W2ᵀ
  return t;
}

Terms glu_terms(Session& s, const DeviceNet& net, const Units& u) {
  const GluUnitCoefficients g = glu_unit_coefficients(net.hidden, u.kmax, u.e.data(), u.value.m.data(), u.cross.data());
  Terms t;
  t.mean_output = project_out(net, g.mean, nullptr);
  t.mean_grad = unit_projection(s, net, g.a, &g.b);
  return t;
}

Terms terms_of(Session& s, const DeviceNet& net, const DeviceComponent& c) {
  return net.glu ? glu_terms(s, net, units(s, net, c, 2)) : mlp_terms(s, net, units(s, net, c, 1));
}

std::vector<double> mixture_weights(const InputDist& dist) {
  std::vector<double> w(dist.K, 1.0 / dist.K);
  if (dist.weights) {
    double total = 0;
    for (int k = 0; k < dist.K; ++k) total += dist.weights[k];
    for (int k = 0; k < dist.K; ++k) w[k] = dist.weights[k] / total;
  }
  return w;
}

// native/core/fit.cpp linear_fit_from_terms, with Cov x and Cov(x, f) accumulated on the device.
LinearFit linear_fit(Session& s, const DeviceNet& net, const InputDist& dist, const FitOptions& opt) {
  const int n = dist.in, K = dist.K, out = net.out;
  LinearFit fit;
  fit.in = n;
  fit.out = out;
  fit.alpha.assign(out, 0.0);
  fit.solve.rcond = opt.rcond;
  fit.solve.ridge = opt.ridge;
  if (K == 1 && opt.ridge == 0) {
    // One Gaussian: beta = E ∇f (Stein), also for a singular Σ.
    const DeviceComponent c = device_component(s, dist, 0, opt.psd_tol);
    Terms t = terms_of(s, net, c);
    fit.beta = download(s, t.mean_grad.data(), t.mean_grad.size());
    for (int o = 0; o < out; ++o) {
      double acc = t.mean_output[o];
      for (int j = 0; j < n; ++j) acc -= fit.beta[idx(j, o, out)] * c.mean[j];
      fit.alpha[o] = acc;
    }
    fit.solve.method = "stein";
    fit.solve.rank = c.identity_cov ? n : c.rank;
    return fit;
  }
  const std::vector<double> w = mixture_weights(dist);
  // Law of total covariance: Cov x = Σ_k π_k (Σ_k + d_k d_kᵀ),
  // Cov(x, f) = Σ_k π_k (Σ_k E_k∇f + d_k (E_k f − E f)ᵀ), d_k = μ_k − μ̄. The Σ_k parts first, one
  // component at a time (so only one E_k∇f is on the device at once), then the rank-one parts.
  DeviceArray<double> C = zeros(s, static_cast<size_t>(n) * n), R = zeros(s, static_cast<size_t>(n) * out);
  std::vector<std::vector<double>> means(K), efs(K);
  for (int k = 0; k < K; ++k) {
    DeviceComponent c = device_component(s, dist, k, opt.psd_tol);
    Terms t = terms_of(s, net, c);
    means[k] = c.mean;
    efs[k] = t.mean_output;
    if (c.identity_cov) {
      add_diagonal(s.stream(), n, w[k], C.data());
      axpy(s, R.size(), w[k], t.mean_grad.data(), R.data());
    } else {
      DeviceArray<double> S = upload(s, dist.covs + static_cast<size_t>(k) * n * n, static_cast<size_t>(n) * n);
      axpy(s, C.size(), w[k], S.data(), C.data());
      gemm_rm(s, false, false, n, out, n, w[k], S.data(), t.mean_grad.data(), 1.0, R.data());
      s.sync();
    }
  }
  std::vector<double> mu(n, 0.0), ef(out, 0.0), d(n), de(out);
  for (int k = 0; k < K; ++k) {
    for (int j = 0; j < n; ++j) mu[j] += w[k] * means[k][j];
    for (int o = 0; o < out; ++o) ef[o] += w[k] * efs[k][o];
  }
  DeviceArray<double> dd(n), dde(out);
  for (int k = 0; k < K; ++k) {
    for (int j = 0; j < n; ++j) d[j] = means[k][j] - mu[j];
    for (int o = 0; o < out; ++o) de[o] = efs[k][o] - ef[o];
    PA_CUDA(cudaMemcpyAsync, dd.data(), d.data(), n * sizeof(double), cudaMemcpyHostToDevice, s.stream());
    PA_CUDA(cudaMemcpyAsync, dde.data(), de.data(), out * sizeof(double), cudaMemcpyHostToDevice, s.stream());
    ger_rm(s, n, n, w[k], dd.data(), dd.data(), C.data());
    ger_rm(s, n, out, w[k], dd.data(), dde.data(), R.data());
    s.sync();  // d and de are reused by the next component
  }
  SolveReport rep;
  DeviceArray<double> X = solve_symmetric(s, n, out, C.data(), R.data(), opt.ridge, opt.rcond, rep);
  fit.beta = download(s, X.data(), X.size());
  for (int o = 0; o < out; ++o) {
    double acc = ef[o];
    for (int j = 0; j < n; ++j) acc -= fit.beta[idx(j, o, out)] * mu[j];
    fit.alpha[o] = acc;
  }
  fit.solve.method = opt.ridge > 0 ? "ridge" : "pinv";
  fit.solve.rank = rep.rank;
  fit.solve.cutoff = rep.cutoff;
  return fit;
}

void require_single_gaussian(const InputDist& dist) {
  if (dist.K != 1) throw std::invalid_argument("degree-2 fits need a single Gaussian input (K = 1)");
}

// native/core/quadratic.cpp fold_center: beta = E∇f − Hμ, alpha = E f − E∇fᵀμ + ½ μᵀHμ − ½ tr(HΣ).
void fold_center(QuadraticFit& fit, const std::vector<double>& mean_output, const std::vector<double>& mean_grad,
                 const std::vector<double>& mu, const std::vector<double>& h_mu, const std::vector<double>& mu_h_mu,
                 const std::vector<double>& tr_h_sigma) {
  const int n = fit.in, out = fit.out;
  fit.beta.assign(static_cast<size_t>(n) * out, 0.0);
  fit.alpha.assign(out, 0.0);
  for (int o = 0; o < out; ++o) {
    double acc = mean_output[o] + 0.5 * mu_h_mu[o] - 0.5 * tr_h_sigma[o];
    for (int j = 0; j < n; ++j) {
      fit.beta[idx(j, o, out)] = mean_grad[idx(j, o, out)] - h_mu[idx(j, o, out)];
      acc -= mean_grad[idx(j, o, out)] * mu[j];
    }
    fit.alpha[o] = acc;
  }
}

void finish_solve_info(QuadraticFit& fit, const DeviceComponent& c, const FitOptions& opt) {
  fit.solve.method = "stein";
  fit.solve.rank = c.identity_cov ? fit.in : c.rank;
  fit.solve.rcond = opt.rcond;
  fit.solve.ridge = opt.ridge;
}
}  // namespace

LinearFit mlp_linear_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt) {
  Session s;
  const DeviceNet d = device_net(s, net);
  return linear_fit(s, d, dist, opt);
}

LinearFit glu_linear_fit(const Glu& net, const InputDist& dist, const FitOptions& opt) {
  Session s;
  const DeviceNet d = device_net(s, net);
  return linear_fit(s, d, dist, opt);
}

QuadraticFit mlp_quadratic_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt) {
  require_single_gaussian(dist);
  const int n = net.in, h = net.hidden, out = net.out;
  Session s;
  const DeviceNet d = device_net(s, net);
  const DeviceComponent c = device_component(s, dist, 0, opt.psd_tol);
  const Units u = units(s, d, c, 2);
  Terms t = mlp_terms(s, d, u);
  QuadraticFit fit;
  fit.in = n, fit.hidden = h, fit.out = out;
  fit.W.assign(net.W1, net.W1 + static_cast<size_t>(h) * n);
  // E[∇²f_o] = W1ᵀ diag(W2[o, :] ⊙ E[φ''(y)]) W1
  fit.a.resize(static_cast<size_t>(out) * h);
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < h; ++i) fit.a[idx(o, i, h)] = net.W2[idx(o, i, h)] * u.e[idx(i, 2, 3)];
  // With p_i = w_iᵀμ: Hμ = W1ᵀ diag(E[φ''] ⊙ p) W2ᵀ, μᵀHμ = Σ a p², tr(HΣ) = Σ a s².
  std::vector<double> p(h), cw(h), mhm(out, 0.0), trs(out, 0.0);
  for (int i = 0; i < h; ++i) {
    p[i] = u.gate.m[i] - (net.b1 ? net.b1[i] : 0.0);
    cw[i] = u.e[idx(i, 2, 3)] * p[i];
  }
  for (int o = 0; o < out; ++o)
    for (int i = 0; i < h; ++i) {
      const double a = fit.a[idx(o, i, h)];
      mhm[o] += a * p[i] * p[i];
      trs[o] += a * u.gate.s[i] * u.gate.s[i];
    }
  DeviceArray<double> dh_mu = unit_projection(s, d, cw, nullptr);
  const std::vector<double> mean_grad = download(s, t.mean_grad.data(), t.mean_grad.size());
  const std::vector<double> h_mu = download(s, dh_mu.data(), dh_mu.size());
  fold_center(fit, t.mean_output, mean_grad, c.mean, h_mu, mhm, trs);
  finish_solve_info(fit, c, opt);
  return fit;
}

QuadraticFit glu_quadratic_fit(const Glu& net, const InputDist& dist, const FitOptions& opt) {
  require_single_gaussian(dist);
  const int n = net.in, h = net.hidden, out = net.out;
  Session s;
  const DeviceNet d = device_net(s, net);
  const DeviceComponent c = device_component(s, dist, 0, opt.psd_tol);
  const Units u = units(s, d, c, 3);
  Terms t = glu_terms(s, d, u);
  QuadraticFit fit;
  fit.in = n, fit.hidden = h, fit.out = out;
  fit.W.assign(net.W, net.W + static_cast<size_t>(h) * n);
  fit.V.assign(net.V, net.V + static_cast<size_t>(h) * n);
  // E[∇²g_i] = (m_z E[φ''] + c_i E[φ''']) w_i w_iᵀ + E[φ'] (w_i v_iᵀ + v_i w_iᵀ), projected by W2.
  fit.a.assign(static_cast<size_t>(out) * h, 0.0);
  fit.b.assign(static_cast<size_t>(out) * h, 0.0);
  std::vector<double> A(h), B(h);
  for (int i = 0; i < h; ++i) {
    const double* e = &u.e[idx(i, 0, 4)];
    A[i] = u.value.m[i] * e[2] + u.cross[i] * e[3];
    B[i] = e[1];
    if (!net.W2) {
      fit.a[idx(i, i, h)] = A[i];
      fit.b[idx(i, i, h)] = B[i];
    } else {
      for (int o = 0; o < out; ++o) {
        fit.a[idx(o, i, h)] = net.W2[idx(o, i, h)] * A[i];
        fit.b[idx(o, i, h)] = net.W2[idx(o, i, h)] * B[i];
      }
    }
  }
  // p = Wμ, q = Vμ: Hμ = Wᵀ diag(A p + B q) W2ᵀ + Vᵀ diag(B p) W2ᵀ, μᵀHμ = Σ a p² + 2 b p q,
  // tr(HΣ) = Σ a s² + 2 b c.
  std::vector<double> p(h), q(h), cw(h), cv(h), mhm(out, 0.0), trs(out, 0.0);
  for (int i = 0; i < h; ++i) {
    p[i] = u.gate.m[i] - (net.b1 ? net.b1[i] : 0.0);
    q[i] = u.value.m[i] - (net.b2 ? net.b2[i] : 0.0);
    cw[i] = A[i] * p[i] + B[i] * q[i];
    cv[i] = B[i] * p[i];
  }
  for (int i = 0; i < h; ++i)
    for (int o = 0; o < out; ++o) {
      const double a = fit.a[idx(o, i, h)], b = fit.b[idx(o, i, h)];
      mhm[o] += a * p[i] * p[i] + 2 * b * p[i] * q[i];
      trs[o] += a * u.gate.s[i] * u.gate.s[i] + 2 * b * u.cross[i];
    }
  DeviceArray<double> dh_mu = unit_projection(s, d, cw, &cv);
  const std::vector<double> mean_grad = download(s, t.mean_grad.data(), t.mean_grad.size());
  const std::vector<double> h_mu = download(s, dh_mu.data(), dh_mu.size());
  fold_center(fit, t.mean_output, mean_grad, c.mean, h_mu, mhm, trs);
  finish_solve_info(fit, c, opt);
  return fit;
}

}  // namespace cuda
}  // namespace polyapprox
