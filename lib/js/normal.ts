/**
 * The standard normal distribution as the Gaussian integrals need it: density `pdf`, CDF `Phi`,
 * upper tail `Q`, erf/erfc, probabilists' Hermite polynomials, raw Gaussian moments and the
 * truncated moments T_j(a) = ∫_a^∞ (z − a)^j pdf(z) dz. Mirrors native/core/normal.hpp function
 * by function (same constants, same branch points). JavaScript has no erf/erfc, so they are
 * implemented here to ≤ 2 ulp (measured against mpmath on [−6, 26.5]):
 * - |x| < 1/16 (erfc) or < 1/2 (erf): the Maclaurin series of erf, Horner in x².
 * - 1/16 ≤ x < 3: erfcx(x) = e^{x²} erfc(x) by its Taylor series about the nearest x0 = i/8
 *   (|h| ≤ 1/16), coefficients from erfcx' = 2x erfcx − 2/√π, i.e.
 *   (n+1) c_{n+1} = 2 x0 c_n + 2 c_{n−1}, starting from a double-double table of erfcx(x0).
 * - x ≥ 3: erfcx from its continued fraction 1/√π / (x + ½/(x + 1/(x + (3/2)/(x + …)))),
 *   evaluated backward from a fixed depth, last division compensated.
 * - erfc(x) = e^{−x²}·erfcx(x), with x² split as fdlibm does (a 24-bit head whose square is
 *   exact), so the exponent carries no rounding error; erfc(−x) = 2 − erfc(x),
 *   erf(x) = 1 − erfc(x) for x ≥ 1/2.
 */

export const INV_SQRT_2PI = 0.3989422804014327; // 1/√(2π)
export const SQRT_HALF = 0.7071067811865476; // 1/√2, rounded
export const SQRT_HALF_LO = -4.8336466567264565e-17; // 1/√2 − SQRT_HALF
export const SQRT2 = 1.4142135623730951;
/** Beyond this many standard deviations pdf underflows, so tail quantities are exactly 0. */
export const TAIL_CUT = 39.0;

const TWO_OVER_SQRTPI = 1.1283791670955126;
const INV_SQRTPI_HI = 0.5641895835477563;
const INV_SQRTPI_LO = 7.66772980658294e-18;

// (−1)^n / (n! (2n+1)), n = 0..12: erf(x) = (2/√π) x Σ a_n x^{2n}.
const ERF_MACLAURIN = [
  1.0, -0.3333333333333333, 0.1, -0.023809523809523808, 0.004629629629629629, -0.0007575757575757576,
  0.00010683760683760684, -1.3227513227513228e-5, 1.4589169000933706e-6, -1.4503852223150468e-7,
  1.3122532963802806e-8, -1.0892221037148573e-9, 8.35070279514724e-11,
];

// erfcx(i/8) = e^{x²} erfc(x) for i = 0..24 as double-double (hi + lo), from mpmath.
const ERFCX_HI = [
  1.0, 0.8732218450821508, 0.7703465477309968, 0.6858572331012929, 0.6156903441929259, 0.5568138808733625,
  0.5069376502931449, 0.464311583202669, 0.427583576155807, 0.3956980795529959, 0.3678229164523611,
  0.3432958898621254, 0.3215854164543175, 0.30226120936348594, 0.2849722347374364, 0.2694299851646704,
  0.25539567631050575, 0.24267036461265454, 0.23108725873039188, 0.22050569220490668, 0.2108063640611436,
  0.201887554546017, 0.1936620962790687, 0.1860549346844711, 0.17900115118138996,
];
const ERFCX_LO = [
  0.0, -2.8597780263826275e-17, -1.1815041295276343e-17, -8.072719496056782e-18, -2.312175868623341e-17,
  2.8215672146600085e-17, -5.335681035462232e-17, -1.851963727754574e-17, 5.235737283314228e-18,
  -5.777675056089129e-18, 1.387401093925035e-19, -1.1924063146768541e-17, 1.7007985607722196e-17,
  -2.1300243845955138e-17, 8.539813023973122e-18, 2.4834579724134718e-17, -4.276022290165946e-18,
  8.859480007862904e-18, -5.74762364596782e-18, -1.3461229599930757e-17, -5.6277259093102524e-18,
  3.2903559088569845e-18, -1.2015846532739174e-17, 7.76667829835616e-18, -5.4272175920200274e-18,
];
const ERFCX_TAYLOR_TERMS = 18;
const erfcxCoef = new Float64Array(ERFCX_TAYLOR_TERMS + 1); // scratch (JS is single-threaded)
const cfRatio = new Float64Array(16);

/**
 * Veltkamp/Dekker: the rounding error of a·b, exactly (no FMA, so C++ computes the same bits).
 * @param a factor (|a|, |b| well inside the double range)
 * @param b factor
 * @returns a·b − fl(a·b), exactly
 * @throws never
 * @example twoProdErr(0.1, 0.1) // -8.326672684688674e-19
 */
export function twoProdErr(a: number, b: number): number {
  const p = a * b;
  const ca = 134217729.0 * a;
  const cb = 134217729.0 * b;
  const ah = ca - (ca - a);
  const al = a - ah;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

function erfSmall(x: number): number {
  const t = x * x;
  let s = 0.0;
  for (let n = ERF_MACLAURIN.length - 1; n >= 0; n--) s = s * t + ERF_MACLAURIN[n];
  return x * TWO_OVER_SQRTPI * s;
}

// e^{−x²}·(rh + rl): x = hi + lo with hi = fround(x) (hi² exact), x² = hi² + lo(x + hi).
function expNegSqTimes(x: number, rh: number, rl: number): number {
  const hi = Math.fround(x);
  const lo = x - hi;
  const em = Math.expm1(-lo * (x + hi));
  return Math.exp(-hi * hi) * (rh + (rl + rh * em));
}

// erfc for 1/16 ≤ x ≤ 27.3.
function erfcPositive(x: number): number {
  let rh: number;
  let rl: number;
  if (x < 3) {
    const i = Math.floor(x * 8 + 0.5);
    const x0 = i / 8;
    const h = x - x0;
    const c = erfcxCoef;
    c[0] = ERFCX_HI[i];
    c[1] = 2 * x0 * c[0] - TWO_OVER_SQRTPI;
    for (let n = 1; n < ERFCX_TAYLOR_TERMS; n++) c[n + 1] = (2 * x0 * c[n] + 2 * c[n - 1]) / (n + 1);
    let s = 0.0;
    for (let n = ERFCX_TAYLOR_TERMS; n >= 1; n--) s = s * h + c[n];
    // c0 + h·s as a double-double
    const b = s * h;
    rh = c[0] + b;
    const bb = rh - c[0];
    rl = c[0] - (rh - bb) + (b - bb) + ERFCX_LO[i];
  } else {
    const depth = x < 4 ? 32 : x < 6 ? 22 : 14;
    let t = 0.0;
    for (let k = depth; k >= 1; k--) t = (k * 0.5) / (x + t);
    const d = x + t;
    const tt = d - x;
    const dl = x - (d - tt) + (t - tt);
    rh = INV_SQRTPI_HI / d;
    const r = INV_SQRTPI_HI - rh * d - twoProdErr(rh, d) - rh * dl + INV_SQRTPI_LO;
    rl = r / d;
  }
  return expNegSqTimes(x, rh, rl);
}

/**
 * Complementary error function erfc(x) = (2/√π) ∫_x^∞ e^{−t²} dt, within 2 ulp down to the
 * subnormal range (erfc(26.5) ≈ 2e-307).
 * @param x any number (NaN propagates)
 * @returns erfc(x) ∈ [0, 2]
 * @throws never
 * @example erfc(3) // ≈ 2.2090496998585e-5
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x < 0) return 2 - erfc(-x);
  if (x < 0.0625) return 1 - erfSmall(x);
  if (x > 27.3) return 0.0; // below the smallest subnormal
  return erfcPositive(x);
}

/**
 * Error function erf(x), within 2 ulp.
 * @param x any number (NaN propagates)
 * @returns erf(x) ∈ [−1, 1]
 * @throws never
 * @example erf(0.5) // ≈ 0.52049987781305
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x < 0) return -erf(-x);
  if (x < 0.5) return erfSmall(x);
  return 1 - erfc(x);
}

/**
 * Standard normal density with full relative accuracy: x is split into a 24-bit head (exact
 * square) and a tail so that exp(−x²/2) carries no rounding of x².
 * @param x any number
 * @returns e^{−x²/2}/√(2π) (0 beyond |x| = TAIL_CUT)
 * @throws never
 * @example pdf(1) // ≈ 0.24197072451914
 */
export function pdf(x: number): number {
  x = Math.abs(x);
  if (!(x < TAIL_CUT)) return x === x ? 0.0 : x;
  const hi = Math.fround(x);
  const lo = x - hi;
  return INV_SQRT_2PI * Math.exp(-0.5 * hi * hi) * Math.exp(-0.5 * lo * (x + hi));
}

/**
 * pdf with one exp and no split, for quadrature nodes (their abscissae are rounded anyway).
 * @param z abscissa
 * @returns e^{−z²/2}/√(2π), relative error ≈ z²ε/4
 * @throws never
 * @example pdfFast(0) // 0.3989422804014327
 */
export function pdfFast(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/**
 * Upper tail Q(x) = P(Z > x) = erfc(x/√2)/2; for x > 1 the rounding of x·(1/√2) (computed
 * exactly) is removed to first order with erfc'(t) = −2√2·pdf(x).
 * @param x any number
 * @returns P(Z > x), full relative accuracy in the upper tail
 * @throws never
 * @example Q(6) // ≈ 9.8658764503770e-10
 */
export function Q(x: number): number {
  const t = x * SQRT_HALF;
  let q = 0.5 * erfc(t);
  if (x > 1.0 && x < TAIL_CUT) {
    const d = twoProdErr(x, SQRT_HALF) + x * SQRT_HALF_LO;
    q -= SQRT2 * d * pdf(x);
  }
  return q;
}

/**
 * Standard normal CDF Φ(x) = Q(−x).
 * @param x any number
 * @returns P(Z ≤ x)
 * @throws never
 * @example Phi(-1) // ≈ 0.15865525393146
 */
export function Phi(x: number): number {
  return Q(-x);
}

/**
 * Probabilists' Hermite polynomial He_k(x) (He_{j+1} = x He_j − j He_{j−1}).
 * @param k degree ≥ 0
 * @param x argument
 * @returns He_k(x)
 * @throws never
 * @example hermiteHe(2, 3) // 8
 */
export function hermiteHe(k: number, x: number): number {
  if (k <= 0) return 1.0;
  let h0 = 1.0;
  let h1 = x;
  for (let j = 1; j < k; j++) {
    const h2 = x * h1 - j * h0;
    h0 = h1;
    h1 = h2;
  }
  return h1;
}

/**
 * He_0..He_kmax at x into out[0..kmax].
 * @param kmax highest degree
 * @param x argument
 * @param out receives kmax + 1 values
 * @throws never
 * @example const h = new Float64Array(3); hermiteHeAll(2, 3, h) // h = [1, 3, 8]
 */
export function hermiteHeAll(kmax: number, x: number, out: Float64Array): void {
  out[0] = 1.0;
  if (kmax >= 1) out[1] = x;
  for (let j = 1; j < kmax; j++) out[j + 1] = x * out[j] - j * out[j - 1];
}

/**
 * Raw moments M_j = E[y^j], y ~ N(m, s²), by Stein's recursion M_j = m M_{j−1} + (j−1)s² M_{j−2}
 * (every term has the sign of m^j: no cancellation).
 * @param m mean
 * @param s standard deviation
 * @param jmax highest order
 * @param M receives jmax + 1 values
 * @throws never
 * @example const M = new Float64Array(3); gaussianRawMoments(1, 2, 2, M) // M = [1, 1, 5]
 */
export function gaussianRawMoments(m: number, s: number, jmax: number, M: Float64Array): void {
  M[0] = 1.0;
  if (jmax >= 1) M[1] = m;
  const v = s * s;
  for (let j = 2; j <= jmax; j++) M[j] = m * M[j - 1] + (j - 1) * v * M[j - 2];
}

/**
 * Truncated moments T_j(a) = E[(z − a)^j 1{z > a}], j = 0..jmax: forward recursion
 * T_j = (j−1)T_{j−2} − a T_{j−1} for a ≤ 1 (or jmax ≤ 1), else the continued fraction
 * r_j = T_j/T_{j−1} = j/(a + r_{j+1}) run backward from depth 20 + 280/a^1.5 with
 * T_0 = pdf(a)/(a + r_1). See native/core/normal.hpp for the error analysis.
 * @param a lower limit in standard units
 * @param jmax highest order, ≤ 15
 * @param T receives jmax + 1 values (zeros beyond a = TAIL_CUT)
 * @throws never
 * @example const T = new Float64Array(2); truncatedMoments(0, 1, T) // T = [0.5, 0.3989422804014327]
 */
export function truncatedMoments(a: number, jmax: number, T: Float64Array): void {
  if (!(a < TAIL_CUT)) {
    for (let j = 0; j <= jmax; j++) T[j] = 0.0;
    return;
  }
  if (a <= 1.0 || jmax <= 1) {
    const q = Q(a);
    T[0] = q;
    if (jmax >= 1) T[1] = pdf(a) - a * q;
    for (let j = 2; j <= jmax; j++) T[j] = (j - 1) * T[j - 2] - a * T[j - 1];
    return;
  }
  const n = 20 + Math.trunc(280.0 / (a * Math.sqrt(a)));
  let r = 0.5 * (Math.sqrt(a * a + 4.0 * (n + 1)) - a);
  const ratio = cfRatio;
  for (let j = n; j >= 1; j--) {
    r = j / (a + r);
    if (j <= jmax) ratio[j] = r;
  }
  T[0] = pdf(a) / (a + r);
  for (let j = 1; j <= jmax; j++) T[j] = T[j - 1] * ratio[j];
}
