// Exact mixture quadratics (see mixture_quadratic.hpp for the derivation and the steps).
#include "mixture_quadratic.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "block_cr.hpp"
#include "quadratic.hpp"

namespace polyapprox {

using mixture::BlockSolveResult;
using mixture::Quad;
using mixture::sz;
using mixture::WhitenedComponent;
using mixture::WhitenedMixture;

namespace {

void zero(Quad& Z) {
  std::fill(Z.c.begin(), Z.c.end(), 0.0);
  std::fill(Z.b.begin(), Z.b.end(), 0.0);
  std::fill(Z.G.begin(), Z.G.end(), 0.0);
}

// Float64 stacks the solve holds at once: rhs, z and block_cr's seven (res, Z, AZ, QZ, P, AP, Q),
// the operator's stack of symmetric parts, the result, and one of margin.
constexpr int kStacks = 12;

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

// The mixture moment operator Σ_k π_k A_k (+ ridge·I) on stacks of whitened quadratics
// (mixture_quadratic.hpp, step 3). With set_single(true) the two large products per component run
// in float32 (sgemm, about twice the speed); everything else stays float64.
//
// Per output, with S the symmetric part of Γ: E[y yᵀ q] = 2C(SC + ½m0 I) + e dᵀ + d eᵀ with
// e = ½m0 d + m1, so per component the work is one product P = S C (its trace gives tr(SC)), m0
// added to P's diagonal, and the upper triangle of C P accumulated (upper_sandwich); the rank-2
// terms of all components go into one GEMM per output and the lower triangle is mirrored at the
// end. S and S·[d_1 … d_K] are formed once per apply, not per component, and nothing is read in
// column order. At MNIST scale (r = 664, out = 10) this took an iteration from 1.64 to 1.25 s in
// float64 (bench/RESULTS.md, session 5).
class MomentMap {
 public:
  MomentMap(const WhitenedMixture& wm, int out, bool single = false)
      : wm_(wm),
        out_(out),
        K_(static_cast<int>(wm.comps.size())),
        S_(sz(out) * wm.r * wm.r),
        P1_(sz(wm.r) * wm.r),
        D_(sz(wm.r) * wm.comps.size()),
        SD_(sz(out) * wm.r * wm.comps.size()) {
    for (int k = 0; k < K_; ++k)
      for (int i = 0; i < wm.r; ++i) D_[sz(i) * K_ + k] = wm.comps[k].d[i];
    if (!single) return;
    const size_t rr = sz(wm.r) * wm.r;
    Sf_.resize(sz(out) * rr);
    P1f_.resize(rr);
    Af_.resize(rr);
    for (const auto& comp : wm.comps) Cf_.emplace_back(comp.C.begin(), comp.C.end());
  }

  bool can_single() const { return !Cf_.empty() || wm_.comps.empty(); }
  void set_single(bool on) { single_ = on && !Cf_.empty(); }
  bool single() const { return single_; }

  // Y += π_k A_k(Z) (component k alone) on the first `rows` stacked quadratics, in float64.
  void add_component(const Quad& Z, int k, Quad& Y, int rows = -1) {
    const int out = rows < 0 ? out_ : rows;
    symmetrize(Z, out, false);
    add_components(Z, k, k + 1, Y, out, false);
    mirror_upper(Y, out);
  }

  void apply(const Quad& Z, Quad& Y, double ridge, int rows = -1) {
    if (rows < 0) rows = out_;
    zero(Y);
    symmetrize(Z, rows, single_);
    add_components(Z, 0, K_, Y, rows, single_);
    mirror_upper(Y, rows);
    if (ridge > 0) axpy(rows, wm_.r, std::vector<double>(rows, ridge), Z, Y);
  }

 private:
  // S_o = ½(Γ_o + Γ_oᵀ) (and its float32 copy when `single`), and SD_o = S_o [d_1 … d_K].
  void symmetrize(const Quad& Z, int out, bool single) {
    const int r = wm_.r;
    const size_t rr = sz(r) * r;
    for (int o = 0; o < out; ++o) {
      const double* G = Z.G.data() + o * rr;
      double* S = S_.data() + o * rr;
      for (int i = 0; i < r; ++i)
        for (int j = i; j < r; ++j) S[sz(i) * r + j] = S[sz(j) * r + i] = 0.5 * (G[sz(i) * r + j] + G[sz(j) * r + i]);
      if (single) std::copy(S, S + rr, Sf_.data() + o * rr);
      gemm(false, false, r, K_, r, 1.0, S, D_.data(), 0.0, SD_.data() + sz(o) * r * K_);
    }
  }

  // Y += Σ_{k0 ≤ k < k1} π_k A_k(S) on the upper triangles of the first `out` outputs.
  void add_components(const Quad& Z, int k0, int k1, Quad& Y, int out, bool single) {
    const int r = wm_.r, nk = k1 - k0;
    const size_t rr = sz(r) * r;
    // m1 = C_k β̃ for every output at once, per component; β̃ = b + 2 S d_k, and dᵀSd, bᵀd.
    std::vector<double> m1(sz(nk) * out * r), bt(sz(out) * r), dsd(sz(nk) * out), bd(sz(nk) * out);
    for (int k = k0; k < k1; ++k) {
      const double* d = wm_.comps[k].d.data();
      for (int o = 0; o < out; ++o) {
        const double* sd = SD_.data() + sz(o) * r * K_;
        const double* b = Z.b.data() + sz(o) * r;
        double x = 0, y = 0;
        for (int i = 0; i < r; ++i) {
          bt[sz(o) * r + i] = b[i] + 2 * sd[sz(i) * K_ + k];
          x += d[i] * sd[sz(i) * K_ + k];
          y += b[i] * d[i];
        }
        dsd[sz(k - k0) * out + o] = x;
        bd[sz(k - k0) * out + o] = y;
      }
      gemm(false, false, out, r, r, 1.0, bt.data(), wm_.comps[k].C.data(), 0.0, m1.data() + sz(k - k0) * out * r);
    }
    std::vector<double> a0(nk), U(sz(r) * 2 * nk), V(sz(r) * 2 * nk);
    for (int o = 0; o < out; ++o) {
      double* YG = Y.G.data() + o * rr;
      for (int k = k0; k < k1; ++k) {
        const double w = wm_.comps[k].w;
        double m0 = Z.c[o] + bd[sz(k - k0) * out + o] + dsd[sz(k - k0) * out + o];
        if (single) {
          const float* C = Cf_[k].data();
          gemm(false, false, r, r, r, 1.0f, Sf_.data() + o * rr, C, 0.0f, P1f_.data());  // S C
          for (int i = 0; i < r; ++i) m0 += P1f_[sz(i) * r + i];
          for (int i = 0; i < r; ++i) P1f_[sz(i) * r + i] += static_cast<float>(0.5 * m0);
          upper_sandwich(r, static_cast<float>(2 * w), C, P1f_.data(), k == k0 ? 0.0f : 1.0f, Af_.data());
        } else {
          const double* C = wm_.comps[k].C.data();
          gemm(false, false, r, r, r, 1.0, S_.data() + o * rr, C, 0.0, P1_.data());
          for (int i = 0; i < r; ++i) m0 += P1_[sz(i) * r + i];
          for (int i = 0; i < r; ++i) P1_[sz(i) * r + i] += 0.5 * m0;
          upper_sandwich(r, 2 * w, C, P1_.data(), 1.0, YG);
        }
        a0[k - k0] = m0;
      }
      if (single)
        for (int i = 0; i < r; ++i)
          for (int j = i; j < r; ++j) YG[sz(i) * r + j] += double(Af_[sz(i) * r + j]);
      // e_k = w(½ m0 d + m1) and d_k side by side: Y += [E D] [D E]ᵀ = E Dᵀ + D Eᵀ.
      for (int k = k0; k < k1; ++k) {
        const int c = k - k0;
        const double w = wm_.comps[k].w, m0 = a0[c];
        const double* d = wm_.comps[k].d.data();
        const double* m = m1.data() + (sz(c) * out + o) * r;
        Y.c[o] += w * m0;
        for (int i = 0; i < r; ++i) {
          const double e = w * (0.5 * m0 * d[i] + m[i]);
          Y.b[sz(o) * r + i] += w * (m[i] + d[i] * m0);
          U[sz(i) * 2 * nk + c] = e;
          U[sz(i) * 2 * nk + nk + c] = d[i];
          V[sz(i) * 2 * nk + c] = d[i];
          V[sz(i) * 2 * nk + nk + c] = e;
        }
      }
      gemm(false, true, r, r, 2 * nk, 1.0, U.data(), V.data(), 1.0, YG);
    }
  }

  void mirror_upper(Quad& Y, int out) const {
    const int r = wm_.r;
    for (int o = 0; o < out; ++o) {
      double* G = Y.G.data() + sz(o) * r * r;
      for (int i = 0; i < r; ++i)
        for (int j = i + 1; j < r; ++j) G[sz(j) * r + i] = G[sz(i) * r + j];
    }
  }

  const WhitenedMixture& wm_;
  int out_, K_;
  bool single_ = false;
  std::vector<double> S_, P1_, D_, SD_;  // symmetric parts, S C, [d_1 … d_K], S [d_1 … d_K]
  std::vector<float> Sf_, P1f_, Af_;     // float32 S, S C, and the Σ_k 2π_k C_k P accumulator
  std::vector<std::vector<float>> Cf_;
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
  zero(rhs);
  for (size_t k = 0; k < wm.comps.size(); ++k) {
    const WhitenedComponent& comp = wm.comps[k];
    InputDist d;
    d.in = wm.r;
    d.K = 1;
    d.means = comp.d.data();
    d.covs = comp.C.data();
    QuadraticFit q = fit_component(d);
    load_quadratic(q, scratch);
    op.add_component(scratch, static_cast<int>(k), rhs);
  }
}

// The block inner products M [mx, my] = (⟨X_a, Y_b⟩) over the first mx and my stacked quadratics.
std::vector<double> gram(int mx, int my, int r, const Quad& X, const Quad& Y) {
  std::vector<double> M(sz(mx) * my, 0.0);
  if (mx == 0 || my == 0) return M;
  gemm(false, true, mx, my, 1, 1.0, X.c.data(), Y.c.data(), 0.0, M.data());
  gemm(false, true, mx, my, r, 1.0, X.b.data(), Y.b.data(), 1.0, M.data());
  gemm(false, true, mx, my, r * r, 1.0, X.G.data(), Y.G.data(), 1.0, M.data());
  return M;
}

// Y_b = Σ_a T[a, b] X_a + keep·Y_b for b < my (T [mx, my]); X and Y must be different stacks.
void combine(int mx, int my, int r, const std::vector<double>& T, const Quad& X, double keep, Quad& Y) {
  if (my == 0) return;
  gemm(true, false, my, 1, mx, 1.0, T.data(), X.c.data(), keep, Y.c.data());
  gemm(true, false, my, r, mx, 1.0, T.data(), X.b.data(), keep, Y.b.data());
  gemm(true, false, my, r * r, mx, 1.0, T.data(), X.G.data(), keep, Y.G.data());
}

// The host's stacks for block_cr (block_cr.hpp): Quad and the MomentMap on OpenBLAS.
class HostSpace {
 public:
  using Stack = Quad;
  HostSpace(int out, int r, MomentMap& op, double ridge) : out_(out), r_(r), op_(op), ridge_(ridge) {}
  Quad make() const { return Quad(out_, r_); }
  void zero(Quad& Z) const { polyapprox::zero(Z); }
  void copy(const Quad& from, Quad& to) const { to = from; }
  std::vector<double> dots(const Quad& X, const Quad& Y) const { return polyapprox::dots(out_, r_, X, Y); }
  std::vector<double> gram(int mx, int my, const Quad& X, const Quad& Y) const {
    return polyapprox::gram(mx, my, r_, X, Y);
  }
  void combine(int mx, int my, const std::vector<double>& T, const Quad& X, double keep, Quad& Y) const {
    polyapprox::combine(mx, my, r_, T, X, keep, Y);
  }
  void precondition(const Quad& R, Quad& Z) const { hermite_preconditioner(out_, r_, R, Z); }
  void apply(const Quad& Z, Quad& Y, int rows) { op_.apply(Z, Y, ridge_, rows); }
  bool set_single(bool on) {
    op_.set_single(on);
    return op_.single();
  }
  void subtract(const Quad& A, const Quad& B, Quad& out) const {
    for (size_t i = 0; i < out.c.size(); ++i) out.c[i] = A.c[i] - B.c[i];
    for (size_t i = 0; i < out.b.size(); ++i) out.b[i] = A.b[i] - B.b[i];
    for (size_t i = 0; i < out.G.size(); ++i) out.G[i] = A.G[i] - B.G[i];
  }

 private:
  int out_, r_;
  MomentMap& op_;
  double ridge_;
};

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
                                const MixtureSolveOptions& sopt, const mixture::MixtureBackend& backend,
                                FitComponent fit_component_in_y) {
  const auto t0 = std::chrono::steady_clock::now();
  const double est = mixture_memory_estimate(n, out, dist.K, opt.single);
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
  MomentMap op(wm, out, opt.single);
  Quad rhs(out, r), z(out, r);
  {
    Quad scratch(out, r);
    component_rhs(wm, [&](const InputDist& d) { return fit_component_in_y(wm, d); }, op, scratch, rhs);
  }
  BlockSolveResult pr;
  if (backend.solver && r > 0) {  // r = 0: nothing to solve for beyond the constant
    const mixture::SolveProblem problem{wm, out, opt.ridge, opt.single, rhs,
                                      [&](const Quad& Z, Quad& Y) {
                                        op.set_single(false);
                                        op.apply(Z, Y, opt.ridge);
                                      }};
    pr = backend.solver(problem, z, sopt);
  } else {
    HostSpace space(out, r, op, opt.ridge);
    pr = mixture::block_cr(space, out, rhs, z, sopt);
  }
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
  fit.info.single_iterations = pr.single_iterations;
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

namespace mixture {

std::vector<double> orthonormalizer(int m, const std::vector<double>& gram) {
  std::vector<double> vals, vecs, G = gram;
  symmetric_eigen(m, G.data(), vals, vecs);
  double lmax = 0;
  for (double v : vals) lmax = std::max(lmax, v);
  std::vector<int> keep;
  for (int t = m - 1; t >= 0; --t)
    if (vals[t] > 1e-12 * lmax && vals[t] > 0) keep.push_back(t);
  const int k = static_cast<int>(keep.size());
  std::vector<double> T(sz(m) * k);
  for (int j = 0; j < k; ++j)
    for (int a = 0; a < m; ++a) T[sz(a) * k + j] = vecs[sz(keep[j]) * m + a] / std::sqrt(vals[keep[j]]);
  return T;
}

double worst_relative_residual(int out, int r, const Quad& rhs, const Quad& Y) {
  Quad R(out, r);
  for (size_t i = 0; i < R.c.size(); ++i) R.c[i] = rhs.c[i] - Y.c[i];
  for (size_t i = 0; i < R.b.size(); ++i) R.b[i] = rhs.b[i] - Y.b[i];
  for (size_t i = 0; i < R.G.size(); ++i) R.G[i] = rhs.G[i] - Y.G[i];
  const std::vector<double> bb = dots(out, r, rhs, rhs), rr = dots(out, r, R, R);
  double worst = 0;
  for (int o = 0; o < out; ++o)
    if (bb[o] > 0) worst = std::max(worst, std::sqrt(rr[o] / bb[o]));
  return worst;
}

}  // namespace mixture

double mixture_memory_estimate(int in, int out, int K, bool single) {
  const double n = in;
  // float32: the stack of symmetric parts, one S C, one C S C and the K float copies of C_k.
  const double f32 = single ? 4.0 * (double(out) + K + 2) * n * n : 0.0;
  return 8.0 * (kStacks * double(out) * (n * n + n + 1) + (K + 6) * n * n) + f32;
}

MixtureQuadraticFit mlp_mixture_quadratic_fit(const Mlp& net, const InputDist& dist, const FitOptions& opt,
                                              const MixtureSolveOptions& sopt, const mixture::MixtureBackend& backend) {
  const FitOptions copt = component_options(opt);
  std::vector<double> W1y, b1y;
  return mixture_fit(net.in, net.out, dist, opt, sopt, backend, [&](const WhitenedMixture& wm, const InputDist& d) {
    if (W1y.empty() && wm.r > 0) {
      W1y = whiten_rows(net.hidden, net.W1, wm);
      b1y = shifted_bias(net.hidden, net.W1, net.b1, wm);
    }
    Mlp y = net;
    y.in = wm.r;
    y.W1 = W1y.data();
    y.b1 = b1y.empty() ? nullptr : b1y.data();
    return backend.mlp_fit ? backend.mlp_fit(y, d, copt) : mlp_quadratic_fit(y, d, copt);
  });
}

MixtureQuadraticFit glu_mixture_quadratic_fit(const Glu& net, const InputDist& dist, const FitOptions& opt,
                                              const MixtureSolveOptions& sopt, const mixture::MixtureBackend& backend) {
  const FitOptions copt = component_options(opt);
  std::vector<double> Wy, Vy, b1y, b2y;
  return mixture_fit(net.in, net.out, dist, opt, sopt, backend, [&](const WhitenedMixture& wm, const InputDist& d) {
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
    return backend.glu_fit ? backend.glu_fit(y, d, copt) : glu_quadratic_fit(y, d, copt);
  });
}

}  // namespace polyapprox
