// Linear approximants (DESIGN §3.2–3.3). Every step mirrors lib/js/fit.ts.
#include "fit.hpp"

#include <cmath>
#include <stdexcept>

#include "integrals.hpp"

namespace polyapprox {

namespace {
size_t idx(long i, long j, long cols) { return static_cast<size_t>(i * cols + j); }

double dot(int n, const double* a, const double* b) {
  double acc = 0;
  for (int i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

// α = E f − βᵀ E x: the intercept that makes the linear fit's mean match the network's.
std::vector<double> intercept(int n, int out, const std::vector<double>& mean_output, const std::vector<double>& beta,
                              const std::vector<double>& mean) {
  std::vector<double> alpha(out);
  for (int o = 0; o < out; ++o) {
    double acc = mean_output[o];
    for (int j = 0; j < n; ++j) acc -= beta[idx(j, o, out)] * mean[j];
    alpha[o] = acc;
  }
  return alpha;
}
}  // namespace

ComponentMoments component_moments(const InputDist& dist, int k, double psd_tol, bool single) {
  ComponentMoments c;
  c.single = single;
  const int n = dist.in;
  c.mean.assign(n, 0.0);
  if (dist.means) std::copy(dist.means + idx(k, 0, n), dist.means + idx(k + 1, 0, n), c.mean.begin());
  c.identity_cov = dist.covs == nullptr;
  if (!c.identity_cov) {
    try {
      c.factor = factor_covariance(n, dist.covs + static_cast<size_t>(k) * n * n, psd_tol);
    } catch (const std::domain_error& e) {
      throw std::domain_error("covariance of component " + std::to_string(k) + " is " + e.what());
    }
  }
  return c;
}

SolveInfo stein_solve(const ComponentMoments& c, int in, const FitOptions& opt) {
  SolveInfo s;
  s.method = "stein";
  s.rank = c.identity_cov ? in : c.factor.rank;
  s.rcond = opt.rcond;
  s.ridge = opt.ridge;
  return s;
}

Preactivations preactivation_stats(int rows, int in, const double* W, const double* b,
                                   const ComponentMoments& c) {
  Preactivations p;
  p.m.assign(rows, 0.0);
  p.s.assign(rows, 0.0);
  for (int i = 0; i < rows; ++i) p.m[i] = dot(in, W + idx(i, 0, in), c.mean.data()) + (b ? b[i] : 0.0);
  if (c.identity_cov) {
    for (int i = 0; i < rows; ++i) p.s[i] = std::sqrt(dot(in, W + idx(i, 0, in), W + idx(i, 0, in)));
  } else {
    // s_i² = w_iᵀ F Fᵀ w_i = ‖Fᵀ w_i‖²: a sum of squares, never negative (no cancellation).
    p.proj = project_onto_factor(rows, W, c.factor, c.single);
    const int r = c.factor.rank;
    for (int i = 0; i < rows; ++i) {
      const double* q = &p.proj[idx(i, 0, r)];
      p.s[i] = std::sqrt(dot(r, q, q));
    }
  }
  return p;
}

UnitExpectations mlp_units(const Mlp& net, const ComponentMoments& c, int kmax) {
  UnitExpectations u;
  u.kmax = kmax;
  u.gate = preactivation_stats(net.hidden, net.in, net.W1, net.b1, c);
  u.e.resize(static_cast<size_t>(net.hidden) * (kmax + 1));
  for (int i = 0; i < net.hidden; ++i) deriv_evs(net.act, kmax, u.gate.m[i], u.gate.s[i], &u.e[idx(i, 0, kmax + 1)]);
  return u;
}

UnitExpectations glu_units(const Glu& net, const ComponentMoments& c, int kmax) {
  UnitExpectations u = {};
  u.kmax = kmax;
  const int in = net.in, h = net.hidden;
  u.gate = preactivation_stats(h, in, net.W, net.b1, c);
  u.value = preactivation_stats(h, in, net.V, net.b2, c);
  // c_i = Cov(y_i, z_i) = w_iᵀ Σ v_i (DESIGN §3.2).
  u.cross.resize(h);
  const int r = c.identity_cov ? 0 : c.factor.rank;
  for (int i = 0; i < h; ++i)
    u.cross[i] = c.identity_cov ? dot(in, net.W + idx(i, 0, in), net.V + idx(i, 0, in))
                                : dot(r, &u.gate.proj[idx(i, 0, r)], &u.value.proj[idx(i, 0, r)]);
  u.e.resize(static_cast<size_t>(h) * (kmax + 1));
  for (int i = 0; i < h; ++i) deriv_evs(net.act, kmax, u.gate.m[i], u.gate.s[i], &u.e[idx(i, 0, kmax + 1)]);
  return u;
}

LinearTerms mlp_linear_terms_from_units(const Mlp& net, const UnitExpectations& u) {
  const int in = net.in, h = net.hidden, out = net.out, w = u.kmax + 1;
  LinearTerms t;
  // E f = W2 E[φ(y)] + b2
  t.mean_output.assign(out, 0.0);
  for (int o = 0; o < out; ++o) {
    double acc = net.b2 ? net.b2[o] : 0.0;
    for (int i = 0; i < h; ++i) acc += net.W2[idx(o, i, h)] * u.e[idx(i, 0, w)];
    t.mean_output[o] = acc;
  }
  // E ∇f = W1ᵀ diag(E[φ'(y)]) W2ᵀ, as W1ᵀ T with T[i, o] = E[φ'(y_i)] W2[o, i].
  std::vector<double> T(static_cast<size_t>(h) * out);
  for (int i = 0; i < h; ++i)
    for (int o = 0; o < out; ++o) T[idx(i, o, out)] = u.e[idx(i, 1, w)] * net.W2[idx(o, i, h)];
  t.mean_grad.assign(static_cast<size_t>(in) * out, 0.0);
  gemm(true, false, in, out, h, 1.0, net.W1, T.data(), 0.0, t.mean_grad.data());
  return t;
}

GluUnitCoefficients glu_unit_coefficients(int hidden, int kmax, const double* e, const double* value_mean, const double* cross) {
  GluUnitCoefficients g{std::vector<double>(hidden), std::vector<double>(hidden), std::vector<double>(hidden)};
  for (int i = 0; i < hidden; ++i) {
    const double* ei = e + idx(i, 0, kmax + 1);
    const double mz = value_mean[i], ci = cross[i];
    g.mean[i] = mz * ei[0] + ci * ei[1];
    g.a[i] = mz * ei[1] + ci * ei[2];
    g.b[i] = ei[0];
  }
  return g;
}

LinearTerms glu_linear_terms_from_units(const Glu& net, const UnitExpectations& u) {
  const int in = net.in, h = net.hidden, out = net.out;
  const GluUnitCoefficients g = glu_unit_coefficients(h, u.kmax, u.e.data(), u.value.m.data(), u.cross.data());
  LinearTerms t;
  t.mean_grad.assign(static_cast<size_t>(in) * out, 0.0);
  if (!net.W2) {
    t.mean_output = g.mean;
    for (int i = 0; i < h; ++i)
      for (int j = 0; j < in; ++j)
        t.mean_grad[idx(j, i, out)] = g.a[i] * net.W[idx(i, j, in)] + g.b[i] * net.V[idx(i, j, in)];
    return t;
  }
  t.mean_output.assign(out, 0.0);
  for (int o = 0; o < out; ++o) t.mean_output[o] = dot(h, net.W2 + idx(o, 0, h), g.mean.data());
  // E ∇f = Wᵀ diag(a) W2ᵀ + Vᵀ diag(b) W2ᵀ
  std::vector<double> T(static_cast<size_t>(h) * out);
  for (int i = 0; i < h; ++i)
    for (int o = 0; o < out; ++o) T[idx(i, o, out)] = g.a[i] * net.W2[idx(o, i, h)];
  gemm(true, false, in, out, h, 1.0, net.W, T.data(), 0.0, t.mean_grad.data());
  for (int i = 0; i < h; ++i)
    for (int o = 0; o < out; ++o) T[idx(i, o, out)] = g.b[i] * net.W2[idx(o, i, h)];
  gemm(true, false, in, out, h, 1.0, net.V, T.data(), 1.0, t.mean_grad.data());
  return t;
}

LinearTerms mlp_linear_terms(const Mlp& net, const ComponentMoments& c) {
  return mlp_linear_terms_from_units(net, mlp_units(net, c, 1));
}

LinearTerms glu_linear_terms(const Glu& net, const ComponentMoments& c) {
  return glu_linear_terms_from_units(net, glu_units(net, c, 2));
}

LinearFit linear_fit_from_terms(const InputDist& dist, const std::vector<ComponentMoments>& comps,
                                const std::vector<LinearTerms>& terms, const FitOptions& opt) {
  const int n = dist.in, K = dist.K;
  const int out = static_cast<int>(terms[0].mean_output.size());
  LinearFit fit;
  fit.in = n;
  fit.out = out;
  fit.solve.rcond = opt.rcond;
  fit.solve.ridge = opt.ridge;
  if (K == 1 && opt.ridge == 0) {
    // Under one Gaussian, Cov(x, f) = Σ E∇f (Stein), so beta = E∇f solves the normal
    // equations, also when Σ is singular (predictions on the support are unique).
    fit.beta = terms[0].mean_grad;
    fit.alpha = intercept(n, out, terms[0].mean_output, fit.beta, comps[0].mean);
    fit.solve = stein_solve(comps[0], n, opt);
    return fit;
  }
  std::vector<double> w(K, 1.0 / K);
  if (dist.weights) {
    double total = 0;
    for (int k = 0; k < K; ++k) total += dist.weights[k];
    for (int k = 0; k < K; ++k) w[k] = dist.weights[k] / total;
  }
  // Law of total covariance: Cov x = Σ_k π_k (Σ_k + d_k d_kᵀ) and
  // Cov(x, f) = Σ_k π_k (Σ_k E_k∇f + d_k (E_k f − E f)ᵀ), with d_k = μ_k − μ̄.
  std::vector<double> mu(n, 0.0), ef(out, 0.0);
  for (int k = 0; k < K; ++k) {
    for (int j = 0; j < n; ++j) mu[j] += w[k] * comps[k].mean[j];
    for (int o = 0; o < out; ++o) ef[o] += w[k] * terms[k].mean_output[o];
  }
  std::vector<double> C(static_cast<size_t>(n) * n, 0.0), R(static_cast<size_t>(n) * out, 0.0);
  std::vector<double> d(n), de(out);
  for (int k = 0; k < K; ++k) {
    for (int j = 0; j < n; ++j) d[j] = comps[k].mean[j] - mu[j];
    for (int o = 0; o < out; ++o) de[o] = terms[k].mean_output[o] - ef[o];
    if (comps[k].identity_cov) {
      for (int j = 0; j < n; ++j) C[idx(j, j, n)] += w[k];
      for (size_t q = 0; q < R.size(); ++q) R[q] += w[k] * terms[k].mean_grad[q];
    } else {
      const double* S = dist.covs + static_cast<size_t>(k) * n * n;
      for (size_t q = 0; q < C.size(); ++q) C[q] += w[k] * S[q];
      gemm(false, false, n, out, n, w[k], S, terms[k].mean_grad.data(), 1.0, R.data());
    }
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) C[idx(i, j, n)] += w[k] * d[i] * d[j];
      for (int o = 0; o < out; ++o) R[idx(i, o, out)] += w[k] * d[i] * de[o];
    }
  }
  SolveReport rep;
  fit.beta = solve_symmetric(n, out, C.data(), R.data(), opt.ridge, opt.rcond, rep);
  fit.alpha = intercept(n, out, ef, fit.beta, mu);
  fit.solve.method = opt.ridge > 0 ? "ridge" : "pinv";
  fit.solve.rank = rep.rank;
  fit.solve.cutoff = rep.cutoff;
  return fit;
}

namespace {
template <class Net, class TermsFn>
LinearFit linear_fit(const Net& net, const InputDist& dist, const FitOptions& opt, TermsFn terms_of) {
  std::vector<ComponentMoments> comps;
  std::vector<LinearTerms> terms;
  comps.reserve(dist.K);
  terms.reserve(dist.K);
  for (int k = 0; k < dist.K; ++k) {
    comps.push_back(component_moments(dist, k, opt.psd_tol, opt.single));
    terms.push_back(terms_of(net, comps.back()));
    comps.back().factor.L = std::vector<double>();  // only its rank is needed from here on
  }
  return linear_fit_from_terms(dist, comps, terms, opt);
}
}  // namespace

LinearFit mlp_linear_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt) {
  return linear_fit(net, dist, opt, mlp_linear_terms);
}

LinearFit glu_linear_fit(const Glu& net, const InputDist& dist, const FitOptions& opt) {
  return linear_fit(net, dist, opt, glu_linear_terms);
}

std::vector<double> linear_predict(const LinearFit& fit, int rows, const double* X) {
  std::vector<double> Y(static_cast<size_t>(rows) * fit.out);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < fit.out; ++o) Y[idx(r, o, fit.out)] = fit.alpha[o];
  gemm(false, false, rows, fit.out, fit.in, 1.0, X, fit.beta.data(), 1.0, Y.data());
  return Y;
}

}  // namespace polyapprox
