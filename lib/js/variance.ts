/**
 * Variance of an MLP and of its least-squares polynomial approximants under one Gaussian, per
 * Hermite degree, with no sampling (DESIGN §3.2): the JS fallback's version of
 * native/core/variance.cpp, step by step under the same names (see variance.hpp for the
 * formulas, the two covariance routes and their error analysis).
 */
import type { Activation } from '../activation';
import { componentMoments, InputData, MlpData, mlpUnits, UnitExpectations } from './fit';
import { activate, derivEv } from './integrals';
import { gemm } from './linalg';
import { pdf, pdfFast, Phi, Q } from './normal';

const SQRT_TWO_PI = 2.5066282746310002;

function clampUnit(r: number): number {
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

// Gauss–Legendre 6, 12, 20 points (positive half) and Gauss–Kronrod 7/15, as in variance.cpp.
const GL_HALF = [3, 6, 10];
const GL_NODE = [
  [0.9324695142031522, 0.6612093864662647, 0.238619186083197],
  [0.9815606342467191, 0.904117256370475, 0.769902674194305, 0.5873179542866171, 0.3678314989981802, 0.1252334085114692],
  [
    0.9931285991850949, 0.9639719272779138, 0.9122344282513259, 0.8391169718222188, 0.7463319064601508,
    0.636053680726515, 0.5108670019508271, 0.3737060887154196, 0.2277858511416451, 0.07652652113349733,
  ],
];
const GL_WEIGHT = [
  [0.1713244923791705, 0.3607615730481384, 0.4679139345726904],
  [0.04717533638651177, 0.1069393259953183, 0.1600783285433464, 0.2031674267230659, 0.2334925365383547, 0.2491470458134029],
  [
    0.01761400713915212, 0.04060142980038694, 0.06267204833410906, 0.08327674157670475, 0.1019301198172404,
    0.1181945319615184, 0.1316886384491766, 0.1420961093183821, 0.1491729864726037, 0.1527533871307259,
  ],
];
const GK_NODE = [
  0.991455371120812639, 0.949107912342758525, 0.864864423359769073, 0.74153118559939444, 0.58608723546769113,
  0.405845151377397167, 0.207784955007898468, 0,
];
const GK_WEIGHT = [
  0.022935322010529225, 0.063092092629978553, 0.104790010322250184, 0.140653259715525919, 0.169004726639267903,
  0.19035057806478541, 0.204432940075298892, 0.209482141084727828,
];
const GAUSS_WEIGHT = [0.129484966168869693, 0.279705391489276668, 0.381830050505118945, 0.417959183673469388];

/** The standardized variable runs over [−Z, Z] (see variance.cpp). */
const Z = 12;
const MAX_PANELS = 400;

interface Panel {
  a: number;
  b: number;
  val: number;
  err: number;
}

function gk15(f: (z: number) => number, a: number, b: number): Panel {
  const c = 0.5 * (a + b);
  const hw = 0.5 * (b - a);
  let kronrod = 0;
  let gauss = 0;
  for (let q = 0; q < 8; q++) {
    const fz = q === 7 ? f(c) : f(c - hw * GK_NODE[q]) + f(c + hw * GK_NODE[q]);
    kronrod += GK_WEIGHT[q] * fz;
    if (q % 2 === 1) gauss += GAUSS_WEIGHT[(q - 1) / 2] * fz;
  }
  return { a, b, val: hw * kronrod, err: hw * Math.abs(kronrod - gauss) };
}

/** Global adaptive Gauss–Kronrod 7/15 of a scalar f (native adaptive_gk). */
function adaptiveGk(f: (z: number) => number, breaksIn: number[], maxWidth: number, tol: number): number {
  const breaks = breaksIn.slice().sort((x, y) => x - y);
  const panels: Panel[] = [];
  for (let q = 0; q + 1 < breaks.length; q++) {
    const a = breaks[q];
    const b = breaks[q + 1];
    if (!(b > a)) continue;
    const pieces = Math.max(1, Math.ceil((b - a) / maxWidth));
    for (let p = 0; p < pieces; p++) panels.push(gk15(f, a + ((b - a) * p) / pieces, a + ((b - a) * (p + 1)) / pieces));
  }
  while (panels.length < MAX_PANELS) {
    let err = 0;
    let worst = -1;
    let at = 0;
    for (let q = 0; q < panels.length; q++) {
      err += panels[q].err;
      if (panels[q].err > worst) {
        worst = panels[q].err;
        at = q;
      }
    }
    if (err <= tol) break;
    const { a, b } = panels[at];
    const mid = 0.5 * (a + b);
    if (!(mid > a && mid < b)) break;
    panels[at] = gk15(f, a, mid);
    panels.push(gk15(f, mid, b));
  }
  let total = 0;
  for (const p of panels) total += p.val;
  return total;
}

function addBreak(breaks: number[], z: number): void {
  if (Number.isFinite(z) && z > -Z && z < Z) breaks.push(z);
}

/** Breakpoints at c and c ± δ·2^j up to the initial panel width (native add_feature). */
function addFeature(breaks: number[], c: number, delta: number, maxWidth: number): void {
  addBreak(breaks, c);
  if (!Number.isFinite(c) || !(delta > 0)) return;
  for (let d = Math.max(delta, 1e-9); d < maxWidth; d *= 2) {
    addBreak(breaks, c - d);
    addBreak(breaks, c + d);
  }
}

function bendCenter(act: Activation): number {
  return act.name === 'jump_relu' ? act.threshold : 0;
}

function bendWidth(act: Activation): number {
  switch (act.name) {
    case 'sigmoid':
    case 'swish':
    case 'softplus':
      return 1;
    case 'tanh':
      return 0.5;
    default:
      return 0;
  }
}

// ---- Bivariate normal CDF ----------------------------------------------------------------------

/** P(X > h, Y > k) for a standard bivariate normal with correlation r (native bivariate_normal_upper). */
export function bivariateNormalUpper(h: number, k: number, r: number): number {
  if (Number.isNaN(h) || Number.isNaN(k) || Number.isNaN(r)) return NaN;
  if (h === Infinity || k === Infinity) return 0;
  if (h === -Infinity) return k === -Infinity ? 1 : Q(k);
  if (k === -Infinity) return Q(h);
  r = clampUnit(r);
  const ar = Math.abs(r);
  const g = ar < 0.3 ? 0 : ar < 0.75 ? 1 : 2;
  const n = GL_HALF[g];
  const x = GL_NODE[g];
  const w = GL_WEIGHT[g];
  let hk = h * k;
  let bvn = 0;
  if (ar < 0.925) {
    const hs = 0.5 * (h * h + k * k);
    const asr = Math.asin(r);
    const E = (sn: number) => (sn * hk - hs) / ((1 - sn) * (1 + sn));
    let lo = Math.min(E(0), E(r));
    let hi = Math.max(E(0), E(r));
    if (hk !== 0) {
      const sstar = Math.min(Math.abs(h), Math.abs(k)) / Math.max(Math.abs(h), Math.abs(k));
      const sn = hk < 0 ? -sstar : sstar;
      if ((r > 0 && sn > 0 && sn < r) || (r < 0 && sn < 0 && sn > r)) {
        lo = Math.min(lo, E(sn));
        hi = Math.max(hi, E(sn));
      }
    }
    const range = hi - lo;
    const widths = Math.abs(asr) * Math.sqrt(2 * hs);
    const genz = range <= 0.25 && widths <= 0.25;
    const panels = genz ? 1 : Math.ceil(Math.max(range, widths) / 4);
    const rule = genz ? g : 2;
    for (let p = 0; p < panels; p++) {
      for (let i = 0; i < GL_HALF[rule]; i++) {
        for (let sgn = -1; sgn <= 1; sgn += 2) {
          const sn = Math.sin((asr * (p + 0.5 * (1 + sgn * GL_NODE[rule][i]))) / panels);
          bvn += GL_WEIGHT[rule][i] * Math.exp((sn * hk - hs) / (1 - sn * sn));
        }
      }
    }
    return Math.min(1, Math.max(0, (bvn * asr) / (4 * Math.PI * panels) + Q(h) * Q(k)));
  }
  if (r < 0) {
    k = -k;
    hk = -hk;
  }
  if (ar < 1) {
    const as = (1 - r) * (1 + r);
    let a = Math.sqrt(as);
    const bs = (h - k) * (h - k);
    const c = (4 - hk) / 8;
    const d = (12 - hk) / 16;
    let asr = -0.5 * (bs / as + hk);
    if (asr > -100) bvn = a * Math.exp(asr) * (1 - (c * (bs - as) * (1 - (d * bs) / 5)) / 3 + (c * d * as * as) / 5);
    if (hk > -100) {
      const b = Math.sqrt(bs);
      bvn -= Math.exp(-0.5 * hk) * SQRT_TWO_PI * Phi(-b / a) * b * (1 - (c * bs * (1 - (d * bs) / 5)) / 3);
    }
    a *= 0.5;
    for (let i = 0; i < n; i++) {
      for (let sgn = -1; sgn <= 1; sgn += 2) {
        const xs = (a + a * sgn * x[i]) * (a + a * sgn * x[i]);
        const rs = Math.sqrt(1 - xs);
        asr = -0.5 * (bs / xs + hk);
        if (asr > -100) {
          const sp = 1 + c * xs * (1 + d * xs);
          const ep = Math.exp((-hk * (1 - rs)) / (2 * (1 + rs))) / rs;
          bvn += a * w[i] * Math.exp(asr) * (ep - sp);
        }
      }
    }
    bvn = -bvn / (2 * Math.PI);
  }
  if (r > 0) bvn += Q(Math.max(h, k));
  else bvn = -bvn + Math.max(0, Q(h) - Q(k));
  return Math.min(1, Math.max(0, bvn));
}

/** Φ2(h, k; r) = P(X ≤ h, Y ≤ k). */
export function bivariateNormalCdf(h: number, k: number, r: number): number {
  return bivariateNormalUpper(-h, -k, r);
}

// ---- Closed form: φ(y) = λ y + κ y 1{c > 0} ---------------------------------------------------------

/** A closed-form-family unit (native PiecewiseUnit; fields as there). */
export interface PiecewiseUnit {
  m: number;
  s: number;
  lambda: number;
  kappa: number;
  sigma: number;
  theta: number;
  tau2: number;
  mc: number;
  vc: number;
  sc: number;
  prob: number;
  dens: number;
  cond: number;
  tmean: number;
}

export function hasPiecewiseForm(act: Activation): boolean {
  return ['relu', 'leaky_relu', 'jump_relu', 'identity', 'gelu'].includes(act.name);
}

function unitWithOrientation(act: Activation, m: number, s: number, sigma: number): PiecewiseUnit {
  let lambda = 0;
  let kappa = 0;
  let theta = 0;
  let tau2 = 0;
  switch (act.name) {
    case 'relu':
      kappa = 1;
      break;
    case 'leaky_relu':
      lambda = act.slope;
      kappa = 1 - act.slope;
      break;
    case 'jump_relu':
      kappa = 1;
      theta = act.threshold;
      break;
    case 'identity':
      lambda = 1;
      break;
    case 'gelu':
      kappa = 1;
      tau2 = 1;
      break;
    default:
      throw new RangeError('activation has no closed-form pair moments');
  }
  if (sigma < 0) {
    lambda += kappa;
    kappa = -kappa;
  }
  const sg = sigma < 0 ? -1 : 1;
  const mc = sg * (m - theta);
  const vc = s * s + tau2;
  const sc = Math.sqrt(vc);
  const u: PiecewiseUnit = { m, s, lambda, kappa, sigma: sg, theta, tau2, mc, vc, sc, prob: 0, dens: 0, cond: m, tmean: 0 };
  if (sc > 0) {
    const z = mc / sc;
    u.prob = Q(-z);
    u.dens = pdf(z) / sc;
    u.cond = m - (sg * s * s * mc) / vc;
    u.tmean = m * u.prob + sg * s * s * u.dens;
  }
  return u;
}

/** E[y_a y_b 1{c_a > 0} 1{c_b > 0}] with Cov(y_a, y_b) = k (native truncated_product_moment). */
function truncatedProductMoment(a: PiecewiseUnit, b: PiecewiseUnit, k: number): number {
  const vcd = a.sigma * b.sigma * k;
  const r = clampUnit(vcd / (a.sc * b.sc));
  const rp = Math.sqrt((1 - r) * (1 + r));
  const exactLimit = a.tau2 === 0 && b.tau2 === 0;
  const continuous = exactLimit && a.theta === 0 && b.theta === 0;
  const collapseBelow = continuous ? 1.2e-4 : exactLimit ? 1.5e-8 : 7.6e-6;
  if (rp < collapseBelow) {
    const k1 = exactLimit ? a.sigma * b.sigma * (r > 0 ? 1 : -1) * a.sc * b.sc : k;
    const vbc = a.sigma * k1;
    const vac = a.sigma * a.s * a.s;
    let prob = 0;
    const F = (T: number, sign: number): number => {
      const t = (T - a.mc) / a.sc;
      const q = Q(t);
      const p = pdf(t) / a.sc;
      prob += sign * q;
      const ebt = b.m * q + vbc * p;
      return sign * (a.m * ebt + k1 * q + vac * p * (b.m + (vbc * (T - a.mc)) / a.vc));
    };
    let moment = 0;
    if (r > 0) {
      moment = F(Math.max(0, a.mc - (b.mc * a.sc) / b.sc), 1);
    } else {
      const c0 = a.mc + (b.mc * a.sc) / b.sc;
      if (c0 > 0) moment = F(0, 1) + F(c0, -1);
    }
    return continuous ? moment + (k - k1) * prob : moment;
  }
  const vbc = a.sigma * k;
  const vbd = b.sigma * b.s * b.s;
  const vac = a.sigma * a.s * a.s;
  const vad = b.sigma * k;
  const P = bivariateNormalUpper(-a.mc / a.sc, -b.mc / b.sc, r);
  const sdc = b.sc * rp;
  const zd = (b.mc - (vcd * a.mc) / a.vc) / sdc;
  const pdC = Q(-zd);
  const ebdC = (b.m - (vbc * a.mc) / a.vc) * pdC + (b.sigma * (b.vc * rp * rp - b.tau2) * pdf(zd)) / sdc;
  const scd = a.sc * rp;
  const zc = (a.mc - (vcd * b.mc) / b.vc) / scd;
  const pcD = Q(-zc);
  const ebcD = b.cond * pcD + (((a.sigma * k * b.tau2) / b.vc) * pdf(zc)) / scd;
  const ebi = b.m * P + vbc * a.dens * pdC + vbd * b.dens * pcD;
  return a.m * ebi + k * P + vac * a.dens * ebdC + vad * b.dens * ebcD;
}

export function piecewiseUnit(act: Activation, m: number, s: number): PiecewiseUnit {
  const theta = act.name === 'jump_relu' ? act.threshold : 0;
  return unitWithOrientation(act, m, s, m - theta <= 0 ? 1 : -1);
}

/** Cov(φ(y_a), φ(y_b)) with Cov(y_a, y_b) = k (native piecewise_covariance). */
export function piecewiseCovariance(a: PiecewiseUnit, b: PiecewiseUnit, k: number): number {
  if (a.s === 0 || b.s === 0 || k === 0) return 0;
  let cov = a.lambda * b.lambda * k;
  if (b.kappa !== 0) cov += a.lambda * b.kappa * k * (b.prob + b.sigma * b.dens * b.cond);
  if (a.kappa !== 0) cov += a.kappa * b.lambda * k * (a.prob + a.sigma * a.dens * a.cond);
  if (a.kappa !== 0 && b.kappa !== 0) cov += a.kappa * b.kappa * (truncatedProductMoment(a, b, k) - a.tmean * b.tmean);
  return cov;
}

/** E[relu(y_i) relu(y_j)] (native relu_cross_moment). */
export function reluCrossMoment(mi: number, si: number, mj: number, sj: number, kij: number): number {
  const relu: Activation = { name: 'relu', threshold: 1, slope: 0.01 };
  const a = unitWithOrientation(relu, mi, si, 1);
  const b = unitWithOrientation(relu, mj, sj, 1);
  if (si === 0 || sj === 0) return (si > 0 ? a.tmean : Math.max(mi, 0)) * (sj > 0 ? b.tmean : Math.max(mj, 0));
  return truncatedProductMoment(a, b, kij);
}

// ---- Smooth activations: Mehler series, quadrature fallback ----------------------------------

/** Series orders (native kSeriesOrderLow, kSeriesOrder). */
export const SERIES_ORDER_LOW = 64;
export const SERIES_ORDER = 256;

/** Normalized Hermite coefficients, variance and tails of one unit (native SmoothUnit). */
export interface SmoothUnit {
  m: number;
  s: number;
  mean: number;
  var: number;
  /** [N]: c_1..c_N */
  coef: Float64Array;
  /** [N + 1]: tail[k] = Var − Σ_{j≤k} c_j² + margin */
  tail: Float64Array;
}

/** Recurrence coefficients of h_k = He_k/√k! (native HermiteRecurrence). */
const HERMITE_A = new Float64Array(SERIES_ORDER + 1);
const HERMITE_B = new Float64Array(SERIES_ORDER + 1);
for (let k = 0; k <= SERIES_ORDER; k++) {
  HERMITE_A[k] = 1 / Math.sqrt(k + 1);
  HERMITE_B[k] = Math.sqrt(k) / Math.sqrt(k + 1);
}

const PROJECTION_PANEL = 0.5;
const TAIL_MARGIN = 1e-13;

/** Var and c_1..c_N on one fixed composite 20-point Gauss–Legendre grid (native hermite_projection). */
function hermiteProjection(act: Activation, m: number, s: number, mean: number, N: number): Float64Array {
  const breaks = [-Z, Z];
  addFeature(breaks, (bendCenter(act) - m) / s, bendWidth(act) / s, PROJECTION_PANEL);
  breaks.sort((x, y) => x - y);
  const acc = new Float64Array(N + 1);
  const nodes = GL_NODE[2];
  const weights = GL_WEIGHT[2];
  for (let q = 0; q + 1 < breaks.length; q++) {
    const a = breaks[q];
    const b = breaks[q + 1];
    if (!(b > a)) continue;
    const pieces = Math.ceil((b - a) / PROJECTION_PANEL);
    for (let p = 0; p < pieces; p++) {
      const lo = a + ((b - a) * p) / pieces;
      const hi = a + ((b - a) * (p + 1)) / pieces;
      const c = 0.5 * (lo + hi);
      const hw = 0.5 * (hi - lo);
      for (let i = 0; i < GL_HALF[2]; i++) {
        for (let sgn = -1; sgn <= 1; sgn += 2) {
          const z = c + sgn * hw * nodes[i];
          const dev = activate(act, m + s * z) - mean;
          const g = hw * weights[i] * dev * pdfFast(z);
          acc[0] += g * dev;
          let h0 = 1;
          let h1 = z;
          acc[1] += g * h1;
          for (let k = 1; k < N; k++) {
            const h2 = HERMITE_A[k] * z * h1 - HERMITE_B[k] * h0;
            h0 = h1;
            h1 = h2;
            acc[k + 1] += g * h1;
          }
        }
      }
    }
  }
  return acc;
}

export function smoothUnit(act: Activation, m: number, s: number, mean: number): SmoothUnit {
  if (!(s > 0)) return { m, s, mean, var: 0, coef: new Float64Array(0), tail: new Float64Array(1) };
  let acc = hermiteProjection(act, m, s, mean, SERIES_ORDER_LOW);
  let captured = 0;
  for (let k = 1; k <= SERIES_ORDER_LOW; k++) captured += acc[k] * acc[k];
  if (acc[0] - captured > TAIL_MARGIN * acc[0]) acc = hermiteProjection(act, m, s, mean, SERIES_ORDER);
  const N = acc.length - 1;
  const variance = Math.max(acc[0], 0);
  const coef = acc.slice(1);
  const tail = new Float64Array(N + 1);
  let left = variance;
  for (let k = 0; k <= N; k++) {
    if (k > 0) left -= coef[k - 1] * coef[k - 1];
    tail[k] = Math.max(left, 0) + TAIL_MARGIN * variance;
  }
  return { m, s, mean, var: variance, coef, tail };
}

/** Cov(φ(y_a), φ(y_b)) by adaptive Gauss–Kronrod over z (native pair_covariance_by_quadrature). */
export function pairCovarianceByQuadrature(
  act: Activation,
  ma: number,
  sa: number,
  ea: number,
  mb: number,
  sb: number,
  eb: number,
  k: number,
  tolAbs: number,
): number {
  if (sa === 0 || sb === 0 || k === 0) return 0;
  const rho = clampUnit(k / (sa * sb));
  const sc = sb * Math.sqrt((1 - rho) * (1 + rho));
  const f = (z: number): number =>
    pdfFast(z) * (activate(act, ma + sa * z) - ea) * (derivEv(act, 0, mb + rho * sb * z, sc) - eb);
  const bc = bendCenter(act);
  const bw = bendWidth(act);
  const breaks = [-Z, Z];
  addFeature(breaks, (bc - ma) / sa, bw / sa, 3);
  if (rho !== 0) addFeature(breaks, (bc - mb) / (rho * sb), Math.sqrt(bw * bw + sc * sc) / Math.abs(rho * sb), 3);
  return adaptiveGk(f, breaks, 3, tolAbs);
}

/**
 * Cov(φ(y_a), φ(y_b)) from the Mehler series when its remainder bound allows, else by
 * quadrature (native smooth_covariance); `route.value` receives 1 (series) or 2 (quadrature).
 */
export function smoothCovariance(
  act: Activation,
  a: SmoothUnit,
  b: SmoothUnit,
  k: number,
  tol: number,
  route?: { value: number },
): number {
  if (route) route.value = 1;
  if (a.s === 0 || b.s === 0 || k === 0) return 0;
  const rho = clampUnit(k / (a.s * b.s));
  const target = tol * Math.sqrt(a.var * b.var);
  const n = Math.min(a.coef.length, b.coef.length);
  let acc = 0;
  let p = 1;
  for (let q = 1; q <= n; q++) {
    p *= rho;
    acc += p * a.coef[q - 1] * b.coef[q - 1];
    if ((q % 8 === 0 || q === n) && Math.abs(p * rho) * Math.sqrt(a.tail[q] * b.tail[q]) <= target) return acc;
  }
  if (route) route.value = 2;
  return pairCovarianceByQuadrature(act, a.m, a.s, a.mean, b.m, b.s, b.mean, k, target);
}

// ---- The whole layer -----------------------------------------------------------------------------

export interface VarianceExplainedData {
  out: number;
  degree: number;
  /** [out] */
  varF: Float64Array;
  /** [out] */
  varQ: Float64Array;
  /** [out] */
  fvu: Float64Array;
  /** [degree, out] */
  byDegree: Float64Array;
  pairsClosed: number;
  pairsSeries: number;
  pairsQuadrature: number;
}

export interface VarianceOptions {
  psdTol: number;
  pairTol: number;
  /** Rows of K per block; 0 or absent: as many as fit 2^20 doubles (≥ 16). */
  blockRows?: number;
}

class UnitCovariances {
  closed = 0;
  series = 0;
  quadrature = 0;
  private readonly route = { value: 1 };

  constructor(
    private readonly act: Activation,
    private readonly piecewise: boolean,
    private readonly tol: number,
    private readonly pw: PiecewiseUnit[],
    private readonly sm: SmoothUnit[],
  ) {}

  covariance(i: number, j: number, k: number): number {
    if (this.piecewise) {
      this.closed++;
      return piecewiseCovariance(this.pw[i], this.pw[j], k);
    }
    if (i === j) {
      this.series++;
      return this.sm[i].var;
    }
    const c = smoothCovariance(this.act, this.sm[i], this.sm[j], k, this.tol, this.route);
    if (this.route.value === 1) this.series++;
    else this.quadrature++;
    return c;
  }
}

function unitCovariances(act: Activation, u: UnitExpectations, tol: number): UnitCovariances {
  const piecewise = hasPiecewiseForm(act);
  const h = u.gate.m.length;
  const w = u.kmax + 1;
  const pw: PiecewiseUnit[] = [];
  const sm: SmoothUnit[] = [];
  for (let i = 0; i < h; i++) {
    if (piecewise) pw.push(piecewiseUnit(act, u.gate.m[i], u.gate.s[i]));
    else sm.push(smoothUnit(act, u.gate.m[i], u.gate.s[i], u.e[i * w]));
  }
  return new UnitCovariances(act, piecewise, tol, pw, sm);
}

function blockRows(hidden: number, requested: number): number {
  if (requested > 0) return Math.min(hidden, requested);
  return Math.min(hidden, Math.max(16, Math.floor(2 ** 20 / Math.max(hidden, 1))));
}

/** Var f, Var q and the per-degree variances under one Gaussian (native mlp_variance_explained). */
export function mlpVarianceExplained(net: MlpData, dist: InputData, degree: number, opt: VarianceOptions): VarianceExplainedData {
  if (dist.K !== 1) throw new RangeError('variance explained needs a single Gaussian input (K = 1)');
  const { hidden: h, out } = net;
  const c = componentMoments(dist, 0, opt.psdTol);
  const u = mlpUnits(net, c, degree);
  const w = degree + 1;
  const B = c.identityCov || !u.gate.proj ? net.W1 : u.gate.proj;
  const rank = c.identityCov || !u.gate.proj ? net.in : c.rank;
  const uc = unitCovariances(net.act, u, opt.pairTol);

  const W2T = new Float64Array(h * out);
  const AT: Float64Array[] = [];
  for (let k = 1; k <= degree; k++) AT.push(new Float64Array(h * out));
  for (let i = 0; i < h; i++) {
    for (let o = 0; o < out; o++) {
      W2T[i * out + o] = net.W2[o * h + i];
      for (let k = 1; k <= degree; k++) AT[k - 1][i * out + o] = net.W2[o * h + i] * u.e[i * w + k];
    }
  }
  const invFact = new Float64Array(degree + 1).fill(1);
  for (let k = 1; k <= degree; k++) invFact[k] = invFact[k - 1] / k;

  const varF = new Float64Array(out);
  const byDegree = new Float64Array(degree * out);
  const bs = blockRows(h, opt.blockRows ?? 0);
  const P = new Float64Array(bs * out);
  const accumulate = (S: Float64Array, XT: Float64Array, i0: number, rows: number, cols: number, dst: Float64Array, off: number) => {
    gemm(false, false, rows, out, cols, 1, S, XT, 0, P);
    for (let i = 0; i < rows; i++) for (let o = 0; o < out; o++) dst[off + o] += XT[(i0 + i) * out + o] * P[i * out + o];
  };
  for (let i0 = 0; i0 < h; i0 += bs) {
    const i1 = Math.min(h, i0 + bs);
    const rows = i1 - i0;
    const Kb = new Float64Array(rows * i1);
    if (rank > 0) gemm(false, true, rows, i1, rank, 1, B.subarray(i0 * rank, i1 * rank), B, 0, Kb);
    const C = new Float64Array(Kb.length);
    for (let i = i0; i < i1; i++) {
      const row = (i - i0) * i1;
      Kb[row + i] = u.gate.s[i] * u.gate.s[i];
      for (let j = i + 1; j < i1; j++) Kb[row + j] = 0;
      for (let j = 0; j <= i; j++) C[row + j] = (j === i ? 1 : 2) * uc.covariance(i, j, Kb[row + j]);
    }
    accumulate(C, W2T, i0, rows, i1, varF, 0);
    const Kp = new Float64Array(Kb.length).fill(1);
    const M = new Float64Array(Kb.length);
    for (let k = 1; k <= degree; k++) {
      for (let i = i0; i < i1; i++) {
        const row = (i - i0) * i1;
        for (let j = 0; j <= i; j++) {
          Kp[row + j] *= Kb[row + j];
          M[row + j] = (j === i ? 1 : 2) * invFact[k] * Kp[row + j];
        }
      }
      accumulate(M, AT[k - 1], i0, rows, i1, byDegree, (k - 1) * out);
    }
  }
  const varQ = new Float64Array(out);
  const fvu = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < degree; k++) varQ[o] += byDegree[k * out + o];
    fvu[o] = varF[o] === 0 ? 0 : 1 - varQ[o] / varF[o];
  }
  return {
    out,
    degree,
    varF,
    varQ,
    fvu,
    byDegree,
    pairsClosed: uc.closed,
    pairsSeries: uc.series,
    pairsQuadrature: uc.quadrature,
  };
}
