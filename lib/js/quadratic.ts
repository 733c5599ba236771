/**
 * Degree-2 approximants under one Gaussian (DESIGN §3.2): the JS fallback's version of
 * native/core/quadratic.cpp, step by step under the same names. The quadratic part of output o
 * is kept compact: E[∇²f_o] = Σ_i a[o,i] w_i w_iᵀ + b[o,i] (w_i v_iᵀ + v_i w_iᵀ).
 */
import {
  componentMoments,
  FitOptions,
  GluData,
  gluLinearTermsFromUnits,
  gluUnits,
  InputData,
  LinearTerms,
  MlpData,
  mlpLinearTermsFromUnits,
  mlpUnits,
  SolveInfo,
} from './fit';
import { gemm } from './linalg';

export interface QuadraticFitData {
  in: number;
  hidden: number;
  out: number;
  alpha: Float64Array;
  beta: Float64Array;
  /** [hidden, in]: MLP W1 or GLU gate W. */
  W: Float64Array;
  /** [hidden, in]: GLU value V (null for MLPs). */
  V: Float64Array | null;
  /** [out, hidden] */
  a: Float64Array;
  /** [out, hidden] (null for MLPs) */
  b: Float64Array | null;
  /**
   * [out, in, in]: the quadratic parts as dense symmetric G_o (exact mixture fits,
   * lib/js/mixtureQuadratic.ts); when present W, V, a, b are empty and unused.
   */
  dense?: Float64Array | null;
  /** Native only: form quadratic forms in float32. */
  single?: boolean;
  solve: SolveInfo;
}

function requireSingleGaussian(dist: InputData): void {
  if (dist.K !== 1) throw new RangeError('degree-2 fits need a single Gaussian input (K = 1)');
}

/** beta = E∇f − Hμ, alpha = E f − E∇fᵀμ + ½ μᵀHμ − ½ tr(HΣ) (native fold_center). */
function foldCenter(
  n: number,
  out: number,
  t: LinearTerms,
  mu: Float64Array,
  hMu: Float64Array,
  muHMu: Float64Array,
  trHSigma: Float64Array,
): { alpha: Float64Array; beta: Float64Array } {
  const beta = new Float64Array(n * out);
  const alpha = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let acc = t.meanOutput[o] + 0.5 * muHMu[o] - 0.5 * trHSigma[o];
    for (let j = 0; j < n; j++) {
      beta[j * out + o] = t.meanGrad[j * out + o] - hMu[j * out + o];
      acc -= t.meanGrad[j * out + o] * mu[j];
    }
    alpha[o] = acc;
  }
  return { alpha, beta };
}

function steinSolve(rank: number, opt: FitOptions): SolveInfo {
  return { method: 'stein', rank, cutoff: 0, rcond: opt.rcond, ridge: opt.ridge };
}

export function mlpQuadraticFit(net: MlpData, dist: InputData, opt: FitOptions): QuadraticFitData {
  requireSingleGaussian(dist);
  const { in: n, hidden: h, out } = net;
  const c = componentMoments(dist, 0, opt.psdTol);
  const u = mlpUnits(net, c, 2);
  const t = mlpLinearTermsFromUnits(net, u);
  const a = new Float64Array(out * h);
  for (let o = 0; o < out; o++) for (let i = 0; i < h; i++) a[o * h + i] = net.W2[o * h + i] * u.e[i * 3 + 2];
  const T = new Float64Array(h * out);
  const hMu = new Float64Array(n * out);
  const mhm = new Float64Array(out);
  const trs = new Float64Array(out);
  for (let i = 0; i < h; i++) {
    const p = u.gate.m[i] - (net.b1 ? net.b1[i] : 0);
    for (let o = 0; o < out; o++) {
      const ai = a[o * h + i];
      T[i * out + o] = ai * p;
      mhm[o] += ai * p * p;
      trs[o] += ai * u.gate.s[i] * u.gate.s[i];
    }
  }
  gemm(true, false, n, out, h, 1, net.W1, T, 0, hMu);
  const { alpha, beta } = foldCenter(n, out, t, c.mean, hMu, mhm, trs);
  return { in: n, hidden: h, out, alpha, beta, W: net.W1.slice(), V: null, a, b: null, solve: steinSolve(c.rank, opt) };
}

export function gluQuadraticFit(net: GluData, dist: InputData, opt: FitOptions): QuadraticFitData {
  requireSingleGaussian(dist);
  const { in: n, hidden: h, out } = net;
  const c = componentMoments(dist, 0, opt.psdTol);
  const u = gluUnits(net, c, 3);
  const t = gluLinearTermsFromUnits(net, u);
  const value = u.value!;
  const cross = u.cross!;
  const a = new Float64Array(out * h);
  const b = new Float64Array(out * h);
  for (let i = 0; i < h; i++) {
    const A = value.m[i] * u.e[i * 4 + 2] + cross[i] * u.e[i * 4 + 3];
    const B = u.e[i * 4 + 1];
    if (!net.W2) {
      a[i * h + i] = A;
      b[i * h + i] = B;
    } else {
      for (let o = 0; o < out; o++) {
        a[o * h + i] = net.W2[o * h + i] * A;
        b[o * h + i] = net.W2[o * h + i] * B;
      }
    }
  }
  const TW = new Float64Array(h * out);
  const TV = new Float64Array(h * out);
  const hMu = new Float64Array(n * out);
  const mhm = new Float64Array(out);
  const trs = new Float64Array(out);
  for (let i = 0; i < h; i++) {
    const p = u.gate.m[i] - (net.b1 ? net.b1[i] : 0);
    const q = value.m[i] - (net.b2 ? net.b2[i] : 0);
    for (let o = 0; o < out; o++) {
      const ai = a[o * h + i];
      const bi = b[o * h + i];
      TW[i * out + o] = ai * p + bi * q;
      TV[i * out + o] = bi * p;
      mhm[o] += ai * p * p + 2 * bi * p * q;
      trs[o] += ai * u.gate.s[i] * u.gate.s[i] + 2 * bi * cross[i];
    }
  }
  gemm(true, false, n, out, h, 1, net.W, TW, 0, hMu);
  gemm(true, false, n, out, h, 1, net.V, TV, 1, hMu);
  const { alpha, beta } = foldCenter(n, out, t, c.mean, hMu, mhm, trs);
  return { in: n, hidden: h, out, alpha, beta, W: net.W.slice(), V: net.V.slice(), a, b, solve: steinSolve(c.rank, opt) };
}

/** G [in, in], the symmetric matrix of output o's quadratic part xᵀ G x. */
export function quadraticForm(fit: QuadraticFitData, o: number): Float64Array {
  const { in: n, hidden: h } = fit;
  if (fit.dense) return fit.dense.slice(o * n * n, (o + 1) * n * n);
  const G = new Float64Array(n * n);
  for (let i = 0; i < h; i++) {
    const ai = 0.5 * fit.a[o * h + i];
    const bi = fit.b ? 0.5 * fit.b[o * h + i] : 0;
    if (ai === 0 && bi === 0) continue;
    const w = i * n;
    for (let r = 0; r < n; r++) {
      const wr = fit.W[w + r];
      const vr = fit.V ? fit.V[w + r] : 0;
      for (let s = 0; s <= r; s++) {
        let v = ai * wr * fit.W[w + s];
        if (bi !== 0 && fit.V) v += bi * (wr * fit.V[w + s] + vr * fit.W[w + s]);
        G[r * n + s] += v;
      }
    }
  }
  for (let r = 0; r < n; r++) for (let s = 0; s < r; s++) G[s * n + r] = G[r * n + s];
  return G;
}

/** gamma [out, in(in+1)/2] (DESIGN §2 packing). */
export function quadraticGamma(fit: QuadraticFitData): Float64Array {
  const n = fit.in;
  const packed = (n * (n + 1)) / 2;
  const gamma = new Float64Array(packed * fit.out);
  for (let o = 0; o < fit.out; o++) gamma.set(packGamma(quadraticForm(fit, o), n), o * packed);
  return gamma;
}

/** The packed row of one output: G_ii on the diagonal, 2 G_ij off it. */
export function packGamma(G: Float64Array, n: number): Float64Array {
  const g = new Float64Array((n * (n + 1)) / 2);
  for (let i = 0; i < n; i++) {
    const base = (i * (i + 1)) / 2;
    for (let j = 0; j < i; j++) g[base + j] = 2 * G[i * n + j];
    g[base + i] = G[i * n + i];
  }
  return g;
}

/** Y [rows, out] = alpha + X beta + (xᵀ G_o x)_o, without forming any G. */
export function quadraticPredict(fit: QuadraticFitData, rows: number, X: ArrayLike<number>): Float64Array {
  const { in: n, hidden: h, out } = fit;
  const Y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) Y.set(fit.alpha, r * out);
  gemm(false, false, rows, out, n, 1, X, fit.beta, 1, Y);
  if (fit.dense) {
    const XG = new Float64Array(rows * n);
    for (let o = 0; o < out; o++) {
      gemm(false, false, rows, n, n, 1, X, fit.dense.subarray(o * n * n, (o + 1) * n * n), 0, XG);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += XG[r * n + i] * X[r * n + i];
        Y[r * out + o] += s;
      }
    }
    return Y;
  }
  const Z = new Float64Array(rows * h);
  gemm(false, true, rows, h, n, 1, X, fit.W, 0, Z);
  const S = new Float64Array(rows * h);
  for (let k = 0; k < S.length; k++) S[k] = 0.5 * Z[k] * Z[k];
  gemm(false, true, rows, out, h, 1, S, fit.a, 1, Y);
  if (fit.b && fit.V) {
    const Zv = new Float64Array(rows * h);
    gemm(false, true, rows, h, n, 1, X, fit.V, 0, Zv);
    for (let k = 0; k < S.length; k++) S[k] = Z[k] * Zv[k];
    gemm(false, true, rows, out, h, 1, S, fit.b, 1, Y);
  }
  return Y;
}
