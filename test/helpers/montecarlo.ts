/**
 * Monte Carlo least squares: draw from the input law, evaluate the network, regress on
 * [1, x], and report heteroscedasticity-robust (HC0) standard errors, as the shared fixtures'
 * verification does.
 */
import { factorCovariance } from '../../lib/js/linalg';
import { Rng } from './random';

export interface Mixture {
  weights: Float64Array;
  means: Float64Array; // [K, n]
  covs: Float64Array; // [K, n, n]
}

/** Stratified draws: exactly round(N·π_k) samples from component k. */
export function sampleMixture(mix: Mixture, n: number, N: number, rng: Rng): { X: Float64Array; rows: number } {
  const K = mix.weights.length;
  const total = mix.weights.reduce((a, b) => a + b, 0);
  const counts = Array.from(mix.weights, (w) => Math.round((N * w) / total));
  const rows = counts.reduce((a, b) => a + b, 0);
  const X = new Float64Array(rows * n);
  let r = 0;
  for (let k = 0; k < K; k++) {
    const f = factorCovariance(n, mix.covs.subarray(k * n * n, (k + 1) * n * n), 1e-8);
    const z = new Float64Array(f.rank);
    for (let c = 0; c < counts[k]; c++, r++) {
      for (let q = 0; q < f.rank; q++) z[q] = rng.normal();
      for (let p = 0; p < n; p++) {
        let v = 0;
        for (let q = 0; q <= Math.min(p, f.rank - 1); q++) v += f.L[p * f.rank + q] * z[q];
        X[r * n + f.perm[p]] = mix.means[k * n + f.perm[p]] + v;
      }
    }
  }
  return { X, rows };
}

function invert(A: Float64Array, n: number): Float64Array {
  const M = A.slice();
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]) > Math.abs(M[p * n + c])) p = r;
    for (let j = 0; j < n; j++) {
      [M[c * n + j], M[p * n + j]] = [M[p * n + j], M[c * n + j]];
      [I[c * n + j], I[p * n + j]] = [I[p * n + j], I[c * n + j]];
    }
    const d = M[c * n + c];
    for (let j = 0; j < n; j++) {
      M[c * n + j] /= d;
      I[c * n + j] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r * n + c];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        M[r * n + j] -= f * M[c * n + j];
        I[r * n + j] -= f * I[c * n + j];
      }
    }
  }
  return I;
}

/**
 * OLS of Y [rows, out] on the features F [rows, p] with HC0 standard errors: coef and se are
 * [p, out].
 */
export function regress(F: Float64Array, Y: Float64Array, rows: number, p: number, out: number) {
  const FtF = new Float64Array(p * p);
  const FtY = new Float64Array(p * out);
  for (let r = 0; r < rows; r++) {
    const f = r * p;
    for (let a = 0; a < p; a++) {
      const fa = F[f + a];
      for (let b = 0; b < p; b++) FtF[a * p + b] += fa * F[f + b];
      for (let o = 0; o < out; o++) FtY[a * out + o] += fa * Y[r * out + o];
    }
  }
  const inv = invert(FtF, p);
  const coef = new Float64Array(p * out);
  for (let a = 0; a < p; a++) for (let o = 0; o < out; o++) {
    let v = 0;
    for (let b = 0; b < p; b++) v += inv[a * p + b] * FtY[b * out + o];
    coef[a * out + o] = v;
  }
  // HC0: inv · (Σ e² f fᵀ) · inv, per output.
  const meat = new Float64Array(out * p * p);
  for (let r = 0; r < rows; r++) {
    const f = r * p;
    for (let o = 0; o < out; o++) {
      let e = Y[r * out + o];
      for (let a = 0; a < p; a++) e -= F[f + a] * coef[a * out + o];
      const e2 = e * e;
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) meat[o * p * p + a * p + b] += e2 * F[f + a] * F[f + b];
    }
  }
  const se = new Float64Array(p * out);
  for (let o = 0; o < out; o++) {
    for (let a = 0; a < p; a++) {
      let v = 0;
      for (let b = 0; b < p; b++) for (let c = 0; c < p; c++) v += inv[a * p + b] * meat[o * p * p + b * p + c] * inv[c * p + a];
      se[a * out + o] = Math.sqrt(Math.max(v, 0));
    }
  }
  return { coef, se };
}

/** OLS on [1, x]: alpha [out], beta [in, out] and their HC0 standard errors. */
export function regressLinear(X: Float64Array, Y: Float64Array, rows: number, n: number, out: number) {
  const p = n + 1;
  const F = new Float64Array(rows * p);
  for (let r = 0; r < rows; r++) {
    F[r * p] = 1;
    for (let j = 0; j < n; j++) F[r * p + 1 + j] = X[r * n + j];
  }
  const { coef, se } = regress(F, Y, rows, p, out);
  return { alpha: coef.slice(0, out), beta: coef.slice(out), alphaSe: se.slice(0, out), betaSe: se.slice(out) };
}

/**
 * OLS on [1, x, x_i x_j (i ≥ j, DESIGN §2 packing)]: alpha [out], beta [in, out],
 * gamma [out, in(in+1)/2] (transposed to the library's layout) and their standard errors.
 */
export function regressQuadratic(X: Float64Array, Y: Float64Array, rows: number, n: number, out: number) {
  const m = (n * (n + 1)) / 2;
  const p = 1 + n + m;
  const F = new Float64Array(rows * p);
  for (let r = 0; r < rows; r++) {
    const f = r * p;
    F[f] = 1;
    for (let j = 0; j < n; j++) F[f + 1 + j] = X[r * n + j];
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) F[f + 1 + n + (i * (i + 1)) / 2 + j] = X[r * n + i] * X[r * n + j];
  }
  const { coef, se } = regress(F, Y, rows, p, out);
  const gamma = new Float64Array(out * m);
  const gammaSe = new Float64Array(out * m);
  for (let k = 0; k < m; k++) for (let o = 0; o < out; o++) {
    gamma[o * m + k] = coef[(1 + n + k) * out + o];
    gammaSe[o * m + k] = se[(1 + n + k) * out + o];
  }
  return {
    alpha: coef.slice(0, out),
    beta: coef.slice(out, (1 + n) * out),
    gamma,
    alphaSe: se.slice(0, out),
    betaSe: se.slice(out, (1 + n) * out),
    gammaSe,
  };
}

/** Largest |got − mc| / SE over all coefficients (SE floored for exactly linear networks). */
export function maxZ(got: ArrayLike<number>, mc: ArrayLike<number>, se: ArrayLike<number>, seFloor: number): number {
  let z = 0;
  for (let i = 0; i < got.length; i++) z = Math.max(z, Math.abs(got[i] - mc[i]) / Math.max(se[i], seFloor));
  return z;
}

/** All monomials of degree ≤ d in n variables, as exponent lists (degree-major order). */
export function monomials(n: number, d: number): number[][] {
  const out: number[][] = [];
  const rec = (prefix: number[], left: number, start: number): void => {
    out.push([...prefix]);
    if (left === 0) return;
    for (let j = start; j < n; j++) rec([...prefix, j], left - 1, j);
  };
  rec([], d, 0);
  return out.sort((a, b) => a.length - b.length);
}

/** OLS of Y on every monomial of degree ≤ d (coef/se [terms, out], rows in monomials() order). */
export function regressPolynomial(X: Float64Array, Y: Float64Array, rows: number, n: number, d: number, out: number) {
  const terms = monomials(n, d);
  const p = terms.length;
  const F = new Float64Array(rows * p);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < p; t++) {
      let v = 1;
      for (const j of terms[t]) v *= X[r * n + j];
      F[r * p + t] = v;
    }
  }
  return { terms, ...regress(F, Y, rows, p, out) };
}
