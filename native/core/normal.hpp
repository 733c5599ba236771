// The standard normal distribution as the Gaussian integrals need it: density `pdf`, CDF `Phi`,
// upper tail `Q`, erf/erfc, probabilists' Hermite polynomials He_k, raw Gaussian moments, and
// the truncated moments T_j(a) = ∫_a^∞ (z − a)^j pdf(z) dz from which every closed form in
// integrals.cpp is built. lib/js/normal.ts mirrors each function (same names in camelCase, same
// constants, same branch points); only erf/erfc differ in implementation (libm here, a
// hand-written double-precision version there), so the two backends agree to a few ulps.
#pragma once
#include <cmath>

namespace polyapprox {

constexpr double kInvSqrt2Pi = 0.3989422804014327;   // 1/sqrt(2π)
constexpr double kSqrtHalf = 0.7071067811865476;     // 1/sqrt(2), rounded to double
constexpr double kSqrtHalfLo = -4.8336466567264565e-17;  // 1/sqrt(2) − kSqrtHalf
constexpr double kSqrt2 = 1.4142135623730951;

// Beyond this many standard deviations the normal density underflows (pdf(38.6) ≈ 5e-324), so
// tail quantities are exactly 0 (or the full-line value) in double precision.
constexpr double kTailCut = 39.0;

inline double erf(double x) { return std::erf(x); }
inline double erfc(double x) { return std::erfc(x); }

// Veltkamp/Dekker: the rounding error of a*b, exactly (|a|, |b| well inside the double range).
// No FMA, so the TypeScript mirror computes the same bits.
inline double two_prod_err(double a, double b) {
  const double p = a * b;
  const double ca = 134217729.0 * a, cb = 134217729.0 * b;
  const double ah = ca - (ca - a), al = a - ah;
  const double bh = cb - (cb - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

// Standard normal density with full relative accuracy: exp(−x²/2) loses |x|²·ε to the rounding
// of x², so x is split into a 24-bit head (head² is exact) and a tail, as fdlibm's erfc does.
inline double pdf(double x) {
  x = std::fabs(x);
  if (!(x < kTailCut)) return x == x ? 0.0 : x;
  const double hi = static_cast<double>(static_cast<float>(x));
  const double lo = x - hi;
  return kInvSqrt2Pi * std::exp(-0.5 * hi * hi) * std::exp(-0.5 * lo * (x + hi));
}

// pdf with one exp and no split, for quadrature nodes whose abscissae carry a relative rounding
// error of their own (the split would buy nothing there).
inline double pdf_fast(double z) { return kInvSqrt2Pi * std::exp(-0.5 * z * z); }

// Upper tail Q(x) = P(Z > x) = erfc(x/√2)/2. The product x·(1/√2) is rounded, which costs a
// relative error ≈ x²ε in the tail; for x > 1 that rounding (computed exactly) is removed to first
// order with erfc'(t) = −(2/√π)e^{−t²} = −2√2·pdf(x).
inline double Q(double x) {
  const double t = x * kSqrtHalf;
  double q = 0.5 * erfc(t);
  if (x > 1.0 && x < kTailCut) {
    const double d = two_prod_err(x, kSqrtHalf) + x * kSqrtHalfLo;  // x/√2 − t
    q -= kSqrt2 * d * pdf(x);
  }
  return q;
}

// Standard normal CDF Φ(x) = Q(−x).
inline double Phi(double x) { return Q(-x); }

// Probabilists' Hermite polynomial He_k(x) (He_0 = 1, He_1 = x, He_{j+1} = x He_j − j He_{j−1}).
inline double hermite_he(int k, double x) {
  if (k <= 0) return 1.0;
  double h0 = 1.0, h1 = x;
  for (int j = 1; j < k; ++j) {
    const double h2 = x * h1 - j * h0;
    h0 = h1;
    h1 = h2;
  }
  return h1;
}

// He_0..He_kmax at x into out[0..kmax].
inline void hermite_he_all(int kmax, double x, double* out) {
  out[0] = 1.0;
  if (kmax >= 1) out[1] = x;
  for (int j = 1; j < kmax; ++j) out[j + 1] = x * out[j] - j * out[j - 1];
}

// Raw moments M_j = E[y^j], y ~ N(m, s²), j = 0..jmax, by Stein's recursion
// M_j = m M_{j−1} + (j−1) s² M_{j−2}. Every term has the sign of m^j, so there is no cancellation.
inline void gaussian_raw_moments(double m, double s, int jmax, double* M) {
  M[0] = 1.0;
  if (jmax >= 1) M[1] = m;
  const double v = s * s;
  for (int j = 2; j <= jmax; ++j) M[j] = m * M[j - 1] + (j - 1) * v * M[j - 2];
}

// Truncated moments T_j(a) = ∫_a^∞ (z − a)^j pdf(z) dz = E[(z − a)^j 1{z > a}], j = 0..jmax.
// They satisfy T_j = (j−1) T_{j−2} − a T_{j−1}, T_0 = Q(a), T_1 = pdf(a) − a Q(a).
// - a ≤ 1 (or jmax ≤ 1): that forward recursion; for a ≤ 0 every term is positive, and up to
//   a = 1 it loses at most 2e-14 relative by j = 9 (measured).
// - a > 1: T_j is the recessive solution, so forward recursion cancels (2e-12 at a = 2, j = 9).
//   Instead the ratios r_j = T_j/T_{j−1} come from the continued fraction r_j = j/(a + r_{j+1})
//   run backward from depth N (Miller), and T_0 = pdf(a)/(a + r_1) (the Mills-ratio CF), so no
//   erfc is needed and the deep tail keeps full relative accuracy. Errors in the starting guess
//   shrink by ≈ exp(−2a√N) over the run; N = 20 + 280/a^1.5 exceeds the depth measured to reach
//   4e-16 for j ≤ 9 at every a > 1 (281 at a = 1.01, 106 at 2, 38 at 5, 17 at 20).
// a > kTailCut gives zeros (underflow); a < −kTailCut is fine for the forward branch but T_j
// grows like |a|^j, so callers switch to full-line moments there.
inline void truncated_moments(double a, int jmax, double* T) {
  if (!(a < kTailCut)) {
    for (int j = 0; j <= jmax; ++j) T[j] = 0.0;
    return;
  }
  if (a <= 1.0 || jmax <= 1) {
    const double q = Q(a);
    T[0] = q;
    if (jmax >= 1) T[1] = pdf(a) - a * q;
    for (int j = 2; j <= jmax; ++j) T[j] = (j - 1) * T[j - 2] - a * T[j - 1];
    return;
  }
  const int n = 20 + static_cast<int>(280.0 / (a * std::sqrt(a)));
  double r = 0.5 * (std::sqrt(a * a + 4.0 * (n + 1)) - a);  // fixed point of r = j/(a + r)
  double ratio[16];
  for (int j = n; j >= 1; --j) {
    r = j / (a + r);
    if (j <= jmax) ratio[j] = r;
  }
  T[0] = pdf(a) / (a + r);
  for (int j = 1; j <= jmax; ++j) T[j] = T[j - 1] * ratio[j];
}

}  // namespace polyapprox
