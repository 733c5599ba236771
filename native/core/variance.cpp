// Analytic variance explained per Hermite degree (DESIGN §3.2). Every step mirrors
// lib/js/variance.ts.
#include "variance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "integrals.hpp"
#include "normal.hpp"

namespace polyapprox {

namespace {
constexpr double kPi = 3.141592653589793;
constexpr double kTwoPi = 6.283185307179586;
constexpr double kSqrtTwoPi = 2.5066282746310002;
constexpr double kInf = std::numeric_limits<double>::infinity();

size_t idx(long i, long j, long cols) { return static_cast<size_t>(i * cols + j); }

double clamp_unit(double r) { return r > 1.0 ? 1.0 : (r < -1.0 ? -1.0 : r); }

// Gauss–Legendre rules on [−1, 1] with 6, 12 and 20 points (positive half: node, weight).
constexpr int kGlHalf[3] = {3, 6, 10};
constexpr double kGlNode[3][10] = {
    {0.9324695142031522, 0.6612093864662647, 0.2386191860831970},
    {0.9815606342467191, 0.9041172563704750, 0.7699026741943050, 0.5873179542866171, 0.3678314989981802,
     0.1252334085114692},
    {0.9931285991850949, 0.9639719272779138, 0.9122344282513259, 0.8391169718222188, 0.7463319064601508,
     0.6360536807265150, 0.5108670019508271, 0.3737060887154196, 0.2277858511416451, 0.07652652113349733}};
constexpr double kGlWeight[3][10] = {
    {0.1713244923791705, 0.3607615730481384, 0.4679139345726904},
    {0.04717533638651177, 0.1069393259953183, 0.1600783285433464, 0.2031674267230659, 0.2334925365383547,
     0.2491470458134029},
    {0.01761400713915212, 0.04060142980038694, 0.06267204833410906, 0.08327674157670475, 0.1019301198172404,
     0.1181945319615184, 0.1316886384491766, 0.1420961093183821, 0.1491729864726037, 0.1527533871307259}};

// Gauss–Kronrod 7/15 (QUADPACK qk15): Kronrod nodes in decreasing order, the Gauss nodes are the
// odd-indexed ones (and 0).
constexpr double kGkNode[8] = {0.991455371120812639, 0.949107912342758525, 0.864864423359769073, 0.741531185599394440,
                               0.586087235467691130, 0.405845151377397167, 0.207784955007898468, 0.0};
constexpr double kGkWeight[8] = {0.022935322010529225, 0.063092092629978553, 0.104790010322250184,
                                 0.140653259715525919, 0.169004726639267903, 0.190350578064785410,
                                 0.204432940075298892, 0.209482141084727828};
constexpr double kGaussWeight[4] = {0.129484966168869693, 0.279705391489276668, 0.381830050505118945,
                                    0.417959183673469388};

// The standardized variable z runs over [−kZ, kZ]: beyond 12 the Gaussian weight (even its
// square root, which bounds the normalized Hermite functions by Cramér's inequality) is below
// 2e-16 of its peak.
constexpr double kZ = 12.0;
constexpr int kMaxPanels = 400;

// Global adaptive Gauss–Kronrod 7/15 of a scalar f over [breaks.front(), breaks.back()], the
// breaks (and pieces no wider than max_width) as initial panels: the panel with the largest
// |K15 − G7| is bisected until the sum of those is ≤ tol or kMaxPanels is reached.
struct Panel {
  double a, b, val, err;
};

template <class F>
Panel gk15(F& f, double a, double b) {
  const double c = 0.5 * (a + b), hw = 0.5 * (b - a);
  double kronrod = 0, gauss = 0;
  for (int q = 0; q < 8; ++q) {
    const double fz = q == 7 ? f(c) : f(c - hw * kGkNode[q]) + f(c + hw * kGkNode[q]);
    kronrod += kGkWeight[q] * fz;
    if (q % 2 == 1) gauss += kGaussWeight[q / 2] * fz;
  }
  return Panel{a, b, hw * kronrod, hw * std::fabs(kronrod - gauss)};
}

template <class F>
double adaptive_gk(F f, std::vector<double> breaks, double max_width, double tol) {
  std::sort(breaks.begin(), breaks.end());
  std::vector<Panel> panels;
  for (size_t q = 0; q + 1 < breaks.size(); ++q) {
    const double a = breaks[q], b = breaks[q + 1];
    if (!(b > a)) continue;
    const int pieces = std::max(1, static_cast<int>(std::ceil((b - a) / max_width)));
    for (int p = 0; p < pieces; ++p) panels.push_back(gk15(f, a + (b - a) * p / pieces, a + (b - a) * (p + 1) / pieces));
  }
  while (static_cast<int>(panels.size()) < kMaxPanels) {
    double err = 0, worst = -1;
    size_t at = 0;
    for (size_t q = 0; q < panels.size(); ++q) {
      err += panels[q].err;
      if (panels[q].err > worst) worst = panels[q].err, at = q;
    }
    if (err <= tol) break;
    const double a = panels[at].a, b = panels[at].b, mid = 0.5 * (a + b);
    if (!(mid > a && mid < b)) break;  // no room left to bisect
    panels[at] = gk15(f, a, mid);
    panels.push_back(gk15(f, mid, b));
  }
  double total = 0;
  for (const Panel& p : panels) total += p.val;
  return total;
}

void add_break(std::vector<double>& breaks, double z) {
  if (std::isfinite(z) && z > -kZ && z < kZ) breaks.push_back(z);
}

// Breakpoints at c and c ± δ·2^j up to the initial panel width: a feature of width δ at a panel
// edge is otherwise invisible to both rules of the pair (the nodes nearest an edge sit
// 0.0043·width from it) and the error estimate would pass it by.
void add_feature(std::vector<double>& breaks, double c, double delta, double max_width) {
  add_break(breaks, c);
  if (!std::isfinite(c) || !(delta > 0)) return;
  for (double d = std::max(delta, 1e-9); d < max_width; d *= 2) add_break(breaks, c - d), add_break(breaks, c + d);
}

// Where the activation bends or jumps.
double bend_center(const Activation& act) { return act.kind == ActKind::JumpRelu ? act.threshold : 0.0; }

// The width (in y) over which the activation bends: the scale of its smooth transition.
double bend_width(ActKind kind) {
  switch (kind) {
    case ActKind::Sigmoid: case ActKind::Swish: case ActKind::Softplus: return 1.0;
    case ActKind::Tanh: return 0.5;
    default: return 0.0;  // kinks: exact breakpoints suffice
  }
}
}  // namespace

// ---- Bivariate normal CDF ---------------------------------------------------------------------

double bivariate_normal_upper(double h, double k, double r) {
  if (std::isnan(h) || std::isnan(k) || std::isnan(r)) return std::numeric_limits<double>::quiet_NaN();
  if (h == kInf || k == kInf) return 0.0;
  if (h == -kInf) return k == -kInf ? 1.0 : Q(k);
  if (k == -kInf) return Q(h);
  r = clamp_unit(r);
  const double ar = std::fabs(r);
  const int g = ar < 0.3 ? 0 : (ar < 0.75 ? 1 : 2);
  const int n = kGlHalf[g];
  const double* x = kGlNode[g];
  const double* w = kGlWeight[g];
  double hk = h * k, bvn = 0;
  if (ar < 0.925) {
    // P = Q(h)Q(k) + (1/2π) ∫_0^{asin r} exp(E(θ)) dθ, E(θ) = (hk sin θ − (h² + k²)/2)/cos² θ.
    // Genz's 6/12/20-point rules are accurate to ~1e-16 absolute, but in the tails (large
    // h, k) exp(E) is sharply peaked and their relative error reaches 1e-3, which matters here:
    // rarely active units have P ~ Q(h)Q(k) ≪ 1. So the rule follows the shape of E: its range
    // (ends, and the interior maximum at sin θ = min(|h|,|k|)/max(|h|,|k|)) and its width
    // (E ≈ −hs(1 + θ²) + hk θ: a Gaussian in θ of standard deviation 1/√(2 hs)). Genz's rule
    // while both are small, else 20-point panels, one per 4 units of range or of widths.
    const double hs = 0.5 * (h * h + k * k), asr = std::asin(r);
    auto E = [&](double sn) { return (sn * hk - hs) / ((1.0 - sn) * (1.0 + sn)); };
    double lo = std::min(E(0.0), E(r)), hi = std::max(E(0.0), E(r));
    if (hk != 0) {
      const double sstar = std::min(std::fabs(h), std::fabs(k)) / std::max(std::fabs(h), std::fabs(k));
      const double sn = std::copysign(sstar, hk);
      if ((r > 0 && sn > 0 && sn < r) || (r < 0 && sn < 0 && sn > r)) lo = std::min(lo, E(sn)), hi = std::max(hi, E(sn));
    }
    const double range = hi - lo, widths = std::fabs(asr) * std::sqrt(2.0 * hs);
    const bool genz = range <= 0.25 && widths <= 0.25;
    const int panels = genz ? 1 : static_cast<int>(std::ceil(std::max(range, widths) / 4.0));
    const int rule = genz ? g : 2;
    const int nr = kGlHalf[rule];
    for (int p = 0; p < panels; ++p) {
      // Panel p covers θ/asr ∈ [p/panels, (p+1)/panels]: node t ∈ [−1, 1] ↦ (p + (1 + t)/2)/panels.
      for (int i = 0; i < nr; ++i) {
        for (int sgn = -1; sgn <= 1; sgn += 2) {
          const double sn = std::sin(asr * (p + 0.5 * (1.0 + sgn * kGlNode[rule][i])) / panels);
          bvn += kGlWeight[rule][i] * std::exp((sn * hk - hs) / (1.0 - sn * sn));
        }
      }
    }
    return std::min(1.0, std::max(0.0, bvn * asr / (4.0 * kPi * panels) + Q(h) * Q(k)));
  }
  // |r| ≥ 0.925: integrate in x = √(1 − ρ²) from 0 to √(1 − r²) with the singular part of
  // the integrand removed analytically (Genz), so accuracy holds up to |r| = 1.
  if (r < 0) k = -k, hk = -hk;
  if (ar < 1.0) {
    const double as = (1.0 - r) * (1.0 + r);
    double a = std::sqrt(as);
    const double bs = (h - k) * (h - k);
    const double c = (4.0 - hk) / 8.0, d = (12.0 - hk) / 16.0;
    double asr = -0.5 * (bs / as + hk);
    if (asr > -100.0) bvn = a * std::exp(asr) * (1.0 - c * (bs - as) * (1.0 - d * bs / 5.0) / 3.0 + c * d * as * as / 5.0);
    if (hk > -100.0) {
      const double b = std::sqrt(bs);
      bvn -= std::exp(-0.5 * hk) * kSqrtTwoPi * Phi(-b / a) * b * (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0);
    }
    a *= 0.5;
    for (int i = 0; i < n; ++i) {
      for (int sgn = -1; sgn <= 1; sgn += 2) {
        const double xs = (a + a * sgn * x[i]) * (a + a * sgn * x[i]);
        const double rs = std::sqrt(1.0 - xs);
        asr = -0.5 * (bs / xs + hk);
        if (asr > -100.0) {
          const double sp = 1.0 + c * xs * (1.0 + d * xs);
          const double ep = std::exp(-hk * (1.0 - rs) / (2.0 * (1.0 + rs))) / rs;
          bvn += a * w[i] * std::exp(asr) * (ep - sp);
        }
      }
    }
    bvn = -bvn / kTwoPi;
  }
  if (r > 0) bvn += Q(std::max(h, k));
  else bvn = -bvn + std::max(0.0, Q(h) - Q(k));
  return std::min(1.0, std::max(0.0, bvn));
}

double bivariate_normal_cdf(double h, double k, double r) { return bivariate_normal_upper(-h, -k, r); }

// ---- Closed form: φ(y) = λ y + κ y 1{c > 0} ------------------------------------------------------

bool has_piecewise_form(ActKind kind) {
  return kind == ActKind::Relu || kind == ActKind::LeakyRelu || kind == ActKind::JumpRelu ||
         kind == ActKind::Identity || kind == ActKind::Gelu;
}

namespace {
PiecewiseUnit unit_with_orientation(const Activation& act, double m, double s, double sigma) {
  PiecewiseUnit u;
  u.m = m, u.s = s;
  switch (act.kind) {
    case ActKind::Relu: u.kappa = 1; break;
    case ActKind::LeakyRelu: u.lambda = act.slope, u.kappa = 1.0 - act.slope; break;
    case ActKind::JumpRelu: u.kappa = 1, u.theta = act.threshold; break;
    case ActKind::Identity: u.lambda = 1; break;
    case ActKind::Gelu: u.kappa = 1, u.tau2 = 1; break;  // y Φ(y) = E_u[y 1{y − u > 0}]
    default: throw std::invalid_argument("activation has no closed-form pair moments");
  }
  if (sigma < 0) u.lambda += u.kappa, u.kappa = -u.kappa, u.sigma = -1;
  u.mc = u.sigma * (m - u.theta);
  u.vc = s * s + u.tau2;
  u.sc = std::sqrt(u.vc);
  if (u.sc > 0) {
    const double z = u.mc / u.sc;
    u.prob = Q(-z);
    u.dens = pdf(z) / u.sc;
    u.cond = m - u.sigma * s * s * u.mc / u.vc;
    u.tmean = m * u.prob + u.sigma * s * s * u.dens;
  } else {
    // c is the constant σ(m − θ) ≤ 0 (the orientation makes it so): the indicator is 0.
    u.cond = m;
  }
  return u;
}

// E[y_a y_b 1{c_a > 0} 1{c_b > 0}] with Cov(y_a, y_b) = k, by Stein's lemma on the jointly
// Gaussian (a, b, c, d) = (y_a, y_b, c_a, c_b):
//   E[a b I] = m_a E[b I] + V_ab P + V_ac f_c E[b 1{d>0} | c=0] + V_ad f_d E[b 1{c>0} | d=0],
//   E[b I]   = m_b P + V_bc f_c P(d>0 | c=0) + V_bd f_d P(c>0 | d=0),
// P = P(c > 0, d > 0) (the bivariate normal CDF), f the densities at 0, and each conditional
// expectation a univariate truncated mean. Near |corr(c, d)| = 1 the conditional laws are
// nearly degenerate and their standardized arguments lose ~ε/√(1 − r²) to rounding; there the
// moment is taken at the law with |corr| = 1 (k → k1), where d is an affine function of c and
// I = 1{c ∈ J} for an interval J, plus (for continuous φ, θ = 0) Price's first-order term
// (k − k1) P(c ∈ J). Its error is O((1 − r²)^(3/2)): balanced against ε/√(1 − r²) at
// √(1 − r²) ≈ ε^(1/4) ≈ 1.2e-4 (≈2e-12 relative). A jump (θ ≠ 0) makes the moment itself vary
// like √(1 − r) there (that is its conditioning), so only √(1 − r²) < √ε is collapsed; with
// gelu's independent u the limit needs s ≳ 1e4 and is taken without the correction.
double truncated_product_moment(const PiecewiseUnit& a, const PiecewiseUnit& b, double k) {
  const double vcd = a.sigma * b.sigma * k;
  const double r = clamp_unit(vcd / (a.sc * b.sc));
  const double rp = std::sqrt((1.0 - r) * (1.0 + r));
  const bool exact_limit = a.tau2 == 0 && b.tau2 == 0;  // c, d are then y_a, y_b up to sign and shift
  const bool continuous = exact_limit && a.theta == 0 && b.theta == 0;
  const double collapse_below = continuous ? 1.2e-4 : (exact_limit ? 1.5e-8 : 7.6e-6);
  if (rp < collapse_below) {
    const double k1 = exact_limit ? a.sigma * b.sigma * (r > 0 ? 1.0 : -1.0) * a.sc * b.sc : k;
    const double vbc = a.sigma * k1, vac = a.sigma * a.s * a.s;
    // F(T) = E[a b 1{c > T}] at k1, and its probability; E[a b I] = F(L) − F(U) for J = (L, U).
    double prob = 0;
    auto F = [&](double T, double sign) {
      const double t = (T - a.mc) / a.sc, q = Q(t), p = pdf(t) / a.sc;
      prob += sign * q;
      const double ebt = b.m * q + vbc * p;
      return sign * (a.m * ebt + k1 * q + vac * p * (b.m + vbc * (T - a.mc) / a.vc));
    };
    double moment = 0;
    if (r > 0) {
      moment = F(std::max(0.0, a.mc - b.mc * a.sc / b.sc), 1.0);  // d > 0 ⟺ c > c0
    } else {
      const double c0 = a.mc + b.mc * a.sc / b.sc;  // d > 0 ⟺ c < c0
      if (c0 > 0) moment = F(0.0, 1.0) + F(c0, -1.0);
    }
    return continuous ? moment + (k - k1) * prob : moment;
  }
  const double vbc = a.sigma * k, vbd = b.sigma * b.s * b.s;
  const double vac = a.sigma * a.s * a.s, vad = b.sigma * k;
  const double P = bivariate_normal_upper(-a.mc / a.sc, -b.mc / b.sc, r);
  // Given c = 0. With y_b = θ_b + u_b + σ_b d: Cov(y_b, d | c) = σ_b (V_dd (1 − r²) − τ²).
  const double sdc = b.sc * rp, zd = (b.mc - vcd * a.mc / a.vc) / sdc;
  const double pd_c = Q(-zd);
  const double ebd_c = (b.m - vbc * a.mc / a.vc) * pd_c + b.sigma * (b.vc * rp * rp - b.tau2) * pdf(zd) / sdc;
  // Given d = 0: Cov(y_b, c | d) = σ_a k τ²/V_dd.
  const double scd = a.sc * rp, zc = (a.mc - vcd * b.mc / b.vc) / scd;
  const double pc_d = Q(-zc);
  const double ebc_d = b.cond * pc_d + a.sigma * k * b.tau2 / b.vc * pdf(zc) / scd;
  const double ebi = b.m * P + vbc * a.dens * pd_c + vbd * b.dens * pc_d;
  return a.m * ebi + k * P + vac * a.dens * ebd_c + vad * b.dens * ebc_d;
}
}  // namespace

PiecewiseUnit piecewise_unit(const Activation& act, double m, double s) {
  // P(c > 0) ≤ ½ ⟺ σ (m − θ) ≤ 0.
  const double theta = act.kind == ActKind::JumpRelu ? act.threshold : 0.0;
  return unit_with_orientation(act, m, s, m - theta <= 0 ? 1.0 : -1.0);
}

double piecewise_covariance(const PiecewiseUnit& a, const PiecewiseUnit& b, double k) {
  if (a.s == 0 || b.s == 0 || k == 0) return 0.0;
  // Cov(y_a, y_b 1{c_b > 0}) = k (P_b + σ_b f_b E[y_b | c_b = 0]) by Stein's lemma.
  double cov = a.lambda * b.lambda * k;
  if (b.kappa != 0) cov += a.lambda * b.kappa * k * (b.prob + b.sigma * b.dens * b.cond);
  if (a.kappa != 0) cov += a.kappa * b.lambda * k * (a.prob + a.sigma * a.dens * a.cond);
  if (a.kappa != 0 && b.kappa != 0)
    cov += a.kappa * b.kappa * (truncated_product_moment(a, b, k) - a.tmean * b.tmean);
  return cov;
}

double relu_cross_moment(double mi, double si, double mj, double sj, double kij) {
  Activation relu;
  relu.kind = ActKind::Relu;
  const PiecewiseUnit a = unit_with_orientation(relu, mi, si, 1.0);
  const PiecewiseUnit b = unit_with_orientation(relu, mj, sj, 1.0);
  // A constant factor: E[relu(m) relu(y)] = relu(m) E[relu(y)] (tmean is E[relu(y)] for s > 0).
  if (si == 0 || sj == 0) return (si > 0 ? a.tmean : std::max(mi, 0.0)) * (sj > 0 ? b.tmean : std::max(mj, 0.0));
  return truncated_product_moment(a, b, kij);
}

// ---- Smooth activations: Mehler series, quadrature fallback -----------------------------------

namespace {
// Coefficients of the normalized Hermite recurrence h_{k+1} = (z h_k − √k h_{k−1})/√(k+1),
// h_k = He_k/√k!: hermite_a[k] = 1/√(k+1), hermite_b[k] = √k/√(k+1).
struct HermiteRecurrence {
  double a[kSeriesOrder + 1], b[kSeriesOrder + 1];
  HermiteRecurrence() {
    for (int k = 0; k <= kSeriesOrder; ++k) {
      a[k] = 1.0 / std::sqrt(k + 1.0);
      b[k] = std::sqrt(static_cast<double>(k)) / std::sqrt(k + 1.0);
    }
  }
};
const HermiteRecurrence& hermite_recurrence() {
  static const HermiteRecurrence r;
  return r;
}

// The projection's panels are at most this wide in z: a 20-point Gauss–Legendre panel then
// holds under one period of h_N (local wavelength ≥ 2π/√(2N + 1) ≈ 0.55 for N = 128), and the
// activation's bend gets doubling panels from its own width up (see add_feature).
constexpr double kProjectionPanel = 0.5;
}  // namespace

namespace {
// Var and c_1..c_N of one unit (see smooth_unit), into acc[0..N].
void hermite_projection(const Activation& act, double m, double s, double mean, int N, std::vector<double>& acc) {
  // c_k = ∫ pdf(z) (φ(m + s z) − E φ) h_k(z) dz on one fixed composite 20-point Gauss–Legendre
  // grid over [−Z, Z]. The integrand is entire in z apart from φ's poles at distance ≈ bend/s
  // from the real axis, so panels resolving both the bend (graded) and h_N (≤ 0.5 wide) give
  // full double precision with no error estimate (checked against grids five times finer).
  const HermiteRecurrence& hr = hermite_recurrence();
  std::vector<double> breaks = {-kZ, kZ};
  add_feature(breaks, (bend_center(act) - m) / s, bend_width(act.kind) / s, kProjectionPanel);
  std::sort(breaks.begin(), breaks.end());
  acc.assign(N + 1, 0.0);
  for (size_t q = 0; q + 1 < breaks.size(); ++q) {
    const double a = breaks[q], b = breaks[q + 1];
    if (!(b > a)) continue;
    const int pieces = static_cast<int>(std::ceil((b - a) / kProjectionPanel));
    for (int p = 0; p < pieces; ++p) {
      const double lo = a + (b - a) * p / pieces, hi = a + (b - a) * (p + 1) / pieces;
      const double c = 0.5 * (lo + hi), hw = 0.5 * (hi - lo);
      for (int i = 0; i < kGlHalf[2]; ++i) {
        for (int sgn = -1; sgn <= 1; sgn += 2) {
          const double z = c + sgn * hw * kGlNode[2][i];
          const double dev = activate(act, m + s * z) - mean;
          const double g = hw * kGlWeight[2][i] * dev * pdf_fast(z);
          acc[0] += g * dev;
          double h0 = 1.0, h1 = z;
          acc[1] += g * h1;
          for (int k = 1; k < N; ++k) {
            const double h2 = hr.a[k] * z * h1 - hr.b[k] * h0;
            h0 = h1, h1 = h2;
            acc[k + 1] += g * h1;
          }
        }
      }
    }
  }
}

// The rounding margin of the tails: Var and Σ c_k² each carry ~N ε relative.
constexpr double kTailMargin = 1e-13;
}  // namespace

SmoothUnit smooth_unit(const Activation& act, double m, double s, double mean) {
  SmoothUnit u;
  u.m = m, u.s = s, u.mean = mean;
  if (!(s > 0)) {
    u.tail.assign(1, 0.0);
    return u;
  }
  std::vector<double> acc;
  hermite_projection(act, m, s, mean, kSeriesOrderLow, acc);
  double captured = 0;
  for (int k = 1; k <= kSeriesOrderLow; ++k) captured += acc[k] * acc[k];
  if (acc[0] - captured > kTailMargin * acc[0]) hermite_projection(act, m, s, mean, kSeriesOrder, acc);
  const int N = static_cast<int>(acc.size()) - 1;
  u.var = std::max(acc[0], 0.0);
  u.coef.assign(acc.begin() + 1, acc.end());
  u.tail.resize(N + 1);
  double left = u.var;
  for (int k = 0; k <= N; ++k) {
    if (k > 0) left -= u.coef[k - 1] * u.coef[k - 1];
    u.tail[k] = std::max(left, 0.0) + kTailMargin * u.var;
  }
  return u;
}

double pair_covariance_by_quadrature(const Activation& act, double ma, double sa, double ea, double mb, double sb,
                                     double eb, double k, double tol_abs) {
  if (sa == 0 || sb == 0 || k == 0) return 0.0;
  // y_a = m_a + s_a z; y_b | z ~ N(m_b + ρ s_b z, s_b² (1 − ρ²)).
  const double rho = clamp_unit(k / (sa * sb));
  const double sc = sb * std::sqrt((1.0 - rho) * (1.0 + rho));
  auto f = [&](double z) {
    return pdf_fast(z) * (activate(act, ma + sa * z) - ea) * (deriv_ev(act, 0, mb + rho * sb * z, sc) - eb);
  };
  // Features: φ_a's bend at (c − m_a)/s_a, and E[φ(y_b) | z]'s at (c − m_b)/(ρ s_b), where φ_b's bend
  // is smoothed by the conditional standard deviation.
  const double bc = bend_center(act), bw = bend_width(act.kind);
  std::vector<double> breaks = {-kZ, kZ};
  add_feature(breaks, (bc - ma) / sa, bw / sa, 3.0);
  if (rho != 0) add_feature(breaks, (bc - mb) / (rho * sb), std::sqrt(bw * bw + sc * sc) / std::fabs(rho * sb), 3.0);
  return adaptive_gk(f, breaks, 3.0, tol_abs);
}

double smooth_covariance(const Activation& act, const SmoothUnit& a, const SmoothUnit& b, double k, double tol,
                         int* route) {
  if (route) *route = 1;
  if (a.s == 0 || b.s == 0 || k == 0) return 0.0;
  const double rho = clamp_unit(k / (a.s * b.s));
  // After n terms, |Σ_{j>n} ρ^j c_aj c_bj| ≤ |ρ|^(n+1) √(tail_a[n] tail_b[n]) (Cauchy–Schwarz,
  // Σ_j c_j² = Var): stop at the first checkpoint (every 8 terms) where that is within tol.
  const double target = tol * std::sqrt(a.var * b.var);
  const int n = static_cast<int>(std::min(a.coef.size(), b.coef.size()));
  double acc = 0, p = 1;
  for (int q = 1; q <= n; ++q) {
    p *= rho;
    acc += p * a.coef[q - 1] * b.coef[q - 1];
    if ((q % 8 == 0 || q == n) && std::fabs(p * rho) * std::sqrt(a.tail[q] * b.tail[q]) <= target) return acc;
  }
  if (route) *route = 2;
  return pair_covariance_by_quadrature(act, a.m, a.s, a.mean, b.m, b.s, b.mean, k, target);
}

// ---- The whole layer ----------------------------------------------------------------------------

namespace {
// Per-unit data for the pair covariances of one activation family.
struct UnitCovariances {
  Activation act;
  bool piecewise = false;
  double tol = 0;
  std::vector<PiecewiseUnit> pw;
  std::vector<SmoothUnit> sm;
  long long closed = 0, series = 0, quadrature = 0;

  double covariance(int i, int j, double k) {
    if (piecewise) {
      ++closed;
      return piecewise_covariance(pw[i], pw[j], k);
    }
    if (i == j) {
      ++series;
      return sm[i].var;
    }
    int route = 1;
    const double c = smooth_covariance(act, sm[i], sm[j], k, tol, &route);
    ++(route == 1 ? series : quadrature);
    return c;
  }
};

UnitCovariances unit_covariances(const Activation& act, const UnitExpectations& u, double tol) {
  UnitCovariances uc;
  uc.act = act;
  uc.tol = tol;
  uc.piecewise = has_piecewise_form(act.kind);
  const int h = static_cast<int>(u.gate.m.size()), w = u.kmax + 1;
  for (int i = 0; i < h; ++i) {
    if (uc.piecewise) uc.pw.push_back(piecewise_unit(act, u.gate.m[i], u.gate.s[i]));
    else uc.sm.push_back(smooth_unit(act, u.gate.m[i], u.gate.s[i], u.e[idx(i, 0, w)]));
  }
  return uc;
}

// Rows per block of K: the block buffers hold ≤ 2^20 doubles each (8 MiB).
int block_rows(int hidden, int requested) {
  if (requested > 0) return std::min(hidden, requested);
  return std::min(hidden, std::max(16, (1 << 20) / std::max(hidden, 1)));
}
}  // namespace

VarianceExplained mlp_variance_explained(const Mlp& net, const InputDist& dist, int degree,
                                         const VarianceOptions& opt) {
  if (dist.K != 1) throw std::invalid_argument("variance explained needs a single Gaussian input (K = 1)");
  if (degree < 1 || degree > kMaxDerivOrder)
    throw std::invalid_argument("degree must be in 1.." + std::to_string(kMaxDerivOrder));
  const int h = net.hidden, out = net.out;
  const ComponentMoments c = component_moments(dist, 0, opt.psd_tol);
  const UnitExpectations u = mlp_units(net, c, degree);
  const int w = degree + 1;
  // K = B Bᵀ with B = W1 (Σ = I) or the projection W1 F (Σ = F Fᵀ) that preactivation_stats made.
  const double* B = c.identity_cov ? net.W1 : u.gate.proj.data();
  const int rank = c.identity_cov ? net.in : c.factor.rank;
  UnitCovariances uc = unit_covariances(net.act, u, opt.pair_tol);

  // The weights of each quadratic form, transposed so that rows 0..i1 are contiguous:
  // W2T[i, o] = W2[o, i] and AT[k−1][i, o] = W2[o, i] E[φ^(k)(y_i)].
  std::vector<double> W2T(static_cast<size_t>(h) * out);
  std::vector<std::vector<double>> AT(degree, std::vector<double>(static_cast<size_t>(h) * out));
  for (int i = 0; i < h; ++i)
    for (int o = 0; o < out; ++o) {
      W2T[idx(i, o, out)] = net.W2[idx(o, i, h)];
      for (int k = 1; k <= degree; ++k) AT[k - 1][idx(i, o, out)] = net.W2[idx(o, i, h)] * u.e[idx(i, k, w)];
    }
  std::vector<double> inv_fact(degree + 1, 1.0);
  for (int k = 1; k <= degree; ++k) inv_fact[k] = inv_fact[k - 1] / k;

  VarianceExplained r;
  r.out = out, r.degree = degree;
  r.var_f.assign(out, 0.0);
  r.by_degree.assign(static_cast<size_t>(degree) * out, 0.0);
  const int bs = block_rows(h, opt.block_rows);
  std::vector<double> Kb, Kp, M, C, P(static_cast<size_t>(bs) * out);
  // Σ_{i,j} x_i x_j S_ij over the lower triangle, one row block at a time: S holds
  // 2 S_ij (j < i), S_ii (j = i), 0 (j > i) for rows i0..i1, and Σ_i x_i (S x)_i is a product.
  auto accumulate = [&](const std::vector<double>& S, const std::vector<double>& XT, int i0, int rows, int cols,
                        double* dst) {
    gemm(false, false, rows, out, cols, 1.0, S.data(), XT.data(), 0.0, P.data());
    for (int i = 0; i < rows; ++i)
      for (int o = 0; o < out; ++o) dst[o] += XT[idx(i0 + i, o, out)] * P[idx(i, o, out)];
  };
  for (int i0 = 0; i0 < h; i0 += bs) {
    const int i1 = std::min(h, i0 + bs), rows = i1 - i0;
    Kb.assign(static_cast<size_t>(rows) * i1, 0.0);
    if (rank > 0) gemm(false, true, rows, i1, rank, 1.0, B + idx(i0, 0, rank), B, 0.0, Kb.data());
    C.assign(Kb.size(), 0.0);
    for (int i = i0; i < i1; ++i) {
      double* krow = &Kb[idx(i - i0, 0, i1)];
      krow[i] = u.gate.s[i] * u.gate.s[i];  // the diagonal exactly as the expectations saw it
      for (int j = i + 1; j < i1; ++j) krow[j] = 0.0;
      double* crow = &C[idx(i - i0, 0, i1)];
      for (int j = 0; j <= i; ++j) crow[j] = (j == i ? 1.0 : 2.0) * uc.covariance(i, j, krow[j]);
    }
    accumulate(C, W2T, i0, rows, i1, r.var_f.data());
    // M = weights ∘ K^∘k / k!, the powers built up by repeated elementwise products.
    Kp.assign(Kb.size(), 1.0);
    M.assign(Kb.size(), 0.0);
    for (int k = 1; k <= degree; ++k) {
      for (int i = i0; i < i1; ++i) {
        const double* krow = &Kb[idx(i - i0, 0, i1)];
        double* prow = &Kp[idx(i - i0, 0, i1)];
        double* mrow = &M[idx(i - i0, 0, i1)];
        for (int j = 0; j <= i; ++j) {
          prow[j] *= krow[j];
          mrow[j] = (j == i ? 1.0 : 2.0) * inv_fact[k] * prow[j];
        }
      }
      accumulate(M, AT[k - 1], i0, rows, i1, &r.by_degree[idx(k - 1, 0, out)]);
    }
  }
  r.var_q.assign(out, 0.0);
  r.fvu.assign(out, 0.0);
  for (int o = 0; o < out; ++o) {
    for (int k = 0; k < degree; ++k) r.var_q[o] += r.by_degree[idx(k, o, out)];
    r.fvu[o] = r.var_f[o] == 0 ? 0.0 : 1.0 - r.var_q[o] / r.var_f[o];
  }
  r.pairs_closed = uc.closed, r.pairs_series = uc.series, r.pairs_quadrature = uc.quadrature;
  return r;
}

}  // namespace polyapprox
