// Exact mixture quadratics (see mixture_quadratic.hpp for the derivation and the steps).
#include "mixture_quadratic.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "quadratic.hpp"

namespace polyapprox {

namespace {
size_t sz(long a) { return static_cast<size_t>(a); }

// Stacks of quadratics in the whitened coordinates, one per output: c [out], b [out, r],
// G [out, r, r].
struct Quad {
  std::vector<double> c, b, G;
  Quad(int out, int r) : c(sz(out)), b(sz(out) * r), G(sz(out) * r * r) {}
  void zero() {
    std::fill(c.begin(), c.end(), 0.0);
    std::fill(b.begin(), b.end(), 0.0);
    std::fill(G.begin(), G.end(), 0.0);
  }
  void assign(const Quad& o) { c = o.c, b = o.b, G = o.G; }
};

// Float64 stacks the solve holds at once (z, r, y, p, w, rhs, Γ C scratch, the result, margin).
constexpr int kStacks = 9;

std::vector<double> dots(int out, int r, const Quad& X, const Quad& Y) {
  std::vector<double> d(out, 0.0);
  const size_t rr = sz(r) * r;
  for (int o = 0; o < out; ++o) {
    double s = X.c[o] * Y.c[o];
    for (size_t i = sz(o) * r; i < sz(o + 1) * r; ++i) s += X.b[i] * Y.b[i];
    for (size_t i = o * rr; i < (o + 1) * rr; ++i) s += X.G[i] * Y.G[i];
    d[o] = s;
  }
  return d;
}

// Y_o += s_o X_o.
void axpy(int out, int r, const std::vector<double>& s, const Quad& X, Quad& Y) {
  const size_t rr = sz(r) * r;
  for (int o = 0; o < out; ++o) {
    const double a = s[o];
    if (a == 0) continue;
    Y.c[o] += a * X.c[o];
    for (size_t i = sz(o) * r; i < sz(o + 1) * r; ++i) Y.b[i] += a * X.b[i];
    for (size_t i = o * rr; i < (o + 1) * rr; ++i) Y.G[i] += a * X.G[i];
  }
}

struct WhitenedComponent {
  double w = 0;
  std::vector<double> d;  // [r]
  std::vector<double> C;  // [r, r]
};

struct WhitenedMixture {
  int n = 0, r = 0;
  double cutoff = 0;
  std::vector<double> mubar;  // [n]
  std::vector<double> B;      // [n, r]: y = Bᵀ(x − μ̄)
  std::vector<double> A;      // [n, r]: x = μ̄ + A y on the affine hull
  std::vector<WhitenedComponent> comps;
};

WhitenedMixture whiten_mixture(const InputDist& dist, double rcond, double psd_tol) {
  const int n = dist.in, K = dist.K;
  WhitenedMixture wm;
  wm.n = n;
  double wsum = 0;
  for (int k = 0; k < K; ++k) wsum += dist.weights ? dist.weights[k] : 1.0;
  std::vector<ComponentMoments> cm;
  std::vector<double> pi(K);
  wm.mubar.assign(n, 0.0);
  for (int k = 0; k < K; ++k) {
    pi[k] = (dist.weights ? dist.weights[k] : 1.0) / wsum;
    cm.push_back(component_moments(dist, k, psd_tol));  // the PSD check and Σ_k's factor
    for (int i = 0; i < n; ++i) wm.mubar[i] += pi[k] * cm[k].mean[i];
  }
  std::vector<double> Sbar(sz(n) * n, 0.0);
  for (int k = 0; k < K; ++k) {
    const double* S = dist.covs ? dist.covs + sz(k) * n * n : nullptr;
    for (int i = 0; i < n; ++i) {
      const double di = cm[k].mean[i] - wm.mubar[i];
      for (int j = 0; j < n; ++j)
        Sbar[sz(i) * n + j] += pi[k] * ((S ? S[sz(i) * n + j] : (i == j ? 1.0 : 0.0)) + di * (cm[k].mean[j] - wm.mubar[j]));
    }
  }
  std::vector<double> vals, vecs;
  symmetric_eigen(n, Sbar.data(), vals, vecs);
  double lmax = 0;
  for (double v : vals) lmax = std::max(lmax, v);
  wm.cutoff = std::max(rcond, 1e-14) * lmax;
  std::vector<int> keep;
  for (int t = 0; t < n; ++t)
    if (vals[t] > wm.cutoff && vals[t] > 0) keep.push_back(t);
  const int r = static_cast<int>(keep.size());
  wm.r = r;
  wm.B.assign(sz(n) * r, 0.0);
  wm.A.assign(sz(n) * r, 0.0);
  std::vector<double> Bt(sz(r) * n);  // Bᵀ [r, n]
  for (int c = 0; c < r; ++c) {
    const int t = keep[c];
    const double s = std::sqrt(vals[t]);
    for (int i = 0; i < n; ++i) {
      const double u = vecs[sz(t) * n + i];
      wm.B[sz(i) * r + c] = u / s;
      wm.A[sz(i) * r + c] = u * s;
      Bt[sz(c) * n + i] = u / s;
    }
  }
  for (int k = 0; k < K; ++k) {
    WhitenedComponent wc;
    wc.w = pi[k];
    std::vector<double> delta(n);
    for (int i = 0; i < n; ++i) delta[i] = cm[k].mean[i] - wm.mubar[i];
    wc.d.assign(r, 0.0);
    gemm(false, false, r, 1, n, 1.0, Bt.data(), delta.data(), 0.0, wc.d.data());
    // C_k = (Bᵀ L_k)(Bᵀ L_k)ᵀ: PSD by construction, whatever rounding did to Σ_k's small eigenvalues.
    wc.C.assign(sz(r) * r, 0.0);
    if (cm[k].identity_cov) {
      gemm(false, true, r, r, n, 1.0, Bt.data(), Bt.data(), 0.0, wc.C.data());
    } else {
      const int rk = cm[k].factor.rank;
      std::vector<double> G = project_onto_factor(r, Bt.data(), cm[k].factor);  // [r, rk]
      gemm(false, true, r, r, rk, 1.0, G.data(), G.data(), 0.0, wc.C.data());
    }
    for (int i = 0; i < r; ++i)
      for (int j = 0; j < i; ++j) {
        const double s = 0.5 * (wc.C[sz(i) * r + j] + wc.C[sz(j) * r + i]);
        wc.C[sz(i) * r + j] = wc.C[sz(j) * r + i] = s;
      }
    wm.comps.push_back(std::move(wc));
  }
  return wm;
}

// The mixture moment operator Σ_k π_k A_k (+ ridge·I) on stacks of whitened quadratics.
class MomentMap {
 public:
  MomentMap(const WhitenedMixture& wm, int out) : wm_(wm), out_(out), P1_(sz(out) * wm.r * wm.r), P2_(sz(wm.r) * wm.r) {}

  // Y += w · A(Z) under N(d, C).
  void add_component(const Quad& Z, const WhitenedComponent& comp, Quad& Y) {
    const int r = wm_.r, out = out_;
    const size_t rr = sz(r) * r;
    const double w = comp.w;
    const double* d = comp.d.data();
    const double* C = comp.C.data();
    gemm(false, false, out * r, r, r, 1.0, Z.G.data(), C, 0.0, P1_.data());  // P1_o = Γ_o C
    std::vector<double> m0(out), bt(sz(out) * r), m1(sz(out) * r);
    for (int o = 0; o < out; ++o) {
      const double* G = Z.G.data() + o * rr;
      const double* P = P1_.data() + o * rr;
      double tr = 0, dgd = 0, bd = 0;
      for (int i = 0; i < r; ++i) tr += P[sz(i) * r + i];
      for (int i = 0; i < r; ++i) {
        double gd = 0;  // ((Γ + Γᵀ) d)_i
        for (int j = 0; j < r; ++j) gd += (G[sz(i) * r + j] + G[sz(j) * r + i]) * d[j];
        dgd += 0.5 * d[i] * gd;
        bd += Z.b[sz(o) * r + i] * d[i];
        bt[sz(o) * r + i] = Z.b[sz(o) * r + i] + gd;
      }
      m0[o] = Z.c[o] + bd + dgd + tr;
    }
    gemm(false, false, out, r, r, 1.0, bt.data(), C, 0.0, m1.data());  // m1 = C β̃ (C symmetric)
    for (int o = 0; o < out; ++o) {
      gemm(false, false, r, r, r, 1.0, C, P1_.data() + o * rr, 0.0, P2_.data());  // C Γ C
      const double a0 = m0[o];
      const double* m = m1.data() + sz(o) * r;
      double* YG = Y.G.data() + o * rr;
      Y.c[o] += w * a0;
      for (int i = 0; i < r; ++i) {
        Y.b[sz(o) * r + i] += w * (m[i] + d[i] * a0);
        const double* Ci = C + sz(i) * r;
        const double* Pi = P2_.data() + sz(i) * r;
        double* Yi = YG + sz(i) * r;
        const double mi = m[i], di = d[i];
        for (int j = 0; j < r; ++j)
          Yi[j] += w * (a0 * (Ci[j] + di * d[j]) + Pi[j] + P2_[sz(j) * r + i] + mi * d[j] + di * m[j]);
      }
    }
  }

  void apply(const Quad& Z, Quad& Y, double ridge) {
    Y.zero();
    for (const auto& comp : wm_.comps) add_component(Z, comp, Y);
    if (ridge > 0) axpy(out_, wm_.r, std::vector<double>(out_, ridge), Z, Y);
  }

 private:
  const WhitenedMixture& wm_;
  int out_;
  std::vector<double> P1_, P2_;
};

// Z = P R with P the moment-matched Gaussian's inverse operator (N(0, I) in the whitened
// coordinates): β = m1, Γ = ½(m2 − m0 I), c = m0 − tr Γ.
void hermite_preconditioner(int out, int r, const Quad& R, Quad& Z) {
  const size_t rr = sz(r) * r;
  for (int o = 0; o < out; ++o) {
    const double m0 = R.c[o];
    double tr = 0;
    for (size_t i = sz(o) * r; i < sz(o + 1) * r; ++i) Z.b[i] = R.b[i];
    const double* Rg = R.G.data() + o * rr;
    double* Zg = Z.G.data() + o * rr;
    for (int i = 0; i < r; ++i) {
      for (int j = 0; j < r; ++j) Zg[sz(i) * r + j] = 0.5 * Rg[sz(i) * r + j];
      Zg[sz(i) * r + i] -= 0.5 * m0;
      tr += Zg[sz(i) * r + i];
    }
    Z.c[o] = m0 - tr;
  }
}

// Loads the single-Gaussian fit q (in whitened coordinates) as a dense stack.
void load_quadratic(const QuadraticFit& q, Quad& Z) {
  const int out = q.out, r = q.in;
  for (int o = 0; o < out; ++o) {
    Z.c[o] = q.alpha[o];
    for (int i = 0; i < r; ++i) Z.b[sz(o) * r + i] = q.beta[sz(i) * out + o];
    quadratic_form(q, o, Z.G.data() + sz(o) * r * r);
  }
}

// A layer rewritten in whitened coordinates: rows of W become W A, biases absorb W μ̄.
std::vector<double> whiten_rows(int rows, const double* W, const WhitenedMixture& wm) {
  std::vector<double> Wy(sz(rows) * wm.r, 0.0);
  gemm(false, false, rows, wm.r, wm.n, 1.0, W, wm.A.data(), 0.0, Wy.data());
  return Wy;
}

std::vector<double> shifted_bias(int rows, const double* W, const double* b, const WhitenedMixture& wm) {
  std::vector<double> by(rows, 0.0);
  gemm(false, false, rows, 1, wm.n, 1.0, W, wm.mubar.data(), 0.0, by.data());
  if (b)
    for (int i = 0; i < rows; ++i) by[i] += b[i];
  return by;
}

// rhs = Σ π_k A_k(q_k), q_k fitted by `fit_component` under N(d_k, C_k).
template <class FitComponent>
void component_rhs(const WhitenedMixture& wm, FitComponent fit_component, MomentMap& op, Quad& scratch, Quad& rhs) {
  rhs.zero();
  for (const auto& comp : wm.comps) {
    InputDist d;
    d.in = wm.r;
    d.K = 1;
    d.means = comp.d.data();
    d.covs = comp.C.data();
    QuadraticFit q = fit_component(d);
    load_quadratic(q, scratch);
    op.add_component(scratch, comp, rhs);
  }
}

struct PcgResult {
  int iterations = 0, restarts = 0;
  double residual = 0;
};

PcgResult pcg(const WhitenedMixture& wm, int out, MomentMap& op, double ridge, const Quad& rhs, Quad& z,
              const MixtureSolveOptions& sopt, std::vector<Quad>& work) {
  const int r = wm.r;
  Quad &res = work[0], &y = work[1], &p = work[2], &w = work[3];
  std::vector<double> bnorm = dots(out, r, rhs, rhs);
  for (double& b : bnorm) b = std::sqrt(b);
  PcgResult out_r;
  z.zero();
  res.assign(rhs);
  auto relative = [&](const std::vector<double>& rr, std::vector<bool>& active) {
    double worst = 0;
    for (int o = 0; o < out; ++o) {
      if (bnorm[o] == 0) {
        active[o] = false;
        continue;
      }
      const double v = std::sqrt(rr[o]) / bnorm[o];
      active[o] = v > sopt.tol;
      worst = std::max(worst, v);
    }
    return worst;
  };
  std::vector<bool> active(out);
  double worst = relative(dots(out, r, res, res), active);
  for (;;) {
    // One PCG run from the current z (the first from zero, restarts from the true residual).
    hermite_preconditioner(out, r, res, y);
    p.assign(y);
    std::vector<double> rho = dots(out, r, res, y);
    while (out_r.iterations < sopt.max_iter && std::any_of(active.begin(), active.end(), [](bool a) { return a; })) {
      if (sopt.cancel && sopt.cancel->load()) throw SolveCancelled();
      op.apply(p, w, ridge);
      std::vector<double> pw = dots(out, r, p, w), alpha(out, 0.0), malpha(out, 0.0);
      for (int o = 0; o < out; ++o) {
        if (!active[o]) continue;
        if (!(pw[o] > 0)) {  // p in the operator's null space: nothing left to gain here
          active[o] = false;
          continue;
        }
        alpha[o] = rho[o] / pw[o];
        malpha[o] = -alpha[o];
      }
      axpy(out, r, alpha, p, z);
      axpy(out, r, malpha, w, res);
      std::vector<bool> was = active;
      worst = relative(dots(out, r, res, res), active);
      for (int o = 0; o < out; ++o) active[o] = active[o] && was[o];
      ++out_r.iterations;
      if (sopt.progress) sopt.progress(out_r.iterations, worst);
      hermite_preconditioner(out, r, res, y);
      std::vector<double> rho_new = dots(out, r, res, y);
      const size_t rr = sz(r) * r;
      for (int o = 0; o < out; ++o) {
        if (!active[o]) continue;
        const double beta = rho[o] > 0 ? rho_new[o] / rho[o] : 0.0;
        p.c[o] = y.c[o] + beta * p.c[o];
        for (size_t i = sz(o) * r; i < sz(o + 1) * r; ++i) p.b[i] = y.b[i] + beta * p.b[i];
        for (size_t i = o * rr; i < (o + 1) * rr; ++i) p.G[i] = y.G[i] + beta * p.G[i];
      }
      rho = rho_new;
    }
    // The recurrence drifts from b − Mz: recompute, and restart from there if above tol.
    op.apply(z, w, ridge);
    for (size_t i = 0; i < res.c.size(); ++i) res.c[i] = rhs.c[i] - w.c[i];
    for (size_t i = 0; i < res.b.size(); ++i) res.b[i] = rhs.b[i] - w.b[i];
    for (size_t i = 0; i < res.G.size(); ++i) res.G[i] = rhs.G[i] - w.G[i];
    worst = relative(dots(out, r, res, res), active);
    out_r.residual = worst;
    if (worst <= sopt.tol || out_r.iterations >= sopt.max_iter || out_r.restarts >= 8) break;
    ++out_r.restarts;
  }
  return out_r;
}

// Back to input coordinates: Γ_x = B Γ_y Bᵀ, β_x = B β_y − 2Γ_x μ̄, c_x = c_y − β_yᵀBᵀμ̄ + μ̄ᵀΓ_xμ̄.
void unwhiten_quadratic(const WhitenedMixture& wm, int out, const Quad& z, MixtureQuadraticFit& fit) {
  const int n = wm.n, r = wm.r;
  fit.alpha.assign(out, 0.0);
  fit.beta.assign(sz(n) * out, 0.0);
  fit.G.assign(sz(out) * n * n, 0.0);
  std::vector<double> T(sz(n) * r), bx(n), gm(n), Btmu(r, 0.0);
  for (int c = 0; c < r; ++c)
    for (int i = 0; i < n; ++i) Btmu[c] += wm.B[sz(i) * r + c] * wm.mubar[i];
  for (int o = 0; o < out; ++o) {
    double* Gx = fit.G.data() + sz(o) * n * n;
    gemm(false, false, n, r, r, 1.0, wm.B.data(), z.G.data() + sz(o) * r * r, 0.0, T.data());
    gemm(false, true, n, n, r, 1.0, T.data(), wm.B.data(), 0.0, Gx);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < i; ++j) Gx[sz(i) * n + j] = Gx[sz(j) * n + i] = 0.5 * (Gx[sz(i) * n + j] + Gx[sz(j) * n + i]);
    gemm(false, false, n, 1, r, 1.0, wm.B.data(), z.b.data() + sz(o) * r, 0.0, bx.data());
    gemm(false, false, n, 1, n, 1.0, Gx, wm.mubar.data(), 0.0, gm.data());
    double c = z.c[o], mgm = 0;
    for (int c2 = 0; c2 < r; ++c2) c -= z.b[sz(o) * r + c2] * Btmu[c2];
    for (int i = 0; i < n; ++i) {
      fit.beta[sz(i) * out + o] = bx[i] - 2 * gm[i];
      mgm += wm.mubar[i] * gm[i];
    }
    fit.alpha[o] = c + mgm;
  }
}

template <class FitComponent>
MixtureQuadraticFit mixture_fit(int n, int out, const InputDist& dist, const FitOptions& opt,
                                const MixtureSolveOptions& sopt, FitComponent fit_component_in_y) {
  const auto t0 = std::chrono::steady_clock::now();
  const double est = mixture_memory_estimate(n, out, dist.K);
  if (est > sopt.memory_limit) {
    auto gib = [](double b) { return std::to_string(b / double(1ull << 30)).substr(0, 5) + " GiB"; };
    throw std::invalid_argument("the exact mixture quadratic (in = " + std::to_string(n) + ", out = " + std::to_string(out) +
                                ", K = " + std::to_string(dist.K) + ") needs about " + gib(est) + " (" +
                                std::to_string(kStacks) + " stacks of out·in² float64), above options.memoryLimit = " +
                                gib(sopt.memory_limit) + "; raise options.memoryLimit or fit fewer outputs at a time");
  }
  if (sopt.cancel && sopt.cancel->load()) throw SolveCancelled();
  WhitenedMixture wm = whiten_mixture(dist, opt.rcond, opt.psd_tol);
  const int r = wm.r;
  MomentMap op(wm, out);
  Quad rhs(out, r), z(out, r);
  std::vector<Quad> work(4, Quad(out, r));
  component_rhs(wm, [&](const InputDist& d) { return fit_component_in_y(wm, d); }, op, work[0], rhs);
  PcgResult pr = pcg(wm, out, op, opt.ridge, rhs, z, sopt, work);
  work.clear();
  MixtureQuadraticFit fit;
  fit.in = n;
  fit.out = out;
  unwhiten_quadratic(wm, out, z, fit);
  fit.solve.method = "mixture-cg";
  fit.solve.rank = r;
  fit.solve.cutoff = wm.cutoff;
  fit.solve.rcond = opt.rcond;
  fit.solve.ridge = opt.ridge;
  fit.info.iterations = pr.iterations;
  fit.info.restarts = pr.restarts;
  fit.info.residual = pr.residual;
  fit.info.converged = pr.residual <= sopt.tol;
  fit.info.rank = r;
  fit.info.cutoff = wm.cutoff;
  fit.info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return fit;
}

FitOptions component_options(const FitOptions& opt) {
  FitOptions o = opt;
  o.single = false;
  o.ridge = 0;
  return o;
}
}  // namespace

double mixture_memory_estimate(int in, int out, int K) {
  const double n = in;
  return 8.0 * (kStacks * double(out) * (n * n + n + 1) + (K + 5) * n * n);
}

MixtureQuadraticFit mlp_mixture_quadratic_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt,
                                              const MixtureSolveOptions& sopt) {
  const FitOptions copt = component_options(opt);
  std::vector<double> W1y, b1y;
  return mixture_fit(net.in, net.out, dist, opt, sopt, [&](const WhitenedMixture& wm, const InputDist& d) {
    if (W1y.empty() && wm.r > 0) {
      W1y = whiten_rows(net.hidden, net.W1, wm);
      b1y = shifted_bias(net.hidden, net.W1, net.b1, wm);
    }
    Mlp y = net;
    y.in = wm.r;
    y.W1 = W1y.data();
    y.b1 = b1y.empty() ? nullptr : b1y.data();
    return mlp_quadratic_fit(y, d, copt);
  });
}

MixtureQuadraticFit glu_mixture_quadratic_fit(const Glu& net, const InputDist& dist, const FitOptions& opt,
                                              const MixtureSolveOptions& sopt) {
  const FitOptions copt = component_options(opt);
  std::vector<double> Wy, Vy, b1y, b2y;
  return mixture_fit(net.in, net.out, dist, opt, sopt, [&](const WhitenedMixture& wm, const InputDist& d) {
    if (Wy.empty() && wm.r > 0) {
      Wy = whiten_rows(net.hidden, net.W, wm);
      Vy = whiten_rows(net.hidden, net.V, wm);
      b1y = shifted_bias(net.hidden, net.W, net.b1, wm);
      b2y = shifted_bias(net.hidden, net.V, net.b2, wm);
    }
    Glu y = net;
    y.in = wm.r;
    y.W = Wy.data();
    y.V = Vy.data();
    y.b1 = b1y.empty() ? nullptr : b1y.data();
    y.b2 = b2y.empty() ? nullptr : b2y.data();
    return glu_quadratic_fit(y, d, copt);
  });
}

}  // namespace polyapprox
