// Compact degree-n approximants (see hermite.hpp).
#include "hermite.hpp"

#include <stdexcept>

#include "integrals.hpp"

namespace polyapprox {

namespace {
size_t idx(long i, long j, long cols) { return static_cast<size_t>(i * cols + j); }

void check_degree(const InputDist& dist, int degree, int max_degree) {
  if (dist.K != 1) throw std::invalid_argument("compact degree-n fits need a single Gaussian input (K = 1)");
  if (degree < 1 || degree > max_degree) throw std::invalid_argument("degree out of range");
}

CompactFit shell(int in, int hidden, int out, int degree, const ComponentMoments& c, const FitOptions& opt) {
  CompactFit f;
  f.in = in, f.hidden = hidden, f.out = out, f.degree = degree;
  f.solve = stein_solve(c, in, opt);
  return f;
}

std::vector<double> copy_or_zeros(const double* p, size_t n) {
  return p ? std::vector<double>(p, p + n) : std::vector<double>(n, 0.0);
}
}  // namespace

CompactFit mlp_compact_fit(const Mlp& net, const InputDist& dist, int degree, const FitOptions& opt) {
  check_degree(dist, degree, kMaxDerivOrder);
  const int n = net.in, h = net.hidden;
  ComponentMoments c = component_moments(dist, 0, opt.psd_tol, opt.single);
  UnitExpectations u = mlp_units(net, c, degree);
  CompactFit f = shell(n, h, net.out, degree, c, opt);
  f.W.assign(net.W1, net.W1 + static_cast<size_t>(h) * n);
  f.b1 = copy_or_zeros(net.b1, h);
  f.W2.assign(net.W2, net.W2 + static_cast<size_t>(net.out) * h);
  f.bias_out = copy_or_zeros(net.b2, net.out);
  f.m = u.gate.m;
  f.s2.resize(h);
  f.coef.resize(static_cast<size_t>(h) * (degree + 1));
  for (int i = 0; i < h; ++i) {
    f.s2[i] = u.gate.s[i] * u.gate.s[i];
    double fact = 1;
    for (int k = 0; k <= degree; ++k) {
      if (k > 0) fact *= k;
      f.coef[idx(i, k, degree + 1)] = u.e[idx(i, k, degree + 1)] / fact;
    }
  }
  return f;
}

CompactFit glu_compact_fit(const Glu& net, const InputDist& dist, int degree, const FitOptions& opt) {
  check_degree(dist, degree, kMaxDerivOrder - 1);
  const int n = net.in, h = net.hidden, w = degree + 2;
  ComponentMoments c = component_moments(dist, 0, opt.psd_tol, opt.single);
  UnitExpectations u = glu_units(net, c, degree + 1);
  CompactFit f = shell(n, h, net.out, degree, c, opt);
  f.glu = true;
  f.W.assign(net.W, net.W + static_cast<size_t>(h) * n);
  f.V.assign(net.V, net.V + static_cast<size_t>(h) * n);
  f.b1 = copy_or_zeros(net.b1, h);
  f.b2 = copy_or_zeros(net.b2, h);
  if (net.W2) f.W2.assign(net.W2, net.W2 + static_cast<size_t>(net.out) * h);
  f.bias_out.assign(net.out, 0.0);
  f.m = u.gate.m;
  f.mz = u.value.m;
  f.s2.resize(h);
  f.kappa.resize(h);
  f.coef.resize(static_cast<size_t>(h) * (degree + 1));
  f.coef_r.resize(static_cast<size_t>(h) * degree);
  for (int i = 0; i < h; ++i) {
    const double s2 = u.gate.s[i] * u.gate.s[i], ci = u.cross[i];
    // A degenerate gate (s = 0) is constant under the law; then c = 0 and all of z − m_z is r.
    const double kappa = s2 > 0 ? ci / s2 : 0.0;
    f.s2[i] = s2;
    f.kappa[i] = kappa;
    const double* e = &u.e[idx(i, 0, w)];
    // E[φ(y)(m_z + κ t) He_k(t/s)]/s^k = m_z e_k + c e_{k+1} + k κ e_{k−1}, since
    // t He_k(t/s) = s (He_{k+1} + k He_{k−1})(t/s) and κ s² = c.
    double fact = 1;
    for (int k = 0; k <= degree; ++k) {
      if (k > 0) fact *= k;
      const double a = u.value.m[i] * e[k] + ci * e[k + 1] + (k > 0 ? k * kappa * e[k - 1] : 0.0);
      f.coef[idx(i, k, degree + 1)] = a / fact;
      if (k < degree) f.coef_r[idx(i, k, degree)] = e[k] / fact;
    }
  }
  return f;
}

std::vector<double> compact_predict(const CompactFit& f, int rows, const double* X) {
  const int n = f.in, h = f.hidden, out = f.out, d = f.degree;
  std::vector<double> Y(static_cast<size_t>(rows) * h), Zv;
  // Y holds the gate preactivations, then each unit's polynomial value.
  gemm(false, true, rows, h, n, 1.0, X, f.W.data(), 0.0, Y.data());
  if (f.glu) {
    Zv.resize(static_cast<size_t>(rows) * h);
    gemm(false, true, rows, h, n, 1.0, X, f.V.data(), 0.0, Zv.data());
  }
  std::vector<double> H(d + 1);
  for (int r = 0; r < rows; ++r) {
    for (int i = 0; i < h; ++i) {
      const double t = Y[idx(r, i, h)] + f.b1[i] - f.m[i];
      H[0] = 1;
      if (d >= 1) H[1] = t;
      for (int k = 1; k < d; ++k) H[k + 1] = t * H[k] - k * f.s2[i] * H[k - 1];
      double p = 0;
      for (int k = 0; k <= d; ++k) p += f.coef[idx(i, k, d + 1)] * H[k];
      if (f.glu) {
        const double rr = Zv[idx(r, i, h)] + f.b2[i] - f.mz[i] - f.kappa[i] * t;
        double q = 0;
        for (int k = 0; k < d; ++k) q += f.coef_r[idx(i, k, d)] * H[k];
        p += rr * q;
      }
      Y[idx(r, i, h)] = p;
    }
  }
  if (f.W2.empty()) return Y;  // GLU without output projection
  std::vector<double> out_y(static_cast<size_t>(rows) * out);
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < out; ++o) out_y[idx(r, o, out)] = f.bias_out[o];
  gemm(false, true, rows, out, h, 1.0, Y.data(), f.W2.data(), 1.0, out_y.data());
  return out_y;
}

}  // namespace polyapprox
