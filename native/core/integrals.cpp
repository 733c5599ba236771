// Gaussian integrals of the activations (DESIGN §3.1). y ~ N(m, s²), z = (y − m)/s, a0 = −m/s.
//
// relu, leaky_relu, jump_relu, identity — closed forms from the truncated moments
//   T_j(a) = E[(z − a)^j 1{z > a}] (normal.hpp): E[y^j 1{y > t}] = Σ_i C(j,i) t^(j−i) s^i T_i(a),
//   a = (t − m)/s, every term ≥ 0 when t ≥ 0; the lower half-line by z → −z. Where a sum could
//   cancel (leaky slope, θ < 0) the algebraically equal form with the smallest Σ|terms| is used.
//   Derivatives k ≥ 2 are Dirac terms E[δ^(r)(y − t)] = He_r(a) pdf(a) / s^(r+1).
// gelu — E[gelu^(k)] in closed form (gelu = yΦ, gelu' = Φ + y pdf, gelu^(k) = pdf^(k−2) − pdf^(k),
//   E[pdf^(j)(y)] = (−1)^j He_j(b) pdf(b)/τ^(j+1), τ = √(1+s²), b = m/τ); E[y^n gelu] by Stein's
//   recursion A_(j+1) = m A_j + s²(j A_(j−1) + E[y^j pdf(y)]) on A_j = E[y^j Φ(y)] when m ≥ 0
//   (all terms ≥ 0), and like the smooth activations below when m < 0 (the recursion cancels there).
// sigmoid, tanh, softplus, swish (and gelu moments for m < 0) — moments of a narrow Gaussian at
//   the origin (κ(|m| + 12s) ≤ 0.06) from φ's Taylor series against exact raw moments; otherwise
//   two regimes in κs, where 1/κ is the activation's width (κ = 2 for tanh, 1 otherwise):
//   A. κs ≤ 0.8: φ^(k)(m + s z) is analytic in a strip |Im z| ≥ π/(κs) ≈ 3.9, so a fixed
//      composite rule (11 panels × 13-point Gauss–Legendre on z ∈ [−11, 11], weights × pdf)
//      integrates φ^(k) and y^n φ directly to < 1e-15 relative (measured up to k = 8, n = 8).
//      No differencing, so E[φ'] stays accurate as s → 0. Derivatives of order ≥ 5 use a rule
//      with 22 panels up to κs = 1.6 instead of B below (whose 1/s^k loses digits there).
//   B. κs > 0.8: φ = P + g with P piecewise polynomial (step, sign or relu) and g localized
//      (sigmoid: −sgn(y)σ(−|y|); tanh: −2 sgn(y)σ(−2|y|); softplus: log1p(e^(−|y|));
//      swish: −|y|σ(−|y|); gelu: −|y|Φ(−|y|)). Then
//        E[φ^(k)] = (E[P He_k(z)] + ∫ g(y) He_k(z) pdf(z)/s dy) / s^k,
//        E[y^n φ] = E[y^n P] + ∫ y^n g(y) pdf(z)/s dy,
//      with E[P ·] in closed form and the integral by Gauss–Legendre (16 points, 12 or 8 on panels
//      that carry < e^(−11) or e^(−28) of it) on panels in y on each side of the kink, graded
//      from the kink (σ's poles at ±iπ/κ) and sized to the Gaussian (see side_breakpoints). A
//      fixed, analyticity-derived mesh rather than adaptive bisection: G7K15 with QUADPACK's error
//      heuristic needed ~500 evaluations per call to certify 1e-16, this mesh needs ~110–290
//      (138 at typical m, s) and meets the same reference tables. Moving the derivatives onto
//      the Gaussian (Stein) keeps the integrand free of the s^(k−1)-fold cancellation that
//      ∫ φ^(k) G has when the Gaussian is wide.
// The TypeScript mirror (lib/js/integrals.ts) runs the same steps in the same order.
#include "integrals.hpp"

#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <string>

#include "normal.hpp"

namespace polyapprox {
namespace {

// ---------------------------------------------------------------------------------------------
// Small utilities

double saturate(double x) { return std::isinf(x) ? std::copysign(DBL_MAX, x) : x; }

// num/den for den ≥ 0 that may underflow to 0: saturates instead of returning ±Inf or NaN.
double ratio_sat(double num, double den) {
  if (num == 0.0) return 0.0;
  if (den == 0.0) return std::copysign(DBL_MAX, num);
  return saturate(num / den);
}

std::string num_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

[[noreturn]] void bad_arg(const std::string& name, const std::string& expected, const std::string& got) {
  throw std::invalid_argument("invalid argument: " + name + " must be " + expected + ", got " + got);
}

void check_activation(const Activation& act) {
  const int kind = static_cast<int>(act.kind);
  if (kind < 0 || kind >= kActKindCount) bad_arg("act", "a known activation kind", std::to_string(kind));
  if (act.kind == ActKind::JumpRelu && !std::isfinite(act.threshold))
    bad_arg("act.threshold", "a finite number", num_text(act.threshold));
  if (act.kind == ActKind::LeakyRelu && !std::isfinite(act.slope))
    bad_arg("act.slope", "a finite number", num_text(act.slope));
}

void check_gaussian(double m, double s) {
  if (!std::isfinite(m)) bad_arg("m", "a finite number", num_text(m));
  if (!std::isfinite(s) || s < 0) bad_arg("s", "a finite number >= 0", num_text(s));
}

void check_order(const char* name, int k, int kmax) {
  if (k < 0 || k > kmax) bad_arg(name, "an integer in [0, " + std::to_string(kmax) + "]", std::to_string(k));
}

constexpr double kBinom[11][11] = {
    {1},
    {1, 1},
    {1, 2, 1},
    {1, 3, 3, 1},
    {1, 4, 6, 4, 1},
    {1, 5, 10, 10, 5, 1},
    {1, 6, 15, 20, 15, 6, 1},
    {1, 7, 21, 35, 35, 21, 7, 1},
    {1, 8, 28, 56, 70, 56, 28, 8, 1},
    {1, 9, 36, 84, 126, 126, 84, 36, 9, 1},
    {1, 10, 45, 120, 210, 252, 210, 120, 45, 10, 1},
};

// Largest moment/derivative index any internal array holds (poly n + 1 for the relu family).
constexpr int kMaxIndex = kMaxPolyOrder + 1;
constexpr int kArr = kMaxIndex + 1;

// ---------------------------------------------------------------------------------------------
// Pointwise activations

// σ^(k)(y) = P_k(σ(y)) with P_0 = u, P_(k+1) = P_k'(u)·u(1 − u); row k holds the coefficients of
// u^1..u^(k+1) ((−1)^(j−1)(j−1)! S(k+1, j), S = Stirling numbers of the second kind).
constexpr double kSigPoly[9][10] = {
    {0, 1},
    {0, 1, -1},
    {0, 1, -3, 2},
    {0, 1, -7, 12, -6},
    {0, 1, -15, 50, -60, 24},
    {0, 1, -31, 180, -390, 360, -120},
    {0, 1, -63, 602, -2100, 3360, -2520, 720},
    {0, 1, -127, 1932, -10206, 25200, -31920, 20160, -5040},
    {0, 1, -255, 6050, -46620, 166824, -317520, 332640, -181440, 40320},
};

// tanh^(k)(x) = R_k(tanh x) with R_0 = T, R_(k+1) = R_k'(T)(1 − T²); row k: coefficients of
// T^0..T^(k+1). Then σ^(k)(y) = R_k(tanh(y/2)) / 2^(k+1).
constexpr double kTanhPoly[9][10] = {
    {0, 1},
    {1, 0, -1},
    {0, -2, 0, 2},
    {-2, 0, 8, 0, -6},
    {0, 16, 0, -40, 0, 24},
    {16, 0, -136, 0, 240, 0, -120},
    {0, -272, 0, 1232, 0, -1680, 0, 720},
    {-272, 0, 3968, 0, -12096, 0, 13440, 0, -5040},
    {0, 7936, 0, -56320, 0, 129024, 0, -120960, 0, 40320},
};

// σ^(k)(y), k = 0..kmax. For |y| ≥ 1.5: P_k at u = σ(−|y|) ≤ 1/2 (no cancellation in the tails,
// P_k(u) = u + O(u²)) with σ^(k)(|y|) = (−1)^(k+1) σ^(k)(−|y|). For |y| < 1.5 and k ≥ 2: R_k at
// T = tanh(y/2), whose low-order terms dominate near 0 where P_k(u ≈ 1/2) cancels (measured
// worst relative error at k = 8: 3e-15 instead of 1e-10 for |y| < 0.5).
void sigmoid_derivs(double y, int kmax, double* d) {
  const double ay = std::fabs(y);
  double u, tt = 0.0;
  const bool near0 = ay < 1.5;
  if (near0) {
    const double em = std::expm1(-ay);  // e^(−|y|) − 1
    u = (1.0 + em) / (2.0 + em);
    tt = -em / (2.0 + em);  // tanh(|y|/2)
    if (y < 0) tt = -tt;
  } else {
    const double e = std::exp(-ay);
    u = e / (1.0 + e);
  }
  d[0] = y > 0 ? 1.0 - u : u;
  for (int k = 1; k <= kmax; ++k) {
    if (near0 && k >= 2) {
      double p = kTanhPoly[k][k + 1];
      for (int j = k; j >= 0; --j) p = p * tt + kTanhPoly[k][j];
      d[k] = std::ldexp(p, -(k + 1));
      continue;
    }
    double p = kSigPoly[k][k + 1];
    for (int j = k; j >= 1; --j) p = p * u + kSigPoly[k][j];
    p *= u;
    d[k] = (y > 0 && k % 2 == 0) ? -p : p;
  }
}

double tanh_value(double y) {
  const double t = std::expm1(-2.0 * std::fabs(y));
  const double v = -t / (2.0 + t);
  return y < 0 ? -v : v;
}

// φ^(k)(y) for k = 0..kmax, smooth activations only.
void smooth_derivs(ActKind kind, double y, int kmax, double* d) {
  double t[kArr];
  switch (kind) {
    case ActKind::Sigmoid:
      sigmoid_derivs(y, kmax, d);
      return;
    case ActKind::Tanh:
      d[0] = tanh_value(y);
      if (kmax >= 1) {
        sigmoid_derivs(2.0 * y, kmax, t);
        for (int k = 1; k <= kmax; ++k) d[k] = std::ldexp(t[k], k + 1);
      }
      return;
    case ActKind::Softplus:
      d[0] = (y > 0 ? y : 0.0) + std::log1p(std::exp(-std::fabs(y)));
      if (kmax >= 1) {
        sigmoid_derivs(y, kmax - 1, t);
        for (int k = 1; k <= kmax; ++k) d[k] = t[k - 1];
      }
      return;
    case ActKind::Swish:
      sigmoid_derivs(y, kmax, t);
      d[0] = y * t[0];
      for (int k = 1; k <= kmax; ++k) d[k] = y * t[k] + k * t[k - 1];
      return;
    case ActKind::Gelu: {
      d[0] = y * Phi(y);
      if (kmax >= 1) {
        const double p = pdf(y);
        d[1] = Phi(y) + y * p;
        if (kmax >= 2) {
          hermite_he_all(kmax, y, t);
          for (int k = 2; k <= kmax; ++k) d[k] = (k % 2 == 0 ? 1.0 : -1.0) * (t[k - 2] - t[k]) * p;
        }
      }
      return;
    }
    default:
      return;
  }
}

double kinked_deriv(const Activation& act, int k, double y) {
  double t = 0.0, lo = 0.0;  // kink position and slope on its left
  switch (act.kind) {
    case ActKind::Identity:
      return k == 0 ? y : (k == 1 ? 1.0 : 0.0);
    case ActKind::Relu:
      break;
    case ActKind::LeakyRelu:
      lo = act.slope;
      break;
    case ActKind::JumpRelu:
      t = act.threshold;
      if (k == 0) return y > t ? y : 0.0;
      break;
    default:
      return 0.0;
  }
  if (k == 0) return y > t ? y : lo * y;
  if (k == 1) return y > t ? 1.0 : (y < t ? lo : 0.5 * (1.0 + lo));
  return 0.0;
}

bool is_smooth(ActKind kind) {
  return kind == ActKind::Sigmoid || kind == ActKind::Tanh || kind == ActKind::Softplus ||
         kind == ActKind::Swish || kind == ActKind::Gelu;
}

// ---------------------------------------------------------------------------------------------
// Closed-form pieces

// U_j = E[y^j 1{y > t}], j = 0..jmax, and Uabs_j = Σ_i |C(j,i) t^(j−i) s^i T_i(a)|.
void upper_partial_moments(double t, double m, double s, int jmax, double* U, double* Uabs) {
  const double a = (t - m) / s;
  if (a >= kTailCut) {
    for (int j = 0; j <= jmax; ++j) U[j] = Uabs[j] = 0.0;
    return;
  }
  if (a <= -kTailCut) {  // the whole Gaussian lies above t (to e^(−760))
    gaussian_raw_moments(m, s, jmax, U);
    for (int j = 0; j <= jmax; ++j) Uabs[j] = std::fabs(U[j]);
    return;
  }
  double T[kArr], tp[kArr], sp[kArr];
  truncated_moments(a, jmax, T);
  tp[0] = sp[0] = 1.0;
  for (int i = 1; i <= jmax; ++i) {
    tp[i] = tp[i - 1] * t;
    sp[i] = sp[i - 1] * s;
  }
  for (int j = 0; j <= jmax; ++j) {
    double sum = 0.0, abs = 0.0;
    for (int i = 0; i <= j; ++i) {
      const double term = kBinom[j][i] * tp[j - i] * sp[i] * T[i];
      sum += term;
      abs += std::fabs(term);
    }
    U[j] = sum;
    Uabs[j] = abs;
  }
}

// L_j = E[y^j 1{y < t}] (mirror of the above: y → −y).
void lower_partial_moments(double t, double m, double s, int jmax, double* L, double* Labs) {
  upper_partial_moments(-t, -m, s, jmax, L, Labs);
  for (int j = 1; j <= jmax; j += 2) L[j] = -L[j];
}

// E[y^j sgn(y)], j = 0..jmax: s^j S_j(μ), μ = m/s, with S_0 = erf(μ/√2), S_1 = μ S_0 + 2 pdf(μ),
// S_j = μ S_(j−1) + (j−1) S_(j−2) (Stein), run at |μ| so all terms are positive, and
// S_j(−μ) = (−1)^(j+1) S_j(μ). E[sgn(y)] = erf(m/(s√2)) directly, never 1 − 2Q.
void sign_moments(double m, double s, int jmax, double* out) {
  const double mu = m / s;
  if (std::fabs(mu) >= kTailCut) {
    gaussian_raw_moments(m, s, jmax, out);
    if (m < 0)
      for (int j = 0; j <= jmax; ++j) out[j] = -out[j];
    return;
  }
  const double am = std::fabs(mu);
  double S[kArr];
  S[0] = erf(am * kSqrtHalf);
  if (jmax >= 1) S[1] = am * S[0] + 2.0 * pdf(am);
  for (int j = 2; j <= jmax; ++j) S[j] = am * S[j - 1] + (j - 1) * S[j - 2];
  double sp = 1.0;
  for (int j = 0; j <= jmax; ++j) {
    const bool flip = mu < 0 && j % 2 == 0;  // (−1)^(j+1) for μ < 0
    out[j] = (flip ? -S[j] : S[j]) * sp;
    sp *= s;
  }
}

// E[δ^(r)(y − t)] = He_r(a) pdf(a) / s^(r+1) for r = 0..rmax, a = (t − m)/s.
void dirac_terms(double a, double s, int rmax, double* out) {
  double he[kArr];
  const double p = pdf(a);
  hermite_he_all(rmax, a, he);
  double sp = s;
  for (int r = 0; r <= rmax; ++r) {
    out[r] = ratio_sat(he[r] * p, sp);
    sp *= s;
  }
}

// Chooses, among algebraically equal forms, the one with the smallest Σ|terms|.
struct Pick {
  double value = 0.0, abs = INFINITY;
  void offer(double v, double a) {
    if (a < abs) {
      value = v;
      abs = a;
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Kinked activations (closed form)

// E[y^n φ(y)], n = 0..nmax, for relu, leaky_relu, jump_relu, identity. With j = n + 1,
// U = E[y^j 1{y > t}], L = E[y^j 1{y < t}], M = E[y^j] (M = U + L).
void poly_kinked(const Activation& act, int nmax, double m, double s, double* out) {
  const int jmax = nmax + 1;
  double M[kArr + 1];
  gaussian_raw_moments(m, s, jmax, M);
  if (act.kind == ActKind::Identity) {
    for (int n = 0; n <= nmax; ++n) out[n] = M[n + 1];
    return;
  }
  double U[kArr + 1], Ua[kArr + 1], L[kArr + 1], La[kArr + 1];
  const double t = act.kind == ActKind::JumpRelu ? act.threshold : 0.0;
  upper_partial_moments(t, m, s, jmax, U, Ua);
  if (act.kind == ActKind::Relu || (act.kind == ActKind::JumpRelu && t >= 0)) {
    for (int n = 0; n <= nmax; ++n) out[n] = U[n + 1];  // every term ≥ 0
    return;
  }
  lower_partial_moments(t, m, s, jmax, L, La);
  for (int n = 0; n <= nmax; ++n) {
    const int j = n + 1;
    Pick pk;
    if (act.kind == ActKind::JumpRelu) {  // θ < 0: U directly, or M − L (L's terms share a sign)
      pk.offer(U[j], Ua[j]);
      pk.offer(M[j] - L[j], std::fabs(M[j]) + La[j]);
    } else {  // leaky: φ = y·1{y>0} + α y·1{y<0}
      const double al = act.slope;
      pk.offer(U[j] + al * L[j], Ua[j] + std::fabs(al) * La[j]);
      pk.offer(M[j] + (al - 1.0) * L[j], std::fabs(M[j]) + std::fabs(al - 1.0) * La[j]);
      pk.offer(al * M[j] + (1.0 - al) * U[j], std::fabs(al * M[j]) + std::fabs(1.0 - al) * Ua[j]);
    }
    out[n] = pk.value;
  }
}

void kinked_derivs(const Activation& act, int kmax, double m, double s, double* out) {
  double P[1];
  poly_kinked(act, 0, m, s, P);
  out[0] = P[0];
  if (kmax == 0) return;
  if (act.kind == ActKind::Identity) {
    for (int k = 1; k <= kmax; ++k) out[k] = k == 1 ? 1.0 : 0.0;
    return;
  }
  if (act.kind == ActKind::JumpRelu) {
    // φ' = 1{y > θ} + θ δ(y − θ); E[φ^(k)] = pdf(a)(θ He_(k−1)(a) + s He_(k−2)(a)) / s^k, k ≥ 2
    const double th = act.threshold;
    const double a = (th - m) / s;
    const double p = pdf(a);
    out[1] = Q(a) + ratio_sat(th * p, s);
    if (kmax >= 2) {
      double he[kArr];
      hermite_he_all(kmax - 1, a, he);
      double sp = s * s;
      for (int k = 2; k <= kmax; ++k) {
        out[k] = ratio_sat(p * (th * he[k - 1] + s * he[k - 2]), sp);
        sp *= s;
      }
    }
    return;
  }
  const double al = act.kind == ActKind::LeakyRelu ? act.slope : 0.0;
  const double a0 = -m / s;
  const double qu = Q(a0);
  if (al == 0.0) {
    out[1] = qu;
  } else {
    const double ql = Q(-a0);
    Pick pk;
    pk.offer(qu + al * ql, qu + std::fabs(al) * ql);
    pk.offer(al + (1.0 - al) * qu, std::fabs(al) + std::fabs(1.0 - al) * qu);
    pk.offer(1.0 + (al - 1.0) * ql, 1.0 + std::fabs(al - 1.0) * ql);
    out[1] = pk.value;
  }
  if (kmax >= 2) {
    double D[kArr];
    dirac_terms(a0, s, kmax - 2, D);
    for (int k = 2; k <= kmax; ++k) out[k] = saturate((1.0 - al) * D[k - 2]);
  }
}

// ---------------------------------------------------------------------------------------------
// gelu in closed form

void gelu_derivs(int kmax, double m, double s, double* out) {
  const double tau2 = 1.0 + s * s;
  const double tau = std::sqrt(tau2);
  const double b = m / tau;
  const double p = pdf(b);
  double T[3] = {0.0, 0.0, 0.0};
  if (b >= -1.0) {
    out[0] = m * Phi(b) + s * s * p / tau;  // terms of one sign for b ≥ 0, mild cancellation to −1
  } else {
    // E[gelu] = τ T_1(−b) − pdf(b)/τ: m Φ(b) + s² pdf(b)/τ would cancel by a factor ≈ b².
    truncated_moments(-b, 2, T);
    out[0] = tau * T[1] - p / tau;
  }
  if (kmax == 0) return;
  if (b >= -1.0) {
    out[1] = Phi(b) + b * p / tau2;
  } else {
    // Φ(b) = (pdf(b) − T_1(|b|))/|b|, so E[gelu'] = [pdf(b)(τ² − b²)/τ² − T_1(|b|)]/|b| with
    // τ² − b² = (τ² − |m|)(τ² + |m|)/τ²: no cancellation beyond the true zero crossing.
    const double ab = -b, am = std::fabs(m);
    out[1] = (p * ((tau2 - am) * (tau2 + am) / (tau2 * tau2)) - T[1]) / ab;
  }
  if (kmax == 1) return;
  // E[gelu^(k)] = E[pdf^(k−2)(y)] − E[pdf^(k)(y)] = (−1)^k pdf(b)(He_(k−2)(b) − He_k(b)/τ²)/τ^(k−1)
  double he[kArr];
  hermite_he_all(kmax, b, he);
  double tp = tau;
  for (int k = 2; k <= kmax; ++k) {
    const double v = p * (he[k - 2] - he[k] / tau2) / tp;
    out[k] = k % 2 == 0 ? v : -v;
    tp *= tau;
  }
}

// E[y^n gelu(y)] = A_(n+1), A_j = E[y^j Φ(y)], for m ≥ 0 (every term ≥ 0):
// A_0 = Φ(b), A_(j+1) = m A_j + s²(j A_(j−1) + B_j), B_j = E[y^j pdf(y)] = pdf(b)/τ · M_j(m/τ², s/τ).
void gelu_poly_stein(int nmax, double m, double s, double* out) {
  const double tau2 = 1.0 + s * s;
  const double tau = std::sqrt(tau2);
  const double b = m / tau;
  const double c = pdf(b) / tau;
  double B[kArr + 1], A[kArr + 2];
  gaussian_raw_moments(m / tau2, s / tau, nmax, B);
  A[0] = Phi(b);
  const double v = s * s;
  for (int j = 0; j <= nmax; ++j) A[j + 1] = m * A[j] + v * ((j > 0 ? j * A[j - 1] : 0.0) + c * B[j]);
  for (int n = 0; n <= nmax; ++n) out[n] = A[n + 1];
}

// ---------------------------------------------------------------------------------------------
// Near the origin: Taylor series against exact moments

constexpr int kTaylorTerms = 25;
// Taylor coefficients φ^(j)(0)/j!, j = 0..24, of sigmoid, tanh, softplus, swish, gelu (mpmath).
constexpr double kTaylor[5][kTaylorTerms] = {
    {0.5, 0.25, 0, -0.020833333333333332, 0, 0.0020833333333333333, 0, -0.00021081349206349207, 0, 2.1356922398589065e-05, 0, -2.1638758617925286e-06, 0, 2.192460959822071e-07, 0, -2.2214269821950048e-08, 0, 2.250776065618843e-09, 0, -2.2805129455905197e-10, 0, 2.3106427089999797e-11, 0, -2.3411705424378415e-12, 0},  // sigmoid
    {0, 1.0, 0, -0.3333333333333333, 0, 0.13333333333333333, 0, -0.05396825396825397, 0, 0.021869488536155203, 0, -0.008863235529902197, 0, 0.003592128036572481, 0, -0.0014558343870513183, 0, 0.000590027440945586, 0, -0.00023912911424355248, 0, 9.691537956929451e-05, 0, -3.927832388331683e-05, 0},  // tanh
    {0.6931471805599453, 0.5, 0.125, 0, -0.005208333333333333, 0, 0.00034722222222222224, 0, -2.635168650793651e-05, 0, 2.1356922398589067e-06, 0, -1.803229884827107e-07, 0, 1.5660435427300506e-08, 0, -1.388391863871878e-09, 0, 1.250431147566024e-10, 0, -1.1402564727952599e-11, 0, 1.0502921404545363e-12, 0, -9.754877260157674e-14},  // softplus
    {0, 0.5, 0.25, 0, -0.020833333333333332, 0, 0.0020833333333333333, 0, -0.00021081349206349207, 0, 2.1356922398589065e-05, 0, -2.1638758617925286e-06, 0, 2.192460959822071e-07, 0, -2.2214269821950048e-08, 0, 2.250776065618843e-09, 0, -2.2805129455905197e-10, 0, 2.3106427089999797e-11, 0, -2.3411705424378415e-12},  // swish
    {0, 0.5, 0.3989422804014327, 0, -0.06649038006690544, 0, 0.009973557010035817, 0, -0.0011873282154804543, 0, 0.00011543468761615529, 0, -9.444656259503615e-06, 0, 6.659693516316651e-07, 0, -4.122667414862689e-08, 0, 2.2735298243728065e-09, 0, -1.1301171641619213e-10, 0, 5.1124347902563106e-12, 0, -2.121761474217046e-13},  // gelu
};

int taylor_row(ActKind kind) {
  switch (kind) {
    case ActKind::Sigmoid:
      return 0;
    case ActKind::Tanh:
      return 1;
    case ActKind::Softplus:
      return 2;
    case ActKind::Swish:
      return 3;
    default:
      return 4;
  }
}

// Narrow Gaussian near the origin, κ(|m| + 12 s) ≤ 0.06: E[y^n φ] = Σ_j a_j E[y^(n+j)] with φ's
// Taylor coefficients a_j at 0 and exact raw moments. The quadrature would sum ± y^n φ(0)-sized
// values to an O(s^(n+1)) result (relative loss ≈ ε/s: 1e-10 at s = 1e-6, m = 0); here every
// term is already of its final size. |y| ≤ 0.06/κ is within 2% of the radius of convergence
// (π/κ; gelu is entire), so 25 terms leave < 1e-40.
void taylor_poly(ActKind kind, int nmax, double m, double s, double* out) {
  const double* a = kTaylor[taylor_row(kind)];
  double M[kArr + kTaylorTerms];
  gaussian_raw_moments(m, s, nmax + kTaylorTerms - 1, M);
  for (int n = 0; n <= nmax; ++n) {
    double sum = 0.0;
    for (int j = kTaylorTerms - 1; j >= 0; --j) sum += a[j] * M[n + j];
    out[n] = sum;
  }
}

// ---------------------------------------------------------------------------------------------
// Regime A: fixed composite Gauss–Legendre rule in z

constexpr double kRegimeA = 0.8;      // κs at or below which the 143-node rule is used
constexpr double kRegimeAFine = 1.6;  // ... the 286-node rule, for derivative orders ≥ 5

constexpr int kGL13Half = 7;
constexpr double kGL13[kGL13Half][2] = {
    {0.0, 0.23255155323087391019},
    {0.23045831595513479407, 0.22628318026289723841},
    {0.44849275103644685288, 0.20781604753688850231},
    {0.64234933944034022064, 0.17814598076194573828},
    {0.80157809073330991279, 0.13887351021978723846},
    {0.91759839922297796521, 0.092121499837728447914},
    {0.98418305471858814947, 0.04048400476531587952},
};
constexpr int kMaxRuleNodes = 22 * 13;

// 13-point Gauss–Legendre on `panels` equal panels covering z ∈ [−11, 11], weights × pdf(z).
struct FixedRule {
  int nodes;
  double z[kMaxRuleNodes];
  double w[kMaxRuleNodes];
  explicit FixedRule(int panels) {
    const double h = 11.0 / panels;  // panel half-width
    int i = 0;
    for (int p = 0; p < panels; ++p) {
      const double c = -11.0 + h * (2 * p + 1);
      for (int j = kGL13Half - 1; j >= 1; --j) {
        z[i] = c - h * kGL13[j][0];
        w[i] = h * kGL13[j][1] * pdf(z[i]);
        ++i;
      }
      for (int j = 0; j < kGL13Half; ++j) {
        z[i] = c + h * kGL13[j][0];
        w[i] = h * kGL13[j][1] * pdf(z[i]);
        ++i;
      }
    }
    nodes = i;
  }
};

// 143 nodes for κs ≤ 0.8; 286 (panels of width 1: ρ ≥ 9.7 for poles at distance π/1.6) for
// derivatives of order ≥ 5 up to κs = 1.6, where the Stein form's 1/s^k amplifies the He_k
// cancellation (2e-12 at κs = 0.8, k = 6) and 16 points per panel would cost as much.
const FixedRule& coarse_rule() {
  static const FixedRule rule(11);
  return rule;
}
const FixedRule& fine_rule() {
  static const FixedRule rule(22);
  return rule;
}

// The rule's nodes are symmetric (z_(N−1−i) = −z_i exactly), and each mirrored pair is added
// before it joins the sum, so odd integrands at m = 0 give exactly 0.
void regime_a_derivs(const FixedRule& r, ActKind kind, int kmax, double m, double s, double* out) {
  double d1[kArr], d2[kArr];
  for (int k = 0; k <= kmax; ++k) out[k] = 0.0;
  for (int i = 0, j = r.nodes - 1; i <= j; ++i, --j) {
    smooth_derivs(kind, m + s * r.z[i], kmax, d1);
    if (i == j) {
      for (int k = 0; k <= kmax; ++k) out[k] += r.w[i] * d1[k];
    } else {
      smooth_derivs(kind, m + s * r.z[j], kmax, d2);
      for (int k = 0; k <= kmax; ++k) out[k] += r.w[i] * (d1[k] + d2[k]);
    }
  }
}

void regime_a_poly(ActKind kind, int nmax, double m, double s, double* out) {
  const FixedRule& r = coarse_rule();
  double d[1];
  for (int n = 0; n <= nmax; ++n) out[n] = 0.0;
  for (int i = 0, j = r.nodes - 1; i <= j; ++i, --j) {
    const double y1 = m + s * r.z[i], y2 = m + s * r.z[j];
    smooth_derivs(kind, y1, 0, d);
    double t1 = d[0];
    smooth_derivs(kind, y2, 0, d);
    double t2 = i == j ? 0.0 : d[0];
    for (int n = 0; n <= nmax; ++n) {
      out[n] += r.w[i] * (t1 + t2);
      t1 *= y1;
      t2 *= y2;
    }
  }
}

// tanh moments when |m| ≤ s: for even n, y^n tanh(y) is odd, so E[y^n tanh] is a small
// difference of large values (≈ m/s of them). The rule's nodes are symmetric, so
// Σ w h(m + x) = ½ Σ w [h(x + m) − h(x − m)] and the difference is formed analytically:
// (x+m)^n − (x−m)^n = 2 Σ_(i odd) C(n,i) x^(n−i) m^i and
// tanh(x+m) − tanh(x−m) = sinh(2m)/(cosh(x+m) cosh(x−m)). m = 0 gives exactly 0.
void regime_a_tanh_poly_sym(int nmax, double m, double s, double* out) {
  const FixedRule& r = coarse_rule();
  for (int n = 0; n <= nmax; ++n) out[n] = 0.0;
  const double sh2m = std::sinh(2.0 * m);
  double xp[kArr], mp[kArr];
  for (int i = 0; i < r.nodes; ++i) {
    const double x = s * r.z[i];
    const double tp = tanh_value(x + m), tm = tanh_value(x - m);
    const double dt = sh2m / (std::cosh(x + m) * std::cosh(x - m));
    xp[0] = mp[0] = 1.0;
    for (int j = 1; j <= nmax; ++j) {
      xp[j] = xp[j - 1] * x;
      mp[j] = mp[j - 1] * m;
    }
    double yp = 1.0, ym = 1.0;  // (x+m)^n, (x−m)^n
    for (int n = 0; n <= nmax; ++n) {
      double d;
      if (n % 2 == 0) {
        double an = 0.0;
        for (int j = 1; j <= n; j += 2) an += kBinom[n][j] * xp[n - j] * mp[j];
        d = 2.0 * an * tp + ym * dt;
      } else {
        d = yp * tp + ym * tm;  // even integrand: h(m + x) + h(m − x) = h(x + m) + h(x − m)
      }
      out[n] += 0.5 * r.w[i] * d;
      yp *= x + m;
      ym *= x - m;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Regime B: closed-form piecewise part + Gauss–Legendre panels on the localized correction

constexpr int kGL16Half = 8;
constexpr double kGL16[kGL16Half][2] = {
    {0.095012509837637440185, 0.18945061045506849629},
    {0.28160355077925891323, 0.18260341504492358887},
    {0.45801677765722738634, 0.16915651939500253819},
    {0.61787624440264374845, 0.14959598881657673208},
    {0.7554044083550030339, 0.12462897125553387205},
    {0.86563120238783174388, 0.09515851168249278481},
    {0.94457502307323257608, 0.062253523938647892863},
    {0.9894009349916499326, 0.027152459411754094852},
};
constexpr int kMaxComp = kArr;
constexpr double kGL8[4][2] = {
    {0.18343464249564980494, 0.36268378337836198297},
    {0.52553240991632898582, 0.31370664587788728734},
    {0.79666647741362673959, 0.22238103445337447054},
    {0.96028985649753623168, 0.10122853629037625915},
};
constexpr double kGL12[6][2] = {
    {0.12523340851146891547, 0.249147045813402785},
    {0.36783149899818019375, 0.23349253653835480876},
    {0.5873179542866174473, 0.20316742672306592175},
    {0.76990267419430468704, 0.16007832854334622633},
    {0.90411725637047485668, 0.10693932599531843096},
    {0.98156063424671925069, 0.047175336386511827195},
};

constexpr int kDerivMode = 0, kPolyMode = 1, kFoldMode = 2;

// The localized correction g(y) of each smooth activation.
template <ActKind K>
inline double correction_g(double y) {
  const double ay = std::fabs(y);
  if constexpr (K == ActKind::Sigmoid) {
    const double e = std::exp(-ay);
    const double u = e / (1.0 + e);
    return y > 0 ? -u : u;
  } else if constexpr (K == ActKind::Tanh) {
    const double e = std::exp(-2.0 * ay);
    const double u = 2.0 * e / (1.0 + e);
    return y > 0 ? -u : u;
  } else if constexpr (K == ActKind::Softplus) {
    return std::log1p(std::exp(-ay));
  } else if constexpr (K == ActKind::Swish) {
    const double e = std::exp(-ay);
    return -ay * (e / (1.0 + e));
  } else {  // Gelu
    return -ay * Q(ay);
  }
}

// Parameters of the integrand built from g (templated on the activation only so the hot loop has
// no switch; the arithmetic is that of lib/js/integrals.ts's Correction class).
struct Correction {
  ActKind kind;
  double m, s;
  int nc;         // components
  int mode;       // kDerivMode: g He_k(z) pdf(z); kPolyMode: y^n g pdf(z); kFoldMode: see below
  double kappa;   // decay rate of g in |y| (0 for gelu's Gaussian decay)
  double gauss;   // coefficient A of −A y² in log g (1/2 for gelu)
};

template <ActKind K>
inline void correction_eval(const Correction& c, double y, double* f) {
  const double m = c.m, s = c.s;
  const int nc = c.nc;
  if (c.mode == kFoldMode) {
    // tanh, both sides folded onto u = y > 0: s·[y^n g(y) G(y) + (−y)^n g(−y) G(−y)] =
    // −2 y^n σ(−2y)·2 e^(−(y²+m²)/(2s²))/√(2π)·(sinh or cosh)(y m/s²), n even or odd.
    const double e = std::exp(-2.0 * y);
    const double base = -4.0 * (e / (1.0 + e)) * kInvSqrt2Pi * std::exp(-(y * y + m * m) / (2.0 * s * s));
    const double q = y * m / (s * s);
    const double sh = base * std::sinh(q), ch = base * std::cosh(q);
    double t = 1.0;
    for (int n = 0; n < nc; ++n) {
      f[n] = t * (n % 2 == 0 ? sh : ch);
      t *= y;
    }
    return;
  }
  const double z = (y - m) / s;
  const double w = correction_g<K>(y) * pdf_fast(z);
  if (c.mode == kPolyMode) {
    double t = w;
    for (int n = 0; n < nc; ++n) {
      f[n] = t;
      t *= y;
    }
  } else {
    f[0] = w;
    if (nc > 1) f[1] = w * z;
    double h0 = 1.0, h1 = z;
    for (int k = 2; k < nc; ++k) {
      const double h2 = z * h1 - (k - 1) * h0;
      f[k] = w * h2;
      h0 = h1;
      h1 = h2;
    }
  }
}

// N-point Gauss–Legendre (N = 8, 12, 16; table `tab` of its nodes x ≥ 0) on u ∈ [ulo, uhi] at
// y = side·u, accumulated into acc[0..nc−1] in ascending u, so the two sides of the kink are
// summed in mirrored order.
template <ActKind K, int N>
void gauss_legendre_panel(const Correction& c, double ulo, double uhi, double side, const double (*tab)[2],
                          double* acc) {
  const double mid = 0.5 * (ulo + uhi), h = 0.5 * (uhi - ulo);
  double f[kMaxComp];
  for (int j = N / 2 - 1; j >= 0; --j) {
    correction_eval<K>(c, side * (mid - h * tab[j][0]), f);
    for (int k = 0; k < c.nc; ++k) acc[k] += h * tab[j][1] * f[k];
  }
  for (int j = 0; j < N / 2; ++j) {
    correction_eval<K>(c, side * (mid + h * tab[j][0]), f);
    for (int k = 0; k < c.nc; ++k) acc[k] += h * tab[j][1] * f[k];
  }
}

template <ActKind K>
void gauss_legendre_panel(const Correction& c, double ulo, double uhi, double side, int order, double* acc) {
  if (order == 16) {
    gauss_legendre_panel<K, 16>(c, ulo, uhi, side, kGL16, acc);
  } else if (order == 12) {
    gauss_legendre_panel<K, 12>(c, ulo, uhi, side, kGL12, acc);
  } else {
    gauss_legendre_panel<K, 8>(c, ulo, uhi, side, kGL8, acc);
  }
}

// The log of the modelled integrand on one side, exp(−A u² − κ u − (u − mu)²/(2s²)), u = ±y ≥ 0.
struct SideModel {
  double c2, uv, up, hmax;  // curvature, unconstrained and constrained peak, log-peak
};

SideModel side_model(const Correction& c, double mu) {
  SideModel sm;
  const double s = c.s;
  sm.c2 = c.gauss + 0.5 / (s * s);
  sm.uv = (mu / (s * s) - c.kappa) / (2.0 * sm.c2);
  sm.up = sm.uv > 0 ? sm.uv : 0.0;
  const double d = sm.up - mu;
  sm.hmax = -c.gauss * sm.up * sm.up - c.kappa * sm.up - d * d / (2.0 * s * s);
  return sm;
}

// Panels of one side of the kink, in u = ±y ≥ 0 with mean mu = ±m: breakpoints to pts (ascending;
// returns their count, 0 if the side is negligible) and a Gauss–Legendre order per panel to ord.
// The panels cover where the model is within e^(−40 − 2.5·components) of its peak on the side.
// From the kink their widths double, 1, 2, 4, ... (/κ), so the poles of σ(−κu) at u = ±iπ/κ keep
// every panel's Bernstein ellipse parameter ≥ 5.8 (16 points: error < ρ^(−32) ≈ 4e-25); no panel
// is wider than 6/κ (e^(−κu) varies by ≤ e^6 across it) or 2.5 standard deviations of the
// modelled Gaussian. In the derivative mode a panel whose modelled size (allowing (|z|+1)^k for
// He_k) is below e^(−11) of the larger side's peak gets 12 points, below e^(−28) 8 points (16
// points would be wasted there: the error budget is relative to the whole integral).
int side_breakpoints(const Correction& c, double mu, double href, double* pts, int* ord) {
  const double s = c.s, kap = c.kappa, A = c.gauss;
  const SideModel sm = side_model(c, mu);
  const double c2 = sm.c2, uv = sm.uv, up = sm.up;
  if (sm.hmax < -760.0) return 0;  // exp underflows on the whole side
  const double D = 40.0 + 2.5 * c.nc;
  const double beta = 2.0 * c2 * (up - uv);
  const double hi = up + 2.0 * D / (beta + std::sqrt(beta * beta + 4.0 * c2 * D));
  double lo = 0.0;
  if (up > 0) {
    lo = up - std::sqrt(D / c2);
    if (lo < 0) lo = 0.0;
  }
  const double unit = kap > 0 ? 1.0 / kap : 1.0;
  double width = 2.5 / std::sqrt(2.0 * c2);
  if (width > 6.0 * unit) width = 6.0 * unit;
  int n = 0;
  pts[n++] = lo;
  double step = lo == 0.0 ? unit : width;
  double x = lo;
  while (n < 60) {
    if (step > width) step = width;
    if (x + 1.25 * step >= hi) break;
    x += step;
    pts[n++] = x;
    step *= 2.0;
  }
  pts[n++] = hi;
  for (int i = 0; i + 1 < n; ++i) {
    int o = 16;
    if (c.mode == kDerivMode) {
      const double un = pts[i + 1] <= up ? pts[i + 1] : (pts[i] >= up ? pts[i] : up);  // nearest the peak
      const double uf = pts[i] >= up ? pts[i + 1] : pts[i];                             // farthest
      const double dn = un - mu;
      const double hn = -A * un * un - kap * un - dn * dn / (2.0 * s * s);
      const double delta = href - hn - (c.nc - 1) * std::log1p(std::fabs(uf - mu) / s);
      o = delta >= 28.0 ? 8 : (delta >= 11.0 ? 12 : 16);
    }
    ord[i] = o;
  }
  return n;
}

// ∫ integrand dy over both sides of the kink at 0 (or y > 0 only for the folded tanh moments).
// Each side is summed on its own in mirrored order and the two added last, so an odd integrand
// at m = 0 gives exactly 0.
template <ActKind K>
void correction_integral_t(const Correction& c, double* val) {
  double minus[kMaxComp], plus[kMaxComp];
  for (int k = 0; k < c.nc; ++k) minus[k] = plus[k] = 0.0;
  double pts[64];
  int ord[64];
  const bool fold = c.mode == kFoldMode;
  const double mup = fold ? std::fabs(c.m) : c.m;
  double href = side_model(c, mup).hmax;
  if (!fold) {
    const double hm = side_model(c, -c.m).hmax;
    if (hm > href) href = hm;
    const int n = side_breakpoints(c, -c.m, href, pts, ord);
    for (int i = 0; i + 1 < n; ++i) gauss_legendre_panel<K>(c, pts[i], pts[i + 1], -1.0, ord[i], minus);
  }
  const int n = side_breakpoints(c, mup, href, pts, ord);
  for (int i = 0; i + 1 < n; ++i) gauss_legendre_panel<K>(c, pts[i], pts[i + 1], 1.0, ord[i], plus);
  for (int k = 0; k < c.nc; ++k) val[k] = minus[k] + plus[k];
}

void correction_integral(const Correction& c, double* val) {
  switch (c.kind) {
    case ActKind::Sigmoid:
      return correction_integral_t<ActKind::Sigmoid>(c, val);
    case ActKind::Tanh:
      return correction_integral_t<ActKind::Tanh>(c, val);
    case ActKind::Softplus:
      return correction_integral_t<ActKind::Softplus>(c, val);
    case ActKind::Swish:
      return correction_integral_t<ActKind::Swish>(c, val);
    default:
      return correction_integral_t<ActKind::Gelu>(c, val);
  }
}

double kappa_of(ActKind kind) { return kind == ActKind::Tanh ? 2.0 : (kind == ActKind::Gelu ? 0.0 : 1.0); }
void regime_b_derivs(ActKind kind, int kmax, double m, double s, double* out) {
  const double a0 = -m / s;
  double C[kMaxComp];
  // E[P He_k(z)] for P = step (sigmoid), sign (tanh), relu (softplus, swish)
  const double p = pdf(a0);
  double he[kArr];
  hermite_he_all(kmax, a0, he);
  if (kind == ActKind::Sigmoid || kind == ActKind::Tanh) {
    const double f = kind == ActKind::Tanh ? 2.0 : 1.0;
    C[0] = kind == ActKind::Tanh ? erf((m / s) * kSqrtHalf) : Q(a0);
    for (int k = 1; k <= kmax; ++k) C[k] = f * he[k - 1] * p;
  } else {
    double T[2];
    truncated_moments(a0, 1, T);
    C[0] = s * T[1];
    if (kmax >= 1) C[1] = s * T[0];
    for (int k = 2; k <= kmax; ++k) C[k] = s * he[k - 2] * p;
  }
  Correction c{kind, m, s, kmax + 1, kDerivMode, kappa_of(kind), kind == ActKind::Gelu ? 0.5 : 0.0};
  double I[kMaxComp];
  correction_integral(c, I);
  double sk = 1.0;
  for (int k = 0; k <= kmax; ++k) {
    out[k] = (C[k] + I[k] / s) / sk;
    sk *= s;
  }
}

void regime_b_poly(ActKind kind, int nmax, double m, double s, double* out) {
  double C[kMaxComp + 1], Ca[kMaxComp + 1];
  if (kind == ActKind::Sigmoid) {
    upper_partial_moments(0.0, m, s, nmax, C, Ca);
  } else if (kind == ActKind::Tanh) {
    sign_moments(m, s, nmax, C);
  } else {
    upper_partial_moments(0.0, m, s, nmax + 1, Ca, C);  // relu part: E[y^(n+1) 1{y>0}]
    for (int n = 0; n <= nmax; ++n) C[n] = Ca[n + 1];
  }
  const bool fold = kind == ActKind::Tanh && std::fabs(m) <= s;
  Correction c{kind, m, s, nmax + 1, fold ? kFoldMode : kPolyMode, kappa_of(kind),
               kind == ActKind::Gelu ? 0.5 : 0.0};
  double I[kMaxComp];
  correction_integral(c, I);
  for (int n = 0; n <= nmax; ++n) out[n] = C[n] + I[n] / s;
}

double kappa_regime(ActKind kind) { return kind == ActKind::Tanh ? 2.0 : 1.0; }

void point_derivs(const Activation& act, int kmax, double m, double* out) {
  if (is_smooth(act.kind)) {
    smooth_derivs(act.kind, m, kmax, out);
  } else {
    for (int k = 0; k <= kmax; ++k) out[k] = kinked_deriv(act, k, m);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public API

double activate(const Activation& act, double y) { return activate_deriv(act, 0, y); }

double activate_deriv(const Activation& act, int k, double y) {
  check_activation(act);
  check_order("k", k, kMaxDerivOrder);
  double d[kArr] = {};
  point_derivs(act, k, y, d);
  return d[k];
}

void deriv_evs(const Activation& act, int kmax, double m, double s, double* out) {
  check_activation(act);
  check_order("kmax", kmax, kMaxDerivOrder);
  check_gaussian(m, s);
  if (s == 0.0) {
    point_derivs(act, kmax, m, out);
    return;
  }
  const ActKind kind = act.kind;
  if (!is_smooth(kind)) {
    kinked_derivs(act, kmax, m, s, out);
  } else if (kind == ActKind::Gelu) {
    gelu_derivs(kmax, m, s, out);
  } else if (kappa_regime(kind) * s <= kRegimeA) {
    regime_a_derivs(coarse_rule(), kind, kmax, m, s, out);
  } else if (kmax >= 5 && kappa_regime(kind) * s <= kRegimeAFine) {
    regime_a_derivs(fine_rule(), kind, kmax, m, s, out);
  } else {
    regime_b_derivs(kind, kmax, m, s, out);
  }
  for (int k = 0; k <= kmax; ++k) out[k] = saturate(out[k]);
}

double deriv_ev(const Activation& act, int k, double m, double s) {
  check_order("k", k, kMaxDerivOrder);
  double out[kArr];
  deriv_evs(act, k, m, s, out);
  return out[k];
}

double ev(const Activation& act, double m, double s) { return deriv_ev(act, 0, m, s); }

void poly_evs(const Activation& act, int nmax, double m, double s, double* out) {
  check_activation(act);
  check_order("nmax", nmax, kMaxPolyOrder);
  check_gaussian(m, s);
  const ActKind kind = act.kind;
  if (s == 0.0) {
    double d[1] = {0.0};
    point_derivs(act, 0, m, d);
    double t = d[0];
    for (int n = 0; n <= nmax; ++n) {
      out[n] = t;
      t *= m;
    }
  } else if (!is_smooth(kind)) {
    poly_kinked(act, nmax, m, s, out);
  } else if (kind == ActKind::Gelu && m >= 0) {
    gelu_poly_stein(nmax, m, s, out);
  } else if (kappa_regime(kind) * (std::fabs(m) + 12.0 * s) <= 0.06) {
    taylor_poly(kind, nmax, m, s, out);
  } else if (kappa_regime(kind) * s <= kRegimeA) {
    if (kind == ActKind::Tanh && std::fabs(m) <= s) {
      regime_a_tanh_poly_sym(nmax, m, s, out);
    } else {
      regime_a_poly(kind, nmax, m, s, out);
    }
  } else {
    regime_b_poly(kind, nmax, m, s, out);
  }
  for (int n = 0; n <= nmax; ++n) out[n] = saturate(out[n]);
}

double poly_ev(const Activation& act, int n, double m, double s) {
  check_order("n", n, kMaxPolyOrder);
  double out[kArr];
  poly_evs(act, n, m, s, out);
  return out[n];
}

}  // namespace polyapprox
