/**
 * Univariate Gaussian integrals of the activations (DESIGN §3.1), the JS fallback's version of
 * native/core/integrals.cpp: the same steps, constants and summation order under the same names
 * (camelCase), so the two backends agree to ~1e-14. For y ~ N(m, s²):
 *   derivEv(act, k, m, s) = E[φ^(k)(y)] (Stein-consistent: E[φ(y) He_k((y−m)/s)]/s^k, Dirac terms
 *   included), polyEv(act, n, m, s) = E[yⁿ φ(y)], plus the pointwise activate/activateDeriv.
 * See the C++ file's banner for the method (closed forms for the relu family and gelu; a fixed
 * Gauss–Legendre rule for κs ≤ 0.8; piecewise-polynomial part + Stein-shifted localized correction
 * on graded Gauss–Legendre panels above). Conventions at s = 0: point values; at a kink the value
 * is the definition, a first derivative the mean of the one-sided ones, Dirac orders 0. Dirac
 * terms that exceed the double range (0 < s ≲ 1e-44) saturate at ±Number.MAX_VALUE.
 */
import { Activation, MAX_DERIV_ORDER, MAX_POLY_ORDER } from '../activation';
import { invalidArgument } from '../errors';
import {
  INV_SQRT_2PI,
  SQRT_HALF,
  TAIL_CUT,
  Phi,
  Q,
  erf,
  gaussianRawMoments,
  hermiteHeAll,
  pdf,
  pdfFast,
  truncatedMoments,
} from './normal';

// ---------------------------------------------------------------------------------------------
// Small utilities

const MAX_INDEX = MAX_POLY_ORDER + 1;
const ARR = MAX_INDEX + 1;

function saturate(x: number): number {
  return x === Infinity ? Number.MAX_VALUE : x === -Infinity ? -Number.MAX_VALUE : x;
}

/** num/den for den ≥ 0 that may underflow to 0: saturates instead of returning ±Infinity or NaN. */
function ratioSat(num: number, den: number): number {
  if (num === 0) return 0.0;
  if (den === 0) return num > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
  return saturate(num / den);
}

function checkActivation(act: Activation): void {
  if (act.name === 'jump_relu' && !Number.isFinite(act.threshold)) {
    throw invalidArgument('act.threshold', 'a finite number', act.threshold, TypeError);
  }
  if (act.name === 'leaky_relu' && !Number.isFinite(act.slope)) {
    throw invalidArgument('act.slope', 'a finite number', act.slope, TypeError);
  }
}

function checkGaussian(m: number, s: number): void {
  if (typeof m !== 'number' || !Number.isFinite(m)) throw invalidArgument('m', 'a finite number', m);
  if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) throw invalidArgument('s', 'a finite number >= 0', s);
}

function checkOrder(name: string, k: number, kmax: number): void {
  if (!Number.isInteger(k)) throw invalidArgument(name, 'an integer', k, TypeError);
  if (k < 0 || k > kmax) throw invalidArgument(name, `an integer in [0, ${kmax}]`, k);
}

const BINOM: number[][] = [[1]];
for (let n = 1; n <= 10; n++) {
  const row = [1];
  for (let i = 1; i < n; i++) row.push(BINOM[n - 1][i - 1] + BINOM[n - 1][i]);
  row.push(1);
  BINOM.push(row);
}

// ---------------------------------------------------------------------------------------------
// Pointwise activations

// σ^(k)(y) = P_k(σ(y)), row k: coefficients of u^0..u^(k+1) ((−1)^(j−1)(j−1)! S(k+1, j)).
const SIG_POLY: number[][] = [
  [0, 1],
  [0, 1, -1],
  [0, 1, -3, 2],
  [0, 1, -7, 12, -6],
  [0, 1, -15, 50, -60, 24],
  [0, 1, -31, 180, -390, 360, -120],
  [0, 1, -63, 602, -2100, 3360, -2520, 720],
  [0, 1, -127, 1932, -10206, 25200, -31920, 20160, -5040],
  [0, 1, -255, 6050, -46620, 166824, -317520, 332640, -181440, 40320],
];

// tanh^(k)(x) = R_k(tanh x), row k: coefficients of T^0..T^(k+1); σ^(k)(y) = R_k(tanh(y/2))/2^(k+1).
const TANH_POLY: number[][] = [
  [0, 1],
  [1, 0, -1],
  [0, -2, 0, 2],
  [-2, 0, 8, 0, -6],
  [0, 16, 0, -40, 0, 24],
  [16, 0, -136, 0, 240, 0, -120],
  [0, -272, 0, 1232, 0, -1680, 0, 720],
  [-272, 0, 3968, 0, -12096, 0, 13440, 0, -5040],
  [0, 7936, 0, -56320, 0, 129024, 0, -120960, 0, 40320],
];

/**
 * σ^(k)(y), k = 0..kmax: P_k at u = σ(−|y|) for |y| ≥ 1.5 (σ^(k)(|y|) = (−1)^(k+1) σ^(k)(−|y|)),
 * R_k at T = tanh(y/2) for |y| < 1.5 and k ≥ 2 (P_k(u ≈ 1/2) cancels there).
 */
function sigmoidDerivs(y: number, kmax: number, d: Float64Array): void {
  const ay = Math.abs(y);
  let u: number;
  let tt = 0.0;
  const near0 = ay < 1.5;
  if (near0) {
    const em = Math.expm1(-ay);
    u = (1.0 + em) / (2.0 + em);
    tt = -em / (2.0 + em);
    if (y < 0) tt = -tt;
  } else {
    const e = Math.exp(-ay);
    u = e / (1.0 + e);
  }
  d[0] = y > 0 ? 1.0 - u : u;
  for (let k = 1; k <= kmax; k++) {
    if (near0 && k >= 2) {
      const r = TANH_POLY[k];
      let p = r[k + 1];
      for (let j = k; j >= 0; j--) p = p * tt + r[j];
      d[k] = p * 2 ** -(k + 1);
      continue;
    }
    const c = SIG_POLY[k];
    let p = c[k + 1];
    for (let j = k; j >= 1; j--) p = p * u + c[j];
    p *= u;
    d[k] = y > 0 && k % 2 === 0 ? -p : p;
  }
}

function tanhValue(y: number): number {
  const t = Math.expm1(-2.0 * Math.abs(y));
  const v = -t / (2.0 + t);
  return y < 0 ? -v : v;
}

const scratchT = new Float64Array(ARR);

/** φ^(k)(y) for k = 0..kmax, smooth activations only. */
function smoothDerivs(name: Activation['name'], y: number, kmax: number, d: Float64Array): void {
  const t = scratchT;
  switch (name) {
    case 'sigmoid':
      sigmoidDerivs(y, kmax, d);
      return;
    case 'tanh':
      d[0] = tanhValue(y);
      if (kmax >= 1) {
        sigmoidDerivs(2.0 * y, kmax, t);
        for (let k = 1; k <= kmax; k++) d[k] = t[k] * 2 ** (k + 1);
      }
      return;
    case 'softplus':
      d[0] = (y > 0 ? y : 0.0) + Math.log1p(Math.exp(-Math.abs(y)));
      if (kmax >= 1) {
        sigmoidDerivs(y, kmax - 1, t);
        for (let k = 1; k <= kmax; k++) d[k] = t[k - 1];
      }
      return;
    case 'swish':
      sigmoidDerivs(y, kmax, t);
      d[0] = y * t[0];
      for (let k = 1; k <= kmax; k++) d[k] = y * t[k] + k * t[k - 1];
      return;
    case 'gelu': {
      d[0] = y * Phi(y);
      if (kmax >= 1) {
        const p = pdf(y);
        d[1] = Phi(y) + y * p;
        if (kmax >= 2) {
          hermiteHeAll(kmax, y, t);
          for (let k = 2; k <= kmax; k++) d[k] = (k % 2 === 0 ? 1.0 : -1.0) * (t[k - 2] - t[k]) * p;
        }
      }
      return;
    }
    default:
      return;
  }
}

function kinkedDeriv(act: Activation, k: number, y: number): number {
  let t = 0.0; // kink position
  let lo = 0.0; // slope on its left
  switch (act.name) {
    case 'identity':
      return k === 0 ? y : k === 1 ? 1.0 : 0.0;
    case 'relu':
      break;
    case 'leaky_relu':
      lo = act.slope;
      break;
    case 'jump_relu':
      t = act.threshold;
      if (k === 0) return y > t ? y : 0.0;
      break;
    default:
      return 0.0;
  }
  if (k === 0) return y > t ? y : lo * y;
  if (k === 1) return y > t ? 1.0 : y < t ? lo : 0.5 * (1.0 + lo);
  return 0.0;
}

function isSmooth(name: Activation['name']): boolean {
  return name === 'sigmoid' || name === 'tanh' || name === 'softplus' || name === 'swish' || name === 'gelu';
}

// ---------------------------------------------------------------------------------------------
// Closed-form pieces

/** U_j = E[y^j 1{y > t}], j = 0..jmax, and Uabs_j = Σ_i |C(j,i) t^(j−i) s^i T_i(a)|. */
function upperPartialMoments(t: number, m: number, s: number, jmax: number, U: Float64Array, Uabs: Float64Array): void {
  const a = (t - m) / s;
  if (a >= TAIL_CUT) {
    for (let j = 0; j <= jmax; j++) U[j] = Uabs[j] = 0.0;
    return;
  }
  if (a <= -TAIL_CUT) {
    gaussianRawMoments(m, s, jmax, U);
    for (let j = 0; j <= jmax; j++) Uabs[j] = Math.abs(U[j]);
    return;
  }
  const T = new Float64Array(ARR);
  const tp = new Float64Array(ARR);
  const sp = new Float64Array(ARR);
  truncatedMoments(a, jmax, T);
  tp[0] = sp[0] = 1.0;
  for (let i = 1; i <= jmax; i++) {
    tp[i] = tp[i - 1] * t;
    sp[i] = sp[i - 1] * s;
  }
  for (let j = 0; j <= jmax; j++) {
    let sum = 0.0;
    let abs = 0.0;
    for (let i = 0; i <= j; i++) {
      const term = BINOM[j][i] * tp[j - i] * sp[i] * T[i];
      sum += term;
      abs += Math.abs(term);
    }
    U[j] = sum;
    Uabs[j] = abs;
  }
}

/** L_j = E[y^j 1{y < t}] (the mirror y → −y). */
function lowerPartialMoments(t: number, m: number, s: number, jmax: number, L: Float64Array, Labs: Float64Array): void {
  upperPartialMoments(-t, -m, s, jmax, L, Labs);
  for (let j = 1; j <= jmax; j += 2) L[j] = -L[j];
}

/** E[y^j sgn(y)], j = 0..jmax: s^j S_j(μ), S by Stein's recursion at |μ|, E[sgn] = erf(m/(s√2)). */
function signMoments(m: number, s: number, jmax: number, out: Float64Array): void {
  const mu = m / s;
  if (Math.abs(mu) >= TAIL_CUT) {
    gaussianRawMoments(m, s, jmax, out);
    if (m < 0) for (let j = 0; j <= jmax; j++) out[j] = -out[j];
    return;
  }
  const am = Math.abs(mu);
  const S = new Float64Array(ARR);
  S[0] = erf(am * SQRT_HALF);
  if (jmax >= 1) S[1] = am * S[0] + 2.0 * pdf(am);
  for (let j = 2; j <= jmax; j++) S[j] = am * S[j - 1] + (j - 1) * S[j - 2];
  let sp = 1.0;
  for (let j = 0; j <= jmax; j++) {
    const flip = mu < 0 && j % 2 === 0;
    out[j] = (flip ? -S[j] : S[j]) * sp;
    sp *= s;
  }
}

/** E[δ^(r)(y − t)] = He_r(a) pdf(a) / s^(r+1), r = 0..rmax, a = (t − m)/s. */
function diracTerms(a: number, s: number, rmax: number, out: Float64Array): void {
  const he = new Float64Array(ARR);
  const p = pdf(a);
  hermiteHeAll(rmax, a, he);
  let sp = s;
  for (let r = 0; r <= rmax; r++) {
    out[r] = ratioSat(he[r] * p, sp);
    sp *= s;
  }
}

/** Chooses, among algebraically equal forms, the one with the smallest Σ|terms|. */
class Pick {
  value = 0.0;
  abs = Infinity;
  offer(v: number, a: number): void {
    if (a < this.abs) {
      this.value = v;
      this.abs = a;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Kinked activations (closed form)

/** E[y^n φ(y)], n = 0..nmax, for relu, leaky_relu, jump_relu, identity. */
function polyKinked(act: Activation, nmax: number, m: number, s: number, out: Float64Array): void {
  const jmax = nmax + 1;
  const M = new Float64Array(ARR + 1);
  gaussianRawMoments(m, s, jmax, M);
  if (act.name === 'identity') {
    for (let n = 0; n <= nmax; n++) out[n] = M[n + 1];
    return;
  }
  const U = new Float64Array(ARR + 1);
  const Ua = new Float64Array(ARR + 1);
  const L = new Float64Array(ARR + 1);
  const La = new Float64Array(ARR + 1);
  const t = act.name === 'jump_relu' ? act.threshold : 0.0;
  upperPartialMoments(t, m, s, jmax, U, Ua);
  if (act.name === 'relu' || (act.name === 'jump_relu' && t >= 0)) {
    for (let n = 0; n <= nmax; n++) out[n] = U[n + 1];
    return;
  }
  lowerPartialMoments(t, m, s, jmax, L, La);
  for (let n = 0; n <= nmax; n++) {
    const j = n + 1;
    const pk = new Pick();
    if (act.name === 'jump_relu') {
      pk.offer(U[j], Ua[j]);
      pk.offer(M[j] - L[j], Math.abs(M[j]) + La[j]);
    } else {
      const al = act.slope;
      pk.offer(U[j] + al * L[j], Ua[j] + Math.abs(al) * La[j]);
      pk.offer(M[j] + (al - 1.0) * L[j], Math.abs(M[j]) + Math.abs(al - 1.0) * La[j]);
      pk.offer(al * M[j] + (1.0 - al) * U[j], Math.abs(al * M[j]) + Math.abs(1.0 - al) * Ua[j]);
    }
    out[n] = pk.value;
  }
}

function kinkedDerivs(act: Activation, kmax: number, m: number, s: number, out: Float64Array): void {
  const P = new Float64Array(1);
  polyKinked(act, 0, m, s, P);
  out[0] = P[0];
  if (kmax === 0) return;
  if (act.name === 'identity') {
    for (let k = 1; k <= kmax; k++) out[k] = k === 1 ? 1.0 : 0.0;
    return;
  }
  if (act.name === 'jump_relu') {
    const th = act.threshold;
    const a = (th - m) / s;
    const p = pdf(a);
    out[1] = Q(a) + ratioSat(th * p, s);
    if (kmax >= 2) {
      const he = new Float64Array(ARR);
      hermiteHeAll(kmax - 1, a, he);
      let sp = s * s;
      for (let k = 2; k <= kmax; k++) {
        out[k] = ratioSat(p * (th * he[k - 1] + s * he[k - 2]), sp);
        sp *= s;
      }
    }
    return;
  }
  const al = act.name === 'leaky_relu' ? act.slope : 0.0;
  const a0 = -m / s;
  const qu = Q(a0);
  if (al === 0.0) {
    out[1] = qu;
  } else {
    const ql = Q(-a0);
    const pk = new Pick();
    pk.offer(qu + al * ql, qu + Math.abs(al) * ql);
    pk.offer(al + (1.0 - al) * qu, Math.abs(al) + Math.abs(1.0 - al) * qu);
    pk.offer(1.0 + (al - 1.0) * ql, 1.0 + Math.abs(al - 1.0) * ql);
    out[1] = pk.value;
  }
  if (kmax >= 2) {
    const D = new Float64Array(ARR);
    diracTerms(a0, s, kmax - 2, D);
    for (let k = 2; k <= kmax; k++) out[k] = saturate((1.0 - al) * D[k - 2]);
  }
}

// ---------------------------------------------------------------------------------------------
// gelu in closed form

function geluDerivs(kmax: number, m: number, s: number, out: Float64Array): void {
  const tau2 = 1.0 + s * s;
  const tau = Math.sqrt(tau2);
  const b = m / tau;
  const p = pdf(b);
  const T = new Float64Array(3);
  if (b >= -1.0) {
    out[0] = m * Phi(b) + (s * s * p) / tau;
  } else {
    truncatedMoments(-b, 2, T);
    out[0] = tau * T[1] - p / tau;
  }
  if (kmax === 0) return;
  if (b >= -1.0) {
    out[1] = Phi(b) + (b * p) / tau2;
  } else {
    const ab = -b;
    const am = Math.abs(m);
    out[1] = (p * (((tau2 - am) * (tau2 + am)) / (tau2 * tau2)) - T[1]) / ab;
  }
  if (kmax === 1) return;
  const he = new Float64Array(ARR);
  hermiteHeAll(kmax, b, he);
  let tp = tau;
  for (let k = 2; k <= kmax; k++) {
    const v = (p * (he[k - 2] - he[k] / tau2)) / tp;
    out[k] = k % 2 === 0 ? v : -v;
    tp *= tau;
  }
}

/** E[y^n gelu(y)] for m ≥ 0 by Stein's recursion on A_j = E[y^j Φ(y)] (every term ≥ 0). */
function geluPolyStein(nmax: number, m: number, s: number, out: Float64Array): void {
  const tau2 = 1.0 + s * s;
  const tau = Math.sqrt(tau2);
  const b = m / tau;
  const c = pdf(b) / tau;
  const B = new Float64Array(ARR + 1);
  const A = new Float64Array(ARR + 2);
  gaussianRawMoments(m / tau2, s / tau, nmax, B);
  A[0] = Phi(b);
  const v = s * s;
  for (let j = 0; j <= nmax; j++) A[j + 1] = m * A[j] + v * ((j > 0 ? j * A[j - 1] : 0.0) + c * B[j]);
  for (let n = 0; n <= nmax; n++) out[n] = A[n + 1];
}

// ---------------------------------------------------------------------------------------------
// Near the origin: Taylor series against exact moments

// Taylor coefficients φ^(j)(0)/j!, j = 0..24 (mpmath).
const TAYLOR: Record<string, number[]> = {
  sigmoid: [0.5, 0.25, 0, -0.020833333333333332, 0, 0.0020833333333333333, 0, -0.00021081349206349207, 0, 2.1356922398589065e-05, 0, -2.1638758617925286e-06, 0, 2.192460959822071e-07, 0, -2.2214269821950048e-08, 0, 2.250776065618843e-09, 0, -2.2805129455905197e-10, 0, 2.3106427089999797e-11, 0, -2.3411705424378415e-12, 0],
  tanh: [0, 1.0, 0, -0.3333333333333333, 0, 0.13333333333333333, 0, -0.05396825396825397, 0, 0.021869488536155203, 0, -0.008863235529902197, 0, 0.003592128036572481, 0, -0.0014558343870513183, 0, 0.000590027440945586, 0, -0.00023912911424355248, 0, 9.691537956929451e-05, 0, -3.927832388331683e-05, 0],
  softplus: [0.6931471805599453, 0.5, 0.125, 0, -0.005208333333333333, 0, 0.00034722222222222224, 0, -2.635168650793651e-05, 0, 2.1356922398589067e-06, 0, -1.803229884827107e-07, 0, 1.5660435427300506e-08, 0, -1.388391863871878e-09, 0, 1.250431147566024e-10, 0, -1.1402564727952599e-11, 0, 1.0502921404545363e-12, 0, -9.754877260157674e-14],
  swish: [0, 0.5, 0.25, 0, -0.020833333333333332, 0, 0.0020833333333333333, 0, -0.00021081349206349207, 0, 2.1356922398589065e-05, 0, -2.1638758617925286e-06, 0, 2.192460959822071e-07, 0, -2.2214269821950048e-08, 0, 2.250776065618843e-09, 0, -2.2805129455905197e-10, 0, 2.3106427089999797e-11, 0, -2.3411705424378415e-12],
  gelu: [0, 0.5, 0.3989422804014327, 0, -0.06649038006690544, 0, 0.009973557010035817, 0, -0.0011873282154804543, 0, 0.00011543468761615529, 0, -9.444656259503615e-06, 0, 6.659693516316651e-07, 0, -4.122667414862689e-08, 0, 2.2735298243728065e-09, 0, -1.1301171641619213e-10, 0, 5.1124347902563106e-12, 0, -2.121761474217046e-13],
};
const TAYLOR_TERMS = 25;

/** Narrow Gaussian near the origin, κ(|m| + 12 s) ≤ 0.06: E[yⁿφ] = Σ_j a_j E[y^(n+j)] (see the C++). */
function taylorPoly(name: Activation['name'], nmax: number, m: number, s: number, out: Float64Array): void {
  const a = TAYLOR[name];
  const M = new Float64Array(ARR + TAYLOR_TERMS);
  gaussianRawMoments(m, s, nmax + TAYLOR_TERMS - 1, M);
  for (let n = 0; n <= nmax; n++) {
    let sum = 0.0;
    for (let j = TAYLOR_TERMS - 1; j >= 0; j--) sum += a[j] * M[n + j];
    out[n] = sum;
  }
}

// ---------------------------------------------------------------------------------------------
// Regime A: fixed composite Gauss–Legendre rule in z

const REGIME_A = 0.8;
const REGIME_A_FINE = 1.6;

const GL13: [number, number][] = [
  [0.0, 0.23255155323087391019],
  [0.23045831595513479407, 0.22628318026289723841],
  [0.44849275103644685288, 0.20781604753688850231],
  [0.64234933944034022064, 0.17814598076194573828],
  [0.80157809073330991279, 0.13887351021978723846],
  [0.91759839922297796521, 0.092121499837728447914],
  [0.98418305471858814947, 0.04048400476531587952],
];
interface FixedRule {
  nodes: number;
  z: Float64Array;
  w: Float64Array;
}

/** 13-point Gauss–Legendre on `panels` equal panels covering z ∈ [−11, 11], weights × pdf(z). */
function makeFixedRule(panels: number): FixedRule {
  const h = 11.0 / panels;
  const z = new Float64Array(panels * 13);
  const w = new Float64Array(panels * 13);
  let i = 0;
  for (let p = 0; p < panels; p++) {
    const c = -11.0 + h * (2 * p + 1);
    for (let j = GL13.length - 1; j >= 1; j--) {
      z[i] = c - h * GL13[j][0];
      w[i] = h * GL13[j][1] * pdf(z[i]);
      i++;
    }
    for (let j = 0; j < GL13.length; j++) {
      z[i] = c + h * GL13[j][0];
      w[i] = h * GL13[j][1] * pdf(z[i]);
      i++;
    }
  }
  return { nodes: i, z, w };
}

/** 143 nodes for κs ≤ 0.8; 286 for derivative orders ≥ 5 up to κs = 1.6 (see the C++). */
const coarseRule = makeFixedRule(11);
const fineRule = makeFixedRule(22);

/** Mirrored node pairs are added before joining the sum: odd integrands at m = 0 give exactly 0. */
function regimeADerivs(r: FixedRule, name: Activation['name'], kmax: number, m: number, s: number, out: Float64Array): void {
  const d1 = new Float64Array(ARR);
  const d2 = new Float64Array(ARR);
  for (let k = 0; k <= kmax; k++) out[k] = 0.0;
  for (let i = 0, j = r.nodes - 1; i <= j; i++, j--) {
    smoothDerivs(name, m + s * r.z[i], kmax, d1);
    if (i === j) {
      for (let k = 0; k <= kmax; k++) out[k] += r.w[i] * d1[k];
    } else {
      smoothDerivs(name, m + s * r.z[j], kmax, d2);
      for (let k = 0; k <= kmax; k++) out[k] += r.w[i] * (d1[k] + d2[k]);
    }
  }
}

function regimeAPoly(name: Activation['name'], nmax: number, m: number, s: number, out: Float64Array): void {
  const r = coarseRule;
  const d = new Float64Array(1);
  for (let n = 0; n <= nmax; n++) out[n] = 0.0;
  for (let i = 0, j = r.nodes - 1; i <= j; i++, j--) {
    const y1 = m + s * r.z[i];
    const y2 = m + s * r.z[j];
    smoothDerivs(name, y1, 0, d);
    let t1 = d[0];
    smoothDerivs(name, y2, 0, d);
    let t2 = i === j ? 0.0 : d[0];
    for (let n = 0; n <= nmax; n++) {
      out[n] += r.w[i] * (t1 + t2);
      t1 *= y1;
      t2 *= y2;
    }
  }
}

/** tanh moments for |m| ≤ s with the odd part differenced analytically (see the C++). */
function regimeATanhPolySym(nmax: number, m: number, s: number, out: Float64Array): void {
  const r = coarseRule;
  for (let n = 0; n <= nmax; n++) out[n] = 0.0;
  const sh2m = Math.sinh(2.0 * m);
  const xp = new Float64Array(ARR);
  const mp = new Float64Array(ARR);
  for (let i = 0; i < r.nodes; i++) {
    const x = s * r.z[i];
    const tp = tanhValue(x + m);
    const tm = tanhValue(x - m);
    const dt = sh2m / (Math.cosh(x + m) * Math.cosh(x - m));
    xp[0] = mp[0] = 1.0;
    for (let j = 1; j <= nmax; j++) {
      xp[j] = xp[j - 1] * x;
      mp[j] = mp[j - 1] * m;
    }
    let yp = 1.0;
    let ym = 1.0;
    for (let n = 0; n <= nmax; n++) {
      let d: number;
      if (n % 2 === 0) {
        let an = 0.0;
        for (let j = 1; j <= n; j += 2) an += BINOM[n][j] * xp[n - j] * mp[j];
        d = 2.0 * an * tp + ym * dt;
      } else {
        d = yp * tp + ym * tm;
      }
      out[n] += 0.5 * r.w[i] * d;
      yp *= x + m;
      ym *= x - m;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Regime B: closed-form piecewise part + Gauss–Legendre panels on the localized correction

const GL16: [number, number][] = [
  [0.095012509837637440185, 0.18945061045506849629],
  [0.28160355077925891323, 0.18260341504492358887],
  [0.45801677765722738634, 0.16915651939500253819],
  [0.61787624440264374845, 0.14959598881657673208],
  [0.7554044083550030339, 0.12462897125553387205],
  [0.86563120238783174388, 0.09515851168249278481],
  [0.94457502307323257608, 0.062253523938647892863],
  [0.9894009349916499326, 0.027152459411754094852],
];

const GL12: [number, number][] = [
  [0.12523340851146891547, 0.249147045813402785],
  [0.36783149899818019375, 0.23349253653835480876],
  [0.5873179542866174473, 0.20316742672306592175],
  [0.76990267419430468704, 0.16007832854334622633],
  [0.90411725637047485668, 0.10693932599531843096],
  [0.98156063424671925069, 0.047175336386511827195],
];
const GL8: [number, number][] = [
  [0.18343464249564980494, 0.36268378337836198297],
  [0.52553240991632898582, 0.31370664587788728734],
  [0.79666647741362673959, 0.22238103445337447054],
  [0.96028985649753623168, 0.10122853629037625915],
];

const DERIV_MODE = 0;
const POLY_MODE = 1;
const FOLD_MODE = 2;

/** The localized correction g(y) of each smooth activation and the integrand built from it. */
class Correction {
  constructor(
    readonly name: Activation['name'],
    readonly m: number,
    readonly s: number,
    readonly nc: number,
    readonly mode: number,
    readonly kappa: number,
    readonly gauss: number,
  ) {}

  g(y: number): number {
    const ay = Math.abs(y);
    switch (this.name) {
      case 'sigmoid': {
        const e = Math.exp(-ay);
        const u = e / (1.0 + e);
        return y > 0 ? -u : u;
      }
      case 'tanh': {
        const e = Math.exp(-2.0 * ay);
        const u = (2.0 * e) / (1.0 + e);
        return y > 0 ? -u : u;
      }
      case 'softplus':
        return Math.log1p(Math.exp(-ay));
      case 'swish': {
        const e = Math.exp(-ay);
        return -ay * (e / (1.0 + e));
      }
      case 'gelu':
        return -ay * Q(ay);
      default:
        return 0.0;
    }
  }

  eval(y: number, f: Float64Array): void {
    const { m, s, nc } = this;
    if (this.mode === FOLD_MODE) {
      const e = Math.exp(-2.0 * y);
      const base = -4.0 * (e / (1.0 + e)) * INV_SQRT_2PI * Math.exp(-(y * y + m * m) / (2.0 * s * s));
      const q = (y * m) / (s * s);
      const sh = base * Math.sinh(q);
      const ch = base * Math.cosh(q);
      let t = 1.0;
      for (let n = 0; n < nc; n++) {
        f[n] = t * (n % 2 === 0 ? sh : ch);
        t *= y;
      }
      return;
    }
    const z = (y - m) / s;
    const w = this.g(y) * pdfFast(z);
    if (this.mode === POLY_MODE) {
      let t = w;
      for (let n = 0; n < nc; n++) {
        f[n] = t;
        t *= y;
      }
    } else {
      f[0] = w;
      if (nc > 1) f[1] = w * z;
      let h0 = 1.0;
      let h1 = z;
      for (let k = 2; k < nc; k++) {
        const h2 = z * h1 - (k - 1) * h0;
        f[k] = w * h2;
        h0 = h1;
        h1 = h2;
      }
    }
  }
}

const panelF = new Float64Array(ARR);

/** N-point Gauss–Legendre (N = 8, 12, 16) on u ∈ [ulo, uhi] at y = side·u, accumulated in ascending u. */
function gaussLegendrePanel(c: Correction, ulo: number, uhi: number, side: number, order: number, acc: Float64Array): void {
  const mid = 0.5 * (ulo + uhi);
  const h = 0.5 * (uhi - ulo);
  const tab = order === 16 ? GL16 : order === 12 ? GL12 : GL8;
  const f = panelF;
  for (let j = tab.length - 1; j >= 0; j--) {
    c.eval(side * (mid - h * tab[j][0]), f);
    for (let k = 0; k < c.nc; k++) acc[k] += h * tab[j][1] * f[k];
  }
  for (let j = 0; j < tab.length; j++) {
    c.eval(side * (mid + h * tab[j][0]), f);
    for (let k = 0; k < c.nc; k++) acc[k] += h * tab[j][1] * f[k];
  }
}

/** The log of the modelled integrand on one side, exp(−A u² − κ u − (u − mu)²/(2s²)), u = ±y ≥ 0. */
function sideModel(c: Correction, mu: number): { c2: number; uv: number; up: number; hmax: number } {
  const s = c.s;
  const c2 = c.gauss + 0.5 / (s * s);
  const uv = (mu / (s * s) - c.kappa) / (2.0 * c2);
  const up = uv > 0 ? uv : 0.0;
  const d = up - mu;
  const hmax = -c.gauss * up * up - c.kappa * up - (d * d) / (2.0 * s * s);
  return { c2, uv, up, hmax };
}

/** Panel breakpoints and Gauss–Legendre orders of one side of the kink; see the C++. */
function sideBreakpoints(c: Correction, mu: number, href: number, pts: Float64Array, ord: Int32Array): number {
  const s = c.s;
  const kap = c.kappa;
  const A = c.gauss;
  const { c2, uv, up, hmax } = sideModel(c, mu);
  if (hmax < -760.0) return 0;
  const D = 40.0 + 2.5 * c.nc;
  const beta = 2.0 * c2 * (up - uv);
  const hi = up + (2.0 * D) / (beta + Math.sqrt(beta * beta + 4.0 * c2 * D));
  let lo = 0.0;
  if (up > 0) {
    lo = up - Math.sqrt(D / c2);
    if (lo < 0) lo = 0.0;
  }
  const unit = kap > 0 ? 1.0 / kap : 1.0;
  let width = 2.5 / Math.sqrt(2.0 * c2);
  if (width > 6.0 * unit) width = 6.0 * unit;
  let n = 0;
  pts[n++] = lo;
  let step = lo === 0.0 ? unit : width;
  let x = lo;
  while (n < 60) {
    if (step > width) step = width;
    if (x + 1.25 * step >= hi) break;
    x += step;
    pts[n++] = x;
    step *= 2.0;
  }
  pts[n++] = hi;
  for (let i = 0; i + 1 < n; i++) {
    let o = 16;
    if (c.mode === DERIV_MODE) {
      const un = pts[i + 1] <= up ? pts[i + 1] : pts[i] >= up ? pts[i] : up;
      const uf = pts[i] >= up ? pts[i + 1] : pts[i];
      const dn = un - mu;
      const hn = -A * un * un - kap * un - (dn * dn) / (2.0 * s * s);
      const delta = href - hn - (c.nc - 1) * Math.log1p(Math.abs(uf - mu) / s);
      o = delta >= 28.0 ? 8 : delta >= 11.0 ? 12 : 16;
    }
    ord[i] = o;
  }
  return n;
}

/**
 * ∫ integrand dy over both sides of the kink at 0 (or y > 0 only for the folded tanh moments);
 * each side summed on its own in mirrored order, the two added last (odd integrands at m = 0: 0).
 */
function correctionIntegral(c: Correction, val: Float64Array): void {
  const minus = new Float64Array(c.nc);
  const plus = new Float64Array(c.nc);
  const pts = new Float64Array(64);
  const ord = new Int32Array(64);
  const fold = c.mode === FOLD_MODE;
  const mup = fold ? Math.abs(c.m) : c.m;
  let href = sideModel(c, mup).hmax;
  if (!fold) {
    const hm = sideModel(c, -c.m).hmax;
    if (hm > href) href = hm;
    const n = sideBreakpoints(c, -c.m, href, pts, ord);
    for (let i = 0; i + 1 < n; i++) gaussLegendrePanel(c, pts[i], pts[i + 1], -1.0, ord[i], minus);
  }
  const n = sideBreakpoints(c, mup, href, pts, ord);
  for (let i = 0; i + 1 < n; i++) gaussLegendrePanel(c, pts[i], pts[i + 1], 1.0, ord[i], plus);
  for (let k = 0; k < c.nc; k++) val[k] = minus[k] + plus[k];
}

function kappaOf(name: Activation['name']): number {
  return name === 'tanh' ? 2.0 : name === 'gelu' ? 0.0 : 1.0;
}

function regimeBDerivs(name: Activation['name'], kmax: number, m: number, s: number, out: Float64Array): void {
  const a0 = -m / s;
  const C = new Float64Array(ARR);
  const p = pdf(a0);
  const he = new Float64Array(ARR);
  hermiteHeAll(kmax, a0, he);
  if (name === 'sigmoid' || name === 'tanh') {
    const f = name === 'tanh' ? 2.0 : 1.0;
    C[0] = name === 'tanh' ? erf((m / s) * SQRT_HALF) : Q(a0);
    for (let k = 1; k <= kmax; k++) C[k] = f * he[k - 1] * p;
  } else {
    const T = new Float64Array(2);
    truncatedMoments(a0, 1, T);
    C[0] = s * T[1];
    if (kmax >= 1) C[1] = s * T[0];
    for (let k = 2; k <= kmax; k++) C[k] = s * he[k - 2] * p;
  }
  const c = new Correction(name, m, s, kmax + 1, DERIV_MODE, kappaOf(name), name === 'gelu' ? 0.5 : 0.0);
  const I = new Float64Array(ARR);
  correctionIntegral(c, I);
  let sk = 1.0;
  for (let k = 0; k <= kmax; k++) {
    out[k] = (C[k] + I[k] / s) / sk;
    sk *= s;
  }
}

function regimeBPoly(name: Activation['name'], nmax: number, m: number, s: number, out: Float64Array): void {
  const C = new Float64Array(ARR + 1);
  const scratch = new Float64Array(ARR + 1);
  if (name === 'sigmoid') {
    upperPartialMoments(0.0, m, s, nmax, C, scratch);
  } else if (name === 'tanh') {
    signMoments(m, s, nmax, C);
  } else {
    const U = new Float64Array(ARR + 1);
    upperPartialMoments(0.0, m, s, nmax + 1, U, scratch); // relu part: E[y^(n+1) 1{y>0}]
    for (let n = 0; n <= nmax; n++) C[n] = U[n + 1];
  }
  const fold = name === 'tanh' && Math.abs(m) <= s;
  const c = new Correction(name, m, s, nmax + 1, fold ? FOLD_MODE : POLY_MODE, kappaOf(name), name === 'gelu' ? 0.5 : 0.0);
  const I = new Float64Array(ARR);
  correctionIntegral(c, I);
  for (let n = 0; n <= nmax; n++) out[n] = C[n] + I[n] / s;
}

function kappaRegime(name: Activation['name']): number {
  return name === 'tanh' ? 2.0 : 1.0;
}

function pointDerivs(act: Activation, kmax: number, m: number, out: Float64Array): void {
  if (isSmooth(act.name)) {
    smoothDerivs(act.name, m, kmax, out);
  } else {
    for (let k = 0; k <= kmax; k++) out[k] = kinkedDeriv(act, k, m);
  }
}

// ---------------------------------------------------------------------------------------------
// Public functions (the fallback backend; lib/integrals.ts validates user input first)

/**
 * φ(y).
 * @param act normalized activation (parseActivation)
 * @param y preactivation
 * @returns φ(y)
 * @throws RangeError/TypeError for a non-finite jump_relu threshold or leaky_relu slope
 * @example activate(parseActivation('gelu'), 0.5) // ≈ 0.34573123063701
 */
export function activate(act: Activation, y: number): number {
  return activateDeriv(act, 0, y);
}

/**
 * φ^(k)(y), the ordinary derivative (at a kink: mean of the one-sided derivatives, Dirac orders 0).
 * @param act normalized activation
 * @param k order, 0..MAX_DERIV_ORDER
 * @param y preactivation
 * @returns φ^(k)(y)
 * @throws RangeError for k outside 0..MAX_DERIV_ORDER, TypeError for a non-integer k
 * @example activateDeriv(parseActivation('relu'), 1, 0) // 0.5
 */
export function activateDeriv(act: Activation, k: number, y: number): number {
  checkActivation(act);
  checkOrder('k', k, MAX_DERIV_ORDER);
  const d = new Float64Array(ARR);
  pointDerivs(act, k, y, d);
  return d[k];
}

/**
 * E[φ^(k)(y)] for k = 0..kmax in one pass (one quadrature shared by all k), y ~ N(m, s²).
 * @param act normalized activation
 * @param kmax highest order, 0..MAX_DERIV_ORDER
 * @param m mean of y
 * @param s standard deviation of y, ≥ 0 (0: point values)
 * @returns a Float64Array of length kmax + 1
 * @throws RangeError for kmax out of range, non-finite m, or s < 0 / non-finite
 * @example derivEvs(parseActivation('sigmoid'), 2, 0.3, 1.5) // E[σ], E[σ'], E[σ'']
 */
export function derivEvs(act: Activation, kmax: number, m: number, s: number): Float64Array {
  checkActivation(act);
  checkOrder('kmax', kmax, MAX_DERIV_ORDER);
  checkGaussian(m, s);
  const out = new Float64Array(kmax + 1);
  if (s === 0.0) {
    pointDerivs(act, kmax, m, out);
    return out;
  }
  const name = act.name;
  if (!isSmooth(name)) {
    kinkedDerivs(act, kmax, m, s, out);
  } else if (name === 'gelu') {
    geluDerivs(kmax, m, s, out);
  } else if (kappaRegime(name) * s <= REGIME_A) {
    regimeADerivs(coarseRule, name, kmax, m, s, out);
  } else if (kmax >= 5 && kappaRegime(name) * s <= REGIME_A_FINE) {
    regimeADerivs(fineRule, name, kmax, m, s, out);
  } else {
    regimeBDerivs(name, kmax, m, s, out);
  }
  for (let k = 0; k <= kmax; k++) out[k] = saturate(out[k]);
  return out;
}

/**
 * E[φ^(k)(y)] (Stein-consistent: E[φ(y) He_k((y−m)/s)]/s^k, Dirac terms included).
 * @param act normalized activation
 * @param k order, 0..MAX_DERIV_ORDER
 * @param m mean of y
 * @param s standard deviation of y, ≥ 0
 * @returns the expectation
 * @throws RangeError for k out of range, non-finite m, or s < 0 / non-finite
 * @example derivEv(parseActivation({ name: 'jump_relu', threshold: 1 }), 1, 1, 0.5) // ≈ 1.2978845608029 (Φ(0) + θ·pdf_y(θ))
 */
export function derivEv(act: Activation, k: number, m: number, s: number): number {
  checkOrder('k', k, MAX_DERIV_ORDER);
  return derivEvs(act, k, m, s)[k];
}

/**
 * E[φ(y)], y ~ N(m, s²).
 * @param act normalized activation
 * @param m mean of y
 * @param s standard deviation of y, ≥ 0
 * @returns the expectation
 * @throws RangeError for non-finite m, or s < 0 / non-finite
 * @example ev(parseActivation('relu'), 0, 1) // 0.3989422804014327
 */
export function ev(act: Activation, m: number, s: number): number {
  return derivEv(act, 0, m, s);
}

/**
 * E[yⁿ φ(y)] for n = 0..nmax in one pass, y ~ N(m, s²).
 * @param act normalized activation
 * @param nmax highest power, 0..MAX_POLY_ORDER
 * @param m mean of y
 * @param s standard deviation of y, ≥ 0
 * @returns a Float64Array of length nmax + 1
 * @throws RangeError for nmax out of range, non-finite m, or s < 0 / non-finite
 * @example polyEvs(parseActivation('identity'), 1, 1, 2) // [1, 5]
 */
export function polyEvs(act: Activation, nmax: number, m: number, s: number): Float64Array {
  checkActivation(act);
  checkOrder('nmax', nmax, MAX_POLY_ORDER);
  checkGaussian(m, s);
  const out = new Float64Array(nmax + 1);
  const name = act.name;
  if (s === 0.0) {
    const d = new Float64Array(1);
    pointDerivs(act, 0, m, d);
    let t = d[0];
    for (let n = 0; n <= nmax; n++) {
      out[n] = t;
      t *= m;
    }
  } else if (!isSmooth(name)) {
    polyKinked(act, nmax, m, s, out);
  } else if (name === 'gelu' && m >= 0) {
    geluPolyStein(nmax, m, s, out);
  } else if (kappaRegime(name) * (Math.abs(m) + 12.0 * s) <= 0.06) {
    taylorPoly(name, nmax, m, s, out);
  } else if (kappaRegime(name) * s <= REGIME_A) {
    if (name === 'tanh' && Math.abs(m) <= s) regimeATanhPolySym(nmax, m, s, out);
    else regimeAPoly(name, nmax, m, s, out);
  } else {
    regimeBPoly(name, nmax, m, s, out);
  }
  for (let n = 0; n <= nmax; n++) out[n] = saturate(out[n]);
  return out;
}

/**
 * E[yⁿ φ(y)], y ~ N(m, s²).
 * @param act normalized activation
 * @param n power, 0..MAX_POLY_ORDER
 * @param m mean of y
 * @param s standard deviation of y, ≥ 0
 * @returns the expectation
 * @throws RangeError for n out of range, non-finite m, or s < 0 / non-finite
 * @example polyEv(parseActivation('relu'), 1, 0, 1) // 0.5
 */
export function polyEv(act: Activation, n: number, m: number, s: number): number {
  checkOrder('n', n, MAX_POLY_ORDER);
  return polyEvs(act, n, m, s)[n];
}
